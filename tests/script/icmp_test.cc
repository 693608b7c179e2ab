// ICMP errors about segments the endpoint sent (Endpoint::OnIcmpError):
// RFC 5927's sequence check, RFC 1191 path MTU discovery with RFC 5927
// section 7.2's size check and Linux's 552-byte floor, hard errors ending a
// connection attempt or a half-open record, soft errors in synchronized
// states reported only when the connection times out (RFC 1122 4.2.3.9,
// Linux's tcp_v4_err and tcp_write_err).
#include "lib/tcp/icmp.h"

#include <gtest/gtest.h>

#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr uint8_t kNetUnreachable = 0;
constexpr uint8_t kHostUnreachable = 1;
constexpr uint8_t kPortUnreachable = 3;
constexpr uint8_t kFragNeeded = 4;

IcmpError MakeIcmp(IcmpError::Kind kind, uint8_t code, uint32_t seq,
                   uint16_t mtu = 0, uint16_t quoted_length = 0) {
  IcmpError e;
  e.kind = kind;
  e.code = code;
  e.next_hop_mtu = mtu;
  e.quoted_length = quoted_length;
  e.tuple = FourTuple{kLocalAddr, kRemoteAddr, kLocalPort, kRemotePort};
  e.seq = SeqNum(seq);
  return e;
}

IcmpError FragNeeded(uint32_t seq, uint16_t mtu, uint16_t quoted_length) {
  return MakeIcmp(IcmpError::Kind::kFragmentationNeeded, kFragNeeded, seq, mtu,
                  quoted_length);
}

class IcmpTest : public ScriptTest {
 protected:
  void DeliverIcmp(const IcmpError& e) {
    ep_->OnIcmpError(e, now_);
    Flush();
  }
  // Sends `n` bytes and pops the segments carrying them; returns their
  // payload lengths.
  std::vector<size_t> WriteAndCollect(size_t n) {
    EXPECT_EQ(Write(std::string(n, 'p')), n);
    std::vector<size_t> lens;
    while (SentCount() > 0) {
      lens.push_back(Pop().payload.size());
    }
    return lens;
  }
};

// ---- path MTU discovery (RFC 1191)

TEST_F(IcmpTest, Established_FragNeeded_MssLoweredFlightResentSmaller) {
  MakeEstablished();  // the peer announced MSS 1460, no timestamps
  ASSERT_EQ(Conn()->snd_mss(), 1460);
  EXPECT_EQ(WriteAndCollect(3000), (std::vector<size_t>{1460, 1460, 80}));
  const uint64_t cwnd = Conn()->send_cwnd();
  // A router with a 1000-byte next hop quotes the first 1500-byte packet.
  DeliverIcmp(FragNeeded(our_nxt_, 1000, 1500));
  EXPECT_EQ(Conn()->snd_mss(), 960);
  EXPECT_EQ(ep_->stats().pmtu_decreases.Get(), 1u);
  // Everything unacknowledged goes again in 960-byte segments at once, from
  // SND.UNA, without a congestion response.
  Sent first = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(960);
  EXPECT_EQ(first.payload.size(), 960u);
  Sent second = ExpectSent(kAck, our_nxt_ + 960, peer_nxt_).Len(960);
  EXPECT_EQ(second.payload.size(), 960u);
  Sent third = ExpectSent(kAck, our_nxt_ + 1920, peer_nxt_).Len(960);
  EXPECT_EQ(third.payload.size(), 960u);
  Sent last = ExpectSent(kAck | kPsh, our_nxt_ + 2880, peer_nxt_).Len(120);
  EXPECT_EQ(last.payload.size(), 120u);
  ExpectNothingSent();
  EXPECT_EQ(Conn()->send_cwnd(), cwnd);
  EXPECT_EQ(ep_->stats().retransmits.Get(), 4u);
  // New data is cut to the new size too.
  Deliver(Peer().Ack(our_nxt_ + 3000));
  our_nxt_ += 3000;
  EXPECT_EQ(WriteAndCollect(2000), (std::vector<size_t>{960, 960, 80}));
}

TEST_F(IcmpTest, Established_FragNeededWithTimestamps_OptionsComeOutOfMss) {
  peer_tsval_ = 100;
  MakeEstablished();
  DeliverIcmp(FragNeeded(our_nxt_ - 1, 1000, 1500));  // SND.UNA - 1: too old
  EXPECT_EQ(Drops(DropReason::kIcmpOutOfWindow), 1u);
  EXPECT_EQ(WriteAndCollect(2000), (std::vector<size_t>{1448, 552}));
  DeliverIcmp(FragNeeded(our_nxt_ + 1448, 1000, 1500));
  EXPECT_EQ(Conn()->snd_mss(), 960);
  // 960 less the 12 bytes of the timestamp option on every segment.
  Sent first = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(948);
  EXPECT_EQ(first.payload.size(), 948u);
  Sent second = ExpectSent(kAck, our_nxt_ + 948, peer_nxt_).Len(948);
  EXPECT_EQ(second.payload.size(), 948u);
  Sent third = ExpectSent(kAck | kPsh, our_nxt_ + 1896, peer_nxt_).Len(104);
  EXPECT_EQ(third.payload.size(), 104u);
  ExpectNothingSent();
}

TEST_F(IcmpTest, Established_FragNeededBelowFloor_Floor552Used) {
  MakeEstablished();
  WriteAndCollect(1460);
  // RFC 1191's absolute minimum, and an old router's 0: both give Linux's
  // min_pmtu of 552, so a forged message cannot shrink segments further
  // (RFC 5927 section 7.1).
  DeliverIcmp(FragNeeded(our_nxt_, 68, 1500));
  EXPECT_EQ(Conn()->snd_mss(), kMinPathMtu - kIpTcpHeaderBytes);
  Sent resent = ExpectSent(kAck, our_nxt_, peer_nxt_).Len(512);
  EXPECT_EQ(resent.payload.size(), 512u);
  DeliverIcmp(FragNeeded(our_nxt_, 0, 1500));
  EXPECT_EQ(Drops(DropReason::kIcmpPmtuNotSmaller), 1u);  // 512 already
  EXPECT_EQ(Conn()->snd_mss(), 512);
}

TEST_F(IcmpTest, Established_FragNeededMtuNotBelowQuotedPacket_Ignored) {
  MakeEstablished();
  WriteAndCollect(1000);
  // RFC 5927 section 7.2: a 1040-byte packet cannot have needed fragmenting
  // for an MTU of 1040.
  DeliverIcmp(FragNeeded(our_nxt_, 1040, 1040));
  EXPECT_EQ(Drops(DropReason::kIcmpPmtuNotSmaller), 1u);
  EXPECT_EQ(Conn()->snd_mss(), 1460);
  ExpectNothingSent();
}

TEST_F(IcmpTest, Established_FragNeededLargerThanPath_NeverRaisesMss) {
  MakeEstablished();
  WriteAndCollect(1460);
  DeliverIcmp(FragNeeded(our_nxt_, 1200, 1500));
  ASSERT_EQ(Conn()->snd_mss(), 1160);
  DropSent();
  // RFC 1191 section 6.3: no increase from a message.
  DeliverIcmp(FragNeeded(our_nxt_, 1400, 1500));
  EXPECT_EQ(Conn()->snd_mss(), 1160);
  EXPECT_EQ(Drops(DropReason::kIcmpPmtuNotSmaller), 1u);
  ExpectNothingSent();
}

TEST_F(IcmpTest, Established_FragNeededNothingInFlight_MssLoweredOnly) {
  MakeEstablished();
  DeliverIcmp(FragNeeded(our_nxt_, 1000, 1500));
  // Nothing in flight: SND.UNA = SND.NXT, no sequence number can match.
  EXPECT_EQ(Drops(DropReason::kIcmpOutOfWindow), 1u);
  EXPECT_EQ(Conn()->snd_mss(), 1460);
  ExpectNothingSent();
}

TEST_F(IcmpTest, Established_BlindFragNeededOutsideFlight_Ignored) {
  MakeEstablished();
  WriteAndCollect(1460);
  DeliverIcmp(FragNeeded(our_nxt_ + 1460, 600, 1500));  // SND.NXT: not sent
  DeliverIcmp(FragNeeded(our_nxt_ + 100000, 600, 1500));
  DeliverIcmp(FragNeeded(our_nxt_ - 5000, 600, 1500));
  EXPECT_EQ(Drops(DropReason::kIcmpOutOfWindow), 3u);
  EXPECT_EQ(Conn()->snd_mss(), 1460);
  EXPECT_EQ(ep_->stats().pmtu_decreases.Get(), 0u);
  ExpectNothingSent();
}

// ---- soft errors in synchronized states

TEST_F(IcmpTest, Established_PortUnreachable_SoftErrorReportedOnTimeout) {
  config_.data_retries = 2;
  Recreate();
  MakeEstablished();
  WriteAndCollect(100);
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_nxt_));
  // RFC 1122 4.2.3.9: not an abort in a synchronized state.
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Conn()->soft_error(), SockError::kConnRefused);
  EXPECT_EQ(ep_->stats().icmp_soft_errors.Get(), 1u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kOk);
  ExpectNothingSent();
  // The retransmissions go unanswered: the timeout reports the ICMP error
  // instead of ETIMEDOUT, as Linux's tcp_write_err does.
  for (int i = 0; i < 3 && ConnState() != State::kClosed; ++i) {
    Advance(Duration::Seconds(120));
  }
  ASSERT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnRefused);
}

TEST_F(IcmpTest, Established_SoftErrorThenNewAck_ClearedTimeoutIsEtimedout) {
  config_.data_retries = 2;
  Recreate();
  MakeEstablished();
  WriteAndCollect(100);
  DeliverIcmp(MakeIcmp(IcmpError::Kind::kTimeExceeded, 0, our_nxt_));
  EXPECT_EQ(Conn()->soft_error(), SockError::kHostUnreachable);
  Deliver(Peer().Ack(our_nxt_ + 100));
  our_nxt_ += 100;
  EXPECT_EQ(Conn()->soft_error(), SockError::kOk);
  WriteAndCollect(100);
  for (int i = 0; i < 3 && ConnState() != State::kClosed; ++i) {
    Advance(Duration::Seconds(120));
  }
  ASSERT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kTimedOut);
}

// ---- connection attempts (SYN-SENT)

TEST_F(IcmpTest, SynSent_PortUnreachable_ConnectRefused) {
  MakeSynSent();
  TakeConnEvents();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_iss_));
  EXPECT_EQ(ConnState(), State::kClosed);
  const uint32_t ev = TakeConnEvents();
  EXPECT_NE(ev & events::kRefused, 0u);
  EXPECT_NE(ev & events::kClosed, 0u);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kConnRefused);
  EXPECT_EQ(ep_->stats().icmp_aborts.Get(), 1u);
  ExpectNothingSent();  // no RST: the peer never had the connection
}

TEST_F(IcmpTest, SynSent_HostUnreachable_ConnectFailsEhostunreach) {
  MakeSynSent();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kHostUnreachable, our_iss_));
  EXPECT_EQ(ConnState(), State::kClosed);
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kHostUnreachable);
}

TEST_F(IcmpTest, SynSent_NetUnreachable_ConnectFailsEnetunreach) {
  MakeSynSent();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kNetUnreachable, our_iss_));
  EXPECT_EQ(ep_->TakeError(conn_), SockError::kNetUnreachable);
}

TEST_F(IcmpTest, SynSent_ErrorQuotingOtherSeq_Ignored) {
  MakeSynSent();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_iss_ + 1));
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_iss_ - 1));
  EXPECT_EQ(Drops(DropReason::kIcmpOutOfWindow), 2u);
  EXPECT_EQ(ConnState(), State::kSynSent);
  // The handshake still completes.
  Deliver(Peer().SynAck().Seq(peer_iss_).Ack(our_nxt_).Mss(1460));
  EXPECT_EQ(ConnState(), State::kEstablished);
}

TEST_F(IcmpTest, SynSent_FragNeeded_IgnoredSynIsSmall) {
  MakeSynSent();
  DeliverIcmp(FragNeeded(our_iss_, 576, 60));
  EXPECT_EQ(Drops(DropReason::kIcmpPmtuNotSmaller), 1u);
  EXPECT_EQ(ConnState(), State::kSynSent);
}

// ---- half-open records (a listener's SYN-RECEIVED)

TEST_F(IcmpTest, HalfOpen_PortUnreachableQuotingIss_RecordFreed) {
  MakeSynReceived();
  ASSERT_EQ(ep_->half_open_count(listener_), 1u);
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_iss_));
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->half_open_total(), 0u);
  EXPECT_EQ(ep_->stats().icmp_aborts.Get(), 1u);
  EXPECT_EQ(ep_->StateGauge(State::kSynReceived), 0);
  ExpectNothingSent();
}

TEST_F(IcmpTest, HalfOpen_ErrorQuotingOtherSeq_RecordKept) {
  MakeSynReceived();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_iss_ + 1));
  EXPECT_EQ(Drops(DropReason::kIcmpOutOfWindow), 1u);
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  Deliver(Peer());  // the final ACK completes the handshake
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(IcmpTest, HalfOpen_SoftError_RecordKept) {
  MakeSynReceived();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kHostUnreachable, our_iss_));
  EXPECT_EQ(ep_->half_open_count(listener_), 1u);
  EXPECT_EQ(ep_->stats().icmp_soft_errors.Get(), 1u);
}

// ---- no connection, TIME-WAIT

TEST_F(IcmpTest, NoConnection_Dropped) {
  MakeListen();
  DeliverIcmp(MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, 12345));
  EXPECT_EQ(Drops(DropReason::kIcmpNoConnection), 1u);
  EXPECT_EQ(ep_->stats().icmp_errors_in.Get(), 1u);
  ExpectNothingSent();
}

TEST_F(IcmpTest, TimeWait_Dropped) {
  MakeTimeWait();
  DeliverIcmp(
      MakeIcmp(IcmpError::Kind::kUnreachable, kPortUnreachable, our_nxt_ - 1));
  EXPECT_EQ(Drops(DropReason::kIcmpTimeWait), 1u);
  ExpectNothingSent();
}

// ---- the classification tables

TEST(IcmpClassifyTest, UnreachableCodes_ErrnoAndHardnessAsLinux) {
  struct Row {
    uint8_t code;
    SockError error;
    bool hard;
  };
  // Linux's icmp_err_convert, EHOSTDOWN, ENONET and EOPNOTSUPP folded into
  // EHOSTUNREACH.
  const Row rows[] = {
      {0, SockError::kNetUnreachable, false},
      {1, SockError::kHostUnreachable, false},
      {2, SockError::kNoProtocol, true},
      {3, SockError::kConnRefused, true},
      {5, SockError::kHostUnreachable, false},
      {6, SockError::kNetUnreachable, true},
      {7, SockError::kHostUnreachable, true},
      {8, SockError::kHostUnreachable, true},
      {9, SockError::kNetUnreachable, true},
      {10, SockError::kHostUnreachable, true},
      {11, SockError::kNetUnreachable, false},
      {12, SockError::kHostUnreachable, false},
      {13, SockError::kHostUnreachable, true},
      {14, SockError::kHostUnreachable, true},
      {15, SockError::kHostUnreachable, true},
      {200, SockError::kHostUnreachable, false},
  };
  for (const Row& r : rows) {
    IcmpError e = MakeIcmp(IcmpError::Kind::kUnreachable, r.code, 0);
    EXPECT_EQ(IcmpErrno(e), r.error) << int{r.code};
    EXPECT_EQ(IcmpIsHard(e), r.hard) << int{r.code};
  }
  IcmpError frag = FragNeeded(0, 1000, 1500);
  EXPECT_FALSE(IcmpIsHard(frag));
  IcmpError te = MakeIcmp(IcmpError::Kind::kTimeExceeded, 0, 0);
  EXPECT_EQ(IcmpErrno(te), SockError::kHostUnreachable);
  EXPECT_FALSE(IcmpIsHard(te));
  IcmpError pp = MakeIcmp(IcmpError::Kind::kParameterProblem, 0, 0);
  EXPECT_EQ(IcmpErrno(pp), SockError::kProtocolError);
  EXPECT_FALSE(IcmpIsHard(pp));
}

}  // namespace
}  // namespace tern::tcp::testing
