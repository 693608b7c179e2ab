// The hostile-input catalogue of the TCP core (issue 15; doc/security.md):
// each class of malformed, out-of-window or malicious segment is sent to a
// listener, a half-open record (passive SYN-RECEIVED), an established
// connection and a TIME-WAIT record where it applies. Every test checks
// that the state is unchanged (or changed exactly as the RFC requires), that
// exactly one named drop reason counted the segment, and that what was sent
// is what the RFC requires, compared whole: flags, seq, ack, window, options
// and payload length.
//
// Sources: RFC 9293 3.10.7 (segment arrival), RFC 5961 (blind RST, SYN and
// data injection), RFC 7323 5 (PAWS) and 4.3 (TS.Recent), RFC 2018 / 2883
// (SACK, D-SACK), RFC 1337 (TIME-WAIT assassination), RFC 6191 (TIME-WAIT
// reuse), CVE-2019-11477/8/9 (SACK panic: MSS 48, scoreboard
// fragmentation), CVE-2016-5696 (challenge-ACK side channel).
// Classes below TCP (Ethernet, IPv4, addresses, ICMP) and the TCP header
// parser's own checks are tested where they are handled:
// tests/unit/wire/hostile_wire_test.cc and tests/dpdk/engine_test.cc.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

// The receive window field of an established connection: a 64 KiB buffer
// offered with window scale 1 (ReceiveWindowScale), so 65536 >> 1.
constexpr uint16_t kEstWindow = 32768;
// The window of a half-open record's ACKs: scaled like the connection's, as
// only a SYN's window is not (RFC 7323 2.2; Linux's tcp_v4_reqsk_send_ack).
constexpr uint16_t kSynRcvdWindow = 32768;
// A port no connection or record uses: a blind attacker's segments to the
// listener.
constexpr uint16_t kAttackerPort = 50000;

class HostileTest : public ScriptTest {
 protected:
  uint64_t TotalDrops() const {
    uint64_t n = 0;
    for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i) {
      n += Drops(static_cast<DropReason>(i));
    }
    return n;
  }
  // Remembers the drop counters after a fixture was built.
  void Mark() {
    Flush();
    ASSERT_TRUE(sink_.sent.empty());
    for (size_t i = 0; i < marked_.size(); ++i) {
      marked_[i] = Drops(static_cast<DropReason>(i));
    }
    total_marked_ = TotalDrops();
  }
  // Exactly `n` drops since Mark, all under `r`.
  void ExpectDrop(DropReason r, uint64_t n = 1) {
    EXPECT_EQ(Drops(r) - marked_[static_cast<size_t>(r)], n) << ToString(r);
    EXPECT_EQ(TotalDrops() - total_marked_, n)
        << "another drop reason counted too";
  }

  // Pops the next segment and compares it whole.
  void ExpectSegment(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t window,
                     const wire::TcpOptions& options = {},
                     size_t payload_len = 0) {
    Sent s = Pop();
    const std::string d = Describe(s.tcp, s.payload.size());
    EXPECT_EQ(FlagsToString(s.tcp.flags), FlagsToString(flags)) << d;
    EXPECT_EQ(s.tcp.seq.raw(), seq) << d;
    EXPECT_EQ(s.tcp.ack.raw(), ack) << d;
    EXPECT_EQ(s.tcp.window, window) << d;
    EXPECT_EQ(s.tcp.options, options) << d;
    EXPECT_EQ(s.payload.size(), payload_len) << d;
  }
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> of the established connection.
  void ExpectEstAck() { ExpectSegment(kAck, our_nxt_, peer_nxt_, kEstWindow); }
  // The same from the half-open record: <SEQ=ISS+1><ACK=IRS+1>.
  void ExpectSynRcvdAck() {
    ExpectSegment(kAck, our_nxt_, peer_nxt_, kSynRcvdWindow);
  }
  // The TIME-WAIT record's ACK (the window it last sent).
  void ExpectTimeWaitAck() {
    ExpectSegment(kAck, our_nxt_, peer_nxt_, kEstWindow);
  }

  // ---- fixtures
  void Listener() {
    MakeListen();
    Mark();
  }
  void SynReceived() {
    MakeSynReceived();
    Mark();
  }
  void Established() {
    MakeEstablished();
    Mark();
  }
  // A TIME-WAIT record alone: the application closed its handle.
  void TimeWaitRecord() {
    MakeTimeWait();
    ASSERT_EQ(ep_->Close(conn_, now_), SockError::kOk);
    ExpectNothingSent();
    ASSERT_EQ(ep_->connection_count(), 0u);
    Mark();
  }
  const tcp::TimeWaitRecord* Tw() const {
    return ep_->FindTimeWait(
        FourTuple{kLocalAddr, kRemoteAddr, kLocalPort, kRemotePort});
  }

  // ---- what must not have changed
  void ExpectListenerUnchanged() {
    EXPECT_EQ(ep_->half_open_count(listener_), 0u);
    EXPECT_EQ(ep_->accept_queue_length(listener_), 0u);
    EXPECT_EQ(ep_->connection_count(), 0u);
    EXPECT_EQ(ep_->time_wait_count(), 0u);
  }
  void ExpectHalfOpenUnchanged() {
    EXPECT_EQ(ep_->half_open_count(listener_), 1u);
    EXPECT_EQ(ep_->accept_queue_length(listener_), 0u);
    EXPECT_EQ(ep_->connection_count(), 0u);
  }
  void ExpectEstablishedUnchanged() {
    EXPECT_EQ(ConnState(), State::kEstablished);
    EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_);
    EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_);
    EXPECT_EQ(ep_->TakeError(conn_), SockError::kOk);
  }
  void ExpectTimeWaitUnchanged() {
    ASSERT_NE(Tw(), nullptr);
    EXPECT_EQ(Tw()->snd_nxt.raw(), our_nxt_);
    EXPECT_EQ(Tw()->rcv_nxt.raw(), peer_nxt_);
    EXPECT_EQ(ep_->time_wait_count(), 1u);
    EXPECT_EQ(ep_->stats().time_wait_reopened.Get(), 0u);
  }
  // The record expires 2 MSL after the last FIN, not later: nothing the
  // test sent restarted its timer.
  void ExpectTimeWaitExpiresOnTime(Instant entered) {
    AdvanceTo(entered + config_.msl * 2 + kSlack);
    EXPECT_EQ(ep_->time_wait_count(), 0u);
  }

  // An attacker's segment to the listener, from a tuple with no record.
  static SegBuilder Attacker() {
    SegBuilder b;
    b.From(kRemoteAddr, kAttackerPort);
    return b;
  }
  // Delivers a segment after a last change to the built header.
  template <typename Fn>
  void DeliverEdited(const SegBuilder& b, Fn edit) {
    InSegment s = b.Build();  // the payload stays owned by `b`
    edit(s.tcp);
    Flush();
    ep_->OnSegment(s, now_);
    Flush();
  }

  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> marked_{};
  uint64_t total_marked_ = 0;
};

// ===========================================================================
// Flag combinations no legitimate stack sends.

// SYN+FIN (nmap, OS fingerprinting; Linux and BSD drop it at a listener).
TEST_F(HostileTest, Hostile_SynFin_Listen) {
  Listener();
  Deliver(Attacker().Flags(kSyn | kFin).Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenSynFin);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_SynFin_SynReceived) {
  SynReceived();
  // Another ISN: RFC 5961 4.2, a challenge ACK; the record stays.
  Deliver(SegBuilder().Flags(kSyn | kFin).Seq(peer_iss_ + 100000));
  ExpectSynRcvdAck();
  ExpectNothingSent();
  ExpectDrop(DropReason::kSynChallenged);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_SynFin_Established) {
  Established();
  Deliver(Peer().Flags(kSyn | kFin | kAck));
  ExpectEstAck();  // RFC 5961 4.2 challenge ACK
  ExpectNothingSent();
  ExpectDrop(DropReason::kSynChallenged);
  ExpectEstablishedUnchanged();
}

// Defect fixed: a SYN+FIN with a higher sequence number passed RFC 6191's
// test, freed the record and was then discarded by the listener.
TEST_F(HostileTest, Hostile_SynFin_TimeWait) {
  TimeWaitRecord();
  const Instant entered = now_;
  Deliver(SegBuilder().Flags(kSyn | kFin).Seq(peer_nxt_ + 100000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kTimeWaitSynFin);
  ExpectTimeWaitUnchanged();
  ExpectTimeWaitExpiresOnTime(entered);
}

// SYN+RST: RFC 9293 checks RST before SYN everywhere.
TEST_F(HostileTest, Hostile_SynRst_Listen) {
  Listener();
  Deliver(Attacker().Flags(kSyn | kRst).Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenRst);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_SynRst_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Flags(kSyn | kRst).Seq(peer_nxt_ + 10));
  ExpectSynRcvdAck();  // RFC 5961 3.2: in window, not RCV.NXT
  ExpectDrop(DropReason::kRstChallenged);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_SynRst_Established) {
  Established();
  Deliver(SegBuilder().Flags(kSyn | kRst).Seq(peer_nxt_ + 10));
  ExpectEstAck();
  ExpectDrop(DropReason::kRstChallenged);
  ExpectEstablishedUnchanged();
}

TEST_F(HostileTest, Hostile_SynRst_TimeWait) {
  TimeWaitRecord();
  Deliver(SegBuilder().Flags(kSyn | kRst).Seq(peer_nxt_ + 10));
  ExpectNothingSent();
  ExpectDrop(DropReason::kTimeWaitRst);  // RFC 1337
  ExpectTimeWaitUnchanged();
}

// FIN without ACK: RFC 9293 3.10.7.4 fifth check, "if the ACK bit is off,
// drop the segment".
TEST_F(HostileTest, Hostile_FinWithoutAck_Listen) {
  Listener();
  Deliver(Attacker().Flags(kFin).Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenNoSyn);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_FinWithoutAck_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Flags(kFin).Seq(peer_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_FinWithoutAck_Established) {
  Established();
  Deliver(SegBuilder().Flags(kFin).Seq(peer_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectEstablishedUnchanged();
}

// Defect fixed: TIME-WAIT answered a FIN without ACK with an ACK (without
// rate limit) and restarted its 2 MSL timer, so a blind sender could hold
// the record forever and reflect ACKs off it.
TEST_F(HostileTest, Hostile_FinWithoutAck_TimeWait) {
  TimeWaitRecord();
  const Instant entered = now_;
  Advance(config_.msl);
  Deliver(SegBuilder().Flags(kFin).Seq(peer_nxt_ - 1));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectTimeWaitUnchanged();
  ExpectTimeWaitExpiresOnTime(entered);
}

// No flags at all (nmap's null scan).
TEST_F(HostileTest, Hostile_NullFlags_Listen) {
  Listener();
  Deliver(Attacker().Flags(0).Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenNoSyn);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_NullFlags_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Flags(0).Seq(peer_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_NullFlags_Established) {
  Established();
  Deliver(SegBuilder().Flags(0).Seq(peer_nxt_).Data("x"));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectEstablishedUnchanged();
  EXPECT_EQ(Read(), "");
}

TEST_F(HostileTest, Hostile_NullFlags_TimeWait) {
  TimeWaitRecord();
  Deliver(SegBuilder().Flags(0).Seq(peer_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectTimeWaitUnchanged();
}

// To a closed port the RFC requires an answer (3.10.7.1): a null segment
// gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
TEST_F(HostileTest, Hostile_NullFlags_Closed) {
  Mark();
  Deliver(Attacker().Flags(0).Seq(5000));
  ExpectSegment(kRst | kAck, 0, 5000, 0);
  ExpectDrop(DropReason::kNoSocket);
}

// Xmas (nmap -sX: FIN, PSH, URG).
constexpr uint8_t kXmas = kFin | kPsh | kUrg;

TEST_F(HostileTest, Hostile_Xmas_Listen) {
  Listener();
  Deliver(Attacker().Flags(kXmas).Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenNoSyn);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_Xmas_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Flags(kXmas).Seq(peer_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_Xmas_Established) {
  Established();
  Deliver(SegBuilder().Flags(kXmas).Seq(peer_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectEstablishedUnchanged();
}

TEST_F(HostileTest, Hostile_Xmas_TimeWait) {
  TimeWaitRecord();
  const Instant entered = now_;
  Deliver(SegBuilder().Flags(kXmas).Seq(peer_nxt_ - 1));
  ExpectNothingSent();
  ExpectDrop(DropReason::kNoAck);
  ExpectTimeWaitExpiresOnTime(entered);
}

TEST_F(HostileTest, Hostile_Xmas_Closed) {
  Mark();
  Deliver(Attacker().Flags(kXmas).Seq(5000));
  ExpectSegment(kRst | kAck, 0, 5001, 0);  // the FIN counts in SEG.LEN
  ExpectDrop(DropReason::kNoSocket);
}

// Every flag bit at once: the RST bit decides (RFC 9293 checks it first).
constexpr uint8_t kAllFlags = 0xff;

TEST_F(HostileTest, Hostile_AllFlags_Listen) {
  Listener();
  Deliver(Attacker().Flags(kAllFlags).Seq(5000).Ack(1));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenRst);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_AllFlags_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Flags(kAllFlags).Seq(peer_nxt_ + 7).Ack(our_nxt_));
  ExpectSynRcvdAck();
  ExpectDrop(DropReason::kRstChallenged);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_AllFlags_Established) {
  Established();
  Deliver(Peer().Flags(kAllFlags).Seq(peer_nxt_ + 7));
  ExpectEstAck();
  ExpectDrop(DropReason::kRstChallenged);
  ExpectEstablishedUnchanged();
}

TEST_F(HostileTest, Hostile_AllFlags_TimeWait) {
  TimeWaitRecord();
  Deliver(Peer().Flags(kAllFlags));
  ExpectNothingSent();
  ExpectDrop(DropReason::kTimeWaitRst);
  ExpectTimeWaitUnchanged();
}

// ===========================================================================
// Ports.

// Defect fixed: port 0 was answered (a SYN-ACK or a RST to port 0).
TEST_F(HostileTest, Hostile_SrcPortZero_Listen) {
  Listener();
  Deliver(SegBuilder().From(kRemoteAddr, 0).Syn().Seq(5000).Mss(1460));
  ExpectNothingSent();
  ExpectDrop(DropReason::kPortZero);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_DstPortZero_Closed) {
  Mark();
  Deliver(Attacker().To(kLocalAddr, 0).Syn().Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kPortZero);
}

// ===========================================================================
// SYN with data to a listener (tern has no TCP Fast Open: a SYN carrying a
// Fast Open option is the same segment to it). RFC 9293 3.10.7.2 lets the
// data be queued or not; tern answers the SYN alone and counts the data.

TEST_F(HostileTest, Hostile_SynWithData_Listen) {
  Listener();
  Deliver(Attacker().Syn().Seq(5000).Mss(1460).Data("GET / HTTP/1.0\r\n\r\n"));
  Sent sa = Pop();
  EXPECT_EQ(FlagsToString(sa.tcp.flags), FlagsToString(kSyn | kAck));
  EXPECT_EQ(sa.tcp.ack.raw(), 5001u);  // the SYN only
  EXPECT_EQ(sa.payload.size(), 0u);
  wire::TcpOptions want;
  want.mss = 1460;
  EXPECT_EQ(sa.tcp.options, want);
  ExpectNothingSent();
  ExpectDrop(DropReason::kSynData);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

TEST_F(HostileTest, Hostile_SynWithData_ListenCookies) {
  listen_options_.cookies = SynCookieMode::kAlways;
  Listener();
  Deliver(Attacker().Syn().Seq(5000).Mss(1460).Data(1000, 'd'));
  Sent sa = Pop();
  EXPECT_EQ(FlagsToString(sa.tcp.flags), FlagsToString(kSyn | kAck));
  EXPECT_EQ(sa.tcp.ack.raw(), 5001u);
  EXPECT_EQ(sa.payload.size(), 0u);
  ExpectNothingSent();
  ExpectDrop(DropReason::kSynData);
  ExpectListenerUnchanged();  // a cookie keeps no record
}

// Data on a duplicate SYN to a half-open record: the SYN-ACK again, no data.
TEST_F(HostileTest, Hostile_SynWithData_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460).Data("early"));
  Sent sa = Pop();
  EXPECT_EQ(FlagsToString(sa.tcp.flags), FlagsToString(kSyn | kAck));
  EXPECT_EQ(sa.tcp.seq.raw(), our_iss_);
  EXPECT_EQ(sa.tcp.ack.raw(), peer_nxt_);
  ExpectNothingSent();
  ExpectDrop(DropReason::kSynData);
  ExpectHalfOpenUnchanged();
}

// ===========================================================================
// SYN options (RFC 9293 3.7.1, RFC 7323 2.3, CVE-2019-11479).

// MSS 0: no MSS (Linux's tcp_parse_options), so 536 (RFC 9293 MUST-15).
TEST_F(HostileTest, Hostile_MssZero_Listen) {
  Listener();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(0));
  Sent sa = Pop();
  our_iss_ = sa.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
  peer_nxt_ = peer_iss_ + 1;
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_mss(), 536u);
  Write(std::string(1000, 'a'));
  EXPECT_EQ(Pop().payload.size(), 536u);
  EXPECT_EQ(Pop().payload.size(), 464u);
}

// CVE-2019-11479: a tiny MSS makes the sender cut its queue into many
// segments. tern sends at least 48 bytes per segment (Linux's
// tcp_min_snd_mss).
TEST_F(HostileTest, Hostile_MssBelow48_Listen) {
  Listener();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1));
  Sent sa = Pop();
  our_iss_ = sa.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
  peer_nxt_ = peer_iss_ + 1;
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_mss(), 48u);
  Write(std::string(100, 'a'));
  EXPECT_EQ(Pop().payload.size(), 48u);
  EXPECT_EQ(Pop().payload.size(), 48u);
  EXPECT_EQ(Pop().payload.size(), 4u);
  ExpectNothingSent();
}

// MSS above 65495 (the largest an IPv4 datagram carries): the smaller of it
// and our own MSS is used.
TEST_F(HostileTest, Hostile_MssAbove65495_Listen) {
  Listener();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(65535));
  Sent sa = Pop();
  our_iss_ = sa.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
  peer_nxt_ = peer_iss_ + 1;
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  Write(std::string(2000, 'a'));
  EXPECT_EQ(Pop().payload.size(), 1460u);
  EXPECT_EQ(Pop().payload.size(), 540u);
}

// RFC 7323 2.3: a shift above 14 is used as 14.
TEST_F(HostileTest, Hostile_WindowScaleAbove14_Listen) {
  Listener();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460).WindowScale(255));
  Sent sa = Pop();
  our_iss_ = sa.tcp.seq.raw();
  our_nxt_ = our_iss_ + 1;
  peer_nxt_ = peer_iss_ + 1;
  Deliver(Peer().Window(1));
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_wscale(), 14u);
  EXPECT_EQ(Conn()->snd_wnd(), 1u << 14);
}

// SYN-only options on later segments are ignored (RFC 7323 2.2, RFC 9293
// 3.7.1): a window scale, MSS or SACK-permitted on an ACK changes nothing.
TEST_F(HostileTest, Hostile_SynOptionsOnAck_Established) {
  Established();
  const uint32_t wnd = Conn()->snd_wnd();
  Deliver(Peer().Mss(1).WindowScale(14).SackPermitted());
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_wscale(), 7u);
  EXPECT_EQ(Conn()->snd_mss(), 1460u);
  EXPECT_EQ(Conn()->snd_wnd(), wnd);
  ExpectEstablishedUnchanged();
}

// Timestamps on a connection that did not negotiate them: ignored, never
// echoed (RFC 7323 3.2).
TEST_F(HostileTest, Hostile_TimestampsNotNegotiated_Established) {
  Established();
  Deliver(Peer().Ts(0xdeadbeef, 1).Data("a"));
  peer_nxt_ += 1;
  Advance(config_.delayed_ack + kSlack);
  // No TSopt; one unread byte takes one from the (scale 1) window.
  ExpectSegment(kAck, our_nxt_, peer_nxt_, (65536 - 1) >> 1);
  EXPECT_FALSE(Conn()->timestamps_enabled());
  EXPECT_EQ(Read(), "a");
}

// ===========================================================================
// Blind attacks, RFC 5961.

// In-window RST (3.2): a challenge ACK, the connection stays.
TEST_F(HostileTest, Hostile_BlindRstInWindow_Listen) {
  Listener();
  Deliver(Attacker().Rst().Seq(5000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kListenRst);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_BlindRstInWindow_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1000));
  ExpectSynRcvdAck();
  ExpectDrop(DropReason::kRstChallenged);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_BlindRstInWindow_Established) {
  Established();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1000));
  ExpectEstAck();
  ExpectDrop(DropReason::kRstChallenged);
  ExpectEstablishedUnchanged();
}

TEST_F(HostileTest, Hostile_BlindRstInWindow_TimeWait) {
  TimeWaitRecord();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_));  // even at RCV.NXT: RFC 1337
  ExpectNothingSent();
  ExpectDrop(DropReason::kTimeWaitRst);
  ExpectTimeWaitUnchanged();
}

// Out-of-window RST: silently dropped.
TEST_F(HostileTest, Hostile_BlindRstOutOfWindow_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 0x40000000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kRstOutOfWindow);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_BlindRstOutOfWindow_Established) {
  Established();
  Deliver(SegBuilder().RstAck().Seq(peer_nxt_ - 1).Ack(our_nxt_));
  ExpectNothingSent();
  ExpectDrop(DropReason::kRstOutOfWindow);
  ExpectEstablishedUnchanged();
}

// Blind SYN (4.2): a challenge ACK whatever the sequence number.
TEST_F(HostileTest, Hostile_BlindSyn_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Syn().Seq(peer_iss_ - 77777).Mss(1460));
  ExpectSynRcvdAck();
  ExpectDrop(DropReason::kSynChallenged);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_BlindSyn_Established) {
  Established();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ + 5).Mss(1460));
  ExpectEstAck();
  ExpectDrop(DropReason::kSynChallenged);
  ExpectEstablishedUnchanged();
}

// A SYN below RCV.NXT does not reopen TIME-WAIT (RFC 6191): our ACK, named.
TEST_F(HostileTest, Hostile_BlindSyn_TimeWait) {
  TimeWaitRecord();
  Deliver(SegBuilder().Syn().Seq(peer_nxt_ - 100).Mss(1460));
  ExpectTimeWaitAck();
  ExpectDrop(DropReason::kTimeWaitSyn);
  ExpectTimeWaitUnchanged();
}

// A SYN-ACK nobody asked for.
TEST_F(HostileTest, Hostile_UnsolicitedSynAck_Listen) {
  Listener();
  Deliver(Attacker().SynAck().Seq(5000).Ack(777));
  ExpectSegment(kRst, 777, 0, 0);  // <SEQ=SEG.ACK><CTL=RST>
  ExpectDrop(DropReason::kListenAck);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_UnsolicitedSynAck_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().SynAck().Seq(peer_nxt_).Ack(our_nxt_));
  ExpectSynRcvdAck();
  ExpectDrop(DropReason::kSynChallenged);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_UnsolicitedSynAck_Established) {
  Established();
  Deliver(Peer().SynAck().Seq(peer_nxt_ + 3));
  ExpectEstAck();
  ExpectDrop(DropReason::kSynChallenged);
  ExpectEstablishedUnchanged();
}

TEST_F(HostileTest, Hostile_UnsolicitedSynAck_TimeWait) {
  TimeWaitRecord();
  Deliver(Peer().SynAck());
  ExpectTimeWaitAck();
  ExpectDrop(DropReason::kTimeWaitSyn);
  ExpectTimeWaitUnchanged();
}

// ACK of data never sent (5.2 for ESTABLISHED; RFC 9293 3.10.7.4 for a
// half-open record; 3.10.7.2 for a listener).
TEST_F(HostileTest, Hostile_AckOfUnsentData_Listen) {
  Listener();
  Deliver(Attacker().AckOnly().Seq(5000).Ack(123456));
  ExpectSegment(kRst, 123456, 0, 0);
  ExpectDrop(DropReason::kListenAck);
  ExpectListenerUnchanged();
}

TEST_F(HostileTest, Hostile_AckOfUnsentData_SynReceived) {
  SynReceived();
  Deliver(Peer().Ack(our_nxt_ + 1000));
  ExpectSegment(kRst, our_nxt_ + 1000, 0, 0);
  ExpectDrop(DropReason::kSynRcvdBadAck);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_AckOfUnsentData_Established) {
  Established();
  Deliver(Peer().Ack(our_nxt_ + 1000).Data("inject"));
  ExpectEstAck();
  ExpectDrop(DropReason::kAckTooNew);
  ExpectEstablishedUnchanged();
  EXPECT_EQ(Read(), "");
}

TEST_F(HostileTest, Hostile_AckOfUnsentData_TimeWait) {
  TimeWaitRecord();
  Deliver(Peer().Ack(our_nxt_ + 1000));
  ExpectNothingSent();
  ExpectDrop(DropReason::kTimeWaitAck);
  ExpectTimeWaitUnchanged();
}

// ACK below SND.UNA - MAX.SND.WND (5.2).
TEST_F(HostileTest, Hostile_AckTooOld_Established) {
  Established();
  Deliver(Peer().Ack(our_nxt_ - 0x10000000).Data("inject"));
  ExpectEstAck();
  ExpectDrop(DropReason::kAckTooOld);
  ExpectEstablishedUnchanged();
  EXPECT_EQ(Read(), "");
}

// A blind window update: an ACK below SND.UNA with window 0 is not applied
// (RFC 9293 3.10.7.4 fifth, SND.WL1/SND.WL2), so it cannot stall us.
TEST_F(HostileTest, Hostile_BlindZeroWindow_Established) {
  Established();
  const uint32_t wnd = Conn()->snd_wnd();
  Deliver(Peer().Ack(our_nxt_ - 1).Window(0));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->snd_wnd(), wnd);
  ExpectEstablishedUnchanged();
}

// ===========================================================================
// Timestamps (RFC 7323 5.3 PAWS; 4.3 TS.Recent).

TEST_F(HostileTest, Hostile_PawsOldTsval_SynReceived) {
  peer_tsval_ = 1000;
  SynReceived();
  Deliver(SegBuilder().AckOnly().Seq(peer_nxt_).Ack(our_nxt_).Ts(999, 0));
  Sent a = Pop();
  EXPECT_EQ(FlagsToString(a.tcp.flags), FlagsToString(kAck));
  EXPECT_EQ(a.tcp.seq.raw(), our_nxt_);
  EXPECT_EQ(a.tcp.ack.raw(), peer_nxt_);
  ASSERT_TRUE(a.tcp.options.timestamps.has_value());
  EXPECT_EQ(a.tcp.options.timestamps->tsecr, 1000u);
  ExpectNothingSent();
  ExpectDrop(DropReason::kPaws);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_PawsOldTsval_Established) {
  peer_tsval_ = 1000;
  Established();
  Deliver(Peer().Ts(999, 0).Data("replayed"));
  Sent a = Pop();
  EXPECT_EQ(FlagsToString(a.tcp.flags), FlagsToString(kAck));
  EXPECT_EQ(a.tcp.ack.raw(), peer_nxt_);
  ASSERT_TRUE(a.tcp.options.timestamps.has_value());
  EXPECT_EQ(a.tcp.options.timestamps->tsecr, 1000u);
  ExpectNothingSent();
  ExpectDrop(DropReason::kPaws);
  ExpectEstablishedUnchanged();
  EXPECT_EQ(Read(), "");
}

TEST_F(HostileTest, Hostile_PawsOldTsval_TimeWait) {
  peer_tsval_ = 1000;
  TimeWaitRecord();
  Deliver(Peer().Ts(999, 0));
  Sent a = Pop();
  EXPECT_EQ(FlagsToString(a.tcp.flags), FlagsToString(kAck));
  EXPECT_EQ(a.tcp.ack.raw(), peer_nxt_);
  ASSERT_TRUE(a.tcp.options.timestamps.has_value());
  EXPECT_EQ(a.tcp.options.timestamps->tsecr, 1000u);
  ExpectDrop(DropReason::kTimeWaitPaws);
  ExpectTimeWaitUnchanged();
}

// TS.Recent poisoning: a segment with an unacceptable ACK and a TSval far
// ahead must not be recorded, or every later segment of the real peer would
// fail PAWS.
TEST_F(HostileTest, Hostile_TsRecentPoisoning_SynReceived) {
  peer_tsval_ = 1000;
  SynReceived();
  Deliver(SegBuilder()
              .AckOnly()
              .Seq(peer_nxt_)
              .Ack(our_nxt_ + 5)
              .Ts(0x7fff0000, 0));
  ExpectSegment(kRst, our_nxt_ + 5, 0, 0);  // <SEQ=SEG.ACK><CTL=RST>
  ExpectDrop(DropReason::kSynRcvdBadAck);
  ExpectHalfOpenUnchanged();
  // The real final ACK, with the peer's next TSval, still passes PAWS.
  Deliver(Peer().Ts(1001, 0));
  ExpectNothingSent();
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(HostileTest, Hostile_TsRecentPoisoning_Established) {
  peer_tsval_ = 1000;
  Established();
  Deliver(Peer().Ack(our_nxt_ + 100000).Ts(0x7fff0000, 0));
  Sent a = Pop();
  ASSERT_TRUE(a.tcp.options.timestamps.has_value());
  EXPECT_EQ(a.tcp.options.timestamps->tsecr, 1000u);
  ExpectDrop(DropReason::kAckTooNew);
  peer_tsval_ = 1001;
  Deliver(Peer().Data("real"));
  EXPECT_EQ(Read(), "real");
  EXPECT_EQ(Drops(DropReason::kPaws), 0u);
}

// ===========================================================================
// Sequence space.

TEST_F(HostileTest, Hostile_DataBeyondWindow_SynReceived) {
  SynReceived();
  Deliver(Peer().Seq(peer_nxt_ + 200000).Data("far"));
  ExpectSynRcvdAck();
  ExpectDrop(DropReason::kUnacceptableSeq);
  ExpectHalfOpenUnchanged();
}

TEST_F(HostileTest, Hostile_DataBeyondWindow_Established) {
  Established();
  Deliver(Peer().Seq(peer_nxt_ + 200000).Data("far"));
  ExpectEstAck();
  ExpectDrop(DropReason::kUnacceptableSeq);
  ExpectEstablishedUnchanged();
}

// Defect fixed: data in TIME-WAIT was answered without a named reason.
TEST_F(HostileTest, Hostile_DataBeyondWindow_TimeWait) {
  TimeWaitRecord();
  Deliver(Peer().Seq(peer_nxt_ + 200000).Data("far"));
  ExpectTimeWaitAck();
  ExpectDrop(DropReason::kTimeWaitData);
  ExpectTimeWaitUnchanged();
}

// Data after the peer's FIN (CLOSE-WAIT).
TEST_F(HostileTest, Hostile_DataAfterFin_CloseWait) {
  MakeCloseWait();
  Mark();
  Deliver(Peer().Data("after the end"));
  // The FIN took one byte of the window (scale 1).
  ExpectSegment(kAck, our_nxt_, peer_nxt_, (65536 - 1) >> 1);
  ExpectDrop(DropReason::kDataAfterFin);
  EXPECT_EQ(ConnState(), State::kCloseWait);
  EXPECT_EQ(Read(), "");
}

// Zero-window probe abuse: probes with large payloads into a closed window
// are answered (RFC 9293 3.8.6.1: the receiver MUST keep ACKing) and none
// of their bytes is stored.
TEST_F(HostileTest, Hostile_ZeroWindowProbeAbuse_Established) {
  Established();
  // Fill the 64 KiB receive buffer without reading.
  for (int i = 0; i < 64; ++i) {
    Deliver(Peer().Data(1024, 'f'));
    peer_nxt_ += 1024;
  }
  Advance(config_.delayed_ack + kSlack);
  DropSent();
  // The last segment filled the window only in part (65535 bytes fit).
  peer_nxt_ = Conn()->rcv_nxt().raw();
  const size_t held = Conn()->readable_bytes();
  EXPECT_EQ(held, 65535u);
  Mark();
  for (int i = 0; i < 10; ++i) {
    Deliver(Peer().Data(1460, 'p'));
    ExpectSegment(kAck, our_nxt_, peer_nxt_, 0);
  }
  ExpectDrop(DropReason::kUnacceptableSeq, 10);
  EXPECT_EQ(Conn()->readable_bytes(), held);
  EXPECT_EQ(Conn()->rcv_nxt().raw(), peer_nxt_);
}

// Urgent pointer abuse: URG with a pointer past the data, or with no data.
// tern delivers urgent data inline and ignores the pointer (RFC 6093 6).
TEST_F(HostileTest, Hostile_UrgentPointerAbuse_Established) {
  Established();
  SegBuilder b = Peer();
  b.Flags(kAck | kUrg).Data("u");
  DeliverEdited(b, [](wire::TcpRepr& t) { t.urgent_ptr = 0xffff; });
  peer_nxt_ += 1;
  SegBuilder e = Peer();
  e.Flags(kAck | kUrg);
  DeliverEdited(e, [](wire::TcpRepr& t) { t.urgent_ptr = 0x8000; });
  EXPECT_EQ(Read(), "u");
  EXPECT_EQ(TotalDrops() - total_marked_, 0u);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

// Tiny out-of-order segments, each leaving a hole: the assembler's range
// bound refuses the rest, counted.
TEST_F(HostileTest, Hostile_OutOfOrderTinySegments_Established) {
  Established();
  for (uint32_t i = 0; i < 200; ++i) {
    Deliver(Peer().Seq(peer_nxt_ + 1 + 2 * i).Data("x"));
  }
  DropSent();
  EXPECT_GT(Drops(DropReason::kReassemblyRangesFull), 0u);
  EXPECT_EQ(TotalDrops() - total_marked_,
            Drops(DropReason::kReassemblyRangesFull));
  // The first hole filled: the byte held after it is delivered in order,
  // up to the next hole.
  Deliver(Peer().Data("y"));
  EXPECT_EQ(Read(), "yx");
}

// ===========================================================================
// SACK (RFC 2018, RFC 2883; CVE-2019-11477/8).

class HostileSackTest : public HostileTest {
 protected:
  // Established with SACK, and five full segments in flight.
  void InFlight() {
    Established();
    ASSERT_TRUE(Conn()->sack_enabled());
    Write(std::string(5 * 1460, 's'));
    for (int i = 0; i < 5; ++i) {
      Pop();
    }
    base_ = our_nxt_;
    our_nxt_ += 5 * 1460;
    Mark();
  }
  // A duplicate ACK at SND.UNA carrying `blocks`.
  SegBuilder Dup(std::initializer_list<std::pair<uint32_t, uint32_t>> blocks) {
    SegBuilder b = Peer();
    b.Ack(base_).Sack(blocks);
    return b;
  }
  uint32_t base_ = 0;
};

TEST_F(HostileSackTest, Hostile_SackBeyondSndNxt_Established) {
  InFlight();
  Deliver(Dup({{our_nxt_ + 1000, our_nxt_ + 2000}}));
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().sack_blocks_ignored.Get(), 1u);
  EXPECT_EQ(Conn()->scoreboard().range_count(), 0u);
}

TEST_F(HostileSackTest, Hostile_SackInverted_Established) {
  InFlight();
  Deliver(Dup({{base_ + 2920, base_ + 1460}, {base_ + 100, base_ + 100}}));
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().sack_blocks_ignored.Get(), 2u);
  EXPECT_EQ(Conn()->scoreboard().range_count(), 0u);
}

TEST_F(HostileSackTest, Hostile_SackBelowSndUna_Established) {
  InFlight();
  // Below SND.UNA and not a D-SACK (the first block is a valid one).
  Deliver(Dup({{base_ + 1460, base_ + 2920}, {base_ - 3000, base_ - 1000}}));
  ExpectNothingSent();
  EXPECT_EQ(ep_->stats().sack_blocks_ignored.Get(), 1u);
  EXPECT_EQ(Conn()->scoreboard().range_count(), 1u);
  EXPECT_EQ(Conn()->scoreboard().SackedBytes(), 1460u);
}

TEST_F(HostileSackTest, Hostile_SackOverlapping_Established) {
  InFlight();
  Deliver(Dup({{base_ + 1460, base_ + 4380},
               {base_ + 2920, base_ + 5840},
               {base_ + 1500, base_ + 1600}}));
  EXPECT_EQ(Conn()->scoreboard().range_count(), 1u);
  EXPECT_EQ(Conn()->scoreboard().SackedBytes(), 4380u);
  EXPECT_EQ(ConnState(), State::kEstablished);
}

// More blocks than fit: the wire parser refuses a fifth block
// (tests/unit/wire); four are all the core can be given, and the harness's
// builder keeps four.
TEST_F(HostileSackTest, Hostile_SackFourBlocks_Established) {
  InFlight();
  Deliver(Dup({{base_ + 100, base_ + 200},
               {base_ + 300, base_ + 400},
               {base_ + 500, base_ + 600},
               {base_ + 700, base_ + 800}}));
  EXPECT_EQ(Conn()->scoreboard().range_count(), 4u);
}

// CVE-2019-11478's shape: SACK blocks of one byte at every other position,
// many times over, to split the sender's bookkeeping into ever more pieces.
// The scoreboard is a fixed array: it stays within kMaxRanges, and the
// retransmissions it drives are bounded by what is in flight.
TEST_F(HostileSackTest, Hostile_SackScoreboardFragmentation_Established) {
  InFlight();
  const uint64_t rtx0 = ep_->stats().retransmits.Get();
  for (uint32_t i = 0; i < 500; ++i) {
    const uint32_t o = (i * 37 % 3600) * 2 + 1;
    Deliver(Dup({{base_ + o, base_ + o + 1},
                 {base_ + o + 2, base_ + o + 3},
                 {base_ + o + 4, base_ + o + 5},
                 {base_ + o + 6, base_ + o + 7}}));
    ASSERT_LE(Conn()->scoreboard().range_count(), SackScoreboard::kMaxRanges);
  }
  DropSent();
  EXPECT_EQ(Conn()->scoreboard().range_count(), SackScoreboard::kMaxRanges);
  EXPECT_LE(ep_->stats().retransmits.Get() - rtx0, 500u);
  // The real ACK clears it all.
  Deliver(Peer().Ack(our_nxt_));
  EXPECT_EQ(Conn()->scoreboard().range_count(), 0u);
  EXPECT_EQ(Conn()->snd_una().raw(), our_nxt_);
}

// The scoreboard is out of line (scoreboard_pool.h): none is held until an
// ACK brings SACK blocks to record, and it goes back to the pool as soon as
// cumulative ACKs cover every SACKed range.
TEST_F(HostileSackTest, Established_SackThenCumulativeAck_ScoreboardGivenBack) {
  InFlight();
  EXPECT_FALSE(Conn()->holds_scoreboard());
  EXPECT_EQ(ep_->scoreboards_in_use(), 0u);
  Deliver(Dup({{base_ + 1460, base_ + 2920}}));
  EXPECT_TRUE(Conn()->holds_scoreboard());
  EXPECT_EQ(ep_->scoreboards_in_use(), 1u);
  DropSent();
  // Below the SACKed range: the range stays, so does the scoreboard.
  Deliver(Peer().Ack(base_ + 1460).Sack({{base_ + 1460, base_ + 2920}}));
  DropSent();
  EXPECT_EQ(ep_->scoreboards_in_use(), 1u);
  Deliver(Peer().Ack(our_nxt_));
  EXPECT_FALSE(Conn()->holds_scoreboard());
  EXPECT_EQ(ep_->scoreboards_in_use(), 0u);
  EXPECT_EQ(ep_->stats().sack_scoreboard_refused.Get(), 0u);
}

// Blocks that record nothing (all ignored) leave no scoreboard held.
TEST_F(HostileSackTest, Established_IgnoredSackBlocks_NoScoreboardHeld) {
  InFlight();
  Deliver(Dup({{our_nxt_ + 1000, our_nxt_ + 2000}}));
  EXPECT_EQ(ep_->stats().sack_blocks_ignored.Get(), 1u);
  EXPECT_FALSE(Conn()->holds_scoreboard());
  EXPECT_EQ(ep_->scoreboards_in_use(), 0u);
}

// A retransmission timeout forgets SACK information (RFC 2018 section 8):
// the scoreboard goes back to the pool.
TEST_F(HostileSackTest, Established_RtoWithSackInfo_ScoreboardGivenBack) {
  InFlight();
  Deliver(Dup({{base_ + 1460, base_ + 2920}}));
  ASSERT_EQ(ep_->scoreboards_in_use(), 1u);
  DropSent();
  Advance(Duration::Seconds(2));
  EXPECT_GT(ep_->stats().rto_expiries.Get(), 0u);
  EXPECT_EQ(ep_->scoreboards_in_use(), 0u);
  EXPECT_EQ(Conn()->scoreboard().range_count(), 0u);
}

// At the bound (EndpointConfig::max_sack_scoreboards) a connection that holds
// no scoreboard does not record its SACK blocks, and the refusal is counted;
// the ACK is still processed (its cumulative part), and once the holder gives
// its scoreboard back the next connection gets it.
TEST_F(HostileSackTest, Established_ScoreboardPoolExhausted_RefusalCounted) {
  config_.max_sack_scoreboards = 1;
  Recreate();
  MakeListen();
  const uint16_t kPorts[2] = {41000, 41001};
  uint32_t ours[2];
  ConnHandle handles[2];
  const std::string data(3 * 1460, 's');
  for (int i = 0; i < 2; ++i) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, kPorts[i])
                .Syn()
                .Seq(1)
                .Mss(1460)
                .SackPermitted());
    Flush();
    ASSERT_FALSE(sink_.sent.empty());
    ours[i] = sink_.sent.back().tcp.seq.raw() + 1;
    DropSent();
    Deliver(SegBuilder()
                .From(kRemoteAddr, kPorts[i])
                .AckOnly()
                .Seq(2)
                .Ack(ours[i]));
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    ASSERT_TRUE(h.has_value());
    handles[i] = *h;
    ASSERT_TRUE(ep_->Find(handles[i])->sack_enabled());
    ASSERT_EQ(ep_->Send(handles[i],
                        std::span<const uint8_t>(
                            reinterpret_cast<const uint8_t*>(data.data()),
                            data.size()),
                        now_)
                  .error,
              SockError::kOk);
  }
  DropSent();
  EXPECT_EQ(ep_->scoreboards_capacity(), 1u);
  auto sack = [&](int i, uint32_t ack, uint32_t left, uint32_t right) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, kPorts[i])
                .AckOnly()
                .Seq(2)
                .Ack(ack)
                .Sack({{left, right}}));
  };
  // The first connection's SACK block takes the only scoreboard.
  sack(0, ours[0], ours[0] + 1460, ours[0] + 2920);
  EXPECT_EQ(ep_->scoreboards_in_use(), 1u);
  // The second's finds none: not recorded, counted, the ACK still taken.
  sack(1, ours[1] + 100, ours[1] + 1460, ours[1] + 2920);
  EXPECT_EQ(ep_->stats().sack_scoreboard_refused.Get(), 1u);
  EXPECT_FALSE(ep_->Find(handles[1])->holds_scoreboard());
  EXPECT_EQ(ep_->Find(handles[1])->snd_una().raw(), ours[1] + 100);
  // The first's cumulative ACK covers everything and gives it back; the
  // second's next SACK block gets it.
  Deliver(SegBuilder()
              .From(kRemoteAddr, kPorts[0])
              .AckOnly()
              .Seq(2)
              .Ack(ours[0] + static_cast<uint32_t>(data.size())));
  EXPECT_EQ(ep_->scoreboards_in_use(), 0u);
  sack(1, ours[1] + 100, ours[1] + 1460, ours[1] + 2920);
  EXPECT_TRUE(ep_->Find(handles[1])->holds_scoreboard());
  EXPECT_EQ(ep_->Find(handles[1])->scoreboard().SackedBytes(), 1460u);
  EXPECT_EQ(ep_->stats().sack_scoreboard_refused.Get(), 1u);
  DropSent();
}

// SACK blocks on a connection that did not negotiate SACK: ignored.
TEST_F(HostileTest, Hostile_SackNotNegotiated_Established) {
  peer_offers_options_ = false;
  Established();
  ASSERT_FALSE(Conn()->sack_enabled());
  Write(std::string(2 * 536, 's'));
  Pop();
  Pop();
  Deliver(Peer().Sack({{our_nxt_ + 536, our_nxt_ + 1072}}));
  ExpectNothingSent();
  EXPECT_EQ(Conn()->scoreboard().range_count(), 0u);
  EXPECT_EQ(ep_->stats().sack_blocks_ignored.Get(), 0u);
}

// ===========================================================================
// Listener-specific.

// A bare ACK with a forged cookie (cookies on): answered with a RST, the
// cookie counted as rejected, nothing created.
TEST_F(HostileTest, Hostile_ForgedCookieAck_Listen) {
  listen_options_.cookies = SynCookieMode::kAlways;
  Listener();
  Deliver(Attacker().AckOnly().Seq(5001).Ack(0x12345678));
  ExpectSegment(kRst, 0x12345678, 0, 0);
  ExpectDrop(DropReason::kListenAck);
  EXPECT_EQ(ep_->stats().listen.cookies_rejected_bad_mac.Get() +
                ep_->stats().listen.cookies_rejected_expired.Get() +
                ep_->stats().listen.cookies_rejected_bad_mss_index.Get(),
            1u);
  ExpectListenerUnchanged();
}

// A duplicate SYN to a half-open record answered once per 500 ms.
TEST_F(HostileTest, Hostile_DuplicateSynFlood_SynReceived) {
  SynReceived();
  Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  Sent sa = Pop();
  EXPECT_EQ(FlagsToString(sa.tcp.flags), FlagsToString(kSyn | kAck));
  for (int i = 0; i < 50; ++i) {
    Deliver(SegBuilder().Syn().Seq(peer_iss_).Mss(1460));
  }
  ExpectNothingSent();
  ExpectDrop(DropReason::kDupSynRateLimited, 50);
  ExpectHalfOpenUnchanged();
}

// A SYN flood past the SYN queue with cookies off: refused and counted.
TEST_F(HostileTest, Hostile_SynFloodCookiesOff_Listen) {
  listen_options_.cookies = SynCookieMode::kOff;
  Listener();
  for (uint16_t p = 0; p < 20; ++p) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, static_cast<uint16_t>(20000 + p))
                .Syn()
                .Seq(1)
                .Mss(1460));
  }
  EXPECT_EQ(ep_->half_open_count(listener_), listen_options_.syn_backlog);
  EXPECT_EQ(SentCount(), listen_options_.syn_backlog);
  ExpectDrop(DropReason::kSynQueueFull, 20 - listen_options_.syn_backlog);
}

// ===========================================================================
// CVE-2016-5696: the challenge-ACK budget as a side channel. The attacker
// holds a connection of its own (from kRemotePort) and counts the challenge
// ACKs it draws on it with in-window RSTs; between two counts it sends
// spoofed segments at a victim (another connection, a half-open record or a
// TIME-WAIT record). With one budget per endpoint, as Linux before 4.7 and
// tern before this test, the victim's challenges came out of the attacker's
// count, which told the attacker that its guess of the victim's 4-tuple and
// sequence window had hit. Each test runs the attacker's probe once with the
// victim left alone and once after a flood at it: the counts must be equal.

class ChallengeSideChannelTest : public HostileTest {
 protected:
  static constexpr uint32_t kBudget = 5;
  static constexpr uint16_t kVictimPort = 41000;
  static constexpr int kProbes = 20;

  void SetUp() override {
    config_.challenge_ack_per_second = kBudget;
    HostileTest::SetUp();
  }
  // The attacker's connection (kRemotePort) and the listener.
  void AttackerConnection() { MakeEstablished(); }
  // The victim: a connection from kVictimPort; returns our ISS for it.
  uint32_t VictimConnection() {
    const uint32_t iss = PassiveHandshake(kVictimPort);
    DropSent();
    victim_conn_ = *ep_->Accept(listener_);
    return iss;
  }
  // The attacker's count: challenge ACKs drawn by kProbes in-window RSTs on
  // its own connection within one second.
  size_t Probe() {
    DropSent();
    for (int i = 0; i < kProbes; ++i) {
      Deliver(SegBuilder().Rst().Seq(peer_nxt_ + 1 + i));
    }
    return SentCount();
  }
  ConnHandle victim_conn_;
};

TEST_F(ChallengeSideChannelTest, Hostile_ChallengeAckSideChannel_Established) {
  AttackerConnection();
  VictimConnection();
  const size_t quiet = Probe();
  EXPECT_EQ(quiet, kBudget);
  Advance(Duration::Seconds(2));

  // 1000 spoofed in-window RSTs at the victim, then the same probe.
  for (int i = 0; i < 1000; ++i) {
    Deliver(SegBuilder().From(kRemoteAddr, kVictimPort).Rst().Seq(3 + 7 * i));
  }
  DropSent();
  EXPECT_GT(ep_->stats().challenge_acks_limited.Get(), 0u);
  EXPECT_EQ(Probe(), quiet);
  // The victim is unharmed.
  const Connection* v = ep_->Find(victim_conn_);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->state(), State::kEstablished);
}

TEST_F(ChallengeSideChannelTest, Hostile_ChallengeAckSideChannel_SynReceived) {
  AttackerConnection();
  // The victim: a half-open record from kVictimPort.
  Deliver(
      SegBuilder().From(kRemoteAddr, kVictimPort).Syn().Seq(7000).Mss(1460));
  DropSent();
  const size_t quiet = Probe();
  Advance(Duration::Seconds(2));
  // The record may have retransmitted its SYN-ACK meanwhile.
  DropSent();
  for (int i = 0; i < 1000; ++i) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, kVictimPort)
                .Syn()
                .Seq(9000 + 13 * i)
                .Mss(1460));
  }
  DropSent();
  EXPECT_EQ(Probe(), quiet);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
}

TEST_F(ChallengeSideChannelTest, Hostile_ChallengeAckSideChannel_TimeWait) {
  AttackerConnection();
  // The victim: a TIME-WAIT record from kVictimPort, closed by us first.
  VictimConnection();
  ASSERT_EQ(ep_->Close(victim_conn_, now_), SockError::kOk);
  Sent fin = Pop();
  ASSERT_TRUE(fin.Has(kFin));
  Deliver(SegBuilder()
              .From(kRemoteAddr, kVictimPort)
              .Fin()
              .Seq(2)
              .Ack(fin.tcp.seq.raw() + 1));
  DropSent();
  ASSERT_EQ(ep_->time_wait_count(), 1u);
  const size_t quiet = Probe();
  Advance(Duration::Seconds(2));
  for (int i = 0; i < 1000; ++i) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, kVictimPort)
                .AckOnly()
                .Seq(100000 + i)
                .Ack(fin.tcp.seq.raw() + 1));
  }
  DropSent();
  EXPECT_EQ(Probe(), quiet);
  EXPECT_EQ(ep_->time_wait_count(), 1u);
}

}  // namespace
}  // namespace tern::tcp::testing
