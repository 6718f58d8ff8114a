// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The libcurl token endpoint against the real oauth2-mock-server on
// 127.0.0.1 (tests/node/mock_oauth2_server.js). Nothing leaves loopback.

#include "tokencache/backends/curl_token_endpoint.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/oauth2_server.h"
#include "tests/support/status_matchers.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test::MockResponse;
using test::OAuth2MockServer;
using test::RecordedRequest;

// Canaries: none of these may ever appear in a message.
constexpr char kRefreshToken[] = "rt-CANARY-5f0e3a91c2d84b76";
constexpr char kClientSecret[] = "cs-CANARY-93be1d7c40a6f258";
constexpr char kAccessToken[] = "at-CANARY-27c4f8e1a9b03d65";

// True when `text` holds `secret` or any 12-character piece of it.
bool Leaks(const std::string& text, std::string_view secret) {
  if (secret.size() < 12) return text.find(secret) != std::string::npos;
  for (std::size_t i = 0; i + 12 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 12)) != std::string::npos) return true;
  }
  return false;
}

class EndpointFixture {
 public:
  EndpointFixture() : EndpointFixture(CurlTokenEndpointOptions()) {}
  explicit EndpointFixture(CurlTokenEndpointOptions options) {
    auto server = OAuth2MockServer::Start();
    REQUIRE_OK(server);
    server_ = std::move(*server);
    options.allow_insecure_http_loopback = true;
    auto endpoint = NewCurlTokenEndpoint(options);
    REQUIRE_OK(endpoint);
    endpoint_ = std::move(*endpoint);
  }

  RefreshRequest Request() const {
    RefreshRequest request;
    request.authority = server_->Authority("contoso");
    request.client_id = "client-1";
    request.refresh_token = SecretBytes(kRefreshToken);
    request.scopes = {"User.Read"};
    request.SetTimeout(seconds(10));
    return request;
  }

  // Refreshes and checks that the message leaks no canary.
  RefreshResult Refresh(const RefreshRequest& request) {
    RefreshResult result = endpoint_->Refresh(request);
    // No INFO with the message: if it leaked, printing it would leak again.
    CHECK_FALSE(Leaks(result.message, kRefreshToken));
    CHECK_FALSE(Leaks(result.message, kClientSecret));
    CHECK_FALSE(Leaks(result.message, kAccessToken));
    return result;
  }
  RefreshResult Refresh() { return Refresh(Request()); }

  std::vector<RecordedRequest> Requests() {
    auto requests = server_->Requests();
    REQUIRE_OK(requests);
    return std::move(*requests);
  }

  OAuth2MockServer& server() { return *server_; }
  TokenEndpoint& endpoint() { return *endpoint_; }

 private:
  std::unique_ptr<OAuth2MockServer> server_;
  std::unique_ptr<TokenEndpoint> endpoint_;
};

std::string HttpDate(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

TEST_CASE_METHOD(EndpointFixture,
                 "A refresh posts the MSAL form and parses the mock's tokens",
                 "[endpoint][curl]") {
  RefreshResult r = Refresh();
  REQUIRE(r.ok());
  CHECK(r.response.token_type == "Bearer");
  CHECK(r.response.expires_in == 3600);
  CHECK_FALSE(r.response.access_token.empty());
  CHECK_FALSE(r.response.refresh_token.empty());
  CHECK_FALSE(r.response.id_token.empty());
  CHECK(r.response.scope == "User.Read openid profile offline_access");

  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  const RecordedRequest& q = requests[0];
  CHECK(q.method == "POST");
  CHECK(q.path == "/contoso/oauth2/v2.0/token");
  CHECK(q.tenant == "contoso");
  CHECK(q.content_type == "application/x-www-form-urlencoded");
  CHECK(q.headers.at("accept") == "application/json");
  REQUIRE(q.has_form);
  CHECK(q.Field("grant_type") == "refresh_token");
  CHECK(q.Field("client_id") == "client-1");
  // Parenthesised so a failure does not print the token.
  CHECK((q.Field("refresh_token") == std::string(kRefreshToken)));
  CHECK(q.Field("scope") == "User.Read openid profile offline_access");
  CHECK(q.Field("client_info") == "1");
  CHECK_FALSE(q.Field("client_secret").has_value());
  CHECK_FALSE(q.Field("claims").has_value());
  CHECK(q.form.size() == 5);
}

TEST_CASE_METHOD(EndpointFixture,
                 "Special characters in every field arrive intact",
                 "[endpoint][curl]") {
  RefreshRequest request = Request();
  request.refresh_token =
      SecretBytes(std::string(kRefreshToken) + "/+=&%?# \xC3\xBC~");
  request.client_secret = SecretBytes(std::string(kClientSecret) + "&=+%");
  request.scopes = {"api://app-id/.default", "Mail.Read&x=1", "a+b%20c",
                    "\xC3\xA9t\xC3\xA9"};
  request.claims = R"({"access_token":{"xms_cc":{"values":["cp1"]},)"
                   R"("nbf":{"essential":true,"value":"1&2=3"}}})";
  request.correlation_id = "6f1c3e9a-0000-4000-8000-000000000001";
  request.extra_headers = {{"X-AnchorMailbox", "Oid:oid-1@tid-1"}};
  RefreshResult r = Refresh(request);
  REQUIRE(r.ok());

  auto requests = Requests();
  REQUIRE(requests.size() == 1);
  const RecordedRequest& q = requests[0];
  CHECK(
      (q.Field("refresh_token") == std::string(request.refresh_token.view())));
  CHECK(
      (q.Field("client_secret") == std::string(request.client_secret.view())));
  CHECK(q.Field("scope") ==
        "api://app-id/.default Mail.Read&x=1 a+b%20c \xC3\xA9t\xC3\xA9 openid "
        "profile offline_access");
  CHECK(q.Field("claims") == request.claims);
  CHECK(q.headers.at("client-request-id") == request.correlation_id);
  CHECK(q.headers.at("return-client-request-id") == "true");
  CHECK(q.headers.at("x-anchormailbox") == "Oid:oid-1@tid-1");
}

TEST_CASE_METHOD(EndpointFixture,
                 "Numeric strings, FOCI and client_info are parsed from the "
                 "wire",
                 "[endpoint][curl]") {
  REQUIRE_OK(server().Script(MockResponse::Success(
      std::string(R"({"access_token":")") + kAccessToken +
      R"(","expires_in":"3599","ext_expires_in":"7199","refresh_in":"1800",
          "foci":"1","client_info":"eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9"})")));
  REQUIRE_OK(server().Script(MockResponse::Success(
      R"({"expires_in":4000,"refresh_in":2000,"foci":1})")));

  RefreshResult r = Refresh();
  REQUIRE(r.ok());
  CHECK(r.response.access_token.Equals(std::string_view(kAccessToken)));
  CHECK(r.response.expires_in == 3599);
  CHECK(r.response.ext_expires_in == 7199);
  CHECK(r.response.refresh_in == 1800);
  CHECK(r.response.foci == "1");
  CHECK(r.response.client_info == "eyJ1aWQiOiJ1MSIsInV0aWQiOiJ0MSJ9");

  r = Refresh();
  REQUIRE(r.ok());
  CHECK(r.response.expires_in == 4000);
  CHECK(r.response.refresh_in == 2000);
  CHECK(r.response.foci == "1");
}

TEST_CASE_METHOD(EndpointFixture,
                 "A rotated refresh token is returned and a missing one is "
                 "left empty",
                 "[endpoint][curl]") {
  RefreshResult first = Refresh();
  RefreshResult second = Refresh();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK_FALSE(first.response.refresh_token.empty());
  CHECK_FALSE(
      first.response.refresh_token.Equals(second.response.refresh_token));
  CHECK_FALSE(
      first.response.refresh_token.Equals(std::string_view(kRefreshToken)));

  REQUIRE_OK(
      server().Script(MockResponse::Success(R"({"refresh_token":null})")));
  RefreshResult kept = Refresh();
  REQUIRE(kept.ok());
  CHECK(kept.response.refresh_token.empty());
  CHECK(Requests().size() == 3);
}

TEST_CASE_METHOD(EndpointFixture,
                 "OAuth2 error bodies are parsed and classified",
                 "[endpoint][curl]") {
  struct Row {
    const char* error;
    const char* suberror;
    const char* claims;
    ErrorCategory category;
    UiRequiredReason reason;
  };
  const Row rows[] = {
      {"invalid_grant", "", "", ErrorCategory::kUiRequired,
       UiRequiredReason::kInvalidGrant},
      {"invalid_grant", "bad_token", "", ErrorCategory::kUiRequired,
       UiRequiredReason::kBadToken},
      {"invalid_grant", "client_mismatch", "", ErrorCategory::kServiceError,
       UiRequiredReason::kNone},
      {"interaction_required", "", "", ErrorCategory::kUiRequired,
       UiRequiredReason::kInteractionRequired},
      {"consent_required", "", "", ErrorCategory::kUiRequired,
       UiRequiredReason::kConsentRequired},
      {"invalid_grant", "",
       R"({"access_token":{"capolids":{"essential":true}}})",
       ErrorCategory::kUiRequired, UiRequiredReason::kClaimsChallenge},
      {"invalid_client", "", "", ErrorCategory::kServiceError,
       UiRequiredReason::kNone},
  };
  for (const Row& row : rows) {
    REQUIRE_OK(server().Script(
        MockResponse::Error(400, row.error, row.suberror, row.claims)));
  }
  for (const Row& row : rows) {
    INFO("error=" << row.error << " suberror=" << row.suberror);
    RefreshResult r = Refresh();
    REQUIRE(r.outcome == RefreshOutcome::kServerError);
    CHECK(r.server_error.http_status == 400);
    CHECK(r.server_error.error == row.error);
    CHECK(r.server_error.suberror == row.suberror);
    CHECK(r.server_error.claims == row.claims);
    CHECK(r.server_error.error_description == "scripted error for a test");
    ErrorClassification c = Classify(r);
    CHECK(c.category == row.category);
    CHECK(c.ui_reason == row.reason);
  }
}

TEST_CASE_METHOD(EndpointFixture,
                 "Entra's extra error members arrive in ServerError",
                 "[endpoint][curl]") {
  MockResponse response;
  response.status = 400;
  response.body_json = R"({"error":"invalid_grant",
      "error_description":"AADSTS700082: The refresh token has expired.",
      "error_codes":[700082],"timestamp":"2026-11-26 06:00:00Z",
      "trace_id":"trace-1","correlation_id":"corr-1",
      "error_uri":"https://login.example/error?code=700082"})";
  REQUIRE_OK(server().Script(response));
  RefreshResult r = Refresh();
  REQUIRE(r.outcome == RefreshOutcome::kServerError);
  CHECK(r.server_error.error_codes == std::vector<std::int64_t>{700082});
  CHECK(r.server_error.trace_id == "trace-1");
  CHECK(r.server_error.correlation_id == "corr-1");
  CHECK(r.server_error.timestamp == "2026-11-26 06:00:00Z");
  CHECK(r.server_error.error_uri == "https://login.example/error?code=700082");
  CHECK(r.message.find("AADSTS700082") == std::string::npos);
}

TEST_CASE_METHOD(EndpointFixture,
                 "Messages never quote secrets, even when the server echoes "
                 "them",
                 "[endpoint][curl][secrets]") {
  // A hostile or buggy server puts the request's secrets into every error
  // member; they may land in ServerError (server data) but never in the
  // message the library writes.
  RefreshRequest request = Request();
  request.client_secret = SecretBytes(kClientSecret);
  for (const std::string& echoed :
       {std::string(kRefreshToken), std::string(kClientSecret)}) {
    MockResponse echo;
    echo.status = 400;
    echo.body_json = "{\"error\":\"" + echoed + "\",\"suberror\":\"" + echoed +
                     "\",\"error_description\":\"" + echoed + "\"}";
    MockResponse echo_ok =
        MockResponse::Success("{\"expires_in\":\"" + echoed + "\"}");
    REQUIRE_OK(server().Script({echo, echo_ok}));
    RefreshResult r = Refresh(request);  // Refresh() checks the message.
    CHECK(r.outcome == RefreshOutcome::kServerError);
    CHECK(r.message.find("HTTP 400") != std::string::npos);
    r = Refresh(request);
    CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
  }
}

TEST_CASE_METHOD(EndpointFixture,
                 "Server failures 500, 503, 408 and 429 are transient",
                 "[endpoint][curl]") {
  MockResponse plain500;
  plain500.status = 500;
  plain500.raw_body = "<html>oops</html>";
  plain500.content_type = "text/html";
  MockResponse busy503 = MockResponse::Error(503, "temporarily_unavailable");
  MockResponse timeout408;
  timeout408.status = 408;
  timeout408.body_json = "{}";
  MockResponse throttled = MockResponse::Error(429, "");
  throttled.headers = {{"Retry-After", "7"}};
  const auto when = std::chrono::system_clock::now() + seconds(120);
  MockResponse throttled_date;
  throttled_date.status = 429;
  throttled_date.body_json = "{}";
  throttled_date.headers = {{"Retry-After", HttpDate(when)}};
  MockResponse throttled_long = throttled;
  throttled_long.headers = {{"Retry-After", "86400"}};
  REQUIRE_OK(server().Script({plain500, busy503, timeout408, throttled,
                              throttled_date, throttled_long}));

  RefreshResult r = Refresh();
  CHECK(r.outcome == RefreshOutcome::kServerError);
  CHECK(r.transient == TransientKind::kHttp5xx);
  CHECK(Classify(r).category == ErrorCategory::kTransient);

  r = Refresh();
  CHECK(r.transient == TransientKind::kHttp5xx);
  CHECK(r.server_error.error == "temporarily_unavailable");
  CHECK(Classify(r).category == ErrorCategory::kTransient);

  r = Refresh();
  CHECK(r.transient == TransientKind::kHttp408);
  CHECK(Classify(r).transient == TransientKind::kHttp408);

  r = Refresh();
  CHECK(r.transient == TransientKind::kHttp429);
  CHECK(r.retry_after == seconds(7));
  CHECK(Classify(r).retry_after == seconds(7));

  r = Refresh();
  CHECK(r.transient == TransientKind::kHttp429);
  REQUIRE(r.retry_after.has_value());
  // The date has one-second resolution and a little time has passed.
  CHECK(r.retry_after->count() >= 100);
  CHECK(r.retry_after->count() <= 121);

  r = Refresh();
  CHECK(r.retry_after == seconds(86400));
  CHECK(Classify(r).retry_after == kMaxRetryAfter);
}

TEST_CASE_METHOD(EndpointFixture,
                 "A response slower than the deadline times out on time",
                 "[endpoint][curl][deadline]") {
  MockResponse slow = MockResponse::Success();
  slow.delay = milliseconds(5000);
  REQUIRE_OK(server().Script(slow));

  RefreshRequest request = Request();
  const auto start = steady_clock::now();
  request.deadline = start + milliseconds(400);
  RefreshResult r = Refresh(request);
  const auto elapsed = steady_clock::now() - start;
  CHECK(r.outcome == RefreshOutcome::kNetworkError);
  CHECK(r.transient == TransientKind::kTimeout);
  CHECK(Classify(r).category == ErrorCategory::kTransient);
  CHECK(elapsed >= milliseconds(350));
  // Slack for scheduling on a loaded 2-core machine and sanitizers.
  CHECK(elapsed < milliseconds(400 + 1000));
  // The server saw the request; it is the answer that never came in time.
  CHECK(Requests().size() == 1);
}

TEST_CASE("A closed port gives a transient connection-refused outcome",
          "[endpoint][curl]") {
  auto server = OAuth2MockServer::Start();
  REQUIRE_OK(server);
  const std::string authority = (*server)->Authority("contoso");
  (*server)->Stop();

  CurlTokenEndpointOptions options;
  options.allow_insecure_http_loopback = true;
  auto endpoint = NewCurlTokenEndpoint(options);
  REQUIRE_OK(endpoint);
  RefreshRequest request;
  request.authority = authority;
  request.client_id = "client-1";
  request.refresh_token = SecretBytes(kRefreshToken);
  request.SetTimeout(seconds(5));
  RefreshResult r = (*endpoint)->Refresh(request);
  CHECK(r.outcome == RefreshOutcome::kNetworkError);
  CHECK(r.transient == TransientKind::kConnectionRefused);
  CHECK(Classify(r).category == ErrorCategory::kTransient);
  CHECK_FALSE(Leaks(r.message, kRefreshToken));
  CHECK(r.message.rfind("curl: ", 0) == 0);
}

TEST_CASE_METHOD(EndpointFixture,
                 "A dropped connection is a transient network failure",
                 "[endpoint][curl]") {
  MockResponse drop;
  drop.drop_connection = true;
  REQUIRE_OK(server().Script(drop));
  RefreshResult r = Refresh();
  CHECK(r.outcome == RefreshOutcome::kNetworkError);
  CHECK(r.transient == TransientKind::kNetwork);
}

TEST_CASE_METHOD(EndpointFixture,
                 "Malformed and token-less success bodies are service errors",
                 "[endpoint][curl]") {
  MockResponse malformed;
  malformed.raw_body =
      std::string("{\"access_token\":\"") + kAccessToken + "\",\"expires_in\":";
  MockResponse no_token = MockResponse::Success(R"({"access_token":null})");
  MockResponse bad_number =
      MockResponse::Success(R"({"expires_in":"in an hour"})");
  REQUIRE_OK(server().Script({malformed, no_token, bad_number}));

  RefreshResult r = Refresh();
  CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
  CHECK(r.server_error.http_status == 200);
  ErrorClassification c = Classify(r);
  CHECK(c.category == ErrorCategory::kServiceError);
  CHECK(c.service_reason == ServiceErrorReason::kInvalidResponse);

  r = Refresh();
  CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
  CHECK(r.message.find("access_token") != std::string::npos);

  r = Refresh();
  CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
  CHECK(r.message.find("expires_in") != std::string::npos);
}

TEST_CASE("An answer over the size cap is dropped as a service error",
          "[endpoint][curl]") {
  CurlTokenEndpointOptions options;
  options.max_response_bytes = 64 * 1024;
  EndpointFixture fixture(options);
  MockResponse huge;
  huge.raw_body =
      std::string("{\"access_token\":\"") + kAccessToken + "\",\"p\":\"";
  huge.raw_repeat = 1;
  huge.raw_body->append(std::string(200 * 1024, 'x'));
  huge.raw_body->append("\"}");
  MockResponse fits = MockResponse::Success(
      "{\"pad\":\"" + std::string(32 * 1024, 'y') + "\"}");
  REQUIRE_OK(fixture.server().Script({huge, fits}));

  RefreshResult r = fixture.Refresh();
  CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
  CHECK(r.message.find("larger than 65536 bytes") != std::string::npos);
  CHECK(Classify(r).service_reason == ServiceErrorReason::kInvalidResponse);

  // The cap is per answer: the next, smaller one goes through.
  CHECK(fixture.Refresh().ok());
}

TEST_CASE_METHOD(EndpointFixture, "A redirect is reported, not followed",
                 "[endpoint][curl]") {
  MockResponse redirect;
  redirect.status = 302;
  redirect.body_json = "{}";
  redirect.headers = {
      {"Location", server().Authority("other") + "/oauth2/v2.0/token"}};
  REQUIRE_OK(server().Script(redirect));
  RefreshResult r = Refresh();
  CHECK(r.outcome == RefreshOutcome::kServerError);
  CHECK(r.server_error.http_status == 302);
  CHECK(Classify(r).category == ErrorCategory::kServiceError);
  CHECK(Requests().size() == 1);
}

TEST_CASE_METHOD(EndpointFixture,
                 "Plain http is refused unless loopback and allowed",
                 "[endpoint][curl]") {
  // Allowed loopback forms.
  RefreshRequest request = Request();
  request.token_endpoint =
      "http://localhost:" + std::to_string(server().port()) +
      "/contoso/oauth2/v2.0/token";
  CHECK(Refresh(request).ok());

  // Refused before any connection. Every URL stays on this machine even
  // if the check were broken: 127.0.0.2 is loopback but not one of the
  // three allowed names, so it stands in for "any other host".
  const std::string port = std::to_string(server().port());
  for (const std::string& url :
       {"http://127.0.0.2:" + port + "/contoso/oauth2/v2.0/token",
        "ftp://127.0.0.1:" + port + "/t", std::string("file:///etc/passwd"),
        "http://user:pw@127.0.0.1:" + port + "/t", std::string("not a url")}) {
    INFO(url);
    request.token_endpoint = url;
    RefreshResult r = Refresh(request);
    CHECK(r.outcome == RefreshOutcome::kRequestRejected);
    CHECK(Classify(r).service_reason == ServiceErrorReason::kRequestRejected);
  }

  // Without the option even loopback http is refused.
  auto strict = NewCurlTokenEndpoint(CurlTokenEndpointOptions());
  REQUIRE_OK(strict);
  RefreshRequest loopback = Request();
  RefreshResult r = (*strict)->Refresh(loopback);
  CHECK(r.outcome == RefreshOutcome::kRequestRejected);
  CHECK(Requests().size() == 1);
}

TEST_CASE("NewCurlTokenEndpoint rejects nonsensical options",
          "[endpoint][curl]") {
  CurlTokenEndpointOptions options;
  options.max_response_bytes = 0;
  CHECK(NewCurlTokenEndpoint(options).status().code() ==
        Code::kInvalidArgument);
  options = CurlTokenEndpointOptions();
  options.default_timeout = milliseconds(0);
  CHECK(NewCurlTokenEndpoint(options).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE_METHOD(EndpointFixture,
                 "Concurrent refreshes on one endpoint all complete",
                 "[endpoint][curl][concurrency]") {
  constexpr int kThreads = 6;
  constexpr int kEach = 4;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  const RefreshRequest request = Request();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (endpoint().Refresh(request).ok()) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(ok.load() == kThreads * kEach);
  CHECK(Requests().size() == static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace tokencache
