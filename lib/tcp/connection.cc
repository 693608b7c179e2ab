// RFC 9293 section 3.10 (event processing), with RFC 5961, RFC 7323 and RFC
// 6298 folded in where they amend it. Segment processing follows RFC 9293
// 3.10.7.4's order; each step is named as in the RFC.
#include "lib/tcp/connection.h"

#include <algorithm>

#include "lib/base/dcheck.h"
#include "lib/tcp/icmp.h"

namespace tern::tcp {

using wire::tcp_flags::kAck;
using wire::tcp_flags::kFin;
using wire::tcp_flags::kPsh;
using wire::tcp_flags::kRst;
using wire::tcp_flags::kSyn;

namespace {

// RFC 7323 section 2.3: a shift count above 14 is used as 14.
constexpr uint8_t kMaxWindowScale = 14;
// RFC 7323 section 3.2: the Timestamps option takes 10 bytes, 12 with the two
// NOPs that align it; every segment carries it when negotiated.
constexpr uint16_t kTimestampOptionLen = 12;
// RFC 2018 section 3: a SACK option is kind, length and 8 bytes per block,
// sent after two NOPs; 3 blocks fit beside the 12 bytes of timestamps.
constexpr uint32_t kSackOptionBaseLen = 4;
constexpr uint32_t kSackBlockLen = 8;
constexpr size_t kSackBlocksWithTimestamps = 3;
// Linux rate-limits ACKs answering out-of-window pure ACKs and SYNs per
// connection (tcp_invalid_ratelimit, 500 ms); so do we, to stop ACK loops.
constexpr Duration kOutOfWindowAckInterval = Duration::Millis(500);
// A peer announcing a tiny MSS would make us cut data into absurdly many
// segments; Linux clamps the send MSS at 48 bytes (TCP_MIN_SND_MSS, its fix
// for CVE-2019-11479) and so do we.
constexpr uint16_t kMinSendMss = 48;
// RFC 9293 3.7.1: without an MSS option the send MSS is 536.
constexpr uint16_t kDefaultMss = 536;
// RFC 3042 section 2: new segments on the first two duplicate ACKs only.
constexpr uint32_t kLimitedTransmitSegments = 2;
static_assert(SackScoreboard::kDupThresh <= UINT8_MAX,
              "Connection::dupacks_ is 8 bits");
static_assert(static_cast<int>(SockError::kProtocolError) < 32,
              "Connection::error_ and soft_error_ are 5 bits (the last "
              "SockError is kProtocolError)");
// nagle_ and cc_algorithm_ are 1-bit fields: a third enumerator needs a
// wider field.
static_assert(static_cast<int>(NagleMode::kClassic) < 2 &&
                  static_cast<int>(CcAlgorithm::kCubic) < 2,
              "widen Connection::nagle_ / cc_algorithm_");
// An idle connection gives its empty send and receive buffers back this long
// after its last segment received or data segment sent, and takes them again
// on the next data (ByteRing::Reclaim, SendQueue::Reclaim). Linux reclaims a
// socket's forward-allocated buffer memory from its delayed-ACK timer
// (tcp_delack_timer_handler calls sk_mem_reclaim), which fires at most
// TCP_DELACK_MAX, 200 ms, after the segment that armed it.
constexpr Duration kBufferReclaimDelay = Duration::Millis(200);

bool TsBefore(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}

}  // namespace

uint8_t ReceiveWindowScale(size_t buffer) {
  // The smallest shift that lets the 16-bit field describe the buffer.
  uint8_t s = 0;
  while (s < kMaxWindowScale && (buffer >> s) > 0xffff) {
    ++s;
  }
  return s;
}

uint8_t OfferedWindowScale(const ConnOptions& options) {
  if (options.wscale.has_value()) {
    return std::min(*options.wscale, kMaxWindowScale);
  }
  return ReceiveWindowScale(options.recv_buffer);
}

uint16_t AnnouncedMss(const EndpointConfig& config, uint16_t mss_clamp) {
  if (mss_clamp != 0 && mss_clamp < config.mss) {
    return mss_clamp;
  }
  return config.mss;
}

uint16_t AnnouncedMss(const EndpointConfig& config,
                      const ConnOptions& options) {
  return AnnouncedMss(config, options.mss_clamp);
}

// ---------------------------------------------------------------------------
// Opening.

void Connection::KeepOptions(Env& env, const ConnOptions& options) {
  nodelay_ = options.nodelay;
  nagle_ = options.nagle;
  offer_timestamps_ = options.timestamps;
  offer_window_scaling_ = options.window_scaling;
  offer_sack_ = options.sack_permitted;
  linux_window_update_ = options.linux_window_update;
  cc_algorithm_ = options.congestion;
  slow_start_limit_ = options.slow_start_limit;
  mss_clamp_ = options.mss_clamp;
  keepalive_enabled_ = false;
  ReleaseKeepaliveIfIdle();
  (void)SetKeepalive(env, options.keepalive);
}

void Connection::InitActive(Env& env, const FourTuple& tuple, SeqNum iss,
                            const ConnOptions& options) {
  tuple_ = tuple;
  KeepOptions(env, options);
  passive_ = false;
  rtt_ = RttEstimator();
  ReleaseSendQueue();
  snd_buffer_ = options.send_buffer;
  snd_ref_chunks_ = static_cast<uint32_t>(options.send_ref_chunks);
  rcvbuf_.Init(options.recv_buffer, &env.buffers);
  ReleaseAssembler();
  ReleaseScoreboard();
  reclaim_deadline_ = Instant::Never();
  iss_ = iss;
  snd_una_ = iss;
  snd_nxt_ = iss;
  snd_max_ = iss;
  snd_sml_ = iss;
  snd_buf_seq_ = iss + 1;
  rcv_wscale_ = options.window_scaling ? OfferedWindowScale(options) : 0;
  quick_acks_left_ = options.quick_acks;
  last_rx_ = env.now;
  env.stats.active_opens.Inc();
  SetState(env, State::kSynSent);
  SendSyn(env, /*with_ack=*/false);
  ArmRetransmit(env);
}

void Connection::InitSynReceived(Env& env, const SynReceivedParams& p,
                                 const ConnOptions& options) {
  tuple_ = p.tuple;
  KeepOptions(env, options);
  passive_ = true;
  rtt_ = RttEstimator();
  if (p.synack_retransmitted) {
    RestartRtoAfterSynTimeout(env);
  }
  ReleaseSendQueue();
  snd_buffer_ = options.send_buffer;
  snd_ref_chunks_ = static_cast<uint32_t>(options.send_ref_chunks);
  rcvbuf_.Init(options.recv_buffer, &env.buffers);
  ReleaseAssembler();
  ReleaseScoreboard();
  reclaim_deadline_ = Instant::Never();
  quick_acks_left_ = options.quick_acks;
  iss_ = p.iss;
  snd_una_ = p.iss;
  snd_nxt_ = p.iss + 1;
  snd_max_ = p.iss + 1;
  snd_sml_ = p.iss;
  snd_buf_seq_ = p.iss + 1;
  irs_ = p.irs;
  rcv_nxt_ = p.irs + 1;
  rcv_adv_ = rcv_nxt_ + p.synack_window;
  last_window_sent_ = p.synack_window;
  snd_wnd_ = p.peer_window;
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = p.irs;
  snd_wl2_ = p.iss;
  snd_mss_ = std::max(p.peer_mss, kMinSendMss);
  ts_enabled_ = options.timestamps && p.ts_recent.has_value();
  if (ts_enabled_) {
    ts_recent_ = *p.ts_recent;
    skip_ts_rtt_sample_ = p.skip_ts_rtt_sample;
  }
  ws_enabled_ = options.window_scaling && p.peer_wscale.has_value();
  if (ws_enabled_) {
    snd_wscale_ = std::min(*p.peer_wscale, kMaxWindowScale);
    rcv_wscale_ = OfferedWindowScale(options);
  } else {
    snd_wscale_ = 0;
    rcv_wscale_ = 0;
  }
  sack_enabled_ = options.sack_permitted && p.sack_permitted;
  // Without timestamps the handshake gives no RTT sample: the first one
  // comes from data (Karn-safe either way; RFC 6298 does not require a
  // sample from every segment). With timestamps the final ACK's TSecr gives
  // one, except for cookies (skip_ts_rtt_sample).
  rtt_timing_ = false;
  last_rx_ = env.now;
  last_ack_sent_ = rcv_nxt_;  // the SYN-ACK acknowledged the SYN
  env.stats.passive_opens.Inc();
  state_ = State::kListen;
  if (p.transition_counted) {
    state_ = State::kSynReceived;
  } else {
    SetState(env, State::kSynReceived);
  }
}

uint16_t PeerMss(const wire::TcpOptions& options) {
  return options.mss.has_value() && *options.mss != 0 ? *options.mss
                                                      : kDefaultMss;
}

void Connection::NegotiateSynOptions(const wire::TcpRepr& syn) {
  const wire::TcpOptions& o = syn.options;
  uint16_t peer_mss = PeerMss(o);
  // RFC 9293 3.7.1 / RFC 6691: the send MSS is the smaller of the peer's
  // announcement and what our port carries; option bytes are subtracted per
  // segment below.
  snd_mss_ = std::max(peer_mss, kMinSendMss);
  // RFC 7323 2.2: scaling is on only when both sides sent the option.
  ws_enabled_ = offer_window_scaling_ && o.window_scale.has_value();
  if (ws_enabled_) {
    snd_wscale_ = std::min(*o.window_scale, kMaxWindowScale);
  } else {
    snd_wscale_ = 0;
    rcv_wscale_ = 0;
  }
  sack_enabled_ = offer_sack_ && o.sack_permitted;
  // RFC 7323 3.2: timestamps are on when both SYNs carry the option.
  ts_enabled_ = offer_timestamps_ && o.timestamps.has_value();
  if (ts_enabled_) {
    ts_recent_ = o.timestamps->tsval;
  }
}

// ---------------------------------------------------------------------------
// The state-change choke point.

void Connection::SetState(Env& env, State next) {
  env.stats.transitions[static_cast<int>(state_)][static_cast<int>(next)].Inc();
  state_ = next;
  if (next == State::kClosed) {
    // Nothing queued will be sent again: referenced chunks go back to their
    // owners now, not when the record is freed (the application may hold
    // its handle for a long time after a reset).
    if (sndq_ != nullptr) {
      sndq_->ReleaseAll();
    }
  }
}

// ---------------------------------------------------------------------------
// SEGMENT ARRIVES (RFC 9293 3.10.7).

Verdict Connection::OnSegment(Env& env, const wire::TcpRepr& seg) {
  last_rx_ = env.now;
  if (keepalive_ != nullptr) {
    keepalive_->sent = 0;
    ReleaseKeepaliveIfIdle();
  }
  if (env.cfg.header_prediction && state_ == State::kEstablished &&
      PredictedInput(env, seg)) {
    return Verdict::kKeep;
  }

  switch (state_) {
    case State::kClosed:
    case State::kListen:
    case State::kTimeWait:
      // The endpoint answers these without a connection record.
      return Verdict::kKeep;
    case State::kSynSent:
      return HandleSynSent(env, seg);
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
      break;
  }

  // A retransmitted SYN in SYN-RECEIVED (same ISN, no ACK) means our SYN-ACK
  // was lost: answer with the SYN-ACK again rather than the bare ACK the first
  // check would send, as Linux does, so the peer need not wait for our timer.
  if (state_ == State::kSynReceived && seg.Has(kSyn) && !seg.Has(kAck) &&
      !seg.Has(kRst) && seg.seq == irs_) {
    // Rate-limited as every answer to an out-of-window segment is (Linux's
    // tcp_oow_rate_limited for a duplicate SYN).
    if (env.now - last_oow_ack_ < kOutOfWindowAckInterval) {
      env.stats.drops.Inc(DropReason::kDupSynRateLimited);
      return Verdict::kKeep;
    }
    last_oow_ack_ = env.now;
    SendSyn(env, /*with_ack=*/true);
    env.stats.synack_retransmits.Inc();
    return Verdict::kKeep;
  }

  // First, check sequence number; RFC 7323 5.3 R1-R3 (PAWS) come first.
  if (ts_enabled_ && !seg.Has(kRst) && seg.options.timestamps &&
      TsBefore(seg.options.timestamps->tsval, ts_recent_)) {
    env.stats.drops.Inc(DropReason::kPaws);
    SendAck(env);
    return Verdict::kKeep;
  }
  if (!SegmentAcceptable(seg)) {
    if (seg.Has(kRst)) {
      env.stats.drops.Inc(DropReason::kRstOutOfWindow);
      return Verdict::kKeep;
    }
    env.stats.drops.Inc(DropReason::kUnacceptableSeq);
    // RFC 2883 section 4: a duplicate of data already received is reported
    // in the first SACK block of the ACK that answers it (D-SACK), so the
    // sender can tell a spurious retransmission.
    const uint32_t seg_len = static_cast<uint32_t>(seg.payload.size());
    if (seg_len > 0 && !seg.Has(kSyn) && seg.seq + seg_len <= rcv_nxt_) {
      SetDsack(env, seg.seq, seg.seq + seg_len);
    }
    // Data is always answered (the peer retransmitted something we have);
    // out-of-window pure ACKs and SYNs are answered at most every 500 ms.
    bool pure = seg.payload.empty() && !seg.Has(kFin);
    if (!pure || env.now - last_oow_ack_ >= kOutOfWindowAckInterval) {
      last_oow_ack_ = env.now;
      if (seg.Has(kSyn) && IsSynchronized(state_)) {
        // RFC 5961 4.2: the answer to a SYN is a (rate-limited) challenge.
        if (!challenge_limiter_.Allow(env.now,
                                      env.cfg.challenge_ack_per_second)) {
          env.stats.challenge_acks_limited.Inc();
          return Verdict::kKeep;
        }
        env.stats.challenge_acks.Inc();
      }
      SendAck(env);
    } else {
      env.stats.oow_acks_limited.Inc();
    }
    return Verdict::kKeep;
  }

  // Second, check the RST bit (RFC 5961 section 3.2 replaces RFC 9293's
  // "in window" rule by "exactly RCV.NXT", challenging the rest).
  if (seg.Has(kRst)) {
    if (seg.seq != rcv_nxt_) {
      env.stats.drops.Inc(DropReason::kRstChallenged);
      if (challenge_limiter_.Allow(env.now, env.cfg.challenge_ack_per_second)) {
        env.stats.challenge_acks.Inc();
        SendAck(env);
      } else {
        env.stats.challenge_acks_limited.Inc();
      }
      return Verdict::kKeep;
    }
    switch (state_) {
      case State::kSynReceived:
        // Only an active (simultaneous) open is here: a passive connection
        // leaves SYN-RECEIVED with the final ACK that made it (the listener
        // unit handles a RST to a half-open record). "Connection refused".
        TERN_DCHECK(!passive_);
        return Fail(env, SockError::kConnRefused, events::kRefused, false);
      case State::kEstablished:
      case State::kFinWait1:
      case State::kFinWait2:
      case State::kCloseWait:
        env.stats.conn_resets.Inc();
        return Fail(env, SockError::kConnReset, events::kReset, false);
      case State::kClosing:
      case State::kLastAck:
        // RFC 9293: "enter the CLOSED state". An application that still
        // holds the socket (after shutdown) learns of the reset: ECONNRESET
        // through SO_ERROR and the next call, as Linux's tcp_reset does.
        env.stats.conn_resets.Inc();
        SetState(env, State::kClosed);
        if (!orphaned_) {
          error_ = SockError::kConnReset;
          events_ |= events::kReset;
        }
        events_ |= events::kClosed;
        return Verdict::kClosed;
      case State::kClosed:
      case State::kListen:
      case State::kSynSent:
      case State::kTimeWait:
        break;
    }
    return Verdict::kKeep;
  }

  // Third, security/compartment: not used (RFC 9293 3.10.7.4 allows ignoring).

  // Fourth, check the SYN bit. RFC 5961 4.2: in a synchronized state (and in
  // SYN-RECEIVED, whatever the sequence number) a SYN gets a challenge ACK.
  // Passive SYN-RECEIVED too: RFC 5961 4.2 replaces RFC 9293's "return to
  // LISTEN", so a blind SYN cannot remove the connection.
  if (seg.Has(kSyn)) {
    env.stats.drops.Inc(DropReason::kSynChallenged);
    if (challenge_limiter_.Allow(env.now, env.cfg.challenge_ack_per_second)) {
      env.stats.challenge_acks.Inc();
      SendAck(env);
    } else {
      env.stats.challenge_acks_limited.Inc();
    }
    return Verdict::kKeep;
  }

  // Fifth, check the ACK field.
  if (!seg.Has(kAck)) {
    env.stats.drops.Inc(DropReason::kNoAck);
    return Verdict::kKeep;
  }
  Verdict verdict = Verdict::kKeep;
  if (!ProcessAck(env, seg, &verdict)) {
    Output(env);
    return verdict;
  }

  // Sixth, check the URG bit: urgent data is delivered inline as ordinary
  // data (RFC 6093 section 6 recommends that applications not use it).

  // RFC 1122 4.2.2.13: tern's CLOSE is half-duplex (the application gives up
  // its handle), so "if new data is received after CLOSE is called, its TCP
  // SHOULD send a RST to show that data was lost" (Linux: TCPAbortOnData).
  if (orphaned_ && !fin_received_ && !seg.payload.empty() &&
      seg.seq + static_cast<uint32_t>(seg.payload.size()) > rcv_nxt_) {
    return Fail(env, SockError::kConnReset, events::kReset, /*send_rst=*/true);
  }

  // Seventh, process the segment text; eighth, check the FIN bit.
  ProcessText(env, seg);
  if (state_ == State::kTimeWait) {
    return Verdict::kTimeWait;
  }
  OutputAfterSegment(env);
  return verdict;
}

// Header prediction: Van Jacobson's (4.3BSD-Reno tcp_input, "header
// prediction"), as Linux's tcp_rcv_established does it. On ESTABLISHED a
// segment with only ACK (and PSH), exactly at RCV.NXT, with no option but
// the negotiated timestamps (which pass PAWS), and no loss recovery running
// is either a pure ACK of new data or in-order data that fits the
// window and the receive buffer with nothing held out of order. For those,
// RFC 9293 3.10.7.4's checks are decided in advance: the sequence number is
// acceptable (first), there is no RST (second) or SYN (fourth), the ACK is
// acceptable (fifth, RFC 5961 5.2), and the text needs no trimming and no
// reassembly (seventh), and there is no FIN (eighth). What is left is done
// here by the same functions and in the same order as the general path
// (ProcessAck, then ProcessText), so both give the same segments, state and
// events; the differential test (tests/unit/fast_path) holds them to it.
// Everything else returns false before changing anything.
bool Connection::PredictedInput(Env& env, const wire::TcpRepr& seg) {
  TERN_DCHECK(state_ == State::kEstablished);
  if ((seg.flags & ~kPsh) != kAck || seg.seq != rcv_nxt_) {
    return false;
  }
  const wire::TcpOptions& o = seg.options;
  if (o.mss.has_value() || o.window_scale.has_value() || o.sack_permitted ||
      o.sack_count != 0 || o.timestamps.has_value() != ts_enabled_) {
    return false;
  }
  // RFC 7323 5.3 R1: PAWS would reject it; the general path answers.
  if (ts_enabled_ && TsBefore(o.timestamps->tsval, ts_recent_)) {
    return false;
  }
  // No loss recovery running: a new ACK only grows the window (OnNewAck).
  // Unlike Linux's prediction the window may have changed: UpdateSendWindow
  // below is the general path's own step, and a new ACK or a data segment
  // is never a duplicate ACK, whose rules depend on the window (RFC 5681
  // section 2 (e)). tern's receivers move their window edge in MSS steps,
  // so consecutive ACKs often differ in window.
  if (in_recovery_) {
    return false;
  }
  const size_t len = seg.payload.size();
  if (len == 0) {
    // A pure ACK of new data: SND.UNA < SEG.ACK =< SND.MAX. An ACK at
    // SND.UNA may be a duplicate: the general path counts it.
    if (!(seg.ack > snd_una_) || seg.ack > snd_max_) {
      return false;
    }
  } else {
    // In-order data acknowledging nothing new or something new, within the
    // advertised window and the buffer's free area, with no hole before it
    // (nothing held out of order, no FIN known), on a connection whose
    // application still reads (RFC 1122 4.2.2.13's reset otherwise).
    const int32_t wnd = rcv_adv_ - rcv_nxt_;
    if (seg.ack < snd_una_ || seg.ack > snd_max_ || wnd <= 0 ||
        len > static_cast<uint32_t>(wnd) || len > rcvbuf_.free() ||
        assembler_ != nullptr || orphaned_) {
      return false;
    }
  }

  // Fifth, the ACK (ProcessAck with its decided checks left out).
  UpdateTsRecent(seg);
  persist_probes_ = 0;
  const uint32_t flight_before = static_cast<uint32_t>(snd_max_ - snd_una_);
  const uint32_t acked = AdvanceSndUna(env, seg);
  // OnAckForRecovery: SEG.ACK is SND.UNA now; no SACK blocks; a segment
  // with data is never a duplicate ACK.
  if (scoreboard_ != nullptr) {
    scoreboard_->Update(snd_una_, snd_max_, {});
    ReleaseScoreboardIfEmpty();
  }
  if (acked > 0) {
    OnNewAck(env, acked, flight_before);
  }
  UpdateSendWindow(seg);
  if (len == 0) {
    env.stats.predicted_acks.Inc();
    OutputAfterSegment(env);
    return true;
  }

  // Seventh, the text: in order at RCV.NXT, so ProcessText's assembler
  // would take it at offset 0 and pop it at once.
  if (!rcvbuf_.Reserve(len)) {
    env.stats.drops.Inc(DropReason::kNoBufferMemory);
    OutputAfterSegment(env);
    return true;
  }
  rcvbuf_.WriteAt(0, seg.payload);
  rcvbuf_.Commit(len);
  rcv_nxt_ += static_cast<uint32_t>(len);
  events_ |= events::kReadable;
  if (quick_acks_left_ > 0) {
    --quick_acks_left_;
    ack_pending_ = true;
  } else {
    // RFC 9293 3.8.6.3 / RFC 5681 4.2, as ProcessText.
    if (len >= EffectiveMss(env)) {
      ++delayed_segments_;
    }
    if (delayed_segments_ >= 2) {
      ack_pending_ = true;
    } else if (delack_deadline_ == Instant::Never()) {
      delack_deadline_ = env.now + env.cfg.delayed_ack;
    }
  }
  env.stats.predicted_data.Inc();
  OutputAfterSegment(env);
  return true;
}

bool Connection::SegmentAcceptable(const wire::TcpRepr& seg) const {
  // RFC 9293 3.10.7.4 table: the four cases by SEG.LEN and RCV.WND.
  uint32_t len = seg.SegLen();
  int32_t wnd = std::max<int32_t>(rcv_adv_ - rcv_nxt_, 0);
  if (len == 0) {
    if (wnd == 0) {
      return seg.seq == rcv_nxt_;
    }
    return seg.seq.InHalfOpen(rcv_nxt_, rcv_nxt_ + wnd);
  }
  if (wnd == 0) {
    // Linux also accepts a zero-window probe's sequence number to ACK it; the
    // RFC's rule rejects it and so answers with an ACK, which is what the
    // prober needs anyway.
    return false;
  }
  SeqNum last = seg.seq + (len - 1);
  return seg.seq.InHalfOpen(rcv_nxt_, rcv_nxt_ + wnd) ||
         last.InHalfOpen(rcv_nxt_, rcv_nxt_ + wnd);
}

void Connection::UpdateTsRecent(const wire::TcpRepr& seg) {
  // RFC 7323 4.3 (3): record TSval when SEG.SEQ <= Last.ACK.sent.
  if (ts_enabled_ && seg.options.timestamps && seg.seq <= last_ack_sent_ &&
      !TsBefore(seg.options.timestamps->tsval, ts_recent_)) {
    ts_recent_ = seg.options.timestamps->tsval;
  }
}

Verdict Connection::HandleSynSent(Env& env, const wire::TcpRepr& seg) {
  // RFC 9293 3.10.7.3, first check the ACK bit.
  bool ack_ok = false;
  if (seg.Has(kAck)) {
    if (seg.ack <= iss_ || seg.ack > snd_max_) {
      if (!seg.Has(kRst)) {
        // <SEQ=SEG.ACK><CTL=RST>
        SendRstAt(env, seg.ack);
      }
      env.stats.drops.Inc(DropReason::kSynSentBadAck);
      return Verdict::kKeep;
    }
    ack_ok = true;
  }
  // Second, check the RST bit: accepted only with an acceptable ACK
  // (RFC 5961 3.2 for SYN-SENT).
  if (seg.Has(kRst)) {
    if (!ack_ok) {
      env.stats.drops.Inc(DropReason::kSynSentRstBadAck);
      return Verdict::kKeep;
    }
    return Fail(env, SockError::kConnRefused, events::kRefused, false);
  }
  // Fourth, check the SYN bit.
  if (!seg.Has(kSyn)) {
    env.stats.drops.Inc(DropReason::kSynSentNoSyn);
    return Verdict::kKeep;
  }
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  // RCV.WND is what our SYN offered (its window field is never scaled, RFC
  // 7323 2.2): text on the SYN-ACK within it is accepted (RFC 9293 3.10.7.3).
  rcv_adv_ = rcv_nxt_ + last_window_sent_;
  NegotiateSynOptions(seg);
  if (ack_ok) {
    snd_una_ = seg.ack;
    // The SYN-ACK's window is not scaled (RFC 7323 2.2).
    snd_wnd_ = seg.window;
    max_snd_wnd_ = snd_wnd_;
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    if (retries_ == 0) {
      rtt_.Sample(env.now - rtt_start_);  // Karn: the SYN was sent once
    } else {
      RestartRtoAfterSynTimeout(env);
    }
    retries_ = 0;
    rtx_deadline_ = Instant::Never();
    rtt_timing_ = false;
    SetState(env, State::kEstablished);
    InitCongestion(env);
    events_ |= events::kConnected | events::kWritable;
    // Data in a SYN-ACK is rare but legal: keep it.
    wire::TcpRepr text = seg;
    text.seq = seg.seq + 1;
    text.flags &= static_cast<uint8_t>(~kSyn);
    if (!text.payload.empty() || text.Has(kFin)) {
      ProcessText(env, text);
    }
    ack_pending_ = true;
    if (fin_queued_) {
      SetState(env, State::kFinWait1);
    }
    // The handshake's third segment: deferred, it carries the data the
    // application sends on kConnected in the same iteration.
    OutputAfterSegment(env);
    return Verdict::kKeep;
  }
  // Simultaneous open: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, SYN-RECEIVED.
  snd_wnd_ = seg.window;
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = seg.seq;
  snd_wl2_ = iss_;
  SetState(env, State::kSynReceived);
  SendSyn(env, /*with_ack=*/true);
  ArmRetransmit(env);
  return Verdict::kKeep;
}

bool Connection::ProcessAck(Env& env, const wire::TcpRepr& seg,
                            Verdict* verdict) {
  // RFC 9293 3.10.7.4 fifth step, in its order: is the ACK acceptable; in
  // SYN-RECEIVED, enter ESTABLISHED; advance SND.UNA (with the RTT sample
  // and the retransmission timer); update the send window; congestion
  // control and loss recovery; then what the ACK means in each state.
  if (!AckAcceptable(env, seg)) {
    return false;
  }
  // The segment is accepted, its ACK included: only now is its TSval
  // recorded (RFC 7323 4.3; Linux calls tcp_replace_ts_recent after tcp_ack
  // since 2013). Recorded before the ACK check, one forged in-window segment
  // with an unacceptable ACK and a huge TSval would make every later segment
  // of the real peer fail PAWS.
  UpdateTsRecent(seg);
  // An acceptable ACK answers any zero-window probe (MUST-37).
  persist_probes_ = 0;
  const bool handshake_ack = state_ == State::kSynReceived;
  if (handshake_ack) {
    CompleteHandshake(env, seg, verdict);
  }
  // RFC 5681 section 2 DUPLICATE ACKNOWLEDGMENT: (a) data outstanding, (b)
  // no data, (c) neither SYN nor FIN, (d) SEG.ACK = SND.UNA, (e) the window
  // unchanged, tested here before SND.UNA and SND.WND change.
  AckFacts facts;
  facts.dup_ack_candidate = !handshake_ack && snd_una_ != snd_max_ &&
                            seg.payload.empty() && !seg.Has(kSyn) &&
                            !seg.Has(kFin) && seg.ack == snd_una_;
  facts.window_unchanged =
      (static_cast<uint32_t>(seg.window) << snd_wscale_) == snd_wnd_;
  facts.flight_before = static_cast<uint32_t>(snd_max_ - snd_una_);
  facts.acked = AdvanceSndUna(env, seg);
  if (!handshake_ack) {
    OnAckForRecovery(env, seg, facts);
  }
  UpdateSendWindow(seg);
  return AckInState(env, verdict);
}

bool Connection::AckAcceptable(Env& env, const wire::TcpRepr& seg) {
  if (state_ == State::kSynReceived) {
    // RFC 9293 3.10.7.4 fifth, SYN-RECEIVED: "If SND.UNA < SEG.ACK =<
    // SND.NXT, then enter ESTABLISHED state ... If the segment
    // acknowledgment is not acceptable, form a reset segment
    // <SEQ=SEG.ACK><CTL=RST>". RFC 5961 5.2's ACK-and-drop is for the
    // synchronized states; Linux resets here too (tcp_ack with
    // FLAG_NO_CHALLENGE_ACK), and so does the half-open record
    // (HalfOpenInput). Found by the differential fuzz target: a too-old ACK
    // was answered with an ACK and counted twice.
    if (!(seg.ack > snd_una_ && seg.ack <= snd_max_)) {
      env.stats.drops.Inc(DropReason::kSynRcvdBadAck);
      SendRstAt(env, seg.ack);
      return false;
    }
    return true;
  }
  // RFC 5961 5.2: acceptable when SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT
  // (SND.NXT here is the highest sequence sent: after a go-back-N
  // retransmission the peer may acknowledge beyond the current SND.NXT).
  if (seg.ack > snd_max_) {
    env.stats.drops.Inc(DropReason::kAckTooNew);
    SendAck(env);
    return false;
  }
  if (seg.ack < snd_una_ - max_snd_wnd_) {
    env.stats.drops.Inc(DropReason::kAckTooOld);
    SendAck(env);
    return false;
  }
  return true;
}

void Connection::CompleteHandshake(Env& env, const wire::TcpRepr& seg,
                                   Verdict* verdict) {
  if (retries_ > 0) {
    RestartRtoAfterSynTimeout(env);  // a timestamp echo may sample below
  }
  // "enter ESTABLISHED state and continue processing with the variables
  // SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK".
  snd_wnd_ = static_cast<uint32_t>(seg.window) << snd_wscale_;
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  SetState(env, State::kEstablished);
  InitCongestion(env);
  events_ |= events::kConnected | events::kWritable;
  if (passive_) {
    *verdict = Verdict::kEstablished;
  }
  if (fin_queued_) {
    SetState(env, State::kFinWait1);  // shut down during the handshake
  }
}

uint32_t Connection::AdvanceSndUna(Env& env, const wire::TcpRepr& seg) {
  // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any
  // segments on the retransmission queue that are thereby entirely
  // acknowledged are removed."
  if (!(seg.ack > snd_una_)) {
    return 0;
  }
  const uint32_t acked = static_cast<uint32_t>(seg.ack - snd_una_);
  soft_error_ = SockError::kOk;  // the path works again (Linux's tcp_ack)
  // Bytes of the SYN and the FIN are not in the send buffer.
  SeqNum data_end = DataEnd();
  SeqNum data_acked_to = SeqNum::Min(seg.ack, data_end);
  if (data_acked_to > snd_buf_seq_) {
    uint32_t n = static_cast<uint32_t>(data_acked_to - snd_buf_seq_);
    TERN_DCHECK(sndq_ != nullptr);
    sndq_->Pop(n);  // releases referenced chunks now fully acknowledged
    snd_buf_seq_ += n;
    events_ |= events::kWritable;
    NoteBuffersEmpty(env.now);
  }
  // RTT sample: timestamps echo (RFC 7323 4.1 / RFC 6298 note) or Karn's
  // timed segment when it was not retransmitted.
  if (skip_ts_rtt_sample_) {
    skip_ts_rtt_sample_ = false;
  } else if (ts_enabled_ && seg.options.timestamps &&
             seg.options.timestamps->tsecr != 0) {
    uint32_t echoed = seg.options.timestamps->tsecr;
    int32_t ms = static_cast<int32_t>(TsClock(env) - echoed);
    if (ms >= 0) {
      rtt_.Sample(Duration::Millis(ms));
    }
  } else if (rtt_timing_ && seg.ack > rtt_seq_) {
    rtt_.Sample(env.now - rtt_start_);
    rtt_timing_ = false;
  }
  snd_una_ = seg.ack;
  if (snd_nxt_ < snd_una_) {
    snd_nxt_ = snd_una_;
  }
  retries_ = 0;
  // The backoff is not cleared here: RFC 6298 5 (note after 5.7) and Karn
  // keep the backed-off RTO until a new RTT measurement, which Sample()
  // clears.
  // RFC 6298 5.2/5.3: stop the timer when all is acknowledged, else
  // restart it; RFC 6582 3.2 step 5: in NewReno recovery only the first
  // partial ACK restarts it (the "Impatient" variant of section 4).
  const bool hold_timer = in_recovery_ && !sack_enabled_ &&
                          snd_una_ < recover_ && partial_ack_seen_;
  if (snd_una_ == snd_max_) {
    rtx_deadline_ = Instant::Never();
  } else if (!hold_timer) {
    rtx_deadline_ = env.now + rtt_.rto(env.cfg.rto);
  }
  return acked;
}

void Connection::OnAckForRecovery(Env& env, const wire::TcpRepr& seg,
                                  const AckFacts& facts) {
  // Loss detection and recovery on an ACK at SND.UNA, new or duplicate (an
  // older one is ignored): RFC 2018 SACK blocks into the scoreboard first.
  if (seg.ack == snd_una_) {
    uint32_t newly_sacked = 0;
    if (sack_enabled_) {
      const size_t blocks =
          std::min<size_t>(seg.options.sack_count, wire::kTcpMaxSackBlocks);
      // The scoreboard is out of line (scoreboard_pool.h): taken for the
      // first blocks to record, given back once empty. Without one, an ACK
      // without blocks changes nothing an empty scoreboard would record.
      if (scoreboard_ == nullptr && blocks > 0) {
        scoreboard_ = env.scoreboards.Take();
        if (scoreboard_ == nullptr) {
          // RFC 2018 allows forgetting SACK information: the bytes stay
          // outstanding (Pipe counts them, NextSeg may resend them).
          env.stats.sack_scoreboard_refused.Inc();
        }
      }
      if (scoreboard_ != nullptr) {
        const SackUpdate u = scoreboard_->Update(
            snd_una_, snd_max_,
            std::span<const wire::SackBlock>(seg.options.sack.data(), blocks));
        newly_sacked = u.newly_sacked;
        env.stats.sack_blocks_ignored.Add(u.ignored_blocks);
        ReleaseScoreboardIfEmpty();
      }
    }
    if (facts.acked > 0) {
      OnNewAck(env, facts.acked, facts.flight_before);
    } else if (facts.dup_ack_candidate &&
               (facts.window_unchanged || newly_sacked > 0)) {
      // RFC 6675 section 2 lets a SACK sender also count an ACK carrying
      // new SACK information, whatever its window, as a duplicate.
      OnDuplicateAck(env);
    }
  }
}

void Connection::UpdateSendWindow(const wire::TcpRepr& seg) {
  // RFC 9293 3.10.7.4: "If SND.UNA =< SEG.ACK =< SND.NXT, the send window
  // should be updated" when the segment is newer (SND.WL1, SND.WL2). An ACK
  // below SND.UNA (an old, reordered segment) must not: its window is stale
  // and a stale zero would stall sending until the persist timer.
  // SEG.ACK =< SND.NXT (SND.MAX here) was checked above.
  if (seg.ack >= snd_una_ &&
      (snd_wl1_ < seg.seq || (snd_wl1_ == seg.seq && snd_wl2_ <= seg.ack))) {
    uint32_t wnd = static_cast<uint32_t>(seg.window) << snd_wscale_;
    if (wnd > snd_wnd_) {
      events_ |= events::kWritable;
    }
    snd_wnd_ = wnd;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
  }
}

bool Connection::AckInState(Env& env, Verdict* verdict) {
  switch (state_) {
    case State::kFinWait1:
      if (FinAcked()) {
        SetState(env, State::kFinWait2);
        if (orphaned_) {
          fin_wait2_deadline_ = env.now + env.cfg.fin_wait2_timeout;
        }
      }
      break;
    case State::kClosing:
      if (FinAcked()) {
        SetState(env, State::kTimeWait);
        *verdict = Verdict::kTimeWait;
        return false;
      }
      break;
    case State::kLastAck:
      if (FinAcked()) {
        SetState(env, State::kClosed);
        events_ |= events::kClosed;
        *verdict = Verdict::kClosed;
        return false;
      }
      break;
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kTimeWait:
      break;
  }
  return true;
}

void Connection::ProcessText(Env& env, const wire::TcpRepr& seg) {
  switch (state_) {
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kSynReceived:
      break;
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      // "This should not occur, since a FIN has been received from the
      // remote side. Ignore the segment text." Retransmissions of the FIN
      // are answered with an ACK.
      if (seg.Has(kFin) || !seg.payload.empty()) {
        if (seg.seq + seg.SegLen() > rcv_nxt_) {
          env.stats.drops.Inc(DropReason::kDataAfterFin);
        }
        ack_pending_ = true;
      }
      return;
  }

  std::span<const uint8_t> data = seg.payload;
  SeqNum seq = seg.seq;
  bool fin = seg.Has(kFin);
  // Trim what we already have (a retransmission overlapping RCV.NXT).
  if (seq < rcv_nxt_) {
    uint32_t dup = static_cast<uint32_t>(rcv_nxt_ - seq);
    if (!data.empty()) {
      // RFC 2883 section 4: report the part already received (D-SACK).
      SetDsack(env, seq,
               seq + static_cast<uint32_t>(std::min<size_t>(dup, data.size())));
    }
    if (dup >= data.size()) {
      // Only the FIN (or nothing) is new.
      if (!data.empty()) {
        ack_pending_ = true;  // a pure retransmission: ACK it at once
      }
      data = {};
      seq = rcv_nxt_;
      if (fin &&
          seg.seq + static_cast<uint32_t>(seg.payload.size()) < rcv_nxt_) {
        fin = false;  // the FIN too is old
      }
    } else {
      data = data.subspan(dup);
      seq = rcv_nxt_;
    }
  }
  if (data.empty() && !fin) {
    // No text: a pure ACK, even one ahead of a hole (not a data segment, so
    // RFC 5681 4.2 asks for no duplicate ACK; Linux sends none either).
    return;
  }
  // Trim to the window we advertised ("trim any portion that lies beyond the
  // window"); a FIN right at its edge is kept, as it always was.
  const uint32_t offset = static_cast<uint32_t>(seq - rcv_nxt_);
  const uint32_t wnd =
      static_cast<uint32_t>(std::max<int32_t>(rcv_adv_ - rcv_nxt_, 0));
  const uint32_t room = wnd > offset ? wnd - offset : 0;
  if (offset > wnd || data.size() > room) {
    data = data.first(std::min<size_t>(data.size(), room));
    fin = false;
  }
  // RFC 9293 3.10.7.4 seventh step: segments beyond RCV.NXT "may be held for
  // later processing". Their bytes wait in the receive buffer's free area at
  // their distance past RCV.NXT and the Assembler records where; in-order
  // bytes take the same path at offset 0 (doc/reassembly.md). The window
  // never exceeds the free area, so this normally stores every byte.
  const size_t free_space = rcvbuf_.free();
  const size_t fit =
      offset < free_space ? std::min(data.size(), free_space - offset) : 0;
  if (fit < data.size()) {
    env.stats.drops.Inc(offset == 0 ? DropReason::kRecvBufferFull
                                    : DropReason::kOutOfOrder);
    data = data.first(fit);
    fin = false;
  }
  if (!data.empty() && !rcvbuf_.Reserve(offset + data.size())) {
    // The allocator has no memory for the buffer (buffer_allocator.h): the
    // segment is dropped unacknowledged, FIN included, and retransmitted.
    env.stats.drops.Inc(DropReason::kNoBufferMemory);
    return;
  }
  // A hole exists before held bytes, and before a held FIN: exactly while an
  // Assembler is held.
  const bool had_hole = assembler_ != nullptr;
  uint32_t run = 0;
  bool fin_reached = false;
  if (!had_hole && (offset == 0 || (data.empty() && !fin))) {
    // In order with nothing held (or nothing to hold): the bytes are RCV.NXT's
    // run as they stand, and no Assembler is needed.
    if (!data.empty()) {
      rcvbuf_.WriteAt(0, data);
      run = static_cast<uint32_t>(data.size());
    }
    fin_reached = fin;
  } else {
    if (assembler_ == nullptr) {
      // The first out-of-order segment: reassembly state from the
      // endpoint's bounded pool. Without one the segment is dropped, as a
      // segment past Assembler::kMaxRanges is: never SACKed, so the sender
      // retransmits it (doc/reassembly.md).
      assembler_ = env.assemblers.Take();
      if (assembler_ == nullptr) {
        env.stats.drops.Inc(DropReason::kNoReassemblyMemory);
        ack_pending_ = true;
        return;
      }
    }
    if (!data.empty()) {
      switch (assembler_->Add(offset, static_cast<uint32_t>(data.size()))) {
        case Assembler::InsertResult::kAdded:
          rcvbuf_.WriteAt(offset, data);
          break;
        case Assembler::InsertResult::kDuplicate:
          // Every byte is held already; the first copy stays. RFC 2883
          // section 4: the duplicate is reported in a D-SACK block.
          SetDsack(env, seq, seq + static_cast<uint32_t>(data.size()));
          break;
        case Assembler::InsertResult::kTooManyRanges:
          // Never SACKed, so the sender retransmits it (doc/reassembly.md).
          env.stats.drops.Inc(DropReason::kReassemblyRangesFull);
          ack_pending_ = true;
          return;
        case Assembler::InsertResult::kBeyondFin:
          env.stats.drops.Inc(DropReason::kBeyondFin);
          ack_pending_ = true;
          return;
      }
    }
    if (fin) {
      // Remembered until the bytes before it arrive; held bytes past it are
      // forgotten (the FIN is the stream's last sequence number).
      assembler_->SetFin(offset + static_cast<uint32_t>(data.size()));
    }
    run = assembler_->PopFront();
    fin_reached = assembler_->FinReached();
    if (fin_reached || (assembler_->empty() && !assembler_->fin_known())) {
      // Every hole has filled: the state goes back to the pool.
      ReleaseAssembler();
      NoteBuffersEmpty(env.now);
    }
  }
  if (run > 0) {
    rcvbuf_.Commit(run);
    rcv_nxt_ += run;
    events_ |= events::kReadable;
  }
  if (offset > 0 || had_hole) {
    // RFC 5681 4.2 and RFC 9293 3.8.6.3: an out-of-order segment, and one
    // that fills all or part of a hole, is acknowledged at once (a duplicate
    // ACK with SACK blocks, so the sender learns what is missing).
    ack_pending_ = true;
  } else if (run > 0 && quick_acks_left_ > 0) {
    // Quick-ACK mode at the start of the connection (ConnOptions::quick_acks,
    // as Linux): each in-order segment is acknowledged at once.
    --quick_acks_left_;
    ack_pending_ = true;
  } else if (run > 0) {
    // RFC 9293 3.8.6.3 / RFC 5681 4.2: ACK at least every second full-sized
    // segment, else within the delayed-ACK timer.
    if (run >= EffectiveMss(env)) {
      ++delayed_segments_;
    }
    if (delayed_segments_ >= 2) {
      ack_pending_ = true;
    } else if (delack_deadline_ == Instant::Never()) {
      delack_deadline_ = env.now + env.cfg.delayed_ack;
    }
  }

  if (fin_reached) {
    ProcessFin(env);
  }
}

void Connection::ProcessFin(Env& env) {
  // Eighth, check the FIN bit: RCV.NXT has reached it, directly or through
  // reassembly.
  rcv_nxt_ += 1;
  fin_received_ = true;
  ack_pending_ = true;  // a FIN is acknowledged at once
  events_ |= events::kPeerClosed | events::kReadable;
  switch (state_) {
    case State::kSynReceived:
    case State::kEstablished:
      SetState(env, State::kCloseWait);
      break;
    case State::kFinWait1:
      // Our FIN not yet acknowledged (else ProcessAck moved us to
      // FIN-WAIT-2): simultaneous close.
      SetState(env, State::kClosing);
      break;
    case State::kFinWait2:
      SetState(env, State::kTimeWait);
      SendAck(env);
      break;
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
      break;
  }
}

// ---------------------------------------------------------------------------
// Output.

uint32_t Connection::TsClock(Env& env) const {
  // RFC 7323 5.4: a 1 ms clock with a per-connection offset.
  // RFC 7323 5.4: a per-connection random offset, the ISS (the SYN-ACK of a
  // half-open record or a cookie used the same).
  return static_cast<uint32_t>(env.now.ToNanos() / 1000'000) + iss_.raw();
}

uint16_t Connection::WindowField(bool syn) {
  // RFC 9293 3.8.6.2.2 receiver SWS avoidance: move the right edge only by
  // at least min(buffer / 2, MSS); RFC 9293 3.8.6: never shrink it.
  size_t free_space = rcvbuf_.free();
  SeqNum proposed = rcv_nxt_ + static_cast<uint32_t>(free_space);
  uint32_t threshold =
      static_cast<uint32_t>(std::min<size_t>(rcvbuf_.capacity() / 2, snd_mss_));
  SeqNum right = rcv_adv_;
  if (proposed > rcv_adv_ &&
      (static_cast<uint32_t>(proposed - rcv_adv_) >= threshold ||
       rcv_adv_ <= rcv_nxt_)) {
    right = proposed;
  }
  if (right < rcv_nxt_) {
    right = rcv_nxt_;
  }
  uint32_t wnd = static_cast<uint32_t>(right - rcv_nxt_);
  uint8_t shift = syn ? 0 : rcv_wscale_;
  uint32_t field = wnd >> shift;
  // Rounding down must not pull the edge back below what we advertised.
  if (rcv_nxt_ + (field << shift) < rcv_adv_) {
    field = (static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) + (1u << shift) - 1) >>
            shift;
  }
  field = std::min<uint32_t>(field, 0xffff);
  SeqNum edge = rcv_nxt_ + (field << shift);
  if (edge > rcv_adv_) {
    rcv_adv_ = edge;
  }
  return static_cast<uint16_t>(field);
}

void Connection::FillHeader(Env& env, wire::TcpRepr* tcp, SeqNum seq,
                            uint8_t flags, uint32_t payload_len) {
  tcp->src_port = tuple_.local_port;
  tcp->dst_port = tuple_.remote_port;
  tcp->seq = seq;
  tcp->flags = flags;
  if ((flags & kAck) != 0) {
    tcp->ack = rcv_nxt_;
    last_ack_sent_ = rcv_nxt_;
    // Any segment carrying our ACK satisfies what was pending.
    ack_pending_ = false;
    delayed_segments_ = 0;
    delack_deadline_ = Instant::Never();
  }
  tcp->window = WindowField((flags & kSyn) != 0);
  last_window_sent_ = tcp->window;
  if (ts_enabled_ && (flags & kRst) == 0) {
    tcp->options.timestamps =
        wire::TcpTimestamps{TsClock(env), (flags & kAck) != 0 ? ts_recent_ : 0};
  }
  if ((flags & (kAck | kSyn | kRst)) == kAck) {
    AddSackBlocks(env, tcp, payload_len);
  }
}

void Connection::SetDsack(Env& env, SeqNum left, SeqNum right) {
  if (sack_enabled_ && left < right) {
    if (dsack_pending_) {
      // An earlier duplicate's block has not left yet (its ACK was
      // delayed): send it now, so that each duplicate is reported in its own
      // D-SACK block (RFC 2883 section 4) rather than overwritten.
      SendAck(env);
    }
    dsack_pending_ = true;
    dsack_ = wire::SackBlock{left, right};
  }
}

void Connection::AddSackBlocks(Env& env, wire::TcpRepr* tcp,
                               uint32_t payload_len) {
  // RFC 2883 section 4: a D-SACK block goes in the first ACK after the
  // duplicate only; when it does not fit beside the payload it is dropped.
  const bool dsack = dsack_pending_;
  dsack_pending_ = false;
  // RFC 2018 section 4: while out-of-order data is held, every ACK carries
  // SACK blocks, first the range holding the segment that triggered it.
  if (!sack_enabled_ ||
      ((assembler_ == nullptr || assembler_->empty()) && !dsack)) {
    return;
  }
  // RFC 2018 section 3: 40 bytes of options hold 4 blocks, 3 beside the
  // timestamps.
  size_t blocks = tcp->options.timestamps.has_value()
                      ? kSackBlocksWithTimestamps
                      : wire::kTcpMaxSackBlocks;
  // RFC 6691: options come out of the MSS, so a data segment keeps only the
  // blocks that fit beside its payload (a full-sized one carries none).
  const uint32_t mss =
      std::min<uint32_t>(snd_mss_, AnnouncedMss(env.cfg, mss_clamp_));
  const uint32_t used =
      payload_len + static_cast<uint32_t>(tcp->options.EmittedLen());
  const uint32_t room = mss > used ? mss - used : 0;
  const uint32_t fit = room >= kSackOptionBaseLen + kSackBlockLen
                           ? (room - kSackOptionBaseLen) / kSackBlockLen
                           : 0;
  blocks = std::min<size_t>(blocks, fit);
  size_t n = 0;
  if (dsack && blocks > 0) {
    tcp->options.sack[0] = dsack_;  // RFC 2883 section 4 (1): first block
    n = 1;
  }
  if (assembler_ != nullptr) {
    n += assembler_->SackBlocks(
        rcv_nxt_,
        std::span<wire::SackBlock>(tcp->options.sack.data() + n, blocks - n));
  }
  tcp->options.sack_count = static_cast<uint8_t>(n);
  // RFC 2883 section 4 (2): a duplicate of held data is followed by the
  // block that holds it; the assembler already reports that range first,
  // as the one its latest segment touched.
}

void Connection::SendSyn(Env& env, bool with_ack) {
  OutSegment out;  // built in place, as in SendAck
  out.src = tuple_.local_addr;
  out.dst = tuple_.remote_addr;
  wire::TcpRepr& tcp = out.tcp;
  uint8_t flags = with_ack ? (kSyn | kAck) : kSyn;
  // On the SYN-ACK the options mirror what the peer offered (RFC 7323 2.2,
  // 3.2; RFC 2018 2), as NegotiateSynOptions set them; on the SYN we offer
  // what the connection's options allow.
  bool offer_ts = with_ack ? ts_enabled_ : offer_timestamps_;
  bool offer_ws = with_ack ? ws_enabled_ : offer_window_scaling_;
  bool offer_sack = with_ack ? sack_enabled_ : offer_sack_;
  bool saved_ts = ts_enabled_;
  ts_enabled_ = offer_ts;
  FillHeader(env, &tcp, iss_, flags);
  ts_enabled_ = saved_ts;
  tcp.options.mss = AnnouncedMss(env.cfg, mss_clamp_);
  if (offer_ws) {
    tcp.options.window_scale = rcv_wscale_;
  }
  tcp.options.sack_permitted = offer_sack;
  if (snd_nxt_ == iss_) {
    snd_nxt_ = iss_ + 1;
  }
  if (snd_max_ < snd_nxt_) {
    snd_max_ = snd_nxt_;
  }
  if (!rtt_timing_ && retries_ == 0) {
    rtt_start_ = env.now;
  }
  env.sink.Send(out);
  env.stats.segments_out.Inc();
}

void Connection::SendRstAt(Env& env, SeqNum seq) {
  // RFC 9293 3.10.7: <SEQ=SEG.ACK><CTL=RST>, no options, no window.
  OutSegment out;  // built in place, as in SendAck
  out.src = tuple_.local_addr;
  out.dst = tuple_.remote_addr;
  wire::TcpRepr& rst = out.tcp;
  rst.src_port = tuple_.local_port;
  rst.dst_port = tuple_.remote_port;
  rst.seq = seq;
  rst.flags = kRst;
  env.sink.Send(out);
  env.stats.segments_out.Inc();
  env.stats.rst_sent.Inc();
}

uint32_t Connection::EffectiveMss(const Env& env) const {
  // RFC 9293 3.7.1 and RFC 6691: the MSS counts the TCP payload with a
  // 20-byte header; options we send on every segment come out of it.
  uint32_t mss =
      std::min<uint32_t>(snd_mss_, AnnouncedMss(env.cfg, mss_clamp_));
  if (ts_enabled_) {
    mss -= kTimestampOptionLen;
  }
  return std::max<uint32_t>(mss, 1);
}

uint32_t Connection::SendSegment(Env& env, SeqNum seq, uint32_t len, bool fin) {
  // Default-initialised and then addressed: `OutSegment out{src, dst, {}}`
  // compiled into zeroing all 344 bytes, the payload arrays included, which
  // PayloadSpans leaves uninitialised on purpose (segment.h).
  OutSegment out;
  out.src = tuple_.local_addr;
  out.dst = tuple_.remote_addr;
  if (len > 0) {
    // Gathered first: a payload scattered over more than kMaxPayloadSpans
    // chunks is cut short, and then the FIN waits for the rest.
    TERN_DCHECK(sndq_ != nullptr);
    const size_t got = sndq_->Gather(static_cast<size_t>(seq - snd_buf_seq_),
                                     len, &out.payload);
    if (got < len) {
      len = static_cast<uint32_t>(got);
      fin = false;
    }
  }
  uint8_t flags = kAck;
  if (fin) {
    flags |= kFin;
  }
  // RFC 9293 3.9.1: PSH on the last segment of what the application gave.
  if (len > 0 && seq + len == DataEnd()) {
    flags |= kPsh;
  }
  FillHeader(env, &out.tcp, seq, flags, len);
  env.sink.Send(out);
  env.stats.segments_out.Inc();
  return len;
}

void Connection::SendAck(Env& env) {
  // Built in place: a TcpRepr on the stack copied into the OutSegment was a
  // store-forwarding stall on every ACK (perf, BM_Lifecycle, session 6).
  OutSegment out;
  out.src = tuple_.local_addr;
  out.dst = tuple_.remote_addr;
  wire::TcpRepr& tcp = out.tcp;
  // RFC 9293's SND.NXT is snd_max_: after a go-back-N rewind snd_nxt_ may lie
  // below a peer's RCV.NXT (it holds data we resend, or reassembled past a
  // hole), and an ACK that far back fails its acceptability test, so both
  // sides' ACKs could be dropped until the connection times out.
  FillHeader(env, &tcp, snd_max_, kAck);
  env.sink.Send(out);
  env.stats.segments_out.Inc();
}

void Connection::SendRst(Env& env) {
  // RFC 9293 3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>; like Linux we also carry
  // ACK so that the peer's RFC 5961 check sees an exact sequence number.
  OutSegment out;  // built in place, as in SendAck
  out.src = tuple_.local_addr;
  out.dst = tuple_.remote_addr;
  wire::TcpRepr& tcp = out.tcp;
  tcp.src_port = tuple_.local_port;
  tcp.dst_port = tuple_.remote_port;
  tcp.seq = snd_max_;
  tcp.ack = rcv_nxt_;
  tcp.flags = kRst | kAck;
  // RFC 7323 3.2: once negotiated, TSopt "SHOULD be sent in an <RST>
  // segment"; Linux's active reset carries it (packetdrill's
  // ts_recent/reset_tsval.pkt).
  if (ts_enabled_) {
    tcp.options.timestamps = wire::TcpTimestamps{TsClock(env), ts_recent_};
  }
  env.sink.Send(out);
  env.stats.segments_out.Inc();
  env.stats.rst_sent.Inc();
}

void Connection::SendKeepaliveProbe(Env& env) {
  // RFC 1122 4.2.3.6: SEG.SEQ = SND.NXT - 1, no data; the peer answers with
  // an ACK because the sequence number is outside its window.
  OutSegment out;  // built in place, as in SendAck
  out.src = tuple_.local_addr;
  out.dst = tuple_.remote_addr;
  wire::TcpRepr& tcp = out.tcp;
  FillHeader(env, &tcp, snd_una_ - 1, kAck);
  env.sink.Send(out);
  env.stats.segments_out.Inc();
}

void Connection::RestartRtoAfterSynTimeout(Env& env) {
  // RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
  // and the TCP implementation is using an RTO less than 3 seconds, the RTO
  // MUST be re-initialized to 3 seconds when data transmission begins".
  (void)env;
  rtt_.RestartAfterSynTimeout();
}

void Connection::ArmRetransmit(Env& env) {
  rtx_deadline_ = env.now + rtt_.rto(env.cfg.rto);
}

// ---------------------------------------------------------------------------
// Congestion control and loss recovery: RFC 5681 (slow start, congestion
// avoidance, fast retransmit, restart after idle), RFC 6582 (NewReno fast
// recovery without SACK), RFC 6675 (SACK-based recovery). The window
// arithmetic is lib/tcp/congestion's; detection and recovery are here.

const SackScoreboard& Connection::EmptyScoreboard() {
  static const SackScoreboard* const empty = new SackScoreboard();
  return *empty;
}

void Connection::InitCongestion(Env& env) {
  // RFC 5681 section 2: SMSS excludes headers and options, so it is the
  // effective MSS; the RFC 6928 initial window follows from it.
  cc_.Reset(cc_algorithm_, EffectiveMss(env), env.now);
  cc_.set_slow_start_limit(slow_start_limit_);
  ReleaseScoreboard();
  in_recovery_ = false;
  dupacks_ = 0;
  limited_transmit_bytes_ = 0;
  recover_ = snd_una_;  // RFC 6582 section 3.2 step 1: recover = ISS
  last_send_ = env.now;
}

void Connection::OnNewAck(Env& env, uint32_t acked, uint32_t flight_before) {
  dupacks_ = 0;
  limited_transmit_bytes_ = 0;
  if (!in_recovery_) {
    // RFC 5681 section 3.1. RFC 7661 section 4: cwnd grows only when the
    // sender filled it, i.e. Output last stopped on cwnd or the flight left
    // less than one SMSS of it unused.
    const bool cwnd_limited =
        cwnd_limited_ || uint64_t{flight_before} + cc_.smss() > cc_.cwnd();
    cc_.OnAck(acked, flight_before, env.now, rtt_.srtt(), cwnd_limited);
    if (snd_una_ > recover_) {
      recover_ = snd_una_;  // trails SND.UNA: see the member's comment
    }
    return;
  }
  if (snd_una_ >= recover_) {
    // Full acknowledgment: RFC 6582 section 3.2 step 3 option (2), cwnd =
    // ssthresh; RFC 6675 section 5 (A) ends recovery the same way.
    in_recovery_ = false;
    cc_.OnRecoveryExit();
    return;
  }
  if (sack_enabled_) {
    return;  // RFC 6675 section 5 (B): Output runs step (C) with the new pipe
  }
  // RFC 6582 section 3.2 step 5, partial acknowledgment: retransmit the
  // first unacknowledged segment, deflate cwnd by the amount of new data
  // acknowledged and add back one SMSS if at least that much was.
  const uint32_t smss = cc_.smss();
  Retransmit(env, snd_una_,
             std::min(smss, static_cast<uint32_t>(snd_max_ - snd_una_)));
  recovery_cwnd_ = (recovery_cwnd_ > acked ? recovery_cwnd_ - acked : 0) +
                   (acked >= smss ? smss : 0);
  partial_ack_seen_ = true;
}

void Connection::OnDuplicateAck(Env& env) {
  if (snd_wnd_ == 0) {
    // Deviation: an ACK announcing a zero window says the receiver has no
    // room, not that a segment was lost; the persist timer handles it.
    return;
  }
  dupacks_ = static_cast<uint8_t>(
      std::min(uint32_t{dupacks_} + 1, SackScoreboard::kDupThresh));
  if (in_recovery_) {
    if (!sack_enabled_) {
      // RFC 6582 section 3.2 step 4: each further duplicate ACK means a
      // segment left the network; inflate cwnd by SMSS so Output can send.
      recovery_cwnd_ = static_cast<uint32_t>(std::min<uint64_t>(
          uint64_t{recovery_cwnd_} + cc_.smss(), UINT32_MAX));
    }
    return;
  }
  // RFC 5681 section 3.2 step 2: the third duplicate ACK; RFC 6675 section
  // 5 step (2): or SACK blocks showing SND.UNA lost before it.
  const bool lost =
      dupacks_ >= SackScoreboard::kDupThresh ||
      (sack_enabled_ && scoreboard().IsLost(snd_una_, cc_.smss()));
  // RFC 6582 section 4: no new recovery while the cumulative ACK is below
  // recover; these duplicates answer a recovery or RTO already handled.
  if (lost && snd_una_ >= recover_) {
    EnterRecovery(env);
  }
}

void Connection::EnterRecovery(Env& env) {
  TERN_DCHECK(snd_nxt_ == snd_max_);
  const uint32_t smss = cc_.smss();
  const uint32_t flight = static_cast<uint32_t>(snd_max_ - snd_una_);
  // RFC 5681 section 3.2 step 2: data sent by limited transmit "MUST NOT be
  // included" in the FlightSize that sets ssthresh.
  const uint32_t flight_for_ssthresh =
      flight - std::min(flight, limited_transmit_bytes_);
  limited_transmit_bytes_ = 0;
  env.stats.fast_recoveries.Inc();
  in_recovery_ = true;
  partial_ack_seen_ = false;
  // RFC 6582 section 3.2 step 2: recover = HighData; RFC 6675 (4.1):
  // RecoveryPoint = HighData.
  recover_ = snd_max_;
  // RFC 5681 equation (4) (RFC 9438 section 4.6 for CUBIC): ssthresh and
  // cwnd = ssthresh.
  cc_.OnCongestionEvent(flight_for_ssthresh, env.now);
  // RFC 5681 section 3.2 step 3, RFC 6675 (4.3): retransmit the first
  // unacknowledged segment, up to the first SACKed byte.
  uint32_t len = std::min(smss, flight);
  if (!scoreboard().empty()) {
    const uint32_t hole =
        static_cast<uint32_t>(scoreboard().ranges()[0].left - snd_una_);
    if (hole > 0) {
      len = std::min(len, hole);
    }
  }
  len = Retransmit(env, snd_una_, len);
  // RFC 6675 (4.3): HighRxt and RescueRxt at the segment's last byte.
  high_rxt_ = snd_una_ + len;
  rescue_rxt_ = high_rxt_;
  // RFC 5681 section 3.2 step 4 (RFC 6582 section 3.2 step 2): cwnd =
  // ssthresh + 3*SMSS for the three segments that left the network.
  recovery_cwnd_ = cc_.cwnd() + SackScoreboard::kDupThresh * smss;
}

bool Connection::SackRecoveryOutput(Env& env) {
  TERN_DCHECK(snd_nxt_ == snd_max_);
  const uint32_t smss = cc_.smss();
  const SeqNum data_end = DataEnd();
  const SeqNum wnd_end = snd_una_ + snd_wnd_;
  bool sent = false;
  while (true) {
    const SeqNum high_rxt = SeqNum::Max(high_rxt_, snd_una_);
    const uint32_t pipe = scoreboard().Pipe(snd_una_, snd_max_, high_rxt, smss);
    // RFC 6675 section 5 (C): while cwnd - pipe >= 1 SMSS.
    if (uint64_t{pipe} + smss > cc_.cwnd()) {
      break;
    }
    // Rule (2) sends the new data the peer's window allows, whole segments
    // only unless the rest of the data fits and Nagle is off (RFC 1122
    // 4.2.3.4: data is in flight throughout recovery).
    SeqNum high_data = SeqNum::Max(SeqNum::Min(data_end, wnd_end), snd_max_);
    const uint32_t sendable = static_cast<uint32_t>(high_data - snd_max_);
    if (sendable < smss && !(nodelay_ && high_data == data_end)) {
      high_data = snd_max_;
    }
    // Rule (4), the rescue retransmission, is for a tail loss nothing else
    // would repair. Deviation: it is skipped when the highest unSACKed byte
    // was already retransmitted in this recovery (below HighRxt), where it
    // would only duplicate that retransmission (Linux sends no rescue).
    SeqNum top = snd_max_;  // just past the highest unSACKed byte
    const std::span<const SackScoreboard::Range> ranges = scoreboard().ranges();
    if (!ranges.empty() && ranges.back().right == snd_max_) {
      top = ranges.back().left;
    }
    const bool rescue_allowed = snd_una_ > rescue_rxt_ && top > high_rxt;
    const std::optional<NextSegment> next = scoreboard().NextSeg(
        snd_una_, snd_max_, high_rxt, high_data, smss, rescue_allowed);
    if (!next || next->len == 0) {
      break;
    }
    if (!next->is_retransmission) {
      const bool fin =
          fin_queued_ && snd_nxt_ + next->len == data_end && wnd_end > data_end;
      TransmitAtNxt(env, next->len, fin);
    } else {
      const uint32_t covered = Retransmit(env, next->seq, next->len);
      if (next->rule == NextSegment::Rule::kRescue) {
        rescue_rxt_ = recover_;  // (C.3): HighRxt stays
      } else {
        high_rxt_ = next->seq + covered;  // (C.2)
      }
    }
    sent = true;
  }
  return sent;
}

uint32_t Connection::TransmitAtNxt(Env& env, uint32_t len, bool fin) {
  const bool retransmission = snd_nxt_ < snd_max_;  // go-back-N after an RTO
  const uint32_t sent = SendSegment(env, snd_nxt_, len, fin);
  fin = fin && sent == len;
  len = sent;
  if (retransmission) {
    env.stats.retransmits.Inc();
  } else if (!rtt_timing_ && len > 0) {
    rtt_timing_ = true;
    rtt_seq_ = snd_nxt_;
    rtt_start_ = env.now;
  }
  const uint32_t covered = len + (fin ? 1 : 0);
  snd_nxt_ += covered;
  snd_max_ = SeqNum::Max(snd_max_, snd_nxt_);
  last_send_ = env.now;
  if (rtx_deadline_ == Instant::Never()) {
    ArmRetransmit(env);
  }
  return covered;
}

uint32_t Connection::Retransmit(Env& env, SeqNum seq, uint32_t len) {
  // The FIN's sequence number follows the last data byte: a range reaching
  // past DataEnd() carries the FIN again.
  const SeqNum data_end = DataEnd();
  uint32_t data_len = len;
  bool fin = false;
  if (seq + len > data_end) {
    TERN_DCHECK(snd_max_ > data_end);
    data_len = seq < data_end ? static_cast<uint32_t>(data_end - seq) : 0;
    fin = true;
  }
  const uint32_t sent = SendSegment(env, seq, data_len, fin);
  if (sent < data_len) {
    len = sent;  // the spans ran out: the rest (and any FIN) go later
  }
  env.stats.retransmits.Inc();
  if (rtt_timing_ && rtt_seq_.InHalfOpen(seq, seq + len)) {
    rtt_timing_ = false;  // Karn: no sample from a segment sent twice
  }
  last_send_ = env.now;
  if (rtx_deadline_ == Instant::Never()) {
    ArmRetransmit(env);
  }
  return len;
}

void Connection::Output(Env& env) {
  output_pending_ = false;  // whatever a deferred call queued is looked at now
  switch (state_) {
    case State::kEstablished:
    case State::kCloseWait:
    case State::kFinWait1:
    case State::kClosing:
    case State::kLastAck:
      break;
    case State::kFinWait2:
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
    case State::kSynReceived:
      if (ack_pending_ && IsSynchronized(state_)) {
        SendAck(env);
      }
      return;
  }
  bool sent = false;
  const uint32_t mss = EffectiveMss(env);
  const SeqNum data_end = DataEnd();
  cwnd_limited_ = false;
  while (!(in_recovery_ && sack_enabled_)) {
    uint32_t unsent =
        snd_nxt_ < data_end ? static_cast<uint32_t>(data_end - snd_nxt_) : 0;
    bool fin_pending = fin_queued_ && snd_nxt_ <= data_end;
    if (unsent == 0 && !fin_pending) {
      break;
    }
    uint32_t in_flight = static_cast<uint32_t>(snd_nxt_ - snd_una_);
    if (in_flight == 0 && snd_una_ == snd_max_) {
      // RFC 5681 section 4.1: after an idle period longer than the RTO,
      // start again from at most the initial window.
      cc_.OnIdleRestart(env.now, rtt_.rto(env.cfg.rto), last_send_);
    }
    uint32_t usable = snd_wnd_ > in_flight ? snd_wnd_ - in_flight : 0;
    uint32_t len = std::min({unsent, mss, usable});
    // RFC 5681 section 3: at most min(cwnd, rwnd) in flight (the inflated
    // window in NewReno recovery; go-back-N after an RTO starts from 1 SMSS).
    // A segment shorter than the peer's window allows is not cut to fit
    // cwnd: it waits for an ACK, and cwnd >= 1 SMSS so one always makes room.
    const uint32_t cwnd = send_cwnd();
    // RFC 3042 section 2 (RFC 5681 section 3.2 step 1, SHOULD): on each of
    // the first two duplicate ACKs one segment of new data may go beyond
    // cwnd, up to cwnd + 2 SMSS outstanding; cwnd itself is unchanged.
    const uint32_t limited_segments =
        std::min<uint32_t>(dupacks_, kLimitedTransmitSegments);
    const bool limited_transmit =
        !in_recovery_ && dupacks_ > 0 && snd_nxt_ == snd_max_ &&
        cwnd < uint64_t{in_flight} + len &&
        uint64_t{cwnd} + uint64_t{limited_segments} * cc_.smss() >=
            uint64_t{in_flight} + len;
    if (cwnd < uint64_t{in_flight} + len && !limited_transmit) {
      cwnd_limited_ = true;
      break;
    }
    // The FIN takes a sequence number and so a unit of window, as data
    // does (RFC 9293 3.10.7.4: a segment of length 1 is unacceptable in a
    // zero window); without room it waits, probed by the persist timer.
    bool fin = fin_pending && len == unsent && usable > len;
    if (len == 0 && !fin) {
      // Zero window: the persist timer probes it (RFC 9293 3.8.6.1).
      if (in_flight == 0 && rtx_deadline_ == Instant::Never()) {
        ArmRetransmit(env);
      }
      break;
    }
    if (len < mss && len < unsent && in_flight > 0 && len < max_snd_wnd_ / 2) {
      // Sender SWS avoidance (RFC 9293 3.8.6.2.1): wait for more window.
      break;
    }
    if (len < mss && !fin && !nodelay_ && in_flight > 0 &&
        (nagle_ == NagleMode::kClassic ||
         (snd_sml_ > snd_una_ && snd_sml_ <= snd_nxt_))) {
      // Nagle: one small segment outstanding at a time. RFC 1122 4.2.3.4
      // holds it while anything is in flight; Minshall's variant (Linux's
      // tcp_minshall_check) only while an earlier small segment is.
      break;
    }
    TransmitAtNxt(env, len, fin);
    if (len < mss) {
      snd_sml_ = snd_nxt_;  // the end of the last small segment sent
    }
    sent = true;
    if (limited_transmit) {
      env.stats.limited_transmits.Inc();
      limited_transmit_bytes_ += len;
    }
  }
  if (in_recovery_ && sack_enabled_) {
    sent = SackRecoveryOutput(env);
  }
  if (ack_pending_ && !sent) {
    SendAck(env);
  }
}

Verdict Connection::Fail(Env& env, SockError error, uint32_t event,
                         bool send_rst) {
  if (send_rst) {
    SendRst(env);
  }
  error_ = error;
  events_ |= event | events::kClosed;
  SetState(env, State::kClosed);
  rtx_deadline_ = delack_deadline_ = fin_wait2_deadline_ = Instant::Never();
  return Verdict::kClosed;
}

// ---------------------------------------------------------------------------
// Timers.

Instant Connection::KeepaliveDeadline() const {
  if (!keepalive_enabled_) {
    return Instant::Never();
  }
  TERN_DCHECK(keepalive_ != nullptr);
  switch (state_) {
    case State::kEstablished:
    case State::kCloseWait:
    case State::kFinWait2:
      break;
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
    case State::kSynReceived:
    case State::kFinWait1:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      return Instant::Never();
  }
  if (keepalive_->sent == 0) {
    return last_rx_ + keepalive_->idle;
  }
  return keepalive_->deadline;
}

Instant Connection::ProtocolDeadline() const {
  if (state_ == State::kClosed || state_ == State::kTimeWait) {
    return Instant::Never();
  }
  return std::min({rtx_deadline_, delack_deadline_, KeepaliveDeadline(),
                   fin_wait2_deadline_});
}

bool Connection::BuffersReclaimable() const {
  return send_queued() == 0 && rcvbuf_.size() == 0 && assembler_ == nullptr &&
         (sndq_ != nullptr || rcvbuf_.allocated());
}

void Connection::NoteBuffersEmpty(Instant now) {
  // Armed once when the buffers empty and never moved by later traffic, so
  // a busy connection does not re-arm its timer per segment; OnTimer moves
  // it to the end of the idle period when there was traffic since.
  if (reclaim_deadline_ == Instant::Never() && BuffersReclaimable()) {
    reclaim_deadline_ = now + kBufferReclaimDelay;
  }
}

Verdict Connection::OnTimer(Env& env) {
  const Instant now = env.now;
  if (delack_deadline_ <= now) {
    delack_deadline_ = Instant::Never();
    if (IsSynchronized(state_) && state_ != State::kTimeWait) {
      SendAck(env);
    }
  }
  if (rtx_deadline_ <= now) {
    rtx_deadline_ = Instant::Never();
    Verdict v = OnRetransmitTimeout(env);
    if (v != Verdict::kKeep) {
      return v;
    }
  }
  if (KeepaliveDeadline() <= now) {
    if (snd_una_ != snd_max_ || DataEnd() != snd_nxt_) {
      // Data in flight: the retransmission timer watches the peer.
      last_rx_ = now;
    } else if (keepalive_->sent >= keepalive_->probes) {
      env.stats.keepalive_timeouts.Inc();
      return Fail(env, TimeoutError(), events::kTimedOut,
                  /*send_rst=*/true);
    } else {
      SendKeepaliveProbe(env);
      env.stats.keepalive_probes.Inc();
      ++keepalive_->sent;
      keepalive_->deadline = now + keepalive_->interval;
    }
  }
  if (fin_wait2_deadline_ <= now) {
    fin_wait2_deadline_ = Instant::Never();
    if (state_ == State::kFinWait2 && orphaned_) {
      // Linux lets an orphan in FIN-WAIT-2 go after tcp_fin_timeout without
      // a RST; so do we.
      env.stats.fin_wait2_timeouts.Inc();
      SetState(env, State::kClosed);
      return Verdict::kClosed;
    }
  }
  if (reclaim_deadline_ <= now) {
    reclaim_deadline_ = Instant::Never();
    // Nothing to do when data came and stayed (the next drain arms it
    // again); later when there was traffic since it was armed.
    if (BuffersReclaimable()) {
      const Instant idle_end =
          std::max(last_rx_, last_send_) + kBufferReclaimDelay;
      if (idle_end > now) {
        reclaim_deadline_ = idle_end;
      } else {
        ReleaseSendQueue();
        rcvbuf_.Reclaim();
        env.stats.buffer_reclaims.Inc();
      }
    }
  }
  return Verdict::kKeep;
}

Verdict Connection::OnIcmpError(Env& env, const IcmpError& error) {
  if (state_ == State::kClosed || state_ == State::kTimeWait) {
    env.stats.drops.Inc(state_ == State::kTimeWait
                            ? DropReason::kIcmpTimeWait
                            : DropReason::kIcmpNoConnection);
    return Verdict::kKeep;
  }
  // RFC 5927 section 4.1: only an error quoting data in flight,
  // SND.UNA =< SEG.SEQ < SND.NXT, can be about this connection; a blind
  // attacker must guess the window as for an RST (RFC 5961).
  if (!error.seq.InHalfOpen(snd_una_, snd_max_)) {
    env.stats.drops.Inc(DropReason::kIcmpOutOfWindow);
    return Verdict::kKeep;
  }
  const bool synchronized = IsSynchronized(state_);
  if (error.kind == IcmpError::Kind::kFragmentationNeeded) {
    return OnPathMtu(env, error);
  }
  if (!synchronized) {
    // SYN-SENT, and SYN-RECEIVED of a simultaneous open: the attempt ends
    // with the error's errno, as Linux's tcp_v4_err ends it (RFC 5461
    // section 4 describes this common treatment of soft errors too).
    env.stats.icmp_aborts.Inc();
    const SockError e = IcmpErrno(error);
    return Fail(
        env, e,
        e == SockError::kConnRefused ? events::kRefused : events::kReset,
        /*send_rst=*/false);
  }
  // RFC 1122 4.2.3.9 and RFC 5927 section 4.2: in a synchronized state even
  // a hard error only says something may be wrong; the retransmission
  // timer decides, and reports this error if it gives up.
  soft_error_ = IcmpErrno(error);
  env.stats.icmp_soft_errors.Inc();
  return Verdict::kKeep;
}

Verdict Connection::OnPathMtu(Env& env, const IcmpError& error) {
  // RFC 5927 section 7.2: the packet that elicited a genuine message was
  // bigger than the MTU it names (the quoted IP total length).
  if (error.quoted_length != 0 && error.next_hop_mtu >= error.quoted_length) {
    env.stats.drops.Inc(DropReason::kIcmpPmtuNotSmaller);
    return Verdict::kKeep;
  }
  // A router older than RFC 1191 names no MTU (0); it and any MTU below the
  // floor give the floor, as Linux's __ip_rt_update_pmtu does.
  const uint16_t mtu = std::max(error.next_hop_mtu, kMinPathMtu);
  const auto mss = static_cast<uint16_t>(mtu - kIpTcpHeaderBytes);
  // RFC 1191 section 6.3: a message never raises the estimate.
  if (mss >= snd_mss_ || !IsSynchronized(state_)) {
    env.stats.drops.Inc(DropReason::kIcmpPmtuNotSmaller);
    return Verdict::kKeep;
  }
  snd_mss_ = mss;
  cc_.set_smss(EffectiveMss(env));
  env.stats.pmtu_decreases.Inc();
  if (snd_una_ == snd_max_) {
    return Verdict::kKeep;
  }
  // What was sent at the old size was dropped on the path: send it again
  // cut to the new size now, without a congestion response (the loss was
  // not congestion), as Linux's tcp_simple_retransmit does. Go-back-N from
  // SND.UNA as after an RTO, with the recovery state reset the same way;
  // Karn: no RTT sample from what is sent again.
  if (in_recovery_) {
    cc_.OnRecoveryExit();
  }
  RewindToSndUna();
  Output(env);
  return Verdict::kKeep;
}

void Connection::RewindToSndUna() {
  // RFC 2018 section 8: forget the SACK information (the receiver may have
  // reneged); RFC 6582 section 4: recover = HighData, so the duplicate ACKs
  // the resent segments provoke start no recovery; Karn: no RTT sample from
  // what is sent again.
  ReleaseScoreboard();
  in_recovery_ = false;
  dupacks_ = 0;
  limited_transmit_bytes_ = 0;
  recover_ = snd_max_;
  rtt_timing_ = false;
  snd_nxt_ = snd_una_;
}

Verdict Connection::OnRetransmitTimeout(Env& env) {
  switch (state_) {
    case State::kSynSent:
      if (retries_ >= env.cfg.syn_retries) {
        env.stats.conn_timeouts.Inc();
        return Fail(env, TimeoutError(), events::kTimedOut, false);
      }
      ++retries_;
      if (syn_retransmits_ < UINT8_MAX) {
        ++syn_retransmits_;
      }
      rtt_.Backoff(env.cfg.rto);
      SendSyn(env, /*with_ack=*/false);
      env.stats.syn_retransmits.Inc();
      ArmRetransmit(env);
      return Verdict::kKeep;
    case State::kSynReceived:
      // Active (simultaneous) open only: a passive one's SYN-ACK is
      // retransmitted from its half-open record (Endpoint::OnHalfOpenTimer).
      TERN_DCHECK(!passive_);
      if (retries_ >= env.cfg.synack_retries) {
        env.stats.synack_timeouts.Inc();
        env.stats.conn_timeouts.Inc();
        return Fail(env, TimeoutError(), events::kTimedOut, false);
      }
      ++retries_;
      if (syn_retransmits_ < UINT8_MAX) {
        ++syn_retransmits_;
      }
      rtt_.Backoff(env.cfg.rto);
      SendSyn(env, /*with_ack=*/true);
      env.stats.synack_retransmits.Inc();
      ArmRetransmit(env);
      return Verdict::kKeep;
    case State::kEstablished:
    case State::kCloseWait:
    case State::kFinWait1:
    case State::kClosing:
    case State::kLastAck:
      break;
    case State::kFinWait2:
    case State::kTimeWait:
    case State::kClosed:
    case State::kListen:
      return Verdict::kKeep;
  }
  const bool fin_unsent = fin_queued_ && snd_max_ <= DataEnd();
  if (snd_wnd_ == 0 &&
      (snd_una_ != snd_max_ || DataEnd() != snd_nxt_ || fin_unsent)) {
    // Persist timer (RFC 9293 3.8.6.1): probe the zero window the way Linux
    // does, with SEG.SEQ = SND.UNA - 1 and no data, which the peer must
    // answer with its current window. This also covers a window that shrank
    // to zero under data in flight: retransmitting into it would only count
    // towards the abort while the peer keeps answering. MUST-37: the
    // connection stays open as long as the probes are acknowledged
    // (ProcessAck clears persist_probes_).
    if (persist_probes_ >= env.cfg.data_retries) {
      env.stats.conn_timeouts.Inc();
      return Fail(env, TimeoutError(), events::kTimedOut, false);
    }
    ++persist_probes_;
    SendKeepaliveProbe(env);
    rtt_.Backoff(env.cfg.rto);
    ArmRetransmit(env);
    return Verdict::kKeep;
  }
  if (snd_una_ == snd_max_) {
    return Verdict::kKeep;
  }
  if (retries_ >= env.cfg.data_retries) {
    env.stats.conn_timeouts.Inc();
    return Fail(env, TimeoutError(), events::kTimedOut, false);
  }
  ++retries_;
  // RFC 6298 5.5-5.6: back off, retransmit the earliest unacknowledged
  // segment; Karn: no RTT sample from what is retransmitted.
  rtt_.Backoff(env.cfg.rto);
  env.stats.rto_expiries.Inc();
  // RFC 5681 section 3.1 (RFC 9438 section 4.8 for CUBIC): ssthresh from
  // FlightSize, cwnd = LW = 1 SMSS; any fast recovery ends with the rewind.
  cc_.OnRetransmissionTimeout(static_cast<uint32_t>(snd_max_ - snd_una_));
  // Go-back-N from SND.UNA: cwnd lets one segment out now, and slow start
  // opens it as the ACKs come back.
  RewindToSndUna();
  ArmRetransmit(env);
  Output(env);
  return Verdict::kKeep;
}

// ---------------------------------------------------------------------------
// Application calls.

size_t Connection::send_space() const {
  return sndq_ != nullptr ? sndq_->space() : snd_buffer_;
}

void Connection::SetSendBuffer(size_t bytes) {
  if (sndq_ != nullptr) {
    sndq_->Resize(bytes);
    snd_buffer_ = sndq_->limit();
  } else {
    snd_buffer_ = bytes;
  }
}

SendQueue* Connection::TakeSendQueue(Env& env) {
  if (sndq_ == nullptr) {
    sndq_ = env.send_queues.Take();
    if (sndq_ == nullptr) {
      env.stats.send_queue_refused.Inc();
      return nullptr;
    }
    sndq_->Init(snd_buffer_, snd_ref_chunks_, &env.buffers);
  }
  return sndq_;
}

bool Connection::FinAcked() const {
  // The FIN's sequence number is the one after the last data byte.
  return fin_queued_ && send_queued() == 0 && snd_una_ == snd_buf_seq_ + 1;
}

SockError Connection::SendAllowed() {
  switch (state_) {
    case State::kSynSent:
    case State::kSynReceived:
      return SockError::kWouldBlock;
    case State::kEstablished:
    case State::kCloseWait:
      break;
    case State::kClosed:
    case State::kListen:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      if (error_ != SockError::kOk) {
        return TakeError();
      }
      return SockError::kBrokenPipe;
  }
  if (fin_queued_) {
    return SockError::kBrokenPipe;
  }
  return SockError::kOk;
}

void Connection::SendWindowUpdate(Env& env) {
  if (env.defer_output) {
    // With the rest of the iteration's output: a response written after
    // this read carries the new window (and the ACK) itself.
    ack_pending_ = true;
    output_pending_ = true;
  } else {
    SendAck(env);
  }
}

void Connection::OutputAfterSegment(Env& env) {
  if (env.defer_peer_output) {
    output_pending_ = true;
  } else {
    Output(env);
  }
}

void Connection::OutputOrDefer(Env& env) {
  if (env.defer_output) {
    output_pending_ = true;
  } else {
    Output(env);
  }
}

void Connection::FlushOutput(Env& env) {
  if (output_pending_) {
    Output(env);
  }
}

IoResult Connection::Send(Env& env, std::span<const uint8_t> data) {
  if (SockError e = SendAllowed(); e != SockError::kOk) {
    return {0, e};
  }
  size_t n = 0;
  if (!data.empty()) {
    SendQueue* q = TakeSendQueue(env);
    n = q != nullptr ? q->Push(data) : 0;
  }
  if (n == 0 && !data.empty()) {
    NoteBuffersEmpty(env.now);  // a queue taken and left empty
    return {0, SockError::kWouldBlock};
  }
  OutputOrDefer(env);
  return {n, SockError::kOk};
}

IoResult Connection::SendRef(Env& env, const PayloadRef& ref) {
  if (SockError e = SendAllowed(); e != SockError::kOk) {
    return {0, e};
  }
  SendQueue* q = TakeSendQueue(env);
  if (q == nullptr) {
    return {0, SockError::kWouldBlock};
  }
  if (SockError e = q->PushRef(ref); e != SockError::kOk) {
    NoteBuffersEmpty(env.now);
    return {0, e};
  }
  OutputOrDefer(env);
  return {ref.data.size(), SockError::kOk};
}

IoResult Connection::Recv(Env& env, std::span<uint8_t> out) {
  if (rcvbuf_.size() > 0) {
    size_t n = rcvbuf_.CopyOut(0, out);
    rcvbuf_.Pop(n);
    NoteBuffersEmpty(env.now);
    // RFC 9293 3.8.6.2.2: tell the peer when reading has opened the window
    // by at least min(buffer / 2, MSS) beyond what it knows.
    if (IsSynchronized(state_) && state_ != State::kTimeWait &&
        !fin_received_) {
      // What the window field can carry: without window scaling a buffer
      // above 64 KiB still announces 65535, so a read that frees bytes
      // beyond it changes nothing the peer would see and sends no ACK.
      const uint32_t free_wnd = static_cast<uint32_t>(
          std::min<uint64_t>(rcvbuf_.free(), uint64_t{0xffff} << rcv_wscale_));
      SeqNum proposed = rcv_nxt_ + free_wnd;
      if (linux_window_update_) {
        const uint32_t now_wnd =
            rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_)
                                : 0;
        const uint32_t next_wnd = free_wnd;
        if (uint64_t{now_wnd} * 2 <= rcvbuf_.capacity() &&
            next_wnd >= uint64_t{now_wnd} * 2 && next_wnd > 0) {
          SendWindowUpdate(env);
        }
      } else {
        uint32_t threshold = static_cast<uint32_t>(
            std::min<size_t>(rcvbuf_.capacity() / 2, snd_mss_));
        if (proposed > rcv_adv_ &&
            static_cast<uint32_t>(proposed - rcv_adv_) >= threshold) {
          SendWindowUpdate(env);
        }
      }
    }
    return {n, SockError::kOk};
  }
  if (fin_received_) {
    return {0, SockError::kOk};  // end of stream
  }
  if (error_ != SockError::kOk) {
    return {0, TakeError()};
  }
  switch (state_) {
    case State::kClosed:
    case State::kTimeWait:
      return {0, SockError::kOk};
    case State::kListen:
      return {0, SockError::kNotConnected};
    case State::kSynSent:
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
      break;
  }
  return {0, SockError::kWouldBlock};
}

SockError Connection::ShutdownWrite(Env& env) {
  switch (state_) {
    case State::kSynSent:
      // Nothing was exchanged: the connection just ends (Linux moves
      // SYN-SENT to CLOSE on shutdown).
      SetState(env, State::kClosed);
      rtx_deadline_ = Instant::Never();
      events_ |= events::kClosed;
      return SockError::kOk;
    case State::kSynReceived:
      fin_queued_ = true;  // the FIN follows the handshake
      return SockError::kOk;
    case State::kEstablished:
      if (fin_queued_) {
        return SockError::kOk;
      }
      fin_queued_ = true;
      SetState(env, State::kFinWait1);
      OutputOrDefer(env);
      return SockError::kOk;
    case State::kCloseWait:
      fin_queued_ = true;
      SetState(env, State::kLastAck);
      OutputOrDefer(env);
      return SockError::kOk;
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      return SockError::kOk;
    case State::kClosed:
    case State::kListen:
      return SockError::kNotConnected;
  }
  return SockError::kOk;
}

Verdict Connection::Close(Env& env) {
  orphaned_ = true;
  if (rcvbuf_.size() > 0 &&
      (IsSynchronized(state_) && state_ != State::kTimeWait)) {
    // RFC 2525 2.17 / RFC 9293 3.10.4 note: closing with unread data resets
    // the connection, so the peer learns its data was not consumed.
    return Abort(env);
  }
  switch (state_) {
    case State::kTimeWait:
      // The endpoint's TIME-WAIT record carries the state on and counts its
      // end; the connection object only waited for its handle.
      return Verdict::kClosed;
    case State::kSynSent:
    case State::kClosed:
    case State::kListen:
      if (state_ != State::kClosed) {
        SetState(env, State::kClosed);
      }
      return Verdict::kClosed;
    case State::kSynReceived:
    case State::kEstablished:
    case State::kCloseWait:
      ShutdownWrite(env);
      return Verdict::kKeep;
    case State::kFinWait2:
      fin_wait2_deadline_ = env.now + env.cfg.fin_wait2_timeout;
      return Verdict::kKeep;
    case State::kFinWait1:
    case State::kClosing:
    case State::kLastAck:
      return Verdict::kKeep;
  }
  return Verdict::kKeep;
}

Verdict Connection::Abort(Env& env) {
  switch (state_) {
    case State::kSynReceived:
    case State::kEstablished:
    case State::kFinWait1:
    case State::kFinWait2:
    case State::kCloseWait:
      SendRst(env);
      break;
    case State::kClosed:
    case State::kListen:
    case State::kSynSent:
    case State::kClosing:
    case State::kLastAck:
    case State::kTimeWait:
      break;
  }
  // In TIME-WAIT the endpoint's record carries the state on and counts its
  // end; the connection object only waited for its handle.
  if (state_ != State::kClosed && state_ != State::kTimeWait) {
    SetState(env, State::kClosed);
  }
  rtx_deadline_ = delack_deadline_ = fin_wait2_deadline_ = Instant::Never();
  return Verdict::kClosed;
}

void Connection::SetNodelay(Env& env, bool on) {
  nodelay_ = on;
  if (on) {
    OutputOrDefer(env);
  }
}

SockError Connection::SetKeepalive(Env& env, const KeepaliveOptions& ka) {
  if (ka.enabled && keepalive_ == nullptr) {
    keepalive_ = env.keepalives.Take();
    if (keepalive_ == nullptr) {
      env.stats.keepalive_refused.Inc();
      return SockError::kNoResources;
    }
  }
  keepalive_enabled_ = ka.enabled;
  if (keepalive_ != nullptr) {
    // The settings change even while off, for probes still unanswered: as
    // when they were held inline.
    keepalive_->idle = ka.idle;
    keepalive_->interval = ka.interval;
    keepalive_->probes = ka.probes;
  }
  ReleaseKeepaliveIfIdle();
  return SockError::kOk;
}

uint32_t Connection::Poll() const {
  uint32_t mask = 0;
  if (rcvbuf_.size() > 0 || fin_received_ || error_ != SockError::kOk) {
    mask |= events::kReadable;
  }
  if (fin_received_) {
    mask |= events::kPeerClosed;
  }
  if ((state_ == State::kEstablished || state_ == State::kCloseWait) &&
      !fin_queued_ && send_space() > 0) {
    mask |= events::kWritable;
  }
  if (state_ == State::kClosed) {
    mask |= events::kClosed;
  }
  return mask;
}

TimeWaitRecord Connection::MakeTimeWait(Env& env) const {
  TimeWaitRecord r{};
  r.tuple = tuple_;
  r.snd_nxt = snd_max_;
  r.rcv_nxt = rcv_nxt_;
  r.ts_recent = ts_recent_;
  r.ts_offset = iss_.raw();
  r.window = last_window_sent_;
  r.timestamps = ts_enabled_ ? 1 : 0;
  (void)env;
  return r;
}

}  // namespace tern::tcp
