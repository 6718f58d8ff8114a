// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A consumer of the INSTALLED tokencache: built by tests/package against the
// staging install (find_package or pkg-config), never against the source
// tree. It checks that the installed headers compile, that the libraries and
// their private dependencies link, and that the basic value types behave.

#include <cstdio>
#include <string>
#include <utility>

#include "tokencache/schema.h"
#include "tokencache/secret.h"
#include "tokencache/status.h"
#include "tokencache/version.h"

#ifdef CONSUMER_WITH_JSON
#include <memory>

#include "tokencache/serializers/json.h"
#endif

namespace {

int failures = 0;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

tokencache::Result<int> ParsePositive(int value) {
  if (value <= 0) {
    return tokencache::InvalidArgumentError("value must be positive");
  }
  return value;
}

}  // namespace

int main() {
#ifdef CONSUMER_EXPECTED_VERSION
  // The version the package config reported must be the one in the headers.
  const std::string header_version =
      std::to_string(TOKENCACHE_VERSION_MAJOR) + "." +
      std::to_string(TOKENCACHE_VERSION_MINOR) + "." +
      std::to_string(TOKENCACHE_VERSION_PATCH);
  Check(header_version == CONSUMER_EXPECTED_VERSION,
        "tokencache_VERSION matches version.h");
#endif

  // Status and Result.
  tokencache::Status ok;
  Check(ok.ok(), "a default Status is OK");
  Check(ok.ToString() == "OK", "OK prints as OK");
  tokencache::Status bad = tokencache::NotFoundError("no such cache");
  Check(!bad.ok(), "NotFoundError is an error");
  Check(bad.code() == tokencache::Code::kNotFound, "NotFoundError's code");
  Check(std::string(tokencache::CodeName(bad.code())) == "NOT_FOUND",
        "CodeName(kNotFound)");
  Check(bad.WithContext("load").message().find("load") != std::string::npos,
        "WithContext adds the context");
  tokencache::Result<int> good = ParsePositive(7);
  Check(good.ok() && *good == 7, "Result carries its value");
  tokencache::Result<int> rejected = ParsePositive(-1);
  Check(!rejected.ok() &&
            rejected.status().code() == tokencache::Code::kInvalidArgument,
        "Result carries its error");

  // SecretBytes.
  tokencache::SecretBytes secret("s3cr3t");
  Check(secret.size() == 6, "SecretBytes keeps its length");
  Check(secret.Equals(std::string_view("s3cr3t")), "SecretBytes::Equals");
  tokencache::SecretBytes copy = secret;
  copy.Append("!");
  Check(!copy.Equals(secret), "a changed copy differs");
  tokencache::SecretBytes moved = std::move(copy);
  Check(moved.view() == "s3cr3t!", "SecretBytes moves its contents");
  moved.Clear();
  Check(moved.empty(), "Clear empties");

  // Schema values.
  tokencache::CacheSnapshot snapshot;
  tokencache::AccessToken at;
  at.home_account_id = "uid.utid";
  at.environment = "login.windows.net";
  at.client_id = "client";
  at.realm = "utid";
  at.target = "https://graph.microsoft.com/User.Read";
  at.secret.Assign("access-token");
  snapshot.access_tokens.push_back(std::move(at));
  tokencache::Account account;
  account.home_account_id = "uid.utid";
  account.username = "alice@contoso.example";
  snapshot.accounts.push_back(account);
  Check(snapshot.access_tokens.size() == 1 &&
            snapshot.access_tokens[0].secret.Equals(
                std::string_view("access-token")),
        "a snapshot holds its access token");
  Check(snapshot.accounts[0].username == "alice@contoso.example",
        "a snapshot holds its account");

#ifdef CONSUMER_WITH_JSON
  // A second module: the MSAL JSON serializer round-trips the snapshot.
  std::unique_ptr<tokencache::Serializer> json =
      tokencache::NewMsalJsonSerializer();
  tokencache::Result<tokencache::SecretBytes> bytes = json->Serialize(snapshot);
  Check(bytes.ok(), "the JSON serializer writes the snapshot");
  if (bytes.ok()) {
    tokencache::Result<tokencache::CacheSnapshot> back =
        json->Deserialize(bytes->view());
    Check(back.ok() && back->access_tokens.size() == 1 &&
              back->access_tokens[0].secret.Equals(
                  std::string_view("access-token")) &&
              back->accounts.size() == 1,
          "the JSON serializer reads it back");
  }
  tokencache::Result<tokencache::CacheSnapshot> corrupt =
      json->Deserialize("{\"AccessToken\": [");
  Check(
      !corrupt.ok() && corrupt.status().code() == tokencache::Code::kCorrupted,
      "the JSON serializer rejects a truncated document as kCorrupted");
#endif

  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("tokencache %d.%d.%d consumer: all checks passed\n",
              TOKENCACHE_VERSION_MAJOR, TOKENCACHE_VERSION_MINOR,
              TOKENCACHE_VERSION_PATCH);
  return 0;
}
