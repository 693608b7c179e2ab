// Steering: which lcore owns a TCP flow, and the lock-free rings that carry
// packets to their owner when the port cannot spread flows itself.
//
// Contract:
// - Owner(tuple) is a pure function of the unordered pair of endpoints
//   ((addr, port), (addr, port)): both directions of a flow map to the same
//   engine, so packets received and packets an active open expects back agree.
// - Where the port has RSS over one queue per lcore, the receiving queue is
//   the owner and nothing is steered. Where it has not (net_tap,
//   net_af_packet, net_memif: packets land on whichever queue the driver or
//   the kernel picks), the receiving engine computes Owner and, when it is
//   another engine, hands the mbuf over with Forward.
// - One rte_ring per engine, multi-producer / single-consumer, bounded: a
//   full ring frees the mbuf and the sender counts drop.steering_ring_full.
// - Broadcast(m, from) gives every other engine a reference to `m` (ARP
//   packets: each lcore keeps its own ARP cache and learns from them).
#ifndef TERN_LIB_PORT_STEERING_H_
#define TERN_LIB_PORT_STEERING_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/wire/addr.h"

struct rte_mbuf;
struct rte_ring;

namespace tern::port {

// The engine that owns the flow between (a, a_port) and (b, b_port), out of
// `engines`; symmetric in a and b.
uint16_t FlowOwner(wire::Ipv4Addr a, uint16_t a_port, wire::Ipv4Addr b,
                   uint16_t b_port, uint16_t engines);

class Steering {
 public:
  // Each ring holds exactly `ring_size` mbufs (RING_F_EXACT_SZ).
  static absl::StatusOr<std::unique_ptr<Steering>> Create(uint16_t engines,
                                                          uint32_t ring_size);
  ~Steering();
  Steering(const Steering&) = delete;
  Steering& operator=(const Steering&) = delete;

  uint16_t engines() const { return static_cast<uint16_t>(rings_.size()); }
  // False when the owner's ring is full: the caller still owns `m`.
  bool Forward(uint16_t owner, rte_mbuf* m);
  // Takes up to n mbufs from engine `self`'s ring.
  unsigned Receive(uint16_t self, rte_mbuf** out, unsigned n);
  // Number of other engines that got a reference (refcount raised for each).
  unsigned Broadcast(uint16_t from, rte_mbuf* m);
  // Frees whatever is still queued (shutdown).
  void DrainAll();

 private:
  Steering() = default;
  std::vector<rte_ring*> rings_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_STEERING_H_
