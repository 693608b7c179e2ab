// Big-endian (network order) loads and stores for the wire parsers.
//
// Contract: the caller has already checked that the bytes exist; these
// helpers do no bounds checks and make no alignment assumptions.
#ifndef TERN_LIB_WIRE_BYTE_ORDER_H_
#define TERN_LIB_WIRE_BYTE_ORDER_H_

#include <bit>
#include <cstdint>
#include <cstring>

namespace tern::wire {

// One unaligned load or store and a byte swap (`movbe`, or `bswap` and a
// `mov`). Written byte by byte, GCC 12 merged neighbouring stores into one
// 64-bit value assembled with shifts and ors: about 30 instructions for the
// ports and sequence number of a SYN-ACK (objdump of
// TcpHeaderTemplate::Emit, doc/benchmarks.md, session 11).
inline uint16_t LoadBe16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap16(v);
  }
  return v;
}
inline uint32_t LoadBe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap32(v);
  }
  return v;
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap16(v);
  }
  std::memcpy(p, &v, sizeof v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  if constexpr (std::endian::native == std::endian::little) {
    v = __builtin_bswap32(v);
  }
  std::memcpy(p, &v, sizeof v);
}

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_BYTE_ORDER_H_
