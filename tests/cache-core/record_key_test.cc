// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "cache-core/record_key.h"

#include <catch2/catch.hpp>

#include <string>

namespace tokencache {
namespace internal {
namespace {

AccessToken UserAt() {
  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.windows.net";
  at.client_id = "cid";
  at.realm = "utid";
  at.target = "api://x/read User.Read";
  return at;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

TEST_CASE("The record key of a user access token follows the documented layout",
          "[core][record_key]") {
  CHECK(RecordKey(UserAt()) ==
        "u|uid.utid|at|cid|utid|login.windows.net|bearer|||api://x/read "
        "user.read");
}

TEST_CASE("Access tokens equal by identity have equal keys",
          "[core][record_key][identity]") {
  AccessToken a = UserAt();
  AccessToken b = UserAt();
  b.home_account_id = "UID.UTID";
  b.environment = "LOGIN.microsoftonline.com";  // Alias of the same cloud.
  b.client_id = "CID";
  b.realm = "UTID";
  b.target = "user.read  API://X/READ user.read";  // Order, case, dups.
  b.token_type = "BEARER";
  CHECK(RecordKey(a) == RecordKey(b));

  SECTION("an empty token type is Bearer") {
    b.token_type = "";
    CHECK(RecordKey(a) == RecordKey(b));
  }
}

TEST_CASE("Each identity field distinguishes access token keys",
          "[core][record_key][identity]") {
  const std::string base = RecordKey(UserAt());
  AccessToken at = UserAt();
  SECTION("scope set") { at.target = "api://x/read"; }
  SECTION("token type") { at.token_type = "pop"; }
  SECTION("key id") { at.key_id = "kid-1"; }
  SECTION("extra components") { at.additional_key_components = {{"k", "v"}}; }
  SECTION("user assertion hash") { at.user_assertion_hash = "hash"; }
  SECTION("another cloud") { at.environment = "login.microsoftonline.us"; }
  SECTION("an unknown host") { at.environment = "login.contoso.example"; }
  SECTION("realm") { at.realm = "other"; }
  SECTION("client") { at.client_id = "cid2"; }
  SECTION("home account") { at.home_account_id = "uid2.utid"; }
  CHECK(RecordKey(at) != base);
}

TEST_CASE("Record keys put the partition first so partitions are prefixes",
          "[core][record_key][partition]") {
  AccessToken user = UserAt();
  RefreshToken rt;
  rt.home_account_id = "uid.utid";
  rt.environment = "login.windows.net";
  rt.client_id = "cid";
  IdToken id;
  id.home_account_id = "uid.utid";
  id.environment = "login.windows.net";
  id.client_id = "cid";
  id.realm = "utid";
  Account account;
  account.home_account_id = "uid.utid";
  account.environment = "login.windows.net";
  account.realm = "utid";
  const std::string partition = AccountPartitionPrefix("UID.utid");
  CHECK(partition == "u|uid.utid|");
  CHECK(StartsWith(RecordKey(user), partition));
  CHECK(StartsWith(RecordKey(rt), partition));
  CHECK(StartsWith(RecordKey(id), partition));
  CHECK(StartsWith(RecordKey(account), partition));

  std::string prefix;
  AccessTokenPrefix(&prefix, "uid.utid", "CID", "UTID", "");
  CHECK(prefix == "u|uid.utid|at|cid|utid|");
  CHECK(StartsWith(RecordKey(user), prefix));

  SECTION("app-only tokens are partitioned by client and tenant") {
    AccessToken app = UserAt();
    app.home_account_id.clear();
    CHECK(StartsWith(RecordKey(app), "a|cid|utid|at|cid|utid|"));
  }
  SECTION("on-behalf-of tokens are partitioned by assertion hash") {
    AccessToken obo = UserAt();
    obo.user_assertion_hash = "AbC=";
    // The hash keeps its case; '=' is escaped.
    CHECK(StartsWith(RecordKey(obo), "o|cid|AbC%3D|at|cid|utid|"));
  }
}

TEST_CASE("A family refresh token is keyed by family, an app RT by client",
          "[core][record_key]") {
  RefreshToken rt;
  rt.home_account_id = "h";
  rt.environment = "login.microsoftonline.com";
  rt.client_id = "cid";
  CHECK(RecordKey(rt) == "u|h|rt|c:cid|login.windows.net");
  rt.family_id = "1";
  CHECK(RecordKey(rt) == "u|h|rt|f:1|login.windows.net");
  RefreshToken other_app = rt;
  other_app.client_id = "cid2";
  CHECK(RecordKey(other_app) == RecordKey(rt));
}

TEST_CASE("AppMetadata keys ignore the alias used", "[core][record_key]") {
  AppMetadata a{"CID", "login.microsoftonline.com", "1", {}};
  AppMetadata b{"cid", "sts.windows.net", "", {}};
  CHECK(RecordKey(a) == "m|am|cid|login.windows.net");
  CHECK(RecordKey(a) == RecordKey(b));
}

TEST_CASE("Separators inside components are escaped so keys cannot collide",
          "[core][record_key][escaping]") {
  std::string out;
  AppendKeyComponent(&out, "a|b c,d=e%f\x01", /*lower=*/false);
  CHECK(out == "a%7Cb%20c%2Cd%3De%25f%01");

  SECTION("a home id containing the separator is not a partition prefix") {
    // Without escaping, home "a|at" could look like partition "a".
    AccessToken x = UserAt();
    x.home_account_id = "a|at|cid";
    CHECK_FALSE(StartsWith(RecordKey(x), AccountPartitionPrefix("a")));
    CHECK(StartsWith(RecordKey(x), AccountPartitionPrefix("a|at|cid")));
  }
  SECTION("scopes with spaces escaped stay distinct from scope sets") {
    AccessToken one = UserAt();
    one.target = "a b";  // Two scopes.
    AccessToken components = UserAt();
    components.target = "a";
    components.additional_key_components = {{"x", "y,z=w"}};
    AccessToken components2 = UserAt();
    components2.target = "a";
    components2.additional_key_components = {{"x", "y"}, {"z", "w"}};
    CHECK(RecordKey(one) != RecordKey(components));
    CHECK(RecordKey(components) != RecordKey(components2));
  }
  SECTION("a prefix of one home id is not a prefix of its keys") {
    AccessToken ab = UserAt();
    ab.home_account_id = "ab";
    CHECK_FALSE(StartsWith(RecordKey(ab), AccountPartitionPrefix("a")));
  }
}

}  // namespace
}  // namespace internal
}  // namespace tokencache
