// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The in-process half of the file lock (cf. LevelDB's PosixLockTable).
// Kernel file locks would exclude threads on their own (OFD locks and
// LockFileEx belong to a descriptor, not a process), but a table lets
// threads of one process wait on a condition variable instead of polling
// the kernel, and it gives thread sanitizers the happens-before edges they
// cannot see through a kernel lock. One entry exists per lock file,
// identified by (device, inode), shared by every Lock object on that file.

#ifndef TOKENCACHE_LOCK_LOCK_TABLE_H_
#define TOKENCACHE_LOCK_LOCK_TABLE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "tokencache/lock.h"

namespace tokencache {
namespace internal {

// A slot is either the whole lock or one key byte.
inline constexpr std::uint64_t kWholeSlot = ~std::uint64_t{0};

struct FileId {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  friend bool operator<(const FileId& a, const FileId& b) {
    return a.device != b.device ? a.device < b.device : a.inode < b.inode;
  }
};

// The holders inside this process of one lock file. Thread-safe.
class LockTableEntry {
 public:
  LockTableEntry() = default;
  LockTableEntry(const LockTableEntry&) = delete;
  LockTableEntry& operator=(const LockTableEntry&) = delete;

  // Waits until no holder in this process conflicts with (`slot`, `mode`)
  // and records the hold. Returns false when `deadline` passed first (a
  // free slot is taken even after the deadline: that is a try-lock).
  bool Acquire(std::uint64_t slot, LockMode mode, Deadline deadline);

  // Forgets one hold recorded by Acquire and wakes the waiters.
  void Release(std::uint64_t slot, LockMode mode);

 private:
  struct SlotState {
    int shared = 0;
    bool exclusive = false;
  };

  bool ConflictsLocked(std::uint64_t slot, LockMode mode) const;

  std::mutex mu_;
  std::condition_variable cv_;
  SlotState whole_;          // Guarded by mu_.
  int keyed_holders_ = 0;    // Guarded by mu_. Keyed holds of any mode.
  int keyed_exclusive_ = 0;  // Guarded by mu_. Keyed exclusive holds.
  std::unordered_map<std::uint64_t, SlotState> keyed_;  // Guarded by mu_.
};

// Returns the entry for `id`, creating it if no Lock holds it now.
std::shared_ptr<LockTableEntry> LockTableFor(const FileId& id);

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_LOCK_LOCK_TABLE_H_
