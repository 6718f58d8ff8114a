// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Resolver answers "give me an access token without bothering the user":
// MSAL's AcquireTokenSilent. It looks in the Cache, redeems a refresh token
// at a TokenEndpoint when the cached access token is missing, expired, due
// for a proactive refresh, or skipped (force refresh, claims challenge),
// stores the answer, and says what happened as a SilentResult value. It
// never throws, and "the user must sign in" is an outcome, not an error.
//
//   Resolver resolver(cache, endpoint);
//   SilentRequest request;
//   request.client_id = "...";
//   request.authority = "https://login.microsoftonline.com/contoso";
//   request.scopes = {"User.Read"};
//   request.home_account_id = "<uid>.<utid>";
//   SilentResult r = resolver.AcquireSilent(request);
//   if (r.has_token()) { use r.token->secret.view(); }
//   else if (r.outcome == SilentOutcome::kUiRequired) { sign in; }
//
// The decision table as implemented, and every choice made where MSAL .NET,
// Python and Node disagree, are in docs/resolver.md; in short:
//  - no account -> kUiRequired/kNoAccount; no refresh token ->
//    kUiRequired/kNoTokensFound (NET, JS);
//  - a valid token past refresh_on is refreshed synchronously (PY); if that
//    refresh fails for any reason the still-valid token is served
//    (kStaleButServed) with the failure's details;
//  - FOCI: the family refresh token is tried first when the app is a
//    family member or its membership is unknown (NET, PY); any failure
//    that is not transient falls back to the app's own refresh token;
//  - a refresh token is never deleted on invalid_grant (NET, PY); on
//    bad_token the redeemed one is deleted (JS), if still unchanged;
//  - UI-required answers of the server are replayed for
//    ResolverOptions::ui_required_throttle without a network call (NET),
//    and nothing is sent before a Retry-After has passed.
//
// Locking: the cache lookups take no exclusive lock (Cache::Read), the
// network call runs with no cache lock held, and the answer is stored with
// one Cache::Update, in which the new refresh token replaces the old one.
// With ResolverOptions::refresh_lease set, concurrent refreshes of one
// account (across threads and processes) are single-flight: one redeems,
// the others wait for the lease and then find its tokens in the cache.
//
// Thread safety: one Resolver may serve any number of threads at once.

#ifndef TOKENCACHE_RESOLVER_H_
#define TOKENCACHE_RESOLVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokencache/cache.h"
#include "tokencache/export.h"
#include "tokencache/lock.h"
#include "tokencache/schema.h"
#include "tokencache/status.h"
#include "tokencache/token_endpoint.h"

namespace tokencache {

// What a silent acquisition ended with.
enum class SilentOutcome {
  kCacheHit,                  // A valid cached access token.
  kRefreshed,                 // Redeemed the app's refresh token.
  kRefreshedWithFamilyToken,  // Redeemed a family (FOCI) refresh token.
  kStaleButServed,            // Past refresh_on, the refresh failed; the cached
                    // token is still valid and is returned. `reason` and
                    // the error fields say why the refresh failed.
  kUiRequired,      // Only an interactive sign-in can help; see `reason`.
  kNoTokenInCache,  // App-only lookup: no valid token cached. Daemons get
                    // one with their client credentials; no UI involved.
  kTransient,       // The service or network failed; retry later.
  kServiceError,    // The service refused for another reason.
  kError,           // A local failure: invalid request or cache error;
                    // see `status`.
};

// Why. One enum for every outcome, so that names stay unique; the group
// each value belongs to is in its comment.
enum class SilentReason {
  kNone,  // Token outcomes without a failure.
  // kUiRequired, decided without the server:
  kNoAccount,                     // No home_account_id and no login hint.
  kNoAccountForLoginHint,         // The login hint names no cached account.
  kMultipleAccountsForLoginHint,  // ... or several.
  kNoTokensFound,                 // No usable refresh token.
  kRefreshTokenExpired,           // The only refresh tokens expire within
                                  // the expiry buffer (JS).
  // kUiRequired, from the server (see ErrorClassification):
  kInvalidGrant,
  kInteractionRequired,
  kConsentRequired,
  kLoginRequired,
  kBadToken,
  kClaimsChallenge,
  kUiNotAllowed,
  kInterruptedUser,
  kOtherUiRequired,
  // kTransient (TransientKind):
  kHttp5xx,
  kHttp429,
  kHttp408,
  kServerBusy,
  kTimeout,
  kConnectionRefused,
  kNameResolution,
  kTls,
  kNetwork,
  kRetryAfter,  // Not sent: an earlier Retry-After has not passed yet.
  // kServiceError (ServiceErrorReason):
  kClientMismatch,
  kProtectionPolicyRequired,
  kInvalidClient,
  kRequestThrottled,
  kInvalidResponse,
  kRequestRejected,
  kEndpointInternal,
  kOtherServiceError,
  // kError:
  kInvalidRequest,
  kCacheFailure,
  // kNoTokenInCache:
  kNoCachedAccessToken,
  kCachedAccessTokenExpired,
};

// Where the returned token came from (PY token_source, NET TokenSource).
enum class TokenSource { kNone, kCache, kIdentityProvider };

// MSAL's telemetry "cache outcome" (msal-cache-rules.md §5.4); the numeric
// values are MSAL's.
enum class CacheRefreshReason {
  kNotApplicable = 0,  // A cache hit.
  kForceRefreshOrClaims = 1,
  kNoCachedAccessToken = 2,
  kCachedAccessTokenExpired = 3,
  kProactivelyRefreshed = 4,
};

// Stable lower-case names ("cache_hit", "no_tokens_found",
// "identity_provider", "proactively_refreshed") for the CLI and the C ABI.
TOKENCACHE_EXPORT const char* SilentOutcomeName(SilentOutcome outcome);
TOKENCACHE_EXPORT const char* SilentReasonName(SilentReason reason);
TOKENCACHE_EXPORT const char* TokenSourceName(TokenSource source);
TOKENCACHE_EXPORT const char* CacheRefreshReasonName(CacheRefreshReason reason);

// One silent request. Plain value.
struct SilentRequest {
  // The app. Required.
  std::string client_id;
  // "https://<host>/<tenant>", e.g. "https://login.microsoftonline.com/
  // contoso.onmicrosoft.com". Required. For "common" and "organizations"
  // (and "consumers") the account's home tenant is used instead (NET).
  std::string authority;
  // Requested scopes; at least one. The OIDC scopes are added on the wire.
  std::vector<std::string> scopes;
  // The account, "<uid>.<utid>" as in Account::home_account_id. Empty: use
  // `login_hint`; neither gives kUiRequired/kNoAccount.
  std::string home_account_id;
  // A username (preferred_username) to find the account by among the
  // cached accounts of the authority's cloud, when home_account_id is
  // empty (NET's WithLoginHint).
  std::string login_hint;
  // Skip the cached access token and redeem a refresh token.
  bool force_refresh = false;
  // A claims challenge (JSON) from a resource; sent with the refresh and,
  // like force_refresh, skips the cached access token. Default: none.
  std::string claims;
  // Proof-of-possession or SSH: the token type and key id the token must
  // have. Empty: Bearer.
  std::string token_type;
  std::string key_id;
  // Sent as client-request-id; echoed in the result. Default: none.
  std::string correlation_id;
  // Token endpoint URL; empty means TokenEndpointUrl(authority) with the
  // effective tenant.
  std::string token_endpoint;
  // Confidential clients: the client secret sent with a refresh. Default:
  // empty (a public client).
  SecretBytes client_secret;
};

// The answer. Plain value; the token's secret is wiped with it.
struct SilentResult {
  SilentOutcome outcome = SilentOutcome::kError;
  SilentReason reason = SilentReason::kNone;
  // A copy of the access token for kCacheHit, kRefreshed,
  // kRefreshedWithFamilyToken and kStaleButServed; empty otherwise.
  std::optional<AccessToken> token;
  TokenSource source = TokenSource::kNone;
  CacheRefreshReason cache_refresh_reason = CacheRefreshReason::kNotApplicable;
  // The account the request resolved to (home_account_id), if any.
  std::string home_account_id;

  // The server's answer when a refresh failed (also for kStaleButServed),
  // as it sent it. `error_description` is the server's text: show it to
  // developers, never parse it.
  int http_status = 0;
  std::string error;
  std::string suberror;
  std::string claims;
  std::string error_description;
  UiRequiredClassification classification = UiRequiredClassification::kNone;
  // The request's correlation id, else the server's.
  std::string correlation_id;
  // How long to wait before asking again (kTransient from 429/503, and
  // kRetryAfter); capped at ResolverOptions::max_retry_after.
  std::optional<std::chrono::seconds> retry_after;
  // True when the answer was replayed from the throttle table without a
  // network call (a repeated UI-required request, or a Retry-After).
  bool throttled = false;
  // For humans and logs: what happened, naming fields and codes, never
  // token text or the error description.
  std::string message;
  // kError: the failure. For token outcomes: OK, or the error of storing
  // the refreshed tokens (the fresh token is still returned).
  Status status;

  bool has_token() const { return token.has_value(); }
};

struct ResolverOptions {
  // How long the server's UI-required answer to one request (same app,
  // authority, scopes, account, claims and refresh tokens) is replayed
  // without a network call (NET: 120 s). Zero disables. Default: 120 s.
  std::chrono::seconds ui_required_throttle{120};
  // Retry-After values are capped at this (NET, PY: one hour).
  // Default: 3600 s.
  std::chrono::seconds max_retry_after{3600};
  // Time allowed for one token-endpoint call. Default: 30 s.
  std::chrono::milliseconds network_timeout{30000};
  // Refresh a valid token past its refresh_on before returning it (PY).
  // false: return it without refreshing (until it expires).
  // Default: true.
  bool proactive_refresh = true;
  // A refresh token that expires within this is not used (JS: 300 s).
  // Default: 300 s.
  std::chrono::seconds refresh_token_expiry_buffer{300};
  // Delete the redeemed refresh token when the server calls it bad_token
  // (JS). Default: true.
  bool remove_bad_refresh_tokens = true;
  // Optional single-flight lease, a Lock that is NOT the cache's lock
  // (e.g. NewFileLock("<cache>.refresh.lock")). When set, a refresh holds
  // AcquireKey(home account, kExclusive) across its network call and
  // first re-reads the cache, so that concurrent callers of one account
  // redeem the refresh token once. Default: null (no single-flight).
  std::shared_ptr<Lock> refresh_lease;
  // How long to wait for the lease; when it passes, the refresh goes
  // ahead without it. Default: 60 s.
  std::chrono::milliseconds refresh_lease_timeout{60000};
  // Upper bound on remembered throttle entries. Default: 1024.
  std::size_t max_throttle_entries = 1024;
};

class TOKENCACHE_EXPORT Resolver {
 public:
  // `cache` and `endpoint` must outlive the Resolver (or be shared_ptrs).
  // Every expiry and throttling decision takes the time from the cache's
  // clock (CacheOptions::clock).
  Resolver(std::shared_ptr<Cache> cache,
           std::shared_ptr<TokenEndpoint> endpoint,
           ResolverOptions options = {});
  Resolver(Cache* cache, TokenEndpoint* endpoint, ResolverOptions options = {});
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  // The silent acquisition for a user (see the header comment and
  // docs/resolver.md). Never throws; every outcome is in the result.
  // kError/kInvalidRequest when client_id, authority or scopes are
  // missing or the authority is not "<scheme>://<host>/<tenant>".
  SilentResult AcquireSilent(const SilentRequest& request);

  // The app-only lookup (client-credential tokens: no account, no refresh
  // token): cache only. kCacheHit, or kNoTokenInCache with
  // kNoCachedAccessToken / kCachedAccessTokenExpired; home_account_id,
  // login_hint and force_refresh are ignored.
  SilentResult AcquireAppTokenSilent(const SilentRequest& request);

  // Forgets every throttle entry (UI-required and Retry-After).
  void ClearThrottling();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_RESOLVER_H_
