// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// VerifyCache and RecoverCache over real files, real key files and the real
// file lock: each kind of damage gets its verdict with the file left byte
// for byte as it was, recovery sets the file aside and the cache then opens
// empty and works, and the refusals (healthy cache, wrong key, symlinks,
// lock held) move nothing.

#include "tokencache/recovery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/recovery/recovery_support.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/file_lock.h"
#include "tokencache/key_source.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

using test::ListNames;
using test::ReadBytes;
using test::TempDir;
using test::WriteBytes;

std::string FileUri(const std::filesystem::path& path,
                    const std::string& query = "") {
  return "file://" + path.string() + (query.empty() ? "" : "?" + query);
}

// Writes a healthy cache of `n` accounts through OpenCache.
void Populate(const std::string& uri, int n = 2) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  REQUIRE_OK((*cache)->Import(test::SampleSnapshot(n)));
}

// Checks that VerifyCache gives `code` and that the directory (names and
// the cache's bytes) is exactly as before.
VerifyReport ExpectVerdict(const std::string& uri,
                           const std::filesystem::path& file, Code code) {
  const std::string before = ReadBytes(file);
  const std::set<std::string> names = ListNames(file.parent_path());
  Result<VerifyReport> report = VerifyCache(uri);
  REQUIRE_OK(report);
  INFO("detail: " << report->detail);
  CHECK(report->code == code);
  CHECK(report->exists);
  CHECK(report->bytes == before.size());
  CHECK(ReadBytes(file) == before);
  CHECK(ListNames(file.parent_path()) == names);
  return *report;
}

TEST_CASE("A healthy cache verifies OK with its record counts",
          "[recovery][verify]") {
  TempDir dir;
  for (const char* query : {"", "format=binary"}) {
    const auto file = dir / (std::string("c") + query + ".cache");
    const std::string uri = FileUri(file, query);
    Populate(uri, 3);
    VerifyReport report = ExpectVerdict(uri, file, Code::kOk);
    CHECK(report.format ==
          (std::string(query).empty() ? "msal-json" : "binary"));
    CHECK_FALSE(report.encrypted);
    CHECK(report.counts.accounts == 3);
    CHECK(report.counts.access_tokens == 3);
    CHECK(report.counts.refresh_tokens == 3);
    CHECK(report.counts.id_tokens == 3);
    CHECK(report.counts.app_metadata == 1);
  }
}

TEST_CASE("Verifying a cache that does not exist yet creates nothing",
          "[recovery][verify]") {
  TempDir dir;
  const auto file = dir / "sub" / "cache.json";
  Result<VerifyReport> report =
      VerifyCache(FileUri(file, "key=file:" + (dir / "k").string()));
  REQUIRE_OK(report);
  CHECK(report->code == Code::kOk);
  CHECK_FALSE(report->exists);
  CHECK(ListNames(dir.path()).empty());  // No directory, lock or key file.
}

TEST_CASE("Corrupt MSAL JSON is reported as corrupted and left untouched",
          "[recovery][verify]") {
  TempDir dir;
  const auto file = dir / "cache.json";
  const std::string uri = FileUri(file);
  Populate(uri);
  std::string bytes = ReadBytes(file);
  bytes.resize(bytes.size() / 2);  // An unterminated object.
  WriteBytes(file, bytes);
  VerifyReport report = ExpectVerdict(uri, file, Code::kCorrupted);
  CHECK_FALSE(report.detail.empty());
  CHECK(report.detail.find("CANARY") == std::string::npos);
  // OpenCache agrees and writes nothing either.
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  CHECK(cache.status().code() == Code::kCorrupted);
  CHECK(ReadBytes(file) == bytes);
}

TEST_CASE("A truncated or emptied binary cache is reported as corrupted",
          "[recovery][verify]") {
  TempDir dir;
  const auto file = dir / "cache.bin";
  const std::string uri = FileUri(file, "format=binary");
  Populate(uri);
  const std::string whole = ReadBytes(file);
  WriteBytes(file, whole.substr(0, whole.size() - 7));
  ExpectVerdict(uri, file, Code::kCorrupted);
  // Zero bytes: the serializer alone would call it an empty cache, but our
  // binary writer never writes one, so it is a truncation.
  WriteBytes(file, "");
  VerifyReport report = ExpectVerdict(uri, file, Code::kCorrupted);
  CHECK(report.detail.find("empty") != std::string::npos);
}

TEST_CASE(
    "A tampered encrypted cache is corrupted, and another key is "
    "reported as the wrong key",
    "[recovery][verify][crypto]") {
  TempDir dir;
  const auto file = dir / "cache.enc";
  const std::string uri = FileUri(file, "key=file:" + (dir / "k1").string());
  Populate(uri);
  const std::string sealed = ReadBytes(file);

  SECTION("tampered") {
    std::string tampered = sealed;
    tampered[tampered.size() / 2] =
        static_cast<char>(tampered[tampered.size() / 2] ^ 0x10);
    WriteBytes(file, tampered);
    ExpectVerdict(uri, file, Code::kCorrupted);
  }
  SECTION("wrong key") {
    REQUIRE_OK((*NewKeyFileKeySource((dir / "k2").string()))->GetCipher());
    ExpectVerdict(FileUri(file, "key=file:" + (dir / "k2").string()), file,
                  Code::kWrongKey);
  }
  SECTION("no key in the URI") {
    VerifyReport report = ExpectVerdict(FileUri(file), file, Code::kWrongKey);
    CHECK(report.detail.find("no key") != std::string::npos);
  }
  SECTION("missing key file is an error, not a verdict, and creates none") {
    Result<VerifyReport> report =
        VerifyCache(FileUri(file, "key=file:" + (dir / "k3").string()));
    CHECK(report.status().code() == Code::kNotFound);
    CHECK_FALSE(std::filesystem::exists(dir / "k3"));
  }
  CHECK(std::filesystem::exists(file));
}

TEST_CASE("A binary cache read as MSAL JSON names the format that reads it",
          "[recovery][verify]") {
  TempDir dir;
  const auto file = dir / "cache";
  Populate(FileUri(file, "format=binary"));
  VerifyReport report = ExpectVerdict(FileUri(file), file, Code::kCorrupted);
  CHECK(report.readable_as == "format=binary");
  // Recovering would set a good cache aside: refused unless forced.
  Result<RecoverReport> refused = RecoverCache(FileUri(file));
  CHECK(refused.status().code() == Code::kInvalidArgument);
  CHECK(std::filesystem::exists(file));
}

TEST_CASE(
    "An unencrypted cache opened with a key is not set aside by "
    "mistake",
    "[recovery][verify][crypto]") {
  TempDir dir;
  const auto file = dir / "cache.json";
  Populate(FileUri(file));
  REQUIRE_OK((*NewKeyFileKeySource((dir / "k").string()))->GetCipher());
  const std::string keyed = FileUri(file, "key=file:" + (dir / "k").string());
  VerifyReport report = ExpectVerdict(keyed, file, Code::kCorrupted);
  CHECK(report.readable_as == "without key");
  CHECK(RecoverCache(keyed).status().code() == Code::kInvalidArgument);
  CHECK(std::filesystem::exists(file));
}

TEST_CASE(
    "Recover quarantines a corrupt cache, which then opens empty and "
    "works",
    "[recovery][recover]") {
  TempDir dir;
  for (const std::string& query : std::vector<std::string>{
           "", "format=binary", "key=file:" + (dir / "key").string()}) {
    const auto file = dir / ("cache" + std::to_string(query.size()));
    const std::string uri = FileUri(file, query);
    Populate(uri);
    std::string bytes = ReadBytes(file);
    bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 1);
    WriteBytes(file, bytes);
    REQUIRE(chmod(file.c_str(), 0644) == 0);

    Result<RecoverReport> recovered = RecoverCache(uri);
    REQUIRE_OK(recovered);
    CHECK(recovered->found.code == Code::kCorrupted);
    const std::filesystem::path moved(recovered->quarantine_path);
    CHECK(moved.parent_path() == file.parent_path());
    CHECK(moved.filename().string().rfind(
              file.filename().string() + ".corrupt-", 0) == 0);
    CHECK(ReadBytes(moved) == bytes);
    CHECK(test::ModeOf(moved) == 0600);
    CHECK_FALSE(std::filesystem::exists(file));

    Result<VerifyReport> after = VerifyCache(uri);
    REQUIRE_OK(after);
    CHECK(after->code == Code::kOk);
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    Result<CacheSnapshot> empty = (*cache)->Export();
    REQUIRE_OK(empty);
    CHECK(empty->accounts.empty());
    CHECK(empty->access_tokens.empty());
    REQUIRE_OK((*cache)->Import(test::SampleSnapshot(1)));
    Result<VerifyReport> working = VerifyCache(uri);
    REQUIRE_OK(working);
    CHECK(working->code == Code::kOk);
    CHECK(working->counts.accounts == 1);
    // The quarantined bytes were not touched by the new cache.
    CHECK(ReadBytes(moved) == bytes);
  }
}

TEST_CASE("A Cache open in this process starts empty after a recover",
          "[recovery][recover]") {
  TempDir dir;
  const auto file = dir / "cache.json";
  const std::string uri = FileUri(file);
  Populate(uri);
  Result<std::unique_ptr<Cache>> open = OpenCache(uri);
  REQUIRE_OK(open);
  WriteBytes(file, "{\"AccessToken\": ");
  REQUIRE_OK(RecoverCache(uri));
  Result<std::vector<Account>> accounts = (*open)->GetAccounts();
  REQUIRE_OK(accounts);
  CHECK(accounts->empty());
  REQUIRE_OK((*open)->Import(test::SampleSnapshot(1)));
  Result<VerifyReport> after = VerifyCache(uri);
  REQUIRE_OK(after);
  CHECK(after->counts.accounts == 1);
}

TEST_CASE("Recover refuses a healthy cache unless forced",
          "[recovery][recover]") {
  TempDir dir;
  const auto file = dir / "cache.json";
  const std::string uri = FileUri(file);
  Populate(uri);
  const std::string bytes = ReadBytes(file);
  Result<RecoverReport> refused = RecoverCache(uri);
  CHECK(refused.status().code() == Code::kInvalidArgument);
  CHECK(ReadBytes(file) == bytes);

  RecoverOptions force;
  force.force = true;
  Result<RecoverReport> forced = RecoverCache(uri, force);
  REQUIRE_OK(forced);
  CHECK(forced->found.code == Code::kOk);
  CHECK(ReadBytes(forced->quarantine_path) == bytes);
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE(
    "Recover of a cache sealed with another key needs "
    "force_wrong_key",
    "[recovery][recover][crypto]") {
  TempDir dir;
  const auto file = dir / "cache.enc";
  Populate(FileUri(file, "key=file:" + (dir / "k1").string()));
  const std::string bytes = ReadBytes(file);
  REQUIRE_OK((*NewKeyFileKeySource((dir / "k2").string()))->GetCipher());
  const std::string wrong = FileUri(file, "key=file:" + (dir / "k2").string());

  RecoverOptions options;
  options.force = true;  // Does not imply force_wrong_key.
  Result<RecoverReport> refused = RecoverCache(wrong, options);
  CHECK(refused.status().code() == Code::kWrongKey);
  CHECK(ReadBytes(file) == bytes);

  options.force_wrong_key = true;
  Result<RecoverReport> moved = RecoverCache(wrong, options);
  REQUIRE_OK(moved);
  CHECK(moved->found.code == Code::kWrongKey);
  CHECK(ReadBytes(moved->quarantine_path) == bytes);
}

TEST_CASE("Recover never follows or replaces a file at the quarantine name",
          "[recovery][recover][symlink]") {
  TempDir dir;
  const auto file = dir / "cache.json";
  const std::string uri = FileUri(file);
  WriteBytes(file, "{not json");
  const auto outside = dir / "outside.txt";
  WriteBytes(outside, "precious");
  RecoverOptions options;
  options.quarantine_name = "cache.json.q";

  SECTION("symlink to a file") {
    std::filesystem::create_symlink(outside, dir / "cache.json.q");
    Result<RecoverReport> r = RecoverCache(uri, options);
    CHECK(r.status().code() == Code::kPermissionDenied);
    CHECK(r.status().message().find("symlink refused") != std::string::npos);
  }
  SECTION("dangling symlink") {
    std::filesystem::create_symlink(dir / "nowhere", dir / "cache.json.q");
    Result<RecoverReport> r = RecoverCache(uri, options);
    CHECK(r.status().code() == Code::kPermissionDenied);
    CHECK_FALSE(std::filesystem::exists(dir / "nowhere"));
  }
  SECTION("existing quarantine") {
    WriteBytes(dir / "cache.json.q", "an older quarantine");
    Result<RecoverReport> r = RecoverCache(uri, options);
    CHECK(r.status().code() == Code::kConflict);
    CHECK(ReadBytes(dir / "cache.json.q") == "an older quarantine");
  }
  SECTION("a name with a slash") {
    options.quarantine_name = "../escape";
    Result<RecoverReport> r = RecoverCache(uri, options);
    CHECK(r.status().code() == Code::kInvalidArgument);
  }
  CHECK(ReadBytes(file) == "{not json");
  CHECK(ReadBytes(outside) == "precious");
}

TEST_CASE("A symlink at the cache path is refused by verify and recover",
          "[recovery][symlink]") {
  TempDir dir;
  const auto target = dir / "elsewhere.json";
  WriteBytes(target, "{broken");
  const auto file = dir / "cache.json";
  std::filesystem::create_symlink(target, file);
  Result<VerifyReport> verified = VerifyCache(FileUri(file));
  CHECK(verified.status().code() == Code::kPermissionDenied);
  Result<RecoverReport> recovered = RecoverCache(FileUri(file));
  CHECK(recovered.status().code() == Code::kPermissionDenied);
  CHECK(std::filesystem::is_symlink(file));
  CHECK(ReadBytes(target) == "{broken");
  CHECK(ListNames(dir.path()) == std::set<std::string>{"cache.json",
                                                       "cache.json.lock",
                                                       "elsewhere.json"});
}

TEST_CASE(
    "Recover waits for the cache's write lock and moves nothing on "
    "timeout",
    "[recovery][recover][lock]") {
  TempDir dir;
  const auto file = dir / "cache.json";
  WriteBytes(file, "[]x");
  Result<std::unique_ptr<Lock>> lock = NewFileLock(dir / "cache.json.lock");
  REQUIRE_OK(lock);
  Result<std::unique_ptr<LockHandle>> held =
      (*lock)->Acquire(LockMode::kExclusive, std::chrono::steady_clock::now() +
                                                 std::chrono::seconds(5));
  REQUIRE_OK(held);
  RecoverOptions options;
  options.lock_timeout = std::chrono::milliseconds(100);
  Result<RecoverReport> r = RecoverCache(FileUri(file), options);
  CHECK(r.status().code() == Code::kLockTimeout);
  CHECK(ReadBytes(file) == "[]x");
  held->reset();
  REQUIRE_OK(RecoverCache(FileUri(file), options));
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE(
    "Recover with nothing stored is kNotFound, and other schemes are not "
    "supported",
    "[recovery]") {
  TempDir dir;
  CHECK(RecoverCache(FileUri(dir / "none.json")).status().code() ==
        Code::kNotFound);
  CHECK(VerifyCache("memory:").status().code() == Code::kNotSupported);
  CHECK(VerifyCache(FileUri(dir / "c.json", "colour=blue")).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE(
    "A journal with a flipped frame byte verifies as corrupted, and "
    "recover sets it aside under the journal's own lock",
    "[recovery][recover][journal]") {
  TempDir dir;
  const auto file = dir / "cache.journal";
  const std::string uri = FileUri(file, "format=journal");
  Populate(uri, 2);
  VerifyReport healthy = ExpectVerdict(uri, file, Code::kOk);
  CHECK(healthy.format == "journal");
  CHECK(healthy.counts.accounts == 2);
  CHECK(healthy.counts.refresh_tokens == 2);

  // A byte inside the first frame (frames start at 128).
  std::string bytes = ReadBytes(file);
  REQUIRE(bytes.size() > 200);
  bytes[160] = static_cast<char>(bytes[160] ^ 0x08);
  WriteBytes(file, bytes);
  VerifyReport report = ExpectVerdict(uri, file, Code::kCorrupted);
  CHECK(report.readable_as.empty());
  CHECK(report.counts.accounts == 0);
  CHECK(report.detail.find("CANARY") == std::string::npos);
  Result<std::unique_ptr<Cache>> refused = OpenCache(uri);
  CHECK(refused.status().code() == Code::kCorrupted);
  CHECK(ReadBytes(file) == bytes);

  // Recover takes the lock journal writers take (`<path>.lock`).
  {
    Result<std::unique_ptr<Lock>> lock =
        NewFileLock(dir / "cache.journal.lock");
    REQUIRE_OK(lock);
    Result<std::unique_ptr<LockHandle>> held = (*lock)->Acquire(
        LockMode::kExclusive,
        std::chrono::steady_clock::now() + std::chrono::seconds(5));
    REQUIRE_OK(held);
    RecoverOptions options;
    options.lock_timeout = std::chrono::milliseconds(100);
    CHECK(RecoverCache(uri, options).status().code() == Code::kLockTimeout);
    CHECK(ReadBytes(file) == bytes);
  }

  Result<RecoverReport> recovered = RecoverCache(uri);
  REQUIRE_OK(recovered);
  CHECK(recovered->found.code == Code::kCorrupted);
  const std::filesystem::path moved(recovered->quarantine_path);
  CHECK(moved.parent_path() == file.parent_path());
  CHECK(ReadBytes(moved) == bytes);
  CHECK(test::ModeOf(moved) == 0600);
  CHECK_FALSE(std::filesystem::exists(file));

  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> empty = (*cache)->Export();
  REQUIRE_OK(empty);
  CHECK(empty->accounts.empty());
  CHECK(empty->refresh_tokens.empty());
  REQUIRE_OK((*cache)->Import(test::SampleSnapshot(1)));
  Result<VerifyReport> working = VerifyCache(uri);
  REQUIRE_OK(working);
  CHECK(working->code == Code::kOk);
  CHECK(working->counts.accounts == 1);
  CHECK(ReadBytes(moved) == bytes);
}

TEST_CASE(
    "A journal read through an MSAL JSON or binary URI names format=journal "
    "and is not set aside",
    "[recovery][verify][journal]") {
  TempDir dir;
  const auto file = dir / "cache.journal";
  Populate(FileUri(file, "format=journal"));
  for (const std::string& query :
       std::vector<std::string>{"", "format=msal-json", "format=binary"}) {
    INFO("query: " << query);
    VerifyReport report =
        ExpectVerdict(FileUri(file, query), file, Code::kCorrupted);
    CHECK(report.readable_as == "format=journal");
    CHECK(report.detail.find("CANARY") == std::string::npos);
    CHECK(RecoverCache(FileUri(file, query)).status().code() ==
          Code::kInvalidArgument);
    CHECK(std::filesystem::exists(file));
  }
  CHECK(VerifyCache(FileUri(file, "format=journal"))->code == Code::kOk);
}

TEST_CASE(
    "A journal URI with another lock mode is refused by verify, recover "
    "and OpenCache alike",
    "[recovery][journal]") {
  test::TempDir dir;
  for (const char* mode : {"none", "msal"}) {
    const std::string uri = "file://" + (dir / "c.journal").string() +
                            "?format=journal&lock=" + mode;
    INFO(uri);
    CHECK(VerifyCache(uri).status().code() == Code::kInvalidArgument);
    CHECK(RecoverCache(uri, RecoverOptions()).status().code() ==
          Code::kInvalidArgument);
    CHECK(OpenCache(uri).status().code() == Code::kInvalidArgument);
  }
  CHECK(ListNames(dir.path()).empty());
}

}  // namespace
}  // namespace tokencache
