// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// tokencache_lock_handoff: how long a waiter waits for the cross-process
// lock when N processes take it in a loop and hold it for a fixed time
// (standing in for a cache write: serialize + fsync). Compares
//   tokencache: the library's FileLock (NewFileLock, OFD try-lock with a
//               jittered exponential backoff of 50 us .. 2 ms, 8 ms after
//               the first second of waiting);
//   blocking:   a plain F_OFD_SETLKW on the same kind of file, where the
//               kernel wakes the waiters when the lock is released.
// This isolates the lock's hand-off behaviour (fairness, tail latency)
// from the cache's own costs, to explain the contention driver's tails.
//
//   tokencache_lock_handoff --procs 8 --ops 100 --hold-us 5000
//
// Prints one JSON object per lock kind on stdout.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tokencache/file_lock.h"
#include "tokencache/lock.h"

namespace tokencache {
namespace bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Takes and releases a blocking OFD write lock on the whole file.
class BlockingOfdLock {
 public:
  explicit BlockingOfdLock(const std::string& path)
      : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {}
  ~BlockingOfdLock() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  bool Lock() { return Set(F_WRLCK); }
  bool Unlock() { return Set(F_UNLCK); }

 private:
  bool Set(short type) {
    struct flock fl = {};
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    while (fcntl(fd_, F_OFD_SETLKW, &fl) != 0) {
      if (errno != EINTR) return false;
    }
    return true;
  }
  int fd_;
};

// One worker: `ops` times (acquire, hold, release); writes the wait of
// every acquisition, in ns, one per line, to `out`. Returns the exit code.
int Worker(const std::string& kind, const std::string& lock_path, int ops,
           int hold_us, SteadyClock::time_point start, const std::string& out) {
  std::vector<std::int64_t> waits;
  waits.reserve(static_cast<std::size_t>(ops));
  std::unique_ptr<Lock> lock;
  std::unique_ptr<BlockingOfdLock> ofd;
  if (kind == "tokencache") {
    Result<std::unique_ptr<Lock>> opened = NewFileLock(lock_path);
    if (!opened.ok()) return 2;
    lock = std::move(*opened);
  } else {
    ofd = std::make_unique<BlockingOfdLock>(lock_path);
    if (!ofd->ok()) return 2;
  }
  std::this_thread::sleep_until(start);
  for (int i = 0; i < ops; ++i) {
    const auto t0 = SteadyClock::now();
    std::unique_ptr<LockHandle> handle;
    if (lock != nullptr) {
      Result<std::unique_ptr<LockHandle>> got =
          lock->Acquire(LockMode::kExclusive, t0 + std::chrono::seconds(120));
      if (!got.ok()) return 3;
      handle = std::move(*got);
    } else if (!ofd->Lock()) {
      return 3;
    }
    waits.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        SteadyClock::now() - t0)
                        .count());
    std::this_thread::sleep_for(std::chrono::microseconds(hold_us));
    if (lock != nullptr) {
      handle.reset();
    } else if (!ofd->Unlock()) {
      return 3;
    }
  }
  std::ofstream file(out, std::ios::trunc);
  for (std::int64_t w : waits) file << w << '\n';
  return file ? 0 : 2;
}

double Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(
      std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

int Run(const std::string& kind, int procs, int ops, int hold_us,
        const std::filesystem::path& dir) {
  const std::string lock_path = (dir / (kind + ".lock")).string();
  const auto start = SteadyClock::now() + std::chrono::milliseconds(300);
  std::vector<pid_t> pids;
  for (int w = 0; w < procs; ++w) {
    const std::string out = (dir / (kind + "-" + std::to_string(w))).string();
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) _exit(Worker(kind, lock_path, ops, hold_us, start, out));
    pids.push_back(pid);
  }
  int failures = 0;
  for (pid_t pid : pids) {
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ++failures;
  }
  const double wall =
      std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::vector<std::int64_t> all;
  double worst_mean = 0;
  double best_mean = 1e300;
  for (int w = 0; w < procs; ++w) {
    std::ifstream in(dir / (kind + "-" + std::to_string(w)));
    std::int64_t v = 0;
    double sum = 0;
    std::size_t n = 0;
    while (in >> v) {
      all.push_back(v);
      sum += static_cast<double>(v);
      ++n;
    }
    if (n > 0) {
      worst_mean = std::max(worst_mean, sum / static_cast<double>(n) / 1e6);
      best_mean = std::min(best_mean, sum / static_cast<double>(n) / 1e6);
    }
  }
  std::sort(all.begin(), all.end());
  std::printf(
      "{\"lock\": \"%s\", \"procs\": %d, \"ops\": %d, \"hold_us\": %d, "
      "\"failures\": %d, \"acquisitions\": %zu, \"wall_s\": %.3f, "
      "\"acq_per_s\": %.1f, \"wait_p50_ms\": %.3f, \"wait_p99_ms\": %.3f, "
      "\"wait_max_ms\": %.3f, \"worker_mean_wait_ms_min\": %.3f, "
      "\"worker_mean_wait_ms_max\": %.3f}\n",
      kind.c_str(), procs, ops, hold_us, failures, all.size(), wall,
      static_cast<double>(all.size()) / wall, Percentile(all, 0.5),
      Percentile(all, 0.99), all.empty() ? 0.0 : Percentile(all, 1.0),
      best_mean == 1e300 ? 0.0 : best_mean, worst_mean);
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  namespace po = boost::program_options;
  int procs = 8;
  int ops = 100;
  int hold_us = 5000;
  std::string locks = "tokencache,blocking";
  po::options_description desc(
      "tokencache_lock_handoff: lock wait under N looping processes");
  desc.add_options()("help,h", "this help")(
      "procs", po::value(&procs)->default_value(8), "processes")(
      "ops", po::value(&ops)->default_value(100), "acquisitions per process")(
      "hold-us", po::value(&hold_us)->default_value(5000),
      "time each acquisition holds the lock (microseconds)")(
      "locks", po::value(&locks)->default_value("tokencache,blocking"),
      "which locks: tokencache, blocking, or both comma-separated");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  if (vm.count("help") || procs < 1 || ops < 1 || hold_us < 0) {
    std::cout << desc << '\n';
    return vm.count("help") ? 0 : 2;
  }
  std::string templ =
      (std::filesystem::temp_directory_path() / "tokencache-handoff-XXXXXX")
          .string();
  if (mkdtemp(templ.data()) == nullptr) return 2;
  const std::filesystem::path dir(templ);
  int rc = 0;
  for (const char* kind : {"tokencache", "blocking"}) {
    if (locks.find(kind) == std::string::npos) continue;
    rc |= Run(kind, procs, ops, hold_us, dir);
  }
  std::filesystem::remove_all(dir);
  return rc;
}

}  // namespace
}  // namespace bench
}  // namespace tokencache

int main(int argc, char** argv) { return tokencache::bench::Main(argc, argv); }
