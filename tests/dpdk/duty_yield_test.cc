// port::DutyYield (lib/port/lcore_loop.h): a polling loop's voluntary
// sleeps on a fixed cadence, on virtual time with an injected sleep.

#include <vector>

#include "gtest/gtest.h"
#include "lib/base/time.h"
#include "lib/port/lcore_loop.h"

namespace tern::port {
namespace {

std::vector<unsigned>* g_slept = nullptr;

void RecordSleep(unsigned us) { g_slept->push_back(us); }

class DutyYieldTest : public ::testing::Test {
 protected:
  void SetUp() override { g_slept = &slept_; }
  void TearDown() override { g_slept = nullptr; }
  std::vector<unsigned> slept_;
};

Instant At(int64_t us) { return Instant() + Duration::Micros(us); }

TEST_F(DutyYieldTest, ZeroCadence_NeverSleeps) {
  DutyYield y(Duration::Zero(), Duration::Micros(50), At(0), &RecordSleep);
  for (int64_t t = 0; t <= 10'000'000; t += 1000) {
    EXPECT_FALSE(y.Due(At(t)));
    EXPECT_FALSE(y.Tick(At(t)));
  }
  EXPECT_TRUE(slept_.empty());
}

TEST_F(DutyYieldTest, SleepsOncePerCadence_NotBefore) {
  DutyYield y(Duration::Micros(500), Duration::Micros(50), At(0), &RecordSleep);
  // Iterations every 10 us: the first sleep at 500 us, none before.
  for (int64_t t = 10; t < 500; t += 10) {
    ASSERT_FALSE(y.Due(At(t))) << t;
    ASSERT_FALSE(y.Tick(At(t))) << t;
  }
  EXPECT_TRUE(y.Due(At(500)));
  EXPECT_TRUE(slept_.empty());  // Due only asks
  EXPECT_TRUE(y.Tick(At(500)));
  ASSERT_EQ(slept_.size(), 1u);
  EXPECT_EQ(slept_[0], 50u);
  // The next window begins at the time the loop gave Yield (here the
  // iteration's clock, before its sleep), whatever the sleep took: 10 ms of
  // 10 us iterations hold 20 sleeps in all.
  int sleeps = 1;
  for (int64_t t = 510; t <= 10'000; t += 10) {
    sleeps += y.Tick(At(t)) ? 1 : 0;
  }
  EXPECT_EQ(sleeps, 20);
  EXPECT_EQ(slept_.size(), 20u);
}

TEST_F(DutyYieldTest, LongIterations_OneSleepEach_NoCatchUp) {
  // An iteration longer than the cadence sleeps once, not once per cadence
  // it missed.
  DutyYield y(Duration::Micros(100), Duration::Micros(20), At(0), &RecordSleep);
  EXPECT_TRUE(y.Tick(At(1000)));
  EXPECT_FALSE(y.Tick(At(1050)));
  EXPECT_TRUE(y.Tick(At(1100)));
  EXPECT_EQ(slept_, (std::vector<unsigned>{20, 20}));
}

TEST_F(DutyYieldTest, IdleSleepsOfTheFullLength_StandInForTheYield) {
  // A loop that idles often enough never yields on top of it.
  DutyYield y(Duration::Micros(500), Duration::Micros(50), At(0), &RecordSleep);
  for (int64_t t = 400; t <= 10'000; t += 400) {
    y.NoteSleep(At(t), Duration::Micros(50));
    EXPECT_FALSE(y.Tick(At(t + 100))) << t;
  }
  EXPECT_TRUE(slept_.empty());
  // The window began at the last idle sleep.
  EXPECT_FALSE(y.Tick(At(10'000 + 499)));
  EXPECT_TRUE(y.Tick(At(10'000 + 500)));
  EXPECT_EQ(slept_, (std::vector<unsigned>{50}));
}

TEST_F(DutyYieldTest, ShortIdleSleeps_CountTowardsTheWindow) {
  // Idle sleeps of 10 us: four in a window leave 10 us owed at its end;
  // five make the whole 50 us and begin a new window.
  DutyYield y(Duration::Micros(500), Duration::Micros(50), At(0), &RecordSleep);
  for (int64_t t = 100; t <= 400; t += 100) {
    y.NoteSleep(At(t), Duration::Micros(10));
  }
  EXPECT_FALSE(y.Tick(At(499)));
  EXPECT_TRUE(y.Tick(At(500)));
  EXPECT_EQ(slept_, (std::vector<unsigned>{10}));
  // A new window from 500, nothing carried over: the fifth idle sleep, at
  // 1000, completes it.
  for (int64_t t = 600; t <= 1000; t += 100) {
    y.NoteSleep(At(t), Duration::Micros(10));
  }
  EXPECT_FALSE(y.Tick(At(1100)));  // the window began again at 1000
  EXPECT_FALSE(y.Tick(At(1499)));
  EXPECT_TRUE(y.Tick(At(1500)));
  EXPECT_EQ(slept_, (std::vector<unsigned>{10, 50}));
}

TEST_F(DutyYieldTest, DueThenYield_AsTick) {
  // A loop that flushes before it sleeps asks Due, then calls Yield; the
  // window and what is owed behave as with Tick.
  DutyYield y(Duration::Micros(500), Duration::Micros(50), At(0), &RecordSleep);
  y.NoteSleep(At(100), Duration::Micros(20));
  ASSERT_TRUE(y.Due(At(500)));
  y.Yield(At(500));
  EXPECT_EQ(slept_, (std::vector<unsigned>{30}));
  EXPECT_FALSE(y.Due(At(999)));
  EXPECT_TRUE(y.Due(At(1000)));
}

TEST_F(DutyYieldTest, StallGap_CountsAsSleep) {
  // A stall of 2 ms (the loop off its core) pays a window's sleep: the
  // window begins again after it, and nothing more is owed.
  DutyYield y(Duration::Micros(500), Duration::Micros(50), At(0), &RecordSleep);
  y.NoteSleep(At(2400), Duration::Millis(2));
  EXPECT_FALSE(y.Due(At(2899)));
  EXPECT_TRUE(y.Due(At(2900)));
  EXPECT_TRUE(slept_.empty());
}

}  // namespace
}  // namespace tern::port
