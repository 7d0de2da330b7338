// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the page allocator (heap.c, pagealloc.c, pagecache.c,
 * scavenge.c): Go's pageAlloc, its per-CPU page caches (pageCache) and the
 * scavenger over a range of pages.  The model and each suite are in
 * kunit/pagealloc/, included below.
 *
 * Expected values come from Go 1.19's own tests (mpagealloc_test.go,
 * mpagecache_test.go, mgcscavenge_test.go; cases named after the Go
 * subtests), from working Go's semantics through by hand, or from the
 * reference model below, which keeps plain per-page bitmaps and answers
 * every question bit by bit: lowest aligned fit, the page cache of Go's
 * mheap.allocSpan on one CPU, the scavenger's top-down order.  None was
 * produced by running the code under test.
 *
 * Each random case prints its seed; run it again with
 * pagealloc_test.seed=<seed> on the kernel command line.
 */

#include <kunit/test.h>
#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "../pagealloc.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static unsigned int pa_seed;
module_param_named(seed, pa_seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the random cases; 0 = a new random seed per case");

#define CP		PALLOC_CHUNK_PAGES
/* Page @i of chunk @ci (Go's PageBase, in pages). */
#define PB(ci, i)	((u64)(ci) * CP + (i))
/* "No allocation" in the tables (Go's address 0). */
#define NONE		U64_MAX
#define ALL		U64_MAX
#define CACHE_MAX	PALLOC_CACHE_MAX_ALLOC

/* Scavenger release runs remembered per call. */
#define PA_LOG_MAX	1024
/* Live allocations of a random case. */
#define PA_LIVE_MAX	256

struct pa_run {
	u64 start;
	u64 n;
};

struct pa_conc;

/*
 * One test's heap and its reference model.  The model has one bit per page
 * in each bitmap, for every page of every chunk (pages past npages are
 * never present):
 *  - present: grown;
 *  - owned: allocated to the test;
 *  - scav: free and scavenged (pages held by the page cache included);
 *  - avail: free and not held by the page cache.
 * The page cache of the CPU the test is pinned to is c_base/c_cache, with
 * Go's polarity (1 = free page held by the cache); c_out has the pages of
 * its block it handed out that are still the test's, which a free on this
 * CPU gives back to the cache instead of the heap.
 */
struct pa_fix {
	struct kunit *test;
	bool debug_locks;
	u32 seed;
	unsigned int step;
	struct palloc_heap *h;

	u64 npages;
	u64 nbits;
	unsigned long *present;
	unsigned long *owned;
	unsigned long *scav;
	unsigned long *avail;
	unsigned long *scratch;
	u64 c_base;
	u64 c_cache;
	u64 c_out;

	/* The counters palloc_heap_stats() must report. */
	u64 allocs;
	u64 cache_allocs;
	u64 cache_frees;
	u64 frees;
	u64 alloc_failures;
	u64 free_errors;
	u64 released;
	u64 scav_runs;

	/* The release callback: checks every run against the model. */
	struct mutex lock;	/* the model against a background scavenger */
	int release_err;
	bool release_probe;
	struct pa_conc *conc;	/* concurrent mode */
	unsigned int nlog;
	struct pa_run *log;
	struct pa_run *expect;
	atomic_t bad;
	atomic_t probes;
	u64 bad_start;
	u64 bad_n;
	const char *bad_why;
};

/*
 * The model, then one file per suite, along the heap's own seams
 * (pagealloc.c and heap.c, pagecache.c, scavenge.c).
 */
#include "pagealloc/model.c"
#include "pagealloc/heap.c"
#include "pagealloc/cache.c"
#include "pagealloc/scavenge.c"
#include "pagealloc/concurrent.c"

kunit_test_suites(&palloc_heap_suite, &palloc_cache_suite, &palloc_scavenge_suite,
		  &palloc_concurrent_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites for the pallocbits page allocator");
