#include "lib/port/ethdev_port.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "lib/base/dcheck.h"
#include "lib/port/log.h"

namespace tern::port {
namespace {

// Per-lcore mbuf cache of the pool: at most RTE_MEMPOOL_CACHE_MAX_SIZE (512);
// 256 is MEMPOOL_CACHE_SIZE of DPDK's examples/l3fwd.
constexpr unsigned kMempoolCache = 256;

absl::Status DpdkError(absl::StatusCode code, absl::string_view call,
                       absl::string_view port, int rc) {
  // ethdev calls return -errno; mempool calls set rte_errno and return NULL.
  const int e = rc < 0 ? -rc : rte_errno;
  return absl::Status(code, absl::StrCat(call, " failed for port ", port, ": ",
                                         rte_strerror(e), " (errno ", e, ")"));
}

}  // namespace

EthdevPort::EthdevPort(const EthdevPortOptions& options, PortCounters* counters)
    : options_(options), counters_(counters) {}

absl::StatusOr<std::unique_ptr<EthdevPort>> EthdevPort::Create(
    const EthdevPortOptions& options, PortCounters* counters) {
  if (counters == nullptr) {
    return absl::InvalidArgumentError("EthdevPort::Create: counters is null");
  }
  if (options.burst == 0 || options.rx_ring == 0 || options.tx_ring == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EthdevPort::Create: port ", options.name,
                     ": burst, rx_ring and tx_ring must be positive"));
  }
  const uint64_t needed =
      uint64_t{options.rx_ring} + options.tx_ring + 2 * uint64_t{options.burst};
  if (options.mbufs < needed) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EthdevPort::Create: port ", options.name, ": ", options.mbufs,
        " mbufs cannot fill an RX ring of ", options.rx_ring,
        " and a TX ring of ", options.tx_ring, " plus two bursts of ",
        options.burst, "; need at least ", needed));
  }
  // new, not make_unique: the constructor is private.
  std::unique_ptr<EthdevPort> port(new EthdevPort(options, counters));
  if (absl::Status s = port->Setup(); !s.ok()) {
    return s;
  }
  return port;
}

absl::Status EthdevPort::Setup() {
  const std::string& name = options_.name;
  if (int rc = rte_eth_dev_get_port_by_name(name.c_str(), &port_id_); rc != 0) {
    return absl::NotFoundError(absl::StrCat(
        "rte_eth_dev_get_port_by_name: no DPDK port named \"", name, "\" (",
        rte_strerror(-rc), "); ", rte_eth_dev_count_avail(),
        " port(s) available; is the device in the EAL args (--vdev=", name,
        ",...)?"));
  }

  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(port_id_, &info); rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_dev_info_get", name,
                     rc);
  }

  const int socket = rte_eth_dev_socket_id(port_id_);
  const unsigned socket_id = socket < 0 ? static_cast<unsigned>(SOCKET_ID_ANY)
                                        : static_cast<unsigned>(socket);
  const std::string pool_name = absl::StrCat("tern_pool_", port_id_);
  pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), options_.mbufs,
                                  kMempoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  static_cast<int>(socket_id));
  if (pool_ == nullptr) {
    return DpdkError(
        absl::StatusCode::kResourceExhausted,
        absl::StrCat("rte_pktmbuf_pool_create(", options_.mbufs, " mbufs)"),
        name, 0);
  }

  // Default configuration: no offloads, no RSS (one queue), so every driver,
  // virtual ones included, accepts it.
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  if (int rc = rte_eth_dev_configure(port_id_, 1, 1, &conf); rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_dev_configure", name,
                     rc);
  }
  configured_ = true;

  uint16_t rx_desc = options_.rx_ring;
  uint16_t tx_desc = options_.tx_ring;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id_, &rx_desc, &tx_desc);
      rc != 0) {
    return DpdkError(absl::StatusCode::kInvalidArgument,
                     "rte_eth_dev_adjust_nb_rx_tx_desc", name, rc);
  }
  if (rx_desc != options_.rx_ring || tx_desc != options_.tx_ring) {
    Log(RTE_LOG_NOTICE,
        "port %s: driver %s adjusted rings to rx=%u tx=%u (asked %u/%u)",
        name.c_str(), info.driver_name, rx_desc, tx_desc, options_.rx_ring,
        options_.tx_ring);
  }

  if (int rc = rte_eth_rx_queue_setup(port_id_, 0, rx_desc, socket_id,
                                      /*rx_conf=*/nullptr, pool_);
      rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_rx_queue_setup",
                     name, rc);
  }
  if (int rc = rte_eth_tx_queue_setup(port_id_, 0, tx_desc, socket_id,
                                      /*tx_conf=*/nullptr);
      rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_tx_queue_setup",
                     name, rc);
  }

  tx_buffer_ = static_cast<rte_eth_dev_tx_buffer*>(rte_zmalloc_socket(
      "tern_tx_buffer", RTE_ETH_TX_BUFFER_SIZE(options_.burst), 0,
      static_cast<int>(socket_id)));
  if (tx_buffer_ == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("rte_zmalloc_socket(tx buffer) failed for port ", name));
  }
  if (int rc = rte_eth_tx_buffer_init(tx_buffer_, options_.burst); rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_tx_buffer_init",
                     name, rc);
  }
  if (int rc =
          rte_eth_tx_buffer_set_err_callback(tx_buffer_, &OnTxUnsent, this);
      rc != 0) {
    return DpdkError(absl::StatusCode::kInternal,
                     "rte_eth_tx_buffer_set_err_callback", name, rc);
  }

  if (int rc = rte_eth_dev_start(port_id_); rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_dev_start", name,
                     rc);
  }
  started_ = true;

  rte_ether_addr addr;
  if (int rc = rte_eth_macaddr_get(port_id_, &addr); rc != 0) {
    return DpdkError(absl::StatusCode::kInternal, "rte_eth_macaddr_get", name,
                     rc);
  }
  std::memcpy(mac_.octets.data(), addr.addr_bytes, mac_.octets.size());

  Log(RTE_LOG_INFO,
      "port %s (id %u, driver %s) started: mac %s, rx ring %u, tx ring %u, "
      "burst %u, %u mbufs",
      name.c_str(), port_id_, info.driver_name, mac_.ToString().c_str(),
      rx_desc, tx_desc, options_.burst, options_.mbufs);
  return absl::OkStatus();
}

EthdevPort::~EthdevPort() {
  if (tx_buffer_ != nullptr && started_) {
    Flush();
  }
  if (started_) {
    if (int rc = rte_eth_dev_stop(port_id_); rc != 0) {
      Log(RTE_LOG_WARNING, "port %s: rte_eth_dev_stop: %s",
          options_.name.c_str(), rte_strerror(-rc));
    }
  }
  if (configured_) {
    // Closing releases the queues, which hold mbufs of pool_; it must come
    // before the pool is freed.
    if (int rc = rte_eth_dev_close(port_id_); rc != 0) {
      Log(RTE_LOG_WARNING, "port %s: rte_eth_dev_close: %s",
          options_.name.c_str(), rte_strerror(-rc));
    }
  }
  rte_free(tx_buffer_);
  rte_mempool_free(pool_);
}

uint16_t EthdevPort::RxBurst(rte_mbuf** pkts, uint16_t n) {
  const uint16_t want = n < options_.burst ? n : options_.burst;
  const uint16_t got = rte_eth_rx_burst(port_id_, 0, pkts, want);
  counters_->rx_packets.Add(got);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < got; ++i) {
    bytes += rte_pktmbuf_pkt_len(pkts[i]);
  }
  counters_->rx_bytes.Add(bytes);
  return got;
}

rte_mbuf* EthdevPort::AllocMbuf() {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) {
    counters_->drops.Inc(PortDrop::kNoMbuf);
  }
  return m;
}

void EthdevPort::Transmit(rte_mbuf* m) {
  TERN_DCHECK(m != nullptr);
  // Returns how many packets the driver accepted when the buffer filled up
  // and was flushed; the rest went to OnTxUnsent.
  const uint16_t sent = rte_eth_tx_buffer(port_id_, 0, tx_buffer_, m);
  counters_->tx_packets.Add(sent);
}

void EthdevPort::Flush() {
  const uint16_t sent = rte_eth_tx_buffer_flush(port_id_, 0, tx_buffer_);
  counters_->tx_packets.Add(sent);
}

void EthdevPort::Drain(Instant now) {
  if (now - last_drain_ < options_.drain_interval) {
    return;
  }
  last_drain_ = now;
  Flush();
}

void EthdevPort::OnTxUnsent(rte_mbuf** unsent, uint16_t count, void* self) {
  auto* port = static_cast<EthdevPort*>(self);
  port->counters_->tx_dropped_ring_full.Add(count);
  rte_pktmbuf_free_bulk(unsent, count);
}

}  // namespace tern::port
