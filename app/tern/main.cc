// tern: the terminator. Today it brings up one port and answers ARP and ping
// for its address (app/tern/responder.h); the TCP endpoint comes later.
//
// Exit status: 0 after a clean run (signal or --duration), 1 when EAL or the
// port cannot be set up, 2 for a bad command line or configuration.

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "app/config.h"
#include "app/tern/responder.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/log.h"
#include "lib/port/port_counters.h"

namespace tern::app {
namespace {

// Written by the signal handler, read by the loop once per iteration.
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

void OnSignal(int /*signo*/) {
  stop_requested.store(true, std::memory_order_relaxed);
}

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = &OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The receive, process, buffered transmit, timed drain loop. Runs until a
// signal or the deadline; returns a Status only for set-up failures.
absl::Status Run(const TernConfig& config, const CommandLine& cl) {
  port::PortCounters counters;
  port::EthdevPortOptions options;
  options.name = config.port.name;
  options.mbufs = config.port.mbufs;
  options.rx_ring = config.port.rx_ring;
  options.tx_ring = config.port.tx_ring;
  options.burst = config.port.burst;
  absl::StatusOr<std::unique_ptr<port::EthdevPort>> created =
      port::EthdevPort::Create(options, &counters);
  if (!created.ok()) {
    return created.status();
  }
  port::EthdevPort& eth = **created;
  absl::StatusOr<port::TscClock> clock = port::TscClock::Create();
  if (!clock.ok()) {
    return clock.status();
  }
  Responder responder(eth.mac(), config.ip.address, &counters);
  port::Log(RTE_LOG_INFO, "answering ARP and ping for %s/%u on %s (mac %s)",
            config.ip.address.ToString().c_str(), config.ip.prefix_len,
            eth.name().c_str(), eth.mac().ToString().c_str());

  const Instant deadline =
      cl.duration_seconds.has_value()
          ? clock->Now() + Duration::Seconds(*cl.duration_seconds)
          : Instant::Never();
  const uint32_t idle_sleep_us = config.port.idle_sleep_us;
  std::vector<rte_mbuf*> rx(eth.burst());

  while (!stop_requested.load(std::memory_order_relaxed)) {
    const Instant now = clock->Now();
    if (now >= deadline) {
      port::Log(RTE_LOG_INFO, "--duration of %u s reached",
                *cl.duration_seconds);
      break;
    }
    const uint16_t n = eth.RxBurst(rx.data(), eth.burst());
    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = rx[i];
      if (m->nb_segs != 1) {
        counters.drops.Inc(port::PortDrop::kMultiSegment);
        rte_pktmbuf_free(m);
        continue;
      }
      // The reply buffer is taken before looking at the request so that the
      // responder can write into it directly; the allocation comes from the
      // lcore's mempool cache and is returned at once when there is no reply.
      rte_mbuf* reply = eth.AllocMbuf();
      if (reply == nullptr) {
        rte_pktmbuf_free(m);
        continue;
      }
      const std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, uint8_t*),
                                           rte_pktmbuf_data_len(m));
      const std::span<uint8_t> out(rte_pktmbuf_mtod(reply, uint8_t*),
                                   rte_pktmbuf_tailroom(reply));
      const size_t len = responder.Respond(frame, out);
      rte_pktmbuf_free(m);
      if (len == 0) {
        rte_pktmbuf_free(reply);
        continue;
      }
      reply->data_len = static_cast<uint16_t>(len);
      reply->pkt_len = static_cast<uint32_t>(len);
      eth.Transmit(reply);
    }
    eth.Drain(now);
    if (n == 0 && idle_sleep_us != 0) {
      rte_delay_us_sleep(idle_sleep_us);
    }
  }
  eth.Flush();

  std::printf("tern counters (port %s, %s/%u):\n%s", eth.name().c_str(),
              config.ip.address.ToString().c_str(), config.ip.prefix_len,
              counters.Format(/*nonzero_only=*/false).c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  absl::StatusOr<CommandLine> cl = ParseCommandLine(
      std::span<const char* const>(argv, static_cast<size_t>(argc)));
  if (!cl.ok()) {
    port::Log(RTE_LOG_ERR, "%s", std::string(cl.status().message()).c_str());
    return 2;
  }
  if (cl->help) {
    std::fputs(UsageText(), stdout);
    return 0;
  }
  absl::StatusOr<TernConfig> config = LoadConfig(cl->config_path);
  if (!config.ok()) {
    port::Log(RTE_LOG_ERR, "%s",
              std::string(config.status().message()).c_str());
    return 2;
  }

  std::vector<std::string> eal_args = {argv[0]};
  eal_args.insert(eal_args.end(), config->eal_args.begin(),
                  config->eal_args.end());
  if (absl::Status s = port::InitEal(eal_args); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    return 1;
  }
  InstallSignalHandlers();

  int rc = 0;
  if (absl::Status s = Run(*config, *cl); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  if (absl::Status s = port::CleanupEal(); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  return rc;
}

}  // namespace
}  // namespace tern::app

int main(int argc, char** argv) { return tern::app::Main(argc, argv); }
