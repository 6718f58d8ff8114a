// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Runs the conformance kit (tokencache/test/backend_conformance.h) on every
// built-in store, and on the store named by $TOKENCACHE_TEST_STORE_URI
// (lmdb:///empty/dir or file:///path/of/a/new/cache, optionally with
// ?format=journal, and with ?key=...) when it
// is set.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>

#include "backends/memory/memory_blob_store.h"
#include "backends/memory/memory_record_store.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/file.h"
#include "tokencache/backends/file_journal.h"
#include "tokencache/cipher.h"
#include "tokencache/file_lock.h"
#include "tokencache/key_source.h"
#include "tokencache/test/backend_conformance.h"
#include "tokencache/uri.h"
#if defined(TOKENCACHE_HAVE_LMDB)
#include "tokencache/backends/lmdb.h"
#endif

namespace tokencache {
namespace {

test::ConformanceOptions Options(bool multiprocess) {
  test::ConformanceOptions options;
  options.multiprocess = multiprocess;
  return options;
}

std::shared_ptr<const Cipher> TestCipher() {
  Result<std::unique_ptr<Cipher>> cipher =
      NewKeyCipher(SecretBytes(std::string(32, '\x42')));
  REQUIRE_OK(cipher);
  return std::shared_ptr<const Cipher>(std::move(*cipher));
}

void RequirePass(const test::ConformanceReport& report) {
  INFO(report.ToString());
  CHECK(report.ok());
  CHECK(report.checks_run > 10);
}

TEST_CASE("The memory record store passes the conformance kit",
          "[conformance][memory]") {
  auto space = std::make_shared<MemoryRecordStore::Space>();
  test::ConformanceReport report = test::RunRecordStoreConformance(
      [&]() -> Result<std::unique_ptr<RecordStore>> {
        return std::unique_ptr<RecordStore>(new MemoryRecordStore(space));
      },
      Options(false));
  RequirePass(report);
  // Process-local: the multi-process check is reported as skipped.
  CHECK(report.skipped.size() == 1);
}

TEST_CASE("The memory blob store passes the conformance kit",
          "[conformance][memory]") {
  auto slot = std::make_shared<MemoryBlobStore::Slot>();
  test::TempDir dir;
  test::ConformanceReport report = test::RunBlobStoreConformance(
      [&]() -> Result<std::unique_ptr<BlobStore>> {
        return std::unique_ptr<BlobStore>(new MemoryBlobStore(slot));
      },
      [&] { return NewFileLock(dir / "memory.lock"); }, Options(false));
  RequirePass(report);
}

TEST_CASE("The file store passes the conformance kit, across processes",
          "[conformance][file]") {
  test::TempDir dir;
  test::ConformanceReport report = test::RunBlobStoreConformance(
      [&] { return FileBlobStore::Open(dir / "cache.bin"); },
      [&] { return NewFileLock(dir / "cache.bin.lock"); }, Options(true));
  RequirePass(report);
  CHECK(report.skipped.empty());
}

TEST_CASE("The encrypted file store passes the conformance kit",
          "[conformance][file][crypto]") {
  test::TempDir dir;
  std::shared_ptr<const Cipher> cipher = TestCipher();
  test::ConformanceReport report = test::RunBlobStoreConformance(
      [&]() -> Result<std::unique_ptr<BlobStore>> {
        Result<std::unique_ptr<BlobStore>> file =
            FileBlobStore::Open(dir / "cache.bin");
        if (!file.ok()) return file.status();
        return NewEncryptedBlobStore(std::move(*file), cipher, "conformance");
      },
      [&] { return NewFileLock(dir / "cache.bin.lock"); }, Options(true));
  // The encrypting decorator refuses to replace what it cannot open, so the
  // kit's plain "corrupt bytes" are written by the inner store: the
  // decorator then reports them as kCorrupted like any other tampering.
  RequirePass(report);
}

TEST_CASE("The journal file store passes the conformance kit, across "
          "processes",
          "[conformance][journal]") {
  test::TempDir dir;
  test::ConformanceReport report = test::RunRecordStoreConformance(
      [&] { return FileJournalStore::Open(dir / "cache.tcj"); },
      Options(true));
  RequirePass(report);
  CHECK(report.skipped.empty());
}

TEST_CASE("The encrypted journal file store passes the conformance kit",
          "[conformance][journal][crypto]") {
  test::TempDir dir;
  std::shared_ptr<const Cipher> cipher = TestCipher();
  test::ConformanceReport report = test::RunRecordStoreConformance(
      [&]() -> Result<std::unique_ptr<RecordStore>> {
        Result<std::unique_ptr<RecordStore>> inner =
            FileJournalStore::Open(dir / "cache.tcj");
        if (!inner.ok()) return inner.status();
        return NewEncryptedRecordStore(std::move(*inner), cipher,
                                       "conformance");
      },
      Options(true));
  RequirePass(report);
}

#if defined(TOKENCACHE_HAVE_LMDB)
TEST_CASE("The LMDB store passes the conformance kit, across processes",
          "[conformance][lmdb]") {
  test::TempDir dir;
  test::ConformanceReport report = test::RunRecordStoreConformance(
      [&] { return LmdbRecordStore::Open(dir / "env"); }, Options(true));
  RequirePass(report);
  CHECK(report.skipped.empty());
}

TEST_CASE("The encrypted LMDB store passes the conformance kit",
          "[conformance][lmdb][crypto]") {
  test::TempDir dir;
  std::shared_ptr<const Cipher> cipher = TestCipher();
  test::ConformanceReport report = test::RunRecordStoreConformance(
      [&]() -> Result<std::unique_ptr<RecordStore>> {
        Result<std::unique_ptr<RecordStore>> inner =
            LmdbRecordStore::Open(dir / "env");
        if (!inner.ok()) return inner.status();
        return NewEncryptedRecordStore(std::move(*inner), cipher,
                                       "conformance");
      },
      Options(true));
  RequirePass(report);
}
#endif

// $TOKENCACHE_TEST_STORE_URI names an extra store to check, like RocksDB's
// TEST_ENV_URI. The case is only registered when the variable is set.
const char* ExtraStoreUri() {
  const char* uri = std::getenv("TOKENCACHE_TEST_STORE_URI");
  return uri != nullptr && *uri != '\0' ? uri : nullptr;
}

Result<std::shared_ptr<const Cipher>> CipherFor(const CacheUri& uri) {
  std::optional<std::string> spec = uri.Option("key");
  if (!spec.has_value()) return std::shared_ptr<const Cipher>();
  Result<std::unique_ptr<KeySource>> source = KeySourceFromSpec(*spec);
  if (!source.ok()) return source.status();
  return (*source)->GetCipher();
}

void RunOnExtraUri(const char* text) {
  Result<CacheUri> uri = ParseCacheUri(text);
  REQUIRE_OK(uri);
  Result<std::shared_ptr<const Cipher>> cipher = CipherFor(*uri);
  REQUIRE_OK(cipher);
  const std::string id = uri->Option("cache-id").value_or(uri->path);
  test::ConformanceReport report;
  if (uri->scheme == "file" && uri->Option("format") ==
                                    std::optional<std::string>("journal")) {
    report = test::RunRecordStoreConformance(
        [&]() -> Result<std::unique_ptr<RecordStore>> {
          Result<std::unique_ptr<RecordStore>> inner =
              FileJournalStore::Open(uri->path);
          if (!inner.ok() || *cipher == nullptr) return inner;
          return NewEncryptedRecordStore(std::move(*inner), *cipher, id);
        },
        Options(true));
  } else if (uri->scheme == "file") {
    report = test::RunBlobStoreConformance(
        [&]() -> Result<std::unique_ptr<BlobStore>> {
          Result<std::unique_ptr<BlobStore>> file =
              FileBlobStore::Open(uri->path);
          if (!file.ok() || *cipher == nullptr) return file;
          return NewEncryptedBlobStore(std::move(*file), *cipher, id);
        },
        [&] { return NewFileLock(uri->path + ".lock"); }, Options(true));
#if defined(TOKENCACHE_HAVE_LMDB)
  } else if (uri->scheme == "lmdb") {
    report = test::RunRecordStoreConformance(
        [&]() -> Result<std::unique_ptr<RecordStore>> {
          Result<std::unique_ptr<RecordStore>> inner =
              LmdbRecordStore::Open(uri->path);
          if (!inner.ok() || *cipher == nullptr) return inner;
          return NewEncryptedRecordStore(std::move(*inner), *cipher, id);
        },
        Options(true));
#endif
  } else {
    FAIL("TOKENCACHE_TEST_STORE_URI: no store factory for scheme '"
         << uri->scheme << "'");
  }
  RequirePass(report);
}

void ExtraStoreCase() { RunOnExtraUri(ExtraStoreUri()); }

// Registered only when the variable is set at start-up: run
//   TOKENCACHE_TEST_STORE_URI=lmdb:///tmp/empty-dir ./conformance_test
// Without it there is nothing to check, and no case pretends otherwise.
const Catch::AutoReg* const extra_store_case =
    ExtraStoreUri() == nullptr
        ? nullptr
        : new Catch::AutoReg(
              Catch::makeTestInvoker(&ExtraStoreCase), CATCH_INTERNAL_LINEINFO,
              Catch::StringRef(),
              Catch::NameAndTags{"The store of TOKENCACHE_TEST_STORE_URI "
                                 "passes the conformance kit",
                                 "[conformance][custom]"});

}  // namespace
}  // namespace tokencache
