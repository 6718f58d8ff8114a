#!/bin/bash
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: scripts/with_redis.sh CMD [ARGS...]
# Runs CMD with a throwaway redis-server on 127.0.0.1 and a free port (or
# $REDIS_PORT when set), and exports where it is:
#   REDIS_HOST=127.0.0.1  REDIS_PORT=<port>
#   TOKENCACHE_TEST_REDIS_URI=redis://127.0.0.1:<port>
# No persistence, loopback only. Exits with CMD's status; the server is shut
# down (and killed if it does not stop) on every exit path, and its scratch
# directory removed.
set -euo pipefail
command -v redis-server >/dev/null 2>&1 || {
  echo "with_redis.sh: redis-server is missing (run scripts/setup.sh)" >&2
  exit 127
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/tokencache-redis.XXXXXX")
pid=""
port=""
stop() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
child=""
on_signal() {  # pass the signal on to CMD, then clean up through EXIT
  [ -n "$child" ] && kill -"$1" "$child" 2>/dev/null
  exit "$2"
}
trap stop EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

port_in_use() {  # something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Pick a port: the caller's, or random ones until redis-server binds one.
# redis-server runs in the foreground as our child, so a failed bind shows up
# as its exit and we know its PID for the shutdown.
for attempt in $(seq 20); do
  if [ -n "${REDIS_PORT:-}" ]; then
    port=$REDIS_PORT
  else
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if port_in_use "$port"; then continue; fi
  fi
  redis-server --bind 127.0.0.1 --port "$port" --daemonize no \
    --dir "$dir" --logfile "$dir/redis.log" --save '' --appendonly no \
    --protected-mode yes </dev/null &
  pid=$!
  up=0
  for _ in $(seq 200); do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
      up=1; break
    fi
    sleep 0.05
  done
  if [ "$up" = 1 ]; then break; fi
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  if [ -n "${REDIS_PORT:-}" ] || [ "$attempt" = 20 ]; then
    echo "with_redis.sh: redis-server did not start on 127.0.0.1:$port" >&2
    cat "$dir/redis.log" >&2 2>/dev/null || true
    exit 1
  fi
done

export REDIS_HOST=127.0.0.1 REDIS_PORT="$port"
export TOKENCACHE_TEST_REDIS_URI="redis://127.0.0.1:$port"
echo "with_redis.sh: redis-server $(redis-server --version | sed -n \
  's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port (pid $pid)"
# CMD runs as a waited-for child so that a signal to this script is handled
# at once (bash defers traps while a foreground child runs).
"$@" <&0 &
child=$!
rc=0
wait "$child" || rc=$?
exit $rc
