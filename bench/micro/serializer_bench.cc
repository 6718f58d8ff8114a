// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Whole-cache encode/decode throughput (bytes of the encoded form per
// second) for the MSAL JSON and binary serializers, on synthetic caches of
// 1k and 10k access tokens (1k is about the size the contention driver's
// file reaches) and on the real msal-node fixtures. Also the two costs a
// durable write pays besides serialization:
//  - CacheLoad: OpenCache on an existing file = read + parse + index, what
//    a writer pays when another process changed the file;
//  - DurableWrite: one Cache::Update that changes one token of a 1k cache
//    (serialize + temp file + fsync + rename + directory fsync), with the
//    cross-process lock.

#include <benchmark/benchmark.h>
#include <sodium.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/bench_cache.h"
#include "bench/micro/micro_common.h"
#include "tokencache/cache.h"
#include "tokencache/secret.h"
#include "tokencache/serializers/binary.h"
#include "tokencache/serializers/json.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace bench {
namespace {

std::unique_ptr<Serializer> MakeSerializer(const std::string& format) {
  if (format == "binary") return NewBinarySerializer();
  return NewMsalJsonSerializer();
}

// The snapshot as a cache exports it (deduplicated, in index order), which
// is what a write serializes.
struct SnapshotFixture {
  std::size_t k = 0;
  CacheSnapshot snapshot;
};

const CacheSnapshot& SyntheticSnapshot(std::size_t k) {
  static std::unique_ptr<SnapshotFixture> fixture;
  if (fixture == nullptr || fixture->k != k) {
    fixture.reset();
    auto f = std::make_unique<SnapshotFixture>();
    f->k = k;
    std::unique_ptr<Cache> cache = Cache::NewInMemory();
    SyntheticCache built = BuildSyntheticCache(k, SystemClock()->Now());
    if (!cache->Import(built.snapshot).ok()) std::abort();
    Result<CacheSnapshot> exported = cache->Export();
    if (!exported.ok()) std::abort();
    f->snapshot = std::move(*exported);
    fixture = std::move(f);
  }
  return fixture->snapshot;
}

bool ReadFile(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return true;
}

void RunSerialize(benchmark::State& state, const Serializer& serializer,
                  const CacheSnapshot& snapshot) {
  std::size_t bytes = 0;
  for (auto _ : state) {
    Result<SecretBytes> out = serializer.Serialize(snapshot);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return;
    }
    bytes = out->size();
    benchmark::DoNotOptimize(out->data());
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(bytes));
  state.counters["encoded_bytes"] = static_cast<double>(bytes);
}

void RunParse(benchmark::State& state, const Serializer& serializer,
              std::string_view encoded) {
  for (auto _ : state) {
    Result<CacheSnapshot> out = serializer.Deserialize(encoded);
    if (!out.ok()) {
      state.SkipWithError(out.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(out->access_tokens.data());
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<std::int64_t>(encoded.size()));
  state.counters["encoded_bytes"] = static_cast<double>(encoded.size());
}

void BM_Serialize(benchmark::State& state, const std::string& format) {
  std::unique_ptr<Serializer> serializer = MakeSerializer(format);
  RunSerialize(state, *serializer,
               SyntheticSnapshot(static_cast<std::size_t>(state.range(0))));
}

void BM_Parse(benchmark::State& state, const std::string& format) {
  std::unique_ptr<Serializer> serializer = MakeSerializer(format);
  Result<SecretBytes> encoded = serializer->Serialize(
      SyntheticSnapshot(static_cast<std::size_t>(state.range(0))));
  if (!encoded.ok()) {
    state.SkipWithError(encoded.status().ToString().c_str());
    return;
  }
  RunParse(state, *serializer, encoded->view());
}

// A real msal-node file: parse it as JSON, re-encode it as JSON and as
// binary, and parse the binary form.
void BM_Fixture(benchmark::State& state, const std::string& file,
                const std::string& op) {
  std::string json;
  if (!ReadFile(FixturesDir() / file, &json)) {
    state.SkipWithError("fixture file missing");
    return;
  }
  std::unique_ptr<Serializer> msal = NewMsalJsonSerializer();
  Result<CacheSnapshot> snapshot = msal->Deserialize(json);
  if (!snapshot.ok()) {
    state.SkipWithError(snapshot.status().ToString().c_str());
    return;
  }
  std::unique_ptr<Serializer> binary = NewBinarySerializer();
  if (op == "json_parse") return RunParse(state, *msal, json);
  if (op == "json_serialize") return RunSerialize(state, *msal, *snapshot);
  if (op == "binary_serialize") return RunSerialize(state, *binary, *snapshot);
  Result<SecretBytes> encoded = binary->Serialize(*snapshot);
  if (!encoded.ok()) {
    state.SkipWithError(encoded.status().ToString().c_str());
    return;
  }
  RunParse(state, *binary, encoded->view());
}

std::string FileUri(const std::filesystem::path& dir,
                    const std::string& variant) {
  if (variant == "json") return "file://" + (dir / "cache.json").string();
  if (variant == "binary") {
    return "file://" + (dir / "cache.bin").string() + "?format=binary";
  }
  return "file://" + (dir / "cache.json").string() +
         "?key=file:" + (dir / "cache.key").string();
}

// Opening an existing file: read, (decrypt,) parse, index.
void BM_CacheLoad(benchmark::State& state, const std::string& variant) {
  const std::size_t k = static_cast<std::size_t>(state.range(0));
  const std::filesystem::path dir =
      ScratchDir() / ("load-" + variant + "-" + std::to_string(k));
  std::filesystem::remove_all(dir);
  const std::string uri = FileUri(dir, variant);
  {
    Result<std::unique_ptr<Cache>> writer = OpenCache(uri);
    if (!writer.ok() || !(*writer)->Import(SyntheticSnapshot(k)).ok()) {
      state.SkipWithError("cannot create the cache file");
      return;
    }
  }
  for (auto _ : state) {
    Result<std::unique_ptr<Cache>> opened = OpenCache(uri);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(opened->get());
  }
  state.counters["file_bytes"] = static_cast<double>(std::filesystem::file_size(
      variant == "binary" ? dir / "cache.bin" : dir / "cache.json"));
}

// One durable update of a k-token cache: replace one token's secret.
void BM_DurableWrite(benchmark::State& state, const std::string& variant) {
  const std::size_t k = static_cast<std::size_t>(state.range(0));
  const std::filesystem::path dir =
      ScratchDir() / ("write-" + variant + "-" + std::to_string(k));
  std::filesystem::remove_all(dir);
  Result<std::unique_ptr<Cache>> cache = OpenCache(FileUri(dir, variant));
  if (!cache.ok() || !(*cache)->Import(SyntheticSnapshot(k)).ok()) {
    state.SkipWithError("cannot create the cache file");
    return;
  }
  AccessToken changed = SyntheticSnapshot(k).access_tokens.front();
  CacheSnapshot one;
  std::uint64_t n = 0;
  LatencySampler sampler;
  for (auto _ : state) {
    changed.secret.Assign(
        FilledSecret("at-0-" + std::to_string(++n) + "-", kSecretFill));
    const auto t0 = LatencySampler::Clock::now();
    Status s = (*cache)->Update([&](CacheTransaction& txn) {
      one.access_tokens.assign(1, changed);
      txn.Import(one);
      return Status();
    });
    sampler.Add(t0, LatencySampler::Clock::now());
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  sampler.Report(state);
}

// The cost model behind the write path: every SecretBytes wipes its whole
// capacity when it is freed or regrown (SecureWipe), and a write frees
// several buffers the size of the cache (exported secrets, the serializer's
// growing output). Compared with libsodium's sodium_memzero, which is what
// the library links anyway.
void BM_SecureWipe(benchmark::State& state) {
  std::vector<char> buffer(static_cast<std::size_t>(state.range(0)), 'a');
  for (auto _ : state) {
    SecureWipe(buffer.data(), buffer.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_SodiumMemzero(benchmark::State& state) {
  std::vector<char> buffer(static_cast<std::size_t>(state.range(0)), 'a');
  for (auto _ : state) {
    sodium_memzero(buffer.data(), buffer.size());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

void RegisterSerializerBenchmarks(bool quick) {
  benchmark::RegisterBenchmark("Wipe/SecureWipe", BM_SecureWipe)->Arg(1 << 20);
  benchmark::RegisterBenchmark("Wipe/sodium_memzero", BM_SodiumMemzero)
      ->Arg(1 << 20);
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{100}
            : std::vector<std::int64_t>{1000, 10000};
  for (const char* format : {"json", "binary"}) {
    const std::string f = format;
    auto* ser = benchmark::RegisterBenchmark(
        ("Serialize/" + f).c_str(),
        [f](benchmark::State& s) { BM_Serialize(s, f); });
    auto* parse = benchmark::RegisterBenchmark(
        ("Parse/" + f).c_str(), [f](benchmark::State& s) { BM_Parse(s, f); });
    for (std::int64_t k : sizes) {
      ser->Arg(k);
      parse->Arg(k);
    }
  }
  for (const char* file :
       {"ropc-two-accounts.json", "multi-tenant-account.json",
        "client-credentials.json", "foci-family-refresh-token.json"}) {
    for (const char* op :
         {"json_parse", "json_serialize", "binary_parse", "binary_serialize"}) {
      const std::string name = std::string("Fixture/") + op + "/" + file;
      const std::string file_s = file;
      const std::string op_s = op;
      benchmark::RegisterBenchmark(
          name.c_str(),
          [file_s, op_s](benchmark::State& s) { BM_Fixture(s, file_s, op_s); });
    }
  }
  const std::int64_t load_size = quick ? 100 : 1000;
  for (const char* variant : {"json", "binary", "json_encrypted"}) {
    const std::string v = variant;
    auto* load = benchmark::RegisterBenchmark(
        ("CacheLoad/" + v).c_str(),
        [v](benchmark::State& s) { BM_CacheLoad(s, v); });
    load->Arg(load_size)->Unit(benchmark::kMicrosecond);
    if (!quick) load->Arg(10000);
    benchmark::RegisterBenchmark(
        ("DurableWrite/" + v).c_str(),
        [v](benchmark::State& s) { BM_DurableWrite(s, v); })
        ->Arg(load_size)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace bench
}  // namespace tokencache
