// The persist timer and zero windows (RFC 9293 3.8.6.1, MUST-35 to MUST-37),
// and the limits the endpoint puts on a peer's parameters.
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class PersistTest : public ScriptTest {
 protected:
  // Moves the clock in 10 ms steps until the endpoint sends something (at
  // most `limit`): the next probe, whatever its backed-off interval.
  void AdvanceUntilSent(Duration limit = Duration::Seconds(200)) {
    Instant end = now_ + limit;
    while (SentCount() == 0 && now_ < end) {
      Advance(Duration::Millis(10));
    }
  }
};

TEST_F(PersistTest, Established_ZeroWindowProbesAnswered_NeverTimesOut) {
  config_.data_retries = 3;
  Recreate();
  MakeEstablished();
  // The peer closes its window before we send.
  Deliver(Peer().Window(0));
  EXPECT_EQ(Write("abc"), 3u);
  ExpectNothingSent();
  // Far more probes than data_retries, each answered with a zero window:
  // MUST-37 keeps the connection open.
  for (int i = 0; i < 8; ++i) {
    AdvanceUntilSent();
    Sent probe = ExpectSent(kAck, our_nxt_ - 1, peer_nxt_);
    EXPECT_TRUE(probe.payload.empty());
    Deliver(Peer().Window(0));
  }
  EXPECT_EQ(ConnState(), State::kEstablished);
  // The window opens: the data goes.
  Deliver(Peer().Window(1000));
  Sent d = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("abc");
  EXPECT_EQ(d.PayloadString(), "abc");
}

TEST_F(PersistTest, Established_ZeroWindowProbesUnanswered_TimedOut) {
  config_.data_retries = 3;
  Recreate();
  MakeEstablished();
  Deliver(Peer().Window(0));
  Write("abc");
  for (int i = 0; i < 3; ++i) {
    AdvanceUntilSent();
    ExpectSent(kAck, our_nxt_ - 1, peer_nxt_);
  }
  Advance(Duration::Seconds(200));
  EXPECT_EQ(ep_->Poll(conn_) & events::kClosed, events::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
}

TEST_F(PersistTest, Established_WindowShrinksUnderDataInFlight_ProbesInstead) {
  config_.data_retries = 2;
  Recreate();
  MakeEstablished();
  ASSERT_EQ(Write("hello"), 5u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  // The peer acknowledges nothing and shrinks its window to zero.
  Deliver(Peer().Window(0));
  for (int i = 0; i < 5; ++i) {
    AdvanceUntilSent();
    Sent s = ExpectSent(kAck, our_nxt_ - 1, peer_nxt_);
    EXPECT_TRUE(s.payload.empty()) << "no data into a zero window";
    Deliver(Peer().Window(0));
  }
  EXPECT_EQ(ConnState(), State::kEstablished);
  // Window opens: the next timer retransmits the data.
  Deliver(Peer().Window(1000));
  AdvanceUntilSent();
  Sent r = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  EXPECT_EQ(r.PayloadString(), "hello");
}

TEST_F(PersistTest, Established_ShutdownIntoZeroWindow_FinWaitsForWindow) {
  MakeEstablished();
  Deliver(Peer().Window(0));
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  // A FIN is a unit of sequence space: a zero window cannot take it.
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kFinWait1);
  AdvanceUntilSent();
  ExpectSent(kAck, our_nxt_ - 1, peer_nxt_);  // a window probe
  Deliver(Peer().Window(100));
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
}

TEST_F(PersistTest, SynReceived_PeerMssTiny_ClampedTo48) {
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1));
  Sent sa = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1);
  our_iss_ = sa.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
  peer_nxt_ = peer_iss_ + 1;
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_mss(), 48);
  ep_->SetNodelay(conn_, true, now_);
  Write(std::string(100, 'm'));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(48);
  EXPECT_EQ(s.payload.size(), 48u);
}

TEST(EndpointConfigTest, DelayedAckOfHalfASecond_Rejected) {
  EndpointConfig cfg;
  cfg.delayed_ack = Duration::Millis(500);
  absl::Status s = cfg.Validate();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("delayed_ack"), std::string::npos);
  cfg.delayed_ack = Duration::Millis(499);
  EXPECT_TRUE(cfg.Validate().ok());
}

}  // namespace
}  // namespace tern::tcp::testing
