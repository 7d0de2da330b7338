// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits per-CPU page caches (Go's mpagecache.go, re-implemented;
 * BSD-3-Clause): each CPU holds the free pages of one 64-page block,
 * allocates small runs from it without the heap lock, and takes back the
 * frees of pages it handed out (the free half is the idea of the kernel's
 * IOVA rcache, drivers/iommu/iova.c).  The heap's free path and the
 * scavenger find what the caches hold through h->cache_blocks.
 *
 * Locking: a cache's lock (struct palloc_pcache) protects the cache and
 * nests outside the heap lock; never two cache locks at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/bitops.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/xarray.h>

#include "pagealloc_internal.h"
#include "palloc_trace.h"

/*
 * Index of cache @c's entry for the block at @base in h->cache_blocks: one
 * entry per cache and block, so two caches may hold pages of one block.
 */
static unsigned long palloc_cache_index(const struct palloc_pcache *c, u64 base)
{
	return (unsigned long)(base / PALLOC_CACHE_PAGES) * nr_cpu_ids + c->cpu;
}

/*
 * The caches holding a block of [start, start + npages), each with the mask
 * of the range's pages in that block: calls @fn until it returns true.
 */
static bool palloc_any_holder(struct palloc_heap *h, u64 start, u64 npages,
			      bool (*fn)(struct palloc_pcache *c, u64 m))
{
	unsigned long first = start / PALLOC_CACHE_PAGES;
	unsigned long last = (start + npages - 1) / PALLOC_CACHE_PAGES;
	unsigned long fc = start / PALLOC_CHUNK_PAGES;
	unsigned long lc = (start + npages - 1) / PALLOC_CHUNK_PAGES;
	struct palloc_pcache *c;
	unsigned long idx;

	lockdep_assert_held(&h->lock);
	/* Most frees touch no cached block: skip the tree walk. */
	if (find_next_bit(h->cache_chunks, lc + 1, fc) > lc)
		return false;
	xa_for_each_range(&h->cache_blocks, idx, c, first * nr_cpu_ids,
			  last * nr_cpu_ids + nr_cpu_ids - 1) {
		/* base only changes under h->lock; cache bits only drop without it. */
		u64 base = (u64)(idx / nr_cpu_ids) * PALLOC_CACHE_PAGES;
		u64 lo = max(start, base) - base;
		u64 hi = min(start + npages, base + PALLOC_CACHE_PAGES) - base;

		if (c->base == base && fn(c, GENMASK_ULL(hi - 1, lo)))
			return true;
	}
	return false;
}

static bool palloc_holds(struct palloc_pcache *c, u64 m)
{
	return READ_ONCE(c->cache) & m;
}

/* Take the pages out of @c's out mask; then are they in the cache? */
static bool palloc_claim(struct palloc_pcache *c, u64 m)
{
	atomic64_fetch_andnot(m, &c->out);
	return READ_ONCE(c->cache) & m;
}

/**
 * palloc_cached() - is a page of a range held free by a per-CPU cache?
 * @h: the heap
 * @start: first page
 * @npages: pages
 *
 * Looks only at the caches that hold a block of the range (h->cache_blocks),
 * so the work is bounded by the range, not by the number of CPUs.  Changes
 * nothing.
 *
 * Context: Holds h->lock.
 * Return: true if a cache holds a page of [@start, @start + @npages) free.
 */
bool palloc_cached(struct palloc_heap *h, u64 start, u64 npages)
{
	return palloc_any_holder(h, start, npages, palloc_holds);
}

/**
 * palloc_cache_claim() - take a range the heap is about to free from the caches
 * @h: the heap
 * @start: first page
 * @npages: pages, all allocated, checked with palloc_cached() under this hold
 *
 * The heap's free path clears the range's out bits in every cache holding
 * a block of it, so that no cache takes these pages back lock-free after
 * the heap has them, then looks at the cache bits again.  A lock-free free
 * sets its cache bits before it clears its out bits (both fully ordered),
 * so either it sees its bits gone and falls back to the heap path, or this
 * sees the cache bits: the free is then refused (two frees of one page at
 * once, a caller's bug).
 *
 * Context: Holds h->lock.
 * Return: true if a cache took a page of the range meanwhile: refuse.
 */
bool palloc_cache_claim(struct palloc_heap *h, u64 start, u64 npages)
{
	return palloc_any_holder(h, start, npages, palloc_claim);
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
	/* The chunk's last cached block gone: clear its h->cache_chunks bit. */
	if (!palloc_chunk_cached(h, c->base / PALLOC_CHUNK_PAGES))
		__clear_bit(c->base / PALLOC_CHUNK_PAGES, h->cache_chunks);
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
	__set_bit(base / PALLOC_CHUNK_PAGES, h->cache_chunks);
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
	/* The run's unscavenged pages, shifted to its first page. */
	if (dirty)
		*dirty |= (~c->scav & m) >> i;
	WRITE_ONCE(c->cache, c->cache & ~m);
	c->scav &= ~m;
	atomic64_or(m, &c->out);
	atomic64_sub(npages, &h->pages_cached);
	c->busy = true;
	c->allocs++;
	c->pages += npages;
	return true;
}

/**
 * palloc_cache_alloc() - allocate from this CPU's page cache
 * @h: the heap
 * @npages: pages, below PALLOC_CACHE_MAX_ALLOC
 * @start: out: the first page
 * @scav: out: how many of them were scavenged
 * @dirty: NULL, or a bitmap that gets a bit set for each page not scavenged
 *
 * The per-CPU cache path: Go's mheap.allocSpan for npages < 16.  The cache
 * is the one of the CPU this task runs on now; preemption stays enabled.
 * An empty cache is refilled from the heap first.
 *
 * Context: Process context.  Takes the cache lock, and h->lock inside it
 * for a refill.
 * Return: true if the cache had a run.
 */
bool palloc_cache_alloc(struct palloc_heap *h, u64 npages, u64 *start, u64 *scav,
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

/**
 * palloc_cache_free() - free pages back into this CPU's cache
 * @h: the heap
 * @start: first page
 * @npages: pages
 *
 * Pages this CPU's cache handed out go back into the cache without the heap
 * lock (the per-CPU half of a free, as the IOVA allocator's rcache): only a
 * run inside the cache's block whose every page is still out from it.  The
 * pages go back dirty.
 *
 * Context: Process context.  Takes the cache lock.
 * Return: true if the cache took them; false: free them through the heap.
 */
bool palloc_cache_free(struct palloc_heap *h, u64 start, u64 npages)
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

/**
 * palloc_flush_idle_caches() - the background worker's flush
 * @h: the heap
 *
 * A cache that served no allocation and took no free since the worker's
 * last run goes back to the heap, so that no page stays stranded in the
 * cache of a CPU that stopped allocating, while busy caches keep their
 * blocks (and their lock-free frees).
 *
 * Context: Process context.  Takes each cache lock in turn, h->lock inside.
 * Return: true if a cache still holds a block.
 */
bool palloc_flush_idle_caches(struct palloc_heap *h)
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
