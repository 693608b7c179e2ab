// tern-reflect: the bare forwarding loop of issue 14's scenario 1, the
// ceiling against which tern's SYN-ACK rate is read (doc/flood.md).
//
// One port, one lcore, no TCP: each loop iteration receives a burst and
// sends every IPv4 frame straight back on the same port with its Ethernet
// and IPv4 addresses swapped (the header and TCP checksums cover the
// addresses as sums, so a swap leaves them valid), as DPDK's l2fwd forwards
// with its MAC rewrite; other frames (ARP) are freed. It does the least
// work a responder can do per packet, so tern-flood's reply rate against
// it is what the link and the generator carry, and tern's reply rate over
// the same link is read against it.
//
// After an empty receive burst it sleeps 10 us, as tern does with
// idle_sleep_us: net_memif's server tears its rings down in its interrupt
// thread when the client leaves, and a loop busy-polling them at that
// moment crashed (DPDK 22.11); tern-flood goes quiet before it leaves.
//
// With --yield-every-us N it also sleeps at least --yield-us (default 50,
// at most 500) in every N us, its idle sleeps counting towards it
// (port::DutyYield, as tern's [port] yield_every_us and tern-flood's
// --yield-every-us), so that the three loops share a machine the same way.
//
// Usage: tern-reflect [EAL args] -- --port NAME [--mac MAC] [--duration S]
//          [--yield-every-us N] [--yield-us N]
// Runs until SIGINT or SIGTERM (or --duration seconds), then prints its
// totals: "tern-reflect: rx N tx N tx_full N other N yields N".
// Exit status: 0 after the run, 1 when EAL or the port cannot be set up, 2
// for a bad command line.

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "lib/port/clock.h"
#include "lib/port/eal.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/lcore_loop.h"
#include "lib/port/log.h"
#include "lib/port/signals.h"
#include "lib/wire/ipv4.h"

namespace tern::reflect {
namespace {

// The EtherType's offset in an untagged Ethernet frame (IEEE 802.3:
// destination, source, EtherType).
constexpr size_t kEthType = 12;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
// A burst as DPDK's examples take one (MAX_PKT_BURST in l3fwd.h).
constexpr uint16_t kBurst = 32;
constexpr unsigned kIdleSleepUs = 10;

struct Options {
  std::vector<std::string> eal_args;
  std::string port;
  std::optional<wire::MacAddr> mac;
  uint32_t duration_s = 0;      // 0: until a signal
  uint32_t yield_every_us = 0;  // 0: never
  uint32_t yield_us = 50;
};

int Usage(const char* why) {
  std::fprintf(stderr,
               "tern-reflect: %s\nusage: tern-reflect [EAL args] -- --port "
               "NAME [--mac MAC] [--duration S] [--yield-every-us N] "
               "[--yield-us N]\n",
               why);
  return 2;
}

// Swaps the Ethernet addresses and, in an IPv4 frame, the IPv4 addresses;
// false for frames it does not reflect.
bool Reflect(rte_mbuf* m) {
  auto* p = rte_pktmbuf_mtod(m, uint8_t*);
  const size_t len = rte_pktmbuf_data_len(m);
  if (len < wire::kReflectableFrameLen ||
      ((p[kEthType] << 8) | p[kEthType + 1]) != kEtherTypeIpv4) {
    return false;
  }
  wire::SwapFrameAddresses({p, len});
  return true;
}

int Main(int argc, char** argv) {
  Options o;
  int first = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      first = i + 1;
      break;
    }
    o.eal_args.emplace_back(argv[i]);
  }
  for (int i = first; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      return Usage("a flag needs a value");
    }
    const std::string_view v = argv[++i];
    if (flag == "--port") {
      o.port = std::string(v);
    } else if (flag == "--mac") {
      o.mac = wire::MacAddr::FromString(v);
      if (!o.mac.has_value() || o.mac->IsMulticast()) {
        return Usage("--mac: not a unicast MAC address");
      }
    } else if (flag == "--duration") {
      if (!absl::SimpleAtoi(absl::string_view(v.data(), v.size()),
                            &o.duration_s)) {
        return Usage("--duration: not a number of seconds");
      }
    } else if (flag == "--yield-every-us") {
      if (!absl::SimpleAtoi(absl::string_view(v.data(), v.size()),
                            &o.yield_every_us) ||
          o.yield_every_us > 1'000'000) {
        return Usage("--yield-every-us: not 0 to 1000000 microseconds");
      }
    } else if (flag == "--yield-us") {
      if (!absl::SimpleAtoi(absl::string_view(v.data(), v.size()),
                            &o.yield_us) ||
          o.yield_us < 1 || o.yield_us > port::kMaxYieldSleep.ToMicros()) {
        return Usage("--yield-us: not 1 to 500 microseconds");
      }
    } else {
      return Usage("unknown flag");
    }
  }
  if (o.port.empty()) {
    return Usage("--port is required");
  }
  if (o.yield_every_us != 0 && o.yield_us >= o.yield_every_us) {
    return Usage("--yield-us: not less than --yield-every-us");
  }
  std::vector<std::string> eal = {argv[0]};
  eal.insert(eal.end(), o.eal_args.begin(), o.eal_args.end());
  if (absl::Status s = port::InitEal(eal); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    return 1;
  }
  port::InstallStopSignals();
  int rc = 0;
  {
    port::PortCounters counters;
    port::EthdevPortOptions po;
    po.name = o.port;
    po.mac = o.mac;
    absl::StatusOr<std::unique_ptr<port::EthdevPort>> eth =
        port::EthdevPort::Create(po, &counters);
    absl::StatusOr<port::TscClock> clock = port::TscClock::Create();
    if (!eth.ok() || !clock.ok()) {
      port::Log(RTE_LOG_ERR, "%s",
                (!eth.ok() ? eth.status() : clock.status()).ToString().c_str());
      rc = 1;
    } else {
      port::Log(RTE_LOG_INFO, "tern-reflect: reflecting on %s (mac %s)",
                (*eth)->name().c_str(), (*eth)->mac().ToString().c_str());
      const Instant end = o.duration_s == 0
                              ? Instant::Never()
                              : clock->Now() + Duration::Seconds(o.duration_s);
      uint64_t rx = 0;
      uint64_t tx = 0;
      uint64_t tx_full = 0;
      uint64_t other = 0;
      uint64_t yields = 0;
      rte_mbuf* pkts[kBurst];
      const uint16_t port_id = (*eth)->port_id();
      port::DutyYield yield(Duration::Micros(o.yield_every_us),
                            Duration::Micros(o.yield_us), clock->Now());
      for (Instant now = clock->Now();
           !port::StopFlag().load(std::memory_order_relaxed) && now < end;
           now = clock->Now()) {
        const uint16_t n = (*eth)->RxBurst(pkts, kBurst);
        if (n == 0) {
          rte_delay_us_sleep(kIdleSleepUs);
          yield.NoteSleep(now, Duration::Micros(kIdleSleepUs));
          continue;
        }
        rx += n;
        uint16_t k = 0;
        for (uint16_t i = 0; i < n; ++i) {
          if (Reflect(pkts[i])) {
            pkts[k++] = pkts[i];
          } else {
            rte_pktmbuf_free(pkts[i]);
            ++other;
          }
        }
        const uint16_t sent = rte_eth_tx_burst(port_id, 0, pkts, k);
        if (sent < k) {
          rte_pktmbuf_free_bulk(pkts + sent, k - sent);
          tx_full += k - sent;
        }
        tx += sent;
        // Nothing is buffered: every burst went to the driver above.
        yields += yield.Tick(now) ? 1 : 0;
      }
      std::printf(
          "tern-reflect: rx %llu tx %llu tx_full %llu other %llu yields %llu\n",
          static_cast<unsigned long long>(rx),
          static_cast<unsigned long long>(tx),
          static_cast<unsigned long long>(tx_full),
          static_cast<unsigned long long>(other),
          static_cast<unsigned long long>(yields));
      std::fflush(stdout);
    }
  }
  if (absl::Status s = port::CleanupEal(); !s.ok()) {
    port::Log(RTE_LOG_ERR, "%s", s.ToString().c_str());
    rc = 1;
  }
  return rc;
}

}  // namespace
}  // namespace tern::reflect

int main(int argc, char** argv) { return tern::reflect::Main(argc, argv); }
