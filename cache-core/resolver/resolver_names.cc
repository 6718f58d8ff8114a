// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Stable names of the resolver's enums. They appear in the CLI's JSON and
// will be the C ABI's strings: never rename one, only add.

#include "tokencache/resolver.h"

namespace tokencache {

const char* SilentOutcomeName(SilentOutcome outcome) {
  switch (outcome) {
    case SilentOutcome::kCacheHit:
      return "cache_hit";
    case SilentOutcome::kRefreshed:
      return "refreshed";
    case SilentOutcome::kRefreshedWithFamilyToken:
      return "refreshed_with_family_token";
    case SilentOutcome::kStaleButServed:
      return "stale_but_served";
    case SilentOutcome::kUiRequired:
      return "ui_required";
    case SilentOutcome::kNoTokenInCache:
      return "no_token_in_cache";
    case SilentOutcome::kTransient:
      return "transient";
    case SilentOutcome::kServiceError:
      return "service_error";
    case SilentOutcome::kError:
      return "error";
  }
  return "unknown";
}

const char* SilentReasonName(SilentReason reason) {
  switch (reason) {
    case SilentReason::kNone:
      return "none";
    case SilentReason::kNoAccount:
      return "no_account";
    case SilentReason::kNoAccountForLoginHint:
      return "no_account_for_login_hint";
    case SilentReason::kMultipleAccountsForLoginHint:
      return "multiple_accounts_for_login_hint";
    case SilentReason::kNoTokensFound:
      return "no_tokens_found";
    case SilentReason::kRefreshTokenExpired:
      return "refresh_token_expired";
    case SilentReason::kInvalidGrant:
      return "invalid_grant";
    case SilentReason::kInteractionRequired:
      return "interaction_required";
    case SilentReason::kConsentRequired:
      return "consent_required";
    case SilentReason::kLoginRequired:
      return "login_required";
    case SilentReason::kBadToken:
      return "bad_token";
    case SilentReason::kClaimsChallenge:
      return "claims_challenge";
    case SilentReason::kUiNotAllowed:
      return "ui_not_allowed";
    case SilentReason::kInterruptedUser:
      return "interrupted_user";
    case SilentReason::kOtherUiRequired:
      return "other_ui_required";
    case SilentReason::kHttp5xx:
      return "http_5xx";
    case SilentReason::kHttp429:
      return "http_429";
    case SilentReason::kHttp408:
      return "http_408";
    case SilentReason::kServerBusy:
      return "server_busy";
    case SilentReason::kTimeout:
      return "timeout";
    case SilentReason::kConnectionRefused:
      return "connection_refused";
    case SilentReason::kNameResolution:
      return "name_resolution";
    case SilentReason::kTls:
      return "tls";
    case SilentReason::kNetwork:
      return "network";
    case SilentReason::kRetryAfter:
      return "retry_after";
    case SilentReason::kClientMismatch:
      return "client_mismatch";
    case SilentReason::kProtectionPolicyRequired:
      return "protection_policy_required";
    case SilentReason::kInvalidClient:
      return "invalid_client";
    case SilentReason::kRequestThrottled:
      return "request_throttled";
    case SilentReason::kInvalidResponse:
      return "invalid_response";
    case SilentReason::kRequestRejected:
      return "request_rejected";
    case SilentReason::kEndpointInternal:
      return "endpoint_internal";
    case SilentReason::kOtherServiceError:
      return "other_service_error";
    case SilentReason::kInvalidRequest:
      return "invalid_request";
    case SilentReason::kCacheFailure:
      return "cache_failure";
    case SilentReason::kNoCachedAccessToken:
      return "no_cached_access_token";
    case SilentReason::kCachedAccessTokenExpired:
      return "cached_access_token_expired";
  }
  return "unknown";
}

const char* TokenSourceName(TokenSource source) {
  switch (source) {
    case TokenSource::kNone:
      return "none";
    case TokenSource::kCache:
      return "cache";
    case TokenSource::kIdentityProvider:
      return "identity_provider";
  }
  return "unknown";
}

const char* CacheRefreshReasonName(CacheRefreshReason reason) {
  switch (reason) {
    case CacheRefreshReason::kNotApplicable:
      return "not_applicable";
    case CacheRefreshReason::kForceRefreshOrClaims:
      return "force_refresh_or_claims";
    case CacheRefreshReason::kNoCachedAccessToken:
      return "no_cached_access_token";
    case CacheRefreshReason::kCachedAccessTokenExpired:
      return "cached_access_token_expired";
    case CacheRefreshReason::kProactivelyRefreshed:
      return "proactively_refreshed";
  }
  return "unknown";
}

}  // namespace tokencache
