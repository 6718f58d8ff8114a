// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Real-process checks of the reliability plan for the file lock and the
// file store: L1 (counter), L3 (overlap detector), L4 (dead holder), L5
// (hung holder) and C2 (kill -9 of writers). Each prints one JSON line
// {id, params, figures, bar, pass} on stdout, and each ships a negative
// control that must fail (lock disabled, in-place writes).

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "backends/file/file_blob_store.h"
#include "tests/multiprocess/record.h"
#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/file.h"
#include "tokencache/file_lock.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;

const char* const kWorker = TOKENCACHE_LOCK_WORKER;

void Report(const std::string& id, const std::string& params,
            const std::string& figures, const std::string& bar, bool pass) {
  std::printf(
      "{\"id\":\"%s\",\"params\":{%s},\"figures\":{%s},\"bar\":\"%s\","
      "\"pass\":%s}\n",
      id.c_str(), params.c_str(), figures.c_str(), bar.c_str(),
      pass ? "true" : "false");
  std::fflush(stdout);
}

// L1: runs `procs` counter workers of `increments` each; returns every
// value they reported and the final stored value.
struct CounterRun {
  std::vector<long long> seen;
  long long final_value = 0;
};

CounterRun RunCounter(const test::TempDir& dir, int procs, int increments,
                      bool use_lock) {
  const std::string lock = (dir / "counter.lock").string();
  const std::string store = (dir / "counter.txt").string();
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < procs; ++p) {
    std::vector<std::string> argv = {kWorker, "counter", lock, store,
                                     std::to_string(increments)};
    if (!use_lock) argv.push_back("nolock");
    children.push_back(ChildProcess::Spawn(argv));
  }
  CounterRun run;
  for (auto& child : children) {
    for (const std::string& line : child->ReadAllLines()) {
      run.seen.push_back(std::stoll(line));
    }
    CHECK(child->WaitExitCode() == 0);
  }
  Result<std::unique_ptr<BlobStore>> opened = FileBlobStore::Open(store);
  REQUIRE_OK(opened);
  Result<std::optional<Blob>> blob = (*opened)->Read();
  REQUIRE_OK(blob);
  REQUIRE(blob->has_value());
  run.final_value = std::stoll(std::string((*blob)->bytes.view()));
  return run;
}

TEST_CASE("Eight processes counting through the lock and file store lose "
          "no update (L1)",
          "[multiprocess][L1]") {
  constexpr int kProcs = 8;
  constexpr int kIncrements = 200;
  test::TempDir dir;
  CounterRun run = RunCounter(dir, kProcs, kIncrements, true);
  std::sort(run.seen.begin(), run.seen.end());
  long long missing_or_duplicate = 0;
  for (std::size_t i = 0; i < run.seen.size(); ++i) {
    if (run.seen[i] != static_cast<long long>(i) + 1) ++missing_or_duplicate;
  }
  const bool pass = run.final_value == kProcs * kIncrements &&
                    run.seen.size() == kProcs * kIncrements &&
                    missing_or_duplicate == 0;

  test::TempDir control_dir;
  CounterRun control = RunCounter(control_dir, kProcs, kIncrements, false);
  const long long control_lost = kProcs * kIncrements - control.final_value;
  Report("L1", "\"backend\":\"file\",\"N\":8,\"M\":200",
         "\"final\":" + std::to_string(run.final_value) +
             ",\"missing_or_duplicate\":" +
             std::to_string(missing_or_duplicate) +
             ",\"control_lost_updates\":" + std::to_string(control_lost),
         "final = N*M, each value once; control loses updates", pass);
  CHECK(run.final_value == kProcs * kIncrements);
  CHECK(run.seen.size() == static_cast<std::size_t>(kProcs * kIncrements));
  CHECK(missing_or_duplicate == 0);
  // Negative control: without the lock, updates are lost.
  CHECK(control_lost > 0);
}

struct OverlapRun {
  long acquisitions = 0;
  long overlaps = 0;
};

OverlapRun RunOverlap(const test::TempDir& dir, int procs, int threads,
                      int iterations, bool use_lock) {
  const auto shm = dir / (use_lock ? "shm-locked" : "shm-control");
  {
    int fd = open(shm.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(ftruncate(fd, 4096) == 0);
    close(fd);
  }
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < procs; ++p) {
    std::vector<std::string> argv = {
        kWorker, "overlap", (dir / "overlap.lock").string(), shm.string(),
        std::to_string(threads), std::to_string(iterations)};
    if (!use_lock) argv.push_back("nolock");
    children.push_back(ChildProcess::Spawn(argv));
  }
  OverlapRun run;
  for (auto& child : children) {
    std::vector<std::string> lines = child->ReadAllLines();
    REQUIRE(lines.size() == 1);
    long acquisitions = 0;
    long overlaps = 0;
    REQUIRE(std::sscanf(lines[0].c_str(), "acquisitions=%ld overlaps=%ld",
                        &acquisitions, &overlaps) == 2);
    run.acquisitions += acquisitions;
    run.overlaps += overlaps;
    CHECK(child->WaitExitCode() == 0);
  }
  return run;
}

TEST_CASE("Four processes of four threads never overlap in the critical "
          "section (L3)",
          "[multiprocess][L3]") {
  constexpr int kProcs = 4;
  constexpr int kThreads = 4;
  constexpr int kIterations = 1500;
  test::TempDir dir;
  OverlapRun run = RunOverlap(dir, kProcs, kThreads, kIterations, true);
  OverlapRun control = RunOverlap(dir, kProcs, kThreads, 300, false);
  Report("L3", "\"procs\":4,\"threads\":4,\"iterations\":1500",
         "\"acquisitions\":" + std::to_string(run.acquisitions) +
             ",\"overlaps\":" + std::to_string(run.overlaps) +
             ",\"control_overlaps\":" + std::to_string(control.overlaps),
         "0 overlaps; control > 0", run.overlaps == 0);
  CHECK(run.acquisitions == kProcs * kThreads * kIterations);
  CHECK(run.overlaps == 0);
  CHECK(control.overlaps > 0);
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  std::size_t index = static_cast<std::size_t>(
      p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

TEST_CASE("A waiter gets the lock of a SIGKILLed holder within 50 ms at p99 "
          "(L4)",
          "[multiprocess][L4]") {
  // Enough trials that p99 is not simply the maximum, which on a shared
  // 2-core machine is at the mercy of the scheduler.
  constexpr int kTrials = 200;
  test::TempDir dir;
  const auto lock_path = dir / "cache.lock";
  Result<std::unique_ptr<Lock>> lock = NewFileLock(lock_path);
  REQUIRE_OK(lock);
  std::vector<double> latencies_ms;
  std::mt19937 rng(42);
  for (int trial = 0; trial < kTrials; ++trial) {
    const char* key = trial % 2 == 0 ? nullptr : "partition";
    std::vector<std::string> argv = {kWorker, "hold", lock_path.string(),
                                     "ex"};
    if (key != nullptr) argv.push_back(key);
    auto holder = ChildProcess::Spawn(argv, true);
    REQUIRE(holder->ReadLine() == std::optional<std::string>("held"));
    // Kill the holder a few ms after this thread has started waiting.
    steady_clock::time_point killed_at;
    const int delay_ms = std::uniform_int_distribution<int>(2, 8)(rng);
    std::thread killer([&] {
      std::this_thread::sleep_for(milliseconds(delay_ms));
      killed_at = steady_clock::now();
      holder->Signal(SIGKILL);
    });
    Result<std::unique_ptr<LockHandle>> held =
        key == nullptr
            ? (*lock)->Acquire(LockMode::kExclusive,
                               steady_clock::now() + std::chrono::seconds(5))
            : (*lock)->AcquireKey(key, LockMode::kExclusive,
                                  steady_clock::now() +
                                      std::chrono::seconds(5));
    const auto acquired_at = steady_clock::now();
    killer.join();
    REQUIRE_OK(held);
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(acquired_at - killed_at)
            .count());
  }
  const double p50 = Percentile(latencies_ms, 0.50);
  const double p99 = Percentile(latencies_ms, 0.99);
  const double max = *std::max_element(latencies_ms.begin(),
                                       latencies_ms.end());
  char figures[160];
  std::snprintf(figures, sizeof(figures),
                "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f", p50, p99,
                max);
  Report("L4", "\"trials\":200", figures, "p99 <= 50 ms, max <= 250 ms",
         p99 <= 50 && max <= 250);
  CHECK(p99 <= 50.0);
  CHECK(max <= 250.0);
}

TEST_CASE("A SIGSTOPped holder is never broken and deadlines are honoured "
          "(L5)",
          "[multiprocess][L5]") {
  constexpr int kTrials = 100;
  const milliseconds kTimeout(30);
  test::TempDir dir;
  const auto lock_path = dir / "cache.lock";
  Result<std::unique_ptr<Lock>> lock = NewFileLock(lock_path);
  REQUIRE_OK(lock);
  auto holder =
      ChildProcess::Spawn({kWorker, "hold", lock_path.string(), "ex"}, true);
  REQUIRE(holder->ReadLine() == std::optional<std::string>("held"));
  holder->Signal(SIGSTOP);

  int false_acquisitions = 0;
  int in_window = 0;
  double worst_ms = 0;
  int honoured = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    const auto start = steady_clock::now();
    Result<std::unique_ptr<LockHandle>> held =
        trial % 3 == 0
            ? (*lock)->AcquireKey("k" + std::to_string(trial),
                                  LockMode::kShared, start + kTimeout)
            : (*lock)->Acquire(trial % 3 == 1 ? LockMode::kShared
                                              : LockMode::kExclusive,
                               start + kTimeout);
    const auto elapsed = steady_clock::now() - start;
    if (held.ok()) ++false_acquisitions;
    // The contract: a timeout, never before the deadline, never a hang.
    if (!held.ok() && held.status().code() == Code::kLockTimeout &&
        elapsed >= kTimeout && elapsed <= kTimeout + std::chrono::seconds(1)) {
      ++honoured;
    }
    // The plan's bar (T + 50 ms) holds on a quiet machine; on a loaded one
    // (CI under sanitizers, two cores shared) the waiting thread itself is
    // preempted past it now and then (97/100 once at load 8), so it is
    // reported rather than asserted.
    if (!held.ok() && elapsed >= kTimeout &&
        elapsed <= kTimeout + milliseconds(50)) {
      ++in_window;
    }
    worst_ms = std::max(
        worst_ms, std::chrono::duration<double, std::milli>(elapsed).count());
  }
  holder->Signal(SIGCONT);
  // Still held after it resumes, then released normally.
  CHECK_FALSE((*lock)->Acquire(LockMode::kExclusive, steady_clock::now()).ok());
  holder->CloseStdin();
  CHECK(holder->ReadLine() == std::optional<std::string>("released"));
  CHECK((*lock)
            ->Acquire(LockMode::kExclusive,
                      steady_clock::now() + std::chrono::seconds(5))
            .ok());

  char figures[200];
  std::snprintf(figures, sizeof(figures),
                "\"in_window\":%d,\"honoured\":%d,\"false_acquisitions\":%d,"
                "\"worst_ms\":%.3f",
                in_window, honoured, false_acquisitions, worst_ms);
  Report("L5", "\"trials\":100,\"timeout_ms\":30", figures,
         "100/100 in [T, T+50 ms]; 0 false acquisitions",
         in_window == kTrials && false_acquisitions == 0);
  CHECK(false_acquisitions == 0);
  CHECK(honoured == kTrials);
}

struct CrashRun {
  int kills = 0;
  long long acks = 0;
  long long max_ack = 0;
  long long duplicate_acks = 0;
  int corrupt_reads = 0;
  bool final_valid = false;
  long long final_value = 0;
  int temps_after_open = 0;
};

int CountTemps(const std::filesystem::path& dir, const std::string& name) {
  int count = 0;
  const std::string prefix = internal::TempPrefix(name);
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) ++count;
  }
  return count;
}

// C2: three writers save continuously; every 0-20 ms one of them is
// SIGKILLed and replaced.
CrashRun RunCrashes(const test::TempDir& dir, int kills, bool in_place) {
  const std::string lock = (dir / "c2.lock").string();
  const std::string store = (dir / "c2.cache").string();
  auto spawn = [&] {
    std::vector<std::string> argv = {kWorker, "writer", lock, store};
    if (in_place) argv.push_back("inplace");
    return ChildProcess::Spawn(argv);
  };
  CrashRun run;
  std::set<long long> acked;
  auto absorb = [&](ChildProcess& child, bool drain) {
    std::vector<std::string> lines;
    if (drain) {
      lines = child.ReadAllLines();
    } else {
      while (std::optional<std::string> line = child.ReadLine(milliseconds(0))) {
        lines.push_back(*line);
      }
    }
    for (const std::string& line : lines) {
      if (line == "corrupt") {
        ++run.corrupt_reads;
      } else if (line.rfind("ack ", 0) == 0) {
        long long value = std::stoll(line.substr(4));
        ++run.acks;
        if (!acked.insert(value).second) ++run.duplicate_acks;
        run.max_ack = std::max(run.max_ack, value);
      }
    }
  };
  std::vector<std::unique_ptr<ChildProcess>> writers;
  for (int i = 0; i < 3; ++i) writers.push_back(spawn());
  std::mt19937 rng(7);
  for (int k = 0; k < kills; ++k) {
    const auto kill_at =
        steady_clock::now() +
        std::chrono::microseconds(
            std::uniform_int_distribution<int>(0, 20000)(rng));
    while (steady_clock::now() < kill_at) {
      std::vector<struct pollfd> fds;
      for (auto& w : writers) fds.push_back({w->stdout_fd(), POLLIN, 0});
      auto left = std::chrono::duration_cast<milliseconds>(
          kill_at - steady_clock::now());
      poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1);
      for (auto& w : writers) absorb(*w, false);
    }
    std::size_t victim = std::uniform_int_distribution<std::size_t>(0, 2)(rng);
    writers[victim]->Signal(SIGKILL);
    writers[victim]->Wait();
    absorb(*writers[victim], true);  // Acks it sent before dying count.
    ++run.kills;
    writers[victim] = spawn();
  }
  for (auto& w : writers) {
    w->Signal(SIGKILL);
    w->Wait();
    absorb(*w, true);
  }
  // The next open cleans what the killed writers left.
  Result<std::unique_ptr<BlobStore>> opened = FileBlobStore::Open(store);
  REQUIRE_OK(opened);
  run.temps_after_open = CountTemps(dir.path(), "c2.cache");
  Result<std::optional<Blob>> blob = (*opened)->Read();
  REQUIRE_OK(blob);
  if (blob->has_value()) {
    std::optional<long long> value = test::ParseRecord((*blob)->bytes.view());
    run.final_valid = value.has_value();
    run.final_value = value.value_or(-1);
  }
  return run;
}

TEST_CASE("Writers killed with SIGKILL leave no corrupt file, lose no "
          "acknowledged save and leave no temp file (C2)",
          "[multiprocess][C2]") {
  test::TempDir dir;
  CrashRun run = RunCrashes(dir, 200, false);
  test::TempDir control_dir;
  CrashRun control = RunCrashes(control_dir, 60, true);
  const long long lost = run.final_value >= run.max_ack ? 0 : 1;
  Report("C2",
         "\"backend\":\"file\",\"writers\":3,\"kills\":" +
             std::to_string(run.kills),
         "\"acks\":" + std::to_string(run.acks) +
             ",\"corrupt\":" + std::to_string(run.corrupt_reads) +
             ",\"final_valid\":" + (run.final_valid ? "true" : "false") +
             ",\"lost_acked\":" + std::to_string(lost) +
             ",\"duplicate_acks\":" + std::to_string(run.duplicate_acks) +
             ",\"temps_after_open\":" + std::to_string(run.temps_after_open) +
             ",\"control_corrupt\":" + std::to_string(control.corrupt_reads +
                                                      (control.final_valid
                                                           ? 0
                                                           : 1)),
         "0 corrupt, 0 lost acked updates, 0 leftover temps",
         run.corrupt_reads == 0 && run.final_valid && lost == 0 &&
             run.temps_after_open == 0);
  CHECK(run.kills == 200);
  CHECK(run.acks > 0);
  CHECK(run.corrupt_reads == 0);
  CHECK(run.final_valid);
  CHECK(run.final_value >= run.max_ack);
  CHECK(run.duplicate_acks == 0);
  CHECK(run.temps_after_open == 0);
  // Negative control: in-place writes (msal-node's way) do get torn.
  CHECK(control.corrupt_reads + (control.final_valid ? 0 : 1) > 0);
}

}  // namespace
}  // namespace tokencache
