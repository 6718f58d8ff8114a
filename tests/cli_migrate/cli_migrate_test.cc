// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Runs `tokencache migrate`, `purge-expired` and `stats` as real processes
// against real cache files and LMDB environments.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Run Cli(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1",
                                   TOKENCACHE_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = test::ChildProcess::Spawn(argv);
  std::string out;
  for (const std::string& line : child->ReadAllLines()) out += line + "\n";
  int status = child->Wait();
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), out};
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

CacheSnapshot Parse(const std::string& bytes) {
  Result<CacheSnapshot> s = NewMsalJsonSerializer()->Deserialize(bytes);
  REQUIRE_OK(s);
  return std::move(*s);
}

fs::path Fixture(const char* name) {
  return fs::path(TOKENCACHE_FIXTURES_DIR) / "msal-node" / name;
}

std::size_t Total(const CacheSnapshot& s) {
  return s.accounts.size() + s.access_tokens.size() +
         s.refresh_tokens.size() + s.id_tokens.size() + s.app_metadata.size();
}

void CheckSameCounts(const CacheSnapshot& a, const CacheSnapshot& b) {
  CHECK(a.accounts.size() == b.accounts.size());
  CHECK(a.access_tokens.size() == b.access_tokens.size());
  CHECK(a.refresh_tokens.size() == b.refresh_tokens.size());
  CHECK(a.id_tokens.size() == b.id_tokens.size());
  CHECK(a.app_metadata.size() == b.app_metadata.size());
  CHECK(a.unknown_sections.size() == b.unknown_sections.size());
}

std::vector<std::string> Secrets(const CacheSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& t : s.access_tokens) out.emplace_back(t.secret.view());
  for (const auto& t : s.refresh_tokens) out.emplace_back(t.secret.view());
  for (const auto& t : s.id_tokens) out.emplace_back(t.secret.view());
  return out;
}

bool LeaksAny(const std::string& text,
              const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (std::size_t i = 0; i + 12 <= secret.size(); i += 6) {
      if (text.find(secret.substr(i, 12)) != std::string::npos) return true;
    }
  }
  return false;
}

// A source cache file: a real msal-node fixture plus an unknown top-level
// section, which migrate must carry along.
fs::path SourceCache(const test::TempDir& dir) {
  std::string text = ReadFile(Fixture("ropc-two-accounts.json"));
  const std::size_t brace = text.find('{');
  REQUIRE(brace != std::string::npos);
  text.insert(brace + 1, "\"VendorSection\":{\"k\":\"v\"},");
  fs::path path = dir / "source.json";
  WriteFile(path, text);
  return path;
}

TEST_CASE("migrate copies a file cache to LMDB, encrypted binary and back",
          "[cli][migrate]") {
  test::TempDir dir;
  const fs::path source = SourceCache(dir);
  const std::string before = ReadFile(source);
  const CacheSnapshot expected = Parse(before);
  REQUIRE(expected.unknown_sections.size() == 1);
  REQUIRE(Total(expected) == 9);
  WriteFile(dir / "key", std::string(32, '\x5a'));

  const std::string json_uri = "file://" + source.string();
  const std::string lmdb_uri = "lmdb://" + (dir / "db").string();
  const std::string bin_uri = "file://" + (dir / "x.bin").string() +
                              "?format=binary&key=file:" +
                              (dir / "key").string();
  const std::string back_uri = "file://" + (dir / "back.json").string();

  Run to_lmdb = Cli({"--cache", json_uri, "migrate", "--to", lmdb_uri});
  INFO(to_lmdb.output);
  REQUIRE(to_lmdb.exit_code == 0);
  // Batches of two: five transactions, progress on stderr.
  Run to_bin = Cli({"--cache", lmdb_uri, "migrate", "--to", bin_uri,
                    "--batch-size", "2"});
  INFO(to_bin.output);
  REQUIRE(to_bin.exit_code == 0);
  CHECK(to_bin.output.find("migrated 2/9") != std::string::npos);
  CHECK(to_bin.output.find("migrated 9/9") != std::string::npos);
  Run to_json = Cli({"--cache", bin_uri, "migrate", "--to", back_uri});
  INFO(to_json.output);
  REQUIRE(to_json.exit_code == 0);

  CHECK(ReadFile(source) == before);
  // The binary file is sealed: no JSON and no token text in it.
  const std::string sealed = ReadFile(dir / "x.bin");
  CHECK(sealed.find("access_token") == std::string::npos);
  CHECK_FALSE(LeaksAny(sealed, Secrets(expected)));
  CHECK_FALSE(LeaksAny(to_lmdb.output + to_bin.output + to_json.output,
                       Secrets(expected)));
  CHECK(to_bin.output.find("key=file:") == std::string::npos);

  const CacheSnapshot back = Parse(ReadFile(dir / "back.json"));
  CheckSameCounts(back, expected);
  REQUIRE(back.unknown_sections.size() == 1);
  CHECK(back.unknown_sections[0].name == "VendorSection");
  std::vector<std::string> want = Secrets(expected);
  std::vector<std::string> got = Secrets(back);
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  CHECK(got == want);
}

TEST_CASE("migrate refuses a destination holding entries unless --merge",
          "[cli][migrate]") {
  test::TempDir dir;
  const std::string source_uri = "file://" + SourceCache(dir).string();
  const fs::path other = dir / "other.json";
  WriteFile(other, ReadFile(Fixture("client-credentials.json")));
  const std::string other_before = ReadFile(other);
  const std::string other_uri = "file://" + other.string();

  Run refused = Cli({"--cache", source_uri, "migrate", "--to", other_uri});
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("--merge") != std::string::npos);
  CHECK(ReadFile(other) == other_before);

  CHECK(Cli({"--cache", source_uri, "migrate", "--to", source_uri})
            .exit_code == 2);
  CHECK(Cli({"--cache", source_uri, "migrate"}).exit_code == 2);

  Run merged =
      Cli({"--cache", source_uri, "migrate", "--to", other_uri, "--merge"});
  INFO(merged.output);
  REQUIRE(merged.exit_code == 0);
  const CacheSnapshot a = Parse(ReadFile(dir / "source.json"));
  const CacheSnapshot b = Parse(other_before);
  const CacheSnapshot m = Parse(ReadFile(other));
  CHECK(Total(m) == Total(a) + Total(b));
  // Import de-duplicates by identity: merging again adds nothing.
  REQUIRE(Cli({"--cache", source_uri, "migrate", "--to", other_uri,
               "--merge"})
              .exit_code == 0);
  CheckSameCounts(Parse(ReadFile(other)), m);
}

AccessToken MakeAt(const std::string& realm, UnixSeconds now,
                   UnixSeconds expires_in) {
  AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.microsoftonline.com";
  at.client_id = "app-1";
  at.realm = realm;
  at.target = "user.read";
  at.secret = SecretBytes("secret-access-token-for-" + realm);
  at.cached_at = now - 600;
  at.expires_on = now + expires_in;
  at.extended_expires_on = at.expires_on;
  return at;
}

// A cache file with three expired ATs (one only inside the 5 minute
// buffer), two valid ones, an app-only one and a refresh token.
fs::path PurgeCache(const test::TempDir& dir) {
  const UnixSeconds now = static_cast<UnixSeconds>(std::time(nullptr));
  CacheSnapshot s;
  s.access_tokens.push_back(MakeAt("t-past", now, -3600));
  s.access_tokens.push_back(MakeAt("t-recent", now, -1));
  s.access_tokens.push_back(MakeAt("t-buffer", now, 120));
  s.access_tokens.push_back(MakeAt("t-valid", now, 3600));
  s.access_tokens.push_back(MakeAt("t-valid2", now, 7200));
  AccessToken app = MakeAt("t-app", now, 3600);
  app.home_account_id.clear();
  s.access_tokens.push_back(app);
  RefreshToken rt;
  rt.home_account_id = "uid.utid";
  rt.environment = "login.microsoftonline.com";
  rt.client_id = "app-1";
  rt.secret = SecretBytes("secret-refresh-token-value");
  s.refresh_tokens.push_back(rt);
  Result<SecretBytes> bytes = NewMsalJsonSerializer()->Serialize(s);
  REQUIRE_OK(bytes);
  fs::path path = dir / "purge.json";
  WriteFile(path, std::string(bytes->view()));
  return path;
}

TEST_CASE("purge-expired removes exactly the expired access tokens",
          "[cli][purge]") {
  test::TempDir dir;
  const fs::path path = PurgeCache(dir);
  const std::string uri = "file://" + path.string();
  const std::string before = ReadFile(path);

  Run dry = Cli({"--cache", uri, "purge-expired", "--dry-run"});
  INFO(dry.output);
  REQUIRE(dry.exit_code == 0);
  CHECK(dry.output.find("would remove 3 ") != std::string::npos);
  CHECK(ReadFile(path) == before);

  Run purge = Cli({"--cache", uri, "purge-expired"});
  INFO(purge.output);
  REQUIRE(purge.exit_code == 0);
  CHECK(purge.output.find("removed 3 ") != std::string::npos);
  const CacheSnapshot after = Parse(ReadFile(path));
  std::vector<std::string> realms;
  for (const AccessToken& at : after.access_tokens) realms.push_back(at.realm);
  std::sort(realms.begin(), realms.end());
  CHECK(realms == std::vector<std::string>{"t-app", "t-valid", "t-valid2"});
  CHECK(after.refresh_tokens.size() == 1);

  Run again = Cli({"--cache", uri, "purge-expired"});
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("removed 0 ") != std::string::npos);
}

TEST_CASE("stats --json counts kinds, partitions, expiry and sizes",
          "[cli][stats]") {
  test::TempDir dir;
  const fs::path path = PurgeCache(dir);
  const std::string uri = "file://" + path.string();
  const std::string before = ReadFile(path);
  const CacheSnapshot s = Parse(before);

  Run run = Cli({"--cache", uri, "stats", "--json"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(ReadFile(path) == before);
  CHECK_FALSE(LeaksAny(run.output, Secrets(s)));
  rapidjson::Document d;
  d.Parse(run.output.c_str(), run.output.size());
  REQUIRE_FALSE(d.HasParseError());
  const auto& e = d["entries"];
  CHECK(e["access_tokens"].GetUint64() == 6);
  CHECK(e["refresh_tokens"].GetUint64() == 1);
  CHECK(e["accounts"].GetUint64() == 0);
  CHECK(e["total"].GetUint64() == 7);
  CHECK(d["access_tokens"]["valid"].GetUint64() == 3);
  CHECK(d["access_tokens"]["expired"].GetUint64() == 3);
  // uid.utid holds five ATs and the RT; the app-only AT is its own.
  CHECK(d["partition_count"].GetUint64() == 2);
  const auto& top = d["top_partitions"].GetArray();
  REQUIRE(top.Size() == 2);
  CHECK(std::string(top[0]["partition"].GetString()) == "account uid.utid");
  CHECK(top[0]["entries"].GetUint64() == 6);
  CHECK(top[1]["entries"].GetUint64() == 1);

  Result<SecretBytes> json = NewMsalJsonSerializer()->Serialize(s);
  Result<SecretBytes> binary = NewBinarySerializer()->Serialize(s);
  REQUIRE_OK(json);
  REQUIRE_OK(binary);
  CHECK(d["serialized_bytes"]["msal_json"].GetUint64() == json->size());
  CHECK(d["serialized_bytes"]["binary"].GetUint64() == binary->size());

  Run text = Cli({"--cache", uri, "stats"});
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("3 valid, 3 expired") != std::string::npos);
}

}  // namespace
}  // namespace tokencache
