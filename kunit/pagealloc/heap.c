// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc_test part: suite palloc_heap: Go's pageAlloc tests, boundaries,
 * exhaustion, merging, alignment.
 * Included by kunit/pagealloc_test.c; not built alone.
 */

/* ---------------------------------------------------------------------- */
/* palloc_heap: Go's pageAlloc tests                                       */
/* ---------------------------------------------------------------------- */

struct pa_alloc_case {
	const char *name;
	struct pa_gochunk chunks[PA_CHUNKS_MAX];
	struct pa_hit hits[PA_HITS_MAX];
};

/* Go's TestPageAllocDiscontiguous* jumps, scaled down to 4096 chunks. */
#define BIG_JUMP	0x1000
#define SMALL_OFF	0x503

/* TestPageAllocAlloc: allocations (npages, base, scavenged pages) and the heap after. */
static const struct pa_alloc_case alloc_cases[] = {
	{ .name = "AllFree1",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 0, 1 }, { 2, 2 } },
			.after = { { 0, 5 } } } },
	  .hits = { { 1, PB(0, 0), 1 }, { 1, PB(0, 1), 0 }, { 1, PB(0, 2), 1 },
		    { 1, PB(0, 3), 1 }, { 1, PB(0, 4), 0 } } },
	{ .name = "ManyArena1",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } }, .scav = { { 0, CP } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP } }, .scav = { { 0, CP } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = 2, .alloc = { { 0, CP - 1 } }, .scav = { { 0, CP } },
			.after = { { 0, CP } } } },
	  .hits = { { 1, PB(2, CP - 1), 1 } } },
	{ .name = "NotContiguous1",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } }, .scav = { { 0, CP } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = 0xff, .scav = { { 0, CP } }, .after = { { 0, 1 } } } },
	  .hits = { { 1, PB(0xff, 0), 1 } } },
	{ .name = "AllFree2",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 0, 3 }, { 7, 1 } },
			.after = { { 0, 10 } } } },
	  .hits = { { 2, PB(0, 0), 2 }, { 2, PB(0, 2), 1 }, { 2, PB(0, 4), 0 },
		    { 2, PB(0, 6), 1 }, { 2, PB(0, 8), 0 } } },
	{ .name = "Straddle2",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP - 1 } },
			.scav = { { CP - 1, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 1, .alloc = { { 1, CP - 1 } },
			.after = { { 0, CP } } } },
	  .hits = { { 2, PB(0, CP - 1), 1 } } },
	{ .name = "AllFree5",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 0, 8 }, { 9, 1 }, { 17, 5 } },
			.after = { { 0, 25 } } } },
	  .hits = { { 5, PB(0, 0), 5 }, { 5, PB(0, 5), 4 }, { 5, PB(0, 10), 0 },
		    { 5, PB(0, 15), 3 }, { 5, PB(0, 20), 2 } } },
	{ .name = "AllFree64",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 21, 1 }, { 63, 65 } },
			.after = { { 0, 192 } } } },
	  .hits = { { 64, PB(0, 0), 2 }, { 64, PB(0, 64), 64 }, { 64, PB(0, 128), 0 } } },
	{ .name = "AllFree65",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 129, 1 } },
			.after = { { 0, 195 } } } },
	  .hits = { { 65, PB(0, 0), 0 }, { 65, PB(0, 65), 1 }, { 65, PB(0, 130), 0 } } },
	{ .name = "ExhaustPallocChunkPages-3",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 10, 1 } },
			.after = { { 0, CP } } } },
	  .hits = { { CP - 3, PB(0, 0), 1 }, { CP - 3, NONE, 0 }, { 1, PB(0, CP - 3), 0 },
		    { 2, PB(0, CP - 2), 0 }, { 1, NONE, 0 }, { CP - 3, NONE, 0 } } },
	{ .name = "AllFreePallocChunkPages",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 0, 1 }, { CP - 1, 1 } },
			.after = { { 0, CP } } } },
	  .hits = { { CP, PB(0, 0), 2 }, { CP, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "StraddlePallocChunkPages",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP / 2 } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = 1, .alloc = { { CP / 2, CP / 2 } },
			.scav = { { 3, 100 } }, .after = { { 0, CP } } } },
	  .hits = { { CP, PB(0, CP / 2), 100 }, { CP, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "StraddlePallocChunkPages+1",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP / 2 } },
			.scav = { { 0, CP } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 1, .scav = { { 0, CP } },
			.after = { { 0, CP / 2 + 2 } } } },
	  .hits = { { CP + 1, PB(0, CP / 2), CP + 1 }, { CP, NONE, 0 },
		    { 1, PB(1, CP / 2 + 1), 1 } } },
	{ .name = "AllFreePallocChunkPages*2",
	  .chunks = { { .used = true, .ci = 0, .after = { { 0, CP } } },
		      { .used = true, .ci = 1, .after = { { 0, CP } } } },
	  .hits = { { CP * 2, PB(0, 0), 0 }, { CP * 2, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "NotContiguousPallocChunkPages*2",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 0, CP } }, .after = { { 0, 22 } } },
		      { .used = true, .ci = 0x40, .after = { { 0, CP } } },
		      { .used = true, .ci = 0x41, .after = { { 0, CP } } } },
	  .hits = { { CP * 2, PB(0x40, 0), 0 }, { 21, PB(0, 0), 21 }, { 1, PB(0, 21), 1 } } },
	{ .name = "StraddlePallocChunkPages*2",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP / 2 } },
			.scav = { { 0, 7 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 1, .scav = { { 3, 5 }, { 121, 10 } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = 2, .alloc = { { CP / 2, CP / 2 } },
			.scav = { { CP / 2 + 12, 2 } }, .after = { { 0, CP } } } },
	  .hits = { { CP * 2, PB(0, CP / 2), 15 }, { CP * 2, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "StraddlePallocChunkPages*5/4",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } }, .scav = { { 0, CP } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP * 3 / 4 } },
			.scav = { { CP / 2, CP / 4 + 1 } }, .after = { { 0, CP * 3 / 4 + 1 } } },
		      { .used = true, .ci = 2, .alloc = { { 0, CP * 3 / 4 } },
			.scav = { { CP / 3, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 3, .scav = { { CP * 2 / 3, 1 } },
			.after = { { 0, CP } } } },
	  .hits = { { CP * 5 / 4, PB(2, CP * 3 / 4), 1 }, { CP * 5 / 4, NONE, 0 },
		    { 1, PB(1, CP * 3 / 4), 1 } } },
	{ .name = "AllFreePallocChunkPages*7+5",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 50, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 1, .scav = { { 31, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 2, .scav = { { 7, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 3, .scav = { { 200, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 4, .scav = { { 3, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 5, .scav = { { 51, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 6, .scav = { { 20, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = 7, .scav = { { 1, 1 } }, .after = { { 0, 6 } } } },
	  .hits = { { CP * 7 + 5, PB(0, 0), 8 }, { CP * 7 + 5, NONE, 0 },
		    { 1, PB(7, 5), 0 } } },
	{ .name = "DiscontiguousMappedSumBoundary",
	  .chunks = { { .used = true, .ci = 511, .after = { { 0, CP } } },
		      { .used = true, .ci = 511 + BIG_JUMP, .after = { { 0, CP } } } },
	  .hits = { { CP - 1, PB(511, 0), 0 }, { 1, PB(511, CP - 1), 0 },
		    { 1, PB(511 + BIG_JUMP, 0), 0 }, { CP - 1, PB(511 + BIG_JUMP, 1), 0 },
		    { 1, NONE, 0 } } },
	{ .name = "DiscontiguousBadSearchAddr",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP - 1 } },
			.after = { { 0, CP } } },
		      { .used = true, .ci = BIG_JUMP + SMALL_OFF,
			.alloc = { { 0, CP - 10 }, { CP - 1, 1 } }, .after = { { 0, CP } } },
		      { .used = true, .ci = BIG_JUMP * 2, .after = { { 0, 100 } } } },
	  .hits = { { 1, PB(0, CP - 1), 0 }, { 100, PB(BIG_JUMP * 2, 0), 0 },
		    { 9, PB(BIG_JUMP + SMALL_OFF, CP - 10), 0 } } },
};

static void alloc_case_desc(const struct pa_alloc_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(alloc_cases, alloc_cases, alloc_case_desc);

/* Run the allocations of a Go table: Go's answer and the model's must both hold. */
static void pa_go_hits(struct pa_fix *fx, const struct pa_hit *hits)
{
	struct kunit *test = fx->test;
	unsigned int k;

	for (k = 0; k < PA_HITS_MAX && hits[k].npages; k++) {
		u64 at = NONE, scav = NONE;
		int ret;

		fx->step = k + 1;
		ret = pa_alloc(fx, hits[k].npages, 1, &at, &scav);
		if (hits[k].base == NONE) {
			KUNIT_ASSERT_EQ_MSG(test, ret, -ENOMEM, "alloc #%u (%llu pages)", k + 1,
					    hits[k].npages);
		} else {
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "alloc #%u", k + 1);
			KUNIT_ASSERT_EQ_MSG(test, at, hits[k].base, "alloc #%u start", k + 1);
			KUNIT_ASSERT_EQ_MSG(test, scav, hits[k].scav, "alloc #%u scavenged", k + 1);
		}
		pa_check(fx);
	}
}

/* Go's TestPageAllocAlloc (the Discontiguous cases over a 4096-chunk jump). */
static void alloc_go_cases(struct kunit *test)
{
	const struct pa_alloc_case *c = test->param_value;
	struct pa_fix *fx = pa_setup(test, pa_go_npages(c->chunks));

	pa_go_heap(fx, c->chunks);
	pa_go_hits(fx, c->hits);
	pa_go_expect(fx, c->chunks, false, true);
}

static const u64 exhaust_sizes[] = { 1, 2, 3, 4, 5, 8, 16, 64, 1024, 1025, 2048, 2049 };

static void exhaust_size_desc(const u64 *n, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%llu", *n);
}

KUNIT_ARRAY_PARAM(exhaust_sizes, exhaust_sizes, exhaust_size_desc);

/*
 * Go's TestPageAllocExhaust: allocations of one size over 4 free chunks until
 * one fails; allocation i lands at i * size.  Sizes below CACHE_MAX that do
 * not divide 64 leave pages in the page cache (as Go's mheap does, not its
 * pageAlloc), so for them only the model's answers apply.
 */
static void exhaust_go_sizes(struct kunit *test)
{
	u64 n = *(const u64 *)test->param_value, i, at;
	struct pa_fix *fx = pa_setup(test, 4 * CP);
	bool go = n >= CACHE_MAX || !(64 % n);

	pa_grow(fx, 0, 4 * CP, false);
	for (i = 0; ; i++) {
		fx->step = i + 1;
		if (pa_alloc(fx, n, 1, &at, NULL))
			break;
		if (go)
			KUNIT_ASSERT_EQ_MSG(test, at, i * n, "alloc #%llu", i + 1);
		pa_check_stats(fx);
	}
	pa_check(fx);
	if (go) {
		KUNIT_EXPECT_EQ(test, i, 4 * CP / n);
		pa_flush(fx);
		KUNIT_EXPECT_EQ(test, (u64)bitmap_weight(fx->owned, fx->nbits), i * n);
		KUNIT_EXPECT_EQ(test, (u64)find_first_zero_bit(fx->owned, fx->nbits), i * n);
	}
}

struct pa_free_case {
	const char *name;
	u64 npages;
	struct pa_gochunk chunks[PA_CHUNKS_MAX];
	unsigned int nfrees;
	u64 frees[5];
};

/* TestPageAllocFree: frees of npages pages at each address, and the heap after. */
static const struct pa_free_case free_cases[] = {
	{ .name = "Free1", .npages = 1,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 5, CP - 5 } } } },
	  .nfrees = 5, .frees = { PB(0, 0), PB(0, 1), PB(0, 2), PB(0, 3), PB(0, 4) } },
	{ .name = "ManyArena1", .npages = 1,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 0, CP / 2 }, { CP / 2 + 1, CP / 2 - 1 } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP } },
			.after = { { 1, CP - 1 } } },
		      { .used = true, .ci = 2, .alloc = { { 0, CP } },
			.after = { { 0, CP - 1 } } } },
	  .nfrees = 3, .frees = { PB(0, CP / 2), PB(1, 0), PB(2, CP - 1) } },
	{ .name = "Free2", .npages = 2,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 10, CP - 10 } } } },
	  .nfrees = 5, .frees = { PB(0, 0), PB(0, 2), PB(0, 4), PB(0, 6), PB(0, 8) } },
	{ .name = "Straddle2", .npages = 2,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { CP - 1, 1 } } },
		      { .used = true, .ci = 1, .alloc = { { 0, 1 } } } },
	  .nfrees = 1, .frees = { PB(0, CP - 1) } },
	{ .name = "Free5", .npages = 5,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 25, CP - 25 } } } },
	  .nfrees = 5, .frees = { PB(0, 0), PB(0, 5), PB(0, 10), PB(0, 15), PB(0, 20) } },
	{ .name = "Free64", .npages = 64,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 192, CP - 192 } } } },
	  .nfrees = 3, .frees = { PB(0, 0), PB(0, 64), PB(0, 128) } },
	{ .name = "Free65", .npages = 65,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 195, CP - 195 } } } },
	  .nfrees = 3, .frees = { PB(0, 0), PB(0, 65), PB(0, 130) } },
	{ .name = "FreePallocChunkPages", .npages = CP,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } } } },
	  .nfrees = 1, .frees = { PB(0, 0) } },
	{ .name = "StraddlePallocChunkPages", .npages = CP,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { CP / 2, CP / 2 } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP / 2 } } } },
	  .nfrees = 1, .frees = { PB(0, CP / 2) } },
	{ .name = "StraddlePallocChunkPages+1", .npages = CP + 1,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 0, CP / 2 } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP } },
			.after = { { CP / 2 + 1, CP / 2 - 1 } } } },
	  .nfrees = 1, .frees = { PB(0, CP / 2) } },
	{ .name = "FreePallocChunkPages*2", .npages = CP * 2,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP } } } },
	  .nfrees = 1, .frees = { PB(0, 0) } },
	{ .name = "StraddlePallocChunkPages*2", .npages = CP * 2,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } },
			.after = { { 0, CP / 2 } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 2, .alloc = { { 0, CP } },
			.after = { { CP / 2, CP / 2 } } } },
	  .nfrees = 1, .frees = { PB(0, CP / 2) } },
	{ .name = "AllFreePallocChunkPages*7+5", .npages = CP * 7 + 5,
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 1, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 2, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 3, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 4, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 5, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 6, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 7, .alloc = { { 0, CP } },
			.after = { { 5, CP - 5 } } } },
	  .nfrees = 1, .frees = { PB(0, 0) } },
};

static void free_case_desc(const struct pa_free_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(free_cases, free_cases, free_case_desc);

/* Go's TestPageAllocFree. */
static void free_go_cases(struct kunit *test)
{
	const struct pa_free_case *c = test->param_value;
	struct pa_fix *fx = pa_setup(test, pa_go_npages(c->chunks));
	unsigned int k;

	pa_go_heap(fx, c->chunks);
	for (k = 0; k < c->nfrees; k++) {
		fx->step = k + 1;
		KUNIT_ASSERT_EQ_MSG(test, pa_free(fx, c->frees[k], c->npages), 0, "free #%u",
				    k + 1);
		pa_check(fx);
	}
	pa_go_expect(fx, c->chunks, false, false);
}

/* Go's TestPageAllocAllocAndFree "Chunks8": whole-heap allocations and frees. */
static void alloc_and_free_go_chunks8(struct kunit *test)
{
	static const struct { bool alloc; u64 npages; u64 base; } hits[] = {
		{ true, CP * 8, 0 }, { false, CP * 8, 0 }, { true, CP * 8, 0 },
		{ false, CP * 8, 0 }, { true, CP * 8, 0 }, { false, CP * 8, 0 },
		{ true, 1, 0 }, { false, 1, 0 }, { true, CP * 8, 0 },
	};
	struct pa_fix *fx = pa_setup(test, 8 * CP);
	unsigned int k;
	u64 at;

	pa_grow(fx, 0, 8 * CP, false);
	for (k = 0; k < ARRAY_SIZE(hits); k++) {
		fx->step = k + 1;
		if (hits[k].alloc) {
			KUNIT_ASSERT_EQ(test, pa_alloc(fx, hits[k].npages, 1, &at, NULL), 0);
			KUNIT_ASSERT_EQ_MSG(test, at, hits[k].base, "alloc #%u", k + 1);
		} else {
			KUNIT_ASSERT_EQ(test, pa_free(fx, hits[k].base, hits[k].npages), 0);
		}
		pa_check(fx);
	}
}

/* ---------------------------------------------------------------------- */
/* palloc_heap: boundaries, exhaustion, merging, alignment                 */
/* ---------------------------------------------------------------------- */

/* Sizes from Go's limits and PALLOC_MAX_PAGES are refused; 1 page works. */
static void create_rejects_bad_sizes(struct kunit *test)
{
	static const u64 bad[] = { 0, PALLOC_MAX_PAGES + 1, U64_MAX };
	struct pa_fix *fx;
	unsigned int k;
	u64 at;

	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		struct palloc_heap *h = palloc_heap_create(bad[k], NULL, NULL);

		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(h), -EINVAL, "%llu pages", bad[k]);
		if (!IS_ERR(h))
			palloc_heap_destroy(h);
	}
	palloc_heap_destroy(NULL);

	fx = pa_setup(test, 1);
	pa_check(fx);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), -ENOMEM);
	pa_grow(fx, 0, 1, true);
	pa_check(fx);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 2, 1, &at, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 2, &at, NULL), -EINVAL);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), -ENOMEM);
	pa_check(fx);
	KUNIT_EXPECT_EQ(test, pa_free(fx, 0, 1), 0);
	pa_check(fx);
}

/*
 * Tree shapes (by hand: a level of fan-out 8 on top until one entry, at
 * most 5 levels), all-zero summaries while nothing is grown, and a whole-
 * range allocation once everything is.
 */
static void geometry_and_whole_range(struct kunit *test)
{
	static const struct { u64 npages; unsigned int nlevels; } shapes[] = {
		{ 1, 1 }, { 511, 1 }, { 512, 1 }, { 513, 2 }, { 8 * CP, 2 },
		{ 8 * CP + 1, 3 }, { 64 * CP + 3, 4 }, { 4096 * CP, 5 }, { 4097 * CP, 5 },
	};
	struct pa_fix *fx = test->priv;
	unsigned int k;
	u64 at, scav;

	for (k = 0; k < ARRAY_SIZE(shapes); k++) {
		u64 n = shapes[k].npages;

		pa_setup(test, n);
		KUNIT_EXPECT_EQ_MSG(test, fx->h->nlevels, shapes[k].nlevels, "%llu pages", n);
		pa_check(fx);
		KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), -ENOMEM);
		pa_grow(fx, 0, n, true);
		pa_check(fx);
		KUNIT_ASSERT_EQ(test, pa_alloc(fx, n, 1, &at, &scav), 0);
		KUNIT_EXPECT_EQ(test, at, 0);
		KUNIT_EXPECT_EQ(test, scav, n);
		pa_check(fx);
		KUNIT_ASSERT_EQ(test, pa_free(fx, 0, n), 0);
		pa_check(fx);
		pa_teardown(fx);
	}
}

/* Allocations across chunk boundaries and ending at the range's last page. */
static void alloc_straddles_chunks_and_range_end(struct kunit *test)
{
	static const struct { u64 n; u64 align; u64 at; } steps[] = {
		{ CP - 10, 1, 0 },	/* [0, 502) */
		{ 20, 1, 502 },		/* crosses 512 */
		{ CP, 1, 522 },		/* crosses 1024 */
		{ 600, 1, 1034 },	/* to 1634 */
		{ 2, 1, 1634 },		/* the range's last two pages, from the cache */
		{ 1, 1, NONE },
	};
	struct pa_fix *fx = pa_setup(test, 3 * CP + 100);
	unsigned int k;
	u64 at;

	pa_grow(fx, 0, 3 * CP + 100, false);
	for (k = 0; k < ARRAY_SIZE(steps); k++) {
		fx->step = k + 1;
		if (steps[k].at == NONE) {
			KUNIT_EXPECT_EQ(test, pa_alloc(fx, steps[k].n, steps[k].align, &at, NULL),
					-ENOMEM);
		} else {
			KUNIT_ASSERT_EQ(test, pa_alloc(fx, steps[k].n, steps[k].align, &at, NULL),
					0);
			KUNIT_EXPECT_EQ_MSG(test, at, steps[k].at, "step %u", k + 1);
		}
		pa_check(fx);
	}
	/* Holes at the end, across 512 and across 1024, filled aligned. */
	pa_free(fx, 1600, 36);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 36, 64, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 1600);
	pa_free(fx, 500, 30);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 30, 2, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 500);
	pa_free(fx, 1000, 48);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 48, 8, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 1000);
	pa_check(fx);
	/* Everything back: one run of the whole range. */
	pa_free(fx, 0, 3 * CP + 100);
	pa_flush(fx);
	pa_check(fx);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3 * CP + 100, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	pa_check(fx);
}

/* npages not a multiple of 512: the tail of the last chunk is never handed out. */
static void partial_last_chunk_tail_unallocatable(struct kunit *test)
{
	const u64 n = 2 * CP + 77;
	struct pa_fix *fx = pa_setup(test, n);
	struct rnd_state rs;
	u64 at, got = 0, sz;

	pa_rnd_init(fx, &rs);
	pa_grow(fx, 0, n, true);
	KUNIT_EXPECT_EQ(test, pa_grow(fx, n, 1, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, pa_grow(fx, n - 1, 2, true), -EINVAL);
	/* Exhaust with random sizes, then with single pages. */
	for (sz = 1 + pa_rnd(&rs, 200); !pa_alloc(fx, sz, 1, &at, NULL);
	     sz = 1 + pa_rnd(&rs, 200)) {
		fx->step++;
		KUNIT_ASSERT_LE(test, at + sz, n);
		got += sz;
	}
	while (!pa_alloc(fx, 1, 1, &at, NULL)) {
		fx->step++;
		KUNIT_ASSERT_LT(test, at, n);
		got++;
	}
	KUNIT_EXPECT_EQ(test, got, n);
	pa_check(fx);
	pa_free(fx, 0, n);
	pa_flush(fx);
	/* Aligned fits stop at the range's end (by hand). */
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 1024, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 78, 1024, &at, NULL), -ENOMEM);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 77, 1024, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 1024);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 1024, &at, NULL), -ENOMEM);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, CP, 512, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 512);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, CP - 1, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 1);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), -ENOMEM);
	pa_check(fx);
}

/* Exhaust with random sizes, free everything in random order, reuse it all. */
static void exhaust_and_recover(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 4 * CP);
	struct pa_run *runs = kunit_kcalloc(test, 4 * CP, sizeof(*runs), GFP_KERNEL);
	unsigned int nruns = 0, k;
	struct rnd_state rs;
	u64 at, scav, sz;

	KUNIT_ASSERT_NOT_NULL(test, runs);
	pa_rnd_init(fx, &rs);
	pa_grow(fx, 0, 4 * CP, false);
	for (k = 0; k < 2; k++) {
		for (sz = 1 + pa_rnd(&rs, 300); ; sz = 1 + pa_rnd(&rs, 300)) {
			fx->step++;
			if (pa_alloc(fx, sz, 1, &at, NULL)) {
				if (sz == 1)
					break;
				continue;
			}
			runs[nruns++] = (struct pa_run){ at, sz };
			pa_check_stats(fx);
		}
		pa_check(fx);
		KUNIT_EXPECT_EQ(test, (u64)bitmap_weight(fx->owned, fx->nbits) +
				hweight64(fx->c_cache), 4 * CP);
		while (nruns) {
			unsigned int r = pa_rnd(&rs, nruns);

			fx->step++;
			KUNIT_ASSERT_EQ(test, pa_free(fx, runs[r].start, runs[r].n), 0);
			runs[r] = runs[--nruns];
			pa_check_stats(fx);
		}
		pa_flush(fx);
		pa_check(fx);
		/* The second round starts with everything scavenged. */
		if (!k)
			pa_scavenge(fx, ALL, true);
	}
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 4 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, 0);
	pa_check(fx);
}

/*
 * Free runs merge with their neighbours, inside chunks and across their
 * boundaries: after every other run is freed nothing longer fits, after
 * the rest the whole range does.
 */
static void free_merges_with_neighbours(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 4 * CP);
	unsigned int order[43], k, i;
	struct rnd_state rs;
	u64 at;

	pa_rnd_init(fx, &rs);
	pa_grow(fx, 0, 4 * CP, false);
	for (k = 0; k < 42; k++) {
		KUNIT_ASSERT_EQ(test, pa_alloc(fx, 48, 1, &at, NULL), 0);
		KUNIT_ASSERT_EQ(test, at, 48 * k);
	}
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 32, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 2016);
	for (k = 1; k < 42; k += 2)
		pa_free(fx, 48 * k, 48);
	pa_check(fx);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 49, 1, &at, NULL), -ENOMEM);
	/* The even runs and the tail, in random order. */
	for (k = 0, i = 0; k < 42; k += 2)
		order[i++] = k;
	order[i++] = 42;
	for (k = i - 1; k > 0; k--) {
		unsigned int j = pa_rnd(&rs, k + 1);

		swap(order[k], order[j]);
	}
	for (k = 0; k < i; k++) {
		fx->step = k + 1;
		if (order[k] == 42)
			pa_free(fx, 2016, 32);
		else
			pa_free(fx, 48 * order[k], 48);
		pa_check(fx);
	}
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 4 * CP, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	pa_check(fx);
}

/* Aligned first fit, by hand: the lowest aligned start wins. */
static void alloc_aligned_first_fit(struct kunit *test)
{
	static const struct { u64 n; u64 align; u64 at; } steps[] = {
		{ 1, 2, 0 }, { 1, 2, 2 }, { 3, 4, 4 }, { 1, 512, 512 }, { 1, 1024, 1024 },
		{ 5, 8, 8 }, { 600, 512, NONE }, { 500, 512, 1536 }, { 16, 16, 16 },
		{ 1, 2048, NONE }, { 2, 2, 14 }, { 1, 1, 1 }, { 64, 64, 64 },
		{ 448, 64, 576 }, { 449, 64, NONE }, { 447, 1, 1025 },
	};
	struct pa_fix *fx = pa_setup(test, 4 * CP);
	unsigned int k;
	u64 at;

	pa_grow(fx, 0, 4 * CP, false);
	for (k = 0; k < ARRAY_SIZE(steps); k++) {
		fx->step = k + 1;
		if (steps[k].at == NONE) {
			KUNIT_EXPECT_EQ_MSG(test, pa_alloc(fx, steps[k].n, steps[k].align, &at,
							   NULL), -ENOMEM, "step %u", k + 1);
		} else {
			KUNIT_ASSERT_EQ(test, pa_alloc(fx, steps[k].n, steps[k].align, &at, NULL),
					0);
			KUNIT_EXPECT_EQ_MSG(test, at, steps[k].at, "step %u", k + 1);
		}
		pa_check(fx);
	}
	KUNIT_ASSERT_EQ(test, pa_free(fx, 0, 1), 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 2048, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	pa_check(fx);
}

/* Random aligned and unaligned allocations against the model's lowest fit. */
static void alloc_aligned_random(struct kunit *test)
{
	static const struct pa_rnd_cfg cfg = {
		.ops = 1500, .check_every = 1, .max_pages = 2048,
		.small_pct = 25, .align_pct = 60, .scavenge = true, .grow = true,
	};
	struct pa_fix *fx = pa_setup(test, 20 * CP + 333);
	struct rnd_state rs;
	u64 p;

	pa_rnd_init(fx, &rs);
	/* Grow most of the range in random pieces; the rest comes later. */
	for (p = 0; p < fx->npages; ) {
		u64 n = min_t(u64, 1 + pa_rnd(&rs, 1500), fx->npages - p);

		if (pa_rnd(&rs, 5))
			pa_grow(fx, p, n, pa_rnd(&rs, 2));
		p += n;
	}
	pa_check(fx);
	pa_random_ops(fx, &rs, &cfg);
}

/* *scav is exactly the number of scavenged pages of the run (by hand, then the model). */
static void alloc_reports_scavenged_pages(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 3 * CP);
	u64 at, scav;

	pa_grow(fx, 0, 100, true);
	pa_grow(fx, 100, 200, false);
	pa_grow(fx, 300, 800, true);
	pa_grow(fx, 1100, 3 * CP - 1100, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1100, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, 900);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 20, 4, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 1100);
	KUNIT_EXPECT_EQ(test, scav, 0);
	pa_check(fx);
	/* Freed pages are dirty, even the ones that were scavenged. */
	KUNIT_ASSERT_EQ(test, pa_free(fx, 50, 1000), 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 5, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 50);
	KUNIT_EXPECT_EQ(test, scav, 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 60, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 64);
	KUNIT_EXPECT_EQ(test, scav, 0);
	pa_check(fx);
	/* Scavenge everything; a whole-range allocation reports all of it. */
	pa_free(fx, 0, 50);
	pa_free(fx, 50, 5);
	pa_free(fx, 64, 60);
	pa_free(fx, 1050, 70);
	pa_flush(fx);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, true), 3 * CP);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, 3 * CP);
	pa_check(fx);
}

/* A copy of the chunk bitmaps and counters; refused calls must leave them alone. */
struct pa_snap {
	struct palloc_stats st;
	struct palloc_data *chunks;
};

static void pa_snap_take(struct pa_fix *fx, struct pa_snap *s)
{
	size_t sz = fx->h->nchunks * sizeof(*s->chunks);

	if (!s->chunks)
		s->chunks = kunit_kzalloc(fx->test, sz, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(fx->test, s->chunks);
	palloc_heap_stats(fx->h, &s->st);
	spin_lock(&fx->h->lock);
	memcpy(s->chunks, fx->h->chunks, sz);
	spin_unlock(&fx->h->lock);
}

static void pa_snap_same(struct pa_fix *fx, const struct pa_snap *s, u64 more_errors,
			 const char *what)
{
	struct palloc_stats st = s->st;
	struct pa_snap now = { };

	pa_snap_take(fx, &now);
	st.free_errors += more_errors;
	KUNIT_EXPECT_TRUE_MSG(fx->test, !memcmp(&st, &now.st, sizeof(st)),
			      "%s changed the stats", what);
	KUNIT_EXPECT_TRUE_MSG(fx->test, !memcmp(s->chunks, now.chunks,
						fx->h->nchunks * sizeof(*s->chunks)),
			      "%s changed the bitmaps", what);
	pa_check(fx);
}

/* Refused frees return -EINVAL and change nothing, counting one free error. */
static void free_errors_change_nothing(struct kunit *test)
{
	static const struct { u64 start; u64 n; const char *what; } bad[] = {
		{ 200, 1, "free page" },
		{ 150, 60, "free run" },
		{ 90, 20, "owned, then cached pages" },
		{ 110, 1, "cached page" },
		{ 650, 1, "absent page" },
		{ 599, 2, "free and absent pages" },
		{ 99, 502, "owned, cached, free and absent pages" },
		{ 0, 0, "zero pages" },
		{ 2 * CP + 50, 1, "page past the end" },
		{ 2 * CP + 49, 2, "last page and one past the end" },
		{ 2 * CP + 100, 1, "page in the last chunk's tail" },
		{ U64_MAX, 2, "wrapping range" },
		{ 1, U64_MAX, "huge range" },
		{ U64_MAX - 1, 3, "wrapping range" },
	};
	struct pa_fix *fx = pa_setup(test, 2 * CP + 50);
	struct pa_snap snap = { };
	unsigned int k;
	u64 at;

	pa_grow(fx, 0, 600, false);
	pa_grow(fx, 700, 2 * CP + 50 - 700, true);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 100, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 100);
	KUNIT_ASSERT_EQ(test, fx->c_cache, GENMASK_ULL(63, 103 - 64));
	pa_check(fx);
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		pa_snap_take(fx, &snap);
		fx->step = k + 1;
		KUNIT_EXPECT_EQ_MSG(test, pa_free(fx, bad[k].start, bad[k].n), -EINVAL,
				    "free(%llu, %llu): %s", bad[k].start, bad[k].n, bad[k].what);
		pa_snap_same(fx, &snap, 1, bad[k].what);
	}
	/* A double free. */
	KUNIT_ASSERT_EQ(test, pa_free(fx, 10, 20), 0);
	pa_snap_take(fx, &snap);
	KUNIT_EXPECT_EQ(test, pa_free(fx, 10, 20), -EINVAL);
	pa_snap_same(fx, &snap, 1, "double free");
	KUNIT_EXPECT_EQ(test, pa_free(fx, 29, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, pa_free(fx, 30, 2), 0);
	pa_check(fx);
}

/* Refused allocations and grows return -EINVAL and change nothing. */
static void bad_arguments_change_nothing(struct kunit *test)
{
	const u64 n = 2 * CP + 50;
	static const struct { u64 n; u64 align; } bad_alloc[] = {
		{ 0, 1 }, { 2 * CP + 51, 1 }, { U64_MAX, 1 }, { 1, 0 }, { 1, 3 }, { 1, 96 },
		{ 1, 2048 }, { 1, 1ULL << 63 },
	};
	static const struct { u64 start; u64 n; } bad_grow[] = {
		{ 0, 0 }, { 2 * CP + 50, 1 }, { 2 * CP + 49, 2 }, { 1, U64_MAX },
		{ U64_MAX, 2 }, { 10, 5 }, { 499, 2 }, { 0, 2 * CP + 50 },
	};
	struct pa_fix *fx = pa_setup(test, n);
	struct pa_snap snap = { };
	unsigned int k;
	u64 at;

	pa_grow(fx, 0, 500, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 20, 1, &at, NULL), 0);
	pa_check(fx);
	for (k = 0; k < ARRAY_SIZE(bad_alloc); k++) {
		pa_snap_take(fx, &snap);
		KUNIT_EXPECT_EQ_MSG(test, pa_alloc(fx, bad_alloc[k].n, bad_alloc[k].align, &at,
						   NULL), -EINVAL, "alloc(%llu, align %llu)",
				    bad_alloc[k].n, bad_alloc[k].align);
		pa_snap_same(fx, &snap, 0, "a refused alloc");
	}
	for (k = 0; k < ARRAY_SIZE(bad_grow); k++) {
		pa_snap_take(fx, &snap);
		KUNIT_EXPECT_EQ_MSG(test, pa_grow(fx, bad_grow[k].start, bad_grow[k].n, true),
				    -EINVAL, "grow(%llu, %llu)", bad_grow[k].start,
				    bad_grow[k].n);
		pa_snap_same(fx, &snap, 0, "a refused grow");
	}
	KUNIT_EXPECT_EQ(test, pa_grow(fx, 500, n - 500, true), 0);
	pa_check(fx);
}

/*
 * After random operation sequences every summary of every level equals a
 * recount (pa_check(), with palloc_heap_check()): a two-level heap with a
 * partial last chunk, and a five-level one with a two-entry root.
 */
static void summaries_match_recount(struct kunit *test)
{
	static const struct pa_rnd_cfg small = {
		.ops = 800, .check_every = 1, .max_pages = 3000,
		.small_pct = 30, .align_pct = 30, .scavenge = true, .grow = true,
	};
	static const struct pa_rnd_cfg big = {
		.ops = 400, .check_every = 10, .max_pages = 6000,
		.small_pct = 20, .align_pct = 20, .scavenge = true, .grow = true,
	};
	struct pa_fix *fx = test->priv;
	struct rnd_state rs;
	unsigned int k;

	pa_rnd_init(fx, &rs);
	pa_setup(test, 7 * CP + 200);
	KUNIT_ASSERT_EQ(test, fx->h->nlevels, 2);
	pa_grow(fx, 0, 3 * CP, false);
	pa_grow(fx, 5 * CP + 10, 2 * CP + 190, true);
	pa_random_ops(fx, &rs, &small);
	pa_teardown(fx);

	pa_setup(test, 4100 * CP);
	KUNIT_ASSERT_EQ(test, fx->h->nlevels, 5);
	KUNIT_ASSERT_EQ(test, fx->h->len[0], 2);
	/* Regions around the root entries' boundary and at both ends. */
	pa_grow(fx, 0, 3 * CP, true);
	pa_grow(fx, 4096 * CP - 2000, 4000, false);
	pa_grow(fx, 4100 * CP - CP - 5, CP + 5, false);
	for (k = 0; k < 20; k++) {
		u64 p = PB(1 + pa_rnd(&rs, 4098), 0);

		if (find_next_bit(fx->present, p + CP, p) >= p + CP)
			pa_grow(fx, p, CP, pa_rnd(&rs, 2));
	}
	pa_check(fx);
	pa_random_ops(fx, &rs, &big);
}

/*
 * A heap of 2^28 pages (1 TiB of 4 KiB pages): creation, metadata of at
 * most 2.1 bits per page, runs across root entries, and the range's top.
 */
static void large_range_1tib(struct kunit *test)
{
	const u64 n = 1ULL << 28, m = 1ULL << 19;
	struct pa_fix *fx = test->priv;
	struct palloc_heap *h;
	struct palloc_stats st;
	u64 at, scav, bytes;

	h = palloc_heap_create(n, NULL, NULL);
	if (IS_ERR(h) && PTR_ERR(h) == -ENOMEM)
		kunit_skip(test, "no memory for a 1 TiB heap's metadata (about 70 MiB)");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(h), "palloc_heap_create: %ld", PTR_ERR(h));
	fx->h = h;
	bytes = palloc_heap_metadata_bytes(h);
	kunit_info(test, "1 TiB heap: %llu bytes of metadata, %llu.%03llu bits per page\n",
		   bytes, bytes * 8 / n, bytes * 8 * 1000 / n % 1000);
	KUNIT_EXPECT_LE(test, bytes * 8 * 10, 21 * n);
	KUNIT_EXPECT_EQ(test, h->nlevels, 5);
	KUNIT_EXPECT_EQ(test, h->len[0], 128);

	/* [0, 2m) dirty; [3m, 5m) dirty across the first root boundary; the top scavenged. */
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 0, 2 * m, false), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 3 * m, 2 * m, false), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, n - m - 7, m + 7, true), 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_grow(h, n - 1, 1, true), -EINVAL);
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 2 * m + 1, 1, &at, &scav), -ENOMEM);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 2 * m, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 2 * m, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 3 * m);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, m, m, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, n - m);
	KUNIT_EXPECT_EQ(test, scav, m);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 7, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, n - m - 7);
	KUNIT_EXPECT_EQ(test, scav, 7);
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 1, 1, &at, &scav), -ENOMEM);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total, 5 * m + 7);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 5 * m + 7);
	KUNIT_EXPECT_EQ(test, st.largest_free, 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 3 * m + 5, 100), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 100, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 3 * m + 5);

	/* Everything free, the gap grown: one run of 5m pages across the boundary. */
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 0, 2 * m), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 3 * m, 2 * m), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, n - m - 7, m + 7), 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, 2 * m, 1), -EINVAL);
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 2 * m, m, false), 0);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.largest_free, 5 * m);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 5 * m, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);

	/*
	 * Root entry 2 wholly free (its summary is the all-free flag), and 100
	 * pages of entry 3: a run across them, and an aligned one inside.
	 */
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 8 * m, 4 * m + 100, false), 0);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.largest_free, 4 * m + 100);
	KUNIT_EXPECT_EQ(test, palloc_heap_summary(h, 0, 2), PALLOC_SUM_ALL_FREE);
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 4 * m + 101, 1, &at, &scav), -ENOMEM);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 4 * m + 100, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 8 * m);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 8 * m, 4 * m + 100), 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_summary(h, 0, 2), PALLOC_SUM_ALL_FREE);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 4 * m, 4 * m, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 8 * m);
	KUNIT_EXPECT_EQ(test, palloc_heap_summary(h, 0, 2), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 8 * m, 4 * m), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 0, 5 * m), 0);

	/* The scavenger starts at the top: two whole dirty chunks. */
	KUNIT_EXPECT_EQ(test, palloc_heap_scavenge(h, 1000, false), 1024);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 0);
	KUNIT_EXPECT_EQ(test, st.pages_free, 5 * m + m + 7 + 4 * m + 100);
	KUNIT_EXPECT_EQ(test, st.pages_scavenged, 1024);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	pa_check_sums(test, h, "1 TiB heap");
}

/* palloc_heap_alloc_dirty() of @n pages: its dirty bits against @scavd. */
static void pa_alloc_dirty_one(struct pa_fix *fx, u64 n, u64 align, const unsigned long *scavd,
			       unsigned long *dirty)
{
	struct kunit *test = fx->test;
	u64 at, scav, k, bad = 0, want_scav = 0;

	bitmap_zero(dirty, n);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc_dirty(fx->h, n, align, &at, &scav, dirty), 0);
	for (k = 0; k < n; k++) {
		want_scav += test_bit(at + k, scavd);
		bad += test_bit(k, dirty) == test_bit(at + k, scavd);
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "seed %u: %llu of %llu pages at %llu marked wrongly",
			    fx->seed, bad, n, at);
	KUNIT_EXPECT_EQ(test, scav, want_scav);
	/* Beyond the run nothing is written. */
	KUNIT_EXPECT_EQ(test, find_next_bit(dirty, round_up(n, BITS_PER_LONG), n),
			round_up(n, BITS_PER_LONG));
}

/*
 * palloc_heap_alloc_dirty() marks exactly the pages that were not
 * scavenged, through the per-CPU cache, the locked path and a reserved run
 * filled in batches.  The heap is grown in random stripes, scavenged or
 * not (seed printed); the expectation is the stripes, not the heap.
 */
static void alloc_dirty_marks_unscavenged(struct kunit *test)
{
	u64 n = 2 * PALLOC_BATCH_PAGES + 3 * CP, p, len;
	struct pa_fix *fx = pa_setup(test, n);
	unsigned long *scavd = kunit_kcalloc(test, BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	unsigned long *dirty = kunit_kcalloc(test, BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	struct rnd_state rs;
	bool scav = false;

	KUNIT_ASSERT_NOT_NULL(test, scavd);
	KUNIT_ASSERT_NOT_NULL(test, dirty);
	pa_rnd_init(fx, &rs);
	for (p = 0; p < n; p += len) {
		len = min_t(u64, n - p, 1 + pa_rnd(&rs, 700));
		pa_grow(fx, p, len, scav);
		if (scav)
			bitmap_set(scavd, p, len);
		scav = !scav;
	}
	pa_alloc_dirty_one(fx, 5, 1, scavd, dirty);		/* per-CPU cache */
	pa_alloc_dirty_one(fx, 700, 1, scavd, dirty);		/* locked path */
	pa_alloc_dirty_one(fx, 3, 4, scavd, dirty);		/* aligned: locked */
	pa_alloc_dirty_one(fx, PALLOC_BATCH_PAGES + 1000, 1, scavd, dirty);	/* reserved */
	/* The model does not know these runs: the heap checks itself. */
	KUNIT_EXPECT_EQ(test, palloc_heap_check(fx->h), 0);
}

/*
 * Set a reservation by hand: what a large allocation leaves between two of
 * its batches (palloc_resv_fill() breaks the lock with [resv_start,
 * resv_end) free and reserved).  The one it replaces is given back to the
 * search, as a free would, instead of being filled.
 */
static void pa_set_resv(struct palloc_heap *h, u64 start, u64 end)
{
	spin_lock(&h->lock);
	if (h->resv_end > h->resv_start)
		h->search_addr = min(h->search_addr, h->resv_start);
	h->resv_start = start;
	h->resv_end = end;
	spin_unlock(&h->lock);
}

/*
 * An allocation whose first fit overlaps a large allocation's reservation
 * searches again from the reservation's end.  The summary entry holding
 * that end may start inside the reservation and count its free pages: the
 * search used to place the run there again, overlap again, and loop
 * forever under the heap lock (the locked path and a cache refill alike).
 */
static void alloc_skips_reservation(struct kunit *test)
{
	const u64 n = 64 * CP;
	struct pa_fix *fx = test->priv;
	struct palloc_heap *h;
	u64 at, scav;

	h = palloc_heap_create(n, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(h));
	fx->h = h;
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 0, n, false), 0);

	/* The reservation ends inside chunk 1, whose leaf starts free. */
	pa_set_resv(h, 0, CP + 100);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 20, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, CP + 100);
	/* A single page: the per-CPU cache's refill searches the same way. */
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 1, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, CP + 120);
	palloc_heap_flush_caches(h);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, CP + 100, 21), 0);
	pa_set_resv(h, 0, 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);

	/*
	 * Chunk 4's longest free run is the reserved one, below where the
	 * second search begins: the search goes on past it, to the 2 free
	 * pages at the chunk's top and chunk 5.
	 */
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 4 * CP + 510, 1, &at, &scav), 0);
	KUNIT_ASSERT_EQ(test, at, 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 4 * CP, 100), 0);
	pa_set_resv(h, 4 * CP, 4 * CP + 100);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 20, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 4 * CP + 510);
	/* Aligned: the same skip, on the path that backtracks. */
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 20, 4, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 4 * CP + 532);
	pa_set_resv(h, 0, 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
}

static struct kunit_case palloc_heap_cases[] = {
	KUNIT_CASE(create_rejects_bad_sizes),
	KUNIT_CASE(alloc_dirty_marks_unscavenged),
	KUNIT_CASE(alloc_skips_reservation),
	KUNIT_CASE(geometry_and_whole_range),
	KUNIT_CASE_PARAM(alloc_go_cases, alloc_cases_gen_params),
	KUNIT_CASE_PARAM(exhaust_go_sizes, exhaust_sizes_gen_params),
	KUNIT_CASE_PARAM(free_go_cases, free_cases_gen_params),
	KUNIT_CASE(alloc_and_free_go_chunks8),
	KUNIT_CASE(alloc_straddles_chunks_and_range_end),
	KUNIT_CASE(partial_last_chunk_tail_unallocatable),
	KUNIT_CASE(exhaust_and_recover),
	KUNIT_CASE(free_merges_with_neighbours),
	KUNIT_CASE(alloc_aligned_first_fit),
	KUNIT_CASE(alloc_aligned_random),
	KUNIT_CASE(alloc_reports_scavenged_pages),
	KUNIT_CASE(free_errors_change_nothing),
	KUNIT_CASE(bad_arguments_change_nothing),
	KUNIT_CASE(summaries_match_recount),
	KUNIT_CASE(large_range_1tib),
	{}
};

static struct kunit_suite palloc_heap_suite = {
	.name = "palloc_heap",
	.init = pa_init,
	.exit = pa_exit,
	.test_cases = palloc_heap_cases,
};
