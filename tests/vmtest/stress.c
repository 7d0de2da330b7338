// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: processes and threads allocating, mapping, checking and freeing at once.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Stress: processes allocating, mapping, checking and freeing at once */
/* ------------------------------------------------------------------ */

struct pb_run {
	__u64 offset, npages, seed;
	__u64 *map;
};

static unsigned int pb_rand(unsigned int *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 8) & 0xffffff;
}

static void pb_fill(struct pb_run *r, __u64 ps)
{
	__u64 i, words = ps / 8;

	/* The first and last word of every page carry the tag. */
	for (i = 0; i < r->npages; i++) {
		r->map[i * words] = pb_tag(r->seed, r->offset / ps + i);
		r->map[i * words + words - 1] = ~pb_tag(r->seed, r->offset / ps + i);
	}
}

static bool pb_verify(struct pb_run *r, __u64 ps)
{
	__u64 i, words = ps / 8;

	for (i = 0; i < r->npages; i++)
		if (r->map[i * words] != pb_tag(r->seed, r->offset / ps + i) ||
		    r->map[i * words + words - 1] != ~pb_tag(r->seed, r->offset / ps + i))
			return false;
	return true;
}

/* EBUSY frees of each stress child, shared with the parent. */
static __u64 *pb_stress_busy;

static int pb_stress_child(unsigned int id, double seconds)
{
	unsigned int state = 0x1234567u * (id + 1) ^ (unsigned int)getpid();
	struct pb_run runs[PB_STRESS_RUNS];
	__u64 ps = pb_page_size(), ops = 0, nomem = 0, busy = 0;
	double end = pb_now() + seconds;
	int fd = pb_open(), nruns = 0, k, ret;
	struct palloc_ioc_info info;

	if (fd < 0 || pb_ioctl(fd, PALLOC_IOC_INFO, &info)) {
		fprintf(stderr, "# stress %u: open/info: %s\n", id, strerror(errno));
		return 2;
	}
	while (pb_now() < end) {
		unsigned int op = pb_rand(&state) % 100;

		ops++;
		if (op < 45 && nruns < PB_STRESS_RUNS) {
			struct palloc_ioc_alloc a;
			struct pb_run *r = &runs[nruns];
			unsigned int sz = pb_rand(&state) % 100;
			__u64 n, align = 0;

			n = sz < 70 ? 1 + pb_rand(&state) % 16 :
			    sz < 95 ? 17 + pb_rand(&state) % 240 : 257 + pb_rand(&state) % 1800;
			if (pb_rand(&state) % 5 == 0)
				align = 1ULL << (pb_rand(&state) % 10);
			ret = pb_alloc(fd, n, align, 0, &a);
			if (ret == ENOMEM) {
				nomem++;
				continue;
			}
			if (ret) {
				fprintf(stderr, "# stress %u: alloc %llu: %s\n", id, n,
					strerror(ret));
				return 3;
			}
			if (a.offset % ps || a.offset / ps + n > info.npages ||
			    (align > 1 && (a.offset / ps) % align)) {
				fprintf(stderr, "# stress %u: bad run %#llx+%llu align %llu\n", id,
					a.offset, n, align);
				return 4;
			}
			for (k = 0; k < nruns; k++) {
				if (a.offset < runs[k].offset + runs[k].npages * ps &&
				    runs[k].offset < a.offset + n * ps) {
					fprintf(stderr, "# stress %u: %#llx overlaps %#llx\n", id,
						a.offset, runs[k].offset);
					return 5;
				}
			}
			r->offset = a.offset;
			r->npages = n;
			r->seed = ((__u64)getpid() << 32) ^ ops;
			r->map = pb_map(fd, a.offset, n);
			if (r->map == MAP_FAILED) {
				fprintf(stderr, "# stress %u: mmap: %s\n", id, strerror(errno));
				return 6;
			}
			/* Fresh pages read zero (sampled: first bytes of each page). */
			for (__u64 i = 0; i < n; i++) {
				if (pb_first_nonzero((char *)r->map + i * ps, 64) != 64) {
					fprintf(stderr, "# stress %u: %#llx page %llu not zero\n",
						id, a.offset, i);
					return 7;
				}
			}
			pb_fill(r, ps);
			nruns++;
		} else if (op < 80 && nruns) {
			int i = pb_rand(&state) % nruns;
			struct pb_run *r = &runs[i];

			if (!pb_verify(r, ps)) {
				fprintf(stderr, "# stress %u: run %#llx+%llu corrupted\n", id,
					r->offset, r->npages);
				return 8;
			}
			if (pb_rand(&state) % 4 == 0 && r->npages > 1) {
				/* A part of a mapped run cannot be cut off. */
				if (pb_free(fd, r->offset, r->npages - 1) != EBUSY) {
					fprintf(stderr, "# stress %u: mapped free not EBUSY\n",
						id);
					return 9;
				}
				busy++;
			}
			munmap(r->map, r->npages * ps);
			if (r->npages > 1 && pb_rand(&state) % 3 == 0) {
				__u64 half = r->npages / 2;

				ret = pb_free(fd, r->offset + half * ps, r->npages - half);
				if (!ret)
					ret = pb_free(fd, r->offset, half);
			} else {
				ret = pb_free(fd, r->offset, r->npages);
			}
			if (ret) {
				fprintf(stderr, "# stress %u: free %#llx+%llu: %s\n", id, r->offset,
					r->npages, strerror(ret));
				return 10;
			}
			runs[i] = runs[--nruns];
		} else if (op < 85) {
			struct palloc_ioc_scavenge s = { .npages = 1 + pb_rand(&state) % 256 };

			if (pb_rand(&state) % 2)
				s.flags = PALLOC_SCAVENGE_FORCE;
			ret = pb_ioctl(fd, PALLOC_IOC_SCAVENGE, &s);
			if (ret) {
				fprintf(stderr, "# stress %u: scavenge: %s\n", id, strerror(ret));
				return 11;
			}
		} else {
			struct palloc_ioc_stats st;

			if (pb_stats(fd, &st) || !pb_stats_consistent(&st)) {
				fprintf(stderr, "# stress %u: stats inconsistent\n", id);
				return 12;
			}
			for (k = 0; k < nruns; k++) {
				if (!pb_verify(&runs[k], ps)) {
					fprintf(stderr, "# stress %u: run %#llx corrupted\n", id,
						runs[k].offset);
					return 13;
				}
			}
		}
	}
	for (k = 0; k < nruns; k++) {
		if (!pb_verify(&runs[k], ps)) {
			fprintf(stderr, "# stress %u: run %#llx corrupted at the end\n", id,
				runs[k].offset);
			return 14;
		}
	}
	fprintf(stderr, "# stress %u: %llu ops, %llu ENOMEM, %llu EBUSY, %d runs left to exit\n",
		id, ops, nomem, busy, nruns);
	pb_stress_busy[id] = busy;
	/* Half of the children leave their runs (and mappings) to exit(). */
	if (id % 2)
		return 0;
	for (k = 0; k < nruns; k++) {
		munmap(runs[k].map, runs[k].npages * ps);
		if (pb_free(fd, runs[k].offset, runs[k].npages))
			return 15;
	}
	close(fd);
	return 0;
}

/* Threads sharing one open file: runs of the same owner, concurrently. */
struct pb_thread {
	int fd;
	unsigned int id;
	double seconds;
	int err;
	char what[96];
};

static void *pb_thread_main(void *arg)
{
	struct pb_thread *t = arg;
	unsigned int state = 0x9e3779b9u * (t->id + 1);
	double end = pb_now() + t->seconds;
	__u64 ps = pb_page_size(), loops = 0;
	struct pb_run r;

	while (pb_now() < end) {
		struct palloc_ioc_alloc a;
		__u64 n = 1 + pb_rand(&state) % 40;
		int ret = pb_alloc(t->fd, n, 0, 0, &a);

		loops++;
		if (ret == ENOMEM)
			continue;
		if (ret) {
			t->err = ret;
			snprintf(t->what, sizeof(t->what), "alloc %llu", n);
			break;
		}
		r.offset = a.offset;
		r.npages = n;
		r.seed = t->id * 1000003ULL + loops;
		r.map = pb_map(t->fd, a.offset, n);
		if (r.map == MAP_FAILED) {
			t->err = errno;
			snprintf(t->what, sizeof(t->what), "mmap %#llx+%llu", a.offset, n);
			break;
		}
		pb_fill(&r, ps);
		sched_yield();
		if (!pb_verify(&r, ps)) {
			t->err = EIO;
			snprintf(t->what, sizeof(t->what), "run %#llx+%llu corrupted", a.offset, n);
			break;
		}
		munmap(r.map, n * ps);
		ret = pb_free(t->fd, a.offset, n);
		if (ret) {
			t->err = ret;
			snprintf(t->what, sizeof(t->what), "free %#llx+%llu", a.offset, n);
			break;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(pb, threads_one_file, 60)
{
	struct pb_thread t[4];
	pthread_t tid[4];
	struct palloc_ioc_stats st;
	int k;

	for (k = 0; k < 4; k++) {
		t[k] = (struct pb_thread){ .fd = self->fd, .id = k, .seconds = 2 };
		ASSERT_EQ(0, pthread_create(&tid[k], NULL, pb_thread_main, &t[k]));
	}
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(0, pthread_join(tid[k], NULL));
		EXPECT_EQ(0, t[k].err) TH_LOG("thread %d: %s: %s", k, t[k].what,
					      strerror(t[k].err));
	}
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
	EXPECT_TRUE(pb_check_ok());
}

TEST_F_TIMEOUT(pb, stress, 120)
{
	double seconds = (double)pb_env_u64("PB_STRESS", 5);
	struct palloc_ioc_stats st;
	pid_t pids[PB_STRESS_PROCS];
	__u64 seen = 0, busy = 0;
	int k, status;

	pb_stress_busy = mmap(NULL, PB_STRESS_PROCS * sizeof(*pb_stress_busy),
			      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pb_stress_busy);
	for (k = 0; k < PB_STRESS_PROCS; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k])
			_exit(pb_stress_child(k, seconds));
	}
	for (k = 0; k < PB_STRESS_PROCS; k++) {
		ASSERT_EQ(pids[k], waitpid(pids[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("stress child %d: status %#x", k, status);
	}
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu, baseline %llu", seen, self->base.pages_inuse);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	/* The only refused frees are the children's deliberate EBUSY ones. */
	for (k = 0; k < PB_STRESS_PROCS; k++)
		busy += pb_stress_busy[k];
	EXPECT_EQ(self->base.free_errors + busy, st.free_errors);
	munmap(pb_stress_busy, PB_STRESS_PROCS * sizeof(*pb_stress_busy));
	EXPECT_TRUE(pb_check_ok());
}
