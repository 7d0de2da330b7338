#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Whole-module tests in QEMU: build pallocbits.ko and the static test
# programs, pack an initramfs, boot the Debian kernel the headers belong to,
# and read the guest's verdict.
#
#   vmtest [test|demo]     (make vmtest, make demo)
#
# test: tests/init.sh loads the module on a memmap= reserved range and on a
#       self-grabbed one, runs tests/vmtest.c against each, checks unload,
#       refused parameters, dmesg and taint.  Writes "PASSED FAILED" (the
#       vmtest counts) to build/results/vmtest.
# demo: a scripted pallocctl session showing stats and the debugfs map.
#
# Exit status: 0 PASS, 1 FAIL, 2 infrastructure failure (build, boot, panic,
# timeout).  The serial log is build/vm/serial.log.
#
# Environment: ACCEL (tcg), SMP (1), MEM (2G), TIMEOUT (300 s), RES_BASE
# (0x40000000), RES_SIZE (0x4000000), PB_STRESS (5 s), APPEND (extra kernel
# parameters, e.g. slub_debug=FZPU), KVER (kernel version to boot),
# LOCK_WAIT (30 s for the kernel build lock), EXTRA_KO (kernel modules to
# add to the initramfs, default kernel/drivers/block/loop.ko; see below).
set -eu
PROJ=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
what=${1:-test}
case "$what" in
test|demo) ;;
*)	echo "usage: $0 [test|demo]" >&2; exit 2 ;;
esac

OUT=$PROJ/build/vm
RESULTS=$PROJ/build/results
ACCEL=${ACCEL:-tcg}
SMP=${SMP:-1}
MEM=${MEM:-2G}
TIMEOUT=${TIMEOUT:-300}
RES_BASE=${RES_BASE:-0x40000000}
RES_SIZE=${RES_SIZE:-0x4000000}
PB_STRESS=${PB_STRESS:-5}
APPEND=${APPEND:-}

infra() {
	echo "vmtest: infrastructure failure: $*" >&2
	exit 2
}

t0=$(date +%s.%N)
"$PROJ/scripts/deps.sh" build kunit vm || infra "scripts/deps.sh"
mkdir -p "$OUT" "$RESULTS" "$CACHE"
# The kernel build lock serialises kernel builds.  An M= module build does
# not touch the kernel trees it protects, and kunit.sh may hold it for
# minutes: wait LOCK_WAIT seconds for it, then build without it.
exec 9>>"$CACHE/kernel-build.lock"
if ! flock -n 9; then
	echo "vmtest: waiting up to ${LOCK_WAIT:-30} s for $CACHE/kernel-build.lock" >&2
	flock -w "${LOCK_WAIT:-30}" 9 ||
		echo "vmtest: kernel build lock busy; building the module without it" >&2
fi
make -s -C "$PROJ" module >"$OUT/module.log" 2>&1 || {
	cat "$OUT/module.log" >&2
	infra "make module"
}
KSRC=$("$PROJ/scripts/ksrc.sh") || infra "scripts/ksrc.sh"
flock -u 9
VMLINUX=$("$PROJ/scripts/vmlinux.sh") || infra "scripts/vmlinux.sh"
gcc -static -O2 -Wall -I"$PROJ" -I"$KSRC/tools/testing/selftests" -o "$OUT/vmtest" \
	"$PROJ/tests/vmtest.c" || infra "building tests/vmtest.c"
gcc -static -O2 -Wall -I"$PROJ" -o "$OUT/pallocctl" "$PROJ/tools/pallocctl.c" ||
	infra "building tools/pallocctl.c"
# Kernel modules the tests need besides ours (EXTRA_KO: paths under
# lib/modules/VERSION/; the loop driver gives vmtest's O_DIRECT tests a block
# device), taken from the image package of the kernel booted, extracted once
# into $CACHE/vm/modules-VERSION.  A kernel without a package there (a custom
# build) gets none; tests/init.sh skips a module the kernel already has.
kver=$(basename "$VMLINUX" | sed 's/^vmlinux-//')
deb=$(find "$CACHE/vm" -maxdepth 1 -name "linux-image-$kver*_amd64.deb" | head -n 1)
kodir=$CACHE/vm/modules-$kver
extra_ko=""
for rel in ${EXTRA_KO-kernel/drivers/block/loop.ko}; do
	[ -n "$deb" ] || break
	if [ ! -s "$kodir/$rel" ]; then
		tmp=$(mktemp -d "$CACHE/vm/tmp.XXXXXX")
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$tmp" --strip-components=4 "./lib/modules/$kver/$rel" ||
			infra "extracting $rel from $deb"
		mkdir -p "$(dirname "$kodir/$rel")"
		mv "$tmp/$rel" "$kodir/$rel"
		rm -rf "$tmp"
	fi
	extra_ko="$extra_ko -k $kodir/$rel"
done
# shellcheck disable=SC2086 # $extra_ko is a list of options
"$PROJ/scripts/mkinitramfs.sh" $extra_ko "$OUT/initramfs.cpio" "$PROJ/tests/init.sh" \
	"$PROJ/build/pallocbits.ko" "$OUT/vmtest" "$OUT/pallocctl" || infra "mkinitramfs"
t1=$(date +%s.%N)

# memmap=SIZE$BASE: the $ is literal (escaped inside double quotes).
size_mib=$(( RES_SIZE / 1048576 ))
cmdline="console=ttyS0 loglevel=5 panic=-1 oops=panic panic_on_warn=1"
# movablecore: the top of RAM is ZONE_MOVABLE, which grabbed mode must
# leave alone unless grab_movable=1 (tests/init.sh checks both).
cmdline="$cmdline memmap=${size_mib}M\$$RES_BASE movablecore=256M"
cmdline="$cmdline pb_base=$RES_BASE pb_size=$RES_SIZE"
cmdline="$cmdline pb_mode=$what pb_stress=$PB_STRESS $APPEND"
echo "vmtest: booting $(basename "$VMLINUX") ($ACCEL, smp $SMP, $MEM): $cmdline"

rm -f "$OUT/qemu.rc"
{
	set +e
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -smp "$SMP" -m "$MEM" \
		-kernel "$VMLINUX" -initrd "$OUT/initramfs.cpio" -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-append "$cmdline" </dev/null 2>&1
	echo $? >"$OUT/qemu.rc"
} | tr -d '\r' | tee "$OUT/serial.log"
rc=$(cat "$OUT/qemu.rc" 2>/dev/null || echo 255)
t2=$(date +%s.%N)
echo "vmtest: build+pack $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s," \
	"boot+run $(awk "BEGIN { printf \"%.1f\", $t2 - $t1 }") s, qemu exit $rc"

counts=$(sed -n 's/^vmtest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
	"$OUT/serial.log" | tail -n 1)
if [ "$what" = test ]; then
	if [ -n "$counts" ]; then
		echo "$counts" >"$RESULTS/vmtest"
	else
		echo "0 1" >"$RESULTS/vmtest"
	fi
fi

case "$rc" in
1)	echo "vmtest: $what PASS"
	exit 0 ;;
3)	echo "vmtest: $what FAIL (see $OUT/serial.log)"
	exit 1 ;;
124|137)
	echo "vmtest: QEMU timed out after $TIMEOUT s" >&2 ;;
0)	echo "vmtest: the guest powered off without a verdict" >&2 ;;
*)	echo "vmtest: QEMU failed (exit $rc)" >&2 ;;
esac
grep -E -A 20 'Kernel panic|BUG:|Oops|WARNING:|No working init|end Kernel panic' \
	"$OUT/serial.log" | head -n 60 >&2 || true
exit 2
