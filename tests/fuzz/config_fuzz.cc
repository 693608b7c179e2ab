// Fuzzing of tern's configuration parser (app/config.h): arbitrary text
// through ParseConfig, and arbitrary argument vectors through
// ParseCommandLine. Each must return a status, never crash, hang or read out
// of bounds (ASan, UBSan); a config it accepts must be within the ranges
// doc/configuration.md documents, and an error must name the source.
//
// The first input byte chooses: odd, the rest is TOML text; even, the rest
// split at NUL bytes is argv.
//
// Built two ways (tests/fuzz/meson.build): with -fsanitize=fuzzer a
// libFuzzer target; with TERN_CONFIG_FUZZ_DRIVER a driver that replays the
// files given (the seed corpus, tests/fuzz/corpus/config) with every
// truncation and a fixed set of one-byte mutations of each.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "app/config.h"
#include "lib/tcp/config.h"
#include "tests/fuzz/fuzz_input.h"

#ifdef TERN_CONFIG_FUZZ_DRIVER
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#endif

namespace {

uint64_t g_accepted = 0;
uint64_t g_rejected = 0;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "config_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

void CheckAccepted(const tern::app::TernConfig& c) {
  const tern::app::TcpConfig& t = c.tcp;
  constexpr uint32_t kMaxTable = 1u << 24;
  Require(t.max_connections >= 1 && t.max_connections <= kMaxTable,
          "max_connections in range");
  Require(t.max_half_open >= 1 && t.max_half_open <= kMaxTable,
          "max_half_open in range");
  Require(t.max_time_wait >= 1 && t.max_time_wait <= kMaxTable,
          "max_time_wait in range");
  Require(t.delayed_ack_ms >= 1 && t.delayed_ack_ms <= 499,
          "delayed_ack_ms below 500 (RFC 9293 MUST-40)");
  Require(t.time_wait_ms >= 2, "time_wait_ms at least 2");
  Require(t.no_socket_rst_per_second <=
              tern::tcp::EndpointConfig::kMaxNoSocketRstPerSecond,
          "no_socket_rst_per_second in range");
  Require(t.congestion == "cubic" || t.congestion == "newreno",
          "congestion a known algorithm");
  Require(!c.port.name.empty(), "port.name present");
  Require(c.ip.prefix_len <= 32, "prefix length at most 32");
  for (const tern::app::ListenerConfig& l : c.listeners) {
    Require(l.port != 0, "listener port not 0");
    Require(!l.service.empty(), "listener service present");
    Require(l.backlog >= 1, "backlog at least 1");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) {
    absl::StatusOr<tern::app::TernConfig> c =
        tern::app::ParseConfig(rest, "fuzz.toml");
    if (c.ok()) {
      CheckAccepted(*c);
      ++g_accepted;
    } else {
      Require(c.status().message().find("fuzz.toml") != absl::string_view::npos,
              "an error names the source");
      ++g_rejected;
    }
    return 0;
  }
  std::vector<std::string> args = {"tern"};
  std::string cur;
  for (char ch : rest) {
    if (ch == '\0') {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  args.push_back(cur);
  std::vector<const char*> argv;
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
  }
  absl::StatusOr<tern::app::CommandLine> cl = tern::app::ParseCommandLine(
      std::span<const char* const>(argv.data(), argv.size()));
  (cl.ok() ? g_accepted : g_rejected) += 1;
  return 0;
}

#ifdef TERN_CONFIG_FUZZ_DRIVER
int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--exact" && i + 1 < argc) {
      // One input as is (to reproduce a failure).
      const std::vector<uint8_t> in = tern::fuzz::ReadFileBytes(argv[++i]);
      LLVMFuzzerTestOneInput(in.data(), in.size());
      continue;
    }
    tern::fuzz::AddCorpusPath(argv[i], &paths);
  }
  uint64_t inputs = 0;
  // Bytes a mutation writes: TOML's structural characters, digits, a
  // quote, a newline, NUL and a high byte.
  const uint8_t kBytes[] = {'[', ']', '=', '"', '\'', '\n', '#', '.',
                            ',', '0', '9', '-', '{',  '}',  0,   0xff};
  for (const fs::path& p : paths) {
    const std::vector<uint8_t> in = tern::fuzz::ReadFileBytes(p);
    for (size_t n = 0; n <= in.size(); ++n) {
      LLVMFuzzerTestOneInput(in.data(), n);
      ++inputs;
    }
    for (size_t i = 1; i < in.size(); i += 3) {
      std::vector<uint8_t> m = in;
      m[i] = kBytes[i % sizeof(kBytes)];
      LLVMFuzzerTestOneInput(m.data(), m.size());
      ++inputs;
    }
  }
  std::printf(
      "config_fuzz_driver: %zu files, %llu inputs: %llu accepted, %llu "
      "rejected; all properties held\n",
      paths.size(), static_cast<unsigned long long>(inputs),
      static_cast<unsigned long long>(g_accepted),
      static_cast<unsigned long long>(g_rejected));
  return 0;
}
#endif  // TERN_CONFIG_FUZZ_DRIVER
