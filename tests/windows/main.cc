// Copyright 2026 The tokencache Authors.
// SPDX-License-Identifier: Apache-2.0
//
// Catch2's runner for the Windows tests, plus the child modes the
// multi-process cases start (the same .exe, run again under wine).

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <string>

#include "tests/windows/win_child.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--child") {
    return tokencache::test::RunChildMode(argc, argv);
  }
  return Catch::Session().run(argc, argv);
}
