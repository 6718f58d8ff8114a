// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Child process for the LMDB real-process tests (tests/lmdb/lmdb_test.cc).
//
//   counter <dir> <n>         n increments through Cache::Update, taking
//                             turns between TWO Cache handles on <dir>
//                             (B3); prints each value it wrote, then
//                             "envs <k>" (LMDB envs open in this process).
//   blind <dir> <n>           negative control: read the counter in one
//                             transaction, write value+1 in another without
//                             compare-and-swap; prints the values written.
//   writer <dir>              C2: increments forever, "ack <v>" after each
//                             acknowledged update.
//   reader <dir>              B2: opens a read transaction, prints "ready",
//                             then sleeps until killed.
//   keeper <dir>              keeps the environment open (no transaction),
//                             prints "ready", sleeps until killed.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "backends/lmdb/lmdb_env.h"
#include "tokencache/backends/lmdb.h"
#include "tokencache/cache.h"
#include "tokencache/serializers/binary_record_codec.h"

namespace tokencache {
namespace {

constexpr char kCounterHome[] = "counter.t";

Account CounterAccount(UnixSeconds value) {
  Account account;
  account.home_account_id = kCounterHome;
  account.environment = "login.windows.net";
  account.realm = "t";
  account.last_modification_time = value;
  return account;
}

std::unique_ptr<Cache> OpenCacheOrDie(const std::string& dir) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    std::exit(2);
  }
  Result<std::unique_ptr<Cache>> cache =
      Cache::Open(std::move(*store), NewBinaryRecordCodec());
  if (!cache.ok()) {
    std::fprintf(stderr, "cache: %s\n", cache.status().ToString().c_str());
    std::exit(2);
  }
  return std::move(*cache);
}

// One increment; returns the value written, or -1.
long long Increment(Cache& cache) {
  long long written = -1;
  Status s = cache.Update([&](CacheTransaction& txn) {
    AccountFilter filter;
    filter.home_account_id = kCounterHome;
    std::vector<Account> accounts = txn.GetAccounts(filter);
    const UnixSeconds value =
        accounts.empty() ? 0 : accounts[0].last_modification_time;
    CacheSnapshot snapshot;
    snapshot.accounts.push_back(CounterAccount(value + 1));
    txn.Import(snapshot);
    written = value + 1;
    return Status();
  });
  if (!s.ok()) {
    std::fprintf(stderr, "update: %s\n", s.ToString().c_str());
    return -1;
  }
  return written;
}

int Counter(const std::string& dir, int n) {
  std::unique_ptr<Cache> first = OpenCacheOrDie(dir);
  std::unique_ptr<Cache> second = OpenCacheOrDie(dir);
  for (int i = 0; i < n; ++i) {
    const long long v = Increment(i % 2 == 0 ? *first : *second);
    if (v < 0) return 3;
    std::printf("%lld\n", v);
  }
  std::printf("envs %zu\n", internal::LmdbEnvCount());
  return 0;
}

int Blind(const std::string& dir, int n) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  if (!store.ok()) return 2;
  for (int i = 0; i < n; ++i) {
    long long value = 0;
    {
      Result<std::unique_ptr<RecordTransaction>> r = (*store)->BeginRead();
      if (!r.ok()) return 3;
      Result<std::optional<SecretBytes>> got = (*r)->Get("blind|counter");
      if (!got.ok()) return 3;
      if (got->has_value()) value = std::stoll(std::string((*got)->view()));
    }
    // The window a lock or a CAS would close.
    usleep(200);
    Result<std::unique_ptr<RecordTransaction>> w = (*store)->BeginWrite();
    if (!w.ok()) return 3;
    const std::string next = std::to_string(value + 1);
    if (!(*w)->Put("blind|counter", next).ok()) return 3;
    if (!(*w)->Commit().ok()) return 3;
    std::printf("%lld\n", value + 1);
  }
  return 0;
}

int Writer(const std::string& dir) {
  std::unique_ptr<Cache> cache = OpenCacheOrDie(dir);
  while (true) {
    const long long v = Increment(*cache);
    if (v < 0) return 3;
    std::printf("ack %lld\n", v);
    std::fflush(stdout);
  }
}

int Reader(const std::string& dir) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  if (!store.ok()) return 2;
  Result<std::unique_ptr<RecordTransaction>> txn = (*store)->BeginRead();
  if (!txn.ok()) return 3;
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) pause();
}

int Keeper(const std::string& dir) {
  Result<std::unique_ptr<RecordStore>> store = LmdbRecordStore::Open(dir);
  if (!store.ok()) return 2;
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) pause();
}

}  // namespace
}  // namespace tokencache

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 3) return 64;
  const std::string command = argv[1];
  const std::string dir = argv[2];
  const int n = argc > 3 ? std::atoi(argv[3]) : 0;
  if (command == "counter") return tokencache::Counter(dir, n);
  if (command == "blind") return tokencache::Blind(dir, n);
  if (command == "writer") return tokencache::Writer(dir);
  if (command == "reader") return tokencache::Reader(dir);
  if (command == "keeper") return tokencache::Keeper(dir);
  return 64;
}
