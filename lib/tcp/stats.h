// Per-endpoint counters: every dropped segment has a named reason, every state
// change is counted by (from, to). One writer (the owning lcore); any thread
// may read them without locks (lib/base/counters.h).
#ifndef TERN_LIB_TCP_STATS_H_
#define TERN_LIB_TCP_STATS_H_

#include "lib/base/counters.h"
#include "lib/tcp/state.h"

namespace tern::tcp {

enum class DropReason : uint8_t {
  kNoSocket,            // no connection or listener (answered with RST)
  kNoSocketRst,         // RST for no connection: dropped silently
  kListenRst,           // RST to a listener (RFC 9293 3.10.7.2: ignore)
  kListenAck,           // ACK to a listener (answered with RST)
  kListenNoSyn,         // neither SYN, ACK nor RST to a listener
  kSynQueueFull,        // listener's half-open bound reached
  kAcceptQueueFull,     // final ACK ignored: accept queue full
  kAcceptQueueFullSyn,  // SYN to a listener whose accept queue is full
  kListenSynFin,        // SYN with FIN to a listener: discarded
  // A duplicate SYN to a half-open record within 500 ms of the last one
  // answered: not answered again (Linux's tcp_oow_rate_limited).
  kDupSynRateLimited,
  kTableFull,         // connection slab or table full
  kSynSentBadAck,     // SYN-SENT: ACK not for our SYN (answered RST)
  kSynSentNoSyn,      // SYN-SENT: neither SYN nor RST
  kSynSentRstBadAck,  // SYN-SENT: RST without an acceptable ACK
  kUnacceptableSeq,   // RFC 9293 first check failed (ACK sent)
  kPaws,              // RFC 7323 5.3: timestamp older than TS.Recent
  kRstOutOfWindow,    // RST outside the window: dropped
  kRstChallenged,     // RFC 5961 3.2: in-window RST, challenge ACK
  kSynChallenged,     // RFC 5961 4.2: SYN in a synchronized state
  kNoAck,             // RFC 9293 fifth check: ACK bit off
  kAckTooNew,         // RFC 5961 5.2: ACK for data not yet sent
  kAckTooOld,         // RFC 5961 5.2: ACK below SND.UNA - MAX.SND.WND
  kSynRcvdBadAck,     // SYN-RECEIVED: unacceptable ACK (answered RST)
  kOutOfOrder,        // data past RCV.NXT beyond the buffer: not stored
  kRecvBufferFull,    // in-window data beyond the receive buffer
  // In-window data for a receive buffer the BufferAllocator had no memory
  // for: not stored, not acknowledged (the peer retransmits).
  kNoBufferMemory,
  // Out-of-order data that would need a range past Assembler::kMaxRanges.
  kReassemblyRangesFull,
  // Out-of-order data or FIN for a connection holding no reassembly state
  // while EndpointConfig::max_reassembling connections already hold one:
  // not stored, not acknowledged (the peer retransmits).
  kNoReassemblyMemory,
  // Data wholly at or past a FIN already held out of order.
  kBeyondFin,
  kDataAfterFin,  // data or FIN beyond the peer's FIN
  kTimeWaitAck,   // TIME-WAIT: a pure ACK at RCV.NXT, nothing to do
  // TIME-WAIT: a bare ACK at another sequence number, answered with an ACK
  kTimeWaitUnacceptable,
  kTimeWaitRst,   // TIME-WAIT: RST ignored (RFC 1337)
  kTimeWaitPaws,  // TIME-WAIT: old timestamp
  // ICMP errors (Endpoint::OnIcmpError):
  kIcmpNoConnection,  // quotes a segment of no connection or half-open
  kIcmpTimeWait,      // about a TIME-WAIT record: nothing to tell
  // RFC 5927 section 4.1: the quoted sequence number is not in
  // [SND.UNA, SND.NXT) (for a half-open record: not its ISS).
  kIcmpOutOfWindow,
  // RFC 5927 section 7.2 and RFC 1191 section 6.3: a fragmentation-needed
  // whose MTU is not below the quoted packet's size or the path's MSS.
  kIcmpPmtuNotSmaller,
  // TIME-WAIT: a SYN that does not reopen it (RFC 6191: not newer) or a
  // SYN-ACK, answered with our ACK (RFC 9293 3.10.7.4 first check).
  kTimeWaitSyn,
  // TIME-WAIT: data (it cannot be new after the peer's FIN), answered with
  // our ACK.
  kTimeWaitData,
  // TIME-WAIT: SYN with FIN; dropped, and it does not reopen the record (a
  // listener would discard it, kListenSynFin, after the record was gone).
  kTimeWaitSynFin,
  // Source or destination port 0 (reserved, RFC 6335 6): dropped before
  // lookup and never answered, as FreeBSD's tcp_input does.
  kPortZero,
  // Text on a SYN to a listener: the SYN is answered, its data is not kept
  // (no TCP Fast Open; RFC 9293 3.10.7.2 allows dropping it) and the peer
  // sends it again after the handshake.
  kSynData,
  kCount,
};
const char* ToString(DropReason r);

// Listener counters (per listener, and summed per endpoint in
// EndpointStats::listen).
struct ListenerStats {
  Counter syns_received;
  Counter synacks_sent;  // first SYN-ACKs from the queue, and cookie SYN-ACKs
  Counter syn_queue_overflows;  // SYN dropped: queue full and cookies off
  Counter cookies_sent;
  Counter cookies_validated;
  Counter cookies_rejected_bad_mac;
  Counter cookies_rejected_expired;
  Counter cookies_rejected_bad_mss_index;
  Counter cookie_mode_entered;     // on-overflow: the queue filled up
  Counter cookie_mode_left;        // on-overflow: it drained to the low mark
  Counter accept_overflows;        // final ACK ignored or reset: queue full
  Counter accept_queue_full_syns;  // SYN dropped: accept queue full
  Counter accept_overflow_resets;

  // Writer-only: a listener slot reused by a new listener starts at zero.
  void Reset() {
    for (Counter* c :
         {&syns_received, &synacks_sent, &syn_queue_overflows, &cookies_sent,
          &cookies_validated, &cookies_rejected_bad_mac,
          &cookies_rejected_expired, &cookies_rejected_bad_mss_index,
          &cookie_mode_entered, &cookie_mode_left, &accept_overflows,
          &accept_queue_full_syns, &accept_overflow_resets}) {
      c->Reset();
    }
  }
};

struct EndpointStats {
  CounterArray<DropReason> drops;
  Counter transitions[kNumStates][kNumStates];

  Counter segments_in;
  Counter segments_out;
  Counter rst_sent;
  Counter challenge_acks;
  Counter challenge_acks_limited;
  // Answers to out-of-window pure ACKs and SYNs not sent because the
  // connection answered one less than 500 ms before (Linux's
  // tcp_oow_rate_limited, tcp_invalid_ratelimit); the segment itself is
  // counted under drops (unacceptable_seq).
  Counter oow_acks_limited;
  // RSTs not sent to segments for no connection (RFC 9293 3.10.7.1 and
  // 3.10.7.2's reset generation) because EndpointConfig::
  // no_socket_rst_per_second was spent; the segment itself is counted under
  // drops (no_socket, listen_ack).
  Counter rst_limited;
  // RFC 2018 SACK blocks ignored (SackUpdate::ignored_blocks): inverted,
  // empty, beyond SND.MAX or below SND.UNA.
  Counter sack_blocks_ignored;
  // ACKs whose SACK blocks went unrecorded because the endpoint's scoreboard
  // pool was exhausted (EndpointConfig::max_sack_scoreboards,
  // scoreboard_pool.h); the segment itself is processed.
  Counter sack_scoreboard_refused;
  // Send or SendRef calls that found no send queue record to take
  // (send_queue_pool.h: memory for a new chunk of records could not be had);
  // the call reported the buffer full.
  Counter send_queue_refused;
  // Keepalive turned on (by a connection's options or SetKeepalive) without
  // a keepalive record to take (keepalive_pool.h: memory for a new chunk of
  // records could not be had); keepalive stayed off.
  Counter keepalive_refused;
  Counter retransmits;        // data or FIN segments sent again
  Counter fast_recoveries;    // loss recovery entered on dupacks or SACK
  Counter limited_transmits;  // RFC 3042 new segments on dupacks 1 and 2
  Counter rto_expiries;       // data retransmission timeouts (go-back-N)
  Counter syn_retransmits;
  Counter synack_retransmits;
  Counter active_opens;
  Counter passive_opens;
  Counter conn_timeouts;  // aborted after the last retransmission
  Counter conn_resets;    // reset by the peer
  Counter time_wait_created;
  Counter time_wait_overflow;  // TIME-WAIT skipped: record bound reached
  Counter time_wait_reopened;  // RFC 6191 SYN reused a TIME-WAIT tuple
  Counter time_wait_expired;
  Counter keepalive_probes;
  Counter keepalive_timeouts;
  // Idle connections that gave their empty send and receive buffers back
  // (Connection's buffer reclaim, kBufferReclaimDelay after the last
  // segment); they take them again on their next data.
  Counter buffer_reclaims;
  Counter fin_wait2_timeouts;
  Counter synack_timeouts;   // half-open dropped after the last SYN-ACK
  Counter timers_fired;      // wheel expiries run by OnTimers
  Counter icmp_errors_in;    // ICMP errors handed to OnIcmpError
  Counter icmp_soft_errors;  // recorded, reported if the connection times out
  Counter icmp_aborts;       // connections and half-open records ended
  Counter pmtu_decreases;    // RFC 1191: MSS lowered to a new path MTU
  Counter shutdown_aborts;   // connections ended by AbortAll
  // Segments handled by header prediction (EndpointConfig::
  // header_prediction): pure ACKs of new data, and in-order data.
  Counter predicted_acks;
  Counter predicted_data;
  ListenerStats listen;  // sum over this endpoint's listeners

  uint64_t Transitions(State from, State to) const {
    return transitions[static_cast<int>(from)][static_cast<int>(to)].Get();
  }
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_STATS_H_
