// ByteRing: a fixed-capacity byte FIFO for a connection's send and receive
// buffers.
//
// Contract: capacity is fixed at Init; the memory is allocated by the first
// Push that stores a byte (once per connection, never per packet), so a
// connection that never buffers data holds none. Push copies in as much as fits
// and returns the count; Peek returns the bytes [offset, offset + len) as at
// most two spans (the ring may wrap); Pop discards from the front. Used as the
// send buffer (bytes from SND.UNA onwards) and the receive buffer (in-order
// bytes not yet read).
#ifndef TERN_LIB_TCP_BYTE_RING_H_
#define TERN_LIB_TCP_BYTE_RING_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace tern::tcp {

class ByteRing {
 public:
  struct Slice {
    std::span<const uint8_t> first;
    std::span<const uint8_t> second;
    size_t size() const { return first.size() + second.size(); }
  };

  void Init(size_t capacity);
  size_t capacity() const { return capacity_; }
  bool allocated() const { return buf_ != nullptr; }
  size_t size() const { return size_; }
  size_t free() const { return capacity_ - size_; }

  size_t Push(std::span<const uint8_t> data);
  Slice Peek(size_t offset, size_t len) const;
  size_t CopyOut(size_t offset, std::span<uint8_t> out) const;
  void Pop(size_t n);
  void Clear() { head_ = size_ = 0; }

 private:
  std::unique_ptr<uint8_t[]> buf_;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_BYTE_RING_H_
