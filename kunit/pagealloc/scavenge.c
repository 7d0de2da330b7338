// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc_test part: suite palloc_scavenge: Go's scavenger tests and the background worker.
 * Included by kunit/pagealloc_test.c; not built alone.
 */

/* ---------------------------------------------------------------------- */
/* palloc_scavenge                                                         */
/* ---------------------------------------------------------------------- */

struct pa_scav_case {
	const char *name;
	struct pa_gochunk chunks[PA_CHUNKS_MAX];
	struct { u64 want; u64 got; } steps[4];
};

/* TestPageAllocScavenge (minPages = 1): scavenge requests in pages and the heap after. */
static const struct pa_scav_case scav_cases[] = {
	{ .name = "AllFreeUnscavExhaust",
	  .chunks = { { .used = true, .ci = 0, .after_scav = { { 0, CP } } },
		      { .used = true, .ci = 1, .after_scav = { { 0, CP } } },
		      { .used = true, .ci = 2, .after_scav = { { 0, CP } } } },
	  .steps = { { ALL, 3 * CP } } },
	{ .name = "NoneFreeUnscavExhaust",
	  .chunks = { { .used = true, .ci = 0, .alloc = { { 0, CP } } },
		      { .used = true, .ci = 1, .scav = { { 0, CP } },
			.after_scav = { { 0, CP } } },
		      { .used = true, .ci = 2, .alloc = { { 0, CP } } } },
	  .steps = { { ALL, 0 } } },
	{ .name = "ScavHighestPageFirst",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 1, CP - 2 } },
			.after_scav = { { 1, CP - 1 } } } },
	  .steps = { { 1, 1 } } },
	{ .name = "ScavMultiple",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 1, CP - 2 } },
			.after_scav = { { 0, CP } } } },
	  .steps = { { 1, 1 }, { 1, 1 } } },
	{ .name = "ScavMultiple2",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 1, CP - 2 } },
			.after_scav = { { 0, CP } } },
		      { .used = true, .ci = 1, .scav = { { 0, CP - 2 } },
			.after_scav = { { 0, CP } } } },
	  .steps = { { 2, 2 }, { 1, 1 }, { 1, 1 } } },
	{ .name = "ScavDiscontiguous",
	  .chunks = { { .used = true, .ci = 0, .scav = { { 1, CP - 2 } },
			.after_scav = { { 0, CP } } },
		      { .used = true, .ci = 0xe, .scav = { { 2, CP - 2 } },
			.after_scav = { { 0, CP } } } },
	  .steps = { { 2, 2 }, { ALL, 2 }, { ALL, 0 } } },
	{ .name = "ScavAllVeryDiscontiguous",
	  .chunks = { { .used = true, .ci = 0, .after_scav = { { 0, CP } } },
		      { .used = true, .ci = 0x1000, .after_scav = { { 0, CP } } } },
	  .steps = { { ALL, 2 * CP }, { ALL, 0 } } },
};

static void scav_case_desc(const struct pa_scav_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(scav_cases, scav_cases, scav_case_desc);

/* Go's TestPageAllocScavenge. */
static void scavenge_go_cases(struct kunit *test)
{
	const struct pa_scav_case *c = test->param_value;
	struct pa_fix *fx = pa_setup(test, pa_go_npages(c->chunks));
	unsigned int k;

	pa_go_heap(fx, c->chunks);
	for (k = 0; k < ARRAY_SIZE(c->steps) && c->steps[k].want; k++) {
		fx->step = k + 1;
		KUNIT_EXPECT_EQ_MSG(test, pa_scavenge(fx, c->steps[k].want, false),
				    c->steps[k].got, "scavenge #%u", k + 1);
		pa_check(fx);
	}
	pa_go_expect(fx, c->chunks, true, false);
}

/*
 * Huge pages (by hand): a fully free dirty chunk goes whole, 512 pages,
 * even for a request of 1; a chunk with one page allocated goes from its
 * top, as asked.
 */
static void huge_page_released_whole(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 3 * CP);
	u64 at, scav;

	pa_grow(fx, 0, 3 * CP, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, CP, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 1, CP, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, CP);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, 1, false), CP);
	KUNIT_EXPECT_TRUE(test, fx->nlog == 1 && fx->log[0].start == 2 * CP && fx->log[0].n == CP);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, 1, false), 1);
	KUNIT_EXPECT_TRUE(test, fx->nlog == 1 && fx->log[0].start == 2 * CP - 1);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 510 + 511);
	pa_check(fx);
	pa_free(fx, CP, 1);
	pa_free(fx, 0, 1);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 2);
	KUNIT_EXPECT_TRUE(test, fx->nlog == 2 && fx->log[0].start == CP && fx->log[1].start == 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 3 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, scav, 3 * CP);
	pa_free(fx, 0, 3 * CP);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, 100, false), CP);
	KUNIT_EXPECT_TRUE(test, fx->nlog == 1 && fx->log[0].start == 2 * CP);
	pa_check(fx);
}

/*
 * Dense chunks, >= 496 pages allocated, are skipped unless forced (by
 * hand); pages that are not there (a partial last chunk's tail) are not
 * allocated pages.
 */
static void dense_chunks_skipped_unless_forced(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 2 * CP);
	u64 at;

	pa_grow(fx, 0, 2 * CP, false);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, PALLOC_DENSE_PAGES, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, 0);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, PALLOC_DENSE_PAGES - 1, CP, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, at, CP);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 17);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 0);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, true), 16);
	KUNIT_EXPECT_TRUE(test, fx->nlog == 1 && fx->log[0].start == 496 && fx->log[0].n == 16);
	pa_free(fx, 0, 1);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 1);
	pa_check(fx);
	pa_teardown(fx);

	fx = pa_setup(test, CP + 16);
	pa_grow(fx, 0, CP + 16, false);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), CP + 16);
	pa_check(fx);
}

/* Released pages come back scavenged: alloc reports them (by hand). */
static void scavenged_pages_reported_by_alloc(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 2 * CP);
	u64 at, scav;

	pa_grow(fx, 0, 2 * CP, false);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, CP, false), CP);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 2 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, scav, CP);
	pa_free(fx, 0, 2 * CP);
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, 10, false), CP);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 600, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, 600 - CP);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 5, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 600);
	KUNIT_EXPECT_EQ(test, scav, 5);
	pa_check(fx);
}

/* A failing release leaves its pages free and dirty and stops the pass. */
static void release_error_keeps_pages_dirty(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 2 * CP);
	u64 at, scav;

	pa_grow(fx, 0, 2 * CP, false);
	fx->release_err = -EIO;
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 0);
	KUNIT_EXPECT_EQ(test, fx->nlog, 1);
	KUNIT_EXPECT_EQ(test, palloc_heap_dirty_pages(fx->h), 2 * CP);
	pa_check(fx);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 2 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, scav, 0);
	pa_free(fx, 0, 2 * CP);
	fx->release_err = 0;
	KUNIT_EXPECT_EQ(test, pa_scavenge(fx, ALL, false), 2 * CP);
	pa_check(fx);
}

/*
 * Random states, scavenged in the model's order: every release is a free
 * dirty run, never an allocated page, and while it is in flight freeing it
 * is refused and the stats count it as scavenging.
 */
static void scavenge_random_top_down(struct kunit *test)
{
	static const struct pa_rnd_cfg cfg = {
		.ops = 1200, .check_every = 1, .max_pages = 1500,
		.small_pct = 40, .align_pct = 20, .scavenge = true, .grow = true,
	};
	struct pa_fix *fx = pa_setup(test, 10 * CP + 100);
	struct rnd_state rs;
	u64 p;

	pa_rnd_init(fx, &rs);
	fx->release_probe = true;
	for (p = 0; p < fx->npages; ) {
		u64 n = min_t(u64, 1 + pa_rnd(&rs, 900), fx->npages - p);

		if (pa_rnd(&rs, 4))
			pa_grow(fx, p, n, pa_rnd(&rs, 2));
		p += n;
	}
	pa_check(fx);
	pa_random_ops(fx, &rs, &cfg);
	KUNIT_EXPECT_GT(test, atomic_read(&fx->probes), 0);
	kunit_info(test, "%d releases checked in flight, %llu pages released\n",
		   atomic_read(&fx->probes), fx->released);
}

/* Wait for the background scavenger to bring the dirty pages to @goal or below. */
static u64 pa_wait_dirty(struct pa_fix *fx, u64 goal)
{
	unsigned int k;
	u64 dirty = palloc_heap_dirty_pages(fx->h);

	for (k = 0; k < 100 && dirty > goal; k++) {
		msleep(20);
		dirty = palloc_heap_dirty_pages(fx->h);
	}
	return dirty;
}

/* Let the background scavenger finish, then take its unknowable pass count. */
static void pa_quiesce(struct pa_fix *fx)
{
	struct palloc_stats st;

	flush_delayed_work(&fx->h->scavenger.work);
	palloc_heap_stats(fx->h, &st);
	mutex_lock(&fx->lock);
	fx->scav_runs = st.scavenge_runs;
	mutex_unlock(&fx->lock);
}

/* In the model, every scavenged page lies above every free dirty page. */
static void pa_expect_released_from_top(struct pa_fix *fx)
{
	u64 low_scav = find_first_bit(fx->scav, fx->nbits), p, high_dirty = 0;

	for (p = 0; p < fx->npages; p++)
		if (pa_dirty_free(fx, p))
			high_dirty = p;
	KUNIT_EXPECT_LT_MSG(fx->test, high_dirty, low_scav,
			    "a dirty page lies above a released one");
}

/* palloc_heap_set_goal(): the background scavenger gets dirty pages down to the goal. */
static void background_reaches_goal(struct kunit *test)
{
	const u64 n = 16 * CP;
	struct pa_fix *fx = pa_setup(test, n);
	u64 dirty, at;

	pa_grow(fx, 0, n, false);
	pa_check(fx);
	palloc_heap_set_goal(fx->h, 1000, 100);
	dirty = pa_wait_dirty(fx, 1000);
	KUNIT_EXPECT_LE(test, dirty, 1000);
	/* Releases are whole chunks here: at most one more than needed. */
	KUNIT_EXPECT_GT(test, dirty + CP, 1000);
	pa_quiesce(fx);
	pa_expect_released_from_top(fx);
	pa_check(fx);

	/* Below the goal nothing happens; a free over it kicks the scavenger. */
	palloc_heap_set_goal(fx->h, 4096, 100);
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, n, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, pa_free(fx, 0, n), 0);
	dirty = pa_wait_dirty(fx, 4096);
	KUNIT_EXPECT_LE(test, dirty, 4096);
	KUNIT_EXPECT_GT(test, dirty + CP, 4096);
	palloc_heap_set_goal(fx->h, U64_MAX, 1);
	pa_quiesce(fx);
	pa_expect_released_from_top(fx);
	pa_check(fx);
}

/* The background scavenger also empties a partial last chunk (goal 0). */
static void background_scavenges_partial_chunk(struct kunit *test)
{
	const u64 n = 2 * CP + 16;
	struct pa_fix *fx = pa_setup(test, n);

	pa_grow(fx, 0, n, false);
	palloc_heap_set_goal(fx->h, 0, 100);
	KUNIT_EXPECT_EQ(test, pa_wait_dirty(fx, 0), 0);
	palloc_heap_set_goal(fx->h, U64_MAX, 1);
	pa_quiesce(fx);
	pa_check(fx);
}

/*
 * An idle pool costs nothing.  With only a dense chunk dirty, the background
 * worker releases nothing and does not come back until a free kicks it
 * (before, it requeued itself every second for ever).  A per-CPU cache
 * nobody uses is given back to the heap by the worker's next run, so that
 * no page stays stranded there.
 */
static void background_idle_costs_nothing(struct kunit *test)
{
	struct pa_fix *fx = pa_setup(test, 2 * CP);
	struct palloc_heap *h;
	struct palloc_stats st;
	u64 at, scav;
	unsigned int k;
	bool requeued;

	pa_grow(fx, 0, 2 * CP, true);
	/* Everything allocated, then 12 pages of chunk 1 freed: dense, dirty. */
	KUNIT_ASSERT_EQ(test, pa_alloc(fx, 2 * CP, 1, &at, NULL), 0);
	KUNIT_ASSERT_EQ(test, pa_free(fx, CP + 100, 12), 0);
	palloc_heap_set_goal(fx->h, 0, 100);
	flush_delayed_work(&fx->h->scavenger.work);
	KUNIT_EXPECT_EQ(test, palloc_heap_dirty_pages(fx->h), 12);
	requeued = delayed_work_pending(&fx->h->scavenger.work);
	KUNIT_EXPECT_FALSE(test, requeued);
	palloc_heap_set_goal(fx->h, U64_MAX, 1);
	pa_quiesce(fx);
	pa_check(fx);

	/*
	 * A cache left holding a block by a one-page allocation and its free:
	 * a heap of its own without the model, which cannot follow a flush
	 * the worker makes on its own.
	 */
	h = palloc_heap_create(2 * CP, NULL, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(h));
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 0, 2 * CP, false), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 1, 1, &at, &scav), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, at, 1), 0);
	palloc_heap_stats(h, &st);
	KUNIT_ASSERT_EQ(test, st.pages_cached, 64);
	palloc_heap_set_goal(h, 0, 100);
	for (k = 0; k < 100 && palloc_heap_dirty_pages(h); k++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, palloc_heap_dirty_pages(h), 0);
	/* The worker's next run (due within a second; run now) flushes it. */
	flush_delayed_work(&h->scavenger.work);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_cached, 0);
	palloc_heap_set_goal(h, U64_MAX, 1);
	flush_delayed_work(&h->scavenger.work);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	palloc_heap_destroy(h);
}

static struct kunit_case palloc_scavenge_cases[] = {
	KUNIT_CASE_PARAM(scavenge_go_cases, scav_cases_gen_params),
	KUNIT_CASE(huge_page_released_whole),
	KUNIT_CASE(dense_chunks_skipped_unless_forced),
	KUNIT_CASE(scavenged_pages_reported_by_alloc),
	KUNIT_CASE(release_error_keeps_pages_dirty),
	KUNIT_CASE(scavenge_random_top_down),
	KUNIT_CASE(background_reaches_goal),
	KUNIT_CASE(background_scavenges_partial_chunk),
	KUNIT_CASE(background_idle_costs_nothing),
	{}
};

static struct kunit_suite palloc_scavenge_suite = {
	.name = "palloc_scavenge",
	.init = pa_init,
	.exit = pa_exit,
	.test_cases = palloc_scavenge_cases,
};
