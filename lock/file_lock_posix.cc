// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// NewFileLock for POSIX systems. Linux uses OFD byte-range locks; macOS
// (__APPLE__) falls back to flock(), which locks the whole file only, so
// there keyed acquisitions of different keys in different processes
// serialize. The macOS path compiles by construction but has not been
// built or tested on macOS; MSAL lockfile interop is Linux-only.

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lock/lock_layout.h"
#include "lock/lock_table.h"
#include "lock/writer_queue.h"
#include "tokencache/file_lock.h"

#if defined(__linux__)
#include "lock/msal_lockfile.h"
#define TOKENCACHE_HAVE_OFD_LOCKS 1
#endif

namespace tokencache {
namespace {

using internal::Backoff;
using internal::FileId;
using internal::kWholeLength;
using internal::kWholeSlot;
using internal::LockTableEntry;

Status OsError(const std::string& what, const std::string& path, int err) {
  Code code = (err == EACCES || err == EPERM) ? Code::kPermissionDenied
                                              : Code::kIoError;
  return Status(code, what + " '" + path + "': " + std::strerror(err), err);
}

Status SymlinkRefused(const std::string& path) {
  return Status(Code::kPermissionDenied,
                "symlink refused at lock path '" + path + "'", ELOOP);
}

// mkdir -p for the missing parents of `path`, each created 0700. Existing
// directories are left as they are.
Status CreateParents(const std::filesystem::path& path) {
  std::filesystem::path parent = path.parent_path();
  if (parent.empty()) return Status();
  std::filesystem::path partial;
  for (const std::filesystem::path& part : parent) {
    partial /= part;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return OsError("cannot create directory", partial.string(), errno);
    }
  }
  return Status();
}

Result<int> OpenLockFile(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ELOOP) return SymlinkRefused(path);
    return OsError("cannot open lock file", path, errno);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return OsError("cannot stat lock file", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Status(Code::kPermissionDenied,
                  "lock path '" + path + "' is not a regular file");
  }
  // The umask may have narrowed the mode, and an older file may be wider:
  // ours is exactly 0600. A file of another user is left alone.
  if ((st.st_mode & 07777) != 0600 && st.st_uid == geteuid()) {
    (void)fchmod(fd, 0600);
  }
  return fd;
}

// Tries the kernel lock once: 0 when taken, EAGAIN when busy, or errno.
int TryKernelLock(int fd, std::uint64_t slot, LockMode mode) {
#if defined(TOKENCACHE_HAVE_OFD_LOCKS)
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = mode == LockMode::kShared ? F_RDLCK : F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (slot == kWholeSlot) {
    fl.l_start = 0;
    fl.l_len = static_cast<off_t>(kWholeLength);
  } else {
    fl.l_start = static_cast<off_t>(internal::KeyByteOffset(slot));
    fl.l_len = 1;
  }
  fl.l_pid = 0;  // Required by OFD locks.
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
  if (errno == EAGAIN || errno == EACCES) return EAGAIN;
  return errno;
#else
  (void)slot;
  int op = (mode == LockMode::kShared ? LOCK_SH : LOCK_EX) | LOCK_NB;
  if (flock(fd, op) == 0) return 0;
  if (errno == EWOULDBLOCK) return EAGAIN;
  return errno;
#endif
}

bool KernelUnlock(int fd, std::uint64_t slot) {
#if defined(TOKENCACHE_HAVE_OFD_LOCKS)
  struct flock fl;
  std::memset(&fl, 0, sizeof(fl));
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  if (slot == kWholeSlot) {
    fl.l_start = 0;
    fl.l_len = static_cast<off_t>(kWholeLength);
  } else {
    fl.l_start = static_cast<off_t>(internal::KeyByteOffset(slot));
    fl.l_len = 1;
  }
  return fcntl(fd, F_OFD_SETLK, &fl) == 0;
#else
  (void)slot;
  return flock(fd, LOCK_UN) == 0;
#endif
}

// True when `fd` still refers to the file at `path`. Someone may have
// deleted or replaced the lock file (we never do); a lock on an unlinked
// inode would exclude nobody who opens the path afterwards.
bool StillAtPath(int fd, const std::string& path) {
  struct stat by_fd;
  struct stat by_path;
  if (fstat(fd, &by_fd) != 0 || lstat(path.c_str(), &by_path) != 0) {
    return false;
  }
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

// State shared by a Lock and the handles it gave out (a handle may
// outlive its Lock).
class SharedState {
 public:
  SharedState(std::string path, FileLockOptions options,
              std::shared_ptr<LockTableEntry> table)
      : path_(std::move(path)),
        options_(std::move(options)),
        table_(std::move(table)) {}
  ~SharedState() {
    for (int fd : idle_fds_) close(fd);
  }

  const std::string& path() const { return path_; }
  const FileLockOptions& options() const { return options_; }
  LockTableEntry& table() { return *table_; }

  // The queue that orders whole-file exclusive holders (writer_queue.h),
  // in the first page of the lock file itself; nullptr when it cannot be
  // mapped (then the lock works unordered, as before).
  internal::WriterQueue* queue() {
    std::call_once(queue_once_, [this] {
      queue_ = internal::WriterQueue::Open(path_);
    });
    return queue_.get();
  }

  // A descriptor with no lock on it: each acquisition gets its own open
  // file description, so OFD locks of different acquisitions never merge.
  Result<int> TakeFd() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_fds_.empty()) {
        int fd = idle_fds_.back();
        idle_fds_.pop_back();
        return fd;
      }
    }
    return OpenLockFile(path_);
  }

  void ReturnFd(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_fds_.size() < kMaxIdleFds) {
      idle_fds_.push_back(fd);
    } else {
      close(fd);
    }
  }

 private:
  static constexpr std::size_t kMaxIdleFds = 4;

  const std::string path_;
  const FileLockOptions options_;
  const std::shared_ptr<LockTableEntry> table_;
  std::mutex mu_;
  std::vector<int> idle_fds_;  // Guarded by mu_.
  std::once_flag queue_once_;
  std::unique_ptr<internal::WriterQueue> queue_;
};

class FileLockHandle : public LockHandle {
 public:
  FileLockHandle(std::shared_ptr<SharedState> state, int fd,
                 std::uint64_t slot, LockMode mode,
                 std::optional<internal::WriterQueue::Turn> turn)
      : state_(std::move(state)),
        fd_(fd),
        slot_(slot),
        mode_(mode),
        turn_(std::move(turn)) {}

  ~FileLockHandle() override {
#if defined(TOKENCACHE_HAVE_OFD_LOCKS)
    if (msal_) {
      internal::ReleaseMsalLockfile(state_->options().msal_lockfile.string(),
                                    *msal_);
    }
#endif
    if (KernelUnlock(fd_, slot_)) {
      state_->ReturnFd(fd_);
    } else {
      close(fd_);  // Closing the only descriptor releases the lock too.
    }
    // After the kernel lock: the next in line finds it free.
    if (turn_.has_value()) turn_->Leave();
    state_->table().Release(slot_, mode_);
  }

#if defined(TOKENCACHE_HAVE_OFD_LOCKS)
  void set_msal(internal::MsalLockfileOwnership ownership) {
    msal_ = ownership;
  }
#endif

 private:
  std::shared_ptr<SharedState> state_;
  int fd_;
  std::uint64_t slot_;
  LockMode mode_;
  std::optional<internal::WriterQueue::Turn> turn_;
#if defined(TOKENCACHE_HAVE_OFD_LOCKS)
  std::optional<internal::MsalLockfileOwnership> msal_;
#endif
};

class PosixFileLock : public Lock {
 public:
  explicit PosixFileLock(std::shared_ptr<SharedState> state)
      : state_(std::move(state)) {}

  std::string_view Name() const override { return "file"; }

  Result<std::unique_ptr<LockHandle>> Acquire(LockMode mode,
                                              Deadline deadline) override {
    return AcquireSlot(kWholeSlot, mode, deadline);
  }

  Result<std::unique_ptr<LockHandle>> AcquireKey(std::string_view key,
                                                 LockMode mode,
                                                 Deadline deadline) override {
    return AcquireSlot(internal::KeySlot(key), mode, deadline);
  }

 private:
  Result<std::unique_ptr<LockHandle>> AcquireSlot(std::uint64_t slot,
                                                  LockMode mode,
                                                  Deadline deadline) {
    const std::string& path = state_->path();
    if (!state_->table().Acquire(slot, mode, deadline)) {
      return Status(Code::kLockTimeout,
                    "timed out waiting for lock '" + path +
                        "' (held by another thread of this process)");
    }
    // From here on every failure must give the table hold back.
    // Whole-file writers (a cache update) line up first: the kernel lock
    // below is polled, which lets a writer that just let go take it again
    // ahead of one that has waited long (writer_queue.h).
    // Without a turn (a try, or the deadline passed in the queue) the
    // kernel lock is still tried: the queue orders, it never refuses.
    std::optional<internal::WriterQueue::Turn> turn;
    if (slot == kWholeSlot && mode == LockMode::kExclusive &&
        state_->queue() != nullptr) {
      turn = state_->queue()->Enter(deadline);
    }
    Result<int> fd = state_->TakeFd();
    if (!fd.ok()) {
      state_->table().Release(slot, mode);
      return fd.status();
    }
    Backoff backoff(deadline);
    while (true) {
      int rc = TryKernelLock(*fd, slot, mode);
      if (rc == 0) {
        if (StillAtPath(*fd, path)) break;
        // The file was replaced under us: start over on the new one.
        // close() drops the lock on the old inode.
        close(*fd);
        fd = OpenLockFile(path);
        if (!fd.ok()) {
          state_->table().Release(slot, mode);
          return fd.status();
        }
        continue;
      }
      if (rc == EINTR) continue;
      if (rc != EAGAIN) {
        close(*fd);
        state_->table().Release(slot, mode);
        return OsError("cannot lock", path, rc);
      }
      if (!backoff.Wait()) {
        state_->ReturnFd(*fd);
        state_->table().Release(slot, mode);
        return Status(Code::kLockTimeout,
                      "timed out waiting for lock '" + path + "'");
      }
    }
    auto handle = std::make_unique<FileLockHandle>(state_, *fd, slot, mode,
                                                   std::move(turn));
#if defined(TOKENCACHE_HAVE_OFD_LOCKS)
    if (state_->options().msal_lockfile_interop) {
      const std::string msal_path = state_->options().msal_lockfile.string();
      while (true) {
        Result<std::optional<internal::MsalLockfileOwnership>> taken =
            internal::TryTakeMsalLockfile(msal_path, *fd);
        // On failure `handle` releases the OS lock as it goes out of scope.
        if (!taken.ok()) return taken.status();
        if (taken->has_value()) {
          handle->set_msal(**taken);
          break;
        }
        if (!backoff.Wait()) {
          return Status(Code::kLockTimeout,
                        "timed out waiting for MSAL lock file '" + msal_path +
                            "' held by a live process");
        }
      }
    }
#endif
    return std::unique_ptr<LockHandle>(std::move(handle));
  }

  std::shared_ptr<SharedState> state_;
};

}  // namespace

Result<std::unique_ptr<Lock>> NewFileLock(
    const std::filesystem::path& lock_path, const FileLockOptions& options) {
  if (lock_path.empty() || lock_path.filename().empty()) {
    return InvalidArgumentError("lock path must name a file");
  }
  if (options.msal_lockfile_interop) {
#if !defined(TOKENCACHE_HAVE_OFD_LOCKS)
    return Status(Code::kNotSupported,
                  "MSAL lockfile interop is supported on Linux only");
#else
    if (options.msal_lockfile.empty()) {
      return InvalidArgumentError(
          "msal_lockfile_interop requires msal_lockfile");
    }
    struct stat st;
    if (lstat(options.msal_lockfile.c_str(), &st) == 0 &&
        S_ISLNK(st.st_mode)) {
      return Status(Code::kPermissionDenied,
                    "symlink refused at MSAL lock file '" +
                        options.msal_lockfile.string() + "'",
                    ELOOP);
    }
#endif
  }
  if (options.create_parent_directories) {
    Status created = CreateParents(lock_path);
    if (!created.ok()) return created;
  }
  const std::string path = lock_path.string();
  Result<int> fd = OpenLockFile(path);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (fstat(*fd, &st) != 0) {
    int err = errno;
    close(*fd);
    return OsError("cannot stat lock file", path, err);
  }
  FileId id{static_cast<std::uint64_t>(st.st_dev),
            static_cast<std::uint64_t>(st.st_ino)};
  auto state = std::make_shared<SharedState>(path, options,
                                             internal::LockTableFor(id));
  state->ReturnFd(*fd);
  return std::unique_ptr<Lock>(new PosixFileLock(std::move(state)));
}

}  // namespace tokencache
