// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Reliability plan L6: the legacy MSAL "<cache>.lockfile" protocol.

#include "lock/msal_lockfile.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/file_lock.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

void SetMtime(const std::filesystem::path& path, std::time_t when) {
  struct timespec times[2];
  times[0].tv_sec = when;
  times[0].tv_nsec = 0;
  times[1] = times[0];
  REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

ino_t InodeOf(const std::filesystem::path& path) {
  struct stat st;
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st.st_ino;
}

std::unique_ptr<Lock> InteropLock(const test::TempDir& dir) {
  FileLockOptions options;
  options.msal_lockfile_interop = true;
  options.msal_lockfile = dir / "cache.json.lockfile";
  Result<std::unique_ptr<Lock>> lock =
      NewFileLock(dir / "cache.json.lock", options);
  REQUIRE_OK(lock);
  return std::move(*lock);
}

// A pid that certainly belongs to no process: a child that has exited and
// been reaped (pid reuse within the test's lifetime is not a concern at the
// kernel's pid allocation pace).
pid_t DeadPid() {
  auto child = ChildProcess::Spawn({"/bin/true"});
  REQUIRE(child->WaitExitCode() == 0);
  return child->pid();
}

std::unique_ptr<ChildProcess> LiveProcess() {
  return ChildProcess::Spawn({"/bin/sleep", "60"});
}

TEST_CASE("Our holder creates the MSAL lockfile with its pid and removes it",
          "[lock][msal]") {
  test::TempDir dir;
  auto lock = InteropLock(dir);
  const auto lockfile = dir / "cache.json.lockfile";
  {
    Result<std::unique_ptr<LockHandle>> held =
        lock->Acquire(LockMode::kExclusive, steady_clock::now());
    REQUIRE_OK(held);
    REQUIRE(std::filesystem::exists(lockfile));
    CHECK(ReadFile(lockfile) == std::to_string(getpid()) + " tokencache");
    // A second holder, shared or not, waits for the lockfile.
    Result<std::unique_ptr<LockHandle>> second =
        lock->AcquireKey("k", LockMode::kShared,
                         steady_clock::now() + milliseconds(20));
    CHECK(second.status().code() == Code::kLockTimeout);
  }
  CHECK_FALSE(std::filesystem::exists(lockfile));
}

TEST_CASE("A lockfile left by a dead process is taken over within a second",
          "[lock][msal][L6]") {
  test::TempDir dir;
  auto lock = InteropLock(dir);
  const auto lockfile = dir / "cache.json.lockfile";
  for (int trial = 0; trial < 5; ++trial) {
    WriteFile(lockfile, std::to_string(DeadPid()));
    const auto start = steady_clock::now();
    Result<std::unique_ptr<LockHandle>> held = lock->Acquire(
        LockMode::kExclusive, start + std::chrono::seconds(5));
    const auto elapsed = steady_clock::now() - start;
    REQUIRE_OK(held);
    CHECK(elapsed < std::chrono::seconds(1));
    CHECK(ReadFile(lockfile) == std::to_string(getpid()) + " tokencache");
  }
}

TEST_CASE("A lockfile of a live process is never broken",
          "[lock][msal][L6]") {
  test::TempDir dir;
  auto lock = InteropLock(dir);
  const auto lockfile = dir / "cache.json.lockfile";
  auto live = LiveProcess();
  const std::string content = std::to_string(live->pid()) + " node";
  WriteFile(lockfile, content);
  const ino_t inode = InodeOf(lockfile);

  int false_breaks = 0;
  for (int trial = 0; trial < 100; ++trial) {
    Result<std::unique_ptr<LockHandle>> held =
        lock->Acquire(trial % 2 == 0 ? LockMode::kExclusive : LockMode::kShared,
                      steady_clock::now() + milliseconds(10));
    if (held.ok()) ++false_breaks;
    CHECK(held.status().code() == Code::kLockTimeout);
  }
  CHECK(false_breaks == 0);
  CHECK(InodeOf(lockfile) == inode);
  CHECK(ReadFile(lockfile) == content);

  // Each failed attempt gave the OS lock back.
  Result<std::unique_ptr<Lock>> plain = NewFileLock(dir / "cache.json.lock");
  REQUIRE_OK(plain);
  CHECK((*plain)->Acquire(LockMode::kExclusive, steady_clock::now()).ok());
}

TEST_CASE("A recycled pid (process younger than the lockfile) is stale",
          "[lock][msal][L6]") {
  test::TempDir dir;
  auto lock = InteropLock(dir);
  const auto lockfile = dir / "cache.json.lockfile";
  auto live = LiveProcess();
  WriteFile(lockfile, std::to_string(live->pid()));
  // The file claims to be an hour older than the process with its pid.
  SetMtime(lockfile, std::time(nullptr) - 3600);
  const auto start = steady_clock::now();
  Result<std::unique_ptr<LockHandle>> held =
      lock->Acquire(LockMode::kExclusive, start + std::chrono::seconds(5));
  REQUIRE_OK(held);
  CHECK(steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("A lockfile without a pid is live while fresh and stale when old",
          "[lock][msal]") {
  test::TempDir dir;
  auto lock = InteropLock(dir);
  const auto lockfile = dir / "cache.json.lockfile";
  WriteFile(lockfile, "");
  CHECK(lock->Acquire(LockMode::kExclusive,
                      steady_clock::now() + milliseconds(20))
            .status()
            .code() == Code::kLockTimeout);
  SetMtime(lockfile, std::time(nullptr) - 60);
  CHECK(lock->Acquire(LockMode::kExclusive,
                      steady_clock::now() + std::chrono::seconds(2))
            .ok());
}

TEST_CASE("A pid that does not fit pid_t is no pid: stale when old",
          "[lock][msal]") {
  // 4294967297 would wrap to pid 1 (init, alive forever) and a value above
  // INT_MAX to a negative number, which kill() reads as a process group.
  for (const char* content : {"4294967297 msal-app", "2147483648"}) {
    INFO(content);
    test::TempDir dir;
    auto lock = InteropLock(dir);
    const auto lockfile = dir / "cache.json.lockfile";
    WriteFile(lockfile, content);
    SetMtime(lockfile, std::time(nullptr) - 60);
    CHECK(lock->Acquire(LockMode::kExclusive,
                        steady_clock::now() + std::chrono::seconds(2))
              .ok());
  }
}

TEST_CASE("We never delete a lockfile we did not create", "[lock][msal]") {
  test::TempDir dir;
  auto lock = InteropLock(dir);
  const auto lockfile = dir / "cache.json.lockfile";
  auto live = LiveProcess();
  const std::string foreign = std::to_string(live->pid()) + " other-app";
  {
    Result<std::unique_ptr<LockHandle>> held =
        lock->Acquire(LockMode::kExclusive, steady_clock::now());
    REQUIRE_OK(held);
    // msal-node's unlock() deletes whatever lockfile is there; another
    // app then creates its own while we still "hold" ours.
    REQUIRE(unlink(lockfile.c_str()) == 0);
    WriteFile(lockfile, foreign);
  }
  REQUIRE(std::filesystem::exists(lockfile));
  CHECK(ReadFile(lockfile) == foreign);
}

TEST_CASE("A symlink at the MSAL lockfile path is refused", "[lock][msal]") {
  test::TempDir dir;
  WriteFile(dir / "target", "keep");
  REQUIRE(symlink((dir / "target").c_str(),
                  (dir / "cache.json.lockfile").c_str()) == 0);
  FileLockOptions options;
  options.msal_lockfile_interop = true;
  options.msal_lockfile = dir / "cache.json.lockfile";
  Result<std::unique_ptr<Lock>> lock =
      NewFileLock(dir / "cache.json.lock", options);
  CHECK(lock.status().code() == Code::kPermissionDenied);
  CHECK(ReadFile(dir / "target") == "keep");
}

TEST_CASE("Stale judgement follows pid, liveness and start time",
          "[lock][msal]") {
  const std::time_t now = std::time(nullptr);
  auto live = LiveProcess();
  const std::string live_pid = std::to_string(live->pid());
  CHECK(internal::MsalLockfileIsStale(std::to_string(DeadPid()), now));
  CHECK_FALSE(internal::MsalLockfileIsStale(live_pid, now));
  CHECK_FALSE(internal::MsalLockfileIsStale(live_pid + " MyApp.exe", now));
  CHECK(internal::MsalLockfileIsStale(live_pid, now - 3600));
  CHECK(internal::MsalLockfileIsStale("garbage", now - 60));
  CHECK_FALSE(internal::MsalLockfileIsStale("garbage", now));
  CHECK(internal::MsalLockfileIsStale("12x", now - 60));
  REQUIRE(internal::ProcessStartTime(getpid()).has_value());
  CHECK(*internal::ProcessStartTime(getpid()) <= static_cast<double>(now) + 1);
}

}  // namespace
}  // namespace tokencache
