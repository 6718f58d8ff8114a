// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/file/file_blob_store.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "backends/file/file_common.h"

namespace tokencache {
namespace internal {
namespace {

// How often Read retries when a foreign writer changes the file while it
// is being read.
constexpr int kReadAttempts = 4;

// Consecutive EINTRs tolerated by one read or write loop. A signal storm
// that never lets a call finish is reported rather than spun on.
constexpr int kMaxEintr = 64;






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

  void CleanTemps() {
    internal::CleanTemps(env_, dir_fd_, temp_prefix_);
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
    Result<int> created =
        CreateTemp(env_, dir_fd_, temp_prefix_, path_, &temp);
    if (!created.ok()) return created.status();
    const int fd = *created;

    // Abandons the temp file: the old cache is untouched.
    auto fail = [&](Status status) -> Status {
      env_.close(fd);
      env_.unlinkat(dir_fd_, temp.c_str(), 0);
      ReleaseTemp(temp);
      return status;
    };

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
    ReleaseTemp(temp);
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



Result<std::unique_ptr<BlobStore>> OpenFileBlobStore(
    const std::filesystem::path& path, const FileStoreOptions& options,
    const FileEnv& env) {
  Result<CacheDirectory> dir =
      OpenCacheDirectory(path, options.refuse_network_fs,
                         options.create_parent_directories, env);
  if (!dir.ok()) return dir.status();
  auto store = std::make_unique<PosixFileBlobStore>(env, dir->fd, dir->dir,
                                                    dir->name);
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
