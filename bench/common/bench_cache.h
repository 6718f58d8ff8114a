// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Synthetic caches shaped like the ones the msal-node peer harness builds
// (../shared/peers/msal-node/common.js buildCacheJson), so that our figures
// and the peer's describe the same data: ceil(K/50) accounts, each signed in
// to 3 tenants (3 ID tokens) with 1 family refresh token, K access tokens
// spread round-robin over accounts x tenants x scope sets, ~1.2 KB secrets.
//
// Bench-only code: not part of the library, not installed.

#ifndef TOKENCACHE_BENCH_COMMON_BENCH_CACHE_H_
#define TOKENCACHE_BENCH_COMMON_BENCH_CACHE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tokencache/clock.h"
#include "tokencache/query.h"
#include "tokencache/schema.h"

namespace tokencache {
namespace bench {

// The authority host every synthetic entity uses (the peer's c.ENV).
inline constexpr std::string_view kEnvironment = "login.microsoftonline.com";

// Length of the filler in every synthetic access-token secret (the peer
// uses "at-<i>-" + 1200 x 'a').
inline constexpr std::size_t kSecretFill = 1200;

// A deterministic GUID-shaped id derived from `label`.
std::string Guid(std::string_view label);

// base64url (no padding) of `bytes`, as client_info is encoded.
std::string Base64Url(std::string_view bytes);

// "<prefix>" followed by `fill` 'a' characters.
std::string FilledSecret(std::string_view prefix, std::size_t fill);

struct SyntheticCache {
  CacheSnapshot snapshot;
  // lookups[i] finds access token i; its secret starts with "at-<i>-".
  std::vector<AccessTokenQuery> lookups;
  std::string client_id;
};

// Builds a cache with `access_tokens` ATs (>= 1) valid around `now`.
SyntheticCache BuildSyntheticCache(std::size_t access_tokens, UnixSeconds now);

// The order in which the peer's silent.js walks its lookups: a stride of
// 7919 mod K, so that consecutive calls hit different partitions.
std::size_t LookupStride(std::size_t lookups);

}  // namespace bench
}  // namespace tokencache

#endif  // TOKENCACHE_BENCH_COMMON_BENCH_CACHE_H_
