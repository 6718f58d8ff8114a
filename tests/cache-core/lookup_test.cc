// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Queries over the indexed in-memory state (msal-cache-rules.md §3, §4).

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "cache-core/cache_state.h"
#include "tests/cache-core/core_test_util.h"

namespace tokencache {
namespace internal {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;
const std::chrono::seconds kBuffer(300);

AccessToken At(const std::string& target, const std::string& secret) {
  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.windows.net";
  at.client_id = "cid";
  at.realm = "utid";
  at.target = target;
  at.secret = SecretBytes(secret);
  at.cached_at = kNow - 60;
  at.expires_on = kNow + 3600;
  return at;
}

AccessTokenQuery Query(std::vector<std::string> scopes) {
  AccessTokenQuery q;
  q.home_account_id = "uid.utid";
  q.environment = "login.microsoftonline.com";
  q.client_id = "cid";
  q.realm = "utid";
  q.scopes = std::move(scopes);
  return q;
}

std::string Secret(const AccessTokenLookup& lookup) {
  return lookup.token.has_value() ? std::string(lookup.token->secret.view())
                                  : std::string("<none>");
}

TEST_CASE("A silent lookup finds the user's token through any cloud alias",
          "[core][lookup][aliases]") {
  CacheState state;
  state.Upsert(At("User.Read openid profile", "at-1"));
  for (const char* host : {"login.microsoftonline.com", "login.windows.net",
                           "login.microsoft.com", "sts.windows.net",
                           "LOGIN.WINDOWS.NET"}) {
    INFO(host);
    AccessTokenQuery q = Query({"user.read"});
    q.environment = host;
    AccessTokenLookup r = state.FindAccessToken(q, kNow, kBuffer);
    CHECK(r.state == LookupState::kValid);
    CHECK(Secret(r) == "at-1");
  }
  AccessTokenQuery other_cloud = Query({"user.read"});
  other_cloud.environment = "login.microsoftonline.us";
  CHECK(state.FindAccessToken(other_cloud, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("National-cloud tokens are found through their own aliases only",
          "[core][lookup][aliases]") {
  CacheState state;
  AccessToken china = At("User.Read", "cn");
  china.environment = "login.chinacloudapi.cn";
  AccessToken usgov = At("User.Read", "us");
  usgov.environment = "login.usgovcloudapi.net";
  state.Upsert(china);
  state.Upsert(usgov);
  AccessTokenQuery q = Query({"User.Read"});
  q.environment = "login.partner.microsoftonline.cn";
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "cn");
  q.environment = "login.microsoftonline.us";
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "us");
  q.environment = "login.microsoftonline.de";
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("A token from an unknown host matches that host only",
          "[core][lookup][aliases]") {
  CacheState state;
  AccessToken b2c = At("User.Read", "b2c");
  b2c.environment = "Contoso.B2CLogin.com";
  state.Upsert(b2c);
  AccessTokenQuery q = Query({"User.Read"});
  q.environment = "contoso.b2clogin.com";
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "b2c");
  q.environment = "login.microsoftonline.com";
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("Realm, client and home account compare case-insensitively",
          "[core][lookup][realm]") {
  CacheState state;
  AccessToken at = At("User.Read", "at");
  at.realm = "Contoso-TID";
  state.Upsert(at);
  AccessTokenQuery q = Query({"User.Read"});
  q.realm = "contoso-tid";
  q.client_id = "CID";
  q.home_account_id = "UID.UTID";
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state == LookupState::kValid);
  q.realm = "fabrikam-tid";
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("Scopes: subset, case and OIDC rules apply to lookups",
          "[core][lookup][scopes]") {
  CacheState state;
  state.Upsert(At("https://graph.microsoft.com/User.Read openid profile",
                  "graph"));
  auto state_for = [&](std::vector<std::string> scopes) {
    return state.FindAccessToken(Query(std::move(scopes)), kNow, kBuffer)
        .state;
  };
  CHECK(state_for({"https://GRAPH.microsoft.com/user.read"}) ==
        LookupState::kValid);
  CHECK(state_for({"https://graph.microsoft.com/User.Read", "offline_access",
                   "email"}) == LookupState::kValid);
  CHECK(state_for({"https://graph.microsoft.com/Mail.Read"}) ==
        LookupState::kNotFound);
  CHECK(state_for({"openid", "profile"}) == LookupState::kValid);
  CHECK(state_for({"openid", "email"}) == LookupState::kNotFound);
}

TEST_CASE("Token type and key id must match", "[core][lookup][token_type]") {
  CacheState state;
  state.Upsert(At("User.Read", "bearer"));
  AccessToken pop = At("User.Read", "pop");
  pop.token_type = "pop";
  pop.key_id = "Key-1";
  state.Upsert(pop);

  AccessTokenQuery q = Query({"User.Read"});
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "bearer");
  q.token_type = "BEARER";
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "bearer");
  q.token_type = "PoP";
  q.key_id = "key-1";
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "pop");
  q.key_id = "key-2";
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
  q.key_id.clear();
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("Extra key components match symmetrically",
          "[core][lookup][components]") {
  CacheState state;
  AccessToken with = At("User.Read", "with");
  with.additional_key_components = {{"tenant_key", "x"}};
  state.Upsert(with);
  AccessTokenQuery q = Query({"User.Read"});
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
  q.additional_key_components = {{"tenant_key", "x"}};
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "with");
  q.additional_key_components = {{"tenant_key", "y"}};
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);

  state.Upsert(At("User.Read", "without"));
  q.additional_key_components.clear();
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "without");
}

TEST_CASE("App-only lookups need no account: client, tenant and scopes",
          "[core][lookup][app_only]") {
  CacheState state;
  AccessToken app = At("https://graph.microsoft.com/.default", "app");
  app.home_account_id.clear();
  state.Upsert(app);
  state.Upsert(At("https://graph.microsoft.com/.default", "user"));
  AccessTokenQuery q = Query({"https://graph.microsoft.com/.default"});
  q.home_account_id.clear();
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "app");
  q.realm = "other-tenant";
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("On-behalf-of lookups are keyed by the user assertion hash",
          "[core][lookup][obo]") {
  CacheState state;
  AccessToken obo = At("api://down/.default", "obo");
  obo.user_assertion_hash = "hash-A";
  state.Upsert(obo);
  AccessTokenQuery q = Query({"api://down/.default"});
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
  q.user_assertion_hash = "hash-A";
  q.home_account_id = "ignored";
  CHECK(Secret(state.FindAccessToken(q, kNow, kBuffer)) == "obo");
  q.user_assertion_hash = "hash-a";  // Base64: case matters.
  CHECK(state.FindAccessToken(q, kNow, kBuffer).state ==
        LookupState::kNotFound);
}

TEST_CASE("A lookup says why no usable token came back",
          "[core][lookup][expiry]") {
  CacheState state;
  AccessToken at = At("User.Read", "at");
  at.expires_on = kNow + 3600;
  at.refresh_on = kNow - 5;
  state.Upsert(at);
  AccessTokenLookup due = state.FindAccessToken(Query({"User.Read"}), kNow,
                                                kBuffer);
  CHECK(due.state == LookupState::kRefreshDue);
  CHECK(Secret(due) == "at");

  AccessTokenLookup expired = state.FindAccessToken(
      Query({"User.Read"}), kNow + 3600 - 300, kBuffer);
  CHECK(expired.state == LookupState::kExpired);
  CHECK_FALSE(expired.token.has_value());
  CHECK(expired.match_count == 1);

  AccessTokenLookup missing =
      state.FindAccessToken(Query({"Mail.Read"}), kNow, kBuffer);
  CHECK(missing.state == LookupState::kNotFound);
  CHECK(missing.match_count == 0);
}

TEST_CASE("Refresh token lookup finds the app RT and the family RT",
          "[core][lookup][refresh]") {
  CacheState state;
  RefreshToken app;
  app.home_account_id = "uid.utid";
  app.environment = "login.windows.net";
  app.client_id = "cid";
  app.secret = SecretBytes("app-rt");
  RefreshToken frt = app;
  frt.client_id = "other-family-app";
  frt.family_id = "1";
  frt.secret = SecretBytes("frt");
  RefreshToken foreign = app;
  foreign.client_id = "unrelated";
  foreign.secret = SecretBytes("foreign");
  state.Upsert(app);
  state.Upsert(frt);
  state.Upsert(foreign);

  RefreshTokenQuery q;
  q.home_account_id = "UID.utid";
  q.environment = "login.microsoftonline.com";
  q.client_id = "CID";
  RefreshTokenLookup r = state.FindRefreshToken(q);
  REQUIRE(r.app_token.has_value());
  CHECK(r.app_token->secret.view() == "app-rt");
  REQUIRE(r.family_token.has_value());
  CHECK(r.family_token->secret.view() == "frt");
  CHECK(r.membership == FociMembership::kUnknown);

  SECTION("AppMetadata gives the tri-state FOCI membership") {
    state.Upsert(AppMetadata{"cid", "login.microsoftonline.com", "1", {}});
    CHECK(state.FindRefreshToken(q).membership == FociMembership::kMember);
    state.Upsert(AppMetadata{"cid", "login.windows.net", "", {}});
    CHECK(state.FindRefreshToken(q).membership == FociMembership::kNotMember);
  }
  SECTION("another cloud has no refresh tokens") {
    q.environment = "login.microsoftonline.us";
    RefreshTokenLookup none = state.FindRefreshToken(q);
    CHECK_FALSE(none.app_token.has_value());
    CHECK_FALSE(none.family_token.has_value());
  }
  SECTION("an app without its own RT still sees the family RT") {
    q.client_id = "new-family-app";
    RefreshTokenLookup only_family = state.FindRefreshToken(q);
    CHECK_FALSE(only_family.app_token.has_value());
    CHECK(only_family.family_token.has_value());
  }
}

TEST_CASE("ID token lookup prefers the home tenant when no realm is given",
          "[core][lookup][id_token]") {
  CacheState state;
  IdToken home;
  home.home_account_id = "uid.utid";
  home.environment = "login.windows.net";
  home.client_id = "cid";
  home.realm = "utid";
  home.secret = SecretBytes("home-jwt");
  IdToken guest = home;
  guest.realm = "aaa-guest";  // Sorts before "utid".
  guest.secret = SecretBytes("guest-jwt");
  state.Upsert(home);
  state.Upsert(guest);
  IdTokenQuery q{"uid.utid", "login.microsoftonline.com", "cid", ""};
  REQUIRE(state.FindIdToken(q).has_value());
  CHECK(state.FindIdToken(q)->secret.view() == "home-jwt");
  q.realm = "AAA-GUEST";
  CHECK(state.FindIdToken(q)->secret.view() == "guest-jwt");
  q.realm = "nope";
  CHECK_FALSE(state.FindIdToken(q).has_value());
}

TEST_CASE("A lookup visits only the records of the query's partition",
          "[core][lookup][index]") {
  CacheState state;
  // 100k access tokens of other accounts and apps.
  CacheSnapshot bulk;
  for (int i = 0; i < 100000; ++i) {
    AccessToken at = At("scope-" + std::to_string(i), "x");
    at.home_account_id = "user-" + std::to_string(i) + ".utid";
    if (i % 10 == 0) at.home_account_id.clear();  // App-only tokens.
    at.client_id = "cid-" + std::to_string(i % 13);
    bulk.access_tokens.push_back(std::move(at));
  }
  // The account we look up holds three tokens for this client and realm,
  // one in another realm and one of another client.
  bulk.access_tokens.push_back(At("User.Read", "mine"));
  bulk.access_tokens.push_back(At("Mail.Read", "mail"));
  bulk.access_tokens.push_back(At("Files.Read", "files"));
  AccessToken other_realm = At("User.Read", "r");
  other_realm.realm = "other";
  bulk.access_tokens.push_back(other_realm);
  AccessToken other_client = At("User.Read", "c");
  other_client.client_id = "cid-other";
  bulk.access_tokens.push_back(other_client);
  state.Import(bulk);
  REQUIRE(state.size() == 100005);

  const std::uint64_t before = RecordVisitsOnThisThread();
  AccessTokenLookup r =
      state.FindAccessToken(Query({"User.Read"}), kNow, kBuffer);
  const std::uint64_t visits = RecordVisitsOnThisThread() - before;
  CHECK(Secret(r) == "mine");
  CHECK(visits == 3);

  const std::uint64_t before_app = RecordVisitsOnThisThread();
  AccessTokenQuery app = Query({"scope-0"});
  app.home_account_id.clear();
  app.client_id = "cid-0";
  (void)state.FindAccessToken(app, kNow, kBuffer);
  // App-only tokens of cid-0 in realm utid: i % 10 == 0 and i % 13 == 0.
  CHECK(RecordVisitsOnThisThread() - before_app == 100000 / 130 + 1);
}

}  // namespace
}  // namespace internal
}  // namespace tokencache
