// Two Engines over the in-process ring wire (tests/support/ring_wire.h): a
// client engine on port A driven by a small Application that opens
// connections with Endpoint::Connect, and a server engine on port B running
// ServiceHost with the echo (port 7) and http (port 80) services. One
// thread polls both in turn on virtual time; frames are real mbufs through
// real ethdev ports, so ARP, parsing, the codec, checksums and mbuf
// ownership are all exercised.
//
// Every test ends (TearDown, EnginePairTest::TearDownPair in
// tests/support/engine_pair.h) by closing what is open, letting TIME-WAIT
// expire, shutting both engines down and checking that both mempools hold
// exactly the mbufs they held before the test.
//
// Needs root (EAL); without it the binary exits 77, which meson reports as
// SKIP.
#include "lib/port/engine.h"

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/services/pattern.h"
#include "app/services/registry.h"
#include "app/services/service_host.h"
#include "gtest/gtest.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/lcore_loop.h"
#include "lib/wire/arp.h"
#include "lib/wire/byte_order.h"
#include "lib/wire/checksum.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/icmp.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "tests/support/eal_test_main.h"
#include "tests/support/engine_pair.h"
#include "tests/support/ring_wire.h"

namespace tern::port {
namespace {

using tcp::ConnHandle;
using testing::RingWire;
namespace ev = tcp::events;
namespace flags = wire::tcp_flags;

// RFC 2544 benchmarking range, as the rest of tern's tests.
constexpr wire::Ipv4Addr kServerIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
constexpr wire::Ipv4Addr kClientIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 2);
constexpr uint16_t kEchoPort = 7;
constexpr uint16_t kHttpPort = 80;
constexpr size_t kMaxConnections = 256;
constexpr Duration kStep = testing::kPairStep;
constexpr Duration kMsl = testing::kPairMsl;

EngineOptions Options(wire::Ipv4Addr address) {
  return testing::PairEngineOptions(address, kMaxConnections);
}

// The client's application: each connection sends its request (continuing
// on kWritable), reads everything, and closes once it has `close_after`
// bytes or at end of stream, or gives the handle back when the connection
// failed.
class ClientApp final : public Application {
 public:
  struct Conn {
    ConnHandle handle;
    std::string request;
    size_t sent = 0;
    std::string received;
    size_t close_after = std::string::npos;
    uint32_t events = 0;  // every event mask seen, OR-ed
    bool eof = false;
    bool closed = false;  // the handle was given back
  };

  explicit ClientApp(Engine* engine) : engine_(engine) {}

  // Connects to the server; the index names the connection in conn().
  size_t Open(uint16_t port, std::string request, size_t close_after,
              Instant now) {
    tcp::Endpoint& ep = engine_->endpoint();
    absl::StatusOr<ConnHandle> h =
        ep.Connect(kClientIp, kServerIp, port, ep.config().conn_defaults, now);
    EXPECT_TRUE(h.ok()) << h.status();
    Conn c;
    c.handle = h.ok() ? *h : ConnHandle{};
    c.request = std::move(request);
    c.close_after = close_after;
    c.closed = !h.ok();
    conns_.push_back(std::move(c));
    if (h.ok()) {
      ep.SetContext(*h, conns_.size());  // index + 1: 0 means unset
    }
    return conns_.size() - 1;
  }
  const Conn& conn(size_t i) const { return conns_[i]; }
  // Resets connection i (SO_LINGER 0).
  void Abort(size_t i, Instant now) {
    engine_->endpoint().Abort(conns_[i].handle, now);
    conns_[i].closed = true;
  }
  bool AllClosed() const {
    for (const Conn& c : conns_) {
      if (!c.closed) {
        return false;
      }
    }
    return true;
  }

  void Poll(Instant now) override {
    tcp::Endpoint& ep = engine_->endpoint();
    tcp::Event events[32];
    size_t n = 0;
    while ((n = ep.PollEvents(events)) > 0) {
      for (size_t i = 0; i < n; ++i) {
        if (events[i].context != 0) {
          conns_[events[i].context - 1].events |= events[i].mask;
        }
      }
    }
    for (Conn& c : conns_) {
      if (!c.closed) {
        Pump(c, now);
      }
    }
  }

 private:
  void Pump(Conn& c, Instant now) {
    tcp::Endpoint& ep = engine_->endpoint();
    if ((c.events & (ev::kRefused | ev::kReset | ev::kTimedOut)) != 0) {
      ep.Close(c.handle, now);
      c.closed = true;
      return;
    }
    if ((c.events & ev::kConnected) == 0) {
      return;
    }
    while (c.sent < c.request.size()) {
      const std::span<const uint8_t> rest(
          reinterpret_cast<const uint8_t*>(c.request.data()) + c.sent,
          c.request.size() - c.sent);
      const tcp::IoResult r = ep.Send(c.handle, rest, now);
      if (!r.ok() || r.bytes == 0) {
        break;
      }
      c.sent += r.bytes;
    }
    uint8_t buf[16384];
    for (;;) {
      const tcp::IoResult r = ep.Recv(c.handle, buf, now);
      if (r.ok() && r.bytes == 0) {
        c.eof = true;
        break;
      }
      if (!r.ok()) {
        break;
      }
      c.received.append(reinterpret_cast<const char*>(buf), r.bytes);
    }
    if (c.sent == c.request.size() &&
        (c.eof || c.received.size() >= c.close_after)) {
      ep.Close(c.handle, now);
      c.closed = true;
    }
  }

  Engine* engine_;
  std::vector<Conn> conns_;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (char& ch : s) {
    x = x * 1664525u + 1013904223u;  // Numerical Recipes LCG
    ch = static_cast<char>(x >> 24);
  }
  return s;
}

// What a frame taken from a ring carries.
struct FrameInfo {
  uint16_t ethertype = 0;
  wire::MacAddr dst;
  bool tcp = false;
  wire::Ipv4Repr ip;
  wire::TcpRepr seg;  // payload not kept
};

FrameInfo Describe(rte_mbuf* m) {
  FrameInfo f;
  std::vector<uint8_t> bytes(rte_pktmbuf_pkt_len(m));
  const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(
      m, 0, static_cast<uint32_t>(bytes.size()), bytes.data()));
  const std::span<const uint8_t> frame(p, bytes.size());
  wire::EthernetRepr eth;
  size_t eth_len = 0;
  if (wire::EthernetRepr::Parse(frame, &eth, &eth_len) !=
      wire::WireError::kOk) {
    return f;
  }
  f.ethertype = eth.ethertype;
  f.dst = eth.dst;
  if (eth.ethertype != wire::kEtherTypeIpv4) {
    return f;
  }
  std::span<const uint8_t> l4;
  if (wire::Ipv4Repr::Parse(frame.subspan(eth_len),
                            wire::Ipv4Repr::Checksum::kVerify, &f.ip,
                            &l4) != wire::WireError::kOk ||
      f.ip.protocol != wire::kIpProtoTcp) {
    return f;
  }
  f.tcp = wire::TcpRepr::Parse(l4, f.ip.src, f.ip.dst,
                               wire::TcpRepr::Checksum::kVerify,
                               &f.seg) == wire::WireError::kOk;
  f.seg.payload = {};
  return f;
}

std::vector<rte_mbuf*> TakeAll(rte_ring* r) {
  std::vector<rte_mbuf*> out(rte_ring_count(r));
  const unsigned k =
      rte_ring_dequeue_bulk(r, reinterpret_cast<void**>(out.data()),
                            static_cast<unsigned>(out.size()), nullptr);
  out.resize(k);
  return out;
}

// Returns frames to the ring they were taken from, in order (the ring was
// emptied by TakeAll and nothing ran in between).
void PutBack(rte_ring* r, std::vector<rte_mbuf*>& frames) {
  const unsigned k =
      rte_ring_enqueue_bulk(r, reinterpret_cast<void* const*>(frames.data()),
                            static_cast<unsigned>(frames.size()), nullptr);
  ASSERT_EQ(k, frames.size());
  frames.clear();
}

void FreeAll(std::vector<rte_mbuf*>& frames) {
  for (rte_mbuf* m : frames) {
    rte_pktmbuf_free(m);
  }
  frames.clear();
}

// A SYN from the client's address to the server's http port.
std::vector<uint8_t> ClientSyn(RingWire& w, uint16_t sport, uint32_t isn,
                               uint16_t dport = kHttpPort) {
  return testing::SynFrame({.src_mac = w.a().mac(),
                            .dst_mac = w.b().mac(),
                            .src = kClientIp,
                            .dst = kServerIp,
                            .src_port = sport,
                            .dst_port = dport,
                            .isn = isn,
                            .tsval = 777});
}

// The SYN-ACKs through the sink together (SendSynAcks, the cookie lane's
// way) or one by one (SendSynAck).
void SendSynAcks(tcp::SegmentSink& sink,
                 const std::vector<tcp::SynAckSegment>& segs, bool batch) {
  if (batch) {
    sink.SendSynAcks(segs);
    return;
  }
  for (const tcp::SynAckSegment& s : segs) {
    sink.SendSynAck(s);
  }
}

class EngineTest : public testing::EnginePairTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CreateWire());
    ASSERT_NO_FATAL_FAILURE(RecreateServer(Options(kServerIp)));
    ASSERT_NO_FATAL_FAILURE(CreateClient(Options(kClientIp)));
    client_app_ = std::make_unique<ClientApp>(client_.get());
    client_->set_application(client_app_.get());
  }

  void TearDown() override {
    if (wire_ == nullptr) {
      return;
    }
    // Close what is still open and wait out TIME-WAIT, so the engines'
    // destruction sends nothing.
    if (client_ != nullptr && server_ != nullptr) {
      for (size_t i = 0; client_app_ && !client_app_->AllClosed(); ++i) {
        Round();
        if (i > 100000) {
          ADD_FAILURE() << "client connections never closed";
          break;
        }
      }
    }
    TearDownPair([&] { client_app_.reset(); });
  }

  // The server again, with `options` (its application and services too).
  void RecreateServer(const EngineOptions& options,
                      Steering* steering = nullptr) {
    ASSERT_NO_FATAL_FAILURE(CreateServer(options, steering));
    Serve(kEchoPort, "echo");
    Serve(kHttpPort, "http");
  }

  void Serve(uint16_t port, std::string_view service) {
    EnginePairTest::Serve(port, service, kMaxConnections);
  }

  bool Closed(size_t i) const { return client_app_->conn(i).closed; }

  std::unique_ptr<ClientApp> client_app_;
};

const std::string kGetClose =
    "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\nConnection: close\r\n\r\n";

// With a gateway, the engine asks for it at its first poll, before any
// frame needs it, so a burst of SYNs from off the prefix is answered at once:
// no SYN-ACK waits for ARP or is dropped behind the first one
// (ArpCache::Solicit; doc/port.md).
TEST_F(EngineTest, Gateway_SolicitedAtFirstPoll_OffPrefixBurstAnsweredAtOnce) {
  EngineOptions o = Options(kServerIp);
  o.gateway = kClientIp;  // the client's engine stands in for the router
  ASSERT_NO_FATAL_FAILURE(RecreateServer(o));
  now_ = now_ + kStep;
  server_->PollOnce(now_);
  std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
  ASSERT_EQ(out.size(), 1u);
  const auto* p = rte_pktmbuf_mtod(out[0], const uint8_t*);
  const std::span<const uint8_t> frame(p, rte_pktmbuf_data_len(out[0]));
  wire::EthernetRepr eth;
  size_t eth_len = 0;
  ASSERT_EQ(wire::EthernetRepr::Parse(frame, &eth, &eth_len),
            wire::WireError::kOk);
  ASSERT_EQ(eth.ethertype, wire::kEtherTypeArp);
  wire::ArpRepr arp;
  ASSERT_EQ(wire::ArpRepr::Parse(frame.subspan(eth_len), &arp),
            wire::WireError::kOk);
  EXPECT_EQ(arp.op, wire::ArpOp::kRequest);
  EXPECT_EQ(arp.target_ip, kClientIp);
  EXPECT_EQ(arp.sender_ip, kServerIp);
  // The client answers; the server learns the gateway.
  ASSERT_EQ(rte_ring_enqueue(wire_->ba(), out[0]), 0);
  Round();
  Round();
  wire::MacAddr gw;
  ASSERT_TRUE(server_->arp().Lookup(kClientIp, &gw));
  EXPECT_EQ(gw, wire_->a().mac());

  constexpr size_t kN = 32;  // four times ArpCacheOptions::pending_per_entry
  for (size_t i = 0; i < kN; ++i) {
    const std::vector<uint8_t> syn = testing::SynFrame(
        {.src_mac = wire_->a().mac(),
         .dst_mac = wire_->b().mac(),
         .src = wire::Ipv4Addr::FromOctets(198, 19, 1, static_cast<uint8_t>(i)),
         .dst = kServerIp,
         .src_port = static_cast<uint16_t>(50000 + i),
         .dst_port = kHttpPort,
         .isn = static_cast<uint32_t>(1000 * i),
         .tsval = 1});
    rte_mbuf* m = testing::MbufOf(wire_->b().pool(), syn);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_ring_enqueue(wire_->ab(), m), 0);
  }
  now_ = now_ + kStep;
  server_->PollOnce(now_);
  out = TakeAll(wire_->ba());
  EXPECT_EQ(out.size(), kN);
  for (rte_mbuf* m : out) {
    const FrameInfo f = Describe(m);
    EXPECT_TRUE(f.tcp);
    EXPECT_EQ(f.dst, wire_->a().mac());
    EXPECT_EQ(f.seg.flags, flags::kSyn | flags::kAck);
  }
  FreeAll(out);
  EXPECT_EQ(server_->counters().drops.Get(PortDrop::kArpPendingFull), 0u);
  EXPECT_EQ(server_->arp().pending(), 0u);
}

TEST_F(EngineTest, Connect_FirstSynWaitsForArp_ThenLeaves) {
  const size_t c =
      client_app_->Open(kHttpPort, kGetClose, std::string::npos, now_);
  now_ = now_ + kStep;
  client_->PollOnce(now_);
  // Only the ARP request left; the SYN waits in the ARP cache.
  std::vector<rte_mbuf*> out = TakeAll(wire_->ab());
  ASSERT_EQ(out.size(), 1u);
  FrameInfo f = Describe(out[0]);
  EXPECT_EQ(f.ethertype, wire::kEtherTypeArp);
  EXPECT_TRUE(f.dst.IsBroadcast());
  EXPECT_EQ(client_->arp_counters().requests_sent.Get(), 1u);
  PutBack(wire_->ab(), out);

  server_->PollOnce(now_);  // answers the request
  EXPECT_EQ(server_->counters().arp_requests_in.Get(), 1u);
  client_->PollOnce(now_);  // learns the answer, sends the held SYN
  wire::MacAddr learnt;
  ASSERT_TRUE(client_->arp().Lookup(kServerIp, &learnt));
  EXPECT_EQ(learnt, wire_->b().mac());
  out = TakeAll(wire_->ab());
  ASSERT_EQ(out.size(), 1u);
  f = Describe(out[0]);
  ASSERT_TRUE(f.tcp);
  EXPECT_EQ(f.dst, wire_->b().mac());
  EXPECT_EQ(f.seg.flags, flags::kSyn);
  EXPECT_EQ(f.seg.dst_port, kHttpPort);
  PutBack(wire_->ab(), out);

  ASSERT_TRUE(RunUntil([&] { return Closed(c); }));
  EXPECT_NE(client_app_->conn(c).events & ev::kConnected, 0u);
  EXPECT_EQ(client_->counters().drops.Total(), 0u);
  EXPECT_EQ(server_->counters().drops.Total(), 0u);
}

TEST_F(EngineTest, Http_ResponseWhole_ServerClosesIntoTimeWait) {
  const size_t c =
      client_app_->Open(kHttpPort, kGetClose, std::string::npos, now_);
  ASSERT_TRUE(RunUntil([&] { return Closed(c); }));
  const ClientApp::Conn& conn = client_app_->conn(c);
  EXPECT_TRUE(conn.eof);
  const std::string& r = conn.received;
  ASSERT_TRUE(r.starts_with("HTTP/1.1 200 ")) << r.substr(0, 80);
  EXPECT_NE(r.find("Content-Length: 1024\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  const size_t body = r.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  ASSERT_EQ(r.size() - body - 4, 1024u);
  for (size_t i = 0; i < 1024; ++i) {
    ASSERT_EQ(static_cast<uint8_t>(r[body + 4 + i]), app::PatternByte(i))
        << "body byte " << i;
  }
  // The server closed first (Connection: close): it holds TIME-WAIT, the
  // client went through LAST-ACK to CLOSED.
  ASSERT_TRUE(
      RunUntil([&] { return client_->endpoint().connection_count() == 0; }));
  EXPECT_EQ(server_->endpoint().time_wait_count(), 1u);
  EXPECT_EQ(client_->endpoint().time_wait_count(), 0u);
  EXPECT_EQ(server_->endpoint().connection_count(), 0u);
  // And TIME-WAIT ends after 2 MSL.
  EXPECT_TRUE(Settle());
}

TEST_F(EngineTest, Echo_OneMebibyte_IntactAndClientHoldsTimeWait) {
  constexpr size_t kBytes = 1 << 20;
  const std::string data = RandomBytes(kBytes, 42);
  const size_t c = client_app_->Open(kEchoPort, data, kBytes, now_);
  ASSERT_TRUE(RunUntil([&] { return Closed(c); }, 2000000));
  const ClientApp::Conn& conn = client_app_->conn(c);
  ASSERT_EQ(conn.received.size(), kBytes);
  EXPECT_TRUE(conn.received == data) << "echoed bytes differ";
  // The client closed first: it holds TIME-WAIT after the echo service
  // answered its FIN with its own.
  ASSERT_TRUE(RunUntil([&] {
    return server_->endpoint().connection_count() == 0 &&
           client_->endpoint().connection_count() == 0;
  }));
  EXPECT_EQ(client_->endpoint().time_wait_count(), 1u);
  EXPECT_EQ(server_->endpoint().time_wait_count(), 0u);
  EXPECT_EQ(client_->counters().TotalDrops(), 0u);
  EXPECT_EQ(server_->counters().TotalDrops(), 0u);
  EXPECT_EQ(wire_->a_counters().tx_dropped_ring_full.Get() +
                wire_->b_counters().tx_dropped_ring_full.Get(),
            0u);
}

TEST_F(EngineTest, Connect_ClosedPort_RstGivesRefused) {
  const uint64_t rst0 = server_->endpoint().stats().rst_sent.Get();
  const size_t c = client_app_->Open(9999, "", std::string::npos, now_);
  ASSERT_TRUE(RunUntil([&] { return Closed(c); }));
  EXPECT_NE(client_app_->conn(c).events & ev::kRefused, 0u);
  EXPECT_EQ(client_app_->conn(c).events & ev::kConnected, 0u);
  EXPECT_EQ(server_->endpoint().stats().rst_sent.Get(), rst0 + 1);
}

class EngineFrameTest : public EngineTest {
 protected:
  // Resolves ARP both ways with one connection, so hand-made frames from
  // the client's address are answered without an ARP round trip.
  void WarmUp() {
    const size_t c =
        client_app_->Open(kHttpPort, kGetClose, std::string::npos, now_);
    ASSERT_TRUE(RunUntil([&] { return Closed(c); }));
    ASSERT_TRUE(Settle());
    wire::MacAddr mac;
    ASSERT_TRUE(server_->arp().Lookup(kClientIp, &mac));
  }
};

TEST_F(EngineFrameTest, ChainedMbufSyn_ReadAndAnswered) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  const uint64_t tcp_in0 = server_->counters().tcp_in.Get();
  const uint64_t reused0 = server_->counters().rx_mbufs_reused.Get();
  const std::vector<uint8_t> frame = ClientSyn(*wire_, 40000, 1000);
  // Split inside the TCP header (Ethernet 14 + IPv4 20 + 10 bytes of TCP),
  // so the ports and the options straddle the two segments.
  constexpr size_t kSplit = 44;
  const std::span<const uint8_t> bytes(frame);
  // The server's own pool, as a PMD that scatters would use.
  rte_mbuf* head = testing::MbufOf(wire_->b().pool(), bytes.first(kSplit));
  rte_mbuf* tail = testing::MbufOf(wire_->b().pool(), bytes.subspan(kSplit));
  ASSERT_NE(head, nullptr);
  ASSERT_NE(tail, nullptr);
  ASSERT_EQ(rte_pktmbuf_chain(head, tail), 0);
  ASSERT_EQ(head->nb_segs, 2);
  ASSERT_EQ(rte_pktmbuf_pkt_len(head), frame.size());
  ASSERT_EQ(rte_ring_enqueue(wire_->ab(), head), 0);

  now_ = now_ + kStep;
  server_->PollOnce(now_);
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0 + 1);
  EXPECT_EQ(server_->counters().parse_drops.Total(), 0u);
  // A chain is freed, not kept for the engine's next frames.
  EXPECT_EQ(server_->counters().rx_mbufs_reused.Get(), reused0);
  std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
  ASSERT_EQ(out.size(), 1u);
  const FrameInfo f = Describe(out[0]);
  FreeAll(out);
  ASSERT_TRUE(f.tcp);
  EXPECT_EQ(f.dst, wire_->a().mac());
  EXPECT_EQ(f.seg.flags, flags::kSyn | flags::kAck);
  EXPECT_EQ(f.seg.dst_port, 40000);
  EXPECT_EQ(f.seg.src_port, kHttpPort);
  EXPECT_EQ(f.seg.ack, SeqNum(1001));
  EXPECT_EQ(f.seg.options.timestamps->tsecr, 777u);
  // A half-open record, as for any SYN below the cookie threshold; it is
  // dropped with the server's endpoint.
  EXPECT_EQ(server_->endpoint().half_open_total(), 1u);
}

// Engine::SendSynAck writes, from a template and the variable fields, the
// frame Send writes for the same SYN-ACK as an OutSegment (TcpRepr::Emit
// laying the options out), with and without the template, byte for byte
// (checksums included: the ring port offers no offload), for every option
// layout a listener's templates have.
TEST_F(EngineFrameTest, SendSynAck_SameFrameAsSendOfItsOutSegment) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  tcp::SegmentSink& sink = *server_;
  for (int layout = 0; layout < 8; ++layout) {
    const bool wscale = (layout & 1) != 0;
    const bool sack = (layout & 2) != 0;
    const bool ts = (layout & 4) != 0;
    wire::TcpRepr proto;
    proto.flags = flags::kSyn | flags::kAck;
    proto.window = 64240;
    proto.options.mss = 1460;
    if (wscale) {
      proto.options.window_scale = 7;
    }
    proto.options.sack_permitted = sack;
    if (ts) {
      proto.options.timestamps = wire::TcpTimestamps{0, 0};
    }
    const wire::TcpHeaderTemplate t = wire::TcpHeaderTemplate::Make(proto);
    tcp::SynAckSegment s;
    s.src = kServerIp;
    s.dst = kClientIp;
    s.src_port = kHttpPort;
    s.dst_port = static_cast<uint16_t>(45000 + layout);
    s.seq = SeqNum(0x89abcdefu + static_cast<uint32_t>(layout));
    s.ack = SeqNum(0xfedcba98u);
    s.tsval = 0x01020304u;
    s.tsecr = 0xa0b0c0d0u;
    s.header_template = &t;

    sink.SendSynAck(s);
    server_->FlushTx();
    std::vector<rte_mbuf*> compact = TakeAll(wire_->ba());
    sink.Send(s.ToOutSegment());
    server_->FlushTx();
    std::vector<rte_mbuf*> templated = TakeAll(wire_->ba());
    // And without the template: TcpRepr::Emit lays the options out.
    tcp::OutSegment plain = s.ToOutSegment();
    plain.header_template = nullptr;
    sink.Send(plain);
    server_->FlushTx();
    std::vector<rte_mbuf*> general = TakeAll(wire_->ba());
    ASSERT_EQ(compact.size(), 1u) << "layout " << layout;
    ASSERT_EQ(templated.size(), 1u) << "layout " << layout;
    ASSERT_EQ(general.size(), 1u) << "layout " << layout;
    const auto bytes = [](const rte_mbuf* m) {
      const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
      return std::vector<uint8_t>(p, p + rte_pktmbuf_data_len(m));
    };
    EXPECT_EQ(bytes(compact[0]), bytes(templated[0])) << "layout " << layout;
    EXPECT_EQ(bytes(compact[0]), bytes(general[0])) << "layout " << layout;
    const FrameInfo f = Describe(compact[0]);
    ASSERT_TRUE(f.tcp) << "layout " << layout;
    EXPECT_EQ(f.dst, wire_->a().mac());
    EXPECT_EQ(f.seg.seq, s.seq);
    EXPECT_EQ(f.seg.ack, s.ack);
    EXPECT_EQ(f.seg.dst_port, s.dst_port);
    EXPECT_EQ(f.seg.options.window_scale.has_value(), wscale);
    EXPECT_EQ(f.seg.options.sack_permitted, sack);
    ASSERT_EQ(f.seg.options.timestamps.has_value(), ts);
    if (ts) {
      EXPECT_EQ(f.seg.options.timestamps->tsval, s.tsval);
      EXPECT_EQ(f.seg.options.timestamps->tsecr, s.tsecr);
    }
    EXPECT_EQ(f.seg.window, proto.window);
    EXPECT_EQ(f.seg.options.mss, proto.options.mss);
    FreeAll(compact);
    FreeAll(templated);
    FreeAll(general);
  }
}

// Engine::SendSynAcks writes the frames SendSynAck writes one by one, in
// order, with the ARP cache's answers for each: resolved (the client, asked
// once for a run of frames to it), unresolved (queued behind one request),
// and no route.
TEST_F(EngineFrameTest, SendSynAcks_SameFramesAsOneByOne) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  tcp::SegmentSink& sink = *server_;
  wire::TcpRepr proto;
  proto.flags = flags::kSyn | flags::kAck;
  proto.window = 64240;
  proto.options.mss = 1460;
  proto.options.timestamps = wire::TcpTimestamps{0, 0};
  const wire::TcpHeaderTemplate t = wire::TcpHeaderTemplate::Make(proto);
  // `unresolved`: an address on the prefix that nobody answers, a new one
  // for each run so that each asks for it once.
  const auto segments = [&](wire::Ipv4Addr unresolved) {
    const wire::Ipv4Addr off_prefix = wire::Ipv4Addr::FromOctets(198, 19, 0, 5);
    const std::vector<wire::Ipv4Addr> dsts = {kClientIp,  kClientIp, unresolved,
                                              unresolved, kClientIp, off_prefix,
                                              kClientIp,  kClientIp};
    std::vector<tcp::SynAckSegment> out;
    for (size_t i = 0; i < dsts.size(); ++i) {
      tcp::SynAckSegment s;
      s.src = kServerIp;
      s.dst = dsts[i];
      s.src_port = kHttpPort;
      s.dst_port = static_cast<uint16_t>(46000 + i);
      s.seq = SeqNum(0x10000u * static_cast<uint32_t>(i + 1));
      s.ack = SeqNum(0x777u + static_cast<uint32_t>(i));
      s.tsval = static_cast<uint32_t>(i);
      s.tsecr = 0x5000u + static_cast<uint32_t>(i);
      s.header_template = &t;
      out.push_back(s);
    }
    return out;
  };
  struct Run {
    std::vector<std::vector<uint8_t>> frames;
    uint64_t requests = 0;
    uint64_t queued = 0;
    uint64_t no_route = 0;
  };
  const auto run = [&](bool batch, wire::Ipv4Addr unresolved) {
    const std::vector<tcp::SynAckSegment> segs = segments(unresolved);
    const ArpCounters& ac = server_->arp_counters();
    const uint64_t requests0 = ac.requests_sent.Get();
    const uint64_t queued0 = ac.pending_queued.Get();
    const uint64_t no_route0 =
        server_->counters().drops.Get(PortDrop::kNoRoute);
    SendSynAcks(sink, segs, batch);
    server_->FlushTx();
    Run r;
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    for (const rte_mbuf* m : out) {
      const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
      r.frames.emplace_back(p, p + rte_pktmbuf_data_len(m));
    }
    FreeAll(out);
    r.requests = ac.requests_sent.Get() - requests0;
    r.queued = ac.pending_queued.Get() - queued0;
    r.no_route = server_->counters().drops.Get(PortDrop::kNoRoute) - no_route0;
    return r;
  };
  const Run one = run(false, wire::Ipv4Addr::FromOctets(198, 18, 0, 77));
  const Run batch = run(true, wire::Ipv4Addr::FromOctets(198, 18, 0, 78));
  // Five SYN-ACKs to the client and one ARP request each.
  ASSERT_EQ(one.frames.size(), 6u);
  ASSERT_EQ(batch.frames.size(), one.frames.size());
  EXPECT_EQ(batch.requests, 1u);
  EXPECT_EQ(batch.queued, 2u);
  EXPECT_EQ(batch.no_route, 1u);
  EXPECT_EQ(one.requests, batch.requests);
  EXPECT_EQ(one.queued, batch.queued);
  EXPECT_EQ(one.no_route, batch.no_route);
  size_t synacks = 0;
  for (size_t i = 0; i < one.frames.size(); ++i) {
    wire::EthernetRepr eth;
    size_t eth_len = 0;
    ASSERT_EQ(wire::EthernetRepr::Parse(batch.frames[i], &eth, &eth_len),
              wire::WireError::kOk);
    if (eth.ethertype == wire::kEtherTypeArp) {
      // The requests differ in the address they ask for.
      EXPECT_EQ(one.frames[i].size(), batch.frames[i].size()) << i;
      continue;
    }
    EXPECT_EQ(batch.frames[i], one.frames[i]) << "frame " << i;
    EXPECT_EQ(eth.dst, wire_->a().mac());
    ++synacks;
  }
  EXPECT_EQ(synacks, 5u);
}

// The same with the client's binding stale (its last confirmation older
// than ArpOptions::reachable): the first SYN-ACK to it re-probes in the
// background, once, and every SYN-ACK still leaves with the known MAC, in
// one call as one by one (doc/port.md: the stale binding's re-probe is
// started by the first frame, and the frames after it take its address).
TEST_F(EngineFrameTest, SendSynAcks_StaleNeighbour_OneReprobeSameFrames) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  tcp::SegmentSink& sink = *server_;
  wire::TcpRepr proto;
  proto.flags = flags::kSyn | flags::kAck;
  proto.window = 64240;
  proto.options.mss = 1460;
  const wire::TcpHeaderTemplate t = wire::TcpHeaderTemplate::Make(proto);
  std::vector<tcp::SynAckSegment> segs;
  for (uint16_t i = 0; i < 6; ++i) {
    tcp::SynAckSegment sa;
    sa.src = kServerIp;
    sa.dst = kClientIp;
    sa.src_port = kHttpPort;
    sa.dst_port = static_cast<uint16_t>(47000 + i);
    sa.seq = SeqNum(0x20000u * (i + 1u));
    sa.ack = SeqNum(0x999u + i);
    sa.header_template = &t;
    segs.push_back(sa);
  }
  const ArpCounters& ac = server_->arp_counters();
  // Ages the client's binding past `reachable` (the server alone polls:
  // nothing confirms it meanwhile), then sends the SYN-ACKs; returns them
  // and the ARP requests sent.
  const auto run = [&](bool batch, std::vector<std::vector<uint8_t>>* synacks,
                       uint64_t* requests) {
    now_ = now_ + ArpCacheOptions{}.reachable + Duration::Seconds(1);
    server_->PollOnce(now_);
    std::vector<rte_mbuf*> before = TakeAll(wire_->ba());
    FreeAll(before);
    const uint64_t requests0 = ac.requests_sent.Get();
    SendSynAcks(sink, segs, batch);
    server_->FlushTx();
    *requests = ac.requests_sent.Get() - requests0;
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    for (rte_mbuf* m : out) {
      const FrameInfo f = Describe(m);
      if (f.tcp) {
        EXPECT_EQ(f.dst, wire_->a().mac());
        const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
        synacks->emplace_back(p, p + rte_pktmbuf_data_len(m));
      } else {
        EXPECT_EQ(f.ethertype, wire::kEtherTypeArp);
      }
    }
    FreeAll(out);
    // The client confirms its binding (a gratuitous ARP), so that the next
    // run starts from a reachable entry again.
    client_->SendGratuitousArp();
    client_->FlushTx();
    server_->PollOnce(now_);
    std::vector<rte_mbuf*> rest = TakeAll(wire_->ba());
    FreeAll(rest);
  };
  std::vector<std::vector<uint8_t>> one;
  std::vector<std::vector<uint8_t>> batch;
  uint64_t one_requests = 0;
  uint64_t batch_requests = 0;
  std::vector<std::vector<uint8_t>> batch_again;
  uint64_t batch_again_requests = 0;
  // Two batches, one by one in between: what a batch remembered of the
  // binding must not outlive its call.
  run(true, &batch, &batch_requests);
  run(false, &one, &one_requests);
  run(true, &batch_again, &batch_again_requests);
  EXPECT_EQ(one_requests, 1u);
  EXPECT_EQ(batch_requests, 1u);
  EXPECT_EQ(batch_again_requests, 1u);
  ASSERT_EQ(one.size(), segs.size());
  EXPECT_EQ(batch, one);
  EXPECT_EQ(batch_again, one);
}

TEST_F(EngineFrameTest, BadTcpChecksum_CountedAndNotAnswered) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  const uint64_t bad0 =
      server_->counters().parse_drops.Get(wire::WireError::kTcpBadChecksum);
  const uint64_t tcp_in0 = server_->counters().tcp_in.Get();
  std::vector<uint8_t> frame = ClientSyn(*wire_, 40001, 5000);
  // The TCP checksum is bytes 16-17 of the TCP header.
  frame[14 + 20 + 16] ^= 0x5a;
  rte_mbuf* m = testing::MbufOf(wire_->a().pool(), frame);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(rte_ring_enqueue(wire_->ab(), m), 0);

  now_ = now_ + kStep;
  server_->PollOnce(now_);
  EXPECT_EQ(
      server_->counters().parse_drops.Get(wire::WireError::kTcpBadChecksum),
      bad0 + 1);
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0);
  EXPECT_EQ(rte_ring_count(wire_->ba()), 0u);
  EXPECT_EQ(server_->endpoint().half_open_total(), 0u);
}

// ---- Received mbufs reused for the next frames (Engine::RecycleReceived)

class EngineRecycleTest : public EngineFrameTest {
 protected:
  // Enqueues SYNs from the client's address to `dport`, one per source
  // port from `first_port`, each in an mbuf of `pool`, and polls the server
  // once.
  std::vector<rte_mbuf*> SynBurst(rte_mempool* pool, uint16_t first_port,
                                  size_t n, uint16_t dport = kHttpPort) {
    std::vector<rte_mbuf*> in;
    for (size_t i = 0; i < n; ++i) {
      const auto port = static_cast<uint16_t>(first_port + i);
      rte_mbuf* m =
          testing::MbufOf(pool, ClientSyn(*wire_, port, 7000 + port, dport));
      EXPECT_NE(m, nullptr);
      if (m == nullptr || rte_ring_enqueue(wire_->ab(), m) != 0) {
        ADD_FAILURE() << "no mbuf or no ring room for SYN " << i;
        if (m != nullptr) {
          rte_pktmbuf_free(m);
        }
        continue;
      }
      in.push_back(m);
    }
    now_ = now_ + kStep;
    server_->PollOnce(now_);
    return in;
  }
  // Enqueues `m` for the server, polls it once, and frees the one frame it
  // answers with; returns that frame's mbuf address (only to compare).
  const rte_mbuf* OneReplyTo(rte_mbuf* m) {
    EXPECT_EQ(rte_ring_enqueue(wire_->ab(), m), 0);
    now_ = now_ + kStep;
    server_->PollOnce(now_);
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    EXPECT_EQ(out.size(), 1u);
    const rte_mbuf* reply = out.empty() ? nullptr : out[0];
    FreeAll(out);
    return reply;
  }
};

// A SYN arrives in an mbuf of the server's own pool, as its PMD delivers
// them; its SYN-ACK is built in that same mbuf (tcp::OutSegment::reply_to),
// so none is left over for the stash. The same for a burst answered on the
// endpoint's cookie lane (Engine::SendSynAcks).
void ExpectSynAcksInTheirOwnMbufs(const std::vector<rte_mbuf*>& syns,
                                  uint16_t first,
                                  const std::vector<rte_mbuf*>& out) {
  ASSERT_EQ(out.size(), syns.size());
  for (rte_mbuf* m : out) {
    const FrameInfo f = Describe(m);
    ASSERT_TRUE(f.tcp);
    EXPECT_EQ(f.seg.flags, flags::kSyn | flags::kAck);
    // The mbuf that carried the SYN from this port.
    const auto at = std::find(syns.begin(), syns.end(), m);
    ASSERT_NE(at, syns.end())
        << "SYN-ACK to " << f.seg.dst_port << " not built in a SYN's mbuf";
    EXPECT_EQ(f.seg.dst_port, first + (at - syns.begin()));
    EXPECT_EQ(f.seg.ack, SeqNum(7000 + f.seg.dst_port + 1));
  }
}

TEST_F(EngineRecycleTest, OwnPoolSyns_SynAcksBuiltInTheirOwnMbufs) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  rte_mempool* own = wire_->b().pool();
  // The http listener queues its SYNs; port 8080 answers every SYN with a
  // cookie, a burst of them on the cookie lane.
  tcp::ListenOptions lo;
  lo.cookies = tcp::SynCookieMode::kAlways;
  ASSERT_TRUE(server_->endpoint().Listen(kServerIp, 8080, lo).ok());
  constexpr size_t kN = 4;
  for (const uint16_t dport : {kHttpPort, uint16_t{8080}}) {
    SCOPED_TRACE(dport);
    const uint16_t first = dport == kHttpPort ? 41000 : 42000;
    const uint64_t reused0 = server_->counters().rx_mbufs_reused.Get();
    const uint64_t replied0 = server_->counters().rx_mbufs_replied.Get();
    const uint64_t cookies0 =
        server_->endpoint().stats().listen.cookies_sent.Get();
    const std::vector<rte_mbuf*> syns = SynBurst(own, first, kN, dport);
    ASSERT_EQ(syns.size(), kN);
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    for (rte_mbuf* m : out) {
      EXPECT_EQ(Describe(m).dst, wire_->a().mac());
    }
    ExpectSynAcksInTheirOwnMbufs(syns, first, out);
    FreeAll(out);
    EXPECT_EQ(server_->counters().rx_mbufs_replied.Get() - replied0, kN);
    EXPECT_EQ(server_->counters().rx_mbufs_reused.Get(), reused0);
    EXPECT_EQ(server_->endpoint().stats().listen.cookies_sent.Get() - cookies0,
              dport == kHttpPort ? 0u : kN);
  }
  EXPECT_EQ(server_->counters().parse_drops.Total(), 0u);
}

// Segments answered by other frames than a SYN-ACK (a RST to a closed
// port) leave their mbufs to the stash once delivered, and the next burst's
// frames are built in them. The replies are held until the end, so the
// pool cannot hand the same addresses out again.
TEST_F(EngineRecycleTest, OwnPoolSegments_NextBurstsFramesBuiltInThem) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  rte_mempool* own = wire_->b().pool();
  constexpr size_t kN = 4;
  constexpr uint16_t kClosedPort = 81;
  const uint64_t reused0 = server_->counters().rx_mbufs_reused.Get();
  const uint64_t replied0 = server_->counters().rx_mbufs_replied.Get();
  std::vector<rte_mbuf*> previous;
  std::vector<rte_mbuf*> held;
  for (int burst = 0; burst < 3; ++burst) {
    const std::vector<rte_mbuf*> syns = SynBurst(
        own, static_cast<uint16_t>(41100 + burst * kN), kN, kClosedPort);
    ASSERT_EQ(syns.size(), kN);
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    ASSERT_EQ(out.size(), kN) << "burst " << burst;
    for (rte_mbuf* m : out) {
      const FrameInfo f = Describe(m);
      EXPECT_TRUE(f.tcp);
      EXPECT_EQ(f.seg.flags, flags::kRst | flags::kAck);
      EXPECT_EQ(m->pool, own);
    }
    if (burst > 0) {
      std::vector<rte_mbuf*> sorted_out = out;
      std::sort(sorted_out.begin(), sorted_out.end());
      std::sort(previous.begin(), previous.end());
      EXPECT_EQ(sorted_out, previous)
          << "burst " << burst
          << ": the RSTs were not built in the previous burst's SYN mbufs";
    }
    held.insert(held.end(), out.begin(), out.end());
    previous = syns;
    // The mbufs of this burst are in the stash now.
    EXPECT_GE(server_->stashed_mbufs(), kN);
  }
  FreeAll(held);
  EXPECT_EQ(server_->counters().rx_mbufs_reused.Get() - reused0, 3 * kN);
  EXPECT_EQ(server_->counters().rx_mbufs_replied.Get(), replied0);
  EXPECT_EQ(server_->counters().parse_drops.Total(), 0u);
}

// Mbufs of another pool go back to it, one the sender still holds a
// reference to is only released, and an indirect one is detached and freed:
// none is reused.
TEST_F(EngineRecycleTest, ForeignPoolSharedOrIndirectMbuf_FreedNotReused) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  rte_mempool* other = wire_->a().pool();
  const uint64_t reused0 = server_->counters().rx_mbufs_reused.Get();
  const unsigned other_avail0 = rte_mempool_avail_count(other);

  const std::vector<rte_mbuf*> foreign = SynBurst(other, 42000, 3);
  ASSERT_EQ(foreign.size(), 3u);
  std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
  ASSERT_EQ(out.size(), 3u);
  for (rte_mbuf* m : out) {
    EXPECT_EQ(m->pool, wire_->b().pool());
    EXPECT_EQ(std::count(foreign.begin(), foreign.end(), m), 0);
  }
  FreeAll(out);
  // The three SYN mbufs are back in the other pool.
  EXPECT_EQ(rte_mempool_avail_count(other), other_avail0);
  EXPECT_EQ(server_->counters().rx_mbufs_reused.Get(), reused0);

  // An own-pool SYN whose mbuf the test also holds (reference count 2).
  rte_mbuf* held =
      testing::MbufOf(wire_->b().pool(), ClientSyn(*wire_, 42010, 9100));
  ASSERT_NE(held, nullptr);
  rte_mbuf_refcnt_update(held, 1);
  EXPECT_NE(OneReplyTo(held), held);
  EXPECT_EQ(rte_mbuf_refcnt_read(held), 1u);  // the engine's reference went
  EXPECT_EQ(server_->counters().rx_mbufs_reused.Get(), reused0);
  rte_pktmbuf_free(held);

  // An indirect mbuf of the server's own pool (a clone: its data is the
  // original's buffer, which a frame built in it would overwrite).
  rte_mbuf* original =
      testing::MbufOf(wire_->b().pool(), ClientSyn(*wire_, 42020, 9200));
  ASSERT_NE(original, nullptr);
  rte_mbuf* clone = rte_pktmbuf_clone(original, wire_->b().pool());
  ASSERT_NE(clone, nullptr);
  ASSERT_FALSE(RTE_MBUF_DIRECT(clone));
  EXPECT_NE(OneReplyTo(clone), clone);
  EXPECT_EQ(rte_mbuf_refcnt_read(original), 1u);  // the clone was detached
  EXPECT_EQ(server_->counters().rx_mbufs_reused.Get(), reused0);
  rte_pktmbuf_free(original);
}

// ---- ICMP errors (RFC 792, RFC 1191, RFC 5927)

constexpr wire::Ipv4Addr kRouterIp =
    wire::Ipv4Addr::FromOctets(198, 18, 0, 254);

// An Ethernet frame from the client's port to the server's carrying an
// IPv4 datagram from `src` to the server with `l4_len` bytes of `protocol`,
// which `emit` writes.
std::vector<uint8_t> Ipv4Frame(
    RingWire& w, wire::Ipv4Addr src, uint8_t protocol, size_t l4_len,
    const std::function<void(std::span<uint8_t>)>& emit) {
  wire::Ipv4Repr ip;
  ip.src = src;
  ip.dst = kServerIp;
  ip.protocol = protocol;
  ip.payload_len = static_cast<uint16_t>(l4_len);
  wire::EthernetRepr eth;
  eth.src = w.a().mac();
  eth.dst = w.b().mac();
  eth.ethertype = wire::kEtherTypeIpv4;
  std::vector<uint8_t> f(eth.BufferLen() + ip.BufferLen());
  eth.Emit({f.data(), eth.BufferLen()});
  ip.Emit({f.data() + eth.BufferLen(), ip.HeaderLen()});
  emit({f.data() + eth.BufferLen() + ip.HeaderLen(), l4_len});
  return f;
}

// The Ethernet frame of a TCP segment from the client's address to the
// server, with timestamps and correct checksums.
std::vector<uint8_t> ClientSegment(RingWire& w, uint16_t sport, uint16_t dport,
                                   uint32_t seq, uint32_t ack, uint8_t flags,
                                   std::span<const uint8_t> payload,
                                   uint32_t tsval, uint32_t tsecr) {
  wire::TcpRepr tcp;
  tcp.src_port = sport;
  tcp.dst_port = dport;
  tcp.seq = SeqNum(seq);
  tcp.ack = SeqNum(ack);
  tcp.flags = flags;
  tcp.window = 502;  // x 128 (window scale 7 in ClientSyn)
  tcp.options.timestamps = wire::TcpTimestamps{tsval, tsecr};
  tcp.payload = payload;
  return Ipv4Frame(
      w, kClientIp, wire::kIpProtoTcp, tcp.BufferLen(),
      [&](std::span<uint8_t> out) { tcp.Emit(out, kClientIp, kServerIp); });
}

// An ICMP error from a router to the server quoting `quoted` (an IPv4
// datagram the server sent: its header and the first `quote_tcp` bytes
// after it).
std::vector<uint8_t> IcmpErrorFrame(RingWire& w, uint8_t type, uint8_t code,
                                    uint16_t mtu,
                                    std::span<const uint8_t> quoted,
                                    size_t quote_tcp = 8) {
  wire::IcmpRepr icmp;
  icmp.type = static_cast<wire::IcmpType>(type);
  icmp.code = code;
  icmp.next_hop_mtu = mtu;
  icmp.data = quoted.first(std::min(quoted.size(), 20 + quote_tcp));
  return Ipv4Frame(w, kRouterIp, wire::kIpProtoIcmp, icmp.BufferLen(),
                   [&](std::span<uint8_t> out) { icmp.Emit(out); });
}

std::vector<uint8_t> BytesOf(rte_mbuf* m) {
  std::vector<uint8_t> bytes(rte_pktmbuf_pkt_len(m));
  const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(
      m, 0, static_cast<uint32_t>(bytes.size()), bytes.data()));
  if (p != bytes.data()) {
    std::memcpy(bytes.data(), p, bytes.size());
  }
  return bytes;
}

// The TCP payload length of a frame (IPv4 total length less the headers).
size_t TcpPayloadLen(const std::vector<uint8_t>& frame) {
  const size_t ip = 14;
  const size_t total = (size_t{frame[ip + 2]} << 8) | frame[ip + 3];
  const size_t ihl = size_t{frame[ip] & 0x0fu} * 4;
  const size_t doff = size_t{frame[ip + ihl + 12]} / 16 * 4;
  return total - ihl - doff;
}

class EngineIcmpTest : public EngineFrameTest {
 protected:
  void Inject(const std::vector<uint8_t>& frame) {
    rte_mbuf* m = testing::MbufOf(wire_->a().pool(), frame);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(rte_ring_enqueue(wire_->ab(), m), 0);
    now_ = now_ + kStep;
    server_->PollOnce(now_);
  }
  // Frames the server sent since the last call, as bytes.
  std::vector<std::vector<uint8_t>> Taken() {
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    std::vector<std::vector<uint8_t>> frames;
    for (rte_mbuf* m : out) {
      frames.push_back(BytesOf(m));
    }
    FreeAll(out);
    return frames;
  }
  // A SYN to `port`; returns the SYN-ACK frame.
  std::vector<uint8_t> Handshake(uint16_t sport, uint16_t port, uint32_t isn) {
    Inject(testing::SynFrame({.src_mac = wire_->a().mac(),
                              .dst_mac = wire_->b().mac(),
                              .src = kClientIp,
                              .dst = kServerIp,
                              .src_port = sport,
                              .dst_port = port,
                              .isn = isn,
                              .tsval = 777}));
    std::vector<std::vector<uint8_t>> f = Taken();
    EXPECT_EQ(f.size(), 1u);
    return f.empty() ? std::vector<uint8_t>{} : f[0];
  }
};

TEST_F(EngineIcmpTest, PortUnreachableQuotingSynAck_HalfOpenFreed) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  const std::vector<uint8_t> synack = Handshake(40010, kHttpPort, 9000);
  ASSERT_FALSE(synack.empty());
  ASSERT_EQ(server_->endpoint().half_open_total(), 1u);
  const std::span<const uint8_t> quoted =
      std::span<const uint8_t>(synack).subspan(14);
  // A wrong sequence number first (RFC 5927 section 4.1): ignored.
  std::vector<uint8_t> forged(quoted.begin(), quoted.end());
  forged[20 + 7] ^= 1;
  Inject(IcmpErrorFrame(*wire_, 3, 3, 0, forged));
  EXPECT_EQ(
      server_->endpoint().stats().drops.Get(tcp::DropReason::kIcmpOutOfWindow),
      1u);
  EXPECT_EQ(server_->endpoint().half_open_total(), 1u);
  Inject(IcmpErrorFrame(*wire_, 3, 3, 0, quoted));
  EXPECT_EQ(server_->counters().icmp_errors_in.Get(), 2u);
  EXPECT_EQ(server_->endpoint().stats().icmp_aborts.Get(), 1u);
  EXPECT_EQ(server_->endpoint().half_open_total(), 0u);
  EXPECT_TRUE(Taken().empty());
}

TEST_F(EngineIcmpTest, FragNeeded_EchoedSegmentResentAtPathMtu) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  const std::vector<uint8_t> synack = Handshake(40011, kEchoPort, 20000);
  ASSERT_FALSE(synack.empty());
  const uint32_t server_iss = (uint32_t{synack[14 + 20 + 4]} << 24) |
                              (uint32_t{synack[14 + 20 + 5]} << 16) |
                              (uint32_t{synack[14 + 20 + 6]} << 8) |
                              synack[14 + 20 + 7];
  // The final ACK with 1400 bytes: the echo service sends them back in one
  // segment (MSS 1460 less 12 bytes of timestamps).
  const std::string request = RandomBytes(1400, 11);
  const std::span<const uint8_t> payload(
      reinterpret_cast<const uint8_t*>(request.data()), request.size());
  Inject(ClientSegment(*wire_, 40011, kEchoPort, 20001, server_iss + 1,
                       flags::kAck | flags::kPsh, payload, 778, 1));
  std::vector<std::vector<uint8_t>> echoed;
  ASSERT_TRUE(RunUntil(
      [&] {
        now_ = now_ + kStep;
        server_->PollOnce(now_);
        for (std::vector<uint8_t>& f : Taken()) {
          if (TcpPayloadLen(f) > 0) {
            echoed.push_back(std::move(f));
          }
        }
        return !echoed.empty();
      },
      1000));
  ASSERT_EQ(echoed.size(), 1u);
  ASSERT_EQ(TcpPayloadLen(echoed[0]), 1400u);
  // A router with a 1000-byte next hop returns the first 8 bytes of it.
  Inject(IcmpErrorFrame(*wire_, 3, 4, 1000,
                        std::span<const uint8_t>(echoed[0]).subspan(14)));
  EXPECT_EQ(server_->endpoint().stats().pmtu_decreases.Get(), 1u);
  std::vector<size_t> lens;
  for (const std::vector<uint8_t>& f : Taken()) {
    lens.push_back(TcpPayloadLen(f));
  }
  // 1000 - 40 - 12 bytes of timestamps per segment.
  EXPECT_EQ(lens, (std::vector<size_t>{948, 452}));
  // Not about a TCP segment of ours, and a quote too short: named drops.
  std::vector<uint8_t> udp(echoed[0].begin() + 14, echoed[0].end());
  udp[9] = 17;
  Inject(IcmpErrorFrame(*wire_, 3, 3, 0, udp));
  EXPECT_EQ(server_->counters().drops.Get(PortDrop::kIcmpNotAboutUs), 1u);
  Inject(IcmpErrorFrame(*wire_, 11, 0, 0,
                        std::span<const uint8_t>(echoed[0]).subspan(14), 4));
  EXPECT_EQ(server_->counters().drops.Get(PortDrop::kIcmpQuoteMalformed), 1u);
  // The client resets the connection; nothing is left for TearDown.
  Inject(ClientSegment(*wire_, 40011, kEchoPort, 21401, 0, flags::kRst, {}, 779,
                       0));
  EXPECT_EQ(server_->endpoint().connection_count(), 0u);
  Taken();
}

// A tap that takes (and frees) IPv4 frames to one address, as tern-flood
// takes the replies to its spoofed sources.
class AddressTap final : public RxTap {
 public:
  explicit AddressTap(wire::Ipv4Addr taken) : taken_(taken) {}
  bool Take(rte_mbuf* m) override {
    ++offered;
    const FrameInfo f = Describe(m);
    if (f.ethertype != wire::kEtherTypeIpv4 || f.ip.dst != taken_) {
      return false;
    }
    ++taken;
    last_flags = f.seg.flags;
    rte_pktmbuf_free(m);
    return true;
  }
  uint64_t offered = 0;
  uint64_t taken = 0;
  uint8_t last_flags = 0;

 private:
  wire::Ipv4Addr taken_;
};

TEST_F(EngineFrameTest, RxTap_TakesItsFrames_EngineServesTheRest) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  constexpr wire::Ipv4Addr kSpoofed = wire::Ipv4Addr::FromOctets(198, 19, 0, 5);
  AddressTap tap(kSpoofed);
  client_->set_rx_tap(&tap);
  const uint64_t tcp_in0 = client_->counters().tcp_in.Get();
  const uint64_t drops0 = client_->counters().TotalDrops();
  // A SYN-ACK-shaped frame to the spoofed address, on the client's MAC, as a
  // server answering a spoofed SYN through its gateway sends it.
  std::vector<uint8_t> frame = testing::SynFrame({.src_mac = wire_->b().mac(),
                                                  .dst_mac = wire_->a().mac(),
                                                  .src = kServerIp,
                                                  .dst = kSpoofed,
                                                  .src_port = kHttpPort,
                                                  .dst_port = 40000,
                                                  .isn = 1,
                                                  .tsval = 1});
  rte_mbuf* m = testing::MbufOf(wire_->b().pool(), frame);
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(rte_ring_enqueue(wire_->ba(), m), 0);
  now_ = now_ + kStep;
  client_->PollOnce(now_);
  EXPECT_EQ(tap.taken, 1u);
  EXPECT_EQ(tap.last_flags, flags::kSyn);
  EXPECT_EQ(client_->counters().rx_tapped.Get(), 1u);
  EXPECT_EQ(client_->counters().tcp_in.Get(), tcp_in0);
  EXPECT_EQ(client_->counters().TotalDrops(), drops0);

  // Frames the tap leaves reach the engine: a whole HTTP exchange.
  const size_t c =
      client_app_->Open(kHttpPort, kGetClose, std::string::npos, now_);
  ASSERT_TRUE(RunUntil([&] { return Closed(c); }));
  EXPECT_TRUE(client_app_->conn(c).received.starts_with("HTTP/1.1 200 "));
  EXPECT_EQ(tap.taken, 1u);
  // Offered and left: at least the SYN-ACK and the response (which carries
  // the server's FIN), besides the spoofed frame it took.
  EXPECT_GE(tap.offered, 3u);
  EXPECT_EQ(client_->counters().rx_tapped.Get(), 1u);
  EXPECT_GT(client_->counters().tcp_in.Get(), tcp_in0);
  client_->set_rx_tap(nullptr);
}

// Reflect mode (Engine::set_reflect, the rate ratio's bare loop): an IPv4
// frame goes back byte for byte with its Ethernet and IPv4 addresses
// swapped, its checksums still valid; ARP is still answered; nothing reaches
// the endpoint; switched off, the same SYN is answered by TCP again.
TEST_F(EngineIcmpTest, Reflect_Ipv4BackSwapped_ArpAnswered_ThenTcpAgain) {
  ASSERT_NO_FATAL_FAILURE(WarmUp());
  const std::vector<uint8_t> syn =
      testing::SynFrame({.src_mac = wire_->a().mac(),
                         .dst_mac = wire_->b().mac(),
                         .src = kClientIp,
                         .dst = kServerIp,
                         .src_port = 40100,
                         .dst_port = kHttpPort,
                         .isn = 3000,
                         .tsval = 5});
  const uint64_t tcp_in0 = server_->counters().tcp_in.Get();
  const uint64_t arp0 = server_->counters().arp_replies.Get();
  server_->set_reflect(true);
  EXPECT_TRUE(server_->reflect());
  Inject(syn);
  std::vector<std::vector<uint8_t>> out = Taken();
  ASSERT_EQ(out.size(), 1u);
  std::vector<uint8_t> expected = syn;
  std::copy_n(syn.begin() + 6, 6, expected.begin());  // dst MAC
  std::copy_n(syn.begin(), 6, expected.begin() + 6);  // src MAC
  std::copy_n(syn.begin() + 14 + 16, 4, expected.begin() + 14 + 12);
  std::copy_n(syn.begin() + 14 + 12, 4, expected.begin() + 14 + 16);
  EXPECT_EQ(out[0], expected);
  rte_mbuf* again = testing::MbufOf(wire_->a().pool(), out[0]);
  ASSERT_NE(again, nullptr);
  const FrameInfo f = Describe(again);  // both checksums verified
  rte_pktmbuf_free(again);
  ASSERT_TRUE(f.tcp);
  EXPECT_EQ(f.ip.src, kServerIp);
  EXPECT_EQ(f.ip.dst, kClientIp);
  EXPECT_EQ(f.seg.flags, flags::kSyn);
  EXPECT_EQ(server_->counters().reflected.Get(), 1u);
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0);
  EXPECT_EQ(server_->endpoint().half_open_total(), 0u);

  // An IPv4 frame to the broadcast MAC is not ours to reflect: dropped.
  std::vector<uint8_t> bcast = syn;
  std::fill_n(bcast.begin(), 6, uint8_t{0xff});
  Inject(bcast);
  EXPECT_TRUE(Taken().empty());
  EXPECT_EQ(server_->counters().drops.Get(PortDrop::kNotReflected), 1u);
  EXPECT_EQ(server_->counters().reflected.Get(), 1u);

  // ARP for our address: answered in reflect mode too.
  std::vector<uint8_t> arp(60, 0);
  {
    wire::EthernetRepr eth;
    eth.src = wire_->a().mac();
    eth.dst = wire::MacAddr::Broadcast();
    eth.ethertype = wire::kEtherTypeArp;
    wire::ArpRepr a;
    a.op = wire::ArpOp::kRequest;
    a.sender_mac = wire_->a().mac();
    a.sender_ip = kClientIp;
    a.target_ip = kServerIp;
    eth.Emit({arp.data(), eth.BufferLen()});
    a.Emit({arp.data() + eth.BufferLen(), wire::ArpRepr::BufferLen()});
  }
  Inject(arp);
  out = Taken();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(wire::LoadBe16(out[0].data() + 12), wire::kEtherTypeArp);
  EXPECT_EQ(server_->counters().arp_replies.Get(), arp0 + 1);
  EXPECT_EQ(server_->counters().reflected.Get(), 1u);

  // Off again: the same SYN gets a SYN-ACK from the listener.
  server_->set_reflect(false);
  Inject(syn);
  out = Taken();
  ASSERT_EQ(out.size(), 1u);
  rte_mbuf* synack = testing::MbufOf(wire_->a().pool(), out[0]);
  ASSERT_NE(synack, nullptr);
  const FrameInfo g = Describe(synack);
  rte_pktmbuf_free(synack);
  ASSERT_TRUE(g.tcp);
  EXPECT_EQ(g.seg.flags, flags::kSyn | flags::kAck);
  EXPECT_EQ(g.seg.ack, SeqNum(3001));
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0 + 1);
  EXPECT_EQ(server_->counters().reflected.Get(), 1u);
}

// ---------------------------------------------------------------------------
// The hostile-input catalogue below TCP (doc/security.md): frames the port's
// frame handler refuses, each under its own counter, with nothing sent and
// nothing reaching the endpoint; and the frames it must accept.

// The IPv4 header checksum of a frame recomputed after an edit.
void FixIpChecksum(std::vector<uint8_t>& f) {
  constexpr size_t kEth = wire::kEthHeaderLen;
  const size_t ihl = size_t{f[kEth] & 0xfu} * 4;
  f[kEth + 10] = 0;
  f[kEth + 11] = 0;
  const uint16_t c = wire::InternetChecksum(std::span(f).subspan(kEth, ihl));
  f[kEth + 10] = static_cast<uint8_t>(c >> 8);
  f[kEth + 11] = static_cast<uint8_t>(c);
}

class EngineHostileTest : public EngineFrameTest {
 protected:
  void SetUp() override {
    EngineFrameTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(WarmUp());
    Rebase();
  }
  // The counters the expectations below compare with, read now: several
  // frames in one test, each judged alone.
  void Rebase() {
    tcp_in0_ = server_->counters().tcp_in.Get();
    drops0_ = server_->counters().TotalDrops();
    half_open0_ = server_->endpoint().half_open_total();
  }
  // A SYN from the client's MAC to the server, with `src` as its source.
  std::vector<uint8_t> Syn(wire::Ipv4Addr src, uint16_t sport = 41000) {
    return testing::SynFrame({.src_mac = wire_->a().mac(),
                              .dst_mac = wire_->b().mac(),
                              .src = src,
                              .dst = kServerIp,
                              .src_port = sport,
                              .dst_port = kHttpPort,
                              .isn = 1000,
                              .tsval = 777});
  }
  // One frame to the server, one poll; returns the frames it sent. The
  // mbuf carries `ol_flags` as a NIC's RX offload would set them (net_ring
  // hands the mbuf over as it is).
  size_t Inject(const std::vector<uint8_t>& frame, uint64_t ol_flags = 0) {
    rte_mbuf* m = testing::MbufOf(wire_->a().pool(), frame);
    EXPECT_NE(m, nullptr);
    m->ol_flags |= ol_flags;
    EXPECT_EQ(rte_ring_enqueue(wire_->ab(), m), 0);
    now_ = now_ + kStep;
    server_->PollOnce(now_);
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    const size_t n = out.size();
    FreeAll(out);
    return n;
  }
  // The frame was refused under `reason` alone; nothing was sent and the
  // endpoint saw nothing.
  void ExpectRefused(const std::vector<uint8_t>& frame, PortDrop reason,
                     uint64_t ol_flags = 0) {
    const uint64_t before = server_->counters().drops.Get(reason);
    EXPECT_EQ(Inject(frame, ol_flags), 0u);
    EXPECT_EQ(server_->counters().drops.Get(reason), before + 1)
        << ToString(reason);
    ExpectNothingElse();
  }
  void ExpectParseRefused(const std::vector<uint8_t>& frame, wire::WireError e,
                          uint64_t ol_flags = 0) {
    const uint64_t before = server_->counters().parse_drops.Get(e);
    EXPECT_EQ(Inject(frame, ol_flags), 0u);
    EXPECT_EQ(server_->counters().parse_drops.Get(e), before + 1)
        << wire::ToString(e);
    ExpectNothingElse();
  }
  void ExpectNothingElse() {
    EXPECT_EQ(server_->counters().TotalDrops(), drops0_ + 1);
    EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0_);
    EXPECT_EQ(server_->endpoint().half_open_total(), half_open0_);
  }
  // The SYN reached the endpoint and was answered with a SYN-ACK.
  void ExpectAnswered(const std::vector<uint8_t>& frame,
                      uint64_t ol_flags = 0) {
    EXPECT_EQ(Inject(frame, ol_flags), 1u);
    EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0_ + 1);
    EXPECT_EQ(server_->counters().TotalDrops(), drops0_);
    EXPECT_EQ(server_->endpoint().half_open_total(), half_open0_ + 1);
  }

  uint64_t tcp_in0_ = 0;
  uint64_t drops0_ = 0;
  size_t half_open0_ = 0;
};

TEST_F(EngineHostileTest, Hostile_SourceBroadcast_Port) {
  ExpectRefused(Syn(wire::Ipv4Addr{0xffffffff}), PortDrop::kBadSource);
}

TEST_F(EngineHostileTest, Hostile_SourceMulticast_Port) {
  ExpectRefused(Syn(wire::Ipv4Addr::FromOctets(224, 0, 0, 1)),
                PortDrop::kBadSource);
}

TEST_F(EngineHostileTest, Hostile_SourceZero_Port) {
  ExpectRefused(Syn(wire::Ipv4Addr{0}), PortDrop::kBadSource);
}

// Defect fixed: a SYN from 127.0.0.1 was answered.
TEST_F(EngineHostileTest, Hostile_SourceLoopback_Port) {
  ExpectRefused(Syn(wire::Ipv4Addr::FromOctets(127, 0, 0, 1)),
                PortDrop::kBadSource);
}

// Defect fixed: a "land" SYN (source = destination, same ports) made a
// half-open record and a SYN-ACK addressed to ourselves.
TEST_F(EngineHostileTest, Hostile_SourceEqualsDestination_Port) {
  std::vector<uint8_t> f = Syn(kServerIp, kHttpPort);
  ExpectRefused(f, PortDrop::kLandSource);
}

TEST_F(EngineHostileTest, Hostile_SourceMacMulticast_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  f[6] |= 0x01;  // the source MAC's group bit
  ExpectRefused(f, PortDrop::kBadSource);
}

TEST_F(EngineHostileTest, Hostile_IpBadChecksum_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  f[wire::kEthHeaderLen + 10] ^= 0x40;
  ExpectParseRefused(f, wire::WireError::kIpv4BadChecksum);
}

// The NIC's RX checksum flags (doc/port.md, "Checksums") on SYNs of the
// shape the one-pass parse takes (wire::ParseTcpFrame): a checksum flagged
// bad is dropped under the NIC's reason even when it is right (the one pass
// is not tried); one flagged good is not computed again, so a wrong one goes
// through; with no flag it is verified.
TEST_F(EngineHostileTest, Hostile_NicFlaggedBadChecksums_Port) {
  constexpr size_t kIpChecksum = wire::kEthHeaderLen + 10;
  constexpr size_t kTcpChecksum =
      wire::kEthHeaderLen + wire::kIpv4MinHeaderLen + 16;
  ExpectRefused(Syn(kClientIp, 41001), PortDrop::kNicBadIpChecksum,
                RTE_MBUF_F_RX_IP_CKSUM_BAD);
  Rebase();
  ExpectRefused(Syn(kClientIp, 41002), PortDrop::kNicBadL4Checksum,
                RTE_MBUF_F_RX_L4_CKSUM_BAD);
  Rebase();
  ExpectRefused(Syn(kClientIp, 41003), PortDrop::kNicBadL4Checksum,
                RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_BAD);
  Rebase();
  // Both flagged bad: the IPv4 header's reason, checked first.
  ExpectRefused(Syn(kClientIp, 41004), PortDrop::kNicBadIpChecksum,
                RTE_MBUF_F_RX_IP_CKSUM_BAD | RTE_MBUF_F_RX_L4_CKSUM_BAD);
  Rebase();
  std::vector<uint8_t> bad_tcp = Syn(kClientIp, 41005);
  bad_tcp[kTcpChecksum] ^= 0x5a;
  ExpectParseRefused(bad_tcp, wire::WireError::kTcpBadChecksum,
                     RTE_MBUF_F_RX_IP_CKSUM_GOOD);
  Rebase();
  std::vector<uint8_t> bad_ip = Syn(kClientIp, 41006);
  bad_ip[kIpChecksum] ^= 0x40;
  ExpectParseRefused(bad_ip, wire::WireError::kIpv4BadChecksum,
                     RTE_MBUF_F_RX_L4_CKSUM_GOOD);
}

TEST_F(EngineHostileTest, Hostile_NicFlaggedGoodChecksumsTrusted_Port) {
  constexpr size_t kIpChecksum = wire::kEthHeaderLen + 10;
  constexpr size_t kTcpChecksum =
      wire::kEthHeaderLen + wire::kIpv4MinHeaderLen + 16;
  std::vector<uint8_t> f = Syn(kClientIp, 41011);
  f[kIpChecksum] ^= 0x40;
  f[kTcpChecksum] ^= 0x5a;
  ExpectAnswered(f, RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD);
  Rebase();
  std::vector<uint8_t> tcp_only = Syn(kClientIp, 41012);
  tcp_only[kTcpChecksum] ^= 0x5a;
  ExpectAnswered(tcp_only, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
}

TEST_F(EngineHostileTest, Hostile_IpFragment_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  f[wire::kEthHeaderLen + 6] = 0x20;  // MF
  FixIpChecksum(f);
  ExpectParseRefused(f, wire::WireError::kIpv4Fragment);
}

TEST_F(EngineHostileTest, Hostile_EthernetTruncated_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  f.resize(13);
  ExpectParseRefused(f, wire::WireError::kEthTruncated);
}

TEST_F(EngineHostileTest, Hostile_IpTotalLengthBeyondFrame_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  f[wire::kEthHeaderLen + 2] += 1;  // total length high byte: +256
  FixIpChecksum(f);
  ExpectParseRefused(f, wire::WireError::kIpv4BadTotalLength);
}

// TTL 0 on arrival: RFC 1122 3.2.1.7 ("MUST NOT discard a datagram just
// because it was received with TTL less than 2"): answered.
TEST_F(EngineHostileTest, Hostile_Ttl0_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  f[wire::kEthHeaderLen + 8] = 0;
  FixIpChecksum(f);
  ExpectAnswered(f);
}

// IP options TCP does not understand are ignored (RFC 9293 MUST-50): the
// SYN is answered.
TEST_F(EngineHostileTest, Hostile_IpOptions_Port) {
  std::vector<uint8_t> f = Syn(kClientIp);
  constexpr size_t kEth = wire::kEthHeaderLen;
  const std::vector<uint8_t> ra = {0x94, 4, 0, 0};  // router alert
  f.insert(f.begin() + kEth + wire::kIpv4MinHeaderLen, ra.begin(), ra.end());
  f[kEth] = 0x46;
  const uint16_t total = static_cast<uint16_t>(f.size() - kEth);
  f[kEth + 2] = static_cast<uint8_t>(total >> 8);
  f[kEth + 3] = static_cast<uint8_t>(total);
  FixIpChecksum(f);
  ExpectAnswered(f);
}

TEST_F(EngineHostileTest, Hostile_IcmpFragNeededMtu68_Port) {
  // It quotes a segment of the server's (IP header + 8 bytes of TCP) that
  // belongs to no connection: the port hands it to the endpoint, which
  // finds nothing to lower (RFC 5927 section 4.1; the 552-byte floor and
  // the MSS checks are IcmpTest's and EngineIcmpTest's).
  const std::vector<uint8_t> seg = testing::SynFrame({.src_mac = {},
                                                      .dst_mac = {},
                                                      .src = kServerIp,
                                                      .dst = kClientIp,
                                                      .src_port = kHttpPort,
                                                      .dst_port = 40000,
                                                      .isn = 1,
                                                      .tsval = 1});
  const std::span<const uint8_t> quoted =
      std::span(seg).subspan(wire::kEthHeaderLen, wire::kIpv4MinHeaderLen + 8);
  const tcp::EndpointStats& st = server_->endpoint().stats();
  const uint64_t before = st.drops.Get(tcp::DropReason::kIcmpNoConnection);
  EXPECT_EQ(Inject(IcmpErrorFrame(*wire_, 3, wire::kIcmpCodeFragmentationNeeded,
                                  68, quoted)),
            0u);
  EXPECT_EQ(st.drops.Get(tcp::DropReason::kIcmpNoConnection), before + 1);
  EXPECT_EQ(st.pmtu_decreases.Get(), 0u);
  EXPECT_EQ(server_->counters().TotalDrops(), drops0_);
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0_);
}

TEST_F(EngineHostileTest, Hostile_IcmpErrorNotMatchingASegment_Port) {
  // A quote that is no IPv4 header (RFC 792 says it must be one).
  const std::vector<uint8_t> junk(28, 0x5a);
  ExpectRefused(
      IcmpErrorFrame(*wire_, 3, wire::kIcmpCodeFragmentationNeeded, 1000, junk),
      PortDrop::kIcmpQuoteMalformed);
}

// ---- Floods at the port (issue 15): ICMP errors and ARP. Each floods the
// server engine one frame per poll, takes and frees what it sends, and
// checks that both mempools are back at their counts, that every frame was
// counted by a named counter, and that every bound that refused something
// counted it.

class EngineFloodTest : public EngineHostileTest {
 protected:
  // Both pools at their counts before the test: nothing the flood put in
  // or took out is held.
  void ExpectPoolsBack() {
    wire_->a().Flush();
    wire_->b().Flush();
    std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
    FreeAll(out);
    // The engines' stashes of free mbufs (Engine::stashed_mbufs) count as
    // back.
    EXPECT_EQ(
        rte_mempool_avail_count(wire_->a().pool()) + client_->stashed_mbufs(),
        pool_a0_);
    EXPECT_EQ(
        rte_mempool_avail_count(wire_->b().pool()) + server_->stashed_mbufs(),
        pool_b0_);
  }
  // An ARP packet in a broadcast (request) or unicast (reply) frame from
  // the client's port.
  std::vector<uint8_t> ArpFrame(wire::ArpOp op, wire::Ipv4Addr sender,
                                const wire::MacAddr& sender_mac,
                                wire::Ipv4Addr target) {
    wire::EthernetRepr eth;
    eth.src = wire_->a().mac();
    eth.dst = op == wire::ArpOp::kRequest ? wire::MacAddr::Broadcast()
                                          : wire_->b().mac();
    eth.ethertype = wire::kEtherTypeArp;
    wire::ArpRepr arp;
    arp.op = op;
    arp.sender_mac = sender_mac;
    arp.sender_ip = sender;
    arp.target_ip = target;
    if (op == wire::ArpOp::kReply) {
      arp.target_mac = wire_->b().mac();
    }
    std::vector<uint8_t> f(
        std::max<size_t>(eth.BufferLen() + wire::ArpRepr::BufferLen(), 60));
    eth.Emit({f.data(), eth.BufferLen()});
    arp.Emit({f.data() + eth.BufferLen(), wire::ArpRepr::BufferLen()});
    return f;
  }
  static wire::MacAddr FakeMac(uint32_t i) {
    return wire::MacAddr{{0x02, 0xee, static_cast<uint8_t>(i >> 16),
                          static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i),
                          0x01}};
  }
  static wire::Ipv4Addr FakeIp(uint32_t i) {
    return wire::Ipv4Addr::FromOctets(10, static_cast<uint8_t>(i >> 16),
                                      static_cast<uint8_t>(i >> 8),
                                      static_cast<uint8_t>(i));
  }
};

// 3000 ICMP errors of three kinds: a fragmentation-needed quoting a segment
// of no connection (the endpoint drops it, RFC 5927 4.1), a quote that is
// no IPv4 header (the port drops it, RFC 792), and a port unreachable about
// a datagram from another address (not about us). Nothing is answered,
// nothing is kept, every one is counted.
TEST_F(EngineFloodTest, Flood_IcmpErrors_CountedNothingKeptPoolsBack) {
  constexpr uint32_t kFlood = 3000;
  const tcp::EndpointStats& st = server_->endpoint().stats();
  const uint64_t no_conn0 = st.drops.Get(tcp::DropReason::kIcmpNoConnection);
  const uint64_t malformed0 =
      server_->counters().drops.Get(PortDrop::kIcmpQuoteMalformed);
  const uint64_t not_us0 =
      server_->counters().drops.Get(PortDrop::kIcmpNotAboutUs);
  const uint64_t icmp_in0 = server_->counters().icmp_errors_in.Get();
  const size_t arp0 = server_->arp().size();
  const size_t conns0 = server_->endpoint().connection_count();
  size_t answers = 0;
  for (uint32_t i = 0; i < kFlood; ++i) {
    std::vector<uint8_t> frame;
    switch (i % 3) {
      case 0: {
        const std::vector<uint8_t> seg =
            testing::SynFrame({.src_mac = {},
                               .dst_mac = {},
                               .src = kServerIp,
                               .dst = kClientIp,
                               .src_port = kHttpPort,
                               .dst_port = static_cast<uint16_t>(1024 + i),
                               .isn = i,
                               .tsval = 1});
        frame =
            IcmpErrorFrame(*wire_, 3, wire::kIcmpCodeFragmentationNeeded,
                           static_cast<uint16_t>(68 + i % 1400),
                           std::span(seg).subspan(wire::kEthHeaderLen,
                                                  wire::kIpv4MinHeaderLen + 8));
        break;
      }
      case 1: {
        // Version 5 in the first nibble: never an IPv4 header, whatever
        // follows.
        std::vector<uint8_t> junk(28, static_cast<uint8_t>(i));
        junk[0] = 0x5a;
        frame = IcmpErrorFrame(*wire_, 3, 3, 0, junk);
        break;
      }
      case 2: {
        const std::vector<uint8_t> seg =
            testing::SynFrame({.src_mac = {},
                               .dst_mac = {},
                               .src = FakeIp(i),
                               .dst = kClientIp,
                               .src_port = kHttpPort,
                               .dst_port = 40000,
                               .isn = i,
                               .tsval = 1});
        frame =
            IcmpErrorFrame(*wire_, 3, 3, 0,
                           std::span(seg).subspan(wire::kEthHeaderLen,
                                                  wire::kIpv4MinHeaderLen + 8));
        break;
      }
    }
    answers += Inject(frame);
  }
  EXPECT_EQ(answers, 0u);
  EXPECT_EQ(st.drops.Get(tcp::DropReason::kIcmpNoConnection) - no_conn0,
            kFlood / 3);
  EXPECT_EQ(
      server_->counters().drops.Get(PortDrop::kIcmpQuoteMalformed) - malformed0,
      kFlood / 3);
  EXPECT_EQ(server_->counters().drops.Get(PortDrop::kIcmpNotAboutUs) - not_us0,
            kFlood / 3);
  EXPECT_EQ(server_->counters().icmp_errors_in.Get() - icmp_in0, kFlood / 3);
  EXPECT_EQ(st.pmtu_decreases.Get(), 0u);
  EXPECT_EQ(server_->arp().size(), arp0);
  EXPECT_EQ(server_->endpoint().connection_count(), conns0);
  EXPECT_EQ(server_->endpoint().half_open_total(), half_open0_);
  ExpectPoolsBack();
}

// 3000 ARP requests for the server's address from 3000 senders: each is
// answered (RFC 826), each sender is learnt until the cache's 1024 entries
// are full of fresh ones, and every sender refused is counted (table_full).
// Past the reachable time the entries are stale and new senders evict them:
// the cache stays at its bound and refuses nothing.
TEST_F(EngineFloodTest,
       Flood_ArpRequests_CacheBoundedRefusalsCountedPoolsBack) {
  constexpr uint32_t kFlood = 3000;
  const size_t arp0 = server_->arp().size();
  ASSERT_EQ(arp0, 1u);  // the client, from WarmUp
  const ArpCounters& ac = server_->arp_counters();
  const uint64_t full0 = ac.table_full.Get();
  const uint64_t requests0 = server_->counters().arp_requests_in.Get();
  const uint64_t replies0 = server_->counters().arp_replies.Get();
  size_t answers = 0;
  for (uint32_t i = 0; i < kFlood; ++i) {
    answers += Inject(
        ArpFrame(wire::ArpOp::kRequest, FakeIp(i), FakeMac(i), kServerIp));
  }
  EXPECT_EQ(answers, kFlood);
  EXPECT_EQ(server_->counters().arp_requests_in.Get() - requests0, kFlood);
  EXPECT_EQ(server_->counters().arp_replies.Get() - replies0, kFlood);
  EXPECT_EQ(server_->arp().size(), 1024u);  // ArpCacheOptions::capacity
  EXPECT_EQ(ac.table_full.Get() - full0, kFlood - (1024 - arp0));
  wire::MacAddr mac;
  EXPECT_TRUE(server_->arp().Lookup(kClientIp, &mac));  // never evicted
  ExpectPoolsBack();

  // Past the reachable time (30 s), the flood's entries are stale and give
  // way to new senders.
  now_ = now_ + Duration::Seconds(31);
  const uint64_t full1 = ac.table_full.Get();
  for (uint32_t i = kFlood; i < kFlood + 500; ++i) {
    Inject(ArpFrame(wire::ArpOp::kRequest, FakeIp(i), FakeMac(i), kServerIp));
  }
  EXPECT_EQ(ac.table_full.Get(), full1);
  EXPECT_EQ(server_->arp().size(), 1024u);
  EXPECT_TRUE(server_->arp().Lookup(FakeIp(kFlood + 499), &mac));
  ExpectPoolsBack();
}

// Unsolicited ARP replies: RFC 826 adds the sender only when we are the
// target ("If the target protocol address is me ... add the triplet"), for
// replies as for requests. 1500 aimed at another address teach nothing;
// 3000 aimed at us fill the cache to its bound like requests, the rest
// counted; none is answered.
TEST_F(EngineFloodTest, Flood_UnsolicitedArpReplies_BoundedNothingAnswered) {
  const size_t arp0 = server_->arp().size();
  const uint64_t replies_in0 = server_->counters().arp_replies_in.Get();
  const uint64_t learned0 = server_->arp_counters().learned.Get();
  const uint64_t full0 = server_->arp_counters().table_full.Get();
  size_t answers = 0;
  for (uint32_t i = 0; i < 1500; ++i) {
    answers += Inject(ArpFrame(wire::ArpOp::kReply, FakeIp(i), FakeMac(i),
                               wire::Ipv4Addr::FromOctets(198, 18, 0, 9)));
  }
  EXPECT_EQ(server_->arp_counters().learned.Get(), learned0);
  EXPECT_EQ(server_->arp().size(), arp0);
  for (uint32_t i = 0; i < 3000; ++i) {
    answers +=
        Inject(ArpFrame(wire::ArpOp::kReply, FakeIp(i), FakeMac(i), kServerIp));
  }
  EXPECT_EQ(answers, 0u);
  EXPECT_EQ(server_->counters().arp_replies_in.Get() - replies_in0, 4500u);
  EXPECT_EQ(server_->arp().size(), 1024u);
  EXPECT_EQ(server_->arp_counters().learned.Get() - learned0, 1024 - arp0);
  EXPECT_EQ(server_->arp_counters().table_full.Get() - full0,
            3000 - (1024 - arp0));
  ExpectPoolsBack();
}

// ---- Software steering inside the engine (lib/port/steering.h): a port
// without RSS shared by two engines. Only engine 0 exists, on the wire's one
// queue; the test reads engine 1's steering ring as engine 1 would.

class EngineSteeringTest : public EngineFloodTest {
 protected:
  // Each ring holds exactly this many mbufs (Steering::Create).
  static constexpr uint32_t kRing = 8;

  void SetUp() override {
    EngineFloodTest::SetUp();
    absl::StatusOr<std::unique_ptr<Steering>> s = Steering::Create(2, kRing);
    ASSERT_TRUE(s.ok()) << s.status();
    steering_ = std::move(*s);
    ASSERT_FALSE(wire_->b().rss());
    ASSERT_NO_FATAL_FAILURE(
        RecreateServer(Options(kServerIp), steering_.get()));
    // The new engine's ARP cache is empty: the client asks for the server,
    // which learns the client from it and answers; every ARP frame also
    // goes to the other engine (each keeps its own cache).
    EXPECT_EQ(Inject(ArpFrame(wire::ArpOp::kRequest, kClientIp,
                              wire_->a().mac(), kServerIp)),
              1u);
    std::vector<rte_mbuf*> to_1 = Ring(1);
    ASSERT_EQ(to_1.size(), 1u);
    EXPECT_EQ(Describe(to_1[0]).ethertype, wire::kEtherTypeArp);
    FreeAll(to_1);
    Rebase();
    steered_out0_ = server_->counters().steered_out.Get();
    steered_in0_ = server_->counters().steered_in.Get();
  }
  void TearDown() override {
    if (steering_ != nullptr) {
      steering_->DrainAll();
    }
    EngineFloodTest::TearDown();  // destroys the engine, compares the pools
    steering_.reset();
  }
  // The first source port from `from` on whose flow to the http port
  // `owner` owns.
  static uint16_t PortOwnedBy(uint16_t owner, uint16_t from) {
    for (uint16_t p = from;; ++p) {
      if (FlowOwner(kClientIp, p, kServerIp, kHttpPort, 2) == owner) {
        return p;
      }
    }
  }
  // What engine `e`'s steering ring holds.
  std::vector<rte_mbuf*> Ring(uint16_t e) {
    std::vector<rte_mbuf*> out(kRing);
    out.resize(steering_->Receive(e, out.data(), kRing));
    return out;
  }
  static std::vector<uint8_t> Bytes(rte_mbuf* m) {
    const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
    return {p, p + rte_pktmbuf_data_len(m)};
  }

  std::unique_ptr<Steering> steering_;
  uint64_t steered_out0_ = 0;
  uint64_t steered_in0_ = 0;
};

// A SYN of a flow engine 1 owns goes to engine 1's ring as it came, neither
// answered nor counted as TCP input here; a SYN of engine 0's own flow is
// answered.
TEST_F(EngineSteeringTest, OtherEnginesFlowForwarded_OwnFlowAnswered) {
  const uint16_t own = PortOwnedBy(0, 41000);
  const uint16_t other = PortOwnedBy(1, 41000);
  const std::vector<uint8_t> syn_other = Syn(kClientIp, other);
  EXPECT_EQ(Inject(syn_other), 0u);
  EXPECT_EQ(server_->counters().steered_out.Get(), steered_out0_ + 1);
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0_);
  EXPECT_EQ(server_->counters().TotalDrops(), drops0_);
  std::vector<rte_mbuf*> to_1 = Ring(1);
  ASSERT_EQ(to_1.size(), 1u);
  EXPECT_EQ(Bytes(to_1[0]), syn_other);
  FreeAll(to_1);

  ExpectAnswered(Syn(kClientIp, own));
  EXPECT_EQ(server_->counters().steered_out.Get(), steered_out0_ + 1);
  EXPECT_TRUE(Ring(1).empty());
}

// What the one-pass parse does not take goes the general way, which steers
// before it parses TCP: a SYN with a bad TCP checksum is engine 1's to
// refuse when engine 1 owns its flow, and refused here when engine 0 does.
TEST_F(EngineSteeringTest, GeneralPath_SteeredBeforeTheTcpChecks) {
  std::vector<uint8_t> bad_other = Syn(kClientIp, PortOwnedBy(1, 42000));
  std::vector<uint8_t> bad_own = Syn(kClientIp, PortOwnedBy(0, 42000));
  constexpr size_t kTcpChecksum = 14 + 20 + 16;  // Ethernet, IPv4, offset 16
  bad_other[kTcpChecksum] ^= 0x5a;
  bad_own[kTcpChecksum] ^= 0x5a;
  EXPECT_EQ(Inject(bad_other), 0u);
  EXPECT_EQ(server_->counters().steered_out.Get(), steered_out0_ + 1);
  std::vector<rte_mbuf*> to_1 = Ring(1);
  ASSERT_EQ(to_1.size(), 1u);
  EXPECT_EQ(Bytes(to_1[0]), bad_other);
  FreeAll(to_1);
  ExpectParseRefused(bad_own, wire::WireError::kTcpBadChecksum);
  EXPECT_EQ(server_->counters().steered_out.Get(), steered_out0_ + 1);
}

// A frame another engine forwarded is this engine's whoever the flow's
// owner computes to (the other engine decided), so it is handled, not sent
// back: no ping-pong between rings.
TEST_F(EngineSteeringTest, FromItsOwnRing_HandledNotSteeredAgain) {
  const std::vector<uint8_t> syn = Syn(kClientIp, PortOwnedBy(1, 43000));
  rte_mbuf* m = testing::MbufOf(wire_->b().pool(), syn);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(steering_->Forward(0, m));
  now_ = now_ + kStep;
  server_->PollOnce(now_);
  EXPECT_EQ(server_->counters().steered_in.Get(), steered_in0_ + 1);
  EXPECT_EQ(server_->counters().steered_out.Get(), steered_out0_);
  EXPECT_EQ(server_->counters().tcp_in.Get(), tcp_in0_ + 1);
  std::vector<rte_mbuf*> out = TakeAll(wire_->ba());
  ASSERT_EQ(out.size(), 1u);
  const FrameInfo f = Describe(out[0]);
  FreeAll(out);
  EXPECT_EQ(f.seg.flags, flags::kSyn | flags::kAck);
  EXPECT_EQ(f.seg.dst_port, PortOwnedBy(1, 43000));
  EXPECT_TRUE(Ring(1).empty());
}

// With the owner's ring full, the frame is freed and counted under
// drop.steering_ring_full; nothing is answered and no mbuf is lost.
TEST_F(EngineSteeringTest, OwnersRingFull_DroppedCountedFreed) {
  for (uint32_t i = 0; i < kRing; ++i) {
    rte_mbuf* filler = testing::MbufOf(wire_->b().pool(),
                                       Syn(kClientIp, PortOwnedBy(1, 44000)));
    ASSERT_NE(filler, nullptr);
    ASSERT_TRUE(steering_->Forward(1, filler)) << i;
  }
  ExpectRefused(Syn(kClientIp, PortOwnedBy(1, 45000)),
                PortDrop::kSteeringRingFull);
  EXPECT_EQ(server_->counters().steered_out.Get(), steered_out0_);
  std::vector<rte_mbuf*> fillers = Ring(1);
  EXPECT_EQ(fillers.size(), kRing);  // the fillers alone
  FreeAll(fillers);
  ExpectPoolsBack();
}

TEST_F(EngineTest, Pool_ManyConnectionsAndAborts_CountUnchanged) {
  // Twenty HTTP connections, two echo sessions of which one is reset with
  // data in flight; TearDown compares the pools.
  std::vector<size_t> http;
  for (int i = 0; i < 20; ++i) {
    http.push_back(
        client_app_->Open(kHttpPort, kGetClose, std::string::npos, now_));
  }
  const size_t echo =
      client_app_->Open(kEchoPort, RandomBytes(100000, 7), 100000, now_);
  const size_t aborted = client_app_->Open(kEchoPort, RandomBytes(200000, 8),
                                           std::string::npos, now_);
  ASSERT_TRUE(RunUntil(
      [&] { return client_app_->conn(aborted).received.size() > 10000; }));
  client_app_->Abort(aborted, now_);
  ASSERT_TRUE(RunUntil([&] { return client_app_->AllClosed(); }));
  for (size_t c : http) {
    EXPECT_TRUE(client_app_->conn(c).eof);
    EXPECT_TRUE(client_app_->conn(c).received.starts_with("HTTP/1.1 200 "));
  }
  EXPECT_EQ(client_app_->conn(echo).received.size(), 100000u);
  EXPECT_GT(client_->endpoint().stats().rst_sent.Get(), 0u);
  EXPECT_GT(wire_->a_counters().rx_packets.Get() +
                client_->counters().rx_packets.Get(),
            100u);
}

// ---- RunEngineLoop (lib/port/lcore_loop.h): one engine on port B of a
// wire, nothing on A, the loop on the real clock.
class EngineLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RingWire>> w = RingWire::Create();
    ASSERT_TRUE(w.ok()) << w.status();
    wire_ = std::move(*w);
    absl::StatusOr<std::unique_ptr<tcp::SynCookieSecretStore>> cookies =
        tcp::SynCookieSecretStore::Create();
    ASSERT_TRUE(cookies.ok()) << cookies.status();
    cookies_ = std::move(*cookies);
  }

  std::unique_ptr<RingWire> wire_;
  std::unique_ptr<tcp::SynCookieSecretStore> cookies_;
};

// ---- RunEngineLoop's stall counters (lib/port/lcore_loop.h)

// An iteration that begins 1 ms or more after the one before counts as a
// stall with its gap: the periodic call, made from the loop, overruns by
// 3 ms three times, then stops the loop. The real clock: the machine may add
// stalls of its own, never remove these; every stall counted is a gap of at
// least 1 ms inside the run.
TEST_F(EngineLoopTest, RunEngineLoop_GapsOfAMillisecondCountAsStalls) {
  absl::StatusOr<TscClock> clock = TscClock::Create();
  ASSERT_TRUE(clock.ok()) << clock.status();
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(Options(kServerIp), &wire_->b(), 0, nullptr,
                     cookies_.get(), clock->Now());
  ASSERT_TRUE(engine.ok()) << engine.status();
  Counter stalls;
  Counter stalled_us;
  int overruns = 0;
  LoopOptions lo;
  lo.stalls = &stalls;
  lo.stalled_us = &stalled_us;
  lo.drain_time = Duration::Millis(1);
  lo.period = Duration::Millis(5);
  std::atomic<bool> stop{false};
  lo.periodic = [&](Instant) {
    if (overruns < 3) {
      ++overruns;
      rte_delay_us_block(3000);
    } else {
      stop.store(true);
    }
  };
  const Instant start = clock->Now();
  lo.deadline = start + Duration::Seconds(10);  // a backstop
  RunEngineLoop(**engine, *clock, lo, stop);
  const auto run_us =
      static_cast<uint64_t>((clock->Now() - start).ToNanos() / 1000);
  EXPECT_EQ(overruns, 3);
  EXPECT_GE(stalls.Get(), 3u);
  EXPECT_GE(stalled_us.Get(), 9000u);
  // Gaps between iterations, each at least 1 ms, within the run.
  EXPECT_LE(stalled_us.Get(), run_us);
  EXPECT_GE(stalled_us.Get(), 1000 * stalls.Get());
  EXPECT_LE(stalls.Get() * 1000, run_us);
}

// ---- RunEngineLoop's yield (lib/port/lcore_loop.h, DutyYield)

// A busy loop (no idle sleep) sleeps on its cadence, never more often; a
// loop whose every iteration sleeps idle adds no yield of its own (the
// loop asks for one only after an iteration without an idle sleep; how
// idle sleeps count towards a window is DutyYieldTest's). The real clock:
// the run is about 20 ms, a hundred cadences of 200 us.
TEST_F(EngineLoopTest, RunEngineLoop_YieldsOnItsCadence_NotWhenIdleSleeping) {
  absl::StatusOr<TscClock> clock = TscClock::Create();
  ASSERT_TRUE(clock.ok()) << clock.status();
  for (const uint32_t idle_sleep_us : {0u, 10u}) {
    SCOPED_TRACE(idle_sleep_us);
    // A fresh engine each time: the loop shuts its engine down.
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(Options(kServerIp), &wire_->b(), 0, nullptr,
                       cookies_.get(), clock->Now());
    ASSERT_TRUE(engine.ok()) << engine.status();
    Counter yields;
    int calls = 0;
    LoopOptions lo;
    lo.idle_sleep_us = idle_sleep_us;
    lo.yield_every = Duration::Micros(200);
    lo.yield_sleep = Duration::Micros(20);
    lo.yields = &yields;
    lo.drain_time = Duration::Millis(1);
    lo.period = Duration::Millis(5);
    std::atomic<bool> stop{false};
    lo.periodic = [&](Instant) {
      if (++calls == 4) {
        stop.store(true);
      }
    };
    const Instant start = clock->Now();
    lo.deadline = start + Duration::Seconds(10);  // a backstop
    RunEngineLoop(**engine, *clock, lo, stop);
    const int64_t run_us = (clock->Now() - start).ToMicros();
    if (idle_sleep_us == 0) {
      EXPECT_GE(yields.Get(), 1u);
      EXPECT_LE(yields.Get(), static_cast<uint64_t>(run_us / 200 + 1));
    } else {
      // Nothing arrives: every iteration sleeps idle, none yields.
      EXPECT_EQ(yields.Get(), 0u);
    }
  }
}

// ---- RunEngineLoop's reflect alternation (lib/port/lcore_loop.h)

// The loop alternates from TCP, each phase at least the alternation long and
// starting where the one before ended, never grows `phases` past what was
// reserved and stays in TCP mode once it is full; a stop records the phase
// it ends. One engine without traffic on the ring pair, the real clock.
TEST_F(EngineLoopTest, RunEngineLoop_ReflectAlternation_PhasesWithinCapacity) {
  absl::StatusOr<TscClock> clock = TscClock::Create();
  ASSERT_TRUE(clock.ok()) << clock.status();
  constexpr Duration kPhase = Duration::Millis(2);
  for (const size_t capacity : {size_t{3}, size_t{1000}}) {
    SCOPED_TRACE(capacity);
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(Options(kServerIp), &wire_->b(), 0, nullptr,
                       cookies_.get(), clock->Now());
    ASSERT_TRUE(engine.ok()) << engine.status();
    std::vector<ReflectPhase> phases;
    phases.reserve(capacity);
    Counter busy;
    LoopOptions lo;
    lo.reflect_alternation = kPhase;
    lo.phases = &phases;
    lo.busy_cycles = &busy;
    lo.drain_time = Duration::Millis(1);
    const Instant start = clock->Now();
    // Capacity 3 is full long before the deadline (four switches, 8 ms, of
    // 200 ms); 1000 is not: the deadline's stop ends the alternation.
    lo.deadline = start + Duration::Millis(capacity == 3 ? 200 : 20);
    const std::atomic<bool> stop{false};
    RunEngineLoop(**engine, *clock, lo, stop);
    EXPECT_FALSE((*engine)->reflect());
    EXPECT_EQ(phases.capacity(), capacity);
    ASSERT_GE(phases.size(), capacity == 3 ? 3u : 1u);
    if (capacity == 3) {
      EXPECT_EQ(phases.size(), 3u);
    } else {
      // The last phase ends at the stop, at or after the deadline.
      EXPECT_GE(phases.back().end, lo.deadline);
    }
    for (size_t i = 0; i < phases.size(); ++i) {
      const ReflectPhase& ph = phases[i];
      EXPECT_EQ(ph.reflect, i % 2 == 1) << i;
      EXPECT_GT(ph.start_unix_ns, 0) << i;
      EXPECT_EQ(ph.rx_packets, 0u) << i;
      EXPECT_EQ(ph.tx_packets, 0u) << i;
      if (i + 1 < phases.size()) {
        EXPECT_GE(ph.end - ph.start, kPhase) << i;
        EXPECT_EQ(phases[i + 1].start, ph.end) << i;
        EXPECT_GE(phases[i + 1].start_unix_ns, ph.start_unix_ns) << i;
      }
    }
    EXPECT_GE(phases.front().start, start);
  }
}

}  // namespace
}  // namespace tern::port

int main(int argc, char** argv) {
  return tern::port::testing::RunTestsInEal(argc, argv, "engine_test", 256);
}
