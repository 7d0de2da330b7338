/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits page allocator, inside: what its files share and nothing else
 * includes.  The heap is cut along the Go runtime's seams, each file using
 * only the ones listed below it:
 *   heap.c        the heap's entry points: create, alloc, free (mheap.go)
 *   scavenge.c    the scavenger and its background worker (mgcscavenge.go)
 *   pagecache.c   per-CPU page caches, lock-free frees into them (mpagecache.go)
 *   pagegrow.c    the elastic heap: chunks handed back and grown back
 *                 (Go's sysUnused/sysUsed, made real)
 *   pagealloc.c   summary tree, search, marking runs, grow, stats (mpagealloc.go)
 * Every lock and field is documented with struct palloc_heap in pagealloc.h.
 */
#ifndef _PALLOC_PAGEALLOC_INTERNAL_H
#define _PALLOC_PAGEALLOC_INTERNAL_H

#include <linux/bitmap.h>
#include <linux/build_bug.h>
#include <linux/find.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "pagealloc.h"

/*
 * A chunk bitmap's words as the kernel's bitmap helpers take them: a u64 is
 * an unsigned long here (the module needs a 64-bit kernel).
 */
static inline const unsigned long *palloc_ul(const struct palloc_bits *b)
{
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(u64));
	return (const unsigned long *)b->w;
}

/* Are pages [i, i + n) of @b all set (@set) or all clear? */
static inline bool palloc_bits_all(const struct palloc_bits *b, unsigned int i, unsigned int n,
				   bool set)
{
	return (set ? find_next_zero_bit(palloc_ul(b), i + n, i) :
		      find_next_bit(palloc_ul(b), i + n, i)) >= i + n;
}

/* Chunks one background scavenger run hands back at most. */
#define PALLOC_SHRINK_CHUNKS	16

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
static inline void palloc_lock_break(struct palloc_heap *h)
	__must_hold(&h->lock)
{
	palloc_unlock(h);
	cond_resched();
	palloc_lock(h);
}

/* Does [start, start + npages) overlap the reservation? */
static inline bool palloc_resv_overlaps(const struct palloc_heap *h, u64 start, u64 npages)
{
	lockdep_assert_held(&h->lock);
	return start < h->resv_end && h->resv_start < start + npages;
}

/*
 * Does a per-CPU cache hold a 64-page block of chunk @ci?  h->cache_blocks
 * is indexed by block * nr_cpu_ids + cpu (pagecache.c), so the chunk's
 * entries are one index range.
 */
static inline bool palloc_chunk_cached(struct palloc_heap *h, unsigned long ci)
{
	unsigned long per = (PALLOC_CHUNK_PAGES / PALLOC_CACHE_PAGES) * nr_cpu_ids;
	unsigned long idx = ci * per;

	lockdep_assert_held(&h->lock);
	return xa_find(&h->cache_blocks, &idx, idx + per - 1, XA_PRESENT);
}

static inline struct palloc_data *palloc_chunk(struct palloc_heap *h, u64 page)
{
	return &h->chunks[page / PALLOC_CHUNK_PAGES];
}

/*
 * The piece of [p, end) in one chunk: its chunk index, first page in the
 * chunk, and (returned) length.
 */
static inline unsigned int palloc_piece(u64 p, u64 end, unsigned long *ci, unsigned int *i)
{
	*ci = p / PALLOC_CHUNK_PAGES;
	*i = p % PALLOC_CHUNK_PAGES;
	return min_t(u64, PALLOC_CHUNK_PAGES - *i, end - p);
}

/* Is [start, start + npages) a non-empty range inside the heap? */
static inline bool palloc_range_ok(const struct palloc_heap *h, u64 start, u64 npages)
{
	return npages && start < h->npages && npages <= h->npages - start;
}

/* Queue the background scavenger if @dirty pages exceed its goal. */
static inline void palloc_kick(struct palloc_heap *h, u64 dirty)
{
	struct palloc_scavenger *sc = &h->scavenger;

	if (dirty > READ_ONCE(sc->goal_pages) && !READ_ONCE(sc->stopping) &&
	    !delayed_work_pending(&sc->work))
		queue_delayed_work(system_unbound_wq, &sc->work, 0);
}

/* Is an elastic heap's free headroom below half?  Then grow ahead. */
static inline bool palloc_wants_growth(struct palloc_heap *h)
	__must_hold(&h->lock)
{
	return h->elastic && h->pages_free < h->headroom / 2 && h->pages_total < h->npages;
}

/* pagealloc.c */
void palloc_update(struct palloc_heap *h, unsigned long sc, unsigned long ec);
u64 palloc_largest_free(struct palloc_heap *h);
bool palloc_alloc_locked(struct palloc_heap *h, u64 npages, u64 align, bool reserve,
			 u64 *start, u64 *scav, unsigned long *dirty);
u64 palloc_resv_fill(struct palloc_heap *h, unsigned long *dirty);
u64 palloc_alloc_range(struct palloc_heap *h, u64 start, u64 npages, unsigned long *dirty,
		       u64 run);
void palloc_free_range(struct palloc_heap *h, u64 start, u64 npages, bool scavenged);
void palloc_prefetch(struct palloc_heap *h, u64 start, u64 npages);
int palloc_find(struct palloc_heap *h, u64 npages, u64 align, u64 *from, u64 *at, u64 *hint);

/* pagecache.c */
bool palloc_cached(struct palloc_heap *h, u64 start, u64 npages);
bool palloc_cache_claim(struct palloc_heap *h, u64 start, u64 npages);
bool palloc_cache_alloc(struct palloc_heap *h, u64 npages, u64 *start, u64 *scav,
			unsigned long *dirty);
bool palloc_cache_free(struct palloc_heap *h, u64 start, u64 npages);
bool palloc_flush_idle_caches(struct palloc_heap *h);

/* scavenge.c */
int palloc_wait_inflight(struct palloc_heap *h);
void palloc_scavenger_work(struct work_struct *work);

/* pagegrow.c */
int palloc_grow_for(struct palloc_heap *h, u64 npages, u64 align);
u64 palloc_grow_ahead(struct palloc_heap *h);

#endif /* _PALLOC_PAGEALLOC_INTERNAL_H */
