#include "lib/tcp/byte_ring.h"

#include <algorithm>
#include <cstring>

#include "lib/base/dcheck.h"

namespace tern::tcp {

void ByteRing::FreeBuffer() {
  if (buf_ != nullptr) {
    allocator_->Free(buf_, capacity_);
    buf_ = nullptr;
  }
}

void ByteRing::Init(size_t capacity, BufferAllocator* allocator) {
  if (capacity != capacity_ || allocator != allocator_) {
    FreeBuffer();
    capacity_ = capacity;
    allocator_ = allocator;
  }
  head_ = size_ = written_past_tail_ = 0;
}

bool ByteRing::EnsureAllocated() {
  if (buf_ == nullptr && capacity_ > 0) {
    // Default-initialised: the bytes are written before they are read, and
    // zeroing 256 KiB would dominate a handshake.
    buf_ = static_cast<uint8_t*>(allocator_->Allocate(capacity_, kBufferAlign));
  }
  return buf_ != nullptr;
}

void ByteRing::Resize(size_t capacity) {
  capacity = std::max(capacity, size_ + written_past_tail_);
  if (capacity == capacity_) {
    return;
  }
  if (buf_ == nullptr) {
    capacity_ = capacity;
    head_ = size_ = written_past_tail_ = 0;
    return;
  }
  auto* next =
      static_cast<uint8_t*>(allocator_->Allocate(capacity, kBufferAlign));
  if (next == nullptr) {
    // No memory for the new size: the ring keeps its old capacity.
    return;
  }
  const size_t keep = size_ + written_past_tail_;
  for (size_t i = 0; i < keep; ++i) {
    next[i] = buf_[(head_ + i) % capacity_];
  }
  allocator_->Free(buf_, capacity_);
  buf_ = next;
  capacity_ = capacity;
  head_ = 0;
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
  // Memory comes with the first byte, once per connection: a half-open or
  // idle connection holds none.
  if (!EnsureAllocated()) {
    return 0;
  }
  // head_ < capacity_ and size_ + offset_past_tail < capacity_ here, so one
  // subtraction replaces the modulo.
  size_t pos = head_ + size_ + offset_past_tail;
  if (pos >= capacity_) {
    pos -= capacity_;
  }
  size_t first = std::min(n, capacity_ - pos);
  std::memcpy(buf_ + pos, data.data(), first);
  if (n > first) {
    std::memcpy(buf_, data.data() + first, n - first);
  }
  written_past_tail_ = std::max(written_past_tail_, offset_past_tail + n);
  return n;
}

void ByteRing::Commit(size_t n) {
  TERN_DCHECK(n <= free());
  TERN_DCHECK(n == 0 || buf_ != nullptr);
  size_ += n;
  written_past_tail_ = written_past_tail_ > n ? written_past_tail_ - n : 0;
}

ByteRing::Slice ByteRing::Peek(size_t offset, size_t len) const {
  TERN_DCHECK(offset <= size_);
  len = std::min(len, size_ - offset);
  if (len == 0) {
    return {};
  }
  size_t start = (head_ + offset) % capacity_;
  size_t first = std::min(len, capacity_ - start);
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
  head_ = (head_ + n) % (capacity_ == 0 ? 1 : capacity_);
  size_ -= n;
  // Rewinding an empty ring keeps later reads and writes in one span; bytes
  // held past the tail for reassembly pin the origin instead.
  if (size_ == 0 && written_past_tail_ == 0) {
    head_ = 0;
  }
}

}  // namespace tern::tcp
