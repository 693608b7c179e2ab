// LegitClients: tern-flood's legitimate load, run inside the engine's loop
// (port::Application) through the engine's own active opens.
//
// Contract:
// - While opening (until StopOpening), Poll opens connections to the
//   target at `legit_rate` per second (a token bucket on the loop's clock)
//   with Engine::Connect. Each one: handshake; on kConnected its connect
//   latency (Connect call -> kConnected, i.e. SYN out -> SYN-ACK in plus
//   one loop iteration) goes into connect_ns, the SYN retransmissions it
//   needed (tcp::Connection::syn_retransmits) into syn_retransmits, and
//   the GET
//   "GET <path> HTTP/1.1 / Host / Connection: close" is queued; the
//   response is read to end of stream; a response starting with
//   "HTTP/1.1 2" counts as a success and its request latency (GET queued ->
//   end of stream) goes into request_ns; then the connection is closed.
// - Failures, one reason each (report.h LegitFailure): kRefused or kReset
//   -> kRst; kTimedOut or the per-connection deadline (legit_timeout_ms)
//   before kConnected -> kNoSynAck, after it -> kTimeout (the connection is
//   aborted); a non-2xx or malformed status line -> kBadResponse; Connect
//   refusing -> kConnectError.
// - AbortAll ends what is in flight as deadline failures (kNoSynAck or
//   kTimeout). Idle() is true when nothing is in flight.
// - Steps: a connection counts in the step that was current when it was
//   opened (NextStep starts a new one; step 0 exists from the start), so a
//   stepped flood gets each step's attempts, outcomes and latencies apart
//   even when connections straddle a step boundary.
// - NoteStall: the caller's loop found it was off its core (an iteration
//   began 1 ms or more after the one before, main.cc's kStall) and says so
//   before the iteration's poll. A connection whose Connect came before a
//   stall and its kConnected after it has its connect latency in
//   connect_ns only; the others in connect_no_stall_ns as well.
// - One lcore; the engine must outlive it.
#ifndef TERN_APP_TERN_FLOOD_LEGIT_CLIENTS_H_
#define TERN_APP_TERN_FLOOD_LEGIT_CLIENTS_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "app/tern-flood/flood_options.h"
#include "app/tern-flood/report.h"
#include "app/tern-flood/token_bucket.h"
#include "lib/base/histogram.h"
#include "lib/port/engine.h"

namespace tern::flood {

class LegitClients final : public port::Application {
 public:
  LegitClients(port::Engine* engine, const FloodOptions& options);

  void Poll(Instant now) override;
  void AbortAll(Instant now) override;
  bool Drained() const override { return in_flight_ == 0; }

  void StopOpening() { opening_ = false; }
  bool Idle() const { return in_flight_ == 0; }
  void NextStep() { steps_.emplace_back(); }
  void NoteStall() { ++stall_epoch_; }
  size_t steps() const { return steps_.size(); }
  const LegitStats& step(size_t i) const { return steps_[i]; }
  const LegitStats& current() const { return steps_.back(); }

 private:
  struct Conn {
    tcp::ConnHandle handle;
    bool in_use = false;
    bool connected = false;
    uint32_t step = 0;
    uint64_t stall_epoch = 0;  // stall_epoch_ at Connect
    Instant started;
    Instant deadline;
    Instant request_at;
    size_t sent = 0;
    std::string head;  // the response's first bytes (status line)
  };

  void Open(Instant now);
  void OnEvent(uint32_t slot, uint32_t mask, Instant now);
  void Pump(uint32_t slot, Instant now);
  void Succeed(uint32_t slot, Instant now);
  void Fail(uint32_t slot, LegitFailure why, bool abort, Instant now);
  void Release(uint32_t slot);

  port::Engine* engine_;
  FloodOptions options_;
  std::string request_;
  TokenBucket opens_;
  bool opening_ = true;
  std::vector<Conn> conns_;
  std::vector<uint32_t> free_;
  uint32_t in_flight_ = 0;
  uint64_t stall_epoch_ = 0;  // NoteStall calls so far
  Instant next_deadline_scan_;
  std::deque<LegitStats> steps_;  // stable references as steps are added
};

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_LEGIT_CLIENTS_H_
