#include "lib/tcp/assembler_pool.h"

#include <vector>

#include "gtest/gtest.h"
#include "lib/tcp/connection.h"

namespace tern::tcp {
namespace {

// The Assembler (412 bytes) is out of line: a connection holds a pointer.
// Measured on x86-64 with GCC 12: 1,096 bytes (1,504 with the Assembler
// inline). doc/benchmarks.md keeps the breakdown.
static_assert(sizeof(Connection) <= 1096,
              "Connection grew: update doc/benchmarks.md and this bound");
static_assert(sizeof(Connection) + sizeof(Assembler) > 1096 + 400,
              "the Assembler is no longer inline");

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

TEST(AssemblerPool, MemoryBytes_CountsEveryRecord) {
  absl::StatusOr<std::unique_ptr<AssemblerPool>> pool =
      AssemblerPool::Create(8);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ((*pool)->capacity(), 8u);
  EXPECT_GE((*pool)->MemoryBytes(), 8 * sizeof(Assembler));
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
