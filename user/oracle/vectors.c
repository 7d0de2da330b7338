// SPDX-License-Identifier: GPL-2.0
/*
 * vectors - test vectors for the Go differential oracle of pallocbits.
 *
 *   vectors SEED COUNT CMDFILE ANSFILE
 *
 * Writes a fixed regression set followed by COUNT random commands, drawn
 * from SEED, to CMDFILE (the input of TestOracle in oracle_test.go, which
 * documents the command language), and the answers of the C library to
 * ANSFILE in exactly the format the Go driver prints.  Every command keeps
 * the preconditions of Go's functions, so Go never throws.  Per-command
 * counts go to stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pallocbits.h"

#define PAGES		PALLOC_CHUNK_PAGES
#define WORDS		PALLOC_CHUNK_WORDS
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static FILE *cmd_f;
static FILE *ans_f;

/* splitmix64 */
static u64 rng_state;

static u64 rnd64(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static unsigned int rnd(unsigned int n)
{
	return (unsigned int)(rnd64() % n);
}

/* Uniform in [lo, hi]. */
static unsigned int rnd_in(unsigned int lo, unsigned int hi)
{
	return lo + rnd(hi - lo + 1);
}

static u64 mask_n(unsigned int n)
{
	return n >= 64 ? ~0ULL : (1ULL << n) - 1;
}

/* Output: printf to the command file or to the answer file. */
#define cmd(...)	fprintf(cmd_f, __VA_ARGS__)
#define ans(...)	fprintf(ans_f, __VA_ARGS__)

static void put_words(FILE *f, const struct palloc_bits *b)
{
	unsigned int k;

	for (k = 0; k < WORDS; k++)
		fprintf(f, " %llx", (unsigned long long)b->w[k]);
}

/* An index or count; PALLOC_NOT_FOUND (Go's ^uint(0)) prints as NF. */
static void put_idx(FILE *f, unsigned int v)
{
	if (v == PALLOC_NOT_FOUND)
		fputs(" NF", f);
	else
		fprintf(f, " %u", v);
}

static void end_line(void)
{
	fputc('\n', cmd_f);
	fputc('\n', ans_f);
}

/* Word patterns of Go's BenchmarkPallocBitsSummarize and TestFindBitRange64. */
static const u64 go_patterns[] = {
	0x0000000000000000ULL, 0xffffffffffffffffULL, 0x00000000000000aaULL,
	0xaaaaaaaaaaaaaaaaULL, 0x80000000aaaaaaaaULL, 0xaaaaaaaa00000001ULL,
	0xbbbbbbbbbbbbbbbbULL, 0x80000000bbbbbbbbULL, 0xbbbbbbbb00000001ULL,
	0xccccccccccccccccULL, 0x4444444444444444ULL, 0x4040404040404040ULL,
	0x4000400040004000ULL, 0x1000404044ccaaffULL, 0x8000000000000000ULL,
	0xc000010001030000ULL, 0xffff03ff01070000ULL, 0x0fff03ff01079fffULL,
};

static u64 rand_word(void)
{
	unsigned int pos, len, m, g, k;
	u64 x;

	switch (rnd(13)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return rnd64();
	case 3:		/* sparse: density 1/4 .. 1/32 */
		x = rnd64();
		for (k = rnd_in(1, 4); k; k--)
			x &= rnd64();
		return x;
	case 4:		/* dense: density 3/4 .. 31/32 */
		x = rnd64();
		for (k = rnd_in(1, 4); k; k--)
			x |= rnd64();
		return x;
	case 5:		/* a benchmark pattern, maybe inverted or rotated */
		x = go_patterns[rnd(ARRAY_SIZE(go_patterns))];
		if (rnd(2))
			x = ~x;
		k = rnd(4) ? 0 : rnd(64);
		return k ? (x << k) | (x >> (64 - k)) : x;
	case 6:		/* a single page */
		return 1ULL << rnd(64);
	case 7:		/* a single hole */
		return ~(1ULL << rnd(64));
	case 8:		/* a run of zeros in ones */
	case 9:		/* a run of ones in zeros */
		len = rnd_in(1, 64);
		pos = rnd(65 - len);
		x = mask_n(len) << pos;
		return rnd(2) ? ~x : x;
	case 10:	/* low or high mask */
		x = mask_n(rnd(65));
		return rnd(2) ? ~x : x;
	case 11:	/* group-sparse, for fillAligned: some m-groups empty */
		m = 1U << rnd(7);
		x = 0;
		for (g = 0; g < 64; g += m)
			if (rnd(3) == 0)
				x |= (rnd64() & mask_n(m)) << g;
		return x;
	default:	/* two runs of zeros in ones, close together */
		x = ~0ULL;
		for (k = 0; k < 2; k++) {
			len = rnd_in(1, 20);
			pos = rnd(65 - len);
			x &= ~(mask_n(len) << pos);
		}
		return x;
	}
}

/* Run lengths worth testing: word-size edges and the chunk size. */
static const unsigned int edge_lens[] = {
	1, 2, 3, 7, 8, 31, 32, 33, 62, 63, 64, 65, 66, 127, 128, 129,
	191, 192, 193, 255, 256, 257, 383, 384, 385, 447, 448, 449,
	510, 511, 512,
};

/* A range [*i, *i + *n) inside the chunk with *n >= 1. */
static void rand_range(unsigned int *i, unsigned int *n)
{
	unsigned int len, start;

	switch (rnd(4)) {
	case 0:
		len = edge_lens[rnd(ARRAY_SIZE(edge_lens))];
		break;
	case 1:
		len = rnd_in(1, 64);
		break;
	case 2:
		len = rnd_in(1, 8);
		break;
	default:
		len = rnd_in(1, PAGES);
		break;
	}
	switch (rnd(4)) {
	case 0:		/* at a word boundary, give or take a few pages */
		start = rnd(WORDS + 1) * 64 + rnd_in(0, 6);
		start = start >= 3 ? start - 3 : 0;
		break;
	case 1:		/* ending at a word boundary, give or take a few */
		start = rnd_in(1, WORDS) * 64 + rnd_in(0, 6);
		start = start >= 3 + len ? start - 3 - len : 0;
		break;
	default:
		start = rnd(PAGES);
		break;
	}
	if (start > PAGES - len)
		start = PAGES - len;
	*i = start;
	*n = len;
}

static void bits_fill(struct palloc_bits *b, u64 v)
{
	unsigned int k;

	for (k = 0; k < WORDS; k++)
		b->w[k] = v;
}

/* Set (or clear) bits [i, i + n) with plain loops, independent of the library. */
static void bits_range(struct palloc_bits *b, unsigned int i, unsigned int n, bool set)
{
	for (; n; i++, n--) {
		if (set)
			b->w[i / 64] |= 1ULL << (i % 64);
		else
			b->w[i / 64] &= ~(1ULL << (i % 64));
	}
}

static void rand_bits(struct palloc_bits *b)
{
	unsigned int k, r, i, n;
	u64 v;

	switch (rnd(9)) {
	case 0:		/* independent words */
		for (k = 0; k < WORDS; k++)
			b->w[k] = rand_word();
		break;
	case 1:		/* one word repeated (Go's benchmark bitmaps) */
		bits_fill(b, rand_word());
		break;
	case 2:		/* full with free runs */
	case 3:		/* free with allocated runs */
		bits_fill(b, (rnd(2) ? 0 : ~0ULL));
		v = b->w[0];
		for (r = rnd_in(1, 4); r; r--) {
			rand_range(&i, &n);
			bits_range(b, i, n, !v);
		}
		break;
	case 4:		/* single holes or single pages */
		v = rnd(2) ? 0 : ~0ULL;
		bits_fill(b, v);
		for (r = rnd_in(1, 3); r; r--) {
			i = rnd(PAGES);
			bits_range(b, i, 1, !v);
		}
		break;
	case 5:		/* mostly allocated */
		for (k = 0; k < WORDS; k++) {
			r = rnd(8);
			b->w[k] = r < 4 ? ~0ULL : r < 7 ? ~(rnd64() & rnd64() & rnd64()) : 0;
		}
		break;
	case 6:		/* allocated prefix, random rest (find's hint precondition) */
		for (k = 0; k < WORDS; k++)
			b->w[k] = rand_word();
		bits_range(b, 0, rnd(PAGES + 1), true);
		break;
	case 7:		/* whole words free or allocated */
		for (k = 0; k < WORDS; k++)
			b->w[k] = rnd(2) ? 0 : ~0ULL;
		break;
	default:
		bits_fill(b, rnd(2) ? 0 : ~0ULL);
		break;
	}
}

/* Scavenged bits for alloc bits a: always a subset of the free pages. */
static void rand_scav(struct palloc_bits *s, const struct palloc_bits *a)
{
	unsigned int k, r, i, n;

	switch (rnd(5)) {
	case 0:
		bits_fill(s, 0);
		break;
	case 1:		/* everything free is scavenged except a few runs */
		bits_fill(s, ~0ULL);
		for (r = rnd_in(1, 3); r; r--) {
			rand_range(&i, &n);
			bits_range(s, i, n, false);
		}
		break;
	default:
		rand_bits(s);
		break;
	}
	for (k = 0; k < WORDS; k++)
		s->w[k] &= ~a->w[k];
}

static void rand_data(struct palloc_data *d)
{
	if (rnd(10) == 0) {	/* all free, maybe a few pages taken */
		bits_fill(&d->alloc, 0);
		bits_fill(&d->scav, 0);
		if (rnd(2))
			bits_range(&d->alloc, rnd(PAGES), 1, true);
		if (rnd(2))
			bits_range(&d->scav, rnd(PAGES), 1, true);
		return;
	}
	rand_bits(&d->alloc);
	rand_scav(&d->scav, &d->alloc);
}

/* Page counts for find: all sizes, weighted to the interesting ones. */
static unsigned int rand_npages(unsigned int lo, unsigned int hi)
{
	unsigned int n;

	switch (rnd(4)) {
	case 0:
		n = edge_lens[rnd(ARRAY_SIZE(edge_lens))];
		if (rnd(2))
			n = n + rnd(3) - 1;	/* n - 1 .. n + 1; 0 is clamped below */
		if (n > 512 && rnd(2))
			n = rnd_in(513, 600);
		break;
	case 1:
		n = rnd_in(1, 64);
		break;
	default:
		n = rnd_in(lo, hi);
		break;
	}
	return n < lo ? lo : n > hi ? hi : n;
}

/*
 * A bitmap for a search of npages: random, or allocated with free runs of
 * about npages pages so that the search has near misses and exact fits.
 */
static void find_bits(struct palloc_bits *b, unsigned int npages)
{
	unsigned int r, len, i;

	if (rnd(3)) {
		rand_bits(b);
		return;
	}
	bits_fill(b, ~0ULL);
	for (r = rnd_in(1, 3); r; r--) {
		len = npages + rnd(5);
		len = len > 2 ? len - 2 : 1;
		if (len > PAGES)
			len = PAGES;
		i = rnd(PAGES - len + 1);
		bits_range(b, i, len, false);
	}
}

/* ---- generators, one per command ---- */

enum op {
	OP_GET, OP_BLOCK64, OP_SET, OP_CLEAR, OP_SETRANGE, OP_CLEARRANGE,
	OP_SETALL, OP_CLEARALL, OP_SETBLOCK64, OP_CLEARBLOCK64, OP_POPCNT,
	OP_PACK, OP_UNPACK, OP_SUMMARIZE, OP_FBR64, OP_FIND, OP_FIND1,
	OP_FINDSMALL, OP_FINDLARGE, OP_ALLOCRANGE, OP_ALLOCALL, OP_FREE1,
	OP_FREE, OP_FREEALL, OP_PAGES64, OP_ALLOCPAGES64, OP_DALLOC,
	OP_DALLOCALL, OP_FILL, OP_SCAV, NR_OPS
};

static const struct {
	const char *name;
	unsigned int weight;
} ops[NR_OPS] = {
	[OP_GET]	= { "get", 2 },
	[OP_BLOCK64]	= { "block64", 1 },
	[OP_SET]	= { "set", 1 },
	[OP_CLEAR]	= { "clear", 1 },
	[OP_SETRANGE]	= { "setrange", 4 },
	[OP_CLEARRANGE]	= { "clearrange", 4 },
	[OP_SETALL]	= { "setall", 1 },
	[OP_CLEARALL]	= { "clearall", 1 },
	[OP_SETBLOCK64]	= { "setblock64", 1 },
	[OP_CLEARBLOCK64] = { "clearblock64", 1 },
	[OP_POPCNT]	= { "popcnt", 4 },
	[OP_PACK]	= { "pack", 2 },
	[OP_UNPACK]	= { "unpack", 1 },
	[OP_SUMMARIZE]	= { "summarize", 8 },
	[OP_FBR64]	= { "fbr64", 6 },
	[OP_FIND]	= { "find", 16 },
	[OP_FIND1]	= { "find1", 4 },
	[OP_FINDSMALL]	= { "findsmall", 8 },
	[OP_FINDLARGE]	= { "findlarge", 8 },
	[OP_ALLOCRANGE]	= { "allocrange", 2 },
	[OP_ALLOCALL]	= { "allocall", 1 },
	[OP_FREE1]	= { "free1", 1 },
	[OP_FREE]	= { "free", 2 },
	[OP_FREEALL]	= { "freeall", 1 },
	[OP_PAGES64]	= { "pages64", 1 },
	[OP_ALLOCPAGES64] = { "allocpages64", 1 },
	[OP_DALLOC]	= { "dalloc", 3 },
	[OP_DALLOCALL]	= { "dallocall", 1 },
	[OP_FILL]	= { "fill", 4 },
	[OP_SCAV]	= { "scav", 16 },
};

static unsigned long op_count[NR_OPS];

/* Commands taking (i, bitmap) and returning the modified bitmap. */
static void gen_modify_i(enum op op)
{
	struct palloc_bits b;
	unsigned int i = rnd(PAGES);

	rand_bits(&b);
	cmd("%s %u", ops[op].name, i);
	put_words(cmd_f, &b);
	switch (op) {
	case OP_SET:
		palloc_bits_set(&b, i);
		break;
	case OP_CLEAR:
		palloc_bits_clear(&b, i);
		break;
	default:
		palloc_bits_free1(&b, i);
		break;
	}
	ans("%s", ops[op].name);
	put_words(ans_f, &b);
}

/* Commands taking (i, n, bitmap) and returning the modified bitmap. */
static void gen_modify_range(enum op op)
{
	struct palloc_bits b;
	unsigned int i, n;

	rand_range(&i, &n);
	rand_bits(&b);
	cmd("%s %u %u", ops[op].name, i, n);
	put_words(cmd_f, &b);
	switch (op) {
	case OP_SETRANGE:
		palloc_bits_set_range(&b, i, n);
		break;
	case OP_CLEARRANGE:
		palloc_bits_clear_range(&b, i, n);
		break;
	case OP_ALLOCRANGE:
		palloc_bits_alloc_range(&b, i, n);
		break;
	default:
		palloc_bits_free(&b, i, n);
		break;
	}
	ans("%s", ops[op].name);
	put_words(ans_f, &b);
}

/* Commands taking a bitmap and returning it modified as a whole. */
static void gen_modify_all(enum op op)
{
	struct palloc_bits b;

	rand_bits(&b);
	cmd("%s", ops[op].name);
	put_words(cmd_f, &b);
	switch (op) {
	case OP_SETALL:
		palloc_bits_set_all(&b);
		break;
	case OP_CLEARALL:
		palloc_bits_clear_all(&b);
		break;
	case OP_ALLOCALL:
		palloc_bits_alloc_all(&b);
		break;
	default:
		palloc_bits_free_all(&b);
		break;
	}
	ans("%s", ops[op].name);
	put_words(ans_f, &b);
}

/* Commands taking (i, v, bitmap) and returning the modified bitmap. */
static void gen_modify_block(enum op op)
{
	struct palloc_bits b;
	unsigned int i = rnd(PAGES);
	u64 v = rand_word();

	rand_bits(&b);
	cmd("%s %u %llx", ops[op].name, i, (unsigned long long)v);
	put_words(cmd_f, &b);
	switch (op) {
	case OP_SETBLOCK64:
		palloc_bits_set_block64(&b, i, v);
		break;
	case OP_CLEARBLOCK64:
		palloc_bits_clear_block64(&b, i, v);
		break;
	default:
		palloc_bits_alloc_pages64(&b, i, v);
		break;
	}
	ans("%s", ops[op].name);
	put_words(ans_f, &b);
}

/* get, block64, pages64: (i, bitmap) -> value */
static void gen_query_i(enum op op)
{
	struct palloc_bits b;
	unsigned int i = rnd(PAGES);

	rand_bits(&b);
	cmd("%s %u", ops[op].name, i);
	put_words(cmd_f, &b);
	if (op == OP_GET)
		ans("get %u", palloc_bits_get(&b, i) ? 1U : 0U);
	else if (op == OP_BLOCK64)
		ans("block64 %llx", (unsigned long long)palloc_bits_block64(&b, i));
	else
		ans("pages64 %llx", (unsigned long long)palloc_bits_pages64(&b, i));
}

static void gen_popcnt(void)
{
	struct palloc_bits b;
	unsigned int i, n;

	rand_range(&i, &n);
	rand_bits(&b);
	cmd("popcnt %u %u", i, n);
	put_words(cmd_f, &b);
	ans("popcnt");
	put_idx(ans_f, palloc_bits_popcnt_range(&b, i, n));
}

/* A summary field: 0..2^21, mostly near the edges. */
static unsigned int rand_field(void)
{
	const unsigned int sum_max = PALLOC_SUM_MAX_VALUE;
	const unsigned int edges[] = {
		0, 1, 63, 64, 65, 511, 512, 513, 4096, sum_max - 1, sum_max,
	};

	if (rnd(2))
		return edges[rnd(ARRAY_SIZE(edges))];
	return rnd(2) ? rnd(PAGES + 1) : rnd(sum_max + 1);
}

static void pack_answer(unsigned int start, unsigned int max_pages, unsigned int end)
{
	palloc_sum_t s = palloc_sum_pack(start, max_pages, end);

	ans("pack %llx %u %u %u", (unsigned long long)s, palloc_sum_start(s),
	    palloc_sum_max(s), palloc_sum_end(s));
}

static void gen_pack(void)
{
	unsigned int start = rand_field(), max_pages = rand_field(), end = rand_field();

	if (rnd(4) == 0) {
		start = end;
		max_pages = end;
	}
	cmd("pack %u %u %u", start, max_pages, end);
	pack_answer(start, max_pages, end);
}

static void gen_unpack(void)
{
	u64 s;

	switch (rnd(3)) {
	case 0:
		s = rnd64();
		break;
	case 1:
		s = rnd64() & ~PALLOC_SUM_ALL_FREE;
		break;
	default:
		s = PALLOC_SUM_ALL_FREE | (rnd(2) ? rnd64() : 0);
		break;
	}
	cmd("unpack %llx", (unsigned long long)s);
	ans("unpack %u %u %u", palloc_sum_start(s), palloc_sum_max(s), palloc_sum_end(s));
}

static void summarize_answer(const struct palloc_bits *b)
{
	cmd("summarize");
	put_words(cmd_f, b);
	ans("summarize %llx", (unsigned long long)palloc_bits_summarize(b));
}

static void gen_summarize(void)
{
	struct palloc_bits b;

	rand_bits(&b);
	summarize_answer(&b);
}

static void fbr64_answer(u64 c, unsigned int n)
{
	cmd("fbr64 %llx %u", (unsigned long long)c, n);
	ans("fbr64");
	put_idx(ans_f, palloc_find_bit_range64(c, n));
}

static void gen_fbr64(void)
{
	u64 c = rand_word();

	fbr64_answer(rnd(2) ? c : ~c, op_count[OP_FBR64] % 64 + 1);
}

/*
 * find, findsmall, findlarge.  The search index steps through 0..511 so
 * every value is used, including those inside a word; half of the bitmaps
 * have every page below it allocated, as find's callers guarantee.
 */
static void find_answer(enum op op, unsigned int npages, unsigned int idx,
			const struct palloc_bits *b)
{
	unsigned int r, nidx = 12345;

	cmd("%s %u %u", ops[op].name, npages, idx);
	put_words(cmd_f, b);
	if (op == OP_FIND)
		r = palloc_bits_find(b, npages, idx, &nidx);
	else if (op == OP_FINDSMALL)
		r = palloc_bits_find_small_n(b, npages, idx, &nidx);
	else
		r = palloc_bits_find_large_n(b, npages, idx, &nidx);
	ans("%s", ops[op].name);
	put_idx(ans_f, r);
	put_idx(ans_f, nidx);
}

static void gen_find(enum op op)
{
	struct palloc_bits b;
	unsigned int npages, idx = op_count[op] % PAGES;

	if (op == OP_FIND)
		npages = rand_npages(1, 600);
	else if (op == OP_FINDSMALL)
		npages = rand_npages(2, 64);
	else
		npages = rand_npages(65, 600);
	find_bits(&b, npages);
	if (rnd(2))
		bits_range(&b, 0, idx, true);
	find_answer(op, npages, idx, &b);
}

static void find1_answer(unsigned int idx, const struct palloc_bits *b)
{
	cmd("find1 %u", idx);
	put_words(cmd_f, b);
	ans("find1");
	put_idx(ans_f, palloc_bits_find1(b, idx));
}

static void gen_find1(void)
{
	struct palloc_bits b;
	unsigned int idx = op_count[OP_FIND1] % PAGES;

	find_bits(&b, 1);
	if (rnd(2))
		bits_range(&b, 0, idx, true);
	find1_answer(idx, &b);
}

static void dalloc_answer(bool all, unsigned int i, unsigned int n, struct palloc_data *d)
{
	if (all)
		cmd("dallocall");
	else
		cmd("dalloc %u %u", i, n);
	put_words(cmd_f, &d->alloc);
	put_words(cmd_f, &d->scav);
	if (all)
		palloc_data_alloc_all(d);
	else
		palloc_data_alloc_range(d, i, n);
	ans("%s", all ? "dallocall" : "dalloc");
	put_words(ans_f, &d->alloc);
	put_words(ans_f, &d->scav);
}

static void gen_dalloc(bool all)
{
	struct palloc_data d;
	unsigned int i, n;

	rand_range(&i, &n);
	rand_data(&d);
	/* Usually allocate free pages, as Go's callers do. */
	if (rnd(4))
		bits_range(&d.alloc, i, n, false);
	dalloc_answer(all, i, n, &d);
}

static void fill_answer(u64 x, unsigned int m)
{
	cmd("fill %llx %u", (unsigned long long)x, m);
	ans("fill %llx", (unsigned long long)palloc_fill_aligned(x, m));
}

static void gen_fill(void)
{
	fill_answer(rand_word(), 1U << (op_count[OP_FILL] % 7));
}

static void scav_answer(unsigned int idx, unsigned int min_pages, unsigned int max_pages,
			unsigned int huge, const struct palloc_data *d)
{
	unsigned int start, size;

	cmd("scav %u %u %u %u", idx, min_pages, max_pages, huge);
	put_words(cmd_f, &d->alloc);
	put_words(cmd_f, &d->scav);
	start = palloc_data_find_scavenge_candidate(d, idx, min_pages, max_pages, huge, &size);
	ans("scav");
	put_idx(ans_f, start);
	put_idx(ans_f, size);
}

/*
 * findScavengeCandidate: search index steps through 0..511, min through
 * 1..64; max is 0, near min, or random up to 600; the huge page is none
 * (0, or 1 = one Go page) or 2..512 pages, 256 and 512 most often.
 */
static void gen_scav(void)
{
	static const unsigned int huge[] = {
		0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 256, 512, 512, 512,
	};
	struct palloc_data d;
	unsigned long c = op_count[OP_SCAV];
	unsigned int min_pages = 1U << (c / PAGES % 7), max_pages;

	switch (rnd(5)) {
	case 0:
		max_pages = 0;
		break;
	case 1:
		max_pages = min_pages + rnd(3);
		max_pages = max_pages > 1 ? max_pages - 1 : 1;
		break;
	case 2:
		max_pages = rnd(2) ? 512 : 600;
		break;
	default:
		max_pages = rnd_in(1, 600);
		break;
	}
	rand_data(&d);
	scav_answer(c % PAGES, min_pages, max_pages, huge[rnd(ARRAY_SIZE(huge))], &d);
}

static void gen_one(enum op op)
{
	switch (op) {
	case OP_GET:
	case OP_BLOCK64:
	case OP_PAGES64:
		gen_query_i(op);
		break;
	case OP_SET:
	case OP_CLEAR:
	case OP_FREE1:
		gen_modify_i(op);
		break;
	case OP_SETRANGE:
	case OP_CLEARRANGE:
	case OP_ALLOCRANGE:
	case OP_FREE:
		gen_modify_range(op);
		break;
	case OP_SETALL:
	case OP_CLEARALL:
	case OP_ALLOCALL:
	case OP_FREEALL:
		gen_modify_all(op);
		break;
	case OP_SETBLOCK64:
	case OP_CLEARBLOCK64:
	case OP_ALLOCPAGES64:
		gen_modify_block(op);
		break;
	case OP_POPCNT:
		gen_popcnt();
		break;
	case OP_PACK:
		gen_pack();
		break;
	case OP_UNPACK:
		gen_unpack();
		break;
	case OP_SUMMARIZE:
		gen_summarize();
		break;
	case OP_FBR64:
		gen_fbr64();
		break;
	case OP_FIND:
	case OP_FINDSMALL:
	case OP_FINDLARGE:
		gen_find(op);
		break;
	case OP_FIND1:
		gen_find1();
		break;
	case OP_DALLOC:
	case OP_DALLOCALL:
		gen_dalloc(op == OP_DALLOCALL);
		break;
	case OP_FILL:
		gen_fill();
		break;
	case OP_SCAV:
		gen_scav();
		break;
	case NR_OPS:
		break;
	}
	end_line();
	op_count[op]++;
}

/* ---- fixed regression vectors (go-pallocbits.md §7, §8) ---- */

static void fixed_find(unsigned int npages, unsigned int idx, const struct palloc_bits *b)
{
	find_answer(OP_FIND, npages, idx, b);
	end_line();
	op_count[OP_FIND]++;
}

static void fixed_scav(unsigned int idx, unsigned int min_pages, unsigned int max_pages,
		       const struct palloc_data *d)
{
	static const unsigned int huge[] = { 0, 1, 2, 256, 512 };
	unsigned int h;

	for (h = 0; h < ARRAY_SIZE(huge); h++) {
		scav_answer(idx, min_pages, max_pages, huge[h], d);
		end_line();
		op_count[OP_SCAV]++;
	}
}

static void gen_fixed(void)
{
	const unsigned int sum_max = PALLOC_SUM_MAX_VALUE;
	struct palloc_bits b;
	struct palloc_data d;
	unsigned int k, n, m;

	/* find 1 page: word0 full, word1 = 0x0f -> (68, 68) */
	bits_fill(&b, 0);
	b.w[0] = ~0ULL;
	b.w[1] = 0x0f;
	fixed_find(1, 0, &b);
	/* find 65: word1 full, word2 = 0xffffffff -> (160, 0) */
	bits_fill(&b, 0);
	b.w[1] = ~0ULL;
	b.w[2] = 0xffffffffULL;
	fixed_find(65, 0, &b);
	/* 600 pages in a free chunk -> (NF, 0); 512 pages fit exactly */
	bits_fill(&b, 0);
	fixed_find(600, 0, &b);
	fixed_find(513, 0, &b);
	fixed_find(512, 0, &b);
	fixed_find(512, 1, &b);
	/* Go's TestPallocBitsAlloc SomeFree161: 146-page hole skipped */
	bits_fill(&b, ~0ULL);
	bits_range(&b, 0, 1, false);
	bits_range(&b, 64, 146, false);
	bits_range(&b, 332, 180, false);
	fixed_find(161, 0, &b);

	/* summarize: word0 = 0x3ff, word7 = 1 << 63 -> (0, 501, 0) */
	bits_fill(&b, 0);
	b.w[0] = 0x3ff;
	b.w[7] = 1ULL << 63;
	summarize_answer(&b);
	end_line();
	/* summarize: every benchmark pattern in every word, all free, all full */
	for (k = 0; k < ARRAY_SIZE(go_patterns); k++) {
		bits_fill(&b, go_patterns[k]);
		summarize_answer(&b);
		end_line();
	}
	op_count[OP_SUMMARIZE] += 1 + k;

	/* findBitRange64: Go's hand cases and every benchmark pattern */
	fbr64_answer(0xc000010001030000ULL, 2);
	end_line();
	fbr64_answer(0x8000000000000000ULL, 1);
	end_line();
	fbr64_answer(0xffff03ff01070000ULL, 16);
	end_line();
	fbr64_answer(0x0fff03ff01079fffULL, 16);
	end_line();
	op_count[OP_FBR64] += 4;
	for (k = 0; k < ARRAY_SIZE(go_patterns); k++) {
		for (n = 1; n <= 64; n++) {
			fbr64_answer(go_patterns[k], n);
			end_line();
			op_count[OP_FBR64]++;
		}
	}

	/* fillAligned(0x0100a3, 8) = 0xff00ff, and every m on a few words */
	fill_answer(0x0100a3, 8);
	end_line();
	op_count[OP_FILL]++;
	for (m = 1; m <= 64; m *= 2) {
		fill_answer(0, m);
		end_line();
		fill_answer(~0ULL, m);
		end_line();
		fill_answer(0x8000000000000001ULL, m);
		end_line();
		op_count[OP_FILL] += 3;
	}

	/* pack(512, 512, 512) and the all-free flag */
	cmd("pack 512 512 512");
	pack_answer(512, 512, 512);
	end_line();
	cmd("pack %u %u %u", sum_max, sum_max, sum_max);
	pack_answer(sum_max, sum_max, sum_max);
	end_line();
	cmd("pack 0 %u 0", sum_max);
	pack_answer(0, sum_max, 0);
	end_line();
	op_count[OP_PACK] += 3;

	/* scavenge candidate with only page 10 free, search from page 5 -> (10, 1) */
	bits_fill(&d.alloc, ~0ULL);
	bits_fill(&d.scav, 0);
	bits_range(&d.alloc, 10, 1, false);
	fixed_scav(5, 1, 0, &d);
	/* all free and unscavenged: (511, 1), (256, 256), (0, 512) by huge page */
	bits_fill(&d.alloc, 0);
	fixed_scav(511, 1, 0, &d);
	fixed_scav(511, 1, 1, &d);
	fixed_scav(0, 64, 0, &d);
	/* Go's PreserveHugePageBottom / Top for P = 256 */
	bits_fill(&d.alloc, 0);
	bits_range(&d.alloc, 258, PAGES - 258, true);
	fixed_scav(511, 1, 3, &d);
	bits_fill(&d.alloc, 0);
	bits_range(&d.alloc, 0, 256, true);
	fixed_scav(511, 1, 1, &d);
	/* Go's MixedMin1 -> (41, 1) */
	bits_fill(&d.alloc, 0);
	bits_fill(&d.scav, 0);
	bits_range(&d.alloc, 0, 40, true);
	bits_range(&d.alloc, 42, PAGES - 42, true);
	bits_range(&d.scav, 40, 1, true);
	fixed_scav(511, 1, 3, &d);
}

int main(int argc, char **argv)
{
	unsigned long total = 0, count, i;
	unsigned long cum[NR_OPS];
	unsigned int k;
	u64 pick;

	if (argc != 5) {
		fprintf(stderr, "usage: %s SEED COUNT CMDFILE ANSFILE\n", argv[0]);
		return 2;
	}
	rng_state = strtoull(argv[1], NULL, 0);
	count = strtoul(argv[2], NULL, 0);
	cmd_f = fopen(argv[3], "w");
	ans_f = fopen(argv[4], "w");
	if (!cmd_f || !ans_f) {
		perror("vectors: fopen");
		return 1;
	}

	gen_fixed();

	for (k = 0; k < NR_OPS; k++) {
		total += ops[k].weight;
		cum[k] = total;
	}
	for (i = 0; i < count; i++) {
		pick = rnd64() % total;
		for (k = 0; pick >= cum[k]; k++)
			;
		gen_one(k);
	}

	if (fclose(cmd_f) || fclose(ans_f)) {
		perror("vectors: write");
		return 1;
	}
	for (k = 0, total = 0; k < NR_OPS; k++) {
		fprintf(stderr, "%s%s=%lu", k ? " " : "vectors: ", ops[k].name, op_count[k]);
		total += op_count[k];
	}
	fprintf(stderr, "\nvectors: %lu commands\n", total);
	return 0;
}
