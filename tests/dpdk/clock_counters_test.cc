// Tests of the DPDK-free parts of lib/port: TscConverter arithmetic and the
// names and totals of PortCounters.

#include <cstdint>
#include <set>
#include <string>

#include "absl/numeric/int128.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/port/clock.h"
#include "lib/port/port_counters.h"

namespace tern::port {
namespace {

constexpr uint64_t kHz = 2'500'000'000;  // a 2.5 GHz TSC

TEST(TscConverter, OriginIsInstantZero) {
  TscConverter c(kHz, 1000);
  EXPECT_EQ(c.ToInstant(1000), Instant::FromNanos(0));
  EXPECT_EQ(c.ToInstant(1000 + kHz), Instant::FromNanos(1'000'000'000));
  EXPECT_EQ(c.ToInstant(1000 + 5), Instant::FromNanos(2));  // 2 ns, floored
  EXPECT_EQ(c.ToInstant(0), Instant::FromNanos(-400));
}

TEST(TscConverter, LongUptime_NoOverflow) {
  // A year of cycles at 2.5 GHz is about 7.9e16, far past where
  // cycles * 1e9 overflows 64 bits.
  const uint64_t year_s = 365ull * 24 * 3600;
  TscConverter c(kHz, 0);
  EXPECT_EQ(
      c.ToDuration(year_s * kHz + kHz / 2),
      Duration::Seconds(static_cast<int64_t>(year_s)) + Duration::Millis(500));
}

TEST(TscConverter, MatchesExactQuotientForAnyFrequencyAndCount) {
  // The multiply-only conversion against floor(cycles * 1e9 / hz) computed
  // with a 128-bit division, for TSC frequencies below, at and above 1 GHz
  // (ARM's generic timer runs at tens of MHz) and counts from 0 to 2^63.
  const uint64_t frequencies[] = {25'000'000,    1'000'000'000, 2'500'000'000,
                                  2'596'991'000, 3'123'456'789, 17'999'999'999};
  uint64_t x = 0x9e3779b97f4a7c15;  // xorshift64 state
  for (uint64_t hz : frequencies) {
    TscConverter c(hz, 0);
    for (int i = 0; i < 20000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      // Every magnitude: shift the random count down by 0..63 bits, and
      // also try the counts just before and at each whole second.
      const uint64_t cycles =
          i % 3 == 2 ? (x % 1000) * hz - (i % 2) : x >> (1 + x % 63);
      const absl::uint128 wide = absl::uint128{cycles} * 1'000'000'000 / hz;
      const uint64_t exact = absl::Uint128Low64(wide);
      if (absl::Uint128High64(wide) != 0 ||
          exact > static_cast<uint64_t>(INT64_MAX)) {
        continue;
      }
      ASSERT_EQ(c.ToDuration(cycles).ToNanos(), static_cast<int64_t>(exact))
          << "hz " << hz << " cycles " << cycles;
    }
  }
}

TEST(TscConverter, ToCycles_RoundsUpAndRoundTrips) {
  TscConverter c(kHz, 0);
  EXPECT_EQ(c.ToCycles(Duration::Micros(100)), 250'000u);
  EXPECT_EQ(c.ToCycles(Duration::Nanos(1)), 3u);  // 2.5 rounded up
  EXPECT_EQ(c.ToCycles(Duration::Zero()), 0u);
  EXPECT_EQ(c.ToCycles(Duration::Nanos(-5)), 0u);
  const Duration d = Duration::Seconds(3) + Duration::Nanos(7);
  EXPECT_GE(c.ToDuration(c.ToCycles(d)), d);
}

TEST(PortCounters, NamesUniqueAndComplete) {
  PortCounters counters;
  std::set<std::string> names;
  size_t visited = 0;
  counters.ForEach([&](std::string_view name, uint64_t value) {
    EXPECT_EQ(value, 0u);
    names.emplace(name);
    ++visited;
  });
  EXPECT_EQ(names.size(), visited);
  // 17 scalar counters, every WireError but kOk, every PortDrop.
  EXPECT_EQ(visited, 17 + (CounterArray<wire::WireError>::kSize - 1) +
                         CounterArray<PortDrop>::kSize);
  EXPECT_TRUE(names.contains("tx_dropped_ring_full"));
  EXPECT_TRUE(names.contains("rx_tapped"));
  EXPECT_TRUE(names.contains("reflected"));
  EXPECT_TRUE(names.contains("rx_mbufs_reused"));
  EXPECT_TRUE(names.contains("rx_mbufs_replied"));
  EXPECT_TRUE(names.contains("icmp_errors_in"));
  EXPECT_TRUE(names.contains("drop.icmp_quote_malformed"));
  EXPECT_TRUE(names.contains("drop.not_for_us_mac"));
  EXPECT_TRUE(names.contains("parse_drop.ipv4_bad_checksum"));
  for (const std::string& n : names) {
    EXPECT_EQ(n.find("unknown"), std::string::npos) << n;
  }
}

TEST(PortCounters, TotalDropsAndFormat) {
  PortCounters counters;
  counters.rx_packets.Add(5);
  counters.drops.Inc(PortDrop::kNotForUsIp);
  counters.parse_drops.Inc(wire::WireError::kIpv4BadChecksum);
  counters.tx_dropped_ring_full.Add(2);
  EXPECT_EQ(counters.TotalDrops(), 4u);
  const std::string text = counters.Format(/*nonzero_only=*/true);
  EXPECT_THAT(text, ::testing::ContainsRegex("rx_packets +5\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("tx_packets +0\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("drop.not_for_us_ip +1\n"));
  EXPECT_THAT(text, ::testing::Not(::testing::HasSubstr("arp_replies")));
}

}  // namespace
}  // namespace tern::port
