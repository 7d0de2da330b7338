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

kunit() {	# kunit VARIANT: KUnit cases counted one by one
	local t0=$SECONDS p f
	echo "check: ---- kunit $1"
	rm -f "$RES/kunit-$1"
	"$PROJ/scripts/kunit.sh" "$1" >"$RES/kunit-$1.out" 2>&1
	tail -n 25 "$RES/kunit-$1.out"
	read -r p f <"$RES/kunit-$1" 2>/dev/null || { p=0; f=1; }
	note "kunit $1: $p passed, $f failed ($((SECONDS - t0)) s)" "$p" "$f"
}

# A build step fails on any compiler or kernel-doc warning, not only on errors.
no_warnings() {
	local out
	out=$("$@" 2>&1)
	local rc=$?
	echo "$out"
	[ $rc -eq 0 ] && ! grep -qiE 'warning|error' <<<"$out"
}

user_example() {
	make -s -C "$PROJ" user &&
	cc -O2 -Wall -Wextra -Werror $(make -s -C "$PROJ" print-user-cflags) \
		-o "$PROJ/build/user/example" "$PROJ/user/example.c" \
		"$PROJ/build/user/libpallocbits.a" &&
	"$PROJ/build/user/example"
}

step "deps" "$PROJ/scripts/deps.sh"
step "module build (W=1, no warnings)" no_warnings make -C "$PROJ" module
step "userspace library and example" user_example
step "lint" "$PROJ/scripts/lint.sh"
step "Go oracle differential test" "$PROJ/scripts/oracle.sh"
kunit plain
kunit debug

if [ ${#failures[@]} -ne 0 ]; then
	printf 'failed: %s\n' "${failures[@]}" >&2
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
