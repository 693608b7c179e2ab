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
// line: no separate key store (DPDK's rte_hash needs a second access for the
// key).
//
// Why a tag array after all: in a SYN flood from spoofed sources every lookup
// misses, and without tags each miss read two random lines of the buckets
// (1.2 MB at 65,536 connections, 178 MB at 10 million), the largest single
// cost of tern's SYN path (half of Endpoint::OnSegments' samples sat on those
// two loads; doc/benchmarks.md, session 10). One byte of hash per slot, in
// an array a sixteenth of the buckets' size, answers almost every miss from
// that array alone (a random absent key matches one of its eight tags with
// probability 8 * load / 255), and a hit reads one tag word and then the one
// bucket whose tag matched instead of up to two. The price is a dependent
// read for hits (tag, then bucket), which FindBurst overlaps across the
// burst, and 1.1 bytes per entry.
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
// Empty slots: tag 0, and rather than spend a reserved key or value on
// emptiness, an empty slot holds a key that never hashes to its bucket (see
// EmptyKey), so even a stale tag could not make a lookup match an empty slot
// and every key and value stays usable.
#include "lib/tcp/conn_table.h"

#include <sys/mman.h>

#include <bit>
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

// `bytes` of zeroed memory aligned to `align`, on transparent huge pages
// when it spans at least one; *alloc_bytes gets the size allocated.
void* AllocTable(size_t bytes, size_t align, size_t* alloc_bytes) {
  const bool huge = bytes >= kHugePage;
  *alloc_bytes = huge ? (bytes + kHugePage - 1) / kHugePage * kHugePage
                      : (bytes + align - 1) / align * align;
  void* mem = std::aligned_alloc(huge ? kHugePage : align, *alloc_bytes);
  if (mem == nullptr) {
    return nullptr;
  }
  if (huge) {
    // Advice only: without transparent huge pages the table still works.
    (void)madvise(mem, *alloc_bytes, MADV_HUGEPAGE);
  }
  std::memset(mem, 0, *alloc_bytes);
  return mem;
}

}  // namespace

void ConnTable::BucketsFree::operator()(void* p) const { std::free(p); }

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

  size_t bucket_bytes = 0;
  void* mem = AllocTable(t.bucket_count_ * sizeof(Bucket), alignof(Bucket),
                         &bucket_bytes);
  if (mem == nullptr) {
    return absl::ResourceExhaustedError("conn table allocation failed");
  }
  t.buckets_.reset(static_cast<Bucket*>(mem));
  // All tags 0: every slot empty.
  size_t tag_bytes = 0;
  mem = AllocTable(t.bucket_count_ * sizeof(uint32_t), 64, &tag_bytes);
  if (mem == nullptr) {
    return absl::ResourceExhaustedError("conn table allocation failed");
  }
  t.tags_.reset(static_cast<uint32_t*>(mem));
  t.alloc_bytes_ = bucket_bytes + tag_bytes;
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
  return BucketsOfHash(Mix(coeff_, key));
}

uint8_t ConnTable::TagOf(uint64_t h) {
  // Bits 32 to 39: the lowest of the half that picks the first bucket, which
  // move its index by less than one bucket below 2^24 buckets (Reduce), so
  // the keys of one bucket spread over all tags; 0 is empty, so it becomes 1.
  const auto t = static_cast<uint8_t>(h >> 32);
  return t != 0 ? t : 1;
}

// Slot s's tag is byte s in memory, bits 8s to 8s+7 of the word as loaded
// here: __builtin_ctz(matches) / 8 is the slot on a little-endian machine.
static_assert(std::endian::native == std::endian::little,
              "ConnTable's tag words assume little-endian byte order");

uint32_t ConnTable::TagMatches(uint32_t bucket, uint8_t tag) const {
  // Bytes equal to `tag` become zero; each zero byte gets its high bit set
  // (exact, no borrow between bytes: the high bits are handled apart).
  const uint32_t x = tags_[bucket] ^ (uint32_t{tag} * 0x01010101u);
  const uint32_t t = ((x & 0x7f7f7f7fu) + 0x7f7f7f7fu) | x;
  return ~t & 0x80808080u;
}

ConnTable::Candidates ConnTable::BucketsOfHash(uint64_t h) const {
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

std::optional<uint32_t> ConnTable::Probe(uint32_t bucket, uint32_t matches,
                                         const FourTuple& key) const {
  for (uint32_t m = matches; m != 0; m &= m - 1) {
    const Entry& e = buckets_[bucket].slots[__builtin_ctz(m) / 8];
    if (KeyEq(e.key, key)) {
      return e.value;
    }
  }
  return std::nullopt;
}

std::optional<uint32_t> ConnTable::Find(const FourTuple& key) const {
  const uint64_t h = Mix(coeff_, key);
  const Candidates c = BucketsOfHash(h);
  const uint8_t tag = TagOf(h);
  const std::optional<uint32_t> v =
      Probe(c.first, TagMatches(c.first, tag), key);
  return v.has_value() ? v : Probe(c.second, TagMatches(c.second, tag), key);
}

void ConnTable::FindBurst(std::span<const FourTuple> keys,
                          std::span<std::optional<uint32_t>> out) const {
  TERN_DCHECK(keys.size() == out.size());
  std::array<Candidates, kBurst> cand;
  std::array<uint8_t, kBurst> tag;
  std::array<uint32_t, kBurst> first_matches;
  std::array<uint32_t, kBurst> second_matches;
  for (size_t base = 0; base < keys.size(); base += kBurst) {
    const size_t n = keys.size() - base < kBurst ? keys.size() - base : kBurst;
    // Three passes, so that the misses of the burst overlap: hash and fetch
    // the tag words; match the tags and fetch the buckets that hold a match
    // (for a flood's absent keys, almost none); compare the keys.
    for (size_t i = 0; i < n; ++i) {
      const uint64_t h = Mix(coeff_, keys[base + i]);
      cand[i] = BucketsOfHash(h);
      tag[i] = TagOf(h);
      __builtin_prefetch(&tags_[cand[i].first]);
      __builtin_prefetch(&tags_[cand[i].second]);
    }
    for (size_t i = 0; i < n; ++i) {
      first_matches[i] = TagMatches(cand[i].first, tag[i]);
      second_matches[i] = TagMatches(cand[i].second, tag[i]);
      if (first_matches[i] != 0) {
        __builtin_prefetch(&buckets_[cand[i].first]);
      }
      if (second_matches[i] != 0) {
        __builtin_prefetch(&buckets_[cand[i].second]);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      // Assigned in place in each branch: an optional built in a local and
      // copied out was written as two stores and read back as one load, a
      // store-forwarding stall per key (GCC 12).
      out[base + i] = Probe(cand[i].first, first_matches[i], keys[base + i]);
      if (!out[base + i].has_value()) {
        out[base + i] =
            Probe(cand[i].second, second_matches[i], keys[base + i]);
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
          SetTag(dst_bucket, dst_slot, GetTag(src_bucket, src_slot));
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
  const uint64_t h = Mix(coeff_, key);
  const Candidates c = BucketsOfHash(h);
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
  SetTag(bucket, slot, TagOf(h));
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
  SetTag(bucket, slot, 0);
  --size_;
  return true;
}

size_t ConnTable::MemoryBytes() const {
  return alloc_bytes_ + kMaxPathNodes * sizeof(PathNode) + sizeof(*this);
}

}  // namespace tern::tcp
