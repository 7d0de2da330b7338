// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the chunk page bitmap (pallocbits.c), Go 1.19's
 * runtime/mpallocbits.go plus fillAligned and findScavengeCandidate of
 * runtime/mgcscavenge.go.
 *
 * Every expected value in a table comes from one of Go's own tests
 * (mpallocbits_test.go, mgcscavenge_test.go; named after the Go subtest) or
 * from working Go's semantics through by hand; none was produced by running
 * the code under test, and all of them, like the reference implementations
 * below, were checked against Go 1.19's runtime itself.  The random cases
 * compare against those obviously correct bit-by-bit references (ref_*).
 * Each random case prints its seed; run it again with
 * pallocbits_test.seed=<seed> on the kernel command line.
 */

#include <kunit/test.h>
#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/string.h>

#include "../pallocbits.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static unsigned int palloc_seed;
module_param_named(seed, palloc_seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the random cases; 0 = a new random seed per case");

#define CHUNK_PAGES	PALLOC_CHUNK_PAGES
#define CHUNK_WORDS	PALLOC_CHUNK_WORDS
#define NF		PALLOC_NOT_FOUND
#define SUM_MAX		PALLOC_SUM_MAX_VALUE
#define ONES		(~0ULL)
#define RANDOM_ROUNDS	2000

/* The start of every failure message of a random case. */
#define RND_FMT		"seed %u iter %u: "

/* A run of pages [i, i + n); n == 0 entries are skipped, as Go's tests do. */
struct pb_range {
	unsigned int i;
	unsigned int n;
};

#define PB_MAX_RANGES	8

/* ---------------------------------------------------------------------- */
/* Bit-by-bit reference implementations and fixtures                       */
/* ---------------------------------------------------------------------- */

static bool ref_get(const struct palloc_bits *b, unsigned int i)
{
	return (b->w[i / 64] >> (i % 64)) & 1;
}

static void ref_fill(struct palloc_bits *b, unsigned int i, unsigned int n, bool v)
{
	for (; n; n--, i++) {
		if (v)
			b->w[i / 64] |= 1ULL << (i % 64);
		else
			b->w[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* A bitmap with @r set on a clear background, or clear on a set one if @inv. */
static void ref_make(struct palloc_bits *b, const struct pb_range *r, unsigned int nr, bool inv)
{
	unsigned int k;

	memset(b, inv ? 0xff : 0, sizeof(*b));
	for (k = 0; k < nr; k++)
		ref_fill(b, r[k].i, r[k].n, !inv);
}

static bool ref_equal(const struct palloc_bits *a, const struct palloc_bits *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* A bitmap's words, word 0 first, for failure messages. */
struct bits_str {
	char s[CHUNK_WORDS * 17 + 1];
};

static const char *bits_str(struct bits_str *buf, const struct palloc_bits *b)
{
	unsigned int k, at = 0;

	for (k = 0; k < CHUNK_WORDS; k++)
		at += scnprintf(buf->s + at, sizeof(buf->s) - at, "%s%016llx", k ? " " : "",
				b->w[k]);
	return buf->s;
}

static unsigned int ref_popcnt(const struct palloc_bits *b, unsigned int i, unsigned int n)
{
	unsigned int c = 0;

	for (; n; n--, i++)
		c += ref_get(b, i);
	return c;
}

struct pb_sum {
	unsigned int start;
	unsigned int max;
	unsigned int end;
};

/* Go's SummarizeSlow. */
static struct pb_sum ref_summarize(const struct palloc_bits *b)
{
	struct pb_sum s = {};
	unsigned int i, run = 0;

	while (s.start < CHUNK_PAGES && !ref_get(b, s.start))
		s.start++;
	while (s.end < CHUNK_PAGES && !ref_get(b, CHUNK_PAGES - 1 - s.end))
		s.end++;
	for (i = 0; i < CHUNK_PAGES; i++) {
		run = ref_get(b, i) ? 0 : run + 1;
		s.max = max(s.max, run);
	}
	return s;
}

/* Go's packing of a leaf summary (fields <= 512, so never the bit-63 form). */
static u64 ref_pack(struct pb_sum s)
{
	return (u64)s.start | (u64)s.max << 21 | (u64)s.end << 42;
}

/*
 * First fit of @npages free pages at or after the start of word
 * @search_idx / 64; *@nsi = the first free page there (NF if none).
 */
static unsigned int ref_find(const struct palloc_bits *b, unsigned int npages,
			     unsigned int search_idx, unsigned int *nsi)
{
	unsigned int i, run = 0;

	*nsi = NF;
	for (i = search_idx & ~63U; i < CHUNK_PAGES; i++) {
		if (ref_get(b, i)) {
			run = 0;
			continue;
		}
		if (*nsi == NF)
			*nsi = i;
		if (++run >= npages)
			return i + 1 - npages;
	}
	return NF;
}

/* Lowest i with bits [i, i + n) of c set, else 64. */
static unsigned int ref_find_bit_range64(u64 c, unsigned int n)
{
	unsigned int i, run = 0;

	for (i = 0; i < 64; i++) {
		run = (c >> i) & 1 ? run + 1 : 0;
		if (run >= n)
			return i + 1 - n;
	}
	return 64;
}

/* Go's fillAlignedSlow from TestFillAligned. */
static u64 ref_fill_aligned(u64 x, unsigned int m)
{
	u64 out = 0, g;
	unsigned int i;

	if (m == 1)
		return x;
	for (i = 0; i < 64; i += m) {
		g = (m == 64 ? ONES : (1ULL << m) - 1) << i;
		if (x & g)
			out |= g;
	}
	return out;
}

/* Page @p lies in a @min-aligned group of free, unscavenged pages. */
static bool ref_usable(const struct palloc_data *d, unsigned int p, unsigned int min_pages)
{
	unsigned int g = p & ~(min_pages - 1), k;

	for (k = g; k < g + min_pages; k++)
		if (ref_get(&d->alloc, k) || ref_get(&d->scav, k))
			return false;
	return true;
}

/*
 * findScavengeCandidate page by page: the highest usable page at or below
 * the top of word @search_idx / 64 ends the candidate run; take at most
 * max (0 -> min, else rounded up to min) pages from its top, then grow down
 * to a huge page boundary if that keeps a free, unscavenged huge page whole.
 */
static unsigned int ref_scav(const struct palloc_data *d, unsigned int search_idx,
			     unsigned int min_pages, unsigned int max_pages, unsigned int hp,
			     unsigned int *npages)
{
	unsigned int end, run, size, start, below;
	int p;

	max_pages = max_pages ? ALIGN(max_pages, min_pages) : min_pages;
	p = (search_idx / 64 + 1) * 64 - 1;
	while (p >= 0 && !ref_usable(d, p, min_pages))
		p--;
	*npages = 0;
	if (p < 0)
		return 0;
	end = p + 1;
	for (run = 0; run < end && ref_usable(d, end - 1 - run, min_pages); run++)
		;
	size = min(run, max_pages);
	start = end - size;
	if (hp > 1 && ALIGN(start, hp) <= end) {
		below = ALIGN_DOWN(start, hp);
		if (below >= end - run) {
			size += start - below;
			start = below;
		}
	}
	*npages = size;
	return start;
}

/* ---------------------------------------------------------------------- */
/* Random inputs                                                          */
/* ---------------------------------------------------------------------- */

static u32 palloc_rnd_init(struct kunit *test, struct rnd_state *rs)
{
	u32 seed = palloc_seed ? palloc_seed : get_random_u32();

	kunit_info(test, "seed %u", seed);
	prandom_seed_state(rs, seed);
	return seed;
}

static unsigned int rnd_below(struct rnd_state *rs, unsigned int n)
{
	return prandom_u32_state(rs) % n;
}

static u64 rnd_u64(struct rnd_state *rs)
{
	u64 hi = prandom_u32_state(rs);

	return hi << 32 | prandom_u32_state(rs);
}

/* A run length: short, medium, word-sized or chunk-sized. */
static unsigned int rnd_run(struct rnd_state *rs)
{
	static const unsigned int scale[] = { 4, 16, 70, 300 };

	return 1 + rnd_below(rs, scale[rnd_below(rs, ARRAY_SIZE(scale))]);
}

/* A word: empty, full, sparse, dense, one bit, one hole, one run, random. */
static u64 rnd_word(struct rnd_state *rs)
{
	unsigned int a, b;

	switch (rnd_below(rs, 9)) {
	case 0:
		return 0;
	case 1:
		return ONES;
	case 2:
		return rnd_u64(rs) & rnd_u64(rs) & rnd_u64(rs);
	case 3:
		return rnd_u64(rs) | rnd_u64(rs) | rnd_u64(rs);
	case 4:
		return 1ULL << rnd_below(rs, 64);
	case 5:
		return ~(1ULL << rnd_below(rs, 64));
	case 6:
		a = rnd_below(rs, 64);
		b = a + rnd_below(rs, 64 - a);
		return GENMASK_ULL(b, a) ^ (rnd_below(rs, 2) ? ONES : 0);
	default:
		return rnd_u64(rs);
	}
}

/* A bitmap: random words, alternating runs, or nearly uniform. */
static void rnd_bits(struct rnd_state *rs, struct palloc_bits *b)
{
	unsigned int k, i, n;
	bool v;

	switch (rnd_below(rs, 3)) {
	case 0:
		for (k = 0; k < CHUNK_WORDS; k++)
			b->w[k] = rnd_word(rs);
		break;
	case 1:
		v = rnd_below(rs, 2);
		for (i = 0; i < CHUNK_PAGES; i += n, v = !v) {
			n = min(rnd_run(rs), CHUNK_PAGES - i);
			ref_fill(b, i, n, v);
		}
		break;
	default:
		memset(b, rnd_below(rs, 2) ? 0xff : 0, sizeof(*b));
		for (k = rnd_below(rs, 6); k; k--) {
			i = rnd_below(rs, CHUNK_PAGES);
			n = min(rnd_run(rs), CHUNK_PAGES - i);
			ref_fill(b, i, n, rnd_below(rs, 2));
		}
		break;
	}
}

/* A non-empty range of the chunk, often of a length or start near a word edge. */
static void rnd_range(struct rnd_state *rs, unsigned int *i, unsigned int *n)
{
	static const unsigned int lens[] = { 1, 2, 63, 64, 65, 127, 128, 129, 511, 512 };
	unsigned int len, at;

	switch (rnd_below(rs, 3)) {
	case 0:
		len = lens[rnd_below(rs, ARRAY_SIZE(lens))];
		break;
	case 1:
		len = 1 + rnd_below(rs, CHUNK_PAGES);
		break;
	default:
		len = rnd_run(rs);
		break;
	}
	at = rnd_below(rs, CHUNK_PAGES - len + 1);
	if (rnd_below(rs, 2)) {
		/* Snap to a word boundary, or one page either side of it. */
		at = round_down(at, 64) + 64 * rnd_below(rs, 2) + rnd_below(rs, 3);
		at = min(at ? at - 1 : 0, CHUNK_PAGES - len);
	}
	*i = at;
	*n = len;
}

/* ---------------------------------------------------------------------- */
/* palloc_bits: pageBits and pallocBits primitives                         */
/* ---------------------------------------------------------------------- */

static struct palloc_bits *alloc_bits(struct kunit *test, unsigned int count)
{
	struct palloc_bits *b = kunit_kcalloc(test, count, sizeof(*b), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	return b;
}

static struct palloc_data *alloc_data(struct kunit *test)
{
	struct palloc_data *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	return d;
}

static void expect_bits(struct kunit *test, const struct palloc_bits *got,
			const struct palloc_bits *want, const char *what)
{
	unsigned int k;

	for (k = 0; k < CHUNK_WORDS; k++)
		KUNIT_EXPECT_EQ_MSG(test, got->w[k], want->w[k],
				    "%s: word %u is %#018llx, want %#018llx", what, k,
				    got->w[k], want->w[k]);
}

/* A background with a different, irregular value in every word. */
static void make_background(struct palloc_bits *b, u64 salt)
{
	unsigned int k;

	for (k = 0; k < CHUNK_WORDS; k++)
		b->w[k] = (0x0f1e2d3c4b5a6978ULL ^ salt) + k * 0x9e3779b97f4a7c15ULL;
}

static void palloc_ctz_clz(struct kunit *test)
{
	static const struct {
		u64 x;
		unsigned int ctz, clz;
	} cases[] = {
		{ 0, 64, 64 },
		{ 1, 0, 63 },
		{ 2, 1, 62 },
		{ 0xf0, 4, 56 },
		{ BIT_ULL(63), 63, 0 },
		{ ONES, 0, 0 },
		{ 0x8000000000000001ULL, 0, 0 },
		{ 0x00000000ffffffffULL, 0, 32 },
		{ 0x0000000100000000ULL, 32, 31 },
	};
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		KUNIT_EXPECT_EQ_MSG(test, palloc_ctz64(cases[k].x), cases[k].ctz,
				    "ctz(%#llx)", cases[k].x);
		KUNIT_EXPECT_EQ_MSG(test, palloc_clz64(cases[k].x), cases[k].clz,
				    "clz(%#llx)", cases[k].x);
	}
}

static void palloc_bits_get_set_clear(struct kunit *test)
{
	static const unsigned int idx[] = {
		0, 1, 62, 63, 64, 65, 127, 128, 255, 256, 383, 447, 448, 510, 511
	};
	struct palloc_bits *b = alloc_bits(test, 2), *want = b + 1;
	unsigned int k, i;

	for (k = 0; k < ARRAY_SIZE(idx); k++) {
		i = idx[k];
		/* One page on a clear chunk. */
		memset(b, 0, sizeof(*b));
		palloc_bits_set(b, i);
		memset(want, 0, sizeof(*want));
		want->w[i / 64] = 1ULL << (i % 64);
		expect_bits(test, b, want, "set");
		KUNIT_EXPECT_TRUE_MSG(test, palloc_bits_get(b, i), "get(%u)", i);
		if (i > 0)
			KUNIT_EXPECT_FALSE_MSG(test, palloc_bits_get(b, i - 1), "get(%u)", i - 1);
		if (i + 1 < CHUNK_PAGES)
			KUNIT_EXPECT_FALSE_MSG(test, palloc_bits_get(b, i + 1), "get(%u)", i + 1);
		KUNIT_EXPECT_EQ_MSG(test, palloc_bits_block64(b, i), want->w[i / 64],
				    "block64(%u)", i);
		KUNIT_EXPECT_EQ_MSG(test, palloc_bits_pages64(b, i), want->w[i / 64],
				    "pages64(%u)", i);
		KUNIT_EXPECT_EQ_MSG(test, palloc_bits_block64(b, i ^ 64), 0ULL, "block64(%u)",
				    i ^ 64);
		palloc_bits_clear(b, i);
		memset(want, 0, sizeof(*want));
		expect_bits(test, b, want, "clear");

		/* One hole in a full chunk. */
		memset(b, 0xff, sizeof(*b));
		palloc_bits_clear(b, i);
		memset(want, 0xff, sizeof(*want));
		want->w[i / 64] = ~(1ULL << (i % 64));
		expect_bits(test, b, want, "clear in full");
		KUNIT_EXPECT_FALSE_MSG(test, palloc_bits_get(b, i), "get(%u)", i);
		palloc_bits_set(b, i);
		KUNIT_EXPECT_TRUE_MSG(test, palloc_bits_get(b, i), "get(%u)", i);
		palloc_bits_free1(b, i);
		expect_bits(test, b, want, "free1");

		/* Setting a set bit and clearing a clear one change nothing. */
		palloc_bits_clear(b, i);
		expect_bits(test, b, want, "clear twice");
		palloc_bits_set(b, i ^ 1);
		expect_bits(test, b, want, "set a set bit");
	}
}

static void palloc_bits_all_ops(struct kunit *test)
{
	struct palloc_bits *b = alloc_bits(test, 2), *want = b + 1;

	make_background(b, 0);
	palloc_bits_set_all(b);
	memset(want, 0xff, sizeof(*want));
	expect_bits(test, b, want, "set_all");

	make_background(b, 1);
	palloc_bits_alloc_all(b);
	expect_bits(test, b, want, "alloc_all");

	make_background(b, 2);
	palloc_bits_clear_all(b);
	memset(want, 0, sizeof(*want));
	expect_bits(test, b, want, "clear_all");

	make_background(b, 3);
	palloc_bits_free_all(b);
	expect_bits(test, b, want, "free_all");
}

static void palloc_bits_block64_ops(struct kunit *test)
{
	static const unsigned int idx[] = { 0, 1, 63, 64, 70, 127, 200, 448, 511 };
	static const u64 vals[] = {
		0, 1, BIT_ULL(63), 0xffff0000ffff0000ULL, 0x0123456789abcdefULL, ONES
	};
	struct palloc_bits *b = alloc_bits(test, 3), *want = b + 1, *bg = b + 2;
	unsigned int k, j, i;
	u64 v;

	make_background(bg, 0x55);
	for (k = 0; k < ARRAY_SIZE(idx); k++) {
		for (j = 0; j < ARRAY_SIZE(vals); j++) {
			i = idx[k];
			v = vals[j];
			*b = *bg;
			KUNIT_EXPECT_EQ_MSG(test, palloc_bits_block64(b, i), bg->w[i / 64],
					    "block64(%u)", i);
			KUNIT_EXPECT_EQ_MSG(test, palloc_bits_pages64(b, i), bg->w[i / 64],
					    "pages64(%u)", i);

			*want = *bg;
			want->w[i / 64] |= v;
			palloc_bits_set_block64(b, i, v);
			expect_bits(test, b, want, "set_block64");

			*b = *bg;
			palloc_bits_alloc_pages64(b, i, v);
			expect_bits(test, b, want, "alloc_pages64");

			*b = *bg;
			*want = *bg;
			want->w[i / 64] &= ~v;
			palloc_bits_clear_block64(b, i, v);
			expect_bits(test, b, want, "clear_block64");
		}
	}
}

/* A range and the words it sets on a clear chunk (Go's TestPallocBitsAllocRange first). */
struct range_case {
	const char *name;
	unsigned int i;
	unsigned int n;
	u64 w[CHUNK_WORDS];
};

static const struct range_case range_cases[] = {
	{ "OneLow", 0, 1, { [0] = 0x1 } },
	{ "OneHigh", 511, 1, { [7] = BIT_ULL(63) } },
	{ "Inner", 129, 5, { [2] = 0x3e } },
	{ "Aligned", 128, 128, { [2] = ONES, [3] = ONES } },
	{ "Begin", 0, 321, { ONES, ONES, ONES, ONES, ONES, 0x1 } },
	{ "End", 319, 193, { [4] = BIT_ULL(63), [5] = ONES, [6] = ONES, [7] = ONES } },
	{ "All", 0, 512, { ONES, ONES, ONES, ONES, ONES, ONES, ONES, ONES } },
	{ "Bit63", 63, 1, { [0] = BIT_ULL(63) } },
	{ "Bit64", 64, 1, { [1] = 0x1 } },
	{ "Two", 2, 2, { [0] = 0xc } },
	{ "Straddle2", 63, 2, { [0] = BIT_ULL(63), [1] = 0x1 } },
	{ "Straddle8", 60, 8, { [0] = 0xf000000000000000ULL, [1] = 0xf } },
	{ "Straddle3to4", 255, 2, { [3] = BIT_ULL(63), [4] = 0x1 } },
	{ "Low63", 0, 63, { [0] = 0x7fffffffffffffffULL } },
	{ "High63", 1, 63, { [0] = 0xfffffffffffffffeULL } },
	{ "Word0", 0, 64, { [0] = ONES } },
	{ "Word1", 64, 64, { [1] = ONES } },
	{ "Word7", 448, 64, { [7] = ONES } },
	{ "Unaligned64", 1, 64, { 0xfffffffffffffffeULL, 0x1 } },
	{ "Low65", 0, 65, { ONES, 0x1 } },
	{ "TopBitAndWord", 63, 65, { BIT_ULL(63), ONES } },
	{ "WordAndBit", 64, 65, { [1] = ONES, [2] = 0x1 } },
	{ "Last65", 447, 65, { [6] = BIT_ULL(63), [7] = ONES } },
	{ "Middle200", 100, 200,
	  { [1] = 0xfffffff000000000ULL, [2] = ONES, [3] = ONES, [4] = 0x00000fffffffffffULL } },
	{ "TopHalf", 256, 256, { [4] = ONES, [5] = ONES, [6] = ONES, [7] = ONES } },
	{ "AllButFirst", 1, 511,
	  { 0xfffffffffffffffeULL, ONES, ONES, ONES, ONES, ONES, ONES, ONES } },
	{ "AllButLast", 0, 511,
	  { ONES, ONES, ONES, ONES, ONES, ONES, ONES, 0x7fffffffffffffffULL } },
};

static void range_case_desc(const struct range_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s [%u,+%u)", c->name, c->i, c->n);
}

KUNIT_ARRAY_PARAM(range_cases, range_cases, range_case_desc);

static void palloc_bits_range_ops(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 4), *want = b + 1, *inv = b + 2, *bg = b + 3;
	unsigned int k, bgcount = 0;

	memcpy(want->w, c->w, sizeof(want->w));
	for (k = 0; k < CHUNK_WORDS; k++)
		inv->w[k] = ~c->w[k];

	memset(b, 0, sizeof(*b));
	palloc_bits_set_range(b, c->i, c->n);
	expect_bits(test, b, want, "set_range");
	memset(b, 0, sizeof(*b));
	palloc_bits_alloc_range(b, c->i, c->n);
	expect_bits(test, b, want, "alloc_range");
	memset(b, 0xff, sizeof(*b));
	palloc_bits_clear_range(b, c->i, c->n);
	expect_bits(test, b, inv, "clear_range");
	memset(b, 0xff, sizeof(*b));
	palloc_bits_free(b, c->i, c->n);
	expect_bits(test, b, inv, "free");

	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(want, c->i, c->n), c->n);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(want, 0, CHUNK_PAGES), c->n);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(inv, c->i, c->n), 0U);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(inv, 0, CHUNK_PAGES), CHUNK_PAGES - c->n);
	KUNIT_EXPECT_TRUE(test, palloc_bits_get(want, c->i));
	KUNIT_EXPECT_TRUE(test, palloc_bits_get(want, c->i + c->n - 1));
	if (c->i > 0)
		KUNIT_EXPECT_FALSE(test, palloc_bits_get(want, c->i - 1));
	if (c->i + c->n < CHUNK_PAGES)
		KUNIT_EXPECT_FALSE(test, palloc_bits_get(want, c->i + c->n));

	/* On an irregular background only the range changes. */
	make_background(bg, c->i * 1000 + c->n);
	*b = *bg;
	palloc_bits_set_range(b, c->i, c->n);
	for (k = 0; k < CHUNK_WORDS; k++) {
		KUNIT_EXPECT_EQ_MSG(test, b->w[k], bg->w[k] | c->w[k], "set_range word %u", k);
		bgcount += hweight64(bg->w[k] & c->w[k]);
	}
	*b = *bg;
	palloc_bits_clear_range(b, c->i, c->n);
	for (k = 0; k < CHUNK_WORDS; k++)
		KUNIT_EXPECT_EQ_MSG(test, b->w[k], bg->w[k] & ~c->w[k], "clear_range word %u", k);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(bg, c->i, c->n), bgcount);
}

/* Go's TestMallocBitsPopcntRange, and one alternating bitmap for the word edges. */
struct popcnt_case {
	const char *name;
	u64 pattern;			/* every word, if nonzero; else ranges set */
	struct pb_range set[32];
	struct {
		unsigned int i, n, want;
	} checks[16];
};

static const struct popcnt_case popcnt_cases[] = {
	{ .name = "None",
	  .checks = { { 0, 1, 0 }, { 5, 3, 0 }, { 2, 11, 0 }, { 129, 256, 0 }, { 0, 512, 0 } } },
	{ .name = "All",
	  .set = { { 0, 512 } },
	  .checks = { { 0, 1, 1 }, { 5, 3, 3 }, { 2, 11, 11 }, { 129, 256, 256 },
		      { 0, 512, 512 } } },
	{ .name = "Half",
	  .set = { { 256, 256 } },
	  .checks = { { 0, 1, 0 }, { 5, 3, 0 }, { 2, 11, 0 }, { 255, 1, 0 }, { 256, 1, 1 },
		      { 266, 1, 1 }, { 255, 2, 1 }, { 128, 128, 0 }, { 128, 129, 1 },
		      { 129, 256, 129 }, { 0, 512, 256 } } },
	{ .name = "OddBound",
	  .set = { { 0, 111 } },
	  .checks = { { 0, 1, 1 }, { 5, 3, 3 }, { 2, 11, 11 }, { 110, 2, 1 }, { 99, 50, 12 },
		      { 110, 1, 1 }, { 111, 1, 0 }, { 99, 1, 1 }, { 120, 1, 0 },
		      { 256, 256, 0 }, { 0, 512, 111 } } },
	{ .name = "Scattered",
	  .set = { { 1, 3 }, { 5, 1 }, { 7, 1 }, { 10, 2 }, { 13, 1 }, { 15, 4 },
		   { 21, 1 }, { 23, 1 }, { 26, 2 }, { 30, 5 }, { 36, 2 }, { 40, 3 },
		   { 44, 6 }, { 51, 1 }, { 53, 2 }, { 58, 3 }, { 63, 1 }, { 67, 2 },
		   { 71, 10 }, { 84, 1 }, { 89, 7 }, { 99, 2 }, { 103, 1 }, { 107, 2 },
		   { 111, 1 }, { 113, 1 }, { 115, 1 }, { 118, 1 }, { 120, 2 }, { 125, 5 } },
	  .checks = { { 0, 11, 6 }, { 0, 64, 39 }, { 13, 64, 40 }, { 64, 64, 34 },
		      { 0, 128, 73 }, { 1, 128, 74 }, { 0, 512, 75 } } },
	{ .name = "Alternating",
	  .pattern = 0xaaaaaaaaaaaaaaaaULL,
	  .checks = { { 0, 1, 0 }, { 1, 1, 1 }, { 0, 64, 32 }, { 64, 64, 32 }, { 1, 64, 32 },
		      { 0, 63, 31 }, { 1, 63, 32 }, { 63, 65, 33 }, { 0, 65, 32 },
		      { 65, 64, 32 }, { 448, 64, 32 }, { 447, 65, 33 }, { 511, 1, 1 },
		      { 510, 1, 0 }, { 62, 2, 1 }, { 0, 512, 256 } } },
};

static void popcnt_case_desc(const struct popcnt_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(popcnt_cases, popcnt_cases, popcnt_case_desc);

static void palloc_bits_popcnt(struct kunit *test)
{
	const struct popcnt_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 1);
	unsigned int k, i, n;

	if (c->pattern)
		memset64(b->w, c->pattern, CHUNK_WORDS);
	else
		ref_make(b, c->set, ARRAY_SIZE(c->set), false);
	for (k = 0; k < ARRAY_SIZE(c->checks) && c->checks[k].n; k++) {
		i = c->checks[k].i;
		n = c->checks[k].n;
		KUNIT_EXPECT_EQ_MSG(test, palloc_bits_popcnt_range(b, i, n), c->checks[k].want,
				    "popcnt_range(%u, %u)", i, n);
	}
}

/* Go's TestPallocBitsFree: ranges are the free pages, everything else is allocated. */
struct free_case {
	const char *name;
	unsigned int npages;
	struct pb_range before_free[3];
	unsigned int frees[6];
	unsigned int nfrees;
	struct pb_range after_free[3];
};

static const struct free_case free_cases[] = {
	{ "SomeFree", 1, { { 0, 32 }, { 64, 32 }, { 100, 1 } }, { 32 }, 1,
	  { { 0, 33 }, { 64, 32 }, { 100, 1 } } },
	{ "NoneFree1", 1, {}, { 0, 1, 2, 3, 4, 5 }, 6, { { 0, 6 } } },
	{ "NoneFree2", 2, {}, { 0, 2, 4, 6, 8, 10 }, 6, { { 0, 12 } } },
	{ "NoneFree5", 5, {}, { 0, 5, 10, 15, 20 }, 5, { { 0, 25 } } },
	{ "NoneFree64", 64, {}, { 0, 64, 128 }, 3, { { 0, 192 } } },
	{ "NoneFree65", 65, {}, { 0, 65, 130 }, 3, { { 0, 195 } } },
};

static void free_case_desc(const struct free_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(free_cases, free_cases, free_case_desc);

static void palloc_bits_free_go(struct kunit *test)
{
	const struct free_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 2), *want = b + 1;
	unsigned int k;

	ref_make(want, c->after_free, ARRAY_SIZE(c->after_free), true);
	ref_make(b, c->before_free, ARRAY_SIZE(c->before_free), true);
	for (k = 0; k < c->nfrees; k++)
		palloc_bits_free(b, c->frees[k], c->npages);
	expect_bits(test, b, want, "free");
	if (c->npages == 1) {
		ref_make(b, c->before_free, ARRAY_SIZE(c->before_free), true);
		for (k = 0; k < c->nfrees; k++)
			palloc_bits_free1(b, c->frees[k]);
		expect_bits(test, b, want, "free1");
	}
}

static void palloc_bits_range_random(struct kunit *test)
{
	struct palloc_bits *b = alloc_bits(test, 3), *want = b + 1, *orig = b + 2;
	struct bits_str bs, bs2;
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, op, i, n;
	bool set;

	for (iter = 0; iter < RANDOM_ROUNDS; iter++) {
		rnd_bits(&rs, orig);
		rnd_range(&rs, &i, &n);

		KUNIT_ASSERT_EQ_MSG(test, palloc_bits_popcnt_range(orig, i, n),
				    ref_popcnt(orig, i, n),
				    RND_FMT "popcnt_range(%u, %u) of %s", seed, iter, i, n,
				    bits_str(&bs, orig));

		/* set_range, alloc_range, clear_range, free */
		for (op = 0; op < 4; op++) {
			set = op < 2;
			*b = *orig;
			*want = *orig;
			ref_fill(want, i, n, set);
			if (op == 0)
				palloc_bits_set_range(b, i, n);
			else if (op == 1)
				palloc_bits_alloc_range(b, i, n);
			else if (op == 2)
				palloc_bits_clear_range(b, i, n);
			else
				palloc_bits_free(b, i, n);
			KUNIT_ASSERT_TRUE_MSG(test, ref_equal(b, want),
					      RND_FMT "op %u (%u, %u) of %s gave %s", seed, iter,
					      op, i, n, bits_str(&bs, orig), bits_str(&bs2, b));
		}
	}
}

static struct kunit_case palloc_bits_cases[] = {
	KUNIT_CASE(palloc_ctz_clz),
	KUNIT_CASE(palloc_bits_get_set_clear),
	KUNIT_CASE(palloc_bits_all_ops),
	KUNIT_CASE(palloc_bits_block64_ops),
	KUNIT_CASE_PARAM(palloc_bits_range_ops, range_cases_gen_params),
	KUNIT_CASE_PARAM(palloc_bits_popcnt, popcnt_cases_gen_params),
	KUNIT_CASE_PARAM(palloc_bits_free_go, free_cases_gen_params),
	KUNIT_CASE(palloc_bits_range_random),
	{}
};

static struct kunit_suite palloc_bits_suite = {
	.name = "palloc_bits",
	.test_cases = palloc_bits_cases,
};

/* ---------------------------------------------------------------------- */
/* palloc_sum: packed summaries and summarize                              */
/* ---------------------------------------------------------------------- */

static void palloc_sum_pack_values(struct kunit *test)
{
	static const struct {
		unsigned int start, max, end;
		u64 packed;
	} cases[] = {
		{ 0, 0, 0, 0 },
		{ 1, 2, 3, 0x00000c0000400001ULL },
		{ 10, 10, 0, 0x000000000140000aULL },
		{ 0, 40, 40, 0x0000a00005000000ULL },
		{ 512, 512, 512, 0x0008000040000200ULL },
		{ SUM_MAX - 1, SUM_MAX - 1, SUM_MAX - 1, 0x7fffffffffffffffULL },
		/* max == 2^21 alone decides the all-free form. */
		{ SUM_MAX, SUM_MAX, SUM_MAX, BIT_ULL(63) },
		{ 0, SUM_MAX, 0, BIT_ULL(63) },
		{ 7, SUM_MAX, 9, BIT_ULL(63) },
		/* Otherwise every field keeps its low 21 bits. */
		{ SUM_MAX, 5, SUM_MAX, 0x0000000000a00000ULL },
		{ SUM_MAX + 3, SUM_MAX + 4, SUM_MAX + 5, 0x0000140000800003ULL },
	};
	unsigned int k;
	palloc_sum_t s;

	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		s = palloc_sum_pack(cases[k].start, cases[k].max, cases[k].end);
		KUNIT_EXPECT_EQ_MSG(test, s, cases[k].packed, "pack(%u, %u, %u)", cases[k].start,
				    cases[k].max, cases[k].end);
	}
}

static void palloc_sum_unpack_values(struct kunit *test)
{
	static const struct {
		u64 packed;
		unsigned int start, max, end;
	} cases[] = {
		{ 0, 0, 0, 0 },
		{ 0x00000c0000400001ULL, 1, 2, 3 },
		{ 0x0008000040000200ULL, 512, 512, 512 },
		{ 0x7fffffffffffffffULL, SUM_MAX - 1, SUM_MAX - 1, SUM_MAX - 1 },
		{ BIT_ULL(63), SUM_MAX, SUM_MAX, SUM_MAX },
		/* Bit 63 alone decides, whatever the other bits. */
		{ BIT_ULL(63) | 0x123, SUM_MAX, SUM_MAX, SUM_MAX },
		{ ONES, SUM_MAX, SUM_MAX, SUM_MAX },
	};
	static const unsigned int vals[] = { 0, 1, 63, 64, 65, 511, 512, 4096, SUM_MAX - 1 };
	unsigned int k, a, b, c;
	palloc_sum_t s;

	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		s = cases[k].packed;
		KUNIT_EXPECT_EQ_MSG(test, palloc_sum_start(s), cases[k].start, "start(%#llx)", s);
		KUNIT_EXPECT_EQ_MSG(test, palloc_sum_max(s), cases[k].max, "max(%#llx)", s);
		KUNIT_EXPECT_EQ_MSG(test, palloc_sum_end(s), cases[k].end, "end(%#llx)", s);
	}
	/* Round trip of every field value a summary can hold. */
	for (a = 0; a < ARRAY_SIZE(vals); a++)
		for (b = 0; b < ARRAY_SIZE(vals); b++)
			for (c = 0; c < ARRAY_SIZE(vals); c++) {
				s = palloc_sum_pack(vals[a], vals[b], vals[c]);
				KUNIT_EXPECT_EQ(test, palloc_sum_start(s), vals[a]);
				KUNIT_EXPECT_EQ(test, palloc_sum_max(s), vals[b]);
				KUNIT_EXPECT_EQ(test, palloc_sum_end(s), vals[c]);
			}
}

static void expect_sum(struct kunit *test, palloc_sum_t got, struct pb_sum want, const char *what)
{
	KUNIT_EXPECT_EQ_MSG(test, palloc_sum_start(got), want.start, "%s: start", what);
	KUNIT_EXPECT_EQ_MSG(test, palloc_sum_max(got), want.max, "%s: max", what);
	KUNIT_EXPECT_EQ_MSG(test, palloc_sum_end(got), want.end, "%s: end", what);
	KUNIT_EXPECT_EQ_MSG(test, got, ref_pack(want), "%s: packed", what);
}

/*
 * Summaries of bitmaps given by their free ranges: Go's TestPallocBitsSummarize
 * first, then word-edge and interior-run cases worked out by hand.
 */
struct sum_case {
	const char *name;
	struct pb_range free[PB_MAX_RANGES];
	struct pb_sum want;
};

static const struct sum_case sum_cases[] = {
	{ "NoneFree", {}, { 0, 0, 0 } },
	{ "OnlyStart", { { 0, 10 } }, { 10, 10, 0 } },
	{ "OnlyEnd", { { 472, 40 } }, { 0, 40, 40 } },
	{ "StartAndEnd", { { 0, 11 }, { 489, 23 } }, { 11, 23, 23 } },
	{ "StartMaxEnd", { { 0, 4 }, { 50, 100 }, { 508, 4 } }, { 4, 100, 4 } },
	{ "OnlyMax", { { 1, 20 }, { 35, 241 }, { 462, 30 } }, { 0, 241, 0 } },
	{ "MultiMax", { { 35, 2 }, { 40, 5 }, { 100, 5 } }, { 0, 5, 0 } },
	{ "One", { { 2, 1 } }, { 0, 1, 0 } },
	{ "AllFree", { { 0, 512 } }, { 512, 512, 512 } },
	{ "Page0", { { 0, 1 } }, { 1, 1, 0 } },
	{ "Page63", { { 63, 1 } }, { 0, 1, 0 } },
	{ "Page64", { { 64, 1 } }, { 0, 1, 0 } },
	{ "Page511", { { 511, 1 } }, { 0, 1, 1 } },
	{ "Inner61", { { 1, 61 } }, { 0, 61, 0 } },
	{ "Inner61Word5", { { 321, 61 } }, { 0, 61, 0 } },
	{ "Inner62", { { 1, 62 } }, { 0, 62, 0 } },
	{ "Inner61And62", { { 1, 61 }, { 129, 62 } }, { 0, 62, 0 } },
	/* A 61-page run across words must not hide a 62-page one inside a word. */
	{ "Cross61Inner62", { { 1, 62 }, { 100, 61 } }, { 0, 62, 0 } },
	{ "Cross62Inner61", { { 1, 61 }, { 100, 62 } }, { 0, 62, 0 } },
	{ "Top63", { { 1, 63 } }, { 0, 63, 0 } },
	{ "Bottom63", { { 64, 63 } }, { 0, 63, 0 } },
	{ "Cross63", { { 100, 63 } }, { 0, 63, 0 } },
	{ "Word1", { { 64, 64 } }, { 0, 64, 0 } },
	{ "Cross65", { { 63, 65 } }, { 0, 65, 0 } },
	{ "Start64", { { 0, 64 } }, { 64, 64, 0 } },
	{ "End64", { { 448, 64 } }, { 0, 64, 64 } },
	{ "Start65", { { 0, 65 } }, { 65, 65, 0 } },
	{ "End65", { { 447, 65 } }, { 0, 65, 65 } },
	{ "AllButEnds", { { 1, 510 } }, { 0, 510, 0 } },
	{ "AllButLast", { { 0, 511 } }, { 511, 511, 0 } },
	{ "AllButFirst", { { 1, 511 } }, { 0, 511, 511 } },
	{ "InnerBeatsEnds", { { 0, 2 }, { 200, 30 }, { 500, 12 } }, { 2, 30, 12 } },
	{ "ThreeInnerOneWord", { { 1, 3 }, { 5, 10 }, { 16, 25 } }, { 0, 25, 0 } },
	{ "InnerInTwoWords", { { 70, 5 }, { 80, 20 }, { 130, 40 } }, { 0, 40, 0 } },
	{ "SmallCrossBigInner", { { 60, 8 }, { 200, 20 } }, { 0, 20, 0 } },
	{ "Singles", { { 5, 1 }, { 70, 1 }, { 300, 1 }, { 511, 1 } }, { 0, 1, 1 } },
	{ "BigCross", { { 30, 300 } }, { 0, 300, 0 } },
};

static void sum_case_desc(const struct sum_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(sum_cases, sum_cases, sum_case_desc);

static void palloc_sum_summarize(struct kunit *test)
{
	const struct sum_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 1);

	ref_make(b, c->free, ARRAY_SIZE(c->free), true);
	expect_sum(test, palloc_bits_summarize(b), c->want, c->name);
}

/* BenchmarkPallocBitsSummarize's patterns (every word the same), summaries by hand. */
struct sum_pattern_case {
	u64 pattern;
	struct pb_sum want;
};

static const struct sum_pattern_case sum_pattern_cases[] = {
	{ 0, { 512, 512, 512 } },
	{ ONES, { 0, 0, 0 } },
	{ 0xaa, { 1, 57, 56 } },
	{ 0xaaaaaaaaaaaaaaaaULL, { 1, 1, 0 } },
	{ 0x80000000aaaaaaaaULL, { 1, 31, 0 } },
	{ 0xaaaaaaaa00000001ULL, { 0, 32, 0 } },
	{ 0xbbbbbbbbbbbbbbbbULL, { 0, 1, 0 } },
	{ 0x80000000bbbbbbbbULL, { 0, 31, 0 } },
	{ 0xbbbbbbbb00000001ULL, { 0, 31, 0 } },
	{ 0xccccccccccccccccULL, { 2, 2, 0 } },
	{ 0x4444444444444444ULL, { 2, 3, 1 } },
	{ 0x4040404040404040ULL, { 6, 7, 1 } },
	{ 0x4000400040004000ULL, { 14, 15, 1 } },
	{ 0x1000404044ccaaffULL, { 0, 13, 3 } },
};

static void sum_pattern_case_desc(const struct sum_pattern_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "Unpacked%02llX", c->pattern);
}

KUNIT_ARRAY_PARAM(sum_pattern_cases, sum_pattern_cases, sum_pattern_case_desc);

static void palloc_sum_summarize_pattern(struct kunit *test)
{
	const struct sum_pattern_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 1);

	memset64(b->w, c->pattern, CHUNK_WORDS);
	expect_sum(test, palloc_bits_summarize(b), c->want, "pattern");
	expect_sum(test, palloc_bits_summarize(b), ref_summarize(b), "pattern vs reference");
}

static void palloc_sum_summarize_random(struct kunit *test)
{
	struct palloc_bits *b = alloc_bits(test, 1);
	struct bits_str bs;
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, k;
	struct pb_sum want;
	palloc_sum_t got;

	for (iter = 0; iter < RANDOM_ROUNDS; iter++) {
		if (iter < RANDOM_ROUNDS / 4)
			for (k = 0; k < CHUNK_WORDS; k++)
				b->w[k] = rnd_u64(&rs);	/* Go's own random test */
		else
			rnd_bits(&rs, b);
		want = ref_summarize(b);
		got = palloc_bits_summarize(b);
		KUNIT_ASSERT_EQ_MSG(test, got, ref_pack(want),
				    RND_FMT "summarize(%s) = (%u, %u, %u), want (%u, %u, %u)",
				    seed, iter, bits_str(&bs, b), palloc_sum_start(got),
				    palloc_sum_max(got), palloc_sum_end(got), want.start, want.max,
				    want.end);
	}
}

static struct kunit_case palloc_sum_cases[] = {
	KUNIT_CASE(palloc_sum_pack_values),
	KUNIT_CASE(palloc_sum_unpack_values),
	KUNIT_CASE_PARAM(palloc_sum_summarize, sum_cases_gen_params),
	KUNIT_CASE_PARAM(palloc_sum_summarize_pattern, sum_pattern_cases_gen_params),
	KUNIT_CASE(palloc_sum_summarize_random),
	{}
};

static struct kunit_suite palloc_sum_suite = {
	.name = "palloc_sum",
	.test_cases = palloc_sum_cases,
};

/* ---------------------------------------------------------------------- */
/* palloc_find: findBitRange64 and the first-fit searches                  */
/* ---------------------------------------------------------------------- */

/* Go's TestFindBitRange64 (want NF: any result >= 64), then word edges. */
static void palloc_find_bit_range64_table(struct kunit *test)
{
	static const struct {
		u64 c;
		unsigned int n, want;
	} cases[] = {
		{ 0x8000000000000000ULL, 1, 63 },
		{ 0xc000010001010000ULL, 2, 62 },
		{ 0xc000010001030000ULL, 2, 16 },
		{ 0xe000030001030000ULL, 3, 61 },
		{ 0xe000030001070000ULL, 3, 16 },
		{ 0xffff03ff01070000ULL, 16, 48 },
		{ 0xffff03ff0107ffffULL, 16, 0 },
		{ 0x0fff03ff01079fffULL, 16, NF },
		{ 0xfffffffffffffffeULL, 63, 1 },
		{ 0xfffffffffffffffeULL, 64, NF },
		{ 0x7fffffffffffffffULL, 63, 0 },
		{ 0x7fffffffffffffffULL, 64, NF },
		{ 0x8000000000000001ULL, 1, 0 },
		{ 0x8000000000000001ULL, 2, NF },
		{ 0xaaaaaaaaaaaaaaaaULL, 1, 1 },
		{ 0xaaaaaaaaaaaaaaaaULL, 2, NF },
		{ 0xffffffff00000000ULL, 32, 32 },
		{ 0xffffffff00000000ULL, 33, NF },
		{ 0x00000000ffffffffULL, 32, 0 },
		{ 0x0000ffff0000ff00ULL, 8, 8 },
		{ 0x0000ffff0000ff00ULL, 9, 32 },
		{ 0x0000ffff0000ff00ULL, 16, 32 },
		{ 0x0000ffff0000ff00ULL, 17, NF },
		{ 0xf0f0f0f0f0f0f0f0ULL, 4, 4 },
		{ 0xf0f0f0f0f0f0f0f0ULL, 5, NF },
		{ 0x3, 2, 0 },
		{ 0x6, 2, 1 },
		{ 0x6, 3, NF },
	};
	unsigned int k, n, got;

	for (n = 1; n <= 64; n++) {
		KUNIT_EXPECT_EQ_MSG(test, palloc_find_bit_range64(ONES, n), 0U, "(~0, %u)", n);
		KUNIT_EXPECT_GE_MSG(test, palloc_find_bit_range64(0, n), 64U, "(0, %u)", n);
	}
	for (k = 0; k < ARRAY_SIZE(cases); k++) {
		got = palloc_find_bit_range64(cases[k].c, cases[k].n);
		if (cases[k].want == NF)
			KUNIT_EXPECT_GE_MSG(test, got, 64U, "(%#018llx, %u)", cases[k].c,
					    cases[k].n);
		else
			KUNIT_EXPECT_EQ_MSG(test, got, cases[k].want, "(%#018llx, %u)",
					    cases[k].c, cases[k].n);
	}
}

static void palloc_find_bit_range64_random(struct kunit *test)
{
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, n, got, want;
	u64 c;

	for (iter = 0; iter < 10 * RANDOM_ROUNDS; iter++) {
		/* rnd_word is mostly ones-poor or zeros-poor; invert half for free runs. */
		c = rnd_word(&rs) ^ (rnd_below(&rs, 2) ? ONES : 0);
		n = 1 + rnd_below(&rs, rnd_below(&rs, 2) ? 8 : 64);
		got = palloc_find_bit_range64(c, n);
		want = ref_find_bit_range64(c, n);
		if (want == 64)
			KUNIT_ASSERT_GE_MSG(test, got, 64U, RND_FMT "(%#018llx, %u)",
					    seed, iter, c, n);
		else
			KUNIT_ASSERT_EQ_MSG(test, got, want, RND_FMT "(%#018llx, %u)",
					    seed, iter, c, n);
	}
}

/* Allocated ranges of the bitmaps searched by find_cases. */
enum { FB_B, FB_C, FB_D, FB_E, FB_F, FB_G, FB_H, FB_I, FB_J, FB_K, FB_L };

static const struct pb_range find_bitmaps[][PB_MAX_RANGES] = {
	/* free 10-11, 64-65, 70, 130-199, 300-309, 320, 511 */
	[FB_B] = { { 0, 10 }, { 12, 52 }, { 66, 4 }, { 71, 59 }, { 200, 100 }, { 310, 10 },
		   { 321, 190 } },
	/* free 60-67: 8 pages across the word 0/1 boundary */
	[FB_C] = { { 0, 60 }, { 68, 444 } },
	/* free 64-191 and 320-511: whole words */
	[FB_D] = { { 0, 64 }, { 192, 128 } },
	/* all free */
	[FB_E] = {},
	/* none free */
	[FB_F] = { { 0, 512 } },
	/* word 1 full, word 2 = 0xffffffff (the sample of the Go oracle notes) */
	[FB_G] = { { 64, 64 }, { 128, 32 } },
	/* free 62-63 and 128-130, separated by a full word */
	[FB_H] = { { 0, 62 }, { 64, 64 }, { 131, 381 } },
	/* free 1-63: 63 pages inside word 0 */
	[FB_I] = { { 0, 1 }, { 64, 448 } },
	/* free 63-127: 65 pages from the top of word 0 */
	[FB_J] = { { 0, 63 }, { 128, 384 } },
	/* free 60-67 (straddling) and 70-79 (inside word 1) */
	[FB_K] = { { 0, 60 }, { 68, 2 }, { 80, 432 } },
	/* free 40-49 (inside word 0), 58-69 (straddling) */
	[FB_L] = { { 0, 40 }, { 50, 8 }, { 70, 442 } },
};

static const char *const find_bitmap_names = "BCDEFGHIJKL";

/* want_nsi is checked on success only (Go: "the new searchIdx should be ignored"). */
struct find_case {
	unsigned int bitmap;
	unsigned int npages;
	unsigned int search_idx;
	unsigned int want;
	unsigned int want_nsi;
};

static const struct find_case find_cases[] = {
	{ FB_B, 1, 0, 10, 10 },
	{ FB_B, 1, 5, 10, 10 },
	{ FB_B, 1, 11, 10, 10 },	/* [search_idx & ~63, search_idx) is searched */
	{ FB_B, 1, 63, 10, 10 },
	{ FB_B, 1, 64, 64, 64 },
	{ FB_B, 1, 100, 64, 64 },
	{ FB_B, 1, 128, 130, 130 },
	{ FB_B, 1, 310, 300, 300 },
	{ FB_B, 1, 320, 320, 320 },
	{ FB_B, 1, 384, 511, 511 },
	{ FB_B, 1, 511, 511, 511 },
	{ FB_B, 2, 0, 10, 10 },
	{ FB_B, 2, 12, 10, 10 },
	{ FB_B, 2, 64, 64, 64 },
	{ FB_B, 3, 0, 130, 10 },
	{ FB_B, 3, 64, 130, 64 },
	{ FB_B, 3, 129, 130, 130 },
	{ FB_B, 10, 0, 130, 10 },
	{ FB_B, 64, 0, 130, 10 },
	{ FB_B, 65, 0, 130, 10 },
	{ FB_B, 70, 0, 130, 10 },
	{ FB_B, 70, 130, 130, 130 },
	{ FB_B, 70, 191, 130, 130 },
	{ FB_B, 71, 0, NF, 0 },
	{ FB_B, 5, 200, 192, 192 },
	{ FB_B, 9, 200, 300, 192 },
	{ FB_B, 10, 256, 300, 300 },
	{ FB_B, 11, 256, NF, 0 },
	{ FB_B, 2, 320, NF, 0 },
	{ FB_B, 2, 511, NF, 0 },
	{ FB_C, 1, 0, 60, 60 },
	{ FB_C, 1, 64, 64, 64 },
	{ FB_C, 4, 0, 60, 60 },
	{ FB_C, 5, 0, 60, 60 },
	{ FB_C, 8, 0, 60, 60 },
	{ FB_C, 9, 0, NF, 0 },
	{ FB_C, 4, 64, 64, 64 },
	{ FB_C, 8, 64, NF, 0 },		/* the run starts in an earlier word: unseen */
	{ FB_D, 1, 0, 64, 64 },
	{ FB_D, 64, 0, 64, 64 },
	{ FB_D, 128, 0, 64, 64 },
	{ FB_D, 129, 0, 320, 64 },
	{ FB_D, 192, 0, 320, 64 },
	{ FB_D, 193, 0, NF, 0 },
	{ FB_D, 65, 100, 64, 64 },
	{ FB_D, 63, 150, 128, 128 },
	{ FB_D, 65, 150, 320, 128 },
	{ FB_D, 65, 192, 320, 320 },
	{ FB_D, 512, 0, NF, 0 },
	{ FB_E, 1, 0, 0, 0 },
	{ FB_E, 1, 511, 448, 448 },
	{ FB_E, 2, 100, 64, 64 },
	{ FB_E, 63, 1, 0, 0 },
	{ FB_E, 64, 0, 0, 0 },
	{ FB_E, 65, 0, 0, 0 },
	{ FB_E, 64, 448, 448, 448 },
	{ FB_E, 65, 448, NF, 0 },
	{ FB_E, 448, 64, 64, 64 },
	{ FB_E, 449, 64, NF, 0 },
	{ FB_E, 511, 0, 0, 0 },
	{ FB_E, 512, 0, 0, 0 },
	{ FB_E, 512, 1, 0, 0 },
	{ FB_E, 513, 0, NF, 0 },
	{ FB_E, 600, 0, NF, 0 },
	{ FB_F, 1, 0, NF, 0 },
	{ FB_F, 1, 511, NF, 0 },
	{ FB_F, 2, 0, NF, 0 },
	{ FB_F, 64, 0, NF, 0 },
	{ FB_F, 65, 0, NF, 0 },
	{ FB_F, 512, 0, NF, 0 },
	{ FB_G, 32, 0, 0, 0 },
	{ FB_G, 65, 0, 160, 0 },
	{ FB_G, 33, 64, 160, 160 },
	{ FB_G, 352, 64, 160, 160 },
	{ FB_G, 353, 64, NF, 0 },
	{ FB_H, 1, 100, 128, 128 },
	{ FB_H, 2, 0, 62, 62 },
	{ FB_H, 2, 100, 128, 128 },
	{ FB_H, 3, 0, 128, 62 },
	{ FB_H, 4, 0, NF, 0 },
	{ FB_I, 1, 0, 1, 1 },
	{ FB_I, 62, 1, 1, 1 },
	{ FB_I, 63, 0, 1, 1 },
	{ FB_I, 64, 0, NF, 0 },
	{ FB_J, 1, 0, 63, 63 },
	{ FB_J, 2, 0, 63, 63 },
	{ FB_J, 64, 0, 63, 63 },
	{ FB_J, 65, 0, 63, 63 },
	{ FB_J, 66, 0, NF, 0 },
	{ FB_J, 64, 64, 64, 64 },
	{ FB_J, 65, 64, NF, 0 },
	{ FB_K, 3, 64, 64, 64 },
	{ FB_K, 5, 0, 60, 60 },
	{ FB_K, 8, 0, 60, 60 },
	{ FB_K, 9, 0, 70, 60 },
	{ FB_K, 9, 64, 70, 64 },
	{ FB_K, 10, 0, 70, 60 },
	{ FB_K, 11, 0, NF, 0 },
	{ FB_L, 1, 41, 40, 40 },
	{ FB_L, 6, 0, 40, 40 },
	{ FB_L, 10, 0, 40, 40 },
	{ FB_L, 11, 0, 58, 40 },
	{ FB_L, 11, 50, 58, 40 },
	{ FB_L, 12, 0, 58, 40 },
	{ FB_L, 13, 0, NF, 0 },
};

static void find_case_desc(const struct find_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%c npages=%u search_idx=%u",
		 find_bitmap_names[c->bitmap], c->npages, c->search_idx);
}

KUNIT_ARRAY_PARAM(find_cases, find_cases, find_case_desc);

/* find() and the helper it dispatches to give the same answer. */
static void palloc_find_table(struct kunit *test)
{
	const struct find_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 1);
	unsigned int got, nsi = 12345, sub, sub_nsi = 12345;

	ref_make(b, find_bitmaps[c->bitmap], PB_MAX_RANGES, false);
	got = palloc_bits_find(b, c->npages, c->search_idx, &nsi);
	KUNIT_EXPECT_EQ(test, got, c->want);
	if (c->want != NF)
		KUNIT_EXPECT_EQ_MSG(test, nsi, c->want_nsi, "new_search_idx");
	if (c->npages == 1)
		KUNIT_EXPECT_EQ_MSG(test, nsi, got, "new_search_idx of npages == 1");

	if (c->npages == 1) {
		KUNIT_EXPECT_EQ_MSG(test, palloc_bits_find1(b, c->search_idx), c->want, "find1");
		sub = palloc_bits_find_small_n(b, 1, c->search_idx, &sub_nsi);
		KUNIT_EXPECT_EQ_MSG(test, sub, c->want, "find_small_n");
	} else if (c->npages <= 64) {
		sub = palloc_bits_find_small_n(b, c->npages, c->search_idx, &sub_nsi);
		KUNIT_EXPECT_EQ_MSG(test, sub, c->want, "find_small_n");
	} else {
		sub = palloc_bits_find_large_n(b, c->npages, c->search_idx, &sub_nsi);
		KUNIT_EXPECT_EQ_MSG(test, sub, c->want, "find_large_n");
	}
	if (c->want != NF)
		KUNIT_EXPECT_EQ_MSG(test, sub_nsi, c->want_nsi, "helper's new_search_idx");
}

/* Go's TestPallocBitsAlloc: repeated find(npages, 0) + alloc_range. */
struct alloc_case {
	const char *name;
	struct pb_range before[3];
	struct pb_range after[3];
	unsigned int npages;
	unsigned int hits[6];
	unsigned int nhits;
};

static const struct alloc_case alloc_cases[] = {
	{ "AllFree1", {}, { { 0, 6 } }, 1, { 0, 1, 2, 3, 4, 5 }, 6 },
	{ "AllFree2", {}, { { 0, 12 } }, 2, { 0, 2, 4, 6, 8, 10 }, 6 },
	{ "AllFree5", {}, { { 0, 25 } }, 5, { 0, 5, 10, 15, 20 }, 5 },
	{ "AllFree64", {}, { { 0, 192 } }, 64, { 0, 64, 128 }, 3 },
	{ "AllFree65", {}, { { 0, 195 } }, 65, { 0, 65, 130 }, 3 },
	{ "SomeFree64", { { 0, 32 }, { 64, 32 }, { 100, 412 } },
	  { { 0, 32 }, { 64, 32 }, { 100, 412 } }, 64, { NF }, 1 },
	{ "NoneFree1", { { 0, 512 } }, { { 0, 512 } }, 1, { NF, NF }, 2 },
	{ "NoneFree2", { { 0, 512 } }, { { 0, 512 } }, 2, { NF, NF }, 2 },
	{ "NoneFree5", { { 0, 512 } }, { { 0, 512 } }, 5, { NF, NF }, 2 },
	{ "NoneFree65", { { 0, 512 } }, { { 0, 512 } }, 65, { NF, NF }, 2 },
	{ "ExactFit1", { { 0, 253 }, { 254, 258 } }, { { 0, 512 } }, 1, { 253, NF }, 2 },
	{ "ExactFit2", { { 0, 253 }, { 255, 257 } }, { { 0, 512 } }, 2, { 253, NF }, 2 },
	{ "ExactFit5", { { 0, 253 }, { 258, 254 } }, { { 0, 512 } }, 5, { 253, NF }, 2 },
	{ "ExactFit65", { { 0, 225 }, { 290, 222 } }, { { 0, 512 } }, 65, { 225, NF }, 2 },
	{ "SomeFree161", { { 0, 185 }, { 331, 1 } }, { { 0, 185 }, { 331, 162 } }, 161,
	  { 332 }, 1 },
};

static void alloc_case_desc(const struct alloc_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(alloc_cases, alloc_cases, alloc_case_desc);

static void palloc_find_alloc_go(struct kunit *test)
{
	const struct alloc_case *c = test->param_value;
	struct palloc_bits *b = alloc_bits(test, 2), *want = b + 1;
	unsigned int k, got, nsi;

	ref_make(b, c->before, ARRAY_SIZE(c->before), false);
	ref_make(want, c->after, ARRAY_SIZE(c->after), false);
	for (k = 0; k < c->nhits; k++) {
		got = palloc_bits_find(b, c->npages, 0, &nsi);
		KUNIT_ASSERT_EQ_MSG(test, got, c->hits[k], "find #%u", k + 1);
		if (got != NF)
			palloc_bits_alloc_range(b, got, c->npages);
	}
	expect_bits(test, b, want, "after");
}

static unsigned int rnd_npages(struct rnd_state *rs)
{
	static const unsigned int edges[] = { 2, 63, 64, 65, 128, 129, 511, 512 };

	switch (rnd_below(rs, 8)) {
	case 0:
		return 1;
	case 1:
		return edges[rnd_below(rs, ARRAY_SIZE(edges))];
	case 2:
	case 3:
		return 1 + rnd_below(rs, 8);
	case 4:
	case 5:
		return 1 + rnd_below(rs, 64);
	default:
		return 65 + rnd_below(rs, CHUNK_PAGES - 64);
	}
}

static void palloc_find_random(struct kunit *test)
{
	struct palloc_bits *b = alloc_bits(test, 1);
	struct bits_str bs;
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, q, n, s, want, want_nsi, got, nsi, sub, sub_nsi;
	const char *helper;

	for (iter = 0; iter < RANDOM_ROUNDS; iter++) {
		rnd_bits(&rs, b);
		for (q = 0; q < 4; q++) {
			n = rnd_npages(&rs);
			s = rnd_below(&rs, 2) ? 0 : rnd_below(&rs, CHUNK_PAGES);
			want = ref_find(b, n, s, &want_nsi);
			got = palloc_bits_find(b, n, s, &nsi);
			KUNIT_ASSERT_EQ_MSG(test, got, want, RND_FMT "find(%u, %u) in %s",
					    seed, iter, n, s, bits_str(&bs, b));
			if (want != NF || n == 1)
				KUNIT_ASSERT_EQ_MSG(test, nsi, n == 1 ? got : want_nsi,
						    RND_FMT "new_search_idx of find(%u, %u) in %s",
						    seed, iter, n, s, bits_str(&bs, b));
			if (n == 1)
				KUNIT_ASSERT_EQ_MSG(test, palloc_bits_find1(b, s), want,
						    RND_FMT "find1(%u) in %s", seed, iter, s,
						    bits_str(&bs, b));
			if (n <= 64) {
				helper = "find_small_n";
				sub = palloc_bits_find_small_n(b, n, s, &sub_nsi);
			} else {
				helper = "find_large_n";
				sub = palloc_bits_find_large_n(b, n, s, &sub_nsi);
			}
			KUNIT_ASSERT_EQ_MSG(test, sub, want, RND_FMT "%s(%u, %u) in %s",
					    seed, iter, helper, n, s, bits_str(&bs, b));
			if (want != NF)
				KUNIT_ASSERT_EQ_MSG(test, sub_nsi, want_nsi,
						    RND_FMT "new_search_idx of %s(%u, %u) in %s",
						    seed, iter, helper, n, s, bits_str(&bs, b));
		}
	}
}

/*
 * The hint as Go's page allocator keeps it: raised to new_search_idx after a
 * successful find, lowered to the start of a free.  Every page below it stays
 * allocated, so find from the hint must equal first fit from page 0.
 */
static void palloc_find_hint_sequence(struct kunit *test)
{
	struct palloc_bits *b = alloc_bits(test, 1);
	struct bits_str bs;
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, op, hint, n, i, want, want_nsi, got, nsi;

	for (iter = 0; iter < RANDOM_ROUNDS / 10; iter++) {
		memset(b, 0, sizeof(*b));
		hint = 0;
		for (op = 0; op < 100; op++) {
			KUNIT_ASSERT_EQ_MSG(test, ref_popcnt(b, 0, hint), hint,
					    RND_FMT "op %u: a page below the hint %u is free in %s",
					    seed, iter, op, hint, bits_str(&bs, b));
			if (rnd_below(&rs, 3)) {
				n = rnd_below(&rs, 4) ? 1 + rnd_below(&rs, 16) : rnd_npages(&rs);
				want = ref_find(b, n, 0, &want_nsi);
				got = palloc_bits_find(b, n, hint, &nsi);
				KUNIT_ASSERT_EQ_MSG(test, got, want,
						    RND_FMT "op %u: find(%u, hint %u) in %s",
						    seed, iter, op, n, hint, bits_str(&bs, b));
				if (got == NF)
					continue;
				ref_fill(b, got, n, true);
				hint = max(hint, nsi);
			} else {
				rnd_range(&rs, &i, &n);
				n = min(n, 1 + rnd_below(&rs, 40));
				ref_fill(b, i, n, false);
				hint = min(hint, i);
			}
		}
	}
}

static struct kunit_case palloc_find_cases[] = {
	KUNIT_CASE(palloc_find_bit_range64_table),
	KUNIT_CASE(palloc_find_bit_range64_random),
	KUNIT_CASE_PARAM(palloc_find_table, find_cases_gen_params),
	KUNIT_CASE_PARAM(palloc_find_alloc_go, alloc_cases_gen_params),
	KUNIT_CASE(palloc_find_random),
	KUNIT_CASE(palloc_find_hint_sequence),
	{}
};

static struct kunit_suite palloc_find_suite = {
	.name = "palloc_find",
	.test_cases = palloc_find_cases,
};

/* ---------------------------------------------------------------------- */
/* palloc_scav: pallocData, fillAligned, findScavengeCandidate             */
/* ---------------------------------------------------------------------- */

static const unsigned int fill_ms[] = { 1, 2, 4, 8, 16, 32, 64 };

static void palloc_scav_fill_aligned_table(struct kunit *test)
{
	/* TestFillAligned's fixed words, checked against its slow reference. */
	static const u64 go_words[] = {
		0x0000000000000000ULL, 0x00000000ffffffffULL, 0xffffffff00000000ULL,
		0x8000000000000001ULL, 0xf00000000000000fULL, 0xf00000010050000fULL,
		0xffffffffffffffffULL, 0x0000000000000001ULL, 0x0000000000000002ULL,
		0x0000000000000008ULL, 0xb02b9effcf137016ULL, 0x3975a076a9fbff18ULL,
		0x0f8c88ec3b81506eULL, 0x60f14d80ef2fa0e6ULL,
	};
	/* Worked by hand. */
	static const struct {
		u64 x;
		unsigned int m;
		u64 want;
	} cases[] = {
		{ 0x0100a3, 1, 0x0100a3 },
		{ 0x0100a3, 2, 0x0300f3 },
		{ 0x0100a3, 4, 0x0f00ff },
		{ 0x0100a3, 8, 0xff00ff },
		{ 0x0100a3, 16, 0xffffffff },
		{ 0x0100a3, 32, 0xffffffff },
		{ 0x0100a3, 64, ONES },
		{ BIT_ULL(63), 2, 0xc000000000000000ULL },
		{ BIT_ULL(63), 4, 0xf000000000000000ULL },
		{ BIT_ULL(63), 8, 0xff00000000000000ULL },
		{ BIT_ULL(63), 16, 0xffff000000000000ULL },
		{ BIT_ULL(63), 32, 0xffffffff00000000ULL },
		{ BIT_ULL(63), 64, ONES },
		{ 0x1, 2, 0x3 },
		{ 0x1, 64, ONES },
		{ 0x8000000000000001ULL, 32, ONES },
		{ 0x0000000100000000ULL, 32, 0xffffffff00000000ULL },
		{ 0x0000000080000000ULL, 16, 0x00000000ffff0000ULL },
		{ 0x0000000080000000ULL, 32, 0x00000000ffffffffULL },
		{ 0x0000000080000000ULL, 64, ONES },
		{ 0x4000000000000000ULL, 2, 0xc000000000000000ULL },
		{ 0x2000000000000000ULL, 4, 0xf000000000000000ULL },
		{ 0x5555555555555555ULL, 1, 0x5555555555555555ULL },
		{ 0x5555555555555555ULL, 2, ONES },
		{ 0x1111111111111111ULL, 4, ONES },
		{ 0x0101010101010101ULL, 16, ONES },
		{ 0x0001000100010001ULL, 4, 0x000f000f000f000fULL },
		{ 0x0001000100010001ULL, 8, 0x00ff00ff00ff00ffULL },
		{ 0x00000000ffffffffULL, 32, 0x00000000ffffffffULL },
		{ 0x00000000ffffffffULL, 64, ONES },
	};
	unsigned int k, j, m;
	u64 x;

	for (j = 0; j < ARRAY_SIZE(fill_ms); j++) {
		m = fill_ms[j];
		KUNIT_EXPECT_EQ_MSG(test, palloc_fill_aligned(0, m), 0ULL, "(0, %u)", m);
		KUNIT_EXPECT_EQ_MSG(test, palloc_fill_aligned(ONES, m), ONES, "(~0, %u)", m);
		for (k = 0; k < ARRAY_SIZE(go_words) + 2; k++) {
			if (k < ARRAY_SIZE(go_words))
				x = go_words[k];
			else if (k == ARRAY_SIZE(go_words))
				x = 1ULL << (m - 1);
			else
				x = m < 64 ? 1ULL << m : 0;	/* Go: 1 << 64 == 0 */
			KUNIT_EXPECT_EQ_MSG(test, palloc_fill_aligned(x, m), ref_fill_aligned(x, m),
					    "(%#018llx, %u)", x, m);
		}
	}
	for (k = 0; k < ARRAY_SIZE(cases); k++)
		KUNIT_EXPECT_EQ_MSG(test, palloc_fill_aligned(cases[k].x, cases[k].m),
				    cases[k].want, "(%#018llx, %u)", cases[k].x, cases[k].m);
}

/* TestFillAligned's random part: 1000 random and 1000 group-sparse words per m. */
static void palloc_scav_fill_aligned_random(struct kunit *test)
{
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, j, m, g;
	u64 x;

	for (j = 0; j < ARRAY_SIZE(fill_ms); j++) {
		m = fill_ms[j];
		for (iter = 0; iter < 2000; iter++) {
			x = rnd_u64(&rs);
			if (iter % 2 && m > 1) {
				for (g = 0; g < 64; g += m)
					if (rnd_below(&rs, 2))
						x &= ~((m == 64 ? ONES : (1ULL << m) - 1) << g);
			}
			KUNIT_ASSERT_EQ_MSG(test, palloc_fill_aligned(x, m), ref_fill_aligned(x, m),
					    RND_FMT "(%#018llx, %u)", seed, iter, x, m);
		}
	}
}

static void palloc_scav_data_alloc_range(struct kunit *test)
{
	const struct range_case *c = test->param_value;
	struct palloc_data *d = alloc_data(test);
	struct palloc_bits *want = alloc_bits(test, 2), *bg = want + 1;
	unsigned int k;

	/* Clear alloc, full scav: the range moves from scavenged to allocated. */
	memset(&d->scav, 0xff, sizeof(d->scav));
	palloc_data_alloc_range(d, c->i, c->n);
	memcpy(want->w, c->w, sizeof(want->w));
	expect_bits(test, &d->alloc, want, "alloc");
	for (k = 0; k < CHUNK_WORDS; k++)
		want->w[k] = ~c->w[k];
	expect_bits(test, &d->scav, want, "scav");

	/* Irregular backgrounds: only the range changes. */
	make_background(&d->alloc, c->i);
	make_background(bg, c->n + 77);
	d->scav = *bg;
	palloc_data_alloc_range(d, c->i, c->n);
	make_background(want, c->i);
	for (k = 0; k < CHUNK_WORDS; k++) {
		KUNIT_EXPECT_EQ_MSG(test, d->alloc.w[k], want->w[k] | c->w[k], "alloc word %u", k);
		KUNIT_EXPECT_EQ_MSG(test, d->scav.w[k], bg->w[k] & ~c->w[k], "scav word %u", k);
	}
}

static void palloc_scav_data_alloc_all(struct kunit *test)
{
	struct palloc_data *d = alloc_data(test);
	struct palloc_bits *want = alloc_bits(test, 1);

	make_background(&d->alloc, 1);
	make_background(&d->scav, 2);
	palloc_data_alloc_all(d);
	memset(want, 0xff, sizeof(*want));
	expect_bits(test, &d->alloc, want, "alloc");
	memset(want, 0, sizeof(*want));
	expect_bits(test, &d->scav, want, "scav");
}

/* Every huge page size a case marked any_hp runs with (0 and 1: none). */
static const unsigned int hp_sizes[] = { 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };

/*
 * A findScavengeCandidate case.  The chunk is built as Go's makePallocData
 * does: alloc ranges first, then scav ranges set as given (even on allocated
 * pages).  A case with any_hp has the same answer for every huge page size
 * (the candidate is its whole run, so there is nothing to extend); otherwise
 * it runs with hugepage_pages = hp only.  Nothing found is (0, 0).
 */
struct scav_case {
	char name[40];
	struct pb_range alloc[PB_MAX_RANGES];
	struct pb_range scav[PB_MAX_RANGES];
	unsigned int search_idx;
	unsigned int min;
	unsigned int max;
	bool any_hp;
	unsigned int hp;
	unsigned int start;
	unsigned int n;
};

/*
 * TestPallocDataFindScavengeCandidate, built the way Go builds it: a loop
 * over min = 1..64 and, for the huge page cases, over the pages per huge
 * page P (Go itself only ever runs P = 256).  Filled on first use.
 */
static struct scav_case go_scav_cases[128];
static unsigned int go_scav_count;

static struct scav_case *go_scav_add(const char *name, unsigned int m, unsigned int max_pages)
{
	struct scav_case *c = &go_scav_cases[go_scav_count++];

	memset(c, 0, sizeof(*c));
	strscpy(c->name, name, sizeof(c->name));
	c->search_idx = CHUNK_PAGES - 1;
	c->min = m;
	c->max = max_pages;
	c->any_hp = true;
	return c;
}

static void go_scav_build(void)
{
	struct scav_case *c;
	unsigned int m, p;

	c = go_scav_add("MixedMin1", 1, 512);
	c->alloc[0] = (struct pb_range){ 0, 40 };
	c->alloc[1] = (struct pb_range){ 42, 512 - 42 };
	c->scav[0] = (struct pb_range){ 0, 41 };
	c->scav[1] = (struct pb_range){ 42, 512 - 42 };
	c->start = 41;
	c->n = 1;
	c = go_scav_add("MultiMin1", 1, 512);
	c->alloc[0] = (struct pb_range){ 0, 63 };
	c->alloc[1] = (struct pb_range){ 65, 20 };
	c->alloc[2] = (struct pb_range){ 87, 512 - 87 };
	c->scav[0] = (struct pb_range){ 86, 1 };
	c->start = 85;
	c->n = 1;

	for (m = 1; m <= 64; m *= 2) {
		c = go_scav_add("AllFree", m, 512);
		c->n = 512;

		c = go_scav_add("AllScavenged", m, 512);
		c->scav[0] = (struct pb_range){ 0, 512 };

		c = go_scav_add("NoneFree", m, 512);
		c->alloc[0] = (struct pb_range){ 0, 512 };
		c->scav[0] = (struct pb_range){ 256, 256 };

		c = go_scav_add("StartFree", m, 512);
		c->alloc[0] = (struct pb_range){ m, 512 - m };
		c->n = m;

		c = go_scav_add("EndFree", m, 512);
		c->alloc[0] = (struct pb_range){ 0, 512 - m };
		c->start = 512 - m;
		c->n = m;

		c = go_scav_add("Straddle64", m, 2 * m);
		c->alloc[0] = (struct pb_range){ 0, 64 - m };
		c->alloc[1] = (struct pb_range){ 64 + m, 512 - (64 + m) };
		c->start = 64 - m;
		c->n = 2 * m;

		c = go_scav_add("BottomEdge64WithFull", m, 3 * m);
		c->alloc[0] = (struct pb_range){ 64, 64 };
		c->alloc[1] = (struct pb_range){ 128 + 3 * m, 512 - (128 + 3 * m) };
		c->scav[0] = (struct pb_range){ 1, 10 };
		c->start = 128;
		c->n = 3 * m;

		c = go_scav_add("BottomEdge64WithPocket", m, 3 * m);
		c->alloc[0] = (struct pb_range){ 64, 62 };
		c->alloc[1] = (struct pb_range){ 127, 1 };
		c->alloc[2] = (struct pb_range){ 128 + 3 * m, 512 - (128 + 3 * m) };
		c->scav[0] = (struct pb_range){ 1, 10 };
		c->start = 128;
		c->n = 3 * m;

		c = go_scav_add("Max0", m, 0);
		c->scav[0] = (struct pb_range){ 0, 512 - m };
		c->start = 512 - m;
		c->n = m;

		/* Go keys these two without the min, so only m = 8 runs there. */
		if (m <= 8) {
			c = go_scav_add("OneFree", m, 512);
			c->alloc[0] = (struct pb_range){ 0, 40 };
			c->alloc[1] = (struct pb_range){ 40 + m, 512 - (40 + m) };
			c->start = 40;
			c->n = m;

			c = go_scav_add("OneScavenged", m, 512);
			c->alloc[0] = (struct pb_range){ 0, 40 };
			c->alloc[1] = (struct pb_range){ 40 + m, 512 - (40 + m) };
			c->scav[0] = (struct pb_range){ 40, 1 };
		}
		if (m > 1) {
			c = go_scav_add("MaxUnaligned", m, m - 2);
			c->scav[0] = (struct pb_range){ 0, 512 - (2 * m - 1) };
			c->start = 512 - m;
			c->n = m;

			c = go_scav_add("SkipSmall", m, m);
			c->alloc[0] = (struct pb_range){ 0, 64 - m };
			c->alloc[1] = (struct pb_range){ 64, 5 };
			c->alloc[2] = (struct pb_range){ 70, 11 };
			c->alloc[3] = (struct pb_range){ 82, 512 - 82 };
			c->start = 64 - m;
			c->n = m;

			c = go_scav_add("SkipMisaligned", m, m);
			c->alloc[0] = (struct pb_range){ 0, 64 - m };
			c->alloc[1] = (struct pb_range){ 64, 63 };
			c->alloc[2] = (struct pb_range){ 127 + m, 512 - (127 + m) };
			c->start = 64 - m;
			c->n = m;

			c = go_scav_add("MaxLessThan", m, 1);
			c->scav[0] = (struct pb_range){ 0, 512 - m };
			c->start = 512 - m;
			c->n = m;
		}
	}

	for (p = 2; p <= 512; p *= 2) {
		if (p == 512) {
			/* The kernel port's geometry: the chunk is one huge page. */
			c = go_scav_add("PreserveHugePageAll", 1, 1);
			c->any_hp = false;
			c->hp = p;
			c->n = 512;
			continue;
		}
		c = go_scav_add("PreserveHugePageBottom", 1, 3);
		c->any_hp = false;
		c->hp = p;
		c->alloc[0] = (struct pb_range){ p + 2, 512 - (p + 2) };
		c->n = p + 2;

		/* Needs three huge pages per chunk, and P >= 10 for Go's ranges. */
		if (3 * p < 512 && p >= 16) {
			c = go_scav_add("PreserveHugePageMiddle", 1, 12);
			c->any_hp = false;
			c->hp = p;
			c->alloc[0] = (struct pb_range){ 0, p - 10 };
			c->alloc[1] = (struct pb_range){ 2 * p + 10, 512 - (2 * p + 10) };
			c->start = p;
			c->n = p + 10;
		}

		c = go_scav_add("PreserveHugePageTop", 1, 1);
		c->any_hp = false;
		c->hp = p;
		c->alloc[0] = (struct pb_range){ 0, 512 - p };
		c->start = 512 - p;
		c->n = p;
	}
}

static void scav_case_desc(const struct scav_case *c, char *desc)
{
	if (c->any_hp)
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s search_idx=%u min=%u max=%u",
			 c->name, c->search_idx, c->min, c->max);
	else
		snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s search_idx=%u min=%u max=%u hp=%u",
			 c->name, c->search_idx, c->min, c->max, c->hp);
}

static const void *go_scav_cases_gen_params(const void *prev, char *desc)
{
	const struct scav_case *c;

	if (!prev) {
		go_scav_count = 0;
		go_scav_build();
	}
	c = prev ? (const struct scav_case *)prev + 1 : go_scav_cases;
	if (c >= go_scav_cases + go_scav_count)
		return NULL;
	scav_case_desc(c, desc);
	return c;
}

/* Beyond Go's tests: search_idx below the top, max limits, mixed bitmaps, huge pages. */
static const struct scav_case scav_cases[] = {
	/* An all-free chunk with max 1: the top huge page, or the top page without. */
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 0,
	  .start = 511, .n = 1 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 1,
	  .start = 511, .n = 1 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 2,
	  .start = 510, .n = 2 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 4,
	  .start = 508, .n = 4 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 8,
	  .start = 504, .n = 8 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 16,
	  .start = 496, .n = 16 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 32,
	  .start = 480, .n = 32 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 64,
	  .start = 448, .n = 64 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 128,
	  .start = 384, .n = 128 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 256,
	  .start = 256, .n = 256 },
	{ .name = "AllFreeMax1", .search_idx = 511, .min = 1, .max = 1, .hp = 512,
	  .start = 0, .n = 512 },
	/* The same from word 4: the candidate ends at 320, a multiple of 64 only. */
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 0,
	  .start = 319, .n = 1 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 1,
	  .start = 319, .n = 1 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 2,
	  .start = 318, .n = 2 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 4,
	  .start = 316, .n = 4 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 8,
	  .start = 312, .n = 8 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 16,
	  .start = 304, .n = 16 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 32,
	  .start = 288, .n = 32 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 64,
	  .start = 256, .n = 64 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 128,
	  .start = 319, .n = 1 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 256,
	  .start = 319, .n = 1 },
	{ .name = "AllFreeMax1", .search_idx = 300, .min = 1, .max = 1, .hp = 512,
	  .start = 319, .n = 1 },
	/* Page 0 allocated: no 512-page huge page is whole, smaller ones are. */
	{ .name = "Page0AllocMax1", .alloc = { { 0, 1 } }, .search_idx = 511, .min = 1,
	  .max = 1, .hp = 0, .start = 511, .n = 1 },
	{ .name = "Page0AllocMax1", .alloc = { { 0, 1 } }, .search_idx = 511, .min = 1,
	  .max = 1, .hp = 2, .start = 510, .n = 2 },
	{ .name = "Page0AllocMax1", .alloc = { { 0, 1 } }, .search_idx = 511, .min = 1,
	  .max = 1, .hp = 64, .start = 448, .n = 64 },
	{ .name = "Page0AllocMax1", .alloc = { { 0, 1 } }, .search_idx = 511, .min = 1,
	  .max = 1, .hp = 256, .start = 256, .n = 256 },
	{ .name = "Page0AllocMax1", .alloc = { { 0, 1 } }, .search_idx = 511, .min = 1,
	  .max = 1, .hp = 512, .start = 511, .n = 1 },
	/* Page 511 allocated: the candidate ends at 511, below every boundary. */
	{ .name = "Page511AllocMax1", .alloc = { { 511, 1 } }, .search_idx = 511, .min = 1,
	  .max = 1, .any_hp = true, .start = 510, .n = 1 },
	/* Min 64, max 100 (rounded up to 128) on an all-free chunk. */
	{ .name = "AllFreeMin64Max100", .search_idx = 511, .min = 64, .max = 100, .hp = 0,
	  .start = 384, .n = 128 },
	{ .name = "AllFreeMin64Max100", .search_idx = 511, .min = 64, .max = 100, .hp = 128,
	  .start = 384, .n = 128 },
	{ .name = "AllFreeMin64Max100", .search_idx = 511, .min = 64, .max = 100, .hp = 256,
	  .start = 256, .n = 256 },
	{ .name = "AllFreeMin64Max100", .search_idx = 511, .min = 64, .max = 100, .hp = 512,
	  .start = 0, .n = 512 },
	/* Free, unscavenged [10, 300), max 100: the huge page must lie in the run. */
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 0, .start = 200, .n = 100 },
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 8, .start = 200, .n = 100 },
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 16, .start = 192, .n = 108 },
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 64, .start = 192, .n = 108 },
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 128, .start = 128, .n = 172 },
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 256, .start = 200, .n = 100 },
	{ .name = "Run10to300Max100", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 100, .hp = 512, .start = 200, .n = 100 },
	{ .name = "Run10to300", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 511,
	  .min = 1, .max = 512, .any_hp = true, .start = 10, .n = 290 },
	/* From word 2 down: the candidate is cut at the top of word 2 (page 191). */
	{ .name = "Run10to300", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 512, .any_hp = true, .start = 10, .n = 182 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 0, .start = 142, .n = 50 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 2, .start = 142, .n = 50 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 4, .start = 140, .n = 52 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 8, .start = 136, .n = 56 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 64, .start = 128, .n = 64 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 128, .start = 142, .n = 50 },
	{ .name = "Run10to300Max50", .alloc = { { 0, 10 }, { 300, 212 } }, .search_idx = 130,
	  .min = 1, .max = 50, .hp = 512, .start = 142, .n = 50 },

	/* The search is word granular: candidates above search_idx in its word count. */
	{ .name = "OnlyPage10", .alloc = { { 0, 10 }, { 11, 501 } }, .search_idx = 5,
	  .min = 1, .max = 0, .any_hp = true, .start = 10, .n = 1 },
	{ .name = "Run20to40", .alloc = { { 0, 20 }, { 40, 472 } }, .search_idx = 25,
	  .min = 1, .max = 512, .any_hp = true, .start = 20, .n = 20 },
	/* Free, unscavenged [100, 120) and [300, 310). */
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 511, .min = 1, .max = 512, .any_hp = true, .start = 300, .n = 10 },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 299, .min = 1, .max = 512, .any_hp = true, .start = 300, .n = 10 },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 256, .min = 1, .max = 512, .any_hp = true, .start = 300, .n = 10 },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 255, .min = 1, .max = 512, .any_hp = true, .start = 100, .n = 20 },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 127, .min = 1, .max = 512, .any_hp = true, .start = 100, .n = 20 },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 64, .min = 1, .max = 512, .any_hp = true, .start = 100, .n = 20 },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 63, .min = 1, .max = 512, .any_hp = true },
	{ .name = "TwoRuns", .alloc = { { 0, 100 }, { 120, 180 }, { 310, 202 } },
	  .search_idx = 0, .min = 1, .max = 512, .any_hp = true },

	/* min and max rounding on free, unscavenged [130, 140). */
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 2, .max = 512, .any_hp = true, .start = 130, .n = 10 },
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 2, .max = 3, .hp = 0, .start = 136, .n = 4 },
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 4, .max = 0, .hp = 0, .start = 136, .n = 4 },
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 4, .max = 3, .hp = 0, .start = 136, .n = 4 },
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 4, .max = 5, .any_hp = true, .start = 132, .n = 8 },
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 4, .max = 8, .any_hp = true, .start = 132, .n = 8 },
	{ .name = "Run130to140", .alloc = { { 0, 130 }, { 140, 372 } }, .search_idx = 511,
	  .min = 8, .max = 512, .any_hp = true },

	/* Scavenged and allocated pages both end a candidate. */
	{ .name = "ScavOnAllocatedIgnored", .alloc = { { 0, 200 }, { 210, 302 } },
	  .scav = { { 0, 200 } }, .search_idx = 511, .min = 1, .max = 512, .any_hp = true,
	  .start = 200, .n = 10 },
	{ .name = "OneDirtyPage", .scav = { { 0, 100 }, { 101, 411 } }, .search_idx = 511,
	  .min = 1, .max = 512, .any_hp = true, .start = 100, .n = 1 },
	{ .name = "ScavengedTop", .scav = { { 300, 212 } }, .search_idx = 511, .min = 1,
	  .max = 512, .any_hp = true, .start = 0, .n = 300 },
	/* Allocated [0, 100) and [300, 512), scavenged [100, 200). */
	{ .name = "ScavBelowRun", .alloc = { { 0, 100 }, { 300, 212 } },
	  .scav = { { 100, 100 } }, .search_idx = 511, .min = 1, .max = 512, .any_hp = true,
	  .start = 200, .n = 100 },
	{ .name = "ScavBelowRun", .alloc = { { 0, 100 }, { 300, 212 } },
	  .scav = { { 100, 100 } }, .search_idx = 511, .min = 4, .max = 512, .any_hp = true,
	  .start = 200, .n = 100 },
	{ .name = "ScavBelowRun", .alloc = { { 0, 100 }, { 300, 212 } },
	  .scav = { { 100, 100 } }, .search_idx = 511, .min = 32, .max = 512, .any_hp = true,
	  .start = 224, .n = 64 },
	{ .name = "ScavBelowRun", .alloc = { { 0, 100 }, { 300, 212 } },
	  .scav = { { 100, 100 } }, .search_idx = 511, .min = 64, .max = 512, .any_hp = true },
};

KUNIT_ARRAY_PARAM(scav_cases, scav_cases, scav_case_desc);

static void run_scav_case(struct kunit *test, const struct scav_case *c)
{
	struct palloc_data *d = alloc_data(test);
	unsigned int k, hp, start, n;

	ref_make(&d->alloc, c->alloc, PB_MAX_RANGES, false);
	ref_make(&d->scav, c->scav, PB_MAX_RANGES, false);
	for (k = 0; k < ARRAY_SIZE(hp_sizes); k++) {
		hp = c->any_hp ? hp_sizes[k] : c->hp;
		n = 12345;
		start = palloc_data_find_scavenge_candidate(d, c->search_idx, c->min, c->max, hp,
							    &n);
		KUNIT_EXPECT_EQ_MSG(test, start, c->start, "start, hugepage_pages %u", hp);
		KUNIT_EXPECT_EQ_MSG(test, n, c->n, "npages, hugepage_pages %u", hp);
		if (!c->any_hp)
			break;
	}
}

static void palloc_scav_candidate_go(struct kunit *test)
{
	run_scav_case(test, test->param_value);
}

static void palloc_scav_candidate(struct kunit *test)
{
	run_scav_case(test, test->param_value);
}

static void expect_candidate(struct kunit *test, const struct palloc_data *d,
			     unsigned int search_idx, unsigned int min_pages,
			     unsigned int max_pages, unsigned int hp, unsigned int want_start,
			     unsigned int want_n)
{
	unsigned int start, n = 12345;

	start = palloc_data_find_scavenge_candidate(d, search_idx, min_pages, max_pages, hp, &n);
	KUNIT_EXPECT_EQ_MSG(test, start, want_start, "candidate(%u, %u, %u, hp %u) start",
			    search_idx, min_pages, max_pages, hp);
	KUNIT_EXPECT_EQ_MSG(test, n, want_n, "candidate(%u, %u, %u, hp %u) npages",
			    search_idx, min_pages, max_pages, hp);
}

/* Allocating drops scavenged bits, freeing leaves them, as the invariants say. */
static void palloc_scav_lifecycle(struct kunit *test)
{
	struct palloc_data *d = alloc_data(test);
	struct palloc_bits *zero = alloc_bits(test, 1);

	expect_candidate(test, d, 511, 1, 512, 0, 0, 512);
	expect_candidate(test, d, 511, 1, 1, 512, 0, 512);
	expect_candidate(test, d, 511, 1, 1, 256, 256, 256);
	expect_candidate(test, d, 511, 1, 1, 0, 511, 1);

	palloc_bits_set_all(&d->scav);
	expect_candidate(test, d, 511, 1, 512, 0, 0, 0);

	palloc_data_alloc_range(d, 100, 20);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(&d->alloc, 0, 512), 20U);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(&d->scav, 0, 512), 492U);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(&d->scav, 100, 20), 0U);
	expect_candidate(test, d, 511, 1, 512, 0, 0, 0);

	/* Freed pages are free and dirty: the scavenger's input. */
	palloc_bits_free(&d->alloc, 100, 20);
	KUNIT_EXPECT_EQ(test, palloc_bits_popcnt_range(&d->scav, 100, 20), 0U);
	expect_candidate(test, d, 511, 1, 512, 0, 100, 20);
	expect_candidate(test, d, 511, 1, 8, 0, 112, 8);
	expect_candidate(test, d, 511, 8, 8, 0, 112, 8);
	expect_candidate(test, d, 511, 8, 512, 0, 104, 16);
	expect_candidate(test, d, 511, 16, 512, 0, 0, 0);
	expect_candidate(test, d, 99, 1, 512, 0, 100, 20);
	expect_candidate(test, d, 63, 1, 512, 0, 0, 0);

	/* The scavenger released the top of the run. */
	palloc_bits_set_range(&d->scav, 110, 10);
	expect_candidate(test, d, 511, 1, 512, 0, 100, 10);

	palloc_data_alloc_all(d);
	expect_bits(test, &d->scav, zero, "scav after alloc_all");
	expect_candidate(test, d, 511, 1, 512, 0, 0, 0);

	palloc_bits_free_all(&d->alloc);
	expect_bits(test, &d->scav, zero, "scav after free_all");
	expect_candidate(test, d, 511, 1, 512, 0, 0, 512);
	expect_candidate(test, d, 511, 1, 1, 512, 0, 512);
	expect_candidate(test, d, 511, 1, 1, 256, 256, 256);
}

#define SCAV_RND_FMT RND_FMT "candidate(%u, %u, %u, hp %u) = (%u, %u), want (%u, %u) in %s / %s"

static void palloc_scav_candidate_random(struct kunit *test)
{
	struct palloc_data *d = alloc_data(test);
	struct palloc_bits *s = alloc_bits(test, 1);
	struct bits_str bs, bs2;
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, k, search, min_pages, max_pages, hp, got, got_n, want, want_n;

	for (iter = 0; iter < RANDOM_ROUNDS; iter++) {
		rnd_bits(&rs, &d->alloc);
		rnd_bits(&rs, s);
		/* Mostly scavenged => free; sometimes not, as Go's own cases do. */
		for (k = 0; k < CHUNK_WORDS; k++)
			d->scav.w[k] = rnd_below(&rs, 5) ? s->w[k] & ~d->alloc.w[k] : s->w[k];
		search = rnd_below(&rs, 2) ? 511 : rnd_below(&rs, CHUNK_PAGES);
		min_pages = 1U << rnd_below(&rs, 7);
		switch (rnd_below(&rs, 4)) {
		case 0:
			max_pages = 0;
			break;
		case 1:
			max_pages = 1 + rnd_below(&rs, 2 * min_pages);
			break;
		default:
			max_pages = 1 + rnd_below(&rs, 600);
			break;
		}
		hp = hp_sizes[rnd_below(&rs, ARRAY_SIZE(hp_sizes))];
		want = ref_scav(d, search, min_pages, max_pages, hp, &want_n);
		got_n = 12345;
		got = palloc_data_find_scavenge_candidate(d, search, min_pages, max_pages, hp,
							  &got_n);
		KUNIT_ASSERT_TRUE_MSG(test, got == want && got_n == want_n,
				      SCAV_RND_FMT,
				      seed, iter, search, min_pages, max_pages, hp, got, got_n,
				      want, want_n, bits_str(&bs, &d->alloc),
				      bits_str(&bs2, &d->scav));
	}
}

/*
 * palloc_data_allocated() and the count palloc_data_alloc_range() returns,
 * against page-by-page references, on random chunks and ranges.
 */
static void palloc_scav_data_range_random(struct kunit *test)
{
	struct palloc_data *d = alloc_data(test);
	struct bits_str bs, bs2;
	struct rnd_state rs;
	u32 seed = palloc_rnd_init(test, &rs);
	unsigned int iter, i, n, p, scav;
	bool want;

	for (iter = 0; iter < RANDOM_ROUNDS; iter++) {
		rnd_bits(&rs, &d->alloc);
		rnd_bits(&rs, &d->scav);
		rnd_range(&rs, &i, &n);
		/* Often a wholly allocated run, the case every free checks. */
		if (rnd_below(&rs, 2))
			ref_fill(&d->alloc, i, n, true);
		if (rnd_below(&rs, 2))
			ref_fill(&d->scav, i, n, false);
		want = true;
		scav = 0;
		for (p = i; p < i + n; p++) {
			want &= ref_get(&d->alloc, p) && !ref_get(&d->scav, p);
			scav += ref_get(&d->scav, p);
		}
		KUNIT_ASSERT_EQ_MSG(test, palloc_data_allocated(d, i, n), want,
				    RND_FMT "allocated(%u, %u) in %s / %s", seed, iter, i, n,
				    bits_str(&bs, &d->alloc), bits_str(&bs2, &d->scav));
		KUNIT_ASSERT_EQ_MSG(test, palloc_data_alloc_range(d, i, n), scav,
				    RND_FMT "alloc_range(%u, %u) count", seed, iter, i, n);
		for (p = i; p < i + n; p++)
			KUNIT_ASSERT_TRUE_MSG(test, ref_get(&d->alloc, p) &&
					      !ref_get(&d->scav, p),
					      RND_FMT "page %u after alloc_range(%u, %u)", seed,
					      iter, p, i, n);
	}
}

static struct kunit_case palloc_scav_cases[] = {
	KUNIT_CASE(palloc_scav_fill_aligned_table),
	KUNIT_CASE(palloc_scav_fill_aligned_random),
	KUNIT_CASE_PARAM(palloc_scav_data_alloc_range, range_cases_gen_params),
	KUNIT_CASE(palloc_scav_data_alloc_all),
	KUNIT_CASE_PARAM(palloc_scav_candidate_go, go_scav_cases_gen_params),
	KUNIT_CASE_PARAM(palloc_scav_candidate, scav_cases_gen_params),
	KUNIT_CASE(palloc_scav_lifecycle),
	KUNIT_CASE(palloc_scav_candidate_random),
	KUNIT_CASE(palloc_scav_data_range_random),
	{}
};

static struct kunit_suite palloc_scav_suite = {
	.name = "palloc_scav",
	.test_cases = palloc_scav_cases,
};

kunit_test_suites(&palloc_bits_suite, &palloc_sum_suite, &palloc_find_suite, &palloc_scav_suite);

MODULE_DESCRIPTION("KUnit tests for the pallocbits chunk page bitmap");
MODULE_LICENSE("GPL");
