// Memory per idle connection, measured from the allocator, in memory, no NIC.
//
// BM_IdleConnections/N opens N connections from a client endpoint to a
// server endpoint on one thread, in batches of kBatch (the handshake with the
// options Linux clients send: ConnOptions' defaults on both sides), accepts
// them, lets every timer the handshakes left run out on the virtual clock,
// and leaves them idle in ESTABLISHED with empty buffers. Before the first
// endpoint is created and after the last connection is idle it reads the
// allocator's in-use bytes (glibc mallinfo2: uordblks, the heap's chunks in
// use, plus hblkhd, its mmapped chunks), so the figure covers everything the
// endpoints hold for the connections: the connection records (the slab,
// sized max_connections = N), the connection table, the out-of-line pools,
// the half-open and TIME-WAIT slabs, the timer wheel, buffers, and the
// endpoints themselves. The harness's own queues are emptied and given back
// before the second reading.
//
// Counters:
// - bytes_per_connection: the allocator's growth divided by 2N, the bytes a
//   terminator spends on one end of an idle connection (each connection has
//   a record on both endpoints). Target (issue 12): <= 512.
// - bytes_total: the allocator's growth for both endpoints.
// - endpoint_bytes_per_connection: Endpoint::MemoryBytes() of the server
//   divided by N, the endpoint's own accounting of the same memory.
// - buffer_bytes: send and receive buffer memory held by the server's idle
//   connections (0: an idle connection holds none).
//
// N = 1,000,000 runs by default (about 2 GB at today's size). 10,000,000
// needs about 20 GB and runs only with TERN_BENCH_IDLE_10M=1 in the
// environment. Method and results: doc/benchmarks.md.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp {
namespace {

constexpr wire::Ipv4Addr kServer = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr uint16_t kPort = 80;
// Client ports per client address: the 4-tuples of N connections to one
// server port need N / kPortsPerAddress client addresses.
constexpr uint32_t kPortsPerAddress = 60000;
constexpr uint32_t kFirstClientPort = 1024;
// Connections opened at once: the harness's queues stay small (a few
// segments per connection in flight) and the server's half-open records and
// accept queue never pass it.
constexpr size_t kBatch = 4096;

size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Two endpoints whose segments are handed across by value (as
// lifecycle_bench.cc's Pair); handshakes carry no payload.
class Pair {
 public:
  Pair(Instant start, size_t conns)
      : now_(start), sinks_{{this, 0}, {this, 1}} {
    EndpointConfig cfg;
    cfg.max_connections = conns;
    cfg.max_backlog = kBatch;
    for (int s = 0; s < 2; ++s) {
      Endpoint::Secrets secrets;
      secrets.isn_key = SipKey{1, static_cast<uint64_t>(2 + s)};
      secrets.table_key = std::array<uint8_t, 16>{static_cast<uint8_t>(s)};
      ep_[s] = std::move(*Endpoint::Create(cfg, &sinks_[s], start, secrets));
    }
  }

  Endpoint& client() { return *ep_[0]; }
  Endpoint& server() { return *ep_[1]; }
  Instant now() const { return now_; }

  // Delivers each direction's queue as one burst; false when both were
  // empty.
  bool Deliver() {
    bool moved = false;
    for (int s = 0; s < 2; ++s) {
      if (queue_[s].empty()) {
        continue;
      }
      batch_.swap(queue_[s]);
      queue_[s].clear();
      ep_[1 - s]->OnSegments(batch_, now_);
      batch_.clear();
      moved = true;
    }
    return moved;
  }

  // Runs both endpoints' timers until none is left before `until`.
  void RunTimersUntil(Instant until) {
    while (true) {
      Deliver();
      const Instant d =
          std::min(ep_[0]->NextDeadline(), ep_[1]->NextDeadline());
      if (d > until) {
        return;
      }
      now_ = std::max(now_, d);
      ep_[0]->OnTimers(now_);
      ep_[1]->OnTimers(now_);
    }
  }

  void FreeQueues() {
    for (auto& q : queue_) {
      std::vector<InSegment>().swap(q);
    }
    std::vector<InSegment>().swap(batch_);
  }

 private:
  class Sink : public SegmentSink {
   public:
    Sink(Pair* pair, int side) : pair_(pair), side_(side) {}
    void Send(const OutSegment& s) override {
      pair_->queue_[side_].push_back(InSegment{s.src, s.dst, s.tcp});
      pair_->queue_[side_].back().tcp.payload = {};
    }

   private:
    Pair* pair_;
    int side_;
  };

  Instant now_;
  Sink sinks_[2];
  std::unique_ptr<Endpoint> ep_[2];
  std::vector<InSegment> queue_[2];
  std::vector<InSegment> batch_;
};

void BM_IdleConnections(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    const size_t before = HeapInUse();
    auto pair = std::make_unique<Pair>(Instant::FromNanos(1'000'000'000), n);
    ListenOptions lo;
    lo.backlog = kBatch;
    ListenerHandle listener = *pair->server().Listen(kServer, kPort, lo);
    std::vector<ConnHandle> accepted(kBatch);
    size_t opened = 0;
    size_t established = 0;
    while (opened < n) {
      const size_t batch = std::min(kBatch, n - opened);
      for (size_t i = 0; i < batch; ++i, ++opened) {
        const uint32_t a = static_cast<uint32_t>(opened / kPortsPerAddress);
        const wire::Ipv4Addr client{0x0a010000u + a};  // 10.1.0.0 + a
        const uint16_t port =
            static_cast<uint16_t>(kFirstClientPort + opened % kPortsPerAddress);
        if (!pair->client()
                 .Connect(client, kServer, kPort, ConnOptions{}, pair->now(),
                          port)
                 .ok()) {
          state.SkipWithError("connect failed");
          return;
        }
      }
      while (pair->Deliver()) {
      }
      while (size_t k = pair->server().Accept(listener, accepted)) {
        established += k;
      }
    }
    // The handshakes' timers (none should be left in ESTABLISHED without
    // data), then one reclaim period later still.
    pair->RunTimersUntil(pair->now() + Duration::Seconds(1));
    pair->FreeQueues();
    if (established != n || pair->server().connection_count() != n ||
        pair->client().connection_count() != n) {
      state.SkipWithError("not every connection established");
      return;
    }
    const size_t after = HeapInUse();
    const double grown = static_cast<double>(after - before);
    state.counters["bytes_total"] = grown;
    state.counters["bytes_per_connection"] = grown / (2.0 * n);
    state.counters["endpoint_bytes_per_connection"] =
        static_cast<double>(pair->server().MemoryBytes()) / n;
    state.counters["buffer_bytes"] =
        static_cast<double>(pair->server().buffer_bytes());
    state.counters["sizeof_connection"] = sizeof(Connection);
    state.PauseTiming();
    pair.reset();
    state.ResumeTiming();
  }
}

void IdleArgs(benchmark::internal::Benchmark* b) {
  b->ArgName("conns")->Arg(1'000'000);
  const char* big = std::getenv("TERN_BENCH_IDLE_10M");
  if (big != nullptr && big[0] == '1') {
    b->Arg(10'000'000);
  }
}
BENCHMARK(BM_IdleConnections)
    ->Apply(IdleArgs)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tern::tcp
