// Bulk transfer between two endpoints on one core, 1460-byte segments, one
// direction (A sends, B receives and ACKs), zero latency.
//
// - BM_Transfer_WireLink: over FaultyLink (tests/support/faulty_link.h):
//   every segment is emitted to bytes with its checksum and parsed back with
//   checksum verification, through the link's event queue; args: loss in
//   per mille (0 and 10 = 1%).
// - BM_Transfer_Direct: the core alone: segments are handed across by value
//   (header struct + payload copy into a reused buffer), no bytes, no
//   checksum, no event queue.
// - BM_Transfer_DirectRef: as Direct, but A queues its data by reference
//   (Endpoint::SendRef) in chunks of the argument's size (1460: one chunk
//   per segment, as mbufs would be; 65536: large application buffers)
//   instead of copying it into the send ring.
// bytes_per_second counts payload; ns_per_segment is CPU time per data
// segment sent by A (retransmissions included). Method and results:
// doc/reliable_transfer.md.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <vector>

#include "tests/support/faulty_link.h"

namespace tern::tcp::testing {
namespace {

constexpr wire::Ipv4Addr kAddrA = wire::Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr wire::Ipv4Addr kAddrB = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr uint16_t kPort = 5001;
constexpr uint64_t kBytesPerIteration = 64ull << 20;

ConnOptions Buffers() {
  ConnOptions o;
  o.send_buffer = 2 << 20;
  o.recv_buffer = 2 << 20;
  return o;
}

EndpointConfig Config() {
  EndpointConfig c;
  c.max_connections = 16;
  c.max_half_open = 16;
  c.max_time_wait = 16;
  c.conn_defaults = Buffers();
  return c;
}

// Counts the chunks the endpoint hands back.
class CountingOwner : public PayloadOwner {
 public:
  void Release(uint64_t token) override {
    ++released;
    last_token = token;
  }
  uint64_t released = 0;
  uint64_t last_token = 0;
};

// The application of both sides: A writes from a fixed 64 KiB block (copied,
// or referenced in chunks of ref_chunk bytes), B reads into one; both only
// count.
struct App {
  std::vector<uint8_t> block = std::vector<uint8_t>(64 * 1024, 0x5a);
  std::vector<uint8_t> sink = std::vector<uint8_t>(64 * 1024);
  uint64_t to_send = 0;
  uint64_t received = 0;
  size_t ref_chunk = 0;  // 0: Send (copy)
  uint64_t queued_refs = 0;
  CountingOwner owner;

  void Step(Endpoint& a, ConnHandle ca, Endpoint& b, ConnHandle cb,
            Instant now) {
    while (ref_chunk > 0 && to_send > 0) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(to_send, ref_chunk));
      IoResult r = a.SendRef(
          ca, PayloadRef{std::span(block).first(n), &owner, queued_refs}, now);
      if (!r.ok()) {
        break;
      }
      ++queued_refs;
      to_send -= r.bytes;
    }
    while (to_send > 0) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(to_send, block.size()));
      IoResult r = a.Send(ca, std::span(block).first(n), now);
      if (!r.ok() || r.bytes == 0) {
        break;
      }
      to_send -= r.bytes;
    }
    while (true) {
      IoResult r = b.Recv(cb, sink, now);
      if (!r.ok() || r.bytes == 0) {
        break;
      }
      received += r.bytes;
    }
  }
};

void BM_Transfer_WireLink(benchmark::State& state) {
  DirectionFaults f;
  f.drop = static_cast<double>(state.range(0)) / 1000.0;
  FaultyLink link(FaultSeed(1), FaultOptions::Symmetric(f), Config(), Config());
  ListenOptions lo;
  lo.conn = Buffers();
  ListenerHandle l = *link.b().Listen(kAddrB, kPort, lo);
  ConnHandle ca =
      *link.a().Connect(kAddrA, kAddrB, kPort, Buffers(), link.now());
  std::optional<ConnHandle> cb;
  link.RunUntil(
      [&] {
        cb = link.b().Accept(l);
        return cb.has_value();
      },
      link.now() + Duration::Seconds(600));
  if (!cb.has_value()) {
    state.SkipWithError("handshake failed");
    return;
  }
  App app;
  link.SetApp([&] { app.Step(link.a(), ca, link.b(), *cb, link.now()); });
  const uint64_t seg0 = link.stats(FaultyLink::kA).sent;
  for (auto _ : state) {
    app.to_send = kBytesPerIteration;
    const uint64_t target = app.received + kBytesPerIteration;
    if (!link.RunUntil([&] { return app.received >= target; },
                       link.now() + Duration::Seconds(24 * 3600))) {
      state.SkipWithError("transfer stuck");
      return;
    }
  }
  const double segments =
      static_cast<double>(link.stats(FaultyLink::kA).sent - seg0);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kBytesPerIteration));
  state.counters["ns_per_segment"] =
      benchmark::Counter(segments * 1e-9, benchmark::Counter::kIsRate |
                                              benchmark::Counter::kInvert);
  state.counters["segments"] = segments;
  state.counters["retransmits"] =
      static_cast<double>(link.a().stats().retransmits.Get());
}
BENCHMARK(BM_Transfer_WireLink)->Arg(0)->Arg(10)->Unit(benchmark::kMillisecond);

// Two endpoints handing segments across by value. Packets are queued per
// direction in reused vectors (no allocation once warm) and delivered
// alternately, as Link does.
class DirectLink {
 public:
  struct Pkt {
    wire::Ipv4Addr src;
    wire::Ipv4Addr dst;
    wire::TcpRepr tcp;
    size_t len = 0;
    std::array<uint8_t, 1500> payload;
  };

  explicit DirectLink(Instant start)
      : now_(start), sinks_{Sink(this, 0), Sink(this, 1)} {
    for (int s = 0; s < 2; ++s) {
      ep_[s] = MakeTestEndpoint(Config(), &sinks_[s], start, s);
      queue_[s].reserve(4096);
    }
  }

  Endpoint& ep(int s) { return *ep_[s]; }
  Instant now() const { return now_; }
  uint64_t data_segments(int s) const { return data_segments_[s]; }

  // Delivers until both queues are empty, then, if nothing moved, advances
  // the clock to the next timer.
  void Run() {
    bool moved = false;
    while (head_[0] < queue_[0].size() || head_[1] < queue_[1].size()) {
      for (int s = 0; s < 2; ++s) {
        if (head_[s] < queue_[s].size()) {
          Pkt& p = queue_[s][head_[s]++];
          p.tcp.payload = std::span<const uint8_t>(p.payload.data(), p.len);
          ep_[1 - s]->OnSegment(InSegment{p.src, p.dst, p.tcp}, now_);
          moved = true;
        }
        if (head_[s] == queue_[s].size()) {
          head_[s] = 0;
          queue_[s].clear();
        }
      }
    }
    if (!moved) {
      const Instant d =
          std::min(ep_[0]->NextDeadline(), ep_[1]->NextDeadline());
      now_ = d > now_ ? d : now_ + Duration::Micros(66);
      ep_[0]->OnTimers(now_);
      ep_[1]->OnTimers(now_);
    }
  }

 private:
  class Sink : public SegmentSink {
   public:
    Sink(DirectLink* link, int side) : link_(link), side_(side) {}
    void Send(const OutSegment& s) override {
      std::vector<Pkt>& q = link_->queue_[side_];
      q.emplace_back();
      Pkt& p = q.back();
      p.src = s.src;
      p.dst = s.dst;
      p.tcp = s.tcp;
      p.len = s.PayloadLen();
      s.payload.CopyTo(p.payload);
      if (p.len > 0) {
        ++link_->data_segments_[side_];
      }
    }

   private:
    DirectLink* link_;
    int side_;
  };

  Instant now_;
  Sink sinks_[2];
  std::unique_ptr<Endpoint> ep_[2];
  std::vector<Pkt> queue_[2];
  size_t head_[2] = {0, 0};
  uint64_t data_segments_[2] = {0, 0};
};

void RunDirect(benchmark::State& state, size_t ref_chunk) {
  DirectLink link(Instant::FromNanos(1'000'000'000));
  ListenOptions lo;
  lo.conn = Buffers();
  ListenerHandle l = *link.ep(1).Listen(kAddrB, kPort, lo);
  ConnOptions co = Buffers();
  // Enough chunk slots for the whole 2 MiB send buffer in 1460-byte chunks.
  co.send_ref_chunks = 2048;
  ConnHandle ca = *link.ep(0).Connect(kAddrA, kAddrB, kPort, co, link.now());
  link.Run();
  std::optional<ConnHandle> cb = link.ep(1).Accept(l);
  if (!cb.has_value()) {
    state.SkipWithError("handshake failed");
    return;
  }
  App app;
  app.ref_chunk = ref_chunk;
  const uint64_t seg0 = link.data_segments(0);
  for (auto _ : state) {
    app.to_send = kBytesPerIteration;
    const uint64_t target = app.received + kBytesPerIteration;
    while (app.received < target) {
      app.Step(link.ep(0), ca, link.ep(1), *cb, link.now());
      link.Run();
    }
  }
  const double segments = static_cast<double>(link.data_segments(0) - seg0);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kBytesPerIteration));
  state.counters["ns_per_segment"] =
      benchmark::Counter(segments * 1e-9, benchmark::Counter::kIsRate |
                                              benchmark::Counter::kInvert);
  state.counters["segments"] = segments;
  if (ref_chunk > 0) {
    // Every chunk but those still unacknowledged came back exactly once.
    if (app.owner.released > app.queued_refs) {
      state.SkipWithError("more releases than chunks");
    }
    state.counters["chunks_released"] = static_cast<double>(app.owner.released);
  }
}

void BM_Transfer_Direct(benchmark::State& state) { RunDirect(state, 0); }
BENCHMARK(BM_Transfer_Direct)->Unit(benchmark::kMillisecond);

void BM_Transfer_DirectRef(benchmark::State& state) {
  RunDirect(state, static_cast<size_t>(state.range(0)));
}
BENCHMARK(BM_Transfer_DirectRef)
    ->Arg(1460)
    ->Arg(65536)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tern::tcp::testing
