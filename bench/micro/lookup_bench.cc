// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Silent lookup latency: Cache::FindAccessToken answering a cache hit,
//  - in memory (Cache::NewInMemory) at K = 1, 1k, 10k, 100k access tokens;
//  - through an unchanged persisted file store opened with OpenCache
//    (MSAL JSON, binary, and encrypted JSON), K = 10k: the cost there is
//    the version check (one fstatat) on top of the in-memory lookup;
//  - through an LMDB record store (plain and encrypted per record) at
//    K = 10k and 100k, read through a second handle. A reader answers a
//    lookup it sees for the first time from LMDB and keeps it from the
//    second on, up to 20k decoded records. At 10k the walk repeats every
//    lookup within that budget, so the figure is a warm lookup; at 100k
//    each lookup comes back only after 100k others, so nearly every call
//    reads its partition from LMDB: a cold-partition lookup.
// Lookups walk the tokens with the peer's stride (silent.js), and each
// answer is checked (state kValid, secret of the expected token) outside
// the timed window.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/common/bench_cache.h"
#include "bench/micro/micro_common.h"
#include "tokencache/cache.h"
#include "tokencache/clock.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace bench {
namespace {

struct LookupFixture {
  std::string key;  // What this fixture was built for.
  std::unique_ptr<Cache> cache;
  std::vector<AccessTokenQuery> lookups;
  std::vector<std::string> prefixes;  // "at-<i>-" per lookup.
  std::string error;
};

// One fixture at a time: the 100k cache holds ~370 MB of heap, so a second
// one is not kept alive while the next benchmark builds its own.
std::unique_ptr<LookupFixture> g_fixture;

// The URI of a persisted-store variant under `dir`.
std::string StoreUri(const std::string& store,
                     const std::filesystem::path& dir) {
  if (store == "lmdb") return "lmdb://" + (dir / "db").string();
  if (store == "lmdb_encrypted") {
    return "lmdb://" + (dir / "db").string() +
           "?key=file:" + (dir / "db.key").string();
  }
  if (store == "file_journal") {
    return "file://" + (dir / "cache.tcj").string() + "?format=journal";
  }
  if (store == "file_journal_encrypted") {
    return "file://" + (dir / "cache.tcj").string() +
           "?format=journal&key=file:" + (dir / "cache.key").string();
  }
  if (store == "file_binary") {
    return "file://" + (dir / "cache.bin").string() + "?format=binary";
  }
  std::string uri = "file://" + (dir / "cache.json").string();
  if (store == "file_json_encrypted") {
    uri += "?key=file:" + (dir / "cache.key").string();
  }
  return uri;
}

// Opens the cache the benchmark reads from, holding `snapshot`. A file
// store is written through one handle and read through a second one that
// opens the stored file: the benchmark measures a reader of an unchanged
// store, not the writer's warm state.
Result<std::unique_ptr<Cache>> OpenFilled(const std::string& store,
                                          std::size_t k,
                                          const CacheSnapshot& snapshot) {
  if (store == "memory") {
    std::unique_ptr<Cache> cache = Cache::NewInMemory();
    if (Status s = cache->Import(snapshot); !s.ok()) return s;
    return cache;
  }
  const std::filesystem::path dir =
      ScratchDir() / (store + "-" + std::to_string(k));
  std::filesystem::remove_all(dir);
  const std::string uri = StoreUri(store, dir);
  {
    Result<std::unique_ptr<Cache>> writer = OpenCache(uri);
    if (!writer.ok()) return writer.status();
    if (Status s = (*writer)->Import(snapshot); !s.ok()) return s;
  }
  return OpenCache(uri);
}

LookupFixture& GetFixture(const std::string& store, std::size_t k) {
  const std::string key = store + "/" + std::to_string(k);
  if (g_fixture != nullptr && g_fixture->key == key) return *g_fixture;
  g_fixture.reset();
  auto f = std::make_unique<LookupFixture>();
  f->key = key;
  SyntheticCache built = BuildSyntheticCache(k, SystemClock()->Now());
  Result<std::unique_ptr<Cache>> cache = OpenFilled(store, k, built.snapshot);
  if (cache.ok()) {
    f->cache = std::move(*cache);
    // A long-running reader has the store's pages mapped: one full read
    // faults them in, so the figure is the lookup's cost, not the first
    // touch of each page of a 200 MB file (reported by LmdbFirstTouch).
    if (store.rfind("lmdb", 0) == 0) {
      Result<CacheSnapshot> all = f->cache->Export();
      if (!all.ok()) f->error = all.status().ToString();
    }
  } else {
    f->error = cache.status().ToString();
  }
  f->lookups = std::move(built.lookups);
  for (std::size_t i = 0; i < f->lookups.size(); ++i) {
    f->prefixes.push_back("at-" + std::to_string(i) + "-");
  }
  g_fixture = std::move(f);
  return *g_fixture;
}

void BM_SilentHit(benchmark::State& state, const std::string& store) {
  const std::size_t k = static_cast<std::size_t>(state.range(0));
  LookupFixture& f = GetFixture(store, k);
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const std::size_t n = f.lookups.size();
  const std::size_t stride = LookupStride(n);
  std::size_t i = 0;
  LatencySampler sampler;
  // A caller builds its query just before it asks, so the query is in the
  // CPU cache; the stored queries are spread over the heap like the cache
  // itself. The copy is made outside the timed window.
  AccessTokenQuery query;
  for (auto _ : state) {
    state.PauseTiming();
    query = f.lookups[i];
    state.ResumeTiming();
    const auto t0 = LatencySampler::Clock::now();
    Result<AccessTokenLookup> got = f.cache->FindAccessToken(query);
    const auto t1 = LatencySampler::Clock::now();
    sampler.Add(t0, t1);
    if (!got.ok() || got->state != LookupState::kValid ||
        !got->token.has_value() ||
        got->token->secret.view().substr(0, f.prefixes[i].size()) !=
            f.prefixes[i]) {
      state.SkipWithError("lookup did not return the expected valid token");
      break;
    }
    i = (i + stride) % n;
  }
  sampler.Report(state);
  state.counters["access_tokens"] = static_cast<double>(k);
}

}  // namespace

void RegisterLookupBenchmarks(bool quick) {
  std::vector<std::int64_t> memory_sizes = {1, 1000, 10000, 100000};
  std::int64_t file_size = 10000;
  std::vector<std::int64_t> lmdb_sizes = {10000, 100000};
  if (quick) {
    memory_sizes = {1, 1000};
    file_size = 100;
    lmdb_sizes = {100};
  }
  auto* memory = benchmark::RegisterBenchmark(
      "SilentHit/memory",
      [](benchmark::State& s) { BM_SilentHit(s, "memory"); });
  for (std::int64_t k : memory_sizes) memory->Arg(k);
  for (const char* store :
       {"file_json", "file_binary", "file_json_encrypted", "file_journal",
        "file_journal_encrypted"}) {
    std::string name = std::string("SilentHit/") + store;
    benchmark::RegisterBenchmark(name.c_str(), [store](benchmark::State& s) {
      BM_SilentHit(s, store);
    })->Arg(file_size);
  }
  for (const char* store : {"lmdb", "lmdb_encrypted"}) {
    std::string name = std::string("SilentHit/") + store;
    auto* b = benchmark::RegisterBenchmark(
        name.c_str(),
        [store](benchmark::State& s) { BM_SilentHit(s, store); });
    for (std::int64_t k : lmdb_sizes) b->Arg(k);
  }
}

}  // namespace bench
}  // namespace tokencache
