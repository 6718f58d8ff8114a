// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// `tokencache acquire-silent` run as a real process against a real file
// cache and the real oauth2-mock-server: exit codes, JSON fields, hidden
// secrets, and single-flight refresh across eight processes (reliability
// plan L11).

#include <rapidjson/document.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/resolver/resolver_fixture.h"
#include "tests/support/temp_dir.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using test::MockResponse;
using test::Server;

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs the command; stderr is merged into the captured output so that
// secrets are looked for in everything it prints. No Catch assertions, so
// it may run on several threads: exit_code -1 means it could not run.
Run RunCommand(const std::vector<std::string>& args) {
  std::string command = ShellQuote(TOKENCACHE_CLI_PATH);
  for (const std::string& a : args) command += " " + ShellQuote(a);
  command += " 2>&1";
  Run run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    run.output.append(buffer, n);
  }
  int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

Run Cli(const std::vector<std::string>& args) {
  Run run = RunCommand(args);
  REQUIRE(run.exit_code >= 0);
  return run;
}

class CliFixture {
 public:
  CliFixture() {
    REQUIRE_OK(Server().Reset());
    REQUIRE_OK(Server().SetDefault(test::Success()));
    uri_ = "file://" + (dir_ / "cache.json").string();
  }

  // Seeds kHome/kClient with an AT that expires `expires_in` from now
  // (system clock: the command uses it) and a refresh token.
  void Seed(std::int64_t expires_in,
            std::string_view refresh_token = test::kSeedRt) {
    auto cache = OpenCache(uri_);
    REQUIRE_OK(cache);
    TokenRequestContext context;
    context.authority_host = test::kHost;
    context.tenant = test::kTenant;
    context.client_id = test::kClient;
    context.scopes = {"User.Read"};
    context.request_time = static_cast<UnixSeconds>(std::time(nullptr));
    TokenResponse response;
    response.access_token = SecretBytes(std::string_view(test::kSeedAt));
    response.refresh_token = SecretBytes(refresh_token);
    response.client_info = test::ClientInfo();
    response.scope = "User.Read";
    response.expires_in = expires_in;
    REQUIRE_OK((*cache)->ApplyTokenResponse(context, response));
  }

  std::vector<std::string> Args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {
        "--cache",
        uri_,
        "acquire-silent",
        "--client-id",
        test::kClient,
        "--authority",
        std::string("https://") + test::kHost + "/contoso",
        "--scope",
        "User.Read",
        "--account",
        test::kHome,
        "--token-endpoint",
        Server().BaseUrl() + "/contoso/oauth2/v2.0/token"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Runs with --json and parses the one JSON line.
  rapidjson::Document Json(const Run& run) {
    rapidjson::Document doc;
    doc.Parse(run.output.c_str(), run.output.size());
    INFO(run.output);
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    return doc;
  }

  static std::string Str(const rapidjson::Document& doc, const char* key) {
    REQUIRE(doc.HasMember(key));
    return doc[key].IsString() ? doc[key].GetString() : "";
  }

 protected:
  test::TempDir dir_;
  std::string uri_;
};

TEST_CASE_METHOD(CliFixture,
                 "acquire-silent prints a cache hit as JSON without the token",
                 "[resolver][cli]") {
  Seed(3600);
  Run run = Cli(Args({"--json"}));
  CHECK(run.exit_code == 0);
  CHECK_FALSE(test::LeaksCanary(run.output));
  rapidjson::Document doc = Json(run);
  CHECK(Str(doc, "outcome") == "cache_hit");
  CHECK(Str(doc, "reason") == "none");
  CHECK(Str(doc, "source") == "cache");
  REQUIRE(doc.HasMember("expires_on"));
  CHECK(doc["expires_on"].IsInt64());
  CHECK(doc["access_token"].IsNull());
  CHECK(doc["error"].IsNull());
  CHECK(doc["suberror"].IsNull());
  CHECK(Server().Requests()->empty());

  Run shown = Cli(Args({"--json", "--show-secrets"}));
  CHECK(shown.exit_code == 0);
  CHECK(shown.output.find(test::kSeedAt) != std::string::npos);

  Run text = Cli(Args());
  CHECK(text.exit_code == 0);
  CHECK(text.output.find("cache_hit") != std::string::npos);
  CHECK(text.output.find("<redacted") != std::string::npos);
  CHECK_FALSE(test::LeaksCanary(text.output));
}

TEST_CASE_METHOD(CliFixture,
                 "acquire-silent refreshes an expired token through "
                 "--token-endpoint",
                 "[resolver][cli]") {
  Seed(60);
  REQUIRE_OK(Server().Script(test::CanarySuccess()));
  Run run = Cli(Args({"--json"}));
  CHECK(run.exit_code == 0);
  CHECK_FALSE(test::LeaksCanary(run.output));
  rapidjson::Document doc = Json(run);
  CHECK(Str(doc, "outcome") == "refreshed");
  CHECK(Str(doc, "source") == "identity_provider");
  CHECK(Str(doc, "cache_refresh_reason") == "cached_access_token_expired");
  auto requests = Server().Requests();
  REQUIRE_OK(requests);
  CHECK(requests->size() == 1);

  // The rotated refresh token was stored in the file.
  auto cache = OpenCache(uri_);
  REQUIRE_OK(cache);
  auto snapshot = (*cache)->Export();
  REQUIRE_OK(snapshot);
  REQUIRE(snapshot->refresh_tokens.size() == 1);
  CHECK((snapshot->refresh_tokens[0].secret.Equals(
      std::string_view(test::kServerRt))));
}

TEST_CASE_METHOD(CliFixture,
                 "acquire-silent exits 10 when the user must sign in",
                 "[resolver][cli]") {
  Seed(60);
  REQUIRE_OK(Server().Script(
      MockResponse::Error(400, "invalid_grant", "basic_action")));
  Run run = Cli(Args({"--json"}));
  CHECK(run.exit_code == 10);
  rapidjson::Document doc = Json(run);
  CHECK(Str(doc, "outcome") == "ui_required");
  CHECK(Str(doc, "reason") == "invalid_grant");
  CHECK(Str(doc, "error") == "invalid_grant");
  CHECK(Str(doc, "suberror") == "basic_action");
  CHECK(doc["expires_on"].IsNull());
  CHECK_FALSE(test::LeaksCanary(run.output));

  std::vector<std::string> no_account = Args({"--json"});
  no_account.erase(no_account.begin() + 9, no_account.begin() + 11);
  Run none = Cli(no_account);
  CHECK(none.exit_code == 10);
  CHECK(Str(Json(none), "reason") == "no_account");
}

TEST_CASE_METHOD(CliFixture,
                 "acquire-silent exits 11 for transient and service errors",
                 "[resolver][cli]") {
  Seed(60);
  REQUIRE_OK(Server().Script(MockResponse::Error(500, "server_error")));
  Run run = Cli(Args({"--json"}));
  CHECK(run.exit_code == 11);
  rapidjson::Document doc = Json(run);
  CHECK(Str(doc, "outcome") == "transient");
  CHECK(Str(doc, "reason") == "http_5xx");
  CHECK(doc["http_status"].GetInt() == 500);

  REQUIRE_OK(Server().Script(MockResponse::Error(401, "invalid_client")));
  Run refused = Cli(Args({"--json"}));
  CHECK(refused.exit_code == 11);
  CHECK(Str(Json(refused), "outcome") == "service_error");

  // Plain http to a host that is not loopback is never sent.
  std::vector<std::string> remote = Args({"--json"});
  remote[12] = "http://example.com/contoso/oauth2/v2.0/token";
  Run rejected = Cli(remote);
  CHECK(rejected.exit_code == 11);
  CHECK(Str(Json(rejected), "reason") == "request_rejected");
}

TEST_CASE_METHOD(CliFixture,
                 "acquire-silent --app reports a missing app token with "
                 "exit code 3",
                 "[resolver][cli]") {
  Run run = Cli({"--cache", uri_, "acquire-silent", "--app", "--client-id",
                 "daemon-1", "--authority",
                 "https://login.microsoftonline.com/contoso", "--scope",
                 "https://graph.microsoft.com/.default", "--json"});
  CHECK(run.exit_code == 3);
  CHECK(Str(Json(run), "outcome") == "no_token_in_cache");

  Run usage = Cli({"--cache", uri_, "acquire-silent", "--scope", "x"});
  CHECK(usage.exit_code == 2);
}

TEST_CASE_METHOD(CliFixture,
                 "Eight processes refreshing one expired token redeem the "
                 "refresh token once",
                 "[resolver][cli][singleflight]") {
  constexpr int kRounds = 3;
  constexpr int kProcesses = 8;
  std::set<std::string> redeemed;
  int grants = 0;
  for (int round = 0; round < kRounds; ++round) {
    test::TempDir round_dir;
    uri_ = "file://" + (round_dir / "cache.json").string();
    Seed(60, "rt-round-" + std::to_string(round));
    REQUIRE_OK(Server().Reset());
    MockResponse slow = test::Success();
    slow.delay = milliseconds(300);
    REQUIRE_OK(Server().SetDefault(slow));

    std::vector<Run> runs(kProcesses);
    std::vector<std::thread> threads;
    for (int p = 0; p < kProcesses; ++p) {
      // RunCommand, not Cli: no Catch assertions off the main thread.
      threads.emplace_back([&, p] {
        runs[static_cast<std::size_t>(p)] =
            RunCommand(Args({"--json", "--show-secrets"}));
      });
    }
    for (std::thread& t : threads) t.join();

    std::set<std::string> tokens;
    for (const Run& run : runs) {
      CHECK(run.exit_code == 0);
      rapidjson::Document doc;
      doc.Parse(run.output.c_str(), run.output.size());
      REQUIRE_FALSE(doc.HasParseError());
      REQUIRE(doc["access_token"].IsString());
      tokens.insert(doc["access_token"].GetString());
    }
    auto requests = Server().Requests();
    REQUIRE_OK(requests);
    grants += static_cast<int>(requests->size());
    CHECK(requests->size() == 1);
    for (const auto& q : *requests) {
      auto rt = q.Field("refresh_token");
      REQUIRE(rt.has_value());
      CHECK(redeemed.insert(*rt).second);  // Never the same RT twice.
    }
    // Every caller got the one new token.
    CHECK(tokens.size() == 1);
  }
  CHECK(grants == kRounds);
}

}  // namespace
}  // namespace tokencache
