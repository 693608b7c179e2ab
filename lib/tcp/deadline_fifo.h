// DeadlineFifo: one timer for many compact records that share one timeout.
//
// RFC 6298 5.5 (the SYN-ACK's backed-off timeout is the same for every
// half-open record at one retransmission count), RFC 9293 3.10.7.4 (every
// TIME-WAIT record waits the same 2 MSL).
//
// Records whose deadlines are all "now + T" for one T come due in the order
// they were queued, so a FIFO of them is sorted by deadline, and one TimerNode
// armed at the head's deadline serves the whole queue. A record then carries
// a 12-byte FifoLink (two 32-bit slab indices and its deadline as a 32-bit
// tick) instead of a 24-byte TimerNode: this is how HalfOpen fits 64 bytes
// and TimeWaitRecord 44 (issue 12; doc/benchmarks.md).
//
// Contract:
// - Deadlines are the wheel's ticks (TimerWheel::DeadlineTick, rounded up),
//   kept in 32 bits: a deadline must lie less than 2^31 ticks (39 hours at
//   the default 65.536 us tick) after the `now` passed with it
//   (EndpointConfig::Validate bounds the timeouts to 24 hours: rto.max,
//   msl). The owner fires the queue's timers (TimerWheel::Advance) as a poll
//   loop does; when a call's `now` is 2^29 ticks (9.8 hours) past the
//   latest deadline queued, every queued record is long due, and the queue
//   marks them so before reading any 32-bit deadline (CatchUp): an owner
//   that did not run for a day or more (a stopped process) finds them due,
//   not 2^32 ticks away.
// - The queue's node fires once per record, as each record's own timer did:
//   it is armed at the head's deadline, and re-armed at the next head's when
//   the head is popped (TimerWheel::Advance fires a node re-armed at or before
//   `now` again in the same call while its quota allows).
// - Push is O(1) and keeps the queue sorted: a deadline earlier than the
//   tail's (a clock that stepped back) is raised to the tail's, so such a
//   record fires late by the step, never before its deadline.
// - A record is in at most one queue; FifoLink::queued() tells whether it is
//   in one. The owner removes it before freeing it.
// - The queue's TimerNode must stay at a fixed address: a DeadlineFifo is not
//   movable.
// - `link_of(index)` returns the FifoLink of the record at `index`.
#ifndef TERN_LIB_TCP_DEADLINE_FIFO_H_
#define TERN_LIB_TCP_DEADLINE_FIFO_H_

#include <algorithm>
#include <cstdint>

#include "lib/base/dcheck.h"
#include "lib/base/time.h"
#include "lib/tcp/timer_wheel.h"

namespace tern::tcp {

struct FifoLink {
  static constexpr uint32_t kNone = ~uint32_t{0};
  // prev of a record in no queue.
  static constexpr uint32_t kDetached = ~uint32_t{0} - 1;

  uint32_t prev = kDetached;
  uint32_t next = kNone;
  uint32_t due = 0;  // the deadline's wheel tick, low 32 bits

  bool queued() const { return prev != kDetached; }
};
static_assert(sizeof(FifoLink) == 12 && alignof(FifoLink) == 4);

class DeadlineFifo {
 public:
  DeadlineFifo() = default;
  DeadlineFifo(const DeadlineFifo&) = delete;
  DeadlineFifo& operator=(const DeadlineFifo&) = delete;

  bool empty() const { return head_ == FifoLink::kNone; }
  const TimerNode* node() const { return &node_; }

  // Queues the record at `index` (not queued) to come due at `deadline`.
  template <typename LinkOf>
  void Push(TimerWheel& wheel, Instant now, Instant deadline, uint32_t index,
            LinkOf&& link_of) {
    FifoLink& link = link_of(index);
    TERN_DCHECK(!link.queued());
    const uint64_t ref = wheel.DeadlineTick(now);
    CatchUp(ref, link_of);
    uint64_t due = wheel.DeadlineTick(deadline);
    if (tail_ != FifoLink::kNone) {
      // Not before the tail (none later, with one timeout and a clock that
      // does not step back).
      due = std::max(due, Expand(ref, link_of(tail_).due));
    }
    link.due = static_cast<uint32_t>(due);
    latest_due_ = std::max(latest_due_, due);
    link.prev = tail_;
    link.next = FifoLink::kNone;
    if (tail_ == FifoLink::kNone) {
      head_ = index;
      wheel.Arm(&node_, wheel.TickInstant(due));
    } else {
      link_of(tail_).next = index;
    }
    tail_ = index;
  }

  // Takes the record at `index` out of the queue (it must be in it).
  template <typename LinkOf>
  void Remove(TimerWheel& wheel, Instant now, uint32_t index,
              LinkOf&& link_of) {
    FifoLink& link = link_of(index);
    TERN_DCHECK(link.queued());
    const bool was_head = head_ == index;
    Unlink(link, link_of);
    if (was_head) {
      Rearm(wheel, now, link_of);
    }
  }

  // Called when the queue's node fired at `now`: takes the head (due: the
  // node was armed at its deadline) out of the queue, re-arms the node for
  // the next head, and returns the head's index.
  template <typename LinkOf>
  uint32_t PopFired(TimerWheel& wheel, Instant now, LinkOf&& link_of) {
    TERN_DCHECK(!empty());
    const uint32_t index = head_;
    FifoLink& link = link_of(index);
    Unlink(link, link_of);
    Rearm(wheel, now, link_of);
    return index;
  }

  // Disarms the queue's node (the owner is going away with its records).
  void Cancel(TimerWheel& wheel) { wheel.Cancel(&node_); }

 private:
  // When `ref` is kCatchUpTicks past the latest deadline queued, every
  // queued record is long due: their deadlines become `ref`'s tick (the
  // order stays), so none is read across the 32-bit wrap after a long gap.
  // O(queued), at most once per kCatchUpTicks. With deadlines at most 24
  // hours (1.32e9 ticks) ahead of their `now`, a deadline can be 2^31 ticks
  // behind `ref` only after a gap this catches.
  static constexpr uint64_t kCatchUpTicks = uint64_t{1} << 29;
  template <typename LinkOf>
  void CatchUp(uint64_t ref, LinkOf&& link_of) {
    if (empty() || ref < latest_due_ + kCatchUpTicks) {
      return;
    }
    for (uint32_t i = head_; i != FifoLink::kNone; i = link_of(i).next) {
      link_of(i).due = static_cast<uint32_t>(ref);
    }
    latest_due_ = ref;
  }

  // The full tick of a 32-bit `due` within 2^31 ticks of `ref`.
  static uint64_t Expand(uint64_t ref, uint32_t due) {
    const int64_t delta =
        static_cast<int32_t>(due - static_cast<uint32_t>(ref));
    if (delta < 0 && static_cast<uint64_t>(-delta) > ref) {
      return 0;
    }
    return ref + static_cast<uint64_t>(delta);
  }

  template <typename LinkOf>
  void Unlink(FifoLink& link, LinkOf&& link_of) {
    if (link.prev == FifoLink::kNone) {
      head_ = link.next;
    } else {
      link_of(link.prev).next = link.next;
    }
    if (link.next == FifoLink::kNone) {
      tail_ = link.prev;
    } else {
      link_of(link.next).prev = link.prev;
    }
    link.prev = FifoLink::kDetached;
    link.next = FifoLink::kNone;
  }

  template <typename LinkOf>
  void Rearm(TimerWheel& wheel, Instant now, LinkOf&& link_of) {
    if (empty()) {
      wheel.Cancel(&node_);
      return;
    }
    const uint64_t ref = wheel.DeadlineTick(now);
    CatchUp(ref, link_of);
    const uint64_t due = Expand(ref, link_of(head_).due);
    wheel.Arm(&node_, wheel.TickInstant(due));
  }

  TimerNode node_;
  uint32_t head_ = FifoLink::kNone;
  uint32_t tail_ = FifoLink::kNone;
  // The latest deadline queued (full tick): every queued record's is at or
  // before it.
  uint64_t latest_due_ = 0;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_DEADLINE_FIFO_H_
