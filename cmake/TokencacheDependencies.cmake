# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Third-party dependencies, each as an IMPORTED target (so its headers are
# system includes and our strict warnings judge only our code). Every package
# named here is installed by scripts/setup.sh from Debian.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET GLOBAL libsodium>=1.0.18)
add_library(tokencache_dep_sodium INTERFACE IMPORTED GLOBAL)
target_link_libraries(tokencache_dep_sodium INTERFACE PkgConfig::SODIUM)

# rapidjson is header-only and used privately by the JSON code.
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(tokencache_dep_rapidjson INTERFACE IMPORTED GLOBAL)
target_include_directories(tokencache_dep_rapidjson SYSTEM INTERFACE
                           ${RAPIDJSON_INCLUDE_DIR})
# std::string-friendly APIs everywhere; SSE2 string scanning on x86-64 (every
# x86-64 CPU has SSE2). One definition for every user, so that rapidjson's
# inline functions are the same in every translation unit.
target_compile_definitions(tokencache_dep_rapidjson INTERFACE
                           RAPIDJSON_HAS_STDSTRING=1)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  target_compile_definitions(tokencache_dep_rapidjson INTERFACE RAPIDJSON_SSE2)
endif()

if(TOKENCACHE_WITH_LMDB)
  pkg_check_modules(LMDB IMPORTED_TARGET GLOBAL lmdb)
  if(NOT LMDB_FOUND)
    find_library(LMDB_LIBRARY lmdb REQUIRED)
    find_path(LMDB_INCLUDE_DIR lmdb.h REQUIRED)
    add_library(PkgConfig::LMDB UNKNOWN IMPORTED GLOBAL)
    set_target_properties(PkgConfig::LMDB PROPERTIES
      IMPORTED_LOCATION ${LMDB_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${LMDB_INCLUDE_DIR})
  endif()
endif()
if(TOKENCACHE_WITH_REDIS)
  pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET GLOBAL hiredis)
endif()
if(TOKENCACHE_WITH_KEYCHAIN AND UNIX AND NOT APPLE)
  pkg_check_modules(LIBSECRET REQUIRED IMPORTED_TARGET GLOBAL libsecret-1)
endif()
if(TOKENCACHE_WITH_CURL)
  find_package(CURL REQUIRED)
endif()

if(TOKENCACHE_BUILD_CLI OR TOKENCACHE_BUILD_BENCH)
  find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
endif()
if(TOKENCACHE_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
  include(CTest)
  include(Catch)
endif()
if(TOKENCACHE_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
