// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// A real process for the cache-level multi-process tests: it opens
// OpenCache(uri) and runs Cache::Update transactions that increment a
// counter kept in the cache (the secret of a refresh token, so it is a
// record every MSAL reader would load and write back), reporting each
// acknowledged value on stdout as "ack <n>" before doing anything else.
//
//   cache_worker counter URI M ID   M transactions, each also inserting the
//                                   access token "scope-ID-i"; then
//                                   "stats calls=<fn runs> conflicts=<n>
//                                   max_ms=<slowest Update>"
//   cache_worker writer URI [early] transactions until killed; with
//                                   "early", the ack is printed inside the
//                                   transaction, before the commit (the
//                                   deliberately broken control)
//
// Exit: 0 done, 2 usage, 3 a cache error (printed as "error <CODE>").

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

constexpr char kEnvironment[] = "login.microsoftonline.com";

RefreshTokenQuery CounterQuery() {
  RefreshTokenQuery query;
  query.home_account_id = "counter.tenant";
  query.environment = kEnvironment;
  query.client_id = "counter-client";
  return query;
}

long long CounterIn(const CacheView& view) {
  RefreshTokenLookup lookup = view.FindRefreshToken(CounterQuery());
  if (!lookup.app_token.has_value()) return 0;
  return std::atoll(std::string(lookup.app_token->secret.view()).c_str());
}

// The records one increment writes: the counter (newer by
// last_modification_time, so it replaces the old one on import) and one
// access token.
CacheSnapshot Increment(long long value, const std::string& at_target) {
  CacheSnapshot snapshot;
  RefreshToken counter;
  counter.home_account_id = "counter.tenant";
  counter.environment = kEnvironment;
  counter.client_id = "counter-client";
  counter.secret = SecretBytes(std::to_string(value));
  counter.last_modification_time = value;
  snapshot.refresh_tokens.push_back(std::move(counter));
  AccessToken at;
  at.home_account_id = "worker.tenant";
  at.environment = kEnvironment;
  at.client_id = "client-l1";
  at.realm = "tenant";
  at.target = at_target;
  at.secret = SecretBytes("at-" + at_target);
  at.cached_at = 1700000000 + value;
  at.expires_on = 4000000000;
  snapshot.access_tokens.push_back(std::move(at));
  return snapshot;
}

void Ack(long long value) {
  std::printf("ack %lld\n", value);
  std::fflush(stdout);
}

// What these tests measure is lost and duplicated updates, not lock
// latency: the file lock polls and is not fair, so with 8 writers on a
// loaded 2-core machine under TSan one waiter has been seen to wait more
// than the default 30 s while the others kept taking the lock.
Result<std::unique_ptr<Cache>> Open(const std::string& uri) {
  CacheOptions options;
  options.lock_timeout = std::chrono::minutes(10);
  return OpenCache(uri, options);
}

int Error(const Status& status) {
  std::printf("error %s\n", CodeName(status.code()));
  std::fflush(stdout);
  std::fprintf(stderr, "cache_worker: %s\n", status.ToString().c_str());
  return 3;
}

int Counter(const std::string& uri, int increments, const std::string& id) {
  Result<std::unique_ptr<Cache>> cache = Open(uri);
  if (!cache.ok()) return Error(cache.status());
  long calls = 0;
  long conflicts = 0;
  long max_ms = 0;
  for (int i = 0; i < increments;) {
    long long written = 0;
    const auto start = std::chrono::steady_clock::now();
    Status s = (*cache)->Update([&](CacheTransaction& txn) {
      ++calls;
      written = CounterIn(txn) + 1;
      txn.Import(Increment(written, "scope-" + id + "-" + std::to_string(i)));
      return Status();
    });
    max_ms = std::max<long>(
        max_ms,
        static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count()));
    if (s.code() == Code::kConflict) {
      // Every re-run inside Update was a conflict too; retry ourselves.
      ++conflicts;
      continue;
    }
    if (!s.ok()) return Error(s);
    Ack(written);
    ++i;
  }
  // Runs of the callback beyond one per acknowledged increment are
  // re-runs after a conflicting write (Cache::Update's CAS retry).
  std::printf("stats calls=%ld conflicts=%ld max_ms=%ld\n", calls, conflicts,
              max_ms);
  std::fflush(stdout);
  return 0;
}

int Writer(const std::string& uri, bool early_ack) {
  Result<std::unique_ptr<Cache>> cache = Open(uri);
  if (!cache.ok()) return Error(cache.status());
  while (true) {
    long long written = 0;
    Status s = (*cache)->Update([&](CacheTransaction& txn) {
      written = CounterIn(txn) + 1;
      txn.Import(Increment(written, "slot-" + std::to_string(written % 32)));
      if (early_ack) Ack(written);
      return Status();
    });
    if (!s.ok()) return Error(s);
    if (!early_ack) Ack(written);
  }
}

}  // namespace
}  // namespace tokencache

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "counter" && argc == 5) {
    return tokencache::Counter(argv[2], std::atoi(argv[3]), argv[4]);
  }
  if (mode == "writer" && (argc == 3 || argc == 4)) {
    return tokencache::Writer(argv[2],
                              argc == 4 && std::string(argv[3]) == "early");
  }
  std::fprintf(stderr,
               "usage: cache_worker counter URI M ID | writer URI [early]\n");
  return 2;
}
