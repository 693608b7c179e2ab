#include "lib/port/ethdev_port.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_thash.h>

#include <algorithm>
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

// Toeplitz RSS keys are 40 bytes on most NICs (Intel, Mellanox); the key of
// repeated 0x6d5a makes the hash symmetric in source and destination
// (Woo and Park, "Scalable TCP Session Monitoring with Symmetric Receive-side
// Scaling", 2012).
constexpr size_t kSymmetricRssKeyLen = 40;

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
  if (options.burst == 0 || options.rx_ring == 0 || options.tx_ring == 0 ||
      options.queues == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("EthdevPort::Create: port ", options.name,
                     ": queues, burst, rx_ring and tx_ring must be positive"));
  }
  const uint64_t needed =
      uint64_t{options.queues} * (uint64_t{options.rx_ring} + options.tx_ring +
                                  2 * uint64_t{options.burst});
  if (options.mbufs < needed) {
    return absl::InvalidArgumentError(
        absl::StrCat("EthdevPort::Create: port ", options.name, ": ",
                     options.mbufs, " mbufs cannot fill ", options.queues,
                     " RX ring(s) of ", options.rx_ring, " and TX ring(s) of ",
                     options.tx_ring, " plus two bursts of ", options.burst,
                     " each; need at least ", needed));
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
  driver_ = info.driver_name != nullptr ? info.driver_name : "?";
  const uint16_t queues = options_.queues;
  if (queues > info.max_rx_queues || queues > info.max_tx_queues) {
    return absl::InvalidArgumentError(
        absl::StrCat("port ", name, " (driver ", driver_, ") has at most ",
                     info.max_rx_queues, " RX and ", info.max_tx_queues,
                     " TX queues; ", queues, " lcores need one pair each"));
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

  // Offloads: only what the driver offers.
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  if (options_.checksum_offload) {
    const uint64_t rx = info.rx_offload_capa;
    const uint64_t tx = info.tx_offload_capa;
    offloads_.rx_ipv4_cksum = (rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
    offloads_.rx_tcp_cksum = (rx & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
    offloads_.tx_ipv4_cksum = (tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
    offloads_.tx_tcp_cksum = (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) != 0;
    if (driver_ == "net_tap" && offloads_.tx_tcp_cksum) {
      // net_tap computes "offloaded" TCP checksums in software, and a
      // capture of its output showed 0xffff where 0x0000 was due, which
      // tshark flags as wrong (RFC 1624 section 3); found by the end-to-end
      // capture check. tern's own software checksum costs the same here.
      offloads_.tx_tcp_cksum = false;
      Log(RTE_LOG_INFO,
          "port %s: TCP checksums computed by tern (net_tap's TX checksum "
          "writes 0xffff for zero)",
          name.c_str());
    }
  }
  offloads_.tx_multi_seg =
      (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) != 0;
  if (offloads_.rx_ipv4_cksum) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
  }
  if (offloads_.rx_tcp_cksum) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  }
  if (offloads_.tx_ipv4_cksum) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
  }
  if (offloads_.tx_tcp_cksum) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
  }
  if (offloads_.tx_multi_seg) {
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  }
  // RSS with the symmetric key where the driver has a redirection table, so
  // both directions of a flow land on one queue; otherwise the engine steers
  // in software.
  uint8_t rss_key[kSymmetricRssKeyLen];
  for (size_t i = 0; i < sizeof(rss_key); i += 2) {
    rss_key[i] = 0x6d;
    rss_key[i + 1] = 0x5a;
  }
  const uint64_t rss_hf = info.flow_type_rss_offloads &
                          (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4);
  if (queues > 1 && info.reta_size > 0 &&
      (rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_TCP) != 0 &&
      info.hash_key_size == sizeof(rss_key)) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = rss_key;
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(rss_key);
    conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
    rss_ = true;
    reta_size_ = info.reta_size;
    std::memcpy(rss_key_, rss_key, sizeof(rss_key_));
  }
  if (int rc = rte_eth_dev_configure(port_id_, queues, queues, &conf);
      rc != 0) {
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
        name.c_str(), driver_.c_str(), rx_desc, tx_desc, options_.rx_ring,
        options_.tx_ring);
  }

  tx_.resize(queues);
  for (uint16_t q = 0; q < queues; ++q) {
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    if (int rc = rte_eth_rx_queue_setup(port_id_, q, rx_desc, socket_id,
                                        &rxconf, pool_);
        rc != 0) {
      return DpdkError(absl::StatusCode::kInternal, "rte_eth_rx_queue_setup",
                       name, rc);
    }
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    if (int rc =
            rte_eth_tx_queue_setup(port_id_, q, tx_desc, socket_id, &txconf);
        rc != 0) {
      return DpdkError(absl::StatusCode::kInternal, "rte_eth_tx_queue_setup",
                       name, rc);
    }
    TxQueue& tq = tx_[q];
    tq.counters = counters_;
    tq.keep_unsent = options_.tx_keep_unsent;
    tq.buffer = static_cast<rte_eth_dev_tx_buffer*>(rte_zmalloc_socket(
        "tern_tx_buffer", RTE_ETH_TX_BUFFER_SIZE(options_.burst), 0,
        static_cast<int>(socket_id)));
    if (tq.buffer == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("rte_zmalloc_socket(tx buffer) failed for port ", name));
    }
    if (int rc = rte_eth_tx_buffer_init(tq.buffer, options_.burst); rc != 0) {
      return DpdkError(absl::StatusCode::kInternal, "rte_eth_tx_buffer_init",
                       name, rc);
    }
    if (int rc =
            rte_eth_tx_buffer_set_err_callback(tq.buffer, &OnTxUnsent, &tq);
        rc != 0) {
      return DpdkError(absl::StatusCode::kInternal,
                       "rte_eth_tx_buffer_set_err_callback", name, rc);
    }
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
  if (options_.mac.has_value()) {
    std::memcpy(addr.addr_bytes, options_.mac->octets.data(),
                mac_.octets.size());
    if (int rc = rte_eth_dev_default_mac_addr_set(port_id_, &addr);
        rc != 0 && rc != -ENOTSUP) {
      return DpdkError(absl::StatusCode::kInternal,
                       "rte_eth_dev_default_mac_addr_set", name, rc);
    }
    mac_ = *options_.mac;
  }
  uint16_t mtu = 0;
  if (rte_eth_dev_get_mtu(port_id_, &mtu) == 0 && mtu >= 576) {
    mtu_ = mtu;  // else keep Ethernet's 1500 (RFC 894)
  }

  Log(RTE_LOG_INFO,
      "port %s (id %u, driver %s) started: mac %s, mtu %u, %u queue pair(s)%s, "
      "rx ring %u, tx ring %u, burst %u, %u mbufs; offloads: rx cksum ip %d "
      "tcp %d, tx cksum ip %d tcp %d, tx multi-seg %d",
      name.c_str(), port_id_, driver_.c_str(), mac_.ToString().c_str(), mtu_,
      queues, rss_ ? " with RSS" : "", rx_desc, tx_desc, options_.burst,
      options_.mbufs, offloads_.rx_ipv4_cksum, offloads_.rx_tcp_cksum,
      offloads_.tx_ipv4_cksum, offloads_.tx_tcp_cksum, offloads_.tx_multi_seg);
  return absl::OkStatus();
}

EthdevPort::~EthdevPort() {
  if (started_) {
    // The port's own counters: the engines that last used a queue (and whose
    // counters it remembers for the unsent callback) may be gone by now.
    for (uint16_t q = 0; q < tx_.size(); ++q) {
      if (tx_[q].buffer != nullptr) {
        Flush(q, counters_);
        // What the ring still refuses is dropped: the port is closing.
        counters_->tx_dropped_ring_full.Add(tx_[q].backlog_n);
        rte_pktmbuf_free_bulk(tx_[q].backlog, tx_[q].backlog_n);
        tx_[q].backlog_n = 0;
      }
    }
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
  for (TxQueue& tq : tx_) {
    rte_free(tq.buffer);
  }
  rte_mempool_free(pool_);
}

uint16_t EthdevPort::RssQueue(wire::Ipv4Addr src, uint16_t src_port,
                              wire::Ipv4Addr dst, uint16_t dst_port) const {
  if (!rss_ || reta_size_ == 0) {
    return 0;
  }
  // rte_softrss takes the tuple in host order: source address, destination
  // address, then source and destination port in one word (rte_thash.h
  // rte_ipv4_tuple).
  uint32_t tuple[3] = {src.value, dst.value,
                       (uint32_t{src_port} << 16) | dst_port};
  const uint32_t hash = rte_softrss(tuple, 3, rss_key_);
  // Drivers start with the redirection table entry i -> queue i % queues
  // (ethdev's default; tern does not reprogram it).
  return static_cast<uint16_t>((hash % reta_size_) % options_.queues);
}

uint16_t EthdevPort::RxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n,
                             PortCounters* counters) {
  const uint16_t want = n < options_.burst ? n : options_.burst;
  const uint16_t got = rte_eth_rx_burst(port_id_, queue, pkts, want);
  counters->rx_packets.Add(got);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < got; ++i) {
    bytes += rte_pktmbuf_pkt_len(pkts[i]);
  }
  counters->rx_bytes.Add(bytes);
  return got;
}

rte_mbuf* EthdevPort::AllocMbuf(PortCounters* counters) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) {
    counters->drops.Inc(PortDrop::kNoMbuf);
  }
  return m;
}

void EthdevPort::Transmit(uint16_t queue, rte_mbuf* m, PortCounters* counters) {
  TERN_DCHECK(m != nullptr);
  TransmitBurst(queue, &m, 1, counters);
}

void EthdevPort::TransmitBurst(uint16_t queue, rte_mbuf* const* pkts,
                               uint16_t n, PortCounters* counters) {
  TERN_DCHECK(queue < tx_.size());
  TxQueue& tq = tx_[queue];
  tq.counters = counters;
  rte_eth_dev_tx_buffer* buffer = tq.buffer;
  uint32_t sent = 0;
  for (uint16_t i = 0; i < n; ++i) {
    // Kept frames go before each one, as Transmit sends them: with a burst
    // below n the buffer can flush twice in one call, and frames the ring
    // refused at the first flush must not be overtaken at the second.
    if (tq.backlog_n > 0) {
      SendBacklog(queue, counters);
    }
    // Counts what the driver accepted when the buffer filled up and was
    // flushed; the rest went to OnTxUnsent.
    sent += rte_eth_tx_buffer(port_id_, queue, buffer, pkts[i]);
  }
  counters->tx_packets.Add(sent);
}

void EthdevPort::SendBacklog(uint16_t queue, PortCounters* counters) {
  TxQueue& tq = tx_[queue];
  const uint16_t sent =
      rte_eth_tx_burst(port_id_, queue, tq.backlog, tq.backlog_n);
  counters->tx_packets.Add(sent);
  tq.backlog_n = static_cast<uint16_t>(tq.backlog_n - sent);
  std::memmove(tq.backlog, tq.backlog + sent,
               tq.backlog_n * sizeof(tq.backlog[0]));
}

void EthdevPort::Flush(uint16_t queue, PortCounters* counters) {
  TxQueue& tq = tx_[queue];
  tq.counters = counters;
  if (tq.backlog_n > 0) {
    // The older frames first; what the ring refuses of the buffer below
    // then queues behind them.
    SendBacklog(queue, counters);
  }
  const uint16_t sent = rte_eth_tx_buffer_flush(port_id_, queue, tq.buffer);
  counters->tx_packets.Add(sent);
}

void EthdevPort::Drain(uint16_t queue, Instant now, PortCounters* counters) {
  TxQueue& tq = tx_[queue];
  if (now - tq.last_drain < options_.drain_interval) {
    return;
  }
  tq.last_drain = now;
  Flush(queue, counters);
}

void EthdevPort::OnTxUnsent(rte_mbuf** unsent, uint16_t count, void* queue) {
  auto* tq = static_cast<TxQueue*>(queue);
  if (tq->keep_unsent) {
    const uint16_t keep = std::min<uint16_t>(count, kTxBacklog - tq->backlog_n);
    std::memcpy(tq->backlog + tq->backlog_n, unsent, keep * sizeof(unsent[0]));
    tq->backlog_n = static_cast<uint16_t>(tq->backlog_n + keep);
    tq->kept += keep;
    unsent += keep;
    count = static_cast<uint16_t>(count - keep);
  }
  tq->counters->tx_dropped_ring_full.Add(count);
  rte_pktmbuf_free_bulk(unsent, count);
}

}  // namespace tern::port
