// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The writer queue (lock/writer_queue.h): it orders writers first come,
// first served, and must never wedge them, whatever happens to a turn's
// owner or to the queue's page. Dead owners are real processes killed with
// SIGKILL. Tests that need "at once" against "after a stall" open the
// queue with a stall of seconds, so a loaded machine cannot blur the two.

#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lock/writer_queue.h"
#include "tests/support/temp_dir.h"

namespace tokencache {
namespace {

using internal::WriterQueue;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Long enough that no scheduling delay reaches it.
constexpr milliseconds kLongStall{10000};

// Forks a child that takes a turn, tells the parent, and then waits to be
// killed.
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

void Reap(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
}

TEST_CASE("Writer queue turns are served one at a time, in order",
          "[lock][writer_queue]") {
  test::TempDir dir;
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q", kLongStall);
  REQUIRE(queue != nullptr);
  struct stat st;
  REQUIRE(stat((dir / "q").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size == 4096);

  // With no stall skipping in reach, the queue alone keeps holders apart:
  // a shared counter is never seen by two holders at once, and every
  // thread gets all its turns.
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
  CHECK(overlaps.load() == 0);
}

TEST_CASE("A writer queue passes over the turn of a dead holder at once",
          "[lock][writer_queue][multiprocess]") {
  test::TempDir dir;
  const pid_t holder = ChildHoldingTurn(dir / "q");
  REQUIRE(kill(holder, SIGKILL) == 0);
  SECTION("reaped: its pid is gone") { Reap(holder); }
  SECTION("not yet reaped: a zombie") {
    // Wait until the kernel has made it a zombie.
    siginfo_t info{};
    REQUIRE(waitid(P_PID, static_cast<id_t>(holder), &info,
                   WEXITED | WNOWAIT) == 0);
  }
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q", kLongStall);
  REQUIRE(queue != nullptr);
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> turn = queue->Enter();
  const auto waited = Clock::now() - t0;
  REQUIRE(turn.has_value());
  // Passed over because its process ended, not by the stall rule.
  CHECK(waited < kLongStall / 2);
  turn->Leave();
  std::optional<WriterQueue::Turn> next = queue->Enter();
  CHECK(next.has_value());
  int status = 0;
  waitpid(holder, &status, WNOHANG);
}

TEST_CASE("A writer queue skips a live turn that stands still",
          "[lock][writer_queue][multiprocess]") {
  test::TempDir dir;
  // The holder is alive but stopped: only the stall rule can pass it.
  const pid_t holder = ChildHoldingTurn(dir / "q");
  REQUIRE(kill(holder, SIGSTOP) == 0);
  constexpr milliseconds kStall{200};
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q", kStall);
  REQUIRE(queue != nullptr);
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> turn = queue->Enter();
  const auto waited = Clock::now() - t0;
  REQUIRE(kill(holder, SIGKILL) == 0);
  Reap(holder);
  REQUIRE(turn.has_value());
  CHECK(waited >= kStall);
}

TEST_CASE("A writer that gives up waiting is not waited for",
          "[lock][writer_queue]") {
  test::TempDir dir;
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(dir / "q", kLongStall);
  REQUIRE(queue != nullptr);
  std::optional<WriterQueue::Turn> first = queue->Enter();
  REQUIRE(first.has_value());
  // A try takes no ticket at all.
  CHECK_FALSE(queue->Enter(Clock::now()).has_value());
  // A short deadline: the live holder is not skipped, so the second writer
  // times out, its deadline honoured, and its ticket is marked.
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> second = queue->Enter(t0 + milliseconds(5));
  CHECK_FALSE(second.has_value());
  CHECK(Clock::now() - t0 >= milliseconds(5));
  // When the holder leaves, the turn passes over the forsaken ticket: the
  // third writer goes without waiting out a stall.
  std::atomic<bool> third_in{false};
  std::thread third([&] { third_in = queue->Enter().has_value(); });
  std::this_thread::sleep_for(milliseconds(2));
  const auto released = Clock::now();
  first->Leave();
  third.join();
  CHECK(third_in.load());
  CHECK(Clock::now() - released < kLongStall / 2);
}

TEST_CASE("Turns so far back that their slots were reused are passed over "
          "in one step",
          "[lock][writer_queue]") {
  test::TempDir dir;
  const std::filesystem::path path = dir / "q";
  {
    std::unique_ptr<WriterQueue> queue = WriterQueue::Open(path);
    REQUIRE(queue != nullptr);
  }
  // Magic, next ticket 5000, now serving 4000: a thousand turns nobody
  // holds, as after writers that vanished without a trace.
  {
    std::fstream page(path, std::ios::in | std::ios::out | std::ios::binary);
    page.seekp(4);
    const unsigned char words[8] = {0x88, 0x13, 0, 0, 0xa0, 0x0f, 0, 0};
    page.write(reinterpret_cast<const char*>(words), sizeof(words));
  }
  std::unique_ptr<WriterQueue> queue = WriterQueue::Open(path, kLongStall);
  REQUIRE(queue != nullptr);
  const auto t0 = Clock::now();
  std::optional<WriterQueue::Turn> turn = queue->Enter();
  REQUIRE(turn.has_value());
  // The stall rule would take kLongStall per step; the far-back rule and
  // the empty slots' checks take none.
  CHECK(Clock::now() - t0 < kLongStall / 2);
}

TEST_CASE("A queue page that is not safe to use is refused",
          "[lock][writer_queue]") {
  test::TempDir dir;
  const std::filesystem::path path = dir / "q";
  SECTION("a file others may write") {
    std::ofstream(path).put('\0');
    REQUIRE(chmod(path.c_str(), 0666) == 0);
    CHECK(WriterQueue::Open(path) == nullptr);
  }
  SECTION("a symbolic link") {
    std::filesystem::create_symlink(dir / "elsewhere", path);
    CHECK(WriterQueue::Open(path) == nullptr);
    CHECK_FALSE(std::filesystem::exists(dir / "elsewhere"));
  }
  SECTION("another layout (or garbage) in the page") {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(0xa5 ^ i));
    out.close();
    REQUIRE(chmod(path.c_str(), 0600) == 0);
    CHECK(WriterQueue::Open(path) == nullptr);
  }
  SECTION("a fresh file is set up, and opened again") {
    CHECK(WriterQueue::Open(path) != nullptr);
    CHECK(WriterQueue::Open(path) != nullptr);
  }
}

}  // namespace
}  // namespace tokencache
