// SPDX-License-Identifier: GPL-2.0
/*
 * userbench: what a user of /dev/pallocbits pays, measured in the VM by
 * `make bench` (scripts/vmtest.sh bench).  Not a test: nothing is asserted
 * about time.  TCG distorts absolute times, so only ratios are reported
 * (the raw medians are printed too, for the log).
 *
 * For runs of 1, 16, 512 and 4096 pages, the median of ALLOC + mmap() +
 * first touch of every page + munmap() + FREE:
 *  - scavenged: every free page was released (zeroed) by a forced
 *    PALLOC_IOC_SCAVENGE before the iteration (untimed), as the background
 *    scavenger leaves them: ALLOC hands them out without zeroing;
 *  - dirty: the background scavenger is paused and the run's pages were
 *    just freed by the previous iteration: ALLOC must zero them.
 * And a half-scavenged 512-page run: every free page released, then the
 * lowest 256 pages allocated and freed again (untimed), so that the next
 * 512-page ALLOC (first fit, the same place) gets 256 dirty pages and 256
 * known-zero ones: ALLOC zeroes only the dirty ones.
 * And, in the same boot, a 2 MiB MAP_HUGETLB anonymous mapping: mmap(),
 * first touch of every 4 KiB page (one fault, which zeroes the huge page),
 * munmap().
 *
 * And the TLB: random 8-byte reads over a 1 GiB run, mapped once with
 * 2 MiB page-table entries and once with 4 KiB ones (MADV_NOHUGEPAGE on
 * a second mapping of the same run), in the same boot; the module's fault
 * counters show which entries each mapping got.
 *
 * Output: lines "userbench: UBENCH <record>", turned into a table by
 * scripts/bench.sh:
 *   UBENCH run <npages> <iterations> <scavenged median ns> <dirty median ns>
 *	<pages known zero in the scavenged runs, %>
 *   UBENCH half <npages> <iterations> <median ns> <pages known zero, %>
 *   UBENCH hugetlb <iterations> <median ns>   (or "UBENCH hugetlb none <why>")
 *   UBENCH tlb <MiB> <reads> <seed> <2 MiB ns/read> <4 KiB ns/read> <PMD faults>
 *	<4 KiB faults>   (or "UBENCH tlb none <why>")
 * Exit status 0, or 1 if the device cannot be used.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lib/libpallocbits.h"

#define UB_DEBUGFS	"/sys/kernel/debug/pallocbits/scavenger"
#define UB_HUGE		(2UL << 20)
#define UB_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static __u64 ub_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int ub_cmp(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static __u64 ub_median(__u64 *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), ub_cmp);
	return v[n / 2];
}

/* Write "goal_pages N" to the scavenger knob: U64_MAX stops it. */
static int ub_goal(const char *goal)
{
	char line[64];
	int fd = open(UB_DEBUGFS, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "goal_pages %s", goal);
	ok = write(fd, line, strlen(line)) == (ssize_t)strlen(line);
	close(fd);
	return ok ? 0 : -EIO;
}

/* One ALLOC + map + touch + unmap + FREE; its time, or 0 on failure. */
static __u64 ub_cycle(int fd, __u64 npages, size_t ps, __u64 *scav)
{
	struct pallocbits_buf buf;
	__u64 t0, t1, i;

	t0 = ub_now();
	if (pallocbits_alloc(fd, npages, 1, 0, &buf))
		return 0;
	if (pallocbits_map(fd, &buf, PROT_READ | PROT_WRITE)) {
		pallocbits_free(fd, &buf);
		return 0;
	}
	for (i = 0; i < npages; i++)
		((char *)buf.addr)[i * ps] = 1;
	*scav = buf.scavenged;
	if (pallocbits_free(fd, &buf))
		return 0;
	t1 = ub_now();
	return t1 - t0;
}

static int ub_run(int fd, __u64 npages, unsigned int iters, size_t ps, __u64 range)
{
	__u64 *scav_ns = calloc(iters, sizeof(__u64));
	__u64 *dirty_ns = calloc(iters, sizeof(__u64));
	__u64 known = 0, s;
	unsigned int k;
	int ret = 1;

	if (!scav_ns || !dirty_ns)
		goto out;
	for (k = 0; k < iters; k++) {
		/* Untimed: every free page released, as after background scavenging. */
		pallocbits_scavenge(fd, range, PALLOC_SCAVENGE_FORCE, NULL);
		scav_ns[k] = ub_cycle(fd, npages, ps, &s);
		if (!scav_ns[k])
			goto out;
		known += s;
	}
	/* The run's pages were just freed dirty; nothing releases them now. */
	for (k = 0; k < iters; k++) {
		dirty_ns[k] = ub_cycle(fd, npages, ps, &s);
		if (!dirty_ns[k])
			goto out;
	}
	printf("userbench: UBENCH run %llu %u %llu %llu %llu\n", (unsigned long long)npages, iters,
	       (unsigned long long)ub_median(scav_ns, iters),
	       (unsigned long long)ub_median(dirty_ns, iters),
	       (unsigned long long)(known * 100 / (npages * iters)));
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "userbench: %llu-page cycles failed\n", (unsigned long long)npages);
	free(scav_ns);
	free(dirty_ns);
	return ret;
}

/* Half-scavenged runs of @npages: the lower half dirty, the upper known zero. */
static int ub_half(int fd, __u64 npages, unsigned int iters, size_t ps, __u64 range)
{
	__u64 *ns = calloc(iters, sizeof(__u64)), known = 0, s;
	struct pallocbits_buf half;
	unsigned int k;
	int ret = 1;

	for (k = 0; ns && k < iters; k++) {
		pallocbits_scavenge(fd, range, PALLOC_SCAVENGE_FORCE, NULL);
		if (pallocbits_alloc(fd, npages / 2, 1, 0, &half) || pallocbits_free(fd, &half))
			goto out;
		ns[k] = ub_cycle(fd, npages, ps, &s);
		if (!ns[k])
			goto out;
		known += s;
	}
	if (ns) {
		printf("userbench: UBENCH half %llu %u %llu %llu\n", (unsigned long long)npages,
		       iters, (unsigned long long)ub_median(ns, iters),
		       (unsigned long long)(known * 100 / (npages * iters)));
		ret = 0;
	}
out:
	if (ret)
		fprintf(stderr, "userbench: half-scavenged %llu-page cycles failed\n",
			(unsigned long long)npages);
	free(ns);
	return ret;
}

static void ub_hugetlb(size_t ps, unsigned int iters)
{
	__u64 *ns = calloc(iters, sizeof(__u64));
	unsigned int k;
	size_t i;

	for (k = 0; ns && k < iters; k++) {
		__u64 t0 = ub_now();
		char *p = mmap(NULL, UB_HUGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

		if (p == MAP_FAILED) {
			printf("userbench: UBENCH hugetlb none %s\n", strerror(errno));
			free(ns);
			return;
		}
		for (i = 0; i < UB_HUGE; i += ps)
			p[i] = 1;
		munmap(p, UB_HUGE);
		ns[k] = ub_now() - t0;
	}
	if (ns)
		printf("userbench: UBENCH hugetlb %u %llu\n", iters,
		       (unsigned long long)ub_median(ns, iters));
	free(ns);
}

#define UB_TLB_PAGES	262144UL	/* 1 GiB of 4 KiB pages */
#define UB_TLB_READS	4194304UL

/* ns per read of @n random 8-byte words of [p, p + len), best of 3. */
static double ub_random_reads(const char *p, size_t len, unsigned long n, __u64 seed)
{
	double best = 0;
	int round;

	for (round = 0; round < 3; round++) {
		__u64 x = seed, sum = 0, t0;
		unsigned long i;

		t0 = ub_now();
		for (i = 0; i < n; i++) {
			/* xorshift64 */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sum += __atomic_load_n((const __u64 *)(p + (x % (len / 8)) * 8),
					       __ATOMIC_RELAXED);
		}
		t0 = ub_now() - t0;
		if (!round || (double)t0 / n < best)
			best = (double)t0 / n;
		if (sum == 42)	/* keep the loads */
			fputc(' ', stderr);
	}
	return best;
}

static void ub_tlb(int fd, size_t ps)
{
	struct palloc_ioc_stats s0, s1, s2;
	struct pallocbits_buf buf, b4;
	size_t len = UB_TLB_PAGES * ps, i;
	__u64 seed = (__u64)ub_now() | 1;
	double ns2m, ns4k;
	int ret;

	ret = pallocbits_alloc(fd, UB_TLB_PAGES, 512, 0, &buf);
	if (ret) {
		printf("userbench: UBENCH tlb none alloc-1GiB:%s\n", strerror(-ret));
		return;
	}
	pallocbits_stats(fd, &s0);
	if (pallocbits_map(fd, &buf, PROT_READ | PROT_WRITE)) {
		printf("userbench: UBENCH tlb none mmap\n");
		goto out_free;
	}
	for (i = 0; i < len; i += ps)
		__atomic_store_n((char *)buf.addr + i, (char)i, __ATOMIC_RELAXED);
	pallocbits_stats(fd, &s1);
	b4 = buf;
	b4.addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)buf.offset);
	if (b4.addr == MAP_FAILED || madvise(b4.addr, len, MADV_NOHUGEPAGE)) {
		printf("userbench: UBENCH tlb none second-mapping\n");
		goto out_free;
	}
	for (i = 0; i < len; i += ps)
		(void)__atomic_load_n((char *)b4.addr + i, __ATOMIC_RELAXED);
	pallocbits_stats(fd, &s2);
	ns2m = ub_random_reads(buf.addr, len, UB_TLB_READS, seed);
	ns4k = ub_random_reads(b4.addr, len, UB_TLB_READS, seed);
	printf("userbench: UBENCH tlb %zu %lu %llu %.2f %.2f %llu %llu\n", len >> 20,
	       UB_TLB_READS, (unsigned long long)seed, ns2m, ns4k,
	       (unsigned long long)(s1.faults_pmd - s0.faults_pmd),
	       (unsigned long long)(s2.faults_pte - s1.faults_pte));
	munmap(b4.addr, len);
out_free:
	pallocbits_free(fd, &buf);
}

int main(void)
{
	static const struct { __u64 npages; unsigned int iters; } runs[] = {
		{ 1, 400 }, { 16, 200 }, { 512, 60 }, { 4096, 12 },
	};
	struct palloc_ioc_info info;
	size_t ps = pallocbits_page_size();
	unsigned int k;
	int fd, ret = 0;

	fd = pallocbits_open(0);
	if (fd < 0 || pallocbits_info(fd, &info)) {
		fprintf(stderr, "userbench: /dev/pallocbits: %s\n", strerror(fd < 0 ? -fd : EIO));
		return 1;
	}
	if (ub_goal("18446744073709551615"))
		fprintf(stderr, "userbench: cannot pause the background scavenger\n");
	for (k = 0; k < UB_ARRAY_SIZE(runs) && !ret; k++)
		if (runs[k].npages <= info.npages)
			ret = ub_run(fd, runs[k].npages, runs[k].iters, ps, info.npages);
	if (!ret && info.npages >= 512)
		ret = ub_half(fd, 512, 60, ps, info.npages);
	ub_hugetlb(ps, 60);
	if (info.npages >= UB_TLB_PAGES)
		ub_tlb(fd, ps);
	else
		printf("userbench: UBENCH tlb none range-smaller-than-1GiB\n");
	close(fd);
	return ret;
}
