#include "lib/tcp/buffer_allocator.h"

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

}  // namespace tern::tcp
