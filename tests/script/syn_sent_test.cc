// SYN-SENT (RFC 9293 3.10.7.3) and the active open: the SYN-ACK, bad ACKs,
// RSTs, simultaneous open (RFC 9293 3.5 figure 8), options negotiated on the
// SYN-ACK (RFC 9293 3.7.1, RFC 7323 2.2 / 3.2, RFC 2018 2) and the
// application calls a connection in SYN-SENT answers.
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class SynSentTest : public ScriptTest {
 protected:
  // The peer's SYN-ACK answering our SYN: no options unless added.
  SegBuilder SynAck() const {
    SegBuilder b = Peer();
    b.SynAck().Seq(peer_iss_).Ack(our_nxt_);
    return b;
  }
};

// ---------------------------------------------------------------------------
// The SYN we send (RFC 9293 3.10.1 OPEN; options RFC 9293 3.7.1, RFC 7323,
// RFC 2018).

TEST_F(SynSentTest, Closed_Connect_SynWithAllOptions) {
  MakeSynSent();
  EXPECT_EQ(ep_->stats().active_opens.Get(), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kClosed, State::kSynSent), 1u);
  // MakeSynSent popped the SYN; look at a retransmission of it, which must be
  // identical but for the timestamp.
  Advance(Duration::Seconds(1) + Duration::Millis(1));
  Sent syn = ExpectSent(kSyn, our_iss_, 0);
  ASSERT_TRUE(syn.tcp.options.mss.has_value());
  EXPECT_EQ(*syn.tcp.options.mss, 1460);
  // 64 KiB receive buffer: the smallest shift describing it is 1.
  ASSERT_TRUE(syn.tcp.options.window_scale.has_value());
  EXPECT_EQ(*syn.tcp.options.window_scale, 1);
  EXPECT_TRUE(syn.tcp.options.sack_permitted);
  ASSERT_TRUE(syn.tcp.options.timestamps.has_value());
  // RFC 7323 3.2: TSecr is zero when the ACK bit is off.
  EXPECT_EQ(syn.tcp.options.timestamps->tsecr, 0u);
  // RFC 7323 2.2: the window field of a SYN is never scaled.
  EXPECT_EQ(syn.tcp.window, 65535);
  EXPECT_TRUE(syn.payload.empty());
}

TEST_F(SynSentTest, Closed_ConnectWithOptionsOff_SynOffersOnlyMss) {
  connect_options_.timestamps = false;
  connect_options_.window_scaling = false;
  connect_options_.sack_permitted = false;
  absl::StatusOr<ConnHandle> h = ep_->Connect(
      kLocalAddr, kRemoteAddr, kRemotePort, connect_options_, now_, kLocalPort);
  ASSERT_TRUE(h.ok());
  Sent syn = ExpectSent(kSyn, kAny, 0);
  EXPECT_TRUE(syn.tcp.options.mss.has_value());
  EXPECT_FALSE(syn.tcp.options.window_scale.has_value());
  EXPECT_FALSE(syn.tcp.options.sack_permitted);
  EXPECT_FALSE(syn.tcp.options.timestamps.has_value());
}

// ---------------------------------------------------------------------------
// RFC 9293 3.10.7.3 "If the SYN bit is on ... and the ACK is acceptable":
// ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.

TEST_F(SynSentTest, SynSent_SynAckGoodAck_EstablishedAckConnected) {
  MakeSynSent();
  Deliver(SynAck().Mss(1460).WindowScale(7).SackPermitted());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Conn()->snd_una().raw(), our_iss_ + 1);
  EXPECT_EQ(Conn()->irs().raw(), peer_iss_);
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_iss_ + 1);
  uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kConnected, 0u);
  EXPECT_NE(ev & events::kWritable, 0u);
  EXPECT_EQ(ep_->stats().Transitions(State::kSynSent, State::kEstablished), 1u);
}

TEST_F(SynSentTest, SynSent_SynAckGoodAck_RetransmitTimerStopped) {
  MakeSynSent();
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  // RFC 6298 5.2: everything is acknowledged: no SYN retransmission follows.
  Advance(Duration::Seconds(10));
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().syn_retransmits.Get(), 0u);
}

TEST_F(SynSentTest, SynSent_SynAckFirstSample_SetsRtt) {
  MakeSynSent();
  Advance(Duration::Millis(30));
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  // RFC 6298 2.2: the first sample R sets SRTT = R, RTTVAR = R / 2.
  ASSERT_TRUE(Conn()->rtt().has_sample());
  EXPECT_EQ(Conn()->rtt().srtt(), Duration::Millis(30));
  EXPECT_EQ(Conn()->rtt().rttvar(), Duration::Millis(15));
}

TEST_F(SynSentTest, SynSent_SynAckAfterSynRetransmit_NoRttSample) {
  MakeSynSent();
  Advance(Duration::Seconds(1) + Duration::Millis(1));
  ExpectSent(kSyn, our_iss_, 0);  // RFC 6298 5.4: same ISS again
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  // Karn (RFC 6298 3): the SYN was sent twice, its RTT is ambiguous.
  EXPECT_FALSE(Conn()->rtt().has_sample());
}

// Connection::syn_retransmits(): the SYN retransmissions the connect needed,
// still readable once connected (the RTO's retry count is reset by then).

TEST_F(SynSentTest, SynSent_SynAckFirstTry_ZeroSynRetransmits) {
  MakeSynSent();
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  EXPECT_NE(TakeConnEvents() & events::kConnected, 0u);
  EXPECT_EQ(Conn()->syn_retransmits(), 0);
}

TEST_F(SynSentTest, SynSent_SynAckAfterTwoRetransmits_CountsTwoWhenConnected) {
  MakeSynSent();
  const Instant start = now_;
  // RFC 6298 2.1 and 5.5: retransmissions at 1 s and 1 + 2 s.
  AdvanceTo(start + Duration::Seconds(1) + Duration::Millis(1));
  ExpectSent(kSyn, our_iss_, 0);
  EXPECT_EQ(Conn()->syn_retransmits(), 1);
  AdvanceTo(start + Duration::Seconds(3) + Duration::Millis(1));
  ExpectSent(kSyn, our_iss_, 0);
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  EXPECT_NE(TakeConnEvents() & events::kConnected, 0u);
  EXPECT_EQ(Conn()->syn_retransmits(), 2);
  EXPECT_EQ(ep_->stats().syn_retransmits.Get(), 2u);
  // Data acknowledged later resets the RTO's retry count, not this one.
  ASSERT_EQ(Write("GET /"), 5u);
  ExpectSent(kAck | kPsh, our_iss_ + 1, peer_iss_ + 1).Payload("GET /");
  Deliver(Peer().AckOnly().Seq(peer_iss_ + 1).Ack(our_iss_ + 6));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_una().raw(), our_iss_ + 6);
  EXPECT_EQ(Conn()->syn_retransmits(), 2);
}

// "If SND.UNA > ISS (our SYN has been ACKed)": a SYN-ACK whose ACK is
// acceptable; the first check rejects the rest.
TEST_F(SynSentTest, SynSent_SynAckAckEqualsIss_RstWithSeqOfAck) {
  MakeSynSent();
  // RFC 9293 3.10.7.3: SEG.ACK =< ISS -> <SEQ=SEG.ACK><CTL=RST>.
  Deliver(SynAck().Ack(our_iss_));
  Sent rst = ExpectSent(kRst, our_iss_, 0);
  EXPECT_FALSE(rst.tcp.options.timestamps.has_value());
  EXPECT_EQ(ConnState(), State::kSynSent);
  EXPECT_EQ(Drops(DropReason::kSynSentBadAck), 1u);
}

TEST_F(SynSentTest, SynSent_SynAckAckBelowIss_RstWithSeqOfAck) {
  MakeSynSent();
  Deliver(SynAck().Ack(our_iss_ - 5000));
  ExpectSent(kRst, our_iss_ - 5000, 0);
  EXPECT_EQ(ConnState(), State::kSynSent);
}

TEST_F(SynSentTest, SynSent_SynAckAckAboveSndNxt_RstWithSeqOfAck) {
  MakeSynSent();
  // RFC 9293 3.10.7.3: SEG.ACK > SND.NXT -> <SEQ=SEG.ACK><CTL=RST>.
  Deliver(SynAck().Ack(our_iss_ + 2));
  ExpectSent(kRst, our_iss_ + 2, 0);
  EXPECT_EQ(ConnState(), State::kSynSent);
  // The connection goes on: the right SYN-ACK still completes it.
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(SynSentTest, SynSent_PlainAckBad_RstWithSeqOfAck) {
  MakeSynSent();
  Deliver(Peer().Seq(peer_iss_).Ack(our_iss_ + 100));
  ExpectSent(kRst, our_iss_ + 100, 0);
  EXPECT_EQ(ConnState(), State::kSynSent);
}

// ---------------------------------------------------------------------------
// RFC 9293 3.10.7.3 second, check the RST bit (and RFC 5961 3.2 for SYN-SENT:
// a RST is acceptable only if it acknowledges the SYN).

TEST_F(SynSentTest, SynSent_RstWithAcceptableAck_ClosedRefused) {
  MakeSynSent();
  Deliver(Peer().RstAck().Seq(0).Ack(our_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kRefused, 0u);
  EXPECT_NE(ev & events::kClosed, 0u);
  EXPECT_EQ(ev & events::kConnected, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnRefused);
  // SO_ERROR is reported once.
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kOk);
  EXPECT_EQ(ep_->stats().Transitions(State::kSynSent, State::kClosed), 1u);
  // No SYN retransmission after the refusal.
  Advance(Duration::Seconds(5));
  ExpectNothingSent();
}

TEST_F(SynSentTest, SynSent_RstWithAcceptableAck_RecvReportsRefused) {
  MakeSynSent();
  Deliver(Peer().RstAck().Seq(0).Ack(our_nxt_));
  uint8_t buf[16];
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_EQ(r.error, SockError::kConnRefused);
  EXPECT_EQ(r.bytes, 0u);
}

TEST_F(SynSentTest, SynSent_RstWithAcceptableAck_SendReportsRefused) {
  MakeSynSent();
  Deliver(Peer().RstAck().Seq(0).Ack(our_nxt_));
  const uint8_t data[] = {'x'};
  IoResult r = ep_->Send(conn_, data, now_);
  EXPECT_EQ(r.error, SockError::kConnRefused);
  ExpectNothingSent();
}

TEST_F(SynSentTest, SynSent_RstWithoutAck_Ignored) {
  MakeSynSent();
  // RFC 9293 3.10.7.3: "Otherwise (no ACK), drop the segment and return."
  Deliver(SegBuilder().Rst().Seq(peer_iss_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
  EXPECT_EQ(Drops(DropReason::kSynSentRstBadAck), 1u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kOk);
  // The handshake still completes.
  Deliver(SynAck());
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(SynSentTest, SynSent_RstWithBadAck_IgnoredNoRst) {
  MakeSynSent();
  // Unacceptable ACK with RST set: "drop the segment and return", no RST.
  Deliver(Peer().RstAck().Seq(0).Ack(our_iss_ + 7));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
  EXPECT_EQ(Drops(DropReason::kSynSentBadAck), 1u);
}

TEST_F(SynSentTest, SynSent_RstWithAckEqualIss_IgnoredNoRst) {
  MakeSynSent();
  Deliver(Peer().RstAck().Seq(0).Ack(our_iss_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
}

// ---------------------------------------------------------------------------
// RFC 9293 3.10.7.3 fifth: "If neither of the SYN or RST bits is set, then
// drop the segment and return."

TEST_F(SynSentTest, SynSent_PlainAckAcceptable_Dropped) {
  MakeSynSent();
  Deliver(Peer().Seq(peer_iss_ + 1).Ack(our_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
  EXPECT_EQ(Drops(DropReason::kSynSentNoSyn), 1u);
}

TEST_F(SynSentTest, SynSent_DataWithoutSynOrAck_Dropped) {
  MakeSynSent();
  Deliver(Peer().Flags(kPsh).Seq(peer_iss_ + 1).Data("hello"));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
  EXPECT_EQ(Drops(DropReason::kSynSentNoSyn), 1u);
  EXPECT_EQ(Read(), "");
}

TEST_F(SynSentTest, SynSent_FinWithoutSyn_Dropped) {
  MakeSynSent();
  Deliver(Peer().Fin().Seq(peer_iss_ + 1).Ack(our_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
  EXPECT_EQ(Drops(DropReason::kSynSentNoSyn), 1u);
}

// ---------------------------------------------------------------------------
// Simultaneous open (RFC 9293 3.5 figure 8; 3.10.7.3 "Otherwise, enter
// SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>").

TEST_F(SynSentTest, SynSent_SynWithoutAck_SynAckSameIssSynReceived) {
  MakeSynSent();
  Deliver(SegBuilder()
              .Syn()
              .Seq(peer_iss_)
              .Mss(1460)
              .WindowScale(7)
              .SackPermitted());
  Sent synack = ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  EXPECT_EQ(ConnState(), State::kSynReceived);
  // The SYN-ACK mirrors the options the peer's SYN carried.
  EXPECT_TRUE(synack.tcp.options.mss.has_value());
  EXPECT_TRUE(synack.tcp.options.window_scale.has_value());
  EXPECT_TRUE(synack.tcp.options.sack_permitted);
  EXPECT_FALSE(synack.tcp.options.timestamps.has_value());
  EXPECT_EQ(synack.tcp.window, 65535);  // SYN: not scaled
  EXPECT_EQ(TakeConnEvents() & events::kConnected, 0u);
}

TEST_F(SynSentTest, SynReceivedActive_Ack_EstablishedConnected) {
  MakeSynSent();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_NE(TakeConnEvents() & events::kConnected, 0u);
  EXPECT_EQ(ep_->stats().Transitions(State::kSynSent, State::kSynReceived), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kSynReceived, State::kEstablished),
            1u);
  // The connection now carries data both ways.
  Write("hi");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hi");
}

TEST_F(SynSentTest, SynReceivedActive_CrossingSynAck_AckedThenEstablished) {
  MakeSynSent();
  Deliver(SegBuilder().Syn().Seq(peer_iss_));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  // The peer's own SYN-ACK (figure 8, line 6) repeats its SYN at IRS: by the
  // first check of RFC 9293 3.10.7.4 (RCV.NXT = IRS + 1) it is not
  // acceptable and is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>;
  // that ACK (and the peer's, sent for the same reason) completes the open.
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_iss_ + 1));
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  EXPECT_EQ(ConnState(), State::kSynReceived);
  Deliver(Peer().Seq(peer_iss_ + 1).Ack(our_iss_ + 1));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(SynSentTest, SynReceivedActive_SynAckTimeout_SynAckRetransmitted) {
  MakeSynSent();
  Deliver(SegBuilder().Syn().Seq(peer_iss_));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  Advance(Duration::Seconds(1) + Duration::Millis(1));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  EXPECT_EQ(ConnState(), State::kSynReceived);
}

TEST_F(SynSentTest, SynReceivedActive_RstAtRcvNxt_Refused) {
  MakeSynSent();
  Deliver(SegBuilder().Syn().Seq(peer_iss_));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  // RFC 9293 3.10.7.4 second, SYN-RECEIVED: "If this connection was
  // initiated with an active OPEN ... the connection was refused".
  Deliver(SegBuilder().Rst().Seq(peer_iss_ + 1));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(TakeConnEvents() & events::kRefused, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnRefused);
}

// ---------------------------------------------------------------------------
// Text and FIN on the SYN-ACK (RFC 9293 3.10.7.3: "If there are other
// controls or text in the segment, continue processing at the sixth step").

TEST_F(SynSentTest, SynSent_SynAckWithData_DataDeliveredAndAcked) {
  MakeSynSent();
  Deliver(SynAck().Data("early"));
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1 + 5);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Read(), "early");
  uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kConnected, 0u);
  EXPECT_NE(ev & events::kReadable, 0u);
}

TEST_F(SynSentTest, SynSent_SynAckWithFin_CloseWait) {
  MakeSynSent();
  Deliver(SynAck().Flags(kSyn | kAck | kFin).Data("bye"));
  // SYN + 3 bytes + FIN.
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1 + 3 + 1);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "bye");
  uint8_t buf[8];
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0u);  // end of stream
}

// ---------------------------------------------------------------------------
// Options negotiated on the SYN-ACK.

TEST_F(SynSentTest, SynSent_SynAckMss_SendSegmentsByMss) {
  connect_options_.nagle = NagleMode::kClassic;
  MakeSynSent();
  // RFC 9293 3.7.1: the send MSS is the peer's announcement.
  Deliver(SynAck().Mss(500));
  ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  EXPECT_EQ(Conn()->snd_mss(), 500);
  ASSERT_EQ(Write(std::string(1200, 'a')), 1200u);
  Sent s1 = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(500);
  EXPECT_EQ(s1.payload.size(), 500u);
  Sent s2 = ExpectSent(kAck, our_nxt_ + 500, peer_nxt_).Len(500);
  EXPECT_EQ(s2.payload.size(), 500u);
  // Classic Nagle (RFC 1122 4.2.3.4): the 200-byte tail waits for the ACK.
  ExpectNothingSent();
  Deliver(Peer().Ack(our_nxt_ + 1000));
  Sent s3 = ExpectSent(kAck | kPsh, our_nxt_ + 1000, peer_nxt_).Len(200);
  EXPECT_EQ(s3.payload.size(), 200u);
}

TEST_F(SynSentTest, SynSent_SynAckWithoutMss_Default536) {
  MakeSynSent();
  Deliver(SynAck());
  ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  EXPECT_EQ(Conn()->snd_mss(), 536);
}

TEST_F(SynSentTest, SynSent_SynAckWindowScale_AppliedToLaterWindows) {
  MakeSynSent();
  // RFC 7323 2.2: the SYN-ACK's own window is not scaled...
  Deliver(SynAck().Mss(1460).WindowScale(2).Window(1000));
  ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  EXPECT_EQ(Conn()->snd_wscale(), 2);
  EXPECT_EQ(Conn()->snd_wnd(), 1000u);
  // ... later ones are shifted by the peer's scale.
  Deliver(Peer().Window(1000));
  EXPECT_EQ(Conn()->snd_wnd(), 4000u);
}

TEST_F(SynSentTest, SynSent_SynAckWindowScale_OurWindowsScaled) {
  MakeSynSent();
  Deliver(SynAck().WindowScale(7));
  // Our receive window is 64 KiB with shift 1 (what our SYN offered).
  Sent ack = ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  EXPECT_EQ(Conn()->rcv_wscale(), 1);
  EXPECT_EQ(ack.tcp.window, 65536 >> 1);
}

TEST_F(SynSentTest, SynSent_SynAckWithoutWindowScale_NoScalingEitherWay) {
  MakeSynSent();
  // RFC 7323 2.2: without the option in both SYNs neither side scales.
  Deliver(SynAck().Mss(1460).Window(1000));
  Sent ack = ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  EXPECT_EQ(Conn()->snd_wscale(), 0);
  EXPECT_EQ(Conn()->rcv_wscale(), 0);
  EXPECT_EQ(ack.tcp.window, 65535);  // 64 KiB, clamped to the field
  Deliver(Peer().Window(1000));
  EXPECT_EQ(Conn()->snd_wnd(), 1000u);
}

TEST_F(SynSentTest, SynSent_SynAckWithTimestamps_TimestampsOn) {
  MakeSynSent();
  Deliver(SynAck().Mss(1460).Ts(5000, 1));
  Sent ack = ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  EXPECT_TRUE(Conn()->timestamps_enabled());
  // RFC 7323 3.2: the ACK carries TSopt and echoes the SYN-ACK's TSval.
  ASSERT_TRUE(ack.tcp.options.timestamps.has_value());
  EXPECT_EQ(ack.tcp.options.timestamps->tsecr, 5000u);
  // RFC 6691 / RFC 7323: the 12 option bytes come out of the MSS.
  peer_nxt_ = peer_iss_ + 1;
  Write(std::string(2000, 'a'));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1448);
  EXPECT_EQ(s.payload.size(), 1448u);
  ASSERT_TRUE(s.tcp.options.timestamps.has_value());
}

TEST_F(SynSentTest, SynSent_SynAckWithoutTimestamps_TimestampsOff) {
  MakeSynSent();
  Deliver(SynAck().Mss(1460));
  Sent ack = ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  // RFC 7323 3.2: our SYN offered TSopt, the SYN-ACK did not carry it: none
  // may be sent.
  EXPECT_FALSE(Conn()->timestamps_enabled());
  EXPECT_FALSE(ack.tcp.options.timestamps.has_value());
  peer_nxt_ = peer_iss_ + 1;
  Write("x");
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("x");
  EXPECT_FALSE(s.tcp.options.timestamps.has_value());
}

TEST_F(SynSentTest, SynSent_SynAckSackPermitted_SackOn) {
  MakeSynSent();
  Deliver(SynAck().SackPermitted());
  ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  EXPECT_TRUE(Conn()->sack_enabled());
}

TEST_F(SynSentTest, SynSent_SynAckWithoutSackPermitted_SackOff) {
  MakeSynSent();
  Deliver(SynAck());
  ExpectSent(kAck, our_nxt_, peer_iss_ + 1);
  EXPECT_FALSE(Conn()->sack_enabled());
}

// ---------------------------------------------------------------------------
// Application calls in SYN-SENT (RFC 9293 3.10.2 SEND: "queue the data for
// transmission after entering ESTABLISHED"; tern does not queue, it asks the
// caller to wait for kConnected, as a non-blocking Linux socket does).

TEST_F(SynSentTest, SynSent_Send_WouldBlock) {
  MakeSynSent();
  const uint8_t data[] = {'a', 'b'};
  IoResult r = ep_->Send(conn_, data, now_);
  EXPECT_EQ(r.error, SockError::kWouldBlock);
  EXPECT_EQ(r.bytes, 0u);
  ExpectNothingSent();
}

TEST_F(SynSentTest, SynSent_Recv_WouldBlock) {
  MakeSynSent();
  uint8_t buf[8];
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_EQ(r.error, SockError::kWouldBlock);
}

TEST_F(SynSentTest, SynSent_Poll_NotWritable) {
  MakeSynSent();
  EXPECT_EQ(ep_->Poll(conn_) & events::kWritable, 0u);
  Deliver(SynAck());
  EXPECT_NE(ep_->Poll(conn_) & events::kWritable, 0u);
}

TEST_F(SynSentTest, SynSent_SynTimeout_RetransmittedWithBackoffThenTimedOut) {
  config_.syn_retries = 2;
  Recreate();
  MakeSynSent();
  // RFC 6298 5.5 (RFC 9293 3.8.1): 1 s, then 2 s; RFC 1122 4.2.3.5 R2.
  Advance(Duration::Millis(999));
  ExpectNothingSent();
  Advance(Duration::Millis(2));
  ExpectSent(kSyn, our_iss_, 0);
  Advance(Duration::Millis(1997));
  ExpectNothingSent();
  Advance(Duration::Millis(4));
  ExpectSent(kSyn, our_iss_, 0);
  Advance(Duration::Seconds(4) + Duration::Millis(2));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(TakeConnEvents() & events::kTimedOut, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
}

}  // namespace
}  // namespace tern::tcp::testing
