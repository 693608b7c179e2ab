// RecordPool<T>: a connection's rarely used state (T), taken on first use
// from a bounded per-endpoint pool and given back when no longer used.
//
// Most connections never need their out-of-order reassembly state
// (Assembler) or their SACK scoreboard (SackScoreboard): both are empty
// unless a segment was lost or reordered. Keeping them out of line keeps an
// idle connection small (doc/benchmarks.md, "Memory per connection"): the
// connection holds a pointer, null while the state would be empty.
//
// Contract:
// - Create(capacity) allocates a table of capacity / kChunk chunk pointers
//   and nothing else. Take() carves records from chunks of kChunk records,
//   each allocated the first time the pool's high-water mark enters it, and
//   kept until the pool is destroyed: memory grows with the peak number of
//   records in use, at most ceil(capacity / kChunk) times in the pool's
//   life, never per packet. A capacity of 0 makes a heap pool instead: Take
//   allocates one record, without bound, and Give frees it (Heap(), for
//   connections driven outside an Endpoint, as HeapBufferAllocator() is for
//   buffers).
// - Take() returns a default-constructed (empty) T, or nullptr when
//   `capacity` records are in use (or a chunk allocation failed); the caller
//   counts the refusal under its own named counter.
// - Give(t) destroys `t` and returns it to the pool it came from (each record
//   knows its pool), so a connection needs no pointer to the pool.
// - The pool must outlive every record taken from it. Not thread-safe except
//   the heap pool: one lcore owns a pool.
#ifndef TERN_LIB_TCP_RECORD_POOL_H_
#define TERN_LIB_TCP_RECORD_POOL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/dcheck.h"

namespace tern::tcp {

template <typename T>
class RecordPool {
 public:
  // Records per chunk: 64 keeps a chunk of the largest record (the
  // Assembler, 424 bytes with its header) near 27 KiB, so a pool whose peak
  // is a handful of records holds one chunk, and a pool of a million records
  // grows in 15,625 steps.
  static constexpr size_t kChunk = 64;

  static absl::StatusOr<std::unique_ptr<RecordPool>> Create(size_t capacity) {
    if (capacity > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError(
          "record pool capacity must be below 2^32");
    }
    std::unique_ptr<RecordPool> pool(new RecordPool(capacity));
    if (capacity == 0) {
      return pool;
    }
    pool->chunk_count_ = (capacity + kChunk - 1) / kChunk;
    pool->chunks_.reset(new (std::nothrow)
                            std::unique_ptr<Slot[]>[pool->chunk_count_]);
    if (pool->chunks_ == nullptr) {
      return absl::ResourceExhaustedError("record pool allocation failed");
    }
    return pool;
  }

  RecordPool(const RecordPool&) = delete;
  RecordPool& operator=(const RecordPool&) = delete;
  ~RecordPool() = default;

  T* Take() {
    if (capacity_ == 0) {
      Slot* slot = new (std::nothrow) Slot;
      if (slot == nullptr) {
        return nullptr;
      }
      slot->pool = this;
      in_use_.fetch_add(1, std::memory_order_relaxed);
      return &slot->record;
    }
    Slot* slot = free_;
    if (slot != nullptr) {
      free_ = slot->next_free;
    } else {
      // Carve the next never-used record, allocating its chunk first.
      if (carved_ == capacity_) {
        return nullptr;
      }
      const size_t chunk = carved_ / kChunk;
      if (chunks_[chunk] == nullptr) {
        chunks_[chunk].reset(new (std::nothrow) Slot[kChunk]);
        if (chunks_[chunk] == nullptr) {
          return nullptr;
        }
        ++chunks_allocated_;
      }
      slot = &chunks_[chunk][carved_ % kChunk];
      slot->pool = this;
      ++carved_;
    }
    slot->next_free = nullptr;
    in_use_.store(in_use_.load(std::memory_order_relaxed) + 1,
                  std::memory_order_relaxed);
    return &slot->record;
  }

  static void Give(T* record) {
    Slot* slot = reinterpret_cast<Slot*>(record);
    RecordPool* pool = slot->pool;
    if (pool->capacity_ == 0) {
      pool->in_use_.fetch_sub(1, std::memory_order_relaxed);
      delete slot;
      return;
    }
    // Emptied here so that Take hands out a default-constructed record.
    slot->record.~T();
    new (&slot->record) T();
    slot->next_free = pool->free_;
    pool->free_ = slot;
    pool->in_use_.store(pool->in_use_.load(std::memory_order_relaxed) - 1,
                        std::memory_order_relaxed);
  }

  // Records taken and not given back.
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  // 0 for the heap pool.
  size_t capacity() const { return capacity_; }
  // The storage held: the chunk table and the chunks allocated so far (heap
  // pool: the records in use).
  size_t MemoryBytes() const {
    if (capacity_ == 0) {
      return in_use() * sizeof(Slot);
    }
    return chunk_count_ * sizeof(std::unique_ptr<Slot[]>) +
           chunks_allocated_ * kChunk * sizeof(Slot);
  }
  static constexpr size_t record_bytes() { return sizeof(Slot); }

  // The unbounded pool Env uses by default (never destroyed).
  static RecordPool& Heap() {
    static RecordPool* const pool = new RecordPool(0);
    return *pool;
  }

 private:
  struct Slot {
    T record;  // first: a Slot* and its T* convert
    RecordPool* pool = nullptr;
    Slot* next_free = nullptr;
  };
  static_assert(std::is_standard_layout_v<Slot>);

  explicit RecordPool(size_t capacity) : capacity_(capacity) {}

  size_t capacity_ = 0;
  size_t chunk_count_ = 0;
  size_t chunks_allocated_ = 0;
  size_t carved_ = 0;  // records ever handed out of the chunks
  std::unique_ptr<std::unique_ptr<Slot[]>[]> chunks_;
  Slot* free_ = nullptr;  // records given back, LIFO
  // Atomic only for the heap pool, shared by threads; a bounded pool has
  // one writer.
  std::atomic<size_t> in_use_{0};
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_RECORD_POOL_H_
