# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# binary_fuzz: libFuzzer target Z1(2), the binary format's record and
# snapshot decoders with a round-trip oracle (fuzz/binary_fuzz.cc).
# Include from fuzz/CMakeLists.txt (clang, TOKENCACHE_BUILD_FUZZ=ON):
#   include(${CMAKE_CURRENT_LIST_DIR}/binary.cmake)
# The serializer's sources are compiled into the target itself so that the
# decoder gets libFuzzer's coverage instrumentation whatever flags the
# library was built with. Run:
#   binary_fuzz -timeout=2 -rss_limit_mb=1024 -max_total_time=60 \
#     <scratch corpus dir> fuzz/corpus/binary
# The corpus is replayed in every build by the binary_fuzz_replay test
# (tests/serializers_binary/CMakeLists.txt).

if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(WARNING "binary_fuzz needs clang (libFuzzer); not built.")
  return()
endif()

get_filename_component(_tc_binary_root "${CMAKE_CURRENT_LIST_DIR}/.."
                       ABSOLUTE)
add_executable(binary_fuzz
  ${_tc_binary_root}/fuzz/binary_fuzz.cc
  ${_tc_binary_root}/serializers/binary/binary_codec.cc
  ${_tc_binary_root}/serializers/binary/binary_record.cc
  ${_tc_binary_root}/serializers/binary/binary_snapshot.cc)
target_include_directories(binary_fuzz PRIVATE
  ${_tc_binary_root} ${_tc_binary_root}/include)
target_link_libraries(binary_fuzz PRIVATE tokencache::core
                      tokencache_dep_sodium)
target_compile_options(binary_fuzz PRIVATE
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer)
target_link_options(binary_fuzz PRIVATE
  -fsanitize=fuzzer,address,undefined)
