// An in-memory link: two Endpoints back to back with a shared fake clock.
//
// Each endpoint's SegmentSink queues what it sends for the other: the segment
// is emitted to bytes (wire::TcpRepr::Emit, checksum included) and parsed back
// (TcpRepr::Parse with checksum verification) on delivery, so both endpoints
// see exactly what a wire would carry. Run() delivers queued segments, one
// from each direction in turn, until both queues are empty; Advance() moves
// the clock, firing timers in deadline order and running the link after each.
// A drop filter lets a test lose chosen segments. Every segment that crossed
// (or was dropped) is recorded in trace().
#ifndef TERN_TESTS_SUPPORT_LINK_H_
#define TERN_TESTS_SUPPORT_LINK_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp::testing {

// ---- Pieces shared by Link and FaultyLink (tests/support/faulty_link.h).

// A segment as a wire carries it: the TCP bytes, checksum included, with the
// IPv4 addresses of its pseudo-header.
struct WireSegment {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  std::vector<uint8_t> bytes;
};
// Gathers the payload (it may wrap in the send buffer) and emits the segment
// with wire::TcpRepr::Emit.
WireSegment EmitToWire(const OutSegment& segment);
// Parses `w` back with checksum verification; on kOk *out's payload points
// into w.bytes.
wire::WireError ParseFromWire(const WireSegment& w, wire::TcpRepr* out);
// An endpoint with fixed secrets for side 0 or 1, and cookie_store's cookie
// secrets when given (aborts on a config error: a test bug).
std::unique_ptr<Endpoint> MakeTestEndpoint(
    const EndpointConfig& config, SegmentSink* sink, Instant start, int side,
    const SynCookieSecretStore* cookie_store = nullptr);

class Link {
 public:
  enum Side : uint8_t { kA = 0, kB = 1 };

  struct Packet {
    Side from;
    wire::Ipv4Addr src;
    wire::Ipv4Addr dst;
    std::vector<uint8_t> bytes;  // the TCP segment as on the wire
    wire::TcpRepr tcp;           // parsed back; payload points into bytes
  };
  struct TraceEntry {
    Side from;
    uint8_t flags;
    uint32_t seq;
    uint32_t ack;
    size_t len;
    bool dropped;
  };

  // Endpoints A and B with their configs; secrets are fixed per side.
  Link(const EndpointConfig& a, const EndpointConfig& b,
       Instant start = Instant::FromNanos(1'000'000'000));
  ~Link();

  Endpoint& a() { return *ep_[kA]; }
  Endpoint& b() { return *ep_[kB]; }
  Endpoint& ep(Side s) { return *ep_[s]; }
  Instant now() const { return now_; }

  // Delivers queued segments until none is left (and fires timers due at
  // now). Returns the number delivered.
  size_t Run();
  // Moves the clock to now + d, firing every timer on the way in deadline
  // order and running the link after each.
  void Advance(Duration d);
  void AdvanceTo(Instant t);

  // Segments for which the filter returns true are lost.
  void SetDropFilter(std::function<bool(const Packet&)> f) {
    drop_ = std::move(f);
  }
  const std::vector<TraceEntry>& trace() const { return trace_; }
  void ClearTrace() { trace_.clear(); }
  size_t queued() const { return queue_[kA].size() + queue_[kB].size(); }

  // Checksum or parse failures seen on delivery (expected: 0).
  size_t wire_errors() const { return wire_errors_; }

 private:
  class Sink : public SegmentSink {
   public:
    Sink(Link* link, Side side) : link_(link), side_(side) {}
    void Send(const OutSegment& segment) override;

   private:
    Link* link_;
    Side side_;
  };

  void Fire();
  bool DeliverOne(Side from);

  Instant now_;
  Sink sinks_[2];
  std::unique_ptr<Endpoint> ep_[2];
  // queue_[s]: segments sent by side s, waiting for the other side.
  std::deque<Packet> queue_[2];
  std::function<bool(const Packet&)> drop_;
  std::vector<TraceEntry> trace_;
  size_t wire_errors_ = 0;
};

std::string TraceToString(const std::vector<Link::TraceEntry>& trace);

}  // namespace tern::tcp::testing

#endif  // TERN_TESTS_SUPPORT_LINK_H_
