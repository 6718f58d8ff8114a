// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The reliability plan's L1 and C2 through the whole cache, with real
// processes (cache_worker) that open OpenCache(uri) and run Cache::Update
// transactions: lock, reload when the generation changed, mutate, commit
// with compare-and-swap, unlock. tests/multiprocess checks the same
// properties one layer down (the lock and the raw file store).
//
// Each harness prints one JSON line {id, params, figures, bar, pass} and
// runs a negative control that must fail:
//   L1 with lock=none. Cache::Update still commits with CAS on the file's
//   version, so some races end as kConflict and re-run the transaction;
//   the file store's check-then-rename is not atomic without the lock, so
//   others lose updates. Either way the race must be visible: the control
//   passes when updates were lost or conflicts were retried (> 0), and the
//   locked run must show neither (0 conflicts: under the lock no writer
//   ever finds the file changed behind its back).
//   C2 with writers that acknowledge inside the transaction, before the
//   commit: a kill between the two loses an acknowledged value, which the
//   harness must see (the next writer hands the same value out again, or
//   the final counter ends below the largest ack).

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/recovery.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::ChildProcess;

const char* const kWorker = TOKENCACHE_CACHE_WORKER;

void Report(const std::string& id, const std::string& params,
            const std::string& figures, const std::string& bar, bool pass) {
  std::printf(
      "{\"id\":\"%s\",\"params\":{%s},\"figures\":{%s},\"bar\":\"%s\","
      "\"pass\":%s}\n",
      id.c_str(), params.c_str(), figures.c_str(), bar.c_str(),
      pass ? "true" : "false");
  std::fflush(stdout);
}

RefreshTokenQuery CounterQuery() {
  RefreshTokenQuery query;
  query.home_account_id = "counter.tenant";
  query.environment = "login.microsoftonline.com";
  query.client_id = "counter-client";
  return query;
}

// The counter and the access tokens stored now, read by a fresh OpenCache.
struct Stored {
  long long counter = -1;
  std::set<std::string> targets;
  std::size_t access_tokens = 0;
};

Stored ReadStored(const std::string& uri) {
  Stored stored;
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<RefreshTokenLookup> rt = (*cache)->FindRefreshToken(CounterQuery());
  REQUIRE_OK(rt);
  if (rt->app_token.has_value()) {
    stored.counter = std::stoll(std::string(rt->app_token->secret.view()));
  }
  Result<CacheSnapshot> all = (*cache)->Export();
  REQUIRE_OK(all);
  stored.access_tokens = all->access_tokens.size();
  for (const AccessToken& at : all->access_tokens) {
    stored.targets.insert(at.target);
  }
  return stored;
}

struct CounterRun {
  std::vector<long long> acked;
  long calls = 0;
  long conflicts = 0;
  long max_update_ms = 0;  // The slowest Update (mostly lock wait).
  int failed_workers = 0;
  Stored stored;
};

using Children = std::vector<std::unique_ptr<ChildProcess>>;

Children SpawnCounters(const std::string& uri, int procs, int increments) {
  Children children;
  for (int p = 0; p < procs; ++p) {
    children.push_back(
        ChildProcess::Spawn({kWorker, "counter", uri,
                             std::to_string(increments), std::to_string(p)}));
  }
  return children;
}

// Waits for the workers (whose few KiB of output fit in their pipes, so
// reading them one after another never stalls the others) and reads the
// stored result.
CounterRun CollectCounters(Children& children, const std::string& uri) {
  CounterRun run;
  for (auto& child : children) {
    for (const std::string& line : child->ReadAllLines()) {
      long calls = 0;
      long conflicts = 0;
      long max_ms = 0;
      if (line.rfind("ack ", 0) == 0) {
        run.acked.push_back(std::stoll(line.substr(4)));
      } else if (std::sscanf(line.c_str(),
                             "stats calls=%ld conflicts=%ld max_ms=%ld", &calls,
                             &conflicts, &max_ms) == 3) {
        run.calls += calls;
        run.conflicts += conflicts;
        run.max_update_ms = std::max(run.max_update_ms, max_ms);
      }
    }
    if (child->WaitExitCode() != 0) ++run.failed_workers;
  }
  run.stored = ReadStored(uri);
  return run;
}

// Values of 1..n not acknowledged exactly once.
long MissingOrDuplicate(std::vector<long long> acked, long long n) {
  std::sort(acked.begin(), acked.end());
  long bad = 0;
  std::size_t i = 0;
  for (long long v = 1; v <= n; ++v) {
    std::size_t count = 0;
    while (i < acked.size() && acked[i] == v) {
      ++count;
      ++i;
    }
    if (count != 1) ++bad;
  }
  return bad + static_cast<long>(acked.size() - i);  // Values beyond n.
}

// The transaction re-runs and the Update-level conflicts a run saw.
long Conflicts(const CounterRun& run) {
  return run.calls - static_cast<long>(run.acked.size()) + run.conflicts;
}

TEST_CASE(
    "Eight processes updating through OpenCache lose no update and "
    "see every value once (L1, file, binary, encrypted, journal, "
    "encrypted journal)",
    "[multiprocess][L1][cache]") {
  constexpr int kProcs = 8;
  constexpr int kIncrements = 200;
  constexpr long long kTotal = kProcs * kIncrements;
  test::TempDir dir;
  struct Variant {
    const char* name;
    std::string uri;
  };
  const std::vector<Variant> variants = {
      {"msal-json", "file://" + (dir / "l1.json").string()},
      {"binary", "file://" + (dir / "l1.bin").string() + "?format=binary"},
      {"encrypted", "file://" + (dir / "l1.enc").string() +
                        "?key=file:" + (dir / "l1.key").string()},
      {"journal",
       "file://" + (dir / "l1.journal").string() + "?format=journal"},
      {"encrypted-journal",
       "file://" + (dir / "l1.ejournal").string() +
           "?format=journal&key=file:" + (dir / "l1j.key").string()},
  };
  // The caches are independent: run them at once, so that one
  // cache's fsyncs overlap another's computation.
  std::vector<Children> workers;
  for (const Variant& v : variants) {
    workers.push_back(SpawnCounters(v.uri, kProcs, kIncrements));
  }
  for (std::size_t k = 0; k < variants.size(); ++k) {
    const Variant& v = variants[k];
    CounterRun run = CollectCounters(workers[k], v.uri);
    const long bad = MissingOrDuplicate(run.acked, kTotal);
    long expected_targets = 0;
    for (int p = 0; p < kProcs; ++p) {
      for (int i = 0; i < kIncrements; ++i) {
        expected_targets += run.stored.targets.count(
            "scope-" + std::to_string(p) + "-" + std::to_string(i));
      }
    }
    Result<VerifyReport> verified = VerifyCache(v.uri);
    REQUIRE_OK(verified);
    const bool pass =
        run.failed_workers == 0 && run.stored.counter == kTotal && bad == 0 &&
        expected_targets == kTotal &&
        run.stored.access_tokens == static_cast<std::size_t>(kTotal) &&
        Conflicts(run) == 0 && verified->code == Code::kOk;
    Report("L1",
           std::string("\"backend\":\"file\",\"format\":\"") + v.name +
               "\",\"api\":\"Cache::Update\",\"N\":8,\"M\":200",
           "\"final\":" + std::to_string(run.stored.counter) +
               ",\"acked\":" + std::to_string(run.acked.size()) +
               ",\"missing_or_duplicate\":" + std::to_string(bad) +
               ",\"unique_ats_present\":" + std::to_string(expected_targets) +
               ",\"conflicts\":" + std::to_string(Conflicts(run)) +
               ",\"max_update_ms\":" + std::to_string(run.max_update_ms) +
               ",\"failed_workers\":" + std::to_string(run.failed_workers),
           "final = N*M, each value acked once, N*M unique ATs, 0 conflicts",
           pass);
    INFO(v.name);
    CHECK(run.failed_workers == 0);
    CHECK(run.stored.counter == kTotal);
    CHECK(run.acked.size() == static_cast<std::size_t>(kTotal));
    CHECK(bad == 0);
    CHECK(expected_targets == kTotal);
    CHECK(run.stored.access_tokens == static_cast<std::size_t>(kTotal));
    CHECK(Conflicts(run) == 0);
    CHECK(verified->code == Code::kOk);
  }
}

TEST_CASE(
    "Without the lock, racing updates are lost or caught as CAS "
    "conflicts (L1 negative control)",
    "[multiprocess][L1][cache][control]") {
  constexpr int kProcs = 8;
  constexpr int kIncrements = 60;
  test::TempDir dir;
  const std::string uri =
      "file://" + (dir / "control.json").string() + "?lock=none";
  Children workers = SpawnCounters(uri, kProcs, kIncrements);
  CounterRun run = CollectCounters(workers, uri);
  const long long lost =
      static_cast<long long>(run.acked.size()) - run.stored.counter;
  const long conflicts = Conflicts(run);
  Report("L1-control",
         "\"backend\":\"file\",\"lock\":\"none\",\"N\":8,\"M\":60",
         "\"acked\":" + std::to_string(run.acked.size()) +
             ",\"final\":" + std::to_string(run.stored.counter) +
             ",\"lost_updates\":" + std::to_string(lost) +
             ",\"conflicts\":" + std::to_string(conflicts),
         "lost updates > 0 or conflicts > 0", lost > 0 || conflicts > 0);
  CHECK(lost + conflicts > 0);
  CHECK(lost >= 0);  // More stored than acknowledged would be a bug.
}

struct CrashRun {
  int kills = 0;
  long acks = 0;
  long duplicate_acks = 0;
  long long max_ack = 0;
  long verify_failures = 0;  // VerifyCache after a kill: not OK.
  long worker_errors = 0;
  long long final_counter = -1;
  long temps_after_open = -1;
};

long CountTemps(const std::filesystem::path& dir, const std::string& name) {
  long count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("." + name + ".tmp.", 0) == 0) {
      ++count;
    }
  }
  return count;
}

// C2: three writers update continuously; after a random 0-20 ms one is
// SIGKILLed, the cache is verified, and the writer is replaced. The cache
// is the file `name` in `dir`, opened with the URI query `query` (e.g.
// "?format=journal", or empty).
CrashRun RunCrashes(const test::TempDir& dir, int kills, bool early_ack,
                    const std::string& name, const std::string& query = "") {
  const std::string uri = "file://" + (dir / name).string() + query;
  auto spawn = [&] {
    std::vector<std::string> argv = {kWorker, "writer", uri};
    if (early_ack) argv.push_back("early");
    return ChildProcess::Spawn(argv);
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
      if (line.rfind("ack ", 0) == 0) {
        const long long value = std::stoll(line.substr(4));
        ++run.acks;
        if (!acked.insert(value).second) ++run.duplicate_acks;
        run.max_ack = std::max(run.max_ack, value);
      } else if (line.rfind("error ", 0) == 0) {
        ++run.worker_errors;
      }
    }
  };
  std::vector<std::unique_ptr<ChildProcess>> writers;
  for (int i = 0; i < 3; ++i) writers.push_back(spawn());
  std::mt19937 rng(20);
  for (int k = 0; k < kills; ++k) {
    const auto kill_at = steady_clock::now() +
                         std::chrono::microseconds(
                             std::uniform_int_distribution<int>(0, 20000)(rng));
    while (steady_clock::now() < kill_at) {
      std::vector<struct pollfd> fds;
      for (auto& w : writers) fds.push_back({w->stdout_fd(), POLLIN, 0});
      auto left = std::chrono::duration_cast<milliseconds>(kill_at -
                                                           steady_clock::now());
      poll(fds.data(), fds.size(), static_cast<int>(left.count()) + 1);
      for (auto& w : writers) absorb(*w, false);
    }
    const std::size_t victim =
        std::uniform_int_distribution<std::size_t>(0, 2)(rng);
    writers[victim]->Signal(SIGKILL);
    writers[victim]->Wait();
    absorb(*writers[victim], true);  // Acks sent before dying count.
    ++run.kills;
    Result<VerifyReport> verified = VerifyCache(uri);
    if (!verified.ok() || verified->code != Code::kOk) {
      ++run.verify_failures;
      // Why, for the log: a code and a position, never token text.
      std::fprintf(stderr, "C2 verify failure after kill %d: %s\n", k,
                   verified.ok() ? (std::string(CodeName(verified->code)) +
                                    ": " + verified->detail)
                                       .c_str()
                                 : verified.status().ToString().c_str());
    }
    writers[victim] = spawn();
  }
  for (auto& w : writers) {
    w->Signal(SIGKILL);
    w->Wait();
    absorb(*w, true);
  }
  Result<VerifyReport> verified = VerifyCache(uri);
  if (!verified.ok() || verified->code != Code::kOk) ++run.verify_failures;
  // The next open removes the temp files the killed writers left.
  Stored stored = ReadStored(uri);
  run.final_counter = stored.counter;
  run.temps_after_open = CountTemps(dir.path(), name);
  return run;
}

// An acknowledged value was lost when it was handed out again (the next
// writer started from an older state) or the counter ended below it.
long long LostAcks(const CrashRun& run) {
  return run.duplicate_acks + (run.final_counter >= run.max_ack ? 0 : 1);
}

// Reports and checks a C2 run and its early-ack negative control;
// `params` names the store in the report.
void CheckCrashRun(const CrashRun& run, const CrashRun& control,
                   const std::string& params) {
  const bool pass = run.verify_failures == 0 && LostAcks(run) == 0 &&
                    run.temps_after_open == 0 && run.worker_errors == 0;
  Report("C2",
         params + ",\"api\":\"Cache::Update\",\"writers\":3,\"kills\":" +
             std::to_string(run.kills),
         "\"acks\":" + std::to_string(run.acks) +
             ",\"final\":" + std::to_string(run.final_counter) +
             ",\"verify_failures\":" + std::to_string(run.verify_failures) +
             ",\"lost_acked\":" + std::to_string(LostAcks(run)) +
             ",\"temps_after_open\":" + std::to_string(run.temps_after_open) +
             ",\"worker_errors\":" + std::to_string(run.worker_errors) +
             ",\"control_lost_acked\":" + std::to_string(LostAcks(control)),
         "0 corrupt, 0 lost acked updates, 0 leftover temps; control > 0",
         pass);
  CHECK(run.kills == 200);
  CHECK(run.acks > 0);
  CHECK(run.verify_failures == 0);
  CHECK(run.duplicate_acks == 0);
  CHECK(run.final_counter >= run.max_ack);
  CHECK(run.temps_after_open == 0);
  CHECK(run.worker_errors == 0);
  // Negative control: acknowledging before the commit loses acks on kill.
  CHECK(LostAcks(control) > 0);
}

TEST_CASE(
    "Writers SIGKILLed during Cache::Update leave a cache that "
    "verifies, keep every acknowledged value and leave no temp file "
    "(C2)",
    "[multiprocess][C2][cache]") {
  test::TempDir dir;
  CrashRun run = RunCrashes(dir, 200, false, "c2.json");
  CrashRun control = RunCrashes(dir, 40, true, "c2-control.json");
  CheckCrashRun(run, control, "\"backend\":\"file\"");
}

TEST_CASE(
    "Writers SIGKILLed during Cache::Update on a journal leave a journal "
    "that verifies, keep every acknowledged value and leave no temp file "
    "(C2, journal)",
    "[multiprocess][C2][cache][journal]") {
  test::TempDir dir;
  CrashRun run = RunCrashes(dir, 200, false, "c2.journal", "?format=journal");
  // The same harness must see losses on a journal when acks come early.
  // A journal commit keeps a frame appended before the kill, so only a kill
  // between the early ack and the append loses it: a window of tens of
  // microseconds per transaction (about one kill in 15 at 40 kills left
  // the control at 0 one run in 20). 120 kills make that one in thousands.
  CrashRun control =
      RunCrashes(dir, 120, true, "c2-control.journal", "?format=journal");
  CheckCrashRun(run, control,
                "\"backend\":\"file\",\"format\":\"journal\"");
}

}  // namespace
}  // namespace tokencache
