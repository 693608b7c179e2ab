// SYN cookies: a pure codec that folds a connection request into the server's
// initial sequence number, so a listener can answer a SYN without keeping
// state and rebuild the request from the final ACK.
//
// RFC 4987 section 3.6 describes the technique; this file is the codec only
// (the listener decides when to use it, keeps the secrets and rotates them).
// No state, no clock, no allocation: every input, including the key and the
// time counter, is a parameter.
//
// Cookie layout (the 32-bit server ISN, bit 31 the most significant):
//
//   | bits  | width | field                                              |
//   |-------|-------|----------------------------------------------------|
//   | 31-30 |   2   | counter mod 4: time step in which it was issued    |
//   | 29-27 |   3   | MSS index into kCookieMssTable (0-5 used, 6-7 spare) |
//   | 26-0  |  27   | MAC: low 27 bits of SipHash-2-4(key, words below)  |
//
// MAC input, SipHash24Words(key, a, b, c) (lib/base/siphash.h):
//
//   | word | bits 63-32                              | bits 31-0       |
//   |------|-----------------------------------------|-----------------|
//   | a    | local address                           | remote address  |
//   | b    | local port (63-48), remote port (47-32) | client ISN      |
//   | c    | MSS index (34-32), zeros above          | full counter    |
//
// The MAC covers the full counter and the MSS index, so neither can be
// altered, and a counter that aliases mod 4 (four or more steps old) fails the
// MAC. An attacker who has not seen a cookie for the tuple guesses a valid one
// with probability 2^-27 per try.
//
// Time counter: SynCookieCounter(now) = now / 64 s. Decode accepts a cookie
// whose counter equals the current counter or the one before it, so a cookie
// lives between 64 and 128 seconds (about 2 minutes).
//
// Timestamp encoding: when the client sent the timestamps option (RFC 7323),
// the SYN-ACK's TSval carries the options the cookie cannot hold in its low
// 6 bits, and the final ACK's TSecr echoes them back:
//
//   | bits | width | field                                              |
//   |------|-------|----------------------------------------------------|
//   | 31-6 |  26   | timestamp clock (high bits)                        |
//   | 5    |   1   | ECN requested (RFC 3168 section 6.1.1)             |
//   | 4    |   1   | SACK permitted (RFC 2018 section 2)                |
//   | 3-0  |   4   | client's window shift 0-14 (RFC 7323 section 2.3), |
//   |      |       | 15 = no window scale option                        |
//
// Every one of the 64 patterns is a valid option set, so decoding cannot fail.
// The encoded TSval is never ahead of the clock and lags it by at most 63
// units, so later TSvals from the real clock never go backwards for the
// peer's PAWS check (RFC 7323 section 5).
#ifndef TERN_LIB_TCP_SYN_COOKIE_H_
#define TERN_LIB_TCP_SYN_COOKIE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/base/seq_num.h"
#include "lib/base/siphash.h"
#include "lib/base/time.h"
#include "lib/tcp/four_tuple.h"

namespace tern::tcp {

// The secret of one cookie generation. The listener keeps the current and the
// previous one while rotating; the codec sees one at a time.
struct SynCookieSecrets {
  SipKey key;

  // A fresh secret from getrandom(2).
  static absl::StatusOr<SynCookieSecrets> Create();
};

// MSS values a cookie can carry, ascending. The Internet entries follow the
// SYN MSS distribution measured by S. Alcock and R. Nelson, "An Analysis of
// TCP Maximum Segment Sizes" (WAND, University of Waikato, 2011), as
// summarised in Linux's IPv4 cookie table: below 536 is rare (< 0.2%), 537 to
// 1299 is < 1.5%, 1300 to 1349 is 15-20%, above 1460 is < 0.04%.
//   536: the default MSS when the SYN has no MSS option (RFC 9293 section
//        3.7.1, RFC 879); also the floor for clients asking below it.
//  1300: the bottom of the 1300-1349 cluster.
//  1440: in that table too; Ethernet minus a 20-byte IPv4-in-IPv4 header
//        (RFC 2003), MTU 1480 minus 40.
//  1452: PPPoE, MTU 1492 (RFC 2516 section 7) minus 40 bytes of headers.
//  1460: Ethernet, MTU 1500 (RFC 894) minus 40 bytes of headers.
//  8960: 9000-byte jumbo frames, not an Internet value but common between
//        machines in one data centre, where tern runs; minus 40.
// Index values 6 and 7 name no entry.
inline constexpr std::array<uint16_t, 6> kCookieMssTable = {536,  1300, 1440,
                                                            1452, 1460, 8960};

// The index of the largest table entry <= client_mss, or 0 (536) when the
// client asks for less than every entry: RFC 1122 section 3.3.2 requires
// every IPv4 host to accept 576-byte datagrams, which a 536-byte segment fits.
uint8_t CookieMssIndex(uint16_t client_mss);

// The counter a cookie carries: `now` in 64-second steps.
inline constexpr int64_t kCookieCounterNanos = int64_t{64} * 1000'000'000;
constexpr uint32_t SynCookieCounter(Instant now) {
  return static_cast<uint32_t>(now.ToNanos() / kCookieCounterNanos);
}

enum class CookieReject : uint8_t {
  kBadMac,       // MAC mismatch: forged, wrong tuple/ISN/key, or aliased age
  kExpired,      // issued two or three steps ago, or in the next step
  kBadMssIndex,  // index bits name no table entry; encode never emits these
};
std::string_view ToString(CookieReject r);
inline std::ostream& operator<<(std::ostream& os, CookieReject r) {
  return os << ToString(r);
}

// The outcome of DecodeSynCookie: an MSS index when accepted, else the reason.
// The checks run cheapest first (counter, index, MAC), so a random forgery is
// reported by the first check it fails.
struct CookieDecodeResult {
  std::optional<CookieReject> reject;
  uint8_t mss_index = 0;

  bool accepted() const { return !reject.has_value(); }
  // Meaningful only when accepted().
  uint16_t mss() const { return kCookieMssTable[mss_index]; }
};

// The server ISN for a SYN from `tuple` (seen from this endpoint) with ISN
// `client_isn`. Requires mss_index < kCookieMssTable.size().
SeqNum EncodeSynCookie(const FourTuple& tuple, SeqNum client_isn,
                       uint8_t mss_index, uint32_t counter,
                       const SynCookieSecrets& secrets);

// One SYN of a burst to answer with a cookie.
struct CookieRequest {
  FourTuple tuple;
  SeqNum client_isn;
  uint8_t mss_index = 0;  // < kCookieMssTable.size()
};

// out[i] = EncodeSynCookie(in[i].tuple, in[i].client_isn, in[i].mss_index,
// counter, secrets) for every i, the MACs computed together
// (SipHash24Words3Batch: eight at a time with AVX-512F). Requires
// out.size() >= in.size().
void EncodeSynCookies(std::span<const CookieRequest> in, uint32_t counter,
                      const SynCookieSecrets& secrets, std::span<SeqNum> out);

// Checks the cookie of a final ACK: `cookie` is its acknowledgment number
// minus 1, `client_isn` its sequence number minus 1, `current_counter` is
// SynCookieCounter(now).
CookieDecodeResult DecodeSynCookie(const FourTuple& tuple, SeqNum cookie,
                                   SeqNum client_isn, uint32_t current_counter,
                                   const SynCookieSecrets& secrets);

// The SYN options a cookie connection keeps only through timestamps.
struct CookieTsOptions {
  // RFC 7323 section 2.3: shifts above 14 are treated as 14.
  static constexpr uint8_t kMaxWindowShift = 14;

  std::optional<uint8_t> window_shift;  // nullopt: no window scale option
  bool sack_permitted = false;
  bool ecn = false;

  bool operator==(const CookieTsOptions&) const = default;
};

// Bits of TSval taken by the options (layout above).
inline constexpr uint32_t kCookieTsOptionBits = 6;
inline constexpr uint32_t kCookieTsOptionMask = (1u << kCookieTsOptionBits) - 1;

// The SYN-ACK's TSval: ts_clock with its low 6 bits replaced by `opts`,
// stepped back one 64-unit block if that would put it ahead of ts_clock.
// A window shift above 14 is encoded as 14.
uint32_t EncodeTsOptions(uint32_t ts_clock, CookieTsOptions opts);

// The options from the final ACK's TSecr.
CookieTsOptions DecodeTsOptions(uint32_t tsecr);

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_SYN_COOKIE_H_
