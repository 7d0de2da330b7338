#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Differential test of the chunk bitmap (pallocbits.c) against Go 1.19's
# runtime itself (mpallocbits.go, fillAligned/findScavengeCandidate).
#
#   scripts/oracle.sh                 200000 random cases, random seed
#   ORACLE_N=1000000 ORACLE_SEED=42 scripts/oracle.sh
#
# user/oracle/vectors.c writes the commands and the C library's answers;
# Go's runtime test binary, with user/oracle/*_test.go added by -overlay,
# answers the same commands (see oracle_test.go for the command language).
# The binary is cached under ${PALLOC_CACHE:-~/.cache/pallocbits}/oracle,
# keyed by the Go version and the two .go files.  Prints the first 20
# mismatches and ends with "oracle: N cases, seed S, M mismatches"; exits 1
# if M > 0, 2 if the harness itself fails.  The vector files are kept in
# build/oracle/ when something mismatches.
set -eu

PROJ=$(cd "$(dirname "$0")/.." && pwd)
"$PROJ/scripts/deps.sh" oracle build

N=${ORACLE_N:-200000}
SEED=${ORACLE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')}
echo "oracle: seed $SEED, $N random cases (rerun: ORACLE_SEED=$SEED ORACLE_N=$N $0)"

OUT=$PROJ/build/oracle
ORACLE_SRC=$PROJ/user/oracle
mkdir -p "$OUT"

# The C side: the userspace library and the vector generator.
make -s -C "$PROJ" user
CFLAGS=$(make -s --no-print-directory -C "$PROJ" print-user-cflags)
# shellcheck disable=SC2086 # CFLAGS is a list of flags
${CC:-cc} -O2 -Wall -Wextra -Werror $CFLAGS -o "$OUT/vectors" \
	"$ORACLE_SRC/vectors.c" "$PROJ/build/user/libpallocbits.a"

# The Go side: runtime.test with the oracle files overlaid, built once.
CACHE=${PALLOC_CACHE:-${XDG_CACHE_HOME:-${HOME:?}/.cache}/pallocbits}/oracle
KEY=$({ go version; cat "$ORACLE_SRC/export_oracle_test.go" "$ORACLE_SRC/oracle_test.go"; } |
	sha256sum | cut -c1-16)
BIN=$CACHE/runtime-$KEY.test
if [ ! -x "$BIN" ]; then
	echo "oracle: building Go's runtime test binary (once, ~15 s)"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/build.XXXXXX")
	R=$(go env GOROOT)/src/runtime
	cp "$ORACLE_SRC/export_oracle_test.go" "$ORACLE_SRC/oracle_test.go" "$tmp/"
	cat > "$tmp/overlay.json" <<EOF
{"Replace": {
	"$R/zz_pallocbits_export_oracle_test.go": "$tmp/export_oracle_test.go",
	"$R/zz_pallocbits_oracle_test.go": "$tmp/oracle_test.go"
}}
EOF
	if ! (cd "$tmp" && go test -c -vet=off -overlay=overlay.json -o runtime.test runtime); then
		rm -rf "$tmp"
		echo "oracle: building the Go oracle failed" >&2
		exit 2
	fi
	rm -f "$CACHE"/runtime-*.test
	mv "$tmp/runtime.test" "$BIN"
	rm -rf "$tmp"
fi

CMDS=$OUT/cmds.txt
C_ANS=$OUT/c.txt
GO_ANS=$OUT/go.txt
"$OUT/vectors" "$SEED" "$N" "$CMDS" "$C_ANS" 2>&1
if ! ORACLE_IN=$CMDS ORACLE_OUT=$GO_ANS "$BIN" -test.run '^TestOracle$' -test.count=1 \
	> "$OUT/go.log" 2>&1; then
	tail -n 30 "$OUT/go.log" >&2
	echo "oracle: the Go oracle failed (log: $OUT/go.log); seed $SEED" >&2
	exit 2
fi

# Compare line by line; the command of line n produced answer line n.
RESULT=$(awk -v cf="$CMDS" -v gf="$GO_ANS" -v af="$C_ANS" -v show=20 '
BEGIN {
	n = 0; m = 0
	while ((getline c < cf) > 0) {
		n++
		if ((getline g < gf) <= 0)
			g = "<no answer>"
		if ((getline a < af) <= 0)
			a = "<no answer>"
		if (g != a && ++m <= show)
			printf "mismatch at case %d:\n  cmd: %s\n  go:  %s\n  c:   %s\n", n, c, g, a > "/dev/stderr"
	}
	while ((getline g < gf) > 0)
		m++
	while ((getline a < af) > 0)
		m++
	print n, m
}')
CASES=${RESULT% *}
MISMATCHES=${RESULT#* }

if [ "$MISMATCHES" -eq 0 ]; then
	rm -f "$CMDS" "$C_ANS" "$GO_ANS" "$OUT/go.log"
else
	echo "oracle: vectors kept in $OUT (cmds.txt, go.txt, c.txt)" >&2
fi
echo "oracle: $CASES cases, seed $SEED, $MISMATCHES mismatches"
[ "$MISMATCHES" -eq 0 ]
