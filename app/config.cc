#include "app/config.h"

// toml++ is used header-only with exceptions off: tern reports errors as
// absl::Status and is built without relying on exceptions. The Debian shared
// library is compiled with exceptions, so it cannot be mixed with this mode;
// only the headers are used (see app/meson.build).
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
// toml++ 3.3.0 (Debian's) states preconditions with TOML_ASSERT_ASSUME, and
// malformed table headers such as "[#" or "[[[1]]]" violate parse_key's
// (fixed upstream by tomlplusplus pull request #301): with assertions on,
// as in tern's debugoptimized build, a config file holding one aborted tern;
// with NDEBUG and clang the check becomes __builtin_assume, undefined
// behaviour. Neither asserted nor assumed, the check falls to the parser's
// own error path ("expected bare key starting character"). Found by
// tests/fuzz/config_fuzz.cc.
#include <toml++/impl/preprocessor.h>
#undef TOML_ASSERT_ASSUME
#define TOML_ASSERT_ASSUME(expr) static_cast<void>(0)
#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/port/loop_limits.h"
#include "lib/tcp/config.h"

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

absl::Status ReadBool(const Reporter& r, const toml::table& table,
                      absl::string_view section, absl::string_view key,
                      bool* out) {
  const toml::node* node = table.get(std::string_view(key.data(), key.size()));
  if (node == nullptr) {
    return absl::OkStatus();
  }
  const auto* v = node->as_boolean();
  if (v == nullptr) {
    return r.Error(
        absl::StrCat(section, ".", key),
        absl::StrCat("expected true or false, got ", Describe(*node)), node);
  }
  *out = v->get();
  return absl::OkStatus();
}

// An optional string key that must be one of `choices`.
absl::Status ReadChoice(const Reporter& r, const toml::table& table,
                        absl::string_view section, absl::string_view key,
                        std::initializer_list<absl::string_view> choices,
                        std::string* out) {
  const toml::node* node = table.get(std::string_view(key.data(), key.size()));
  if (node == nullptr) {
    return absl::OkStatus();
  }
  const auto* v = node->as_string();
  bool ok = false;
  if (v != nullptr) {
    for (absl::string_view c : choices) {
      ok = ok || c == absl::string_view(v->get());
    }
  }
  if (!ok) {
    return r.Error(
        absl::StrCat(section, ".", key),
        absl::StrCat("expected one of \"", absl::StrJoin(choices, "\", \""),
                     "\", got ", Describe(*node)),
        node);
  }
  *out = v->get();
  return absl::OkStatus();
}

absl::StatusOr<wire::Ipv4Addr> ReadAddress(const Reporter& r,
                                           const toml::table& t,
                                           absl::string_view section,
                                           absl::string_view key,
                                           bool unicast) {
  constexpr absl::string_view kExpected = "expected a dotted IPv4 address";
  std::string text;
  const toml::node* node = nullptr;
  if (absl::Status s = ReadString(r, t, section, key, kExpected, &text, &node);
      !s.ok()) {
    return s;
  }
  std::optional<wire::Ipv4Addr> addr = wire::Ipv4Addr::FromString(text);
  const std::string name = absl::StrCat(section, ".", key);
  if (!addr.has_value()) {
    return r.Error(name, absl::StrCat(kExpected, ", got \"", text, "\""), node);
  }
  const uint32_t v = addr->value;
  if (unicast && (v == 0 || v == 0xffffffff || (v >> 28) >= 0xe)) {
    return r.Error(
        name,
        absl::StrCat("expected a unicast host address, got \"", text, "\""),
        node);
  }
  return *addr;
}

absl::Status ParseTcp(const Reporter& r, const toml::table& root,
                      TcpConfig* tcp) {
  const toml::node* node = root.get("tcp");
  if (node == nullptr) {
    return absl::OkStatus();
  }
  if (!node->is_table()) {
    return r.Error(
        "tcp", absl::StrCat("expected a table [tcp], got ", Describe(*node)),
        node);
  }
  const toml::table& t = *node->as_table();
  if (absl::Status s = CheckKeys(r, t, "tcp",
                                 {"max_connections",
                                  "max_half_open",
                                  "max_time_wait",
                                  "max_reassembling",
                                  "max_sack_scoreboards",
                                  "time_wait_ms",
                                  "fin_timeout_ms",
                                  "syn_retries",
                                  "synack_retries",
                                  "retries2",
                                  "rto_min_ms",
                                  "delayed_ack_ms",
                                  "send_buffer",
                                  "recv_buffer",
                                  "nodelay",
                                  "timestamps",
                                  "sack",
                                  "window_scaling",
                                  "congestion",
                                  "keepalive",
                                  "keepalive_idle_s",
                                  "keepalive_interval_s",
                                  "keepalive_probes",
                                  "buffers",
                                  "no_socket_rst_per_second"});
      !s.ok()) {
    return s;
  }
  constexpr int64_t kMaxTable = 1 << 24;  // 16M records per lcore
  constexpr int64_t kDay = 86'400'000;
  absl::Status s = absl::OkStatus();
  auto step = [&](absl::Status next) {
    if (s.ok()) {
      s = std::move(next);
    }
  };
  step(ReadInt(r, t, "tcp", "max_connections", 1, kMaxTable, false,
               &tcp->max_connections));
  step(ReadInt(r, t, "tcp", "max_half_open", 1, kMaxTable, false,
               &tcp->max_half_open));
  step(ReadInt(r, t, "tcp", "max_time_wait", 1, kMaxTable, false,
               &tcp->max_time_wait));
  // 0 keeps the endpoint's default (tcp::EndpointConfig::max_reassembling).
  step(ReadInt(r, t, "tcp", "max_reassembling", 0, kMaxTable, false,
               &tcp->max_reassembling));
  step(ReadInt(r, t, "tcp", "max_sack_scoreboards", 0, kMaxTable, false,
               &tcp->max_sack_scoreboards));
  // TIME-WAIT of at least 2 ms keeps MSL (half of it) a whole millisecond.
  step(
      ReadInt(r, t, "tcp", "time_wait_ms", 2, kDay, false, &tcp->time_wait_ms));
  step(ReadInt(r, t, "tcp", "fin_timeout_ms", 1, kDay, false,
               &tcp->fin_timeout_ms));
  step(ReadInt(r, t, "tcp", "syn_retries", 1, 127, false, &tcp->syn_retries));
  step(ReadInt(r, t, "tcp", "synack_retries", 1, 127, false,
               &tcp->synack_retries));
  step(ReadInt(r, t, "tcp", "retries2", 1, 127, false, &tcp->retries2));
  // RFC 6298 2.4 recommends 1 s; Linux uses 200 ms; below 1 ms the timer
  // wheel's tick decides.
  step(ReadInt(r, t, "tcp", "rto_min_ms", 1, 60'000, false, &tcp->rto_min_ms));
  // RFC 9293 3.8.6.3: the delay MUST be under 0.5 s.
  step(ReadInt(r, t, "tcp", "delayed_ack_ms", 1, 499, false,
               &tcp->delayed_ack_ms));
  step(ReadInt(r, t, "tcp", "send_buffer", 4096, 1 << 30, false,
               &tcp->send_buffer));
  step(ReadInt(r, t, "tcp", "recv_buffer", 4096, 1 << 30, false,
               &tcp->recv_buffer));
  step(ReadBool(r, t, "tcp", "nodelay", &tcp->nodelay));
  step(ReadBool(r, t, "tcp", "timestamps", &tcp->timestamps));
  step(ReadBool(r, t, "tcp", "sack", &tcp->sack));
  step(ReadBool(r, t, "tcp", "window_scaling", &tcp->window_scaling));
  step(ReadChoice(r, t, "tcp", "congestion", {"cubic", "newreno"},
                  &tcp->congestion));
  step(ReadBool(r, t, "tcp", "keepalive", &tcp->keepalive));
  step(ReadInt(r, t, "tcp", "keepalive_idle_s", 1, 32767, false,
               &tcp->keepalive_idle_s));
  step(ReadInt(r, t, "tcp", "keepalive_interval_s", 1, 32767, false,
               &tcp->keepalive_interval_s));
  step(ReadInt(r, t, "tcp", "keepalive_probes", 1, 127, false,
               &tcp->keepalive_probes));
  step(ReadInt(r, t, "tcp", "no_socket_rst_per_second", 0,
               tcp::EndpointConfig::kMaxNoSocketRstPerSecond, false,
               &tcp->no_socket_rst_per_second));
  step(ReadChoice(r, t, "tcp", "buffers", {"auto", "heap", "dpdk"},
                  &tcp->buffers));
  return s;
}

absl::Status ParseListeners(const Reporter& r, const toml::table& root,
                            const IpConfig& ip,
                            std::vector<ListenerConfig>* out) {
  const toml::node* node = root.get("listener");
  if (node == nullptr) {
    return absl::OkStatus();
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return r.Error(
        "listener",
        absl::StrCat("expected [[listener]] tables, got ", Describe(*node)),
        node);
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table& t = *array->get(i)->as_table();
    const std::string sec = absl::StrCat("listener[", i, "]");
    if (absl::Status s = CheckKeys(
            r, t, sec,
            {"address", "port", "service", "backlog", "syn_backlog", "cookies",
             "overflow", "http_status", "http_body_bytes", "http_headers",
             "http_max_header_bytes", "source_bytes"});
        !s.ok()) {
      return s;
    }
    ListenerConfig l;
    if (t.get("address") != nullptr) {
      absl::StatusOr<wire::Ipv4Addr> a =
          ReadAddress(r, t, sec, "address", /*unicast=*/false);
      if (!a.ok()) {
        return a.status();
      }
      // An engine receives only segments to [ip] address; a listener on
      // any other address would never see one.
      if (a->value != 0 && *a != ip.address) {
        return r.Error(
            absl::StrCat(sec, ".address"),
            absl::StrCat("expected ip.address (", ip.address.ToString(),
                         ") or 0.0.0.0, got \"", a->ToString(), "\""),
            t.get("address"));
      }
      l.address = *a;
    }
    absl::Status s = ReadInt(r, t, sec, "port", 1, 65535, true, &l.port);
    const toml::node* at = nullptr;
    if (s.ok()) {
      s = ReadString(r, t, sec, "service",
                     "expected a service name: \"echo\", \"discard\", "
                     "\"http\", \"sink\", \"source\" or \"upper\"",
                     &l.service, &at);
    }
    if (s.ok() && l.service != "echo" && l.service != "discard" &&
        l.service != "http" && l.service != "sink" && l.service != "source" &&
        l.service != "upper") {
      s = r.Error(absl::StrCat(sec, ".service"),
                  absl::StrCat("expected one of \"echo\", \"discard\", "
                               "\"http\", \"sink\", \"source\", "
                               "\"upper\", got \"",
                               l.service, "\""),
                  at);
    }
    auto step = [&](absl::Status next) {
      if (s.ok()) {
        s = std::move(next);
      }
    };
    // Linux caps the accept backlog at somaxconn (4096 by default since 5.4).
    step(ReadInt(r, t, sec, "backlog", 1, 65535, false, &l.backlog));
    step(ReadInt(r, t, sec, "syn_backlog", 1, 1 << 24, false, &l.syn_backlog));
    step(ReadChoice(r, t, sec, "cookies", {"off", "on_overflow", "always"},
                    &l.cookies));
    step(ReadChoice(r, t, sec, "overflow", {"drop", "reset"}, &l.overflow));
    // RFC 9110 section 15: a final status, 200-599 (1xx are interim).
    step(ReadInt(r, t, sec, "http_status", 200, 599, false, &l.http_status));
    step(ReadInt(r, t, sec, "http_body_bytes", 0, 1 << 30, false,
                 &l.http_body_bytes));
    step(ReadInt(r, t, sec, "http_max_header_bytes", 256, 1 << 20, false,
                 &l.http_max_header_bytes));
    step(ReadInt(r, t, sec, "source_bytes", 0,
                 std::numeric_limits<int64_t>::max(), false, &l.source_bytes));
    if (!s.ok()) {
      return s;
    }
    if (const toml::node* h = t.get("http_headers"); h != nullptr) {
      const toml::array* ha = h->as_array();
      if (ha == nullptr) {
        return r.Error(absl::StrCat(sec, ".http_headers"),
                       absl::StrCat("expected an array of \"Name: value\" "
                                    "strings, got ",
                                    Describe(*h)),
                       h);
      }
      for (size_t j = 0; j < ha->size(); ++j) {
        const auto* hs = ha->get(j)->as_string();
        const std::string v = hs != nullptr ? hs->get() : "";
        // RFC 9112 section 5: field-name ":" OWS field-value; no CR or LF,
        // which would split the response.
        if (hs == nullptr || v.find(':') == std::string::npos ||
            v.find(':') == 0 || v.find_first_of("\r\n") != std::string::npos) {
          return r.Error(absl::StrCat(sec, ".http_headers[", j, "]"),
                         absl::StrCat("expected \"Name: value\" without CR or "
                                      "LF, got ",
                                      Describe(*ha->get(j))),
                         ha->get(j));
        }
        l.http_headers.push_back(v);
      }
    }
    for (const ListenerConfig& other : *out) {
      // 0.0.0.0 and ip.address overlap: both receive every segment to the
      // port.
      if (other.port == l.port) {
        return r.Error(absl::StrCat(sec, ".port"),
                       absl::StrCat("port ", l.port,
                                    " is already used by another listener"),
                       t.get("port"));
      }
    }
    out->push_back(std::move(l));
  }
  return absl::OkStatus();
}

absl::Status ReadProbability(const Reporter& r, const toml::table& table,
                             absl::string_view section, absl::string_view key,
                             double* out) {
  const toml::node* node = table.get(std::string_view(key.data(), key.size()));
  if (node == nullptr) {
    return absl::OkStatus();
  }
  double v = -1;
  if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  }
  if (!(v >= 0 && v <= 1)) {
    return r.Error(absl::StrCat(section, ".", key),
                   absl::StrCat("expected a probability from 0 to 1, got ",
                                Describe(*node)),
                   node);
  }
  *out = v;
  return absl::OkStatus();
}

absl::Status ParseFault(const Reporter& r, const toml::table& root,
                        FaultConfig* f) {
  const toml::node* n = root.get("fault");
  if (n == nullptr) {
    return absl::OkStatus();
  }
  if (!n->is_table()) {
    return r.Error("fault", "expected a table [fault]", n);
  }
  const toml::table& t = *n->as_table();
  if (absl::Status s =
          CheckKeys(r, t, "fault",
                    {"drop", "duplicate", "reorder", "corrupt", "delay_us",
                     "rate_mbps", "seed", "direction"});
      !s.ok()) {
    return s;
  }
  absl::Status s = ReadProbability(r, t, "fault", "drop", &f->drop);
  auto step = [&](absl::Status next) {
    if (s.ok()) {
      s = std::move(next);
    }
  };
  step(ReadProbability(r, t, "fault", "duplicate", &f->duplicate));
  step(ReadProbability(r, t, "fault", "reorder", &f->reorder));
  step(ReadProbability(r, t, "fault", "corrupt", &f->corrupt));
  step(ReadInt(r, t, "fault", "delay_us", 0, 10'000'000, false, &f->delay_us));
  step(ReadInt(r, t, "fault", "rate_mbps", 0, 1'000'000, false, &f->rate_mbps));
  step(ReadInt(r, t, "fault", "seed", 0, std::numeric_limits<int64_t>::max(),
               false, &f->seed));
  step(ReadChoice(r, t, "fault", "direction", {"rx", "tx", "both"},
                  &f->direction));
  return s;
}

// [syn_cookies] and [shutdown]: one key each.
absl::Status ParseSmallSections(const Reporter& r, const toml::table& root,
                                TernConfig* config) {
  if (const toml::node* n = root.get("syn_cookies"); n != nullptr) {
    if (!n->is_table()) {
      return r.Error("syn_cookies", "expected a table [syn_cookies]", n);
    }
    const toml::table& t = *n->as_table();
    if (absl::Status s = CheckKeys(r, t, "syn_cookies", {"secret_file"});
        !s.ok()) {
      return s;
    }
    if (t.get("secret_file") != nullptr) {
      const toml::node* at = nullptr;
      if (absl::Status s = ReadString(r, t, "syn_cookies", "secret_file",
                                      "expected a file path",
                                      &config->cookie_secret_file, &at);
          !s.ok()) {
        return s;
      }
    }
  }
  if (const toml::node* n = root.get("shutdown"); n != nullptr) {
    if (!n->is_table()) {
      return r.Error("shutdown", "expected a table [shutdown]", n);
    }
    const toml::table& t = *n->as_table();
    if (absl::Status s = CheckKeys(r, t, "shutdown", {"drain_ms"}); !s.ok()) {
      return s;
    }
    return ReadInt(r, t, "shutdown", "drain_ms", 0, 3'600'000, false,
                   &config->drain_ms);
  }
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
  if (absl::Status s =
          CheckKeys(r, t, "port",
                    {"name", "mbufs", "rx_ring", "tx_ring", "burst",
                     "idle_sleep_us", "yield_every_us", "yield_us"});
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
    // The same bound as the idle sleep for the cadence; the sleep stays
    // well under a loop stall (port::kMaxYieldSleep).
    s = ReadInt(r, t, "port", "yield_every_us", 0, 1'000'000, false,
                &port->yield_every_us);
  }
  if (s.ok()) {
    s = ReadInt(r, t, "port", "yield_us", 1, port::kMaxYieldSleep.ToMicros(),
                false, &port->yield_us);
  }
  if (s.ok() && port->yield_every_us != 0 &&
      port->yield_us >= port->yield_every_us) {
    s = r.Error("port.yield_us",
                absl::StrCat("expected less than yield_every_us (",
                             port->yield_every_us, "), got ", port->yield_us));
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
  if (absl::Status s =
          CheckKeys(r, t, "ip", {"address", "prefix_len", "gateway"});
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
  if (absl::Status s =
          ReadInt(r, t, "ip", "prefix_len", 1, 32, false, &ip->prefix_len);
      !s.ok()) {
    return s;
  }
  if (t.get("gateway") != nullptr) {
    absl::StatusOr<wire::Ipv4Addr> gw =
        ReadAddress(r, t, "ip", "gateway", /*unicast=*/true);
    if (!gw.ok()) {
      return gw.status();
    }
    // The next hop for everything off the prefix must itself be on it
    // (reached by ARP, RFC 1122 section 3.3.1.1) and be another host.
    const uint32_t mask = ip->prefix_len == 32
                              ? 0xffffffffu
                              : ~((1u << (32 - ip->prefix_len)) - 1);
    if (gw->value == ip->address.value) {
      return r.Error("ip.gateway",
                     absl::StrCat("expected another host than ip.address, got ",
                                  gw->ToString()),
                     t.get("gateway"));
    }
    if ((gw->value & mask) != (ip->address.value & mask)) {
      return r.Error("ip.gateway",
                     absl::StrCat("expected an address inside ip.address/",
                                  ip->prefix_len, ", got ", gw->ToString()),
                     t.get("gateway"));
    }
    ip->gateway = *gw;
  }
  return absl::OkStatus();
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
  // toml++ 3.3.0's is_non_ascii_horizontal_whitespace reaches
  // TOML_UNREACHABLE, undefined behaviour, for most code points from U+00A1
  // to U+FEFF (Cyrillic letters among them) where the parser looks for
  // whitespace; found by tests/fuzz/config_fuzz.cc under UBSan. Every key
  // and value tern reads is ASCII, so text with any other byte is refused
  // before the parser sees it.
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (c >= 0x80) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", line, ":", i - line_start + 1, ": non-ASCII byte 0x",
          absl::Hex(c, absl::kZeroPad2), ": the configuration is ASCII"));
    }
  }
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
  if (absl::Status s = CheckKeys(r, root, "",
                                 {"eal", "port", "ip", "tcp", "listener",
                                  "syn_cookies", "shutdown", "fault"});
      !s.ok()) {
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
  if (absl::Status s = ParseTcp(r, root, &config.tcp); !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseListeners(r, root, config.ip, &config.listeners);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseSmallSections(r, root, &config); !s.ok()) {
    return s;
  }
  if (absl::Status s = ParseFault(r, root, &config.fault); !s.ok()) {
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
  size_t first = 1;
  for (size_t i = 1; i < argv.size(); ++i) {
    if (absl::string_view(argv[i]) == "--") {
      cl.eal_args_given = true;
      cl.eal_args.assign(argv.begin() + 1, argv.begin() + i);
      first = i + 1;
      break;
    }
  }
  for (size_t i = first; i < argv.size(); ++i) {
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
    if (option != "--config" && option != "--duration" &&
        option != "--stats-interval" && option != "--reflect-alternation-ms") {
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
    } else if (option == "--stats-interval") {
      uint32_t seconds = 0;
      if (!ParseSeconds(value, &seconds) || seconds == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--stats-interval: expected a positive whole number of seconds, "
            "got \"",
            value, "\""));
      }
      cl.stats_interval_seconds = seconds;
    } else if (option == "--reflect-alternation-ms") {
      uint32_t ms = 0;
      if (!ParseSeconds(value, &ms) || ms == 0 ||
          ms > kMaxReflectAlternationMs) {
        return absl::InvalidArgumentError(
            absl::StrCat("--reflect-alternation-ms: expected a whole number of "
                         "milliseconds from 1 to ",
                         kMaxReflectAlternationMs, ", got \"", value, "\""));
      }
      cl.reflect_alternation_ms = ms;
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
  return "usage: tern [EAL args --] [--config PATH] [--duration SECONDS]\n"
         "            [--stats-interval SECONDS] [--reflect-alternation-ms "
         "MS]\n"
         "  EAL args                 replace [eal] args of the file\n"
         "  --config PATH            TOML configuration (default "
         "config/tern.toml)\n"
         "  --duration SECONDS       exit after SECONDS, as on SIGTERM\n"
         "  --stats-interval SECONDS print a line of rates every SECONDS\n"
         "  --reflect-alternation-ms MS  measuring only: alternate each "
         "engine\n"
         "                           between TCP and a bare reflect loop "
         "every\n"
         "                           MS and print the phases at exit\n"
         "                           (doc/flood.md, the rate ratio)\n"
         "tern terminates TCP for the [[listener]]s of the file on [port],\n"
         "answers ARP and ping for [ip] address, and prints its counters\n"
         "when it exits (SIGINT, SIGTERM, --duration).\n";
}

}  // namespace tern::app
