// Timers: SYN and SYN-ACK retransmission (RFC 6298 2.1 initial RTO of 1 s,
// 5.5 back-off; RFC 9293 3.8.1), keepalive (RFC 1122 4.2.3.6) and the
// delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2).
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class TimersTest : public ScriptTest {
 protected:
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
  void EnableKeepalive(Duration idle, Duration interval, int probes) {
    KeepaliveOptions ka;
    ka.enabled = true;
    ka.idle = idle;
    ka.interval = interval;
    ka.probes = probes;
    ASSERT_EQ(ep_->SetKeepalive(conn_, ka, now_), SockError::kOk);
  }
  // RFC 1122 4.2.3.6: a probe is <SEQ=SND.NXT-1><ACK=RCV.NXT>, no data.
  void ExpectProbe() {
    Sent s = ExpectSent(kAck, our_nxt_ - 1, peer_nxt_);
    EXPECT_TRUE(s.payload.empty());
  }
  static constexpr Duration kSlack = Duration::Millis(2);
};

// ---------------------------------------------------------------------------
// SYN retransmission.

TEST_F(TimersTest, SynSent_NoAnswer_SynRetransmittedWithBackoff) {
  MakeSynSent();
  const Instant start = now_;
  // RFC 6298 2.1: initial RTO 1 s; 5.5: doubled on each expiry:
  // retransmissions at 1, 3, 7, 15, 31, 63 s.
  int64_t at = 0;
  for (int64_t rto = 1; rto <= 32; rto *= 2) {
    at += rto;
    AdvanceTo(start + Duration::Seconds(at) - kSlack);
    ExpectNothingSent();
    AdvanceTo(start + Duration::Seconds(at) + kSlack);
    Sent s = ExpectSent(kSyn, our_iss_, 0);
    EXPECT_TRUE(s.tcp.options.mss.has_value());  // the same SYN again
  }
  EXPECT_EQ(ep_->stats().syn_retransmits.Get(), 6u);
  EXPECT_EQ(ConnState(), State::kSynSent);
}

TEST_F(TimersTest, SynSent_RetriesExhausted_ConnectTimedOut) {
  MakeSynSent();
  PolledMask();
  const Instant start = now_;
  // Default syn_retries = 6 (Linux tcp_syn_retries): after the sixth
  // retransmission (63 s) one more RTO of 64 s, then connect fails.
  AdvanceTo(start + Duration::Seconds(127) - kSlack);
  EXPECT_EQ(SentCount(), 6u);
  DropSent();
  EXPECT_EQ(ConnState(), State::kSynSent);
  AdvanceTo(start + Duration::Seconds(127) + kSlack);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(PolledMask() & events::kTimedOut, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
  EXPECT_EQ(ep_->stats().conn_timeouts.Get(), 1u);
}

TEST_F(TimersTest, SynSent_ConfiguredRetries_FailsSooner) {
  config_.syn_retries = 2;
  Recreate();
  MakeSynSent();
  PolledMask();
  const Instant start = now_;
  AdvanceTo(start + Duration::Seconds(3) + kSlack);
  EXPECT_EQ(SentCount(), 2u);
  DropSent();
  AdvanceTo(start + Duration::Seconds(7) - kSlack);
  EXPECT_EQ(ConnState(), State::kSynSent);
  AdvanceTo(start + Duration::Seconds(7) + kSlack);
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(PolledMask() & events::kTimedOut, 0u);
}

TEST_F(TimersTest, SynSent_SynAckAfterRetransmission_Established) {
  MakeSynSent();
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSent(kSyn, our_iss_, 0);
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_nxt_).Mss(1460));
  peer_nxt_ = peer_iss_ + 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
  Advance(Duration::Seconds(10));
  ExpectNothingSent();  // the SYN timer is stopped
}

TEST_F(TimersTest, SynSent_SynRetransmitted_FirstDataRtoIsThreeSeconds) {
  MakeSynSent();
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSent(kSyn, our_iss_, 0);
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_nxt_).Mss(1460));
  peer_nxt_ = peer_iss_ + 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  // RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
  // and the TCP implementation is using an RTO less than 3 seconds, the RTO
  // MUST be re-initialized to 3 seconds when data transmission begins".
  EXPECT_EQ(Write("data"), 4u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
  const Instant sent = now_;
  AdvanceTo(sent + Duration::Seconds(3) - kSlack);
  ExpectNothingSent();
  AdvanceTo(sent + Duration::Seconds(3) + kSlack);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
}

TEST_F(TimersTest, SynSent_SynAnsweredAtOnce_RtoFromMeasurement) {
  MakeSynSent();
  Advance(Duration::Millis(100));
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_nxt_).Mss(1460));
  peer_nxt_ = peer_iss_ + 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  // RFC 6298 2.2: SRTT = 100 ms, RTTVAR = 50 ms, RTO = 300 ms.
  EXPECT_EQ(Conn()->rtt().rto(config_.rto), Duration::Millis(300));
}

// ---------------------------------------------------------------------------
// SYN-ACK retransmission.

TEST_F(TimersTest, SynReceived_NoAck_SynAckRetransmittedWithBackoff) {
  MakeSynReceived();
  const Instant start = now_;
  int64_t at = 0;
  for (int64_t rto = 1; rto <= 16; rto *= 2) {
    at += rto;
    AdvanceTo(start + Duration::Seconds(at) - kSlack);
    ExpectNothingSent();
    AdvanceTo(start + Duration::Seconds(at) + kSlack);
    ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  }
  EXPECT_EQ(ep_->stats().synack_retransmits.Get(), 5u);
}

TEST_F(TimersTest, SynReceived_RetriesExhausted_HalfOpenDropped) {
  MakeSynReceived();
  const Instant start = now_;
  // Default synack_retries = 5: retransmissions at 1..31 s, then after one
  // more RTO (32 s) the half-open connection goes, silently.
  AdvanceTo(start + Duration::Seconds(63) - kSlack);
  EXPECT_EQ(SentCount(), 5u);
  DropSent();
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  AdvanceTo(start + Duration::Seconds(63) + kSlack);
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().synack_timeouts.Get(), 1u);
  EXPECT_FALSE(ep_->Accept(listener_).has_value());
  // The peer's late ACK now finds only the listener: RST.
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
}

TEST_F(TimersTest, SynReceived_TwoRecords_EachOnItsOwnSchedule) {
  // The half-open records' timers wait in one queue per retransmission
  // count (deadline_fifo.h): two records half a second apart must keep their
  // own RFC 6298 5.5 schedules through every queue.
  MakeSynReceived();
  const Instant a = now_;
  Advance(Duration::Millis(500));
  Deliver(Peer().Syn().From(kRemoteAddr, kRemotePort + 1).Seq(5000).Mss(1460));
  EXPECT_EQ(SentCount(), 1u);
  DropSent();
  const Instant b = now_;
  EXPECT_EQ(ep_->half_open_count(listener_), 2u);
  // Retransmissions at 1, 3, 7, 15, 31 s after each SYN, in time order.
  uint64_t expected = 0;
  for (int at : {1, 3, 7, 15, 31}) {
    for (Instant start : {a, b}) {
      AdvanceTo(start + Duration::Seconds(at) - kSlack);
      EXPECT_EQ(ep_->stats().synack_retransmits.Get(), expected) << at;
      AdvanceTo(start + Duration::Seconds(at) + kSlack);
      EXPECT_EQ(ep_->stats().synack_retransmits.Get(), ++expected) << at;
      EXPECT_EQ(SentCount(), 1u) << at;
      DropSent();
    }
  }
  // Each goes 32 s after its last SYN-ACK, the first record first.
  AdvanceTo(a + Duration::Seconds(63) + kSlack);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  AdvanceTo(b + Duration::Seconds(63) + kSlack);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->stats().synack_timeouts.Get(), 2u);
  ExpectNothingSent();
}

TEST(TimersConfigTest, SynAckScheduleAndMsl_Bounded) {
  // The compact records keep their times in 32-bit ticks (deadline_fifo.h):
  // configurations beyond the bounds are refused, not run wrong.
  EndpointConfig c;
  c.synack_retries = 255;
  EXPECT_TRUE(c.Validate().ok());  // 255 at rto.max 120 s: 8.5 hours
  c.synack_retries = 256;
  EXPECT_FALSE(c.Validate().ok());
  c = EndpointConfig{};
  c.msl = EndpointConfig::kMaxMsl;
  EXPECT_TRUE(c.Validate().ok());
  c.msl = EndpointConfig::kMaxMsl + Duration::Nanos(1);
  EXPECT_FALSE(c.Validate().ok());
  c = EndpointConfig{};
  c.rto.max = Duration::Seconds(3600);
  c.synack_retries = 23;  // 1 + 2 + ... + 2048 s, then 12 hours at the cap
  EXPECT_TRUE(c.Validate().ok());
  c.synack_retries = 40;
  const absl::Status s = c.Validate();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("synack_retries"), std::string_view::npos) << s;
  // Doubling a 3-hour initial RTO 20 times would overflow: the timeout
  // stops at rto.max, and 21 of them (63 hours) are refused.
  c = EndpointConfig{};
  c.rto.initial = Duration::Seconds(3 * 3600);
  c.rto.max = Duration::Seconds(3 * 3600);
  EXPECT_EQ(SynAckTimeout(c.rto, 20), c.rto.max);
  c.synack_retries = 20;
  EXPECT_FALSE(c.Validate().ok());
  c.synack_retries = 5;  // 18 hours
  EXPECT_TRUE(c.Validate().ok());
  c.rto.max = Duration::Seconds(25 * 3600);
  EXPECT_FALSE(c.Validate().ok());
  c = EndpointConfig{};
  c.rto.initial = Duration::Zero();
  EXPECT_FALSE(c.Validate().ok());
}

TEST_F(TimersTest, SynReceived_ConfiguredRetries_DroppedSooner) {
  config_.synack_retries = 1;
  Recreate();
  MakeSynReceived();
  const Instant start = now_;
  AdvanceTo(start + Duration::Seconds(1) + kSlack);
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  AdvanceTo(start + Duration::Seconds(3) + kSlack);
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().synack_timeouts.Get(), 1u);
}

TEST_F(TimersTest, SynReceived_SynAckRetransmitted_FirstDataRtoIsThreeSeconds) {
  MakeSynReceived();
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  Deliver(Peer());
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  // RFC 6298 5.7 (the SYN-ACK is a SYN segment too; Linux applies it to
  // both sides, tcp_init_metrics).
  EXPECT_EQ(Write("data"), 4u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
  const Instant sent = now_;
  AdvanceTo(sent + Duration::Seconds(3) - kSlack);
  ExpectNothingSent();
  AdvanceTo(sent + Duration::Seconds(3) + kSlack);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("data");
}

// ---------------------------------------------------------------------------
// Keepalive (RFC 1122 4.2.3.6).

TEST_F(TimersTest, Established_KeepaliveDefault_Off) {
  MakeEstablished();
  // "Keep-alive packets MUST only be sent when ... enabled"; the default
  // MUST be off.
  EXPECT_FALSE(ConnOptions{}.keepalive.enabled);
  Advance(Duration::Seconds(4 * 3600));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(ep_->stats().keepalive_probes.Get(), 0u);
}

TEST_F(TimersTest, Established_KeepaliveDefaultIdle_FirstProbeAfterTwoHours) {
  MakeEstablished();
  const Instant start = now_;
  // RFC 1122: the interval "MUST be configurable and MUST default to no
  // less than two hours".
  EnableKeepalive(Duration::Seconds(7200), Duration::Seconds(75), 9);
  AdvanceTo(start + Duration::Seconds(7200) - kSlack);
  ExpectNothingSent();
  AdvanceTo(start + Duration::Seconds(7200) + kSlack);
  ExpectProbe();
  EXPECT_EQ(ep_->stats().keepalive_probes.Get(), 1u);
}

TEST_F(TimersTest, Established_KeepaliveUnanswered_ProbesEveryInterval) {
  MakeEstablished();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 5);
  for (int64_t at : {10, 12, 14, 16}) {
    AdvanceTo(start + Duration::Seconds(at) - kSlack);
    ExpectNothingSent();
    AdvanceTo(start + Duration::Seconds(at) + kSlack);
    ExpectProbe();
  }
  EXPECT_EQ(ep_->stats().keepalive_probes.Get(), 4u);
}

TEST_F(TimersTest, Established_KeepaliveAnswered_IdleClockRestarts) {
  MakeEstablished();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(10) + kSlack);
  ExpectProbe();
  // The peer answers the probe with its ACK.
  Deliver(Peer());
  ExpectNothingSent();
  const Instant answered = now_;
  AdvanceTo(answered + Duration::Seconds(10) - kSlack);
  ExpectNothingSent();
  AdvanceTo(answered + Duration::Seconds(10) + kSlack);
  ExpectProbe();
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(TimersTest, Established_PeerDataDuringIdle_ResetsIdleClock) {
  MakeEstablished();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(6));
  Deliver(Peer().Data("ping"));
  peer_nxt_ += 4;
  const Instant rx = now_;
  AdvanceTo(rx + config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  AdvanceTo(rx + Duration::Seconds(10) - kSlack);
  ExpectNothingSent();  // not at start + 10 s
  AdvanceTo(rx + Duration::Seconds(10) + kSlack);
  ExpectProbe();
}

TEST_F(TimersTest, Established_KeepaliveUnanswered_AbortAfterProbesRst) {
  MakeEstablished();
  PolledMask();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(14) + kSlack);
  ExpectProbe();
  ExpectProbe();
  ExpectProbe();
  AdvanceTo(start + Duration::Seconds(16) - kSlack);
  ExpectNothingSent();
  AdvanceTo(start + Duration::Seconds(16) + kSlack);
  // RFC 1122 4.2.3.6 leaves the verdict to the implementation; tern, as
  // Linux, resets the dead connection and reports ETIMEDOUT.
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_NE(PolledMask() & events::kTimedOut, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
  EXPECT_EQ(ep_->stats().keepalive_probes.Get(), 3u);
  EXPECT_EQ(ep_->stats().keepalive_timeouts.Get(), 1u);
}

TEST_F(TimersTest, Established_LateProbeAnswer_KeepsConnection) {
  MakeEstablished();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(14) + kSlack);
  DropSent();
  // The third probe is answered: the count of unanswered probes restarts.
  Deliver(Peer());
  AdvanceTo(start + Duration::Seconds(20));
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(ep_->stats().keepalive_timeouts.Get(), 0u);
}

TEST_F(TimersTest, CloseWait_Keepalive_Probes) {
  MakeCloseWait();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(10) + kSlack);
  ExpectProbe();
}

TEST_F(TimersTest, Established_KeepaliveDisabledAgain_NoProbes) {
  MakeEstablished();
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  ASSERT_EQ(ep_->SetKeepalive(conn_, KeepaliveOptions{}, now_), SockError::kOk);
  Advance(Duration::Seconds(60));
  ExpectNothingSent();
}

TEST_F(TimersTest, Established_KeepaliveOnThenOff_RecordTakenAndGivenBack) {
  // The keepalive state is out of line (keepalive_pool.h): held while
  // keepalive is on, and only then.
  MakeEstablished();
  EXPECT_EQ(ep_->keepalives_in_use(), 0u);
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  EXPECT_EQ(ep_->keepalives_in_use(), 1u);
  ASSERT_EQ(ep_->SetKeepalive(conn_, KeepaliveOptions{}, now_), SockError::kOk);
  EXPECT_EQ(ep_->keepalives_in_use(), 0u);
}

TEST_F(TimersTest, Established_KeepaliveOffWithProbesOut_CountKeptUntilAnswer) {
  // Turned off with probes unanswered and on again before any segment, the
  // connection keeps counting them (the record stays until a segment clears
  // the count): the third probe is still the last.
  MakeEstablished();
  const Instant start = now_;
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(12) + kSlack);
  ExpectProbe();
  ExpectProbe();
  ASSERT_EQ(ep_->SetKeepalive(conn_, KeepaliveOptions{}, now_), SockError::kOk);
  EXPECT_EQ(ep_->keepalives_in_use(), 1u);
  EnableKeepalive(Duration::Seconds(10), Duration::Seconds(2), 3);
  AdvanceTo(start + Duration::Seconds(14) + kSlack);
  ExpectProbe();
  AdvanceTo(start + Duration::Seconds(16) + kSlack);
  ExpectSent(kRst | kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kClosed);
}

// ---------------------------------------------------------------------------
// Delayed ACK.

TEST_F(TimersTest, Established_SmallSegment_AckDelayedByConfig) {
  MakeEstablished();
  ASSERT_EQ(config_.delayed_ack, Duration::Millis(40));
  Deliver(Peer().Data("x"));
  const Instant rx = now_;
  AdvanceTo(rx + config_.delayed_ack - Duration::Millis(1));
  ExpectNothingSent();
  AdvanceTo(rx + config_.delayed_ack + Duration::Millis(1));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
}

TEST_F(TimersTest, Established_DelayedAckConfigured200ms_FiresAt200ms) {
  // RFC 9293 3.8.6.3: the delay MUST be less than 0.5 s; RFC 5681 4.2:
  // SHOULD be at most 200 ms.
  config_.delayed_ack = Duration::Millis(200);
  Recreate();
  MakeEstablished();
  Deliver(Peer().Data("x"));
  const Instant rx = now_;
  AdvanceTo(rx + Duration::Millis(199));
  ExpectNothingSent();
  AdvanceTo(rx + Duration::Millis(201));
  ExpectSent(kAck, our_nxt_, peer_nxt_ + 1);
}

TEST_F(TimersTest, Established_DataSentBeforeDelayedAck_CarriesTheAck) {
  MakeEstablished();
  Deliver(Peer().Data("req"));
  peer_nxt_ += 3;
  Advance(Duration::Millis(10));
  EXPECT_EQ(Write("resp"), 4u);
  // The response piggybacks the ACK; the timer then has nothing to do.
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("resp");
  Advance(Duration::Millis(100));
  ExpectNothingSent();
}

}  // namespace
}  // namespace tern::tcp::testing
