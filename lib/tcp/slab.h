// Slab<T>: a fixed-capacity pool of records addressed by generation-checked
// handles.
//
// Contract:
// - Create(capacity) allocates all storage once; Alloc and Free are O(1) and
//   never allocate. Alloc value-constructs a T in a free slot, Free destroys
//   it; the destructor destroys whatever is still live.
// - A SlabHandle names one lifetime of one slot. Get(handle) returns the
//   record while that lifetime lasts and nullptr afterwards, even once the
//   slot has been reused: each slot's generation counter moves on every Alloc
//   and Free, so a stale handle never reaches a different record. The counter
//   is 32 bits and a slot spends two values per lifetime, so a handle kept
//   across 2^31 reuses of its own slot would be mistaken for a live one; the
//   TCP core keeps no handle that long.
// - Free(handle) of a stale or foreign handle changes nothing and returns
//   false.
// - Free slots are reused last-freed first, so hot records stay in cache;
//   slots never used are handed out in index order after them.
// - Memory: the records plus a 32-bit generation per slot. The free stack is
//   threaded through the free slots' own storage (each holds the index of
//   the next), so it costs nothing per slot.
// - Not thread-safe: one lcore owns a slab.
#ifndef TERN_LIB_TCP_SLAB_H_
#define TERN_LIB_TCP_SLAB_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/base/dcheck.h"

namespace tern::tcp {

struct SlabHandle {
  uint32_t index = 0;
  uint32_t generation = 0;  // odd while the slot is live

  bool operator==(const SlabHandle&) const = default;
};

template <typename T>
class Slab {
 public:
  static absl::StatusOr<Slab> Create(size_t capacity) {
    if (capacity == 0 || capacity > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError(
          "slab capacity must be in [1, 2^32 - 1]");
    }
    Slab slab;
    slab.storage_.reset(new (std::nothrow) Storage[capacity]);
    slab.generations_.reset(new (std::nothrow) uint32_t[capacity]);
    if (slab.storage_ == nullptr || slab.generations_ == nullptr) {
      return absl::ResourceExhaustedError("slab allocation failed");
    }
    slab.capacity_ = static_cast<uint32_t>(capacity);
    for (uint32_t i = 0; i < slab.capacity_; ++i) {
      slab.generations_[i] = 0;
    }
    slab.free_count_ = slab.capacity_;
    return slab;
  }

  Slab(Slab&& other) noexcept { *this = std::move(other); }
  Slab& operator=(Slab&& other) noexcept {
    if (this != &other) {
      DestroyAll();
      storage_ = std::move(other.storage_);
      generations_ = std::move(other.generations_);
      capacity_ = std::exchange(other.capacity_, 0);
      free_count_ = std::exchange(other.free_count_, 0);
      free_head_ = std::exchange(other.free_head_, kNoFree);
      fresh_ = std::exchange(other.fresh_, 0);
    }
    return *this;
  }
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;
  ~Slab() { DestroyAll(); }

  // nullopt when every slot is live.
  std::optional<SlabHandle> Alloc() {
    if (free_count_ == 0) {
      return std::nullopt;
    }
    uint32_t index;
    if (free_head_ != kNoFree) {
      index = free_head_;
      free_head_ = NextFree(index);
    } else {
      index = fresh_++;
    }
    --free_count_;
    const uint32_t generation = ++generations_[index];
    TERN_DCHECK((generation & 1) == 1);
    new (storage_[index].bytes) T();
    return SlabHandle{index, generation};
  }

  T* Get(SlabHandle handle) {
    if (handle.index >= capacity_ ||
        generations_[handle.index] != handle.generation ||
        (handle.generation & 1) == 0) {
      return nullptr;
    }
    return Record(handle.index);
  }
  const T* Get(SlabHandle handle) const {
    return const_cast<Slab*>(this)->Get(handle);
  }

  bool Free(SlabHandle handle) {
    T* record = Get(handle);
    if (record == nullptr) {
      return false;
    }
    record->~T();
    ++generations_[handle.index];
    SetNextFree(handle.index, free_head_);
    free_head_ = handle.index;
    ++free_count_;
    return true;
  }

  // For the owner's index-based tables: the record in slot `index`, or
  // nullptr when that slot is free or out of range.
  T* GetByIndex(uint32_t index) {
    if (index >= capacity_ || (generations_[index] & 1) == 0) {
      return nullptr;
    }
    return Record(index);
  }
  // The live record in slot `index`, unchecked (a DCHECK): for the owner's
  // intrusive lists, whose links name live records only.
  T* LiveAt(uint32_t index) {
    TERN_DCHECK(index < capacity_ && (generations_[index] & 1) == 1);
    return Record(index);
  }
  // The slot whose storage holds the byte at `p` (a record or one of its
  // members), or nullopt when `p` is outside this slab's storage: how an
  // owner finds the record of an embedded TimerNode.
  std::optional<uint32_t> SlotOf(const void* p) const {
    const auto base = reinterpret_cast<uintptr_t>(storage_.get());
    const auto at = reinterpret_cast<uintptr_t>(p);
    if (at < base || at - base >= size_t{capacity_} * sizeof(Storage)) {
      return std::nullopt;
    }
    return static_cast<uint32_t>((at - base) / sizeof(Storage));
  }
  // The handle of the live record in slot `index`, or nullopt.
  std::optional<SlabHandle> HandleAt(uint32_t index) const {
    if (index >= capacity_ || (generations_[index] & 1) == 0) {
      return std::nullopt;
    }
    return SlabHandle{index, generations_[index]};
  }

  size_t size() const { return capacity_ - free_count_; }
  size_t capacity() const { return capacity_; }
  // The storage held: records and generations (the free stack is in the
  // free records' storage).
  size_t MemoryBytes() const {
    return size_t{capacity_} * (sizeof(Storage) + sizeof(uint32_t));
  }
  // Hints the cache to load the record at `index` (a burst looked up ahead).
  void Prefetch(uint32_t index) const {
    if (index < capacity_) {
      __builtin_prefetch(&storage_[index]);
    }
  }

 private:
  struct Storage {
    alignas(T) unsigned char bytes[sizeof(T)];
  };
  static_assert(sizeof(Storage) >= sizeof(uint32_t),
                "a free slot holds the next free index");
  static constexpr uint32_t kNoFree = std::numeric_limits<uint32_t>::max();

  // The free stack's link in a free slot's storage (no T lives there).
  uint32_t NextFree(uint32_t index) const {
    uint32_t next;
    std::memcpy(&next, storage_[index].bytes, sizeof(next));
    return next;
  }
  void SetNextFree(uint32_t index, uint32_t next) {
    std::memcpy(storage_[index].bytes, &next, sizeof(next));
  }

  Slab() = default;

  T* Record(uint32_t index) {
    return std::launder(reinterpret_cast<T*>(storage_[index].bytes));
  }

  void DestroyAll() {
    if constexpr (std::is_trivially_destructible_v<T>) {
      return;
    }
    if (storage_ == nullptr) {
      return;
    }
    for (uint32_t i = 0; i < capacity_; ++i) {
      if ((generations_[i] & 1) == 1) {
        Record(i)->~T();
      }
    }
  }

  std::unique_ptr<Storage[]> storage_;
  std::unique_ptr<uint32_t[]> generations_;
  uint32_t capacity_ = 0;
  uint32_t free_count_ = 0;
  // The stack of freed slots, linked through their storage (NextFree), and
  // the slots from fresh_ on, never used yet: Alloc takes the stack's top,
  // else fresh_, which hands out the same slots in the same order as one
  // stack of every free index, index 0 on top, would.
  uint32_t free_head_ = kNoFree;
  uint32_t fresh_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SLAB_H_
