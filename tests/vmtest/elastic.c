// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: the elastic pool: chunks back to the kernel, and back on demand.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* The elastic pool: chunks back to the kernel, and back on demand     */
/* ------------------------------------------------------------------ */

/*
 * Free memory as the kernel counts it, in pages: MemFree plus the per-CPU
 * free lists ("count:" lines of /proc/zoneinfo), which a module cannot
 * drain and which hold up to ~27 MiB with Debian's min_free_kbytes.
 */
static long long pb_kernel_free_pages(void)
{
	char *text = pb_slurp("/proc/meminfo"), *line;
	long long kb = -1, pcp = 0;

	if (!text)
		return -1;
	line = strstr(text, "MemFree:");
	if (line)
		kb = strtoll(line + strlen("MemFree:"), NULL, 10);
	free(text);
	text = pb_slurp("/proc/zoneinfo");
	if (!text)
		return -1;
	for (line = text; (line = strstr(line, "count:")); line += strlen("count:"))
		pcp += strtoll(line + strlen("count:"), NULL, 10);
	free(text);
	return kb < 0 ? -1 : kb * 1024 / (long long)pb_page_size() + pcp;
}

/* Scavenge every free page (forced): an elastic pool then hands back. */
static void pb_scavenge_all(int fd, __u64 npages)
{
	struct palloc_ioc_scavenge sc = { .npages = npages, .flags = PALLOC_SCAVENGE_FORCE };

	pb_ioctl(fd, PALLOC_IOC_SCAVENGE, &sc);
}

/*
 * An idle elastic pool shrinks to min_size after a scavenge, and the
 * kernel's free memory (MemFree plus per-CPU lists) rises by at least 90 %
 * of what it gave back; a whole-range ALLOC then grows the pool back (the
 * lowest chunks first), reads zero, and the kernel's free memory falls
 * again.  A fixed pool (no PB_ELASTIC) keeps every page: present stays the
 * range, nothing is returned.
 */
TEST_F(pb, elastic_shrink_grow)
{
	long long free0, free1, free2;
	double end;
	struct palloc_ioc_stats st0, st1, st2;
	struct palloc_ioc_alloc a;
	__u64 returned, grown;
	char *p;

	ASSERT_EQ(0, pb_stats(self->fd, &st0));
	if (!(self->info.features & PALLOC_FEATURE_ELASTIC)) {
		pb_scavenge_all(self->fd, self->info.npages);
		ASSERT_EQ(0, pb_stats(self->fd, &st1));
		EXPECT_EQ(self->info.npages, st1.pages_present);
		EXPECT_EQ(0, st1.pages_returned);
		EXPECT_EQ(0, st1.pages_grown);
		return;
	}
	free0 = pb_kernel_free_pages();
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_EQ(0, pb_stats(self->fd, &st1));
	free1 = pb_kernel_free_pages();
	returned = st1.pages_returned - st0.pages_returned;
	TH_LOG("present %llu -> %llu pages, returned %llu; kernel free %lld -> %lld pages (+%lld)",
	       (unsigned long long)st0.pages_present, (unsigned long long)st1.pages_present,
	       (unsigned long long)returned, free0, free1, free1 - free0);
	EXPECT_LT(st1.pages_present, self->info.npages);
	EXPECT_EQ(st0.pages_present - st1.pages_present + st1.pages_grown - st0.pages_grown,
		  returned);
	EXPECT_GE((free1 - free0) * 10, (long long)returned * 9);

	/* The whole range: grown back, zeroed. */
	ASSERT_EQ(0, pb_alloc(self->fd, self->info.npages, 0, 0, &a));
	ASSERT_EQ(0, pb_stats(self->fd, &st2));
	free2 = pb_kernel_free_pages();
	grown = st2.pages_grown - st1.pages_grown;
	TH_LOG("whole-range ALLOC grew %llu pages (%llu windows, %llu refused); free %lld -> %lld",
	       (unsigned long long)grown,
	       (unsigned long long)(st2.grow_attempts - st1.grow_attempts),
	       (unsigned long long)(st2.grow_failures - st1.grow_failures), free1, free2);
	EXPECT_EQ(self->info.npages, st2.pages_present);
	EXPECT_EQ(self->info.npages - st1.pages_present, grown);
	EXPECT_GE((free1 - free2) * 10, (long long)grown * 9);
	p = pb_map(self->fd, a.offset, a.npages);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(a.npages * self->ps, pb_first_nonzero(p, a.npages * self->ps));
	munmap(p, a.npages * self->ps);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));

	/*
	 * Grow ahead: shrunk again, an ALLOC that leaves less than half the
	 * headroom (the scavenger's goal, 10 % of the range) free makes the
	 * background worker take a chunk back with no allocation waiting.
	 */
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_EQ(0, pb_stats(self->fd, &st1));
	ASSERT_LT(self->info.npages / 20 + 64, st1.pages_present);
	ASSERT_EQ(0, pb_alloc(self->fd, st1.pages_present - self->info.npages / 20 + 64, 0, 0,
			      &a));
	end = pb_now() + 2;
	do {
		pb_sleep_ms(10);
		ASSERT_EQ(0, pb_stats(self->fd, &st2));
	} while (st2.pages_present <= st1.pages_present && pb_now() < end);
	TH_LOG("grow ahead: present %llu -> %llu pages with %llu free",
	       (unsigned long long)st1.pages_present, (unsigned long long)st2.pages_present,
	       (unsigned long long)st2.pages_free);
	EXPECT_LT(st1.pages_present, st2.pages_present);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	EXPECT_TRUE(pb_check_ok());
}

static int pb_cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* The ns= values of palloc_grow events in the trace, sorted: how many. */
static int pb_grow_latencies(const char *trace, __u64 *ns, int max)
{
	const char *l = trace;
	int n = 0;

	while (n < max && (l = strstr(l, "palloc_grow:"))) {
		const char *v = strstr(l, " ns="), *r = strstr(l, " ret=");

		l += strlen("palloc_grow:");
		if (!v || !r || strtol(r + 5, NULL, 10))
			continue;
		ns[n++] = strtoull(v + 4, NULL, 10);
	}
	qsort(ns, n, sizeof(*ns), pb_cmp_u64);
	return n;
}

#define PB_TRACE	"/sys/kernel/tracing"

/*
 * Fill pipes with @pages pages of data (unmovable kernel memory: pipe
 * buffers are GFP_HIGHUSER, never ZONE_MOVABLE), keeping both ends open
 * (a write with no reader open gets SIGPIPE).  Return: the pages filled.
 */
static long long pb_fill_pipes(long long pages)
{
	static char buf[1 << 20];
	struct rlimit rl = { .rlim_cur = 1 << 16, .rlim_max = 1 << 16 };
	long long done = 0;
	int p[2];
	ssize_t n;

	memset(buf, 0x5a, sizeof(buf));
	setrlimit(RLIMIT_NOFILE, &rl);
	while (done < pages) {
		if (pipe(p))
			break;
		if (fcntl(p[1], F_SETPIPE_SZ, (int)sizeof(buf)) < 0)
			break;
		n = write(p[1], buf, sizeof(buf));
		if (n <= 0)
			break;
		done += n / pb_page_size();
	}
	return done;
}

/*
 * A child that fills @pages pages with anonymous memory (@pipes false) or
 * pipe buffers (@pipes true), tells how many, and keeps them until killed.
 * Return: its pid, the count in *@got.
 */
static pid_t pb_hog(long long pages, bool pipes, long long *got)
{
	int up[2];
	pid_t pid;

	*got = 0;
	if (pipe2(up, O_CLOEXEC))
		return -1;
	pid = fork();
	if (!pid) {
		long long n = 0;
		size_t len = pages * pb_page_size(), off;
		char *m;

		if (pipes) {
			n = pb_fill_pipes(pages);
		} else {
			m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
			if (m == MAP_FAILED)
				_exit(2);
			for (off = 0; off < len; off += pb_page_size())
				m[off] = 1;
			n = pages;
		}
		if (write(up[1], &n, sizeof(n)) != sizeof(n))
			_exit(3);
		pause();
		_exit(0);
	}
	close(up[1]);
	if (pid > 0 && read(up[0], got, sizeof(*got)) != sizeof(*got))
		*got = -1;
	close(up[0]);
	return pid;
}

static void pb_unhog(pid_t pid)
{
	int status;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

/*
 * The verdict on a whole-range ALLOC (@ret) of an elastic pool under
 * pressure, @st0 and @st1 STATS around it: in ZONE_MOVABLE every page in the
 * way is movable, so the whole range must come back; in a normal zone an
 * unmovable page may have landed in a returned chunk, and then the kernel
 * refuses, which the pool must report as ENOMEM with the refusal counted and
 * its counters consistent.
 */
static void pb_expect_regrown(struct __test_metadata *_metadata, __u64 npages, bool movable,
			      int ret, const struct palloc_ioc_stats *st0,
			      const struct palloc_ioc_stats *st1)
{
	if (movable || !ret) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(npages, st1->pages_present);
	} else {
		EXPECT_EQ(ENOMEM, ret);
		EXPECT_LT(st0->grow_failures, st1->grow_failures);
		EXPECT_TRUE(pb_stats_consistent(st1));
	}
}

/*
 * The pressure gone (@what): a whole-range ALLOC again.  In ZONE_MOVABLE it
 * must succeed; in a normal zone an unmovable page the kernel put into a
 * returned chunk may outlive the pressure (the PREEMPT_RT run sees this):
 * then ENOMEM again, consistently.
 */
static void pb_regrow_after(struct __test_metadata *_metadata, int fd, __u64 npages, bool movable,
			    const char *what)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	int ret = pb_alloc(fd, npages, 0, 0, &a);

	TH_LOG("whole-range ALLOC %s: %s", what, ret ? strerror(ret) : "ok");
	EXPECT_TRUE(!ret || (ret == ENOMEM && !movable));
	if (!ret)
		EXPECT_EQ(0, pb_free(fd, a.offset, a.npages));
	ASSERT_EQ(0, pb_stats(fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	EXPECT_TRUE(pb_check_ok());
}

/*
 * Memory pressure, then regrowth.  After the pool shrank, a child fills
 * the kernel's free memory with anonymous pages (into the chunks given
 * back, among others) and keeps them; a whole-range ALLOC must then take
 * the chunks back by migrating those pages away.  The test reports the
 * grow latency per 2 MiB chunk (median, p99, from the palloc_grow
 * tracepoint) and the share of windows grown on the first try.
 */
TEST_F_TIMEOUT(pb, elastic_pressure, 120)
{
	bool movable = self->info.features & PALLOC_FEATURE_ELASTIC &&
		       !strcmp(getenv("PB_ELASTIC"), "movable");
	struct palloc_ioc_stats st0, st1;
	struct palloc_ioc_alloc a;
	long long want, got;
	int ret, n, fd;
	__u64 ns[512];
	char *trace;
	pid_t pid;

	if (!(self->info.features & PALLOC_FEATURE_ELASTIC)) {
		ASSERT_EQ(0, pb_stats(self->fd, &st0));
		EXPECT_EQ(0, st0.grow_attempts);
		return;
	}
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_EQ(0, pb_stats(self->fd, &st0));
	ASSERT_LT(st0.pages_present, self->info.npages);
	/* All but 128 MiB of the free memory, touched, kept. */
	want = pb_kernel_free_pages() - (128 << 20) / (long long)self->ps;
	ASSERT_LT(0, want);
	pid = pb_hog(want, false, &got);
	ASSERT_LT(0, pid);
	ASSERT_EQ(want, got);
	TH_LOG("a child holds %lld MiB of anonymous memory; kernel free now %lld pages",
	       got * (long long)self->ps >> 20, pb_kernel_free_pages());

	fd = open(PB_TRACE "/events/pallocbits/palloc_grow/enable", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		EXPECT_EQ(1, write(fd, "1", 1));
		close(fd);
	}
	fd = open(PB_TRACE "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	ret = pb_alloc(self->fd, self->info.npages, 0, 0, &a);
	fd = open(PB_TRACE "/events/pallocbits/palloc_grow/enable", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		EXPECT_EQ(1, write(fd, "0", 1));
		close(fd);
	}
	ASSERT_EQ(0, pb_stats(self->fd, &st1));
	trace = pb_slurp(PB_TRACE "/trace");
	n = trace ? pb_grow_latencies(trace, ns, PB_ARRAY_SIZE(ns)) : 0;
	free(trace);
	TH_LOG("whole-range ALLOC under pressure: %s; %llu pages grown, %llu windows, %llu refused",
	       ret ? strerror(ret) : "ok", (unsigned long long)(st1.pages_grown - st0.pages_grown),
	       (unsigned long long)(st1.grow_attempts - st0.grow_attempts),
	       (unsigned long long)(st1.grow_failures - st0.grow_failures));
	if (n)
		TH_LOG("grow latency per 2 MiB chunk (%d): median %llu, p99 %llu, max %llu us",
		       n, (unsigned long long)ns[n / 2] / 1000,
		       (unsigned long long)ns[(n * 99) / 100] / 1000,
		       (unsigned long long)ns[n - 1] / 1000);
	/* (Unmovable pages may be the child's page tables, or the kernel's.) */
	pb_expect_regrown(_metadata, self->info.npages, movable, ret, &st0, &st1);
	pb_unhog(pid);
	if (!ret)
		EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	pb_regrow_after(_metadata, self->fd, self->info.npages, movable, "without the pressure");
}

/*
 * Free pages above watermark @wm ("min" or "high"), from /proc/zoneinfo: of
 * every zone, or (@unmovable) of the zones an unmovable allocation may
 * use, all but ZONE_MOVABLE.
 */
static long long pb_free_above(const char *wm, bool unmovable)
{
	char *text = pb_slurp("/proc/zoneinfo"), *z, *next, *f, *h;
	long long n = 0;

	if (!text)
		return -1;
	for (z = strstr(text, ", zone"); z; z = next) {
		const char *name = z + strlen(", zone") + strspn(z + strlen(", zone"), " ");

		next = strstr(z + 1, ", zone");
		f = strstr(z, "pages free");
		h = f ? strstr(f, wm) : NULL;
		if (h && (!next || h < next) && (!unmovable || strncmp(name, "Movable", 7)))
			n += strtoll(f + strlen("pages free"), NULL, 10) -
			     strtoll(h + strlen(wm), NULL, 10);
	}
	free(text);
	return n;
}

/* The debugfs probe: run one, then read the value of @key from it. */
struct pb_probe {
	__u64 window_absent, window_taken, window_longest;
	__u64 zone_blocks, zone_taken, zone_longest, ms;
	char zone[16];
};

static __u64 pb_key(const char *text, const char *key)
{
	const char *v = strstr(text, key);

	return v ? strtoull(v + strlen(key), NULL, 10) : ~0ULL;
}

static int pb_run_probe(struct pb_probe *p)
{
	int fd = open(PB_DEBUGFS "/probe", O_WRONLY | O_CLOEXEC);
	char *text, *z;
	int ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, "1", 1) != 1)
		ret = errno;
	close(fd);
	text = ret ? NULL : pb_slurp(PB_DEBUGFS "/probe");
	if (!text)
		return ret ?: EIO;
	p->window_absent = pb_key(text, "window_absent: ");
	p->window_taken = pb_key(text, "window_taken: ");
	p->window_longest = pb_key(text, "window_longest: ");
	p->zone_blocks = pb_key(text, "zone_blocks: ");
	p->zone_taken = pb_key(text, "zone_taken: ");
	p->zone_longest = pb_key(text, "zone_longest: ");
	p->ms = pb_key(text, "probe_ms: ");
	z = strstr(text, "zone: ");
	snprintf(p->zone, sizeof(p->zone), "%.*s", z ? (int)strcspn(z + 6, "\n") : 1,
		 z ? z + 6 : "?");
	free(text);
	return 0;
}

static void pb_log_probe(struct __test_metadata *_metadata, const char *when,
			 const struct pb_probe *p)
{
	TH_LOG("%s: window %llu/%llu absent chunks (%llu adjacent), %s %llu/%llu (%llu), %llu ms",
	       when, (unsigned long long)p->window_taken, (unsigned long long)p->window_absent,
	       (unsigned long long)p->window_longest, p->zone, (unsigned long long)p->zone_taken,
	       (unsigned long long)p->zone_blocks, (unsigned long long)p->zone_longest,
	       (unsigned long long)p->ms);
}

/*
 * Unmovable allocations in the returned chunks, on purpose.  With the whole
 * pool allocated, child A fills all but 48 MiB above the high watermarks
 * with anonymous memory; the pool is freed and shrinks, so that the
 * returned chunks are most of the free memory; child B then fills the
 * free memory of every zone but ZONE_MOVABLE down to 12 MiB above the min
 * watermark with pipe buffers, unmovable kernel pages.  A goes; B keeps
 * its pipes.
 *
 * The debugfs probe measures, idle, under both children and under B alone,
 * how many of the window's absent chunks the kernel would give back, and
 * how many of the other 2 MiB blocks of the same zone: what a heap
 * spanning the zone would find.  In ZONE_MOVABLE the pipes cannot land in
 * the chunks: every chunk must come back and the whole range must grow.
 * In a normal zone the kernel may refuse (ENOMEM, consistently).  A probe
 * changes nothing in the pool.
 */
/* Chunks of the pool handed back now. */
static __u64 pb_absent_chunks(int fd, __u64 npages)
{
	struct palloc_ioc_stats st;

	return pb_stats(fd, &st) ? ~0ULL : (npages - st.pages_present) / 512;
}

/*
 * A probe, logged.  The background scavenger may hand chunks back during
 * it, and nothing grows them (nothing allocates): the chunks it saw absent
 * lie between the counts before and after it.  It grows nothing itself.
 */
static int pb_probe_checked(struct __test_metadata *_metadata, int fd, __u64 npages,
			    const char *when, struct pb_probe *p)
{
	struct palloc_ioc_stats st0, st1;
	__u64 before = pb_absent_chunks(fd, npages), after;
	int ret;

	if (pb_stats(fd, &st0))
		return errno;
	ret = pb_run_probe(p);
	if (ret || pb_stats(fd, &st1))
		return ret ?: errno;
	after = pb_absent_chunks(fd, npages);
	pb_log_probe(_metadata, when, p);
	EXPECT_LE(before, p->window_absent);
	EXPECT_GE(after, p->window_absent);
	EXPECT_GE(p->window_absent, p->window_taken);
	EXPECT_GE(p->zone_blocks, p->zone_taken);
	EXPECT_LT(0, p->zone_blocks);
	EXPECT_EQ(st0.pages_grown, st1.pages_grown);
	return 0;
}

TEST_F_TIMEOUT(pb, elastic_unmovable, 300)
{
	struct palloc_ioc_stats st0, st1;
	struct palloc_ioc_alloc a;
	struct pb_probe idle, both, pipes;
	long long want, got, anon_got;
	pid_t anon, pip;
	__u64 absent;
	bool movable;
	int ret;

	if (!(self->info.features & PALLOC_FEATURE_ELASTIC)) {
		/* A fixed pool has no probe. */
		EXPECT_NE(0, access(PB_DEBUGFS "/probe", F_OK));
		return;
	}
	movable = !strcmp(getenv("PB_ELASTIC"), "movable");
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_LT(0, pb_absent_chunks(self->fd, self->info.npages));
	ASSERT_EQ(0, pb_probe_checked(_metadata, self->fd, self->info.npages, "idle", &idle));
	if (movable)
		EXPECT_EQ(idle.window_absent, idle.window_taken);

	/* A: anonymous memory everywhere but where the pool is. */
	ASSERT_EQ(0, pb_alloc(self->fd, self->info.npages, 0, 0, &a));
	want = pb_free_above("high ", false) - (48 << 20) / (long long)self->ps;
	ASSERT_LT(0, want);
	anon = pb_hog(want, false, &anon_got);
	ASSERT_LT(0, anon);
	EXPECT_EQ(want, anon_got);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_EQ(0, pb_stats(self->fd, &st0));
	absent = (self->info.npages - st0.pages_present) / 512;

	/* B: pipe buffers, into whatever is free, the returned chunks first. */
	want = pb_free_above("min ", true) - (12 << 20) / (long long)self->ps;
	pip = want > 0 ? pb_hog(want, true, &got) : -1;
	TH_LOG("A: %lld MiB anon; %llu chunks out; B: %lld MiB pipes (of %lld); %lld MiB left",
	       anon_got * (long long)self->ps >> 20, (unsigned long long)absent,
	       got * (long long)self->ps >> 20, want * (long long)self->ps >> 20,
	       pb_free_above("high ", false) * (long long)self->ps >> 20);
	EXPECT_LT(0, pip);
	EXPECT_GE(got * 10, want * 9);
	ASSERT_EQ(0, pb_probe_checked(_metadata, self->fd, self->info.npages,
				      "anonymous and unmovable pressure", &both));
	pb_unhog(anon);
	ASSERT_EQ(0, pb_probe_checked(_metadata, self->fd, self->info.npages,
				      "unmovable pressure alone", &pipes));
	if (movable)
		EXPECT_EQ(pipes.window_absent, pipes.window_taken);

	ASSERT_EQ(0, pb_stats(self->fd, &st0));
	absent = (self->info.npages - st0.pages_present) / 512;
	ret = pb_alloc(self->fd, self->info.npages, 0, 0, &a);
	ASSERT_EQ(0, pb_stats(self->fd, &st1));
	TH_LOG("whole-range ALLOC, pipes held: %s; %llu of %llu chunks grown, %llu refused",
	       ret ? strerror(ret) : "ok",
	       (unsigned long long)(st1.pages_grown - st0.pages_grown) / 512,
	       (unsigned long long)absent,
	       (unsigned long long)(st1.grow_failures - st0.grow_failures));
	pb_expect_regrown(_metadata, self->info.npages, movable, ret, &st0, &st1);
	if (!ret)
		EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	pb_unhog(pip);

	pb_regrow_after(_metadata, self->fd, self->info.npages, movable, "after the pipes closed");
}

/*
 * STATS under ABI 2's number returns ABI 2's structure: the first 20
 * fields, nothing written past them.
 */
TEST_F(pb, stats_abi2)
{
	unsigned char buf[sizeof(struct palloc_ioc_stats) + 8];
	struct palloc_ioc_stats st;
	size_t i;

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_STATS_V2, buf));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, memcmp(buf, &st, offsetof(struct palloc_ioc_stats, pages_inuse)));
	for (i = PALLOC_STATS_V2_SIZE; i < sizeof(buf); i++)
		EXPECT_EQ(0xa5, buf[i]) TH_LOG("byte %zu written", i);
	EXPECT_EQ(20 * 8, PALLOC_STATS_V2_SIZE);
	EXPECT_NE(PALLOC_IOC_STATS, PALLOC_IOC_STATS_V2);
}
