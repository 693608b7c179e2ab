// Out-of-order reception in the connection: RFC 9293 3.10.7.4 seventh step
// (segments beyond RCV.NXT held for later processing), RFC 5681 4.2 and RFC
// 9293 3.8.6.3 (immediate ACKs for out-of-order segments and for segments
// filling a hole), RFC 2018 sections 3 and 4 (SACK blocks in every ACK while
// data is held, most recent first, at most 3 beside timestamps), RFC 9293
// 3.8.6 (the window never shrinks) and the bounds of doc/reassembly.md.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

using BlockList = std::vector<std::pair<uint32_t, uint32_t>>;

class ReassemblyTest : public ScriptTest {
 protected:
  // The SACK blocks of `s` as offsets past the peer's RCV.NXT at the start
  // of the test, so expectations read as byte positions in the stream.
  std::vector<std::pair<uint32_t, uint32_t>> Blocks(const Sent& s) const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (size_t i = 0; i < s.tcp.options.sack_count; ++i) {
      out.emplace_back(s.tcp.options.sack[i].left.raw() - base_,
                       s.tcp.options.sack[i].right.raw() - base_);
    }
    return out;
  }

  // Stream bytes [offset, offset + n) filled with `fill`.
  void DeliverAt(uint32_t offset, size_t n, char fill) {
    Deliver(Peer().Seq(base_ + offset).Data(n, fill));
  }
  void DeliverAt(uint32_t offset, std::string_view bytes) {
    Deliver(Peer().Seq(base_ + offset).Data(bytes));
  }

  // Expects the immediate ACK of RCV.NXT = base_ + acked carrying the SACK
  // blocks `blocks` (stream offsets, in order) and returns it.
  SentCheck ExpectAckOf(uint32_t acked, const BlockList& blocks = {},
                        SourceLoc loc = SourceLoc::Current()) {
    SentCheck c = ExpectSent(kAck, our_nxt_, base_ + acked, loc);
    BlockList absolute;
    for (const auto& [left, right] : blocks) {
      absolute.emplace_back(base_ + left, base_ + right);
    }
    c.SackBlocks(absolute);
    return c;
  }

  void Establish() {
    MakeEstablished();
    base_ = peer_nxt_;
  }

  uint32_t base_ = 0;  // the peer's sequence number of stream offset 0
};

// ---------------------------------------------------------------------------
// Holding and delivering.

TEST_F(ReassemblyTest, Established_OutOfOrderSegment_HeldDupAckWithSackBlock) {
  Establish();
  DeliverAt(100, "later");
  // RFC 5681 4.2: out-of-order data is acknowledged at once (a duplicate
  // ACK); RFC 2018 4: it reports the block just received.
  Sent ack = ExpectAckOf(0, {{100, 105}});
  ExpectNothingSent();
  EXPECT_EQ(Conn()->rcv_nxt().raw(), base_);
  EXPECT_EQ(Conn()->readable_bytes(), 0u);
  EXPECT_EQ(ep_->Poll(conn_) & events::kReadable, 0u);
  EXPECT_EQ(Drops(DropReason::kOutOfOrder), 0u);
}

TEST_F(ReassemblyTest, Established_HoleFilled_AllDeliveredInOrderAckedAtOnce) {
  Establish();
  DeliverAt(10, 10, 'b');
  ExpectAckOf(0, {{10, 20}});
  DeliverAt(20, 10, 'c');
  Sent dup = ExpectAckOf(0, {{10, 30}});
  DeliverAt(0, 10, 'a');
  // RFC 5681 4.2: a segment filling a hole is acknowledged immediately; with
  // nothing held any more the ACK carries no SACK option.
  Sent ack = ExpectAckOf(30);
  EXPECT_EQ(ack.tcp.options.sack_count, 0u);
  ExpectNothingSent();
  EXPECT_NE(ep_->Poll(conn_) & events::kReadable, 0u);
  EXPECT_EQ(Read(),
            std::string(10, 'a') + std::string(10, 'b') + std::string(10, 'c'));
  // Nothing more is owed: no delayed ACK follows.
  Advance(config_.delayed_ack * 2);
  ExpectNothingSent();
}

TEST_F(ReassemblyTest,
       Established_HolePartlyFilled_AckAtOnceWithRemainingBlock) {
  Establish();
  DeliverAt(20, 10, 'c');
  ExpectAckOf(0, {{20, 30}});
  DeliverAt(0, 10, 'a');
  // Part of the hole: RCV.NXT moves to 10, the ACK is immediate and still
  // reports what is held beyond the rest of the hole.
  Sent ack = ExpectAckOf(10, {{20, 30}});
  EXPECT_EQ(Read(), std::string(10, 'a'));
  DeliverAt(10, 10, 'b');
  ExpectAckOf(30);
  EXPECT_EQ(Read(), std::string(10, 'b') + std::string(10, 'c'));
}

TEST_F(ReassemblyTest, Established_RetransmissionOverlappingHeldData_Merged) {
  Establish();
  DeliverAt(5, "56789");
  ExpectAckOf(0, {{5, 10}});
  // A re-cut retransmission covering the hole and part of what is held.
  DeliverAt(0, "0123456");
  ExpectAckOf(10);
  EXPECT_EQ(Read(), "0123456789");
}

TEST_F(ReassemblyTest, Established_DuplicateOutOfOrderSegment_AckedHeldOnce) {
  Establish();
  DeliverAt(100, "later");
  ExpectAckOf(0, {{100, 105}});
  DeliverAt(100, "later");
  // Every copy of an out-of-order segment gets its duplicate ACK, so the
  // sender's count of duplicate ACKs stays right (RFC 5681 3.2).
  Sent ack = ExpectAckOf(0, {{100, 105}, {100, 105}});
  // RFC 2883 section 4: the duplicate as a D-SACK block, then the range that
  // holds it (here the same bytes).
  DeliverAt(0, 100, 'a');
  ExpectAckOf(105);
  EXPECT_EQ(Read(), std::string(100, 'a') + "later");
  EXPECT_EQ(Drops(DropReason::kOutOfOrder), 0u);
}

TEST_F(ReassemblyTest, Established_PureAckAheadOfHole_NotAnswered) {
  Establish();
  DeliverAt(100, "later");
  ExpectAckOf(0, {{100, 105}});
  // The peer's pure ACK carries SEG.SEQ = its SND.NXT, past the hole: not a
  // data segment, so no duplicate ACK (RFC 5681 4.2) and nothing stored.
  Deliver(Peer().Seq(base_ + 105));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->rcv_nxt().raw(), base_);
}

// ---------------------------------------------------------------------------
// SACK blocks (RFC 2018).

TEST_F(ReassemblyTest, Established_MultipleHoles_SackBlocksMostRecentFirst) {
  Establish();
  ASSERT_TRUE(Conn()->sack_enabled());
  ASSERT_FALSE(Conn()->timestamps_enabled());
  DeliverAt(100, 10, 'x');
  ExpectAckOf(0, {{100, 110}});
  DeliverAt(300, 10, 'x');
  ExpectAckOf(0, {{300, 310}, {100, 110}});
  DeliverAt(200, 10, 'x');
  ExpectAckOf(0, {{200, 210}, {300, 310}, {100, 110}});
  DeliverAt(500, 10, 'x');
  ExpectAckOf(0, {{500, 510}, {200, 210}, {300, 310}, {100, 110}});
  DeliverAt(400, 10, 'x');
  // RFC 2018 3: at most 4 blocks in 40 bytes of options; RFC 2018 4: first
  // the block of the segment that triggered the ACK, then the most recently
  // reported ones.
  ExpectAckOf(0, {{400, 410}, {500, 510}, {200, 210}, {300, 310}});
  // A segment growing an old range puts that range first again.
  DeliverAt(110, 10, 'x');
  ExpectAckOf(0, {{100, 120}, {400, 410}, {500, 510}, {200, 210}});
}

TEST_F(ReassemblyTest, Established_HolesWithTimestamps_AtMostThreeSackBlocks) {
  peer_tsval_ = 100;
  Establish();
  ASSERT_TRUE(Conn()->timestamps_enabled());
  DeliverAt(100, 10, 'x');
  ExpectAckOf(0, {{100, 110}});
  DeliverAt(200, 10, 'x');
  ExpectAckOf(0, {{200, 210}, {100, 110}});
  DeliverAt(300, 10, 'x');
  ExpectAckOf(0, {{300, 310}, {200, 210}, {100, 110}});
  DeliverAt(400, 10, 'x');
  ExpectAckOf(0, {{400, 410}, {300, 310}, {200, 210}});
  DeliverAt(500, 10, 'x');
  Sent ack = ExpectAckOf(0, {{500, 510}, {400, 410}, {300, 310}});
  // RFC 2018 3: beside the 10-byte timestamp option only 3 blocks fit.
  EXPECT_TRUE(ack.tcp.options.timestamps.has_value());
  EXPECT_LE(ack.tcp.HeaderLen(), wire::kTcpMaxHeaderLen);
}

TEST_F(ReassemblyTest, Established_SackNotNegotiated_HeldWithoutSackBlocks) {
  peer_offers_options_ = false;
  Establish();
  ASSERT_FALSE(Conn()->sack_enabled());
  DeliverAt(10, "later");
  Sent ack = ExpectAckOf(0);
  EXPECT_EQ(ack.tcp.options.sack_count, 0u);
  // Reassembly does not depend on SACK: the bytes are still held.
  DeliverAt(0, 10, 'a');
  ExpectAckOf(15);  // no SACK blocks: nothing is held
  EXPECT_EQ(Read(), std::string(10, 'a') + "later");
}

TEST_F(ReassemblyTest, Established_OurSmallSegmentWhileHolding_CarriesSack) {
  Establish();
  DeliverAt(10, "later");
  ExpectAckOf(0, {{10, 15}});
  // Every segment carrying an ACK reports the held data (RFC 2018 4)...
  Write("pong");
  ExpectSent(kAck | kPsh, our_nxt_, base_)
      .Payload("pong")
      .Sack({{base_ + 10, base_ + 15}});
}

TEST_F(ReassemblyTest, Established_OurFullSegmentWhileHolding_NoRoomForSack) {
  Establish();
  DeliverAt(10, "later");
  ExpectAckOf(0, {{10, 15}});
  // ... unless the blocks would push a full-sized segment past the MSS
  // (RFC 6691: options come out of the MSS).
  Write(std::string(1460, 'd'));
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, base_).Len(1460);
  EXPECT_EQ(s.payload.size(), 1460u);
  EXPECT_EQ(s.tcp.options.sack_count, 0u);
}

// ---------------------------------------------------------------------------
// The FIN (RFC 9293 3.10.7.4 eighth step, reached through reassembly).

TEST_F(ReassemblyTest, Established_FinOutOfOrderThenMissingData_CloseWait) {
  Establish();
  Deliver(Peer().Seq(base_ + 4).Fin().Data("tail"));
  Sent dup = ExpectAckOf(0, {{4, 8}});
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(ep_->Poll(conn_) & events::kPeerClosed, 0u);
  DeliverAt(0, "head");
  // The data and the FIN after it: RCV.NXT = 8 + 1, acknowledged at once.
  Sent ack = ExpectAckOf(9);
  EXPECT_EQ(ack.tcp.options.sack_count, 0u);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_NE(ep_->Poll(conn_) & events::kPeerClosed, 0u);
  EXPECT_EQ(Read(), "headtail");
  uint8_t buf[8];
  IoResult r = ep_->Recv(conn_, buf, now_);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 0u);  // end of stream
}

TEST_F(ReassemblyTest, Established_BareFinOutOfOrderThenData_CloseWait) {
  Establish();
  Deliver(Peer().Seq(base_ + 5).Fin());
  Sent dup = ExpectAckOf(0);
  EXPECT_EQ(dup.tcp.options.sack_count, 0u);  // no data held
  EXPECT_EQ(ConnState(), State::kEstablished);
  DeliverAt(0, "12345");
  ExpectAckOf(6);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "12345");
}

TEST_F(ReassemblyTest, Established_DataBeyondHeldFin_DroppedCounted) {
  Establish();
  Deliver(Peer().Seq(base_ + 5).Fin());
  ExpectAckOf(0);
  // The FIN is the stream's last sequence number: bytes past it are never
  // held.
  DeliverAt(10, "bogus");
  ExpectAckOf(0);
  EXPECT_EQ(Drops(DropReason::kBeyondFin), 1u);
  DeliverAt(0, "12345");
  ExpectAckOf(6);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "12345");
}

TEST_F(ReassemblyTest, FinWait2_FinOutOfOrderThenMissingData_TimeWait) {
  MakeFinWait2();
  base_ = peer_nxt_;
  Deliver(Peer().Seq(base_ + 3).Fin().Data("def"));
  ExpectAckOf(0, {{3, 6}});
  EXPECT_EQ(ConnState(), State::kFinWait2);
  DeliverAt(0, "abc");
  ExpectAckOf(7);
  EXPECT_EQ(ConnState(), State::kTimeWait);
}

// ---------------------------------------------------------------------------
// D-SACK (RFC 2883 section 4): a duplicate segment is reported in the first
// SACK block of the ACK that answers it, and only in that ACK.

TEST_F(ReassemblyTest, Established_DuplicateBelowRcvNxt_AckCarriesDsack) {
  Establish();
  DeliverAt(0, 100, 'a');
  Advance(config_.delayed_ack + kSlack);
  ExpectAckOf(100);
  DeliverAt(0, 100, 'a');  // a spurious retransmission
  Sent ack = ExpectAckOf(100, {{0, 100}});
  ExpectNothingSent();
  // The next ACK carries it no more.
  DeliverAt(100, 10, 'c');
  Advance(config_.delayed_ack + kSlack);
  Sent next = ExpectAckOf(110);
  EXPECT_EQ(next.tcp.options.sack_count, 0u);
}

TEST_F(ReassemblyTest, Established_DuplicateWhileHolding_DsackThenSackBlocks) {
  Establish();
  DeliverAt(0, 100, 'a');
  Advance(config_.delayed_ack + kSlack);
  ExpectAckOf(100);
  DeliverAt(300, 50, 'd');
  ExpectAckOf(100, {{300, 350}});
  DeliverAt(20, 30, 'a');  // part of what was delivered, sent again
  Sent ack = ExpectAckOf(100, {{20, 50}, {300, 350}});
  // RFC 2883 section 4 (1): the D-SACK block first, then the SACK blocks.
}

TEST_F(ReassemblyTest, Established_PartlyOldSegment_DsackReportsOldPart) {
  Establish();
  DeliverAt(0, 100, 'a');
  Advance(config_.delayed_ack + kSlack);
  ExpectAckOf(100);
  DeliverAt(50, 100, 'a');  // bytes 50..99 again, 100..149 new
  ExpectNothingSent();      // new in-order data: the ACK is delayed
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectAckOf(150, {{50, 100}});
  EXPECT_EQ(Read().size(), 150u);
}

TEST_F(ReassemblyTest, Established_DuplicateOfHeldData_DsackThenItsRange) {
  Establish();
  DeliverAt(100, 50, 'b');
  ExpectAckOf(0, {{100, 150}});
  DeliverAt(300, 50, 'd');
  ExpectAckOf(0, {{300, 350}, {100, 150}});
  DeliverAt(110, 20, 'b');  // held already
  Sent ack = ExpectAckOf(0, {{110, 130}, {100, 150}, {300, 350}});
  // RFC 2883 section 4: the D-SACK block, then the range holding it, then
  // the others.
  // Only that ACK: the next one reports the held ranges alone (the
  // duplicate counted as the latest touch of its range).
  DeliverAt(400, 10, 'e');
  ExpectAckOf(0, {{400, 410}, {100, 150}, {300, 350}});
}

TEST_F(ReassemblyTest, Established_DuplicateWithoutSack_NoSackOption) {
  listen_options_.conn.sack_permitted = false;
  Establish();
  DeliverAt(0, 100, 'a');
  Advance(config_.delayed_ack + kSlack);
  ExpectAckOf(100);
  DeliverAt(0, 100, 'a');
  Sent ack = ExpectAckOf(100);
  EXPECT_EQ(ack.tcp.options.sack_count, 0u);
}

// ---------------------------------------------------------------------------
// Bounds (doc/reassembly.md).

TEST_F(ReassemblyTest, Established_RangeBoundReached_SegmentDroppedCounted) {
  Establish();
  // One-byte segments with one-byte gaps: each needs a range of its own.
  for (uint32_t i = 1; i <= Assembler::kMaxRanges; ++i) {
    DeliverAt(2 * i, 1, 'x');
    // RFC 2018 4: the newest range first, then the most recently touched,
    // 4 blocks at most without timestamps.
    BlockList blocks;
    for (uint32_t j = i; j >= 1 && blocks.size() < 4; --j) {
      blocks.emplace_back(2 * j, 2 * j + 1);
    }
    ExpectAckOf(0, blocks);
  }
  EXPECT_EQ(Drops(DropReason::kReassemblyRangesFull), 0u);
  const uint32_t refused = 2 * (Assembler::kMaxRanges + 1);
  DeliverAt(refused, 1, 'x');
  // Refused and not SACKed, so the sender will retransmit it; the duplicate
  // ACK still goes out.
  Sent ack = ExpectAckOf(0, {{refused - 2, refused - 1},
                             {refused - 4, refused - 3},
                             {refused - 6, refused - 5},
                             {refused - 8, refused - 7}});
  EXPECT_EQ(Drops(DropReason::kReassemblyRangesFull), 1u);
  ASSERT_GT(ack.tcp.options.sack_count, 0u);
  for (size_t i = 0; i < ack.tcp.options.sack_count; ++i) {
    EXPECT_NE(ack.tcp.options.sack[i].left.raw(), base_ + refused);
  }
  // Bytes joining held ranges are never refused: they use no new range.
  DeliverAt(3, 1, 'x');
  ExpectAckOf(0, {{2, 5},
                  {refused - 2, refused - 1},
                  {refused - 4, refused - 3},
                  {refused - 6, refused - 5}});
  // Now a range is free and the refused byte is taken.
  DeliverAt(refused, 1, 'x');
  ExpectAckOf(0, {{refused, refused + 1},
                  {2, 5},
                  {refused - 2, refused - 1},
                  {refused - 4, refused - 3}});
  EXPECT_EQ(Drops(DropReason::kReassemblyRangesFull), 1u);
  // Filling every hole delivers the whole stream.
  std::string all(refused + 1, 'x');
  Deliver(Peer().Seq(base_).Data(all));
  ExpectAckOf(refused + 1);
  EXPECT_EQ(Read(), all);
}

TEST_F(ReassemblyTest, Established_OutOfOrderDataBeyondWindow_NotStored) {
  listen_options_.conn.recv_buffer = 4096;
  Establish();
  // 3200 bytes at offset 1000 of a 4096-byte window: the part beyond the
  // window is trimmed (RFC 9293 3.10.7.4) and never stored.
  DeliverAt(1000, 3200, 'b');
  Sent dup = ExpectAckOf(0, {{1000, 4096}});
  // Wholly beyond the window: unacceptable, answered, not stored.
  DeliverAt(5000, 100, 'z');
  ExpectAckOf(0, {{1000, 4096}});
  EXPECT_EQ(Drops(DropReason::kUnacceptableSeq), 1u);
  DeliverAt(0, 1000, 'a');
  Sent ack = ExpectAckOf(4096);
  EXPECT_EQ(ack.tcp.window, 0);
  EXPECT_EQ(ack.tcp.options.sack_count, 0u);
  EXPECT_EQ(Read(), std::string(1000, 'a') + std::string(3096, 'b'));
}

// ---------------------------------------------------------------------------
// The window (RFC 9293 3.8.6: "the right window edge" must not move left).

TEST_F(ReassemblyTest, Established_HoldingOutOfOrderData_WindowNeverShrinks) {
  listen_options_.conn.recv_buffer = 4096;
  Establish();
  ASSERT_EQ(Conn()->rcv_wscale(), 0);
  // Held bytes sit inside the window already offered, so the right edge
  // stays where it was.
  DeliverAt(1000, 1000, 'b');
  Sent dup = ExpectAckOf(0, {{1000, 2000}});
  EXPECT_EQ(dup.tcp.window, 4096);
  DeliverAt(3000, 500, 'd');
  dup = ExpectAckOf(0, {{3000, 3500}, {1000, 2000}});
  EXPECT_EQ(dup.tcp.window, 4096);
  // Filling the first hole moves RCV.NXT over the held bytes; the edge
  // (ACK + window) is still 4096.
  DeliverAt(0, 1000, 'a');
  Sent ack = ExpectAckOf(2000, {{3000, 3500}});
  EXPECT_EQ(ack.tcp.window, 2096);
  DeliverAt(2000, 1000, 'c');
  ack = ExpectAckOf(3500);
  EXPECT_EQ(ack.tcp.window, 596);
  EXPECT_EQ(Read().size(), 3500u);
}

TEST_F(ReassemblyTest, Established_ReadAfterReassembly_WindowReopens) {
  listen_options_.conn.recv_buffer = 4096;
  Establish();
  DeliverAt(0, 2000, 'a');
  ExpectNothingSent();  // delayed ACK
  DeliverAt(3000, 1096, 'c');
  Sent dup = ExpectAckOf(2000, {{3000, 4096}});
  EXPECT_EQ(dup.tcp.window, 2096);
  // Reading the in-order bytes frees ring space past the held ones: the
  // window update (RFC 9293 3.8.6.2.2) moves the edge to 6096 and still
  // reports the held block.
  EXPECT_EQ(Read(), std::string(2000, 'a'));
  Sent update = ExpectAckOf(2000, {{3000, 4096}}).Window(4096);
  EXPECT_EQ(update.tcp.window, 4096);
  DeliverAt(2000, 1000, 'b');
  Sent ack = ExpectAckOf(4096);
  EXPECT_EQ(ack.tcp.window, 2000);
  EXPECT_EQ(Read(), std::string(1000, 'b') + std::string(1096, 'c'));
  ExpectAckOf(4096).Window(4096);  // edge at 8192
  // Bytes past the old edge are taken in the reopened window, in and out of
  // order alike.
  DeliverAt(5096, 1000, 'e');
  ExpectAckOf(4096, {{5096, 6096}});
  DeliverAt(4096, 1000, 'd');
  ExpectAckOf(6096);
  EXPECT_EQ(Read(), std::string(1000, 'd') + std::string(1000, 'e'));
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

// Each duplicate that arrives gets its own D-SACK block (RFC 2883 section
// 4), also when a second one comes before the ACK of the first left.
class DsackEachTest : public ReassemblyTest {};

TEST_F(DsackEachTest, Established_TwoPartlyOldSegmentsInARow_EachReported) {
  Establish();
  DeliverAt(0, 100, 'a');
  Advance(config_.delayed_ack + kSlack);
  ExpectAckOf(100);
  DeliverAt(50, 100, 'a');  // 50..99 again, 100..149 new: the ACK waits
  ExpectNothingSent();
  DeliverAt(120, 80, 'a');  // 120..149 again, 150..199 new
  // The first duplicate's block leaves before the second takes its place.
  Sent first = ExpectAckOf(150, {{50, 100}});
  Advance(config_.delayed_ack + kSlack);
  Sent second = ExpectAckOf(200, {{120, 150}});
  EXPECT_EQ(Read().size(), 200u);
}

TEST_F(DsackEachTest, Established_ThreeDuplicatesInARow_ThreeBlocks) {
  Establish();
  DeliverAt(0, 300, 'a');
  Advance(config_.delayed_ack + kSlack);
  ExpectAckOf(300);
  DeliverAt(0, 100, 'a');
  DeliverAt(100, 100, 'a');
  DeliverAt(200, 100, 'a');
  ExpectAckOf(300, {{0, 100}});
  ExpectAckOf(300, {{100, 200}});
  ExpectAckOf(300, {{200, 300}});
  ExpectNothingSent();
}

// ---------------------------------------------------------------------------
// The reassembly state lives out of line (lib/tcp/assembler_pool.h): taken
// from the endpoint's pool on the first out-of-order segment, given back when
// the holes fill, the FIN is reached or the connection goes.

TEST_F(ReassemblyTest, Established_InOrderData_TakesNoAssembler) {
  Establish();
  DeliverAt(0, 100, 'a');
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
  EXPECT_EQ(Conn()->assembler(), nullptr);
}

TEST_F(ReassemblyTest, Established_HoleFilled_AssemblerGivenBack) {
  Establish();
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
  DeliverAt(10, 10, 'b');
  ExpectAckOf(0, {{10, 20}});
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
  EXPECT_NE(Conn()->assembler(), nullptr);
  DeliverAt(30, 10, 'd');
  ExpectAckOf(0, {{30, 40}, {10, 20}});
  DeliverAt(0, 10, 'a');
  // One hole left: the state is still held.
  ExpectAckOf(20, {{30, 40}});
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
  DeliverAt(20, 10, 'c');
  ExpectAckOf(40);
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
  EXPECT_EQ(Conn()->assembler(), nullptr);
  // A later hole takes one again, and its SACK blocks start afresh.
  DeliverAt(50, 5, 'f');
  ExpectAckOf(40, {{50, 55}});
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
}

TEST_F(ReassemblyTest, Established_FinOutOfOrderReached_AssemblerGivenBack) {
  Establish();
  Deliver(Peer().Seq(base_ + 5).Fin());
  ExpectAckOf(0);
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
  DeliverAt(0, "12345");
  ExpectAckOf(6);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
}

TEST_F(ReassemblyTest, Established_AbortWithHole_AssemblerGivenBack) {
  Establish();
  DeliverAt(10, 10, 'b');
  ExpectAckOf(0, {{10, 20}});
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
}

TEST_F(ReassemblyTest, Established_PoolExhausted_OutOfOrderDroppedCounted) {
  config_.max_reassembling = 1;
  Recreate();
  MakeListen();
  const uint16_t kPorts[2] = {41000, 41001};
  uint32_t ours[2];
  ConnHandle handles[2];
  for (int i = 0; i < 2; ++i) {
    ours[i] = PassiveHandshake(kPorts[i]) + 1;
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    ASSERT_TRUE(h.has_value());
    handles[i] = *h;
  }
  DropSent();
  EXPECT_EQ(ep_->assemblers_capacity(), 1u);
  // The first connection's hole takes the only tracker.
  Deliver(Peer()
              .From(kRemoteAddr, kPorts[0])
              .Seq(2 + 10)
              .Ack(ours[0])
              .Data("later"));
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
  // The second's out-of-order segment finds none: dropped, not SACKed, the
  // duplicate ACK still sent (RCV.NXT unchanged).
  DropSent();
  Deliver(Peer()
              .From(kRemoteAddr, kPorts[1])
              .Seq(2 + 10)
              .Ack(ours[1])
              .Data("later"));
  EXPECT_EQ(Drops(DropReason::kNoReassemblyMemory), 1u);
  Flush();
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].tcp.ack.raw(), 2u);
  EXPECT_EQ(sink_.sent[0].tcp.options.sack_count, 0u);
  EXPECT_EQ(ep_->Find(handles[1])->rcv_nxt().raw(), 2u);
  // In-order data needs no tracker and is taken.
  Deliver(Peer()
              .From(kRemoteAddr, kPorts[1])
              .Seq(2)
              .Ack(ours[1])
              .Data("0123456789"));
  EXPECT_EQ(ep_->Find(handles[1])->rcv_nxt().raw(), 12u);
  // The first connection's hole fills and gives the tracker back; the
  // second's next hole takes it.
  Deliver(Peer()
              .From(kRemoteAddr, kPorts[0])
              .Seq(2)
              .Ack(ours[0])
              .Data("0123456789"));
  EXPECT_EQ(ep_->Find(handles[0])->rcv_nxt().raw(), 17u);
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
  Deliver(Peer()
              .From(kRemoteAddr, kPorts[1])
              .Seq(12 + 5)
              .Ack(ours[1])
              .Data("later"));
  EXPECT_EQ(ep_->assemblers_in_use(), 1u);
  EXPECT_EQ(Drops(DropReason::kNoReassemblyMemory), 1u);
}

TEST_F(ReassemblyTest, Endpoint_MemoryBytes_CountsAssemblerPool) {
  Establish();
  // EndpointConfig::max_reassembling's default.
  EXPECT_EQ(ep_->assemblers_capacity(),
            std::max<size_t>(config_.max_connections / 8,
                             std::min<size_t>(config_.max_connections, 64)));
  // The pool grows on first use (record_pool.h): a chunk of records once a
  // connection holds bytes out of order.
  const size_t before = ep_->MemoryBytes();
  DeliverAt(10, 10, 'b');
  ASSERT_EQ(ep_->assemblers_in_use(), 1u);
  EXPECT_GE(ep_->MemoryBytes(), before + sizeof(Assembler));
}

}  // namespace
}  // namespace tern::tcp::testing
