// xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
// generators, scrambled", 2016): tern-flood's random fields, statistically
// fine for spoofed sources and a few cycles each. Shared by SynFlood and
// bench/flood_bench.
//
// Contract: `state` must not be zero (it would stay zero); each call
// advances it and returns the next 64-bit word.
#ifndef TERN_APP_TERN_FLOOD_XORSHIFT_H_
#define TERN_APP_TERN_FLOOD_XORSHIFT_H_

#include <cstdint>

namespace tern::flood {

inline uint64_t XorShift64Star(uint64_t& state) {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1Dull;  // the paper's multiplier M32
}

}  // namespace tern::flood

#endif  // TERN_APP_TERN_FLOOD_XORSHIFT_H_
