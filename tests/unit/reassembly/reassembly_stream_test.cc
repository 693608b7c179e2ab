// End to end: a byte stream cut into segments, delivered in random orders
// with losses, duplicates and re-segmented retransmissions, through the
// receive path a connection will use (window trim, ByteRing::WriteAt,
// Assembler::Add, PopFront, Commit), read back in random amounts.
#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "lib/tcp/assembler.h"
#include "lib/tcp/byte_ring.h"

namespace tern::tcp {
namespace {

struct Segment {
  uint32_t seq;  // offset in the stream
  uint32_t len;
  bool fin;
};

class Receiver {
 public:
  explicit Receiver(size_t capacity) { ring_.Init(capacity); }

  // One arriving segment; mirrors RFC 9293 3.10.7.4 steps 1 and 7 for the
  // window and the data, without sequence-number wrap (the Assembler tests
  // cover that).
  void Receive(const std::vector<uint8_t>& stream, Segment s) {
    uint32_t start = s.seq;
    uint32_t end = s.seq + s.len;
    if (s.fin && !fin_seen_) {
      // The FIN occupies the sequence number just past the data.
      fin_seen_ = true;
      asm_.SetFin(end - rcv_nxt_);
    }
    start = std::max(start, rcv_nxt_);
    end = std::min<uint32_t>(end, rcv_nxt_ + ring_.free());
    if (start >= end) {
      return;
    }
    const uint32_t offset = start - rcv_nxt_;
    const size_t written =
        ring_.WriteAt(offset, std::span(stream).subspan(start, end - start));
    ASSERT_EQ(written, end - start);
    Assembler::InsertResult r =
        asm_.Add(offset, static_cast<uint32_t>(written));
    if (r == Assembler::InsertResult::kTooManyRanges) {
      ++refused_;
      return;
    }
    const uint32_t n = asm_.PopFront();
    ring_.Commit(n);
    rcv_nxt_ += n;
    std::array<wire::SackBlock, 4> blocks{};
    const size_t k = asm_.SackBlocks(SeqNum(rcv_nxt_), blocks);
    for (size_t i = 0; i < k; ++i) {
      ASSERT_GT(blocks[i].left, SeqNum(rcv_nxt_));
      ASSERT_LE(blocks[i].right - SeqNum(rcv_nxt_),
                static_cast<int32_t>(ring_.free()));
    }
  }

  void Read(std::vector<uint8_t>& out, size_t max) {
    const size_t n = std::min(max, ring_.size());
    const size_t old = out.size();
    out.resize(old + n);
    ring_.CopyOut(0, std::span(out).subspan(old, n));
    ring_.Pop(n);
  }

  uint32_t rcv_nxt() const { return rcv_nxt_; }
  size_t free() const { return ring_.free(); }
  bool fin_reached() const { return asm_.FinReached(); }
  size_t refused() const { return refused_; }

 private:
  ByteRing ring_;
  Assembler asm_;
  uint32_t rcv_nxt_ = 0;
  bool fin_seen_ = false;
  size_t refused_ = 0;
};

void RunOne(uint32_t seed, size_t stream_len, size_t capacity, uint32_t max_seg,
            size_t* refused_total) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> stream(stream_len);
  for (uint8_t& b : stream) {
    b = static_cast<uint8_t>(rng());
  }
  std::vector<Segment> segments;
  for (uint32_t seq = 0; seq < stream_len;) {
    const uint32_t len = std::min<uint32_t>(
        1 + rng() % max_seg, static_cast<uint32_t>(stream_len) - seq);
    segments.push_back({seq, len, seq + len == stream_len});
    seq += len;
  }
  Receiver rx(capacity);
  std::vector<uint8_t> read;
  for (int round = 0; rx.rcv_nxt() < stream_len || !rx.fin_reached(); ++round) {
    ASSERT_LT(round, 100000) << "no progress, seed " << seed;
    // The sender sends what the advertised window covers, in random order;
    // some segments are lost, some duplicated, some re-cut.
    const uint32_t wnd_end = rx.rcv_nxt() + static_cast<uint32_t>(rx.free());
    std::vector<Segment> flight;
    for (const Segment& s : segments) {
      if (s.seq + s.len > rx.rcv_nxt() && s.seq < wnd_end) {
        if (rng() % 4 != 0) {
          flight.push_back(s);
        }
        if (rng() % 8 == 0) {
          flight.push_back(s);
        }
      }
    }
    if (rng() % 3 == 0 && rx.rcv_nxt() < stream_len) {
      const uint32_t a =
          rx.rcv_nxt() +
          rng() % (static_cast<uint32_t>(stream_len) - rx.rcv_nxt());
      const uint32_t len = std::min<uint32_t>(
          1 + rng() % (2 * max_seg), static_cast<uint32_t>(stream_len) - a);
      flight.push_back({a, len, a + len == stream_len});
    }
    std::shuffle(flight.begin(), flight.end(), rng);
    for (const Segment& s : flight) {
      rx.Receive(stream, s);
    }
    rx.Read(read, rng() % (capacity + 1));
    if (rx.fin_reached()) {
      ASSERT_EQ(rx.rcv_nxt(), stream_len) << "FIN reached before its bytes";
    }
  }
  rx.Read(read, capacity);
  ASSERT_EQ(read.size(), stream.size()) << "seed " << seed;
  EXPECT_TRUE(read == stream) << "seed " << seed;
  *refused_total += rx.refused();
}

TEST(Reassembly, RandomPermutations_StreamDeliveredExactly) {
  size_t refused = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    // A small ring against a longer stream: the window slides and the ring
    // wraps many times.
    RunOne(seed, 20000 + seed * 97, 4096, 700, &refused);
  }
  EXPECT_EQ(refused, 0u) << "MSS-sized segments never exhaust 32 ranges here";
}

TEST(Reassembly, TinySegments_RangeBoundRefusesButStreamCompletes) {
  size_t refused = 0;
  for (uint32_t seed = 100; seed < 110; ++seed) {
    RunOne(seed, 6000, 2048, 3, &refused);
  }
  EXPECT_GT(refused, 0u) << "the bound was exercised";
}

}  // namespace
}  // namespace tern::tcp
