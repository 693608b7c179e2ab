#include "lib/port/steering.h"

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "absl/strings/str_cat.h"

namespace tern::port {

uint16_t FlowOwner(wire::Ipv4Addr a, uint16_t a_port, wire::Ipv4Addr b,
                   uint16_t b_port, uint16_t engines) {
  if (engines <= 1) {
    return 0;
  }
  // XOR makes the key symmetric; the multiply (Fibonacci hashing, Knuth
  // TAOCP vol. 3, 6.4) spreads it; the high bits select the engine.
  const uint64_t key =
      (uint64_t{a.value ^ b.value} << 16) | uint16_t(a_port ^ b_port);
  const uint64_t h = key * 0x9e3779b97f4a7c15ull;
  return static_cast<uint16_t>(((h >> 32) * engines) >> 32);
}

absl::StatusOr<std::unique_ptr<Steering>> Steering::Create(uint16_t engines,
                                                           uint32_t ring_size) {
  std::unique_ptr<Steering> s(new Steering());
  for (uint16_t i = 0; i < engines; ++i) {
    const std::string name = absl::StrCat("tern_steer_", i);
    rte_ring* r = rte_ring_create(name.c_str(), ring_size, SOCKET_ID_ANY,
                                  RING_F_SC_DEQ | RING_F_EXACT_SZ);
    if (r == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("rte_ring_create(", name, ", ", ring_size,
                       ") failed: ", rte_strerror(rte_errno)));
    }
    s->rings_.push_back(r);
  }
  return s;
}

Steering::~Steering() {
  DrainAll();
  for (rte_ring* r : rings_) {
    rte_ring_free(r);
  }
}

bool Steering::Forward(uint16_t owner, rte_mbuf* m) {
  return rte_ring_mp_enqueue(rings_[owner], m) == 0;
}

unsigned Steering::Receive(uint16_t self, rte_mbuf** out, unsigned n) {
  return rte_ring_sc_dequeue_burst(rings_[self], reinterpret_cast<void**>(out),
                                   n, nullptr);
}

unsigned Steering::Broadcast(uint16_t from, rte_mbuf* m) {
  unsigned sent = 0;
  for (uint16_t i = 0; i < rings_.size(); ++i) {
    if (i == from) {
      continue;
    }
    // Every segment of a chain: rte_pktmbuf_free frees segment by segment.
    for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
      rte_mbuf_refcnt_update(seg, 1);
    }
    if (rte_ring_mp_enqueue(rings_[i], m) != 0) {
      for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next) {
        rte_mbuf_refcnt_update(seg, -1);
      }
      continue;
    }
    ++sent;
  }
  return sent;
}

void Steering::DrainAll() {
  rte_mbuf* m = nullptr;
  for (rte_ring* r : rings_) {
    while (rte_ring_sc_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
      rte_pktmbuf_free(m);
    }
  }
}

}  // namespace tern::port
