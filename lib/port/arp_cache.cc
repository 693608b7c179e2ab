#include "lib/port/arp_cache.h"

#include <bit>

#include "lib/base/dcheck.h"

namespace tern::port {

ArpCache::ArpCache(const ArpCacheOptions& options, Callbacks* callbacks,
                   ArpCounters* counters)
    : options_(options),
      callbacks_(callbacks),
      counters_(counters),
      entries_(options.capacity),
      index_(std::bit_ceil(options.capacity * 2), 0),
      pending_(options.capacity * options.pending_per_entry, nullptr) {
  TERN_DCHECK(options.capacity > 0);
  TERN_DCHECK(options.pending_per_entry > 0 &&
              options.pending_per_entry <= UINT16_MAX);
}

ArpCache::~ArpCache() { DropAllPending(); }

size_t ArpCache::Slot(wire::Ipv4Addr ip) const {
  // Fibonacci hashing of the address (Knuth, TAOCP vol. 3, 6.4).
  const uint32_t h = ip.value * 2654435769u;
  return h & (index_.size() - 1);
}

const ArpCache::Entry* ArpCache::Find(wire::Ipv4Addr ip) const {
  if (last_ < entries_.size() && entries_[last_].state != State::kFree &&
      entries_[last_].ip == ip) {
    return &entries_[last_];
  }
  for (size_t s = Slot(ip);; s = (s + 1) & (index_.size() - 1)) {
    const uint32_t v = index_[s];
    if (v == 0) {
      return nullptr;
    }
    const Entry& e = entries_[v - 1];
    if (e.state != State::kFree && e.ip == ip) {
      return &e;
    }
  }
}

ArpCache::Entry* ArpCache::Find(wire::Ipv4Addr ip) {
  const Entry* e = static_cast<const ArpCache*>(this)->Find(ip);
  if (e != nullptr) {
    last_ = static_cast<size_t>(e - entries_.data());
  }
  return const_cast<Entry*>(e);
}

void ArpCache::RebuildIndex() {
  std::fill(index_.begin(), index_.end(), 0);
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].state == State::kFree) {
      continue;
    }
    size_t s = Slot(entries_[i].ip);
    while (index_[s] != 0) {
      s = (s + 1) & (index_.size() - 1);
    }
    index_[s] = static_cast<uint32_t>(i + 1);
  }
}

ArpCache::Entry* ArpCache::Insert(wire::Ipv4Addr ip, Instant now) {
  size_t victim = entries_.size();
  if (used_ < entries_.size()) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].state == State::kFree) {
        victim = i;
        break;
      }
    }
  } else {
    // Full: evict the stale entry confirmed longest ago that holds no
    // packets. Reachable and incomplete entries are in use and stay.
    Instant oldest = Instant::Never();
    for (size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      const bool stale =
          e.state == State::kStale || (e.state == State::kReachable &&
                                       now - e.confirmed >= options_.reachable);
      if (stale && e.pending_count == 0 && e.confirmed < oldest) {
        oldest = e.confirmed;
        victim = i;
      }
    }
    if (victim == entries_.size()) {
      counters_->table_full.Inc();
      return nullptr;
    }
    entries_[victim].state = State::kFree;
    --used_;
    RebuildIndex();
  }
  Entry& e = entries_[victim];
  e = Entry{};
  e.ip = ip;
  e.state = State::kIncomplete;
  ++used_;
  size_t s = Slot(ip);
  while (index_[s] != 0) {
    s = (s + 1) & (index_.size() - 1);
  }
  index_[s] = static_cast<uint32_t>(victim + 1);
  last_ = victim;
  return &e;
}

ArpCache::Packet& ArpCache::PendingAt(const Entry& e, size_t i) {
  const size_t base =
      static_cast<size_t>(&e - entries_.data()) * options_.pending_per_entry;
  return pending_[base + (e.pending_head + i) % options_.pending_per_entry];
}

ArpCache::Result ArpCache::Resolve(wire::Ipv4Addr ip, Instant now, Packet pkt,
                                   wire::MacAddr* mac) {
  Entry* e = Find(ip);
  if (e != nullptr && e->state != State::kIncomplete) {
    if (e->state == State::kReachable &&
        now - e->confirmed >= options_.reachable) {
      e->state = State::kStale;
    }
    if (e->state == State::kStale && !e->probing) {
      // Re-confirm in the background; the old binding serves meanwhile.
      e->probing = true;
      FirstRequest(*e, now);
    }
    *mac = e->mac;
    return Result::kResolved;
  }
  if (e == nullptr) {
    e = Insert(ip, now);
    if (e == nullptr) {
      return Result::kDroppedTableFull;
    }
    FirstRequest(*e, now);
  }
  if (e->pending_count >= options_.pending_per_entry) {
    counters_->pending_dropped_full.Inc();
    return Result::kDroppedPendingFull;
  }
  PendingAt(*e, e->pending_count) = pkt;
  ++e->pending_count;
  ++pending_total_;
  counters_->pending_queued.Inc();
  return Result::kQueued;
}

bool ArpCache::Solicit(wire::Ipv4Addr ip, Instant now) {
  if (Find(ip) != nullptr) {
    return false;
  }
  Entry* e = Insert(ip, now);
  if (e == nullptr) {
    return false;
  }
  FirstRequest(*e, now);
  return true;
}

void ArpCache::FirstRequest(Entry& e, Instant now) {
  e.probes = 1;
  e.next_request = now + options_.retransmit;
  counters_->requests_sent.Inc();
  callbacks_->SendArpRequest(e.ip);
}

void ArpCache::FlushPending(Entry& e) {
  while (e.pending_count > 0) {
    Packet p = PendingAt(e, 0);
    e.pending_head = static_cast<uint16_t>((e.pending_head + 1) %
                                           options_.pending_per_entry);
    --e.pending_count;
    --pending_total_;
    counters_->pending_sent.Inc();
    callbacks_->SendPending(p, e.mac);
  }
  e.pending_head = 0;
}

void ArpCache::DropPendingOf(Entry& e) {
  while (e.pending_count > 0) {
    Packet p = PendingAt(e, 0);
    e.pending_head = static_cast<uint16_t>((e.pending_head + 1) %
                                           options_.pending_per_entry);
    --e.pending_count;
    --pending_total_;
    callbacks_->DropPending(p);
  }
  e.pending_head = 0;
}

void ArpCache::Learn(wire::Ipv4Addr ip, const wire::MacAddr& mac, Instant now,
                     bool update_only) {
  if (mac.IsMulticast()) {
    return;  // never a valid hardware address for a unicast host
  }
  Entry* e = Find(ip);
  const bool existed = e != nullptr;
  if (e == nullptr) {
    if (update_only) {
      return;
    }
    e = Insert(ip, now);
    if (e == nullptr) {
      return;
    }
  }
  if (existed && e->state == State::kIncomplete) {
    counters_->resolved.Inc();  // an answer to our request
  }
  if (e->state == State::kIncomplete || e->mac != mac) {
    counters_->learned.Inc();
  }
  e->mac = mac;
  e->state = State::kReachable;
  e->confirmed = now;
  e->probing = false;
  e->probes = 0;
  FlushPending(*e);
}

void ArpCache::Tick(Instant now) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    const bool waiting = e.state == State::kIncomplete ||
                         (e.state == State::kStale && e.probing);
    if (!waiting || now < e.next_request) {
      continue;
    }
    if (e.probes >= options_.max_probes) {
      if (e.state == State::kIncomplete) {
        counters_->pending_dropped_unresolved.Add(e.pending_count);
        DropPendingOf(e);
        e.state = State::kFree;
        --used_;
        RebuildIndex();
      } else {
        e.probing = false;  // stays stale; the next use probes again
      }
      continue;
    }
    ++e.probes;
    e.next_request = now + options_.retransmit;
    counters_->requests_sent.Inc();
    callbacks_->SendArpRequest(e.ip);
  }
}

void ArpCache::DropAllPending() {
  for (Entry& e : entries_) {
    if (e.state != State::kFree) {
      DropPendingOf(e);
    }
  }
}

bool ArpCache::Lookup(wire::Ipv4Addr ip, wire::MacAddr* mac) const {
  const Entry* e = Find(ip);
  if (e == nullptr || e->state == State::kIncomplete) {
    return false;
  }
  *mac = e->mac;
  return true;
}

}  // namespace tern::port
