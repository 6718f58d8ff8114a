// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// BackendRegistry maps URI schemes ("file", "lmdb", "vault") to factories
// that open a Cache for a parsed URI (uri.h). SDK authors add a backend of
// their own by registering a factory; nothing in tokencache has to change:
//
//   BackendRegistry registry;
//   RegisterBuiltinBackends(registry);            // tokencache.h
//   registry.Register("vault", &OpenVaultCache);  // yours
//   Result<std::unique_ptr<Cache>> cache =
//       registry.Open("vault://team-a/tokens");
//
// A factory for a whole-blob store usually builds a BlobStore and returns
// Cache::Open(store, serializer, lock). Registration is an explicit call,
// never a static initializer, so it survives static linking and happens in a
// known order.
//
// Thread safety: all methods may be called from several threads at once.

#ifndef TOKENCACHE_REGISTRY_H_
#define TOKENCACHE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tokencache/cache.h"
#include "tokencache/export.h"
#include "tokencache/status.h"
#include "tokencache/uri.h"

namespace tokencache {

// Opens the cache that `uri` describes. Must not throw; a factory that does
// anyway is reported as kInternal.
using CacheFactory = std::function<Result<std::unique_ptr<Cache>>(
    const CacheUri& uri, const CacheOptions& options)>;

class TOKENCACHE_EXPORT BackendRegistry {
 public:
  BackendRegistry() = default;
  BackendRegistry(const BackendRegistry&) = delete;
  BackendRegistry& operator=(const BackendRegistry&) = delete;

  // Makes URIs with `scheme` (case-insensitive) open through `factory`.
  // Returns kInvalidArgument for an empty or malformed scheme or a null
  // factory, and kConflict when the scheme is already registered.
  Status Register(std::string_view scheme, CacheFactory factory);

  // Returns whether `scheme` is registered.
  bool Contains(std::string_view scheme) const;

  // Returns the registered schemes in sorted order.
  std::vector<std::string> Schemes() const;

  // Parses `uri` and opens it with its scheme's factory. Returns the
  // parser's kInvalidArgument, kNotFound for an unregistered scheme, or the
  // factory's error.
  Result<std::unique_ptr<Cache>> Open(
      std::string_view uri, const CacheOptions& options = CacheOptions()) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, CacheFactory, std::less<>> factories_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_REGISTRY_H_
