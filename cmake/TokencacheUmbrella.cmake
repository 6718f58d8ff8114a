# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# tokencache::tokencache, the umbrella target: links every module this build
# produced, so an SDK that wants "all of it" names one target. An SDK that
# wants only some modules links those (tokencache::core,
# tokencache::backend_file, ...) and pulls in none of the other modules'
# third-party libraries. Included by the top CMakeLists.txt after every module
# folder, so every module target exists by now.

set(_tc_umbrella_modules
  core
  serializer_json
  serializer_binary
  lock
  backend_file
  backend_memory
  backend_lmdb
  backend_redis
  backend_keychain
  crypto
  token_endpoint_curl)

set(_tc_umbrella_links "")
foreach(_tc_module IN LISTS _tc_umbrella_modules)
  if(TARGET tokencache_${_tc_module})
    list(APPEND _tc_umbrella_links tokencache_${_tc_module})
  endif()
endforeach()
# Modules not in the list above (added later) join too; the conformance kit
# (tokencache::test, which needs Catch2) is for test code and stays out.
get_property(_tc_exported GLOBAL PROPERTY TOKENCACHE_EXPORTED_TARGETS)
list(REMOVE_ITEM _tc_exported tokencache_test)
list(APPEND _tc_umbrella_links ${_tc_exported})
list(REMOVE_DUPLICATES _tc_umbrella_links)

add_library(tokencache_tokencache INTERFACE)
add_library(tokencache::tokencache ALIAS tokencache_tokencache)
set_target_properties(tokencache_tokencache PROPERTIES EXPORT_NAME tokencache)
target_link_libraries(tokencache_tokencache INTERFACE ${_tc_umbrella_links})
set_property(GLOBAL APPEND PROPERTY TOKENCACHE_EXPORTED_TARGETS
             tokencache_tokencache)
unset(_tc_umbrella_modules)
unset(_tc_module)
unset(_tc_exported)
unset(_tc_umbrella_links)
