# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Per-target helpers. Warning and sanitizer flags are always PRIVATE, so they
# judge our code and never reach consumers.

function(tokencache_set_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4)
    if(TOKENCACHE_WERROR)
      target_compile_options(${target} PRIVATE /WX)
    endif()
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(TOKENCACHE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Looser warnings for test and bench code: the floor (-Wall -Wextra -Werror)
# without -Wconversion, which Catch2 and Google Benchmark macros trip.
function(tokencache_set_test_warnings target)
  if(NOT MSVC)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(TOKENCACHE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

function(tokencache_set_sanitizers target)
  if(NOT TOKENCACHE_SANITIZE)
    return()
  endif()
  target_compile_options(${target} PRIVATE
    -fsanitize=${TOKENCACHE_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(${target} PRIVATE -fsanitize=${TOKENCACHE_SANITIZE})
  # rapidjson's internal stack computes nullptr + 0, which clang's UBSan
  # reports from every Reader and Writer (GCC's does not); the ignore list
  # exempts rapidjson's headers only.
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND
     TOKENCACHE_SANITIZE MATCHES "undefined")
    target_compile_options(${target} PRIVATE
      -fsanitize-ignorelist=${PROJECT_SOURCE_DIR}/fuzz/rapidjson_ubsan.ignorelist)
  endif()
endfunction()

# tokencache_add_library(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#
# Defines target tokencache_<name> and its alias tokencache::<name>, the name
# consumers use whether they build us in-tree or find_package() us.
function(tokencache_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target tokencache_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(tokencache::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${name}
    OUTPUT_NAME tokencache_${name}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_include_directories(${target}
    PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE
      ${PROJECT_SOURCE_DIR})
  target_compile_definitions(${target} PRIVATE TOKENCACHE_COMPILE_LIBRARY)
  if(BUILD_SHARED_LIBS)
    target_compile_definitions(${target} PUBLIC TOKENCACHE_SHARED_LIBRARY)
  endif()
  target_link_libraries(${target}
    PUBLIC ${ARG_PUBLIC_DEPS}
    PRIVATE ${ARG_PRIVATE_DEPS})
  tokencache_set_warnings(${target})
  tokencache_set_sanitizers(${target})
  set_property(GLOBAL APPEND PROPERTY TOKENCACHE_EXPORTED_TARGETS ${target})
endfunction()

# tokencache_add_test(<name> SOURCES ... [DEPS ...] [LABELS ...])
#
# A Catch2 test executable linked with Catch2WithMain, its cases discovered
# into ctest as "<name>.<case name>".
function(tokencache_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;PROPERTIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} tokencache_test_support
                        Catch2::Catch2WithMain)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  tokencache_set_test_warnings(${name})
  tokencache_set_sanitizers(${name})
  if(ARG_PROPERTIES)
    catch_discover_tests(${name} TEST_PREFIX "${name}."
                         PROPERTIES ${ARG_PROPERTIES})
  else()
    catch_discover_tests(${name} TEST_PREFIX "${name}.")
  endif()
  if(ARG_LABELS)
    # catch_discover_tests passes PROPERTIES through an unquoted list, which
    # splits "a;b" and keeps only the first label. Instead, a ctest include
    # file that runs after discovery labels every discovered case.
    set(_labels_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
    file(WRITE "${_labels_file}"
         "foreach(_t IN LISTS ${name}_TESTS)\n"
         "  set_tests_properties(\"\${_t}\" PROPERTIES LABELS \"${ARG_LABELS}\")\n"
         "endforeach()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${_labels_file}")
  endif()
endfunction()

# tokencache_add_executable(<name> SOURCES ... [DEPS ...])  tools and benches
function(tokencache_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  tokencache_set_warnings(${name})
  tokencache_set_sanitizers(${name})
endfunction()
