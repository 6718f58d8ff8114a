// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Hand-built bytes of the binary format, written from docs/binary-format.md
// and not from the implementation, so that tests check the specification:
// varints, TLV fields, record headers and the snapshot envelope.
//
// Header-only and free of Catch2 (fuzz/binary_fuzz.cc uses Envelope()).

#ifndef TOKENCACHE_TESTS_SERIALIZERS_BINARY_BINARY_BYTES_H_
#define TOKENCACHE_TESTS_SERIALIZERS_BINARY_BINARY_BYTES_H_

#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tokencache {
namespace test {

// Unsigned LEB128.
inline std::string Varint(std::uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}

inline std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^
         (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0});
}

// One field: varint tag, varint length, value.
inline std::string Tlv(std::uint64_t tag, std::string_view value) {
  return Varint(tag) + Varint(value.size()) + std::string(value);
}

// A field whose value is a (varint length, first, second) pair: StringPairs
// entries and extra fields.
inline std::string TwoPart(std::uint64_t tag, std::string_view first,
                           std::string_view second) {
  return Tlv(tag,
             Varint(first.size()) + std::string(first) + std::string(second));
}

// A record: magic 0xC1 'T', version, kind, length of `fields`, `fields`.
inline std::string Record(std::uint64_t kind, std::string_view fields,
                          std::uint8_t version = 1) {
  return std::string("\xC1T", 2) + static_cast<char>(version) + Varint(kind) +
         Varint(fields.size()) + std::string(fields);
}

inline constexpr std::size_t kEnvelopeSize = 28;

// A snapshot: the 28-byte envelope (magic 0xC1 'S', version, flags, body
// length as 8 little-endian bytes, BLAKE2b-128 of bytes 0..11 and the body)
// followed by `body`.
inline std::string Envelope(std::string_view body, std::uint8_t version = 1,
                            std::uint8_t flags = 0) {
  std::string out("\xC1S", 2);
  out += static_cast<char>(version);
  out += static_cast<char>(flags);
  std::uint64_t length = body.size();
  for (int i = 0; i < 8; ++i) {
    out += static_cast<char>((length >> (8 * i)) & 0xff);
  }
  unsigned char hash[16];
  crypto_generichash_state state;
  if (sodium_init() < 0) return std::string();
  crypto_generichash_init(&state, nullptr, 0, sizeof hash);
  crypto_generichash_update(
      &state, reinterpret_cast<const unsigned char*>(out.data()), out.size());
  crypto_generichash_update(
      &state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_generichash_final(&state, hash, sizeof hash);
  out.append(reinterpret_cast<const char*>(hash), sizeof hash);
  out += body;
  return out;
}

// One snapshot body entry: varint kind, varint length, bytes.
inline std::string Entry(std::uint64_t kind, std::string_view bytes) {
  return Tlv(kind, bytes);
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SERIALIZERS_BINARY_BINARY_BYTES_H_
