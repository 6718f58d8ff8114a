// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/file/file_blob_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tokencache {
namespace internal {
namespace {

// A temp file whose writer still runs is removed anyway once it is this
// old: its pid was recycled, or the writer is hung. Removing a live
// writer's temp is safe (its rename fails and it reports kIoError), only
// unkind, hence the generous age.
constexpr std::time_t kStaleTempAgeSeconds = 600;

// How often Read retries when a foreign writer changes the file while it
// is being read.
constexpr int kReadAttempts = 4;

// Consecutive EINTRs tolerated by one read or write loop. A signal storm
// that never lets a call finish is reported rather than spun on.
constexpr int kMaxEintr = 64;

Code CodeForErrno(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:  // RLIMIT_FSIZE with SIGXFSZ ignored, or the fs limit.
      return Code::kResourceExhausted;
    case EACCES:
    case EPERM:
    case ELOOP:
      return Code::kPermissionDenied;
    case ENOENT:
      return Code::kNotFound;
    default:
      return Code::kIoError;
  }
}

Status OsError(const std::string& what, const std::string& path, int err) {
  if (err == ELOOP) {
    return Status(Code::kPermissionDenied,
                  what + " '" + path + "': symlink refused", err);
  }
  return Status(CodeForErrno(err),
                what + " '" + path + "': " + std::strerror(err), err);
}

Status SymlinkRefused(const std::string& path) {
  return Status(Code::kPermissionDenied,
                "symlink refused at '" + path + "'", ELOOP);
}

// Temp names this process is writing right now, so that cleaning (which
// removes temps of dead pids and our own leftovers) never removes them.
std::mutex& InFlightMutex() {
  static std::mutex* const mu = new std::mutex;
  return *mu;
}
std::set<std::string>& InFlight() {
  static auto* const names = new std::set<std::string>;
  return *names;
}

class InFlightName {
 public:
  explicit InFlightName(std::string name) : name_(std::move(name)) {
    std::lock_guard<std::mutex> lock(InFlightMutex());
    InFlight().insert(name_);
  }
  ~InFlightName() {
    std::lock_guard<std::mutex> lock(InFlightMutex());
    InFlight().erase(name_);
  }
  InFlightName(const InFlightName&) = delete;
  InFlightName& operator=(const InFlightName&) = delete;

 private:
  std::string name_;
};

bool IsInFlight(const std::string& name) {
  std::lock_guard<std::mutex> lock(InFlightMutex());
  return InFlight().count(name) > 0;
}

std::string RandomHex() {
  static const int sodium_ready = sodium_init();
  (void)sodium_ready;  // randombytes works without init, from getrandom().
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof(bytes));
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

void AppendU64(std::string* out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// See the header comment in tokencache/backends/file.h for why each field.
BlobVersion VersionOf(const struct stat& st) {
  BlobVersion version;
  version.opaque.reserve(1 + 7 * 8);
  version.opaque.push_back('F');
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_dev));
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_ino));
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_size));
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_mtim.tv_sec));
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_mtim.tv_nsec));
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_ctim.tv_sec));
  AppendU64(&version.opaque, static_cast<std::uint64_t>(st.st_ctim.tv_nsec));
  return version;
}

class PosixFileBlobStore : public BlobStore {
 public:
  PosixFileBlobStore(const FileEnv& env, int dir_fd, std::string dir,
                     std::string name)
      : env_(env),
        dir_fd_(dir_fd),
        dir_(std::move(dir)),
        name_(std::move(name)),
        path_(dir_ + "/" + name_),
        temp_prefix_(TempPrefix(name_)) {}

  ~PosixFileBlobStore() override { env_.close(dir_fd_); }

  std::string_view Name() const override { return "file"; }

  // Removes temp files of dead writers and our own leftovers. Best effort:
  // a failure here never fails the caller's operation.
  void CleanTemps() {
    int fd = env_.openat(dir_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) return;
    DIR* dir = fdopendir(fd);
    if (dir == nullptr) {
      env_.close(fd);
      return;
    }
    const pid_t self = getpid();
    const std::time_t now = std::time(nullptr);
    while (struct dirent* entry = readdir(dir)) {
      std::string_view entry_name(entry->d_name);
      if (entry_name.substr(0, temp_prefix_.size()) != temp_prefix_) continue;
      std::string_view rest = entry_name.substr(temp_prefix_.size());
      long long pid = 0;
      std::size_t i = 0;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && i < 10) {
        pid = pid * 10 + (rest[i] - '0');
        ++i;
      }
      if (i == 0 || i >= rest.size() || rest[i] != '.') continue;
      std::string temp(entry_name);
      bool remove = false;
      if (pid == self) {
        remove = !IsInFlight(temp);
      } else if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 &&
                              errno == ESRCH)) {
        remove = true;
      } else {
        struct stat st;
        remove = env_.fstatat(dir_fd_, temp.c_str(), &st,
                              AT_SYMLINK_NOFOLLOW) == 0 &&
                 now - st.st_mtim.tv_sec > kStaleTempAgeSeconds;
      }
      // unlinkat never follows a symlink planted at our prefix.
      if (remove) env_.unlinkat(dir_fd_, temp.c_str(), 0);
    }
    closedir(dir);  // Closes fd.
  }

 protected:
  Result<std::optional<Blob>> DoRead() override {
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      int fd = env_.openat(dir_fd_, name_.c_str(),
                           O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
      if (fd < 0) {
        if (errno == ENOENT) return std::optional<Blob>();
        if (errno == ELOOP) return SymlinkRefused(path_);
        return OsError("cannot open", path_, errno);
      }
      Result<std::optional<Blob>> blob = ReadOpen(fd);
      env_.close(fd);
      if (!blob.ok() || blob->has_value()) return blob;
    }
    return Status(Code::kUnavailable,
                  "'" + path_ + "' kept changing while being read");
  }

  Result<BlobVersion> DoPeekVersion() override {
    struct stat st;
    if (env_.fstatat(dir_fd_, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return BlobVersion{};
      return OsError("cannot stat", path_, errno);
    }
    if (S_ISLNK(st.st_mode)) return SymlinkRefused(path_);
    if (!S_ISREG(st.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "'" + path_ + "' is not a regular file");
    }
    return VersionOf(st);
  }

  Result<BlobVersion> DoWrite(
      std::string_view bytes,
      const std::optional<BlobVersion>& expected) override {
    CleanTemps();
    // Also refuses a symlink or non-file at the cache path.
    Result<BlobVersion> current = DoPeekVersion();
    if (!current.ok()) return current.status();
    if (expected && *current != *expected) {
      return Status(Code::kConflict,
                    "'" + path_ + "' changed since it was read");
    }

    std::string temp;
    int fd = -1;
    for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
      temp = temp_prefix_ + std::to_string(getpid()) + "." + RandomHex();
      fd = env_.openat(dir_fd_, temp.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600);
      // EEXIST: a name someone planted (or, astronomically rarely, ours
      // twice); ELOOP cannot happen with O_EXCL, which never follows.
      if (fd < 0 && errno != EEXIST) {
        return OsError("cannot create temp file next to", path_, errno);
      }
    }
    if (fd < 0) {
      return Status(Code::kIoError,
                    "cannot create a fresh temp file next to '" + path_ + "'");
    }
    InFlightName in_flight(temp);

    // Abandons the temp file: the old cache is untouched.
    auto fail = [&](Status status) -> Status {
      env_.close(fd);
      env_.unlinkat(dir_fd_, temp.c_str(), 0);
      return status;
    };

    // The umask may have taken bits from 0600; the mode is exactly 0600.
    if (env_.fchmod(fd, 0600) != 0) {
      return fail(OsError("cannot chmod temp file for", path_, errno));
    }
    std::size_t done = 0;
    int interrupted = 0;
    while (done < bytes.size()) {
      ssize_t n = env_.write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0) {
        if (errno == EINTR && ++interrupted < kMaxEintr) continue;
        return fail(OsError("cannot write temp file for", path_, errno));
      }
      if (n == 0) {
        return fail(Status(Code::kIoError,
                           "write made no progress for '" + path_ + "'"));
      }
      done += static_cast<std::size_t>(n);
      interrupted = 0;
    }
    // Never rename after a failed fsync: the data may not be on disk, and
    // after a failed fsync Linux may have dropped the dirty pages.
    if (env_.fsync(fd) != 0) {
      return fail(OsError("cannot fsync temp file for", path_, errno));
    }
    if (expected) {
      // The caller holds the lock, but a foreign (MSAL) writer might not:
      // narrow its window as much as we can.
      Result<BlobVersion> again = DoPeekVersion();
      if (!again.ok()) return fail(again.status());
      if (*again != *expected) {
        return fail(Status(Code::kConflict,
                           "'" + path_ + "' changed since it was read"));
      }
    }
    if (env_.renameat(dir_fd_, temp.c_str(), dir_fd_, name_.c_str()) != 0) {
      return fail(OsError("cannot rename temp file over", path_, errno));
    }
    // fstat after the rename: rename updates the inode's ctime, and this
    // is the version PeekVersion will see.
    struct stat st;
    const bool have_stat = env_.fstat(fd, &st) == 0;
    const int stat_errno = errno;
    env_.close(fd);
    if (env_.fsync(dir_fd_) != 0) {
      return OsError("wrote, but cannot fsync the directory of", path_,
                     errno);
    }
    if (!have_stat) {
      return OsError("wrote, but cannot stat", path_, stat_errno);
    }
    return VersionOf(st);
  }

 private:
  // Reads the open file whole. nullopt + OK means "changed while reading".
  Result<std::optional<Blob>> ReadOpen(int fd) {
    struct stat before;
    if (env_.fstat(fd, &before) != 0) {
      return OsError("cannot stat", path_, errno);
    }
    if (!S_ISREG(before.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "'" + path_ + "' is not a regular file");
    }
    Blob blob;
    // One spare byte, so that a file that grew is noticed without a
    // second read call in the common case.
    std::size_t capacity = static_cast<std::size_t>(before.st_size) + 1;
    blob.bytes.Resize(capacity);
    std::size_t total = 0;
    int interrupted = 0;
    while (true) {
      ssize_t n = env_.read(fd, blob.bytes.mutable_data() + total,
                            capacity - total);
      if (n < 0) {
        if (errno == EINTR && ++interrupted < kMaxEintr) continue;
        return OsError("cannot read", path_, errno);
      }
      if (n == 0) break;
      interrupted = 0;
      total += static_cast<std::size_t>(n);
      if (total == capacity) {
        capacity *= 2;
        blob.bytes.Resize(capacity);
      }
    }
    blob.bytes.Resize(total);
    struct stat after;
    if (env_.fstat(fd, &after) != 0) {
      return OsError("cannot stat", path_, errno);
    }
    blob.version = VersionOf(before);
    if (blob.version != VersionOf(after) ||
        total != static_cast<std::size_t>(before.st_size)) {
      return std::optional<Blob>();
    }
    return std::optional<Blob>(std::move(blob));
  }

  const FileEnv& env_;
  const int dir_fd_;
  const std::string dir_;
  const std::string name_;
  const std::string path_;
  const std::string temp_prefix_;
};

}  // namespace

std::string TempPrefix(const std::string& cache_name) {
  return "." + cache_name + ".tmp.";
}

bool IsNetworkFsType(std::uint64_t f_type) {
  switch (static_cast<std::uint32_t>(f_type)) {
    case 0x6969u:      // NFS
    case 0x517Bu:      // SMB
    case 0xFF534D42u:  // CIFS
    case 0xFE534D42u:  // SMB2
    case 0x65735546u:  // FUSE
      return true;
    default:
      return false;
  }
}

namespace {

// statfs of `path` or of its nearest existing ancestor.
Result<bool> NetworkCheck(const FileEnv& env,
                          const std::filesystem::path& path) {
  std::filesystem::path probe = path;
  while (true) {
    struct statfs fs;
    if (env.statfs(probe.c_str(), &fs) == 0) {
      return IsNetworkFsType(static_cast<std::uint64_t>(fs.f_type));
    }
    if (errno != ENOENT || probe == probe.parent_path() ||
        probe.parent_path().empty()) {
      return OsError("cannot statfs", probe.string(), errno);
    }
    probe = probe.parent_path();
  }
}

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenFileBlobStore(
    const std::filesystem::path& path, const FileStoreOptions& options,
    const FileEnv& env) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec || !absolute.has_filename()) {
    return InvalidArgumentError("file store path must name a file");
  }
  const std::string name = absolute.filename().string();
  const std::filesystem::path dir = absolute.parent_path();

  // Before creating anything, so that a refused store creates no files.
  Result<bool> network = NetworkCheck(env, dir);
  if (!network.ok()) return network.status();
  if (*network && options.refuse_network_fs) {
    return Status(Code::kNotSupported,
                  "'" + absolute.string() +
                      "' is on a network file system (refuse_network_fs)");
  }

  std::filesystem::path partial;
  for (const std::filesystem::path& part : dir) {
    partial /= part;
    struct stat st;
    if (env.fstatat(AT_FDCWD, partial.c_str(), &st, 0) == 0) continue;
    if (errno != ENOENT) {
      return OsError("cannot stat directory", partial.string(), errno);
    }
    if (!options.create_parent_directories) {
      return Status(Code::kNotFound,
                    "directory '" + partial.string() + "' does not exist");
    }
    if (env.mkdirat(AT_FDCWD, partial.c_str(), 0700) != 0 &&
        errno != EEXIST) {
      return OsError("cannot create directory", partial.string(), errno);
    }
  }

  int dir_fd = env.openat(AT_FDCWD, dir.c_str(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (dir_fd < 0) {
    const int err = errno;
    struct stat st;
    // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ELOOP or ENOTDIR.
    if (err == ELOOP ||
        (err == ENOTDIR &&
         env.fstatat(AT_FDCWD, dir.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISLNK(st.st_mode))) {
      return Status(Code::kPermissionDenied,
                    "symlink refused at cache directory '" + dir.string() +
                        "'",
                    ELOOP);
    }
    return OsError("cannot open directory", dir.string(), err);
  }
  auto store =
      std::make_unique<PosixFileBlobStore>(env, dir_fd, dir.string(), name);
  // Refuse a symlink (or a directory) at the cache path right away.
  Result<BlobVersion> version = store->PeekVersion();
  if (!version.ok()) return version.status();
  store->CleanTemps();
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace internal

Result<std::unique_ptr<BlobStore>> FileBlobStore::Open(
    const std::filesystem::path& path, const FileStoreOptions& options) {
  return internal::OpenFileBlobStore(path, options,
                                     internal::DefaultFileEnv());
}

Result<bool> IsOnNetworkFilesystem(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return InvalidArgumentError("cannot make the path absolute");
  return internal::NetworkCheck(internal::DefaultFileEnv(), absolute);
}

}  // namespace tokencache
