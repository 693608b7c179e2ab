#include "app/tern-flood/flood_options.h"

#include <functional>
#include <map>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "lib/port/loop_limits.h"

namespace tern::flood {
namespace {

// RFC 2544 appendix C.2.2 (as corrected by RFC 6815): 198.18.0.0/15 is for
// benchmarking; tern's tests and tools send nothing outside it.
constexpr Ipv4Prefix kBenchmarkRange{wire::Ipv4Addr::FromOctets(198, 18, 0, 0),
                                     15};

absl::Status Bad(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", why));
}

absl::Status ParseAddr(absl::string_view flag, absl::string_view v,
                       wire::Ipv4Addr* out) {
  std::optional<wire::Ipv4Addr> a =
      wire::Ipv4Addr::FromString(std::string_view(v.data(), v.size()));
  if (!a.has_value()) {
    return Bad(flag, absl::StrCat("\"", v, "\" is not an IPv4 address"));
  }
  if (!kBenchmarkRange.Contains(*a)) {
    return Bad(flag, absl::StrCat(v, " is outside 198.18.0.0/15"));
  }
  *out = *a;
  return absl::OkStatus();
}

absl::Status ParseMac(absl::string_view flag, absl::string_view v,
                      std::optional<wire::MacAddr>* out) {
  std::optional<wire::MacAddr> m =
      wire::MacAddr::FromString(std::string_view(v.data(), v.size()));
  if (!m.has_value() || m->IsMulticast()) {
    return Bad(flag, absl::StrCat("\"", v, "\" is not a unicast MAC address"));
  }
  *out = *m;
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseUint(absl::string_view flag, absl::string_view v, T lo, T hi,
                       T* out) {
  uint64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < lo || n > hi) {
    return Bad(flag,
               absl::StrCat("\"", v, "\" is not an integer in ", lo, "..", hi));
  }
  *out = static_cast<T>(n);
  return absl::OkStatus();
}

absl::Status ParsePrefix(absl::string_view flag, absl::string_view v,
                         Ipv4Prefix* out) {
  const std::vector<absl::string_view> parts = absl::StrSplit(v, '/');
  uint8_t len = 0;
  if (parts.size() != 2) {
    return Bad(flag, absl::StrCat("\"", v, "\" is not ADDRESS/LENGTH"));
  }
  wire::Ipv4Addr base;
  if (absl::Status s = ParseAddr(flag, parts[0], &base); !s.ok()) {
    return s;
  }
  // /15 is the whole benchmarking range; /32 is one source.
  if (absl::Status s = ParseUint<uint8_t>(flag, parts[1], 15, 32, &len);
      !s.ok()) {
    return s;
  }
  Ipv4Prefix p{base, len};
  if ((base.value & p.Mask()) != base.value) {
    return Bad(flag, absl::StrCat(v, " has host bits set"));
  }
  *out = p;
  return absl::OkStatus();
}

absl::Status ParseLabel(absl::string_view flag, absl::string_view v,
                        std::string* out) {
  if (v.empty() || v.size() > 64) {
    return Bad(flag, "must be 1 to 64 characters");
  }
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                    c == '.' || c == '=';
    if (!ok) {
      return Bad(flag, "may hold only letters, digits and _ - . =");
    }
  }
  *out = std::string(v);
  return absl::OkStatus();
}

}  // namespace

const char* ToString(FloodKind k) {
  switch (k) {
    case FloodKind::kSyn:
      return "syn";
    case FloodKind::kAck:
      return "ack";
    case FloodKind::kRst:
      return "rst";
    case FloodKind::kFin:
      return "fin";
    case FloodKind::kData:
      return "data";
  }
  return "?";
}

const char* FloodUsageText() {
  return R"(usage: tern-flood [EAL args] -- [flags]
  --port NAME            DPDK device (net_memif0, net_tap0, ...) [required]
  --address IP           tern-flood's own address [required]
  --prefix-len N         its prefix length (default 24)
  --mac MAC              the port's MAC instead of the driver's
  --mbufs N              mbufs in the engine port's pool (default 16383)
  --target IP            the system under test [required]
  --target-port N        its HTTP port (default 80)
  --target-mac MAC       its MAC (default: learnt by ARP)
  --flood-pps N|max[,...]  spoofed SYNs per second, one step per value,
                         each --duration long; max: as fast as the transmit
                         budget allows; 0: no flood (default 0)
  --flood-kind K         syn, ack (random cookies), rst, fin or data (one
                         out-of-order byte) (default syn)
  --ceiling-pps R        the bare loop's rate, copied into the JSON
  --spoof-range CIDR     spoofed sources (default 198.19.0.0/16)
  --spoof-ports MIN-MAX  spoofed source ports (default 1024-65535)
  --syn-options linux|none  SYN options (default linux)
  --seed N               flood randomness (default: from getrandom)
  --tx-budget on|off     leave TX room for the legitimate clients (default on)
  --tx-keep on|off       keep the clients' frames the full TX ring refuses and
                         send them next iteration (default on; off: drop)
  --yield-every-us N     sleep at least --yield-us in every N us, 0..1000000
                         (default 0: never; for a SCHED_FIFO loop on a
                         shared core)
  --yield-us N           that sleep, 1..500 us (default 50)
  --legit-rate R         legitimate connections per second (default 100)
  --legit-timeout-ms N   a legitimate connection's deadline (default 3000)
  --request-path PATH    the GET's path (default /)
  --max-connections N    the engine's connection table (default 4096)
  --duration S           seconds of traffic per step (default 10)
  --scenario, --stack, --mode LABEL   copied into the JSON
  --json PATH            the JSON document (default: standard output)
  --no-progress          no per-second progress line
  --help
Exit status: 0 done, 1 EAL or port failure, 2 bad command line.
)";
}

absl::StatusOr<FloodOptions> ParseFloodCommandLine(
    std::span<const char* const> argv) {
  FloodOptions o;
  o.spoof_range = {wire::Ipv4Addr::FromOctets(198, 19, 0, 0), 16};
  size_t first_flag = 1;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (absl::string_view(argv[i]) == "--") {
      for (size_t j = 1; j < i; ++j) {
        o.eal_args.emplace_back(argv[j]);
      }
      first_flag = i + 1;
      break;
    }
  }

  bool have_port = false;
  bool have_address = false;
  bool have_target = false;
  using Setter = std::function<absl::Status(absl::string_view flag,
                                            absl::string_view value)>;
  const std::map<absl::string_view, Setter> setters = {
      {"--port",
       [&](absl::string_view f, absl::string_view v) {
         if (v.empty()) {
           return Bad(f, "empty device name");
         }
         o.port = std::string(v);
         have_port = true;
         return absl::OkStatus();
       }},
      {"--address",
       [&](absl::string_view f, absl::string_view v) {
         have_address = true;
         return ParseAddr(f, v, &o.address);
       }},
      {"--prefix-len",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint8_t>(f, v, 1, 32, &o.prefix_len);
       }},
      {"--mac", [&](absl::string_view f,
                    absl::string_view v) { return ParseMac(f, v, &o.mac); }},
      {"--mbufs",
       [&](absl::string_view f, absl::string_view v) {
         // Below 1023 the port's rings and bursts do not fit.
         return ParseUint<uint32_t>(f, v, 1023, 1u << 20, &o.mbufs);
       }},
      {"--target",
       [&](absl::string_view f, absl::string_view v) {
         have_target = true;
         return ParseAddr(f, v, &o.target);
       }},
      {"--target-port",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint16_t>(f, v, 1, 65535, &o.target_port);
       }},
      {"--target-mac",
       [&](absl::string_view f, absl::string_view v) {
         return ParseMac(f, v, &o.target_mac);
       }},
      {"--flood-pps",
       [&](absl::string_view f, absl::string_view v) {
         const std::vector<absl::string_view> parts = absl::StrSplit(v, ',');
         // One step per 1 s at least: 64 steps is more than an hour's run.
         if (parts.size() > 64) {
           return Bad(f, "at most 64 steps");
         }
         o.flood_steps.clear();
         for (absl::string_view p : parts) {
           FloodRate r;
           if (p == "max") {
             r.max = true;
           } else if (absl::Status s =
                          // 100 Mpps: above any 2-core generator, below
                          // token overflow.
                      ParseUint<uint64_t>(f, p, 0, 100'000'000, &r.pps);
                      !s.ok()) {
             return s;
           }
           o.flood_steps.push_back(r);
         }
         return absl::OkStatus();
       }},
      {"--flood-kind",
       [&](absl::string_view f, absl::string_view v) {
         for (FloodKind k : {FloodKind::kSyn, FloodKind::kAck, FloodKind::kRst,
                             FloodKind::kFin, FloodKind::kData}) {
           if (v == ToString(k)) {
             o.kind = k;
             return absl::OkStatus();
           }
         }
         return Bad(
             f, absl::StrCat("\"", v, "\" is not syn, ack, rst, fin or data"));
       }},
      {"--ceiling-pps",
       [&](absl::string_view f, absl::string_view v) {
         double c = 0;
         if (!absl::SimpleAtod(v, &c) || !(c >= 0) || c > 1e9) {
           return Bad(f, absl::StrCat("\"", v, "\" is not a rate in 0..1e9"));
         }
         o.ceiling_pps = c;
         return absl::OkStatus();
       }},
      {"--spoof-range",
       [&](absl::string_view f, absl::string_view v) {
         return ParsePrefix(f, v, &o.spoof_range);
       }},
      {"--spoof-ports",
       [&](absl::string_view f, absl::string_view v) {
         const std::vector<absl::string_view> p = absl::StrSplit(v, '-');
         if (p.size() != 2) {
           return Bad(f, absl::StrCat("\"", v, "\" is not MIN-MAX"));
         }
         if (absl::Status s =
                 ParseUint<uint16_t>(f, p[0], 1, 65535, &o.spoof_port_min);
             !s.ok()) {
           return s;
         }
         if (absl::Status s =
                 ParseUint<uint16_t>(f, p[1], 1, 65535, &o.spoof_port_max);
             !s.ok()) {
           return s;
         }
         if (o.spoof_port_min > o.spoof_port_max) {
           return Bad(f, "MIN is above MAX");
         }
         return absl::OkStatus();
       }},
      {"--syn-options",
       [&](absl::string_view f, absl::string_view v) {
         if (v != "linux" && v != "none") {
           return Bad(f, absl::StrCat("\"", v, "\" is not linux or none"));
         }
         o.syn_options = v == "linux";
         return absl::OkStatus();
       }},
      {"--tx-budget",
       [&](absl::string_view f, absl::string_view v) {
         if (v != "on" && v != "off") {
           return Bad(f, absl::StrCat("\"", v, "\" is not on or off"));
         }
         o.tx_budget = v == "on";
         return absl::OkStatus();
       }},
      {"--tx-keep",
       [&](absl::string_view f, absl::string_view v) {
         if (v != "on" && v != "off") {
           return Bad(f, absl::StrCat("\"", v, "\" is not on or off"));
         }
         o.tx_keep = v == "on";
         return absl::OkStatus();
       }},
      {"--yield-every-us",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint32_t>(f, v, 0, 1'000'000, &o.yield_every_us);
       }},
      {"--yield-us",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint32_t>(
             f, v, 1, static_cast<uint32_t>(port::kMaxYieldSleep.ToMicros()),
             &o.yield_us);
       }},
      {"--seed",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint64_t>(f, v, 0, UINT64_MAX, &o.seed);
       }},
      {"--legit-rate",
       [&](absl::string_view f, absl::string_view v) {
         double r = 0;
         // 1e6/s: far above what one engine opens; 0 turns clients off.
         if (!absl::SimpleAtod(v, &r) || !(r >= 0) || r > 1e6) {
           return Bad(f, absl::StrCat("\"", v, "\" is not a rate in 0..1e6"));
         }
         o.legit_rate = r;
         return absl::OkStatus();
       }},
      {"--legit-timeout-ms",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint32_t>(f, v, 1, 600'000, &o.legit_timeout_ms);
       }},
      {"--request-path",
       [&](absl::string_view f, absl::string_view v) {
         if (v.empty() || v[0] != '/' ||
             v.find_first_of(" \r\n\t") != absl::string_view::npos) {
           return Bad(f, "must start with / and hold no white space");
         }
         o.request_path = std::string(v);
         return absl::OkStatus();
       }},
      {"--max-connections",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint32_t>(f, v, 16, 1u << 22, &o.max_connections);
       }},
      {"--duration",
       [&](absl::string_view f, absl::string_view v) {
         return ParseUint<uint32_t>(f, v, 1, 86400, &o.duration_s);
       }},
      {"--scenario",
       [&](absl::string_view f, absl::string_view v) {
         return ParseLabel(f, v, &o.scenario);
       }},
      {"--stack",
       [&](absl::string_view f, absl::string_view v) {
         if (v != "tern" && v != "linux" && v != "bare") {
           return Bad(f,
                      absl::StrCat("\"", v, "\" is not tern, linux or bare"));
         }
         o.stack = std::string(v);
         return absl::OkStatus();
       }},
      {"--mode",
       [&](absl::string_view f, absl::string_view v) {
         return ParseLabel(f, v, &o.mode);
       }},
      {"--json",
       [&](absl::string_view f, absl::string_view v) {
         if (v.empty()) {
           return Bad(f, "empty path");
         }
         o.json_path = v == "-" ? "" : std::string(v);
         return absl::OkStatus();
       }},
  };

  for (size_t i = first_flag; i < argv.size(); ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--no-progress") {
      o.progress = false;
      continue;
    }
    absl::string_view name = arg;
    std::optional<absl::string_view> value;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    auto it = setters.find(name);
    if (it == setters.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": unknown flag (--help lists them)"));
    }
    if (!value.has_value()) {
      if (i + 1 >= argv.size()) {
        return Bad(name, "needs a value");
      }
      value = argv[++i];
    }
    if (absl::Status s = it->second(name, *value); !s.ok()) {
      return s;
    }
  }
  if (o.help) {
    return o;
  }
  if (!have_port) {
    return Bad("--port", "is required");
  }
  if (!have_address) {
    return Bad("--address", "is required");
  }
  if (!have_target) {
    return Bad("--target", "is required");
  }
  if (o.spoof_range.Contains(o.address)) {
    return Bad("--spoof-range",
               absl::StrCat("contains --address ", o.address.ToString()));
  }
  if (o.spoof_range.Contains(o.target)) {
    return Bad("--spoof-range",
               absl::StrCat("contains --target ", o.target.ToString()));
  }
  if (o.yield_every_us != 0 && o.yield_us >= o.yield_every_us) {
    return Bad("--yield-us",
               absl::StrCat(o.yield_us, " is not less than --yield-every-us ",
                            o.yield_every_us));
  }
  if (o.target == o.address) {
    return Bad("--target", "equals --address");
  }
  if (o.legit_rate == 0 && !o.target_mac.has_value() && o.floods()) {
    // Nothing would ask ARP for the target's MAC.
    return Bad("--target-mac", "is required when --legit-rate is 0");
  }
  return o;
}

}  // namespace tern::flood
