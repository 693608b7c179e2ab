#include "app/tern-flood/legit_clients.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace tern::flood {
namespace {

namespace ev = tcp::events;

// A catch-up burst after a loop stall opens at most 10 ms worth of
// connections at once (a choice: short against the 1 s progress period,
// long against one loop iteration), and at least one.
uint64_t OpenBurst(double rate) {
  return std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(rate / 100)));
}

// Deadlines are checked once per millisecond, not on every loop iteration:
// a deadline is then late by at most 1 ms, well under the 3 s default.
constexpr Duration kDeadlineScan = Duration::Millis(1);

// RFC 9112 section 4: status-line = HTTP-version SP status-code ...; a
// success is a 2xx of HTTP/1.1.
constexpr std::string_view kOkPrefix = "HTTP/1.1 2";

}  // namespace

LegitClients::LegitClients(port::Engine* engine, const FloodOptions& options)
    : engine_(engine),
      options_(options),
      request_(absl::StrCat("GET ", options.request_path,
                            " HTTP/1.1\r\nHost: ", options.target.ToString(),
                            "\r\nConnection: close\r\n\r\n")),
      opens_(options.legit_rate, OpenBurst(options.legit_rate)),
      conns_(options.max_connections) {
  steps_.emplace_back();
  opening_ = options.legit_rate > 0;
  free_.reserve(conns_.size());
  for (size_t i = conns_.size(); i > 0; --i) {
    free_.push_back(static_cast<uint32_t>(i - 1));
  }
}

void LegitClients::Poll(Instant now) {
  tcp::Endpoint& ep = engine_->endpoint();
  tcp::Event events[64];
  size_t n = 0;
  while ((n = ep.PollEvents(events)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      const tcp::Event& e = events[i];
      if (e.context == 0) {
        continue;
      }
      const auto slot = static_cast<uint32_t>(e.context - 1);
      // A released slot may be reused: its events carry the old handle.
      if (slot < conns_.size() && conns_[slot].in_use &&
          conns_[slot].handle == e.conn) {
        OnEvent(slot, e.mask, now);
      }
    }
  }
  if (now >= next_deadline_scan_) {
    next_deadline_scan_ = now + kDeadlineScan;
    for (uint32_t i = 0; i < conns_.size() && in_flight_ > 0; ++i) {
      Conn& c = conns_[i];
      if (c.in_use && now >= c.deadline) {
        Fail(i, c.connected ? LegitFailure::kTimeout : LegitFailure::kNoSynAck,
             /*abort=*/true, now);
      }
    }
  }
  if (opening_) {
    for (uint64_t k = opens_.Take(now, OpenBurst(options_.legit_rate)); k > 0;
         --k) {
      Open(now);
    }
  }
}

void LegitClients::Open(Instant now) {
  LegitStats& st = steps_.back();
  ++st.attempted;
  if (free_.empty()) {
    ++st.failed[static_cast<size_t>(LegitFailure::kConnectError)];
    ++st.finished;
    return;
  }
  tcp::Endpoint& ep = engine_->endpoint();
  absl::StatusOr<tcp::ConnHandle> h = engine_->Connect(
      options_.target, options_.target_port, ep.config().conn_defaults, now);
  if (!h.ok()) {
    ++st.failed[static_cast<size_t>(LegitFailure::kConnectError)];
    ++st.finished;
    return;
  }
  const uint32_t slot = free_.back();
  free_.pop_back();
  Conn& c = conns_[slot];
  c = Conn{};
  c.handle = *h;
  c.in_use = true;
  c.step = static_cast<uint32_t>(steps_.size() - 1);
  c.started = now;
  c.stall_epoch = stall_epoch_;
  c.deadline = now + Duration::Millis(options_.legit_timeout_ms);
  ++in_flight_;
  ep.SetContext(*h, uint64_t{slot} + 1);  // 0 means unset
}

void LegitClients::OnEvent(uint32_t slot, uint32_t mask, Instant now) {
  Conn& c = conns_[slot];
  if ((mask & (ev::kRefused | ev::kReset)) != 0) {
    Fail(slot, LegitFailure::kRst, /*abort=*/false, now);
    return;
  }
  if ((mask & ev::kTimedOut) != 0) {
    Fail(slot, c.connected ? LegitFailure::kTimeout : LegitFailure::kNoSynAck,
         /*abort=*/false, now);
    return;
  }
  if ((mask & ev::kConnected) != 0 && !c.connected) {
    c.connected = true;
    const auto connect = static_cast<uint64_t>((now - c.started).ToNanos());
    steps_[c.step].connect_ns.Record(connect);
    if (c.stall_epoch == stall_epoch_) {
      steps_[c.step].connect_no_stall_ns.Record(connect);
    }
    // The connection exists while its kConnected event is delivered.
    if (const tcp::Connection* conn = engine_->endpoint().Find(c.handle)) {
      steps_[c.step].syn_retransmits.Record(conn->syn_retransmits());
    }
    c.request_at = now;
  }
  if (c.connected) {
    Pump(slot, now);
  }
}

void LegitClients::Pump(uint32_t slot, Instant now) {
  Conn& c = conns_[slot];
  tcp::Endpoint& ep = engine_->endpoint();
  while (c.sent < request_.size()) {
    const std::span<const uint8_t> rest(
        reinterpret_cast<const uint8_t*>(request_.data()) + c.sent,
        request_.size() - c.sent);
    const tcp::IoResult r = ep.Send(c.handle, rest, now);
    if (!r.ok() || r.bytes == 0) {
      break;
    }
    c.sent += r.bytes;
  }
  uint8_t buf[4096];
  for (;;) {
    const tcp::IoResult r = ep.Recv(c.handle, buf, now);
    if (!r.ok()) {
      if (r.error == tcp::SockError::kConnReset) {
        Fail(slot, LegitFailure::kRst, /*abort=*/false, now);
      }
      return;  // kWouldBlock: more later
    }
    if (r.bytes == 0) {
      // End of stream: the whole response is in.
      if (c.sent == request_.size() && c.head.starts_with(kOkPrefix)) {
        Succeed(slot, now);
      } else {
        Fail(slot, LegitFailure::kBadResponse, /*abort=*/false, now);
      }
      return;
    }
    if (c.head.size() < kOkPrefix.size()) {
      c.head.append(reinterpret_cast<const char*>(buf),
                    std::min(r.bytes, kOkPrefix.size() - c.head.size()));
    }
  }
}

void LegitClients::Succeed(uint32_t slot, Instant now) {
  Conn& c = conns_[slot];
  LegitStats& st = steps_[c.step];
  st.request_ns.Record(static_cast<uint64_t>((now - c.request_at).ToNanos()));
  ++st.succeeded;
  ++st.finished;
  engine_->endpoint().Close(c.handle, now);
  Release(slot);
}

void LegitClients::Fail(uint32_t slot, LegitFailure why, bool abort,
                        Instant now) {
  Conn& c = conns_[slot];
  LegitStats& st = steps_[c.step];
  ++st.failed[static_cast<size_t>(why)];
  ++st.finished;
  tcp::Endpoint& ep = engine_->endpoint();
  if (abort) {
    ep.Abort(c.handle, now);
  } else {
    ep.Close(c.handle, now);
  }
  Release(slot);
}

void LegitClients::Release(uint32_t slot) {
  conns_[slot].in_use = false;
  free_.push_back(slot);
  --in_flight_;
}

void LegitClients::AbortAll(Instant now) {
  for (uint32_t i = 0; i < conns_.size() && in_flight_ > 0; ++i) {
    if (conns_[i].in_use) {
      Fail(i,
           conns_[i].connected ? LegitFailure::kTimeout
                               : LegitFailure::kNoSynAck,
           /*abort=*/true, now);
    }
  }
}

}  // namespace tern::flood
