#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the pallocbits KUnit suites under kunit.py on UML.
#
#   scripts/kunit.sh [plain|debug] [kunit.py filter glob]
#
# The Debian linux-source-6.1 tree is extracted once into a cache outside the
# checkout (PALLOC_CACHE, default ~/.cache/pallocbits), this checkout is linked
# into it as drivers/misc/pallocbits, and each variant keeps its own build
# directory there, so only the first run is a cold build.  "debug" adds KASAN
# (whose reports fail the test through KASAN_KUNIT_TEST), UBSAN and lockdep,
# and fails on any sanitizer, lockdep or warning report in the kernel log.
#
# Exit status: kunit.py's, or 1 when the debug log has a report.  The counts
# are written to build/results/kunit-VARIANT as "passed failed".
set -euo pipefail

PROJ=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
variant=${1:-plain}
glob=${2:-palloc*}

"$PROJ/scripts/deps.sh" build kunit
mkdir -p "$CACHE" "$PROJ/build/results"

# One kernel build at a time on this machine: every caller takes this lock.
exec 9>"$CACHE/kernel-build.lock"
flock 9

# The cached tree, with this checkout linked in as drivers/misc/pallocbits.
KSRC=$("$PROJ/scripts/ksrc.sh" --wire)
mkdir -p "$CACHE/build"

args=(--kunitconfig="$PROJ/.kunitconfig" --build_dir="$CACHE/build/um-$variant" --jobs="$(nproc)")
case $variant in
plain) ;;
debug)
	# (DEBUG_ATOMIC_SLEEP needs preemption, which UML lacks.)
	for opt in KASAN KASAN_VMALLOC KASAN_KUNIT_TEST DEBUG_KERNEL PROVE_LOCKING UBSAN; do
		args+=(--kconfig_add "CONFIG_$opt=y")
	done
	args+=(--kernel_args kasan_multi_shot)
	;;
*)	echo "usage: $0 [plain|debug] [glob]" >&2; exit 2 ;;
esac

out=$PROJ/build/results/kunit-$variant.log
start=$(date +%s)
set +e
(cd "$KSRC" && python3 tools/testing/kunit/kunit.py run "${args[@]}" "$glob") 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
echo "kunit ($variant): $(($(date +%s) - start)) s"

# "Testing complete. Ran 12 tests: passed: 11, failed: 1"
summary=$(grep -a 'Testing complete' "$out" | tail -n 1 || true)
passed=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$summary")
failed=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$summary")
crashed=$(sed -n 's/.*crashed: \([0-9]*\).*/\1/p' <<<"$summary")
passed=${passed:-0}
failed=$((${failed:-0} + ${crashed:-0}))
if [ -z "$summary" ] || [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1	# no parsable result: the build or the kernel failed
fi

if [ "$variant" = debug ]; then
	# Reports that do not fail a KUnit test by themselves (lockdep, and
	# anything printed outside a test).  Every UML kernel warns once in
	# virt-pci; that warning is not ours.
	log=$CACHE/build/um-$variant/test.log
	pat='BUG:|WARNING:|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|sleeping function called|suspicious RCU usage|lock held when returning'
	reports=$(grep -aE "$pat" "$log" | grep -av 'virt-pci' | grep -av 'KASAN_KUNIT_TEST' || true)
	if [ -n "$reports" ]; then
		echo "kunit ($variant): sanitizer/lockdep reports in $log:" >&2
		echo "$reports" >&2
		failed=$((failed + 1))
		[ "$rc" -ne 0 ] || rc=1
	fi
fi
echo "$passed $failed" >"$PROJ/build/results/kunit-$variant"
exit "$rc"
