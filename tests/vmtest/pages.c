// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: struct pages: pins that outlive their run, io_uring, 2 MiB entries.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Struct pages: pins that outlive their run, io_uring, 2 MiB entries  */
/* ------------------------------------------------------------------ */

/* STATS until @st->quarantined is @want (pins end asynchronously): 0 or -1. */
static int pb_wait_quarantined(int fd, __u64 want, double secs, struct palloc_ioc_stats *st)
{
	double end = pb_now() + secs;

	do {
		if (pb_stats(fd, st))
			return -1;
		if (st->quarantined == want)
			return 0;
		pb_sleep_ms(10);
	} while (pb_now() < end);
	return -1;
}

#define PB_FILL_MAX	4096

/* Runs pb_fill_all() allocated, to check and free. */
struct pb_fill {
	unsigned int n;
	__u64 off[PB_FILL_MAX];
	__u64 npages[PB_FILL_MAX];
};

/*
 * Allocate every free page of the pool (largest free runs first, then
 * single pages out of the per-CPU caches) until ALLOC says ENOMEM: 0, or
 * the errno that stopped it otherwise.
 */
static int pb_fill_all(int fd, struct pb_fill *f)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	__u64 want;
	int ret;

	f->n = 0;
	while (f->n < PB_FILL_MAX) {
		ret = pb_stats(fd, &st);
		if (ret)
			return ret;
		want = st.largest_free > 1 ? st.largest_free : 1;
		ret = pb_alloc(fd, want, 0, 0, &a);
		if (ret == ENOMEM && want > 1)
			ret = pb_alloc(fd, 1, 0, 0, &a);
		if (ret == ENOMEM)
			return 0;
		if (ret)
			return ret;
		f->off[f->n] = a.offset;
		f->npages[f->n++] = a.npages;
	}
	return E2BIG;
}

/* Does a run of @f overlap [off, off + len) bytes? */
static bool pb_fill_overlaps(const struct pb_fill *f, __u64 off, __u64 len, __u64 ps)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (f->off[i] < off + len && off < f->off[i] + f->npages[i] * ps)
			return true;
	return false;
}

static void pb_fill_free(int fd, const struct pb_fill *f)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		pb_free(fd, f->off[i], f->npages[i]);
}

/*
 * A pin outlives its run.  Pages spliced into a pipe hold page references
 * (vmsplice() pins them with get_user_pages()); after munmap() and FREE the
 * run's other pages go back to the allocator at once, while the pinned ones
 * are quarantined: STATS and debugfs show them, no ALLOC hands them out
 * even when they are the only pages left, and the pipe's reader still gets
 * the bytes it was given.  When the pipe lets go, they go back to the
 * allocator and come out zeroed.  With PFN mappings vmsplice() fails
 * (EFAULT) and the run goes back whole.
 */
TEST_F(pb, pin_outlives_free)
{
	size_t len = 8 * self->ps, pin = 2 * self->ps;
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a, b;
	struct pb_fill *f;
	char want[128], *p, *q, *copy, *text;
	struct iovec iov;
	__u64 pin_off;
	int pfd[2];

	f = calloc(1, sizeof(*f));
	copy = malloc(pin);
	ASSERT_TRUE(f && copy);
	p = pb_run_setup(_metadata, self, 8, PB_F14_TAG, &a);
	pin_off = a.offset + 2 * self->ps;
	memcpy(copy, p + 2 * self->ps, pin);
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	iov = (struct iovec){ .iov_base = p + 2 * self->ps, .iov_len = pin };
	if (!pb_pages(self)) {
		errno = 0;
		EXPECT_EQ(-1, vmsplice(pfd[1], &iov, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		close(pfd[0]);
		close(pfd[1]);
		pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
		free(copy);
		free(f);
		return;
	}
	ASSERT_EQ((ssize_t)pin, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	/* debugfs counts the live run's pinned pages. */
	text = pb_read_debugfs("runs", NULL);
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want), "run offset 0x%llx pages 8 ", (unsigned long long)a.offset);
	q = strstr(text, want);
	ASSERT_NE(NULL, q) TH_LOG("no \"%s\" in runs:\n%s", want, text);
	q[strcspn(q, "\n")] = '\0';
	EXPECT_NE(NULL, strstr(q, " pinned 2")) TH_LOG("%s", q);
	free(text);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 8));

	/* Only the two pinned pages stay out of the allocator. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(2, st.pages_quarantined);
	EXPECT_EQ(1, st.quarantined);
	EXPECT_EQ(self->base.pages_inuse + 2, st.pages_inuse);
	text = pb_read_debugfs("runs", NULL);
	ASSERT_NE(NULL, text);
	snprintf(want, sizeof(want), "quarantined offset 0x%llx pages 2 ",
		 (unsigned long long)pin_off);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("no \"%s\" in runs:\n%s", want, text);
	free(text);

	/* Take every other page: none of the pinned ones is handed out. */
	ASSERT_EQ(0, pb_fill_all(self->fd, f));
	EXPECT_FALSE(pb_fill_overlaps(f, pin_off, pin, self->ps));
	EXPECT_EQ(ENOMEM, pb_alloc(self->fd, 1, 0, 0, &b));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.pages_free);
	EXPECT_EQ(1, st.quarantined);

	/* The pipe's reader gets what was spliced, unchanged. */
	q = malloc(pin);
	ASSERT_NE(NULL, q);
	EXPECT_EQ((ssize_t)pin, read(pfd[0], q, pin));
	EXPECT_EQ(0, memcmp(q, copy, pin));
	free(q);
	close(pfd[0]);
	close(pfd[1]);

	/* The pin is gone: the pages come back, and only they are free. */
	EXPECT_EQ(0, pb_wait_quarantined(self->fd, 0, 2, &st))
		TH_LOG("%llu ranges still quarantined", (unsigned long long)st.quarantined);
	EXPECT_EQ(0, st.pages_quarantined);
	EXPECT_EQ(2, st.pages_free);
	ASSERT_EQ(0, pb_alloc(self->fd, 2, 0, 0, &b));
	EXPECT_EQ(pin_off, b.offset);
	q = pb_map(self->fd, b.offset, 2);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(pin, pb_first_nonzero(q, pin)) TH_LOG("a pinned page came back dirty");
	munmap(q, pin);
	EXPECT_EQ(0, pb_free(self->fd, b.offset, 2));
	pb_fill_free(self->fd, f);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &st.pages_inuse));
	EXPECT_TRUE(pb_check_ok());
	free(copy);
	free(f);
}

/*
 * The process holding a pin is killed (SIGKILL) while its pages are
 * quarantined: its pipe goes with it, so do the pins, and the pages come
 * back zeroed.  The child maps the run itself (mappings are not inherited)
 * and splices one page of it into a pipe only it holds.
 */
TEST_F(pb, pin_holder_killed)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a, b;
	struct pb_fill *f;
	int up[2], status, err = -1;
	pid_t pid;
	char *p, *q;

	f = calloc(1, sizeof(*f));
	ASSERT_NE(NULL, f);
	p = pb_run_setup(_metadata, self, 1, PB_F14_TAG, &a);
	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct iovec iov;
		int pfd[2];
		char *c;

		close(up[0]);
		c = pb_map(self->fd, a.offset, 1);
		if (c == MAP_FAILED || pipe2(pfd, 0))
			_exit(2);
		iov = (struct iovec){ .iov_base = c, .iov_len = self->ps };
		err = vmsplice(pfd[1], &iov, 1, 0) == (ssize_t)self->ps ? 0 : errno;
		munmap(c, self->ps);
		if (write(up[1], &err, sizeof(err)) != sizeof(err))
			_exit(3);
		pause();
		_exit(0);
	}
	close(up[1]);
	ASSERT_EQ(sizeof(err), read(up[0], &err, sizeof(err)));
	close(up[0]);
	EXPECT_EQ(pb_pages(self) ? 0 : EFAULT, err) TH_LOG("child's vmsplice: %s", strerror(err));
	ASSERT_EQ(0, munmap(p, self->ps));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 1));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(pb_pages(self) ? 1 : 0, st.quarantined);
	EXPECT_EQ(0, pb_fill_all(self->fd, f));
	EXPECT_EQ(pb_pages(self), !pb_fill_overlaps(f, a.offset, self->ps, self->ps));

	EXPECT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_EQ(0, pb_wait_quarantined(self->fd, 0, 2, &st));
	if (pb_pages(self)) {
		/* The one free page is the one the killed process pinned. */
		ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &b));
		EXPECT_EQ(a.offset, b.offset);
		q = pb_map(self->fd, b.offset, 1);
		ASSERT_NE(MAP_FAILED, q);
		EXPECT_EQ(self->ps, pb_first_nonzero(q, self->ps));
		munmap(q, self->ps);
		EXPECT_EQ(0, pb_free(self->fd, b.offset, 1));
	}
	pb_fill_free(self->fd, f);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &st.pages_inuse));
	EXPECT_TRUE(pb_check_ok());
	free(f);
}

/* --- io_uring, without liburing: one SQE at a time --- */

struct pb_ring {
	int fd;
	void *sq, *cq;
	size_t sq_len, cq_len, sqes_len;
	struct io_uring_sqe *sqes;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

static int pb_ring_init(struct pb_ring *r)
{
	struct io_uring_params pa;

	memset(&pa, 0, sizeof(pa));
	r->fd = syscall(__NR_io_uring_setup, 4, &pa);
	if (r->fd < 0)
		return errno;
	r->sq_len = pa.sq_off.array + pa.sq_entries * sizeof(unsigned int);
	r->cq_len = pa.cq_off.cqes + pa.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = pa.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return errno;
	r->sq_tail = (unsigned int *)((char *)r->sq + pa.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq + pa.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq + pa.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq + pa.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq + pa.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq + pa.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq + pa.cq_off.cqes);
	return 0;
}

static void pb_ring_exit(struct pb_ring *r)
{
	munmap(r->sqes, r->sqes_len);
	munmap(r->cq, r->cq_len);
	munmap(r->sq, r->sq_len);
	close(r->fd);
}

/* One IORING_OP_READ or _WRITE, waited for: its result (bytes or -errno). */
static int pb_ring_rw(struct pb_ring *r, __u8 op, int fd, void *buf, __u32 len, __u64 off)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (__u64)(uintptr_t)buf;
	sqe->len = len;
	sqe->off = off;
	sqe->user_data = 0x10;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/*
 * io_uring IORING_OP_READ and IORING_OP_WRITE with O_DIRECT, into and out
 * of a mapping: with struct pages the data moves byte for byte; with PFN
 * mappings the request fails with -EFAULT and nothing moves.
 */
TEST_F(pb, io_uring_o_direct_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_loop lo;
	struct pb_ring r;
	void *buf;
	char *p;
	int err, res;

	err = pb_loop_setup(&lo);
	ASSERT_EQ(0, err) TH_LOG("loop device: %s", strerror(err));
	ASSERT_EQ(0, pb_ring_init(&r));
	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	ASSERT_EQ(0, posix_memalign(&buf, self->ps, len));

	/* The ring works here: into ordinary memory. */
	memset(buf, 0, len);
	EXPECT_EQ((int)len, pb_ring_rw(&r, IORING_OP_READ, lo.dev, buf, len, 0));
	EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_LOOP_SEED));

	res = pb_ring_rw(&r, IORING_OP_READ, lo.dev, p, len, 0);
	if (pb_pages(self)) {
		EXPECT_EQ((int)len, res) TH_LOG("read: %s", strerror(-res));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_LOOP_SEED));
		/* Out of the run, to another place on the device. */
		pb_pattern(p, len, PB_F14_TAG);
		res = pb_ring_rw(&r, IORING_OP_WRITE, lo.dev, p, len, 16 * self->ps);
		EXPECT_EQ((int)len, res) TH_LOG("write: %s", strerror(-res));
		memset(buf, 0, len);
		EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 16 * self->ps));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
	} else {
		EXPECT_EQ(-EFAULT, res);
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
		res = pb_ring_rw(&r, IORING_OP_WRITE, lo.dev, p, len, 16 * self->ps);
		EXPECT_EQ(-EFAULT, res);
	}
	pb_ring_exit(&r);
	free(buf);
	pb_loop_teardown(&lo);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* --- 2 MiB page-table entries --- */

#define PB_PMD		(2UL << 20)

static long pb_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Read one byte of every page of [p, p + len): the faults it takes. */
static long pb_touch(const char *p, size_t len, __u64 ps)
{
	long before = pb_minflt();
	size_t off;

	for (off = 0; off < len; off += ps)
		(void)__atomic_load_n(p + off, __ATOMIC_RELAXED);
	return pb_minflt() - before;
}

/* /dev/kmsg, read to its end: the next pb_kmsg_has() sees only new lines. */
static int pb_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Has the kernel logged a line containing @what since pb_kmsg_open()? */
static bool pb_kmsg_has(int fd, const char *what)
{
	char rec[2048];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, what))
			return true;
	}
	return false;
}

/*
 * A 2 MiB-aligned run of 1024 pages is mapped with PMDs: the mapping's
 * address is 2 MiB-congruent with the run's physical address
 * (get_unmapped_area), touching all 1024 pages takes 2 faults, and STATS
 * counts 2 PMD entries and no 4 KiB one.  The same run mapped after
 * MADV_NOHUGEPAGE, or at a MAP_FIXED address that is not 2 MiB aligned,
 * takes 1024 4 KiB faults.  GUP works through the PMDs (process_vm_readv,
 * vmsplice).  Without 2 MiB support (PFN mappings, grabbed RAM pages, no
 * THP) every mapping takes 4 KiB entries.
 */
TEST_F(pb, pmd_mapping)
{
	bool huge = self->info.features & PALLOC_FEATURE_HUGE;
	size_t len = 1024 * self->ps;
	struct palloc_ioc_stats s0, s1;
	struct palloc_ioc_alloc a;
	struct iovec local, remote;
	char *p, *q, *area, *buf, *text;
	unsigned char vec[1024];
	int pm, refs;
	long faults;
	__u64 e;

	ASSERT_EQ(0, pb_alloc(self->fd, 1024, 512, 0, &a));
	ASSERT_NE(0, a.phys);
	EXPECT_EQ(0, a.phys % PB_PMD);
	ASSERT_EQ(0, pb_stats(self->fd, &s0));
	p = pb_map(self->fd, a.offset, 1024);
	ASSERT_NE(MAP_FAILED, p);
	if (huge)
		EXPECT_EQ(0, ((uintptr_t)p - a.phys) % PB_PMD) TH_LOG("mapped at %p", p);
	faults = pb_touch(p, len, self->ps);
	ASSERT_EQ(0, pb_stats(self->fd, &s1));
	if (huge) {
		EXPECT_EQ(2, s1.faults_pmd - s0.faults_pmd);
		EXPECT_EQ(0, s1.faults_pte - s0.faults_pte);
		EXPECT_GE(4, faults) TH_LOG("%ld faults for 1024 pages", faults);
	} else {
		EXPECT_EQ(0, s1.faults_pmd - s0.faults_pmd);
		EXPECT_EQ(1024, s1.faults_pte - s0.faults_pte);
		EXPECT_LE(1024, faults);
	}
	pb_pattern(p, len, PB_F14_TAG);

	/* GUP through the PMDs: process_vm_readv() and vmsplice() of it. */
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	local = (struct iovec){ .iov_base = buf, .iov_len = len };
	remote = (struct iovec){ .iov_base = p, .iov_len = len };
	if (pb_pages(self)) {
		int pfd[2];

		EXPECT_EQ((ssize_t)len, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
		remote = (struct iovec){ .iov_base = p + 700 * self->ps, .iov_len = self->ps };
		EXPECT_EQ((ssize_t)self->ps, vmsplice(pfd[1], &remote, 1, 0));
		EXPECT_EQ((ssize_t)self->ps, read(pfd[0], buf, self->ps));
		EXPECT_EQ(0, memcmp(buf, p + 700 * self->ps, self->ps));
		close(pfd[0]);
		close(pfd[1]);
	}

	/*
	 * The kernel's page-table walkers over the PMDs: smaps, numa_maps,
	 * pagemap (present, frame numbers), mincore, clear_refs (young bits,
	 * and soft-dirty, which write-protects the PMDs: the next store
	 * faults through huge_fault again).  Nothing may change but that.
	 */
	text = pb_slurp("/proc/self/smaps");
	ASSERT_NE(NULL, text);
	free(text);
	free(pb_slurp("/proc/self/numa_maps"));
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pm);
	ASSERT_EQ(8, pread(pm, &e, 8, (off_t)((uintptr_t)(p + 513 * self->ps) / self->ps * 8)));
	close(pm);
	if (pb_pages(self)) {
		EXPECT_TRUE(e >> 63) TH_LOG("pagemap %#llx", (unsigned long long)e);
		EXPECT_EQ(a.phys / self->ps + 513, e & ((1ULL << 55) - 1));
	}
	EXPECT_EQ(0, mincore(p, len, vec));
	if (pb_pages(self)) {
		/* mincore() does not walk PFN maps: it looks in a page cache. */
		EXPECT_EQ(1, vec[0] & 1);
		EXPECT_EQ(1, vec[1023] & 1);
	}
	refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, refs);
	EXPECT_EQ(1, write(refs, "1", 1));
	EXPECT_EQ(1, write(refs, "4", 1)) TH_LOG("clear_refs 4: %s", strerror(errno));
	close(refs);
	p[600 * self->ps + 8] ^= 0x5a;
	p[600 * self->ps + 8] ^= 0x5a;
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));

	/* The same run with 4 KiB entries: MADV_NOHUGEPAGE before any access. */
	q = pb_map(self->fd, a.offset, 1024);
	ASSERT_NE(MAP_FAILED, q);
	/* A kernel without THP (PREEMPT_RT) knows no such advice: 4 KiB anyway. */
	if (!madvise(q, 0, MADV_NOHUGEPAGE))
		EXPECT_EQ(0, madvise(q, len, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, pb_stats(self->fd, &s0));
	faults = pb_touch(q, len, self->ps);
	ASSERT_EQ(0, pb_stats(self->fd, &s1));
	EXPECT_EQ(0, s1.faults_pmd - s0.faults_pmd);
	EXPECT_EQ(1024, s1.faults_pte - s0.faults_pte);
	EXPECT_LE(1024, faults);
	EXPECT_EQ(len, pb_pattern_diff(q, len, PB_F14_TAG));
	EXPECT_EQ(0, munmap(q, len));

	/* At an address 4 KiB off 2 MiB alignment: 4 KiB entries only. */
	area = mmap(NULL, len + 2 * PB_PMD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	q = (char *)(((uintptr_t)area + PB_PMD - 1) & ~(PB_PMD - 1)) + self->ps;
	q = mmap(q, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, self->fd,
		 (off_t)a.offset);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, pb_stats(self->fd, &s0));
	pb_touch(q, len, self->ps);
	ASSERT_EQ(0, pb_stats(self->fd, &s1));
	EXPECT_EQ(0, s1.faults_pmd - s0.faults_pmd);
	EXPECT_EQ(1024, s1.faults_pte - s0.faults_pte);
	EXPECT_EQ(len, pb_pattern_diff(q, len, PB_F14_TAG));
	munmap(area, len + 2 * PB_PMD);

	free(buf);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 1024));
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &s1.pages_inuse));
	EXPECT_TRUE(pb_check_ok());
}

/*
 * The uapi's rules hold over PMD entries: a partial munmap() keeps the rest
 * readable (the PMD is split and the rest refaults with 4 KiB entries) and
 * the run held; mprotect() of one page inside a PMD makes only that page
 * read-only; mremap() moves PMD-mapped memory intact; a forked child has no
 * mapping (SIGSEGV at its address); MADV_DONTNEED drops the entries and the
 * next access maps the same data.  The kernel logs nothing ("bad pmd" or
 * otherwise) for any of it, which is checked on /dev/kmsg.
 */
TEST_F(pb, pmd_munmap_mprotect_mremap_fork)
{
	size_t len = 1024 * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	char *p, *area, *dst;
	int kmsg, status;
	pid_t pid;
	size_t i;

	kmsg = pb_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, pb_alloc(self->fd, 1024, 512, 0, &a));
	p = pb_map(self->fd, a.offset, 1024);
	ASSERT_NE(MAP_FAILED, p);
	pb_pattern(p, len, PB_F14_TAG);

	/* mprotect() one page in the middle of the first PMD. */
	EXPECT_EQ(0, mprotect(p + 5 * self->ps, self->ps, PROT_READ));
	EXPECT_EQ(SIGSEGV, pb_probe(p + 5 * self->ps, 1, NULL));
	EXPECT_EQ(0, pb_probe(p + 6 * self->ps, (char)0xee, NULL));
	p[6 * self->ps] = (char)pb_tag(PB_F14_TAG, 6 * self->ps / 8);
	EXPECT_EQ(0, mprotect(p + 5 * self->ps, self->ps, PROT_READ | PROT_WRITE));

	/* A forked child has no mapping. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		_exit(pb_probe(p + 600 * self->ps, 0, &c) == SIGSEGV ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child %#x", status);

	/* MADV_DONTNEED over a PMD (struct pages only: EINVAL on PFN maps). */
	EXPECT_EQ(pb_pages(self) ? 0 : -1, madvise(p + PB_PMD, PB_PMD, MADV_DONTNEED));
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));

	/* mremap() the second 2 MiB to a 2 MiB-aligned place elsewhere. */
	area = mmap(NULL, 2 * PB_PMD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	dst = (char *)(((uintptr_t)area + PB_PMD - 1) & ~(PB_PMD - 1));
	EXPECT_EQ(dst, mremap(p + PB_PMD, PB_PMD, PB_PMD, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	for (i = 0; i < PB_PMD / 8; i += 509)
		EXPECT_EQ(pb_tag(PB_F14_TAG, PB_PMD / 8 + i), ((__u64 *)dst)[i]);

	/* Partial munmap() of the first page: the rest reads, the run held. */
	EXPECT_EQ(0, munmap(p, self->ps));
	for (i = self->ps / 8; i < PB_PMD / 8; i += 509)
		EXPECT_EQ(pb_tag(PB_F14_TAG, i), ((__u64 *)p)[i]);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 1024));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(1024, st.pages_held);
	EXPECT_EQ(0, munmap(p + self->ps, PB_PMD - self->ps));
	EXPECT_EQ(0, munmap(dst, PB_PMD));
	munmap(area, 2 * PB_PMD);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &st.pages_inuse));
	EXPECT_FALSE(pb_kmsg_has(kmsg, "bad pmd"));
	EXPECT_FALSE(pb_kmsg_has(kmsg, "BUG"));
	close(kmsg);
	EXPECT_TRUE(pb_check_ok());
}

/*
 * MADV_COLD and MADV_PAGEOUT over 2 MiB entries.  In 6.1 their page-table
 * walk does not know devmap PMDs (pmd_trans_huge() is false for them) and
 * pmd_trans_unstable() clears such an entry as "bad pmd", logged, without
 * a TLB flush: a kernel bug device-dax shares, fixed in 6.5 (pages.c).  What
 * the module guarantees: the advice succeeds, the data stays, the mapping
 * keeps working (the PMD faults back in), and when the mapping goes every
 * CPU's TLB is flushed before its runs do, so the pages come back to the
 * allocator and out of it zeroed.
 */
TEST_F(pb, pmd_madv_cold_pageout)
{
	size_t len = 512 * self->ps;
	struct palloc_ioc_stats s0, s1;
	struct palloc_ioc_alloc a;
	char *p, c = 0;
	int kmsg;

	kmsg = pb_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, pb_alloc(self->fd, 512, 512, 0, &a));
	p = pb_map(self->fd, a.offset, 512);
	ASSERT_NE(MAP_FAILED, p);
	pb_pattern(p, len, PB_F14_TAG);
	EXPECT_EQ(pb_pages(self) ? 0 : -1, madvise(p, len, MADV_COLD));
	EXPECT_EQ(pb_pages(self) ? 0 : -1, madvise(p, len, MADV_PAGEOUT));
	ASSERT_EQ(0, pb_stats(self->fd, &s0));
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
	ASSERT_EQ(0, pb_stats(self->fd, &s1));
	if (pb_kmsg_has(kmsg, "bad pmd"))
		TH_LOG("the kernel cleared the PMD (\"bad pmd\"): 6.1's MADV_COLD bug; "
		       "%llu PMD faults after it (0: the TLB still held it)",
		       (unsigned long long)(s1.faults_pmd - s0.faults_pmd));
	close(kmsg);
	/*
	 * After munmap() nothing may reach the run through a stale TLB entry:
	 * without the module's flush a cleared PMD's entry can survive
	 * (munmap() finds nothing to zap), and this load would still read the
	 * run.  One page is loaded into the TLB just before, nothing between.
	 */
	c = __atomic_load_n(p + 3 * self->ps, __ATOMIC_RELAXED);
	madvise(p, len, MADV_COLD);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(SIGSEGV, pb_probe(p + 3 * self->ps, 0, &c)) TH_LOG("read %#x after munmap", c);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 512));
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &s1.pages_inuse));
	ASSERT_EQ(0, pb_alloc(self->fd, 512, 512, 0, &a));
	p = pb_map(self->fd, a.offset, 512);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(len, pb_first_nonzero(p, len));
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 512));
	EXPECT_TRUE(pb_check_ok());
}

/*
 * Which memtypes does PAT's list hold over [start, end)?  Bit 0: an entry
 * of type @want covers all of it; bit 1: an entry of another type overlaps
 * it; bit 2: any entry overlaps it.
 */
static int pb_pat_over(const char *list, __u64 start, __u64 end, const char *want)
{
	const char *line = list;
	unsigned long long s, e;
	char type[32];
	int ret = 0;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %31s", &s, &e, type) != 3)
			continue;
		if (s >= end || e <= start)
			continue;
		ret |= 4;
		if (strcmp(type, want))
			ret |= 2;
		else if (s <= start && e >= end)
			ret |= 1;
	}
	return ret;
}

/*
 * Cache types against x86 PAT (/sys/kernel/debug/x86/pat_memtype_list).
 * Reserved mode: the range is reserved write-back (by memremap_pages() and
 * memremap()), and every mapping path (4 KiB and 2 MiB faults of the
 * device, a dma-buf's mmap()) looks that type up: after mapping and
 * touching runs through each, the list has a write-back entry covering
 * them and none of another type.  Grabbed mode: RAM's memtypes live in
 * the pages' flags, not in this list: no entry overlaps the runs, write-back
 * or write-combining (PALLOC_ALLOC_WC: set_memory_wc() on the direct map,
 * pgprot_writecombine() on the mapping).
 */
TEST_F(pb, pat_memtypes)
{
	struct pallocbits_buf db = { 0 };
	struct palloc_ioc_alloc a, b;
	char *list, *p, *q;
	void *d = NULL;
	int dfd, over;

	list = pb_pat_list();
	ASSERT_NE(NULL, list) TH_LOG("no /sys/kernel/debug/x86/pat_memtype_list");
	free(list);
	ASSERT_EQ(0, pb_alloc(self->fd, 512, 512, 0, &a));
	p = pb_map(self->fd, a.offset, 512);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x11, 512 * self->ps);
	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0,
			      self->info.mode == PALLOC_MODE_GRABBED ? PALLOC_ALLOC_WC : 0, &b));
	db.offset = b.offset;
	db.npages = 4;
	db.len = 4 * self->ps;
	dfd = pallocbits_export(self->fd, &db, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, dfd) TH_LOG("export: %s", strerror(-dfd));
	ASSERT_EQ(0, pallocbits_dmabuf_map(dfd, 4 * self->ps, PROT_READ | PROT_WRITE, &d));
	memset(d, 0x22, 4 * self->ps);
	q = pb_map(self->fd, b.offset, 4);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(0x22, q[3 * self->ps]);

	list = pb_pat_list();
	ASSERT_NE(NULL, list);
	over = pb_pat_over(list, a.phys, a.phys + 512 * self->ps, "write-back");
	if (self->info.mode == PALLOC_MODE_RESERVED) {
		EXPECT_EQ(1, over & 3) TH_LOG("PAT over the 2 MiB run: %#x", over);
		over = pb_pat_over(list, b.phys, b.phys + 4 * self->ps, "write-back");
		EXPECT_EQ(1, over & 3) TH_LOG("PAT over the dma-buf run: %#x", over);
	} else {
		EXPECT_EQ(0, over) TH_LOG("PAT over grabbed RAM: %#x", over);
		over = pb_pat_over(list, b.phys, b.phys + 4 * self->ps, "write-combining");
		EXPECT_EQ(0, over) TH_LOG("PAT over the WC run: %#x", over);
	}
	free(list);
	munmap(q, 4 * self->ps);
	munmap(d, 4 * self->ps);
	close(dfd);
	munmap(p, 512 * self->ps);
	EXPECT_EQ(0, pb_free(self->fd, b.offset, 4));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 512));
	EXPECT_TRUE(pb_check_ok());
}
