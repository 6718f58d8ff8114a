// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// tokencache_micro_bench: Google Benchmark runner for the micro benchmarks.
// Extra flag: --quick registers only the smallest sizes (the CI smoke run,
// together with --benchmark_min_time=0.01); every other flag is Google
// Benchmark's.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

#include "bench/micro/micro_common.h"

namespace tokencache {
namespace bench {

void LatencySampler::Report(benchmark::State& state) {
  if (samples_.empty()) return;
  std::vector<std::int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double p) {
    std::size_t i =
        static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[i]);
  };
  state.counters["p50_ns"] = at(0.50);
  state.counters["p99_ns"] = at(0.99);
  state.counters["max_ns"] = static_cast<double>(sorted.back());
  state.counters["samples"] = static_cast<double>(sorted.size());
}

namespace {
std::filesystem::path* g_scratch = nullptr;
}  // namespace

const std::filesystem::path& ScratchDir() {
  if (g_scratch == nullptr) {
    std::string templ =
        (std::filesystem::temp_directory_path() / "tokencache-micro-XXXXXX")
            .string();
    if (mkdtemp(templ.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(2);
    }
    g_scratch = new std::filesystem::path(templ);
  }
  return *g_scratch;
}

void RemoveScratchDir() {
  if (g_scratch == nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(*g_scratch, ec);
}

std::filesystem::path FixturesDir() {
  return std::filesystem::path(TOKENCACHE_FIXTURES_DIR) / "msal-node";
}

}  // namespace bench
}  // namespace tokencache

int main(int argc, char** argv) {
  bool quick = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  tokencache::bench::RegisterLookupBenchmarks(quick);
  tokencache::bench::RegisterSerializerBenchmarks(quick);
  tokencache::bench::RegisterMemoryBenchmarks(quick);
  tokencache::bench::RegisterDiskFloorBenchmarks(quick);
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  tokencache::bench::RemoveScratchDir();
  return 0;
}
