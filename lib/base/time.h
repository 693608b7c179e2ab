// Instant and Duration: strong time types.
//
// Both count nanoseconds in a signed 64-bit integer (about 292 years of range),
// so units never mix: build a Duration with Duration::Micros(5) or
// Duration::Seconds(30), read it back with ToMicros() and friends. An Instant
// is a point on one monotonic clock whose epoch is the caller's (the port
// layer uses the TSC converted to ns, tests use a fake clock starting at 0).
// The core never reads a clock: every entry point takes `now`.
#ifndef TERN_LIB_BASE_TIME_H_
#define TERN_LIB_BASE_TIME_H_

#include <compare>
#include <cstdint>
#include <limits>
#include <ostream>

namespace tern {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Nanos(int64_t n) { return Duration(n); }
  static constexpr Duration Micros(int64_t n) { return Duration(n * 1000); }
  static constexpr Duration Millis(int64_t n) {
    return Duration(n * 1000'000);
  }
  static constexpr Duration Seconds(int64_t n) {
    return Duration(n * 1000'000'000);
  }
  static constexpr Duration Zero() { return Duration(0); }
  static constexpr Duration Infinite() {
    return Duration(std::numeric_limits<int64_t>::max());
  }

  constexpr int64_t ToNanos() const { return ns_; }
  constexpr int64_t ToMicros() const { return ns_ / 1000; }
  constexpr int64_t ToMillis() const { return ns_ / 1000'000; }
  constexpr int64_t ToSeconds() const { return ns_ / 1000'000'000; }

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant FromNanos(int64_t ns) { return Instant(ns); }
  // The far future: a deadline that never comes.
  static constexpr Instant Never() {
    return Instant(std::numeric_limits<int64_t>::max());
  }

  constexpr int64_t ToNanos() const { return ns_; }

  constexpr Instant operator+(Duration d) const {
    return Instant(ns_ + d.ToNanos());
  }
  constexpr Instant operator-(Duration d) const {
    return Instant(ns_ - d.ToNanos());
  }
  constexpr Duration operator-(Instant o) const {
    return Duration::Nanos(ns_ - o.ns_);
  }
  constexpr Instant& operator+=(Duration d) {
    ns_ += d.ToNanos();
    return *this;
  }
  constexpr auto operator<=>(const Instant&) const = default;

 private:
  constexpr explicit Instant(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, Duration d) {
  return os << d.ToNanos() << "ns";
}
inline std::ostream& operator<<(std::ostream& os, Instant t) {
  return os << "t+" << t.ToNanos() << "ns";
}

}  // namespace tern

#endif  // TERN_LIB_BASE_TIME_H_
