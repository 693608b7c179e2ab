// Tests of app/config.h: the TOML schema of tern.toml and the command line.
// Every error is checked for the source, the dotted key and what was expected.

#include "app/config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tern::app {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kSource[] = "test.toml";

constexpr char kValid[] = R"(
[eal]
args = ["--no-huge", "-m", "256", "--no-pci"]

[port]
name = "net_tap0"
mbufs = 4095
rx_ring = 512
tx_ring = 256
burst = 16
idle_sleep_us = 100

[ip]
address = "198.18.0.1"
prefix_len = 24
)";

// kValid with `from` replaced by `to` (which must occur once).
std::string Edit(const std::string& from, const std::string& to) {
  std::string text = kValid;
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  return text;
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<TernConfig> c = ParseConfig(text, kSource);
  EXPECT_FALSE(c.ok()) << text;
  if (c.ok()) {
    return "";
  }
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(Config, Valid_AllKeys_Parsed) {
  absl::StatusOr<TernConfig> c = ParseConfig(kValid, kSource);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->eal_args,
              ::testing::ElementsAre("--no-huge", "-m", "256", "--no-pci"));
  EXPECT_EQ(c->port.name, "net_tap0");
  EXPECT_EQ(c->port.mbufs, 4095u);
  EXPECT_EQ(c->port.rx_ring, 512);
  EXPECT_EQ(c->port.tx_ring, 256);
  EXPECT_EQ(c->port.burst, 16);
  EXPECT_EQ(c->port.idle_sleep_us, 100u);
  EXPECT_EQ(c->ip.address, wire::Ipv4Addr::FromOctets(198, 18, 0, 1));
  EXPECT_EQ(c->ip.prefix_len, 24);
}

TEST(Config, OptionalKeysAbsent_DefaultsUsed) {
  absl::StatusOr<TernConfig> c = ParseConfig(R"(
[eal]
args = []
[port]
name = "net_null0"
[ip]
address = "10.0.0.1"
)",
                                             kSource);
  ASSERT_TRUE(c.ok()) << c.status();
  const PortConfig defaults;
  EXPECT_TRUE(c->eal_args.empty());
  EXPECT_EQ(c->port.mbufs, defaults.mbufs);
  EXPECT_EQ(c->port.rx_ring, defaults.rx_ring);
  EXPECT_EQ(c->port.tx_ring, defaults.tx_ring);
  EXPECT_EQ(c->port.burst, defaults.burst);
  EXPECT_EQ(c->port.idle_sleep_us, 0u);
  EXPECT_EQ(c->ip.prefix_len, 24);
}

TEST(Config, BadAddress_NamesFileKeyAndValue) {
  EXPECT_THAT(ErrorOf(Edit("\"198.18.0.1\"", "\"10.0.0.300\"")),
              StartsWith("test.toml: ip.address: expected a dotted IPv4 "
                         "address, got \"10.0.0.300\""));
}

TEST(Config, AddressNotAString_NamesType) {
  EXPECT_THAT(ErrorOf(Edit("\"198.18.0.1\"", "198")),
              StartsWith("test.toml: ip.address: expected a dotted IPv4 "
                         "address, got 198"));
}

TEST(Config, MulticastOrZeroAddress_Rejected) {
  EXPECT_THAT(ErrorOf(Edit("\"198.18.0.1\"", "\"224.0.0.1\"")),
              StartsWith("test.toml: ip.address: expected a unicast host "
                         "address"));
  EXPECT_THAT(ErrorOf(Edit("\"198.18.0.1\"", "\"0.0.0.0\"")),
              StartsWith("test.toml: ip.address: expected a unicast"));
  EXPECT_THAT(ErrorOf(Edit("\"198.18.0.1\"", "\"255.255.255.255\"")),
              StartsWith("test.toml: ip.address: expected a unicast"));
}

TEST(Config, GatewayOwnOrOffPrefix_Rejected) {
  const std::string with_gateway =
      Edit("prefix_len = 24", "prefix_len = 24\ngateway = \"198.18.0.254\"");
  absl::StatusOr<TernConfig> ok = ParseConfig(with_gateway, kSource);
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_TRUE(ok->ip.gateway.has_value());
  EXPECT_EQ(ok->ip.gateway->ToString(), "198.18.0.254");
  EXPECT_THAT(ErrorOf(Edit("prefix_len = 24",
                           "prefix_len = 24\ngateway = \"198.18.0.1\"")),
              StartsWith("test.toml: ip.gateway: expected another host than "
                         "ip.address, got 198.18.0.1"));
  EXPECT_THAT(ErrorOf(Edit("prefix_len = 24",
                           "prefix_len = 24\ngateway = \"198.18.1.1\"")),
              StartsWith("test.toml: ip.gateway: expected an address inside "
                         "ip.address/24, got 198.18.1.1"));
}

TEST(Config, PrefixOutOfRange_NamesRange) {
  EXPECT_THAT(ErrorOf(Edit("prefix_len = 24", "prefix_len = 33")),
              StartsWith("test.toml: ip.prefix_len: expected an integer from "
                         "1 to 32, got 33"));
  EXPECT_THAT(ErrorOf(Edit("prefix_len = 24", "prefix_len = 0")),
              HasSubstr("ip.prefix_len: expected an integer from 1 to 32"));
}

TEST(Config, ErrorCarriesLineNumber) {
  // kValid starts with a newline, so ip.prefix_len is on line 15.
  EXPECT_THAT(ErrorOf(Edit("prefix_len = 24", "prefix_len = 40")),
              HasSubstr("(line 15)"));
}

TEST(Config, UnknownKey_RejectedByName) {
  EXPECT_THAT(ErrorOf(Edit("burst = 16", "burst = 16\nbrust = 16")),
              StartsWith("test.toml: port.brust: unknown key (known keys in "
                         "[port]: name, mbufs, rx_ring, tx_ring, burst, "
                         "idle_sleep_us, yield_every_us, yield_us)"));
  EXPECT_THAT(ErrorOf(Edit("[ip]", "[ip]\nmask = 24")),
              StartsWith("test.toml: ip.mask: unknown key"));
  EXPECT_THAT(ErrorOf(Edit("[eal]", "[eal]\nlcores = 1")),
              StartsWith("test.toml: eal.lcores: unknown key"));
}

TEST(Config, UnknownTable_RejectedByName) {
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid, "\n[udp]\nmss = 1460\n")),
              StartsWith("test.toml: udp: unknown key (known keys at the top "
                         "level: eal, port, ip, tcp, listener, syn_cookies, "
                         "shutdown, fault)"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid, "\n[tcp]\nmss = 1460\n")),
              StartsWith("test.toml: tcp.mss: unknown key (known keys in "
                         "[tcp]: max_connections,"));
}

TEST(Config, MissingRequired_NamesKey) {
  EXPECT_THAT(ErrorOf(Edit("name = \"net_tap0\"", "")),
              StartsWith("test.toml: port.name: missing (expected a DPDK "
                         "device name string"));
  EXPECT_THAT(ErrorOf(Edit("address = \"198.18.0.1\"", "")),
              StartsWith("test.toml: ip.address: missing (expected a dotted "
                         "IPv4 address)"));
  EXPECT_THAT(ErrorOf(Edit(
                  "args = [\"--no-huge\", \"-m\", \"256\", \"--no-pci\"]", "")),
              StartsWith("test.toml: eal.args: missing (expected an array of "
                         "strings"));
  EXPECT_THAT(
      ErrorOf(Edit("[ip]\naddress = \"198.18.0.1\"\nprefix_len = 24", "")),
      StartsWith("test.toml: ip: missing table"));
}

TEST(Config, EmptyPortName_Rejected) {
  EXPECT_THAT(ErrorOf(Edit("\"net_tap0\"", "\"\"")),
              StartsWith("test.toml: port.name: expected a DPDK device name"));
}

TEST(Config, EalArgsWrongType_NamesElement) {
  EXPECT_THAT(ErrorOf(Edit("\"256\"", "256")),
              StartsWith("test.toml: eal.args[2]: expected a string, got 256"));
  EXPECT_THAT(ErrorOf(Edit("[\"--no-huge\", \"-m\", \"256\", \"--no-pci\"]",
                           "\"--no-huge\"")),
              StartsWith("test.toml: eal.args: expected an array of strings"));
}

TEST(Config, SectionNotATable_Rejected) {
  EXPECT_THAT(ErrorOf("eal = 1\n"),
              StartsWith("test.toml: eal: expected a table [eal], got 1"));
}

TEST(Config, RingAndBurstRanges_Checked) {
  EXPECT_THAT(ErrorOf(Edit("rx_ring = 512", "rx_ring = 70000")),
              StartsWith("test.toml: port.rx_ring: expected an integer from 1 "
                         "to 65535, got 70000"));
  EXPECT_THAT(ErrorOf(Edit("tx_ring = 256", "tx_ring = 0")),
              StartsWith("test.toml: port.tx_ring: expected an integer from 1 "
                         "to 65535, got 0"));
  EXPECT_THAT(ErrorOf(Edit("burst = 16", "burst = 1024")),
              StartsWith("test.toml: port.burst: expected an integer from 1 "
                         "to 512, got 1024"));
  EXPECT_THAT(ErrorOf(Edit("burst = 16", "burst = 1.5")),
              StartsWith("test.toml: port.burst: expected an integer from 1 "
                         "to 512, got 1.5"));
}

TEST(Config, OutOfLinePoolBounds_ParsedAndChecked) {
  absl::StatusOr<TernConfig> c =
      ParseConfig(absl::StrCat(kValid,
                               "\n[tcp]\nmax_reassembling = 1000\n"
                               "max_sack_scoreboards = 2000\n"),
                  kSource);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tcp.max_reassembling, 1000u);
  EXPECT_EQ(c->tcp.max_sack_scoreboards, 2000u);
  // Absent: 0, the endpoint's default.
  absl::StatusOr<TernConfig> d = ParseConfig(kValid, kSource);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->tcp.max_reassembling, 0u);
  EXPECT_EQ(d->tcp.max_sack_scoreboards, 0u);
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid, "\n[tcp]\nmax_reassembling = -1\n")),
      StartsWith("test.toml: tcp.max_reassembling: expected an integer from 0 "
                 "to 16777216, got -1"));
  EXPECT_THAT(
      ErrorOf(
          absl::StrCat(kValid, "\n[tcp]\nmax_sack_scoreboards = 16777217\n")),
      StartsWith("test.toml: tcp.max_sack_scoreboards: expected an integer "
                 "from 0 to 16777216, got 16777217"));
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid, "\n[tcp]\nmax_sack_scoreboards = \"8\"\n")),
      StartsWith("test.toml: tcp.max_sack_scoreboards: expected an integer "
                 "from 0 to 16777216, got \"8\""));
}

TEST(Config, TooFewMbufs_NamesMinimum) {
  // 512 + 256 + 2 * 16 = 800.
  EXPECT_THAT(ErrorOf(Edit("mbufs = 4095", "mbufs = 799")),
              StartsWith("test.toml: port.mbufs: expected an integer from 800 "
                         "to 4294967295, got 799"));
}

TEST(Config, DefaultMbufsTooSmallForRings_Explained) {
  EXPECT_THAT(ErrorOf(Edit("mbufs = 4095\nrx_ring = 512", "rx_ring = 8000")),
              StartsWith("test.toml: port.mbufs: missing, and the default of "
                         "8191 is below the 8288"));
}

TEST(Config, SyntaxError_NamesLineAndColumn) {
  EXPECT_THAT(ErrorOf("[eal\nargs = []\n"), StartsWith("test.toml:1:"));
  EXPECT_THAT(ErrorOf("[eal\nargs = []\n"), HasSubstr("TOML syntax error"));
}

TEST(Config, LoadMissingFile_NotFoundNamesPath) {
  absl::StatusOr<TernConfig> c = LoadConfig("/nonexistent/tern.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(c.status().message()),
              StartsWith("/nonexistent/tern.toml: "));
}

TEST(Config, ShippedDefault_Parses) {
  // The working default in the source tree must always load.
  absl::StatusOr<TernConfig> c =
      LoadConfig(TERN_SOURCE_ROOT "/config/tern.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->port.name, "net_tap0");
}

std::vector<const char*> Argv(std::initializer_list<const char*> args) {
  std::vector<const char*> v = {"tern"};
  v.insert(v.end(), args);
  return v;
}

std::string CommandLineError(const std::vector<const char*>& argv) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine(argv);
  EXPECT_FALSE(cl.ok());
  return std::string(cl.status().message());
}

TEST(CommandLine, Defaults) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine(Argv({}));
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->config_path, "config/tern.toml");
  EXPECT_FALSE(cl->duration_seconds.has_value());
  EXPECT_FALSE(cl->help);
}

TEST(CommandLine, ConfigAndDuration_BothForms) {
  absl::StatusOr<CommandLine> cl =
      ParseCommandLine(Argv({"--config", "/tmp/a.toml", "--duration=7"}));
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->config_path, "/tmp/a.toml");
  EXPECT_EQ(cl->duration_seconds, 7u);
}

TEST(CommandLine, BadValues_Named) {
  EXPECT_THAT(CommandLineError(Argv({"--duration", "x"})),
              HasSubstr("--duration: expected a positive whole number"));
  EXPECT_THAT(CommandLineError(Argv({"--duration", "0"})),
              HasSubstr("--duration"));
  EXPECT_THAT(CommandLineError(Argv({"--config"})),
              HasSubstr("--config: missing value"));
  EXPECT_THAT(CommandLineError(Argv({"--verbose"})),
              HasSubstr("unknown option \"--verbose\""));
}

}  // namespace
}  // namespace tern::app

namespace tern::app {
namespace {

TEST(Config, Listeners_ParsedWithDefaultsAndOptions) {
  absl::StatusOr<TernConfig> c = ParseConfig(absl::StrCat(kValid, R"(
[tcp]
time_wait_ms = 2000
keepalive = true
congestion = "newreno"
[[listener]]
port = 80
service = "http"
http_status = 404
http_body_bytes = 1000
http_headers = ["Server: tern"]
[[listener]]
address = "0.0.0.0"
port = 7
service = "echo"
cookies = "always"
overflow = "reset"
backlog = 16
[shutdown]
drain_ms = 250
)"),
                                             "test.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->listeners.size(), 2u);
  EXPECT_EQ(c->listeners[0].port, 80);
  EXPECT_EQ(c->listeners[0].service, "http");
  EXPECT_FALSE(c->listeners[0].address.has_value());
  EXPECT_EQ(c->listeners[0].http_status, 404u);
  EXPECT_EQ(c->listeners[0].http_body_bytes, 1000u);
  EXPECT_EQ(c->listeners[0].http_headers,
            std::vector<std::string>{"Server: tern"});
  EXPECT_EQ(c->listeners[0].cookies, "on_overflow");
  EXPECT_EQ(c->listeners[1].address, wire::Ipv4Addr::FromOctets(0, 0, 0, 0));
  EXPECT_EQ(c->listeners[1].cookies, "always");
  EXPECT_EQ(c->listeners[1].overflow, "reset");
  EXPECT_EQ(c->listeners[1].backlog, 16u);
  EXPECT_EQ(c->tcp.time_wait_ms, 2000u);
  EXPECT_TRUE(c->tcp.keepalive);
  EXPECT_EQ(c->tcp.congestion, "newreno");
  EXPECT_EQ(c->drain_ms, 250u);
}

TEST(Config, ListenerErrors_NameKeyAndExpectation) {
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid, "\n[[listener]]\nport = 80\n")),
              StartsWith("test.toml: listener[0].service: missing"));
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid,
                           "\n[[listener]]\nport = 80\nservice = \"ftp\"\n")),
      StartsWith("test.toml: listener[0].service: expected one of \"echo\""));
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid,
                                   "\n[[listener]]\nport = 80\nservice = "
                                   "\"http\"\nhttp_status = 101\n")),
              StartsWith("test.toml: listener[0].http_status: expected an "
                         "integer from 200 to 599, got 101"));
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid,
                           "\n[[listener]]\nport = 0\nservice = \"echo\"\n")),
      StartsWith("test.toml: listener[0].port: expected an integer from 1 to "
                 "65535, got 0"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid,
                                   "\n[[listener]]\nport = 7\nservice = "
                                   "\"echo\"\ncookies = \"maybe\"\n")),
              StartsWith("test.toml: listener[0].cookies: expected one of "
                         "\"off\", \"on_overflow\", \"always\", got "
                         "\"maybe\""));
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid,
                           "\n[[listener]]\nport = 7\nservice = \"echo\"\n"
                           "[[listener]]\nport = 7\nservice = \"http\"\n")),
      StartsWith("test.toml: listener[1].port: port 7 is already used"));
  // 0.0.0.0 and ip.address overlap.
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid,
                           "\n[[listener]]\nport = 7\nservice = \"echo\"\n"
                           "[[listener]]\naddress = \"0.0.0.0\"\nport = 7\n"
                           "service = \"http\"\n")),
      StartsWith("test.toml: listener[1].port: port 7 is already used"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid,
                                   "\n[[listener]]\naddress = \"198.18.0.9\"\n"
                                   "port = 7\nservice = \"echo\"\n")),
              StartsWith("test.toml: listener[0].address: expected ip.address "
                         "(198.18.0.1) or 0.0.0.0, got \"198.18.0.9\""));
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid,
                                   "\n[[listener]]\nport = 80\nservice = "
                                   "\"http\"\nhttp_headers = [\"X\\r\\nY: "
                                   "z\"]\n")),
              StartsWith("test.toml: listener[0].http_headers[0]: expected "
                         "\"Name: value\" without CR or LF"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid, "\n[tcp]\ndelayed_ack_ms = 500\n")),
              StartsWith("test.toml: tcp.delayed_ack_ms: expected an integer "
                         "from 1 to 499, got 500"));
}

// toml++ 3.3.0 asserted a precondition these malformed table headers break
// (the process aborted); they are syntax errors like any other. Found by
// config_fuzz.
TEST(Config, MalformedTableHeader_SyntaxErrorNotAbort) {
  for (const char* text : {"[#", "[[[1]]]", "[[=", "x = 1\n[#]\n"}) {
    EXPECT_THAT(ErrorOf(text),
                ::testing::HasSubstr("TOML syntax error: Error while parsing "
                                     "key: expected bare key starting "
                                     "character"))
        << text;
  }
}

// toml++ 3.3.0 has undefined behaviour on most non-ASCII code points where
// it looks for whitespace; the configuration is ASCII. Found by config_fuzz
// (UBSan).
TEST(Config, NonAsciiByte_RejectedWithPosition) {
  EXPECT_THAT(ErrorOf("[eal]\nargs = [] # \xd0\x87\n"),
              StartsWith("test.toml:2:13: non-ASCII byte 0xd0: the "
                         "configuration is ASCII"));
  EXPECT_THAT(ErrorOf("\xd5\xd0\x87  \n"),
              StartsWith("test.toml:1:1: non-ASCII byte 0xd5"));
}

TEST(Config, NoSocketRstPerSecond_ParsedDefaultedAndChecked) {
  absl::StatusOr<TernConfig> d = ParseConfig(kValid, "test.toml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->tcp.no_socket_rst_per_second, 200u);  // FreeBSD icmplim
  absl::StatusOr<TernConfig> c = ParseConfig(
      absl::StrCat(kValid, "\n[tcp]\nno_socket_rst_per_second = 0\n"),
      "test.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tcp.no_socket_rst_per_second, 0u);
  EXPECT_THAT(
      ErrorOf(absl::StrCat(kValid, "\n[tcp]\nno_socket_rst_per_second = -1\n")),
      StartsWith("test.toml: tcp.no_socket_rst_per_second: expected an "
                 "integer from 0 to 100000000, got -1"));
}

TEST(Config, Yield_ParsedDefaultedAndChecked) {
  absl::StatusOr<TernConfig> d = ParseConfig(kValid, "test.toml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->port.yield_every_us, 0u);
  EXPECT_EQ(d->port.yield_us, 50u);
  absl::StatusOr<TernConfig> c = ParseConfig(
      Edit("burst = 16", "burst = 16\nyield_every_us = 500\nyield_us = 40"),
      "test.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->port.yield_every_us, 500u);
  EXPECT_EQ(c->port.yield_us, 40u);
  EXPECT_THAT(ErrorOf(Edit("burst = 16", "burst = 16\nyield_us = 0")),
              StartsWith("test.toml: port.yield_us: expected an integer from "
                         "1 to 500, got 0"));
  EXPECT_THAT(ErrorOf(Edit("burst = 16", "burst = 16\nyield_us = 501")),
              StartsWith("test.toml: port.yield_us: expected an integer from "
                         "1 to 500, got 501"));
  EXPECT_THAT(
      ErrorOf(Edit("burst = 16", "burst = 16\nyield_every_us = 2000000")),
      StartsWith("test.toml: port.yield_every_us: expected an integer from "
                 "0 to 1000000, got 2000000"));
  EXPECT_THAT(ErrorOf(Edit("burst = 16",
                           "burst = 16\nyield_every_us = 100\nyield_us = 100")),
              StartsWith("test.toml: port.yield_us: expected less than "
                         "yield_every_us (100), got 100"));
}

TEST(Config, Fault_ParsedAndChecked) {
  absl::StatusOr<TernConfig> c = ParseConfig(
      absl::StrCat(kValid,
                   "\n[fault]\ndrop = 0.01\nreorder = 0.02\ndelay_us = "
                   "100\nseed = 7\ndirection = \"rx\"\n"),
      "test.toml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->fault.drop, 0.01);
  EXPECT_DOUBLE_EQ(c->fault.reorder, 0.02);
  EXPECT_EQ(c->fault.delay_us, 100u);
  EXPECT_EQ(c->fault.seed, 7u);
  EXPECT_EQ(c->fault.direction, "rx");
  EXPECT_THAT(ErrorOf(absl::StrCat(kValid, "\n[fault]\ndrop = 1.5\n")),
              StartsWith("test.toml: fault.drop: expected a probability from "
                         "0 to 1, got 1.5"));
}

TEST(CommandLine, EalArgsBeforeDoubleDash_AndStatsInterval) {
  const char* argv[] = {
      "tern", "-l", "0,1", "--", "--config", "x.toml", "--stats-interval", "2"};
  absl::StatusOr<CommandLine> cl = ParseCommandLine(argv);
  ASSERT_TRUE(cl.ok()) << cl.status();
  ASSERT_TRUE(cl->eal_args_given);
  EXPECT_EQ(cl->eal_args, (std::vector<std::string>{"-l", "0,1"}));
  EXPECT_EQ(cl->config_path, "x.toml");
  EXPECT_EQ(cl->stats_interval_seconds, 2u);
  EXPECT_FALSE(cl->reflect_alternation_ms.has_value());
}

TEST(CommandLine, ReflectAlternation_Milliseconds_RangeChecked) {
  const char* ok[] = {"tern", "--reflect-alternation-ms", "250"};
  absl::StatusOr<CommandLine> cl = ParseCommandLine(ok);
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->reflect_alternation_ms, 250u);
  const char* top[] = {"tern", "--reflect-alternation-ms=10000"};
  cl = ParseCommandLine(top);
  ASSERT_TRUE(cl.ok()) << cl.status();
  EXPECT_EQ(cl->reflect_alternation_ms, 10000u);
  for (const char* bad : {"0", "10001", "-5", "1.5", ""}) {
    const char* argv[] = {"tern", "--reflect-alternation-ms", bad};
    cl = ParseCommandLine(argv);
    ASSERT_FALSE(cl.ok()) << bad;
    EXPECT_THAT(std::string(cl.status().message()),
                StartsWith("--reflect-alternation-ms: expected a whole number "
                           "of milliseconds from 1 to 10000"))
        << bad;
  }
}

}  // namespace
}  // namespace tern::app
