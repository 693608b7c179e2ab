// AssemblerPool: the out-of-order reassembly state (Assembler) of an
// endpoint's connections, taken on first use and given back when empty.
//
// Most connections never hold a byte out of order, so the Assembler (about
// 412 bytes, fixed by Assembler::kMaxRanges) lives out of line: a connection
// holds a pointer, taken from its endpoint's pool when its first
// out-of-order segment (or FIN) arrives and given back when every hole has
// filled, when the FIN is reached, and when the connection is destroyed.
// Sizing and the drop at exhaustion: doc/reassembly.md.
//
// Contract:
// - Create(capacity) allocates every record once; Take and Give are O(1) and
//   never allocate. A capacity of 0 makes a heap pool instead: Take
//   allocates, without bound (HeapAssemblerPool(), for connections driven
//   outside an Endpoint, as HeapBufferAllocator() is for buffers).
// - Take() returns an empty Assembler, or nullptr when every record is in use.
// - Give(a) returns `a` to the pool it came from (each record knows its pool),
//   so a connection needs no pointer to the pool to free its record.
// - The pool must outlive every record taken from it. Not thread-safe except
//   the heap pool: one lcore owns a pool.
#ifndef TERN_LIB_TCP_ASSEMBLER_POOL_H_
#define TERN_LIB_TCP_ASSEMBLER_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "absl/status/statusor.h"
#include "lib/tcp/assembler.h"

namespace tern::tcp {

class AssemblerPool {
 public:
  static absl::StatusOr<std::unique_ptr<AssemblerPool>> Create(size_t capacity);

  AssemblerPool(const AssemblerPool&) = delete;
  AssemblerPool& operator=(const AssemblerPool&) = delete;

  Assembler* Take();
  static void Give(Assembler* assembler);

  // Records taken and not given back.
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  // 0 for the heap pool.
  size_t capacity() const { return capacity_; }
  // The storage held: records and the free stack (heap pool: records in use).
  size_t MemoryBytes() const;

 private:
  struct Slot {
    Assembler assembler;  // first: a Slot* and its Assembler* convert
    AssemblerPool* pool = nullptr;
  };
  static_assert(std::is_standard_layout_v<Slot>);

  explicit AssemblerPool(size_t capacity) : capacity_(capacity) {}
  friend AssemblerPool& HeapAssemblerPool();

  size_t capacity_ = 0;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<uint32_t[]> free_;  // a stack of free indices
  size_t free_count_ = 0;
  // Atomic only for the heap pool, shared by threads; a slab pool has one
  // writer.
  std::atomic<size_t> in_use_{0};
};

// The unbounded pool Env uses by default (never destroyed).
AssemblerPool& HeapAssemblerPool();

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ASSEMBLER_POOL_H_
