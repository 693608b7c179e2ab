// ConnTable: bucketized cuckoo hashing (R. Pagh and F. F. Rodler, "Cuckoo
// hashing", 2004; buckets of four as in U. Erlingsson, M. Manasse and
// F. McSherry, "A cool and practical alternative to traditional hash tables",
// 2006; breadth-first displacement as in libcuckoo, B. Fan et al., 2013).
//
// Why cuckoo: a lookup reads exactly the key's two buckets, two cache lines
// known as soon as the hash is, so a burst can prefetch all of them before
// probing any (FindBurst), and the cost cannot grow with load or with
// erase/insert churn, unlike linear probing whose clusters and tombstones do.
// Four 16-byte entries fill one 64-byte line, and the full key sits in the
// line, so a hit or a miss costs no further memory access: no tag array, no
// separate key store (DPDK's rte_hash needs a second access for the key).
// Four-way buckets with two choices fill to about 0.98 before insertion fails
// (Erlingsson et al.); 0.9 keeps the breadth-first search short.
//
// Why this hash: a multilinear hash h(x) = a0 + a1 x1 + a2 x2 + a3 x3 mod 2^64
// over the three 32-bit words of the tuple, with 64-bit coefficients drawn
// from the secret, is strongly universal (D. Lemire and O. Kaser, "Strongly
// universal string hashing is fast", The Computer Journal 57(11), 2014), so
// two distinct tuples collide with probability about 2^-32 over the secret,
// whatever tuples an attacker picks. But it is linear, and cuckoo hashing
// fails with linear hashes on structured keys (M. Dietzfelbinger and
// U. Schellbach, SODA 2009): one client's consecutive ports fall on a lattice
// and insertion failed at load 0.86 in our 10M test. So a fixed bijective
// finaliser (fmix64) follows, and its high and low halves pick the two
// buckets. CRC32-C, although one instruction, is no defence: CRC is linear
// over GF(2), so crc(x) ^ crc(y) does not depend on the seed and colliding
// tuples collide under every seed. SipHash would also resist an attacker who
// learns hash values, but costs about 15 ns per key (doc/benchmarks/cookie.md),
// a third of the lookup budget; the table reveals no hash value, and the
// secret is drawn per process.
//
// Empty slots: rather than spend a tag or a reserved value on emptiness, an
// empty slot holds a key that never hashes to its bucket (see EmptyKey), so a
// lookup is pure key comparison and every key and value stays usable.
#include "lib/tcp/conn_table.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "lib/base/dcheck.h"
#include "lib/base/siphash.h"

namespace tern::tcp {
namespace {

// Maximum load factor 0.9 = 9 / 10 entries per slot.
constexpr size_t kLoadNum = 9;
constexpr size_t kLoadDen = 10;
// Breadth-first search bound for a free slot. Two roots with four children
// each give 2 + 8 + 32 + 128 = 170 buckets to depth 3 and 682 to depth 4, so
// 512 stops inside depth 4 (libcuckoo bounds its search at depth 5); at load
// 0.9 a search ends within a few dozen buckets.
constexpr int kMaxPathNodes = 512;
// Transparent huge pages: 2 MiB on x86-64. One 4 KiB TLB entry covers 64
// buckets, so random lookups in a 178 MB table would miss the TLB almost every
// time; 2 MiB pages cut the page walks to what the STLB holds.
constexpr size_t kHugePage = size_t{2} << 20;

inline bool KeyEq(const FourTuple& a, const FourTuple& b) {
  uint64_t a8;
  uint64_t b8;
  uint32_t a4;
  uint32_t b4;
  std::memcpy(&a8, &a, 8);
  std::memcpy(&b8, &b, 8);
  std::memcpy(&a4, reinterpret_cast<const char*>(&a) + 8, 4);
  std::memcpy(&b4, reinterpret_cast<const char*>(&b) + 8, 4);
  return ((a8 ^ b8) | (a4 ^ b4)) == 0;
}

// Multilinear over the tuple's three 32-bit words (all 64 bits kept), then
// the MurmurHash3 fmix64 finaliser (constants from its reference code), a
// bijection that breaks the linear structure cuckoo hashing cannot tolerate.
inline uint64_t Mix(const std::array<uint64_t, 4>& c, const FourTuple& key) {
  const uint64_t ports = (uint64_t{key.local_port} << 16) | key.remote_port;
  uint64_t h = c[0] + c[1] * key.local_addr.value +
               c[2] * key.remote_addr.value + c[3] * ports;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Lemire's multiply-shift range reduction: uniform in [0, n) for uniform h.
inline uint32_t Reduce(uint32_t h, size_t n) {
  return static_cast<uint32_t>((uint64_t{h} * n) >> 32);
}

}  // namespace

void ConnTable::BucketsFree::operator()(Bucket* b) const { std::free(b); }

ConnTable::~ConnTable() = default;

absl::StatusOr<ConnTable> ConnTable::Create(
    size_t capacity, std::span<const uint8_t, 16> hash_key) {
  // Bucket indices are 32-bit.
  if (capacity == 0 || capacity > (size_t{1} << 33)) {
    return absl::InvalidArgumentError(
        "conn table capacity must be in [1, 2^33]");
  }
  ConnTable t;
  t.capacity_ = capacity;
  const size_t per_bucket = kSlotsPerBucket * kLoadNum;
  t.bucket_count_ = (capacity * kLoadDen + per_bucket - 1) / per_bucket;
  // At least four buckets so that empty_alt_ can avoid empty_key_'s two.
  t.bucket_count_ = t.bucket_count_ < 4 ? 4 : t.bucket_count_;

  const SipKey sip = SipKey::FromBytes(hash_key);
  for (uint64_t i = 0; i < 4; ++i) {
    t.coeff_[i] = SipHash24Words(sip, i, 0);
  }

  const size_t bytes = t.bucket_count_ * sizeof(Bucket);
  const bool huge = bytes >= kHugePage;
  t.alloc_bytes_ =
      huge ? (bytes + kHugePage - 1) / kHugePage * kHugePage : bytes;
  void* mem =
      std::aligned_alloc(huge ? kHugePage : alignof(Bucket), t.alloc_bytes_);
  if (mem == nullptr) {
    return absl::ResourceExhaustedError("conn table allocation failed");
  }
  if (huge) {
    // Advice only: without transparent huge pages the table still works.
    (void)madvise(mem, t.alloc_bytes_, MADV_HUGEPAGE);
  }
  t.buckets_.reset(static_cast<Bucket*>(mem));
  t.path_.reset(new (std::nothrow) PathNode[kMaxPathNodes]);
  if (t.path_ == nullptr) {
    return absl::ResourceExhaustedError("conn table allocation failed");
  }

  t.empty_key_ = FourTuple{};
  t.empty_home_ = t.BucketsOf(t.empty_key_);
  bool found = false;
  for (uint32_t port = 1; port <= 0xffff && !found; ++port) {
    FourTuple candidate{};
    candidate.remote_port = static_cast<uint16_t>(port);
    const Candidates c = t.BucketsOf(candidate);
    const auto clash = [&](uint32_t b) {
      return b == t.empty_home_.first || b == t.empty_home_.second;
    };
    if (!clash(c.first) && !clash(c.second)) {
      t.empty_alt_ = candidate;
      found = true;
    }
  }
  if (!found) {
    return absl::InternalError("conn table: no empty marker key found");
  }
  for (size_t b = 0; b < t.bucket_count_; ++b) {
    const FourTuple& empty = t.EmptyKey(static_cast<uint32_t>(b));
    for (Entry& e : t.buckets_[b].slots) {
      e.key = empty;
      e.value = 0;
    }
  }
  return t;
}

ConnTable::Candidates ConnTable::BucketsOf(const FourTuple& key) const {
  const uint64_t h = Mix(coeff_, key);
  const uint32_t first = Reduce(static_cast<uint32_t>(h >> 32), bucket_count_);
  uint32_t second = Reduce(static_cast<uint32_t>(h), bucket_count_);
  if (second == first) {
    second = first + 1 == bucket_count_ ? 0 : first + 1;
  }
  return {first, second};
}

int ConnTable::FindSlot(uint32_t bucket, const FourTuple& key) const {
  const Bucket& b = buckets_[bucket];
  for (int s = 0; s < kSlotsPerBucket; ++s) {
    if (KeyEq(b.slots[s].key, key)) {
      return s;
    }
  }
  return -1;
}

std::optional<uint32_t> ConnTable::Find(const FourTuple& key) const {
  const Candidates c = BucketsOf(key);
  int s = FindSlot(c.first, key);
  if (s >= 0) {
    return buckets_[c.first].slots[s].value;
  }
  s = FindSlot(c.second, key);
  if (s >= 0) {
    return buckets_[c.second].slots[s].value;
  }
  return std::nullopt;
}

void ConnTable::FindBurst(std::span<const FourTuple> keys,
                          std::span<std::optional<uint32_t>> out) const {
  TERN_DCHECK(keys.size() == out.size());
  std::array<Candidates, kBurst> cand;
  for (size_t base = 0; base < keys.size(); base += kBurst) {
    const size_t n = keys.size() - base < kBurst ? keys.size() - base : kBurst;
    for (size_t i = 0; i < n; ++i) {
      cand[i] = BucketsOf(keys[base + i]);
      __builtin_prefetch(&buckets_[cand[i].first]);
      __builtin_prefetch(&buckets_[cand[i].second]);
    }
    for (size_t i = 0; i < n; ++i) {
      const FourTuple& key = keys[base + i];
      int s = FindSlot(cand[i].first, key);
      if (s >= 0) {
        out[base + i] = buckets_[cand[i].first].slots[s].value;
        continue;
      }
      s = FindSlot(cand[i].second, key);
      if (s >= 0) {
        out[base + i] = buckets_[cand[i].second].slots[s].value;
      } else {
        out[base + i] = std::nullopt;
      }
    }
  }
}

bool ConnTable::MakeRoom(Candidates home, uint32_t* bucket, int* slot) {
  // Breadth-first search from both candidate buckets for an entry that can
  // move to a free slot in its other bucket; then shift each entry on the
  // path one step, from the free end back to a root.
  PathNode* q = path_.get();
  int tail = 0;
  q[tail++] = {home.first, -1, 0};
  q[tail++] = {home.second, -1, 0};
  for (int head = 0; head < tail; ++head) {
    const uint32_t from = q[head].bucket;
    for (int s = 0; s < kSlotsPerBucket; ++s) {
      const FourTuple& moving = buckets_[from].slots[s].key;
      const Candidates c = BucketsOf(moving);
      const uint32_t alt = c.first == from ? c.second : c.first;
      const int free_slot = FindSlot(alt, EmptyKey(alt));
      if (free_slot >= 0) {
        uint32_t dst_bucket = alt;
        int dst_slot = free_slot;
        uint32_t src_bucket = from;
        int src_slot = s;
        int node = head;
        for (;;) {
          buckets_[dst_bucket].slots[dst_slot] =
              buckets_[src_bucket].slots[src_slot];
          dst_bucket = src_bucket;
          dst_slot = src_slot;
          if (q[node].parent < 0) {
            break;
          }
          src_slot = static_cast<int>(q[node].from_slot);
          node = q[node].parent;
          src_bucket = q[node].bucket;
        }
        *bucket = dst_bucket;
        *slot = dst_slot;
        return true;
      }
      if (tail == kMaxPathNodes) {
        continue;
      }
      // A bucket already on this path would make two moves touch one slot.
      bool on_path = false;
      for (int n = head; n >= 0 && !on_path; n = q[n].parent) {
        on_path = q[n].bucket == alt;
      }
      if (!on_path) {
        q[tail++] = {alt, head, static_cast<uint32_t>(s)};
      }
    }
  }
  return false;
}

bool ConnTable::Insert(const FourTuple& key, uint32_t value) {
  if (size_ >= capacity_) {
    return false;
  }
  const Candidates c = BucketsOf(key);
  if (FindSlot(c.first, key) >= 0 || FindSlot(c.second, key) >= 0) {
    return false;
  }
  uint32_t bucket = c.first;
  int slot = FindSlot(bucket, EmptyKey(bucket));
  if (slot < 0) {
    bucket = c.second;
    slot = FindSlot(bucket, EmptyKey(bucket));
  }
  if (slot < 0 && !MakeRoom(c, &bucket, &slot)) {
    return false;
  }
  buckets_[bucket].slots[slot] = Entry{key, value};
  ++size_;
  return true;
}

bool ConnTable::Erase(const FourTuple& key) {
  const Candidates c = BucketsOf(key);
  uint32_t bucket = c.first;
  int slot = FindSlot(bucket, key);
  if (slot < 0) {
    bucket = c.second;
    slot = FindSlot(bucket, key);
    if (slot < 0) {
      return false;
    }
  }
  buckets_[bucket].slots[slot] = Entry{EmptyKey(bucket), 0};
  --size_;
  return true;
}

size_t ConnTable::MemoryBytes() const {
  return alloc_bytes_ + kMaxPathNodes * sizeof(PathNode) + sizeof(*this);
}

}  // namespace tern::tcp
