#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Whole-module tests in QEMU: build pallocbits.ko and the static test
# programs, pack an initramfs, boot a kernel the module was built for, and
# read the guest's verdict.
#
#   [KERNEL=debian|debug|rt] vmtest [test|demo|bench]
#                     (make vmtest, make demo, make vmtest-debug, make vmtest-rt;
#                     bench: tests/userbench.c, for make bench)
#
# test: tests/init.sh loads the module on a memmap= reserved range and on a
#       self-grabbed one, runs tests/vmtest.c and tests/importer.c (vivid
#       capturing into dma-bufs of the heap node) against each, checks
#       unload, refused parameters, dmesg and taint.  Writes "PASSED
#       FAILED" (the vmtest counts) to build/results/vmtest (-debug, -rt).
# demo: a scripted pallocctl session showing stats and the debugfs map, then
#       tests/importer.c --demo: vivid captures into dma-bufs of the heap node.
#
# KERNEL selects the kernel and the output directory:
#   debian (default)  the Debian kernel the headers belong to (kdir.sh,
#                     vmlinux.sh); build/vm, build/pallocbits.ko.
#   debug             a KASAN + lockdep + DEBUG_ATOMIC_SLEEP + PREEMPT kernel
#                     built from linux-source-6.1 (scripts/vmkernel.sh debug,
#                     cached); build/vm-debug, build/pallocbits-debug.ko.
#   rt                Debian's PREEMPT_RT kernel (linux-headers-rt-amd64, the
#                     image only downloaded); build/vm-rt, build/pallocbits-rt.ko.
# On debug and rt the console gets every kernel message (loglevel=7),
# warnings do not panic (panic_on_warn=0, kasan_multi_shot: the whole suite
# runs and every report is seen), and the serial log is scanned on the host
# for kernel reports (KASAN, lockdep, atomic sleep, ODEBUG, hung tasks, ...):
# any report fails the run.  They are listed in build/vm-KERNEL/reports.txt.
# The "FAILED" count is vmtest's failures plus the failed tests/init.sh
# steps, plus one for kernel reports (debug, rt), plus one for a run
# without a verdict.
#
# A guest with no verdict 30 s before the timeout is sent an NMI through
# QEMU's monitor; it panics (unknown_nmi_panic) and prints every CPU's
# backtrace and every task's state (panic_print=0x41) into the serial log,
# so that a hang leaves its stacks behind.
#
# Exit status: 0 PASS, 1 FAIL, 2 infrastructure failure (build, boot, panic,
# timeout).  The serial log is build/vm*/serial.log.
#
# Environment: KERNEL (debian), ACCEL (tcg), SMP (1; debug and rt 2), MEM (2G), TIMEOUT (300 s;
# debug 600 s, rt 400 s: a whole run takes ~85 s on debian, ~125 s on debug,
# ~85 s on rt), RES_BASE (0x40000000; rt 0x48000000), RES_SIZE (0x4000000;
# rt 0x8000000, a whole memory section without struct pages),
# PB_STRESS (5 s), APPEND (extra kernel parameters, e.g. slub_debug=FZPU),
# KVER (Debian kernel version to boot), LOCK_WAIT (30 s for the kernel build
# lock), EXTRA_KO (kernel modules to add to the initramfs, default
# "kernel/drivers/block/loop.ko vivid"; see below).
set -eu
PROJ=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
what=${1:-test}
case "$what" in
test|demo|bench) ;;
*)	echo "usage: $0 [test|demo|bench]" >&2; exit 2 ;;
esac

KERNEL=${KERNEL:-debian}
# The report scan of the debug and rt kernels: one extended regexp.
REPORTS='BUG:|WARNING:|KASAN|UBSAN|possible circular locking|possible recursive locking'
REPORTS="$REPORTS|inconsistent lock state|sleeping function called from invalid context"
REPORTS="$REPORTS|ODEBUG|Call Trace|lockdep|INFO: task .* blocked|scheduling while atomic"
REPORTS="$REPORTS|suspicious RCU usage|Oops|Kernel panic|soft lockup|hard LOCKUP|detected stall"
# Boot banners that match it and report nothing.
BENIGN='RCU lockdep checking is enabled'
case "$KERNEL" in
debian)	OUT=$PROJ/build/vm
	result=vmtest
	variant=""
	timeout=300
	extra="" ;;
debug)	OUT=$PROJ/build/vm-debug
	result=vmtest-debug
	variant=debug
	timeout=600
	# movablecore=768M (the last one counts): the KASAN shadow and the
	# other boot-time allocations fill the top ~300 MiB of a 2 GiB guest,
	# all of a 256 MiB ZONE_MOVABLE, and the grab_movable=1 check needs
	# free room there.
	extra="loglevel=7 panic_on_warn=0 kasan_multi_shot movablecore=768M" ;;
rt)	OUT=$PROJ/build/vm-rt
	result=vmtest-rt
	variant=rt
	timeout=400
	# The reserved range is a whole 128 MiB memory section here, which
	# the kernel then has no memory map (no struct page) for: the
	# module's page-less dma-buf path (dma_map_resource()) is what vivid
	# imports through.  On debian and debug, 64 MiB at 1 GiB shares its
	# section with RAM and has struct pages.
	res_base=0x48000000
	res_size=0x8000000
	res_pages=no
	# Reserved mode without struct pages here (struct_pages=0): the RT
	# run covers the PFN-mapping fallback and dma_map_resource() importers,
	# the other kernels ZONE_DEVICE pages and 2 MiB entries (RT has no THP).
	extra="loglevel=7 panic_on_warn=0 pb_struct_pages=no pb_maps=pfn" ;;
*)	echo "vmtest: KERNEL must be debian, debug or rt (not $KERNEL)" >&2; exit 2 ;;
esac
RESULTS=$PROJ/build/results
ACCEL=${ACCEL:-tcg}
# The debug and RT kernels run with two CPUs, so that races between the
# per-CPU caches, the heap and STATS can happen at all (one TCG CPU on the
# Debian kernel is faster, and the debian run keeps it).
smp=1
[ "$KERNEL" = debian ] || smp=2
SMP=${SMP:-$smp}
MEM=${MEM:-2G}
TIMEOUT=${TIMEOUT:-$timeout}
RES_BASE=${RES_BASE:-${res_base:-0x40000000}}
RES_SIZE=${RES_SIZE:-${res_size:-0x4000000}}
PB_STRESS=${PB_STRESS:-5}
APPEND=${APPEND:-}

infra() {
	echo "vmtest: infrastructure failure: $*" >&2
	exit 2
}

t0=$(date +%s.%N)
groups="build kunit vm"
[ "$KERNEL" != rt ] || groups="$groups rt"
# shellcheck disable=SC2086 # one word per group
"$PROJ/scripts/deps.sh" $groups || infra "scripts/deps.sh"
mkdir -p "$OUT" "$RESULTS" "$CACHE"
# The kernel to build the module against (KDIR), and to boot (VMLINUX).
case "$KERNEL" in
debian)	KDIR=""
	KO=$PROJ/build/pallocbits.ko ;;
debug)	# vmkernel.sh takes the kernel build lock itself (and waits for it).
	KDIR=$("$PROJ/scripts/vmkernel.sh" debug) || infra "scripts/vmkernel.sh debug"
	VMLINUX=$KDIR/arch/x86/boot/bzImage
	KO=$PROJ/build/pallocbits-debug.ko ;;
rt)	KDIR=$("$PROJ/scripts/kdir.sh" rt-amd64) || infra "scripts/kdir.sh rt-amd64"
	KO=$PROJ/build/pallocbits-rt.ko ;;
esac
# The kernel build lock serialises kernel builds.  An M= module build does
# not touch the kernel trees it protects, and kunit.sh may hold it for
# minutes: wait LOCK_WAIT seconds for it, then build without it.
exec 9>>"$CACHE/kernel-build.lock"
if ! flock -n 9; then
	echo "vmtest: waiting up to ${LOCK_WAIT:-30} s for $CACHE/kernel-build.lock" >&2
	flock -w "${LOCK_WAIT:-30}" 9 ||
		echo "vmtest: kernel build lock busy; building the module without it" >&2
fi
if [ -n "$variant" ]; then
	make -s -C "$PROJ" module KDIR="$KDIR" BUILD_VARIANT="$variant" >"$OUT/module.log" 2>&1
else
	make -s -C "$PROJ" module >"$OUT/module.log" 2>&1
fi || {
	cat "$OUT/module.log" >&2
	infra "make module"
}
KSRC=$("$PROJ/scripts/ksrc.sh") || infra "scripts/ksrc.sh"
flock -u 9
case "$KERNEL" in
debian)	VMLINUX=$("$PROJ/scripts/vmlinux.sh") || infra "scripts/vmlinux.sh" ;;
rt)	VMLINUX=$("$PROJ/scripts/vmlinux.sh" rt-amd64) || infra "scripts/vmlinux.sh rt-amd64" ;;
esac
gcc -static -O2 -Wall -I"$PROJ" -I"$KSRC/tools/testing/selftests" -o "$OUT/vmtest" \
	"$PROJ/tests/vmtest.c" "$PROJ/lib/libpallocbits.c" || infra "building tests/vmtest.c"
gcc -static -O2 -Wall -I"$PROJ" -o "$OUT/pallocctl" "$PROJ/tools/pallocctl.c" \
	"$PROJ/lib/libpallocbits.c" || infra "building tools/pallocctl.c"
gcc -static -O2 -Wall -I"$PROJ" -o "$OUT/dmabuf-example" "$PROJ/lib/example.c" \
	"$PROJ/lib/libpallocbits.c" || infra "building lib/example.c"
gcc -static -O2 -Wall -I"$PROJ" -o "$OUT/userbench" "$PROJ/tests/userbench.c" \
	"$PROJ/lib/libpallocbits.c" || infra "building tests/userbench.c"
gcc -static -O2 -Wall -I"$PROJ" -o "$OUT/importer" "$PROJ/tests/importer.c" ||
	infra "building tests/importer.c"
# Kernel modules the tests need besides ours (EXTRA_KO: paths under
# lib/modules/VERSION/ or module names; the loop driver gives vmtest's
# O_DIRECT tests a block device, vivid is the dma-buf importer of
# tests/importer.c), with every module they depend on, taken from the image
# package of the kernel booted and extracted once into
# $CACHE/vm/modules-VERSION (scripts/vmmodules.sh).  They are packed in load order, dependencies
# first.  A kernel without a package there (a custom build) gets none:
# tests/init.sh skips a module the kernel already has, and the importer
# skips without vivid.
kver=$(basename "$VMLINUX" | sed 's/^vmlinux-//')
deb=$(find "$CACHE/vm" -maxdepth 1 -name "linux-image-$kver*_amd64.deb" | head -n 1)
extra_ko=""
if [ -n "$deb" ] && [ -n "${EXTRA_KO-x}" ]; then
	# shellcheck disable=SC2086 # one word per module
	kos=$("$PROJ/scripts/vmmodules.sh" "$deb" "$kver" "$CACHE/vm/modules-$kver" \
		${EXTRA_KO-kernel/drivers/block/loop.ko vivid}) ||
		infra "scripts/vmmodules.sh: the modules $kver needs from $deb"
	for ko in $kos; do
		extra_ko="$extra_ko -k $ko"
	done
fi
# shellcheck disable=SC2086 # $extra_ko is a list of options
"$PROJ/scripts/mkinitramfs.sh" $extra_ko "$OUT/initramfs.cpio" "$PROJ/tests/init.sh" \
	"$KO" "$OUT/vmtest" "$OUT/pallocctl" "$OUT/importer" "$OUT/dmabuf-example" \
	"$OUT/userbench" ||
	infra "mkinitramfs"
t1=$(date +%s.%N)

# memmap=SIZE$BASE: the $ is literal (escaped inside double quotes).
size_mib=$(( RES_SIZE / 1048576 ))
cmdline="console=ttyS0 loglevel=5 panic=-1 oops=panic panic_on_warn=1"
# A hung guest is sent an NMI before the timeout (below): it panics and
# prints every CPU's backtrace and every task's state.
cmdline="$cmdline unknown_nmi_panic=1 panic_print=0x41"
# movablecore: the top of RAM is ZONE_MOVABLE, which grabbed mode must
# leave alone unless grab_movable=1 (tests/init.sh checks both).
cmdline="$cmdline memmap=${size_mib}M\$$RES_BASE movablecore=256M"
cmdline="$cmdline pb_base=$RES_BASE pb_size=$RES_SIZE"
# With RES_BASE/RES_SIZE of one's own, whether the range has struct pages
# is the caller's to say (RES_PAGES).
[ -n "${RES_PAGES:-${res_pages:-}}" ] && cmdline="$cmdline pb_pages=${RES_PAGES:-$res_pages}"
cmdline="$cmdline pb_mode=$what pb_stress=$PB_STRESS"
[ -z "$extra" ] || cmdline="$cmdline $extra"
cmdline="$cmdline $APPEND"
echo "vmtest: booting $KERNEL kernel $VMLINUX ($ACCEL, smp $SMP, $MEM): $cmdline"

rm -f "$OUT/qemu.rc"
# The monitor's socket: a short path of its own (unix sockets take 107 bytes).
mondir=$(mktemp -d /tmp/pallocbits-mon.XXXXXX)
# A guest still running 30 s before the timeout gets an NMI through QEMU's
# monitor, so that a hang (a freeze with no kernel message of its own)
# leaves the guest's stacks in serial.log.  A run that gets here fails anyway.
python3 -c 'import socket, sys, time
time.sleep(float(sys.argv[2]))
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.settimeout(5)
    s.recv(4096)            # the monitor banner: it reads commands from here on
    s.sendall(b"nmi\n")
    print("vmtest: no verdict 30 s before the timeout: NMI sent to the guest",
          file=sys.stderr, flush=True)
    time.sleep(2)
except OSError:
    sys.exit(0)' \
	"$mondir/sock" "$(( TIMEOUT > 60 ? TIMEOUT - 30 : TIMEOUT / 2 ))" &
nmi_watch=$!
{
	set +e
	timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel "$ACCEL" -smp "$SMP" -m "$MEM" \
		-kernel "$VMLINUX" -initrd "$OUT/initramfs.cpio" -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-monitor "unix:$mondir/sock,server=on,wait=off" \
		-append "$cmdline" </dev/null 2>&1
	echo $? >"$OUT/qemu.rc"
} | tr -d '\r' | tee "$OUT/serial.log"
kill "$nmi_watch" 2>/dev/null || true
wait "$nmi_watch" 2>/dev/null || true
rm -rf "$mondir"
rc=$(cat "$OUT/qemu.rc" 2>/dev/null || echo 255)
t2=$(date +%s.%N)
echo "vmtest: build+pack $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s," \
	"boot+run $(awk "BEGIN { printf \"%.1f\", $t2 - $t1 }") s, qemu exit $rc"

# debug, rt: kernel reports in the serial log (every kernel message is on the
# console there).  Only timestamped kernel lines count, so that the guest's
# own output (e.g. "dmesg has no BUG/WARNING/...") does not.
nreports=0
if [ "$KERNEL" != debian ]; then
	grep -aE "\[ *[0-9]+\.[0-9]+\].*($REPORTS)" "$OUT/serial.log" |
		grep -avE "$BENIGN" >"$OUT/reports.txt" || true
	nreports=$(grep -c . "$OUT/reports.txt" || true)
	if [ "$nreports" -gt 0 ]; then
		echo "vmtest: $nreports kernel report lines on the $KERNEL kernel" \
			"($OUT/reports.txt); the first of them:" >&2
		head -n 30 "$OUT/reports.txt" >&2
	fi
fi

counts=$(sed -n 's/^vmtest: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
	"$OUT/serial.log" | tail -n 1)
if [ "$what" = test ]; then
	if [ -z "$counts" ]; then
		counts="0 1"
	else
		# Failed init steps (e.g. an insmod that did not load, the
		# importer, or the guest's own dmesg check), the kernel reports
		# (debug, rt), and a run that ended without a verdict count as
		# failures too.
		more=$(sed -n 's/^init steps: [0-9]* passed, \([0-9]*\) failed$/\1/p' \
			"$OUT/serial.log" | tail -n 1)
		more=${more:-1}
		[ "$nreports" -eq 0 ] || more=$((more + 1))
		case "$rc" in 1|3) ;; *) more=$((more + 1)) ;; esac
		counts=$(echo "$counts" | awk -v more="$more" '{ print $1, $2 + more }')
	fi
	echo "$counts" >"$RESULTS/$result"
fi

case "$rc" in
1)	if [ "$nreports" -gt 0 ]; then
		echo "vmtest: $what FAIL: the guest passed, but the $KERNEL kernel" \
			"reported problems (see $OUT/reports.txt)"
		exit 1
	fi
	echo "vmtest: $what PASS"
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
