// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/file_lock.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lock/lock_layout.h"
#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;

const char* const kWorker = TOKENCACHE_LOCK_WORKER;

Deadline Now() { return steady_clock::now(); }
Deadline In(milliseconds ms) { return steady_clock::now() + ms; }

std::unique_ptr<Lock> MustOpen(const std::filesystem::path& path) {
  Result<std::unique_ptr<Lock>> lock = NewFileLock(path);
  REQUIRE_OK(lock);
  return std::move(*lock);
}

bool CanAcquire(Lock& lock, LockMode mode, const char* key = nullptr) {
  Result<std::unique_ptr<LockHandle>> handle =
      key == nullptr ? lock.Acquire(mode, Now())
                     : lock.AcquireKey(key, mode, Now());
  if (!handle.ok()) {
    INFO(handle.status().ToString());
    REQUIRE(handle.status().code() == Code::kLockTimeout);
  }
  return handle.ok();
}

std::unique_ptr<ChildProcess> SpawnHolder(const std::filesystem::path& lock,
                                          const char* mode,
                                          const char* key = nullptr) {
  std::vector<std::string> argv = {kWorker, "hold", lock.string(), mode};
  if (key != nullptr) argv.push_back(key);
  auto child = ChildProcess::Spawn(argv, /*pipe_stdin=*/true);
  REQUIRE(child->ReadLine() == std::optional<std::string>("held"));
  return child;
}

TEST_CASE("An exclusive holder excludes other Lock objects and threads",
          "[lock][threads]") {
  test::TempDir dir;
  auto first = MustOpen(dir / "cache.lock");
  auto second = MustOpen(dir / "cache.lock");
  Result<std::unique_ptr<LockHandle>> held =
      first->Acquire(LockMode::kExclusive, Now());
  REQUIRE_OK(held);

  CHECK_FALSE(CanAcquire(*second, LockMode::kExclusive));
  CHECK_FALSE(CanAcquire(*first, LockMode::kShared));
  Code other_thread_code = Code::kOk;
  std::thread([&] {
    // No Catch2 assertions off the main thread.
    other_thread_code =
        second->Acquire(LockMode::kShared, Now()).status().code();
  }).join();
  CHECK(other_thread_code == Code::kLockTimeout);

  held->reset();
  CHECK(CanAcquire(*second, LockMode::kExclusive));
}

TEST_CASE("Shared holders coexist and keep an exclusive one out",
          "[lock][threads]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  Result<std::unique_ptr<LockHandle>> r1 =
      lock->Acquire(LockMode::kShared, Now());
  Result<std::unique_ptr<LockHandle>> r2 =
      lock->Acquire(LockMode::kShared, Now());
  REQUIRE_OK(r1);
  REQUIRE_OK(r2);
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  r1->reset();
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  r2->reset();
  CHECK(CanAcquire(*lock, LockMode::kExclusive));
}

TEST_CASE("Threads incrementing a plain counter under the lock lose nothing",
          "[lock][threads]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  constexpr int kThreads = 8;
  constexpr int kIterations = 1000;
  long counter = 0;  // Deliberately not atomic: the lock must protect it.
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        Result<std::unique_ptr<LockHandle>> handle =
            i % 2 == 0 ? lock->Acquire(LockMode::kExclusive, In(milliseconds(
                                                                 30000)))
                       : lock->AcquireKey("k" + std::to_string(i % 5),
                                          LockMode::kExclusive,
                                          In(milliseconds(30000)));
        if (!handle.ok()) {
          ++failures[static_cast<std::size_t>(t)];
          continue;
        }
        // Keyed holders of different keys may run together, so only the
        // whole lock may touch the shared counter.
        if (i % 2 == 0) counter = counter + 1;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int f : failures) CHECK(f == 0);
  CHECK(counter == kThreads * kIterations / 2);
}

TEST_CASE("Different keys are held at once and the whole lock excludes them",
          "[lock][keyed]") {
  REQUIRE(internal::KeySlot("alice") != internal::KeySlot("bob"));
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  Result<std::unique_ptr<LockHandle>> alice =
      lock->AcquireKey("alice", LockMode::kExclusive, Now());
  REQUIRE_OK(alice);
  Result<std::unique_ptr<LockHandle>> bob =
      lock->AcquireKey("bob", LockMode::kExclusive, Now());
  REQUIRE_OK(bob);
  CHECK_FALSE(CanAcquire(*lock, LockMode::kShared, "alice"));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kShared));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  alice->reset();
  bob->reset();

  Result<std::unique_ptr<LockHandle>> whole =
      lock->Acquire(LockMode::kShared, Now());
  REQUIRE_OK(whole);
  CHECK(CanAcquire(*lock, LockMode::kShared, "carol"));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive, "carol"));
}

TEST_CASE("Acquire honours its deadline and treats a past one as a try",
          "[lock][deadline]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  auto other = MustOpen(dir / "cache.lock");

  // A free lock is taken even with a deadline in the past.
  Result<std::unique_ptr<LockHandle>> held =
      lock->Acquire(LockMode::kExclusive, Now() - milliseconds(1000));
  REQUIRE_OK(held);

  for (milliseconds wait : {milliseconds(0), milliseconds(100)}) {
    const auto start = steady_clock::now();
    Result<std::unique_ptr<LockHandle>> late =
        other->Acquire(LockMode::kExclusive, start + wait);
    const auto elapsed = steady_clock::now() - start;
    CHECK(late.status().code() == Code::kLockTimeout);
    CHECK(elapsed >= wait);
    CHECK(elapsed < wait + milliseconds(50));
  }
}

TEST_CASE("A holder in another process excludes us until it dies",
          "[lock][process]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  auto holder = SpawnHolder(dir / "cache.lock", "ex");
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kShared, "any-key"));

  holder->Signal(SIGKILL);
  Result<std::unique_ptr<LockHandle>> after =
      lock->Acquire(LockMode::kExclusive, In(milliseconds(5000)));
  REQUIRE_OK(after);
  CHECK(holder->WaitExitCode() == -SIGKILL);
}

TEST_CASE("Shared holders in two processes coexist; a writer waits for both",
          "[lock][process]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  auto reader1 = SpawnHolder(dir / "cache.lock", "sh");
  auto reader2 = SpawnHolder(dir / "cache.lock", "sh");
  CHECK(CanAcquire(*lock, LockMode::kShared));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  reader1->CloseStdin();
  CHECK(reader1->ReadLine() == std::optional<std::string>("released"));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  reader2->CloseStdin();
  CHECK(reader2->ReadLine() == std::optional<std::string>("released"));
  CHECK(CanAcquire(*lock, LockMode::kExclusive));
  CHECK(reader1->WaitExitCode() == 0);
  CHECK(reader2->WaitExitCode() == 0);
}

TEST_CASE("Two processes hold two keys at once; the whole lock excludes them",
          "[lock][process][keyed]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  // Both report "held" before either releases: they hold concurrently.
  auto alice = SpawnHolder(dir / "cache.lock", "ex", "alice");
  auto bob = SpawnHolder(dir / "cache.lock", "ex", "bob");
  CHECK_FALSE(CanAcquire(*lock, LockMode::kShared));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kShared, "alice"));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive, "bob"));
  CHECK(CanAcquire(*lock, LockMode::kExclusive, "carol"));
  alice->CloseStdin();
  bob->CloseStdin();
  CHECK(alice->WaitExitCode() == 0);
  CHECK(bob->WaitExitCode() == 0);
  CHECK(CanAcquire(*lock, LockMode::kExclusive));

  // And the reverse: a whole holder elsewhere keeps every key out.
  auto whole = SpawnHolder(dir / "cache.lock", "sh");
  CHECK(CanAcquire(*lock, LockMode::kShared, "alice"));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive, "alice"));
  CHECK_FALSE(CanAcquire(*lock, LockMode::kExclusive, "carol"));
}

// L7: with classic fcntl locks, any close() of the file in the holder drops
// the lock. OFD locks must not care.
int TryLockWhileChurning(const std::filesystem::path& dir, bool classic,
                         int* attempts) {
  auto lock = MustOpen(dir / "cache.lock");
  std::vector<std::string> argv = {kWorker, "churn",
                                   (dir / "cache.lock").string(),
                                   (dir / "cache.json").string(), "1000"};
  if (classic) argv.push_back("classic");
  auto child = ChildProcess::Spawn(argv, /*pipe_stdin=*/true);
  REQUIRE(child->ReadLine() == std::optional<std::string>("held"));
  int successes = 0;
  *attempts = 0;
  while (true) {
    ++*attempts;
    if (CanAcquire(*lock, LockMode::kExclusive)) ++successes;
    std::optional<std::string> line = child->ReadLine(milliseconds(0));
    if (line) {
      REQUIRE(*line == "done");
      break;
    }
  }
  child->CloseStdin();
  CHECK(child->WaitExitCode() == 0);
  return successes;
}

TEST_CASE("Opening and closing the lock and cache files releases nothing (L7)",
          "[lock][process][L7]") {
  test::TempDir dir;
  int attempts = 0;
  int successes = TryLockWhileChurning(dir.path(), false, &attempts);
  INFO("attempts " << attempts);
  CHECK(attempts > 100);
  CHECK(successes == 0);

  // Negative control: the same churn under a classic POSIX lock lets us in.
  int control_attempts = 0;
  int control = TryLockWhileChurning(dir.path(), true, &control_attempts);
  std::printf(
      "{\"id\":\"L7\",\"figures\":{\"attempts\":%d,\"successes\":%d,"
      "\"control_successes\":%d},\"bar\":\"0\",\"pass\":%s}\n",
      attempts, successes, control, successes == 0 ? "true" : "false");
  CHECK(control > 0);
}

TEST_CASE("The lock file is created 0600 under any umask and never deleted",
          "[lock][modes]") {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    test::TempDir dir;
    const mode_t old = umask(mask);
    {
      auto lock = MustOpen(dir / "sub" / "deeper" / "cache.lock");
      Result<std::unique_ptr<LockHandle>> held =
          lock->Acquire(LockMode::kExclusive, Now());
      REQUIRE_OK(held);
    }
    umask(old);
    struct stat st;
    REQUIRE(stat((dir / "sub" / "deeper" / "cache.lock").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(stat((dir / "sub").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(stat((dir / "sub" / "deeper").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
  }
}

TEST_CASE("A symlink at the lock path is refused and its target untouched",
          "[lock][symlink]") {
  test::TempDir dir;
  const auto target = dir / "outside";
  {
    std::ofstream out(target);
    out << "precious";
  }
  chmod(target.c_str(), 0644);
  REQUIRE(symlink(target.c_str(), (dir / "cache.lock").c_str()) == 0);
  REQUIRE(symlink((dir / "missing").c_str(), (dir / "dangling.lock").c_str()) ==
          0);

  for (const char* name : {"cache.lock", "dangling.lock"}) {
    Result<std::unique_ptr<Lock>> lock = NewFileLock(dir / name);
    CHECK(lock.status().code() == Code::kPermissionDenied);
    CHECK(lock.status().message().find("symlink refused") !=
          std::string::npos);
  }
  std::ifstream in(target);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  CHECK(content == "precious");
  struct stat st;
  REQUIRE(stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
  CHECK_FALSE(std::filesystem::exists(dir / "missing"));
}

TEST_CASE("A lock file replaced behind our back is re-opened by the next taker",
          "[lock][inode]") {
  test::TempDir dir;
  auto lock = MustOpen(dir / "cache.lock");
  // Someone deletes the lock file (tokencache never does) while nobody
  // holds it; our idle descriptor still points at the old inode.
  REQUIRE(unlink((dir / "cache.lock").c_str()) == 0);
  Result<std::unique_ptr<LockHandle>> held =
      lock->Acquire(LockMode::kExclusive, Now());
  REQUIRE_OK(held);
  REQUIRE(std::filesystem::exists(dir / "cache.lock"));
  // A process that opens the path now must see our lock.
  auto other = ChildProcess::Spawn(
      {kWorker, "hold", (dir / "cache.lock").string(), "ex"}, true);
  CHECK_FALSE(other->ReadLine(milliseconds(300)).has_value());
  held->reset();
  CHECK(other->ReadLine() == std::optional<std::string>("held"));
}

TEST_CASE("NewFileLock rejects unusable arguments", "[lock][args]") {
  CHECK(NewFileLock("").status().code() == Code::kInvalidArgument);
  FileLockOptions options;
  options.msal_lockfile_interop = true;
  test::TempDir dir;
  CHECK(NewFileLock(dir / "cache.lock", options).status().code() ==
        Code::kInvalidArgument);
}

}  // namespace
}  // namespace tokencache
