# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# package.custom_backend: builds examples/custom_backend, an out-of-tree
# backend project, against the staging install (find_package only; it is
# never part of the main build) and runs it: the conformance kit over its
# directory BlobStore, then its scheme through a BackendRegistry. Included
# from tests/package/CMakeLists.txt, which defines _tc_stage and the
# tokencache_stage fixture.

add_test(NAME package.custom_backend
  COMMAND "${CMAKE_CTEST_COMMAND}"
    --build-and-test "${PROJECT_SOURCE_DIR}/examples/custom_backend"
                     "${CMAKE_CURRENT_BINARY_DIR}/custom_backend"
    --build-generator "${CMAKE_GENERATOR}"
    --build-makeprogram "${CMAKE_MAKE_PROGRAM}"
    --build-options
      "-DCMAKE_PREFIX_PATH=${_tc_stage}"
      "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
      "-DCMAKE_BUILD_TYPE=Release"
      "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"
      "-DEXPECTED_PREFIX=${_tc_stage}"
    --test-command "${CMAKE_CTEST_COMMAND}" --output-on-failure)
set_tests_properties(package.custom_backend PROPERTIES
  FIXTURES_REQUIRED tokencache_stage
  LABELS "package;example")
