// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The keychain BlobStore and the keychain:// URI factory.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "backends/keychain/secret_service.h"
#include "tokencache/backends/keychain.h"
#include "tokencache/file_lock.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

// The stored secret: "TCKC", format version, three zero bytes, then the
// generation as a big-endian 64-bit number, then the caller's bytes. The
// generation lives inside the secret because an attribute would be stored
// in clear and, being part of the item's identity, would make every write
// a new item.
constexpr char kMagic[4] = {'T', 'C', 'K', 'C'};
constexpr unsigned char kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 16;

std::string VersionText(std::uint64_t generation) {
  return std::to_string(generation);
}

struct Parsed {
  std::uint64_t generation = 0;
  std::size_t payload_offset = 0;
};

Result<Parsed> ParseHeader(std::string_view secret) {
  if (secret.size() < kHeaderSize ||
      std::memcmp(secret.data(), kMagic, sizeof kMagic) != 0) {
    return CorruptedError(
        "the keychain item does not hold a tokencache cache (bad header); "
        "it was left in place");
  }
  if (static_cast<unsigned char>(secret[4]) != kFormatVersion) {
    return Status(Code::kNotSupported,
                  "the keychain item has an unknown format version " +
                      std::to_string(static_cast<unsigned char>(secret[4])));
  }
  Parsed parsed;
  for (std::size_t i = 8; i < kHeaderSize; ++i) {
    parsed.generation = (parsed.generation << 8) |
                        static_cast<unsigned char>(secret[i]);
  }
  if (parsed.generation == 0) {
    return CorruptedError("the keychain item has generation 0");
  }
  parsed.payload_offset = kHeaderSize;
  return parsed;
}

class SecretServiceBlobStore : public BlobStore {
 public:
  explicit SecretServiceBlobStore(KeychainItemName name)
      : name_(std::move(name)) {}

  std::string_view Name() const override { return "keychain"; }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    Result<std::optional<SecretBytes>> secret =
        internal::LookupSecret(name_, internal::kKindCache);
    if (!secret.ok()) return secret.status();
    if (!secret->has_value()) return std::optional<Blob>();
    const std::string_view view = (*secret)->view();
    Result<Parsed> parsed = ParseHeader(view);
    if (!parsed.ok()) return parsed.status();
    Blob blob;
    blob.bytes = SecretBytes(view.substr(parsed->payload_offset));
    blob.version.opaque = VersionText(parsed->generation);
    return std::optional<Blob>(std::move(blob));
  }

  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override {
    // The Secret Service cannot compare and swap; reading the generation
    // and storing under the caller's write lock is what makes this a CAS.
    Result<std::optional<SecretBytes>> current =
        internal::LookupSecret(name_, internal::kKindCache);
    if (!current.ok()) return current.status();
    std::uint64_t generation = 0;
    if (current->has_value()) {
      Result<Parsed> parsed = ParseHeader((*current)->view());
      // A foreign or damaged item is reported, never overwritten.
      if (!parsed.ok()) return parsed.status();
      generation = parsed->generation;
    }
    const BlobVersion stored{generation == 0 ? std::string()
                                             : VersionText(generation)};
    if (expected.has_value() && *expected != stored) {
      return Status(Code::kConflict,
                    "another writer changed the keychain item");
    }
    const std::uint64_t next = generation + 1;
    SecretBytes secret;
    secret.Resize(kHeaderSize + bytes.size());
    char* out = secret.mutable_data();
    std::memcpy(out, kMagic, sizeof kMagic);
    out[4] = static_cast<char>(kFormatVersion);
    for (std::size_t i = 0; i < 8; ++i) {
      out[kHeaderSize - 1 - i] = static_cast<char>((next >> (8 * i)) & 0xff);
    }
    if (!bytes.empty()) std::memcpy(out + kHeaderSize, bytes.data(), bytes.size());
    Status s = internal::StoreSecret(name_, internal::kKindCache,
                                     secret.view());
    if (!s.ok()) return s;
    return BlobVersion{VersionText(next)};
  }

 private:
  const KeychainItemName name_;
};

// Percent-encodes everything but [A-Za-z0-9._-] so that any service or
// account name makes one safe file name component.
std::string FileNamePart(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
                       (u >= '0' && u <= '9') || u == '-' || u == '_' ||
                       (u == '.' && !out.empty());
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

std::optional<std::filesystem::path> AbsoluteEnv(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || value[0] != '/') return std::nullopt;
  return std::filesystem::path(value);
}

}  // namespace

Result<std::unique_ptr<BlobStore>> KeychainBlobStore::Open(
    KeychainItemName name) {
  Status s = internal::CheckItemName(name);
  if (!s.ok()) return s;
  return std::unique_ptr<BlobStore>(
      new SecretServiceBlobStore(std::move(name)));
}

Result<std::filesystem::path> KeychainLockPath(
    const KeychainItemName& name,
    const std::filesystem::path& lock_directory) {
  Status s = internal::CheckItemName(name);
  if (!s.ok()) return s;
  std::filesystem::path dir;
  if (!lock_directory.empty()) {
    if (!lock_directory.is_absolute()) {
      return InvalidArgumentError(
          "keychain lock directory must be an absolute path");
    }
    dir = lock_directory;
  } else if (auto run = AbsoluteEnv("XDG_RUNTIME_DIR")) {
    dir = *run / "tokencache";
  } else if (auto cache = AbsoluteEnv("XDG_CACHE_HOME")) {
    dir = *cache / "tokencache";
  } else if (auto home = AbsoluteEnv("HOME")) {
    dir = *home / ".cache" / "tokencache";
  } else {
    return NotFoundError(
        "no directory for the keychain lock file: set XDG_RUNTIME_DIR or "
        "HOME, or give lock-dir=/abs/dir");
  }
  return dir / ("keychain-" + FileNamePart(name.service) + "-" +
                FileNamePart(name.account) + ".lock");
}

Result<std::unique_ptr<Cache>> OpenKeychainCache(const CacheUri& uri,
                                                 const CacheOptions& options) {
  Status s = uri.CheckOptions({"format", "lock", "lock-dir"});
  if (!s.ok()) return s;
  // keychain://service/account: the authority is the service, the path
  // (without its leading '/') the account.
  if (uri.authority.empty() || uri.path.size() < 2 || uri.path[0] != '/') {
    return InvalidArgumentError(
        "keychain cache URI must name a service and an account: "
        "keychain://service/account");
  }
  KeychainItemName name{uri.authority, uri.path.substr(1)};
  Result<std::unique_ptr<BlobStore>> store = KeychainBlobStore::Open(name);
  if (!store.ok()) return store.status();

  std::unique_ptr<Serializer> serializer;
  const std::string format = uri.Option("format").value_or("msal-json");
  if (format == "msal-json" || format == "json") {
    serializer = NewMsalJsonSerializer();
  } else if (format == "binary") {
    serializer = NewBinarySerializer();
  } else {
    return InvalidArgumentError(
        "keychain cache URI: format must be msal-json or binary");
  }

  std::unique_ptr<Lock> lock;
  const std::string lock_mode = uri.Option("lock").value_or("file");
  if (lock_mode == "file") {
    Result<std::filesystem::path> path = KeychainLockPath(
        name, std::filesystem::path(uri.Option("lock-dir").value_or("")));
    if (!path.ok()) return path.status();
    Result<std::unique_ptr<Lock>> opened = NewFileLock(*path);
    if (!opened.ok()) return opened.status();
    lock = std::move(*opened);
  } else if (lock_mode != "none") {
    return InvalidArgumentError(
        "keychain cache URI: lock must be file or none");
  }
  return Cache::Open(std::move(*store), std::move(serializer),
                     std::move(lock), options);
}

}  // namespace tokencache
