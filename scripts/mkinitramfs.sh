#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Pack the initramfs for the QEMU whole-module tests (uncompressed newc cpio):
#
#   mkinitramfs [-k EXTRA.ko]... OUT.cpio INIT MODULE.ko PROGRAM...
#
# busybox-static with its applet links, the module as /pallocbits.ko, each
# PROGRAM (static binaries) in /bin, each EXTRA.ko (kernel modules the tests
# need, e.g. loop.ko, vivid.ko and its dependencies) in /lib/modules/extra/
# with /lib/modules/extra/order, their file names one a line in the order
# given (the load order: tests/init.sh loads them so), and INIT as /init.
set -eu
extra_ko=""
while [ "${1:-}" = -k ]; do
	[ $# -ge 2 ] || break
	extra_ko="$extra_ko $2"
	shift 2
done
if [ $# -lt 3 ]; then
	echo "usage: $0 [-k EXTRA.ko]... OUT.cpio INIT MODULE.ko [PROGRAM...]" >&2
	exit 2
fi
out=$1
init=$2
ko=$3
shift 3

busybox=/bin/busybox
if ! "$busybox" 2>&1 | head -n 1 | grep -q 'BusyBox'; then
	echo "mkinitramfs: no busybox (scripts/deps.sh vm installs busybox-static)" >&2
	exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/pallocbits-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/root"
cp "$busybox" "$root/bin/busybox"
# `busybox --list` names busybox itself: linking it would replace the
# binary by a link to itself (ELOOP, "No working init found").
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] && continue
	ln -sf busybox "$root/bin/$applet"
done
cp "$ko" "$root/pallocbits.ko"
for x in $extra_ko; do
	mkdir -p "$root/lib/modules/extra"
	if [ -e "$root/lib/modules/extra/$(basename "$x")" ]; then
		echo "mkinitramfs: two extra modules named $(basename "$x")" >&2
		exit 1
	fi
	cp "$x" "$root/lib/modules/extra/"
	basename "$x" >>"$root/lib/modules/extra/order"
done
for prog in "$@"; do
	cp "$prog" "$root/bin/"
done
cp "$init" "$root/init"
chmod 0755 "$root/init"
# The kernel opens /dev/console before /init mounts devtmpfs; without the
# node (mknod needs root) /init reopens the console itself.
mknod "$root/dev/console" c 5 1 2>/dev/null || true
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
