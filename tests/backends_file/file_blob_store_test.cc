// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/file/file_blob_store.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/status_matchers.h"
#include "tests/support/temp_dir.h"
#include "tokencache/backends/file.h"

namespace tokencache {
namespace {

using internal::DefaultFileEnv;
using internal::FileEnv;

std::unique_ptr<BlobStore> MustOpen(const std::filesystem::path& path) {
  Result<std::unique_ptr<BlobStore>> store = FileBlobStore::Open(path);
  REQUIRE_OK(store);
  return std::move(*store);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

void WriteFileInPlace(const std::filesystem::path& path,
                      const std::string& text, int flags = O_TRUNC) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | flags, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) ==
          static_cast<ssize_t>(text.size()));
  close(fd);
}

struct stat StatOf(const std::filesystem::path& path) {
  struct stat st;
  REQUIRE(lstat(path.c_str(), &st) == 0);
  return st;
}

int CountTemps(const std::filesystem::path& dir, const std::string& name) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(internal::TempPrefix(name),
                                               0) == 0) {
      ++count;
    }
  }
  return count;
}

// ---------------------------------------------------------------------------
// A fault-injecting FileEnv. Plain function pointers cannot capture, so the
// state is global; the tests using it run on one thread.

struct Faults {
  long calls = 0;        // Env calls so far.
  long fail_at = -1;     // 1-based call index that fails; -1 = never.
  bool persistent = false;
  int error = EIO;
  bool short_write = false;  // The faulted call, if a write, is short.
  long renames = 0;
  long fsync_fails_for_files = 0;  // fsync of non-directories fails.
  std::uint64_t fake_fs_type = 0;  // statfs reports this f_type when set.
};
Faults g_faults;

bool Fault() {
  ++g_faults.calls;
  if (g_faults.fail_at < 0) return false;
  if (g_faults.calls == g_faults.fail_at) return true;
  return g_faults.persistent && g_faults.calls > g_faults.fail_at;
}

#define TC_FAULTY(expr)           \
  do {                            \
    if (Fault()) {                \
      errno = g_faults.error;     \
      return -1;                  \
    }                             \
    return expr;                  \
  } while (0)

int FOpenat(int d, const char* p, int f, mode_t m) {
  TC_FAULTY(DefaultFileEnv().openat(d, p, f, m));
}
ssize_t FRead(int fd, void* b, std::size_t n) {
  TC_FAULTY(DefaultFileEnv().read(fd, b, n));
}
ssize_t FWrite(int fd, const void* b, std::size_t n) {
  if (Fault()) {
    if (g_faults.short_write && n > 1) {
      return DefaultFileEnv().write(fd, b, n / 2);
    }
    errno = g_faults.error;
    return -1;
  }
  return DefaultFileEnv().write(fd, b, n);
}
int FFsync(int fd) {
  struct stat st;
  if (g_faults.fsync_fails_for_files > 0 && fstat(fd, &st) == 0 &&
      S_ISREG(st.st_mode)) {
    errno = EIO;
    return -1;
  }
  TC_FAULTY(DefaultFileEnv().fsync(fd));
}
int FFchmod(int fd, mode_t m) { TC_FAULTY(DefaultFileEnv().fchmod(fd, m)); }
int FFstat(int fd, struct stat* st) {
  TC_FAULTY(DefaultFileEnv().fstat(fd, st));
}
int FFstatat(int d, const char* p, struct stat* st, int f) {
  TC_FAULTY(DefaultFileEnv().fstatat(d, p, st, f));
}
int FRenameat(int a, const char* b, int c, const char* d) {
  if (Fault()) {
    errno = g_faults.error;
    return -1;
  }
  int rc = DefaultFileEnv().renameat(a, b, c, d);
  if (rc == 0) ++g_faults.renames;
  return rc;
}
int FUnlinkat(int d, const char* p, int f) {
  TC_FAULTY(DefaultFileEnv().unlinkat(d, p, f));
}
int FMkdirat(int d, const char* p, mode_t m) {
  TC_FAULTY(DefaultFileEnv().mkdirat(d, p, m));
}
int FStatfs(const char* p, struct statfs* b) {
  int rc = DefaultFileEnv().statfs(p, b);
  if (rc == 0 && g_faults.fake_fs_type != 0) {
    b->f_type = static_cast<decltype(b->f_type)>(g_faults.fake_fs_type);
  }
  return rc;
}
// close() is never faulted: Linux closes the descriptor even when close
// reports an error, so a retry could close someone else's.
int FClose(int fd) { return DefaultFileEnv().close(fd); }

const FileEnv kFaultyEnv = {FOpenat,  FRead,    FWrite,     FFsync,
                            FFchmod,  FFstat,   FFstatat,   FRenameat,
                            FUnlinkat, FMkdirat, FStatfs,   FClose};

std::unique_ptr<BlobStore> OpenFaulty(const std::filesystem::path& path) {
  Result<std::unique_ptr<BlobStore>> store =
      internal::OpenFileBlobStore(path, FileStoreOptions(), kFaultyEnv);
  REQUIRE_OK(store);
  return std::move(*store);
}

// ---------------------------------------------------------------------------

TEST_CASE("FileBlobStore reads back what it wrote, with a stable version",
          "[backend][file]") {
  test::TempDir dir;
  auto store = MustOpen(dir / "cache.json");
  Result<std::optional<Blob>> empty = store->Read();
  REQUIRE_OK(empty);
  CHECK_FALSE(empty->has_value());
  Result<BlobVersion> none = store->PeekVersion();
  REQUIRE_OK(none);
  CHECK(none->opaque.empty());

  Result<BlobVersion> v1 = store->Write("{\"a\":1}", BlobVersion{});
  REQUIRE_OK(v1);
  CHECK_FALSE(v1->opaque.empty());
  Result<std::optional<Blob>> read = store->Read();
  REQUIRE_OK(read);
  REQUIRE(read->has_value());
  CHECK((*read)->bytes.view() == "{\"a\":1}");
  CHECK((*read)->version == *v1);
  CHECK(*store->PeekVersion() == *v1);

  Result<BlobVersion> v2 = store->Write("", *v1);
  REQUIRE_OK(v2);
  CHECK(*v2 != *v1);
  read = store->Read();
  REQUIRE_OK(read);
  REQUIRE(read->has_value());
  CHECK((*read)->bytes.empty());
}

TEST_CASE("FileBlobStore refuses a write with a stale version and keeps the "
          "file",
          "[backend][file][cas]") {
  test::TempDir dir;
  auto store = MustOpen(dir / "cache.json");
  Result<BlobVersion> v1 = store->Write("first", std::nullopt);
  REQUIRE_OK(v1);
  Result<BlobVersion> v2 = store->Write("second", *v1);
  REQUIRE_OK(v2);

  Result<BlobVersion> stale = store->Write("third", *v1);
  CHECK(stale.status().code() == Code::kConflict);
  // "Nothing stored yet" is stale once something is.
  CHECK(store->Write("fourth", BlobVersion{}).status().code() ==
        Code::kConflict);
  CHECK(ReadFile(dir / "cache.json") == "second");
  CHECK(CountTemps(dir.path(), "cache.json") == 0);
}

TEST_CASE("A foreign in-place write is noticed even with mtime reset (L10)",
          "[backend][file][L10]") {
  test::TempDir dir;
  const auto path = dir / "cache.json";
  auto store = MustOpen(path);
  Result<BlobVersion> v1 = store->Write("AAAAAAAA", std::nullopt);
  REQUIRE_OK(v1);
  const struct stat before = StatOf(path);

  // An MSAL app rewrites the file in place, same size, then someone puts
  // the old mtime back.
  WriteFileInPlace(path, "BBBBBBBB");
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
  REQUIRE(StatOf(path).st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  REQUIRE(StatOf(path).st_ino == before.st_ino);

  Result<BlobVersion> now = store->PeekVersion();
  REQUIRE_OK(now);
  CHECK(*now != *v1);
  CHECK(store->Write("CCCCCCCC", *v1).status().code() == Code::kConflict);
  CHECK(ReadFile(path) == "BBBBBBBB");

  // Writes right after a version was observed, same size, no time reset:
  // with fine-grained ctimes none may go unnoticed.
  int missed = 0;
  for (int i = 0; i < 200; ++i) {
    Result<BlobVersion> seen = store->PeekVersion();
    REQUIRE_OK(seen);
    WriteFileInPlace(path, i % 2 == 0 ? "DDDDDDDD" : "EEEEEEEE");
    if (*store->PeekVersion() == *seen) ++missed;
  }
  std::printf("{\"id\":\"L10\",\"figures\":{\"missed_reloads\":%d},"
              "\"bar\":\"0\",\"pass\":%s}\n",
              missed, missed == 0 ? "true" : "false");
  CHECK(missed == 0);
}

TEST_CASE("Every save makes a new 0600 file in 0700 directories, whatever "
          "the umask or the old mode (S1, S2)",
          "[backend][file][modes]") {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    test::TempDir dir;
    const auto path = dir / "a" / "b" / "cache.json";
    const mode_t old_mask = umask(mask);
    {
      auto store = MustOpen(path);
      REQUIRE_OK(store->Write("x", std::nullopt));
    }
    umask(old_mask);
    CHECK((StatOf(path).st_mode & 07777) == 0600);
    CHECK((StatOf(dir / "a").st_mode & 07777) == 0700);
    CHECK((StatOf(dir / "a" / "b").st_mode & 07777) == 0700);
  }

  test::TempDir dir;
  const auto path = dir / "cache.json";
  WriteFileInPlace(path, "legacy");
  REQUIRE(chmod(path.c_str(), 0644) == 0);
  const ino_t old_inode = StatOf(path).st_ino;
  auto store = MustOpen(path);
  REQUIRE_OK(store->Write("saved", std::nullopt));
  CHECK((StatOf(path).st_mode & 07777) == 0600);
  CHECK(StatOf(path).st_ino != old_inode);
}

TEST_CASE("Symlinks at the cache path or directory are refused and their "
          "targets untouched (S4)",
          "[backend][file][symlink]") {
  test::TempDir dir;
  const auto outside = dir / "outside";
  WriteFileInPlace(outside, "precious");
  REQUIRE(chmod(outside.c_str(), 0644) == 0);

  SECTION("symlink at the cache path when opening") {
    REQUIRE(symlink(outside.c_str(), (dir / "cache.json").c_str()) == 0);
    Result<std::unique_ptr<BlobStore>> store =
        FileBlobStore::Open(dir / "cache.json");
    CHECK(store.status().code() == Code::kPermissionDenied);
    CHECK(store.status().message().find("symlink refused") !=
          std::string::npos);
  }
  SECTION("dangling symlink at the cache path") {
    REQUIRE(symlink((dir / "nowhere").c_str(), (dir / "cache.json").c_str()) ==
            0);
    CHECK(FileBlobStore::Open(dir / "cache.json").status().code() ==
          Code::kPermissionDenied);
    CHECK_FALSE(std::filesystem::exists(dir / "nowhere"));
  }
  SECTION("symlink planted after opening") {
    auto store = MustOpen(dir / "cache.json");
    REQUIRE_OK(store->Write("mine", std::nullopt));
    REQUIRE(unlink((dir / "cache.json").c_str()) == 0);
    REQUIRE(symlink(outside.c_str(), (dir / "cache.json").c_str()) == 0);
    CHECK(store->Read().status().code() == Code::kPermissionDenied);
    CHECK(store->PeekVersion().status().code() == Code::kPermissionDenied);
    CHECK(store->Write("evil", std::nullopt).status().code() ==
          Code::kPermissionDenied);
    CHECK(S_ISLNK(StatOf(dir / "cache.json").st_mode));
  }
  SECTION("symlinked cache directory") {
    std::filesystem::create_directory(dir / "real");
    REQUIRE(symlink((dir / "real").c_str(), (dir / "linked").c_str()) == 0);
    Result<std::unique_ptr<BlobStore>> store =
        FileBlobStore::Open(dir / "linked" / "cache.json");
    CHECK(store.status().code() == Code::kPermissionDenied);
    CHECK(store.status().message().find("symlink refused") !=
          std::string::npos);
  }
  SECTION("symlinks planted at temp names") {
    auto store = MustOpen(dir / "cache.json");
    // Names an attacker might guess: our prefix with our pid and others.
    for (int i = 0; i < 50; ++i) {
      std::string name = internal::TempPrefix("cache.json") +
                         std::to_string(i % 2 == 0 ? getpid() : 1) + "." +
                         std::to_string(i);
      REQUIRE(symlink(outside.c_str(), (dir / name).c_str()) == 0);
    }
    for (int i = 0; i < 50; ++i) {
      REQUIRE_OK(store->Write("save " + std::to_string(i), std::nullopt));
    }
    CHECK(ReadFile(dir / "cache.json") == "save 49");
  }
  CHECK(ReadFile(outside) == "precious");
  CHECK((StatOf(outside).st_mode & 07777) == 0644);
}

TEST_CASE("Temp files of dead writers are removed; live writers' are kept",
          "[backend][file][temp]") {
  test::TempDir dir;
  auto dead_child = test::ChildProcess::Spawn({"/bin/true"});
  REQUIRE(dead_child->WaitExitCode() == 0);
  auto live_child = test::ChildProcess::Spawn({"/bin/sleep", "60"});
  const std::string prefix = internal::TempPrefix("cache.json");
  const auto dead = dir / (prefix + std::to_string(dead_child->pid()) + ".ab");
  const auto live = dir / (prefix + std::to_string(live_child->pid()) + ".cd");
  const auto mine = dir / (prefix + std::to_string(getpid()) + ".ef");
  const auto unrelated = dir / ".other.json.tmp.1.x";
  for (const auto& p : {dead, live, mine, unrelated}) WriteFileInPlace(p, "t");

  auto store = MustOpen(dir / "cache.json");
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(live));
  CHECK_FALSE(std::filesystem::exists(mine));  // Not in flight: a leftover.
  CHECK(std::filesystem::exists(unrelated));
}

TEST_CASE("Injected faults at every step leave the old or new file and no "
          "temp file behind (F1)",
          "[backend][file][F1]") {
  test::TempDir dir;
  const auto path = dir / "cache.json";
  const std::string old_bytes(3000, 'o');
  const std::string new_bytes(5000, 'n');

  // Count the env calls of one successful write.
  g_faults = Faults();
  long calls_per_write = 0;
  {
    auto store = OpenFaulty(path);
    REQUIRE_OK(store->Write(old_bytes, std::nullopt));
    const long before = g_faults.calls;
    REQUIRE_OK(store->Write(old_bytes, std::nullopt));
    calls_per_write = g_faults.calls - before;
  }
  REQUIRE(calls_per_write >= 8);

  struct Kind {
    int error;
    bool short_write;
  };
  const Kind kinds[] = {{EIO, false},    {ENOSPC, false}, {EDQUOT, false},
                        {EINTR, false},  {EACCES, false}, {EXDEV, false},
                        {EIO, true}};
  int combinations = 0;
  int wrong = 0;
  int untyped = 0;
  int leftovers = 0;
  for (bool persistent : {false, true}) {
    for (const Kind& kind : kinds) {
      for (long k = 1; k <= calls_per_write + 1; ++k) {
        ++combinations;
        g_faults = Faults();
        auto store = OpenFaulty(path);
        REQUIRE_OK(store->Write(old_bytes, std::nullopt));
        g_faults.calls = 0;
        g_faults.fail_at = k;
        g_faults.persistent = persistent;
        g_faults.error = kind.error;
        g_faults.short_write = kind.short_write;
        Result<BlobVersion> written = store->Write(new_bytes, std::nullopt);
        g_faults = Faults();
        const std::string now = ReadFile(path);
        if (written.ok()) {
          if (now != new_bytes) ++wrong;  // Success reported on failure.
        } else {
          if (now != old_bytes && now != new_bytes) ++wrong;
          const Code code = written.status().code();
          if (code == Code::kOk || code == Code::kInternal) ++untyped;
        }
        store.reset();
        auto reopened = MustOpen(path);  // Cleans our own leftovers.
        leftovers += CountTemps(dir.path(), "cache.json");
      }
    }
  }
  std::printf("{\"id\":\"F1\",\"params\":{\"calls_per_write\":%ld},"
              "\"figures\":{\"combinations\":%d,\"wrong\":%d,"
              "\"untyped\":%d,\"leftovers\":%d},\"bar\":\"0\",\"pass\":%s}\n",
              calls_per_write, combinations, wrong, untyped, leftovers,
              wrong + untyped + leftovers == 0 ? "true" : "false");
  CHECK(combinations >= calls_per_write * 7 * 2);
  CHECK(wrong == 0);
  CHECK(untyped == 0);
  CHECK(leftovers == 0);
}

TEST_CASE("A failed fsync of the temp file never leads to a rename (F2)",
          "[backend][file][F2]") {
  test::TempDir dir;
  const auto path = dir / "cache.json";
  g_faults = Faults();
  auto store = OpenFaulty(path);
  REQUIRE_OK(store->Write("old", std::nullopt));
  g_faults.renames = 0;
  g_faults.fsync_fails_for_files = 1;
  int io_errors = 0;
  for (int i = 0; i < 100; ++i) {
    Result<BlobVersion> written = store->Write("new", std::nullopt);
    if (written.status().code() == Code::kIoError) ++io_errors;
  }
  const long renames = g_faults.renames;
  g_faults = Faults();
  CHECK(renames == 0);
  CHECK(io_errors == 100);
  CHECK(ReadFile(path) == "old");
  CHECK(CountTemps(dir.path(), "cache.json") == 0);
}

TEST_CASE("A file-size limit below the new size fails every save and keeps "
          "the old file (F3)",
          "[backend][file][F3]") {
  test::TempDir dir;
  const auto path = dir / "cache.json";
  const std::string old_bytes(1000, 'o');
  {
    auto store = MustOpen(path);
    REQUIRE_OK(store->Write(old_bytes, std::nullopt));
  }
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: no Catch2 here, report through the exit code.
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    Result<std::unique_ptr<BlobStore>> store = FileBlobStore::Open(path);
    if (!store.ok()) _exit(11);
    int false_oks = 0;
    int wrong_code = 0;
    for (int i = 0; i < 100; ++i) {
      Result<BlobVersion> written =
          (*store)->Write(std::string(8192, 'n'), std::nullopt);
      if (written.ok()) ++false_oks;
      if (written.status().code() != Code::kResourceExhausted) ++wrong_code;
    }
    _exit(false_oks > 0 ? 12 : wrong_code > 0 ? 13 : 0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(ReadFile(path) == old_bytes);
  CHECK(CountTemps(dir.path(), "cache.json") == 0);
}

TEST_CASE("A network file system is refused in strict mode only (B4)",
          "[backend][file][B4]") {
  for (std::uint64_t type : {0x6969ull, 0x517Bull, 0xFF534D42ull,
                             0xFE534D42ull, 0x65735546ull}) {
    test::TempDir dir;
    g_faults = Faults();
    g_faults.fake_fs_type = type;
    FileStoreOptions strict;
    strict.refuse_network_fs = true;
    Result<std::unique_ptr<BlobStore>> refused = internal::OpenFileBlobStore(
        dir / "sub" / "cache.json", strict, kFaultyEnv);
    CHECK(refused.status().code() == Code::kNotSupported);
    CHECK(std::filesystem::is_empty(dir.path()));  // Nothing created.
    Result<std::unique_ptr<BlobStore>> allowed = internal::OpenFileBlobStore(
        dir / "sub" / "cache.json", FileStoreOptions(), kFaultyEnv);
    CHECK_OK(allowed);
    g_faults = Faults();
  }
  CHECK_FALSE(internal::IsNetworkFsType(0xEF53));  // ext4
  test::TempDir dir;
  Result<bool> local = IsOnNetworkFilesystem(dir / "x" / "cache.json");
  REQUIRE_OK(local);
}

TEST_CASE("Readers running beside a writer always see a whole file",
          "[backend][file][threads]") {
  test::TempDir dir;
  const auto path = dir / "cache.json";
  auto store = MustOpen(path);
  REQUIRE_OK(store->Write(std::string(100, 'a'), std::nullopt));
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        Result<std::optional<Blob>> blob = store->Read();
        if (!blob.ok() || !blob->has_value()) {
          ++torn;
          continue;
        }
        std::string_view bytes = (*blob)->bytes.view();
        if (bytes.empty() ||
            bytes.find_first_not_of(bytes[0]) != std::string_view::npos ||
            bytes.size() != static_cast<std::size_t>(100 + (bytes[0] - 'a'))) {
          ++torn;
        }
        ++reads;
      }
    });
  }
  int write_errors = 0;
  for (int i = 0; i < 100; ++i) {
    const char letter = static_cast<char>('a' + i % 26);
    if (!store->Write(std::string(100 + (letter - 'a'), letter), std::nullopt)
             .ok()) {
      ++write_errors;
    }
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  CHECK(write_errors == 0);
  CHECK(reads.load() > 0);
  CHECK(torn.load() == 0);
}

}  // namespace
}  // namespace tokencache
