#include "lib/tcp/slab.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

struct Record {
  uint64_t a = 11;
  uint32_t b = 22;
};

TEST(SlabTest, Create_RejectsZeroCapacity) {
  EXPECT_FALSE(Slab<Record>::Create(0).ok());
}

TEST(SlabTest, Alloc_ConstructsAndGetReturnsIt) {
  auto slab = Slab<Record>::Create(4);
  ASSERT_TRUE(slab.ok());
  EXPECT_EQ(slab->capacity(), 4u);
  std::optional<SlabHandle> h = slab->Alloc();
  ASSERT_TRUE(h.has_value());
  Record* r = slab->Get(*h);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->a, 11u);
  EXPECT_EQ(r->b, 22u);
  EXPECT_EQ(slab->GetByIndex(h->index), r);
  EXPECT_EQ(slab->HandleAt(h->index), h);
  EXPECT_EQ(slab->size(), 1u);
}

TEST(SlabTest, Alloc_FullReturnsNullopt) {
  auto slab = Slab<Record>::Create(3);
  ASSERT_TRUE(slab.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(slab->Alloc().has_value());
  }
  EXPECT_FALSE(slab->Alloc().has_value());
  EXPECT_EQ(slab->size(), 3u);
}

TEST(SlabTest, Free_StaleHandleDetectedAfterFreeAndRealloc) {
  auto slab = Slab<Record>::Create(1);
  ASSERT_TRUE(slab.ok());
  const SlabHandle old = *slab->Alloc();
  slab->Get(old)->a = 99;
  EXPECT_TRUE(slab->Free(old));
  EXPECT_EQ(slab->Get(old), nullptr);
  EXPECT_EQ(slab->GetByIndex(old.index), nullptr);
  EXPECT_FALSE(slab->HandleAt(old.index).has_value());
  EXPECT_FALSE(slab->Free(old));  // double free: no-op
  const SlabHandle fresh = *slab->Alloc();
  EXPECT_EQ(fresh.index, old.index);  // the same slot, reused
  EXPECT_NE(fresh.generation, old.generation);
  EXPECT_EQ(slab->Get(old), nullptr);
  ASSERT_NE(slab->Get(fresh), nullptr);
  EXPECT_EQ(slab->Get(fresh)->a, 11u);  // constructed afresh
  EXPECT_FALSE(slab->Free(old));
  EXPECT_NE(slab->Get(fresh), nullptr);
  EXPECT_EQ(slab->size(), 1u);
}

TEST(SlabTest, Alloc_LastFreedFirstThenUnusedSlotsInIndexOrder) {
  auto slab = Slab<Record>::Create(6);
  ASSERT_TRUE(slab.ok());
  std::vector<SlabHandle> h;
  for (uint32_t i = 0; i < 4; ++i) {
    h.push_back(*slab->Alloc());
    EXPECT_EQ(h.back().index, i);
  }
  EXPECT_TRUE(slab->Free(h[1]));
  EXPECT_TRUE(slab->Free(h[3]));
  EXPECT_TRUE(slab->Free(h[0]));
  // The free slots' storage holds the free stack: the records built in them
  // again are constructed afresh.
  EXPECT_EQ(slab->Alloc()->index, 0u);
  EXPECT_EQ(slab->Alloc()->index, 3u);
  const SlabHandle again = *slab->Alloc();
  EXPECT_EQ(again.index, 1u);
  EXPECT_EQ(slab->Get(again)->a, 11u);
  EXPECT_EQ(slab->Get(again)->b, 22u);
  EXPECT_EQ(slab->Alloc()->index, 4u);
  EXPECT_EQ(slab->Alloc()->index, 5u);
  EXPECT_FALSE(slab->Alloc().has_value());
  EXPECT_EQ(slab->size(), 6u);
  // Records and generations only.
  EXPECT_EQ(slab->MemoryBytes(), 6 * (sizeof(Record) + sizeof(uint32_t)));
}

TEST(SlabTest, Get_ForeignHandlesRejected) {
  auto slab = Slab<Record>::Create(2);
  ASSERT_TRUE(slab.ok());
  const SlabHandle h = *slab->Alloc();
  EXPECT_EQ(slab->Get(SlabHandle{5, h.generation}), nullptr);
  EXPECT_EQ(slab->Get(SlabHandle{h.index, h.generation + 1}), nullptr);
  EXPECT_EQ(slab->Get(SlabHandle{1, 0}), nullptr);  // a never-used slot
  EXPECT_EQ(slab->GetByIndex(7), nullptr);
}

struct Counted {
  static inline int live = 0;
  Counted() { ++live; }
  ~Counted() { --live; }
  std::unique_ptr<int> owned = std::make_unique<int>(1);
};

TEST(SlabTest, Destructors_RunOnFreeAndOnSlabDestruction) {
  {
    auto slab = Slab<Counted>::Create(8);
    ASSERT_TRUE(slab.ok());
    const SlabHandle a = *slab->Alloc();
    slab->Alloc();
    slab->Alloc();
    EXPECT_EQ(Counted::live, 3);
    slab->Free(a);
    EXPECT_EQ(Counted::live, 2);
    Slab<Counted> moved = std::move(*slab);
    EXPECT_EQ(Counted::live, 2);
    EXPECT_EQ(moved.size(), 2u);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(SlabTest, Randomized_HandlesStayExact) {
  constexpr size_t kCap = 1000;
  auto slab = Slab<Record>::Create(kCap);
  ASSERT_TRUE(slab.ok());
  std::mt19937_64 rng(5);
  std::vector<SlabHandle> live;
  std::vector<SlabHandle> dead;
  for (int op = 0; op < 200'000; ++op) {
    if (rng() % 2 == 0 && live.size() < kCap) {
      const SlabHandle h = *slab->Alloc();
      slab->Get(h)->a = (uint64_t{h.index} << 32) | h.generation;
      live.push_back(h);
    } else if (!live.empty()) {
      const size_t i = rng() % live.size();
      ASSERT_TRUE(slab->Free(live[i]));
      dead.push_back(live[i]);
      live[i] = live.back();
      live.pop_back();
    }
    if (op % 1000 == 0) {
      for (const SlabHandle& h : live) {
        ASSERT_NE(slab->Get(h), nullptr);
        ASSERT_EQ(slab->Get(h)->a, (uint64_t{h.index} << 32) | h.generation);
      }
      for (const SlabHandle& h : dead) {
        ASSERT_EQ(slab->Get(h), nullptr);
      }
    }
    ASSERT_EQ(slab->size(), live.size());
  }
}

}  // namespace
}  // namespace tern::tcp
