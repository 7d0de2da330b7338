// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: close() racing ioctls on other threads.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* --- close() racing ioctls on other threads --- */

#define PB_RACE_THREADS	4
#define PB_RACE_ITERS	1000
#define PB_RACE_SECONDS	5.0

/* Where a racer met the closed descriptor. */
enum { PB_AT_ALLOC, PB_AT_MMAP, PB_AT_FREE, PB_AT_STATS, PB_AT_N };

struct pb_racer {
	int fd;
	unsigned int id;
	__u64 ops, allocs, maps;
	int at;			/* PB_AT_*: the call that saw EBADF */
	int err;
	char what[96];
};

/*
 * ALLOC, mmap, fill, check, munmap, FREE and STATS on @r->fd until it is
 * closed under us (EBADF).  A mapping made before the close stays valid;
 * a run the file still owns is freed by its release.
 */
static void *pb_racer_main(void *arg)
{
	struct pb_racer *r = arg;
	unsigned int state = 0x2545f491u * (r->id + 1) ^ (unsigned int)pb_now();
	__u64 ps = pb_page_size();
	int ret;

	for (;;) {
		struct palloc_ioc_stats st;
		struct palloc_ioc_alloc a;
		struct pb_run run;
		__u64 n = 1 + pb_rand(&state) % 24;

		r->ops++;
		if (pb_rand(&state) % 4 == 0) {
			ret = pb_stats(r->fd, &st);
			r->at = PB_AT_STATS;
			if (ret == EBADF)
				break;
			if (ret || !pb_stats_consistent(&st)) {
				r->err = ret ? ret : EPROTO;
				snprintf(r->what, sizeof(r->what), "stats");
				break;
			}
			continue;
		}
		ret = pb_alloc(r->fd, n, 0, 0, &a);
		r->at = PB_AT_ALLOC;
		if (ret == EBADF)
			break;
		if (ret == ENOMEM)
			continue;
		if (ret) {
			r->err = ret;
			snprintf(r->what, sizeof(r->what), "alloc %llu", n);
			break;
		}
		r->allocs++;
		run = (struct pb_run){ .offset = a.offset, .npages = n, .seed = r->ops };
		run.map = pb_map(r->fd, a.offset, n);
		r->at = PB_AT_MMAP;
		if (run.map == MAP_FAILED) {
			if (errno == EBADF)
				break;
			r->err = errno;
			snprintf(r->what, sizeof(r->what), "mmap %#llx+%llu", a.offset, n);
			break;
		}
		r->maps++;
		pb_fill(&run, ps);
		sched_yield();
		if (!pb_verify(&run, ps)) {
			r->err = EIO;
			snprintf(r->what, sizeof(r->what), "run %#llx+%llu corrupted", a.offset, n);
			munmap(run.map, n * ps);
			break;
		}
		munmap(run.map, n * ps);
		ret = pb_free(r->fd, a.offset, n);
		r->at = PB_AT_FREE;
		if (ret == EBADF)
			break;
		if (ret) {
			r->err = ret;
			snprintf(r->what, sizeof(r->what), "free %#llx+%llu", a.offset, n);
			break;
		}
	}
	return NULL;
}

/*
 * close() on the main thread while other threads are inside ALLOC, FREE,
 * STATS and mmap() on the same descriptor: their calls complete or fail
 * with EBADF, mappings made before the close keep working, and once the
 * last of them lets go every page the file held is back (pages_inuse at
 * the baseline after each round).
 */
TEST_F_TIMEOUT(pb, close_races_ioctls, 90)
{
	__u64 ops = 0, allocs = 0, maps = 0, seen = 0, at[PB_AT_N] = { 0 };
	double end = pb_now() + PB_RACE_SECONDS;
	unsigned int state = 0xc105e;
	struct palloc_ioc_stats st;
	int iter, k;

	for (iter = 0; iter < PB_RACE_ITERS && pb_now() < end; iter++) {
		struct pb_racer r[PB_RACE_THREADS];
		pthread_t tid[PB_RACE_THREADS];
		struct timespec ts = { 0, 0 };
		int fd = pb_open();

		ASSERT_LE(0, fd);
		for (k = 0; k < PB_RACE_THREADS; k++) {
			r[k] = (struct pb_racer){ .fd = fd, .id = k + iter * PB_RACE_THREADS };
			ASSERT_EQ(0, pthread_create(&tid[k], NULL, pb_racer_main, &r[k]));
		}
		/* Let them run for 0 to 3 ms, then close the descriptor under them. */
		ts.tv_nsec = (long)(pb_rand(&state) % 3000) * 1000;
		nanosleep(&ts, NULL);
		EXPECT_EQ(0, close(fd));
		for (k = 0; k < PB_RACE_THREADS; k++) {
			ASSERT_EQ(0, pthread_join(tid[k], NULL));
			EXPECT_EQ(0, r[k].err) TH_LOG("round %d thread %d: %s: %s", iter, k,
						      r[k].what, strerror(r[k].err));
			ops += r[k].ops;
			allocs += r[k].allocs;
			maps += r[k].maps;
			at[r[k].at]++;
		}
		ASSERT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
			TH_LOG("round %d: pages_inuse %llu after the close, baseline %llu",
			       iter, seen, self->base.pages_inuse);
	}
	TH_LOG("%d rounds of close() against %d threads: %llu calls, %llu allocs, %llu mmaps;",
	       iter, PB_RACE_THREADS, ops, allocs, maps);
	TH_LOG("EBADF first seen by ALLOC %llu, mmap %llu, FREE %llu, STATS %llu times",
	       at[PB_AT_ALLOC], at[PB_AT_MMAP], at[PB_AT_FREE], at[PB_AT_STATS]);
	EXPECT_LE(20, iter);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_TRUE(pb_check_ok());
}
