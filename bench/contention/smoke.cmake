# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# bench.contention_smoke: tiny N x M runs on every store kind. The driver
# verifies the store afterwards and exits non-zero on any lost update,
# duplicated or missing counter value, failed operation or verification
# error; the JSON report is checked here as well.
# Usage: cmake -DDRIVER=<tokencache_contention> -DSCRATCH=<dir> -P smoke.cmake

file(REMOVE_RECURSE "${SCRATCH}")
file(MAKE_DIRECTORY "${SCRATCH}")
set(runs
  "memory:|1|write"
  "file://{scratch}/cache.json|1,4|write"
  "file://{scratch}/cache.bin?format=binary|4|mixed"
  "file://{scratch}/cache.json?key=file:{scratch}/cache.key|4|write"
  "file://{scratch}/cache.json|3|read"
  ${EXTRA_RUNS})
set(i 0)
foreach(run IN LISTS runs)
  string(REPLACE "|" ";" parts "${run}")
  list(GET parts 0 store)
  list(GET parts 1 procs)
  list(GET parts 2 mode)
  set(json "${SCRATCH}/run-${i}.json")
  execute_process(
    COMMAND ${DRIVER} --store ${store} --procs ${procs} --ops 8
            --mode ${mode} --scratch-dir ${SCRATCH} --json ${json}
            --timeout 120
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${store} N=${procs} ${mode}: exit ${rc}\n${out}\n${err}")
  endif()
  file(READ "${json}" report)
  foreach(field lost_updates errors duplicate_counter_values
                missing_counter_values)
    string(REGEX MATCHALL "\"${field}\": [0-9-]+" values "${report}")
    foreach(v IN LISTS values)
      if(NOT v MATCHES ": 0$")
        message(FATAL_ERROR "${store} N=${procs} ${mode}: ${v}\n${out}")
      endif()
    endforeach()
  endforeach()
  if(mode STREQUAL "write" AND NOT report MATCHES "\"writes_ok\": [1-9]")
    message(FATAL_ERROR "${store}: no write completed\n${out}")
  endif()
  message(STATUS "${store} N=${procs} ${mode}: ok")
  math(EXPR i "${i} + 1")
endforeach()
file(REMOVE_RECURSE "${SCRATCH}")
