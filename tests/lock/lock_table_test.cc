// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0

#include "lock/lock_table.h"

#include <catch2/catch.hpp>

#include <chrono>

#include "lock/lock_layout.h"

namespace tokencache {
namespace internal {
namespace {

Deadline Now() { return std::chrono::steady_clock::now(); }

TEST_CASE("The lock table applies the shared/exclusive and whole/key rules",
          "[lock][table]") {
  LockTableEntry entry;
  const std::uint64_t a = 1;
  const std::uint64_t b = 2;

  SECTION("keyed exclusive holds on different keys coexist") {
    REQUIRE(entry.Acquire(a, LockMode::kExclusive, Now()));
    CHECK(entry.Acquire(b, LockMode::kExclusive, Now()));
    CHECK_FALSE(entry.Acquire(a, LockMode::kShared, Now()));
    CHECK_FALSE(entry.Acquire(kWholeSlot, LockMode::kShared, Now()));
    CHECK_FALSE(entry.Acquire(kWholeSlot, LockMode::kExclusive, Now()));
  }
  SECTION("shared holds coexist at every level") {
    REQUIRE(entry.Acquire(kWholeSlot, LockMode::kShared, Now()));
    CHECK(entry.Acquire(kWholeSlot, LockMode::kShared, Now()));
    CHECK(entry.Acquire(a, LockMode::kShared, Now()));
    CHECK_FALSE(entry.Acquire(b, LockMode::kExclusive, Now()));
    CHECK_FALSE(entry.Acquire(kWholeSlot, LockMode::kExclusive, Now()));
  }
  SECTION("the whole exclusive lock excludes everything until released") {
    REQUIRE(entry.Acquire(kWholeSlot, LockMode::kExclusive, Now()));
    CHECK_FALSE(entry.Acquire(a, LockMode::kShared, Now()));
    CHECK_FALSE(entry.Acquire(kWholeSlot, LockMode::kShared, Now()));
    entry.Release(kWholeSlot, LockMode::kExclusive);
    CHECK(entry.Acquire(a, LockMode::kExclusive, Now()));
    entry.Release(a, LockMode::kExclusive);
    CHECK(entry.Acquire(kWholeSlot, LockMode::kExclusive, Now()));
  }
}

TEST_CASE("Different key strings usually get different slots, stably",
          "[lock][layout]") {
  CHECK(KeySlot("alice") == KeySlot("alice"));
  CHECK(KeySlot("alice") != KeySlot("bob"));
  CHECK(KeySlot("alice") < kKeySlots);
  CHECK(KeyByteOffset(KeySlot("bob")) < kWholeLength);
  CHECK(kRecoveryByte >= kWholeLength);
}

}  // namespace
}  // namespace internal
}  // namespace tokencache
