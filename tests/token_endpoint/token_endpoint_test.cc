// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The TokenEndpoint extension point without a network: request helpers,
// Retry-After, response parsing and the NVI firewall.

#include "tokencache/token_endpoint.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>
#include <system_error>

#include "tests/support/status_matchers.h"

namespace tokencache {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

RefreshRequest BasicRequest() {
  RefreshRequest request;
  request.authority = "https://login.microsoftonline.com/contoso";
  request.client_id = "client-1";
  request.refresh_token = SecretBytes("rt-value");
  request.scopes = {"User.Read"};
  return request;
}

RefreshResult Parse(int status, std::string_view body,
                    std::string_view retry_after = "") {
  return ParseTokenEndpointResponse(status, SecretBytes(body), retry_after);
}

system_clock::time_point At(std::int64_t unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

TEST_CASE("TokenEndpointUrl appends the v2.0 token path to the authority",
          "[endpoint][request]") {
  CHECK(TokenEndpointUrl("https://login.microsoftonline.com/contoso") ==
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
  CHECK(TokenEndpointUrl("https://login.microsoftonline.com/common/") ==
        "https://login.microsoftonline.com/common/oauth2/v2.0/token");

  RefreshRequest request = BasicRequest();
  CHECK(request.EndpointUrl() ==
        "https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
  request.token_endpoint = "https://sts.example/custom/token";
  CHECK(request.EndpointUrl() == "https://sts.example/custom/token");
  request.token_endpoint.clear();
  request.authority.clear();
  CHECK(request.EndpointUrl().empty());
}

TEST_CASE("SetTimeout takes milliseconds::max() as no limit, not a past time",
          "[endpoint][request]") {
  RefreshRequest request;
  const auto before = std::chrono::steady_clock::now();
  request.SetTimeout(std::chrono::milliseconds::max());
  CHECK(request.deadline > before + std::chrono::hours(24 * 365));
  request.SetTimeout(std::chrono::milliseconds(-5));
  CHECK(request.deadline >= before);
  CHECK(request.deadline <= std::chrono::steady_clock::now());
  request.SetTimeout(std::chrono::seconds(10));
  CHECK(request.deadline > before + std::chrono::seconds(9));
  CHECK(request.deadline <= std::chrono::steady_clock::now() +
                                std::chrono::seconds(10));
}

TEST_CASE("ComposeRefreshScope adds the OIDC scopes once, keeping order",
          "[endpoint][request]") {
  CHECK(ComposeRefreshScope({"User.Read", "Mail.Read"}) ==
        "User.Read Mail.Read openid profile offline_access");
  CHECK(ComposeRefreshScope({}) == "openid profile offline_access");
  CHECK(ComposeRefreshScope(
            {"OpenID", "user.read", "User.Read", "", "offline_access"}) ==
        "OpenID user.read offline_access profile");
}

TEST_CASE("BuildRefreshForm percent-encodes every value in a fixed order",
          "[endpoint][request]") {
  RefreshRequest request = BasicRequest();
  request.refresh_token = SecretBytes("a+b/c=d&e%f g~h.i_j-k");
  request.scopes = {"api://app/.default"};
  request.client_secret = SecretBytes("s&=");
  request.claims = R"({"access_token":{"xms_cc":{"values":["cp1"]}}})";
  request.extra_body_parameters = {{"x-app", "v 1"}};
  const SecretBytes form = BuildRefreshForm(request);
  CHECK(form.view() ==
        "grant_type=refresh_token&client_id=client-1"
        "&refresh_token=a%2Bb%2Fc%3Dd%26e%25f%20g~h.i_j-k"
        "&scope=api%3A%2F%2Fapp%2F.default%20openid%20profile%20offline_access"
        "&client_info=1&client_secret=s%26%3D"
        "&claims=%7B%22access_token%22%3A%7B%22xms_cc%22%3A%7B%22values%22%3A"
        "%5B%22cp1%22%5D%7D%7D%7D"
        "&x-app=v%201");

  request.client_secret.Clear();
  request.claims.clear();
  request.extra_body_parameters.clear();
  request.scopes = {"User.Read"};
  request.refresh_token = SecretBytes("\xC3\xBC");  // u-umlaut in UTF-8
  CHECK(BuildRefreshForm(request).view() ==
        "grant_type=refresh_token&client_id=client-1&refresh_token=%C3%BC"
        "&scope=User.Read%20openid%20profile%20offline_access&client_info=1");
}

TEST_CASE("ValidateRefreshRequest names the missing or unsafe part",
          "[endpoint][request]") {
  CHECK_OK(ValidateRefreshRequest(BasicRequest()));

  RefreshRequest request = BasicRequest();
  request.client_id.clear();
  Status status = ValidateRefreshRequest(request);
  CHECK(status.code() == Code::kInvalidArgument);
  CHECK(status.message().find("client_id") != std::string::npos);

  request = BasicRequest();
  request.refresh_token.Clear();
  CHECK(ValidateRefreshRequest(request).code() == Code::kInvalidArgument);

  request = BasicRequest();
  request.authority.clear();
  CHECK(ValidateRefreshRequest(request).code() == Code::kInvalidArgument);

  request = BasicRequest();
  request.extra_headers = {{"X-AnchorMailbox", "Oid:1\r\nEvil: yes"}};
  CHECK(ValidateRefreshRequest(request).code() == Code::kInvalidArgument);

  request = BasicRequest();
  request.extra_headers = {{"Bad: name", "v"}};
  CHECK(ValidateRefreshRequest(request).code() == Code::kInvalidArgument);

  request = BasicRequest();
  request.correlation_id = "abc\n";
  CHECK(ValidateRefreshRequest(request).code() == Code::kInvalidArgument);

  request = BasicRequest();
  request.extra_body_parameters = {{"refresh_token", "other"}};
  CHECK(ValidateRefreshRequest(request).code() == Code::kInvalidArgument);
}

TEST_CASE("ParseRetryAfter reads delta-seconds and all three HTTP-date forms",
          "[endpoint][retry_after]") {
  // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
  const auto now = At(784111777 - 120);
  CHECK(ParseRetryAfter("0", now) == seconds(0));
  CHECK(ParseRetryAfter(" 120 ", now) == seconds(120));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now) == seconds(120));
  CHECK(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now) == seconds(120));
  CHECK(ParseRetryAfter("Sun Nov  6 08:49:37 1994", now) == seconds(120));
  // A date already past means "now".
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", At(784111777 + 5)) ==
        seconds(0));
  // A leap-year date far from the epoch.
  CHECK(ParseRetryAfter("Thu, 29 Feb 2024 23:59:59 GMT", At(1709251199 - 7)) ==
        seconds(7));

  CHECK_FALSE(ParseRetryAfter("", now).has_value());
  CHECK_FALSE(ParseRetryAfter("-5", now).has_value());
  CHECK_FALSE(ParseRetryAfter("1.5", now).has_value());
  CHECK_FALSE(ParseRetryAfter("soon", now).has_value());
  CHECK_FALSE(
      ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT junk", now).has_value());
  CHECK_FALSE(
      ParseRetryAfter("Sun, 32 Nov 1994 08:49:37 GMT", now).has_value());
}

TEST_CASE("ParseTokenEndpointResponse accepts numbers and numeric strings",
          "[endpoint][parse]") {
  SECTION("numbers") {
    RefreshResult r = Parse(200, R"({"access_token":"at","token_type":"Bearer",
        "expires_in":3599,"ext_expires_in":7199,"refresh_in":1800,
        "refresh_token_expires_in":86400,"refresh_token":"rt2",
        "id_token":"idt","scope":"User.Read openid","client_info":"eyJ9",
        "foci":1})");
    REQUIRE(r.ok());
    CHECK(r.response.access_token.Equals(std::string_view("at")));
    CHECK(r.response.refresh_token.Equals(std::string_view("rt2")));
    CHECK(r.response.id_token.Equals(std::string_view("idt")));
    CHECK(r.response.token_type == "Bearer");
    CHECK(r.response.expires_in == 3599);
    CHECK(r.response.ext_expires_in == 7199);
    CHECK(r.response.refresh_in == 1800);
    CHECK(r.response.refresh_token_expires_in == 86400);
    CHECK(r.response.scope == "User.Read openid");
    CHECK(r.response.client_info == "eyJ9");
    CHECK(r.response.foci == "1");
  }
  SECTION("numeric strings, a fraction and absent members") {
    RefreshResult r = Parse(200, R"({"access_token":"at",
        "expires_in":"3599","ext_expires_in":"-1","refresh_in":1800.9,
        "foci":"1"})");
    REQUIRE(r.ok());
    CHECK(r.response.expires_in == 3599);
    CHECK(r.response.ext_expires_in == -1);
    CHECK(r.response.refresh_in == 1800);
    CHECK_FALSE(r.response.refresh_token_expires_in.has_value());
    CHECK(r.response.refresh_token.empty());
    CHECK(r.response.id_token.empty());
    CHECK(r.response.token_type.empty());
    CHECK(r.response.foci == "1");
  }
}

TEST_CASE("ParseTokenEndpointResponse rejects unusable success bodies by field",
          "[endpoint][parse]") {
  struct Case {
    const char* body;
    const char* field;
  };
  const Case cases[] = {
      {R"({"access_token":"at","expires_in":"soon"})", "expires_in"},
      {R"({"access_token":"at","expires_in":"12x"})", "expires_in"},
      {R"({"access_token":"at","expires_in":true})", "expires_in"},
      {R"({"access_token":"at","refresh_in":18446744073709551615})",
       "refresh_in"},
      {R"({"access_token":7})", "access_token"},
      {R"({"access_token":"at","refresh_token":{}})", "refresh_token"},
      {R"({"access_token":"at","foci":[1]})", "foci"},
      {R"({"access_token":"at","scope":["a"]})", "scope"},
  };
  for (const Case& c : cases) {
    RefreshResult r = Parse(200, c.body);
    INFO("field " << c.field);
    CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
    CHECK(r.message.find(c.field) != std::string::npos);
    CHECK(r.server_error.http_status == 200);
  }
  CHECK(Parse(200, R"({"token_type":"Bearer"})").outcome ==
        RefreshOutcome::kInvalidResponse);
  CHECK(Parse(200, R"({"access_token":""})").outcome ==
        RefreshOutcome::kInvalidResponse);
  CHECK(Parse(200, "{not json").outcome == RefreshOutcome::kInvalidResponse);
  CHECK(Parse(200, "[]").outcome == RefreshOutcome::kInvalidResponse);
  CHECK(Parse(200, "").outcome == RefreshOutcome::kInvalidResponse);
  CHECK(Parse(200, R"({"access_token":"at"} trailing)").outcome ==
        RefreshOutcome::kInvalidResponse);
  // Deep nesting is parsed iteratively: an error, not a stack overflow.
  std::string deep(200000, '[');
  CHECK(Parse(200, deep).outcome == RefreshOutcome::kInvalidResponse);
}

TEST_CASE("ParseTokenEndpointResponse keeps every OAuth2 error member",
          "[endpoint][parse]") {
  RefreshResult r = Parse(400, R"({"error":"invalid_grant",
      "error_description":"AADSTS70000: secret-looking text",
      "suberror":"bad_token","claims":"{\"access_token\":{}}",
      "error_codes":[70000,50173],"error_uri":"https://e/u",
      "timestamp":"2026-01-01 00:00:00Z","trace_id":"t-1",
      "correlation_id":"c-1"})");
  REQUIRE(r.outcome == RefreshOutcome::kServerError);
  const ServerError& e = r.server_error;
  CHECK(e.http_status == 400);
  CHECK(e.error == "invalid_grant");
  CHECK(e.error_description == "AADSTS70000: secret-looking text");
  CHECK(e.suberror == "bad_token");
  CHECK(e.claims == R"({"access_token":{}})");
  CHECK(e.error_codes == std::vector<std::int64_t>{70000, 50173});
  CHECK(e.error_uri == "https://e/u");
  CHECK(e.timestamp == "2026-01-01 00:00:00Z");
  CHECK(e.trace_id == "t-1");
  CHECK(e.correlation_id == "c-1");
  CHECK_FALSE(r.is_transient());
  // The message names the status and code, never the description.
  CHECK(r.message.find("400") != std::string::npos);
  CHECK(r.message.find("invalid_grant") != std::string::npos);
  CHECK(r.message.find("secret-looking") == std::string::npos);
}

TEST_CASE(
    "ParseTokenEndpointResponse treats error bodies and bad statuses "
    "as server errors",
    "[endpoint][parse]") {
  // An error member wins even with 200 (some proxies and ADFS do that).
  RefreshResult r = Parse(200, R"({"error":"invalid_request"})");
  CHECK(r.outcome == RefreshOutcome::kServerError);
  CHECK(r.server_error.error == "invalid_request");

  // A 502 page from a proxy: not JSON, still a (transient) server error.
  r = Parse(502, "<html>Bad Gateway</html>");
  CHECK(r.outcome == RefreshOutcome::kServerError);
  CHECK(r.transient == TransientKind::kHttp5xx);
  CHECK(r.server_error.error.empty());

  r = Parse(429, "", "30");
  CHECK(r.transient == TransientKind::kHttp429);
  CHECK(r.retry_after == seconds(30));
  r = Parse(408, "{}");
  CHECK(r.transient == TransientKind::kHttp408);
  // A success-shaped body with a failure status is still a failure.
  r = Parse(401, R"({"access_token":"at"})");
  CHECK(r.outcome == RefreshOutcome::kServerError);
  CHECK(r.response.access_token.empty());
  // Only known codes are named; anything else (it could be echoed request
  // data) is "other".
  r = Parse(400, R"({"error":"rt-value-echoed","suberror":"rt-value-2"})");
  CHECK(r.message.find("rt-value") == std::string::npos);
  CHECK(r.message.find("error=other suberror=other") != std::string::npos);
  CHECK(r.server_error.error == "rt-value-echoed");
}

// An endpoint that does whatever the test says, to drive Refresh()'s
// firewall.
class ScriptedEndpoint : public TokenEndpoint {
 public:
  enum class Action {
    kSucceed,
    kSucceedEmpty,
    kLeakMessage,
    kThrowRuntime,
    kThrowSystem,
    kThrowInt
  };
  explicit ScriptedEndpoint(Action action) : action_(action) {}
  std::string_view Name() const override { return "scripted"; }
  int calls() const { return calls_.load(); }

 protected:
  RefreshResult DoRefresh(const RefreshRequest& request) override {
    ++calls_;
    switch (action_) {
      case Action::kSucceed: {
        TokenResponse response;
        response.access_token = SecretBytes("at");
        return RefreshResult::Success(std::move(response));
      }
      case Action::kSucceedEmpty:
        return RefreshResult::Success(TokenResponse());
      case Action::kLeakMessage:
        return RefreshResult::NetworkFailure(
            TransientKind::kNetwork,
            "failed for token " + std::string(request.refresh_token.view()) +
                " and secret " + std::string(request.client_secret.view()));
      case Action::kThrowRuntime:
        throw std::runtime_error(std::string(request.refresh_token.view()));
      case Action::kThrowSystem:
        throw std::system_error(
            std::make_error_code(std::errc::connection_refused),
            std::string(request.refresh_token.view()));
      case Action::kThrowInt:
        throw 42;
    }
    return RefreshResult::InternalError("unreachable");
  }

 private:
  Action action_;
  std::atomic<int> calls_{0};
};

TEST_CASE("Refresh turns exceptions into values and never quotes them",
          "[endpoint][nvi]") {
  RefreshRequest request = BasicRequest();
  request.refresh_token = SecretBytes("rt-CANARY-b81f2e9d44");

  ScriptedEndpoint runtime(ScriptedEndpoint::Action::kThrowRuntime);
  RefreshResult r = runtime.Refresh(request);
  CHECK(r.outcome == RefreshOutcome::kInternalError);
  CHECK_FALSE(r.is_transient());
  CHECK(r.message.rfind("scripted: ", 0) == 0);
  CHECK(r.message.find("CANARY") == std::string::npos);

  ScriptedEndpoint system(ScriptedEndpoint::Action::kThrowSystem);
  r = system.Refresh(request);
  CHECK(r.outcome == RefreshOutcome::kNetworkError);
  CHECK(r.transient == TransientKind::kNetwork);
  CHECK(r.message.find("CANARY") == std::string::npos);

  ScriptedEndpoint other(ScriptedEndpoint::Action::kThrowInt);
  CHECK(other.Refresh(request).outcome == RefreshOutcome::kInternalError);
}

TEST_CASE("Refresh withholds a message that quotes a request secret",
          "[endpoint][nvi]") {
  ScriptedEndpoint leaky(ScriptedEndpoint::Action::kLeakMessage);
  RefreshRequest request = BasicRequest();
  request.refresh_token = SecretBytes("rt-CANARY-0c9d7e21aa");
  RefreshResult r = leaky.Refresh(request);
  CHECK(r.outcome == RefreshOutcome::kNetworkError);
  CHECK(r.message.find("CANARY") == std::string::npos);
  CHECK(r.message.rfind("scripted: network_error (message withheld", 0) == 0);

  request.refresh_token = SecretBytes("rt-plain-0001");
  request.client_secret = SecretBytes("cs-CANARY-77ab01fe3c");
  r = leaky.Refresh(request);
  CHECK(r.message.find("CANARY") == std::string::npos);
}

TEST_CASE("Refresh checks the request and the deadline before DoRefresh",
          "[endpoint][nvi]") {
  ScriptedEndpoint endpoint(ScriptedEndpoint::Action::kSucceed);

  RefreshRequest bad = BasicRequest();
  bad.client_id.clear();
  RefreshResult r = endpoint.Refresh(bad);
  CHECK(r.outcome == RefreshOutcome::kRequestRejected);
  CHECK(endpoint.calls() == 0);

  RefreshRequest late = BasicRequest();
  late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  r = endpoint.Refresh(late);
  CHECK(r.outcome == RefreshOutcome::kNetworkError);
  CHECK(r.transient == TransientKind::kTimeout);
  CHECK(endpoint.calls() == 0);

  r = endpoint.Refresh(BasicRequest());
  CHECK(r.ok());
  CHECK(endpoint.calls() == 1);

  ScriptedEndpoint empty(ScriptedEndpoint::Action::kSucceedEmpty);
  r = empty.Refresh(BasicRequest());
  CHECK(r.outcome == RefreshOutcome::kInvalidResponse);
}

}  // namespace
}  // namespace tokencache
