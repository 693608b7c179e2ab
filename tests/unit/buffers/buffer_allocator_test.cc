// BufferAllocator: every buffer a connection takes comes from the allocator
// the endpoint was given, and goes back to it, whatever ends the connection
// (close, reset, abort, the endpoint's destruction); without memory the
// connection drops data unacknowledged rather than losing it.
#include "lib/tcp/buffer_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <vector>

#include "lib/tcp/byte_ring.h"
#include "lib/tcp/send_queue.h"
#include "tests/support/link.h"

namespace tern::tcp::testing {
namespace {

// Counts and checks every call: each Free matches an Allocate, pointer and
// size, exactly once.
class CountingAllocator final : public BufferAllocator {
 public:
  ~CountingAllocator() { EXPECT_TRUE(live_.empty()) << live_.size(); }
  void* Allocate(size_t bytes, size_t align) override {
    EXPECT_GT(bytes, 0u);
    EXPECT_EQ(align, kBufferAlign);
    if (fail) {
      ++refused;
      return nullptr;
    }
    void* p = HeapBufferAllocator().Allocate(bytes, align);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
    live_[p] = bytes;
    ++allocations;
    held += bytes;
    return p;
  }
  void Free(void* p, size_t bytes) override {
    auto it = live_.find(p);
    ASSERT_NE(it, live_.end()) << "freed twice or never allocated";
    EXPECT_EQ(it->second, bytes);
    live_.erase(it);
    ++frees;
    held -= bytes;
    HeapBufferAllocator().Free(p, bytes);
  }
  size_t live() const { return live_.size(); }

  bool fail = false;
  size_t allocations = 0;
  size_t frees = 0;
  size_t refused = 0;
  size_t held = 0;

 private:
  std::map<void*, size_t> live_;
};

constexpr wire::Ipv4Addr kAddrA = wire::Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr wire::Ipv4Addr kAddrB = wire::Ipv4Addr::FromOctets(10, 0, 0, 2);

EndpointConfig ConfigWith(BufferAllocator* a) {
  EndpointConfig c;
  c.max_connections = 64;
  c.max_time_wait = 64;
  c.buffer_allocator = a;
  return c;
}

class NoRelease final : public PayloadOwner {
 public:
  void Release(uint64_t) override { ++released; }
  int released = 0;
};

TEST(BufferAllocatorTest, ConnectionLives_EveryAllocationFreed) {
  CountingAllocator alloc_a;
  CountingAllocator alloc_b;
  NoRelease owner;  // outlives the link
  {
    Link link(ConfigWith(&alloc_a), ConfigWith(&alloc_b));
    ListenerHandle l = *link.b().Listen(kAddrB, 80, ListenOptions{});
    std::vector<uint8_t> payload(10000, 'p');
    std::vector<uint8_t> buf(65536);
    for (int round = 0; round < 8; ++round) {
      ConnHandle ca =
          *link.a().Connect(kAddrA, kAddrB, 80, ConnOptions{}, link.now());
      link.Run();
      ConnHandle cb = *link.b().Accept(l);
      ASSERT_TRUE(link.a().Send(ca, payload, link.now()).ok());
      // A referenced chunk takes the chunk slots from the allocator too.
      ASSERT_TRUE(link.b()
                      .SendRef(cb, PayloadRef{payload, &owner, 1}, link.now())
                      .ok());
      link.Run();
      EXPECT_EQ(link.b().Recv(cb, buf, link.now()).bytes, payload.size());
      EXPECT_EQ(link.a().Recv(ca, buf, link.now()).bytes, payload.size());
      EXPECT_GT(alloc_a.held, 0u);
      // The endpoint's own count is the allocator's.
      EXPECT_EQ(link.a().buffer_bytes(), alloc_a.held);
      EXPECT_EQ(link.b().buffer_bytes(), alloc_b.held);
      switch (round % 4) {
        case 0:  // orderly close from both sides
          link.a().Close(ca, link.now());
          link.b().Close(cb, link.now());
          break;
        case 1:  // abort on one side, reset seen by the other
          link.a().Abort(ca, link.now());
          link.Run();
          link.b().Close(cb, link.now());
          break;
        case 2:  // half close, then close
          link.b().ShutdownWrite(cb, link.now());
          link.Run();
          link.a().Close(ca, link.now());
          link.b().Close(cb, link.now());
          break;
        case 3:  // left open: the endpoint's destruction frees them
          break;
      }
      link.Advance(Duration::Seconds(1));
    }
    link.Advance(Duration::Seconds(200));
    EXPECT_GT(alloc_a.allocations, 0u);
    EXPECT_GT(alloc_b.allocations, 0u);
  }
  EXPECT_EQ(alloc_a.live(), 0u);
  EXPECT_EQ(alloc_b.live(), 0u);
  EXPECT_EQ(alloc_a.allocations, alloc_a.frees);
  EXPECT_EQ(alloc_b.allocations, alloc_b.frees);
  EXPECT_EQ(alloc_a.held, 0u);
  EXPECT_EQ(owner.released, 8);
}

TEST(BufferAllocatorTest, NoMemory_DataDroppedUnacknowledgedThenDelivered) {
  CountingAllocator alloc_b;
  Link link(ConfigWith(nullptr), ConfigWith(&alloc_b));
  ListenerHandle l = *link.b().Listen(kAddrB, 80, ListenOptions{});
  ConnHandle ca =
      *link.a().Connect(kAddrA, kAddrB, 80, ConnOptions{}, link.now());
  link.Run();
  ConnHandle cb = *link.b().Accept(l);
  alloc_b.fail = true;
  const std::vector<uint8_t> data(100, 'd');
  ASSERT_TRUE(link.a().Send(ca, data, link.now()).ok());
  link.Run();
  EXPECT_GT(alloc_b.refused, 0u);
  EXPECT_GE(link.b().stats().drops.Get(DropReason::kNoBufferMemory), 1u);
  EXPECT_EQ(link.b().Find(cb)->readable_bytes(), 0u);
  // Nothing was acknowledged: the sender still holds the bytes.
  EXPECT_EQ(link.a().Find(ca)->send_queued(), data.size());
  // B cannot queue a copy either.
  const std::vector<uint8_t> reply(10, 'r');
  EXPECT_EQ(link.b().Send(cb, reply, link.now()).error, SockError::kWouldBlock);
  // Memory again: the retransmission is stored and acknowledged.
  alloc_b.fail = false;
  link.Advance(Duration::Seconds(3));
  EXPECT_EQ(link.b().Find(cb)->readable_bytes(), data.size());
  EXPECT_EQ(link.a().Find(ca)->send_queued(), 0u);
}

TEST(BufferAllocatorTest, ByteRingAndSendQueue_FreeWhatTheyTook) {
  CountingAllocator alloc;
  NoRelease owner;  // outlives the queue
  {
    ByteRing ring;
    ring.Init(1000, &alloc);
    EXPECT_EQ(alloc.allocations, 0u);  // nothing before the first byte
    const std::vector<uint8_t> bytes(10, 'b');
    EXPECT_EQ(ring.Push(bytes), 10u);
    EXPECT_EQ(alloc.held, 1000u);
    ring.Resize(2000);  // reallocates: the old block goes back
    EXPECT_EQ(alloc.held, 2000u);
    EXPECT_EQ(alloc.frees, 1u);
    ring.Init(500, &alloc);  // another capacity: the block goes back
    EXPECT_EQ(alloc.held, 0u);
    SendQueue q;
    q.Init(1000, 4, &alloc);
    EXPECT_EQ(q.Push(bytes), 10u);
    EXPECT_EQ(q.PushRef(PayloadRef{bytes, &owner, 9}), SockError::kOk);
    EXPECT_EQ(alloc.live(), 2u);  // the ring and the chunk slots
    q.Pop(20);
    EXPECT_EQ(owner.released, 1);
  }
  EXPECT_EQ(alloc.live(), 0u);
  EXPECT_EQ(alloc.allocations, alloc.frees);
}

}  // namespace
}  // namespace tern::tcp::testing
