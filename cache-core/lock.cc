// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "tokencache/lock.h"

namespace tokencache {

LockHandle::~LockHandle() = default;
Lock::~Lock() = default;

Result<std::unique_ptr<LockHandle>> Lock::AcquireKey(std::string_view /*key*/,
                                                     LockMode mode,
                                                     Deadline deadline) {
  return Acquire(mode, deadline);
}

}  // namespace tokencache
