# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# cmake -DBUILD_DIR=<build> -DSTAGE=<dir> [-DCONFIG=<cfg>] -P install_stage.cmake
# Installs the build into a fresh staging prefix for the package tests.
foreach(_var BUILD_DIR STAGE)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "install_stage.cmake: ${_var} is not set")
  endif()
endforeach()
file(REMOVE_RECURSE "${STAGE}")
set(_config_args "")
if(CONFIG)
  set(_config_args --config "${CONFIG}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${STAGE}"
          ${_config_args}
  RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "cmake --install into ${STAGE} failed (${_rc})")
endif()
