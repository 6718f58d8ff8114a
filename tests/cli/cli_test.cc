// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Runs the tokencache command as a real process against real files and
// checks its output, its files and its exit codes.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr together
};

Run Cli(const std::vector<std::string>& args) {
  // sh merges stderr into the captured stdout, so that secrets are looked
  // for in everything the command prints.
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

fs::path FixtureDir() { return fs::path(TOKENCACHE_FIXTURES_DIR) / "msal-node"; }

struct Fixture {
  fs::path path;
  std::size_t accounts, id_tokens, access_tokens, refresh_tokens,
      app_metadata;
};

// Every fixture MANIFEST.json describes, with its entry counts.
std::vector<Fixture> Fixtures() {
  rapidjson::Document manifest;
  std::string text = ReadFile(FixtureDir() / "MANIFEST.json");
  manifest.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(manifest.HasParseError());
  std::vector<Fixture> out;
  for (const auto& f : manifest["files"].GetArray()) {
    const auto& c = f["counts"];
    out.push_back({FixtureDir() / f["file"].GetString(),
                   c["Account"].GetUint(), c["IdToken"].GetUint(),
                   c["AccessToken"].GetUint(), c["RefreshToken"].GetUint(),
                   c["AppMetadata"].GetUint()});
  }
  REQUIRE(out.size() >= 4);
  return out;
}

// Every secret of every entry of a parsed fixture.
std::vector<std::string> Secrets(const CacheSnapshot& s) {
  std::vector<std::string> out;
  for (const auto& t : s.access_tokens) out.emplace_back(t.secret.view());
  for (const auto& t : s.refresh_tokens) out.emplace_back(t.secret.view());
  for (const auto& t : s.id_tokens) out.emplace_back(t.secret.view());
  return out;
}

CacheSnapshot Parse(const std::string& bytes) {
  Result<CacheSnapshot> s = NewMsalJsonSerializer()->Deserialize(bytes);
  REQUIRE_OK(s);
  return std::move(*s);
}

// True when `text` holds any 12-character piece of any secret.
bool LeaksAny(const std::string& text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (std::size_t i = 0; i + 12 <= secret.size(); i += 6) {
      if (text.find(secret.substr(i, 12)) != std::string::npos) return true;
    }
  }
  return false;
}

TEST_CASE("tokencache --help documents every exit code", "[cli]") {
  Run run = Cli({"--help"});
  CHECK(run.exit_code == 0);
  for (const char* code : {" 0 ", " 1 ", " 2 ", " 3 ", " 4 ", " 5 ", " 6 ",
                           " 7 ", "10 ", "11 "}) {
    INFO(code);
    CHECK(run.output.find(code) != std::string::npos);
  }
  CHECK(Cli({}).exit_code == 2);
  CHECK(Cli({"no-such-command"}).exit_code == 2);
}

TEST_CASE("import then export keeps every entry of each msal-node fixture",
          "[cli][interop]") {
  for (const Fixture& f : Fixtures()) {
    INFO(f.path.filename().string());
    test::TempDir dir;
    std::string uri = "file://" + (dir / "cache.json").string();
    Run imported = Cli({"--cache", uri, "import", f.path.string()});
    INFO(imported.output);
    REQUIRE(imported.exit_code == 0);
    fs::path out = dir / "out.json";
    Run exported = Cli({"--cache", uri, "export", "-o", out.string()});
    REQUIRE(exported.exit_code == 0);

    struct stat st {};
    REQUIRE(::stat(out.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CacheSnapshot s = Parse(ReadFile(out));
    CHECK(s.accounts.size() == f.accounts);
    CHECK(s.id_tokens.size() == f.id_tokens);
    CHECK(s.access_tokens.size() == f.access_tokens);
    CHECK(s.refresh_tokens.size() == f.refresh_tokens);
    CHECK(s.app_metadata.size() == f.app_metadata);
    // Export to stdout is the same cache.
    Run to_stdout = Cli({"--cache", uri, "export"});
    REQUIRE(to_stdout.exit_code == 0);
    CacheSnapshot again = Parse(to_stdout.output);
    CHECK(again.access_tokens.size() == f.access_tokens);
  }
}

TEST_CASE("tokens hides secrets unless --show-secrets is given",
          "[cli][secrets]") {
  test::TempDir dir;
  std::string uri = "file://" + (dir / "cache.json").string();
  std::vector<std::string> secrets;
  for (const Fixture& f : Fixtures()) {
    REQUIRE(Cli({"--cache", uri, "import", f.path.string()}).exit_code == 0);
    for (std::string& s : Secrets(Parse(ReadFile(f.path)))) {
      secrets.push_back(std::move(s));
    }
  }
  REQUIRE(secrets.size() > 10);
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--json"}}) {
    std::vector<std::string> args = {"--cache", uri, "tokens"};
    args.insert(args.end(), extra.begin(), extra.end());
    Run hidden = Cli(args);
    REQUIRE(hidden.exit_code == 0);
    bool listed = hidden.output.find("access tokens") != std::string::npos ||
                  hidden.output.find("access_tokens") != std::string::npos;
    CHECK(listed);
    CHECK_FALSE(LeaksAny(hidden.output, secrets));
    args.push_back("--show-secrets");
    Run shown = Cli(args);
    REQUIRE(shown.exit_code == 0);
    CHECK(LeaksAny(shown.output, secrets));
  }
  Run accounts = Cli({"--cache", uri, "accounts"});
  REQUIRE(accounts.exit_code == 0);
  CHECK_FALSE(LeaksAny(accounts.output, secrets));
}

TEST_CASE("tokens shows extreme stored times on the right side of now",
          "[cli]") {
  // Times come from the cache file: the most negative int64 must read as
  // long past, not wrap around into the future.
  test::TempDir dir;
  const fs::path file = dir / "cache.json";
  {
    std::ofstream out(file);
    out << R"({"AccessToken":{"k":{"home_account_id":"u.t",)"
           R"("environment":"login.microsoftonline.com",)"
           R"("credential_type":"AccessToken","client_id":"app",)"
           R"("secret":"s","realm":"t","target":"user.read",)"
           R"("cached_at":"1700000000",)"
           R"("expires_on":"-9223372036854775808",)"
           R"("refresh_on":"9223372036854775807"}}})";
  }
  Run run = Cli({"--cache", "file://" + file.string(), "tokens"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output.find("(292471208") != std::string::npos);
  CHECK(run.output.find("y ago)") != std::string::npos);
  CHECK(run.output.find("refresh in 292471208") != std::string::npos);
}

TEST_CASE("accounts --json lists the fixture's users", "[cli]") {
  test::TempDir dir;
  std::string uri = "file://" + (dir / "cache.json").string();
  fs::path fixture = FixtureDir() / "ropc-two-accounts.json";
  REQUIRE(Cli({"--cache", uri, "import", fixture.string()}).exit_code == 0);
  Run run = Cli({"--cache", uri, "accounts", "--json"});
  REQUIRE(run.exit_code == 0);
  rapidjson::Document doc;
  doc.Parse(run.output.c_str(), run.output.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsArray());
  std::set<std::string> expected;
  for (const Account& a : Parse(ReadFile(fixture)).accounts) {
    expected.insert(a.home_account_id);
  }
  std::set<std::string> listed;
  for (const auto& a : doc.GetArray()) {
    listed.insert(a["home_account_id"].GetString());
  }
  CHECK(listed == expected);
}

TEST_CASE("remove-account removes the account and reports unknown ones",
          "[cli]") {
  test::TempDir dir;
  std::string uri = "file://" + (dir / "cache.json").string();
  fs::path fixture = FixtureDir() / "ropc-two-accounts.json";
  REQUIRE(Cli({"--cache", uri, "import", fixture.string()}).exit_code == 0);
  CacheSnapshot before = Parse(ReadFile(fixture));
  REQUIRE_FALSE(before.accounts.empty());
  const std::string home = before.accounts.front().home_account_id;

  CHECK(Cli({"--cache", uri, "remove-account", "no-such.account"}).exit_code ==
        3);
  REQUIRE(Cli({"--cache", uri, "remove-account", home}).exit_code == 0);
  Run exported = Cli({"--cache", uri, "export"});
  REQUIRE(exported.exit_code == 0);
  CacheSnapshot after = Parse(exported.output);
  for (const auto& a : after.accounts) CHECK(a.home_account_id != home);
  for (const auto& t : after.access_tokens) CHECK(t.home_account_id != home);
  for (const auto& t : after.refresh_tokens) CHECK(t.home_account_id != home);
  CHECK(after.accounts.size() + 1 == before.accounts.size());
}

TEST_CASE("a corrupt cache file fails with exit code 4 and is left untouched",
          "[cli][durability]") {
  test::TempDir dir;
  fs::path path = dir / "cache.json";
  std::string original = ReadFile(FixtureDir() / "ropc-two-accounts.json");
  std::string corrupt = original.substr(0, original.size() / 2);
  {
    std::ofstream out(path, std::ios::binary);
    out << corrupt;
  }
  ::chmod(path.c_str(), 0600);
  std::vector<std::string> secrets = Secrets(Parse(original));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"accounts"},
        std::vector<std::string>{"tokens"},
        std::vector<std::string>{"import",
                                 (FixtureDir() / "client-credentials.json")
                                     .string()}}) {
    std::vector<std::string> full = {"--cache", "file://" + path.string()};
    full.insert(full.end(), args.begin(), args.end());
    Run run = Cli(full);
    INFO(args.front());
    CHECK(run.exit_code == 4);
    CHECK_FALSE(LeaksAny(run.output, secrets));
  }
  CHECK(ReadFile(path) == corrupt);
}

TEST_CASE("bad cache URIs and options are usage errors", "[cli]") {
  test::TempDir dir;
  std::string path = (dir / "cache.json").string();
  CHECK(Cli({"--cache", "nosuchscheme:///x", "accounts"}).exit_code == 3);
  CHECK(Cli({"--cache", "file://" + path + "?kee=file:/x", "accounts"})
            .exit_code == 2);
  CHECK(Cli({"--cache", "relative/path", "accounts"}).exit_code == 2);
  CHECK(Cli({"--cache", "file://" + path, "tokens", "--bogus"}).exit_code ==
        2);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("usage errors never echo what was typed", "[cli][secrets]") {
  // A token pasted into a mistyped option must not reach stderr.
  const std::string canary = "eyJ0eXAiOiJKV1QiLCanaryTokenText";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--refresh-token=" + canary, "accounts"},
        std::vector<std::string>{"tokens", "--refresh-token=" + canary},
        std::vector<std::string>{"export", "--format", canary},
        std::vector<std::string>{"demo", "--secret=" + canary}}) {
    Run run = Cli(args);
    INFO(run.output);
    CHECK(run.exit_code == 2);
    CHECK(run.output.find("CanaryTokenText") == std::string::npos);
  }
}

TEST_CASE("export -o refuses a symbolic link and leaves its target alone",
          "[cli][secrets]") {
  test::TempDir dir;
  std::string uri = "file://" + (dir / "cache.json").string();
  REQUIRE(Cli({"--cache", uri, "import",
               (FixtureDir() / "client-credentials.json").string()})
              .exit_code == 0);
  fs::path target = dir / "target.txt";
  {
    std::ofstream out(target);
    out << "keep me";
  }
  fs::path link = dir / "link.json";
  fs::create_symlink(target, link);
  Run run = Cli({"--cache", uri, "export", "-o", link.string()});
  CHECK(run.exit_code == 6);
  CHECK(ReadFile(target) == "keep me");
}

TEST_CASE("demo runs end to end on the default file store", "[cli][demo]") {
  Run run = Cli({"demo"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("cache hit") != std::string::npos);
  CHECK(run.output.find("rotated in the same write: yes") !=
        std::string::npos);
  CHECK(run.output.find("EXPIRED") != std::string::npos);
  CHECK(run.output.find("demo finished") != std::string::npos);
  Run memory = Cli({"--cache", "memory:", "demo"});
  CHECK(memory.exit_code == 0);
}

TEST_CASE("demo does not echo a cache URI it cannot parse", "[cli][demo]") {
  // The bad percent escape makes the URI unparsable; the key value in
  // it stands for a pasted raw key and must not be printed.
  const std::string pasted = "K3yMaterialThatMustStayHidden";
  Run run = Cli({"--cache", "file:///tmp/tc-demo.json?key=" + pasted + "%ZZ",
                 "demo"});
  INFO("exit code " << run.exit_code);
  CHECK(run.exit_code != 0);
  CHECK(run.output.find(pasted) == std::string::npos);
}

}  // namespace
}  // namespace tokencache
