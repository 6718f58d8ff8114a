#!/bin/sh
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: run_interop.sh MODE NODE SCRIPT WORKDIR FIXTURES_DIR [TOOL]
# MODE
#   selftest  msal-node reads each shared fixture itself (proves the harness
#             and the fixtures before any tokencache code is involved)
#   export    TOOL=export_fixture reads each fixture through tokencache's MSAL
#             JSON serializer and writes it back (entries reordered)
#   cli       TOOL=tokencache CLI: `import` each fixture into a fresh file
#             cache, then `export -o` it
# In every mode msal-node must then serve every access token of the fixture
# (and MANIFEST.json's silent calls) from the file produced. Expectations
# always come from the msal-written fixture itself (--expect-from). Fixtures
# are handled one at a time: two fixtures can hold different tokens for the
# same account, client, tenant and scopes, so a merged file would be
# ambiguous.
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

rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"
rc=0
for f in $files; do
  name=$(basename "$f" .json)
  case "$mode" in
    selftest)
      out=$f ;;
    export)
      out="$work/$name.export.json"
      "$tool" "$out" "$f" || { rc=1; continue; } ;;
    cli)
      out="$work/$name.export.json"
      { "$tool" --cache "file://$work/$name.cache.json" import "$f" &&
        "$tool" --cache "file://$work/$name.cache.json" export -o "$out"; } ||
        { rc=1; continue; } ;;
    *)
      echo "run_interop.sh: unknown mode '$mode'" >&2
      exit 2 ;;
  esac
  "$node" "$script" --cache "$out" --expect-from "$f" \
    --manifest "$dir/MANIFEST.json" --json-out "$work/$name.results.json" ||
    rc=1
done
exit $rc
