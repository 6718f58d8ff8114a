// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The silent-acquisition decision table (docs/resolver.md), one case per
// row, against the real oauth2-mock-server on 127.0.0.1.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/resolver/resolver_fixture.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::CanarySuccess;
using test::kClient;
using test::kFamilyClient;
using test::kFamilyRt;
using test::kHome;
using test::kSeedAt;
using test::kSeedRt;
using test::kServerAt;
using test::kServerRt;
using test::MockResponse;
using test::ResolverFixture;
using test::Server;

bool HasRt(const CacheSnapshot& s, std::string_view secret) {
  for (const RefreshToken& rt : s.refresh_tokens) {
    if (rt.secret.Equals(secret)) return true;
  }
  return false;
}

// A loopback port nothing listens on.
std::uint16_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A valid cached token is a cache hit without a network call",
                 "[resolver][table]") {
  Seed(3600, std::nullopt);
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kCacheHit);
  REQUIRE(r.has_token());
  CHECK((r.token->secret.Equals(std::string_view(kSeedAt))));
  CHECK(r.source == TokenSource::kCache);
  CHECK(r.cache_refresh_reason == CacheRefreshReason::kNotApplicable);
  CHECK(r.reason == SilentReason::kNone);
  CHECK(Requests().empty());
}

TEST_CASE_METHOD(ResolverFixture,
                 "An expired token is refreshed and the refresh token is "
                 "rotated",
                 "[resolver][table]") {
  Seed(3600, std::nullopt);
  clock().Advance(seconds(3600 - 200));  // Inside the 5-minute buffer.
  REQUIRE_OK(Server().Script(CanarySuccess()));
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);
  CHECK(r.source == TokenSource::kIdentityProvider);
  CHECK(r.cache_refresh_reason ==
        CacheRefreshReason::kCachedAccessTokenExpired);
  CHECK(r.status.ok());
  REQUIRE(r.has_token());
  CHECK((r.token->secret.Equals(std::string_view(kServerAt))));
  CHECK(r.token->expires_on == test::kStart + 3600 - 200 + 3600);

  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Field("grant_type") == "refresh_token");
  CHECK(requests[0].Field("client_id") == kClient);
  CHECK((requests[0].Field("refresh_token") == std::string(kSeedRt)));
  CHECK(requests[0].Field("scope") ==
        "User.Read openid profile offline_access");
  CHECK(requests[0].headers.at("x-anchormailbox") == "Oid:uid-1@utid-1");

  CacheSnapshot s = Snapshot();
  CHECK(s.refresh_tokens.size() == 1);
  CHECK(HasRt(s, kServerRt));
  CHECK_FALSE(HasRt(s, kSeedRt));

  // The stored token now answers from the cache.
  SilentResult again = Acquire();
  REQUIRE(again.outcome == SilentOutcome::kCacheHit);
  CHECK((again.token->secret.Equals(std::string_view(kServerAt))));
  CHECK(Requests().size() == 1);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A token past refresh_on is refreshed synchronously",
                 "[resolver][table]") {
  Seed(3600, 1800);
  clock().Advance(seconds(1900));
  REQUIRE_OK(Server().Script(CanarySuccess()));
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);
  CHECK(r.cache_refresh_reason == CacheRefreshReason::kProactivelyRefreshed);
  CHECK((r.token->secret.Equals(std::string_view(kServerAt))));
  CHECK(Requests().size() == 1);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A token past refresh_on is served stale when the server "
                 "answers 500",
                 "[resolver][table]") {
  Seed(3600, 1800);
  clock().Advance(seconds(1900));
  REQUIRE_OK(Server().Script(MockResponse::Error(500, "server_error")));
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kStaleButServed);
  CHECK(r.reason == SilentReason::kHttp5xx);
  CHECK(r.http_status == 500);
  CHECK(r.source == TokenSource::kCache);
  CHECK(r.cache_refresh_reason == CacheRefreshReason::kProactivelyRefreshed);
  REQUIRE(r.has_token());
  CHECK((r.token->secret.Equals(std::string_view(kSeedAt))));
  // Nothing was deleted: the old refresh token is still there.
  CHECK(HasRt(Snapshot(), kSeedRt));
}

TEST_CASE_METHOD(ResolverFixture,
                 "A token past refresh_on is served stale when the server "
                 "asks for UI, and the failure is reported",
                 "[resolver][table]") {
  Seed(3600, 1800);
  clock().Advance(seconds(1900));
  REQUIRE_OK(Server().Script(MockResponse::Error(400, "invalid_grant")));
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kStaleButServed);
  CHECK(r.reason == SilentReason::kInvalidGrant);
  CHECK(r.error == "invalid_grant");
  CHECK((r.token->secret.Equals(std::string_view(kSeedAt))));
  // The throttled repeat serves the same token without a network call.
  r = Acquire();
  CHECK(r.outcome == SilentOutcome::kStaleButServed);
  CHECK(r.throttled);
  CHECK(Requests().size() == 1);
}

TEST_CASE_METHOD(ResolverFixture, "Proactive refresh can be turned off",
                 "[resolver][table]") {
  ResolverOptions options;
  options.proactive_refresh = false;
  MakeResolver(options);
  Seed(3600, 1800);
  clock().Advance(seconds(1900));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kCacheHit);
  CHECK(Requests().empty());
}

TEST_CASE_METHOD(ResolverFixture, "Force refresh skips a valid cached token",
                 "[resolver][table]") {
  Seed(3600, std::nullopt);
  SilentRequest request = Request();
  request.force_refresh = true;
  request.correlation_id = "6f1c3e9a-0000-4000-8000-00000000c0de";
  REQUIRE_OK(Server().Script(CanarySuccess()));
  SilentResult r = Acquire(request);
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);
  CHECK(r.cache_refresh_reason == CacheRefreshReason::kForceRefreshOrClaims);
  CHECK(r.correlation_id == request.correlation_id);
  CHECK((r.token->secret.Equals(std::string_view(kServerAt))));
  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].headers.at("client-request-id") == request.correlation_id);
}

TEST_CASE_METHOD(ResolverFixture,
                 "Claims skip the cached token and are sent with the refresh",
                 "[resolver][table]") {
  Seed(3600, std::nullopt);
  SilentRequest request = Request();
  request.claims = R"({"access_token":{"acrs":{"essential":true,)"
                   R"("value":"c1"}}})";
  SilentResult r = Acquire(request);
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);
  CHECK(r.cache_refresh_reason == CacheRefreshReason::kForceRefreshOrClaims);
  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Field("claims") == request.claims);
}

TEST_CASE_METHOD(ResolverFixture,
                 "No account means UI required without touching the network",
                 "[resolver][table]") {
  Seed(3600, std::nullopt);
  SilentRequest request = Request();
  request.home_account_id.clear();
  SilentResult r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kNoAccount);
  CHECK_FALSE(r.has_token());

  request.login_hint = "nobody@contoso.com";
  r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kNoAccountForLoginHint);
  CHECK(Requests().empty());
}

TEST_CASE_METHOD(ResolverFixture, "A login hint finds the cached account",
                 "[resolver]") {
  TokenRequestContext context;
  context.authority_host = test::kHost;
  context.tenant = test::kTenant;
  context.client_id = kClient;
  context.scopes = {"User.Read"};
  TokenResponse response;
  response.access_token = SecretBytes(std::string_view(kSeedAt));
  response.refresh_token = SecretBytes(std::string_view(kSeedRt));
  response.client_info = test::ClientInfo();
  response.id_token = SecretBytes(
      test::Base64Url(R"({"alg":"none"})") + "." +
      test::Base64Url(R"({"oid":"uid-1","tid":"contoso",)"
                      R"("preferred_username":"Ada@Contoso.com"})") +
      ".");
  response.expires_in = 3600;
  REQUIRE_OK(cache().ApplyTokenResponse(context, response));

  SilentRequest request = Request();
  request.home_account_id.clear();
  request.login_hint = "ada@contoso.com";
  SilentResult r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kCacheHit);
  CHECK(r.home_account_id == kHome);
}

TEST_CASE_METHOD(ResolverFixture,
                 "No refresh token means UI required (no_tokens_found)",
                 "[resolver][table]") {
  Seed(3600, std::nullopt, /*rt=*/"");
  clock().Advance(seconds(3600));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kNoTokensFound);
  CHECK(r.cache_refresh_reason ==
        CacheRefreshReason::kCachedAccessTokenExpired);
  CHECK(Requests().empty());

  // An empty cache says the same, with "no cached AT".
  SilentRequest other = Request();
  other.home_account_id = "uid-9.utid-9";
  r = Acquire(other);
  CHECK(r.reason == SilentReason::kNoTokensFound);
  CHECK(r.cache_refresh_reason == CacheRefreshReason::kNoCachedAccessToken);
}

TEST_CASE_METHOD(ResolverFixture,
                 "invalid_grant without a suberror is UI required and keeps "
                 "the refresh token",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(Server().Script(MockResponse::Error(400, "invalid_grant")));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kInvalidGrant);
  CHECK(r.error == "invalid_grant");
  CHECK(r.suberror.empty());
  CHECK(r.http_status == 400);
  CHECK_FALSE(r.throttled);
  CHECK(HasRt(Snapshot(), kSeedRt));
}

TEST_CASE_METHOD(ResolverFixture,
                 "invalid_grant with a suberror keeps the raw fields and the "
                 "classification",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(Server().Script(
      MockResponse::Error(400, "invalid_grant", "basic_action")));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kInvalidGrant);
  CHECK(r.suberror == "basic_action");
  CHECK(r.classification == UiRequiredClassification::kBasicAction);
  CHECK_FALSE(r.error_description.empty());
  CHECK(HasRt(Snapshot(), kSeedRt));
}

TEST_CASE_METHOD(ResolverFixture,
                 "invalid_grant with bad_token removes that refresh token",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(
      Server().Script(MockResponse::Error(400, "invalid_grant", "bad_token")));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kBadToken);
  CHECK(Snapshot().refresh_tokens.empty());
  // With it gone, the next call knows without asking.
  r = Acquire();
  CHECK(r.reason == SilentReason::kNoTokensFound);
  CHECK(Requests().size() == 1);
}

TEST_CASE_METHOD(ResolverFixture,
                 "invalid_grant with client_mismatch on the app's own token "
                 "is a service error",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(Server().Script(
      MockResponse::Error(400, "invalid_grant", "client_mismatch")));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kServiceError);
  CHECK(r.reason == SilentReason::kClientMismatch);
  CHECK(HasRt(Snapshot(), kSeedRt));
}

TEST_CASE_METHOD(ResolverFixture, "interaction_required is UI required",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  REQUIRE_OK(Server().Script(MockResponse::Error(400, "interaction_required")));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kInteractionRequired);
  CHECK(r.error == "interaction_required");
}

TEST_CASE_METHOD(ResolverFixture,
                 "A claims challenge from the server is UI required with "
                 "the claims",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  const std::string claims =
      R"({"access_token":{"capolids":{"essential":true,"values":["p1"]}}})";
  REQUIRE_OK(Server().Script(
      MockResponse::Error(400, "interaction_required", "", claims)));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kClaimsChallenge);
  CHECK(r.claims == claims);
}

TEST_CASE_METHOD(ResolverFixture,
                 "429 with Retry-After is transient and nothing is sent "
                 "before it passes",
                 "[resolver][table][throttle]") {
  Seed(0, std::nullopt);
  MockResponse busy = MockResponse::Error(429, "too_many_requests");
  busy.headers = {{"Retry-After", "30"}};
  REQUIRE_OK(Server().Script(busy));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kTransient);
  CHECK(r.reason == SilentReason::kHttp429);
  REQUIRE(r.retry_after.has_value());
  CHECK(*r.retry_after == seconds(30));
  CHECK_FALSE(r.throttled);

  clock().Advance(seconds(10));
  r = Acquire();
  CHECK(r.outcome == SilentOutcome::kTransient);
  CHECK(r.reason == SilentReason::kRetryAfter);
  CHECK(r.throttled);
  REQUIRE(r.retry_after.has_value());
  CHECK(*r.retry_after == seconds(20));
  CHECK(Requests().size() == 1);

  clock().Advance(seconds(21));
  r = Acquire();
  CHECK(r.outcome == SilentOutcome::kRefreshed);
  CHECK(Requests().size() == 2);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A Retry-After above the cap is cut to max_retry_after",
                 "[resolver][throttle]") {
  ResolverOptions options;
  options.max_retry_after = seconds(60);
  MakeResolver(options);
  Seed(0, std::nullopt);
  MockResponse busy = MockResponse::Error(503, "temporarily_unavailable");
  busy.headers = {{"Retry-After", "86400"}};
  REQUIRE_OK(Server().Script(busy));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kTransient);
  REQUIRE(r.retry_after.has_value());
  CHECK(*r.retry_after == seconds(60));
  clock().Advance(seconds(61));
  CHECK(Acquire().outcome == SilentOutcome::kRefreshed);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A response slower than the deadline is a transient timeout",
                 "[resolver][table]") {
  ResolverOptions options;
  options.network_timeout = milliseconds(300);
  MakeResolver(options);
  Seed(0, std::nullopt);
  MockResponse slow = CanarySuccess();
  slow.delay = milliseconds(2000);
  REQUIRE_OK(Server().Script(slow));
  const auto started = std::chrono::steady_clock::now();
  SilentResult r = Acquire();
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(r.outcome == SilentOutcome::kTransient);
  CHECK(r.reason == SilentReason::kTimeout);
  CHECK(took < milliseconds(1500));
  // The late answer was never stored.
  CHECK(HasRt(Snapshot(), kSeedRt));
  CHECK_FALSE(HasRt(Snapshot(), kServerRt));
}

TEST_CASE_METHOD(ResolverFixture, "A refused connection is transient",
                 "[resolver][table]") {
  Seed(0, std::nullopt);
  SilentRequest request = Request();
  request.token_endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort()) +
                           "/contoso/oauth2/v2.0/token";
  SilentResult r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kTransient);
  CHECK(r.reason == SilentReason::kConnectionRefused);
}

TEST_CASE_METHOD(ResolverFixture,
                 "A family refresh token of another app serves a member of "
                 "unknown membership, and membership is recorded",
                 "[resolver][table][foci]") {
  Seed(3600, std::nullopt, kFamilyRt, kFamilyClient, "1");
  REQUIRE_OK(Server().Script(CanarySuccess(R"("foci":"1")")));
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kRefreshedWithFamilyToken);
  CHECK((r.token->secret.Equals(std::string_view(kServerAt))));
  CHECK(r.token->client_id == kClient);
  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].Field("client_id") == kClient);
  CHECK((requests[0].Field("refresh_token") == std::string(kFamilyRt)));

  CacheSnapshot s = Snapshot();
  bool member = false;
  for (const AppMetadata& m : s.app_metadata) {
    if (m.client_id == kClient) member = m.family_id == "1";
  }
  CHECK(member);
  // The family token was rotated in place.
  CHECK(HasRt(s, kServerRt));
  CHECK_FALSE(HasRt(s, kFamilyRt));
}

TEST_CASE_METHOD(ResolverFixture,
                 "A family token refused with client_mismatch falls back to "
                 "the app's own refresh token",
                 "[resolver][table][foci]") {
  Seed(3600, std::nullopt, kFamilyRt, kFamilyClient, "1");
  ImportAppRefreshToken(kSeedRt);
  REQUIRE_OK(Server().Script(
      MockResponse::Error(400, "invalid_grant", "client_mismatch")));
  REQUIRE_OK(Server().Script(CanarySuccess()));
  SilentResult r = Acquire();
  INFO(r.message);
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);
  auto requests = Requests();
  REQUIRE(requests.size() == 2);
  CHECK((requests[0].Field("refresh_token") == std::string(kFamilyRt)));
  CHECK((requests[1].Field("refresh_token") == std::string(kSeedRt)));
  // Nothing was deleted on the mismatch.
  CHECK(HasRt(Snapshot(), kFamilyRt));
}

TEST_CASE_METHOD(ResolverFixture,
                 "A family token is not tried for an app known not to be a "
                 "member",
                 "[resolver][foci]") {
  Seed(3600, std::nullopt, kFamilyRt, kFamilyClient, "1");
  Seed(0, std::nullopt, kSeedRt, kClient, "");  // AppMetadata: no family.
  SilentResult r = Acquire();
  REQUIRE(r.outcome == SilentOutcome::kRefreshed);
  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  CHECK((requests[0].Field("refresh_token") == std::string(kSeedRt)));
}

TEST_CASE_METHOD(ResolverFixture,
                 "A transient failure of the family token does not fall back",
                 "[resolver][foci]") {
  Seed(3600, std::nullopt, kFamilyRt, kFamilyClient, "1");
  ImportAppRefreshToken(kSeedRt);
  REQUIRE_OK(Server().Script(MockResponse::Error(503, "")));
  SilentResult r = Acquire();
  CHECK(r.outcome == SilentOutcome::kTransient);
  CHECK(r.reason == SilentReason::kHttp5xx);
  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  CHECK((requests[0].Field("refresh_token") == std::string(kFamilyRt)));
}

TEST_CASE_METHOD(ResolverFixture,
                 "A family token refused with invalid_grant also falls back "
                 "to the app's own token",
                 "[resolver][foci]") {
  Seed(3600, std::nullopt, kFamilyRt, kFamilyClient, "1");
  ImportAppRefreshToken(kSeedRt);
  REQUIRE_OK(Server().Script(MockResponse::Error(400, "invalid_grant")));
  REQUIRE_OK(Server().Script(MockResponse::Error(400, "invalid_grant")));
  SilentResult r = Acquire();
  // Both refused: the last answer (the app token's) is reported.
  CHECK(r.outcome == SilentOutcome::kUiRequired);
  CHECK(r.reason == SilentReason::kInvalidGrant);
  auto requests = Requests();
  REQUIRE(requests.size() == 2);
  CHECK((requests[1].Field("refresh_token") == std::string(kSeedRt)));
  CacheSnapshot s = Snapshot();
  CHECK(HasRt(s, kFamilyRt));
  CHECK(HasRt(s, kSeedRt));
}

TEST_CASE_METHOD(ResolverFixture,
                 "The app-only lookup answers from the cache and reports a "
                 "miss as no_token_in_cache",
                 "[resolver][app]") {
  TokenRequestContext context;
  context.authority_host = test::kHost;
  context.tenant = test::kTenant;
  context.client_id = "daemon-1";
  context.scopes = {"https://graph.microsoft.com/.default"};
  context.grant = GrantKind::kClientCredentials;
  TokenResponse response;
  response.access_token = SecretBytes(std::string_view(kSeedAt));
  response.expires_in = 3600;
  REQUIRE_OK(cache().ApplyTokenResponse(context, response));

  SilentRequest request = Request();
  request.client_id = "daemon-1";
  request.home_account_id.clear();
  request.scopes = {"https://graph.microsoft.com/.default"};
  SilentResult r = resolver().AcquireAppTokenSilent(request);
  REQUIRE(r.outcome == SilentOutcome::kCacheHit);
  CHECK((r.token->secret.Equals(std::string_view(kSeedAt))));
  CHECK(r.token->home_account_id.empty());

  request.scopes = {"api://other/.default"};
  r = resolver().AcquireAppTokenSilent(request);
  CHECK(r.outcome == SilentOutcome::kNoTokenInCache);
  CHECK(r.reason == SilentReason::kNoCachedAccessToken);

  request.scopes = {"https://graph.microsoft.com/.default"};
  clock().Advance(seconds(3600));
  r = resolver().AcquireAppTokenSilent(request);
  CHECK(r.outcome == SilentOutcome::kNoTokenInCache);
  CHECK(r.reason == SilentReason::kCachedAccessTokenExpired);
  CHECK(Requests().empty());
}

TEST_CASE_METHOD(ResolverFixture, "Malformed requests are local errors",
                 "[resolver]") {
  SilentRequest request = Request();
  request.client_id.clear();
  SilentResult r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kError);
  CHECK(r.reason == SilentReason::kInvalidRequest);
  CHECK(r.status.code() == Code::kInvalidArgument);

  request = Request();
  request.authority = "login.microsoftonline.com";
  CHECK(Acquire(request).reason == SilentReason::kInvalidRequest);
  request = Request();
  request.scopes.clear();
  CHECK(Acquire(request).reason == SilentReason::kInvalidRequest);
}

TEST_CASE_METHOD(ResolverFixture,
                 "common is re-targeted to the account's home tenant",
                 "[resolver]") {
  // Seed under the home tenant utid-1.
  TokenRequestContext context;
  context.authority_host = test::kHost;
  context.tenant = "utid-1";
  context.client_id = kClient;
  context.scopes = {"User.Read"};
  TokenResponse response;
  response.access_token = SecretBytes(std::string_view(kSeedAt));
  response.refresh_token = SecretBytes(std::string_view(kSeedRt));
  response.client_info = test::ClientInfo();
  response.expires_in = 3600;
  REQUIRE_OK(cache().ApplyTokenResponse(context, response));
  SilentRequest request = Request();
  request.authority = "https://login.microsoftonline.com/common";
  SilentResult r = Acquire(request);
  CHECK(r.outcome == SilentOutcome::kCacheHit);
}

}  // namespace
}  // namespace tokencache
