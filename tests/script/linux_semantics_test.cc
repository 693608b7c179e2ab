// Listener and segment semantics as Linux has them, where RFC 9293 leaves
// the choice open or Linux's choice is what applications and peers expect:
// the accept queue bounds SYNs (tcp_conn_request), listen(2) again sets the
// backlog (inet_listen), SYN+FIN to a listener is discarded
// (tcp_rcv_state_process), an MSS option of 0 means 536 (tcp_parse_options),
// an RST in CLOSING or LAST-ACK is ECONNRESET for a socket still held
// (tcp_reset), and a retransmission whose data is old but whose FIN is new
// has its FIN processed (RFC 9293 3.10.7.4 trimming).
#include <gtest/gtest.h>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class LinuxSemanticsTest : public ScriptTest {
 protected:
  // A full handshake from `port`, left in the accept queue.
  void Complete(uint16_t port) {
    PassiveHandshake(port);
    ExpectNothingSent();
  }
  void Syn(uint16_t port) {
    Deliver(SegBuilder().From(kRemoteAddr, port).Syn().Seq(1).Mss(1460));
  }
};

// ---- the accept queue bounds SYNs

TEST_F(LinuxSemanticsTest, AcceptQueueFull_SynDropped) {
  listen_options_.backlog = 2;
  MakeListen();
  Complete(41001);
  Complete(41002);
  Syn(41003);
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kAcceptQueueFullSyn), 1u);
  EXPECT_EQ(ep_->listener_stats(listener_)->accept_queue_full_syns.Get(), 1u);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  // Room again after Accept: the client's retransmitted SYN is answered.
  ASSERT_TRUE(ep_->Accept(listener_).has_value());
  Syn(41003);
  ExpectSent(kSyn | kAck, kAny, 2);
}

TEST_F(LinuxSemanticsTest, AcceptQueueFull_CookiesDoNotBypass) {
  for (SynCookieMode mode :
       {SynCookieMode::kAlways, SynCookieMode::kOnOverflow}) {
    SCOPED_TRACE(static_cast<int>(mode));
    listen_options_.backlog = 1;
    listen_options_.syn_backlog = 1;
    listen_options_.cookies = mode;
    Recreate();
    MakeListen();
    Complete(42001);
    ASSERT_EQ(ep_->accept_queue_length(listener_), 1u);
    Syn(42002);
    ExpectNothingSent();
    EXPECT_EQ(ep_->listener_stats(listener_)->cookies_sent.Get(),
              mode == SynCookieMode::kAlways ? 1u : 0u);
    EXPECT_EQ(Drops(DropReason::kAcceptQueueFullSyn), 1u);
  }
}

// ---- listen(2) again sets the backlog

TEST_F(LinuxSemanticsTest, SetBacklog_Raised_AppliesAtOnce) {
  listen_options_.backlog = 1;
  MakeListen();
  Complete(43001);
  Syn(43002);
  ExpectNothingSent();
  ASSERT_EQ(ep_->SetBacklog(listener_, 3), SockError::kOk);
  EXPECT_EQ(ep_->backlog(listener_), 3u);
  Complete(43002);
  Complete(43003);
  EXPECT_EQ(ep_->accept_queue_length(listener_), 3u);
  Syn(43004);
  ExpectNothingSent();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(ep_->Accept(listener_).has_value());
  }
  Syn(43004);
  ExpectSent(kSyn | kAck, kAny, 2);
}

TEST_F(LinuxSemanticsTest, SetBacklog_Lowered_QueuedStayNewWait) {
  listen_options_.backlog = 3;
  MakeListen();
  Complete(44001);
  Complete(44002);
  ASSERT_EQ(ep_->SetBacklog(listener_, 1), SockError::kOk);
  EXPECT_EQ(ep_->accept_queue_length(listener_), 2u);
  Syn(44003);
  ExpectNothingSent();
  ASSERT_TRUE(ep_->Accept(listener_).has_value());
  Syn(44003);
  ExpectNothingSent();  // one queued, bound 1: still full
  ASSERT_TRUE(ep_->Accept(listener_).has_value());
  Complete(44003);
  EXPECT_EQ(ep_->accept_queue_length(listener_), 1u);
  EXPECT_EQ(ep_->SetBacklog(listener_, 0), SockError::kInvalid);
  EXPECT_EQ(ep_->SetBacklog(ListenerHandle{}, 4), SockError::kBadHandle);
}

// ---- SYN with FIN to a listener

TEST_F(LinuxSemanticsTest, Listen_SynFin_Discarded) {
  MakeListen();
  Deliver(SegBuilder().Syn().Flags(kSyn | kFin).Seq(1000).Mss(1460));
  Deliver(SegBuilder()
              .From(kRemoteAddr, 40001)
              .Flags(kSyn | kFin)
              .Seq(7)
              .Data("x"));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kListenSynFin), 2u);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->listener_stats(listener_)->syns_received.Get(), 0u);
}

// ---- MSS option of 0

TEST_F(LinuxSemanticsTest, Listen_MssZero_Default536) {
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(0));
  Sent sa = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  our_nxt_ = sa.tcp.seq.raw() + 1;
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_mss(), 536u);
}

TEST_F(LinuxSemanticsTest, Cookie_MssZero_Default536) {
  listen_options_.cookies = SynCookieMode::kAlways;
  Recreate();
  MakeListen();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(0));
  Sent sa = ExpectSent(kSyn | kAck, kAny, peer_iss_ + 1);
  peer_nxt_ = peer_iss_ + 1;
  our_nxt_ = sa.tcp.seq.raw() + 1;
  Deliver(Peer());
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  // The cookie's MSS index is the table's entry for 536 (not its smallest).
  EXPECT_EQ(Conn()->snd_mss(), kCookieMssTable[CookieMssIndex(536)]);
  EXPECT_LE(Conn()->snd_mss(), 536u);
}

TEST_F(LinuxSemanticsTest, SynSent_SynAckMssZero_Default536) {
  MakeSynSent();
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_nxt_).Mss(0));
  peer_nxt_ = peer_iss_ + 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Conn()->snd_mss(), 536u);
}

// ---- RST in CLOSING and LAST-ACK on a socket still held

TEST_F(LinuxSemanticsTest, LastAck_RstAtRcvNxt_ConnResetReported) {
  MakeLastAck();
  TakeConnEvents();
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(TakeConnEvents() & events::kReset, events::kReset);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
  EXPECT_EQ(ep_->stats().conn_resets.Get(), 1u);
}

TEST_F(LinuxSemanticsTest, Closing_RstAtRcvNxt_ConnResetReported) {
  MakeClosing();
  TakeConnEvents();
  Deliver(Peer().Rst());
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(TakeConnEvents() & events::kReset, events::kReset);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnReset);
}

TEST_F(LinuxSemanticsTest, LastAck_Orphaned_RstReleasesQuietly) {
  MakeLastAck();
  ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  Deliver(Peer().Rst());
  ExpectNothingSent();
  EXPECT_EQ(ep_->connection_count(), 0u);
}

// ---- old data with a new FIN

TEST_F(LinuxSemanticsTest, Established_OldDataNewFin_FinProcessed) {
  MakeEstablished();
  Deliver(Peer().Data("abc"));
  peer_nxt_ += 3;
  Advance(Duration::Millis(41));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  // The peer resends its last data with the FIN added.
  Deliver(Peer().Seq(peer_nxt_ - 3).Data("abc").Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{1001, 1004}});
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "abc");
  EXPECT_EQ(Read(), "");
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// ---- duplicate SYNs to a half-open record

class DupSynTest : public ScriptTest {};

TEST_F(DupSynTest, SynReceived_DuplicateSyns_SynAckAtMostEvery500Ms) {
  MakeSynReceived();
  // The first duplicate is answered at once (the SYN-ACK may be lost).
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  // More within 500 ms are not.
  for (int i = 0; i < 5; ++i) {
    Advance(Duration::Millis(50));
    Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  }
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kDupSynRateLimited), 5u);
  // After 500 ms, one more.
  Advance(Duration::Millis(260));
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  ExpectSent(kSyn | kAck, our_iss_, peer_iss_ + 1);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  // The handshake still completes.
  Deliver(Peer());
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// ---- Nagle: Minshall's variant by default, RFC 1122's as an option

class NagleTest : public ScriptTest {};

TEST_F(NagleTest, Minshall_TailOfWrite_LeavesAtOnce) {
  listen_options_.conn.nagle = NagleMode::kMinshall;
  MakeEstablished();
  const uint32_t mss = Conn()->snd_mss();
  ASSERT_EQ(Write(std::string(2 * mss + 80, 'r')), 2 * mss + 80);
  ExpectSent(kAck, our_nxt_, peer_nxt_).Len(mss);
  ExpectSent(kAck, our_nxt_ + mss, peer_nxt_).Len(mss);
  // A 3,000-byte response's last 80 bytes do not wait a round trip.
  ExpectSent(kAck | kPsh, our_nxt_ + 2 * mss, peer_nxt_).Len(80);
  our_nxt_ += 2 * mss + 80;
}

TEST_F(NagleTest, Minshall_SmallSegmentUnacked_NextSmallWaits) {
  listen_options_.conn.nagle = NagleMode::kMinshall;
  MakeEstablished();
  ASSERT_EQ(Write("first"), 5u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("first");
  ASSERT_EQ(Write("second"), 6u);
  ExpectNothingSent();  // "first" is a small segment still in flight
  Deliver(Peer().Ack(our_nxt_ + 5));
  Sent s = ExpectSent(kAck | kPsh, our_nxt_ + 5, peer_nxt_).Payload("second");
  EXPECT_EQ(s.PayloadString(), "second");
}

TEST_F(NagleTest, Minshall_FullSegmentsInFlight_SmallLeaves) {
  listen_options_.conn.nagle = NagleMode::kMinshall;
  MakeEstablished();
  const uint32_t mss = Conn()->snd_mss();
  ASSERT_EQ(Write(std::string(mss, 'f')), mss);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(1460);
  // Only a full segment is unacknowledged: the small one goes.
  ASSERT_EQ(Write("tail"), 4u);
  ExpectSent(kAck | kPsh, our_nxt_ + mss, peer_nxt_).Payload("tail");
}

TEST_F(NagleTest, Classic_TailOfWrite_WaitsForAck) {
  listen_options_.conn.nagle = NagleMode::kClassic;
  MakeEstablished();
  const uint32_t mss = Conn()->snd_mss();
  ASSERT_EQ(Write(std::string(2 * mss + 80, 'r')), 2 * mss + 80);
  ExpectSent(kAck, our_nxt_, peer_nxt_).Len(1460);
  ExpectSent(kAck, our_nxt_ + mss, peer_nxt_).Len(1460);
  ExpectNothingSent();  // RFC 1122 4.2.3.4: data is in flight
  Deliver(Peer().Ack(our_nxt_ + 2 * mss));
  ExpectSent(kAck | kPsh, our_nxt_ + 2 * mss, peer_nxt_).Len(80);
}

TEST_F(NagleTest, Nodelay_BothModes_SmallSegmentsLeave) {
  listen_options_.conn.nagle = NagleMode::kClassic;
  listen_options_.conn.nodelay = true;
  MakeEstablished();
  ASSERT_EQ(Write("a"), 1u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("a");
  ASSERT_EQ(Write("b"), 1u);
  ExpectSent(kAck | kPsh, our_nxt_ + 1, peer_nxt_).Payload("b");
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// ---- window updates on read without window scaling

class WindowUpdateTest : public ScriptTest {};

TEST_F(WindowUpdateTest, NoWscale_BufferAbove64K_ReadSendsNoRedundantUpdate) {
  peer_offers_options_ = false;  // no window scaling
  listen_options_.conn.recv_buffer = 256 * 1024;
  MakeEstablished();
  Deliver(Peer().Data(1000, 'x'));
  peer_nxt_ += 1000;
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_).Window(65535);
  // The read frees 1000 bytes, but the window field says 65535 either way.
  EXPECT_EQ(Read().size(), 1000u);
  ExpectNothingSent();
}

TEST_F(WindowUpdateTest, NoWscale_SmallBufferReopened_UpdateSent) {
  peer_offers_options_ = false;
  listen_options_.conn.recv_buffer = 4096;
  MakeEstablished();
  Deliver(Peer().Data(4096, 'x'));
  peer_nxt_ += 4096;
  Advance(config_.delayed_ack + kSlack);
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_EQ(ack.tcp.window, 0u);
  EXPECT_EQ(Read().size(), 4096u);
  Sent update = ExpectSent(kAck, our_nxt_, peer_nxt_).Window(4096);
  EXPECT_EQ(update.tcp.window, 4096u);
}

}  // namespace
}  // namespace tern::tcp::testing

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class OldDataNewFinTest : public ScriptTest {};

TEST_F(OldDataNewFinTest, Established_AckPendingThenDataWithFin_FinProcessed) {
  // The retransmission arrives before our delayed ACK of the data left.
  MakeEstablished();
  Deliver(Peer().Data("abc"));
  peer_nxt_ += 3;
  Deliver(Peer().Seq(peer_nxt_ - 3).Data("abc").Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{1001, 1004}});
  ExpectNothingSent();
  EXPECT_EQ(ConnState(), State::kCloseWait);
}

TEST_F(OldDataNewFinTest, Established_TimestampsOldDataNewFin_FinProcessed) {
  peer_tsval_ = 100;
  MakeEstablished();
  Deliver(Peer().Data("abc"));
  peer_nxt_ += 3;
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  peer_tsval_ = 400;  // the retransmission's later TSval
  Deliver(Peer().Seq(peer_nxt_ - 3).Data("abc").Fin());
  peer_nxt_ += 1;
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{1001, 1004}});
  ASSERT_TRUE(ack.tcp.options.timestamps.has_value());
  EXPECT_EQ(ConnState(), State::kCloseWait);
}

TEST_F(OldDataNewFinTest, FinWait2_OldDataNewFin_TimeWait) {
  MakeFinWait2();
  Deliver(Peer().Data("xyz"));
  peer_nxt_ += 3;
  Advance(config_.delayed_ack + kSlack);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Deliver(Peer().Seq(peer_nxt_ - 3).Data("xyz").Fin());
  peer_nxt_ += 1;
  ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{1001, 1004}});
  EXPECT_EQ(ConnState(), State::kTimeWait);
}

TEST_F(OldDataNewFinTest, Established_LongerOldDataNewFin_FinProcessed) {
  // Two earlier segments resent as one, the FIN added.
  MakeEstablished();
  Deliver(Peer().Data("abc"));
  Deliver(Peer().Seq(peer_nxt_ + 3).Data("def"));
  peer_nxt_ += 6;
  Advance(config_.delayed_ack + kSlack);
  DropSent();
  Deliver(Peer().Seq(peer_nxt_ - 6).Data("abcdef").Fin());
  peer_nxt_ += 1;
  // RFC 2883: the resent bytes are reported as a D-SACK block.
  ExpectSent(kAck, our_nxt_, peer_nxt_).Sack({{peer_nxt_ - 7, peer_nxt_ - 1}});
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "abcdef");
}

}  // namespace
}  // namespace tern::tcp::testing
