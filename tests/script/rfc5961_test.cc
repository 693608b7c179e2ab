// RFC 5961: blind RST (section 3), blind SYN (section 4) and blind data
// injection (section 5, ACK acceptability) mitigations, and the rate limit of
// challenge ACKs (section 7).
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class Rfc5961Test : public ScriptTest {
 protected:
  uint64_t ChallengeAcks() const { return ep_->stats().challenge_acks.Get(); }
  uint64_t ChallengeAcksLimited() const {
    return ep_->stats().challenge_acks_limited.Get();
  }
};

// ---------------------------------------------------------------------------
// Section 3.2: "1) If the RST bit is set and the sequence number is outside
// the current receive window, silently drop the segment. 2) If the RST bit is
// set and the sequence number exactly matches the next expected sequence
// number (RCV.NXT), then TCP MUST reset the connection. 3) ... TCP MUST send
// an ACK (challenge ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".

TEST_F(Rfc5961Test, Established_RstAtRcvNxt_Reset) {
  MakeEstablished();
  TakeConnEvents();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kReset, 0u);
  EXPECT_NE(ev & events::kClosed, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
  EXPECT_EQ(ep_->stats().conn_resets.Get(), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kEstablished, State::kClosed), 1u);
}

TEST_F(Rfc5961Test, Established_RstAckAtRcvNxt_ResetRecvReportsIt) {
  MakeEstablished();
  Deliver(Peer().RstAck());
  ExpectNothingSent();
  uint8_t buf[8];
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_EQ(r.error, SockError::kConnReset);
}

TEST_F(Rfc5961Test, Established_RstAtRcvNxtWithPendingData_DataStillReadable) {
  MakeEstablished();
  Deliver(Peer().Data("last words"));
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 10));
  EXPECT_EQ(ConnState(), State::kClosed);
  // tern keeps what was already received for the application (Linux does
  // too); the error follows once it is read.
  EXPECT_EQ(Read(), "last words");
}

TEST_F(Rfc5961Test, Established_RstInWindowNotRcvNxt_ChallengeAck) {
  MakeEstablished();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Drops(DropReason::kRstChallenged), 1u);
  EXPECT_EQ(ChallengeAcks(), 1u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kOk);
}

TEST_F(Rfc5961Test, Established_RstAtWindowEdge_ChallengeAck) {
  MakeEstablished();
  // Last byte of the window (64 KiB buffer, shift 1 after the SYN-ACK's
  // unscaled 65535): RCV.NXT + 65534 is still inside.
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 65534));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(Rfc5961Test, Established_RstAckInWindow_ChallengeAckConnectionSurvives) {
  MakeEstablished();
  Deliver(Peer().RstAck().Seq(peer_nxt_ + 1000));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  // The connection carries on.
  Deliver(Peer().Data("still here"));
  EXPECT_EQ(Read(), "still here");
}

TEST_F(Rfc5961Test, Established_ChallengeAckThenExactRst_Reset) {
  MakeEstablished();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 500));
  Sent challenge = ExpectSent(kAck, our_nxt_, peer_nxt_);
  // A legitimate peer answers the challenge with a RST at the ACK number.
  Deliver(SegBuilder().Rst().Seq(challenge.tcp.ack.raw()));
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
}

TEST_F(Rfc5961Test, Established_RstBeforeWindow_DroppedSilently) {
  MakeEstablished();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ - 1));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Drops(DropReason::kRstOutOfWindow), 1u);
  EXPECT_EQ(ChallengeAcks(), 0u);
}

TEST_F(Rfc5961Test, Established_RstBeyondWindow_DroppedSilently) {
  MakeEstablished();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 200000));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Drops(DropReason::kRstOutOfWindow), 1u);
}

TEST_F(Rfc5961Test, CloseWait_RstInWindow_ChallengeAck) {
  MakeCloseWait();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 10));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kCloseWait);
}

TEST_F(Rfc5961Test, CloseWait_RstAtRcvNxt_Reset) {
  MakeCloseWait();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
}

TEST_F(Rfc5961Test, FinWait2_RstInWindow_ChallengeAck) {
  MakeFinWait2();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 10));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

TEST_F(Rfc5961Test, FinWait1_RstAtRcvNxt_Reset) {
  MakeFinWait1();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
}

TEST_F(Rfc5961Test, LastAck_RstInWindow_ChallengeAck) {
  MakeLastAck();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 3));
  // SND.NXT is past our FIN.
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kLastAck);
}

// RFC 5961 3.2 applies in all states but SYN-SENT, so also in SYN-RECEIVED;
// RFC 9293 3.10.7.4 second, SYN-RECEIVED, passive: "return this connection to
// LISTEN state", i.e. the half-open connection goes away without a trace.
TEST_F(Rfc5961Test, SynReceived_RstAtRcvNxt_HalfOpenGoneSilently) {
  MakeSynReceived();
  ASSERT_EQ(ep_->half_open_count(listener_), 1u);
  Deliver(SegBuilder().Rst().Seq(peer_iss_ + 1));
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->accept_queue_length(listener_), 0u);
  EXPECT_FALSE(ep_->Accept(listener_).has_value());
  // No SYN-ACK retransmission for it afterwards.
  Advance(Duration::Seconds(5));
  ExpectNothingSent();
  // The listener still takes the same peer afresh.
  Deliver(SegBuilder().Syn().Seq(7000));
  ExpectSent(kSyn | kAck, kAny, 7000 + 1);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

TEST_F(Rfc5961Test, SynReceived_RstInWindowNotRcvNxt_ChallengeAck) {
  MakeSynReceived();
  Deliver(SegBuilder().Rst().Seq(peer_iss_ + 100));
  ExpectSent(kAck, our_iss_ + 1, peer_iss_ + 1);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  EXPECT_EQ(ep_->half_open_total(), 1u);
}

TEST_F(Rfc5961Test, SynReceived_RstOutOfWindow_DroppedSilently) {
  MakeSynReceived();
  Deliver(SegBuilder().Rst().Seq(peer_iss_ - 100));
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

// ---------------------------------------------------------------------------
// Section 4.2: "If the SYN bit is set, irrespective of the sequence number,
// TCP MUST send an ACK (also referred to as challenge ACK) to the remote
// peer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. After sending the
// acknowledgment, TCP MUST drop the unacceptable segment".

TEST_F(Rfc5961Test, Established_SynAtRcvNxt_ChallengeAck) {
  MakeEstablished();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Drops(DropReason::kSynChallenged), 1u);
  EXPECT_EQ(ChallengeAcks(), 1u);
}

TEST_F(Rfc5961Test, Established_SynInWindow_ChallengeAck) {
  MakeEstablished();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 5000).Mss(1460));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(Rfc5961Test, Established_SynOutOfWindow_ChallengeAck) {
  MakeEstablished();
  // A peer that restarted picks a new ISN anywhere in the space.
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 0x40000000));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(ChallengeAcks(), 1u);
}

TEST_F(Rfc5961Test, Established_SynWithOldIsn_ChallengeAck) {
  MakeEstablished();
  Deliver(SegBuilder().Syn().Seq(peer_iss_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(Rfc5961Test, Established_SynAckInWindow_ChallengeAck) {
  MakeEstablished();
  Deliver(Peer().SynAck().Seq(peer_nxt_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(Rfc5961Test, Established_SynWithData_DataNotDelivered) {
  MakeEstablished();
  Deliver(Peer().Flags(kSyn | kAck).Seq(peer_nxt_).Data("inject"));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_);
}

TEST_F(Rfc5961Test, CloseWait_Syn_ChallengeAck) {
  MakeCloseWait();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kCloseWait);
}

TEST_F(Rfc5961Test, FinWait2_Syn_ChallengeAck) {
  MakeFinWait2();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kFinWait2);
}

// ---------------------------------------------------------------------------
// Section 7: challenge ACKs are rate limited (tern: a budget of
// config_.challenge_ack_per_second per connection; ack_limiter.h).

TEST_F(Rfc5961Test, Established_ChallengeAcksOverLimit_NotSent) {
  config_.challenge_ack_per_second = 2;
  Recreate();
  MakeEstablished();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 2));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 3));
  ExpectNothingSent();
  EXPECT_EQ(ChallengeAcks(), 2u);
  EXPECT_EQ(ChallengeAcksLimited(), 1u);
  // Dropped all the same; the connection is untouched.
  EXPECT_EQ(Drops(DropReason::kRstChallenged), 3u);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(Rfc5961Test, Established_ChallengeLimit_ResetsAfterOneSecond) {
  config_.challenge_ack_per_second = 2;
  Recreate();
  MakeEstablished();
  for (int i = 1; i <= 3; ++i) {
    Deliver(SegBuilder().Rst().Seq(peer_nxt_ + i));
  }
  EXPECT_EQ(SentCount(), 2u);
  DropSent();
  Advance(Duration::Millis(999));
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 4));
  ExpectNothingSent();
  Advance(Duration::Millis(1));
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 5));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ChallengeAcks(), 3u);
  EXPECT_EQ(ChallengeAcksLimited(), 2u);
}

TEST_F(Rfc5961Test, Established_SynAndRstShareTheLimit) {
  config_.challenge_ack_per_second = 2;
  Recreate();
  MakeEstablished();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 2));
  ExpectNothingSent();
  EXPECT_EQ(ChallengeAcksLimited(), 1u);
}

// CVE-2016-5696: the budget is per connection, so spending it on one
// connection leaves another's untouched (HostileTest
// Hostile_ChallengeAckSideChannel_* shows the observer's view).
TEST_F(Rfc5961Test, Established_LimitIsPerConnection_NotShared) {
  config_.challenge_ack_per_second = 1;
  Recreate();
  MakeEstablished();
  // A second connection from another port.
  Deliver(SegBuilder().From(kRemoteAddr, 41000).Syn().Seq(5000));
  Sent sa = ExpectSent(kSyn | kAck, kAny, 5000 + 1);
  Deliver(SegBuilder()
              .From(kRemoteAddr, 41000)
              .AckOnly()
              .Seq(5001)
              .Ack(sa.tcp.seq.raw() + 1));
  ExpectNothingSent();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1));
  // The first connection scales its window by 1 (a 64 KiB buffer).
  ExpectSent(kAck, our_nxt_, peer_nxt_).Window(32768);
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 2));
  ExpectNothingSent();  // this connection's budget is spent
  Deliver(SegBuilder().From(kRemoteAddr, 41000).Rst().Seq(5002));
  ExpectSent(kAck, sa.tcp.seq.raw() + 1, 5001);  // the other's is whole
  EXPECT_EQ(ChallengeAcksLimited(), 1u);
}

// ---------------------------------------------------------------------------
// Section 5.2: "the ACK value is considered acceptable only if it is in the
// range of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming
// segments whose ACK value doesn't satisfy the above condition MUST be
// discarded and an ACK sent back."

TEST_F(Rfc5961Test, Established_AckForUnsentData_AckSentDropped) {
  MakeEstablished();
  Deliver(Peer().Ack(our_nxt_ + 100).Data("inject"));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kAckTooNew), 1u);
  EXPECT_EQ(Read(), "");
  EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(Rfc5961Test, Established_AckOneBeyondSndNxt_AckSentDropped) {
  MakeEstablished();
  Write("abc");
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("abc");
  Deliver(Peer().Ack(our_nxt_ + 4));
  ExpectSent(kAck, our_nxt_ + 3, peer_nxt_);
  EXPECT_EQ(Drops(DropReason::kAckTooNew), 1u);
  EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_);
}

TEST_F(Rfc5961Test, Established_AckTooOld_AckSentDropped) {
  MakeEstablished();
  // MAX.SND.WND = 65535 << 7 = 8388480: an ACK further back than that.
  Deliver(Peer().Ack(our_nxt_ - 9000000).Data("inject"));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(Drops(DropReason::kAckTooOld), 1u);
  EXPECT_EQ(Read(), "");
}

TEST_F(Rfc5961Test, Established_OldAckWithinMaxSndWnd_DataAccepted) {
  MakeEstablished();
  // Below SND.UNA but within MAX.SND.WND: acceptable, the text is kept.
  Deliver(Peer().Ack(our_nxt_ - 1000).Data("fine"));
  EXPECT_EQ(Drops(DropReason::kAckTooOld), 0u);
  EXPECT_EQ(Read(), "fine");
}

}  // namespace
}  // namespace tern::tcp::testing
