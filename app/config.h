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
// - ParseCommandLine(argv) understands --config PATH and --duration SECONDS
//   (also as --config=PATH); anything else is InvalidArgument naming it.
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
};

struct IpConfig {
  wire::Ipv4Addr address;  // required
  uint8_t prefix_len = 24;
};

struct TernConfig {
  // Handed to rte_eal_init after the program name; required (may be empty).
  std::vector<std::string> eal_args;
  PortConfig port;
  IpConfig ip;
};

absl::StatusOr<TernConfig> ParseConfig(absl::string_view text,
                                       absl::string_view source);
absl::StatusOr<TernConfig> LoadConfig(const std::string& path);

struct CommandLine {
  std::string config_path = "config/tern.toml";
  // Run for this many seconds then exit as on SIGTERM; unset: until signalled.
  std::optional<uint32_t> duration_seconds;
  bool help = false;
};

// argv[0] is the program name and is skipped.
absl::StatusOr<CommandLine> ParseCommandLine(std::span<const char* const> argv);
const char* UsageText();

}  // namespace tern::app

#endif  // TERN_APP_CONFIG_H_
