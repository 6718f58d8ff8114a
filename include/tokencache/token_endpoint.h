// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// TokenEndpoint is how the resolver redeems a refresh token: an extension
// point that SDK authors implement with their own HTTP stack, or the libcurl
// client in backends/curl_token_endpoint.h. A refresh never throws and never
// returns a bare Status: every outcome (tokens, an OAuth2 error, a network
// failure) is a RefreshResult value, and Classify() turns a failed one into
// what the resolver does next (ask for UI, retry later, give up), following
// msal-cache-rules.md §5.4.
//
// An implementation with its own HTTP stack builds the form body with
// BuildRefreshForm(), sends it, and hands status, body and Retry-After to
// ParseTokenEndpointResponse(); network failures become
// RefreshResult::NetworkFailure().
//
// Thread safety: TokenEndpoint implementations must allow concurrent
// Refresh() calls from several threads; the free functions are thread-safe.

#ifndef TOKENCACHE_TOKEN_ENDPOINT_H_
#define TOKENCACHE_TOKEN_ENDPOINT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokencache/export.h"
#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"
#include "tokencache/token_response.h"

namespace tokencache {

// Returns "{authority}/oauth2/v2.0/token" with one trailing '/' of
// `authority` dropped, e.g. "https://login.microsoftonline.com/contoso/
// oauth2/v2.0/token" for "https://login.microsoftonline.com/contoso".
TOKENCACHE_EXPORT std::string TokenEndpointUrl(std::string_view authority);

// Returns the scope parameter MSAL sends on a refresh: `scopes` in their
// order, then whichever of "openid", "profile", "offline_access" is missing
// (compared case-insensitively; duplicates and empty entries dropped),
// joined with single spaces.
TOKENCACHE_EXPORT std::string ComposeRefreshScope(
    const std::vector<std::string>& scopes);

// One grant_type=refresh_token request. Plain value; the secrets are wiped
// when it is destroyed.
struct RefreshRequest {
  // The authority the refresh token was issued by, e.g.
  // "https://login.microsoftonline.com/<tenant>". The request goes to
  // TokenEndpointUrl(authority) unless `token_endpoint` is set.
  std::string authority;
  // Full token endpoint URL; overrides `authority` when not empty.
  // Default: empty.
  std::string token_endpoint;
  std::string client_id;      // Required.
  SecretBytes refresh_token;  // Required.
  // Requested scopes; ComposeRefreshScope() adds the OIDC ones.
  std::vector<std::string> scopes;
  // Confidential clients only; empty means a public client. Default: empty.
  SecretBytes client_secret;
  // Claims request JSON (a claims challenge merged with client
  // capabilities), sent as `claims`. Default: empty = none.
  std::string claims;
  // Sent as the client-request-id header (with return-client-request-id)
  // so server logs can be matched. Default: empty = none.
  std::string correlation_id;
  // Extra request headers, e.g. {"X-AnchorMailbox", "Oid:<oid>@<tid>"}.
  // Names and values must not contain CR or LF. Default: none.
  StringPairs extra_headers;
  // Extra form fields appended after the standard ones (e.g. "x-client-SKU"
  // style telemetry, "redirect_uri" for brokers). They must not repeat a
  // standard field. Default: none.
  StringPairs extra_body_parameters;
  // When the caller stops waiting. time_point::max() means "no deadline of
  // the caller's own"; the endpoint then applies its default timeout.
  std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::time_point::max();

  // Returns `token_endpoint` if set, else TokenEndpointUrl(authority), or an
  // empty string when both are empty.
  TOKENCACHE_EXPORT std::string EndpointUrl() const;
  // Sets `deadline` to now + `timeout`.
  TOKENCACHE_EXPORT void SetTimeout(std::chrono::milliseconds timeout);
};

// Returns the application/x-www-form-urlencoded body for `request`:
// grant_type=refresh_token, client_id, refresh_token, scope
// (ComposeRefreshScope), client_info=1, then client_secret and claims when
// set, then `extra_body_parameters`. Every value is percent-encoded (RFC
// 3986 unreserved characters stay as they are). The result holds the secrets
// and wipes them when destroyed.
TOKENCACHE_EXPORT SecretBytes BuildRefreshForm(const RefreshRequest& request);

// Returns OK, or kInvalidArgument naming the first problem: empty client_id
// or refresh_token, no endpoint URL, a header name or value with CR, LF or
// NUL (or an empty/colon-bearing name), an extra body parameter that repeats
// a standard one. Refresh() checks this before DoRefresh() runs.
TOKENCACHE_EXPORT Status ValidateRefreshRequest(const RefreshRequest& request);

// What happened to a refresh, as a fact; Classify() says what it means.
enum class RefreshOutcome {
  kSuccess,          // `response` holds the tokens.
  kServerError,      // The server answered with a non-2xx status or with an
                     // OAuth2 `error` body; see `server_error`.
  kNetworkError,     // No usable answer arrived: timeout, refused
                     // connection, DNS, TLS, reset. Always transient.
  kInvalidResponse,  // An answer arrived but cannot be used: not JSON, not
                     // an object, no access_token, a field of the wrong
                     // type, or larger than the endpoint's cap.
  kRequestRejected,  // Not sent: ValidateRefreshRequest() failed, or the
                     // endpoint refused the URL (scheme, host).
  kInternalError,    // The endpoint itself failed (an exception from
                     // DoRefresh(), libcurl could not be set up).
};

// Why a failure may go away by itself.
enum class TransientKind {
  kNone,
  kHttp5xx,            // HTTP 500-599.
  kHttp429,            // Too many requests; see retry_after.
  kHttp408,            // Request timeout from the server.
  kServerBusy,         // error=temporarily_unavailable or request_timeout.
  kTimeout,            // The deadline or the endpoint's timeout expired.
  kConnectionRefused,  // Nothing listens (or a firewall said no).
  kNameResolution,     // DNS failed.
  kTls,                // TLS handshake or certificate failure.
  kNetwork,            // Connection reset, empty reply, other I/O errors.
};

// The OAuth2 error body (RFC 6749 §5.2 plus Entra's extra members) and the
// HTTP facts around it. Every string is what the server sent; none of them
// is ever copied into RefreshResult::message.
struct ServerError {
  int http_status = 0;
  std::string error;  // e.g. "invalid_grant"; empty if none.
  std::string error_description;
  std::string suberror;  // e.g. "bad_token", "client_mismatch".
  std::string claims;    // A claims challenge (JSON), if any.
  std::vector<std::int64_t> error_codes;  // AADSTS numbers.
  std::string error_uri;
  std::string timestamp;
  std::string trace_id;
  std::string correlation_id;
};

// The outcome of TokenEndpoint::Refresh(). A value: nothing throws.
struct RefreshResult {
  RefreshOutcome outcome = RefreshOutcome::kInternalError;
  TokenResponse response;    // kSuccess only.
  ServerError server_error;  // kServerError (http_status also set for
                             // kInvalidResponse when one arrived).
  // Set for every kNetworkError and for kServerError with 5xx/429/408.
  TransientKind transient = TransientKind::kNone;
  // Retry-After in seconds (delta-seconds or HTTP-date), when the answer
  // carried one; a date in the past gives 0.
  std::optional<std::chrono::seconds> retry_after;
  // For humans and logs: names the endpoint, the HTTP status, the OAuth2
  // error code or the failing field. Never token text, secrets, the error
  // description or body bytes.
  std::string message;

  bool ok() const { return outcome == RefreshOutcome::kSuccess; }
  bool is_transient() const { return transient != TransientKind::kNone; }

  // Constructors for implementations.
  TOKENCACHE_EXPORT static RefreshResult Success(TokenResponse response);
  TOKENCACHE_EXPORT static RefreshResult NetworkFailure(TransientKind kind,
                                                        std::string message);
  TOKENCACHE_EXPORT static RefreshResult InvalidResponse(int http_status,
                                                         std::string message);
  TOKENCACHE_EXPORT static RefreshResult RequestRejected(std::string message);
  TOKENCACHE_EXPORT static RefreshResult InternalError(std::string message);
};

// Parses a token endpoint answer. `body` is consumed and wiped (it is parsed
// in place, so token text never leaves it except into the TokenResponse).
// `retry_after` is the Retry-After header value or empty; `now` is used for
// an HTTP-date there.
//  - A body with a string `error` member, or any non-2xx status, gives
//    kServerError with the error members that are present (a body that is
//    not JSON is allowed here: a 502 page from a proxy); 5xx, 429 and 408
//    set `transient`.
//  - A 2xx body gives kSuccess when it is a JSON object with a non-empty
//    string access_token; expires_in, ext_expires_in, refresh_in and
//    refresh_token_expires_in may be JSON numbers or numeric strings; foci
//    a string or a number. Anything else is kInvalidResponse naming the
//    field.
TOKENCACHE_EXPORT RefreshResult ParseTokenEndpointResponse(
    int http_status, SecretBytes body, std::string_view retry_after,
    std::chrono::system_clock::time_point now =
        std::chrono::system_clock::now());

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date in any
// of RFC 9110's three forms ("Sun, 06 Nov 1994 08:49:37 GMT", the RFC 850
// and asctime forms). A date at or before `now` gives 0 s. Returns
// std::nullopt for anything else (including negative numbers).
TOKENCACHE_EXPORT std::optional<std::chrono::seconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

// The extension point. Subclasses implement Name() and DoRefresh(); callers
// use Refresh().
//
// Thread safety: Refresh() may be called from several threads at once on one
// object, so DoRefresh() must be safe for concurrent calls. The object must
// outlive every call.
class TOKENCACHE_EXPORT TokenEndpoint {
 public:
  TokenEndpoint() = default;
  TokenEndpoint(const TokenEndpoint&) = delete;
  TokenEndpoint& operator=(const TokenEndpoint&) = delete;
  virtual ~TokenEndpoint();

  // Short, stable name of the implementation, such as "curl". It prefixes
  // every RefreshResult::message.
  virtual std::string_view Name() const = 0;

  // Redeems `request.refresh_token`. Never throws. Before calling
  // DoRefresh() it returns kRequestRejected when ValidateRefreshRequest()
  // fails and kNetworkError/kTimeout when the deadline has already passed.
  // An exception from DoRefresh() becomes kNetworkError/kNetwork when it is
  // a std::system_error (an OS-level I/O failure) and kInternalError
  // otherwise; its what() text is not kept, since it may quote data. A
  // kSuccess without an access token becomes kInvalidResponse.
  RefreshResult Refresh(const RefreshRequest& request);

 protected:
  // Sends the request. `request` has passed ValidateRefreshRequest() and its
  // deadline has not passed yet. Must return within the deadline (plus a
  // little slack), must not put token text into RefreshResult::message, and
  // should use ParseTokenEndpointResponse() for the answer.
  virtual RefreshResult DoRefresh(const RefreshRequest& request) = 0;
};

// ---------------------------------------------------------------------------
// Classification (msal-cache-rules.md §5.4)
//
// The libraries disagree; our rules take the union that keeps users safe and
// tokens usable, in this order:
//  1. kNetworkError is kTransient. kRequestRejected, kInternalError and
//     kInvalidResponse are kServiceError (nothing the user can fix; a
//     malformed answer is the service's fault and is not retried).
//  2. A server error is kUiRequired when
//     - error is invalid_grant and suberror is neither client_mismatch nor
//       protection_policy_required (NET; JS calls a bare invalid_grant a
//       plain ServerError, PY returns the dict: we follow NET because a
//       refresh token the server rejects cannot be redeemed silently), or
//     - error is one of interaction_required, consent_required,
//       login_required, bad_token, ui_not_allowed, interrupted_user (JS list,
//       a superset of NET's), or
//     - suberror is one of message_only, additional_action, basic_action,
//       user_password_expired, consent_required, bad_token, ui_not_allowed,
//       interrupted_user (JS), or
//     - the body carries `claims` and the status is a non-retryable 4xx (a
//       claims challenge can only be met by a new interactive request; NET
//       uses MsalClaimsChallengeException only on the UI path).
//     JS's extra rule, matching error codes inside error_description, is not
//     applied: the text is not a contract.
//     The reason is kClaimsChallenge when claims are present, kBadToken
//     when error or suberror is bad_token (the one case where JS deletes the
//     refresh token), otherwise named after `error` (kInvalidGrant,
//     kInteractionRequired, ...), and kOther for the rest.
//  3. Otherwise it is kTransient when the status is 5xx, 429 or 408 or the
//     error is temporarily_unavailable or request_timeout (NET
//     UpdateIsRetryable). retry_after is capped at kMaxRetryAfter (NET and
//     PY cap at one hour).
//  4. Everything else is kServiceError; invalid_grant with client_mismatch
//     (a family refresh token this client may not use: fall back to the
//     app's own refresh token), protection_policy_required, invalid_client
//     and error_description starting with "AADSTS50196" (the server saw a
//     request loop: throttle) get their own reason.
// Classify() never deletes anything and never suggests deleting a refresh
// token; the resolver decides that (NET and PY never do, JS on kBadToken).
// ---------------------------------------------------------------------------

enum class ErrorCategory {
  kNone,          // The result was kSuccess.
  kUiRequired,    // Only an interactive sign-in can help.
  kTransient,     // Retry later; serve a still-valid cached token if any.
  kServiceError,  // Neither: surface the error.
};

enum class UiRequiredReason {
  kNone,
  kInvalidGrant,
  kInteractionRequired,
  kConsentRequired,
  kLoginRequired,
  kBadToken,
  kClaimsChallenge,
  kUiNotAllowed,
  kInterruptedUser,
  kOther,  // UI required through a suberror with another error code.
};

// NET's UiRequiredExceptionClassification, derived from the suberror.
enum class UiRequiredClassification {
  kNone,
  kMessageOnly,
  kBasicAction,
  kAdditionalAction,
  kConsentRequired,
  kUserPasswordExpired,
};

enum class ServiceErrorReason {
  kNone,
  kOther,                     // Any other server error.
  kClientMismatch,            // invalid_grant + client_mismatch (FOCI).
  kProtectionPolicyRequired,  // invalid_grant + protection_policy_required.
  kInvalidClient,             // error=invalid_client.
  kRequestThrottled,          // AADSTS50196: the server saw a request loop.
  kInvalidResponse,           // RefreshOutcome::kInvalidResponse.
  kRequestRejected,           // RefreshOutcome::kRequestRejected.
  kInternal,                  // RefreshOutcome::kInternalError.
};

// NET's RetryAfterProvider.MaxRetryAfter; PY caps Retry-After the same way.
inline constexpr std::chrono::seconds kMaxRetryAfter{3600};

struct ErrorClassification {
  ErrorCategory category = ErrorCategory::kNone;
  UiRequiredReason ui_reason = UiRequiredReason::kNone;
  UiRequiredClassification ui_classification = UiRequiredClassification::kNone;
  TransientKind transient = TransientKind::kNone;
  ServiceErrorReason service_reason = ServiceErrorReason::kNone;
  // From the answer's Retry-After, at most kMaxRetryAfter; kTransient only.
  std::optional<std::chrono::seconds> retry_after;
};

// Classifies `result` by the rules above. Thread-safe, never fails.
TOKENCACHE_EXPORT ErrorClassification Classify(const RefreshResult& result);

// Stable lower-case names for logs and telemetry, e.g. "ui_required",
// "invalid_grant", "http_429".
TOKENCACHE_EXPORT const char* ErrorCategoryName(ErrorCategory category);
TOKENCACHE_EXPORT const char* UiRequiredReasonName(UiRequiredReason reason);
TOKENCACHE_EXPORT const char* TransientKindName(TransientKind kind);
TOKENCACHE_EXPORT const char* RefreshOutcomeName(RefreshOutcome outcome);
TOKENCACHE_EXPORT const char* ServiceErrorReasonName(ServiceErrorReason reason);

}  // namespace tokencache

#endif  // TOKENCACHE_TOKEN_ENDPOINT_H_
