// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The MSAL matching rules as pure functions over strings and entities:
// environment alias groups, case-insensitive comparison, scope sets with the
// OIDC exceptions, token types, extra key components and expiry
// (msal-cache-rules.md §3, §4). Private to tokencache; the in-memory index
// (cache_state.h) and later record stores (LMDB, Redis) use the same rules.
//
// Hot-path functions take string_views and never allocate.

#ifndef TOKENCACHE_CACHE_CORE_RULES_H_
#define TOKENCACHE_CACHE_CORE_RULES_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tokencache/clock.h"
#include "tokencache/query.h"
#include "tokencache/schema.h"

namespace tokencache {
namespace internal {

// One cloud's interchangeable authority hosts (msal-cache-rules.md §3.3).
struct AliasGroup {
  std::string_view preferred_network;
  std::string_view preferred_cache;  // The host tokencache writes.
  std::vector<std::string_view> hosts;
};

// The known clouds, as in MSAL .NET KnownMetadataProvider.
const std::vector<AliasGroup>& KnownAliasGroups();

inline char ToLowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

// Reduces an authority to its host: drops a scheme ("https://"), a path and
// surrounding white space. Returns a view into `authority`.
std::string_view HostOf(std::string_view authority);

// Returns the known group of `host` (case-insensitive), or nullptr.
const AliasGroup* FindAliasGroup(std::string_view host);

// The name of the alias group `host` belongs to: the preferred_cache host of
// a known cloud, else the host itself (an unknown host is its own group).
// The view points into static data or into `host`; compare it with
// EqualsIgnoreCase.
std::string_view EnvironmentGroupView(std::string_view host);

// EnvironmentGroupView, lower-cased: what the index stores with an entity.
std::string EnvironmentGroupKey(std::string_view host);

// The host tokencache writes into `environment`: the group's preferred_cache
// (login.windows.net for the public cloud, as MSAL .NET and Node do), or the
// lower-cased host when the cloud is unknown.
std::string PreferredCacheHost(std::string_view host);

// True for openid, profile, offline_access and email (case-insensitive).
bool IsOidcScope(std::string_view scope);

// Splits a space-separated scope string, lower-cases, sorts and removes
// duplicates: the normalized form stored with every access token.
std::vector<std::string> NormalizeScopes(std::string_view target);
// The same into `out` (replacing its contents), reusing the vector and the
// strings it keeps: a lookup normalizes without allocating once its buffer
// has grown.
void NormalizeScopesInto(std::string_view target,
                         std::vector<std::string>* out);

// True when a token whose normalized scope set is `token_scopes` serves a
// request for `requested` (any case). OIDC scopes in the request are
// ignored, unless the request holds only OIDC scopes: then only
// offline_access is ignored (MSAL Node ScopeSet.createSearchScopes).
bool ScopesSatisfy(const std::vector<std::string>& token_scopes,
                   const std::vector<std::string>& requested);

// True when two normalized scope sets share a scope, ignoring the OIDC
// scopes of a set that has other scopes too (MSAL Node
// ScopeSet.intersectingScopeSets). Used by the write path.
bool ScopeSetsIntersect(const std::vector<std::string>& a,
                        const std::vector<std::string>& b);

// Lower-cased token type, with empty meaning "bearer".
std::string NormalizeTokenType(std::string_view token_type);
bool TokenTypesEqual(std::string_view a, std::string_view b);

// Extra cache-key components are equal as sets of (key, value) pairs; keys
// and values are compared exactly. An empty set equals only an empty set.
bool ComponentsEqual(const StringPairs& a, const StringPairs& b);

// True for "common", "organizations" and "consumers" and an empty tenant:
// authorities that do not name one tenant.
bool IsTenantless(std::string_view tenant);

// The tenant part of a home account id "<uid>.<utid>", or "" without a dot.
std::string_view HomeTenantOf(std::string_view home_account_id);

// Access tokens that claim to live longer than this are treated as expired
// (MSAL .NET ExpirationTooLongInDays).
inline constexpr UnixSeconds kMaxAccessTokenLifetime = 3650LL * 24 * 3600;

// Classifies a stored access token at time `now` (msal-cache-rules.md §4):
//  - kExpired when expires_on is missing (0), when cached_at is in the
//    future (the clock was turned back), when expires_on lies more than
//    10 years ahead, or when it is not strictly later than now + `buffer`;
//  - kRefreshDue when still valid but now is past refresh_on;
//  - kValid otherwise.
LookupState AccessTokenState(const AccessToken& token, UnixSeconds now,
                             std::chrono::seconds buffer);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_CACHE_CORE_RULES_H_
