// NewReno window arithmetic: RFC 5681 sections 3.1 and 4.1, RFC 3465 section
// 2, RFC 6582 section 3.2.
#include "lib/tcp/congestion/new_reno.h"

#include <algorithm>

#include "lib/tcp/congestion/window.h"

namespace tern::tcp {

using congestion::InitialWindow;
using congestion::SlowStartIncrease;
using congestion::SsthreshFloor;

NewReno::NewReno(uint32_t smss, Instant /*now*/)
    : smss_(smss),
      cwnd_(InitialWindow(smss)),
      ssthresh_(congestion::kInitialSsthresh) {}

void NewReno::OnAck(uint32_t newly_acked_bytes,
                    uint32_t /*bytes_in_flight_before*/, Instant /*now*/,
                    Duration /*srtt*/, bool cwnd_limited) {
  if (newly_acked_bytes == 0) {
    return;
  }
  // New data acknowledged: a later timeout is a new loss episode.
  rto_pending_ = false;
  if (!cwnd_limited) {
    return;
  }
  if (in_slow_start()) {
    cwnd_ = SlowStartIncrease(cwnd_, newly_acked_bytes, smss_, ss_limit_);
    return;
  }
  // Byte counting: once a full cwnd of bytes has been acknowledged, cwnd
  // grows by one SMSS, i.e. one SMSS per RTT whatever the ACK pattern
  // (equation 3 gives slightly less, and less again with delayed ACKs).
  bytes_acked_ += std::min(newly_acked_bytes, cwnd_);
  if (bytes_acked_ >= cwnd_) {
    bytes_acked_ -= cwnd_;
    cwnd_ = static_cast<uint32_t>(
        std::min<uint64_t>(uint64_t{cwnd_} + smss_, UINT32_MAX));
  }
}

void NewReno::SaveForUndo() {
  has_undo_ = true;
  undo_cwnd_ = cwnd_;
  undo_ssthresh_ = ssthresh_;
}

void NewReno::OnCongestionEvent(uint32_t bytes_in_flight, Instant /*now*/) {
  SaveForUndo();
  ssthresh_ = std::max(bytes_in_flight / 2, SsthreshFloor(smss_));
  cwnd_ = ssthresh_;
  bytes_acked_ = 0;
}

void NewReno::OnRecoveryExit() {
  // RFC 6582 section 3.2 step 3 option (2): cwnd = ssthresh. Option (1)
  // needs FlightSize; the connection avoids the burst option (2) may allow
  // by sending no more than its burst limit per ACK.
  cwnd_ = ssthresh_;
  bytes_acked_ = 0;
}

void NewReno::OnRetransmissionTimeout(uint32_t bytes_in_flight) {
  if (!rto_pending_) {
    SaveForUndo();
    ssthresh_ = std::max(bytes_in_flight / 2, SsthreshFloor(smss_));
    rto_pending_ = true;
  }
  // RFC 5681 section 3.1: LW = 1 full-sized segment.
  cwnd_ = smss_;
  bytes_acked_ = 0;
}

void NewReno::OnIdleRestart(Instant now, Duration rto, Instant last_send) {
  if (now - last_send > rto) {
    cwnd_ = std::min(InitialWindow(smss_), cwnd_);
    bytes_acked_ = 0;
  }
}

void NewReno::OnSpuriousRetransmission() {
  if (!has_undo_) {
    return;
  }
  // Restore the window the false loss took away (see the header).
  cwnd_ = std::max(cwnd_, undo_cwnd_);
  ssthresh_ = undo_ssthresh_;
  has_undo_ = false;
  rto_pending_ = false;
}

}  // namespace tern::tcp
