#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of an uncompressed ELF vmlinux of the kernel the headers
# belong to (scripts/kdir.sh FLAVOUR), for booting in QEMU.
#
#   scripts/vmlinux.sh [FLAVOUR]     amd64 (default) or rt-amd64 (PREEMPT_RT)
#
# KVER=VERSION (e.g. 6.1.0-57-rt-amd64) names the kernel instead.  The Debian
# image package is fetched with `apt-get download` (never installed), its
# /boot/vmlinuz is unpacked with dpkg-deb and turned into an ELF with the
# kernel tree's scripts/extract-vmlinux (QEMU enters an ELF vmlinux through
# PVH, which skips the decompressor).  Cached per kernel version in $CACHE/vm/.
set -eu
PROJ=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
VM=$CACHE/vm

flavour=${1:-amd64}
# (readlink: kdir.sh may answer /lib/modules/VERSION/build.)
ver=${KVER:-$(basename "$(readlink -f "$("$PROJ/scripts/kdir.sh" "$flavour")")" |
	sed 's/^linux-headers-//')}
out=$VM/vmlinux-$ver
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$VM"
tmp=$(mktemp -d "$VM/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

deb=$(find "$VM" -maxdepth 1 -name "linux-image-$ver*_amd64.deb" | head -n 1)
if [ -z "$deb" ]; then
	echo "vmlinux: downloading the linux-image-$ver package" >&2
	for pkg in "linux-image-$ver-unsigned" "linux-image-$ver"; do
		if (cd "$tmp" && apt-get download -q "$pkg" >&2 2>/dev/null); then
			break
		fi
		# A stale package list is the usual reason for "Unable to locate".
		if [ ! -e "$tmp/.updated" ]; then
			SUDO=""
			[ "$(id -u)" -eq 0 ] || SUDO=sudo
			$SUDO apt-get update -qq >&2 || true
			: >"$tmp/.updated"
			if (cd "$tmp" && apt-get download -q "$pkg" >&2); then
				break
			fi
		fi
	done
	deb=$(find "$tmp" -maxdepth 1 -name "linux-image-$ver*_amd64.deb" | head -n 1)
	if [ -z "$deb" ]; then
		echo "vmlinux: cannot download linux-image-$ver(-unsigned)" >&2
		exit 1
	fi
	mv "$deb" "$VM/"
	deb=$VM/$(basename "$deb")
fi

dpkg-deb -x "$deb" "$tmp/root"
vmlinuz=$tmp/root/boot/vmlinuz-$ver
if [ ! -f "$vmlinuz" ]; then
	echo "vmlinux: $deb has no /boot/vmlinuz-$ver" >&2
	exit 1
fi
KSRC=$("$PROJ/scripts/ksrc.sh")
"$KSRC/scripts/extract-vmlinux" "$vmlinuz" >"$tmp/vmlinux"
if ! head -c 4 "$tmp/vmlinux" | grep -q ELF; then
	echo "vmlinux: extract-vmlinux produced no ELF from $vmlinuz" >&2
	exit 1
fi
mv "$tmp/vmlinux" "$out"
echo "$out"
