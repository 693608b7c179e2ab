// FloodReport: what one tern-flood run measured, and its JSON document
// (doc/flood.md lists every field).
//
// Contract: StepJson writes one flood step as a JSON object (RFC 8259), keys
// in a fixed order, latencies in microseconds as integers (the histograms
// record nanoseconds; the division truncates), rates as numbers with one
// decimal; fields that this run cannot know are null (`ceiling_pps` when no
// --ceiling-pps was given, latencies when nothing was measured). Labels are
// escaped. ToJson writes the run's document: {"tool": "tern-flood",
// "steps": [one object per step, in order]}. ProgressLine formats the
// one-line-per-second summary.
// DPDK-free: unit-tested without EAL.
#ifndef TERN_APP_TERN_FLOOD_REPORT_H_
#define TERN_APP_TERN_FLOOD_REPORT_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/tern-flood/flood_options.h"
#include "lib/base/histogram.h"
#include "lib/base/time.h"

namespace tern::flood {

// Why a legitimate connection failed; each is a JSON counter.
enum class LegitFailure : uint8_t {
  kNoSynAck,      // no SYN-ACK before the deadline (or SYN retries ran out)
  kRst,           // reset or refused by the target
  kTimeout,       // connected, but no complete response before the deadline
  kBadResponse,   // the response did not start with "HTTP/1.1 2"
  kConnectError,  // Engine::Connect failed (no ephemeral port, table full)
  kCount,
};
const char* ToString(LegitFailure f);

// How many SYN retransmissions each legitimate connection needed before its
// handshake completed (tcp::Connection::syn_retransmits, read at
// kConnected), over the connections that connected: buckets 0, 1, 2 and 3 or
// more, and the exact sum for the mean. Connections that never connected are
// not in it (their failures say why). Mergeable by adding.
struct SynRetransmitCounts {
  static constexpr size_t kBuckets = 4;  // 0, 1, 2, 3+
  uint64_t buckets[kBuckets] = {};
  uint64_t sum = 0;  // the per-connection counts added, not bucketed

  void Record(uint32_t retransmits) {
    ++buckets[retransmits < kBuckets - 1 ? retransmits : kBuckets - 1];
    sum += retransmits;
  }
  uint64_t connections() const {
    uint64_t n = 0;
    for (uint64_t b : buckets) {
      n += b;
    }
    return n;
  }
  // sum / connections(); nullopt when no connection connected.
  std::optional<double> mean() const {
    const uint64_t n = connections();
    if (n == 0) {
      return std::nullopt;
    }
    return static_cast<double>(sum) / static_cast<double>(n);
  }
};

// What the legitimate clients did in one flood step (the connections opened
// during it).
struct LegitStats {
  uint64_t attempted = 0;
  uint64_t succeeded = 0;
  uint64_t finished = 0;  // succeeded or failed
  uint64_t failed[static_cast<size_t>(LegitFailure::kCount)] = {};
  Histogram connect_ns;  // Connect -> kConnected
  // The same, of the connections during whose handshake tern-flood's loop
  // did not stall (LoopStalls: no iteration began 1 ms or more after the
  // one before): a stall holds the SYN-ACK in the receive ring, and the
  // connect latency then holds the stall.
  Histogram connect_no_stall_ns;
  Histogram request_ns;  // GET queued -> whole response (end of stream)
  SynRetransmitCounts syn_retransmits;  // per connection, at kConnected
};

// Loop iterations that started at least 1 ms after the previous one (the
// process was off its core; main.cc's kStall): how many, their total and
// the longest.
struct LoopStalls {
  uint64_t count = 0;
  Duration total;
  Duration longest;

  void Record(Duration gap) {
    ++count;
    total += gap;
    longest = std::max(longest, gap);
  }
};

// One flood step.
struct FloodReport {
  std::string scenario;
  std::string stack;
  std::string mode;
  uint32_t step = 0;      // 0, 1, ... in the order of --flood-pps
  double duration_s = 0;  // the step's traffic time actually run
  // The step's start and end on the wall clock (seconds since the Unix
  // epoch), to line it up with the server's counters sampled meanwhile.
  double start_unix_s = 0;
  double end_unix_s = 0;
  // The bare forwarding loop's packet rate over the same link, measured by
  // a separate run (--ceiling-pps); nullopt: not given.
  std::optional<double> ceiling_pps;

  // The flood. offered: the configured rate; 0 with flood_max (unlimited).
  uint64_t flood_pps_offered = 0;
  bool flood_max = false;
  bool syn_options = true;
  bool tx_budget = true;         // TxBudget paced the bursts
  uint64_t flood_sent = 0;       // SYNs the driver accepted
  double flood_pps_reached = 0;  // flood_sent over the flood's active time
  uint64_t flood_tx_full = 0;    // SYNs the TX queue refused (freed)
  uint64_t flood_no_mbuf = 0;    // SYNs not built: the flood pool was empty
  FloodKind kind = FloodKind::kSyn;
  uint64_t synacks_seen = 0;        // SYN-ACKs to spoofed sources
  uint64_t rsts_seen = 0;           // RSTs to spoofed sources
  uint64_t spoofed_other_seen = 0;  // other frames to spoofed sources
  // Frames to spoofed sources (SYN-ACKs, RSTs, others) per second of the step:
  // the target's (or the bare loop's) answer rate.
  double replies_pps = 0;

  // The legitimate clients.
  double legit_rate = 0;
  uint64_t legit_attempted = 0;
  uint64_t legit_succeeded = 0;
  uint64_t legit_failed[static_cast<size_t>(LegitFailure::kCount)] = {};
  // Per connection that connected: its SYN retransmissions (JSON
  // legit_syn_retransmits: {"0", "1", "2", "3+", "mean"}).
  SynRetransmitCounts legit_syn_retransmits;
  // The engine's syn_retransmits counter over the step: all its SYNs sent
  // again, those of connections that never connected included.
  uint64_t engine_syn_retransmits = 0;
  // The engine's own frames lost at the shared TX queue (its
  // tx_dropped_ring_full): a flood at "max" fills the queue and the
  // legitimate clients' SYNs and ACKs then lose to it on this side.
  uint64_t legit_tx_ring_full = 0;
  // With --tx-keep on: the engine's frames the full TX queue refused and
  // the port kept to send at its next flush, instead of dropping them.
  bool tx_keep = true;
  uint64_t legit_tx_kept = 0;
  // tern-flood's own stalls during the step: while it is off its core it
  // reads nothing, and the peer's replies, legitimate SYN-ACKs among them,
  // overflow the receive ring (the peer's TX drops).
  LoopStalls loop_stalls;
  // The loop's sleeps on its --yield-every-us cadence in the step.
  uint64_t loop_yields = 0;
  Histogram connect_ns;  // Connect -> kConnected
  // Of the connections no loop stall interrupted (LegitStats).
  Histogram connect_no_stall_ns;
  Histogram request_ns;  // GET queued -> whole response (end of stream)
};

std::string StepJson(const FloodReport& r);
std::string ToJson(const std::vector<FloodReport>& steps);

// "t=3s flood 2000 pps synacks 6000 legit 30/30 connect p99 120 us".
std::string ProgressLine(double t_s, double flood_pps, uint64_t synacks,
                         uint64_t legit_ok, uint64_t legit_done,
                         uint64_t connect_p99_ns);

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_REPORT_H_
