// KeepalivePool: the keepalive state (KeepaliveState) of an endpoint's
// connections, taken when the application turns keepalive on (the
// listener's or connect's ConnOptions::keepalive, or SetKeepalive) and
// given back when it is off again and no probe is outstanding.
//
// RFC 1122 section 4.2.3.6: keepalive MUST default to off, and it is seldom
// turned on, but its settings, probe count and probe deadline took 44 bytes
// of every connection (32 in its copy of ConnOptions). So they live out of
// line: a connection holds a pointer, null while keepalive is off
// (doc/benchmarks.md, issue 12). The bound is max_connections (every connection
// may hold one), so the pool refuses only when memory for a new chunk of
// records cannot be had; keepalive then stays off, Endpoint::SetKeepalive
// reports kNoResources, and the refusal is counted
// (EndpointStats::keepalive_refused). The pool's contract is RecordPool's
// (record_pool.h).
#ifndef TERN_LIB_TCP_KEEPALIVE_POOL_H_
#define TERN_LIB_TCP_KEEPALIVE_POOL_H_

#include "lib/base/time.h"
#include "lib/tcp/record_pool.h"

namespace tern::tcp {

// One connection's keepalive (RFC 1122 4.2.3.6): the settings of its
// KeepaliveOptions and the probes sent since the last segment received.
struct KeepaliveState {
  Duration idle;      // KeepaliveOptions::idle
  Duration interval;  // KeepaliveOptions::interval
  // When the next probe goes (or the connection times out); meaningful
  // while sent > 0, before the first probe the deadline is the last
  // segment received plus idle.
  Instant deadline = Instant::Never();
  int probes = 0;  // KeepaliveOptions::probes
  int sent = 0;    // probes unanswered; any segment received clears it
};

using KeepalivePool = RecordPool<KeepaliveState>;

// The unbounded pool Env uses by default (never destroyed).
inline KeepalivePool& HeapKeepalivePool() { return KeepalivePool::Heap(); }

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_KEEPALIVE_POOL_H_
