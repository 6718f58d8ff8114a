// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Shared pieces of the resolver tests: one real oauth2-mock-server per test
// process (started on first use, Reset() before every case), a cache on a
// manual clock, seeding helpers that store tokens the way an interactive
// sign-in would, and canary secrets that must never show up in a message.

#ifndef TOKENCACHE_TESTS_RESOLVER_RESOLVER_FIXTURE_H_
#define TOKENCACHE_TESTS_RESOLVER_RESOLVER_FIXTURE_H_

#include <sodium.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/oauth2_server.h"
#include "tests/support/status_matchers.h"
#include "tokencache/backends/curl_token_endpoint.h"
#include "tokencache/cache.h"
#include "tokencache/resolver.h"

namespace tokencache {
namespace test {

inline constexpr UnixSeconds kStart = 1'900'000'000;
inline constexpr char kHome[] = "uid-1.utid-1";
inline constexpr char kClient[] = "client-a";
inline constexpr char kFamilyClient[] = "client-family-b";
inline constexpr char kHost[] = "login.microsoftonline.com";
inline constexpr char kTenant[] = "contoso";

// Canaries: none of these may appear in any message.
inline constexpr char kSeedAt[] = "at-CANARY-seed-7d1e44a09b2c";
inline constexpr char kSeedRt[] = "rt-CANARY-seed-51c9e0f3aa74";
inline constexpr char kFamilyRt[] = "rt-CANARY-family-c03d8b2e91f6";
inline constexpr char kServerAt[] = "at-CANARY-server-9a40b6e17c2d";
inline constexpr char kServerRt[] = "rt-CANARY-server-2e8f51b7d0c3";

inline std::string Base64Url(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(
                      bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  return out;
}

// client_info for uid-1.utid-1, as Entra sends it.
inline std::string ClientInfo() {
  return Base64Url(R"({"uid":"uid-1","utid":"utid-1"})");
}

// True when `text` holds any 12-character piece of a canary.
inline bool LeaksCanary(const std::string& text) {
  for (std::string_view secret :
       {kSeedAt, kSeedRt, kFamilyRt, kServerAt, kServerRt}) {
    for (std::size_t i = 0; i + 12 <= secret.size(); ++i) {
      if (text.find(secret.substr(i, 12)) != std::string::npos) return true;
    }
  }
  return false;
}

// The process-wide mock server.
inline OAuth2MockServer& Server() {
  static std::unique_ptr<OAuth2MockServer> server = [] {
    auto started = OAuth2MockServer::Start();
    REQUIRE_OK(started);
    return std::move(*started);
  }();
  return *server;
}

// A success answer for uid-1.utid-1 (client_info) with `merge` merged in.
inline MockResponse Success(std::string merge = "") {
  std::string body = R"({"client_info":")" + ClientInfo() + R"(")";
  if (!merge.empty()) {
    // merge is a JSON object: splice its members in.
    body += "," + merge.substr(1, merge.size() - 2);
  }
  body += "}";
  return MockResponse::Success(body);
}

inline MockResponse CanarySuccess(std::string extra = "") {
  std::string merge = std::string(R"({"access_token":")") + kServerAt +
                      R"(","refresh_token":")" + kServerRt + R"(")";
  if (!extra.empty()) merge += "," + extra;
  merge += "}";
  return Success(merge);
}

class ResolverFixture {
 public:
  ResolverFixture() : ResolverFixture(ResolverOptions()) {}
  explicit ResolverFixture(ResolverOptions options)
      : clock_(std::make_shared<ManualClock>(kStart)) {
    REQUIRE_OK(Server().Reset());
    REQUIRE_OK(Server().SetDefault(Success()));
    CacheOptions cache_options;
    cache_options.clock = clock_;
    cache_ = std::shared_ptr<Cache>(Cache::NewInMemory(cache_options));
    MakeResolver(std::move(options));
  }

  void MakeResolver(ResolverOptions options) {
    if (endpoint_ == nullptr) {
      CurlTokenEndpointOptions endpoint_options;
      endpoint_options.allow_insecure_http_loopback = true;
      auto endpoint = NewCurlTokenEndpoint(endpoint_options);
      REQUIRE_OK(endpoint);
      endpoint_ = std::shared_ptr<TokenEndpoint>(std::move(*endpoint));
    }
    resolver_ = std::make_unique<Resolver>(cache_, endpoint_, options);
  }

  // A request for kHome/kClient whose refresh goes to the mock server.
  SilentRequest Request() const {
    SilentRequest r;
    r.client_id = kClient;
    r.authority = std::string("https://") + kHost + "/" + kTenant;
    r.scopes = {"User.Read"};
    r.home_account_id = kHome;
    r.token_endpoint =
        Server().BaseUrl() + "/" + kTenant + "/oauth2/v2.0/token";
    return r;
  }

  // Stores what an interactive sign-in of kHome would: an AT for
  // User.Read living `expires_in` from now and, unless empty, an RT.
  void Seed(std::int64_t expires_in, std::optional<std::int64_t> refresh_in,
            std::string_view rt = kSeedRt, std::string client = kClient,
            std::string foci = "", std::string_view at = kSeedAt) {
    TokenRequestContext context;
    context.authority_host = kHost;
    context.tenant = kTenant;
    context.client_id = std::move(client);
    context.scopes = {"User.Read"};
    context.grant = GrantKind::kInteractive;
    TokenResponse response;
    if (!at.empty()) response.access_token = SecretBytes(at);
    if (!rt.empty()) response.refresh_token = SecretBytes(rt);
    response.client_info = ClientInfo();
    response.scope = "User.Read";
    response.expires_in = expires_in;
    response.refresh_in = refresh_in;
    response.foci = std::move(foci);
    REQUIRE_OK(cache_->ApplyTokenResponse(context, response));
  }

  // Stores only the app's own (non-family) refresh token, with no
  // AppMetadata: the app's family membership stays unknown.
  void ImportAppRefreshToken(std::string_view rt) {
    CacheSnapshot snapshot;
    RefreshToken token;
    token.home_account_id = kHome;
    token.environment = "login.windows.net";
    token.client_id = kClient;
    token.secret = SecretBytes(rt);
    snapshot.refresh_tokens.push_back(std::move(token));
    REQUIRE_OK(cache_->Import(snapshot));
  }

  // Runs the silent flow and checks that no message leaks a canary.
  SilentResult Acquire(const SilentRequest& request) {
    SilentResult r = resolver_->AcquireSilent(request);
    CHECK_FALSE(LeaksCanary(r.message));
    CHECK_FALSE(LeaksCanary(r.status.message()));
    CHECK_FALSE(LeaksCanary(r.error_description));
    return r;
  }
  SilentResult Acquire() { return Acquire(Request()); }

  std::vector<RecordedRequest> Requests() {
    auto requests = Server().Requests();
    REQUIRE_OK(requests);
    return std::move(*requests);
  }

  CacheSnapshot Snapshot() {
    auto s = cache_->Export();
    REQUIRE_OK(s);
    return std::move(*s);
  }

  ManualClock& clock() { return *clock_; }
  Cache& cache() { return *cache_; }
  Resolver& resolver() { return *resolver_; }

 protected:
  std::shared_ptr<ManualClock> clock_;
  std::shared_ptr<Cache> cache_;
  std::shared_ptr<TokenEndpoint> endpoint_;
  std::unique_ptr<Resolver> resolver_;
};

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_RESOLVER_RESOLVER_FIXTURE_H_
