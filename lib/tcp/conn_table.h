// ConnTable: the per-lcore map from a connection's FourTuple to a 32-bit value
// (the TCP core stores a slab index and a small tag there).
//
// Design (doc/conn_table.md has the reasons and the measurements): bucketized
// cuckoo hashing with two candidate buckets per key, four 16-byte entries
// (full key + value) per 64-byte, cache-line-aligned bucket, sized once at
// creation for a load factor of at most 0.9, and beside the buckets a tag
// array of one byte per slot (eight bits of the key's hash, 0 for empty), 16
// times smaller, which a lookup reads first and which spares it the buckets
// whose tags do not match: a SYN flood's lookups, which all miss, then touch
// the small array only. The bucket indices come from a multilinear hash keyed
// by a 16-byte secret, so a peer choosing 4-tuples cannot aim them at a few
// buckets (HashDoS).
//
// Contract:
// - Create(capacity, key) allocates everything; nothing allocates afterwards.
//   Memory: 68 bytes (a bucket and its four tags) per ceil(capacity / 3.6)
//   buckets, 19.1 bytes per entry at 10 million with the huge-page rounding
//   (MemoryBytes() tells).
// - Find/FindBurst read the key's two 4-byte tag words and, of its two
//   buckets, only those holding a matching tag: at most two tag reads and two
//   cache lines per key, whatever the load or history, and for a key that is
//   absent usually no bucket at all (a random absent key matches one of the
//   eight tags with probability at most 8/255 at full load). FindBurst(keys,
//   out) gives out[i] == Find(keys[i]) for every i; keys and out must have
//   equal size.
// - Insert: false when the key is present or size() == capacity(). It may
//   also fail (false, table unchanged) when no cuckoo path of bounded length
//   frees a slot, which at a load factor of at most 0.9 with four-way buckets
//   does not happen in practice (none in 10^7 inserts, see the tests).
//   Amortised O(1).
// - Erase: false when absent. No tombstones: a lookup never scans beyond the
//   key's two buckets, so erasing just empties the slot.
// - Every FourTuple and every uint32_t value is allowed.
// - Not thread-safe: one lcore owns a table.
#ifndef TERN_LIB_TCP_CONN_TABLE_H_
#define TERN_LIB_TCP_CONN_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "lib/tcp/four_tuple.h"

namespace tern::tcp {

class ConnTable {
 public:
  static constexpr int kSlotsPerBucket = 4;
  // FindBurst hashes and prefetches this many keys ahead of probing: one NIC
  // receive burst (DPDK's customary 32).
  static constexpr size_t kBurst = 32;

  static absl::StatusOr<ConnTable> Create(
      size_t capacity, std::span<const uint8_t, 16> hash_key);

  ConnTable(ConnTable&&) noexcept = default;
  ConnTable& operator=(ConnTable&&) noexcept = default;
  ConnTable(const ConnTable&) = delete;
  ConnTable& operator=(const ConnTable&) = delete;
  ~ConnTable();

  bool Insert(const FourTuple& key, uint32_t value);
  std::optional<uint32_t> Find(const FourTuple& key) const;
  void FindBurst(std::span<const FourTuple> keys,
                 std::span<std::optional<uint32_t>> out) const;
  bool Erase(const FourTuple& key);

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t bucket_count() const { return bucket_count_; }
  size_t MemoryBytes() const;

 private:
  struct Entry {
    FourTuple key;
    uint32_t value;
  };
  static_assert(sizeof(Entry) == 16);
  struct alignas(64) Bucket {
    Entry slots[kSlotsPerBucket];
  };
  static_assert(sizeof(Bucket) == 64);
  struct Candidates {
    uint32_t first;
    uint32_t second;
  };
  struct PathNode {
    uint32_t bucket;
    int32_t parent;      // index in the search queue, -1 for a root
    uint32_t from_slot;  // the slot of the parent whose entry moves here
  };
  struct BucketsFree {
    void operator()(void* p) const;
  };

  ConnTable() = default;

  Candidates BucketsOf(const FourTuple& key) const;
  Candidates BucketsOfHash(uint64_t h) const;
  // The tag of a key with hash h: eight of its bits, never 0 (empty).
  static uint8_t TagOf(uint64_t h);
  // Bit 8s+7 set for each slot s of `bucket` whose tag is `tag`.
  uint32_t TagMatches(uint32_t bucket, uint8_t tag) const;
  // The value of `key` among the slots of `bucket` that `matches` marks.
  std::optional<uint32_t> Probe(uint32_t bucket, uint32_t matches,
                                const FourTuple& key) const;
  void SetTag(uint32_t bucket, int slot, uint8_t tag) {
    tag_bytes()[size_t{bucket} * kSlotsPerBucket + slot] = tag;
  }
  uint8_t GetTag(uint32_t bucket, int slot) const {
    return tag_bytes()[size_t{bucket} * kSlotsPerBucket + slot];
  }
  uint8_t* tag_bytes() const { return reinterpret_cast<uint8_t*>(tags_.get()); }
  const FourTuple& EmptyKey(uint32_t bucket) const {
    return (bucket == empty_home_.first || bucket == empty_home_.second)
               ? empty_alt_
               : empty_key_;
  }
  int FindSlot(uint32_t bucket, const FourTuple& key) const;
  bool MakeRoom(Candidates home, uint32_t* bucket, int* slot);

  // Multilinear hash coefficients, derived from the secret.
  std::array<uint64_t, 4> coeff_{};
  std::unique_ptr<Bucket[], BucketsFree> buckets_;
  // One 32-bit word per bucket: the tags of its four slots, slot s in byte
  // s (memory order).
  std::unique_ptr<uint32_t[], BucketsFree> tags_;
  size_t bucket_count_ = 0;
  size_t capacity_ = 0;
  size_t alloc_bytes_ = 0;
  size_t size_ = 0;
  // Empty slots hold a key that cannot live in their bucket: empty_key_
  // everywhere except in its own two buckets, which hold empty_alt_ (whose
  // buckets are two others). So a lookup compares keys only.
  FourTuple empty_key_{};
  FourTuple empty_alt_{};
  Candidates empty_home_{};
  std::unique_ptr<PathNode[]> path_;  // the cuckoo search queue
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_CONN_TABLE_H_
