// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits elastic heap: whole idle chunks handed back to the kernel and
 * grown back on demand (Go's sysUnused/sysUsed, made real; the heap's
 * growth follows Go's pageAlloc.grow).  An absent chunk is allocated and
 * scavenged at once, as never-grown pages are, so the summaries need
 * nothing new.  The kernel side (free_contig_range()/alloc_contig_range())
 * is the layer above's, behind struct palloc_elastic_ops.
 *
 * Locking: h->grow_mutex serialises hand-backs and grows (a chunk goes
 * absent or present only under it); the bitmaps and counters are the heap
 * lock's, taken for one chunk's worth of work at a time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>

#include "pagealloc_internal.h"
#include "palloc_trace.h"

/* Windows an allocation tries to grow before it gives up with -ENOMEM. */
#define PALLOC_GROW_TRIES	4

/* Is every page of the chunk scavenged? */
static bool palloc_chunk_scavenged(const struct palloc_data *d)
{
	return bitmap_full(palloc_ul(&d->scav), PALLOC_CHUNK_PAGES);
}

/* Is the chunk absent: every page allocated and scavenged at once? */
static bool palloc_chunk_absent(const struct palloc_data *d)
{
	return bitmap_full(palloc_ul(&d->alloc), PALLOC_CHUNK_PAGES) &&
	       palloc_chunk_scavenged(d);
}

/* Is the chunk present, and wholly free? */
static bool palloc_chunk_free(const struct palloc_data *d)
{
	return bitmap_empty(palloc_ul(&d->alloc), PALLOC_CHUNK_PAGES);
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

/**
 * palloc_grow_for() - grow absent chunks for an allocation
 * @h: the heap
 * @npages: pages the allocation wants
 * @align: their alignment
 *
 * Grows the absent chunks of the lowest suitable window for an allocation
 * of @npages aligned to @align (Go's pageAlloc.grow on demand), without the
 * heap lock.  A window whose chunk cannot be taken back is left as it is
 * (the chunks grown so far stay, free and dirty) and the next one is tried.
 *
 * Context: Process context, may sleep long (the kernel migrates pages).
 * Takes h->grow_mutex (killable), and h->lock for moments.
 * Return: 0 when a window was grown, -ENOMEM when none could be, -EINTR.
 */
int palloc_grow_for(struct palloc_heap *h, u64 npages, u64 align)
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

/**
 * palloc_grow_ahead() - grow one chunk ahead of demand (the background worker)
 * @h: the heap
 *
 * While free present pages are below half the headroom, takes the lowest
 * absent chunk back, one per call, so that allocations rarely wait for the
 * kernel.
 *
 * Context: Process context, may sleep long.  As palloc_grow_for().
 * Return: pages grown.
 */
u64 palloc_grow_ahead(struct palloc_heap *h)
{
	bool want;

	palloc_lock(h);
	want = palloc_wants_growth(h);
	palloc_unlock(h);
	if (!want || palloc_grow_for(h, PALLOC_CHUNK_PAGES, 1))
		return 0;
	return PALLOC_CHUNK_PAGES;
}
