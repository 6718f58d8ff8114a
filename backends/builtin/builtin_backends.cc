// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The factories behind the built-in URI schemes. This is the one place that
// knows every concrete backend; the core knows none of them.

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "tokencache/backends/file.h"
#include "tokencache/backends/file_journal.h"
#include "tokencache/cipher.h"
#include "tokencache/file_lock.h"
#include "tokencache/key_source.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

#if defined(TOKENCACHE_HAVE_KEYCHAIN)
#include "tokencache/backends/keychain.h"
#endif
#include "tokencache/serializers/binary_record_codec.h"
#if defined(TOKENCACHE_HAVE_LMDB)
#include "tokencache/backends/lmdb.h"
#endif

namespace tokencache {
namespace {

Result<std::unique_ptr<Cache>> OpenMemory(const CacheUri& uri,
                                          const CacheOptions& options) {
  Status s = uri.CheckOptions({});
  if (!s.ok()) return s;
  if (!uri.path.empty() || !uri.authority.empty()) {
    return InvalidArgumentError(
        "memory cache URI takes no path: write it as 'memory:'");
  }
  return Cache::NewInMemory(options);
}

Result<std::unique_ptr<Serializer>> SerializerFor(const CacheUri& uri) {
  std::string format = uri.Option("format").value_or("msal-json");
  if (format == "msal-json" || format == "json") {
    return NewMsalJsonSerializer();
  }
  if (format == "binary") return NewBinarySerializer();
  return InvalidArgumentError(uri.scheme +
                              " cache URI: format must be msal-json, binary "
                              "or journal");
}

// The key source of a `key` option. key=keychain:service/account needs the
// keychain backend; `fallback=file:/abs/key` (only with it) is the opt-in
// key file used, with a warning on stderr, when the keychain is unavailable.
Result<std::unique_ptr<KeySource>> KeySourceFor(const CacheUri& uri,
                                                const std::string& spec) {
  std::optional<std::string> fallback = uri.Option("fallback");
  const bool keychain = spec.rfind("keychain:", 0) == 0;
  if (fallback.has_value() && !keychain) {
    return InvalidArgumentError(
        uri.scheme + " cache URI: fallback only applies together with "
        "key=keychain:service/account");
  }
#if defined(TOKENCACHE_HAVE_KEYCHAIN)
  if (keychain) {
    KeychainKeySourceOptions options;
    if (fallback.has_value()) {
      std::string path = *fallback;
      if (path.rfind("file://", 0) == 0) {
        path.erase(0, 7);
      } else if (path.rfind("file:", 0) == 0) {
        path.erase(0, 5);
      } else {
        return InvalidArgumentError(
            uri.scheme + " cache URI: fallback must be file:/abs/key");
      }
      options.fallback_key_file = path;
    }
    return KeychainKeySourceFromSpec(spec, std::move(options));
  }
#endif
  return KeySourceFromSpec(spec);
}

// Seals each record of `store` when the URI has a key; the cache-id (the
// associated data) defaults to `path`.
Result<std::unique_ptr<RecordStore>> EncryptRecordsIfKeyed(
    const CacheUri& uri, const std::filesystem::path& path,
    std::unique_ptr<RecordStore> store) {
  if (std::optional<std::string> key = uri.Option("key"); key.has_value()) {
    Result<std::unique_ptr<KeySource>> source = KeySourceFor(uri, *key);
    if (!source.ok()) return source.status();
    Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
    if (!cipher.ok()) return cipher.status();
    return NewEncryptedRecordStore(
        std::move(store), std::move(*cipher),
        uri.Option("cache-id").value_or(path.string()));
  }
  if (uri.Option("cache-id").has_value()) {
    return InvalidArgumentError(
        uri.scheme + " cache URI: cache-id only applies together with key");
  }
  if (uri.Option("fallback").has_value()) {
    return InvalidArgumentError(
        uri.scheme + " cache URI: fallback only applies together with "
        "key=keychain:service/account");
  }
  return store;
}

// file:///abs/path?format=journal[&key=...]: records appended to a journal
// file (tokencache/backends/file_journal.h), always under its own lock.
Result<std::unique_ptr<Cache>> OpenFileJournal(
    const CacheUri& uri, const std::filesystem::path& path,
    const CacheOptions& options) {
  if (std::optional<std::string> lock = uri.Option("lock");
      lock.has_value() && *lock != "file") {
    return InvalidArgumentError(
        "file cache URI: format=journal always uses its own lock file; "
        "lock=" + *lock + " is not possible");
  }
  JournalStoreOptions journal_options;
  // The journal's writers wait for its lock, as file-store writers do.
  journal_options.lock_timeout = options.lock_timeout;
  // Lock-free readers rely on the local page cache ordering a frame before
  // the commit block that publishes it; network file systems do not.
  journal_options.refuse_network_fs = true;
  Result<std::unique_ptr<RecordStore>> opened =
      FileJournalStore::Open(path, journal_options);
  if (!opened.ok()) return opened.status();
  Result<std::unique_ptr<RecordStore>> store =
      EncryptRecordsIfKeyed(uri, path, std::move(*opened));
  if (!store.ok()) return store.status();
  return Cache::Open(std::move(*store), NewBinaryRecordCodec(), options);
}

Result<std::unique_ptr<Cache>> OpenFile(const CacheUri& uri,
                                        const CacheOptions& options) {
  Status s =
      uri.CheckOptions({"format", "lock", "key", "cache-id", "fallback"});
  if (!s.ok()) return s;
  if (!uri.authority.empty() && uri.authority != "localhost") {
    return InvalidArgumentError(
        "file cache URI: remote hosts are not supported; write "
        "file:///absolute/path");
  }
  std::filesystem::path path(uri.path);
  if (!path.is_absolute() || !path.has_filename()) {
    return InvalidArgumentError(
        "file cache URI needs an absolute file path, e.g. "
        "file:///home/u/.cache/app/msal_cache.json");
  }
  path = path.lexically_normal();
  if (uri.Option("format") == std::optional<std::string>("journal")) {
    return OpenFileJournal(uri, path, options);
  }

  Result<std::unique_ptr<Serializer>> serializer = SerializerFor(uri);
  if (!serializer.ok()) return serializer.status();

  std::unique_ptr<Lock> lock;
  std::string lock_mode = uri.Option("lock").value_or("file");
  if (lock_mode == "file" || lock_mode == "msal") {
    FileLockOptions lock_options;
    if (lock_mode == "msal") {
      lock_options.msal_lockfile_interop = true;
      lock_options.msal_lockfile = path.string() + ".lockfile";
    }
    Result<std::unique_ptr<Lock>> opened =
        NewFileLock(path.string() + ".lock", lock_options);
    if (!opened.ok()) return opened.status();
    lock = std::move(*opened);
  } else if (lock_mode != "none") {
    return InvalidArgumentError(
        "file cache URI: lock must be file, msal or none");
  }

  Result<std::unique_ptr<BlobStore>> store = FileBlobStore::Open(path);
  if (!store.ok()) return store.status();
  std::unique_ptr<BlobStore> blob_store = std::move(*store);

  if (std::optional<std::string> key = uri.Option("key"); key.has_value()) {
    Result<std::unique_ptr<KeySource>> source = KeySourceFor(uri, *key);
    if (!source.ok()) return source.status();
    Result<std::shared_ptr<const Cipher>> cipher = (*source)->GetCipher();
    if (!cipher.ok()) return cipher.status();
    blob_store = NewEncryptedBlobStore(
        std::move(blob_store), std::move(*cipher),
        uri.Option("cache-id").value_or(path.string()));
  } else if (uri.Option("cache-id").has_value()) {
    return InvalidArgumentError(
        "file cache URI: cache-id only applies together with key");
  } else if (uri.Option("fallback").has_value()) {
    return InvalidArgumentError(
        "file cache URI: fallback only applies together with "
        "key=keychain:service/account");
  }
  return Cache::Open(std::move(blob_store), std::move(*serializer),
                     std::move(lock), options);
}

#if defined(TOKENCACHE_HAVE_LMDB)
// lmdb:///abs/dir[?key=...&cache-id=...]: one record per entity, each value
// sealed with its record key as associated data when a key is given.
Result<std::unique_ptr<Cache>> OpenLmdb(const CacheUri& uri,
                                        const CacheOptions& options) {
  Status s = uri.CheckOptions({"key", "cache-id", "fallback"});
  if (!s.ok()) return s;
  if (!uri.authority.empty() && uri.authority != "localhost") {
    return InvalidArgumentError(
        "lmdb cache URI: remote hosts are not supported; write "
        "lmdb:///absolute/dir");
  }
  std::filesystem::path path(uri.path);
  if (!path.is_absolute()) {
    return InvalidArgumentError(
        "lmdb cache URI needs an absolute directory, e.g. "
        "lmdb:///var/lib/app/tokens");
  }
  path = path.lexically_normal();
  Result<std::unique_ptr<RecordStore>> opened = LmdbRecordStore::Open(path);
  if (!opened.ok()) return opened.status();
  Result<std::unique_ptr<RecordStore>> store =
      EncryptRecordsIfKeyed(uri, path, std::move(*opened));
  if (!store.ok()) return store.status();
  return Cache::Open(std::move(*store), NewBinaryRecordCodec(), options);
}
#endif

}  // namespace

Status RegisterBuiltinBackends(BackendRegistry& registry) {
  Status s = registry.Register("memory", &OpenMemory);
  if (!s.ok()) return s;
#if defined(TOKENCACHE_HAVE_KEYCHAIN)
  s = registry.Register("keychain", &OpenKeychainCache);
  if (!s.ok()) return s;
#endif
#if defined(TOKENCACHE_HAVE_LMDB)
  s = registry.Register("lmdb", &OpenLmdb);
  if (!s.ok()) return s;
#endif
  return registry.Register("file", &OpenFile);
}

Result<std::unique_ptr<Cache>> OpenCache(std::string_view uri,
                                         const CacheOptions& options) {
  BackendRegistry registry;
  Status s = RegisterBuiltinBackends(registry);
  if (!s.ok()) return s;
  return registry.Open(uri, options);
}

}  // namespace tokencache
