// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "backends/file/file_common.h"

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
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "backends/file/file_blob_store.h"

namespace tokencache {
namespace internal {
namespace {

// A temp file whose writer still runs is removed anyway once it is this
// old: its pid was recycled, or the writer is hung. Removing a live
// writer's temp is safe (its rename fails and it reports kIoError), only
// unkind, hence the generous age.
constexpr std::time_t kStaleTempAgeSeconds = 600;

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

bool IsInFlight(const std::string& name) {
  std::lock_guard<std::mutex> lock(InFlightMutex());
  return InFlight().count(name) > 0;
}

}  // namespace

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


Result<CacheDirectory> OpenCacheDirectory(const std::filesystem::path& path,
                                          bool refuse_network_fs,
                                          bool create_parent_directories,
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
  if (*network && refuse_network_fs) {
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
    if (!create_parent_directories) {
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
  CacheDirectory out;
  out.fd = dir_fd;
  out.dir = dir.string();
  out.name = name;
  return out;
}

Result<int> CreateTemp(const FileEnv& env, int dir_fd,
                       const std::string& prefix, const std::string& for_path,
                       std::string* temp_name) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string temp = prefix + std::to_string(getpid()) + "." + RandomHex();
    // Registered before it exists, so a concurrent CleanTemps in this
    // process never sees it unregistered.
    {
      std::lock_guard<std::mutex> lock(InFlightMutex());
      InFlight().insert(temp);
    }
    const int fd = env.openat(
        dir_fd, temp.c_str(),
        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // The umask may have taken bits from 0600; the mode is exactly 0600.
      if (env.fchmod(fd, 0600) != 0) {
        const int err = errno;
        env.close(fd);
        env.unlinkat(dir_fd, temp.c_str(), 0);
        ReleaseTemp(temp);
        return OsError("cannot chmod temp file for", for_path, err);
      }
      *temp_name = std::move(temp);
      return fd;
    }
    const int err = errno;
    ReleaseTemp(temp);
    // EEXIST: a name someone planted (or, astronomically rarely, ours
    // twice); ELOOP cannot happen with O_EXCL, which never follows.
    if (err != EEXIST) {
      return OsError("cannot create temp file next to", for_path, err);
    }
  }
  return Status(Code::kIoError,
                "cannot create a fresh temp file next to '" + for_path + "'");
}

void ReleaseTemp(const std::string& temp_name) {
  std::lock_guard<std::mutex> lock(InFlightMutex());
  InFlight().erase(temp_name);
}

void CleanTemps(const FileEnv& env, int dir_fd, const std::string& prefix) {
  int fd = env.openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return;
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    env.close(fd);
    return;
  }
  const pid_t self = getpid();
  const std::time_t now = std::time(nullptr);
  while (struct dirent* entry = readdir(dir)) {
    std::string_view entry_name(entry->d_name);
    if (entry_name.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = entry_name.substr(prefix.size());
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
      remove = env.fstatat(dir_fd, temp.c_str(), &st,
                            AT_SYMLINK_NOFOLLOW) == 0 &&
               now - st.st_mtim.tv_sec > kStaleTempAgeSeconds;
    }
    // unlinkat never follows a symlink planted at our prefix.
    if (remove) env.unlinkat(dir_fd, temp.c_str(), 0);
  }
  closedir(dir);  // Closes fd.
}

}  // namespace internal
}  // namespace tokencache
