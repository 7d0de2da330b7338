/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inputs of the core-function benchmarks, shared by the UML benchmark
 * (pallocbits_bench.c) and the userspace one (user_bench.c) so that both
 * time the same calls.
 *
 * The word patterns are those of Go 1.19's BenchmarkPallocBitsSummarize
 * (every word of the chunk bitmap set to one pattern, named
 * Unpacked%02X) and BenchmarkFindBitRange64 (all but the last pattern, at
 * sizes 2, 8 and 32, named Pattern%02XSize%d), runtime/mpallocbits_test.go.
 */
#ifndef _PALLOC_BENCH_PATTERNS_H
#define _PALLOC_BENCH_PATTERNS_H

#include <linux/types.h>

#ifndef ARRAY_SIZE	/* userspace: the library's shim headers lack it */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static const u64 bench_patterns[] = {
	0,
	~0ULL,
	0xaa,
	0xaaaaaaaaaaaaaaaaULL,
	0x80000000aaaaaaaaULL,
	0xaaaaaaaa00000001ULL,
	0xbbbbbbbbbbbbbbbbULL,
	0x80000000bbbbbbbbULL,
	0xbbbbbbbb00000001ULL,
	0xccccccccccccccccULL,
	0x4444444444444444ULL,
	0x4040404040404040ULL,
	0x4000400040004000ULL,
	0x1000404044ccaaffULL,
};

#define BENCH_NPATTERNS		ARRAY_SIZE(bench_patterns)
/* BenchmarkFindBitRange64 leaves out the last pattern. */
#define BENCH_NFBR_PATTERNS	(BENCH_NPATTERNS - 1)

/* Sizes of BenchmarkFindBitRange64. */
static const unsigned int bench_fbr_sizes[] = { 2, 8, 32 };
#define BENCH_NFBR_SIZES	ARRAY_SIZE(bench_fbr_sizes)

/* Run lengths for palloc_bits_find(): find1, findSmallN twice, findLargeN. */
static const unsigned int bench_find_sizes[] = { 1, 8, 32, 65 };
#define BENCH_NFIND_SIZES	ARRAY_SIZE(bench_find_sizes)

/*
 * palloc_data_find_scavenge_candidate() as the scavenger calls it: from the
 * top of the chunk, 4 KiB granules, up to a chunk, huge page = chunk; the
 * pattern is the allocation bitmap and nothing is scavenged.
 */
#define BENCH_SCAV_SEARCH	511
#define BENCH_SCAV_MIN		1
#define BENCH_SCAV_MAX		512
#define BENCH_SCAV_HUGE		512

/*
 * Iterations of one timed loop, and loops per figure: the fastest loop is
 * taken, the least disturbed by whatever else runs on the machine.
 */
#define BENCH_CORE_ITERS	200000UL
#define BENCH_FBR_ITERS		1000000UL
#define BENCH_CORE_REPS		7

#endif /* _PALLOC_BENCH_PATTERNS_H */
