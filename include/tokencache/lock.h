// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Lock is how a cache excludes concurrent writers, across processes and
// across threads of one process. Acquire() returns a LockHandle that holds
// the lock until it is destroyed. Shared holders exclude exclusive ones and
// not each other. Every acquisition takes a deadline; a holder that dies is
// released by the operating system.
//
// The built-in implementation (lock/file_lock.h, not part of this header)
// uses OFD locks on a lock file that is never deleted, plus an in-process
// table. SDK authors may supply their own (a Redis lease, a named mutex).
//
// Thread safety: Acquire may be called from several threads at once; each
// LockHandle belongs to the thread that holds it until it is destroyed.

#ifndef TOKENCACHE_LOCK_H_
#define TOKENCACHE_LOCK_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "tokencache/export.h"
#include "tokencache/status.h"

namespace tokencache {

using Deadline = std::chrono::steady_clock::time_point;

enum class LockMode {
  kShared,     // Readers: many at once.
  kExclusive,  // A writer: alone.
};

// Releases the lock it stands for when destroyed.
class TOKENCACHE_EXPORT LockHandle {
 public:
  LockHandle() = default;
  LockHandle(const LockHandle&) = delete;
  LockHandle& operator=(const LockHandle&) = delete;
  virtual ~LockHandle();
};

class TOKENCACHE_EXPORT Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  virtual ~Lock();

  // Short, stable name such as "file"; appears in error messages.
  virtual std::string_view Name() const = 0;

  // Acquires the whole lock in `mode`, waiting no later than `deadline`.
  // Returns kLockTimeout when the deadline passes first; the lock of a live
  // holder is never broken.
  virtual Result<std::unique_ptr<LockHandle>> Acquire(LockMode mode,
                                                      Deadline deadline) = 0;

  // Acquires only the part of the lock that guards `key` (a partition, such
  // as one home account), so that work on other keys proceeds in parallel.
  // Whole-lock holders exclude every keyed holder and the reverse. The
  // default takes the whole lock.
  virtual Result<std::unique_ptr<LockHandle>> AcquireKey(std::string_view key,
                                                         LockMode mode,
                                                         Deadline deadline);
};

}  // namespace tokencache

#endif  // TOKENCACHE_LOCK_H_
