# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# envelope_fuzz: libFuzzer target Z1(3), the encrypted envelope and header.
# Include from fuzz/CMakeLists.txt (clang, TOKENCACHE_BUILD_FUZZ=ON):
#   include(${CMAKE_CURRENT_LIST_DIR}/envelope.cmake)
# The crypto sources are compiled into the target itself so that the parser
# gets libFuzzer's coverage instrumentation, whatever flags the library was
# built with. Run: envelope_fuzz -timeout=2 -rss_limit_mb=1024 -max_total_time=60

add_executable(envelope_fuzz
  ${PROJECT_SOURCE_DIR}/fuzz/envelope_fuzz.cc
  ${PROJECT_SOURCE_DIR}/backends/crypto/cipher.cc
  ${PROJECT_SOURCE_DIR}/backends/crypto/encrypted_blob_store.cc
  ${PROJECT_SOURCE_DIR}/backends/crypto/envelope.cc
  ${PROJECT_SOURCE_DIR}/backends/crypto/key_source.cc
  ${PROJECT_SOURCE_DIR}/backends/crypto/secure_memory.cc)
target_include_directories(envelope_fuzz PRIVATE
  ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(envelope_fuzz PRIVATE tokencache::core
                      tokencache_dep_sodium)
target_compile_options(envelope_fuzz PRIVATE
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
target_link_options(envelope_fuzz PRIVATE
  -fsanitize=fuzzer,address,undefined)
