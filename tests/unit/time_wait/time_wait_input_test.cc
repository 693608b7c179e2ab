// TimeWaitInput, the pure verdict of a TIME-WAIT record for a segment:
// every action and its reason, without an endpoint.
#include <gtest/gtest.h>

#include "lib/tcp/time_wait.h"

namespace tern::tcp {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr uint32_t kRcvNxt = 5000;
constexpr uint32_t kTsRecent = 700;

TimeWaitRecord Record(bool timestamps) {
  TimeWaitRecord r{};
  r.snd_nxt = SeqNum(9000);
  r.rcv_nxt = SeqNum(kRcvNxt);
  r.ts_recent = kTsRecent;
  r.timestamps = timestamps ? 1 : 0;
  return r;
}

wire::TcpRepr Seg(uint8_t flags, uint32_t seq) {
  wire::TcpRepr t;
  t.flags = flags;
  t.seq = SeqNum(seq);
  t.ack = SeqNum(9000);
  return t;
}

wire::TcpRepr WithTs(wire::TcpRepr t, uint32_t tsval) {
  t.options.timestamps = wire::TcpTimestamps{tsval, 1};
  return t;
}

void Expect(TimeWaitVerdict v, TimeWaitAction action, DropReason reason) {
  EXPECT_EQ(static_cast<int>(v.action), static_cast<int>(action));
  EXPECT_EQ(static_cast<int>(v.reason), static_cast<int>(reason));
}

TEST(TimeWaitInputTest, Rst_Dropped) {  // RFC 1337
  Expect(TimeWaitInput(Record(false), Seg(kRst, kRcvNxt)),
         TimeWaitAction::kDrop, DropReason::kTimeWaitRst);
  Expect(TimeWaitInput(Record(true), WithTs(Seg(kRst | kAck, 1), 1)),
         TimeWaitAction::kDrop, DropReason::kTimeWaitRst);
}

TEST(TimeWaitInputTest, AckAtRcvNxt_Dropped) {
  Expect(TimeWaitInput(Record(false), Seg(kAck, kRcvNxt)),
         TimeWaitAction::kDrop, DropReason::kTimeWaitAck);
}

TEST(TimeWaitInputTest, AckElsewhere_Ack) {
  Expect(TimeWaitInput(Record(false), Seg(kAck, kRcvNxt - 1)),
         TimeWaitAction::kAck, DropReason::kTimeWaitUnacceptable);
  Expect(TimeWaitInput(Record(false), Seg(kAck, kRcvNxt + 100000)),
         TimeWaitAction::kAck, DropReason::kTimeWaitUnacceptable);
}

TEST(TimeWaitInputTest, RetransmittedFin_AckAndRestart) {
  Expect(TimeWaitInput(Record(false), Seg(kFin | kAck, kRcvNxt - 1)),
         TimeWaitAction::kAckAndRestart, DropReason::kCount);
}

TEST(TimeWaitInputTest, Data_Ack) {
  wire::TcpRepr t = Seg(kAck, kRcvNxt - 3);
  const uint8_t bytes[3] = {1, 2, 3};
  t.payload = bytes;
  Expect(TimeWaitInput(Record(false), t), TimeWaitAction::kAck,
         DropReason::kTimeWaitData);
}

TEST(TimeWaitInputTest, OldTsval_PawsAck) {
  Expect(TimeWaitInput(Record(true), WithTs(Seg(kAck, kRcvNxt), kTsRecent - 1)),
         TimeWaitAction::kAck, DropReason::kTimeWaitPaws);
}

TEST(TimeWaitInputTest, Syn_ReopenWhenNewer) {  // RFC 6191
  Expect(TimeWaitInput(Record(false), Seg(kSyn, kRcvNxt + 1)),
         TimeWaitAction::kReopen, DropReason::kCount);
  Expect(TimeWaitInput(Record(false), Seg(kSyn, kRcvNxt - 1)),
         TimeWaitAction::kAck, DropReason::kTimeWaitSyn);
  Expect(TimeWaitInput(Record(true), WithTs(Seg(kSyn, 1), kTsRecent + 1)),
         TimeWaitAction::kReopen, DropReason::kCount);
  Expect(TimeWaitInput(Record(true), WithTs(Seg(kSyn, kRcvNxt + 1), kTsRecent)),
         TimeWaitAction::kReopen, DropReason::kCount);
  Expect(TimeWaitInput(Record(true),
                       WithTs(Seg(kSyn, kRcvNxt + 1), kTsRecent - 1)),
         TimeWaitAction::kAck, DropReason::kTimeWaitSyn);
}

TEST(TimeWaitInputTest, SegmentWithoutTimestamps_NoPawsCheck) {
  // RFC 7323 5.3 R1 applies only to a segment that carries timestamps: a
  // bare ACK at RCV.NXT is the peer's late ACK of our FIN.
  Expect(TimeWaitInput(Record(true), Seg(kAck, kRcvNxt)), TimeWaitAction::kDrop,
         DropReason::kTimeWaitAck);
}

TEST(TimeWaitInputTest, RetransmittedFinWithCurrentTsval_AckAndRestart) {
  Expect(TimeWaitInput(Record(true),
                       WithTs(Seg(kFin | kAck, kRcvNxt - 1), kTsRecent)),
         TimeWaitAction::kAckAndRestart, DropReason::kCount);
  // The same FIN with an older TSval is an old duplicate (R1): ACK only.
  Expect(TimeWaitInput(Record(true),
                       WithTs(Seg(kFin | kAck, kRcvNxt - 1), kTsRecent - 1)),
         TimeWaitAction::kAck, DropReason::kTimeWaitPaws);
}

TEST(TimeWaitInputTest, DataBeyondRcvNxt_Ack) {
  // Data cannot be new after the peer's FIN: answered with our ACK.
  wire::TcpRepr t = Seg(kAck, kRcvNxt + 10);
  const uint8_t bytes[2] = {1, 2};
  t.payload = bytes;
  Expect(TimeWaitInput(Record(false), t), TimeWaitAction::kAck,
         DropReason::kTimeWaitData);
}

TEST(TimeWaitInputTest, SynAck_Ack) {
  Expect(TimeWaitInput(Record(false), Seg(kSyn | kAck, kRcvNxt)),
         TimeWaitAction::kAck, DropReason::kTimeWaitSyn);
}

TEST(TimeWaitInputTest, SynFin_DroppedNotReopened) {
  Expect(TimeWaitInput(Record(false), Seg(kSyn | kFin, kRcvNxt + 1)),
         TimeWaitAction::kDrop, DropReason::kTimeWaitSynFin);
}

TEST(TimeWaitInputTest, WithoutAck_Dropped) {  // RFC 9293 3.10.7.4 fifth
  Expect(TimeWaitInput(Record(false), Seg(kFin, kRcvNxt - 1)),
         TimeWaitAction::kDrop, DropReason::kNoAck);
  Expect(TimeWaitInput(Record(false), Seg(0, kRcvNxt)), TimeWaitAction::kDrop,
         DropReason::kNoAck);
}

}  // namespace
}  // namespace tern::tcp
