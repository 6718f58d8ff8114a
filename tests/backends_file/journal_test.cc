// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The journal file store (tokencache/backends/file_journal.h) with real
// files and real processes: the round trip through OpenCache, modes and
// symbolic links (reliability plan S1, S4), every bit flip and truncation
// of the committed part (F4, K1 for the keyed URI), a torn or unpublished
// tail left by a dead writer, compaction, removal of the file, a full disk
// (a file-size limit in a forked child), snapshot isolation, and a wrong
// key. The conformance kit (tests/conformance) checks the RecordStore
// contract itself; this file checks what only the real file shows.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/file_journal.h"
#include "tokencache/file_lock.h"
#include "tokencache/recovery.h"
#include "tokencache/tokencache.h"

namespace tokencache {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using Records = std::map<std::string, std::string>;

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// Replaces the file's contents in place (same inode), as damage on disk
// would.
void WriteInPlace(const fs::path& path, const std::string& bytes) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
  REQUIRE(close(fd) == 0);
}

void PwriteAt(const fs::path& path, const std::string& bytes, off_t offset) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(pwrite(fd, bytes.data(), bytes.size(), offset) ==
          static_cast<ssize_t>(bytes.size()));
  REQUIRE(close(fd) == 0);
}

void Append(const fs::path& path, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, bytes.data(), bytes.size()) ==
          static_cast<ssize_t>(bytes.size()));
  REQUIRE(close(fd) == 0);
}

struct stat LStat(const fs::path& path) {
  struct stat st;
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st;
}

unsigned Mode(const fs::path& path) { return LStat(path).st_mode & 07777; }

std::uint64_t SizeOf(const fs::path& path) {
  return static_cast<std::uint64_t>(LStat(path).st_size);
}

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

long CountTemps(const fs::path& dir, const std::string& name) {
  long count = 0;
  for (const std::string& n : Names(dir)) {
    if (n.rfind("." + name + ".tmp.", 0) == 0) ++count;
  }
  return count;
}

std::unique_ptr<RecordStore> MustOpen(
    const fs::path& path,
    const JournalStoreOptions& options = JournalStoreOptions()) {
  Result<std::unique_ptr<RecordStore>> store =
      FileJournalStore::Open(path, options);
  REQUIRE_OK(store);
  return std::move(*store);
}

// Puts (value set) and erases (nullopt) in one write transaction; returns
// the new generation.
std::uint64_t CommitChanges(
    RecordStore& store,
    const std::vector<std::pair<std::string, std::optional<std::string>>>&
        changes) {
  Result<std::unique_ptr<RecordTransaction>> txn = store.BeginWrite();
  REQUIRE_OK(txn);
  for (const auto& [key, value] : changes) {
    if (value.has_value()) {
      REQUIRE_OK((*txn)->Put(key, *value));
    } else {
      REQUIRE_OK((*txn)->Erase(key));
    }
  }
  Result<std::uint64_t> generation = (*txn)->Commit();
  REQUIRE_OK(generation);
  return *generation;
}

Records Dump(RecordTransaction& txn) {
  Records records;
  Status s = txn.Scan("", [&](std::string_view key, std::string_view value) {
    records.emplace(std::string(key), std::string(value));
    return true;
  });
  REQUIRE_OK(s);
  return records;
}

// The records and generation a fresh read transaction sees.
std::pair<Records, std::uint64_t> ReadAll(RecordStore& store) {
  Result<std::unique_ptr<RecordTransaction>> txn = store.BeginRead();
  REQUIRE_OK(txn);
  return {Dump(**txn), (*txn)->generation()};
}

std::string JournalUri(const fs::path& path, const std::string& extra = "") {
  return "file://" + path.string() + "?format=journal" + extra;
}

// `n` accounts (numbered from `first`), each with an access and a refresh
// token whose secrets carry `tag`.
CacheSnapshot SmallSnapshot(int n, const std::string& tag, int first = 0) {
  CacheSnapshot snapshot;
  for (int i = first; i < first + n; ++i) {
    const std::string home = "uid" + std::to_string(i) + ".utid";
    Account account;
    account.home_account_id = home;
    account.environment = "login.microsoftonline.com";
    account.realm = "utid";
    account.local_account_id = "uid" + std::to_string(i);
    account.username = "user" + std::to_string(i) + "@example.com";
    account.authority_type = "MSSTS";
    snapshot.accounts.push_back(account);
    AccessToken at;
    at.home_account_id = home;
    at.environment = "login.microsoftonline.com";
    at.client_id = "client-j";
    at.realm = "utid";
    at.target = "user.read " + tag;
    at.secret = SecretBytes("at-secret-" + tag + "-" + std::to_string(i));
    at.cached_at = 1700000000;
    at.expires_on = 4000000000;
    snapshot.access_tokens.push_back(std::move(at));
    RefreshToken rt;
    rt.home_account_id = home;
    rt.environment = "login.microsoftonline.com";
    rt.client_id = "client-j";
    rt.secret = SecretBytes("rt-secret-" + tag + "-" + std::to_string(i));
    snapshot.refresh_tokens.push_back(std::move(rt));
  }
  return snapshot;
}

// A comparable summary of an exported cache: every record kind with its
// identifying fields and secret.
std::set<std::string> Summary(const CacheSnapshot& snapshot) {
  std::set<std::string> out;
  for (const Account& a : snapshot.accounts) {
    out.insert("account|" + a.home_account_id + "|" + a.username);
  }
  for (const AccessToken& at : snapshot.access_tokens) {
    out.insert("at|" + at.home_account_id + "|" + at.target + "|" +
               std::string(at.secret.view()));
  }
  for (const RefreshToken& rt : snapshot.refresh_tokens) {
    out.insert("rt|" + rt.home_account_id + "|" +
               std::string(rt.secret.view()));
  }
  for (const IdToken& idt : snapshot.id_tokens) {
    out.insert("idt|" + idt.home_account_id + "|" +
               std::string(idt.secret.view()));
  }
  return out;
}

std::set<std::string> ExportSummary(const std::string& uri) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
  REQUIRE_OK(cache);
  Result<CacheSnapshot> all = (*cache)->Export();
  REQUIRE_OK(all);
  return Summary(*all);
}

TEST_CASE(
    "A journal cache round-trips through OpenCache and two handles agree "
    "on the generation",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  const std::string uri = JournalUri(file);
  std::set<std::string> expected;
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    CacheSnapshot first = SmallSnapshot(3, "a");
    REQUIRE_OK((*cache)->Import(first));
    CacheSnapshot second = SmallSnapshot(2, "b", 3);
    REQUIRE_OK((*cache)->Update([&](CacheTransaction& txn) {
      txn.Import(second);
      return Status();
    }));
    expected = Summary(first);
    for (const std::string& s : Summary(second)) expected.insert(s);
  }
  REQUIRE(fs::exists(file));
  REQUIRE(expected.size() == 15);  // 5 accounts with an AT and an RT each.
  CHECK(ExportSummary(uri) == expected);

  std::unique_ptr<RecordStore> a = MustOpen(file);
  std::unique_ptr<RecordStore> b = MustOpen(file);
  const auto [records_a, gen_a] = ReadAll(*a);
  const auto [records_b, gen_b] = ReadAll(*b);
  CHECK(gen_a == gen_b);
  CHECK(gen_a > 0);
  CHECK(records_a == records_b);
  CHECK_FALSE(records_a.empty());
  const std::uint64_t committed =
      CommitChanges(*a, {{"extra-record", std::string("v")}});
  CHECK(committed > gen_a);
  const auto [after_b, gen_after_b] = ReadAll(*b);
  CHECK(gen_after_b == committed);
  CHECK(after_b.at("extra-record") == "v");
  CHECK(ReadAll(*MustOpen(file)).second == committed);
}

TEST_CASE(
    "A journal is created 0600 with its missing parent directories 0700, "
    "even under umask 000 (S1)",
    "[journal][file][S1]") {
  TempDir dir;
  const fs::path file = dir / "made" / "deeper" / "j.journal";
  const mode_t old_mask = umask(0);
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(JournalUri(file));
    umask(old_mask);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(SmallSnapshot(1, "m")));
  }
  umask(old_mask);
  CHECK(Mode(dir / "made") == 0700);
  CHECK(Mode(dir / "made" / "deeper") == 0700);
  CHECK(Mode(file) == 0600);
  CHECK(LStat(file).st_uid == geteuid());
  // The lock file and any temp file are the library's too.
  for (const std::string& name : Names(dir / "made" / "deeper")) {
    INFO(name);
    CHECK(Mode(dir / "made" / "deeper" / name) == 0600);
  }
}

TEST_CASE(
    "Symbolic links at the journal, its lock file or its directory are "
    "refused and nothing is written through them (S4)",
    "[journal][file][S4]") {
  TempDir dir;
  const fs::path outside = dir / "outside";
  fs::create_directory(outside);
  const fs::path target = outside / "target";
  const std::string target_bytes = "not a journal, must stay as it is";
  WriteInPlace(target, target_bytes);
  REQUIRE(chmod(target.c_str(), 0644) == 0);
  const std::set<std::string> outside_names = Names(outside);

  auto check_refused = [&](const fs::path& journal) {
    Result<std::unique_ptr<Cache>> cache = OpenCache(JournalUri(journal));
    if (cache.ok()) {
      // A refusal may only come at the first write; it must come then.
      Status s = (*cache)->Import(SmallSnapshot(1, "s"));
      CHECK(s.code() == Code::kPermissionDenied);
    } else {
      CHECK(cache.status().code() == Code::kPermissionDenied);
    }
    Result<std::unique_ptr<RecordStore>> store =
        FileJournalStore::Open(journal);
    CHECK(store.status().code() == Code::kPermissionDenied);
    CHECK(ReadBytes(target) == target_bytes);
    CHECK(Mode(target) == 0644);
    CHECK(Names(outside) == outside_names);
  };

  SECTION("at the journal, to a file outside") {
    fs::create_symlink(target, dir / "j.journal");
    check_refused(dir / "j.journal");
  }
  SECTION("at the journal, dangling") {
    fs::create_symlink(outside / "absent", dir / "j.journal");
    check_refused(dir / "j.journal");
    CHECK_FALSE(fs::exists(outside / "absent"));
  }
  SECTION("at the lock file") {
    fs::create_symlink(target, dir / "j.journal.lock");
    check_refused(dir / "j.journal");
    CHECK_FALSE(fs::exists(dir / "j.journal"));
  }
  SECTION("at the directory") {
    fs::create_directory_symlink(outside, dir / "linked");
    check_refused(dir / "linked" / "j.journal");
    CHECK_FALSE(fs::exists(outside / "j.journal"));
  }
}

// A small journal of a few commits, puts and an erase.
void WriteSmallJournal(const fs::path& file) {
  std::unique_ptr<RecordStore> store = MustOpen(file);
  CommitChanges(*store,
                {{"a", std::string("alpha")}, {"b", std::string("bravo")}});
  CommitChanges(*store, {{"c", std::string("charlie")}, {"a", std::nullopt}});
  CommitChanges(*store, {{"b", std::string("bravo-2")}});
}

TEST_CASE(
    "Every bit flip and every truncation of a journal's committed part is "
    "reported and leaves the bytes as they were (F4)",
    "[journal][file][F4]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  WriteSmallJournal(file);
  const std::string original = ReadBytes(file);
  const Records expected = ReadAll(*MustOpen(file)).first;
  REQUIRE(expected == Records{{"b", "bravo-2"}, {"c", "charlie"}});
  const auto start = std::chrono::steady_clock::now();

  long opens = 0;
  long accepted_same = 0;       // OK, same records: undetected.
  long accepted_different = 0;  // OK, other records: silently wrong.
  long other_codes = 0;
  long changed_files = 0;
  std::vector<std::size_t> undetected_offsets;
  for (std::size_t at = 0; at < original.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = original;
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit));
      WriteInPlace(file, damaged);
      {
        Result<std::unique_ptr<RecordStore>> store =
            FileJournalStore::Open(file);
        ++opens;
        if (store.ok()) {
          if (ReadAll(**store).first == expected) {
            ++accepted_same;
          } else {
            ++accepted_different;
          }
          if (undetected_offsets.empty() || undetected_offsets.back() != at) {
            undetected_offsets.push_back(at);
          }
        } else if (store.status().code() != Code::kCorrupted &&
                   store.status().code() != Code::kNotSupported) {
          ++other_codes;
        }
      }
      if (ReadBytes(file) != damaged) ++changed_files;
    }
  }
  std::string offsets;
  for (std::size_t at : undetected_offsets) offsets += std::to_string(at) + " ";
  INFO("journal of " << original.size()
                     << " bytes; undetected flips at byte "
                        "offsets: "
                     << offsets);
  CHECK(accepted_different == 0);
  CHECK(accepted_same == 0);
  CHECK(other_codes == 0);
  CHECK(changed_files == 0);

  long truncations_accepted = 0;
  long truncations_other = 0;
  long truncations_changed = 0;
  for (std::size_t length = 0; length < original.size(); ++length) {
    const std::string cut = original.substr(0, length);
    WriteInPlace(file, cut);
    {
      Result<std::unique_ptr<RecordStore>> store = FileJournalStore::Open(file);
      ++opens;
      if (store.ok()) {
        ++truncations_accepted;
      } else if (store.status().code() != Code::kCorrupted) {
        ++truncations_other;
      }
    }
    if (ReadBytes(file) != cut) ++truncations_changed;
  }
  CHECK(truncations_accepted == 0);
  CHECK(truncations_other == 0);
  CHECK(truncations_changed == 0);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  std::printf(
      "{\"id\":\"F4\",\"params\":{\"backend\":\"file-journal\",\"bytes\":%zu},"
      "\"figures\":{\"opens\":%ld,\"flips_undetected\":%ld,"
      "\"flips_wrong_data\":%ld,\"truncations_undetected\":%ld,"
      "\"files_changed\":%ld,\"ms\":%lld}}\n",
      original.size(), opens, accepted_same, accepted_different,
      truncations_accepted, changed_files + truncations_changed,
      static_cast<long long>(ms));
  // The intact journal still reads after all that.
  WriteInPlace(file, original);
  CHECK(ReadAll(*MustOpen(file)).first == expected);
}

TEST_CASE(
    "Every bit flip of an encrypted journal is rejected by Open or by the "
    "record lookups, never returned as other data (K1)",
    "[journal][file][crypto][K1]") {
  TempDir dir;
  const fs::path file = dir / "k.journal";
  const std::string uri =
      JournalUri(file, "&key=file:" + (dir / "k.key").string());
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(SmallSnapshot(1, "k")));
  }
  const std::string original = ReadBytes(file);
  const std::set<std::string> expected = ExportSummary(uri);
  REQUIRE_FALSE(expected.empty());
  long accepted = 0;
  long other_codes = 0;
  long changed_files = 0;
  long tried = 0;
  std::string undetected;
  // Every bit of the 128-byte header, and one bit (rotating) of every
  // other byte: each open here reads the key file and decrypts, and a
  // corrupt journal is re-read a few times before it is reported, so all
  // bits of a 1 KiB file would take tens of seconds on a loaded machine.
  // The plain-journal case above flips every bit of every byte.
  for (std::size_t at = 0; at < original.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      if (at >= 128 && bit != static_cast<int>(at % 8)) continue;
      ++tried;
      std::string damaged = original;
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << bit));
      WriteInPlace(file, damaged);
      Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
      Status s = cache.status();
      if (cache.ok()) s = (*cache)->Export().status();
      if (s.ok()) {
        ++accepted;
        if (accepted <= 16) {
          undetected += std::to_string(at) + "." + std::to_string(bit) + " ";
        }
      } else if (s.code() != Code::kCorrupted &&
                 s.code() != Code::kNotSupported &&
                 s.code() != Code::kWrongKey) {
        ++other_codes;
      }
      if (ReadBytes(file) != damaged) ++changed_files;
    }
  }
  INFO(tried << " flips of a " << original.size()
             << "-byte journal; accepted at byte.bit (first 16): "
             << undetected);
  CHECK(accepted == 0);
  CHECK(other_codes == 0);
  CHECK(changed_files == 0);
  WriteInPlace(file, original);
  CHECK(ExportSummary(uri) == expected);
}

// Two commits through the cache: records the verifier can read.
std::set<std::string> WriteSmallCacheJournal(const fs::path& file) {
  Result<std::unique_ptr<Cache>> cache = OpenCache(JournalUri(file));
  REQUIRE_OK(cache);
  REQUIRE_OK((*cache)->Import(SmallSnapshot(1, "a")));
  REQUIRE_OK((*cache)->Import(SmallSnapshot(1, "b", 1)));
  Result<CacheSnapshot> all = (*cache)->Export();
  REQUIRE_OK(all);
  return Summary(*all);
}

// The journal's writer lock, held as a writer in the middle of a commit
// holds it. Released by reset().
struct HeldLock {
  std::unique_ptr<Lock> lock;
  std::unique_ptr<LockHandle> handle;  // Destroyed first.
};

std::unique_ptr<HeldLock> HoldWriterLock(const fs::path& file) {
  auto held = std::make_unique<HeldLock>();
  Result<std::unique_ptr<Lock>> lock = NewFileLock(file.string() + ".lock");
  REQUIRE_OK(lock);
  held->lock = std::move(*lock);
  Result<std::unique_ptr<LockHandle>> handle = held->lock->Acquire(
      LockMode::kExclusive,
      std::chrono::steady_clock::now() + std::chrono::seconds(5));
  REQUIRE_OK(handle);
  held->handle = std::move(*handle);
  return held;
}

TEST_CASE(
    "A torn tail past the commit is ignored by readers while a writer "
    "holds the lock, and cut off by the next writer or lock-free reader",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  const std::string uri = JournalUri(file);
  const std::set<std::string> summary = WriteSmallCacheJournal(file);
  const std::string committed = ReadBytes(file);
  std::unique_ptr<RecordStore> before_tear = MustOpen(file);
  const auto [expected, generation] = ReadAll(*before_tear);
  REQUIRE_FALSE(expected.empty());

  // A writer killed in the middle of its append; while the lock is held
  // it might as well be one still appending.
  const std::string garbage =
      std::string("\x27\x00\x00\x00", 4) + "torn-frame-bytes-of-a-dead-writer";
  std::unique_ptr<HeldLock> held = HoldWriterLock(file);
  Append(file, garbage);
  REQUIRE(SizeOf(file) == committed.size() + garbage.size());

  std::unique_ptr<RecordStore> reader = MustOpen(file);
  CHECK(ReadAll(*reader) == std::make_pair(expected, generation));
  CHECK(ReadAll(*before_tear) == std::make_pair(expected, generation));
  CHECK(ExportSummary(uri) == summary);
  Result<VerifyReport> verified = VerifyCache(uri);
  REQUIRE_OK(verified);
  INFO("verify detail: " << verified->detail);
  CHECK(verified->code == Code::kOk);
  CHECK(verified->detail.find("past the last commit") != std::string::npos);
  CHECK(verified->detail.find(std::to_string(garbage.size()) + " bytes") !=
        std::string::npos);
  CHECK(ReadBytes(file) == committed + garbage);  // Readers wrote nothing.
  held.reset();                                   // The writer is gone.

  SECTION("the next writer cuts it off") {
    Result<std::unique_ptr<RecordTransaction>> txn = reader->BeginWrite();
    REQUIRE_OK(txn);
    // Cut off when the writer began, before anything new was appended.
    CHECK(SizeOf(file) == committed.size());
    CHECK((*txn)->generation() == generation);
    CHECK(Dump(**txn) == expected);
  }
  SECTION("a reader that finds no writer cuts it off") {
    CHECK(ReadAll(*reader) == std::make_pair(expected, generation));
    CHECK(ReadBytes(file) == committed);
  }
  std::set<std::string> with_c = summary;
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    CacheSnapshot more = SmallSnapshot(1, "c", 2);
    for (const std::string& s : Summary(more)) with_c.insert(s);
    REQUIRE_OK((*cache)->Import(more));
  }
  const std::string after = ReadBytes(file);
  CHECK(after.size() > committed.size());
  // The old frames are as they were; only the commit block moved.
  CHECK(after.substr(0, 64) == committed.substr(0, 64));
  CHECK(after.substr(96, committed.size() - 96) ==
        committed.substr(96, committed.size() - 96));
  CHECK(after.find("torn-frame-bytes") == std::string::npos);
  CHECK(ExportSummary(uri) == with_c);
  const auto [now, now_generation] = ReadAll(*MustOpen(file));
  CHECK(now_generation == generation + 1);
  CHECK(ReadAll(*before_tear) == std::make_pair(now, now_generation));
  verified = VerifyCache(uri);
  REQUIRE_OK(verified);
  CHECK(verified->code == Code::kOk);
  CHECK(verified->detail.find("past the last commit") == std::string::npos);
}

TEST_CASE(
    "A whole frame a dead writer made durable but never published is "
    "invisible while the lock is held and kept once it is free",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  const std::string uri = JournalUri(file);
  const CacheSnapshot first_import = SmallSnapshot(1, "a");
  const CacheSnapshot second_import = SmallSnapshot(1, "b", 1);
  std::string after_first;
  std::string after_second;
  Records first_records;
  Records second_records;
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(first_import));
    after_first = ReadBytes(file);
    std::tie(first_records, first) = ReadAll(*MustOpen(file));
    REQUIRE_OK((*cache)->Import(second_import));
    after_second = ReadBytes(file);
    std::tie(second_records, second) = ReadAll(*MustOpen(file));
  }
  REQUIRE(second == first + 1);
  REQUIRE(first_records != second_records);
  // Put back the commit block as it was after the first commit: the
  // second frame is now past the commit, whole and valid, as a writer
  // that died between its fdatasync and its publish leaves it.
  std::unique_ptr<HeldLock> held = HoldWriterLock(file);
  PwriteAt(file, after_first.substr(64, 32), 64);
  const std::string unpublished = ReadBytes(file);
  REQUIRE(unpublished.size() == after_second.size());
  REQUIRE(unpublished != after_second);

  std::unique_ptr<RecordStore> reader = MustOpen(file);
  CHECK(ReadAll(*reader) == std::make_pair(first_records, first));
  CHECK(ExportSummary(uri) == Summary(first_import));
  Result<VerifyReport> verified = VerifyCache(uri);
  REQUIRE_OK(verified);
  INFO("verify detail: " << verified->detail);
  CHECK(verified->code == Code::kOk);
  CHECK(verified->counts.accounts == 1);
  CHECK(verified->detail.find("past the last commit") != std::string::npos);
  CHECK(ReadBytes(file) == unpublished);
  held.reset();

  SECTION("the next writer keeps it") {
    std::unique_ptr<RecordStore> writer = MustOpen(file);
    Result<std::unique_ptr<RecordTransaction>> txn = writer->BeginWrite();
    REQUIRE_OK(txn);
    CHECK((*txn)->generation() == second);
    CHECK(Dump(**txn) == second_records);
  }
  SECTION("a reader that finds no writer keeps it") {
    CHECK(ReadAll(*reader) == std::make_pair(second_records, second));
  }
  // Published exactly as the dead writer would have published it.
  CHECK(ReadBytes(file) == after_second);
  CHECK(ReadAll(*reader) == std::make_pair(second_records, second));
  std::set<std::string> all = Summary(first_import);
  for (const std::string& s : Summary(second_import)) all.insert(s);
  CHECK(ExportSummary(uri) == all);
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    CacheSnapshot third = SmallSnapshot(1, "c", 2);
    for (const std::string& s : Summary(third)) all.insert(s);
    REQUIRE_OK((*cache)->Import(third));
  }
  CHECK(ExportSummary(uri) == all);
  CHECK(ReadAll(*MustOpen(file)).second == second + 1);
  verified = VerifyCache(uri);
  REQUIRE_OK(verified);
  CHECK(verified->code == Code::kOk);
  CHECK(verified->counts.accounts == 3);
}

TEST_CASE(
    "Readers racing a writer process never report a sound journal as "
    "corrupted",
    "[journal][file][race]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  const std::string uri = JournalUri(file);
  {
    // A journal of a few hundred KiB, so that a whole read takes a while.
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    REQUIRE_OK(cache);
    for (int i = 0; i < 8; ++i) {
      REQUIRE_OK((*cache)->Import(SmallSnapshot(200, "bulk", 200 * i)));
    }
  }
  std::unique_ptr<RecordStore> kept = MustOpen(file);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Small commits as fast as they go, for about two seconds.
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri);
    if (!cache.ok()) _exit(10);
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (int i = 0; std::chrono::steady_clock::now() < until; ++i) {
      if (!(*cache)->Import(SmallSnapshot(1, std::to_string(i))).ok()) {
        _exit(11);
      }
    }
    _exit(0);
  }
  long opens = 0;
  long reads = 0;
  long verifies = 0;
  std::map<std::string, long> failures;         // By operation and code.
  std::map<std::string, std::string> examples;  // The first, by kind.
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(1800);
  while (std::chrono::steady_clock::now() < until) {
    Result<std::unique_ptr<RecordStore>> fresh = FileJournalStore::Open(file);
    ++opens;
    if (!fresh.ok()) {
      const std::string kind =
          std::string("open ") + CodeName(fresh.status().code());
      ++failures[kind];
      examples.emplace(kind, fresh.status().message());
    }
    // Catching up is cheap: many of them, each a chance to meet a commit.
    for (int i = 0; i < 200; ++i) {
      Result<std::unique_ptr<RecordTransaction>> txn = kept->BeginRead();
      ++reads;
      if (!txn.ok()) {
        const std::string kind =
            std::string("read ") + CodeName(txn.status().code());
        ++failures[kind];
        examples.emplace(kind, txn.status().message());
      }
    }
    // A verify reads and decodes everything: fewer of them.
    if (opens % 8 != 0) continue;
    Result<VerifyReport> verified = VerifyCache(uri);
    ++verifies;
    if (!verified.ok()) {
      const std::string kind =
          std::string("verify ") + CodeName(verified.status().code());
      ++failures[kind];
      examples.emplace(kind, verified.status().message());
    } else if (verified->code != Code::kOk) {
      const std::string kind =
          std::string("verify verdict ") + CodeName(verified->code);
      ++failures[kind];
      examples.emplace(kind, verified->detail);
    }
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::string summary;
  for (const auto& [what, count] : failures) {
    summary += what + ": " + std::to_string(count) + " (e.g. " +
               examples[what] + "); ";
  }
  INFO(opens << " opens, " << reads << " reads, " << verifies
             << " verifies; failures: " << summary);
  CHECK(failures.empty());
  Result<VerifyReport> verified = VerifyCache(uri);
  REQUIRE_OK(verified);
  CHECK(verified->code == Code::kOk);
}

TEST_CASE(
    "Compaction shrinks the journal, keeps records and generation for a "
    "handle opened before it, and leaves no temp file",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  JournalStoreOptions options;
  options.compact_bytes = 4096;
  std::unique_ptr<RecordStore> writer = MustOpen(file, options);
  Records expected;
  std::uint64_t generation = 0;
  auto round = [&](int r) {
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    for (int k = 0; k < 4; ++k) {
      std::string value = "round-" + std::to_string(r) + "-" +
                          std::string(80, static_cast<char>('a' + k));
      expected["key-" + std::to_string(k)] = value;
      changes.emplace_back("key-" + std::to_string(k), value);
    }
    generation = CommitChanges(*writer, changes);
  };
  round(0);
  std::unique_ptr<RecordStore> early = MustOpen(file);  // Default options.
  CHECK(ReadAll(*early) == std::make_pair(expected, generation));
  const ino_t first_inode = LStat(file).st_ino;
  std::uint64_t size_before = 0;
  int compacted_at = -1;
  for (int r = 1; r < 200 && compacted_at < 0; ++r) {
    size_before = SizeOf(file);
    round(r);
    if (LStat(file).st_ino != first_inode) compacted_at = r;
  }
  REQUIRE(compacted_at > 0);
  INFO("compacted at round " << compacted_at << ", " << size_before
                             << " bytes before");
  CHECK(SizeOf(file) < size_before);
  CHECK(SizeOf(file) < options.compact_bytes);
  CHECK(Mode(file) == 0600);
  CHECK(CountTemps(dir.path(), "j.journal") == 0);
  CHECK(ReadAll(*early) == std::make_pair(expected, generation));
  CHECK(ReadAll(*writer) == std::make_pair(expected, generation));
  CHECK(ReadAll(*MustOpen(file)) == std::make_pair(expected, generation));
  // Both handles keep working on the compacted file.
  const std::uint64_t next =
      CommitChanges(*early, {{"after", std::string("compaction")}});
  CHECK(next == generation + 1);
  expected["after"] = "compaction";
  CHECK(ReadAll(*writer) == std::make_pair(expected, next));
}

TEST_CASE(
    "A removed journal reads as empty at a new generation and the next "
    "commit recreates it with a greater one",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  std::unique_ptr<RecordStore> store = MustOpen(file);
  const std::uint64_t before =
      CommitChanges(*store, {{"old", std::string("value")}});
  REQUIRE(fs::remove(file));
  const auto [empty, gone] = ReadAll(*store);
  CHECK(empty.empty());
  CHECK(gone != before);
  const std::uint64_t recreated =
      CommitChanges(*store, {{"new", std::string("value")}});
  CHECK(recreated > gone);
  CHECK(recreated > before);
  REQUIRE(fs::exists(file));
  CHECK(Mode(file) == 0600);
  CHECK(ReadAll(*MustOpen(file)) ==
        std::make_pair(Records{{"new", "value"}}, recreated));
  CHECK(ReadAll(*store) ==
        std::make_pair(Records{{"new", "value"}}, recreated));
}

TEST_CASE(
    "A commit past the file-size limit fails with kResourceExhausted and "
    "the journal keeps its previous content",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  WriteSmallJournal(file);
  const std::string before = ReadBytes(file);
  const auto [records, generation] = ReadAll(*MustOpen(file));

  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The child reports by exit code only: no Catch2 here.
    signal(SIGXFSZ, SIG_IGN);
    Result<std::unique_ptr<RecordStore>> store = FileJournalStore::Open(file);
    if (!store.ok()) _exit(10);
    struct rlimit limit;
    limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(before.size() + 16);
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(11);
    Result<std::unique_ptr<RecordTransaction>> txn = (*store)->BeginWrite();
    if (!txn.ok()) _exit(12);
    if (!(*txn)->Put("big", std::string(4096, 'x')).ok()) _exit(13);
    Result<std::uint64_t> done = (*txn)->Commit();
    if (done.ok()) _exit(14);
    if (done.status().code() != Code::kResourceExhausted) _exit(15);
    // The same handle still reads the old state.
    Result<std::unique_ptr<RecordTransaction>> read = (*store)->BeginRead();
    if (!read.ok() || (*read)->generation() != generation) _exit(16);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(ReadBytes(file) == before);
  std::unique_ptr<RecordStore> store = MustOpen(file);
  CHECK(ReadAll(*store) == std::make_pair(records, generation));
  CHECK(CommitChanges(*store, {{"big", std::string(4096, 'x')}}) ==
        generation + 1);
  CHECK(ReadAll(*MustOpen(file)).first.at("big").size() == 4096);
}

TEST_CASE(
    "A commit refuses a journal removed or replaced behind the writer lock "
    "and writes nothing into it",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  std::unique_ptr<RecordStore> store = MustOpen(file);
  CommitChanges(*store, {{"k", std::string("v1")}});
  {
    // Removed between BeginWrite and Commit: a frame appended to the
    // unlinked inode would be acknowledged and lost.
    Result<std::unique_ptr<RecordTransaction>> txn = store->BeginWrite();
    REQUIRE_OK(txn);
    REQUIRE_OK((*txn)->Put("k", "v2"));
    REQUIRE(fs::remove(file));
    Result<std::uint64_t> committed = (*txn)->Commit();
    CHECK(committed.status().code() == Code::kConflict);
    CHECK_FALSE(fs::exists(file));
  }
  CommitChanges(*store, {{"k", std::string("v3")}});
  const std::string before = ReadBytes(file);
  {
    // Replaced by another file (a restore from backup, say).
    Result<std::unique_ptr<RecordTransaction>> txn = store->BeginWrite();
    REQUIRE_OK(txn);
    REQUIRE_OK((*txn)->Put("k", "v4"));
    const fs::path copy = dir / "copy";
    fs::copy_file(file, copy);
    fs::rename(copy, file);
    Result<std::uint64_t> committed = (*txn)->Commit();
    CHECK(committed.status().code() == Code::kConflict);
    CHECK(ReadBytes(file) == before);
  }
  CHECK(ReadAll(*MustOpen(file)).first == Records{{"k", "v3"}});
}

TEST_CASE(
    "A huge sparse tail past the commit block is cut off without reading "
    "it into memory",
    "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  std::unique_ptr<RecordStore> store = MustOpen(file);
  CommitChanges(*store, {{"k", std::string("v")}});
  const std::uint64_t size = SizeOf(file);
  // 64 GiB of holes: reading it whole would fail or exhaust memory.
  fs::resize_file(file, size + (std::uint64_t{64} << 30));
  CommitChanges(*store, {{"k2", std::string("w")}});
  CHECK(SizeOf(file) < size + 4096);
  CHECK(ReadAll(*MustOpen(file)).first ==
        Records{{"k", "v"}, {"k2", "w"}});
}

TEST_CASE("A read transaction keeps its snapshot while the same handle commits",
          "[journal][file]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  std::unique_ptr<RecordStore> store = MustOpen(file);
  const std::uint64_t first = CommitChanges(
      *store, {{"k", std::string("old")}, {"gone", std::string("here")}});
  Result<std::unique_ptr<RecordTransaction>> read = store->BeginRead();
  REQUIRE_OK(read);
  const std::uint64_t second =
      CommitChanges(*store, {{"k", std::string("new")},
                             {"gone", std::nullopt},
                             {"added", std::string("later")}});
  CHECK(second == first + 1);
  CHECK((*read)->generation() == first);
  Result<std::optional<SecretBytes>> k = (*read)->Get("k");
  REQUIRE_OK(k);
  REQUIRE(k->has_value());
  CHECK((*k)->view() == "old");
  CHECK(Dump(**read) == Records{{"gone", "here"}, {"k", "old"}});
  CHECK(ReadAll(*store) ==
        std::make_pair(Records{{"added", "later"}, {"k", "new"}}, second));
  read->reset();
  CHECK(ReadAll(*store).second == second);
}

TEST_CASE(
    "A journal sealed with one key opened with another gives kWrongKey "
    "and is left byte for byte as it was",
    "[journal][file][crypto]") {
  TempDir dir;
  const fs::path file = dir / "k.journal";
  const std::string uri_a =
      JournalUri(file, "&key=file:" + (dir / "a.key").string());
  const std::string uri_b =
      JournalUri(file, "&key=file:" + (dir / "b.key").string());
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri_a);
    REQUIRE_OK(cache);
    REQUIRE_OK((*cache)->Import(SmallSnapshot(2, "k")));
  }
  const std::string before = ReadBytes(file);
  const std::set<std::string> expected = ExportSummary(uri_a);
  {
    Result<std::unique_ptr<Cache>> cache = OpenCache(uri_b);
    if (!cache.ok()) {
      CHECK(cache.status().code() == Code::kWrongKey);
    } else {
      RefreshTokenQuery query;
      query.home_account_id = "uid0.utid";
      query.environment = "login.microsoftonline.com";
      query.client_id = "client-j";
      CHECK((*cache)->FindRefreshToken(query).status().code() ==
            Code::kWrongKey);
      CHECK((*cache)->Export().status().code() == Code::kWrongKey);
      CHECK((*cache)->Import(SmallSnapshot(1, "b")).code() == Code::kWrongKey);
    }
  }
  CHECK(ReadBytes(file) == before);
  Result<VerifyReport> verified = VerifyCache(uri_b);
  REQUIRE_OK(verified);
  CHECK(verified->code == Code::kWrongKey);
  CHECK(ReadBytes(file) == before);
  CHECK(ExportSummary(uri_a) == expected);
}

TEST_CASE(
    "A journal cache waits for the writer lock only as long as "
    "CacheOptions::lock_timeout says",
    "[journal][file][lock]") {
  TempDir dir;
  const fs::path file = dir / "j.journal";
  const std::string uri = JournalUri(file);
  CacheOptions options;
  options.lock_timeout = std::chrono::milliseconds(200);
  Result<std::unique_ptr<Cache>> cache = OpenCache(uri, options);
  REQUIRE_OK(cache);
  // Another writer holds the lock for 2 s, far beyond the 200 ms the
  // cache may wait but well within the store's default 30 s: a write that
  // succeeds waited past its timeout.
  std::unique_ptr<HeldLock> held = HoldWriterLock(file);
  std::thread release([&held] {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    held.reset();
  });
  Status imported = (*cache)->Import(SmallSnapshot(1, "t"));
  release.join();
  CHECK(imported.code() == Code::kLockTimeout);
  // Once the lock is free the cache writes.
  REQUIRE_OK((*cache)->Import(SmallSnapshot(1, "t")));
}

}  // namespace
}  // namespace tokencache
