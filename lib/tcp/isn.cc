// RFC 6528 section 3 initial sequence numbers; RFC 9293 section 3.4.1.
#include "lib/tcp/isn.h"

#include "lib/base/siphash.h"

namespace tern::tcp {

absl::StatusOr<IsnGenerator> IsnGenerator::Create() {
  absl::StatusOr<SipKey> key = RandomSipKey();
  if (!key.ok()) {
    return key.status();
  }
  return IsnGenerator(*key);
}

SeqNum IsnGenerator::Generate(const FourTuple& tuple, Instant now) const {
  // The tuple packs into two words so the 16-byte SipHash variant applies:
  // addresses in one, ports in the other. The layout only needs to be
  // injective; RFC 6528 does not prescribe one.
  const uint64_t addrs =
      (uint64_t{tuple.local_addr.value} << 32) | tuple.remote_addr.value;
  const uint64_t ports =
      (uint64_t{tuple.local_port} << 16) | uint64_t{tuple.remote_port};
  // Low 32 bits of the PRF output: SipHash's output bits are all equally
  // strong, so any 32 of them do.
  const auto f = static_cast<uint32_t>(SipHash24Words(key_, addrs, ports));
  return SeqNum(Clock(now) + f);
}

}  // namespace tern::tcp
