// The listener unit without an endpoint: ListenInput and HalfOpenInput
// verdicts for every branch, the accept-queue ring, the cookie-mode
// hysteresis and the one SYN-ACK retransmission schedule.
#include "lib/tcp/listener.h"

#include <gtest/gtest.h>

namespace tern::tcp {
namespace {

using namespace wire::tcp_flags;  // NOLINT

wire::TcpRepr Seg(uint8_t flags, uint32_t seq, uint32_t ack = 0) {
  wire::TcpRepr t;
  t.flags = flags;
  t.seq = SeqNum(seq);
  t.ack = SeqNum(ack);
  return t;
}

// Listener holds counters, so it is neither copied nor moved: filled in place.
void OpenListener(Listener& l, size_t backlog, SynCookieMode cookies) {
  ListenOptions o;
  o.backlog = backlog;
  o.syn_backlog = 4;
  o.cookies = cookies;
  l.Open(wire::Ipv4Addr{}, 80, o, 4096);
}

void ExpectListen(ListenVerdict v, ListenAction a, DropReason r) {
  EXPECT_EQ(static_cast<int>(v.action), static_cast<int>(a));
  EXPECT_EQ(static_cast<int>(v.reason), static_cast<int>(r));
}

TEST(ListenInputTest, EachBranch) {
  Listener l;
  OpenListener(l, 2, SynCookieMode::kOnOverflow);
  ExpectListen(ListenInput(l, Seg(kRst, 1)), ListenAction::kDrop,
               DropReason::kListenRst);
  ExpectListen(ListenInput(l, Seg(kAck, 1, 2)), ListenAction::kCookieAck,
               DropReason::kCount);
  ExpectListen(ListenInput(l, Seg(kSyn | kAck, 1, 2)), ListenAction::kReset,
               DropReason::kListenAck);
  ExpectListen(ListenInput(l, Seg(0, 1)), ListenAction::kDrop,
               DropReason::kListenNoSyn);
  ExpectListen(ListenInput(l, Seg(kSyn | kFin, 1)), ListenAction::kDrop,
               DropReason::kListenSynFin);
  ExpectListen(ListenInput(l, Seg(kSyn, 1)), ListenAction::kSyn,
               DropReason::kCount);
  Listener off;
  OpenListener(off, 2, SynCookieMode::kOff);
  ExpectListen(ListenInput(off, Seg(kAck, 1, 2)), ListenAction::kReset,
               DropReason::kListenAck);
}

TEST(ListenInputTest, AcceptQueueFull_SynDroppedWhateverTheCookieMode) {
  for (SynCookieMode m : {SynCookieMode::kOff, SynCookieMode::kOnOverflow,
                          SynCookieMode::kAlways}) {
    Listener l;
    OpenListener(l, 1, m);
    l.PushAccepted(ConnHandle{7, 1});
    ExpectListen(ListenInput(l, Seg(kSyn, 1)), ListenAction::kDrop,
                 DropReason::kAcceptQueueFullSyn);
  }
}

TEST(ListenerTest, AcceptQueue_FifoAndSetBacklogKeepsOrder) {
  Listener l;
  OpenListener(l, 3, SynCookieMode::kOff);
  ConnHandle h;
  EXPECT_FALSE(l.PopAccepted(&h));
  for (uint32_t i = 0; i < 3; ++i) {
    l.PushAccepted(ConnHandle{i, 1});
  }
  EXPECT_TRUE(l.AcceptQueueFull());
  ASSERT_TRUE(l.PopAccepted(&h));
  EXPECT_EQ(h.index, 0u);
  l.PushAccepted(ConnHandle{3, 1});  // wraps
  l.SetBacklog(1);                   // lowered below what is queued
  EXPECT_EQ(l.accept_queue_length(), 3u);
  EXPECT_TRUE(l.AcceptQueueFull());
  for (uint32_t want = 1; want <= 3; ++want) {
    ASSERT_TRUE(l.PopAccepted(&h));
    EXPECT_EQ(h.index, want);
  }
  EXPECT_FALSE(l.AcceptQueueFull());
  l.SetBacklog(5);
  for (uint32_t i = 0; i < 5; ++i) {
    l.PushAccepted(ConnHandle{i, 2});
  }
  EXPECT_TRUE(l.AcceptQueueFull());
}

TEST(ListenerTest, UseCookie_OnOverflowHysteresis) {
  Listener l;
  OpenListener(l, 8, SynCookieMode::kOnOverflow);
  ListenerStats total;
  EXPECT_FALSE(l.UseCookie(false, total));
  l.half_open = 4;  // syn_backlog reached
  EXPECT_TRUE(l.UseCookie(false, total));
  l.half_open = 3;  // above half: still cookies
  EXPECT_TRUE(l.UseCookie(false, total));
  l.half_open = 2;  // drained to half: off
  EXPECT_FALSE(l.UseCookie(false, total));
  EXPECT_TRUE(l.UseCookie(/*endpoint_full=*/true, total));
  EXPECT_EQ(l.stats.cookie_mode_entered.Get(), 2u);
  EXPECT_EQ(total.cookie_mode_left.Get(), 1u);
  Listener always;
  OpenListener(always, 8, SynCookieMode::kAlways);
  EXPECT_TRUE(always.UseCookie(false, total));
  Listener off;
  OpenListener(off, 8, SynCookieMode::kOff);
  EXPECT_FALSE(off.UseCookie(true, total));
}

// ---- HalfOpenInput

constexpr uint32_t kIrs = 1000;
constexpr uint32_t kIss = 5000;

HalfOpen Record() {
  HalfOpen r;
  r.irs = SeqNum(kIrs);
  r.iss = SeqNum(kIss);
  return r;
}

HalfOpenContext Ctx() {
  HalfOpenContext c;
  c.now = Instant::FromNanos(1'000'000'000);
  c.listener_open = true;
  c.rcv_wnd = 1000;
  return c;
}

void ExpectHalf(HalfOpenVerdict v, HalfOpenAction a, DropReason r) {
  EXPECT_EQ(static_cast<int>(v.action), static_cast<int>(a));
  EXPECT_EQ(static_cast<int>(v.reason), static_cast<int>(r));
}

TEST(HalfOpenInputTest, Syn) {
  HalfOpen r = Record();
  ExpectHalf(HalfOpenInput(r, Seg(kSyn, kIrs), Ctx()),
             HalfOpenAction::kResendSynAck, DropReason::kCount);
  r.flags |= HalfOpen::kDupAnswered;
  r.last_dup_answer = CoarseTick(Ctx().now - Duration::Millis(100));
  ExpectHalf(HalfOpenInput(r, Seg(kSyn, kIrs), Ctx()), HalfOpenAction::kDrop,
             DropReason::kDupSynRateLimited);
  // The record keeps coarse ticks of 65.536 us: an answer just inside the
  // interval is still limited, one a tick past its end is not.
  r.last_dup_answer =
      CoarseTick(Ctx().now - kDupSynInterval + Duration::Micros(66));
  ExpectHalf(HalfOpenInput(r, Seg(kSyn, kIrs), Ctx()), HalfOpenAction::kDrop,
             DropReason::kDupSynRateLimited);
  r.last_dup_answer =
      CoarseTick(Ctx().now - kDupSynInterval - Duration::Micros(132));
  ExpectHalf(HalfOpenInput(r, Seg(kSyn, kIrs), Ctx()),
             HalfOpenAction::kResendSynAck, DropReason::kCount);
  // Another ISN: RFC 5961 4.2 challenge, the record stays.
  ExpectHalf(HalfOpenInput(r, Seg(kSyn, kIrs + 77777), Ctx()),
             HalfOpenAction::kChallengeAck, DropReason::kSynChallenged);
  // A SYN-ACK in the window: challenge too.
  ExpectHalf(HalfOpenInput(r, Seg(kSyn | kAck, kIrs + 1, kIss + 1), Ctx()),
             HalfOpenAction::kChallengeAck, DropReason::kSynChallenged);
}

TEST(HalfOpenInputTest, PawsAndSequence) {
  HalfOpen r = Record();
  r.flags |= HalfOpen::kTimestamps;
  r.ts_recent = 500;
  wire::TcpRepr old = Seg(kAck, kIrs + 1, kIss + 1);
  old.options.timestamps = wire::TcpTimestamps{499, 1};
  ExpectHalf(HalfOpenInput(r, old, Ctx()), HalfOpenAction::kAck,
             DropReason::kPaws);
  ExpectHalf(HalfOpenInput(Record(), Seg(kAck, kIrs + 5000, kIss + 1), Ctx()),
             HalfOpenAction::kAck, DropReason::kUnacceptableSeq);
  ExpectHalf(HalfOpenInput(Record(), Seg(kRst, kIrs + 5000), Ctx()),
             HalfOpenAction::kDrop, DropReason::kRstOutOfWindow);
}

TEST(HalfOpenInputTest, Rst) {
  ExpectHalf(HalfOpenInput(Record(), Seg(kRst, kIrs + 1), Ctx()),
             HalfOpenAction::kFree, DropReason::kCount);
  ExpectHalf(HalfOpenInput(Record(), Seg(kRst, kIrs + 10), Ctx()),
             HalfOpenAction::kChallengeAck, DropReason::kRstChallenged);
}

TEST(HalfOpenInputTest, Ack) {
  ExpectHalf(HalfOpenInput(Record(), Seg(0, kIrs + 1), Ctx()),
             HalfOpenAction::kDrop, DropReason::kNoAck);
  ExpectHalf(HalfOpenInput(Record(), Seg(kAck, kIrs + 1, kIss + 9), Ctx()),
             HalfOpenAction::kReset, DropReason::kSynRcvdBadAck);
  ExpectHalf(HalfOpenInput(Record(), Seg(kAck, kIrs + 1, kIss + 1), Ctx()),
             HalfOpenAction::kPromote, DropReason::kCount);
  HalfOpenContext closed = Ctx();
  closed.listener_open = false;
  ExpectHalf(HalfOpenInput(Record(), Seg(kAck, kIrs + 1, kIss + 1), closed),
             HalfOpenAction::kResetAndFree, DropReason::kNoSocket);
  HalfOpenContext full = Ctx();
  full.accept_queue_full = true;
  ExpectHalf(HalfOpenInput(Record(), Seg(kAck, kIrs + 1, kIss + 1), full),
             HalfOpenAction::kDrop, DropReason::kAcceptQueueFull);
  full.overflow = AcceptOverflow::kReset;
  ExpectHalf(HalfOpenInput(Record(), Seg(kAck, kIrs + 1, kIss + 1), full),
             HalfOpenAction::kResetAndFree, DropReason::kAcceptQueueFull);
}

TEST(SynAckTimeoutTest, DoublesUpToTheMaximum) {
  RttEstimator::Options o;  // 1 s initial, 120 s max
  EXPECT_EQ(SynAckTimeout(o, 0), Duration::Seconds(1));
  EXPECT_EQ(SynAckTimeout(o, 1), Duration::Seconds(2));
  EXPECT_EQ(SynAckTimeout(o, 5), Duration::Seconds(32));
  EXPECT_EQ(SynAckTimeout(o, 7), Duration::Seconds(120));
  EXPECT_EQ(SynAckTimeout(o, 1000), Duration::Seconds(120));
}

}  // namespace
}  // namespace tern::tcp
