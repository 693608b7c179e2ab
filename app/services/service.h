// The application interface of tern's engine: a Service serves the
// connections one listener accepts on one lcore.
//
// Contract:
// - The engine (lib/port's per-lcore loop) makes one Service object per
//   listener per lcore, through a factory given the lcore's connection bound,
//   so a service sizes its per-connection state once and allocates nothing
//   per connection or per packet afterwards.
// - Every callback runs on the owning lcore, from inside the loop, with no
//   locks. A callback may call any Conn method on the Conn it was given, and
//   only on that one, and only during the callback.
// - Order per connection: OnOpen once, then OnEvent any number of times,
//   then OnRelease exactly once, after which the slot may be reused by a new
//   connection. OnOpen is followed at once by an OnEvent with whatever is
//   already pending (data that arrived before accept, a FIN, a reset), so a
//   service never waits for an edge that already passed.
// - Event masks are tcp::events bits (lib/tcp/api.h): kReadable, kWritable,
//   kPeerClosed, kReset, kTimedOut, kClosed. The mask of OnEvent holds the
//   edges reported since the last call plus the connection's current level
//   (Endpoint::Poll), so a service that left data unread or a response
//   unsent sees kReadable / kWritable again on the next event.
// - After Close() or Abort() the service gets no more OnEvent for that
//   connection, only OnRelease.
// - A service closes every connection it is given eventually (after the
//   peer's FIN at the latest); the host releases by itself only connections
//   that were reset, timed out or finished the protocol (CLOSED, TIME-WAIT).
// - Output a service produces inside one loop iteration leaves together when
//   the loop flushes (EndpointConfig::coalesce_sends), so several Send calls
//   per callback cost no extra segments.
//
// Changes since the first version of this header (app/services/service.h at
// commit 036bacf):
// - Recv at the end of the stream returns {0, kOk}, as read(2) returns 0 and
//   as Endpoint::Recv does, instead of an error; PeerClosed() says the same.
// - OnEvent's mask includes the level bits (see above).
// - Service::OnDrain, called once per open connection when the engine begins
//   a graceful shutdown (ServiceHost::BeginDrain); by default it closes.
// - Service::counters(), named counters a service exposes for telemetry.
// - In OnRelease the Conn has given its handle back: only slot() is
//   meaningful, I/O calls return kBadHandle.
#ifndef TERN_APP_SERVICES_SERVICE_H_
#define TERN_APP_SERVICES_SERVICE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "lib/base/counters.h"
#include "lib/tcp/api.h"

namespace tern::app {

// One connection as a service sees it: the endpoint's calls with the handle
// and the loop's `now` bound.
class Conn {
 public:
  // A small dense index, unique among this lcore's open connections, below
  // the `max_connections` the service was created with: the service's
  // per-connection state lives at this index.
  virtual uint32_t slot() const = 0;
  // Consumes up to out.size() in-order bytes. kWouldBlock when nothing is
  // readable yet; {0, kOk} at the end of the stream (the peer's FIN and
  // every byte before it read), as read(2); kConnReset / kTimedOut once
  // when the connection failed.
  virtual tcp::IoResult Recv(std::span<uint8_t> out) = 0;
  // Copies up to out.size() in-order bytes without consuming them; bytes is
  // 0 when nothing is readable.
  virtual tcp::IoResult Peek(std::span<uint8_t> out) = 0;
  // Queues up to data.size() bytes; returns how many were taken (fewer when
  // the send buffer is full: then kWritable will be reported when there is
  // room again; kWouldBlock when it took nothing).
  virtual tcp::IoResult Send(std::span<const uint8_t> data) = 0;
  // Queues memory by reference (Endpoint::SendRef): all of ref.data or
  // nothing. On kOk the endpoint releases the reference once (ref.owner's
  // Release) when it is acknowledged or the connection ends; on any error
  // the caller still owns it. The default refuses (kInvalid), for Conns
  // that cannot send by reference.
  virtual tcp::IoResult SendRef(const tcp::PayloadRef& ref) {
    (void)ref;
    return {0, tcp::SockError::kInvalid};
  }
  // Half-close: sends FIN after the queued data.
  virtual void ShutdownWrite() = 0;
  // Graceful close: queued data is still delivered, then FIN. The service
  // gets OnRelease next, and no more events. Unread received data turns the
  // close into a reset (RFC 2525 2.17, as Linux), so a service that means
  // to close gracefully reads what is left first.
  virtual void Close() = 0;
  // RST at once; OnRelease follows.
  virtual void Abort() = 0;
  // The peer's FIN has been received and every byte before it read.
  virtual bool PeerClosed() const = 0;

 protected:
  ~Conn() = default;
};

// A counter a service exposes for telemetry; `name` is snake_case and
// `counter` lives as long as the service.
struct ServiceCounter {
  std::string_view name;
  const Counter* counter = nullptr;
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  virtual void OnOpen(Conn& conn) = 0;
  virtual void OnEvent(Conn& conn, uint32_t mask) = 0;
  // The connection is gone for the service (it closed or aborted it, or it
  // was reset or timed out): the slot is free again.
  virtual void OnRelease(Conn& conn) = 0;
  // The engine is shutting down: finish this connection soon (after the
  // response in progress, say). Called once per open connection; the
  // default closes at once. Events keep coming until the service closes.
  virtual void OnDrain(Conn& conn) { conn.Close(); }
  // Service-specific counters (requests, bytes); none by default.
  virtual std::span<const ServiceCounter> counters() const { return {}; }
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_SERVICE_H_
