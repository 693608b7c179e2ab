// TIME-WAIT (RFC 9293 3.10.7.4 and 3.4.2 "2 MSL", RFC 1337 TIME-WAIT
// assassination, RFC 6191 reuse of the tuple by a newer SYN, RFC 7323 5.3
// PAWS) and the record bound (Linux tcp_max_tw_buckets; config.h).
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class TimeWaitTest : public ScriptTest {
 protected:
  static FourTuple Tuple(uint16_t remote_port = kRemotePort) {
    return FourTuple{kLocalAddr, kRemoteAddr, kLocalPort, remote_port};
  }
  const TimeWaitRecord* Record() const { return ep_->FindTimeWait(Tuple()); }
};

TEST_F(TimeWaitTest, FinWait2_Fin_RecordCreated) {
  MakeTimeWait();
  EXPECT_EQ(ep_->time_wait_count(), 1u);
  EXPECT_EQ(ep_->stats().time_wait_created.Get(), 1u);
  const TimeWaitRecord* r = Record();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->snd_nxt.raw(), our_nxt_);
  EXPECT_EQ(r->rcv_nxt.raw(), peer_nxt_);
  EXPECT_EQ(r->tuple, Tuple());
}

TEST_F(TimeWaitTest, Record_Size_AtMostOneCacheLine) {
  EXPECT_LE(sizeof(TimeWaitRecord), 64u);
}

TEST_F(TimeWaitTest, TimeWait_ApplicationCloses_ConnectionRecordFreed) {
  MakeTimeWait();
  // The application still holds its handle: the full record waits for it.
  EXPECT_EQ(ep_->connection_count(), 1u);
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

TEST_F(TimeWaitTest, FinWait2_OrphanGetsFin_OnlyRecordRemains) {
  MakeFinWait2();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  Deliver(Peer().Fin());
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

TEST_F(TimeWaitTest, Closing_AckOfFin_RecordCreated) {
  MakeClosing();
  Deliver(Peer());
  ExpectNothingSent();
  ASSERT_NE(Record(), nullptr);
  EXPECT_EQ(Record()->snd_nxt.raw(), our_nxt_);
  EXPECT_EQ(Record()->rcv_nxt.raw(), peer_nxt_);
}

TEST_F(TimeWaitTest, TimeWait_Expiry_AfterTwoDefaultMsl) {
  config_.msl = EndpointConfig{}.msl;
  ASSERT_EQ(config_.msl, Duration::Seconds(30));
  Recreate();
  MakeTimeWait();
  const Instant entered = now_;
  // RFC 9293 3.10.7.4 / 3.4.2: the time-wait timeout is 2 MSL = 60 s.
  AdvanceTo(entered + Duration::Seconds(60) - Duration::Millis(5));
  EXPECT_NE(Record(), nullptr);
  EXPECT_EQ(ep_->stats().time_wait_expired.Get(), 0u);
  AdvanceTo(entered + Duration::Seconds(60) + Duration::Millis(5));
  ExpectNothingSent();
  EXPECT_EQ(Record(), nullptr);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
  EXPECT_EQ(ep_->stats().time_wait_expired.Get(), 1u);
}

TEST_F(TimeWaitTest, TimeWait_Expiry_FollowsConfiguredMsl) {
  config_.msl = Duration::Seconds(2);
  Recreate();
  MakeTimeWait();
  const Instant entered = now_;
  AdvanceTo(entered + Duration::Seconds(4) - Duration::Millis(5));
  EXPECT_NE(Record(), nullptr);
  AdvanceTo(entered + Duration::Seconds(4) + Duration::Millis(5));
  EXPECT_EQ(Record(), nullptr);
}

TEST_F(TimeWaitTest, TimeWait_Expired_TupleAnsweredByListener) {
  MakeTimeWait();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  Advance(config_.msl * 2 + Duration::Millis(5));
  ASSERT_EQ(ep_->time_wait_count(), 0u);
  // The tuple is free: a late FIN reaches the listener, which resets the
  // ACK-bearing segment (RFC 9293 3.10.7.2).
  Deliver(Peer().Fin().Seq(peer_nxt_ - 1));
  ExpectSent(kRst, our_nxt_, 0);
}

TEST_F(TimeWaitTest, TimeWait_RetransmittedFin_AckedAndTimerRestarted) {
  MakeTimeWait();
  const Instant entered = now_;
  Advance(Duration::Seconds(30));
  // RFC 9293 3.10.7.4 eighth, TIME-WAIT: "Remain in the TIME-WAIT state.
  // Acknowledge it, and restart the 2 MSL timeout."
  Deliver(Peer().Fin().Seq(peer_nxt_ - 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  const Instant restarted = now_;
  AdvanceTo(entered + config_.msl * 2 + Duration::Millis(5));
  EXPECT_NE(Record(), nullptr);  // the original expiry has passed
  AdvanceTo(restarted + config_.msl * 2 - Duration::Millis(5));
  EXPECT_NE(Record(), nullptr);
  AdvanceTo(restarted + config_.msl * 2 + Duration::Millis(5));
  EXPECT_EQ(Record(), nullptr);
  ExpectNothingSent();
}

TEST_F(TimeWaitTest, TimeWait_Rst_IgnoredRfc1337) {
  MakeTimeWait();
  // RFC 1337 section 3: ignore RST segments in TIME-WAIT.
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_NE(Record(), nullptr);
  EXPECT_EQ(Drops(DropReason::kTimeWaitRst), 1u);
  Deliver(Peer().RstAck().Seq(peer_nxt_ + 10));
  EXPECT_NE(Record(), nullptr);
  EXPECT_EQ(Drops(DropReason::kTimeWaitRst), 2u);
}

TEST_F(TimeWaitTest, TimeWait_PureAck_SilentlyDropped) {
  MakeTimeWait();
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kTimeWaitAck), 1u);
  EXPECT_NE(Record(), nullptr);
}

TEST_F(TimeWaitTest, TimeWait_RetransmittedData_Acked) {
  MakeTimeWait();
  // Data cannot be new after the peer's FIN: a retransmission, answered with
  // our ACK (RFC 9293 3.10.7.4 first check, unacceptable segment).
  Deliver(Peer().Seq(peer_nxt_ - 6).Data("hello"));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_NE(Record(), nullptr);
}

TEST_F(TimeWaitTest, TimeWait_SynWithHigherIsn_ReopensViaListener) {
  MakeTimeWait();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  // RFC 6191 section 2 (no timestamps): "If the Sequence Number of the
  // incoming SYN is greater than the last sequence number seen ... honor
  // the connection request (creating a connection in SYN-RECEIVED)".
  const uint32_t new_iss = peer_nxt_ + 100000;
  Deliver(SegBuilder().Syn().Seq(new_iss).Mss(1460));
  ExpectSent(kSyn | kAck, kAny, new_iss + 1);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 1u);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

TEST_F(TimeWaitTest, TimeWait_ReopenedSynAck_AcksNewIsn) {
  MakeTimeWait();
  const uint32_t new_iss = peer_nxt_ + 5000;
  Deliver(SegBuilder().Syn().Seq(new_iss).Mss(1460));
  Sent synack = ExpectSent(kSyn | kAck, kAny, new_iss + 1);
  EXPECT_EQ(synack.tcp.ack.raw(), new_iss + 1);
  // The new connection completes its handshake.
  Deliver(
      SegBuilder().AckOnly().Seq(new_iss + 1).Ack(synack.tcp.seq.raw() + 1));
  ExpectNothingSent();
  EXPECT_EQ(ep_->accept_queue_length(listener_), 1u);
}

TEST_F(TimeWaitTest, TimeWait_SynWithOlderIsn_AckedNotReopened) {
  MakeTimeWait();
  // An old duplicate SYN: not newer, so the record stays, and the segment
  // (below RCV.NXT) is answered with our ACK (RFC 9293 3.10.7.4 first).
  Deliver(SegBuilder().Syn().Seq(peer_iss_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_NE(Record(), nullptr);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 0u);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
}

TEST_F(TimeWaitTest, TimeWait_SynAtRcvNxt_NotReopened) {
  MakeTimeWait();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_NE(Record(), nullptr);
}

TEST_F(TimeWaitTest, TimeWait_SynAckNotASyn_NoReopen) {
  MakeTimeWait();
  Deliver(Peer().SynAck().Seq(peer_nxt_ + 100000));
  EXPECT_NE(Record(), nullptr);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 0u);
  // RFC 9293 3.10.7.4 first check: an unacceptable segment gets our ACK.
  ExpectSent(kAck, our_nxt_, peer_nxt_);
}

// With timestamps (RFC 6191: the TSval decides).

class TimeWaitTsTest : public TimeWaitTest {
 protected:
  TimeWaitTsTest() { peer_tsval_ = 5000; }
};

TEST_F(TimeWaitTsTest, TimeWait_AckCarriesTimestampEcho) {
  MakeTimeWait();
  ASSERT_EQ(Record()->timestamps, 1);
  peer_tsval_ = 6000;
  Deliver(Peer().Fin().Seq(peer_nxt_ - 1));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_TRUE(s.tcp.options.timestamps.has_value());
  // RFC 7323 4.3: TSecr echoes the TSval of the segment acknowledged.
  EXPECT_EQ(s.tcp.options.timestamps->tsecr, 6000u);
}

TEST_F(TimeWaitTsTest, TimeWait_OldTsval_AckedAndCountedAsPaws) {
  MakeTimeWait();
  // RFC 7323 5.3 R1: an old TSval is refused and acknowledged.
  Deliver(Peer().Seq(peer_nxt_).Ts(4000, 0).Data("x"));
  ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(5000);
  EXPECT_EQ(Drops(DropReason::kTimeWaitPaws), 1u);
}

TEST_F(TimeWaitTsTest, TimeWait_SynWithNewerTsval_Reopens) {
  MakeTimeWait();
  // RFC 6191 section 2: a TSval greater than the last one seen honors the
  // SYN, even with a lower sequence number.
  Deliver(SegBuilder().Syn().Seq(peer_iss_ - 50000).Ts(5001, 0).Mss(1460));
  Sent s = ExpectSent(kSyn | kAck, kAny, peer_iss_ - 50000 + 1);
  EXPECT_EQ(s.tcp.ack.raw(), peer_iss_ - 50000 + 1);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 1u);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
}

TEST_F(TimeWaitTsTest, TimeWait_SynWithOlderTsval_AckedNotReopened) {
  MakeTimeWait();
  // A higher sequence number does not help an older TSval (RFC 6191 2,
  // RFC 7323 5.3 PAWS): the record stays, the SYN gets our ACK.
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 100000).Ts(4999, 0));
  Sent s = ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(5000);
  ASSERT_TRUE(s.tcp.options.timestamps.has_value());
  EXPECT_EQ(s.tcp.options.timestamps->tsecr, 5000u);
  EXPECT_NE(Record(), nullptr);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 0u);
}

TEST_F(TimeWaitTsTest, TimeWait_SynWithEqualTsvalHigherSeq_Reopens) {
  MakeTimeWait();
  // RFC 6191 section 2: "the timestamp ... is equal to the last timestamp
  // seen ... and the Sequence Number of the incoming SYN segment is greater
  // than the last sequence number seen ..., honor the connection request".
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 100000).Ts(5000, 0).Mss(1460));
  ExpectSent(kSyn | kAck, kAny, peer_nxt_ + 100000 + 1);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 1u);
}

TEST_F(TimeWaitTsTest, TimeWait_SynWithEqualTsvalLowerSeq_NotReopened) {
  MakeTimeWait();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Ts(5000, 0));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_NE(Record(), nullptr);
}

TEST_F(TimeWaitTsTest, TimeWait_SynWithoutTimestamps_SequenceRuleApplies) {
  MakeTimeWait();
  // RFC 6191 section 2: timestamps would not be enabled for the new
  // incarnation, so the sequence number decides.
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 100000).Mss(1460));
  ExpectSent(kSyn | kAck, kAny, peer_nxt_ + 100000 + 1);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 1u);
}

TEST_F(TimeWaitTsTest, TimeWait_FinWithOldTsval_AckedTimerNotRestarted) {
  MakeTimeWait();
  const Instant entered = now_;
  Advance(Duration::Seconds(10));
  // RFC 7323 5.3 R1: an old duplicate (TSval < TS.Recent) is acknowledged
  // and dropped; it restarts nothing.
  Deliver(Peer().Fin().Seq(peer_nxt_ - 1).Ts(4000, 0));
  ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(5000);
  AdvanceTo(entered + config_.msl * 2 + Duration::Millis(5));
  EXPECT_EQ(Record(), nullptr);
}

// The bound on TIME-WAIT records.

TEST_F(TimeWaitTest, TimeWait_BoundReached_SkipsTimeWaitCounted) {
  config_.max_time_wait = 1;
  Recreate();
  MakeTimeWait();
  ASSERT_EQ(ep_->time_wait_count(), 1u);
  // A second connection, from another port, closes actively too.
  const uint16_t port2 = kRemotePort + 1;
  Deliver(SegBuilder().From(kRemoteAddr, port2).Syn().Seq(7000).Mss(1460));
  Sent sa = ExpectSent(kSyn | kAck, kAny, 7000 + 1);
  const uint32_t iss2 = sa.tcp.seq.raw();
  Deliver(
      SegBuilder().From(kRemoteAddr, port2).AckOnly().Seq(7001).Ack(iss2 + 1));
  std::optional<ConnHandle> h2 = ep_->Accept(listener_);
  ASSERT_TRUE(h2.has_value());
  ASSERT_EQ(ep_->Close(*h2, now_), SockError::kOk);
  ExpectSent(kFin | kAck, iss2 + 1, 7001);
  Deliver(SegBuilder().From(kRemoteAddr, port2).Fin().Seq(7001).Ack(iss2 + 2));
  ExpectSent(kAck, iss2 + 2, 7002);
  // At the bound the connection skips TIME-WAIT (as Linux at
  // tcp_max_tw_buckets) and the overflow is counted.
  EXPECT_EQ(ep_->time_wait_count(), 1u);
  EXPECT_EQ(ep_->stats().time_wait_overflow.Get(), 1u);
  EXPECT_EQ(ep_->stats().time_wait_created.Get(), 1u);
  EXPECT_EQ(ep_->FindTimeWait(Tuple(port2)), nullptr);
  EXPECT_EQ(ep_->connection_count(), 1u);  // only the first one's handle
}

TEST_F(TimeWaitTest, TimeWait_BoundZero_NoRecordEver) {
  config_.max_time_wait = 0;
  Recreate();
  MakeFinWait2();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  Deliver(Peer().Fin());
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().time_wait_overflow.Get(), 1u);
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// Unacceptable segments in TIME-WAIT are answered with an ACK (RFC 9293
// 3.10.7.4 first check; Linux's tcp_timewait_state_process), rate-limited.
class TimeWaitUnacceptableTest : public ScriptTest {};

TEST_F(TimeWaitUnacceptableTest, TimeWait_OldDuplicateAck_Acked) {
  MakeTimeWait();
  Deliver(Peer().Seq(peer_nxt_ - 1));  // below RCV.NXT: an old duplicate
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(Drops(DropReason::kTimeWaitUnacceptable), 1u);
  ASSERT_NE(ep_->FindTimeWait(
                FourTuple{kLocalAddr, kRemoteAddr, kLocalPort, kRemotePort}),
            nullptr);
}

TEST_F(TimeWaitUnacceptableTest, TimeWait_AckBeyondWindow_Acked) {
  MakeTimeWait();
  Deliver(Peer().Seq(peer_nxt_ + 0x20000000));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(Drops(DropReason::kTimeWaitUnacceptable), 1u);
}

TEST_F(TimeWaitUnacceptableTest, TimeWait_AckAtRcvNxt_Silent) {
  MakeTimeWait();
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kTimeWaitAck), 1u);
}

// One ACK per record per 537 ms tick (TimeWaitAckAllowed, as Linux's
// per-socket 500 ms), whatever challenge_ack_per_second says.
TEST_F(TimeWaitUnacceptableTest, TimeWait_UnacceptableFlood_RateLimited) {
  MakeTimeWait();
  for (uint32_t i = 1; i <= 6; ++i) {
    Deliver(Peer().Seq(peer_nxt_ - i));
  }
  EXPECT_EQ(SentCount(), 1u);
  DropSent();
  EXPECT_EQ(ep_->stats().challenge_acks_limited.Get(), 5u);
  EXPECT_EQ(Drops(DropReason::kTimeWaitUnacceptable), 6u);
  // The next tick answers again.
  Advance(Duration::Seconds(1));
  Deliver(Peer().Seq(peer_nxt_ - 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
}

TEST_F(TimeWaitUnacceptableTest, TimeWait_Orphaned_OldAckAcked) {
  // The same for a connection whose socket the application closed (above,
  // the application still holds it: MakeTimeWait shuts down only).
  MakeTimeWait();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  EXPECT_EQ(ep_->connection_count(), 0u);
  Deliver(Peer().Seq(peer_nxt_ - 1));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
}

}  // namespace
}  // namespace tern::tcp::testing
