// LISTEN and CLOSED (RFC 9293 3.10.7.1, 3.10.7.2) and the passive open.
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class ListenTest : public ScriptTest {};

TEST_F(ListenTest, Closed_SynToClosedPort_RstAck) {
  Deliver(SegBuilder().Syn().Seq(500));
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
  ExpectSent(kRst | kAck, 0, 501);
  EXPECT_EQ(Drops(DropReason::kNoSocket), 1u);
}

TEST_F(ListenTest, Closed_AckToClosedPort_RstWithSeqOfAck) {
  Deliver(SegBuilder().AckOnly().Seq(500).Ack(777));
  ExpectSent(kRst, 777, 0);
}

TEST_F(ListenTest, Closed_DataToClosedPort_RstAcksDataLength) {
  Deliver(SegBuilder().Flags(kPsh).Seq(500).Data("hello"));
  ExpectSent(kRst | kAck, 0, 505);
}

TEST_F(ListenTest, Closed_FinToClosedPort_RstAcksFin) {
  Deliver(SegBuilder().Flags(kFin).Seq(500));
  ExpectSent(kRst | kAck, 0, 501);
}

TEST_F(ListenTest, Closed_RstToClosedPort_Ignored) {
  Deliver(SegBuilder().Rst().Seq(500));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kNoSocketRst), 1u);
}

TEST_F(ListenTest, Listen_Syn_SynAckWithOptions) {
  MakeListen();
  Deliver(
      SegBuilder().Syn().Seq(1000).Mss(1400).WindowScale(7).SackPermitted());
  Sent s = ExpectSent(kSyn | kAck, kAny, 1000 + 1);
  EXPECT_EQ(s.tcp.ack.raw(), 1001u);
  ASSERT_TRUE(s.tcp.options.mss.has_value());
  EXPECT_EQ(*s.tcp.options.mss, 1460);
  ASSERT_TRUE(s.tcp.options.window_scale.has_value());
  EXPECT_TRUE(s.tcp.options.sack_permitted);
  EXPECT_FALSE(s.tcp.options.timestamps.has_value());
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

TEST_F(ListenTest, Listen_SynWithoutOptions_SynAckOffersOnlyMss) {
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(1000));
  Sent s = ExpectSent(kSyn | kAck, kAny, 1000 + 1);
  EXPECT_TRUE(s.tcp.options.mss.has_value());
  EXPECT_FALSE(s.tcp.options.window_scale.has_value());
  EXPECT_FALSE(s.tcp.options.sack_permitted);
  EXPECT_FALSE(s.tcp.options.timestamps.has_value());
}

TEST_F(ListenTest, Listen_SynWithTimestamps_SynAckEchoesTsval) {
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(1000).Ts(4242, 0));
  Sent s = ExpectSent(kSyn | kAck, kAny, 1000 + 1);
  ASSERT_TRUE(s.tcp.options.timestamps.has_value());
  EXPECT_EQ(s.tcp.options.timestamps->tsecr, 4242u);
}

TEST_F(ListenTest, Listen_Rst_Ignored) {
  MakeListen();
  Deliver(SegBuilder().Rst().Seq(1000));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kListenRst), 1u);
}

TEST_F(ListenTest, Listen_Ack_RstWithSeqOfAck) {
  MakeListen();
  Deliver(SegBuilder().AckOnly().Seq(1000).Ack(31337));
  ExpectSent(kRst, 31337, 0);
  EXPECT_EQ(Drops(DropReason::kListenAck), 1u);
}

TEST_F(ListenTest, Listen_NoFlags_Dropped) {
  MakeListen();
  Deliver(SegBuilder().Flags(0).Seq(1000).Data("x"));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kListenNoSyn), 1u);
}

TEST_F(ListenTest, Listen_SynQueueFullCookiesOff_SynDropped) {
  listen_options_.syn_backlog = 2;
  listen_options_.cookies = SynCookieMode::kOff;
  MakeListen();
  for (uint16_t p = 1; p <= 3; ++p) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, static_cast<uint16_t>(40000 + p))
                .Syn()
                .Seq(1000));
  }
  EXPECT_EQ(SentCount(), 2u);
  EXPECT_EQ(Drops(DropReason::kSynQueueFull), 1u);
  EXPECT_EQ(ep_->listener_stats(listener_)->syn_queue_overflows.Get(), 1u);
  EXPECT_EQ(ep_->half_open_count(listener_), 2u);
}

TEST_F(ListenTest, Listen_WildcardAddress_AcceptsAnyLocalAddress) {
  absl::StatusOr<ListenerHandle> l =
      ep_->Listen(wire::Ipv4Addr{}, kLocalPort, listen_options_);
  ASSERT_TRUE(l.ok());
  Deliver(SegBuilder()
              .To(wire::Ipv4Addr::FromOctets(203, 0, 113, 9), kLocalPort)
              .Syn()
              .Seq(1));
  Sent s = ExpectSent(kSyn | kAck, kAny, 1 + 1);
  EXPECT_EQ(s.src, wire::Ipv4Addr::FromOctets(203, 0, 113, 9));
}

TEST_F(ListenTest, Listen_SamePortTwice_Error) {
  MakeListen();
  EXPECT_FALSE(ep_->Listen(kLocalAddr, kLocalPort, listen_options_).ok());
}

TEST_F(ListenTest, Listen_Close_ThenSyn_Rst) {
  MakeListen();
  EXPECT_EQ(ep_->CloseListener(listener_, now_), SockError::kOk);
  Deliver(SegBuilder().Syn().Seq(1000));
  ExpectSent(kRst | kAck, 0, 1001);
}

TEST_F(ListenTest, SynReceived_FinalAck_Established_Acceptable) {
  MakeSynReceived();
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_TRUE(ep_->Acceptable(listener_));
  Event ev[4];
  size_t n = ep_->PollEvents(ev);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(ev[0].listener, listener_);
  EXPECT_EQ(ev[0].mask & events::kAcceptable, events::kAcceptable);
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(ep_->Find(*h)->state(), State::kEstablished);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
}

TEST_F(ListenTest, AcceptQueue_BatchAccept_OldestFirst) {
  MakeListen();
  for (uint16_t p = 1; p <= 3; ++p) {
    SegBuilder syn;
    syn.From(kRemoteAddr, static_cast<uint16_t>(41000 + p)).Syn().Seq(100 * p);
    Deliver(syn);
    Sent sa = ExpectSent(kSyn | kAck, kAny, 100 * p + 1);
    SegBuilder ack;
    ack.From(kRemoteAddr, static_cast<uint16_t>(41000 + p))
        .AckOnly()
        .Seq(100 * p + 1)
        .Ack(sa.tcp.seq.raw() + 1);
    Deliver(ack);
  }
  ConnHandle out[8];
  ASSERT_EQ(ep_->Accept(listener_, out), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ep_->Find(out[i])->tuple().remote_port, 41001 + i);
  }
}

TEST_F(ListenTest, AcceptQueueFull_FinalAckIgnored_CompletesLater) {
  listen_options_.backlog = 1;
  MakeListen();
  // Fill the accept queue with one connection.
  Deliver(SegBuilder().From(kRemoteAddr, 41001).Syn().Seq(1));
  Sent sa1 = ExpectSent(kSyn | kAck, kAny, 2);
  // The second SYN arrives while the queue still has room.
  Deliver(SegBuilder().From(kRemoteAddr, 41002).Syn().Seq(1));
  Sent sa2 = ExpectSent(kSyn | kAck, kAny, 2);
  Deliver(SegBuilder()
              .From(kRemoteAddr, 41001)
              .AckOnly()
              .Seq(2)
              .Ack(sa1.tcp.seq.raw() + 1));
  // The second handshake's final ACK is ignored while the queue is full.
  SegBuilder ack2;
  ack2.From(kRemoteAddr, 41002).AckOnly().Seq(2).Ack(sa2.tcp.seq.raw() + 1);
  Deliver(ack2);
  EXPECT_EQ(Drops(DropReason::kAcceptQueueFull), 1u);
  EXPECT_EQ(ep_->accept_queue_length(listener_), 1u);
  // Once the application accepts, the peer's retransmitted ACK completes it.
  ASSERT_TRUE(ep_->Accept(listener_).has_value());
  Deliver(ack2);
  EXPECT_EQ(ep_->accept_queue_length(listener_), 1u);
}

// The first SYN-ACK names the SYN it answers (OutSegment::reply_to: the
// port may build it in that SYN's buffer); a retransmission, and the answer
// to a duplicate SYN (the record's SYN-ACK again), name none.
TEST_F(ListenTest, SynAck_RepliesToItsSyn_RetransmissionsToNone) {
  MakeListen();
  const InSegment syn = SegBuilder().Syn().Seq(5000).Mss(1460).Build();
  ep_->OnSegment(syn, now_);
  Flush();
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent.back().tcp.flags, kSyn | kAck);
  EXPECT_EQ(sink_.sent.back().reply_to, &syn);
  const InSegment again = SegBuilder().Syn().Seq(5000).Mss(1460).Build();
  ep_->OnSegment(again, now_);
  Flush();
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_EQ(sink_.sent.back().tcp.flags, kSyn | kAck);
  EXPECT_EQ(sink_.sent.back().reply_to, nullptr);
  Advance(Duration::Seconds(1) + Duration::Millis(10));  // RFC 6298 2.1
  ASSERT_EQ(sink_.sent.size(), 3u);
  EXPECT_EQ(sink_.sent.back().tcp.flags, kSyn | kAck);
  EXPECT_EQ(sink_.sent.back().reply_to, nullptr);
}

TEST_F(ListenTest, SynReceived_DuplicateSyn_SynAckResent) {
  MakeSynReceived();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  // A compact half-open record, not a connection (doc/syn_cookies.md).
  EXPECT_EQ(ep_->half_open_total(), 1u);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

}  // namespace
}  // namespace tern::tcp::testing
