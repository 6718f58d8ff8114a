// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The conformance kit (tokencache/test/backend_conformance.h) on the
// keychain blob store, against the real gnome-keyring of
// scripts/run_keyring.sh, with the item's lock file (KeychainLockPath) as
// the cache lock, with writers in threads.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "backends/keychain/secret_service.h"
#include "tests/keychain/require_keyring.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/keychain.h"
#include "tokencache/file_lock.h"
#include "tokencache/test/backend_conformance.h"

namespace tokencache {
namespace {

// Removes the kit's item when the case ends, however it ends, so that runs
// leave nothing in the keyring.
class ClearItemAtEnd {
 public:
  explicit ClearItemAtEnd(KeychainItemName name) : name_(std::move(name)) {}
  ClearItemAtEnd(const ClearItemAtEnd&) = delete;
  ClearItemAtEnd& operator=(const ClearItemAtEnd&) = delete;
  ~ClearItemAtEnd() {
    (void)internal::ClearSecret(name_, internal::kKindCache);
  }

 private:
  KeychainItemName name_;
};

TEST_CASE("The keychain store passes the conformance kit in threads",
          "[keychain][conformance]") {
  test::RequireKeyringBus();
  // Unique per run and per process, so an earlier run's item (or another
  // run at once) cannot make the store non-empty.
  const KeychainItemName name{
      "tokencache-test-conformance",
      "kit-" + std::to_string(::getpid()) + "-" +
          std::to_string(static_cast<long long>(std::time(nullptr)))};
  ClearItemAtEnd clear(name);
  test::TempDir lock_dir;
  Result<std::filesystem::path> lock_path =
      KeychainLockPath(name, lock_dir.path());
  REQUIRE_OK(lock_path);

  // The kit's multi-process check fork()s without exec(). libsecret talks
  // over GDBus, whose shared connection and worker thread do not survive
  // fork(): a forked child that calls the keychain blocks for ever (seen:
  // the run hung until killed). Processes that share a keychain item are
  // separate programs, so the L1 case in keychain_test.cc covers them with
  // exec'd processes (4 x 50 increments, no update lost) instead.
  test::ConformanceOptions options;
  options.multiprocess = false;
  test::ConformanceReport report = test::RunBlobStoreConformance(
      [&] { return KeychainBlobStore::Open(name); },
      [&] { return NewFileLock(*lock_path); }, options);
  INFO(report.ToString());
  std::printf("keychain conformance: %s\n", report.ToString().c_str());
  CHECK(report.ok());
  CHECK(report.checks_run > 10);
  // Only the forked-process check is skipped (see above).
  REQUIRE(report.skipped.size() == 1);
  CHECK(report.skipped[0].find("in processes") != std::string::npos);

  // The item really was in the keyring, and clearing removes it.
  Result<bool> removed = internal::ClearSecret(name, internal::kKindCache);
  REQUIRE_OK(removed);
  CHECK(*removed);
}

}  // namespace
}  // namespace tokencache
