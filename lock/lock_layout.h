// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Byte layout of the lock file and the backoff used while polling the
// kernel (there is no timed OFD or LockFileEx call).
//
//   [0]                        reserved, covered by the whole lock
//   [1, 1 + kKeySlots)         one byte per key slot
//   kWholeLength = 1 + kKeySlots: the whole lock is [0, kWholeLength)
//   kRecoveryByte              serializes removal of a stale MSAL lockfile;
//                              outside the whole range so that it never
//                              waits for (or blocks) ordinary holders.
//
// The layout is part of the on-disk protocol between processes: changing
// a constant or the key hash makes old and new versions stop excluding
// each other.

#ifndef TOKENCACHE_LOCK_LOCK_LAYOUT_H_
#define TOKENCACHE_LOCK_LOCK_LAYOUT_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string_view>
#include <thread>

#include "tokencache/lock.h"

namespace tokencache {
namespace internal {

inline constexpr std::uint64_t kKeySlots = std::uint64_t{1} << 30;
inline constexpr std::uint64_t kWholeLength = 1 + kKeySlots;
inline constexpr std::uint64_t kRecoveryByte = kWholeLength + 4096;

// Returns the slot of `key`: BLAKE2b with an 8-byte digest (libsodium),
// reduced mod kKeySlots. Stable across processes, builds and versions.
std::uint64_t KeySlot(std::string_view key);

// Returns the byte offset guarding `slot` (from KeySlot).
inline std::uint64_t KeyByteOffset(std::uint64_t slot) { return 1 + slot; }

// Jittered exponential backoff between kernel lock attempts: 50 us
// doubling to 2 ms, and 8 ms once the wait has lasted a second, so a dead
// holder is noticed within milliseconds while a long wait for a hung one
// costs little CPU. Never sleeps past the deadline.
class Backoff {
 public:
  explicit Backoff(Deadline deadline)
      : deadline_(deadline),
        start_(std::chrono::steady_clock::now()),
        rng_(static_cast<std::uint32_t>(
            static_cast<std::uint64_t>(
                std::chrono::steady_clock::now().time_since_epoch().count()) ^
            static_cast<std::uint64_t>(
                reinterpret_cast<std::uintptr_t>(this)))) {}

  // Sleeps once. Returns false, without sleeping, when the deadline has
  // passed.
  bool Wait() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) return false;
    const std::chrono::microseconds cap =
        now - start_ > std::chrono::seconds(1) ? std::chrono::microseconds(8000)
                                               : std::chrono::microseconds(2000);
    std::uniform_int_distribution<std::int64_t> jitter(step_.count() / 2,
                                                       step_.count());
    std::chrono::steady_clock::duration pause =
        std::chrono::microseconds(jitter(rng_));
    pause = std::min<std::chrono::steady_clock::duration>(pause,
                                                          deadline_ - now);
    std::this_thread::sleep_for(pause);
    step_ = std::min(step_ * 2, cap);
    return true;
  }

 private:
  Deadline deadline_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::microseconds step_{50};
  std::minstd_rand rng_;
};

}  // namespace internal
}  // namespace tokencache

#endif  // TOKENCACHE_LOCK_LOCK_LAYOUT_H_
