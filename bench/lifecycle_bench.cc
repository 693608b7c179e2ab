// Connections per second through the TCP core, in memory, no NIC: a client
// endpoint and a server endpoint on one thread, each connection a whole life.
//
// BM_Lifecycle_ConnectionsPerSecond/N: per iteration N connections (the
// argument) are opened at once from the client's ephemeral ports to one
// listening port, and each lives as a short HTTP/1.0 exchange would:
// - the handshake with the options Linux clients send (MSS 1460,
//   SACK-permitted, timestamps, window scale: ConnOptions' defaults on both
//   sides), the server's half-open record promoted on the final ACK,
//   accepted;
// - a 100-byte request from the client, a 1024-byte response from the
//   server, which then closes (active close: its FIN rides on the response);
// - the client reads the response to the FIN and closes (LAST-ACK);
// - the server's connection sits in TIME-WAIT for 2 MSL (60 s, Linux's
//   TCP_TIMEWAIT_LEN) on the virtual clock, and the record expires by the
//   timer wheel before the iteration ends.
// Segments are handed across by value (header struct, payload copied into a
// reused buffer), each direction's queue delivered as one receive burst
// (Endpoint::OnSegments, as the port layer delivers an RX burst); no bytes,
// no checksums. When no segment is in flight the clock jumps to the next
// timer. Buffers are ConnOptions' defaults (256 KiB each way, taken on first
// data). The second argument says where buffers come from: 0, the process
// heap (HeapBufferAllocator, the engine's default without hugepage buffers);
// 1, a free list per buffer size that keeps what connections give back
// (RecyclingBuffers below), the per-lcore pool that doc/benchmarks.md's
// engine profile calls for, so the core's own cost shows without the heap's.
//
// connections_per_second is connections completed per CPU second of the one
// core that runs both ends. A connection that ends any other way (reset,
// refused, wrong response length) fails the benchmark.
// Method and results: doc/benchmarks.md.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <unordered_map>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp {
namespace {

constexpr wire::Ipv4Addr kClient = wire::Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr wire::Ipv4Addr kServer = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr uint16_t kPort = 80;
// An HTTP/1.0 GET with a few headers, and a response with a 1 KiB body as
// BM_Engine_ShortConnections uses (issue 12: "a 100-byte request, a 1 KB
// response").
constexpr size_t kRequestBytes = 100;
constexpr size_t kResponseBytes = 1024;

// Keeps every buffer given back on a free list of its size and hands it out
// again; memory goes back to the heap only when the benchmark ends.
class RecyclingBuffers final : public BufferAllocator {
 public:
  ~RecyclingBuffers() {
    for (auto& [bytes, list] : free_) {
      for (void* p : list) {
        ::operator delete (p, std::align_val_t{kBufferAlign});
      }
    }
  }
  void* Allocate(size_t bytes, size_t align) override {
    std::vector<void*>& list = free_[bytes];
    if (align <= kBufferAlign && !list.empty()) {
      void* p = list.back();
      list.pop_back();
      return p;
    }
    return ::operator new (bytes, std::align_val_t{kBufferAlign});
  }
  void Free(void* p, size_t bytes) override { free_[bytes].push_back(p); }

 private:
  std::unordered_map<size_t, std::vector<void*>> free_;
};

class Pair {
 public:
  Pair(Instant start, size_t conns, BufferAllocator* buffers)
      : now_(start), sinks_{Sink(this, 0), Sink(this, 1)} {
    EndpointConfig cfg;
    cfg.buffer_allocator = buffers;
    cfg.max_connections = 2 * conns;
    cfg.max_half_open = 2 * conns;
    cfg.max_time_wait = 2 * conns;
    cfg.max_backlog = conns;
    for (int s = 0; s < 2; ++s) {
      Endpoint::Secrets secrets;
      secrets.isn_key = SipKey{1, static_cast<uint64_t>(2 + s)};
      secrets.table_key = std::array<uint8_t, 16>{static_cast<uint8_t>(s)};
      ep_[s] = std::move(*Endpoint::Create(cfg, &sinks_[s], start, secrets));
      queue_[s].reserve(4 * conns);
      bytes_[s].reset(new uint8_t[kBytes]);
    }
  }

  Endpoint& client() { return *ep_[0]; }
  Endpoint& server() { return *ep_[1]; }
  Instant now() const { return now_; }

  // Delivers each direction's queue as one burst; returns false when both
  // were empty.
  bool Deliver() {
    bool moved = false;
    for (int s = 0; s < 2; ++s) {
      if (queue_[s].empty()) {
        continue;
      }
      // What the receiver sends goes to the other queue, so this one and
      // its bytes stay put during the burst. The segments were built in
      // place by the sink (their payloads point into bytes_[s]).
      ep_[1 - s]->OnSegments(queue_[s], now_);
      queue_[s].clear();
      used_[s] = 0;
      moved = true;
    }
    return moved;
  }

  // Nothing in flight: the clock jumps to the earliest timer and both
  // endpoints run theirs.
  void AdvanceToTimers() {
    const Instant d = std::min(ep_[0]->NextDeadline(), ep_[1]->NextDeadline());
    if (d > now_) {
      now_ = d;
    }
    ep_[0]->OnTimers(now_);
    ep_[1]->OnTimers(now_);
  }

 private:
  class Sink : public SegmentSink {
   public:
    Sink(Pair* pair, int side) : pair_(pair), side_(side) {}
    // The segment as the peer receives it, built once in the queue: the
    // harness stands for the wire, so it copies the payload (as a NIC
    // would) and nothing else twice.
    void Send(const OutSegment& s) override {
      const size_t len = s.PayloadLen();
      size_t& used = pair_->used_[side_];
      if (used + len > kBytes) {
        std::abort();  // a burst larger than any this benchmark makes
      }
      uint8_t* at = pair_->bytes_[side_].get() + used;
      s.payload.CopyTo(std::span<uint8_t>(at, len));
      used += len;
      InSegment& in = pair_->queue_[side_].emplace_back();
      in.src = s.src;
      in.dst = s.dst;
      in.tcp = s.tcp;
      in.tcp.payload = std::span<const uint8_t>(at, len);
    }

   private:
    Pair* pair_;
    int side_;
  };

  Instant now_;
  Sink sinks_[2];
  std::unique_ptr<Endpoint> ep_[2];
  // Payload bytes in flight per direction: the largest burst is every
  // connection's 1 KiB response at once, far below this.
  static constexpr size_t kBytes = 64 << 20;
  std::vector<InSegment> queue_[2];
  std::unique_ptr<uint8_t[]> bytes_[2];
  size_t used_[2] = {0, 0};
};

// The applications of both ends. Each connection's context counts the bytes
// it has read.
class Apps {
 public:
  Apps(Pair* pair, ListenerHandle listener)
      : pair_(pair), listener_(listener), events_(256) {}

  // Opens n connections; false on failure.
  bool Open(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (!pair_->client()
               .Connect(kClient, kServer, kPort, ConnOptions{}, pair_->now())
               .ok()) {
        return false;
      }
    }
    return true;
  }

  // Handles both ends' events; false when a connection ended badly.
  bool Step() {
    const Instant now = pair_->now();
    Endpoint& c = pair_->client();
    Endpoint& s = pair_->server();
    while (size_t n = s.PollEvents(events_)) {
      for (size_t i = 0; i < n; ++i) {
        const Event& e = events_[i];
        if ((e.mask & events::kAcceptable) != 0) {
          while (s.Accept(listener_).has_value()) {
          }
          continue;
        }
        if ((e.mask & (events::kReset | events::kTimedOut)) != 0) {
          return false;
        }
        if ((e.mask & events::kReadable) != 0) {
          const size_t got = e.context + Drain(s, e.conn, now);
          s.SetContext(e.conn, got);
          if (got == kRequestBytes) {
            if (s.Send(e.conn, response_, now).bytes != kResponseBytes) {
              return false;
            }
            s.Close(e.conn, now);
          }
        }
      }
    }
    while (size_t n = c.PollEvents(events_)) {
      for (size_t i = 0; i < n; ++i) {
        const Event& e = events_[i];
        if ((e.mask &
             (events::kReset | events::kTimedOut | events::kRefused)) != 0) {
          return false;
        }
        if ((e.mask & events::kConnected) != 0) {
          if (c.Send(e.conn, request_, now).bytes != kRequestBytes) {
            return false;
          }
        }
        size_t got = e.context;
        if ((e.mask & events::kReadable) != 0) {
          got += Drain(c, e.conn, now);
          c.SetContext(e.conn, got);
        }
        if ((e.mask & events::kPeerClosed) != 0) {
          if (got != kResponseBytes) {
            return false;
          }
          c.Close(e.conn, now);
          ++completed_;
        }
      }
    }
    return true;
  }

  uint64_t completed() const { return completed_; }

 private:
  size_t Drain(Endpoint& ep, ConnHandle h, Instant now) {
    size_t total = 0;
    while (true) {
      IoResult r = ep.Recv(h, buf_, now);
      if (!r.ok() || r.bytes == 0) {
        return total;
      }
      total += r.bytes;
    }
  }

  Pair* pair_;
  ListenerHandle listener_;
  std::vector<Event> events_;
  std::array<uint8_t, kRequestBytes> request_{};
  std::array<uint8_t, kResponseBytes> response_{};
  std::array<uint8_t, 2048> buf_{};
  uint64_t completed_ = 0;
};

void BM_Lifecycle_ConnectionsPerSecond(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  RecyclingBuffers recycling;
  Pair pair(Instant::FromNanos(1'000'000'000), n,
            state.range(1) == 1 ? &recycling : nullptr);
  ListenOptions lo;
  lo.backlog = n;
  ListenerHandle l = *pair.server().Listen(kServer, kPort, lo);
  Apps apps(&pair, l);
  uint64_t frames = 0;
  for (auto _ : state) {
    const uint64_t before = apps.completed();
    if (!apps.Open(n)) {
      state.SkipWithError("connect failed");
      return;
    }
    // Until every connection is gone from both ends, TIME-WAIT included.
    while (pair.client().connection_count() > 0 ||
           pair.server().connection_count() > 0 ||
           pair.server().time_wait_count() > 0 ||
           pair.client().time_wait_count() > 0) {
      if (!pair.Deliver()) {
        pair.AdvanceToTimers();
      }
      if (!apps.Step()) {
        state.SkipWithError("a connection failed");
        return;
      }
    }
    if (apps.completed() - before != n) {
      state.SkipWithError("not every connection completed");
      return;
    }
  }
  frames = pair.client().stats().segments_out.Get() +
           pair.server().stats().segments_out.Get();
  const double conns = static_cast<double>(apps.completed());
  state.counters["connections_per_second"] =
      benchmark::Counter(conns, benchmark::Counter::kIsRate);
  state.counters["segments_per_connection"] =
      static_cast<double>(frames) / conns;
  // Each connection's server end held TIME-WAIT and it expired (no
  // overflow, no reopen shortcut): both ratios are 1.
  state.counters["time_wait_expired_per_connection"] =
      static_cast<double>(pair.server().stats().time_wait_expired.Get()) /
      conns;
  state.counters["time_wait_overflow"] =
      static_cast<double>(pair.server().stats().time_wait_overflow.Get());
}
BENCHMARK(BM_Lifecycle_ConnectionsPerSecond)
    ->ArgNames({"conns", "recycled_buffers"})
    ->Args({256, 0})
    ->Args({256, 1})
    ->Args({4096, 1});

}  // namespace
}  // namespace tern::tcp
