#include "app/services/service_host.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/dcheck.h"
#include "lib/tcp/connection.h"
#include "lib/tcp/state.h"

namespace tern::app {

namespace ev = tcp::events;

// The Conn a callback gets: built on the stack per callback, so binding the
// handle and `now` costs nothing per connection.
class ServiceHost::ConnImpl final : public Conn {
 public:
  ConnImpl(tcp::Endpoint& endpoint, tcp::ConnHandle handle, Instant now,
           bool given_back = false)
      : endpoint_(endpoint),
        handle_(handle),
        now_(now),
        given_back_(given_back) {}

  uint32_t slot() const override { return handle_.index; }

  tcp::IoResult Recv(std::span<uint8_t> out) override {
    if (given_back_) {
      return {0, tcp::SockError::kBadHandle};
    }
    return endpoint_.Recv(handle_, out, now_);
  }

  tcp::IoResult Peek(std::span<uint8_t> out) override {
    if (given_back_) {
      return {0, tcp::SockError::kBadHandle};
    }
    return endpoint_.Peek(handle_, out);
  }

  tcp::IoResult Send(std::span<const uint8_t> data) override {
    if (given_back_) {
      return {0, tcp::SockError::kBadHandle};
    }
    return endpoint_.Send(handle_, data, now_);
  }

  tcp::IoResult SendRef(const tcp::PayloadRef& ref) override {
    if (given_back_) {
      return {0, tcp::SockError::kBadHandle};
    }
    return endpoint_.SendRef(handle_, ref, now_);
  }

  void ShutdownWrite() override {
    if (!given_back_) {
      endpoint_.ShutdownWrite(handle_, now_);
    }
  }

  void Close() override {
    if (!given_back_) {
      endpoint_.Close(handle_, now_);
      given_back_ = true;
      closed_ = true;
    }
  }

  void Abort() override {
    if (!given_back_) {
      endpoint_.Abort(handle_, now_);
      given_back_ = true;
      aborted_ = true;
    }
  }

  bool PeerClosed() const override {
    if (given_back_) {
      return false;
    }
    const tcp::Connection* c = endpoint_.Find(handle_);
    return c != nullptr && c->readable_bytes() == 0 &&
           (c->Poll() & ev::kPeerClosed) != 0;
  }

  bool given_back() const { return given_back_; }
  bool closed() const { return closed_; }
  bool aborted() const { return aborted_; }

 private:
  tcp::Endpoint& endpoint_;
  const tcp::ConnHandle handle_;
  const Instant now_;
  bool given_back_;
  bool closed_ = false;
  bool aborted_ = false;
};

ServiceHost::ServiceHost(tcp::Endpoint& endpoint)
    : endpoint_(endpoint),
      by_listener_(endpoint.config().max_listeners),
      slots_(endpoint.config().max_connections) {}

ServiceHost::~ServiceHost() = default;

absl::Status ServiceHost::Register(tcp::ListenerHandle listener,
                                   std::unique_ptr<Service> service) {
  if (service == nullptr) {
    return absl::InvalidArgumentError("Register: null service");
  }
  if (draining_) {
    return absl::FailedPreconditionError("Register: the host is draining");
  }
  if (listener.index >= by_listener_.size() ||
      endpoint_.listener_stats(listener) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("Register: no open listener with index ", listener.index,
                     " generation ", listener.generation));
  }
  ListenerSlot& ls = by_listener_[listener.index];
  if (ls.service != kNoService && ls.generation == listener.generation) {
    return absl::AlreadyExistsError(absl::StrCat(
        "Register: listener ", listener.index, " is served by ",
        std::string(services_[ls.service]->service->name()), " already"));
  }
  if (services_.size() >= kNoService) {
    return absl::ResourceExhaustedError("Register: too many services");
  }
  auto entry = std::make_unique<Entry>();
  entry->listener = listener;
  entry->service = std::move(service);
  ls.generation = listener.generation;
  ls.service = static_cast<uint16_t>(services_.size());
  services_.push_back(std::move(entry));
  return absl::OkStatus();
}

void ServiceHost::Run(Instant now) {
  stats_.runs.Inc();
  size_t budget = slots_.size() + by_listener_.size();
  while (budget > 0) {
    const size_t want = std::min(kEventBatch, budget);
    const size_t n = endpoint_.PollEvents(std::span(events_).first(want));
    stats_.events.Add(n);
    for (size_t i = 0; i < n; ++i) {
      if (events_[i].listener.valid()) {
        AcceptFrom(events_[i], now);
      } else {
        Dispatch(events_[i], now);
      }
    }
    budget -= n;
    if (n < want) {
      break;
    }
  }
}

void ServiceHost::AcceptFrom(const tcp::Event& e, Instant now) {
  const tcp::ListenerHandle l = e.listener;
  if (l.index >= by_listener_.size() ||
      by_listener_[l.index].service == kNoService ||
      by_listener_[l.index].generation != l.generation) {
    stats_.unknown_events.Inc();
    return;
  }
  const uint16_t service = by_listener_[l.index].service;
  std::array<tcp::ConnHandle, kAcceptBatch> handles;
  for (;;) {
    const size_t n = endpoint_.Accept(l, handles);
    for (size_t i = 0; i < n; ++i) {
      Open(service, handles[i], now);
    }
    if (n < handles.size()) {
      break;
    }
  }
}

void ServiceHost::Open(uint16_t service, tcp::ConnHandle h, Instant now) {
  if (h.index >= slots_.size() || slots_[h.index].state != SlotState::kFree) {
    // The slab hands out indices below max_connections, unique among live
    // records: this would be an endpoint bug. Refuse the connection.
    TERN_DCHECK(false);
    endpoint_.Abort(h, now);
    return;
  }
  Slot& slot = slots_[h.index];
  slot.handle = h;
  slot.service = service;
  slot.state = SlotState::kOpen;
  ++open_;
  stats_.accepted.Inc();
  Entry& entry = *services_[service];
  entry.stats.accepted.Inc();
  ConnImpl conn(endpoint_, h, now);
  entry.service->OnOpen(conn);
  if (conn.given_back()) {
    GivenBack(slot, conn, now);
    return;
  }
  // What happened before accept (data, FIN) produced its edges while nobody
  // listened: the level is the whole story.
  Deliver(slot, endpoint_.Poll(h), now);
}

void ServiceHost::Dispatch(const tcp::Event& e, Instant now) {
  if (e.conn.index >= slots_.size() ||
      slots_[e.conn.index].state != SlotState::kOpen ||
      slots_[e.conn.index].handle != e.conn) {
    stats_.unknown_events.Inc();
    return;
  }
  Deliver(slots_[e.conn.index], e.mask | endpoint_.Poll(e.conn), now);
}

void ServiceHost::Deliver(Slot& slot, uint32_t mask, Instant now) {
  Entry& entry = *services_[slot.service];
  ConnImpl conn(endpoint_, slot.handle, now);
  entry.service->OnEvent(conn, mask);
  if (conn.given_back()) {
    GivenBack(slot, conn, now);
    return;
  }
  // The protocol is over when the endpoint said so (a reset, a timeout,
  // CLOSED) or the connection sits in TIME-WAIT, which no application call
  // can leave: nothing more can be read or sent.
  bool over = (mask & (ev::kReset | ev::kTimedOut | ev::kClosed)) != 0;
  if (!over) {
    const tcp::Connection* c = endpoint_.Find(slot.handle);
    over = c == nullptr || c->state() == tcp::State::kClosed ||
           c->state() == tcp::State::kTimeWait;
  }
  if (!over) {
    return;
  }
  if ((mask & ev::kReset) != 0) {
    entry.stats.reset.Inc();
  } else if ((mask & ev::kTimedOut) != 0) {
    entry.stats.timed_out.Inc();
  }
  endpoint_.Close(slot.handle, now);
  Release(slot, now);
}

void ServiceHost::GivenBack(Slot& slot, const ConnImpl& conn, Instant now) {
  ServiceStats& stats = services_[slot.service]->stats;
  (conn.closed() ? stats.closed_by_service : stats.aborted_by_service).Inc();
  Release(slot, now);
}

void ServiceHost::Release(Slot& slot, Instant now) {
  TERN_DCHECK(slot.state == SlotState::kOpen);
  slot.state = SlotState::kFree;
  --open_;
  stats_.released.Inc();
  Entry& entry = *services_[slot.service];
  entry.stats.released.Inc();
  ConnImpl conn(endpoint_, slot.handle, now, /*given_back=*/true);
  entry.service->OnRelease(conn);
}

void ServiceHost::BeginDrain(Instant now) {
  if (draining_) {
    return;
  }
  draining_ = true;
  for (const std::unique_ptr<Entry>& entry : services_) {
    endpoint_.CloseListener(entry->listener, now);
  }
  for (Slot& slot : slots_) {
    if (slot.state != SlotState::kOpen) {
      continue;
    }
    Entry& entry = *services_[slot.service];
    ConnImpl conn(endpoint_, slot.handle, now);
    entry.service->OnDrain(conn);
    if (conn.given_back()) {
      GivenBack(slot, conn, now);
    }
  }
}

void ServiceHost::CloseAll(Instant now) { ReleaseAll(GiveBack::kClose, now); }

void ServiceHost::AbortAll(Instant now) { ReleaseAll(GiveBack::kAbort, now); }

void ServiceHost::ReleaseAll(GiveBack how, Instant now) {
  for (Slot& slot : slots_) {
    if (open_ == 0) {
      break;
    }
    if (slot.state != SlotState::kOpen) {
      continue;
    }
    if (how == GiveBack::kClose) {
      endpoint_.Close(slot.handle, now);
    } else {
      endpoint_.Abort(slot.handle, now);
    }
    services_[slot.service]->stats.drained.Inc();
    Release(slot, now);
  }
}

}  // namespace tern::app
