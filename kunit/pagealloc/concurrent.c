// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc_test part: suite palloc_concurrent: threads against one heap.
 * Included by kunit/pagealloc_test.c; not built alone.
 */

/* ---------------------------------------------------------------------- */
/* palloc_concurrent                                                       */
/* ---------------------------------------------------------------------- */

#define PA_THREADS	4
#define PA_THREAD_OPS	20000
#define PA_THREAD_RUNS	48

struct pa_worker {
	struct pa_conc *c;
	unsigned int id;
	struct task_struct *task;
	struct rnd_state rs;
	struct completion turn;	/* one CPU: this thread's turn to run */
	unsigned int lent;	/* turns handed on without waiting (see pa_release_owner) */
	bool finished;
	struct completion done;
};

/* Shared by the threads; failures are counted here and reported by the test. */
struct pa_conc {
	struct palloc_heap *h;
	unsigned long *owner;	/* one bit per page: owned by a thread or the scavenger */
	u64 npages;
	u32 seed;
	bool baton;		/* one CPU: the threads take turns, a few operations each */
	struct pa_worker w[PA_THREADS];
	atomic_t dup;
	atomic_t lost;
	atomic_t bad_free;
	atomic_t bad_alloc;
	atomic64_t first_dup;
	atomic64_t allocs;
	atomic64_t enomem;
	atomic64_t scavenged;
	atomic_t last;		/* the thread that did the last operation */
	atomic_t switches;	/* operations done by another thread than the one before */
	atomic_t handoffs;	/* releases during which other threads ran */
};

/*
 * On one CPU without preemption the threads would run one after the other:
 * there a thread runs a few operations, hands the CPU to a random other
 * unfinished thread and waits for its turn (unless !@wait: then both run).
 * With several CPUs they run freely.
 */
static bool pa_pass(struct pa_worker *w, bool finished, bool wait)
{
	struct pa_conc *c = w->c;
	unsigned int k, start;

	if (!c->baton)
		return false;
	if (finished)
		WRITE_ONCE(w->finished, true);
	start = pa_rnd(&w->rs, PA_THREADS);
	for (k = 0; k < PA_THREADS; k++) {
		struct pa_worker *next = &c->w[(start + k) % PA_THREADS];

		if (next != w && !READ_ONCE(next->finished)) {
			complete(&next->turn);
			break;
		}
	}
	if (k == PA_THREADS && !finished)
		return false;	/* the last one running */
	if (!finished && wait)
		wait_for_completion(&w->turn);
	return k < PA_THREADS;
}

/* Take ownership of [start, start + n): a bit already set is a page owned twice. */
static void pa_own(struct pa_conc *c, u64 start, u64 n)
{
	u64 p;

	for (p = start; p < start + n; p++) {
		if (test_and_set_bit(p, c->owner) && atomic_inc_return(&c->dup) == 1)
			atomic64_set(&c->first_dup, p);
	}
}

static void pa_disown(struct pa_conc *c, u64 start, u64 n)
{
	u64 p;

	for (p = start; p < start + n; p++)
		if (!test_and_clear_bit(p, c->owner))
			atomic_inc(&c->lost);
}

/*
 * Concurrent mode's release callback: the scavenger owns the run while it
 * releases it, freeing it meanwhile is refused, and on one CPU the other
 * threads run while it is in flight (when a thread, not the background
 * scavenger, is releasing).
 */
static int pa_release_owner(struct pa_fix *fx, u64 start, u64 npages)
{
	struct pa_conc *c = fx->conc;
	unsigned int k;

	if (start >= c->npages || npages > c->npages - start) {
		pa_bad(fx, start, npages, "released pages outside the range");
		return 0;
	}
	pa_own(c, start, npages);
	if (palloc_heap_free(fx->h, start, npages) != -EINVAL)
		pa_bad(fx, start, npages, "freeing a run being released did not fail");
	atomic_inc(&fx->probes);
	for (k = 0; k < PA_THREADS; k++) {
		if (c->w[k].task == current) {
			/*
			 * Wake another thread but do not wait for the turn to
			 * come back here: it may be an allocation that waits
			 * for this very run.  The worker waits for it once the
			 * scavenge is over, so that one thread runs at a time.
			 */
			atomic_inc(&c->handoffs);
			if (pa_pass(&c->w[k], false, false))
				c->w[k].lent++;
		}
	}
	cond_resched();
	pa_disown(c, start, npages);
	return 0;
}

static void pa_worker_free(struct pa_conc *c, u64 start, u64 n)
{
	pa_disown(c, start, n);
	if (palloc_heap_free(c->h, start, n))
		atomic_inc(&c->bad_free);
}

static void pa_worker_alloc(struct pa_worker *w, struct pa_run *live, unsigned int *nlive)
{
	struct pa_conc *c = w->c;
	bool small = pa_rnd(&w->rs, 2);
	u64 n = small ? 1 + pa_rnd(&w->rs, CACHE_MAX - 1) : 1 + pa_rnd(&w->rs, 600);
	u64 align = small ? 1 : 1ULL << pa_rnd(&w->rs, 11), at, scav;
	int ret = palloc_heap_alloc(c->h, n, align, &at, &scav);

	if (ret == -ENOMEM) {
		atomic64_inc(&c->enomem);
	} else if (ret || at >= c->npages || n > c->npages - at || at % align || scav > n) {
		atomic_inc(&c->bad_alloc);
	} else {
		pa_own(c, at, n);
		live[(*nlive)++] = (struct pa_run){ at, n };
		atomic64_inc(&c->allocs);
	}
}

/*
 * Random allocations (1..600 pages, random alignment, half of them small
 * and unaligned) and frees (whole runs or their first part); thread 0 also
 * scavenges now and then.
 */
static int pa_worker_fn(void *arg)
{
	struct pa_worker *w = arg;
	struct pa_conc *c = w->c;
	struct pa_run live[PA_THREAD_RUNS];
	unsigned int nlive = 0, i, burst = 0;

	if (c->baton)
		wait_for_completion(&w->turn);
	for (i = 0; i < PA_THREAD_OPS; i++) {
		u32 op = pa_rnd(&w->rs, 100);

		if (nlive == PA_THREAD_RUNS || (nlive && op < 45)) {
			unsigned int r = pa_rnd(&w->rs, nlive);
			u64 k = live[r].n;

			if (k > 1 && pa_rnd(&w->rs, 2))
				k = 1 + pa_rnd(&w->rs, k - 1);
			pa_worker_free(c, live[r].start, k);
			if (k == live[r].n) {
				live[r] = live[--nlive];
			} else {
				live[r].start += k;
				live[r].n -= k;
			}
		} else if (!w->id && op >= 98) {
			atomic64_add(palloc_heap_scavenge(c->h, 1 + pa_rnd(&w->rs, 2048),
							  pa_rnd(&w->rs, 2)), &c->scavenged);
			/*
			 * Take the lent turns back.  Bounded: a turn completed
			 * for a thread that then finished is lost, and waiting
			 * for it would never end.
			 */
			for (; w->lent; w->lent--)
				wait_for_completion_timeout(&w->turn, msecs_to_jiffies(100));
		} else {
			pa_worker_alloc(w, live, &nlive);
		}
		if (atomic_xchg(&c->last, w->id) != w->id)
			atomic_inc(&c->switches);
		if (!burst--) {
			burst = pa_rnd(&w->rs, 8);
			pa_pass(w, false, true);
		}
		cond_resched();
	}
	while (nlive--)
		pa_worker_free(c, live[nlive].start, live[nlive].n);
	pa_pass(w, true, true);
	kthread_complete_and_exit(&w->done, 0);
}

/*
 * PA_THREADS threads allocate and free at random while the background
 * scavenger and thread 0 release pages: no page is ever owned twice (the
 * scavenger owns what it releases), every free of an owned run works, and
 * once everything is freed and the caches flushed the heap is whole.
 */
static void threads_never_share_pages(struct kunit *test)
{
	const u64 n = 32 * CP + 300;
	struct pa_fix *fx = pa_setup(test, n);
	struct pa_conc *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct palloc_stats st;
	unsigned int k, started = 0;
	struct rnd_state rs;
	u64 at, scav;

	KUNIT_ASSERT_NOT_NULL(test, c);
	pa_rnd_init(fx, &rs);
	c->h = fx->h;
	c->npages = n;
	c->seed = fx->seed;
	c->owner = fx->scratch;
	c->baton = num_online_cpus() == 1;
	bitmap_zero(c->owner, fx->nbits);
	pa_grow(fx, 0, 8000, false);
	pa_grow(fx, 8000, n - 8000, true);
	fx->conc = c;
	palloc_heap_set_goal(fx->h, 2048, 50);
	for (k = 0; k < PA_THREADS; k++) {
		struct pa_worker *w = &c->w[k];

		w->c = c;
		w->id = k;
		prandom_seed_state(&w->rs, (u64)fx->seed * PA_THREADS + k);
		init_completion(&w->turn);
		init_completion(&w->done);
		/* Not started yet: out of the turns. */
		w->finished = true;
	}
	for (k = 0; k < PA_THREADS; k++) {
		struct task_struct *t = kthread_create(pa_worker_fn, &c->w[k], "palloc_test/%u",
						       k);

		if (IS_ERR(t))
			break;
		c->w[k].task = t;
		c->w[k].finished = false;
		started++;
	}
	for (k = 0; k < started; k++)
		wake_up_process(c->w[k].task);
	if (started && c->baton)
		complete(&c->w[0].turn);
	for (k = 0; k < started; k++)
		wait_for_completion(&c->w[k].done);
	palloc_heap_set_goal(fx->h, U64_MAX, 1);
	flush_delayed_work(&fx->h->scavenger.work);
	fx->conc = NULL;
	KUNIT_ASSERT_EQ_MSG(test, started, PA_THREADS, "kthread_create failed");

	kunit_info(test, "%lld allocations, %lld failed for room, %lld pages scavenged by thread 0, %d releases owned (%d by threads), %d thread switches\n",
		   atomic64_read(&c->allocs), atomic64_read(&c->enomem),
		   atomic64_read(&c->scavenged), atomic_read(&fx->probes),
		   atomic_read(&c->handoffs), atomic_read(&c->switches));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->dup), 0,
			    "seed %u: pages owned twice, first %lld", fx->seed,
			    atomic64_read(&c->first_dup));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->lost), 0, "seed %u: ownership lost", fx->seed);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->bad_free), 0,
			    "seed %u: frees of owned runs failed", fx->seed);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&c->bad_alloc), 0, "seed %u: bad allocations",
			    fx->seed);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(c->owner, n));
	KUNIT_EXPECT_GT(test, atomic_read(&c->switches), PA_THREADS * PA_THREAD_OPS / 16);

	palloc_heap_flush_caches(fx->h);
	palloc_heap_stats(fx->h, &st);
	KUNIT_EXPECT_EQ(test, st.pages_total, n);
	KUNIT_EXPECT_EQ(test, st.pages_inuse, 0);
	KUNIT_EXPECT_EQ(test, st.pages_cached, 0);
	KUNIT_EXPECT_EQ(test, st.pages_scavenging, 0);
	KUNIT_EXPECT_EQ(test, st.pages_free, n);
	KUNIT_EXPECT_EQ(test, st.largest_free, n);
	KUNIT_EXPECT_EQ(test, st.pages_total,
			st.pages_inuse + st.pages_free + st.pages_cached + st.pages_scavenging);
	KUNIT_EXPECT_EQ(test, palloc_heap_check(fx->h), 0);
	pa_check_sums(test, fx->h, "after the threads");
	KUNIT_ASSERT_EQ(test, palloc_heap_alloc(fx->h, n, 1, &at, &scav), 0);
	KUNIT_EXPECT_EQ(test, at, 0);
	KUNIT_EXPECT_EQ(test, scav, st.pages_scavenged);
}

static struct kunit_case palloc_concurrent_cases[] = {
	KUNIT_CASE(threads_never_share_pages),
	{}
};

static struct kunit_suite palloc_concurrent_suite = {
	.name = "palloc_concurrent",
	.init = pa_init,
	.exit = pa_exit,
	.test_cases = palloc_concurrent_cases,
};
