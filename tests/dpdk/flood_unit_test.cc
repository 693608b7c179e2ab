// tern-flood's DPDK-free parts (app/tern-flood): the command line, the token
// bucket and the transmit budget on virtual time, the JSON report, and the
// flood's frame builder.
#include <gtest/gtest.h>

#include <random>
#include <span>
#include <string>
#include <vector>

#include "app/tern-flood/flood_options.h"
#include "app/tern-flood/report.h"
#include "app/tern-flood/segment_builder.h"
#include "app/tern-flood/token_bucket.h"
#include "app/tern-flood/tx_budget.h"
#include "lib/wire/ethernet.h"
#include "lib/wire/ipv4.h"
#include "lib/wire/tcp_header.h"

namespace tern::flood {
namespace {

absl::StatusOr<FloodOptions> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "tern-flood");
  return ParseFloodCommandLine(args);
}

const std::vector<const char*> kMinimal = {
    "--port", "net_memif0", "--address=198.18.0.2", "--target", "198.18.0.1"};

std::vector<const char*> With(std::vector<const char*> extra) {
  std::vector<const char*> a = kMinimal;
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// The message names the flag, as the contract says.
void ExpectError(std::vector<const char*> args, const std::string& flag) {
  absl::StatusOr<FloodOptions> o = Parse(std::move(args));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(std::string(o.status().message()).starts_with(flag + ":"))
      << o.status();
}

TEST(FloodOptions, Minimal_Defaults) {
  absl::StatusOr<FloodOptions> o = Parse(kMinimal);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->port, "net_memif0");
  EXPECT_EQ(o->address, wire::Ipv4Addr::FromOctets(198, 18, 0, 2));
  EXPECT_EQ(o->target, wire::Ipv4Addr::FromOctets(198, 18, 0, 1));
  EXPECT_EQ(o->target_port, 80);
  EXPECT_EQ(o->flood_steps, (std::vector<FloodRate>{FloodRate{}}));
  EXPECT_FALSE(o->floods());
  EXPECT_FALSE(o->ceiling_pps.has_value());
  EXPECT_TRUE(o->tx_budget);
  EXPECT_TRUE(o->tx_keep);
  EXPECT_EQ(o->yield_every_us, 0u);
  EXPECT_EQ(o->yield_us, 50u);
  EXPECT_EQ(o->spoof_range.base, wire::Ipv4Addr::FromOctets(198, 19, 0, 0));
  EXPECT_EQ(o->spoof_range.len, 16);
  EXPECT_TRUE(o->syn_options);
  EXPECT_TRUE(o->eal_args.empty());
  EXPECT_TRUE(o->json_path.empty());
}

TEST(FloodOptions, EalArgsBeforeSeparator_FlagsAfter) {
  absl::StatusOr<FloodOptions> o = Parse({"--no-huge",
                                          "-l",
                                          "1",
                                          "--",
                                          "--port",
                                          "p",
                                          "--address",
                                          "198.18.0.2",
                                          "--target",
                                          "198.18.0.1",
                                          "--flood-pps",
                                          "max",
                                          "--spoof-range",
                                          "198.19.128.0/17",
                                          "--spoof-ports=2000-3000",
                                          "--syn-options",
                                          "none",
                                          "--legit-rate",
                                          "2.5",
                                          "--json",
                                          "-",
                                          "--no-progress",
                                          "--scenario",
                                          "kbp_1",
                                          "--mode",
                                          "always"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->eal_args, (std::vector<std::string>{"--no-huge", "-l", "1"}));
  EXPECT_EQ(o->flood_steps, (std::vector<FloodRate>{{0, true}}));
  EXPECT_EQ(o->spoof_range.len, 17);
  EXPECT_EQ(o->spoof_port_min, 2000);
  EXPECT_EQ(o->spoof_port_max, 3000);
  EXPECT_FALSE(o->syn_options);
  EXPECT_DOUBLE_EQ(o->legit_rate, 2.5);
  EXPECT_FALSE(o->progress);
  EXPECT_EQ(o->scenario, "kbp_1");
  EXPECT_EQ(o->mode, "always");
}

TEST(FloodOptions, FloodSteps_InOrder) {
  absl::StatusOr<FloodOptions> o =
      Parse(With({"--flood-pps", "0,1000,max,250000", "--ceiling-pps",
                  "1234567.5", "--tx-budget", "off", "--tx-keep", "off",
                  "--target-mac", "02:00:00:00:00:01", "--legit-rate", "0"}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->flood_steps,
            (std::vector<FloodRate>{
                {0, false}, {1000, false}, {0, true}, {250000, false}}));
  EXPECT_TRUE(o->floods());
  EXPECT_DOUBLE_EQ(*o->ceiling_pps, 1234567.5);
  EXPECT_FALSE(o->tx_budget);
  EXPECT_FALSE(o->tx_keep);
}

TEST(FloodOptions, FloodKinds_ByName) {
  for (FloodKind k : {FloodKind::kSyn, FloodKind::kAck, FloodKind::kRst,
                      FloodKind::kFin, FloodKind::kData}) {
    const std::string name = ToString(k);
    absl::StatusOr<FloodOptions> o =
        Parse(With({"--flood-kind", name.c_str()}));
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(o->kind, k) << name;
  }
  EXPECT_EQ(Parse(kMinimal)->kind, FloodKind::kSyn);
}

TEST(FloodOptions, Errors_NameTheFlag) {
  ExpectError({"--address", "198.18.0.2", "--target", "198.18.0.1"}, "--port");
  ExpectError({"--port", "p", "--target", "198.18.0.1"}, "--address");
  ExpectError({"--port", "p", "--address", "198.18.0.2"}, "--target");
  ExpectError(With({"--bogus", "1"}), "--bogus");
  ExpectError(With({"--flood-pps"}), "--flood-pps");
  ExpectError(With({"--flood-pps", "fast"}), "--flood-pps");
  ExpectError(With({"--flood-pps", "1000,"}), "--flood-pps");
  ExpectError(With({"--flood-pps", "1000,,max"}), "--flood-pps");
  ExpectError(With({"--ceiling-pps", "-5"}), "--ceiling-pps");
  ExpectError(With({"--tx-budget", "maybe"}), "--tx-budget");
  ExpectError(With({"--tx-keep", "1"}), "--tx-keep");
  ExpectError(With({"--flood-kind", "urg"}), "--flood-kind");
  ExpectError(With({"--target-port", "0"}), "--target-port");
  ExpectError(With({"--spoof-ports", "9-3"}), "--spoof-ports");
  ExpectError(With({"--syn-options", "bsd"}), "--syn-options");
  ExpectError(With({"--legit-rate", "-1"}), "--legit-rate");
  ExpectError(With({"--stack", "bsd"}), "--stack");
  ExpectError(With({"--mode", "a b"}), "--mode");
  ExpectError(With({"--mac", "01:00:5e:00:00:01"}), "--mac");
  ExpectError(With({"--request-path", "x"}), "--request-path");
  ExpectError(With({"--yield-every-us", "-1"}), "--yield-every-us");
  ExpectError(With({"--yield-every-us", "1000001"}), "--yield-every-us");
  ExpectError(With({"--yield-us", "0"}), "--yield-us");
  ExpectError(With({"--yield-us", "501"}), "--yield-us");
  // A sleep as long as the cadence would never run.
  ExpectError(With({"--yield-every-us", "100", "--yield-us", "100"}),
              "--yield-us");
}

TEST(FloodOptions, Yield_Parsed) {
  absl::StatusOr<FloodOptions> o =
      Parse(With({"--yield-every-us", "500", "--yield-us", "40"}));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->yield_every_us, 500u);
  EXPECT_EQ(o->yield_us, 40u);
  // Without a cadence the sleep's length is not checked against it.
  EXPECT_TRUE(Parse(With({"--yield-us", "500"})).ok());
}

TEST(FloodOptions, AddressesOutsideBenchmarkRange_Rejected) {
  ExpectError(
      {"--port", "p", "--address", "10.0.0.2", "--target", "198.18.0.1"},
      "--address");
  ExpectError(With({"--spoof-range", "10.0.0.0/16"}), "--spoof-range");
  // Wider than 198.18.0.0/15 or with host bits.
  ExpectError(With({"--spoof-range", "198.16.0.0/14"}), "--spoof-range");
  ExpectError(With({"--spoof-range", "198.19.0.1/16"}), "--spoof-range");
}

TEST(FloodOptions, SpoofRangeHoldingOwnAddresses_Rejected) {
  ExpectError(With({"--spoof-range", "198.18.0.0/24"}), "--spoof-range");
  ExpectError(With({"--spoof-range", "198.18.0.0/31"}), "--spoof-range");
}

TEST(FloodOptions, FloodWithoutClientsOrTargetMac_Rejected) {
  ExpectError(With({"--legit-rate", "0", "--flood-pps", "100"}),
              "--target-mac");
  EXPECT_TRUE(Parse(With({"--legit-rate", "0", "--flood-pps", "100",
                          "--target-mac", "02:00:00:00:00:01"}))
                  .ok());
}

TEST(TokenBucket, PacesToRate_BurstBoundedByCapacity) {
  TokenBucket b(1000, 10);  // 1000/s, bursts of 10
  Instant t = Instant::FromNanos(0);
  EXPECT_EQ(b.Take(t, 100), 0u);  // starts empty
  t = t + Duration::Millis(5);
  EXPECT_EQ(b.Take(t, 100), 5u);
  t = t + Duration::Seconds(3);  // idle: capped at the capacity
  EXPECT_EQ(b.Take(t, 100), 10u);
  // Over one second in 100 us steps: 1000 tokens, never more.
  uint64_t total = 0;
  for (int i = 0; i < 10000; ++i) {
    t = t + Duration::Micros(100);
    total += b.Take(t, 100);
  }
  EXPECT_EQ(total, 1000u);
}

TEST(TokenBucket, FractionalRate_ExactOverTime) {
  TokenBucket b(2.5, 1);
  Instant t = Instant::FromNanos(0);
  b.Take(t, 1);
  uint64_t total = 0;
  for (int i = 0; i < 4000; ++i) {  // 4 s in 1 ms steps
    t = t + Duration::Millis(1);
    total += b.Take(t, 1);
  }
  EXPECT_EQ(total, 10u);
}

TEST(TokenBucket, TimeGoingBack_AccruesNothing) {
  TokenBucket b(1000, 10);
  b.Take(Instant::FromNanos(1'000'000'000), 1);
  EXPECT_EQ(b.Take(Instant::FromNanos(0), 10), 0u);
}

TEST(Report, Json_HasTheIssueFieldsAndIsWellFormed) {
  FloodReport r;
  r.scenario = "kernel_bypass";
  r.stack = "tern";
  r.mode = "cookies=\"always\"";  // escaped
  r.flood_pps_offered = 5000;
  r.flood_sent = 25000;
  r.flood_pps_reached = 4999.96;
  r.synacks_seen = 24990;
  r.legit_attempted = 100;
  r.legit_succeeded = 99;
  r.legit_failed[static_cast<size_t>(LegitFailure::kNoSynAck)] = 1;
  r.connect_ns.Record(120'000);
  r.connect_ns.Record(80'000);
  r.connect_no_stall_ns.Record(80'000);
  const std::string j = StepJson(r);
  for (const char* key : {"\"scenario\": \"kernel_bypass\"",
                          "\"stack\": \"tern\"",
                          "\"mode\": \"cookies=\\\"always\\\"\"",
                          "\"flood_pps_offered\": 5000",
                          "\"flood_pps_reached\": 5000.0",
                          "\"synacks_seen\": 24990",
                          "\"legit_attempted\": 100",
                          "\"legit_succeeded\": 99",
                          "\"legit_failed\": 1",
                          "\"no_synack\": 1",
                          "\"connect_p50_us\": 80",
                          "\"connect_p99_us\": 120",
                          "\"connect_max_us\": 120",
                          "\"connect_no_stall_count\": 1",
                          "\"connect_no_stall_p99_us\": 80",
                          "\"connect_no_stall_max_us\": 80",
                          "\"request_p99_us\": null",
                          "\"ceiling_pps\": null",
                          "\"legit_tx_ring_full\": 0",
                          "\"step\": 0",
                          "\"flood_tx_budget\": true",
                          "\"flood_kind\": \"syn\"",
                          "\"rsts_seen\": 0"}) {
    EXPECT_NE(j.find(key), std::string::npos) << key << "\n" << j;
  }
  EXPECT_TRUE(j.starts_with("{\n      \"scenario\""));
  EXPECT_TRUE(j.ends_with("\n    }"));
  EXPECT_EQ(j.find(",\n    }"), std::string::npos);
}

TEST(Report, Document_OneObjectPerStepInOrder) {
  std::vector<FloodReport> steps(2);
  steps[0].flood_pps_offered = 1000;
  steps[1].step = 1;
  steps[1].flood_max = true;
  steps[1].ceiling_pps = 2'000'000;
  const std::string j = ToJson(steps);
  EXPECT_TRUE(j.starts_with("{\n  \"tool\": \"tern-flood\",\n  \"steps\": [\n"))
      << j;
  EXPECT_TRUE(j.ends_with("\n    }\n  ]\n}\n")) << j;
  const size_t first = j.find("\"flood_pps_offered\": 1000");
  const size_t second = j.find("\"flood_pps_offered\": \"max\"");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_NE(j.find("\"step\": 1"), std::string::npos);
  EXPECT_NE(j.find("\"ceiling_pps\": 2000000.0"), std::string::npos);
  EXPECT_EQ(ToJson({}), "{\n  \"tool\": \"tern-flood\",\n  \"steps\": []\n}\n");
}

TEST(TxBudget, Refusal_PausesThenFullBursts) {
  TxBudget b(32, Duration::Micros(50));
  const Instant t0 = Instant::FromNanos(1'000'000);
  EXPECT_EQ(b.Allow(t0), 32);
  b.Account(32, 32, t0);  // taken in full: no pause
  EXPECT_EQ(b.Allow(t0 + Duration::Nanos(1)), 32);
  b.Account(32, 5, t0);  // refused in part
  EXPECT_EQ(b.refusals(), 1u);
  EXPECT_EQ(b.Allow(t0), 0);
  EXPECT_EQ(b.Allow(t0 + Duration::Micros(49)), 0);
  EXPECT_EQ(b.Allow(t0 + Duration::Micros(50)), 32);
  b.Account(0, 0, t0 + Duration::Micros(60));  // nothing offered: no signal
  EXPECT_EQ(b.Allow(t0 + Duration::Micros(60)), 32);
}

TEST(SynRetransmitCounts, Record_BucketsZeroOneTwoThreeOrMore_ExactMean) {
  SynRetransmitCounts c;
  EXPECT_EQ(c.connections(), 0u);
  EXPECT_FALSE(c.mean().has_value());
  for (uint32_t n : {0u, 0u, 0u, 1u, 2u, 3u, 6u}) {
    c.Record(n);
  }
  EXPECT_EQ(c.buckets[0], 3u);
  EXPECT_EQ(c.buckets[1], 1u);
  EXPECT_EQ(c.buckets[2], 1u);
  EXPECT_EQ(c.buckets[3], 2u);  // 3 and 6 share the last bucket
  EXPECT_EQ(c.connections(), 7u);
  EXPECT_EQ(c.sum, 12u);  // the 6 counts as 6, not as 3
  ASSERT_TRUE(c.mean().has_value());
  EXPECT_DOUBLE_EQ(*c.mean(), 12.0 / 7.0);
}

TEST(Report, SynRetransmits_HistogramAndMeanInJson) {
  FloodReport r;
  EXPECT_NE(StepJson(r).find("\"legit_syn_retransmits\": {\"0\": 0, \"1\": 0, "
                             "\"2\": 0, \"3+\": 0, \"mean\": null}"),
            std::string::npos)
      << StepJson(r);
  r.legit_syn_retransmits.Record(0);
  r.legit_syn_retransmits.Record(1);
  r.legit_syn_retransmits.Record(1);
  r.legit_syn_retransmits.Record(4);
  r.engine_syn_retransmits = 9;
  const std::string j = StepJson(r);
  EXPECT_NE(j.find("\"legit_syn_retransmits\": {\"0\": 1, \"1\": 2, \"2\": 0, "
                   "\"3+\": 1, \"mean\": 1.5000}"),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"engine_syn_retransmits\": 9"), std::string::npos) << j;
}

TEST(Report, LoopStalls_CountTotalLongestInMicroseconds) {
  FloodReport r;
  EXPECT_NE(StepJson(r).find("\"loop_stalls\": 0,\n      "
                             "\"loop_stall_total_us\": 0,\n      "
                             "\"loop_stall_max_us\": 0"),
            std::string::npos);
  r.loop_stalls.Record(Duration::Micros(1500));
  r.loop_stalls.Record(Duration::Micros(4200));
  r.loop_stalls.Record(Duration::Micros(1000));
  const std::string j = StepJson(r);
  EXPECT_NE(j.find("\"loop_stalls\": 3,\n      "
                   "\"loop_stall_total_us\": 6700,\n      "
                   "\"loop_stall_max_us\": 4200"),
            std::string::npos)
      << j;
  r.loop_yields = 12345;
  EXPECT_NE(StepJson(r).find("\"loop_stall_max_us\": 4200,\n      "
                             "\"loop_yields\": 12345"),
            std::string::npos)
      << StepJson(r);
}

TEST(Report, FloodMax_OfferedIsMax) {
  FloodReport r;
  r.flood_max = true;
  EXPECT_NE(StepJson(r).find("\"flood_pps_offered\": \"max\""),
            std::string::npos);
  EXPECT_NE(StepJson(r).find("\"legit_success_ratio\": null"),
            std::string::npos);
}

// The template's frames are the general emitters' frames, byte for byte, for
// every kind with and without SYN options, on random draws over a narrow and
// a wide spoof range; and they parse, checksums verified, to what the draw
// and the kind say.
TEST(SegmentBuilder, WriteEqualsTheGeneralEmittersAndParses) {
  const wire::MacAddr src_mac{{0x02, 0, 0, 0, 0x0e, 0x02}};
  const wire::MacAddr dst_mac{{0x02, 0, 0, 0, 0x0e, 0x01}};
  std::mt19937_64 rng(14);
  size_t checked = 0;
  for (const FloodKind kind :
       {FloodKind::kSyn, FloodKind::kAck, FloodKind::kRst, FloodKind::kFin,
        FloodKind::kData}) {
    for (const bool syn_options : {true, false}) {
      for (const char* range : {"198.19.0.0/16", "198.18.128.0/30"}) {
        absl::StatusOr<FloodOptions> o =
            Parse(With({"--spoof-range", range, "--spoof-ports", "1024-1100",
                        "--target-port", "8080"}));
        ASSERT_TRUE(o.ok()) << o.status();
        o->kind = kind;
        o->syn_options = syn_options;
        const SegmentBuilder b(*o, src_mac, dst_mac);
        for (int i = 0; i < 2000; ++i) {
          const FloodDraw d = FloodDraw::From(rng(), rng(), *o);
          std::vector<uint8_t> fast(SegmentBuilder::kMaxFrameLen, 0xee);
          std::vector<uint8_t> general(SegmentBuilder::kMaxFrameLen, 0xee);
          b.Write(fast.data(), d);
          b.WriteGeneral(general.data(), d);
          fast.resize(b.frame_len());
          general.resize(b.frame_len());
          ASSERT_EQ(fast, general)
              << "kind " << static_cast<int>(kind) << " draw " << i;
          // What the frame says.
          wire::EthernetRepr eth;
          size_t eth_len = 0;
          ASSERT_EQ(wire::EthernetRepr::Parse(fast, &eth, &eth_len),
                    wire::WireError::kOk);
          EXPECT_EQ(eth.src, src_mac);
          EXPECT_EQ(eth.dst, dst_mac);
          wire::Ipv4Repr ip;
          std::span<const uint8_t> l4;
          ASSERT_EQ(wire::Ipv4Repr::Parse(std::span(fast).subspan(eth_len),
                                          wire::Ipv4Repr::Checksum::kVerify,
                                          &ip, &l4),
                    wire::WireError::kOk);
          EXPECT_EQ(ip.src, d.src);
          EXPECT_TRUE(o->spoof_range.Contains(ip.src));
          EXPECT_EQ(ip.dst, o->target);
          EXPECT_EQ(ip.id, d.ip_id);
          wire::TcpRepr tcp;
          ASSERT_EQ(
              wire::TcpRepr::Parse(l4, ip.src, ip.dst,
                                   wire::TcpRepr::Checksum::kVerify, &tcp),
              wire::WireError::kOk);
          EXPECT_EQ(tcp.src_port, d.src_port);
          EXPECT_GE(tcp.src_port, 1024);
          EXPECT_LE(tcp.src_port, 1100);
          EXPECT_EQ(tcp.dst_port, 8080);
          EXPECT_EQ(tcp.seq.raw(), d.seq);
          const bool has_ack = kind == FloodKind::kAck ||
                               kind == FloodKind::kFin ||
                               kind == FloodKind::kData;
          EXPECT_EQ(tcp.Has(wire::tcp_flags::kAck), has_ack);
          EXPECT_EQ(tcp.ack.raw(), has_ack ? d.ack : 0u);
          const bool ts = kind == FloodKind::kSyn && syn_options;
          ASSERT_EQ(tcp.options.timestamps.has_value(), ts);
          if (ts) {
            EXPECT_EQ(tcp.options.timestamps->tsval, d.tsval);
            EXPECT_EQ(tcp.options.mss, uint16_t{1460});
            EXPECT_EQ(tcp.options.window_scale, uint8_t{7});
          }
          EXPECT_EQ(tcp.payload.size(), kind == FloodKind::kData ? 1u : 0u);
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 5u * 2 * 2 * 2000);
}

}  // namespace
}  // namespace tern::flood
