#include "app/tern/telemetry.h"

#include <rte_telemetry.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "lib/tcp/connection.h"
#include "lib/tcp/stats.h"

namespace tern::app {
namespace {

// Debian's abseil has its own string_view type, not std::string_view.
absl::string_view SV(std::string_view v) { return {v.data(), v.size()}; }

void VisitListener(const tcp::ListenerStats& l, std::string_view prefix,
                   const CounterVisitor& visit) {
  auto v = [&](std::string_view name, const Counter& c) {
    visit(absl::StrCat(SV(prefix), SV(name)), c.Get());
  };
  v("syns_received", l.syns_received);
  v("synacks_sent", l.synacks_sent);
  v("syn_queue_overflows", l.syn_queue_overflows);
  v("cookies_sent", l.cookies_sent);
  v("cookies_validated", l.cookies_validated);
  v("cookies_rejected_bad_mac", l.cookies_rejected_bad_mac);
  v("cookies_rejected_expired", l.cookies_rejected_expired);
  v("cookies_rejected_bad_mss_index", l.cookies_rejected_bad_mss_index);
  v("cookie_mode_entered", l.cookie_mode_entered);
  v("cookie_mode_left", l.cookie_mode_left);
  v("accept_overflows", l.accept_overflows);
  v("accept_overflow_resets", l.accept_overflow_resets);
}

// Telemetry state: written by the main thread at start and end, read by
// DPDK's telemetry thread; a mutex because both are control plane.
std::mutex telemetry_mu;
std::vector<const TelemetrySource*>* telemetry_sources = nullptr;
bool telemetry_registered = false;

int AddSums(const std::vector<const TelemetrySource*>& sources, int engine,
            rte_tel_data* d) {
  std::map<std::string, uint64_t> sums;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (engine >= 0 && static_cast<size_t>(engine) != i) {
      continue;
    }
    ForEachCounter(*sources[i], [&](std::string_view n, uint64_t v) {
      sums[std::string(n)] += v;
    });
  }
  rte_tel_data_start_dict(d);
  // Telemetry names allow no '.', so "tcp.passive_opens" becomes
  // {"tcp": {"passive_opens": n}}: one nested dictionary per prefix.
  // Dictionaries hold at most RTE_TEL_MAX_DICT_ENTRIES: zero counters are
  // left out so every non-zero one fits.
  std::map<std::string, rte_tel_data*> groups;
  for (const auto& [name, value] : sums) {
    if (value == 0) {
      continue;
    }
    const size_t dot = name.find('.');
    if (dot == std::string::npos) {
      rte_tel_data_add_dict_u64(d, name.c_str(), value);
      continue;
    }
    rte_tel_data*& g = groups[name.substr(0, dot)];
    if (g == nullptr) {
      g = rte_tel_data_alloc();
      if (g == nullptr) {
        continue;
      }
      rte_tel_data_start_dict(g);
    }
    // "engine0.tcp.x" keeps its second dot; replace it too.
    std::string key = name.substr(dot + 1);
    for (char& c : key) {
      c = c == '.' ? '_' : c;
    }
    rte_tel_data_add_dict_u64(g, key.c_str(), value);
  }
  for (const auto& [group, g] : groups) {
    // keep_data = 0: the container is freed with `d`.
    rte_tel_data_add_dict_container(d, group.c_str(), g, 0);
  }
  return 0;
}

int CmdStats(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(telemetry_mu);
  if (telemetry_sources == nullptr) {
    rte_tel_data_start_dict(d);
    return 0;
  }
  int engine = -1;
  if (params != nullptr && *params != '\0') {
    char* end = nullptr;
    const long v = std::strtol(params, &end, 10);
    if (*end != '\0' || v < 0 ||
        static_cast<size_t>(v) >= telemetry_sources->size()) {
      return -1;  // DPDK answers null for a bad parameter
    }
    engine = static_cast<int>(v);
  }
  return AddSums(*telemetry_sources, engine, d);
}

int CmdEngines(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(telemetry_mu);
  rte_tel_data_start_dict(d);
  if (telemetry_sources == nullptr) {
    return 0;
  }
  rte_tel_data_add_dict_u64(d, "engines", telemetry_sources->size());
  for (size_t i = 0; i < telemetry_sources->size(); ++i) {
    const TelemetrySource& s = *(*telemetry_sources)[i];
    const std::string p = absl::StrCat("engine", i, "_");
    rte_tel_data_add_dict_u64(d, (p + "connections").c_str(),
                              s.gauges->connections.load());
    rte_tel_data_add_dict_u64(d, (p + "time_wait").c_str(),
                              s.gauges->time_wait.load());
    rte_tel_data_add_dict_u64(d, (p + "half_open").c_str(),
                              s.gauges->half_open.load());
    rte_tel_data_add_dict_u64(d, (p + "accepted").c_str(),
                              s.host->stats().accepted.Get());
  }
  return 0;
}

int CmdListeners(const char*, const char*, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(telemetry_mu);
  rte_tel_data_start_dict(d);
  if (telemetry_sources == nullptr || telemetry_sources->empty()) {
    return 0;
  }
  // Summed over engines, per service (listener) in registration order.
  std::map<std::string, uint64_t> sums;
  for (const TelemetrySource* s : *telemetry_sources) {
    for (size_t i = 0; i < s->host->service_count(); ++i) {
      const std::string prefix =
          absl::StrCat("l", i, "_", SV(s->host->service(i).name()), "_");
      const tcp::ListenerStats* ls =
          s->engine->endpoint().listener_stats(s->host->service_listener(i));
      if (ls != nullptr) {
        VisitListener(*ls, prefix, [&](std::string_view n, uint64_t v) {
          sums[std::string(n)] += v;
        });
      }
      sums[prefix + "accepted"] += s->host->service_stats(i).accepted.Get();
      sums[prefix + "open"] += s->host->service_stats(i).open();
    }
  }
  for (const auto& [name, value] : sums) {
    rte_tel_data_add_dict_u64(d, name.c_str(), value);
  }
  return 0;
}

int CmdConnections(const char*, const char* params, rte_tel_data* d) {
  std::lock_guard<std::mutex> lock(telemetry_mu);
  rte_tel_data_start_dict(d);
  if (telemetry_sources == nullptr) {
    return 0;
  }
  const std::vector<const TelemetrySource*>& sources = *telemetry_sources;
  size_t first = 0;
  size_t last = sources.size();
  if (params != nullptr && *params != '\0') {
    char* end = nullptr;
    const long v = std::strtol(params, &end, 10);
    if (*end != '\0' || v < 0 || static_cast<size_t>(v) >= sources.size()) {
      return -1;
    }
    first = static_cast<size_t>(v);
    last = first + 1;
  }
  for (size_t i = first; i < last; ++i) {
    // The gauges live in the app's per-lcore object; the telemetry thread
    // only asks and then reads what the lcore published.
    auto* dump = const_cast<ConnDump*>(&sources[i]->gauges->dump);
    const uint32_t seq = dump->request.load(std::memory_order_relaxed) + 1;
    dump->request.store(seq, std::memory_order_release);
    // The lcore answers within one loop iteration; 500 ms covers an idle
    // loop that sleeps between bursts and a stopping one that no longer
    // answers.
    bool answered = false;
    for (int waited = 0; waited < 500; ++waited) {
      if (dump->done.load(std::memory_order_acquire) == seq) {
        answered = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::string p = absl::StrCat("engine", i, "_");
    if (!answered) {
      rte_tel_data_add_dict_string(d, (p + "error").c_str(),
                                   "engine did not answer");
      continue;
    }
    rte_tel_data_add_dict_u64(d, (p + "connections").c_str(), dump->total);
    for (size_t r = 0; r < dump->rows_used; ++r) {
      const ConnRow& row = dump->rows[r];
      rte_tel_data* c = rte_tel_data_alloc();
      if (c == nullptr) {
        break;
      }
      rte_tel_data_start_dict(c);
      rte_tel_data_add_dict_string(c, "state", tcp::ToString(row.state));
      rte_tel_data_add_dict_string(c, "local",
                                   absl::StrCat(row.tuple.local_addr.ToString(),
                                                ":", row.tuple.local_port)
                                       .c_str());
      rte_tel_data_add_dict_string(
          c, "remote",
          absl::StrCat(row.tuple.remote_addr.ToString(), ":",
                       row.tuple.remote_port)
              .c_str());
      rte_tel_data_add_dict_u64(c, "cwnd", row.cwnd);
      rte_tel_data_add_dict_u64(c, "mss", row.mss);
      rte_tel_data_add_dict_u64(c, "snd_wnd", row.snd_wnd);
      rte_tel_data_add_dict_u64(c, "unacked", row.unacked);
      rte_tel_data_add_dict_u64(c, "srtt_us",
                                static_cast<uint64_t>(row.srtt_us));
      rte_tel_data_add_dict_u64(c, "rttvar_us",
                                static_cast<uint64_t>(row.rttvar_us));
      rte_tel_data_add_dict_u64(c, "rto_ms", static_cast<uint64_t>(row.rto_ms));
      rte_tel_data_add_dict_u64(c, "backoff",
                                static_cast<uint64_t>(row.backoff));
      rte_tel_data_add_dict_u64(c, "send_queue", row.send_queue);
      rte_tel_data_add_dict_u64(c, "recv_queue", row.recv_queue);
      rte_tel_data_add_dict_u64(c, "snd_wscale", row.snd_wscale);
      rte_tel_data_add_dict_u64(c, "rcv_wscale", row.rcv_wscale);
      rte_tel_data_add_dict_u64(c, "timestamps", row.timestamps);
      rte_tel_data_add_dict_u64(c, "sack", row.sack);
      rte_tel_data_add_dict_container(d, absl::StrCat(p, "c", r).c_str(), c, 0);
    }
  }
  return 0;
}

}  // namespace

void ServeConnDump(const tcp::Endpoint& endpoint, ConnDump* dump) {
  const uint32_t want = dump->request.load(std::memory_order_acquire);
  if (want == dump->done.load(std::memory_order_relaxed)) {
    return;
  }
  dump->rows_used = 0;
  dump->total = endpoint.connection_count();
  const uint32_t slots =
      static_cast<uint32_t>(endpoint.config().max_connections);
  for (uint32_t i = 0; i < slots && dump->rows_used < ConnDump::kMaxRows; ++i) {
    const tcp::Connection* c = endpoint.ConnectionAt(i);
    if (c == nullptr) {
      continue;
    }
    const tcp::RttEstimator& rtt = c->rtt();
    ConnRow& r = dump->rows[dump->rows_used];
    r.state = c->state();
    r.tuple = c->tuple();
    r.cwnd = c->send_cwnd();
    r.mss = c->snd_mss();
    r.snd_wnd = c->snd_wnd();
    r.unacked = static_cast<uint32_t>(c->snd_nxt() - c->snd_una());
    r.srtt_us = rtt.srtt().ToMicros();
    r.rttvar_us = rtt.rttvar().ToMicros();
    r.rto_ms = rtt.rto(endpoint.config().rto).ToMillis();
    r.backoff = rtt.backoff();
    r.send_queue = c->send_queued();
    r.recv_queue = c->readable_bytes();
    r.snd_wscale = c->snd_wscale();
    r.rcv_wscale = c->rcv_wscale();
    r.timestamps = c->timestamps_enabled();
    r.sack = c->sack_enabled();
    ++dump->rows_used;
  }
  dump->done.store(want, std::memory_order_release);
}

void ForEachCounter(const TelemetrySource& s, const CounterVisitor& visit) {
  s.engine->counters().ForEach(visit);
  const port::ArpCounters& a = s.engine->arp_counters();
  visit("arp.requests_sent", a.requests_sent.Get());
  visit("arp.learned", a.learned.Get());
  visit("arp.resolved", a.resolved.Get());
  visit("arp.pending_queued", a.pending_queued.Get());
  visit("arp.pending_sent", a.pending_sent.Get());
  visit("arp.pending_dropped_full", a.pending_dropped_full.Get());
  visit("arp.pending_dropped_unresolved", a.pending_dropped_unresolved.Get());
  visit("arp.table_full", a.table_full.Get());

  auto fault = [&](std::string_view dir, const port::FaultCounters& f) {
    const std::string p = absl::StrCat("fault_", SV(dir), ".");
    visit(p + "dropped", f.dropped.Get());
    visit(p + "corrupted", f.corrupted.Get());
    visit(p + "duplicated", f.duplicated.Get());
    visit(p + "delayed", f.delayed.Get());
    visit(p + "reordered", f.reordered.Get());
    visit(p + "rate_dropped", f.rate_dropped.Get());
  };
  fault("rx", s.engine->rx_fault_counters());
  fault("tx", s.engine->tx_fault_counters());

  const tcp::EndpointStats& t = s.engine->endpoint().stats();
  auto v = [&](std::string_view name, const Counter& c) {
    visit(absl::StrCat("tcp.", SV(name)), c.Get());
  };
  v("segments_in", t.segments_in);
  v("segments_out", t.segments_out);
  v("rst_sent", t.rst_sent);
  v("challenge_acks", t.challenge_acks);
  v("challenge_acks_limited", t.challenge_acks_limited);
  v("oow_acks_limited", t.oow_acks_limited);
  v("rst_limited", t.rst_limited);
  v("sack_blocks_ignored", t.sack_blocks_ignored);
  v("sack_scoreboard_refused", t.sack_scoreboard_refused);
  v("buffer_reclaims", t.buffer_reclaims);
  v("send_queue_refused", t.send_queue_refused);
  v("keepalive_refused", t.keepalive_refused);
  v("retransmits", t.retransmits);
  v("fast_recoveries", t.fast_recoveries);
  v("rto_expiries", t.rto_expiries);
  v("syn_retransmits", t.syn_retransmits);
  v("synack_retransmits", t.synack_retransmits);
  v("active_opens", t.active_opens);
  v("passive_opens", t.passive_opens);
  v("conn_timeouts", t.conn_timeouts);
  v("conn_resets", t.conn_resets);
  v("time_wait_created", t.time_wait_created);
  v("time_wait_overflow", t.time_wait_overflow);
  v("time_wait_reopened", t.time_wait_reopened);
  v("time_wait_expired", t.time_wait_expired);
  v("keepalive_probes", t.keepalive_probes);
  v("keepalive_timeouts", t.keepalive_timeouts);
  v("fin_wait2_timeouts", t.fin_wait2_timeouts);
  v("synack_timeouts", t.synack_timeouts);
  v("icmp_errors_in", t.icmp_errors_in);
  v("icmp_soft_errors", t.icmp_soft_errors);
  v("icmp_aborts", t.icmp_aborts);
  v("pmtu_decreases", t.pmtu_decreases);
  v("shutdown_aborts", t.shutdown_aborts);
  v("predicted_acks", t.predicted_acks);
  v("predicted_data", t.predicted_data);
  VisitListener(t.listen, "listen.", visit);
  for (size_t i = 0; i < CounterArray<tcp::DropReason>::kSize; ++i) {
    const auto r = static_cast<tcp::DropReason>(i);
    visit(absl::StrCat("tcp_drop.", tcp::ToString(r)), t.drops.Get(r));
  }
  visit("conn.records", s.gauges->connections.load(std::memory_order_relaxed));
  visit("conn.time_wait", s.gauges->time_wait.load(std::memory_order_relaxed));
  visit("conn.half_open", s.gauges->half_open.load(std::memory_order_relaxed));
  visit("loop.busy_cycles", s.gauges->busy_cycles.Get());
  visit("loop.stalls", s.gauges->loop_stalls.Get());
  visit("loop.stalled_us", s.gauges->loop_stalled_us.Get());
  visit("loop.yields", s.gauges->loop_yields.Get());
  const HostStats& h = s.host->stats();
  visit("service.accepted", h.accepted.Get());
  visit("service.released", h.released.Get());
  visit("service.open", h.accepted.Get() - h.released.Get());
  visit("service.unknown_events", h.unknown_events.Get());
}

std::string FormatCounters(std::span<const TelemetrySource* const> sources,
                           bool nonzero_only) {
  std::vector<std::pair<std::string, uint64_t>> totals;
  std::map<std::string, size_t> index;
  std::string per_engine;
  for (size_t i = 0; i < sources.size(); ++i) {
    ForEachCounter(*sources[i], [&](std::string_view n, uint64_t v) {
      auto [it, inserted] = index.emplace(std::string(n), totals.size());
      if (inserted) {
        totals.emplace_back(std::string(n), 0);
      }
      totals[it->second].second += v;
      if (!nonzero_only || v != 0) {
        absl::StrAppend(&per_engine, "engine", i, ".", SV(n), " ", v, "\n");
      }
    });
  }
  std::string out;
  for (const auto& [name, value] : totals) {
    if (!nonzero_only || value != 0) {
      absl::StrAppend(&out, name, " ", value, "\n");
    }
  }
  return out + per_engine;
}

void RegisterTelemetry(std::vector<const TelemetrySource*> sources,
                       const port::EthdevPort* eth) {
  (void)eth;
  std::lock_guard<std::mutex> lock(telemetry_mu);
  delete telemetry_sources;
  telemetry_sources =
      new std::vector<const TelemetrySource*>(std::move(sources));
  if (!telemetry_registered) {
    telemetry_registered = true;
    rte_telemetry_register_cmd(
        "/tern/stats", &CmdStats,
        "tern counters, summed over engines (non-zero ones). Parameters: "
        "int engine (optional)");
    rte_telemetry_register_cmd(
        "/tern/engines", &CmdEngines,
        "tern engines: count, open connections, TIME-WAIT, half-open");
    rte_telemetry_register_cmd(
        "/tern/listeners", &CmdListeners,
        "tern listeners: SYN, cookie, accept and service counters");
    rte_telemetry_register_cmd(
        "/tern/connections", &CmdConnections,
        "tern connections like ss -tin (at most 64 per engine). Parameters: "
        "int engine (optional)");
  }
}

void UnregisterTelemetry() {
  std::lock_guard<std::mutex> lock(telemetry_mu);
  delete telemetry_sources;
  telemetry_sources = nullptr;
}

std::function<void(Instant)> MakeRatePrinter(
    std::vector<const TelemetrySource*> sources, Duration period) {
  struct Last {
    uint64_t rx = 0, tx = 0, accepted = 0, released = 0;
    Instant at;
    bool first = true;
  };
  auto last = std::make_shared<Last>();
  return [sources = std::move(sources), last, period](Instant now) {
    uint64_t rx = 0, tx = 0, accepted = 0, released = 0, open = 0, tw = 0;
    for (const TelemetrySource* s : sources) {
      rx += s->engine->counters().rx_packets.Get();
      tx += s->engine->counters().tx_packets.Get();
      accepted += s->host->stats().accepted.Get();
      released += s->host->stats().released.Get();
      open += s->gauges->connections.load(std::memory_order_relaxed);
      tw += s->gauges->time_wait.load(std::memory_order_relaxed);
    }
    const double secs =
        last->first ? static_cast<double>(period.ToNanos()) / 1e9
                    : static_cast<double>((now - last->at).ToNanos()) / 1e9;
    if (secs > 0) {
      std::printf(
          "stats: rx %.0f pps, tx %.0f pps, accepted %.0f/s, closed %.0f/s, "
          "open %llu, time-wait %llu\n",
          static_cast<double>(rx - last->rx) / secs,
          static_cast<double>(tx - last->tx) / secs,
          static_cast<double>(accepted - last->accepted) / secs,
          static_cast<double>(released - last->released) / secs,
          static_cast<unsigned long long>(open),
          static_cast<unsigned long long>(tw));
      std::fflush(stdout);
    }
    *last = Last{rx, tx, accepted, released, now, false};
  };
}

}  // namespace tern::app
