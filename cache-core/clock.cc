// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/clock.h"

#include <chrono>
#include <memory>

namespace tokencache {

Clock::~Clock() = default;

namespace {

class SystemClockImpl final : public Clock {
 public:
  UnixSeconds Now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

std::shared_ptr<const Clock> SystemClock() {
  // Leaked on purpose: a process-lifetime singleton with no destructor order
  // problems at exit.
  static const auto* const clock =
      new std::shared_ptr<const Clock>(std::make_shared<SystemClockImpl>());
  return *clock;
}

}  // namespace tokencache
