// ArpCache: next-hop resolution for one lcore (RFC 826, RFC 1122 section
// 2.3.2), DPDK-free so it is unit-tested without EAL.
//
// Contract:
// - Resolve(ip, now, pkt) answers with the MAC of a reachable entry, or
//   queues `pkt` (an opaque packet the caller owns until the cache hands it
//   back) on the entry's bounded pending queue and, for a new or expired
//   entry, asks the caller to send an ARP request. A full pending queue
//   refuses the packet (kDroppedPendingFull: the caller frees and counts
//   it); so does a full table with no entry to evict (kDroppedTableFull).
// - Learn(ip, mac, now, update_only) records a binding: from an ARP reply or
//   request addressed to us (RFC 826 "Packet Reception": a request for our
//   address adds the sender), or with update_only only when an entry exists
//   (RFC 826's merge flag for any other ARP packet). Packets pending on the
//   entry go to Callbacks::SendPending, oldest first.
// - Solicit(ip, now) starts resolving `ip` with no packet waiting (the
//   engine's gateway, so the first replies through it after a start or an
//   expiry do not queue): a new entry and a request, as Resolve makes them;
//   nothing when `ip` already has an entry in any state.
// - Tick(now) retransmits requests of unresolved entries every
//   `retransmit` (Linux retrans_time_ms = 1000 ms) and after `max_probes`
//   gives up: their pending packets go to Callbacks::DropPending.
// - Entries are reachable for `reachable` after the last confirmation, then
//   stale: the next Resolve sends a fresh request but keeps using the old
//   MAC meanwhile (as Linux's STALE -> DELAY -> PROBE, without its delay).
// - Bounded: `capacity` entries, at most `pending_per_entry` packets each;
//   nothing is allocated after construction. Single-threaded (one lcore).
#ifndef TERN_LIB_PORT_ARP_CACHE_H_
#define TERN_LIB_PORT_ARP_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lib/base/counters.h"
#include "lib/base/time.h"
#include "lib/wire/addr.h"

namespace tern::port {

struct ArpCacheOptions {
  // Entries per lcore. Linux's gc_thresh3 is 1024 neighbours per table.
  size_t capacity = 1024;
  // Packets held per unresolved address. RFC 1122 2.3.2.2 says SHOULD keep
  // at least one; Linux's former unres_qlen was 3; a TCP server answering a
  // handshake and a retransmission needs few more.
  size_t pending_per_entry = 8;
  // Linux base_reachable_time_ms = 30000.
  Duration reachable = Duration::Seconds(30);
  // Linux retrans_time_ms = 1000.
  Duration retransmit = Duration::Seconds(1);
  // Requests before giving up (Linux mcast_solicit = 3).
  int max_probes = 3;
};

struct ArpCounters {
  Counter requests_sent;
  Counter learned;                     // bindings added or changed
  Counter resolved;                    // unresolved entries that got an answer
  Counter pending_queued;              // packets that waited for a resolution
  Counter pending_sent;                // ... and left when it came
  Counter pending_dropped_full;        // pending queue full: refused
  Counter pending_dropped_unresolved;  // no answer after max_probes
  Counter table_full;                  // no entry free or evictable
};

class ArpCache {
 public:
  using Packet = void*;

  class Callbacks {
   public:
    virtual void SendArpRequest(wire::Ipv4Addr ip) = 0;
    virtual void SendPending(Packet pkt, const wire::MacAddr& mac) = 0;
    virtual void DropPending(Packet pkt) = 0;

   protected:
    ~Callbacks() = default;
  };

  enum class Result : uint8_t {
    kResolved,            // *mac is set; the caller sends pkt itself
    kQueued,              // pkt is held by the cache
    kDroppedPendingFull,  // pkt refused: the caller frees it
    kDroppedTableFull,    // pkt refused: the caller frees it
  };

  ArpCache(const ArpCacheOptions& options, Callbacks* callbacks,
           ArpCounters* counters);
  // Pending packets still held go to DropPending.
  ~ArpCache();
  ArpCache(const ArpCache&) = delete;
  ArpCache& operator=(const ArpCache&) = delete;

  Result Resolve(wire::Ipv4Addr ip, Instant now, Packet pkt,
                 wire::MacAddr* mac);
  void Learn(wire::Ipv4Addr ip, const wire::MacAddr& mac, Instant now,
             bool update_only);
  // True when it made an entry and asked for a request; false when `ip`
  // had one, or the table is full (counted as table_full).
  bool Solicit(wire::Ipv4Addr ip, Instant now);
  void Tick(Instant now);
  // Hands every pending packet to DropPending (shutdown).
  void DropAllPending();

  size_t size() const { return used_; }
  size_t pending() const { return pending_total_; }
  // The binding of `ip`, if resolved (tests, telemetry).
  bool Lookup(wire::Ipv4Addr ip, wire::MacAddr* mac) const;

 private:
  enum class State : uint8_t { kFree, kIncomplete, kReachable, kStale };
  struct Entry {
    State state = State::kFree;
    uint8_t probes = 0;
    uint16_t pending_head = 0;
    uint16_t pending_count = 0;
    wire::Ipv4Addr ip;
    wire::MacAddr mac;
    Instant confirmed;     // last confirmation (reachable until + reachable)
    Instant next_request;  // incomplete / re-probing: next request due
    bool probing = false;  // stale entry with a request out
  };

  Entry* Find(wire::Ipv4Addr ip);
  const Entry* Find(wire::Ipv4Addr ip) const;
  Entry* Insert(wire::Ipv4Addr ip, Instant now);
  // The first request for e (new, or stale and re-probed); Tick sends the
  // retransmissions.
  void FirstRequest(Entry& e, Instant now);
  void FlushPending(Entry& e);
  void DropPendingOf(Entry& e);
  Packet& PendingAt(const Entry& e, size_t i);

  ArpCacheOptions options_;
  Callbacks* callbacks_;
  ArpCounters* counters_;
  void RebuildIndex();
  size_t Slot(wire::Ipv4Addr ip) const;

  std::vector<Entry> entries_;
  // Open addressing (linear probing) from address to entry index + 1; 0 is
  // empty. Twice the capacity, a power of two, so probes stay short.
  std::vector<uint32_t> index_;
  std::vector<Packet> pending_;  // capacity * pending_per_entry rings
  size_t used_ = 0;
  size_t pending_total_ = 0;
  // One-entry memo: most segments of a burst go to the same next hop.
  size_t last_ = 0;
};

}  // namespace tern::port

#endif  // TERN_LIB_PORT_ARP_CACHE_H_
