// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The DPAPI key code under wine: round trip, tamper detection, key file
// creation, corrupt key files left in place, and concurrent creators.
// Wine's DPAPI uses a fixed built-in key, so these prove our code paths,
// not Windows security.

#include <windows.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "backends/keychain/dpapi_key.h"
#include "tests/windows/win_child.h"
#include "tokencache/status.h"

namespace tokencache {
namespace {

using internal::DpapiProtect;
using internal::DpapiUnprotect;
using internal::LoadOrCreateDpapiKey;

// A fresh directory under %TEMP%, removed afterwards.
class WinTempDir {
 public:
  WinTempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("tokencache-win-" + std::to_string(GetCurrentProcessId()) + "-" +
             std::to_string(++counter));
    std::filesystem::create_directories(path_);
  }
  ~WinTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST_CASE("DPAPI seals and opens bytes for the current user",
          "[windows][dpapi]") {
  const std::string secret = "CANARY-dpapi-0123456789abcdef";
  Result<SecretBytes> blob = DpapiProtect(secret);
  REQUIRE(blob.ok());
  CHECK(blob->size() > secret.size());
  CHECK(std::string(blob->view()).find(secret) == std::string::npos);
  Result<SecretBytes> back = DpapiUnprotect(blob->view());
  REQUIRE(back.ok());
  CHECK(back->Equals(secret));
}

TEST_CASE("A tampered or foreign DPAPI blob is refused as corrupted",
          "[windows][dpapi]") {
  Result<SecretBytes> blob = DpapiProtect("some key material 32 bytes long!");
  REQUIRE(blob.ok());
  std::string tampered(blob->view());
  tampered.back() = static_cast<char>(tampered.back() ^ 0x01);
  Result<SecretBytes> opened = DpapiUnprotect(tampered);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == Code::kCorrupted);
  CHECK(opened.status().os_error() != 0);
  Result<SecretBytes> garbage = DpapiUnprotect("not a dpapi blob at all");
  CHECK(garbage.status().code() == Code::kCorrupted);
}

TEST_CASE("The DPAPI key file is created once and read back as the same key",
          "[windows][dpapi]") {
  WinTempDir dir;
  const std::filesystem::path path = dir.path() / "keys" / "cache.key";
  Result<SecretBytes> first = LoadOrCreateDpapiKey(path);
  REQUIRE(first.ok());
  CHECK(first->size() == 32);
  REQUIRE(std::filesystem::exists(path));
  const std::string file = ReadAll(path);
  CHECK(file.find(std::string(first->view())) == std::string::npos);
  Result<SecretBytes> second = LoadOrCreateDpapiKey(path);
  REQUIRE(second.ok());
  CHECK(second->Equals(*first));
  // Only the key file is left behind: no temp files.
  int entries = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(path.parent_path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("A DPAPI key file that does not open or is not 32 bytes is "
          "reported and left in place",
          "[windows][dpapi]") {
  WinTempDir dir;
  const std::filesystem::path path = dir.path() / "cache.key";
  WriteAll(path, "garbage that is not a DPAPI blob");
  Result<SecretBytes> key = LoadOrCreateDpapiKey(path);
  CHECK(key.status().code() == Code::kCorrupted);
  CHECK(ReadAll(path) == "garbage that is not a DPAPI blob");

  Result<SecretBytes> short_blob = DpapiProtect("only 16 bytes!!!");
  REQUIRE(short_blob.ok());
  WriteAll(path, std::string(short_blob->view()));
  key = LoadOrCreateDpapiKey(path);
  CHECK(key.status().code() == Code::kCorrupted);
  CHECK(ReadAll(path) == std::string(short_blob->view()));

  CHECK(LoadOrCreateDpapiKey("relative\\cache.key").status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("Processes creating the DPAPI key at once all get the same key",
          "[windows][dpapi][multiprocess]") {
  WinTempDir dir;
  const std::string key = (dir.path() / "race.key").string();
  std::vector<std::unique_ptr<test::WinChild>> children;
  for (int i = 0; i < 4; ++i) {
    children.push_back(std::make_unique<test::WinChild>(
        std::vector<std::string>{"dpapi-key", key,
                                 (dir.path() / ("out" + std::to_string(i)))
                                     .string()}));
    REQUIRE(children.back()->started());
  }
  for (auto& child : children) CHECK(child->Wait() == 0);
  std::set<std::string> digests;
  for (int i = 0; i < 4; ++i) {
    digests.insert(ReadAll(dir.path() / ("out" + std::to_string(i))));
  }
  Result<SecretBytes> final_key = LoadOrCreateDpapiKey(key);
  REQUIRE(final_key.ok());
  CHECK(digests.size() == 1);
  CHECK(*digests.begin() == test::KeyDigest(std::string(final_key->view())));
}

}  // namespace
}  // namespace tokencache
