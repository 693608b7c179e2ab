// ByteRing: a fixed-capacity byte FIFO for a connection's send and receive
// buffers.
//
// Contract: capacity is fixed at Init; the memory is taken from the
// BufferAllocator given to Init by the first Push that stores a byte (once
// per connection, never per packet), so a connection that never buffers data
// holds none, and goes back to it at destruction, at Init with another
// capacity and at Resize. When the allocator has no memory, Push and WriteAt
// store nothing (they return 0) and allocated() stays false. Push copies in as
// much as fits and returns the count; Peek returns the bytes [offset, offset +
// len) as at most two spans (the ring may wrap); Pop discards from the front.
// Used as the send buffer (bytes from SND.UNA onwards) and the receive buffer
// (in-order bytes not yet read).
//
// Out-of-order reception (doc/reassembly.md): WriteAt stores bytes in the free
// area at a distance past the in-order tail without changing size(), and
// Commit later makes the first n of those bytes part of the FIFO. The ring
// does not remember which free bytes were written; the Assembler does. WriteAt
// allocates like Push and never writes outside the free area. Pop moves the
// ring's origin back to the start of the buffer when it empties, unless bytes
// written past the tail are still pending, which keeps them in place.
#ifndef TERN_LIB_TCP_BYTE_RING_H_
#define TERN_LIB_TCP_BYTE_RING_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/tcp/buffer_allocator.h"

namespace tern::tcp {

class ByteRing {
 public:
  struct Slice {
    std::span<const uint8_t> first;
    std::span<const uint8_t> second;
    size_t size() const { return first.size() + second.size(); }
  };

  ByteRing() = default;
  ByteRing(const ByteRing&) = delete;
  ByteRing& operator=(const ByteRing&) = delete;
  ~ByteRing() { FreeBuffer(); }

  // Sets the capacity and the allocator (which must outlive the ring) and
  // empties the ring.
  void Init(size_t capacity,
            BufferAllocator* allocator = &HeapBufferAllocator());
  // Takes the memory now if the ring holds none; false when the allocator
  // had none (or the capacity is 0).
  bool EnsureAllocated();
  size_t capacity() const { return capacity_; }
  bool allocated() const { return buf_ != nullptr; }
  size_t size() const { return size_; }
  size_t free() const { return capacity_ - size_; }

  size_t Push(std::span<const uint8_t> data);
  Slice Peek(size_t offset, size_t len) const;
  size_t CopyOut(size_t offset, std::span<uint8_t> out) const;
  void Pop(size_t n);
  // Writes `data` at size() + offset_past_tail, truncated at the free area's
  // end; returns the bytes written (0 when offset_past_tail >= free()).
  size_t WriteAt(size_t offset_past_tail, std::span<const uint8_t> data);
  // Appends the n bytes at the tail that WriteAt already wrote; n <= free().
  void Commit(size_t n);
  void Clear() { head_ = size_ = written_past_tail_ = 0; }
  // Gives the memory back to the allocator when the FIFO is empty, and
  // forgets what WriteAt wrote past the tail: the caller calls it only when
  // it tracks no such bytes (the connection holds no Assembler). The next
  // Push or WriteAt takes the memory again. An idle connection's buffers
  // (Connection's reclaim_deadline_, doc/benchmarks.md "Memory per
  // connection").
  void Reclaim() {
    if (size_ == 0) {
      FreeBuffer();
      head_ = written_past_tail_ = 0;
    }
  }
  // Changes the capacity, keeping the bytes held (and those written past the
  // tail); the new capacity is at least what they need. Reallocates when the
  // ring already holds memory: a control-plane call (SO_SNDBUF), never per
  // packet.
  void Resize(size_t capacity);

 private:
  void FreeBuffer();

  BufferAllocator* allocator_ = &HeapBufferAllocator();
  uint8_t* buf_ = nullptr;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
  // How far past the tail WriteAt has written bytes not yet appended.
  size_t written_past_tail_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_BYTE_RING_H_
