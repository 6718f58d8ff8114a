// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Memory footprint of an in-memory cache against the size of its encoded
// forms. Heap bytes are read from glibc's mallinfo2() (all arenas, mmapped
// chunks included) before and after the cache imports a snapshot that was
// built beforehand, so the difference is what the cache itself holds:
// records, secrets (SecretBytes allocates with malloc, which a counting
// operator new would miss), keys and indexes. The benchmark is a
// measurement, not a timing: it runs one iteration and reports counters.

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>

#include "bench/common/bench_cache.h"
#include "bench/micro/micro_common.h"
#include "tokencache/cache.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"

namespace tokencache {
namespace bench {
namespace {

double HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

void BM_MemoryFootprint(benchmark::State& state) {
  const std::size_t k = static_cast<std::size_t>(state.range(0));
  double cache_bytes = 0;
  double chunked_bytes = 0;
  double json_bytes = 0;
  double binary_bytes = 0;
  for (auto _ : state) {
    SyntheticCache built = BuildSyntheticCache(k, SystemClock()->Now());
    malloc_trim(0);
    const double before = HeapInUse();
    std::unique_ptr<Cache> cache = Cache::NewInMemory();
    if (Status s = cache->Import(built.snapshot); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    cache_bytes = HeapInUse() - before;
    // The same records imported 500 at a time: any difference from the
    // one-shot import is state the cache keeps from its largest
    // transaction (e.g. a journal whose capacity is never released).
    {
      const double before_chunked = HeapInUse();
      std::unique_ptr<Cache> chunked = Cache::NewInMemory();
      CacheSnapshot part = built.snapshot;
      part.access_tokens.clear();
      if (!chunked->Import(part).ok()) {
        state.SkipWithError("chunked import failed");
        return;
      }
      for (std::size_t at = 0; at < built.snapshot.access_tokens.size();
           at += 500) {
        CacheSnapshot chunk;
        const auto& all = built.snapshot.access_tokens;
        chunk.access_tokens.assign(
            all.begin() + static_cast<std::ptrdiff_t>(at),
            all.begin() +
                static_cast<std::ptrdiff_t>(std::min(at + 500, all.size())));
        if (!chunked->Import(chunk).ok()) {
          state.SkipWithError("chunked import failed");
          return;
        }
      }
      part = CacheSnapshot();
      chunked_bytes = HeapInUse() - before_chunked;
    }
    Result<CacheSnapshot> exported = cache->Export();
    if (!exported.ok()) {
      state.SkipWithError(exported.status().ToString().c_str());
      return;
    }
    Result<SecretBytes> json = NewMsalJsonSerializer()->Serialize(*exported);
    Result<SecretBytes> binary = NewBinarySerializer()->Serialize(*exported);
    if (!json.ok() || !binary.ok()) {
      state.SkipWithError("serialization failed");
      return;
    }
    json_bytes = static_cast<double>(json->size());
    binary_bytes = static_cast<double>(binary->size());
  }
  state.counters["cache_heap_bytes"] = cache_bytes;
  state.counters["chunked_import_heap_bytes"] = chunked_bytes;
  state.counters["json_bytes"] = json_bytes;
  state.counters["binary_bytes"] = binary_bytes;
  state.counters["heap_per_json_byte"] = cache_bytes / json_bytes;
  state.counters["heap_per_binary_byte"] = cache_bytes / binary_bytes;
  state.counters["heap_bytes_per_at"] = cache_bytes / static_cast<double>(k);
}

}  // namespace

void RegisterMemoryBenchmarks(bool quick) {
  benchmark::RegisterBenchmark("MemoryFootprint", BM_MemoryFootprint)
      ->Arg(quick ? 1000 : 100000)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace bench
}  // namespace tokencache
