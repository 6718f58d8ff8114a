// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Cache::ApplyTokenResponse: the write rules of msal-cache-rules.md §6.

#include <catch2/catch.hpp>

#include <algorithm>
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
  AccessTokenLookup Find(const std::string& home, const std::string& realm,
                         std::vector<std::string> scopes,
                         const std::string& client = "app-1") {
    AccessTokenQuery q;
    q.home_account_id = home;
    q.environment = "login.microsoftonline.com";
    q.client_id = client;
    q.realm = realm;
    q.scopes = std::move(scopes);
    Result<AccessTokenLookup> r = cache->FindAccessToken(q);
    REQUIRE_OK(r);
    return *r;
  }
};

TEST_CASE("An interactive response stores AT, RT, ID token, account, metadata",
          "[core][write]") {
  Fixture f;
  TokenRequestContext ctx = UserContext(Alice().utid);
  TokenResponse resp =
      UserResponse(Alice(), Alice().utid, "User.Read openid profile", "at-1");
  resp.refresh_in = 1800;
  REQUIRE_OK(f.cache->ApplyTokenResponse(ctx, resp));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.access_tokens.size() == 1);
  const AccessToken& at = s.access_tokens[0];
  CHECK(at.home_account_id == "alice-uid.contoso-tid");
  CHECK(at.environment == "login.windows.net");  // preferred_cache.
  CHECK(at.client_id == "app-1");
  CHECK(at.realm == "contoso-tid");
  CHECK(at.target == "User.Read openid profile");
  CHECK(at.secret.view() == "at-1");
  CHECK(at.cached_at == kNow);
  CHECK(at.expires_on == kNow + 3600);
  CHECK(at.extended_expires_on == kNow + 7200);
  CHECK(at.refresh_on == kNow + 1800);
  CHECK(at.token_type == "Bearer");

  REQUIRE(s.refresh_tokens.size() == 1);
  CHECK(s.refresh_tokens[0].secret.view() == "rt");
  CHECK(s.refresh_tokens[0].family_id.empty());
  REQUIRE(s.id_tokens.size() == 1);
  CHECK(s.id_tokens[0].realm == "contoso-tid");
  REQUIRE(s.accounts.size() == 1);
  const Account& account = s.accounts[0];
  CHECK(account.realm == "contoso-tid");
  CHECK(account.local_account_id == "alice-uid");
  CHECK(account.username == "alice@contoso.example");
  CHECK(account.name == "Alice");
  CHECK(account.authority_type == "MSSTS");
  CHECK(account.client_info == resp.client_info);
  REQUIRE(account.tenant_profiles.size() == 1);
  CHECK(account.tenant_profiles[0].is_home_tenant);
  REQUIRE(s.app_metadata.size() == 1);
  CHECK(s.app_metadata[0].family_id.empty());
}

TEST_CASE("The request time is the base of expires_on when given",
          "[core][write][expiry]") {
  Fixture f;
  TokenRequestContext ctx = UserContext(Alice().utid);
  ctx.request_time = kNow - 20;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      ctx, UserResponse(Alice(), Alice().utid, "User.Read", "at")));
  CHECK(f.Snapshot().access_tokens[0].expires_on == kNow - 20 + 3600);
}

TEST_CASE("Writing deletes ATs with intersecting scopes of the same identity",
          "[core][write][intersect]") {
  Fixture f;
  TokenRequestContext ctx = UserContext(Alice().utid);
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      ctx, UserResponse(Alice(), Alice().utid, "User.Read Mail.Read openid",
                        "old")));
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      ctx, UserResponse(Alice(), Alice().utid, "Files.Read openid", "files")));
  // Shares only "openid" with the first: both kept.
  CHECK(f.Snapshot().access_tokens.size() == 2);

  REQUIRE_OK(f.cache->ApplyTokenResponse(
      ctx, UserResponse(Alice(), Alice().utid, "mail.read Calendars.Read",
                        "new")));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.access_tokens.size() == 2);
  CHECK(f.Find(Alice().home(), Alice().utid, {"User.Read"}).state ==
        LookupState::kNotFound);
  AccessTokenLookup mail = f.Find(Alice().home(), Alice().utid, {"Mail.Read"});
  REQUIRE(mail.token.has_value());
  CHECK(mail.token->secret.view() == "new");
  CHECK(f.Find(Alice().home(), Alice().utid, {"Files.Read"}).state ==
        LookupState::kValid);

  SECTION("tokens of another realm, client or token type are kept") {
    REQUIRE_OK(f.cache->ApplyTokenResponse(
        UserContext("guest-tid"),
        UserResponse(Alice(), "guest-tid", "Mail.Read", "guest")));
    REQUIRE_OK(f.cache->ApplyTokenResponse(
        UserContext(Alice().utid, "app-2"),
        UserResponse(Alice(), Alice().utid, "Mail.Read", "app2")));
    TokenResponse pop =
        UserResponse(Alice(), Alice().utid, "Mail.Read", "pop");
    pop.token_type = "pop";
    TokenRequestContext pop_ctx = UserContext(Alice().utid);
    pop_ctx.key_id = "k1";
    REQUIRE_OK(f.cache->ApplyTokenResponse(pop_ctx, pop));
    CHECK(f.Snapshot().access_tokens.size() == 5);
    CHECK(f.Find(Alice().home(), Alice().utid, {"Mail.Read"})
              .token->secret.view() == "new");
  }
}

TEST_CASE("A refresh grant rotates the RT in the same mutation",
          "[core][write][rotation]") {
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at1", "rt-old")));
  TokenRequestContext refresh = UserContext(Alice().utid);
  refresh.grant = GrantKind::kRefreshToken;
  refresh.home_account_id = Alice().home();
  // Observe from inside one transaction that the new AT and the new RT are
  // written together: a single Update commits both or neither.
  Status s = f.cache->Update([&](CacheTransaction& txn) {
    Status applied = txn.ApplyTokenResponse(
        refresh,
        UserResponse(Alice(), Alice().utid, "Mail.Read", "at2", "rt-new"));
    if (!applied.ok()) return applied;
    RefreshTokenQuery q{Alice().home(), "login.windows.net", "app-1", ""};
    RefreshTokenLookup rts = txn.FindRefreshToken(q);
    CHECK(rts.app_token->secret.view() == "rt-new");
    return Status(Code::kUnavailable, "abort to test atomicity");
  });
  CHECK(s.code() == Code::kUnavailable);
  CacheSnapshot after_abort = f.Snapshot();
  REQUIRE(after_abort.refresh_tokens.size() == 1);
  CHECK(after_abort.refresh_tokens[0].secret.view() == "rt-old");
  CHECK(after_abort.access_tokens.size() == 1);

  REQUIRE_OK(f.cache->ApplyTokenResponse(
      refresh,
      UserResponse(Alice(), Alice().utid, "Mail.Read", "at2", "rt-new")));
  CacheSnapshot s2 = f.Snapshot();
  REQUIRE(s2.refresh_tokens.size() == 1);
  CHECK(s2.refresh_tokens[0].secret.view() == "rt-new");
  CHECK(s2.access_tokens.size() == 2);
}

TEST_CASE("A response without an RT keeps the stored RT",
          "[core][write][rotation]") {
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at1", "rt-old")));
  TokenRequestContext refresh = UserContext(Alice().utid);
  refresh.grant = GrantKind::kRefreshToken;
  refresh.home_account_id = Alice().home();
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      refresh, UserResponse(Alice(), Alice().utid, "Mail.Read", "at2", "")));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.refresh_tokens.size() == 1);
  CHECK(s.refresh_tokens[0].secret.view() == "rt-old");
}

TEST_CASE("A FOCI response writes a family RT and family AppMetadata",
          "[core][write][foci]") {
  Fixture f;
  TokenResponse resp =
      UserResponse(Alice(), Alice().utid, "User.Read", "at", "frt");
  resp.foci = "1";
  REQUIRE_OK(f.cache->ApplyTokenResponse(UserContext(Alice().utid, "app-a"),
                                         resp));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.refresh_tokens.size() == 1);
  CHECK(s.refresh_tokens[0].family_id == "1");
  CHECK(s.refresh_tokens[0].client_id == "app-a");
  REQUIRE(s.app_metadata.size() == 1);
  CHECK(s.app_metadata[0].family_id == "1");

  // Another family member finds the FRT; its own membership is unknown.
  Result<RefreshTokenLookup> other = f.cache->FindRefreshToken(
      {Alice().home(), "login.microsoftonline.com", "app-b", ""});
  REQUIRE_OK(other);
  CHECK(other->family_token.has_value());
  CHECK(other->membership == FociMembership::kUnknown);

  // The second family app signs in: one shared FRT, rotated.
  TokenResponse resp_b =
      UserResponse(Alice(), Alice().utid, "Files.Read", "at-b", "frt-2");
  resp_b.foci = "1";
  REQUIRE_OK(f.cache->ApplyTokenResponse(UserContext(Alice().utid, "app-b"),
                                         resp_b));
  CacheSnapshot s2 = f.Snapshot();
  REQUIRE(s2.refresh_tokens.size() == 1);
  CHECK(s2.refresh_tokens[0].secret.view() == "frt-2");
  CHECK(s2.app_metadata.size() == 2);
}

TEST_CASE("Identity comes from client_info, else the ID token, else request",
          "[core][write][identity]") {
  Fixture f;
  SECTION("client_info wins over the ID token subject") {
    REQUIRE_OK(f.cache->ApplyTokenResponse(
        UserContext(Alice().utid),
        UserResponse(Alice(), Alice().utid, "User.Read", "at")));
    CHECK(f.Snapshot().access_tokens[0].home_account_id ==
          "alice-uid.contoso-tid");
  }
  SECTION("without client_info the ID token's sub is the home id (ADFS)") {
    TokenResponse r = UserResponse(Alice(), Alice().utid, "User.Read", "at");
    r.client_info.clear();
    TokenRequestContext ctx = UserContext("adfs", "app-1", "adfs.contoso.com");
    REQUIRE_OK(f.cache->ApplyTokenResponse(ctx, r));
    CacheSnapshot s = f.Snapshot();
    CHECK(s.access_tokens[0].home_account_id == "sub-alice-uid");
    CHECK(s.access_tokens[0].environment == "adfs.contoso.com");
    REQUIRE(s.accounts.size() == 1);
    CHECK(s.accounts[0].authority_type == "ADFS");
  }
  SECTION("with neither, the requested account is used (refresh)") {
    TokenResponse r;
    r.access_token = SecretBytes("at");
    r.expires_in = 3600;
    r.scope = "User.Read";
    TokenRequestContext ctx = UserContext(Alice().utid);
    ctx.grant = GrantKind::kRefreshToken;
    ctx.home_account_id = Alice().home();
    REQUIRE_OK(f.cache->ApplyTokenResponse(ctx, r));
    CHECK(f.Snapshot().access_tokens[0].home_account_id == Alice().home());
  }
  SECTION("with no way to tell the account nothing is stored") {
    TokenResponse r;
    r.access_token = SecretBytes("at");
    r.refresh_token = SecretBytes("rt");
    Status s = f.cache->ApplyTokenResponse(UserContext(Alice().utid), r);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(f.Snapshot().access_tokens.empty());
  }
  SECTION("a response for another account than requested is refused") {
    TokenRequestContext ctx = UserContext(Alice().utid);
    ctx.grant = GrantKind::kRefreshToken;
    ctx.home_account_id = test::Bob().home();
    Status s = f.cache->ApplyTokenResponse(
        ctx, UserResponse(Alice(), Alice().utid, "User.Read", "at"));
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(f.Snapshot().access_tokens.empty());
  }
  SECTION("undecodable client_info or ID token is refused, nothing stored") {
    TokenResponse r = UserResponse(Alice(), Alice().utid, "User.Read", "at");
    r.client_info = "%%%not-base64";
    CHECK(f.cache->ApplyTokenResponse(UserContext(Alice().utid), r).code() ==
          Code::kInvalidArgument);
    r = UserResponse(Alice(), Alice().utid, "User.Read", "at");
    r.id_token = SecretBytes("not-a-jwt");
    Status s = f.cache->ApplyTokenResponse(UserContext(Alice().utid), r);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find("not-a-jwt") == std::string::npos);
    CHECK(f.Snapshot().access_tokens.empty());
  }
}

TEST_CASE("Realm is the tenanted authority's tenant or the ID token tid",
          "[core][write][realm]") {
  Fixture f;
  SECTION("common uses the ID token's tid") {
    REQUIRE_OK(f.cache->ApplyTokenResponse(
        UserContext("common"),
        UserResponse(Alice(), Alice().utid, "User.Read", "at")));
    CHECK(f.Snapshot().access_tokens[0].realm == Alice().utid);
  }
  SECTION("organizations without an ID token uses the home tenant") {
    TokenResponse r = UserResponse(Alice(), Alice().utid, "User.Read", "at");
    r.id_token.Clear();
    REQUIRE_OK(f.cache->ApplyTokenResponse(UserContext("organizations"), r));
    CHECK(f.Snapshot().access_tokens[0].realm == Alice().utid);
  }
  SECTION("a tenanted authority's tenant is kept as given") {
    REQUIRE_OK(f.cache->ApplyTokenResponse(
        UserContext("contoso.onmicrosoft.com"),
        UserResponse(Alice(), Alice().utid, "User.Read", "at")));
    CHECK(f.Snapshot().access_tokens[0].realm == "contoso.onmicrosoft.com");
  }
}

TEST_CASE("A guest-tenant response adds a tenant profile to the one account",
          "[core][write][account][tenant_profiles]") {
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "home-at")));
  TokenRequestContext guest = UserContext("woodgrove-tid");
  guest.grant = GrantKind::kRefreshToken;
  guest.home_account_id = Alice().home();
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      guest, UserResponse(Alice(), "woodgrove-tid", "api://crm/Read",
                          "guest-at")));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.accounts.size() == 1);
  const Account& account = s.accounts[0];
  CHECK(account.realm == Alice().utid);
  CHECK(account.local_account_id == "alice-uid");
  REQUIRE(account.tenant_profiles.size() == 2);
  const TenantProfile& p = account.tenant_profiles[1];
  CHECK(p.tenant_id == "woodgrove-tid");
  CHECK(p.local_account_id == "alice-uid-in-woodgrove-tid");
  CHECK_FALSE(p.is_home_tenant);
  CHECK(s.id_tokens.size() == 2);
  CHECK(f.Find(Alice().home(), "woodgrove-tid", {"api://crm/Read"})
            .token->secret.view() == "guest-at");
}

TEST_CASE("Unknown fields of an overwritten entity are merged into the new one",
          "[core][write][extras]") {
  Fixture f;
  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "User.Read", "at", "rt")));
  // A newer SDK added fields to every entity.
  CacheSnapshot s = f.Snapshot();
  for (auto& e : s.access_tokens) e.extra = {{"future_at", "1"}};
  for (auto& e : s.refresh_tokens) e.extra = {{"future_rt", "2"}};
  for (auto& e : s.id_tokens) e.extra = {{"future_id", "3"}};
  for (auto& e : s.accounts) e.extra = {{"future_acct", "4"}};
  for (auto& e : s.app_metadata) e.extra = {{"future_md", "5"}};
  REQUIRE_OK(f.cache->Import(s));

  REQUIRE_OK(f.cache->ApplyTokenResponse(
      UserContext(Alice().utid),
      UserResponse(Alice(), Alice().utid, "user.read", "at2", "rt2")));
  CacheSnapshot after = f.Snapshot();
  REQUIRE(after.access_tokens.size() == 1);
  CHECK(after.access_tokens[0].secret.view() == "at2");
  CHECK(after.access_tokens[0].extra == ExtraFields{{"future_at", "1"}});
  CHECK(after.refresh_tokens[0].secret.view() == "rt2");
  CHECK(after.refresh_tokens[0].extra == ExtraFields{{"future_rt", "2"}});
  CHECK(after.id_tokens[0].extra == ExtraFields{{"future_id", "3"}});
  CHECK(after.accounts[0].extra == ExtraFields{{"future_acct", "4"}});
  CHECK(after.app_metadata[0].extra == ExtraFields{{"future_md", "5"}});

  SECTION("an intersecting (not identical) AT's fields are not carried over") {
    REQUIRE_OK(f.cache->ApplyTokenResponse(
        UserContext(Alice().utid),
        UserResponse(Alice(), Alice().utid, "User.Read Mail.Read", "at3")));
    CacheSnapshot third = f.Snapshot();
    REQUIRE(third.access_tokens.size() == 1);
    CHECK(third.access_tokens[0].extra.empty());
  }
}

TEST_CASE("Client-credential responses store an app-only AT only",
          "[core][write][app_only]") {
  Fixture f;
  TokenRequestContext ctx = UserContext("tenant-1", "daemon");
  ctx.grant = GrantKind::kClientCredentials;
  ctx.scopes = {"https://graph.microsoft.com/.default"};
  TokenResponse r;
  r.access_token = SecretBytes("app-at");
  r.expires_in = 3600;
  REQUIRE_OK(f.cache->ApplyTokenResponse(ctx, r));
  CacheSnapshot s = f.Snapshot();
  REQUIRE(s.access_tokens.size() == 1);
  CHECK(s.access_tokens[0].home_account_id.empty());
  CHECK(s.access_tokens[0].target == "https://graph.microsoft.com/.default");
  CHECK(s.refresh_tokens.empty());
  CHECK(s.accounts.empty());
  CHECK(s.app_metadata.empty());
  AccessTokenLookup hit =
      f.Find("", "TENANT-1", {"https://graph.microsoft.com/.default"},
             "daemon");
  CHECK(hit.state == LookupState::kValid);
}

TEST_CASE("On-behalf-of responses are keyed by the assertion hash",
          "[core][write][obo]") {
  Fixture f;
  TokenRequestContext ctx = UserContext(Alice().utid, "mid-tier");
  ctx.grant = GrantKind::kOnBehalfOf;
  TokenResponse r = UserResponse(Alice(), Alice().utid, "api://down/x", "obo");
  CHECK(f.cache->ApplyTokenResponse(ctx, r).code() == Code::kInvalidArgument);
  ctx.user_assertion_hash = "hash-1";
  REQUIRE_OK(f.cache->ApplyTokenResponse(ctx, r));
  AccessTokenQuery q;
  q.environment = "login.microsoftonline.com";
  q.client_id = "mid-tier";
  q.realm = Alice().utid;
  q.scopes = {"api://down/x"};
  q.user_assertion_hash = "hash-1";
  Result<AccessTokenLookup> hit = f.cache->FindAccessToken(q);
  REQUIRE_OK(hit);
  CHECK(hit->state == LookupState::kValid);
}

TEST_CASE("Bad request contexts are refused", "[core][write][errors]") {
  Fixture f;
  TokenResponse r = UserResponse(Alice(), Alice().utid, "User.Read", "at");
  TokenRequestContext no_client = UserContext(Alice().utid, "");
  CHECK(f.cache->ApplyTokenResponse(no_client, r).code() ==
        Code::kInvalidArgument);
  TokenRequestContext no_host = UserContext(Alice().utid, "app-1", "");
  CHECK(f.cache->ApplyTokenResponse(no_host, r).code() ==
        Code::kInvalidArgument);
  CHECK(f.Snapshot().access_tokens.empty());
}

}  // namespace
}  // namespace tokencache
