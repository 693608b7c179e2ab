// The Internet checksum (RFC 1071), the TCP/IPv4 pseudo-header (RFC 9293
// section 3.1) and incremental update (RFC 1624 equation 3).
//
// Conventions: every 16-bit value here is the number whose big-endian bytes
// appear on the wire, held in a host integer. A "sum" is an unfolded one's
// complement accumulator; sums of different pieces may be added together
// (as long as the total stays below 2^32) and finished with ChecksumFinish.
//
// Contract:
// - ChecksumPartial(data) sums `data` as big-endian 16-bit words, the last odd
//   byte padded with zero. When chaining pieces, every piece but the last must
//   have even length, or the words straddling the boundary are misaligned.
// - Verifying a received header: the checksum of the whole covered range
//   (checksum field included) is zero, i.e. ChecksumFinish(sum) == 0.
#ifndef TERN_LIB_WIRE_CHECKSUM_H_
#define TERN_LIB_WIRE_CHECKSUM_H_

#include <cstdint>
#include <span>

#include "lib/wire/addr.h"

namespace tern::wire {

// One's complement sum of `data`, folded to 16 bits (0..0xffff), plus
// `initial` folded in.
uint32_t ChecksumPartial(std::span<const uint8_t> data, uint32_t initial = 0);

// Folds `sum` to 16 bits and complements it: the value to store in a
// checksum field.
uint16_t ChecksumFinish(uint32_t sum);

// Folds `sum` to 16 bits without complementing it (what a NIC with TX
// checksum offload expects to find pre-loaded in the TCP checksum field).
uint16_t ChecksumFold(uint32_t sum);

// ChecksumFinish(ChecksumPartial(data)).
uint16_t InternetChecksum(std::span<const uint8_t> data);

// Whether `data`, its checksum field included, verifies: InternetChecksum
// (data) == 0. Twenty bytes (an IPv4 header without options) are summed as
// three loads without a loop.
bool ChecksumVerifies(std::span<const uint8_t> data);

// Sum of the 12-byte IPv4 pseudo-header: src, dst, zero, protocol, and the
// transport length (header plus payload, RFC 9293 section 3.1).
uint32_t PseudoHeaderSum(Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                         uint16_t transport_len);

// RFC 1624 equation 3: HC' = ~(~HC + ~m + m'). Returns the new checksum
// field after a 16-bit word of the covered data changes from `old_value` to
// `new_value`; the result equals a full recomputation (equation 3 avoids the
// -0 discrepancy of the RFC 1141 form).
uint16_t ChecksumUpdate16(uint16_t checksum, uint16_t old_value,
                          uint16_t new_value);
// The same for an aligned 32-bit field (an IPv4 address, a sequence number).
uint16_t ChecksumUpdate32(uint16_t checksum, uint32_t old_value,
                          uint32_t new_value);

}  // namespace tern::wire

#endif  // TERN_LIB_WIRE_CHECKSUM_H_
