# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# tokencache::builtin: RegisterBuiltinBackends() and OpenCache()
# (include/tokencache/tokencache.h). Included after every module folder, so
# it can link whichever backends this build produced.

tokencache_add_library(builtin
  SOURCES
    ${PROJECT_SOURCE_DIR}/backends/builtin/builtin_backends.cc
    ${PROJECT_SOURCE_DIR}/backends/builtin/recovery.cc
  PUBLIC_DEPS
    tokencache::core
  PRIVATE_DEPS
    tokencache::backend_file
    tokencache::backend_memory
    tokencache::crypto
    tokencache::lock
    tokencache::serializer_binary
    tokencache::serializer_json)

# keychain:// and key=keychain:... when the keychain backend was built.
if(TARGET tokencache_backend_keychain AND NOT WIN32)
  target_link_libraries(tokencache_builtin PRIVATE tokencache::backend_keychain)
  target_compile_definitions(tokencache_builtin PRIVATE
                             TOKENCACHE_HAVE_KEYCHAIN=1)
endif()

# lmdb:///dir when the LMDB backend was built.
if(TARGET tokencache_backend_lmdb)
  target_link_libraries(tokencache_builtin PRIVATE tokencache::backend_lmdb)
  target_compile_definitions(tokencache_builtin PRIVATE TOKENCACHE_HAVE_LMDB=1)
endif()
