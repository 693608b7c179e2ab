// The listener under pressure: SYN cookies (doc/syn_cookies.md), the
// on-overflow hysteresis, and the accept-queue overflow policies.
#include <memory>
#include <vector>

#include "lib/tcp/cookie_secrets.h"
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class SynCookieTest : public ScriptTest {
 protected:
  void SetUp() override {
    store_ = std::make_unique<SynCookieSecretStore>(
        SynCookieSecrets{SipKey{0x1111, 0x2222}});
    cookie_store_ = store_.get();
    listen_options_.cookies = SynCookieMode::kAlways;
    ScriptTest::SetUp();
  }

  // SYN in, cookie SYN-ACK out; returns it and sets our_iss_/our_nxt_.
  Sent CookieSyn(SegBuilder syn) {
    Deliver(syn);
    SentCheck c = ExpectSent(kSyn | kAck, kAny, syn.tcp().seq.raw() + 1);
    if (syn.tcp().options.timestamps.has_value()) {
      // The TSval carries the cookie's option bits (doc/syn_cookies.md),
      // as Linux's cookie_init_timestamp does.
      c.AnyTsVal();
    } else {
      // Without timestamps the cookie has nowhere to keep window scale and
      // SACK-permitted: the SYN-ACK does not offer them.
      c.WindowScale(std::nullopt).SackPermitted(false);
    }
    Sent s = c;
    our_iss_ = s.tcp.seq.raw();
    our_nxt_ = our_iss_ + 1;
    peer_nxt_ = syn.tcp().seq.raw() + 1;
    return s;
  }
  const ListenerStats& Lstats() { return *ep_->listener_stats(listener_); }

  std::unique_ptr<SynCookieSecretStore> store_;
};

TEST_F(SynCookieTest, Always_Syn_CookieSynAckAndNoState) {
  MakeListen();
  Sent s = CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  EXPECT_EQ(s.tcp.ack.raw(), 1001u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(Lstats().cookies_sent.Get(), 1u);
  EXPECT_EQ(Lstats().syns_received.Get(), 1u);
}

TEST_F(SynCookieTest, Always_ManySyns_NoMemoryKept) {
  MakeListen();
  for (uint32_t i = 0; i < 1000; ++i) {
    Deliver(SegBuilder()
                .From(wire::Ipv4Addr{0x0a000000u + i}, 1234)
                .Syn()
                .Seq(i * 977)
                .Mss(1460));
  }
  EXPECT_EQ(SentCount(), 1000u);
  EXPECT_EQ(ep_->connection_count(), 0u);
  EXPECT_EQ(ep_->stats().listen.cookies_sent.Get(), 1000u);
}

// A burst through OnSegments, as the engine delivers one: the SYNs' cookies
// are computed together (Endpoint::PrecomputeCookies, eight at a time with
// AVX-512F) and must be the cookies EncodeSynCookie gives each SYN alone;
// the other segments of the burst (a RST, a SYN-ACK, an ACK with no valid
// cookie, a SYN to a closed port) get what they get one by one, and two of
// the cookies complete handshakes.
TEST_F(SynCookieTest, Always_BurstOfSyns_CookiesAsOneByOne) {
  MakeListen();
  std::vector<SegBuilder> builders;
  std::vector<bool> is_syn;
  for (uint32_t i = 0; i < 24; ++i) {
    SegBuilder b = SegBuilder()
                       .From(wire::Ipv4Addr{0x0a000100u + i},
                             static_cast<uint16_t>(2000 + i))
                       .Syn()
                       .Seq(i * 2654435761u)
                       .Mss(static_cast<uint16_t>(536 + 40 * i));
    if (i % 2 == 0) {
      b.Ts(100 + i, 0).WindowScale(7).SackPermitted();
    }
    builders.push_back(b);
    is_syn.push_back(true);
    if (i == 5) {
      builders.push_back(SegBuilder().From(kRemoteAddr, 3000).Rst().Seq(1));
      is_syn.push_back(false);
    } else if (i == 11) {
      builders.push_back(SegBuilder().From(kRemoteAddr, 3001).SynAck());
      is_syn.push_back(false);
    } else if (i == 17) {
      builders.push_back(
          SegBuilder().From(kRemoteAddr, 3002).AckOnly().Seq(5).Ack(77));
      is_syn.push_back(false);
    } else if (i == 20) {
      builders.push_back(
          SegBuilder().From(kRemoteAddr, 3003).To(kLocalAddr, 81).Syn());
      is_syn.push_back(false);
    }
  }
  std::vector<InSegment> burst;
  for (const SegBuilder& b : builders) {
    burst.push_back(b.Build());
  }
  ep_->OnSegments(burst, now_);
  Flush();

  const uint32_t counter = SynCookieCounter(now_);
  size_t synacks = 0;
  size_t resets = 0;
  for (const Sent& s : sink_.sent) {
    if (s.tcp.flags == (kSyn | kAck)) {
      ++synacks;
    } else if (s.Has(kRst)) {
      ++resets;
    }
  }
  EXPECT_EQ(synacks, 24u);
  // The SYN-ACK and the ACK without a cookie are answered with a RST
  // (RFC 9293 3.10.7.2), and so is the SYN to port 81; the RST is dropped.
  EXPECT_EQ(resets, 3u);
  for (size_t i = 0; i < burst.size(); ++i) {
    if (!is_syn[i]) {
      continue;
    }
    const InSegment& syn = burst[i];
    const SeqNum expected = EncodeSynCookie(
        syn.Tuple(), syn.tcp.seq, CookieMssIndex(PeerMss(syn.tcp.options)),
        counter, store_->Current());
    bool seen = false;
    for (const Sent& s : sink_.sent) {
      if (s.tcp.flags == (kSyn | kAck) && s.dst == syn.src &&
          s.tcp.dst_port == syn.tcp.src_port) {
        EXPECT_EQ(s.tcp.seq, expected) << "SYN " << i;
        EXPECT_EQ(s.tcp.ack, syn.tcp.seq + 1) << "SYN " << i;
        // Named as the SYN it answers (the port builds it in its buffer).
        EXPECT_EQ(s.reply_to, &burst[i]) << "SYN " << i;
        seen = true;
      }
    }
    EXPECT_TRUE(seen) << "no SYN-ACK for SYN " << i;
  }
  // The final ACKs of the first two (the first with timestamps, the second
  // without) make connections.
  for (size_t i = 0; i < 2; ++i) {
    const InSegment& syn = burst[i];
    const SeqNum cookie = EncodeSynCookie(
        syn.Tuple(), syn.tcp.seq, CookieMssIndex(PeerMss(syn.tcp.options)),
        counter, store_->Current());
    SegBuilder ack = SegBuilder()
                         .From(syn.src, syn.tcp.src_port)
                         .AckOnly()
                         .Seq((syn.tcp.seq + 1).raw())
                         .Ack((cookie + 1).raw());
    if (syn.tcp.options.timestamps.has_value()) {
      uint32_t tsecr = 0;
      for (const Sent& s : sink_.sent) {
        if (s.dst == syn.src && s.tcp.dst_port == syn.tcp.src_port &&
            s.tcp.options.timestamps.has_value()) {
          tsecr = s.tcp.options.timestamps->tsval;
        }
      }
      ack.Ts(200, tsecr);
    }
    Deliver(ack);
  }
  EXPECT_EQ(Lstats().cookies_validated.Get(), 2u);
  EXPECT_EQ(ep_->connection_count(), 2u);
}

TEST_F(SynCookieTest, CookieAck_Established_Accepted) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  Deliver(Peer());
  ExpectNothingSent();
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_EQ(ConnState(), State::kEstablished);
  EXPECT_EQ(Conn()->iss().raw(), our_iss_);
  EXPECT_EQ(Conn()->irs().raw(), 1000u);
  EXPECT_EQ(Lstats().cookies_validated.Get(), 1u);
  // The connection works: data both ways.
  EXPECT_EQ(Write("pong"), 4u);
  Sent d = ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("pong");
  EXPECT_EQ(d.PayloadString(), "pong");
}

TEST_F(SynCookieTest, CookieAck_WithData_DataDelivered) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  Deliver(Peer().Flags(kAck | kPsh).Data("GET / HTTP/1.1\r\n\r\n"));
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_EQ(Read(), "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(SynCookieTest, CookieWithTimestamps_KeepsWindowScaleAndSack) {
  MakeListen();
  Sent s = CookieSyn(
      SegBuilder().Syn().Seq(1000).Mss(1460).WindowScale(9).SackPermitted().Ts(
          5000, 0));
  ASSERT_TRUE(s.tcp.options.timestamps.has_value());
  EXPECT_EQ(s.tcp.options.timestamps->tsecr, 5000u);
  EXPECT_TRUE(s.tcp.options.window_scale.has_value());
  EXPECT_TRUE(s.tcp.options.sack_permitted);
  uint32_t our_tsval = s.tcp.options.timestamps->tsval;
  Deliver(Peer().Ts(5001, our_tsval));
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_TRUE(Conn()->timestamps_enabled());
  EXPECT_TRUE(Conn()->sack_enabled());
  EXPECT_EQ(Conn()->snd_wscale(), 9);
  EXPECT_EQ(Conn()->rcv_wscale(), *s.tcp.options.window_scale);
}

TEST_F(SynCookieTest, CookieWithoutTimestamps_NoWindowScaleNoSack) {
  MakeListen();
  Sent s = CookieSyn(
      SegBuilder().Syn().Seq(1000).Mss(1460).WindowScale(7).SackPermitted());
  EXPECT_FALSE(s.tcp.options.timestamps.has_value());
  EXPECT_FALSE(s.tcp.options.window_scale.has_value());
  EXPECT_FALSE(s.tcp.options.sack_permitted);
  Deliver(Peer());
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_FALSE(Conn()->sack_enabled());
  EXPECT_EQ(Conn()->snd_wscale(), 0);
  EXPECT_EQ(Conn()->rcv_wscale(), 0);
}

TEST_F(SynCookieTest, CookieMss_RoundedDownToTable) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1400));
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_mss(), 1300);
}

TEST_F(SynCookieTest, CookieNoMssOption_Uses536) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000));
  Deliver(Peer());
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Conn()->snd_mss(), 536);
}

TEST_F(SynCookieTest, ExpiredCookie_RstAndCounted) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  // Cookies live two 64 s counter steps at most.
  now_ += Duration::Seconds(3 * 64);
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(Lstats().cookies_rejected_expired.Get(), 1u);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(SynCookieTest, CookieOneStepOld_Accepted) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  now_ += Duration::Seconds(64);
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(SynCookieTest, ForgedAck_RstAndBadMac) {
  MakeListen();
  Deliver(SegBuilder().AckOnly().Seq(5000).Ack(0x12345678));
  ExpectSent(kRst, 0x12345678, 0);
  EXPECT_EQ(Lstats().cookies_rejected_bad_mac.Get() +
                Lstats().cookies_rejected_expired.Get() +
                Lstats().cookies_rejected_bad_mss_index.Get(),
            1u);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(SynCookieTest, CookieAckFromOtherTuple_Rejected) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  Deliver(Peer().From(kRemoteAddr, kRemotePort + 1));
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(Lstats().cookies_rejected_bad_mac.Get(), 1u);
}

TEST_F(SynCookieTest, CookieAckWrongClientIsn_Rejected) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  Deliver(Peer().Seq(peer_nxt_ + 1));
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(Lstats().cookies_rejected_bad_mac.Get(), 1u);
}

TEST_F(SynCookieTest, RotationMidHandshake_PreviousSecretAccepted) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  store_->Rotate(SynCookieSecrets{SipKey{0x3333, 0x4444}});
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(SynCookieTest, TwoRotations_OldCookieRejected) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  store_->Rotate(SynCookieSecrets{SipKey{0x3333, 0x4444}});
  store_->Rotate(SynCookieSecrets{SipKey{0x5555, 0x6666}});
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(Lstats().cookies_rejected_bad_mac.Get(), 1u);
}

TEST_F(SynCookieTest, SharedSecret_AnotherEndpointValidates) {
  MakeListen();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  // A second host (endpoint) behind the same ECMP route, same secret.
  CaptureSink other_sink;
  Endpoint::Secrets secrets;
  secrets.cookie_store = store_.get();
  auto other = Endpoint::Create(config_, &other_sink, now_, secrets);
  ASSERT_TRUE(other.ok());
  auto l = (*other)->Listen(kLocalAddr, kLocalPort, listen_options_);
  ASSERT_TRUE(l.ok());
  (*other)->OnSegment(Peer().Build(), now_);
  EXPECT_TRUE(other_sink.sent.empty());
  EXPECT_TRUE((*other)->Accept(*l).has_value());
}

TEST_F(SynCookieTest, OnOverflow_QueueUsedUntilFull) {
  listen_options_.cookies = SynCookieMode::kOnOverflow;
  listen_options_.syn_backlog = 4;
  MakeListen();
  for (uint16_t p = 0; p < 4; ++p) {
    Deliver(SegBuilder().From(kRemoteAddr, 2000 + p).Syn().Seq(1).Mss(1460));
  }
  EXPECT_EQ(ep_->half_open_count(listener_), 4u);
  EXPECT_EQ(Lstats().cookies_sent.Get(), 0u);
  EXPECT_FALSE(ep_->cookie_mode(listener_));
  Deliver(SegBuilder().From(kRemoteAddr, 2004).Syn().Seq(1).Mss(1460));
  EXPECT_TRUE(ep_->cookie_mode(listener_));
  EXPECT_EQ(Lstats().cookies_sent.Get(), 1u);
  EXPECT_EQ(Lstats().cookie_mode_entered.Get(), 1u);
  EXPECT_EQ(ep_->half_open_count(listener_), 4u);
}

TEST_F(SynCookieTest, OnOverflow_Hysteresis_LeavesCookieModeAtHalf) {
  listen_options_.cookies = SynCookieMode::kOnOverflow;
  listen_options_.syn_backlog = 4;
  MakeListen();
  std::vector<Sent> synacks;
  for (uint16_t p = 0; p < 4; ++p) {
    Deliver(SegBuilder().From(kRemoteAddr, 2000 + p).Syn().Seq(1).Mss(1460));
    synacks.push_back(Pop());
  }
  Deliver(SegBuilder().From(kRemoteAddr, 2100).Syn().Seq(1).Mss(1460));
  ASSERT_TRUE(ep_->cookie_mode(listener_));
  DropSent();
  auto complete = [&](int i) {
    Deliver(SegBuilder()
                .From(kRemoteAddr, static_cast<uint16_t>(2000 + i))
                .AckOnly()
                .Seq(2)
                .Ack(synacks[i].tcp.seq.raw() + 1));
  };
  // One completes: 3 half-open, still above the low mark of 2: cookies.
  complete(0);
  Deliver(SegBuilder().From(kRemoteAddr, 2101).Syn().Seq(1).Mss(1460));
  EXPECT_TRUE(ep_->cookie_mode(listener_));
  EXPECT_EQ(Lstats().cookies_sent.Get(), 2u);
  // Two more complete: 1 half-open, below half: back to the queue.
  complete(1);
  complete(2);
  Deliver(SegBuilder().From(kRemoteAddr, 2102).Syn().Seq(1).Mss(1460));
  EXPECT_FALSE(ep_->cookie_mode(listener_));
  EXPECT_EQ(Lstats().cookie_mode_left.Get(), 1u);
  EXPECT_EQ(Lstats().cookies_sent.Get(), 2u);
  EXPECT_EQ(ep_->half_open_count(listener_), 2u);
}

TEST_F(SynCookieTest, Off_CookieLookingAckGetsRst) {
  listen_options_.cookies = SynCookieMode::kOff;
  MakeListen();
  Deliver(SegBuilder().AckOnly().Seq(5000).Ack(777));
  ExpectSent(kRst, 777, 0);
  EXPECT_EQ(Lstats().cookies_rejected_bad_mac.Get(), 0u);
}

TEST_F(SynCookieTest, AcceptOverflowDrop_CookieAckIgnoredThenRetried) {
  listen_options_.backlog = 1;
  MakeListen();
  // First connection fills the accept queue.
  Deliver(SegBuilder().From(kRemoteAddr, 3000).Syn().Seq(10).Mss(1460));
  Sent a = Pop();
  // The second SYN comes while the queue has room (a SYN to a full accept
  // queue is dropped, as in Linux: AcceptQueueFull_SynDropped_...).
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  Deliver(SegBuilder()
              .From(kRemoteAddr, 3000)
              .AckOnly()
              .Seq(11)
              .Ack(a.tcp.seq.raw() + 1));
  ASSERT_EQ(ep_->accept_queue_length(listener_), 1u);
  // Second: valid cookie ACK, queue full: ignored, nothing sent.
  Deliver(Peer());
  ExpectNothingSent();
  EXPECT_EQ(Lstats().accept_overflows.Get(), 1u);
  EXPECT_EQ(ep_->connection_count(), 1u);
  // After accept, the client's retransmitted ACK gets in.
  ASSERT_TRUE(ep_->Accept(listener_).has_value());
  Deliver(Peer());
  EXPECT_EQ(ep_->accept_queue_length(listener_), 1u);
}

TEST_F(SynCookieTest, AcceptOverflowReset_CookieAckReset) {
  listen_options_.backlog = 1;
  listen_options_.overflow = AcceptOverflow::kReset;
  MakeListen();
  Deliver(SegBuilder().From(kRemoteAddr, 3000).Syn().Seq(10).Mss(1460));
  Sent a = Pop();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));
  Deliver(SegBuilder()
              .From(kRemoteAddr, 3000)
              .AckOnly()
              .Seq(11)
              .Ack(a.tcp.seq.raw() + 1));
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(Lstats().accept_overflow_resets.Get(), 1u);
}

TEST_F(SynCookieTest, AcceptOverflowReset_QueuedHandshakeReset) {
  listen_options_.cookies = SynCookieMode::kOff;
  listen_options_.backlog = 1;
  listen_options_.overflow = AcceptOverflow::kReset;
  MakeListen();
  Deliver(SegBuilder().From(kRemoteAddr, 3000).Syn().Seq(10).Mss(1460));
  Sent a = Pop();
  CookieSyn(SegBuilder().Syn().Seq(1000).Mss(1460));  // queued, not a cookie
  Deliver(SegBuilder()
              .From(kRemoteAddr, 3000)
              .AckOnly()
              .Seq(11)
              .Ack(a.tcp.seq.raw() + 1));
  ASSERT_EQ(ep_->half_open_count(listener_), 1u);
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(Lstats().accept_overflow_resets.Get(), 1u);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->connection_count(), 1u);
}

// Half-open records (the SYN queue).
class HalfOpenTest : public ScriptTest {};

TEST_F(HalfOpenTest, Record_IsCompact) {
  EXPECT_LE(sizeof(HalfOpen), 128u);
  MakeSynReceived();
  EXPECT_EQ(ep_->half_open_total(), 1u);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(HalfOpenTest, SynReceived_FinalAckWithData_PromotedAndDelivered) {
  MakeSynReceived();
  Deliver(Peer().Flags(kAck | kPsh).Data("hello"));
  EXPECT_EQ(ep_->half_open_total(), 0u);
  EXPECT_EQ(ep_->connection_count(), 1u);
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(Read(), "hello");
  EXPECT_EQ(Conn()->snd_wscale(), 7);
  EXPECT_TRUE(Conn()->sack_enabled());
}

TEST_F(HalfOpenTest, SynReceived_AckOfWrongIss_RstRecordKept) {
  MakeSynReceived();
  // RFC 9293 3.10.7.4 fifth: <SEQ=SEG.ACK><CTL=RST>.
  Deliver(Peer().Ack(our_iss_ + 5));
  ExpectSent(kRst, our_iss_ + 5, 0);
  EXPECT_EQ(ep_->half_open_total(), 1u);
  Deliver(Peer());
  EXPECT_TRUE(ep_->Accept(listener_).has_value());
}

TEST_F(HalfOpenTest, SynReceived_ListenerClosed_FinalAckRst) {
  MakeSynReceived();
  ASSERT_EQ(ep_->CloseListener(listener_, now_), SockError::kOk);
  Deliver(Peer());
  ExpectSent(kRst, our_nxt_, 0);
  EXPECT_EQ(ep_->half_open_total(), 0u);
}

TEST_F(HalfOpenTest, SynReceived_SynAckTimeouts_RecordFreed) {
  config_.synack_retries = 2;
  Recreate();
  MakeSynReceived();
  // RFC 6298 5.5: 1 s, then 2 s; after the last, 4 s more and it goes. The
  // wheel fires within one 65.536 us tick after the deadline.
  const Duration slack = Duration::Millis(1);
  Advance(Duration::Seconds(1) + slack);
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  Advance(Duration::Seconds(2));
  ExpectSent(kSyn | kAck, our_iss_, peer_nxt_);
  Advance(Duration::Seconds(4) - slack - slack);
  EXPECT_EQ(ep_->half_open_total(), 1u);
  Advance(slack * 2);
  ExpectNothingSent();
  EXPECT_EQ(ep_->half_open_total(), 0u);
  EXPECT_EQ(ep_->half_open_count(listener_), 0u);
  EXPECT_EQ(ep_->stats().synack_timeouts.Get(), 1u);
  EXPECT_EQ(ep_->stats().Transitions(State::kSynReceived, State::kClosed), 1u);
}

TEST_F(HalfOpenTest, PerEndpointBound_CookiesTakeOver) {
  config_.max_half_open = 2;
  Recreate();
  listen_options_.syn_backlog = 100;
  MakeListen();
  for (uint16_t p = 0; p < 3; ++p) {
    Deliver(SegBuilder().From(kRemoteAddr, 5000 + p).Syn().Seq(1).Mss(1460));
  }
  EXPECT_EQ(ep_->half_open_total(), 2u);
  EXPECT_EQ(ep_->listener_stats(listener_)->cookies_sent.Get(), 1u);
  // The listener's own queue is far below its low mark (2 of 100), but the
  // endpoint's slab is still full: the mode stays on, and every further SYN
  // gets a cookie; none is dropped as a queue overflow.
  for (uint16_t p = 3; p < 13; ++p) {
    Deliver(SegBuilder().From(kRemoteAddr, 5000 + p).Syn().Seq(1).Mss(1460));
  }
  const ListenerStats& ls = *ep_->listener_stats(listener_);
  EXPECT_EQ(ls.cookies_sent.Get(), 11u);
  EXPECT_EQ(ls.syn_queue_overflows.Get(), 0u);
  EXPECT_EQ(ls.cookie_mode_entered.Get(), 1u);
  EXPECT_EQ(ls.cookie_mode_left.Get(), 0u);
  EXPECT_EQ(ep_->half_open_total(), 2u);
}

TEST(SynCookieSecretStoreTest, FromHex_ParsesAndRejects) {
  auto ok =
      SynCookieSecretStore::FromHex("  000102030405060708090a0b0c0d0e0f\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->key.k0, 0x0706050403020100ULL);
  EXPECT_FALSE(SynCookieSecretStore::FromHex("0011").ok());
  auto bad = SynCookieSecretStore::FromHex("zz0102030405060708090a0b0c0d0e0f");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("hexadecimal"), std::string::npos);
}

TEST(SynCookieSecretStoreTest, Rotate_CurrentAndPrevious) {
  SynCookieSecretStore store(SynCookieSecrets{SipKey{1, 1}});
  store.Rotate(SynCookieSecrets{SipKey{2, 2}});
  EXPECT_EQ(store.Current().key, (SipKey{2, 2}));
  EXPECT_EQ(store.Previous().key, (SipKey{1, 1}));
  store.Rotate(SynCookieSecrets{SipKey{3, 3}});
  EXPECT_EQ(store.Current().key, (SipKey{3, 3}));
  EXPECT_EQ(store.Previous().key, (SipKey{2, 2}));
}

}  // namespace
}  // namespace tern::tcp::testing
