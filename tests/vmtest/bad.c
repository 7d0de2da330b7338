// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: bad input: one invalid request per test, and nothing changes.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Bad input: one invalid request per test, and nothing changes       */
/* ------------------------------------------------------------------ */

FIXTURE(bad)
{
	int fd;			/* the file under test */
	int other;		/* another open file */
	__u64 ps, npages;
	struct palloc_ioc_info info;
	__u64 pad_off;		/* a run of other, allocated first */
	__u64 own_off, own_n;	/* a run fd owns */
	__u64 other_off, other_n;	/* a run other owns */
	__u64 free_off;		/* a page nobody owns */
	char *guard;		/* an inaccessible (PROT_NONE) page */
	char *ro;		/* a read-only page */
	char goal[32];		/* the scavenger goal to restore */
	struct palloc_ioc_stats before, other_before;
	__u64 digest, alloc_digest;
};

/* Snapshot the state every bad test compares against. */
static void pb_snapshot(struct __test_metadata *_metadata, struct _test_data_bad *self)
{
	ASSERT_EQ(0, pb_quiesce(self->fd, 5)) TH_LOG("the scavenger does not settle");
	ASSERT_EQ(0, pb_stats(self->fd, &self->before));
	ASSERT_EQ(0, pb_stats(self->other, &self->other_before));
	ASSERT_EQ(0, pb_bitmap_digest(false, &self->digest));
	ASSERT_EQ(0, pb_bitmap_digest(true, &self->alloc_digest));
}

FIXTURE_SETUP(bad)
{
	struct palloc_ioc_alloc a;
	char *page;

	self->fd = -1;
	self->other = -1;
	self->ps = pb_page_size();
	self->fd = pb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", PB_DEV, strerror(errno));
	self->other = pb_open();
	ASSERT_LE(0, self->other);
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, &self->info));
	self->npages = self->info.npages;

	/*
	 * 16 pages and more come from the bitmaps first fit, not from a
	 * per-CPU cache: the own run lies above the pad, so own_off > 0.
	 */
	ASSERT_EQ(0, pb_alloc(self->other, 16, 0, 0, &a));
	self->pad_off = a.offset;
	ASSERT_EQ(0, pb_alloc(self->fd, 16, 0, 0, &a));
	self->own_off = a.offset;
	self->own_n = 16;
	ASSERT_EQ(0, pb_alloc(self->other, 16, 0, 0, &a));
	self->other_off = a.offset;
	self->other_n = 16;
	ASSERT_LT(self->pad_off, self->own_off);
	/* First fit keeps the top of the range free. */
	self->free_off = (self->npages - 1) * self->ps;

	/*
	 * A writable page followed by an inaccessible one, for structures
	 * straddling the two.  (Not a hole: a later mmap() could fill it.)
	 */
	page = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, mprotect(page + self->ps, self->ps, PROT_NONE));
	self->guard = page + self->ps;
	self->ro = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, self->ro);

	/* Pause the background scavenger so that nothing moves. */
	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	pb_snapshot(_metadata, self);
}

FIXTURE_TEARDOWN(bad)
{
	pb_scavenger_resume(self->goal);
	if (self->other >= 0)
		close(self->other);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * The state is what pb_snapshot() saw: every STATS field of both files and
 * the bitmap digest, except what @allow permits (PB_ALLOW_*).
 */
static void pb_expect_unchanged(struct __test_metadata *_metadata, struct _test_data_bad *self,
				unsigned int allow)
{
	struct palloc_ioc_stats now, other_now;
	__u64 digest, alloc_digest;
	size_t i;

	ASSERT_EQ(0, pb_quiesce(self->fd, 5));
	ASSERT_EQ(0, pb_stats(self->fd, &now));
	ASSERT_EQ(0, pb_stats(self->other, &other_now));
	for (i = 0; i < PB_ARRAY_SIZE(pb_stat_fields); i++) {
		__u64 was = pb_stat(&self->before, i), is = pb_stat(&now, i);
		bool ok = was == is;

		if (pb_is_field(i, offsetof(struct palloc_ioc_stats, free_errors)) &&
		    allow & PB_ALLOW_FREE_ERROR)
			ok = is == was + 1;
		if (pb_is_field(i, offsetof(struct palloc_ioc_stats, alloc_failures)) &&
		    allow & PB_ALLOW_ALLOC_FAILURE)
			ok = is == was + 1;
		if (allow & PB_ALLOW_ROLLBACK) {
			if (pb_is_field(i, offsetof(struct palloc_ioc_stats, allocs)) ||
			    pb_is_field(i, offsetof(struct palloc_ioc_stats, frees)))
				ok = is == was + 1;
			if (pb_is_field(i, offsetof(struct palloc_ioc_stats, pages_scavenged)))
				ok = is <= was;
		}
		EXPECT_TRUE(ok) TH_LOG("stats %s changed: %llu -> %llu", pb_stat_fields[i].name,
				       was, is);
	}
	EXPECT_EQ(self->other_before.owned_pages, other_now.owned_pages);
	ASSERT_EQ(0, pb_bitmap_digest(true, &alloc_digest));
	EXPECT_EQ(self->alloc_digest, alloc_digest) TH_LOG("allocation bitmap changed");
	if (!(allow & PB_ALLOW_ROLLBACK)) {
		ASSERT_EQ(0, pb_bitmap_digest(false, &digest));
		EXPECT_EQ(self->digest, digest) TH_LOG("debugfs bitmap changed");
	}
	EXPECT_TRUE(pb_check_ok());
}

static void pb_bad_alloc(struct __test_metadata *_metadata, struct _test_data_bad *self,
			 struct palloc_ioc_alloc *a, int err)
{
	int ret = pb_ioctl(self->fd, PALLOC_IOC_ALLOC, a);

	EXPECT_EQ(err, ret) TH_LOG("ALLOC npages %llu align %llu flags %#llx: %s, want %s",
				   a->npages, a->align, a->flags, strerror(ret), strerror(err));
	if (!ret)
		pb_free(self->fd, a->offset, a->npages);
	pb_expect_unchanged(_metadata, self, err == ENOMEM ? PB_ALLOW_ALLOC_FAILURE : 0);
}

static void pb_bad_alloc_args(struct __test_metadata *_metadata, struct _test_data_bad *self,
			      __u64 npages, __u64 align, __u64 flags)
{
	struct palloc_ioc_alloc a = { .npages = npages, .align = align, .flags = flags };

	pb_bad_alloc(_metadata, self, &a, EINVAL);
}

static void pb_bad_free(struct __test_metadata *_metadata, struct _test_data_bad *self,
			struct palloc_ioc_free *f, int err)
{
	int ret = pb_ioctl(self->fd, PALLOC_IOC_FREE, f);

	EXPECT_EQ(err, ret) TH_LOG("FREE offset %#llx npages %llu flags %#llx: %s, want %s",
				   f->offset, f->npages, f->flags, strerror(ret), strerror(err));
	pb_expect_unchanged(_metadata, self, PB_ALLOW_FREE_ERROR);
}

static void pb_bad_free_args(struct __test_metadata *_metadata, struct _test_data_bad *self,
			     __u64 offset, __u64 npages)
{
	struct palloc_ioc_free f = { .offset = offset, .npages = npages };

	pb_bad_free(_metadata, self, &f, EINVAL);
}

static void pb_bad_scavenge(struct __test_metadata *_metadata, struct _test_data_bad *self,
			    struct palloc_ioc_scavenge *s, int err)
{
	int ret = pb_ioctl(self->fd, PALLOC_IOC_SCAVENGE, s);

	EXPECT_EQ(err, ret) TH_LOG("SCAVENGE npages %llu flags %#llx: %s, want %s", s->npages,
				   s->flags, strerror(ret), strerror(err));
	pb_expect_unchanged(_metadata, self, 0);
}

/* An ioctl on a bad pointer (or a bad command): @err, and nothing changes. */
static void pb_bad_cmd(struct __test_metadata *_metadata, struct _test_data_bad *self,
		       unsigned long cmd, void *arg, int err)
{
	int ret = pb_ioctl(self->fd, cmd, arg);

	EXPECT_EQ(err, ret) TH_LOG("ioctl %#lx arg %p: %s, want %s", cmd, arg, strerror(ret),
				   strerror(err));
	pb_expect_unchanged(_metadata, self, cmd == PALLOC_IOC_FREE ? PB_ALLOW_FREE_ERROR : 0);
}

static void pb_bad_mmap(struct __test_metadata *_metadata, struct _test_data_bad *self,
			__u64 offset, __u64 npages, int flags, int err)
{
	int ret = pb_map_errno(self->fd, offset, npages, flags);

	EXPECT_EQ(err, ret) TH_LOG("mmap offset %#llx npages %llu: %s, want %s", offset, npages,
				   strerror(ret), strerror(err));
	pb_expect_unchanged(_metadata, self, 0);
	/* A refused mmap leaves no mapping behind: the own run is not busy. */
	EXPECT_EQ(0, pb_free(self->fd, self->own_off, self->own_n));
}

/*
 * An address with nothing mapped: the guard page, unmapped just now, with
 * no mmap() before the ioctl that uses it.
 */
static void *pb_unmapped(struct __test_metadata *_metadata, struct _test_data_bad *self)
{
	EXPECT_EQ(0, munmap(self->guard, self->ps));
	return self->guard;
}

/* --- ALLOC --- */

TEST_F(bad, alloc_npages_zero)
{
	pb_bad_alloc_args(_metadata, self, 0, 0, 0);
}

TEST_F(bad, alloc_npages_u64_max)
{
	pb_bad_alloc_args(_metadata, self, ~0ULL, 0, 0);
}

TEST_F(bad, alloc_npages_2_pow_63)
{
	pb_bad_alloc_args(_metadata, self, 1ULL << 63, 0, 0);
}

TEST_F(bad, alloc_npages_bytes_overflow)
{
	/* npages * 4096 wraps to 0 */
	pb_bad_alloc_args(_metadata, self, 1ULL << 52, 0, 0);
}

TEST_F(bad, alloc_npages_range_plus_one)
{
	pb_bad_alloc_args(_metadata, self, self->npages + 1, 0, 0);
}

TEST_F(bad, alloc_align_3)
{
	pb_bad_alloc_args(_metadata, self, 1, 3, 0);
}

TEST_F(bad, alloc_align_not_power_of_two)
{
	pb_bad_alloc_args(_metadata, self, 16, 768, 0);
}

TEST_F(bad, alloc_align_u64_max)
{
	pb_bad_alloc_args(_metadata, self, 1, ~0ULL, 0);
}

TEST_F(bad, alloc_align_beyond_range)
{
	__u64 align = 1;

	while (align <= self->npages)
		align <<= 1;
	pb_bad_alloc_args(_metadata, self, 1, align, 0);
}

TEST_F(bad, alloc_align_2_pow_63)
{
	pb_bad_alloc_args(_metadata, self, 1, 1ULL << 63, 0);
}

/*
 * Bit 1 is PALLOC_ALLOC_WC: refused in reserved mode (PAT), and nothing
 * changes; in grabbed mode a WC run (pb.wc_run tests it further).
 */
TEST_F(bad, alloc_flags_bit1_wc)
{
	struct palloc_ioc_alloc a = { .npages = 1, .flags = PALLOC_ALLOC_WC };
	struct palloc_ioc_info info;

	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, &info));
	if (info.mode == PALLOC_MODE_RESERVED) {
		pb_bad_alloc(_metadata, self, &a, EOPNOTSUPP);
		return;
	}
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_ALLOC, &a));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 1));
}

TEST_F(bad, alloc_flags_bit2)
{
	pb_bad_alloc_args(_metadata, self, 1, 0, 1ULL << 2);
}

TEST_F(bad, alloc_flags_bit31)
{
	pb_bad_alloc_args(_metadata, self, 1, 0, 1ULL << 31);
}

TEST_F(bad, alloc_flags_bit32)
{
	pb_bad_alloc_args(_metadata, self, 1, 0, 1ULL << 32);
}

TEST_F(bad, alloc_flags_bit63)
{
	pb_bad_alloc_args(_metadata, self, 1, 0, 1ULL << 63);
}

TEST_F(bad, alloc_flags_all)
{
	pb_bad_alloc_args(_metadata, self, 1, 0, ~0ULL);
}

TEST_F(bad, alloc_reserved0)
{
	struct palloc_ioc_alloc a = { .npages = 1, .reserved = { 1, 0 } };

	pb_bad_alloc(_metadata, self, &a, EINVAL);
}

TEST_F(bad, alloc_reserved1)
{
	struct palloc_ioc_alloc a = { .npages = 1, .reserved = { 0, 1ULL << 63 } };

	pb_bad_alloc(_metadata, self, &a, EINVAL);
}

TEST_F(bad, alloc_no_room)
{
	struct palloc_ioc_alloc a = { .npages = self->npages };

	/* The first failure flushes the per-CPU caches; the second is clean. */
	ASSERT_EQ(ENOMEM, pb_ioctl(self->fd, PALLOC_IOC_ALLOC, &a));
	pb_snapshot(_metadata, self);
	memset(&a, 0, sizeof(a));
	a.npages = self->npages;
	pb_bad_alloc(_metadata, self, &a, ENOMEM);
}

TEST_F(bad, alloc_ptr_null)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_ALLOC, NULL, EFAULT);
}

TEST_F(bad, alloc_ptr_1)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_ALLOC, (void *)1, EFAULT);
}

TEST_F(bad, alloc_ptr_unmapped)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_ALLOC, pb_unmapped(_metadata, self), EFAULT);
}

TEST_F(bad, alloc_ptr_kernel)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_ALLOC, (void *)0xffffffff81000000UL, EFAULT);
}

TEST_F(bad, alloc_ptr_straddles_guard)
{
	struct palloc_ioc_alloc *a = (void *)(self->guard - 16);

	/* npages and align are readable, the rest is not. */
	a->npages = 1;
	a->align = 0;
	pb_bad_cmd(_metadata, self, PALLOC_IOC_ALLOC, a, EFAULT);
}

/* The request reads fine but the result cannot be written: EFAULT, nothing kept. */
TEST_F(bad, alloc_ptr_read_only)
{
	struct palloc_ioc_alloc *a = (void *)self->ro;
	int ret;

	/* 16 pages: above the per-CPU cache size, so the bitmap round trip is exact. */
	memset(a, 0, sizeof(*a));
	a->npages = 16;
	ASSERT_EQ(0, mprotect(self->ro, self->ps, PROT_READ));
	ret = pb_ioctl(self->fd, PALLOC_IOC_ALLOC, a);
	EXPECT_EQ(EFAULT, ret);
	pb_expect_unchanged(_metadata, self, PB_ALLOW_ROLLBACK);
}

/* --- FREE --- */

TEST_F(bad, free_npages_zero)
{
	pb_bad_free_args(_metadata, self, self->own_off, 0);
}

TEST_F(bad, free_offset_unaligned)
{
	pb_bad_free_args(_metadata, self, self->own_off + 1, 1);
}

TEST_F(bad, free_offset_half_page)
{
	pb_bad_free_args(_metadata, self, self->own_off + self->ps / 2, 1);
}

TEST_F(bad, free_offset_near_2_pow_64)
{
	pb_bad_free_args(_metadata, self, 0ULL - self->ps, 1);
}

TEST_F(bad, free_offset_u64_max)
{
	pb_bad_free_args(_metadata, self, ~0ULL, 1);
}

TEST_F(bad, free_offset_plus_npages_overflows)
{
	pb_bad_free_args(_metadata, self, 0ULL - self->ps, 2);
}

TEST_F(bad, free_npages_u64_max)
{
	pb_bad_free_args(_metadata, self, self->own_off, ~0ULL);
}

TEST_F(bad, free_npages_bytes_overflow)
{
	/* npages * 4096 wraps to 0 */
	pb_bad_free_args(_metadata, self, self->own_off, 1ULL << 52);
}

TEST_F(bad, free_beyond_range)
{
	pb_bad_free_args(_metadata, self, self->npages * self->ps, 1);
}

TEST_F(bad, free_straddles_end)
{
	pb_bad_free_args(_metadata, self, (self->npages - 1) * self->ps, 2);
}

TEST_F(bad, free_never_allocated)
{
	pb_bad_free_args(_metadata, self, self->free_off, 1);
}

TEST_F(bad, free_double)
{
	struct palloc_ioc_alloc a;

	ASSERT_EQ(0, pb_alloc(self->fd, 20, 0, 0, &a));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 20));
	pb_snapshot(_metadata, self);
	pb_bad_free_args(_metadata, self, a.offset, 20);
}

TEST_F(bad, free_double_small)
{
	struct palloc_ioc_alloc a;

	ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &a));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 1));
	pb_snapshot(_metadata, self);
	pb_bad_free_args(_metadata, self, a.offset, 1);
}

TEST_F(bad, free_other_files_run)
{
	pb_bad_free_args(_metadata, self, self->other_off, self->other_n);
}

TEST_F(bad, free_other_files_page)
{
	pb_bad_free_args(_metadata, self, self->pad_off, 1);
}

TEST_F(bad, free_run_plus_page_after)
{
	pb_bad_free_args(_metadata, self, self->own_off, self->own_n + 1);
}

TEST_F(bad, free_run_plus_page_before)
{
	ASSERT_LT(0, self->own_off);
	pb_bad_free_args(_metadata, self, self->own_off - self->ps, self->own_n + 1);
}

TEST_F(bad, free_spanning_two_files)
{
	__u64 lo = self->own_off < self->other_off ? self->own_off : self->other_off;
	__u64 hi = self->own_off < self->other_off ? self->other_off : self->own_off;

	pb_bad_free_args(_metadata, self, lo, (hi - lo) / self->ps + 16);
}

TEST_F(bad, free_flags_bit0)
{
	struct palloc_ioc_free f = { .offset = self->own_off, .npages = 1, .flags = 1 };

	pb_bad_free(_metadata, self, &f, EINVAL);
}

TEST_F(bad, free_flags_bit63)
{
	struct palloc_ioc_free f = { .offset = self->own_off, .npages = 1, .flags = 1ULL << 63 };

	pb_bad_free(_metadata, self, &f, EINVAL);
}

TEST_F(bad, free_reserved)
{
	struct palloc_ioc_free f = { .offset = self->own_off, .npages = 1, .reserved = 1 };

	pb_bad_free(_metadata, self, &f, EINVAL);
}

TEST_F(bad, free_ptr_null)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_FREE, NULL, EFAULT);
}

TEST_F(bad, free_ptr_1)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_FREE, (void *)1, EFAULT);
}

TEST_F(bad, free_ptr_unmapped)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_FREE, pb_unmapped(_metadata, self), EFAULT);
}

TEST_F(bad, free_ptr_straddles_guard)
{
	struct palloc_ioc_free *f = (void *)(self->guard - 16);

	f->offset = self->own_off;
	f->npages = self->own_n;
	pb_bad_cmd(_metadata, self, PALLOC_IOC_FREE, f, EFAULT);
}

TEST_F(bad, free_part_of_mapped_run)
{
	struct palloc_ioc_free f = { .offset = self->own_off, .npages = self->own_n - 1 };
	char *p = pb_map(self->fd, self->own_off, self->own_n);

	ASSERT_NE(MAP_FAILED, p);
	pb_snapshot(_metadata, self);
	pb_bad_free(_metadata, self, &f, EBUSY);
	munmap(p, self->own_n * self->ps);
}

TEST_F(bad, free_page_of_mapped_run)
{
	struct palloc_ioc_free f = { .offset = self->own_off + 2 * self->ps, .npages = 1 };
	char *p = pb_map(self->fd, self->own_off, self->own_n);

	ASSERT_NE(MAP_FAILED, p);
	pb_snapshot(_metadata, self);
	pb_bad_free(_metadata, self, &f, EBUSY);
	munmap(p, self->own_n * self->ps);
}

/* Half of the run mapped: FREE of the unmapped half is EBUSY and frees nothing. */
TEST_F(bad, free_run_half_mapped)
{
	struct palloc_ioc_free f = { .offset = self->own_off + self->own_n / 2 * self->ps,
				     .npages = self->own_n - self->own_n / 2 };
	char *p = pb_map(self->fd, self->own_off, self->own_n / 2);

	ASSERT_NE(MAP_FAILED, p);
	pb_snapshot(_metadata, self);
	pb_bad_free(_metadata, self, &f, EBUSY);
	munmap(p, self->own_n / 2 * self->ps);
}

/* --- SCAVENGE --- */

TEST_F(bad, scavenge_npages_zero)
{
	struct palloc_ioc_scavenge s = { .npages = 0 };

	pb_bad_scavenge(_metadata, self, &s, EINVAL);
}

TEST_F(bad, scavenge_flags_bit1)
{
	struct palloc_ioc_scavenge s = { .npages = 1, .flags = 1ULL << 1 };

	pb_bad_scavenge(_metadata, self, &s, EINVAL);
}

TEST_F(bad, scavenge_flags_bit63)
{
	struct palloc_ioc_scavenge s = { .npages = 1, .flags = 1ULL << 63 };

	pb_bad_scavenge(_metadata, self, &s, EINVAL);
}

TEST_F(bad, scavenge_flags_all)
{
	struct palloc_ioc_scavenge s = { .npages = 1, .flags = ~0ULL };

	pb_bad_scavenge(_metadata, self, &s, EINVAL);
}

TEST_F(bad, scavenge_reserved)
{
	struct palloc_ioc_scavenge s = { .npages = 1, .reserved = 1 };

	pb_bad_scavenge(_metadata, self, &s, EINVAL);
}

TEST_F(bad, scavenge_ptr_null)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_SCAVENGE, NULL, EFAULT);
}

TEST_F(bad, scavenge_ptr_1)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_SCAVENGE, (void *)1, EFAULT);
}

TEST_F(bad, scavenge_ptr_unmapped)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_SCAVENGE, pb_unmapped(_metadata, self), EFAULT);
}

/* --- INFO and STATS --- */

TEST_F(bad, info_ptr_null)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_INFO, NULL, EFAULT);
}

TEST_F(bad, info_ptr_1)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_INFO, (void *)1, EFAULT);
}

TEST_F(bad, info_ptr_unmapped)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_INFO, pb_unmapped(_metadata, self), EFAULT);
}

TEST_F(bad, info_ptr_read_only)
{
	ASSERT_EQ(0, mprotect(self->ro, self->ps, PROT_READ));
	pb_bad_cmd(_metadata, self, PALLOC_IOC_INFO, self->ro, EFAULT);
}

TEST_F(bad, stats_ptr_null)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_STATS, NULL, EFAULT);
}

TEST_F(bad, stats_ptr_1)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_STATS, (void *)1, EFAULT);
}

TEST_F(bad, stats_ptr_unmapped)
{
	pb_bad_cmd(_metadata, self, PALLOC_IOC_STATS, pb_unmapped(_metadata, self), EFAULT);
}

TEST_F(bad, stats_ptr_read_only)
{
	ASSERT_EQ(0, mprotect(self->ro, self->ps, PROT_READ));
	pb_bad_cmd(_metadata, self, PALLOC_IOC_STATS, self->ro, EFAULT);
}

/* --- Commands --- */

TEST_F(bad, cmd_unknown_nr)
{
	pb_bad_cmd(_metadata, self, _IOR(PALLOC_IOC_MAGIC, 0x05, struct palloc_ioc_info),
		   self->ro, ENOTTY);
}

TEST_F(bad, cmd_unknown_nr_ff)
{
	pb_bad_cmd(_metadata, self, _IOWR(PALLOC_IOC_MAGIC, 0xff, struct palloc_ioc_alloc),
		   self->ro, ENOTTY);
}

TEST_F(bad, cmd_other_magic)
{
	pb_bad_cmd(_metadata, self, _IOR('p', 0x00, struct palloc_ioc_info), self->ro, ENOTTY);
}

TEST_F(bad, cmd_zero)
{
	pb_bad_cmd(_metadata, self, 0, self->ro, ENOTTY);
}

TEST_F(bad, cmd_alloc_wrong_size)
{
	struct palloc_ioc_alloc *a = (void *)self->ro;

	a->npages = 1;
	pb_bad_cmd(_metadata, self, _IOC(_IOC_READ | _IOC_WRITE, PALLOC_IOC_MAGIC, 0x01, 56), a,
		   ENOTTY);
}

TEST_F(bad, cmd_alloc_wrong_direction)
{
	struct palloc_ioc_alloc *a = (void *)self->ro;

	a->npages = 1;
	pb_bad_cmd(_metadata, self, _IOW(PALLOC_IOC_MAGIC, 0x01, struct palloc_ioc_alloc), a,
		   ENOTTY);
}

TEST_F(bad, cmd_free_wrong_size)
{
	struct palloc_ioc_free *f = (void *)self->ro;

	f->offset = self->own_off;
	f->npages = self->own_n;
	pb_bad_cmd(_metadata, self, _IOC(_IOC_WRITE, PALLOC_IOC_MAGIC, 0x02, 40), f, ENOTTY);
}

TEST_F(bad, cmd_scavenge_wrong_size)
{
	struct palloc_ioc_scavenge *s = (void *)self->ro;

	s->npages = 1;
	pb_bad_cmd(_metadata, self, _IOC(_IOC_READ | _IOC_WRITE, PALLOC_IOC_MAGIC, 0x03, 24), s,
		   ENOTTY);
}

TEST_F(bad, cmd_info_wrong_size)
{
	pb_bad_cmd(_metadata, self, _IOC(_IOC_READ, PALLOC_IOC_MAGIC, 0x00, 72), self->ro,
		   ENOTTY);
}

TEST_F(bad, cmd_stats_wrong_size)
{
	pb_bad_cmd(_metadata, self, _IOC(_IOC_READ, PALLOC_IOC_MAGIC, 0x04, 8), self->ro, ENOTTY);
}

TEST_F(bad, cmd_info_no_direction)
{
	pb_bad_cmd(_metadata, self, _IO(PALLOC_IOC_MAGIC, 0x00), self->ro, ENOTTY);
}

/* --- mmap --- */

TEST_F(bad, mmap_unowned_free_page)
{
	pb_bad_mmap(_metadata, self, self->free_off, 1, MAP_SHARED, EACCES);
}

TEST_F(bad, mmap_other_files_run)
{
	pb_bad_mmap(_metadata, self, self->other_off, self->other_n, MAP_SHARED, EACCES);
}

TEST_F(bad, mmap_offset_not_a_run)
{
	/* The page before the run belongs to the other file, the rest is ours. */
	ASSERT_LT(0, self->own_off);
	pb_bad_mmap(_metadata, self, self->own_off - self->ps, self->own_n, MAP_SHARED, EACCES);
}

TEST_F(bad, mmap_larger_than_run)
{
	pb_bad_mmap(_metadata, self, self->own_off, self->own_n + 1, MAP_SHARED, EACCES);
}

TEST_F(bad, mmap_beyond_range)
{
	pb_bad_mmap(_metadata, self, self->npages * self->ps, 1, MAP_SHARED, EINVAL);
}

TEST_F(bad, mmap_straddles_end)
{
	pb_bad_mmap(_metadata, self, (self->npages - 1) * self->ps, 2, MAP_SHARED, EINVAL);
}

TEST_F(bad, mmap_offset_huge)
{
	pb_bad_mmap(_metadata, self, 1ULL << 44, 1, MAP_SHARED, EINVAL);
}

TEST_F(bad, mmap_private)
{
	pb_bad_mmap(_metadata, self, self->own_off, self->own_n, MAP_PRIVATE, EINVAL);
}

TEST_F(bad, mmap_after_free)
{
	struct palloc_ioc_alloc a;

	ASSERT_EQ(0, pb_alloc(self->fd, 20, 0, 0, &a));
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 20));
	pb_snapshot(_metadata, self);
	pb_bad_mmap(_metadata, self, a.offset, 20, MAP_SHARED, EACCES);
}
