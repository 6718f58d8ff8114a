#!/bin/sh
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Runs the contention configurations reported in docs/performance.md:
# N = 1,2,4,8,16 on memory (N = 1 only), file JSON, file binary,
# encrypted file JSON and LMDB (WITH_LMDB=0 skips it); writes with 800
# writes in total per configuration (as the peer's --m-total 800), reads
# with READ_TOTAL lookups in total, and the --no-fsync what-if for JSON and
# binary writes. One JSON and one markdown file per run.
#
# Usage: bench/contention/run_suite.sh <tokencache_contention> <out dir>
set -eu
driver=$1
out=$2
read_total=${READ_TOTAL:-400000}
mkdir -p "$out"
uptime > "$out/uptime-start.txt"

run() {  # name, store, mode, total, extra...
  name=$1; store=$2; mode=$3; total=$4; shift 4
  "$driver" --store "$store" --procs 1,2,4,8,16 --ops-total "$total" \
    --mode "$mode" --json "$out/$name.json" "$@" | tee "$out/$name.md"
}

json='file://{scratch}/cache.json'
binary='file://{scratch}/cache.bin?format=binary'
encrypted='file://{scratch}/cache.json?key=file:{scratch}/cache.key'
lmdb='lmdb://{scratch}/db'

run memory-write memory: write 800
run memory-read memory: read "$read_total"
run json-write "$json" write 800
run binary-write "$binary" write 800
run encrypted-write "$encrypted" write 800
run json-read "$json" read "$read_total"
run binary-read "$binary" read "$read_total"
run encrypted-read "$encrypted" read "$read_total"
run json-mixed "$json" mixed 800
if [ "${WITH_LMDB:-1}" = 1 ]; then
  run lmdb-write "$lmdb" write 800
  run lmdb-read "$lmdb" read "$read_total"
fi
run json-write-nofsync "$json" write 800 --no-fsync
run binary-write-nofsync "$binary" write 800 --no-fsync
uptime > "$out/uptime-end.txt"
