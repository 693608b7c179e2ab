// Congestion control and loss recovery of the sender: the RFC 6928 initial
// window, RFC 5681 slow start, fast retransmit on the third duplicate ACK
// (RFC 5681 sections 2 and 3.2), NewReno partial and full acknowledgments
// (RFC 6582 section 3.2), SACK-based recovery (RFC 6675 section 5), the
// retransmission timeout (RFC 5681 section 3.1, RFC 6298 5.4, go-back-N),
// restart after idle (RFC 5681 section 4.1) and the per-connection choice of
// CUBIC or NewReno (doc/congestion.md).
#include <vector>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr uint32_t kSmss = 1460;
class RecoveryTest : public ScriptTest {
 protected:
  // ESTABLISHED with the peer's default 65535 << 7 window, so only cwnd
  // limits the sender.
  void Establish(CcAlgorithm cc, bool sack) {
    listen_options_.conn.congestion = cc;
    listen_options_.conn.sack_permitted = sack;
    listen_options_.conn.send_buffer = 256 * 1024;
    MakeEstablished();
    base_ = our_nxt_;
  }

  // The sequence number of the i-th full-sized segment from base_.
  uint32_t S(uint32_t i) const { return base_ + i * kSmss; }

  std::vector<Sent> TakeAll() {
    std::vector<Sent> all;
    while (SentCount() > 0) {
      all.push_back(Pop());
    }
    return all;
  }

  // Pops `n` full-sized data segments and checks they start at segment
  // `first` and follow each other.
  void ExpectSegments(uint32_t first, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      Sent s = Pop();
      EXPECT_EQ(s.tcp.seq.raw(), S(first + i)) << "segment " << first + i;
      EXPECT_EQ(s.payload.size(), kSmss) << "segment " << first + i;
    }
  }

  // A pure ACK from the peer: the default window, unchanged.
  SegBuilder AckTo(uint32_t ack) const { return Peer().Ack(ack); }

  uint32_t Cwnd() const { return Conn()->congestion().cwnd(); }
  uint32_t Ssthresh() const { return Conn()->congestion().ssthresh(); }
  uint64_t Retransmits() const { return ep_->stats().retransmits.Get(); }
  uint64_t FastRecoveries() const { return ep_->stats().fast_recoveries.Get(); }

  uint32_t base_ = 0;
};

// ---------------------------------------------------------------------------
// RFC 6928 initial window, RFC 5681 section 3.1 slow start.

TEST_F(RecoveryTest, Established_BigWrite_InitialWindowOfTenSegments) {
  Establish(CcAlgorithm::kCubic, /*sack=*/true);
  // RFC 6928 section 2: IW = min(10*SMSS, max(2*SMSS, 14600)) = 14600.
  EXPECT_EQ(Cwnd(), 10 * kSmss);
  Write(std::string(100000, 'w'));
  ExpectSegments(0, 10);
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_nxt().raw(), S(10));
}

TEST_F(RecoveryTest, SlowStart_AckPerSegment_CwndDoublesPerRtt) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/true);
  Write(std::string(200000, 'w'));
  ExpectSegments(0, 10);
  ExpectNothingSent();
  // First round trip: each ACK of one segment opens cwnd by one SMSS (RFC
  // 5681 equation 2) and lets two segments out.
  for (uint32_t i = 1; i <= 10; ++i) {
    Deliver(AckTo(S(i)));
    ExpectSegments(10 + 2 * (i - 1), 2);
    ExpectNothingSent();
  }
  EXPECT_EQ(Cwnd(), 20 * kSmss);
  // Second round trip: 20 ACKs, 40 segments, cwnd doubled again.
  for (uint32_t i = 11; i <= 30; ++i) {
    Deliver(AckTo(S(i)));
    EXPECT_EQ(SentCount(), 2u) << "ACK " << i;
    DropSent();
  }
  EXPECT_EQ(Cwnd(), 40 * kSmss);
  EXPECT_EQ(Retransmits(), 0u);
}

TEST_F(RecoveryTest, SlowStart_ApplicationLimited_CwndNotGrown) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/true);
  // RFC 7661 section 4: a flow that does not fill cwnd does not grow it.
  for (int i = 0; i < 5; ++i) {
    Write("ping");
    ExpectSent(kAck | kPsh, Conn()->snd_nxt().raw() - 4, peer_nxt_)
        .Payload("ping");
    Deliver(AckTo(Conn()->snd_nxt().raw()));
  }
  EXPECT_EQ(Cwnd(), 10 * kSmss);
}

// ---------------------------------------------------------------------------
// Fast retransmit (RFC 5681 sections 2 and 3.2).

TEST_F(RecoveryTest, Established_ThreeDupAcks_FastRetransmitOnThird) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // Segment 0 lost: every later arrival brings a duplicate ACK.
  Deliver(AckTo(S(0)));
  Deliver(AckTo(S(0)));
  ExpectNothingSent();
  EXPECT_EQ(Retransmits(), 0u);
  Deliver(AckTo(S(0)));
  Sent r = ExpectSent(kAck, S(0), peer_nxt_).Len(1460);
  EXPECT_EQ(r.payload.size(), kSmss);
  ExpectNothingSent();
  EXPECT_EQ(Retransmits(), 1u);
  EXPECT_EQ(FastRecoveries(), 1u);
  EXPECT_TRUE(Conn()->in_recovery());
  // RFC 5681 equation (4): ssthresh = FlightSize / 2; RFC 6582: cwnd =
  // ssthresh + 3*SMSS.
  EXPECT_EQ(Ssthresh(), 5 * kSmss);
  EXPECT_EQ(Conn()->send_cwnd(), 8 * kSmss);
}

// RFC 3042 limited transmit (RFC 5681 section 3.2 step 1).

TEST_F(RecoveryTest, LimitedTransmit_FirstTwoDupAcks_OneNewSegmentEach) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(20 * kSmss, 'w'));
  ExpectSegments(0, 10);
  ExpectNothingSent();
  const uint32_t cwnd = Cwnd();
  Deliver(AckTo(S(0)));
  ExpectSegments(10, 1);
  ExpectNothingSent();
  Deliver(AckTo(S(0)));
  ExpectSegments(11, 1);
  ExpectNothingSent();
  // "The congestion window MUST NOT be changed" (RFC 3042 section 2).
  EXPECT_EQ(Cwnd(), cwnd);
  EXPECT_EQ(ep_->stats().limited_transmits.Get(), 2u);
  EXPECT_EQ(Retransmits(), 0u);
  // The third is fast retransmit, no new segment.
  Deliver(AckTo(S(0)));
  ExpectSent(kAck, S(0), peer_nxt_).Len(1460);
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().limited_transmits.Get(), 2u);
}

TEST_F(RecoveryTest, LimitedTransmit_WithSack_NewSegmentsBeforeRecovery) {
  Establish(CcAlgorithm::kCubic, /*sack=*/true);
  Write(std::string(20 * kSmss, 'w'));
  ExpectSegments(0, 10);
  Deliver(AckTo(S(0)).Sack({{S(1), S(2)}}));
  ExpectSegments(10, 1);
  Deliver(AckTo(S(0)).Sack({{S(1), S(3)}}));
  ExpectSegments(11, 1);
  ExpectNothingSent();
  EXPECT_FALSE(Conn()->in_recovery());
  EXPECT_EQ(ep_->stats().limited_transmits.Get(), 2u);
}

TEST_F(RecoveryTest, LimitedTransmit_ReceiverWindowFull_NothingSent) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(20 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // The window offered ends at segment 10: a window update, then the
  // duplicates with the same window (RFC 3042 section 2: only "if the
  // receiver's advertised window allows").
  Deliver(AckTo(S(0)).Window(static_cast<uint16_t>((10 * kSmss) >> 7)));
  ExpectNothingSent();
  Deliver(AckTo(S(0)).Window(static_cast<uint16_t>((10 * kSmss) >> 7)));
  Deliver(AckTo(S(0)).Window(static_cast<uint16_t>((10 * kSmss) >> 7)));
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().limited_transmits.Get(), 0u);
}

TEST_F(RecoveryTest, Established_DupAcksCarryingData_NoFastRetransmit) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // RFC 5681 section 2 (b): an ACK carrying data is not a duplicate.
  for (int i = 0; i < 4; ++i) {
    Deliver(Peer().Data("d"));
    peer_nxt_ += 1;
  }
  for (const Sent& s : TakeAll()) {
    EXPECT_TRUE(s.payload.empty()) << Describe(s.tcp, s.payload.size());
  }
  EXPECT_EQ(Retransmits(), 0u);
  EXPECT_EQ(FastRecoveries(), 0u);
}

TEST_F(RecoveryTest, Established_DupAcksWithWindowUpdate_NoFastRetransmit) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // RFC 5681 section 2 (e): an ACK that changes the window is not a
  // duplicate (here the receiver's application reads between them).
  Deliver(AckTo(S(0)).Window(60000));
  Deliver(AckTo(S(0)).Window(61000));
  Deliver(AckTo(S(0)).Window(62000));
  Deliver(AckTo(S(0)).Window(63000));
  ExpectNothingSent();
  EXPECT_EQ(Retransmits(), 0u);
  EXPECT_EQ(FastRecoveries(), 0u);
}

// ---------------------------------------------------------------------------
// NewReno fast recovery (RFC 6582 section 3.2), no SACK.

TEST_F(RecoveryTest, NewRenoRecovery_PartialAck_NextHoleRetransmitted) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // Segments 0 and 4 lost.
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(0)));
  }
  ExpectSent(kAck, S(0), peer_nxt_).Len(1460);
  ExpectNothingSent();
  // The retransmission fills the first hole: the ACK covers segments 0 to 3
  // only, a partial acknowledgment. The next hole goes out at once.
  Deliver(AckTo(S(4)));
  Sent r = ExpectSent(kAck, S(4), peer_nxt_).Len(1460);
  EXPECT_EQ(r.payload.size(), kSmss);
  ExpectNothingSent();
  EXPECT_TRUE(Conn()->in_recovery());
  EXPECT_EQ(Retransmits(), 2u);
  EXPECT_EQ(FastRecoveries(), 1u);
}

TEST_F(RecoveryTest, NewRenoRecovery_FullAck_ExitCwndIsSsthresh) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(0)));
  }
  ExpectSent(kAck, S(0), peer_nxt_).Len(1460);
  const uint32_t ssthresh = Ssthresh();
  Deliver(AckTo(S(4)));
  ExpectSent(kAck, S(4), peer_nxt_).Len(1460);
  // RFC 6582 section 3.2 step 3: the ACK of everything up to recover ends
  // recovery with cwnd = ssthresh (option 2).
  Deliver(AckTo(S(10)));
  EXPECT_FALSE(Conn()->in_recovery());
  EXPECT_EQ(Cwnd(), ssthresh);
  EXPECT_EQ(Conn()->send_cwnd(), ssthresh);
  ExpectNothingSent();
}

TEST_F(RecoveryTest, NewRenoRecovery_FurtherDupAcks_InflateAndSendNewData) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(20 * kSmss, 'w'));
  ExpectSegments(0, 10);
  ExpectNothingSent();
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(0)));
  }
  // RFC 3042: the first two duplicate ACKs each sent a new segment
  // (segments 10 and 11); the third retransmitted segment 0.
  ExpectSegments(10, 2);
  ExpectSent(kAck, S(0), peer_nxt_).Len(1460);
  ExpectNothingSent();
  // RFC 5681 section 3.2 step 2: ssthresh from the 10 segments in flight
  // before limited transmit. cwnd = 5 + 3 segments, 12 in flight. RFC 6582
  // step 4: each further duplicate ACK inflates cwnd by one SMSS; from the
  // fifth on, cwnd passes FlightSize and one new segment leaves per
  // duplicate ACK.
  EXPECT_EQ(Ssthresh(), 5 * kSmss);
  for (int i = 0; i < 4; ++i) {
    Deliver(AckTo(S(0)));
  }
  ExpectNothingSent();
  Deliver(AckTo(S(0)));
  ExpectSegments(12, 1);
  Deliver(AckTo(S(0)));
  ExpectSegments(13, 1);
  ExpectNothingSent();
}

TEST_F(RecoveryTest, NewRenoRecovery_DupAcksBelowRecover_NoSecondRecovery) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(0)));
  }
  ExpectSent(kAck, S(0), peer_nxt_).Len(1460);
  Deliver(AckTo(S(4)));
  ExpectSent(kAck, S(4), peer_nxt_).Len(1460);
  // Duplicates of the partial ACK stay in the same recovery (RFC 6582
  // section 4): no new reduction, no further retransmission.
  const uint32_t ssthresh = Ssthresh();
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(4)));
  }
  ExpectNothingSent();
  EXPECT_EQ(Ssthresh(), ssthresh);
  EXPECT_EQ(FastRecoveries(), 1u);
}

// ---------------------------------------------------------------------------
// SACK-based recovery (RFC 6675 section 5).

TEST_F(RecoveryTest, SackRecovery_ThreeHoles_RetransmitsExactlyHolesInOrder) {
  Establish(CcAlgorithm::kCubic, /*sack=*/true);
  ASSERT_TRUE(Conn()->sack_enabled());
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // Segments 1, 3 and 5 lost; 0 arrives, then 2, 4, 6, 7, 8, 9, each
  // answered with the SACK blocks of RFC 2018 section 4 (latest first).
  Deliver(AckTo(S(1)));
  ExpectNothingSent();
  Deliver(AckTo(S(1)).Sack({{S(2), S(3)}}));
  Deliver(AckTo(S(1)).Sack({{S(4), S(5)}, {S(2), S(3)}}));
  ExpectNothingSent();
  EXPECT_EQ(Retransmits(), 0u);
  Deliver(AckTo(S(1)).Sack({{S(6), S(7)}, {S(4), S(5)}, {S(2), S(3)}}));
  EXPECT_TRUE(Conn()->in_recovery());
  EXPECT_EQ(FastRecoveries(), 1u);
  Deliver(AckTo(S(1)).Sack({{S(6), S(8)}, {S(4), S(5)}, {S(2), S(3)}}));
  Deliver(AckTo(S(1)).Sack({{S(6), S(9)}, {S(4), S(5)}, {S(2), S(3)}}));
  Deliver(AckTo(S(1)).Sack({{S(6), S(10)}, {S(4), S(5)}, {S(2), S(3)}}));
  std::vector<Sent> rtx = TakeAll();
  ASSERT_EQ(rtx.size(), 3u);
  EXPECT_EQ(rtx[0].tcp.seq.raw(), S(1));
  EXPECT_EQ(rtx[1].tcp.seq.raw(), S(3));
  EXPECT_EQ(rtx[2].tcp.seq.raw(), S(5));
  for (const Sent& s : rtx) {
    EXPECT_EQ(s.payload.size(), kSmss);
  }
  EXPECT_EQ(Retransmits(), 3u);
  // The retransmissions arrive: partial ACKs, then the full one ends
  // recovery with cwnd = ssthresh; nothing SACKed was ever sent again.
  Deliver(AckTo(S(3)).Sack({{S(6), S(10)}, {S(4), S(5)}}));
  Deliver(AckTo(S(5)).Sack({{S(6), S(10)}}));
  EXPECT_TRUE(Conn()->in_recovery());
  Deliver(AckTo(S(10)));
  EXPECT_FALSE(Conn()->in_recovery());
  EXPECT_EQ(Cwnd(), Ssthresh());
  ExpectNothingSent();
  EXPECT_EQ(Retransmits(), 3u);
}

TEST_F(RecoveryTest, SackRecovery_SackShowsLoss_EntersBeforeThirdDupAck) {
  Establish(CcAlgorithm::kCubic, /*sack=*/true);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  // One duplicate ACK whose blocks SACK three discontiguous ranges above
  // SND.UNA: IsLost(SND.UNA) (RFC 6675 section 5 step 2).
  Deliver(AckTo(S(0)).Sack({{S(5), S(6)}, {S(3), S(4)}, {S(1), S(2)}}));
  EXPECT_TRUE(Conn()->in_recovery());
  Sent r = Pop();
  EXPECT_EQ(r.tcp.seq.raw(), S(0));
  EXPECT_EQ(r.payload.size(), kSmss);
}

// ---------------------------------------------------------------------------
// Retransmission timeout (RFC 5681 section 3.1, RFC 6298 5.4).

TEST_F(RecoveryTest, Rto_AllSegmentsLost_OneSmssThenGoBackNSlowStart) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/true);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  Advance(Duration::Seconds(1) + kSlack);
  // cwnd = LW = 1 SMSS: only the earliest segment.
  ExpectSegments(0, 1);
  ExpectNothingSent();
  EXPECT_EQ(Cwnd(), kSmss);
  EXPECT_EQ(Ssthresh(), 5 * kSmss);
  // Each ACK opens cwnd by slow start; go-back-N resends what follows.
  Deliver(AckTo(S(1)));
  ExpectSegments(1, 2);
  ExpectNothingSent();
  Deliver(AckTo(S(3)));
  ExpectSegments(3, 4);
  ExpectNothingSent();
  EXPECT_EQ(Retransmits(), 7u);
  EXPECT_EQ(ep_->stats().rto_expiries.Get(), 1u);
  EXPECT_EQ(FastRecoveries(), 0u);
}

TEST_F(RecoveryTest, Rto_PeerDataDuringGoBackN_AckCarriesHighestSeqSent) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(4 * kSmss, 'w'));
  ExpectSegments(0, 4);
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSegments(0, 1);
  // The peer, which holds segments 1-3 (its RCV.NXT may be past our rewound
  // SND.NXT), sends data: our pure ACK uses the highest sequence number sent
  // (RFC 9293's SND.NXT before the go-back-N rewind), which the peer's
  // acceptability test takes; a rewound one would be dropped by it.
  Deliver(Peer().Ack(S(0)).Flags(kAck | kPsh).Data("x"));
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectSent(kAck, S(4), peer_nxt_ + 1);
  EXPECT_TRUE(ack.payload.empty());
}

TEST_F(RecoveryTest, Rto_DupAcksDuringGoBackN_NoFastRetransmit) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  Advance(Duration::Seconds(1) + kSlack);
  ExpectSegments(0, 1);
  Deliver(AckTo(S(1)));
  ExpectSegments(1, 2);
  // The peer holds some of the go-back-N copies already: it answers them
  // with duplicate ACKs, which must not start a fast recovery below
  // recover (RFC 6582 section 4).
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(1)));
  }
  ExpectNothingSent();
  EXPECT_EQ(FastRecoveries(), 0u);
}

// ---------------------------------------------------------------------------
// The algorithm, chosen per connection (ConnOptions::congestion).

TEST_F(RecoveryTest, Established_DefaultOptions_Cubic) {
  MakeEstablished();
  EXPECT_EQ(Conn()->congestion().algorithm(), CcAlgorithm::kCubic);
  EXPECT_NE(Conn()->congestion().cubic(), nullptr);
}

TEST_F(RecoveryTest, EstablishedActive_NewRenoOption_NewReno) {
  connect_options_.congestion = CcAlgorithm::kNewReno;
  MakeEstablishedActive();
  EXPECT_EQ(Conn()->congestion().algorithm(), CcAlgorithm::kNewReno);
}

TEST_F(RecoveryTest, FastRetransmit_CubicVsNewReno_DifferentReduction) {
  // RFC 9438 section 4.6: CUBIC keeps beta = 0.7 of cwnd; RFC 5681
  // equation (4): NewReno halves FlightSize.
  Establish(CcAlgorithm::kCubic, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(0)));
  }
  EXPECT_EQ(Ssthresh(), 10 * kSmss * 7 / 10);

  Recreate();
  Establish(CcAlgorithm::kNewReno, /*sack=*/false);
  Write(std::string(10 * kSmss, 'w'));
  ExpectSegments(0, 10);
  for (int i = 0; i < 3; ++i) {
    Deliver(AckTo(S(0)));
  }
  EXPECT_EQ(Ssthresh(), 10 * kSmss / 2);
}

// ---------------------------------------------------------------------------
// Restart after idle (RFC 5681 section 4.1).

TEST_F(RecoveryTest, SlowStart_IdleLongerThanRto_RestartFromInitialWindow) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/true);
  Write(std::string(20 * kSmss, 'w'));
  ExpectSegments(0, 10);
  Advance(Duration::Millis(10));
  Deliver(AckTo(S(10)));
  ExpectSegments(10, 10);
  Advance(Duration::Millis(10));
  Deliver(AckTo(S(20)));
  ASSERT_GT(Cwnd(), 10 * kSmss);
  // Idle for longer than the RTO: "cwnd to no more than RW before beginning
  // transmission", RW = IW.
  Advance(Duration::Seconds(5));
  base_ = Conn()->snd_nxt().raw();
  Write(std::string(30 * kSmss, 'w'));
  ExpectSegments(0, 10);
  ExpectNothingSent();
  EXPECT_EQ(Cwnd(), 10 * kSmss);
}

TEST_F(RecoveryTest, SlowStart_IdleShorterThanRto_WindowKept) {
  Establish(CcAlgorithm::kNewReno, /*sack=*/true);
  Write(std::string(20 * kSmss, 'w'));
  ExpectSegments(0, 10);
  Advance(Duration::Millis(10));
  Deliver(AckTo(S(10)));
  ExpectSegments(10, 10);
  Advance(Duration::Millis(10));
  Deliver(AckTo(S(20)));
  const uint32_t cwnd = Cwnd();
  ASSERT_GT(cwnd, 10 * kSmss);
  Advance(Duration::Millis(100));  // RTO >= 200 ms
  base_ = Conn()->snd_nxt().raw();
  Write(std::string(30 * kSmss, 'w'));
  ExpectSegments(0, cwnd / kSmss);
  ExpectNothingSent();
  EXPECT_EQ(Cwnd(), cwnd);
}

}  // namespace
}  // namespace tern::tcp::testing
