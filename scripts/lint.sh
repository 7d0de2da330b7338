#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint gates: checkpatch --strict, kernel-doc and sparse over the project.
# Exit 0 only when every gate is clean.
set -uo pipefail

PROJ=$(cd "$(dirname "$0")/.." && pwd)
"$PROJ/scripts/deps.sh" build kunit lint
KSRC=$("$PROJ/scripts/ksrc.sh")
cd "$PROJ"
rc=0

# Every C source and header we write, kernel and userspace alike.  The
# exceptions, listed here and nowhere else: user/include/ holds stand-ins for
# kernel headers (typedefs of the kernel's own u64 and friends, GNU
# statement-expression macros) that checkpatch rightly rejects in kernel code;
# lib/ (libpallocbits, for any C program) keeps the C99 types its API
# promises (uint64_t in struct pallocbits_buf), so PREFER_KERNEL_TYPES is
# off there and only there.
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' |
		     grep -vE '^(user/include|lib)/')
mapfile -t libfiles < <(git ls-files --cached --others --exclude-standard 'lib/*.c' 'lib/*.h')
out=$({
	perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--ignore FILE_PATH_CHANGES -f "${files[@]}"
	[ ${#libfiles[@]} -eq 0 ] ||
		perl "$KSRC/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
			--ignore FILE_PATH_CHANGES,PREFER_KERNEL_TYPES -f "${libfiles[@]}"
} 2>&1 | grep -E 'ERROR|WARNING|CHECK')
if [ -n "$out" ]; then
	echo "lint: checkpatch --strict:"
	echo "$out"
	rc=1
else
	echo "lint: checkpatch --strict: $((${#files[@]} + ${#libfiles[@]})) files clean"
fi

# kernel-doc on the kernel sources (W=1 only checks the .c files kbuild
# compiles directly, not pallocbits.c, which palloc_chunk.c includes).
mapfile -t kfiles < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' | grep -vE '^(user|tools|tests)/')
out=$(perl "$KSRC/scripts/kernel-doc" -none -v "${kfiles[@]}" 2>&1 | grep -v " info: ")
if [ -n "$out" ]; then
	echo "lint: kernel-doc:"
	echo "$out"
	rc=1
else
	echo "lint: kernel-doc: ${#kfiles[@]} files clean"
fi

# sparse over every object of the module.
kdir=$("$PROJ/scripts/kdir.sh")
make -s -C "$PROJ" module >/dev/null 2>&1
out=$(make -C "$kdir" M="$PROJ/build/kmod" CONFIG_PALLOCBITS=m \
	CONFIG_PALLOCBITS_DEVICE=y CONFIG_DEBUG_INFO_BTF_MODULES= C=2 W=1 modules 2>&1 | grep -E 'warning|error')
if [ -n "$out" ]; then
	echo "lint: sparse:"
	echo "$out"
	rc=1
else
	echo "lint: sparse: clean"
fi
exit $rc
