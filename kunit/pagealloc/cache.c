// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc_test part: suite palloc_cache: Go's pageCache tests and the per-CPU caches.
 * Included by kunit/pagealloc_test.c; not built alone.
 */

/* ---------------------------------------------------------------------- */
/* palloc_cache: Go's pageCache tests and the per-CPU caches               */
/* ---------------------------------------------------------------------- */

struct pa_cache_case {
	const char *name;
	u64 cache;
	u64 scav;
	struct pa_hit hits[PA_HITS_MAX];
};

/*
 * TestPageCacheAlloc: a cache holding @cache (scavenged where @scav) at
 * page 0, and allocations (npages, base, scavenged pages) from it.
 */
static const struct pa_cache_case cache_cases[] = {
	{ .name = "Empty", .cache = 0, .scav = 0,
	  .hits = { { 1, NONE, 0 }, { 2, NONE, 0 }, { 3, NONE, 0 }, { 4, NONE, 0 },
		    { 5, NONE, 0 }, { 11, NONE, 0 }, { 12, NONE, 0 }, { 16, NONE, 0 },
		    { 27, NONE, 0 }, { 32, NONE, 0 }, { 43, NONE, 0 }, { 57, NONE, 0 },
		    { 64, NONE, 0 }, { 121, NONE, 0 } } },
	{ .name = "Lo1", .cache = 0x1, .scav = 0x1,
	  .hits = { { 1, 0, 1 }, { 1, NONE, 0 }, { 10, NONE, 0 } } },
	{ .name = "Hi1", .cache = 0x1ULL << 63, .scav = 0x1,
	  .hits = { { 1, 63, 0 }, { 1, NONE, 0 }, { 10, NONE, 0 } } },
	{ .name = "Swiss1", .cache = 0x20005555, .scav = 0x5505,
	  .hits = { { 2, NONE, 0 }, { 1, 0, 1 }, { 1, 2, 1 }, { 1, 4, 0 }, { 1, 6, 0 },
		    { 1, 8, 1 }, { 1, 10, 1 }, { 1, 12, 1 }, { 1, 14, 1 }, { 1, 29, 0 },
		    { 1, NONE, 0 }, { 10, NONE, 0 } } },
	{ .name = "Lo2", .cache = 0x3, .scav = 0x2ULL << 62,
	  .hits = { { 2, 0, 0 }, { 2, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "Hi2", .cache = 0x3ULL << 62, .scav = 0x3ULL << 62,
	  .hits = { { 2, 62, 2 }, { 2, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "Swiss2", .cache = 0x3333ULL << 31, .scav = 0x3030ULL << 31,
	  .hits = { { 2, 31, 0 }, { 2, 35, 2 }, { 2, 39, 0 }, { 2, 43, 2 }, { 2, NONE, 0 } } },
	{ .name = "Hi53", .cache = GENMASK_ULL(62, 10), .scav = GENMASK_ULL(25, 10),
	  .hits = { { 53, 10, 16 }, { 53, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "Full53", .cache = ~0ULL, .scav = GENMASK_ULL(25, 10),
	  .hits = { { 53, 0, 16 }, { 53, NONE, 0 }, { 1, 53, 0 } } },
	{ .name = "Full64", .cache = ~0ULL, .scav = ~0ULL,
	  .hits = { { 64, 0, 64 }, { 64, NONE, 0 }, { 1, NONE, 0 } } },
	{ .name = "FullMixed", .cache = ~0ULL, .scav = ~0ULL,
	  .hits = { { 5, 0, 5 }, { 7, 5, 7 }, { 1, 12, 1 }, { 23, 13, 23 }, { 63, NONE, 0 },
		    { 3, 36, 3 }, { 3, 39, 3 }, { 3, 42, 3 }, { 12, 45, 12 }, { 11, NONE, 0 },
		    { 4, 57, 4 }, { 4, NONE, 0 }, { 6, NONE, 0 }, { 36, NONE, 0 },
		    { 2, 61, 2 }, { 3, NONE, 0 }, { 1, 63, 1 }, { 4, NONE, 0 }, { 2, NONE, 0 },
		    { 62, NONE, 0 }, { 1, NONE, 0 } } },
};

static void cache_case_desc(const struct pa_cache_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(cache_cases, cache_cases, cache_case_desc);

/* Grow exactly the pages of @cache at @base, scavenged where @scav. */
static void pa_grow_word(struct pa_fix *fx, u64 base, u64 cache, u64 scav)
{
	unsigned int k;

	for (k = 0; k < 64; k++)
		if ((cache >> k) & 1)
			pa_grow(fx, base + k, 1, (scav >> k) & 1);
}

/*
 * Go's TestPageCacheAlloc through palloc_heap_alloc(): the block's free
 * pages are the cache's and nothing else is free, so the heap's first
 * refill makes exactly Go's cache.  Larger requests take the heap path,
 * whose lowest fit is the cache's here; where Go's cache has no run, the
 * heap (flushing the cache) has none either.
 */
static void cache_alloc_go_cases(struct kunit *test)
{
	const struct pa_cache_case *c = test->param_value;
	struct pa_fix *fx = pa_setup(test, CP);

	pa_grow_word(fx, 0, c->cache, c->scav);
	pa_check(fx);
	pa_go_hits(fx, c->hits);
}

/*
 * Go's TestPageCacheFlush: flushing a cache of @cache (scavenged @scav) at
 * @base leaves the block allocated where ~@cache and scavenged where @scav.
 * The refill that loads the cache hands out its lowest free page: an extra
 * page below the cache when bit 0 is clear, otherwise page 0, freed again
 * on this CPU, which puts it back into the cache, dirty.
 */
static void pa_cache_flush_one(struct kunit *test, u64 base, u64 cache, u64 scav)
{
	struct pa_fix *fx = pa_setup(test, CP);
	const struct palloc_data *d;
	u64 at, want_scav = scav;

	pa_grow_word(fx, base, cache, scav);
	if (!(cache & 1))
		pa_grow(fx, base, 1, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, base);
	if (cache & 1) {
		pa_free(fx, base, 1);
		want_scav &= ~1ULL;
	}
	KUNIT_ASSERT_EQ(test, fx->c_cache, cache);
	pa_check(fx);
	pa_flush(fx);
	d = &fx->h->chunks[0];
	KUNIT_EXPECT_EQ_MSG(test, d->alloc.w[base / 64], ~cache,
			    "base %llu cache %016llx scav %016llx", base, cache, scav);
	KUNIT_EXPECT_EQ_MSG(test, d->scav.w[base / 64] & ~d->alloc.w[base / 64], want_scav,
			    "base %llu cache %016llx scav %016llx", base, cache, scav);
	pa_check(fx);
	pa_teardown(fx);
}

static void cache_flush_go(struct kunit *test)
{
	struct pa_fix *fx = test->priv;
	struct rnd_state rs;
	unsigned int k;

	pa_rnd_init(fx, &rs);
	pa_cache_flush_one(test, 0, 0, 0);
	pa_cache_flush_one(test, 0, ~0ULL, ~0ULL);
	for (k = 0; k < 100; k++) {
		u64 base = pa_rnd(&rs, CP / 64) * 64;
		u64 cache = (u64)prandom_u32_state(&rs) << 32 | prandom_u32_state(&rs);
		u64 scav = ((u64)prandom_u32_state(&rs) << 32 | prandom_u32_state(&rs)) & cache;

		fx->step = k + 1;
		pa_cache_flush_one(test, base, cache, scav);
	}
}

/* Unaligned requests below 16 pages come from the cache, the rest from the heap (by hand). */
static void small_allocs_use_cache(struct kunit *test)
{
	static const struct { u64 n; u64 align; u64 at; u64 cache_allocs; u64 cached; } steps[] = {
		{ 1, 1, 0, 1, 63 },		/* refill [0, 64), take 0 */
		{ 15, 1, 1, 2, 48 },
		{ 16, 1, 64, 2, 48 },		/* heap: first fit past the cached pages */
		{ 1, 2, 80, 2, 48 },		/* aligned: heap */
		{ 2, 1, 16, 3, 46 },
		{ 15, 1, 18, 4, 31 },		/* after a flush: refill [0, 64) again */
	};
	struct pa_fix *fx = pa_setup(test, 2 * CP);
	struct palloc_stats st;
	unsigned int k;
	u64 at;

	pa_grow(fx, 0, 2 * CP, false);
	for (k = 0; k < ARRAY_SIZE(steps); k++) {
		fx->step = k + 1;
		if (k == 5)
			pa_flush(fx);
		KUNIT_ASSERT_EQ(test, pa_alloc(fx, steps[k].n, steps[k].align, &at, NULL), 0);
		KUNIT_EXPECT_EQ_MSG(test, at, steps[k].at, "step %u", k + 1);
		palloc_heap_stats(fx->h, &st);
		KUNIT_EXPECT_EQ_MSG(test, st.cache_allocs, steps[k].cache_allocs, "step %u",
				    k + 1);
		KUNIT_EXPECT_EQ_MSG(test, st.pages_cached, steps[k].cached, "step %u", k + 1);
		pa_check(fx);
	}
}

/* Free pages held by caches are returned when the heap looks full (by hand). */
static void full_heap_flushes_caches(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, CP);
	u64 at;

	pa_grow(fx, 0, CP, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, CP - 64, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 64);
	pa_check(fx);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 63, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 1);
	KUNIT_EXPECT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), -ENOMEM);
	pa_check(fx);
}

/* Mostly small allocations: no page is handed out twice, the model says where each goes. */
static void cache_random_never_twice(struct kunit *test)
{
	static const struct pa_rnd_cfg cfg = {
		.ops = 2000, .check_every = 1, .max_pages = 700,
		.small_pct = 85, .align_pct = 10, .scavenge = true, .grow = true,
	};
	struct pa_fix *fx = pa_setup(test, 6 * CP + 40);
	struct rnd_state rs;

	pa_rnd_init(fx, &rs);
	pa_grow(fx, 0, 2 * CP, true);
	pa_grow(fx, 3 * CP + 7, 2 * CP, false);
	pa_random_ops(fx, &rs, &cfg);
}

/* palloc_heap_flush_caches() returns every cached page. */
static void flush_returns_everything(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 3 * CP);
	struct pa_run *runs = kunit_kcalloc(test, 3 * CP, sizeof(*runs), GFP_KERNEL);
	struct palloc_stats st;
	struct rnd_state rs;
	unsigned int nruns = 0, k;
	u64 at, n, scav;

	KUNIT_ASSERT_NOT_NULL(test, runs);
	pa_rnd_init(fx, &rs);
	pa_grow(fx, 0, 3 * CP, true);
	/* About half the heap in small runs; the last one leaves pages cached. */
	for (k = 0; k < 100; k++) {
		n = 1 + pa_rnd(&rs, CACHE_MAX - 1);
		KUNIT_ASSERT_EQ(test, pa_alloc(fx, n, 1, &at, NULL), 0);
		runs[nruns++] = (struct pa_run){ at, n };
		pa_check_stats(fx);
	}
	if (!fx->c_cache) {
		KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 1, &at, NULL), 0);
		runs[nruns++] = (struct pa_run){ at, 1 };
	}
	for (k = 0; k < nruns; k += 2)
		pa_free(fx, runs[k].start, runs[k].n);
	pa_check(fx);
	palloc_heap_stats(fx->h, &st);
	KUNIT_EXPECT_GT(test, st.pages_cached, 0);
	for (k = 1; k < nruns; k += 2)
		pa_free(fx, runs[k].start, runs[k].n);
	pa_flush(fx);
	palloc_heap_stats(fx->h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_cached, 0);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 0);
	KUNIT_EXPECT_EQ(test, st.pages_free, 3 * CP);
	KUNIT_EXPECT_EQ(test, st.largest_free, 3 * CP);
	pa_check(fx);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	pa_check(fx);
}

/*
 * A free of pages this CPU's cache handed out goes back into the cache,
 * dirty, without the heap lock (the IOVA rcache's idea): the heap's bitmap
 * still has them allocated, the next small allocation gets them back
 * unscavenged, and a second free of them is refused.
 */
static void cache_takes_back_its_frees(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, CP);
	struct palloc_stats st;
	u64 at, again, scav;

	pa_grow(fx, 0, CP, true);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, scav, 3);
	KUNIT_EXPECT_EQ(test, pa_free(fx, at, 3), 0);
	palloc_heap_stats(fx->h, &st);
	KUNIT_EXPECT_EQ(test, st.cache_frees, 1);
	KUNIT_EXPECT_EQ(test, st.pages_cached, 64);
	KUNIT_EXPECT_EQ(test, fx->h->chunks[0].alloc.w[0], ~0ULL);
	pa_check(fx);
	/* A double free: refused, nothing changes. */
	KUNIT_EXPECT_EQ(test, pa_free(fx, at, 1), -EINVAL);
	pa_check(fx);
	/* They come back first, dirty now. */
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3, 1, &again, &scav), 0);
	KUNIT_EXPECT_EQ(test, again, at);
	KUNIT_EXPECT_EQ(test, scav, 0);
	pa_check(fx);
}

/*
 * A free through the heap takes its pages from the out pages of a cache
 * holding their block, so that a later, bad free of them on the cache's
 * CPU is refused instead of putting pages the heap has free into the
 * cache.  Pages 62..65 present: the cache holds 62 and 63 (block 0), the
 * heap hands out 64 (aligned, so not from the cache); freeing 62..64 in
 * one run crosses the block and goes through the heap.
 */
static void heap_free_clears_cache_out(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, CP);
	u64 at;

	pa_grow(fx, 62, 4, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 2, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 62);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, 2, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 64);
	KUNIT_ASSERT_EQ(test, pa_free(fx, 62, 3), 0);
	pa_check(fx);
	KUNIT_EXPECT_EQ(test, pa_free(fx, 62, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, pa_free(fx, 63, 1), -EINVAL);
	pa_check(fx);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 4, 1, &at, NULL), 0);
	KUNIT_EXPECT_EQ(test, at, 62);
	pa_check(fx);
}

/*
 * A refused free changes nothing, the cache's out mask included: pages the
 * cache handed out still go back into it lock-free afterwards.  (Found by
 * cache_random_never_twice, seed 3540737653: the check of a refused free
 * used to clear the out bits.)
 */
static void refused_free_keeps_cache_out(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, CP);
	struct palloc_stats st;
	u64 at;

	pa_grow(fx, 0, CP, true);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 2, 1, &at, NULL), 0);
	/* Its neighbour is still cached: the 3-page free is refused. */
	KUNIT_EXPECT_EQ(test, pa_free(fx, at, 3), -EINVAL);
	KUNIT_EXPECT_EQ(test, pa_free(fx, at, 2), 0);
	palloc_heap_stats(fx->h, &st);
	KUNIT_EXPECT_EQ(test, st.cache_frees, 1);
	pa_check(fx);
}

static struct kunit_case palloc_cache_cases[] = {
	KUNIT_CASE_PARAM(cache_alloc_go_cases, cache_cases_gen_params),
	KUNIT_CASE(cache_flush_go),
	KUNIT_CASE(small_allocs_use_cache),
	KUNIT_CASE(full_heap_flushes_caches),
	KUNIT_CASE(cache_random_never_twice),
	KUNIT_CASE(flush_returns_everything),
	KUNIT_CASE(cache_takes_back_its_frees),
	KUNIT_CASE(heap_free_clears_cache_out),
	KUNIT_CASE(refused_free_keeps_cache_out),
	{}
};

static struct kunit_suite palloc_cache_suite = {
	.name = "palloc_cache",
	.init = pa_init,
	.exit = pa_exit,
	.test_cases = palloc_cache_cases,
};
