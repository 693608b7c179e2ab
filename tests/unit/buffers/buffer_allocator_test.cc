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
      // (with what its cache keeps for the next connections).
      EXPECT_EQ(
          link.a().buffer_bytes() + link.a().buffer_cache().cached_bytes(),
          alloc_a.held);
      EXPECT_EQ(
          link.b().buffer_bytes() + link.b().buffer_cache().cached_bytes(),
          alloc_b.held);
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
    ring.Resize(2000);  // the block still holds what is stored: kept
    EXPECT_EQ(alloc.held, 1000u);
    EXPECT_EQ(alloc.frees, 0u);
    const std::vector<uint8_t> more(1500, 'm');
    EXPECT_EQ(ring.Push(more), 1500u);  // grows: the old block goes back
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

TEST(ByteRingGrowthTest, FirstBlockThenGrowsByFourUpToTheCapacity) {
  CountingAllocator alloc;
  ByteRing ring;
  ring.Init(256 * 1024, &alloc);
  EXPECT_EQ(ring.allocated_bytes(), 0u);
  std::vector<uint8_t> bytes(1098);
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(i * 7);
  }
  EXPECT_EQ(ring.Push(bytes), bytes.size());
  EXPECT_EQ(ring.allocated_bytes(), ByteRing::kFirstBlock);
  EXPECT_EQ(alloc.held, ByteRing::kFirstBlock);
  // Fill past 16 KiB: 64 KiB, then past 64 KiB: 256 KiB, never more.
  std::vector<uint8_t> fill(40 * 1024, 'f');
  EXPECT_EQ(ring.Push(fill), fill.size());
  EXPECT_EQ(ring.allocated_bytes(), 64u * 1024);
  EXPECT_EQ(ring.Push(fill), fill.size());
  EXPECT_EQ(ring.allocated_bytes(), 256u * 1024);
  std::vector<uint8_t> rest(256 * 1024, 'r');
  EXPECT_EQ(ring.Push(rest), 256u * 1024 - bytes.size() - 2 * fill.size());
  EXPECT_EQ(ring.allocated_bytes(), 256u * 1024);
  EXPECT_EQ(alloc.allocations, 3u);
  EXPECT_EQ(alloc.frees, 2u);
  // The bytes survived both moves, in order.
  std::vector<uint8_t> out(bytes.size());
  EXPECT_EQ(ring.CopyOut(0, out), out.size());
  EXPECT_EQ(out, bytes);
}

TEST(ByteRingGrowthTest, WrappedRingAndBytesPastTheTailMoveIntact) {
  CountingAllocator alloc;
  ByteRing ring;
  ring.Init(64 * 1024, &alloc);
  // Wrap the 16 KiB block: 12 KiB in, 10 KiB out, 10 KiB in (4 KiB of it at
  // the block's start).
  std::vector<uint8_t> a(12 * 1024, 'a');
  ASSERT_EQ(ring.Push(a), a.size());
  ring.Pop(10 * 1024);
  std::vector<uint8_t> b(10 * 1024);
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<uint8_t>(i % 251);
  }
  ASSERT_EQ(ring.Push(b), b.size());
  ASSERT_EQ(ring.allocated_bytes(), ByteRing::kFirstBlock);
  // Out-of-order bytes 20 KiB past the tail need the 64 KiB block.
  std::vector<uint8_t> c(1000, 'c');
  EXPECT_EQ(ring.WriteAt(20 * 1024, c), c.size());
  EXPECT_EQ(ring.allocated_bytes(), 64u * 1024);
  std::vector<uint8_t> out(2 * 1024 + b.size());
  ASSERT_EQ(ring.CopyOut(0, out), out.size());
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 2048),
            std::vector<uint8_t>(2048, 'a'));
  EXPECT_EQ(std::vector<uint8_t>(out.begin() + 2048, out.end()), b);
  // Fill the hole and commit: the held bytes are where WriteAt put them.
  std::vector<uint8_t> gap(20 * 1024, 'g');
  ASSERT_EQ(ring.WriteAt(0, gap), gap.size());
  ring.Commit(gap.size() + c.size());
  std::vector<uint8_t> tail(c.size());
  ASSERT_EQ(ring.CopyOut(ring.size() - c.size(), tail), tail.size());
  EXPECT_EQ(tail, c);
}

TEST(ByteRingGrowthTest, NoMemoryToGrow_StoresWhatTheBlockTakes) {
  CountingAllocator alloc;
  ByteRing ring;
  ring.Init(64 * 1024, &alloc);
  std::vector<uint8_t> a(10 * 1024, 'a');
  ASSERT_EQ(ring.Push(a), a.size());
  alloc.fail = true;
  EXPECT_FALSE(ring.Reserve(10 * 1024));
  EXPECT_EQ(ring.Push(a), ByteRing::kFirstBlock - a.size());
  EXPECT_EQ(ring.allocated_bytes(), ByteRing::kFirstBlock);
  EXPECT_EQ(ring.WriteAt(0, a), 0u);  // full block
  alloc.fail = false;
  EXPECT_TRUE(ring.Reserve(10 * 1024));
  EXPECT_EQ(ring.allocated_bytes(), 64u * 1024);
  EXPECT_EQ(ring.size(), ByteRing::kFirstBlock);
}

TEST(ByteRingGrowthTest, ResizeBelowTheBlockShrinksIt) {
  CountingAllocator alloc;
  ByteRing ring;
  ring.Init(256 * 1024, &alloc);
  std::vector<uint8_t> a(20 * 1024, 'a');
  ASSERT_EQ(ring.Push(a), a.size());
  ASSERT_EQ(ring.allocated_bytes(), 64u * 1024);
  ring.Resize(30 * 1024);
  EXPECT_EQ(ring.capacity(), 30u * 1024);
  EXPECT_EQ(ring.allocated_bytes(), 30u * 1024);
  EXPECT_EQ(alloc.held, 30u * 1024);
  std::vector<uint8_t> out(a.size());
  ASSERT_EQ(ring.CopyOut(0, out), out.size());
  EXPECT_EQ(out, a);
}

// ---- BufferCache

TEST(BufferCacheTest, FreedBlockServesTheNextAllocationOfItsSize) {
  CountingAllocator target;
  BufferCache cache(&target, 1 << 20);
  void* a = cache.Allocate(256 * 1024, kBufferAlign);
  ASSERT_NE(a, nullptr);
  cache.Free(a, 256 * 1024);
  EXPECT_EQ(target.frees, 0u);
  EXPECT_EQ(cache.cached_bytes(), 256u * 1024);
  EXPECT_EQ(cache.Allocate(256 * 1024, kBufferAlign), a);
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(target.allocations, 1u);
  EXPECT_EQ(cache.cached_bytes(), 0u);
  // Another size is not served from it.
  cache.Free(a, 256 * 1024);
  void* b = cache.Allocate(128 * 1024, kBufferAlign);
  EXPECT_NE(b, a);
  EXPECT_EQ(target.allocations, 2u);
  cache.Free(b, 128 * 1024);
}

TEST(BufferCacheTest, BudgetSpent_BlockGoesBackToTarget) {
  CountingAllocator target;
  BufferCache cache(&target, 2 * 4096);
  void* p[3];
  for (void*& q : p) {
    q = cache.Allocate(4096, kBufferAlign);
  }
  for (void* q : p) {
    cache.Free(q, 4096);
  }
  EXPECT_EQ(cache.cached_bytes(), 2u * 4096);
  EXPECT_EQ(target.frees, 1u);
  // LIFO: the last block kept comes out first.
  EXPECT_EQ(cache.Allocate(4096, kBufferAlign), p[1]);
  EXPECT_EQ(cache.Allocate(4096, kBufferAlign), p[0]);
  cache.Free(p[0], 4096);
  cache.Free(p[1], 4096);
}

TEST(BufferCacheTest, BudgetSpentByOneSize_ItGivesWayToAnother) {
  // Eight 4 KiB blocks fill the budget; without eviction every 1 KiB block
  // would go to the target forever after.
  CountingAllocator target;
  BufferCache cache(&target, 8 * 4096);
  void* big[8];
  for (void*& q : big) {
    q = cache.Allocate(4096, kBufferAlign);
  }
  for (void* q : big) {
    cache.Free(q, 4096);
  }
  ASSERT_EQ(cache.cached_bytes(), 8u * 4096);
  void* small = cache.Allocate(1024, kBufferAlign);
  cache.Free(small, 1024);  // one 4 KiB block goes back to make room
  EXPECT_EQ(target.frees, 1u);
  EXPECT_EQ(cache.cached_bytes(), 7u * 4096 + 1024);
  EXPECT_EQ(cache.Allocate(1024, kBufferAlign), small);  // served: a hit
  EXPECT_EQ(cache.hits(), 1u);
  // A block of the fuller class comes back within the budget: nothing goes.
  cache.Free(small, 1024);
  void* a = cache.Allocate(4096, kBufferAlign);
  cache.Free(a, 4096);
  EXPECT_EQ(target.frees, 1u);
  // Two 1 KiB blocks beside seven 4 KiB ones fit the budget: kept, and
  // nothing evicted.
  void* b = cache.Allocate(1024, kBufferAlign);  // the cached one
  void* c = cache.Allocate(1024, kBufferAlign);  // from the target
  cache.Free(b, 1024);
  cache.Free(c, 1024);  // 28 KiB + 2 KiB fits the 32 KiB budget
  EXPECT_EQ(target.frees, 1u);
  cache.Trim();
}

TEST(BufferCacheTest, AtMostFourSizes_EmptyClassTakesANewSize) {
  CountingAllocator target;
  BufferCache cache(&target, 1 << 20);
  void* p[5];
  for (size_t i = 0; i < 5; ++i) {
    p[i] = cache.Allocate(1024 * (i + 1), kBufferAlign);
  }
  for (size_t i = 0; i < 5; ++i) {
    cache.Free(p[i], 1024 * (i + 1));
  }
  // Four sizes kept; the fifth found every class holding another size.
  EXPECT_EQ(cache.cached_bytes(), 1024u * (1 + 2 + 3 + 4));
  EXPECT_EQ(target.frees, 1u);
  // Emptying the 1 KiB class lets the 5 KiB size in.
  void* one = cache.Allocate(1024, kBufferAlign);
  EXPECT_EQ(one, p[0]);
  void* five = cache.Allocate(5 * 1024, kBufferAlign);
  cache.Free(five, 5 * 1024);
  EXPECT_EQ(target.frees, 1u);
  EXPECT_EQ(cache.Allocate(5 * 1024, kBufferAlign), five);
  cache.Free(five, 5 * 1024);
  cache.Free(one, 1024);  // no class left for 1 KiB: back to the target
  EXPECT_EQ(target.frees, 2u);
}

TEST(BufferCacheTest, DestructionAndTrimReturnEverything) {
  CountingAllocator target;  // its destructor checks nothing is live
  {
    BufferCache cache(&target, 1 << 20);
    void* a = cache.Allocate(8192, kBufferAlign);
    void* b = cache.Allocate(8192, kBufferAlign);
    cache.Free(a, 8192);
    cache.Trim();
    EXPECT_EQ(cache.cached_bytes(), 0u);
    EXPECT_EQ(target.frees, 1u);
    cache.Free(b, 8192);
  }
  EXPECT_EQ(target.live(), 0u);
  EXPECT_EQ(target.allocations, target.frees);
}

TEST(BufferCacheTest, ZeroBudget_PassesEverythingThrough) {
  CountingAllocator target;
  BufferCache cache(&target, 0);
  void* a = cache.Allocate(4096, kBufferAlign);
  cache.Free(a, 4096);
  EXPECT_EQ(target.frees, 1u);
  EXPECT_EQ(cache.cached_bytes(), 0u);
}

TEST(BufferCacheTest, ShortConnections_BuffersReusedNotReallocated) {
  CountingAllocator alloc_a;
  CountingAllocator alloc_b;
  {
    Link link(ConfigWith(&alloc_a), ConfigWith(&alloc_b));
    ListenerHandle l = *link.b().Listen(kAddrB, 80, ListenOptions{});
    std::vector<uint8_t> request(100, 'q');
    std::vector<uint8_t> buf(4096);
    for (int i = 0; i < 50; ++i) {
      ConnHandle ca =
          *link.a().Connect(kAddrA, kAddrB, 80, ConnOptions{}, link.now());
      link.Run();
      ConnHandle cb = *link.b().Accept(l);
      ASSERT_TRUE(link.a().Send(ca, request, link.now()).ok());
      link.Run();
      ASSERT_EQ(link.b().Recv(cb, buf, link.now()).bytes, request.size());
      ASSERT_TRUE(link.b().Send(cb, request, link.now()).ok());
      link.Run();
      link.b().Close(cb, link.now());
      link.a().Close(ca, link.now());
      link.Run();
    }
    // One connection's buffers at a time: the first took them from the
    // allocator, the other 49 from the cache.
    EXPECT_EQ(alloc_b.allocations, 2u);
    EXPECT_EQ(link.b().buffer_cache().hits(), 98u);
    EXPECT_EQ(alloc_a.allocations, 2u);
  }
  EXPECT_EQ(alloc_a.live(), 0u);
  EXPECT_EQ(alloc_b.live(), 0u);
}

}  // namespace
}  // namespace tern::tcp::testing
