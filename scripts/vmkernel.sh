#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build a kernel for the QEMU whole-module tests from the cached Debian
# linux-source-6.1 tree (scripts/ksrc.sh) and print its build directory,
# which holds the arch/x86/boot/bzImage QEMU boots and serves as KDIR for
# the out-of-tree module build (make module KDIR=...).  (Not the ELF
# vmlinux through PVH: KASAN-instrumented PVH entry code faults before
# KASAN is set up.)
#
#   scripts/vmkernel.sh [debug]
#
# debug: KASAN (generic), lockdep, DEBUG_ATOMIC_SLEEP, full PREEMPT,
#        DEBUG_OBJECTS, DEBUG_LIST, DEBUG_VM and what the module and
#        tests/init.sh need: `make tinyconfig` (x86_64) + tests/debug.config
#        (merge_config.sh), then olddefconfig.  Every line of the fragment
#        must end up in .config as written, or the build stops.
#
# The build directory is $CACHE/vmk-VARIANT.  It is keyed by a hash of the
# fragment, the linux-source version, the compiler and this script's RECIPE:
# an unchanged key prints the directory at once (no make at all), a changed
# one reconfigures the same directory and lets kbuild rebuild what changed.
# Kernel builds are serialised by $CACHE/kernel-build.lock (as kunit.sh)
# and run under `nice -n 10` with JOBS (2) jobs.  The make output goes to
# $CACHE/vmk-VARIANT/build.log.
set -eu
PROJ=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
JOBS=${JOBS:-2}
# Bump when the way the kernel is configured or built below changes.
RECIPE=2

variant=${1:-debug}
case "$variant" in
debug)	frag=$PROJ/tests/debug.config ;;
*)	echo "usage: $0 [debug]" >&2; exit 2 ;;
esac
OUT=$CACHE/vmk-$variant

key_of() {	# key_of KSRC
	{
		echo "recipe $RECIPE"
		cat "$1/.pallocbits-extracted"
		gcc --version | head -n 1
		cat "$frag"
	} | sha256sum | cut -c 1-16
}

built() {	# built KSRC: the build dir is complete for the current key
	[ -f "$OUT/.pallocbits-key" ] && [ -s "$OUT/arch/x86/boot/bzImage" ] &&
		[ -f "$OUT/Module.symvers" ] &&
		[ "$(cat "$OUT/.pallocbits-key")" = "$(key_of "$1")" ]
}

# Fast path: nothing to do, and no need to wait for the build lock.
KSRC=$CACHE/linux-source-6.1
if [ -f "$KSRC/.pallocbits-extracted" ] && built "$KSRC"; then
	echo "$OUT"
	exit 0
fi

"$PROJ/scripts/deps.sh" build kunit >&2
mkdir -p "$CACHE"
exec 9>>"$CACHE/kernel-build.lock"
if ! flock -n 9; then
	echo "vmkernel: waiting for $CACHE/kernel-build.lock" >&2
	flock 9
fi
# --wire: drivers/misc/Kconfig sources drivers/misc/pallocbits once kunit.sh
# has run, and the link may still point to a checkout that is gone.
KSRC=$("$PROJ/scripts/ksrc.sh" --wire)
if built "$KSRC"; then	# another caller built it while we waited
	echo "$OUT"
	exit 0
fi

start=$(date +%s)
key=$(key_of "$KSRC")
mkdir -p "$OUT"
rm -f "$OUT/.pallocbits-key"
log=$OUT/build.log
echo "vmkernel: building the $variant kernel in $OUT (key $key, log $log)" >&2
: >"$log"

fail() {
	tail -n 40 "$log" >&2
	echo "vmkernel: $*" >&2
	exit 1
}

# The configuration: tinyconfig + the fragment, then olddefconfig.  It is
# generated afresh on every key change; an unchanged .config leaves kbuild
# nothing to rebuild.
make -s ARCH=x86_64 -C "$KSRC" O="$OUT" tinyconfig >>"$log" 2>&1 || fail "make tinyconfig failed"
"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "$frag" >>"$log" 2>&1 ||
	fail "merge_config.sh failed"
make -s ARCH=x86_64 -C "$KSRC" O="$OUT" olddefconfig >>"$log" 2>&1 || fail "make olddefconfig failed"

# Every option of the fragment as requested: CONFIG_X=V must be in .config
# verbatim; "# CONFIG_X is not set" means absent or not set.
bad=$(sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
	-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "$frag" |
	while IFS= read -r want; do
		sym=${want%%=*}
		got=$(grep -E "^$sym=|^# $sym is not set\$" "$OUT/.config" || true)
		case "$want" in
		*=n)	case "$got" in "" | "# $sym is not set") continue ;; esac ;;
		*)	[ "$got" = "$want" ] && continue ;;
		esac
		echo "  requested $want, got ${got:-nothing}"
	done)
if [ -n "$bad" ]; then
	echo "vmkernel: $frag is not satisfied by $OUT/.config:" >&2
	echo "$bad" >&2
	exit 1
fi

# bzImage for QEMU; `modules` runs modpost (Module.symvers) and
# modules_prepare, which the out-of-tree module build needs.
nice -n 10 make -s ARCH=x86_64 -C "$KSRC" O="$OUT" -j"$JOBS" bzImage modules >>"$log" 2>&1 ||
	fail "kernel build failed"
echo "$key" >"$OUT/.pallocbits-key"
echo "vmkernel: $variant kernel built in $(($(date +%s) - start)) s" >&2
echo "$OUT"
