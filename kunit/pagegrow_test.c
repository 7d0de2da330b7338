// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite palloc_elastic: the heap's bookkeeping for handing whole
 * chunks back to the kernel and growing them back on demand (Go's
 * sysUnused/sysUsed made real; issue 11), with fake callbacks that record
 * which chunks are out and refuse on request.
 *
 *  - only whole, free, scavenged chunks go back, from the top down, and
 *    only beyond min_pages present and headroom free pages;
 *  - an allocation that finds no fit grows the lowest suitable window of
 *    absent chunks and gets dirty pages;
 *  - a chunk the kernel will not give back makes the allocation try the
 *    next window, and -ENOMEM when none can be grown, the heap consistent;
 *  - a refused hand-back leaves the chunk free and scavenged;
 *  - an explicit shrink waits for a grow in progress, the background
 *    worker's does not;
 *  - an allocation that leaves less than half the headroom free makes the
 *    background worker grow the lowest absent chunk ahead;
 *  - palloc_heap_walk_absent() visits exactly the absent chunks, lowest
 *    first, each under the grow mutex alone, and stops at an error;
 *  - random sequences of alloc, free, scavenge, shrink and refusals keep
 *    the summaries and counters right (palloc_heap_check() after each
 *    step) and the callbacks paired (seed printed).
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "../pagealloc.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static unsigned long long seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "seed of the random case; 0 = a new random seed");

#define CP	PALLOC_CHUNK_PAGES
#define PE_LOG	64

/**
 * struct pe_fake - the kernel's side, faked
 * @out: chunks handed back and not taken back
 * @nchunks: bits in @out
 * @hand_backs: successful hand-backs
 * @take_backs: successful take-backs
 * @fail_hand: errno a hand-back returns (0: succeed)
 * @fail_take: errno a take-back returns (0: succeed)
 * @fail_chunk: the one chunk a take-back refuses with -EBUSY, or -1
 * @bad: a callback got a call it must never get
 * @log: chunks handed back, in order
 * @nlog: entries in @log
 */
struct pe_fake {
	unsigned long *out;
	unsigned long nchunks;
	unsigned int hand_backs;
	unsigned int take_backs;
	int fail_hand;
	int fail_take;
	long fail_chunk;
	bool bad;
	unsigned long log[PE_LOG];
	unsigned int nlog;
};

static int pe_hand_back(void *priv, u64 start, u64 npages)
{
	struct pe_fake *f = priv;
	unsigned long ci = start / CP;

	if (npages != CP || start % CP || ci >= f->nchunks || test_bit(ci, f->out)) {
		f->bad = true;
		return -EINVAL;
	}
	if (f->fail_hand)
		return f->fail_hand;
	set_bit(ci, f->out);
	if (f->nlog < PE_LOG)
		f->log[f->nlog++] = ci;
	f->hand_backs++;
	return 0;
}

static int pe_take_back(void *priv, u64 start, u64 npages)
{
	struct pe_fake *f = priv;
	unsigned long ci = start / CP;

	if (npages != CP || start % CP || ci >= f->nchunks || !test_bit(ci, f->out)) {
		f->bad = true;
		return -EINVAL;
	}
	if (f->fail_take)
		return f->fail_take;
	if (f->fail_chunk == (long)ci)
		return -EBUSY;
	clear_bit(ci, f->out);
	f->take_backs++;
	return 0;
}

static const struct palloc_elastic_ops pe_ops = {
	.hand_back = pe_hand_back,
	.take_back = pe_take_back,
};

/* A heap of @nchunks chunks, all grown and scavenged, with a fake kernel. */
static struct palloc_heap *pe_heap(struct kunit *test, unsigned long nchunks, struct pe_fake *f)
{
	struct palloc_heap *h = palloc_heap_create((u64)nchunks * CP, NULL, NULL);

	KUNIT_ASSERT_FALSE(test, IS_ERR(h));
	KUNIT_ASSERT_EQ(test, palloc_heap_grow(h, 0, (u64)nchunks * CP, true), 0);
	memset(f, 0, sizeof(*f));
	f->nchunks = nchunks;
	f->fail_chunk = -1;
	f->out = kunit_kcalloc(test, BITS_TO_LONGS(nchunks), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->out);
	return h;
}

/* As pe_heap(), elastic (no floor, no headroom), every chunk handed back. */
static struct palloc_heap *pe_heap_empty(struct kunit *test, unsigned long nchunks,
					 struct pe_fake *f)
{
	struct palloc_heap *h = pe_heap(test, nchunks, f);

	palloc_heap_set_elastic(h, &pe_ops, f, 0, 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_shrink(h, 100, true), (u64)nchunks * CP);
	return h;
}

/* The heap and the fake agree on which chunks are out, and the heap adds up. */
static void pe_consistent(struct kunit *test, struct palloc_heap *h, struct pe_fake *f)
{
	struct palloc_stats st;

	KUNIT_EXPECT_EQ(test, palloc_heap_check(h), 0);
	KUNIT_EXPECT_FALSE(test, f->bad);
	/* No background grow-ahead between the two reads. */
	mutex_lock(&h->grow_mutex);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total,
			(u64)(f->nchunks - bitmap_weight(f->out, f->nchunks)) * CP);
	mutex_unlock(&h->grow_mutex);
}

static void shrink_only_idle_scavenged_beyond_goal(struct kunit *test)
{
	static const unsigned long want[] = { 5, 4, 2, 1, 0 };
	struct palloc_stats st;
	struct pe_fake f;
	struct palloc_heap *h = pe_heap(test, 8, &f);
	u64 at[8], scav;
	unsigned int c;

	for (c = 0; c < 8; c++) {
		KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, CP, CP, &at[c], &scav), 0);
		KUNIT_ASSERT_EQ(test, at[c], (u64)c * CP);
	}
	/* Chunks 0, 1, 2, 4, 5 free and scavenged; 3 and 7 in use. */
	for (c = 0; c < 6; c++)
		if (c != 3)
			KUNIT_ASSERT_EQ(test, palloc_heap_free(h, at[c], CP), 0);
	palloc_heap_scavenge(h, 8 * CP, true);
	/* Chunk 6 free but dirty. */
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, at[6], CP), 0);

	/* Nothing goes back from a fixed heap. */
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 100, true), 0);
	palloc_heap_set_elastic(h, &pe_ops, &f, 2 * CP, CP);
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 100, true), 5 * CP);
	KUNIT_EXPECT_EQ(test, f.nlog, ARRAY_SIZE(want));
	for (c = 0; c < f.nlog && c < ARRAY_SIZE(want); c++)
		KUNIT_EXPECT_EQ(test, f.log[c], want[c]);
	pe_consistent(test, h, &f);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_returned, 5 * CP);
	KUNIT_EXPECT_EQ(test, st.pages_free, CP);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 2 * CP);

	/* Headroom: the dirty chunk stays even once scavenged. */
	palloc_heap_scavenge(h, 8 * CP, true);
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 100, true), 0);
	/* Without headroom it goes, and then min_pages stops the next one. */
	palloc_heap_set_elastic(h, &pe_ops, &f, 2 * CP, 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 100, true), CP);
	KUNIT_EXPECT_EQ(test, f.log[f.nlog - 1], 6);
	pe_consistent(test, h, &f);
	/* max_chunks bounds a call. */
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, at[7], CP), 0);
	palloc_heap_scavenge(h, 8 * CP, true);
	palloc_heap_set_elastic(h, &pe_ops, &f, 0, 0);
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 1, true), CP);
	pe_consistent(test, h, &f);
	palloc_heap_destroy(h);
}

static void grow_on_demand(struct kunit *test)
{
	struct palloc_stats st;
	struct pe_fake f;
	struct palloc_heap *h = pe_heap_empty(test, 8, &f);
	u64 at, scav;

	pe_consistent(test, h, &f);
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 1, 2, &at, &scav), 0);
	/* One chunk was taken back: the lowest. */
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, 0);
	KUNIT_EXPECT_EQ(test, f.take_backs, 1);

	/*
	 * 3 chunks + 5 pages: chunk 0 is in use, so the lowest window of 4
	 * absent or wholly free chunks is 1..4; first fit then starts the run
	 * in chunk 0's free tail.
	 */
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 3 * CP + 5, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 1);
	KUNIT_EXPECT_EQ(test, scav, 0);
	KUNIT_EXPECT_EQ(test, f.take_backs, 5);
	pe_consistent(test, h, &f);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_grown, 5 * CP);
	KUNIT_EXPECT_EQ(test, st.grow_attempts, 2);
	KUNIT_EXPECT_EQ(test, st.grow_failures, 0);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 3 * CP + 6);

	/* Aligned: 2 chunks at a 4-chunk boundary: chunks 4 and 5. */
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 2 * CP, 4 * CP, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 4 * CP);
	pe_consistent(test, h, &f);
	palloc_heap_destroy(h);
}

static void grow_failure_enomem_consistent(struct kunit *test)
{
	struct palloc_stats st;
	struct pe_fake f;
	struct palloc_heap *h = pe_heap_empty(test, 4, &f);
	u64 at, scav;

	f.fail_take = -ENOMEM;
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, CP, 1, &at, &scav), -ENOMEM);
	pe_consistent(test, h, &f);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total, 0);
	KUNIT_EXPECT_EQ(test, st.grow_failures, 4);
	KUNIT_EXPECT_EQ(test, st.alloc_failures, 1);

	/* One chunk refused: its window is skipped, the next one grown. */
	f.fail_take = 0;
	f.fail_chunk = 1;
	KUNIT_EXPECT_EQ(test, palloc_heap_alloc(h, 2 * CP, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 2 * CP);
	KUNIT_EXPECT_TRUE(test, test_bit(1, f.out));
	KUNIT_EXPECT_FALSE(test, test_bit(0, f.out));
	pe_consistent(test, h, &f);
	palloc_heap_stats(h, &st);
	/* Chunk 0, grown before its window failed, stays: free and dirty. */
	KUNIT_EXPECT_EQ(test, st.pages_total, 3 * CP);
	KUNIT_EXPECT_EQ(test, st.pages_free, CP);
	KUNIT_EXPECT_EQ(test, st.pages_scavenged, 0);
	palloc_heap_destroy(h);
}

static void refused_hand_back_keeps_chunk(struct kunit *test)
{
	struct palloc_stats st, st2;
	struct pe_fake f;
	struct palloc_heap *h = pe_heap(test, 4, &f);

	palloc_heap_set_elastic(h, &pe_ops, &f, 0, 0);
	palloc_heap_stats(h, &st);
	f.fail_hand = -EIO;
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 100, true), 0);
	pe_consistent(test, h, &f);
	palloc_heap_stats(h, &st2);
	KUNIT_EXPECT_EQ(test, st2.pages_total, st.pages_total);
	KUNIT_EXPECT_EQ(test, st2.pages_free, st.pages_free);
	KUNIT_EXPECT_EQ(test, st2.pages_scavenged, st.pages_scavenged);
	KUNIT_EXPECT_EQ(test, st2.pages_returned, 0);
	palloc_heap_destroy(h);
}

/* A shrink on a workqueue, as the SCAVENGE ioctl makes one. */
struct pe_shrinker {
	struct work_struct work;
	struct palloc_heap *h;
	u64 gone;
	bool done;
};

static void pe_shrink_work(struct work_struct *work)
{
	struct pe_shrinker *s = container_of(work, struct pe_shrinker, work);

	s->gone = palloc_heap_shrink(s->h, 100, true);
	WRITE_ONCE(s->done, true);
}

/*
 * An explicit shrink (the SCAVENGE ioctl) waits for a grow or shrink in
 * progress and then hands the idle chunks back; the background worker's
 * (no wait) gives up at once.  Before, the ioctl gave nothing back when it
 * raced the background worker.
 */
static void explicit_shrink_waits_for_grow(struct kunit *test)
{
	struct pe_shrinker s = { };
	struct pe_fake f;
	struct palloc_heap *h = pe_heap(test, 4, &f);
	bool waited;

	palloc_heap_set_elastic(h, &pe_ops, &f, 0, 0);
	s.h = h;
	INIT_WORK_ONSTACK(&s.work, pe_shrink_work);
	/* A grow or shrink "in progress". */
	mutex_lock(&h->grow_mutex);
	KUNIT_EXPECT_EQ(test, palloc_heap_shrink(h, 100, false), 0);
	schedule_work(&s.work);
	msleep(50);
	waited = !READ_ONCE(s.done);
	KUNIT_EXPECT_TRUE(test, waited);
	mutex_unlock(&h->grow_mutex);
	flush_work(&s.work);
	destroy_work_on_stack(&s.work);
	KUNIT_EXPECT_TRUE(test, s.done);
	KUNIT_EXPECT_EQ(test, s.gone, 4 * CP);
	pe_consistent(test, h, &f);
	palloc_heap_destroy(h);
}

/*
 * Grow ahead: an allocation that leaves less than half the headroom free
 * kicks the background worker, which takes the lowest absent chunk back
 * before anyone has to wait for it.
 */
static void grow_ahead_keeps_headroom(struct kunit *test)
{
	struct palloc_stats st;
	struct pe_fake f;
	struct palloc_heap *h = pe_heap_empty(test, 8, &f);
	u64 at, scav;

	palloc_heap_set_elastic(h, &pe_ops, &f, 0, 2 * CP);
	/* Grown on demand: chunk 0, then 511 free pages, below CP. */
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 1, 2, &at, &scav), 0);
	flush_delayed_work(&h->scavenger.work);
	pe_consistent(test, h, &f);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total, 2 * CP);
	KUNIT_EXPECT_EQ(test, f.take_backs, 2);
	KUNIT_EXPECT_FALSE(test, test_bit(1, f.out));
	/* Enough headroom now: the next run grows nothing. */
	flush_delayed_work(&h->scavenger.work);
	palloc_heap_stats(h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total, 2 * CP);
	KUNIT_EXPECT_EQ(test, palloc_heap_free(h, at, 1), 0);
	palloc_heap_destroy(h);
}

#define PE_RUNS		64
#define PE_STEPS	600

/* palloc_heap_walk_absent()'s callback: log the chunk, stop at @stop_at. */
struct pe_walk {
	struct palloc_heap *h;
	unsigned long seen[8];
	unsigned int n;
	long stop_at;
	bool unlocked;
};

static int pe_walk_fn(void *arg, u64 start, u64 npages)
{
	struct pe_walk *w = arg;

	/* The grow mutex is held for the call. */
	w->unlocked = w->unlocked || !mutex_is_locked(&w->h->grow_mutex);
	if (npages != CP || start % CP || w->n >= ARRAY_SIZE(w->seen))
		return -EINVAL;
	w->seen[w->n++] = start / CP;
	return (long)(start / CP) == w->stop_at ? -EIO : 0;
}

static void walk_absent_visits_absent_chunks(struct kunit *test)
{
	static const unsigned long want[] = { 1, 5, 6, 7 };
	struct pe_walk w = { .stop_at = -1 };
	struct pe_fake f;
	struct palloc_heap *h = pe_heap_empty(test, 8, &f);
	u64 at, scav;
	unsigned int i;

	w.h = h;
	/* Chunks 0, 2, 3 and 4 grown back and in use, the others absent. */
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, CP, CP, &at, &scav), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, 2 * CP, 2 * CP, &at, &scav), 0);
	KUNIT_ASSERT_EQ(test, at, 2 * CP);
	KUNIT_ASSERT_EQ(test, palloc_heap_free(h, 2 * CP, CP), 0);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, CP, 4 * CP, &at, &scav), 0);
	KUNIT_ASSERT_EQ(test, at, 4 * CP);
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(h, CP, CP, &at, &scav), 0);
	KUNIT_ASSERT_EQ(test, at, 2 * CP);
	KUNIT_EXPECT_EQ(test, palloc_heap_walk_absent(h, pe_walk_fn, &w), 0);
	KUNIT_EXPECT_EQ(test, w.n, ARRAY_SIZE(want));
	for (i = 0; i < w.n && i < ARRAY_SIZE(want); i++)
		KUNIT_EXPECT_EQ(test, w.seen[i], want[i]);
	KUNIT_EXPECT_FALSE(test, w.unlocked);
	/* An error stops the walk and is returned. */
	w.n = 0;
	w.stop_at = 5;
	KUNIT_EXPECT_EQ(test, palloc_heap_walk_absent(h, pe_walk_fn, &w), -EIO);
	KUNIT_EXPECT_EQ(test, w.n, 2);
	/* The walk changes nothing. */
	pe_consistent(test, h, &f);
	KUNIT_EXPECT_EQ(test, f.take_backs, 4);
	palloc_heap_destroy(h);
}

static void random_shrink_grow_cycles(struct kunit *test)
{
	u64 s = seed ? seed : get_random_u64(), at[PE_RUNS], len[PE_RUNS], a, scav;
	unsigned int nheld = 0, step, k;
	struct rnd_state rnd;
	struct pe_fake f;
	struct palloc_heap *h = pe_heap(test, 32, &f);
	int ret;

	kunit_info(test, "seed %llu (pagegrow_test.seed=N)\n", s);
	prandom_seed_state(&rnd, s);
	palloc_heap_set_elastic(h, &pe_ops, &f, 2 * CP, CP / 2);
	for (step = 0; step < PE_STEPS && !f.bad; step++) {
		u32 r = prandom_u32_state(&rnd);

		f.fail_take = r % 10 == 0 ? -EBUSY : 0;
		f.fail_hand = r % 13 == 0 ? -EIO : 0;
		switch ((r >> 8) % 5) {
		case 0:
		case 1:
			if (nheld == PE_RUNS)
				break;
			a = 1 + prandom_u32_state(&rnd) % (3 * CP);
			ret = palloc_heap_alloc(h, a, (r >> 16) & 1 ? CP : 1, &at[nheld], &scav);
			KUNIT_ASSERT_TRUE_MSG(test, !ret || ret == -ENOMEM,
					      "step %u: alloc %llu: %d", step, a, ret);
			if (!ret)
				len[nheld++] = a;
			break;
		case 2:
			if (!nheld)
				break;
			k = prandom_u32_state(&rnd) % nheld;
			KUNIT_ASSERT_EQ(test, palloc_heap_free(h, at[k], len[k]), 0);
			at[k] = at[--nheld];
			len[k] = len[nheld];
			break;
		case 3:
			palloc_heap_scavenge(h, prandom_u32_state(&rnd) % (8 * CP), true);
			break;
		default:
			palloc_heap_shrink(h, 1 + prandom_u32_state(&rnd) % 8, true);
			break;
		}
		KUNIT_ASSERT_EQ_MSG(test, palloc_heap_check(h), 0, "step %u, seed %llu", step, s);
		KUNIT_ASSERT_FALSE_MSG(test, f.bad, "step %u, seed %llu", step, s);
	}
	flush_delayed_work(&h->scavenger.work);
	pe_consistent(test, h, &f);
	kunit_info(test, "%u hand-backs, %u take-backs\n", f.hand_backs, f.take_backs);
	KUNIT_EXPECT_GT(test, f.hand_backs, 0);
	KUNIT_EXPECT_GT(test, f.take_backs, 0);
	while (nheld--)
		KUNIT_EXPECT_EQ(test, palloc_heap_free(h, at[nheld], len[nheld]), 0);
	palloc_heap_destroy(h);
}

static struct kunit_case palloc_elastic_cases[] = {
	KUNIT_CASE(shrink_only_idle_scavenged_beyond_goal),
	KUNIT_CASE(grow_on_demand),
	KUNIT_CASE(grow_failure_enomem_consistent),
	KUNIT_CASE(refused_hand_back_keeps_chunk),
	KUNIT_CASE(explicit_shrink_waits_for_grow),
	KUNIT_CASE(grow_ahead_keeps_headroom),
	KUNIT_CASE(walk_absent_visits_absent_chunks),
	KUNIT_CASE(random_shrink_grow_cycles),
	{}
};

static struct kunit_suite palloc_elastic_suite = {
	.name = "palloc_elastic",
	.test_cases = palloc_elastic_cases,
};

kunit_test_suites(&palloc_elastic_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suite for the pallocbits heap's hand-back and grow bookkeeping");
