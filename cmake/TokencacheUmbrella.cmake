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

add_library(tokencache_tokencache INTERFACE)
add_library(tokencache::tokencache ALIAS tokencache_tokencache)
set_target_properties(tokencache_tokencache PROPERTIES EXPORT_NAME tokencache)
foreach(_tc_module IN LISTS _tc_umbrella_modules)
  if(TARGET tokencache_${_tc_module})
    target_link_libraries(tokencache_tokencache INTERFACE
                          tokencache_${_tc_module})
  endif()
endforeach()
set_property(GLOBAL APPEND PROPERTY TOKENCACHE_EXPORTED_TARGETS
             tokencache_tokencache)
unset(_tc_umbrella_modules)
unset(_tc_module)
