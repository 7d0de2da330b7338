// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits page allocator: Go's pageAlloc over a range of chunks.
 *
 * The range [0, npages) is covered by chunks of PALLOC_CHUNK_PAGES pages,
 * each a struct palloc_data.  A radix tree of packed summaries (fan-out 8,
 * Go's mergeSummaries) sits on the chunks, so a first-fit search descends
 * the tree instead of scanning chunks.  Small allocations come from per-CPU
 * 64-page caches (Go's pageCache).  A scavenger releases free pages from the
 * top of the range down through a callback of the layer above, marking them
 * scavenged (known zero) in the chunk bitmaps.
 *
 * The algorithms come from the Go runtime (mpagealloc.go, mpagecache.go,
 * mgcscavenge.go; BSD-3-Clause), re-implemented.  Additions: aligned
 * allocation, checked frees, a bounded-work search.
 *
 * Invariants, enforced here:
 *  - scavenged => free (allocation clears scavenged bits, see pallocbits.c)
 *    for present pages; absent pages (never grown, or past the range's end)
 *    are allocated and scavenged at once, so that frees and grows can tell
 *    them from allocated pages;
 *  - every summary equals the merge of its children; 0 means no free page;
 *  - every page below search_addr is allocated;
 *  - nothing proportional to the whole range is done under the heap lock
 *    (except palloc_heap_check(), a test and debug aid).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "pagealloc.h"

#define CREATE_TRACE_POINTS
#include "palloc_trace.h"

/* Leaf summaries: 10-bit fields, enough for 0..512. */
#define PALLOC_LEAF_BITS	10
#define PALLOC_LEAF_MASK	((1U << PALLOC_LEAF_BITS) - 1)
/* Background scavenger: work slice, and how long a cache may stay idle. */
#define PALLOC_SCAV_SLICE_NS	(1 * NSEC_PER_MSEC)
#define PALLOC_SCAV_IDLE	(HZ)

static void palloc_kick(struct palloc_heap *h, u64 dirty);
static void palloc_scavenger_work(struct work_struct *work);

/*
 * The heap lock.  KUnit builds count the chunks each hold touches, so that
 * a test can check the bound the header promises, and time the holds.
 */
static inline void palloc_lock(struct palloc_heap *h)
	__acquires(&h->lock)
{
	spin_lock(&h->lock);
#if IS_ENABLED(CONFIG_PALLOCBITS_KUNIT_TEST)
	h->hold_chunks = 0;
	h->hold_t0 = ktime_get_ns();
#endif
}

static inline void palloc_unlock(struct palloc_heap *h)
	__releases(&h->lock)
{
#if IS_ENABLED(CONFIG_PALLOCBITS_KUNIT_TEST)
	h->hold_chunks_max = max(h->hold_chunks_max, h->hold_chunks);
	h->hold_ns_max = max(h->hold_ns_max, ktime_get_ns() - h->hold_t0);
#endif
	spin_unlock(&h->lock);
}

/* Account @n chunks of work to the current hold (KUnit builds only). */
static inline void palloc_hold_work(struct palloc_heap *h, unsigned long n)
{
#if IS_ENABLED(CONFIG_PALLOCBITS_KUNIT_TEST)
	h->hold_chunks += n;
#endif
}

/* Drop the heap lock for a moment: a lock break between two batches. */
static void palloc_lock_break(struct palloc_heap *h)
	__must_hold(&h->lock)
{
	palloc_unlock(h);
	cond_resched();
	palloc_lock(h);
}

/* Does [start, start + npages) overlap the reservation? */
static bool palloc_resv_overlaps(const struct palloc_heap *h, u64 start, u64 npages)
{
	lockdep_assert_held(&h->lock);
	return start < h->resv_end && h->resv_start < start + npages;
}

static inline unsigned int palloc_level_log_pages(const struct palloc_heap *h, unsigned int l)
{
	return ilog2(PALLOC_CHUNK_PAGES) + PALLOC_LEVEL_BITS * (h->nlevels - 1 - l);
}

static u32 palloc_leaf_pack(palloc_sum_t s)
{
	return __palloc_sum_start(s) | __palloc_sum_max(s) << PALLOC_LEAF_BITS |
	       __palloc_sum_end(s) << (2 * PALLOC_LEAF_BITS);
}

static palloc_sum_t palloc_leaf_unpack(u32 v)
{
	return __palloc_sum_pack(v & PALLOC_LEAF_MASK, (v >> PALLOC_LEAF_BITS) & PALLOC_LEAF_MASK,
				 (v >> (2 * PALLOC_LEAF_BITS)) & PALLOC_LEAF_MASK);
}

/* Summary of entry @i of level @l; entries past the level's end are full. */
static palloc_sum_t palloc_sum_get(const struct palloc_heap *h, unsigned int l, unsigned long i)
{
	if (i >= h->len[l])
		return 0;
	if (l == h->nlevels - 1)
		return palloc_leaf_unpack(h->leaf[i]);
	return h->sum[l][i];
}

/*
 * Merge @n consecutive entries of level @l from entry @first (Go's
 * mergeSummaries): a run of free pages is stitched across entries from the
 * end of one to the start of the next.  Unpacked, as the root's merge may
 * exceed the packed fields.  Return: the merged max; *@start and *@end get
 * the merged start and end.
 */
static u64 palloc_sum_merge_range(const struct palloc_heap *h, unsigned int l,
				  unsigned long first, unsigned long n, u64 *start, u64 *end)
{
	u64 f = 1ULL << palloc_level_log_pages(h, l), most = 0;
	unsigned long c;

	*start = 0;
	*end = 0;
	for (c = 0; c < n; c++) {
		palloc_sum_t s = palloc_sum_get(h, l, first + c);
		u64 cs = __palloc_sum_start(s), ce = __palloc_sum_end(s);

		if (*start == c * f)
			*start += cs;
		most = max3(most, *end + cs, (u64)__palloc_sum_max(s));
		*end = ce == f ? *end + f : ce;
	}
	return most;
}

/* The summary of entry @i of level @l: the merge of its 8 children. */
static palloc_sum_t palloc_sum_merge(const struct palloc_heap *h, unsigned int l, unsigned long i)
{
	u64 start, end, most;

	most = palloc_sum_merge_range(h, l + 1, i << PALLOC_LEVEL_BITS,
				      1U << PALLOC_LEVEL_BITS, &start, &end);
	return __palloc_sum_pack(start, most, end);
}

/*
 * Recompute the leaves of chunks [sc, ec] and every ancestor, stopping as
 * soon as a level does not change (Go's pageAlloc.update).  Work is
 * proportional to the chunks touched.
 */
static void palloc_update(struct palloc_heap *h, unsigned long sc, unsigned long ec)
{
	unsigned long ci, lo = sc, hi = ec;
	bool changed = false;
	int l;

	lockdep_assert_held(&h->lock);
	for (ci = sc; ci <= ec; ci++) {
		u32 v = palloc_leaf_pack(palloc_bits_summarize(&h->chunks[ci].alloc));

		if (h->leaf[ci] != v) {
			h->leaf[ci] = v;
			changed = true;
		}
	}
	for (l = h->nlevels - 2; l >= 0 && changed; l--) {
		unsigned long i;

		lo >>= PALLOC_LEVEL_BITS;
		hi >>= PALLOC_LEVEL_BITS;
		changed = false;
		for (i = lo; i <= hi; i++) {
			palloc_sum_t s = palloc_sum_merge(h, l, i);

			if (h->sum[l][i] != s) {
				h->sum[l][i] = s;
				changed = true;
			}
		}
	}
}

static inline struct palloc_data *palloc_chunk(struct palloc_heap *h, u64 page)
{
	return &h->chunks[page / PALLOC_CHUNK_PAGES];
}

/*
 * The piece of [p, end) in one chunk: its chunk index, first page in the
 * chunk, and (returned) length.
 */
static unsigned int palloc_piece(u64 p, u64 end, unsigned long *ci, unsigned int *i)
{
	*ci = p / PALLOC_CHUNK_PAGES;
	*i = p % PALLOC_CHUNK_PAGES;
	return min_t(u64, PALLOC_CHUNK_PAGES - *i, end - p);
}

/*
 * Are all pages of [start, start + npages) allocated and present?  Present
 * allocated pages have no scavenged bit; absent ones have both bits.
 */
static bool palloc_freeable(struct palloc_heap *h, u64 start, u64 npages)
{
	unsigned long ci;
	unsigned int i, n;
	u64 p;

	lockdep_assert_held(&h->lock);
	for (p = start; p < start + npages; p += n) {
		struct palloc_data *d;

		n = palloc_piece(p, start + npages, &ci, &i);
		d = &h->chunks[ci];
		palloc_hold_work(h, 1);
		if (palloc_bits_popcnt_range(&d->alloc, i, n) != n ||
		    palloc_bits_popcnt_range(&d->scav, i, n))
			return false;
	}
	return true;
}

/* First page of the run [lo, 512) of @b that is @set, or 512. */
static unsigned int palloc_bits_next(const struct palloc_bits *b, unsigned int lo, bool set)
{
	unsigned int k;

	for (k = lo / 64; k < PALLOC_CHUNK_WORDS; k++) {
		u64 x = set ? b->w[k] : ~b->w[k];

		if (k == lo / 64)
			x &= ~0ULL << (lo % 64);
		if (x)
			return k * 64 + palloc_ctz64(x);
	}
	return PALLOC_CHUNK_PAGES;
}

/*
 * Note in @dirty (bit k for page @off + k of the run) the pages of
 * [i, i + n) of chunk @d that are not scavenged: they hold an old owner's
 * data.  Called before the pages are allocated (which clears the bits).
 */
static void palloc_note_dirty(const struct palloc_data *d, unsigned int i, unsigned int n,
			      unsigned long *dirty, u64 off)
{
	unsigned int lo = i, hi;

	while (lo < i + n) {
		lo = palloc_bits_next(&d->scav, lo, false);
		if (lo >= i + n)
			break;
		hi = min(palloc_bits_next(&d->scav, lo, true), i + n);
		bitmap_set(dirty, off + lo - i, hi - lo);
		lo = hi;
	}
}

/*
 * Mark free pages [start, start + npages) allocated (Go's allocRange).
 * Return: how many of them were scavenged.
 */
static u64 palloc_alloc_range(struct palloc_heap *h, u64 start, u64 npages, unsigned long *dirty,
			      u64 run)
{
	unsigned long ci;
	unsigned int i, n;
	u64 scav = 0, p;

	lockdep_assert_held(&h->lock);
	for (p = start; p < start + npages; p += n) {
		n = palloc_piece(p, start + npages, &ci, &i);
		struct palloc_data *d = &h->chunks[ci];

		palloc_hold_work(h, 1);
		if (dirty)
			palloc_note_dirty(d, i, n, dirty, p - run);
		scav += palloc_bits_popcnt_range(&d->scav, i, n);
		if (n == PALLOC_CHUNK_PAGES)
			palloc_data_alloc_all(d);
		else
			palloc_data_alloc_range(d, i, n);
	}
	h->pages_free -= npages;
	h->pages_scav -= scav;
	palloc_update(h, start / PALLOC_CHUNK_PAGES, (start + npages - 1) / PALLOC_CHUNK_PAGES);
	return scav;
}

/*
 * Mark allocated (or absent) pages [start, start + npages) free, and
 * scavenged if @scavenged, dirty otherwise (Go's free; the scavenger and
 * grow set the bits).
 */
static void palloc_free_range(struct palloc_heap *h, u64 start, u64 npages, bool scavenged)
{
	unsigned long ci;
	unsigned int i, n;
	u64 p;

	lockdep_assert_held(&h->lock);
	for (p = start; p < start + npages; p += n) {
		n = palloc_piece(p, start + npages, &ci, &i);
		struct palloc_data *d = &h->chunks[ci];

		palloc_hold_work(h, 1);
		palloc_bits_free(&d->alloc, i, n);
		if (scavenged) {
			palloc_bits_set_range(&d->scav, i, n);
		} else {
			/* Only absent pages have scavenged bits to drop here. */
			palloc_bits_clear_range(&d->scav, i, n);
			set_bit(ci, h->dirty);
		}
	}
	h->pages_free += npages;
	if (scavenged)
		h->pages_scav += npages;
	h->search_addr = min(h->search_addr, start);
	palloc_update(h, start / PALLOC_CHUNK_PAGES, (start + npages - 1) / PALLOC_CHUNK_PAGES);
}

/*
 * Lowest @align-aligned run of @npages free pages of a chunk whose absolute
 * first page is @base, starting at page @from.  Bounded by the chunk's size.
 */
static unsigned int palloc_chunk_find(const struct palloc_bits *b, u64 base, unsigned int npages,
				      u64 align, unsigned int from, unsigned int *hint)
{
	unsigned int lo = from, hi;

	if (align == 1)
		return palloc_bits_find(b, npages, from, hint);
	*hint = palloc_bits_find1(b, from);
	while (lo < PALLOC_CHUNK_PAGES) {
		u64 a;

		lo = palloc_bits_next(b, lo, false);
		if (lo >= PALLOC_CHUNK_PAGES)
			break;
		hi = palloc_bits_next(b, lo, true);
		a = ALIGN(base + lo, align) - base;
		if (a + npages <= hi)
			return a;
		lo = hi;
	}
	return PALLOC_NOT_FOUND;
}

/* A level of the search: a block of entries being scanned, and the open run. */
struct palloc_scan {
	unsigned long blk;	/* first entry of the block */
	unsigned long nent;	/* entries in the block */
	unsigned long j;	/* current entry, relative to blk */
	u64 run_base;		/* first page of the open free run */
	u64 run_size;		/* its length so far; 0 = none */
};

/* State of one search down the summary tree. */
struct palloc_search {
	struct palloc_heap *h;
	u64 npages;
	u64 align;
	u64 sa;			/* search_addr when the search began */
	u64 hint;		/* every page below it is allocated */
	bool frontier;		/* all entries seen so far were full */
	unsigned int l;		/* current level */
	struct palloc_scan st[PALLOC_MAX_LEVELS];
};

/* Does [base, base + size) hold an @align-aligned run of @npages pages? */
static bool palloc_fits(u64 base, u64 size, u64 npages, u64 align, u64 *at)
{
	u64 a = ALIGN(base, align);

	if (a + npages > base + size)
		return false;
	*at = a;
	return true;
}

/* Close the open run of level @l at entry @e: only its free end stays open. */
static void palloc_search_restart(struct palloc_search *q, unsigned int l, unsigned long e)
{
	struct palloc_scan *s = &q->st[l];
	palloc_sum_t sum = palloc_sum_get(q->h, l, e);

	s->run_size = __palloc_sum_end(sum);
	s->run_base = ((u64)(e + 1) << palloc_level_log_pages(q->h, l)) - s->run_size;
	s->j++;
}

/* Search chunk @e, whose longest run may hold the request. */
static bool palloc_search_chunk(struct palloc_search *q, unsigned long e, u64 *at)
{
	u64 base = (u64)e * PALLOC_CHUNK_PAGES;
	unsigned int from = 0, idx, nsi;

	if (q->sa / PALLOC_CHUNK_PAGES == e)
		from = q->sa % PALLOC_CHUNK_PAGES;
	idx = palloc_chunk_find(&q->h->chunks[e].alloc, base, q->npages, q->align, from, &nsi);
	if (q->frontier && nsi != PALLOC_NOT_FOUND)
		q->hint = max(q->hint, base + nsi);
	q->frontier = false;
	if (idx == PALLOC_NOT_FOUND) {
		WARN_ON_ONCE(q->align == 1);	/* Go's "bad summary data" */
		return false;
	}
	*at = base + idx;
	return true;
}

/* Go one level down, into the 8 children of entry @e of the current level. */
static void palloc_search_descend(struct palloc_search *q, unsigned long e)
{
	struct palloc_heap *h = q->h;
	unsigned int l = q->l;
	unsigned long cblk = e << PALLOC_LEVEL_BITS, cj = 0;

	if ((q->sa >> palloc_level_log_pages(h, l)) == e)
		cj = (q->sa >> palloc_level_log_pages(h, l + 1)) - cblk;
	q->st[l + 1] = (struct palloc_scan){
		.blk = cblk,
		.nent = min_t(unsigned long, 1U << PALLOC_LEVEL_BITS, h->len[l + 1] - cblk),
		.j = cj,
	};
	q->l = l + 1;
}

/*
 * Look at the current entry of the current level.  Return: true when the
 * request was placed at *@at; otherwise the search state has moved on.
 */
static bool palloc_search_step(struct palloc_search *q, u64 *at)
{
	struct palloc_heap *h = q->h;
	struct palloc_scan *s = &q->st[q->l];
	unsigned int logp = palloc_level_log_pages(h, q->l);
	unsigned long e = s->blk + s->j;
	palloc_sum_t sum = palloc_sum_get(h, q->l, e);
	u64 f = 1ULL << logp, base = (u64)e << logp, cs;

	if (!sum) {
		s->run_size = 0;
		if (q->frontier)
			q->hint = min(max(q->hint, base + f), h->npages);
		s->j++;
		return false;
	}
	if (q->frontier)
		q->hint = max(q->hint, base);
	cs = __palloc_sum_start(sum);
	if (!s->run_size)
		s->run_base = base;
	/* A run crossing into this entry is lower than any inside it. */
	if (s->run_size + cs >= q->npages &&
	    palloc_fits(s->run_base, s->run_size + cs, q->npages, q->align, at))
		return true;
	if (cs == f) {
		/* Fully free: the run goes on. */
		s->run_size += f;
		q->frontier = false;
		s->j++;
		return false;
	}
	/* An aligned fit inside needs an aligned page inside: align < f. */
	if (__palloc_sum_max(sum) >= q->npages && q->align < f) {
		if (q->l < h->nlevels - 1) {
			palloc_search_descend(q, e);
			return false;
		}
		if (palloc_search_chunk(q, e, at))
			return true;
	}
	q->frontier = false;
	palloc_search_restart(q, q->l, e);
	return false;
}

/*
 * First-fit search down the summary tree (Go's find), generalised to
 * aligned runs, from page *@from (search_addr, or a resume point above it).
 * For @align == 1 every descent succeeds, as in Go, and the work is bounded
 * by the tree's depth.  An aligned search descends only into entries whose
 * longest run could hold the request and backtracks when one does not; it
 * looks at PALLOC_ALIGN_BUDGET entries at most, then stops with *@from set
 * to where to resume, so that the caller can drop the lock in between.
 *
 * *@hint gets a new lower bound for search_addr: every page below it is
 * allocated (Go's candidate searchAddr).
 *
 * Return: 1 and the first page in *@at; 0 if no run fits; -EAGAIN when
 * the budget ran out.
 */
static int palloc_find(struct palloc_heap *h, u64 npages, u64 align, u64 *from, u64 *at,
		       u64 *hint)
{
	struct palloc_search q = {
		.h = h, .npages = npages, .align = align,
		.sa = *from, .hint = h->search_addr, .frontier = *from == h->search_addr,
	};
	unsigned int budget = h->search_budget;

	lockdep_assert_held(&h->lock);
	q.st[0] = (struct palloc_scan){
		.nent = h->len[0], .j = q.sa >> palloc_level_log_pages(h, 0),
	};
	for (;;) {
		struct palloc_scan *s = &q.st[q.l];

		if (s->j >= s->nent) {
			/* Block exhausted: back to the parent, past the entry. */
			if (!q.l)
				return 0;
			q.l--;
			palloc_search_restart(&q, q.l, q.st[q.l].blk + q.st[q.l].j);
			continue;
		}
		if (align > 1 && !budget--) {
			/*
			 * Resume at this entry, or at the free run still open
			 * before it: a fit may start there and end in this
			 * entry or after it.  A resume point that is not past
			 * *@from would repeat this search: go on instead.
			 */
			u64 resume = s->run_size ? s->run_base :
				     (u64)(s->blk + s->j) << palloc_level_log_pages(h, q.l);

			if (resume > *from) {
				*from = resume;
				return -EAGAIN;
			}
			budget = h->search_budget;
		}
		if (palloc_search_step(&q, at)) {
			*hint = q.hint;
			return 1;
		}
	}
}

/*
 * Index of cache @c's entry for the block at @base in h->cache_blocks: one
 * entry per cache and block, so two caches may hold pages of one block.
 */
static unsigned long palloc_cache_index(const struct palloc_pcache *c, u64 base)
{
	return (unsigned long)(base / PALLOC_CACHE_PAGES) * nr_cpu_ids + c->cpu;
}

/*
 * Is any page of [start, start + npages) held free by a per-CPU cache?
 * Looks only at the caches that hold a block of the range (h->cache_blocks),
 * so the work is bounded by the range, not by the number of CPUs.
 *
 * Called on the heap's free path, it first clears the range's @out bits
 * in those caches, so that no cache takes these pages back lock-free
 * after the heap has them.  A lock-free free sets its cache bits before it
 * clears its @out bits (both fully ordered), so either it sees its bits
 * gone and falls back to the heap path, or this sees the cache bits.
 */
static bool palloc_cached(struct palloc_heap *h, u64 start, u64 npages)
{
	unsigned long first = start / PALLOC_CACHE_PAGES;
	unsigned long last = (start + npages - 1) / PALLOC_CACHE_PAGES;
	struct palloc_pcache *c;
	unsigned long idx;

	lockdep_assert_held(&h->lock);
	xa_for_each_range(&h->cache_blocks, idx, c, first * nr_cpu_ids,
			  last * nr_cpu_ids + nr_cpu_ids - 1) {
		/* base only changes under h->lock; cache bits only drop without it. */
		u64 base = (u64)(idx / nr_cpu_ids) * PALLOC_CACHE_PAGES;
		u64 lo = max(start, base) - base;
		u64 hi = min(start + npages, base + PALLOC_CACHE_PAGES) - base;
		u64 m = GENMASK_ULL(hi - 1, lo);

		if (c->base != base)
			continue;
		atomic64_fetch_andnot(m, &c->out);
		if (READ_ONCE(c->cache) & m)
			return true;
	}
	return false;
}

/* The longest free run: the merge of the root (at most 512 entries). */
static u64 palloc_largest_free(struct palloc_heap *h)
{
	u64 start, end;

	lockdep_assert_held(&h->lock);
	return palloc_sum_merge_range(h, 0, 0, h->len[0], &start, &end);
}

/**
 * palloc_heap_create() - set up an empty heap for pages [0, @npages)
 * @npages: size of the range in pages, 1 .. PALLOC_MAX_PAGES
 * @release: how the scavenger releases pages, or NULL
 * @priv: argument of @release
 *
 * Every page starts absent; palloc_heap_grow() adds them.
 *
 * Context: Process context, may sleep.
 * Return: the heap, or an ERR_PTR: -EINVAL for a bad size, -ENOMEM.
 */
struct palloc_heap *palloc_heap_create(u64 npages, palloc_release_t release, void *priv)
{
	struct palloc_heap *h;
	unsigned long n;
	unsigned int l, nl;
	int cpu;

	if (!npages || npages > PALLOC_MAX_PAGES)
		return ERR_PTR(-EINVAL);
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&h->lock);
	mutex_init(&h->scav_mutex);
	mutex_init(&h->resv_mutex);
	mutex_init(&h->grow_mutex);
	xa_init(&h->cache_blocks);
	init_waitqueue_head(&h->inflight_wq);
	atomic_set(&h->alloc_waiters, 0);
	atomic64_set(&h->pages_cached, 0);
	h->search_budget = PALLOC_ALIGN_BUDGET;
	h->npages = npages;
	h->nchunks = DIV_ROUND_UP(npages, PALLOC_CHUNK_PAGES);
	h->release = release;
	h->release_priv = priv;
	h->inflight_start = U64_MAX;
	h->search_addr = npages;	/* nothing free yet */

	/* Levels: add parents of fan-out 8 until one entry or five levels. */
	for (nl = 1, n = h->nchunks; n > 1 && nl < PALLOC_MAX_LEVELS; nl++)
		n = DIV_ROUND_UP(n, 1U << PALLOC_LEVEL_BITS);
	h->nlevels = nl;
	for (l = nl, n = h->nchunks; l-- > 0; n = DIV_ROUND_UP(n, 1U << PALLOC_LEVEL_BITS))
		h->len[l] = n;

	h->chunks = kvmalloc_array(h->nchunks, sizeof(*h->chunks), GFP_KERNEL);
	if (!h->chunks)
		goto out_free_heap;
	h->leaf = kvcalloc(h->nchunks, sizeof(*h->leaf), GFP_KERNEL);
	if (!h->leaf)
		goto out_free_chunks;
	for (l = 0; l + 1 < nl; l++) {
		h->sum[l] = kvcalloc(h->len[l], sizeof(*h->sum[l]), GFP_KERNEL);
		if (!h->sum[l])
			goto out_free_sums;
	}
	/* 64 KiB at the largest range: kvcalloc, not an order-4 kmalloc. */
	h->dirty = kvcalloc(BITS_TO_LONGS(h->nchunks), sizeof(long), GFP_KERNEL);
	if (!h->dirty)
		goto out_free_sums;
	h->pcache = alloc_percpu(struct palloc_pcache);
	if (!h->pcache)
		goto out_free_dirty;
	for_each_possible_cpu(cpu) {
		struct palloc_pcache *c = per_cpu_ptr(h->pcache, cpu);

		spin_lock_init(&c->lock);
		c->cpu = cpu;
		c->base = U64_MAX;
	}

	/* Absent pages: allocated and scavenged; all-zero summaries say so. */
	for (n = 0; n < h->nchunks; n++) {
		palloc_bits_alloc_all(&h->chunks[n].alloc);
		palloc_bits_set_all(&h->chunks[n].scav);
		cond_resched();
	}
	h->scavenger.goal_pages = U64_MAX;
	h->scavenger.budget_pct = 1;
	INIT_DELAYED_WORK(&h->scavenger.work, palloc_scavenger_work);
	return h;

out_free_dirty:
	kvfree(h->dirty);
out_free_sums:
	for (l = 0; l + 1 < nl; l++)
		kvfree(h->sum[l]);
	kvfree(h->leaf);
out_free_chunks:
	kvfree(h->chunks);
out_free_heap:
	kfree(h);
	return ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_create);

/**
 * palloc_heap_destroy() - stop the scavenger and free a heap's metadata
 * @h: the heap, or NULL
 *
 * Pages still allocated are forgotten; the caller owns their memory.
 *
 * Context: Process context, may sleep.  No other user of @h may remain.
 */
void palloc_heap_destroy(struct palloc_heap *h)
{
	unsigned int l;

	if (!h)
		return;
	WRITE_ONCE(h->scavenger.stopping, true);
	cancel_delayed_work_sync(&h->scavenger.work);
	free_percpu(h->pcache);
	xa_destroy(&h->cache_blocks);
	kvfree(h->dirty);
	for (l = 0; l + 1 < h->nlevels; l++)
		kvfree(h->sum[l]);
	kvfree(h->leaf);
	kvfree(h->chunks);
	mutex_destroy(&h->grow_mutex);
	mutex_destroy(&h->resv_mutex);
	mutex_destroy(&h->scav_mutex);
	kfree(h);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_destroy);

/* Is [start, start + npages) a non-empty range inside the heap? */
static bool palloc_range_ok(const struct palloc_heap *h, u64 start, u64 npages)
{
	return npages && start < h->npages && npages <= h->npages - start;
}

/**
 * palloc_heap_grow() - add absent pages to the heap as free pages (Go's grow)
 * @h: the heap
 * @start: first page
 * @npages: number of pages
 * @scavenged: the pages are known zero (scavenged); otherwise dirty
 *
 * Work is proportional to @npages; the lock is dropped between chunks when
 * needed, so concurrent grows of overlapping ranges must be serialised by
 * the caller.
 *
 * Context: Process context, may sleep.  Takes and releases h->lock.
 * Return: 0, or -EINVAL if the range is empty, outside the heap, or holds a
 * page that is not absent (already grown).
 */
int palloc_heap_grow(struct palloc_heap *h, u64 start, u64 npages, bool scavenged)
{
	u64 p, end = start + npages;
	unsigned long ci;
	unsigned int i, n;
	int pass;

	if (!palloc_range_ok(h, start, npages))
		return -EINVAL;
	/* Pass 0 checks that every page is absent, pass 1 frees them. */
	palloc_lock(h);
	for (pass = 0; pass < 2; pass++) {
		for (p = start; p < end; p += n) {
			n = palloc_piece(p, end, &ci, &i);
			if (!pass && (palloc_bits_popcnt_range(&h->chunks[ci].alloc, i, n) != n ||
				      palloc_bits_popcnt_range(&h->chunks[ci].scav, i, n) != n)) {
				palloc_unlock(h);
				return -EINVAL;
			}
			if (!pass)
				palloc_hold_work(h, 1);
			if (pass) {
				palloc_free_range(h, p, n, scavenged);
				h->pages_total += n;
			}
			if (ci % PALLOC_BATCH_CHUNKS == PALLOC_BATCH_CHUNKS - 1)
				palloc_lock_break(h);
		}
	}
	palloc_unlock(h);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_grow);

/*
 * The locked allocation path (Go's pageAlloc.alloc plus alignment).  An
 * aligned search that runs out of budget drops the lock, reschedules and
 * resumes where it stopped, against whatever the heap looks like then.  A
 * fit that overlaps the reservation of a large allocation in progress is
 * skipped: no fit starts below it (first fit), so the search goes on from
 * the reservation's end.
 *
 * With @reserve (a run larger than PALLOC_BATCH_PAGES, h->resv_mutex held)
 * the run found becomes the reservation instead of being marked allocated;
 * palloc_resv_fill() marks it.
 */
static bool palloc_alloc_locked(struct palloc_heap *h, u64 npages, u64 align, bool reserve,
				u64 *start, u64 *scav, unsigned long *dirty)
	__must_hold(&h->lock)
{
	u64 sa = h->search_addr, from = sa, at, hint;
	int ret;

	lockdep_assert_held(&h->lock);
	if (sa >= h->npages)
		return false;
	/* Fast path: the search_addr chunk has a long enough run after it. */
	if (__palloc_sum_max(palloc_leaf_unpack(h->leaf[sa / PALLOC_CHUNK_PAGES])) >= npages &&
	    PALLOC_CHUNK_PAGES - sa % PALLOC_CHUNK_PAGES >= npages) {
		unsigned int nsi, idx;
		u64 base = sa - sa % PALLOC_CHUNK_PAGES;

		idx = palloc_chunk_find(&palloc_chunk(h, sa)->alloc, base, npages, align,
					sa % PALLOC_CHUNK_PAGES, &nsi);
		if (idx != PALLOC_NOT_FOUND && !palloc_resv_overlaps(h, base + idx, npages)) {
			at = base + idx;
			hint = nsi == PALLOC_NOT_FOUND ? sa : base + nsi;
			goto found;
		}
	}
	for (;;) {
		ret = palloc_find(h, npages, align, &from, &at, &hint);
		if (ret == -EAGAIN) {
			palloc_lock_break(h);
			from = max(from, h->search_addr);
		} else if (ret > 0 && palloc_resv_overlaps(h, at, npages)) {
			from = h->resv_end;
			hint = h->search_addr;
		} else {
			break;
		}
		if (from >= h->npages)
			return false;
	}
	if (!ret) {
		if (npages == 1 && align == 1)
			h->search_addr = h->npages;	/* truly exhausted */
		return false;
	}
found:
	*start = at;
	if (reserve) {
		h->resv_start = at;
		h->resv_end = at + npages;
		*scav = 0;
	} else {
		*scav = palloc_alloc_range(h, at, npages, dirty, at);
	}
	h->search_addr = max(h->search_addr, hint);
	return true;
}

/*
 * Mark the reservation allocated, PALLOC_BATCH_PAGES at a time with lock
 * breaks in between (palloc_alloc_range() for a large run).  Nothing else
 * takes its pages meanwhile: searches, refills and the scavenger skip it,
 * and frees refuse its pages, which are still free.
 * Return: how many of the pages were scavenged.
 */
static u64 palloc_resv_fill(struct palloc_heap *h, unsigned long *dirty)
	__must_hold(&h->lock)
{
	u64 scav = 0, run = h->resv_start;

	lockdep_assert_held(&h->lock);
	lockdep_assert_held(&h->resv_mutex);
	while (h->resv_start < h->resv_end) {
		u64 p = h->resv_start;
		u64 n = min(h->resv_end - p, PALLOC_BATCH_PAGES - p % PALLOC_CHUNK_PAGES);

		scav += palloc_alloc_range(h, p, n, dirty, run);
		h->resv_start = p + n;
		if (h->resv_start < h->resv_end)
			palloc_lock_break(h);
	}
	h->resv_start = 0;
	h->resv_end = 0;
	return scav;
}

/* Pages of the 64-page block at @base inside the reservation, as a mask. */
static u64 palloc_resv_mask(const struct palloc_heap *h, u64 base)
{
	u64 lo, hi;

	lockdep_assert_held(&h->lock);
	if (!palloc_resv_overlaps(h, base, PALLOC_CACHE_PAGES))
		return 0;
	lo = max(h->resv_start, base) - base;
	hi = min(h->resv_end, base + PALLOC_CACHE_PAGES) - base;
	return GENMASK_ULL(hi - 1, lo);
}

/* The cache holds no block any more: drop its h->cache_blocks entry. */
static void palloc_cache_forget(struct palloc_heap *h, struct palloc_pcache *c)
{
	lockdep_assert_held(&h->lock);
	if (c->base == U64_MAX)
		return;
	xa_erase(&h->cache_blocks, palloc_cache_index(c, c->base));
	c->base = U64_MAX;
	/* Pages still out go back through the heap. */
	atomic64_set(&c->out, 0);
}

/* Fill an empty per-CPU cache from the heap (Go's allocToCache). */
static void palloc_cache_refill(struct palloc_heap *h, struct palloc_pcache *c)
{
	u64 sa, base, page, hint, from, cache;
	struct palloc_data *d;
	unsigned int idx;

	lockdep_assert_held(&c->lock);
	palloc_lock(h);
	palloc_cache_forget(h, c);	/* emptied by takes */
	sa = h->search_addr;
	if (sa >= h->npages)
		goto out_unlock;
	idx = h->leaf[sa / PALLOC_CHUNK_PAGES] ?
	      palloc_bits_find1(&palloc_chunk(h, sa)->alloc, sa % PALLOC_CHUNK_PAGES) :
	      PALLOC_NOT_FOUND;
	page = sa - sa % PALLOC_CHUNK_PAGES + idx;
	if (idx == PALLOC_NOT_FOUND || palloc_resv_overlaps(h, page, 1)) {
		from = sa;
		for (;;) {
			if (palloc_find(h, 1, 1, &from, &page, &hint) <= 0) {
				h->search_addr = h->npages;
				goto out_unlock;
			}
			if (!palloc_resv_overlaps(h, page, 1))
				break;
			from = h->resv_end;
		}
	}
	base = ALIGN_DOWN(page, PALLOC_CACHE_PAGES);
	d = palloc_chunk(h, base);
	idx = base % PALLOC_CHUNK_PAGES;
	cache = ~palloc_bits_pages64(&d->alloc, idx) & ~palloc_resv_mask(h, base);
	/* Record the block first: the one step that can fail. */
	if (xa_err(xa_store(&h->cache_blocks, palloc_cache_index(c, base), c, GFP_NOWAIT)))
		goto out_unlock;
	palloc_hold_work(h, 1);
	c->base = base;
	c->cache = cache;
	c->scav = palloc_bits_block64(&d->scav, idx) & c->cache;
	palloc_bits_alloc_pages64(&d->alloc, idx, c->cache);
	palloc_bits_clear_block64(&d->scav, idx, c->scav);
	h->pages_free -= hweight64(c->cache);
	h->pages_scav -= hweight64(c->scav);
	atomic64_add(hweight64(c->cache), &h->pages_cached);
	palloc_update(h, base / PALLOC_CHUNK_PAGES, base / PALLOC_CHUNK_PAGES);
	h->search_addr = base + PALLOC_CACHE_PAGES - 1;
out_unlock:
	palloc_unlock(h);
}

/* Return a cache's pages to the heap (Go's pageCache.flush). */
static void palloc_cache_flush(struct palloc_heap *h, struct palloc_pcache *c)
{
	struct palloc_data *d;
	unsigned int idx;
	u64 cache;

	lockdep_assert_held(&c->lock);
	lockdep_assert_held(&h->lock);
	cache = c->cache;
	if (!cache)
		goto out_forget;	/* empty since its last take */
	palloc_hold_work(h, 1);
	d = palloc_chunk(h, c->base);
	idx = c->base % PALLOC_CHUNK_PAGES;
	palloc_bits_clear_block64(&d->alloc, idx, cache);
	palloc_bits_set_block64(&d->scav, idx, c->scav);
	if (cache & ~c->scav)
		set_bit(c->base / PALLOC_CHUNK_PAGES, h->dirty);
	h->pages_free += hweight64(cache);
	h->pages_scav += hweight64(c->scav);
	atomic64_sub(hweight64(cache), &h->pages_cached);
	h->search_addr = min(h->search_addr, c->base);
	palloc_update(h, c->base / PALLOC_CHUNK_PAGES, c->base / PALLOC_CHUNK_PAGES);
	c->cache = 0;
	c->scav = 0;
out_forget:
	palloc_cache_forget(h, c);
}

/* Take @npages from a cache (Go's pageCache.alloc). */
static bool palloc_cache_take(struct palloc_heap *h, struct palloc_pcache *c, u64 npages,
			      u64 *start, u64 *scav, unsigned long *dirty)
{
	unsigned int i;
	u64 m;

	lockdep_assert_held(&c->lock);
	i = __palloc_find_bit_range64(c->cache, npages);
	if (i >= 64)
		return false;
	m = GENMASK_ULL(i + npages - 1, i);
	*start = c->base + i;
	*scav = hweight64(c->scav & m);
	if (dirty) {
		unsigned int k;

		for (k = i; k < i + npages; k++)
			if (!(c->scav & BIT_ULL(k)))
				__set_bit(k - i, dirty);
	}
	WRITE_ONCE(c->cache, c->cache & ~m);
	c->scav &= ~m;
	atomic64_or(m, &c->out);
	atomic64_sub(npages, &h->pages_cached);
	c->busy = true;
	c->allocs++;
	c->pages += npages;
	return true;
}

/*
 * The per-CPU cache path: Go's mheap.allocSpan for npages < 16.  The cache
 * is the one of the CPU this task runs on now; preemption stays enabled.
 */
static bool palloc_cache_alloc(struct palloc_heap *h, u64 npages, u64 *start, u64 *scav,
			       unsigned long *dirty)
{
	struct palloc_pcache *c = raw_cpu_ptr(h->pcache);
	bool ok;

	spin_lock(&c->lock);
	if (!c->cache)
		palloc_cache_refill(h, c);
	ok = palloc_cache_take(h, c, npages, start, scav, dirty);
	spin_unlock(&c->lock);
	return ok;
}

/*
 * Wait until the scavenger's in-flight run is back in the heap.  Its
 * release is bounded (one run inside one chunk); the scavenger starts no
 * new run while an allocation waits.  Return: 0, or -EINTR on a fatal
 * signal.
 */
static int palloc_wait_inflight(struct palloc_heap *h)
{
	int ret;

	atomic_inc(&h->alloc_waiters);
	ret = wait_event_killable(h->inflight_wq, READ_ONCE(h->inflight_start) == U64_MAX);
	atomic_dec(&h->alloc_waiters);
	return ret ? -EINTR : 0;
}

/* ---- The elastic heap: chunks handed back to the kernel and grown back ---- */

/* Windows an allocation tries to grow before it gives up with -ENOMEM. */
#define PALLOC_GROW_TRIES	4
/* Chunks one background scavenger run hands back at most. */
#define PALLOC_SHRINK_CHUNKS	16

/* Is every page of the chunk scavenged? */
static bool palloc_chunk_scavenged(const struct palloc_data *d)
{
	return palloc_bits_popcnt_range(&d->scav, 0, PALLOC_CHUNK_PAGES) == PALLOC_CHUNK_PAGES;
}

/* Is the chunk absent: every page allocated and scavenged at once? */
static bool palloc_chunk_absent(const struct palloc_data *d)
{
	return palloc_bits_popcnt_range(&d->alloc, 0, PALLOC_CHUNK_PAGES) == PALLOC_CHUNK_PAGES &&
	       palloc_chunk_scavenged(d);
}

/* Is the chunk present, and wholly free? */
static bool palloc_chunk_free(const struct palloc_data *d)
{
	return !palloc_bits_popcnt_range(&d->alloc, 0, PALLOC_CHUNK_PAGES);
}

/**
 * palloc_heap_set_elastic() - let the heap give chunks back and grow them back
 * @h: the heap
 * @ops: the callbacks, NULL for a fixed heap
 * @priv: their argument
 * @min_pages: never hand back below this many present pages
 * @headroom: keep this many free present pages when handing back
 *
 * Context: Process context, may sleep.  Takes h->grow_mutex and h->lock.
 */
void palloc_heap_set_elastic(struct palloc_heap *h, const struct palloc_elastic_ops *ops,
			     void *priv, u64 min_pages, u64 headroom)
{
	mutex_lock(&h->grow_mutex);
	palloc_lock(h);
	h->elastic = ops;
	h->elastic_priv = priv;
	h->min_present = min_pages;
	h->headroom = headroom;
	palloc_unlock(h);
	mutex_unlock(&h->grow_mutex);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_set_elastic);

/**
 * palloc_heap_chunk_absent() - is the chunk holding @page absent?
 * @h: the heap
 * @page: a page of the chunk
 *
 * Context: Process context; takes h->lock.  Stable only while no shrink or
 * grow runs (e.g. at teardown).
 * Return: true if every page of the chunk is absent.
 */
bool palloc_heap_chunk_absent(struct palloc_heap *h, u64 page)
{
	bool ret = false;

	if (page >= h->npages)
		return false;
	palloc_lock(h);
	ret = palloc_chunk_absent(palloc_chunk(h, page));
	palloc_unlock(h);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_chunk_absent);

/**
 * palloc_heap_walk_absent() - call @fn on each absent chunk, lowest first
 * @h: the heap
 * @fn: called with @arg, the chunk's first page and its pages; a non-zero
 *	return stops the walk and is returned
 * @arg: its first argument
 *
 * Each call runs under h->grow_mutex, taken for that chunk alone, so the
 * chunk stays absent during it and no grow or hand-back waits for more
 * than one call.  For diagnostics (debugfs "probe"): @fn may borrow the
 * chunk's memory from the kernel but must give it back before it returns.
 *
 * Context: Process context, may sleep.  Takes h->grow_mutex (killable) and
 * h->lock.
 * Return: 0, -EINTR on a fatal signal, or what @fn returned.
 */
int palloc_heap_walk_absent(struct palloc_heap *h, int (*fn)(void *arg, u64 start, u64 npages),
			    void *arg)
{
	unsigned long ci, nfull = h->npages / PALLOC_CHUNK_PAGES;
	bool absent;
	int ret = 0;

	for (ci = 0; ci < nfull && !ret; ci++) {
		if (mutex_lock_killable(&h->grow_mutex))
			return -EINTR;
		palloc_lock(h);
		absent = palloc_chunk_absent(&h->chunks[ci]);
		palloc_unlock(h);
		if (absent)
			ret = fn(arg, (u64)ci * PALLOC_CHUNK_PAGES, PALLOC_CHUNK_PAGES);
		mutex_unlock(&h->grow_mutex);
		cond_resched();
	}
	return ret;
}

/**
 * palloc_heap_shrink() - hand idle chunks back, from the top of the range down
 * @h: the heap
 * @max_chunks: chunks to hand back at most
 * @wait: wait for a grow or shrink in progress instead of giving up
 *
 * A chunk goes back only when it is whole, free and scavenged (so no per-CPU
 * cache, reservation or scavenger holds a page of it), and while the heap
 * keeps at least min_pages present pages and headroom free ones.  It is
 * marked absent under the heap lock, then handed back without it; a refused
 * hand-back puts it back, free and scavenged.
 *
 * Context: Process context, may sleep.  Takes h->grow_mutex and h->lock, at
 * most PALLOC_BATCH_CHUNKS chunks per hold.  With @wait, waits (killably)
 * for a grow or shrink in progress, as an explicit request should; without
 * it (the background worker) hands nothing back while one runs.
 * Return: pages handed back.
 */
u64 palloc_heap_shrink(struct palloc_heap *h, unsigned long max_chunks, bool wait)
{
	unsigned long ci = h->npages / PALLOC_CHUNK_PAGES, done = 0, seen = 0;
	u64 start;
	int ret;

	if (!READ_ONCE(h->elastic) || !max_chunks)
		return 0;
	if (wait ? mutex_lock_killable(&h->grow_mutex) : !mutex_trylock(&h->grow_mutex))
		return 0;
	palloc_lock(h);
	while (ci-- > 0 && done < max_chunks && h->elastic && !fatal_signal_pending(current)) {
		struct palloc_data *d = &h->chunks[ci];

		if (h->pages_total < h->min_present + PALLOC_CHUNK_PAGES ||
		    h->pages_free < h->headroom + PALLOC_CHUNK_PAGES)
			break;
		start = (u64)ci * PALLOC_CHUNK_PAGES;
		palloc_hold_work(h, 1);
		if (palloc_chunk_free(d) && palloc_chunk_scavenged(d) &&
		    !palloc_resv_overlaps(h, start, PALLOC_CHUNK_PAGES)) {
			/* Absent: allocated, and still scavenged. */
			palloc_bits_alloc_all(&d->alloc);
			h->pages_free -= PALLOC_CHUNK_PAGES;
			h->pages_scav -= PALLOC_CHUNK_PAGES;
			h->pages_total -= PALLOC_CHUNK_PAGES;
			palloc_update(h, ci, ci);
			palloc_unlock(h);
			ret = h->elastic->hand_back(h->elastic_priv, start, PALLOC_CHUNK_PAGES);
			trace_palloc_hand_back(start, PALLOC_CHUNK_PAGES, ret);
			palloc_lock(h);
			if (ret) {
				palloc_free_range(h, start, PALLOC_CHUNK_PAGES, true);
				h->pages_total += PALLOC_CHUNK_PAGES;
				break;
			}
			h->pages_returned += PALLOC_CHUNK_PAGES;
			done++;
			continue;
		}
		if (!(++seen % PALLOC_BATCH_CHUNKS))
			palloc_lock_break(h);
	}
	palloc_unlock(h);
	mutex_unlock(&h->grow_mutex);
	return (u64)done * PALLOC_CHUNK_PAGES;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_shrink);

/*
 * The lowest window of whole chunks, from chunk @from on, in which a run of
 * @npages pages aligned to @align could be made of absent and wholly free
 * chunks, at least one of them absent: its first chunk in *@first.
 */
static bool palloc_grow_window(struct palloc_heap *h, u64 npages, u64 align, unsigned long from,
			       unsigned long *first)
	__must_hold(&h->lock)
{
	unsigned long k = DIV_ROUND_UP(npages, PALLOC_CHUNK_PAGES);
	unsigned long step = max_t(u64, 1, align / PALLOC_CHUNK_PAGES);
	unsigned long nfull = h->npages / PALLOC_CHUNK_PAGES, ci, j, seen = 0;
	bool any, ok;

	for (ci = ALIGN(from, step); ci < nfull && k <= nfull - ci; ci += step) {
		any = false;
		ok = true;
		for (j = ci; j < ci + k && ok; j++) {
			palloc_hold_work(h, 1);
			if (palloc_chunk_absent(&h->chunks[j]))
				any = true;
			else if (!palloc_chunk_free(&h->chunks[j]) ||
				 palloc_resv_overlaps(h, (u64)j * PALLOC_CHUNK_PAGES,
						      PALLOC_CHUNK_PAGES))
				ok = false;
			/* Absent stays absent: only grows change it, under grow_mutex. */
			if (!(++seen % PALLOC_BATCH_CHUNKS))
				palloc_lock_break(h);
		}
		if (ok && any) {
			*first = ci;
			return true;
		}
	}
	return false;
}

/*
 * Grow the absent chunks of the lowest suitable window for an allocation of
 * @npages aligned to @align (Go's pageAlloc.grow on demand), without the
 * heap lock.  A window whose chunk cannot be taken back is left as it is
 * (the chunks grown so far stay, free and dirty) and the next one is tried.
 * Return: 0 when a window was grown, -ENOMEM when none could be, -EINTR.
 */
static int palloc_grow_for(struct palloc_heap *h, u64 npages, u64 align)
{
	unsigned long first, j, from = 0, k = DIV_ROUND_UP(npages, PALLOC_CHUNK_PAGES);
	int ret = -ENOMEM, tries;
	bool found, absent;
	u64 t0;

	if (mutex_lock_killable(&h->grow_mutex))
		return -EINTR;
	for (tries = 0; tries < PALLOC_GROW_TRIES && h->elastic; tries++) {
		palloc_lock(h);
		found = palloc_grow_window(h, npages, align, from, &first);
		if (found)
			h->grow_attempts++;
		palloc_unlock(h);
		if (!found) {
			ret = -ENOMEM;
			break;
		}
		ret = 0;
		for (j = first; j < first + k && !ret; j++) {
			palloc_lock(h);
			absent = palloc_chunk_absent(&h->chunks[j]);
			palloc_unlock(h);
			if (!absent)
				continue;
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			t0 = ktime_get_ns();
			ret = h->elastic->take_back(h->elastic_priv, (u64)j * PALLOC_CHUNK_PAGES,
						    PALLOC_CHUNK_PAGES);
			/* The kernel's old contents: dirty until zeroed. */
			if (!ret)
				ret = palloc_heap_grow(h, (u64)j * PALLOC_CHUNK_PAGES,
						       PALLOC_CHUNK_PAGES, false);
			trace_palloc_grow((u64)j * PALLOC_CHUNK_PAGES, PALLOC_CHUNK_PAGES, ret,
					  ktime_get_ns() - t0);
			if (!ret) {
				palloc_lock(h);
				h->pages_grown += PALLOC_CHUNK_PAGES;
				palloc_unlock(h);
			}
		}
		if (!ret || ret == -EINTR)
			break;
		palloc_lock(h);
		h->grow_failures++;
		palloc_unlock(h);
		/* Every window holding the chunk that failed would fail again. */
		from = j;
		ret = -ENOMEM;
	}
	mutex_unlock(&h->grow_mutex);
	return ret;
}

/* Is an elastic heap's free headroom below half?  Then grow ahead. */
static bool palloc_wants_growth(struct palloc_heap *h)
	__must_hold(&h->lock)
{
	return h->elastic && h->pages_free < h->headroom / 2 && h->pages_total < h->npages;
}

/*
 * Grow ahead (the background worker): while free present pages are below
 * half the headroom, take the lowest absent chunk back, one per call, so
 * that allocations rarely wait for the kernel.  Return: pages grown.
 */
static u64 palloc_grow_ahead(struct palloc_heap *h)
{
	bool want;

	palloc_lock(h);
	want = palloc_wants_growth(h);
	palloc_unlock(h);
	if (!want || palloc_grow_for(h, PALLOC_CHUNK_PAGES, 1))
		return 0;
	return PALLOC_CHUNK_PAGES;
}

/**
 * palloc_heap_alloc() - allocate a run of contiguous pages
 * @h: the heap
 * @npages: pages wanted, >= 1
 * @align: alignment of the first page, in pages: a power of two (1 = none)
 * @start: out: the first page
 * @scav: out: how many of the pages were scavenged (known zero); the others
 *	hold whatever their last owner left
 *
 * First fit: the lowest run (the lowest @align-aligned one), except that a
 * request of fewer than PALLOC_CACHE_MAX_ALLOC unaligned pages is served
 * from this CPU's page cache when it can be.  When no run fits, the per-CPU
 * caches are flushed and the scavenger's in-flight run (pages being
 * released, marked allocated meanwhile) is waited for, and the search is
 * retried: -ENOMEM means that the free pages, cached and in-flight ones
 * included, hold no fit.  An elastic heap (palloc_heap_set_elastic()) then
 * takes absent chunks back from the kernel, lowest suitable window first,
 * and retries: -ENOMEM then also means the kernel could not give them.  A
 * run of more than PALLOC_BATCH_PAGES is reserved first and marked
 * allocated in batches with lock breaks.
 *
 * Context: Process context, may sleep.  Takes and releases h->lock, a
 * per-CPU cache lock and, for large runs, h->resv_mutex.  Every hold of
 * h->lock does bounded work: an aligned search through a badly fragmented
 * heap drops the lock and reschedules every PALLOC_ALIGN_BUDGET summaries,
 * then resumes where it was.
 * Return: 0; -EINVAL for @npages == 0, larger than the range, or @align not
 * a power of two; -ENOMEM when no run fits; -EINTR on a fatal signal.
 */
int palloc_heap_alloc(struct palloc_heap *h, u64 npages, u64 align, u64 *start, u64 *scav)
{
	return palloc_heap_alloc_dirty(h, npages, align, start, scav, NULL);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_alloc);

/**
 * palloc_heap_alloc_dirty() - palloc_heap_alloc(), saying which pages are dirty
 * @h: the heap
 * @npages: pages wanted, >= 1
 * @align: alignment of the first page, in pages: a power of two (1 = none)
 * @start: out: the first page
 * @scav: out: how many of the pages were scavenged (known zero)
 * @dirty: NULL, or a zeroed bitmap of @npages bits: bit k gets set when
 *	page *@start + k is not scavenged (it holds an old owner's data), so
 *	that the caller zeroes only those
 *
 * As palloc_heap_alloc(), which it is.
 *
 * Context: Process context, may sleep.  As palloc_heap_alloc().
 * Return: As palloc_heap_alloc().
 */
int palloc_heap_alloc_dirty(struct palloc_heap *h, u64 npages, u64 align, u64 *start, u64 *scav,
			    unsigned long *dirty)
{
	bool reserve = npages > PALLOC_BATCH_PAGES, flushed = false, ok, grow;
	int ret = 0, grows = 0;

	if (!npages || npages > h->npages || !is_power_of_2(align) || align > h->npages)
		return -EINVAL;
	if (npages < PALLOC_CACHE_MAX_ALLOC && align == 1 &&
	    palloc_cache_alloc(h, npages, start, scav, dirty)) {
		trace_palloc_alloc(npages, align, *start, *scav, true);
		return 0;
	}
	if (reserve && mutex_lock_killable(&h->resv_mutex))
		return -EINTR;

	palloc_lock(h);
	for (;;) {
		ok = palloc_alloc_locked(h, npages, align, reserve, start, scav, dirty);
		if (ok)
			break;
		if (!flushed) {
			/* Free pages may sit in per-CPU caches: return them. */
			palloc_unlock(h);
			palloc_heap_flush_caches(h);
			flushed = true;
		} else if (h->inflight_start != U64_MAX) {
			/* Free pages may be in the scavenger's hands for a moment. */
			palloc_unlock(h);
			ret = palloc_wait_inflight(h);
			if (ret)
				goto out_unlock_resv;
		} else if (h->elastic && grows < 2) {
			/* Absent chunks may be taken back from the kernel. */
			palloc_unlock(h);
			ret = palloc_grow_for(h, npages, align);
			if (ret == -EINTR)
				goto out_unlock_resv;
			if (ret) {
				palloc_lock(h);
				break;
			}
			grows++;
		} else {
			break;
		}
		palloc_lock(h);
	}
	if (ok) {
		if (reserve)
			*scav = palloc_resv_fill(h, dirty);
		h->allocs++;
		grow = palloc_wants_growth(h);
		palloc_unlock(h);
		if (grow && !READ_ONCE(h->scavenger.stopping))
			mod_delayed_work(system_unbound_wq, &h->scavenger.work, 0);
		trace_palloc_alloc(npages, align, *start, *scav, false);
		goto out_unlock_resv;
	}
	h->alloc_failures++;
	if (trace_palloc_alloc_fail_enabled())
		trace_palloc_alloc_fail(npages, align, palloc_largest_free(h));
	palloc_unlock(h);
	ret = -ENOMEM;
out_unlock_resv:
	if (reserve)
		mutex_unlock(&h->resv_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_alloc_dirty);

/* May [start, start + npages) be freed?  One hold's worth of checks. */
static bool palloc_free_ok(struct palloc_heap *h, u64 start, u64 npages)
{
	bool scavenging;

	lockdep_assert_held(&h->lock);
	scavenging = h->inflight_start != U64_MAX &&
		     start < h->inflight_start + h->inflight_npages &&
		     h->inflight_start < start + npages;
	return !scavenging && palloc_freeable(h, start, npages) &&
	       !palloc_cached(h, start, npages);
}

/*
 * Free pages this CPU's cache handed out back into the cache, without the
 * heap lock (the per-CPU half of a free, as the IOVA allocator's rcache):
 * only a run inside the cache's block whose every page is still out from
 * it.  The pages go back dirty.  Return: true if the cache took them.
 */
static bool palloc_cache_free(struct palloc_heap *h, u64 start, u64 npages)
{
	struct palloc_pcache *c = raw_cpu_ptr(h->pcache);
	u64 base = ALIGN_DOWN(start, PALLOC_CACHE_PAGES), m, old;
	bool ok = false;

	if (npages > PALLOC_CACHE_PAGES || start + npages > base + PALLOC_CACHE_PAGES)
		return false;
	m = GENMASK_ULL(start + npages - 1 - base, start - base);
	spin_lock(&c->lock);
	if (c->base == base && (atomic64_read(&c->out) & m) == m) {
		/* Cache bits first: see palloc_cached(). */
		WRITE_ONCE(c->cache, c->cache | m);
		old = atomic64_fetch_andnot(m, &c->out);
		ok = (old & m) == m;
		if (ok) {
			atomic64_add(npages, &h->pages_cached);
			c->busy = true;
			c->frees++;
		} else {
			/* The heap path took them meanwhile: it decides. */
			WRITE_ONCE(c->cache, c->cache & ~m);
		}
	}
	spin_unlock(&c->lock);
	return ok;
}

/**
 * palloc_heap_free() - free a run of allocated pages
 * @h: the heap
 * @start: first page
 * @npages: number of pages, >= 1
 *
 * Any allocated run or part of one may be freed.  The pages become free and
 * dirty: freeing never marks pages scavenged.  Pages this CPU's cache handed
 * out and still holds the block of go back into the cache, without the
 * heap lock; other frees go to the heap.  Freeing a page that is not
 * allocated (free, held by a per-CPU cache, absent, or being scavenged) is
 * refused and changes nothing.  A run of more than PALLOC_BATCH_PAGES is
 * checked and then freed in batches, with lock breaks in between; its
 * pages must not be freed by anyone else meanwhile (they are the caller's).
 *
 * Context: Process context, may sleep (large runs).  Takes and releases
 * h->lock.  Work is proportional to @npages, at most PALLOC_BATCH_CHUNKS
 * chunks per hold of the lock.
 * Return: 0, or -EINVAL for a range outside the heap or not all allocated.
 */
int palloc_heap_free(struct palloc_heap *h, u64 start, u64 npages)
{
	u64 p, n, end = start + npages, dirty;
	int pass;

	if (!palloc_range_ok(h, start, npages)) {
		palloc_lock(h);
		goto out_refused;
	}
	if (palloc_cache_free(h, start, npages)) {
		trace_palloc_free(start, npages, 0);
		return 0;
	}
	/* Pass 0 checks every batch, pass 1 frees them (one pass if small). */
	palloc_lock(h);
	for (pass = npages <= PALLOC_BATCH_PAGES; pass < 2; pass++) {
		for (p = start; p < end; p += n) {
			/* A small run in one hold: checked and freed at once. */
			n = npages <= PALLOC_BATCH_PAGES ? npages :
			    min(end - p, PALLOC_BATCH_PAGES - p % PALLOC_CHUNK_PAGES);
			if (!palloc_free_ok(h, p, n)) {
				/* In pass 1 only if someone else freed our pages. */
				goto out_refused;
			}
			if (pass)
				palloc_free_range(h, p, n, false);
			if (p + n < end)
				palloc_lock_break(h);
		}
		if (!pass)
			palloc_lock_break(h);
	}
	h->frees++;
	dirty = h->pages_free - h->pages_scav;
	palloc_unlock(h);
	trace_palloc_free(start, npages, 0);
	palloc_kick(h, dirty);
	return 0;

out_refused:
	h->free_errors++;
	palloc_unlock(h);
	trace_palloc_free(start, npages, -EINVAL);
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_free);

/**
 * palloc_heap_flush_caches() - return every per-CPU cache's pages to the heap
 * @h: the heap
 *
 * Context: Process context.  Takes each cache lock in turn and
 * h->lock inside it.
 */
void palloc_heap_flush_caches(struct palloc_heap *h)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct palloc_pcache *c = per_cpu_ptr(h->pcache, cpu);

		spin_lock(&c->lock);
		palloc_lock(h);
		palloc_cache_flush(h, c);
		palloc_unlock(h);
		spin_unlock(&c->lock);
		cond_resched();
	}
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_flush_caches);

/*
 * Release one candidate run of chunk @ci (Go's scavengeOne).
 * Return: pages released, 0 if the chunk has no candidate (or is dense and
 * not @force), or a negative errno from the release callback.
 */
static long palloc_scavenge_chunk(struct palloc_heap *h, unsigned long ci, u64 want, bool force)
{
	u64 base = (u64)ci * PALLOC_CHUNK_PAGES;
	struct palloc_data *d = &h->chunks[ci];
	unsigned int idx, n;
	int ret = 0;

	lockdep_assert_held(&h->scav_mutex);
	palloc_lock(h);
	palloc_hold_work(h, 1);
	if (palloc_resv_overlaps(h, base, PALLOC_CHUNK_PAGES)) {
		/* Being allocated: its free pages are not free for long. */
		palloc_unlock(h);
		return 0;
	}
	if (!force && palloc_data_inuse(d) >= PALLOC_DENSE_PAGES) {
		/* Dense: keep its huge page whole; free pages there are soon reused. */
		palloc_unlock(h);
		return 0;
	}
	idx = palloc_data_find_scavenge_candidate(d, PALLOC_CHUNK_PAGES - 1, 1,
						  min_t(u64, want, PALLOC_CHUNK_PAGES),
						  PALLOC_CHUNK_PAGES, &n);
	if (!n) {
		clear_bit(ci, h->dirty);
		palloc_unlock(h);
		return 0;
	}
	/* Mark the run allocated, so the release can sleep without the lock. */
	palloc_alloc_range(h, base + idx, n, NULL, 0);
	WRITE_ONCE(h->inflight_start, base + idx);
	h->inflight_npages = n;
	palloc_unlock(h);

	if (h->release)
		ret = h->release(h->release_priv, base + idx, n);

	palloc_lock(h);
	WRITE_ONCE(h->inflight_start, U64_MAX);
	h->inflight_npages = 0;
	palloc_free_range(h, base + idx, n, ret == 0);
	if (!ret)
		h->pages_released += n;
	palloc_unlock(h);
	wake_up_all(&h->inflight_wq);
	/* Not "ret ? ret : n": that is unsigned int, turning -EIO into 4294967291 pages. */
	if (ret)
		return ret;
	return n;
}

/* How a scavenging pass takes h->scav_mutex. */
enum palloc_scav_how {
	PALLOC_SCAV_WAIT,	/* kernel callers: wait */
	PALLOC_SCAV_KILLABLE,	/* on behalf of a process: a fatal signal stops it */
	PALLOC_SCAV_TRY,	/* the background worker: never waits for another pass */
};

/*
 * One scavenging pass (see palloc_heap_scavenge()), which also stops once
 * ktime_get_ns() passes @deadline, between two released runs, while an
 * allocation waits for the in-flight run, and (@how killable) on a fatal
 * signal.
 */
static u64 palloc_scavenge(struct palloc_heap *h, u64 npages, bool force, u64 deadline,
			   enum palloc_scav_how how)
{
	unsigned long limit = h->nchunks, ci;
	u64 released = 0, t0 = ktime_get_ns();

	if (!npages)
		return 0;
	if (how == PALLOC_SCAV_TRY) {
		if (!mutex_trylock(&h->scav_mutex))
			return 0;
	} else if (how == PALLOC_SCAV_KILLABLE) {
		if (mutex_lock_killable(&h->scav_mutex))
			return 0;
	} else {
		mutex_lock(&h->scav_mutex);
	}
	/*
	 * An explicit pass releases what the caches hold too; the background
	 * worker leaves busy caches alone (palloc_flush_idle_caches()).
	 */
	if (how != PALLOC_SCAV_TRY)
		palloc_heap_flush_caches(h);
	palloc_lock(h);
	h->scavenge_runs++;
	palloc_unlock(h);
	while (released < npages && ktime_get_ns() < deadline) {
		long n;

		if (atomic_read(&h->alloc_waiters) ||
		    (how == PALLOC_SCAV_KILLABLE && fatal_signal_pending(current)))
			break;

		ci = find_last_bit(h->dirty, limit);
		if (ci >= limit)
			break;
		n = palloc_scavenge_chunk(h, ci, npages - released, force);
		if (n < 0)
			break;
		if (n)
			released += n;
		else
			limit = ci;	/* nothing (more) to do in this chunk */
		cond_resched();
	}
	mutex_unlock(&h->scav_mutex);
	trace_palloc_scavenge(npages, released, force, ktime_get_ns() - t0);
	return released;
}

/**
 * palloc_heap_scavenge() - release free dirty pages now
 * @h: the heap
 * @npages: how many pages to release at most (more may go, to keep a huge
 *	page whole)
 * @force: also release pages of dense chunks
 *
 * The per-CPU caches are flushed first.  Chunks are visited from the top of
 * the range down; in each, the highest free dirty run is marked allocated,
 * released through the release callback without the heap lock, then freed
 * and marked scavenged (Go's scavengeOne).  A release error stops the pass.
 *
 * Context: Process context, may sleep.  Takes h->scav_mutex, the cache locks
 * and h->lock; none is held across the release callback but the mutex.
 * Return: the number of pages released.
 */
u64 palloc_heap_scavenge(struct palloc_heap *h, u64 npages, bool force)
{
	return palloc_scavenge(h, npages, force, U64_MAX, PALLOC_SCAV_WAIT);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_scavenge);

/**
 * palloc_heap_scavenge_killable() - palloc_heap_scavenge() for a process
 * @h: the heap
 * @npages: how many pages to release at most
 * @force: also release pages of dense chunks
 *
 * As palloc_heap_scavenge(), but waiting for another pass and the pass
 * itself stop at a fatal signal (checked once per chunk).
 *
 * Context: Process context, may sleep.  Takes h->scav_mutex killably.
 * Return: the number of pages released.
 */
u64 palloc_heap_scavenge_killable(struct palloc_heap *h, u64 npages, bool force)
{
	return palloc_scavenge(h, npages, force, U64_MAX, PALLOC_SCAV_KILLABLE);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_scavenge_killable);

/**
 * palloc_heap_dirty_pages() - free pages that are not known zero
 * @h: the heap
 *
 * Context: Process context.  Takes and releases h->lock.
 * Return: free, unscavenged pages in the bitmaps (caches not counted).
 */
u64 palloc_heap_dirty_pages(struct palloc_heap *h)
{
	u64 n;

	palloc_lock(h);
	n = h->pages_free - h->pages_scav;
	palloc_unlock(h);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_dirty_pages);

/*
 * The background worker's flush: a cache that served no allocation and took
 * no free since the worker's last run goes back to the heap, so that no
 * page stays stranded in the cache of a CPU that stopped allocating, while
 * busy caches keep their blocks (and their lock-free frees).
 * Return: true if a cache still holds a block.
 */
static bool palloc_flush_idle_caches(struct palloc_heap *h)
{
	bool held = false;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct palloc_pcache *c = per_cpu_ptr(h->pcache, cpu);

		spin_lock(&c->lock);
		if (!c->busy && c->base != U64_MAX) {
			palloc_lock(h);
			palloc_cache_flush(h, c);
			palloc_unlock(h);
		}
		c->busy = false;
		held |= c->base != U64_MAX;
		spin_unlock(&c->lock);
	}
	return held;
}

static void palloc_scavenger_work(struct work_struct *work)
{
	struct palloc_scavenger *sc = container_of(to_delayed_work(work),
						   struct palloc_scavenger, work);
	struct palloc_heap *h = container_of(sc, struct palloc_heap, scavenger);
	u64 goal = READ_ONCE(sc->goal_pages), dirty, got = 0, gone, grown;
	unsigned int pct = clamp_t(unsigned int, READ_ONCE(sc->budget_pct), 1, 100);
	u64 t0 = ktime_get_ns(), worked;
	bool held;

	/*
	 * Caches nobody used since the last run go back to the heap, unless
	 * the background scavenger is off (then nothing moves on its own).
	 */
	held = goal != U64_MAX && palloc_flush_idle_caches(h);
	/* One pass down the range for one slice of time, background rules. */
	dirty = palloc_heap_dirty_pages(h);
	if (dirty > goal)
		got = palloc_scavenge(h, dirty - goal, false, t0 + PALLOC_SCAV_SLICE_NS,
				      PALLOC_SCAV_TRY);
	/*
	 * An elastic heap grows ahead when its free headroom runs low, or
	 * else hands idle scavenged chunks back, a batch per run.
	 */
	grown = palloc_grow_ahead(h);
	gone = grown ? 0 : palloc_heap_shrink(h, PALLOC_SHRINK_CHUNKS, false);
	worked = ktime_get_ns() - t0;
	WRITE_ONCE(sc->runs, sc->runs + 1);
	WRITE_ONCE(sc->released, sc->released + got);
	if (READ_ONCE(sc->stopping))
		return;
	if (grown || gone == (u64)PALLOC_SHRINK_CHUNKS * PALLOC_CHUNK_PAGES) {
		/* Maybe more to grow or hand back: come again within the budget. */
		queue_delayed_work(system_unbound_wq, &sc->work,
				   max(1UL, nsecs_to_jiffies(worked * (100 - pct) / pct)));
		return;
	}
	/*
	 * Goal met, or only dense chunks are dirty (nothing released): an
	 * idle pool costs nothing; the next free over the goal kicks it.  A
	 * cache still holding a block is looked at once more a little later:
	 * if nobody used it meanwhile, that run gives its pages back.
	 */
	if (!got || palloc_heap_dirty_pages(h) <= goal) {
		if (held)
			queue_delayed_work(system_unbound_wq, &sc->work, PALLOC_SCAV_IDLE);
		return;
	}
	/* Sleep so that work / (work + sleep) stays at the CPU budget. */
	queue_delayed_work(system_unbound_wq, &sc->work,
			   max(1UL, nsecs_to_jiffies(worked * (100 - pct) / pct)));
}

/**
 * palloc_heap_set_goal() - tune the background scavenger
 * @h: the heap
 * @goal_pages: keep at most this many free dirty pages; U64_MAX turns the
 *	background scavenger off
 * @budget_pct: share of one CPU it may use, 1..100 (clamped)
 *
 * Context: Process context.
 */
void palloc_heap_set_goal(struct palloc_heap *h, u64 goal_pages, unsigned int budget_pct)
{
	WRITE_ONCE(h->scavenger.goal_pages, goal_pages);
	WRITE_ONCE(h->scavenger.budget_pct, clamp_t(unsigned int, budget_pct, 1, 100));
	palloc_heap_kick_scavenger(h);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_set_goal);

/* Queue the background scavenger if @dirty pages exceed its goal. */
static void palloc_kick(struct palloc_heap *h, u64 dirty)
{
	struct palloc_scavenger *sc = &h->scavenger;

	if (dirty > READ_ONCE(sc->goal_pages) && !READ_ONCE(sc->stopping) &&
	    !delayed_work_pending(&sc->work))
		queue_delayed_work(system_unbound_wq, &sc->work, 0);
}

/**
 * palloc_heap_kick_scavenger() - start the background scavenger if over goal
 * @h: the heap
 *
 * Context: Process context.  Takes and releases h->lock.
 */
void palloc_heap_kick_scavenger(struct palloc_heap *h)
{
	palloc_kick(h, palloc_heap_dirty_pages(h));
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_kick_scavenger);

/**
 * palloc_heap_stats() - read the heap's counters
 * @h: the heap
 * @st: out: the snapshot
 *
 * Every page count comes from one hold of h->lock, so the snapshot is
 * consistent: pages_total = pages_inuse + pages_free + pages_cached +
 * pages_scavenging.  (A cache take that runs meanwhile moves pages from
 * cached to in use, and a cache free the other way, which keeps the sum.)
 * Only cache_allocs and cache_frees are summed over the CPUs, outside the
 * lock: a racy snapshot of monotonic counters.
 *
 * Context: Process context.  Takes and releases h->lock.
 */
void palloc_heap_stats(struct palloc_heap *h, struct palloc_stats *st)
{
	u64 cache_allocs = 0, cache_frees = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		/* racy read: a snapshot of a counter other CPUs move */
		cache_allocs += data_race(per_cpu_ptr(h->pcache, cpu)->allocs);
		/* racy read: as above */
		cache_frees += data_race(per_cpu_ptr(h->pcache, cpu)->frees);
	}
	palloc_lock(h);
	*st = (struct palloc_stats){
		.pages_total = h->pages_total,
		.pages_free = h->pages_free,
		.pages_scavenged = h->pages_scav,
		.pages_cached = atomic64_read(&h->pages_cached),
		.pages_scavenging = h->inflight_npages,
		.largest_free = palloc_largest_free(h),
		.allocs = h->allocs + cache_allocs,
		.frees = h->frees + cache_frees,
		.alloc_failures = h->alloc_failures,
		.free_errors = h->free_errors,
		.cache_allocs = cache_allocs,
		.cache_frees = cache_frees,
		.pages_released = h->pages_released,
		.scavenge_runs = h->scavenge_runs,
		.pages_returned = h->pages_returned,
		.pages_grown = h->pages_grown,
		.grow_attempts = h->grow_attempts,
		.grow_failures = h->grow_failures,
	};
	palloc_unlock(h);
	st->pages_inuse = st->pages_total - st->pages_free - st->pages_cached -
			  st->pages_scavenging;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_stats);

/**
 * palloc_heap_summary() - read one summary of the tree
 * @h: the heap
 * @level: 0 (root) .. h->nlevels - 1 (leaves, one per chunk)
 * @i: entry index in the level
 *
 * Context: Caller holds h->lock, or accepts a racy value.
 * Return: the packed summary; 0 (no free page) past the level's end.
 */
palloc_sum_t palloc_heap_summary(struct palloc_heap *h, unsigned int level, unsigned long i)
{
	if (level >= h->nlevels)
		return 0;
	return palloc_sum_get(h, level, i);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_summary);

/**
 * palloc_heap_check() - verify the heap against a recount from the bitmaps
 * @h: the heap
 *
 * Recomputes every summary at every level from the chunk bitmaps, checks
 * scavenged => free for present pages (the pages both allocated and
 * scavenged are exactly the absent ones, the range's tail included), the
 * free and scavenged page counts, and that no page below search_addr is
 * free.  Holds the lock for the whole walk: for tests
 * and debugging, not for production paths.
 *
 * Context: Process context, may sleep.  Takes and releases h->resv_mutex
 * and h->lock.
 * Return: 0, or -EUCLEAN at the first inconsistency (logged).
 */
int palloc_heap_check(struct palloc_heap *h)
{
	u64 nfree = 0, nscav = 0, nabsent = 0, first_free = U64_MAX;
	unsigned int tail = h->nchunks * PALLOC_CHUNK_PAGES - h->npages;
	unsigned int t0 = PALLOC_CHUNK_PAGES - tail;
	struct palloc_data *last = &h->chunks[h->nchunks - 1];
	unsigned long ci, i;
	int l, ret = 0;

	/* No large allocation half-marked: wait for it to finish. */
	mutex_lock(&h->resv_mutex);
	palloc_lock(h);
	if (tail && (palloc_bits_popcnt_range(&last->alloc, t0, tail) != tail ||
		     palloc_bits_popcnt_range(&last->scav, t0, tail) != tail)) {
		pr_err("check: pages past the range's end are not absent\n");
		ret = -EUCLEAN;
		goto out_unlock;
	}
	for (ci = 0; ci < h->nchunks; ci++) {
		struct palloc_data *d = &h->chunks[ci];
		unsigned int k, idx;

		for (k = 0; k < PALLOC_CHUNK_WORDS; k++) {
			nfree += 64 - hweight64(d->alloc.w[k]);
			nscav += hweight64(d->scav.w[k] & ~d->alloc.w[k]);
			nabsent += hweight64(d->scav.w[k] & d->alloc.w[k]);
		}
		idx = palloc_bits_find1(&d->alloc, 0);
		if (first_free == U64_MAX && idx != PALLOC_NOT_FOUND)
			first_free = (u64)ci * PALLOC_CHUNK_PAGES + idx;
		if (h->leaf[ci] != palloc_leaf_pack(palloc_bits_summarize(&d->alloc))) {
			pr_err("check: leaf summary of chunk %lu is stale\n", ci);
			ret = -EUCLEAN;
			goto out_unlock;
		}
	}
	for (l = h->nlevels - 2; l >= 0; l--)
		for (i = 0; i < h->len[l]; i++)
			if (h->sum[l][i] != palloc_sum_merge(h, l, i)) {
				pr_err("check: summary %lu of level %d is stale\n", i, l);
				ret = -EUCLEAN;
				goto out_unlock;
			}
	if (nabsent != (u64)h->nchunks * PALLOC_CHUNK_PAGES - h->pages_total) {
		/* Allocated and scavenged: only absent pages may be both. */
		pr_err("check: %llu pages allocated and scavenged, %llu absent\n", nabsent,
		       (u64)h->nchunks * PALLOC_CHUNK_PAGES - h->pages_total);
		ret = -EUCLEAN;
	} else if (nfree != h->pages_free || nscav != h->pages_scav) {
		pr_err("check: free %llu/%llu scavenged %llu/%llu (counted/kept)\n",
		       nfree, h->pages_free, nscav, h->pages_scav);
		ret = -EUCLEAN;
	} else if (first_free < h->search_addr) {
		pr_err("check: page %llu is free below search_addr %llu\n",
		       first_free, h->search_addr);
		ret = -EUCLEAN;
	}
out_unlock:
	palloc_unlock(h);
	mutex_unlock(&h->resv_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_check);

/**
 * palloc_heap_metadata_bytes() - memory used by a heap's bookkeeping
 * @h: the heap
 *
 * Context: Any context.
 * Return: bytes of chunk bitmaps, summaries and the per-chunk bitmaps.
 */
size_t palloc_heap_metadata_bytes(const struct palloc_heap *h)
{
	size_t bytes = sizeof(*h) + h->nchunks * (sizeof(*h->chunks) + sizeof(*h->leaf)) +
		       2 * BITS_TO_LONGS(h->nchunks) * sizeof(long);
	unsigned int l;

	for (l = 0; l + 1 < h->nlevels; l++)
		bytes += h->len[l] * sizeof(*h->sum[l]);
	return bytes;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_heap_metadata_bytes);
