// Congestion control window arithmetic against the RFC formulas: RFC 6928
// (IW), RFC 5681 / RFC 3465 (slow start, congestion avoidance, loss, RTO,
// idle), RFC 6582 (recovery exit), RFC 9438 (CUBIC).
#include "lib/tcp/congestion/congestion.h"

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

constexpr uint32_t kSmss = 1460;
constexpr Instant kStart = Instant::FromNanos(0);

// Acknowledges one window (the cwnd at the start of the round) in chunks of
// `per_ack` bytes spread evenly over one RTT; `now` advances by `rtt`.
template <typename Cc>
void RunRtt(Cc& cc, Instant& now, Duration rtt, uint32_t per_ack = kSmss,
            bool cwnd_limited = true) {
  const uint32_t window = cc.cwnd();
  const uint32_t acks = (window + per_ack - 1) / per_ack;
  const Instant round_start = now;
  uint32_t acked = 0;
  for (uint32_t i = 0; i < acks; ++i) {
    const uint32_t n = std::min(per_ack, window - acked);
    cc.OnAck(n, window - acked, round_start + rtt * (i + 1) / acks, rtt,
             cwnd_limited);
    acked += n;
  }
  now = round_start + rtt;
}

// Slow start until cwnd >= bytes, one SMSS per ACK.
template <typename Cc>
void GrowTo(Cc& cc, uint32_t bytes, Instant now) {
  while (cc.cwnd() < bytes) {
    cc.OnAck(kSmss, cc.cwnd(), now, Duration::Millis(10), true);
  }
}

// A CUBIC flow that lost at cwnd ~= w_max_segments and has left recovery:
// cwnd = ssthresh = 0.7 W_max, in congestion avoidance, epoch not started.
Cubic CubicAfterLoss(uint32_t w_max_segments, Instant now) {
  Cubic cubic(kSmss, now);
  GrowTo(cubic, w_max_segments * kSmss, now);
  cubic.OnCongestionEvent(cubic.cwnd(), now);
  cubic.OnRecoveryExit();
  return cubic;
}

double Seconds(Duration d) { return static_cast<double>(d.ToNanos()) / 1e9; }

// ---- shared window arithmetic ----

TEST(InitialWindow, Rfc6928_MinOf10SmssAndMaxOf2SmssAnd14600) {
  EXPECT_EQ(CongestionControl::InitialWindow(536), 5360u);
  EXPECT_EQ(CongestionControl::InitialWindow(1000), 10000u);
  EXPECT_EQ(CongestionControl::InitialWindow(1460), 14600u);
  EXPECT_EQ(CongestionControl::InitialWindow(4380), 14600u);
  EXPECT_EQ(CongestionControl::InitialWindow(9000), 18000u);
  EXPECT_EQ(NewReno(1460, kStart).cwnd(), 14600u);
  EXPECT_EQ(Cubic(9000, kStart).cwnd(), 18000u);
}

// ---- NewReno ----

TEST(NewReno, SlowStart_OneAckPerSegment_DoublesPerRtt) {
  NewReno reno(kSmss, kStart);
  EXPECT_TRUE(reno.in_slow_start());
  EXPECT_EQ(reno.ssthresh(), UINT32_MAX);
  Instant now = kStart;
  for (int round = 1; round <= 4; ++round) {
    RunRtt(reno, now, Duration::Millis(10));
    EXPECT_EQ(reno.cwnd(), (14600u << round)) << "round " << round;
  }
}

TEST(NewReno, SlowStart_DelayedAcks_StillDoublePerRtt) {
  NewReno reno(kSmss, kStart);
  Instant now = kStart;
  RunRtt(reno, now, Duration::Millis(10), 2 * kSmss);
  EXPECT_EQ(reno.cwnd(), 2 * 14600u);
}

TEST(NewReno, SlowStart_StretchAck_AbcLimitsToTwoSmss) {
  NewReno reno(kSmss, kStart);
  reno.OnAck(10 * kSmss, 10 * kSmss, kStart, Duration::Millis(10), true);
  EXPECT_EQ(reno.cwnd(), 14600u + 2 * kSmss);
}

TEST(NewReno, CongestionAvoidance_OneSmssPerRtt) {
  for (uint32_t per_ack : {kSmss, 2 * kSmss, 5 * kSmss}) {
    NewReno reno(kSmss, kStart);
    reno.OnCongestionEvent(40 * kSmss, kStart);
    reno.OnRecoveryExit();
    ASSERT_EQ(reno.cwnd(), 20 * kSmss);
    ASSERT_FALSE(reno.in_slow_start());
    Instant now = kStart;
    for (uint32_t round = 1; round <= 10; ++round) {
      RunRtt(reno, now, Duration::Millis(10), per_ack);
      EXPECT_EQ(reno.cwnd(), (20 + round) * kSmss)
          << "round " << round << " per_ack " << per_ack;
    }
  }
}

TEST(NewReno, CongestionEvent_SsthreshIsHalfFlightSize_CwndIsSsthresh) {
  NewReno reno(kSmss, kStart);
  reno.OnCongestionEvent(30 * kSmss, kStart);
  EXPECT_EQ(reno.ssthresh(), 15 * kSmss);
  EXPECT_EQ(reno.cwnd(), 15 * kSmss);
  reno.OnRecoveryExit();
  EXPECT_EQ(reno.cwnd(), 15 * kSmss);
}

TEST(NewReno, CongestionEvent_SmallFlight_SsthreshFloorTwoSmss) {
  NewReno reno(kSmss, kStart);
  reno.OnCongestionEvent(3 * kSmss, kStart);
  EXPECT_EQ(reno.ssthresh(), 2 * kSmss);
  EXPECT_EQ(reno.cwnd(), 2 * kSmss);
}

TEST(NewReno, Rto_CwndOneSmss_RepeatedExpiryKeepsSsthresh) {
  NewReno reno(kSmss, kStart);
  GrowTo(reno, 40 * kSmss, kStart);
  reno.OnRetransmissionTimeout(40 * kSmss);
  EXPECT_EQ(reno.cwnd(), kSmss);
  EXPECT_EQ(reno.ssthresh(), 20 * kSmss);
  // The retransmission times out again: ssthresh is held (RFC 5681 3.1).
  reno.OnRetransmissionTimeout(kSmss);
  EXPECT_EQ(reno.cwnd(), kSmss);
  EXPECT_EQ(reno.ssthresh(), 20 * kSmss);
  // After new data is acknowledged, a timeout is a new episode.
  reno.OnAck(kSmss, kSmss, kStart, Duration::Millis(10), true);
  EXPECT_EQ(reno.cwnd(), 2 * kSmss);
  reno.OnRetransmissionTimeout(6 * kSmss);
  EXPECT_EQ(reno.ssthresh(), 3 * kSmss);
  EXPECT_EQ(reno.cwnd(), kSmss);
}

TEST(NewReno, Rto_ThenSlowStartToSsthreshThenAvoidance) {
  NewReno reno(kSmss, kStart);
  reno.OnRetransmissionTimeout(16 * kSmss);
  Instant now = kStart;
  for (int i = 0; i < 3; ++i) {
    RunRtt(reno, now, Duration::Millis(10));
  }
  EXPECT_EQ(reno.cwnd(), 8 * kSmss);
  EXPECT_FALSE(reno.in_slow_start());
  RunRtt(reno, now, Duration::Millis(10));
  EXPECT_EQ(reno.cwnd(), 9 * kSmss);
}

TEST(NewReno, NotCwndLimited_NoGrowth) {
  NewReno reno(kSmss, kStart);
  Instant now = kStart;
  RunRtt(reno, now, Duration::Millis(10), kSmss, /*cwnd_limited=*/false);
  EXPECT_EQ(reno.cwnd(), 14600u);
  reno.OnCongestionEvent(40 * kSmss, now);
  reno.OnRecoveryExit();
  for (int i = 0; i < 5; ++i) {
    RunRtt(reno, now, Duration::Millis(10), kSmss, false);
  }
  EXPECT_EQ(reno.cwnd(), 20 * kSmss);
}

TEST(NewReno, IdleRestart_LongerThanRto_CwndToInitialWindow) {
  NewReno reno(kSmss, kStart);
  GrowTo(reno, 50 * kSmss, kStart);
  const Duration rto = Duration::Millis(200);
  const Instant last_send = kStart;
  reno.OnIdleRestart(last_send + rto, rto, last_send);
  EXPECT_EQ(reno.cwnd(), 50 * kSmss);  // idle == RTO: not "more than" one
  reno.OnIdleRestart(last_send + Duration::Millis(201), rto, last_send);
  EXPECT_EQ(reno.cwnd(), 14600u);
  // A window already below IW is kept: RW = min(IW, cwnd).
  reno.OnRetransmissionTimeout(4 * kSmss);
  reno.OnIdleRestart(last_send + Duration::Seconds(5), rto, last_send);
  EXPECT_EQ(reno.cwnd(), kSmss);
}

TEST(NewReno, SpuriousRetransmission_RestoresCwndAndSsthresh) {
  NewReno reno(kSmss, kStart);
  GrowTo(reno, 40 * kSmss, kStart);
  reno.OnRetransmissionTimeout(40 * kSmss);
  reno.OnSpuriousRetransmission();
  EXPECT_EQ(reno.cwnd(), 40 * kSmss);
  EXPECT_EQ(reno.ssthresh(), UINT32_MAX);
  // Nothing to undo twice.
  reno.OnSpuriousRetransmission();
  EXPECT_EQ(reno.cwnd(), 40 * kSmss);
}

// ---- CUBIC ----

TEST(Cubic, SlowStart_SameAsRfc5681) {
  Cubic cubic(kSmss, kStart);
  Instant now = kStart;
  RunRtt(cubic, now, Duration::Millis(10));
  EXPECT_EQ(cubic.cwnd(), 2 * 14600u);
  cubic.OnAck(10 * kSmss, 10 * kSmss, now, Duration::Millis(10), true);
  EXPECT_EQ(cubic.cwnd(), 2 * 14600u + 2 * kSmss);
}

TEST(Cubic, CongestionEvent_SsthreshIsBetaTimesCwnd_WMaxIsCwnd) {
  Cubic cubic(kSmss, kStart);
  GrowTo(cubic, 100 * kSmss, kStart);
  cubic.OnCongestionEvent(100 * kSmss, kStart);
  EXPECT_EQ(cubic.w_max(), 100 * kSmss);
  EXPECT_EQ(cubic.ssthresh(), 70 * kSmss);
  EXPECT_EQ(cubic.cwnd(), 70 * kSmss);
  cubic.OnRecoveryExit();
  EXPECT_EQ(cubic.cwnd(), 70 * kSmss);
}

TEST(Cubic, CongestionEvent_SmallCwnd_SsthreshFloorTwoSmss) {
  Cubic cubic(kSmss, kStart);
  cubic.OnRetransmissionTimeout(10 * kSmss);
  cubic.OnCongestionEvent(kSmss, kStart);
  EXPECT_EQ(cubic.ssthresh(), 2 * kSmss);
}

TEST(Cubic, K_IsCubeRootOfWMaxTimesOneMinusBetaOverC) {
  for (uint32_t w : {20u, 100u, 1000u, 10000u, 40000u}) {
    Cubic cubic = CubicAfterLoss(w, kStart);
    const double w_max = static_cast<double>(cubic.w_max()) / kSmss;
    const double cwnd_epoch = static_cast<double>(cubic.cwnd()) / kSmss;
    cubic.OnAck(kSmss, cubic.cwnd(), kStart, Duration::Millis(10), true);
    ASSERT_TRUE(cubic.epoch_started());
    // RFC 9438 eq. 2 with cwnd_epoch = beta * W_max.
    const double k = std::cbrt((w_max - cwnd_epoch) / 0.4);
    EXPECT_NEAR(Seconds(cubic.k()), k, 0.002) << "W_max " << w;
    EXPECT_NEAR(Seconds(cubic.k()), std::cbrt(w_max * (1 - 0.7) / 0.4), 0.02)
        << "W_max " << w;
  }
}

TEST(Cubic, WCubic_AtZeroKAndTwoK_MatchesEquation1) {
  for (uint32_t w : {100u, 1000u, 10000u}) {
    Cubic cubic = CubicAfterLoss(w, kStart);
    const uint32_t cwnd_epoch = cubic.cwnd();
    cubic.OnAck(kSmss, cubic.cwnd(), kStart, Duration::Millis(10), true);
    const double w_max = cubic.w_max();
    const double k = Seconds(cubic.k());
    // t = 0: the curve starts at cwnd_epoch = beta * W_max.
    EXPECT_NEAR(static_cast<double>(cubic.WCubic(Duration::Zero())), cwnd_epoch,
                kSmss);
    // t = K: the plateau at W_max.
    EXPECT_NEAR(static_cast<double>(cubic.WCubic(cubic.k())), w_max, kSmss);
    // t = 2K: W_max + C*K^3 segments.
    const double expected = w_max + 0.4 * k * k * k * kSmss;
    EXPECT_NEAR(static_cast<double>(cubic.WCubic(cubic.k() * 2)), expected,
                kSmss)
        << "W_max " << w;
    // Any t: eq. 1 within a segment.
    for (double t = 0; t < 3 * k; t += k / 7) {
      const double want = 0.4 * std::pow(t - k, 3) * kSmss + w_max;
      EXPECT_NEAR(static_cast<double>(cubic.WCubic(
                      Duration::Nanos(static_cast<int64_t>(t * 1e9)))),
                  want, kSmss)
          << "t " << t;
    }
  }
}

TEST(Cubic, FastConvergence_LossBelowWMax_LowersWMax) {
  Cubic cubic = CubicAfterLoss(100, kStart);
  ASSERT_EQ(cubic.w_max(), 100 * kSmss);
  ASSERT_EQ(cubic.cwnd(), 70 * kSmss);
  // A second loss before regaining W_max: W_max = cwnd * (1 + beta) / 2.
  cubic.OnCongestionEvent(70 * kSmss, kStart);
  EXPECT_EQ(cubic.w_max(), 70 * kSmss * 17 / 20);
  EXPECT_LT(cubic.w_max(), 70 * kSmss);
  EXPECT_EQ(cubic.ssthresh(), 49 * kSmss);
}

TEST(Cubic, RenoFriendlyRegion_SmallRtt_WEstDominates) {
  Cubic cubic = CubicAfterLoss(100, kStart);
  Instant now = kStart;
  const Duration rtt = Duration::Micros(100);
  for (int i = 0; i < 200; ++i) {
    RunRtt(cubic, now, rtt);
  }
  // 200 RTTs are 20 ms: W_cubic has barely moved from 70 segments, while
  // W_est gained alpha (then 1) segment per RTT.
  const uint64_t w_cubic = cubic.WCubic(now - cubic.epoch_start());
  EXPECT_LT(w_cubic, 71u * kSmss);
  EXPECT_EQ(cubic.cwnd(), cubic.w_est());
  EXPECT_GT(cubic.cwnd(), 200u * kSmss);
  // alpha = 9/17 until W_est reaches cwnd_prior = 100 segments (57 RTTs),
  // then 1 per RTT: about 100 + 143 segments.
  EXPECT_NEAR(static_cast<double>(cubic.cwnd()) / kSmss, 243.0, 5.0);
}

TEST(Cubic, LargeRtt_CubicRegion_ConcaveThenConvex) {
  Cubic cubic = CubicAfterLoss(1000, kStart);
  Instant now = kStart;
  const Duration rtt = Duration::Millis(100);
  std::vector<uint32_t> cwnd_per_round;
  std::vector<double> t_per_round;
  while (!cubic.epoch_started() ||
         now - cubic.epoch_start() < Duration::Seconds(19)) {
    RunRtt(cubic, now, rtt);
    cwnd_per_round.push_back(cubic.cwnd());
    t_per_round.push_back(Seconds(now - cubic.epoch_start()));
  }
  const double k = Seconds(cubic.k());
  ASSERT_NEAR(k, std::cbrt(300 / 0.4), 0.01);  // ~9.09 s
  const auto index_at = [&](double t) {
    size_t i = 0;
    while (i < t_per_round.size() && t_per_round[i] < t) {
      ++i;
    }
    return i;
  };
  const auto growth = [&](double from, double to) {
    return static_cast<int64_t>(cwnd_per_round[index_at(to)]) -
           static_cast<int64_t>(cwnd_per_round[index_at(from)]);
  };
  // Concave: growth slows down on the way to W_max.
  EXPECT_GT(growth(0, 1), growth(4, 5));
  EXPECT_GT(growth(4, 5), growth(8, 9));
  EXPECT_GE(growth(8, 9), 0);
  // Near K the window sits at W_max.
  EXPECT_NEAR(static_cast<double>(cwnd_per_round[index_at(k)]), cubic.w_max(),
              3.0 * kSmss);
  // Convex: growth speeds up past W_max.
  EXPECT_LT(growth(k, k + 1), growth(k + 4, k + 5));
  EXPECT_LT(growth(k + 4, k + 5), growth(k + 8, k + 9));
  EXPECT_GT(cwnd_per_round.back(), cubic.w_max() + 100 * kSmss);
  // The window tracks W_cubic between t and t + 2 RTT.
  for (size_t i = 0; i < cwnd_per_round.size(); i += 10) {
    const Duration t =
        Duration::Nanos(static_cast<int64_t>(t_per_round[i] * 1e9));
    EXPECT_GE(cwnd_per_round[i] + 2 * kSmss, cubic.WCubic(t)) << "round " << i;
    EXPECT_LE(cwnd_per_round[i], cubic.WCubic(t + rtt * 2) + 2 * kSmss)
        << "round " << i;
  }
}

TEST(Cubic, NotCwndLimited_NoGrowth_EpochClockStops) {
  Cubic cubic = CubicAfterLoss(100, kStart);
  Instant now = kStart;
  RunRtt(cubic, now, Duration::Millis(50));
  ASSERT_TRUE(cubic.epoch_started());
  const uint32_t cwnd = cubic.cwnd();
  const Instant epoch = cubic.epoch_start();
  RunRtt(cubic, now, Duration::Millis(50), kSmss, /*cwnd_limited=*/false);
  EXPECT_EQ(cubic.cwnd(), cwnd);
  EXPECT_EQ(cubic.epoch_start(), epoch + Duration::Millis(50));
}

TEST(Cubic, Rto_CwndOneSmss_NextEpochHasKZeroAndWMaxAtItsStart) {
  Cubic cubic(kSmss, kStart);
  GrowTo(cubic, 100 * kSmss, kStart);
  cubic.OnRetransmissionTimeout(100 * kSmss);
  EXPECT_EQ(cubic.cwnd(), kSmss);
  EXPECT_EQ(cubic.ssthresh(), 70 * kSmss);
  cubic.OnRetransmissionTimeout(kSmss);
  EXPECT_EQ(cubic.ssthresh(), 70 * kSmss);
  const Instant now = kStart + Duration::Millis(10);
  GrowTo(cubic, 70 * kSmss, now);
  ASSERT_FALSE(cubic.in_slow_start());
  ASSERT_FALSE(cubic.epoch_started());
  const uint32_t cwnd_epoch = cubic.cwnd();
  cubic.OnAck(kSmss, cwnd_epoch, now, Duration::Millis(10), true);
  ASSERT_TRUE(cubic.epoch_started());
  EXPECT_EQ(cubic.k(), Duration::Zero());
  EXPECT_EQ(cubic.w_max(), cwnd_epoch);
}

TEST(Cubic, IdleRestart_LongerThanRto_CwndToIwAndEpochReset) {
  Cubic cubic = CubicAfterLoss(100, kStart);
  Instant now = kStart;
  RunRtt(cubic, now, Duration::Millis(10));
  ASSERT_TRUE(cubic.epoch_started());
  const uint32_t cwnd = cubic.cwnd();
  const Duration rto = Duration::Millis(200);
  cubic.OnIdleRestart(now + Duration::Millis(100), rto, now);
  EXPECT_EQ(cubic.cwnd(), cwnd);
  EXPECT_TRUE(cubic.epoch_started());
  cubic.OnIdleRestart(now + Duration::Seconds(1), rto, now);
  EXPECT_EQ(cubic.cwnd(), 14600u);
  EXPECT_FALSE(cubic.epoch_started());
  EXPECT_TRUE(cubic.in_slow_start());
}

TEST(Cubic, SpuriousRetransmission_RestoresWindowAndWMax) {
  Cubic cubic = CubicAfterLoss(100, kStart);
  GrowTo(cubic, 90 * kSmss, kStart);  // ssthresh 70: avoidance from 70
  cubic.OnAck(kSmss, 0, kStart, Duration::Millis(10), true);
  const uint32_t cwnd = cubic.cwnd();
  cubic.OnCongestionEvent(cwnd, kStart);
  EXPECT_LT(cubic.w_max(), 100 * kSmss);
  cubic.OnSpuriousRetransmission();
  EXPECT_EQ(cubic.cwnd(), cwnd);
  EXPECT_EQ(cubic.ssthresh(), 70 * kSmss);
  EXPECT_EQ(cubic.w_max(), 100 * kSmss);
}

// ---- dispatcher ----

// A scripted life: slow start, a loss, avoidance, a timeout, idle, undo.
template <typename Cc>
std::vector<std::pair<uint32_t, uint32_t>> Script(Cc& cc) {
  std::vector<std::pair<uint32_t, uint32_t>> trace;
  const auto record = [&] { trace.emplace_back(cc.cwnd(), cc.ssthresh()); };
  Instant now = kStart;
  const Duration rtt = Duration::Millis(30);
  for (int i = 0; i < 4; ++i) {
    RunRtt(cc, now, rtt);
    record();
  }
  cc.OnCongestionEvent(cc.cwnd(), now);
  record();
  cc.OnRecoveryExit();
  record();
  for (int i = 0; i < 40; ++i) {
    RunRtt(cc, now, rtt, 2 * kSmss);
    record();
  }
  cc.OnRetransmissionTimeout(cc.cwnd());
  record();
  for (int i = 0; i < 20; ++i) {
    RunRtt(cc, now, rtt);
    record();
  }
  cc.OnIdleRestart(now + Duration::Seconds(2), Duration::Millis(300), now);
  record();
  now += Duration::Seconds(2);
  for (int i = 0; i < 10; ++i) {
    RunRtt(cc, now, rtt, kSmss, i % 3 != 0);
    record();
  }
  cc.OnCongestionEvent(cc.cwnd(), now);
  cc.OnSpuriousRetransmission();
  record();
  return trace;
}

TEST(CongestionControl, NewReno_SameAsDirect) {
  NewReno direct(kSmss, kStart);
  CongestionControl cc(CcAlgorithm::kNewReno, kSmss, kStart);
  EXPECT_EQ(cc.algorithm(), CcAlgorithm::kNewReno);
  ASSERT_NE(cc.new_reno(), nullptr);
  EXPECT_EQ(cc.cubic(), nullptr);
  EXPECT_EQ(Script(cc), Script(direct));
}

TEST(CongestionControl, Cubic_SameAsDirect) {
  Cubic direct(kSmss, kStart);
  CongestionControl cc(CcAlgorithm::kCubic, kSmss, kStart);
  EXPECT_EQ(cc.algorithm(), CcAlgorithm::kCubic);
  ASSERT_NE(cc.cubic(), nullptr);
  const auto trace = Script(cc);
  EXPECT_EQ(trace, Script(direct));
  EXPECT_EQ(cc.cubic()->w_max(), direct.w_max());
}

TEST(CongestionControl, FourArgumentOnAck_DerivesCwndLimitedFromFlight) {
  CongestionControl cc(CcAlgorithm::kNewReno, kSmss, kStart);
  // Only 2 segments in flight out of a 10-segment window: app-limited.
  cc.OnAck(kSmss, 2 * kSmss, kStart, Duration::Millis(10));
  EXPECT_EQ(cc.cwnd(), 14600u);
  // The whole window in flight: slow start grows it.
  cc.OnAck(kSmss, 14600, kStart, Duration::Millis(10));
  EXPECT_EQ(cc.cwnd(), 14600u + kSmss);
}

}  // namespace
}  // namespace tern::tcp
