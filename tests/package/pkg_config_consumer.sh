#!/bin/sh
# Copyright 2026 The tokencache Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: pkg_config_consumer.sh STAGE CXX SOURCE OUTDIR VERSION
# Builds SOURCE against the staging install with nothing but
# `pkg-config --cflags --libs tokencache` (as an SDK without CMake would),
# then runs it.
set -eu
stage=$1 cxx=$2 source=$3 outdir=$4 version=$5
pc=$(find "$stage" -name tokencache.pc -path "*/pkgconfig/*" | head -n 1)
if [ -z "$pc" ]; then
  echo "no pkgconfig/tokencache.pc under $stage" >&2
  exit 1
fi
export PKG_CONFIG_PATH="$(dirname "$pc")"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
found=$(pkg-config --modversion tokencache)
if [ "$found" != "$version" ]; then
  echo "pkg-config reports tokencache $found, expected $version" >&2
  exit 1
fi
cflags=$(pkg-config --cflags tokencache)
libs=$(pkg-config --libs tokencache)
echo "pkg-config --cflags: $cflags"
echo "pkg-config --libs:   $libs"
# The include path must lead into the staging install (relocatable .pc).
includedir=$(pkg-config --variable=includedir tokencache)
if [ ! -f "$includedir/tokencache/status.h" ]; then
  echo "includedir $includedir has no tokencache/status.h" >&2
  exit 1
fi
case "$(cd "$includedir" && pwd -P)" in
  "$(cd "$stage" && pwd -P)"/*) ;;
  *) echo "includedir $includedir is outside the stage $stage" >&2; exit 1 ;;
esac
# Exercise a second module when the installation has it.
extra=""
if [ -f "$includedir/tokencache/serializers/json.h" ]; then
  extra="-DCONSUMER_WITH_JSON"
fi
mkdir -p "$outdir"
# shellcheck disable=SC2086  # the flags are lists of words
"$cxx" -std=c++17 -Wall -Wextra -Werror $extra $cflags "$source" \
  -o "$outdir/consumer_pkgconfig" $libs
"$outdir/consumer_pkgconfig"
