// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The legacy MSAL lock protocol (msal-node, MSAL .NET and Python
// extensions): whoever creates "<cache>.lockfile" with O_CREAT|O_EXCL owns
// the cache until it deletes the file; the creator writes its pid into it.
// MSAL never detects a dead holder. We do: a file whose pid does not exist,
// or whose pid belongs to a process that started after the file was last
// written (the pid was recycled), is stale and may be removed. Linux only
// (it reads /proc).

#ifndef TOKENCACHE_LOCK_MSAL_LOCKFILE_H_
#define TOKENCACHE_LOCK_MSAL_LOCKFILE_H_

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "tokencache/status.h"

namespace tokencache {
namespace internal {

// What we created, so that we delete only that file. Inode numbers are
// reused at once after an unlink (ext4 does), so the birth time (statx
// STATX_BTIME; the ctime where the file system has no birth time) tells a
// new file at the same inode from ours.
struct MsalLockfileOwnership {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t born_sec = 0;
  std::uint32_t born_nsec = 0;
};

// A lock file whose content holds no pid is treated as live for this long
// after its last write (its creator may not have written the pid yet),
// and as stale afterwards.
inline constexpr int kUnparsableGraceSeconds = 2;

// A process that started more than this after the lock file's mtime
// cannot have written it. The slack covers /proc's one-second boot time
// and clock-tick resolution.
inline constexpr int kStartTimeSlackSeconds = 2;

// Returns true when a lock file with `content`, last modified at
// `mtime_seconds`, belongs to no live process. Reads /proc; when that
// fails the holder is presumed live (never break a live lock).
bool MsalLockfileIsStale(std::string_view content, std::time_t mtime_seconds);

// Returns the start time of process `pid` in seconds since the epoch, or
// nullopt when it cannot be read.
std::optional<double> ProcessStartTime(pid_t pid);

// Tries once to create `path`. Returns the ownership when created,
// nullopt when a live holder has it (or another thread is recovering it).
// A stale file is removed first, while holding an OFD lock on
// kRecoveryByte of `guard_fd` so that two recoverers never remove each
// other's fresh file. Errors: kPermissionDenied (symlink refused, EACCES),
// kIoError.
Result<std::optional<MsalLockfileOwnership>> TryTakeMsalLockfile(
    const std::string& path, int guard_fd);

// Deletes `path` if it is still the file described by `ownership`.
void ReleaseMsalLockfile(const std::string& path,
                         const MsalLockfileOwnership& ownership);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_LOCK_MSAL_LOCKFILE_H_
