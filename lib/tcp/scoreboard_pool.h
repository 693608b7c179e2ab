// ScoreboardPool: the SACK scoreboards (SackScoreboard, RFC 6675) of an
// endpoint's connections, taken on first use and given back when empty.
//
// A scoreboard records SACKed ranges above SND.UNA: it is empty unless a
// segment was lost or reordered in flight, and an empty scoreboard answers
// every RFC 6675 query (IsLost, Pipe, NextSeg) as no scoreboard would. So the
// 272-byte scoreboard lives out of line: a connection holds a pointer, takes
// a scoreboard from its endpoint's pool on the first ACK whose SACK blocks
// it must record, and gives it back as soon as the scoreboard is empty again
// (cumulative ACKs covered every range, or a retransmission timeout forgot
// them, RFC 2018 section 8) and when the connection is destroyed. At the
// bound (EndpointConfig::max_sack_scoreboards) the ACK's SACK blocks are not
// recorded, which RFC 2018 allows (forgetting SACK information only makes
// the sender treat bytes as outstanding), and the refusal is counted
// (EndpointStats::sack_scoreboard_refused). The pool's contract is
// RecordPool's (record_pool.h).
#ifndef TERN_LIB_TCP_SCOREBOARD_POOL_H_
#define TERN_LIB_TCP_SCOREBOARD_POOL_H_

#include "lib/tcp/record_pool.h"
#include "lib/tcp/sack_scoreboard.h"

namespace tern::tcp {

using ScoreboardPool = RecordPool<SackScoreboard>;

// The unbounded pool Env uses by default (never destroyed).
inline ScoreboardPool& HeapScoreboardPool() { return ScoreboardPool::Heap(); }

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SCOREBOARD_POOL_H_
