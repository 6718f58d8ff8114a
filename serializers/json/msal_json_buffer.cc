// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "serializers/json/msal_json_buffer.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace tokencache {
namespace internal {

std::size_t FindInvalidJsonByte(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // Skip printable ASCII eight bytes at a time: no byte has its high bit
    // set, and none is below 0x20 (the usual SWAR "has byte less than" test).
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, sizeof(word));
      constexpr std::uint64_t kHigh = 0x8080808080808080ull;
      constexpr std::uint64_t kSpaces = 0x2020202020202020ull;
      if ((word & kHigh) != 0 || ((word - kSpaces) & ~word & kHigh) != 0) {
        break;
      }
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) {
      // JSON allows no raw control character except white space between
      // tokens (inside strings rapidjson rejects those three itself).
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
      ++i;
      continue;
    }
    // Lead byte: length and the allowed range of the second byte.
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return n;
}

std::string DescribeInvalidByte(std::string_view text, std::size_t offset) {
  auto c = static_cast<unsigned char>(text[offset]);
  if (c == 0) return "NUL byte";
  if (c < 0x20) return "control character";
  return "invalid UTF-8";
}

bool HasEncodedSurrogate(const char* s, std::size_t n) {
  const char* end = s + n;
  const char* p = s;
  while (p < end) {
    const void* hit = std::memchr(p, 0xED, static_cast<std::size_t>(end - p));
    if (hit == nullptr) return false;
    p = static_cast<const char*>(hit);
    if (p + 1 < end) {
      auto next = static_cast<unsigned char>(p[1]);
      if (next >= 0xA0 && next <= 0xBF) return true;
    }
    ++p;
  }
  return false;
}

}  // namespace internal
}  // namespace tokencache
