// RttEstimator against the formulas of RFC 6298 section 2 and 5.
#include "lib/tcp/rtt_estimator.h"

#include <gtest/gtest.h>

namespace tern::tcp {
namespace {

RttEstimator::Options Opts() {
  RttEstimator::Options o;
  o.initial = Duration::Seconds(1);
  o.min = Duration::Millis(200);
  o.max = Duration::Seconds(120);
  o.granularity = Duration::Millis(1);
  return o;
}

TEST(RttEstimator, BeforeAnySample_InitialRto) {
  // RFC 6298 2.1: "Until a round-trip time (RTT) measurement has been made
  // ... the sender SHOULD set RTO <- 1 second".
  RttEstimator e;
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.rto(Opts()), Duration::Seconds(1));
}

TEST(RttEstimator, FirstSample_SrttRttvarPerSection2_2) {
  // SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max(G, K*RTTVAR), K = 4.
  RttEstimator e;
  e.Sample(Duration::Millis(100));
  EXPECT_EQ(e.srtt(), Duration::Millis(100));
  EXPECT_EQ(e.rttvar(), Duration::Millis(50));
  EXPECT_EQ(e.rto(Opts()), Duration::Millis(300));
}

TEST(RttEstimator, LaterSample_SmoothedPerSection2_3) {
  // RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|; SRTT <- 7/8 SRTT + 1/8 R'.
  RttEstimator e;
  e.Sample(Duration::Millis(100));
  e.Sample(Duration::Millis(180));
  // RTTVAR = 0.75 * 50 + 0.25 * 80 = 57.5 ms; SRTT = 87.5 + 22.5 = 110 ms.
  EXPECT_EQ(e.rttvar(), Duration::Micros(57500));
  EXPECT_EQ(e.srtt(), Duration::Millis(110));
  EXPECT_EQ(e.rto(Opts()), Duration::Millis(110) + Duration::Micros(230000));
}

TEST(RttEstimator, SmallRtt_ClampedToMinimum) {
  // RFC 6298 2.4 allows a minimum; tern's default is Linux's 200 ms.
  RttEstimator e;
  e.Sample(Duration::Micros(50));
  EXPECT_EQ(e.rto(Opts()), Duration::Millis(200));
}

TEST(RttEstimator, ZeroVariance_GranularityBoundsTheTerm) {
  // max(G, K*RTTVAR): with RTTVAR near 0, G (1 ms) is added.
  RttEstimator::Options o = Opts();
  o.min = Duration::Zero();
  RttEstimator e;
  for (int i = 0; i < 200; ++i) {
    e.Sample(Duration::Millis(10));
  }
  EXPECT_EQ(e.srtt(), Duration::Millis(10));
  EXPECT_GE(e.rto(o), Duration::Millis(11));
  EXPECT_LT(e.rto(o), Duration::Millis(12));
}

TEST(RttEstimator, Backoff_DoublesUpToMaximum) {
  // RFC 6298 5.5: RTO <- RTO * 2 on each expiry; 2.5: a maximum may apply.
  RttEstimator e;
  e.Backoff(Opts());
  EXPECT_EQ(e.rto(Opts()), Duration::Seconds(2));
  e.Backoff(Opts());
  EXPECT_EQ(e.rto(Opts()), Duration::Seconds(4));
  for (int i = 0; i < 20; ++i) {
    e.Backoff(Opts());
  }
  EXPECT_EQ(e.rto(Opts()), Duration::Seconds(120));
  EXPECT_LT(e.backoff(), 20);  // stops counting once the maximum is reached
}

TEST(RttEstimator, NewSample_ClearsBackoff) {
  RttEstimator e;
  e.Sample(Duration::Millis(100));
  e.Backoff(Opts());
  e.Backoff(Opts());
  EXPECT_EQ(e.rto(Opts()), Duration::Millis(1200));
  e.Sample(Duration::Millis(100));
  EXPECT_EQ(e.backoff(), 0);
  EXPECT_LT(e.rto(Opts()), Duration::Millis(400));
}

TEST(RttEstimator, NegativeSample_Ignored) {
  RttEstimator e;
  e.Sample(Duration::Zero() - Duration::Millis(5));
  EXPECT_FALSE(e.has_sample());
}

TEST(RttEstimator, RestartAfterSynTimeout_InitialRtoAtLeast3s) {
  // RFC 6298 5.7: "the RTO MUST be re-initialized to 3 seconds when data
  // transmission begins"; a later sample computes the RTO as usual.
  RttEstimator e;
  e.Sample(Duration::Millis(100));
  e.Backoff(Opts());
  e.RestartAfterSynTimeout();
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.backoff(), 0);
  EXPECT_EQ(e.rto(Opts()), RttEstimator::kSynTimeoutRto);
  e.Sample(Duration::Millis(100));
  EXPECT_EQ(e.rto(Opts()), Duration::Millis(300));
}

}  // namespace
}  // namespace tern::tcp
