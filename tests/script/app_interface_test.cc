// The endpoint's application interface as an event-driven service uses it:
// what an accepted connection reports (data, FIN or RST that arrived before
// Accept), PollEvents draining, the per-connection context, the burst input
// (OnSegments against OnSegment), the exact timer deadline and MemoryBytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "lib/tcp/byte_ring.h"
#include "tests/support/link.h"
#include "tests/support/script.h"

namespace tern::tcp::testing {
namespace {

using namespace wire::tcp_flags;  // NOLINT

class AppInterfaceTest : public ScriptTest {
 protected:
  // A handshake from the peer's port `port`, final ACK included, not
  // accepted. Returns the endpoint's ISS + 1 (what the peer acknowledges).
  uint32_t Handshake(uint16_t port, uint32_t peer_iss) {
    Deliver(Peer().From(kRemoteAddr, port).Syn().Seq(peer_iss).Mss(1460));
    Sent synack = ExpectSent(kSyn | kAck, kAny, peer_iss + 1);
    const uint32_t our = synack.tcp.seq.raw() + 1;
    Deliver(Peer().From(kRemoteAddr, port).Seq(peer_iss + 1).Ack(our));
    ExpectNothingSent();
    return our;
  }

  std::vector<Event> Drain(size_t batch) {
    std::vector<Event> all;
    std::vector<Event> buf(batch);
    for (;;) {
      size_t n = ep_->PollEvents(buf);
      if (n == 0) {
        return all;
      }
      all.insert(all.end(), buf.begin(), buf.begin() + n);
    }
  }
};

TEST_F(AppInterfaceTest, Accept_DataBeforeAccept_ReportedReadable) {
  MakeSynReceived();
  Deliver(Peer());  // the final ACK: ESTABLISHED, in the accept queue
  Deliver(Peer().Data("GET /"));
  peer_nxt_ += 5;
  DropSent();
  // Before Accept only the listener reports.
  std::vector<Event> before = Drain(8);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0].mask, events::kAcceptable);
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  const uint32_t mask = TakeConnEvents();
  EXPECT_EQ(mask & events::kConnected, events::kConnected);
  EXPECT_EQ(mask & events::kReadable, events::kReadable);
  EXPECT_EQ(mask & events::kPeerClosed, 0u);
  EXPECT_EQ(Read(), "GET /");
  // Reported once.
  EXPECT_EQ(TakeConnEvents(), 0u);
}

TEST_F(AppInterfaceTest, Accept_FinBeforeAccept_ReportedPeerClosed) {
  MakeSynReceived();
  Deliver(Peer());
  Deliver(Peer().Data("bye").Fin());
  peer_nxt_ += 4;
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  EXPECT_EQ(ConnState(), State::kCloseWait);
  const uint32_t mask = TakeConnEvents();
  EXPECT_EQ(mask & (events::kConnected | events::kReadable |
                    events::kPeerClosed | events::kWritable),
            events::kConnected | events::kReadable | events::kPeerClosed |
                events::kWritable);
  EXPECT_EQ(Read(), "bye");
  EXPECT_EQ(Read(), "");  // EOF
}

TEST_F(AppInterfaceTest, Accept_RstBeforeAccept_ReportedReset) {
  MakeSynReceived();
  Deliver(Peer());
  Deliver(Peer().Rst().Seq(peer_nxt_));
  ExpectNothingSent();
  // The reset connection stays in the queue, as with Linux's accept, so
  // that the application learns of it.
  EXPECT_EQ(ep_->accept_queue_length(listener_), 1u);
  std::optional<ConnHandle> h = ep_->Accept(listener_);
  ASSERT_TRUE(h.has_value());
  conn_ = *h;
  const uint32_t mask = TakeConnEvents();
  EXPECT_EQ(mask & events::kReset, events::kReset);
  EXPECT_EQ(mask & events::kConnected, events::kConnected);
  std::vector<uint8_t> buf(16);
  EXPECT_EQ(ep_->Recv(conn_, buf, now_).error, SockError::kConnReset);
  EXPECT_EQ(ep_->Close(conn_, now_), SockError::kOk);
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(AppInterfaceTest, CloseListener_ResetConnectionInQueue_Released) {
  MakeSynReceived();
  Deliver(Peer());
  Deliver(Peer().Rst().Seq(peer_nxt_));
  EXPECT_EQ(ep_->connection_count(), 1u);
  EXPECT_EQ(ep_->CloseListener(listener_, now_), SockError::kOk);
  ExpectNothingSent();  // no RST for a connection already closed
  EXPECT_EQ(ep_->connection_count(), 0u);
}

TEST_F(AppInterfaceTest, PollEvents_OneAtATime_EachOnceInOrderWithContext) {
  config_.max_connections = 512;
  Recreate();
  MakeListen();
  constexpr int kConns = 200;
  std::vector<ConnHandle> handles;
  for (int i = 0; i < kConns; ++i) {
    const uint16_t port = static_cast<uint16_t>(20000 + i);
    const uint32_t our = Handshake(port, 5000);
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    ASSERT_TRUE(h.has_value());
    handles.push_back(*h);
    ASSERT_EQ(ep_->SetContext(*h, 0xc0ffee00u + i), SockError::kOk);
    EXPECT_EQ(ep_->Context(*h), 0xc0ffee00u + i);
    // Data for it: its event joins the list after the Accept event.
    Deliver(Peer().From(kRemoteAddr, port).Seq(5001).Ack(our).Data("x"));
  }
  DropSent();
  std::vector<Event> events = Drain(1);
  // One event per connection, in order, each carrying its context (the
  // listener's event is not reported: its queue was emptied by Accept).
  ASSERT_EQ(events.size(), static_cast<size_t>(kConns));
  for (int i = 0; i < kConns; ++i) {
    const Event& e = events[i];
    EXPECT_EQ(e.conn, handles[i]);
    EXPECT_EQ(e.context, 0xc0ffee00u + i);
    EXPECT_EQ(e.mask & (events::kConnected | events::kReadable),
              events::kConnected | events::kReadable);
  }
  // A later event keeps the context.
  ASSERT_EQ(ep_->Abort(handles[0], now_), SockError::kOk);
  DropSent();
  Deliver(Peer().From(kRemoteAddr, 20001).Seq(5002).Rst());
  std::vector<Event> later = Drain(4);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].conn, handles[1]);
  EXPECT_EQ(later[0].context, 0xc0ffee01u);
  EXPECT_EQ(later[0].mask & events::kReset, events::kReset);
}

TEST_F(AppInterfaceTest, PollEvents_PartialDrainsInterleavedWithNewEvents) {
  // Events keep arriving while the application takes two at a time; each
  // connection's readiness is reported once per edge, none is lost.
  MakeListen();
  std::vector<ConnHandle> handles;
  std::vector<uint32_t> ours;
  for (int i = 0; i < 20; ++i) {
    ours.push_back(Handshake(static_cast<uint16_t>(30000 + i), 7000));
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    ASSERT_TRUE(h.has_value());
    handles.push_back(*h);
    ep_->SetContext(*h, static_cast<uint64_t>(i));
  }
  Drain(64);
  std::map<uint64_t, int> reported;
  Event two[2];
  for (int i = 0; i < 20; ++i) {
    Deliver(Peer()
                .From(kRemoteAddr, static_cast<uint16_t>(30000 + i))
                .Seq(7001)
                .Ack(ours[i])
                .Data("y"));
    size_t n = ep_->PollEvents(two);
    for (size_t k = 0; k < n; ++k) {
      ++reported[two[k].context];
    }
  }
  for (const Event& e : Drain(2)) {
    ++reported[e.context];
  }
  ASSERT_EQ(reported.size(), 20u);
  for (const auto& [context, count] : reported) {
    EXPECT_EQ(count, 1) << context;
  }
}

TEST_F(AppInterfaceTest, SetContext_BadHandle) {
  MakeEstablished();
  ConnHandle stale = conn_;
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  EXPECT_EQ(ep_->SetContext(stale, 7), SockError::kBadHandle);
  EXPECT_EQ(ep_->Context(stale), 0u);
  EXPECT_EQ(ep_->SetContext(ConnHandle{}, 7), SockError::kBadHandle);
}

TEST_F(AppInterfaceTest, OnTimers_ReturnsTheExactNextDeadline) {
  MakeEstablished();
  // In-order data arms the delayed ACK (40 ms): the deadline is that
  // instant rounded up to the wheel's tick, not a slot's start.
  Deliver(Peer().Data("a"));
  peer_nxt_ += 1;
  ExpectNothingSent();
  const int64_t tick = int64_t{1} << 16;
  // The wheel counts ticks from the endpoint's creation: the deadline is
  // within one tick after the 40 ms.
  Instant next = ep_->OnTimers(now_);
  EXPECT_EQ(next, ep_->NextDeadline());
  EXPECT_GE(next, now_ + Duration::Millis(40));
  EXPECT_LT(next, now_ + Duration::Millis(40) + Duration::Nanos(tick));
  // Nothing happens a nanosecond before it; at it the ACK leaves.
  EXPECT_EQ(ep_->OnTimers(next - Duration::Nanos(1)), next);
  ExpectNothingSent();
  now_ = next;
  Instant after = ep_->OnTimers(now_);
  ExpectSent(kAck, our_nxt_, peer_nxt_);
  EXPECT_GT(after, now_);
}

TEST_F(AppInterfaceTest, MemoryBytes_CountsBuffersAndGivesThemBack) {
  MakeListen();
  const size_t base = ep_->MemoryBytes();
  EXPECT_GT(base, ep_->buffer_bytes());
  EXPECT_EQ(ep_->buffer_bytes(), 0u);
  const uint32_t our = Handshake(kRemotePort, peer_iss_);
  peer_nxt_ = peer_iss_ + 1;
  our_nxt_ = our;
  conn_ = *ep_->Accept(listener_);
  // No byte yet, no buffer (they come with the first byte).
  EXPECT_EQ(ep_->MemoryBytes(), base);
  Deliver(Peer().Data("z"));
  peer_nxt_ += 1;
  // The first block of each ring (ByteRing::kFirstBlock), not the whole
  // buffer: it grows with the bytes held.
  const size_t recv =
      std::min<size_t>(listen_options_.conn.recv_buffer, ByteRing::kFirstBlock);
  const size_t send =
      std::min<size_t>(listen_options_.conn.send_buffer, ByteRing::kFirstBlock);
  EXPECT_EQ(ep_->buffer_bytes(), recv);
  EXPECT_EQ(ep_->MemoryBytes(), base + recv);
  ASSERT_EQ(Write("w"), 1u);
  EXPECT_EQ(ep_->buffer_bytes(), recv + send);
  ASSERT_EQ(ep_->Abort(conn_, now_), SockError::kOk);
  EXPECT_EQ(ep_->buffer_bytes(), 0u);
  // The buffers are kept for the next connection (BufferCache), and
  // counted as such; so is the chunk of send queue records the first Write
  // made the pool grow by (send_queue_pool.h).
  EXPECT_EQ(ep_->buffer_cache().cached_bytes(), recv + send);
  EXPECT_EQ(ep_->MemoryBytes(),
            base + recv + send +
                SendQueuePool::kChunk * SendQueuePool::record_bytes());
}

// An idle connection gives its empty buffers back kBufferReclaimDelay
// (200 ms, Linux's TCP_DELACK_MAX) after its last segment, as Linux's
// sk_mem_reclaim does, and takes them again on its next data.
TEST_F(AppInterfaceTest, Established_IdleWithEmptyBuffers_BuffersReclaimed) {
  MakeListen();
  const uint32_t our = Handshake(kRemotePort, peer_iss_);
  peer_nxt_ = peer_iss_ + 1;
  our_nxt_ = our;
  conn_ = *ep_->Accept(listener_);
  Deliver(Peer().Data("ping"));
  peer_nxt_ += 4;
  EXPECT_EQ(Read(), "ping");
  ASSERT_EQ(Write("pong"), 4u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("pong");
  our_nxt_ += 4;
  Deliver(Peer());  // acknowledges "pong"
  // The rings' first blocks (ByteRing::kFirstBlock): "ping" and "pong"
  // need no more.
  const size_t recv =
      std::min<size_t>(listen_options_.conn.recv_buffer, ByteRing::kFirstBlock);
  const size_t both = recv + std::min<size_t>(listen_options_.conn.send_buffer,
                                              ByteRing::kFirstBlock);
  EXPECT_EQ(ep_->buffer_bytes(), both);
  EXPECT_EQ(ep_->send_queues_in_use(), 1u);
  EXPECT_TRUE(Conn()->holds_send_queue());
  // Empty but not yet idle for 200 ms: kept.
  Advance(Duration::Millis(199));
  ExpectNothingSent();
  EXPECT_EQ(ep_->buffer_bytes(), both);
  EXPECT_EQ(ep_->stats().buffer_reclaims.Get(), 0u);
  // The timer wheel rounds a deadline up to its next tick (16 us).
  Advance(Duration::Millis(2));
  ExpectNothingSent();
  EXPECT_EQ(ep_->buffer_bytes(), 0u);
  EXPECT_EQ(ep_->stats().buffer_reclaims.Get(), 1u);
  // The send queue record goes back with the buffer memory.
  EXPECT_EQ(ep_->send_queues_in_use(), 0u);
  EXPECT_FALSE(Conn()->holds_send_queue());
  EXPECT_EQ(Conn()->send_capacity(), listen_options_.conn.send_buffer);
  // An idle connection holds no out-of-line record at all.
  EXPECT_EQ(ep_->assemblers_in_use(), 0u);
  EXPECT_EQ(ep_->scoreboards_in_use(), 0u);
  EXPECT_EQ(ConnState(), State::kEstablished);
  // Nothing more to wait for: no timer left armed for it.
  EXPECT_EQ(ep_->NextDeadline(), Instant::Never());
  // The next data takes the buffers again, and the stream goes on.
  Deliver(Peer().Data("again"));
  peer_nxt_ += 5;
  EXPECT_EQ(ep_->buffer_bytes(), recv);
  EXPECT_EQ(Read(), "again");
  ASSERT_EQ(Write("more"), 4u);
  ExpectSent(kAck | kPsh, our_nxt_, peer_nxt_).Payload("more");
  EXPECT_EQ(ep_->buffer_bytes(), both);
}

// A connection with unread data keeps its buffers however long it idles.
TEST_F(AppInterfaceTest, Established_IdleWithUnreadData_BuffersKept) {
  MakeListen();
  const uint32_t our = Handshake(kRemotePort, peer_iss_);
  peer_nxt_ = peer_iss_ + 1;
  our_nxt_ = our;
  conn_ = *ep_->Accept(listener_);
  Deliver(Peer().Data("unread"));
  peer_nxt_ += 6;
  Advance(Duration::Seconds(10));
  DropSent();
  EXPECT_EQ(ep_->buffer_bytes(),
            std::min<size_t>(listen_options_.conn.recv_buffer,
                             ByteRing::kFirstBlock));
  EXPECT_EQ(ep_->stats().buffer_reclaims.Get(), 0u);
  EXPECT_EQ(Read(), "unread");
}

TEST_F(AppInterfaceTest, EventList_ChurnWithoutPolling_StaysBounded) {
  // An application that accepts and aborts without ever polling leaves an
  // event per accepted connection behind; the list drops them instead of
  // growing past what Create reserved.
  MakeListen();
  const size_t before = ep_->MemoryBytes();
  for (int i = 0; i < 10 * static_cast<int>(config_.max_connections); ++i) {
    const uint16_t port = static_cast<uint16_t>(20000 + i % 30000);
    Handshake(port, 100);
    std::optional<ConnHandle> h = ep_->Accept(listener_);
    ASSERT_TRUE(h.has_value());
    ASSERT_EQ(ep_->Abort(*h, now_), SockError::kOk);
    DropSent();
  }
  EXPECT_EQ(ep_->MemoryBytes(), before);
  // A connection accepted now still reports.
  Handshake(50001, 100);
  conn_ = *ep_->Accept(listener_);
  EXPECT_EQ(TakeConnEvents() & events::kConnected, events::kConnected);
}

// ---------------------------------------------------------------------------
// The burst input against segment-by-segment input.

struct Outcome {
  std::vector<std::string> sent;
  std::vector<std::string> events;
  std::vector<std::string> data;
  std::vector<uint64_t> counters;
};

Outcome Collect(Endpoint& ep, CaptureSink& sink, ListenerHandle l,
                Instant now) {
  Outcome o;
  for (const Sent& s : sink.sent) {
    // The whole segment as a wire carries it: header, options, payload.
    std::vector<uint8_t> bytes(s.tcp.BufferLen());
    s.tcp.Emit(bytes, s.src, s.dst);
    o.sent.push_back(Describe(s.tcp, s.payload.size()) + " " +
                     std::string(bytes.begin(), bytes.end()));
  }
  while (std::optional<ConnHandle> h = ep.Accept(l)) {
    std::vector<uint8_t> buf(4096);
    IoResult r = ep.Recv(*h, buf, now);
    o.data.push_back(std::to_string(h->index) + ":" +
                     std::string(buf.begin(), buf.begin() + r.bytes) + "/" +
                     ToString(r.error));
  }
  Event ev[64];
  size_t n = ep.PollEvents(ev);
  for (size_t i = 0; i < n; ++i) {
    o.events.push_back(std::to_string(ev[i].conn.index) + ":" +
                       std::to_string(ev[i].mask));
  }
  const EndpointStats& st = ep.stats();
  const ListenerStats* ls = ep.listener_stats(l);
  for (const ListenerStats* x : {&st.listen, ls}) {
    for (const Counter* c :
         {&x->syns_received, &x->synacks_sent, &x->syn_queue_overflows,
          &x->cookies_sent, &x->cookies_validated, &x->cookies_rejected_bad_mac,
          &x->cookie_mode_entered, &x->cookie_mode_left, &x->accept_overflows,
          &x->accept_queue_full_syns}) {
      o.counters.push_back(c->Get());
    }
  }
  o.counters.push_back(st.segments_in.Get());
  o.counters.push_back(st.segments_out.Get());
  o.counters.push_back(st.rst_sent.Get());
  o.counters.push_back(st.passive_opens.Get());
  o.counters.push_back(ep.connection_count());
  o.counters.push_back(ep.half_open_total());
  o.counters.push_back(ep.time_wait_count());
  for (int r = 0; r < static_cast<int>(DropReason::kCount); ++r) {
    o.counters.push_back(st.drops.Get(static_cast<DropReason>(r)));
  }
  for (int a = 0; a < kNumStates; ++a) {
    for (int b = 0; b < kNumStates; ++b) {
      o.counters.push_back(st.transitions[a][b].Get());
    }
  }
  return o;
}

// Counts what reaches the sink through SendSynAcks (the cookie lane).
class LaneCountingSink : public CaptureSink {
 public:
  void SendSynAcks(std::span<const SynAckSegment> segments) override {
    ++lane_calls;
    lane_synacks += segments.size();
    CaptureSink::SendSynAcks(segments);
  }
  size_t lane_calls = 0;
  size_t lane_synacks = 0;
};

// A scenario delivered one segment at a time (OnSegment) and in bursts of
// several sizes (OnSegments) must send the same segments in the same order,
// raise the same events, deliver the same data and count the same. With a
// listener answering with cookies, bursts take the cookie lane
// (Endpoint::AnswerInLane).
struct BurstRun {
  // SYN-ACKs the lane sent with bursts of 1, 3, 7 and the whole scenario.
  std::vector<size_t> lane_synacks;
  size_t accepted = 0;  // connections the scenario completed
  uint64_t accept_queue_full_syns = 0;
};
BurstRun ExpectBurstsAsOneByOne(const ListenOptions& lo) {
  BurstRun run;
  EndpointConfig config;
  config.max_connections = 64;
  config.max_time_wait = 64;
  const Instant now = Instant::FromNanos(1'000'000'000);
  // One cookie secret for both, as the ISN and table keys are.
  const SynCookieSecretStore cookies(SynCookieSecrets{SipKey{0x1234, 0x5678}});
  CaptureSink one_sink;
  std::unique_ptr<Endpoint> one =
      MakeTestEndpoint(config, &one_sink, now, 0, &cookies);
  ListenerHandle l1 = *one->Listen(kLocalAddr, kLocalPort, lo);

  // The scenario is built against the segment-by-segment endpoint (each
  // final ACK needs the ISS its SYN-ACK carried); the burst endpoint, with
  // the same secrets and clock, sends the same ISS.
  std::vector<SegBuilder> script;
  auto feed = [&](const SegBuilder& b) {
    script.push_back(b);
    one->OnSegment(b.Build(), now);
  };
  auto from = [](uint16_t port) {
    SegBuilder b;
    b.From(kRemoteAddr, port).To(kLocalAddr, kLocalPort);
    return b;
  };
  auto last_iss = [&]() { return one_sink.sent.back().tcp.seq.raw(); };
  // Four clients: SYN, final ACK with data, more data, FIN, in order.
  std::vector<uint32_t> iss(4);
  for (int i = 0; i < 4; ++i) {
    feed(from(41000 + i).Syn().Seq(100 * i).Mss(1460).SackPermitted());
    iss[i] = last_iss();
  }
  for (int i = 0; i < 4; ++i) {
    feed(from(41000 + i).AckOnly().Seq(100 * i + 1).Ack(iss[i] + 1).Data("hi"));
  }
  feed(from(41000).AckOnly().Seq(3).Ack(iss[0] + 1).Data("there"));
  feed(from(41001).Fin().Seq(103).Ack(iss[1] + 1));
  // A client whose half-open record a RST removes, then a new SYN and ACK
  // for the same 4-tuple in the same burst.
  feed(from(42000).Syn().Seq(9000));
  feed(from(42000).Rst().Seq(9001));
  feed(from(42000).Syn().Seq(19000));
  const uint32_t iss2 = last_iss();
  feed(from(42000).AckOnly().Seq(19001).Ack(iss2 + 1).Data("again"));
  // A stray ACK to the listener and a SYN to a closed port: RSTs.
  feed(from(43000).AckOnly().Seq(5).Ack(77));
  SegBuilder closed = from(43001).Syn().Seq(1);
  closed.To(kLocalAddr, 81);
  feed(closed);
  // An established connection reset, then a segment for its tuple.
  feed(from(41002).Rst().Seq(203));
  feed(from(41002).AckOnly().Seq(203).Ack(iss[2] + 1).Data("late"));
  // Duplicate data (an ACK answers it) and a segment outside the window.
  feed(from(41003).AckOnly().Seq(301).Ack(iss[3] + 1).Data("hi"));
  feed(from(41003).AckOnly().Seq(301 + 1000000).Ack(iss[3] + 1).Data("far"));
  // A run of SYNs with every option layout, among them a SYN with data, a
  // SYN from port 0, the same SYN twice and a SYN for an established
  // 4-tuple (its connection answers it); then final ACKs for two of them.
  for (int i = 0; i < 12; ++i) {
    SegBuilder b = from(static_cast<uint16_t>(44000 + i)).Syn().Seq(7000 * i);
    if (i % 2 == 0) {
      b.Mss(static_cast<uint16_t>(536 + 100 * i));
    }
    if (i % 3 == 0) {
      b.Ts(500 + i, 0);
    }
    if (i % 4 < 2) {
      b.WindowScale(static_cast<uint8_t>(i % 15)).SackPermitted();
    }
    if (i == 5) {
      b.Data("syn data");
    }
    if (i == 7) {
      b.From(kRemoteAddr, 0);
    }
    feed(b);
    if (i == 3 || i == 9) {
      feed(b);
    }
    if (i == 6) {
      feed(from(41003).Syn().Seq(12345));
    }
  }
  const uint32_t iss_a = [&] {
    for (auto it = one_sink.sent.rbegin(); it != one_sink.sent.rend(); ++it) {
      if (it->tcp.dst_port == 44010 && it->tcp.flags == (kSyn | kAck)) {
        return it->tcp.seq.raw();
      }
    }
    return 0u;
  }();
  feed(from(44010).AckOnly().Seq(70001).Ack(iss_a + 1).Data("lane"));
  feed(from(44011).AckOnly().Seq(77001).Ack(last_iss() + 1));

  std::vector<InSegment> segs;
  for (const SegBuilder& b : script) {
    segs.push_back(b.Build());
  }
  const Outcome want = Collect(*one, one_sink, l1, now);

  for (size_t burst : {size_t{1}, size_t{3}, size_t{7}, segs.size()}) {
    SCOPED_TRACE(burst);
    LaneCountingSink sink;
    std::unique_ptr<Endpoint> ep =
        MakeTestEndpoint(config, &sink, now, 0, &cookies);
    ListenerHandle l = *ep->Listen(kLocalAddr, kLocalPort, lo);
    std::span<const InSegment> rest(segs);
    while (!rest.empty()) {
      const size_t n = std::min(burst, rest.size());
      ep->OnSegments(rest.first(n), now);
      rest = rest.subspan(n);
    }
    const Outcome got = Collect(*ep, sink, l, now);
    EXPECT_EQ(got.sent, want.sent);
    EXPECT_EQ(got.events, want.events);
    EXPECT_EQ(got.data, want.data);
    EXPECT_EQ(got.counters, want.counters);
    run.lane_synacks.push_back(sink.lane_synacks);
  }
  EXPECT_GE(one->stats().rst_sent.Get(), 2u);
  run.accepted = want.data.size();
  run.accept_queue_full_syns = one->stats().listen.accept_queue_full_syns.Get();
  return run;
}

TEST(OnSegmentsTest, Burst_SameResultsAsOneByOne) {
  const BurstRun run = ExpectBurstsAsOneByOne(ListenOptions{});
  // No cookies: every SYN is queued.
  EXPECT_EQ(run.lane_synacks, std::vector<size_t>(4, 0));
  EXPECT_EQ(run.accepted, 7u);
}

TEST(OnSegmentsTest, Burst_CookiesAlways_LaneSameResultsAsOneByOne) {
  ListenOptions lo;
  lo.cookies = SynCookieMode::kAlways;
  const BurstRun run = ExpectBurstsAsOneByOne(lo);
  // The scenario's SYN runs (four, then twelve with two repeated and one
  // for a connection) went through the lane, less the SYN with data and the
  // one from port 0; one at a time, none did.
  ASSERT_EQ(run.lane_synacks.size(), 4u);
  EXPECT_EQ(run.lane_synacks[0], 0u);
  EXPECT_GT(run.lane_synacks[1], 0u);
  EXPECT_GT(run.lane_synacks[2], 0u);
  EXPECT_GE(run.lane_synacks[3], 15u);
  EXPECT_EQ(run.accepted, 7u);
}

TEST(OnSegmentsTest, Burst_CookiesAlwaysAcceptQueueFull_SameResults) {
  // An accept queue of two, never drained: once two handshakes complete,
  // SYNs are dropped (kAcceptQueueFullSyn), in the lane's bursts as well.
  ListenOptions lo;
  lo.cookies = SynCookieMode::kAlways;
  lo.backlog = 2;
  const BurstRun run = ExpectBurstsAsOneByOne(lo);
  ASSERT_EQ(run.lane_synacks.size(), 4u);
  EXPECT_GT(run.lane_synacks[3], 0u);
  EXPECT_EQ(run.accepted, 2u);
  EXPECT_GT(run.accept_queue_full_syns, 0u);
}

TEST(OnSegmentsTest, Burst_CookiesOnOverflow_LaneSameResultsAsOneByOne) {
  // A SYN queue of two: the first SYNs are queued, the rest overflow into
  // cookies, and the mode's hysteresis decides per SYN.
  ListenOptions lo;
  lo.cookies = SynCookieMode::kOnOverflow;
  lo.syn_backlog = 2;
  const BurstRun run = ExpectBurstsAsOneByOne(lo);
  ASSERT_EQ(run.lane_synacks.size(), 4u);
  EXPECT_GT(run.lane_synacks[3], 0u);
  EXPECT_EQ(run.accepted, 7u);
}

}  // namespace
}  // namespace tern::tcp::testing
