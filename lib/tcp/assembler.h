// Assembler: which bytes beyond RCV.NXT have arrived out of order.
//
// RFC 9293 section 3.10.7.4, seventh step: segments with higher beginning
// sequence numbers than RCV.NXT may be held for later processing; tern holds
// their bytes in the receive ByteRing's free area (ByteRing::WriteAt) and this
// class remembers where they are. RFC 2018 section 4 (generating SACK options)
// is SackBlocks. Design, bounds and reasons: doc/reassembly.md.
//
// Contract:
// - Offsets are bytes past the in-order tail, that is past RCV.NXT. The
//   tracker holds sorted, disjoint, non-adjacent ranges [start, end) in fixed
//   storage; it never allocates.
// - Add(offset, len) records a segment's bytes, merging with every range it
//   overlaps or touches. The caller trims the segment to the receive window
//   first, so offset + len never exceeds 2^32 - 1. It returns kAdded when at
//   least one byte was new, kDuplicate when none was (a zero-length Add too),
//   kTooManyRanges when the bytes would need a new range while kMaxRanges
//   ranges beyond offset 0 are held (nothing is recorded; the caller drops the
//   segment and counts the drop), kBeyondFin when every byte lies at or past a
//   known FIN (bytes past a FIN are clipped off otherwise). A range starting at
//   offset 0 is in-order data and is never refused.
// - After every Add, and after appending in-order data and calling Advance,
//   the caller calls PopFront: it returns the length of the range at offset 0
//   (0 when none), removes it and rebases the rest, so the caller can Commit
//   that many bytes of the ring and advance RCV.NXT by as many. Advance(n)
//   rebases by n bytes the caller appended itself, dropping what falls below
//   offset 0.
// - SetFin(offset) records an out-of-order FIN; the first one wins and later
//   ones are ignored, and held bytes at or past it are forgotten. FinReached()
//   is true once PopFront/Advance have consumed every byte before the FIN.
// - SackBlocks writes at most out.size() blocks in sequence space: first the
//   range containing the most recently added segment (RFC 2018 section 4
//   MUST), then the other ranges from the most recently first-reported
//   (touched) to the least; never a range at offset 0 (RCV.NXT covers it).
//   Callers pass a span of 4, or 3 when the segment carries timestamps
//   (RFC 2018 section 3, 40 bytes of option space).
#ifndef TERN_LIB_TCP_ASSEMBLER_H_
#define TERN_LIB_TCP_ASSEMBLER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "lib/base/seq_num.h"
#include "lib/wire/tcp_header.h"

namespace tern::tcp {

class Assembler {
 public:
  // Holes the receiver keeps open at once. Every hole is at least one lost
  // segment in the current window: with the default 256 KiB receive buffer
  // and a 1448-byte MSS a window holds 181 segments, so 32 holes means a loss
  // of at least one segment in six within one window, where the sender is in
  // loss recovery (RFC 6675) or retransmission timeout (RFC 6298) anyway, and
  // the sender learns of at most 4 ranges per ACK (RFC 2018 section 3). A
  // refused segment is never SACKed, so the sender retransmits it. The bound
  // keeps state per connection fixed (32 x 12 bytes) whatever a peer sends:
  // tiny segments with gaps cannot make us track more.
  static constexpr size_t kMaxRanges = 32;

  struct Range {
    uint32_t start;  // offset of the first byte past RCV.NXT
    uint32_t end;    // offset just past the last byte
    bool operator==(const Range&) const = default;
  };

  enum class InsertResult { kAdded, kDuplicate, kTooManyRanges, kBeyondFin };

  InsertResult Add(uint32_t offset, uint32_t len);
  uint32_t PopFront();
  void Advance(uint32_t n);

  void SetFin(uint32_t offset);
  bool fin_known() const { return fin_known_; }
  // Offset of the FIN past RCV.NXT; meaningful when fin_known().
  uint32_t fin_offset() const { return fin_offset_; }
  bool FinReached() const { return fin_known_ && fin_offset_ == 0; }

  size_t SackBlocks(SeqNum rcv_nxt, std::span<wire::SackBlock> out) const;

  bool empty() const { return count_ == 0; }
  size_t range_count() const { return count_; }
  // End of the highest range, 0 when empty.
  uint32_t highest_end() const {
    return count_ == 0 ? 0 : ranges_[count_ - 1].end;
  }
  // The ranges in ascending order.
  std::span<const Range> ranges() const { return {ranges_.data(), count_}; }
  void Clear();

 private:
  friend class AssemblerPeer;  // tests: the recency clock's wrap

  // One slot more than kMaxRanges: the range at offset 0 that Add may create
  // before the caller's PopFront does not count against the bound.
  static constexpr size_t kSlots = kMaxRanges + 1;

  uint32_t NextStamp();
  void RemoveAt(size_t i, size_t n);
  void Rebase(uint32_t n);

  std::array<Range, kSlots> ranges_{};
  // stamps_[i]: value of clock_ when a segment last landed in ranges_[i]; a
  // larger stamp is more recent. Kept apart from Range so that ranges() is a
  // plain view.
  std::array<uint32_t, kSlots> stamps_{};
  uint32_t count_ = 0;
  uint32_t clock_ = 0;
  uint32_t fin_offset_ = 0;
  bool fin_known_ = false;
};

// The fixed per-connection cost argued for in kMaxRanges' comment.
static_assert(sizeof(Assembler) <= 416, "33 slots of 12 bytes plus 16");

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_ASSEMBLER_H_
