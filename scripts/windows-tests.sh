#!/bin/bash
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Cross-compiles the Windows test tree (tests/windows: the DPAPI key code
# and the LockFileEx lock) with mingw-w64 and runs it with ctest under wine
# (platform-notes.md section 2). Wine's DPAPI proves our code paths, not
# Windows security: it encrypts with a key built into wine.
#
# Usage: scripts/windows-tests.sh [--install] [--build-dir DIR]
#   --install         apt-get install the toolchain and wine when missing
#                     (g++-mingw-w64-x86-64 wine wine64: ~1.4 GB, ~20 s)
#   --build-dir DIR   build directory (default: build-windows)
# The wine prefix lives in a temporary directory (~700 MB, made in ~7 s)
# that is removed at the end, together with the wineserver and its socket
# directory. Exits with ctest's status (127 when tools are missing).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=build-windows
install=0
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "windows-tests.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
start=$(date +%s)

wine=/usr/lib/wine/wine64  # Not /usr/bin/wine: it warns about wine32.
have_tools() {
  command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 &&
    [ -x "$wine" ] && command -v wineserver >/dev/null 2>&1
}
if ! have_tools; then
  if [ "$install" = 1 ]; then
    echo "==== windows-tests.sh: installing mingw-w64 and wine ===="
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends \
      g++-mingw-w64-x86-64 wine wine64 >/dev/null
  fi
  if ! have_tools; then
    echo "windows-tests.sh: x86_64-w64-mingw32-g++-posix or wine64 is" \
         "missing; rerun with --install" >&2
    exit 127
  fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokencache-wine.XXXXXX")
export WINEPREFIX="$tmp/prefix" WINEDEBUG=-all
# No Mono or Gecko install prompts (console programs need neither).
export WINEDLLOVERRIDES="mscoree,mshtml="
server_started=0
cleanup() {
  if [ "$server_started" = 1 ]; then
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
  fi
  # wineserver keeps its socket in /tmp/.wine-UID/server-<dev>-<inode> of
  # the prefix; remove only ours.
  if [ -d "$WINEPREFIX" ]; then
    local id
    id=$(stat -c 'server-%D-%i' "$WINEPREFIX" 2>/dev/null || true)
    id=$(printf '%s' "$id" | awk -F- '{ printf "server-%s-%x", $2, $3 }')
    [ -n "$id" ] && rm -rf "/tmp/.wine-$(id -u)/$id"
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "==== windows-tests.sh: wine prefix in $WINEPREFIX ===="
# A persistent server makes each test process start in ~0.05 s instead of
# ~0.5 s; the first wine call fills the prefix (~7 s).
mkdir -p "$WINEPREFIX"
server_started=1
wineserver -p
"$wine" cmd /c exit </dev/null >/dev/null 2>&1 || true

echo "==== windows-tests.sh: configure and build ($build_dir) ===="
# catch_discover_tests runs the .exe through wine at build time, so the
# WINE* variables above must already be set here.
cmake -S "$root/tests/windows" -B "$build_dir" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j "${TOKENCACHE_JOBS:-2}"

echo "==== windows-tests.sh: ctest under wine ===="
rc=0
ctest --test-dir "$build_dir" --output-on-failure </dev/null || rc=$?
echo "windows-tests.sh: $(( $(date +%s) - start )) s in all"
exit $rc
