// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// OpenCache and BackendRegistry over the real built-in backends: files on
// disk, the OS lock, encryption with a real key file.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

CacheSnapshot Fixture(const char* name) {
  std::string text = ReadFile(fs::path(TOKENCACHE_FIXTURES_DIR) / "msal-node" /
                              name);
  Result<CacheSnapshot> s = NewMsalJsonSerializer()->Deserialize(text);
  REQUIRE_OK(s);
  return std::move(*s);
}

std::size_t AccessTokens(Cache& cache) {
  Result<CacheSnapshot> s = cache.Export();
  REQUIRE_OK(s);
  return s->access_tokens.size();
}

TEST_CASE("OpenCache file: keeps an MSAL JSON file that a second handle reads",
          "[builtin][file]") {
  test::TempDir dir;
  const fs::path path = dir / "sub" / "msal_cache.json";
  const std::string uri = "file://" + path.string();
  CacheSnapshot fixture = Fixture("ropc-two-accounts.json");
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(fixture));
  }
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat(path.parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // The file is plain MSAL JSON: our own serializer reads it back whole.
  Result<CacheSnapshot> on_disk =
      NewMsalJsonSerializer()->Deserialize(ReadFile(path));
  REQUIRE_OK(on_disk);
  CHECK(on_disk->access_tokens.size() == fixture.access_tokens.size());

  Result<std::unique_ptr<Cache>> second = OpenCache(uri);
  REQUIRE_OK(second);
  CHECK(AccessTokens(**second) == fixture.access_tokens.size());
  CHECK(fs::exists(path.string() + ".lock"));
}

TEST_CASE("OpenCache file: with key= encrypts, and a wrong key is refused",
          "[builtin][file][crypto]") {
  test::TempDir dir;
  const fs::path path = dir / "cache.bin";
  const std::string key_a = (dir / "a.key").string();
  const std::string key_b = (dir / "b.key").string();
  CacheSnapshot fixture = Fixture("client-credentials.json");
  REQUIRE_FALSE(fixture.access_tokens.empty());
  const std::string canary(fixture.access_tokens.front().secret.view());
  {
    Result<std::unique_ptr<Cache>> cache =
        OpenCache("file://" + path.string() + "?key=file:" + key_a);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(fixture));
  }
  const std::string sealed = ReadFile(path);
  REQUIRE_FALSE(sealed.empty());
  CHECK(sealed.find(canary.substr(0, 24)) == std::string::npos);

  Result<std::unique_ptr<Cache>> again =
      OpenCache("file://" + path.string() + "?key=file:" + key_a);
  REQUIRE_OK(again);
  CHECK(AccessTokens(**again) == fixture.access_tokens.size());

  Result<std::unique_ptr<Cache>> wrong =
      OpenCache("file://" + path.string() + "?key=file:" + key_b);
  CHECK(wrong.status().code() == Code::kWrongKey);
  Result<std::unique_ptr<Cache>> plain = OpenCache("file://" + path.string());
  CHECK(plain.status().code() == Code::kCorrupted);
  CHECK(ReadFile(path) == sealed);

  // Bound to its path: the same bytes elsewhere open only with cache-id.
  const fs::path moved = dir / "moved.bin";
  fs::copy_file(path, moved);
  CHECK(OpenCache("file://" + moved.string() + "?key=file:" + key_a)
            .status()
            .code() == Code::kCorrupted);
  Result<std::unique_ptr<Cache>> with_id =
      OpenCache("file://" + moved.string() + "?key=file:" + key_a +
                "&cache-id=" + path.string());
  REQUIRE_OK(with_id);
  CHECK(AccessTokens(**with_id) == fixture.access_tokens.size());
}

TEST_CASE("OpenCache file: binary format and the lock modes", "[builtin]") {
  test::TempDir dir;
  CacheSnapshot fixture = Fixture("foci-family-refresh-token.json");
  for (const char* options : {"?format=binary", "?lock=msal", "?lock=none"}) {
    INFO(options);
    const std::string uri =
        "file://" + (dir / "c.dat").string() + std::string(options);
    {
      Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
      REQUIRE_OK(cache);
      REQUIRE_OK((*cache)->Import(fixture));
    }
    Result<std::unique_ptr<Cache>> reopened = OpenCache(uri);
    REQUIRE_OK(reopened);
    CHECK(AccessTokens(**reopened) == fixture.access_tokens.size());
    // MSAL's lock file exists only while a write holds it.
    CHECK_FALSE(fs::exists(dir / "c.dat.lockfile"));
    fs::remove(dir / "c.dat");
  }
}

TEST_CASE("OpenCache refuses what it does not understand", "[builtin]") {
  test::TempDir dir;
  const std::string path = (dir / "c.json").string();
  CHECK(OpenCache("file://" + path + "?format=xml").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("file://" + path + "?lock=maybe").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("file://" + path + "?encrypt=yes").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("file://" + path + "?cache-id=x").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("file://relative.json").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("file://otherhost/x.json").status().code() ==
        Code::kInvalidArgument);
  CHECK(OpenCache("memory:/x").status().code() == Code::kInvalidArgument);
  CHECK(OpenCache("gopher://x").status().code() == Code::kNotFound);
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("OpenCache file: refuses a symlinked cache path", "[builtin]") {
  test::TempDir dir;
  const fs::path target = dir / "elsewhere.json";
  {
    std::ofstream out(target);
    out << "{}";
  }
  fs::create_symlink(target, dir / "link.json");
  Result<std::unique_ptr<Cache>> cache =
      OpenCache("file://" + (dir / "link.json").string());
  CHECK(cache.status().code() == Code::kPermissionDenied);
  CHECK(ReadFile(target) == "{}");
}

TEST_CASE("BackendRegistry lets an SDK add its own scheme", "[builtin]") {
  BackendRegistry registry;
  REQUIRE_OK(RegisterBuiltinBackends(registry));
  CHECK(RegisterBuiltinBackends(registry).code() == Code::kConflict);
  int opened = 0;
  REQUIRE_OK(registry.Register(
      "Vault", [&opened](const CacheUri& uri, const CacheOptions& options)
                   -> Result<std::unique_ptr<Cache>> {
        Status s = uri.CheckOptions({"team"});
        if (!s.ok()) return s;
        ++opened;
        return Cache::NewInMemory(options);
      }));
  CHECK(registry.Contains("vault"));
  CHECK(registry.Contains("VAULT"));
  // The built-ins depend on the build (lmdb, keychain, ...); file and
  // memory are always there, and the list is sorted.
  std::vector<std::string> schemes = registry.Schemes();
  CHECK(std::is_sorted(schemes.begin(), schemes.end()));
  for (const char* scheme : {"file", "memory", "vault"}) {
    INFO(scheme);
    CHECK(std::count(schemes.begin(), schemes.end(), scheme) == 1);
  }
  REQUIRE_OK(registry.Open("vault://x?team=a"));
  CHECK(opened == 1);
  CHECK(registry.Open("vault://x?teem=a").status().code() ==
        Code::kInvalidArgument);
  CHECK(registry.Register("bad scheme", [](const CacheUri&,
                                           const CacheOptions&)
                                            -> Result<std::unique_ptr<Cache>> {
          return InternalError("unused");
        }).code() == Code::kInvalidArgument);
  REQUIRE_OK(registry.Register(
      "throws", [](const CacheUri&, const CacheOptions&)
                    -> Result<std::unique_ptr<Cache>> {
        throw std::runtime_error("boom");
      }));
  CHECK(registry.Open("throws:").status().code() == Code::kInternal);
}

}  // namespace
}  // namespace tokencache
