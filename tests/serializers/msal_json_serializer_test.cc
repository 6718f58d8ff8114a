// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The MSAL JSON serializer against real msal-node files, hand-written .NET
// and Python dialect files, and its own output.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rapidjson/document.h"
#include "tests/serializers/snapshot_equality.h"
#include "tests/support/status_matchers.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

fs::path FixtureDir() {
  return fs::path(TOKENCACHE_FIXTURES_DIR) / "msal-node";
}

CacheSnapshot MustRead(std::string_view json,
                       const JsonSerializerOptions& options = {}) {
  auto serializer = NewMsalJsonSerializer(options);
  Result<CacheSnapshot> snapshot = serializer->Deserialize(json);
  REQUIRE_OK(snapshot);
  return std::move(*snapshot);
}

std::string MustWrite(const CacheSnapshot& snapshot,
                      const JsonSerializerOptions& options = {}) {
  auto serializer = NewMsalJsonSerializer(options);
  Result<SecretBytes> bytes = serializer->Serialize(snapshot);
  REQUIRE_OK(bytes);
  return std::string(bytes->view());
}

// Parses our output with rapidjson's DOM, as an independent reader would.
rapidjson::Document Dom(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

const rapidjson::Value& OnlyEntity(const rapidjson::Document& doc,
                                   const char* section,
                                   std::string* key = nullptr) {
  REQUIRE(doc.HasMember(section));
  const rapidjson::Value& s = doc[section];
  REQUIRE(s.IsObject());
  REQUIRE(s.MemberCount() == 1);
  if (key != nullptr) key->assign(s.MemberBegin()->name.GetString());
  return s.MemberBegin()->value;
}

std::string Str(const rapidjson::Value& entity, const char* field) {
  REQUIRE(entity.HasMember(field));
  REQUIRE(entity[field].IsString());
  return entity[field].GetString();
}

// ---------------------------------------------------------------------------
// Real msal-node 7.2.3 files.

struct ManifestEntry {
  std::map<std::string, int> counts;
  const rapidjson::Value* entry = nullptr;
};

TEST_CASE("every msal-node fixture loads with the entity counts in MANIFEST",
          "[json][interop][fixtures]") {
  std::string manifest_text = ReadFile(FixtureDir() / "MANIFEST.json");
  rapidjson::Document manifest;
  manifest.Parse(manifest_text.c_str());
  REQUIRE_FALSE(manifest.HasParseError());
  REQUIRE(manifest["files"].IsArray());
  std::map<std::string, ManifestEntry> expected;
  for (const auto& file : manifest["files"].GetArray()) {
    ManifestEntry& e = expected[file["file"].GetString()];
    e.entry = &file;
    for (const auto& count : file["counts"].GetObject()) {
      e.counts[count.name.GetString()] = count.value.GetInt();
    }
  }
  REQUIRE_FALSE(expected.empty());

  int loaded = 0;
  for (const auto& dirent : fs::directory_iterator(FixtureDir())) {
    std::string name = dirent.path().filename().string();
    if (dirent.path().extension() != ".json" || name == "MANIFEST.json") {
      continue;
    }
    INFO("fixture " << name);
    auto it = expected.find(name);
    REQUIRE(it != expected.end());
    CacheSnapshot s = MustRead(ReadFile(dirent.path()));
    CHECK(static_cast<int>(s.accounts.size()) == it->second.counts["Account"]);
    CHECK(static_cast<int>(s.id_tokens.size()) ==
          it->second.counts["IdToken"]);
    CHECK(static_cast<int>(s.access_tokens.size()) ==
          it->second.counts["AccessToken"]);
    CHECK(static_cast<int>(s.refresh_tokens.size()) ==
          it->second.counts["RefreshToken"]);
    CHECK(static_cast<int>(s.app_metadata.size()) ==
          it->second.counts["AppMetadata"]);
    CHECK(s.unknown_sections.empty());

    // Each token a silent call returned is in the file, with its tenant.
    for (const auto& silent :
         (*it->second.entry)["silentExpectations"].GetArray()) {
      std::string tail = silent["accessTokenFromFlow"].GetString();
      std::string tenant = silent["tenant"].GetString();
      int found = 0;
      for (const AccessToken& at : s.access_tokens) {
        std::string_view secret = at.secret.view();
        if (secret.size() >= tail.size() &&
            secret.substr(secret.size() - tail.size()) == tail) {
          ++found;
          CHECK(at.realm == tenant);
          CHECK(at.expires_on > at.cached_at);
          CHECK(at.token_type.empty());  // "Bearer", the default
        }
      }
      CHECK(found == 1);
    }
    ++loaded;
  }
  CHECK(loaded == static_cast<int>(expected.size()));
}

TEST_CASE("msal-node fixtures are written back byte for byte",
          "[json][interop][fixtures]") {
  int checked = 0;
  for (const auto& dirent : fs::directory_iterator(FixtureDir())) {
    std::string name = dirent.path().filename().string();
    if (dirent.path().extension() != ".json" || name == "MANIFEST.json") {
      continue;
    }
    INFO("fixture " << name);
    std::string original = ReadFile(dirent.path());
    CacheSnapshot first = MustRead(original);
    std::string written = MustWrite(first);
    // Same bytes as msal-node wrote: same keys, field order and spelling.
    CHECK(written == original);
    CacheSnapshot second = MustRead(written);
    CHECK(test::SnapshotDiff(first, second).empty());
    ++checked;
  }
  CHECK(checked >= 4);
}

TEST_CASE("msal-node fixture details are read into the schema",
          "[json][interop][fixtures]") {
  SECTION("an account with two tenant profiles") {
    CacheSnapshot s =
        MustRead(ReadFile(FixtureDir() / "multi-tenant-account.json"));
    REQUIRE(s.accounts.size() == 1);
    const Account& a = s.accounts[0];
    CHECK(a.home_account_id ==
          "0e7b8c3e-3b7f-44ed-a153-8a568a6408c6."
          "9c8517ff-d540-473f-a199-d34c9c09b23c");
    CHECK(a.environment == "login.windows.net");
    CHECK(a.authority_type == "MSSTS");
    CHECK(a.username == "alice@contoso.example");
    REQUIRE(a.tenant_profiles.size() == 2);
    CHECK(a.tenant_profiles[0].tenant_id ==
          "9c8517ff-d540-473f-a199-d34c9c09b23c");
    CHECK(a.tenant_profiles[0].is_home_tenant);
    CHECK(a.tenant_profiles[0].name == "Alice Example");
    CHECK(a.tenant_profiles[1].tenant_id ==
          "05e5fe2a-8680-4450-a582-01ad3763f9f9");
    CHECK_FALSE(a.tenant_profiles[1].is_home_tenant);
    CHECK(a.tenant_profiles[1].local_account_id ==
          "9faecfa5-63de-4e94-a945-5e06056be659");
    CHECK(a.tenant_profiles[1].extra.empty());
  }
  SECTION("app-only tokens have an empty home account") {
    CacheSnapshot s =
        MustRead(ReadFile(FixtureDir() / "client-credentials.json"));
    REQUIRE(s.access_tokens.size() == 3);
    for (const AccessToken& at : s.access_tokens) {
      CHECK(at.home_account_id.empty());
      CHECK(at.client_id == "8fe2eba1-64df-4e1f-a9c1-b8ad5d287c08");
      CHECK(at.target.find(".default") != std::string::npos);
    }
  }
  SECTION("a family refresh token and FOCI app metadata") {
    CacheSnapshot s =
        MustRead(ReadFile(FixtureDir() / "foci-family-refresh-token.json"));
    REQUIRE(s.refresh_tokens.size() == 1);
    CHECK(s.refresh_tokens[0].family_id == "1");
    CHECK_FALSE(s.refresh_tokens[0].secret.empty());
    REQUIRE(s.app_metadata.size() == 2);
    for (const AppMetadata& m : s.app_metadata) CHECK(m.family_id == "1");
  }
}

// ---------------------------------------------------------------------------
// Our own snapshots.

CacheSnapshot FullSnapshot() {
  CacheSnapshot s;
  Account a;
  a.home_account_id = "uid.utid";
  a.environment = "login.windows.net";
  a.realm = "utid";
  a.local_account_id = "uid";
  a.username = "alice@contoso.example";
  a.authority_type = "MSSTS";
  a.client_info = "eyJ1aWQiOiJ1aWQifQ";
  a.name = "Alice";
  a.given_name = "Alice";
  a.family_name = "Example";
  a.account_source = "device_code_flow";
  a.wam_account_ids = {{"cid-a", "wam-1"}, {"cid-b", "wam-2"}};
  a.last_modification_time = 1700000000;
  a.last_modification_app = "app";
  TenantProfile home;
  home.tenant_id = "utid";
  home.local_account_id = "uid";
  home.name = "Alice";
  home.username = "alice@contoso.example";
  home.login_hint = "alice";
  home.upn = "alice@contoso.example";
  home.is_home_tenant = true;
  home.native_account_id = "native";
  home.extra = {{"futureField", "{\"nested\":[1,2.5e3,null,true]}"}};
  TenantProfile guest;
  guest.tenant_id = "guest";
  guest.local_account_id = "uid2";
  a.tenant_profiles = {home, guest};
  a.extra = {{"someNewField", "[\"a\",{\"b\":-0.0}]"}, {"flag", "false"}};
  s.accounts.push_back(a);

  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.windows.net";
  at.client_id = "cid";
  at.realm = "utid";
  at.target = "api://x/Read User.Read";
  at.secret = SecretBytes("at-secret-\"quoted\"-\\-\n-\xC3\xA9");
  at.cached_at = 1700000000;
  at.expires_on = 1700003600;
  at.extended_expires_on = 1700007200;
  at.refresh_on = 1700001800;
  at.token_type = "pop";
  at.key_id = "kid-1";
  at.user_assertion_hash = "hash";
  at.additional_key_components = {{"a", "b"}, {"fmi_path", "p/q"}};
  at.resource = "https://resource";
  at.client_info = "ci";
  at.extra = {{"persisted_cache_parameters", "{\"x\":\"y\"}"},
              {"huge", "123456789012345678901234567890"}};
  s.access_tokens.push_back(at);
  AccessToken app_only;
  app_only.environment = "login.windows.net";
  app_only.client_id = "daemon";
  app_only.realm = "tenant";
  app_only.target = "https://graph.microsoft.com/.default";
  app_only.secret = SecretBytes("app-only-secret");
  app_only.cached_at = 1;
  app_only.expires_on = 2;
  s.access_tokens.push_back(app_only);

  RefreshToken rt;
  rt.home_account_id = "uid.utid";
  rt.environment = "login.windows.net";
  rt.client_id = "cid";
  rt.secret = SecretBytes("rt-secret");
  rt.family_id = "1";
  rt.target = "openid profile";
  rt.realm = "utid";
  rt.last_modification_time = 1700000001;
  rt.expires_on = 1800000000;
  rt.client_info = "ci";
  rt.user_assertion_hash = "obo";
  rt.extra = {{"n", "0"}};
  s.refresh_tokens.push_back(rt);

  IdToken it;
  it.home_account_id = "uid.utid";
  it.environment = "login.windows.net";
  it.client_id = "cid";
  it.realm = "utid";
  it.secret = SecretBytes("id.token.jwt");
  it.client_info = "ci";
  s.id_tokens.push_back(it);

  AppMetadata m;
  m.client_id = "cid";
  m.environment = "login.windows.net";
  m.family_id = "1";
  m.extra = {{"x", "\"y\""}};
  s.app_metadata.push_back(m);

  s.unknown_sections = {{"SomeFutureSection", "{\"kept\":\"verbatim\"}"},
                        {"Scalar", "42"}};
  return s;
}

TEST_CASE("a snapshot with every field set survives a round trip",
          "[json][roundtrip]") {
  CacheSnapshot s = FullSnapshot();
  for (bool pretty : {false, true}) {
    INFO("pretty " << pretty);
    JsonSerializerOptions options;
    options.pretty = pretty;
    std::string json = MustWrite(s, options);
    CacheSnapshot back = MustRead(json);
    CHECK(test::SnapshotDiff(s, back) == "");
    // Writing is deterministic.
    CHECK(MustWrite(back, options) == json);
  }
}

TEST_CASE("an empty snapshot is written as five empty sections",
          "[json][write]") {
  CHECK(MustWrite(CacheSnapshot()) ==
        "{\"Account\":{},\"IdToken\":{},\"AccessToken\":{},"
        "\"RefreshToken\":{},\"AppMetadata\":{}}");
}

TEST_CASE("pretty printing is off by default and indents when asked",
          "[json][write]") {
  CHECK(MustWrite(FullSnapshot()).find('\n') == std::string::npos);
  JsonSerializerOptions options;
  options.pretty = true;
  CHECK(MustWrite(FullSnapshot(), options).find("\n    \"Account\"") !=
        std::string::npos);
}

TEST_CASE("written keys follow msal-node's layout", "[json][write][keys]") {
  CacheSnapshot s = FullSnapshot();
  rapidjson::Document doc = Dom(MustWrite(s));
  std::vector<std::string> sections;
  for (const auto& m : doc.GetObject()) sections.push_back(m.name.GetString());
  CHECK(sections ==
        std::vector<std::string>{"Account", "IdToken", "AccessToken",
                                 "RefreshToken", "AppMetadata",
                                 "SomeFutureSection", "Scalar"});

  std::string key;
  OnlyEntity(doc, "Account", &key);
  CHECK(key == "uid.utid-login.windows.net-utid");
  OnlyEntity(doc, "IdToken", &key);
  CHECK(key == "uid.utid-login.windows.net-idtoken-cid-utid--");
  OnlyEntity(doc, "RefreshToken", &key);
  // Family id instead of client id; realm and target as msal-node does.
  CHECK(key == "uid.utid-login.windows.net-refreshtoken-1-utid-openid profile-");
  OnlyEntity(doc, "AppMetadata", &key);
  CHECK(key == "appmetadata-login.windows.net-cid");

  std::vector<std::string> at_keys;
  for (const auto& m : doc["AccessToken"].GetObject()) {
    at_keys.push_back(m.name.GetString());
  }
  REQUIRE(at_keys.size() == 2);
  // Both as msal-node 7.2.3's generateCredentialKey computes them for these
  // tokens (checked under node), hash of {a: "b", fmi_path: "p/q"} included.
  CHECK(at_keys[0] ==
        "uid.utid-login.windows.net-accesstoken_with_authscheme-cid-utid-"
        "api://x/read user.read-pop-"
        "q6de-1uzp9ed0epq3tfbdogxdbny4zw0d8tm4crhmic");
  CHECK(at_keys[1] ==
        "-login.windows.net-accesstoken-daemon-tenant-"
        "https://graph.microsoft.com/.default-");
}

TEST_CASE("the additional-key-components hash matches msal-node",
          "[json][write][keys]") {
  // Key computed by msal-node 7.2.3's generateCredentialKey for
  // {fmi_path: "Value/Path", a: "b"} (CacheHelpers.mjs, run under node).
  AccessToken at;
  at.home_account_id = "Uid.Utid";
  at.environment = "login.windows.net";
  at.client_id = "CID";
  at.realm = "Utid";
  at.target = "api://X/Read";
  at.token_type = "pop";
  at.additional_key_components = {{"a", "b"}, {"fmi_path", "Value/Path"}};
  CacheSnapshot s;
  s.access_tokens.push_back(at);
  std::string key;
  OnlyEntity(Dom(MustWrite(s)), "AccessToken", &key);
  CHECK(key ==
        "uid.utid-login.windows.net-accesstoken_with_authscheme-cid-utid-"
        "api://x/read-pop-pq9rvsi1exqqmtgwwc2_aabtlgfqrvrjdfv-4l8aszk");
}

TEST_CASE("access tokens carry what msal-node, .NET and Python each read",
          "[json][write][interop]") {
  CacheSnapshot s = FullSnapshot();
  rapidjson::Document doc = Dom(MustWrite(s));
  const rapidjson::Value& at = doc["AccessToken"].MemberBegin()->value;
  CHECK(Str(at, "credential_type") == "AccessToken_With_AuthScheme");
  CHECK(Str(at, "token_type") == "pop");
  CHECK(Str(at, "key_id") == "kid-1");      // Python, msal-node
  CHECK(Str(at, "kid") == "kid-1");         // .NET
  CHECK(Str(at, "userAssertionHash") == "hash");    // msal-node
  CHECK(Str(at, "user_assertion_hash") == "hash");  // .NET
  CHECK(at["ext"] == at["additionalCacheKeyComponents"]);
  CHECK(Str(at["ext"], "fmi_path") == "p/q");
  CHECK(Str(at, "cached_at") == "1700000000");  // timestamps are strings
  CHECK(Str(at, "extended_expires_on") == "1700007200");
  CHECK_FALSE(at.HasMember("ext_expires_on"));

  auto it = doc["AccessToken"].MemberBegin();
  ++it;
  const rapidjson::Value& app_only = it->value;
  CHECK(Str(app_only, "home_account_id") == "");  // written even when empty
  CHECK(Str(app_only, "credential_type") == "AccessToken");
  CHECK(Str(app_only, "token_type") == "Bearer");
  CHECK_FALSE(app_only.HasMember("refresh_on"));  // zero is left out
  CHECK_FALSE(app_only.HasMember("key_id"));      // empty is left out
  CHECK_FALSE(app_only.HasMember("kid"));

  const rapidjson::Value& account = OnlyEntity(doc, "Account");
  REQUIRE(account["tenantProfiles"].IsArray());
  REQUIRE(account["tenantProfiles"].Size() == 2);
  // Each profile is a JSON string, as msal-node stores them.
  REQUIRE(account["tenantProfiles"][0].IsString());
  rapidjson::Document profile =
      Dom(account["tenantProfiles"][0].GetString());
  CHECK(Str(profile, "tenantId") == "utid");
  CHECK(profile["isHomeTenant"].IsTrue());
  CHECK(profile["futureField"]["nested"][1].IsNumber());
}

TEST_CASE("unknown fields are written after the known ones, in order",
          "[json][write]") {
  CacheSnapshot s = FullSnapshot();
  rapidjson::Document doc = Dom(MustWrite(s));
  const rapidjson::Value& account = OnlyEntity(doc, "Account");
  std::vector<std::string> names;
  for (const auto& m : account.GetObject()) names.push_back(m.name.GetString());
  REQUIRE(names.size() >= 2);
  CHECK(names[names.size() - 2] == "someNewField");
  CHECK(names.back() == "flag");
  // A number too large for int64 keeps its exact spelling.
  std::string json = MustWrite(s);
  CHECK(json.find("\"huge\":123456789012345678901234567890") !=
        std::string::npos);
  CHECK(json.find("\"SomeFutureSection\":{\"kept\":\"verbatim\"}") !=
        std::string::npos);
}

TEST_CASE("entities with equal keys get distinct keys",
          "[json][write][keys]") {
  CacheSnapshot s;
  AccessToken at;
  at.client_id = "cid";
  at.secret = SecretBytes("one");
  s.access_tokens.push_back(at);
  at.secret = SecretBytes("two");
  s.access_tokens.push_back(at);
  std::string json = MustWrite(s);
  rapidjson::Document doc = Dom(json);
  REQUIRE(doc["AccessToken"].MemberCount() == 2);
  auto it = doc["AccessToken"].MemberBegin();
  std::string first = it->name.GetString();
  std::string second = (++it)->name.GetString();
  CHECK(second == first + "-2");
  CHECK(MustRead(json).access_tokens.size() == 2);
}

TEST_CASE("a modelled value wins over an extra of the same name",
          "[json][write]") {
  // A token read with a malformed expires_on, then refreshed by the core.
  CacheSnapshot s = MustRead(
      R"({"AccessToken":{"k":{"secret":"s","expires_on":"soon"}}})");
  REQUIRE(s.access_tokens.size() == 1);
  CHECK(s.access_tokens[0].expires_on == 0);
  REQUIRE(s.access_tokens[0].extra.size() == 1);
  CHECK(MustWrite(s).find("\"expires_on\":\"soon\"") != std::string::npos);

  s.access_tokens[0].expires_on = 1800000000;
  std::string json = MustWrite(s);
  CHECK(json.find("\"expires_on\":\"1800000000\"") != std::string::npos);
  CHECK(json.find("soon") == std::string::npos);
}

TEST_CASE("Serialize refuses extras that are not JSON",
          "[json][write][errors]") {
  auto serializer = NewMsalJsonSerializer();
  SECTION("an entity extra") {
    CacheSnapshot s;
    s.app_metadata.push_back(AppMetadata{"cid", "env", "", {{"x", "{oops"}}});
    Result<SecretBytes> out = serializer->Serialize(s);
    CHECK(out.status().code() == Code::kInvalidArgument);
    CHECK(out.status().message().find("AppMetadata, entry #0") !=
          std::string::npos);
  }
  SECTION("two values in one extra") {
    CacheSnapshot s;
    s.app_metadata.push_back(AppMetadata{"cid", "env", "", {{"x", "1 2"}}});
    CHECK(serializer->Serialize(s).status().code() == Code::kInvalidArgument);
  }
  SECTION("an unknown section named like a known one") {
    CacheSnapshot s;
    s.unknown_sections.push_back({"AccessToken", "{}"});
    CHECK(serializer->Serialize(s).status().code() == Code::kInvalidArgument);
  }
  SECTION("an extra nested deeper than max_depth") {
    CacheSnapshot s;
    s.app_metadata.push_back(
        AppMetadata{"cid", "env", "", {{"x", std::string(70, '[') +
                                                 std::string(70, ']')}}});
    CHECK(serializer->Serialize(s).status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("Serialize refuses output it could not read back",
          "[json][write][errors]") {
  JsonSerializerOptions options;
  options.max_input_bytes = 200;
  auto serializer = NewMsalJsonSerializer(options);
  CacheSnapshot s = FullSnapshot();
  CHECK(serializer->Serialize(s).status().code() == Code::kResourceExhausted);
}

// ---------------------------------------------------------------------------
// Dialects.

TEST_CASE("a .NET-style cache is read", "[json][dialect][net]") {
  // Shapes from MSAL .NET 4.x: kid, ext, user_assertion_hash, numbers for
  // timestamps in one entry, ext_expires_on only, no token_type, mixed-case
  // account key, client_info on credentials, wam_account_ids.
  const char* json = R"({
    "AccessToken": {
      "uid.utid-login.windows.net-atext-cid-utid-scope-hash": {
        "credential_type": "ATExt", "home_account_id": "uid.utid",
        "environment": "login.windows.net", "client_id": "cid",
        "realm": "utid", "target": "api://x/.default",
        "secret": "net-at", "cached_at": 1700000000,
        "expires_on": "1700003600", "ext_expires_on": "1700007200",
        "kid": "key-1", "user_assertion_hash": "oboHash",
        "ext": {"fmi_path": "a/b", "b": "2"}, "client_info": "ci",
        "persisted_cache_parameters": {"p": "q"}
      }
    },
    "RefreshToken": {
      "uid.utid-login.windows.net-refreshtoken-1--": {
        "credential_type": "RefreshToken", "home_account_id": "uid.utid",
        "environment": "login.windows.net", "client_id": "cid",
        "secret": "net-rt", "family_id": "1", "client_info": "ci",
        "user_assertion_hash": "rtHash"
      }
    },
    "Account": {
      "Uid.Utid-login.windows.net-Utid": {
        "home_account_id": "uid.utid", "environment": "login.windows.net",
        "realm": "utid", "local_account_id": "oid",
        "username": "alice@contoso.example", "authority_type": "MSSTS",
        "given_name": "Alice", "family_name": "Example",
        "account_source": "device_code_flow",
        "wam_account_ids": {"zzz": "w2", "cid": "w1"}
      }
    },
    "IdToken": {}, "AppMetadata": {
      "appmetadata-login.windows.net-cid": {
        "environment": "login.windows.net", "client_id": "cid",
        "family_id": "1"
      }
    }
  })";
  CacheSnapshot s = MustRead(json);
  REQUIRE(s.access_tokens.size() == 1);
  const AccessToken& at = s.access_tokens[0];
  CHECK(at.secret.Equals(std::string_view("net-at")));
  CHECK(at.cached_at == 1700000000);
  CHECK(at.expires_on == 1700003600);
  CHECK(at.extended_expires_on == 1700007200);  // from ext_expires_on
  CHECK(at.key_id == "key-1");
  CHECK(at.user_assertion_hash == "oboHash");
  CHECK(at.token_type.empty());
  CHECK(at.additional_key_components ==
        StringPairs{{"b", "2"}, {"fmi_path", "a/b"}});  // sorted by key
  CHECK(at.client_info == "ci");
  REQUIRE(at.extra.size() == 1);
  CHECK(at.extra[0].name == "persisted_cache_parameters");
  CHECK(at.extra[0].json_value == "{\"p\":\"q\"}");

  REQUIRE(s.refresh_tokens.size() == 1);
  CHECK(s.refresh_tokens[0].family_id == "1");
  CHECK(s.refresh_tokens[0].user_assertion_hash == "rtHash");
  REQUIRE(s.accounts.size() == 1);
  CHECK(s.accounts[0].given_name == "Alice");
  CHECK(s.accounts[0].account_source == "device_code_flow");
  CHECK(s.accounts[0].wam_account_ids ==
        StringPairs{{"cid", "w1"}, {"zzz", "w2"}});
  REQUIRE(s.app_metadata.size() == 1);
  CHECK(s.app_metadata[0].family_id == "1");

  CacheSnapshot back = MustRead(MustWrite(s));
  CHECK(test::SnapshotDiff(s, back) == "");
}

TEST_CASE("a Python-style cache is read", "[json][dialect][python]") {
  // MSAL Python: json.dumps(indent=4), null home_account_id for app-only
  // tokens, "" for a missing username, target on refresh tokens,
  // last_modification_time, only the sections that ever had entries.
  const char* json = R"({
    "AccessToken": {
        "-login.microsoftonline.com-accesstoken-cid-tenant-scope": {
            "credential_type": "AccessToken",
            "secret": "py-at",
            "home_account_id": null,
            "environment": "login.microsoftonline.com",
            "client_id": "cid",
            "target": "scope",
            "realm": "tenant",
            "token_type": "Bearer",
            "cached_at": "1700000000",
            "expires_on": "1700003600",
            "extended_expires_on": "1700003600",
            "key_id": "ssh-key"
        }
    },
    "Account": {
        "uid.utid-login.microsoftonline.com-tenant": {
            "home_account_id": "uid.utid",
            "environment": "login.microsoftonline.com",
            "realm": "tenant",
            "local_account_id": "oid",
            "username": "",
            "authority_type": "MSSTS",
            "account_source": "password"
        }
    },
    "RefreshToken": {
        "uid.utid-login.microsoftonline.com-refreshtoken-cid--scope": {
            "credential_type": "RefreshToken",
            "secret": "py-rt",
            "home_account_id": "uid.utid",
            "environment": "login.microsoftonline.com",
            "client_id": "cid",
            "target": "scope offline_access",
            "last_modification_time": "1700000005"
        }
    }
})";
  CacheSnapshot s = MustRead(json);
  REQUIRE(s.access_tokens.size() == 1);
  CHECK(s.access_tokens[0].home_account_id.empty());
  CHECK(s.access_tokens[0].token_type.empty());  // "Bearer" is the default
  CHECK(s.access_tokens[0].key_id == "ssh-key");
  REQUIRE(s.accounts.size() == 1);
  CHECK(s.accounts[0].username.empty());
  CHECK(s.accounts[0].account_source == "password");
  REQUIRE(s.refresh_tokens.size() == 1);
  CHECK(s.refresh_tokens[0].target == "scope offline_access");
  CHECK(s.refresh_tokens[0].last_modification_time == 1700000005);
  CHECK(s.id_tokens.empty());
  CHECK(s.app_metadata.empty());
  CHECK(test::SnapshotDiff(s, MustRead(MustWrite(s))) == "");
}

TEST_CASE("key id, assertion hash and key component spellings are merged",
          "[json][dialect]") {
  SECTION("keyid (Go) reads as key_id") {
    CacheSnapshot s =
        MustRead(R"({"AccessToken":{"k":{"keyid":"go-key"}}})");
    CHECK(s.access_tokens.at(0).key_id == "go-key");
  }
  SECTION("the last spelling read wins") {
    CacheSnapshot s = MustRead(
        R"({"AccessToken":{"k":{"kid":"a","key_id":"b",
            "user_assertion_hash":"c","userAssertionHash":"d"}}})");
    CHECK(s.access_tokens.at(0).key_id == "b");
    CHECK(s.access_tokens.at(0).user_assertion_hash == "d");
  }
  SECTION("ext and additionalCacheKeyComponents are one map") {
    CacheSnapshot s = MustRead(
        R"({"AccessToken":{"k":{"ext":{"a":"1","b":"2"},
            "additionalCacheKeyComponents":{"b":"3","c":"4"}}}})");
    CHECK(s.access_tokens.at(0).additional_key_components ==
          StringPairs{{"a", "1"}, {"b", "3"}, {"c", "4"}});
  }
}

TEST_CASE("timestamps are strings or numbers, and malformed ones read as 0",
          "[json][dialect][timestamps]") {
  CacheSnapshot s = MustRead(R"({"AccessToken":{
      "a":{"cached_at":1700000000,"expires_on":"1700003600"},
      "b":{"cached_at":null,"expires_on":"in an hour","refresh_on":1.5e9},
      "c":{"expires_on":99999999999999999999999,"cached_at":true,
           "refresh_on":{"at":1}},
      "d":{"expires_on":"-5","cached_at":"007"}}})");
  REQUIRE(s.access_tokens.size() == 4);
  const AccessToken& a = s.access_tokens[0];
  CHECK(a.cached_at == 1700000000);
  CHECK(a.expires_on == 1700003600);
  CHECK(a.extra.empty());

  const AccessToken& b = s.access_tokens[1];
  CHECK(b.cached_at == 0);
  CHECK(b.expires_on == 0);
  CHECK(b.refresh_on == 0);
  REQUIRE(b.extra.size() == 2);  // the malformed originals, kept
  CHECK(b.extra[0].name == "expires_on");
  CHECK(b.extra[0].json_value == "\"in an hour\"");
  CHECK(b.extra[1].name == "refresh_on");
  CHECK(b.extra[1].json_value == "1.5e9");

  const AccessToken& c = s.access_tokens[2];
  CHECK(c.expires_on == 0);  // does not fit in int64
  REQUIRE(c.extra.size() == 3);
  CHECK(c.extra[0].json_value == "99999999999999999999999");
  CHECK(c.extra[1].json_value == "true");
  CHECK(c.extra[2].json_value == "{\"at\":1}");

  CHECK(s.access_tokens[3].expires_on == -5);
  CHECK(s.access_tokens[3].cached_at == 7);

  // Malformed values are written back as they were.
  std::string json = MustWrite(s);
  CHECK(json.find("\"expires_on\":\"in an hour\"") != std::string::npos);
  CHECK(json.find("\"expires_on\":99999999999999999999999") !=
        std::string::npos);
  CHECK(test::SnapshotDiff(s, MustRead(json)) == "");
}

TEST_CASE("ext_expires_on stands in only for an absent extended_expires_on",
          "[json][dialect][timestamps]") {
  CacheSnapshot s = MustRead(R"({"AccessToken":{
      "a":{"ext_expires_on":"10"},
      "b":{"extended_expires_on":"0","ext_expires_on":"11"},
      "c":{"extended_expires_on":"12","x":1,"ext_expires_on":"13","y":2},
      "d":{"ext_expires_on":"bad","extended_expires_on":null},
      "e":{"extended_expires_on":"bad","ext_expires_on":"14"}}})");
  REQUIRE(s.access_tokens.size() == 5);
  CHECK(s.access_tokens[0].extended_expires_on == 10);
  CHECK(s.access_tokens[0].extra.empty());
  CHECK(s.access_tokens[1].extended_expires_on == 11);
  // Not needed: kept as an unknown field where it was.
  CHECK(s.access_tokens[2].extended_expires_on == 12);
  REQUIRE(s.access_tokens[2].extra.size() == 3);
  CHECK(s.access_tokens[2].extra[1].name == "ext_expires_on");
  CHECK(s.access_tokens[2].extra[1].json_value == "\"13\"");
  CHECK(s.access_tokens[3].extended_expires_on == 0);
  REQUIRE(s.access_tokens[3].extra.size() == 1);
  CHECK(s.access_tokens[3].extra[0].name == "ext_expires_on");
  CHECK(s.access_tokens[4].extended_expires_on == 0);
  CHECK(s.access_tokens[4].extra.size() == 2);
  CHECK(test::SnapshotDiff(s, MustRead(MustWrite(s))) == "");
}

TEST_CASE("null and absent mean the same", "[json][dialect]") {
  CacheSnapshot s = MustRead(R"({
      "Account": null,
      "AccessToken": {"skipped": null,
          "k": {"home_account_id": null, "secret": null, "ext": null,
                "token_type": null, "expires_on": null}},
      "RefreshToken": {"k": {"family_id": null}},
      "IdToken": {"k": {"realm": null}},
      "AppMetadata": {"k": {"family_id": null}}})");
  CHECK(s.accounts.empty());
  REQUIRE(s.access_tokens.size() == 1);
  CHECK(s.access_tokens[0].home_account_id.empty());
  CHECK(s.access_tokens[0].secret.empty());
  CHECK(s.access_tokens[0].expires_on == 0);
  CHECK(s.access_tokens[0].extra.empty());
  CHECK(s.refresh_tokens.at(0).family_id.empty());
  CHECK(s.id_tokens.at(0).realm.empty());
  CHECK(s.app_metadata.at(0).family_id.empty());

  CacheSnapshot missing = MustRead(R"({"IdToken":{}})");
  CHECK(missing.accounts.empty());
  CHECK(missing.access_tokens.empty());
}

TEST_CASE("object keys are ignored and every entry is returned",
          "[json][dialect]") {
  CacheSnapshot s = MustRead(R"({"AccessToken":{
      "not-a-real-key": {"client_id":"a","secret":"1"},
      "": {"client_id":"a","secret":"1"},
      "not-a-real-key": {"client_id":"b","secret":"2"}}})");
  REQUIRE(s.access_tokens.size() == 3);
  CHECK(s.access_tokens[2].client_id == "b");
}

TEST_CASE("unknown sections and fields are kept verbatim in read order",
          "[json][dialect][unknown]") {
  CacheSnapshot s = MustRead(R"({
      "Zeta": [1, {"a": [true, false, null]}, "x\ny"],
      "AccessToken": {"k": {"secret": "s", "newer": {"deep": {"er": [1e3]}},
                            "alpha": "\u00e9\u0000", "beta": -0.5}},
      "Alpha": null})");
  REQUIRE(s.unknown_sections.size() == 2);
  CHECK(s.unknown_sections[0].name == "Zeta");
  CHECK(s.unknown_sections[0].json_value ==
        "[1,{\"a\":[true,false,null]},\"x\\ny\"]");
  CHECK(s.unknown_sections[1].name == "Alpha");
  CHECK(s.unknown_sections[1].json_value == "null");
  REQUIRE(s.access_tokens.size() == 1);
  const ExtraFields& extra = s.access_tokens[0].extra;
  REQUIRE(extra.size() == 3);
  CHECK(extra[0].name == "newer");
  CHECK(extra[0].json_value == "{\"deep\":{\"er\":[1e3]}}");
  CHECK(extra[1].name == "alpha");
  CHECK(extra[1].json_value == "\"\xC3\xA9\\u0000\"");
  CHECK(extra[2].json_value == "-0.5");
  std::string json = MustWrite(s);
  // Unknown sections come after the five, in their order.
  CHECK(json.find("\"Zeta\"") > json.find("\"AppMetadata\""));
  CHECK(json.find("\"Alpha\"") > json.find("\"Zeta\""));
  CHECK(test::SnapshotDiff(s, MustRead(json)) == "");
}

TEST_CASE("tenant profiles keep their unknown keys",
          "[json][dialect][tenantprofiles]") {
  CacheSnapshot s = MustRead(R"({"Account":{"k":{"tenantProfiles":[
      "{\"tenantId\":\"t1\",\"isHomeTenant\":true,\"loginHint\":\"h\",\"upn\":\"u\",\"nativeAccountId\":\"n\",\"later\":{\"x\":[1]}}",
      "{\"tenantId\":\"t2\",\"name\":null,\"isHomeTenant\":null}"]}}})");
  REQUIRE(s.accounts.size() == 1);
  REQUIRE(s.accounts[0].tenant_profiles.size() == 2);
  const TenantProfile& p = s.accounts[0].tenant_profiles[0];
  CHECK(p.tenant_id == "t1");
  CHECK(p.is_home_tenant);
  CHECK(p.login_hint == "h");
  CHECK(p.upn == "u");
  CHECK(p.native_account_id == "n");
  REQUIRE(p.extra.size() == 1);
  CHECK(p.extra[0].name == "later");
  CHECK(p.extra[0].json_value == "{\"x\":[1]}");
  CHECK_FALSE(s.accounts[0].tenant_profiles[1].is_home_tenant);
  CHECK(test::SnapshotDiff(s, MustRead(MustWrite(s))) == "");
}

TEST_CASE("empty input and white space are an empty cache",
          "[json][dialect]") {
  for (std::string_view input :
       {std::string_view(""), std::string_view(" \n\t\r "),
        std::string_view("\xEF\xBB\xBF")}) {
    CacheSnapshot s = MustRead(input);
    CHECK(test::SnapshotDiff(s, CacheSnapshot()) == "");
  }
  // A byte order mark before a document is skipped too.
  CacheSnapshot s = MustRead("\xEF\xBB\xBF{\"AppMetadata\":{\"k\":{}}}");
  CHECK(s.app_metadata.size() == 1);
}

TEST_CASE("a token type of exactly Bearer is the default",
          "[json][dialect]") {
  CacheSnapshot s = MustRead(R"({"AccessToken":{
      "a":{"token_type":"Bearer"},"b":{"token_type":"bearer"},
      "c":{"token_type":"ssh-cert"}}})");
  CHECK(s.access_tokens.at(0).token_type.empty());
  CHECK(s.access_tokens.at(1).token_type == "bearer");  // kept as written
  CHECK(s.access_tokens.at(2).token_type == "ssh-cert");
  rapidjson::Document doc = Dom(MustWrite(s));
  auto it = doc["AccessToken"].MemberBegin();
  CHECK(Str(it->value, "credential_type") == "AccessToken");
  ++it;
  CHECK(Str(it->value, "credential_type") == "AccessToken");
  ++it;
  CHECK(Str(it->value, "credential_type") == "AccessToken_With_AuthScheme");
  CHECK(std::string(it->name.GetString()).find("-ssh-cert") !=
        std::string::npos);
}

}  // namespace
}  // namespace tokencache
