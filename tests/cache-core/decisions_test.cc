// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// One test per place where MSAL .NET, Python and Node disagree and
// tokencache had to choose (docs/cache-rules.md). Each case is named after
// the choice.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "tests/cache-core/core_test_util.h"
#include "tests/support/status_matchers.h"
#include "tokencache/cache.h"

namespace tokencache {
namespace {

using test::Alice;
using test::UserContext;
using test::UserResponse;

constexpr UnixSeconds kNow = 1'700'000'000;

struct Fixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);
  std::unique_ptr<Cache> cache;
  Fixture() {
    CacheOptions options;
    options.clock = clock;
    cache = Cache::NewInMemory(options);
  }
  CacheSnapshot Snapshot() {
    Result<CacheSnapshot> s = cache->Export();
    REQUIRE_OK(s);
    return *s;
  }
  AccessTokenLookup Find(std::vector<std::string> scopes) {
    AccessTokenQuery q;
    q.home_account_id = Alice().home();
    q.environment = "login.microsoftonline.com";
    q.client_id = "app-1";
    q.realm = Alice().utid;
    q.scopes = std::move(scopes);
    Result<AccessTokenLookup> r = cache->FindAccessToken(q);
    REQUIRE_OK(r);
    return *r;
  }
};

AccessToken AliceAt(const std::string& target, const std::string& secret) {
  AccessToken at;
  at.home_account_id = Alice().home();
  at.environment = "login.windows.net";
  at.client_id = "app-1";
  at.realm = Alice().utid;
  at.target = target;
  at.secret = SecretBytes(secret);
  at.cached_at = kNow - 100;
  at.expires_on = kNow + 3600;
  return at;
}

TEST_CASE("Decision: several matching ATs serve the freshest usable one",
          "[core][decision][multiple_matches]") {
  // NET errors, Node deletes all and misses, PY takes the first. Reads
  // cannot delete (no exclusive lock), so the freshest usable token is
  // served and match_count tells the resolver to clean up.
  Fixture f;
  CacheSnapshot s;
  AccessToken older = AliceAt("User.Read Mail.Read", "older");
  older.cached_at = kNow - 200;
  AccessToken newer = AliceAt("User.Read Files.Read", "newer");
  newer.cached_at = kNow - 50;
  AccessToken expired = AliceAt("User.Read Calendars.Read", "expired");
  expired.cached_at = kNow - 10;
  expired.expires_on = kNow + 10;
  s.access_tokens = {older, newer, expired};
  REQUIRE_OK(f.cache->Import(s));
  AccessTokenLookup r = f.Find({"User.Read"});
  CHECK(r.match_count == 3);
  CHECK(r.state == LookupState::kValid);
  CHECK(r.token->secret.view() == "newer");
}

TEST_CASE("Decision: email is an OIDC scope, ignored in requests like Node",
          "[core][decision][oidc_email]") {
  Fixture f;
  CacheSnapshot s;
  s.access_tokens = {AliceAt("User.Read", "at")};
  REQUIRE_OK(f.cache->Import(s));
  CHECK(f.Find({"User.Read", "email"}).state == LookupState::kValid);
}

TEST_CASE("Decision: scopes compare case-insensitively like NET and Node",
          "[core][decision][scope_case]") {
  Fixture f;
  CacheSnapshot s;
  s.access_tokens = {AliceAt("User.Read", "at")};
  REQUIRE_OK(f.cache->Import(s));
  CHECK(f.Find({"USER.READ"}).state == LookupState::kValid);
}

TEST_CASE("Decision: a missing expires_in stores an already-expired AT",
          "[core][decision][missing_expires_in]") {
  // NET and Node: expired; PY guesses 600 s.
  Fixture f;
  TokenResponse r = UserResponse(Alice(), Alice().utid, "User.Read", "at");
  r.expires_in.reset();
  r.ext_expires_in.reset();
  REQUIRE_OK(f.cache->ApplyTokenResponse(UserContext(Alice().utid), r));
  CHECK(f.Snapshot().access_tokens.at(0).expires_on == kNow);
  CHECK(f.Find({"User.Read"}).state == LookupState::kExpired);
}

TEST_CASE("Decision: extended_expires_on counts from issue time like NET/PY",
          "[core][decision][extended_expiry]") {
  // Node adds ext_expires_in to expires_on instead.
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at")));
  CHECK(f.Snapshot().access_tokens.at(0).extended_expires_on == kNow + 7200);
}

TEST_CASE("Decision: exactly the buffer left is expired, as NET's strict test",
          "[core][decision][buffer_boundary]") {
  Fixture f;
  CacheSnapshot s;
  AccessToken at = AliceAt("User.Read", "at");
  at.expires_on = kNow + 300;
  s.access_tokens = {at};
  REQUIRE_OK(f.cache->Import(s));
  CHECK(f.Find({"User.Read"}).state == LookupState::kExpired);
  f.clock->Set(kNow - 1);
  CHECK(f.Find({"User.Read"}).state == LookupState::kValid);
}

TEST_CASE("Decision: cached_at in the future makes an AT expired like Node",
          "[core][decision][cached_at_future]") {
  Fixture f;
  CacheSnapshot s;
  AccessToken at = AliceAt("User.Read", "at");
  at.cached_at = kNow + 60;  // Written by a clock that ran ahead.
  s.access_tokens = {at};
  REQUIRE_OK(f.cache->Import(s));
  CHECK(f.Find({"User.Read"}).state == LookupState::kExpired);
}

TEST_CASE("Decision: an AT living over 10 years is expired like NET",
          "[core][decision][ten_years]") {
  Fixture f;
  CacheSnapshot s;
  AccessToken at = AliceAt("User.Read", "at");
  at.expires_on = kNow + 3650LL * 24 * 3600 + 1;
  s.access_tokens = {at};
  REQUIRE_OK(f.cache->Import(s));
  CHECK(f.Find({"User.Read"}).state == LookupState::kExpired);
}

TEST_CASE("Decision: written environment is the cloud's preferred_cache",
          "[core][decision][written_environment]") {
  // NET and Node write login.windows.net; PY writes the configured host.
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid, "app-1", "login.microsoftonline.com"),
      UserResponse(Alice(), Alice().utid, "User.Read", "at")));
  CacheSnapshot s = f.Snapshot();
  CHECK(s.access_tokens.at(0).environment == "login.windows.net");
  CHECK(s.refresh_tokens.at(0).environment == "login.windows.net");
  CHECK(s.accounts.at(0).environment == "login.windows.net");
}

TEST_CASE("Decision: AT lookup accepts any alias of the cloud like NET/Node",
          "[core][decision][lookup_alias]") {
  // PY looks at the exact host first and aliases only with RTs there.
  Fixture f;
  CacheSnapshot s;
  AccessToken at = AliceAt("User.Read", "at");
  at.environment = "login.microsoftonline.com";  // As PY wrote it.
  s.access_tokens = {at};
  REQUIRE_OK(f.cache->Import(s));
  AccessTokenQuery q;
  q.home_account_id = Alice().home();
  q.environment = "login.windows.net";
  q.client_id = "app-1";
  q.realm = Alice().utid;
  q.scopes = {"User.Read"};
  CHECK(f.cache->FindAccessToken(q)->state == LookupState::kValid);
}

TEST_CASE("Decision: a response without foci clears family membership",
          "[core][decision][appmetadata_clears]") {
  // NET and PY clear; Node writes AppMetadata only when foci is present.
  Fixture f;
  TokenResponse family =
      UserResponse(Alice(), Alice().utid, "User.Read", "at", "frt");
  family.foci = "1";
  REQUIRE_OK(f.cache->ApplyTokenResponse(UserContext(Alice().utid), family));
  RefreshTokenQuery q{Alice().home(), "login.microsoftonline.com", "app-1",
                      ""};
  CHECK(f.cache->FindRefreshToken(q)->membership == FociMembership::kMember);
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "Mail.Read", "at2", "rt")));
  CHECK(f.cache->FindRefreshToken(q)->membership ==
        FociMembership::kNotMember);
}

TEST_CASE("Decision: the family RT is found for any client like NET and PY",
          "[core][decision][frt_any_client]") {
  // Node only uses an FRT its own client id received.
  Fixture f;
  TokenResponse family =
      UserResponse(Alice(), Alice().utid, "User.Read", "at", "frt");
  family.foci = "1";
  REQUIRE_OK(f.cache->ApplyTokenResponse(UserContext(Alice().utid, "app-a"),
                                         family));
  RefreshTokenQuery q{Alice().home(), "login.microsoftonline.com", "app-b",
                      ""};
  Result<RefreshTokenLookup> r = f.cache->FindRefreshToken(q);
  REQUIRE_OK(r);
  REQUIRE(r->family_token.has_value());
  CHECK(r->family_token->client_id == "app-a");
  CHECK_FALSE(r->app_token.has_value());
}

TEST_CASE("Decision: one Account per home account and cloud, tenant profiles",
          "[core][decision][account_granularity]") {
  // msal-node's shape; NET/PY per-realm records read from other writers are
  // kept as separate records (their identity includes the realm).
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at")));
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext("guest-tid"),
      UserResponse(Alice(), "guest-tid", "User.Read", "guest")));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.accounts.size() == 1);
  CHECK(s.accounts[0].realm == Alice().utid);
  CHECK(s.accounts[0].tenant_profiles.size() == 2);

  CacheSnapshot net_style;
  Account per_realm = s.accounts[0];
  per_realm.realm = "guest-tid";
  per_realm.tenant_profiles.clear();
  net_style.accounts = {per_realm};
  REQUIRE_OK(f.cache->Import(net_style));
  CHECK(f.Snapshot().accounts.size() == 2);
}

TEST_CASE("Decision: GetAccounts lists accounts without an RT like PY",
          "[core][decision][accounts_without_rt]") {
  // NET lists only accounts with an RT for the app; opt in with a filter.
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at", /*rt=*/"")));
  CHECK(f.cache->GetAccounts()->size() == 1);
  AccountFilter net_rule;
  net_rule.with_refresh_token_for_client = "app-1";
  CHECK(f.cache->GetAccounts(net_rule)->empty());
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at", "rt")));
  CHECK(f.cache->GetAccounts(net_rule)->size() == 1);
  net_rule.with_refresh_token_for_client = "app-2";
  CHECK(f.cache->GetAccounts(net_rule)->empty());
}

TEST_CASE("Decision: RemoveAccount covers every environment like NET",
          "[core][decision][remove_all_envs]") {
  // PY and Node remove only the account's exact environment.
  Fixture f;
  CacheSnapshot s;
  AccessToken a = AliceAt("User.Read", "a");
  AccessToken b = AliceAt("Mail.Read", "b");
  b.environment = "login.microsoftonline.com";
  AccessToken c = AliceAt("Files.Read", "c");
  c.environment = "login.microsoftonline.us";  // Another cloud, same user.
  s.access_tokens = {a, b, c};
  REQUIRE_OK(f.cache->Import(s));
  REQUIRE_OK(f.cache->RemoveAccount(Alice().home()));
  CHECK(f.Snapshot().access_tokens.empty());
}

TEST_CASE("Decision: Import keeps the newer of two records of one identity",
          "[core][decision][import_newer_wins]") {
  // ATs by cached_at, RTs by last_modification_time; otherwise the
  // incoming record wins. The loser's unknown fields are merged in.
  Fixture f;
  AccessToken newer = AliceAt("User.Read", "newer");
  newer.cached_at = kNow - 10;
  AccessToken older = AliceAt("user.read", "older");
  older.cached_at = kNow - 500;
  older.extra = {{"only_in_older", "1"}};
  CacheSnapshot first;
  first.access_tokens = {newer};
  REQUIRE_OK(f.cache->Import(first));
  CacheSnapshot second;
  second.access_tokens = {older};
  REQUIRE_OK(f.cache->Import(second));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.access_tokens.size() == 1);
  CHECK(s.access_tokens[0].secret.view() == "newer");
  CHECK(s.access_tokens[0].extra == ExtraFields{{"only_in_older", "1"}});
}

}  // namespace
}  // namespace tokencache
