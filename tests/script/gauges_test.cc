// Per-state gauges (Endpoint::StateGauge) held against what a scenario did:
// handshakes, half-open records, active opens, closes into TIME-WAIT, and
// every way out (expiry, a full TIME-WAIT table, abort of a socket held in
// TIME-WAIT, SYN-ACK and SYN timeouts).
#include <gtest/gtest.h>

#include <map>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class GaugesTest : public ScriptTest {
 protected:
  // A handshake from `port`, accepted; returns the handle and sets the
  // sequence bookkeeping for it.
  ConnHandle Open(uint16_t port) {
    const uint32_t iss = PassiveHandshake(port);
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    EXPECT_TRUE(h.has_value());
    iss_[port] = iss;
    return h.value_or(ConnHandle{});
  }
  // Our FIN out (shutdown), the peer's ACK and FIN in: TIME-WAIT.
  void CloseToTimeWait(ConnHandle h, uint16_t port) {
    ASSERT_EQ(ep_->ShutdownWrite(h, now_), SockError::kOk);
    DropSent();
    const uint32_t fin_acked = iss_[port] + 2;
    Deliver(SegBuilder().From(kRemoteAddr, port).Fin().Seq(2).Ack(fin_acked));
    DropSent();
  }
  void ExpectGauges(std::map<State, int64_t> want) {
    for (State s : {State::kSynSent, State::kSynReceived, State::kEstablished,
                    State::kFinWait1, State::kFinWait2, State::kCloseWait,
                    State::kClosing, State::kLastAck, State::kTimeWait}) {
      EXPECT_EQ(ep_->StateGauge(s), want[s]) << ToString(s);
    }
    EXPECT_EQ(ep_->StateGauge(State::kTimeWait),
              static_cast<int64_t>(ep_->time_wait_count()) + held_time_wait_);
  }
  std::map<uint16_t, uint32_t> iss_;
  int64_t held_time_wait_ = 0;
};

TEST_F(GaugesTest, Scenario_GaugesMatchWhatHappened) {
  MakeListen();
  ConnHandle a = Open(41001);
  ConnHandle b = Open(41002);
  ConnHandle c = Open(41003);
  (void)b;
  // Two half-open records.
  Deliver(SegBuilder().From(kRemoteAddr, 42001).Syn().Seq(9).Mss(1460));
  Deliver(SegBuilder().From(kRemoteAddr, 42002).Syn().Seq(9).Mss(1460));
  DropSent();
  // One active open.
  ASSERT_TRUE(
      ep_->Connect(kLocalAddr, kRemoteAddr, 8080, connect_options_, now_).ok());
  DropSent();
  ExpectGauges({{State::kSynSent, 1},
                {State::kSynReceived, 2},
                {State::kEstablished, 3}});
  EXPECT_EQ(ep_->StateGauge(State::kSynReceived),
            static_cast<int64_t>(ep_->half_open_total()));
  // One close into TIME-WAIT, the socket kept; one peer FIN (CLOSE-WAIT).
  CloseToTimeWait(a, 41001);
  Deliver(
      SegBuilder().From(kRemoteAddr, 41003).Fin().Seq(2).Ack(iss_[41003] + 1));
  DropSent();
  ExpectGauges({{State::kSynSent, 1},
                {State::kSynReceived, 2},
                {State::kEstablished, 1},
                {State::kCloseWait, 1},
                {State::kTimeWait, 1}});
  // Aborting the socket held in TIME-WAIT leaves the record: still one.
  ASSERT_EQ(ep_->Abort(a, now_), SockError::kOk);
  ExpectGauges({{State::kSynSent, 1},
                {State::kSynReceived, 2},
                {State::kEstablished, 1},
                {State::kCloseWait, 1},
                {State::kTimeWait, 1}});
  // Closing the CLOSE-WAIT one: LAST-ACK.
  ASSERT_EQ(ep_->Close(c, now_), SockError::kOk);
  DropSent();
  EXPECT_EQ(ep_->StateGauge(State::kLastAck), 1);
  // Three minutes on: SYN-ACKs and the SYN give up, TIME-WAIT expires, the
  // LAST-ACK connection times out after its FIN retransmissions.
  Advance(Duration::Seconds(3600));
  DropSent();
  ExpectGauges({{State::kEstablished, 1}});
  EXPECT_EQ(ep_->half_open_total(), 0u);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(GaugesTest, TimeWaitTableFull_ConnectionSkipsIt_GaugeZero) {
  config_.max_time_wait = 0;
  Recreate();
  MakeListen();
  ConnHandle a = Open(43001);
  CloseToTimeWait(a, 43001);
  EXPECT_EQ(ep_->stats().time_wait_overflow.Get(), 1u);
  EXPECT_EQ(ep_->StateGauge(State::kTimeWait), 0);
}

TEST_F(GaugesTest, TimeWaitReopened_GaugeFollows) {
  MakeListen();
  ConnHandle a = Open(44001);
  CloseToTimeWait(a, 44001);
  ASSERT_EQ(ep_->Close(a, now_), SockError::kOk);
  EXPECT_EQ(ep_->StateGauge(State::kTimeWait), 1);
  // RFC 6191: a SYN beyond RCV.NXT reopens the tuple.
  Deliver(SegBuilder().From(kRemoteAddr, 44001).Syn().Seq(100000).Mss(1460));
  ExpectSent(kSyn | kAck, kAny, 100000 + 1);
  EXPECT_EQ(ep_->StateGauge(State::kTimeWait), 0);
  EXPECT_EQ(ep_->StateGauge(State::kSynReceived), 1);
}

}  // namespace
}  // namespace tern::tcp::testing
