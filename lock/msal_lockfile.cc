// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "lock/msal_lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "lock/lock_layout.h"

namespace tokencache {
namespace internal {
namespace {

Status OsError(const std::string& what, const std::string& path, int err) {
  Code code = (err == EACCES || err == EPERM) ? Code::kPermissionDenied
                                              : Code::kIoError;
  return Status(code, what + " '" + path + "': " + std::strerror(err), err);
}

Status SymlinkRefused(const std::string& path) {
  return Status(Code::kPermissionDenied,
                "symlink refused at MSAL lock file '" + path + "'", ELOOP);
}

std::optional<long long> ParsePid(std::string_view content) {
  std::size_t i = 0;
  while (i < content.size() &&
         (content[i] == ' ' || content[i] == '\t' || content[i] == '\n' ||
          content[i] == '\r')) {
    ++i;
  }
  long long pid = 0;
  std::size_t digits = 0;
  while (i < content.size() && content[i] >= '0' && content[i] <= '9' &&
         digits < 10) {
    pid = pid * 10 + (content[i] - '0');
    ++i;
    ++digits;
  }
  // A value pid_t cannot hold is no pid at all: casting it would wrap to
  // another process (4294967297 -> 1, "live" forever) or to a negative
  // number that kill() reads as a process group.
  if (digits == 0 || pid <= 0 ||
      pid > static_cast<long long>(std::numeric_limits<pid_t>::max())) {
    return std::nullopt;
  }
  // Anything after the pid must be a separator ("<pid> <name>" in .NET
  // and Python, "<pid>" in Node).
  if (i < content.size() && content[i] != ' ' && content[i] != '\n' &&
      content[i] != '\r' && content[i] != '\t') {
    return std::nullopt;
  }
  return pid;
}

std::optional<long long> BootTime() {
  std::ifstream stat_file("/proc/stat");
  std::string word;
  while (stat_file >> word) {
    if (word == "btime") {
      long long btime = 0;
      if (stat_file >> btime) return btime;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

struct FileState {
  std::string content;
  struct stat st;
};

// Reads the lock file without following a symlink. nullopt + OK = gone.
Result<std::optional<FileState>> ReadLockfile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<FileState>();
    if (errno == ELOOP) return SymlinkRefused(path);
    return OsError("cannot open MSAL lock file", path, errno);
  }
  FileState state;
  if (fstat(fd, &state.st) != 0) {
    int err = errno;
    close(fd);
    return OsError("cannot stat MSAL lock file", path, err);
  }
  char buffer[128];
  ssize_t n;
  do {
    n = read(fd, buffer, sizeof(buffer));
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n > 0) state.content.assign(buffer, static_cast<std::size_t>(n));
  return std::optional<FileState>(std::move(state));
}

// Identifies the file at `path` (not following a symlink), or nullopt.
std::optional<MsalLockfileOwnership> IdentityOf(const std::string& path) {
  struct statx stx;
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW,
            STATX_INO | STATX_BTIME | STATX_CTIME, &stx) != 0) {
    return std::nullopt;
  }
  MsalLockfileOwnership id;
  id.device = (static_cast<std::uint64_t>(stx.stx_dev_major) << 32) |
              stx.stx_dev_minor;
  id.inode = stx.stx_ino;
  const struct statx_timestamp& born =
      (stx.stx_mask & STATX_BTIME) != 0 ? stx.stx_btime : stx.stx_ctime;
  id.born_sec = born.tv_sec;
  id.born_nsec = born.tv_nsec;
  return id;
}

bool SameFile(const MsalLockfileOwnership& a, const MsalLockfileOwnership& b) {
  return a.device == b.device && a.inode == b.inode &&
         a.born_sec == b.born_sec && a.born_nsec == b.born_nsec;
}

}  // namespace

std::optional<double> ProcessStartTime(pid_t pid) {
  std::ifstream stat_file("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream buffer;
  buffer << stat_file.rdbuf();
  std::string line = buffer.str();
  // comm (field 2) may contain spaces and parentheses: fields resume after
  // the last ')'.
  std::size_t close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close_paren + 1));
  std::string field;
  // Field 3 (state) is the first after ')'; starttime is field 22.
  for (int index = 3; index < 22; ++index) {
    if (!(fields >> field)) return std::nullopt;
  }
  unsigned long long ticks = 0;
  if (!(fields >> ticks)) return std::nullopt;
  std::optional<long long> boot = BootTime();
  long hz = sysconf(_SC_CLK_TCK);
  if (!boot || hz <= 0) return std::nullopt;
  return static_cast<double>(*boot) +
         static_cast<double>(ticks) / static_cast<double>(hz);
}

bool MsalLockfileIsStale(std::string_view content, std::time_t mtime_seconds) {
  std::optional<long long> pid = ParsePid(content);
  if (!pid) {
    return std::time(nullptr) - mtime_seconds > kUnparsableGraceSeconds;
  }
  if (kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH) return true;
  // The pid exists (EPERM also means it exists). Was it recycled?
  std::optional<double> start = ProcessStartTime(static_cast<pid_t>(*pid));
  if (!start) {
    // It may have exited between kill() and the read of /proc.
    return kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH;
  }
  return *start > static_cast<double>(mtime_seconds) + kStartTimeSlackSeconds;
}

Result<std::optional<MsalLockfileOwnership>> TryTakeMsalLockfile(
    const std::string& path, int guard_fd) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = open(path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // Nobody else removes a live lockfile, so the path is still ours.
      std::optional<MsalLockfileOwnership> id = IdentityOf(path);
      std::string content = std::to_string(getpid()) + " tokencache";
      ssize_t written = 0;
      do {
        written = write(fd, content.data(), content.size());
      } while (written < 0 && errno == EINTR);
      int err = errno;
      close(fd);
      if (!id || written != static_cast<ssize_t>(content.size())) {
        // Do not leave a file we could not fill: it would look live for
        // the grace period to everyone else.
        if (id) ReleaseMsalLockfile(path, *id);
        return OsError("cannot write MSAL lock file", path,
                       err != 0 ? err : EIO);
      }
      return id;
    }
    if (errno == ELOOP) return SymlinkRefused(path);
    if (errno != EEXIST) {
      return OsError("cannot create MSAL lock file", path, errno);
    }
    if (attempt > 0) break;

    // Somebody holds it. Stale?
    Result<std::optional<FileState>> state = ReadLockfile(path);
    if (!state.ok()) return state.status();
    if (!state->has_value()) continue;  // Just released: try again.
    if (!MsalLockfileIsStale((*state)->content, (*state)->st.st_mtime)) {
      return std::optional<MsalLockfileOwnership>();
    }

    // Remove it, but only under the recovery byte, and only after judging
    // again under it: another recoverer may have replaced it meanwhile.
    struct flock guard;
    std::memset(&guard, 0, sizeof(guard));
    guard.l_type = F_WRLCK;
    guard.l_whence = SEEK_SET;
    guard.l_start = static_cast<off_t>(kRecoveryByte);
    guard.l_len = 1;
    if (fcntl(guard_fd, F_OFD_SETLK, &guard) != 0) {
      if (errno == EAGAIN || errno == EACCES || errno == EINTR) {
        return std::optional<MsalLockfileOwnership>();
      }
      return OsError("cannot lock recovery byte for", path, errno);
    }
    Result<std::optional<FileState>> again = ReadLockfile(path);
    Status outcome;
    if (!again.ok()) {
      outcome = again.status();
    } else if (again->has_value() &&
               MsalLockfileIsStale((*again)->content,
                                   (*again)->st.st_mtime)) {
      struct stat now;
      if (lstat(path.c_str(), &now) == 0 &&
          now.st_ino == (*again)->st.st_ino &&
          now.st_dev == (*again)->st.st_dev &&
          now.st_ctim.tv_sec == (*again)->st.st_ctim.tv_sec &&
          now.st_ctim.tv_nsec == (*again)->st.st_ctim.tv_nsec) {
        if (unlink(path.c_str()) != 0 && errno != ENOENT) {
          outcome = OsError("cannot remove stale MSAL lock file", path, errno);
        }
      }
    }
    guard.l_type = F_UNLCK;
    // Unlocking a byte we hold cannot fail in a way we could act on.
    (void)fcntl(guard_fd, F_OFD_SETLK, &guard);
    if (!outcome.ok()) return outcome;
  }
  return std::optional<MsalLockfileOwnership>();
}

void ReleaseMsalLockfile(const std::string& path,
                         const MsalLockfileOwnership& ownership) {
  std::optional<MsalLockfileOwnership> now = IdentityOf(path);
  // Someone (an MSAL app's unlock bug, a recoverer) replaced our file:
  // that one is not ours to delete.
  if (!now || !SameFile(*now, ownership)) return;
  (void)unlink(path.c_str());
}

}  // namespace internal
}  // namespace tokencache
