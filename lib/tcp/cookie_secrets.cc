#include "lib/tcp/cookie_secrets.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace tern::tcp {

SynCookieSecretStore::SynCookieSecretStore(const SynCookieSecrets& initial) {
  for (Slot& slot : slots_) {
    slot.k0.store(initial.key.k0, std::memory_order_relaxed);
    slot.k1.store(initial.key.k1, std::memory_order_relaxed);
  }
}

absl::StatusOr<std::unique_ptr<SynCookieSecretStore>>
SynCookieSecretStore::Create() {
  absl::StatusOr<SynCookieSecrets> s = SynCookieSecrets::Create();
  if (!s.ok()) {
    return s.status();
  }
  return std::make_unique<SynCookieSecretStore>(*s);
}

absl::StatusOr<SynCookieSecrets> SynCookieSecretStore::FromHex(
    std::string_view text) {
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() &&
         std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 32 hexadecimal digits (16 bytes), got ",
                     text.size(), " characters"));
  }
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < 32; ++i) {
    char c =
        static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("expected hexadecimal digits, got '",
                       std::string(1, text[i]), "' at position ", i + 1));
    }
    bytes[i / 2] = static_cast<uint8_t>(bytes[i / 2] << 4 | v);
  }
  return SynCookieSecrets{SipKey::FromBytes(bytes)};
}

SynCookieSecrets SynCookieSecretStore::Load(uint64_t index) const {
  const Slot& slot = slots_[index % 3];
  SynCookieSecrets s;
  s.key.k0 = slot.k0.load(std::memory_order_relaxed);
  s.key.k1 = slot.k1.load(std::memory_order_relaxed);
  return s;
}

SynCookieSecrets SynCookieSecretStore::Current() const {
  return Load(generation_.load(std::memory_order_acquire));
}

SynCookieSecrets SynCookieSecretStore::Previous() const {
  return Load(generation_.load(std::memory_order_acquire) + 2);
}

void SynCookieSecretStore::Rotate(const SynCookieSecrets& next) {
  uint64_t g = generation_.load(std::memory_order_relaxed);
  Slot& slot = slots_[(g + 1) % 3];
  slot.k0.store(next.key.k0, std::memory_order_relaxed);
  slot.k1.store(next.key.k1, std::memory_order_relaxed);
  generation_.store(g + 1, std::memory_order_release);
}

}  // namespace tern::tcp
