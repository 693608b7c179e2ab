// Attacks by a blind off-path peer, who can guess an in-window sequence
// number or an ACK value within a window but sees no traffic: each test
// mounts the attack and shows the connection unharmed.
//
// RFC 7323 4.3 (TS.Recent recorded only for accepted segments), RFC 5961
// section 4 (a SYN in SYN-RECEIVED draws a challenge ACK, whatever its
// sequence number), RFC 9293 3.10.7.4 fifth step (the send window is updated
// only for SND.UNA =< SEG.ACK =< SND.NXT).
#include <gtest/gtest.h>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class BlindAttackTest : public ScriptTest {};

// ---- TS.Recent poisoning

TEST_F(BlindAttackTest, Established_ForgedAckTooNewHugeTsval_TsRecentKept) {
  peer_tsval_ = 1000;
  MakeEstablished();
  // In-window sequence number, an ACK for data never sent, a TSval far ahead.
  Deliver(Peer().Ack(our_nxt_ + 1'000'000).Ts(0x7fff0000, 0));
  Sent challenge = ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(1000);
  ASSERT_TRUE(challenge.tcp.options.timestamps.has_value());
  EXPECT_EQ(challenge.tcp.options.timestamps->tsecr, 1000u);
  EXPECT_EQ(Drops(DropReason::kAckTooNew), 1u);
  // The real peer's next segment passes PAWS and is delivered.
  peer_tsval_ = 1001;
  Deliver(Peer().Data("ok"));
  peer_nxt_ += 2;
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_EQ(Read(), "ok");
}

TEST_F(BlindAttackTest, Established_ForgedAckTooOldHugeTsval_TsRecentKept) {
  peer_tsval_ = 1000;
  MakeEstablished();
  Deliver(Peer().Ack(our_nxt_ - 0x40000000).Ts(0x7fff0000, 0));
  Sent challenge = ExpectSent(kAck, our_nxt_, peer_nxt_).TsEcr(1000);
  ASSERT_TRUE(challenge.tcp.options.timestamps.has_value());
  EXPECT_EQ(challenge.tcp.options.timestamps->tsecr, 1000u);
  EXPECT_EQ(Drops(DropReason::kAckTooOld), 1u);
  peer_tsval_ = 1001;
  Deliver(Peer().Data("ok"));
  peer_nxt_ += 2;
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_EQ(Read(), "ok");
}

TEST_F(BlindAttackTest, Established_AcceptedSegment_TsRecentRecorded) {
  // The fix does not stop the real peer's TSval from being recorded.
  peer_tsval_ = 1000;
  MakeEstablished();
  peer_tsval_ = 5000;
  Deliver(Peer().Data("a"));
  peer_nxt_ += 1;
  Advance(Duration::Millis(41));  // the delayed ACK echoes the new TSval
  Sent ack = ExpectSent(kAck, our_nxt_, peer_nxt_);
  ASSERT_TRUE(ack.tcp.options.timestamps.has_value());
  EXPECT_EQ(ack.tcp.options.timestamps->tsecr, 5000u);
}

// ---- a SYN with another ISN to a half-open record

TEST_F(BlindAttackTest, SynReceived_SynWithOtherIsn_ChallengeAckRecordKept) {
  MakeSynReceived();
  Deliver(SegBuilder().Syn().Seq(peer_iss_ + 123456).Mss(1460));
  ExpectSent(kAck, our_nxt_, peer_nxt_);  // <SEQ=SND.NXT><ACK=RCV.NXT>
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  EXPECT_EQ(Drops(DropReason::kSynChallenged), 1u);
  EXPECT_EQ(ep_->stats().challenge_acks.Get(), 1u);
  // The real client's final ACK completes the handshake: no RST.
  Deliver(Peer());
  ExpectNothingSent();
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(BlindAttackTest, SynReceived_SynFlood_ChallengeAcksRateLimited) {
  config_.challenge_ack_per_second = 3;
  Recreate();
  MakeSynReceived();
  for (uint32_t i = 1; i <= 10; ++i) {
    Deliver(SegBuilder().Syn().Seq(peer_iss_ + i * 7919));
  }
  EXPECT_EQ(SentCount(), 3u);
  DropSent();
  EXPECT_EQ(ep_->stats().challenge_acks_limited.Get(), 7u);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  Deliver(Peer());
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(BlindAttackTest, SynReceived_RestartedClientRstAtRcvNxt_RecordGoes) {
  // A client that really restarted answers the challenge ACK from SYN-SENT
  // with <SEQ=SEG.ACK><CTL=RST>, i.e. at our RCV.NXT: that removes the
  // record, and its next SYN gets a fresh one.
  MakeSynReceived();
  Deliver(SegBuilder().Syn().Seq(peer_iss_ + 5555));
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  Deliver(SegBuilder().Rst().Seq(peer_nxt_));
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  Deliver(SegBuilder().Syn().Seq(peer_iss_ + 5555));
  ExpectSent(kSyn | kAck, kAny, peer_iss_ + 5555 + 1);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

// ---- the send window and an ACK below SND.UNA

TEST_F(BlindAttackTest, Established_ZeroWindowWithAckBelowSndUna_Ignored) {
  MakeEstablished();
  ASSERT_EQ(Write(std::string(100, 'd')), 100u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Len(100);
  our_nxt_ += 100;
  Deliver(Peer().Window(60000));
  const uint32_t wnd = Conn()->snd_wnd();
  ASSERT_GT(wnd, 0u);
  // Ahead of SND.WL1 in sequence, ACK below SND.UNA (but within
  // MAX.SND.WND, so RFC 5961 5.2 accepts it), window 0.
  Deliver(Peer().Seq(peer_nxt_ + 100).Ack(our_nxt_ - 50).Window(0));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_wnd(), wnd);
  // Sending goes on at once, with no wait for the persist timer.
  ASSERT_EQ(Write("more"), 4u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("more");
}

TEST_F(BlindAttackTest, Established_NewerSegmentAtSndUna_WindowUpdated) {
  // The check keeps the RFC's update for an ACK at SND.UNA.
  MakeEstablished();
  Deliver(Peer().Window(1000));
  EXPECT_EQ(Conn()->snd_wnd(), 1000u << Conn()->snd_wscale());
  Deliver(Peer().Window(0));
  EXPECT_EQ(Conn()->snd_wnd(), 0u);
}

}  // namespace
}  // namespace tern::tcp::testing
