#include "lib/tcp/timer_wheel.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

constexpr int64_t kTickNs = int64_t{1} << 16;
constexpr Duration kTick = Duration::Nanos(kTickNs);

Instant At(Duration d) { return Instant() + d; }

// The instant at which a timer armed for `deadline` must fire: its deadline
// rounded up to the tick (the wheel starts at 0).
Instant FireInstant(Instant deadline) {
  const int64_t ns = deadline.ToNanos();
  if (ns <= 0) {
    return Instant();
  }
  return Instant::FromNanos((ns + kTickNs - 1) / kTickNs * kTickNs);
}

// 10 million nodes take 320 MB; sanitizers multiply time and memory.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAsan = true;
#else
constexpr bool kUnderAsan = false;
#endif
#else
constexpr bool kUnderAsan = false;
#endif

// The wheel hands the callback the node; these tests name each node by an
// id kept beside it.
struct IdNode : TimerNode {
  uint64_t id = 0;
};
uint64_t IdOf(const TimerNode* n) { return static_cast<const IdNode*>(n)->id; }
void ArmId(TimerWheel& wheel, TimerNode* n, Instant deadline, uint64_t id) {
  static_cast<IdNode*>(n)->id = id;
  wheel.Arm(n, deadline);
}

size_t Scaled(size_t n) {
  if (const char* env = std::getenv("TERN_TEST_SCALE_DIV")) {
    return n / static_cast<size_t>(std::atoll(env));
  }
  return kUnderAsan ? n / 10 : n;
}

class TimerWheelTest : public ::testing::Test {
 protected:
  TimerWheel wheel_{TimerWheel::Options{}};
  std::vector<uint64_t> fired_;

  size_t AdvanceTo(Instant now, size_t quota = SIZE_MAX) {
    return wheel_.Advance(now, quota, [this](TimerNode* n) {
      EXPECT_FALSE(n->armed());
      fired_.push_back(IdOf(n));
    });
  }
};

TEST_F(TimerWheelTest, Empty_NextDeadlineNever) {
  EXPECT_EQ(wheel_.size(), 0u);
  EXPECT_EQ(wheel_.NextDeadline(), Instant::Never());
  EXPECT_FALSE(wheel_.HasDue(At(Duration::Seconds(100))));
  EXPECT_EQ(AdvanceTo(At(Duration::Seconds(100))), 0u);
}

TEST_F(TimerWheelTest, Arm_FiresAtDeadlineNotBeforeAndWithinOneTick) {
  for (int64_t us : {1, 65, 66, 200, 1000, 4000, 300'000, 1'234'567}) {
    TimerWheel wheel{TimerWheel::Options{}};
    IdNode node;
    const Instant deadline = At(Duration::Micros(us));
    ArmId(wheel, &node, deadline, 7);
    EXPECT_TRUE(node.armed());
    Instant fired_at = Instant::Never();
    // 512 ns divides the tick, so the loop lands on every tick boundary.
    for (Instant now; now < deadline + kTick * 2; now += Duration::Nanos(512)) {
      wheel.Advance(now, 100, [&](TimerNode* n) {
        EXPECT_EQ(n, &node);
        EXPECT_EQ(IdOf(n), 7u);
        fired_at = now;
      });
      if (fired_at != Instant::Never()) {
        break;
      }
      EXPECT_GE(wheel.NextDeadline(), now);
    }
    EXPECT_GE(fired_at, deadline) << us;
    EXPECT_LT(fired_at, deadline + kTick) << us;
    EXPECT_EQ(fired_at, FireInstant(deadline)) << us;
    EXPECT_FALSE(node.armed());
    EXPECT_EQ(wheel.size(), 0u);
  }
}

TEST_F(TimerWheelTest, Advance_FiresInDeadlineOrder) {
  std::mt19937_64 rng(1);
  std::vector<IdNode> nodes(5000);
  std::vector<Instant> deadlines(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    deadlines[i] = At(Duration::Micros(rng() % 50'000'000));
    ArmId(wheel_, &nodes[i], deadlines[i], i);
  }
  EXPECT_EQ(AdvanceTo(At(Duration::Seconds(60))), nodes.size());
  ASSERT_EQ(fired_.size(), nodes.size());
  for (size_t i = 1; i < fired_.size(); ++i) {
    EXPECT_LE(FireInstant(deadlines[fired_[i - 1]]),
              FireInstant(deadlines[fired_[i]]));
  }
}

TEST_F(TimerWheelTest, Arm_SameTickFiresInArmOrder) {
  IdNode a, b, c;
  ArmId(wheel_, &a, At(Duration::Millis(5)), 1);
  ArmId(wheel_, &b, At(Duration::Millis(5)), 2);
  ArmId(wheel_, &c, At(Duration::Millis(5)), 3);
  AdvanceTo(At(Duration::Millis(6)));
  EXPECT_EQ(fired_, (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(TimerWheelTest, ReArm_MovesTheTimer) {
  IdNode node;
  ArmId(wheel_, &node, At(Duration::Millis(10)), 1);
  ArmId(wheel_, &node, At(Duration::Millis(50)), 2);
  EXPECT_EQ(wheel_.size(), 1u);
  EXPECT_EQ(AdvanceTo(At(Duration::Millis(49))), 0u);
  EXPECT_EQ(AdvanceTo(At(Duration::Millis(51))), 1u);
  EXPECT_EQ(fired_, (std::vector<uint64_t>{2}));
  // And earlier.
  ArmId(wheel_, &node, At(Duration::Seconds(100)), 3);
  ArmId(wheel_, &node, At(Duration::Millis(60)), 4);
  EXPECT_EQ(AdvanceTo(At(Duration::Millis(61))), 1u);
  EXPECT_EQ(fired_.back(), 4u);
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, Cancel_NeverFires) {
  IdNode a, b;
  ArmId(wheel_, &a, At(Duration::Millis(10)), 1);
  ArmId(wheel_, &b, At(Duration::Seconds(10)), 2);
  wheel_.Cancel(&a);
  wheel_.Cancel(&b);
  wheel_.Cancel(&b);  // no-op
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(wheel_.size(), 0u);
  EXPECT_EQ(wheel_.NextDeadline(), Instant::Never());
  EXPECT_EQ(AdvanceTo(At(Duration::Seconds(20))), 0u);
  IdNode never_armed;
  wheel_.Cancel(&never_armed);
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, Callback_CancelsAnotherDueInSameTick) {
  IdNode a, b, c;
  ArmId(wheel_, &a, At(Duration::Millis(5)), 1);
  ArmId(wheel_, &b, At(Duration::Millis(5)), 2);
  ArmId(wheel_, &c, At(Duration::Millis(5)), 3);
  const size_t n =
      wheel_.Advance(At(Duration::Millis(6)), 100, [&](TimerNode* node) {
        fired_.push_back(IdOf(node));
        if (node == &a) {
          wheel_.Cancel(&b);
        }
      });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(fired_, (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, Callback_ReArmsFiredNode) {
  IdNode node;
  ArmId(wheel_, &node, At(Duration::Millis(1)), 0);
  int count = 0;
  Instant now;
  for (int step = 0; step < 2000; ++step) {
    now += Duration::Micros(100);
    wheel_.Advance(now, 100, [&](TimerNode* n) {
      ++count;
      ArmId(wheel_, n, now + Duration::Millis(1), IdOf(n) + 1);
    });
  }
  // Every 1 ms plus rounding to the 65.536 us tick, over 200 ms.
  EXPECT_GE(count, 180);
  EXPECT_LE(count, 200);
  EXPECT_TRUE(node.armed());
  EXPECT_EQ(wheel_.size(), 1u);
}

TEST_F(TimerWheelTest, Callback_ReArmsIntoThePast_BoundedByQuota) {
  IdNode node;
  ArmId(wheel_, &node, At(Duration::Millis(1)), 0);
  const size_t n =
      wheel_.Advance(At(Duration::Millis(2)), 10,
                     [&](TimerNode* t) { ArmId(wheel_, t, Instant(), 0); });
  EXPECT_EQ(n, 10u);
  EXPECT_TRUE(wheel_.HasDue(At(Duration::Millis(2))));
}

struct Owner {
  IdNode timer;
  int id = 0;
};

TEST_F(TimerWheelTest, Callback_FreesOwner) {
  std::vector<Owner*> owners;
  for (int i = 0; i < 10; ++i) {
    owners.push_back(new Owner{.id = i});
    ArmId(wheel_, &owners.back()->timer, At(Duration::Millis(3)),
          reinterpret_cast<uintptr_t>(owners.back()));
  }
  int freed = 0;
  wheel_.Advance(At(Duration::Millis(4)), 100, [&](TimerNode* n) {
    delete reinterpret_cast<Owner*>(IdOf(n));
    ++freed;
  });
  EXPECT_EQ(freed, 10);
  EXPECT_EQ(wheel_.size(), 0u);
}

TEST_F(TimerWheelTest, Quota_StopsAndResumes) {
  std::vector<IdNode> nodes(100);
  for (size_t i = 0; i < nodes.size(); ++i) {
    ArmId(wheel_, &nodes[i], At(Duration::Micros(100 * (i % 10) + 1)), i);
  }
  const Instant now = At(Duration::Millis(2));
  EXPECT_EQ(AdvanceTo(now, 30), 30u);
  EXPECT_TRUE(wheel_.HasDue(now));
  EXPECT_LE(wheel_.NextDeadline(), now);
  EXPECT_EQ(AdvanceTo(now, 30), 30u);
  EXPECT_EQ(AdvanceTo(now, 30), 30u);
  EXPECT_EQ(AdvanceTo(now, 30), 10u);
  EXPECT_FALSE(wheel_.HasDue(now));
  EXPECT_EQ(wheel_.size(), 0u);
  EXPECT_EQ(fired_.size(), 100u);
}

TEST_F(TimerWheelTest, Arm_DeadlineInThePastFiresAtNextAdvance) {
  IdNode a, b;
  AdvanceTo(At(Duration::Seconds(5)));
  ArmId(wheel_, &a, At(Duration::Seconds(1)), 1);
  ArmId(wheel_, &b, Instant::FromNanos(-1'000'000), 2);
  EXPECT_TRUE(wheel_.HasDue(At(Duration::Seconds(5))));
  EXPECT_EQ(AdvanceTo(At(Duration::Seconds(5))), 2u);
}

TEST_F(TimerWheelTest, Advance_BeforeStartFiresNothing) {
  TimerWheel wheel{TimerWheel::Options{.start = At(Duration::Seconds(10))}};
  IdNode a;
  ArmId(wheel, &a, At(Duration::Seconds(1)), 1);
  EXPECT_FALSE(wheel.HasDue(At(Duration::Seconds(9))));
  EXPECT_EQ(wheel.Advance(At(Duration::Seconds(9)), 10, [](TimerNode*) {}), 0u);
  EXPECT_EQ(wheel.Advance(At(Duration::Seconds(10)), 10, [](TimerNode*) {}),
            1u);
}

TEST_F(TimerWheelTest, NextDeadline_CoarseLevelAndOverflow_Exact) {
  // Timers in a coarse level's slot or in the overflow list: NextDeadline is
  // their own rounded deadline, not the slot's first tick, and follows a
  // cancel of the earliest one.
  IdNode a, b, c;
  ArmId(wheel_, &a, At(Duration::Millis(1500)), 1);        // level 2
  ArmId(wheel_, &b, At(Duration::Millis(1200)), 2);        // level 2, earlier
  ArmId(wheel_, &c, At(Duration::Seconds(30 * 3600)), 3);  // overflow
  EXPECT_EQ(wheel_.NextDeadline(), FireInstant(At(Duration::Millis(1200))));
  wheel_.Cancel(&b);
  EXPECT_EQ(wheel_.NextDeadline(), FireInstant(At(Duration::Millis(1500))));
  ArmId(wheel_, &a, At(Duration::Seconds(40 * 3600)), 1);  // re-armed later
  EXPECT_EQ(wheel_.NextDeadline(),
            FireInstant(At(Duration::Seconds(30 * 3600))));
  EXPECT_FALSE(wheel_.HasDue(wheel_.NextDeadline() - Duration::Nanos(1)));
  EXPECT_TRUE(wheel_.HasDue(wheel_.NextDeadline()));
  wheel_.Cancel(&a);
  wheel_.Cancel(&c);
  EXPECT_EQ(wheel_.NextDeadline(), Instant::Never());
}

TEST_F(TimerWheelTest, NonPowerOfTwoTick) {
  TimerWheel wheel{TimerWheel::Options{.tick = Duration::Micros(100)}};
  IdNode a;
  ArmId(wheel, &a, At(Duration::Micros(250)), 1);
  EXPECT_EQ(wheel.NextDeadline(), At(Duration::Micros(300)));
  EXPECT_EQ(wheel.Advance(At(Duration::Micros(299)), 10, [](TimerNode*) {}),
            0u);
  EXPECT_EQ(wheel.Advance(At(Duration::Micros(300)), 10, [](TimerNode*) {}),
            1u);
}

// Drives the wheel from NextDeadline to NextDeadline, checking that nothing
// fires a nanosecond early and everything fires at its rounded deadline.
void RunExactly(TimerWheel& wheel, std::vector<IdNode>& nodes,
                const std::vector<Instant>& deadlines) {
  size_t fired = 0;
  for (int guard = 0; wheel.size() > 0 && guard < 1'000'000; ++guard) {
    const Instant next = wheel.NextDeadline();
    ASSERT_NE(next, Instant::Never());
    ASSERT_EQ(wheel.Advance(next - Duration::Nanos(1), SIZE_MAX,
                            [](TimerNode*) { FAIL() << "fired early"; }),
              0u);
    wheel.Advance(next, SIZE_MAX, [&](TimerNode* n) {
      const Instant deadline = deadlines[IdOf(n)];
      EXPECT_EQ(FireInstant(deadline), next) << IdOf(n);
      ++fired;
    });
  }
  EXPECT_EQ(fired, nodes.size());
}

TEST_F(TimerWheelTest, FarFuture_ThreeHoursAndThirtyDaysCascadeExactly) {
  std::mt19937_64 rng(3);
  std::vector<Instant> deadlines;
  for (Duration base :
       {Duration::Seconds(7200), Duration::Seconds(3 * 3600),
        Duration::Seconds(30 * 86400), Duration::Seconds(400 * 86400)}) {
    deadlines.push_back(At(base));
    for (int i = 0; i < 50; ++i) {
      deadlines.push_back(At(base + Duration::Nanos(static_cast<int64_t>(
                                        rng() % 10'000'000'000))));
    }
  }
  std::vector<IdNode> nodes(deadlines.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    ArmId(wheel_, &nodes[i], deadlines[i], i);
  }
  RunExactly(wheel_, nodes, deadlines);
}

TEST_F(TimerWheelTest, FarFuture_NeverDeadlineDoesNotOverflow) {
  IdNode a;
  ArmId(wheel_, &a, Instant::Never(), 1);
  EXPECT_EQ(AdvanceTo(At(Duration::Seconds(100 * 86400))), 0u);
  EXPECT_TRUE(a.armed());
  EXPECT_GT(wheel_.NextDeadline(), At(Duration::Seconds(100 * 86400)));
  wheel_.Cancel(&a);
}

TEST_F(TimerWheelTest, IdleGap_IsCheap) {
  // One hour is 5.5e7 ticks; a tick-by-tick wheel would need minutes for
  // this loop, the occupancy bitmaps make it a few bitmap scans per call.
  IdNode far;
  ArmId(wheel_, &far, At(Duration::Seconds(2000 * 3600)), 1);
  const auto t0 = std::chrono::steady_clock::now();
  Instant now;
  for (int hour = 1; hour < 1000; ++hour) {
    now = At(Duration::Seconds(3600) * hour);
    IdNode near;
    ArmId(wheel_, &near, now + Duration::Seconds(1800), 2);
    EXPECT_EQ(AdvanceTo(now), 0u);
    wheel_.Cancel(&near);
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
  EXPECT_TRUE(far.armed());
}

TEST_F(TimerWheelTest, Randomized_MatchesReferenceModel) {
  // Reference: a multimap from fire instant to node id. Operations: arm,
  // re-arm, cancel, advance by small and large steps with random quotas.
  std::mt19937_64 rng(42);
  constexpr size_t kNodes = 2000;
  std::vector<IdNode> nodes(kNodes);
  std::vector<Instant> fire_at(kNodes, Instant::Never());
  std::multimap<Instant, size_t> model;
  auto model_erase = [&](size_t id) {
    auto [lo, hi] = model.equal_range(fire_at[id]);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == id) {
        model.erase(it);
        break;
      }
    }
    fire_at[id] = Instant::Never();
  };
  Instant now;
  // The tick the wheel has reached: past deadlines are clamped to it.
  Instant wheel_tick;
  const Duration spans[] = {Duration::Micros(500), Duration::Millis(50),
                            Duration::Seconds(5), Duration::Seconds(600),
                            Duration::Seconds(100'000)};
  for (int op = 0; op < 100'000; ++op) {
    const uint64_t r = rng() % 100;
    const size_t id = rng() % kNodes;
    if (r < 55) {
      const Duration span = spans[rng() % 5];
      const Instant deadline =
          now - Duration::Millis(1) +
          Duration::Nanos(static_cast<int64_t>(
              rng() % static_cast<uint64_t>(span.ToNanos())));
      if (nodes[id].armed()) {
        model_erase(id);
      }
      ArmId(wheel_, &nodes[id], deadline, id);
      // A past deadline fires at the next Advance, like one due now.
      fire_at[id] = std::max(FireInstant(deadline), wheel_tick);
      model.emplace(fire_at[id], id);
    } else if (r < 70) {
      if (nodes[id].armed()) {
        model_erase(id);
      }
      wheel_.Cancel(&nodes[id]);
    } else {
      const Duration step = r < 98 ? Duration::Micros(rng() % 3000)
                                   : Duration::Seconds(rng() % 200'000);
      now += step;
      const size_t quota = rng() % 4 == 0 ? rng() % 5 : SIZE_MAX;
      Instant last = Instant();
      const size_t n = wheel_.Advance(now, quota, [&](TimerNode* node) {
        const size_t fid = IdOf(node);
        ASSERT_FALSE(model.empty());
        // Fires the earliest armed timer (ties in any order), never early.
        EXPECT_EQ(fire_at[fid], model.begin()->first);
        EXPECT_LE(fire_at[fid], now);
        EXPECT_GE(fire_at[fid], last);
        last = fire_at[fid];
        model_erase(fid);
      });
      EXPECT_LE(n, quota);
      if (n < quota) {
        wheel_tick = Instant::FromNanos(now.ToNanos() / kTickNs * kTickNs);
      } else if (n > 0) {
        wheel_tick = last;
      }
      const bool model_due = !model.empty() && model.begin()->first <= now;
      EXPECT_EQ(wheel_.HasDue(now), model_due);
      if (n < quota) {
        EXPECT_FALSE(model_due);
      }
    }
    // NextDeadline is exact after every operation: the earliest fire
    // instant of the model, Never when nothing is armed.
    ASSERT_EQ(wheel_.NextDeadline(),
              model.empty() ? Instant::Never() : model.begin()->first)
        << "op " << op;
    ASSERT_EQ(wheel_.size(), model.size());
  }
}

TEST_F(TimerWheelTest, TenMillionTimers_AllFire) {
  const size_t n = Scaled(10'000'000);
  std::vector<IdNode> nodes(n);
  std::mt19937_64 rng(10);
  // Spread over 2 hours, the keepalive span: exercises every level.
  const uint64_t span_ns = uint64_t{7200} * 1'000'000'000;
  std::vector<int64_t> deadline_ns(n);
  for (size_t i = 0; i < n; ++i) {
    deadline_ns[i] = static_cast<int64_t>(rng() % span_ns) + 1;
    ArmId(wheel_, &nodes[i], Instant::FromNanos(deadline_ns[i]), i);
  }
  EXPECT_EQ(wheel_.size(), n);
  size_t fired = 0;
  size_t early = 0;
  size_t late = 0;
  int64_t last = 0;
  size_t disorder = 0;
  // Advance in one-second steps so lateness is checked per step.
  for (int64_t s = 1; s <= 7201; ++s) {
    const Instant now = At(Duration::Seconds(s));
    fired += wheel_.Advance(now, SIZE_MAX, [&](TimerNode* node) {
      const int64_t d = deadline_ns[IdOf(node)];
      early += d > now.ToNanos() ? 1 : 0;
      const int64_t fire = FireInstant(Instant::FromNanos(d)).ToNanos();
      late += fire <= now.ToNanos() - 1'000'000'000 ? 1 : 0;
      disorder += fire < last ? 1 : 0;
      last = fire;
    });
  }
  EXPECT_EQ(fired, n);
  EXPECT_EQ(early, 0u);
  EXPECT_EQ(late, 0u);
  EXPECT_EQ(disorder, 0u);
  EXPECT_EQ(wheel_.size(), 0u);
}

}  // namespace
}  // namespace tern::tcp
