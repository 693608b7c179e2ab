// Zero-copy sends (Endpoint::SendRef, doc/reliable_transfer.md): segments
// and retransmissions read the referenced memory itself, copies and
// references keep one stream order, and every accepted chunk is released
// exactly once: after the ACK of its last byte, or when the connection
// reaches CLOSED (RST, abort, retransmissions exhausted), or when its record
// or the endpoint goes.
#include <map>
#include <string>
#include <vector>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr uint32_t kSmss = 1460;

class CountingOwner : public PayloadOwner {
 public:
  void Release(uint64_t token) override { order.push_back(token); }
  int Count(uint64_t token) const {
    int n = 0;
    for (uint64_t t : order) {
      n += t == token ? 1 : 0;
    }
    return n;
  }
  std::vector<uint64_t> order;
};

class SendRefTest : public ScriptTest {
 protected:
  // The endpoint goes first: it may still release chunks of owner_ and
  // buffers_, which the fixture destroys before the base class.
  void TearDown() override { ep_.reset(); }

  // A chunk of n bytes of `fill`, kept alive by the fixture.
  std::span<const uint8_t> Chunk(size_t n, char fill) {
    buffers_.emplace_back(n, static_cast<uint8_t>(fill));
    return buffers_.back();
  }
  IoResult SendRef(std::span<const uint8_t> data, uint64_t token) {
    IoResult r = ep_->SendRef(conn_, PayloadRef{data, &owner_, token}, now_);
    Flush();
    return r;
  }
  static bool PointsInto(const Sent& s, std::span<const uint8_t> chunk,
                         size_t offset) {
    return !s.spans.empty() && s.spans[0].data() == chunk.data() + offset;
  }

  CountingOwner owner_;
  std::deque<std::vector<uint8_t>> buffers_;  // stable addresses
};

TEST_F(SendRefTest, Established_SendRef_SegmentPointsIntoOwnersMemory) {
  MakeEstablished();
  std::span<const uint8_t> c = Chunk(1000, 'r');
  IoResult r = SendRef(c, 7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 1000u);
  Sent s = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(1000);
  EXPECT_EQ(s.PayloadString(), std::string(1000, 'r'));
  ASSERT_EQ(s.spans.size(), 1u);
  EXPECT_TRUE(PointsInto(s, c, 0));
  EXPECT_TRUE(owner_.order.empty());
  // Part of the chunk acknowledged: still held.
  Deliver(Peer().Ack(our_nxt_ + 999));
  EXPECT_TRUE(owner_.order.empty());
  Deliver(Peer().Ack(our_nxt_ + 1000));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{7}));
  ep_->Close(conn_, now_);
  ep_.reset();
  EXPECT_EQ(owner_.Count(7), 1);
}

TEST_F(SendRefTest, Established_RtoRetransmission_RereadsTheSameMemory) {
  MakeEstablished();
  std::span<const uint8_t> c = Chunk(500, 'q');
  ASSERT_TRUE(SendRef(c, 1).ok());
  Sent first = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(500);
  EXPECT_TRUE(PointsInto(first, c, 0));
  Advance(Duration::Seconds(1) + kSlack);  // RFC 6298 2.1 initial RTO
  Sent again = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(500);
  EXPECT_EQ(ep_->stats().retransmits.Get(), 1u);
  EXPECT_TRUE(PointsInto(again, c, 0));
  EXPECT_EQ(again.payload.size(), 500u);
  EXPECT_TRUE(owner_.order.empty());
  Deliver(Peer().Ack(our_nxt_ + 500));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1}));
}

TEST_F(SendRefTest, Established_MixedCopyAndRef_StreamOrderKept) {
  MakeEstablished();
  ASSERT_EQ(Write("hello "), 6u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("hello ");
  // Nagle holds what follows while "hello " is unacknowledged.
  std::span<const uint8_t> c = Chunk(4, 'R');
  ASSERT_TRUE(SendRef(c, 1).ok());
  ASSERT_EQ(Write("tail"), 4u);
  std::span<const uint8_t> d = Chunk(3, 'S');
  ASSERT_TRUE(SendRef(d, 2).ok());
  ExpectNothingSent();
  Deliver(Peer().Ack(our_nxt_ + 6));
  Sent s =
      ExpectSent(kAck | kPsh, our_nxt_ + 6, peer_nxt_).Payload("RRRRtailSSS");
  EXPECT_EQ(s.PayloadString(), "RRRRtailSSS");
  ASSERT_EQ(s.spans.size(), 3u);
  EXPECT_EQ(s.spans[0].data(), c.data());
  EXPECT_EQ(s.spans[2].data(), d.data());
  Deliver(Peer().Ack(our_nxt_ + 6 + 4));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1}));
  Deliver(Peer().Ack(our_nxt_ + 6 + 11));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1, 2}));
}

TEST_F(SendRefTest, Established_PeerRst_ChunksReleasedOnce) {
  MakeEstablished();
  ASSERT_TRUE(SendRef(Chunk(100, 'a'), 1).ok());
  ASSERT_TRUE(SendRef(Chunk(100, 'b'), 2).ok());
  Pop();
  Deliver(Peer().Rst());
  EXPECT_EQ(ConnState(), State::kClosed);
  // Released on reaching CLOSED, while the application still holds the
  // handle.
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ep_.reset();
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1, 2}));
}

TEST_F(SendRefTest, Established_Abort_ChunksReleasedOnce) {
  MakeEstablished();
  ASSERT_TRUE(SendRef(Chunk(100, 'a'), 1).ok());
  ASSERT_TRUE(Write("copied") == 6u);
  ASSERT_TRUE(SendRef(Chunk(100, 'b'), 2).ok());
  EXPECT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1, 2}));
  ep_.reset();
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{1, 2}));
}

TEST_F(SendRefTest, Established_CloseWithRefQueued_FinAfterDataReleasedOnAck) {
  MakeEstablished();
  std::span<const uint8_t> c = Chunk(300, 'z');
  ASSERT_TRUE(SendRef(c, 9).ok());
  Sent data = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(300);
  EXPECT_TRUE(PointsInto(data, c, 0));
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  ExpectSent(kAck | kFin, our_nxt_ + 300, peer_nxt_);
  EXPECT_TRUE(owner_.order.empty());
  Deliver(Peer().Ack(our_nxt_ + 301));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{9}));
  EXPECT_EQ(ConnState(), State::kClosed);  // the handle is gone
  ep_.reset();
  EXPECT_EQ(owner_.Count(9), 1);
}

TEST_F(SendRefTest, Established_RetriesExhausted_ChunkReleased) {
  config_.data_retries = 2;
  Recreate();
  MakeEstablished();
  ASSERT_TRUE(SendRef(Chunk(100, 'a'), 3).ok());
  Advance(Duration::Seconds(60));
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->stats().conn_timeouts.Get(), 1u);
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{3}));
  ep_.reset();
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{3}));
}

TEST_F(SendRefTest, Established_EndpointDestroyed_QueuedChunkReleased) {
  MakeEstablished();
  ASSERT_TRUE(SendRef(Chunk(100, 'a'), 4).ok());
  EXPECT_TRUE(owner_.order.empty());
  ep_.reset();
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{4}));
}

TEST_F(SendRefTest, Established_RefusedChunks_StayTheCallers) {
  listen_options_.conn.send_buffer = 1000;
  listen_options_.conn.send_ref_chunks = 2;
  MakeEstablished();
  EXPECT_EQ(SendRef(Chunk(1001, 'a'), 1).error, SockError::kInvalid);
  EXPECT_EQ(SendRef({}, 2).error, SockError::kInvalid);
  EXPECT_EQ(
      ep_->SendRef(conn_, PayloadRef{Chunk(10, 'a'), nullptr, 3}, now_).error,
      SockError::kInvalid);
  ASSERT_TRUE(SendRef(Chunk(600, 'a'), 4).ok());
  EXPECT_EQ(SendRef(Chunk(401, 'b'), 5).error, SockError::kWouldBlock);
  ASSERT_TRUE(SendRef(Chunk(400, 'b'), 6).ok());
  EXPECT_EQ(ep_->Poll(conn_) & events::kWritable, 0u);  // buffer full
  ep_.reset();
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{4, 6}));
}

TEST_F(SendRefTest, ShutDown_SendRef_BrokenPipeNotQueued) {
  MakeEstablished();
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  EXPECT_EQ(SendRef(Chunk(10, 'a'), 1).error, SockError::kBrokenPipe);
  ep_.reset();
  EXPECT_TRUE(owner_.order.empty());
}

// RFC 6675 recovery with one chunk per segment: the retransmissions of the
// three holes are spans into the lost chunks, and each chunk is released
// once, when the cumulative ACK passes it.
TEST_F(SendRefTest,
       SackRecovery_ThreeHoles_RetransmitFromChunksReleaseInOrder) {
  listen_options_.conn.send_buffer = 256 * 1024;
  listen_options_.conn.nodelay = true;
  MakeEstablished();
  ASSERT_TRUE(Conn()->sack_enabled());
  const uint32_t base = our_nxt_;
  auto S = [&](uint32_t i) { return base + i * kSmss; };
  std::vector<std::span<const uint8_t>> chunks;
  for (uint64_t i = 0; i < 10; ++i) {
    chunks.push_back(Chunk(kSmss, static_cast<char>('a' + i)));
    ASSERT_TRUE(SendRef(chunks.back(), i).ok());
  }
  for (uint32_t i = 0; i < 10; ++i) {
    Sent s = Pop();
    EXPECT_EQ(s.tcp.seq.raw(), S(i));
    EXPECT_TRUE(PointsInto(s, chunks[i], 0)) << i;
  }
  Deliver(Peer().Ack(S(1)));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{0}));
  Deliver(Peer().Ack(S(1)).Sack({{S(2), S(3)}}));
  Deliver(Peer().Ack(S(1)).Sack({{S(4), S(5)}, {S(2), S(3)}}));
  Deliver(Peer().Ack(S(1)).Sack({{S(6), S(7)}, {S(4), S(5)}, {S(2), S(3)}}));
  Deliver(Peer().Ack(S(1)).Sack({{S(6), S(8)}, {S(4), S(5)}, {S(2), S(3)}}));
  Deliver(Peer().Ack(S(1)).Sack({{S(6), S(9)}, {S(4), S(5)}, {S(2), S(3)}}));
  Deliver(Peer().Ack(S(1)).Sack({{S(6), S(10)}, {S(4), S(5)}, {S(2), S(3)}}));
  std::vector<Sent> rtx;
  while (SentCount() > 0) {
    rtx.push_back(Pop());
  }
  ASSERT_EQ(rtx.size(), 3u);
  const uint32_t holes[] = {1, 3, 5};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rtx[i].tcp.seq.raw(), S(holes[i]));
    EXPECT_TRUE(PointsInto(rtx[i], chunks[holes[i]], 0)) << holes[i];
    EXPECT_EQ(rtx[i].payload.size(), kSmss);
  }
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{0}));
  Deliver(Peer().Ack(S(3)).Sack({{S(6), S(10)}, {S(4), S(5)}}));
  EXPECT_EQ(owner_.order, (std::vector<uint64_t>{0, 1, 2}));
  Deliver(Peer().Ack(S(10)));
  EXPECT_EQ(owner_.order,
            (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  ep_.reset();
  EXPECT_EQ(owner_.order.size(), 10u);
}

// A segment holds at most kMaxPayloadSpans chunks: tiny chunks make shorter
// segments, and the FIN waits for the segment with the last byte.
TEST_F(SendRefTest, TinyChunks_SegmentCutAtSpanLimit_FinOnLast) {
  listen_options_.conn.nodelay = true;
  MakeEstablished();
  // Sent one by one while the window is open, so queue them first: a
  // zero window from the peer holds them.
  Deliver(Peer().Window(0));
  std::vector<uint8_t> memory(20 * 16);
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        SendRef(std::span<const uint8_t>(memory.data() + 16 * i * 2, 10), i)
            .ok());
  }
  ASSERT_EQ(ep_->ShutdownWrite(conn_, now_), SockError::kOk);
  ExpectNothingSent();
  Deliver(Peer().Window(1000));
  Sent a = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(70);
  EXPECT_EQ(a.payload.size(), 10 * kMaxPayloadSpans);
  EXPECT_EQ(a.spans.size(), kMaxPayloadSpans);
  Sent b = ExpectSent(kAck | kPsh | kFin, our_nxt_ + 70, peer_nxt_).Len(30);
  EXPECT_EQ(b.payload.size(), 30u);
  Deliver(Peer().Ack(our_nxt_ + 101).Window(1000));
  EXPECT_EQ(owner_.order.size(), 10u);
}

}  // namespace
}  // namespace tern::tcp::testing
