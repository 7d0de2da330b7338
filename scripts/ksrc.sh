#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of the Debian linux-source-6.1 tree in the cache, extracting
# it first if needed (once per package version).  Callers hold the kernel
# build lock or accept a concurrent extraction being redone.
set -eu
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
tarball=$(ls /usr/src/linux-source-6.1.tar.xz)
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
KSRC=$CACHE/linux-source-6.1
stamp=$KSRC/.pallocbits-extracted
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$ver" ]; then
	echo "ksrc: extracting linux-source-6.1 $ver into $CACHE" >&2
	rm -rf "$KSRC" "$CACHE/build"
	mkdir -p "$CACHE"
	tar -C "$CACHE" -xf "$tarball"
	echo "$ver" >"$stamp"
fi
echo "$KSRC"
