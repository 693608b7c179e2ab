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
  const bool cacheable = bytes >= sizeof(void*) &&
                         reinterpret_cast<uintptr_t>(p) % kBufferAlign == 0 &&
                         cached_bytes_ + bytes <= max_cached_bytes_;
  if (cacheable) {
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
    if (slot != nullptr) {
      slot->bytes = bytes;
      std::memcpy(p, &slot->head, sizeof(void*));
      slot->head = p;
      ++slot->count;
      cached_bytes_ += bytes;
      return;
    }
  }
  target_->Free(p, bytes);
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
