// Secret material from the kernel's CSPRNG.
//
// Contract: FillRandom fills `out` from getrandom(2) (blocking until the pool
// is initialised, retrying on EINTR) or returns an error Status; it never falls
// back to a weak source. Control plane only: secrets are drawn at start-up
// and on rotation, never per packet.
#ifndef TERN_LIB_BASE_RANDOM_H_
#define TERN_LIB_BASE_RANDOM_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"

namespace tern {

absl::Status FillRandom(std::span<uint8_t> out);

}  // namespace tern

#endif  // TERN_LIB_BASE_RANDOM_H_
