#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check that DKMS builds the module from this checkout against the installed
# headers, in scratch DKMS and source trees (nothing is installed).
#
#   scripts/dkms.sh [KERNEL_VERSION]
set -euo pipefail

PROJ=$(cd "$(dirname "$0")/.." && pwd)
"$PROJ/scripts/deps.sh" build pkg
kver=${1:-$(basename "$("$PROJ/scripts/kdir.sh")" | sed 's/^linux-headers-//')}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$PROJ/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

src=$tmp/src/pallocbits-$ver
mkdir -p "$src" "$tmp/dkms"
# What DKMS ships: the module sources, nothing of the tests or tools.
(cd "$PROJ" && cp --parents dkms.conf Kbuild Kconfig ./*.c ./*.h uapi/*.h "$src/")

dk=(dkms --dkmstree "$tmp/dkms" --sourcetree "$tmp/src")
"${dk[@]}" add "pallocbits/$ver" >/dev/null
if ! "${dk[@]}" build "pallocbits/$ver" -k "$kver" >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log"
	find "$tmp/dkms" -name make.log -exec cat {} +
	exit 1
fi
ko=$(find "$tmp/dkms" -name 'pallocbits.ko*' | head -n 1)
[ -n "$ko" ] || { echo "dkms: no pallocbits.ko built" >&2; exit 1; }
echo "dkms: built pallocbits $ver for $kver ($(modinfo -F vermagic "$ko"))"
