// Costs of the SYN-cookie path and its primitives: SipHash-2-4 on three words,
// cookie encode, cookie decode, a full encode+decode round, RFC 6528 ISN.
// Method and results: doc/benchmarks/cookie.md.
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "lib/base/siphash.h"
#include "lib/tcp/isn.h"
#include "lib/tcp/syn_cookie.h"

namespace tern::tcp {
namespace {

constexpr SipKey kKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
const SynCookieSecrets kSecrets{kKey};

// Tuples vary per iteration so the compiler cannot hoist the hash, as on a
// real SYN flood where every segment carries a new source.
FourTuple TupleFor(uint32_t i) {
  return FourTuple{.local_addr = wire::Ipv4Addr::FromOctets(10, 0, 0, 1),
                   .remote_addr = wire::Ipv4Addr{0xc0000000u + i},
                   .local_port = 443,
                   .remote_port = static_cast<uint16_t>(1024 + (i & 0x3fff))};
}

void BM_SipHash24Words3(benchmark::State& state) {
  uint64_t a = 1;
  for (auto _ : state) {
    const uint64_t h = SipHash24Words(kKey, a, a + 1, a + 2);
    benchmark::DoNotOptimize(h);
    ++a;
  }
}
BENCHMARK(BM_SipHash24Words3);

// range(0) messages of three words per call, through the dispatched batch
// (AVX-512F where the CPU has it) or, range(1) == 0, the scalar loop;
// items_per_second counts messages.
void BM_SipHash24Words3Batch(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool dispatched = state.range(1) != 0;
  std::vector<uint64_t> a(n), b(n), c(n), out(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = i;
    b[i] = i * 7;
    c[i] = i * 13;
  }
  for (auto _ : state) {
    if (dispatched) {
      SipHash24Words3Batch(kKey, a.data(), b.data(), c.data(), out.data(), n);
    } else {
      siphash_internal::Words3BatchScalar(kKey, a.data(), b.data(), c.data(),
                                          out.data(), n);
    }
    benchmark::DoNotOptimize(out.data());
    a[0] += out[n - 1];
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
  state.counters["vectorized"] = dispatched && SipHashBatchIsVectorized();
}
BENCHMARK(BM_SipHash24Words3Batch)
    ->ArgNames({"n", "dispatched"})
    ->ArgsProduct({{8, 32}, {0, 1}});

void BM_CookieEncode(benchmark::State& state) {
  uint32_t i = 0;
  for (auto _ : state) {
    const SeqNum c = EncodeSynCookie(TupleFor(i), SeqNum(i * 2654435761u), 4,
                                     1000, kSecrets);
    benchmark::DoNotOptimize(c);
    ++i;
  }
}
BENCHMARK(BM_CookieEncode);

void BM_CookieDecode(benchmark::State& state) {
  // A valid cookie each time: the full path, counter and index checks then
  // the MAC.
  constexpr uint32_t kN = 1024;
  SeqNum cookies[kN];
  for (uint32_t i = 0; i < kN; ++i) {
    cookies[i] = EncodeSynCookie(TupleFor(i), SeqNum(i * 2654435761u), 4, 1000,
                                 kSecrets);
  }
  uint32_t i = 0;
  for (auto _ : state) {
    const uint32_t k = i % kN;
    const CookieDecodeResult r = DecodeSynCookie(
        TupleFor(k), cookies[k], SeqNum(k * 2654435761u), 1000, kSecrets);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_CookieDecode);

void BM_CookieEncodeDecode(benchmark::State& state) {
  uint32_t i = 0;
  for (auto _ : state) {
    const FourTuple t = TupleFor(i);
    const SeqNum isn(i * 2654435761u);
    const SeqNum c = EncodeSynCookie(t, isn, 4, 1000, kSecrets);
    const CookieDecodeResult r = DecodeSynCookie(t, c, isn, 1001, kSecrets);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(BM_CookieEncodeDecode);

void BM_IsnGenerate(benchmark::State& state) {
  const IsnGenerator gen(kKey);
  uint32_t i = 0;
  for (auto _ : state) {
    const SeqNum isn =
        gen.Generate(TupleFor(i), Instant::FromNanos(int64_t{i} * 1000));
    benchmark::DoNotOptimize(isn);
    ++i;
  }
}
BENCHMARK(BM_IsnGenerate);

}  // namespace
}  // namespace tern::tcp
