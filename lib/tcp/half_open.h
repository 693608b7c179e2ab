// HalfOpen: a passive connection in SYN-RECEIVED, kept as a compact record.
//
// RFC 9293 3.10.7.2 (LISTEN: SYN -> SYN-RECEIVED), 3.10.7.4 (SYN-RECEIVED),
// RFC 6298 (SYN-ACK retransmission backoff), RFC 4987 section 3 (why a
// listener under a SYN flood wants small half-open state).
//
// A SYN that the listener queues creates this record, not a Connection: no
// buffers, no RTT estimator, no congestion state, only what the SYN-ACK and
// its retransmissions need and what the final ACK must be checked against.
// The final ACK promotes it to a full Connection (Connection::InitSynReceived)
// that then processes that ACK and any data it carries.
#ifndef TERN_LIB_TCP_HALF_OPEN_H_
#define TERN_LIB_TCP_HALF_OPEN_H_

#include <cstdint>

#include "lib/base/seq_num.h"
#include "lib/base/time.h"
#include "lib/tcp/ack_limiter.h"
#include "lib/tcp/deadline_fifo.h"
#include "lib/tcp/four_tuple.h"

namespace tern::tcp {

struct HalfOpen {
  static constexpr uint8_t kTimestamps = 1;   // flags: the SYN had TS
  static constexpr uint8_t kSack = 2;         // flags: SACK-permitted agreed
  static constexpr uint8_t kWindowScale = 4;  // flags: scaling agreed
  // flags: a duplicate SYN was answered, at last_dup_answer
  static constexpr uint8_t kDupAnswered = 8;

  // 4-byte fields, then 2- and 1-byte ones: 63 bytes of fields in a 64-byte
  // record, one cache line.
  // The SYN-ACK retransmission timer: the record waits in its endpoint's
  // DeadlineFifo for its retransmission count (deadline_fifo.h), 12 bytes
  // where a TimerNode was 24.
  FifoLink timer;
  FourTuple tuple;
  // The record's own budget of challenge ACKs and of ACKs answering
  // unacceptable segments (challenge_ack_per_second; ack_limiter.h).
  CoarseAckLimiter ack_limiter;
  SeqNum iss;
  SeqNum irs;
  uint32_t ts_recent = 0;
  uint32_t listener_index = 0;
  uint32_t listener_generation = 0;
  // CoarseTick of the last duplicate SYN answered; meaningful with
  // kDupAnswered.
  uint32_t last_dup_answer = 0;
  uint16_t peer_mss = 0;
  uint16_t peer_window = 0;  // the SYN's window (never scaled)
  uint8_t peer_wscale = 0;   // as received; meaningful with kWindowScale
  uint8_t retries = 0;
  uint8_t flags = 0;
};
// Issue 12 asks for at most 64 bytes.
static_assert(sizeof(HalfOpen) <= 64,
              "HalfOpen grew: update doc/benchmarks.md and this bound");

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_HALF_OPEN_H_
