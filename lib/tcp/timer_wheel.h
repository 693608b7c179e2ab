// TimerWheel: the per-lcore timer service of the TCP core.
//
// A hierarchical hashed timing wheel (G. Varghese and T. Lauck, "Hashed and
// hierarchical timing wheels", SOSP 1987, scheme 7) with intrusive nodes: the
// owner embeds a TimerNode in its own record, so arming allocates nothing.
// The wheel never reads a clock; `now` is passed in, and a fake clock drives
// it in tests (doc/timer_wheel.md has the design and the measurements).
//
// Contract:
// - Deadlines are rounded UP to the tick: a timer never fires before its
//   deadline, and fires at most one tick after it when Advance is called in
//   time and its quota allows.
// - Advance fires due timers in deadline order at tick granularity; timers due
//   in the same tick fire in the order they were armed into that tick.
// - Any deadline works, up to Instant::Never(); deadlines beyond the wheel's
//   span (kLevels levels of kSlots slots, about 19.5 hours at the default
//   tick) wait on an overflow list that is re-sorted once per span and never
//   fire early.
// - Arm, Cancel: O(1). Advance: O(fired + cascaded + levels per non-empty slot
//   visited); an idle gap of any length costs O(levels), not O(ticks).
// - Not thread-safe: one lcore owns a wheel.
// - A TimerNode must stay at a fixed address while armed, and must be
//   cancelled (or have fired) before its owner frees it.
#ifndef TERN_LIB_TCP_TIMER_WHEEL_H_
#define TERN_LIB_TCP_TIMER_WHEEL_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "lib/base/time.h"

namespace tern::tcp {

// The owner finds its record from the node the expiry callback gets (the
// endpoint from the address: each record kind lives in its own slab), so the
// node carries no data of the owner's.
struct TimerNode {
  TimerNode* next = nullptr;  // internal
  TimerNode* prev = nullptr;  // internal
  uint64_t expiry_tick = 0;   // internal

  bool armed() const { return prev != nullptr; }
};
static_assert(sizeof(TimerNode) == 24);

class TimerWheel {
 public:
  // 64 slots per level: one uint64_t occupancy bitmap per level, so finding
  // the next non-empty slot is one count-trailing-zeros.
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;
  // 5 levels span 2^30 ticks: 19.5 hours at the default tick, so the RFC 1122
  // section 4.2.3.6 two-hour keepalive sits inside the wheel.
  static constexpr int kLevels = 5;

  struct Options {
    // 2^16 ns = 65.536 us. A power of two of nanoseconds makes the
    // Instant-to-tick conversion a shift; 65 us is a 1.6% error on a 4 ms
    // datacenter RTO and well below RFC 6298's 1 s minimum, while a poll loop
    // iteration (a 32-packet burst, a few us) is far shorter, so checking
    // once a tick costs nothing. Any positive tick works; non-powers of two
    // pay a division per Arm.
    Duration tick = Duration::Nanos(int64_t{1} << 16);
    // The epoch of tick 0; deadlines before it fire at the first Advance.
    Instant start;
  };

  explicit TimerWheel(const Options& options);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  // Armed nodes are left linked to nothing valid: cancel them first, or drop
  // the owners together with the wheel.
  ~TimerWheel() = default;

  // Arms (or re-arms, if already armed) `node` to fire at `deadline`, rounded
  // up to the tick; a deadline in the past fires at the next Advance. O(1).
  void Arm(TimerNode* node, Instant deadline);
  // O(1); no-op when not armed.
  void Cancel(TimerNode* node);

  // Fires timers whose deadline <= now, in deadline order at tick granularity,
  // at most `quota` of them. For each, unlinks the node (so it is disarmed)
  // and then calls fn(TimerNode*), which may re-arm or cancel any node
  // (including this one and others due in the same tick) or free the owner of
  // this node. A node re-armed from fn with a deadline <= now fires again in
  // this same call if the quota allows. Returns the number fired. When the
  // quota stops it early, the rest stay due and fire on the next call
  // (HasDue(now) tells).
  template <typename Fn>
  size_t Advance(Instant now, size_t quota, Fn&& fn) {
    uint64_t target = 0;
    if (!TickOf(now, &target)) {
      return 0;
    }
    size_t fired = 0;
    while (fired < quota) {
      TimerNode* node = PopDue(target);
      if (node == nullptr) {
        break;
      }
      ++fired;
      fn(node);
    }
    return fired;
  }

  // True when Advance(now, ...) would fire at least one timer. Exact; costs
  // O(levels) plus a scan of at most one slot per level whose cascade is due.
  bool HasDue(Instant now) const;

  // The instant the earliest armed timer becomes due: its deadline rounded up
  // to the tick, so HasDue(t) is true exactly when t >= NextDeadline().
  // Instant::Never() when nothing is armed; <= now when timers are due (the
  // quota stopped Advance). Exact, not a bound: the poll loop sleeps until it
  // without stepping the clock. The earliest expiry is cached; when the timer
  // holding it is cancelled, re-armed later or fired, the next call finds it
  // again in O(levels) plus, when the earliest timer sits in a coarser level
  // or the overflow, a scan of that one slot's list.
  Instant NextDeadline() const;

  size_t size() const { return size_; }
  Duration tick() const { return tick_; }

  // The tick a deadline is rounded up to (what Arm does with it); 0 for
  // deadlines at or before the epoch. For records that keep a deadline as a
  // tick (deadline_fifo.h).
  uint64_t DeadlineTick(Instant deadline) const { return CeilTick(deadline); }
  // The start of `tick`: Arm(node, TickInstant(k)) expires at tick k.
  Instant TickInstant(uint64_t tick) const {
    return start_ + Duration::Nanos(static_cast<int64_t>(tick) * tick_ns_);
  }

 private:
  static constexpr int kOverflow = kLevels * kSlots;  // index of that list
  static constexpr uint64_t kSpanTicks = uint64_t{1} << (kSlotBits * kLevels);
  static constexpr uint64_t kNoEvent = ~uint64_t{0};

  // The tick containing `now` (floor); false when now < start.
  bool TickOf(Instant now, uint64_t* tick) const;
  // The first tick at or after `deadline` (ceiling), saturating.
  uint64_t CeilTick(Instant deadline) const;
  // Unlinks and returns the next node due at or before `target`, moving
  // cur_tick_ forward and cascading on the way; nullptr when none is due.
  TimerNode* PopDue(uint64_t target);
  struct Event {
    uint64_t tick;  // kNoEvent when the wheel is empty
    int index;      // the list to fire or cascade at `tick`
  };
  // The earliest tick >= cur_tick_ at which a list must be fired (level 0) or
  // cascaded (coarser levels, the overflow).
  Event NextEvent() const;
  void Place(TimerNode* node);
  void Unlink(TimerNode* node);
  // Re-places every node of list `index` relative to cur_tick_.
  void Redistribute(int index);
  static uint64_t MinExpiry(const TimerNode* head);
  // The smallest expiry_tick of the armed nodes, kNoEvent when none.
  uint64_t MinTick() const;

  Duration tick_;
  int64_t tick_ns_;
  int tick_shift_;  // log2(tick_ns_) when a power of two, else -1
  Instant start_;
  // All timers with expiry_tick < cur_tick_ have fired; level-0 slot
  // (cur_tick_ mod kSlots) holds those due at cur_tick_.
  uint64_t cur_tick_ = 0;
  size_t size_ = 0;
  // The smallest expiry_tick of any armed node (kNoEvent when none), valid
  // while min_valid_; Unlink of the node holding it clears min_valid_.
  mutable uint64_t min_tick_ = kNoEvent;
  mutable bool min_valid_ = true;
  std::array<uint64_t, kLevels> occupied_{};
  // Circular doubly-linked lists with sentinel heads: kLevels * kSlots slots
  // followed by the overflow list.
  std::array<TimerNode, kLevels * kSlots + 1> heads_;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_TIMER_WHEEL_H_
