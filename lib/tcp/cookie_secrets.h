// SynCookieSecretStore: the SYN-cookie secrets shared by every lcore.
//
// Contract:
// - Readers (any lcore, on the data path) call Current() and Previous(): two
//   relaxed-acquire loads and a 16-byte copy, no lock, no allocation.
// - One control-plane thread calls Rotate(). The new secret becomes current;
//   the old current stays valid as Previous() so cookies issued just before
//   the rotation still validate (doc/syn_cookies.md: a cookie lives at most
//   two 64 s counter steps, so rotating at most every 128 s never rejects a
//   live cookie).
// - Three slots rotate: the slot Rotate() overwrites is the one retired two
//   rotations ago. A reader that loaded the generation before that and is
//   still copying the key could see a torn key; that needs a reader stalled
//   across two rotation periods (minutes), far beyond any packet's
//   processing time, and a torn key only fails one validation. The key words
//   are relaxed atomics, so even that case is not a data race.
// - FromHex loads a secret shared by several hosts (behind ECMP or a load
//   balancer) so that each validates the others' cookies.
#ifndef TERN_LIB_TCP_COOKIE_SECRETS_H_
#define TERN_LIB_TCP_COOKIE_SECRETS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/tcp/syn_cookie.h"

namespace tern::tcp {

class SynCookieSecretStore {
 public:
  explicit SynCookieSecretStore(const SynCookieSecrets& initial);

  // A store with a fresh secret from getrandom(2).
  static absl::StatusOr<std::unique_ptr<SynCookieSecretStore>> Create();

  // Parses 32 hexadecimal digits (16 bytes; surrounding white space
  // ignored), the format of a shared secret file. The error says what was
  // expected; the caller adds the file name.
  static absl::StatusOr<SynCookieSecrets> FromHex(std::string_view text);

  SynCookieSecrets Current() const;
  SynCookieSecrets Previous() const;
  void Rotate(const SynCookieSecrets& next);
  uint64_t generation() const {
    return generation_.load(std::memory_order_acquire);
  }

 private:
  struct Slot {
    std::atomic<uint64_t> k0{0};
    std::atomic<uint64_t> k1{0};
  };
  SynCookieSecrets Load(uint64_t index) const;
  std::array<Slot, 3> slots_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace tern::tcp

#endif  // TERN_LIB_TCP_COOKIE_SECRETS_H_
