#include "lib/tcp/send_queue.h"

#include <algorithm>
#include <new>
#include <type_traits>

#include "lib/base/dcheck.h"

namespace tern::tcp {

SendQueue::~SendQueue() {
  ReleaseAll();
  FreeChunks();
}

void SendQueue::FreeChunks() {
  if (chunks_ != nullptr) {
    // Chunk is trivially destructible: the memory goes back as it came.
    allocator_->Free(chunks_, max_chunks_ * sizeof(Chunk));
    chunks_ = nullptr;
  }
}

void SendQueue::Reclaim() {
  if (size_ == 0 && chunk_count() == 0) {
    ring_.Reclaim();
    FreeChunks();
  }
}

void SendQueue::Init(size_t byte_limit, size_t max_chunks,
                     BufferAllocator* allocator) {
  ReleaseAll();
  ring_.Init(byte_limit, allocator);
  limit_ = byte_limit;
  if (max_chunks != max_chunks_ || allocator != allocator_) {
    FreeChunks();
    max_chunks_ = max_chunks;
    allocator_ = allocator;
  }
  size_ = 0;
  copy_pushed_ = copy_popped_ = 0;
  head_ = tail_ = 0;
  ref_count_ = 0;
  cursor_ = cursor_pos_ = popped_ = 0;
}

void SendQueue::Resize(size_t byte_limit) {
  limit_ = std::max(byte_limit, size_);
  // The ring keeps its bytes in order from its head, so the copy chunks'
  // offsets (copy_start - copy_popped_) stay valid.
  ring_.Resize(limit_);
}

void SendQueue::AppendRing(std::span<const uint8_t> data, size_t n) {
  const size_t pushed = ring_.Push(data.first(n));
  TERN_DCHECK(pushed == n);
  copy_pushed_ += pushed;
  size_ += pushed;
}

size_t SendQueue::Push(std::span<const uint8_t> data) {
  const size_t n = std::min(data.size(), space());
  if (n == 0 || !ring_.Reserve(n)) {
    return 0;
  }
  if (chunk_count() > 0) {
    Chunk& last = At(tail_ - 1);
    if (last.owner == nullptr) {
      last.len += n;
    } else if (chunk_count() == max_chunks_) {
      return 0;
    } else {
      At(tail_++) = Chunk{.copy_start = copy_pushed_, .len = n};
    }
  }
  AppendRing(data, n);
  return n;
}

SockError SendQueue::PushRef(const PayloadRef& ref) {
  const size_t n = ref.data.size();
  if (n == 0 || ref.owner == nullptr || n > limit_ || max_chunks_ == 0) {
    return SockError::kInvalid;
  }
  if (n > space()) {
    return SockError::kWouldBlock;
  }
  // The first reference turns the ring's bytes into a chunk of their own.
  const bool ring_chunk = chunk_count() == 0 && ring_.size() > 0;
  if (chunk_count() + (ring_chunk ? 2 : 1) > max_chunks_) {
    return SockError::kWouldBlock;
  }
  if (chunks_ == nullptr) {
    static_assert(std::is_trivially_destructible_v<Chunk>);
    static_assert(alignof(Chunk) <= kBufferAlign);
    void* mem = allocator_->Allocate(max_chunks_ * sizeof(Chunk), kBufferAlign);
    if (mem == nullptr) {
      return SockError::kWouldBlock;
    }
    chunks_ = new (mem) Chunk[max_chunks_];
  }
  if (chunk_count() == 0) {
    cursor_ = head_;
    cursor_pos_ = popped_;
  }
  if (ring_chunk) {
    At(tail_++) = Chunk{.copy_start = copy_popped_, .len = ring_.size()};
  }
  At(tail_++) = Chunk{.data = ref.data.data(),
                      .owner = ref.owner,
                      .token = ref.token,
                      .len = n};
  ++ref_count_;
  size_ += n;
  return SockError::kOk;
}

size_t SendQueue::Gather(size_t offset, size_t len, PayloadSpans* out) {
  out->count = 0;
  TERN_DCHECK(offset + len <= size_);
  size_t got = 0;
  // Appends a span, merged into the previous one when the memory is
  // contiguous and has the same owner; false when the spans ran out.
  auto add = [&](std::span<const uint8_t> s, PayloadOwner* owner = nullptr,
                 uint64_t token = 0) {
    if (s.empty()) {
      return true;
    }
    if (out->count > 0) {
      const size_t last = out->count - 1;
      std::span<const uint8_t>& prev = out->span[last];
      if (prev.data() + prev.size() == s.data() && out->owner[last] == owner &&
          out->token[last] == token) {
        prev = std::span<const uint8_t>(prev.data(), prev.size() + s.size());
        got += s.size();
        return true;
      }
    }
    if (out->count == kMaxPayloadSpans) {
      return false;
    }
    out->owner[out->count] = owner;
    out->token[out->count] = token;
    out->span[out->count++] = s;
    got += s.size();
    return true;
  };
  if (len == 0) {
    return 0;
  }
  if (chunk_count() == 0) {
    ByteRing::Slice s = ring_.Peek(offset, len);
    add(s.first);
    add(s.second);
    return got;
  }
  const uint64_t target = popped_ + offset;
  uint64_t index = head_;
  uint64_t pos = popped_;
  if (cursor_ > head_ && cursor_ < tail_ && cursor_pos_ <= target) {
    index = cursor_;
    pos = cursor_pos_;
  }
  while (pos + At(index).len <= target) {
    pos += At(index).len;
    ++index;
    TERN_DCHECK(index < tail_);
  }
  cursor_ = index;
  cursor_pos_ = pos;
  size_t skip = static_cast<size_t>(target - pos);
  size_t left = len;
  for (; left > 0 && index < tail_; ++index) {
    const Chunk& c = At(index);
    const size_t take = std::min(left, c.len - skip);
    if (c.owner == nullptr) {
      ByteRing::Slice s = ring_.Peek(
          static_cast<size_t>(c.copy_start - copy_popped_) + skip, take);
      if (!add(s.first) || !add(s.second)) {
        break;
      }
    } else if (!add(std::span<const uint8_t>(c.data + skip, take), c.owner,
                    c.token)) {
      break;
    }
    left -= take;
    skip = 0;
  }
  return got;
}

void SendQueue::Pop(size_t n) {
  TERN_DCHECK(n <= size_);
  size_ -= n;
  popped_ += n;
  if (chunk_count() == 0) {
    ring_.Pop(n);
    copy_popped_ += n;
    return;
  }
  while (n > 0) {
    Chunk& c = At(head_);
    const size_t k = std::min(n, c.len);
    n -= k;
    c.len -= k;
    if (c.owner == nullptr) {
      ring_.Pop(k);
      copy_popped_ += k;
      c.copy_start += k;
    } else {
      c.data += k;
    }
    if (c.len == 0) {
      ++head_;
      if (c.owner != nullptr) {
        --ref_count_;
        c.owner->Release(c.token);
      }
    }
  }
  if (ref_count_ == 0) {
    // Only copies are left, in the ring in stream order: the ring alone
    // describes them again.
    head_ = tail_;
  }
}

void SendQueue::ReleaseAll() {
  while (head_ < tail_) {
    const Chunk c = At(head_++);
    if (c.owner != nullptr) {
      --ref_count_;
      c.owner->Release(c.token);
    }
  }
  TERN_DCHECK(ref_count_ == 0);
  ring_.Clear();
  popped_ += size_;
  size_ = 0;
  copy_popped_ = copy_pushed_;
}

}  // namespace tern::tcp
