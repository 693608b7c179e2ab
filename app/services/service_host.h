// ServiceHost: runs Services over the connections of one tcp::Endpoint, the
// application half of the per-lcore loop.
//
// The loop calls, per iteration:
//   endpoint.OnSegments(...) for the receive burst, host.Run(now),
//   endpoint.Flush(now), endpoint.OnTimers(now) when due, then transmits
//   (lib/port's Engine::PollOnce).
// Run drains the endpoint's readiness events (Endpoint::PollEvents), accepts
// what the registered listeners have queued and hands every connection event
// to the service that owns the connection (app/services/service.h).
//
// Contract:
// - The host owns the endpoint's application side: nobody else calls
//   PollEvents, Accept, Close or Abort on it, and every listener on it is
//   registered (events of unregistered listeners and connections are counted
//   in unknown_events and otherwise ignored).
// - Per connection: OnOpen, then at once OnEvent with the connection's level
//   mask (Endpoint::Poll), so data or a FIN that arrived before accept is
//   seen; then OnEvent per batch of edges, with the level bits added; then
//   OnRelease exactly once, when the service called Close or Abort (the
//   host gives the handle back with Endpoint::Close / Endpoint::Abort), or
//   after the event that reported a reset, a timeout, CLOSED or TIME-WAIT
//   (the host gives the handle back with Endpoint::Close).
// - Nothing is allocated after construction: per-connection bookkeeping is a
//   vector sized from EndpointConfig::max_connections and indexed by
//   ConnHandle::index, checked against the handle's generation; Register
//   allocates (control plane).
// - Run handles at most max_connections + max_listeners events per call (the
//   endpoint's ready-list bound), so callbacks that cause new events cannot
//   keep it running; the rest waits for the next call.
// - Single-threaded, owned by the endpoint's lcore. Counters have one writer
//   (that lcore) and may be read from any thread (lib/base/counters.h).
#ifndef TERN_APP_SERVICES_SERVICE_HOST_H_
#define TERN_APP_SERVICES_SERVICE_HOST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "app/services/service.h"
#include "lib/base/counters.h"
#include "lib/base/time.h"
#include "lib/tcp/api.h"
#include "lib/tcp/endpoint.h"

namespace tern::app {

// Counters of one registered service.
struct ServiceStats {
  Counter accepted;
  Counter released;
  Counter closed_by_service;   // Conn::Close
  Counter aborted_by_service;  // Conn::Abort
  Counter reset;               // kReset: RST received
  Counter timed_out;           // kTimedOut: retransmissions or keepalive
  Counter drained;             // closed by CloseAll / AbortAll
  uint64_t open() const { return accepted.Get() - released.Get(); }
};

// Counters of the host, all services together.
struct HostStats {
  Counter runs;
  Counter events;  // endpoint events handled
  Counter accepted;
  Counter released;
  Counter unknown_events;  // for listeners or connections the host does not own
};

class ServiceHost {
 public:
  // The host drives `endpoint`, which must outlive it.
  explicit ServiceHost(tcp::Endpoint& endpoint);
  ~ServiceHost();
  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Serves the connections `listener` accepts with `service`.
  // InvalidArgument for a null service or a listener the endpoint does not
  // know; AlreadyExists when the listener has a service already;
  // FailedPrecondition once draining.
  absl::Status Register(tcp::ListenerHandle listener,
                        std::unique_ptr<Service> service);

  // Handles every pending endpoint event (up to the bound above).
  void Run(Instant now);

  // Graceful shutdown, step one: closes every registered listener (their
  // accept queues are reset, Endpoint::CloseListener) and calls OnDrain once
  // per open connection. Run keeps serving what is open; open_connections()
  // tells when all finished. Calling it again does nothing.
  void BeginDrain(Instant now);
  bool draining() const { return draining_; }
  // The end of a drain: gives every open connection back with a graceful
  // close (Endpoint::Close: FIN, or RST with unread data) or a reset
  // (Endpoint::Abort), calling OnRelease for each.
  void CloseAll(Instant now);
  void AbortAll(Instant now);

  // ---- observation
  size_t open_connections() const { return open_; }
  const HostStats& stats() const { return stats_; }
  size_t service_count() const { return services_.size(); }
  // i < service_count(), in registration order.
  const Service& service(size_t i) const { return *services_[i]->service; }
  const ServiceStats& service_stats(size_t i) const {
    return services_[i]->stats;
  }
  tcp::ListenerHandle service_listener(size_t i) const {
    return services_[i]->listener;
  }

 private:
  class ConnImpl;
  struct Entry {
    tcp::ListenerHandle listener;
    std::unique_ptr<Service> service;
    ServiceStats stats;
  };
  enum class SlotState : uint8_t { kFree, kOpen };
  struct Slot {
    tcp::ConnHandle handle;
    uint16_t service = 0;
    SlotState state = SlotState::kFree;
  };
  // How many events and accepted handles are taken from the endpoint at a
  // time: a burst, as DPDK's 32-packet bursts.
  static constexpr size_t kEventBatch = 32;
  static constexpr size_t kAcceptBatch = 32;
  static constexpr uint16_t kNoService = UINT16_MAX;

  void AcceptFrom(const tcp::Event& e, Instant now);
  void Open(uint16_t service, tcp::ConnHandle h, Instant now);
  void Dispatch(const tcp::Event& e, Instant now);
  // Calls OnEvent and releases the connection when the service gave it back
  // or the event ended it.
  void Deliver(Slot& slot, uint32_t mask, Instant now);
  // Counts a Close or Abort the service made, then releases.
  void GivenBack(Slot& slot, const ConnImpl& conn, Instant now);
  // Frees the slot and calls OnRelease; the handle was given back already.
  void Release(Slot& slot, Instant now);
  enum class GiveBack : uint8_t { kClose, kAbort };
  void ReleaseAll(GiveBack how, Instant now);

  tcp::Endpoint& endpoint_;
  std::vector<std::unique_ptr<Entry>> services_;
  // listener index -> service, with the listener generation it was
  // registered for.
  struct ListenerSlot {
    uint32_t generation = 0;
    uint16_t service = kNoService;
  };
  std::vector<ListenerSlot> by_listener_;
  std::vector<Slot> slots_;
  size_t open_ = 0;
  bool draining_ = false;
  std::array<tcp::Event, kEventBatch> events_{};
  HostStats stats_;
};

}  // namespace tern::app

#endif  // TERN_APP_SERVICES_SERVICE_HOST_H_
