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

/*
 * The tests, one file per area, in the order they run (the harness runs
 * them in definition order).
 */
#include "vmtest/functional.c"
#include "vmtest/hardening.c"
#include "vmtest/stress.c"
#include "vmtest/process.c"
#include "vmtest/pages.c"
#include "vmtest/elastic.c"
#include "vmtest/races.c"
#include "vmtest/bad.c"
#include "vmtest/fuzz.c"
#include "vmtest/dmabuf.c"

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
