// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: the basic contract: ALLOC, FREE, mmap, ownership, INFO and STATS.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Functional tests                                                   */
/* ------------------------------------------------------------------ */

FIXTURE(pb)
{
	int fd;
	__u64 ps;
	struct palloc_ioc_info info;
	struct palloc_ioc_stats base;
	char goal[32];		/* set by pb_scavenger_pause(), restored at teardown */
};

FIXTURE_SETUP(pb)
{
	self->ps = pb_page_size();
	self->fd = pb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", PB_DEV, strerror(errno));
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, &self->info));
	ASSERT_EQ(0, pb_stats(self->fd, &self->base));
}

FIXTURE_TEARDOWN(pb)
{
	pb_scavenger_resume(self->goal);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Are mappings made of struct pages (INFO's PALLOC_FEATURE_PAGES), so that
 * what pins user pages (get_user_pages) works on them?  Otherwise they are
 * PFN mappings, which it refuses.
 */
static bool pb_pages(const struct _test_data_pb *self)
{
	return self->info.features & PALLOC_FEATURE_PAGES;
}

TEST_F(pb, info)
{
	const char *mode = pb_env_mode();
	__u64 size = pb_env_u64("PB_SIZE", 0);
	struct palloc_ioc_info *i = &self->info;
	struct stat sb;

	EXPECT_EQ(PALLOC_ABI_VERSION, i->abi_version);
	EXPECT_EQ(self->ps, i->page_size);
	EXPECT_NE(0, i->npages);
	if (size)
		EXPECT_EQ(size / self->ps, i->npages);
	EXPECT_TRUE(i->mode == PALLOC_MODE_RESERVED || i->mode == PALLOC_MODE_GRABBED);
	if (mode && !strcmp(mode, "reserved"))
		EXPECT_EQ(PALLOC_MODE_RESERVED, i->mode);
	if (mode && !strcmp(mode, "grabbed"))
		EXPECT_EQ(PALLOC_MODE_GRABBED, i->mode);
	EXPECT_EQ(PALLOC_ALLOC_FLAGS, i->alloc_flags);
	EXPECT_EQ(PALLOC_SCAVENGE_FLAGS, i->scavenge_flags);
	/* The mapping kind scripts/vmtest.sh and tests/init.sh expect here. */
	EXPECT_EQ(0, i->features & ~(PALLOC_FEATURE_PAGES | PALLOC_FEATURE_HUGE |
				     PALLOC_FEATURE_ELASTIC));
	EXPECT_EQ(!!getenv("PB_ELASTIC"), !!(i->features & PALLOC_FEATURE_ELASTIC));
	if (pb_env_maps()) {
		const char *want = pb_env_maps(), *got = "pfn";

		if (i->features & PALLOC_FEATURE_HUGE)
			got = "devmap";
		else if (i->features & PALLOC_FEATURE_PAGES)
			got = i->mode == PALLOC_MODE_GRABBED ? "ram" : "devmap-4k";
		EXPECT_STREQ(want, got);
	}
	/* 64 bytes of struct page per 4 KiB page (x86-64), or none. */
	EXPECT_EQ(i->features & PALLOC_FEATURE_PAGES ? i->npages * 64 : 0, i->memmap_bytes);

	/* STATS agrees, and adds up. */
	EXPECT_EQ(i->npages, self->base.npages);
	EXPECT_EQ(i->mode, self->base.mode);
	EXPECT_EQ(0, self->base.owned_pages);
	EXPECT_TRUE(pb_stats_consistent(&self->base));
	for (size_t k = 0; k < PB_ARRAY_SIZE(self->base.reserved); k++)
		EXPECT_EQ(0, self->base.reserved[k]);

	/* The node is a root-only character device. */
	ASSERT_EQ(0, stat(PB_DEV, &sb));
	EXPECT_TRUE(S_ISCHR(sb.st_mode));
	EXPECT_EQ(0600, sb.st_mode & 07777);
	EXPECT_EQ(0, sb.st_uid);
}

TEST_F(pb, debugfs_files)
{
	static const char * const keys[] = {
		"npages", "mode", "pages_total", "pages_inuse", "pages_free", "pages_scavenged",
		"pages_cached", "pages_scavenging", "largest_free", "allocs", "frees",
		"alloc_failures", "free_errors", "cache_allocs", "cache_frees", "pages_released",
		"scavenge_runs",
	};
	static const char * const skeys[] = {
		"goal_pages", "budget_percent", "runs", "released", "dirty_pages",
	};
	__u64 nchunks = (self->info.npages + PB_CHUNK_PAGES - 1) / PB_CHUNK_PAGES;
	unsigned int lines = 0;
	char *text, *p;
	size_t k;

	text = pb_read_debugfs("stats", NULL);
	ASSERT_NE(NULL, text) TH_LOG("cannot read %s/stats", PB_DEBUGFS);
	for (k = 0; k < PB_ARRAY_SIZE(keys); k++) {
		char key[64];

		snprintf(key, sizeof(key), "%s:", keys[k]);
		EXPECT_NE(NULL, strstr(text, key)) TH_LOG("stats lacks %s", keys[k]);
	}
	free(text);
	EXPECT_EQ(self->info.npages, pb_debugfs_value("stats", "npages"));
	EXPECT_EQ(self->info.npages, pb_debugfs_value("stats", "pages_total"));

	/* chunks: a header, then one line per chunk. */
	text = pb_read_debugfs("chunks", NULL);
	ASSERT_NE(NULL, text);
	for (p = text; *p; p++)
		lines += *p == '\n';
	EXPECT_EQ(nchunks + 1, lines);
	free(text);

	/* bitmap: one line per chunk, 8 + 8 words of 16 hex digits. */
	text = pb_read_debugfs("bitmap", NULL);
	ASSERT_NE(NULL, text);
	lines = 0;
	for (p = text; *p; p++)
		lines += *p == '\n';
	EXPECT_EQ(nchunks, lines);
	p = strchr(text, '\n');
	ASSERT_NE(NULL, p);
	EXPECT_LE(16 * 16, p - text);
	free(text);

	text = pb_read_debugfs("map", NULL);
	ASSERT_NE(NULL, text);
	EXPECT_LT(nchunks, strlen(text));
	free(text);

	text = pb_read_debugfs("scavenger", NULL);
	ASSERT_NE(NULL, text);
	for (k = 0; k < PB_ARRAY_SIZE(skeys); k++) {
		char key[64];

		snprintf(key, sizeof(key), "%s:", skeys[k]);
		EXPECT_NE(NULL, strstr(text, key)) TH_LOG("scavenger lacks %s", skeys[k]);
	}
	free(text);

	EXPECT_TRUE(pb_check_ok());
}

TEST_F(pb, scavenger_knobs)
{
	char *saved = pb_read_debugfs("scavenger", NULL);
	__u64 budget = pb_debugfs_value("scavenger", "budget_percent");
	char buf[64];

	ASSERT_NE(NULL, saved);
	EXPECT_EQ(0, pb_write_debugfs("scavenger", "goal_pages 100"));
	EXPECT_EQ(100, pb_debugfs_value("scavenger", "goal_pages"));
	EXPECT_EQ(0, pb_write_debugfs("scavenger", "goal_percent 50"));
	EXPECT_EQ(self->info.npages / 2, pb_debugfs_value("scavenger", "goal_pages"));
	EXPECT_EQ(0, pb_write_debugfs("scavenger", "budget_percent 5"));
	EXPECT_EQ(5, pb_debugfs_value("scavenger", "budget_percent"));
	EXPECT_EQ(EINVAL, pb_write_debugfs("scavenger", "budget_percent 0"));
	EXPECT_EQ(EINVAL, pb_write_debugfs("scavenger", "budget_percent 101"));
	EXPECT_EQ(EINVAL, pb_write_debugfs("scavenger", "goal_percent 101"));
	EXPECT_EQ(EINVAL, pb_write_debugfs("scavenger", "no_such_knob 1"));
	EXPECT_EQ(EINVAL, pb_write_debugfs("scavenger", "goal_pages"));
	EXPECT_NE(0, pb_write_debugfs("scavenger", "goal_pages x"));
	EXPECT_EQ(5, pb_debugfs_value("scavenger", "budget_percent"));

	/* Back to the module's defaults (goal 10 %, budget as it was). */
	EXPECT_EQ(0, pb_write_debugfs("scavenger", "goal_percent 10"));
	snprintf(buf, sizeof(buf), "budget_percent %llu", budget);
	EXPECT_EQ(0, pb_write_debugfs("scavenger", buf));
	free(saved);
}

/* alloc -> mmap -> write/read -> munmap -> free, for several shapes. */
TEST_F(pb, roundtrip)
{
	static const struct {
		__u64 npages, align, flags;
	} shapes[] = {
		{ 1, 0, 0 }, { 3, 1, 0 }, { 15, 0, 0 }, { 16, 0, 0 }, { 100, 4, 0 },
		{ 512, 512, 0 }, { 700, 0, PALLOC_ALLOC_ZERO }, { 64, 64, 0 },
	};
	struct palloc_ioc_stats st;
	size_t k;

	for (k = 0; k < PB_ARRAY_SIZE(shapes); k++) {
		__u64 n = shapes[k].npages, align = shapes[k].align;
		struct palloc_ioc_alloc a;
		size_t len = n * self->ps;
		__u64 *w, i;
		char *p;

		ASSERT_EQ(0, pb_alloc(self->fd, n, align, shapes[k].flags, &a))
			TH_LOG("alloc %llu pages align %llu", n, align);
		EXPECT_EQ(n, a.npages);
		EXPECT_EQ(0, a.offset % self->ps);
		EXPECT_LE(a.offset / self->ps + n, self->info.npages);
		if (align > 1)
			EXPECT_EQ(0, (a.offset / self->ps) % align);
		EXPECT_LE(a.scavenged, n);
		EXPECT_EQ(0, a.reserved[0]);
		EXPECT_EQ(0, a.reserved[1]);
		ASSERT_EQ(0, pb_stats(self->fd, &st));
		EXPECT_EQ(n, st.owned_pages);
		EXPECT_EQ(self->base.pages_inuse + n, st.pages_inuse);
		EXPECT_TRUE(pb_stats_consistent(&st));

		p = pb_map(self->fd, a.offset, n);
		ASSERT_NE(MAP_FAILED, p)
			TH_LOG("mmap %llu pages at %#llx: %s", n, a.offset, strerror(errno));
		EXPECT_EQ(len, pb_first_nonzero(p, len));
		w = (__u64 *)p;
		for (i = 0; i < len / 8; i++)
			w[i] = pb_tag(k, i);
		for (i = 0; i < len / 8; i++)
			if (w[i] != pb_tag(k, i))
				break;
		EXPECT_EQ(len / 8, i) TH_LOG("readback differs at word %llu", i);
		ASSERT_EQ(0, munmap(p, len));

		/* The data stays in the pages while they are owned. */
		p = pb_map(self->fd, a.offset, n);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(pb_tag(k, len / 8 - 1), ((__u64 *)p)[len / 8 - 1]);
		ASSERT_EQ(0, munmap(p, len));

		ASSERT_EQ(0, pb_free(self->fd, a.offset, n));
		ASSERT_EQ(0, pb_stats(self->fd, &st));
		EXPECT_EQ(0, st.owned_pages);
		EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
	}
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.allocs + PB_ARRAY_SIZE(shapes), st.allocs);
	EXPECT_EQ(self->base.frees + PB_ARRAY_SIZE(shapes), st.frees);
	EXPECT_EQ(self->base.free_errors, st.free_errors);
	EXPECT_TRUE(pb_check_ok());
}

/* Free any part of a run: the middle, then the two ends. */
TEST_F(pb, partial_free)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 40, 0, 0, &a));
	ASSERT_EQ(0, pb_free(self->fd, a.offset + 10 * self->ps, 20));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(20, st.owned_pages);
	/* The freed middle is no longer ours: it cannot be mapped or freed. */
	EXPECT_EQ(EACCES, pb_map_errno(self->fd, a.offset + 10 * self->ps, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_free(self->fd, a.offset + 15 * self->ps, 1));
	EXPECT_EQ(EINVAL, pb_free(self->fd, a.offset, 40));
	/* The ends still are. */
	p = pb_map(self->fd, a.offset + 30 * self->ps, 10);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, munmap(p, 10 * self->ps));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 10));
	ASSERT_EQ(0, pb_free(self->fd, a.offset + 30 * self->ps, 10));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
	EXPECT_TRUE(pb_check_ok());
}

/* Adjacent runs of one file can be freed with one FREE. */
TEST_F(pb, free_adjacent_runs)
{
	struct palloc_ioc_alloc a, b;
	struct palloc_ioc_stats st;

	ASSERT_EQ(0, pb_alloc(self->fd, 32, 0, 0, &a));
	ASSERT_EQ(0, pb_alloc(self->fd, 32, 0, 0, &b));
	if (b.offset != a.offset + 32 * self->ps) {
		/* First fit gave no neighbours: free separately, nothing to test. */
		TH_LOG("runs %#llx and %#llx are not adjacent", a.offset, b.offset);
		ASSERT_EQ(0, pb_free(self->fd, a.offset, 32));
		ASSERT_EQ(0, pb_free(self->fd, b.offset, 32));
		return;
	}
	ASSERT_EQ(0, pb_free(self->fd, a.offset + 16 * self->ps, 32));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(32, st.owned_pages);
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 16));
	ASSERT_EQ(0, pb_free(self->fd, b.offset + 16 * self->ps, 16));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
}

/* Any part of an owned run can be mapped ("a run, or any part of one"). */
TEST_F(pb, mmap_part_of_run)
{
	struct palloc_ioc_alloc a;
	char *whole, *part;

	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	whole = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, whole);
	part = pb_map(self->fd, a.offset + 2 * self->ps, 3);
	ASSERT_NE(MAP_FAILED, part) TH_LOG("mmap of pages 2..4 of a run: %s", strerror(errno));
	/* Both mappings show the same physical pages. */
	part[5] = 0x5a;
	EXPECT_EQ(0x5a, whole[2 * self->ps + 5]);
	whole[4 * self->ps + 7] = 0x3c;
	EXPECT_EQ(0x3c, part[2 * self->ps + 7]);
	ASSERT_EQ(0, munmap(whole, 8 * self->ps));
	/*
	 * Still mapped through part, which holds the whole run: no part of it
	 * can be cut off, not even the unmapped pages.
	 */
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 7));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset + 6 * self->ps, 2));
	ASSERT_EQ(0, munmap(part, 3 * self->ps));
	EXPECT_EQ(0, pb_free(self->fd, a.offset + 6 * self->ps, 2));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 6));
}

/*
 * FREE of a part of a mapped run is EBUSY; FREE of the whole run drops the
 * file's hold: the mapping keeps the run (and its data) until munmap(),
 * and only then do the pages go back.
 */
TEST_F(pb, free_while_mapped_drops_hold)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 4);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'x';
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset + 3 * self->ps, 1));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.owned_pages);
	EXPECT_EQ(0, st.pages_held);
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 4));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(4, st.pages_held);
	EXPECT_EQ(self->base.pages_inuse + 4, st.pages_inuse);
	/* No longer the file's: not again, not mapped again; the mapping works. */
	EXPECT_EQ(EINVAL, pb_free(self->fd, a.offset, 4));
	EXPECT_EQ(EACCES, pb_map_errno(self->fd, a.offset, 4, MAP_SHARED));
	EXPECT_EQ('x', p[0]);
	p[4 * self->ps - 1] = 'y';
	EXPECT_EQ('y', p[4 * self->ps - 1]);
	ASSERT_EQ(0, munmap(p, 4 * self->ps));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.pages_held);
	EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
}

/*
 * A VMA split by a partial munmap holds the whole run until all is
 * unmapped, even after FREE dropped the file's hold.
 */
TEST_F(pb, free_busy_split_vma)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 4);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + self->ps, self->ps));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 4));
	p[0] = 1;
	p[3 * self->ps] = 2;
	ASSERT_EQ(0, munmap(p, self->ps));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.pages_held);
	EXPECT_EQ(2, p[3 * self->ps]);
	ASSERT_EQ(0, munmap(p + 2 * self->ps, 2 * self->ps));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.pages_held);
	EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
}

/* mprotect() of the middle page splits the VMA in three; all of it stays busy. */
TEST_F(pb, free_busy_mprotect_split)
{
	struct palloc_ioc_alloc a;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 3, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 3);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + self->ps, self->ps, PROT_READ));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 2));
	ASSERT_EQ(0, munmap(p + self->ps, self->ps));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset + self->ps, 2));
	ASSERT_EQ(0, munmap(p, self->ps));
	ASSERT_EQ(0, munmap(p + 2 * self->ps, self->ps));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 3));
}

/* mremap() may move a mapping (it stays busy) but not grow it. */
TEST_F(pb, mremap_move_keeps_busy)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	char *p, *q, *target;

	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 4);
	ASSERT_NE(MAP_FAILED, p);
	p[len - 1] = 0x6d;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, MREMAP_MAYMOVE));
	target = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, target);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_EQ(target, q) TH_LOG("mremap move: %s", strerror(errno));
	EXPECT_EQ(0x6d, q[len - 1]);
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	ASSERT_EQ(0, munmap(q, len));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 4));
}

/* A mapping keeps the file, and so its runs, after close(). */
TEST_F(pb, mapping_outlives_close)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	__u64 seen = 0;
	int watcher;
	char *p;

	watcher = pb_open();
	ASSERT_LE(0, watcher);
	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xab, 8 * self->ps);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, pb_stats(watcher, &st));
	EXPECT_EQ(self->base.pages_inuse + 8, st.pages_inuse);
	EXPECT_EQ(0xab, (unsigned char)p[8 * self->ps - 1]);
	ASSERT_EQ(0, munmap(p, 8 * self->ps));
	EXPECT_EQ(0, pb_wait_inuse(watcher, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu, want %llu", seen, self->base.pages_inuse);
	close(watcher);
}

/* Mappings are not inherited: a child touching the address faults. */
TEST_F(pb, mapping_not_inherited)
{
	struct palloc_ioc_alloc a;
	char *p;
	int status;
	pid_t pid;

	ASSERT_EQ(0, pb_alloc(self->fd, 2, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 2);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 7;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		signal(SIGSEGV, SIG_DFL);
		_exit(p[0] == 7 ? 10 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("child status %#x: the mapping was inherited", status);
	EXPECT_EQ(7, p[0]);
	ASSERT_EQ(0, munmap(p, 2 * self->ps));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 2));
}

/*
 * Zero on reuse: a child dirties pages and frees them (and dies); the
 * parent allocates the same amount until it has covered the child's pages,
 * and every byte it is given reads zero.
 */
