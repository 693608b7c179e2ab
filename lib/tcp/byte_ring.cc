#include "lib/tcp/byte_ring.h"

#include <algorithm>
#include <cstring>

#include "lib/base/dcheck.h"

namespace tern::tcp {

void ByteRing::FreeBuffer() {
  if (buf_ != nullptr) {
    allocator_->Free(buf_, alloc_);
    buf_ = nullptr;
    alloc_ = 0;
  }
}

void ByteRing::Init(size_t capacity, BufferAllocator* allocator) {
  capacity = std::min(capacity, kMaxCapacity);
  if (capacity != capacity_ || allocator != allocator_) {
    FreeBuffer();
    capacity_ = static_cast<uint32_t>(capacity);
    allocator_ = allocator;
  }
  head_ = size_ = written_past_tail_ = 0;
}

bool ByteRing::Reallocate(size_t bytes) {
  TERN_DCHECK(bytes >= size_ + written_past_tail_);
  // Default-initialised: the bytes are written before they are read, and
  // zeroing 256 KiB would dominate a handshake.
  auto* next = static_cast<uint8_t*>(allocator_->Allocate(bytes, kBufferAlign));
  if (next == nullptr) {
    return false;
  }
  if (buf_ != nullptr) {
    const size_t keep = size_t{size_} + written_past_tail_;
    const size_t first = std::min<size_t>(keep, alloc_ - head_);
    std::memcpy(next, buf_ + head_, first);
    std::memcpy(next + first, buf_, keep - first);
    allocator_->Free(buf_, alloc_);
  }
  buf_ = next;
  alloc_ = static_cast<uint32_t>(bytes);
  head_ = 0;
  return true;
}

bool ByteRing::Reserve(size_t bytes_past_size) {
  const size_t need = std::min<size_t>(capacity_, size_ + bytes_past_size);
  if (buf_ != nullptr && need <= alloc_) {
    return true;
  }
  if (capacity_ == 0) {
    return false;
  }
  const size_t cap = capacity_;
  size_t next = alloc_ == 0 ? std::min(cap, kFirstBlock)
                            : std::min(cap, size_t{alloc_} * kGrowth);
  while (next < need) {
    next = std::min(cap, next * kGrowth);
  }
  return Reallocate(next);
}

void ByteRing::Resize(size_t capacity) {
  capacity = std::max(std::min(capacity, kMaxCapacity),
                      size_t{size_} + written_past_tail_);
  if (capacity == capacity_) {
    return;
  }
  capacity_ = static_cast<uint32_t>(capacity);
  if (buf_ == nullptr) {
    head_ = size_ = written_past_tail_ = 0;
    return;
  }
  if (alloc_ > capacity_) {
    // The memory held outgrew the new bound: shrink it. Without memory for
    // the smaller block the ring keeps the larger one (it never holds more
    // than the capacity).
    Reallocate(capacity_);
  }
}

size_t ByteRing::Push(std::span<const uint8_t> data) {
  size_t n = WriteAt(0, data);
  Commit(n);
  return n;
}

size_t ByteRing::WriteAt(size_t offset_past_tail,
                         std::span<const uint8_t> data) {
  if (offset_past_tail >= free()) {
    return 0;
  }
  size_t n = std::min(data.size(), free() - offset_past_tail);
  if (n == 0) {
    return 0;
  }
  // Memory comes with the first byte and grows with the bytes held, never
  // more than twice for a ring (kGrowth): a half-open or idle connection
  // holds none.
  if (!Reserve(offset_past_tail + n)) {
    // No memory for more: what the block held already takes.
    const size_t room = alloc_ - std::min<size_t>(alloc_, size_);
    if (offset_past_tail >= room) {
      return 0;
    }
    n = std::min(n, room - offset_past_tail);
  }
  // head_ < alloc_ and size_ + offset_past_tail < alloc_ here, so one
  // subtraction replaces the modulo.
  size_t pos = size_t{head_} + size_ + offset_past_tail;
  if (pos >= alloc_) {
    pos -= alloc_;
  }
  size_t first = std::min<size_t>(n, alloc_ - pos);
  std::memcpy(buf_ + pos, data.data(), first);
  if (n > first) {
    std::memcpy(buf_, data.data() + first, n - first);
  }
  written_past_tail_ = static_cast<uint32_t>(
      std::max<size_t>(written_past_tail_, offset_past_tail + n));
  return n;
}

void ByteRing::Commit(size_t n) {
  TERN_DCHECK(n <= free());
  TERN_DCHECK(n == 0 || buf_ != nullptr);
  size_ += static_cast<uint32_t>(n);
  written_past_tail_ = written_past_tail_ > n
                           ? written_past_tail_ - static_cast<uint32_t>(n)
                           : 0;
}

ByteRing::Slice ByteRing::Peek(size_t offset, size_t len) const {
  TERN_DCHECK(offset <= size_);
  len = std::min<size_t>(len, size_ - offset);
  if (len == 0) {
    return {};
  }
  size_t start = (size_t{head_} + offset) % alloc_;
  size_t first = std::min<size_t>(len, alloc_ - start);
  Slice s;
  s.first = std::span<const uint8_t>(buf_ + start, first);
  if (len > first) {
    s.second = std::span<const uint8_t>(buf_, len - first);
  }
  return s;
}

size_t ByteRing::CopyOut(size_t offset, std::span<uint8_t> out) const {
  Slice s = Peek(offset, out.size());
  if (!s.first.empty()) {
    std::memcpy(out.data(), s.first.data(), s.first.size());
  }
  if (!s.second.empty()) {
    std::memcpy(out.data() + s.first.size(), s.second.data(), s.second.size());
  }
  return s.size();
}

void ByteRing::Pop(size_t n) {
  TERN_DCHECK(n <= size_);
  head_ =
      static_cast<uint32_t>((size_t{head_} + n) % (alloc_ == 0 ? 1 : alloc_));
  size_ -= static_cast<uint32_t>(n);
  // Rewinding an empty ring keeps later reads and writes in one span; bytes
  // held past the tail for reassembly pin the origin instead.
  if (size_ == 0 && written_past_tail_ == 0) {
    head_ = 0;
  }
}

}  // namespace tern::tcp
