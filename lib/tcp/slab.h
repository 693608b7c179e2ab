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
// - Free slots are reused last-freed first, so hot records stay in cache.
// - Not thread-safe: one lcore owns a slab.
#ifndef TERN_LIB_TCP_SLAB_H_
#define TERN_LIB_TCP_SLAB_H_

#include <cstddef>
#include <cstdint>
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
    slab.free_.reset(new (std::nothrow) uint32_t[capacity]);
    if (slab.storage_ == nullptr || slab.generations_ == nullptr ||
        slab.free_ == nullptr) {
      return absl::ResourceExhaustedError("slab allocation failed");
    }
    slab.capacity_ = static_cast<uint32_t>(capacity);
    for (uint32_t i = 0; i < slab.capacity_; ++i) {
      slab.generations_[i] = 0;
      // Popped from the back: index 0 is handed out first.
      slab.free_[i] = slab.capacity_ - 1 - i;
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
      free_ = std::move(other.free_);
      capacity_ = std::exchange(other.capacity_, 0);
      free_count_ = std::exchange(other.free_count_, 0);
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
    const uint32_t index = free_[--free_count_];
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
    free_[free_count_++] = handle.index;
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
  // The storage held: records, generations and the free stack.
  size_t MemoryBytes() const {
    return size_t{capacity_} * (sizeof(Storage) + 2 * sizeof(uint32_t));
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
  std::unique_ptr<uint32_t[]> free_;  // a stack of free indices
  uint32_t capacity_ = 0;
  uint32_t free_count_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SLAB_H_
