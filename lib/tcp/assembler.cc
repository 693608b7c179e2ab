// Out-of-order segment tracking: RFC 9293 section 3.10.7.4 (seventh step,
// segments held for later processing) and RFC 2018 section 4 (SACK block
// generation by the data receiver).
#include "lib/tcp/assembler.h"

#include <algorithm>
#include <limits>

#include "lib/base/dcheck.h"

namespace tern::tcp {

Assembler::InsertResult Assembler::Add(uint32_t offset, uint32_t len) {
  if (len == 0) {
    return InsertResult::kDuplicate;
  }
  TERN_DCHECK(uint64_t{offset} + len <= std::numeric_limits<uint32_t>::max());
  uint32_t end = offset + len;
  if (fin_known_) {
    // Bytes past the FIN cannot exist (RFC 9293 section 3.10.7.4, eighth
    // step: the FIN is the last sequence number); holding them would let a
    // peer fill the ring's free area with bytes never delivered.
    if (offset >= fin_offset_) {
      return InsertResult::kBeyondFin;
    }
    end = std::min(end, fin_offset_);
  }
  // The ranges [i, j) overlap or touch [offset, end). A linear scan: there
  // are at most kSlots ranges (264 bytes), too few for a search to pay.
  size_t i = 0;
  while (i < count_ && ranges_[i].end < offset) {
    ++i;
  }
  size_t j = i;
  while (j < count_ && ranges_[j].start <= end) {
    ++j;
  }
  if (i == j) {
    // A new hole-bounded range. In-order data (offset 0) always gets a slot:
    // refusing it would stall the connection, and the caller pops it at once.
    const bool front_held = count_ > 0 && ranges_[0].start == 0;
    const size_t beyond = count_ - (front_held ? 1 : 0);
    if (offset > 0 && beyond >= kMaxRanges) {
      return InsertResult::kTooManyRanges;
    }
    TERN_DCHECK(count_ < kSlots);
    for (size_t k = count_; k > i; --k) {
      ranges_[k] = ranges_[k - 1];
      stamps_[k] = stamps_[k - 1];
    }
    ranges_[i] = Range{offset, end};
    stamps_[i] = NextStamp();
    ++count_;
    return InsertResult::kAdded;
  }
  // The segment still triggers the next ACK, so its range is reported first
  // (RFC 2018 section 4) even when it brought nothing new.
  stamps_[i] = NextStamp();
  if (j - i == 1 && ranges_[i].start <= offset && end <= ranges_[i].end) {
    return InsertResult::kDuplicate;
  }
  ranges_[i].start = std::min(ranges_[i].start, offset);
  ranges_[i].end = std::max(ranges_[j - 1].end, end);
  RemoveAt(i + 1, j - i - 1);
  return InsertResult::kAdded;
}

uint32_t Assembler::PopFront() {
  if (count_ == 0 || ranges_[0].start != 0) {
    return 0;
  }
  const uint32_t n = ranges_[0].end;
  RemoveAt(0, 1);
  Rebase(n);
  return n;
}

void Assembler::Advance(uint32_t n) {
  size_t gone = 0;
  while (gone < count_ && ranges_[gone].end <= n) {
    ++gone;
  }
  RemoveAt(0, gone);
  if (count_ > 0 && ranges_[0].start < n) {
    ranges_[0].start = n;
  }
  Rebase(n);
}

void Assembler::Rebase(uint32_t n) {
  for (size_t k = 0; k < count_; ++k) {
    TERN_DCHECK(ranges_[k].start >= n);
    ranges_[k].start -= n;
    ranges_[k].end -= n;
  }
  if (fin_known_) {
    // Only a caller that appends in-order bytes past the FIN could overshoot;
    // clamping keeps FinReached true rather than wrapping the offset.
    fin_offset_ = fin_offset_ > n ? fin_offset_ - n : 0;
  }
}

void Assembler::SetFin(uint32_t offset) {
  if (fin_known_) {
    // RFC 9293 does not let a FIN move; the first position stands and a
    // conflicting one is treated as noise.
    return;
  }
  fin_known_ = true;
  fin_offset_ = offset;
  while (count_ > 0 && ranges_[count_ - 1].start >= offset) {
    --count_;
  }
  if (count_ > 0 && ranges_[count_ - 1].end > offset) {
    ranges_[count_ - 1].end = offset;
  }
}

size_t Assembler::SackBlocks(SeqNum rcv_nxt,
                             std::span<wire::SackBlock> out) const {
  // Stamps of live ranges are distinct, so "the largest stamp below the last
  // one taken" walks the ranges from most to least recent without a sort.
  size_t written = 0;
  uint64_t below = uint64_t{std::numeric_limits<uint32_t>::max()} + 1;
  while (written < out.size()) {
    size_t best = count_;
    for (size_t k = 0; k < count_; ++k) {
      if (ranges_[k].start == 0 || stamps_[k] >= below) {
        continue;
      }
      if (best == count_ || stamps_[k] > stamps_[best]) {
        best = k;
      }
    }
    if (best == count_) {
      break;
    }
    out[written++] = wire::SackBlock{rcv_nxt + ranges_[best].start,
                                     rcv_nxt + ranges_[best].end};
    below = stamps_[best];
  }
  return written;
}

void Assembler::Clear() {
  count_ = 0;
  clock_ = 0;
  fin_offset_ = 0;
  fin_known_ = false;
}

uint32_t Assembler::NextStamp() {
  if (clock_ == std::numeric_limits<uint32_t>::max()) {
    // Once per 2^32 segments: renumber the live stamps 1..count_ in the same
    // order, so recency survives the wrap with 4-byte stamps.
    std::array<uint32_t, kSlots> renumbered{};
    for (size_t a = 0; a < count_; ++a) {
      uint32_t rank = 1;
      for (size_t b = 0; b < count_; ++b) {
        rank += stamps_[b] < stamps_[a] ? 1 : 0;
      }
      renumbered[a] = rank;
    }
    stamps_ = renumbered;
    clock_ = count_;
  }
  return ++clock_;
}

void Assembler::RemoveAt(size_t i, size_t n) {
  if (n == 0) {
    return;
  }
  TERN_DCHECK(i + n <= count_);
  for (size_t k = i; k + n < count_; ++k) {
    ranges_[k] = ranges_[k + n];
    stamps_[k] = stamps_[k + n];
  }
  count_ -= static_cast<uint32_t>(n);
}

}  // namespace tern::tcp
