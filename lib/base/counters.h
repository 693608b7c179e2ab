// Counter: a statistic with one writer and any number of lock-free readers.
//
// Contract: exactly one thread (the owning lcore) calls Add/Inc; any thread may
// call Get at any time without locks and sees a value that was current at
// some recent point (relaxed ordering; no torn reads on 64-bit targets). The
// writer uses a plain load + store, not a locked read-modify-write, because
// there is only one writer: the increment costs what a normal add costs.
#ifndef TERN_LIB_BASE_COUNTERS_H_
#define TERN_LIB_BASE_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace tern {

class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Always inlined: GCC 12 with LTO kept one out-of-line copy that every
  // per-packet counter called (perf: 1.7 % of the SYN path's samples in
  // Counter::Add itself, doc/benchmarks.md, issue 14).
  [[gnu::always_inline]] void Add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  [[gnu::always_inline]] void Inc() { Add(1); }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }
  // Writer-only: reset to zero (tests, explicit stats reset).
  void Reset() { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

static_assert(sizeof(Counter) == 8);

// CounterArray<E>: one Counter per value of a dense enum E whose last
// enumerator is kCount. Used for "every drop has a named reason".
template <typename E>
class CounterArray {
 public:
  static constexpr size_t kSize = static_cast<size_t>(E::kCount);
  void Inc(E e) { c_[static_cast<size_t>(e)].Inc(); }
  void Add(E e, uint64_t n) { c_[static_cast<size_t>(e)].Add(n); }
  uint64_t Get(E e) const { return c_[static_cast<size_t>(e)].Get(); }
  uint64_t Total() const {
    uint64_t t = 0;
    for (const Counter& c : c_) {
      t += c.Get();
    }
    return t;
  }

 private:
  Counter c_[kSize];
};

}  // namespace tern

#endif  // TERN_LIB_BASE_COUNTERS_H_
