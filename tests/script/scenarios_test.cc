// Scenarios from the literature, each a script: RFC 9293 3.5 (Figures 6-12:
// old duplicate SYN, half-open connections), 3.6 (closing), RFC 1122
// 4.2.3.6 (dead peers), and the losses every implementation meets.
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class ScenarioTest : public ScriptTest {};

TEST_F(ScenarioTest, Scenario_OldDuplicateSyn_PeerRstsSynAck_HalfOpenGone) {
  MakeListen();
  // RFC 9293 3.5, Figure 8 ("Recovery from Old Duplicate SYN"): an old SYN
  // of a connection that has long closed arrives.
  Deliver(SegBuilder().Syn().Seq(90).Mss(1460));
  Sent synack = ExpectSent(kSyn | kAck, kAny, 90 + 1);
  EXPECT_EQ(synack.tcp.ack.raw(), 91u);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  // The peer knows no such connection: "TCP A detects that the ACK field is
  // incorrect and returns a RST ... <SEQ=91><CTL=RST>" (SEQ = our SEG.ACK).
  Deliver(SegBuilder().Rst().Seq(91));
  // "TCP B, on receiving the RST, returns to the LISTEN state."
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_FALSE(ep_->Accept(listener_).has_value());
  // No SYN-ACK retransmission follows.
  Advance(Duration::Seconds(10));
  ExpectNothingSent();
  // And the real SYN that follows is served normally.
  Deliver(SegBuilder().Syn().Seq(100).Mss(1460));
  Sent synack2 = ExpectSent(kSyn | kAck, kAny, 100 + 1);
  Deliver(SegBuilder().AckOnly().Seq(101).Ack(synack2.tcp.seq.raw() + 1));
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(ScenarioTest, Scenario_OldDuplicateSynAck_ToSynSent_Rst) {
  MakeSynSent();
  // RFC 9293 3.5 Figure 8, the other side: an old SYN-ACK whose ACK does not
  // cover our SYN is answered with <SEQ=SEG.ACK><CTL=RST> (3.10.7.3).
  Deliver(Peer().SynAck().Seq(5555).Ack(our_iss_ - 100));
  ExpectSent(kRst, our_iss_ - 100, 0);
  EXPECT_EQ(ConnState(), State::kSynSent);
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_nxt_).Mss(1460));
  ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(ScenarioTest, Scenario_LostSynAck_ServerBacksOffClientSynResent) {
  MakeSynReceived();
  const Instant start = now_;
  // The SYN-ACK is lost. The server retransmits it after its RTO (1 s).
  AdvanceTo(start + Duration::Seconds(1) + Duration::Millis(2));
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  // That one is lost too; the client's SYN timer fires and it resends its
  // SYN: the server answers with the same SYN-ACK (same ISS) at once.
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  // The server's own timer backed off: next at 1 + 2 = 3 s.
  AdvanceTo(start + Duration::Seconds(3) - Duration::Millis(2));
  ExpectNothingSent();
  AdvanceTo(start + Duration::Seconds(3) + Duration::Millis(2));
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  // This one arrives; the client's ACK completes the handshake.
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
  EXPECT_EQ(ep_->connection_count(), 1u);
}

TEST_F(ScenarioTest, Scenario_LostThirdAck_DataCarriesAck_Established) {
  MakeSynReceived();
  // The client's third ACK is lost; its first data segment carries the same
  // ACK (RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =<
  // SND.NXT, then enter ESTABLISHED state and continue processing").
  Deliver(Peer().Flags(kAck | kPsh).Data("GET / HTTP/1.0\r\n\r\n"));
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Read(), "GET / HTTP/1.0\r\n\r\n");
  Advance(config_.delayed_ack + Duration::Millis(1));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 18);
}

TEST_F(ScenarioTest, Scenario_LostLastAck_PeerFinResent_ReAckedFromTimeWait) {
  MakeTimeWait();
  const Instant entered = now_;
  // Our last ACK is lost: the peer, in LAST-ACK, retransmits its FIN after
  // its RTO. TIME-WAIT exists for this (RFC 9293 3.6): the FIN is ACKed
  // again and the 2 MSL timer restarts.
  Advance(Duration::Seconds(1));
  Deliver(Peer().Fin().Seq(peer_nxt_ - 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Advance(Duration::Seconds(2));
  Deliver(Peer().Fin().Seq(peer_nxt_ - 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  const Instant last = now_;
  AdvanceTo(entered + config_.msl * 2 + Duration::Millis(5));
  EXPECT_EQ(ep_->time_wait_count(), 1u);
  AdvanceTo(last + config_.msl * 2 + Duration::Millis(5));
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(ScenarioTest, Scenario_PeerNeverCloses_FinWait2Timeout) {
  config_.fin_wait2_timeout = EndpointConfig{}.fin_wait2_timeout;
  Recreate();
  MakeEstablished();
  // The server closes; the client ACKs the FIN but never sends its own.
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  Deliver(Peer());
  const Instant fw2 = now_;
  AdvanceTo(fw2 + Duration::Seconds(60) - Duration::Millis(5));
  EXPECT_EQ(ep_->connection_count(), 1u);
  AdvanceTo(fw2 + Duration::Seconds(60) + Duration::Millis(5));
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().fin_wait2_timeouts.Get(), 1u);
  // When the client finally writes, the tuple is gone: RST (3.10.7.2).
  Deliver(Peer().Data("late"));
  ExpectSent(kRst, our_nxt_, 0);
}

TEST_F(ScenarioTest, Scenario_DeadPeer_KeepaliveDefaultsAbort) {
  MakeEstablished();
  const Instant start = now_;
  KeepaliveOptions ka;  // Linux's 7200 s idle, 75 s interval, 9 probes
  ka.enabled = true;
  ASSERT_EQ(ep_->SetKeepalive(conn_, ka, now_), SockError::kOk);
  // The peer's host is gone: no probe is answered.
  AdvanceTo(start + Duration::Seconds(7200 + 8 * 75) + Duration::Millis(5));
  for (int i = 0; i < 9; ++i) {
    ExpectSent(kAck, our_nxt_ - 1, peer_nxt_);
  }
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  AdvanceTo(start + Duration::Seconds(7200 + 9 * 75) + Duration::Millis(5));
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
  EXPECT_EQ(ep_->stats().keepalive_timeouts.Get(), 1u);
}

TEST_F(ScenarioTest, Scenario_PeerCrashedAndReconnects_HalfOpenResolved) {
  MakeEstablished();
  // RFC 9293 3.5.1 (Figures 10-11) with RFC 5961 4.2: the client crashed and
  // reconnects from the same port; its SYN hits our ESTABLISHED connection
  // and gets a challenge ACK.
  const uint32_t new_iss = 400000;
  Deliver(SegBuilder().Syn().Seq(new_iss).Mss(1460));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
  // The client has no such connection: it answers the ACK with
  // <SEQ=SEG.ACK><CTL=RST>, which is exactly our RCV.NXT.
  Deliver(SegBuilder().Rst().Seq(peer_nxt_));
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  // Its SYN retransmission now opens a fresh connection.
  Deliver(SegBuilder().Syn().Seq(new_iss).Mss(1460));
  Sent s = ExpectSent(kSyn | kAck, kAny, new_iss + 1);
  EXPECT_EQ(s.tcp.ack.raw(), new_iss + 1);
}

TEST_F(ScenarioTest, Scenario_SimultaneousClose_BothFinsCross) {
  MakeEstablished();
  // RFC 9293 3.6, Figure 13: both sides close at once.
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  Deliver(Peer().Fin());  // the peer's FIN, sent before ours arrived
  peer_nxt_ += 1;
  our_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kClosing);
  Deliver(Peer());  // the peer's ACK of our FIN
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kTimeWait);
  Advance(config_.msl * 2 + Duration::Millis(5));
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(ScenarioTest, Scenario_LostFin_RetransmittedUntilAcked) {
  MakeCloseWait();
  const Duration rto = Conn()->rtt().rto(config_.rto);
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  // The FIN is lost; the RTO brings it back, and the ACK of it ends all.
  Advance(rto + Duration::Millis(2));
  ExpectSent(kFin | kAck, our_nxt_ - 1, peer_nxt_);
  Deliver(Peer());
  EXPECT_EQ(ep_->connection_count(), 0u);
  Advance(Duration::Seconds(10));
  ExpectNothingSent();
}

}  // namespace
}  // namespace tern::tcp::testing
