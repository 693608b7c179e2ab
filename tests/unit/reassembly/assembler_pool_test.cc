#include "lib/tcp/assembler_pool.h"

#include <vector>

#include "gtest/gtest.h"
#include "lib/tcp/connection.h"

namespace tern::tcp {
namespace {

// The size bounds of Connection and its records: connection_memory_test.cc.

TEST(AssemblerPool, Take_UntilExhausted_ThenNull) {
  absl::StatusOr<std::unique_ptr<AssemblerPool>> pool =
      AssemblerPool::Create(3);
  ASSERT_TRUE(pool.ok());
  std::vector<Assembler*> taken;
  for (int i = 0; i < 3; ++i) {
    Assembler* a = (*pool)->Take();
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->empty());
    taken.push_back(a);
  }
  EXPECT_EQ((*pool)->in_use(), 3u);
  EXPECT_EQ((*pool)->Take(), nullptr);
  AssemblerPool::Give(taken[1]);
  EXPECT_EQ((*pool)->in_use(), 2u);
  // The record given back last is handed out next.
  EXPECT_EQ((*pool)->Take(), taken[1]);
  for (Assembler* a : taken) {
    AssemblerPool::Give(a);
  }
  EXPECT_EQ((*pool)->in_use(), 0u);
}

TEST(AssemblerPool, Give_ClearsTheRecord) {
  absl::StatusOr<std::unique_ptr<AssemblerPool>> pool =
      AssemblerPool::Create(1);
  ASSERT_TRUE(pool.ok());
  Assembler* a = (*pool)->Take();
  ASSERT_NE(a, nullptr);
  a->Add(10, 5);
  a->SetFin(20);
  AssemblerPool::Give(a);
  Assembler* b = (*pool)->Take();
  ASSERT_EQ(b, a);
  EXPECT_TRUE(b->empty());
  EXPECT_FALSE(b->fin_known());
  AssemblerPool::Give(b);
}

TEST(AssemblerPool, MemoryBytes_GrowsByChunkOnFirstUse) {
  absl::StatusOr<std::unique_ptr<AssemblerPool>> pool =
      AssemblerPool::Create(AssemblerPool::kChunk + 1);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ((*pool)->capacity(), AssemblerPool::kChunk + 1);
  // Nothing but the chunk table before the first Take.
  const size_t empty = (*pool)->MemoryBytes();
  EXPECT_LT(empty, sizeof(Assembler));
  std::vector<Assembler*> taken;
  taken.push_back((*pool)->Take());
  const size_t one_chunk = (*pool)->MemoryBytes();
  EXPECT_GE(one_chunk, empty + AssemblerPool::kChunk * sizeof(Assembler));
  for (size_t i = 1; i < AssemblerPool::kChunk; ++i) {
    taken.push_back((*pool)->Take());
  }
  EXPECT_EQ((*pool)->MemoryBytes(), one_chunk);
  taken.push_back((*pool)->Take());  // the second chunk's first record
  ASSERT_NE(taken.back(), nullptr);
  EXPECT_GT((*pool)->MemoryBytes(), one_chunk);
  EXPECT_EQ((*pool)->Take(), nullptr);  // the bound, not the chunk, refuses
  for (Assembler* a : taken) {
    AssemblerPool::Give(a);
  }
  EXPECT_EQ((*pool)->in_use(), 0u);
}

TEST(AssemblerPool, HeapPool_Unbounded) {
  AssemblerPool& heap = HeapAssemblerPool();
  const size_t before = heap.in_use();
  std::vector<Assembler*> taken;
  for (int i = 0; i < 100; ++i) {
    taken.push_back(heap.Take());
    ASSERT_NE(taken.back(), nullptr);
  }
  EXPECT_EQ(heap.in_use(), before + 100);
  for (Assembler* a : taken) {
    AssemblerPool::Give(a);
  }
  EXPECT_EQ(heap.in_use(), before);
}

}  // namespace
}  // namespace tern::tcp
