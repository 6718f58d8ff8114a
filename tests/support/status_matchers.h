// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// REQUIRE_OK / CHECK_OK: assert that a Status or Result is OK and print the
// error when it is not.

#ifndef TOKENCACHE_TESTS_SUPPORT_STATUS_MATCHERS_H_
#define TOKENCACHE_TESTS_SUPPORT_STATUS_MATCHERS_H_

#include <catch2/catch.hpp>

#include "tokencache/status.h"

namespace tokencache {
namespace test {

inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}

}  // namespace test
}  // namespace tokencache

#define REQUIRE_OK(expr)                                              \
  do {                                                                \
    ::tokencache::Status _tc_s = ::tokencache::test::ToStatus(expr);  \
    INFO(#expr << " -> " << _tc_s.ToString());                        \
    REQUIRE(_tc_s.ok());                                              \
  } while (0)

#define CHECK_OK(expr)                                                \
  do {                                                                \
    ::tokencache::Status _tc_s = ::tokencache::test::ToStatus(expr);  \
    INFO(#expr << " -> " << _tc_s.ToString());                        \
    CHECK(_tc_s.ok());                                                \
  } while (0)

#endif  // TOKENCACHE_TESTS_SUPPORT_STATUS_MATCHERS_H_
