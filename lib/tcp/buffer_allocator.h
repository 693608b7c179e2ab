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

#include <array>
#include <cstddef>
#include <cstdint>

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

// Keeps buffers freed by one endpoint's connections for its next ones, in
// front of another allocator, so that a short connection's buffers cost a
// list pop instead of a trip through malloc (whose trimming and mmap
// threshold returned 256 KiB blocks to the kernel and faulted them in again,
// connection after connection: doc/benchmarks.md) or rte_malloc.
//
// Contract:
// - Up to kClasses distinct block sizes are kept, each a LIFO list threaded
//   through the blocks themselves; at most `max_cached_bytes` in all. A
//   block that does not fit (the budget is spent, all classes hold other
//   sizes, it is smaller than a pointer or not kBufferAlign-aligned) goes
//   back to the target at once.
// - Allocate with `align` <= kBufferAlign takes a cached block of exactly
//   `bytes` if there is one, else asks the target.
// - Single-threaded (the endpoint's lcore), like every BufferAllocator.
// - The destructor returns every cached block to the target, which must
//   outlive the cache.
class BufferCache final : public BufferAllocator {
 public:
  static constexpr size_t kClasses = 4;

  BufferCache(BufferAllocator* target, size_t max_cached_bytes)
      : target_(target), max_cached_bytes_(max_cached_bytes) {}
  ~BufferCache() { Trim(); }
  BufferCache(const BufferCache&) = delete;
  BufferCache& operator=(const BufferCache&) = delete;

  void* Allocate(size_t bytes, size_t align) override;
  void Free(void* p, size_t bytes) override;
  // Returns every cached block to the target.
  void Trim();

  size_t cached_bytes() const { return cached_bytes_; }
  uint64_t hits() const { return hits_; }      // served from the cache
  uint64_t misses() const { return misses_; }  // passed to the target

 private:
  struct Class {
    size_t bytes = 0;
    size_t count = 0;
    void* head = nullptr;
  };

  BufferAllocator* target_;
  size_t max_cached_bytes_;
  size_t cached_bytes_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  std::array<Class, kClasses> classes_{};
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_BUFFER_ALLOCATOR_H_
