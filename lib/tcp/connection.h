// Connection: one TCP connection's state machine (RFC 9293 section 3.10).
//
// RFC 9293 3.10 (event processing), 3.8.6 (windows, SWS avoidance),
// 3.8.1 and RFC 6298 (retransmission timeout), RFC 7323 (window scale,
// timestamps, PAWS), RFC 5961 (challenge ACKs, ACK acceptability), RFC 1122
// 4.2.3.6 (keepalive).
//
// Contract: sans-I/O. The owner (Endpoint) passes an Env with `now`, the
// sink for outgoing segments and the counters; the connection never reads a
// clock and never allocates per segment (its buffers are sized once, at
// Init*, taken from Env::buffers on first data, and given back when an idle
// connection has held them empty for kBufferReclaimDelay, connection.cc).
// Rarely used state (reassembly, the SACK scoreboard, the send queue, the
// keepalive state) is out of line, taken from Env's pools on first use and
// given back when empty.
// Every entry point returns a Verdict that tells the owner what to do with the
// record (keep it, move it to the accept queue, replace it by a TIME-WAIT
// record, release it). The owner re-arms the connection's single timer at
// NextDeadline() after every call (it may serve reclaim_deadline() late, from
// a timer armed earlier) and collects readiness bits with TakeEvents().
#ifndef TERN_LIB_TCP_CONNECTION_H_
#define TERN_LIB_TCP_CONNECTION_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "lib/base/seq_num.h"
#include "lib/base/time.h"
#include "lib/tcp/ack_limiter.h"
#include "lib/tcp/api.h"
#include "lib/tcp/assembler.h"
#include "lib/tcp/assembler_pool.h"
#include "lib/tcp/buffer_allocator.h"
#include "lib/tcp/byte_ring.h"
#include "lib/tcp/config.h"
#include "lib/tcp/congestion/congestion.h"
#include "lib/tcp/four_tuple.h"
#include "lib/tcp/keepalive_pool.h"
#include "lib/tcp/rtt_estimator.h"
#include "lib/tcp/sack_scoreboard.h"
#include "lib/tcp/scoreboard_pool.h"
#include "lib/tcp/segment.h"
#include "lib/tcp/send_queue.h"
#include "lib/tcp/send_queue_pool.h"
#include "lib/tcp/state.h"
#include "lib/tcp/stats.h"
#include "lib/tcp/syn_cookie.h"
#include "lib/tcp/time_wait.h"
#include "lib/tcp/timer_wheel.h"

namespace tern::tcp {

// The window scale we offer for a receive buffer (RFC 7323 2.3): the
// smallest shift whose 16-bit window covers the buffer, at most 14.
uint8_t ReceiveWindowScale(size_t recv_buffer);
// The window scale a connection with these options offers: options.wscale
// when set (at most 14), else ReceiveWindowScale(options.recv_buffer).
uint8_t OfferedWindowScale(const ConnOptions& options);
// The MSS announced in our SYN or SYN-ACK: the port's MSS, capped by the
// application's TCP_MAXSEG (ConnOptions::mss_clamp).
uint16_t AnnouncedMss(const EndpointConfig& config, const ConnOptions& options);
// The same with the application's TCP_MAXSEG alone (0: none).
uint16_t AnnouncedMss(const EndpointConfig& config, uint16_t mss_clamp);
// The MSS a peer's SYN or SYN-ACK announces: its MSS option, or RFC 9293
// 3.7.1's default of 536 when the option is absent or 0 (an MSS of 0 is
// ignored, as Linux's tcp_parse_options does).
uint16_t PeerMss(const wire::TcpOptions& options);

struct Env {
  const EndpointConfig& cfg;
  SegmentSink& sink;
  EndpointStats& stats;
  Instant now;
  // Where the connection's send and receive buffers come from
  // (EndpointConfig::buffer_allocator, or the heap).
  BufferAllocator& buffers = HeapBufferAllocator();
  // Where the connection's out-of-order reassembly state comes from on its
  // first out-of-order segment (the endpoint's bounded pool, or the heap).
  AssemblerPool& assemblers = HeapAssemblerPool();
  // Where the connection's SACK scoreboard comes from on the first ACK whose
  // SACK blocks it records (the endpoint's bounded pool, or the heap).
  ScoreboardPool& scoreboards = HeapScoreboardPool();
  // Where the connection's send queue comes from on its first Send or
  // SendRef (the endpoint's pool, or the heap).
  SendQueuePool& send_queues = HeapSendQueuePool();
  // Where the connection's keepalive state comes from when keepalive is
  // turned on (the endpoint's pool, or the heap).
  KeepalivePool& keepalives = HeapKeepalivePool();
  // Application calls (Send, SendRef, ShutdownWrite, SetNodelay) only mark
  // the connection (output_pending()) instead of transmitting; the owner
  // calls FlushOutput later (EndpointConfig::coalesce_sends).
  bool defer_output = false;
  // A received segment's output (the ACK it calls for, data its ACK lets
  // out) waits for FlushOutput too, so that everything a burst and the
  // application's answer to it call for leaves together: one ACK for a
  // burst of segments, and an ACK that rides on the response (RFC 9293
  // MUST-58 and MUST-59; EndpointConfig::coalesce_sends). Challenge ACKs,
  // RSTs and the ACKs of unacceptable segments still leave at once.
  bool defer_peer_output = false;
};

enum class Verdict : uint8_t {
  kKeep,         // nothing for the owner to do
  kEstablished,  // passive open completed: move to the accept queue
  kTimeWait,     // entered TIME-WAIT: make a record (MakeTimeWait), unlink
  kClosed,       // reached CLOSED: unlink from the table
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    ReleaseAssembler();
    ReleaseScoreboard();
    ReleaseSendQueue();
    if (keepalive_ != nullptr) {
      KeepalivePool::Give(keepalive_);
    }
  }

  // Active open (RFC 9293 3.10.1): sends the SYN, enters SYN-SENT.
  void InitActive(Env& env, const FourTuple& tuple, SeqNum iss,
                  const ConnOptions& options);
  // A passive connection whose SYN-ACK is already out: built from a
  // half-open record or from a valid SYN-cookie ACK (doc/syn_cookies.md). It
  // enters SYN-RECEIVED with nothing to send; the caller then hands it the
  // final ACK through OnSegment, which completes the handshake and takes any
  // data the ACK carries. The caller (the listener unit's verdict) has
  // checked that ACK already, and that the accept queue has room, so the
  // connection always leaves SYN-RECEIVED in that call: passive
  // SYN-RECEIVED has one implementation, the listener's (listener.h).
  struct SynReceivedParams {
    FourTuple tuple;
    SeqNum iss;
    SeqNum irs;
    uint16_t peer_mss = 536;  // RFC 9293 3.7.1 default without the option
    uint16_t peer_window = 0;
    std::optional<uint8_t> peer_wscale;  // nullopt: no window scaling
    bool sack_permitted = false;
    std::optional<uint32_t> ts_recent;  // nullopt: no timestamps
    uint16_t synack_window = 0;         // the window our SYN-ACK announced
    bool synack_retransmitted = false;  // Karn, and RFC 6298 5.7
    // The TSecr of the final ACK cannot give an RTT sample (cookie TSvals
    // carry options in their low bits).
    bool skip_ts_rtt_sample = false;
    // The owner already counted LISTEN -> SYN-RECEIVED (half-open record).
    bool transition_counted = false;
  };
  void InitSynReceived(Env& env, const SynReceivedParams& p,
                       const ConnOptions& options);

  Verdict OnSegment(Env& env, const wire::TcpRepr& seg);
  Verdict OnTimer(Env& env);
  // An ICMP error whose quoted tuple is this connection's
  // (Endpoint::OnIcmpError has the rules).
  Verdict OnIcmpError(Env& env, const IcmpError& error);
  // The soft error an ICMP message left, ETIMEDOUT's stand-in if the
  // connection times out (Linux's sk_err_soft); cleared by new ACKs.
  SockError soft_error() const { return soft_error_; }
  // What a timeout reports: the soft error if there is one (Linux's
  // tcp_write_err), ETIMEDOUT otherwise.
  SockError TimeoutError() const {
    return soft_error_ != SockError::kOk ? soft_error_ : SockError::kTimedOut;
  }
  // The earliest of the connection's deadlines, or Instant::Never().
  Instant NextDeadline() const {
    return std::min(ProtocolDeadline(), reclaim_deadline_);
  }
  // The earliest deadline but the buffer reclaim's, which the owner may
  // serve late (a timer armed earlier stays armed and reaches it).
  Instant ProtocolDeadline() const;
  // When an idle connection gives its empty buffers back, or Never.
  Instant reclaim_deadline() const { return reclaim_deadline_; }

  // Application calls.
  IoResult Send(Env& env, std::span<const uint8_t> data);
  // Zero-copy send (send_queue.h): on kOk the connection owns the reference
  // and releases it exactly once; otherwise it stays the caller's.
  IoResult SendRef(Env& env, const PayloadRef& ref);
  IoResult Recv(Env& env, std::span<uint8_t> out);
  SockError ShutdownWrite(Env& env);
  // Graceful close (RFC 9293 3.10.4). The application gives up the handle;
  // the connection lives on (orphaned) until the protocol is done. Unread
  // received data makes it an abort, as in Linux (RFC 2525 2.17).
  Verdict Close(Env& env);
  // Abort (RFC 9293 3.10.5; SO_LINGER with zero timeout): RST, CLOSED.
  Verdict Abort(Env& env);
  void SetNodelay(Env& env, bool on);
  // kOk, or kNoResources when keepalive was to be turned on and the pool
  // refused its state (counted; keepalive stays as it was).
  SockError SetKeepalive(Env& env, const KeepaliveOptions& ka);
  // Whether keepalive state is held (out of line, keepalive_pool.h): while
  // keepalive is on, and while it is off with probes unanswered.
  bool holds_keepalive() const { return keepalive_ != nullptr; }
  // Whether a deferred application call left output to do, and doing it.
  // Any transmission attempt (an ACK arriving, a timer) does it as well.
  bool output_pending() const { return output_pending_; }
  void FlushOutput(Env& env);

  // Readiness bits accumulated since the last call (api.h events::).
  uint32_t TakeEvents() {
    uint32_t e = events_;
    events_ = 0;
    return e;
  }
  uint32_t Poll() const;  // level-triggered readiness, as poll(2)

  TimeWaitRecord MakeTimeWait(Env& env) const;

  State state() const { return state_; }
  const FourTuple& tuple() const { return tuple_; }
  SockError error() const { return error_; }
  // The pending error, reported once as Linux's SO_ERROR / sock_error do.
  SockError TakeError() {
    SockError e = error_;
    error_ = SockError::kOk;
    return e;
  }
  bool orphaned() const { return orphaned_; }
  bool passive() const { return passive_; }
  // How many times this connection's own SYN (or, in a simultaneous open,
  // its SYN-ACK) was retransmitted before the handshake completed: 0 when
  // the first one was answered. Unlike the retransmission counter behind
  // the RTO, it is never reset, so it stays readable after kConnected and
  // for the connection's life: what a client measures as the SYN
  // retransmissions its connect needed. Saturates at 255 (syn_retries and
  // synack_retries, 6 and 5 by default, bound it far below).
  uint8_t syn_retransmits() const { return syn_retransmits_; }
  size_t readable_bytes() const { return rcvbuf_.size(); }
  size_t send_space() const;
  // Bytes in the send buffer: unacknowledged plus not yet sent (SIOCOUTQ).
  size_t send_queued() const { return sndq_ != nullptr ? sndq_->size() : 0; }
  size_t send_capacity() const {
    return sndq_ != nullptr ? sndq_->limit() : snd_buffer_;
  }
  // Whether the application shut the write side (shutdown or close).
  bool write_shut() const { return fin_queued_; }
  // Copies in-order received bytes without consuming them (MSG_PEEK).
  size_t Peek(std::span<uint8_t> out) const { return rcvbuf_.CopyOut(0, out); }
  // Resizes the send buffer (SO_SNDBUF), never below what it holds.
  void SetSendBuffer(size_t bytes);
  // Whether a send queue is held (out of line, send_queue_pool.h).
  bool holds_send_queue() const { return sndq_ != nullptr; }

  // For tests and diagnostics.
  SeqNum iss() const { return iss_; }
  SeqNum irs() const { return irs_; }
  SeqNum snd_una() const { return snd_una_; }
  SeqNum snd_nxt() const { return snd_nxt_; }
  SeqNum rcv_nxt() const { return rcv_nxt_; }
  uint32_t snd_wnd() const { return snd_wnd_; }
  uint16_t snd_mss() const { return snd_mss_; }
  uint8_t snd_wscale() const { return snd_wscale_; }
  uint8_t rcv_wscale() const { return rcv_wscale_; }
  bool timestamps_enabled() const { return ts_enabled_; }
  bool sack_enabled() const { return sack_enabled_; }
  const RttEstimator& rtt() const { return rtt_; }
  const CongestionControl& congestion() const { return cc_; }
  // The SACK scoreboard; an empty one while none is held.
  const SackScoreboard& scoreboard() const {
    return scoreboard_ != nullptr ? *scoreboard_ : EmptyScoreboard();
  }
  // Whether a scoreboard is held (out of line, scoreboard_pool.h).
  bool holds_scoreboard() const { return scoreboard_ != nullptr; }
  // The reassembly state, or nullptr while nothing is held out of order.
  const Assembler* assembler() const { return assembler_; }
  bool in_recovery() const { return in_recovery_; }
  // The window Output sends within (RFC 5681 cwnd; during NewReno recovery
  // the inflated window of RFC 6582).
  uint32_t send_cwnd() const {
    return in_recovery_ && !sack_enabled_ ? recovery_cwnd_ : cc_.cwnd();
  }

  // Owner's bookkeeping (the endpoint keeps these with the record). The
  // record's fields go by alignment, 8-byte first here and last below, and
  // most flags are bit-fields, so that one byte is padding (doc/benchmarks.md,
  // issue 12: 464 bytes; the tail padding of RttEstimator and ByteRing holds
  // small fields, [[no_unique_address]]).
  TimerNode timer;
  uint64_t context = 0;    // the application's (Endpoint::SetContext)
  Instant timer_deadline;  // what `timer` is armed for
  uint32_t listener_index = UINT32_MAX;
  uint32_t listener_generation = 0;
  // The endpoint's list of connections with deferred output (slab indices).
  uint32_t dirty_prev = UINT32_MAX;
  uint32_t dirty_next = UINT32_MAX;
  // Readiness bits (api.h events::, all below bit 16) collected, not yet
  // given to PollEvents.
  uint16_t pending_events = 0;
  bool in_dirty_list : 1 = false;
  bool in_ready_list : 1 = false;
  bool in_table : 1 = false;
  bool accepted : 1 = true;          // false until Accept takes it
  bool in_accept_queue : 1 = false;  // in its listener's accept queue

 private:
  void SetState(Env& env, State next);
  // Copies what the connection uses of `options` after Init.
  void KeepOptions(Env& env, const ConnOptions& options);
  // Gives keepalive_ back once keepalive is off and no probe is unanswered:
  // a fresh record would then behave the same.
  void ReleaseKeepaliveIfIdle() {
    if (keepalive_ != nullptr && !keepalive_enabled_ && keepalive_->sent == 0) {
      KeepalivePool::Give(keepalive_);
      keepalive_ = nullptr;
    }
  }
  // Header prediction (connection.cc): true when the segment was a
  // predicted pure ACK or in-order data segment on ESTABLISHED and has been
  // handled exactly as the general steps would; false, with nothing
  // changed, for every other segment.
  bool PredictedInput(Env& env, const wire::TcpRepr& seg);
  Verdict HandleSynSent(Env& env, const wire::TcpRepr& seg);
  bool SegmentAcceptable(const wire::TcpRepr& seg) const;
  // Fifth check of RFC 9293 3.10.7.4; returns false when processing stops.
  // It runs the functions below in the RFC's order.
  bool ProcessAck(Env& env, const wire::TcpRepr& seg, Verdict* verdict);
  // RFC 5961 5.2 and SYN-RECEIVED's rule: false (after answering) when the
  // ACK is unacceptable.
  bool AckAcceptable(Env& env, const wire::TcpRepr& seg);
  // SYN-RECEIVED: "enter ESTABLISHED state" with the segment's window.
  void CompleteHandshake(Env& env, const wire::TcpRepr& seg, Verdict* verdict);
  // SND.UNA < SEG.ACK: advance SND.UNA, free acknowledged data, take the RTT
  // sample, restart or stop the retransmission timer. Returns the bytes of
  // sequence space acknowledged (0 for a duplicate or old ACK).
  uint32_t AdvanceSndUna(Env& env, const wire::TcpRepr& seg);
  // What the congestion and recovery step needs, taken before SND.UNA and
  // SND.WND change.
  struct AckFacts {
    bool dup_ack_candidate = false;  // RFC 5681 2 (a)-(d)
    bool window_unchanged = false;   // RFC 5681 2 (e)
    uint32_t flight_before = 0;
    uint32_t acked = 0;
  };
  // Congestion control and loss recovery (RFC 5681, 6582, 6675) on an ACK
  // at SND.UNA, new or duplicate, SACK blocks first.
  void OnAckForRecovery(Env& env, const wire::TcpRepr& seg,
                        const AckFacts& facts);
  // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated"
  // when the segment is newer (SND.WL1, SND.WL2).
  void UpdateSendWindow(const wire::TcpRepr& seg);
  // The state-specific processing (FIN-WAIT-1, CLOSING, LAST-ACK); false
  // when processing stops (the connection entered TIME-WAIT or CLOSED).
  bool AckInState(Env& env, Verdict* verdict);
  void ProcessText(Env& env, const wire::TcpRepr& seg);
  void UpdateTsRecent(const wire::TcpRepr& seg);
  void NegotiateSynOptions(const wire::TcpRepr& syn);

  // Output.
  void Output(Env& env);
  void OutputOrDefer(Env& env);
  // Output after a received segment, or deferred (Env::defer_peer_output).
  void OutputAfterSegment(Env& env);
  // The ACK a read that opened the window calls for (RFC 9293 3.8.6.2.2),
  // deferred with an application call's output (Env::defer_output).
  void SendWindowUpdate(Env& env);
  // Whether the application may queue data in this state (kOk), or the
  // error Send reports.
  SockError SendAllowed();
  // RFC 6675 section 5 step (C): retransmissions and new data while pipe is
  // below cwnd. Returns whether anything was sent.
  bool SackRecoveryOutput(Env& env);
  // One segment at SND.NXT (new data, or go-back-N after an RTO). Returns
  // the sequence space it covered: len (+1 for the FIN), or less when the
  // payload needed more than kMaxPayloadSpans spans (then no FIN).
  uint32_t TransmitAtNxt(Env& env, uint32_t len, bool fin);
  // Sends [seq, seq + len) of sequence space again, SND.NXT untouched;
  // returns the sequence space covered, as TransmitAtNxt.
  uint32_t Retransmit(Env& env, SeqNum seq, uint32_t len);
  // Congestion control and loss recovery on an acceptable ACK
  // (RFC 5681 3, RFC 6582 3.2, RFC 6675 5).
  void InitCongestion(Env& env);
  void OnNewAck(Env& env, uint32_t acked, uint32_t flight_before);
  void OnDuplicateAck(Env& env);
  void EnterRecovery(Env& env);
  void SendSyn(Env& env, bool with_ack);
  // Returns the data bytes sent (len unless the spans ran out); the FIN goes
  // only with all of len.
  uint32_t SendSegment(Env& env, SeqNum seq, uint32_t len, bool fin);
  void SendAck(Env& env);
  void SendRst(Env& env);
  void SendKeepaliveProbe(Env& env);
  // payload_len: the segment's data, so that SACK blocks never push it past
  // the MSS (RFC 6691: options come out of the payload's room).
  void FillHeader(Env& env, wire::TcpRepr* tcp, SeqNum seq, uint8_t flags,
                  uint32_t payload_len = 0);
  void AddSackBlocks(Env& env, wire::TcpRepr* tcp, uint32_t payload_len);
  // Records a duplicate [left, right) for the next ACK's D-SACK block (RFC
  // 2883 section 4), when SACK is on; a block still pending from an earlier
  // duplicate is sent first, in an ACK of its own.
  void SetDsack(Env& env, SeqNum left, SeqNum right);
  // Eighth step of RFC 9293 3.10.7.4, once RCV.NXT has reached the FIN.
  void ProcessFin(Env& env);
  // Gives assembler_ back to its pool (nothing when none is held).
  void ReleaseAssembler() {
    if (assembler_ != nullptr) {
      AssemblerPool::Give(assembler_);
      assembler_ = nullptr;
    }
  }
  // Gives scoreboard_ back to its pool (nothing when none is held).
  void ReleaseScoreboard() {
    if (scoreboard_ != nullptr) {
      ScoreboardPool::Give(scoreboard_);
      scoreboard_ = nullptr;
    }
  }
  // Gives scoreboard_ back once it records nothing: an empty scoreboard
  // answers every query as none does (scoreboard_pool.h).
  void ReleaseScoreboardIfEmpty() {
    if (scoreboard_ != nullptr && scoreboard_->empty()) {
      ReleaseScoreboard();
    }
  }
  static const SackScoreboard& EmptyScoreboard();
  // The send queue, taken from Env::send_queues when none is held; nullptr
  // when the pool refused (counted), which Send treats as a full buffer.
  SendQueue* TakeSendQueue(Env& env);
  // Gives sndq_ back to its pool with whatever it holds.
  void ReleaseSendQueue() {
    if (sndq_ != nullptr) {
      SendQueuePool::Give(sndq_);
      sndq_ = nullptr;
    }
  }
  void SendRstAt(Env& env, SeqNum seq);
  Verdict OnRetransmitTimeout(Env& env);
  Verdict OnPathMtu(Env& env, const IcmpError& error);
  // Go-back-N from SND.UNA with the loss-recovery state reset (after an RTO
  // and after a path MTU decrease); the caller handles the congestion
  // window.
  void RewindToSndUna();
  Instant KeepaliveDeadline() const;
  // Buffer reclaim (connection.cc, kBufferReclaimDelay): whether the
  // buffers hold memory and no byte, and arming reclaim_deadline_ when they
  // have just emptied.
  bool BuffersReclaimable() const;
  void NoteBuffersEmpty(Instant now);
  uint32_t EffectiveMss(const Env& env) const;
  SeqNum DataEnd() const {
    return snd_buf_seq_ + static_cast<uint32_t>(send_queued());
  }
  uint16_t WindowField(bool syn);
  uint32_t TsClock(Env& env) const;
  void ArmRetransmit(Env& env);
  void RestartRtoAfterSynTimeout(Env& env);
  Verdict Fail(Env& env, SockError error, uint32_t event, bool send_rst);

  bool FinAcked() const;

  // 1-byte fields after the owner's flags, then 4-, 2- and 1-byte fields,
  // then the 8-byte ones, with small fields in the tail padding of rtt_ and
  // rcvbuf_: one byte of the record is padding.
  State state_ = State::kClosed;
  uint8_t snd_wscale_ = 0;
  uint8_t rcv_wscale_ = 0;
  // The two flags written on every segment, plain: a bit-field write is a
  // read-modify-write.
  bool output_pending_ = false;  // a deferred application call (Env)
  bool dsack_pending_ = false;   // dsack_ holds a block to send
  FourTuple tuple_;

  // Send sequence space (RFC 9293 3.3.1).
  SeqNum iss_;
  SeqNum snd_una_;
  SeqNum snd_nxt_;
  SeqNum snd_max_;      // highest sequence sent + 1 (differs from SND.NXT
                        // after a go-back-N retransmission)
  SeqNum snd_buf_seq_;  // sequence number of sndq_'s first byte
  SeqNum snd_sml_;      // end of the last segment sent below the MSS
                        // (Minshall's Nagle, Linux's snd_sml)
  uint32_t snd_wnd_ = 0;
  uint32_t max_snd_wnd_ = 0;  // RFC 5961 5.2 MAX.SND.WND
  SeqNum snd_wl1_;
  SeqNum snd_wl2_;
  // Receive sequence space.
  SeqNum irs_;
  SeqNum rcv_nxt_;
  SeqNum rcv_adv_;  // right edge of the window we advertised
  SeqNum last_ack_sent_;
  // RFC 2883 D-SACK: a duplicate to report in the next ACK (SetDsack).
  wire::SackBlock dsack_;
  uint32_t ts_recent_ = 0;
  SeqNum rtt_seq_;  // the segment being timed (rtt_timing_)
  int retries_ = 0;
  // Loss recovery (dupacks_ is below). Bytes sent by RFC 3042 limited
  // transmit since the last new ACK.
  uint32_t limited_transmit_bytes_ = 0;
  uint32_t recovery_cwnd_ = 0;  // RFC 6582 inflated cwnd (no SACK)
  // recover_ is RFC 6582's "recover" and RFC 6675's RecoveryPoint, held
  // exclusive (HighData + 1 = SND.MAX at entry); it trails SND.UNA outside
  // recovery so the comparison never wraps.
  SeqNum recover_;
  SeqNum high_rxt_;    // RFC 6675 HighRxt + 1 (exclusive)
  SeqNum rescue_rxt_;  // RFC 6675 RescueRxt + 1 (exclusive)
  int persist_probes_ = 0;
  uint32_t snd_ref_chunks_ = 0;  // ConnOptions::send_ref_chunks, for sndq_
  // RFC 5961 section 7 challenge ACKs: this connection's own budget of
  // EndpointConfig::challenge_ack_per_second (ack_limiter.h, CVE-2016-5696).
  AckLimiter challenge_limiter_;

  // What the connection keeps of its ConnOptions after Init (KeepOptions):
  // the buffer sizes live in snd_buffer_ and rcvbuf_, the window scale
  // offered in rcv_wscale_, quick_acks in quick_acks_left_. Until Init they
  // hold ConnOptions' defaults.
  uint32_t slow_start_limit_ = 2;

  uint16_t snd_mss_ = 536;  // RFC 9293 3.7.1 default without the option
  uint16_t last_window_sent_ = 0;
  // Readiness bits (api.h events::, all below bit 16) not yet taken.
  uint16_t events_ = 0;
  // Duplicate ACKs counted, at most SackScoreboard::kDupThresh.
  uint8_t dupacks_ = 0;
  // The flags read on every segment, one byte, those tested together side
  // by side (Output's loop tests in_recovery_ && sack_enabled_).
  bool in_recovery_ : 1 = false;
  bool sack_enabled_ : 1 = false;
  bool fin_queued_ : 1 = false;  // application shut the write side
  bool ts_enabled_ : 1 = false;
  bool ack_pending_ : 1 = false;
  bool rtt_timing_ : 1 = false;    // Karn: timing a segment not retransmitted
  bool cwnd_limited_ : 1 = false;  // Output last stopped on cwnd
  bool fin_received_ : 1 = false;  // peer's FIN is in rcv_nxt_
  // The errors and the flags set at Init or seldom, three bytes.
  SockError error_ : 5 = SockError::kOk;
  bool ws_enabled_ : 1 = false;
  bool passive_ : 1 = false;
  bool orphaned_ : 1 = false;  // the application closed its handle
  SockError soft_error_ : 5 = SockError::kOk;
  bool partial_ack_seen_ : 1 = false;  // RFC 6582 3.2 step 5 (timer reset)
  // A cookie connection's first ACK echoes a TSval whose low bits carry
  // options, up to 63 ms behind our clock: no RTT sample from it.
  bool skip_ts_rtt_sample_ : 1 = false;
  bool keepalive_enabled_ : 1 = false;  // keepalive_ holds the rest
  // ConnOptions, kept (KeepOptions).
  bool nodelay_ : 1 = false;
  bool offer_timestamps_ : 1 = true;
  bool offer_window_scaling_ : 1 = true;
  bool offer_sack_ : 1 = true;
  bool linux_window_update_ : 1 = false;
  NagleMode nagle_ : 1 = NagleMode::kMinshall;
  CcAlgorithm cc_algorithm_ : 1 = CcAlgorithm::kCubic;

  Instant last_oow_ack_;
  // Its options are EndpointConfig::rto (rtt_estimator.h). Its tail
  // padding holds quick_acks_left_.
  [[no_unique_address]] RttEstimator rtt_;
  uint16_t quick_acks_left_ = 0;  // ConnOptions::quick_acks still to give
  Instant rtt_start_;

  // Congestion control (RFC 5681, doc/congestion.md), made again with the
  // effective MSS when the connection becomes synchronized.
  CongestionControl cc_{CcAlgorithm::kNewReno, 536, Instant()};
  // SACK scoreboard (RFC 6675, doc/sack.md), out of line: taken from
  // Env::scoreboards by the first ACK whose SACK blocks it records, given
  // back once it is empty. Null while nothing is SACKed above SND.UNA.
  SackScoreboard* scoreboard_ = nullptr;
  Instant last_send_;  // RFC 5681 4.1: the last data segment sent

  Instant rtx_deadline_ = Instant::Never();
  Instant delack_deadline_ = Instant::Never();
  Instant fin_wait2_deadline_ = Instant::Never();
  // When an idle connection gives its empty buffers and send queue back:
  // armed when they empty (NoteBuffersEmpty), at the earliest
  // kBufferReclaimDelay after the last segment received or data segment
  // sent; Never while nothing is to be reclaimed.
  Instant reclaim_deadline_ = Instant::Never();
  Instant last_rx_;
  // Keepalive (RFC 1122 4.2.3.6), out of line (keepalive_pool.h): taken
  // when keepalive is turned on, given back when it is off and no probe is
  // unanswered (ReleaseKeepaliveIfIdle). Null while keepalive is off.
  KeepaliveState* keepalive_ = nullptr;

  // The send buffer from SND.UNA (snd_buf_seq_) onwards: copies and
  // referenced chunks in one stream order.
  // Out of line (send_queue_pool.h): taken on the first Send or SendRef,
  // given back with the buffer memory when an idle connection's queue is
  // empty (reclaim_deadline_). Null while nothing needs queueing; the limit
  // (SO_SNDBUF) and the chunk slots it is made with are kept here
  // (snd_buffer_, snd_ref_chunks_).
  SendQueue* sndq_ = nullptr;
  size_t snd_buffer_ = 0;
  // Its tail padding holds the four bytes after it.
  [[no_unique_address]] ByteRing rcvbuf_;
  uint16_t mss_clamp_ = 0;  // ConnOptions::mss_clamp, kept
  uint8_t delayed_segments_ = 0;
  uint8_t syn_retransmits_ = 0;  // syn_retransmits()
  // Out-of-order bytes held in rcvbuf_'s free area past RCV.NXT, and an
  // out-of-order FIN (doc/reassembly.md): taken from Env::assemblers on the
  // first out-of-order segment, given back once nothing is held. Non-null
  // exactly while a hole exists (bytes or a FIN held past RCV.NXT).
  Assembler* assembler_ = nullptr;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_CONNECTION_H_
