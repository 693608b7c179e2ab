#include "app/config.h"

// toml++ is used header-only with exceptions off: tern reports errors as
// absl::Status and is built without relying on exceptions. The Debian shared
// library is compiled with exceptions, so it cannot be mixed with this mode;
// only the headers are used (see app/meson.build).
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tern::app {
namespace {

// Builds messages of the form "<source>: <key>: <what> (line N)".
class Reporter {
 public:
  explicit Reporter(absl::string_view source) : source_(source) {}

  absl::Status Error(absl::string_view key, absl::string_view what,
                     const toml::node* at = nullptr) const {
    std::string msg = absl::StrCat(source_, ": ", key, ": ", what);
    if (at != nullptr && at->source().begin.line != 0) {
      absl::StrAppend(&msg, " (line ", at->source().begin.line, ")");
    }
    return absl::InvalidArgumentError(msg);
  }

  absl::string_view source() const { return source_; }

 private:
  std::string source_;
};

// What the user wrote, for "got ...": strings quoted, other values as TOML
// prints them, tables and arrays by kind.
std::string Describe(const toml::node& node) {
  if (const auto* s = node.as_string()) {
    return absl::StrCat("\"", s->get(), "\"");
  }
  if (node.is_table()) {
    return "a table";
  }
  if (node.is_array()) {
    return "an array";
  }
  std::ostringstream os;
  node.visit([&os](const auto& v) { os << v; });
  return os.str();
}

// Rejects every key of `table` that is not in `known`, naming it and the
// known keys.
absl::Status CheckKeys(const Reporter& r, const toml::table& table,
                       absl::string_view prefix,
                       std::initializer_list<absl::string_view> known) {
  for (const auto& [key, node] : table) {
    bool found = false;
    for (absl::string_view k : known) {
      found = found || k == absl::string_view(key.data(), key.length());
    }
    if (!found) {
      std::string name(key.data(), key.length());
      if (!prefix.empty()) {
        name = absl::StrCat(prefix, ".", name);
      }
      const std::string where = prefix.empty()
                                    ? "at the top level"
                                    : absl::StrCat("in [", prefix, "]");
      return r.Error(name,
                     absl::StrCat("unknown key (known keys ", where, ": ",
                                  absl::StrJoin(known, ", "), ")"),
                     &node);
    }
  }
  return absl::OkStatus();
}

// The [section] table, required.
absl::StatusOr<const toml::table*> Section(const Reporter& r,
                                           const toml::table& root,
                                           absl::string_view name) {
  const toml::node* node = root.get(std::string_view(name.data(), name.size()));
  if (node == nullptr) {
    return r.Error(
        name, "missing table (expected a [" + std::string(name) + "] section)");
  }
  if (!node->is_table()) {
    return r.Error(
        name,
        absl::StrCat("expected a table [", name, "], got ", Describe(*node)),
        node);
  }
  return node->as_table();
}

// An integer key in [lo, hi]; `*out` keeps its default when the key is absent
// and `required` is false.
template <typename T>
absl::Status ReadInt(const Reporter& r, const toml::table& table,
                     absl::string_view section, absl::string_view key,
                     int64_t lo, int64_t hi, bool required, T* out) {
  const std::string name = absl::StrCat(section, ".", key);
  const toml::node* node = table.get(std::string_view(key.data(), key.size()));
  const std::string expected =
      absl::StrCat("expected an integer from ", lo, " to ", hi);
  if (node == nullptr) {
    if (required) {
      return r.Error(name, absl::StrCat("missing (", expected, ")"));
    }
    return absl::OkStatus();
  }
  const auto* v = node->as_integer();
  if (v == nullptr || v->get() < lo || v->get() > hi) {
    return r.Error(name, absl::StrCat(expected, ", got ", Describe(*node)),
                   node);
  }
  *out = static_cast<T>(v->get());
  return absl::OkStatus();
}

absl::Status ReadString(const Reporter& r, const toml::table& table,
                        absl::string_view section, absl::string_view key,
                        absl::string_view expected, std::string* out,
                        const toml::node** at) {
  const std::string name = absl::StrCat(section, ".", key);
  const toml::node* node = table.get(std::string_view(key.data(), key.size()));
  if (node == nullptr) {
    return r.Error(name, absl::StrCat("missing (", expected, ")"));
  }
  const auto* s = node->as_string();
  if (s == nullptr) {
    return r.Error(name, absl::StrCat(expected, ", got ", Describe(*node)),
                   node);
  }
  *out = s->get();
  *at = node;
  return absl::OkStatus();
}

absl::Status ParseEal(const Reporter& r, const toml::table& root,
                      TernConfig* config) {
  absl::StatusOr<const toml::table*> eal = Section(r, root, "eal");
  if (!eal.ok()) {
    return eal.status();
  }
  if (absl::Status s = CheckKeys(r, **eal, "eal", {"args"}); !s.ok()) {
    return s;
  }
  constexpr absl::string_view kExpected =
      "expected an array of strings (the EAL command line, e.g. "
      "[\"--no-huge\", \"-m\", \"256\"])";
  const toml::node* node = (*eal)->get("args");
  if (node == nullptr) {
    return r.Error("eal.args", absl::StrCat("missing (", kExpected, ")"));
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return r.Error("eal.args",
                   absl::StrCat(kExpected, ", got ", Describe(*node)), node);
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* s = element.as_string();
    if (s == nullptr) {
      return r.Error(absl::StrCat("eal.args[", i, "]"),
                     absl::StrCat("expected a string, got ", Describe(element)),
                     &element);
    }
    config->eal_args.push_back(s->get());
  }
  return absl::OkStatus();
}

absl::Status ParsePort(const Reporter& r, const toml::table& root,
                       PortConfig* port) {
  absl::StatusOr<const toml::table*> section = Section(r, root, "port");
  if (!section.ok()) {
    return section.status();
  }
  const toml::table& t = **section;
  if (absl::Status s = CheckKeys(
          r, t, "port",
          {"name", "mbufs", "rx_ring", "tx_ring", "burst", "idle_sleep_us"});
      !s.ok()) {
    return s;
  }
  const toml::node* name_node = nullptr;
  if (absl::Status s =
          ReadString(r, t, "port", "name",
                     "expected a DPDK device name string, e.g. \"net_tap0\"",
                     &port->name, &name_node);
      !s.ok()) {
    return s;
  }
  if (port->name.empty()) {
    return r.Error("port.name",
                   "expected a DPDK device name string, e.g. \"net_tap0\", got "
                   "\"\"",
                   name_node);
  }
  // Ring sizes are uint16_t in the ethdev API (rte_eth_rx_queue_setup).
  constexpr int64_t kMaxRing = std::numeric_limits<uint16_t>::max();
  absl::Status s =
      ReadInt(r, t, "port", "rx_ring", 1, kMaxRing, false, &port->rx_ring);
  if (s.ok()) {
    s = ReadInt(r, t, "port", "tx_ring", 1, kMaxRing, false, &port->tx_ring);
  }
  if (s.ok()) {
    // A burst larger than the RX ring could never be filled.
    s = ReadInt(r, t, "port", "burst", 1, port->rx_ring, false, &port->burst);
  }
  if (s.ok()) {
    // Up to one second: a longer nap would make the loop miss its timed TX
    // drain and --duration by more than a human notices.
    s = ReadInt(r, t, "port", "idle_sleep_us", 0, 1'000'000, false,
                &port->idle_sleep_us);
  }
  if (s.ok()) {
    // Enough mbufs for a full RX ring, a full TX ring, one received burst in
    // hand and one TX buffer of replies; rte_mempool counts in `unsigned`.
    const int64_t min_mbufs =
        int64_t{port->rx_ring} + port->tx_ring + 2 * int64_t{port->burst};
    s = ReadInt(r, t, "port", "mbufs", min_mbufs,
                std::numeric_limits<uint32_t>::max(), false, &port->mbufs);
    if (s.ok() && port->mbufs < min_mbufs) {
      // The default itself is too small for the rings the file asks for.
      s = r.Error("port.mbufs",
                  absl::StrCat("missing, and the default of ", port->mbufs,
                               " is below the ", min_mbufs,
                               " that rx_ring + tx_ring + 2 * burst need"));
    }
  }
  return s;
}

absl::Status ParseIp(const Reporter& r, const toml::table& root, IpConfig* ip) {
  absl::StatusOr<const toml::table*> section = Section(r, root, "ip");
  if (!section.ok()) {
    return section.status();
  }
  const toml::table& t = **section;
  if (absl::Status s = CheckKeys(r, t, "ip", {"address", "prefix_len"});
      !s.ok()) {
    return s;
  }
  constexpr absl::string_view kExpected = "expected a dotted IPv4 address";
  std::string text;
  const toml::node* node = nullptr;
  if (absl::Status s =
          ReadString(r, t, "ip", "address", kExpected, &text, &node);
      !s.ok()) {
    return s;
  }
  std::optional<wire::Ipv4Addr> addr = wire::Ipv4Addr::FromString(text);
  if (!addr.has_value()) {
    return r.Error("ip.address",
                   absl::StrCat(kExpected, ", got \"", text, "\""), node);
  }
  // An interface address must be a unicast host address: not 0.0.0.0
  // ("this host", RFC 1122 section 3.2.1.3 (a)), not the limited broadcast
  // (section 3.2.1.3 (c)), not class D/E (RFC 5771, RFC 1112 section 4).
  const uint32_t v = addr->value;
  if (v == 0 || v == 0xffffffff || (v >> 28) >= 0xe) {
    return r.Error(
        "ip.address",
        absl::StrCat("expected a unicast host address, got \"", text,
                     "\" (0.0.0.0, broadcast and multicast are not allowed)"),
        node);
  }
  ip->address = *addr;
  // A /0 prefix would make every address on-link; /32 is a host route.
  return ReadInt(r, t, "ip", "prefix_len", 1, 32, false, &ip->prefix_len);
}

bool ParseSeconds(absl::string_view text, uint32_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

absl::StatusOr<TernConfig> ParseConfig(absl::string_view text,
                                       absl::string_view source) {
  const Reporter r(source);
  toml::parse_result parsed =
      toml::parse(std::string_view(text.data(), text.size()),
                  std::string_view(source.data(), source.size()));
  if (!parsed) {
    const toml::parse_error& err = parsed.error();
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", err.source().begin.line, ":", err.source().begin.column,
        ": TOML syntax error: ", std::string(err.description())));
  }
  const toml::table& root = parsed.table();
  if (absl::Status s = CheckKeys(r, root, "", {"eal", "port", "ip"}); !s.ok()) {
    return s;
  }
  TernConfig config;
  if (absl::Status s = ParseEal(r, root, &config); !s.ok()) {
    return s;
  }
  if (absl::Status s = ParsePort(r, root, &config.port); !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseIp(r, root, &config.ip); !s.ok()) {
    return s;
  }
  return config;
}

absl::StatusOr<TernConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open the configuration file"));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::UnavailableError(
        absl::StrCat(path, ": error while reading the configuration file"));
  }
  return ParseConfig(contents.str(), path);
}

absl::StatusOr<CommandLine> ParseCommandLine(
    std::span<const char* const> argv) {
  CommandLine cl;
  for (size_t i = 1; i < argv.size(); ++i) {
    const absl::string_view arg = argv[i];
    absl::string_view value;
    absl::string_view option = arg;
    bool has_inline_value = false;
    if (const size_t eq = arg.find('='); eq != absl::string_view::npos) {
      option = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_inline_value = true;
    }
    if (option == "--help" || option == "-h") {
      cl.help = true;
      continue;
    }
    if (option != "--config" && option != "--duration") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown option \"", arg, "\"; see --help"));
    }
    if (!has_inline_value) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(option, ": missing value"));
      }
      value = argv[++i];
    }
    if (option == "--config") {
      if (value.empty()) {
        return absl::InvalidArgumentError("--config: empty path");
      }
      cl.config_path = std::string(value);
    } else {
      uint32_t seconds = 0;
      if (!ParseSeconds(value, &seconds) || seconds == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--duration: expected a positive whole number of seconds, got \"",
            value, "\""));
      }
      cl.duration_seconds = seconds;
    }
  }
  return cl;
}

const char* UsageText() {
  return "usage: tern [--config PATH] [--duration SECONDS]\n"
         "  --config PATH       TOML configuration (default config/tern.toml)\n"
         "  --duration SECONDS  exit after SECONDS, as on SIGTERM\n"
         "tern answers ARP and ICMP echo (ping) for [ip] address on [port],\n"
         "and prints its counters when it exits (SIGINT, SIGTERM, "
         "--duration).\n";
}

}  // namespace tern::app
