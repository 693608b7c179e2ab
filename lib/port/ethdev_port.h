// EthdevPort: one DPDK ethdev port with one RX and one TX queue.
//
// Contract:
// - Create(options, counters) looks the port up by its DPDK device name (a
//   vdev such as "net_tap0" or a PCI address), creates its mbuf pool, sets up
//   one RX and one TX queue with the requested ring sizes (DPDK may round
//   them to what the driver supports; the adjusted sizes are logged),
//   starts it and reads its MAC address. Any failure returns a Status naming
//   the DPDK call, the port and the errno; what was already set up is undone.
//   EAL must be initialized. `counters` must outlive the port.
// - The destructor flushes the TX buffer, stops and closes the port, then
//   frees the pool and the TX buffer. All mbufs taken from the pool must be
//   back by then. Closing a vdev port releases the device: it cannot be
//   created again in the same process.
// - Data path (one lcore only): RxBurst fills up to `burst` mbufs; Transmit
//   buffers one mbuf for the TX queue, handing a full buffer to the driver at
//   once; Drain hands the partial buffer to the driver when the drain interval
//   has passed since the last drain (the receive, process, buffered transmit,
//   timed drain loop of DPDK's l3fwd); Flush does it unconditionally.
//   Ownership of a transmitted mbuf passes to the port: it is sent or, when
//   the TX ring is full, freed and counted in tx_dropped_ring_full.
#ifndef TERN_LIB_PORT_ETHDEV_PORT_H_
#define TERN_LIB_PORT_ETHDEV_PORT_H_

#include <cstdint>
#include <memory>
#include <string>

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
  // Mbufs in the pool. DPDK's mempool is most memory-efficient at 2^n - 1
  // (rte_mempool.h); any value >= rx_ring + tx_ring + 2 * burst works.
  uint32_t mbufs = 8191;
  uint16_t rx_ring = 1024;
  uint16_t tx_ring = 1024;
  // Packets per rte_eth_rx_burst and TX buffer capacity.
  uint16_t burst = 32;
  // Upper bound on how long a partly filled TX buffer waits (l3fwd uses
  // 100 us, BURST_TX_DRAIN_US in examples/l3fwd/l3fwd.h).
  Duration drain_interval = Duration::Micros(100);
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
  const wire::MacAddr& mac() const { return mac_; }
  uint16_t burst() const { return options_.burst; }
  rte_mempool* pool() const { return pool_; }
  PortCounters& counters() { return *counters_; }

  // Receives up to min(n, burst()) packets into `pkts`; counts them.
  uint16_t RxBurst(rte_mbuf** pkts, uint16_t n);
  // Allocates an mbuf for a reply; nullptr (counted as drop.no_mbuf) when the
  // pool is empty.
  rte_mbuf* AllocMbuf();
  void Transmit(rte_mbuf* m);
  // Flushes when at least drain_interval passed since the last flush.
  void Drain(Instant now);
  void Flush();

 private:
  EthdevPort(const EthdevPortOptions& options, PortCounters* counters);
  absl::Status Setup();
  static void OnTxUnsent(rte_mbuf** unsent, uint16_t count, void* self);

  EthdevPortOptions options_;
  PortCounters* counters_;
  uint16_t port_id_ = 0;
  bool configured_ = false;
  bool started_ = false;
  wire::MacAddr mac_;
  rte_mempool* pool_ = nullptr;
  rte_eth_dev_tx_buffer* tx_buffer_ = nullptr;
  Instant last_drain_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_ETHDEV_PORT_H_
