// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the chunk page bitmap (pallocbits.c, userspace build).
 *
 * The input is a sequence of operations on one struct palloc_data, each
 * checked against a bit-by-bit reference model (bool arrays, one entry per
 * page) written from Go's semantics (runtime/mpallocbits.go, mgcscavenge.go),
 * not from the C code.  After every operation that may change the chunk both
 * bitmaps are compared with the model bit by bit, scavenged => free is checked
 * and the summary is checked against a recount; read-only operations must
 * leave the chunk byte-for-byte unchanged.  Any mismatch prints the operation
 * and the values and aborts.
 *
 * Input format (the seed corpus in corpus/, written by mkcorpus.py, uses
 * it): a chunk starting all free and unscavenged, then up to FUZZ_MAX_OPS
 * operations, each an opcode byte (taken modulo OP_COUNT) followed by its
 * arguments; u16 and u64 arguments are little endian; missing bytes read as
 * zero.  A page range is two u16: i = x % 512, n = 1 + y % (512 - i).
 * Operations, in opcode order, are listed in enum fuzz_op below.
 *
 * scripts/fuzz.sh builds pallocbits.c with libFuzzer's coverage, ASan and
 * UBSan, and this file with ASan and UBSan only: the coverage libFuzzer
 * reports and follows is that of pallocbits.c, and the page-by-page loops of
 * the model pay no coverage callbacks.  fuzz_one_input() is linked as
 * libFuzzer's entry point with -Wl,--defsym.
 *
 * Set PALLOC_FUZZ_TRACE=1 in the environment to print every operation, e.g.
 * to replay a crash input: PALLOC_FUZZ_TRACE=1 build/fuzz/fuzz_pallocbits CRASH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pallocbits.h"

#define NPAGES		PALLOC_CHUNK_PAGES
#define NWORDS		PALLOC_CHUNK_WORDS
#define NOT_FOUND	PALLOC_NOT_FOUND
#define FUZZ_MAX_OPS	24

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Argument encodings: range = u16 i, u16 n as above; page = u16 % 512;
 * block = u8 word % 8, u8 bit % 64, u64 v (the page is word * 64 + bit);
 * find = u16 npages - 1 (% 528: more than a chunk always fails), u16
 * search_idx % 512; cand = u16 search_idx % 512, u8 log2(min) % 7, u16 max.
 */
enum fuzz_op {
	OP_ALLOC_RANGE,		/* range: palloc_data_alloc_range */
	OP_BITS_ALLOC_RANGE,	/* range: palloc_bits_alloc_range + clear_range(scav) */
	OP_ALLOC_ALL,		/* u8: odd: bits_alloc_all + clear_all, even: data_alloc_all */
	OP_SET_ALLOC1,		/* page: palloc_bits_set + palloc_bits_clear(scav) */
	OP_ALLOC_PAGES64,	/* block: pages64, alloc_pages64 + clear_block64(scav) */
	OP_FREE,		/* range: palloc_bits_free */
	OP_FREE1,		/* page: palloc_bits_free1 */
	OP_FREE_ALL,		/* palloc_bits_free_all */
	OP_FREE_BLOCK64,	/* block: palloc_bits_clear_block64(alloc) */
	OP_SCAV_RANGE,		/* range: mark its free pages scavenged */
	OP_SCAV1,		/* page: mark it scavenged if free */
	OP_UNSCAV_RANGE,	/* range: palloc_bits_clear_range(scav) */
	OP_UNSCAV1,		/* page: palloc_bits_clear(scav) */
	OP_UNSCAV_BLOCK64,	/* block: palloc_bits_clear_block64(scav) */
	OP_FIND,		/* find: find, and find1/find_small_n/find_large_n */
	OP_FIND_ALLOC,		/* find: the same, then allocate the run found */
	OP_SCAVENGE,		/* cand, u8 huge % 11: candidate, then scavenge it */
	OP_CANDIDATE,		/* cand: candidate for every huge-page size */
	OP_POPCNT,		/* range: popcnt_range on both bitmaps */
	OP_PAGES64,		/* page: pages64, block64, get on both bitmaps */
	OP_SUMMARIZE,		/* summarize (also checked after every change) */
	OP_BIT_RANGE64,		/* u64 c, u8 n - 1 % 64: palloc_find_bit_range64 */
	OP_FILL_ALIGNED,	/* u64 x: palloc_fill_aligned for every m */
	OP_SUM_PACK,		/* 3 x (u16 lo, u8 hi % 64): pack and unpack a summary */
	OP_SCAV_BLOCK64,	/* block: set_block64(scav) with the free pages of v */
	OP_COUNT
};

static const char * const op_names[OP_COUNT] = {
	[OP_ALLOC_RANGE] = "alloc_range",
	[OP_BITS_ALLOC_RANGE] = "bits_alloc_range",
	[OP_ALLOC_ALL] = "alloc_all",
	[OP_SET_ALLOC1] = "set_alloc1",
	[OP_ALLOC_PAGES64] = "alloc_pages64",
	[OP_FREE] = "free",
	[OP_FREE1] = "free1",
	[OP_FREE_ALL] = "free_all",
	[OP_FREE_BLOCK64] = "free_block64",
	[OP_SCAV_RANGE] = "scav_range",
	[OP_SCAV1] = "scav1",
	[OP_UNSCAV_RANGE] = "unscav_range",
	[OP_UNSCAV1] = "unscav1",
	[OP_UNSCAV_BLOCK64] = "unscav_block64",
	[OP_FIND] = "find",
	[OP_FIND_ALLOC] = "find_alloc",
	[OP_SCAVENGE] = "scavenge",
	[OP_CANDIDATE] = "find_scavenge_candidate",
	[OP_POPCNT] = "popcnt_range",
	[OP_PAGES64] = "pages64",
	[OP_SUMMARIZE] = "summarize",
	[OP_BIT_RANGE64] = "find_bit_range64",
	[OP_FILL_ALIGNED] = "fill_aligned",
	[OP_SUM_PACK] = "sum_pack",
	[OP_SCAV_BLOCK64] = "scav_block64",
};

/* Huge-page sizes in pages tried by OP_CANDIDATE; OP_SCAVENGE picks one. */
static const unsigned int huge_sizes[] = { 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };
#define NHUGE	ARRAY_SIZE(huge_sizes)

/* The chunk under test and its model. */
static struct palloc_data d;
static bool m_alloc[NPAGES], m_scav[NPAGES];

/* The operation being run and its arguments, for the failure report. */
#define MAX_ARGS	6
static struct {
	unsigned int index, op, nargs;
	const char *name[MAX_ARGS];
	u64 val[MAX_ARGS];
} cur;

static bool trace, trace_init;

struct input {
	const u8 *p;
	size_t n;
};

static unsigned int in_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned int in_u16(struct input *in)
{
	unsigned int lo = in_u8(in);

	return lo | in_u8(in) << 8;
}

static u64 in_u64(struct input *in)
{
	u64 v = 0;
	int k;

	for (k = 0; k < 64; k += 8)
		v |= (u64)in_u8(in) << k;
	return v;
}

/* A non-empty page range [*i, *i + *n) of the chunk. */
static void in_range(struct input *in, unsigned int *i, unsigned int *n)
{
	*i = in_u16(in) % NPAGES;
	*n = 1 + in_u16(in) % (NPAGES - *i);
}

/* Record (or update) an argument of the current operation. */
static void op_arg(const char *name, u64 val)
{
	unsigned int k;

	for (k = 0; k < cur.nargs && cur.name[k] != name; k++)
		;
	if (k == MAX_ARGS)
		return;
	cur.name[k] = name;
	cur.val[k] = val;
	if (k == cur.nargs)
		cur.nargs++;
}

static void print_op(void)
{
	unsigned int k;

	fprintf(stderr, "op #%u %s(", cur.index, op_names[cur.op]);
	for (k = 0; k < cur.nargs; k++)
		fprintf(stderr, cur.val[k] < 1024 ? "%s%s=%llu" : "%s%s=%#llx", k ? ", " : "",
			cur.name[k], (unsigned long long)cur.val[k]);
	fprintf(stderr, ")\n");
}

static void dump_bits(const char *name, const struct palloc_bits *b)
{
	unsigned int k;

	fprintf(stderr, "  %s:", name);
	for (k = 0; k < NWORDS; k++)
		fprintf(stderr, " %016llx", (unsigned long long)b->w[k]);
	fprintf(stderr, "\n");
}

static void fail(const char *what, u64 want, u64 got)
{
	fprintf(stderr,
		"pallocbits fuzz: MISMATCH: %s: expected %llu (%#llx), got %llu (%#llx)\n  at ",
		what, (unsigned long long)want, (unsigned long long)want,
		(unsigned long long)got, (unsigned long long)got);
	print_op();
	fprintf(stderr, "  chunk (word 0 first, page 0 = bit 0):\n");
	dump_bits("alloc", &d.alloc);
	dump_bits("scav ", &d.scav);
	abort();
}

static void check_eq(const char *what, u64 want, u64 got)
{
	if (want != got)
		fail(what, want, got);
}

/* Word k of a model bitmap, built bit by bit. */
static u64 model_word(const bool *m, unsigned int k)
{
	u64 w = 0;
	unsigned int j;

	for (j = 0; j < 64; j++)
		w |= (u64)m[k * 64 + j] << j;
	return w;
}

/*
 * The model seen page by page: both bitmaps as words, and the summary of the
 * free pages (free pages at the start, longest free run, free pages at the end).
 */
struct model_view {
	struct palloc_data bits;
	unsigned int start, most, end;
};

/*
 * Run after every change, these loops are the hottest code of the target:
 * they are kept free of loop-carried work they don't need, and their indices
 * are bounded by the loops, so they do without ASan and UBSan checks.
 */
static __attribute__((no_sanitize("address", "undefined"))) void model_view(struct model_view *v)
{
	unsigned int k, j, p, most = 0;
	int last = -1;
	u64 a, sc;

	for (k = 0; k < NWORDS; k++) {
		a = 0;
		sc = 0;
		for (j = 0; j < 64; j++) {
			a |= (u64)m_alloc[k * 64 + j] << j;
			sc |= (u64)m_scav[k * 64 + j] << j;
		}
		v->bits.alloc.w[k] = a;
		v->bits.scav.w[k] = sc;
	}
	for (p = 0; p < NPAGES && !m_alloc[p]; p++)
		;
	v->start = p;
	/* The free run ending at page p is p - last, last the last used page <= p. */
	for (p = 0; p < NPAGES; p++) {
		last = m_alloc[p] ? (int)p : last;
		most = p - last > most ? p - last : most;
	}
	v->most = most;
	v->end = NPAGES - 1 - last;
}

static void check_summary(const struct model_view *v)
{
	palloc_sum_t s = palloc_bits_summarize(&d.alloc);

	check_eq("summarize: packed (start | max << 21 | end << 42)",
		 (u64)v->start | (u64)v->most << 21 | (u64)v->end << 42, s);
	check_eq("summarize: start", v->start, palloc_sum_start(s));
	check_eq("summarize: max", v->most, palloc_sum_max(s));
	check_eq("summarize: end", v->end, palloc_sum_end(s));
}

/*
 * After a change: the chunk equals the model bit by bit, scavenged => free,
 * and the summary matches a recount.
 */
static void check_state(void)
{
	struct model_view v;
	unsigned int k;

	model_view(&v);
	for (k = 0; k < NWORDS; k++) {
		check_eq("alloc bitmap word", v.bits.alloc.w[k], d.alloc.w[k]);
		check_eq("scavenged bitmap word", v.bits.scav.w[k], d.scav.w[k]);
		check_eq("scavenged => free (scav & alloc)", 0, d.scav.w[k] & d.alloc.w[k]);
	}
	check_summary(&v);
}

/* A read-only operation left the chunk as it was. */
static void check_unchanged(const struct palloc_data *before)
{
	unsigned int k;

	for (k = 0; k < NWORDS; k++) {
		check_eq("read-only op changed alloc word", before->alloc.w[k], d.alloc.w[k]);
		check_eq("read-only op changed scav word", before->scav.w[k], d.scav.w[k]);
	}
}

static void model_set(bool *m, unsigned int i, unsigned int n, bool v)
{
	unsigned int p;

	for (p = i; p < i + n; p++)
		m[p] = v;
}

static unsigned int model_count(const bool *m, unsigned int i, unsigned int n)
{
	unsigned int p, c = 0;

	for (p = i; p < i + n; p++)
		c += m[p];
	return c;
}

/* The pages of word k that lie in [i, i + n), one by one. */
static u64 model_range_mask(unsigned int i, unsigned int n, unsigned int k)
{
	unsigned int j;
	u64 mask = 0;

	for (j = 0; j < 64; j++)
		if (k * 64 + j >= i && k * 64 + j < i + n)
			mask |= 1ULL << j;
	return mask;
}

/* Mark the free pages of [i, i + n) scavenged in the model. */
static void model_scav_free(unsigned int i, unsigned int n)
{
	unsigned int p;

	for (p = i; p < i + n; p++)
		if (!m_alloc[p])
			m_scav[p] = true;
}

/* Apply a 64-page word operation to the model: set (v = 1) or clear the bits of w. */
static void model_word_op(bool *m, unsigned int i, u64 w, bool v)
{
	unsigned int j, base = i / 64 * 64;

	for (j = 0; j < 64; j++)
		if ((w >> j) & 1)
			m[base + j] = v;
}

/*
 * Go's find: the lowest start of npages free pages at or after the first page
 * of word search_idx / 64; *nsi is the first free page at or after that page
 * (up to the run found).
 */
static unsigned int model_find(unsigned int npages, unsigned int search_idx, unsigned int *nsi)
{
	unsigned int p, run = 0;

	*nsi = NOT_FOUND;
	for (p = search_idx / 64 * 64; p < NPAGES; p++) {
		if (m_alloc[p]) {
			run = 0;
			continue;
		}
		if (*nsi == NOT_FOUND)
			*nsi = p;
		if (++run >= npages)
			return p + 1 - npages;
	}
	return NOT_FOUND;
}

/* Check find and the matching specialised search; returns the run found. */
static unsigned int do_find(unsigned int npages, unsigned int search_idx)
{
	unsigned int want, want_nsi, got, nsi, got2, nsi2;

	want = model_find(npages, search_idx, &want_nsi);
	got = palloc_bits_find(&d.alloc, npages, search_idx, &nsi);
	op_arg("result", got);
	check_eq("find: index", want, got);
	if (got != NOT_FOUND)
		check_eq("find: new_search_idx", want_nsi, nsi);
	if (npages == 1) {
		check_eq("find1", want, palloc_bits_find1(&d.alloc, search_idx));
		check_eq("find: npages == 1 gives new_search_idx == index", got, nsi);
	}
	if (npages <= 64) {
		got2 = palloc_bits_find_small_n(&d.alloc, npages, search_idx, &nsi2);
		check_eq("find_small_n: index", want, got2);
		check_eq("find_small_n: new_search_idx", want_nsi, nsi2);
	} else {
		got2 = palloc_bits_find_large_n(&d.alloc, npages, search_idx, &nsi2);
		check_eq("find_large_n: index", want, got2);
		check_eq("find_large_n: new_search_idx", want_nsi, nsi2);
	}
	return want;
}

/* The lowest i with bits [i, i + n) of c all set, or 64. */
static unsigned int model_bit_range64(u64 c, unsigned int n)
{
	unsigned int j, run = 0;

	for (j = 0; j < 64; j++) {
		run = (c >> j) & 1 ? run + 1 : 0;
		if (run >= n)
			return j + 1 - n;
	}
	return 64;
}

/* Every m-aligned group of m bits of x with a bit set becomes all ones. */
static u64 model_fill_aligned(u64 x, unsigned int m)
{
	u64 r = 0;
	unsigned int g, j;
	bool any;

	for (g = 0; g < 64; g += m) {
		any = false;
		for (j = g; j < g + m; j++)
			any |= (x >> j) & 1;
		if (any)
			for (j = g; j < g + m; j++)
				r |= 1ULL << j;
	}
	return r;
}

/*
 * Go's findScavengeCandidate, page by page.  A page is usable when every page
 * of its min-aligned group of min pages is free and unscavenged.  The highest
 * usable page at or below the top of word search_idx / 64 ends the run; the
 * candidate is the top min(run, max) pages of that run, max being rounded up
 * to a multiple of min (0 means min).  Then, per huge-page size P > 1: if a
 * multiple of P lies in [start, end] (alignUp(start, P) <= end) and the run
 * reaches down to alignDown(start, P), the candidate grows down to it.
 */
struct candidate {
	unsigned int end, run, start, size;
};

static void model_candidate(unsigned int search_idx, unsigned int min, unsigned int max,
			    struct candidate *c)
{
	static bool usable[NPAGES];
	unsigned int p, g, top, max_pages;
	bool ok;

	for (g = 0; g < NPAGES; g += min) {
		ok = true;
		for (p = g; p < g + min; p++)
			ok &= !m_alloc[p] && !m_scav[p];
		for (p = g; p < g + min; p++)
			usable[p] = ok;
	}
	memset(c, 0, sizeof(*c));
	top = search_idx / 64 * 64 + 64;
	for (p = top; p > 0 && !usable[p - 1]; p--)
		;
	if (!p)
		return;
	c->end = p;
	for (; p > 0 && usable[p - 1]; p--)
		;
	c->run = c->end - p;
	max_pages = max ? (max + min - 1) / min * min : min;
	c->size = c->run < max_pages ? c->run : max_pages;
	c->start = c->end - c->size;
}

static void model_huge(const struct candidate *c, unsigned int huge, unsigned int *start,
		       unsigned int *size)
{
	unsigned int above, below;

	*start = c->start;
	*size = c->size;
	if (huge <= 1 || !c->size)
		return;
	above = (c->start + huge - 1) / huge * huge;
	below = c->start / huge * huge;
	if (above <= c->end && below >= c->end - c->run) {
		*size += c->start - below;
		*start = below;
	}
}

static void check_candidate(const struct candidate *c, unsigned int search_idx,
			    unsigned int min, unsigned int max, unsigned int huge,
			    unsigned int *start, unsigned int *size)
{
	unsigned int got, npages;

	model_huge(c, huge, start, size);
	got = palloc_data_find_scavenge_candidate(&d, search_idx, min, max, huge, &npages);
	op_arg("result", got);
	op_arg("npages_out", npages);
	op_arg("huge", huge);
	check_eq("find_scavenge_candidate: npages", *size, npages);
	check_eq("find_scavenge_candidate: start", *start, got);
}

static void op_sum_pack(struct input *in)
{
	unsigned int v[3], want[3], k;
	palloc_sum_t s;
	u64 packed;

	for (k = 0; k < 3; k++)
		v[k] = in_u16(in) | (in_u8(in) & 0x3f) << 16;
	/* Now and then the widest value: max == 2^21 means "all free". */
	if (v[1] > PALLOC_SUM_MAX_VALUE)
		v[1] = PALLOC_SUM_MAX_VALUE;
	op_arg("start", v[0]);
	op_arg("max", v[1]);
	op_arg("end", v[2]);
	s = palloc_sum_pack(v[0], v[1], v[2]);
	if (v[1] == PALLOC_SUM_MAX_VALUE) {
		packed = 1ULL << 63;
		for (k = 0; k < 3; k++)
			want[k] = PALLOC_SUM_MAX_VALUE;
	} else {
		for (k = 0; k < 3; k++)
			want[k] = v[k] % PALLOC_SUM_MAX_VALUE;
		packed = (u64)want[0] | (u64)want[1] << 21 | (u64)want[2] << 42;
	}
	check_eq("sum_pack: packed", packed, s);
	check_eq("sum_pack: start", want[0], palloc_sum_start(s));
	check_eq("sum_pack: max", want[1], palloc_sum_max(s));
	check_eq("sum_pack: end", want[2], palloc_sum_end(s));
}

/* Run one operation; returns true if it may have changed the chunk. */
static bool run_op(unsigned int op, struct input *in)
{
	unsigned int i, n, k, got, start, size, min;
	struct candidate c;
	u64 v, mask;

	cur.op = op;
	cur.nargs = 0;
	switch (op) {
	case OP_ALLOC_RANGE:
	case OP_BITS_ALLOC_RANGE:
	case OP_FREE:
	case OP_SCAV_RANGE:
	case OP_UNSCAV_RANGE:
	case OP_POPCNT:
		in_range(in, &i, &n);
		op_arg("i", i);
		op_arg("n", n);
		break;
	case OP_SET_ALLOC1:
	case OP_FREE1:
	case OP_SCAV1:
	case OP_UNSCAV1:
	case OP_PAGES64:
		i = in_u16(in) % NPAGES;
		op_arg("i", i);
		break;
	case OP_ALLOC_PAGES64:
	case OP_FREE_BLOCK64:
	case OP_SCAV_BLOCK64:
	case OP_UNSCAV_BLOCK64:
		i = in_u8(in) % NWORDS * 64 + in_u8(in) % 64;
		v = in_u64(in);
		op_arg("i", i);
		op_arg("v", v);
		break;
	default:
		break;
	}
	switch (op) {
	case OP_ALLOC_RANGE:
		palloc_data_alloc_range(&d, i, n);
		model_set(m_alloc, i, n, true);
		model_set(m_scav, i, n, false);
		return true;
	case OP_BITS_ALLOC_RANGE:
		palloc_bits_alloc_range(&d.alloc, i, n);
		palloc_bits_clear_range(&d.scav, i, n);
		model_set(m_alloc, i, n, true);
		model_set(m_scav, i, n, false);
		return true;
	case OP_ALLOC_ALL:
		if (in_u8(in) & 1) {
			palloc_bits_alloc_all(&d.alloc);
			palloc_bits_clear_all(&d.scav);
		} else {
			palloc_data_alloc_all(&d);
		}
		model_set(m_alloc, 0, NPAGES, true);
		model_set(m_scav, 0, NPAGES, false);
		return true;
	case OP_SET_ALLOC1:
		palloc_bits_set(&d.alloc, i);
		palloc_bits_clear(&d.scav, i);
		m_alloc[i] = true;
		m_scav[i] = false;
		return true;
	case OP_ALLOC_PAGES64:
		check_eq("pages64 (before alloc_pages64)", model_word(m_alloc, i / 64),
			 palloc_bits_pages64(&d.alloc, i));
		palloc_bits_alloc_pages64(&d.alloc, i, v);
		palloc_bits_clear_block64(&d.scav, i, v);
		model_word_op(m_alloc, i, v, true);
		model_word_op(m_scav, i, v, false);
		return true;
	case OP_FREE:
		palloc_bits_free(&d.alloc, i, n);
		model_set(m_alloc, i, n, false);
		return true;
	case OP_FREE1:
		palloc_bits_free1(&d.alloc, i);
		m_alloc[i] = false;
		return true;
	case OP_FREE_ALL:
		palloc_bits_free_all(&d.alloc);
		model_set(m_alloc, 0, NPAGES, false);
		return true;
	case OP_FREE_BLOCK64:
		palloc_bits_clear_block64(&d.alloc, i, v);
		model_word_op(m_alloc, i, v, false);
		return true;
	case OP_SCAV_RANGE:
		/* Scavenge only free pages, as the allocator does. */
		if (palloc_bits_popcnt_range(&d.alloc, i, n) == 0) {
			if (n == NPAGES)
				palloc_bits_set_all(&d.scav);
			else
				palloc_bits_set_range(&d.scav, i, n);
		} else {
			for (k = i / 64; k <= (i + n - 1) / 64; k++) {
				mask = model_range_mask(i, n, k);
				mask &= ~palloc_bits_block64(&d.alloc, k * 64);
				palloc_bits_set_block64(&d.scav, k * 64, mask);
			}
		}
		model_scav_free(i, n);
		return true;
	case OP_SCAV1:
		if (!palloc_bits_get(&d.alloc, i))
			palloc_bits_set(&d.scav, i);
		if (!m_alloc[i])
			m_scav[i] = true;
		return true;
	case OP_UNSCAV_RANGE:
		if (n == NPAGES)
			palloc_bits_clear_all(&d.scav);
		else
			palloc_bits_clear_range(&d.scav, i, n);
		model_set(m_scav, i, n, false);
		return true;
	case OP_SCAV_BLOCK64:
		v &= ~palloc_bits_block64(&d.alloc, i);
		palloc_bits_set_block64(&d.scav, i, v);
		for (k = 0; k < 64; k++)
			if ((v >> k) & 1 && !m_alloc[i / 64 * 64 + k])
				m_scav[i / 64 * 64 + k] = true;
		return true;
	case OP_UNSCAV1:
		palloc_bits_clear(&d.scav, i);
		m_scav[i] = false;
		return true;
	case OP_UNSCAV_BLOCK64:
		palloc_bits_clear_block64(&d.scav, i, v);
		model_word_op(m_scav, i, v, false);
		return true;
	case OP_FIND:
	case OP_FIND_ALLOC:
		/* npages up to 528: more than a chunk always fails. */
		n = 1 + in_u16(in) % (NPAGES + 16);
		i = in_u16(in) % NPAGES;
		op_arg("npages", n);
		op_arg("search_idx", i);
		got = do_find(n, i);
		if (op == OP_FIND || got == NOT_FOUND)
			return false;
		palloc_data_alloc_range(&d, got, n);
		model_set(m_alloc, got, n, true);
		model_set(m_scav, got, n, false);
		return true;
	case OP_SCAVENGE:
	case OP_CANDIDATE:
		i = in_u16(in) % NPAGES;
		min = 1U << in_u8(in) % 7;
		n = in_u16(in);
		op_arg("search_idx", i);
		op_arg("min", min);
		op_arg("max", n);
		model_candidate(i, min, n, &c);
		if (op == OP_CANDIDATE) {
			for (k = 0; k < NHUGE; k++)
				check_candidate(&c, i, min, n, huge_sizes[k], &start, &size);
			return false;
		}
		check_candidate(&c, i, min, n, huge_sizes[in_u8(in) % NHUGE], &start, &size);
		if (!size)
			return false;
		/* The candidate is free and unscavenged: scavenge it, as Go does. */
		check_eq("allocated pages in the scavenge candidate", 0,
			 model_count(m_alloc, start, size));
		check_eq("scavenged pages in the scavenge candidate", 0,
			 model_count(m_scav, start, size));
		model_set(m_scav, start, size, true);
		palloc_bits_set_range(&d.scav, start, size);
		return true;
	case OP_POPCNT:
		check_eq("popcnt_range(alloc)", model_count(m_alloc, i, n),
			 palloc_bits_popcnt_range(&d.alloc, i, n));
		check_eq("popcnt_range(scav)", model_count(m_scav, i, n),
			 palloc_bits_popcnt_range(&d.scav, i, n));
		return false;
	case OP_PAGES64:
		v = model_word(m_alloc, i / 64);
		check_eq("pages64", v, palloc_bits_pages64(&d.alloc, i));
		check_eq("block64(alloc)", v, palloc_bits_block64(&d.alloc, i));
		check_eq("block64(scav)", model_word(m_scav, i / 64),
			 palloc_bits_block64(&d.scav, i));
		check_eq("get(alloc)", m_alloc[i], palloc_bits_get(&d.alloc, i));
		check_eq("get(scav)", m_scav[i], palloc_bits_get(&d.scav, i));
		return false;
	case OP_SUMMARIZE:
		check_state();
		return false;
	case OP_BIT_RANGE64:
		v = in_u64(in);
		n = 1 + in_u8(in) % 64;
		op_arg("c", v);
		op_arg("n", n);
		check_eq("find_bit_range64", model_bit_range64(v, n),
			 palloc_find_bit_range64(v, n));
		return false;
	case OP_FILL_ALIGNED:
		v = in_u64(in);
		op_arg("x", v);
		for (k = 1; k <= 64; k *= 2) {
			op_arg("m", k);
			check_eq("fill_aligned", model_fill_aligned(v, k),
				 palloc_fill_aligned(v, k));
		}
		return false;
	case OP_SUM_PACK:
		op_sum_pack(in);
		return false;
	}
	return false;
}

/*
 * libFuzzer's entry point.  scripts/fuzz.sh links it under libFuzzer's name
 * (-Wl,--defsym), which keeps that CamelCase name out of kernel-style C.
 * Every input starts from a free, unscavenged chunk.
 */
int fuzz_one_input(const u8 *data, size_t size);

int fuzz_one_input(const u8 *data, size_t size)
{
	struct input in = { data, size };
	struct palloc_data before;
	unsigned int op;
	const char *t;

	if (!trace_init) {
		t = getenv("PALLOC_FUZZ_TRACE");
		trace = t && *t && strcmp(t, "0");
		trace_init = true;
	}
	memset(&d, 0, sizeof(d));
	memset(m_alloc, 0, sizeof(m_alloc));
	memset(m_scav, 0, sizeof(m_scav));
	for (cur.index = 0; in.n && cur.index < FUZZ_MAX_OPS; cur.index++) {
		op = in_u8(&in) % OP_COUNT;
		before = d;
		if (run_op(op, &in))
			check_state();
		else
			check_unchanged(&before);
		if (trace)
			print_op();
	}
	return 0;
}
