// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Clock is where every expiry decision takes the current time from. The
// default reads the system clock; tests and SDKs that need a controlled time
// inject their own (ManualClock below). Implementations must be thread-safe.

#ifndef TOKENCACHE_CLOCK_H_
#define TOKENCACHE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "tokencache/export.h"

namespace tokencache {

// Seconds since the Unix epoch, UTC: the unit of every MSAL timestamp.
using UnixSeconds = std::int64_t;

class TOKENCACHE_EXPORT Clock {
 public:
  virtual ~Clock();
  // Returns the current wall-clock time in seconds since the Unix epoch.
  virtual UnixSeconds Now() const = 0;
};

// Returns the process-wide system clock. Never null; never destroyed.
TOKENCACHE_EXPORT std::shared_ptr<const Clock> SystemClock();

// A clock that only moves when told to. Thread-safe.
class TOKENCACHE_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixSeconds now) : now_(now) {}
  UnixSeconds Now() const override { return now_.load(); }
  void Set(UnixSeconds now) { now_.store(now); }
  void Advance(std::chrono::seconds by) { now_.fetch_add(by.count()); }

 private:
  std::atomic<UnixSeconds> now_;
};

}  // namespace tokencache

#endif  // TOKENCACHE_CLOCK_H_
