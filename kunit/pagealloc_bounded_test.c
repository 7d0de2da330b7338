// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite palloc_bounded: the heap's promises about bounded work and
 * about when an allocation may fail.
 *
 *  - every hold of the heap lock visits at most PALLOC_BATCH_CHUNKS chunks
 *    (plus the one a piece straddles) twice, to check and to change them,
 *    even for a 4 GiB run;
 *  - an aligned search that runs out of budget resumes at the free run it
 *    was in, not after it;
 *  - an allocation that needs pages the scavenger is releasing waits for
 *    them instead of failing with -ENOMEM;
 *  - a scavenge on behalf of a process stops at a fatal signal.
 *
 * These are regression tests of the hardening issue's findings 3, 4, 10
 * and 15; each fails on the code before the fix (see the commit messages).
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../pagealloc.h"

#define CP	PALLOC_CHUNK_PAGES

/* A heap of @npages pages, all grown, dirty and free. */
static struct palloc_heap *pb_heap(struct kunit *test, u64 npages, palloc_release_t release,
				   void *priv)
{
	struct palloc_heap *h = palloc_heap_create(npages, release, priv);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(h), "palloc_heap_create(%llu): %ld", npages,
			       PTR_ERR(h));
	if (palloc_heap_grow(h, 0, npages, false)) {
		palloc_heap_destroy(h);
		KUNIT_ASSERT_FAILURE(test, "palloc_heap_grow");
	}
	return h;
}

/*
 * Finding 3: a 4 GiB run (2048 chunks) is allocated and freed in batches.
 * Before the fix one hold of the lock marked all 2048 chunks.
 */
static void large_run_hold_bounded(struct kunit *test)
{
	const u64 n = SZ_4G >> PAGE_SHIFT;
	struct palloc_heap *h = pb_heap(test, n + CP, NULL, NULL);
	/*
	 * A batch of PALLOC_BATCH_CHUNKS = 64 chunks (one more if it straddles),
	 * checked and then changed: a literal, so that a change of the batch
	 * size is a change of this test too.
	 */
	const unsigned long bound = 2 * (64 + 1);
	struct palloc_stats st;
	u64 at, scav, small;

	/* One page first, so that the large run straddles chunk edges. */
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 3, 4, &small, &scav), 0);
	h->hold_chunks_max = 0;
	h->hold_ns_max = 0;
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, n, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 3);
	kunit_info(test, "alloc of %llu pages: at most %lu chunks and %llu ns per hold\n", n,
		   h->hold_chunks_max, h->hold_ns_max);
	KUNIT_EXPECT_LE(test, h->hold_chunks_max, bound);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, n + 3);

	/* A refused free of a large range changes nothing. */
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, at, n + 1), -EINVAL);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, n + 3);

	h->hold_chunks_max = 0;
	h->hold_ns_max = 0;
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, at, n), 0);
	kunit_info(test, "free of %llu pages: at most %lu chunks and %llu ns per hold\n", n,
		   h->hold_chunks_max, h->hold_ns_max);
	KUNIT_EXPECT_LE(test, h->hold_chunks_max, bound);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 3);
	KUNIT_EXPECT_EQ(test, st.largest_free, n + CP - 3);
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, small, 3), 0);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.largest_free, n + CP);
	palloc_heap_destroy(h);
}

/*
 * A refused free changes nothing, also when the range is one batch long but
 * straddles chunks so that it would take two batches: a run of up to
 * PALLOC_BATCH_PAGES is checked and freed in one hold.
 */
static void refused_free_of_one_batch_changes_nothing(struct kunit *test)
{
	const u64 b = PALLOC_BATCH_PAGES;
	struct palloc_heap *h = pb_heap(test, 2 * b, NULL, NULL);
	struct palloc_stats st;
	u64 first, run, scav;

	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 500, 1, &first, &scav), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, b - 1, 1, &run, &scav), 0);
	KUNIT_ASSERT_EQ(test, run, 500);
	/* One page past the run is free: the whole free must be refused. */
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, run, b), -EINVAL);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 500 + b - 1);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, run, b - 1), 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, first, 500), 0);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 0);
	palloc_heap_destroy(h);
}

/*
 * Finding 3, the other case: 100,000 single-page runs (per-CPU cache path)
 * freed one after another, as release() of a file holding them does.  Each
 * free is its own short hold; the worst one is printed.
 */
static void many_single_pages_hold_bounded(struct kunit *test)
{
	const u64 n = 100000;
	struct palloc_heap *h = pb_heap(test, n + 64 * CP, NULL, NULL);
	u64 *pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	struct palloc_stats st;
	u64 k, scav;

	if (!pages) {
		palloc_heap_destroy(h);
		KUNIT_ASSERT_FAILURE(test, "kvcalloc");
	}
	for (k = 0; k < n; k++)
		KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 1, 1, &pages[k], &scav), 0);
	h->hold_chunks_max = 0;
	h->hold_ns_max = 0;
	for (k = 0; k < n; k++)
		KUNIT_ASSERT_EQ(test, palloc_heap_free(h, pages[k], 1), 0);
	kunit_info(test, "%llu single-page frees: at most %lu chunks and %llu ns per hold\n", n,
		   h->hold_chunks_max, h->hold_ns_max);
	KUNIT_EXPECT_LE(test, h->hold_chunks_max, 2);
	palloc_heap_flush_caches(h);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	kvfree(pages);
	palloc_heap_destroy(h);
}

/*
 * Finding 10: decoy chunks 0..7 hold a free run of 200 pages at page 1,
 * which no 4-aligned 200-page run fits; chunk 8 ends with 100 free pages
 * and chunk 9 starts with 100.  The only fit is [8 * 512 + 412, +200),
 * across the chunk edge.  With every budget from 3 to 24 the search runs
 * out somewhere on the way; before the fix a stop at chunk 9 resumed there
 * and forgot the open run, and the allocation failed.
 */
static void aligned_search_resumes_open_run(struct kunit *test)
{
	const u64 nchunks = 64, want = 8 * CP + 412;
	struct palloc_heap *h = pb_heap(test, nchunks * CP, NULL, NULL);
	unsigned int budget;
	u64 at, scav, k;

	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, nchunks * CP, 1, &at, &scav), 0);
	for (k = 0; k < 8; k++)
		KUNIT_ASSERT_EQ(test, palloc_heap_free(h, k * CP + 1, 200), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, want, 200), 0);

	for (budget = 3; budget <= 24; budget++) {
		int ret;

		h->search_budget = budget;
		ret = palloc_heap_alloc(h, 200, 4, &at, &scav);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "budget %u", budget);
		if (ret)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, at, want, "budget %u", budget);
		KUNIT_ASSERT_EQ(test, palloc_heap_free(h, at, 200), 0);
	}
	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	palloc_heap_destroy(h);
}

/* Finding 15: a release that takes its time, and a thread that scavenges. */
struct pb_slow {
	struct palloc_heap *h;
	atomic_t releases;
	u64 released;
};

static int pb_slow_release(void *priv, u64 start, u64 npages)
{
	struct pb_slow *s = priv;

	atomic_inc(&s->releases);
	msleep(100);
	return 0;
}

static int pb_scavenge_thread(void *arg)
{
	struct pb_slow *s = arg;

	s->released = palloc_heap_scavenge(s->h, U64_MAX, true);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * The scavenger holds a run (marked allocated while it is released) when a
 * whole-heap allocation comes: the allocation must wait for it and then
 * succeed.  Before the fix it failed with -ENOMEM although every page was
 * free.  The scavenger starts no new run while the allocation waits.
 */
static void alloc_waits_for_inflight_release(struct kunit *test)
{
	const u64 n = 4 * CP;
	struct pb_slow *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct task_struct *t;
	struct palloc_stats st;
	unsigned int waited = 0;
	u64 at, scav;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->h = pb_heap(test, n, pb_slow_release, s);
	t = kthread_run(pb_scavenge_thread, s, "pb_scavenge");
	if (IS_ERR(t)) {
		palloc_heap_destroy(s->h);
		KUNIT_ASSERT_FAILURE(test, "kthread_run: %ld", PTR_ERR(t));
	}
	while (READ_ONCE(s->h->inflight_start) == U64_MAX && waited++ < 500)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_NE(test, READ_ONCE(s->h->inflight_start), U64_MAX);

	ret = palloc_heap_alloc(s->h, n, 1, &at, &scav);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ret ? 0 : at, 0);
	kthread_stop(t);
	kunit_info(test, "%d release(s) during the allocation's wait, %llu pages released\n",
		   atomic_read(&s->releases), s->released);
	/* The scavenger stopped after the run in flight: one release. */
	KUNIT_EXPECT_EQ(test, atomic_read(&s->releases), 1);
	palloc_heap_stats(s->h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, ret ? 0 : n);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 0);
	if (!ret)
		KUNIT_EXPECT_EQ(test, palloc_heap_free(s->h, at, n), 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(s->h), 0);
	palloc_heap_destroy(s->h);
}

/* Finding 4: a scavenge on behalf of a dying process stops. */
struct pb_kill {
	struct palloc_heap *h;
	u64 released;
	struct completion done;
};

static int pb_killed_scavenger(void *arg)
{
	struct pb_kill *k = arg;

	allow_signal(SIGKILL);
	send_sig(SIGKILL, current, 1);
	k->released = palloc_heap_scavenge_killable(k->h, U64_MAX, true);
	flush_signals(current);
	complete(&k->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * A thread with SIGKILL pending asks to scavenge a dirty 32 MiB heap: the
 * pass checks for a fatal signal once per chunk and releases nothing.
 * Before the fix the ioctl's pass ran to the end, whatever the signals.
 */
static void scavenge_stops_on_fatal_signal(struct kunit *test)
{
	struct pb_kill *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, k);
	init_completion(&k->done);
	k->h = pb_heap(test, 16 * CP, NULL, NULL);
	t = kthread_run(pb_killed_scavenger, k, "pb_killed");
	if (IS_ERR(t)) {
		palloc_heap_destroy(k->h);
		KUNIT_ASSERT_FAILURE(test, "kthread_run: %ld", PTR_ERR(t));
	}
	wait_for_completion(&k->done);
	kthread_stop(t);
	KUNIT_EXPECT_EQ(test, k->released, 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_dirty_pages(k->h), 16 * CP);
	/* Without the signal the same call releases everything. */
	KUNIT_EXPECT_EQ(test, palloc_heap_scavenge_killable(k->h, U64_MAX, true), 16 * CP);
	palloc_heap_destroy(k->h);
}

static struct kunit_case palloc_bounded_cases[] = {
	KUNIT_CASE(large_run_hold_bounded),
	KUNIT_CASE(many_single_pages_hold_bounded),
	KUNIT_CASE(refused_free_of_one_batch_changes_nothing),
	KUNIT_CASE(aligned_search_resumes_open_run),
	KUNIT_CASE(alloc_waits_for_inflight_release),
	KUNIT_CASE(scavenge_stops_on_fatal_signal),
	{}
};

static struct kunit_suite palloc_bounded_suite = {
	.name = "palloc_bounded",
	.test_cases = palloc_bounded_cases,
};

kunit_test_suites(&palloc_bounded_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suite for the pallocbits heap's bounded work and waits");
