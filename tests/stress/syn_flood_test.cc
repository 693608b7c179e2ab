// The listener under a SYN flood: 10 million spoofed SYNs from random sources
// into one in-memory endpoint with a 1024-entry SYN queue, while 10 000
// legitimate clients handshake. Memory must stay flat once the queue is full,
// every legitimate handshake must complete, and no spoofed source (nor any
// forged ACK) may get a connection.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "lib/tcp/endpoint.h"

namespace tern::tcp {
namespace {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kSyn;

constexpr wire::Ipv4Addr kServer = wire::Ipv4Addr::FromOctets(192, 0, 2, 1);
constexpr uint16_t kPort = 443;
// Spoofed sources live in 10.0.0.0/8, legitimate clients in 172.16.0.0/12.
constexpr uint32_t kSpoofNet = 0x0a000000u;
constexpr uint32_t kLegitNet = 0xac100000u;

bool IsLegit(wire::Ipv4Addr a) { return (a.value & 0xfff00000u) == kLegitNet; }

size_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) {
    return 0;
  }
  unsigned long size = 0;
  unsigned long resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Keeps the SYN-ACKs sent to legitimate clients (keyed by their port);
// counts the rest.
class FloodSink : public SegmentSink {
 public:
  void Send(const OutSegment& s) override {
    ++total;
    if (IsLegit(s.dst) && s.tcp.Has(kSyn)) {
      legit_synacks[s.tcp.dst_port] = s.tcp;
    }
    if (!IsLegit(s.dst) && s.tcp.Has(kSyn)) {
      ++spoofed_synacks;
    }
  }
  uint64_t total = 0;
  uint64_t spoofed_synacks = 0;
  std::unordered_map<uint16_t, wire::TcpRepr> legit_synacks;
};

InSegment Syn(wire::Ipv4Addr src, uint16_t port, uint32_t isn, bool ts,
              uint32_t tsval) {
  InSegment s;
  s.src = src;
  s.dst = kServer;
  s.tcp.src_port = port;
  s.tcp.dst_port = kPort;
  s.tcp.seq = SeqNum(isn);
  s.tcp.flags = kSyn;
  s.tcp.window = 64240;
  s.tcp.options.mss = 1460;
  s.tcp.options.window_scale = 7;
  s.tcp.options.sack_permitted = true;
  if (ts) {
    s.tcp.options.timestamps = wire::TcpTimestamps{tsval, 0};
  }
  return s;
}

TEST(SynFlood, TenMillionSpoofedSyns_LegitimateClientsAllConnect) {
  constexpr uint64_t kSpoofed = 10'000'000;
  constexpr uint32_t kLegit = 10'000;
  constexpr uint64_t kSpoofedPerLegit = kSpoofed / kLegit;
  constexpr uint32_t kForgedAcks = 10'000;

  EndpointConfig cfg;
  cfg.max_connections = 32768;
  cfg.max_time_wait = 1024;
  FloodSink sink;
  Endpoint::Secrets secrets;
  secrets.isn_key = SipKey{7, 11};
  secrets.table_key =
      std::array<uint8_t, 16>{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
  auto store = std::make_unique<SynCookieSecretStore>(
      SynCookieSecrets{SipKey{0xdead, 0xbeef}});
  secrets.cookie_store = store.get();
  Instant now = Instant::FromNanos(1'000'000'000);
  auto created = Endpoint::Create(cfg, &sink, now, secrets);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Endpoint> ep = std::move(*created);
  ListenOptions lo;
  lo.syn_backlog = 1024;
  lo.backlog = 4096;
  lo.cookies = SynCookieMode::kOnOverflow;
  lo.conn.send_buffer = 16 * 1024;
  lo.conn.recv_buffer = 16 * 1024;
  ListenerHandle l = *ep->Listen(kServer, kPort, lo);

  std::mt19937_64 rng(20261121);
  std::vector<ConnHandle> accepted;
  accepted.reserve(kLegit);
  size_t rss_after_fill = 0;
  uint32_t next_legit = 0;

  auto accept_all = [&] {
    ConnHandle batch[64];
    size_t n;
    while ((n = ep->Accept(l, batch)) > 0) {
      accepted.insert(accepted.end(), batch, batch + n);
    }
  };

  for (uint64_t i = 0; i < kSpoofed; ++i) {
    uint64_t r = rng();
    wire::Ipv4Addr src{kSpoofNet | static_cast<uint32_t>(r & 0xffffff)};
    ep->OnSegment(Syn(src, static_cast<uint16_t>(1024 + ((r >> 24) % 64000)),
                      static_cast<uint32_t>(r >> 32), (r & (1u << 23)) != 0,
                      static_cast<uint32_t>(r >> 40)),
                  now);
    // 10 Mpps: 100 ns between packets.
    now += Duration::Nanos(100);
    if (i % kSpoofedPerLegit == kSpoofedPerLegit / 2 && next_legit < kLegit) {
      // A legitimate client: SYN, then (from the SYN-ACK it got) its ACK.
      const uint16_t port = static_cast<uint16_t>(next_legit % 60000 + 1024);
      const wire::Ipv4Addr client{kLegitNet | (next_legit / 60000 + 1)};
      const bool ts = (next_legit % 2) == 0;
      const uint32_t isn = static_cast<uint32_t>(rng());
      sink.legit_synacks.erase(port);
      ep->OnSegment(Syn(client, port, isn, ts, 1000 + next_legit), now);
      auto it = sink.legit_synacks.find(port);
      ASSERT_NE(it, sink.legit_synacks.end()) << "client " << next_legit;
      InSegment ack;
      ack.src = client;
      ack.dst = kServer;
      ack.tcp.src_port = port;
      ack.tcp.dst_port = kPort;
      ack.tcp.seq = SeqNum(isn + 1);
      ack.tcp.ack = it->second.seq + 1;
      ack.tcp.flags = kAck;
      ack.tcp.window = 502;
      if (ts && it->second.options.timestamps) {
        ack.tcp.options.timestamps = wire::TcpTimestamps{
            1001 + next_legit, it->second.options.timestamps->tsval};
      }
      ep->OnSegment(ack, now);
      ++next_legit;
      accept_all();
    }
    if (i % 1024 == 0) {
      ep->OnTimers(now);
    }
    if (i == 1'000'000) {
      rss_after_fill = ResidentBytes();
    }
  }
  // Forged ACKs from spoofed sources must never open a connection.
  for (uint32_t i = 0; i < kForgedAcks; ++i) {
    uint64_t r = rng();
    InSegment ack;
    ack.src = wire::Ipv4Addr{kSpoofNet | static_cast<uint32_t>(r & 0xffffff)};
    ack.dst = kServer;
    ack.tcp.src_port = static_cast<uint16_t>(1024 + ((r >> 24) % 64000));
    ack.tcp.dst_port = kPort;
    ack.tcp.seq = SeqNum(static_cast<uint32_t>(r >> 16));
    ack.tcp.ack = SeqNum(static_cast<uint32_t>(r >> 32));
    ack.tcp.flags = kAck;
    ep->OnSegment(ack, now);
  }
  accept_all();
  const size_t rss_end = ResidentBytes();

  EXPECT_EQ(next_legit, kLegit);
  EXPECT_EQ(accepted.size(), static_cast<size_t>(kLegit));
  for (ConnHandle h : accepted) {
    const Connection* c = ep->Find(h);
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(IsLegit(c->tuple().remote_addr));
    EXPECT_EQ(c->state(), State::kEstablished);
  }
  // No spoofed source holds anything but a bounded half-open entry.
  EXPECT_LE(ep->half_open_count(l), lo.syn_backlog);
  EXPECT_LE(ep->connection_count(), lo.syn_backlog + kLegit);
  const ListenerStats& st = *ep->listener_stats(l);
  EXPECT_EQ(st.syns_received.Get(), kSpoofed + kLegit);
  EXPECT_GT(st.cookies_sent.Get(), kSpoofed - 2 * lo.syn_backlog);
  // Memory stays flat once the queue is full: the growth over the last 9
  // million SYNs is only what the 9 000 legitimate connections accepted in
  // that time hold (records, no buffers: they sent no data).
  const double growth =
      static_cast<double>(rss_end) - static_cast<double>(rss_after_fill);
  std::printf(
      "rss after 1M SYNs: %zu KiB, at the end: %zu KiB, growth %.0f KiB; "
      "cookies sent %lu, validated %lu, rejected (bad mac %lu, expired %lu)\n",
      rss_after_fill / 1024, rss_end / 1024, growth / 1024,
      static_cast<unsigned long>(st.cookies_sent.Get()),
      static_cast<unsigned long>(st.cookies_validated.Get()),
      static_cast<unsigned long>(st.cookies_rejected_bad_mac.Get()),
      static_cast<unsigned long>(st.cookies_rejected_expired.Get()));
  EXPECT_LT(growth, 8.0 * 1024 * 1024);
  EXPECT_EQ(st.cookies_rejected_bad_mac.Get() +
                st.cookies_rejected_expired.Get() +
                st.cookies_rejected_bad_mss_index.Get(),
            kForgedAcks);
}

}  // namespace
}  // namespace tern::tcp
