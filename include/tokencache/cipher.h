// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Encryption at rest. A Cipher seals bytes into a self-describing envelope
// (XChaCha20-Poly1305 with a versioned header; docs/encryption.md gives the
// format byte by byte) and opens such envelopes again. Every envelope is
// bound to an associated context, such as the cache it belongs to and, for
// record stores, the record key, so a sealed value moved elsewhere does not
// open.
//
// Encryption is a decorator, never a backend flag: NewEncryptedBlobStore()
// wraps any BlobStore; record stores seal each value with RecordContext().
// Ciphers usually come from a KeySource (key_source.h).
//
// Thread safety: a Cipher is immutable from the caller's point of view; all
// methods are const and may be called from several threads at once. Keys
// live in libsodium guarded memory (guard pages, mlock where the limit
// allows, excluded from core dumps) and are wiped when the Cipher is
// destroyed.

#ifndef TOKENCACHE_CIPHER_H_
#define TOKENCACHE_CIPHER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tokencache/blob_store.h"
#include "tokencache/export.h"
#include "tokencache/record_store.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"

namespace tokencache {

// An authenticated cipher that writes and reads tokencache envelopes.
//
// The public methods are non-virtual: they call the Do* hooks and turn any
// exception a hook throws into kInternal. Implementations must be safe to
// call from several threads at once.
class TOKENCACHE_EXPORT Cipher {
 public:
  Cipher() = default;
  Cipher(const Cipher&) = delete;
  Cipher& operator=(const Cipher&) = delete;
  virtual ~Cipher();

  // Short, stable name such as "xchacha20poly1305" or
  // "xchacha20poly1305+argon2id"; appears in error messages. Never holds key
  // material.
  virtual std::string_view Name() const = 0;

  // Encrypts `plaintext` under a fresh random nonce and returns the whole
  // envelope (header, nonce, ciphertext and tag). `associated_context` is
  // authenticated but not stored: Open() must be given the same bytes. Use
  // BlobContext() or RecordContext() to build it.
  // Returns kResourceExhausted when a passphrase key cannot be derived for
  // lack of memory, kInternal when libsodium cannot start.
  Result<std::string> Seal(std::string_view plaintext,
                           std::string_view associated_context) const;

  // Checks and decrypts `envelope`, returning the plaintext, or an error and
  // no plaintext at all. Returns:
  //   kWrongKey      the header names a key this Cipher does not hold (key id
  //                  mismatch, or a raw-key envelope given to a passphrase
  //                  cipher and vice versa). Nothing was decrypted.
  //   kCorrupted     the header is malformed or truncated, the envelope is
  //                  not a tokencache envelope, the KDF parameters are below
  //                  the accepted floor (a downgrade), or the tag does not
  //                  verify although the key id matches: the bytes or the
  //                  context were altered.
  //   kNotSupported  an unknown format version, algorithm, KDF or flag, or
  //                  KDF parameters above what this build will spend.
  //   kResourceExhausted  a passphrase key could not be derived (memory).
  // Error messages name the field at fault, never key or plaintext bytes.
  Result<SecretBytes> Open(std::string_view envelope,
                           std::string_view associated_context) const;

 protected:
  virtual Result<std::string> DoSeal(
      std::string_view plaintext,
      std::string_view associated_context) const = 0;
  virtual Result<SecretBytes> DoOpen(
      std::string_view envelope, std::string_view associated_context) const = 0;
};

// Returns the associated context that binds a whole blob to the cache
// `cache_id` (a store's URI or path, or an id the caller picks). The encoding
// is unambiguous and differs from every RecordContext().
TOKENCACHE_EXPORT std::string BlobContext(std::string_view cache_id);

// Returns the associated context that binds one record's value to the cache
// `cache_id` and to its `record_key`, so values cannot be swapped between
// records or caches.
TOKENCACHE_EXPORT std::string RecordContext(std::string_view cache_id,
                                            std::string_view record_key);

// Returns a Cipher holding the 32-byte `key` (XChaCha20-Poly1305 IETF). The
// key is copied into guarded memory; the caller keeps and wipes its own copy.
// Its key id is the first 8 bytes of a BLAKE2b hash keyed with the key.
// Returns kInvalidArgument when `key` is not 32 bytes, kInternal when
// libsodium cannot start.
TOKENCACHE_EXPORT Result<std::unique_ptr<Cipher>> NewKeyCipher(
    const SecretBytes& key);

// Argon2id cost for passphrase-derived keys. Both fields must be at least
// the libsodium INTERACTIVE values and at most the SENSITIVE memory and an
// opslimit of 32; envelopes outside that range are refused on read.
struct PassphraseOptions {
  // Argon2id passes. Default: crypto_pwhash_OPSLIMIT_INTERACTIVE (2).
  std::uint64_t opslimit = 2;
  // Argon2id memory in bytes. Default: crypto_pwhash_MEMLIMIT_INTERACTIVE
  // (64 MiB). crypto_pwhash_MEMLIMIT_MODERATE (256 MiB) costs about 0.5 s.
  std::uint64_t memlimit = 64ull << 20;
};

// Returns a Cipher whose keys are derived from `passphrase` with Argon2id.
// Seal() derives once, with a random 16-byte salt and `options`, and stores
// salt and parameters in each envelope header; Open() derives with the
// header's salt and parameters. Derived keys are kept, per (salt,
// parameters), for the Cipher's lifetime, so a hot path never re-derives;
// keep the Cipher (KeySource::GetCipher hands out one per source). No key is
// derived until first use.
// Returns kInvalidArgument when `passphrase` is empty or `options` is out of
// range.
TOKENCACHE_EXPORT Result<std::unique_ptr<Cipher>> NewPassphraseCipher(
    const SecretBytes& passphrase, const PassphraseOptions& options = {});

// What an envelope header says, for diagnostics (`tokencache doctor`). Holds
// no secret.
struct EnvelopeInfo {
  int format_version = 0;
  std::string algorithm;  // "xchacha20poly1305-ietf"
  std::string kdf;        // "none" or "argon2id13"
  std::array<std::uint8_t, 8> key_id{};
  std::uint64_t opslimit = 0;  // 0 unless kdf is "argon2id13"
  std::uint64_t memlimit = 0;  // bytes; 0 unless kdf is "argon2id13"
  std::size_t plaintext_size = 0;
};

// Parses the header of `envelope` without any key. Returns the same
// kCorrupted / kNotSupported errors Open() would return for the header.
TOKENCACHE_EXPORT Result<EnvelopeInfo> InspectEnvelope(
    std::string_view envelope);

// Wraps `inner` so that Write() stores sealed envelopes and Read() returns
// opened plaintext, bound to BlobContext(`cache_id`). Versions pass through
// from `inner` unchanged. Read() returns the Cipher's errors (kWrongKey,
// kCorrupted, kNotSupported) and leaves the stored bytes alone. Write()
// first opens what is stored now and refuses (with that error, writing
// nothing) to replace contents this Cipher cannot open: a wrong key or a
// tampered blob is reported, never overwritten. Recovering such a store is
// an explicit step on `inner`.
// REQUIRES: `inner` and `cipher` are not null.
TOKENCACHE_EXPORT std::unique_ptr<BlobStore> NewEncryptedBlobStore(
    std::unique_ptr<BlobStore> inner, std::shared_ptr<const Cipher> cipher,
    std::string cache_id);

// Wraps `inner` so that every value is sealed by `cipher` with
// RecordContext(`cache_id`, record key) as associated data: a value moved
// to another key or another cache does not open. Get and Scan return the
// Cipher's errors (kWrongKey, kCorrupted, kNotSupported) and never a
// partial plaintext; keys are not encrypted (they hold account and client
// ids and scopes, no token text). Generations pass through.
// REQUIRES: `inner` and `cipher` are not null.
TOKENCACHE_EXPORT std::unique_ptr<RecordStore> NewEncryptedRecordStore(
    std::unique_ptr<RecordStore> inner, std::shared_ptr<const Cipher> cipher,
    std::string cache_id);

}  // namespace tokencache

#endif  // TOKENCACHE_CIPHER_H_
