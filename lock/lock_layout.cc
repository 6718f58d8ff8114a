// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "lock/lock_layout.h"

#include <sodium.h>

namespace tokencache {
namespace internal {

std::uint64_t KeySlot(std::string_view key) {
  // sodium_init() picks the fastest BLAKE2b code; it is idempotent and
  // thread-safe, and a function-local static runs it once.
  static const int sodium_ready = sodium_init();
  (void)sodium_ready;  // The reference code is used if init failed.
  unsigned char digest[8];
  crypto_generichash(digest, sizeof(digest),
                     reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), nullptr, 0);
  std::uint64_t value = 0;
  for (unsigned char byte : digest) value = (value << 8) | byte;
  return value % kKeySlots;
}

}  // namespace internal
}  // namespace tokencache
