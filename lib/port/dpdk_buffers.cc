#include "lib/port/dpdk_buffers.h"

#include <rte_malloc.h>

namespace tern::port {

void* DpdkBufferAllocator::Allocate(size_t bytes, size_t align) {
  void* p = rte_malloc_socket("tern_conn_buffer", bytes,
                              static_cast<unsigned>(align), socket_);
  if (p == nullptr) {
    failures_.Inc();
  }
  return p;
}

void DpdkBufferAllocator::Free(void* p, size_t /*bytes*/) { rte_free(p); }

}  // namespace tern::port
