// AssemblerPool: the out-of-order reassembly state (Assembler) of an
// endpoint's connections, taken on first use and given back when empty.
//
// Most connections never hold a byte out of order, so the Assembler (about
// 412 bytes, fixed by Assembler::kMaxRanges) lives out of line: a connection
// holds a pointer, taken from its endpoint's pool when its first
// out-of-order segment (or FIN) arrives and given back when every hole has
// filled, when the FIN is reached, and when the connection is destroyed.
// Sizing and the drop at exhaustion: doc/reassembly.md. The pool's contract
// (bounded, grown in chunks on first use, O(1) Take and Give) is
// RecordPool's (record_pool.h).
#ifndef TERN_LIB_TCP_ASSEMBLER_POOL_H_
#define TERN_LIB_TCP_ASSEMBLER_POOL_H_

#include "lib/tcp/assembler.h"
#include "lib/tcp/record_pool.h"

namespace tern::tcp {

using AssemblerPool = RecordPool<Assembler>;

// The unbounded pool Env uses by default (never destroyed).
inline AssemblerPool& HeapAssemblerPool() { return AssemblerPool::Heap(); }

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ASSEMBLER_POOL_H_
