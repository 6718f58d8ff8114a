// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Private: the envelope header codec (docs/encryption.md has the layout).
// Parsing is separate from decryption so that the fuzzer and
// InspectEnvelope() reach every header check without a key.

#ifndef TOKENCACHE_BACKENDS_CRYPTO_ENVELOPE_H_
#define TOKENCACHE_BACKENDS_CRYPTO_ENVELOPE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tokencache/status.h"

namespace tokencache {
namespace internal {

inline constexpr std::string_view kEnvelopeMagic = "TCEV";
inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::uint8_t kAlgXChaCha20Poly1305 = 1;
inline constexpr std::uint8_t kKdfNone = 0;
inline constexpr std::uint8_t kKdfArgon2id13 = 1;

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kKeyIdSize = 8;
inline constexpr std::size_t kSaltSize = 16;
inline constexpr std::size_t kNonceSize = 24;
inline constexpr std::size_t kTagSize = 16;
// magic(4) version(1) algorithm(1) kdf(1) flags(1) key id(8)
inline constexpr std::size_t kPrefixSize = 16;
// opslimit(8) memlimit(8) salt(16), present when kdf is Argon2id.
inline constexpr std::size_t kKdfBlockSize = 32;

// Argon2id bounds accepted on write and on read. The floor stops a
// downgrade (an attacker rewriting the header to cheap parameters so a
// stolen file is faster to brute-force after a re-seal, or a weak writer);
// the ceiling stops a crafted header from making us allocate gigabytes.
inline constexpr std::uint64_t kMinOpslimit = 2;            // INTERACTIVE
inline constexpr std::uint64_t kMinMemlimit = 64ull << 20;  // INTERACTIVE
inline constexpr std::uint64_t kMaxOpslimit = 32;
inline constexpr std::uint64_t kMaxMemlimit = 1ull << 30;  // SENSITIVE

using KeyId = std::array<std::uint8_t, kKeyIdSize>;
using Salt = std::array<std::uint8_t, kSaltSize>;
using Nonce = std::array<std::uint8_t, kNonceSize>;

struct EnvelopeHeader {
  std::uint8_t kdf = kKdfNone;
  KeyId key_id{};
  // Only meaningful when kdf == kKdfArgon2id13.
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;
  Salt salt{};
  Nonce nonce{};
};

struct ParsedEnvelope {
  EnvelopeHeader header;
  // Everything from the magic through the nonce; authenticated as part of
  // the associated data.
  std::string_view header_bytes;
  // Ciphertext followed by the 16-byte tag.
  std::string_view sealed;
};

// Returns the encoded size of a header (through the nonce) for `kdf`.
std::size_t HeaderSize(std::uint8_t kdf);

// Appends the encoding of `header` (magic through nonce) to `out`.
void EncodeHeader(const EnvelopeHeader& header, std::string& out);

// Checks Argon2id parameters against the floor and the ceiling.
// Below the floor: kCorrupted (a downgrade); above the ceiling:
// kNotSupported.
Status CheckKdfParams(std::uint64_t opslimit, std::uint64_t memlimit);

// Splits and checks `envelope`. kCorrupted: too short, wrong magic, KDF
// parameters below the floor. kNotSupported: unknown version, algorithm,
// KDF or flags, parameters above the ceiling. The views point into
// `envelope`.
Result<ParsedEnvelope> ParseEnvelope(std::string_view envelope);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_CRYPTO_ENVELOPE_H_
