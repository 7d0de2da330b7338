// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits heap entry points (the part of Go's mheap.go this port has):
 * creating and destroying a heap, and allocating and freeing runs, which
 * try the per-CPU cache first (pagecache.c), then the summary tree
 * (pagealloc.c), then flush the caches, wait for the scavenger's in-flight
 * run (scavenge.c) and grow an elastic heap (pagegrow.c).
 *
 * Locking: see struct palloc_heap; large runs also take h->resv_mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/cpumask.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "pagealloc_internal.h"
#include "palloc_trace.h"

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
		if (!__palloc_data_allocated(d, i, n))
			return false;
	}
	return true;
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
	h->cache_chunks = kvcalloc(BITS_TO_LONGS(h->nchunks), sizeof(long), GFP_KERNEL);
	if (!h->cache_chunks)
		goto out_free_dirty;
	h->pcache = alloc_percpu(struct palloc_pcache);
	if (!h->pcache)
		goto out_free_cache_chunks;
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

out_free_cache_chunks:
	kvfree(h->cache_chunks);
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
	kvfree(h->cache_chunks);
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
	palloc_prefetch(h, start, npages);
	/* Pass 0 checks every batch, pass 1 frees them (one pass if small). */
	palloc_lock(h);
	for (pass = npages <= PALLOC_BATCH_PAGES; pass < 2; pass++) {
		for (p = start; p < end; p += n) {
			/* A small run in one hold: checked and freed at once. */
			n = npages <= PALLOC_BATCH_PAGES ? npages :
			    min(end - p, PALLOC_BATCH_PAGES - p % PALLOC_CHUNK_PAGES);
			if (!palloc_free_ok(h, p, n) || (pass && palloc_cache_claim(h, p, n))) {
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
