// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits scavenger (Go's mgcscavenge.go, re-implemented; BSD-3-Clause):
 * free pages are released (zeroed by the layer above, or handed back to
 * the kernel by an elastic heap) from the top of the range down, a run at
 * a time, marked allocated while in flight so that the release can sleep
 * without the heap lock.  The background worker keeps the free dirty pages
 * at the goal within a CPU budget, flushes idle per-CPU caches, and runs
 * the elastic heap's grow-ahead and hand-back; an idle pool costs nothing.
 *
 * Locking: h->scav_mutex serialises passes; the in-flight run is protected
 * by the heap lock, and allocations wait for it on h->inflight_wq.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "pagealloc_internal.h"
#include "palloc_trace.h"

/* Background scavenger: work slice, and how long a cache may stay idle. */
#define PALLOC_SCAV_SLICE_NS	(1 * NSEC_PER_MSEC)
#define PALLOC_SCAV_IDLE	(HZ)

/**
 * palloc_wait_inflight() - wait for the scavenger's in-flight run
 * @h: the heap
 *
 * Waits until the run the scavenger is releasing is back in the heap.  Its
 * release is bounded (one run inside one chunk); the scavenger starts no
 * new run while an allocation waits.
 *
 * Context: Process context, sleeps; not holding h->lock.
 * Return: 0, or -EINTR on a fatal signal.
 */
int palloc_wait_inflight(struct palloc_heap *h)
{
	int ret;

	atomic_inc(&h->alloc_waiters);
	ret = wait_event_killable(h->inflight_wq, READ_ONCE(h->inflight_start) == U64_MAX);
	atomic_dec(&h->alloc_waiters);
	return ret ? -EINTR : 0;
}

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

/**
 * palloc_scavenger_work() - the background scavenger's work item
 * @work: h->scavenger.work
 *
 * One pass for one slice of time: flushes idle per-CPU caches, releases
 * free dirty pages beyond the goal, grows an elastic heap ahead or hands
 * its idle chunks back, then requeues itself within its CPU budget while
 * there is work, and not at all when there is none.
 *
 * Context: Workqueue (process context), may sleep.
 */
void palloc_scavenger_work(struct work_struct *work)
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
