/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits page allocator: Go's pageAlloc (summary radix tree, page cache,
 * scavenger) over a range of pages made of pallocbits chunks.  Pure
 * bookkeeping: pages are numbers 0..npages-1; the layer above maps them to
 * memory and says how to release them.
 */
#ifndef _PALLOC_PAGEALLOC_H
#define _PALLOC_PAGEALLOC_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "pallocbits.h"

/* Fan-out of the summary tree: 8 summaries of 8 bytes, one cache line. */
#define PALLOC_LEVEL_BITS	3
/*
 * Levels including the leaves.  With 21-bit summary fields the widest entry
 * covers 2^21 pages: leaves of 2^9 pages and four levels of fan-out 8.
 */
#define PALLOC_MAX_LEVELS	5
/* Pages of one per-CPU cache: one 64-bit word of a chunk. */
#define PALLOC_CACHE_PAGES	64
/* Allocations below this many pages are served from the per-CPU caches. */
#define PALLOC_CACHE_MAX_ALLOC	(PALLOC_CACHE_PAGES / 4)
/* Chunks with at least this many pages allocated are dense (Go's 96.875%). */
#define PALLOC_DENSE_PAGES	496
/*
 * Largest range: 4 TiB of 4 KiB pages.  The root level then has 512
 * entries of 2^21 pages, which a search may scan under the heap lock.
 */
#define PALLOC_MAX_PAGES	BIT_ULL(30)
/*
 * Most chunks one hold of the heap lock marks allocated or free.  Longer
 * runs are done in batches with the lock dropped in between (a 4 GiB run
 * is 2048 chunks).
 */
#define PALLOC_BATCH_CHUNKS	64
#define PALLOC_BATCH_PAGES	(PALLOC_BATCH_CHUNKS * PALLOC_CHUNK_PAGES)
/* Entries an aligned search looks at before dropping the lock for a while. */
#define PALLOC_ALIGN_BUDGET	4096

/**
 * typedef palloc_release_t - release free pages (Go's sysUnused)
 * @priv: the heap's release_priv
 * @start: first page
 * @npages: number of pages
 *
 * Called by the scavenger without the heap lock, with the pages marked
 * allocated so nobody else can take them.  May sleep.
 *
 * Return: 0 when the pages are released (from now on known zero), or a
 * negative errno: the pages then stay free and dirty.
 */
typedef int (*palloc_release_t)(void *priv, u64 start, u64 npages);

/**
 * struct palloc_elastic_ops - give whole chunks back to the kernel and take
 *	them back (Go's sysUnused and sysUsed, for real)
 * @hand_back: the chunk at page @start (@npages = PALLOC_CHUNK_PAGES, free
 *	and scavenged) is now absent from the heap: give its memory away.
 *	Called without the heap lock.  Return: 0, or a negative errno (the
 *	chunk then comes back free and scavenged).
 * @take_back: take the memory of the absent chunk at @start back, so that
 *	the heap can grow it.  Called without the heap lock; may sleep and
 *	should stop at a fatal signal.  Return: 0, or a negative errno (the
 *	chunk stays absent).
 *
 * Both are called with palloc_heap.grow_mutex held, one chunk at a time.
 */
struct palloc_elastic_ops {
	int (*hand_back)(void *priv, u64 start, u64 npages);
	int (*take_back)(void *priv, u64 start, u64 npages);
};

/**
 * struct palloc_stats - a snapshot of the heap's counters
 * @pages_total: pages grown into the heap
 * @pages_inuse: pages handed out to callers
 * @pages_free: free pages in the bitmaps (not counting per-CPU caches)
 * @pages_scavenged: free pages that are scavenged (known zero)
 * @pages_cached: free pages held by per-CPU caches
 * @pages_scavenging: pages being released by the scavenger right now
 * @largest_free: longest run of free pages in the bitmaps
 * @allocs: successful allocations
 * @frees: successful frees
 * @alloc_failures: allocations that found no room
 * @free_errors: frees refused because the pages were not allocated
 * @cache_allocs: allocations served by a per-CPU cache
 * @cache_frees: frees taken back by a per-CPU cache (without the heap lock)
 * @pages_released: pages released by the scavenger, ever
 * @scavenge_runs: calls of palloc_heap_scavenge()
 * @pages_returned: pages handed back to the kernel (elastic heap), ever
 * @pages_grown: pages taken back from the kernel on demand, ever
 * @grow_attempts: windows of absent chunks an allocation tried to grow
 * @grow_failures: those where taking a chunk back failed
 */
struct palloc_stats {
	u64 pages_total;
	u64 pages_inuse;
	u64 pages_free;
	u64 pages_scavenged;
	u64 pages_cached;
	u64 pages_scavenging;
	u64 largest_free;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 free_errors;
	u64 cache_allocs;
	u64 cache_frees;
	u64 pages_released;
	u64 scavenge_runs;
	u64 pages_returned;
	u64 pages_grown;
	u64 grow_attempts;
	u64 grow_failures;
};

/**
 * struct palloc_pcache - a per-CPU page cache (Go's pageCache)
 * @lock: protects the other fields.  Taken before the heap lock, never two
 *	cache locks at once.  A task uses the cache of the CPU it started on
 *	(raw_cpu_ptr()) with preemption enabled: after a migration it merely
 *	uses another CPU's cache, under that cache's lock.  Nothing runs with
 *	preemption disabled, so the locks may sleep on PREEMPT_RT.
 * @cpu: the CPU this cache belongs to
 * @base: first page of the cached 64-page block, U64_MAX when none
 * @cache: 1 = free page held by this cache (the block's pages are all
 *	allocated in the heap's bitmap while cached)
 * @scav: 1 = that page is scavenged; a subset of @cache
 * @out: 1 = a page of the block this cache handed out and nobody freed
 *	since: a free of such pages on this CPU goes back into the cache
 *	without the heap lock (as the IOVA allocator's per-CPU rcache takes
 *	frees).  Set only under @lock, by a take; cleared atomically, also
 *	by the heap's free path under the heap lock alone, and whole when
 *	the cache moves to another block.  Clearing a bit only sends a later
 *	free to the heap path, so it is always safe.
 * @busy: an allocation or free used the cache since the background
 *	scavenger last looked (it flushes caches that stayed idle)
 * @allocs: allocations served from this cache
 * @frees: frees taken back into this cache
 * @pages: pages handed out from this cache
 */
struct palloc_pcache {
	spinlock_t lock;	/* protects this cache; nests outside palloc_heap.lock */
	unsigned int cpu;
	u64 base;
	u64 cache;
	u64 scav;
	atomic64_t out;
	bool busy;
	u64 allocs;
	u64 frees;
	u64 pages;
};

/**
 * struct palloc_scavenger - background scavenger state and tunables
 * @work: the delayed work item doing the releasing
 * @goal_pages: dirty free pages to keep at most; U64_MAX = off
 * @budget_pct: share of one CPU the background scavenger may use (1..100)
 * @runs: background runs so far
 * @released: pages released by background runs
 * @stopping: set on teardown; no more requeueing
 */
struct palloc_scavenger {
	struct delayed_work work;
	u64 goal_pages;
	unsigned int budget_pct;
	u64 runs;
	u64 released;
	bool stopping;
};

/**
 * struct palloc_heap - a page allocator over pages [0, npages)
 * @lock: the heap lock.  Protects @chunks, the summaries, @search_addr,
 *	the in-flight scavenge run, the reservation and every counter below
 *	it.  Every hold does work bounded by PALLOC_BATCH_CHUNKS chunks, a
 *	tree descent, PALLOC_ALIGN_BUDGET summaries or one chunk's scan.
 * @npages: pages in the range
 * @nchunks: chunks covering the range
 * @nlevels: levels of the summary tree, leaves included
 * @chunks: allocation and scavenged bits.  Pages past @npages and never
 *	grown pages are absent: allocated and scavenged at once, which no
 *	present page is (scavenged => free)
 * @leaf: one summary per chunk, 10-bit fields (start | max << 10 | end << 20)
 * @sum: @sum[l] for levels 0 (root) .. @nlevels - 2; level @nlevels - 1
 *	is @leaf
 * @len: entries of each level
 * @search_addr: every page below it is allocated (Go's searchAddr)
 * @pages_total: see &struct palloc_stats
 * @pages_free: free pages in the bitmaps
 * @pages_scav: free and scavenged pages in the bitmaps
 * @inflight_start: first page of the run being released, or U64_MAX
 * @inflight_npages: its length
 * @resv_start: first page of a large allocation's run not yet marked
 *	allocated; searches, cache refills and the scavenger skip
 *	[@resv_start, @resv_end)
 * @resv_end: end of that run (== @resv_start: no reservation)
 * @allocs: see &struct palloc_stats
 * @frees: see &struct palloc_stats
 * @alloc_failures: see &struct palloc_stats
 * @free_errors: see &struct palloc_stats
 * @pages_released: see &struct palloc_stats
 * @scavenge_runs: see &struct palloc_stats
 * @dirty: one bit per chunk that may hold free unscavenged pages (Go's
 *	scavenge index); atomic bitops, changed under @lock
 * @cache_chunks: one bit per chunk in which a per-CPU cache may hold a
 *	block: set when a cache takes a block there, cleared when the last
 *	one leaves; under @lock.  The free path looks at @cache_blocks only
 *	for chunks with this bit set.
 * @pages_cached: free pages held by the per-CPU caches; changed under
 *	@lock by refills and flushes, and by takes under a cache lock alone
 *	(pages then go from cached to in use, which a snapshot under @lock
 *	sees either way)
 * @cache_blocks: the cache holding each cached 64-page block, by block
 *	number (page / PALLOC_CACHE_PAGES); stored and erased under @lock
 * @inflight_wq: woken when an in-flight scavenge run is back in the heap
 * @alloc_waiters: allocations waiting for the in-flight run; the
 *	scavenger starts no new run while there are any
 * @search_budget: PALLOC_ALIGN_BUDGET (tests lower it to force resumes)
 * @scav_mutex: serialises scavengers, so one run at most is in flight
 * @resv_mutex: serialises allocations larger than PALLOC_BATCH_PAGES, so
 *	one reservation at most exists
 * @pcache: the per-CPU caches
 * @release: how to release pages, may be NULL (nothing to do)
 * @release_priv: its argument
 * @scavenger: the background scavenger
 * @grow_mutex: serialises hand-backs and grows: a chunk goes absent or
 *	present only under it (and h->lock)
 * @elastic: hand-back and take-back callbacks, NULL for a fixed heap
 * @elastic_priv: their argument
 * @min_present: pages the heap never hands back below
 * @headroom: free present pages it keeps when handing back
 * @pages_returned: see &struct palloc_stats
 * @pages_grown: see &struct palloc_stats
 * @grow_attempts: see &struct palloc_stats
 * @grow_failures: see &struct palloc_stats
 * @hold_chunks: (KUnit builds) chunks touched in the current hold of @lock
 * @hold_chunks_max: (KUnit builds) the most chunks any hold touched
 * @hold_t0: (KUnit builds) when the current hold began, ns
 * @hold_ns_max: (KUnit builds) the longest hold, ns
 */
struct palloc_heap {
	spinlock_t lock;	/* protects the bitmaps, summaries and counters */
	u64 npages;
	unsigned long nchunks;
	unsigned int nlevels;
	struct palloc_data *chunks;
	u32 *leaf;
	palloc_sum_t *sum[PALLOC_MAX_LEVELS - 1];
	unsigned long len[PALLOC_MAX_LEVELS];
	u64 search_addr;

	u64 pages_total;
	u64 pages_free;
	u64 pages_scav;
	u64 inflight_start;
	u64 inflight_npages;
	u64 resv_start;
	u64 resv_end;
	u64 allocs;
	u64 frees;
	u64 alloc_failures;
	u64 free_errors;
	u64 pages_released;
	u64 scavenge_runs;

	unsigned long *dirty;
	unsigned long *cache_chunks;
	atomic64_t pages_cached;
	struct xarray cache_blocks;
	wait_queue_head_t inflight_wq;
	atomic_t alloc_waiters;
	unsigned int search_budget;
	struct mutex scav_mutex;	/* one scavenger at a time */
	struct mutex resv_mutex;	/* one large allocation at a time */
	struct palloc_pcache __percpu *pcache;
	palloc_release_t release;
	void *release_priv;
	struct palloc_scavenger scavenger;
	struct mutex grow_mutex;	/* chunks go absent or present under it */
	const struct palloc_elastic_ops *elastic;
	void *elastic_priv;
	u64 min_present;
	u64 headroom;
	u64 pages_returned;
	u64 pages_grown;
	u64 grow_attempts;
	u64 grow_failures;
#if IS_ENABLED(CONFIG_PALLOCBITS_KUNIT_TEST)
	unsigned long hold_chunks;
	unsigned long hold_chunks_max;
	u64 hold_t0;
	u64 hold_ns_max;
#endif
};

/*
 * Absent pages (never grown, or past the range's end) are allocated and
 * scavenged at once, a state present pages never have.  These count the
 * present pages of a chunk that are allocated, and free and scavenged.
 */
static inline unsigned int palloc_data_inuse(const struct palloc_data *d)
{
	unsigned int k, n = 0;

	for (k = 0; k < PALLOC_CHUNK_WORDS; k++)
		n += hweight64(d->alloc.w[k] & ~d->scav.w[k]);
	return n;
}

static inline unsigned int palloc_data_scavenged(const struct palloc_data *d)
{
	unsigned int k, n = 0;

	for (k = 0; k < PALLOC_CHUNK_WORDS; k++)
		n += hweight64(d->scav.w[k] & ~d->alloc.w[k]);
	return n;
}

struct palloc_heap *palloc_heap_create(u64 npages, palloc_release_t release, void *priv);
void palloc_heap_destroy(struct palloc_heap *h);
int palloc_heap_grow(struct palloc_heap *h, u64 start, u64 npages, bool scavenged);
int palloc_heap_alloc(struct palloc_heap *h, u64 npages, u64 align, u64 *start, u64 *scav);
int palloc_heap_alloc_dirty(struct palloc_heap *h, u64 npages, u64 align, u64 *start, u64 *scav,
			    unsigned long *dirty);
int palloc_heap_free(struct palloc_heap *h, u64 start, u64 npages);
u64 palloc_heap_scavenge(struct palloc_heap *h, u64 npages, bool force);
u64 palloc_heap_scavenge_killable(struct palloc_heap *h, u64 npages, bool force);
void palloc_heap_flush_caches(struct palloc_heap *h);
void palloc_heap_stats(struct palloc_heap *h, struct palloc_stats *st);
void palloc_heap_set_elastic(struct palloc_heap *h, const struct palloc_elastic_ops *ops,
			     void *priv, u64 min_pages, u64 headroom);
u64 palloc_heap_shrink(struct palloc_heap *h, unsigned long max_chunks, bool wait);
bool palloc_heap_chunk_absent(struct palloc_heap *h, u64 page);
int palloc_heap_walk_absent(struct palloc_heap *h, int (*fn)(void *arg, u64 start, u64 npages),
			    void *arg);
u64 palloc_heap_dirty_pages(struct palloc_heap *h);
void palloc_heap_set_goal(struct palloc_heap *h, u64 goal_pages, unsigned int budget_pct);
void palloc_heap_kick_scavenger(struct palloc_heap *h);
palloc_sum_t palloc_heap_summary(struct palloc_heap *h, unsigned int level, unsigned long i);
int palloc_heap_check(struct palloc_heap *h);
size_t palloc_heap_metadata_bytes(const struct palloc_heap *h);

#endif /* _PALLOC_PAGEALLOC_H */
