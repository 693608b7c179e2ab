// IsnGenerator (RFC 6528 section 3): clock behaviour and keyed separation.
#include "lib/tcp/isn.h"

#include <bit>
#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

constexpr SipKey kKey{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

FourTuple Tuple(uint32_t remote, uint16_t remote_port) {
  return FourTuple{.local_addr = wire::Ipv4Addr::FromOctets(10, 0, 0, 1),
                   .remote_addr = wire::Ipv4Addr{remote},
                   .local_port = 80,
                   .remote_port = remote_port};
}

Instant At(Duration d) { return Instant() + d; }

TEST(Isn, SameTupleSameInstant_SameIsn) {
  const IsnGenerator gen(kKey);
  const FourTuple t = Tuple(0x0a000002, 40000);
  EXPECT_EQ(gen.Generate(t, At(Duration::Seconds(3))),
            gen.Generate(t, At(Duration::Seconds(3))));
}

TEST(Isn, SameTuple_AdvancesOnePerFourMicros) {
  const IsnGenerator gen(kKey);
  const FourTuple t = Tuple(0x0a000002, 40000);
  const Instant t0 = At(Duration::Seconds(100));
  const SeqNum base = gen.Generate(t, t0);
  EXPECT_EQ(gen.Generate(t, t0 + Duration::Micros(4)) - base, 1);
  EXPECT_EQ(gen.Generate(t, t0 + Duration::Micros(400)) - base, 100);
  EXPECT_EQ(gen.Generate(t, t0 + Duration::Seconds(1)) - base, 250'000);
}

TEST(Isn, SameTuple_FourMicroGranularity) {
  const IsnGenerator gen(kKey);
  const FourTuple t = Tuple(0x0a000002, 40000);
  // t0 sits on a tick boundary: 1 s is 250,000 ticks exactly.
  const Instant t0 = At(Duration::Seconds(1));
  const SeqNum base = gen.Generate(t, t0);
  EXPECT_EQ(gen.Generate(t, t0 + Duration::Nanos(3999)), base);
  EXPECT_EQ(gen.Generate(t, t0 + Duration::Nanos(4000)), base + 1);
}

TEST(Isn, SameTuple_MonotoneOverTime) {
  const IsnGenerator gen(kKey);
  const FourTuple t = Tuple(0xc0a80001, 1234);
  Instant now = At(Duration::Seconds(7));
  SeqNum prev = gen.Generate(t, now);
  std::mt19937_64 rng(3);
  // Steps up to ~1 s keep every pair far inside the 2^31 comparison window.
  for (int i = 0; i < 10000; ++i) {
    now += Duration::Nanos(static_cast<int64_t>(rng() % 1000'000'000));
    const SeqNum next = gen.Generate(t, now);
    ASSERT_GE(next, prev);
    prev = next;
  }
}

TEST(Isn, ClockWrapsAfterAbout4Point77Hours) {
  // 2^32 ticks of 4 us: 17,179.869184 s.
  const Instant wrap = At(Duration::Micros(int64_t{4} << 32));
  EXPECT_EQ(IsnGenerator::Clock(wrap), 0u);
  EXPECT_EQ(IsnGenerator::Clock(wrap - Duration::Micros(4)), 0xffffffffu);
  EXPECT_EQ(wrap.ToNanos() / 1000'000'000 / 60, 286);  // 4 h 46 min
}

TEST(Isn, DifferentTuples_UnrelatedIsns) {
  const IsnGenerator gen(kKey);
  const Instant now = At(Duration::Seconds(5));
  std::mt19937_64 rng(4);
  // Neighbouring remote ports: if F were weak, ISNs would be close or differ
  // in few bits. Average Hamming distance of consecutive ISNs should be ~16.
  int total_bits = 0;
  constexpr int kN = 4000;
  for (int i = 0; i < kN; ++i) {
    const auto port = static_cast<uint16_t>(1024 + i);
    const SeqNum a = gen.Generate(Tuple(0x0a000002, port), now);
    const SeqNum b = gen.Generate(Tuple(0x0a000002, port + 1), now);
    ASSERT_NE(a, b);
    total_bits += std::popcount(a.raw() ^ b.raw());
  }
  const double mean = static_cast<double>(total_bits) / kN;
  EXPECT_GT(mean, 15.5);
  EXPECT_LT(mean, 16.5);
}

TEST(Isn, EveryTupleFieldMatters) {
  const IsnGenerator gen(kKey);
  const Instant now = At(Duration::Seconds(5));
  const FourTuple base = Tuple(0x0a000002, 40000);
  const SeqNum isn = gen.Generate(base, now);
  FourTuple t = base;
  t.local_addr.value ^= 1;
  EXPECT_NE(gen.Generate(t, now), isn);
  t = base;
  t.remote_addr.value ^= 1;
  EXPECT_NE(gen.Generate(t, now), isn);
  t = base;
  t.local_port ^= 1;
  EXPECT_NE(gen.Generate(t, now), isn);
  t = base;
  t.remote_port ^= 1;
  EXPECT_NE(gen.Generate(t, now), isn);
  // Swapping the ends names the other direction, a different connection.
  t = FourTuple{base.remote_addr, base.local_addr, base.remote_port,
                base.local_port};
  EXPECT_NE(gen.Generate(t, now), isn);
}

TEST(Isn, DifferentKeys_Differ) {
  const IsnGenerator a(kKey);
  const IsnGenerator b(SipKey{kKey.k0, kKey.k1 ^ 1});
  const Instant now = At(Duration::Seconds(5));
  int equal = 0;
  for (uint16_t port = 1000; port < 2000; ++port) {
    const FourTuple t = Tuple(0x0a000002, port);
    equal += a.Generate(t, now) == b.Generate(t, now);
  }
  EXPECT_EQ(equal, 0);
}

TEST(Isn, Create_UsesFreshSecrets) {
  absl::StatusOr<IsnGenerator> a = IsnGenerator::Create();
  absl::StatusOr<IsnGenerator> b = IsnGenerator::Create();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  const FourTuple t = Tuple(0x0a000002, 40000);
  const Instant now = At(Duration::Seconds(5));
  // A collision of the 32-bit outputs has probability 2^-32.
  EXPECT_NE(a->Generate(t, now), b->Generate(t, now));
}

}  // namespace
}  // namespace tern::tcp
