// SPDX-License-Identifier: GPL-2.0
/*
 * The core-function benchmarks of pallocbits_bench.c in userspace, against
 * build/user/libpallocbits.a: palloc_bits_summarize(), palloc_bits_find(),
 * find_bit_range64 and palloc_data_find_scavenge_candidate() on the bit
 * patterns of Go's BenchmarkPallocBitsSummarize and BenchmarkFindBitRange64
 * (bench_patterns.h), named as Go names them.  find_bit_range64 is timed
 * through the header's inline __palloc_find_bit_range64(), which the
 * exported palloc_find_bit_range64() wraps: Go's benchmark inlines
 * findBitRange64 the same way.
 *
 * Each figure is the fastest of BENCH_CORE_REPS loops of many calls, timed
 * with clock_gettime(CLOCK_MONOTONIC).  Output, one line per figure:
 *   PBENCH core <function> <name> <ns/op>
 *
 * Build and run: make bench (scripts/bench.sh), or
 *   make -C .. user
 *   cc -O2 $(make -s -C .. print-user-cflags) user_bench.c \
 *	../build/user/libpallocbits.a -o user_bench && ./user_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pallocbits.h"
#include "bench_patterns.h"

/* Results go here, so that no call is left out. */
u64 bench_sink;

static u64 bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static u64 bench_loop_summarize(const struct palloc_bits *b, unsigned long iters)
{
	palloc_sum_t acc = 0;
	unsigned long i;
	u64 t0 = bench_now();

	for (i = 0; i < iters; i++)
		acc += palloc_bits_summarize(b);
	t0 = bench_now() - t0;
	bench_sink = acc;
	return t0;
}

static u64 bench_loop_find(const struct palloc_bits *b, unsigned int npages, unsigned long iters)
{
	unsigned int acc = 0, nsi;
	unsigned long i;
	u64 t0 = bench_now();

	for (i = 0; i < iters; i++)
		acc += palloc_bits_find(b, npages, 0, &nsi) + nsi;
	t0 = bench_now() - t0;
	bench_sink = acc;
	return t0;
}

static u64 bench_loop_fbr(u64 c, unsigned int n, unsigned long iters)
{
	unsigned int acc = 0;
	unsigned long i;
	u64 t0 = bench_now();

	for (i = 0; i < iters; i++)
		acc += __palloc_find_bit_range64(c, n);
	t0 = bench_now() - t0;
	bench_sink = acc;
	return t0;
}

static u64 bench_loop_scav(const struct palloc_data *d, unsigned long iters)
{
	unsigned int acc = 0, n;
	unsigned long i;
	u64 t0 = bench_now();

	for (i = 0; i < iters; i++)
		acc += palloc_data_find_scavenge_candidate(d, BENCH_SCAV_SEARCH, BENCH_SCAV_MIN,
							   BENCH_SCAV_MAX, BENCH_SCAV_HUGE,
							   &n) + n;
	t0 = bench_now() - t0;
	bench_sink = acc;
	return t0;
}

enum bench_fn { FN_SUMMARIZE, FN_FIND, FN_FBR, FN_SCAV };

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* The fastest of BENCH_CORE_REPS loops of @fn, printed as ns per call. */
static void bench_core_one(enum bench_fn fn, const char *name, const char *label,
			   const struct palloc_data *d, u64 pattern, unsigned int n)
{
	unsigned long iters = fn == FN_FBR ? BENCH_FBR_ITERS : BENCH_CORE_ITERS;
	u64 s[BENCH_CORE_REPS];
	int rep;

	for (rep = 0; rep < BENCH_CORE_REPS; rep++) {
		switch (fn) {
		case FN_SUMMARIZE:
			s[rep] = bench_loop_summarize(&d->alloc, iters);
			break;
		case FN_FIND:
			s[rep] = bench_loop_find(&d->alloc, n, iters);
			break;
		case FN_FBR:
			s[rep] = bench_loop_fbr(pattern, n, iters);
			break;
		case FN_SCAV:
			s[rep] = bench_loop_scav(d, iters);
			break;
		}
	}
	qsort(s, BENCH_CORE_REPS, sizeof(*s), bench_cmp_u64);
	printf("PBENCH core %s %s %.2f\n", name, label,
	       (double)s[0] / (double)iters);
}

int main(void)
{
	struct palloc_data d;
	char label[48];
	unsigned int p, k;

	for (p = 0; p < BENCH_NPATTERNS; p++) {
		u64 pat = bench_patterns[p];

		for (k = 0; k < PALLOC_CHUNK_WORDS; k++) {
			d.alloc.w[k] = pat;
			d.scav.w[k] = 0;
		}
		snprintf(label, sizeof(label), "Unpacked%02llX", (unsigned long long)pat);
		bench_core_one(FN_SUMMARIZE, "summarize", label, &d, pat, 0);
		for (k = 0; k < BENCH_NFIND_SIZES; k++) {
			snprintf(label, sizeof(label), "Unpacked%02llXN%u",
				 (unsigned long long)pat, bench_find_sizes[k]);
			bench_core_one(FN_FIND, "find", label, &d, pat, bench_find_sizes[k]);
		}
		snprintf(label, sizeof(label), "Unpacked%02llX", (unsigned long long)pat);
		bench_core_one(FN_SCAV, "scavenge_candidate", label, &d, pat, 0);
		if (p >= BENCH_NFBR_PATTERNS)
			continue;
		for (k = 0; k < BENCH_NFBR_SIZES; k++) {
			snprintf(label, sizeof(label), "Pattern%02llXSize%u",
				 (unsigned long long)pat, bench_fbr_sizes[k]);
			bench_core_one(FN_FBR, "find_bit_range64", label, &d, pat,
				       bench_fbr_sizes[k]);
		}
	}
	return 0;
}
