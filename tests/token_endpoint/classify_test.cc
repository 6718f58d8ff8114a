// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Classify(): one check per rule of msal-cache-rules.md §5.4 as documented
// in token_endpoint.h.

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tokencache/token_endpoint.h"

namespace tokencache {
namespace {

using std::chrono::seconds;

RefreshResult ServerFailure(int status, std::string error,
                            std::string suberror = "", std::string claims = "",
                            std::string description = "") {
  RefreshResult r;
  r.outcome = RefreshOutcome::kServerError;
  r.server_error.http_status = status;
  r.server_error.error = std::move(error);
  r.server_error.suberror = std::move(suberror);
  r.server_error.claims = std::move(claims);
  r.server_error.error_description = std::move(description);
  if (status >= 500 && status <= 599) r.transient = TransientKind::kHttp5xx;
  if (status == 429) r.transient = TransientKind::kHttp429;
  if (status == 408) r.transient = TransientKind::kHttp408;
  return r;
}

struct UiRow {
  const char* error;
  const char* suberror;
  UiRequiredReason reason;
};

TEST_CASE("Classify reports UI required for the NET and JS interaction rules",
          "[endpoint][classify]") {
  const UiRow rows[] = {
      // NET: invalid_grant without suberror, or with one outside the two
      // exclusions.
      {"invalid_grant", "", UiRequiredReason::kInvalidGrant},
      {"invalid_grant", "token_expired", UiRequiredReason::kInvalidGrant},
      {"invalid_grant", "device_authentication_failed",
       UiRequiredReason::kInvalidGrant},
      {"invalid_grant", "bad_token", UiRequiredReason::kBadToken},
      // JS error list.
      {"interaction_required", "", UiRequiredReason::kInteractionRequired},
      {"consent_required", "", UiRequiredReason::kConsentRequired},
      {"login_required", "", UiRequiredReason::kLoginRequired},
      {"bad_token", "", UiRequiredReason::kBadToken},
      {"ui_not_allowed", "", UiRequiredReason::kUiNotAllowed},
      {"interrupted_user", "", UiRequiredReason::kInterruptedUser},
      // JS suberror list with an error code outside the lists.
      {"invalid_request", "message_only", UiRequiredReason::kOther},
      {"invalid_request", "additional_action", UiRequiredReason::kOther},
      {"invalid_request", "basic_action", UiRequiredReason::kOther},
      {"invalid_request", "user_password_expired", UiRequiredReason::kOther},
      {"invalid_request", "consent_required", UiRequiredReason::kOther},
      {"invalid_request", "ui_not_allowed", UiRequiredReason::kOther},
      {"invalid_request", "interrupted_user", UiRequiredReason::kOther},
      {"invalid_request", "bad_token", UiRequiredReason::kBadToken},
  };
  for (const UiRow& row : rows) {
    INFO("error=" << row.error << " suberror=" << row.suberror);
    ErrorClassification c =
        Classify(ServerFailure(400, row.error, row.suberror));
    CHECK(c.category == ErrorCategory::kUiRequired);
    CHECK(c.ui_reason == row.reason);
    CHECK(c.transient == TransientKind::kNone);
    CHECK(c.service_reason == ServiceErrorReason::kNone);
  }
}

TEST_CASE("Classify maps suberrors to NET's UI-required classification",
          "[endpoint][classify]") {
  struct Row {
    const char* suberror;
    UiRequiredClassification classification;
  };
  const Row rows[] = {
      {"message_only", UiRequiredClassification::kMessageOnly},
      {"basic_action", UiRequiredClassification::kBasicAction},
      {"additional_action", UiRequiredClassification::kAdditionalAction},
      {"consent_required", UiRequiredClassification::kConsentRequired},
      {"user_password_expired", UiRequiredClassification::kUserPasswordExpired},
      {"bad_token", UiRequiredClassification::kNone},
      {"token_expired", UiRequiredClassification::kNone},
      {"", UiRequiredClassification::kNone},
  };
  for (const Row& row : rows) {
    INFO("suberror=" << row.suberror);
    ErrorClassification c =
        Classify(ServerFailure(400, "invalid_grant", row.suberror));
    CHECK(c.category == ErrorCategory::kUiRequired);
    CHECK(c.ui_classification == row.classification);
  }
}

TEST_CASE(
    "Classify keeps invalid_grant with client_mismatch or "
    "protection_policy_required a service error",
    "[endpoint][classify]") {
  ErrorClassification c =
      Classify(ServerFailure(400, "invalid_grant", "client_mismatch"));
  CHECK(c.category == ErrorCategory::kServiceError);
  CHECK(c.service_reason == ServiceErrorReason::kClientMismatch);
  CHECK(c.ui_reason == UiRequiredReason::kNone);

  c = Classify(
      ServerFailure(400, "invalid_grant", "protection_policy_required"));
  CHECK(c.category == ErrorCategory::kServiceError);
  CHECK(c.service_reason == ServiceErrorReason::kProtectionPolicyRequired);

  // Even with claims: NET raises these as plain service exceptions.
  c = Classify(ServerFailure(400, "invalid_grant", "client_mismatch", "{}"));
  CHECK(c.category == ErrorCategory::kServiceError);
}

TEST_CASE("Classify turns an answer with claims into a claims challenge",
          "[endpoint][classify]") {
  const std::string claims = R"({"access_token":{"nbf":{"essential":true}}})";
  ErrorClassification c =
      Classify(ServerFailure(400, "invalid_grant", "", claims));
  CHECK(c.category == ErrorCategory::kUiRequired);
  CHECK(c.ui_reason == UiRequiredReason::kClaimsChallenge);

  c = Classify(ServerFailure(400, "interaction_required", "", claims));
  CHECK(c.ui_reason == UiRequiredReason::kClaimsChallenge);

  // Claims on an error outside the lists still need a new interactive
  // request.
  c = Classify(ServerFailure(401, "insufficient_claims", "", claims));
  CHECK(c.category == ErrorCategory::kUiRequired);
  CHECK(c.ui_reason == UiRequiredReason::kClaimsChallenge);

  // ...but not on a retryable status.
  c = Classify(ServerFailure(503, "temporarily_unavailable", "", claims));
  CHECK(c.category == ErrorCategory::kTransient);
}

TEST_CASE("Classify reports retryable statuses and error codes as transient",
          "[endpoint][classify]") {
  struct Row {
    int status;
    const char* error;
    TransientKind kind;
  };
  const Row rows[] = {
      {500, "", TransientKind::kHttp5xx},
      {502, "", TransientKind::kHttp5xx},
      {503, "temporarily_unavailable", TransientKind::kHttp5xx},
      {504, "server_error", TransientKind::kHttp5xx},
      {429, "", TransientKind::kHttp429},
      {408, "", TransientKind::kHttp408},
      {400, "temporarily_unavailable", TransientKind::kServerBusy},
      {400, "request_timeout", TransientKind::kServerBusy},
  };
  for (const Row& row : rows) {
    INFO("status=" << row.status << " error=" << row.error);
    ErrorClassification c = Classify(ServerFailure(row.status, row.error));
    CHECK(c.category == ErrorCategory::kTransient);
    CHECK(c.transient == row.kind);
  }
  // UI rules come first, as in NET (the exception type is decided before
  // IsRetryable).
  CHECK(Classify(ServerFailure(500, "invalid_grant")).category ==
        ErrorCategory::kUiRequired);
}

TEST_CASE("Classify caps Retry-After at one hour and keeps smaller values",
          "[endpoint][classify]") {
  RefreshResult r = ServerFailure(429, "");
  r.retry_after = seconds(7);
  CHECK(Classify(r).retry_after == seconds(7));
  r.retry_after = seconds(86400);
  CHECK(Classify(r).retry_after == kMaxRetryAfter);
  r.retry_after.reset();
  CHECK_FALSE(Classify(r).retry_after.has_value());
}

TEST_CASE("Classify reports other server errors as service errors",
          "[endpoint][classify]") {
  ErrorClassification c = Classify(ServerFailure(401, "invalid_client"));
  CHECK(c.category == ErrorCategory::kServiceError);
  CHECK(c.service_reason == ServiceErrorReason::kInvalidClient);

  c = Classify(
      ServerFailure(400, "invalid_request", "", "",
                    "AADSTS50196: The server terminated an operation"));
  CHECK(c.service_reason == ServiceErrorReason::kRequestThrottled);

  for (const char* error :
       {"invalid_request", "invalid_scope", "unauthorized_client",
        "unsupported_grant_type", ""}) {
    INFO("error=" << error);
    c = Classify(ServerFailure(400, error));
    CHECK(c.category == ErrorCategory::kServiceError);
    CHECK(c.service_reason == ServiceErrorReason::kOther);
  }
  // A redirect is not followed and not retried.
  CHECK(Classify(ServerFailure(302, "")).category ==
        ErrorCategory::kServiceError);
}

TEST_CASE("Classify maps the non-server outcomes", "[endpoint][classify]") {
  RefreshResult ok;
  ok.outcome = RefreshOutcome::kSuccess;
  CHECK(Classify(ok).category == ErrorCategory::kNone);

  for (TransientKind kind :
       {TransientKind::kTimeout, TransientKind::kConnectionRefused,
        TransientKind::kNameResolution, TransientKind::kTls,
        TransientKind::kNetwork}) {
    INFO(TransientKindName(kind));
    ErrorClassification c = Classify(RefreshResult::NetworkFailure(kind, "x"));
    CHECK(c.category == ErrorCategory::kTransient);
    CHECK(c.transient == kind);
  }
  CHECK(Classify(RefreshResult::InvalidResponse(200, "x")).service_reason ==
        ServiceErrorReason::kInvalidResponse);
  CHECK(Classify(RefreshResult::RequestRejected("x")).service_reason ==
        ServiceErrorReason::kRequestRejected);
  CHECK(Classify(RefreshResult::InternalError("x")).service_reason ==
        ServiceErrorReason::kInternal);
  CHECK(Classify(RefreshResult::InternalError("x")).category ==
        ErrorCategory::kServiceError);
}

TEST_CASE("The classification names are stable", "[endpoint][classify]") {
  CHECK(std::string(ErrorCategoryName(ErrorCategory::kUiRequired)) ==
        "ui_required");
  CHECK(std::string(UiRequiredReasonName(UiRequiredReason::kClaimsChallenge)) ==
        "claims_challenge");
  CHECK(std::string(TransientKindName(TransientKind::kHttp429)) == "http_429");
  CHECK(std::string(RefreshOutcomeName(RefreshOutcome::kNetworkError)) ==
        "network_error");
  CHECK(std::string(ServiceErrorReasonName(
            ServiceErrorReason::kClientMismatch)) == "client_mismatch");
}

}  // namespace
}  // namespace tokencache
