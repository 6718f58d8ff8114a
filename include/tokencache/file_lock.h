// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The built-in Lock: a lock file next to the cache (conventionally
// "<cache>.lock") that is created once and never deleted or truncated.
// On Linux it uses OFD locks (F_OFD_SETLK), which belong to an open file
// description, so threads and processes are excluded alike, a holder that
// dies is released by the kernel at once, and closing some other descriptor
// of the same file releases nothing. An in-process table keyed by the lock
// file's (device, inode) makes threads of one process queue on a condition
// variable instead of polling the kernel. Windows uses LockFileEx on a
// handle per acquisition; macOS falls back to flock() (whole-file only).
//
// Byte layout of the lock file (Linux and Windows): a keyed acquisition
// locks one byte at 1 + (BLAKE2b-64(key) mod 2^30); a whole acquisition
// locks the range [0, 1 + 2^30), which covers every key byte, so whole
// holders exclude keyed holders and the reverse through the kernel's own
// range-conflict rules (shared+shared is compatible, anything with an
// exclusive lock conflicts). Two different keys may share a byte; that
// only costs parallelism, never exclusion.
//
// Contents of the lock file (POSIX): its first 4 KiB hold a queue that
// orders whole exclusive acquisitions first come, first served across
// processes and threads (a magic word, ticket counters and the pids of the
// waiters; no cache data). The queue only orders, it never excludes: a try
// (a deadline already passed) skips it, a writer whose deadline passes in
// it still tries the lock, and a dead or stuck turn is passed over.
//
// Start with NewFileLock(). Thread safety: a Lock may be used from many
// threads at once; a LockHandle belongs to one thread until destroyed.

#ifndef TOKENCACHE_FILE_LOCK_H_
#define TOKENCACHE_FILE_LOCK_H_

#include <filesystem>
#include <memory>

#include "tokencache/export.h"
#include "tokencache/lock.h"
#include "tokencache/status.h"

namespace tokencache {

struct FileLockOptions {
  // Also honour the legacy lock file that MSAL .NET, Python and Node use,
  // so that tokencache can share a cache file with MSAL apps. Each
  // acquisition (shared ones too, because MSAL readers take it as well)
  // then, after the OS lock, creates `msal_lockfile` with O_CREAT|O_EXCL
  // and writes "<pid> tokencache" into it; the handle unlinks it on
  // release, and only if the path still names the file it created.
  // A lock file left by a dead process (its pid no longer exists, or the
  // process with that pid started after the file was last written, which
  // means the pid was recycled) is removed and taken over. A lock file of
  // a live process is never removed: the acquisition waits for it until
  // the deadline and then returns kLockTimeout. Interop serializes all
  // holders, shared ones included, as MSAL itself does.
  // Supported on Linux (and other POSIX systems with /proc); elsewhere
  // NewFileLock returns kNotSupported when this is set.
  // Default: false.
  bool msal_lockfile_interop = false;

  // The MSAL lock file, conventionally "<cache path>.lockfile".
  // REQUIRES: non-empty when msal_lockfile_interop is set.
  // Default: empty.
  std::filesystem::path msal_lockfile;

  // Creates missing parent directories of the lock file with mode 0700.
  // Default: true.
  bool create_parent_directories = true;
};

// Opens (creating it with mode 0600 if needed) the lock file at
// `lock_path` and returns a Lock over it. The file is never deleted or
// truncated by tokencache; keep it next to the cache.
//
// Errors: kInvalidArgument for an empty path or a missing msal_lockfile;
// kPermissionDenied when `lock_path` (or the MSAL lock file path) is a
// symbolic link ("symlink refused") or the OS denies access;
// kNotSupported when the OS lacks the needed lock calls or MSAL interop is
// unavailable here; kIoError for other OS failures.
//
// Acquire/AcquireKey of the returned Lock wait until `deadline` with
// bounded, jittered exponential backoff (50 us to 2 ms, later 8 ms), since
// the kernel has no timed lock; a deadline that has already passed makes
// the call a single try. They return kLockTimeout when the deadline passes,
// kIoError when a lock call fails for another reason. A handle must not
// outlive a fork() without exec in a child that keeps running: the child
// shares the open file description and with it the lock.
TOKENCACHE_EXPORT Result<std::unique_ptr<Lock>> NewFileLock(
    const std::filesystem::path& lock_path,
    const FileLockOptions& options = FileLockOptions());

}  // namespace tokencache

#endif  // TOKENCACHE_FILE_LOCK_H_
