// ConnTable benchmarks: lookup hit and miss, single Find and FindBurst of 32
// random keys, at 1M and 10M entries (doc/conn_table.md,
// doc/benchmarks/timers.md). Keys are random and the table far larger than
// the caches, so lookups miss the cache as they do under real traffic.
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/tcp/conn_table.h"

namespace tern::tcp {
namespace {

constexpr std::array<uint8_t, 16> kKey = {7, 1, 8, 2, 8, 1, 8, 2,
                                          8, 4, 5, 9, 0, 4, 5, 2};
// Lookup keys are drawn from a list this long: bigger than the L2 cache
// (16 bytes each), so reading them is a stream, not the measurement.
constexpr size_t kProbeKeys = size_t{1} << 20;

FourTuple RandomTuple(std::mt19937_64& rng) {
  const uint64_t r = rng();
  const uint64_t s = rng();
  return FourTuple{wire::Ipv4Addr{static_cast<uint32_t>(r)},
                   wire::Ipv4Addr{static_cast<uint32_t>(r >> 32)},
                   static_cast<uint16_t>(s), static_cast<uint16_t>(s >> 16)};
}

struct Fixture {
  explicit Fixture(size_t n) : table(*ConnTable::Create(n, kKey)) {
    std::mt19937_64 rng(n);
    std::vector<FourTuple> present(n);
    for (size_t i = 0; i < n; ++i) {
      present[i] = RandomTuple(rng);
      table.Insert(present[i], static_cast<uint32_t>(i));
    }
    hits.resize(kProbeKeys);
    misses.resize(kProbeKeys);
    for (size_t i = 0; i < kProbeKeys; ++i) {
      hits[i] = present[rng() % n];
      misses[i] = RandomTuple(rng);
    }
  }
  ConnTable table;
  std::vector<FourTuple> hits;
  std::vector<FourTuple> misses;
};

Fixture& Get(size_t n) {
  // One fixture per size, kept across benchmarks: building 10M takes seconds.
  static Fixture* f1 = nullptr;
  static Fixture* f10 = nullptr;
  Fixture*& f = n == 1'000'000 ? f1 : f10;
  if (f == nullptr) {
    f = new Fixture(n);
  }
  return *f;
}

void BM_Find(benchmark::State& state) {
  Fixture& f = Get(static_cast<size_t>(state.range(0)));
  const std::vector<FourTuple>& keys = state.range(1) ? f.hits : f.misses;
  size_t i = 0;
  size_t found = 0;
  for (auto _ : state) {
    const std::optional<uint32_t> v =
        f.table.Find(keys[i++ & (kProbeKeys - 1)]);
    found += v.has_value() ? 1 : 0;
    benchmark::DoNotOptimize(v);
  }
  state.counters["hit_ratio"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}

// One iteration is one burst of 32 keys; items are keys, so the reported
// time per item is ns per key.
void BM_FindBurst32(benchmark::State& state) {
  Fixture& f = Get(static_cast<size_t>(state.range(0)));
  const std::vector<FourTuple>& keys = state.range(1) ? f.hits : f.misses;
  std::array<std::optional<uint32_t>, 32> out;
  size_t base = 0;
  for (auto _ : state) {
    f.table.FindBurst(std::span(keys).subspan(base, 32), out);
    benchmark::DoNotOptimize(out);
    base = (base + 32) & (kProbeKeys - 1);
  }
  state.SetItemsProcessed(state.iterations() * 32);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"entries", "hit"});
  for (int64_t n : {1'000'000, 10'000'000}) {
    b->Args({n, 1});
    b->Args({n, 0});
  }
}
BENCHMARK(BM_Find)->Apply(Args);

// The SYN flood's lookups: a table sized as bench/synflood's tern (65,536
// connections, 1.2 MB of buckets: more than this machine's 1 MiB L2) holding
// `entries` connections, probed in bursts of 32 with random absent tuples,
// as spoofed SYNs arrive; the table's memory is touched once before timing.
void BM_FindBurst32_Flood(benchmark::State& state) {
  ConnTable table = *ConnTable::Create(65'536, kKey);
  std::mt19937_64 rng(11);
  for (int64_t i = 0; i < state.range(0); ++i) {
    table.Insert(RandomTuple(rng), static_cast<uint32_t>(i));
  }
  std::vector<FourTuple> misses(kProbeKeys);
  for (FourTuple& k : misses) {
    k = RandomTuple(rng);
  }
  std::array<std::optional<uint32_t>, 32> out;
  size_t base = 0;
  size_t found = 0;
  for (auto _ : state) {
    table.FindBurst(std::span(misses).subspan(base, 32), out);
    benchmark::DoNotOptimize(out);
    found += out[0].has_value() ? 1 : 0;
    base = (base + 32) & (kProbeKeys - 1);
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(state.iterations() * 32);
}
BENCHMARK(BM_FindBurst32_Flood)->ArgName("entries")->Arg(0)->Arg(50'000);
BENCHMARK(BM_FindBurst32)->Apply(Args);

}  // namespace
}  // namespace tern::tcp
