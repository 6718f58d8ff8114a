#!/bin/sh
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: scripts/run_keyring.sh CMD [ARGS...]
# Runs CMD inside a private D-Bus session bus that has an unlocked
# gnome-keyring "login" collection (Secret Service, org.freedesktop.secrets)
# stored in a throwaway HOME. Headless, no stdin, works as root. Exits with
# CMD's status and leaves no process and no file behind.
# (platform-notes.md section 1: --foreground + explicit kill, because a
# self-daemonising gnome-keyring-daemon can outlive a short-lived bus; a
# throwaway HOME, because an existing login.keyring with another password
# would stay locked.)
set -eu
for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "run_keyring.sh: $tool is missing (run scripts/setup.sh)" >&2
    exit 127
  }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokencache-keyring.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The caller's HOME stays reachable for tools that need it (npm, node).
export TOKENCACHE_REAL_HOME="${HOME:-}"
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" \
       XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" \
       KEYRING_TMP="$tmp"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CACHE_HOME" \
         "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
rc=0
# dbus-daemon may print "Failed to set fd limit to 65536: Operation not
# permitted" on stderr; it is harmless.
dbus-run-session -- sh -c '
  # --unlock reads the login password from stdin and creates the keyring.
  # --foreground keeps the daemon our child, so we know its PID and stop it.
  printf %s "tokencache-test-password" |
    gnome-keyring-daemon --foreground --unlock --components=secrets \
      >"$KEYRING_TMP/gkd.log" 2>&1 &
  gkd=$!
  i=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus \
          /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
          string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
  do
    i=$((i+1))
    if [ $i -gt 400 ]; then
      echo "run_keyring.sh: gnome-keyring did not come up" >&2
      cat "$KEYRING_TMP/gkd.log" >&2
      kill $gkd 2>/dev/null; wait $gkd 2>/dev/null
      exit 97
    fi
    sleep 0.05
  done
  export TOKENCACHE_TEST_KEYRING=1
  rc=0; "$@" || rc=$?
  kill $gkd 2>/dev/null || true; wait $gkd 2>/dev/null || true
  exit $rc' sh "$@" || rc=$?
exit $rc
