// A reference model of RFC 9293 section 3.10.7 ("SEGMENT ARRIVES") and of
// the SEND and CLOSE calls of 3.10.2 and 3.10.4, for one connection, written
// from the RFC's text and independent of lib/tcp (it shares only SeqNum and
// the State names). The differential fuzz target (tests/fuzz/diff_fuzz.cc)
// runs the same segments and calls through it and through tern's Endpoint
// and compares the state reached and the segments sent.
//
// Scope (what the model leaves out, and the harness therefore never sends):
// options other than MSS, urgent data, out-of-order data or FIN inside the
// window (the model does not reassemble), timers and retransmission, and a
// receive window that is anything but RCV.WND (the application reads every
// byte at once). The security/precedence check (third step) does not apply:
// tern has neither.
//
// Contract: OnSegment, Send and Close return the segments the RFC says are
// sent, in order; state() is the state afterwards. A segment whose seq is
// chosen by the implementation (its ISS) has any_seq set; the caller adopts
// the value the implementation chose with AdoptIss.
//
// Where the RFC leaves a choice (a MAY) or tern deviates on purpose, the
// model takes the RFC's text unless a Deviations flag says otherwise; each
// flag names its source, and doc/rfc_compliance.md lists them.
#ifndef TERN_TESTS_SUPPORT_RFC9293_MODEL_H_
#define TERN_TESTS_SUPPORT_RFC9293_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/seq_num.h"
#include "lib/tcp/state.h"

namespace tern::model {

using tcp::State;

// Control bits, as in RFC 9293 3.1 (the values of the header's flag bits).
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kAck = 0x10;

struct Seg {
  uint8_t ctl = 0;  // kSyn | kAck | kRst | kFin
  SeqNum seq;
  SeqNum ack;        // meaningful with kAck
  uint32_t len = 0;  // octets of text
  uint32_t wnd = 65535;

  // RFC 9293 3.4: SEG.LEN counts SYN and FIN.
  uint32_t SegLen() const {
    return len + ((ctl & kSyn) != 0 ? 1 : 0) + ((ctl & kFin) != 0 ? 1 : 0);
  }
  bool operator==(const Seg&) const = default;
};

struct Out {
  Seg seg;
  bool any_seq = false;  // seq is the implementation's ISS
};

std::string ToString(const Seg& s);

// Behaviour tern chose where it differs from the RFC's text; each is a
// documented deviation (doc/rfc_compliance.md, "Differential model").
struct Deviations {
  // RFC 5961 4.2: a SYN in SYN-RECEIVED (acceptable or not) is answered with
  // a challenge ACK and dropped, as in the synchronized states, instead of
  // 3.10.7.4's "return this connection to the LISTEN state".
  bool syn_received_syn_challenge = true;
  // Linux tcp_check_req: a SYN without ACK or RST whose sequence number is
  // IRS (a retransmission: our SYN-ACK was lost) is answered, in
  // SYN-RECEIVED, with the SYN-ACK again <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  // (at most once per 500 ms) instead of the first check's ACK.
  bool syn_received_dup_syn_resends_synack = true;
  // TIME-WAIT is a compact record with Linux's rules
  // (tcp_timewait_state_process; doc/time_wait.md) instead of a TCB with a
  // receive window: a RST is ignored (RFC 1337); a SYN with FIN is dropped;
  // a SYN without ACK above RCV.NXT reopens the connection when a listener
  // exists (RFC 1122 4.2.2.13's MAY, RFC 6191), any other SYN is ACKed; a
  // segment without ACK is dropped; a FIN or text is ACKed; a bare ACK at
  // RCV.NXT is accepted silently and at any other sequence number ACKed.
  bool time_wait_record = true;
  // A SYN with FIN to a listener is dropped (Linux and BSD drop_synfin).
  bool listen_drops_syn_fin = true;
  // A segment with data or FIN after the peer's FIN (CLOSE-WAIT, CLOSING,
  // LAST-ACK) is answered with an ACK; 3.10.7.4's seventh step only says
  // "ignore the segment text".
  bool ack_text_after_fin = true;
  // RFC 1122 4.2.2.13 (a MAY) and RFC 6191: a SYN above RCV.NXT to a
  // TIME-WAIT record while a listener exists reopens the connection.
  bool time_wait_reopen = true;
  // A segment whose ACK takes CLOSING to TIME-WAIT ends there: a FIN or text
  // it also carries (past the peer's FIN, so bogus) is not acknowledged,
  // where the eighth step would ACK a FIN in TIME-WAIT.
  bool closing_to_time_wait_ends_segment = true;
  // CLOSE in SYN-RECEIVED (a simultaneous open) queues the FIN until the
  // handshake completes, then sends it and enters FIN-WAIT-1 (or LAST-ACK),
  // instead of 3.10.4's "form a FIN segment and send it, and enter
  // FIN-WAIT-1 state" at once.
  bool syn_received_close_defers_fin = true;
  // An ABORT's RST (3.10.5 <SEQ=SND.NXT><CTL=RST>) carries ACK with
  // RCV.NXT, as Linux's tcp_send_active_reset does.
  bool abort_rst_carries_ack = true;
};

class Rfc9293Model {
 public:
  explicit Rfc9293Model(const Deviations& d = {}) : dev_(d) {}

  // Passive OPEN: a listener exists (the state is LISTEN while no
  // connection does).
  void Listen() { listening_ = true; }
  // Active OPEN (3.10.1): the SYN <SEQ=ISS><CTL=SYN> was sent.
  void OpenActive(SeqNum iss);
  // The implementation's ISS for the SYN-ACK the model asked for.
  void AdoptIss(SeqNum iss);
  // The window of a segment the implementation sent: RCV.WND is the
  // receiver's policy (3.8.6.2.2), so the model takes the right edge it
  // announced, RCV.NXT + RCV.WND = SEG.ACK + SEG.WND (for a SYN without ACK,
  // from the RCV.NXT the peer's SYN sets). The edge never moves left.
  void AdoptWindow(const Seg& sent);

  std::vector<Out> OnSegment(const Seg& s);
  // SEND of n octets (3.10.2) in ESTABLISHED or CLOSE-WAIT, with a window
  // that holds them: one segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
  std::vector<Out> Send(uint32_t n);
  // CLOSE (3.10.4).
  std::vector<Out> Close();

  // The state an observer sees: LISTEN when no connection exists and a
  // listener does.
  State state() const {
    return state_ == State::kClosed && listening_ ? State::kListen : state_;
  }
  State conn_state() const { return state_; }
  bool passive() const { return passive_; }
  bool closed_by_app() const { return closed_; }
  SeqNum snd_una() const { return snd_una_; }
  SeqNum snd_nxt() const { return snd_nxt_; }
  SeqNum rcv_nxt() const { return rcv_nxt_; }
  SeqNum iss() const { return iss_; }
  uint32_t rcv_wnd() const {
    return rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_)
                               : 0u;
  }
  bool iss_pending() const { return iss_pending_; }

 private:
  std::vector<Out> Closed(const Seg& s);
  std::vector<Out> ListenArrives(const Seg& s);
  std::vector<Out> SynSent(const Seg& s);
  std::vector<Out> Otherwise(const Seg& s);
  std::vector<Out> OtherwiseSteps(const Seg& s);
  std::vector<Out> TimeWaitRecordArrives(const Seg& s);
  bool Acceptable(const Seg& s) const;
  Out AckSeg() const;
  void Enter(State s) { state_ = s; }

  Deviations dev_;
  bool listening_ = false;
  bool passive_ = false;
  bool closed_ = false;  // CLOSE was called
  bool iss_pending_ = false;
  bool fin_sent_ = false;
  bool fin_deferred_ = false;  // Deviations::syn_received_close_defers_fin
  bool fin_to_emit_ = false;   // the deferred FIN is due with this segment
  SeqNum fin_seq_;             // sequence number of our FIN
  State state_ = State::kClosed;
  // The TCB, named as in RFC 9293 3.3.1.
  SeqNum iss_, irs_;
  SeqNum snd_una_, snd_nxt_, rcv_nxt_;
  uint32_t snd_wnd_ = 0;
  // RCV.NXT + RCV.WND as last announced (AdoptWindow), and the window of
  // our SYN until the peer's SYN gives RCV.NXT.
  SeqNum rcv_adv_;
  uint32_t syn_wnd_ = 0;
  // RFC 5961 5.2's MAX.SND.WND: the largest window the peer offered.
  uint32_t max_snd_wnd_ = 0;
};

}  // namespace tern::model

#endif  // TERN_TESTS_SUPPORT_RFC9293_MODEL_H_
