// SeqNum: a TCP sequence number with serial-number arithmetic.
//
// RFC 9293 section 3.4 and RFC 1982: sequence numbers live in a 2^32 circle;
// a < b means the signed 32-bit difference b - a is positive. The comparison is
// only meaningful for numbers less than 2^31 apart, which TCP guarantees for
// in-window values. No raw uint32_t comparison of sequence numbers is allowed
// anywhere in the core: use this type.
#ifndef TERN_LIB_BASE_SEQ_NUM_H_
#define TERN_LIB_BASE_SEQ_NUM_H_

#include <cstdint>
#include <ostream>

namespace tern {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint32_t raw) : raw_(raw) {}

  constexpr uint32_t raw() const { return raw_; }

  // Signed distance from `other` to this: positive when this is after other.
  constexpr int32_t operator-(SeqNum other) const {
    return static_cast<int32_t>(raw_ - other.raw_);
  }
  constexpr SeqNum operator+(uint32_t n) const { return SeqNum(raw_ + n); }
  constexpr SeqNum operator-(uint32_t n) const { return SeqNum(raw_ - n); }
  constexpr SeqNum& operator+=(uint32_t n) {
    raw_ += n;
    return *this;
  }
  constexpr SeqNum& operator-=(uint32_t n) {
    raw_ -= n;
    return *this;
  }

  constexpr bool operator==(const SeqNum&) const = default;
  constexpr bool operator<(SeqNum o) const { return (*this - o) < 0; }
  constexpr bool operator<=(SeqNum o) const { return (*this - o) <= 0; }
  constexpr bool operator>(SeqNum o) const { return (*this - o) > 0; }
  constexpr bool operator>=(SeqNum o) const { return (*this - o) >= 0; }

  // The later / earlier of two sequence numbers in serial order.
  static constexpr SeqNum Max(SeqNum a, SeqNum b) { return a < b ? b : a; }
  static constexpr SeqNum Min(SeqNum a, SeqNum b) { return a < b ? a : b; }

  // lo <= x < hi in serial order (an empty range when lo == hi).
  constexpr bool InHalfOpen(SeqNum lo, SeqNum hi) const {
    return *this >= lo && *this < hi;
  }
  // lo <= x <= hi in serial order.
  constexpr bool InClosed(SeqNum lo, SeqNum hi) const {
    return *this >= lo && *this <= hi;
  }

 private:
  uint32_t raw_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, SeqNum s) {
  return os << s.raw();
}

}  // namespace tern

#endif  // TERN_LIB_BASE_SEQ_NUM_H_
