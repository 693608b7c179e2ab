// TimerWheel benchmarks: arm+cancel, re-arm and firing rate with 1M and 10M
// timers armed (doc/timer_wheel.md, doc/benchmarks/timers.md).
#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/tcp/timer_wheel.h"

namespace tern::tcp {
namespace {

// Deadlines spread like a TCP endpoint's: mostly RTOs (up to 1 s) and
// delayed ACKs, some keepalives up to two hours.
Instant RandomDeadline(std::mt19937_64& rng, Instant now) {
  const uint64_t r = rng();
  const int64_t span_ns =
      (r & 7) == 0 ? int64_t{7200} * 1'000'000'000 : int64_t{1'000'000'000};
  return now + Duration::Nanos(static_cast<int64_t>(
                   (r >> 3) % static_cast<uint64_t>(span_ns)));
}

// Timer nodes live in the owners' records, which the port layer allocates
// from DPDK's huge-page memory; 2 MiB transparent huge pages stand in for it
// here so that TLB misses on a 320 MB array do not dominate the figures.
struct NodeArray {
  explicit NodeArray(size_t n) : size(n) {
    const size_t huge = size_t{2} << 20;
    const size_t bytes = (n * sizeof(TimerNode) + huge - 1) / huge * huge;
    void* mem = std::aligned_alloc(huge, bytes);
    (void)madvise(mem, bytes, MADV_HUGEPAGE);
    data.reset(new (mem) TimerNode[n]);
  }
  TimerNode& operator[](size_t i) { return data[i]; }
  struct Free {
    void operator()(TimerNode* p) const { std::free(p); }
  };
  std::unique_ptr<TimerNode[], Free> data;
  size_t size;
};

struct Loaded {
  explicit Loaded(size_t n) : nodes(n) {
    std::mt19937_64 rng(1);
    for (size_t i = 0; i < n; ++i) {
      wheel.Arm(&nodes[i], RandomDeadline(rng, Instant()));
    }
  }
  TimerWheel wheel{TimerWheel::Options{}};
  NodeArray nodes;
};

// Arms a node that was not armed and cancels it: the per-segment pattern of
// a retransmission timer that the ACK clears.
void BM_ArmCancel(benchmark::State& state) {
  Loaded loaded(static_cast<size_t>(state.range(0)));
  std::mt19937_64 rng(2);
  std::vector<Instant> deadlines(4096);
  for (Instant& d : deadlines) {
    d = RandomDeadline(rng, Instant());
  }
  TimerNode node;
  size_t i = 0;
  for (auto _ : state) {
    loaded.wheel.Arm(&node, deadlines[i++ & 4095]);
    loaded.wheel.Cancel(&node);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ArmCancel)->Arg(1'000'000)->Arg(10'000'000);

// Moves an armed timer (one of the loaded ones, random) to a new deadline.
void BM_ReArm(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Loaded loaded(n);
  std::mt19937_64 rng(3);
  std::vector<uint32_t> which(4096);
  std::vector<Instant> deadlines(4096);
  for (size_t j = 0; j < 4096; ++j) {
    which[j] = static_cast<uint32_t>(rng() % n);
    deadlines[j] = RandomDeadline(rng, Instant());
  }
  size_t i = 0;
  for (auto _ : state) {
    const size_t j = i++ & 4095;
    loaded.wheel.Arm(&loaded.nodes[which[j]], deadlines[j]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReArm)->Arg(1'000'000)->Arg(10'000'000);

// Advances over n timers all due within 1 s, counting fires per second
// (cascades included); the callback only counts.
void BM_AdvanceFire(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  NodeArray nodes(n);
  std::mt19937_64 rng(4);
  std::vector<Instant> deadlines(n);
  for (Instant& d : deadlines) {
    d = Instant() +
        Duration::Nanos(static_cast<int64_t>(rng() % 1'000'000'000));
  }
  size_t fired = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TimerWheel wheel{TimerWheel::Options{}};
    for (size_t i = 0; i < n; ++i) {
      nodes[i] = TimerNode{};
      wheel.Arm(&nodes[i], deadlines[i]);
    }
    state.ResumeTiming();
    // 1 ms steps, as a poll loop would call it.
    for (int ms = 1; ms <= 1001; ++ms) {
      fired += wheel.Advance(Instant() + Duration::Millis(ms), SIZE_MAX,
                             [](TimerNode* t) { benchmark::DoNotOptimize(t); });
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(fired));
}
BENCHMARK(BM_AdvanceFire)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

}  // namespace
}  // namespace tern::tcp
