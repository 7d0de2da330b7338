#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make profile: where the heap's time goes, with perf.  Not a test.
#
#   scripts/profile.sh [GLOB]      RANGE=64GiB: that range size only
#
# A UML kernel is a userspace process, so perf profiles the heap's
# bookkeeping exactly as it runs in `make bench`: this builds the benchmark
# kernel (bench/.kunitconfig, $CACHE/build/um-bench, as scripts/bench.sh),
# runs the KUnit case GLOB (default palloc_bench.palloc_bench_churn) with
# pallocbits alone (pallocbits_bench.peers=0, one round) under
# `perf record -F 10000`, and prints the hottest symbols of the whole run
# (the benchmark's own sorting and calibration included).  perf.data and
# the report stay in build/profile/.  The software clock is sampled
# (cpu-clock): virtual machines often lack hardware counters.  Sampling
# interrupts the kernel: the times printed meanwhile are not figures.
set -eu
set -o pipefail

PROJ=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pallocbits}
OUT=$PROJ/build/profile
BDIR=$CACHE/build/um-bench
GLOB=${1:-palloc_bench.palloc_bench_churn}

"$PROJ/scripts/deps.sh" build kunit profile
mkdir -p "$CACHE/build" "$OUT"
exec 9>"$CACHE/kernel-build.lock"
flock 9

KSRC=$("$PROJ/scripts/ksrc.sh" --wire)
echo "profile: building the benchmark kernel ($BDIR; log build/profile/build.log)"
(cd "$KSRC" && python3 tools/testing/kunit/kunit.py build \
	--kunitconfig="$PROJ/bench/.kunitconfig" --build_dir="$BDIR" --jobs="$(nproc)") \
	>"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log" >&2; exit 1; }

echo "profile: perf record of $GLOB"
# kunit.py's own arguments for a UML run, plus the case and the benchmark's.
(cd "$BDIR" && perf record -q -F 10000 -o "$OUT/perf.data" -- ./linux mem=1G console=tty \
	kunit_shutdown=halt kunit.filter_glob="$GLOB" pallocbits_bench.peers=0 \
	pallocbits_bench.rounds=1 pallocbits_bench.only="${RANGE:-}") >"$OUT/uml.log" 2>&1
grep -c 'PBENCH' "$OUT/uml.log" >/dev/null || { echo "profile: no benchmark output" >&2; exit 1; }
perf report -i "$OUT/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
	grep -E '^ +[0-9]' >"$OUT/report.txt"
echo "profile: hottest symbols (self time; all of build/profile/report.txt):"
head -n 30 "$OUT/report.txt"
