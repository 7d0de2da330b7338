// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest - whole-module tests of /dev/pallocbits (kselftest harness).
 *
 * Runs as root inside the QEMU guest of scripts/vmtest.sh, once with the
 * module on a reserved range and once on a self-grabbed one.  Environment:
 *
 *   PB_MODE	reserved or grabbed: the mode the module must report
 *   PB_BASE	physical base of the reserved range (reserved mode)
 *   PB_SIZE	bytes in the range
 *   PB_STRESS	seconds of the multi-process stress test (default 5)
 *   PB_FUZZ_SEED, PB_FUZZ_OPS, PB_FUZZ_SECONDS	the ioctl fuzzer (see there;
 *		also as pb_fuzz_seed=... etc. on the guest's kernel command line)
 *
 * Every test runs in its own process (the harness forks), so its open files
 * and the runs they own are gone when the next test starts.  The "bad" tests
 * feed one invalid request each and then require that the allocator's state
 * did not change: every STATS counter and an FNV-1a digest of the debugfs
 * bitmap, with the background scavenger paused so that nothing else moves.
 *
 * Build: gcc -static -O2 -Wall -I$KSRC/tools/testing/selftests -I$PROJ, linked
 * with lib/libpallocbits.c (scripts/vmtest.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "lib/libpallocbits.h"
#include "uapi/pallocbits.h"

#define PB_DEV		"/dev/pallocbits"
#define PB_DEBUGFS	"/sys/kernel/debug/pallocbits"
#define PB_CHUNK_PAGES	512
#define PB_STRESS_PROCS	4
#define PB_STRESS_RUNS	64

#define PB_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What a bad request may legitimately change (see pb_expect_unchanged()). */
#define PB_ALLOW_NONE		0
/* A refused FREE counts in free_errors ("frees refused"), exactly once. */
#define PB_ALLOW_FREE_ERROR	0x1
/* An ALLOC that found no room counts in alloc_failures, exactly one. */
#define PB_ALLOW_ALLOC_FAILURE	0x2
/*
 * An ALLOC whose result could not be copied out was allocated and freed
 * again: allocs and frees move by one each, and pages that were scavenged
 * may now be dirty (pages_scavenged drops, scavenged bits clear); the
 * allocation bits and everything else stay as they were.
 */
#define PB_ALLOW_ROLLBACK	0x4

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/*
 * pb_open(), pb_alloc(), pb_free(), pb_stats() and pb_map() go through
 * lib/libpallocbits, in the conventions the tests were written in: an fd
 * or -1 with errno, 0 or the errno, a mapping or MAP_FAILED with errno.
 * Raw ioctl() and mmap() remain where a test feeds the kernel what the
 * library would never send (pb_ioctl(), pb_map_errno(), the fuzzers).
 */
static int pb_open(void)
{
	int fd = pallocbits_open(0);

	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

/* ioctl() returning 0 or the errno. */
static int pb_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/* ALLOC; @a as the kernel would have filled it (reserved words zero). */
static int pb_alloc(int fd, __u64 npages, __u64 align, __u64 flags, struct palloc_ioc_alloc *a)
{
	struct pallocbits_buf b;
	int ret;

	memset(a, 0, sizeof(*a));
	a->npages = npages;
	a->align = align;
	a->flags = flags;
	ret = pallocbits_alloc(fd, npages, align, flags, &b);
	if (ret)
		return -ret;
	a->npages = b.npages;
	a->offset = b.offset;
	a->scavenged = b.scavenged;
	a->phys = b.phys;
	return 0;
}

static int pb_free(int fd, __u64 offset, __u64 npages)
{
	return -pallocbits_free_range(fd, offset, npages);
}

static int pb_stats(int fd, struct palloc_ioc_stats *st)
{
	return -pallocbits_stats(fd, st);
}

static __u64 pb_page_size(void)
{
	return pallocbits_page_size();
}

/* mmap() a run (or part of one) shared, read-write. */
static void *pb_map(int fd, __u64 offset, __u64 npages)
{
	struct pallocbits_buf b = {
		.offset = offset,
		.npages = npages,
		.len = npages * pb_page_size(),
	};
	int ret = pallocbits_map(fd, &b, PROT_READ | PROT_WRITE);

	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	return b.addr;
}

/* errno of a failing mmap(), or 0 after unmapping a successful one. */
static int pb_map_errno(int fd, __u64 offset, __u64 npages, int flags)
{
	size_t len = npages * pb_page_size();
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, (off_t)offset);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

static __u64 pb_env_u64(const char *name, __u64 dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

/* PB_MAPS: how the module must map pages here (devmap, ram or pfn), or NULL. */
static const char *pb_env_maps(void)
{
	const char *m = getenv("PB_MAPS");

	return m && *m ? m : NULL;
}

static const char *pb_env_mode(void)
{
	const char *s = getenv("PB_MODE");

	return s && *s ? s : NULL;
}

/* Read a debugfs file of the module into a NUL-terminated malloc()ed buffer. */
static char *pb_read_debugfs(const char *name, size_t *lenp)
{
	size_t len = 0, cap = 1 << 16;
	char path[256];
	char *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", PB_DEBUGFS, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (!n)
			break;
		len += n;
		if (len == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	if (buf) {
		buf[len] = '\0';
		if (lenp)
			*lenp = len;
	}
	return buf;
}

static int pb_write_debugfs(const char *name, const char *text)
{
	char path[256];
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", PB_DEBUGFS, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		err = errno;
	else if ((size_t)n != strlen(text))
		err = EIO;
	close(fd);
	return err;
}

/* Value of "name: value" in a debugfs file, or -1 (as unsigned) if absent. */
static __u64 pb_debugfs_value(const char *file, const char *key)
{
	char *text = pb_read_debugfs(file, NULL);
	size_t klen = strlen(key);
	__u64 v = ~0ULL;
	char *line;

	if (!text)
		return v;
	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 0);
			break;
		}
	}
	free(text);
	return v;
}

static bool pb_check_ok(void)
{
	char *text = pb_read_debugfs("check", NULL);
	bool ok = text && !strcmp(text, "ok\n");

	free(text);
	return ok;
}

static __u64 pb_fnv1a(const char *s, size_t len, __u64 h)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * FNV-1a digest of the debugfs bitmap: all of it, or (alloc_only) only the
 * allocation words of each line, i.e. what precedes " scav".
 */
static int pb_bitmap_digest(bool alloc_only, __u64 *digest)
{
	char *text = pb_read_debugfs("bitmap", NULL);
	__u64 h = 0xcbf29ce484222325ULL;
	char *line, *next, *scav;

	if (!text)
		return -1;
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		scav = alloc_only ? strstr(line, " scav") : NULL;
		if (scav && scav < next)
			h = pb_fnv1a(line, scav - line, h);
		else
			h = pb_fnv1a(line, next - line, h);
	}
	free(text);
	*digest = h;
	return 0;
}

#define PB_STAT(field) { #field, offsetof(struct palloc_ioc_stats, field) }

static const struct {
	const char *name;
	size_t off;
} pb_stat_fields[] = {
	PB_STAT(npages),
	PB_STAT(mode),
	PB_STAT(pages_inuse),
	PB_STAT(pages_free),
	PB_STAT(pages_scavenged),
	PB_STAT(pages_cached),
	PB_STAT(pages_scavenging),
	PB_STAT(largest_free),
	PB_STAT(allocs),
	PB_STAT(frees),
	PB_STAT(alloc_failures),
	PB_STAT(free_errors),
	PB_STAT(pages_released),
	PB_STAT(scavenge_runs),
	PB_STAT(owned_pages),
	PB_STAT(runs),
	PB_STAT(runs_exported),
	PB_STAT(pages_held),
	PB_STAT(reserved[0]),
	PB_STAT(reserved[1]),
};

static __u64 pb_stat(const struct palloc_ioc_stats *st, size_t i)
{
	__u64 v;

	memcpy(&v, (const char *)st + pb_stat_fields[i].off, sizeof(v));
	return v;
}

static bool pb_is_field(size_t i, size_t off)
{
	return pb_stat_fields[i].off == off;
}

/* The counters add up: every page is in use, free, cached or being scavenged. */
static bool pb_stats_consistent(const struct palloc_ioc_stats *st)
{
	/* An elastic pool holds pages_present of them; a fixed one all. */
	return st->pages_inuse + st->pages_free + st->pages_cached + st->pages_scavenging ==
		st->pages_present && st->pages_present <= st->npages &&
		st->pages_scavenged <= st->pages_free &&
		st->largest_free <= st->pages_free && st->pages_inuse <= st->npages;
}

static void pb_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double pb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until no scavenge run is in flight and the scavenging counters hold
 * still for a while; 0, or -1 after @secs seconds.
 */
static int pb_quiesce(int fd, double secs)
{
	struct palloc_ioc_stats a, b;
	double end = pb_now() + secs;
	int stable = 0;

	if (pb_stats(fd, &a))
		return -1;
	while (pb_now() < end) {
		pb_sleep_ms(20);
		if (pb_stats(fd, &b))
			return -1;
		if (!b.pages_scavenging && a.pages_scavenged == b.pages_scavenged &&
		    a.pages_released == b.pages_released && a.scavenge_runs == b.scavenge_runs &&
		    a.pages_free == b.pages_free && a.pages_cached == b.pages_cached) {
			if (++stable == 3)
				return 0;
		} else {
			stable = 0;
		}
		a = b;
	}
	return -1;
}

/* Poll until pages_inuse is @want (released files are freed asynchronously). */
static int pb_wait_inuse(int fd, __u64 want, double secs, __u64 *seen)
{
	struct palloc_ioc_stats st;
	double end = pb_now() + secs;

	do {
		if (pb_stats(fd, &st))
			return -1;
		*seen = st.pages_inuse;
		if (st.pages_inuse == want)
			return 0;
		pb_sleep_ms(10);
	} while (pb_now() < end);
	return -1;
}

/* The value a stress or reuse test writes at byte @i of page @page. */
static __u64 pb_tag(__u64 seed, __u64 page)
{
	__u64 x = seed * 0x9e3779b97f4a7c15ULL ^ (page + 1) * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 31;
	return x ? x : 1;
}

/* Is [p, p + len) all zero? Returns the offset of the first non-zero byte or len. */
static size_t pb_first_nonzero(const void *p, size_t len)
{
	const unsigned char *c = p;
	const __u64 *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			break;
	for (i *= 8; i < len; i++)
		if (c[i])
			return i;
	return len;
}

/* Drop CAP_SYS_ADMIN from the effective set with the raw capset syscall. */
static int pb_drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/*
 * Pause the background scavenger (goal "off") and wait for a run in flight
 * to end; @saved (32 bytes) receives the goal for pb_scavenger_resume().
 */
static int pb_scavenger_pause(int fd, char *saved)
{
	char *text = pb_read_debugfs("scavenger", NULL);
	char *g = text ? strstr(text, "goal_pages:") : NULL;

	saved[0] = '\0';
	if (!g || sscanf(g + strlen("goal_pages:"), " %31s", saved) != 1) {
		free(text);
		return -1;
	}
	free(text);
	if (pb_write_debugfs("scavenger", "goal_pages 18446744073709551615"))
		return -1;
	return pb_quiesce(fd, 5);
}

static void pb_scavenger_resume(const char *saved)
{
	char buf[64];

	if (saved[0] && strcmp(saved, "off")) {
		snprintf(buf, sizeof(buf), "goal_pages %s", saved);
		pb_write_debugfs("scavenger", buf);
	}
}

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
	pid_t pid;

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

/* ------------------------------------------------------------------ */
/* Finding 14: what a process sees                                    */
/* ------------------------------------------------------------------ */

/*
 * What a new user tries on a mapping and on the device file besides loads
 * and stores: zero-copy I/O (O_DIRECT, vmsplice, io_uring fixed buffers),
 * other processes' views (process_vm_readv/writev, /proc/PID/mem, ptrace),
 * madvise, fork, mprotect, mremap, msync, mlock, open modes, the file's
 * read/write, and close() racing ioctls on other threads.  Each test asserts the errno or
 * behaviour documented in uapi/pallocbits.h ("DOC: What a process sees"),
 * then that the run's data is intact and that nothing leaked.
 *
 * A mapping is filled page by page on first access.  Where the module maps
 * struct pages (INFO's PALLOC_FEATURE_PAGES: ZONE_DEVICE pages of a
 * reserved range, grabbed RAM pages), every path that pins user pages
 * (get_user_pages) works on it and the tests check the data moved.  Where
 * it maps bare PFNs (VM_IO | VM_PFNMAP: struct_pages=0, or a kernel without
 * ZONE_DEVICE) the kernel still copies to and from it like any user
 * memory, but there is nothing to pin, so those paths refuse it.
 */

#define PB_F14_TAG	0xf14ULL

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101	/* <asm-generic/mman-common.h>; not in glibc's */
#endif

/* Fill @len bytes at @p with the words pb_tag(@seed, 0), pb_tag(@seed, 1), ... */
static void pb_pattern(void *p, size_t len, __u64 seed)
{
	__u64 *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pb_tag(seed, i);
}

/* Offset of the first word at @p that is not pb_pattern(@seed)'s, or @len. */
static size_t pb_pattern_diff(const void *p, size_t len, __u64 seed)
{
	const __u64 *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pb_tag(seed, i))
			return i * 8;
	return len;
}

/* Allocate @n pages, map them and fill them with pb_pattern(@seed). */
static char *pb_run_setup(struct __test_metadata *_metadata, struct _test_data_pb *self,
			  __u64 n, __u64 seed, struct palloc_ioc_alloc *a)
{
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, n, 0, 0, a));
	p = pb_map(self->fd, a->offset, n);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %llu pages: %s", n, strerror(errno));
	pb_pattern(p, n * self->ps, seed);
	return p;
}

/*
 * The end of each test: the run still holds pb_pattern(@seed), munmap() and
 * FREE work, the file owns nothing, pages_inuse is back to where it was at
 * setup, and the allocator's own check reads ok.
 */
static void pb_run_teardown(struct __test_metadata *_metadata, struct _test_data_pb *self,
			    char *p, const struct palloc_ioc_alloc *a, __u64 seed)
{
	size_t len = a->npages * self->ps, bad = pb_pattern_diff(p, len, seed);
	struct palloc_ioc_stats st;
	__u64 seen = 0;

	EXPECT_EQ(len, bad) TH_LOG("the run's data changed at byte %zu", bad);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a->offset, a->npages));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu, baseline %llu", seen, self->base.pages_inuse);
	EXPECT_TRUE(pb_check_ok());
}

static sigjmp_buf pb_probe_env;

static void pb_probe_handler(int sig)
{
	siglongjmp(pb_probe_env, sig);
}

/*
 * Load the byte at @p into *@out, or store @val there if @out is NULL:
 * 0, or the signal (SIGSEGV, SIGBUS) the access raised.
 */
static int pb_probe(char *p, char val, char *out)
{
	struct sigaction sa = { .sa_handler = pb_probe_handler }, old_segv, old_bus;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	switch (sigsetjmp(pb_probe_env, 1)) {
	case 0:
		if (out)
			*out = __atomic_load_n(p, __ATOMIC_RELAXED);
		else
			__atomic_store_n(p, val, __ATOMIC_RELAXED);
		sig = 0;
		break;
	case SIGBUS:
		sig = SIGBUS;
		break;
	default:
		sig = SIGSEGV;
		break;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

/* Probe a load from every page of [p, p + len): 0, or the first signal. */
static int pb_probe_pages(char *p, size_t len, __u64 ps)
{
	size_t off;
	char c;
	int sig;

	for (off = 0; off < len; off += ps) {
		sig = pb_probe(p + off, 0, &c);
		if (sig)
			return sig;
	}
	return 0;
}

/* A whole file into a NUL-terminated malloc()ed buffer, or NULL. */
static char *pb_slurp(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1), *bigger;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len < cap)
			continue;
		bigger = realloc(buf, 2 * cap + 1);
		if (!bigger)
			goto fail;
		buf = bigger;
		cap *= 2;
	}
	if (n < 0)
		goto fail;
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* --- O_DIRECT, through a loop device (tmpfs refuses O_DIRECT) --- */

#define PB_LOOP_BYTES	(1024 * 1024)
#define PB_LOOP_SEED	0x10adULL

struct pb_loop {
	int dev;		/* /dev/loopN, O_RDWR | O_DIRECT */
	int n;			/* N, or -1 */
	char path[32];
	char img[64];		/* the backing file on tmpfs */
};

/*
 * Attach a free loop device to a 1 MiB file on tmpfs holding
 * pb_pattern(PB_LOOP_SEED), and open it O_DIRECT: 0, or the errno of the
 * step that failed (ENOENT from /dev/loop-control: no loop driver).
 */
static int pb_loop_setup(struct pb_loop *lo)
{
	int ctl, img = -1, fd = -1, err = 0;
	void *buf = NULL;

	lo->dev = -1;
	lo->n = -1;
	snprintf(lo->img, sizeof(lo->img), "/tmp/pb-odirect-%d.img", (int)getpid());
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return errno;
	img = open(lo->img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	buf = malloc(PB_LOOP_BYTES);
	if (img < 0 || !buf) {
		err = img < 0 ? errno : ENOMEM;
		goto out;
	}
	pb_pattern(buf, PB_LOOP_BYTES, PB_LOOP_SEED);
	if (write(img, buf, PB_LOOP_BYTES) != PB_LOOP_BYTES) {
		err = EIO;
		goto out;
	}
	lo->n = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (lo->n < 0) {
		err = errno;
		goto out;
	}
	snprintf(lo->path, sizeof(lo->path), "/dev/loop%d", lo->n);
	fd = open(lo->path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, LOOP_SET_FD, img)) {
		err = errno;
		lo->n = fd < 0 ? -1 : lo->n;
		goto out;
	}
	lo->dev = open(lo->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (lo->dev < 0)
		err = errno;
out:
	if (fd >= 0)
		close(fd);
	if (img >= 0)
		close(img);
	free(buf);
	close(ctl);
	return err;
}

static void pb_loop_teardown(struct pb_loop *lo)
{
	int fd;

	if (lo->dev >= 0)
		close(lo->dev);
	if (lo->n >= 0) {
		fd = open(lo->path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
		}
	}
	unlink(lo->img);
}

/* Two pages: one of ordinary memory, then the first page of the run @a. */
static char *pb_straddle(int fd, const struct palloc_ioc_alloc *a, __u64 ps)
{
	char *two = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	if (two == MAP_FAILED)
		return NULL;
	if (mmap(two + ps, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)a->offset) != two + ps) {
		munmap(two, 2 * ps);
		return NULL;
	}
	return two;
}

/*
 * O_DIRECT read() with the mapping as the buffer: the block layer pins the
 * buffer's pages and the device's data lands in the run, byte for byte;
 * with PFN mappings EFAULT, nothing is read into the run.
 */
TEST_F(pb, o_direct_read_into_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_loop lo;
	char *p, *two, *exp;
	void *buf;
	int err;

	err = pb_loop_setup(&lo);
	if (err == ENOENT)
		SKIP(return, "no /dev/loop-control: no loop driver to try O_DIRECT on");
	ASSERT_EQ(0, err) TH_LOG("loop device: %s", strerror(err));
	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);

	/* O_DIRECT works here: into ordinary memory it reads the file's blocks. */
	ASSERT_EQ(0, posix_memalign(&buf, self->ps, len));
	memset(buf, 0, len);
	EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_LOOP_SEED));

	if (pb_pages(self)) {
		/* Struct pages: the block layer reads straight into the run. */
		EXPECT_EQ((ssize_t)len, pread(lo.dev, p, len, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_LOOP_SEED));
		pb_pattern(p, len, PB_F14_TAG);
		/* One sector: exactly those 512 bytes change. */
		exp = malloc(len);
		ASSERT_NE(NULL, exp);
		memcpy(exp, p, len);
		memcpy(exp + self->ps, buf, 512);
		EXPECT_EQ(512, pread(lo.dev, p + self->ps, 512, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, memcmp(p, exp, len));
		free(exp);
		pb_pattern(p, len, PB_F14_TAG);
		EXPECT_EQ((ssize_t)len, read(lo.dev, p, len)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_LOOP_SEED));
	} else {
		/* PFN mapping, into the mapping: EFAULT, all of it or one sector. */
		errno = 0;
		EXPECT_EQ(-1, pread(lo.dev, p, len, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, pread(lo.dev, p + self->ps, 512, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, read(lo.dev, p, len));
		EXPECT_EQ(EFAULT, errno);
	}

	/*
	 * A buffer that starts in ordinary memory and ends in the mapping: the
	 * block device reads the ordinary page directly and the rest through
	 * its page cache (a copy into the mapping); the read completes.
	 */
	two = pb_straddle(self->fd, &a, self->ps);
	ASSERT_NE(NULL, two);
	EXPECT_EQ((ssize_t)(2 * self->ps), pread(lo.dev, two, 2 * self->ps, 0))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(two, buf, 2 * self->ps));
	ASSERT_EQ(0, munmap(two, 2 * self->ps));
	/* The run's first page now holds the device's second page. */
	EXPECT_EQ(0, memcmp(p, (char *)buf + self->ps, self->ps));
	pb_pattern(p, len, PB_F14_TAG);

	free(buf);
	pb_loop_teardown(&lo);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * O_DIRECT write() from the mapping: the device gets the run's bytes
 * (EFAULT with PFN mappings, the device not written).  The same write()
 * without O_DIRECT copies from the mapping and works either way.
 */
TEST_F(pb, o_direct_write_from_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_loop lo;
	char *p, *two;
	void *buf;
	int fd, err;

	err = pb_loop_setup(&lo);
	if (err == ENOENT)
		SKIP(return, "no /dev/loop-control: no loop driver to try O_DIRECT on");
	ASSERT_EQ(0, err) TH_LOG("loop device: %s", strerror(err));
	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	ASSERT_EQ(0, posix_memalign(&buf, self->ps, len));

	if (pb_pages(self)) {
		EXPECT_EQ((ssize_t)len, pwrite(lo.dev, p, len, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(512, pwrite(lo.dev, p + 3 * self->ps, 512, 2 * self->ps))
			TH_LOG("%s", strerror(errno));
		memset(buf, 0, len);
		EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0));
		EXPECT_EQ(0, memcmp(buf, p, 2 * self->ps));
		EXPECT_EQ(0, memcmp((char *)buf + 2 * self->ps, p + 3 * self->ps, 512));
		EXPECT_EQ(0, memcmp((char *)buf + 2 * self->ps + 512, p + 2 * self->ps + 512,
				    len - 2 * self->ps - 512));
	} else {
		errno = 0;
		EXPECT_EQ(-1, pwrite(lo.dev, p, len, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, pwrite(lo.dev, p + 3 * self->ps, 512, 8192));
		EXPECT_EQ(EFAULT, errno);
		/* The device still holds what it held. */
		EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_LOOP_SEED));
	}

	/* Buffered, the kernel copies from the mapping: the write works. */
	fd = open(lo.path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ((ssize_t)len, pwrite(fd, p, len, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	memset(buf, 0, len);
	EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0));
	EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));

	/*
	 * From ordinary memory into the mapping: the ordinary page is written
	 * directly, the rest through the page cache (a copy from the
	 * mapping); the write completes.
	 */
	two = pb_straddle(self->fd, &a, self->ps);
	ASSERT_NE(NULL, two);
	memset(two, 0x3c, self->ps);
	EXPECT_EQ((ssize_t)(2 * self->ps), pwrite(lo.dev, two, 2 * self->ps, 8 * self->ps))
		TH_LOG("%s", strerror(errno));
	memset(buf, 0, len);
	EXPECT_EQ((ssize_t)(2 * self->ps), pread(lo.dev, buf, 2 * self->ps, 8 * self->ps));
	EXPECT_EQ(0, memcmp(buf, two, 2 * self->ps));
	EXPECT_EQ(self->ps, pb_pattern_diff((char *)buf + self->ps, self->ps, PB_F14_TAG));
	ASSERT_EQ(0, munmap(two, 2 * self->ps));

	free(buf);
	pb_loop_teardown(&lo);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * vmsplice() of the mapping into a pipe: the pipe gets the run's pages (a
 * reader sees the run's bytes); with PFN mappings EFAULT, the pipe stays
 * empty.  vmsplice() from a pipe into the mapping copies, and works; so do
 * write() from and read() into the mapping.
 */
TEST_F(pb, vmsplice_from_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	struct iovec iov;
	int pfd[2], avail = -1;
	char *p, *buf;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	ASSERT_EQ(0, pipe2(pfd, O_NONBLOCK | O_CLOEXEC));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);

	iov = (struct iovec){ .iov_base = p, .iov_len = len };
	if (pb_pages(self)) {
		EXPECT_EQ((ssize_t)len, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ((ssize_t)len, read(pfd[0], buf, len));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		EXPECT_EQ((ssize_t)len, vmsplice(pfd[1], &iov, 1, SPLICE_F_GIFT))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ((ssize_t)len, read(pfd[0], buf, len));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
	} else {
		errno = 0;
		EXPECT_EQ(-1, vmsplice(pfd[1], &iov, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, vmsplice(pfd[1], &iov, 1, SPLICE_F_GIFT));
		EXPECT_EQ(EFAULT, errno);
	}
	ASSERT_EQ(0, ioctl(pfd[0], FIONREAD, &avail));
	EXPECT_EQ(0, avail);

	/* write() from the mapping and read() into it copy: they work. */
	EXPECT_EQ((ssize_t)self->ps, write(pfd[1], p, self->ps));
	EXPECT_EQ((ssize_t)self->ps, read(pfd[0], buf, self->ps));
	EXPECT_EQ(self->ps, pb_pattern_diff(buf, self->ps, PB_F14_TAG));
	memset(buf, 0xa5, len);
	EXPECT_EQ((ssize_t)len, write(pfd[1], buf, len));
	EXPECT_EQ((ssize_t)self->ps, read(pfd[0], p, self->ps));
	/* vmsplice() from the pipe into the mapping is a copy too. */
	iov = (struct iovec){ .iov_base = p + self->ps, .iov_len = self->ps };
	EXPECT_EQ((ssize_t)self->ps, vmsplice(pfd[0], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(p, buf, len));

	close(pfd[0]);
	close(pfd[1]);
	free(buf);
	pb_pattern(p, len, PB_F14_TAG);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* --- Other processes' views of a mapping --- */

/*
 * A child that maps the run through the open file it shares with the test,
 * reports the address of its mapping and waits (for a byte or EOF on a
 * pipe) before it unmaps and exits 0.
 */
struct pb_target {
	pid_t pid;
	char *addr;		/* the child's mapping of the run */
	int go;			/* closing it lets the child finish */
};

static int pb_target_start(int fd, const struct palloc_ioc_alloc *a, struct pb_target *t)
{
	int up[2], down[2];
	char c;

	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		char *q = pb_map(fd, a->offset, a->npages);

		close(up[0]);
		close(down[1]);
		if (q == MAP_FAILED)
			_exit(2);
		if (write(up[1], &q, sizeof(q)) != sizeof(q))
			_exit(3);
		if (read(down[0], &c, 1) < 0)
			_exit(4);
		munmap(q, a->npages * pb_page_size());
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	t->go = down[1];
	if (read(up[0], &t->addr, sizeof(t->addr)) != sizeof(t->addr)) {
		close(up[0]);
		return -1;
	}
	close(up[0]);
	return 0;
}

/* Let the child finish: its wait status. */
static int pb_target_finish(struct pb_target *t)
{
	int status = -1;

	close(t->go);
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	return status;
}

/* The pattern in ordinary memory, at the same address in a forked child. */
static __u64 pb_plain[512];

/*
 * process_vm_readv()/process_vm_writev() with another process's mapping as
 * the remote buffer: the remote pages are pinned and copied (EFAULT with
 * PFN mappings).  Our own mapping as the local buffer works either way: it
 * is copied to or from.
 */
TEST_F(pb, process_vm_readv_from_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	struct iovec local, remote;
	struct pb_target t;
	int status;
	char *p, *buf;
	ssize_t n;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	buf = calloc(1, len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pb_target_start(self->fd, &a, &t));

	/* Ordinary remote memory reads fine (the call works here). */
	local = (struct iovec){ .iov_base = buf, .iov_len = sizeof(pb_plain) };
	remote = (struct iovec){ .iov_base = pb_plain, .iov_len = sizeof(pb_plain) };
	n = process_vm_readv(t.pid, &local, 1, &remote, 1, 0);
	if (n < 0) {
		/* E.g. a kernel without CONFIG_CROSS_MEMORY_ATTACH. */
		int err = errno;

		pb_target_finish(&t);
		SKIP(return, "process_vm_readv of ordinary memory: %s", strerror(err));
	}
	EXPECT_EQ((ssize_t)sizeof(pb_plain), n);
	EXPECT_EQ(sizeof(pb_plain), pb_pattern_diff(buf, sizeof(pb_plain), 0x91a1));

	local = (struct iovec){ .iov_base = buf, .iov_len = len };
	remote = (struct iovec){ .iov_base = t.addr, .iov_len = len };
	if (pb_pages(self)) {
		/* The child's mapping as the remote buffer, both ways. */
		EXPECT_EQ((ssize_t)len, process_vm_readv(t.pid, &local, 1, &remote, 1, 0))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		memset(buf, 0x5a, len);
		EXPECT_EQ((ssize_t)len, process_vm_writev(t.pid, &local, 1, &remote, 1, 0))
			TH_LOG("%s", strerror(errno));
		/* The child's mapping and ours are the same pages. */
		EXPECT_EQ(0, memcmp(p, buf, len));
		pb_pattern(p, len, PB_F14_TAG);
		/* Our own: the same path. */
		remote.iov_base = p;
		EXPECT_EQ((ssize_t)len, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
	} else {
		/* The child's mapping as the remote buffer: EFAULT, both ways. */
		errno = 0;
		EXPECT_EQ(-1, process_vm_readv(t.pid, &local, 1, &remote, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		memset(buf, 0x5a, len);
		errno = 0;
		EXPECT_EQ(-1, process_vm_writev(t.pid, &local, 1, &remote, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		/* Our own: the same path. */
		remote.iov_base = p;
		errno = 0;
		EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_EQ(EFAULT, errno);
	}

	/* Our mapping as the local buffer is copied to and from: it works. */
	local = (struct iovec){ .iov_base = p, .iov_len = sizeof(pb_plain) };
	remote = (struct iovec){ .iov_base = pb_plain, .iov_len = sizeof(pb_plain) };
	EXPECT_EQ((ssize_t)sizeof(pb_plain), process_vm_readv(t.pid, &local, 1, &remote, 1, 0));
	EXPECT_EQ(sizeof(pb_plain), pb_pattern_diff(p, sizeof(pb_plain), 0x91a1));
	pb_pattern(p, len, PB_F14_TAG);
	EXPECT_EQ((ssize_t)sizeof(pb_plain), process_vm_writev(t.pid, &local, 1, &remote, 1, 0));

	status = pb_target_finish(&t);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	free(buf);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * /proc/PID/mem of a mapping, another process's or our own: read and write
 * work on struct pages, and fail with EIO on PFN mappings (no pages to pin,
 * no vm_ops->access).
 */
TEST_F(pb, proc_pid_mem_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_target t;
	char path[64], *p, *buf;
	int mem, status;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	buf = calloc(1, len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pb_target_start(self->fd, &a, &t));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t.pid);
	mem = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem) TH_LOG("%s: %s", path, strerror(errno));

	/* Ordinary memory of the child reads fine. */
	EXPECT_EQ((ssize_t)sizeof(pb_plain), pread(mem, buf, sizeof(pb_plain),
						   (off_t)(uintptr_t)pb_plain));
	EXPECT_EQ(sizeof(pb_plain), pb_pattern_diff(buf, sizeof(pb_plain), 0x91a1));

	if (pb_pages(self)) {
		EXPECT_EQ((ssize_t)len, pread(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		EXPECT_EQ(1, pread(mem, buf, 1, (off_t)(uintptr_t)t.addr + self->ps + 7));
		EXPECT_EQ(p[self->ps + 7], buf[0]);
		memset(buf, 0x5a, len);
		EXPECT_EQ((ssize_t)len, pwrite(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(0, memcmp(p, buf, len));
		pb_pattern(p, len, PB_F14_TAG);
	} else {
		errno = 0;
		EXPECT_EQ(-1, pread(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(EIO, errno);
		errno = 0;
		EXPECT_EQ(-1, pread(mem, buf, 1, (off_t)(uintptr_t)t.addr + self->ps + 7));
		EXPECT_EQ(EIO, errno);
		memset(buf, 0x5a, len);
		errno = 0;
		EXPECT_EQ(-1, pwrite(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(EIO, errno);
	}
	close(mem);

	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	if (pb_pages(self)) {
		memset(buf, 0, len);
		EXPECT_EQ((ssize_t)len, pread(mem, buf, len, (off_t)(uintptr_t)p));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		EXPECT_EQ(8, pwrite(mem, buf, 8, (off_t)(uintptr_t)p));
	} else {
		errno = 0;
		EXPECT_EQ(-1, pread(mem, buf, len, (off_t)(uintptr_t)p));
		EXPECT_EQ(EIO, errno);
		errno = 0;
		EXPECT_EQ(-1, pwrite(mem, buf, 8, (off_t)(uintptr_t)p));
		EXPECT_EQ(EIO, errno);
	}
	close(mem);

	status = pb_target_finish(&t);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	free(buf);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* ptrace(PTRACE_PEEKDATA/POKEDATA) of a mapping: as /proc/PID/mem. */
TEST_F(pb, ptrace_peek_poke_mapping)
{
	struct palloc_ioc_alloc a;
	struct pb_target t;
	int status;
	long word;
	char *p;

	p = pb_run_setup(_metadata, self, 1, PB_F14_TAG, &a);
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	ASSERT_EQ(0, pb_target_start(self->fd, &a, &t));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, t.pid, NULL, NULL)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, t.pid, NULL, NULL));
	ASSERT_EQ(t.pid, waitpid(t.pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status)) TH_LOG("status %#x", status);

	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, t.pid, pb_plain, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ((long)pb_tag(0x91a1, 0), word);
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, t.pid, t.addr, NULL);
	if (pb_pages(self)) {
		EXPECT_EQ(0, errno);
		EXPECT_EQ((long)pb_tag(PB_F14_TAG, 0), word);
		EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, t.pid, t.addr, (void *)0x5a5a5a5aL));
		EXPECT_EQ(0x5a5a5a5aL, *(long *)p);
		pb_pattern(p, self->ps, PB_F14_TAG);
	} else {
		EXPECT_EQ(-1, word);
		EXPECT_EQ(EIO, errno);
		errno = 0;
		EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, t.pid, t.addr, (void *)0x5a5a5a5aL));
		EXPECT_EQ(EIO, errno);
	}

	ASSERT_EQ(0, ptrace(PTRACE_DETACH, t.pid, NULL, NULL));
	status = pb_target_finish(&t);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * io_uring fixed buffers: registering the mapping fails.  With struct
 * pages the pin succeeds and io_pin_pages() then refuses file-backed
 * memory other than shmem and hugetlbfs with EOPNOTSUPP (6.1; device-dax
 * gets the same): the refusal must leave no page pinned, so the run goes
 * straight back to the allocator, nothing quarantined.  With PFN mappings
 * the pin itself fails: EFAULT.
 */
TEST_F(pb, io_uring_register_mapping)
{
	struct palloc_ioc_stats st;
	struct io_uring_params params;
	struct palloc_ioc_alloc a;
	struct iovec iov;
	char *p, *plain;
	int ring;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	memset(&params, 0, sizeof(params));
	ring = syscall(__NR_io_uring_setup, 4, &params);
	ASSERT_LE(0, ring) TH_LOG("io_uring_setup: %s", strerror(errno));

	/* Ordinary (anonymous) memory registers: the call works here. */
	plain = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, plain);
	iov = (struct iovec){ .iov_base = plain, .iov_len = 2 * self->ps };
	EXPECT_EQ(0, syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0));
	munmap(plain, 2 * self->ps);

	iov = (struct iovec){ .iov_base = p, .iov_len = 2 * self->ps };
	errno = 0;
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1));
	EXPECT_EQ(pb_pages(self) ? EOPNOTSUPP : EFAULT, errno);
	close(ring);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.pages_quarantined);
	EXPECT_EQ(0, st.quarantined);
}

/* --- madvise, mlock, msync --- */

/*
 * MADV_DONTNEED on a mapping of struct pages: the page-table entries go,
 * the next access maps the same pages again, so the data is intact.  On a
 * PFN mapping EINVAL (the kernel refuses it for VM_PFNMAP), nothing is
 * zapped.  Either way every page still reads and the mapping still holds
 * the run (FREE of a part of it is EBUSY).
 */
TEST_F(pb, madv_dontneed_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	char *p;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	if (pb_pages(self)) {
		EXPECT_EQ(0, madvise(p, len, MADV_DONTNEED)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
		EXPECT_EQ(0, madvise(p + self->ps, self->ps, MADV_DONTNEED));
		EXPECT_EQ(0, madvise(p, len, MADV_DONTNEED_LOCKED));
	} else {
		errno = 0;
		EXPECT_EQ(-1, madvise(p, len, MADV_DONTNEED));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, madvise(p + self->ps, self->ps, MADV_DONTNEED));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, madvise(p, len, MADV_DONTNEED_LOCKED));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, pb_probe_pages(p, len, self->ps));
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.owned_pages);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * The other advice: what drops, pages out, populates, poisons or changes
 * fork behaviour is refused; hints are accepted and change nothing.  (Advice
 * the kernel was built without, e.g. MADV_MERGEABLE without CONFIG_KSM, is
 * skipped with a note.)
 */
TEST_F(pb, madvise_other_advice)
{
	/*
	 * err: with PFN mappings; perr: with struct pages, where the kernel
	 * walks the page tables (MADV_COLD, MADV_PAGEOUT), populates them
	 * (MADV_POPULATE_*) and lets MADV_DOFORK clear VM_DONTCOPY.  -1:
	 * not tried there: MADV_HWPOISON and MADV_SOFT_OFFLINE would inject
	 * a memory error into a page of the pool (CAP_SYS_ADMIN only).
	 */
	static const struct {
		int advice, err, perr;
		const char *name;
	} cases[] = {
		{ MADV_FREE, EINVAL, EINVAL, "MADV_FREE" },
		{ MADV_REMOVE, ENODEV, ENODEV, "MADV_REMOVE" },
		{ MADV_COLD, EINVAL, 0, "MADV_COLD" },
		{ MADV_PAGEOUT, EINVAL, 0, "MADV_PAGEOUT" },
		{ MADV_POPULATE_READ, EINVAL, 0, "MADV_POPULATE_READ" },
		{ MADV_POPULATE_WRITE, EINVAL, 0, "MADV_POPULATE_WRITE" },
		{ MADV_HWPOISON, EFAULT, -1, "MADV_HWPOISON" },
		{ MADV_SOFT_OFFLINE, EFAULT, -1, "MADV_SOFT_OFFLINE" },
		{ MADV_DOFORK, EINVAL, 0, "MADV_DOFORK" },
		{ MADV_WIPEONFORK, EINVAL, EINVAL, "MADV_WIPEONFORK" },
		{ MADV_NORMAL, 0, 0, "MADV_NORMAL" },
		{ MADV_RANDOM, 0, 0, "MADV_RANDOM" },
		{ MADV_SEQUENTIAL, 0, 0, "MADV_SEQUENTIAL" },
		{ MADV_WILLNEED, 0, 0, "MADV_WILLNEED" },
		{ MADV_DONTFORK, 0, 0, "MADV_DONTFORK" },
		{ MADV_KEEPONFORK, 0, 0, "MADV_KEEPONFORK" },
		{ MADV_DONTDUMP, 0, 0, "MADV_DONTDUMP" },
		{ MADV_HUGEPAGE, 0, 0, "MADV_HUGEPAGE" },
		{ MADV_NOHUGEPAGE, 0, 0, "MADV_NOHUGEPAGE" },
		{ MADV_MERGEABLE, 0, 0, "MADV_MERGEABLE" },
		{ MADV_UNMERGEABLE, 0, 0, "MADV_UNMERGEABLE" },
	};
	size_t len = 4 * self->ps, k;
	struct palloc_ioc_alloc a;
	int got, want;
	char *p;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	for (k = 0; k < PB_ARRAY_SIZE(cases); k++) {
		want = cases[k].err;
		if (pb_pages(self))
			want = cases[k].perr;
		if (want < 0)
			continue;
		/* Length 0 only asks whether the kernel knows the advice at all. */
		if (madvise(p, 0, cases[k].advice)) {
			TH_LOG("%s: unknown to this kernel (%s)", cases[k].name, strerror(errno));
			continue;
		}
		got = 0;
		if (madvise(p, len, cases[k].advice))
			got = errno;
		EXPECT_EQ(want, got) TH_LOG("%s: %s, want %s", cases[k].name,
					    strerror(got), strerror(want));
		EXPECT_EQ(0, pb_probe_pages(p, len, self->ps)) TH_LOG("after %s", cases[k].name);
	}
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mlock()/munlock() succeed and change nothing (the pages are never
 * swapped anyway); msync(MS_SYNC) fails with EINVAL (the device has no
 * fsync: there is nothing behind the pages to write back); MS_ASYNC and
 * MS_INVALIDATE succeed.
 */
TEST_F(pb, mlock_msync_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	char *p;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	EXPECT_EQ(0, mlock(p, len)) TH_LOG("mlock: %s", strerror(errno));
	EXPECT_EQ(0, munlock(p, len));
	errno = 0;
	EXPECT_EQ(-1, msync(p, len, MS_SYNC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, msync(p, len, MS_ASYNC)) TH_LOG("MS_ASYNC: %s", strerror(errno));
	EXPECT_EQ(0, msync(p, len, MS_INVALIDATE)) TH_LOG("MS_INVALIDATE: %s", strerror(errno));
	EXPECT_EQ(0, pb_probe_pages(p, len, self->ps));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* --- fork, mprotect, mremap, mmap flags --- */

/*
 * fork() with a live mapping: the child does not have it (SIGSEGV at the
 * address), but it shares the open file and so may map the run itself and
 * see and change the same pages; its exit (or its close() of the shared
 * file) frees nothing of the parent's.
 */
TEST_F(pb, fork_with_live_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	int status;
	pid_t pid;
	char *p, last;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	last = p[len - 1];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c = 0, *q;

		if (pb_probe(p, 0, &c) != SIGSEGV)
			_exit(10);
		if (pb_probe(p + len - 1, 1, NULL) != SIGSEGV)
			_exit(11);
		q = pb_map(self->fd, a.offset, 4);
		if (q == MAP_FAILED)
			_exit(12);
		if (pb_pattern_diff(q, len, PB_F14_TAG) != len)
			_exit(13);
		if (pb_free(self->fd, a.offset, 3) != EBUSY)
			_exit(14);
		close(self->fd);
		q[len - 1] = (char)~last;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x (10/11: no SIGSEGV, 12: mmap, 13: data, 14: FREE)",
		       status);
	/* The child's store reached the same page. */
	EXPECT_EQ((char)~last, p[len - 1]);
	p[len - 1] = last;
	/* Its exit freed nothing: the run is ours, and still busy with our mapping. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse + 4, st.pages_inuse);
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mprotect() works as on any shared file mapping: PROT_NONE and PROT_READ
 * make stores (and loads) fault with SIGSEGV, PROT_EXEC is allowed, and
 * the data is untouched throughout.
 */
TEST_F(pb, mprotect_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	char *p, c;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_EXEC)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, pb_probe(p, 0, &c));
	EXPECT_EQ(SIGSEGV, pb_probe(p, 1, NULL));
	ASSERT_EQ(0, mprotect(p, len, PROT_NONE));
	EXPECT_EQ(SIGSEGV, pb_probe(p + self->ps, 0, &c));
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(0, pb_probe(p + self->ps, 0, &c));
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mremap(): growing fails with EFAULT (the mapping cannot expand, even
 * over pages the file owns), MREMAP_DONTUNMAP with EINVAL, duplicating
 * (old_size 0) with EFAULT; shrinking works and, like a partial munmap(),
 * keeps the whole run busy until the rest is unmapped.
 */
TEST_F(pb, mremap_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	char *p, *q;

	p = pb_run_setup(_metadata, self, 8, PB_F14_TAG, &a);
	/* Map the first half only: the second half is owned, yet no growth. */
	ASSERT_EQ(0, munmap(p + len, len));
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, 0, len, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	EXPECT_EQ(EINVAL, errno);

	q = mremap(p, len, self->ps, 0);
	ASSERT_EQ(p, q) TH_LOG("shrink: %s", strerror(errno));
	EXPECT_EQ(self->ps, pb_pattern_diff(p, self->ps, PB_F14_TAG));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 7));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset + 7 * self->ps, 1));
	ASSERT_EQ(0, munmap(p, self->ps));
	/* All unmapped: the whole run (with the data) is free to map again. */
	p = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, p);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mmap() as a new user might call it: MAP_PRIVATE is EINVAL; an offset
 * that is not page aligned or a length of 0 is EINVAL (mmap() itself);
 * a length is rounded up to whole pages, and pages the file does not own
 * (past the run) are EACCES; past the range EINVAL; MAP_SHARED_VALIDATE
 * works, with MAP_SYNC it is EOPNOTSUPP; MAP_HUGETLB is EINVAL; PROT_EXEC,
 * PROT_NONE, MAP_POPULATE and MAP_LOCKED work.
 */
TEST_F(pb, mmap_new_user)
{
	static const struct {
		int prot, flags, err;
		const char *name;
	} cases[] = {
		{ PROT_READ | PROT_WRITE, MAP_PRIVATE, EINVAL, "MAP_PRIVATE" },
		{ PROT_READ, MAP_PRIVATE, EINVAL, "MAP_PRIVATE read-only" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, 0, "MAP_SHARED_VALIDATE" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, EOPNOTSUPP, "MAP_SYNC" },
		{ PROT_READ | PROT_EXEC, MAP_SHARED, 0, "PROT_EXEC" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, 0, "MAP_POPULATE" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, 0, "MAP_LOCKED" },
		{ PROT_NONE, MAP_SHARED, 0, "PROT_NONE" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED | MAP_HUGETLB, EINVAL, "MAP_HUGETLB" },
	};
	struct palloc_ioc_alloc a;
	size_t k;
	void *q;
	char *p;
	int got;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	for (k = 0; k < PB_ARRAY_SIZE(cases); k++) {
		q = mmap(NULL, 4 * self->ps, cases[k].prot, cases[k].flags, self->fd,
			 (off_t)a.offset);
		got = q == MAP_FAILED ? errno : 0;
		EXPECT_EQ(cases[k].err, got) TH_LOG("%s: %s, want %s", cases[k].name,
						    strerror(got), strerror(cases[k].err));
		if (q != MAP_FAILED) {
			if (cases[k].prot & PROT_READ)
				EXPECT_EQ(4 * self->ps,
					  pb_pattern_diff(q, 4 * self->ps, PB_F14_TAG));
			EXPECT_EQ(0, munmap(q, 4 * self->ps));
		}
	}
	/* A length is rounded up to whole pages, each of which must be owned. */
	q = mmap(NULL, 4 * self->ps - 100, PROT_READ, MAP_SHARED, self->fd, (off_t)a.offset);
	EXPECT_NE(MAP_FAILED, q);
	if (q != MAP_FAILED)
		EXPECT_EQ(0, munmap(q, 4 * self->ps - 100));
	q = mmap(NULL, 4 * self->ps + 1, PROT_READ, MAP_SHARED, self->fd, (off_t)a.offset);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset + 1, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset + self->ps / 2, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset, 0, MAP_SHARED));
	EXPECT_EQ(EACCES, pb_map_errno(self->fd, a.offset, 5, MAP_SHARED));
	EXPECT_EQ(EACCES, pb_map_errno(self->fd, a.offset + 4 * self->ps, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, self->info.npages * self->ps, 1, MAP_SHARED));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * The open mode decides only what mappings may do: a file opened O_RDONLY
 * or O_WRONLY uses every ioctl (the ioctls do not look at the mode); an
 * O_RDONLY file maps read-only (PROT_WRITE is EACCES, as for any file);
 * an O_WRONLY file cannot be mapped at all (EACCES: mmap() needs a file
 * open for reading).
 */
TEST_F(pb, open_modes)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	struct palloc_ioc_scavenge sc;
	struct palloc_ioc_info info;
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	__u64 seen = 0;
	size_t k;
	void *q;
	int fd;

	for (k = 0; k < PB_ARRAY_SIZE(modes); k++) {
		fd = open(PB_DEV, modes[k] | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, pb_ioctl(fd, PALLOC_IOC_INFO, &info));
		ASSERT_EQ(0, pb_alloc(fd, 2, 0, 0, &a));
		EXPECT_EQ(0, pb_stats(fd, &st));
		EXPECT_EQ(2, st.owned_pages);
		sc = (struct palloc_ioc_scavenge){ .npages = 1 };
		EXPECT_EQ(0, pb_ioctl(fd, PALLOC_IOC_SCAVENGE, &sc));
		EXPECT_EQ(EACCES, pb_map_errno(fd, a.offset, 2, MAP_SHARED));
		q = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, fd, (off_t)a.offset);
		if (modes[k] == O_RDONLY) {
			ASSERT_NE(MAP_FAILED, q) TH_LOG("%s", strerror(errno));
			EXPECT_EQ(2 * self->ps, pb_first_nonzero(q, 2 * self->ps));
			EXPECT_EQ(EBUSY, pb_free(fd, a.offset, 1));
			EXPECT_EQ(0, munmap(q, 2 * self->ps));
		} else {
			EXPECT_EQ(MAP_FAILED, q);
			EXPECT_EQ(EACCES, errno);
		}
		EXPECT_EQ(0, pb_free(fd, a.offset, 2));
		ASSERT_EQ(0, pb_alloc(fd, 3, 0, 0, &a));
		close(fd);	/* frees the second run */
		EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
			TH_LOG("pages_inuse %llu, baseline %llu", seen, self->base.pages_inuse);
	}
}

/*
 * The device file besides ioctl and mmap: read() and write() fail with
 * EINVAL, and so do pread(), pwrite(), fsync(), ftruncate() and splice()
 * out of it;
 * fallocate() is ENODEV; lseek() succeeds and does nothing (returns 0);
 * poll() reports it always ready.
 */
TEST_F(pb, device_file_io)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	char buf[64] = { 0 };
	int pipefd[2];

	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, fsync(self->fd));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ftruncate(self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	errno = 0;
	EXPECT_EQ(-1, splice(self->fd, NULL, pipefd[1], NULL, 4096, SPLICE_F_NONBLOCK));
	EXPECT_EQ(EINVAL, errno);
	close(pipefd[0]);
	close(pipefd[1]);
	errno = 0;
	EXPECT_EQ(-1, fallocate(self->fd, 0, 0, 4096));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, lseek(self->fd, 4096, SEEK_SET));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents & (POLLIN | POLLOUT));
}

/*
 * What /proc shows: the mapping in /proc/PID/maps with the device's path
 * and the run's offset; in smaps VmFlags with dc (not copied on fork), de
 * (not expandable), dd (not in core dumps), and mm (mixed map: struct
 * pages, and hg where 2 MiB entries are used) or io and pf (PFN map).  Rss
 * counts grabbed RAM pages mapped (they are refcounted like file pages);
 * ZONE_DEVICE pages and PFNs are not counted as the process's memory.
 */
TEST_F(pb, mapping_in_proc)
{
	static const char * const pfn_flags[] = { " sh", " io", " dc", " de", " dd", " pf" };
	static const char * const page_flags[] = { " sh", " dc", " de", " dd", " mm" };
	const char * const *flags = pb_pages(self) ? page_flags : pfn_flags;
	size_t nflags = pb_pages(self) ? PB_ARRAY_SIZE(page_flags) : PB_ARRAY_SIZE(pfn_flags);
	unsigned long rss_kb = 0;
	char head[64], vmflags[256], *text, *entry, *line, *end;
	unsigned long long off = ~0ULL;
	struct palloc_ioc_alloc a;
	int fields;
	size_t k;
	char *p;

	p = pb_run_setup(_metadata, self, 3, PB_F14_TAG, &a);
	snprintf(head, sizeof(head), "%lx-%lx ", (unsigned long)p,
		 (unsigned long)(p + 3 * self->ps));

	text = pb_slurp("/proc/self/maps");
	ASSERT_NE(NULL, text);
	line = strstr(text, head);
	ASSERT_NE(NULL, line) TH_LOG("no %s in /proc/self/maps", head);
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	fields = sscanf(line + strlen(head), "rw-s %llx", &off);
	EXPECT_EQ(1, fields) TH_LOG("%s", line);
	EXPECT_EQ(a.offset, off) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " " PB_DEV)) TH_LOG("%s", line);
	free(text);

	text = pb_slurp("/proc/self/smaps");
	ASSERT_NE(NULL, text);
	entry = strstr(text, head);
	ASSERT_NE(NULL, entry);
	line = strstr(entry, "\nRss:");
	ASSERT_NE(NULL, line);
	if (pb_pages(self) && self->info.mode == PALLOC_MODE_GRABBED)
		rss_kb = 3 * self->ps / 1024;
	EXPECT_EQ(rss_kb, strtoul(line + strlen("\nRss:"), NULL, 10)) TH_LOG("%.40s", line + 1);
	line = strstr(entry, "\nVmFlags:");
	ASSERT_NE(NULL, line);
	snprintf(vmflags, sizeof(vmflags), "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
	free(text);
	for (k = 0; k < nflags; k++) {
		bool has = strstr(vmflags, flags[k]);

		EXPECT_TRUE(has) TH_LOG("%s lacks%s", vmflags, flags[k]);
	}
	if (self->info.features & PALLOC_FEATURE_HUGE)
		EXPECT_NE(NULL, strstr(vmflags, " hg")) TH_LOG("%s lacks hg", vmflags);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * futex(2) on a word in a mapping: a shared futex (no FUTEX_PRIVATE_FLAG)
 * fails with EFAULT, to wait and to wake: its key needs a page of an
 * address space (anonymous or page cache), and the pages have none (with
 * PFN mappings there is no page to pin at all); a private futex works
 * (threads of one process).
 */
TEST_F(pb, futex_on_mapping)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
	struct palloc_ioc_alloc a;
	__u32 *w;
	char *p;

	p = pb_run_setup(_metadata, self, 1, PB_F14_TAG, &a);
	w = (__u32 *)(p + 64);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT, *w, &ts, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT, *w + 1, &ts, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, *w, &ts, NULL, 0));
	EXPECT_EQ(ETIMEDOUT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, *w + 1, &ts, NULL, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * The ioctls' argument structures may live in a mapping (the kernel copies
 * them like any user memory); FREE of the run holding its own argument
 * drops the file's hold, and the mapping keeps the run.
 */
TEST_F(pb, ioctl_args_in_mapping)
{
	struct palloc_ioc_stats st, *stp;
	struct palloc_ioc_alloc a, *ap;
	struct palloc_ioc_info *ip;
	struct palloc_ioc_free *fp;
	char *p, *q;

	ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 1);
	ASSERT_NE(MAP_FAILED, p);
	ip = (struct palloc_ioc_info *)p;
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, ip));
	EXPECT_EQ(self->info.npages, ip->npages);
	ap = (struct palloc_ioc_alloc *)(p + 256);
	memset(ap, 0, sizeof(*ap));
	ap->npages = 3;
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_ALLOC, ap));
	EXPECT_EQ(3, ap->npages);
	q = pb_map(self->fd, ap->offset, 3);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(3 * self->ps, pb_first_nonzero(q, 3 * self->ps));
	ASSERT_EQ(0, munmap(q, 3 * self->ps));
	stp = (struct palloc_ioc_stats *)(p + 512);
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_STATS, stp));
	EXPECT_EQ(4, stp->owned_pages);
	fp = (struct palloc_ioc_free *)(p + 1024);
	*fp = (struct palloc_ioc_free){ .offset = ap->offset, .npages = 3 };
	EXPECT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_FREE, fp));
	*fp = (struct palloc_ioc_free){ .offset = a.offset, .npages = 1 };
	EXPECT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_FREE, fp));
	EXPECT_EQ(a.offset, fp->offset);
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_STATS, stp));
	EXPECT_EQ(1, stp->pages_held);
	ASSERT_EQ(0, munmap(p, self->ps));
	EXPECT_EQ(EINVAL, pb_free(self->fd, a.offset, 1));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
}

/*
 * /proc/PID/pagemap of a mapping of struct pages: present, with the frame
 * number for CAP_SYS_ADMIN (it equals palloc_ioc_alloc.phys).  The kernel
 * does not walk PFN mappings: there every page reads as not present and
 * without a frame number, even for CAP_SYS_ADMIN, and
 * palloc_ioc_alloc.phys is the only way to the physical address.
 */
TEST_F(pb, mapping_pagemap)
{
	const __u64 present = 1ULL << 63, pfn_mask = (1ULL << 55) - 1;
	struct palloc_ioc_alloc a;
	__u64 e, i;
	char *p;
	int pm;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	ASSERT_NE(0, a.phys);
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pm);
	for (i = 0; i < 4; i++) {
		off_t at = (off_t)((uintptr_t)(p + i * self->ps) / self->ps * 8);

		ASSERT_EQ(8, pread(pm, &e, 8, at));
		if (pb_pages(self)) {
			EXPECT_TRUE(e & present) TH_LOG("page %llu: pagemap %#llx", i, e);
			EXPECT_EQ(a.phys / self->ps + i, e & pfn_mask)
				TH_LOG("page %llu: pagemap %#llx", i, e);
		} else {
			EXPECT_EQ(0, e & (present | pfn_mask))
				TH_LOG("page %llu: pagemap %#llx", i, e);
		}
	}
	/* Ordinary memory is shown (the reader works here). */
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	ASSERT_EQ(8, pread(pm, &e, 8, (off_t)((uintptr_t)pb_plain / self->ps * 8)));
	EXPECT_TRUE(e & present) TH_LOG("pagemap %#llx", e);
	close(pm);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

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
 * Memory pressure, then regrowth.  After the pool shrank, a child fills
 * the kernel's free memory with anonymous pages (into the chunks given
 * back, among others) and keeps them; a whole-range ALLOC must then take
 * the chunks back by migrating those pages away.  The test reports the
 * grow latency per 2 MiB chunk (median, p99, from the palloc_grow
 * tracepoint) and the share of windows grown on the first try.
 */
TEST_F_TIMEOUT(pb, elastic_pressure, 120)
{
	struct palloc_ioc_stats st0, st1;
	struct palloc_ioc_alloc a;
	int up[2], ret, n, status, fd;
	__u64 ns[512];
	long long avail;
	char *trace, c;
	pid_t pid;

	if (!(self->info.features & PALLOC_FEATURE_ELASTIC)) {
		ASSERT_EQ(0, pb_stats(self->fd, &st0));
		EXPECT_EQ(0, st0.grow_attempts);
		return;
	}
	pb_scavenge_all(self->fd, self->info.npages);
	ASSERT_EQ(0, pb_stats(self->fd, &st0));
	ASSERT_LT(st0.pages_present, self->info.npages);
	avail = pb_kernel_free_pages();
	ASSERT_LT(0, avail);
	ASSERT_EQ(0, pipe2(up, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* All but 128 MiB of the free memory, touched, kept. */
		size_t len = (avail - (128 << 20) / pb_page_size()) * pb_page_size(), off;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (m == MAP_FAILED)
			_exit(2);
		for (off = 0; off < len; off += pb_page_size())
			m[off] = 1;
		if (write(up[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(up[1]);
	ASSERT_EQ(1, read(up[0], &c, 1));
	close(up[0]);
	TH_LOG("a child holds %lld MiB of anonymous memory; kernel free now %lld pages",
	       (avail * (long long)self->ps - (128 << 20)) >> 20, pb_kernel_free_pages());

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
	/*
	 * In ZONE_MOVABLE every page in the way is movable: the pool must
	 * come back.  In a normal zone unmovable allocations (the child's page
	 * tables, the kernel's own) may have landed in a returned chunk: then
	 * the kernel refuses, which the pool must report as ENOMEM with the
	 * refusal counted and nothing changed.
	 */
	if (!strcmp(getenv("PB_ELASTIC"), "movable") || !ret) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(self->info.npages, st1.pages_present);
	} else {
		EXPECT_EQ(ENOMEM, ret);
		EXPECT_LT(st0.grow_failures, st1.grow_failures);
		EXPECT_TRUE(pb_stats_consistent(&st1));
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!ret)
		EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	/*
	 * The pressure gone: in ZONE_MOVABLE the whole range comes back.  In a
	 * normal zone an unmovable page the kernel put into a returned chunk
	 * may outlive the child (the PREEMPT_RT run sees this): then ENOMEM
	 * again, consistently.
	 */
	ret = pb_alloc(self->fd, self->info.npages, 0, 0, &a);
	TH_LOG("whole-range ALLOC without the pressure: %s", ret ? strerror(ret) : "ok");
	EXPECT_TRUE(!ret || (ret == ENOMEM && strcmp(getenv("PB_ELASTIC"), "movable")));
	if (!ret)
		EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	ASSERT_EQ(0, pb_stats(self->fd, &st1));
	EXPECT_TRUE(pb_stats_consistent(&st1));
	EXPECT_TRUE(pb_check_ok());
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
	if (movable || !ret) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(self->info.npages, st1.pages_present);
	} else {
		EXPECT_EQ(ENOMEM, ret);
		EXPECT_LT(st0.grow_failures, st1.grow_failures);
		EXPECT_TRUE(pb_stats_consistent(&st1));
	}
	if (!ret)
		EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	pb_unhog(pip);

	/* The pipes gone; an unmovable page of the kernel's may stay behind. */
	ret = pb_alloc(self->fd, self->info.npages, 0, 0, &a);
	TH_LOG("whole-range ALLOC after the pipes closed: %s", ret ? strerror(ret) : "ok");
	EXPECT_TRUE(!ret || (ret == ENOMEM && !movable));
	if (!ret)
		EXPECT_EQ(0, pb_free(self->fd, a.offset, a.npages));
	ASSERT_EQ(0, pb_stats(self->fd, &st1));
	EXPECT_TRUE(pb_stats_consistent(&st1));
	EXPECT_TRUE(pb_check_ok());
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

/* ------------------------------------------------------------------ */
/* Fuzz: random ioctl and mmap sequences checked against a model      */
/* ------------------------------------------------------------------ */

/*
 * A fuzz worker holds PB_FUZZ_SLOTS open files and models what each of
 * them owns (page by page), which pages it has mapped where, and what every
 * owned page holds.  Each step picks an operation and its arguments at
 * random, boundary values often, sometimes with the argument structure at
 * an odd address, in a read-only page or behind a bad pointer; computes
 * from the model every outcome the uapi allows; makes the call and compares.
 * After every step STATS.owned_pages of each open file must be the model's.
 *
 * A valid ALLOC may fail with ENOMEM when other processes use the device.
 * In exact mode (one worker alone, the background scavenger paused) the
 * model predicts that too, and the global counters: pages_inuse, allocs,
 * frees, alloc_failures, free_errors, pages_released and scavenge_runs.
 *
 * Environment: PB_FUZZ_SEED (default: from the clock), PB_FUZZ_OPS (steps
 * per worker, default 25000), PB_FUZZ_SECONDS (per worker, default 6 with
 * several workers, 4 alone); or pb_fuzz_seed=... on the kernel command line.
 */
#define PB_FUZZ_WORKERS		4
#define PB_FUZZ_SLOTS		2	/* open files per worker */
#define PB_FUZZ_MAPS		8	/* live mappings per worker */
#define PB_FUZZ_MAP_PAGES	512	/* pages per mapping, at most */
#define PB_FUZZ_HIST		12	/* steps shown after a failure */
#define PB_FUZZ_FREED		4	/* freed ranges kept for double frees */
#define PB_FUZZ_WHAT		192

enum {
	PB_FOP_ALLOC,
	PB_FOP_FREE,
	PB_FOP_SCAVENGE,
	PB_FOP_STATS,
	PB_FOP_INFO,
	PB_FOP_BADCMD,
	PB_FOP_MMAP,
	PB_FOP_MUNMAP,
	PB_FOP_VERIFY,
	PB_FOP_REOPEN,
	PB_FOP_NR
};

static const char * const pb_fop_names[PB_FOP_NR] = {
	"alloc", "free", "scavenge", "stats", "info", "badcmd", "mmap", "munmap", "verify",
	"reopen",
};

/* How often each operation is picked, in percent. */
static const unsigned int pb_fop_weight[PB_FOP_NR] = {
	25, 24, 4, 3, 3, 4, 15, 10, 10, 2,
};

/* Where an ioctl's argument structure is put. */
enum {
	PB_ARG_STACK,		/* an ordinary variable */
	PB_ARG_ODD,		/* an odd address: works like the stack */
	PB_ARG_RO,		/* a read-only page: inputs read, outputs fault */
	PB_ARG_BAD,		/* NULL, 1, a kernel address, PROT_NONE, straddling */
	PB_ARG_NR
};

static const char * const pb_arg_names[PB_ARG_NR] = { "stack", "odd", "ro", "bad" };

/* The errnos told apart; the last counter is for any other. */
static const int pb_fuzz_errnos[] = {
	0, EINVAL, ENOMEM, EBUSY, EFAULT, ENOTTY, EACCES, EOVERFLOW,
};

static const char * const pb_fuzz_errno_names[] = {
	"ok", "EINVAL", "ENOMEM", "EBUSY", "EFAULT", "ENOTTY", "EACCES", "EOVERFLOW", "other",
};

#define PB_FUZZ_NERR	(PB_ARRAY_SIZE(pb_fuzz_errnos) + 1)

/* What a worker reports, in a MAP_SHARED page. */
struct pb_fuzz_result {
	__u64 seed;
	__u64 steps;
	__u64 by_op[PB_FOP_NR];
	__u64 by_arg[PB_ARG_NR];
	__u64 by_err[PB_FUZZ_NERR];
	__u64 alloc_ok;		/* ALLOCs that returned a run */
	__u64 alloc_rollback;	/* ALLOCs that allocated, faulted and freed again */
	__u64 alloc_nomem;	/* ALLOCs that failed with ENOMEM: alloc_failures */
	__u64 free_ok;
	__u64 free_refused;	/* FREEs that failed, whatever the errno: free_errors */
	__u64 pages_checked;	/* pages whose contents were verified */
	__u64 held_max;		/* most pages held at once */
	double secs;
	int failed;
};

/* A mapping of the worker's: the pages it was given stay busy until all are unmapped. */
struct pb_fuzz_map {
	char *addr;
	__u64 start, npages;
	__u64 nlive;			/* pages still mapped */
	unsigned char *live;		/* per page: still mapped */
	unsigned int id;		/* the open file it maps */
	bool rdonly;
};

struct pb_fuzz {
	unsigned int wid;
	bool exact;
	__u64 seed, rng, step;
	__u64 ps, npages, phys_base;
	struct palloc_ioc_info info;
	int fd[PB_FUZZ_SLOTS];
	unsigned int id[PB_FUZZ_SLOTS], next_id;
	__u64 owned[PB_FUZZ_SLOTS];	/* pages each open file owns */
	__u64 held;			/* pages owned by all our files, closed ones too */
	unsigned short *owner;		/* per page: id of our file owning it, or 0 */
	unsigned char *first;		/* per page: a run we own starts here */
	__u64 *tag;			/* per owned page: what it holds, 0 = zeroes */
	struct pb_fuzz_map map[PB_FUZZ_MAPS];
	unsigned int nmaps;
	__u64 freed_start[PB_FUZZ_FREED], freed_n[PB_FUZZ_FREED];
	unsigned int nfreed;
	char *scratch;			/* a writable page; the guard page follows */
	char *guard;			/* PROT_NONE */
	char *ro;			/* a page made read-only around a call */
	struct palloc_ioc_stats want;	/* exact mode: the global counters */
	bool resync_frees, resync_released;
	struct pb_fuzz_result *res;
	char what[PB_FUZZ_WHAT];
	char hist[PB_FUZZ_HIST][PB_FUZZ_WHAT];
};

/* splitmix64 */
static __u64 pb_fuzz_next(__u64 *s)
{
	__u64 x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __u64 pb_fuzz_rand(struct pb_fuzz *z)
{
	return pb_fuzz_next(&z->rng);
}

/* 0 .. n - 1 (0 for n == 0) */
static __u64 pb_fuzz_below(struct pb_fuzz *z, __u64 n)
{
	return n ? pb_fuzz_rand(z) % n : 0;
}

static bool pb_fuzz_chance(struct pb_fuzz *z, unsigned int percent)
{
	return pb_fuzz_below(z, 100) < percent;
}

static bool pb_is_pow2(__u64 x)
{
	return x && !(x & (x - 1));
}

static __u64 pb_env_u64_any(const char *upper, const char *lower, __u64 dflt)
{
	const char *s = getenv(upper);

	if (!s || !*s)
		s = getenv(lower);
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static unsigned int pb_fuzz_errno_index(int err)
{
	unsigned int i;

	for (i = 0; i < PB_ARRAY_SIZE(pb_fuzz_errnos); i++)
		if (pb_fuzz_errnos[i] == err)
			return i;
	return PB_ARRAY_SIZE(pb_fuzz_errnos);
}

/* The bit of @err in a mask of allowed outcomes. */
static unsigned int pb_fb(int err)
{
	return 1u << pb_fuzz_errno_index(err);
}

static const char *pb_fuzz_errno_name(int err)
{
	unsigned int i = pb_fuzz_errno_index(err);

	return i < PB_ARRAY_SIZE(pb_fuzz_errnos) ? pb_fuzz_errno_names[i] : strerror(err);
}

/* Append to the description of the current step. */
static void pb_fuzz_say(struct pb_fuzz *z, const char *fmt, ...)
{
	size_t len = strlen(z->what);
	va_list ap;

	if (len >= sizeof(z->what) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(z->what + len, sizeof(z->what) - len, fmt, ap);
	va_end(ap);
}

/* Report a failure of the current step, with the seed and the steps before it. */
static int pb_fuzz_fail(struct pb_fuzz *z, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	__u64 i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# fuzz %u: FAIL at step %llu (seed %#llx%s): %s\n", z->wid, z->step,
		z->seed, z->exact ? ", exact" : "", msg);
	fprintf(stderr, "# fuzz %u:   step %llu: %s\n", z->wid, z->step, z->what);
	i = z->step > PB_FUZZ_HIST ? z->step - PB_FUZZ_HIST : 0;
	fprintf(stderr, "# fuzz %u:   the steps before it:\n", z->wid);
	for (; i < z->step; i++)
		fprintf(stderr, "# fuzz %u:   step %llu: %s\n", z->wid, i,
			z->hist[i % PB_FUZZ_HIST]);
	z->res->failed = 1;
	return -1;
}

/* Count the outcome @got of a call; fail unless it is in the mask @ok. */
static int pb_fuzz_expect(struct pb_fuzz *z, int got, unsigned int ok)
{
	char want[96] = "";
	unsigned int i;

	z->res->by_err[pb_fuzz_errno_index(got)]++;
	pb_fuzz_say(z, " = %s", pb_fuzz_errno_name(got));
	if (pb_fb(got) & ok)
		return 0;
	for (i = 0; i < PB_ARRAY_SIZE(pb_fuzz_errnos); i++)
		if (ok & (1u << i))
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
				 want[0] ? "|" : "", pb_fuzz_errno_names[i]);
	return pb_fuzz_fail(z, "got %s, want %s", pb_fuzz_errno_name(got), want);
}

/* --- The model --- */

/* Does open file @s own every page of [start, start + n)? */
static bool pb_fuzz_owns(struct pb_fuzz *z, unsigned int s, __u64 start, __u64 n)
{
	__u64 p;

	for (p = start; p < start + n; p++)
		if (z->owner[p] != z->id[s])
			return false;
	return true;
}

/* Does a mapping of open file @s hold a page of [start, start + n) busy? */
static bool pb_fuzz_busy(struct pb_fuzz *z, unsigned int s, __u64 start, __u64 n)
{
	unsigned int k;

	for (k = 0; k < z->nmaps; k++) {
		struct pb_fuzz_map *m = &z->map[k];

		if (m->id == z->id[s] && start < m->start + m->npages && m->start < start + n)
			return true;
	}
	return false;
}

/*
 * The runs of open file @s that [start, start + n) overlaps: is one that
 * the range cuts (covers only partly) mapped, and is one that it covers
 * whole mapped?  A mapping holds every run it was created over.
 */
static unsigned int pb_fuzz_runs_mapped(struct pb_fuzz *z, unsigned int s, __u64 start, __u64 n,
					bool *cut_mapped, bool *whole_mapped)
{
	unsigned int id = z->id[s], nruns = 0;
	__u64 p = start, rs, re;

	*cut_mapped = *whole_mapped = false;
	while (p < start + n) {
		if (z->owner[p] != id) {
			p++;
			continue;
		}
		for (rs = p; rs > 0 && z->owner[rs - 1] == id && !z->first[rs]; rs--)
			;
		for (re = p + 1; re < z->npages && z->owner[re] == id && !z->first[re]; re++)
			;
		if (pb_fuzz_busy(z, s, rs, re - rs)) {
			if (rs < start || re > start + n)
				*cut_mapped = true;
			else
				*whole_mapped = true;
		}
		nruns++;
		p = re;
	}
	return nruns;
}

/*
 * A random run open file @s owns, as ALLOC returned it (or what is left of
 * it), or with @extent the whole stretch of adjacent owned pages around it.
 */
static bool pb_fuzz_pick(struct pb_fuzz *z, unsigned int s, bool extent, __u64 *start,
			 __u64 *n)
{
	unsigned int id = z->id[s];
	__u64 p0, p = 0, e, i;

	if (!z->owned[s])
		return false;
	p0 = pb_fuzz_below(z, z->npages);
	for (i = 0; i < z->npages; i++) {
		p = (p0 + i) % z->npages;
		if (z->owner[p] == id)
			break;
	}
	if (i == z->npages)
		return false;
	while (p > 0 && z->owner[p - 1] == id && (extent || !z->first[p]))
		p--;
	e = p + 1;
	while (e < z->npages && z->owner[e] == id && (extent || !z->first[e]))
		e++;
	*start = p;
	*n = e - p;
	return true;
}

/* Narrow [start, start + n) to a random prefix, suffix, middle or page of it. */
static void pb_fuzz_part(struct pb_fuzz *z, __u64 *start, __u64 *n)
{
	__u64 a = 0, b = *n;

	switch (pb_fuzz_below(z, 4)) {
	case 0:
		b = 1 + pb_fuzz_below(z, *n);
		break;
	case 1:
		a = pb_fuzz_below(z, *n);
		break;
	case 2:
		a = pb_fuzz_below(z, *n);
		b = a + 1 + pb_fuzz_below(z, *n - a);
		break;
	default:
		a = pb_fuzz_below(z, *n);
		b = a + 1;
		break;
	}
	*start += a;
	*n = b - a;
}

/* Is there an @align aligned run of @n pages that none of our files holds? */
static bool pb_fuzz_fits(struct pb_fuzz *z, __u64 n, __u64 align)
{
	__u64 p = 0, q;

	if (align < 1)
		align = 1;
	for (;;) {
		p = (p + align - 1) / align * align;
		if (p > z->npages || n > z->npages - p)
			return false;
		for (q = p; q < p + n && !z->owner[q]; q++)
			;
		if (q == p + n)
			return true;
		p = q + 1;
	}
}

/* The words a page's contents are checked by: the first, one in the middle, the last. */
static void pb_fuzz_words(struct pb_fuzz *z, __u64 page, __u64 *w)
{
	__u64 t = z->tag[page];

	w[0] = t;
	w[1] = t ? pb_tag(t, page) : 0;
	w[2] = t ? ~t : 0;
}

/* Check page @i of mapping @m against the model. */
static int pb_fuzz_check_page(struct pb_fuzz *z, struct pb_fuzz_map *m, __u64 i)
{
	__u64 words = z->ps / 8, page = m->start + i, want[3];
	__u64 *w = (__u64 *)(m->addr + i * z->ps);
	size_t len;

	pb_fuzz_words(z, page, want);
	z->res->pages_checked++;
	if (w[0] != want[0] || w[words / 2] != want[1] || w[words - 1] != want[2])
		return pb_fuzz_fail(z,
				    "page %#llx (mapping %#llx+%llu, page %llu) holds %#llx %#llx %#llx, want %#llx %#llx %#llx",
				    page, m->start, m->npages, i, w[0], w[words / 2],
				    w[words - 1], want[0], want[1], want[2]);
	if (z->tag[page])
		return 0;
	/* A page nobody wrote since it was allocated: zero, all of it sometimes. */
	len = pb_fuzz_chance(z, 15) ? z->ps : 64;
	if (pb_first_nonzero(w, len) != len)
		return pb_fuzz_fail(z, "page %#llx is not zero at byte %zu: another owner's data",
				    page, pb_first_nonzero(w, len));
	return 0;
}

static void pb_fuzz_write_page(struct pb_fuzz *z, struct pb_fuzz_map *m, __u64 i)
{
	__u64 words = z->ps / 8, page = m->start + i, want[3];
	__u64 *w = (__u64 *)(m->addr + i * z->ps);

	z->tag[page] = pb_fuzz_rand(z) | 1;
	pb_fuzz_words(z, page, want);
	w[0] = want[0];
	w[words / 2] = want[1];
	w[words - 1] = want[2];
}

/* Check the live pages [a, b) of mapping @m; rewrite some if @write. */
static int pb_fuzz_check_map(struct pb_fuzz *z, struct pb_fuzz_map *m, __u64 a, __u64 b,
			     bool write)
{
	__u64 i;

	for (i = a; i < b; i++) {
		if (!m->live[i])
			continue;
		if (pb_fuzz_check_page(z, m, i))
			return -1;
		if (write && !m->rdonly && pb_fuzz_chance(z, 50))
			pb_fuzz_write_page(z, m, i);
	}
	return 0;
}

/* Forget the pages of file @id: it was released. */
static void pb_fuzz_drop_file(struct pb_fuzz *z, unsigned int id)
{
	__u64 p;

	for (p = 0; p < z->npages; p++) {
		if (z->owner[p] == id) {
			z->owner[p] = 0;
			z->first[p] = 0;
			z->held--;
		}
	}
	z->resync_frees = true;
}

static bool pb_fuzz_file_open(struct pb_fuzz *z, unsigned int id)
{
	unsigned int s;

	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		if (z->id[s] == id)
			return true;
	return false;
}

/* Unmap the live pages [a, b) of mapping @k; the file may be released with the last. */
static int pb_fuzz_unmap(struct pb_fuzz *z, unsigned int k, __u64 a, __u64 b)
{
	struct pb_fuzz_map *m = &z->map[k];
	unsigned int id = m->id, j;
	__u64 i, e;

	for (i = a; i < b; i = e) {
		if (!m->live[i]) {
			e = i + 1;
			continue;
		}
		for (e = i; e < b && m->live[e]; e++)
			m->live[e] = 0;
		if (munmap(m->addr + i * z->ps, (e - i) * z->ps))
			return pb_fuzz_fail(z, "munmap pages %llu..%llu of mapping %#llx+%llu: %s",
					    i, e, m->start, m->npages, strerror(errno));
		m->nlive -= e - i;
	}
	if (m->nlive)
		return 0;
	free(m->live);
	z->map[k] = z->map[--z->nmaps];
	/* The last mapping of a closed file held it open: now it is released. */
	for (j = 0; j < z->nmaps; j++)
		if (z->map[j].id == id)
			return 0;
	if (!pb_fuzz_file_open(z, id)) {
		pb_fuzz_say(z, " (releases closed file %u)", id);
		pb_fuzz_drop_file(z, id);
	}
	return 0;
}

/* --- Calls --- */

/* A pointer the kernel cannot use for a structure of @size bytes (@arg's). */
static void *pb_fuzz_bad_ptr(struct pb_fuzz *z, const void *arg, size_t size)
{
	size_t k;

	switch (pb_fuzz_below(z, 5)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)0xffffffff81000000UL;
	case 3:
		return z->guard;
	default:
		/* The first k bytes are readable, the rest is in the guard page. */
		k = 8 * (1 + pb_fuzz_below(z, size / 8 - 1));
		memcpy(z->guard - k, arg, k);
		return z->guard - k;
	}
}

static unsigned int pb_fuzz_place(struct pb_fuzz *z)
{
	unsigned int r = pb_fuzz_below(z, 100);
	unsigned int place = r < 88 ? PB_ARG_STACK : r < 92 ? PB_ARG_ODD :
			     r < 95 ? PB_ARG_RO : PB_ARG_BAD;

	z->res->by_arg[place]++;
	return place;
}

/* ioctl @cmd on @fd with the @size bytes of @arg put where @place says. */
static int pb_fuzz_ioctl(struct pb_fuzz *z, int fd, unsigned long cmd, void *arg, size_t size,
			 unsigned int place)
{
	void *p = arg;
	int ret;

	switch (place) {
	case PB_ARG_ODD:
		p = z->scratch + 8 + 2 * pb_fuzz_below(z, 64) + 1;
		memcpy(p, arg, size);
		break;
	case PB_ARG_RO:
		p = z->ro;
		memcpy(p, arg, size);
		if (mprotect(z->ro, z->ps, PROT_READ))
			return -1;
		break;
	case PB_ARG_BAD:
		p = pb_fuzz_bad_ptr(z, arg, size);
		break;
	}
	if (place != PB_ARG_STACK)
		pb_fuzz_say(z, " @%s %p", pb_arg_names[place], p);
	ret = pb_ioctl(fd, cmd, p);
	if (place == PB_ARG_RO && mprotect(z->ro, z->ps, PROT_READ | PROT_WRITE))
		return -1;
	if (place == PB_ARG_ODD || place == PB_ARG_RO)
		memcpy(arg, p, size);
	return ret;
}

/* --- Operations --- */

static __u64 pb_fuzz_npages(struct pb_fuzz *z)
{
	const __u64 n = z->npages;
	const __u64 edge[] = {
		0, 1, 2, 15, 16, 17, 63, 64, 65, 511, 512, 513, 1023, 1024, 2048, n / 2,
		n - 1, n, n + 1, 2 * n, 1ULL << 32, (1ULL << 32) + 1, 1ULL << 52,
		1ULL << 63, ~0ULL - 1, ~0ULL,
	};
	unsigned int r = pb_fuzz_below(z, 100);

	if (r < 40)
		return 1 + pb_fuzz_below(z, 16);
	if (r < 62)
		return 17 + pb_fuzz_below(z, 240);
	if (r < 70)
		return 257 + pb_fuzz_below(z, 1792);
	if (r < 96)
		return edge[pb_fuzz_below(z, PB_ARRAY_SIZE(edge))];
	return pb_fuzz_rand(z);
}

static __u64 pb_fuzz_align(struct pb_fuzz *z)
{
	const __u64 n = z->npages;
	const __u64 edge[] = {
		2, 3, 5, 6, 7, 12, 768, 1000, n / 2, n - 1, n, n + 1, 2 * n, 1ULL << 32,
		1ULL << 63, ~0ULL,
	};
	unsigned int r = pb_fuzz_below(z, 100);

	if (r < 50)
		return 0;
	if (r < 60)
		return 1;
	if (r < 84)
		return 1ULL << (1 + pb_fuzz_below(z, 9));
	if (r < 89)
		return 1ULL << pb_fuzz_below(z, 64);
	if (r < 98)
		return edge[pb_fuzz_below(z, PB_ARRAY_SIZE(edge))];
	return pb_fuzz_rand(z);
}

/* Flags: mostly known bits, sometimes unknown ones. */
static __u64 pb_fuzz_flags(struct pb_fuzz *z, __u64 known)
{
	unsigned int r = pb_fuzz_below(z, 100);

	if (r < 60)
		return 0;
	if (r < 88)
		return known;
	if (r < 96)
		return (1ULL << (1 + pb_fuzz_below(z, 63))) | (pb_fuzz_chance(z, 50) ? known : 0);
	return r < 98 ? ~0ULL : pb_fuzz_rand(z);
}

/* A reserved word: mostly zero. */
static __u64 pb_fuzz_reserved(struct pb_fuzz *z)
{
	if (!pb_fuzz_chance(z, 3))
		return 0;
	return pb_fuzz_chance(z, 50) ? 1ULL << pb_fuzz_below(z, 64) : pb_fuzz_rand(z) | 1;
}

static int pb_fuzz_alloc(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	struct palloc_ioc_alloc a = { 0 };
	__u64 n, align, start, p;
	unsigned int ok;
	bool valid;
	int ret;

	a.npages = pb_fuzz_npages(z);
	a.align = pb_fuzz_align(z);
	a.flags = pb_fuzz_flags(z, PALLOC_ALLOC_ZERO);
	/*
	 * A valid WC run would make mappings over it and a WB neighbour fail
	 * (EINVAL), which this model does not follow: WC only with bits that
	 * make the ALLOC invalid anyway (tests pb.wc_* cover WC).
	 */
	if (!(a.flags & ~PALLOC_ALLOC_FLAGS))
		a.flags &= ~PALLOC_ALLOC_WC;
	a.reserved[0] = pb_fuzz_reserved(z);
	a.reserved[1] = pb_fuzz_reserved(z);
	/* Output fields: whatever they hold is ignored. */
	if (pb_fuzz_chance(z, 20)) {
		a.offset = pb_fuzz_rand(z);
		a.scavenged = pb_fuzz_rand(z);
		a.phys = pb_fuzz_rand(z);
	}
	n = a.npages;
	align = a.align;
	pb_fuzz_say(z, "ALLOC file %u npages %#llx align %#llx flags %#llx rsv %#llx %#llx", s, n,
		    align, a.flags, a.reserved[0], a.reserved[1]);
	valid = n && n <= z->npages && (align <= 1 || (pb_is_pow2(align) && align <= z->npages)) &&
		!(a.flags & ~PALLOC_ALLOC_FLAGS) && !a.reserved[0] && !a.reserved[1];
	if (place == PB_ARG_BAD)
		ok = pb_fb(EFAULT);
	else if (!valid)
		ok = pb_fb(EINVAL);
	else if (z->exact)
		ok = pb_fuzz_fits(z, n, align) ? pb_fb(place == PB_ARG_RO ? EFAULT : 0) :
		     pb_fb(ENOMEM);
	else
		ok = pb_fb(place == PB_ARG_RO ? EFAULT : 0) | pb_fb(ENOMEM);

	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_ALLOC, &a, sizeof(a), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (!ret)
		pb_fuzz_say(z, " offset %#llx scav %llu", a.offset, a.scavenged);
	if (pb_fuzz_expect(z, ret, ok))
		return -1;
	if (ret == ENOMEM) {
		z->res->alloc_nomem++;
		z->want.alloc_failures++;
		return 0;
	}
	if (ret == EFAULT && place == PB_ARG_RO) {
		/* Allocated, the result not written, freed again. */
		z->res->alloc_rollback++;
		z->want.allocs++;
		z->want.frees++;
		return 0;
	}
	if (ret)
		return 0;

	z->res->alloc_ok++;
	z->want.allocs++;
	start = a.offset / z->ps;
	if (a.offset % z->ps || start >= z->npages || n > z->npages - start)
		return pb_fuzz_fail(z, "run %#llx+%llu is not inside the range", a.offset, n);
	if (align > 1 && start % align)
		return pb_fuzz_fail(z, "run at page %#llx is not aligned to %llu", start, align);
	if (a.npages != n || a.align != align || a.scavenged > n || a.reserved[0] || a.reserved[1])
		return pb_fuzz_fail(z,
				    "ALLOC wrote npages %llu align %llu scavenged %llu rsv %#llx %#llx",
				    a.npages, a.align, a.scavenged, a.reserved[0], a.reserved[1]);
	if (!a.phys || a.phys % z->ps || (z->phys_base && a.phys - a.offset != z->phys_base))
		return pb_fuzz_fail(z, "phys %#llx for offset %#llx (range base %#llx)", a.phys,
				    a.offset, z->phys_base);
	z->phys_base = a.phys - a.offset;
	for (p = start; p < start + n; p++) {
		if (z->owner[p])
			return pb_fuzz_fail(z,
					    "page %#llx of the run is owned by our file %u already",
					    p, z->owner[p]);
		z->owner[p] = z->id[s];
		z->first[p] = p == start;
		z->tag[p] = 0;
	}
	z->owned[s] += n;
	z->held += n;
	return 0;
}

static int pb_fuzz_free(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	unsigned int kind = pb_fuzz_below(z, 100), ok, k, nruns = 0;
	struct palloc_ioc_free f = { 0 };
	__u64 start = 0, n = 0, p;
	bool owns, busy, whole, raw = false;
	int ret;

	if (kind >= 62 && kind < 68 && z->nfreed) {
		/* Again what was freed lately. */
		k = pb_fuzz_below(z, z->nfreed);
		start = z->freed_start[k];
		n = z->freed_n[k];
	} else if (kind >= 68 && kind < 76 && z->nmaps) {
		/* Pages of a mapping: busy (if the mapping is this file's). */
		struct pb_fuzz_map *m = &z->map[pb_fuzz_below(z, z->nmaps)];

		start = m->start;
		n = m->npages;
		pb_fuzz_part(z, &start, &n);
	} else if (kind >= 76 && kind < 80 &&
		   pb_fuzz_pick(z, (s + 1) % PB_FUZZ_SLOTS, false, &start, &n)) {
		/* The other file's run. */
	} else if (kind >= 80 && kind < 86) {
		start = pb_fuzz_below(z, z->npages);
		n = 1 + pb_fuzz_below(z, z->npages - start < 64 ? z->npages - start : 64);
	} else if (kind >= 86) {
		raw = true;
		pb_fuzz_pick(z, s, false, &start, &n);
		f.offset = start * z->ps;
		f.npages = n ? n : 1;
		switch (pb_fuzz_below(z, 10)) {
		case 0:
			f.npages = 0;
			break;
		case 1:
			f.offset += 1 + pb_fuzz_below(z, z->ps - 1);
			break;
		case 2:
			f.offset = (z->npages + pb_fuzz_below(z, 3)) * z->ps;
			break;
		case 3:
			f.offset = (z->npages - 1) * z->ps;
			f.npages = 2;
			break;
		case 4:
			f.offset = 0ULL - z->ps * (1 + pb_fuzz_below(z, 2));
			f.npages = 1 + pb_fuzz_below(z, 3);
			break;
		case 5:
			f.offset = pb_fuzz_chance(z, 50) ? ~0ULL : pb_fuzz_rand(z);
			break;
		case 6:
			f.npages = pb_fuzz_chance(z, 50) ? 1ULL << 52 : ~0ULL - pb_fuzz_below(z, 2);
			break;
		case 7:
			f.npages = z->npages - start + 1;
			break;
		case 8:
			f.flags = pb_fuzz_chance(z, 50) ? 1ULL << pb_fuzz_below(z, 64) : ~0ULL;
			break;
		default:
			f.reserved = pb_fuzz_rand(z) | 1;
			break;
		}
	} else if (pb_fuzz_pick(z, s, kind >= 50 && kind < 55, &start, &n)) {
		if (kind >= 30 && kind < 50)
			pb_fuzz_part(z, &start, &n);
		/* One page more, before or after: owned only if a run of ours is there. */
		if (kind >= 55 && kind < 62) {
			if (start && pb_fuzz_chance(z, 50))
				start--;
			n++;
		}
	} else {
		start = pb_fuzz_below(z, z->npages);
		n = 1;
	}
	if (!raw) {
		f.offset = start * z->ps;
		f.npages = n;
	}
	pb_fuzz_say(z, "FREE file %u offset %#llx npages %#llx flags %#llx rsv %#llx", s,
		    f.offset, f.npages, f.flags, f.reserved);

	/* What the uapi allows. */
	start = f.offset / z->ps;
	if (place == PB_ARG_BAD) {
		ok = pb_fb(EFAULT);
	} else if (f.flags || f.reserved || !f.npages || f.offset % z->ps || start > z->npages ||
		   f.npages > z->npages - start) {
		ok = pb_fb(EINVAL);
	} else {
		owns = pb_fuzz_owns(z, s, start, f.npages);
		/* Each run (or part of one) goes back to the heap on its own. */
		nruns = pb_fuzz_runs_mapped(z, s, start, f.npages, &busy, &whole);
		/*
		 * A FREE of a whole mapped run drops the file's hold and leaves
		 * the pages held by the mapping: this model does not follow
		 * such pages (tests pb.free_while_mapped_drops_hold and the
		 * dma-buf tests do), so it does not send that FREE.
		 */
		if (owns && whole && !busy) {
			pb_fuzz_say(z, "FREE file %u of a whole mapped run: not sent", s);
			return 0;
		}
		/* Not all ours and a mapped run cut: either error will do. */
		ok = owns ? pb_fb(busy ? EBUSY : 0) : pb_fb(EINVAL) | (busy ? pb_fb(EBUSY) : 0);
	}

	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_FREE, &f, sizeof(f), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (pb_fuzz_expect(z, ret, ok))
		return -1;
	if (ret) {
		z->res->free_refused++;
		z->want.free_errors++;
		return 0;
	}
	z->res->free_ok++;
	z->want.frees += nruns;
	n = f.npages;
	for (p = start; p < start + n; p++) {
		z->owner[p] = 0;
		z->first[p] = 0;
	}
	/* What is left of a run after it is a run of its own. */
	if (start + n < z->npages && z->owner[start + n] == z->id[s])
		z->first[start + n] = 1;
	z->owned[s] -= n;
	z->held -= n;
	k = z->nfreed < PB_FUZZ_FREED ? z->nfreed++ : pb_fuzz_below(z, PB_FUZZ_FREED);
	z->freed_start[k] = start;
	z->freed_n[k] = n;
	return 0;
}

static int pb_fuzz_scavenge(struct pb_fuzz *z)
{
	const __u64 edge[] = {
		0, 1, 2, 16, 511, 512, 513, z->npages - 1, z->npages, z->npages + 1,
		1ULL << 40, 1ULL << 63, ~0ULL,
	};
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z), ok;
	struct palloc_ioc_scavenge sc = { 0 };
	__u64 most;
	bool valid;
	int ret;

	sc.npages = pb_fuzz_chance(z, 40) ? edge[pb_fuzz_below(z, PB_ARRAY_SIZE(edge))] :
		    1 + pb_fuzz_below(z, 2048);
	sc.flags = pb_fuzz_flags(z, PALLOC_SCAVENGE_FORCE);
	sc.reserved = pb_fuzz_reserved(z);
	if (pb_fuzz_chance(z, 20))
		sc.released = pb_fuzz_rand(z);
	pb_fuzz_say(z, "SCAVENGE file %u npages %#llx flags %#llx rsv %#llx", s, sc.npages,
		    sc.flags, sc.reserved);
	valid = sc.npages && !(sc.flags & ~PALLOC_SCAVENGE_FLAGS) && !sc.reserved;
	if (place == PB_ARG_BAD)
		ok = pb_fb(EFAULT);
	else if (!valid)
		ok = pb_fb(EINVAL);
	else
		ok = pb_fb(place == PB_ARG_RO ? EFAULT : 0);

	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_SCAVENGE, &sc, sizeof(sc), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (!ret)
		pb_fuzz_say(z, " released %llu", sc.released);
	if (pb_fuzz_expect(z, ret, ok))
		return -1;
	if (!valid || place == PB_ARG_BAD)
		return 0;
	/* The pass ran; with a read-only argument only its report is lost. */
	z->want.scavenge_runs++;
	if (ret) {
		z->resync_released = true;
		return 0;
	}
	/* A whole free chunk may go beyond npages. */
	most = sc.npages < z->npages ? sc.npages + PB_CHUNK_PAGES - 1 : z->npages;
	if (most > z->npages)
		most = z->npages;
	if (sc.released > most || sc.reserved)
		return pb_fuzz_fail(z, "released %llu pages (at most %llu), reserved %#llx",
				    sc.released, most, sc.reserved);
	z->want.pages_released += sc.released;
	return 0;
}

static int pb_fuzz_stats_op(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	struct palloc_ioc_stats st;
	unsigned int k;
	int ret;

	/* Garbage in: STATS has no inputs. */
	for (k = 0; k < sizeof(st) / 8; k++)
		((__u64 *)&st)[k] = pb_fuzz_rand(z);
	pb_fuzz_say(z, "STATS file %u", s);
	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_STATS, &st, sizeof(st), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (pb_fuzz_expect(z, ret, pb_fb(place >= PB_ARG_RO ? EFAULT : 0)))
		return -1;
	if (ret)
		return 0;
	if (st.owned_pages != z->owned[s] || st.npages != z->npages ||
	    !pb_stats_consistent(&st) || st.reserved[0] || st.reserved[1])
		return pb_fuzz_fail(z,
				    "STATS owned %llu (model %llu) npages %llu inuse %llu free %llu",
				    st.owned_pages, z->owned[s], st.npages, st.pages_inuse,
				    st.pages_free);
	return 0;
}

static int pb_fuzz_info_op(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	struct palloc_ioc_info info;
	unsigned int k;
	int ret;

	for (k = 0; k < sizeof(info) / 8; k++)
		((__u64 *)&info)[k] = pb_fuzz_rand(z);
	pb_fuzz_say(z, "INFO file %u", s);
	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_INFO, &info, sizeof(info), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (pb_fuzz_expect(z, ret, pb_fb(place >= PB_ARG_RO ? EFAULT : 0)))
		return -1;
	if (!ret && memcmp(&info, &z->info, sizeof(info)))
		return pb_fuzz_fail(z, "INFO changed: npages %llu mode %llu", info.npages,
				    info.mode);
	return 0;
}

/* A command the device does not know: ENOTTY, whatever the argument. */
static int pb_fuzz_badcmd(struct pb_fuzz *z)
{
	static const unsigned long known[] = {
		PALLOC_IOC_INFO, PALLOC_IOC_ALLOC, PALLOC_IOC_FREE, PALLOC_IOC_SCAVENGE,
		PALLOC_IOC_STATS, PALLOC_IOC_STATS_V2, PALLOC_IOC_EXPORT,
	};
	static const unsigned int magics[] = { 'p', PALLOC_IOC_MAGIC - 1, PALLOC_IOC_MAGIC + 1 };
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), k;
	unsigned long cmd;
	void *arg;
	int ret;

	do {
		switch (pb_fuzz_below(z, 5)) {
		case 0:
			/* Another number of the device's magic. */
			cmd = _IOC(pb_fuzz_below(z, 4), PALLOC_IOC_MAGIC,
				   5 + pb_fuzz_below(z, 251), pb_fuzz_below(z, 256));
			break;
		case 1:
			/* A known number with another size or direction. */
			cmd = _IOC(pb_fuzz_below(z, 4), PALLOC_IOC_MAGIC, pb_fuzz_below(z, 5),
				   pb_fuzz_chance(z, 50) ? 8 * pb_fuzz_below(z, 24) :
				   pb_fuzz_below(z, 1 << 14));
			break;
		case 2:
			/* A known command under another magic. */
			cmd = (known[pb_fuzz_below(z, PB_ARRAY_SIZE(known))] & ~0xff00UL) |
			      magics[pb_fuzz_below(z, PB_ARRAY_SIZE(magics))] << 8;
			break;
		case 3:
			cmd = 0;
			break;
		default:
			/* A known command with a high bit set (ioctl's cmd is 32 bits). */
			cmd = known[pb_fuzz_below(z, PB_ARRAY_SIZE(known))] ^
			      (1UL << (14 + pb_fuzz_below(z, 2)));
			break;
		}
		for (k = 0; k < PB_ARRAY_SIZE(known); k++)
			if ((unsigned int)cmd == known[k])
				break;
	} while (k < PB_ARRAY_SIZE(known));
	arg = pb_fuzz_chance(z, 70) ? (void *)z->scratch :
	      pb_fuzz_bad_ptr(z, z->scratch, 32);
	pb_fuzz_say(z, "IOCTL file %u cmd %#lx arg %p", s, cmd, arg);
	ret = pb_ioctl(z->fd[s], cmd, arg);
	return pb_fuzz_expect(z, ret, pb_fb(ENOTTY));
}

static int pb_fuzz_mmap(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), kind = pb_fuzz_below(z, 100), ok;
	int flags = MAP_SHARED, prot = PROT_READ | PROT_WRITE, ret;
	__u64 start = 0, n = 0, off, len;
	struct pb_fuzz_map *m;
	bool owned;
	char *p;

	/* Room for one more mapping: unmap the oldest if need be. */
	if (z->nmaps == PB_FUZZ_MAPS) {
		pb_fuzz_say(z, "(unmap %#llx+%llu) ", z->map[0].start, z->map[0].npages);
		if (pb_fuzz_check_map(z, &z->map[0], 0, z->map[0].npages, false) ||
		    pb_fuzz_unmap(z, 0, 0, z->map[0].npages))
			return -1;
	}
	if (kind < 62 && pb_fuzz_pick(z, s, pb_fuzz_chance(z, 20), &start, &n)) {
		if (pb_fuzz_chance(z, 35))
			pb_fuzz_part(z, &start, &n);
	} else if (kind < 70 && pb_fuzz_pick(z, (s + 1) % PB_FUZZ_SLOTS, false, &start, &n)) {
		/* The other file's pages. */
	} else if (kind < 84 && pb_fuzz_pick(z, s, false, &start, &n)) {
		/* Owned pages with a twist. */
		if (kind < 76) {
			if (start && pb_fuzz_chance(z, 50))
				start--;
			n++;
		} else if (kind < 80) {
			flags = MAP_PRIVATE;
		} else {
			prot = PROT_READ;
		}
	} else if (kind < 92) {
		start = pb_fuzz_below(z, z->npages);
		n = 1 + pb_fuzz_below(z, z->npages - start < 16 ? z->npages - start : 16);
	} else {
		start = z->npages - pb_fuzz_below(z, 2);
		n = 1 + pb_fuzz_below(z, 3);
	}
	if (n > PB_FUZZ_MAP_PAGES) {
		start += pb_fuzz_below(z, n - PB_FUZZ_MAP_PAGES + 1);
		n = PB_FUZZ_MAP_PAGES;
	}
	off = start * z->ps;
	len = n * z->ps;
	if (pb_fuzz_chance(z, 10))
		len -= pb_fuzz_below(z, z->ps);		/* ragged: rounded up to pages */
	if (pb_fuzz_chance(z, 4)) {
		switch (pb_fuzz_below(z, 4)) {
		case 0:
			off += 1 + pb_fuzz_below(z, z->ps - 1);
			break;
		case 1:
			len = 0;
			break;
		case 2:
			off = 1ULL << (40 + pb_fuzz_below(z, 10));
			break;
		default:
			off = (0ULL - z->ps * (1 + pb_fuzz_below(z, 4))) >> pb_fuzz_below(z, 2);
			break;
		}
	}
	pb_fuzz_say(z, "MMAP file %u offset %#llx len %#llx%s%s", s, off, len,
		    flags == MAP_PRIVATE ? " private" : "", prot == PROT_READ ? " read-only" : "");

	/* What may happen; mmap() itself refuses bad lengths and offsets. */
	start = off / z->ps;
	n = (len + z->ps - 1) / z->ps;
	if (!len || off % z->ps) {
		ok = pb_fb(EINVAL);
	} else if (off >= 1ULL << 63) {
		ok = pb_fb(EINVAL) | pb_fb(EOVERFLOW);
	} else if (start >= z->npages || n > z->npages - start) {
		ok = pb_fb(EINVAL);
	} else {
		owned = pb_fuzz_owns(z, s, start, n);
		/* A private mapping of pages not ours: either error will do. */
		if (flags == MAP_PRIVATE)
			ok = pb_fb(EINVAL) | (owned ? 0 : pb_fb(EACCES));
		else
			ok = pb_fb(owned ? 0 : EACCES);
	}
	p = mmap(NULL, len, prot, flags, z->fd[s], (off_t)off);
	ret = p == MAP_FAILED ? errno : 0;
	if (!ret)
		pb_fuzz_say(z, " at %p", p);
	if (pb_fuzz_expect(z, ret, ok)) {
		if (!ret)
			munmap(p, len);
		return -1;
	}
	if (ret)
		return 0;
	m = &z->map[z->nmaps];
	m->live = malloc(n);
	if (!m->live) {
		munmap(p, len);
		return pb_fuzz_fail(z, "out of memory");
	}
	memset(m->live, 1, n);
	m->addr = p;
	m->start = start;
	m->npages = n;
	m->nlive = n;
	m->id = z->id[s];
	m->rdonly = prot == PROT_READ;
	z->nmaps++;
	return pb_fuzz_check_map(z, m, 0, n, true);
}

/* Unmap a mapping, or a part of one (the rest keeps all its pages busy). */
static int pb_fuzz_munmap(struct pb_fuzz *z)
{
	struct pb_fuzz_map *m;
	unsigned int k;
	__u64 a, n;

	if (!z->nmaps) {
		pb_fuzz_say(z, "MUNMAP: nothing mapped");
		return 0;
	}
	k = pb_fuzz_below(z, z->nmaps);
	m = &z->map[k];
	a = 0;
	n = m->npages;
	if (pb_fuzz_chance(z, 40))
		pb_fuzz_part(z, &a, &n);
	pb_fuzz_say(z, "MUNMAP %p: pages %llu..%llu of %#llx+%llu (file %u, %llu mapped)",
		    m->addr, a, a + n, m->start, m->npages, m->id, m->nlive);
	if (pb_fuzz_check_map(z, m, a, a + n, false))
		return -1;
	return pb_fuzz_unmap(z, k, a, a + n);
}

/* Read back a mapping's pages (64 of them at most) and rewrite some. */
static int pb_fuzz_verify(struct pb_fuzz *z)
{
	struct pb_fuzz_map *m;
	__u64 a, n;

	if (!z->nmaps) {
		pb_fuzz_say(z, "VERIFY: nothing mapped");
		return 0;
	}
	m = &z->map[pb_fuzz_below(z, z->nmaps)];
	a = m->npages > 64 ? pb_fuzz_below(z, m->npages - 63) : 0;
	n = m->npages > 64 ? 64 : m->npages;
	pb_fuzz_say(z, "VERIFY %p: pages %llu..%llu of %#llx+%llu (file %u)", m->addr, a, a + n,
		    m->start, m->npages, m->id);
	return pb_fuzz_check_map(z, m, a, a + n, true);
}

static int pb_fuzz_open_file(struct pb_fuzz *z, unsigned int s)
{
	z->fd[s] = pb_open();
	if (z->fd[s] < 0)
		return pb_fuzz_fail(z, "open %s: %s", PB_DEV, strerror(errno));
	z->id[s] = ++z->next_id;
	z->owned[s] = 0;
	return 0;
}

/* Close an open file (its mappings keep it until they go) and open another. */
static int pb_fuzz_reopen(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), id = z->id[s], k;
	bool mapped = false;

	for (k = 0; k < z->nmaps; k++)
		mapped |= z->map[k].id == id;
	pb_fuzz_say(z, "REOPEN file %u (id %u, %llu pages%s)", s, id, z->owned[s],
		    mapped ? ", mapped: kept until unmapped" : "");
	if (close(z->fd[s]))
		return pb_fuzz_fail(z, "close: %s", strerror(errno));
	z->id[s] = 0;
	z->owned[s] = 0;
	if (!mapped)
		pb_fuzz_drop_file(z, id);
	if (z->next_id >= 65000)
		return pb_fuzz_fail(z, "out of file ids");
	return pb_fuzz_open_file(z, s);
}

/* The counters exact mode predicts. */
static const size_t pb_fuzz_exact_fields[] = {
	offsetof(struct palloc_ioc_stats, allocs),
	offsetof(struct palloc_ioc_stats, frees),
	offsetof(struct palloc_ioc_stats, alloc_failures),
	offsetof(struct palloc_ioc_stats, free_errors),
	offsetof(struct palloc_ioc_stats, pages_released),
	offsetof(struct palloc_ioc_stats, scavenge_runs),
};

static const char *pb_stat_name(size_t off)
{
	size_t i;

	for (i = 0; i < PB_ARRAY_SIZE(pb_stat_fields); i++)
		if (pb_stat_fields[i].off == off)
			return pb_stat_fields[i].name;
	return "?";
}

/* After every step: STATS of every open file against the model. */
static int pb_fuzz_check(struct pb_fuzz *z)
{
	struct palloc_ioc_stats st;
	unsigned int s, k;
	int ret;

	for (s = 0; s < PB_FUZZ_SLOTS; s++) {
		ret = pb_stats(z->fd[s], &st);
		if (ret)
			return pb_fuzz_fail(z, "STATS of file %u: %s", s, strerror(ret));
		if (st.owned_pages != z->owned[s])
			return pb_fuzz_fail(z, "file %u: owned_pages %llu, the model says %llu", s,
					    st.owned_pages, z->owned[s]);
		if (st.npages != z->npages || st.mode != z->info.mode ||
		    !pb_stats_consistent(&st) || st.pages_inuse < z->held)
			return pb_fuzz_fail(z,
					    "STATS: npages %llu mode %llu inuse %llu free %llu cached %llu scavenging %llu; we hold %llu",
					    st.npages, st.mode, st.pages_inuse, st.pages_free,
					    st.pages_cached, st.pages_scavenging, z->held);
		for (k = 0; k < PB_ARRAY_SIZE(st.reserved); k++)
			if (st.reserved[k])
				return pb_fuzz_fail(z, "STATS reserved[%u] %#llx", k,
						    st.reserved[k]);
	}
	if (!z->exact)
		return 0;
	if (z->resync_frees)
		z->want.frees = st.frees;	/* a released file freed its runs one by one */
	if (z->resync_released)
		z->want.pages_released = st.pages_released;
	z->resync_frees = false;
	z->resync_released = false;
	if (st.pages_inuse != z->held)
		return pb_fuzz_fail(z, "pages_inuse %llu, but our files hold %llu pages",
				    st.pages_inuse, z->held);
	for (k = 0; k < PB_ARRAY_SIZE(pb_fuzz_exact_fields); k++) {
		size_t off = pb_fuzz_exact_fields[k];
		__u64 is, want;

		memcpy(&is, (char *)&st + off, sizeof(is));
		memcpy(&want, (char *)&z->want + off, sizeof(want));
		if (is != want)
			return pb_fuzz_fail(z, "STATS %s is %llu, the model says %llu",
					    pb_stat_name(off), is, want);
	}
	return 0;
}

static int pb_fuzz_step(struct pb_fuzz *z)
{
	unsigned int r = pb_fuzz_below(z, 100), op, acc = 0;
	int ret;

	for (op = 0; op < PB_FOP_NR - 1; op++) {
		acc += pb_fop_weight[op];
		if (r < acc)
			break;
	}
	z->what[0] = '\0';
	z->res->by_op[op]++;
	switch (op) {
	case PB_FOP_ALLOC:
		ret = pb_fuzz_alloc(z);
		break;
	case PB_FOP_FREE:
		ret = pb_fuzz_free(z);
		break;
	case PB_FOP_SCAVENGE:
		ret = pb_fuzz_scavenge(z);
		break;
	case PB_FOP_STATS:
		ret = pb_fuzz_stats_op(z);
		break;
	case PB_FOP_INFO:
		ret = pb_fuzz_info_op(z);
		break;
	case PB_FOP_BADCMD:
		ret = pb_fuzz_badcmd(z);
		break;
	case PB_FOP_MMAP:
		ret = pb_fuzz_mmap(z);
		break;
	case PB_FOP_MUNMAP:
		ret = pb_fuzz_munmap(z);
		break;
	case PB_FOP_VERIFY:
		ret = pb_fuzz_verify(z);
		break;
	default:
		ret = pb_fuzz_reopen(z);
		break;
	}
	if (!ret)
		ret = pb_fuzz_check(z);
	if (z->held > z->res->held_max)
		z->res->held_max = z->held;
	memcpy(z->hist[z->step % PB_FUZZ_HIST], z->what, sizeof(z->what));
	return ret;
}

/* Unmap everything (checking it) and free every run with FREE. */
static int pb_fuzz_cleanup(struct pb_fuzz *z)
{
	unsigned int s;
	__u64 start, n;
	int ret;

	while (z->nmaps) {
		z->what[0] = '\0';
		pb_fuzz_say(z, "cleanup: unmap %#llx+%llu", z->map[0].start, z->map[0].npages);
		if (pb_fuzz_check_map(z, &z->map[0], 0, z->map[0].npages, false) ||
		    pb_fuzz_unmap(z, 0, 0, z->map[0].npages) || pb_fuzz_check(z))
			return -1;
	}
	for (s = 0; s < PB_FUZZ_SLOTS; s++) {
		while (pb_fuzz_pick(z, s, pb_fuzz_chance(z, 50), &start, &n)) {
			bool cut, whole;
			unsigned int nruns = pb_fuzz_runs_mapped(z, s, start, n, &cut, &whole);

			z->what[0] = '\0';
			pb_fuzz_say(z, "cleanup: FREE file %u %#llx+%llu", s, start * z->ps, n);
			ret = pb_free(z->fd[s], start * z->ps, n);
			if (pb_fuzz_expect(z, ret, pb_fb(0)))
				return -1;
			z->res->free_ok++;
			/* Each run goes back to the heap on its own. */
			z->want.frees += nruns;
			for (; n; n--, start++) {
				z->owner[start] = 0;
				z->first[start] = 0;
				z->owned[s]--;
				z->held--;
			}
			if (pb_fuzz_check(z))
				return -1;
		}
	}
	return 0;
}

/* After a failure: unmap and close everything, for the checks that follow. */
static void pb_fuzz_abandon(struct pb_fuzz *z)
{
	unsigned int k, s;
	__u64 i, e;

	for (k = 0; k < z->nmaps; k++) {
		struct pb_fuzz_map *m = &z->map[k];

		for (i = 0; i < m->npages; i = e) {
			for (e = i; e < m->npages && m->live[e]; e++)
				;
			if (e > i)
				munmap(m->addr + i * z->ps, (e - i) * z->ps);
			else
				e++;
		}
		free(m->live);
	}
	z->nmaps = 0;
	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		if (z->fd[s] >= 0)
			close(z->fd[s]);
}

static void pb_fuzz_summary(const struct pb_fuzz_result *r, const char *who)
{
	char line[512];
	size_t len;
	unsigned int i;

	len = snprintf(line, sizeof(line), "%llu steps in %.1f s:", r->steps, r->secs);
	for (i = 0; i < PB_FOP_NR; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu", pb_fop_names[i],
				r->by_op[i]);
	len += snprintf(line + len, sizeof(line) - len, "; results:");
	for (i = 0; i < PB_FUZZ_NERR; i++)
		if (r->by_err[i])
			len += snprintf(line + len, sizeof(line) - len, " %s %llu",
					pb_fuzz_errno_names[i], r->by_err[i]);
	fprintf(stderr, "# %s: %s\n", who, line);
	len = snprintf(line, sizeof(line), "args:");
	for (i = 0; i < PB_ARG_NR; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu", pb_arg_names[i],
				r->by_arg[i]);
	fprintf(stderr,
		"# %s: %s; allocs %llu (+%llu rolled back), ENOMEM %llu, frees %llu, refused %llu, most pages held %llu, pages verified %llu\n",
		who, line, r->alloc_ok, r->alloc_rollback, r->alloc_nomem, r->free_ok,
		r->free_refused, r->held_max, r->pages_checked);
}

/*
 * One worker: @steps steps or @secs seconds, whichever ends first.  With
 * @cleanup it unmaps and frees everything at the end; else exit() does.
 */
static int pb_fuzz_worker(struct pb_fuzz_result *res, unsigned int wid, __u64 seed, bool exact,
			  __u64 steps, double secs, bool cleanup)
{
	double t0 = pb_now(), end = t0 + secs;
	struct pb_fuzz *z = calloc(1, sizeof(*z));
	unsigned int s;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->seed = seed;
	if (!z)
		return -1;
	z->wid = wid;
	z->exact = exact;
	z->seed = seed;
	z->rng = seed;
	z->res = res;
	z->ps = pb_page_size();
	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		z->fd[s] = -1;
	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		if (pb_fuzz_open_file(z, s))
			goto out;
	if (pb_ioctl(z->fd[0], PALLOC_IOC_INFO, &z->info) || pb_stats(z->fd[0], &z->want)) {
		pb_fuzz_fail(z, "INFO/STATS: %s", strerror(errno));
		goto out;
	}
	z->npages = z->info.npages;
	z->owner = calloc(z->npages, sizeof(*z->owner));
	z->first = calloc(z->npages, 1);
	z->tag = calloc(z->npages, sizeof(*z->tag));
	/* scratch | guard (PROT_NONE) | ro */
	z->scratch = mmap(NULL, 3 * z->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (z->scratch == MAP_FAILED)
		z->scratch = NULL;
	if (!z->owner || !z->first || !z->tag || !z->scratch) {
		pb_fuzz_fail(z, "out of memory");
		goto out;
	}
	z->guard = z->scratch + z->ps;
	z->ro = z->guard + z->ps;
	if (mprotect(z->guard, z->ps, PROT_NONE)) {
		pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
		goto out;
	}
	for (z->step = 0; z->step < steps && pb_now() < end; z->step++)
		if (pb_fuzz_step(z))
			goto out;
	ret = cleanup ? pb_fuzz_cleanup(z) : 0;
	if (!ret && cleanup)
		for (s = 0; s < PB_FUZZ_SLOTS; s++)
			close(z->fd[s]);
out:
	res->steps = z->step;
	res->secs = pb_now() - t0;
	if (ret)
		res->failed = 1;
	if (ret && cleanup)
		pb_fuzz_abandon(z);
	/* Left to exit(): the files, their runs and mappings (unless cleaned up). */
	if (z->scratch)
		munmap(z->scratch, 3 * z->ps);
	free(z->owner);
	free(z->first);
	free(z->tag);
	free(z);
	return ret;
}

static __u64 pb_fuzz_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return pb_env_u64_any("PB_FUZZ_SEED", "pb_fuzz_seed",
			      (__u64)ts.tv_nsec * 1000003ULL ^ (__u64)ts.tv_sec ^
			      (__u64)getpid() << 32);
}

FIXTURE(fuzz)
{
	int fd;
	struct palloc_ioc_info info;
	struct palloc_ioc_stats base;
	struct pb_fuzz_result *res;	/* PB_FUZZ_WORKERS, shared with the workers */
	char goal[32];
	__u64 seed, steps;
};

FIXTURE_SETUP(fuzz)
{
	self->fd = pb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", PB_DEV, strerror(errno));
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, &self->info));
	ASSERT_EQ(0, pb_stats(self->fd, &self->base));
	self->res = mmap(NULL, PB_FUZZ_WORKERS * sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	self->seed = pb_fuzz_seed();
	self->steps = pb_env_u64_any("PB_FUZZ_OPS", "pb_fuzz_ops", 25000);
	TH_LOG("seed %#llx (PB_FUZZ_SEED, or pb_fuzz_seed= on the kernel command line)",
	       self->seed);
}

FIXTURE_TEARDOWN(fuzz)
{
	pb_scavenger_resume(self->goal);
	if (self->res != MAP_FAILED)
		munmap(self->res, PB_FUZZ_WORKERS * sizeof(*self->res));
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * One worker alone, the background scavenger paused: every outcome is
 * predicted, ENOMEM and the global counters included.
 */
TEST_F_TIMEOUT(fuzz, one_process_exact, 60)
{
	double secs = (double)pb_env_u64_any("PB_FUZZ_SECONDS", "pb_fuzz_seconds", 4);
	struct palloc_ioc_stats st;
	__u64 seen = 0;
	bool exact;

	ASSERT_EQ(0, self->base.pages_inuse) TH_LOG("pages in use before the test");
	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	/*
	 * Every page present, none held elsewhere: the model sees the whole
	 * range.  An elastic pool's pages come and go (SCAVENGE hands chunks
	 * back, ALLOC grows them): there the model predicts all but ENOMEM
	 * and the counters.
	 */
	exact = st.pages_free + st.pages_cached == st.npages &&
		!getenv("PB_ELASTIC");
	EXPECT_TRUE(exact || getenv("PB_ELASTIC"))
		TH_LOG("free %llu + cached %llu of %llu pages: not exact",
		       st.pages_free, st.pages_cached, st.npages);
	EXPECT_EQ(0, pb_fuzz_worker(&self->res[0], 0, self->seed, exact, self->steps, secs, true));
	pb_fuzz_summary(&self->res[0], "fuzz 0 (exact)");
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu after the fuzzer, baseline %llu", seen,
		       self->base.pages_inuse);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	EXPECT_TRUE(pb_check_ok());
}

/*
 * PB_FUZZ_WORKERS processes at once, each with its own files and model.
 * Afterwards everything is back, and free_errors and alloc_failures grew by
 * exactly the refusals and ENOMEMs the workers saw; allocs by their allocations.
 */
TEST_F_TIMEOUT(fuzz, processes, 90)
{
	double secs = (double)pb_env_u64_any("PB_FUZZ_SECONDS", "pb_fuzz_seconds", 6);
	struct pb_fuzz_result sum = { 0 };
	pid_t pids[PB_FUZZ_WORKERS];
	struct palloc_ioc_stats st;
	unsigned int k, i;
	__u64 seen = 0;
	int status;

	for (k = 0; k < PB_FUZZ_WORKERS; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k]) {
			char who[32];
			int ret;

			close(self->fd);
			/* Odd workers leave their runs and mappings to exit(). */
			ret = pb_fuzz_worker(&self->res[k], k, self->seed + 1 + k, false,
					     self->steps, secs, !(k % 2));
			snprintf(who, sizeof(who), "fuzz %u (seed %#llx)", k, self->seed + 1 + k);
			pb_fuzz_summary(&self->res[k], who);
			_exit(ret ? 1 : 0);
		}
	}
	for (k = 0; k < PB_FUZZ_WORKERS; k++) {
		ASSERT_EQ(pids[k], waitpid(pids[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("fuzz worker %u (seed %#llx): status %#x", k, self->seed + 1 + k,
			       status);
		EXPECT_EQ(0, self->res[k].failed);
	}
	for (k = 0; k < PB_FUZZ_WORKERS; k++) {
		const struct pb_fuzz_result *r = &self->res[k];

		sum.steps += r->steps;
		sum.secs = sum.secs > r->secs ? sum.secs : r->secs;
		for (i = 0; i < PB_FOP_NR; i++)
			sum.by_op[i] += r->by_op[i];
		for (i = 0; i < PB_ARG_NR; i++)
			sum.by_arg[i] += r->by_arg[i];
		for (i = 0; i < PB_FUZZ_NERR; i++)
			sum.by_err[i] += r->by_err[i];
		sum.alloc_ok += r->alloc_ok;
		sum.alloc_rollback += r->alloc_rollback;
		sum.alloc_nomem += r->alloc_nomem;
		sum.free_ok += r->free_ok;
		sum.free_refused += r->free_refused;
		sum.pages_checked += r->pages_checked;
		sum.held_max = sum.held_max > r->held_max ? sum.held_max : r->held_max;
	}
	pb_fuzz_summary(&sum, "fuzz: all workers");

	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu after the workers, baseline %llu", seen,
		       self->base.pages_inuse);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.free_errors + sum.free_refused, st.free_errors);
	EXPECT_EQ(self->base.alloc_failures + sum.alloc_nomem, st.alloc_failures);
	EXPECT_EQ(self->base.allocs + sum.alloc_ok + sum.alloc_rollback, st.allocs);
	EXPECT_LE(self->base.frees + sum.free_ok + sum.alloc_rollback, st.frees);
	EXPECT_TRUE(pb_check_ok());
}

/* --- dma-bufs: PALLOC_IOC_EXPORT and the dma-heap node --- */

/* <linux/dma-heap.h>, spelled out: the kernel's own dma-heap ABI. */
struct pb_heap_alloc {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define PB_HEAP_IOCTL_ALLOC	_IOWR('H', 0x0, struct pb_heap_alloc)

static const char *pb_heap_path(void)
{
	static char path[96];
	const char *name = getenv("PB_HEAP");

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name && *name ? name : "pallocbits");
	return path;
}

/* A dma-buf of @len bytes from the heap node, or -errno. */
static int pb_heap_alloc(__u64 len, __u32 fd_flags)
{
	struct pb_heap_alloc h = { .len = len, .fd_flags = fd_flags };
	int heap = open(pb_heap_path(), O_RDWR | O_CLOEXEC), ret;

	if (heap < 0)
		return -errno;
	ret = ioctl(heap, PB_HEAP_IOCTL_ALLOC, &h) ? -errno : (int)h.fd;
	close(heap);
	return ret;
}

static int pb_sync(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? errno : 0;
}

static int pb_export(int fd, __u64 offset, __u64 npages, __u64 fd_flags, int *dmabuf)
{
	struct palloc_ioc_export e = { .offset = offset, .npages = npages, .fd_flags = fd_flags };

	if (ioctl(fd, PALLOC_IOC_EXPORT, &e))
		return errno;
	*dmabuf = (int)e.fd;
	return 0;
}

/* Wait until STATS shows the heap's counters back at @base (runs released). */
static int pb_wait_released(int fd, const struct palloc_ioc_stats *base, double secs,
			    struct palloc_ioc_stats *st)
{
	double end = pb_now() + secs;

	do {
		if (pb_stats(fd, st))
			return -1;
		if (st->pages_inuse == base->pages_inuse && st->runs == base->runs &&
		    st->runs_exported == base->runs_exported && st->pages_held == base->pages_held)
			return 0;
		pb_sleep_ms(10);
	} while (pb_now() < end);
	return -1;
}

static int pb_send_fd(int sock, int fd)
{
	char byte = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int pb_recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Open file descriptors of this process. */
static int pb_nfds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

/*
 * The heap node, as a program written for dma-heaps uses it: allocate,
 * mmap, write between SYNC start and end, read back.  Pass the fd to
 * another process with SCM_RIGHTS and close it here: the receiver still
 * reads the data; when its last fd and mapping go, the pages are free.
 */
TEST_F(pb, heap_alloc_scm_rights)
{
	__u64 len = 3 * self->ps + 100, size = 4 * self->ps;
	struct palloc_ioc_stats st;
	int sv[2], buf, status;
	char ack;
	pid_t pid;
	char *p;

	buf = pb_heap_alloc(len, O_RDWR | O_CLOEXEC);
	if (buf == -ENOENT)
		SKIP(return, "no %s", pb_heap_path());
	ASSERT_LE(0, buf) TH_LOG("DMA_HEAP_IOCTL_ALLOC: %s", strerror(-buf));
	EXPECT_EQ(FD_CLOEXEC, fcntl(buf, F_GETFD));
	EXPECT_EQ((off_t)size, lseek(buf, 0, SEEK_END));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.runs + 1, st.runs);
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	EXPECT_EQ(self->base.pages_held + 4, st.pages_held);
	EXPECT_EQ(self->base.pages_inuse + 4, st.pages_inuse);
	EXPECT_EQ(0, st.owned_pages);

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(size, pb_first_nonzero(p, size));
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	pb_pattern(p, size, 0x4ea9);
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(size, pb_pattern_diff(p, size, 0x4ea9));
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	/* Bad SYNC flags are the dma-buf core's EINVAL. */
	EXPECT_EQ(EINVAL, pb_sync(buf, 0x100));

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = pb_recv_fd(sv[1]);
		char *q;

		if (fd < 0)
			_exit(10);
		/* The sender has closed and unmapped its copy by now. */
		if (read(sv[1], &ack, 1) != 1)
			_exit(11);
		q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (q == MAP_FAILED)
			_exit(12);
		close(fd);
		if (pb_pattern_diff(q, size, 0x4ea9) != size)
			_exit(13);
		if (write(sv[1], "r", 1) != 1)
			_exit(14);
		/* Hold the mapping until told to go. */
		if (read(sv[1], &ack, 1) != 1)
			_exit(15);
		munmap(q, size);
		_exit(0);
	}
	ASSERT_EQ(0, pb_send_fd(sv[0], buf));
	ASSERT_EQ(0, close(buf));
	ASSERT_EQ(0, munmap(p, size));
	ASSERT_EQ(1, write(sv[0], "c", 1));
	ASSERT_EQ(1, read(sv[0], &ack, 1));
	/* Only the receiver's mapping holds the run now. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.pages_held + 4, st.pages_held);
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	ASSERT_EQ(1, write(sv[0], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st))
		TH_LOG("runs %llu exported %llu held %llu inuse %llu", st.runs, st.runs_exported,
		       st.pages_held, st.pages_inuse);
}

/* SIGKILL every holder (the allocator and the receiver, mapped): all freed. */
TEST_F(pb, heap_holders_killed)
{
	struct palloc_ioc_stats st;
	int sv[2], status, k;
	pid_t pid[2];
	char ack;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (pid[k])
			continue;
		if (k == 0) {
			int fd = pb_heap_alloc(64 * self->ps, O_RDWR);
			char *q;

			if (fd < 0)
				_exit(10);
			q = mmap(NULL, 64 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (q == MAP_FAILED)
				_exit(11);
			memset(q, 0x77, 64 * self->ps);
			if (pb_send_fd(sv[1], fd))
				_exit(12);
		} else {
			int fd = pb_recv_fd(sv[1]);
			char *q;

			if (fd < 0)
				_exit(13);
			q = mmap(NULL, 64 * self->ps, PROT_READ, MAP_SHARED, fd, 0);
			if (q == MAP_FAILED || q[0] != 0x77)
				_exit(14);
			if (write(sv[1], "m", 1) != 1)
				_exit(15);
		}
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(sv[0], &ack, 1));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	EXPECT_EQ(self->base.pages_held + 64, st.pages_held);
	for (k = 0; k < 2; k++) {
		kill(pid[k], SIGKILL);
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st))
		TH_LOG("runs %llu exported %llu held %llu inuse %llu", st.runs, st.runs_exported,
		       st.pages_held, st.pages_inuse);
}

/*
 * PALLOC_IOC_EXPORT: the dma-buf shows the run's data, holds the run after
 * FREE, refuses a second export while it lives, and lets the pages go with
 * its last mapping; then the run (if still owned) may be exported again.
 */
TEST_F(pb, export_run)
{
	size_t len = 8 * self->ps;
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	int buf = -1, buf2 = -1;
	char *p, *q;

	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, p);
	pb_pattern(p, len, 0xe1);
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 8, O_RDWR, &buf));
	EXPECT_EQ(0, fcntl(buf, F_GETFD));
	EXPECT_EQ((off_t)len, lseek(buf, 0, SEEK_END));
	EXPECT_EQ(EBUSY, pb_export(self->fd, a.offset, 8, O_RDWR, &buf2));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	EXPECT_EQ(8, st.owned_pages);
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(len, pb_pattern_diff(q, len, 0xe1));
	/* Same pages: a store through one shows through the other. */
	q[5] = 0x11;
	EXPECT_EQ(0x11, p[5]);
	pb_pattern(p, len, 0xe1);
	/* FREE of a part is EBUSY (the dma-buf holds it); of the whole drops our hold. */
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 4));
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 8));
	EXPECT_EQ(EINVAL, pb_export(self->fd, a.offset, 8, O_RDWR, &buf2));
	ASSERT_EQ(0, close(buf));
	/* Only the dma-buf mapping holds it now. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(8, st.pages_held);
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse + 8, st.pages_inuse);
	EXPECT_EQ(len, pb_pattern_diff(q, len, 0xe1));
	ASSERT_EQ(0, munmap(q, len));
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st))
		TH_LOG("runs %llu exported %llu held %llu inuse %llu", st.runs, st.runs_exported,
		       st.pages_held, st.pages_inuse);

	/* Exported, the dma-buf closed: the run may be exported again. */
	ASSERT_EQ(0, pb_alloc(self->fd, 2, 0, 0, &a));
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 2, O_RDONLY | O_CLOEXEC, &buf));
	EXPECT_EQ(FD_CLOEXEC, fcntl(buf, F_GETFD));
	/* An O_RDONLY dma-buf maps read-only. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, close(buf));
	/* The release of a closed dma-buf may finish on return to userspace. */
	buf = -1;
	for (int i = 0; i < 100 && pb_export(self->fd, a.offset, 2, O_RDWR, &buf) == EBUSY; i++)
		pb_sleep_ms(10);
	ASSERT_LE(0, buf);
	close(buf);
	/* Closing the file frees the run once the dma-buf is gone too. */
	close(self->fd);
	self->fd = pb_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
}

/* MAP_PRIVATE of a dma-buf is EINVAL (a COW copy of these pages means nothing). */
TEST_F(pb, dmabuf_mmap_private_refused)
{
	struct palloc_ioc_stats st;
	int buf = pb_heap_alloc(self->ps, O_RDWR);

	if (buf == -ENOENT)
		SKIP(return, "no %s", pb_heap_path());
	ASSERT_LE(0, buf);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Past the end: the dma-buf core's EINVAL. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	close(buf);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
}

/* Bad EXPORT arguments: the documented errno, and nothing changes (no fd either). */
TEST_F(pb, export_bad_args)
{
	struct palloc_ioc_alloc a, other_run;
	struct palloc_ioc_stats before, after;
	struct palloc_ioc_export e;
	int other, buf = -1, nfds, k;
	const struct {
		__u64 off, n, fd_flags, flags, rsv;
		int err;
		const char *what;
	} cases[] = {
		{ 0, 8, O_RDWR, 1, 0, EINVAL, "flags" },
		{ 0, 8, O_RDWR, 1ULL << 63, 0, EINVAL, "flags bit 63" },
		{ 0, 8, O_RDWR, 0, 1, EINVAL, "reserved" },
		{ 0, 8, O_RDWR | O_NONBLOCK, 0, 0, EINVAL, "O_NONBLOCK" },
		{ 0, 8, O_ACCMODE, 0, 0, EINVAL, "O_ACCMODE" },
		{ 0, 8, 1ULL << 40, 0, 0, EINVAL, "fd_flags bit 40" },
		{ 1, 8, O_RDWR, 0, 0, EINVAL, "offset not page aligned" },
		{ 0, 4, O_RDWR, 0, 0, EINVAL, "a part of the run" },
		{ 0, 9, O_RDWR, 0, 0, EINVAL, "more than the run" },
		{ 0, 0, O_RDWR, 0, 0, EINVAL, "no pages" },
		{ 4096, 4, O_RDWR, 0, 0, EINVAL, "the run's tail" },
		{ ~0ULL << 12, 2, O_RDWR, 0, 0, EINVAL, "past the range" },
	};

	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	other = pb_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, pb_alloc(other, 2, 0, 0, &other_run));
	ASSERT_EQ(0, pb_stats(self->fd, &before));
	nfds = pb_nfds();
	for (k = 0; k < (int)PB_ARRAY_SIZE(cases); k++) {
		/* off: 0 the run, 1 one byte in, 4096 four pages in, else as is. */
		__u64 off = cases[k].off;

		if (off == 4096)
			off = a.offset + 4 * self->ps;
		else if (off == 1)
			off = a.offset + 1;
		else if (!off)
			off = a.offset;
		e = (struct palloc_ioc_export){
			.offset = off, .npages = cases[k].n, .fd_flags = cases[k].fd_flags,
			.flags = cases[k].flags, .reserved = { cases[k].rsv },
		};
		EXPECT_EQ(cases[k].err, pb_ioctl(self->fd, PALLOC_IOC_EXPORT, &e))
			TH_LOG("%s", cases[k].what);
	}
	/* Another file's run, and a bad pointer. */
	EXPECT_EQ(EINVAL, pb_export(self->fd, other_run.offset, 2, O_RDWR, &buf));
	EXPECT_EQ(EFAULT, pb_ioctl(self->fd, PALLOC_IOC_EXPORT, (void *)8));
	ASSERT_EQ(0, pb_stats(self->fd, &after));
	EXPECT_EQ(before.runs_exported, after.runs_exported);
	EXPECT_EQ(before.pages_held, after.pages_held);
	EXPECT_EQ(before.pages_inuse, after.pages_inuse);
	EXPECT_EQ(before.owned_pages, after.owned_pages);
	EXPECT_EQ(nfds, pb_nfds());
	/* Still exportable after all that. */
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 8, O_RDWR, &buf));
	close(buf);
	close(other);
}

/* Bad heap ALLOC arguments: the dma-heap ABI's EINVAL, nothing allocated. */
TEST_F(pb, heap_bad_args)
{
	struct palloc_ioc_stats before, after;
	struct pb_heap_alloc h;
	int heap, nfds, k;
	const struct {
		__u64 len, heap_flags;
		__u32 fd, fd_flags;
		int err;
		const char *what;
	} cases[] = {
		{ 0, 0, 0, O_RDWR, EINVAL, "len 0" },
		{ ~0ULL, 0, 0, O_RDWR, EINVAL, "len ~0" },
		{ 1, 1, 0, O_RDWR, EINVAL, "heap_flags" },
		{ 1, 1ULL << 63, 0, O_RDWR, EINVAL, "heap_flags bit 63" },
		{ 1, 0, 0, O_RDWR | O_NONBLOCK, EINVAL, "O_NONBLOCK" },
		{ 1, 0, 0, O_ACCMODE, EINVAL, "O_ACCMODE" },
		{ 1, 0, 5, O_RDWR, EINVAL, "fd not zero" },
	};

	heap = open(pb_heap_path(), O_RDWR | O_CLOEXEC);
	if (heap < 0 && errno == ENOENT)
		SKIP(return, "no %s", pb_heap_path());
	ASSERT_LE(0, heap);
	ASSERT_EQ(0, pb_stats(self->fd, &before));
	nfds = pb_nfds();
	for (k = 0; k < (int)PB_ARRAY_SIZE(cases); k++) {
		h = (struct pb_heap_alloc){ .len = cases[k].len, .fd = cases[k].fd,
					    .fd_flags = cases[k].fd_flags,
					    .heap_flags = cases[k].heap_flags };
		EXPECT_EQ(cases[k].err, pb_ioctl(heap, PB_HEAP_IOCTL_ALLOC, &h))
			TH_LOG("%s", cases[k].what);
	}
	/* Larger than the range: no run fits. */
	h = (struct pb_heap_alloc){ .len = (self->info.npages + 1) * self->ps, .fd_flags = O_RDWR };
	EXPECT_EQ(EINVAL, pb_ioctl(heap, PB_HEAP_IOCTL_ALLOC, &h));
	EXPECT_EQ(EFAULT, pb_ioctl(heap, PB_HEAP_IOCTL_ALLOC, (void *)8));
	EXPECT_EQ(ENOTTY, pb_ioctl(heap, _IOWR('H', 0x1, struct pb_heap_alloc), &h));
	EXPECT_EQ(ENOTTY, pb_ioctl(heap, PALLOC_IOC_ALLOC, &h));
	ASSERT_EQ(0, pb_stats(self->fd, &after));
	EXPECT_EQ(before.runs, after.runs);
	EXPECT_EQ(before.pages_inuse, after.pages_inuse);
	EXPECT_EQ(before.allocs, after.allocs);
	EXPECT_EQ(nfds, pb_nfds());
	close(heap);
}

/*
 * Zero on reuse across the dma-buf paths: pages written through a dma-buf
 * and released with it come back zeroed, through the heap node and through
 * ALLOC alike.
 */
TEST_F(pb, dmabuf_zero_on_reuse)
{
	__u64 n = 256, len = n * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	int buf, round;
	char *p;

	pb_scavenger_pause(self->fd, self->goal);
	for (round = 0; round < 3; round++) {
		buf = pb_heap_alloc(len, O_RDWR);
		if (buf == -ENOENT)
			SKIP(return, "no %s", pb_heap_path());
		ASSERT_LE(0, buf);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(len, pb_first_nonzero(p, len))
			TH_LOG("round %d: heap buffer not zero", round);
		memset(p, 0xa5, len);
		munmap(p, len);
		close(buf);
		ASSERT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
		/* The same pages (first fit), dirty: ALLOC must zero them. */
		ASSERT_EQ(0, pb_alloc(self->fd, n, 0, 0, &a));
		p = pb_map(self->fd, a.offset, n);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(len, pb_first_nonzero(p, len)) TH_LOG("round %d: ALLOC not zero", round);
		memset(p, 0x5a, len);
		ASSERT_EQ(0, pb_export(self->fd, a.offset, n, O_RDWR, &buf));
		munmap(p, len);
		ASSERT_EQ(0, pb_free(self->fd, a.offset, n));
		close(buf);
		ASSERT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
	}
}

/*
 * debugfs "runs" lists each run's holders: its file, mappings, dma-buf and
 * kernel mappings.
 */
TEST_F(pb, debugfs_runs_holders)
{
	struct palloc_ioc_alloc a;
	char want[128], *text;
	int buf = -1;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 3, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 3);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 3, O_RDWR, &buf));
	text = pb_read_debugfs("runs", NULL);
	if (!text)
		SKIP(goto out, "no debugfs");
	snprintf(want, sizeof(want), "run offset 0x%llx pages 3 wb refs 3 file yes pid %d",
		 a.offset, getpid());
	EXPECT_TRUE(!!strstr(text, want)) TH_LOG("want '%s' in:\n%s", want, text);
	snprintf(want, sizeof(want), "run offset 0x%llx pages 3 ", a.offset);
	p[0] = 1;
	EXPECT_TRUE(!!strstr(strstr(text, want) ?: "", "maps 1 dmabuf yes"));
	free(text);
out:
	munmap(p, 3 * self->ps);
	close(buf);
}

/* WC runs (grabbed mode): mapped and exported write-combining; no mixed mapping. */
TEST_F(pb, wc_run)
{
	struct palloc_ioc_alloc a, b;
	struct palloc_ioc_stats st;
	char *p, *q, *text, want[96];
	int buf = -1;

	if (self->info.mode != PALLOC_MODE_GRABBED) {
		/* Reserved mode: refused (the kernel's WB mapping of the range). */
		EXPECT_EQ(EOPNOTSUPP, pb_alloc(self->fd, 4, 0, PALLOC_ALLOC_WC, &a));
		return;
	}
	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, PALLOC_ALLOC_WC, &a));
	/* A WB neighbour right after it: one mapping over both is refused. */
	ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &b));
	if (b.offset == a.offset + 4 * self->ps)
		EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset, 5, MAP_SHARED));
	p = pb_map(self->fd, a.offset, 4);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(4 * self->ps, pb_first_nonzero(p, 4 * self->ps));
	pb_pattern(p, 4 * self->ps, 0x3c3c);
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 4, O_RDWR, &buf));
	q = mmap(NULL, 4 * self->ps, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(4 * self->ps, pb_pattern_diff(q, 4 * self->ps, 0x3c3c));
	text = pb_read_debugfs("runs", NULL);
	if (text) {
		snprintf(want, sizeof(want), "run offset 0x%llx pages 4 wc ", a.offset);
		EXPECT_TRUE(!!strstr(text, want)) TH_LOG("want '%s' in:\n%s", want, text);
		free(text);
	}
	munmap(q, 4 * self->ps);
	munmap(p, 4 * self->ps);
	close(buf);
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 4));
	ASSERT_EQ(0, pb_free(self->fd, b.offset, 1));
	ASSERT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
	/* The pages came back write-back and zeroed: a WB run over them reads zero. */
	ASSERT_EQ(0, pb_alloc(self->fd, 5, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 5);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(5 * self->ps, pb_first_nonzero(p, 5 * self->ps));
	munmap(p, 5 * self->ps);
}

/* Is FIXTURE.TEST in the comma-separated list @only? */
static bool pb_listed(const char *only, const char *fixture, const char *test)
{
	char name[256], list[1024];

	snprintf(name, sizeof(name), ",%s.%s,", fixture, test);
	snprintf(list, sizeof(list), ",%s,", only);
	return strstr(list, name);
}

/*
 * PB_ONLY=FIXTURE.TEST[,...] runs only those tests (the 6.1 harness has no
 * test filter of its own): drop the others from the harness's lists.
 */
/*
 * vmtest --pin-hold: for tests/init.sh.  Allocate a run, map it, splice
 * one page of it into a pipe this process keeps (a pin), unmap, free and
 * close the device, print "pinned" and wait to be killed: the module must
 * stay loaded while the page is quarantined.  With PFN mappings the splice
 * fails: print "no pin: <error>" and exit.
 */
static int pb_pin_hold(void)
{
	struct palloc_ioc_alloc a;
	struct iovec iov;
	int fd, pfd[2];
	char *p;

	fd = pb_open();
	if (fd < 0 || pb_alloc(fd, 4, 0, 0, &a) || pipe(pfd))
		return 2;
	p = pb_map(fd, a.offset, 4);
	if (p == MAP_FAILED)
		return 2;
	memset(p, 0x77, 4 * pb_page_size());
	iov = (struct iovec){ .iov_base = p + pb_page_size(), .iov_len = pb_page_size() };
	if (vmsplice(pfd[1], &iov, 1, 0) != (ssize_t)pb_page_size()) {
		printf("no pin: %s\n", strerror(errno));
		return 0;
	}
	munmap(p, 4 * pb_page_size());
	if (pb_free(fd, a.offset, 4))
		return 2;
	close(fd);
	printf("pinned\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *only = getenv("PB_ONLY");
	struct __fixture_metadata *f;

	if (argc == 2 && !strcmp(argv[1], "--pin-hold"))
		return pb_pin_hold();

	for (f = only ? __fixture_list : NULL; f; f = f->next) {
		struct __test_metadata *t, *next, *head = NULL, *tail = NULL;

		for (t = f->tests; t; t = next) {
			next = t->next;
			if (!pb_listed(only, f->name, t->name))
				continue;
			if (!head) {
				head = t;
			} else {
				tail->next = t;
				t->prev = tail;
			}
			tail = t;
			t->next = NULL;
			head->prev = tail;
		}
		f->tests = head;
	}
	return test_harness_run(argc, argv);
}
