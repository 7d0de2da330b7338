// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: regression tests of the review's findings, zeroing, privileges.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Hardening: regression tests of the review's findings               */
/* ------------------------------------------------------------------ */

/* What the second thread of alloc_publishes_last managed to do. */
struct pb_race {
	int fd;
	int uffd;
	void *arg;
	__u64 ps;
	__u64 nchunks;
	int faulted;
	int mapped;
	int freed;
	void *map;		/* a mapping that succeeded, kept for the check */
	__u64 map_off;
};

/*
 * The userfaultfd handler: the ALLOC thread is stopped inside its
 * copy_to_user() of the result.  Try to map and to free every chunk-aligned
 * run of the file, then make the copy fail (read-only page) and let the
 * ALLOC thread go on.
 */
static void *pb_race_handler(void *p)
{
	struct pb_race *r = p;
	struct pollfd pfd = { .fd = r->uffd, .events = POLLIN };
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)r->arg, .len = r->ps },
	};
	struct uffd_msg msg;
	__u64 k, len = PB_CHUNK_PAGES * r->ps;

	if (poll(&pfd, 1, 10000) != 1 || read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	r->faulted = 1;
	for (k = 0; k < r->nchunks; k++) {
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd,
			       (off_t)(k * len));

		if (m == MAP_FAILED)
			continue;
		r->mapped++;
		if (!r->map) {
			r->map = m;
			r->map_off = k * len;
		} else {
			munmap(m, len);
		}
	}
	for (k = 0; !r->mapped && k < r->nchunks; k++)
		if (!pb_free(r->fd, k * len, PB_CHUNK_PAGES))
			r->freed++;
	mprotect(r->arg, r->ps, PROT_READ);
	ioctl(r->uffd, UFFDIO_WRITEPROTECT, &wp);	/* mode 0: unprotect and wake */
	return NULL;
}

/*
 * Finding 1: ALLOC publishes the run only after its last step that can
 * fail.  The result is copied to a page that userfaultfd write-protects,
 * so the ALLOC thread stops inside copy_to_user(); meanwhile a second
 * thread of the same file tries to map and to free the run, and then makes
 * the copy fail.  Before the fix the run was already owned: the mapping
 * succeeded, and survived the ALLOC's unwind on pages the next owner got.
 */
TEST_F(pb, alloc_publishes_last)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct pb_race r = { .fd = self->fd, .ps = self->ps };
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc *a, b;
	pthread_t tid;
	int ret, fd2;
	__u64 seen;

	r.nchunks = self->info.npages / PB_CHUNK_PAGES;
	r.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, r.uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(r.uffd, UFFDIO_API, &api)) TH_LOG("UFFDIO_API: %s", strerror(errno));
	r.arg = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r.arg);
	a = r.arg;
	memset(a, 0, sizeof(*a));
	a->npages = PB_CHUNK_PAGES;
	a->align = PB_CHUNK_PAGES;
	reg.range.start = (unsigned long)r.arg;
	reg.range.len = self->ps;
	ASSERT_EQ(0, ioctl(r.uffd, UFFDIO_REGISTER, &reg)) TH_LOG("register: %s", strerror(errno));
	wp.range = reg.range;
	ASSERT_EQ(0, ioctl(r.uffd, UFFDIO_WRITEPROTECT, &wp)) TH_LOG("wp: %s", strerror(errno));
	ASSERT_EQ(0, pthread_create(&tid, NULL, pb_race_handler, &r));

	ret = pb_ioctl(self->fd, PALLOC_IOC_ALLOC, a);
	ASSERT_EQ(0, pthread_join(tid, NULL));
	EXPECT_EQ(1, r.faulted) TH_LOG("the ALLOC never stopped in its copy-out");
	EXPECT_EQ(EFAULT, ret);
	EXPECT_EQ(0, r.mapped) TH_LOG("%d runs mapped while their ALLOC could fail", r.mapped);
	EXPECT_EQ(0, r.freed) TH_LOG("%d runs freed while their ALLOC could still fail", r.freed);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	if (r.map) {
		/* The proof of harm: a new owner's pages reached through the old mapping. */
		fd2 = pb_open();
		ASSERT_LE(0, fd2);
		ASSERT_EQ(0, pb_alloc(fd2, PB_CHUNK_PAGES, PB_CHUNK_PAGES, 0, &b));
		TH_LOG("stale mapping of offset %#llx; new owner got %#llx", r.map_off, b.offset);
		munmap(r.map, PB_CHUNK_PAGES * self->ps);
		close(fd2);
	}
	close(r.uffd);
	munmap(r.arg, self->ps);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 5, &seen));
}

/*
 * Finding 8: MAP_SHARED of an O_RDONLY file (which clears VM_SHARED but not
 * VM_MAYSHARE) maps the file's run read-only; writing is refused.
 */
TEST_F(pb, read_only_file_maps_read_only)
{
	struct palloc_ioc_alloc a;
	size_t len = 4 * self->ps;
	unsigned char *p;
	int fd;

	fd = open(PB_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pb_alloc(fd, 4, 0, 0, &a));
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)a.offset);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap(PROT_READ, MAP_SHARED) of an O_RDONLY fd: %s",
					strerror(errno));
	EXPECT_EQ(len, pb_first_nonzero(p, len));
	EXPECT_EQ(-1, mprotect(p, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(EACCES, pb_map_errno(fd, a.offset, 4, MAP_SHARED));
	EXPECT_EQ(0, pb_free(fd, a.offset, 4));
	close(fd);
}

/* The x86 PAT memtype list (debugfs), or NULL where the kernel has none. */
static char *pb_pat_list(void)
{
	int fd = open("/sys/kernel/debug/x86/pat_memtype_list", O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, len = 0;
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf && (n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/*
 * Finding 9: splitting a mapping (munmap of its middle) and unmapping the
 * pieces leaves the PAT memtype list as it was.  Before the fix a reserved
 * range's mapping left its memtype entry behind ("freeing invalid
 * memtype").
 */
TEST_F(pb, split_mapping_leaves_no_memtype)
{
	struct palloc_ioc_alloc a;
	char *before, *after;
	unsigned char *p;

	before = pb_pat_list();
	if (!before)
		SKIP(return, "no /sys/kernel/debug/x86/pat_memtype_list");
	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, 8 * self->ps);
	ASSERT_EQ(0, munmap(p + 2 * self->ps, 3 * self->ps));
	EXPECT_EQ(0x5a, p[7 * self->ps]);
	EXPECT_EQ(0, munmap(p, 2 * self->ps));
	EXPECT_EQ(0, munmap(p + 5 * self->ps, 3 * self->ps));
	after = pb_pat_list();
	ASSERT_NE(NULL, after);
	EXPECT_STREQ(before, after);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 8));
	free(before);
	free(after);
}

/* Finding 7: STATS add up at every instant, while caches fill and flush. */
static void pb_churn(int seconds)
{
	double end = pb_now() + seconds;
	struct palloc_ioc_scavenge s = { .npages = 1 };
	struct palloc_ioc_alloc a;
	int fd = pb_open();
	unsigned int i = 0;

	if (fd < 0)
		_exit(2);
	while (pb_now() < end) {
		if (!pb_alloc(fd, 1 + i % 7, 0, 0, &a))
			pb_free(fd, a.offset, a.npages);
		if (!(i++ % 16))
			pb_ioctl(fd, PALLOC_IOC_SCAVENGE, &s);	/* flushes every cache */
	}
	_exit(0);
}

TEST_F_TIMEOUT(pb, stats_consistent_under_churn, 60)
{
	struct palloc_ioc_stats st;
	unsigned long reads = 0, bad = 0;
	pid_t pids[3];
	double end;
	int k, status;

	for (k = 0; k < 3; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k])
			pb_churn(3);
	}
	end = pb_now() + 3;
	while (pb_now() < end) {
		ASSERT_EQ(0, pb_stats(self->fd, &st));
		reads++;
		if (st.pages_inuse > st.npages ||
		    st.pages_inuse + st.pages_free + st.pages_cached + st.pages_scavenging !=
		    st.npages) {
			if (!bad++)
				TH_LOG("inuse %llu free %llu cached %llu scavenging %llu of %llu",
				       st.pages_inuse, st.pages_free, st.pages_cached,
				       st.pages_scavenging, st.npages);
		}
	}
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(pids[k], waitpid(pids[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	TH_LOG("%lu STATS snapshots, %lu inconsistent", reads, bad);
	EXPECT_EQ(0, bad);
}

/*
 * Finding 15: right after mass frees, with the background scavenger busy
 * (goal 0, full budget), a whole-range ALLOC succeeds every time: pages
 * that the scavenger is releasing are waited for, not reported missing.
 */
TEST_F_TIMEOUT(pb, whole_range_after_mass_free, 120)
{
	__u64 n = self->info.npages, per = n / 64, seen, k;
	struct palloc_ioc_alloc all;
	int round, fails = 0;

	ASSERT_EQ(0, pb_wait_inuse(self->fd, 0, 10, &seen)) TH_LOG("%llu pages in use", seen);
	/* Saves the goal for the teardown to restore. */
	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	ASSERT_EQ(0, pb_write_debugfs("scavenger", "goal_pages 0"));
	ASSERT_EQ(0, pb_write_debugfs("scavenger", "budget_percent 100"));
	/*
	 * Each round: one whole-range ALLOC, freed in 64 pieces (mass frees
	 * that wake the scavenger), then a whole-range ALLOC right away.
	 * Separate smaller ALLOCs would not do: first fit around a run the
	 * scavenger holds for a moment may leave the free pages fragmented.
	 */
	for (round = 0; round < 40; round++) {
		struct palloc_ioc_stats st;
		int ret = pb_alloc(self->fd, n, 0, 0, &all);

		if (!ret) {
			for (k = 0; k < 64; k++) {
				__u64 off = all.offset + k * per * self->ps;

				ASSERT_EQ(0, pb_free(self->fd, off, per));
			}
			ret = pb_alloc(self->fd, n, 0, 0, &all);
		}
		if (ret) {
			pb_stats(self->fd, &st);
			if (!fails++)
				TH_LOG("round %d: %s; inuse %llu free %llu cached %llu",
				       round, strerror(ret), st.pages_inuse, st.pages_free,
				       st.pages_cached);
			continue;
		}
		ASSERT_EQ(0, pb_free(self->fd, all.offset, n));
	}
	pb_write_debugfs("scavenger", "budget_percent 1");
	TH_LOG("%d of 40 rounds had a whole-range ALLOC fail", fails);
	EXPECT_EQ(0, fails);
}

static void pb_zero_on_reuse(struct __test_metadata *_metadata, struct _test_data_pb *self,
			     __u64 n, bool child_frees)
{
	struct palloc_ioc_alloc a, runs[200];
	__u64 child_off = ~0ULL;
	int pipefd[2], status, k, nruns = 0;
	bool covered = false;
	cpu_set_t one;
	pid_t pid;

	/*
	 * Child and parent on one CPU: a small run freed on a CPU goes back
	 * into that CPU's page cache, which only that CPU's ALLOCs take from
	 * (another CPU gets it once the cache is flushed: when the heap looks
	 * full, or after the cache stayed idle for a second).
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = pb_open();
		__u64 i, *w;

		if (fd < 0 || pb_alloc(fd, n, 0, 0, &a))
			_exit(2);
		w = pb_map(fd, a.offset, n);
		if (w == MAP_FAILED)
			_exit(3);
		for (i = 0; i < n * self->ps / 8; i++)
			w[i] = pb_tag(0xdead, i) | 1;
		munmap(w, n * self->ps);
		if (child_frees && pb_free(fd, a.offset, n))
			_exit(4);
		if (write(pipefd[1], &a.offset, sizeof(a.offset)) != sizeof(a.offset))
			_exit(5);
		_exit(0);	/* not freed: release() frees it */
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(child_off), read(pipefd[0], &child_off, sizeof(child_off)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);

	for (k = 0; k < (int)PB_ARRAY_SIZE(runs) && !covered; k++) {
		size_t len = n * self->ps, bad;
		char *p;
		int ret = pb_alloc(self->fd, n, 0, 0, &runs[k]);

		if (ret == ENOMEM)
			break;
		ASSERT_EQ(0, ret);
		nruns++;
		p = pb_map(self->fd, runs[k].offset, n);
		ASSERT_NE(MAP_FAILED, p);
		bad = pb_first_nonzero(p, len);
		EXPECT_EQ(len, bad) TH_LOG("run %#llx (child had %#llx): byte %zu is %#x",
					   runs[k].offset, child_off, bad,
					   bad < len ? (unsigned char)p[bad] : 0);
		ASSERT_EQ(0, munmap(p, len));
		covered = runs[k].offset < child_off + len && child_off < runs[k].offset + len;
	}
	EXPECT_TRUE(covered) TH_LOG("never got the child's pages back at %#llx", child_off);
	for (k = 0; k < nruns; k++)
		EXPECT_EQ(0, pb_free(self->fd, runs[k].offset, n));
}

TEST_F(pb, zero_on_reuse_after_free)
{
	pb_zero_on_reuse(_metadata, self, 37, true);
}

TEST_F(pb, zero_on_reuse_after_exit)
{
	pb_zero_on_reuse(_metadata, self, 300, false);
}

TEST_F(pb, zero_on_reuse_small)
{
	pb_zero_on_reuse(_metadata, self, 1, true);
}

static void pb_scavenge_all(int fd, __u64 npages);

/*
 * A half-dirty run: every free page released (known zero), then 256 pages
 * written and freed, so that the next 512-page ALLOC (first fit) covers
 * them and 256 known-zero pages.  ALLOC zeroes only the dirty pages: every
 * byte must read zero, and the run reports the other 256 known zero.
 */
TEST_F(pb, alloc_zeroes_dirty_pages_only)
{
	struct palloc_ioc_alloc a, b;
	size_t len = 512 * self->ps, bad;
	char *p;

	if (self->info.npages < 1024)
		return;
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_EQ(0, pb_alloc(self->fd, 256, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 256);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xa5, 256 * self->ps);
	ASSERT_EQ(0, munmap(p, 256 * self->ps));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 256));
	ASSERT_EQ(0, pb_alloc(self->fd, 512, 0, 0, &b));
	TH_LOG("dirty run at %#llx, the 512-page one at %#llx with %llu pages known zero",
	       (unsigned long long)a.offset, (unsigned long long)b.offset,
	       (unsigned long long)b.scavenged);
	if (b.offset == a.offset)
		EXPECT_EQ(256, b.scavenged);
	p = pb_map(self->fd, b.offset, 512);
	ASSERT_NE(MAP_FAILED, p);
	bad = pb_first_nonzero(p, len);
	EXPECT_EQ(len, bad) TH_LOG("byte %zu (page %zu) is %#x", bad, bad / (size_t)self->ps,
				   bad < len ? (unsigned char)p[bad] : 0);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, b.offset, 512));
}

/* Output fields are outputs: what they hold on input is ignored and overwritten. */
TEST_F(pb, output_fields_ignored_on_input)
{
	struct palloc_ioc_alloc a = {
		.npages = 2, .offset = 0x1234, .scavenged = 99, .phys = 0xdead000,
	};
	struct palloc_ioc_scavenge s = { .npages = 1, .released = 12345 };

	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_ALLOC, &a));
	EXPECT_EQ(0, a.offset % self->ps);
	EXPECT_LE(a.scavenged, 2);
	EXPECT_NE(0xdead000, a.phys);
	/* The same structure again, as a loop would reuse it. */
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_ALLOC, &a));
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_SCAVENGE, &s));
	EXPECT_LE(s.released, self->info.npages);
	EXPECT_NE(12345, s.released);
}

/* PALLOC_ALLOC_ZERO pages read zero, scavenged or not. */
TEST_F(pb, alloc_zero_flag)
{
	struct palloc_ioc_alloc a;
	size_t len = 64 * self->ps;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 64, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 64);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xee, len);
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 64));
	ASSERT_EQ(0, pb_alloc(self->fd, 64, 0, PALLOC_ALLOC_ZERO, &a));
	p = pb_map(self->fd, a.offset, 64);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(len, pb_first_nonzero(p, len));
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 64));
}

/* SCAVENGE releases free pages; released pages come back known zero. */
TEST_F(pb, scavenge)
{
	struct palloc_ioc_scavenge s = { .npages = 1024 };
	struct palloc_ioc_stats st, st2;
	struct palloc_ioc_alloc a;
	size_t len;
	char *p;

	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	/* Dirty some pages. */
	ASSERT_EQ(0, pb_alloc(self->fd, 256, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 256);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x11, 256 * self->ps);
	ASSERT_EQ(0, munmap(p, 256 * self->ps));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 256));

	ASSERT_EQ(0, pb_stats(self->fd, &st));
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_SCAVENGE, &s));
	ASSERT_EQ(0, pb_stats(self->fd, &st2));
	EXPECT_GE(st2.scavenge_runs, st.scavenge_runs + 1);
	EXPECT_GE(st2.pages_released, st.pages_released + s.released);
	EXPECT_EQ(0, s.reserved);
	EXPECT_TRUE(pb_stats_consistent(&st2));
	TH_LOG("released %llu of %llu dirty free pages", s.released,
	       st.pages_free - st.pages_scavenged);
	if (st.pages_free > st.pages_scavenged)
		EXPECT_LT(0, s.released);

	memset(&s, 0, sizeof(s));
	s.npages = 1ULL << 40;
	s.flags = PALLOC_SCAVENGE_FORCE;
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_SCAVENGE, &s));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	/* Forced and unlimited: every free page in the bitmaps is now zero. */
	EXPECT_EQ(st.pages_free, st.pages_scavenged);

	/* A large allocation now gets scavenged pages, which read zero. */
	ASSERT_EQ(0, pb_alloc(self->fd, 512, 512, 0, &a));
	EXPECT_EQ(512, a.scavenged);
	len = 512 * self->ps;
	p = pb_map(self->fd, a.offset, 512);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(len, pb_first_nonzero(p, len));
	ASSERT_EQ(0, munmap(p, len));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 512));
	EXPECT_TRUE(pb_check_ok());
}

/* The whole range in one run when nothing else is allocated; then ENOMEM. */
TEST_F(pb, whole_range)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a, b;
	char *p;

	ASSERT_EQ(0, self->base.pages_inuse) TH_LOG("pages in use before the test");
	/* Pages being scavenged are not free: keep the scavenger away. */
	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	ASSERT_EQ(0, pb_stats(self->fd, &self->base));
	ASSERT_EQ(0, pb_alloc(self->fd, self->info.npages, 0, 0, &a));
	EXPECT_EQ(0, a.offset);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->info.npages, st.pages_inuse);
	EXPECT_EQ(0, st.pages_free);
	EXPECT_EQ(0, st.largest_free);
	EXPECT_EQ(ENOMEM, pb_alloc(self->fd, 1, 0, 0, &b));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.alloc_failures + 1, st.alloc_failures);
	p = pb_map(self->fd, 0, self->info.npages);
	ASSERT_NE(MAP_FAILED, p);
	p[self->info.npages * self->ps - 1] = 1;
	ASSERT_EQ(0, munmap(p, self->info.npages * self->ps));
	ASSERT_EQ(0, pb_free(self->fd, 0, self->info.npages));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->info.npages, st.pages_free + st.pages_cached + st.pages_scavenging);
}

/* An alignment as large as the range is valid: the run starts at 0. */
TEST_F(pb, align_equal_to_range)
{
	struct palloc_ioc_alloc a;

	ASSERT_EQ(0, self->base.pages_inuse) TH_LOG("pages in use before the test");
	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	ASSERT_EQ(0, pb_alloc(self->fd, 1, self->info.npages, 0, &a));
	EXPECT_EQ(0, a.offset);
	EXPECT_EQ(ENOMEM, pb_alloc(self->fd, 1, self->info.npages, 0, &a));
	EXPECT_EQ(0, pb_free(self->fd, 0, 1));
}

/* 2 MiB aligned runs are 2 MiB aligned, physically too. */
TEST_F(pb, align_2mib)
{
	struct palloc_ioc_alloc a, b;

	ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &a));
	ASSERT_EQ(0, pb_alloc(self->fd, 512, 512, 0, &b));
	EXPECT_EQ(0, b.offset % (2 << 20));
	EXPECT_NE(0, b.phys);
	EXPECT_EQ(0, b.phys % (2 << 20)) TH_LOG("phys %#llx", b.phys);
	EXPECT_EQ(0, pb_free(self->fd, b.offset, 512));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 1));
}

/* Physical addresses with CAP_SYS_ADMIN: the range's, page by page. */
TEST_F(pb, phys_with_sys_admin)
{
	__u64 base = pb_env_u64("PB_BASE", 0);
	struct palloc_ioc_alloc a, b;

	ASSERT_EQ(0, pb_alloc(self->fd, 3, 0, 0, &a));
	ASSERT_EQ(0, pb_alloc(self->fd, 20, 0, 0, &b));
	EXPECT_NE(0, a.phys);
	EXPECT_NE(0, b.phys);
	EXPECT_EQ(0, a.phys % self->ps);
	/* One contiguous range: phys - offset is the range's base. */
	EXPECT_EQ(a.phys - a.offset, b.phys - b.offset);
	if (self->info.mode == PALLOC_MODE_RESERVED && base)
		EXPECT_EQ(base + a.offset, a.phys);
}

/*
 * Physical addresses are decided at open (finding 12): a file opened with
 * CAP_SYS_ADMIN keeps reporting them after the caller drops it (as a
 * privileged opener may hand its fd on); a file opened without it never
 * reports them.
 */
TEST_F(pb, phys_hidden_without_sys_admin)
{
	struct palloc_ioc_alloc a;
	int fd2;

	ASSERT_EQ(0, pb_alloc(self->fd, 2, 0, 0, &a));
	ASSERT_NE(0, a.phys);
	ASSERT_EQ(0, pb_drop_sys_admin()) TH_LOG("capset: %s", strerror(errno));
	ASSERT_EQ(0, pb_alloc(self->fd, 2, 0, 0, &a));
	EXPECT_NE(0, a.phys) TH_LOG("the opener's CAP_SYS_ADMIN was checked again per call");
	EXPECT_NE(0, a.npages);
	fd2 = pb_open();
	ASSERT_LE(0, fd2) TH_LOG("open without CAP_SYS_ADMIN: %s", strerror(errno));
	ASSERT_EQ(0, pb_alloc(fd2, 5, 0, 0, &a));
	EXPECT_EQ(0, a.phys);
	close(fd2);
}

/* An unprivileged user cannot open the device (mode 0600). */
TEST_F(pb, unprivileged_open)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setgid(1000) || setuid(1000))
			_exit(2);
		fd = open(PB_DEV, O_RDWR);
		if (fd >= 0)
			_exit(3);
		fd = open(PB_DEV, O_RDONLY);
		if (fd >= 0)
			_exit(4);
		_exit(errno == EACCES ? 0 : 5);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child: 2 setuid failed, 3/4 open succeeded, 5 errno not EACCES");
}

/* Two open files: B can neither free nor map A's run, and A's run is intact. */
TEST_F(pb, ownership_two_files)
{
	struct palloc_ioc_stats sa, sb, sa2;
	struct palloc_ioc_alloc a;
	int other;
	char *p;

	other = pb_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, pb_alloc(self->fd, 6, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 6);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x42, 6 * self->ps);
	ASSERT_EQ(0, munmap(p, 6 * self->ps));
	ASSERT_EQ(0, pb_stats(self->fd, &sa));

	EXPECT_EQ(EINVAL, pb_free(other, a.offset, 6));
	EXPECT_EQ(EINVAL, pb_free(other, a.offset + self->ps, 1));
	EXPECT_EQ(EACCES, pb_map_errno(other, a.offset, 6, MAP_SHARED));
	EXPECT_EQ(EACCES, pb_map_errno(other, a.offset + 2 * self->ps, 1, MAP_SHARED));
	ASSERT_EQ(0, pb_stats(other, &sb));
	EXPECT_EQ(0, sb.owned_pages);

	ASSERT_EQ(0, pb_stats(self->fd, &sa2));
	EXPECT_EQ(6, sa2.owned_pages);
	EXPECT_EQ(sa.pages_inuse, sa2.pages_inuse);
	EXPECT_EQ(sa.frees, sa2.frees);
	p = pb_map(self->fd, a.offset, 6);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0x42, p[6 * self->ps - 1]);
	ASSERT_EQ(0, munmap(p, 6 * self->ps));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 6));
	close(other);
}

/* The same across processes: a child with its own open file. */
TEST_F(pb, ownership_two_processes)
{
	struct palloc_ioc_stats sa, sa2;
	struct palloc_ioc_alloc a;
	int status;
	pid_t pid;

	ASSERT_EQ(0, pb_alloc(self->fd, 9, 0, 0, &a));
	ASSERT_EQ(0, pb_stats(self->fd, &sa));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = pb_open();

		close(self->fd);
		if (fd < 0)
			_exit(2);
		if (pb_free(fd, a.offset, 9) != EINVAL)
			_exit(3);
		if (pb_map_errno(fd, a.offset, 9, MAP_SHARED) != EACCES)
			_exit(4);
		if (pb_map_errno(fd, a.offset, 1, MAP_SHARED) != EACCES)
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x (3 free, 4/5 mmap not refused)", status);
	ASSERT_EQ(0, pb_stats(self->fd, &sa2));
	EXPECT_EQ(9, sa2.owned_pages);
	EXPECT_EQ(sa.frees, sa2.frees);
	EXPECT_EQ(sa.pages_inuse, sa2.pages_inuse);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 9));
}

/* Runs belong to the open file: a forked child sharing it may use them. */
TEST_F(pb, shared_file_across_fork)
{
	struct palloc_ioc_alloc a, b;
	struct palloc_ioc_stats st;
	int status;
	pid_t pid;

	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, 0, &a));
	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, 0, &b));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *p = pb_map(self->fd, a.offset, 4);

		if (p == MAP_FAILED)
			_exit(2);
		p[0] = 'c';
		munmap(p, 4 * pb_page_size());
		_exit(pb_free(self->fd, b.offset, 4) ? 3 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x", status);
	/* The child's exit released nothing: the file is still open here. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.owned_pages);
	EXPECT_EQ(EINVAL, pb_free(self->fd, b.offset, 4));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 4));
}

/* A child killed with SIGKILL while holding runs (one mapped) gives them all back. */
static void pb_child_dies(struct __test_metadata *_metadata, struct _test_data_pb *self, int sig)
{
	static const __u64 sizes[] = { 1, 5, 16, 100, 512, 1000 };
	struct palloc_ioc_stats st;
	__u64 total = 0, seen = 0;
	int pipefd[2], status;
	size_t k;
	pid_t pid;
	char c;

	for (k = 0; k < PB_ARRAY_SIZE(sizes); k++)
		total += sizes[k];
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct palloc_ioc_alloc a;
		int fd = pb_open();
		char *p;

		close(pipefd[0]);
		if (fd < 0)
			_exit(2);
		for (k = 0; k < PB_ARRAY_SIZE(sizes); k++)
			if (pb_alloc(fd, sizes[k], k == 4 ? 512 : 0, 0, &a))
				_exit(3);
		p = pb_map(fd, a.offset, a.npages);
		if (p == MAP_FAILED)
			_exit(4);
		memset(p, 0x77, a.npages * pb_page_size());
		if (write(pipefd[1], "r", 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1)) TH_LOG("child died before allocating");
	close(pipefd[0]);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.pages_inuse + total, st.pages_inuse);
	ASSERT_EQ(0, kill(pid, sig));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu after the child died, baseline %llu", seen,
		       self->base.pages_inuse);
	EXPECT_TRUE(pb_check_ok());
}

TEST_F(pb, sigkill_frees_everything)
{
	pb_child_dies(_metadata, self, SIGKILL);
}

TEST_F(pb, sigterm_frees_everything)
{
	pb_child_dies(_metadata, self, SIGTERM);
}

/* Many open files at once, each with runs, all closed: nothing leaks. */
TEST_F(pb, many_files)
{
	struct palloc_ioc_alloc a;
	__u64 seen = 0;
	int fds[32], k;

	for (k = 0; k < 32; k++) {
		fds[k] = pb_open();
		ASSERT_LE(0, fds[k]);
		ASSERT_EQ(0, pb_alloc(fds[k], k + 1, 0, 0, &a));
		ASSERT_EQ(0, pb_alloc(fds[k], 17, 0, 0, &a));
	}
	for (k = 0; k < 32; k += 2)
		close(fds[k]);
	for (k = 1; k < 32; k += 2)
		close(fds[k]);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen));
	EXPECT_TRUE(pb_check_ok());
}
