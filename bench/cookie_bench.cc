// Costs of the SYN-cookie path and its primitives: SipHash-2-4 on three words,
// cookie encode, cookie decode, a full encode+decode round, RFC 6528 ISN.
// Method and results: doc/benchmarks/cookie.md.
#include <cstdint>

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
