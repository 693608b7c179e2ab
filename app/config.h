// tern's configuration: the TOML file and the command line, parsed and
// checked before any DPDK call.
//
// Contract:
// - ParseConfig(text, source) parses TOML text (`source` is the file name used
//   in messages) into a TernConfig or returns InvalidArgument with one
//   message naming the source, the dotted key and what was expected, e.g.
//     config/tern.toml: ip.address: expected a dotted IPv4 address, got
//     "10.0.0.300" (line 12)
//   Syntax errors read "<source>:<line>:<column>: TOML syntax error: ...".
//   Every table and key is known by name: an unknown one is an error naming
//   it, as is a missing required key and every out-of-range value. The
//   first problem found is reported.
// - LoadConfig(path) reads the file (NotFound naming the path when it cannot)
//   and calls ParseConfig.
// - ParseCommandLine(argv) understands `[EAL args] -- [options]` or just
//   options: --config PATH, --duration SECONDS, --stats-interval SECONDS,
//   --reflect-alternation-ms MS (also as --config=PATH); anything else is
//   InvalidArgument naming it.
// The keys, their types, defaults and ranges are documented in
// doc/configuration.md and in config/tern.toml.
// This file includes no DPDK header, so it is unit-tested without EAL.
#ifndef TERN_APP_CONFIG_H_
#define TERN_APP_CONFIG_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/wire/addr.h"

namespace tern::app {

struct PortConfig {
  std::string name;       // required
  uint32_t mbufs = 8191;  // 2^13 - 1: mempools are most compact at 2^n - 1
  uint16_t rx_ring = 1024;
  uint16_t tx_ring = 1024;
  uint16_t burst = 32;  // DPDK l3fwd's MAX_PKT_BURST
  // Sleep after an empty receive burst; 0 polls without pause, the DPDK way.
  uint32_t idle_sleep_us = 0;
  // The loop sleeps at least yield_us in every yield_every_us, its idle
  // sleeps counting towards it (LoopOptions' yield_every and yield_sleep);
  // 0 never yields.
  uint32_t yield_every_us = 0;
  uint32_t yield_us = 50;
};

struct IpConfig {
  wire::Ipv4Addr address;  // required
  uint8_t prefix_len = 24;
  // Next hop for destinations off the prefix.
  std::optional<wire::Ipv4Addr> gateway;
};

// [tcp]: the endpoint's limits and the connections' defaults. Defaults are
// Linux's (doc/configuration.md names each sysctl).
struct TcpConfig {
  uint32_t max_connections = 65536;  // per lcore
  uint32_t max_half_open = 65536;    // per lcore
  uint32_t max_time_wait = 65536;    // per lcore (tcp_max_tw_buckets)
  // Out-of-line pools per lcore (tcp::EndpointConfig): connections holding
  // out-of-order data, and connections holding SACK information. 0: the
  // endpoint's default, max_connections / 8 (at least 64).
  uint32_t max_reassembling = 0;
  uint32_t max_sack_scoreboards = 0;
  uint32_t time_wait_ms = 60000;    // 2 MSL (Linux TCP_TIMEWAIT_LEN)
  uint32_t fin_timeout_ms = 60000;  // tcp_fin_timeout
  uint32_t syn_retries = 6;
  uint32_t synack_retries = 5;
  uint32_t retries2 = 15;
  uint32_t rto_min_ms = 200;  // Linux TCP_RTO_MIN
  uint32_t delayed_ack_ms = 40;
  uint32_t send_buffer = 256 * 1024;
  uint32_t recv_buffer = 256 * 1024;
  bool nodelay = false;
  bool timestamps = true;
  bool sack = true;
  bool window_scaling = true;
  std::string congestion = "cubic";  // "cubic" or "newreno"
  bool keepalive = false;
  uint32_t keepalive_idle_s = 7200;    // tcp_keepalive_time
  uint32_t keepalive_interval_s = 75;  // tcp_keepalive_intvl
  uint32_t keepalive_probes = 9;       // tcp_keepalive_probes
  // RSTs a second to segments for no connection, per lcore; 0: no limit.
  // FreeBSD's net.inet.icmp.icmplim.
  uint32_t no_socket_rst_per_second = 200;
  // Where connection buffers live: "heap" (the process heap), "dpdk"
  // (rte_malloc: hugepage memory when EAL has it), "auto" (dpdk with
  // hugepages, heap without).
  std::string buffers = "auto";
};

// One [[listener]]: opened on every lcore (the SO_REUSEPORT model).
struct ListenerConfig {
  std::optional<wire::Ipv4Addr> address;  // default: ip.address
  uint16_t port = 0;                      // required
  std::string service;                    // required
  uint32_t backlog = 4096;                // somaxconn
  uint32_t syn_backlog = 1024;            // tcp_max_syn_backlog
  std::string cookies = "on_overflow";    // "off", "on_overflow", "always"
  std::string overflow = "drop";          // "drop" or "reset"
  // Service options.
  uint32_t http_status = 200;
  uint32_t http_body_bytes = 1024;
  std::vector<std::string> http_headers;
  uint32_t http_max_header_bytes = 8192;
  uint64_t source_bytes = 0;  // 0: until the peer closes
};

// [fault]: impairments the engine applies to its own traffic (tests; there
// is no netem on the machines tern is tested on).
struct FaultConfig {
  double drop = 0;
  double duplicate = 0;
  double reorder = 0;
  double corrupt = 0;  // received frames only
  uint32_t delay_us = 0;
  uint32_t rate_mbps = 0;
  uint64_t seed = 1;
  std::string direction = "both";  // "rx", "tx" or "both"
};

struct TernConfig {
  // Handed to rte_eal_init after the program name; required (may be empty).
  std::vector<std::string> eal_args;
  PortConfig port;
  IpConfig ip;
  TcpConfig tcp;
  std::vector<ListenerConfig> listeners;
  // [syn_cookies] secret_file: a secret shared with other hosts (empty: a
  // random secret per run).
  std::string cookie_secret_file;
  // [shutdown] drain_ms: how long connections may finish after SIGTERM.
  uint32_t drain_ms = 5000;
  FaultConfig fault;
};

absl::StatusOr<TernConfig> ParseConfig(absl::string_view text,
                                       absl::string_view source);
absl::StatusOr<TernConfig> LoadConfig(const std::string& path);

// --reflect-alternation-ms's largest value: 10 s phases (the rate ratio's
// phases are 250 ms, doc/flood.md).
inline constexpr uint32_t kMaxReflectAlternationMs = 10'000;

struct CommandLine {
  std::string config_path = "config/tern.toml";
  // Run for this many seconds then exit as on SIGTERM; unset: until signalled.
  std::optional<uint32_t> duration_seconds;
  // Print a line of rates every N seconds; unset: none.
  std::optional<uint32_t> stats_interval_seconds;
  // A measuring instrument, not a way to serve (doc/flood.md, the rate
  // ratio): each engine alternates between TCP and the bare reflect loop
  // (port::Engine::set_reflect) every this many ms, and tern prints the
  // phases when it exits. Unset: TCP only.
  std::optional<uint32_t> reflect_alternation_ms;
  // EAL arguments given before "--" on the command line; when
  // eal_args_given they replace [eal] args of the file. (A plain vector and
  // a flag: GCC 12 under ASan warns about std::optional<vector> here.)
  bool eal_args_given = false;
  std::vector<std::string> eal_args;
  bool help = false;
};

// argv[0] is the program name and is skipped.
absl::StatusOr<CommandLine> ParseCommandLine(std::span<const char* const> argv);
const char* UsageText();

}  // namespace tern::app

#endif  // TERN_APP_CONFIG_H_
