// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "directory_blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>

#include "tokencache/cache.h"
#include "tokencache/file_lock.h"
#include "tokencache/serializers/json.h"

namespace example {
namespace {

using tokencache::Blob;
using tokencache::BlobVersion;
using tokencache::Code;
using tokencache::Result;
using tokencache::SecretBytes;
using tokencache::Status;

constexpr char kMagic[] = "tcdir ";

Status OsError(const std::string& what, int err) {
  const Code code = err == EACCES || err == EPERM || err == ELOOP
                        ? Code::kPermissionDenied
                    : err == ENOSPC || err == EDQUOT ? Code::kResourceExhausted
                                                     : Code::kIoError;
  return Status(code, what + ": " + std::strerror(err), err);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.size() > 200) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                    c == '.';
    if (!ok) return false;
  }
  return true;
}

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<DirectoryBlobStore>> DirectoryBlobStore::Open(
    const std::filesystem::path& dir, std::string_view name) {
  if (!ValidName(name)) {
    return tokencache::InvalidArgumentError(
        "dirstore: the cache name must be letters, digits, '-', '_' or '.'");
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return OsError("dirstore: cannot create the directory", errno);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return OsError("dirstore: cannot inspect the directory", errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status(Code::kPermissionDenied,
                  "dirstore: the path is not a directory (or is a symlink)");
  }
  std::filesystem::path file = dir / (std::string(name) + ".cache");
  return std::unique_ptr<DirectoryBlobStore>(
      new DirectoryBlobStore(dir, std::move(file)));
}

Result<std::optional<Blob>> DirectoryBlobStore::Load(bool body) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Blob>();
    return OsError("dirstore: cannot open the cache file", errno);
  }
  // A renamed-in file is complete, so reading to the end of this open
  // file gives one whole version even while a writer replaces the name.
  SecretBytes data;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return OsError("dirstore: cannot read the cache file", err);
    }
    if (n == 0) break;
    data.Append(std::string_view(chunk, static_cast<std::size_t>(n)));
    const std::string_view seen = data.view();
    if (!body && seen.find('\n') != std::string_view::npos) break;
  }
  ::close(fd);
  const std::string_view all = data.view();
  const std::size_t magic = sizeof kMagic - 1;
  const std::size_t eol = all.find('\n');
  if (all.substr(0, magic) != kMagic || eol == std::string_view::npos ||
      eol == magic || eol - magic > 19) {
    return tokencache::CorruptedError("dirstore: the file header is damaged");
  }
  // At most 19 digits, so that the generation fits in 64 bits.
  const std::string_view digits = all.substr(magic, eol - magic);
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return tokencache::CorruptedError(
          "dirstore: the file header is damaged");
    }
  }
  Blob blob;
  blob.version.opaque = std::string(digits);
  if (body) blob.bytes = SecretBytes(all.substr(eol + 1));
  return std::optional<Blob>(std::move(blob));
}

Result<std::optional<Blob>> DirectoryBlobStore::DoRead() { return Load(true); }

Result<BlobVersion> DirectoryBlobStore::DoPeekVersion() {
  Result<std::optional<Blob>> head = Load(false);
  if (!head.ok()) return head.status();
  if (!head->has_value()) return BlobVersion{};
  return (*head)->version;
}

Result<BlobVersion> DirectoryBlobStore::DoWrite(
    std::string_view bytes, const std::optional<BlobVersion>& expected) {
  std::lock_guard<std::mutex> guard(write_mu_);
  Result<BlobVersion> current = DoPeekVersion();
  if (!current.ok()) return current.status();
  if (expected.has_value() && *expected != *current) {
    return Status(Code::kConflict, "dirstore: another writer got there first");
  }
  const std::uint64_t generation =
      current->opaque.empty() ? 1 : std::stoull(current->opaque) + 1;
  const std::string header = kMagic + std::to_string(generation) + "\n";

  std::random_device random;
  const std::filesystem::path temp =
      dir_ / ("." + path_.filename().string() + "." +
              std::to_string(::getpid()) + "." + std::to_string(random()) +
              ".tmp");
  const int fd = ::open(temp.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                        0600);
  if (fd < 0) return OsError("dirstore: cannot create a temporary file", errno);
  if (!WriteAll(fd, header) || !WriteAll(fd, bytes) || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return OsError("dirstore: cannot write the temporary file", err);
  }
  if (::close(fd) != 0 || ::rename(temp.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return OsError("dirstore: cannot replace the cache file", err);
  }
  // Make the rename itself durable.
  const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return BlobVersion{std::to_string(generation)};
}

Status RegisterDirectoryBackend(tokencache::BackendRegistry& registry) {
  return registry.Register(
      "dirstore",
      [](const tokencache::CacheUri& uri,
         const tokencache::CacheOptions& options)
          -> Result<std::unique_ptr<tokencache::Cache>> {
        if (Status s = uri.CheckOptions({"name"}); !s.ok()) return s;
        if (!uri.authority.empty() || uri.path.empty()) {
          return tokencache::InvalidArgumentError(
              "dirstore: write dirstore:///absolute/dir?name=cache");
        }
        const std::string name = uri.Option("name").value_or("msal_cache");
        Result<std::unique_ptr<DirectoryBlobStore>> store =
            DirectoryBlobStore::Open(uri.path, name);
        if (!store.ok()) return store.status();
        Result<std::unique_ptr<tokencache::Lock>> lock =
            tokencache::NewFileLock(std::filesystem::path(uri.path) /
                                    (name + ".lock"));
        if (!lock.ok()) return lock.status();
        return tokencache::Cache::Open(std::move(*store),
                                       tokencache::NewMsalJsonSerializer(),
                                       std::move(*lock), options);
      });
}

}  // namespace example
