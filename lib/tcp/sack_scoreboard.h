// SackScoreboard: the data sender's record of SACKed sequence space.
//
// Implements the sender side of RFC 2018 (SACK blocks, section 3; reneging,
// section 8), RFC 2883 section 4 (recognising a D-SACK block) and the
// scoreboard functions of RFC 6675 section 4: IsLost, SetPipe (Pipe) and
// NextSeg, with DupThresh = 3 (RFC 6675 section 2).
//
// Contract:
// - The scoreboard holds at most kMaxRanges disjoint, non-adjacent SACKed
//   ranges [left, right), sorted, all inside [SND.UNA, SND.MAX). It never
//   allocates: storage is a fixed array inside the object.
// - When a new range does not fit, the highest range is forgotten (or the new
//   one, if it is the highest). Forgetting SACK information is always safe: the
//   bytes are treated as outstanding, which can only cause an unnecessary
//   retransmission and a larger Pipe, never a missed one.
// - Sequence numbers follow RFC 9293 byte numbering with exclusive right edges,
//   as in the SACK option itself (RFC 2018 section 3). `high_rxt` is likewise
//   exclusive: the bytes [SND.UNA, high_rxt) have been retransmitted in the
//   current recovery; pass SND.UNA when nothing has been. (RFC 6675 defines
//   HighRxt as the highest retransmitted octet, i.e. high_rxt - 1 here.)
// - Nothing here reads a clock or sends anything; the connection calls it and
//   acts on the answers. On a retransmission timeout the connection calls
//   Reset(): RFC 2018 section 8 requires prior SACK information to be ignored
//   then, because the receiver may have reneged.
#ifndef TERN_LIB_TCP_SACK_SCOREBOARD_H_
#define TERN_LIB_TCP_SACK_SCOREBOARD_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "lib/base/seq_num.h"
#include "lib/wire/tcp_header.h"

namespace tern::tcp {

// What one ACK's SACK blocks told the sender.
struct SackUpdate {
  // Bytes the scoreboard records as SACKed now and did not before (bytes of a
  // range dropped for capacity are not subtracted).
  uint32_t newly_sacked = 0;
  // Blocks ignored as carrying no usable information: empty or inverted,
  // beyond SND.MAX, or wholly at or below SND.UNA (and not a D-SACK).
  uint32_t ignored_blocks = 0;
  // The first block was a D-SACK (RFC 2883 section 4); its edges follow.
  bool dsack = false;
  SeqNum dsack_left;
  SeqNum dsack_right;
};

// One segment chosen by NextSeg (RFC 6675 section 4).
struct NextSegment {
  // Which NextSeg rule of RFC 6675 section 4 chose the segment.
  enum class Rule : uint8_t {
    kLost = 1,             // (1) first lost hole above HighRxt
    kNewData = 2,          // (2) previously unsent data
    kUnsackedNotLost = 3,  // (3) first unSACKed hole above HighRxt, not lost
    kRescue = 4,           // (4) rescue retransmission; do not move HighRxt
  };
  SeqNum seq;
  uint32_t len = 0;
  bool is_retransmission = false;
  Rule rule = Rule::kLost;
  bool operator==(const NextSegment&) const = default;
};

class SackScoreboard {
 public:
  // Capacity in disjoint ranges. Each ACK carries at most 4 blocks (3 beside
  // timestamps, RFC 2018 section 3) and the receiver repeats the most recent
  // ones (RFC 2018 section 4), so a forgotten high range comes back as the
  // holes below it fill. 32 ranges (256 bytes, four cache lines) describe a
  // window in which every other segment of 64 was lost; beyond that the
  // scoreboard keeps the 32 lowest islands, which are the ones NextSeg
  // retransmits first. FreeBSD bounds its hole list similarly (128 holes).
  static constexpr size_t kMaxRanges = 32;
  // RFC 6675 section 2: DupThresh = 3.
  static constexpr uint32_t kDupThresh = 3;

  struct Range {
    SeqNum left;   // first SACKed byte
    SeqNum right;  // just past the last SACKed byte
  };

  SackScoreboard() = default;

  // Forgets everything: a new connection, or RFC 2018 section 8 after an RTO.
  void Reset();

  // Applies the SACK blocks of one ACK. `snd_una` is SND.UNA after this ACK's
  // cumulative acknowledgment was applied; `snd_max` is just past the highest
  // byte ever sent. Ranges at or below snd_una are dropped first. A block is
  // ignored unless left < right <= snd_max and right > snd_una; a block
  // straddling snd_una is clipped to it. The first block is a D-SACK (RFC 2883
  // section 4) when it starts below snd_una or lies inside the second block;
  // it is reported, not recorded.
  SackUpdate Update(SeqNum snd_una, SeqNum snd_max,
                    std::span<const wire::SackBlock> blocks);

  // Drops SACKed bytes below `snd_una` (the cumulative ACK covers them).
  void OnCumulativeAck(SeqNum snd_una);

  // RFC 6675 section 4 IsLost: true when DupThresh discontiguous SACKed
  // ranges lie above `seq`, or more than (DupThresh - 1) * smss SACKed bytes
  // do. False for a SACKed `seq`.
  bool IsLost(SeqNum seq, uint32_t smss) const;

  // RFC 6675 section 4 SetPipe: over the unSACKed bytes of [snd_una, snd_max),
  // one for each byte not IsLost plus one for each byte below high_rxt.
  uint32_t Pipe(SeqNum snd_una, SeqNum snd_max, SeqNum high_rxt,
                uint32_t smss) const;

  // RFC 6675 section 4 NextSeg, rules (1) to (4). `high_data_to_send` is just
  // past the last byte the sender may send now: the end of the application's
  // data, already limited by the receiver's window (rule (2) "the receiver's
  // advertised window allows"). `rescue_allowed` is the caller's test of rule
  // (4): HighACK > RescueRxt or RescueRxt undefined; after a kRescue segment
  // the caller sets RescueRxt = RecoveryPoint and leaves HighRxt alone.
  // Returns nullopt when no segment can be sent.
  std::optional<NextSegment> NextSeg(SeqNum snd_una, SeqNum snd_max,
                                     SeqNum high_rxt, SeqNum high_data_to_send,
                                     uint32_t smss, bool rescue_allowed) const;

  bool IsSacked(SeqNum seq) const;
  // Just past the highest SACKed byte; the last SND.UNA seen when empty.
  SeqNum HighestSacked() const;
  // Total SACKed bytes recorded (all above SND.UNA).
  uint32_t SackedBytes() const { return sacked_bytes_; }

  bool empty() const { return count_ == 0; }
  size_t range_count() const { return count_; }
  // The recorded ranges, lowest first.
  std::span<const Range> ranges() const {
    return std::span<const Range>(ranges_.data(), count_);
  }

 private:
  // Records [left, right) and returns the bytes that were not yet recorded.
  uint32_t Insert(SeqNum left, SeqNum right);
  // Index of the first range whose right edge is above `seq`.
  size_t FirstRangeEndingAbove(SeqNum seq) const;
  // SACKed bytes in the ranges from index i up.
  uint32_t BytesFrom(size_t i) const;
  // Calls fn(a, b, ranges_above, bytes_above) for each unSACKed hole [a, b)
  // of [from, to), lowest first, while fn returns true.
  template <typename Fn>
  void ForEachHole(SeqNum from, SeqNum to, Fn&& fn) const;

  std::array<Range, kMaxRanges> ranges_{};
  size_t count_ = 0;
  uint32_t sacked_bytes_ = 0;
  SeqNum snd_una_;
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SACK_SCOREBOARD_H_
