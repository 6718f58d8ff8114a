// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// tokencache_contention: N real processes share one cache store and run M
// transactions each; the same workload as the msal-node peer's
// contention.js (../shared/peers/msal-node), so the figures can be put side
// by side (docs/performance.md).
//
//   tokencache_contention --store 'file://{scratch}/cache.json'
//       --procs 1,2,4,8,16 --ops-total 800 --mode write --json out.json
//
// Per configuration the parent seeds a fresh store (1 account, ID token,
// refresh token, app metadata, 20 access tokens of ~1.2 KB and a counter
// token whose secret holds a decimal counter), then fork+execs itself N
// times in worker mode. Workers open the store, report ready through a pipe
// and block on a second pipe until the parent closes it (start barrier).
// Each operation:
//   write: one Cache::Update that inserts an access token unique to
//          (worker, op) and increments the counter (read-modify-write of the
//          counter token, through MSAL JSON when the store is JSON);
//   read:  a silent-hit Cache::FindAccessToken, answer checked;
//   mixed: even workers write, odd workers read.
// Latency per op is taken with steady_clock. Afterwards the parent verifies
// from the store itself: counter == successful writes, every unique token
// present, and every counter value 1..writes observed exactly once (the
// reliability plan's L1 check).
//
// `{scratch}` in --store is replaced by a fresh directory per configuration
// (removed afterwards unless --keep). `memory:` is one process's cache, so
// it runs in-process and only with N = 1.
//
// Measurement hooks (this binary only): fsync(2) and fdatasync(2) are
// interposed to count calls and the time spent in them (reported per
// write), and --no-fsync turns them into no-ops to measure what durability
// costs. Never use
// --no-fsync figures as durable results.

#include <fcntl.h>
#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/prettywriter.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "bench/common/bench_cache.h"
#include "tokencache/cache.h"
#include "tokencache/tokencache.h"

namespace {

std::atomic<bool> g_skip_fsync{false};
std::atomic<std::uint64_t> g_fsync_calls{0};
std::atomic<std::uint64_t> g_fsync_ns{0};

}  // namespace

namespace {

// Runs the sync system call `number` on `fd` unless --no-fsync, and counts
// and times it.
int CountedSync(long number, int fd) {
  const auto t0 = std::chrono::steady_clock::now();
  int rc = 0;
  if (!g_skip_fsync.load(std::memory_order_relaxed)) {
    rc = static_cast<int>(syscall(number, fd));
  }
  const auto t1 = std::chrono::steady_clock::now();
  g_fsync_calls.fetch_add(1, std::memory_order_relaxed);
  g_fsync_ns.fetch_add(
      static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0)
              .count()),
      std::memory_order_relaxed);
  return rc;
}

}  // namespace

// Interpose the C library's fsync and fdatasync for this executable (the
// library code linked into it, LMDB included, resolves them here first):
// every call is counted and timed, and skipped under --no-fsync.
// Default visibility: the build hides symbols, and shared libraries such as
// liblmdb only see the executable's exported ones.
#define TOKENCACHE_BENCH_INTERPOSE \
  extern "C" __attribute__((visibility("default")))
TOKENCACHE_BENCH_INTERPOSE int fsync(int fd) {
  return CountedSync(SYS_fsync, fd);
}
TOKENCACHE_BENCH_INTERPOSE int fdatasync(int fd) {
  return CountedSync(SYS_fdatasync, fd);
}
#undef TOKENCACHE_BENCH_INTERPOSE

namespace tokencache {
namespace bench {
namespace {

namespace po = boost::program_options;
using SteadyClock = std::chrono::steady_clock;

constexpr int kSeedAccessTokens = 20;
constexpr char kCounterTarget[] = "api://counter/value";

struct Identity {
  std::string client_id = Guid("contention-client-app");
  std::string uid = Guid("contention-user");
  std::string utid = Guid("contention-home-tenant");
  std::string home() const { return uid + "." + utid; }
};

AccessTokenQuery QueryFor(const Identity& id, std::vector<std::string> scopes) {
  AccessTokenQuery q;
  q.home_account_id = id.home();
  q.environment = std::string(kEnvironment);
  q.client_id = id.client_id;
  q.realm = id.utid;
  q.scopes = std::move(scopes);
  return q;
}

AccessToken TokenFor(const Identity& id, const std::string& target,
                     std::string_view secret, UnixSeconds now) {
  AccessToken at;
  at.home_account_id = id.home();
  at.environment = std::string(kEnvironment);
  at.client_id = id.client_id;
  at.realm = id.utid;
  at.target = target;
  at.secret.Assign(secret);
  at.cached_at = now;
  at.expires_on = now + 365LL * 24 * 3600;
  at.extended_expires_on = at.expires_on;
  return at;
}

std::string UniqueTarget(int worker, int op) {
  return "api://w" + std::to_string(worker) + "/i" + std::to_string(op);
}

// The peer's seed cache: one account with ID token, RT and app metadata, 20
// access tokens and the counter token.
CacheSnapshot SeedSnapshot(const Identity& id, UnixSeconds now) {
  CacheSnapshot s;
  Account account;
  account.home_account_id = id.home();
  account.environment = std::string(kEnvironment);
  account.realm = id.utid;
  account.local_account_id = id.uid;
  account.username = "contention.user@contoso.example";
  account.authority_type = "MSSTS";
  account.client_info =
      Base64Url(R"({"uid":")" + id.uid + R"(","utid":")" + id.utid + R"("})");
  account.name = "Contention User";
  s.accounts.push_back(account);
  IdToken idt;
  idt.home_account_id = id.home();
  idt.environment = std::string(kEnvironment);
  idt.client_id = id.client_id;
  idt.realm = id.utid;
  idt.secret.Assign(Base64Url(R"({"alg":"none"})") + "." +
                    Base64Url(R"({"tid":")" + id.utid + R"("})") + ".");
  s.id_tokens.push_back(std::move(idt));
  RefreshToken rt;
  rt.home_account_id = id.home();
  rt.environment = std::string(kEnvironment);
  rt.client_id = id.client_id;
  rt.secret.Assign(FilledSecret("seed-rt-", 300));
  s.refresh_tokens.push_back(std::move(rt));
  AppMetadata app;
  app.client_id = id.client_id;
  app.environment = std::string(kEnvironment);
  s.app_metadata.push_back(std::move(app));
  for (int i = 0; i < kSeedAccessTokens; ++i) {
    const std::string r = "api://seed-" + std::to_string(i);
    s.access_tokens.push_back(TokenFor(
        id, r + "/read " + r + "/write",
        FilledSecret("seed-at-" + std::to_string(i) + "-", kSecretFill), now));
  }
  s.access_tokens.push_back(TokenFor(id, kCounterTarget, "0", now));
  return s;
}

// What one worker measured.
struct WorkerResult {
  std::vector<std::int64_t> latency_ns;
  std::vector<std::uint64_t> observed;  // Counter values this worker wrote.
  std::map<std::string, int> errors;    // Error code name -> count.
  std::uint64_t fsync_calls = 0;
  std::uint64_t fsync_ns = 0;
  std::uint64_t cpu_ns = 0;  // User + system CPU time of the op loop.
};

// User + system CPU time this process has used so far.
std::uint64_t ProcessCpuNs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& tv) {
    return static_cast<std::uint64_t>(tv.tv_sec) * 1000000000u +
           static_cast<std::uint64_t>(tv.tv_usec) * 1000u;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

bool ParseCounter(std::string_view text, std::uint64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

// Runs `ops` operations of `role` against `cache` as worker `worker`.
WorkerResult RunOps(Cache& cache, const std::string& role, int worker,
                    int ops) {
  const Identity id;
  const AccessTokenQuery counter_query = QueryFor(id, {kCounterTarget});
  const AccessTokenQuery read_query =
      QueryFor(id, {"api://seed-0/read", "api://seed-0/write"});
  WorkerResult r;
  r.latency_ns.reserve(static_cast<std::size_t>(ops));
  const std::uint64_t fsync_calls0 = g_fsync_calls.load();
  const std::uint64_t fsync_ns0 = g_fsync_ns.load();
  const std::uint64_t cpu0 = ProcessCpuNs();
  const UnixSeconds now = SystemClock()->Now();
  CacheSnapshot add;
  for (int i = 0; i < ops; ++i) {
    Status status;
    std::uint64_t observed = 0;
    // Built outside the timed window: the workload's payload, not ours.
    AccessToken unique;
    if (role == "write") {
      unique = TokenFor(id, UniqueTarget(worker, i),
                        FilledSecret("w" + std::to_string(worker) + "-i" +
                                         std::to_string(i) + "-",
                                     kSecretFill),
                        now);
    }
    const auto t0 = SteadyClock::now();
    if (role == "write") {
      status = cache.Update([&](CacheTransaction& txn) {
        AccessTokenLookup counter = txn.FindAccessToken(counter_query);
        if (!counter.token.has_value()) {
          return NotFoundError("counter token missing from the cache");
        }
        std::uint64_t n = 0;
        if (!ParseCounter(counter.token->secret.view(), &n)) {
          return CorruptedError("counter token does not hold a number");
        }
        AccessToken next = *counter.token;
        next.secret.Assign(std::to_string(n + 1));
        add.access_tokens.clear();
        add.access_tokens.push_back(unique);
        add.access_tokens.push_back(std::move(next));
        txn.Import(add);
        observed = n + 1;
        return Status();
      });
    } else {
      Result<AccessTokenLookup> got = cache.FindAccessToken(read_query);
      if (!got.ok()) {
        status = got.status();
      } else if (got->state != LookupState::kValid || !got->token.has_value() ||
                 got->token->secret.view().substr(0, 10) != "seed-at-0-") {
        status = Status(Code::kInternal, "silent lookup returned no hit");
      }
    }
    const auto t1 = SteadyClock::now();
    if (!status.ok()) {
      ++r.errors[CodeName(status.code())];
      continue;
    }
    r.latency_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    if (role == "write") r.observed.push_back(observed);
  }
  r.fsync_calls = g_fsync_calls.load() - fsync_calls0;
  r.fsync_ns = g_fsync_ns.load() - fsync_ns0;
  r.cpu_ns = ProcessCpuNs() - cpu0;
  return r;
}

// Worker results travel to the parent as a text file, one item per line.
bool WriteResult(const std::string& path, const WorkerResult& r) {
  std::ofstream out(path, std::ios::trunc);
  for (std::int64_t ns : r.latency_ns) out << "L " << ns << '\n';
  for (std::uint64_t v : r.observed) out << "V " << v << '\n';
  for (const auto& [code, n] : r.errors)
    out << "E " << code << ' ' << n << '\n';
  out << "C " << r.cpu_ns << '\n';
  out << "F " << r.fsync_calls << ' ' << r.fsync_ns << '\n';
  out.close();
  return static_cast<bool>(out);
}

bool ReadResult(const std::string& path, WorkerResult* r) {
  std::ifstream in(path);
  if (!in) return false;
  std::string tag;
  bool saw_end = false;
  while (in >> tag) {
    if (tag == "L") {
      std::int64_t ns = 0;
      in >> ns;
      r->latency_ns.push_back(ns);
    } else if (tag == "V") {
      std::uint64_t v = 0;
      in >> v;
      r->observed.push_back(v);
    } else if (tag == "E") {
      std::string code;
      int n = 0;
      in >> code >> n;
      r->errors[code] += n;
    } else if (tag == "C") {
      in >> r->cpu_ns;
    } else if (tag == "F") {
      in >> r->fsync_calls >> r->fsync_ns;
      saw_end = true;
    } else {
      return false;
    }
  }
  return saw_end;
}

struct Options {
  std::string store;
  std::string procs = "1";
  int ops = 0;
  int ops_total = 0;
  std::string mode = "write";
  std::string json;
  std::string scratch_base;
  bool no_fsync = false;
  bool keep = false;
  int timeout_s = 600;
  // Worker mode.
  bool worker = false;
  int worker_index = 0;
  std::string role;
  int ready_fd = -1;
  int go_fd = -1;
  std::string out;
};

int WorkerMain(const Options& o) {
  g_skip_fsync = o.no_fsync;
  Result<std::unique_ptr<Cache>> cache = OpenCache(o.store);
  if (!cache.ok()) {
    std::cerr << "worker " << o.worker_index
              << ": cannot open the store: " << cache.status().ToString()
              << '\n';
    return 2;
  }
  // Ready, then wait for the parent to close the go pipe (EOF = start).
  const char byte = 'r';
  if (write(o.ready_fd, &byte, 1) != 1) return 2;
  close(o.ready_fd);
  char sink;
  while (read(o.go_fd, &sink, 1) < 0 && errno == EINTR) {
  }
  close(o.go_fd);
  WorkerResult r = RunOps(**cache, o.role, o.worker_index, o.ops);
  return WriteResult(o.out, r) ? 0 : 2;
}

// --------------------------------------------------------------- parent

struct Summary {
  std::size_t n = 0;
  double p50_us = 0, p99_us = 0, max_us = 0, mean_us = 0;
};

Summary Summarize(std::vector<std::int64_t> ns) {
  Summary s;
  s.n = ns.size();
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  // Nearest rank, as the peer's common.js percentile().
  auto at = [&](double p) {
    std::size_t rank =
        static_cast<std::size_t>(std::ceil(p * static_cast<double>(ns.size())));
    if (rank == 0) rank = 1;
    return static_cast<double>(ns[std::min(rank, ns.size()) - 1]) / 1e3;
  };
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.max_us = static_cast<double>(ns.back()) / 1e3;
  double sum = 0;
  for (std::int64_t v : ns) sum += static_cast<double>(v);
  s.mean_us = sum / static_cast<double>(ns.size()) / 1e3;
  return s;
}

struct ConfigResult {
  std::string store;  // URI with {scratch} left in place.
  std::string mode;
  int procs = 0;
  int ops = 0;
  int writers = 0;
  int readers = 0;
  bool skipped = false;
  std::string note;
  double wall_s = 0;
  std::size_t tx_done = 0;
  double tx_per_s = 0;
  Summary all, write, read;
  std::map<std::string, int> errors;
  int error_count = 0;
  bool timed_out = false;
  // Verification from the store.
  std::uint64_t writes_ok = 0;
  std::int64_t counter = -1;
  std::int64_t unique_found = -1;
  std::int64_t lost_counter_increments = 0;
  std::int64_t lost_unique_tokens = 0;
  std::int64_t lost_updates = 0;
  std::uint64_t duplicate_values = 0;
  std::uint64_t missing_values = 0;
  std::string verify_error;
  std::uint64_t fsync_calls = 0;
  double fsync_ms_total = 0;
  double cpu_ms_total = 0;
  std::uintmax_t store_bytes = 0;
  double load_before[3] = {0, 0, 0};
  double load_after[3] = {0, 0, 0};
  bool no_fsync = false;
};

std::string Replace(std::string s, const std::string& from,
                    const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos;
       at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string MakeTempDir(const std::string& base, const std::string& prefix) {
  std::string templ =
      (std::filesystem::path(base) / (prefix + "XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(2);
  }
  return templ;
}

// Verifies the store after a run: counter, unique tokens, observed values.
void Verify(Cache& cache, const std::vector<int>& writer_ids, int ops,
            std::vector<std::uint64_t> observed, ConfigResult* out) {
  const Identity id;
  out->writes_ok = observed.size();
  Result<AccessTokenLookup> counter =
      cache.FindAccessToken(QueryFor(id, {kCounterTarget}));
  std::uint64_t value = 0;
  if (!counter.ok()) {
    out->verify_error = counter.status().ToString();
    return;
  }
  if (!counter->token.has_value() ||
      !ParseCounter(counter->token->secret.view(), &value)) {
    out->verify_error = "counter token missing or not a number";
    return;
  }
  out->counter = static_cast<std::int64_t>(value);
  Result<CacheSnapshot> all = cache.Export();
  if (!all.ok()) {
    out->verify_error = all.status().ToString();
    return;
  }
  std::set<std::string> targets;
  for (const AccessToken& at : all->access_tokens) targets.insert(at.target);
  std::int64_t found = 0;
  for (int w : writer_ids) {
    for (int i = 0; i < ops; ++i) {
      if (targets.count(UniqueTarget(w, i)) != 0) ++found;
    }
  }
  out->unique_found = found;
  const auto expected = static_cast<std::int64_t>(out->writes_ok);
  out->lost_counter_increments = expected - out->counter;
  out->lost_unique_tokens = expected - found;
  out->lost_updates =
      std::max(out->lost_counter_increments, out->lost_unique_tokens);
  // L1: every value 1..writes observed exactly once.
  std::sort(observed.begin(), observed.end());
  for (std::size_t i = 1; i < observed.size(); ++i) {
    if (observed[i] == observed[i - 1]) ++out->duplicate_values;
  }
  std::set<std::uint64_t> seen(observed.begin(), observed.end());
  for (std::uint64_t v = 1; v <= out->writes_ok; ++v) {
    if (seen.count(v) == 0) ++out->missing_values;
  }
}

void Aggregate(const std::vector<WorkerResult>& results,
               const std::vector<std::string>& roles, ConfigResult* c,
               std::vector<std::uint64_t>* observed) {
  std::vector<std::int64_t> all, writes, reads;
  for (std::size_t w = 0; w < results.size(); ++w) {
    const WorkerResult& r = results[w];
    all.insert(all.end(), r.latency_ns.begin(), r.latency_ns.end());
    auto& bucket = roles[w] == "write" ? writes : reads;
    bucket.insert(bucket.end(), r.latency_ns.begin(), r.latency_ns.end());
    observed->insert(observed->end(), r.observed.begin(), r.observed.end());
    for (const auto& [code, n] : r.errors) {
      c->errors[code] += n;
      c->error_count += n;
    }
    c->fsync_calls += r.fsync_calls;
    c->fsync_ms_total += static_cast<double>(r.fsync_ns) / 1e6;
    c->cpu_ms_total += static_cast<double>(r.cpu_ns) / 1e6;
  }
  c->tx_done = all.size();
  c->tx_per_s = c->wall_s > 0 ? static_cast<double>(all.size()) / c->wall_s : 0;
  c->all = Summarize(std::move(all));
  c->write = Summarize(std::move(writes));
  c->read = Summarize(std::move(reads));
}

ConfigResult RunConfig(const Options& o, int procs, const std::string& self) {
  ConfigResult c;
  c.store = o.store;
  c.mode = o.mode;
  c.procs = procs;
  c.no_fsync = o.no_fsync;
  c.ops = o.ops > 0 ? o.ops : (o.ops_total + procs - 1) / procs;
  std::vector<std::string> roles;
  std::vector<int> writer_ids;
  for (int w = 0; w < procs; ++w) {
    std::string role =
        o.mode == "mixed" ? (w % 2 == 0 ? "write" : "read") : o.mode;
    if (role == "write") writer_ids.push_back(w);
    roles.push_back(role);
  }
  c.writers = static_cast<int>(writer_ids.size());
  c.readers = procs - c.writers;
  const bool memory = o.store.rfind("memory:", 0) == 0;
  if (memory && procs > 1) {
    c.skipped = true;
    c.note =
        "memory: is one process's cache; N > 1 processes would be N "
        "separate caches, so there is nothing shared to contend for";
    return c;
  }
  getloadavg(c.load_before, 3);
  const std::string base = o.scratch_base.empty()
                               ? std::filesystem::temp_directory_path().string()
                               : o.scratch_base;
  const std::string scratch = MakeTempDir(base, "tokencache-contention-");
  const std::string uri = Replace(o.store, "{scratch}", scratch);
  const Identity id;

  Result<std::unique_ptr<Cache>> seeded = OpenCache(uri);
  if (!seeded.ok()) {
    c.verify_error = "cannot open the store: " + seeded.status().ToString();
    return c;
  }
  {
    Result<CacheSnapshot> existing = (*seeded)->Export();
    if (!existing.ok() || !existing->access_tokens.empty()) {
      c.verify_error =
          "the store is not empty; give a fresh one (use {scratch})";
      return c;
    }
  }
  if (Status s = (*seeded)->Import(SeedSnapshot(id, SystemClock()->Now()));
      !s.ok()) {
    c.verify_error = "cannot seed the store: " + s.ToString();
    return c;
  }

  std::vector<WorkerResult> results(static_cast<std::size_t>(procs));
  if (memory) {
    g_skip_fsync = o.no_fsync;
    const auto t0 = SteadyClock::now();
    results[0] = RunOps(**seeded, roles[0], 0, c.ops);
    c.wall_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    std::vector<std::uint64_t> observed;
    Aggregate(results, roles, &c, &observed);
    Verify(**seeded, writer_ids, c.ops, std::move(observed), &c);
    getloadavg(c.load_after, 3);
    std::filesystem::remove_all(scratch);
    return c;
  }
  seeded->reset();

  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) {
    std::perror("pipe");
    std::exit(2);
  }
  // Only the children's ends survive exec.
  fcntl(ready[0], F_SETFD, FD_CLOEXEC);
  fcntl(go[1], F_SETFD, FD_CLOEXEC);
  std::vector<pid_t> pids;
  std::vector<std::string> outs;
  for (int w = 0; w < procs; ++w) {
    outs.push_back(scratch + "/worker-" + std::to_string(w) + ".out");
    std::vector<std::string> args = {self,
                                     "--worker",
                                     "--worker-index",
                                     std::to_string(w),
                                     "--role",
                                     roles[static_cast<std::size_t>(w)],
                                     "--store",
                                     uri,
                                     "--ops",
                                     std::to_string(c.ops),
                                     "--ready-fd",
                                     std::to_string(ready[1]),
                                     "--go-fd",
                                     std::to_string(go[0]),
                                     "--out",
                                     outs.back()};
    if (o.no_fsync) args.push_back("--no-fsync");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      std::exit(2);
    }
    if (pid == 0) {
      execv(self.c_str(), argv.data());
      _exit(127);
    }
    pids.push_back(pid);
  }
  close(ready[1]);
  close(go[0]);
  int ready_count = 0;
  char byte;
  while (ready_count < procs) {
    ssize_t n = read(ready[0], &byte, 1);
    if (n == 1) {
      ++ready_count;
    } else if (n == 0 || errno != EINTR) {
      break;  // A worker died before it was ready.
    }
  }
  close(ready[0]);
  const auto t0 = SteadyClock::now();
  close(go[1]);  // Start: every worker's read returns EOF.
  const auto deadline = t0 + std::chrono::seconds(o.timeout_s);
  std::vector<bool> done(pids.size(), false);
  std::size_t remaining = pids.size();
  std::vector<int> exit_codes(pids.size(), 0);
  while (remaining > 0) {
    for (std::size_t i = 0; i < pids.size(); ++i) {
      if (done[i]) continue;
      int st = 0;
      if (waitpid(pids[i], &st, WNOHANG) == pids[i]) {
        done[i] = true;
        --remaining;
        exit_codes[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
    if (remaining == 0) break;
    if (SteadyClock::now() > deadline) {
      c.timed_out = true;
      for (std::size_t i = 0; i < pids.size(); ++i) {
        if (!done[i]) kill(pids[i], SIGKILL);
      }
      for (std::size_t i = 0; i < pids.size(); ++i) {
        if (!done[i]) waitpid(pids[i], nullptr, 0);
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  c.wall_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  getloadavg(c.load_after, 3);
  for (std::size_t w = 0; w < pids.size(); ++w) {
    if (exit_codes[w] != 0 || !ReadResult(outs[w], &results[w])) {
      results[w].errors["worker exit " + std::to_string(exit_codes[w])] += 1;
    }
  }
  if (ready_count < procs) c.note = "some workers failed before the start";
  std::vector<std::uint64_t> observed;
  Aggregate(results, roles, &c, &observed);

  Result<std::unique_ptr<Cache>> check = OpenCache(uri);
  if (!check.ok()) {
    c.verify_error = "cannot reopen the store: " + check.status().ToString();
  } else {
    Verify(**check, writer_ids, c.ops, std::move(observed), &c);
  }
  // The largest regular file under the scratch dir is the cache (the LMDB
  // data file for lmdb:).
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(scratch)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.rfind("worker-", 0) != 0) {
      c.store_bytes = std::max(c.store_bytes, entry.file_size());
    }
  }
  if (!o.keep) std::filesystem::remove_all(scratch);
  return c;
}

template <typename W>
void WriteSummary(W& w, const char* name, const Summary& s) {
  w.Key(name);
  w.StartObject();
  w.Key("n");
  w.Uint64(s.n);
  w.Key("p50_us");
  w.Double(s.p50_us);
  w.Key("p99_us");
  w.Double(s.p99_us);
  w.Key("max_us");
  w.Double(s.max_us);
  w.Key("mean_us");
  w.Double(s.mean_us);
  w.EndObject();
}

void WriteJson(const std::string& path, const std::vector<ConfigResult>& rs) {
  std::ofstream file(path, std::ios::trunc);
  rapidjson::OStreamWrapper stream(file);
  rapidjson::PrettyWriter<rapidjson::OStreamWrapper> w(stream);
  w.StartObject();
  w.Key("tool");
  w.String("tokencache_contention");
  w.Key("cpus");
  w.Uint(std::thread::hardware_concurrency());
  w.Key("results");
  w.StartArray();
  for (const ConfigResult& c : rs) {
    w.StartObject();
    w.Key("store");
    w.String(c.store.c_str());
    w.Key("mode");
    w.String(c.mode.c_str());
    w.Key("procs");
    w.Int(c.procs);
    w.Key("ops_per_proc");
    w.Int(c.ops);
    w.Key("writers");
    w.Int(c.writers);
    w.Key("readers");
    w.Int(c.readers);
    w.Key("skipped");
    w.Bool(c.skipped);
    w.Key("note");
    w.String(c.note.c_str());
    w.Key("no_fsync");
    w.Bool(c.no_fsync);
    w.Key("wall_s");
    w.Double(c.wall_s);
    w.Key("tx_done");
    w.Uint64(c.tx_done);
    w.Key("tx_per_s");
    w.Double(c.tx_per_s);
    w.Key("p50_us");
    w.Double(c.all.p50_us);
    w.Key("p99_us");
    w.Double(c.all.p99_us);
    w.Key("max_us");
    w.Double(c.all.max_us);
    WriteSummary(w, "write", c.write);
    WriteSummary(w, "read", c.read);
    w.Key("errors");
    w.Int(c.error_count);
    w.Key("errors_by_code");
    w.StartObject();
    for (const auto& [code, n] : c.errors) {
      w.Key(code.c_str());
      w.Int(n);
    }
    w.EndObject();
    w.Key("timed_out");
    w.Bool(c.timed_out);
    w.Key("writes_ok");
    w.Uint64(c.writes_ok);
    w.Key("counter");
    w.Int64(c.counter);
    w.Key("unique_found");
    w.Int64(c.unique_found);
    w.Key("lost_updates");
    w.Int64(c.lost_updates);
    w.Key("lost_counter_increments");
    w.Int64(c.lost_counter_increments);
    w.Key("lost_unique_tokens");
    w.Int64(c.lost_unique_tokens);
    w.Key("duplicate_counter_values");
    w.Uint64(c.duplicate_values);
    w.Key("missing_counter_values");
    w.Uint64(c.missing_values);
    w.Key("verify_error");
    w.String(c.verify_error.c_str());
    w.Key("fsync_calls");
    w.Uint64(c.fsync_calls);
    w.Key("fsync_ms_total");
    w.Double(c.fsync_ms_total);
    w.Key("fsync_ms_per_write");
    w.Double(c.writes_ok > 0
                 ? c.fsync_ms_total / static_cast<double>(c.writes_ok)
                 : 0.0);
    w.Key("cpu_ms_total");
    w.Double(c.cpu_ms_total);
    w.Key("cpu_us_per_op");
    w.Double(c.tx_done > 0
                 ? c.cpu_ms_total * 1e3 / static_cast<double>(c.tx_done)
                 : 0.0);
    w.Key("store_bytes");
    w.Uint64(c.store_bytes);
    w.Key("loadavg_before");
    w.StartArray();
    for (double l : c.load_before) w.Double(l);
    w.EndArray();
    w.Key("loadavg_after");
    w.StartArray();
    for (double l : c.load_after) w.Double(l);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  file << '\n';
}

void PrintRow(const ConfigResult& c) {
  if (c.skipped) {
    std::printf("| %s | %d | - | skipped: %s |\n", c.mode.c_str(), c.procs,
                c.note.c_str());
    return;
  }
  std::printf(
      "| %s | %d | %d | %.2f | %.0f | %.1f | %.1f | %.1f | %lld | %lld | "
      "%llu | %d | %.2f | %.0f | %.2f | %.1f |%s%s\n",
      c.mode.c_str(), c.procs, c.ops, c.wall_s, c.tx_per_s, c.all.p50_us,
      c.all.p99_us, c.all.max_us, static_cast<long long>(c.lost_updates),
      static_cast<long long>(c.counter),
      static_cast<unsigned long long>(c.duplicate_values), c.error_count,
      c.writes_ok > 0 ? static_cast<double>(c.fsync_calls) /
                            static_cast<double>(c.writes_ok)
                      : 0.0,
      static_cast<double>(c.store_bytes) / 1024.0,
      c.writes_ok > 0 ? c.fsync_ms_total / static_cast<double>(c.writes_ok)
                      : 0.0,
      c.tx_done > 0 ? c.cpu_ms_total * 1e3 / static_cast<double>(c.tx_done)
                    : 0.0,
      c.verify_error.empty() ? "" : " VERIFY: ", c.verify_error.c_str());
  std::fflush(stdout);
}

bool ParseProcs(const std::string& text, std::vector<int>* out) {
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 256) return false;
    out->push_back(static_cast<int>(v));
  }
  return !out->empty();
}

int Main(int argc, char** argv) {
  Options o;
  po::options_description desc(
      "tokencache_contention: N processes x M transactions on one store");
  desc.add_options()("help,h", "this help")(
      "store", po::value(&o.store),
      "cache URI; {scratch} becomes a fresh directory per configuration, "
      "e.g. file://{scratch}/cache.json?format=binary")(
      "procs", po::value(&o.procs)->default_value("1"),
      "processes N, or a list 1,2,4,8,16 (one configuration each)")(
      "ops", po::value(&o.ops)->default_value(0), "operations per process M")(
      "ops-total", po::value(&o.ops_total)->default_value(0),
      "instead of --ops: M = ceil(T / N), as the peer's --m-total")(
      "mode", po::value(&o.mode)->default_value("write"),
      "write | read | mixed (even workers write, odd read)")(
      "json", po::value(&o.json), "write all results to this JSON file")(
      "scratch-dir", po::value(&o.scratch_base),
      "where {scratch} directories are made (default: system temp dir)")(
      "no-fsync", po::bool_switch(&o.no_fsync),
      "measurement only: make fsync a no-op to see what durability costs")(
      "keep", po::bool_switch(&o.keep), "keep the scratch directories")(
      "timeout", po::value(&o.timeout_s)->default_value(600),
      "kill a configuration after this many seconds");
  po::options_description hidden;
  hidden.add_options()("worker", po::bool_switch(&o.worker))(
      "worker-index", po::value(&o.worker_index))("role", po::value(&o.role))(
      "ready-fd", po::value(&o.ready_fd))("go-fd", po::value(&o.go_fd))(
      "out", po::value(&o.out));
  po::options_description all;
  all.add(desc).add(hidden);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << e.what() << "\n" << desc << '\n';
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return 0;
  }
  if (o.worker) return WorkerMain(o);

  std::vector<int> procs;
  if (o.store.empty() || !ParseProcs(o.procs, &procs) ||
      (o.ops <= 0 && o.ops_total <= 0) ||
      (o.mode != "write" && o.mode != "read" && o.mode != "mixed")) {
    std::cerr << "need --store, --procs N[,N...], --ops M or --ops-total T "
                 "and --mode write|read|mixed\n"
              << desc << '\n';
    return 2;
  }
  std::error_code ec;
  const std::string self =
      std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) {
    std::cerr << "cannot find this executable: " << ec.message() << '\n';
    return 2;
  }
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf(
      "# tokencache_contention store=%s mode=%s cpus=%u loadavg=%.2f,"
      "%.2f,%.2f%s\n",
      o.store.c_str(), o.mode.c_str(), std::thread::hardware_concurrency(),
      load[0], load[1], load[2], o.no_fsync ? " NO-FSYNC (not durable)" : "");
  std::printf(
      "| mode | N | M | wall s | tx/s | p50 us | p99 us | max us | lost | "
      "counter | dup values | errors | syncs/write | store KB | sync ms/write "
      "| CPU us/op |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<ConfigResult> results;
  bool ok = true;
  for (int n : procs) {
    results.push_back(RunConfig(o, n, self));
    const ConfigResult& c = results.back();
    PrintRow(c);
    if (!c.skipped && (c.error_count != 0 || c.lost_updates != 0 ||
                       c.timed_out || c.duplicate_values != 0 ||
                       c.missing_values != 0 || !c.verify_error.empty())) {
      ok = false;
    }
  }
  if (!o.json.empty()) WriteJson(o.json, results);
  // Non-zero when any configuration lost an update, failed an operation or
  // could not be verified, so a script (and the smoke test) can rely on it.
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace bench
}  // namespace tokencache

int main(int argc, char** argv) { return tokencache::bench::Main(argc, argv); }
