#!/bin/bash
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Installs everything tokencache's build, tests, benchmarks and demo need, from
# Debian's packages and (for the msal-node interop peer) the npm registry.
# Idempotent: asks dpkg first and runs apt-get only when something is missing.
#
# Usage: scripts/setup.sh [--all | --test | --demo] [--no-npm]
#   --all   (default) everything: build, tests, benchmarks, fuzzing, plots, demo
#   --test  what scripts/test.sh needs (build + tests + services + node peer)
#   --demo  only what building the library and the CLI for the demo needs
#   --no-npm  skip `npm ci` in tests/node
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

profile=all
do_npm=1
for arg in "$@"; do
  case "$arg" in
    --all) profile=all ;;
    --test) profile=test ;;
    --demo) profile=demo ;;
    --no-npm) do_npm=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# The library and the CLI (every optional backend is ON by default, so its
# -dev package is part of the base set).
build_pkgs=(build-essential g++ cmake pkg-config git ca-certificates
  libsodium-dev rapidjson-dev libboost-dev libboost-program-options-dev
  libboost-filesystem-dev liblmdb-dev libsecret-1-dev libhiredis-dev
  libcurl4-openssl-dev)
# Tests: Catch2, the real services they talk to, and their command-line tools.
test_pkgs=(catch2 lmdb-utils gnome-keyring dbus dbus-daemon libsecret-tools
  redis-server redis-tools libbenchmark-dev)
# Fuzzing (clang + libFuzzer runtime), static analysis and benchmark plots.
extra_pkgs=(clang libclang-rt-14-dev clang-format clang-tidy gnuplot-nox)

case "$profile" in
  demo) pkgs=("${build_pkgs[@]}"); do_npm=0 ;;
  test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  all) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${extra_pkgs[@]}") ;;
esac

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

missing=()
for p in "${pkgs[@]}"; do
  installed "$p" || missing+=("$p")
done
# Node.js may come from Debian or from the machine image; only a missing `node`
# or `npm` command is installed from Debian (npm is not needed for --demo).
if [ "$do_npm" = 1 ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#pkgs[@]} Debian packages of profile '$profile' are present"
else
  echo "setup.sh: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
  echo "setup.sh: installed ${missing[*]}"
fi

if [ "$do_npm" = 1 ]; then
  node_dir="$root/tests/node"
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "setup.sh: node $(node --version) is too old; @azure/msal-node 7 needs" \
         "node >= 20" >&2
    exit 1
  fi
  # node_modules is current when npm's own record of the installed tree
  # (.package-lock.json, written by every `npm ci`) is newer than the lock file.
  stamp="$node_dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$node_dir/package-lock.json" -nt "$stamp" ] ||
     [ "$node_dir/package.json" -nt "$stamp" ] ||
     [ ! -f "$node_dir/node_modules/@azure/msal-node/package.json" ]; then
    echo "setup.sh: npm ci --ignore-scripts in tests/node"
    (cd "$node_dir" && npm ci --ignore-scripts --no-audit --no-fund \
       --loglevel=error)
  else
    echo "setup.sh: tests/node/node_modules is up to date"
  fi
fi
echo "setup.sh: done (profile '$profile')"
