// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc_test part: the fixture, the reference model, its checks and
 * operations, Go's test heaps, random operation sequences.
 * Included by kunit/pagealloc_test.c; not built alone.
 */

/* ---------------------------------------------------------------------- */
/* Fixture                                                                 */
/* ---------------------------------------------------------------------- */

static int pa_release(void *priv, u64 start, u64 npages);
static int pa_release_owner(struct pa_fix *fx, u64 start, u64 npages);

static int pa_init(struct kunit *test)
{
	struct pa_fix *fx = kunit_kzalloc(test, sizeof(*fx), GFP_KERNEL);

	if (!fx)
		return -ENOMEM;
	fx->test = test;
	fx->debug_locks = debug_locks;
	mutex_init(&fx->lock);
	fx->log = kunit_kcalloc(test, PA_LOG_MAX, sizeof(*fx->log), GFP_KERNEL);
	fx->expect = kunit_kcalloc(test, PA_LOG_MAX, sizeof(*fx->expect), GFP_KERNEL);
	if (!fx->log || !fx->expect)
		return -ENOMEM;
	test->priv = fx;
	/*
	 * The model follows the page cache of one CPU: keep the test on it.
	 * This thread runs this one case and is gone afterwards.
	 */
	return set_cpus_allowed_ptr(current, cpumask_of(raw_smp_processor_id()));
}

static void pa_free_model(struct pa_fix *fx)
{
	kvfree(fx->present);
	kvfree(fx->owned);
	kvfree(fx->scav);
	kvfree(fx->avail);
	kvfree(fx->scratch);
	fx->present = NULL;
	fx->owned = NULL;
	fx->scav = NULL;
	fx->avail = NULL;
	fx->scratch = NULL;
}

/* Destroy the heap and forget the model, keeping the counters' baseline. */
static void pa_teardown(struct pa_fix *fx)
{
	palloc_heap_destroy(fx->h);
	fx->h = NULL;
	pa_free_model(fx);
}

static void pa_exit(struct kunit *test)
{
	struct pa_fix *fx = test->priv;

	if (!fx)
		return;
	pa_teardown(fx);
	if (atomic_read(&fx->bad))
		KUNIT_FAIL(test, "release callback: %d bad runs, first [%llu, +%llu): %s",
			   atomic_read(&fx->bad), fx->bad_start, fx->bad_n, fx->bad_why);
	/* lockdep clears debug_locks at its first report. */
	if (fx->debug_locks && !debug_locks)
		KUNIT_FAIL(test, "lockdep reported a problem (debug_locks was cleared)");
	mutex_destroy(&fx->lock);
}

static u32 pa_rnd_init(struct pa_fix *fx, struct rnd_state *rs)
{
	fx->seed = pa_seed ? pa_seed : get_random_u32();
	kunit_info(fx->test, "seed %u (pagealloc_test.seed=%u repeats it)\n", fx->seed, fx->seed);
	prandom_seed_state(rs, fx->seed);
	return fx->seed;
}

static u32 pa_rnd(struct rnd_state *rs, u32 n)
{
	return prandom_u32_state(rs) % n;
}

static unsigned long *pa_bitmap(struct kunit *test, u64 nbits)
{
	unsigned long *b = kvcalloc(BITS_TO_LONGS(nbits), sizeof(long), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, b);
	return b;
}

/* A heap of @npages pages, nothing grown, and an empty model. */
static struct pa_fix *pa_setup(struct kunit *test, u64 npages)
{
	struct pa_fix *fx = test->priv;
	struct palloc_heap *h;

	KUNIT_ASSERT_NULL(test, fx->h);
	fx->npages = npages;
	fx->nbits = round_up(npages, CP);
	fx->present = pa_bitmap(test, fx->nbits);
	fx->owned = pa_bitmap(test, fx->nbits);
	fx->scav = pa_bitmap(test, fx->nbits);
	fx->avail = pa_bitmap(test, fx->nbits);
	fx->scratch = pa_bitmap(test, fx->nbits);
	fx->c_cache = 0;
	fx->c_out = 0;
	fx->allocs = 0;
	fx->cache_allocs = 0;
	fx->cache_frees = 0;
	fx->frees = 0;
	fx->alloc_failures = 0;
	fx->free_errors = 0;
	fx->released = 0;
	fx->scav_runs = 0;
	fx->step = 0;
	h = palloc_heap_create(npages, pa_release, fx);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(h), "palloc_heap_create(%llu): %ld", npages,
			       PTR_ERR(h));
	fx->h = h;
	return fx;
}

/* ---------------------------------------------------------------------- */
/* Reference model                                                         */
/* ---------------------------------------------------------------------- */

/* Bits [bit, bit + 64) of a bitmap, @bit a multiple of 64. */
static u64 pa_word(const unsigned long *bm, u64 bit)
{
	u64 w = 0;
	unsigned int k;

	for (k = 0; k < 64; k += BITS_PER_LONG)
		w |= (u64)bm[(bit + k) / BITS_PER_LONG] << k;
	return w;
}

static bool pa_in_cache(const struct pa_fix *fx, u64 p)
{
	return p >= fx->c_base && p - fx->c_base < 64 && (fx->c_cache >> (p - fx->c_base)) & 1;
}

static u64 pa_count(const unsigned long *bm, u64 start, u64 n)
{
	u64 p, cnt = 0;

	for (p = start; p < start + n; p++)
		cnt += test_bit(p, bm);
	return cnt;
}

/* Go's findBitRange64, bit by bit: lowest i with bits [i, i + n) of @c set, or 64. */
static unsigned int pa_ref_range64(u64 c, unsigned int n)
{
	unsigned int i, k;

	for (i = 0; i + n <= 64; i++) {
		for (k = 0; k < n && ((c >> (i + k)) & 1); k++)
			;
		if (k == n)
			return i;
	}
	return 64;
}

/* Lowest @align-aligned run of @n available pages, or NONE. */
static u64 pa_ref_first_fit(const struct pa_fix *fx, u64 n, u64 align)
{
	unsigned long s = 0, e;

	for (;;) {
		s = find_next_bit(fx->avail, fx->npages, s);
		if (s >= fx->npages)
			return NONE;
		s = ALIGN(s, align);
		if (s >= fx->npages || n > fx->npages - s)
			return NONE;
		e = find_next_zero_bit(fx->avail, s + n, s);
		if (e >= s + n)
			return s;
		s = e + 1;
	}
}

/* Longest run of available pages. */
static u64 pa_ref_largest(const struct pa_fix *fx)
{
	unsigned long s = 0, e;
	u64 best = 0;

	for (;;) {
		s = find_next_bit(fx->avail, fx->npages, s);
		if (s >= fx->npages)
			return best;
		e = find_next_zero_bit(fx->avail, fx->npages, s);
		best = max_t(u64, best, e - s);
		s = e;
	}
}

/*
 * Go's pageCache.flush: the cached pages are free in the heap again, and
 * the pages still out will be freed to the heap.
 */
static void pa_model_flush(struct pa_fix *fx)
{
	unsigned int k;

	for (k = 0; k < 64; k++)
		if ((fx->c_cache >> k) & 1)
			set_bit(fx->c_base + k, fx->avail);
	fx->c_cache = 0;
	fx->c_out = 0;
}

/* Go's allocToCache: the 64-page block of the lowest free page. */
static void pa_model_refill(struct pa_fix *fx)
{
	u64 p = find_first_bit(fx->avail, fx->npages), k;

	fx->c_out = 0;
	if (p >= fx->npages)
		return;
	fx->c_base = ALIGN_DOWN(p, 64);
	for (k = 0; k < 64; k++) {
		if (fx->c_base + k < fx->npages && test_bit(fx->c_base + k, fx->avail)) {
			fx->c_cache |= BIT_ULL(k);
			clear_bit(fx->c_base + k, fx->avail);
		}
	}
}

/*
 * Where Go's mheap.allocSpan on one CPU puts @n pages aligned to @align, as
 * palloc_heap_alloc() documents it: below PALLOC_CACHE_MAX_ALLOC unaligned
 * pages come from the CPU's page cache (refilled when empty) when it has a
 * run; otherwise the lowest aligned fit among the free pages not cached;
 * if none, every cache is flushed and the lowest fit taken.  Updates the
 * model's page cache.  Return: the first page, or NONE.
 */
static u64 pa_model_place(struct pa_fix *fx, u64 n, u64 align, bool *from_cache)
{
	u64 at;

	*from_cache = false;
	if (n < CACHE_MAX && align == 1) {
		unsigned int i;

		if (!fx->c_cache)
			pa_model_refill(fx);
		i = pa_ref_range64(fx->c_cache, n);
		if (i < 64) {
			fx->c_cache &= ~GENMASK_ULL(i + n - 1, i);
			fx->c_out |= GENMASK_ULL(i + n - 1, i);
			*from_cache = true;
			return fx->c_base + i;
		}
	}
	at = pa_ref_first_fit(fx, n, align);
	if (at == NONE) {
		pa_model_flush(fx);
		at = pa_ref_first_fit(fx, n, align);
	}
	return at;
}

/* Hand [at, at + n) to the test.  Return: how many of them were scavenged. */
static u64 pa_model_take(struct pa_fix *fx, u64 at, u64 n)
{
	u64 p, scav = 0;

	for (p = at; p < at + n; p++) {
		scav += test_bit(p, fx->scav);
		clear_bit(p, fx->scav);
		clear_bit(p, fx->avail);
		set_bit(p, fx->owned);
	}
	return scav;
}

/* Free, present, unscavenged page (the scavenger's candidates; cache flushed). */
static bool pa_dirty_free(const struct pa_fix *fx, u64 p)
{
	return p < fx->npages && test_bit(p, fx->present) && !test_bit(p, fx->owned) &&
	       !test_bit(p, fx->scav);
}

/*
 * The runs palloc_heap_scavenge(@want, @force) releases, into fx->expect
 * (Go's scavenge/scavengeOne with this port's rules): chunks from the top
 * down, skipping chunks with PALLOC_DENSE_PAGES or more allocated pages
 * unless @force; in a chunk the highest run of free unscavenged pages,
 * its top min(run, want - released, 512) pages, or the whole chunk when
 * the run is the whole chunk (a huge page is released whole).  A release
 * error stops the pass after its run.  The model is left as it was.
 * Return: the pages released.
 */
static u64 pa_model_scavenge(struct pa_fix *fx, u64 want, bool force, unsigned int *nexp)
{
	unsigned long ci = fx->nbits / CP;
	u64 released = 0;
	unsigned int n = 0;

	bitmap_copy(fx->scratch, fx->scav, fx->nbits);
	while (ci-- > 0 && released < want) {
		u64 base = PB(ci, 0), end, lo, size;

		if (!force && pa_count(fx->owned, base, CP) >= PALLOC_DENSE_PAGES)
			continue;
		while (released < want) {
			for (end = base + CP; end > base && !pa_dirty_free(fx, end - 1); end--)
				;
			if (end == base)
				break;
			for (lo = end; lo > base && pa_dirty_free(fx, lo - 1); lo--)
				;
			size = min3(end - lo, want - released, (u64)CP);
			if (lo == base && end == base + CP)
				size = CP;
			if (n < PA_LOG_MAX)
				fx->expect[n] = (struct pa_run){ end - size, size };
			n++;
			if (fx->release_err)
				goto out;
			bitmap_set(fx->scav, end - size, size);
			released += size;
		}
	}
out:
	bitmap_copy(fx->scav, fx->scratch, fx->nbits);
	*nexp = n;
	return released;
}

/* Record the first bad run the release callback saw. */
static void pa_bad(struct pa_fix *fx, u64 start, u64 n, const char *why)
{
	if (atomic_inc_return(&fx->bad) == 1) {
		fx->bad_start = start;
		fx->bad_n = n;
		fx->bad_why = why;
	}
}

/*
 * The heap's release callback: every page must be free, present and dirty
 * in the model, and not cached.  A successful release marks the pages
 * scavenged in the model.  With release_probe it also checks, while the run
 * is in flight, that freeing it is refused and that the stats count it.
 */
static int pa_release(void *priv, u64 start, u64 npages)
{
	struct pa_fix *fx = priv;
	struct palloc_stats st;
	int err;
	u64 p;

	if (fx->conc)
		return pa_release_owner(fx, start, npages);
	mutex_lock(&fx->lock);
	err = fx->release_err;
	for (p = start; p < start + npages; p++) {
		if (p >= fx->npages || !test_bit(p, fx->present) || test_bit(p, fx->owned) ||
		    test_bit(p, fx->scav) || pa_in_cache(fx, p)) {
			pa_bad(fx, start, npages, "a page is not free and dirty in the model");
			break;
		}
	}
	if (fx->release_probe) {
		palloc_heap_stats(fx->h, &st);
		if (st.pages_scavenging != npages)
			pa_bad(fx, start, npages, "stats.pages_scavenging is not the run");
		if (palloc_heap_free(fx->h, start, npages) != -EINVAL)
			pa_bad(fx, start, npages, "freeing the run in flight did not fail");
		if (palloc_heap_free(fx->h, start + npages - 1, 1) != -EINVAL)
			pa_bad(fx, start, npages, "freeing its last page did not fail");
		fx->free_errors += 2;
		atomic_inc(&fx->probes);
	}
	if (fx->nlog < PA_LOG_MAX)
		fx->log[fx->nlog] = (struct pa_run){ start, npages };
	fx->nlog++;
	if (!err) {
		for (p = start; p < start + npages && p < fx->npages; p++)
			set_bit(p, fx->scav);
		fx->released += npages;
	}
	mutex_unlock(&fx->lock);
	return err;
}

/* ---------------------------------------------------------------------- */
/* Checks                                                                  */
/* ---------------------------------------------------------------------- */

static unsigned int pa_level_log(unsigned int nlevels, unsigned int l)
{
	return ilog2(CP) + PALLOC_LEVEL_BITS * (nlevels - 1 - l);
}

/* Go's mergeSummaries over the 8 children of entry @i; missing children are full. */
static palloc_sum_t pa_merge(const palloc_sum_t *child, unsigned long nchild, unsigned long i,
			     u64 f)
{
	u64 start = 0, most = 0, end = 0;
	unsigned int c;

	for (c = 0; c < 8; c++) {
		unsigned long k = i * 8 + c;
		palloc_sum_t s = k < nchild ? child[k] : 0;
		u64 cs = palloc_sum_start(s), cm = palloc_sum_max(s), ce = palloc_sum_end(s);

		if (!c) {
			start = cs;
			most = cm;
			end = ce;
			continue;
		}
		if (start == c * f)
			start += cs;
		most = max3(most, end + cs, cm);
		end = ce == f ? end + f : ce;
	}
	return palloc_sum_pack(start, most, end);
}

/*
 * Every summary of every level against a recount: leaves from the chunk
 * bitmaps with palloc_bits_summarize(), parents merged from them; entries
 * past a level's end read 0.  Also the tree's shape.
 */
static void pa_check_sums(struct kunit *test, struct palloc_heap *h, const char *ctx)
{
	unsigned int nl = h->nlevels, l, bad_l = 0;
	unsigned long i, bad_i = 0;
	palloc_sum_t *cur, *up, bad_got = 0, bad_want = 0;
	bool bad = false;

	KUNIT_ASSERT_TRUE_MSG(test, nl >= 1 && nl <= PALLOC_MAX_LEVELS, "%s: %u levels", ctx, nl);
	KUNIT_ASSERT_EQ_MSG(test, h->len[nl - 1], h->nchunks, "%s: leaves", ctx);
	KUNIT_ASSERT_EQ_MSG(test, (u64)h->nchunks, DIV_ROUND_UP(h->npages, CP), "%s: chunks", ctx);
	for (l = 0; l + 1 < nl; l++)
		KUNIT_ASSERT_EQ_MSG(test, h->len[l], DIV_ROUND_UP(h->len[l + 1], 8),
				    "%s: entries of level %u", ctx, l);
	KUNIT_ASSERT_TRUE_MSG(test, h->len[0] == 1 || nl == PALLOC_MAX_LEVELS,
			      "%s: root of %lu entries at %u levels", ctx, h->len[0], nl);

	cur = kvcalloc(h->nchunks, sizeof(*cur), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cur);
	for (i = 0; i < h->nchunks; i++)
		cur[i] = palloc_bits_summarize(&h->chunks[i].alloc);
	for (l = nl - 1; !bad; l--) {
		for (i = 0; i <= h->len[l] && !bad; i++) {
			palloc_sum_t want = i < h->len[l] ? cur[i] : 0;
			palloc_sum_t got = palloc_heap_summary(h, l, i);

			if (got != want) {
				bad = true;
				bad_l = l;
				bad_i = i;
				bad_got = got;
				bad_want = want;
			}
		}
		if (!l || bad)
			break;
		up = kvcalloc(h->len[l - 1], sizeof(*up), GFP_KERNEL);
		if (!up)
			break;
		for (i = 0; i < h->len[l - 1]; i++)
			up[i] = pa_merge(cur, h->len[l], i, 1ULL << pa_level_log(nl, l));
		kvfree(cur);
		cur = up;
	}
	kvfree(cur);
	KUNIT_ASSERT_TRUE(test, l == 0 || bad);
	KUNIT_ASSERT_FALSE_MSG(test, bad,
			       "%s: summary %lu of level %u (of %u) is (%u, %u, %u), recount (%u, %u, %u)",
			       ctx, bad_i, bad_l, nl, palloc_sum_start(bad_got),
			       palloc_sum_max(bad_got), palloc_sum_end(bad_got),
			       palloc_sum_start(bad_want), palloc_sum_max(bad_want),
			       palloc_sum_end(bad_want));
	KUNIT_ASSERT_EQ_MSG(test, palloc_heap_summary(h, nl, 0), 0, "%s: level past the leaves",
			    ctx);
}

static bool pa_stat(struct pa_fix *fx, const char *name, u64 got, u64 want)
{
	KUNIT_EXPECT_EQ_MSG(fx->test, got, want, "seed %u step %u: stats.%s", fx->seed, fx->step,
			    name);
	return got == want;
}

/* Every counter of palloc_heap_stats() against the model. */
static void pa_check_stats(struct pa_fix *fx)
{
	u64 total = bitmap_weight(fx->present, fx->nbits);
	u64 inuse = bitmap_weight(fx->owned, fx->nbits);
	u64 cached = hweight64(fx->c_cache);
	u64 scav = bitmap_weight(fx->scav, fx->nbits), scav_cached = 0;
	struct palloc_stats st;
	bool ok = true;
	unsigned int k;

	for (k = 0; k < 64; k++)
		if ((fx->c_cache >> k) & 1)
			scav_cached += test_bit(fx->c_base + k, fx->scav);
	palloc_heap_stats(fx->h, &st);
	ok &= pa_stat(fx, "pages_total", st.pages_total, total);
	ok &= pa_stat(fx, "pages_inuse", st.pages_inuse, inuse);
	ok &= pa_stat(fx, "pages_free", st.pages_free, total - inuse - cached);
	ok &= pa_stat(fx, "pages_cached", st.pages_cached, cached);
	ok &= pa_stat(fx, "pages_scavenged", st.pages_scavenged, scav - scav_cached);
	ok &= pa_stat(fx, "pages_scavenging", st.pages_scavenging, 0);
	ok &= pa_stat(fx, "total = inuse + free + cached + scavenging", st.pages_total,
		      st.pages_inuse + st.pages_free + st.pages_cached + st.pages_scavenging);
	ok &= pa_stat(fx, "largest_free", st.largest_free, pa_ref_largest(fx));
	ok &= pa_stat(fx, "allocs", st.allocs, fx->allocs);
	ok &= pa_stat(fx, "cache_allocs", st.cache_allocs, fx->cache_allocs);
	ok &= pa_stat(fx, "cache_frees", st.cache_frees, fx->cache_frees);
	ok &= pa_stat(fx, "frees", st.frees, fx->frees);
	ok &= pa_stat(fx, "alloc_failures", st.alloc_failures, fx->alloc_failures);
	ok &= pa_stat(fx, "free_errors", st.free_errors, fx->free_errors);
	ok &= pa_stat(fx, "pages_released", st.pages_released, fx->released);
	ok &= pa_stat(fx, "scavenge_runs", st.scavenge_runs, fx->scav_runs);
	ok &= pa_stat(fx, "dirty pages", palloc_heap_dirty_pages(fx->h),
		      st.pages_free - st.pages_scavenged);
	KUNIT_ASSERT_TRUE_MSG(fx->test, ok, "seed %u step %u: stats differ from the model",
			      fx->seed, fx->step);
}

/*
 * The chunk bitmaps against the model, word by word: a page is allocated
 * unless it is present, not owned and not cached; the free pages that are
 * scavenged are exactly the model's (cached pages drop their bits).
 */
static void pa_check_bits(struct pa_fix *fx)
{
	struct kunit *test = fx->test;
	u64 bit;

	for (bit = 0; bit < fx->nbits; bit += 64) {
		const struct palloc_data *d = &fx->h->chunks[bit / CP];
		unsigned int k = (bit % CP) / 64;
		u64 c = fx->c_cache && fx->c_base == bit ? fx->c_cache : 0;
		u64 pres = pa_word(fx->present, bit), own = pa_word(fx->owned, bit);
		u64 sc = pa_word(fx->scav, bit);
		u64 want_a = ~pres | own | c, want_s = sc & ~c;
		u64 got_a = d->alloc.w[k], got_s = d->scav.w[k] & ~got_a;

		KUNIT_ASSERT_EQ_MSG(test, pa_word(fx->avail, bit), pres & ~own & ~c,
				    "model broken at page %llu", bit);
		KUNIT_ASSERT_EQ_MSG(test, sc & ~(pres & ~own), 0, "model broken at page %llu", bit);
		KUNIT_ASSERT_TRUE_MSG(test, got_a == want_a && got_s == want_s,
				      "seed %u step %u: pages %llu..%llu: alloc %016llx scav %016llx, model %016llx %016llx",
				      fx->seed, fx->step, bit, bit + 63, got_a, got_s, want_a,
				      want_s);
	}
}

/* Everything: stats, bitmaps, summaries, palloc_heap_check(). */
static void pa_check(struct pa_fix *fx)
{
	char ctx[48];

	snprintf(ctx, sizeof(ctx), "seed %u step %u", fx->seed, fx->step);
	pa_check_stats(fx);
	pa_check_bits(fx);
	pa_check_sums(fx->test, fx->h, ctx);
	KUNIT_ASSERT_EQ_MSG(fx->test, palloc_heap_check(fx->h), 0, "%s: palloc_heap_check", ctx);
}

/* ---------------------------------------------------------------------- */
/* Operations, checked against the model                                  */
/* ---------------------------------------------------------------------- */

static bool pa_range_ok(const struct pa_fix *fx, u64 start, u64 n)
{
	return n && start < fx->npages && n <= fx->npages - start;
}

/*
 * palloc_heap_alloc() where the model says it lands, reporting the model's
 * count of scavenged pages.  Return: its result.
 */
static int pa_alloc(struct pa_fix *fx, u64 n, u64 align, u64 *start, u64 *scavp)
{
	struct kunit *test = fx->test;
	u64 want, at = NONE, scav = NONE, want_scav;
	bool cached;
	int ret;

	if (!n || n > fx->npages || !is_power_of_2(align) || align > fx->npages) {
		ret = palloc_heap_alloc(fx->h, n, align, &at, &scav);
		KUNIT_ASSERT_EQ_MSG(test, ret, -EINVAL, "alloc(%llu, align %llu)", n, align);
		return ret;
	}
	want = pa_model_place(fx, n, align, &cached);
	ret = palloc_heap_alloc(fx->h, n, align, &at, &scav);
	if (want == NONE) {
		fx->alloc_failures++;
		KUNIT_ASSERT_EQ_MSG(test, ret, -ENOMEM,
				    "seed %u step %u: alloc(%llu, align %llu) gave %llu; the model has no room",
				    fx->seed, fx->step, n, align, at);
		return ret;
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "seed %u step %u: alloc(%llu, align %llu); model: %llu",
			    fx->seed, fx->step, n, align, want);
	KUNIT_ASSERT_EQ_MSG(test, at, want, "seed %u step %u: alloc(%llu, align %llu) start",
			    fx->seed, fx->step, n, align);
	want_scav = pa_model_take(fx, at, n);
	KUNIT_ASSERT_EQ_MSG(test, scav, want_scav,
			    "seed %u step %u: alloc(%llu, align %llu) at %llu: scavenged pages",
			    fx->seed, fx->step, n, align, at);
	fx->allocs++;
	if (cached)
		fx->cache_allocs++;
	if (start)
		*start = at;
	if (scavp)
		*scavp = scav;
	return 0;
}

/* palloc_heap_free(): refused unless the model owns every page. */
static int pa_free(struct pa_fix *fx, u64 start, u64 n)
{
	struct kunit *test = fx->test;
	bool ok = pa_range_ok(fx, start, n);
	u64 p;
	int ret;

	for (p = start; ok && p < start + n; p++)
		ok = test_bit(p, fx->owned);
	ret = palloc_heap_free(fx->h, start, n);
	if (!ok) {
		fx->free_errors++;
		KUNIT_ASSERT_EQ_MSG(test, ret, -EINVAL, "seed %u step %u: free(%llu, %llu)",
				    fx->seed, fx->step, start, n);
		return ret;
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "seed %u step %u: free(%llu, %llu)", fx->seed, fx->step,
			    start, n);
	fx->frees++;
	if (start >= fx->c_base && start + n <= fx->c_base + 64 &&
	    (fx->c_out & GENMASK_ULL(start + n - 1 - fx->c_base, start - fx->c_base)) ==
	    GENMASK_ULL(start + n - 1 - fx->c_base, start - fx->c_base)) {
		/* Back into this CPU's cache, dirty. */
		for (p = start; p < start + n; p++) {
			clear_bit(p, fx->owned);
			fx->c_cache |= BIT_ULL(p - fx->c_base);
			fx->c_out &= ~BIT_ULL(p - fx->c_base);
		}
		fx->cache_frees++;
		return 0;
	}
	for (p = start; p < start + n; p++) {
		clear_bit(p, fx->owned);
		set_bit(p, fx->avail);
		/* The heap path takes them from the cache's out pages. */
		if (p >= fx->c_base && p < fx->c_base + 64)
			fx->c_out &= ~BIT_ULL(p - fx->c_base);
	}
	return 0;
}

/* palloc_heap_grow(): refused unless every page is absent. */
static int pa_grow(struct pa_fix *fx, u64 start, u64 n, bool scavenged)
{
	struct kunit *test = fx->test;
	bool ok = pa_range_ok(fx, start, n);
	u64 p;
	int ret;

	for (p = start; ok && p < start + n; p++)
		ok = !test_bit(p, fx->present);
	ret = palloc_heap_grow(fx->h, start, n, scavenged);
	KUNIT_ASSERT_EQ_MSG(test, ret, ok ? 0 : -EINVAL, "seed %u step %u: grow(%llu, %llu)",
			    fx->seed, fx->step, start, n);
	if (!ok)
		return ret;
	bitmap_set(fx->present, start, n);
	bitmap_set(fx->avail, start, n);
	if (scavenged)
		bitmap_set(fx->scav, start, n);
	return 0;
}

static void pa_flush(struct pa_fix *fx)
{
	palloc_heap_flush_caches(fx->h);
	pa_model_flush(fx);
}

/* palloc_heap_scavenge(): the model's runs, in its order, and its count. */
static u64 pa_scavenge(struct pa_fix *fx, u64 want, bool force)
{
	struct kunit *test = fx->test;
	unsigned int nexp, k;
	u64 exp, got;

	if (!want) {
		KUNIT_ASSERT_EQ(test, palloc_heap_scavenge(fx->h, 0, force), 0);
		return 0;
	}
	pa_model_flush(fx);
	exp = pa_model_scavenge(fx, want, force, &nexp);
	fx->nlog = 0;
	fx->scav_runs++;
	got = palloc_heap_scavenge(fx->h, want, force);
	KUNIT_ASSERT_EQ_MSG(test, atomic_read(&fx->bad), 0,
			    "seed %u step %u: scavenge(%llu): released [%llu, +%llu): %s",
			    fx->seed, fx->step, want, fx->bad_start, fx->bad_n, fx->bad_why);
	for (k = 0; k < min3(nexp, fx->nlog, (unsigned int)PA_LOG_MAX); k++)
		KUNIT_ASSERT_TRUE_MSG(test, fx->log[k].start == fx->expect[k].start &&
				      fx->log[k].n == fx->expect[k].n,
				      "seed %u step %u: scavenge(%llu, %d) release #%u is [%llu, +%llu), model [%llu, +%llu)",
				      fx->seed, fx->step, want, force, k, fx->log[k].start,
				      fx->log[k].n, fx->expect[k].start, fx->expect[k].n);
	KUNIT_ASSERT_EQ_MSG(test, fx->nlog, nexp, "seed %u step %u: scavenge(%llu, %d): releases",
			    fx->seed, fx->step, want, force);
	KUNIT_ASSERT_EQ_MSG(test, got, exp, "seed %u step %u: scavenge(%llu, %d): released",
			    fx->seed, fx->step, want, force);
	return got;
}

/* ---------------------------------------------------------------------- */
/* Go's test heaps                                                         */
/* ---------------------------------------------------------------------- */

/* A run of pages [i, i + n) of a chunk (Go's BitRange); n == 0 ends a list. */
struct pa_br {
	u16 i;
	u16 n;
};

#define PA_BR_MAX	3
#define PA_CHUNKS_MAX	8
#define PA_HITS_MAX	22

/*
 * A chunk of a Go test heap: its allocated and scavenged pages before, and
 * its allocated and scavenged pages after.  Chunks not listed are absent.
 */
struct pa_gochunk {
	bool used;
	u32 ci;
	struct pa_br alloc[PA_BR_MAX];
	struct pa_br scav[PA_BR_MAX];
	struct pa_br after[PA_BR_MAX];
	struct pa_br after_scav[PA_BR_MAX];
};

struct pa_hit {
	u64 npages;
	u64 base;
	u64 scav;
};

static u64 pa_go_npages(const struct pa_gochunk *gc)
{
	u32 top = 0;
	unsigned int k;

	for (k = 0; k < PA_CHUNKS_MAX && gc[k].used; k++)
		top = max(top, gc[k].ci);
	return PB(top + 1, 0);
}

static void pa_set_brs(unsigned long *bm, u32 ci, const struct pa_br *br)
{
	unsigned int k;

	for (k = 0; k < PA_BR_MAX && br[k].n; k++)
		bitmap_set(bm, PB(ci, br[k].i), br[k].n);
}

/*
 * Allocate [s, s + n) for the test, when every free page is at or above s
 * and [s, s + n) is a whole free run: with the alignment of s the lowest
 * aligned fit is s.  An odd s below CACHE_MAX pages goes through the page
 * cache, whose block must hold the run, so it is cut at the block's end.
 */
static void pa_stage_alloc(struct pa_fix *fx, u64 s, u64 n)
{
	u64 top = rounddown_pow_of_two(fx->npages), at;

	while (n) {
		u64 align = min(s ? s & (~s + 1) : 64, top), len = n;

		if (align == 1 && len < CACHE_MAX)
			len = min(n, ALIGN(s + 1, 64) - s);
		pa_flush(fx);
		KUNIT_ASSERT_EQ(fx->test, pa_alloc(fx, len, align, &at, NULL), 0);
		KUNIT_ASSERT_EQ(fx->test, at, s);
		s += len;
		n -= len;
	}
}

/*
 * Build a Go test heap (Go's NewPageAlloc): the listed chunks are grown,
 * their allocated runs allocated for the test, their other pages free and
 * scavenged where listed.  The allocated pages are grown first, alone, and
 * allocated lowest first, so that each lands where it should.
 */
static void pa_go_heap(struct pa_fix *fx, const struct pa_gochunk *gc)
{
	unsigned long *a = fx->scratch, s, e;
	unsigned long *sc = pa_bitmap(fx->test, fx->nbits);
	unsigned int k;
	u64 p, ci;

	bitmap_zero(a, fx->nbits);
	for (k = 0; k < PA_CHUNKS_MAX && gc[k].used; k++) {
		pa_set_brs(a, gc[k].ci, gc[k].alloc);
		pa_set_brs(sc, gc[k].ci, gc[k].scav);
	}
	for (s = find_first_bit(a, fx->nbits); s < fx->nbits;
	     s = find_next_bit(a, fx->nbits, e)) {
		e = find_next_zero_bit(a, fx->nbits, s);
		pa_grow(fx, s, e - s, false);
	}
	for (s = find_first_bit(a, fx->nbits); s < fx->nbits;
	     s = find_next_bit(a, fx->nbits, e)) {
		e = find_next_zero_bit(a, fx->nbits, s);
		pa_stage_alloc(fx, s, e - s);
	}
	for (k = 0; k < PA_CHUNKS_MAX && gc[k].used; k++) {
		ci = gc[k].ci;
		for (p = PB(ci, 0); p < PB(ci + 1, 0); p = e) {
			bool scv = test_bit(p, sc);

			for (e = p + 1; e < PB(ci + 1, 0) && test_bit(e, sc) == scv &&
			     test_bit(e, fx->owned) == test_bit(p, fx->owned); e++)
				;
			if (!test_bit(p, fx->owned))
				pa_grow(fx, p, e - p, scv);
		}
	}
	kvfree(sc);
	pa_flush(fx);
	pa_check(fx);
}

/*
 * Go's checkPageAlloc on the listed chunks, straight from the heap's
 * bitmaps: the allocated pages are after (alloc when @same_alloc), the free
 * scavenged pages after_scav (scav when @same_scav) minus allocated ones.
 */
static void pa_go_expect(struct pa_fix *fx, const struct pa_gochunk *gc, bool same_alloc,
			 bool same_scav)
{
	struct kunit *test = fx->test;
	unsigned int k, i;

	pa_flush(fx);
	for (k = 0; k < PA_CHUNKS_MAX && gc[k].used; k++) {
		const struct palloc_data *d = &fx->h->chunks[gc[k].ci];
		unsigned long *wa = fx->scratch;
		DECLARE_BITMAP(ws, CP);

		bitmap_zero(wa, CP);
		bitmap_zero(ws, CP);
		pa_set_brs(wa, 0, same_alloc ? gc[k].alloc : gc[k].after);
		pa_set_brs(ws, 0, same_scav ? gc[k].scav : gc[k].after_scav);
		for (i = 0; i < CP; i++) {
			bool ga = (d->alloc.w[i / 64] >> (i % 64)) & 1;
			bool gs = !ga && ((d->scav.w[i / 64] >> (i % 64)) & 1);
			bool xa = test_bit(i, wa), xs = !xa && test_bit(i, ws);

			KUNIT_ASSERT_TRUE_MSG(test, ga == xa && gs == xs,
					      "chunk %u page %u: allocated %d scavenged %d, Go wants %d %d",
					      gc[k].ci, i, ga, gs, xa, xs);
		}
	}
	pa_check(fx);
}

/* ---------------------------------------------------------------------- */
/* Random operation sequences                                              */
/* ---------------------------------------------------------------------- */

struct pa_rnd_cfg {
	unsigned int ops;
	unsigned int check_every;	/* full check every this many steps; stats every step */
	u64 max_pages;			/* largest allocation */
	unsigned int small_pct;		/* allocations of fewer than CACHE_MAX pages */
	unsigned int align_pct;		/* aligned allocations */
	bool scavenge;
	bool grow;
};

static u64 pa_rnd_size(struct rnd_state *rs, const struct pa_rnd_cfg *cfg)
{
	u32 r = pa_rnd(rs, 100);

	if (pa_rnd(rs, 100) < cfg->small_pct)
		return 1 + pa_rnd(rs, CACHE_MAX - 1);
	if (r < 70)
		return CACHE_MAX + pa_rnd(rs, 113);
	if (r < 95 || cfg->max_pages <= 600)
		return 129 + pa_rnd(rs, 472);
	return 601 + pa_rnd(rs, cfg->max_pages - 600);
}

static u64 pa_rnd_align(struct pa_fix *fx, struct rnd_state *rs, const struct pa_rnd_cfg *cfg)
{
	if (pa_rnd(rs, 100) >= cfg->align_pct)
		return 1;
	return min_t(u64, 1ULL << pa_rnd(rs, 12), rounddown_pow_of_two(fx->npages));
}

/* Free all or part of a random live run. */
static void pa_rnd_free(struct pa_fix *fx, struct rnd_state *rs, struct pa_run *live,
			unsigned int *nlive)
{
	unsigned int r = pa_rnd(rs, *nlive);
	struct pa_run run = live[r];
	u64 k, len;

	/* Splitting a run adds one: only while there is room for it. */
	switch (run.n < 3 ? 0 : pa_rnd(rs, *nlive < PA_LIVE_MAX ? 4 : 3)) {
	case 0:
		pa_free(fx, run.start, run.n);
		live[r] = live[--*nlive];
		break;
	case 1:
		k = 1 + pa_rnd(rs, run.n - 1);
		pa_free(fx, run.start, k);
		live[r] = (struct pa_run){ run.start + k, run.n - k };
		break;
	case 2:
		k = 1 + pa_rnd(rs, run.n - 1);
		pa_free(fx, run.start + run.n - k, k);
		live[r].n -= k;
		break;
	default:
		k = 1 + pa_rnd(rs, run.n - 2);
		len = 1 + pa_rnd(rs, run.n - k - 1);
		pa_free(fx, run.start + k, len);
		live[r].n = k;
		live[(*nlive)++] = (struct pa_run){ run.start + k + len, run.n - k - len };
		break;
	}
}

/* A free the model refuses: free, absent, cached, partly owned or outside pages. */
static void pa_rnd_bad_free(struct pa_fix *fx, struct rnd_state *rs)
{
	u64 start = pa_rnd(rs, fx->npages + 64), n = pa_rnd(rs, 65), p;
	bool ok = pa_range_ok(fx, start, n);

	for (p = start; ok && p < start + n; p++)
		ok = test_bit(p, fx->owned);
	if (!ok)
		pa_free(fx, start, n);
}

/* Grow part of a random hole. */
static void pa_rnd_grow(struct pa_fix *fx, struct rnd_state *rs)
{
	u64 p = find_next_zero_bit(fx->present, fx->npages, pa_rnd(rs, fx->npages)), e;

	if (p >= fx->npages)
		return;
	e = find_next_bit(fx->present, fx->npages, p);
	pa_grow(fx, p, min_t(u64, e - p, 1 + pa_rnd(rs, 700)), pa_rnd(rs, 2));
}

/*
 * Random allocations, frees (whole, partial, refused), flushes, scavenges
 * and grows, each checked against the model; at the end everything is
 * freed and the caches flushed.
 */
static void pa_random_ops(struct pa_fix *fx, struct rnd_state *rs, const struct pa_rnd_cfg *cfg)
{
	struct pa_run *live = kunit_kcalloc(fx->test, PA_LIVE_MAX, sizeof(*live), GFP_KERNEL);
	unsigned int nlive = 0, i;
	u64 at;

	KUNIT_ASSERT_NOT_NULL(fx->test, live);
	for (i = 0; i < cfg->ops; i++) {
		u32 op = pa_rnd(rs, 100);

		fx->step = i + 1;
		if (op < 45 && nlive < PA_LIVE_MAX - 1) {
			u64 n = pa_rnd_size(rs, cfg);

			if (!pa_alloc(fx, n, pa_rnd_align(fx, rs, cfg), &at, NULL))
				live[nlive++] = (struct pa_run){ at, n };
		} else if (op < 80 && nlive) {
			pa_rnd_free(fx, rs, live, &nlive);
		} else if (op < 85) {
			pa_rnd_bad_free(fx, rs);
		} else if (op < 88) {
			pa_flush(fx);
		} else if (op < 94 && cfg->scavenge) {
			pa_scavenge(fx, pa_rnd(rs, 8) ? 1 + pa_rnd(rs, 1024) : ALL, !pa_rnd(rs, 4));
		} else if (cfg->grow) {
			pa_rnd_grow(fx, rs);
		}
		if (cfg->check_every <= 1 || !(fx->step % cfg->check_every))
			pa_check(fx);
		else
			pa_check_stats(fx);
	}
	pa_check(fx);
	while (nlive) {
		fx->step++;
		pa_free(fx, live[nlive - 1].start, live[nlive - 1].n);
		nlive--;
	}
	pa_flush(fx);
	pa_check(fx);
}
