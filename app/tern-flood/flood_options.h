// tern-flood's command line (doc/flood.md has every flag with an example).
//
// Contract:
// - ParseFloodCommandLine(argv) reads `[EAL args] -- [flags]`: everything
//   before the first "--" goes to EAL untouched (argv[0] excluded); without
//   a "--" every argument is a flag and EAL gets none. Flags are
//   `--name=value` or `--name value`; `--help` and `--no-progress` take no
//   value.
// - Every error is InvalidArgument and its message starts with the flag it
//   is about ("--spoof-range: ..."); the program exits 2 on it.
// - Addresses are checked: --address, --target and --spoof-range lie in
//   198.18.0.0/15 (RFC 2544's benchmarking range, the only addresses tern's
//   tests and benchmarks use), and neither --address nor --target is inside
//   --spoof-range (the replies to spoofed sources are taken by the RX tap,
//   so the engine's own address must not look spoofed).
// This file includes no DPDK header: it is unit-tested without EAL.
#ifndef TERN_APP_TERN_FLOOD_FLOOD_OPTIONS_H_
#define TERN_APP_TERN_FLOOD_FLOOD_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/wire/addr.h"

namespace tern::flood {

// An IPv4 prefix; Contains is a mask compare.
struct Ipv4Prefix {
  wire::Ipv4Addr base;  // host bits zero
  uint8_t len = 32;
  uint32_t Mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  bool Contains(wire::Ipv4Addr a) const {
    return (a.value & Mask()) == base.value;
  }
  uint64_t Size() const { return uint64_t{1} << (32 - len); }
};

// What the flood sends (--flood-kind). Every kind comes from spoofed
// sources to the target's port with a random sequence number; the kinds
// other than kSyn carry a random acknowledgment number and no options.
enum class FloodKind : uint8_t {
  kSyn,   // SYN (with --syn-options): the SYN flood
  kAck,   // ACK: a final ACK with a random cookie (without the secret a
          // guessed cookie is a random 32-bit value)
  kRst,   // RST
  kFin,   // FIN|ACK
  kData,  // ACK|PSH with one byte of data at a random (out-of-order) place
};
const char* ToString(FloodKind k);

// One flood step's rate: `pps` SYNs per second, or as fast as possible.
struct FloodRate {
  uint64_t pps = 0;
  bool max = false;
  bool floods() const { return max || pps > 0; }
  bool operator==(const FloodRate&) const = default;
};

struct FloodOptions {
  std::vector<std::string> eal_args;  // before "--"
  bool help = false;

  // The port and tern-flood's own address (its engine's).
  std::string port;         // --port: the DPDK device name, e.g. net_memif0
  wire::Ipv4Addr address;   // --address
  uint8_t prefix_len = 24;  // --prefix-len
  std::optional<wire::MacAddr> mac;  // --mac: replaces the driver's
  uint32_t mbufs = 16383;  // --mbufs: the engine port's pool (2^n - 1)

  // The system under test.
  wire::Ipv4Addr target;      // --target
  uint16_t target_port = 80;  // --target-port
  // --target-mac; without it the flood starts once the engine's ARP cache
  // knows the target (the first legitimate connection asks).
  std::optional<wire::MacAddr> target_mac;

  // The flood.
  // --flood-pps N[,N...]: the steps, each --duration seconds, in order. A
  // step is N SYNs per second from a token bucket, "max" (as fast as the
  // loop and the transmit budget allow) or 0 (no flood). Default: one step
  // of 0.
  std::vector<FloodRate> flood_steps = {FloodRate{}};
  // --ceiling-pps: the bare forwarding loop's rate over the same link,
  // measured by an earlier run against tern-reflect, copied into every
  // step's JSON; nullopt: not given.
  std::optional<double> ceiling_pps;
  FloodKind kind = FloodKind::kSyn;  // --flood-kind syn|ack|rst|fin|data
  Ipv4Prefix spoof_range;            // --spoof-range, default 198.19.0.0/16
  uint16_t spoof_port_min = 1024;    // --spoof-ports MIN-MAX
  uint16_t spoof_port_max = 65535;
  // --syn-options linux|none: Linux's SYN options (MSS 1460, SACK-permitted,
  // timestamps, window scale 7) or a bare 20-byte header.
  bool syn_options = true;
  uint64_t seed = 0;  // --seed; 0: from getrandom
  // --tx-budget on|off: the flood's bursts follow TxBudget (tx_budget.h) so
  // that the engine's frames find room on the shared TX queue; off: a full
  // burst every iteration (the ring stays full at "max").
  bool tx_budget = true;
  // --tx-keep on|off: the engine's port keeps the frames the full TX ring
  // refuses and sends them at its next flush (EthdevPortOptions::
  // tx_keep_unsent), so a legitimate SYN is late by a loop iteration rather
  // than lost to the flood; off: dropped (tx_dropped_ring_full).
  bool tx_keep = true;
  // --yield-every-us N, --yield-us N: the loop sleeps at least yield_us in
  // every yield_every_us (port::DutyYield), so that a SCHED_FIFO loop on a
  // core it shares stays under the kernel's RT throttle and is not stopped
  // by it for milliseconds; 0 never yields.
  uint32_t yield_every_us = 0;
  uint32_t yield_us = 50;

  // The legitimate clients.
  double legit_rate = 100;           // --legit-rate: new connections per second
  uint32_t legit_timeout_ms = 3000;  // --legit-timeout-ms: per connection
  std::string request_path = "/";    // --request-path
  uint32_t max_connections = 4096;   // --max-connections: engine's table

  // The run.
  uint32_t duration_s = 10;         // --duration: seconds per step
  std::string scenario = "custom";  // --scenario, a label in the JSON
  // --stack: "tern", "linux" or "bare" (the bare loop, tern-reflect).
  std::string stack = "tern";
  std::string mode = "unknown";  // --mode: cookie mode or sysctl, a label
  std::string json_path;         // --json PATH; empty or "-": standard output
  bool progress = true;          // --no-progress turns the per-second line off

  bool floods() const {
    for (const FloodRate& r : flood_steps) {
      if (r.floods()) {
        return true;
      }
    }
    return false;
  }
};

absl::StatusOr<FloodOptions> ParseFloodCommandLine(
    std::span<const char* const> argv);

const char* FloodUsageText();

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_FLOOD_OPTIONS_H_
