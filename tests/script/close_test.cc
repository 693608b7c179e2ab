// Closing a connection (RFC 9293 3.10.4 CLOSE, 3.10.5 ABORT, 3.10.7.4
// segment processing in the closing states, 3.6 closing sequences), the
// FIN-WAIT-2 orphan timeout (a Linux practice, documented in config.h) and
// RFC 2525 2.17 (close with unread data).
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class CloseTest : public ScriptTest {
 protected:
  // The connection's event mask as PollEvents reports it (0 when none).
  uint32_t PolledMask() {
    Event ev[8];
    size_t n = ep_->PollEvents(ev);
    uint32_t mask = 0;
    for (size_t i = 0; i < n; ++i) {
      if (ev[i].conn == conn_) {
        mask |= ev[i].mask;
      }
    }
    return mask;
  }
  uint32_t SndUna() const { return Conn()->snd_una().raw(); }
};

// ---------------------------------------------------------------------------
// Active close: ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT.

TEST_F(CloseTest, Established_ShutdownWrite_FinSentFinWait1) {
  MakeEstablished();
  // RFC 9293 3.10.4 ESTABLISHED: "form a FIN segment and send it, and set
  // the state to FIN-WAIT-1".
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kFinWait1);
  EXPECT_EQ(ep_->stats().Transitions(State::kEstablished, State::kFinWait1),
            1u);
}

TEST_F(CloseTest, Established_Close_FinSentHandleGone) {
  MakeEstablished();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  // The application gave the handle back; the connection lives on orphaned.
  EXPECT_EQ(ep_->Find(conn_), nullptr);
  EXPECT_EQ(ep_->connection_count(), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kEstablished, State::kFinWait1),
            1u);
}

TEST_F(CloseTest, FinWait1_AckOfFin_FinWait2) {
  MakeFinWait1();
  // RFC 9293 3.10.7.4 fifth, FIN-WAIT-1: "if the FIN segment is now
  // acknowledged, then enter FIN-WAIT-2".
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

TEST_F(CloseTest, FinWait1_AckBelowFin_StaysFinWait1) {
  MakeFinWait1();
  Deliver(Peer().Ack(our_nxt_ - 1));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kFinWait1);
}

TEST_F(CloseTest, FinWait2_Fin_AckedTimeWait) {
  MakeFinWait2();
  // RFC 9293 3.10.7.4 eighth, FIN-WAIT-2: "Enter the TIME-WAIT state. Start
  // the time-wait timer", and the FIN is acknowledged.
  Deliver(Peer().Fin());
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ConnState(), State::kTimeWait);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

TEST_F(CloseTest, FinWait1_FinAndAckOfFinTogether_TimeWaitDirectly) {
  MakeFinWait1();
  // RFC 9293 3.10.7.4 eighth, FIN-WAIT-1: "If our FIN has been ACKed
  // (perhaps in this segment), then enter TIME-WAIT".
  Deliver(Peer().Fin());
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ConnState(), State::kTimeWait);
  EXPECT_EQ(ep_->stats().Transitions(State::kFinWait1, State::kFinWait2), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kFinWait2, State::kTimeWait), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kFinWait1, State::kClosing), 0u);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

// ---------------------------------------------------------------------------
// Simultaneous close: FIN-WAIT-1 -> CLOSING -> TIME-WAIT (RFC 9293 3.6,
// Figure 13).

TEST_F(CloseTest, FinWait1_PeerFinNotAckingOurs_Closing) {
  MakeClosing();  // asserts the ACK of the peer's FIN and the state
  EXPECT_EQ(ep_->stats().Transitions(State::kFinWait1, State::kClosing), 1u);
}

TEST_F(CloseTest, Closing_AckOfFin_TimeWait) {
  MakeClosing();
  // RFC 9293 3.10.7.4 fifth, CLOSING: "if the ACK acknowledges our FIN, then
  // enter the TIME-WAIT state, otherwise ignore the segment".
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kTimeWait);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

TEST_F(CloseTest, Closing_AckBelowFin_Ignored) {
  MakeClosing();
  Deliver(Peer().Ack(our_nxt_ - 1));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosing);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

// ---------------------------------------------------------------------------
// Passive close: CLOSE-WAIT -> LAST-ACK -> CLOSED.

TEST_F(CloseTest, Established_PeerFin_AckedCloseWaitEof) {
  MakeEstablished();
  Deliver(Peer().Fin());
  // RFC 9293 3.10.7.4 eighth: advance RCV.NXT over the FIN, send an ACK,
  // ESTABLISHED -> CLOSE-WAIT; the application sees end of stream.
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_NE(PolledMask() & events::kPeerClosed, 0u);
  std::vector<uint8_t> buf(16);
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0u);
}

TEST_F(CloseTest, CloseWait_Close_FinSentLastAck) {
  MakeCloseWait();
  // RFC 9293 3.10.4 CLOSE-WAIT: "Queue this request until all preceding
  // SENDs have been segmentized; then send a FIN segment, enter LAST-ACK".
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->stats().Transitions(State::kCloseWait, State::kLastAck), 1u);
  EXPECT_EQ(ep_->connection_count(), 1u);
}

TEST_F(CloseTest, LastAck_AckOfFin_ClosedRecordFreed) {
  MakeCloseWait();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  // RFC 9293 3.10.7.4 fifth, LAST-ACK: "If our FIN is now acknowledged,
  // delete the TCB, enter the CLOSED state, and return."
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
  EXPECT_EQ(ep_->stats().Transitions(State::kLastAck, State::kClosed), 1u);
}

TEST_F(CloseTest, LastAck_AckOfFin_HandleReportsClosed) {
  MakeLastAck();  // ShutdownWrite: the application still holds the handle
  PolledMask();
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(ep_->Poll(conn_) & events::kClosed, 0u);
  EXPECT_NE(PolledMask() & events::kClosed, 0u);
  // The record waits for the handle; Close frees it.
  EXPECT_EQ(ep_->connection_count(), 1u);
  EXPECT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->Find(conn_), nullptr);
}

TEST_F(CloseTest, LastAck_AfterClose_SegmentGetsRstFromListen) {
  MakeLastAck();
  Deliver(Peer());
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  // RFC 9293 3.10.7.2: the tuple is gone; an ACK to the listener gets
  // <SEQ=SEG.ACK><CTL=RST>.
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
}

// ---------------------------------------------------------------------------
// Half-close: the write side is shut, the read side goes on.

TEST_F(CloseTest, FinWait2_PeerData_DeliveredAndAcked) {
  MakeFinWait2();
  Deliver(Peer().Data("more data"));
  // RFC 9293 3.10.7.4 seventh, FIN-WAIT-2: "process the segment text"; the
  // ACK may be delayed (RFC 9293 3.8.6.3), at most config_.delayed_ack.
  ExpectNothingSent();
  Advance(config_.delayed_ack + Duration::Millis(1));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 9);
  EXPECT_EQ(Read(), "more data");
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

TEST_F(CloseTest, FinWait1_PeerData_DeliveredStaysFinWait1) {
  MakeFinWait1();
  Deliver(Peer().Ack(our_nxt_ - 1).Data("abc"));
  EXPECT_EQ(Read(), "abc");
  EXPECT_EQ(ConnState(), State::kFinWait1);
  Advance(config_.delayed_ack + Duration::Millis(1));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 3);
}

TEST_F(CloseTest, FinWait2_TwoFullSegments_AckedAtOnce) {
  MakeFinWait2();
  const uint32_t mss = 1460;
  Deliver(Peer().Data(mss, 'a'));
  ExpectNothingSent();
  peer_nxt_ += mss;
  Deliver(Peer().Data(mss, 'b'));
  peer_nxt_ += mss;
  // RFC 5681 4.2: an ACK at least for every second full-sized segment.
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(Read().size(), 2u * mss);
}

TEST_F(CloseTest, FinWait2_HalfCloseUntilPeerFin_AllDataDelivered) {
  MakeFinWait2();
  std::string got;
  for (int i = 0; i < 5; ++i) {
    Deliver(Peer().Data("chunk"));
    peer_nxt_ += 5;
    got += Read();
  }
  Deliver(Peer().Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(got, "chunkchunkchunkchunkchunk");
  EXPECT_EQ(ConnState(), State::kTimeWait);
}

TEST_F(CloseTest, FinWait1_SendAfterShutdown_BrokenPipe) {
  MakeFinWait1();
  const uint8_t b[1] = {'x'};
  // RFC 9293 3.10.2 SEND in FIN-WAIT-1/2: "error: connection closing".
  EXPECT_EQ(ep_->Send(conn_, b, now_).error, SockError::kBrokenPipe);
  ExpectNothingSent();
}

TEST_F(CloseTest, FinWait2_SendAfterShutdown_BrokenPipe) {
  MakeFinWait2();
  const uint8_t b[1] = {'x'};
  EXPECT_EQ(ep_->Send(conn_, b, now_).error, SockError::kBrokenPipe);
  ExpectNothingSent();
}

TEST_F(CloseTest, CloseWait_SendData_AllowedThenFin) {
  MakeCloseWait();
  // RFC 9293 3.10.2 SEND, CLOSE-WAIT: "Segmentize the buffer and send it".
  EXPECT_EQ(Write("reply"), 5u);
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("reply");
  EXPECT_EQ(s.PayloadString(), "reply");
  our_nxt_ += 5;
  Deliver(Peer());
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kLastAck);
}

// ---------------------------------------------------------------------------
// FIN combined with data.

TEST_F(CloseTest, Established_ShutdownWithQueuedData_FinOnLastSegment) {
  MakeEstablished();
  EXPECT_EQ(Write("a"), 1u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  // Nagle (RFC 1122 4.2.3.4) holds the second small write while "a" is
  // unacknowledged; the FIN then rides on it (RFC 9293 3.10.4: the FIN
  // follows all queued data).
  EXPECT_EQ(Write("bc"), 2u);
  ExpectNothingSent();
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  Sent s =
      ExpectSent(kFin | kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("bc");
  EXPECT_EQ(s.PayloadString(), "bc");
  Deliver(Peer().Ack(our_nxt_ + 4));  // 3 data bytes + FIN
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

TEST_F(CloseTest, FinWait1_DataAckedButNotFin_StaysFinWait1) {
  MakeEstablished();
  EXPECT_EQ(Write("abc"), 3u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("abc");
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_ + 3, peer_nxt_);
  Deliver(Peer().Ack(our_nxt_ + 3));
  EXPECT_EQ(ConnState(), State::kFinWait1);
  Deliver(Peer().Ack(our_nxt_ + 4));
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

TEST_F(CloseTest, Established_PeerDataWithFin_DeliveredCloseWait) {
  MakeEstablished();
  Deliver(Peer().Fin().Data("bye"));
  // The FIN is acknowledged at once, together with the data before it.
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 4);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "bye");
  std::vector<uint8_t> buf(8);
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0u);  // then end of stream
}

TEST_F(CloseTest, FinWait2_PeerDataWithFin_DeliveredTimeWait) {
  MakeFinWait2();
  Deliver(Peer().Fin().Data("last"));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 5);
  EXPECT_EQ(ConnState(), State::kTimeWait);
  EXPECT_EQ(Read(), "last");
}

// ---------------------------------------------------------------------------
// FIN retransmission (RFC 9293 3.8.1, RFC 6298 5.5: back off the timer).

TEST_F(CloseTest, FinWait1_FinUnacked_RetransmittedWithBackoff) {
  MakeFinWait1();
  // RFC 6298 5.5: each expiry doubles the RTO the FIN was sent with.
  const Duration rto = Conn()->rtt().rto(config_.rto);
  Instant due = now_;
  for (int64_t k : {1, 2, 4, 8}) {
    due = due + rto * k;
    AdvanceTo(due - Duration::Millis(2));
    ExpectNothingSent();
    AdvanceTo(due + Duration::Millis(2));
    ExpectSent(kFin | kAck, our_nxt_ - 1, peer_nxt_);
    ExpectNothingSent();
  }
  EXPECT_EQ(ep_->stats().retransmits.Get(), 4u);
  // The ACK of the retransmitted FIN ends it.
  Deliver(Peer());
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

TEST_F(CloseTest, FinWait1_FinNeverAcked_TimedOutAfterDataRetries) {
  config_.data_retries = 3;
  Recreate();
  MakeFinWait1();
  PolledMask();
  // Retransmissions at 1, 3 and 7 RTOs (backed off, RFC 6298 5.5); the
  // fourth expiry, at 15 RTOs, aborts.
  const Duration rto = Conn()->rtt().rto(config_.rto);
  const Instant start = now_;
  for (int64_t at : {1, 3, 7}) {
    AdvanceTo(start + rto * at + Duration::Millis(2));
    ExpectSent(kFin | kAck, our_nxt_ - 1, peer_nxt_);
  }
  AdvanceTo(start + rto * 15 - Duration::Millis(2));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kFinWait1);
  AdvanceTo(start + rto * 15 + Duration::Millis(2));
  // Linux ends the connection silently when retries run out (tcp_write_err);
  // so does tern. The application learns ETIMEDOUT.
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(PolledMask() & events::kTimedOut, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
  EXPECT_EQ(ep_->stats().conn_timeouts.Get(), 1u);
}

TEST_F(CloseTest, LastAck_FinUnacked_RetransmittedThenClosedByAck) {
  MakeLastAck();
  const Duration rto = Conn()->rtt().rto(config_.rto);
  const Instant start = now_;
  AdvanceTo(start + rto + Duration::Millis(2));
  ExpectSent(kFin | kAck, our_nxt_ - 1, peer_nxt_);
  AdvanceTo(start + rto * 3 + Duration::Millis(2));
  ExpectSent(kFin | kAck, our_nxt_ - 1, peer_nxt_);
  Deliver(Peer());
  EXPECT_EQ(ConnState(), State::kClosed);
  Advance(Duration::Seconds(30));
  ExpectNothingSent();
}

TEST_F(CloseTest, Closing_FinUnacked_Retransmitted) {
  MakeClosing();
  Advance(Conn()->rtt().rto(config_.rto) + Duration::Millis(2));
  ExpectSent(kFin | kAck, our_nxt_ - 1, peer_nxt_);
  Deliver(Peer());
  EXPECT_EQ(ConnState(), State::kTimeWait);
}

// ---------------------------------------------------------------------------
// Close with unread data; Abort.

TEST_F(CloseTest, Established_CloseWithUnreadData_RstAck) {
  MakeEstablished();
  Deliver(Peer().Data("unread"));
  peer_nxt_ += 6;
  ExpectNothingSent();
  // RFC 2525 2.17: "send a RST to show data was lost".
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().rst_sent.Get(), 1u);
}

TEST_F(CloseTest, Established_CloseWithUnreadDataTimestamps_RstCarriesTsopt) {
  // packetdrill's ts_recent/reset_tsval.pkt: RFC 7323 3.2, TSopt "SHOULD be
  // sent in an <RST> segment"; Linux's active reset carries it, TSval from
  // the clock of the moment and TSecr = TS.Recent.
  peer_tsval_ = 100;
  MakeEstablished();
  peer_tsval_ = 201;
  Deliver(Peer().Data("unread"));
  peer_nxt_ += 6;
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Advance(Duration::Seconds(1));
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  const uint32_t tsval =
      static_cast<uint32_t>(now_.ToNanos() / 1'000'000) + our_iss_;
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_).Ts(tsval, 201);
}

TEST_F(CloseTest, CloseWait_CloseWithUnreadData_RstAck) {
  MakeEstablished();
  Deliver(Peer().Fin().Data("unread"));
  peer_nxt_ += 7;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(CloseTest, Established_CloseAfterReadingAll_Fin) {
  MakeEstablished();
  Deliver(Peer().Data("read me"));
  peer_nxt_ += 7;
  EXPECT_EQ(Read(), "read me");
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
}

TEST_F(CloseTest, Established_Abort_RstAckAtSndNxtHandleGone) {
  MakeEstablished();
  // RFC 9293 3.10.5 ABORT: "<SEQ=SND.NXT><CTL=RST>"; tern also sets ACK.
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  ExpectNothingSent();
  EXPECT_EQ(ep_->Find(conn_), nullptr);
  EXPECT_EQ(ep_->connection_count(), 0u);
  const uint8_t b[1] = {'x'};
  EXPECT_EQ(ep_->Send(conn_, b, now_).error, SockError::kBadHandle);
  // The tuple is free: a segment for it is answered as for a closed port
  // by the listener (RFC 9293 3.10.7.2).
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
}

TEST_F(CloseTest, Established_AbortWithDataInFlight_RstAtSndNxt) {
  MakeEstablished();
  EXPECT_EQ(Write("inflight"), 8u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("inflight");
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_ + 8, peer_nxt_);
  Advance(Duration::Seconds(5));
  ExpectNothingSent();  // no retransmission after the abort
}

TEST_F(CloseTest, CloseWait_Abort_RstAck) {
  MakeCloseWait();
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(CloseTest, FinWait2_Abort_RstAck) {
  MakeFinWait2();
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

// ---------------------------------------------------------------------------
// FIN-WAIT-2 timeout for orphans (Linux tcp_fin_timeout; config.h).

TEST_F(CloseTest, FinWait2_OrphanPeerNeverFins_ClosedAfterDefault60s) {
  config_.fin_wait2_timeout = EndpointConfig{}.fin_wait2_timeout;
  ASSERT_EQ(config_.fin_wait2_timeout, Duration::Seconds(60));
  Recreate();
  MakeEstablished();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  Deliver(Peer());
  EXPECT_EQ(ep_->stats().Transitions(State::kFinWait1, State::kFinWait2), 1u);
  Advance(Duration::Seconds(60) - Duration::Millis(5));
  EXPECT_EQ(ep_->connection_count(), 1u);
  Advance(Duration::Millis(10));
  ExpectNothingSent();  // silently, as Linux
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().fin_wait2_timeouts.Get(), 1u);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(CloseTest, FinWait2_OrphanTimeout_Configurable) {
  config_.fin_wait2_timeout = Duration::Seconds(5);
  Recreate();
  MakeFinWait2();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectNothingSent();
  Advance(Duration::Millis(4990));
  EXPECT_EQ(ep_->connection_count(), 1u);
  Advance(Duration::Millis(20));
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().fin_wait2_timeouts.Get(), 1u);
}

TEST_F(CloseTest, FinWait2_ShutdownWriteOnly_NoTimeout) {
  MakeFinWait2();
  // The application may still read: the RFC has no FIN-WAIT-2 timeout and
  // Linux applies tcp_fin_timeout to orphans only.
  Advance(Duration::Seconds(600));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kFinWait2);
  EXPECT_EQ(ep_->stats().fin_wait2_timeouts.Get(), 0u);
}

TEST_F(CloseTest, FinWait2_OrphanPeerFinsInTime_TimeWait) {
  MakeFinWait2();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  Advance(Duration::Seconds(30));
  Deliver(Peer().Fin());
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ep_->connection_count(), 0u);  // orphan: only the record stays
  EXPECT_EQ(ep_->time_wait_count(), 1u);
  Advance(Duration::Seconds(40));
  EXPECT_EQ(ep_->stats().fin_wait2_timeouts.Get(), 0u);
}

// ---------------------------------------------------------------------------
// Each closing state's answer to SYN, RST, old ACKs (RFC 9293 3.10.7.4 with
// RFC 5961), generated per state.

#define TERN_CLOSE_STATE_TESTS(Name)                                         \
  TEST_F(CloseTest, Name##_SynInWindow_ChallengeAck) {                       \
    Make##Name();                                                            \
    const State before = ConnState();                                        \
    /* RFC 5961 4.2: any SYN in a synchronized state gets a challenge    */  \
    /* ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.                           */ \
    Deliver(Peer().Syn().Seq(peer_nxt_));                                    \
    ExpectSent(kAck, our_nxt_, peer_nxt_);                                   \
    ExpectNothingSent();                                                     \
    EXPECT_EQ(ConnState(), before);                                          \
    EXPECT_EQ(Drops(DropReason::kSynChallenged), 1u);                        \
  }                                                                          \
  TEST_F(CloseTest, Name##_RstInWindowNotExact_ChallengeAck) {               \
    Make##Name();                                                            \
    const State before = ConnState();                                        \
    /* RFC 5961 3.2: in the window but not RCV.NXT: challenge ACK. */        \
    Deliver(Peer().Rst().Seq(peer_nxt_ + 1));                                \
    ExpectSent(kAck, our_nxt_, peer_nxt_);                                   \
    EXPECT_EQ(ConnState(), before);                                          \
    EXPECT_EQ(Drops(DropReason::kRstChallenged), 1u);                        \
  }                                                                          \
  TEST_F(CloseTest, Name##_RstOutOfWindow_Dropped) {                         \
    Make##Name();                                                            \
    const State before = ConnState();                                        \
    /* RFC 9293 3.10.7.4 first: an unacceptable RST is dropped. */           \
    Deliver(Peer().Rst().Seq(peer_nxt_ - 100));                              \
    ExpectNothingSent();                                                     \
    EXPECT_EQ(ConnState(), before);                                          \
    EXPECT_EQ(Drops(DropReason::kRstOutOfWindow), 1u);                       \
  }                                                                          \
  TEST_F(CloseTest, Name##_DuplicateAck_Ignored) {                           \
    Make##Name();                                                            \
    const State before = ConnState();                                        \
    /* RFC 9293 3.10.7.4 fifth: "If the ACK is a duplicate (SEG.ACK =<   */  \
    /* SND.UNA), it can be ignored."                                      */ \
    Deliver(Peer().Ack(SndUna() - 1));                                       \
    ExpectNothingSent();                                                     \
    EXPECT_EQ(ConnState(), before);                                          \
  }                                                                          \
  TEST_F(CloseTest, Name##_AckTooOld_AckedAndDropped) {                      \
    Make##Name();                                                            \
    const State before = ConnState();                                        \
    /* RFC 5961 5.2: SEG.ACK < SND.UNA - MAX.SND.WND: send an ACK, drop. */  \
    Deliver(Peer().Ack(SndUna() - 0x40000000u));                             \
    ExpectSent(kAck, our_nxt_, peer_nxt_);                                   \
    EXPECT_EQ(ConnState(), before);                                          \
    EXPECT_EQ(Drops(DropReason::kAckTooOld), 1u);                            \
  }

TERN_CLOSE_STATE_TESTS(FinWait1)
TERN_CLOSE_STATE_TESTS(FinWait2)
TERN_CLOSE_STATE_TESTS(CloseWait)
TERN_CLOSE_STATE_TESTS(Closing)
TERN_CLOSE_STATE_TESTS(LastAck)

#undef TERN_CLOSE_STATE_TESTS

// The states after the peer's FIN: more text or another FIN.
#define TERN_AFTER_PEER_FIN_TESTS(Name)                                     \
  TEST_F(CloseTest, Name##_DataAfterFin_IgnoredAndAcked) {                  \
    Make##Name();                                                           \
    const State before = ConnState();                                       \
    /* RFC 9293 3.10.7.4 seventh: "This should not occur, since a FIN    */ \
    /* has been received from the remote side. Ignore the segment text." */ \
    Deliver(Peer().Ack(SndUna()).Data("late"));                             \
    ExpectSent(kAck, our_nxt_, peer_nxt_);                                  \
    EXPECT_EQ(ConnState(), before);                                         \
    EXPECT_EQ(Drops(DropReason::kDataAfterFin), 1u);                        \
    EXPECT_EQ(Read(), "");                                                  \
  }                                                                         \
  TEST_F(CloseTest, Name##_DuplicateFin_ReAcked) {                          \
    Make##Name();                                                           \
    const State before = ConnState();                                       \
    /* The peer retransmits its FIN (our ACK was lost): the segment is  */  \
    /* unacceptable (below RCV.NXT), so it gets an ACK (3.10.7.4 first), */ \
    /* and the eighth step leaves the state as it is.                   */  \
    Deliver(Peer().Fin().Seq(peer_nxt_ - 1).Ack(SndUna()));                 \
    ExpectSent(kAck, our_nxt_, peer_nxt_);                                  \
    ExpectNothingSent();                                                    \
    EXPECT_EQ(ConnState(), before);                                         \
  }

TERN_AFTER_PEER_FIN_TESTS(CloseWait)
TERN_AFTER_PEER_FIN_TESTS(Closing)
TERN_AFTER_PEER_FIN_TESTS(LastAck)

#undef TERN_AFTER_PEER_FIN_TESTS

// Exact RST (SEG.SEQ = RCV.NXT), RFC 9293 3.10.7.4 second with RFC 5961 3.2.

TEST_F(CloseTest, FinWait1_RstExact_ClosedConnReset) {
  MakeFinWait1();
  PolledMask();
  // "any outstanding RECEIVEs and SEND should receive "reset" responses ...
  // Enter the CLOSED state, delete the TCB".
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(PolledMask() & events::kReset, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
  EXPECT_EQ(ep_->stats().conn_resets.Get(), 1u);
}

TEST_F(CloseTest, FinWait2_RstExact_ClosedConnReset) {
  MakeFinWait2();
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
}

TEST_F(CloseTest, CloseWait_RstExact_ClosedConnReset) {
  MakeCloseWait();
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
  const uint8_t b[1] = {'x'};
  EXPECT_NE(ep_->Send(conn_, b, now_).error, SockError::kOk);
}

TEST_F(CloseTest, Closing_RstExact_Closed) {
  MakeClosing();
  // "CLOSING, LAST-ACK, TIME-WAIT: If the RST bit is set, then enter the
  // CLOSED state, delete the TCB, and return."
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(CloseTest, LastAck_RstExact_Closed) {
  MakeLastAck();
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  Advance(Duration::Seconds(10));
  ExpectNothingSent();  // no FIN retransmission after the reset
}

TEST_F(CloseTest, LastAck_OrphanRstExact_RecordFreed) {
  MakeCloseWait();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  Deliver(Peer().Rst());
  EXPECT_EQ(ep_->connection_count(), 0u);
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class CloseOrphanTest : public ScriptTest {};

TEST_F(CloseOrphanTest, FinWait1_OrphanReceivesNewData_Rst) {
  MakeEstablished();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  // RFC 1122 4.2.2.13: after CLOSE nobody can read; "if new data is
  // received after CLOSE is called, its TCP SHOULD send a RST to show that
  // data was lost" (Linux: TCPAbortOnData).
  Deliver(Peer().Ack(our_nxt_ - 1).Data("too late"));
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(CloseOrphanTest, FinWait2_OrphanReceivesNewData_Rst) {
  MakeFinWait2();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  Deliver(Peer().Data("too late"));
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(CloseOrphanTest, FinWait2_OrphanReceivesBareFin_TimeWait) {
  MakeFinWait2();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  // A FIN carries no data: the close completes normally.
  Deliver(Peer().Fin());
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

TEST_F(CloseOrphanTest, FinWait2_OrphanRetransmittedOldData_NoRst) {
  MakeFinWait2();
  Deliver(Peer().Data("abc"));
  peer_nxt_ += 3;
  EXPECT_EQ(Read(), "abc");
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  DropSent();
  // A retransmission of data already received is not new data: ACKed.
  Deliver(Peer().Seq(peer_nxt_ - 3).Data("abc"));
  ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{1001, 1004}});
  EXPECT_EQ(ep_->connection_count(), 1u);
}

// ---- AbortAll (the engine's drain end)

TEST_F(CloseTest, AbortAll_OrphanInFinWait1_RstAndFreed) {
  MakeEstablished();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);  // orphaned
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  our_nxt_ += 1;
  ASSERT_EQ(ep_->connection_count(), 1u);
  EXPECT_EQ(ep_->AbortAll(now_), 1u);
  // RFC 9293 3.10.5 ABORT in FIN-WAIT-1: <SEQ=SND.NXT><CTL=RST>, with ACK as
  // Linux sends it.
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().shutdown_aborts.Get(), 1u);
}

TEST_F(CloseTest, AbortAll_OrphanInLastAck_FreedWithoutRst) {
  MakeEstablished();
  Deliver(Peer().Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ep_->connection_count(), 1u);
  // RFC 9293 3.10.5 ABORT in LAST-ACK: delete the TCB, send nothing.
  EXPECT_EQ(ep_->AbortAll(now_), 1u);
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(CloseTest, AbortAll_HeldConnectionAndHalfOpen_AllEndedHandleStale) {
  MakeEstablished();
  // A second client is still in the SYN queue.
  Deliver(SegBuilder().From(kRemoteAddr, kRemotePort + 1).Syn().Seq(7000));
  DropSent();
  ASSERT_EQ(ep_->half_open_total(), 1u);
  EXPECT_EQ(ep_->AbortAll(now_), 1u);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_total(), 0u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->Send(conn_, {}, now_).error, SockError::kBadHandle);
}

}  // namespace
}  // namespace tern::tcp::testing
