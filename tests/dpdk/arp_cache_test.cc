// ArpCache: resolution, pending queues, retransmission, expiry and bounds
// (RFC 826, RFC 1122 section 2.3.2), with a fake clock and fake packets.
#include "lib/port/arp_cache.h"

#include <vector>

#include "gtest/gtest.h"

namespace tern::port {
namespace {

const wire::Ipv4Addr kPeer = wire::Ipv4Addr::FromOctets(198, 18, 0, 2);
const wire::Ipv4Addr kOther = wire::Ipv4Addr::FromOctets(198, 18, 0, 3);
constexpr wire::MacAddr kMacA{{0x02, 0, 0, 0, 0, 0xa}};
constexpr wire::MacAddr kMacB{{0x02, 0, 0, 0, 0, 0xb}};

struct Recorder : ArpCache::Callbacks {
  std::vector<wire::Ipv4Addr> requests;
  std::vector<std::pair<int, wire::MacAddr>> sent;
  std::vector<int> dropped;
  void SendArpRequest(wire::Ipv4Addr ip) override { requests.push_back(ip); }
  void SendPending(ArpCache::Packet p, const wire::MacAddr& mac) override {
    sent.emplace_back(*static_cast<int*>(p), mac);
  }
  void DropPending(ArpCache::Packet p) override {
    dropped.push_back(*static_cast<int*>(p));
  }
};

class ArpCacheTest : public ::testing::Test {
 protected:
  ArpCacheOptions Options() {
    ArpCacheOptions o;
    o.capacity = 4;
    o.pending_per_entry = 2;
    return o;
  }
  Instant t0_ = Instant() + Duration::Seconds(100);
  Recorder rec_;
  ArpCounters counters_;
  int pkts_[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
};

TEST_F(ArpCacheTest, Unknown_QueuesAndRequestsOnce) {
  ArpCache cache(Options(), &rec_, &counters_);
  wire::MacAddr mac;
  EXPECT_EQ(cache.Resolve(kPeer, t0_, &pkts_[1], &mac),
            ArpCache::Result::kQueued);
  EXPECT_EQ(cache.Resolve(kPeer, t0_, &pkts_[2], &mac),
            ArpCache::Result::kQueued);
  ASSERT_EQ(rec_.requests.size(), 1u);
  EXPECT_EQ(rec_.requests[0], kPeer);
  EXPECT_EQ(cache.pending(), 2u);
  // Third packet: the pending queue (2) is full.
  EXPECT_EQ(cache.Resolve(kPeer, t0_, &pkts_[3], &mac),
            ArpCache::Result::kDroppedPendingFull);
  EXPECT_EQ(counters_.pending_dropped_full.Get(), 1u);
}

// Solicit starts a resolution with nothing pending, once; the answer makes
// the entry resolved, and an entry in any state is left alone.
TEST_F(ArpCacheTest, Solicit_RequestsOnceThenResolvesWithoutPending) {
  ArpCache cache(Options(), &rec_, &counters_);
  EXPECT_TRUE(cache.Solicit(kPeer, t0_));
  EXPECT_FALSE(cache.Solicit(kPeer, t0_));  // incomplete: already asked
  ASSERT_EQ(rec_.requests.size(), 1u);
  EXPECT_EQ(rec_.requests[0], kPeer);
  EXPECT_EQ(counters_.requests_sent.Get(), 1u);
  EXPECT_EQ(cache.pending(), 0u);
  // Retransmitted by Tick like any request.
  cache.Tick(t0_ + Duration::Seconds(1));
  EXPECT_EQ(rec_.requests.size(), 2u);
  cache.Learn(kPeer, kMacA, t0_ + Duration::Seconds(1), /*update_only=*/true);
  EXPECT_TRUE(rec_.sent.empty());
  wire::MacAddr mac;
  EXPECT_EQ(cache.Resolve(kPeer, t0_ + Duration::Seconds(1), &pkts_[1], &mac),
            ArpCache::Result::kResolved);
  EXPECT_EQ(mac, kMacA);
  EXPECT_FALSE(cache.Solicit(kPeer, t0_ + Duration::Seconds(2)));
  EXPECT_EQ(rec_.requests.size(), 2u);
}

// Unanswered, a solicited entry goes after max_probes like any other, and
// can be solicited again.
TEST_F(ArpCacheTest, Solicit_Unanswered_GivesUpThenAsksAgain) {
  ArpCache cache(Options(), &rec_, &counters_);
  ASSERT_TRUE(cache.Solicit(kPeer, t0_));
  Instant t = t0_;
  for (int i = 0; i < 5; ++i) {
    t = t + Duration::Seconds(1);
    cache.Tick(t);
  }
  EXPECT_EQ(cache.size(), 0u);
  const size_t asked = rec_.requests.size();
  EXPECT_EQ(asked, static_cast<size_t>(Options().max_probes));
  EXPECT_TRUE(cache.Solicit(kPeer, t));
  EXPECT_EQ(rec_.requests.size(), asked + 1);
}

// A table whose entries are all in use (incomplete, holding packets) has no
// room for a solicited one: refused, counted, no request.
TEST_F(ArpCacheTest, Solicit_FullTable_RefusedAndCounted) {
  ArpCache cache(Options(), &rec_, &counters_);
  wire::MacAddr mac;
  for (uint32_t i = 0; i < Options().capacity; ++i) {
    ASSERT_EQ(cache.Resolve(wire::Ipv4Addr{kPeer.value + 1 + i}, t0_, &pkts_[i],
                            &mac),
              ArpCache::Result::kQueued);
  }
  const size_t asked = rec_.requests.size();
  EXPECT_FALSE(cache.Solicit(kPeer, t0_));
  EXPECT_EQ(rec_.requests.size(), asked);
  EXPECT_EQ(counters_.table_full.Get(), 1u);
  EXPECT_EQ(cache.size(), Options().capacity);
}

TEST_F(ArpCacheTest, Reply_SendsPendingInOrderThenResolves) {
  ArpCache cache(Options(), &rec_, &counters_);
  wire::MacAddr mac;
  cache.Resolve(kPeer, t0_, &pkts_[1], &mac);
  cache.Resolve(kPeer, t0_, &pkts_[2], &mac);
  cache.Learn(kPeer, kMacA, t0_, /*update_only=*/true);
  ASSERT_EQ(rec_.sent.size(), 2u);
  EXPECT_EQ(rec_.sent[0].first, 1);
  EXPECT_EQ(rec_.sent[1].first, 2);
  EXPECT_EQ(rec_.sent[0].second, kMacA);
  EXPECT_EQ(cache.pending(), 0u);
  EXPECT_EQ(cache.Resolve(kPeer, t0_, &pkts_[3], &mac),
            ArpCache::Result::kResolved);
  EXPECT_EQ(mac, kMacA);
  EXPECT_EQ(counters_.resolved.Get(), 1u);
}

TEST_F(ArpCacheTest, UpdateOnly_DoesNotAddUnknown) {
  ArpCache cache(Options(), &rec_, &counters_);
  cache.Learn(kPeer, kMacA, t0_, /*update_only=*/true);
  wire::MacAddr mac;
  EXPECT_FALSE(cache.Lookup(kPeer, &mac));
  cache.Learn(kPeer, kMacA, t0_, /*update_only=*/false);
  EXPECT_TRUE(cache.Lookup(kPeer, &mac));
  EXPECT_EQ(mac, kMacA);
}

TEST_F(ArpCacheTest, MulticastMac_NeverLearnt) {
  ArpCache cache(Options(), &rec_, &counters_);
  cache.Learn(kPeer, wire::MacAddr::Broadcast(), t0_, false);
  wire::MacAddr mac;
  EXPECT_FALSE(cache.Lookup(kPeer, &mac));
}

TEST_F(ArpCacheTest, NoAnswer_RetransmitsThenDropsPending) {
  ArpCache cache(Options(), &rec_, &counters_);
  wire::MacAddr mac;
  cache.Resolve(kPeer, t0_, &pkts_[1], &mac);
  cache.Tick(t0_ + Duration::Millis(999));
  EXPECT_EQ(rec_.requests.size(), 1u);  // not yet due
  cache.Tick(t0_ + Duration::Seconds(1));
  EXPECT_EQ(rec_.requests.size(), 2u);
  cache.Tick(t0_ + Duration::Seconds(2));
  EXPECT_EQ(rec_.requests.size(), 3u);  // max_probes = 3
  EXPECT_TRUE(rec_.dropped.empty());
  cache.Tick(t0_ + Duration::Seconds(3));
  EXPECT_EQ(rec_.requests.size(), 3u);
  ASSERT_EQ(rec_.dropped.size(), 1u);
  EXPECT_EQ(rec_.dropped[0], 1);
  EXPECT_EQ(counters_.pending_dropped_unresolved.Get(), 1u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(ArpCacheTest, Stale_UsesOldMacAndProbes) {
  ArpCache cache(Options(), &rec_, &counters_);
  cache.Learn(kPeer, kMacA, t0_, false);
  wire::MacAddr mac;
  const Instant later = t0_ + Duration::Seconds(31);
  EXPECT_EQ(cache.Resolve(kPeer, later, &pkts_[1], &mac),
            ArpCache::Result::kResolved);
  EXPECT_EQ(mac, kMacA);
  ASSERT_EQ(rec_.requests.size(), 1u);  // re-confirmation sent
  EXPECT_EQ(cache.Resolve(kPeer, later, &pkts_[2], &mac),
            ArpCache::Result::kResolved);
  EXPECT_EQ(rec_.requests.size(), 1u);     // one probe at a time
  cache.Learn(kPeer, kMacB, later, true);  // the host moved
  EXPECT_TRUE(cache.Lookup(kPeer, &mac));
  EXPECT_EQ(mac, kMacB);
}

TEST_F(ArpCacheTest, Full_EvictsOnlyStaleEntries) {
  ArpCache cache(Options(), &rec_, &counters_);
  for (uint8_t i = 0; i < 4; ++i) {
    cache.Learn(wire::Ipv4Addr::FromOctets(198, 18, 1, i), kMacA, t0_, false);
  }
  EXPECT_EQ(cache.size(), 4u);
  wire::MacAddr mac;
  // All four are reachable: nothing to evict.
  EXPECT_EQ(cache.Resolve(kOther, t0_, &pkts_[1], &mac),
            ArpCache::Result::kDroppedTableFull);
  EXPECT_EQ(counters_.table_full.Get(), 1u);
  // Later they are stale: the oldest goes.
  EXPECT_EQ(cache.Resolve(kOther, t0_ + Duration::Seconds(60), &pkts_[2], &mac),
            ArpCache::Result::kQueued);
  EXPECT_EQ(cache.size(), 4u);
  cache.Learn(kOther, kMacB, t0_ + Duration::Seconds(60), true);
  EXPECT_TRUE(cache.Lookup(kOther, &mac));
  // The others that were not evicted are still found through the index.
  int found = 0;
  for (uint8_t i = 0; i < 4; ++i) {
    found += cache.Lookup(wire::Ipv4Addr::FromOctets(198, 18, 1, i), &mac);
  }
  EXPECT_EQ(found, 3);
}

TEST_F(ArpCacheTest, Destructor_DropsHeldPackets) {
  {
    ArpCache cache(Options(), &rec_, &counters_);
    wire::MacAddr mac;
    cache.Resolve(kPeer, t0_, &pkts_[4], &mac);
    cache.Resolve(kOther, t0_, &pkts_[5], &mac);
  }
  EXPECT_EQ(rec_.dropped.size(), 2u);
}

}  // namespace
}  // namespace tern::port
