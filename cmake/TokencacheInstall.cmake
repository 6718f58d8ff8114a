# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Install rules, the CMake package (find_package(tokencache)) and tokencache.pc.
# Included last by the top CMakeLists.txt, when every target and its links
# exist.
#
# Every target in the global property TOKENCACHE_EXPORTED_TARGETS (appended by
# tokencache_add_library and the umbrella) is installed into the export set
# tokencacheTargets, namespace tokencache::. Their third-party links are read
# from the targets themselves, and each is turned into
#  - the code in tokencacheConfig.cmake that defines the target name the
#    export refers to (find_dependency, or pkg-config for the IMPORTED targets
#    of cmake/TokencacheDependencies.cmake), and
#  - the matching Requires / Libs entries of tokencache.pc.
# A static library's PRIVATE dependencies are part of its link interface
# ($<LINK_ONLY:...>), so a static install needs them too; a shared one needs
# only the PUBLIC ones.

include(CMakePackageConfigHelpers)

set(TOKENCACHE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/tokencache"
    CACHE STRING "Where tokencacheConfig.cmake is installed (relative to prefix)")
set(TOKENCACHE_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    CACHE STRING "Where tokencache.pc is installed (relative to prefix)")

get_property(_tc_targets GLOBAL PROPERTY TOKENCACHE_EXPORTED_TARGETS)
list(REMOVE_DUPLICATES _tc_targets)

# ---- Headers, libraries, the export set, the command ----------------------
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/tokencache"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.h")
install(TARGETS ${_tc_targets}
        EXPORT tokencacheTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(EXPORT tokencacheTargets
        NAMESPACE tokencache::
        FILE tokencacheTargets.cmake
        DESTINATION "${TOKENCACHE_INSTALL_CMAKEDIR}")
if(TARGET tokencache_cli)
  install(TARGETS tokencache_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()

# ---- Walk the link interfaces ----------------------------------------------
# _tc_resolve(<item> <out>): the real target name behind an alias, or <item>.
function(_tc_resolve item out)
  set(_name "${item}")
  if(TARGET "${item}")
    get_target_property(_aliased "${item}" ALIASED_TARGET)
    if(_aliased)
      set(_name "${_aliased}")
    endif()
  endif()
  set(${out} "${_name}" PARENT_SCOPE)
endfunction()

set(_tc_external "")   # third-party link items, as the export names them
set(_tc_modules "")    # exported targets that are real libraries
foreach(_t IN LISTS _tc_targets)
  get_target_property(_type ${_t} TYPE)
  if(_type MATCHES "^(STATIC|SHARED|MODULE)_LIBRARY$")
    list(APPEND _tc_modules ${_t})
  endif()
  set(_tc_deps_of_${_t} "")
  get_target_property(_links ${_t} INTERFACE_LINK_LIBRARIES)
  if(NOT _links)
    set(_links "")
  endif()
  foreach(_item IN LISTS _links)
    # $<LINK_ONLY:x> is how CMake records a static library's PRIVATE deps.
    if(_item MATCHES "^\\$<LINK_ONLY:(.+)>$")
      set(_item "${CMAKE_MATCH_1}")
    endif()
    if(_item MATCHES "^\\$<INSTALL_INTERFACE:(.+)>$")
      set(_item "${CMAKE_MATCH_1}")
    elseif(_item MATCHES "^\\$<BUILD_INTERFACE:")
      continue()
    elseif(_item MATCHES "^\\$<")
      message(WARNING "tokencache install: ${_t} links '${_item}', a "
              "generator expression this file does not translate; "
              "tokencache.pc and tokencacheConfig.cmake ignore it.")
      continue()
    endif()
    _tc_resolve("${_item}" _real)
    if(_real IN_LIST _tc_targets)
      list(APPEND _tc_deps_of_${_t} ${_real})
    else()
      list(APPEND _tc_external "${_item}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES _tc_external)

# ---- Translate each third-party item ---------------------------------------
# Config-file code per item, pkg-config Requires and extra Libs flags.
set(_tc_cfg "")
set(_tc_pc_requires "")
set(_tc_pc_libs "")
set(_tc_needs_pkgconfig FALSE)
# _tc_cfg_pkg(<target> <pkg-config module>): the config file defines <target>
# as an IMPORTED INTERFACE target over pkg-config's view of <module>.
macro(_tc_cfg_pkg target module)
  string(MAKE_C_IDENTIFIER "_tokencache_${target}" _prefix)
  string(APPEND _tc_cfg
"if(NOT TARGET ${target})
  pkg_check_modules(${_prefix} QUIET IMPORTED_TARGET \"${module}\")
  if(NOT ${_prefix}_FOUND)
    _tokencache_missing(\"${module} (pkg-config)\")
  endif()
  add_library(${target} INTERFACE IMPORTED)
  target_link_libraries(${target} INTERFACE PkgConfig::${_prefix})
endif()
")
  set(_tc_needs_pkgconfig TRUE)
  list(APPEND _tc_pc_requires "${module}")
endmacro()

foreach(_item IN LISTS _tc_external)
  if(_item STREQUAL "Threads::Threads")
    string(APPEND _tc_cfg "find_dependency(Threads)\n")
    list(APPEND _tc_pc_libs "-pthread")
  elseif(_item STREQUAL "tokencache_dep_sodium" OR
         _item STREQUAL "PkgConfig::SODIUM")
    _tc_cfg_pkg(${_item} "libsodium>=1.0.18")
  elseif(_item STREQUAL "PkgConfig::HIREDIS")
    _tc_cfg_pkg(${_item} "hiredis")
  elseif(_item STREQUAL "PkgConfig::LIBSECRET")
    _tc_cfg_pkg(${_item} "libsecret-1")
  elseif(_item STREQUAL "PkgConfig::LMDB")
    if(LMDB_FOUND)
      _tc_cfg_pkg(${_item} "lmdb")
    else()
      # This build found LMDB without a .pc file (see
      # TokencacheDependencies.cmake); the consumer does the same.
      string(APPEND _tc_cfg
"if(NOT TARGET PkgConfig::LMDB)
  find_library(_tokencache_lmdb_library lmdb)
  if(NOT _tokencache_lmdb_library)
    _tokencache_missing(\"liblmdb\")
  endif()
  add_library(PkgConfig::LMDB UNKNOWN IMPORTED)
  set_target_properties(PkgConfig::LMDB PROPERTIES
    IMPORTED_LOCATION \"\${_tokencache_lmdb_library}\")
endif()
")
      list(APPEND _tc_pc_libs "-llmdb")
    endif()
  elseif(_item STREQUAL "tokencache_dep_rapidjson")
    # Header-only and private to our .cc files: nothing to link. The name
    # only has to exist for the $<LINK_ONLY:...> entry of a static library.
    string(APPEND _tc_cfg
"if(NOT TARGET tokencache_dep_rapidjson)
  add_library(tokencache_dep_rapidjson INTERFACE IMPORTED)
endif()
")
  elseif(_item STREQUAL "CURL::libcurl")
    string(APPEND _tc_cfg "find_dependency(CURL)\n")
    list(APPEND _tc_pc_requires "libcurl")
  elseif(_item MATCHES "^Boost::(headers|boost)$")
    string(APPEND _tc_cfg "find_dependency(Boost ${Boost_VERSION})\n")
  elseif(_item MATCHES "^Boost::(.+)$")
    string(APPEND _tc_cfg "find_dependency(Boost ${Boost_VERSION} COMPONENTS "
                          "${CMAKE_MATCH_1})\n")
    list(APPEND _tc_pc_libs "-lboost_${CMAKE_MATCH_1}")
  elseif(_item MATCHES "^Catch2::")
    string(APPEND _tc_cfg "find_dependency(Catch2 2.13)\n")
  elseif(_item STREQUAL "benchmark::benchmark")
    string(APPEND _tc_cfg "find_dependency(benchmark)\n")
    list(APPEND _tc_pc_libs "-lbenchmark")
  elseif(_item MATCHES "^-")
    list(APPEND _tc_pc_libs "${_item}")          # a linker flag
  elseif(NOT _item MATCHES "::" AND NOT TARGET "${_item}")
    list(APPEND _tc_pc_libs "-l${_item}")        # a plain system library
  else()
    message(WARNING "tokencache install: no install translation for the "
            "dependency '${_item}'; add one to cmake/TokencacheInstall.cmake "
            "or installed consumers will fail to link.")
  endif()
endforeach()
if(_tc_needs_pkgconfig)
  string(PREPEND _tc_cfg "find_dependency(PkgConfig)\n")
endif()
set(TOKENCACHE_CONFIG_DEPENDENCIES "${_tc_cfg}")

# ---- tokencacheConfig.cmake + version file -----------------------------------
set(TOKENCACHE_CONFIG_MODULES "")
foreach(_t IN LISTS _tc_targets)
  get_target_property(_export_name ${_t} EXPORT_NAME)
  list(APPEND TOKENCACHE_CONFIG_MODULES ${_export_name})
endforeach()
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/tokencacheConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/tokencacheConfig.cmake"
  INSTALL_DESTINATION "${TOKENCACHE_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/tokencacheConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/tokencacheConfig.cmake"
              "${PROJECT_BINARY_DIR}/tokencacheConfigVersion.cmake"
        DESTINATION "${TOKENCACHE_INSTALL_CMAKEDIR}")

# ---- tokencache.pc ---------------------------------------------------------------
# Libraries in dependency order for static linking: a module comes before
# every module it links. height(m) = 1 + max height of its deps, so sorting
# by decreasing height is a topological order.
foreach(_t IN LISTS _tc_targets)
  set(_tc_height_${_t} 0)
endforeach()
list(LENGTH _tc_targets _tc_count)
foreach(_round RANGE ${_tc_count})
  foreach(_t IN LISTS _tc_targets)
    foreach(_d IN LISTS _tc_deps_of_${_t})
      math(EXPR _h "${_tc_height_${_d}} + 1")
      if(_h GREATER _tc_height_${_t})
        set(_tc_height_${_t} ${_h})
      endif()
    endforeach()
  endforeach()
endforeach()
set(_tc_pc_module_libs "")
foreach(_h RANGE ${_tc_count} 0 -1)
  foreach(_t IN LISTS _tc_modules)
    if(_tc_height_${_t} EQUAL _h)
      get_target_property(_out ${_t} OUTPUT_NAME)
      if(NOT _out)
        set(_out ${_t})
      endif()
      list(APPEND _tc_pc_module_libs "-l${_out}")
    endif()
  endforeach()
endforeach()

list(REMOVE_DUPLICATES _tc_pc_requires)
list(REMOVE_DUPLICATES _tc_pc_libs)
list(JOIN _tc_pc_requires ", " _tc_pc_requires_str)
string(REPLACE ">=" " >= " _tc_pc_requires_str "${_tc_pc_requires_str}")
list(JOIN _tc_pc_libs " " _tc_pc_libs_str)
list(JOIN _tc_pc_module_libs " " TOKENCACHE_PC_MODULE_LIBS)
# A static library needs its dependencies on every link line; a shared one
# only when the consumer links statically (pkg-config --static).
if(BUILD_SHARED_LIBS)
  set(TOKENCACHE_PC_REQUIRES "")
  set(TOKENCACHE_PC_REQUIRES_PRIVATE "${_tc_pc_requires_str}")
  set(TOKENCACHE_PC_LIBS_EXTRA "")
  set(TOKENCACHE_PC_LIBS_PRIVATE "${_tc_pc_libs_str}")
else()
  set(TOKENCACHE_PC_REQUIRES "${_tc_pc_requires_str}")
  set(TOKENCACHE_PC_REQUIRES_PRIVATE "")
  set(TOKENCACHE_PC_LIBS_EXTRA "${_tc_pc_libs_str}")
  set(TOKENCACHE_PC_LIBS_PRIVATE "")
endif()
if(BUILD_SHARED_LIBS)
  set(TOKENCACHE_PC_CFLAGS_EXTRA "-DTOKENCACHE_SHARED_LIBRARY")
else()
  set(TOKENCACHE_PC_CFLAGS_EXTRA "")
endif()
# The prefix is found from the .pc file's own place, so the installed tree
# can be moved (and a staging `cmake --install --prefix` works).
if(IS_ABSOLUTE "${TOKENCACHE_INSTALL_PKGCONFIGDIR}")
  set(TOKENCACHE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  set(TOKENCACHE_PC_PREFIX "\${pcfiledir}")
  string(REPLACE "/" ";" _tc_parts "${TOKENCACHE_INSTALL_PKGCONFIGDIR}")
  foreach(_p IN LISTS _tc_parts)
    if(NOT _p STREQUAL "" AND NOT _p STREQUAL ".")
      string(APPEND TOKENCACHE_PC_PREFIX "/..")
    endif()
  endforeach()
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(TOKENCACHE_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(TOKENCACHE_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file("${PROJECT_SOURCE_DIR}/cmake/tokencache.pc.in"
               "${PROJECT_BINARY_DIR}/tokencache.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tokencache.pc"
        DESTINATION "${TOKENCACHE_INSTALL_PKGCONFIGDIR}")
