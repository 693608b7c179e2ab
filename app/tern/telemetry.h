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
//   /tern/listeners (per listener: address, port, service, counters),
//   /tern/connections[,ENGINE] (up to ConnDump::kMaxRows connections per
//   engine: state, 4-tuple, cwnd, MSS, srtt, rttvar, RTO, backoff,
//   unacknowledged and queued bytes, window scales, options).
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
#include "lib/tcp/four_tuple.h"
#include "lib/tcp/state.h"

namespace tern::app {

// A per-connection dump (like `ss -tin`) asked of an engine by another
// thread: the asker bumps `request`, the engine's lcore fills `rows` on its
// next loop iteration (ServeConnDump) and publishes `done` = `request` with
// release ordering; the asker reads the rows after seeing it (acquire).
struct ConnRow {
  tcp::State state;
  tcp::FourTuple tuple;
  uint32_t cwnd = 0;  // bytes
  uint32_t mss = 0;
  uint32_t snd_wnd = 0;
  uint32_t unacked = 0;  // SND.NXT - SND.UNA
  int64_t srtt_us = 0;
  int64_t rttvar_us = 0;
  int64_t rto_ms = 0;
  int backoff = 0;
  uint64_t send_queue = 0;
  uint64_t recv_queue = 0;
  uint8_t snd_wscale = 0;
  uint8_t rcv_wscale = 0;
  bool timestamps = false;
  bool sack = false;
};

struct ConnDump {
  static constexpr size_t kMaxRows = 64;  // a telemetry dictionary holds 256
  std::atomic<uint32_t> request{0};
  std::atomic<uint32_t> done{0};
  size_t rows_used = 0;
  size_t total = 0;  // connection records at the time of the dump
  ConnRow rows[kMaxRows];
};

// Gauges an engine's lcore publishes (relaxed stores, one writer), and its
// dump mailbox.
struct EngineGauges {
  std::atomic<uint64_t> connections{0};  // full connection records
  std::atomic<uint64_t> time_wait{0};    // TIME-WAIT records
  std::atomic<uint64_t> half_open{0};    // SYN-RECEIVED records
  // TSC cycles of the loop iterations that received packets
  // (LoopOptions::busy_cycles; the loop is its one writer).
  Counter busy_cycles;
  // Loop iterations that began 1 ms or more after the one before, and
  // their gaps in microseconds (LoopOptions::stalls and stalled_us).
  Counter loop_stalls;
  Counter loop_stalled_us;
  // The loop's sleeps on its yield cadence (LoopOptions::yields).
  Counter loop_yields;
  ConnDump dump;
};

// On the engine's lcore: answers a pending dump request, if any (one
// relaxed load when there is none).
void ServeConnDump(const tcp::Endpoint& endpoint, ConnDump* dump);

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
