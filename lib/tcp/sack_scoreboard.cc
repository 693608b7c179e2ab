// RFC 2018 sections 3, 4 and 8; RFC 2883 section 4; RFC 6675 sections 2, 4.
#include "lib/tcp/sack_scoreboard.h"

#include <algorithm>

#include "lib/base/dcheck.h"

namespace tern::tcp {
namespace {

// Bytes in [a, b); the scoreboard only forms ranges with a <= b that are less
// than 2^31 apart (RFC 9293 section 3.4 window bound), so the signed
// difference is exact.
uint32_t Span(SeqNum a, SeqNum b) {
  TERN_DCHECK(a <= b);
  return static_cast<uint32_t>(b - a);
}

// IsLost for every byte of one hole. Within a hole the SACKed ranges above a
// byte are the same for all of its bytes, so the RFC 6675 section 4 test is
// constant over the hole and decreasing as holes get higher.
bool HoleLost(size_t ranges_above, uint32_t bytes_above, uint32_t smss) {
  // RFC 6675 section 4 IsLost: DupThresh discontiguous SACKed sequences, or
  // more than (DupThresh - 1) * SMSS SACKed bytes, above the sequence number.
  return ranges_above >= SackScoreboard::kDupThresh ||
         uint64_t{bytes_above} >
             uint64_t{SackScoreboard::kDupThresh - 1} * uint64_t{smss};
}

}  // namespace

void SackScoreboard::Reset() {
  count_ = 0;
  sacked_bytes_ = 0;
}

size_t SackScoreboard::FirstRangeEndingAbove(SeqNum seq) const {
  size_t i = 0;
  while (i < count_ && ranges_[i].right <= seq) {
    ++i;
  }
  return i;
}

uint32_t SackScoreboard::BytesFrom(size_t i) const {
  uint32_t bytes = 0;
  for (; i < count_; ++i) {
    bytes += Span(ranges_[i].left, ranges_[i].right);
  }
  return bytes;
}

void SackScoreboard::OnCumulativeAck(SeqNum snd_una) {
  snd_una_ = snd_una;
  size_t gone = FirstRangeEndingAbove(snd_una);
  for (size_t i = 0; i < gone; ++i) {
    sacked_bytes_ -= Span(ranges_[i].left, ranges_[i].right);
  }
  std::copy(ranges_.begin() + gone, ranges_.begin() + count_, ranges_.begin());
  count_ -= gone;
  // A cumulative ACK landing inside a SACKed range (segment boundaries of a
  // retransmission need not match the original ones) trims it.
  if (count_ > 0 && ranges_[0].left < snd_una) {
    sacked_bytes_ -= Span(ranges_[0].left, snd_una);
    ranges_[0].left = snd_una;
  }
}

uint32_t SackScoreboard::Insert(SeqNum left, SeqNum right) {
  TERN_DCHECK(left < right);
  // Ranges i .. j-1 overlap or touch [left, right) and merge with it.
  size_t i = FirstRangeEndingAbove(left - 1);  // right edge >= left
  size_t j = i;
  while (j < count_ && ranges_[j].left <= right) {
    ++j;
  }
  if (i == j) {
    if (count_ == kMaxRanges) {
      // Full: forget the highest island (see kMaxRanges). If the new range is
      // itself the highest, it is the one forgotten.
      if (i == count_) {
        return 0;
      }
      --count_;
      sacked_bytes_ -= Span(ranges_[count_].left, ranges_[count_].right);
    }
    std::copy_backward(ranges_.begin() + i, ranges_.begin() + count_,
                       ranges_.begin() + count_ + 1);
    ranges_[i] = Range{left, right};
    ++count_;
    uint32_t added = Span(left, right);
    sacked_bytes_ += added;
    return added;
  }
  uint32_t absorbed = 0;
  for (size_t k = i; k < j; ++k) {
    absorbed += Span(ranges_[k].left, ranges_[k].right);
  }
  Range merged{SeqNum::Min(left, ranges_[i].left),
               SeqNum::Max(right, ranges_[j - 1].right)};
  uint32_t added = Span(merged.left, merged.right) - absorbed;
  ranges_[i] = merged;
  std::copy(ranges_.begin() + j, ranges_.begin() + count_,
            ranges_.begin() + i + 1);
  count_ -= j - i - 1;
  sacked_bytes_ += added;
  return added;
}

SackUpdate SackScoreboard::Update(SeqNum snd_una, SeqNum snd_max,
                                  std::span<const wire::SackBlock> blocks) {
  OnCumulativeAck(snd_una);
  SackUpdate update;
  size_t first = 0;
  if (!blocks.empty()) {
    const wire::SackBlock& b0 = blocks[0];
    bool sane = b0.left < b0.right && b0.right <= snd_max;
    // RFC 2883 section 4: the first block is a D-SACK when it lies below the
    // cumulative ACK, or when the second block contains it. A duplicate
    // reported that way adds nothing to the scoreboard, so it is not merged.
    bool below_ack = b0.left < snd_una;
    bool inside_second =
        blocks.size() >= 2 && blocks[1].left < blocks[1].right &&
        blocks[1].left <= b0.left && b0.right <= blocks[1].right;
    if (sane && (below_ack || inside_second)) {
      update.dsack = true;
      update.dsack_left = b0.left;
      update.dsack_right = b0.right;
      first = 1;
    }
  }
  for (size_t k = first; k < blocks.size(); ++k) {
    SeqNum left = blocks[k].left;
    SeqNum right = blocks[k].right;
    // RFC 2018 section 3 blocks describe received data above the cumulative
    // ACK; an edge beyond anything sent, an empty block or one wholly
    // acknowledged carries no usable information.
    if (!(left < right) || right > snd_max || right <= snd_una) {
      ++update.ignored_blocks;
      continue;
    }
    update.newly_sacked += Insert(SeqNum::Max(left, snd_una), right);
  }
  return update;
}

bool SackScoreboard::IsSacked(SeqNum seq) const {
  size_t i = FirstRangeEndingAbove(seq);
  return i < count_ && ranges_[i].left <= seq;
}

SeqNum SackScoreboard::HighestSacked() const {
  return count_ == 0 ? snd_una_ : ranges_[count_ - 1].right;
}

bool SackScoreboard::IsLost(SeqNum seq, uint32_t smss) const {
  size_t i = FirstRangeEndingAbove(seq);
  if (i < count_ && ranges_[i].left <= seq) {
    return false;  // SACKed bytes are delivered, not lost.
  }
  return HoleLost(count_ - i, BytesFrom(i), smss);
}

template <typename Fn>
void SackScoreboard::ForEachHole(SeqNum from, SeqNum to, Fn&& fn) const {
  size_t i = FirstRangeEndingAbove(from);
  SeqNum pos = from;
  if (i < count_ && ranges_[i].left <= pos) {
    pos = ranges_[i].right;
    ++i;
  }
  uint32_t bytes_above = BytesFrom(i);
  while (pos < to) {
    SeqNum hole_end = i < count_ ? SeqNum::Min(ranges_[i].left, to) : to;
    if (pos < hole_end && !fn(pos, hole_end, count_ - i, bytes_above)) {
      return;
    }
    if (i == count_) {
      return;
    }
    bytes_above -= Span(ranges_[i].left, ranges_[i].right);
    pos = ranges_[i].right;
    ++i;
  }
}

uint32_t SackScoreboard::Pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt,
                              uint32_t smss) const {
  SeqNum rxt_end = SeqNum::Min(SeqNum::Max(high_rxt, snd_una), snd_max);
  uint32_t pipe = 0;
  ForEachHole(
      snd_una, snd_max,
      [&](SeqNum a, SeqNum b, size_t ranges_above, uint32_t bytes_above) {
        // RFC 6675 section 4 SetPipe (a): not lost, so still in flight.
        if (!HoleLost(ranges_above, bytes_above, smss)) {
          pipe += Span(a, b);
        }
        // SetPipe (b): retransmitted (S1 <= HighRxt), in flight again.
        if (a < rxt_end) {
          pipe += Span(a, SeqNum::Min(b, rxt_end));
        }
        return true;
      });
  return pipe;
}

std::optional<NextSegment> SackScoreboard::NextSeg(
    SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt, SeqNum high_data_to_send,
    uint32_t smss, bool rescue_allowed) const {
  TERN_DCHECK(smss > 0);
  // Rules (1) and (3) look at the lowest unSACKed byte above HighRxt (1.a) and
  // below the highest SACKed byte (1.b). Holes only get less lost going up, so
  // if that first hole is not lost, no higher one is: it decides both rules.
  std::optional<NextSegment> first_hole;
  if (count_ > 0) {
    SeqNum from = SeqNum::Max(snd_una, high_rxt);
    SeqNum to = SeqNum::Min(HighestSacked(), snd_max);
    ForEachHole(
        from, to,
        [&](SeqNum a, SeqNum b, size_t ranges_above, uint32_t bytes_above) {
          bool lost = HoleLost(ranges_above, bytes_above, smss);
          first_hole = NextSegment{a, std::min(smss, Span(a, b)), true,
                                   lost ? NextSegment::Rule::kLost
                                        : NextSegment::Rule::kUnsackedNotLost};
          return false;
        });
  }
  // Rule (1): a lost hole MUST be retransmitted first.
  if (first_hole && first_hole->rule == NextSegment::Rule::kLost) {
    return first_hole;
  }
  // Rule (2): new data, starting at HighData + 1 (snd_max here).
  if (snd_max < high_data_to_send) {
    return NextSegment{snd_max,
                       std::min(smss, Span(snd_max, high_data_to_send)), false,
                       NextSegment::Rule::kNewData};
  }
  // Rule (3): the unSACKed hole that is not yet deemed lost.
  if (first_hole) {
    return first_hole;
  }
  // Rule (4): one rescue segment that includes the highest outstanding
  // unSACKed byte.
  if (rescue_allowed) {
    std::optional<NextSegment> rescue;
    ForEachHole(snd_una, snd_max, [&](SeqNum a, SeqNum b, size_t, uint32_t) {
      SeqNum start = Span(a, b) > smss ? b - smss : a;
      rescue =
          NextSegment{start, Span(start, b), true, NextSegment::Rule::kRescue};
      return true;
    });
    return rescue;
  }
  return std::nullopt;
}

}  // namespace tern::tcp
