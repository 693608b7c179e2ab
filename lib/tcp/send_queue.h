// SendQueue: a connection's send buffer, the bytes from SND.UNA onwards
// (RFC 9293 3.3.1: sent and unacknowledged, then not yet sent), held either
// as copies (Send) or by reference (SendRef).
//
// Copies go to a ByteRing; referenced payload stays in memory the
// application (or the port layer, with mbufs) owns and is described by a
// PayloadRef. Both kinds keep one stream order. Segments, first
// transmissions and retransmissions alike, are gathered as spans pointing
// into the ring or into the referenced memory: no byte is copied again for a
// retransmission.
//
// Contract:
// - Capacity is fixed at Init: `byte_limit` bytes of either kind together,
//   and `max_chunks` chunk slots once a reference is queued. Storage comes
//   with the first byte of each kind (the ring with the first copy, the chunk
//   slots with the first reference), once per connection, never per packet.
// - PushRef takes a chunk whole or not at all. Once it returned kOk the queue
//   owns the reference: it calls owner->Release(token) exactly once, when
//   Pop has consumed the chunk's last byte (the peer acknowledged it) or when
//   ReleaseAll or the destructor drops it. A refused chunk stays the
//   caller's and is never released by the queue.
// - Release is called synchronously, in stream order, from inside Pop,
//   ReleaseAll or the destructor. The owner must not call back into the
//   connection or its endpoint from Release, and must outlive every chunk it
//   owns.
// - Gather(offset, len) describes [offset, offset + len) of the queued
//   stream as at most kMaxPayloadSpans spans; it returns fewer bytes than
//   asked for only when the spans ran out. The spans stay valid until the
//   next Pop, ReleaseAll or Push of either kind.
// - While no reference is queued the queue is the ring alone, as fast as
//   ByteRing.
#ifndef TERN_LIB_TCP_SEND_QUEUE_H_
#define TERN_LIB_TCP_SEND_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "lib/tcp/api.h"
#include "lib/tcp/buffer_allocator.h"
#include "lib/tcp/byte_ring.h"
#include "lib/tcp/segment.h"

namespace tern::tcp {

class SendQueue {
 public:
  SendQueue() = default;
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;
  ~SendQueue();

  // Drops (and releases) whatever is queued, then sets the bounds and the
  // allocator the copy ring and the chunk slots come from (it must outlive
  // the queue). Copies that find no memory are not queued (Push returns 0),
  // nor is a first reference that finds none for the chunk slots
  // (kWouldBlock).
  void Init(size_t byte_limit, size_t max_chunks,
            BufferAllocator* allocator = &HeapBufferAllocator());
  // Changes the byte limit (SO_SNDBUF), never below size(); the copy ring
  // is reallocated when it already holds memory: a control-plane call,
  // never per packet. Queued chunks keep their place.
  void Resize(size_t byte_limit);

  size_t size() const { return size_; }
  size_t limit() const { return limit_; }
  size_t space() const { return limit_ - size_; }
  // Referenced chunks queued (not yet released).
  size_t ref_chunks() const { return ref_count_; }

  // Copies as much of `data` as fits; returns the count (0 also when the
  // bytes would need a chunk slot and none is free).
  size_t Push(std::span<const uint8_t> data);
  // kOk: queued (the queue now owns the reference). kInvalid: empty data, a
  // null owner, or a chunk larger than the limit or max_chunks 0 (it can
  // never fit). kWouldBlock: no room for it now.
  SockError PushRef(const PayloadRef& ref);

  size_t Gather(size_t offset, size_t len, PayloadSpans* out);
  // Discards the first n bytes (n <= size()), releasing every referenced
  // chunk whose last byte is among them.
  void Pop(size_t n);
  // Discards everything, releasing every referenced chunk.
  void ReleaseAll();
  // Gives the copy ring's memory and the chunk slots back to the allocator
  // when nothing is queued; the next Push or PushRef takes them again.
  void Reclaim();
  // Whether the queue holds allocator memory (the ring or the chunk slots).
  bool holds_memory() const { return ring_.allocated() || chunks_ != nullptr; }

 private:
  // A run of the stream: copies in the ring (owner == nullptr, their first
  // byte the copy_start-th copied byte ever pushed) or referenced memory.
  struct Chunk {
    const uint8_t* data = nullptr;
    uint64_t copy_start = 0;
    PayloadOwner* owner = nullptr;
    uint64_t token = 0;
    size_t len = 0;
  };

  Chunk& At(uint64_t index) { return chunks_[index % max_chunks_]; }
  size_t chunk_count() const { return static_cast<size_t>(tail_ - head_); }
  void AppendRing(std::span<const uint8_t> data, size_t n);

  ByteRing ring_;
  size_t limit_ = 0;
  size_t size_ = 0;
  // Copied bytes pushed into and popped from the ring, ever.
  uint64_t copy_pushed_ = 0;
  uint64_t copy_popped_ = 0;

  // Chunk slots: a ring of max_chunks_ indexed by ever-increasing positions
  // [head_, tail_). Empty while no reference is queued (the ring is then the
  // whole stream); the first PushRef describes the ring's bytes as a chunk.
  void FreeChunks();

  BufferAllocator* allocator_ = &HeapBufferAllocator();
  Chunk* chunks_ = nullptr;
  size_t max_chunks_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;
  size_t ref_count_ = 0;
  // Gather's last starting chunk and that chunk's stream position (counted
  // from the first byte ever queued), so that sending new data at SND.NXT
  // does not walk every chunk from SND.UNA again.
  uint64_t cursor_ = 0;
  uint64_t cursor_pos_ = 0;
  uint64_t popped_ = 0;  // bytes popped, ever
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SEND_QUEUE_H_
