// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The disk's floor under a durable write, without the library: what a
// whole-file store cannot go below whatever its code does.
//  - DiskFloor/replace/<bytes>: create a temp file, write <bytes>,
//    fdatasync, rename over the target, fsync the directory (the file
//    store's sequence);
//  - DiskFloor/fdatasync/<bytes>: overwrite <bytes> in place and
//    fdatasync (what one append to a journal would cost).
// The sizes are the contention workload's cache file: 4 KiB (empty), the
// average over an 800-write run (750 kB) and its end (1.46 MB).

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "bench/micro/micro_common.h"

namespace tokencache {
namespace bench {
namespace {

void BM_DurableReplace(benchmark::State& state) {
  const std::size_t size = static_cast<std::size_t>(state.range(0));
  const std::filesystem::path dir =
      ScratchDir() / ("floor-replace-" + std::to_string(size));
  std::filesystem::create_directories(dir);
  const std::string target = (dir / "cache.json").string();
  const std::string temp = (dir / "cache.json.tmp").string();
  const std::string bytes(size, 'x');
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  LatencySampler sampler;
  for (auto _ : state) {
    const auto t0 = LatencySampler::Clock::now();
    const int fd = open(temp.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 &&
              write(fd, bytes.data(), size) == static_cast<ssize_t>(size) &&
              fdatasync(fd) == 0;
    if (fd >= 0) close(fd);
    ok = ok && rename(temp.c_str(), target.c_str()) == 0 &&
         fsync(dir_fd) == 0;
    sampler.Add(t0, LatencySampler::Clock::now());
    if (!ok) {
      state.SkipWithError("durable replace failed");
      break;
    }
  }
  close(dir_fd);
  sampler.Report(state);
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Fdatasync(benchmark::State& state) {
  const std::size_t size = static_cast<std::size_t>(state.range(0));
  const std::filesystem::path dir = ScratchDir() / "floor-fdatasync";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "journal").string();
  const std::string bytes(size, 'x');
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  LatencySampler sampler;
  for (auto _ : state) {
    const auto t0 = LatencySampler::Clock::now();
    const bool ok =
        pwrite(fd, bytes.data(), size, 0) == static_cast<ssize_t>(size) &&
        fdatasync(fd) == 0;
    sampler.Add(t0, LatencySampler::Clock::now());
    if (!ok) {
      state.SkipWithError("write + fdatasync failed");
      break;
    }
  }
  close(fd);
  sampler.Report(state);
}

}  // namespace

void RegisterDiskFloorBenchmarks(bool quick) {
  auto* replace =
      benchmark::RegisterBenchmark("DiskFloor/replace", BM_DurableReplace);
  replace->Arg(4096)->Unit(benchmark::kMicrosecond);
  if (!quick) replace->Arg(750 * 1000)->Arg(1464 * 1000);
  benchmark::RegisterBenchmark("DiskFloor/fdatasync", BM_Fdatasync)
      ->Arg(4096)
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace bench
}  // namespace tokencache
