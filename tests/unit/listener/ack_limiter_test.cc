#include "lib/tcp/ack_limiter.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

constexpr Duration kTick = Duration::Nanos(int64_t{1} << kCoarseTickShift);

// The budgets of both limiters: `per_second` ACKs, then none until a second
// has passed since the window's first ACK.
template <typename Limiter>
void ExpectBudget(Instant start) {
  Limiter l;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(l.Allow(start + Duration::Millis(i), 3)) << i;
  }
  EXPECT_FALSE(l.Allow(start + Duration::Millis(10), 3));
  EXPECT_FALSE(l.Allow(start + Duration::Millis(999), 3));
  // A second and a tick later: a new window with a new budget.
  const Instant next = start + Duration::Seconds(1) + kTick * 2;
  EXPECT_TRUE(l.Allow(next, 3));
  EXPECT_TRUE(l.Allow(next, 3));
  EXPECT_TRUE(l.Allow(next, 3));
  EXPECT_FALSE(l.Allow(next, 3));
}

TEST(AckLimiterTest, BudgetPerSecond) {
  ExpectBudget<AckLimiter>(Instant() + Duration::Seconds(5));
}

TEST(CoarseAckLimiterTest, BudgetPerSecond) {
  ExpectBudget<CoarseAckLimiter>(Instant() + Duration::Seconds(5));
}

TEST(CoarseAckLimiterTest, NoNewWindowBeforeOneSecond) {
  // Whatever the instants' places within their ticks, a new budget never
  // comes less than one second after the window's first ACK: the limit of
  // RFC 5961 section 7 holds, the window being up to 150 us longer.
  for (int64_t offset_ns : {0, 1, 30'000, 65'535}) {
    const Instant start =
        Instant() + Duration::Seconds(7) + Duration::Nanos(offset_ns);
    CoarseAckLimiter l;
    ASSERT_TRUE(l.Allow(start, 1));
    EXPECT_FALSE(l.Allow(start + Duration::Seconds(1) - Duration::Nanos(1), 1))
        << offset_ns;
    EXPECT_TRUE(
        l.Allow(start + Duration::Seconds(1) + Duration::Micros(150), 1))
        << offset_ns;
  }
}

TEST(CoarseAckLimiterTest, AcrossThe32BitWrap) {
  // 2^32 coarse ticks are 78 hours; a window spanning the wrap still ends.
  const Instant wrap = Instant() + kTick * (int64_t{1} << 32);
  CoarseAckLimiter l;
  ASSERT_TRUE(l.Allow(wrap - Duration::Millis(500), 1));
  EXPECT_FALSE(l.Allow(wrap + Duration::Millis(400), 1));
  EXPECT_TRUE(l.Allow(wrap + Duration::Millis(600), 1));
}

TEST(CoarseTicksAtLeastTest, GuaranteesTheDuration) {
  // Readings k ticks apart are more than k - 1 ticks apart in time.
  EXPECT_EQ(CoarseTicksAtLeast(kTick), 2u);
  EXPECT_EQ(CoarseTicksAtLeast(kTick + Duration::Nanos(1)), 3u);
  EXPECT_EQ(CoarseTicksAtLeast(Duration::Millis(500)), 7631u);
  EXPECT_GE(kTick * (CoarseTicksAtLeast(Duration::Millis(500)) - 1),
            Duration::Millis(500));
}

}  // namespace
}  // namespace tern::tcp
