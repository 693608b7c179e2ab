// The bound on RSTs answering segments for no connection
// (EndpointConfig::no_socket_rst_per_second, lib/tcp/rst_limiter.h): a
// flood of segments to a closed port or of ACKs to a listener draws at most
// a second's budget of RSTs, the rest are counted (rst_limited) and the
// segments still counted under their drop reason; the budget refills at the
// configured rate; connections' own RSTs are not bounded by it.
#include <cstdint>
#include <set>

#include "gtest/gtest.h"
#include "lib/tcp/rst_limiter.h"
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// FreeBSD's net.inet.icmp.icmplim, the default.
constexpr uint32_t kRate = 200;
// The capacity is the rate minus a jitter of up to 16 (8 %).
constexpr uint32_t kMinCapacity = kRate - 16;

class RstLimitTest : public ScriptTest {
 protected:
  // `n` ACKs from distinct spoofed sources to port 81 (no listener), each
  // answered <SEQ=SEG.ACK><CTL=RST> when answered; returns how many were.
  uint64_t FloodClosedPort(int n, uint16_t dst_port = 81) {
    const uint64_t before = ep_->stats().rst_sent.Get();
    for (int i = 0; i < n; ++i) {
      const uint32_t ack = 7000 + static_cast<uint32_t>(i);
      Deliver(SegBuilder()
                  .From(wire::Ipv4Addr::FromOctets(203, 0, 113, i % 250 + 1),
                        static_cast<uint16_t>(1024 + i))
                  .To(kLocalAddr, dst_port)
                  .AckOnly()
                  .Seq(1)
                  .Ack(ack));
    }
    uint64_t answered = 0;
    Flush();
    for (const Sent& s : sink_.sent) {
      EXPECT_EQ(s.tcp.flags, kRst);
      EXPECT_GE(s.tcp.seq.raw(), 7000u);
      ++answered;
    }
    DropSent();
    EXPECT_EQ(ep_->stats().rst_sent.Get() - before, answered);
    return answered;
  }
  uint64_t Limited() const { return ep_->stats().rst_limited.Get(); }
};

TEST_F(RstLimitTest, Closed_AckFlood_RstsBoundedByTheBucket) {
  ASSERT_EQ(config_.no_socket_rst_per_second, kRate);
  const uint64_t answered = FloodClosedPort(1000);
  EXPECT_GE(answered, kMinCapacity);
  EXPECT_LE(answered, kRate);
  EXPECT_EQ(Limited(), 1000 - answered);
  // Every segment is still counted as a drop for no connection.
  EXPECT_EQ(Drops(DropReason::kNoSocket), 1000u);
}

TEST_F(RstLimitTest, Closed_BudgetRefillsAtTheRate) {
  FloodClosedPort(1000);
  // 50 ms earns 10 tokens at 200 a second.
  Advance(Duration::Millis(50));
  EXPECT_EQ(FloodClosedPort(100), 10u);
  // A whole second refills the bucket, never above one second's worth.
  Advance(Duration::Seconds(5));
  const uint64_t answered = FloodClosedPort(1000);
  EXPECT_GE(answered, kMinCapacity);
  EXPECT_LE(answered, kRate);
}

TEST_F(RstLimitTest, Closed_UnderTheRate_EveryOneAnswered) {
  // 100 a second, spread evenly, never finds the bucket empty.
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(FloodClosedPort(1), 1u) << i;
    Advance(Duration::Millis(10));
  }
  EXPECT_EQ(Limited(), 0u);
}

TEST_F(RstLimitTest, Listen_AckFlood_RstsBoundedAndCounted) {
  MakeListen();
  const uint64_t answered = FloodClosedPort(1000, kLocalPort);
  EXPECT_GE(answered, kMinCapacity);
  EXPECT_LE(answered, kRate);
  EXPECT_EQ(Limited(), 1000 - answered);
  EXPECT_EQ(Drops(DropReason::kListenAck), 1000u);
  EXPECT_EQ(ep_->half_open_total(), 0u);
}

TEST_F(RstLimitTest, RateZero_NoLimit) {
  config_.no_socket_rst_per_second = 0;
  Recreate();
  EXPECT_EQ(FloodClosedPort(1000), 1000u);
  EXPECT_EQ(Limited(), 0u);
}

TEST_F(RstLimitTest, RateAboveMaximum_Rejected) {
  config_.no_socket_rst_per_second =
      EndpointConfig::kMaxNoSocketRstPerSecond + 1;
  EXPECT_FALSE(config_.Validate().ok());
}

TEST_F(RstLimitTest, SynReceivedBadAck_ResetStillSentWhenBudgetSpent) {
  // The bound is for segments of no connection: a half-open record's reset
  // of an unacceptable ACK (RFC 9293 3.10.7.4) is not held back by it.
  MakeSynReceived();
  FloodClosedPort(1000);
  ASSERT_GT(Limited(), 0u);
  const uint64_t limited = Limited();
  Deliver(Peer().AckOnly().Ack(our_iss_ + 100));
  ExpectSent(kRst, our_iss_ + 100, 0);
  EXPECT_EQ(Limited(), limited);
  EXPECT_EQ(ep_->half_open_total(), 1u);
}

TEST_F(RstLimitTest, Established_ConnectionAbort_NotBounded) {
  MakeEstablished();
  FloodClosedPort(1000);
  const uint64_t limited = Limited();
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  Flush();
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].tcp.flags, kRst | kAck);
  EXPECT_EQ(Limited(), limited);
}

// The capacity is secret per endpoint: endpoints with different keys get
// different budgets (so an observer cannot count the budget exactly), and
// each stays within rate - 16 .. rate.
TEST(RstLimiter, Capacity_JitteredWithinEightPercent) {
  std::set<uint32_t> seen;
  for (uint32_t r = 0; r < 1000; ++r) {
    const uint32_t c = RstLimiter::Capacity(kRate, r * 2654435761u);
    EXPECT_GE(c, kMinCapacity);
    EXPECT_LE(c, kRate);
    seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 17u);                    // every value of 184..200
  EXPECT_EQ(RstLimiter::Capacity(1, 12345), 1u);  // a rate of 1 keeps 1
}

TEST(RstLimiter, Take_RefillsFractionsWithoutLoss) {
  RstLimiter l;
  Instant t = Instant::FromNanos(0);
  uint32_t taken = 0;
  while (l.Take(t, 3, 0)) {
    ++taken;
  }
  EXPECT_EQ(taken, 3u);
  // 3 a second: one token each 333.3 ms; 10 steps of 100 ms earn 3.
  uint32_t more = 0;
  for (int i = 0; i < 10; ++i) {
    t = t + Duration::Millis(100);
    more += l.Take(t, 3, 0) ? 1 : 0;
  }
  EXPECT_EQ(more, 3u);
}

}  // namespace
}  // namespace tern::tcp::testing
