#!/bin/sh
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: private_keyring.sh MODE CMD [ARGS...]
# Runs CMD on a private D-Bus session bus of its own, for the keychain
# tests' "unavailable" cases (the test's own bus from run_keyring.sh stays
# untouched):
#   nosvc   a bus without any service files: no Secret Service provider.
#   locked  gnome-keyring whose login collection exists but is locked: the
#           keyring is created with one password, then the daemon is
#           restarted and given a wrong one. When KEYRING_SETUP is set,
#           that shell command runs while the keyring is still unlocked
#           (to store items that are then locked away).
# Headless; leaves no process and no file behind. Exits with CMD's status,
# or 97 when the keyring could not be set up.
set -eu
mode=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokencache-keychain-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" \
       XDG_CACHE_HOME="$tmp/cache" XDG_CONFIG_HOME="$tmp/config" \
       KEYRING_TMP="$tmp"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CACHE_HOME" \
         "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS

case "$mode" in
  nosvc)
    rc=0
    dbus-run-session --config-file="$here/nosvc-session.conf" -- "$@" || rc=$?
    exit $rc ;;
  locked) ;;
  *) echo "private_keyring.sh: unknown mode '$mode'" >&2; exit 2 ;;
esac

# Starts gnome-keyring with password $1, waits for it, runs the rest.
with_keyring='
  password=$1; shift
  printf %s "$password" |
    gnome-keyring-daemon --foreground --unlock --components=secrets \
      >>"$KEYRING_TMP/gkd.log" 2>&1 &
  gkd=$!
  i=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus \
          /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
          string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"
  do
    i=$((i+1))
    if [ $i -gt 400 ]; then
      cat "$KEYRING_TMP/gkd.log" >&2; kill $gkd; wait $gkd; exit 97
    fi
    sleep 0.05
  done
  rc=0; "$@" || rc=$?
  kill $gkd 2>/dev/null || true; wait $gkd 2>/dev/null || true
  exit $rc'
# Phase 1 creates the login keyring with the right password.
dbus-run-session -- sh -c "$with_keyring" sh right-password \
  sh -c "${KEYRING_SETUP:-true}"
if [ ! -f "$XDG_DATA_HOME/keyrings/login.keyring" ]; then
  echo "private_keyring.sh: the login keyring was not created" >&2
  cat "$tmp/gkd.log" >&2
  exit 97
fi
# Phase 2: the wrong password leaves it locked.
rc=0
dbus-run-session -- sh -c "$with_keyring" sh wrong-password "$@" || rc=$?
exit $rc
