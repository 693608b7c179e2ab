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
//   kPeerClosed, kReset, kTimedOut, kClosed.
// - After Close() or Abort() the service gets no more OnEvent for that
//   connection, only OnRelease.
// - Output a service produces inside one loop iteration leaves together when
//   the loop flushes (EndpointConfig::coalesce_sends), so several Send calls
//   per callback cost no extra segments.
#ifndef TERN_APP_SERVICES_SERVICE_H_
#define TERN_APP_SERVICES_SERVICE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

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
  // Consumes up to out.size() in-order bytes. bytes == 0 with kOk never
  // happens; kWouldBlock when nothing is readable; after the peer's FIN and
  // all data read, bytes == 0 and error kOk is not returned either: use
  // PeerClosed().
  virtual tcp::IoResult Recv(std::span<uint8_t> out) = 0;
  // Copies up to out.size() in-order bytes without consuming them.
  virtual tcp::IoResult Peek(std::span<uint8_t> out) = 0;
  // Queues up to data.size() bytes; returns how many were taken (fewer when
  // the send buffer is full: then kWritable will be reported when there is
  // room again).
  virtual tcp::IoResult Send(std::span<const uint8_t> data) = 0;
  // Half-close: sends FIN after the queued data.
  virtual void ShutdownWrite() = 0;
  // Graceful close: queued data is still delivered, then FIN. The service
  // gets OnRelease next, and no more events.
  virtual void Close() = 0;
  // RST at once; OnRelease follows.
  virtual void Abort() = 0;
  // The peer's FIN has been received and every byte before it read.
  virtual bool PeerClosed() const = 0;

 protected:
  ~Conn() = default;
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
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_SERVICE_H_
