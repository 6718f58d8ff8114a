// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The two built-in Ciphers (raw key and Argon2id passphrase) over the
// envelope codec, and the associated-context encoders.

#include "tokencache/cipher.h"

#include <sodium.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include "backends/crypto/crypto_internal.h"
#include "backends/crypto/envelope.h"
#include "backends/crypto/secure_memory.h"

namespace tokencache {

using internal::EnvelopeHeader;
using internal::KeyId;
using internal::ParsedEnvelope;
using internal::SecureBuffer;

namespace {

Status FromException() {
  // Exception text may quote data; report only that one happened.
  return Status(Code::kInternal, "unexpected exception in cipher");
}

void PutLengthPrefixed(std::string_view field, std::string& out) {
  std::uint64_t size = field.size();
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  out.append(field);
}

// libsodium reads `m` even for empty messages in some paths; never hand it a
// null pointer (an empty std::string_view may have one).
const unsigned char* NonNull(std::string_view bytes) {
  static const unsigned char kEmpty[1] = {0};
  return bytes.empty() ? kEmpty
                       : reinterpret_cast<const unsigned char*>(bytes.data());
}

class KeyCipher final : public Cipher {
 public:
  KeyCipher(std::unique_ptr<SecureBuffer> key, KeyId key_id)
      : key_(std::move(key)), key_id_(key_id) {}

  std::string_view Name() const override { return "xchacha20poly1305"; }

 protected:
  Result<std::string> DoSeal(std::string_view plaintext,
                             std::string_view context) const override {
    EnvelopeHeader header;
    header.kdf = internal::kKdfNone;
    header.key_id = key_id_;
    return internal::SealEnvelope(*key_, header, plaintext, context);
  }

  Result<SecretBytes> DoOpen(std::string_view envelope,
                             std::string_view context) const override {
    Result<ParsedEnvelope> parsed = internal::ParseEnvelope(envelope);
    if (!parsed.ok()) return parsed.status();
    if (parsed->header.kdf != internal::kKdfNone) {
      return Status(Code::kWrongKey,
                    "envelope was sealed with a passphrase-derived key; this "
                    "cipher holds a raw key");
    }
    if (parsed->header.key_id != key_id_) {
      return Status(Code::kWrongKey,
                    "envelope was sealed under another key (key id "
                    "mismatch)");
    }
    return internal::OpenEnvelope(*key_, *parsed, context);
  }

 private:
  std::unique_ptr<SecureBuffer> key_;
  KeyId key_id_;
};

// One Argon2id output and the inputs that identify it.
struct DerivedKey {
  internal::Salt salt{};
  std::uint64_t opslimit = 0;
  std::uint64_t memlimit = 0;
  std::unique_ptr<SecureBuffer> key;
  KeyId key_id{};
};

class PassphraseCipher final : public Cipher {
 public:
  PassphraseCipher(std::unique_ptr<SecureBuffer> passphrase,
                   PassphraseOptions options)
      : passphrase_(std::move(passphrase)), options_(options) {}

  std::string_view Name() const override {
    return "xchacha20poly1305+argon2id";
  }

 protected:
  Result<std::string> DoSeal(std::string_view plaintext,
                             std::string_view context) const override {
    Result<std::shared_ptr<const DerivedKey>> derived = SealKey();
    if (!derived.ok()) return derived.status();
    const DerivedKey& key = **derived;
    EnvelopeHeader header;
    header.kdf = internal::kKdfArgon2id13;
    header.key_id = key.key_id;
    header.opslimit = key.opslimit;
    header.memlimit = key.memlimit;
    header.salt = key.salt;
    return internal::SealEnvelope(*key.key, header, plaintext, context);
  }

  Result<SecretBytes> DoOpen(std::string_view envelope,
                             std::string_view context) const override {
    Result<ParsedEnvelope> parsed = internal::ParseEnvelope(envelope);
    if (!parsed.ok()) return parsed.status();
    const EnvelopeHeader& header = parsed->header;
    if (header.kdf != internal::kKdfArgon2id13) {
      return Status(Code::kWrongKey,
                    "envelope was sealed with a raw key; this cipher derives "
                    "keys from a passphrase");
    }
    Result<std::shared_ptr<const DerivedKey>> derived =
        FindOrDerive(header.salt, header.opslimit, header.memlimit);
    if (!derived.ok()) return derived.status();
    if ((*derived)->key_id != header.key_id) {
      return Status(Code::kWrongKey,
                    "envelope was sealed under another passphrase (key id "
                    "mismatch)");
    }
    return internal::OpenEnvelope(*(*derived)->key, *parsed, context);
  }

 private:
  // Bounds the per-cipher cache, so hostile headers with fresh salts cannot
  // pile up guarded pages (each costs mlock budget).
  static constexpr std::size_t kMaxCached = 8;

  // Picks the key Seal() uses for the cipher's lifetime. A key already
  // derived by Open() with the configured cost is adopted, so re-sealing a
  // cache keeps its salt and key id and costs no second derivation; the salt
  // only has to be unique per passphrase, not per write.
  Result<std::shared_ptr<const DerivedKey>> SealKey() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (seal_key_ != nullptr) return seal_key_;
    for (auto it = cache_.rbegin(); it != cache_.rend(); ++it) {
      if ((*it)->opslimit == options_.opslimit &&
          (*it)->memlimit == options_.memlimit) {
        seal_key_ = *it;
        return seal_key_;
      }
    }
    internal::Salt salt;
    randombytes_buf(salt.data(), salt.size());
    Result<std::shared_ptr<const DerivedKey>> derived =
        FindOrDeriveLocked(salt, options_.opslimit, options_.memlimit);
    if (derived.ok()) seal_key_ = *derived;
    return derived;
  }

  // Holds the lock while deriving, so concurrent opens of one cache derive
  // once instead of racing to spend 64 MiB each.
  Result<std::shared_ptr<const DerivedKey>> FindOrDerive(
      const internal::Salt& salt, std::uint64_t opslimit,
      std::uint64_t memlimit) const {
    std::lock_guard<std::mutex> lock(mu_);
    return FindOrDeriveLocked(salt, opslimit, memlimit);
  }

  Result<std::shared_ptr<const DerivedKey>> FindOrDeriveLocked(
      const internal::Salt& salt, std::uint64_t opslimit,
      std::uint64_t memlimit) const {
    for (const auto& entry : cache_) {
      if (entry->opslimit == opslimit && entry->memlimit == memlimit &&
          sodium_memcmp(entry->salt.data(), salt.data(), salt.size()) == 0) {
        return entry;
      }
    }
    auto entry = std::make_shared<DerivedKey>();
    entry->salt = salt;
    entry->opslimit = opslimit;
    entry->memlimit = memlimit;
    Result<std::unique_ptr<SecureBuffer>> key =
        SecureBuffer::Allocate(internal::kKeySize);
    if (!key.ok()) return key.status();
    const SecureBuffer& passphrase = *passphrase_;
    if (crypto_pwhash((*key)->mutable_data(), internal::kKeySize,
                      reinterpret_cast<const char*>(passphrase.data()),
                      passphrase.size(), salt.data(), opslimit,
                      static_cast<std::size_t>(memlimit),
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return Status(Code::kResourceExhausted,
                    "Argon2id key derivation failed (out of memory)");
    }
    (*key)->MakeReadOnly();
    entry->key_id = internal::ComputeKeyId(**key);
    entry->key = std::move(*key);
    if (cache_.size() >= kMaxCached) cache_.pop_front();
    cache_.push_back(entry);
    return std::shared_ptr<const DerivedKey>(std::move(entry));
  }

  std::unique_ptr<SecureBuffer> passphrase_;
  PassphraseOptions options_;
  mutable std::mutex mu_;
  mutable std::deque<std::shared_ptr<const DerivedKey>> cache_;
  mutable std::shared_ptr<const DerivedKey> seal_key_;
};

}  // namespace

namespace internal {

KeyId ComputeKeyId(const SecureBuffer& key) {
  // A keyed BLAKE2b of a fixed label: it identifies the key without
  // revealing it, and is stable across processes for the same key.
  static constexpr std::string_view kLabel = "tokencache key id v1";
  unsigned char digest[crypto_generichash_BYTES_MIN];
  crypto_generichash(digest, sizeof digest,
                     reinterpret_cast<const unsigned char*>(kLabel.data()),
                     kLabel.size(), key.data(), key.size());
  KeyId id;
  std::copy(digest, digest + id.size(), id.begin());
  return id;
}

Result<std::string> SealEnvelope(const SecureBuffer& key, EnvelopeHeader header,
                                 std::string_view plaintext,
                                 std::string_view context) {
  Status init = EnsureSodium();
  if (!init.ok()) return init;
  if (plaintext.size() >
      crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX - kTagSize) {
    return InvalidArgumentError("plaintext too large to seal");
  }
  // A fresh random 24-byte nonce per seal: XChaCha20's nonce is long enough
  // that random nonces do not collide in practice (2^96 seals for a 2^-32
  // chance), so no counter state has to survive crashes.
  randombytes_buf(header.nonce.data(), header.nonce.size());
  std::string out;
  EncodeHeader(header, out);
  const std::size_t header_size = out.size();
  std::string associated = out;
  associated.append(context);
  out.resize(header_size + plaintext.size() + kTagSize);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(&out[header_size]), &written,
      NonNull(plaintext), plaintext.size(),
      reinterpret_cast<const unsigned char*>(associated.data()),
      associated.size(), nullptr, header.nonce.data(), key.data());
  out.resize(header_size + static_cast<std::size_t>(written));
  return out;
}

Result<SecretBytes> OpenEnvelope(const SecureBuffer& key,
                                 const ParsedEnvelope& envelope,
                                 std::string_view context) {
  std::string associated(envelope.header_bytes);
  associated.append(context);
  SecretBytes plaintext;
  const std::size_t plain_size = envelope.sealed.size() - kTagSize;
  // One spare byte so the output pointer is never null for empty plaintext.
  plaintext.Resize(plain_size + 1);
  unsigned long long written = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plaintext.mutable_data()), &written,
      nullptr, NonNull(envelope.sealed), envelope.sealed.size(),
      reinterpret_cast<const unsigned char*>(associated.data()),
      associated.size(), envelope.header.nonce.data(), key.data());
  if (rc != 0) {
    plaintext.Clear();
    return CorruptedError(
        "envelope failed authentication: its bytes, or the cache or record "
        "it is bound to, differ from what was sealed");
  }
  plaintext.Resize(static_cast<std::size_t>(written));
  return plaintext;
}

Result<std::unique_ptr<Cipher>> NewKeyCipherFrom(
    std::unique_ptr<SecureBuffer> key) {
  if (key == nullptr || key->size() != kKeySize) {
    return InvalidArgumentError("cipher key must be exactly 32 bytes");
  }
  key->MakeReadOnly();
  KeyId id = ComputeKeyId(*key);
  return std::unique_ptr<Cipher>(new KeyCipher(std::move(key), id));
}

}  // namespace internal

Cipher::~Cipher() = default;

Result<std::string> Cipher::Seal(std::string_view plaintext,
                                 std::string_view associated_context) const {
  try {
    Result<std::string> result = DoSeal(plaintext, associated_context);
    if (!result.ok()) return result.status().WithContext(Name());
    return result;
  } catch (...) {
    return FromException().WithContext(Name());
  }
}

Result<SecretBytes> Cipher::Open(std::string_view envelope,
                                 std::string_view associated_context) const {
  try {
    Result<SecretBytes> result = DoOpen(envelope, associated_context);
    if (!result.ok()) return result.status().WithContext(Name());
    return result;
  } catch (...) {
    return FromException().WithContext(Name());
  }
}

std::string BlobContext(std::string_view cache_id) {
  std::string out("tokencache/blob/v1");
  out.push_back('\0');
  PutLengthPrefixed(cache_id, out);
  return out;
}

std::string RecordContext(std::string_view cache_id,
                          std::string_view record_key) {
  std::string out("tokencache/record/v1");
  out.push_back('\0');
  PutLengthPrefixed(cache_id, out);
  PutLengthPrefixed(record_key, out);
  return out;
}

Result<std::unique_ptr<Cipher>> NewKeyCipher(const SecretBytes& key) {
  if (key.size() != internal::kKeySize) {
    return InvalidArgumentError("cipher key must be exactly 32 bytes");
  }
  Result<std::unique_ptr<SecureBuffer>> copy = SecureBuffer::CopyOf(key.view());
  if (!copy.ok()) return copy.status();
  return internal::NewKeyCipherFrom(std::move(*copy));
}

Result<std::unique_ptr<Cipher>> NewPassphraseCipher(
    const SecretBytes& passphrase, const PassphraseOptions& options) {
  if (passphrase.empty()) return InvalidArgumentError("empty passphrase");
  if (passphrase.size() > crypto_pwhash_PASSWD_MAX) {
    return InvalidArgumentError("passphrase too long");
  }
  Status params = internal::CheckKdfParams(options.opslimit, options.memlimit);
  if (!params.ok()) {
    return InvalidArgumentError(
        "passphrase options out of range: opslimit must be 2..32 and "
        "memlimit 64 MiB..1 GiB");
  }
  Result<std::unique_ptr<SecureBuffer>> copy =
      SecureBuffer::CopyOf(passphrase.view());
  if (!copy.ok()) return copy.status();
  return std::unique_ptr<Cipher>(
      new PassphraseCipher(std::move(*copy), options));
}

Result<EnvelopeInfo> InspectEnvelope(std::string_view envelope) {
  Result<ParsedEnvelope> parsed = internal::ParseEnvelope(envelope);
  if (!parsed.ok()) return parsed.status();
  EnvelopeInfo info;
  info.format_version = internal::kFormatVersion;
  info.algorithm = "xchacha20poly1305-ietf";
  const EnvelopeHeader& header = parsed->header;
  info.kdf = header.kdf == internal::kKdfArgon2id13 ? "argon2id13" : "none";
  info.key_id = header.key_id;
  info.opslimit = header.opslimit;
  info.memlimit = header.memlimit;
  info.plaintext_size = parsed->sealed.size() - internal::kTagSize;
  return info;
}

}  // namespace tokencache
