// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// TempDir: a fresh 0700 directory under $TMPDIR, removed with its contents
// when the object goes out of scope.

#ifndef TOKENCACHE_TESTS_SUPPORT_TEMP_DIR_H_
#define TOKENCACHE_TESTS_SUPPORT_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

namespace tokencache {
namespace test {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/tokencache-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_SUPPORT_TEMP_DIR_H_
