// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the micro benchmarks: per-call latency percentiles,
// a scratch directory, and the registration hooks main() calls.

#ifndef TOKENCACHE_BENCH_MICRO_MICRO_COMMON_H_
#define TOKENCACHE_BENCH_MICRO_MICRO_COMMON_H_

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tokencache {
namespace bench {

// Collects the duration of single calls, so that a benchmark can report the
// median and tail of one call rather than only the mean Google Benchmark
// derives from the whole loop. Each sample includes one steady_clock read
// (~20-30 ns here), which is why the p50 counters sit slightly above the
// mean time per iteration for the fastest calls.
class LatencySampler {
 public:
  using Clock = std::chrono::steady_clock;

  LatencySampler() { samples_.reserve(1 << 16); }

  void Add(Clock::time_point start, Clock::time_point end) {
    if (samples_.size() < kMaxSamples) {
      samples_.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
              .count());
    }
  }

  // Sets counters p50_ns, p99_ns and max_ns (and `samples`) on `state`.
  void Report(benchmark::State& state);

 private:
  static constexpr std::size_t kMaxSamples = 1 << 22;
  std::vector<std::int64_t> samples_;
};

// A private directory under the system temp dir, removed at exit.
const std::filesystem::path& ScratchDir();
void RemoveScratchDir();

// Where the msal-node fixtures live (TOKENCACHE_FIXTURES_DIR).
std::filesystem::path FixturesDir();

// Registration hooks, one per source file. `quick` keeps only the smallest
// sizes, for the CI smoke run.
void RegisterLookupBenchmarks(bool quick);
void RegisterSerializerBenchmarks(bool quick);
void RegisterMemoryBenchmarks(bool quick);
void RegisterDiskFloorBenchmarks(bool quick);

}  // namespace bench
}  // namespace tokencache

#endif  // TOKENCACHE_BENCH_MICRO_MICRO_COMMON_H_
