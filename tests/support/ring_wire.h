// RingWire: two DPDK ethdev ports joined back to back in one process, for
// engine tests and benchmarks that need real mbufs and real ports but no
// NIC, no kernel and no second process.
//
// Two rte_rings are crossed: port A transmits into ring ab, which is port
// B's receive ring, and B transmits into ring ba, A's receive ring. Each
// port is a net_ring device made with rte_eth_from_rings and set up by
// lib/port's EthdevPort (its own mempool, one queue pair, TX buffer), so an
// Engine on A and an Engine on B exchange Ethernet/IPv4/TCP frames as they
// would over a cable. Nothing moves by itself: frames wait in the rings
// until the other side's Engine::PollOnce (or the test) takes them, so one
// thread polling both engines in turn runs both ends.
//
// Contract:
// - Create needs an initialized EAL (lib/port/eal.h). Device names are made
//   unique per wire in the process ("net_ring_wire<N>a" / "...b", the
//   names net_ring gives devices made from rings named "wire<N>a" / "...b"), so
//   wires can be made and destroyed one after the other.
// - The ports have distinct locally administered MACs (02:00:00:00:<N>:0a
//   and ...:0b, EthdevPortOptions::mac): net_ring gives every device the
//   same all-zero address.
// - ab() and ba() give the rings themselves, so a test can inject a
//   hand-made frame (an mbuf of the port's pool) or take what a port sent
//   without running the engine on the other side. The wire is
//   single-threaded: the rings are single-producer, single-consumer.
// - Destruction: FreeInFlight() frees whatever the rings still hold; the
//   destructor calls it, then destroys the ports (their pools must have all
//   their mbufs back by then: engines on the ports are destroyed first),
//   then frees the rings.
#ifndef TERN_TESTS_SUPPORT_RING_WIRE_H_
#define TERN_TESTS_SUPPORT_RING_WIRE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/port/ethdev_port.h"
#include "lib/port/port_counters.h"
#include "lib/wire/addr.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace tern::port::testing {

struct RingWireOptions {
  // Slots per direction; rte_ring keeps one empty, so ring_size - 1 frames
  // fit. A power of two.
  uint32_t ring_size = 4096;
  // Per port (EthdevPortOptions): the pool must cover the port's RX and TX
  // rings and bursts plus whatever the test keeps in flight.
  uint32_t mbufs = 8191;
  uint16_t rx_ring = 1024;
  uint16_t tx_ring = 1024;
  uint16_t burst = 32;
};

class RingWire {
 public:
  static absl::StatusOr<std::unique_ptr<RingWire>> Create(
      const RingWireOptions& options = {});
  ~RingWire();
  RingWire(const RingWire&) = delete;
  RingWire& operator=(const RingWire&) = delete;

  EthdevPort& a() { return *a_; }
  EthdevPort& b() { return *b_; }
  // The ports' own counters (EthdevPort's queue-0 counters); engines keep
  // their own.
  PortCounters& a_counters() { return a_counters_; }
  PortCounters& b_counters() { return b_counters_; }
  // A -> B and B -> A.
  rte_ring* ab() const { return ab_; }
  rte_ring* ba() const { return ba_; }
  // Frames waiting in both rings.
  unsigned InFlight() const;
  // Frees every frame waiting in the rings; returns how many.
  unsigned FreeInFlight();

 private:
  RingWire() = default;

  rte_ring* ab_ = nullptr;
  rte_ring* ba_ = nullptr;
  PortCounters a_counters_;
  PortCounters b_counters_;
  std::unique_ptr<EthdevPort> a_;
  std::unique_ptr<EthdevPort> b_;
};

// Hand-made frames to inject into a wire's rings.
struct SynFrameSpec {
  wire::MacAddr src_mac;
  wire::MacAddr dst_mac;
  wire::Ipv4Addr src;
  wire::Ipv4Addr dst;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t isn = 0;
  uint32_t tsval = 0;
};
// The Ethernet frame of a SYN with the options Linux sends (MSS 1460,
// SACK-permitted, timestamps, window scale 7) and correct checksums.
std::vector<uint8_t> SynFrame(const SynFrameSpec& spec);
// A one-segment mbuf of `pool` holding `bytes`; nullptr when the pool is
// empty or the bytes do not fit.
rte_mbuf* MbufOf(rte_mempool* pool, std::span<const uint8_t> bytes);

}  // namespace tern::port::testing

#endif  // TERN_TESTS_SUPPORT_RING_WIRE_H_
