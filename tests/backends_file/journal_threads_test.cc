// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Threads of one process on a journal store: writers through two handles
// (two Journal instances on one file, as two Caches would have), readers
// beside them, and compaction running all along. Meant for ThreadSanitizer
// too (label concurrency).

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/file_journal.h"

namespace tokencache {
namespace {

std::uint64_t ReadCounter(RecordTransaction& txn, bool* ok) {
  Result<std::optional<SecretBytes>> got = txn.Get("counter");
  if (!got.ok()) {
    *ok = false;
    return 0;
  }
  if (!got->has_value()) return 0;
  return std::stoull(std::string((*got)->view()));
}

TEST_CASE(
    "Writer and reader threads on two handles of one journal lose no "
    "update and never see the counter go back, across compactions",
    "[journal][concurrency]") {
  constexpr int kWriters = 4;
  constexpr int kIncrements = 150;
  constexpr int kReaders = 2;
  test::TempDir dir;
  JournalStoreOptions options;
  // Compact every few dozen commits, so readers and writers cross many.
  options.compact_bytes = 8 << 10;
  const auto path = dir / "threads.tcj";
  Result<std::unique_ptr<RecordStore>> a = FileJournalStore::Open(path, options);
  Result<std::unique_ptr<RecordStore>> b = FileJournalStore::Open(path, options);
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  RecordStore* stores[2] = {a->get(), b->get()};

  std::atomic<int> errors{0};
  std::atomic<int> backwards{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kIncrements; ++i) {
        RecordStore& store = *stores[(w + i) % 2];
        Result<std::unique_ptr<RecordTransaction>> txn = store.BeginWrite();
        if (!txn.ok()) {
          ++errors;
          continue;
        }
        bool ok = true;
        const std::uint64_t n = ReadCounter(**txn, &ok);
        // Each writer's own count, padded so history outgrows the live
        // records and compaction runs often.
        const std::string mine =
            std::to_string(i + 1) + std::string(200, ' ');
        if (!ok || !(*txn)->Put("counter", std::to_string(n + 1)).ok() ||
            !(*txn)->Put("op|" + std::to_string(w), mine).ok() ||
            !(*txn)->Commit().ok()) {
          ++errors;
        }
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::uint64_t last = 0;
      while (!done.load()) {
        RecordStore& store = *stores[r % 2];
        Result<std::unique_ptr<RecordTransaction>> txn = store.BeginRead();
        if (!txn.ok()) {
          ++errors;
          continue;
        }
        bool ok = true;
        const std::uint64_t n = ReadCounter(**txn, &ok);
        // Within one snapshot, the counter is the sum of the writers' own
        // counts.
        std::uint64_t sum = 0;
        Status scanned = (*txn)->Scan("op|", [&](std::string_view,
                                                 std::string_view value) {
          sum += std::stoull(std::string(value));
          return true;
        });
        if (!ok || !scanned.ok() || sum != n) ++errors;
        if (n < last) ++backwards;
        last = n;
      }
    });
  }
  for (int w = 0; w < kWriters; ++w) threads[static_cast<std::size_t>(w)].join();
  done.store(true);
  for (std::size_t t = kWriters; t < threads.size(); ++t) threads[t].join();

  CHECK(errors.load() == 0);
  CHECK(backwards.load() == 0);
  Result<std::unique_ptr<RecordStore>> fresh =
      FileJournalStore::Open(path, options);
  REQUIRE_OK(fresh);
  Result<std::unique_ptr<RecordTransaction>> txn = (*fresh)->BeginRead();
  REQUIRE_OK(txn);
  bool ok = true;
  CHECK(ReadCounter(**txn, &ok) ==
        static_cast<std::uint64_t>(kWriters * kIncrements));
  CHECK(ok);
  // Compaction ran: the file holds far less than the ~150 KB of frames
  // the writers appended.
  CHECK(std::filesystem::file_size(path) < 32u * 1024u);
}

}  // namespace
}  // namespace tokencache
