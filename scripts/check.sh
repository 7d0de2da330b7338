#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test the project has, in order, continuing past failures.
# Each step adds to the totals: KUnit cases one by one, every other step
# (builds, lint, test programs) as one.  The last line is
# "N passed, N failed"; the exit status is non-zero if anything failed.
set -uo pipefail

PROJ=$(cd "$(dirname "$0")/.." && pwd)
RES=$PROJ/build/results
mkdir -p "$RES"
passed=0
failed=0
failures=()

note() {	# note NAME PASSED FAILED
	passed=$((passed + $2))
	failed=$((failed + $3))
	if [ "$3" -ne 0 ]; then
		failures+=("$1")
		echo "check: FAIL $1" >&2
	else
		echo "check: ok   $1"
	fi
}

step() {	# step NAME COMMAND... : one check, passed iff the command succeeds
	local name=$1 t0=$SECONDS
	shift
	echo "check: ---- $name"
	if "$@"; then
		note "$name ($((SECONDS - t0)) s)" 1 0
	else
		note "$name ($((SECONDS - t0)) s)" 0 1
	fi
}

counted() {	# counted NAME RESULT COMMAND...: cases counted one by one from RESULT
	local name=$1 res=$RES/$2 t0=$SECONDS p f
	shift 2
	echo "check: ---- $name"
	rm -f "$res"
	"$@" >"$res.out" 2>&1
	tail -n 25 "$res.out"
	read -r p f <"$res" 2>/dev/null || { p=0; f=1; }
	note "$name: $p passed, $f failed ($((SECONDS - t0)) s)" "$p" "$f"
}

# A build step fails on any compiler or kernel-doc warning, not only on errors.
no_warnings() {
	local out
	out=$("$@" 2>&1)
	local rc=$?
	echo "$out"
	[ $rc -eq 0 ] && ! grep -qiE 'warning|error' <<<"$out"
}

# The README's copy of lib/example.c (the file from its first #include on).
readme_example() {
	diff -u <(awk '/^#include/ { p = 1 } p' "$PROJ/lib/example.c") \
		<(sed -n '/^<!-- lib\/example.c from its first #include -->$/,/^```$/p' \
			"$PROJ/README.md" | sed '1,2d;$d') ||
		{ echo "check: README.md's example differs from lib/example.c" >&2; return 1; }
}

# make user also builds lib/example.c (build/user/dmabuf-example, which needs
# the device: built, not run) and lib/libtest.c (the device library against a
# simulated device: run here).
user_example() {
	make -s -C "$PROJ" user &&
	cc -O2 -Wall -Wextra -Werror $(make -s --no-print-directory -C "$PROJ" print-user-cflags) \
		-o "$PROJ/build/user/example" "$PROJ/user/example.c" \
		"$PROJ/build/user/libpallocbits.a" &&
	"$PROJ/build/user/example" &&
	[ -x "$PROJ/build/user/dmabuf-example" ] &&
	readme_example &&
	"$PROJ/build/user/libtest"
}

step "deps" "$PROJ/scripts/deps.sh"
step "module build (W=1, no warnings)" no_warnings make -C "$PROJ" module
step "userspace library, examples and libtest" user_example
step "lint" "$PROJ/scripts/lint.sh"
step "Go oracle differential test" "$PROJ/scripts/oracle.sh"
step "DKMS build" "$PROJ/scripts/dkms.sh"
step "libFuzzer smoke (20 s)" "$PROJ/scripts/fuzz.sh" 20
counted "kunit plain" kunit-plain "$PROJ/scripts/kunit.sh" plain
counted "kunit debug (KASAN, UBSAN, lockdep)" kunit-debug "$PROJ/scripts/kunit.sh" debug
counted "VM tests (Debian 6.1 in QEMU)" vmtest "$PROJ/scripts/vmtest.sh" test
counted "VM tests on the debug kernel (KASAN, lockdep, atomic-sleep, PREEMPT)" vmtest-debug \
	env KERNEL=debug "$PROJ/scripts/vmtest.sh" test
counted "VM tests on the PREEMPT_RT kernel" vmtest-rt env KERNEL=rt "$PROJ/scripts/vmtest.sh" test

if [ ${#failures[@]} -ne 0 ]; then
	printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
