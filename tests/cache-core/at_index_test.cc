// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The access-token index of CacheState (one entry per access-token prefix)
// must give the answers a scan of everything stored gives, after every kind
// of mutation: inserts, the writer's intersecting-scope deletions,
// RemoveAccount, a rolled-back transaction and an Import.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "cache-core/cache_state.h"
#include "cache-core/record_key.h"
#include "cache-core/rules.h"
#include "tests/cache-core/core_test_util.h"
#include "tests/support/status_matchers.h"

namespace tokencache {
namespace internal {
namespace {

constexpr UnixSeconds kNow = 1'700'000'000;
const std::chrono::seconds kBuffer(300);

int Rank(LookupState state) {
  switch (state) {
    case LookupState::kValid: return 3;
    case LookupState::kRefreshDue: return 2;
    case LookupState::kExpired: return 1;
    case LookupState::kNotFound: return 0;
  }
  return 0;
}

std::string PrefixOf(const std::string& home, const std::string& client,
                     const std::string& realm, const std::string& uah) {
  std::string prefix;
  AccessTokenPrefix(&prefix, home, client, realm, uah);
  return prefix;
}

// The rules of msal-cache-rules.md §3 applied to every access token of a
// snapshot, without any index.
struct Expected {
  std::size_t match_count = 0;
  LookupState state = LookupState::kNotFound;
  std::vector<std::string> best_secrets;  // Equally good answers.
};

Expected BruteForce(const CacheSnapshot& all, const AccessTokenQuery& q) {
  Expected e;
  const std::string want = PrefixOf(q.home_account_id, q.client_id, q.realm,
                                    q.user_assertion_hash);
  UnixSeconds best_cached_at = 0;
  for (const AccessToken& at : all.access_tokens) {
    if (PrefixOf(at.home_account_id, at.client_id, at.realm,
                 at.user_assertion_hash) != want ||
        !EqualsIgnoreCase(EnvironmentGroupView(at.environment),
                          EnvironmentGroupView(q.environment)) ||
        !TokenTypesEqual(NormalizeTokenType(at.token_type), q.token_type) ||
        !EqualsIgnoreCase(at.key_id, q.key_id) ||
        !ComponentsEqual(at.additional_key_components,
                         q.additional_key_components) ||
        !ScopesSatisfy(NormalizeScopes(at.target), q.scopes)) {
      continue;
    }
    ++e.match_count;
    const LookupState state = AccessTokenState(at, kNow, kBuffer);
    const std::string secret(at.secret.view());
    if (e.best_secrets.empty() || Rank(state) > Rank(e.state) ||
        (state == e.state && at.cached_at > best_cached_at)) {
      e.state = state;
      best_cached_at = at.cached_at;
      e.best_secrets = {secret};
    } else if (state == e.state && at.cached_at == best_cached_at) {
      e.best_secrets.push_back(secret);
    }
  }
  return e;
}

std::string ToUpperForTest(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// Queries derived from every stored access token: its own scopes, one of
// them in upper case, OIDC scopes only, a scope it lacks, another cloud
// alias, another token type, key id and extra components.
std::vector<AccessTokenQuery> QueriesFor(const CacheSnapshot& all) {
  std::vector<AccessTokenQuery> out;
  for (const AccessToken& at : all.access_tokens) {
    AccessTokenQuery q;
    q.home_account_id = at.home_account_id;
    q.environment = at.environment;
    q.client_id = at.client_id;
    q.realm = at.realm;
    q.token_type = at.token_type;
    q.key_id = at.key_id;
    q.user_assertion_hash = at.user_assertion_hash;
    q.additional_key_components = at.additional_key_components;
    const std::vector<std::string> scopes = NormalizeScopes(at.target);
    q.scopes = scopes;
    out.push_back(q);
    if (!scopes.empty()) {
      q.scopes = {ToUpperForTest(scopes.front())};
      out.push_back(q);
    }
    q.scopes = {"openid", "offline_access"};
    out.push_back(q);
    q.scopes = {"absent.scope"};
    out.push_back(q);
    q.scopes = scopes;
    q.environment = "login.microsoftonline.com";
    out.push_back(q);
    q.environment = at.environment;
    q.token_type = "pop";
    out.push_back(q);
    q.token_type = at.token_type;
    q.key_id = "other-kid";
    out.push_back(q);
    q.key_id = at.key_id;
    q.additional_key_components = {{"claims", "x"}};
    out.push_back(q);
  }
  return out;
}

// Checks every query derived from `sources` (and from what is stored now)
// against a brute-force scan of Export(). Returns how many were checked.
std::size_t CheckAgainstScan(const CacheState& state,
                             std::vector<CacheSnapshot> sources) {
  const CacheSnapshot all = state.Export();
  sources.push_back(all);
  std::size_t checked = 0;
  for (const CacheSnapshot& source : sources) {
    for (const AccessTokenQuery& q : QueriesFor(source)) {
      const Expected want = BruteForce(all, q);
      const AccessTokenLookup got = state.FindAccessToken(q, kNow, kBuffer);
      INFO("query #" << checked << " for client " << q.client_id
                     << ", realm " << q.realm);
      CHECK(got.match_count == want.match_count);
      CHECK(got.state == want.state);
      const bool usable = want.state == LookupState::kValid ||
                          want.state == LookupState::kRefreshDue;
      REQUIRE(got.token.has_value() == usable);
      if (usable) {
        const std::string secret(got.token->secret.view());
        bool among_best = false;
        for (const std::string& s : want.best_secrets) {
          among_best = among_best || s == secret;
        }
        CHECK(among_best);  // The secret itself is never printed.
      }
      ++checked;
    }
  }
  return checked;
}

UnixSeconds g_clock = kNow - 3000;

AccessToken MakeAt(const std::string& home, const std::string& client,
                   const std::string& realm, const std::string& target,
                   const std::string& secret) {
  AccessToken at;
  at.home_account_id = home;
  at.environment = "login.windows.net";
  at.client_id = client;
  at.realm = realm;
  at.target = target;
  at.secret = SecretBytes(secret);
  at.cached_at = ++g_clock;  // Distinct, so "newest" is well defined.
  at.expires_on = kNow + 3600;
  return at;
}

// A varied population: three users and app-only and on-behalf-of tokens,
// two clients and realms, several scope sets (some sharing scopes, so some
// lookups have several matches), other clouds, PoP tokens, key ids, extra
// key components, expired and refresh-due tokens.
void Populate(CacheState* state) {
  const std::vector<std::string> targets = {
      "User.Read openid profile", "Mail.Read", "Mail.Read Mail.Send",
      "Files.Read.All Sites.Read.All", "api://x/.default", "Calendars.Read"};
  int n = 0;
  for (const std::string home : {"u1.t1", "u2.t1", "U3.T2", ""}) {
    for (const std::string client : {"app-a", "APP-B"}) {
      for (const std::string realm : {"t1", "t2"}) {
        for (const std::string& target : targets) {
          AccessToken at = MakeAt(home, client, realm, target,
                                  "s" + std::to_string(++n));
          switch (n % 7) {
            case 1: at.environment = "login.microsoftonline.com"; break;
            case 2: at.environment = "login.chinacloudapi.cn"; break;
            case 3: at.token_type = "pop"; at.key_id = "Kid-1"; break;
            case 4: at.additional_key_components = {{"claims", "x"}}; break;
            case 5: at.expires_on = kNow + 10; break;     // Expired.
            case 6: at.refresh_on = kNow - 10; break;     // Refresh due.
            default: break;
          }
          state->Upsert(at);
        }
      }
    }
  }
  for (const std::string uah : {"Assertion-1", "assertion-2"}) {
    for (const std::string& target : targets) {
      AccessToken at =
          MakeAt("u1.t1", "app-a", "t1", target, "o" + std::to_string(++n));
      at.user_assertion_hash = uah;
      state->Upsert(at);
    }
  }
  RefreshToken rt;
  rt.home_account_id = "u1.t1";
  rt.environment = "login.windows.net";
  rt.client_id = "app-a";
  rt.secret = SecretBytes("rt");
  state->Upsert(rt);
  Account account;
  account.home_account_id = "u1.t1";
  account.environment = "login.windows.net";
  account.realm = "t1";
  account.local_account_id = "u1";
  account.username = "u1@example.com";
  state->Upsert(account);
}

TEST_CASE("Access-token lookups agree with a scan of every stored token "
          "after inserts and deletions and rollback and import",
          "[core][lookup][index]") {
  CacheState state;
  Populate(&state);
  const CacheSnapshot populated = state.Export();
  REQUIRE(populated.access_tokens.size() > 100);
  CHECK(CheckAgainstScan(state, {}) > 800);

  SECTION("a token response deletes the tokens whose scopes intersect") {
    // u1.t1 already has tokens under this prefix: the responses delete
    // some of them.
    const test::User u1{"u1", "t1", "u1@example.com", "U1"};
    for (const char* scope : {"Mail.Send", "Files.Read.All User.Read"}) {
      REQUIRE_OK(state.ApplyTokenResponse(
          test::UserContext("t1", "app-a", "login.windows.net"),
          test::UserResponse(u1, "t1", scope, std::string("u1-") + scope),
          kNow));
    }
    const test::User& alice = test::Alice();
    for (const char* scope :
         {"Mail.Read", "Mail.Read Mail.Send", "Mail.Send Calendars.Read",
          "User.Read", "Files.Read.All"}) {
      REQUIRE_OK(state.ApplyTokenResponse(
          test::UserContext(alice.utid),
          test::UserResponse(alice, alice.utid, scope,
                             std::string("a-") + scope),
          kNow));
    }
    const CacheSnapshot after = state.Export();
    // Three Mail-related responses left one Mail token.
    std::size_t alice_tokens = 0;
    for (const AccessToken& at : after.access_tokens) {
      if (at.home_account_id == alice.home()) ++alice_tokens;
    }
    CHECK(alice_tokens == 3);
    CHECK(CheckAgainstScan(state, {populated}) > 800);
  }

  SECTION("RemoveAccount drops the account's tokens from lookups") {
    CHECK(state.RemoveAccount("U1.T1") > 0);
    for (const AccessToken& at : state.Export().access_tokens) {
      CHECK_FALSE(EqualsIgnoreCase(at.home_account_id, "u1.t1"));
    }
    CHECK(CheckAgainstScan(state, {populated}) > 800);
  }

  SECTION("a rolled-back transaction restores what lookups see") {
    state.BeginJournal();
    state.RemoveAccount("u2.t1");
    AccessToken replaced = populated.access_tokens.front();
    replaced.target = "Totally.Different";
    replaced.secret = SecretBytes("replaced");
    state.Upsert(replaced);
    state.Upsert(MakeAt("u9.t9", "app-a", "t1", "Mail.Read", "new"));
    const test::User u1{"u1", "t1", "u1@example.com", "U1"};
    REQUIRE_OK(state.ApplyTokenResponse(
        test::UserContext("t1", "app-a"),
        test::UserResponse(u1, "t1", "Mail.Read Calendars.Read", "u1-new"),
        kNow));
    const CacheSnapshot during = state.Export();
    CHECK(CheckAgainstScan(state, {populated}) > 100);
    state.RollbackJournal();
    CHECK(state.Export().access_tokens.size() ==
          populated.access_tokens.size());
    CHECK(CheckAgainstScan(state, {populated, during}) > 800);
  }

  SECTION("an import adds, replaces and keeps tokens as merged") {
    CacheSnapshot incoming;
    for (std::size_t i = 0; i < populated.access_tokens.size(); i += 3) {
      AccessToken at = populated.access_tokens[i];
      at.secret = SecretBytes("imported-" + std::to_string(i));
      // Every other one is older than the stored token and loses.
      at.cached_at += (i % 2 == 0) ? 100 : -100;
      incoming.access_tokens.push_back(at);
    }
    AccessToken fresh = MakeAt("u7.t1", "app-a", "t1", "Mail.Read", "i-new");
    incoming.access_tokens.push_back(fresh);
    fresh.target = "Mail.Read Mail.Send";  // Another identity, same prefix.
    fresh.secret = SecretBytes("i-new-2");
    fresh.cached_at = ++g_clock;
    incoming.access_tokens.push_back(fresh);
    state.Import(incoming);
    CHECK(CheckAgainstScan(state, {populated, incoming}) > 800);
  }
}

}  // namespace
}  // namespace internal
}  // namespace tokencache
