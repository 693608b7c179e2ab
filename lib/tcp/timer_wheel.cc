// TimerWheel: hierarchical hashed timing wheel, Varghese & Lauck scheme 7.
//
// Placement. A node expiring at tick e is filed relative to the wheel's
// current tick c by the highest base-64 digit in which e and c differ: level
// L = msb(e ^ c) / 6, slot = digit L of e. Every node of level L therefore
// shares all digits above L with c and has digit L greater than c's, so the
// slots of one level are ordered by expiry, and all of level L expires before
// anything of level L + 1. A node whose e differs from c above the top level
// goes to the overflow list.
//
// Advancing. The wheel moves c straight to the next "event": the next
// non-empty level-0 slot, or the first tick of the next non-empty slot of a
// higher level (where that slot is cascaded: each node is filed again relative
// to the new c, landing in a strictly finer level), or the next multiple of
// the span when the overflow list is non-empty (where the whole list is filed
// again; nodes still out of range go back to it). Because c stops at every
// event, the invariant above holds at every stop, cascading never reorders
// deadlines, and an idle gap costs one bitmap scan per level instead of one
// step per tick. Each node is cascaded at most kLevels - 1 times, plus once
// per span (19.5 hours at the default tick) while it sits in the overflow.
//
// Unlinking needs the slot only to clear its occupancy bit when the slot
// becomes empty, which is exactly when the node's neighbours are one and the
// same node: the sentinel head. Its address gives the slot, so a 32-byte node
// needs no slot field.
#include "lib/tcp/timer_wheel.h"

#include <bit>
#include <limits>

#include "lib/base/dcheck.h"

namespace tern::tcp {
namespace {

constexpr uint64_t kDigitMask = TimerWheel::kSlots - 1;

// Bits strictly above bit `d` (d in 0..63).
constexpr uint64_t BitsAbove(uint64_t d) {
  return d == 63 ? 0 : ~uint64_t{0} << (d + 1);
}

}  // namespace

TimerWheel::TimerWheel(const Options& options)
    : tick_(options.tick),
      tick_ns_(options.tick.ToNanos()),
      tick_shift_(-1),
      start_(options.start) {
  TERN_DCHECK(tick_ns_ > 0);
  if (std::has_single_bit(static_cast<uint64_t>(tick_ns_))) {
    tick_shift_ = std::countr_zero(static_cast<uint64_t>(tick_ns_));
  }
  for (TimerNode& head : heads_) {
    head.next = &head;
    head.prev = &head;
  }
}

bool TimerWheel::TickOf(Instant now, uint64_t* tick) const {
  if (now < start_) {
    return false;
  }
  // Unsigned subtraction is exact here even when the difference exceeds
  // INT64_MAX (start far negative).
  const uint64_t diff = static_cast<uint64_t>(now.ToNanos()) -
                        static_cast<uint64_t>(start_.ToNanos());
  *tick = tick_shift_ >= 0 ? diff >> tick_shift_
                           : diff / static_cast<uint64_t>(tick_ns_);
  return true;
}

uint64_t TimerWheel::CeilTick(Instant deadline) const {
  if (deadline <= start_) {
    return 0;
  }
  const uint64_t diff = static_cast<uint64_t>(deadline.ToNanos()) -
                        static_cast<uint64_t>(start_.ToNanos());
  if (tick_shift_ >= 0) {
    const uint64_t rem = diff & ((uint64_t{1} << tick_shift_) - 1);
    return (diff >> tick_shift_) + (rem != 0 ? 1 : 0);
  }
  const uint64_t t = static_cast<uint64_t>(tick_ns_);
  return diff / t + (diff % t != 0 ? 1 : 0);
}

void TimerWheel::Place(TimerNode* node) {
  const uint64_t e = node->expiry_tick;
  TERN_DCHECK(e >= cur_tick_);
  const uint64_t diff = e ^ cur_tick_;
  int index = kOverflow;
  if (diff < kSlots) {
    const uint64_t digit = e & kDigitMask;
    occupied_[0] |= uint64_t{1} << digit;
    index = static_cast<int>(digit);
  } else {
    const int level = (63 - std::countl_zero(diff)) / kSlotBits;
    if (level < kLevels) {
      const uint64_t digit = (e >> (level * kSlotBits)) & kDigitMask;
      occupied_[level] |= uint64_t{1} << digit;
      index = level * kSlots + static_cast<int>(digit);
    }
  }
  TimerNode* head = &heads_[index];
  TimerNode* tail = head->prev;
  node->next = head;
  node->prev = tail;
  tail->next = node;
  head->prev = node;
}

void TimerWheel::Unlink(TimerNode* node) {
  if (node->expiry_tick == min_tick_) {
    min_valid_ = false;
  }
  TimerNode* prev = node->prev;
  TimerNode* next = node->next;
  prev->next = next;
  next->prev = prev;
  node->next = nullptr;
  node->prev = nullptr;
  if (prev == next) {
    const auto index = prev - heads_.data();
    TERN_DCHECK(index >= 0 && index <= kOverflow);
    if (index < kOverflow) {
      occupied_[index / kSlots] &= ~(uint64_t{1} << (index % kSlots));
    }
  }
}

void TimerWheel::Arm(TimerNode* node, Instant deadline) {
  const bool min_was_valid = min_valid_;
  const uint64_t old_min = min_tick_;
  if (node->armed()) {
    Unlink(node);
  } else {
    ++size_;
  }
  uint64_t e = CeilTick(deadline);
  if (e < cur_tick_) {
    e = cur_tick_;
  }
  node->expiry_tick = e;
  Place(node);
  if (min_was_valid && e <= old_min) {
    // At or below the old minimum, which bounded every other node.
    min_tick_ = e;
    min_valid_ = true;
  } else if (min_valid_ && e < min_tick_) {
    min_tick_ = e;
  }
}

void TimerWheel::Cancel(TimerNode* node) {
  if (!node->armed()) {
    return;
  }
  Unlink(node);
  --size_;
}

void TimerWheel::Redistribute(int index) {
  TimerNode* head = &heads_[index];
  TimerNode* node = head->next;
  if (node == head) {
    return;
  }
  head->prev->next = nullptr;  // terminates the detached chain
  head->next = head;
  head->prev = head;
  if (index < kOverflow) {
    occupied_[index / kSlots] &= ~(uint64_t{1} << (index % kSlots));
  }
  while (node != nullptr) {
    TimerNode* following = node->next;
    Place(node);
    node = following;
  }
}

TimerWheel::Event TimerWheel::NextEvent() const {
  // Level 0 includes the current slot; higher levels only slots after the
  // current digit (the current one was cascaded on arrival). Every event of
  // level L precedes every event of level L + 1, so the first level with a
  // candidate gives the answer.
  const uint64_t c = cur_tick_;
  const uint64_t low = occupied_[0] & (~uint64_t{0} << (c & kDigitMask));
  if (low != 0) {
    const int digit = std::countr_zero(low);
    return {(c & ~kDigitMask) | static_cast<uint64_t>(digit), digit};
  }
  for (int level = 1; level < kLevels; ++level) {
    const int shift = level * kSlotBits;
    const uint64_t bits =
        occupied_[level] & BitsAbove((c >> shift) & kDigitMask);
    if (bits != 0) {
      const int upper = shift + kSlotBits;
      const int digit = std::countr_zero(bits);
      return {((c >> upper) << upper) | (static_cast<uint64_t>(digit) << shift),
              level * kSlots + digit};
    }
  }
  const TimerNode* overflow = &heads_[kOverflow];
  if (overflow->next != overflow) {
    return {((c / kSpanTicks) + 1) * kSpanTicks, kOverflow};
  }
  return {kNoEvent, -1};
}

TimerNode* TimerWheel::PopDue(uint64_t target) {
  for (;;) {
    TimerNode* head = &heads_[cur_tick_ & kDigitMask];
    if (cur_tick_ > target) {
      return nullptr;
    }
    if (head->next != head) {
      TimerNode* node = head->next;
      Unlink(node);
      --size_;
      return node;
    }
    if (cur_tick_ == target) {
      return nullptr;
    }
    const uint64_t next = NextEvent().tick;
    TERN_DCHECK(next > cur_tick_);
    if (next > target) {
      // Nothing happens in (cur_tick_, target]: jump over the gap.
      cur_tick_ = target;
      return nullptr;
    }
    cur_tick_ = next;
    if (cur_tick_ % kSpanTicks == 0) {
      Redistribute(kOverflow);
    }
    for (int level = kLevels - 1; level >= 1; --level) {
      const uint64_t digit = (cur_tick_ >> (level * kSlotBits)) & kDigitMask;
      if ((occupied_[level] >> digit) & 1) {
        TERN_DCHECK((cur_tick_ & ((uint64_t{1} << (level * kSlotBits)) - 1)) ==
                    0);
        Redistribute(level * kSlots + static_cast<int>(digit));
      }
    }
  }
}

uint64_t TimerWheel::MinExpiry(const TimerNode* head) {
  uint64_t best = kNoEvent;
  for (const TimerNode* n = head->next; n != head; n = n->next) {
    best = n->expiry_tick < best ? n->expiry_tick : best;
  }
  return best;
}

bool TimerWheel::HasDue(Instant now) const {
  uint64_t target = 0;
  if (!TickOf(now, &target) || cur_tick_ > target) {
    return false;
  }
  const Event event = NextEvent();
  if (event.tick > target) {
    return false;
  }
  // The event's list holds the earliest timers (see NextEvent). A level-0
  // slot holds exactly one tick; a coarser slot or the overflow needs a scan.
  return event.index < kSlots || MinExpiry(&heads_[event.index]) <= target;
}

uint64_t TimerWheel::MinTick() const {
  if (!min_valid_) {
    // The first event's list holds the earliest timers (NextEvent): a level-0
    // slot holds exactly one tick, a coarser slot or the overflow needs a
    // scan for its smallest expiry.
    const Event event = NextEvent();
    if (event.tick == kNoEvent) {
      min_tick_ = kNoEvent;
    } else if (event.index < kSlots) {
      min_tick_ = event.tick;
    } else {
      min_tick_ = MinExpiry(&heads_[event.index]);
    }
    min_valid_ = true;
  }
  return min_tick_;
}

Instant TimerWheel::NextDeadline() const {
  const uint64_t event = MinTick();
  int64_t offset = 0;
  int64_t ns = 0;
  if (event > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
      __builtin_mul_overflow(static_cast<int64_t>(event), tick_ns_, &offset) ||
      __builtin_add_overflow(start_.ToNanos(), offset, &ns)) {
    return Instant::Never();
  }
  return Instant::FromNanos(ns);
}

}  // namespace tern::tcp
