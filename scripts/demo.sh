#!/bin/bash
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# THE demo command (README): installs what the build needs, builds the
# tokencache command and runs `tokencache demo`, passing on any arguments.
# Usage: scripts/demo.sh [demo arguments]
# Environment: TOKENCACHE_DEMO_BUILD_DIR (default: build-demo), TOKENCACHE_JOBS.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${TOKENCACHE_DEMO_BUILD_DIR:-$root/build-demo}

bash "$here/setup.sh" --demo >&2
# Only the library and the command: no tests, benchmarks or examples.
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOKENCACHE_BUILD_TESTS=OFF -DTOKENCACHE_BUILD_BENCH=OFF \
  -DTOKENCACHE_BUILD_EXAMPLES=OFF -DTOKENCACHE_BUILD_CLI=ON >&2
cmake --build "$build_dir" --target tokencache_cli -j "${TOKENCACHE_JOBS:-2}" >&2
cli="$build_dir/cli/tokencache"
if [ ! -x "$cli" ]; then
  echo "demo.sh: the build produced no $cli" >&2
  exit 1
fi
exec "$cli" demo "$@"
