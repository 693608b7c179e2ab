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
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "app/tern-flood/flood_options.h"
#include "app/tern-flood/legit_clients.h"
#include "app/tern-flood/report.h"
#include "app/tern-flood/syn_flood.h"
#include "app/tern-flood/token_bucket.h"
#include "app/tern-flood/tx_budget.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/engine.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/lcore_loop.h"
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
// A loop iteration starting this long after the previous one is a stall
// (the process was off its core), as tern's loop counts its own
// (port::kLoopStall): the 1 ms connect target, and about the time
// the peer, answering the flood at the 0.7 to 1 M SYN/s measured over memif
// (doc/flood.md), takes to fill the 1024-slot ring this process then does
// not read, after which its SYN-ACKs are dropped.
constexpr Duration kStall = port::kLoopStall;
// The flood's pause after the TX ring refused a burst (tx_budget.h): about
// 50 frames of room for the engine at the 1.1 Mpps one tern lcore takes
// over memif (doc/flood.md), and a twentieth of the ~1 ms that peer needs
// to drain a full 1024-slot ring, so the pause never leaves it idle.
constexpr Duration kTxPause = Duration::Micros(50);
// After the last open, in-flight connections get their deadline to finish;
// then what remains is aborted and the final RSTs get this long to leave.
constexpr Duration kFinalFlush = Duration::Millis(50);

double WallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds(Duration d) { return static_cast<double>(d.ToNanos()) / 1e9; }

// Counters read at a step's boundaries; a step's figures are differences.
struct Snapshot {
  uint64_t sent = 0;
  uint64_t tx_full = 0;
  uint64_t no_mbuf = 0;
  uint64_t synacks = 0;
  uint64_t rsts = 0;
  uint64_t other = 0;
  uint64_t syn_retransmits = 0;
  uint64_t tx_ring_full = 0;
  uint64_t tx_kept = 0;
};

Snapshot TakeSnapshot(const SynFlood& f, port::Engine& e, uint64_t kept) {
  Snapshot s;
  s.sent = f.counters().sent.Get();
  s.tx_full = f.counters().tx_full.Get();
  s.no_mbuf = f.counters().no_mbuf.Get();
  s.synacks = f.counters().synacks_seen.Get();
  s.rsts = f.counters().rsts_seen.Get();
  s.other = f.counters().spoofed_other.Get();
  s.syn_retransmits = e.endpoint().stats().syn_retransmits.Get();
  s.tx_ring_full = e.counters().tx_dropped_ring_full.Get();
  s.tx_kept = kept;
  return s;
}

absl::Status Run(const FloodOptions& o) {
  port::PortCounters port_counters;
  port::EthdevPortOptions po;
  po.name = o.port;
  po.queues = 1;
  po.mbufs = o.mbufs;
  po.mac = o.mac;
  po.tx_keep_unsent = o.tx_keep;
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

  const Instant start = clock->Now();
  Instant next_progress = start + kProgressPeriod;
  uint64_t last_sent = 0;
  Instant last_progress = start;
  port::Log(RTE_LOG_INFO,
            "tern-flood: %s on %s (mac %s) -> %s:%u, %zu %s flood step(s) "
            "of %u s from %s/%u, legitimate %.1f/s",
            o.address.ToString().c_str(), eth.name().c_str(),
            eth.mac().ToString().c_str(), o.target.ToString().c_str(),
            o.target_port, o.flood_steps.size(), ToString(o.kind), o.duration_s,
            o.spoof_range.base.ToString().c_str(), o.spoof_range.len,
            o.legit_rate);

  std::vector<FloodReport> reports;
  std::vector<Snapshot> begins;
  std::vector<Snapshot> ends;
  TxBudget budget(kFloodBurst, kTxPause);
  LoopStalls stalls;
  Instant now = start;
  // The previous iteration's start, carried across the steps and into the
  // drain below, so that no gap between two loops goes uncounted.
  Instant prev = start;
  // The loop's yield (--yield-every-us), in the steps and the drain alike.
  port::DutyYield yield(Duration::Micros(o.yield_every_us),
                        Duration::Micros(o.yield_us), start);
  uint64_t yields = 0;
  // Reads the clock for the next iteration; a gap of kStall or more since
  // the previous one is a stall, which the clients hear of (their
  // handshakes in flight straddle it), which the yield counts as time off
  // the core, and which is returned, else zero.
  const auto next_iteration = [&]() {
    now = clock->Now();
    const Duration gap = now - prev;
    prev = now;
    if (gap < kStall) {
      return Duration::Zero();
    }
    clients.NoteStall();
    yield.NoteSleep(now, gap);
    return gap;
  };
  // At the end of an iteration: the engine's frames leave, then the loop
  // sleeps, when the yield is due.
  const auto maybe_yield = [&]() {
    if (yield.Due(now)) {
      e.FlushTx();
      yield.Yield(now);
      ++yields;
    }
  };
  bool stopped = false;
  for (size_t step = 0; step < o.flood_steps.size() && !stopped; ++step) {
    const FloodRate rate = o.flood_steps[step];
    if (step > 0) {
      clients.NextStep();
    }
    TokenBucket bucket(static_cast<double>(rate.pps), kFloodBurst);
    const double wall_start = WallSeconds();
    const Instant step_start = clock->Now();
    const Instant step_end = step_start + Duration::Seconds(o.duration_s);
    Instant flood_start = Instant::Never();
    begins.push_back(TakeSnapshot(f, e, eth.tx_kept()));
    for (;;) {
      if (const Duration gap = next_iteration(); gap > Duration::Zero()) {
        stalls.Record(gap);
      }
      if (port::StopFlag().load(std::memory_order_relaxed)) {
        stopped = true;
        break;
      }
      if (now >= step_end) {
        break;
      }
      // A full receive burst: replies are waiting in the RX ring; the
      // iteration goes to reading them (the budget below skips the flood)
      // so that the peer's replies, the legitimate SYN-ACKs among them, are
      // not dropped at its full TX ring.
      const bool rx_backlog = e.PollOnce(now) >= eth.burst();
      if (rate.floods()) {
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
          uint16_t n = kFloodBurst;
          if (o.tx_budget) {
            // The engine's frames first, then the flood's allowance.
            e.FlushTx();
            n = rx_backlog ? 0 : budget.Allow(now);
          }
          if (!rate.max) {
            n = static_cast<uint16_t>(bucket.Take(now, n));
          }
          if (n > 0) {
            // A pool running dry counts as a refusal too: its mbufs sit in
            // a full ring.
            budget.Account(n, f.SendBurst(n), now);
          }
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
                         f.counters().synacks_seen.Get(),
                         clients.current().succeeded,
                         clients.current().finished,
                         clients.current().connect_ns.ValueAtPercentile(99))
                .c_str());
        last_sent = sent;
        last_progress = now;
        next_progress = now + kProgressPeriod;
      }
      maybe_yield();
    }
    ends.push_back(TakeSnapshot(f, e, eth.tx_kept()));
    const LoopStalls step_stalls = stalls;
    stalls = LoopStalls{};
    const double wall_end = WallSeconds();
    const Snapshot& b = begins.back();
    const Snapshot& a = ends.back();
    FloodReport r;
    r.scenario = o.scenario;
    r.stack = o.stack;
    r.mode = o.mode;
    r.step = static_cast<uint32_t>(step);
    r.duration_s = Seconds(now - step_start);
    r.start_unix_s = wall_start;
    r.end_unix_s = wall_end;
    r.ceiling_pps = o.ceiling_pps;
    r.flood_pps_offered = rate.pps;
    r.flood_max = rate.max;
    r.syn_options = o.syn_options;
    r.tx_budget = o.tx_budget;
    r.flood_sent = a.sent - b.sent;
    if (flood_start != Instant::Never() && now > flood_start) {
      r.flood_pps_reached =
          static_cast<double>(r.flood_sent) / Seconds(now - flood_start);
    }
    r.flood_tx_full = a.tx_full - b.tx_full;
    r.flood_no_mbuf = a.no_mbuf - b.no_mbuf;
    r.kind = o.kind;
    r.synacks_seen = a.synacks - b.synacks;
    r.rsts_seen = a.rsts - b.rsts;
    r.spoofed_other_seen = a.other - b.other;
    if (r.duration_s > 0) {
      r.replies_pps = static_cast<double>(r.synacks_seen + r.rsts_seen +
                                          r.spoofed_other_seen) /
                      r.duration_s;
    }
    r.legit_rate = o.legit_rate;
    r.engine_syn_retransmits = a.syn_retransmits - b.syn_retransmits;
    r.legit_tx_ring_full = a.tx_ring_full - b.tx_ring_full;
    r.legit_tx_kept = a.tx_kept - b.tx_kept;
    r.tx_keep = o.tx_keep;
    r.loop_stalls = step_stalls;
    r.loop_yields = yields;
    yields = 0;
    reports.push_back(std::move(r));
  }

  // Let what is in flight finish within its own deadline (no new opens,
  // no more flood), then abort the rest.
  clients.StopOpening();
  while (!clients.Idle() && !port::StopFlag().load(std::memory_order_relaxed)) {
    next_iteration();
    e.PollOnce(now);
    maybe_yield();
  }
  clients.AbortAll(now);
  for (const Instant until = now + kFinalFlush; now < until;
       now = clock->Now()) {
    e.PollOnce(now);
    maybe_yield();
  }
  // Connections count in the step they were opened in; their SYN
  // retransmissions and lost frames after the last step go to that step.
  const Snapshot last = TakeSnapshot(f, e, eth.tx_kept());
  if (!reports.empty()) {
    reports.back().engine_syn_retransmits +=
        last.syn_retransmits - ends.back().syn_retransmits;
    reports.back().legit_tx_ring_full +=
        last.tx_ring_full - ends.back().tx_ring_full;
    reports.back().legit_tx_kept += last.tx_kept - ends.back().tx_kept;
  }
  for (size_t i = 0; i < reports.size(); ++i) {
    const LegitStats& st = clients.step(i);
    FloodReport& r = reports[i];
    r.legit_attempted = st.attempted;
    r.legit_succeeded = st.succeeded;
    for (size_t k = 0; k < static_cast<size_t>(LegitFailure::kCount); ++k) {
      r.legit_failed[k] = st.failed[k];
    }
    r.connect_ns = st.connect_ns;
    r.connect_no_stall_ns = st.connect_no_stall_ns;
    r.legit_syn_retransmits = st.syn_retransmits;
    r.request_ns = st.request_ns;
  }

  e.set_application(nullptr);
  e.Shutdown(now);
  e.set_rx_tap(nullptr);
  std::fprintf(stderr, "tern-flood engine counters:\n%s",
               e.counters().Format(/*nonzero_only=*/true).c_str());

  std::fprintf(stderr, "tern-flood: TX budget %s, %llu refused burst(s)\n",
               o.tx_budget ? "on" : "off",
               static_cast<unsigned long long>(budget.refusals()));
  const std::string json = ToJson(reports);
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
