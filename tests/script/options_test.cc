// TCP options on a passive open and after it: MSS (RFC 9293 3.7.1, RFC
// 6691), window scale (RFC 7323 2), timestamps, TS.Recent and PAWS (RFC 7323
// 3, 4.3, 5.3), RTT measurement from TSecr (RFC 7323 4.1), SACK-permitted
// (RFC 2018 2).
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class OptionsTest : public ScriptTest {
 protected:
  // A passive open with a SYN carrying exactly `syn`'s options; returns the
  // SYN-ACK. ESTABLISHED and accepted afterwards.
  Sent EstablishWith(SegBuilder syn) {
    MakeListen();
    Deliver(syn.Syn().Seq(peer_iss_));
    peer_nxt_ = peer_iss_ + 1;
    Sent synack = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1);
    EXPECT_EQ(synack.tcp.ack.raw(), peer_nxt_);
    our_iss_ = synack.tcp.seq.raw();
    our_nxt_ = our_iss_ + 1;
    Deliver(Peer());
    ExpectNothingSent();
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    EXPECT_TRUE(h.has_value());
    if (h) {
      conn_ = *h;
    }
    EXPECT_EQ(ConnState(), State::kEstablished);
    return synack;
  }
  static uint32_t Tsval(const Sent& s) {
    EXPECT_TRUE(s.tcp.options.timestamps.has_value())
        << Describe(s.tcp, s.payload.size());
    return s.tcp.options.timestamps ? s.tcp.options.timestamps->tsval : 0;
  }
  static uint32_t Tsecr(const Sent& s) {
    EXPECT_TRUE(s.tcp.options.timestamps.has_value())
        << Describe(s.tcp, s.payload.size());
    return s.tcp.options.timestamps ? s.tcp.options.timestamps->tsecr : 0;
  }
};

// ---------------------------------------------------------------------------
// MSS (RFC 9293 3.7.1: "If an MSS Option is not received at connection
// setup, TCP implementations MUST assume a default send MSS of 536").

TEST_F(OptionsTest, SynReceived_PeerSynWithoutMss_SendMss536) {
  peer_offers_options_ = false;
  MakeEstablished();
  EXPECT_EQ(Conn()->snd_mss(), 536);
  Write(std::string(1000, 'm'));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(536);
  EXPECT_EQ(s.payload.size(), 536u);
}

TEST_F(OptionsTest, SynReceived_PeerMss_UsedForSegments) {
  EstablishWith(SegBuilder().Mss(1200));
  EXPECT_EQ(Conn()->snd_mss(), 1200);
  Write(std::string(2400, 'm'));
  Sent s1 = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1200);
  Sent s2 = ExpectSent(kAck | kPsh, our_nxt_ + 1200, peer_nxt_).Len(1200);
  EXPECT_EQ(s1.payload.size(), 1200u);
  EXPECT_EQ(s2.payload.size(), 1200u);
}

TEST_F(OptionsTest, SynReceived_SynAck_AnnouncesConfiguredMss) {
  config_.mss = 1400;
  Recreate();
  Sent synack = EstablishWith(SegBuilder().Mss(1460));
  ASSERT_TRUE(synack.tcp.options.mss.has_value());
  EXPECT_EQ(*synack.tcp.options.mss, 1400);
  // And we send no more than our port carries either (RFC 6691).
  Write(std::string(3000, 'm'));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1400);
  EXPECT_EQ(s.payload.size(), 1400u);
}

TEST_F(OptionsTest, SynReceived_MssOnDataSegments_NeverSent) {
  MakeEstablished();
  Write("x");
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("x");
  // RFC 9293 3.7.1: the MSS option is sent only in SYN segments.
  EXPECT_FALSE(s.tcp.options.mss.has_value());
  EXPECT_FALSE(s.tcp.options.window_scale.has_value());
  EXPECT_FALSE(s.tcp.options.sack_permitted);
}

// ---------------------------------------------------------------------------
// Window scale (RFC 7323 2.2, 2.3).

TEST_F(OptionsTest, SynReceived_PeerShift15_ClampedTo14) {
  // RFC 7323 2.3: "If a Window Scale option is received with a shift.cnt
  // value larger than 14, the TCP SHOULD log the error but MUST use 14".
  EstablishWith(SegBuilder().Mss(1460).WindowScale(15));
  EXPECT_EQ(Conn()->snd_wscale(), 14);
  Deliver(Peer().Window(3));
  EXPECT_EQ(Conn()->snd_wnd(), 3u << 14);
}

TEST_F(OptionsTest, SynReceived_PeerShift255_ClampedTo14) {
  EstablishWith(SegBuilder().Mss(1460).WindowScale(255));
  EXPECT_EQ(Conn()->snd_wscale(), 14);
}

TEST_F(OptionsTest, SynReceived_PeerShift14_Used) {
  EstablishWith(SegBuilder().Mss(1460).WindowScale(14));
  EXPECT_EQ(Conn()->snd_wscale(), 14);
  Deliver(Peer().Window(1));
  EXPECT_EQ(Conn()->snd_wnd(), 1u << 14);
}

TEST_F(OptionsTest, SynReceived_FinalAckWindow_Scaled) {
  // RFC 7323 2.2: the SYN's window is not scaled, every later one is,
  // starting with the ACK that completes the handshake.
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).WindowScale(7).Window(1000));
  Sent synack = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  our_nxt_ = synack.tcp.seq.raw() + 1;
  Deliver(Peer().Window(10));
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(ep_->Find(*h)->snd_wnd(), 10u << 7);
}

TEST_F(OptionsTest, SynReceived_OurSynAckWindow_NotScaledLaterScaled) {
  listen_options_.conn.recv_buffer = 256 * 1024;
  Sent synack = EstablishWith(SegBuilder().Mss(1460).WindowScale(7));
  // 256 KiB needs a shift of 3 to fit the 16-bit field.
  ASSERT_TRUE(synack.tcp.options.window_scale.has_value());
  EXPECT_EQ(*synack.tcp.options.window_scale, 3);
  // RFC 7323 2.2: the SYN-ACK's window is not scaled: the field is clamped.
  EXPECT_EQ(synack.tcp.window, 65535);
  EXPECT_EQ(Conn()->rcv_wscale(), 3);
  Deliver(Peer().Data(1000, 'd'));
  Advance(config_.delayed_ack + kSlack);
  // Later windows are the free space shifted right by 3.
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1000).Window((256 * 1024 - 1000) >> 3);
}

TEST_F(OptionsTest, SynReceived_ChallengeAck_WindowScaled) {
  // RFC 7323 2.2: only a SYN's window field is unscaled. An ACK from the
  // half-open record (here RFC 5961 4's challenge ACK to a SYN with another
  // ISN) carries the SYN-ACK's window shifted by our scale, rounded up so
  // that the edge does not shrink (RFC 9293 3.8.6), as Linux's
  // tcp_v4_reqsk_send_ack shifts it.
  listen_options_.conn.recv_buffer = 256 * 1024;
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460).WindowScale(7));
  peer_nxt_ = peer_iss_ + 1;
  Sent synack = ExpectSent(kSyn | kAck, kAny, peer_nxt_).WindowScale(3);
  our_nxt_ = synack.tcp.seq.raw() + 1;
  Deliver(SegBuilder().Syn().Seq(peer_iss_ + 99999).Mss(1460));
  ExpectSent(kAck, our_nxt_, peer_nxt_).Window((65535 + 7) >> 3);
}

TEST_F(OptionsTest, SynReceived_PeerWithoutWindowScale_NeitherSideScales) {
  listen_options_.conn.recv_buffer = 256 * 1024;
  Sent synack = EstablishWith(SegBuilder().Mss(1460));
  // RFC 7323 2.2: the option may be sent in a SYN-ACK only if the SYN had it.
  EXPECT_FALSE(synack.tcp.options.window_scale.has_value());
  EXPECT_EQ(Conn()->rcv_wscale(), 0);
  EXPECT_EQ(Conn()->snd_wscale(), 0);
  Deliver(Peer().Data(1000, 'd').Window(5000));
  EXPECT_EQ(Conn()->snd_wnd(), 5000u);
  Advance(config_.delayed_ack + kSlack);
  // Free space, clamped to the field.
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1000).Window(65535);
}

TEST_F(OptionsTest, SynReceived_ScalingDisabled_NotOfferedPeerUnscaled) {
  listen_options_.conn.window_scaling = false;
  Sent synack = EstablishWith(SegBuilder().Mss(1460).WindowScale(7));
  EXPECT_FALSE(synack.tcp.options.window_scale.has_value());
  EXPECT_EQ(Conn()->snd_wscale(), 0);
  Deliver(Peer().Window(2000));
  EXPECT_EQ(Conn()->snd_wnd(), 2000u);
}

TEST_F(OptionsTest, SynReceived_PeerShift0_ScalingOnOurShiftUsed) {
  Sent synack = EstablishWith(SegBuilder().Mss(1460).WindowScale(0));
  // Shift 0 is still the option: both sides scale, the peer by 0.
  ASSERT_TRUE(synack.tcp.options.window_scale.has_value());
  EXPECT_EQ(*synack.tcp.options.window_scale, 1);
  EXPECT_EQ(Conn()->snd_wscale(), 0);
  EXPECT_EQ(Conn()->rcv_wscale(), 1);
}

// ---------------------------------------------------------------------------
// Timestamps (RFC 7323 3.2: "Once TSopt has been successfully negotiated
// ... the TSopt MUST be sent in every non-<RST> segment").

TEST_F(OptionsTest, SynReceived_PeerSynWithTs_SynAckEchoesTsval) {
  peer_tsval_ = 100;
  MakeSynReceived();
  // MakeSynReceived popped it; the retransmission shows the same options.
  Advance(Duration::Seconds(1) + kSlack);
  Sent synack = ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  EXPECT_EQ(Tsecr(synack), 100u);
}

TEST_F(OptionsTest, Established_Timestamps_OnEveryNonRstSegment) {
  peer_tsval_ = 100;
  MakeEstablished();
  EXPECT_TRUE(Conn()->timestamps_enabled());
  Write("data");
  Sent data = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
  EXPECT_EQ(Tsecr(data), 100u);
  Deliver(Peer().Ack(our_nxt_ + 4).Data("reply"));
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectSent(kAck, our_nxt_ + 4, peer_nxt_ + 5);
  Tsval(ack);
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  Sent fin = ExpectSent(kFin | kAck, our_nxt_ + 4, peer_nxt_ + 5);
  Tsval(fin);
}

TEST_F(OptionsTest, Established_Timestamps_TsvalFollowsMillisecondClock) {
  peer_tsval_ = 100;
  MakeEstablished();
  ep_->SetNodelay(conn_, true, now_);
  Write("a");
  Sent s1 = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Advance(Duration::Millis(25));
  Write("b");
  Sent s2 = ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("b");
  // RFC 7323 5.4: a clock between 1 ms and 1 s per tick; tern's is 1 ms.
  EXPECT_EQ(Tsval(s2) - Tsval(s1), 25u);
}

TEST_F(OptionsTest, Established_TsEnabled_DataSegmentsLoseTwelveBytes) {
  peer_tsval_ = 100;
  MakeEstablished();
  Write(std::string(3000, 't'));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1448);
  // RFC 6691: the MSS counts no options; 10 + 2 NOPs come out of it.
  EXPECT_EQ(s.payload.size(), 1460u - 12u);
}

TEST_F(OptionsTest, Established_InOrderSegment_TsRecentUpdatedAndEchoed) {
  peer_tsval_ = 100;
  MakeEstablished();
  // RFC 7323 4.3 (2): SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent.
  Deliver(Peer().Ts(200, 0).Data("x"));
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(Tsecr(ack), 200u);
}

TEST_F(OptionsTest, Established_DelayedAck_EchoesEarliestTsval) {
  peer_tsval_ = 100;
  MakeEstablished();
  // RFC 7323 4.3 case A: with ACKs delayed, TS.Recent is the TSval of the
  // earliest unacknowledged segment: the second one (SEG.SEQ > Last.ACK.sent)
  // does not update it.
  Deliver(Peer().Ts(200, 0).Data(1448, 'a'));
  ExpectNothingSent();
  Deliver(Peer().Seq(peer_nxt_ + 1448).Ts(300, 0).Data(1448, 'b'));
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_ + 2896).TsEcr(200);
  EXPECT_EQ(Tsecr(ack), 200u);
}

TEST_F(OptionsTest, Established_OutOfOrderSegment_TsRecentKept) {
  peer_tsval_ = 100;
  MakeEstablished();
  // RFC 7323 4.3 case B: a segment after a hole must not advance TS.Recent.
  Deliver(Peer().Seq(peer_nxt_ + 500).Ts(300, 0).Data("late"));
  Sent dup =
      ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(100).Sack({{1501, 1505}});
  EXPECT_EQ(Tsecr(dup), 100u);
  // The segment filling the hole updates it.
  Deliver(Peer().Ts(250, 0).Data(10, 'f'));
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_ + 10).Sack({{1501, 1505}});
  EXPECT_EQ(Tsecr(ack), 250u);
}

TEST_F(OptionsTest, Established_OldTsval_PawsDropWithAck) {
  peer_tsval_ = 100;
  MakeEstablished();
  // RFC 7323 5.3 R1: SEG.TSval < TS.Recent -> not acceptable: "Send an
  // acknowledgment in reply as specified in RFC 793 page 69 and drop the
  // segment".
  Deliver(Peer().Ts(50, 0).Data("stale"));
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(100);
  EXPECT_EQ(Tsecr(ack), 100u);
  EXPECT_EQ(Drops(DropReason::kPaws), 1u);
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(OptionsTest, Established_OldTsvalOnFin_PawsDropped) {
  peer_tsval_ = 100;
  MakeEstablished();
  Deliver(Peer().Fin().Ts(99, 0));
  ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(100);
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Drops(DropReason::kPaws), 1u);
}

TEST_F(OptionsTest, Established_EqualTsval_Accepted) {
  peer_tsval_ = 100;
  MakeEstablished();
  // R1 rejects only SEG.TSval < TS.Recent.
  Deliver(Peer().Ts(100, 0).Data("same"));
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_EQ(Read(), "same");
}

TEST_F(OptionsTest, Established_TsvalWrapped_NewerAccepted) {
  peer_tsval_ = 0xfffffff0u;
  MakeEstablished();
  // Timestamps compare in 32-bit serial arithmetic (RFC 7323 5.2).
  Deliver(Peer().Ts(0x10, 0).Data("wrap"));
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_EQ(Read(), "wrap");
}

TEST_F(OptionsTest, Established_RstWithOldTsval_NotPawsDropped) {
  peer_tsval_ = 100;
  MakeEstablished();
  // RFC 7323 5.3 R1: "... and if the RST bit is not set".
  Deliver(SegBuilder().Rst().Seq(peer_nxt_).Ts(1, 0));
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
}

TEST_F(OptionsTest, Established_TsecrEcho_RttSampled) {
  peer_tsval_ = 100;
  MakeEstablished();
  Write("a");
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Advance(Duration::Millis(50));
  // RFC 7323 4.1 / RFC 6298: RTT = now - TSecr.
  Deliver(Peer().Ack(our_nxt_ + 1).Ts(101, Tsval(s)));
  ASSERT_TRUE(Conn()->rtt().has_sample());
  EXPECT_EQ(Conn()->rtt().srtt(), Duration::Millis(50));
}

TEST_F(OptionsTest, Established_TsecrEchoOfRetransmission_RttSampled) {
  peer_tsval_ = 100;
  MakeEstablished();
  Write("a");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Advance(Duration::Seconds(1) + kSlack);
  Sent r = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Advance(Duration::Millis(20));
  // The echo says which transmission is acknowledged: Karn's ambiguity does
  // not arise (RFC 7323 4.1, RFC 6298 3).
  Deliver(Peer().Ack(our_nxt_ + 1).Ts(101, Tsval(r)));
  ASSERT_TRUE(Conn()->rtt().has_sample());
  EXPECT_GE(Conn()->rtt().srtt(), Duration::Millis(20));
  EXPECT_LE(Conn()->rtt().srtt(), Duration::Millis(22));
  EXPECT_EQ(Conn()->rtt().backoff(), 0);
}

TEST_F(OptionsTest, SynReceived_PeerSynWithoutTs_NoTimestampsSent) {
  MakeEstablished();  // the peer's SYN carries no TSopt
  EXPECT_FALSE(Conn()->timestamps_enabled());
  Write("x");
  Sent data = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("x");
  EXPECT_FALSE(data.tcp.options.timestamps.has_value());
  Deliver(Peer().Ack(our_nxt_ + 1).Data("y"));
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectSent(kAck, our_nxt_ + 1, peer_nxt_ + 1);
  EXPECT_FALSE(ack.tcp.options.timestamps.has_value());
}

TEST_F(OptionsTest, SynReceived_PeerSynWithoutTs_LaterTsvalIgnored) {
  MakeEstablished();
  // Not negotiated: a TSopt appearing later is ignored, no PAWS.
  Deliver(Peer().Ts(5, 0).Data("a"));
  Deliver(Peer().Seq(peer_nxt_ + 1).Ts(1, 0).Data("b"));
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_EQ(Read(), "ab");
}

TEST_F(OptionsTest, SynReceived_TimestampsDisabled_NotEchoed) {
  listen_options_.conn.timestamps = false;
  peer_tsval_ = 100;
  MakeSynReceived();
  Advance(Duration::Seconds(1) + kSlack);
  Sent synack = ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  EXPECT_FALSE(synack.tcp.options.timestamps.has_value());
}

// ---------------------------------------------------------------------------
// SACK-permitted (RFC 2018 2: "Sack-Permitted ... MUST NOT be sent on a
// non-SYN segment"; a SYN-ACK may carry it only when the SYN did).

TEST_F(OptionsTest, SynReceived_PeerOffersSack_Echoed) {
  Sent synack = EstablishWith(SegBuilder().Mss(1460).SackPermitted());
  EXPECT_TRUE(synack.tcp.options.sack_permitted);
  EXPECT_TRUE(Conn()->sack_enabled());
}

TEST_F(OptionsTest, SynReceived_PeerWithoutSack_NotSent) {
  Sent synack = EstablishWith(SegBuilder().Mss(1460));
  EXPECT_FALSE(synack.tcp.options.sack_permitted);
  EXPECT_FALSE(Conn()->sack_enabled());
}

TEST_F(OptionsTest, SynReceived_SackDisabled_NotEchoed) {
  listen_options_.conn.sack_permitted = false;
  Sent synack = EstablishWith(SegBuilder().Mss(1460).SackPermitted());
  EXPECT_FALSE(synack.tcp.options.sack_permitted);
  EXPECT_FALSE(Conn()->sack_enabled());
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// ---------------------------------------------------------------------------
// Connection options the socket API's linux profile sets (doc/conformance.md):
// offered window scale, quick ACKs, MSS clamp (TCP_MAXSEG), slow-start growth
// without the RFC 3465 limit, send-buffer resize, listener options after
// listen.

TEST_F(OptionsTest, Wscale_Override_OfferedInSynAck) {
  listen_options_.conn.wscale = 8;
  Sent synack = EstablishWith(SegBuilder().Mss(1460).WindowScale(7));
  ASSERT_TRUE(synack.tcp.options.window_scale.has_value());
  EXPECT_EQ(*synack.tcp.options.window_scale, 8);
  EXPECT_EQ(Conn()->rcv_wscale(), 8);
}

TEST_F(OptionsTest, QuickAcks_FirstSegmentsAckedAtOnceThenDelayed) {
  listen_options_.conn.quick_acks = 2;
  EstablishWith(SegBuilder().Mss(1000));
  for (int i = 0; i < 2; ++i) {
    Deliver(Peer().Data(100));
    peer_nxt_ += 100;
    ExpectSent(kAck, our_nxt_, peer_nxt_);  // no delayed-ACK wait
  }
  Deliver(Peer().Data(100));
  peer_nxt_ += 100;
  ExpectNothingSent();  // quick ACKs used up: RFC 1122 delayed ACK
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
}

TEST_F(OptionsTest, MssClamp_CapsAnnouncedAndSentMss) {
  listen_options_.conn.mss_clamp = 1100;
  Sent synack = EstablishWith(SegBuilder().Mss(1460));
  ASSERT_TRUE(synack.tcp.options.mss.has_value());
  EXPECT_EQ(*synack.tcp.options.mss, 1100);
  listen_options_.conn.nodelay = true;
  Write(std::string(2000, 'm'));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1100);
  EXPECT_EQ(s.payload.size(), 1100u);
}

TEST_F(OptionsTest, SlowStartLimit_ZeroGrowsByEveryAckedByte) {
  for (uint32_t limit : {2u, 0u}) {
    listen_options_.conn.slow_start_limit = limit;
    Recreate();
    EstablishWith(SegBuilder().Mss(1000));
    const uint32_t before = Conn()->congestion().cwnd();
    Write(std::string(10000, 'd'));
    uint32_t last = 0;
    while (SentCount() > 0) {
      Sent s = Pop();
      last = s.tcp.seq.raw() + static_cast<uint32_t>(s.payload.size());
    }
    // One ACK for the whole initial window (10 segments).
    Deliver(Peer().Ack(last));
    our_nxt_ = last;
    const uint32_t grown = Conn()->congestion().cwnd() - before;
    // RFC 3465 L = 2 SMSS per ACK, or all 10 segments (Linux).
    EXPECT_EQ(grown, limit == 0 ? 10000u : 2000u) << "limit " << limit;
  }
}

TEST_F(OptionsTest, LinuxWindowUpdate_NoPureUpdateWhileTheWindowIsWide) {
  for (bool linux_rule : {false, true}) {
    listen_options_.conn.linux_window_update = linux_rule;
    Recreate();
    EstablishWith(SegBuilder().Mss(1000));
    for (int i = 0; i < 2; ++i) {
      Deliver(Peer().Data(1460));
      peer_nxt_ += 1460;
    }
    ExpectSent(kAck, our_nxt_, peer_nxt_);  // two full segments: ACK now
    EXPECT_EQ(Read().size(), 2920u);
    if (linux_rule) {
      // tcp_cleanup_rbuf: the window never fell to half the buffer.
      ExpectNothingSent();
    } else {
      // RFC 9293 3.8.6.2.2: the edge moved by at least one MSS (64 KiB
      // free, no scaling: the field's maximum).
      ExpectSent(kAck, our_nxt_, peer_nxt_).Window(65535);
    }
  }
}

TEST_F(OptionsTest, SetSendBuffer_ResizesALiveConnection) {
  listen_options_.conn.send_buffer = 4096;
  EstablishWith(SegBuilder().Mss(1000));
  EXPECT_EQ(Conn()->send_capacity(), 4096u);
  EXPECT_EQ(ep_->SetSendBuffer(conn_, 65536, now_), SockError::kOk);
  EXPECT_EQ(Conn()->send_capacity(), 65536u);
  // Never below what it holds.
  Write(std::string(30000, 'b'));
  EXPECT_EQ(ep_->SetSendBuffer(conn_, 100, now_), SockError::kOk);
  EXPECT_GE(Conn()->send_capacity(), Conn()->send_queued());
  EXPECT_EQ(ep_->SetSendBuffer(ConnHandle{}, 100, now_), SockError::kBadHandle);
}

TEST_F(OptionsTest, ListenerConnOptions_ApplyToLaterConnections) {
  MakeListen();
  ConnOptions o = listen_options_.conn;
  o.mss_clamp = 900;
  ASSERT_EQ(ep_->SetListenerConnOptions(listener_, o), SockError::kOk);
  Deliver(SegBuilder().Syn().Mss(1460).Seq(peer_iss_));
  Sent synack = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1).Mss(900);
  ASSERT_TRUE(synack.tcp.options.mss.has_value());
  EXPECT_EQ(*synack.tcp.options.mss, 900);
  EXPECT_EQ(ep_->SetListenerConnOptions(ListenerHandle{}, o),
            SockError::kBadHandle);
}

}  // namespace
}  // namespace tern::tcp::testing
