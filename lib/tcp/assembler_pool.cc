#include "lib/tcp/assembler_pool.h"

#include <limits>
#include <new>

#include "absl/status/status.h"
#include "lib/base/dcheck.h"

namespace tern::tcp {

absl::StatusOr<std::unique_ptr<AssemblerPool>> AssemblerPool::Create(
    size_t capacity) {
  if (capacity > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        "assembler pool capacity must be below 2^32");
  }
  std::unique_ptr<AssemblerPool> pool(new AssemblerPool(capacity));
  if (capacity == 0) {
    return pool;
  }
  pool->slots_.reset(new (std::nothrow) Slot[capacity]);
  pool->free_.reset(new (std::nothrow) uint32_t[capacity]);
  if (pool->slots_ == nullptr || pool->free_ == nullptr) {
    return absl::ResourceExhaustedError("assembler pool allocation failed");
  }
  for (size_t i = 0; i < capacity; ++i) {
    pool->slots_[i].pool = pool.get();
    // Popped from the back: slot 0 is handed out first.
    pool->free_[i] = static_cast<uint32_t>(capacity - 1 - i);
  }
  pool->free_count_ = capacity;
  return pool;
}

Assembler* AssemblerPool::Take() {
  if (capacity_ == 0) {
    Slot* slot = new (std::nothrow) Slot;
    if (slot == nullptr) {
      return nullptr;
    }
    slot->pool = this;
    in_use_.fetch_add(1, std::memory_order_relaxed);
    return &slot->assembler;
  }
  if (free_count_ == 0) {
    return nullptr;
  }
  Slot& slot = slots_[free_[--free_count_]];
  in_use_.store(in_use_.load(std::memory_order_relaxed) + 1,
                std::memory_order_relaxed);
  TERN_DCHECK(slot.assembler.empty() && !slot.assembler.fin_known());
  return &slot.assembler;
}

void AssemblerPool::Give(Assembler* assembler) {
  Slot* slot = reinterpret_cast<Slot*>(assembler);
  AssemblerPool* pool = slot->pool;
  if (pool->capacity_ == 0) {
    pool->in_use_.fetch_sub(1, std::memory_order_relaxed);
    delete slot;
    return;
  }
  TERN_DCHECK(slot >= pool->slots_.get() &&
              slot < pool->slots_.get() + pool->capacity_);
  // Cleared here so that Take hands out an empty record.
  slot->assembler.Clear();
  pool->free_[pool->free_count_++] =
      static_cast<uint32_t>(slot - pool->slots_.get());
  pool->in_use_.store(pool->in_use_.load(std::memory_order_relaxed) - 1,
                      std::memory_order_relaxed);
}

size_t AssemblerPool::MemoryBytes() const {
  if (capacity_ == 0) {
    return in_use() * sizeof(Slot);
  }
  return capacity_ * (sizeof(Slot) + sizeof(uint32_t));
}

AssemblerPool& HeapAssemblerPool() {
  static AssemblerPool* const pool = new AssemblerPool(0);
  return *pool;
}

}  // namespace tern::tcp
