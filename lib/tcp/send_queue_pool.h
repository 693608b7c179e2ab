// SendQueuePool: the send queues (SendQueue) of an endpoint's connections,
// taken on a connection's first Send or SendRef and given back when an idle
// connection's queue is empty.
//
// A send queue is 152 bytes of bookkeeping (the copy ring's and the
// referenced chunks') in front of the buffer memory it takes on first data;
// an idle connection needs neither. So the queue lives out of line: a
// connection holds a pointer and the limit (SO_SNDBUF) to make it with,
// takes a queue from its endpoint's pool when the application first queues
// data, and gives it back with its buffer memory when the queue has been
// empty for Connection's reclaim delay (connection.cc, kBufferReclaimDelay),
// and when the connection is destroyed. The bound is max_connections (every
// connection may hold one), so the pool refuses only when memory for a new
// chunk of records cannot be had; Send then reports the buffer full
// (kWouldBlock), as it does when the BufferAllocator has no memory, and the
// refusal is counted (EndpointStats::send_queue_refused). The pool's contract
// is RecordPool's (record_pool.h).
#ifndef TERN_LIB_TCP_SEND_QUEUE_POOL_H_
#define TERN_LIB_TCP_SEND_QUEUE_POOL_H_

#include "lib/tcp/record_pool.h"
#include "lib/tcp/send_queue.h"

namespace tern::tcp {

using SendQueuePool = RecordPool<SendQueue>;

// The unbounded pool Env uses by default (never destroyed).
inline SendQueuePool& HeapSendQueuePool() { return SendQueuePool::Heap(); }

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SEND_QUEUE_POOL_H_
