#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libFuzzer run of the chunk page bitmap (user/fuzz/fuzz_pallocbits.c).
#
#   scripts/fuzz.sh [SECONDS]      default 240
#
# Builds build/fuzz/fuzz_pallocbits with clang: pallocbits.c with libFuzzer's
# coverage, ASan and UBSan (every sanitizer report is fatal), the target and
# its reference model with ASan and UBSan.  Fuzzes for SECONDS in one process
# from a scratch copy of the committed seed corpus (user/fuzz/corpus is never
# written).  Ends with "fuzz: N execs in S s, cov C, K crashes"; exits non-zero
# on any finding, whose input stays in build/fuzz/ (crash-*, timeout-*, ...).
# Replay one with: PALLOC_FUZZ_TRACE=1 build/fuzz/fuzz_pallocbits FILE
set -eu

PROJ=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-240}
OUT=$PROJ/build/fuzz
BIN=$OUT/fuzz_pallocbits
LOG=$OUT/fuzz.log
CC=clang

case $SECS in
''|*[!0-9]*|0) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

"$PROJ/scripts/deps.sh" fuzz
mkdir -p "$OUT"

CFLAGS="-g -O2 -std=gnu11 -Wall -Wextra -Werror -fno-sanitize-recover=all \
	$(make -s --no-print-directory -C "$PROJ" print-user-cflags)"
compile() {
	# shellcheck disable=SC2086 # CFLAGS is a list of words
	$CC $CFLAGS '-DKBUILD_MODNAME="pallocbits"' "$@"
}
compile -fsanitize=fuzzer-no-link,address,undefined \
	-c -o "$OUT/pallocbits.o" "$PROJ/pallocbits.c"
compile -fsanitize=address,undefined \
	-c -o "$OUT/fuzz_pallocbits.o" "$PROJ/user/fuzz/fuzz_pallocbits.c"
$CC -fsanitize=fuzzer,address,undefined \
	-Wl,--defsym=LLVMFuzzerTestOneInput=fuzz_one_input \
	-o "$BIN" "$OUT/fuzz_pallocbits.o" "$OUT/pallocbits.o"

# A fresh working corpus, seeded from the committed one.
rm -rf "$OUT/corpus"
mkdir -p "$OUT/corpus"
cp "$PROJ"/user/fuzz/corpus/* "$OUT/corpus/"
stamp=$OUT/.stamp
: >"$stamp"

echo "fuzz: $SECS s from $(find "$OUT/corpus" -type f | wc -l) seeds; log in $LOG"
rc=0
t0=$(date +%s)
# The work per input is bounded by the target (24 operations at most) and by
# -max_len (an operation takes 1 to 11 bytes).  NEW/REDUCE lines: log only.
(cd "$OUT" && "$BIN" -max_total_time="$SECS" -max_len=192 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$OUT/" "$OUT/corpus" >"$LOG" 2>&1) || rc=$?
elapsed=$(($(date +%s) - t0))
grep -E '^#[0-9]+[[:space:]]+(INITED|pulse|DONE)|^stat::' "$LOG" || true
# The report of a finding: the model's mismatch, a sanitizer or a WARN_ON_ONCE.
grep -m 1 -A 4 'MISMATCH' "$LOG" || true
grep -m 1 -A 12 -E 'runtime error|WARN_ON|ERROR: AddressSanitizer' "$LOG" || true
grep '^SUMMARY:' "$LOG" || true

crashes=$(find "$OUT" -maxdepth 1 -newer "$stamp" \( -name 'crash-*' -o -name 'leak-*' \
	-o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$LOG" | tail -n 1)
last=$(grep -E '^#[0-9]+' "$LOG" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
# Only pallocbits.c is coverage-instrumented; its sanitizer and WARN_ON_ONCE
# error blocks count among the instrumented PCs.
pcs=$(sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$LOG" | head -n 1)
[ "$rc" -eq 0 ] || [ "$crashes" -ne 0 ] || crashes=1

# Source coverage of pallocbits.c over the final corpus, when llvm-cov is
# installed (package llvm-14); informative only, never fails the run.
source_coverage() {
	profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata) &&
	llvmcov=$(command -v llvm-cov-14 || command -v llvm-cov) || return 0
	compile -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
		-Wl,--defsym=LLVMFuzzerTestOneInput=fuzz_one_input -o "$OUT/fuzz_cov" \
		"$PROJ/user/fuzz/fuzz_pallocbits.c" "$PROJ/pallocbits.c" &&
	rm -f "$OUT/cov.profraw" &&
	LLVM_PROFILE_FILE=$OUT/cov.profraw "$OUT/fuzz_cov" -runs=0 "$OUT/corpus" \
		>/dev/null 2>&1 &&
	"$profdata" merge -o "$OUT/cov.profdata" "$OUT/cov.profraw" &&
	"$llvmcov" report "$OUT/fuzz_cov" -instr-profile="$OUT/cov.profdata" \
		"$PROJ/pallocbits.c" >"$OUT/coverage.txt" &&
	awk -v f="$OUT/coverage.txt" '/^TOTAL/ {
		print "fuzz: source coverage of pallocbits.c over the corpus: lines " $10 \
			", branches " $13 ", functions " $7 ", regions " $4 " (llvm-cov, " f ")"
	}' "$OUT/coverage.txt"
}
[ "$crashes" -ne 0 ] || source_coverage || echo "fuzz: source coverage failed (ignored)"

echo "fuzz: ${execs:-?} execs at ${rate:-?} exec/s; cov ${cov:-?} of ${pcs:-?} PCs of" \
	"pallocbits.c (error paths included), ft ${ft:-?}, corpus ${corp:-?} inputs"
echo "fuzz: ${execs:-0} execs in $elapsed s, cov ${cov:-?}, $crashes crashes"
if [ "$crashes" -ne 0 ]; then
	echo "fuzz: FAILED (exit $rc); input(s) kept (replay: PALLOC_FUZZ_TRACE=1 $BIN FILE):" >&2
	find "$OUT" -maxdepth 1 -newer "$stamp" \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' -o -name 'oom-*' \) >&2
	exit 1
fi
