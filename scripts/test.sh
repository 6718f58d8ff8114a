#!/bin/bash
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# THE test command (README): installs what is missing, configures, builds,
# starts the services the tests use and runs every test with ctest.
#
# Usage: scripts/test.sh [options] [-- extra ctest arguments]
#   --build-dir DIR     build directory (default: build)
#   --sanitize LIST     address,undefined or thread: a sanitized build for our
#                       own tests (never installed, so no package tests)
#   -L, --label REGEX   run only the tests whose labels match REGEX
#   --no-setup          do not run scripts/setup.sh
#   --build-type TYPE   CMAKE_BUILD_TYPE (default RelWithDebInfo)
# Environment:
#   TOKENCACHE_FIXTURES_DIR  the shared MSAL fixtures (default: ../shared/
#                            fixtures beside the checkout)
#   TOKENCACHE_CMAKE_ARGS    extra configure arguments (words)
#   TOKENCACHE_TEST_TIMEOUT  per-test timeout in seconds (default 600)
#   TOKENCACHE_JOBS          build parallelism (default 2)
#
# Services: a throwaway redis-server on 127.0.0.1 at a free port
# (scripts/with_redis.sh: REDIS_HOST, REDIS_PORT, TOKENCACHE_TEST_REDIS_URI)
# and a private D-Bus session with an unlocked gnome-keyring
# (scripts/run_keyring.sh). Tests start their own local OAuth2 mock server.
# Both services stop when ctest ends, on success, failure or signal.
# Exits with ctest's status; the last line printed is ctest's summary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

build_dir=build
sanitize=""
label=""
setup=1
build_type=RelWithDebInfo
ctest_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --sanitize) sanitize=$2; shift 2 ;;
    -L|--label) label=$2; shift 2 ;;
    --no-setup) setup=0; shift ;;
    --build-type) build_type=$2; shift 2 ;;
    --) shift; ctest_extra=("$@"); break ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
jobs=${TOKENCACHE_JOBS:-2}
mkdir -p "$build_dir"
rm -f "$build_dir/ctest-summary.txt"

step() { echo; echo "==== test.sh: $* ===="; }

if [ "$setup" = 1 ]; then
  step "setup"
  bash "$here/setup.sh"
fi

step "configure ($build_dir${sanitize:+, sanitize=$sanitize})"
cfg=(-S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type")
if [ -n "${TOKENCACHE_FIXTURES_DIR:-}" ]; then
  cfg+=(-DTOKENCACHE_FIXTURES_DIR="$TOKENCACHE_FIXTURES_DIR")
fi
if [ -n "$sanitize" ]; then
  # Sanitized builds are for our tests only: nothing to install, and the
  # benchmarks and examples add build time without adding checks.
  cfg+=(-DTOKENCACHE_SANITIZE="$sanitize" -DTOKENCACHE_INSTALL=OFF
        -DTOKENCACHE_BUILD_BENCH=OFF -DTOKENCACHE_BUILD_EXAMPLES=OFF)
fi
# shellcheck disable=SC2206  # TOKENCACHE_CMAKE_ARGS is a list of words
cfg+=(${TOKENCACHE_CMAKE_ARGS:-})
cmake "${cfg[@]}"

# Sanitizer settings also apply during the build: catch_discover_tests runs
# each test binary to list its cases.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$here/tsan.supp}"

step "build (-j$jobs)"
cmake --build "$build_dir" -j "$jobs"

step "ctest${label:+ -L $label} (with redis-server and gnome-keyring)"
ctest_args=(--test-dir "$build_dir" --output-on-failure
            --timeout "${TOKENCACHE_TEST_TIMEOUT:-600}")
if [ -n "$label" ]; then
  ctest_args+=(-L "$label")
fi
ctest_args+=("${ctest_extra[@]}")
log="$build_dir/ctest-output.log"
rc=0
"$here/with_redis.sh" "$here/run_keyring.sh" ctest "${ctest_args[@]}" \
  2>&1 | tee "$log" || rc=$?
# `tee` cannot fail the pipeline here; pipefail hands back ctest's status.

summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' \
          "$log" | tail -n 1 || true)
if [ -z "$summary" ]; then
  if grep -q "No tests were found" "$log"; then
    summary="No tests were found${label:+ with label '$label'}"
  else
    summary="ctest printed no summary (exit status $rc)"
    [ "$rc" = 0 ] && rc=1
  fi
fi
echo "$summary" >"$build_dir/ctest-summary.txt"
echo
echo "$summary"
exit $rc
