// BufferAllocator: where a connection's send and receive buffers come from.
//
// The endpoint takes the memory of every connection's copy ring (send queue
// and receive buffer) and of its SendRef chunk slots from the allocator in
// EndpointConfig::buffer_allocator, so the port layer can place them in
// hugepage memory (rte_malloc, a pool of its own). Without one the endpoint
// uses HeapBufferAllocator().
//
// Contract:
// - Allocate(bytes, align) returns memory of at least `bytes` bytes aligned
//   to `align` (a power of two), or nullptr when it has none; the core then
//   holds no buffer and treats the connection's buffer as full (nothing is
//   queued). `bytes` is never 0.
// - Free(p, bytes) gets back every pointer Allocate returned, exactly once,
//   with the `bytes` it was allocated with.
// - Called only from the endpoint's own calls (its lcore): no locking needed.
// - The allocator must outlive every endpoint (and every connection record)
//   that uses it.
#ifndef TERN_LIB_TCP_BUFFER_ALLOCATOR_H_
#define TERN_LIB_TCP_BUFFER_ALLOCATOR_H_

#include <cstddef>

namespace tern::tcp {

class BufferAllocator {
 public:
  virtual void* Allocate(size_t bytes, size_t align) = 0;
  virtual void Free(void* p, size_t bytes) = 0;

 protected:
  ~BufferAllocator() = default;
};

// The process heap (aligned operator new / delete), for alignments up to
// kBufferAlign. A process-wide object with no state: it outlives everything.
BufferAllocator& HeapBufferAllocator();

// Buffers are aligned to a cache line so that two connections' buffers never
// share one (x86-64 and Arm Neoverse lines are 64 bytes).
inline constexpr size_t kBufferAlign = 64;

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_BUFFER_ALLOCATOR_H_
