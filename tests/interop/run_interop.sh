#!/bin/sh
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: run_interop.sh MODE NODE SCRIPT WORKDIR FIXTURES_DIR [TOOL]
# MODE
#   selftest  msal-node reads each shared fixture itself (proves the harness
#             and the fixtures before any tokencache code is involved)
#   export    TOOL=export_fixture merges all fixtures through tokencache's
#             MSAL JSON serializer into one file; msal-node must serve every
#             access token of every fixture from it
#   cli       TOOL=tokencache CLI: `import` each fixture into a file cache,
#             `export -o` it; msal-node must serve every token from the export
# Expectations always come from the msal-written fixtures themselves
# (msal_node_interop.js --expect-from, plus MANIFEST.json's silent calls).
set -eu
mode=$1 node=$2 script=$3 work=$4 fixtures=$5 tool=${6:-}

dir="$fixtures/msal-node"
if [ ! -f "$dir/MANIFEST.json" ]; then
  echo "run_interop.sh: no fixtures at $dir (set TOKENCACHE_FIXTURES_DIR)" >&2
  exit 1
fi
files=""
for f in "$dir"/*.json; do
  [ "$(basename "$f")" = MANIFEST.json ] || files="$files $f"
done
if [ -z "$files" ]; then
  echo "run_interop.sh: $dir holds no fixture files" >&2
  exit 1
fi
expect=""
for f in $files; do expect="$expect --expect-from $f"; done

rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"
case "$mode" in
  selftest)
    rc=0
    for f in $files; do
      "$node" "$script" --cache "$f" --expect-from "$f" \
        --manifest "$dir/MANIFEST.json" || rc=1
    done
    exit $rc ;;
  export)
    # shellcheck disable=SC2086  # lists of paths without spaces
    "$tool" "$work/export.json" $files ;;
  cli)
    for f in $files; do
      "$tool" --cache "file://$work/cache.json" import "$f"
    done
    "$tool" --cache "file://$work/cache.json" export -o "$work/export.json" ;;
  *)
    echo "run_interop.sh: unknown mode '$mode'" >&2
    exit 2 ;;
esac
# shellcheck disable=SC2086
"$node" "$script" --cache "$work/export.json" $expect \
  --manifest "$dir/MANIFEST.json" --json-out "$work/results.json"
