#include "lib/tcp/byte_ring.h"

#include <algorithm>
#include <cstring>

#include "lib/base/dcheck.h"

namespace tern::tcp {

void ByteRing::Init(size_t capacity) {
  if (capacity != capacity_) {
    buf_.reset();
    capacity_ = capacity;
  }
  head_ = size_ = 0;
}

size_t ByteRing::Push(std::span<const uint8_t> data) {
  size_t n = std::min(data.size(), free());
  if (n == 0) {
    return 0;
  }
  if (buf_ == nullptr) {
    // Memory comes with the first byte, once per connection: a half-open or
    // idle connection holds none. Default-initialised, because the bytes are
    // written before they are read and zeroing 256 KiB would dominate a
    // handshake.
    buf_.reset(new uint8_t[capacity_]);
  }
  size_t tail = (head_ + size_) % (capacity_ == 0 ? 1 : capacity_);
  size_t first = std::min(n, capacity_ - tail);
  if (first > 0) {
    std::memcpy(buf_.get() + tail, data.data(), first);
  }
  if (n > first) {
    std::memcpy(buf_.get(), data.data() + first, n - first);
  }
  size_ += n;
  return n;
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
  s.first = std::span<const uint8_t>(buf_.get() + start, first);
  if (len > first) {
    s.second = std::span<const uint8_t>(buf_.get(), len - first);
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
  if (size_ == 0) {
    head_ = 0;
  }
}

}  // namespace tern::tcp
