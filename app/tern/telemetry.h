// tern's counters for people and tools: the final dump, the --stats-interval
// rate line, and rte_telemetry commands under /tern/ (readable with
// dpdk-telemetry.py from Debian's dpdk-dev).
//
// Contract:
// - Every value read here is a single-writer Counter or a relaxed atomic
//   gauge the owning lcore publishes once per loop iteration
//   (EngineGauges), so any thread (the telemetry thread, the main lcore)
//   reads them without locks and without racing the data path.
// - ForEachCounter visits one engine's counters under stable snake_case
//   names ("rx_packets", "drop.no_route", "tcp.passive_opens",
//   "tcp_drop.paws", "arp.requests_sent", "conn.open", ...); FormatCounters
//   prints the sum over engines as "name value" lines, then each engine's
//   own as "engine<i>.name value".
// - RegisterTelemetry registers the commands once per process (DPDK cannot
//   unregister them); UnregisterTelemetry detaches the sources, after which
//   the commands answer an empty dictionary.
//   Commands: /tern/stats[,ENGINE] (every counter, summed or of one engine),
//   /tern/engines (engine count and per-engine open connections),
//   /tern/listeners (per listener: address, port, service, counters).
#ifndef TERN_APP_TERN_TELEMETRY_H_
#define TERN_APP_TERN_TELEMETRY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "app/services/service_host.h"
#include "lib/base/time.h"
#include "lib/port/engine.h"
#include "lib/port/ethdev_port.h"

namespace tern::app {

// Gauges an engine's lcore publishes (relaxed stores, one writer).
struct EngineGauges {
  std::atomic<uint64_t> connections{0};  // full connection records
  std::atomic<uint64_t> time_wait{0};    // TIME-WAIT records
  std::atomic<uint64_t> half_open{0};    // SYN-RECEIVED records
};

struct TelemetrySource {
  const port::Engine* engine;
  const ServiceHost* host;
  const EngineGauges* gauges;
};

using CounterVisitor = std::function<void(std::string_view, uint64_t)>;
void ForEachCounter(const TelemetrySource& s, const CounterVisitor& visit);
std::string FormatCounters(std::span<const TelemetrySource* const> sources,
                           bool nonzero_only);

void RegisterTelemetry(std::vector<const TelemetrySource*> sources,
                       const port::EthdevPort* eth);
void UnregisterTelemetry();

// A function for LoopOptions::periodic that prints one line of rates since
// its previous call: packets in/out, connections accepted and closed per
// second, open connections, TIME-WAIT records.
std::function<void(Instant)> MakeRatePrinter(
    std::vector<const TelemetrySource*> sources, Duration period);

}  // namespace tern::app

#endif  // TERN_APP_TERN_TELEMETRY_H_
