// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "lock/lock_table.h"

#include <map>

namespace tokencache {
namespace internal {

bool LockTableEntry::ConflictsLocked(std::uint64_t slot,
                                     LockMode mode) const {
  const bool exclusive = mode == LockMode::kExclusive;
  if (whole_.exclusive) return true;
  if (slot == kWholeSlot) {
    // The whole lock covers every key byte, exactly like the kernel range.
    if (exclusive) return whole_.shared > 0 || keyed_holders_ > 0;
    return keyed_exclusive_ > 0;
  }
  if (exclusive && whole_.shared > 0) return true;
  auto it = keyed_.find(slot);
  if (it == keyed_.end()) return false;
  if (it->second.exclusive) return true;
  return exclusive && it->second.shared > 0;
}

bool LockTableEntry::Acquire(std::uint64_t slot, LockMode mode,
                             Deadline deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (ConflictsLocked(slot, mode)) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        ConflictsLocked(slot, mode)) {
      return false;
    }
  }
  const bool exclusive = mode == LockMode::kExclusive;
  if (slot == kWholeSlot) {
    if (exclusive) {
      whole_.exclusive = true;
    } else {
      ++whole_.shared;
    }
    return true;
  }
  SlotState& state = keyed_[slot];
  if (exclusive) {
    state.exclusive = true;
    ++keyed_exclusive_;
  } else {
    ++state.shared;
  }
  ++keyed_holders_;
  return true;
}

void LockTableEntry::Release(std::uint64_t slot, LockMode mode) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool exclusive = mode == LockMode::kExclusive;
    if (slot == kWholeSlot) {
      if (exclusive) {
        whole_.exclusive = false;
      } else {
        --whole_.shared;
      }
    } else {
      auto it = keyed_.find(slot);
      if (it != keyed_.end()) {
        if (exclusive) {
          it->second.exclusive = false;
          --keyed_exclusive_;
        } else {
          --it->second.shared;
        }
        --keyed_holders_;
        if (!it->second.exclusive && it->second.shared == 0) keyed_.erase(it);
      }
    }
  }
  // Waiters may wait for different slots, so wake them all.
  cv_.notify_all();
}

std::shared_ptr<LockTableEntry> LockTableFor(const FileId& id) {
  // Leaked on purpose: handles may be released by static destructors of
  // other translation units at exit, after a static map would be gone.
  static std::mutex* const mu = new std::mutex;
  static auto* const table =
      new std::map<FileId, std::weak_ptr<LockTableEntry>>;
  std::lock_guard<std::mutex> lock(*mu);
  std::weak_ptr<LockTableEntry>& slot = (*table)[id];
  std::shared_ptr<LockTableEntry> entry = slot.lock();
  if (entry == nullptr) {
    entry = std::make_shared<LockTableEntry>();
    slot = entry;
  }
  // Drop entries whose locks are all gone, so the map stays small in
  // processes that open many caches.
  for (auto it = table->begin(); it != table->end();) {
    if (it->second.expired()) {
      it = table->erase(it);
    } else {
      ++it;
    }
  }
  return entry;
}

}  // namespace internal
}  // namespace tokencache
