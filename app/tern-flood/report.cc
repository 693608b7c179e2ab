#include "app/tern-flood/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tern::flood {
namespace {

// RFC 8259 section 7: quote, backslash and control characters escaped.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Keys of a step are indented by four spaces: the step is an element of
// the document's "steps" array.
void Field(std::string* out, const char* key, const std::string& json_value) {
  absl::StrAppend(out, out->back() == '{' ? "\n      " : ",\n      ", "\"", key,
                  "\": ", json_value);
}

std::string Num(uint64_t v) { return absl::StrCat(v); }
std::string Rate(double v) { return absl::StrFormat("%.1f", v); }

void Latencies(std::string* out, const char* prefix, const Histogram& h) {
  const LatencySummary s = Summarize(h);
  const bool any = s.count > 0;
  // null, not 0, when nothing was measured: 0 us would read as "instant".
  auto us = [&](uint64_t ns) { return any ? Num(ns / 1000) : "null"; };
  Field(out, absl::StrCat(prefix, "_count").c_str(), Num(s.count));
  Field(out, absl::StrCat(prefix, "_p50_us").c_str(), us(s.p50));
  Field(out, absl::StrCat(prefix, "_p90_us").c_str(), us(s.p90));
  Field(out, absl::StrCat(prefix, "_p99_us").c_str(), us(s.p99));
  Field(out, absl::StrCat(prefix, "_p999_us").c_str(), us(s.p999));
  Field(out, absl::StrCat(prefix, "_max_us").c_str(), us(s.max));
}

}  // namespace

const char* ToString(LegitFailure f) {
  switch (f) {
    case LegitFailure::kNoSynAck:
      return "no_synack";
    case LegitFailure::kRst:
      return "rst";
    case LegitFailure::kTimeout:
      return "timeout";
    case LegitFailure::kBadResponse:
      return "bad_response";
    case LegitFailure::kConnectError:
      return "connect_error";
    case LegitFailure::kCount:
      break;
  }
  return "?";
}

std::string StepJson(const FloodReport& r) {
  std::string out = "{";
  Field(&out, "scenario", Quote(r.scenario));
  Field(&out, "stack", Quote(r.stack));
  Field(&out, "mode", Quote(r.mode));
  Field(&out, "step", Num(r.step));
  Field(&out, "duration_s", Rate(r.duration_s));
  Field(&out, "start_unix_s", absl::StrFormat("%.3f", r.start_unix_s));
  Field(&out, "end_unix_s", absl::StrFormat("%.3f", r.end_unix_s));
  Field(&out, "flood_pps_offered",
        r.flood_max ? "\"max\"" : Num(r.flood_pps_offered));
  Field(&out, "flood_kind", Quote(ToString(r.kind)));
  Field(&out, "flood_syn_options", r.syn_options ? "\"linux\"" : "\"none\"");
  Field(&out, "flood_tx_budget", r.tx_budget ? "true" : "false");
  Field(&out, "flood_sent", Num(r.flood_sent));
  Field(&out, "flood_pps_reached", Rate(r.flood_pps_reached));
  Field(&out, "flood_tx_full", Num(r.flood_tx_full));
  Field(&out, "flood_no_mbuf", Num(r.flood_no_mbuf));
  Field(&out, "synacks_seen", Num(r.synacks_seen));
  Field(&out, "rsts_seen", Num(r.rsts_seen));
  Field(&out, "spoofed_other_seen", Num(r.spoofed_other_seen));
  Field(&out, "replies_pps", Rate(r.replies_pps));
  Field(&out, "ceiling_pps",
        r.ceiling_pps.has_value() ? Rate(*r.ceiling_pps) : "null");
  Field(&out, "legit_rate", Rate(r.legit_rate));
  Field(&out, "legit_attempted", Num(r.legit_attempted));
  Field(&out, "legit_succeeded", Num(r.legit_succeeded));
  uint64_t failed = 0;
  std::string reasons = "{";
  for (size_t i = 0; i < static_cast<size_t>(LegitFailure::kCount); ++i) {
    failed += r.legit_failed[i];
    absl::StrAppend(&reasons, i == 0 ? "" : ", ", "\"",
                    ToString(static_cast<LegitFailure>(i)),
                    "\": ", r.legit_failed[i]);
  }
  reasons += "}";
  Field(&out, "legit_failed", Num(failed));
  Field(&out, "legit_failures", reasons);
  Field(&out, "legit_success_ratio",
        r.legit_attempted == 0
            ? "null"
            : absl::StrFormat("%.6f",
                              static_cast<double>(r.legit_succeeded) /
                                  static_cast<double>(r.legit_attempted)));
  const SynRetransmitCounts& rx = r.legit_syn_retransmits;
  const std::optional<double> mean = rx.mean();
  Field(&out, "legit_syn_retransmits",
        absl::StrCat("{\"0\": ", rx.buckets[0], ", \"1\": ", rx.buckets[1],
                     ", \"2\": ", rx.buckets[2], ", \"3+\": ", rx.buckets[3],
                     ", \"mean\": ",
                     mean.has_value() ? absl::StrFormat("%.4f", *mean)
                                      : std::string("null"),
                     "}"));
  Field(&out, "engine_syn_retransmits", Num(r.engine_syn_retransmits));
  Field(&out, "legit_tx_ring_full", Num(r.legit_tx_ring_full));
  Field(&out, "legit_tx_keep", r.tx_keep ? "true" : "false");
  Field(&out, "legit_tx_kept", Num(r.legit_tx_kept));
  Field(&out, "loop_stalls", Num(r.loop_stalls.count));
  Field(&out, "loop_stall_total_us",
        Num(static_cast<uint64_t>(r.loop_stalls.total.ToNanos() / 1000)));
  Field(&out, "loop_stall_max_us",
        Num(static_cast<uint64_t>(r.loop_stalls.longest.ToNanos() / 1000)));
  Field(&out, "loop_yields", Num(r.loop_yields));
  Latencies(&out, "connect", r.connect_ns);
  Latencies(&out, "connect_no_stall", r.connect_no_stall_ns);
  Latencies(&out, "request", r.request_ns);
  out += "\n    }";
  return out;
}

std::string ToJson(const std::vector<FloodReport>& steps) {
  std::string out = "{\n  \"tool\": \"tern-flood\",\n  \"steps\": [";
  for (size_t i = 0; i < steps.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "\n    " : ",\n    ", StepJson(steps[i]));
  }
  out += steps.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string ProgressLine(double t_s, double flood_pps, uint64_t synacks,
                         uint64_t legit_ok, uint64_t legit_done,
                         uint64_t connect_p99_ns) {
  return absl::StrFormat(
      "t=%.0fs flood %.0f pps synacks %d legit %d/%d ok connect p99 %d us", t_s,
      flood_pps, synacks, legit_ok, legit_done, connect_p99_ns / 1000);
}

}  // namespace tern::flood
