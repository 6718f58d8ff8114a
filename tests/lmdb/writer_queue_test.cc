// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The writer queue (lock/writer_queue.h) and LMDB's use of it: it orders
// writers but must never wedge them, whatever happens to a turn's owner or
// to the queue's file. Dead owners are real processes killed with SIGKILL.

#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lock/writer_queue.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/lmdb.h"
#include "tokencache/cache.h"
#include "tokencache/serializers/binary_record_codec.h"

namespace tokencache {
namespace {

using internal::WriterQueue;
using Clock = std::chrono::steady_clock;

// Forks a child that takes a turn (after `ahead` other turns it takes and
// leaves first), tells the parent, and then waits to be killed.
pid_t ChildHoldingTurn(const std::filesystem::path& path) {
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    std::unique_ptr<WriterQueue> queue = WriterQueue::Open(path);
    if (queue == nullptr) _exit(2);
    std::optional<WriterQueue::Turn> turn = queue->Enter();
    const char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(3);
    while (true) pause();
  }
  close(ready[1]);
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  return pid;
}

void Kill(pid_t pid) {
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
}

TEST_CASE("A writer queue turn passes from one holder to the next",
          "[lmdb][writer_queue]") {
  test::TempDir dir;
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q");
  REQUIRE(queue != nullptr);
  struct stat st;
  REQUIRE(stat((dir / "q").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // Threads hold turns one at a time: the shared counter is never seen
  // by two holders at once, and every thread gets all its turns.
  constexpr int kThreads = 6;
  constexpr int kTurns = 200;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTurns; ++i) {
        std::optional<WriterQueue::Turn> turn = queue->Enter();
        if (!turn.has_value()) continue;
        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        std::this_thread::yield();
        inside.fetch_sub(1);
        turn->Leave();
        done.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(done.load() == kThreads * kTurns);
  // The queue alone excludes turn holders while none stalls past kStall
  // (a holder here is in its turn for microseconds).
  CHECK(overlaps.load() == 0);
}

TEST_CASE("A writer queue passes over the turn of a killed holder at once",
          "[lmdb][writer_queue][multiprocess]") {
  test::TempDir dir;
  const pid_t holder = ChildHoldingTurn(dir / "q");
  Kill(holder);  // and reaped: its pid is gone
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q");
  REQUIRE(queue != nullptr);
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> turn = queue->Enter();
  const auto waited = Clock::now() - t0;
  REQUIRE(turn.has_value());
  // Passed over because its process is gone, not after a stall.
  CHECK(waited < WriterQueue::kStall);
  turn->Leave();
  std::optional<WriterQueue::Turn> next = queue->Enter();
  CHECK(next.has_value());
}

TEST_CASE("A writer queue skips a live turn that stalls, after kStall",
          "[lmdb][writer_queue][multiprocess]") {
  test::TempDir dir;
  // The holder is alive but stopped: only the stall rule can pass it.
  const pid_t holder = ChildHoldingTurn(dir / "q");
  REQUIRE(kill(holder, SIGSTOP) == 0);
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q");
  REQUIRE(queue != nullptr);
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> turn = queue->Enter();
  const auto waited = Clock::now() - t0;
  Kill(holder);
  REQUIRE(turn.has_value());
  CHECK(waited >= WriterQueue::kStall);
  CHECK(waited < std::chrono::seconds(10));
}

TEST_CASE("A writer that gives up waiting is not waited for",
          "[lmdb][writer_queue]") {
  test::TempDir dir;
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q");
  REQUIRE(queue != nullptr);
  std::optional<WriterQueue::Turn> first = queue->Enter();
  REQUIRE(first.has_value());
  // A deadline shorter than kStall: the live holder is not skipped, so
  // the second writer times out, and its ticket is marked.
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> second =
      queue->Enter(Clock::now() + std::chrono::milliseconds(5));
  CHECK(!second.has_value());
  CHECK(Clock::now() - t0 >= std::chrono::milliseconds(5));
  // When the holder leaves, the turn passes over the forsaken ticket: the
  // third writer goes at once instead of waiting out a stall.
  std::atomic<bool> third_in{false};
  std::thread third([&] {
    std::optional<WriterQueue::Turn> t = queue->Enter();
    third_in = t.has_value();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const auto released = Clock::now();
  first->Leave();
  third.join();
  CHECK(third_in.load());
  CHECK(Clock::now() - released < WriterQueue::kStall);
}

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
    // next ticket 5000, now serving 4000: one stall, not a thousand.
    std::ofstream out(queue_file, std::ios::binary | std::ios::trunc);
    const unsigned char words[8] = {0x88, 0x13, 0, 0, 0xa0, 0x0f, 0, 0};
    out.write(reinterpret_cast<const char*>(words), sizeof(words));
    out.write(std::string(4096 - sizeof(words), '\0').data(),
              4096 - sizeof(words));
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
  // Twenty writes wait at most one stall, not one per bogus turn (a
  // thousand stalls would take 25 s).
  CHECK(Clock::now() - t0 < std::chrono::seconds(5));
  CHECK(!std::filesystem::exists(dir / "elsewhere"));
}

}  // namespace
}  // namespace tokencache
