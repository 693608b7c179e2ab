#include "lib/base/counters.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace tern {
namespace {

TEST(Counter, AddsAndResets) {
  Counter c;
  c.Inc();
  c.Add(41);
  EXPECT_EQ(c.Get(), 42u);
  c.Reset();
  EXPECT_EQ(c.Get(), 0u);
}

TEST(Counter, ReaderOnAnotherThreadSeesMonotonicValues) {
  Counter c;
  std::atomic<bool> done{false};
  uint64_t last = 0;
  bool monotonic = true;
  std::thread reader([&] {
    while (!done.load(std::memory_order_acquire)) {
      uint64_t v = c.Get();
      if (v < last) {
        monotonic = false;
      }
      last = v;
    }
  });
  for (int i = 0; i < 1'000'000; ++i) {
    c.Inc();
  }
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(c.Get(), 1'000'000u);
}

enum class Reason { kA, kB, kCount };

TEST(CounterArray, CountsPerReason) {
  CounterArray<Reason> a;
  a.Inc(Reason::kA);
  a.Add(Reason::kB, 3);
  EXPECT_EQ(a.Get(Reason::kA), 1u);
  EXPECT_EQ(a.Get(Reason::kB), 3u);
  EXPECT_EQ(a.Total(), 4u);
}

}  // namespace
}  // namespace tern
