// TIME-WAIT: a compact record and its input verdict.
//
// RFC 9293 3.10.7.4 (TIME-WAIT processing), 3.4.2 (2 MSL), RFC 1337 (ignore
// RST in TIME-WAIT: "TIME-WAIT assassination"), RFC 6191 (a new SYN may
// reopen the tuple when its ISN or timestamp shows it is newer), RFC 7323 5.3
// (PAWS).
//
// A connection entering TIME-WAIT is replaced by this 64-byte record; the full
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
#include "lib/tcp/four_tuple.h"
#include "lib/tcp/stats.h"
#include "lib/tcp/timer_wheel.h"
#include "lib/wire/tcp_header.h"

namespace tern::tcp {

struct TimeWaitRecord {
  TimerNode timer;  // 2 MSL expiry
  FourTuple tuple;
  SeqNum snd_nxt;      // our sequence number (after our FIN)
  SeqNum rcv_nxt;      // after the peer's FIN
  uint32_t ts_recent;  // peer's last TSval, when timestamps are on
  uint32_t ts_offset;  // our TSval = now in ms + ts_offset
  uint16_t window;     // the raw window field we last sent
  uint8_t timestamps;  // 1 when timestamps were negotiated
  uint8_t unused = 0;
};
static_assert(sizeof(TimeWaitRecord) <= 64,
              "a TIME-WAIT record must stay within one cache line");

enum class TimeWaitAction : uint8_t {
  kDrop,  // nothing to send; count `reason`
  // Re-send our last ACK. The caller rate-limits it with the endpoint's
  // AckLimiter (challenge_ack_per_second): Linux limits per socket (500 ms,
  // tcp_oow_rate_limited), but the 64-byte record has no room for a time.
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

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_TIME_WAIT_H_
