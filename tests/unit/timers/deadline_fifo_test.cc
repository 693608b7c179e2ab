#include "lib/tcp/deadline_fifo.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "lib/tcp/timer_wheel.h"

namespace tern::tcp {
namespace {

constexpr Duration kTick = Duration::Nanos(int64_t{1} << 16);

// When a timer armed for `deadline` fires: rounded up to the tick (the wheel
// starts at 0).
Instant Up(Instant deadline) {
  const int64_t tick = kTick.ToNanos();
  return Instant::FromNanos((deadline.ToNanos() + tick - 1) / tick * tick);
}
Instant At(Duration d) { return Instant() + d; }

// Records 0..n-1 with their links, one queue, and the wheel that fires it.
class FifoTest : public ::testing::Test {
 protected:
  FifoTest() : wheel_(TimerWheel::Options{}), links_(64) {}

  auto LinkOf() {
    return [this](uint32_t i) -> FifoLink& { return links_[i]; };
  }
  void Push(Instant now, Duration timeout, uint32_t index) {
    fifo_.Push(wheel_, now, now + timeout, index, LinkOf());
  }
  void Remove(Instant now, uint32_t index) {
    fifo_.Remove(wheel_, now, index, LinkOf());
  }
  // Advances to `now` and returns the records fired, in order.
  std::vector<uint32_t> Advance(Instant now, size_t quota = 1000) {
    std::vector<uint32_t> fired;
    wheel_.Advance(now, quota, [&](TimerNode* node) {
      EXPECT_EQ(node, fifo_.node());
      fired.push_back(fifo_.PopFired(wheel_, now, LinkOf()));
    });
    return fired;
  }

  TimerWheel wheel_;
  std::vector<FifoLink> links_;
  DeadlineFifo fifo_;
};

TEST_F(FifoTest, OneTimeout_FiresInOrder_NeverEarly) {
  const Duration t = Duration::Seconds(1);
  for (uint32_t i = 0; i < 5; ++i) {
    Push(Instant() + Duration::Millis(10 * i), t, i);
    EXPECT_TRUE(links_[i].queued());
  }
  EXPECT_EQ(wheel_.size(), 1u);  // one node for the whole queue
  EXPECT_EQ(wheel_.NextDeadline(), Up(At(t)));
  // Just before record 0's deadline, rounded up to the tick: nothing.
  EXPECT_TRUE(Advance(Up(At(t)) - Duration::Nanos(1)).empty());
  EXPECT_EQ(Advance(Up(At(t))), (std::vector<uint32_t>{0}));
  EXPECT_FALSE(links_[0].queued());
  // Records 1 and 2 come due together.
  EXPECT_EQ(Advance(Up(At(t + Duration::Millis(20)))),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Advance(Instant() + Duration::Seconds(10)),
            (std::vector<uint32_t>{3, 4}));
  EXPECT_TRUE(fifo_.empty());
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(FifoTest, Deadline_RoundedUpToTheWheelTick) {
  // A deadline one nanosecond into a tick fires at the next tick, as an
  // armed TimerNode would.
  Push(Instant(), kTick + Duration::Nanos(1), 0);
  EXPECT_EQ(wheel_.NextDeadline(), Instant() + kTick * 2);
  EXPECT_TRUE(Advance(Instant() + kTick * 2 - Duration::Nanos(1)).empty());
  EXPECT_EQ(Advance(Instant() + kTick * 2), (std::vector<uint32_t>{0}));
}

TEST_F(FifoTest, Remove_HeadMiddleTail_RearmsForTheNewHead) {
  const Duration t = Duration::Seconds(1);
  for (uint32_t i = 0; i < 4; ++i) {
    Push(Instant() + Duration::Millis(100 * i), t, i);
  }
  Remove(Instant(), 2);  // middle
  Remove(Instant(), 0);  // head: the node moves to record 1's deadline
  EXPECT_EQ(wheel_.NextDeadline(), Up(At(Duration::Millis(1100))));
  Remove(Instant(), 3);  // tail
  EXPECT_EQ(Advance(Instant() + Duration::Seconds(5)),
            (std::vector<uint32_t>{1}));
  // Removing the last record disarms the node.
  Push(Instant() + Duration::Seconds(5), t, 7);
  Remove(Instant() + Duration::Seconds(5), 7);
  EXPECT_EQ(wheel_.size(), 0u);
  EXPECT_EQ(wheel_.NextDeadline(), Instant::Never());
  // A removed record can be queued again.
  Push(Instant() + Duration::Seconds(6), t, 2);
  EXPECT_EQ(Advance(Up(At(Duration::Seconds(7)))), (std::vector<uint32_t>{2}));
}

TEST_F(FifoTest, Restart_MovesToTheTail) {
  const Duration t = Duration::Seconds(60);
  Push(Instant(), t, 0);
  Push(Instant() + Duration::Seconds(1), t, 1);
  // Record 0 restarts its timeout (a TIME-WAIT record's retransmitted FIN).
  Remove(Instant() + Duration::Seconds(2), 0);
  Push(Instant() + Duration::Seconds(2), t, 0);
  EXPECT_EQ(Advance(Up(At(Duration::Seconds(61)))), (std::vector<uint32_t>{1}));
  EXPECT_TRUE(Advance(Up(At(Duration::Seconds(62))) - kTick).empty());
  EXPECT_EQ(Advance(Up(At(Duration::Seconds(62)))), (std::vector<uint32_t>{0}));
}

TEST_F(FifoTest, EarlierDeadline_RaisedToTheTails) {
  // A clock that stepped back: the record's deadline is raised to the
  // tail's (Push stays O(1)), so it fires late by the step, never early.
  Push(At(Duration::Seconds(3)), Duration::Seconds(1), 0);  // 4 s
  Push(At(Duration::Seconds(1)), Duration::Seconds(1), 1);  // 2 s, raised
  Push(At(Duration::Seconds(2)), Duration::Seconds(1), 2);  // 3 s, raised
  EXPECT_EQ(wheel_.NextDeadline(), Up(At(Duration::Seconds(4))));
  EXPECT_TRUE(Advance(Up(At(Duration::Seconds(4))) - kTick).empty());
  EXPECT_EQ(Advance(Up(At(Duration::Seconds(4)))),
            (std::vector<uint32_t>{0, 1, 2}));
}

TEST_F(FifoTest, TwoDaysWithoutACall_EveryRecordDue) {
  // An owner stopped for two days (2.6e9 ticks, past the 32-bit deadlines'
  // 2^31 reach): its records are due at once when it runs again, not 2^32
  // ticks later, whichever call comes first.
  Push(At(Duration::Seconds(10)), Duration::Seconds(60), 0);
  Push(At(Duration::Seconds(20)), Duration::Seconds(60), 1);
  Push(At(Duration::Seconds(30)), Duration::Seconds(60), 2);
  const Instant later = At(Duration::Seconds(2 * 86400));
  // A new record first (a segment arrived before the timers ran).
  Push(later, Duration::Seconds(60), 3);
  EXPECT_EQ(Advance(Up(later)), (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(wheel_.NextDeadline(), Up(later + Duration::Seconds(60)));
  // The same with a removal first.
  const Instant much_later = At(Duration::Seconds(4 * 86400));
  Push(later + Duration::Seconds(1), Duration::Seconds(60), 4);
  Remove(much_later, 3);
  EXPECT_EQ(Advance(Up(much_later)), (std::vector<uint32_t>{4}));
  EXPECT_TRUE(fifo_.empty());
}

TEST_F(FifoTest, Quota_OneRecordPerFire) {
  for (uint32_t i = 0; i < 10; ++i) {
    Push(Instant(), Duration::Millis(1), i);
  }
  // Each record counts against the quota as its own timer did.
  EXPECT_EQ(Advance(Up(At(Duration::Millis(1))), 4),
            (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_TRUE(wheel_.HasDue(Up(At(Duration::Millis(1)))));
  EXPECT_EQ(Advance(Up(At(Duration::Millis(1))), 100),
            (std::vector<uint32_t>{4, 5, 6, 7, 8, 9}));
}

// 2^32 ticks of 65.536 us are 78 hours: deadlines on both sides of the
// 32-bit wrap of the stored ticks.
TEST_F(FifoTest, DeadlinesAcrossThe32BitWrap_FireInOrder) {
  const Duration t = Duration::Seconds(60);
  const Instant wrap = Instant() + kTick * (int64_t{1} << 32);
  Instant now = wrap - Duration::Seconds(90);
  EXPECT_TRUE(Advance(now).empty());
  Push(now, t, 0);                          // due 30 s before the wrap
  Push(now + Duration::Seconds(45), t, 1);  // 15 s after
  Push(now + Duration::Seconds(80), t, 2);  // 50 s after
  EXPECT_LT(links_[2].due, links_[0].due);  // the stored ticks wrapped
  EXPECT_EQ(Advance(Up(wrap - Duration::Seconds(30))),
            (std::vector<uint32_t>{0}));
  EXPECT_TRUE(Advance(wrap + Duration::Seconds(14)).empty());
  EXPECT_EQ(Advance(Up(wrap + Duration::Seconds(15))),
            (std::vector<uint32_t>{1}));
  EXPECT_EQ(Advance(Up(wrap + Duration::Seconds(50))),
            (std::vector<uint32_t>{2}));
}

// Random pushes, removes and advances against a model: every record fires
// exactly once, at the first Advance at or after its deadline rounded up to
// the tick, and removed records never fire.
TEST_F(FifoTest, Random_AgainstModel) {
  std::mt19937 rng(12);
  const Duration timeout = Duration::Millis(200);
  std::vector<int64_t> due_ns(links_.size(), -1);  // -1: not queued
  Instant now;
  for (int step = 0; step < 20000; ++step) {
    const uint32_t i = rng() % links_.size();
    switch (rng() % 3) {
      case 0:
        if (due_ns[i] < 0) {
          Push(now, timeout, i);
          const int64_t d = (now + timeout).ToNanos();
          const int64_t tick = kTick.ToNanos();
          // Raised to the latest deadline queued (the tail's).
          int64_t latest = 0;
          for (int64_t q : due_ns) {
            latest = std::max(latest, q);
          }
          due_ns[i] = std::max((d + tick - 1) / tick * tick, latest);
        }
        break;
      case 1:
        if (due_ns[i] >= 0) {
          Remove(now, i);
          due_ns[i] = -1;
        }
        break;
      case 2: {
        // Now and then the clock steps back up to 20 ms (pushed records
        // then fire late, never early); the advance is by the new `now`.
        now = now + Duration::Micros(rng() % 50'000);
        if (rng() % 8 == 0) {
          now = now - Duration::Micros(rng() % 20'000);
        }
        for (uint32_t r : Advance(now)) {
          ASSERT_GE(due_ns[r], 0) << "a record not queued fired";
          EXPECT_LE(due_ns[r], now.ToNanos()) << "fired early";
          due_ns[r] = -1;
        }
        for (size_t r = 0; r < due_ns.size(); ++r) {
          EXPECT_TRUE(due_ns[r] < 0 || due_ns[r] > now.ToNanos())
              << "record " << r << " due and not fired";
          EXPECT_EQ(links_[r].queued(), due_ns[r] >= 0);
        }
        break;
      }
    }
  }
}

}  // namespace
}  // namespace tern::tcp
