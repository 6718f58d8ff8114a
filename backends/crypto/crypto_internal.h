// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Private: sealing and opening with a key in guarded memory, shared by the
// built-in Ciphers and the key sources.

#ifndef TOKENCACHE_BACKENDS_CRYPTO_CRYPTO_INTERNAL_H_
#define TOKENCACHE_BACKENDS_CRYPTO_CRYPTO_INTERNAL_H_

#include <memory>
#include <string>
#include <string_view>

#include "backends/crypto/envelope.h"
#include "backends/crypto/secure_memory.h"
#include "tokencache/cipher.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// First 8 bytes of BLAKE2b-128 keyed with `key` over "tokencache key id v1".
KeyId ComputeKeyId(const SecureBuffer& key);

// Writes `header` with a fresh random nonce, then the ciphertext and tag of
// `plaintext` under associated data = encoded header ‖ `context`.
Result<std::string> SealEnvelope(const SecureBuffer& key, EnvelopeHeader header,
                                 std::string_view plaintext,
                                 std::string_view context);

// Verifies and decrypts. kCorrupted when the tag does not verify; no
// plaintext escapes on failure.
Result<SecretBytes> OpenEnvelope(const SecureBuffer& key,
                                 const ParsedEnvelope& envelope,
                                 std::string_view context);

// Takes ownership of a 32-byte key already in guarded memory (the key file
// and key-env sources read straight into one, so the key never sits in
// ordinary heap memory).
Result<std::unique_ptr<Cipher>> NewKeyCipherFrom(
    std::unique_ptr<SecureBuffer> key);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_BACKENDS_CRYPTO_CRYPTO_INTERNAL_H_
