// TIME-WAIT: a compact record and its input verdict.
//
// RFC 9293 3.10.7.4 (TIME-WAIT processing), 3.4.2 (2 MSL), RFC 1337 (ignore
// RST in TIME-WAIT: "TIME-WAIT assassination"), RFC 6191 (a new SYN may
// reopen the tuple when its ISN or timestamp shows it is newer), RFC 7323 5.3
// (PAWS).
//
// A connection entering TIME-WAIT is replaced by this 44-byte record; the full
// connection (buffers and all) is freed. The record keeps what is needed to
// answer the peer: our next sequence number, the peer's, the timestamp state
// and the window we last advertised.
//
// Contract: TimeWaitInput is a pure function of the record, the segment and
// the limits; it returns what the caller must do. It never changes the record.
#ifndef TERN_LIB_TCP_TIME_WAIT_H_
#define TERN_LIB_TCP_TIME_WAIT_H_

#include <cstdint>

#include "lib/base/seq_num.h"
#include "lib/base/time.h"
#include "lib/tcp/deadline_fifo.h"
#include "lib/tcp/four_tuple.h"
#include "lib/tcp/stats.h"
#include "lib/wire/tcp_header.h"

namespace tern::tcp {

struct TimeWaitRecord {
  // 2 MSL expiry: the record waits in its endpoint's DeadlineFifo
  // (deadline_fifo.h), 12 bytes where a TimerNode was 24.
  FifoLink timer;
  FourTuple tuple;
  SeqNum snd_nxt;      // our sequence number (after our FIN)
  SeqNum rcv_nxt;      // after the peer's FIN
  uint32_t ts_recent;  // peer's last TSval, when timestamps are on
  uint32_t ts_offset;  // our TSval = now in ms + ts_offset
  uint16_t window;     // the raw window field we last sent
  uint8_t timestamps;  // 1 when timestamps were negotiated
  // When the record last answered with an ACK: (tick mod 255) + 1 of
  // TimeWaitAckTick, 0 for never (TimeWaitAckAllowed).
  uint8_t ack_tick = 0;
};
// 44 bytes with the 12-byte FifoLink (issue 12 asks for at most 64, one
// cache line).
static_assert(sizeof(TimeWaitRecord) <= 44,
              "TimeWaitRecord grew: update doc/benchmarks.md and this bound");

enum class TimeWaitAction : uint8_t {
  kDrop,  // nothing to send; count `reason`
  // Re-send our last ACK. The caller rate-limits it per record
  // (TimeWaitAckAllowed).
  kAck,
  kAckAndRestart,  // retransmitted FIN: ACK it and restart 2 MSL
  kReopen,         // RFC 6191: free the record, process the SYN as new
};

struct TimeWaitVerdict {
  TimeWaitAction action;
  // Set with kDrop; with kAck when the segment itself is refused (PAWS).
  DropReason reason = DropReason::kCount;
};

TimeWaitVerdict TimeWaitInput(const TimeWaitRecord& record,
                              const wire::TcpRepr& seg);

// Whether the record may answer with an ACK at `now`, and if so notes it:
// at most one ACK per tick of 2^29 ns (537 ms), as Linux's per-socket
// tcp_invalid_ratelimit of 500 ms for TIME-WAIT. The budget is the record's
// own, so no other connection can observe it (CVE-2016-5696; ack_limiter.h);
// the compact record keeps the tick in one byte, mod 255: an answer is
// suppressed wrongly only when the last one was a multiple of 137 s
// earlier, and the peer's retransmission is then answered.
inline constexpr int kTimeWaitAckTickShift = 29;
inline bool TimeWaitAckAllowed(TimeWaitRecord& record, Instant now) {
  const uint8_t tick =
      static_cast<uint8_t>(static_cast<uint64_t>(now.ToNanos()) >>
                           kTimeWaitAckTickShift) %
          255 +
      1;
  if (record.ack_tick == tick) {
    return false;
  }
  record.ack_tick = tick;
  return true;
}

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_TIME_WAIT_H_
