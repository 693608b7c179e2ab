// Whole connection lifecycles between two tern endpoints over the in-memory
// link (tests/support/link.h): handshake (RFC 9293 3.5), data both ways,
// half-close and close (3.6), TIME-WAIT (3.4.2), simultaneous open (3.5
// Figure 8) and simultaneous close (3.6 Figure 13).
#include <gtest/gtest.h>

#include <vector>

#include "tests/support/link.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

constexpr wire::Ipv4Addr kAddrA = wire::Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr wire::Ipv4Addr kAddrB = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr uint16_t kServerPort = 80;

EndpointConfig SmallConfig() {
  EndpointConfig c;
  c.max_connections = 64;
  c.max_time_wait = 64;
  return c;
}

std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed;
  for (uint8_t& b : v) {
    x = x * 1664525u + 1013904223u;  // Numerical Recipes LCG
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

std::vector<Event> Events(Endpoint& ep) {
  Event ev[16];
  size_t n = ep.PollEvents(ev);
  return std::vector<Event>(ev, ev + n);
}

uint32_t MaskFor(const std::vector<Event>& evs, ConnHandle h) {
  uint32_t m = 0;
  for (const Event& e : evs) {
    if (e.conn == h) {
      m |= e.mask;
    }
  }
  return m;
}

class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest() : link_(SmallConfig(), SmallConfig()) {}

  // A connects to B's listener; returns when both sides are ESTABLISHED.
  void Open() {
    absl::StatusOr<ListenerHandle> l =
        link_.b().Listen(kAddrB, kServerPort, ListenOptions{});
    ASSERT_TRUE(l.ok());
    listener_ = *l;
    absl::StatusOr<ConnHandle> c = link_.a().Connect(
        kAddrA, kAddrB, kServerPort, ConnOptions{}, link_.now());
    ASSERT_TRUE(c.ok());
    ca_ = *c;
    link_.Run();
    std::optional<ConnHandle> h = link_.b().Accept(listener_);
    ASSERT_TRUE(h.has_value());
    cb_ = *h;
    ASSERT_EQ(StateA(), State::kEstablished);
    ASSERT_EQ(StateB(), State::kEstablished);
  }

  State StateOf(Endpoint& ep, ConnHandle h) {
    const Connection* c = ep.Find(h);
    return c == nullptr ? State::kClosed : c->state();
  }
  State StateA() { return StateOf(link_.a(), ca_); }
  State StateB() { return StateOf(link_.b(), cb_); }

  // Reads everything available on h into out; true at end of stream.
  bool Drain(Endpoint& ep, ConnHandle h, std::vector<uint8_t>* out) {
    uint8_t buf[16384];
    while (true) {
      IoResult r = ep.Recv(h, buf, link_.now());
      if (!r.ok()) {
        return false;
      }
      if (r.bytes == 0) {
        return true;  // EOF (Recv returns kWouldBlock when merely empty)
      }
      out->insert(out->end(), buf, buf + r.bytes);
    }
  }

  // Pushes `a_out` from A to B and `b_out` from B to A, running the link and
  // the clock until both have arrived.
  void Exchange(const std::vector<uint8_t>& a_out,
                const std::vector<uint8_t>& b_out, std::vector<uint8_t>* a_in,
                std::vector<uint8_t>* b_in) {
    size_t a_sent = 0;
    size_t b_sent = 0;
    for (int round = 0; round < 100000; ++round) {
      if (a_sent < a_out.size()) {
        IoResult r =
            link_.a().Send(ca_, std::span(a_out).subspan(a_sent), link_.now());
        ASSERT_TRUE(r.ok() || r.error == SockError::kWouldBlock);
        a_sent += r.bytes;
      }
      if (b_sent < b_out.size()) {
        IoResult r =
            link_.b().Send(cb_, std::span(b_out).subspan(b_sent), link_.now());
        ASSERT_TRUE(r.ok() || r.error == SockError::kWouldBlock);
        b_sent += r.bytes;
      }
      size_t before = a_in->size() + b_in->size();
      link_.Run();
      Drain(link_.a(), ca_, a_in);
      Drain(link_.b(), cb_, b_in);
      if (b_in->size() == a_out.size() && a_in->size() == b_out.size()) {
        return;
      }
      if (a_in->size() + b_in->size() == before) {
        link_.Advance(Duration::Millis(5));  // let delayed ACKs / RTOs fire
      }
    }
    FAIL() << "transfer did not complete: A got " << a_in->size() << ", B got "
           << b_in->size();
  }

  Link link_;
  ListenerHandle listener_;
  ConnHandle ca_;
  ConnHandle cb_;
};

TEST_F(LifecycleTest, Lifecycle_Handshake_ThreeSegmentsBothEstablished) {
  Open();
  // RFC 9293 3.5 Figure 6: SYN, SYN-ACK, ACK.
  EXPECT_EQ(TraceToString(link_.trace()), "A>B S\nB>A S.\nA>B .\n");
  EXPECT_EQ(link_.trace()[1].ack, link_.trace()[0].seq + 1);
  EXPECT_EQ(link_.trace()[2].seq, link_.trace()[0].seq + 1);
  EXPECT_EQ(link_.trace()[2].ack, link_.trace()[1].seq + 1);
  EXPECT_NE(MaskFor(Events(link_.a()), ca_) & events::kConnected, 0u);
  EXPECT_EQ(link_.wire_errors(), 0u);
  const Connection* a = link_.a().Find(ca_);
  const Connection* b = link_.b().Find(cb_);
  // RFC 7323 and RFC 2018 options were negotiated on both sides.
  EXPECT_TRUE(a->timestamps_enabled());
  EXPECT_TRUE(b->timestamps_enabled());
  EXPECT_TRUE(a->sack_enabled());
  EXPECT_EQ(a->snd_wscale(), b->rcv_wscale());
  EXPECT_EQ(b->snd_wscale(), a->rcv_wscale());
}

TEST_F(LifecycleTest, Lifecycle_OneMegabyteEachWay_ByteForByte) {
  Open();
  const std::vector<uint8_t> a_out = Pattern(1 << 20, 1);
  const std::vector<uint8_t> b_out = Pattern(1 << 20, 2);
  std::vector<uint8_t> a_in;
  std::vector<uint8_t> b_in;
  Exchange(a_out, b_out, &a_in, &b_in);
  EXPECT_TRUE(b_in == a_out) << "A to B differs";
  EXPECT_TRUE(a_in == b_out) << "B to A differs";
  EXPECT_EQ(link_.wire_errors(), 0u);
  // All acknowledged: nothing left in flight on either side.
  link_.Advance(Duration::Seconds(1));
  EXPECT_EQ(link_.a().Find(ca_)->snd_una(), link_.a().Find(ca_)->snd_nxt());
  EXPECT_EQ(link_.b().Find(cb_)->snd_una(), link_.b().Find(cb_)->snd_nxt());
  EXPECT_EQ(link_.a().stats().retransmits.Get(), 0u);
  EXPECT_EQ(link_.b().stats().retransmits.Get(), 0u);
}

TEST_F(LifecycleTest, Lifecycle_HalfClose_ServerKeepsSendingAfterClientFin) {
  Open();
  ASSERT_EQ(link_.a().ShutdownWrite(ca_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_EQ(StateA(), State::kFinWait2);
  EXPECT_EQ(StateB(), State::kCloseWait);
  std::vector<uint8_t> eof;
  EXPECT_TRUE(Drain(link_.b(), cb_, &eof));  // B sees end of stream
  EXPECT_TRUE(eof.empty());
  // RFC 9293 3.6: the half-closed side goes on receiving.
  const std::vector<uint8_t> b_out = Pattern(300 * 1000, 3);
  std::vector<uint8_t> a_in;
  std::vector<uint8_t> b_in;
  Exchange({}, b_out, &a_in, &b_in);
  EXPECT_TRUE(a_in == b_out);
  ASSERT_EQ(link_.b().Close(cb_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_EQ(StateA(), State::kTimeWait);
  std::vector<uint8_t> rest;
  EXPECT_TRUE(Drain(link_.a(), ca_, &rest));
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(link_.b().connection_count(), 0u);
}

TEST_F(LifecycleTest, Lifecycle_FullClose_TimeWaitOnActiveCloserThenEmpty) {
  Open();
  const std::vector<uint8_t> a_out = Pattern(50000, 4);
  const std::vector<uint8_t> b_out = Pattern(70000, 5);
  std::vector<uint8_t> a_in;
  std::vector<uint8_t> b_in;
  Exchange(a_out, b_out, &a_in, &b_in);
  link_.Advance(Duration::Seconds(1));
  link_.ClearTrace();
  // A closes first (RFC 9293 3.6 Figure 12): FIN, ACK; then B: FIN, ACK.
  ASSERT_EQ(link_.a().Close(ca_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_NE(MaskFor(Events(link_.b()), cb_) & events::kPeerClosed, 0u);
  ASSERT_EQ(link_.b().Close(cb_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_EQ(TraceToString(link_.trace()), "A>B F.\nB>A .\nB>A F.\nA>B .\n");
  // The active closer holds the TIME-WAIT record; the passive side is gone.
  EXPECT_EQ(link_.a().time_wait_count(), 1u);
  EXPECT_EQ(link_.a().connection_count(), 0u);
  EXPECT_EQ(link_.b().time_wait_count(), 0u);
  EXPECT_EQ(link_.b().connection_count(), 0u);
  const Instant tw = link_.now();
  const Duration two_msl = link_.a().config().msl * 2;
  link_.AdvanceTo(tw + two_msl - Duration::Millis(5));
  EXPECT_EQ(link_.a().time_wait_count(), 1u);
  link_.AdvanceTo(tw + two_msl + Duration::Millis(5));
  EXPECT_EQ(link_.a().time_wait_count(), 0u);
  EXPECT_EQ(link_.a().stats().time_wait_expired.Get(), 1u);
  // Both tables empty.
  EXPECT_EQ(link_.a().connection_count() + link_.b().connection_count(), 0u);
  EXPECT_EQ(link_.a().time_wait_count() + link_.b().time_wait_count(), 0u);
  EXPECT_EQ(link_.queued(), 0u);
}

TEST_F(LifecycleTest, Lifecycle_ServerClosesFirst_TimeWaitOnServer) {
  Open();
  ASSERT_EQ(link_.b().Close(cb_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_EQ(StateA(), State::kCloseWait);
  ASSERT_EQ(link_.a().Close(ca_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_EQ(link_.b().time_wait_count(), 1u);
  EXPECT_EQ(link_.a().time_wait_count(), 0u);
  EXPECT_EQ(link_.a().connection_count(), 0u);
  link_.Advance(link_.b().config().msl * 2 + Duration::Millis(5));
  EXPECT_EQ(link_.b().time_wait_count(), 0u);
  EXPECT_EQ(link_.b().connection_count(), 0u);
}

TEST_F(LifecycleTest, Lifecycle_SimultaneousOpen_BothEstablished) {
  const uint16_t port_a = 6000;
  const uint16_t port_b = 5000;
  absl::StatusOr<ConnHandle> a = link_.a().Connect(
      kAddrA, kAddrB, port_b, ConnOptions{}, link_.now(), port_a);
  absl::StatusOr<ConnHandle> b = link_.b().Connect(
      kAddrB, kAddrA, port_a, ConnOptions{}, link_.now(), port_b);
  ASSERT_TRUE(a.ok() && b.ok());
  ca_ = *a;
  cb_ = *b;
  link_.Run();
  // RFC 9293 3.5 Figure 8: the SYNs cross; each side, in SYN-SENT, answers
  // with a SYN-ACK and enters SYN-RECEIVED (3.10.7.3 fourth).
  const auto& t = link_.trace();
  ASSERT_GE(t.size(), 4u);
  EXPECT_EQ(TraceToString({t.begin(), t.begin() + 4}),
            "A>B S\nB>A S\nA>B S.\nB>A S.\n");
  EXPECT_EQ(t[2].seq, t[0].seq);  // A's SYN-ACK repeats A's ISS
  EXPECT_EQ(t[2].ack, t[1].seq + 1);
  EXPECT_EQ(t[3].seq, t[1].seq);
  EXPECT_EQ(t[3].ack, t[0].seq + 1);
  // The SYN-ACKs carry the original ISNs, so each one's SYN is below
  // RCV.NXT: by 3.10.7.4's first check it is answered with an ACK, which
  // completes the other side (Figure 8 shows the outcome, not these ACKs).
  for (size_t i = 4; i < t.size(); ++i) {
    EXPECT_EQ(t[i].flags, kAck) << TraceToString(t);
  }
  EXPECT_EQ(StateA(), State::kEstablished);
  EXPECT_EQ(StateB(), State::kEstablished);
  EXPECT_NE(MaskFor(Events(link_.a()), ca_) & events::kConnected, 0u);
  EXPECT_NE(MaskFor(Events(link_.b()), cb_) & events::kConnected, 0u);
  // And the connection carries data.
  std::vector<uint8_t> a_in;
  std::vector<uint8_t> b_in;
  Exchange(Pattern(10000, 6), Pattern(20000, 7), &a_in, &b_in);
  EXPECT_TRUE(b_in == Pattern(10000, 6));
  EXPECT_TRUE(a_in == Pattern(20000, 7));
}

TEST_F(LifecycleTest, Lifecycle_SimultaneousClose_BothTimeWait) {
  Open();
  link_.ClearTrace();
  // RFC 9293 3.6 Figure 13: both close at once; the FINs cross.
  ASSERT_EQ(link_.a().ShutdownWrite(ca_, link_.now()), SockError::kOk);
  ASSERT_EQ(link_.b().ShutdownWrite(cb_, link_.now()), SockError::kOk);
  EXPECT_EQ(StateA(), State::kFinWait1);
  EXPECT_EQ(StateB(), State::kFinWait1);
  link_.Run();
  EXPECT_EQ(TraceToString(link_.trace()), "A>B F.\nB>A F.\nA>B .\nB>A .\n");
  EXPECT_EQ(link_.a().stats().Transitions(State::kFinWait1, State::kClosing),
            1u);
  EXPECT_EQ(link_.b().stats().Transitions(State::kClosing, State::kTimeWait),
            1u);
  EXPECT_EQ(StateA(), State::kTimeWait);
  EXPECT_EQ(StateB(), State::kTimeWait);
  EXPECT_EQ(link_.a().time_wait_count(), 1u);
  EXPECT_EQ(link_.b().time_wait_count(), 1u);
  ASSERT_EQ(link_.a().Close(ca_, link_.now()), SockError::kOk);
  ASSERT_EQ(link_.b().Close(cb_, link_.now()), SockError::kOk);
  link_.Advance(link_.a().config().msl * 2 + Duration::Millis(5));
  EXPECT_EQ(link_.a().time_wait_count() + link_.b().time_wait_count(), 0u);
  EXPECT_EQ(link_.a().connection_count() + link_.b().connection_count(), 0u);
}

TEST_F(LifecycleTest, Lifecycle_LostDataSegment_RecoveredByRetransmission) {
  Open();
  int seen = 0;
  link_.SetDropFilter([&seen](const Link::Packet& p) {
    // Lose the third data segment from A, once.
    return p.from == Link::kA && !p.tcp.payload.empty() && ++seen == 3;
  });
  const std::vector<uint8_t> a_out = Pattern(100000, 8);
  std::vector<uint8_t> a_in;
  std::vector<uint8_t> b_in;
  Exchange(a_out, {}, &a_in, &b_in);
  EXPECT_TRUE(b_in == a_out);
  EXPECT_GE(link_.a().stats().retransmits.Get(), 1u);
}

TEST_F(LifecycleTest, Lifecycle_LostSyn_ClientRetransmitsAfterOneSecond) {
  absl::StatusOr<ListenerHandle> l =
      link_.b().Listen(kAddrB, kServerPort, ListenOptions{});
  ASSERT_TRUE(l.ok());
  bool dropped = false;
  link_.SetDropFilter([&dropped](const Link::Packet& p) {
    if (!dropped && (p.tcp.flags & kSyn) != 0) {
      dropped = true;
      return true;
    }
    return false;
  });
  absl::StatusOr<ConnHandle> c = link_.a().Connect(kAddrA, kAddrB, kServerPort,
                                                   ConnOptions{}, link_.now());
  ASSERT_TRUE(c.ok());
  ca_ = *c;
  link_.Run();
  EXPECT_EQ(StateA(), State::kSynSent);
  // RFC 6298 2.1: the SYN goes again after the initial RTO of 1 s.
  link_.Advance(Duration::Millis(990));
  EXPECT_EQ(link_.trace().size(), 1u);
  link_.Advance(Duration::Millis(20));
  EXPECT_EQ(TraceToString(link_.trace()),
            "A>B S (dropped)\nA>B S\nB>A S.\nA>B .\n");
  EXPECT_EQ(link_.trace()[1].seq, link_.trace()[0].seq);  // same ISS
  EXPECT_EQ(StateA(), State::kEstablished);
  EXPECT_TRUE(link_.b().Accept(*l).has_value());
}

TEST_F(LifecycleTest, Lifecycle_LostLastAck_FinRetransmittedAndReAcked) {
  Open();
  ASSERT_EQ(link_.a().Close(ca_, link_.now()), SockError::kOk);
  link_.Run();
  bool dropped = false;
  link_.SetDropFilter([&dropped](const Link::Packet& p) {
    // Lose A's ACK of B's FIN, once.
    if (!dropped && p.from == Link::kA && p.tcp.flags == kAck) {
      dropped = true;
      return true;
    }
    return false;
  });
  link_.ClearTrace();
  ASSERT_EQ(link_.b().Close(cb_, link_.now()), SockError::kOk);
  link_.Run();
  EXPECT_EQ(link_.b().connection_count(), 1u);  // B waits in LAST-ACK
  // B's RTO brings the FIN back; A re-ACKs it from TIME-WAIT (RFC 9293
  // 3.10.7.4 eighth) and B closes.
  link_.Advance(Duration::Seconds(4));
  EXPECT_EQ(TraceToString(link_.trace()),
            "B>A F.\nA>B . (dropped)\nB>A F.\nA>B .\n");
  EXPECT_EQ(link_.b().connection_count(), 0u);
  EXPECT_EQ(link_.a().time_wait_count(), 1u);
}

}  // namespace
}  // namespace tern::tcp::testing
