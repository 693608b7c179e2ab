// tern-flood: the SYN-flood generator and legitimate-client load of issue
// 14's resilience benchmark (doc/flood.md).
//
// One port, one lcore. Each loop iteration polls the engine (its RX tap
// takes the replies to spoofed sources; its application runs the
// legitimate clients) and then sends the flood's share of SYNs from a token
// bucket on the TSC. A progress line per second goes to standard error,
// the JSON document (report.h) to --json or standard output at the end.
//
// Exit status: 0 after the run (also when ended early by SIGINT or
// SIGTERM), 1 when EAL or the port cannot be set up, 2 for a bad command
// line.

#include <rte_eal.h>
#include <rte_log.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "app/tern-flood/flood_options.h"
#include "app/tern-flood/legit_clients.h"
#include "app/tern-flood/report.h"
#include "app/tern-flood/syn_flood.h"
#include "app/tern-flood/token_bucket.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/engine.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/log.h"
#include "lib/port/signals.h"
#include "lib/tcp/cookie_secrets.h"

namespace tern::flood {
namespace {

// A flood burst: SynFlood's TX burst; the bucket holds at most that many
// tokens so a loop stall is not followed by a double burst.
constexpr uint16_t kFloodBurst = SynFlood::kMaxBurst;
// The flood's pool: a TX ring's worth (1024) many times over, 2^n - 1 as
// DPDK's mempool prefers (rte_mempool.h).
constexpr uint32_t kFloodMbufs = 8191;
constexpr Duration kProgressPeriod = Duration::Seconds(1);
// After the last open, in-flight connections get their deadline to finish;
// then what remains is aborted and the final RSTs get this long to leave.
constexpr Duration kFinalFlush = Duration::Millis(50);

absl::Status Run(const FloodOptions& o) {
  port::PortCounters port_counters;
  port::EthdevPortOptions po;
  po.name = o.port;
  po.queues = 1;
  po.mbufs = o.mbufs;
  po.mac = o.mac;
  absl::StatusOr<std::unique_ptr<port::EthdevPort>> created =
      port::EthdevPort::Create(po, &port_counters);
  if (!created.ok()) {
    return created.status();
  }
  port::EthdevPort& eth = **created;
  absl::StatusOr<port::TscClock> clock = port::TscClock::Create();
  if (!clock.ok()) {
    return clock.status();
  }
  // The engine only opens connections; its cookie store is never read.
  absl::StatusOr<std::unique_ptr<tcp::SynCookieSecretStore>> cookies =
      tcp::SynCookieSecretStore::Create();
  if (!cookies.ok()) {
    return cookies.status();
  }
  port::EngineOptions eo;
  eo.address = o.address;
  eo.prefix_len = o.prefix_len;
  eo.endpoint.max_connections = o.max_connections;
  eo.endpoint.max_half_open = o.max_connections;
  eo.endpoint.max_time_wait = o.max_connections;
  absl::StatusOr<std::unique_ptr<port::Engine>> engine =
      port::Engine::Create(eo, &eth, 0, nullptr, cookies->get(), clock->Now());
  if (!engine.ok()) {
    return engine.status();
  }
  port::Engine& e = **engine;
  absl::StatusOr<std::unique_ptr<SynFlood>> flood =
      SynFlood::Create(o, eth.port_id(), eth.mac(), kFloodMbufs);
  if (!flood.ok()) {
    return flood.status();
  }
  SynFlood& f = **flood;
  if (o.target_mac.has_value()) {
    f.set_target_mac(*o.target_mac);
  }
  LegitClients clients(&e, o);
  e.set_rx_tap(&f);
  e.set_application(&clients);
  e.SendGratuitousArp();

  const bool flooding = o.flood_max || o.flood_pps > 0;
  TokenBucket bucket(static_cast<double>(o.flood_pps), kFloodBurst);
  const Instant start = clock->Now();
  const Instant end = start + Duration::Seconds(o.duration_s);
  Instant flood_start = Instant::Never();
  Instant flood_end = Instant::Never();
  Instant next_progress = start + kProgressPeriod;
  uint64_t last_sent = 0;
  Instant last_progress = start;
  port::Log(RTE_LOG_INFO,
            "tern-flood: %s on %s (mac %s) -> %s:%u, flood %s pps from %s/%u, "
            "legitimate %.1f/s for %u s",
            o.address.ToString().c_str(), eth.name().c_str(),
            eth.mac().ToString().c_str(), o.target.ToString().c_str(),
            o.target_port,
            o.flood_max ? "max" : absl::StrCat(o.flood_pps).c_str(),
            o.spoof_range.base.ToString().c_str(), o.spoof_range.len,
            o.legit_rate, o.duration_s);

  Instant now = start;
  for (;;) {
    now = clock->Now();
    if (now >= end || port::StopFlag().load(std::memory_order_relaxed)) {
      break;
    }
    e.PollOnce(now);
    if (flooding) {
      if (!f.has_target_mac()) {
        wire::MacAddr mac;
        if (e.arp().Lookup(o.target, &mac)) {
          f.set_target_mac(mac);
        }
      }
      if (f.has_target_mac()) {
        if (flood_start == Instant::Never()) {
          flood_start = now;
        }
        const uint64_t n =
            o.flood_max ? kFloodBurst : bucket.Take(now, kFloodBurst);
        f.SendBurst(static_cast<uint16_t>(n));
      }
    }
    if (now >= next_progress && o.progress) {
      const uint64_t sent = f.counters().sent.Get();
      const double dt =
          static_cast<double>((now - last_progress).ToNanos()) / 1e9;
      std::fprintf(
          stderr, "%s\n",
          ProgressLine(static_cast<double>((now - start).ToNanos()) / 1e9,
                       static_cast<double>(sent - last_sent) / dt,
                       f.counters().synacks_seen.Get(), clients.succeeded(),
                       clients.finished(),
                       clients.connect_ns().ValueAtPercentile(99))
              .c_str());
      last_sent = sent;
      last_progress = now;
      next_progress = now + kProgressPeriod;
    }
  }
  flood_end = now;
  const Instant traffic_end = now;

  // Let what is in flight finish within its own deadline (no new opens,
  // no more flood), then abort the rest.
  clients.StopOpening();
  while (!clients.Idle() && !port::StopFlag().load(std::memory_order_relaxed)) {
    now = clock->Now();
    e.PollOnce(now);
  }
  clients.AbortAll(now);
  for (const Instant until = now + kFinalFlush; now < until;
       now = clock->Now()) {
    e.PollOnce(now);
  }

  FloodReport r;
  r.scenario = o.scenario;
  r.stack = o.stack;
  r.mode = o.mode;
  r.duration_s = static_cast<double>((traffic_end - start).ToNanos()) / 1e9;
  r.flood_pps_offered = o.flood_pps;
  r.flood_max = o.flood_max;
  r.syn_options = o.syn_options;
  r.flood_sent = f.counters().sent.Get();
  if (flood_start != Instant::Never() && flood_end > flood_start) {
    r.flood_pps_reached =
        static_cast<double>(r.flood_sent) /
        (static_cast<double>((flood_end - flood_start).ToNanos()) / 1e9);
  }
  r.flood_tx_full = f.counters().tx_full.Get();
  r.flood_no_mbuf = f.counters().no_mbuf.Get();
  r.synacks_seen = f.counters().synacks_seen.Get();
  r.spoofed_other_seen = f.counters().spoofed_other.Get();
  r.legit_rate = o.legit_rate;
  r.legit_attempted = clients.attempted();
  r.legit_succeeded = clients.succeeded();
  for (size_t i = 0; i < static_cast<size_t>(LegitFailure::kCount); ++i) {
    r.legit_failed[i] = clients.failed(static_cast<LegitFailure>(i));
  }
  r.legit_syn_retransmits = e.endpoint().stats().syn_retransmits.Get();
  r.legit_tx_ring_full = e.counters().tx_dropped_ring_full.Get();
  r.connect_ns = clients.connect_ns();
  r.request_ns = clients.request_ns();

  e.set_application(nullptr);
  e.Shutdown(now);
  e.set_rx_tap(nullptr);
  std::fprintf(stderr, "tern-flood engine counters:\n%s",
               e.counters().Format(/*nonzero_only=*/true).c_str());

  const std::string json = ToJson(r);
  if (o.json_path.empty()) {
    std::fputs(json.c_str(), stdout);
    std::fflush(stdout);
  } else {
    std::ofstream out(o.json_path, std::ios::trunc);
    out << json;
    out.close();
    if (!out) {
      return absl::InternalError(
          absl::StrCat("--json: cannot write ", o.json_path));
    }
  }
  // The engine before the port it sends on; the flood's pool after the
  // port, which may hold transmitted SYNs until it is closed.
  engine->reset();
  created->reset();
  flood->reset();
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  absl::StatusOr<FloodOptions> o = ParseFloodCommandLine(
      std::span<const char* const>(argv, static_cast<size_t>(argc)));
  if (!o.ok()) {
    std::fprintf(stderr, "tern-flood: %s\n",
                 std::string(o.status().message()).c_str());
    return 2;
  }
  if (o->help) {
    std::fputs(FloodUsageText(), stdout);
    return 0;
  }
  std::vector<std::string> eal_args = {argv[0]};
  eal_args.insert(eal_args.end(), o->eal_args.begin(), o->eal_args.end());
  if (absl::Status s = port::InitEal(eal_args); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    return 1;
  }
  port::InstallStopSignals();
  int rc = 0;
  if (absl::Status s = Run(*o); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  if (absl::Status s = port::CleanupEal(); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  return rc;
}

}  // namespace
}  // namespace tern::flood

int main(int argc, char** argv) { return tern::flood::Main(argc, argv); }
