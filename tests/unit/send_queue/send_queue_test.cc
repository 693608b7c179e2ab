// SendQueue: copies and references in one stream order, gathered as spans
// into the ring or the owner's memory, references released exactly once.
#include "lib/tcp/send_queue.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <vector>

namespace tern::tcp {
namespace {

// Declared before the queue in each test: it must outlive the queue, whose
// destructor releases what is left.
class CountingOwner : public PayloadOwner {
 public:
  void Release(uint64_t token) override {
    ++released[token];
    order.push_back(token);
  }
  std::map<uint64_t, int> released;
  std::vector<uint64_t> order;
};

std::vector<uint8_t> Bytes(size_t n, uint8_t first) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = static_cast<uint8_t>(first + i);
  }
  return v;
}

std::vector<uint8_t> Flatten(const PayloadSpans& s) {
  std::vector<uint8_t> out(s.size());
  s.CopyTo(out);
  return out;
}

TEST(SendQueue, CopiesOnly_GatherAcrossTheWrapIsTwoSpans) {
  SendQueue q;
  q.Init(10, 4);
  std::vector<uint8_t> a = Bytes(8, 0);
  ASSERT_EQ(q.Push(a), 8u);
  q.Pop(6);
  std::vector<uint8_t> b = Bytes(6, 100);
  ASSERT_EQ(q.Push(b), 6u);  // wraps: 2 bytes at the end, 4 at the start
  PayloadSpans s;
  ASSERT_EQ(q.Gather(0, 8, &s), 8u);
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(Flatten(s),
            (std::vector<uint8_t>{6, 7, 100, 101, 102, 103, 104, 105}));
}

TEST(SendQueue, Ref_GatherPointsIntoTheOwnersMemory) {
  CountingOwner owner;
  SendQueue q;
  q.Init(1000, 4);
  std::vector<uint8_t> buf = Bytes(300, 1);
  ASSERT_EQ(q.PushRef({buf, &owner, 7}), SockError::kOk);
  PayloadSpans s;
  ASSERT_EQ(q.Gather(100, 50, &s), 50u);
  ASSERT_EQ(s.count, 1u);
  EXPECT_EQ(s.span[0].data(), buf.data() + 100);
  EXPECT_EQ(s.span[0].size(), 50u);
  // Gathering the same range again reads the same memory (retransmission).
  PayloadSpans again;
  ASSERT_EQ(q.Gather(100, 50, &again), 50u);
  EXPECT_EQ(again.span[0].data(), buf.data() + 100);
  EXPECT_TRUE(owner.released.empty());
}

TEST(SendQueue, Mixed_CopyRefCopy_KeepStreamOrder) {
  CountingOwner owner;
  SendQueue q;
  q.Init(1000, 8);
  std::vector<uint8_t> a = Bytes(10, 0);
  std::vector<uint8_t> r = Bytes(20, 50);
  std::vector<uint8_t> b = Bytes(5, 200);
  ASSERT_EQ(q.Push(a), 10u);
  ASSERT_EQ(q.PushRef({r, &owner, 1}), SockError::kOk);
  ASSERT_EQ(q.Push(b), 5u);
  EXPECT_EQ(q.size(), 35u);
  std::vector<uint8_t> want = a;
  want.insert(want.end(), r.begin(), r.end());
  want.insert(want.end(), b.begin(), b.end());
  PayloadSpans s;
  ASSERT_EQ(q.Gather(0, 35, &s), 35u);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.span[1].data(), r.data());
  EXPECT_EQ(Flatten(s), want);
  ASSERT_EQ(q.Gather(8, 4, &s), 4u);
  EXPECT_EQ(Flatten(s), (std::vector<uint8_t>{8, 9, 50, 51}));
}

TEST(SendQueue, Pop_ReleasesOnlyWhenTheLastByteGoes) {
  CountingOwner owner;
  SendQueue q;
  q.Init(1000, 8);
  std::vector<uint8_t> r1 = Bytes(100, 0);
  std::vector<uint8_t> r2 = Bytes(100, 0);
  ASSERT_EQ(q.PushRef({r1, &owner, 1}), SockError::kOk);
  ASSERT_EQ(q.PushRef({r2, &owner, 2}), SockError::kOk);
  q.Pop(99);
  EXPECT_TRUE(owner.released.empty());
  q.Pop(1);
  EXPECT_EQ(owner.released, (std::map<uint64_t, int>{{1, 1}}));
  q.Pop(100);
  EXPECT_EQ(owner.released, (std::map<uint64_t, int>{{1, 1}, {2, 1}}));
  EXPECT_EQ(q.ref_chunks(), 0u);
  q.ReleaseAll();
  EXPECT_EQ(owner.order, (std::vector<uint64_t>{1, 2}));
}

TEST(SendQueue, ReleaseAllAndDestructor_ReleaseEachChunkOnce) {
  CountingOwner owner;
  std::vector<uint8_t> r = Bytes(10, 0);
  std::vector<uint8_t> c = Bytes(10, 0);
  {
    SendQueue q;
    q.Init(1000, 8);
    ASSERT_EQ(q.PushRef({r, &owner, 1}), SockError::kOk);
    ASSERT_EQ(q.Push(c), 10u);
    ASSERT_EQ(q.PushRef({r, &owner, 2}), SockError::kOk);
    q.Pop(5);
    q.ReleaseAll();
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(owner.order, (std::vector<uint64_t>{1, 2}));
    ASSERT_EQ(q.PushRef({r, &owner, 3}), SockError::kOk);
    ASSERT_EQ(q.Push(c), 10u);
    PayloadSpans s;
    ASSERT_EQ(q.Gather(0, 20, &s), 20u);
    EXPECT_EQ(s.span[0].data(), r.data());
  }
  EXPECT_EQ(owner.released, (std::map<uint64_t, int>{{1, 1}, {2, 1}, {3, 1}}));
}

TEST(SendQueue, PushRef_RefusedChunksStayTheCallers) {
  CountingOwner owner;
  SendQueue q;
  q.Init(100, 3);
  std::vector<uint8_t> big = Bytes(101, 0);
  std::vector<uint8_t> r = Bytes(40, 0);
  EXPECT_EQ(q.PushRef({big, &owner, 1}), SockError::kInvalid);
  EXPECT_EQ(q.PushRef({{}, &owner, 2}), SockError::kInvalid);
  EXPECT_EQ(q.PushRef({r, nullptr, 3}), SockError::kInvalid);
  ASSERT_EQ(q.Push(Bytes(30, 0)), 30u);
  ASSERT_EQ(q.PushRef({r, &owner, 4}), SockError::kOk);  // slots: copy, ref
  EXPECT_EQ(q.PushRef({r, &owner, 5}), SockError::kWouldBlock);  // 30 left
  std::vector<uint8_t> small = Bytes(10, 0);
  ASSERT_EQ(q.PushRef({small, &owner, 6}), SockError::kOk);  // third slot
  // Slots full: a copy needs a slot of its own after a reference.
  EXPECT_EQ(q.Push(Bytes(5, 0)), 0u);
  EXPECT_EQ(q.PushRef({small, &owner, 7}), SockError::kWouldBlock);
  q.ReleaseAll();
  EXPECT_EQ(owner.released, (std::map<uint64_t, int>{{4, 1}, {6, 1}}));
}

TEST(SendQueue, Gather_CutShortWhenTheSpansRunOut) {
  CountingOwner owner;
  SendQueue q;
  q.Init(1000, 32);
  // Ten 10-byte chunks, none adjacent to the next in memory.
  std::vector<uint8_t> mem(400);
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_EQ(q.PushRef({std::span<const uint8_t>(mem.data() + 40 * i, 10),
                         &owner, i}),
              SockError::kOk);
  }
  PayloadSpans s;
  EXPECT_EQ(q.Gather(5, 90, &s), 5 + 10 * (kMaxPayloadSpans - 1));
  EXPECT_EQ(s.count, kMaxPayloadSpans);
}

TEST(SendQueue, Gather_AdjacentChunksOfOneTokenMergeIntoOneSpan) {
  CountingOwner owner;
  SendQueue q;
  q.Init(1000, 32);
  std::vector<uint8_t> mem = Bytes(100, 0);
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_EQ(q.PushRef({std::span<const uint8_t>(mem.data() + 10 * i, 10),
                         &owner, 7}),
              SockError::kOk);
  }
  PayloadSpans s;
  ASSERT_EQ(q.Gather(0, 100, &s), 100u);
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.owner[0], &owner);
  EXPECT_EQ(s.token[0], 7u);
  EXPECT_EQ(Flatten(s), mem);
}

TEST(SendQueue, Gather_SpansNameTheirOwnerAndToken) {
  // Adjacent memory of different tokens stays apart: a sink sends each
  // token's memory by reference (the port layer: one mbuf per token).
  CountingOwner owner;
  SendQueue q;
  q.Init(1000, 32);
  std::vector<uint8_t> mem = Bytes(100, 0);
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_EQ(q.PushRef({std::span<const uint8_t>(mem.data() + 10 * i, 10),
                         &owner, i}),
              SockError::kOk);
  }
  std::vector<uint8_t> tail = Bytes(5, 200);
  ASSERT_EQ(q.Push(tail), 5u);
  PayloadSpans s;
  ASSERT_EQ(q.Gather(0, 100, &s), 70u);  // cut short at kMaxPayloadSpans
  ASSERT_EQ(s.count, kMaxPayloadSpans);
  for (size_t i = 0; i < s.count; ++i) {
    EXPECT_EQ(s.owner[i], &owner);
    EXPECT_EQ(s.token[i], i);
    EXPECT_EQ(s.span[i].data(), mem.data() + 10 * i);
  }
  ASSERT_EQ(q.Gather(95, 10, &s), 10u);
  ASSERT_EQ(s.count, 2u);
  EXPECT_EQ(s.owner[0], &owner);
  EXPECT_EQ(s.token[0], 9u);
  EXPECT_EQ(s.owner[1], nullptr);  // the copy ring
}

TEST(SendQueue, Resize_KeepsMixedStreamAndNeverGoesBelowSize) {
  CountingOwner owner;
  SendQueue q;
  q.Init(100, 8);
  std::vector<uint8_t> a = Bytes(60, 0);
  ASSERT_EQ(q.Push(a), 60u);
  q.Pop(50);  // the ring's head is now in its middle
  std::vector<uint8_t> r = Bytes(20, 100);
  ASSERT_EQ(q.PushRef({r, &owner, 1}), SockError::kOk);
  std::vector<uint8_t> b = Bytes(60, 200);
  ASSERT_EQ(q.Push(b), 60u);  // wraps in the 100-byte ring
  q.Resize(10);               // below size(): clamped
  EXPECT_EQ(q.limit(), 90u);
  EXPECT_EQ(q.space(), 0u);
  q.Resize(300);
  EXPECT_EQ(q.space(), 210u);
  std::vector<uint8_t> want(a.begin() + 50, a.end());
  want.insert(want.end(), r.begin(), r.end());
  want.insert(want.end(), b.begin(), b.end());
  PayloadSpans s;
  ASSERT_EQ(q.Gather(0, 90, &s), 90u);
  EXPECT_EQ(Flatten(s), want);
  EXPECT_EQ(s.span[1].data(), r.data());
  q.Pop(30);
  EXPECT_EQ(owner.order, (std::vector<uint64_t>{1}));
}

// Random pushes (copies and references of random sizes), gathers at random
// offsets (forwards, as new data, and backwards, as retransmissions) and pops,
// checked against a byte-per-byte model and release counts.
TEST(SendQueue, RandomOperations_MatchAByteModel) {
  std::mt19937_64 rng(5);
  CountingOwner owner;
  std::vector<std::vector<uint8_t>> memory;
  memory.reserve(100000);
  std::deque<uint8_t> model;
  // Queued references: token and stream position just past the last byte.
  std::deque<std::pair<uint64_t, uint64_t>> pending;
  uint64_t pushed = 0;
  uint64_t popped = 0;
  uint64_t accepted = 0;
  uint64_t next_token = 0;
  uint8_t next_byte = 0;
  SendQueue q;
  q.Init(4096, 16);
  for (int step = 0; step < 50000; ++step) {
    const int op = static_cast<int>(rng() % 4);
    if (op == 0) {
      std::vector<uint8_t> d(rng() % 300);
      for (uint8_t& b : d) {
        b = next_byte++;
      }
      const size_t n = q.Push(d);
      model.insert(model.end(), d.begin(),
                   d.begin() + static_cast<ptrdiff_t>(n));
      pushed += n;
      next_byte = static_cast<uint8_t>(next_byte - (d.size() - n));
    } else if (op == 1) {
      memory.emplace_back(1 + rng() % 600);
      for (uint8_t& b : memory.back()) {
        b = next_byte++;
      }
      const uint64_t token = next_token++;
      SockError e = q.PushRef({memory.back(), &owner, token});
      if (e == SockError::kOk) {
        model.insert(model.end(), memory.back().begin(), memory.back().end());
        pushed += memory.back().size();
        pending.emplace_back(token, pushed);
        ++accepted;
      } else {
        next_byte = static_cast<uint8_t>(next_byte - memory.back().size());
      }
    } else if (op == 2 && !model.empty()) {
      const size_t off = rng() % model.size();
      const size_t len = 1 + rng() % (model.size() - off);
      PayloadSpans s;
      const size_t got = q.Gather(off, len, &s);
      ASSERT_GT(got, 0u);
      ASSERT_LE(got, len);
      ASSERT_EQ(s.size(), got);
      std::vector<uint8_t> want(
          model.begin() + static_cast<ptrdiff_t>(off),
          model.begin() + static_cast<ptrdiff_t>(off + got));
      ASSERT_EQ(Flatten(s), want) << "step " << step;
    } else if (op == 3 && !model.empty()) {
      size_t n = rng() % (model.size() + 1);
      q.Pop(n);
      model.erase(model.begin(), model.begin() + static_cast<ptrdiff_t>(n));
      popped += n;
      // Released exactly when the last byte went, not before.
      while (!pending.empty() && pending.front().second <= popped) {
        ASSERT_EQ(owner.released[pending.front().first], 1);
        pending.pop_front();
      }
      for (const auto& [token, end] : pending) {
        ASSERT_EQ(owner.released.count(token), 0u) << "token " << token;
      }
    }
    ASSERT_EQ(q.size(), model.size());
  }
  q.ReleaseAll();
  for (const auto& [token, end] : pending) {
    ASSERT_EQ(owner.released[token], 1) << "token " << token;
  }
  EXPECT_EQ(owner.released.size(), accepted);
  for (const auto& [token, count] : owner.released) {
    EXPECT_EQ(count, 1) << "token " << token;
  }
}

}  // namespace
}  // namespace tern::tcp
