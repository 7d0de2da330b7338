#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of the Debian linux-source-6.1 tree in the cache, extracting
# it first if needed (once per package version).  With --wire, also link this
# checkout into the tree as drivers/misc/pallocbits (idempotent; re-pointed
# for another clone) for kunit.py builds.  Callers hold the kernel build lock
# or accept a concurrent extraction being redone.
#
#   scripts/ksrc.sh [--wire]
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

if [ "${1:-}" = --wire ]; then
	PROJ=$(cd "$(dirname "$0")/.." && pwd)
	LINK=$KSRC/drivers/misc/pallocbits
	if [ -L "$LINK" ] || [ ! -e "$LINK" ]; then
		ln -sfn "$PROJ" "$LINK"
	else
		echo "ksrc: $LINK exists and is not a symlink" >&2
		exit 1
	fi
	SRC='source "drivers/misc/pallocbits/Kconfig"'
	OBJ='obj-y += pallocbits/'
	grep -qxF "$SRC" "$KSRC/drivers/misc/Kconfig" ||
		printf '%s\n' "$SRC" >>"$KSRC/drivers/misc/Kconfig"
	grep -qxF "$OBJ" "$KSRC/drivers/misc/Makefile" ||
		printf '%s\n' "$OBJ" >>"$KSRC/drivers/misc/Makefile"
fi
echo "$KSRC"
