#include "lib/tcp/buffer_allocator.h"

#include <cstring>
#include <new>

namespace tern::tcp {
namespace {

class HeapAllocator final : public BufferAllocator {
 public:
  // Every block is allocated with kBufferAlign, so Free, which is not told
  // the alignment, hands the same one back; a larger alignment is refused.
  void* Allocate(size_t bytes, size_t align) override {
    if (align > kBufferAlign) {
      return nullptr;
    }
    return ::operator new (bytes, std::align_val_t{kBufferAlign}, std::nothrow);
  }
  void Free(void* p, size_t bytes) override {
    ::operator delete (p, bytes, std::align_val_t{kBufferAlign});
  }
};

}  // namespace

BufferAllocator& HeapBufferAllocator() {
  static HeapAllocator heap;
  return heap;
}

void* BufferCache::Allocate(size_t bytes, size_t align) {
  if (align <= kBufferAlign) {
    for (Class& c : classes_) {
      if (c.bytes == bytes && c.head != nullptr) {
        void* p = c.head;
        std::memcpy(&c.head, p, sizeof(void*));
        --c.count;
        cached_bytes_ -= bytes;
        ++hits_;
        return p;
      }
    }
  }
  ++misses_;
  return target_->Allocate(bytes, align);
}

void BufferCache::Free(void* p, size_t bytes) {
  if (bytes < sizeof(void*) ||
      reinterpret_cast<uintptr_t>(p) % kBufferAlign != 0 ||
      bytes > max_cached_bytes_) {
    target_->Free(p, bytes);
    return;
  }
  Class* slot = nullptr;
  for (Class& c : classes_) {
    if (c.bytes == bytes) {
      slot = &c;
      break;
    }
    if (slot == nullptr && c.count == 0) {
      slot = &c;  // an empty class may take another size
    }
  }
  // The budget is spent: a class holding more than this one will after the
  // block gives blocks back to the target until the block fits. Without it
  // the first size to fill the budget kept it for good while the blocks of
  // another size went through the target at every connection (the engine's
  // short-connection benchmark at 256 open: 35 % hits, one 256 KiB class
  // holding all 16 MiB).
  const size_t mine = slot != nullptr ? slot->bytes * slot->count : 0;
  while (cached_bytes_ + bytes > max_cached_bytes_) {
    Class* victim = nullptr;
    for (Class& c : classes_) {
      if (&c != slot && c.count > 0 &&
          (victim == nullptr ||
           c.bytes * c.count > victim->bytes * victim->count)) {
        victim = &c;
      }
    }
    if (victim == nullptr || victim->bytes * victim->count <= mine + bytes) {
      target_->Free(p, bytes);
      return;
    }
    void* q = victim->head;
    std::memcpy(&victim->head, q, sizeof(void*));
    --victim->count;
    cached_bytes_ -= victim->bytes;
    target_->Free(q, victim->bytes);
    if (slot == nullptr && victim->count == 0) {
      slot = victim;
    }
  }
  if (slot == nullptr) {
    target_->Free(p, bytes);
    return;
  }
  slot->bytes = bytes;
  std::memcpy(p, &slot->head, sizeof(void*));
  slot->head = p;
  ++slot->count;
  cached_bytes_ += bytes;
}

void BufferCache::Trim() {
  for (Class& c : classes_) {
    while (c.head != nullptr) {
      void* p = c.head;
      std::memcpy(&c.head, p, sizeof(void*));
      target_->Free(p, c.bytes);
    }
    c.count = 0;
  }
  cached_bytes_ = 0;
}

}  // namespace tern::tcp
