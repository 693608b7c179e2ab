// EthdevPort: one DPDK ethdev port with one RX and one TX queue per lcore.
//
// Contract:
// - Create(options, counters) looks the port up by its DPDK device name (a
//   vdev such as "net_tap0" or a PCI address), creates its mbuf pool, sets up
//   options.queues RX and TX queue pairs with the requested ring sizes (DPDK
//   may round them to what the driver supports; the adjusted sizes are
//   logged), starts it and reads its MAC address and MTU. Any failure returns
//   a Status naming the DPDK call, the port and the errno; what was already
//   set up is undone. EAL must be initialized. `counters` must outlive the
//   port. options.mac, when given, replaces the driver's address (see
//   there).
// - Offloads are detected, not assumed (rte_eth_dev_info.*_offload_capa):
//   IPv4 and TCP checksum on RX and TX and multi-segment TX are enabled when
//   the driver offers them, and offloads() says which are on. RSS over the
//   queues is configured when the driver offers it with more than one queue
//   (rss() says so); otherwise packets land on queues as the driver spreads
//   them and the engine steers them in software (lib/port/steering.h).
// - The destructor flushes the TX buffers (counting in the port's own
//   counters: a queue's last user may be gone), stops and closes the port, then
//   frees the pool and the TX buffers. All mbufs taken from the pool must be
//   back by then. Closing a vdev port releases the device: it cannot be
//   created again in the same process.
// - Data path: queue q is used by one lcore only. RxBurst fills up to
//   `burst` mbufs; Transmit buffers one mbuf for the TX queue, handing a full
//   buffer to the driver at once; Drain hands the partial buffer to the
//   driver when the drain interval has passed since the last drain (the
//   receive, process, buffered transmit, timed drain loop of DPDK's l3fwd);
//   Flush does it unconditionally. Ownership of a transmitted mbuf passes to
//   the port: it is sent or, when the TX ring is full, freed and counted in
//   tx_dropped_ring_full; with options.tx_keep_unsent, up to kTxBacklog
//   refused mbufs per queue are kept instead and offered to the driver again,
//   ahead of newer ones, at the next Flush (tx_kept counts them; only what
//   does not fit is freed and counted). Counters are per queue (one writer
//   each).
#ifndef TERN_LIB_PORT_ETHDEV_PORT_H_
#define TERN_LIB_PORT_ETHDEV_PORT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/base/time.h"
#include "lib/port/port_counters.h"
#include "lib/wire/addr.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_eth_dev_tx_buffer;

namespace tern::port {

struct EthdevPortOptions {
  // DPDK device name, e.g. "net_tap0" (the name given in --vdev).
  std::string name;
  // RX/TX queue pairs, one per lcore that polls the port.
  uint16_t queues = 1;
  // Mbufs in the pool. DPDK's mempool is most memory-efficient at 2^n - 1
  // (rte_mempool.h); at least queues * (rx_ring + tx_ring + 2 * burst),
  // which Create checks. Each engine also holds up to 32 mbufs in its stash
  // and 32 collected for TX (Engine::kMbufStash, kTxBatch), and a queue
  // with keep_unsent up to kTxBacklog kept frames: leave room for them.
  uint32_t mbufs = 8191;
  uint16_t rx_ring = 1024;
  uint16_t tx_ring = 1024;
  // Packets per rte_eth_rx_burst and TX buffer capacity.
  uint16_t burst = 32;
  // Upper bound on how long a partly filled TX buffer waits (l3fwd uses
  // 100 us, BURST_TX_DRAIN_US in examples/l3fwd/l3fwd.h).
  Duration drain_interval = Duration::Micros(100);
  // Use the driver's checksum offloads when it offers them (false: always
  // compute and verify checksums in software, for tests and comparisons).
  bool checksum_offload = true;
  // The port's MAC instead of the driver's: set on the device where the
  // driver allows it, else used by tern alone (net_ring gives every device
  // 00:00:00:00:00:00 and cannot change it, and does no filtering).
  std::optional<wire::MacAddr> mac;
  // Keep what the TX ring refuses and send it at the next Flush instead of
  // dropping it. Off for tern: a full ring means the link is the bottleneck
  // and l3fwd's drop is the right answer there. On for a generator whose
  // own flood, sent on the same queue with rte_eth_tx_burst, keeps the ring
  // full: its measured frames (a handshake's SYN) must be delayed by one
  // loop iteration, not lost and resent by a 1 s RTO (tern-flood,
  // doc/flood.md).
  bool tx_keep_unsent = false;
};

// Offloads in use on a started port.
struct PortOffloads {
  bool rx_ipv4_cksum = false;
  bool rx_tcp_cksum = false;
  bool tx_ipv4_cksum = false;
  bool tx_tcp_cksum = false;
  bool tx_multi_seg = false;
};

class EthdevPort {
 public:
  static absl::StatusOr<std::unique_ptr<EthdevPort>> Create(
      const EthdevPortOptions& options, PortCounters* counters);
  ~EthdevPort();
  EthdevPort(const EthdevPort&) = delete;
  EthdevPort& operator=(const EthdevPort&) = delete;

  uint16_t port_id() const { return port_id_; }
  const std::string& name() const { return options_.name; }
  const std::string& driver() const { return driver_; }
  const wire::MacAddr& mac() const { return mac_; }
  uint16_t mtu() const { return mtu_; }
  uint16_t burst() const { return options_.burst; }
  uint16_t queues() const { return options_.queues; }
  const PortOffloads& offloads() const { return offloads_; }
  bool rss() const { return rss_; }
  // With rss(): the queue the port delivers a received IPv4 TCP packet to,
  // computed as the NIC does (Toeplitz over the symmetric key, then the
  // default redirection table: entry i -> queue i % queues()), so an
  // active open can pick a source port whose replies come back to it.
  uint16_t RssQueue(wire::Ipv4Addr src, uint16_t src_port, wire::Ipv4Addr dst,
                    uint16_t dst_port) const;
  rte_mempool* pool() const { return pool_; }
  // Counters of queue 0 (the only ones for a one-queue port).
  PortCounters& counters() { return *counters_; }

  // Receives up to min(n, burst()) packets of `queue` into `pkts`; counts
  // them in `counters` (the caller's, one per queue) or the port's.
  uint16_t RxBurst(uint16_t queue, rte_mbuf** pkts, uint16_t n,
                   PortCounters* counters);
  uint16_t RxBurst(rte_mbuf** pkts, uint16_t n) {
    return RxBurst(0, pkts, n, counters_);
  }
  // Allocates an mbuf; nullptr (counted as drop.no_mbuf) when the pool is
  // empty.
  rte_mbuf* AllocMbuf(PortCounters* counters);
  rte_mbuf* AllocMbuf() { return AllocMbuf(counters_); }
  void Transmit(uint16_t queue, rte_mbuf* m, PortCounters* counters);
  void Transmit(rte_mbuf* m) { Transmit(0, m, counters_); }
  // Transmit of n frames in order, the queue's state looked up once.
  void TransmitBurst(uint16_t queue, rte_mbuf* const* pkts, uint16_t n,
                     PortCounters* counters);
  // Flushes when at least drain_interval passed since the last flush.
  void Drain(uint16_t queue, Instant now, PortCounters* counters);
  void Drain(Instant now) { Drain(0, now, counters_); }
  void Flush(uint16_t queue, PortCounters* counters);
  void Flush() { Flush(0, counters_); }
  // tx_keep_unsent: refused mbufs a queue holds at most (two 32-frame
  // bursts: one loop iteration's output and the one before it; tern-flood at
  // "max" kept 111 to 138 a 10 s step and dropped none, doc/flood.md), and how
  // many refused mbufs it has kept so far (each once, however many flushes
  // it then waits; the refused that did not fit are tx_dropped_ring_full).
  static constexpr uint16_t kTxBacklog = 64;
  uint64_t tx_kept(uint16_t queue = 0) const { return tx_[queue].kept; }

 private:
  struct TxQueue {
    rte_eth_dev_tx_buffer* buffer = nullptr;
    PortCounters* counters = nullptr;  // of the last caller, for OnTxUnsent
    Instant last_drain;
    bool keep_unsent = false;  // EthdevPortOptions::tx_keep_unsent
    uint16_t backlog_n = 0;
    uint64_t kept = 0;
    rte_mbuf* backlog[kTxBacklog] = {};  // oldest first
  };

  EthdevPort(const EthdevPortOptions& options, PortCounters* counters);
  absl::Status Setup();
  static void OnTxUnsent(rte_mbuf** unsent, uint16_t count, void* queue);
  // Offers the queue's kept mbufs to the driver, oldest first.
  void SendBacklog(uint16_t queue, PortCounters* counters);

  EthdevPortOptions options_;
  PortCounters* counters_;
  uint16_t port_id_ = 0;
  std::string driver_;
  bool configured_ = false;
  bool started_ = false;
  bool rss_ = false;
  uint16_t reta_size_ = 0;
  uint8_t rss_key_[40] = {};
  wire::MacAddr mac_;
  uint16_t mtu_ = 1500;
  PortOffloads offloads_;
  rte_mempool* pool_ = nullptr;
  std::vector<TxQueue> tx_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_ETHDEV_PORT_H_
