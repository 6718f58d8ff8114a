// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The conformance kit: checks that a store implementation keeps the
// promises the cache relies on, whatever test framework the caller uses. It
// returns a report; it never throws, aborts or prints. Our own tests run it
// on every built-in store (tests/conformance); SDK authors run it on theirs
// (examples/custom_backend):
//
//   test::ConformanceReport report = test::RunRecordStoreConformance(
//       [&] { return MyStore::Open(dir); });
//   if (!report.ok()) { std::cerr << report.ToString(); return 1; }
//
// What is checked: round trips of every entity kind with unknown fields
// through a Cache; ordered prefix scans; read-your-writes and snapshot
// isolation; compare-and-swap conflicts and the generation; large values;
// error mapping of misuse; corrupt stored data reported as kCorrupted and
// left in place; concurrent writers in threads and, when asked, in
// processes (fork), counting through Cache::Update with no lost update.
//
// Each factory call must open the SAME store (a second handle on it), and
// the store must be empty before the run. The multi-process checks fork():
// call them from a single-threaded process. Link tokencache::test.

#ifndef TOKENCACHE_TEST_BACKEND_CONFORMANCE_H_
#define TOKENCACHE_TEST_BACKEND_CONFORMANCE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tokencache/blob_store.h"
#include "tokencache/export.h"
#include "tokencache/lock.h"
#include "tokencache/record_store.h"
#include "tokencache/status.h"

namespace tokencache {
namespace test {

struct ConformanceOptions {
  // Run the checks that fork processes sharing the store. Turn on for
  // stores shared between processes (files, LMDB, servers). Default: false.
  bool multiprocess = false;
  // Writers (threads, then processes) and increments each in the
  // concurrency checks. Default: 4 and 25.
  int writers = 4;
  int increments = 25;
  // Size of the value of the large-value check. Default: 1 MiB.
  std::size_t large_value_bytes = std::size_t{1} << 20;
};

// What a run found. `failures` name the check and what was wrong; they
// never hold token text (the kit's tokens are made-up canaries anyway).
struct TOKENCACHE_EXPORT ConformanceReport {
  int checks_run = 0;
  std::vector<std::string> failures;
  // Checks not run, and why (e.g. no lock factory for a blob store).
  std::vector<std::string> skipped;

  bool ok() const { return failures.empty(); }
  // One line per failure and skip, then a summary line.
  std::string ToString() const;
};

using RecordStoreFactory =
    std::function<Result<std::unique_ptr<RecordStore>>()>;
using BlobStoreFactory = std::function<Result<std::unique_ptr<BlobStore>>()>;
using LockFactory = std::function<Result<std::unique_ptr<Lock>>()>;

// Checks a RecordStore; caches are opened with the binary record codec.
TOKENCACHE_EXPORT ConformanceReport RunRecordStoreConformance(
    const RecordStoreFactory& factory,
    const ConformanceOptions& options = ConformanceOptions());

// Checks a BlobStore; caches are opened with the binary snapshot
// serializer and a lock from `lock` (one per handle). Without `lock`, the
// concurrency checks are skipped (listed in ConformanceReport::skipped):
// blob stores rely on the cache lock to exclude writers.
TOKENCACHE_EXPORT ConformanceReport RunBlobStoreConformance(
    const BlobStoreFactory& factory, const LockFactory& lock = nullptr,
    const ConformanceOptions& options = ConformanceOptions());

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TEST_BACKEND_CONFORMANCE_H_
