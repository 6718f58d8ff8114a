// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cache-core/rules.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace tokencache {
namespace internal {
namespace {

using Scopes = std::vector<std::string>;

TEST_CASE("Every host of a cloud's alias group maps to its preferred_cache",
          "[core][rules][aliases]") {
  struct Case {
    const char* host;
    const char* preferred_cache;
  };
  const Case cases[] = {
      {"login.microsoftonline.com", "login.windows.net"},
      {"login.windows.net", "login.windows.net"},
      {"login.microsoft.com", "login.windows.net"},
      {"sts.windows.net", "login.windows.net"},
      {"login.partner.microsoftonline.cn", "login.partner.microsoftonline.cn"},
      {"login.chinacloudapi.cn", "login.partner.microsoftonline.cn"},
      {"login.microsoftonline.de", "login.microsoftonline.de"},
      {"login.microsoftonline.us", "login.microsoftonline.us"},
      {"login.usgovcloudapi.net", "login.microsoftonline.us"},
      {"login-us.microsoftonline.com", "login-us.microsoftonline.com"},
      {"login.sovcloud-identity.fr", "login.sovcloud-identity.fr"},
      {"login.sovcloud-identity.de", "login.sovcloud-identity.de"},
      {"login.sovcloud-identity.sg", "login.sovcloud-identity.sg"},
      {"login.windows-ppe.net", "login.windows-ppe.net"},
      {"sts.windows-ppe.net", "login.windows-ppe.net"},
      {"login.microsoft-ppe.com", "login.windows-ppe.net"},
  };
  for (const Case& c : cases) {
    INFO(c.host);
    REQUIRE(FindAliasGroup(c.host) != nullptr);
    CHECK(PreferredCacheHost(c.host) == c.preferred_cache);
    CHECK(EnvironmentGroupKey(c.host) == c.preferred_cache);
  }
  // Every alias of every known group was listed above.
  std::size_t aliases = 0;
  for (const AliasGroup& g : KnownAliasGroups()) aliases += g.hosts.size();
  CHECK(aliases == sizeof(cases) / sizeof(cases[0]));
}

TEST_CASE("Clouds do not alias each other", "[core][rules][aliases]") {
  CHECK(EnvironmentGroupKey("login.microsoftonline.com") !=
        EnvironmentGroupKey("login.microsoftonline.us"));
  CHECK(EnvironmentGroupKey("login.chinacloudapi.cn") !=
        EnvironmentGroupKey("login.microsoftonline.de"));
  CHECK(EnvironmentGroupKey("login-us.microsoftonline.com") !=
        EnvironmentGroupKey("login.microsoftonline.us"));
}

TEST_CASE("Host matching is case-insensitive and tolerates URLs",
          "[core][rules][aliases]") {
  CHECK(PreferredCacheHost("LOGIN.MicrosoftOnline.COM") == "login.windows.net");
  CHECK(PreferredCacheHost("https://login.microsoftonline.com/common/") ==
        "login.windows.net");
  CHECK(HostOf(" https://login.microsoftonline.us/tid ") ==
        "login.microsoftonline.us");
}

TEST_CASE("An unknown host is its own alias group", "[core][rules][aliases]") {
  CHECK(FindAliasGroup("login.contoso.example") == nullptr);
  CHECK(EnvironmentGroupKey("Login.Contoso.Example") == "login.contoso.example");
  CHECK(PreferredCacheHost("Login.Contoso.Example") == "login.contoso.example");
  CHECK(EnvironmentGroupKey("login.contoso.example") !=
        EnvironmentGroupKey("login.fabrikam.example"));
}

TEST_CASE("Requested scopes must be a subset of the token's scopes",
          "[core][rules][scopes]") {
  const Scopes token = NormalizeScopes("api://x/Read User.Read openid profile");
  CHECK(ScopesSatisfy(token, {"User.Read"}));
  CHECK(ScopesSatisfy(token, {"api://x/read", "user.read"}));
  CHECK_FALSE(ScopesSatisfy(token, {"User.Read", "Mail.Read"}));
  CHECK_FALSE(ScopesSatisfy(token, {"Mail.Read"}));
}

TEST_CASE("Scope comparison ignores case", "[core][rules][scopes]") {
  const Scopes token = NormalizeScopes("HTTPS://graph.microsoft.com/User.Read");
  CHECK(ScopesSatisfy(token, {"https://GRAPH.microsoft.com/user.read"}));
}

TEST_CASE("OIDC scopes in a request are ignored when others are present",
          "[core][rules][scopes][oidc]") {
  const Scopes token = NormalizeScopes("User.Read");  // No OIDC granted.
  CHECK(ScopesSatisfy(token, {"User.Read", "openid", "profile",
                              "offline_access", "email"}));
  CHECK(ScopesSatisfy(token, {"OpenID", "User.Read"}));
}

TEST_CASE("A request of only OIDC scopes keeps them except offline_access",
          "[core][rules][scopes][oidc]") {
  const Scopes with_oidc = NormalizeScopes("openid profile User.Read");
  const Scopes without = NormalizeScopes("User.Read");
  CHECK(ScopesSatisfy(with_oidc, {"openid", "profile", "offline_access"}));
  CHECK_FALSE(ScopesSatisfy(without, {"openid", "profile"}));
  CHECK_FALSE(ScopesSatisfy(with_oidc, {"email"}));
  CHECK(ScopesSatisfy(without, {"offline_access"}));
}

TEST_CASE("Normalized scope sets are lower-case, sorted and de-duplicated",
          "[core][rules][scopes]") {
  CHECK(NormalizeScopes("  b A  a\tC ") == Scopes{"a", "b", "c"});
  CHECK(NormalizeScopes("").empty());
}

TEST_CASE("Scope sets intersect only on non-OIDC scopes unless only OIDC",
          "[core][rules][scopes][write]") {
  const Scopes a = NormalizeScopes("User.Read openid profile");
  const Scopes b = NormalizeScopes("Mail.Read openid profile");
  const Scopes c = NormalizeScopes("user.read mail.send");
  const Scopes only_oidc = NormalizeScopes("openid profile");
  CHECK_FALSE(ScopeSetsIntersect(a, b));
  CHECK(ScopeSetsIntersect(a, c));
  CHECK(ScopeSetsIntersect(c, a));
  CHECK(ScopeSetsIntersect(only_oidc, NormalizeScopes("openid")));
  CHECK_FALSE(ScopeSetsIntersect(only_oidc, a));
}

TEST_CASE("Token types compare case-insensitively with empty as Bearer",
          "[core][rules][token_type]") {
  CHECK(TokenTypesEqual("", "Bearer"));
  CHECK(TokenTypesEqual("bearer", "BEARER"));
  CHECK(TokenTypesEqual("PoP", "pop"));
  CHECK_FALSE(TokenTypesEqual("", "pop"));
  CHECK_FALSE(TokenTypesEqual("ssh-cert", "pop"));
}

TEST_CASE("Extra key components match as equal sets only",
          "[core][rules][components]") {
  const StringPairs ab = {{"a", "1"}, {"b", "2"}};
  const StringPairs ba = {{"b", "2"}, {"a", "1"}};
  CHECK(ComponentsEqual({}, {}));
  CHECK(ComponentsEqual(ab, ba));
  CHECK_FALSE(ComponentsEqual(ab, {}));
  CHECK_FALSE(ComponentsEqual({}, ab));
  CHECK_FALSE(ComponentsEqual(ab, {{"a", "1"}}));
  CHECK_FALSE(ComponentsEqual({{"a", "1"}}, {{"a", "2"}}));
}

TEST_CASE("Tenantless authorities are common, organizations and consumers",
          "[core][rules][realm]") {
  CHECK(IsTenantless("common"));
  CHECK(IsTenantless("Organizations"));
  CHECK(IsTenantless("consumers"));
  CHECK(IsTenantless(""));
  CHECK_FALSE(IsTenantless("contoso.onmicrosoft.com"));
  CHECK(HomeTenantOf("uid.utid") == "utid");
  CHECK(HomeTenantOf("adfs-sub").empty());
}

TEST_CASE("Access token expiry honours the buffer, refresh_on and bad values",
          "[core][rules][expiry]") {
  const UnixSeconds now = 1'700'000'000;
  const std::chrono::seconds buffer(300);
  AccessToken at;
  at.cached_at = now - 10;

  SECTION("more than the buffer left is valid") {
    at.expires_on = now + 301;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kValid);
  }
  SECTION("exactly the buffer left is expired") {
    at.expires_on = now + 300;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kExpired);
  }
  SECTION("the buffer is configurable") {
    at.expires_on = now + 300;
    CHECK(AccessTokenState(at, now, std::chrono::seconds(60)) ==
          LookupState::kValid);
  }
  SECTION("past refresh_on a valid token is due for refresh") {
    at.expires_on = now + 3600;
    at.refresh_on = now - 1;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kRefreshDue);
    at.refresh_on = now;  // Not yet past.
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kValid);
  }
  SECTION("refresh_on does not revive an expired token") {
    at.expires_on = now + 100;
    at.refresh_on = now - 1;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kExpired);
  }
  SECTION("cached_at in the future means the clock went back: expired") {
    at.expires_on = now + 3600;
    at.cached_at = now + 1;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kExpired);
    at.cached_at = now;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kValid);
  }
  SECTION("more than ten years ahead is treated as expired") {
    at.expires_on = now + kMaxAccessTokenLifetime + 1;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kExpired);
    at.expires_on = now + kMaxAccessTokenLifetime;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kValid);
  }
  SECTION("a missing expires_on is expired") {
    at.expires_on = 0;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kExpired);
  }
  SECTION("a missing cached_at is ignored") {
    at.cached_at = 0;
    at.expires_on = now + 3600;
    CHECK(AccessTokenState(at, now, buffer) == LookupState::kValid);
  }
}

}  // namespace
}  // namespace internal
}  // namespace tokencache
