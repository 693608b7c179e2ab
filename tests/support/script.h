// Packet-script harness for the TCP core: segment builders, a capturing sink,
// a fake clock, and per-state fixtures built one from the other.
//
// Tests read as scripts: Deliver(Peer().Syn().Seq(1000)) puts a segment into
// the endpoint at the fake `now`; ExpectSent(...) pops the next segment the
// endpoint emitted and checks it; ExpectNothingSent() checks the endpoint was
// silent; Advance(d) moves the clock, firing every timer due on the way in
// deadline order. Every emitted segment goes through wire::TcpRepr::Emit and
// Parse (checksum included) before the test sees it.
#ifndef TERN_TESTS_SUPPORT_SCRIPT_H_
#define TERN_TESTS_SUPPORT_SCRIPT_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp::testing {

inline constexpr wire::Ipv4Addr kLocalAddr =
    wire::Ipv4Addr::FromOctets(192, 0, 2, 1);
inline constexpr wire::Ipv4Addr kRemoteAddr =
    wire::Ipv4Addr::FromOctets(198, 51, 100, 7);
inline constexpr uint16_t kLocalPort = 80;
inline constexpr uint16_t kRemotePort = 40000;
// A timer fires at most one wheel tick (65.536 us) after its deadline:
// advancing by a deadline plus this slack always fires it.
inline constexpr Duration kSlack = Duration::Millis(1);

// A segment the endpoint sent, with its own copy of the payload.
struct Sent {
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  wire::TcpRepr tcp;  // tcp.payload points into `payload`
  std::vector<uint8_t> payload;
  // The scatter list as the endpoint gave it: where the payload was read
  // from (valid only as long as the memory behind it).
  std::vector<std::span<const uint8_t>> spans;
  std::string PayloadString() const {
    return std::string(payload.begin(), payload.end());
  }
  bool Has(uint8_t f) const { return tcp.Has(f); }
};

std::string FlagsToString(uint8_t flags);
std::string Describe(const wire::TcpRepr& tcp, size_t payload_len);

class CaptureSink : public SegmentSink {
 public:
  void Send(const OutSegment& segment) override;
  std::deque<Sent> sent;
  // Each segment is also emitted to bytes and parsed back, checksum
  // verified; a mismatch is a test failure.
  bool round_trip = true;
};

// Builds an InSegment from the peer's side; every field can be overridden.
class SegBuilder {
 public:
  SegBuilder();
  SegBuilder& From(wire::Ipv4Addr a, uint16_t port);
  SegBuilder& To(wire::Ipv4Addr a, uint16_t port);
  SegBuilder& Flags(uint8_t f);
  SegBuilder& Syn();
  SegBuilder& SynAck();
  SegBuilder& AckOnly();
  SegBuilder& Rst();
  SegBuilder& RstAck();
  SegBuilder& Fin();  // FIN+ACK
  SegBuilder& Seq(uint32_t s);
  SegBuilder& Ack(uint32_t a);
  SegBuilder& Window(uint16_t w);
  SegBuilder& Mss(uint16_t m);
  SegBuilder& WindowScale(uint8_t s);
  SegBuilder& SackPermitted();
  SegBuilder& Ts(uint32_t val, uint32_t ecr);
  // RFC 2018 SACK blocks [left, right), in the order given (at most 4).
  SegBuilder& Sack(std::initializer_list<std::pair<uint32_t, uint32_t>> blocks);
  SegBuilder& NoOptions();
  SegBuilder& Data(std::string_view bytes);
  SegBuilder& Data(size_t n, char fill = 'x');

  InSegment Build() const;
  const wire::TcpRepr& tcp() const { return tcp_; }

 private:
  wire::Ipv4Addr src_ = kRemoteAddr;
  wire::Ipv4Addr dst_ = kLocalAddr;
  wire::TcpRepr tcp_;
  std::shared_ptr<std::vector<uint8_t>> payload_;
};

// The fixture: one endpoint, a fake clock and the script helpers.
class ScriptTest : public ::testing::Test {
 protected:
  ScriptTest();
  void SetUp() override;
  // Rebuilds the endpoint from config_ (call after changing it).
  void Recreate();

  // ---- the peer's segments
  // A segment from the peer with the connection's ports and, unless
  // overridden, seq = peer_nxt_ and ack = our_nxt_ with ACK set.
  SegBuilder Peer() const;
  void Deliver(const SegBuilder& b);
  // Endpoint::Flush at now_. Deliver, Advance, Write, Read and every look at
  // what was sent call it, so scripts read the same with coalesce_sends on.
  void Flush();

  // ---- what the endpoint sent
  Sent Pop();
  // Pops the next segment and checks flags, seq and (when ACK) ack.
  Sent ExpectSent(uint8_t flags, uint32_t seq, uint32_t ack);
  Sent ExpectSent(uint8_t flags);
  void ExpectNothingSent();
  // A passive handshake from kRemoteAddr:port to the listener (SYN with
  // seq 1 and MSS 1460, the SYN-ACK checked for its flags, the final ACK);
  // returns the SYN-ACK's sequence number (our ISS).
  uint32_t PassiveHandshake(uint16_t port);
  size_t SentCount() {
    Flush();
    return sink_.sent.size();
  }
  void DropSent() { sink_.sent.clear(); }
  // The readiness bits PollEvents reports for conn_ (other events are
  // consumed and ignored).
  uint32_t TakeConnEvents();

  // ---- time
  // Moves the clock forward by d, firing due timers in order on the way.
  void Advance(Duration d);
  void AdvanceTo(Instant t);

  // ---- state fixtures, each built from the one before
  void MakeListen();
  void MakeSynReceived();        // SYN in, SYN-ACK out
  void MakeEstablished();        // + final ACK in, accepted
  void MakeCloseWait();          // + peer FIN in, ACK out
  void MakeLastAck();            // + our FIN out (application Close)
  void MakeFinWait1();           // from ESTABLISHED: application Close, FIN out
  void MakeFinWait2();           // + ACK of our FIN in
  void MakeTimeWait();           // + peer FIN in, ACK out
  void MakeClosing();            // FIN-WAIT-1 + peer FIN (ours not yet ACKed)
  void MakeSynSent();            // Connect: SYN out
  void MakeEstablishedActive();  // + SYN-ACK in, ACK out

  // The connection under test.
  const Connection* Conn() const { return ep_->Find(conn_); }
  State ConnState() const;
  uint64_t Drops(DropReason r) const { return ep_->stats().drops.Get(r); }
  std::string Read(size_t max = 65536);
  size_t Write(std::string_view data);

  EndpointConfig config_;
  ListenOptions listen_options_;
  ConnOptions connect_options_;
  CaptureSink sink_;
  std::unique_ptr<Endpoint> ep_;
  Instant now_ = Instant::FromNanos(1'000'000'000);
  ListenerHandle listener_;
  ConnHandle conn_;
  // Sequence bookkeeping from the peer's point of view.
  uint32_t peer_iss_ = 1000;  // the peer's ISN
  uint32_t peer_nxt_ = 0;     // the peer's next sequence number
  uint32_t our_iss_ = 0;      // the endpoint's ISN (from its SYN / SYN-ACK)
  uint32_t our_nxt_ = 0;      // what the peer acknowledges next
  uint32_t peer_tsval_ = 0;   // 0: the peer does not use timestamps
  bool peer_offers_options_ = true;  // MSS, wscale 7, SACK-perm on SYN
  // Shared SYN-cookie secrets for Recreate (null: the endpoint's own).
  const SynCookieSecretStore* cookie_store_ = nullptr;
};

}  // namespace tern::tcp::testing

#endif  // TERN_TESTS_SUPPORT_SCRIPT_H_
