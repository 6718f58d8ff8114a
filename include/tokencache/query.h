// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The questions a cache answers and the shape of its answers: which access
// token serves a silent request (AccessTokenQuery -> AccessTokenLookup),
// which refresh tokens can redeem one (RefreshTokenQuery ->
// RefreshTokenLookup), which ID token and which accounts belong to a user.
// Matching follows MSAL (msal-cache-rules.md §3, §4); where the MSAL
// libraries disagree, docs/cache-rules.md states what tokencache does.
//
// These are plain values; Cache (cache.h) evaluates them. A lookup that finds
// nothing usable is an answer, not an error: it says why (LookupState), so
// that a resolver can report MSAL's cache outcomes ("no cached AT",
// "cached AT expired", "proactively refreshed").

#ifndef TOKENCACHE_QUERY_H_
#define TOKENCACHE_QUERY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tokencache/export.h"
#include "tokencache/schema.h"

namespace tokencache {

// Finds the access token for a silent request.
//
// Matching (all comparisons of ids, hosts, realms, token types, key ids and
// scopes are case-insensitive):
//  - partition: `home_account_id` for user tokens; empty `home_account_id`
//    asks for an app-only (client-credential) token of `client_id` in
//    `realm`; a non-empty `user_assertion_hash` asks for an on-behalf-of
//    token and `home_account_id` is then ignored.
//  - `environment`: any host of the same cloud alias group (login.windows.net
//    matches login.microsoftonline.com); an unknown host matches itself only.
//  - `realm`: equal tenant (a tenant GUID or domain, never resolved).
//  - `scopes`: every requested scope is granted by the token. The OIDC scopes
//    openid, profile, offline_access and email are ignored, unless the
//    request holds nothing else: then only offline_access is ignored.
//  - `token_type` (empty means Bearer) and `key_id` equal.
//  - `additional_key_components` equal as sets, both ways: a request without
//    components never matches a token with some, and the reverse.
struct AccessTokenQuery {
  std::string home_account_id;
  std::string environment;  // Authority host, e.g. login.microsoftonline.com.
  std::string client_id;
  std::string realm;
  std::vector<std::string> scopes;
  std::string token_type;  // Empty means Bearer.
  std::string key_id;
  std::string user_assertion_hash;
  StringPairs additional_key_components;
};

// Why a lookup did or did not produce a usable token.
enum class LookupState {
  kValid,       // A token that is good for longer than the expiry buffer.
  kRefreshDue,  // Still valid, but past its refresh_on: refresh proactively
                // and fall back to this token if the refresh fails.
  kExpired,     // A matching token exists but must not be used: it expires
                // within the buffer, has no expires_on, was cached in the
                // future (clock turned back) or claims to live > 10 years.
  kNotFound,    // No token matches.
};

// Returns a stable name such as "REFRESH_DUE".
TOKENCACHE_EXPORT const char* LookupStateName(LookupState state);

struct AccessTokenLookup {
  LookupState state = LookupState::kNotFound;
  // A copy of the token when state is kValid or kRefreshDue.
  std::optional<AccessToken> token;
  // How many stored tokens matched. More than one happens only when another
  // writer skipped the intersecting-scope cleanup; the freshest one is
  // chosen (docs/cache-rules.md "Multiple matching access tokens").
  std::size_t match_count = 0;
};

// Finds refresh tokens for a home account: the app's own RT and the family
// RT (FOCI), plus what the cache knows about the app's family membership.
struct RefreshTokenQuery {
  std::string home_account_id;
  std::string environment;  // Any host of the alias group.
  std::string client_id;
  // On-behalf-of refresh tokens (NET) are keyed by the assertion hash.
  std::string user_assertion_hash;
};

// What the cache knows about an app's membership in the token family
// (AppMetadata, msal-cache-rules.md §3.5).
enum class FociMembership {
  kUnknown,    // No AppMetadata for the app: NET and PY try the family RT.
  kMember,     // AppMetadata has family_id "1".
  kNotMember,  // AppMetadata without a family id: do not use family RTs.
};

struct RefreshTokenLookup {
  // The app's own RT: no family id, client id equal.
  std::optional<RefreshToken> app_token;
  // A family RT (family_id "1") of the account, issued to any app of the
  // family; present whatever `membership` says: the caller decides.
  std::optional<RefreshToken> family_token;
  FociMembership membership = FociMembership::kUnknown;
};

// Finds the ID token of (home account, environment alias group, client,
// realm). An empty `realm` prefers the home tenant's ID token (the tenant
// in home_account_id after the dot), then any.
struct IdTokenQuery {
  std::string home_account_id;
  std::string environment;
  std::string client_id;
  std::string realm;
};

// Selects accounts. Empty fields do not filter. `environment` matches the
// whole alias group; `username` is compared case-insensitively.
// `with_refresh_token_for_client`, when set, keeps only accounts holding a
// refresh token usable by that client (its own RT or any family RT), which
// is what MSAL .NET lists.
struct AccountFilter {
  std::string home_account_id;
  std::string environment;
  std::string realm;
  std::string username;
  std::string with_refresh_token_for_client;
};

}  // namespace tokencache

#endif  // TOKENCACHE_QUERY_H_
