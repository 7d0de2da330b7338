// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the page allocator (pagealloc.c): Go's pageAlloc, its
 * per-CPU page caches (pageCache) and the scavenger over a range of pages.
 *
 * Expected values come from Go 1.19's own tests (mpagealloc_test.go,
 * mpagecache_test.go, mgcscavenge_test.go; cases named after the Go
 * subtests), from working Go's semantics through by hand, or from the
 * reference model below, which keeps plain per-page bitmaps and answers
 * every question bit by bit: lowest aligned fit, the page cache of Go's
 * mheap.allocSpan on one CPU, the scavenger's top-down order.  None was
 * produced by running the code under test.
 *
 * Each random case prints its seed; run it again with
 * pagealloc_test.seed=<seed> on the kernel command line.
 */

#include <kunit/test.h>
#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "../pagealloc.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static unsigned int pa_seed;
module_param_named(seed, pa_seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the random cases; 0 = a new random seed per case");

#define CP		PALLOC_CHUNK_PAGES
/* Page @i of chunk @ci (Go's PageBase, in pages). */
#define PB(ci, i)	((u64)(ci) * CP + (i))
/* "No allocation" in the tables (Go's address 0). */
#define NONE		U64_MAX
#define ALL		U64_MAX
#define CACHE_MAX	PALLOC_CACHE_MAX_ALLOC

/* Scavenger release runs remembered per call. */
#define PA_LOG_MAX	1024
/* Live allocations of a random case. */
#define PA_LIVE_MAX	256

struct pa_run {
	u64 start;
	u64 n;
};

struct pa_conc;

/*
 * One test's heap and its reference model.  The model has one bit per page
 * in each bitmap, for every page of every chunk (pages past npages are
 * never present):
 *  - present: grown;
 *  - owned: allocated to the test;
 *  - scav: free and scavenged (pages held by the page cache included);
 *  - avail: free and not held by the page cache.
 * The page cache of the CPU the test is pinned to is c_base/c_cache, with
 * Go's polarity (1 = free page held by the cache); c_out has the pages of
 * its block it handed out that are still the test's, which a free on this
 * CPU gives back to the cache instead of the heap.
 */
struct pa_fix {
	struct kunit *test;
	bool debug_locks;
	u32 seed;
	unsigned int step;
	struct palloc_heap *h;

	u64 npages;
	u64 nbits;
	unsigned long *present;
	unsigned long *owned;
	unsigned long *scav;
	unsigned long *avail;
	unsigned long *scratch;
	u64 c_base;
	u64 c_cache;
	u64 c_out;

	/* The counters palloc_heap_stats() must report. */
	u64 allocs;
	u64 cache_allocs;
	u64 cache_frees;
	u64 frees;
	u64 alloc_failures;
	u64 free_errors;
	u64 released;
	u64 scav_runs;

	/* The release callback: checks every run against the model. */
	struct mutex lock;	/* the model against a background scavenger */
	int release_err;
	bool release_probe;
	struct pa_conc *conc;	/* concurrent mode */
	unsigned int nlog;
	struct pa_run *log;
	struct pa_run *expect;
	atomic_t bad;
	atomic_t probes;
	u64 bad_start;
	u64 bad_n;
	const char *bad_why;
};

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

static struct kunit_case palloc_heap_cases[] = {
	KUNIT_CASE(create_rejects_bad_sizes),
	KUNIT_CASE(alloc_dirty_marks_unscavenged),
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

static struct kunit_case palloc_cache_cases[] = {
	KUNIT_CASE_PARAM(cache_alloc_go_cases, cache_cases_gen_params),
	KUNIT_CASE(cache_flush_go),
	KUNIT_CASE(small_allocs_use_cache),
	KUNIT_CASE(full_heap_flushes_caches),
	KUNIT_CASE(cache_random_never_twice),
	KUNIT_CASE(flush_returns_everything),
	KUNIT_CASE(cache_takes_back_its_frees),
	KUNIT_CASE(heap_free_clears_cache_out),
	{}
};

static struct kunit_suite palloc_cache_suite = {
	.name = "palloc_cache",
	.init = pa_init,
	.exit = pa_exit,
	.test_cases = palloc_cache_cases,
};

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

/* ---------------------------------------------------------------------- */
/* palloc_concurrent                                                       */
/* ---------------------------------------------------------------------- */

#define PA_THREADS	4
#define PA_THREAD_OPS	20000
#define PA_THREAD_RUNS	48

struct pa_worker {
	struct pa_conc *c;
	unsigned int id;
	struct task_struct *task;
	struct rnd_state rs;
	struct completion turn;	/* one CPU: this thread's turn to run */
	unsigned int lent;	/* turns handed on without waiting (see pa_release_owner) */
	bool finished;
	struct completion done;
};

/* Shared by the threads; failures are counted here and reported by the test. */
struct pa_conc {
	struct palloc_heap *h;
	unsigned long *owner;	/* one bit per page: owned by a thread or the scavenger */
	u64 npages;
	u32 seed;
	bool baton;		/* one CPU: the threads take turns, a few operations each */
	struct pa_worker w[PA_THREADS];
	atomic_t dup;
	atomic_t lost;
	atomic_t bad_free;
	atomic_t bad_alloc;
	atomic64_t first_dup;
	atomic64_t allocs;
	atomic64_t enomem;
	atomic64_t scavenged;
	atomic_t last;		/* the thread that did the last operation */
	atomic_t switches;	/* operations done by another thread than the one before */
	atomic_t handoffs;	/* releases during which other threads ran */
};

/*
 * On one CPU without preemption the threads would run one after the other:
 * there a thread runs a few operations, hands the CPU to a random other
 * unfinished thread and waits for its turn (unless !@wait: then both run).
 * With several CPUs they run freely.
 */
static bool pa_pass(struct pa_worker *w, bool finished, bool wait)
{
	struct pa_conc *c = w->c;
	unsigned int k, start;

	if (!c->baton)
		return false;
	if (finished)
		WRITE_ONCE(w->finished, true);
	start = pa_rnd(&w->rs, PA_THREADS);
	for (k = 0; k < PA_THREADS; k++) {
		struct pa_worker *next = &c->w[(start + k) % PA_THREADS];

		if (next != w && !READ_ONCE(next->finished)) {
			complete(&next->turn);
			break;
		}
	}
	if (k == PA_THREADS && !finished)
		return false;	/* the last one running */
	if (!finished && wait)
		wait_for_completion(&w->turn);
	return k < PA_THREADS;
}

/* Take ownership of [start, start + n): a bit already set is a page owned twice. */
static void pa_own(struct pa_conc *c, u64 start, u64 n)
{
	u64 p;

	for (p = start; p < start + n; p++) {
		if (test_and_set_bit(p, c->owner) && atomic_inc_return(&c->dup) == 1)
			atomic64_set(&c->first_dup, p);
	}
}

static void pa_disown(struct pa_conc *c, u64 start, u64 n)
{
	u64 p;

	for (p = start; p < start + n; p++)
		if (!test_and_clear_bit(p, c->owner))
			atomic_inc(&c->lost);
}

/*
 * Concurrent mode's release callback: the scavenger owns the run while it
 * releases it, freeing it meanwhile is refused, and on one CPU the other
 * threads run while it is in flight (when a thread, not the background
 * scavenger, is releasing).
 */
static int pa_release_owner(struct pa_fix *fx, u64 start, u64 npages)
{
	struct pa_conc *c = fx->conc;
	unsigned int k;

	if (start >= c->npages || npages > c->npages - start) {
		pa_bad(fx, start, npages, "released pages outside the range");
		return 0;
	}
	pa_own(c, start, npages);
	if (palloc_heap_free(fx->h, start, npages) != -EINVAL)
		pa_bad(fx, start, npages, "freeing a run being released did not fail");
	atomic_inc(&fx->probes);
	for (k = 0; k < PA_THREADS; k++) {
		if (c->w[k].task == current) {
			/*
			 * Wake another thread but do not wait for the turn to
			 * come back here: it may be an allocation that waits
			 * for this very run.  The worker waits for it once the
			 * scavenge is over, so that one thread runs at a time.
			 */
			atomic_inc(&c->handoffs);
			if (pa_pass(&c->w[k], false, false))
				c->w[k].lent++;
		}
	}
	cond_resched();
	pa_disown(c, start, npages);
	return 0;
}

static void pa_worker_free(struct pa_conc *c, u64 start, u64 n)
{
	pa_disown(c, start, n);
	if (palloc_heap_free(c->h, start, n))
		atomic_inc(&c->bad_free);
}

static void pa_worker_alloc(struct pa_worker *w, struct pa_run *live, unsigned int *nlive)
{
	struct pa_conc *c = w->c;
	bool small = pa_rnd(&w->rs, 2);
	u64 n = small ? 1 + pa_rnd(&w->rs, CACHE_MAX - 1) : 1 + pa_rnd(&w->rs, 600);
	u64 align = small ? 1 : 1ULL << pa_rnd(&w->rs, 11), at, scav;
	int ret = palloc_heap_alloc(c->h, n, align, &at, &scav);

	if (ret == -ENOMEM) {
		atomic64_inc(&c->enomem);
	} else if (ret || at >= c->npages || n > c->npages - at || at % align || scav > n) {
		atomic_inc(&c->bad_alloc);
	} else {
		pa_own(c, at, n);
		live[(*nlive)++] = (struct pa_run){ at, n };
		atomic64_inc(&c->allocs);
	}
}

/*
 * Random allocations (1..600 pages, random alignment, half of them small
 * and unaligned) and frees (whole runs or their first part); thread 0 also
 * scavenges now and then.
 */
static int pa_worker_fn(void *arg)
{
	struct pa_worker *w = arg;
	struct pa_conc *c = w->c;
	struct pa_run live[PA_THREAD_RUNS];
	unsigned int nlive = 0, i, burst = 0;

	if (c->baton)
		wait_for_completion(&w->turn);
	for (i = 0; i < PA_THREAD_OPS; i++) {
		u32 op = pa_rnd(&w->rs, 100);

		if (nlive == PA_THREAD_RUNS || (nlive && op < 45)) {
			unsigned int r = pa_rnd(&w->rs, nlive);
			u64 k = live[r].n;

			if (k > 1 && pa_rnd(&w->rs, 2))
				k = 1 + pa_rnd(&w->rs, k - 1);
			pa_worker_free(c, live[r].start, k);
			if (k == live[r].n) {
				live[r] = live[--nlive];
			} else {
				live[r].start += k;
				live[r].n -= k;
			}
		} else if (!w->id && op >= 98) {
			atomic64_add(palloc_heap_scavenge(c->h, 1 + pa_rnd(&w->rs, 2048),
							  pa_rnd(&w->rs, 2)), &c->scavenged);
			/*
			 * Take the lent turns back.  Bounded: a turn completed
			 * for a thread that then finished is lost, and waiting
			 * for it would never end.
			 */
			for (; w->lent; w->lent--)
				wait_for_completion_timeout(&w->turn, msecs_to_jiffies(100));
		} else {
			pa_worker_alloc(w, live, &nlive);
		}
		if (atomic_xchg(&c->last, w->id) != w->id)
			atomic_inc(&c->switches);
		if (!burst--) {
			burst = pa_rnd(&w->rs, 8);
			pa_pass(w, false, true);
		}
		cond_resched();
	}
	while (nlive--)
		pa_worker_free(c, live[nlive].start, live[nlive].n);
	pa_pass(w, true, true);
	kthread_complete_and_exit(&w->done, 0);
}

/*
 * PA_THREADS threads allocate and free at random while the background
 * scavenger and thread 0 release pages: no page is ever owned twice (the
 * scavenger owns what it releases), every free of an owned run works, and
 * once everything is freed and the caches flushed the heap is whole.
 */
static void threads_never_share_pages(struct kunit *test)
{
	const u64 n = 32 * CP + 300;
	struct pa_fix *fx = pa_setup(test, n);
	struct pa_conc *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct palloc_stats st;
	unsigned int k, started = 0;
	struct rnd_state rs;
	u64 at, scav;

	KUNIT_ASSERT_NOT_NULL(test, c);
	pa_rnd_init(fx, &rs);
	c->h = fx->h;
	c->npages = n;
	c->seed = fx->seed;
	c->owner = fx->scratch;
	c->baton = num_online_cpus() == 1;
	bitmap_zero(c->owner, fx->nbits);
	pa_grow(fx, 0, 8000, false);
	pa_grow(fx, 8000, n - 8000, true);
	fx->conc = c;
	palloc_heap_set_goal(fx->h, 2048, 50);
	for (k = 0; k < PA_THREADS; k++) {
		struct pa_worker *w = &c->w[k];

		w->c = c;
		w->id = k;
		prandom_seed_state(&w->rs, (u64)fx->seed * PA_THREADS + k);
		init_completion(&w->turn);
		init_completion(&w->done);
		/* Not started yet: out of the turns. */
		w->finished = true;
	}
	for (k = 0; k < PA_THREADS; k++) {
		struct task_struct *t = kthread_create(pa_worker_fn, &c->w[k], "palloc_test/%u",
						       k);

		if (IS_ERR(t))
			break;
		c->w[k].task = t;
		c->w[k].finished = false;
		started++;
	}
	for (k = 0; k < started; k++)
		wake_up_process(c->w[k].task);
	if (started && c->baton)
		complete(&c->w[0].turn);
	for (k = 0; k < started; k++)
		wait_for_completion(&c->w[k].done);
	palloc_heap_set_goal(fx->h, U64_MAX, 1);
	flush_delayed_work(&fx->h->scavenger.work);
	fx->conc = NULL;
	KUNIT_ASSERT_EQ_MSG(test, started, PA_THREADS, "kthread_create failed");

	kunit_info(test, "%lld allocations, %lld failed for room, %lld pages scavenged by thread 0, %d releases owned (%d by threads), %d thread switches\n",
		   atomic64_read(&c->allocs), atomic64_read(&c->enomem),
		   atomic64_read(&c->scavenged), atomic_read(&fx->probes),
		   atomic_read(&c->handoffs), atomic_read(&c->switches));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->dup), 0,
			    "seed %u: pages owned twice, first %lld", fx->seed,
			    atomic64_read(&c->first_dup));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->lost), 0, "seed %u: ownership lost", fx->seed);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->bad_free), 0,
			    "seed %u: frees of owned runs failed", fx->seed);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->bad_alloc), 0, "seed %u: bad allocations",
			    fx->seed);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(c->owner, n));
	KUNIT_EXPECT_GT(test, atomic_read(&c->switches), PA_THREADS * PA_THREAD_OPS / 16);

	palloc_heap_flush_caches(fx->h);
	palloc_heap_stats(fx->h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total, n);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 0);
	KUNIT_EXPECT_EQ(test, st.pages_cached, 0);
	KUNIT_EXPECT_EQ(test, st.pages_scavenging, 0);
	KUNIT_EXPECT_EQ(test, st.pages_free, n);
	KUNIT_EXPECT_EQ(test, st.largest_free, n);
	KUNIT_EXPECT_EQ(test, st.pages_total,
			st.pages_inuse + st.pages_free + st.pages_cached + st.pages_scavenging);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(fx->h), 0);
	pa_check_sums(test, fx->h, "after the threads");
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(fx->h, n, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, st.pages_scavenged);
}

static struct kunit_case palloc_concurrent_cases[] = {
	KUNIT_CASE(threads_never_share_pages),
	{}
};

static struct kunit_suite palloc_concurrent_suite = {
	.name = "palloc_concurrent",
	.init = pa_init,
	.exit = pa_exit,
	.test_cases = palloc_concurrent_cases,
};

kunit_test_suites(&palloc_heap_suite, &palloc_cache_suite, &palloc_scavenge_suite,
		  &palloc_concurrent_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for the pallocbits page allocator");
