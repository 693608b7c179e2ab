// Regressions for what the differential fuzz target (tests/fuzz/diff_fuzz.cc,
// against tests/support/rfc9293_model.h) found in the core: each test is
// the smallest script of a disagreement with RFC 9293 that was a defect.
#include <cstdint>

#include "gtest/gtest.h"
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class DiffFindingsTest : public ScriptTest {
 protected:
  // Active SYN-RECEIVED: our SYN crossed the peer's (simultaneous open).
  void MakeSynReceivedActive() {
    MakeSynSent();
    Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
    ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
    peer_nxt_ = peer_iss_ + 1;
    ASSERT_EQ(ConnState(), State::kSynReceived);
  }
  uint64_t TotalDrops() const {
    uint64_t n = 0;
    for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
      n += Drops(static_cast<DropReason>(i));
    }
    return n;
  }
};

// RFC 9293 3.10.7.4 fifth check, SYN-RECEIVED: "If the segment
// acknowledgment is not acceptable, form a reset segment
// <SEQ=SEG.ACK><CTL=RST>". The connection answered an ACK far below SND.UNA
// with an ACK (RFC 5961 5.2's rule for synchronized states) instead.
TEST_F(DiffFindingsTest, SynReceivedActive_AckTooOld_Rst) {
  MakeSynReceivedActive();
  const uint64_t drops = TotalDrops();
  Deliver(Peer().AckOnly().Ack(our_iss_ - 70000));
  ExpectSent(kRst, our_iss_ - 70000, 0);
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kSynReceived);
  EXPECT_EQ(Drops(DropReason::kSynRcvdBadAck), 1u);
  EXPECT_EQ(TotalDrops() - drops, 1u);  // one reason, not two
}

// The same for an ACK above SND.NXT: a RST, counted once (it was counted
// as ack_too_new and syn_rcvd_bad_ack both).
TEST_F(DiffFindingsTest, SynReceivedActive_AckTooNew_RstCountedOnce) {
  MakeSynReceivedActive();
  const uint64_t drops = TotalDrops();
  Deliver(Peer().AckOnly().Ack(our_nxt_ + 5));
  ExpectSent(kRst, our_nxt_ + 5, 0);
  EXPECT_EQ(ConnState(), State::kSynReceived);
  EXPECT_EQ(Drops(DropReason::kSynRcvdBadAck), 1u);
  EXPECT_EQ(Drops(DropReason::kAckTooNew), 0u);
  EXPECT_EQ(TotalDrops() - drops, 1u);
}

// An acceptable ACK still completes the handshake.
TEST_F(DiffFindingsTest, SynReceivedActive_AcceptableAck_Established) {
  MakeSynReceivedActive();
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kEstablished);
}

// TIME-WAIT of an active opener (no listener on the port): a SYN above
// RCV.NXT freed the record, then found no listener and drew a RST, so a
// blind SYN ended TIME-WAIT early. With no listener to take it the record
// stays and answers with its ACK (RFC 9293 3.10.7.4; Linux's TCP_TW_SYN
// without a listener falls through to TCP_TW_ACK).
TEST_F(DiffFindingsTest,
       TimeWaitActiveNoListener_SynAboveRcvNxt_RecordKeptAck) {
  MakeEstablishedActive();
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectSent(kFin | kAck, our_nxt_, peer_nxt_);
  ++our_nxt_;
  Deliver(Peer().Fin());
  ++peer_nxt_;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ASSERT_EQ(ep_->time_wait_count(), 1u);
  Advance(Duration::Seconds(1));  // past the record's ACK rate limit
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 1000).Mss(1460));
  Flush();
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].tcp.flags, kAck);
  EXPECT_EQ(sink_.sent[0].tcp.seq.raw(), our_nxt_);
  EXPECT_EQ(sink_.sent[0].tcp.ack.raw(), peer_nxt_);
  DropSent();
  EXPECT_EQ(ep_->time_wait_count(), 1u);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 0u);
  EXPECT_EQ(ep_->stats().rst_sent.Get(), 0u);
  EXPECT_EQ(Drops(DropReason::kTimeWaitSyn), 1u);
}

// With a listener the same SYN still reopens the record (RFC 6191).
TEST_F(DiffFindingsTest, TimeWaitWithListener_SynAboveRcvNxt_Reopens) {
  MakeTimeWait();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  DropSent();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 1000).Mss(1460));
  ExpectSent(kSyn | kAck, kAny, peer_nxt_ + 1001);
  EXPECT_EQ(ep_->time_wait_count(), 0u);
  EXPECT_EQ(ep_->half_open_total(), 1u);
  EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 1u);
}

}  // namespace
}  // namespace tern::tcp::testing
