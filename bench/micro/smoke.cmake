# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# bench.micro_smoke: run every micro benchmark once at its smallest size.
# Google Benchmark exits 0 even when a benchmark called SkipWithError, so
# the JSON report is checked for "error_occurred" as well.
# Usage: cmake -DBENCH=<tokencache_micro_bench> -P smoke.cmake

execute_process(
  COMMAND ${BENCH} --quick --benchmark_min_time=0.01
          --benchmark_format=json
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "micro benchmarks exited with ${rc}\n${err}")
endif()
string(REGEX MATCHALL "\"name\": \"[^\"]*\"" names "${out}")
list(LENGTH names count)
if(count LESS 20)
  message(FATAL_ERROR "expected at least 20 benchmark runs, saw ${count}\n"
                      "${out}\n${err}")
endif()
if(out MATCHES "\"error_occurred\": true")
  string(REGEX MATCHALL "\"error_message\": \"[^\"]*\"" errors "${out}")
  message(FATAL_ERROR "benchmarks reported errors: ${errors}")
endif()
message(STATUS "${count} micro benchmark runs, no errors")
