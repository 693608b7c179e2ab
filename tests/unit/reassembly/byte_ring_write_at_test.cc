#include <array>
#include <cstdint>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "lib/tcp/byte_ring.h"

namespace tern::tcp {
namespace {

std::vector<uint8_t> Bytes(uint8_t first, size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

std::vector<uint8_t> Contents(const ByteRing& r) {
  std::vector<uint8_t> out(r.size());
  r.CopyOut(0, out);
  return out;
}

TEST(ByteRingWriteAt, FirstWrite_Allocates) {
  ByteRing r;
  r.Init(16);
  EXPECT_EQ(r.WriteAt(3, {}), 0u);
  EXPECT_FALSE(r.allocated()) << "no byte, no memory";
  std::vector<uint8_t> d = Bytes(1, 4);
  EXPECT_EQ(r.WriteAt(3, d), 4u);
  EXPECT_TRUE(r.allocated());
  EXPECT_EQ(r.size(), 0u) << "out-of-order bytes are not in the FIFO yet";
}

TEST(ByteRingWriteAt, OutOfOrderThenInOrder_CommitGivesStream) {
  ByteRing r;
  r.Init(16);
  std::vector<uint8_t> stream = Bytes(10, 12);
  r.WriteAt(5, std::span(stream).subspan(5, 7));
  EXPECT_EQ(r.size(), 0u);
  r.WriteAt(0, std::span(stream).subspan(0, 5));
  r.Commit(12);
  EXPECT_EQ(Contents(r), stream);
}

TEST(ByteRingWriteAt, AcrossWrapPoint_CommitAndPeek) {
  ByteRing r;
  r.Init(16);
  std::vector<uint8_t> fill = Bytes(0, 12);
  ASSERT_EQ(r.Push(fill), 12u);
  r.Pop(8);  // head at 8, 4 bytes held, 12 free: the tail area wraps at 16
  std::vector<uint8_t> stream = Bytes(100, 10);
  // Bytes 3..9 past the tail land at ring positions 15, 0, 1, ...
  EXPECT_EQ(r.WriteAt(3, std::span(stream).subspan(3)), 7u);
  EXPECT_EQ(r.WriteAt(0, std::span(stream).subspan(0, 3)), 3u);
  r.Commit(10);
  ASSERT_EQ(r.size(), 14u);
  std::vector<uint8_t> want = {8, 9, 10, 11};
  want.insert(want.end(), stream.begin(), stream.end());
  EXPECT_EQ(Contents(r), want);
  ByteRing::Slice s = r.Peek(4, 10);
  EXPECT_EQ(s.size(), 10u);
  EXPECT_FALSE(s.second.empty()) << "the data really wrapped";
}

// Emptying the ring must not move the tail while bytes wait past it.
TEST(ByteRingWriteAt, PopToEmptyWithPendingBytes_KeepsThemInPlace) {
  ByteRing r;
  r.Init(16);
  std::vector<uint8_t> fill = Bytes(0, 6);
  r.Push(fill);
  std::vector<uint8_t> stream = Bytes(40, 8);
  r.WriteAt(4, std::span(stream).subspan(4));
  r.Pop(6);
  EXPECT_EQ(r.size(), 0u);
  r.WriteAt(0, std::span(stream).subspan(0, 4));
  r.Commit(8);
  EXPECT_EQ(Contents(r), stream);
  r.Pop(8);
  std::vector<uint8_t> more = Bytes(1, 3);
  r.Push(more);
  EXPECT_EQ(r.Peek(0, 3).second.size(), 0u) << "empty again: rewound";
}

TEST(ByteRingWriteAt, PastFreeArea_Truncated) {
  ByteRing r;
  r.Init(8);
  std::vector<uint8_t> fill = Bytes(0, 3);
  r.Push(fill);  // 5 free
  std::vector<uint8_t> d = Bytes(50, 6);
  EXPECT_EQ(r.WriteAt(2, d), 3u);
  EXPECT_EQ(r.WriteAt(5, d), 0u);
  EXPECT_EQ(r.WriteAt(100, d), 0u);
  EXPECT_EQ(r.WriteAt(0, std::span(d).subspan(0, 2)), 2u);
  r.Commit(5);
  EXPECT_EQ(Contents(r), (std::vector<uint8_t>{0, 1, 2, 50, 51, 50, 51, 52}));
  EXPECT_EQ(r.free(), 0u);
  EXPECT_EQ(r.WriteAt(0, d), 0u);
}

TEST(ByteRingWriteAt, ZeroCapacity_WritesNothing) {
  ByteRing r;
  r.Init(0);
  std::vector<uint8_t> d = Bytes(0, 3);
  EXPECT_EQ(r.WriteAt(0, d), 0u);
  EXPECT_EQ(r.Push(d), 0u);
  r.Commit(0);
  EXPECT_FALSE(r.allocated());
}

TEST(ByteRingWriteAt, PushStillAppends) {
  ByteRing r;
  r.Init(8);
  std::vector<uint8_t> d = Bytes(1, 6);
  EXPECT_EQ(r.Push(d), 6u);
  r.Pop(5);
  EXPECT_EQ(r.Push(d), 6u);
  EXPECT_EQ(r.Push(d), 1u);
  EXPECT_EQ(Contents(r), (std::vector<uint8_t>{6, 1, 2, 3, 4, 5, 6, 1}));
}

}  // namespace
}  // namespace tern::tcp
