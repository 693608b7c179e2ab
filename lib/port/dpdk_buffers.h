// DpdkBufferAllocator: connection buffers from DPDK's heap (rte_malloc),
// which lives in hugepage memory when EAL has hugepages, on the NUMA socket
// of the lcore that polls the port.
//
// Contract: a tcp::BufferAllocator (lib/tcp/buffer_allocator.h); Allocate
// returns nullptr when DPDK's heap is exhausted (the core then refuses the
// data that needed it and counts it); thread-safe as rte_malloc is, though
// each engine has its own instance. allocated() and failures() are
// single-writer counters.
#ifndef TERN_LIB_PORT_DPDK_BUFFERS_H_
#define TERN_LIB_PORT_DPDK_BUFFERS_H_

#include <cstddef>

#include "lib/base/counters.h"
#include "lib/tcp/buffer_allocator.h"

namespace tern::port {

class DpdkBufferAllocator final : public tcp::BufferAllocator {
 public:
  explicit DpdkBufferAllocator(int socket) : socket_(socket) {}
  void* Allocate(size_t bytes, size_t align) override;
  void Free(void* p, size_t bytes) override;
  uint64_t failures() const { return failures_.Get(); }

 private:
  int socket_;
  Counter failures_;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_DPDK_BUFFERS_H_
