// SYN-cookie codec: RFC 4987 section 3.6 (technique), RFC 7323 sections 2.3
// and 5 (timestamps carrying options, PAWS), RFC 2018 (SACK-permitted),
// RFC 3168 section 6.1.1 (ECN setup). Layouts are drawn in syn_cookie.h.
#include "lib/tcp/syn_cookie.h"

#include <algorithm>
#include <array>

#include "lib/base/dcheck.h"

namespace tern::tcp {
namespace {

// Cookie fields (syn_cookie.h, "Cookie layout").
constexpr uint32_t kCounterBits = 2;
constexpr uint32_t kIndexBits = 3;
constexpr uint32_t kMacBits = 32 - kCounterBits - kIndexBits;
constexpr uint32_t kCounterShift = 32 - kCounterBits;
constexpr uint32_t kIndexShift = kMacBits;
constexpr uint32_t kCounterFieldMask = (1u << kCounterBits) - 1;
constexpr uint32_t kIndexFieldMask = (1u << kIndexBits) - 1;
constexpr uint32_t kMacMask = (1u << kMacBits) - 1;
static_assert(kMacBits == 27, "the documented forgery bound is 2^-27");
static_assert(kCookieMssTable.size() < (1u << kIndexBits),
              "at least one index value must stay invalid for kBadMssIndex");

// Timestamp option fields (syn_cookie.h, "Timestamp encoding").
constexpr uint32_t kShiftFieldMask = 0xf;
constexpr uint32_t kNoWindowScale = 15;
constexpr uint32_t kSackBit = 1u << 4;
constexpr uint32_t kEcnBit = 1u << 5;

// The MAC's three input words (syn_cookie.h, "MAC input").
struct MacInput {
  uint64_t a, b, c;
};

MacInput MacWords(const FourTuple& t, SeqNum client_isn, uint8_t mss_index,
                  uint32_t counter) {
  return {
      .a = (uint64_t{t.local_addr.value} << 32) | uint64_t{t.remote_addr.value},
      .b = (uint64_t{t.local_port} << 48) | (uint64_t{t.remote_port} << 32) |
           uint64_t{client_isn.raw()},
      .c = (uint64_t{mss_index} << 32) | uint64_t{counter},
  };
}

uint32_t Mac(const FourTuple& t, SeqNum client_isn, uint8_t mss_index,
             uint32_t counter, const SipKey& key) {
  const MacInput w = MacWords(t, client_isn, mss_index, counter);
  return static_cast<uint32_t>(SipHash24Words(key, w.a, w.b, w.c)) & kMacMask;
}

SeqNum CookieOf(uint32_t mac, uint8_t mss_index, uint32_t counter) {
  return SeqNum(((counter & kCounterFieldMask) << kCounterShift) |
                (uint32_t{mss_index} << kIndexShift) | (mac & kMacMask));
}

}  // namespace

absl::StatusOr<SynCookieSecrets> SynCookieSecrets::Create() {
  absl::StatusOr<SipKey> key = RandomSipKey();
  if (!key.ok()) {
    return key.status();
  }
  return SynCookieSecrets{*key};
}

uint8_t CookieMssIndex(uint16_t client_mss) {
  // Six entries: a backward scan beats anything cleverer.
  for (uint8_t i = kCookieMssTable.size() - 1; i > 0; --i) {
    if (client_mss >= kCookieMssTable[i]) {
      return i;
    }
  }
  return 0;
}

std::string_view ToString(CookieReject r) {
  switch (r) {
    case CookieReject::kBadMac:
      return "bad-mac";
    case CookieReject::kExpired:
      return "expired";
    case CookieReject::kBadMssIndex:
      return "bad-mss-index";
  }
  return "unknown";
}

SeqNum EncodeSynCookie(const FourTuple& tuple, SeqNum client_isn,
                       uint8_t mss_index, uint32_t counter,
                       const SynCookieSecrets& secrets) {
  TERN_DCHECK(mss_index < kCookieMssTable.size());
  const uint32_t mac = Mac(tuple, client_isn, mss_index, counter, secrets.key);
  return CookieOf(mac, mss_index, counter);
}

void EncodeSynCookies(std::span<const CookieRequest> in, uint32_t counter,
                      const SynCookieSecrets& secrets, std::span<SeqNum> out) {
  TERN_DCHECK(out.size() >= in.size());
  constexpr size_t kChunk = 32;  // a burst (ConnTable::kBurst)
  std::array<uint64_t, kChunk> a, b, c, mac;
  for (size_t done = 0; done < in.size(); done += kChunk) {
    const size_t n = std::min(kChunk, in.size() - done);
    for (size_t i = 0; i < n; ++i) {
      const CookieRequest& r = in[done + i];
      TERN_DCHECK(r.mss_index < kCookieMssTable.size());
      const MacInput w = MacWords(r.tuple, r.client_isn, r.mss_index, counter);
      a[i] = w.a;
      b[i] = w.b;
      c[i] = w.c;
    }
    SipHash24Words3Batch(secrets.key, a.data(), b.data(), c.data(), mac.data(),
                         n);
    for (size_t i = 0; i < n; ++i) {
      out[done + i] = CookieOf(static_cast<uint32_t>(mac[i]),
                               in[done + i].mss_index, counter);
    }
  }
}

CookieDecodeResult DecodeSynCookie(const FourTuple& tuple, SeqNum cookie,
                                   SeqNum client_isn, uint32_t current_counter,
                                   const SynCookieSecrets& secrets) {
  const uint32_t raw = cookie.raw();
  // Age in steps, mod 4: 0 is the current step, 1 the previous one; 2 is two
  // steps old and 3 is the next step (a clock that went backwards, or three
  // steps old). Older cookies alias to 0 or 1 and are caught by the MAC, which
  // covers the full counter.
  const uint32_t age =
      (current_counter - (raw >> kCounterShift)) & kCounterFieldMask;
  if (age > 1) {
    return {.reject = CookieReject::kExpired};
  }
  const auto index =
      static_cast<uint8_t>((raw >> kIndexShift) & kIndexFieldMask);
  if (index >= kCookieMssTable.size()) {
    return {.reject = CookieReject::kBadMssIndex};
  }
  const uint32_t counter = current_counter - age;
  if (Mac(tuple, client_isn, index, counter, secrets.key) != (raw & kMacMask)) {
    return {.reject = CookieReject::kBadMac};
  }
  return {.mss_index = index};
}

uint32_t EncodeTsOptions(uint32_t ts_clock, CookieTsOptions opts) {
  uint32_t bits = kNoWindowScale;
  if (opts.window_shift.has_value()) {
    bits = *opts.window_shift > CookieTsOptions::kMaxWindowShift
               ? CookieTsOptions::kMaxWindowShift
               : *opts.window_shift;
  }
  if (opts.sack_permitted) {
    bits |= kSackBit;
  }
  if (opts.ecn) {
    bits |= kEcnBit;
  }
  uint32_t tsval = (ts_clock & ~kCookieTsOptionMask) | bits;
  // Never ahead of the clock: the connection's later TSvals come from the
  // clock itself, and a peer running PAWS (RFC 7323 section 5.3) drops
  // segments whose TSval is older than the last one it accepted. Stepping back
  // one block keeps tsval in (ts_clock - 64, ts_clock]; unsigned wrap is the
  // timestamp clock's own modular arithmetic (RFC 7323 section 5.2).
  if (static_cast<int32_t>(tsval - ts_clock) > 0) {
    tsval -= kCookieTsOptionMask + 1;
  }
  return tsval;
}

CookieTsOptions DecodeTsOptions(uint32_t tsecr) {
  CookieTsOptions opts;
  const uint32_t shift = tsecr & kShiftFieldMask;
  if (shift != kNoWindowScale) {
    opts.window_shift = static_cast<uint8_t>(shift);
  }
  opts.sack_permitted = (tsecr & kSackBit) != 0;
  opts.ecn = (tsecr & kEcnBit) != 0;
  return opts;
}

}  // namespace tern::tcp
