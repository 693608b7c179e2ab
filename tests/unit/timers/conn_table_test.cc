#include "lib/tcp/conn_table.h"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "gtest/gtest.h"

namespace tern::tcp {
namespace {

constexpr std::array<uint8_t, 16> kKey = {1, 2,  3,  4,  5,  6,  7,  8,
                                          9, 10, 11, 12, 13, 14, 15, 16};

FourTuple Tuple(uint32_t local, uint32_t remote, uint16_t lport,
                uint16_t rport) {
  return FourTuple{wire::Ipv4Addr{local}, wire::Ipv4Addr{remote}, lport, rport};
}

FourTuple RandomTuple(std::mt19937_64& rng) {
  const uint64_t r = rng();
  const uint64_t s = rng();
  return Tuple(static_cast<uint32_t>(r), static_cast<uint32_t>(r >> 32),
               static_cast<uint16_t>(s), static_cast<uint16_t>(s >> 16));
}

struct TupleHash {
  size_t operator()(const FourTuple& t) const {
    return std::hash<uint64_t>()(
        (uint64_t{t.local_addr.value} << 32 | t.remote_addr.value) ^
        (uint64_t{t.local_port} << 16 | t.remote_port) * 0x9e3779b97f4a7c15);
  }
};

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAsan = true;
#else
constexpr bool kUnderAsan = false;
#endif
#else
constexpr bool kUnderAsan = false;
#endif

size_t Scaled(size_t n) {
  if (const char* env = std::getenv("TERN_TEST_SCALE_DIV")) {
    return n / static_cast<size_t>(std::atoll(env));
  }
  return kUnderAsan ? n / 10 : n;
}

ConnTable Make(size_t capacity) {
  auto t = ConnTable::Create(capacity, kKey);
  EXPECT_TRUE(t.ok());
  return std::move(*t);
}

TEST(ConnTableTest, Create_RejectsZeroCapacity) {
  EXPECT_FALSE(ConnTable::Create(0, kKey).ok());
}

TEST(ConnTableTest, InsertFindErase) {
  ConnTable t = Make(100);
  const FourTuple a = Tuple(0x0a000001, 0x0a000002, 80, 40000);
  const FourTuple b = Tuple(0x0a000001, 0x0a000002, 80, 40001);
  EXPECT_FALSE(t.Find(a).has_value());
  EXPECT_TRUE(t.Insert(a, 7));
  EXPECT_TRUE(t.Insert(b, 8));
  EXPECT_EQ(t.Find(a), 7u);
  EXPECT_EQ(t.Find(b), 8u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.Erase(a));
  EXPECT_FALSE(t.Find(a).has_value());
  EXPECT_EQ(t.Find(b), 8u);
  EXPECT_FALSE(t.Erase(a));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.Insert(a, 9));
  EXPECT_EQ(t.Find(a), 9u);
}

TEST(ConnTableTest, Insert_DuplicateRejectedValueKept) {
  ConnTable t = Make(10);
  const FourTuple a = Tuple(1, 2, 3, 4);
  EXPECT_TRUE(t.Insert(a, 1));
  EXPECT_FALSE(t.Insert(a, 2));
  EXPECT_EQ(t.Find(a), 1u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(ConnTableTest, Insert_FullTableRejects) {
  ConnTable t = Make(1000);
  std::mt19937_64 rng(1);
  std::vector<FourTuple> keys;
  while (keys.size() < 1000) {
    const FourTuple k = RandomTuple(rng);
    ASSERT_TRUE(t.Insert(k, static_cast<uint32_t>(keys.size())));
    keys.push_back(k);
  }
  EXPECT_FALSE(t.Insert(RandomTuple(rng), 0));
  EXPECT_EQ(t.size(), 1000u);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(t.Find(keys[i]), i);
  }
  ASSERT_TRUE(t.Erase(keys[0]));
  EXPECT_TRUE(t.Insert(RandomTuple(rng), 0));
}

TEST(ConnTableTest, Keys_EveryTupleAndValueUsable) {
  // The all-zero tuple is the table's internal empty marker in most buckets;
  // it and its neighbours must still work as keys, and so must any value.
  ConnTable t = Make(64);
  std::vector<FourTuple> keys = {Tuple(0, 0, 0, 0)};
  for (uint16_t p = 1; p < 40; ++p) {
    keys.push_back(Tuple(0, 0, 0, p));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(t.Insert(keys[i], i == 0 ? UINT32_MAX : 0));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(t.Find(keys[i]), i == 0 ? UINT32_MAX : 0u);
  }
  for (const FourTuple& k : keys) {
    ASSERT_TRUE(t.Erase(k));
    EXPECT_FALSE(t.Find(k).has_value());
  }
  EXPECT_EQ(t.size(), 0u);
}

TEST(ConnTableTest, Insert_StructuredKeysFillToCapacity) {
  // What a NAT or a load generator sends: one remote address, consecutive
  // ports. A linear hash puts such keys on a lattice where cuckoo insertion
  // fails early; the table must still fill to capacity, under two secrets.
  std::array<uint8_t, 16> other = kKey;
  other[0] ^= 1;
  for (const auto& key : {kKey, other}) {
    auto t = ConnTable::Create(60'000, key);
    ASSERT_TRUE(t.ok());
    for (uint32_t i = 0; i < 60'000; ++i) {
      ASSERT_TRUE(t->Insert(Tuple(0x0a000001, 0xc0a80000 + (i >> 15), 80,
                                  static_cast<uint16_t>(1024 + (i & 0x7fff))),
                            i))
          << i;
    }
  }
}

TEST(ConnTableTest, Randomized_MatchesUnorderedMap) {
  constexpr size_t kCap = 50'000;
  ConnTable t = Make(kCap);
  std::unordered_map<FourTuple, uint32_t, TupleHash> model;
  std::mt19937_64 rng(7);
  // A small key universe so that finds hit, erases find and duplicates occur.
  std::vector<FourTuple> universe(80'000);
  for (FourTuple& k : universe) {
    k = RandomTuple(rng);
  }
  for (int op = 0; op < 1'000'000; ++op) {
    const FourTuple& k = universe[rng() % universe.size()];
    const uint64_t r = rng() % 10;
    if (r < 4) {
      const uint32_t v = static_cast<uint32_t>(rng());
      const bool expect = !model.contains(k) && model.size() < kCap;
      ASSERT_EQ(t.Insert(k, v), expect);
      if (expect) {
        model.emplace(k, v);
      }
    } else if (r < 7) {
      ASSERT_EQ(t.Erase(k), model.erase(k) == 1);
    } else {
      const auto it = model.find(k);
      const std::optional<uint32_t> got = t.Find(k);
      ASSERT_EQ(got.has_value(), it != model.end());
      if (got) {
        ASSERT_EQ(*got, it->second);
      }
    }
    ASSERT_EQ(t.size(), model.size());
    // The burst lookup too, through the churn (cuckoo moves carry the tags,
    // erases clear them): 100 keys of the universe every 5,000 operations.
    if (op % 5'000 == 0) {
      const size_t first = rng() % (universe.size() - 100);
      std::vector<std::optional<uint32_t>> out(100);
      t.FindBurst(std::span(universe).subspan(first, 100), out);
      for (size_t i = 0; i < 100; ++i) {
        const auto it = model.find(universe[first + i]);
        ASSERT_EQ(out[i].has_value(), it != model.end());
        if (out[i]) {
          ASSERT_EQ(*out[i], it->second);
        }
      }
    }
  }
  for (const auto& [k, v] : model) {
    ASSERT_EQ(t.Find(k), v);
  }
}

TEST(ConnTableTest, FindBurst_EqualsFind) {
  ConnTable t = Make(10'000);
  std::mt19937_64 rng(3);
  std::vector<FourTuple> keys;
  for (int i = 0; i < 9'000; ++i) {
    keys.push_back(RandomTuple(rng));
    ASSERT_TRUE(t.Insert(keys.back(), static_cast<uint32_t>(i)));
  }
  for (int i = 0; i < 1'000; ++i) {
    keys.push_back(RandomTuple(rng));  // misses
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t burst : {1u, 7u, 32u, 33u, 100u}) {
    for (size_t base = 0; base + burst <= keys.size(); base += burst) {
      std::vector<std::optional<uint32_t>> out(burst, 12345u);
      t.FindBurst(std::span(keys).subspan(base, burst), out);
      for (size_t i = 0; i < burst; ++i) {
        ASSERT_EQ(out[i], t.Find(keys[base + i]));
      }
    }
  }
}

TEST(ConnTableTest, TenMillionEntries_AllFound) {
  const size_t n = Scaled(10'000'000);
  ConnTable t = Make(n);
  // The budget of doc/conn_table.md: 19 bytes per entry at capacity (17.8 of
  // buckets, 1.1 of tags) plus 4 MiB of huge-page rounding (19.1 in all).
  EXPECT_LT(t.MemoryBytes(), n * 19 + (size_t{4} << 20));
  std::vector<FourTuple> keys(n);
  // Distinct by construction: a counter spread over remote address and port.
  std::mt19937_64 rng(11);
  for (size_t i = 0; i < n; ++i) {
    keys[i] = Tuple(0x0a000001, static_cast<uint32_t>(i >> 6) | 0x40000000, 443,
                    static_cast<uint16_t>(1024 + (i & 63)));
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(t.Insert(keys[i], static_cast<uint32_t>(i))) << i;
  }
  EXPECT_EQ(t.size(), n);
  EXPECT_FALSE(t.Insert(Tuple(1, 2, 3, 4), 0));  // full
  size_t wrong = 0;
  std::array<std::optional<uint32_t>, 32> out;
  for (size_t base = 0; base + 32 <= n; base += 32) {
    t.FindBurst(std::span(keys).subspan(base, 32), out);
    for (size_t i = 0; i < 32; ++i) {
      wrong += out[i] != base + i ? 1 : 0;
    }
  }
  EXPECT_EQ(wrong, 0u);
  for (size_t i = 0; i < n; i += 97) {
    ASSERT_EQ(t.Find(keys[i]), i);
  }
  EXPECT_FALSE(t.Find(Tuple(0x0a000001, 0x7fffffff, 443, 1)).has_value());
}

}  // namespace
}  // namespace tern::tcp
