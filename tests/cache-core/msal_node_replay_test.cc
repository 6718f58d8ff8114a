// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Replays the token responses behind the msal-node fixtures
// (shared/fixtures/msal-node, MANIFEST.json lists each flow's requests)
// through Cache::ApplyTokenResponse and compares the entities we write with
// the ones msal-node 7.2.3 wrote, by identity and field by field. The
// fixtures are read with rapidjson here so that this test does not depend
// on the JSON serializer.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cache-core/record_key.h"
#include "cache-core/rules.h"
#include "tests/support/status_matchers.h"
#include "tokencache/cache.h"

namespace tokencache {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string Str(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return it->value.GetString();
}

UnixSeconds Num(const rapidjson::Value& v, const char* name) {
  const std::string s = Str(v, name);
  return s.empty() ? 0 : std::stoll(s);
}

const std::string kDir = std::string(TOKENCACHE_FIXTURES_DIR) + "/msal-node/";

// The flow behind one fixture, rebuilt from MANIFEST.json and the fixture.
void Replay(const std::string& file) {
  rapidjson::Document manifest = Parse(ReadFile(kDir + "MANIFEST.json"));
  rapidjson::Document cache_json = Parse(ReadFile(kDir + file));
  const rapidjson::Value* flow = nullptr;
  for (const auto& f : manifest["files"].GetArray()) {
    if (Str(f, "file") == file) flow = &f;
  }
  REQUIRE(flow != nullptr);

  auto clock = std::make_shared<ManualClock>(1'795'672'392);
  CacheOptions options;
  options.clock = clock;
  std::unique_ptr<Cache> cache = Cache::NewInMemory(options);

  const auto& requests = (*flow)["tokenRequests"].GetArray();
  for (rapidjson::SizeType i = 0; i < requests.Size(); ++i) {
    const rapidjson::Value& req = requests[i];
    const std::string client = Str(req, "client_id");
    const std::string tenant = Str(req, "tenant");
    const std::string grant = Str(req, "grant_type");
    std::string home;
    std::string user_key;
    if (req["user"].IsString()) {
      for (const auto& u : manifest["users"].GetObject()) {
        if (Str(u.value, "username") == req["user"].GetString()) {
          home = Str(u.value, "uid") + "." + Str(u.value, "homeTenant");
        }
      }
    }
    std::string foci;
    for (const auto& app : manifest["apps"].GetObject()) {
      if (Str(app.value, "clientId") == client && app.value["foci"].IsString()) {
        foci = app.value["foci"].GetString();
      }
    }
    // The AT this request produced: same client and realm, scopes granted.
    const std::vector<std::string> wanted =
        internal::NormalizeScopes(Str(req, "scope"));
    const rapidjson::Value* at = nullptr;
    for (const auto& e : cache_json["AccessToken"].GetObject()) {
      if (Str(e.value, "client_id") != client ||
          Str(e.value, "realm") != tenant ||
          Str(e.value, "home_account_id") != home) {
        continue;
      }
      if (internal::ScopesSatisfy(
              internal::NormalizeScopes(Str(e.value, "target")), wanted)) {
        at = &e.value;
      }
    }
    REQUIRE(at != nullptr);

    TokenRequestContext ctx;
    ctx.authority_host = "login.microsoftonline.com";
    ctx.tenant = tenant;
    ctx.client_id = client;
    ctx.request_time = Num(*at, "cached_at");
    TokenResponse resp;
    resp.access_token = SecretBytes(Str(*at, "secret"));
    resp.scope = Str(*at, "target");
    resp.token_type = Str(*at, "token_type");
    resp.expires_in = Num(*at, "expires_on") - Num(*at, "cached_at");
    if (grant == "client_credentials") {
      ctx.grant = GrantKind::kClientCredentials;
    } else {
      ctx.grant = grant == "refresh_token" ? GrantKind::kRefreshToken
                                           : GrantKind::kInteractive;
      for (const auto& e : cache_json["Account"].GetObject()) {
        if (Str(e.value, "home_account_id") == home) {
          resp.client_info = Str(e.value, "client_info");
        }
      }
      for (const auto& e : cache_json["IdToken"].GetObject()) {
        if (Str(e.value, "home_account_id") == home &&
            Str(e.value, "client_id") == client &&
            Str(e.value, "realm") == tenant) {
          resp.id_token = SecretBytes(Str(e.value, "secret"));
        }
      }
      // Each response rotates the RT; the fixture holds the last one.
      for (const auto& e : cache_json["RefreshToken"].GetObject()) {
        const bool mine =
            foci.empty() ? (Str(e.value, "client_id") == client &&
                            Str(e.value, "family_id").empty())
                         : Str(e.value, "family_id") == foci;
        if (Str(e.value, "home_account_id") == home && mine) {
          resp.refresh_token = SecretBytes(Str(e.value, "secret"));
        }
      }
      resp.foci = foci;
    }
    INFO("request " << i << " of " << file);
    REQUIRE_OK(cache->ApplyTokenResponse(ctx, resp));
  }

  Result<CacheSnapshot> ours = cache->Export();
  REQUIRE_OK(ours);
  std::map<std::string, const AccessToken*> ats;
  for (const auto& e : ours->access_tokens) ats[internal::RecordKey(e)] = &e;
  std::map<std::string, const RefreshToken*> rts;
  for (const auto& e : ours->refresh_tokens) rts[internal::RecordKey(e)] = &e;
  std::map<std::string, const IdToken*> ids;
  for (const auto& e : ours->id_tokens) ids[internal::RecordKey(e)] = &e;
  std::map<std::string, const Account*> accounts;
  for (const auto& e : ours->accounts) accounts[internal::RecordKey(e)] = &e;

  CHECK(ats.size() == cache_json["AccessToken"].MemberCount());
  for (const auto& e : cache_json["AccessToken"].GetObject()) {
    AccessToken probe;
    probe.home_account_id = Str(e.value, "home_account_id");
    probe.environment = Str(e.value, "environment");
    probe.client_id = Str(e.value, "client_id");
    probe.realm = Str(e.value, "realm");
    probe.target = Str(e.value, "target");
    probe.token_type = Str(e.value, "token_type");
    auto it = ats.find(internal::RecordKey(probe));
    REQUIRE(it != ats.end());
    const AccessToken& mine = *it->second;
    CHECK(mine.secret.view() == Str(e.value, "secret"));
    CHECK(mine.environment == Str(e.value, "environment"));
    CHECK(mine.target == Str(e.value, "target"));
    CHECK(mine.cached_at == Num(e.value, "cached_at"));
    CHECK(mine.expires_on == Num(e.value, "expires_on"));
    CHECK(mine.token_type == Str(e.value, "token_type"));
  }

  CHECK(rts.size() == cache_json["RefreshToken"].MemberCount());
  for (const auto& e : cache_json["RefreshToken"].GetObject()) {
    RefreshToken probe;
    probe.home_account_id = Str(e.value, "home_account_id");
    probe.environment = Str(e.value, "environment");
    probe.client_id = Str(e.value, "client_id");
    probe.family_id = Str(e.value, "family_id");
    auto it = rts.find(internal::RecordKey(probe));
    REQUIRE(it != rts.end());
    CHECK(it->second->secret.view() == Str(e.value, "secret"));
    CHECK(it->second->client_id == Str(e.value, "client_id"));
  }

  CHECK(ids.size() == cache_json["IdToken"].MemberCount());
  for (const auto& e : cache_json["IdToken"].GetObject()) {
    IdToken probe;
    probe.home_account_id = Str(e.value, "home_account_id");
    probe.environment = Str(e.value, "environment");
    probe.client_id = Str(e.value, "client_id");
    probe.realm = Str(e.value, "realm");
    auto it = ids.find(internal::RecordKey(probe));
    REQUIRE(it != ids.end());
    CHECK(it->second->secret.view() == Str(e.value, "secret"));
  }

  CHECK(accounts.size() == cache_json["Account"].MemberCount());
  for (const auto& e : cache_json["Account"].GetObject()) {
    Account probe;
    probe.home_account_id = Str(e.value, "home_account_id");
    probe.environment = Str(e.value, "environment");
    probe.realm = Str(e.value, "realm");
    auto it = accounts.find(internal::RecordKey(probe));
    REQUIRE(it != accounts.end());
    const Account& mine = *it->second;
    CHECK(mine.local_account_id == Str(e.value, "local_account_id"));
    CHECK(mine.username == Str(e.value, "username"));
    CHECK(mine.name == Str(e.value, "name"));
    CHECK(mine.authority_type == Str(e.value, "authority_type"));
    CHECK(mine.client_info == Str(e.value, "client_info"));
    const auto& profiles = e.value["tenantProfiles"].GetArray();
    REQUIRE(mine.tenant_profiles.size() == profiles.Size());
    for (rapidjson::SizeType p = 0; p < profiles.Size(); ++p) {
      rapidjson::Document profile = Parse(profiles[p].GetString());
      const TenantProfile& tp = mine.tenant_profiles[p];
      CHECK(tp.tenant_id == Str(profile, "tenantId"));
      CHECK(tp.local_account_id == Str(profile, "localAccountId"));
      CHECK(tp.username == Str(profile, "username"));
      CHECK(tp.name == Str(profile, "name"));
      CHECK(tp.is_home_tenant == profile["isHomeTenant"].GetBool());
    }
  }

  // AppMetadata: where msal-node wrote some (FOCI apps), ours agree.
  for (const auto& e : cache_json["AppMetadata"].GetObject()) {
    AppMetadata probe{Str(e.value, "client_id"), Str(e.value, "environment"),
                      "", {}};
    bool found = false;
    for (const auto& mine : ours->app_metadata) {
      if (internal::RecordKey(mine) == internal::RecordKey(probe)) {
        found = true;
        CHECK(mine.family_id == Str(e.value, "family_id"));
      }
    }
    CHECK(found);
  }
}

TEST_CASE("Replaying msal-node's multi-tenant flow writes what msal-node wrote",
          "[core][interop][msal-node]") {
  Replay("multi-tenant-account.json");
}

TEST_CASE("Replaying msal-node's FOCI flow writes what msal-node wrote",
          "[core][interop][msal-node]") {
  Replay("foci-family-refresh-token.json");
}

TEST_CASE("Replaying msal-node's two-account ROPC flow writes what it wrote",
          "[core][interop][msal-node]") {
  Replay("ropc-two-accounts.json");
}

TEST_CASE("Replaying msal-node's client-credential flow writes what it wrote",
          "[core][interop][msal-node]") {
  Replay("client-credentials.json");
}

}  // namespace
}  // namespace tokencache
