// ByteRing: a bounded byte FIFO for a connection's send and receive buffers.
//
// Contract: the capacity (the most the ring holds, which sizes the receive
// window and the send buffer) is fixed at Init. The memory behind it is taken
// from the BufferAllocator given to Init as the bytes arrive: none until the
// first byte is stored (so a connection that never buffers data holds none),
// then a block of min(capacity, kFirstBlock), grown by kGrowth at a time up to
// the capacity when the bytes held need more (the held bytes are copied into
// the new block, so growth costs at most about a third of a copy per byte
// stored, and a ring grows at most twice for the default 256 KiB). The memory
// goes back at destruction, at Init with another capacity and at Resize below
// what is held. When the allocator has no memory, Reserve returns false, and
// Push and WriteAt store only what the memory held already takes (nothing when
// the ring holds none; allocated() is then false). Push copies in as much as
// fits and returns the count; Peek returns the bytes [offset, offset + len) as
// at most two spans (the ring may wrap); Pop discards from the front. Used as
// the send buffer (bytes from SND.UNA onwards) and the receive buffer
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
  // Makes sure the memory takes size() + bytes_past_size bytes (clamped to
  // the capacity), allocating or growing it now; false when the allocator
  // had none (or the capacity is 0), and the ring is unchanged.
  bool Reserve(size_t bytes_past_size);
  size_t capacity() const { return capacity_; }
  bool allocated() const { return buf_ != nullptr; }
  // The bytes of memory held now (0 .. capacity()).
  size_t allocated_bytes() const { return alloc_; }

  // The first block: 16 KiB holds a short connection's request or response
  // (an HTTP request; the engine benchmark's 1,098-byte response) in one
  // allocation that is no larger than it needs to be; the default 256 KiB
  // ring then grows 16 -> 64 -> 256 KiB, three block sizes, which the
  // endpoint's BufferCache (four size classes) keeps apart. Measured: with
  // 256 KiB taken at the first byte, BM_Engine_ShortConnections at 256 open
  // held 512 live 256 KiB blocks per endpoint and the cache served 35 % of
  // the allocations (doc/benchmarks.md).
  static constexpr size_t kFirstBlock = 16 * 1024;
  // The largest capacity: Init and Resize clamp to it. A window cannot
  // exceed 2^30 bytes (RFC 7323 section 2.3: window scale at most 14), so a
  // larger receive buffer could never be filled, nor a larger send buffer be
  // in flight.
  static constexpr size_t kMaxCapacity = size_t{1} << 30;
  static constexpr size_t kGrowth = 4;
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
  // tail); the new capacity is at least what they need. Reallocates only
  // when the memory held is larger than the new capacity: a control-plane
  // call (SO_SNDBUF), never per packet.
  void Resize(size_t capacity);

 private:
  void FreeBuffer();
  // Moves the bytes held (and those written past the tail) to the start of
  // a new block of `bytes`; false when the allocator had none.
  bool Reallocate(size_t bytes);

  BufferAllocator* allocator_ = &HeapBufferAllocator();
  uint8_t* buf_ = nullptr;
  // 32 bits each: every size and position is below kMaxCapacity (2^30), and
  // so is the sum of any two of them.
  uint32_t capacity_ = 0;
  uint32_t alloc_ = 0;  // bytes at buf_; the ring's positions are modulo it
  uint32_t head_ = 0;
  uint32_t size_ = 0;
  // How far past the tail WriteAt has written bytes not yet appended.
  uint32_t written_past_tail_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_BYTE_RING_H_
