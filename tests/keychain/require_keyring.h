// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// The keychain tests need the private keyring bus that
// scripts/run_keyring.sh starts; without it they would test nothing, so
// they fail loudly instead of skipping.

#ifndef TOKENCACHE_TESTS_KEYCHAIN_REQUIRE_KEYRING_H_
#define TOKENCACHE_TESTS_KEYCHAIN_REQUIRE_KEYRING_H_

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

namespace tokencache {
namespace test {

inline void RequireKeyringBus() {
  const char* flag = std::getenv("TOKENCACHE_TEST_KEYRING");
  if (flag == nullptr || std::string(flag) != "1") {
    FAIL(
        "keychain tests must run under scripts/run_keyring.sh (a private "
        "D-Bus session with an unlocked gnome-keyring), e.g. "
        "scripts/run_keyring.sh ctest -L keychain, or scripts/test.sh");
  }
}

}  // namespace test
}  // namespace tokencache

#endif  // TOKENCACHE_TESTS_KEYCHAIN_REQUIRE_KEYRING_H_
