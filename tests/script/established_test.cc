// ESTABLISHED (RFC 9293 3.10.7.4): receiving text (seventh step), the
// acknowledgment of it (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2, RFC 5681 4.2),
// the receive window (RFC 9293 3.8.6, 3.8.6.2.2), sending (segmentation by
// MSS, Nagle RFC 1122 4.2.3.4, the peer's window), the fifth step (ACK
// processing), the FIN (eighth step) and retransmission (RFC 6298).
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class EstablishedTest : public ScriptTest {
 protected:
  // A passive open whose SYN carries `syn`'s options and window, completed
  // by an ACK with window `final_window`; ESTABLISHED and accepted.
  void EstablishPassive(SegBuilder syn, uint16_t final_window) {
    MakeListen();
    Deliver(syn.Syn().Seq(peer_iss_));
    peer_nxt_ = peer_iss_ + 1;
    Sent synack = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1);
    EXPECT_EQ(synack.tcp.ack.raw(), peer_nxt_);
    our_iss_ = synack.tcp.seq.raw();
    our_nxt_ = our_iss_ + 1;
    Deliver(Peer().Window(final_window));
    ExpectNothingSent();
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    ASSERT_TRUE(h.has_value());
    conn_ = *h;
    ASSERT_EQ(ConnState(), State::kEstablished);
    TakeConnEvents();
  }

  void MakeEstablishedQuiet() {
    MakeEstablished();
    TakeConnEvents();
  }
};

// ---------------------------------------------------------------------------
// Seventh, process the segment text; ACK policy (RFC 9293 3.8.6.3: "an ACK
// SHOULD be generated for at least every second full-sized segment" and
// "MUST be sent within 0.5 seconds"; tern's delay is config_.delayed_ack).

TEST_F(EstablishedTest, Established_InOrderSegment_DeliveredAckDelayed) {
  MakeEstablishedQuiet();
  Deliver(Peer().Data("hello"));
  ExpectNothingSent();
  EXPECT_EQ(TakeConnEvents() & events::kReadable, events::kReadable);
  EXPECT_EQ(Read(), "hello");
  Advance(config_.delayed_ack - kSlack);
  ExpectNothingSent();
  Advance(kSlack * 2);
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_ + 5);
  EXPECT_TRUE(ack.payload.empty());
  ExpectNothingSent();
}

TEST_F(EstablishedTest, Established_SecondSmallSegment_TimerNotRestarted) {
  MakeEstablishedQuiet();
  Deliver(Peer().Data("a"));
  Advance(Duration::Millis(20));
  Deliver(Peer().Seq(peer_nxt_ + 1).Data("b"));
  ExpectNothingSent();
  // The ACK leaves delayed_ack after the first unacknowledged segment.
  Advance(config_.delayed_ack - Duration::Millis(20) - kSlack);
  ExpectNothingSent();
  Advance(kSlack * 2);
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 2);
  EXPECT_EQ(Read(), "ab");
}

TEST_F(EstablishedTest, Established_TwoFullSizedSegments_ImmediateAck) {
  MakeEstablishedQuiet();
  Deliver(Peer().Data(1460, 'a'));
  ExpectNothingSent();
  Deliver(Peer().Seq(peer_nxt_ + 1460).Data(1460, 'b'));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 2920);
  ExpectNothingSent();
  // Nothing more is owed: the delayed-ACK timer was cancelled.
  Advance(Duration::Millis(100));
  ExpectNothingSent();
  EXPECT_EQ(Read().size(), 2920u);
}

TEST_F(EstablishedTest, Established_DataWithPsh_DeliveredAtOnce) {
  MakeEstablishedQuiet();
  Deliver(Peer().Flags(kAck | kPsh).Data("pushed"));
  EXPECT_NE(ep_->Poll(conn_) & events::kReadable, 0u);
  EXPECT_EQ(Read(), "pushed");
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 6);
}

TEST_F(EstablishedTest, Established_DataThenOurWrite_AckPiggybacked) {
  MakeEstablishedQuiet();
  Deliver(Peer().Data("ping"));
  ExpectNothingSent();
  Write("pong");
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_ + 4).Payload("pong");
  EXPECT_EQ(s.PayloadString(), "pong");
  // The data segment carried the ACK: the delayed ACK is not sent as well.
  Advance(config_.delayed_ack * 2);
  ExpectNothingSent();
}

TEST_F(EstablishedTest, Established_RetransmittedOldData_ImmediateDupAck) {
  MakeEstablishedQuiet();
  Deliver(Peer().Data("hello"));
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 5);
  // The same segment again (our ACK was lost): RFC 9293 3.10.7.4 first
  // check, not acceptable -> <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> at once.
  Deliver(Peer().Data("hello"));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 5).Sack({{1001, 1006}});
  EXPECT_EQ(Drops(DropReason::kUnacceptableSeq), 1u);
  EXPECT_EQ(Read(), "hello");  // delivered once
}

TEST_F(EstablishedTest, Established_OverlappingSegment_OnlyNewPartKept) {
  MakeEstablishedQuiet();
  Deliver(Peer().Data("hello"));
  // RFC 9293 3.10.7.4: "Segments with higher beginning sequence numbers ...
  // only the new parts are processed".
  Deliver(Peer().Seq(peer_nxt_ + 3).Data("loworld"));
  EXPECT_EQ(Read(), "helloworld");
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_ + 10);
}

TEST_F(EstablishedTest,
       Established_OutOfOrderData_HeldAckedAtOnceDeliveredLater) {
  MakeEstablishedQuiet();
  // A hole before it: RFC 9293 3.10.7.4 lets the segment be held for later
  // processing, and RFC 5681 4.2 asks for an immediate duplicate ACK.
  Deliver(Peer().Seq(peer_nxt_ + 5).Data("later"));
  ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{1006, 1011}});
  EXPECT_EQ(Drops(DropReason::kOutOfOrder), 0u);
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(ep_->Poll(conn_) & events::kReadable, 0u);
  // The missing bytes arrive: both segments are delivered, in order, and
  // the hole's filling is acknowledged at once.
  Deliver(Peer().Data("early"));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 10);
  EXPECT_NE(ep_->Poll(conn_) & events::kReadable, 0u);
  EXPECT_EQ(Read(), "earlylater");
}

TEST_F(EstablishedTest, Established_SegmentWithoutAckBit_Dropped) {
  MakeEstablishedQuiet();
  // RFC 9293 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and
  // return".
  Deliver(Peer().Flags(kPsh).Data("noack"));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kNoAck), 1u);
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_);
}

TEST_F(EstablishedTest, Established_FinWithoutAckBit_Dropped) {
  MakeEstablishedQuiet();
  Deliver(Peer().Flags(kFin));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kNoAck), 1u);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

// ---------------------------------------------------------------------------
// The receive window (RFC 9293 3.8.6, 3.8.6.2.2).

TEST_F(EstablishedTest, Established_DataBeyondWindow_Trimmed) {
  listen_options_.conn.recv_buffer = 4096;
  MakeEstablishedQuiet();
  Deliver(Peer().Data(1460, 'a'));
  Sent a1 = [&] {
    Deliver(Peer().Seq(peer_nxt_ + 1460).Data(1460, 'b'));
    return ExpectSent(kAck, our_nxt_, peer_nxt_ + 2920);
  }();
  EXPECT_EQ(a1.tcp.window, 4096 - 2920);
  // 1460 bytes offered, 1176 fit the window: "trim any portion that lies
  // beyond the window".
  Deliver(Peer().Seq(peer_nxt_ + 2920).Data(1460, 'c'));
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_ + 4096);
  Advance(config_.delayed_ack + kSlack);
  Sent a2 = ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096);
  EXPECT_EQ(a2.tcp.window, 0);
  EXPECT_EQ(Read().size(), 4096u);
}

TEST_F(EstablishedTest, Established_ZeroWindow_SegmentNotAcceptedButAcked) {
  listen_options_.conn.recv_buffer = 4096;
  MakeEstablishedQuiet();
  Deliver(Peer().Data(2048, 'a'));
  Deliver(Peer().Seq(peer_nxt_ + 2048).Data(2048, 'b'));
  Sent full = ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096);
  EXPECT_EQ(full.tcp.window, 0);
  peer_nxt_ += 4096;
  // RFC 9293 3.10.7.4: with RCV.WND = 0 a segment with data is not
  // acceptable; "If the RCV.WND is zero, no segments will be acceptable, but
  // special allowance should be made to accept valid ACKs" - and the
  // unacceptable one gets an ACK carrying the current (zero) window.
  Deliver(Peer().Data("z"));
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ack.tcp.window, 0);
  EXPECT_EQ(Drops(DropReason::kUnacceptableSeq), 1u);
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_);
}

TEST_F(EstablishedTest, Established_ZeroWindow_ValidAckStillProcessed) {
  listen_options_.conn.recv_buffer = 4096;
  MakeEstablishedQuiet();
  Deliver(Peer().Data(2048, 'a'));
  Deliver(Peer().Seq(peer_nxt_ + 2048).Data(2048, 'b'));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096);
  peer_nxt_ += 4096;
  Write("x");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("x");
  // A pure ACK at RCV.NXT is acceptable with a zero window.
  Deliver(Peer().Ack(our_nxt_ + 1));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_ + 1);
}

TEST_F(EstablishedTest,
       Established_ReceiveWithoutRead_RightEdgeNeverMovesLeft) {
  // 64 KiB with window shift 1: rounding the field down would pull the
  // right edge back by a byte after odd-sized segments (RFC 9293 3.8.6:
  // "the window SHOULD NOT be shrunk"; RFC 7323 2.4).
  MakeEstablishedQuiet();
  ASSERT_EQ(Conn()->rcv_wscale(), 1);
  const size_t sizes[] = {1001, 999, 1, 1460, 7, 333};
  uint32_t seq = peer_nxt_;
  uint32_t last_edge = peer_nxt_ + 65535;  // the SYN-ACK's unscaled window
  for (size_t n : sizes) {
    Deliver(Peer().Seq(seq).Data(n, 'd'));
    seq += static_cast<uint32_t>(n);
    Advance(config_.delayed_ack + kSlack);
    Sent a = ExpectSent(kAck, our_nxt_, seq);
    uint32_t edge = a.tcp.ack.raw() + (uint32_t{a.tcp.window} << 1);
    EXPECT_GE(static_cast<int32_t>(edge - last_edge), 0)
        << "after " << n << " bytes";
    last_edge = edge;
  }
}

TEST_F(EstablishedTest, Established_SmallRead_NoWindowUpdate) {
  listen_options_.conn.recv_buffer = 4096;
  MakeEstablishedQuiet();
  Deliver(Peer().Data(2048, 'a'));
  Deliver(Peer().Seq(peer_nxt_ + 2048).Data(2048, 'b'));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096);
  // RFC 9293 3.8.6.2.2 receiver SWS avoidance: reading 1000 bytes opens the
  // window by less than min(buffer / 2, MSS) = 1460: no update.
  EXPECT_EQ(Read(1000).size(), 1000u);
  ExpectNothingSent();
}

TEST_F(EstablishedTest, Established_ReadOpensWindowByMss_WindowUpdate) {
  listen_options_.conn.recv_buffer = 4096;
  MakeEstablishedQuiet();
  Deliver(Peer().Data(2048, 'a'));
  Deliver(Peer().Seq(peer_nxt_ + 2048).Data(2048, 'b'));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096);
  EXPECT_EQ(Read(1000).size(), 1000u);
  ExpectNothingSent();
  EXPECT_EQ(Read(500).size(), 500u);
  // 1500 >= min(2048, 1460): the window update goes out.
  Sent upd = ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096).Window(1500);
  EXPECT_EQ(upd.tcp.window, 1500);
  EXPECT_EQ(Read().size(), 2596u);
  Sent upd2 = ExpectSent(kAck, our_nxt_, peer_nxt_ + 4096).Window(4096);
  EXPECT_EQ(upd2.tcp.window, 4096);
}

// ---------------------------------------------------------------------------
// Sending: segmentation by the send MSS (RFC 9293 3.7.1), Nagle (RFC 1122
// 4.2.3.4), the peer's window (RFC 9293 3.8.6), PSH (RFC 9293 3.9.1).

TEST_F(EstablishedTest, Established_WriteWithSmallerPeerMss_SegmentedByMss) {
  EstablishPassive(SegBuilder().Mss(1000), 65535);
  Write(std::string(3000, 's'));
  Sent s1 = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1000);
  Sent s2 = ExpectSent(kAck, our_nxt_ + 1000, peer_nxt_).Len(1000);
  // PSH on the last segment of what the application gave.
  Sent s3 = ExpectSent(kAck | kPsh, our_nxt_ + 2000, peer_nxt_).Len(1000);
  EXPECT_EQ(s1.payload.size(), 1000u);
  EXPECT_EQ(s2.payload.size(), 1000u);
  EXPECT_EQ(s3.payload.size(), 1000u);
  ExpectNothingSent();
}

TEST_F(EstablishedTest, Established_WriteWithLargerPeerMss_SegmentedByOurMss) {
  // RFC 9293 3.7.1: Eff.snd.MSS is also bounded by what our port carries.
  EstablishPassive(SegBuilder().Mss(9000), 65535);
  Write(std::string(2920, 's'));
  Sent s1 = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1460);
  Sent s2 = ExpectSent(kAck | kPsh, our_nxt_ + 1460, peer_nxt_).Len(1460);
  EXPECT_EQ(s1.payload.size(), 1460u);
  EXPECT_EQ(s2.payload.size(), 1460u);
}

TEST_F(EstablishedTest, Established_SecondSmallWrite_NagleWaitsForAck) {
  MakeEstablishedQuiet();
  Write("a");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Write("b");
  Write("c");
  ExpectNothingSent();
  Deliver(Peer().Ack(our_nxt_ + 1));
  Sent s = ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("bc");
  EXPECT_EQ(s.PayloadString(), "bc");
}

TEST_F(EstablishedTest, Established_Nodelay_SmallWritesSentAtOnce) {
  MakeEstablishedQuiet();
  ASSERT_EQ(ep_->SetNodelay(conn_, true, now_), SockError::kOk);
  Write("a");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Write("b");
  Sent s = ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("b");
  EXPECT_EQ(s.PayloadString(), "b");
}

TEST_F(EstablishedTest, Established_SetNodelayWithHeldData_SentAtOnce) {
  MakeEstablishedQuiet();
  Write("a");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Write("b");
  ExpectNothingSent();
  ASSERT_EQ(ep_->SetNodelay(conn_, true, now_), SockError::kOk);
  Sent s = ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("b");
  EXPECT_EQ(s.PayloadString(), "b");
}

TEST_F(EstablishedTest, Established_PeerWindow_LimitsSend) {
  EstablishPassive(SegBuilder().Mss(1460).Window(2920), 2920);
  Write(std::string(6000, 'w'));
  ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1460);
  ExpectSent(kAck, our_nxt_ + 1460, peer_nxt_).Len(1460);
  // SND.UNA + SND.WND reached.
  ExpectNothingSent();
  Deliver(Peer().Ack(our_nxt_ + 1460).Window(2920));
  Sent s3 = ExpectSent(kAck, our_nxt_ + 2920, peer_nxt_).Len(1460);
  EXPECT_EQ(s3.payload.size(), 1460u);
  ExpectNothingSent();
}

TEST_F(EstablishedTest, Established_PeerWindowGrows_HeldDataSent) {
  EstablishPassive(SegBuilder().Mss(1460).Window(1460), 1460);
  Write(std::string(2920, 'w'));
  ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1460);
  ExpectNothingSent();
  // A window update (same ACK, larger window) opens room for the rest.
  Deliver(Peer().Ack(our_nxt_).Window(2920));
  Sent s = ExpectSent(kAck | kPsh, our_nxt_ + 1460, peer_nxt_).Len(1460);
  EXPECT_EQ(s.payload.size(), 1460u);
}

TEST_F(EstablishedTest, Established_OlderSegmentWindow_NotApplied) {
  EstablishPassive(SegBuilder().Mss(1460), 20000);
  Write("abc");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("abc");
  Deliver(Peer().Ack(our_nxt_ + 3).Window(30000));
  EXPECT_EQ(Conn()->snd_wnd(), 30000u);
  // RFC 9293 3.10.7.4: update SND.WND only "If SND.WL1 < SEG.SEQ or (SND.WL1
  // = SEG.SEQ and SND.WL2 =< SEG.ACK)"; this one acknowledges less.
  Deliver(Peer().Ack(our_nxt_ + 1).Window(100));
  EXPECT_EQ(Conn()->snd_wnd(), 30000u);
  ExpectNothingSent();
}

// ---------------------------------------------------------------------------
// Fifth, check the ACK field (RFC 9293 3.10.7.4).

TEST_F(EstablishedTest, Established_AckOfNewData_FreesSendBufferWritable) {
  MakeEstablishedQuiet();
  const size_t capacity = Conn()->send_space();
  Write(std::string(1000, 'q'));
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(1000);
  EXPECT_EQ(Conn()->send_space(), capacity - 1000);
  TakeConnEvents();
  // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any
  // segments on the retransmission queue that are thereby entirely
  // acknowledged are removed."
  Deliver(Peer().Ack(our_nxt_ + 600));
  EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_ + 600);
  EXPECT_EQ(Conn()->send_space(), capacity - 400);
  Deliver(Peer().Ack(our_nxt_ + 1000));
  EXPECT_EQ(Conn()->send_space(), capacity);
  EXPECT_NE(TakeConnEvents() & events::kWritable, 0u);
  ExpectNothingSent();
}

TEST_F(EstablishedTest, Established_DuplicateAck_Ignored) {
  MakeEstablishedQuiet();
  Write("data");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
  // "If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be ignored."
  Deliver(Peer().Ack(our_nxt_));
  Deliver(Peer().Ack(our_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(EstablishedTest, Established_AckAllData_RetransmitTimerStopped) {
  MakeEstablishedQuiet();
  Write("data");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
  Deliver(Peer().Ack(our_nxt_ + 4));
  // RFC 6298 5.2: all outstanding data acknowledged: turn off the timer.
  Advance(Duration::Seconds(5));
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().retransmits.Get(), 0u);
}

// ---------------------------------------------------------------------------
// Eighth, check the FIN bit.

TEST_F(EstablishedTest, Established_FinWithData_DeliveredThenCloseWait) {
  MakeEstablishedQuiet();
  Deliver(Peer().Fin().Data("bye"));
  // The FIN is acknowledged at once, with the data: RCV.NXT = seq + 3 + 1.
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 4);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kReadable, 0u);
  EXPECT_NE(ev & events::kPeerClosed, 0u);
  EXPECT_EQ(Read(), "bye");
  uint8_t buf[8];
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0u);  // end of stream after the data
}

TEST_F(EstablishedTest, Established_FinOutOfOrder_NotProcessed) {
  MakeEstablishedQuiet();
  // A FIN past a hole must wait for the data before it.
  Deliver(Peer().Fin().Seq(peer_nxt_ + 10));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(EstablishedTest, CloseWait_Write_StillSends) {
  MakeCloseWait();
  // RFC 9293 3.10.2 SEND in CLOSE-WAIT: "Queue this request until all
  // preceding SENDs have been segmentized".
  Write("more");
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("more");
  EXPECT_EQ(s.PayloadString(), "more");
}

// ---------------------------------------------------------------------------
// Retransmission (RFC 6298; RFC 9293 3.8.1, RFC 1122 4.2.3.5).

TEST_F(EstablishedTest, Established_Rto_RetransmitWithExponentialBackoff) {
  MakeEstablishedQuiet();
  // No RTT sample yet (the passive open measured none): RTO = 1 s (RFC 6298
  // 2.1), doubled on each expiry (5.5), earliest segment resent (5.4).
  Write("hello");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Advance(Duration::Seconds(1) - kSlack);
  ExpectNothingSent();
  Advance(kSlack * 2);
  Sent r1 = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  EXPECT_EQ(r1.PayloadString(), "hello");
  Advance(Duration::Seconds(2) - kSlack * 3);
  ExpectNothingSent();
  Advance(kSlack * 3);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Advance(Duration::Seconds(4) - kSlack * 3);
  ExpectNothingSent();
  Advance(kSlack * 3);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  EXPECT_EQ(ep_->stats().retransmits.Get(), 3u);
  EXPECT_EQ(Conn()->rtt().backoff(), 3);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(EstablishedTest, Established_AckAfterRetransmit_KarnNoRttSample) {
  MakeEstablishedQuiet();
  Write("hello");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Deliver(Peer().Ack(our_nxt_ + 5));
  // Karn (RFC 6298 3): which transmission was acknowledged is ambiguous.
  EXPECT_FALSE(Conn()->rtt().has_sample());
}

TEST_F(EstablishedTest, Established_AckAfterRetransmit_BackoffKeptUntilSample) {
  MakeEstablishedQuiet();
  Write("hello");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Deliver(Peer().Ack(our_nxt_ + 5));
  // RFC 6298 5 (note after 5.7): the backed-off RTO collapses only "once a
  // new RTT measurement is obtained"; Karn: keep it until then.
  Write("x");
  ExpectSent(kAck | kPsh, our_nxt_ + 5, peer_nxt_).Payload("x");
  Advance(Duration::Seconds(2) - kSlack);
  ExpectNothingSent();
  Advance(kSlack * 2);
  ExpectSent(kAck | kPsh, our_nxt_ + 5, peer_nxt_).Payload("x");
}

TEST_F(EstablishedTest, Established_AckOfTimedSegment_BackoffCleared) {
  MakeEstablishedQuiet();
  Write("hello");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  Deliver(Peer().Ack(our_nxt_ + 5));
  Write("x");
  ExpectSent(kAck | kPsh, our_nxt_ + 5, peer_nxt_).Payload("x");
  Advance(Duration::Millis(100));
  Deliver(Peer().Ack(our_nxt_ + 6));
  // A segment sent once and acknowledged: a valid sample, backoff gone.
  ASSERT_TRUE(Conn()->rtt().has_sample());
  EXPECT_EQ(Conn()->rtt().backoff(), 0);
  EXPECT_EQ(Conn()->rtt().rto(config_.rto), Duration::Millis(300));
}

TEST_F(EstablishedTest, Established_AckOfFreshSegment_RttSampledRtoSet) {
  MakeEstablishedQuiet();
  Write("a");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  Advance(Duration::Millis(100));
  Deliver(Peer().Ack(our_nxt_ + 1));
  ASSERT_TRUE(Conn()->rtt().has_sample());
  // RFC 6298 2.2: SRTT = R = 100 ms, RTTVAR = 50 ms, RTO = SRTT + max(G,
  // 4 RTTVAR) = 300 ms.
  EXPECT_EQ(Conn()->rtt().srtt(), Duration::Millis(100));
  EXPECT_EQ(Conn()->rtt().rto(config_.rto), Duration::Millis(300));
  Write("b");
  ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("b");
  Advance(Duration::Millis(300) - kSlack);
  ExpectNothingSent();
  Advance(kSlack * 2);
  ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("b");
}

TEST_F(EstablishedTest, Established_RetriesExhausted_AbortTimedOut) {
  config_.data_retries = 3;
  Recreate();
  MakeEstablishedQuiet();
  Write("hello");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  // Retransmissions at 1, 3 and 7 s; at 15 s the fourth expiry gives up
  // (RFC 1122 4.2.3.5 R2, RFC 9293 3.8.3).
  for (int i = 0; i < 3; ++i) {
    Advance(Duration::Seconds(1 << i) + kSlack);
    ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello");
  }
  Advance(Duration::Seconds(8) - kSlack * 4);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  Advance(kSlack * 4);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kTimedOut, 0u);
  EXPECT_NE(ev & events::kClosed, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
  EXPECT_EQ(ep_->stats().conn_timeouts.Get(), 1u);
  EXPECT_EQ(ep_->stats().retransmits.Get(), 3u);
}

TEST_F(EstablishedTest, Established_RtoOfSeveralSegments_OneSegmentResent) {
  MakeEstablishedQuiet();
  ep_->SetNodelay(conn_, true, now_);
  Write("aaaa");
  Write("bbbb");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("aaaa");
  ExpectSent(kAck | kPsh, our_nxt_ + 4, peer_nxt_).Payload("bbbb");
  // RFC 6298 5.4: "Retransmit the earliest segment that has not been
  // acknowledged"; the rest wait for its ACK.
  Advance(Duration::Seconds(1) + kSlack);
  // tern resends from SND.UNA as one segment (repacketization).
  Sent r = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("aaaabbbb");
  EXPECT_EQ(r.PayloadString(), "aaaabbbb");
  ExpectNothingSent();
}

}  // namespace
}  // namespace tern::tcp::testing
