// tern: the terminator. One engine per lcore (lib/port/engine.h), each with
// its own queue pair of the port, its own endpoint and its own copy of every
// listener (the SO_REUSEPORT model); the services of app/services answer
// the connections.
//
// Exit status: 0 after a clean run (signal or --duration), 1 when EAL or the
// port cannot be set up, 2 for a bad command line or configuration.

#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mempool.h>
#include <rte_pdump.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/config.h"
#include "app/cookie_secret_file.h"
#include "app/services/registry.h"
#include "app/services/service_host.h"
#include "app/tern/telemetry.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/engine.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/lcore_loop.h"
#include "lib/port/log.h"
#include "lib/port/signals.h"
#include "lib/port/steering.h"

namespace tern::app {
namespace {

// Whether EAL can use hugepages: the kernel has free ones of the default
// size (/proc/meminfo) and a hugetlbfs is mounted to map them
// (/proc/mounts), as EAL needs both.
bool HugepagesUsable() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t free_pages = 0;
  while (meminfo >> key) {
    if (key == "HugePages_Free:") {
      meminfo >> free_pages;
      break;
    }
  }
  if (free_pages == 0) {
    return false;
  }
  std::ifstream mounts("/proc/mounts");
  std::string device, mount_point, fs_type, rest;
  while (mounts >> device >> mount_point >> fs_type &&
         std::getline(mounts, rest)) {
    if (fs_type == "hugetlbfs") {
      return true;
    }
  }
  return false;
}

tcp::EndpointConfig MakeEndpointConfig(const TcpConfig& t) {
  tcp::EndpointConfig c;
  c.max_connections = t.max_connections;
  c.max_half_open = t.max_half_open;
  c.max_time_wait = t.max_time_wait;
  c.max_reassembling = t.max_reassembling;
  c.max_sack_scoreboards = t.max_sack_scoreboards;
  c.msl = Duration::Millis(t.time_wait_ms / 2);
  c.fin_wait2_timeout = Duration::Millis(t.fin_timeout_ms);
  c.syn_retries = static_cast<int>(t.syn_retries);
  c.synack_retries = static_cast<int>(t.synack_retries);
  c.data_retries = static_cast<int>(t.retries2);
  c.rto.min = Duration::Millis(t.rto_min_ms);
  c.delayed_ack = Duration::Millis(t.delayed_ack_ms);
  c.no_socket_rst_per_second = t.no_socket_rst_per_second;
  tcp::ConnOptions& o = c.conn_defaults;
  o.send_buffer = t.send_buffer;
  o.recv_buffer = t.recv_buffer;
  o.nodelay = t.nodelay;
  o.timestamps = t.timestamps;
  o.sack_permitted = t.sack;
  o.window_scaling = t.window_scaling;
  o.congestion = t.congestion == "newreno" ? tcp::CcAlgorithm::kNewReno
                                           : tcp::CcAlgorithm::kCubic;
  o.keepalive.enabled = t.keepalive;
  o.keepalive.idle = Duration::Seconds(t.keepalive_idle_s);
  o.keepalive.interval = Duration::Seconds(t.keepalive_interval_s);
  o.keepalive.probes = static_cast<int>(t.keepalive_probes);
  return c;
}

tcp::ListenOptions MakeListenOptions(const ListenerConfig& l,
                                     const tcp::ConnOptions& conn) {
  tcp::ListenOptions o;
  o.backlog = l.backlog;
  o.syn_backlog = l.syn_backlog;
  o.cookies = l.cookies == "off"      ? tcp::SynCookieMode::kOff
              : l.cookies == "always" ? tcp::SynCookieMode::kAlways
                                      : tcp::SynCookieMode::kOnOverflow;
  o.overflow = l.overflow == "reset" ? tcp::AcceptOverflow::kReset
                                     : tcp::AcceptOverflow::kDrop;
  o.conn = conn;
  return o;
}

ServiceOptions MakeServiceOptions(const ListenerConfig& l) {
  ServiceOptions o;
  o.http.status = static_cast<int>(l.http_status);
  o.http.body_bytes = l.http_body_bytes;
  for (const std::string& h : l.http_headers) {
    // "Name: value" (checked by the config loader): the value without the
    // optional white space around it (RFC 9110 5.5).
    const size_t colon = h.find(':');
    const size_t first = h.find_first_not_of(" \t", colon + 1);
    const size_t last = h.find_last_not_of(" \t");
    o.http.headers.emplace_back(
        h.substr(0, colon),
        first == std::string::npos ? "" : h.substr(first, last - first + 1));
  }
  o.http.max_header_bytes = l.http_max_header_bytes;
  o.source.byte_limit = l.source_bytes;
  return o;
}

// The application side of one lcore: the service host, as the loop sees it.
class ServiceApp final : public port::Application {
 public:
  explicit ServiceApp(port::Engine* engine)
      : engine_(engine), host_(engine->endpoint()) {}
  ServiceHost& host() { return host_; }

  void Poll(Instant now) override {
    host_.Run(now);
    ServeConnDump(engine_->endpoint(), &gauges_.dump);
    const tcp::Endpoint& ep = engine_->endpoint();
    gauges_.connections.store(ep.connection_count(), std::memory_order_relaxed);
    gauges_.time_wait.store(ep.time_wait_count(), std::memory_order_relaxed);
    gauges_.half_open.store(ep.half_open_total(), std::memory_order_relaxed);
  }
  void BeginDrain(Instant now) override { host_.BeginDrain(now); }
  // Finished when the services hold nothing and the connections they
  // closed have finished their close too (FIN-WAIT, CLOSING, LAST-ACK);
  // TIME-WAIT records need no one.
  bool Drained() const override {
    return host_.open_connections() == 0 &&
           engine_->endpoint().connection_count() == 0;
  }
  void AbortAll(Instant now) override { host_.AbortAll(now); }
  const EngineGauges& gauges() const { return gauges_; }
  Counter* busy_cycles() { return &gauges_.busy_cycles; }
  Counter* loop_stalls() { return &gauges_.loop_stalls; }
  Counter* loop_stalled_us() { return &gauges_.loop_stalled_us; }
  Counter* loop_yields() { return &gauges_.loop_yields; }

 private:
  port::Engine* engine_;
  ServiceHost host_;
  EngineGauges gauges_;
};

struct Lcore {
  unsigned lcore_id = 0;
  std::unique_ptr<port::Engine> engine;
  std::unique_ptr<ServiceApp> app;
  port::LoopOptions loop;
  const port::TscClock* clock = nullptr;
  // --reflect-alternation-ms: the finished phases (capacity reserved once).
  std::vector<port::ReflectPhase> phases;
};

// The phases one engine records under --reflect-alternation-ms: 4096 of
// 250 ms (the rate ratio's length, doc/flood.md) are 17 minutes; the engine
// stays in TCP mode once they are taken.
constexpr size_t kMaxReflectPhases = 4096;

// SIGHUP asks for the shared SYN-cookie secret file to be read again
// (doc/syn_cookies.md, secret rotation); the handler only sets this flag.
std::atomic<bool>& ReloadFlag() {
  static std::atomic<bool> flag{false};
  return flag;
}

extern "C" void OnSighup(int) {
  ReloadFlag().store(true, std::memory_order_relaxed);
}

// The control-plane thread of a shared secret: on SIGHUP it reads the file
// again and rotates the store to it, so the key in use until then stays
// valid as the previous one (cookies issued just before still validate, on
// this host and on every host of the fleet that rotated to the same file).
// A file that no longer loads is reported and the keys stay as they were.
// 20 ms polls: a rotation is an operator's action, not a packet's.
void RotateOnSighup(std::stop_token stop, std::string path,
                    tcp::SynCookieSecretStore* store) {
  while (!stop.stop_requested() &&
         !port::StopFlag().load(std::memory_order_relaxed)) {
    if (ReloadFlag().exchange(false, std::memory_order_relaxed)) {
      absl::StatusOr<tcp::SynCookieSecrets> next =
          LoadSynCookieSecretFile(path);
      if (next.ok()) {
        store->Rotate(*next);
        port::Log(RTE_LOG_INFO,
                  "syn_cookies: rotated to the secret in %s (the previous "
                  "one stays valid)",
                  path.c_str());
      } else {
        port::Log(RTE_LOG_ERR, "syn_cookies: SIGHUP: %s; keys unchanged",
                  std::string(next.status().message()).c_str());
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int LcoreMain(void* arg) {
  auto* l = static_cast<Lcore*>(arg);
  port::RunEngineLoop(*l->engine, *l->clock, l->loop, port::StopFlag());
  return 0;
}

absl::Status Run(const TernConfig& config, const CommandLine& cl,
                 bool hugepages_in_use,
                 const std::optional<tcp::SynCookieSecrets>& cookie_secret) {
  const unsigned engines = rte_lcore_count();
  port::PortCounters port_counters;
  port::EthdevPortOptions options;
  options.name = config.port.name;
  options.queues = static_cast<uint16_t>(engines);
  options.mbufs = config.port.mbufs;
  options.rx_ring = config.port.rx_ring;
  options.tx_ring = config.port.tx_ring;
  options.burst = config.port.burst;
  absl::StatusOr<std::unique_ptr<port::EthdevPort>> created =
      port::EthdevPort::Create(options, &port_counters);
  if (!created.ok()) {
    return created.status();
  }
  port::EthdevPort& eth = **created;
  // Before the engines take any (pinned payloads): at exit, with every
  // engine gone, the pool must be back at this count.
  const unsigned mbufs_at_start = rte_mempool_avail_count(eth.pool());
  absl::StatusOr<port::TscClock> clock = port::TscClock::Create();
  if (!clock.ok()) {
    return clock.status();
  }

  std::unique_ptr<port::Steering> steering;
  if (engines > 1) {
    // Without RSS every TCP segment may need handing to its engine; with
    // RSS only ARP frames (broadcast) and ICMP errors (to the quoted
    // connection's engine) do. A ring of one RX ring's worth per engine: a
    // whole burst from every other engine fits many times over.
    absl::StatusOr<std::unique_ptr<port::Steering>> s = port::Steering::Create(
        static_cast<uint16_t>(engines), config.port.rx_ring);
    if (!s.ok()) {
      return s.status();
    }
    steering = std::move(*s);
  }

  absl::StatusOr<std::unique_ptr<tcp::SynCookieSecretStore>> cookies =
      tcp::SynCookieSecretStore::Create();
  if (!cookies.ok()) {
    return cookies.status();
  }
  if (cookie_secret.has_value()) {
    (*cookies)->Rotate(*cookie_secret);
  }

  port::EngineOptions eo;
  eo.address = config.ip.address;
  eo.prefix_len = config.ip.prefix_len;
  eo.gateway = config.ip.gateway;
  eo.endpoint = MakeEndpointConfig(config.tcp);
  // "auto" follows the memory Main chose for EAL (hugepages or --no-huge).
  eo.dpdk_buffers = config.tcp.buffers == "dpdk" ||
                    (config.tcp.buffers == "auto" && hugepages_in_use);
  port::Log(RTE_LOG_INFO, "connection buffers: %s",
            eo.dpdk_buffers ? "DPDK heap (rte_malloc)" : "process heap");
  const FaultConfig& f = config.fault;
  port::FaultOptions fo;
  fo.drop = f.drop;
  fo.duplicate = f.duplicate;
  fo.reorder = f.reorder;
  fo.corrupt = f.corrupt;
  fo.delay = Duration::Micros(f.delay_us);
  fo.rate_mbps = f.rate_mbps;
  fo.seed = f.seed;
  if (f.direction != "tx") {
    eo.rx_fault = fo;
  }
  if (f.direction != "rx") {
    eo.tx_fault = fo;
  }
  if (fo.Active()) {
    port::Log(RTE_LOG_NOTICE,
              "fault injection on (%s): drop %.4f duplicate %.4f reorder %.4f "
              "corrupt %.4f delay %u us rate %u Mbit/s seed %llu",
              f.direction.c_str(), f.drop, f.duplicate, f.reorder, f.corrupt,
              f.delay_us, f.rate_mbps, static_cast<unsigned long long>(f.seed));
  }

  std::vector<std::unique_ptr<Lcore>> lcores;
  unsigned lcore_id = rte_get_main_lcore();
  for (unsigned i = 0; i < engines; ++i) {
    auto l = std::make_unique<Lcore>();
    l->lcore_id = lcore_id;
    absl::StatusOr<std::unique_ptr<port::Engine>> engine =
        port::Engine::Create(eo, &eth, static_cast<uint16_t>(i), steering.get(),
                             cookies->get(), clock->Now());
    if (!engine.ok()) {
      return engine.status();
    }
    l->engine = std::move(*engine);
    l->app = std::make_unique<ServiceApp>(l->engine.get());
    l->engine->set_application(l->app.get());
    for (const ListenerConfig& lc : config.listeners) {
      const wire::Ipv4Addr addr = lc.address.value_or(config.ip.address);
      tcp::Endpoint& ep = l->engine->endpoint();
      absl::StatusOr<tcp::ListenerHandle> h = ep.Listen(
          addr, lc.port,
          MakeListenOptions(lc, l->engine->options().endpoint.conn_defaults));
      if (!h.ok()) {
        return absl::Status(h.status().code(),
                            absl::StrCat("listener ", addr.ToString(), ":",
                                         lc.port, ": ", h.status().message()));
      }
      ServiceOptions so = MakeServiceOptions(lc);
      // Bodies leave by reference from an mbuf the engine keeps.
      so.http.pinner = l->engine.get();
      absl::StatusOr<std::unique_ptr<Service>> service =
          MakeService(lc.service, so, ep.config().max_connections);
      if (!service.ok()) {
        return service.status();
      }
      if (absl::Status s = l->app->host().Register(*h, std::move(*service));
          !s.ok()) {
        return s;
      }
    }
    l->clock = &*clock;
    l->loop.idle_sleep_us = config.port.idle_sleep_us;
    l->loop.busy_cycles = l->app->busy_cycles();
    l->loop.stalls = l->app->loop_stalls();
    l->loop.stalled_us = l->app->loop_stalled_us();
    l->loop.yield_every = Duration::Micros(config.port.yield_every_us);
    l->loop.yield_sleep = Duration::Micros(config.port.yield_us);
    l->loop.yields = l->app->loop_yields();
    l->loop.drain_time = Duration::Millis(config.drain_ms);
    if (cl.duration_seconds.has_value()) {
      l->loop.deadline = clock->Now() + Duration::Seconds(*cl.duration_seconds);
    }
    if (cl.reflect_alternation_ms.has_value()) {
      l->phases.reserve(kMaxReflectPhases);
      l->loop.phases = &l->phases;
      l->loop.reflect_alternation =
          Duration::Millis(*cl.reflect_alternation_ms);
    }
    lcores.push_back(std::move(l));
    lcore_id = rte_get_next_lcore(lcore_id, /*skip_main=*/1, /*wrap=*/0);
  }

  std::vector<const TelemetrySource*> sources;
  std::vector<TelemetrySource> source_storage;
  source_storage.reserve(lcores.size());
  for (const auto& l : lcores) {
    source_storage.push_back(
        TelemetrySource{l->engine.get(), &l->app->host(), &l->app->gauges()});
    sources.push_back(&source_storage.back());
  }
  RegisterTelemetry(sources, &eth);

  if (cl.stats_interval_seconds.has_value()) {
    lcores[0]->loop.period = Duration::Seconds(*cl.stats_interval_seconds);
    lcores[0]->loop.periodic = MakeRatePrinter(sources, lcores[0]->loop.period);
  }

  lcores[0]->engine->SendGratuitousArp();
  std::string listening;
  for (const ListenerConfig& lc : config.listeners) {
    absl::StrAppend(&listening, listening.empty() ? "" : ", ", lc.service,
                    " on ", lc.address.value_or(config.ip.address).ToString(),
                    ":", lc.port);
  }
  port::Log(RTE_LOG_INFO,
            "tern serving %s for %s/%u on %s (mac %s, mss %u) with %u "
            "engine(s)%s",
            listening.empty() ? "no listener" : listening.c_str(),
            config.ip.address.ToString().c_str(), config.ip.prefix_len,
            eth.name().c_str(), eth.mac().ToString().c_str(),
            lcores[0]->engine->options().endpoint.mss, engines,
            steering == nullptr ? ""
            : eth.rss()         ? ", RSS"
                                : ", software flow steering");

  // Stopped and joined when Run returns, before the store it rotates.
  std::jthread rotator;
  if (!config.cookie_secret_file.empty()) {
    struct sigaction sa = {};
    sa.sa_handler = OnSighup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, nullptr);
    rotator =
        std::jthread(RotateOnSighup, config.cookie_secret_file, cookies->get());
  }

  for (size_t i = 1; i < lcores.size(); ++i) {
    if (int rc = rte_eal_remote_launch(&LcoreMain, lcores[i].get(),
                                       lcores[i]->lcore_id);
        rc != 0) {
      port::StopFlag().store(true);
      rte_eal_mp_wait_lcore();
      return absl::InternalError(absl::StrCat("rte_eal_remote_launch on lcore ",
                                              lcores[i]->lcore_id, ": ", rc));
    }
  }
  LcoreMain(lcores[0].get());
  port::StopFlag().store(true);
  rte_eal_mp_wait_lcore();
  UnregisterTelemetry();
  if (steering != nullptr) {
    steering->DrainAll();
  }

  std::printf("tern counters (port %s, %s/%u, %zu engine(s)):\n",
              eth.name().c_str(), config.ip.address.ToString().c_str(),
              config.ip.prefix_len, lcores.size());
  std::fputs(FormatCounters(sources, /*nonzero_only=*/false).c_str(), stdout);
  // One line per phase of --reflect-alternation-ms (doc/flood.md, the rate
  // ratio), its start as Unix time to be matched with tern-flood's steps.
  for (const auto& l : lcores) {
    for (size_t i = 0; i < l->phases.size(); ++i) {
      const port::ReflectPhase& ph = l->phases[i];
      std::printf(
          "reflect_phase engine=%u index=%zu mode=%s start_unix_ns=%lld "
          "duration_ns=%lld rx_packets=%llu tx_packets=%llu "
          "busy_cycles=%llu\n",
          l->engine->index(), i, ph.reflect ? "reflect" : "stack",
          static_cast<long long>(ph.start_unix_ns),
          static_cast<long long>((ph.end - ph.start).ToNanos()),
          static_cast<unsigned long long>(ph.rx_packets),
          static_cast<unsigned long long>(ph.tx_packets),
          static_cast<unsigned long long>(ph.busy_cycles));
    }
  }
  // Every mbuf is freed exactly once: what the pool holds now is what it
  // held before any traffic.
  lcores.clear();  // endpoints release their last segments
  for (uint16_t q = 0; q < eth.queues(); ++q) {
    eth.Flush(q, &port_counters);  // and forget the engines' counters
  }
  const unsigned mbufs_at_end = rte_mempool_avail_count(eth.pool());
  std::printf("mbufs_available_start %u\nmbufs_available_end %u\n",
              mbufs_at_start, mbufs_at_end);
  std::fflush(stdout);
  if (mbufs_at_end != mbufs_at_start) {
    port::Log(RTE_LOG_WARNING, "mbuf pool: %u available at start, %u at end",
              mbufs_at_start, mbufs_at_end);
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine(
      std::span<const char* const>(argv, static_cast<size_t>(argc)));
  if (!cl.ok()) {
    port::Log(RTE_LOG_ERR, "%s", std::string(cl.status().message()).c_str());
    return 2;
  }
  if (cl->help) {
    std::fputs(UsageText(), stdout);
    return 0;
  }
  absl::StatusOr<TernConfig> config = LoadConfig(cl->config_path);
  if (!config.ok()) {
    port::Log(RTE_LOG_ERR, "%s",
              std::string(config.status().message()).c_str());
    return 2;
  }

  // Service options are checked by the services themselves; do it now so
  // that a bad one is a configuration error (exit 2) before EAL starts.
  for (size_t i = 0; i < config->listeners.size(); ++i) {
    const ListenerConfig& lc = config->listeners[i];
    absl::StatusOr<std::unique_ptr<Service>> probe =
        MakeService(lc.service, MakeServiceOptions(lc), /*max_connections=*/1);
    if (!probe.ok()) {
      port::Log(RTE_LOG_ERR, "%s: listener[%zu] (service \"%s\"): %s",
                cl->config_path.c_str(), i, lc.service.c_str(),
                std::string(probe.status().message()).c_str());
      return 2;
    }
  }

  // The shared SYN-cookie secret, read before EAL too (file errors exit 2).
  std::optional<tcp::SynCookieSecrets> cookie_secret;
  if (!config->cookie_secret_file.empty()) {
    absl::StatusOr<tcp::SynCookieSecrets> secret =
        LoadSynCookieSecretFile(config->cookie_secret_file);
    if (!secret.ok()) {
      port::Log(RTE_LOG_ERR, "%s: syn_cookies.secret_file: %s",
                cl->config_path.c_str(),
                std::string(secret.status().message()).c_str());
      return 2;
    }
    cookie_secret = *secret;
  }

  std::vector<std::string> eal_args = {argv[0]};
  const std::vector<std::string>& given =
      cl->eal_args_given ? cl->eal_args : config->eal_args;
  eal_args.insert(eal_args.end(), given.begin(), given.end());
  bool no_huge = false;
  for (const std::string& a : given) {
    no_huge = no_huge || a == "--no-huge";
  }
  bool no_huge_used = no_huge;
  if (!no_huge && !HugepagesUsable()) {
    eal_args.push_back("--no-huge");
    no_huge_used = true;
    port::Log(RTE_LOG_INFO,
              "no usable hugepages (none free in /proc/meminfo or no "
              "hugetlbfs mounted): running with --no-huge");
  } else {
    port::Log(RTE_LOG_INFO, "memory: %s",
              no_huge ? "--no-huge as configured" : "hugepages");
  }
  if (absl::Status s = port::InitEal(eal_args); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    return 1;
  }
  if (cl->reflect_alternation_ms.has_value() && rte_lcore_count() > 1) {
    // Each engine would switch on its own clock, and an engine reflecting
    // would leave the frames the others steer to it in its ring.
    port::Log(RTE_LOG_ERR,
              "--reflect-alternation-ms measures one engine; EAL gave %u "
              "lcores (give one, e.g. -l 0)",
              rte_lcore_count());
    (void)port::CleanupEal();
    return 2;
  }
  port::InstallStopSignals();
  // Packet capture from a secondary process (dpdk-dumpcap, dpdk-pdump).
  // Secondary processes attach to the primary's memory, which needs
  // hugepages: without them capture is unavailable and tern says so.
  const bool pdump = rte_pdump_init() == 0;
  port::Log(RTE_LOG_INFO, "packet capture (dpdk-dumpcap --file-prefix=...): %s",
            !pdump         ? "unavailable (rte_pdump_init failed)"
            : no_huge_used ? "unavailable without hugepages"
                           : "available");

  int rc = 0;
  if (absl::Status s =
          Run(*config, *cl, /*hugepages_in_use=*/!no_huge_used, cookie_secret);
      !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  if (pdump) {
    rte_pdump_uninit();
  }
  if (absl::Status s = port::CleanupEal(); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  return rc;
}

}  // namespace
}  // namespace tern::app

int main(int argc, char** argv) { return tern::app::Main(argc, argv); }
