// CongestionControl: the congestion window of one connection.
//
// The contract shared by every algorithm (new_reno.h, cubic.h), all in bytes,
// all sans-I/O (time comes in as `now`):
//   OnAck                 an ACK of new data outside recovery: slow start
//                         (RFC 5681 section 3.1 eq. 2, RFC 3465 byte counting
//                         with L = 2*SMSS) or the algorithm's congestion
//                         avoidance; no growth when not cwnd-limited.
//   OnCongestionEvent     loss found by duplicate ACKs or SACK, entering fast
//                         recovery: new ssthresh, cwnd = ssthresh.
//   OnRecoveryExit        the full acknowledgment of RFC 6582 section 3.2
//                         step 3: cwnd = ssthresh (option 2).
//   OnRetransmissionTimeout  ssthresh reduced, cwnd = 1 SMSS (RFC 5681 3.1).
//   OnIdleRestart         RFC 5681 section 4.1: idle longer than the RTO
//                         restarts from min(IW, cwnd).
//   OnSpuriousRetransmission  undo the last reduction (RFC 9438 section 4.9).
// The connection owns loss detection, the recovery state and, during
// recovery, the pipe (RFC 6675) or window inflation (RFC 6582); it asks this
// module for cwnd and ssthresh only at recovery entry and exit.
// The algorithm is a std::variant alternative: each call is one switch on
// the index and a direct, inlinable call, no virtual dispatch.
#ifndef TERN_LIB_TCP_CONGESTION_CONGESTION_H_
#define TERN_LIB_TCP_CONGESTION_CONGESTION_H_

#include <cstdint>
#include <variant>

#include "lib/base/time.h"
#include "lib/tcp/congestion/cubic.h"
#include "lib/tcp/congestion/new_reno.h"
#include "lib/tcp/congestion/window.h"

namespace tern::tcp {

enum class CcAlgorithm : uint8_t { kNewReno, kCubic };

class CongestionControl {
 public:
  CongestionControl(CcAlgorithm algorithm, uint32_t smss, Instant now)
      : algo_(Make(algorithm, smss, now)) {}

  // RFC 6928 section 2: min(10*SMSS, max(2*SMSS, 14600)).
  static constexpr uint32_t InitialWindow(uint32_t smss) {
    return congestion::InitialWindow(smss);
  }

  // The same as assigning CongestionControl(algorithm, smss, now), built in
  // place: the temporary and its copy stalled on store forwarding and were
  // 5.7 % of BM_Lifecycle_ConnectionsPerSecond (perf, session 6).
  void Reset(CcAlgorithm algorithm, uint32_t smss, Instant now) {
    if (algorithm == CcAlgorithm::kCubic) {
      algo_.emplace<Cubic>(smss, now);
    } else {
      algo_.emplace<NewReno>(smss, now);
    }
  }

  CcAlgorithm algorithm() const {
    return std::holds_alternative<Cubic>(algo_) ? CcAlgorithm::kCubic
                                                : CcAlgorithm::kNewReno;
  }
  uint32_t smss() const {
    return std::visit([](const auto& a) { return a.smss(); }, algo_);
  }
  // A smaller SMSS after a path MTU decrease (RFC 1191); cwnd and ssthresh
  // stay in bytes.
  void set_smss(uint32_t smss) {
    std::visit([&](auto& a) { a.set_smss(smss); }, algo_);
  }
  void set_slow_start_limit(uint32_t segments) {
    std::visit([&](auto& a) { a.set_slow_start_limit(segments); }, algo_);
  }
  uint32_t cwnd() const {
    return std::visit([](const auto& a) { return a.cwnd(); }, algo_);
  }
  uint32_t ssthresh() const {
    return std::visit([](const auto& a) { return a.ssthresh(); }, algo_);
  }
  bool in_slow_start() const {
    return std::visit([](const auto& a) { return a.in_slow_start(); }, algo_);
  }

  // cwnd_limited: the sender had at least cwnd worth of data to send when
  // this ACK arrived (RFC 7661 section 4; RFC 9438 section 4.2).
  void OnAck(uint32_t newly_acked_bytes, uint32_t bytes_in_flight_before,
             Instant now, Duration srtt, bool cwnd_limited) {
    std::visit(
        [&](auto& a) {
          a.OnAck(newly_acked_bytes, bytes_in_flight_before, now, srtt,
                  cwnd_limited);
        },
        algo_);
  }
  // Without the flag: the flow counts as cwnd-limited when less than one
  // SMSS of the window was unused before this ACK.
  void OnAck(uint32_t newly_acked_bytes, uint32_t bytes_in_flight_before,
             Instant now, Duration srtt) {
    const bool cwnd_limited =
        uint64_t{bytes_in_flight_before} + smss() > cwnd();
    OnAck(newly_acked_bytes, bytes_in_flight_before, now, srtt, cwnd_limited);
  }
  void OnCongestionEvent(uint32_t bytes_in_flight, Instant now) {
    std::visit([&](auto& a) { a.OnCongestionEvent(bytes_in_flight, now); },
               algo_);
  }
  void OnRecoveryExit() {
    std::visit([](auto& a) { a.OnRecoveryExit(); }, algo_);
  }
  void OnRetransmissionTimeout(uint32_t bytes_in_flight) {
    std::visit([&](auto& a) { a.OnRetransmissionTimeout(bytes_in_flight); },
               algo_);
  }
  void OnIdleRestart(Instant now, Duration rto, Instant last_send) {
    std::visit([&](auto& a) { a.OnIdleRestart(now, rto, last_send); }, algo_);
  }
  void OnSpuriousRetransmission() {
    std::visit([](auto& a) { a.OnSpuriousRetransmission(); }, algo_);
  }

  // White-box access for tests and telemetry; nullptr if another algorithm.
  const Cubic* cubic() const { return std::get_if<Cubic>(&algo_); }
  const NewReno* new_reno() const { return std::get_if<NewReno>(&algo_); }

 private:
  static std::variant<NewReno, Cubic> Make(CcAlgorithm algorithm, uint32_t smss,
                                           Instant now) {
    switch (algorithm) {
      case CcAlgorithm::kNewReno:
        return NewReno(smss, now);
      case CcAlgorithm::kCubic:
        return Cubic(smss, now);
    }
    return NewReno(smss, now);
  }

  // The SMSS is the algorithm's (smss()), not held twice.
  std::variant<NewReno, Cubic> algo_;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_CONGESTION_CONGESTION_H_
