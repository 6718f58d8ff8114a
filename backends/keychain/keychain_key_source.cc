// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The keychain KeySource and the doctor's probe.

#include <sodium.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "backends/keychain/secret_service.h"
#include "tokencache/backends/keychain.h"
#include "tokencache/cipher.h"
#include "tokencache/file_lock.h"

namespace tokencache {
namespace {

constexpr std::size_t kKeySize = 32;
// How long first-use key creation waits for another process creating the
// same key (a store takes 2-12 ms with gnome-keyring).
constexpr std::chrono::seconds kCreateLockTimeout{10};

Result<SecretBytes> RandomBytes(std::size_t size) {
  if (sodium_init() < 0) return InternalError("libsodium failed to start");
  SecretBytes bytes;
  bytes.Resize(size);
  randombytes_buf(bytes.mutable_data(), bytes.size());
  return bytes;
}

class KeychainKeySource : public KeySource {
 public:
  KeychainKeySource(KeychainItemName name, KeychainKeySourceOptions options)
      : name_(std::move(name)), options_(std::move(options)) {}

  std::string_view Name() const override { return "keychain"; }

 protected:
  Result<std::shared_ptr<const Cipher>> DoGetCipher() const override {
    std::lock_guard<std::mutex> guard(mu_);
    if (cipher_ != nullptr) return cipher_;
    Result<SecretBytes> key = LoadOrCreateKey();
    Result<std::unique_ptr<Cipher>> cipher =
        key.ok() ? NewKeyCipher(*key) : Result<std::unique_ptr<Cipher>>(
                                            key.status());
    if (!cipher.ok()) {
      if (cipher.status().code() != Code::kUnavailable ||
          options_.fallback_key_file.empty()) {
        return cipher.status();
      }
      return UseFallback(cipher.status());
    }
    cipher_ = std::shared_ptr<const Cipher>(std::move(*cipher));
    return cipher_;
  }

 private:
  // Reads the key; creates it under the cross-process lock when missing,
  // so two first users cannot store two different keys.
  Result<SecretBytes> LoadOrCreateKey() const {
    Result<std::optional<SecretBytes>> found = Lookup();
    if (!found.ok()) return found.status();
    if (found->has_value()) return std::move(**found);

    Result<std::filesystem::path> lock_path =
        KeychainLockPath(name_, options_.lock_directory);
    if (!lock_path.ok()) return lock_path.status();
    Result<std::unique_ptr<Lock>> lock = NewFileLock(*lock_path);
    if (!lock.ok()) return lock.status();
    Result<std::unique_ptr<LockHandle>> held = (*lock)->Acquire(
        LockMode::kExclusive,
        std::chrono::steady_clock::now() + kCreateLockTimeout);
    if (!held.ok()) return held.status();

    found = Lookup();  // Someone may have created it while we waited.
    if (!found.ok()) return found.status();
    if (found->has_value()) return std::move(**found);
    Result<SecretBytes> key = RandomBytes(kKeySize);
    if (!key.ok()) return key.status();
    Status s = internal::StoreSecret(name_, internal::kKindKey, key->view());
    if (!s.ok()) return s;
    return key;
  }

  Result<std::optional<SecretBytes>> Lookup() const {
    Result<std::optional<SecretBytes>> found =
        internal::LookupSecret(name_, internal::kKindKey);
    if (found.ok() && found->has_value() && (*found)->size() != kKeySize) {
      // Never replace a key we cannot use: data sealed under it would be
      // lost for good.
      return CorruptedError("the keychain key item holds " +
                            std::to_string((*found)->size()) +
                            " bytes, not 32; it was left in place");
    }
    return found;
  }

  Result<std::shared_ptr<const Cipher>> UseFallback(
      const Status& why) const {
    const std::string message =
        "WARNING: keychain unavailable, using the fallback key file " +
        options_.fallback_key_file +
        " as configured (fallback=); the cache is protected only by that "
        "file's permissions. Reason: " +
        why.message();
    if (options_.warn) {
      options_.warn(message);
    } else {
      std::cerr << "tokencache: " << message << "\n";
    }
    Result<std::unique_ptr<KeySource>> file =
        NewKeyFileKeySource(options_.fallback_key_file);
    if (!file.ok()) return file.status();
    Result<std::shared_ptr<const Cipher>> cipher = (*file)->GetCipher();
    if (!cipher.ok()) return cipher.status();
    cipher_ = *cipher;
    return cipher_;
  }

  const KeychainItemName name_;
  const KeychainKeySourceOptions options_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Cipher> cipher_;
};

}  // namespace

Result<std::unique_ptr<KeySource>> NewKeychainKeySource(
    KeychainItemName name, KeychainKeySourceOptions options) {
  Status s = internal::CheckItemName(name);
  if (!s.ok()) return s;
  if (!options.fallback_key_file.empty() &&
      options.fallback_key_file.front() != '/') {
    return InvalidArgumentError(
        "keychain key source: the fallback key file must be an absolute "
        "path");
  }
  if (!options.lock_directory.empty() &&
      !options.lock_directory.is_absolute()) {
    return InvalidArgumentError(
        "keychain key source: the lock directory must be an absolute path");
  }
  return std::unique_ptr<KeySource>(
      new KeychainKeySource(std::move(name), std::move(options)));
}

Result<std::unique_ptr<KeySource>> KeychainKeySourceFromSpec(
    std::string_view spec, KeychainKeySourceOptions options) {
  constexpr std::string_view kPrefix = "keychain:";
  const Status bad = InvalidArgumentError(
      "keychain key source must be written key=keychain:service/account");
  if (spec.substr(0, kPrefix.size()) != kPrefix) return bad;
  std::string_view rest = spec.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 ||
      slash + 1 == rest.size()) {
    return bad;
  }
  return NewKeychainKeySource(
      KeychainItemName{std::string(rest.substr(0, slash)),
                       std::string(rest.substr(slash + 1))},
      std::move(options));
}

KeychainProbeResult ProbeKeychain() {
  KeychainProbeResult result;
  result.status = internal::CheckServiceReachable();
  if (!result.status.ok()) return result;
  result.service_reachable = true;

  // A name of its own, so the probe never touches a real item and two
  // probes at once do not collide.
  Result<SecretBytes> nonce = RandomBytes(8);
  if (!nonce.ok()) {
    result.status = nonce.status();
    return result;
  }
  std::string suffix;
  static const char kHex[] = "0123456789abcdef";
  for (char c : nonce->view()) {
    suffix.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    suffix.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  }
  const KeychainItemName name{"tokencache-doctor", "probe-" + suffix};
  Result<SecretBytes> value = RandomBytes(16);
  if (!value.ok()) {
    result.status = value.status();
    return result;
  }
  Status s = internal::StoreSecret(name, internal::kKindProbe, value->view());
  if (!s.ok()) {
    result.status = s;
    return result;
  }
  Result<std::optional<SecretBytes>> back =
      internal::LookupSecret(name, internal::kKindProbe);
  Result<bool> cleared = internal::ClearSecret(name, internal::kKindProbe);
  if (!back.ok()) {
    result.status = back.status();
  } else if (!back->has_value() || !(*back)->Equals(*value)) {
    result.status = Status(Code::kIoError,
                           "the probe item did not read back as stored");
  } else if (!cleared.ok()) {
    result.status = cleared.status();
  } else if (!*cleared) {
    result.status = Status(Code::kIoError, "the probe item was not removed");
  } else {
    result.store_works = true;
  }
  return result;
}

}  // namespace tokencache
