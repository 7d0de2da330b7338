// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits page allocator: Go's pageAlloc over a range of chunks
 * (mpagealloc.go): the summary tree, the search, alloc, free and grow, and
 * the counters.  The per-CPU caches are in pagecache.c, the scavenger in
 * scavenge.c, the elastic heap in pagegrow.c (pagealloc_internal.h).
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
#include <linux/prefetch.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "pagealloc_internal.h"

#define CREATE_TRACE_POINTS
#include "palloc_trace.h"

/* Prefetch a free's metadata only above this many chunks (64 GiB of 4 KiB pages). */
#define PALLOC_PREFETCH_CHUNKS	BIT(15)

/* Leaf summaries: 10-bit fields, enough for 0..512. */
#define PALLOC_LEAF_BITS	10
#define PALLOC_LEAF_MASK	((1U << PALLOC_LEAF_BITS) - 1)

static inline unsigned int palloc_level_log_pages(const struct palloc_heap *h, unsigned int l)
{
	return ilog2(PALLOC_CHUNK_PAGES) + PALLOC_LEVEL_BITS * (h->nlevels - 1 - l);
}

/* Fields of leaf summary @v. */
static inline unsigned int palloc_leaf_start(u32 v)
{
	return v & PALLOC_LEAF_MASK;
}

static inline unsigned int palloc_leaf_max(u32 v)
{
	return (v >> PALLOC_LEAF_BITS) & PALLOC_LEAF_MASK;
}

static inline unsigned int palloc_leaf_end(u32 v)
{
	return v >> (2 * PALLOC_LEAF_BITS);
}

static inline u32 palloc_leaf_make(unsigned int start, unsigned int max, unsigned int end)
{
	return start | max << PALLOC_LEAF_BITS | end << (2 * PALLOC_LEAF_BITS);
}

static u32 palloc_leaf_pack(palloc_sum_t s)
{
	return palloc_leaf_make(__palloc_sum_start(s), __palloc_sum_max(s), __palloc_sum_end(s));
}

static palloc_sum_t palloc_leaf_unpack(u32 v)
{
	return __palloc_sum_pack(palloc_leaf_start(v), palloc_leaf_max(v), palloc_leaf_end(v));
}

/*
 * Fields of inner summary @s, of an entry of @f pages, as the merge and the
 * search read them: an all-free entry (PALLOC_SUM_ALL_FREE) is @f, @f, @f.
 */
static __always_inline void palloc_sum_fields(palloc_sum_t s, u64 f, u64 *cs, u64 *cm, u64 *ce)
{
	if (s & PALLOC_SUM_ALL_FREE) {
		*cs = f;
		*cm = f;
		*ce = f;
	} else {
		*cs = s & PALLOC_SUM_FIELD_MASK;
		*cm = (s >> PALLOC_SUM_LOG_MAX) & PALLOC_SUM_FIELD_MASK;
		*ce = (s >> (2 * PALLOC_SUM_LOG_MAX)) & PALLOC_SUM_FIELD_MASK;
	}
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

/* The result of Go's mergeSummaries: merged start, longest run and end. */
struct palloc_merge {
	u64 start;
	u64 most;
	u64 end;
};

/*
 * Append an entry of @f pages with fields (@cs, @cm, @ce) to a merge whose
 * entries so far are all free while *@open.  Called on the merge loop's
 * locals, which stay in registers: not through a struct another pointer
 * might alias, which the compiler would store back on every entry.
 */
static __always_inline void palloc_merge_add(u64 *start, u64 *most, u64 *end, bool *open, u64 f,
					     u64 cs, u64 cm, u64 ce)
{
	if (*open) {
		*start += cs;
		*open = cs == f;
	}
	*most = max3(*most, *end + cs, cm);
	*end = ce == f ? *end + f : ce;
}

/*
 * Merge @n consecutive entries of level @l from entry @first (Go's
 * mergeSummaries): a run of free pages is stitched across entries from the
 * end of one to the start of the next.  Entries past the level's end are
 * full.  Unpacked, as the root's merge may exceed the packed fields.  The
 * leaves and the inner levels each have their own loop, with no test of
 * the level per entry: this runs on every level of every update.
 */
static void palloc_sum_merge_range(const struct palloc_heap *h, unsigned int l,
				   unsigned long first, unsigned long n, struct palloc_merge *m)
{
	u64 f = 1ULL << palloc_level_log_pages(h, l), start = 0, most = 0, end = 0;
	unsigned long c, have = first < h->len[l] ? min(n, h->len[l] - first) : 0;
	bool open = true;

	if (l == h->nlevels - 1) {
		const u32 *v = &h->leaf[first];

		for (c = 0; c < have; c++) {
			u64 cs = palloc_leaf_start(v[c]), cm = palloc_leaf_max(v[c]);
			u64 ce = palloc_leaf_end(v[c]);

			palloc_merge_add(&start, &most, &end, &open, f, cs, cm, ce);
		}
	} else {
		const palloc_sum_t *v = &h->sum[l][first];

		for (c = 0; c < have; c++) {
			u64 cs, cm, ce;

			palloc_sum_fields(v[c], f, &cs, &cm, &ce);
			palloc_merge_add(&start, &most, &end, &open, f, cs, cm, ce);
		}
	}
	if (have < n)
		end = 0;	/* a full entry follows */
	*m = (struct palloc_merge){ .start = start, .most = most, .end = end };
}

/* The summary of entry @i of level @l: the merge of its 8 children. */
static palloc_sum_t palloc_sum_merge(const struct palloc_heap *h, unsigned int l, unsigned long i)
{
	struct palloc_merge m;

	palloc_sum_merge_range(h, l + 1, i << PALLOC_LEVEL_BITS, 1U << PALLOC_LEVEL_BITS, &m);
	return __palloc_sum_pack(m.start, m.most, m.end);
}

/*
 * Parent @p after its one changed child went from @old to @new, when only
 * the child's inside changed (same start and end, so the runs crossing
 * into its neighbours are the same): a longer inside run is the parent's
 * longest if it beats it; a shorter one changes nothing unless the child's
 * old run was the parent's longest.  Return: true and *@np, or false if
 * the children must be merged.
 */
static bool palloc_sum_quick(palloc_sum_t p, palloc_sum_t old, palloc_sum_t new,
			     palloc_sum_t *np)
{
	u64 om, nm, pm;

	if (__palloc_sum_start(old) != __palloc_sum_start(new) ||
	    __palloc_sum_end(old) != __palloc_sum_end(new))
		return false;
	om = __palloc_sum_max(old);
	nm = __palloc_sum_max(new);
	pm = __palloc_sum_max(p);
	if (nm >= om) {
		*np = nm > pm ? __palloc_sum_pack(__palloc_sum_start(p), nm, __palloc_sum_end(p)) :
				p;
		return true;
	}
	if (om < pm) {
		*np = p;
		return true;
	}
	return false;
}

/*
 * Recompute the parents of changed leaves [@lo, @hi] up the tree, stopping
 * as soon as a level does not change (Go's pageAlloc.update).  When one
 * leaf changed, from @old to @new, a parent is derived from its old value
 * where palloc_sum_quick() can, instead of merging its 8 children.
 */
static void palloc_update_up(struct palloc_heap *h, unsigned long lo, unsigned long hi,
			     palloc_sum_t old, palloc_sum_t new)
{
	bool one = lo == hi;
	int l;

	for (l = h->nlevels - 2; l >= 0; l--) {
		bool changed = false;
		unsigned long i;

		lo >>= PALLOC_LEVEL_BITS;
		hi >>= PALLOC_LEVEL_BITS;
		for (i = lo; i <= hi; i++) {
			palloc_sum_t p = h->sum[l][i], s;

			if (!one || !palloc_sum_quick(p, old, new, &s))
				s = palloc_sum_merge(h, l, i);
			if (p != s) {
				h->sum[l][i] = s;
				changed = true;
			}
			old = p;
			new = s;
		}
		if (!changed)
			return;
		one = lo == hi;
	}
}

/* Set chunk @ci's leaf summary to @v, its old value to *@old.  Return: true if it changed. */
static bool palloc_set_leaf(struct palloc_heap *h, unsigned long ci, u32 v, u32 *old)
{
	*old = h->leaf[ci];
	if (*old == v)
		return false;
	h->leaf[ci] = v;
	return true;
}

/**
 * palloc_update() - recompute the summaries above changed chunks
 * @h: the heap
 * @sc: first chunk changed
 * @ec: last chunk changed
 *
 * Recomputes the leaves of chunks [@sc, @ec] from their bitmaps and every
 * ancestor, stopping as soon as a level does not change (Go's
 * pageAlloc.update).  Work is proportional to the chunks touched.
 *
 * Context: Holds h->lock.
 */
void palloc_update(struct palloc_heap *h, unsigned long sc, unsigned long ec)
{
	bool changed = false;
	unsigned long ci;
	u32 v = 0, ov = 0;

	lockdep_assert_held(&h->lock);
	for (ci = sc; ci <= ec; ci++) {
		v = palloc_leaf_pack(palloc_bits_summarize(&h->chunks[ci].alloc));
		changed |= palloc_set_leaf(h, ci, v, &ov);
	}
	if (changed)
		palloc_update_up(h, sc, ec, palloc_leaf_unpack(ov), palloc_leaf_unpack(v));
}

/*
 * The free run of @b around pages [i, i + n): [*lo, *hi), where *lo and *hi
 * are the allocated pages (or the chunk's ends) nearest below and above.
 */
static void palloc_run_around(const struct palloc_bits *b, unsigned int i, unsigned int n,
			      unsigned int *lo, unsigned int *hi)
{
	unsigned long below = i ? find_last_bit(palloc_ul(b), i) : 0;

	*lo = below < i ? below + 1 : 0;
	*hi = find_next_bit(palloc_ul(b), PALLOC_CHUNK_PAGES, i + n);
}

/*
 * The leaf of chunk @ci once pages [i, i + n) are freed: the free run around
 * them, [lo, hi) in the new bitmap, joins the runs it touched; the rest of
 * the chunk is as it was.  So a free's leaf costs what the run it touched
 * spans, not a summarize of the chunk.  (An allocation summarizes: finding
 * the ends of the run it splits cost more than Go's bit-parallel summarize
 * of 8 words, measured A/B in make bench, and a shrinking longest run needs
 * the summarize anyway.)
 */
static u32 palloc_leaf_freed(struct palloc_heap *h, unsigned long ci, unsigned int i,
			     unsigned int n)
{
	u32 v = h->leaf[ci];
	unsigned int lo, hi, start = palloc_leaf_start(v), end = palloc_leaf_end(v);

	palloc_run_around(&h->chunks[ci].alloc, i, n, &lo, &hi);
	if (!lo)
		start = hi;
	if (hi == PALLOC_CHUNK_PAGES)
		end = PALLOC_CHUNK_PAGES - lo;
	return palloc_leaf_make(start, max(palloc_leaf_max(v), hi - lo), end);
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

	for_each_clear_bitrange_from(lo, hi, palloc_ul(&d->scav), i + n)
		bitmap_set(dirty, off + lo - i, hi - lo);
}

/**
 * palloc_prefetch() - start loading what freeing a run will touch
 * @h: the heap
 * @start: first page, inside the heap
 * @npages: pages, >= 1, inside the heap
 *
 * A free lands on a chunk nobody touched lately: its bitmaps, its leaf and
 * the summaries above it are cache misses, each found only once the one
 * before it is in.  Asking for all of them at once, before the lock, lets
 * the misses overlap.  Only the first and last chunk: a hint, bounded.
 * Only for heaps larger than PALLOC_PREFETCH_CHUNKS chunks: below that the
 * metadata mostly stays in the caches, and the hint costs more than it
 * saves (make bench: about 20 ns more per free+alloc up to 4 GiB, nothing
 * either way at 64 GiB, 140 ns less at 1 TiB).
 *
 * Context: Any context; reads nothing.
 */
void palloc_prefetch(struct palloc_heap *h, u64 start, u64 npages)
{
	unsigned long ends[2] = {
		start / PALLOC_CHUNK_PAGES, (start + npages - 1) / PALLOC_CHUNK_PAGES
	};
	unsigned int e, l;

	if (h->nchunks <= PALLOC_PREFETCH_CHUNKS)
		return;

	for (e = 0; e < 2 && (!e || ends[1] != ends[0]); e++) {
		unsigned long ci = ends[e];

		prefetchw(&h->chunks[ci].alloc);
		prefetchw(&h->chunks[ci].scav);
		prefetchw(&h->leaf[ci]);
		for (l = 0; l + 1 < h->nlevels; l++)
			prefetchw(&h->sum[l][ci >> (PALLOC_LEVEL_BITS * (h->nlevels - 1 - l))]);
	}
	prefetch(&h->cache_chunks[BIT_WORD(ends[0])]);
}

/**
 * palloc_alloc_range() - mark free pages allocated (Go's allocRange)
 * @h: the heap
 * @start: first page
 * @npages: pages, all free
 * @dirty: NULL, or a bitmap whose bit (page - @run) is set for each page
 *	that is not scavenged
 * @run: first page of the run @dirty describes
 *
 * Context: Holds h->lock.
 * Return: how many of the pages were scavenged.
 */
u64 palloc_alloc_range(struct palloc_heap *h, u64 start, u64 npages, unsigned long *dirty,
		       u64 run)
{
	unsigned long ci;
	unsigned int i, n;
	bool changed = false;
	u64 scav = 0, p;
	u32 v = 0, ov = 0;

	lockdep_assert_held(&h->lock);
	for (p = start; p < start + npages; p += n) {
		n = palloc_piece(p, start + npages, &ci, &i);
		struct palloc_data *d = &h->chunks[ci];

		palloc_hold_work(h, 1);
		if (dirty)
			palloc_note_dirty(d, i, n, dirty, p - run);
		if (n == PALLOC_CHUNK_PAGES) {
			scav += palloc_data_alloc_all(d);
			v = 0;
		} else {
			/* Go's whole-chunk summarize: cheaper than finding the run's ends. */
			scav += __palloc_data_alloc_range(d, i, n);
			v = palloc_leaf_pack(palloc_bits_summarize(&d->alloc));
		}
		changed |= palloc_set_leaf(h, ci, v, &ov);
	}
	h->pages_free -= npages;
	h->pages_scav -= scav;
	if (changed)
		palloc_update_up(h, start / PALLOC_CHUNK_PAGES,
				 (start + npages - 1) / PALLOC_CHUNK_PAGES,
				 palloc_leaf_unpack(ov), palloc_leaf_unpack(v));
	return scav;
}

/**
 * palloc_free_range() - mark allocated (or absent) pages free (Go's free)
 * @h: the heap
 * @start: first page
 * @npages: pages, with no scavenged bit unless @scavenged (absent pages
 *	freed dirty have theirs cleared first, by palloc_heap_grow())
 * @scavenged: mark them scavenged (the scavenger, grow), else dirty
 *
 * Context: Holds h->lock.
 */
void palloc_free_range(struct palloc_heap *h, u64 start, u64 npages, bool scavenged)
{
	unsigned long ci;
	unsigned int i, n;
	bool changed = false;
	u64 p;
	u32 v = 0, ov = 0;

	lockdep_assert_held(&h->lock);
	for (p = start; p < start + npages; p += n) {
		n = palloc_piece(p, start + npages, &ci, &i);
		struct palloc_data *d = &h->chunks[ci];

		palloc_hold_work(h, 1);
		if (n == PALLOC_CHUNK_PAGES) {
			palloc_bits_free_all(&d->alloc);
			v = palloc_leaf_make(PALLOC_CHUNK_PAGES, PALLOC_CHUNK_PAGES,
					     PALLOC_CHUNK_PAGES);
		} else {
			__palloc_bits_clear_range(&d->alloc, i, n);
			v = palloc_leaf_freed(h, ci, i, n);
		}
		if (scavenged)
			palloc_bits_set_range(&d->scav, i, n);
		else
			set_bit(ci, h->dirty);
		changed |= palloc_set_leaf(h, ci, v, &ov);
	}
	h->pages_free += npages;
	if (scavenged)
		h->pages_scav += npages;
	h->search_addr = min(h->search_addr, start);
	if (changed)
		palloc_update_up(h, start / PALLOC_CHUNK_PAGES,
				 (start + npages - 1) / PALLOC_CHUNK_PAGES,
				 palloc_leaf_unpack(ov), palloc_leaf_unpack(v));
}

/*
 * Lowest @align-aligned run of @npages free pages of a chunk whose absolute
 * first page is @base, starting at page @from or above.  Bounded by the
 * chunk's size.
 */
static unsigned int palloc_chunk_find(const struct palloc_bits *b, u64 base, unsigned int npages,
				      u64 align, unsigned int from, unsigned int *hint)
{
	unsigned long idx;

	if (align == 1) {
		/*
		 * Go's find reads @from as a hint and starts at its word: a
		 * run it finds below @from is not this search's (one that
		 * began above search_addr).  Then look from @from on.
		 */
		idx = palloc_bits_find(b, npages, from, hint);
		if (idx == PALLOC_NOT_FOUND || idx >= from)
			return idx;
	} else {
		*hint = palloc_bits_find1(b, from);
	}
	/*
	 * The lowest free run from @from on whose first page is aligned in the
	 * heap, not in the chunk (6.1's prototype lacks the const; it reads).
	 */
	idx = bitmap_find_next_zero_area_off((unsigned long *)palloc_ul(b), PALLOC_CHUNK_PAGES,
					     from, npages, align - 1, base & (align - 1));
	return idx + npages <= PALLOC_CHUNK_PAGES ? idx : PALLOC_NOT_FOUND;
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
	u64 sa;			/* where the search began: no run starts below */
	u64 hint;		/* every page below it is allocated */
	bool exact;		/* it began at search_addr: no page below is free */
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
		/*
		 * Go's "bad summary data", but only from search_addr: above
		 * it, the longest run may lie below where the search began.
		 */
		WARN_ON_ONCE(q->align == 1 && q->exact);
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
	u64 f = 1ULL << logp, base = (u64)e << logp, cs, lo, end;

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
	/*
	 * A run crossing into this entry is lower than any inside it.  Its
	 * pages below q->sa are not the search's: a search resumed above
	 * search_addr, or skipping a reservation, starts no run there.
	 */
	lo = max(s->run_base, q->sa);
	end = s->run_base + s->run_size + cs;
	if (end >= lo + q->npages && palloc_fits(lo, end - lo, q->npages, q->align, at))
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

/* Fields of entry @e of level @l, which is inside the level. */
static __always_inline void palloc_entry_fields(const struct palloc_heap *h, unsigned int l,
						unsigned long e, u64 f, u64 *cs, u64 *cm, u64 *ce)
{
	if (l == h->nlevels - 1) {
		u32 v = h->leaf[e];

		*cs = palloc_leaf_start(v);
		*cm = palloc_leaf_max(v);
		*ce = palloc_leaf_end(v);
	} else {
		palloc_sum_fields(h->sum[l][e], f, cs, cm, ce);
	}
}

/*
 * Go's find itself (mpagealloc.go), for an unaligned run from search_addr:
 * no page below search_addr is free, so the first entry of a level whose
 * longest run holds the request does hold it, and the descent never turns
 * back.  At each level the block of 8 entries is scanned once, with the
 * open run and the search state in registers.  The hint follows the same
 * rules as palloc_search_step().  Return: 1 and *@at, or 0 (no fit).
 */
static int palloc_find_first(struct palloc_heap *h, u64 npages, u64 *at, u64 *hint)
{
	u64 sa = h->search_addr, hnt = sa;
	unsigned long i = 0;
	bool frontier = true;
	unsigned int l;

	for (l = 0; l < h->nlevels; l++) {
		unsigned int logp = palloc_level_log_pages(h, l);
		unsigned long blk = l ? i << PALLOC_LEVEL_BITS : 0, e, end;
		u64 f = 1ULL << logp, size = 0, base = 0;

		end = l ? min_t(unsigned long, blk + (1U << PALLOC_LEVEL_BITS), h->len[l]) :
			  h->len[0];
		for (e = max_t(unsigned long, blk, sa >> logp); e < end; e++) {
			u64 cs, cm, ce;

			palloc_entry_fields(h, l, e, f, &cs, &cm, &ce);
			if (!cm) {
				size = 0;
				if (frontier)
					hnt = min(max(hnt, (u64)(e + 1) << logp), h->npages);
				continue;
			}
			if (frontier)
				hnt = max(hnt, (u64)e << logp);
			if (size + cs >= npages) {
				*at = size ? base : (u64)e << logp;
				*hint = hnt;
				return 1;
			}
			if (cm >= npages)
				break;
			frontier = false;
			if (cs == f) {
				if (!size)
					base = (u64)e << logp;
				size += f;
			} else {
				size = ce;
				base = ((u64)(e + 1) << logp) - ce;
			}
		}
		if (e == end) {
			/* Only the root may hold no fit: Go's "bad summary data". */
			WARN_ON_ONCE(l);
			return 0;
		}
		i = e;
	}
	/* The chunk whose longest run holds the request. */
	{
		u64 cbase = (u64)i * PALLOC_CHUNK_PAGES;
		unsigned int from = sa / PALLOC_CHUNK_PAGES == i ? sa % PALLOC_CHUNK_PAGES : 0;
		unsigned int idx, nsi;

		idx = palloc_bits_find(&h->chunks[i].alloc, npages, from, &nsi);
		if (WARN_ON_ONCE(idx == PALLOC_NOT_FOUND))
			return 0;
		if (frontier && nsi != PALLOC_NOT_FOUND)
			hnt = max(hnt, cbase + nsi);
		*at = cbase + idx;
		*hint = hnt;
		return 1;
	}
}

/**
 * palloc_find() - first-fit search down the summary tree (Go's find)
 * @h: the heap
 * @npages: pages wanted
 * @align: their alignment, a power of two
 * @from: in: where to search from; out: where to resume (-EAGAIN)
 * @at: out: the first page found
 * @hint: out: a new lower bound for search_addr
 *
 * Generalised to aligned runs, from page *@from (search_addr, or a resume
 * point above it): the run found starts at *@from or above, even where the
 * summaries count free pages below it.
 * For @align == 1 every descent succeeds, as in Go, and the work is bounded
 * by the tree's depth.  An aligned search descends only into entries whose
 * longest run could hold the request and backtracks when one does not; it
 * looks at PALLOC_ALIGN_BUDGET entries at most, then stops with *@from set
 * to where to resume, so that the caller can drop the lock in between.
 *
 * *@hint gets a new lower bound for search_addr: every page below it is
 * allocated (Go's candidate searchAddr).
 *
 * Context: Holds h->lock.
 * Return: 1 and the first page in *@at; 0 if no run fits; -EAGAIN when
 * the budget ran out.
 */
int palloc_find(struct palloc_heap *h, u64 npages, u64 align, u64 *from, u64 *at, u64 *hint)
{
	struct palloc_search q = {
		.h = h, .npages = npages, .align = align,
		.sa = *from, .hint = h->search_addr, .exact = *from == h->search_addr,
		.frontier = *from == h->search_addr,
	};
	unsigned int budget = h->search_budget;

	lockdep_assert_held(&h->lock);
	if (align == 1 && q.exact)
		return palloc_find_first(h, npages, at, hint);
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

/**
 * palloc_largest_free() - the longest run of free pages
 * @h: the heap
 *
 * The merge of the root (at most 512 entries).
 *
 * Context: Holds h->lock.
 * Return: the longest run of free pages in the bitmaps.
 */
u64 palloc_largest_free(struct palloc_heap *h)
{
	struct palloc_merge m;

	lockdep_assert_held(&h->lock);
	palloc_sum_merge_range(h, 0, 0, h->len[0], &m);
	return m.most;
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
			if (!pass && (!palloc_bits_all(&h->chunks[ci].alloc, i, n, true) ||
				      !palloc_bits_all(&h->chunks[ci].scav, i, n, true))) {
				palloc_unlock(h);
				return -EINVAL;
			}
			if (!pass)
				palloc_hold_work(h, 1);
			if (pass) {
				/* Absent pages are scavenged: dirty ones are not. */
				if (!scavenged)
					palloc_bits_clear_range(&h->chunks[ci].scav, i, n);
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

/**
 * palloc_alloc_locked() - the locked allocation path
 * @h: the heap
 * @npages: pages wanted
 * @align: their alignment, a power of two
 * @reserve: make the run found the reservation (see below)
 * @start: out: the first page
 * @scav: out: how many of the pages were scavenged (0 with @reserve)
 * @dirty: NULL, or a bitmap that gets a bit set for each page not scavenged
 *
 * Go's pageAlloc.alloc plus alignment.  An
 * aligned search that runs out of budget drops the lock, reschedules and
 * resumes where it stopped, against whatever the heap looks like then.  A
 * fit that overlaps the reservation of a large allocation in progress is
 * skipped: no fit starts below it (first fit), so the search goes on from
 * the reservation's end.
 *
 * With @reserve (a run larger than PALLOC_BATCH_PAGES, h->resv_mutex held)
 * the run found becomes the reservation instead of being marked allocated;
 * palloc_resv_fill() marks it.
 *
 * Context: Holds h->lock; may drop and retake it (aligned searches).
 * Return: true if a run was found (and taken or reserved).
 */
bool palloc_alloc_locked(struct palloc_heap *h, u64 npages, u64 align, bool reserve,
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

/**
 * palloc_resv_fill() - mark the reservation allocated
 * @h: the heap
 * @dirty: NULL, or a bitmap that gets a bit set for each page not scavenged
 *
 * PALLOC_BATCH_PAGES at a time with lock breaks in between
 * (palloc_alloc_range() for a large run).  Nothing else takes its pages
 * meanwhile: searches, refills and the scavenger skip it, and frees refuse
 * its pages, which are still free.
 *
 * Context: Holds h->lock and h->resv_mutex; drops and retakes h->lock.
 * Return: how many of the pages were scavenged.
 */
u64 palloc_resv_fill(struct palloc_heap *h, unsigned long *dirty)
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

/* h->cache_chunks has a bit exactly for the chunks with a cached block. */
static int palloc_check_cache_chunks(struct palloc_heap *h)
{
	unsigned long ci;

	lockdep_assert_held(&h->lock);
	for (ci = 0; ci < h->nchunks; ci++) {
		bool held = palloc_chunk_cached(h, ci);

		if (held != test_bit(ci, h->cache_chunks)) {
			pr_err("check: cache_chunks bit of chunk %lu is %d, cached blocks %d\n",
			       ci, !held, held);
			return -EUCLEAN;
		}
	}
	return 0;
}

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
	if (tail && (!palloc_bits_all(&last->alloc, t0, tail, true) ||
		     !palloc_bits_all(&last->scav, t0, tail, true))) {
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
	ret = palloc_check_cache_chunks(h);
	if (ret)
		goto out_unlock;
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
