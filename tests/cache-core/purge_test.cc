// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// CacheTransaction::PurgeExpiredAccessTokens removes exactly the access
// tokens a lookup would call expired, and nothing else.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "tests/support/status_matchers.h"
#include "tokencache/cache.h"
#include "tokencache/clock.h"
#include "tokencache/schema.h"

namespace tokencache {
namespace {

constexpr UnixSeconds kNow = 1'800'000'000;

AccessToken MakeAt(const std::string& realm, UnixSeconds expires_on,
                   UnixSeconds cached_at = kNow - 60) {
  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.microsoftonline.com";
  at.client_id = "app-1";
  at.realm = realm;
  at.target = "user.read";
  at.secret = SecretBytes("at-" + realm);
  at.cached_at = cached_at;
  at.expires_on = expires_on;
  at.extended_expires_on = expires_on;
  return at;
}

AccessTokenQuery QueryFor(const std::string& realm) {
  AccessTokenQuery q;
  q.home_account_id = "uid.utid";
  q.environment = "login.microsoftonline.com";
  q.client_id = "app-1";
  q.realm = realm;
  q.scopes = {"user.read"};
  return q;
}

struct Fixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(kNow);
  std::unique_ptr<Cache> cache;
  Fixture() {
    CacheOptions options;
    options.clock = clock;
    cache = Cache::NewInMemory(options);
    CacheSnapshot s;
    s.access_tokens.push_back(MakeAt("past", kNow - 10));
    s.access_tokens.push_back(MakeAt("in-buffer", kNow + 200));
    s.access_tokens.push_back(MakeAt("no-expiry", 0));
    s.access_tokens.push_back(MakeAt("future-cached", kNow + 3600,
                                     kNow + 100));
    s.access_tokens.push_back(MakeAt("valid", kNow + 3600));
    AccessToken due = MakeAt("refresh-due", kNow + 3600);
    due.refresh_on = kNow - 1;
    s.access_tokens.push_back(due);
    RefreshToken rt;
    rt.home_account_id = "uid.utid";
    rt.environment = "login.microsoftonline.com";
    rt.client_id = "app-1";
    rt.secret = SecretBytes("rt");
    rt.expires_on = kNow - 100;  // RTs are not this purge's business.
    s.refresh_tokens.push_back(rt);
    REQUIRE_OK(cache->Import(s));
  }
};

TEST_CASE("PurgeExpiredAccessTokens removes the ATs lookups report expired",
          "[purge]") {
  Fixture f;
  std::size_t removed = 0;
  REQUIRE_OK(f.cache->Update([&](CacheTransaction& txn) {
    removed = txn.PurgeExpiredAccessTokens();
    return Status();
  }));
  CHECK(removed == 4);
  for (const char* gone : {"past", "in-buffer", "no-expiry", "future-cached"}) {
    Result<AccessTokenLookup> lookup = f.cache->FindAccessToken(QueryFor(gone));
    REQUIRE_OK(lookup.status());
    INFO(gone);
    CHECK(lookup->state == LookupState::kNotFound);
  }
  Result<AccessTokenLookup> valid = f.cache->FindAccessToken(QueryFor("valid"));
  REQUIRE_OK(valid.status());
  CHECK(valid->state == LookupState::kValid);
  Result<AccessTokenLookup> due =
      f.cache->FindAccessToken(QueryFor("refresh-due"));
  REQUIRE_OK(due.status());
  CHECK(due->state == LookupState::kRefreshDue);
  Result<CacheSnapshot> after = f.cache->Export();
  REQUIRE_OK(after.status());
  CHECK(after->access_tokens.size() == 2);
  CHECK(after->refresh_tokens.size() == 1);
}

TEST_CASE("PurgeExpiredAccessTokens judges expiry by the cache's clock",
          "[purge]") {
  Fixture f;
  CacheSnapshot more;
  more.access_tokens.push_back(MakeAt("long", kNow + 7200));
  REQUIRE_OK(f.cache->Import(more));
  // 200 s before "valid" and "refresh-due" expire: inside the buffer.
  f.clock->Set(kNow + 3400);
  std::size_t removed = 0;
  REQUIRE_OK(f.cache->Update([&](CacheTransaction& txn) {
    removed = txn.PurgeExpiredAccessTokens();
    return Status();
  }));
  CHECK(removed == 6);
  Result<CacheSnapshot> after = f.cache->Export();
  REQUIRE_OK(after.status());
  REQUIRE(after->access_tokens.size() == 1);
  CHECK(after->access_tokens[0].realm == "long");
}

TEST_CASE("A second purge finds nothing and a failed Update keeps the ATs",
          "[purge]") {
  Fixture f;
  Status s = f.cache->Update([&](CacheTransaction& txn) {
    CHECK(txn.PurgeExpiredAccessTokens() == 4);
    return Status(Code::kInternal, "abort");
  });
  CHECK(s.code() == Code::kInternal);
  Result<CacheSnapshot> kept = f.cache->Export();
  REQUIRE_OK(kept.status());
  CHECK(kept->access_tokens.size() == 6);
  std::size_t first = 0;
  std::size_t second = 0;
  REQUIRE_OK(f.cache->Update([&](CacheTransaction& txn) {
    first = txn.PurgeExpiredAccessTokens();
    second = txn.PurgeExpiredAccessTokens();
    return Status();
  }));
  CHECK(first == 4);
  CHECK(second == 0);
}

}  // namespace
}  // namespace tokencache
