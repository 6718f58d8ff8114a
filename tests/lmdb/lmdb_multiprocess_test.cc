// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The LMDB record store with real processes (lmdb_worker): L1 counter with
// two Cache handles per process (B3) and a no-CAS negative control, B2
// stale readers killed mid read transaction, C2 writers killed with
// SIGKILL. Each prints one JSON line {id, params, figures, bar, pass}.

#include <catch2/catch.hpp>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "backends/lmdb/lmdb_env.h"
#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/lmdb.h"
#include "tokencache/cache.h"
#include "tokencache/serializers/binary_record_codec.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;

const char* const kWorker = TOKENCACHE_LMDB_WORKER;

void Report(const std::string& id, const std::string& params,
            const std::string& figures, const std::string& bar, bool pass) {
  std::printf(
      "{\"id\":\"%s\",\"params\":{%s},\"figures\":{%s},\"bar\":\"%s\","
      "\"pass\":%s}\n",
      id.c_str(), params.c_str(), figures.c_str(), bar.c_str(),
      pass ? "true" : "false");
  std::fflush(stdout);
}

Result<std::unique_ptr<Cache>> OpenLmdb(const std::filesystem::path& dir) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  if (!store.ok()) return store.status();
  return Cache::Open(std::move(*store), NewBinaryRecordCodec());
}

long long CounterValue(Cache& cache) {
  AccountFilter filter;
  filter.home_account_id = "counter.t";
  Result<std::vector<Account>> accounts = cache.GetAccounts(filter);
  REQUIRE_OK(accounts);
  return accounts->empty() ? 0 : (*accounts)[0].last_modification_time;
}

struct CounterRun {
  std::vector<long long> seen;
  std::vector<std::size_t> envs;
  int failed = 0;
};

CounterRun RunWorkers(const std::string& command,
                      const std::filesystem::path& dir, int procs, int n) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (int p = 0; p < procs; ++p) {
    children.push_back(ChildProcess::Spawn(
        {kWorker, command, dir.string(), std::to_string(n)}));
  }
  CounterRun run;
  for (auto& child : children) {
    for (const std::string& line : child->ReadAllLines()) {
      if (line.rfind("envs ", 0) == 0) {
        run.envs.push_back(std::stoul(line.substr(5)));
      } else {
        run.seen.push_back(std::stoll(line));
      }
    }
    if (child->WaitExitCode() != 0) ++run.failed;
  }
  return run;
}

TEST_CASE("Eight processes with two LMDB caches each count without losing "
          "an update, and a write without CAS loses some (L1, B3)",
          "[lmdb][multiprocess][L1][B3]") {
  constexpr int kProcs = 8;
  constexpr int kIncrements = 200;
  test::TempDir dir;
  CounterRun run = RunWorkers("counter", dir / "env", kProcs, kIncrements);
  std::sort(run.seen.begin(), run.seen.end());
  long long missing_or_duplicate = 0;
  for (std::size_t i = 0; i < run.seen.size(); ++i) {
    if (run.seen[i] != static_cast<long long>(i) + 1) ++missing_or_duplicate;
  }
  Result<std::unique_ptr<Cache>> cache = OpenLmdb(dir / "env");
  REQUIRE_OK(cache);
  const long long final_value = CounterValue(**cache);
  const bool one_env = std::all_of(run.envs.begin(), run.envs.end(),
                                   [](std::size_t n) { return n == 1; });

  test::TempDir control_dir;
  CounterRun control =
      RunWorkers("blind", control_dir / "env", kProcs, kIncrements);
  long long control_final = 0;
  {
    Result<std::unique_ptr<RecordStore>> store =
        LmdbRecordStore::Open(control_dir / "env");
    REQUIRE_OK(store);
    Result<std::unique_ptr<RecordTransaction>> r = (*store)->BeginRead();
    REQUIRE_OK(r);
    Result<std::optional<SecretBytes>> got = (*r)->Get("blind|counter");
    REQUIRE_OK(got);
    REQUIRE(got->has_value());
    control_final = std::stoll(std::string((*got)->view()));
  }
  const long long control_lost = kProcs * kIncrements - control_final;
  const bool pass = final_value == kProcs * kIncrements &&
                    missing_or_duplicate == 0 && run.failed == 0 && one_env;
  Report("L1",
         "\"backend\":\"lmdb\",\"N\":8,\"M\":200,\"caches_per_process\":2",
         "\"final\":" + std::to_string(final_value) +
             ",\"missing_or_duplicate\":" +
             std::to_string(missing_or_duplicate) +
             ",\"envs_per_process\":" + (one_env ? "1" : "\"more\"") +
             ",\"control_lost_updates\":" + std::to_string(control_lost),
         "final = N*M, each value once, 1 env; control loses updates", pass);
  CHECK(run.failed == 0);
  CHECK(final_value == kProcs * kIncrements);
  CHECK(run.seen.size() == static_cast<std::size_t>(kProcs * kIncrements));
  CHECK(missing_or_duplicate == 0);
  CHECK(run.envs.size() == static_cast<std::size_t>(kProcs));
  CHECK(one_env);
  CHECK(control.failed == 0);
  CHECK(control_lost > 0);
}

// Opens `dir` with plain LMDB, skipping mdb_reader_check (the negative
// control of B2), and runs `writes` write transactions.
void WriteWithoutReaderCheck(const std::filesystem::path& dir, int writes) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_mapsize(env, std::size_t{1} << 30) == 0);
  REQUIRE(mdb_env_set_maxreaders(env, 256) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600) == 0);
  MDB_dbi dbi = 0;
  for (int i = 0; i < writes; ++i) {
    MDB_txn* txn = nullptr;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    REQUIRE(mdb_dbi_open(txn, nullptr, 0, &dbi) == 0);
    const std::string key = "w|" + std::to_string(i % 50);
    const std::string value = std::string(1, '\0') + std::string(200, 'v');
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
  }
  mdb_env_close(env);
}

void WriteThroughStore(const std::filesystem::path& dir, int writes) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  REQUIRE_OK(store);
  for (int i = 0; i < writes; ++i) {
    Result<std::unique_ptr<RecordTransaction>> w = (*store)->BeginWrite();
    REQUIRE_OK(w);
    REQUIRE_OK((*w)->Put("w|" + std::to_string(i % 50), std::string(200, 'v')));
    REQUIRE_OK((*w)->Commit());
  }
}

std::uintmax_t DataSize(const std::filesystem::path& dir) {
  return std::filesystem::file_size(dir / "data.mdb");
}

// Starts a keeper (so that the environment stays open somewhere and LMDB
// does not reset its lock file) and `readers` processes that each sit in a
// read transaction, then SIGKILLs the readers.
std::unique_ptr<ChildProcess> KillReaders(const std::filesystem::path& dir,
                                          int readers) {
  auto keeper = ChildProcess::Spawn({kWorker, "keeper", dir.string()});
  REQUIRE(keeper->ReadLine() == std::optional<std::string>("ready"));
  std::vector<std::unique_ptr<ChildProcess>> victims;
  for (int i = 0; i < readers; ++i) {
    victims.push_back(ChildProcess::Spawn({kWorker, "reader", dir.string()}));
  }
  for (auto& victim : victims) {
    REQUIRE(victim->ReadLine() == std::optional<std::string>("ready"));
  }
  for (auto& victim : victims) {
    victim->Signal(SIGKILL);
    victim->Wait();
  }
  return keeper;
}

TEST_CASE("Readers SIGKILLed inside read transactions are cleared at open "
          "and do not make the file grow (B2)",
          "[lmdb][multiprocess][B2]") {
  constexpr int kReaders = 100;
  constexpr int kWrites = 1000;
  test::TempDir dir;

  // Control: no stale readers.
  WriteThroughStore(dir / "control", 10);
  WriteThroughStore(dir / "control", kWrites);
  const std::uintmax_t control_size = DataSize(dir / "control");

  WriteThroughStore(dir / "env", 10);
  int cleared = 0;
  {
    std::unique_ptr<ChildProcess> keeper = KillReaders(dir / "env", kReaders);
    Result<std::shared_ptr<internal::LmdbEnv>> env =
        internal::LmdbEnv::Acquire(dir / "env", LmdbOptions());
    REQUIRE_OK(env);
    cleared = (*env)->stale_readers_cleared();
    WriteThroughStore(dir / "env", kWrites);
  }
  const std::uintmax_t size = DataSize(dir / "env");

  // Negative control: the same, opened without mdb_reader_check.
  WriteThroughStore(dir / "stale", 10);
  std::uintmax_t stale_size = 0;
  {
    std::unique_ptr<ChildProcess> keeper = KillReaders(dir / "stale", kReaders);
    WriteWithoutReaderCheck(dir / "stale", kWrites);
    stale_size = DataSize(dir / "stale");
  }
  const double ratio = static_cast<double>(size) / control_size;
  const double stale_ratio = static_cast<double>(stale_size) / control_size;
  Report("B2", "\"backend\":\"lmdb\",\"readers_killed\":100,\"writes\":1000",
         "\"cleared\":" + std::to_string(cleared) +
             ",\"size_ratio\":" + std::to_string(ratio) +
             ",\"control_without_check_ratio\":" +
             std::to_string(stale_ratio),
         "100/100 cleared; size <= 1.25x control",
         cleared == kReaders && ratio <= 1.25);
  CHECK(cleared == kReaders);
  CHECK(ratio <= 1.25);
  CHECK(stale_ratio > 1.25);
}

struct CrashRun {
  int kills = 0;
  long long acks = 0;
  long long max_ack = 0;
  int duplicate_acks = 0;
  bool readable = false;
  long long final_value = -1;
};

CrashRun RunCrashes(const std::filesystem::path& dir, int kills) {
  auto spawn = [&] {
    return ChildProcess::Spawn({kWorker, "writer", dir.string()});
  };
  CrashRun run;
  std::set<long long> acked;
  auto absorb = [&](ChildProcess& child, bool drain) {
    std::vector<std::string> lines;
    if (drain) {
      lines = child.ReadAllLines();
    } else {
      while (std::optional<std::string> line =
                 child.ReadLine(milliseconds(0))) {
        lines.push_back(*line);
      }
    }
    for (const std::string& line : lines) {
      if (line.rfind("ack ", 0) != 0) continue;
      const long long value = std::stoll(line.substr(4));
      ++run.acks;
      if (!acked.insert(value).second) ++run.duplicate_acks;
      run.max_ack = std::max(run.max_ack, value);
    }
  };
  std::vector<std::unique_ptr<ChildProcess>> writers;
  for (int i = 0; i < 3; ++i) writers.push_back(spawn());
  std::mt19937 rng(11);
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
    const std::size_t victim =
        std::uniform_int_distribution<std::size_t>(0, 2)(rng);
    writers[victim]->Signal(SIGKILL);
    writers[victim]->Wait();
    absorb(*writers[victim], true);
    ++run.kills;
    writers[victim] = spawn();
  }
  for (auto& w : writers) {
    w->Signal(SIGKILL);
    w->Wait();
    absorb(*w, true);
  }
  // Verify: every record decodes (Export reads them all) and the counter
  // holds at least every acknowledged value.
  Result<std::unique_ptr<Cache>> cache = OpenLmdb(dir);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> all = (*cache)->Export();
  run.readable = all.ok();
  run.final_value = CounterValue(**cache);
  return run;
}

TEST_CASE("LMDB writers killed with SIGKILL leave no corrupt store and lose "
          "no acknowledged update (C2)",
          "[lmdb][multiprocess][C2]") {
  test::TempDir dir;
  CrashRun run = RunCrashes(dir / "env", 200);
  const long long lost = run.final_value >= run.max_ack ? 0 : 1;
  Report("C2",
         "\"backend\":\"lmdb\",\"writers\":3,\"kills\":" +
             std::to_string(run.kills),
         "\"acks\":" + std::to_string(run.acks) +
             ",\"corrupt\":" + (run.readable ? "0" : "1") +
             ",\"lost_acked\":" + std::to_string(lost) +
             ",\"duplicate_acks\":" + std::to_string(run.duplicate_acks),
         "0 corrupt, 0 lost acked updates",
         run.readable && lost == 0 && run.duplicate_acks == 0);
  CHECK(run.kills == 200);
  CHECK(run.acks > 0);
  CHECK(run.readable);
  CHECK(run.final_value >= run.max_ack);
  CHECK(run.duplicate_acks == 0);
}

}  // namespace
}  // namespace tokencache
