// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// internal::KeySlot for the mingw test build only. lock/lock_layout.cc
// hashes keys with libsodium's BLAKE2b, and Debian ships no mingw build of
// libsodium. The slot function only decides which keys share a lock byte;
// exclusion itself (the part under test) does not depend on it. Here:
// 64-bit FNV-1a. A native Windows build links lock/lock_layout.cc instead,
// so keyed-lock bytes there match lock_layout.h exactly.

#include <cstdint>
#include <string_view>

#include "lock/lock_layout.h"

namespace tokencache {
namespace internal {

std::uint64_t KeySlot(std::string_view key) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return hash % kKeySlots;
}

}  // namespace internal
}  // namespace tokencache
