// The engine (lib/port/engine.h) through real mbufs and real ethdev ports:
// two net_ring ports joined back to back in this process
// (tests/support/ring_wire.h), one thread, the TSC clock as tern's loop
// reads it. Needs root for DPDK's EAL; otherwise every benchmark reports
// SkipWithError.
//
// net_ring offers no checksum offload, so every checksum is verified and
// written in software here: a NIC with offloads would take that work off
// the engine.
#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "app/services/registry.h"
#include "app/services/service_host.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/engine.h"
#include "lib/wire/arp.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"
#include "tests/support/ring_wire.h"

namespace tern::port {
namespace {

using testing::RingWire;

// RFC 2544 benchmarking range: the server and the client on 198.18.0.0/24,
// the SYN flood's sources behind a gateway in 198.19.0.0/16.
constexpr wire::Ipv4Addr kServerIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 1);
constexpr wire::Ipv4Addr kClientIp = wire::Ipv4Addr::FromOctets(198, 18, 0, 2);
constexpr wire::Ipv4Addr kGatewayIp =
    wire::Ipv4Addr::FromOctets(198, 18, 0, 254);
constexpr uint16_t kHttpPort = 80;

std::string runtime_dir;

void CleanupAtExit() {
  if (CleanupEal().ok() && !runtime_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(runtime_dir, ignored);
  }
}

// EAL once per process (benchmark_main owns main()).
absl::Status EnsureEal() {
  static const absl::Status status = [] {
    if (geteuid() != 0) {
      return absl::FailedPreconditionError("needs root for DPDK EAL");
    }
    const std::vector<std::string> args = {
        "engine_bench", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
        absl::StrCat("--file-prefix=tern_engine_bench_", getpid()),
        "--log-level=lib.eal:warning",
        // Port set-up is logged at INFO once per benchmark run.
        "--log-level=tern:warning"};
    absl::Status s = InitEal(args);
    if (s.ok()) {
      runtime_dir = rte_eal_get_runtime_dir();
      std::atexit(&CleanupAtExit);
    }
    return s;
  }();
  return status;
}

// CPU time of this thread, the clock Google Benchmark reports by default.
int64_t ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// The gateway's ARP reply to the server, so the server's ARP cache knows
// the next hop of every off-link source before the measurement.
std::vector<uint8_t> GatewayArpReply(const wire::MacAddr& gw_mac,
                                     const wire::MacAddr& server_mac) {
  std::vector<uint8_t> f(kEthMinFrameLen, 0);
  wire::EthernetRepr eth;
  eth.src = gw_mac;
  eth.dst = server_mac;
  eth.ethertype = wire::kEtherTypeArp;
  eth.Emit({f.data(), wire::kEthHeaderLen});
  const wire::ArpRepr reply{
      .op = wire::ArpOp::kReply,
      .sender_mac = gw_mac,
      .sender_ip = kGatewayIp,
      .target_mac = server_mac,
      .target_ip = kServerIp,
  };
  reply.Emit({f.data() + wire::kEthHeaderLen, wire::kArpLen});
  return f;
}

// What every benchmark here needs: EAL, a fresh wire, the clock and the
// SYN-cookie secrets.
struct Setup {
  std::unique_ptr<RingWire> wire;
  std::optional<TscClock> clock;
  std::unique_ptr<tcp::SynCookieSecretStore> cookies;

  absl::StatusOr<std::unique_ptr<Engine>> MakeEngine(const EngineOptions& eo,
                                                     EthdevPort& port) {
    return Engine::Create(eo, &port, 0, nullptr, cookies.get(), clock->Now());
  }
};

absl::StatusOr<Setup> MakeSetup() {
  if (absl::Status s = EnsureEal(); !s.ok()) {
    return s;
  }
  Setup setup;
  absl::StatusOr<std::unique_ptr<RingWire>> wire = RingWire::Create();
  if (!wire.ok()) {
    return wire.status();
  }
  setup.wire = std::move(*wire);
  absl::StatusOr<TscClock> clock = TscClock::Create();
  if (!clock.ok()) {
    return clock.status();
  }
  setup.clock = *clock;
  absl::StatusOr<std::unique_ptr<tcp::SynCookieSecretStore>> cookies =
      tcp::SynCookieSecretStore::Create();
  if (!cookies.ok()) {
    return cookies.status();
  }
  setup.cookies = std::move(*cookies);
  return setup;
}

void Skip(benchmark::State& state, const absl::Status& status) {
  state.SkipWithError(status.ToString().c_str());
}

unsigned FreeRing(rte_ring* r) {
  void* m[64];
  unsigned total = 0;
  unsigned k = 0;
  while ((k = rte_ring_dequeue_burst(r, m, 64, nullptr)) > 0) {
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(m), k);
    total += k;
  }
  return total;
}

// The server engine's SYN path in cookie mode, per SYN: RX burst from the
// ring, Ethernet/IPv4/TCP parse with software checksum verification, the
// burst lookup (ConnTable::FindBurst, all misses), the listener, the
// cookie, the SYN-ACK written into an mbuf from the engine's stash (with
// rx:1 the previous burst's SYN mbufs, Engine::RecycleReceived) with its
// checksum, the ARP
// lookup of the gateway, the TX buffer and the ring. Around it, per burst of
// 32: the harness enqueues the SYNs into the server's RX ring and takes and
// frees the SYN-ACKs from its TX ring (a NIC driver frees sent mbufs too).
//
// How the SYNs reach the RX ring, range(1):
// - kRxShared (0): the SYN mbufs are built once and reused; the harness
//   raises their reference count before each burst and the engine's free
//   lowers it. No frame is copied inside the measurement, but every free is
//   an atomic decrement (`lock sub`, 70 % of rte_pktmbuf_free_bulk's samples,
//   about 7 ns per SYN) that a PMD's mbufs, handed over with a reference
//   count of one, never cost.
// - kRxPmd (1): as a PMD's receive path leaves them: per burst the harness
//   takes 32 mbufs in bulk from the server's port pool, the one its RX
//   queue was set up with (the driver's refill), and writes
//   each frame into one (the NIC's DMA, here a 74-byte copy by the CPU,
//   counted in the figure although a NIC would not charge it); the engine
//   builds each SYN's SYN-ACK in that SYN's mbuf (Engine::TakeReceived),
//   which the harness frees to the pool. The frames are warm in the cache,
//   as DDIO leaves DMA'd frames in the last-level cache, only closer.
enum RxMode : int64_t { kRxShared = 0, kRxPmd = 1 };

void BM_Engine_CookieSynToSynAck(benchmark::State& state) {
  absl::StatusOr<Setup> setup = MakeSetup();
  if (!setup.ok()) {
    Skip(state, setup.status());
    return;
  }
  RingWire& wire = *setup->wire;
  const TscClock& clock = *setup->clock;
  EngineOptions eo;
  eo.address = kServerIp;
  eo.prefix_len = 24;
  eo.gateway = kGatewayIp;
  eo.endpoint.max_connections = 1024;
  eo.endpoint.max_half_open = 1024;
  eo.endpoint.max_time_wait = 16;
  absl::StatusOr<std::unique_ptr<Engine>> created =
      setup->MakeEngine(eo, wire.b());
  if (!created.ok()) {
    Skip(state, created.status());
    return;
  }
  std::unique_ptr<Engine> server = std::move(*created);
  tcp::ListenOptions lo;
  lo.cookies = tcp::SynCookieMode::kAlways;
  if (!server->endpoint().Listen(kServerIp, kHttpPort, lo).ok()) {
    state.SkipWithError("listen");
    return;
  }
  const wire::MacAddr gw_mac = wire.a().mac();  // the "router" is port A
  rte_mbuf* arp =
      testing::MbufOf(wire.a().pool(), GatewayArpReply(gw_mac, wire.b().mac()));
  if (arp == nullptr || rte_ring_enqueue(wire.ab(), arp) != 0) {
    state.SkipWithError("no room for the gateway's ARP reply");
    return;
  }
  server->PollOnce(clock.Now());
  wire::MacAddr learnt;
  if (!server->arp().Lookup(kGatewayIp, &learnt)) {
    state.SkipWithError("the server did not learn the gateway");
    return;
  }

  // range(0) sources: 198.19.x.y, ports 1024 + i, distinct ISNs and TSvals.
  const size_t sources = static_cast<size_t>(state.range(0));
  const auto rx_mode = static_cast<RxMode>(state.range(1));
  constexpr unsigned kBurst = 32;
  std::vector<rte_mbuf*> syns;
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < sources; ++i) {
    const uint32_t isn = static_cast<uint32_t>(i * 2654435761u);
    frames.push_back(testing::SynFrame(
        {.src_mac = gw_mac,
         .dst_mac = wire.b().mac(),
         .src = wire::Ipv4Addr::FromOctets(
             198, 19, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)),
         .dst = kServerIp,
         .src_port = static_cast<uint16_t>(1024 + i),
         .dst_port = kHttpPort,
         .isn = isn,
         .tsval = isn ^ 0x5555}));
    if (rx_mode == kRxShared) {
      rte_mbuf* m = testing::MbufOf(wire.a().pool(), frames.back());
      if (m == nullptr) {
        state.SkipWithError("mbuf pool too small for the SYN set");
        return;
      }
      syns.push_back(m);
    }
  }

  uint64_t sent = 0;
  uint64_t answered = 0;
  size_t next = 0;
  void* out[2 * kBurst];
  rte_mbuf* fresh[kBurst];
  const int64_t cpu0 = ThreadCpuNanos();
  for (auto _ : state) {
    rte_mbuf** burst = nullptr;
    if (rx_mode == kRxShared) {
      burst = &syns[next];
      for (unsigned i = 0; i < kBurst; ++i) {
        rte_mbuf_refcnt_update(burst[i], 1);
      }
    } else {
      if (rte_pktmbuf_alloc_bulk(wire.b().pool(), fresh, kBurst) != 0) {
        state.SkipWithError("mbuf pool empty");
        break;
      }
      for (unsigned i = 0; i < kBurst; ++i) {
        const std::vector<uint8_t>& f = frames[next + i];
        std::memcpy(rte_pktmbuf_mtod(fresh[i], uint8_t*), f.data(), f.size());
        fresh[i]->data_len = static_cast<uint16_t>(f.size());
        fresh[i]->pkt_len = static_cast<uint32_t>(f.size());
      }
      burst = fresh;
    }
    rte_ring_enqueue_burst(wire.ab(), reinterpret_cast<void* const*>(burst),
                           kBurst, nullptr);
    server->PollOnce(clock.Now());
    const unsigned k =
        rte_ring_dequeue_burst(wire.ba(), out, 2 * kBurst, nullptr);
    rte_pktmbuf_free_bulk(reinterpret_cast<rte_mbuf**>(out), k);
    sent += kBurst;
    answered += k;
    next = (next + kBurst) % sources;
  }
  const int64_t cpu = ThreadCpuNanos() - cpu0;
  // SYN-ACKs still in the TX buffer (none when every burst filled it).
  server->Shutdown(clock.Now());
  answered += FreeRing(wire.ba());
  if (answered != sent) {
    state.SkipWithError(
        absl::StrCat("sent ", sent, " SYNs, ", answered, " SYN-ACKs came back")
            .c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(sent));
  state.counters["ns_per_syn"] =
      sent > 0 ? static_cast<double>(cpu) / static_cast<double>(sent) : 0;
  state.counters["parse_drops"] =
      static_cast<double>(server->counters().parse_drops.Total());
  server.reset();
  for (rte_mbuf* m : syns) {
    rte_pktmbuf_free(m);
  }
}
// 4096 sources with kRxShared: the SYN mbufs (2 KiB buffers, two header and
// two data cache lines touched each) span more than the 1 MiB L2, so frames
// arrive cold, as a NIC's DMA without DDIO leaves them. 256 sources: they
// stay in cache. With kRxPmd the frames are always written just before.
BENCHMARK(BM_Engine_CookieSynToSynAck)
    ->ArgNames({"sources", "rx"})
    ->ArgsProduct({{4096, 256}, {kRxShared, kRxPmd}});

// The client side of the short-connection benchmark: keeps `concurrency`
// connections open; each sends the request when connected, reads the whole
// response to the server's FIN and closes. A response that does not start
// with a 200 status line, or whose length differs from the first one, counts
// as failed.
class ShortConnectionClient final : public Application {
 public:
  ShortConnectionClient(Engine* engine, size_t concurrency, std::string request)
      : engine_(engine),
        concurrency_(concurrency),
        request_(std::move(request)),
        conns_(engine->endpoint().config().max_connections) {}

  uint64_t completed() const { return completed_; }
  uint64_t failed() const { return failed_; }
  size_t open() const { return open_; }
  size_t response_bytes() const { return response_bytes_; }
  void set_opening(bool on) { opening_ = on; }
  void set_concurrency(size_t n) { concurrency_ = n; }

  void Poll(Instant now) override {
    tcp::Endpoint& ep = engine_->endpoint();
    tcp::Event events[64];
    size_t n = 0;
    while ((n = ep.PollEvents(events)) > 0) {
      for (size_t i = 0; i < n; ++i) {
        OnEvent(ep, events[i], now);
      }
    }
    while (opening_ && open_ < concurrency_) {
      absl::StatusOr<tcp::ConnHandle> h = ep.Connect(
          kClientIp, kServerIp, kHttpPort, ep.config().conn_defaults, now);
      if (!h.ok()) {
        ++failed_;
        break;
      }
      conns_[h->index] = Conn{*h, 0, false};
      ++open_;
    }
  }

 private:
  struct Conn {
    tcp::ConnHandle handle;
    uint32_t received = 0;
    bool sent = false;
  };

  void OnEvent(tcp::Endpoint& ep, const tcp::Event& e, Instant now) {
    if (!e.conn.valid() || e.conn.index >= conns_.size()) {
      return;
    }
    Conn& c = conns_[e.conn.index];
    if (c.handle != e.conn) {
      return;  // a connection already given back
    }
    if ((e.mask & (tcp::events::kRefused | tcp::events::kReset |
                   tcp::events::kTimedOut)) != 0) {
      Finish(ep, c, /*ok=*/false, now);
      return;
    }
    if (!c.sent &&
        (e.mask & (tcp::events::kConnected | tcp::events::kWritable)) != 0) {
      const tcp::IoResult r = ep.Send(
          c.handle,
          {reinterpret_cast<const uint8_t*>(request_.data()), request_.size()},
          now);
      c.sent = r.ok() && r.bytes == request_.size();
    }
    if ((e.mask & (tcp::events::kReadable | tcp::events::kPeerClosed)) == 0) {
      return;
    }
    for (;;) {
      const tcp::IoResult r = ep.Recv(c.handle, scratch_, now);
      if (r.ok() && r.bytes == 0) {
        // The server's FIN after the response (Connection: close).
        bool ok = c.received > 0;
        if (response_bytes_ == 0) {
          response_bytes_ = c.received;
        } else {
          ok = ok && c.received == response_bytes_;
        }
        Finish(ep, c, ok, now);
        return;
      }
      if (!r.ok()) {
        return;  // kWouldBlock: more to come
      }
      if (c.received == 0 && (r.bytes < kStatusLine.size() ||
                              std::memcmp(scratch_, kStatusLine.data(),
                                          kStatusLine.size()) != 0)) {
        Finish(ep, c, /*ok=*/false, now);  // not the http service's 200
        return;
      }
      c.received += static_cast<uint32_t>(r.bytes);
    }
  }

  static constexpr std::string_view kStatusLine = "HTTP/1.1 200 ";

  void Finish(tcp::Endpoint& ep, Conn& c, bool ok, Instant now) {
    ep.Close(c.handle, now);
    c.handle = tcp::ConnHandle{};
    --open_;
    ok ? ++completed_ : ++failed_;
  }

  Engine* engine_;
  size_t concurrency_;
  std::string request_;
  std::vector<Conn> conns_;
  uint8_t scratch_[4096];
  size_t open_ = 0;
  bool opening_ = true;
  uint64_t completed_ = 0;
  uint64_t failed_ = 0;
  size_t response_bytes_ = 0;
};

class ServiceApp final : public Application {
 public:
  explicit ServiceApp(tcp::Endpoint& ep) : host_(ep) {}
  app::ServiceHost& host() { return host_; }
  void Poll(Instant now) override { host_.Run(now); }

 private:
  app::ServiceHost host_;
};

// A 100-byte HTTP/1.1 request that asks the server to close after its
// response.
std::string Request100() {
  std::string r =
      "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\nConnection: close\r\nX-Pad: ";
  const std::string end = "\r\n\r\n";
  r.append(100 - r.size() - end.size(), 'x');
  r += end;
  return r;
}

// Short connections between a tern client engine (port A) and a tern server
// engine (port B) running the http service with a 1 KiB body: handshake,
// 100-byte request, response, the server's FIN (Connection: close), the
// client's FIN, TIME-WAIT on the server (2 MSL = 10 ms here, so records
// recycle; the bound of 65536 records is never reached). Both engines run
// on this one thread, polled in turn, so the figure is per lcore doing the
// work of both ends. Arguments: connections kept open at once; the
// endpoints' buffer cache on (1, the default) or off (0), to measure the
// cache side by side in one run.
void BM_Engine_ShortConnections(benchmark::State& state) {
  absl::StatusOr<Setup> setup = MakeSetup();
  if (!setup.ok()) {
    Skip(state, setup.status());
    return;
  }
  RingWire& wire = *setup->wire;
  const TscClock& clock = *setup->clock;
  EngineOptions eo;
  eo.prefix_len = 24;
  eo.endpoint.max_connections = 4096;
  eo.endpoint.max_half_open = 4096;
  eo.endpoint.max_time_wait = 65536;
  eo.endpoint.msl = Duration::Millis(5);
  if (state.range(1) == 0) {
    eo.endpoint.buffer_cache_bytes = 0;
  }
  eo.address = kServerIp;
  absl::StatusOr<std::unique_ptr<Engine>> s = setup->MakeEngine(eo, wire.b());
  eo.address = kClientIp;
  absl::StatusOr<std::unique_ptr<Engine>> c = setup->MakeEngine(eo, wire.a());
  if (!s.ok() || !c.ok()) {
    Skip(state, s.ok() ? c.status() : s.status());
    return;
  }
  std::unique_ptr<Engine> server = std::move(*s);
  std::unique_ptr<Engine> client = std::move(*c);
  auto server_app = std::make_unique<ServiceApp>(server->endpoint());
  server->set_application(server_app.get());
  tcp::ListenOptions lo;
  lo.backlog = 4096;
  lo.syn_backlog = 4096;
  lo.conn = server->options().endpoint.conn_defaults;
  absl::StatusOr<tcp::ListenerHandle> l =
      server->endpoint().Listen(kServerIp, kHttpPort, lo);
  app::ServiceOptions so;
  so.http.body_bytes = 1024;
  absl::StatusOr<std::unique_ptr<app::Service>> http =
      app::MakeService("http", so, eo.endpoint.max_connections);
  if (!l.ok() || !http.ok() ||
      !server_app->host().Register(*l, std::move(*http)).ok()) {
    state.SkipWithError("http listener");
    return;
  }
  auto client_app = std::make_unique<ShortConnectionClient>(
      client.get(), static_cast<size_t>(state.range(0)), Request100());
  client->set_application(client_app.get());

  // Warm-up, not measured: one connection first, so that ARP is resolved
  // before many SYNs wait for it (the pending queue per address is bounded
  // and a dropped SYN waits a whole RTO), then the full concurrency.
  client_app->set_concurrency(1);
  for (int i = 0; i < 100000 && client_app->completed() == 0; ++i) {
    const Instant now = clock.Now();
    client->PollOnce(now);
    server->PollOnce(now);
  }
  client_app->set_concurrency(static_cast<size_t>(state.range(0)));
  for (int i = 0; i < 2000; ++i) {
    const Instant now = clock.Now();
    client->PollOnce(now);
    server->PollOnce(now);
  }
  auto frames = [&] {
    return client->counters().tx_packets.Get() +
           server->counters().tx_packets.Get();
  };
  const uint64_t frames0 = frames();
  const uint64_t done0 = client_app->completed();
  const uint64_t failed0 = client_app->failed();
  const int64_t cpu0 = ThreadCpuNanos();
  for (auto _ : state) {
    const Instant now = clock.Now();
    client->PollOnce(now);
    server->PollOnce(now);
  }
  const int64_t cpu = ThreadCpuNanos() - cpu0;
  const uint64_t done = client_app->completed() - done0;
  const uint64_t failed = client_app->failed() - failed0;
  const uint64_t sent_frames = frames() - frames0;

  // Let the open connections finish, so the engines shut down clean.
  client_app->set_opening(false);
  for (int i = 0; i < 1000000 && client_app->open() > 0; ++i) {
    const Instant now = clock.Now();
    client->PollOnce(now);
    server->PollOnce(now);
  }
  // A run of a few iterations (Google Benchmark starts with one) may
  // complete none; a failed one is always an error.
  if (failed > 0 || client_app->completed() == 0) {
    state.SkipWithError(
        absl::StrCat(failed, " connections failed, ", done,
                     " completed; client port counters:\n",
                     client->counters().Format(/*nonzero_only=*/true),
                     "server port counters:\n",
                     server->counters().Format(/*nonzero_only=*/true))
            .c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(done));
  state.counters["connections_per_second"] = benchmark::Counter(
      static_cast<double>(done), benchmark::Counter::kIsRate);
  state.counters["ns_per_connection"] =
      done > 0 ? static_cast<double>(cpu) / static_cast<double>(done) : 0;
  // Both directions together (SYN, SYN-ACK, ACK, request, response, FINs
  // and their ACKs), to read ns_per_connection per frame.
  state.counters["frames_per_connection"] =
      done > 0 ? static_cast<double>(sent_frames) / static_cast<double>(done)
               : 0;
  state.counters["response_bytes"] =
      static_cast<double>(client_app->response_bytes());
  state.counters["server_time_wait"] =
      static_cast<double>(server->endpoint().time_wait_count());
  // The share of buffer allocations the endpoints' caches served (0 with
  // the cache off): what is left goes to the heap.
  {
    const tcp::BufferCache& a = client->endpoint().buffer_cache();
    const tcp::BufferCache& b = server->endpoint().buffer_cache();
    const double hits = static_cast<double>(a.hits() + b.hits());
    const double all = hits + static_cast<double>(a.misses() + b.misses());
    state.counters["buffer_cache_hits"] = all > 0 ? hits / all : 0;
  }
  client->Shutdown(clock.Now());
  server->Shutdown(clock.Now());
  client_app.reset();
  server_app.reset();
  client.reset();
  server.reset();
}
BENCHMARK(BM_Engine_ShortConnections)
    ->ArgNames({"open", "cache"})
    ->Args({32, 1})
    ->Args({32, 0})
    ->Args({256, 1})
    ->Args({256, 0});

}  // namespace
}  // namespace tern::port
