// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/uri.h"

#include <catch2/catch.hpp>

#include "tests/support/status_matchers.h"

namespace tokencache {
namespace {

TEST_CASE("ParseCacheUri splits scheme, authority, path and options",
          "[uri]") {
  Result<CacheUri> uri = ParseCacheUri(
      "File:///home/u/My%20Cache/cache.json?format=binary&key=file:/k/a%2Bb");
  REQUIRE_OK(uri);
  CHECK(uri->scheme == "file");
  CHECK(uri->authority.empty());
  CHECK(uri->path == "/home/u/My Cache/cache.json");
  CHECK(uri->Option("format") == std::optional<std::string>("binary"));
  CHECK(uri->Option("key") == std::optional<std::string>("file:/k/a+b"));
  CHECK_FALSE(uri->Option("lock").has_value());

  Result<CacheUri> redis = ParseCacheUri("redis://127.0.0.1:6379/0?prefix=app");
  REQUIRE_OK(redis);
  CHECK(redis->authority == "127.0.0.1:6379");
  CHECK(redis->path == "/0");

  Result<CacheUri> memory = ParseCacheUri("memory:");
  REQUIRE_OK(memory);
  CHECK(memory->scheme == "memory");
  CHECK(memory->path.empty());
}

TEST_CASE("ParseCacheUri refuses malformed URIs without quoting options",
          "[uri]") {
  for (const char* bad :
       {"", "no-scheme", ":/x", "1file:///x", "file:///x#frag",
        "file:///x?key", "file:///x?=v", "file:///x?a=1&a=2",
        "file:///x%zz", "file:///x%2", "file:///x%00y"}) {
    INFO(bad);
    Result<CacheUri> uri = ParseCacheUri(bad);
    CHECK(uri.status().code() == Code::kInvalidArgument);
  }
  Result<CacheUri> secret =
      ParseCacheUri("file:///x?key=passphrase-env:S3CRET&key=again");
  CHECK_FALSE(secret.ok());
  CHECK(secret.status().message().find("S3CRET") == std::string::npos);
  std::string with_nul("file:///x\0y", 11);
  CHECK(ParseCacheUri(with_nul).status().code() == Code::kInvalidArgument);
}

TEST_CASE("CacheUri refuses unknown options and redacts secret ones",
          "[uri]") {
  Result<CacheUri> uri =
      ParseCacheUri("file:///c.json?key=key-env:VAR&format=msal-json");
  REQUIRE_OK(uri);
  CHECK(uri->CheckOptions({"key", "format"}).ok());
  Status s = uri->CheckOptions({"format"});
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("'key'") != std::string::npos);
  CHECK(uri->Redacted() == "file:///c.json?key=***&format=msal-json");
}

}  // namespace
}  // namespace tokencache
