// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// LMDB's use of the writer queue (lock/writer_queue.h, tested in
// tests/lock): whatever happens to writers.queue, writes go on.

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/lmdb.h"
#include "tokencache/cache.h"
#include "tokencache/serializers/binary_record_codec.h"

namespace tokencache {
namespace {

using Clock = std::chrono::steady_clock;

TEST_CASE("LMDB writes go on when the writer queue holds garbage or is "
          "unusable",
          "[lmdb][writer_queue]") {
  test::TempDir dir;
  const std::filesystem::path env = dir / "env";
  const auto write_one = [&](const std::string& secret) {
    Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(env);
    REQUIRE_OK(store);
    Result<std::unique_ptr<RecordTransaction>> txn = (*store)->BeginWrite();
    REQUIRE_OK(txn);
    REQUIRE_OK((*txn)->Put("k", secret));
    REQUIRE_OK((*txn)->Commit());
  };
  write_one("first");
  const std::filesystem::path queue_file = env / "writers.queue";
  REQUIRE(std::filesystem::exists(queue_file));

  SECTION("garbage counters") {
    std::ofstream out(queue_file, std::ios::binary | std::ios::trunc);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(0xa5 ^ i));
  }
  SECTION("a thousand turns ahead that nobody holds") {
    // After the magic: next ticket 5000, now serving 4000.
    std::fstream page(queue_file,
                      std::ios::in | std::ios::out | std::ios::binary);
    page.seekp(4);
    const unsigned char words[8] = {0x88, 0x13, 0, 0, 0xa0, 0x0f, 0, 0};
    page.write(reinterpret_cast<const char*>(words), sizeof(words));
  }
  SECTION("a file others may write is not used") {
    REQUIRE(chmod(queue_file.c_str(), 0666) == 0);
  }
  SECTION("a symlink is not followed") {
    std::filesystem::remove(queue_file);
    std::filesystem::create_symlink(dir / "elsewhere", queue_file);
  }
  // A new process would open the env afresh; this one shares its env, so
  // the checks run in a child.
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(env);
    if (!store.ok()) _exit(2);
    for (int i = 0; i < 20; ++i) {
      Result<std::unique_ptr<RecordTransaction>> txn = (*store)->BeginWrite();
      if (!txn.ok() || !(*txn)->Put("k", "v" + std::to_string(i)).ok() ||
          !(*txn)->Commit().ok()) {
        _exit(3);
      }
    }
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Twenty writes never wait one stall per bogus turn (a thousand stalls
  // would take 25 s).
  CHECK(Clock::now() - t0 < std::chrono::seconds(5));
  CHECK(!std::filesystem::exists(dir / "elsewhere"));
}

}  // namespace
}  // namespace tokencache
