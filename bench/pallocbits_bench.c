// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks of pallocbits, run as the KUnit suite palloc_bench in a UML
 * kernel by `make bench` (scripts/bench.sh).  Nothing here is a test: no
 * time is asserted; only functional errors (a refused free, a failed setup)
 * fail a case.
 *
 * Workloads, every allocator on the same kernel with the same inputs:
 *  churn:  a range of 64 MiB .. 64 GiB of 4 KiB pages (bookkeeping only, no
 *          memory behind it) is laid out as consecutive runs of 1..512
 *          pages, 60 % of them allocated (chosen at random); then a seeded
 *          random sequence of pairs (free a random live run, allocate
 *          1..512 pages) is timed pair by pair: pallocbits
 *          (palloc_heap_alloc/free, the public API), gen_pool first-fit and
 *          best-fit, a bare bitmap_find_next_zero_area() +
 *          bitmap_set/bitmap_clear allocator, a maple-tree range allocator
 *          (mas_empty_area() + store), the IOVA allocator (alloc_iova(), and
 *          alloc_iova_fast() with its per-CPU rcache; the layout's live runs
 *          are reserve_iova()d), and the buddy allocator (alloc_pages() of
 *          the size rounded up to a power of two, 64 blocks live: no range
 *          to lay out).
 *  single: on the same fragmented ranges, 1-page alloc + free pairs, timed
 *          in batches of BENCH_BATCH pairs, all at the lowest free page
 *          (first fit): pallocbits through its per-CPU cache (align 1),
 *          pallocbits with align 2 (never the cache: the locked search
 *          path), and gen_pool first-fit.
 *  core:   the chunk-bitmap functions on Go's benchmark patterns
 *          (bench_patterns.h), ns per call over many calls.
 *
 * Time is read with rdtsc, calibrated against ktime_get_ns() over 250 ms
 * (UML's clock moves in 256 ns steps) when the suite starts and checked
 * again when it ends.  Results are printed as lines
 * "palloc_bench: PBENCH <record>" that scripts/bench.sh turns into tables:
 *   PBENCH churn <range> <allocator> <pairs> <median> <p99> <mean> <fails>
 *   PBENCH single <range> <allocator> <pairs> <median> <p99> <mean> <fails>
 *   PBENCH core <function> <name> <ns/op>
 * Times are ns with two decimals; median and p99 of single are those of
 * the batch averages.  Each churn and single figure is run bench_rounds
 * times (module parameter rounds, default 5), each round from a fresh
 * layout with the same sequence, and the round with the lowest median is
 * printed, as the core figures keep their fastest loop: other load on the
 * machine moves a round by up to 2x.
 */
#define pr_fmt(fmt) "palloc_bench: " fmt

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/genalloc.h>
#include <linux/gfp.h>
#include <linux/iova.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/maple_tree.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "../pagealloc.h"
#include "../pallocbits.h"
#include "bench_patterns.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

static unsigned int bench_seed = 20240611;
module_param_named(seed, bench_seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the range layouts and of the random alloc/free sequences");

static unsigned int bench_rounds = 5;
module_param_named(rounds, bench_rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds of each churn and single-page figure; the round with the lowest median is printed");

static char *bench_only = "";
module_param_named(only, bench_only, charp, 0444);
MODULE_PARM_DESC(only, "run the churn and single-page cases of this range only (e.g. 64GiB; empty: all)");

static bool bench_peers = true;
module_param_named(peers, bench_peers, bool, 0444);
MODULE_PARM_DESC(peers, "run the other allocators too (0: pallocbits alone, e.g. to profile it)");

/* gen_pool address of page 0: any page-aligned non-zero number will do. */
#define BENCH_BASE		BIT(44)
/* Longest run allocated, in pages. */
#define BENCH_MAX_RUN		512
/* Share of the layout's runs that start allocated, in percent. */
#define BENCH_FULL_PCT		60
/* 1-page alloc+free pairs per timed batch. */
#define BENCH_BATCH		64
/* pallocbits is also run this long at every range size (the scaling row). */
#define BENCH_LONG_OPS		200000U
/* Calibration period of the cycle counter. */
#define BENCH_CAL_MS		250U

/**
 * struct bench_range - one range size of the churn and single workloads
 * @name: its label, as printed
 * @bytes: its size (pages of PAGE_SIZE)
 * @ops: free+alloc pairs timed for each allocator
 * @single_pairs: 1-page alloc+free pairs timed for each allocator
 * @peers: run the other allocators too (not at 1 TiB, where the scanning
 *	ones would take hours; pallocbits' bookkeeping is about 70 MB there)
 */
struct bench_range {
	const char *name;
	u64 bytes;
	u32 ops;
	u32 single_pairs;
	bool peers;
};

/* gen_pool and the bare bitmap scan the range: fewer pairs at large sizes. */
static const struct bench_range bench_ranges[] = {
	{ "64MiB", SZ_64M, 200000, 640000, true },
	{ "1GiB", SZ_1G, 100000, 640000, true },
	{ "4GiB", 4ULL * SZ_1G, 50000, 640000, true },
	{ "64GiB", 64ULL * SZ_1G, 20000, 640000, true },
	{ "1TiB", 1024ULL * SZ_1G, 20000, 640000, false },
};

/* gen_pool's single-page pairs: its cost grows with the range. */
#define BENCH_GP_SINGLE_PAIRS	64000U

enum bench_kind {
	BENCH_PALLOC,		/* palloc_heap_alloc(align 1) / palloc_heap_free */
	BENCH_PALLOC_ALIGN2,	/* align 2: the locked path even for 1 page */
	BENCH_GP_FIRST,		/* gen_pool, default algorithm gen_pool_first_fit */
	BENCH_GP_BEST,		/* gen_pool_best_fit */
	BENCH_BITMAP,		/* bitmap_find_next_zero_area + bitmap_set/clear */
	BENCH_MAPLE,		/* maple tree: mas_empty_area + store, store NULL */
	BENCH_IOVA,		/* alloc_iova / free_iova (top down, rbtree) */
	BENCH_IOVA_FAST,	/* alloc_iova_fast / free_iova_fast (per-CPU rcache) */
	BENCH_BUDDY,		/* alloc_pages(order) / __free_pages: no pool at all */
};

static const char * const bench_names[] = {
	[BENCH_PALLOC] = "pallocbits",
	[BENCH_PALLOC_ALIGN2] = "pallocbits-align2",
	[BENCH_GP_FIRST] = "genpool-first-fit",
	[BENCH_GP_BEST] = "genpool-best-fit",
	[BENCH_BITMAP] = "bitmap-next-zero-area",
	[BENCH_MAPLE] = "maple-empty-area",
	[BENCH_IOVA] = "iova",
	[BENCH_IOVA_FAST] = "iova-fast",
	[BENCH_BUDDY] = "alloc-pages",
};

/* IOVA page frame of page 0 (pfn 0 is the domain's reserved start). */
#define BENCH_IOVA_PFN0		1
/* The buddy peer keeps this many blocks live, whatever the range size. */
#define BENCH_BUDDY_LIVE	64

/* One allocator over pages [0, npages). */
struct bench_alloc {
	enum bench_kind kind;
	u64 npages;
	struct palloc_heap *heap;
	struct gen_pool *pool;
	unsigned long *map;
	struct maple_tree mt;
	struct iova_domain iovad;
	struct page **pages;	/* buddy: the block at each slot (start = slot) */
	u8 *orders;		/* buddy: its order */
	u64 free_errors;
};

/* A live (allocated) run. */
struct bench_blk {
	u64 start;
	u32 n;
};

/* Cycle counter calibration: ns = cycles * bench_mult >> 24. */
static u32 bench_mult;
static u64 bench_cal_khz;
static u64 bench_sink;

static __always_inline u64 bench_cycles(void)
{
#if defined(CONFIG_X86) || defined(CONFIG_UML_X86)
	u32 lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi) : : "memory");
	return (u64)hi << 32 | lo;
#else
	return ktime_get_ns();
#endif
}

/* Cycles per millisecond, measured against ktime_get_ns() over @ns. */
static u64 bench_calibrate(u64 ns, u32 *mult)
{
	u64 t0, t1, c0, c1;

	t0 = ktime_get_ns();
	while ((t1 = ktime_get_ns()) == t0)
		cpu_relax();	/* start on a clock step */
	c0 = bench_cycles();
	do {
		t0 = ktime_get_ns();
		c1 = bench_cycles();
	} while (t0 - t1 < ns);
	if (mult)
		*mult = div64_u64((t0 - t1) << 24, c1 - c0);
	return div64_u64((c1 - c0) * NSEC_PER_MSEC, t0 - t1);
}

/* Hundredths of a ns of @cycles. */
static u64 bench_ns100(u64 cycles)
{
	return mul_u64_u32_shr(cycles * 100, bench_mult, 24);
}

/* Text of a time in hundredths of a ns, in a caller's buffer. */
static const char *bench_fmt(char *buf, size_t len, u64 ns100)
{
	snprintf(buf, len, "%llu.%02llu", div_u64(ns100, 100), ns100 % 100);
	return buf;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/**
 * struct bench_fig - the figures of one timed round
 * @n: samples
 * @per: operations per sample
 * @med: median sample, cycles
 * @p99: 99th percentile sample, cycles
 * @sum: all samples, cycles
 * @fails: failed allocations
 */
struct bench_fig {
	u32 n;
	u32 per;
	u64 med;
	u64 p99;
	u64 sum;
	u64 fails;
};

/* Sort @n samples of cycles for @per operations each into @f. */
static void bench_figure(struct bench_fig *f, u64 *s, u32 n, u32 per, u64 fails)
{
	u32 i;

	*f = (struct bench_fig){ .n = n, .per = per, .fails = fails };
	if (!n)
		return;
	sort(s, n, sizeof(*s), bench_cmp_u64, NULL);
	for (i = 0; i < n; i++)
		f->sum += s[i];
	f->med = s[n / 2];
	f->p99 = s[min_t(u64, n - 1, (u64)n * 99 / 100)];
}

/* Keep in @best the round with the lower median (the less disturbed one). */
static void bench_keep(struct bench_fig *best, const struct bench_fig *f)
{
	if (!best->n || (f->n && f->med < best->med))
		*best = *f;
}

/* Print "PBENCH <what> <range> <alloc> <pairs> <median> <p99> <mean> <fails>". */
static void bench_print(const char *what, const char *range, const char *alloc,
			const struct bench_fig *f)
{
	char med[24], p99[24], mean[24];

	if (!f->n)
		return;
	pr_info("PBENCH %s %s %s %llu %s %s %s %llu\n", what, range, alloc, (u64)f->n * f->per,
		bench_fmt(med, sizeof(med), div_u64(bench_ns100(f->med), f->per)),
		bench_fmt(p99, sizeof(p99), div_u64(bench_ns100(f->p99), f->per)),
		bench_fmt(mean, sizeof(mean), div64_u64(bench_ns100(f->sum), (u64)f->n * f->per)),
		f->fails);
}

/* ------------------------------------------------------------------ */
/* The allocators                                                      */
/* ------------------------------------------------------------------ */

/*
 * The maple tree as a range allocator: a gap search in the tree's own gap
 * summaries (MT_FLAGS_ALLOC_RANGE), then a store of the range.
 */
static int bench_maple_alloc(struct bench_alloc *a, u32 n, u64 *start)
{
	MA_STATE(mas, &a->mt, 0, 0);
	int ret;

	mas_lock(&mas);
	ret = mas_empty_area(&mas, 0, a->npages - 1, n);
	if (!ret)
		ret = mas_store_gfp(&mas, xa_mk_value(1), GFP_KERNEL);
	mas_unlock(&mas);
	if (ret)
		return ret == -EBUSY ? -ENOMEM : ret;
	*start = mas.index;
	return 0;
}

/*
 * IOVA allocates top down from the limit; the fast path looks in the
 * per-CPU rcache first (sizes up to 32 pages) and rounds the alignment of
 * what it must search for up to a power of two, as dma-iommu does.
 */
static int bench_iova_alloc(struct bench_alloc *a, u32 n, u64 *start)
{
	unsigned long limit = BENCH_IOVA_PFN0 + a->npages - 1, pfn;
	struct iova *iova;

	if (a->kind == BENCH_IOVA_FAST) {
		/* The rcache holds power-of-two sizes up to 32 pages only. */
		pfn = alloc_iova_fast(&a->iovad, n <= 32 ? roundup_pow_of_two(n) : n, limit, false);
		if (!pfn)
			return -ENOMEM;
	} else {
		iova = alloc_iova(&a->iovad, n, limit, false);
		if (!iova)
			return -ENOMEM;
		pfn = iova->pfn_lo;
	}
	*start = pfn - BENCH_IOVA_PFN0;
	return 0;
}

/*
 * The kernel's buddy allocator, rounded up to a power of two: what a
 * driver pays for contiguous memory with no pool.  The slot of the block
 * stands in for its start.
 */
static int bench_buddy_alloc(struct bench_alloc *a, u32 n, u64 *start)
{
	unsigned int order = get_order((size_t)n << PAGE_SHIFT);
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
	u64 slot;

	if (!page)
		return -ENOMEM;
	for (slot = 0; slot < BENCH_BUDDY_LIVE * 2 && a->pages[slot]; slot++)
		;
	if (slot == BENCH_BUDDY_LIVE * 2) {
		__free_pages(page, order);
		return -ENOMEM;
	}
	a->pages[slot] = page;
	a->orders[slot] = order;
	*start = slot;
	return 0;
}

static __always_inline int bench_alloc(struct bench_alloc *a, u32 n, u64 *start)
{
	unsigned long addr, idx;
	u64 scav;

	switch (a->kind) {
	case BENCH_PALLOC:
		return palloc_heap_alloc(a->heap, n, 1, start, &scav);
	case BENCH_PALLOC_ALIGN2:
		return palloc_heap_alloc(a->heap, n, 2, start, &scav);
	case BENCH_GP_FIRST:
	case BENCH_GP_BEST:
		addr = gen_pool_alloc(a->pool, (size_t)n << PAGE_SHIFT);
		if (!addr)
			return -ENOMEM;
		*start = (addr - BENCH_BASE) >> PAGE_SHIFT;
		return 0;
	case BENCH_BITMAP:
		idx = bitmap_find_next_zero_area(a->map, a->npages, 0, n, 0);
		if (idx >= a->npages)
			return -ENOMEM;
		bitmap_set(a->map, idx, n);
		*start = idx;
		return 0;
	case BENCH_MAPLE:
		return bench_maple_alloc(a, n, start);
	case BENCH_IOVA:
	case BENCH_IOVA_FAST:
		return bench_iova_alloc(a, n, start);
	case BENCH_BUDDY:
		return bench_buddy_alloc(a, n, start);
	}
	return -EINVAL;
}

static __always_inline void bench_free(struct bench_alloc *a, u64 start, u32 n)
{
	switch (a->kind) {
	case BENCH_PALLOC:
	case BENCH_PALLOC_ALIGN2:
		if (palloc_heap_free(a->heap, start, n))
			a->free_errors++;
		break;
	case BENCH_GP_FIRST:
	case BENCH_GP_BEST:
		gen_pool_free(a->pool, BENCH_BASE + (start << PAGE_SHIFT), (size_t)n << PAGE_SHIFT);
		break;
	case BENCH_BITMAP:
		bitmap_clear(a->map, start, n);
		break;
	case BENCH_MAPLE:
		if (mtree_store_range(&a->mt, start, start + n - 1, NULL, GFP_KERNEL))
			a->free_errors++;
		break;
	case BENCH_IOVA:
		free_iova(&a->iovad, BENCH_IOVA_PFN0 + start);
		break;
	case BENCH_IOVA_FAST:
		/* Only what alloc_iova_fast() hands out may go to the rcache. */
		if (n <= 32 && is_power_of_2(n))
			free_iova_fast(&a->iovad, BENCH_IOVA_PFN0 + start, n);
		else
			free_iova(&a->iovad, BENCH_IOVA_PFN0 + start);
		break;
	case BENCH_BUDDY:
		__free_pages(a->pages[start], a->orders[start]);
		a->pages[start] = NULL;
		break;
	}
}

/* An allocator of @npages pages, all of them allocated. */
static int bench_setup(struct bench_alloc *a, enum bench_kind kind, u64 npages)
{
	size_t bytes = npages << PAGE_SHIFT;
	u64 start, scav;

	*a = (struct bench_alloc){ .kind = kind, .npages = npages };
	switch (kind) {
	case BENCH_PALLOC:
	case BENCH_PALLOC_ALIGN2:
		a->heap = palloc_heap_create(npages, NULL, NULL);
		if (IS_ERR(a->heap))
			return PTR_ERR(a->heap);
		if (palloc_heap_grow(a->heap, 0, npages, false) ||
		    palloc_heap_alloc(a->heap, npages, 1, &start, &scav) || start) {
			palloc_heap_destroy(a->heap);
			return -EIO;
		}
		return 0;
	case BENCH_GP_FIRST:
	case BENCH_GP_BEST:
		a->pool = gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE);
		if (!a->pool)
			return -ENOMEM;
		if (kind == BENCH_GP_BEST)
			gen_pool_set_algo(a->pool, gen_pool_best_fit, NULL);
		if (gen_pool_add(a->pool, BENCH_BASE, bytes, NUMA_NO_NODE)) {
			gen_pool_destroy(a->pool);
			return -ENOMEM;
		}
		if (gen_pool_alloc(a->pool, bytes) != BENCH_BASE) {
			gen_pool_destroy(a->pool);	/* nothing was allocated */
			return -EIO;
		}
		return 0;
	case BENCH_BITMAP:
		a->map = kvcalloc(BITS_TO_LONGS(npages), sizeof(long), GFP_KERNEL);
		if (!a->map)
			return -ENOMEM;
		bitmap_set(a->map, 0, npages);
		return 0;
	case BENCH_MAPLE:
		mt_init_flags(&a->mt, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_IRQ);
		return mtree_store_range(&a->mt, 0, npages - 1, xa_mk_value(1), GFP_KERNEL);
	case BENCH_IOVA:
	case BENCH_IOVA_FAST:
		/* Starts empty: bench_layout() reserves the live runs. */
		if (iova_cache_get())
			return -ENOMEM;
		init_iova_domain(&a->iovad, PAGE_SIZE, BENCH_IOVA_PFN0);
		if (kind == BENCH_IOVA_FAST && iova_domain_init_rcaches(&a->iovad)) {
			put_iova_domain(&a->iovad);
			iova_cache_put();
			return -ENOMEM;
		}
		return 0;
	case BENCH_BUDDY:
		a->pages = kcalloc(BENCH_BUDDY_LIVE * 2, sizeof(*a->pages), GFP_KERNEL);
		a->orders = kcalloc(BENCH_BUDDY_LIVE * 2, sizeof(*a->orders), GFP_KERNEL);
		if (a->pages && a->orders)
			return 0;
		kfree(a->pages);
		kfree(a->orders);
		return -ENOMEM;
	}
	return -EINVAL;
}

/* Does @kind start empty (live runs are reserved) rather than all allocated? */
static bool bench_starts_empty(enum bench_kind kind)
{
	return kind == BENCH_IOVA || kind == BENCH_IOVA_FAST;
}

/* Free the @nlive runs still allocated (gen_pool_destroy() insists) and tear down. */
static void bench_teardown(struct bench_alloc *a, const struct bench_blk *live, u32 nlive)
{
	u32 i;

	switch (a->kind) {
	case BENCH_PALLOC:
	case BENCH_PALLOC_ALIGN2:
		palloc_heap_destroy(a->heap);
		break;
	case BENCH_GP_FIRST:
	case BENCH_GP_BEST:
		for (i = 0; i < nlive; i++)
			bench_free(a, live[i].start, live[i].n);
		gen_pool_destroy(a->pool);
		break;
	case BENCH_BITMAP:
		kvfree(a->map);
		break;
	case BENCH_MAPLE:
		mtree_destroy(&a->mt);
		break;
	case BENCH_IOVA:
	case BENCH_IOVA_FAST:
		put_iova_domain(&a->iovad);
		iova_cache_put();
		break;
	case BENCH_BUDDY:
		for (i = 0; i < BENCH_BUDDY_LIVE * 2; i++)
			if (a->pages[i])
				__free_pages(a->pages[i], a->orders[i]);
		kfree(a->pages);
		kfree(a->orders);
		break;
	}
}

/* Length of the next run of the layout, at page @p. */
static u32 bench_run_len(struct rnd_state *rs, u64 p, u64 npages)
{
	return min_t(u64, 1 + prandom_u32_state(rs) % BENCH_MAX_RUN, npages - p);
}

/*
 * Lay pages [0, @npages) out as consecutive runs of 1..BENCH_MAX_RUN pages,
 * BENCH_FULL_PCT % of them (chosen at random) live: free the other runs in
 * @a (which starts all allocated) and record the live ones in @live.  With
 * @a NULL only count.  The layout depends on bench_seed alone.  The churn
 * keeps the number of live runs, so the range stays about as full.
 * Return: the number of live runs; *@live_pages their pages.
 */
static u32 bench_layout(struct bench_alloc *a, u64 npages, struct bench_blk *live,
			u64 *live_pages)
{
	struct rnd_state rs, sel;
	u32 nlive = 0, nruns = 0, want, i;
	u64 p, lp = 0;

	prandom_seed_state(&rs, bench_seed);
	for (p = 0; p < npages; nruns++)
		p += bench_run_len(&rs, p, npages);
	want = DIV_ROUND_CLOSEST(nruns * BENCH_FULL_PCT, 100);

	/* Selection sampling (Knuth's algorithm S): exactly @want live runs. */
	prandom_seed_state(&rs, bench_seed);
	prandom_seed_state(&sel, bench_seed + 2);
	for (p = 0, i = 0; p < npages; i++) {
		u32 n = bench_run_len(&rs, p, npages);

		if (prandom_u32_state(&sel) % (nruns - i) < want - nlive) {
			if (live)
				live[nlive] = (struct bench_blk){ .start = p, .n = n };
			if (a && bench_starts_empty(a->kind) &&
			    !reserve_iova(&a->iovad, BENCH_IOVA_PFN0 + p,
					  BENCH_IOVA_PFN0 + p + n - 1))
				a->free_errors++;
			nlive++;
			lp += n;
		} else if (a && !bench_starts_empty(a->kind)) {
			bench_free(a, p, n);
		}
		p += n;
		if (!(i % 1024))
			cond_resched();
	}
	*live_pages = lp;
	return nlive;
}

/* A fragmented range of @npages for @kind: its live runs in @live. */
static void bench_prepare(struct kunit *test, struct bench_alloc *a, enum bench_kind kind,
			  u64 npages, struct bench_blk *live, u32 *nlive)
{
	u64 lp;
	int ret;

	ret = bench_setup(a, kind, npages);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s: setup of %llu pages", bench_names[kind], npages);
	*nlive = bench_layout(a, npages, live, &lp);
	KUNIT_EXPECT_EQ_MSG(test, a->free_errors, 0ULL, "%s: refused frees in the layout",
			    bench_names[kind]);
}

/* ------------------------------------------------------------------ */
/* Workload (a): random free+alloc pairs on a fragmented range         */
/* ------------------------------------------------------------------ */

struct bench_ctx {
	const struct bench_range *r;
	u64 npages;
	struct bench_blk *live;
	u32 nlive0;
	u64 *samples;
};

/*
 * The timed pairs: free a random live run of @live, allocate 1..512 pages
 * (the same seeded sequence for every allocator); a failed allocation
 * drops the run.  Return: pairs timed, into @samples.
 */
static u32 bench_pairs(struct bench_alloc *a, struct bench_blk *live, u32 *nlive, u32 ops,
		       u64 *samples, u64 *fails)
{
	struct rnd_state rs;
	u64 start;
	u32 k;

	prandom_seed_state(&rs, bench_seed + 1);
	for (k = 0; k < ops && *nlive; k++) {
		u32 j = prandom_u32_state(&rs) % *nlive;
		u32 n = 1 + prandom_u32_state(&rs) % BENCH_MAX_RUN;
		u64 t0, t1;
		int err;

		t0 = bench_cycles();
		bench_free(a, live[j].start, live[j].n);
		err = bench_alloc(a, n, &start);
		t1 = bench_cycles();
		samples[k] = t1 - t0;
		if (err) {
			(*fails)++;
			live[j] = live[--*nlive];
		} else {
			live[j] = (struct bench_blk){ .start = start, .n = n };
		}
		if (!(k % 256))
			cond_resched();
	}
	return k;
}

/* One round of the churn: a fresh layout, the pair sequence, its figures. */
static void bench_churn_round(struct kunit *test, struct bench_ctx *c, enum bench_kind kind,
			      u32 ops, struct bench_fig *f)
{
	struct bench_alloc a;
	u64 fails = 0;
	u32 nlive, k;

	bench_prepare(test, &a, kind, c->npages, c->live, &nlive);
	KUNIT_ASSERT_EQ(test, nlive, c->nlive0);
	k = bench_pairs(&a, c->live, &nlive, ops, c->samples, &fails);
	KUNIT_EXPECT_EQ_MSG(test, a.free_errors, 0ULL, "%s: refused frees", bench_names[kind]);
	bench_teardown(&a, c->live, nlive);
	bench_figure(f, c->samples, k, 1, fails);
}

/*
 * The buddy allocator has no range to lay out: it keeps BENCH_BUDDY_LIVE
 * blocks live and runs the same pair sequence (the same sizes) on them.
 */
static void bench_buddy_round(struct kunit *test, struct bench_ctx *c, u32 ops,
			      struct bench_fig *f)
{
	struct bench_blk live[BENCH_BUDDY_LIVE];
	u32 nlive = 0, k;
	struct bench_alloc a;
	struct rnd_state rs;
	u64 fails = 0, start;

	KUNIT_ASSERT_EQ(test, bench_setup(&a, BENCH_BUDDY, c->npages), 0);
	prandom_seed_state(&rs, bench_seed + 1);
	while (nlive < BENCH_BUDDY_LIVE) {
		u32 n = 1 + prandom_u32_state(&rs) % BENCH_MAX_RUN;

		KUNIT_ASSERT_EQ(test, bench_alloc(&a, n, &start), 0);
		live[nlive++] = (struct bench_blk){ .start = start, .n = n };
	}
	k = bench_pairs(&a, live, &nlive, ops, c->samples, &fails);
	bench_teardown(&a, NULL, 0);
	bench_figure(f, c->samples, k, 1, fails);
}

static void bench_single_round(struct kunit *test, struct bench_ctx *c, enum bench_kind kind,
			       u32 pairs, struct bench_fig *f)
{
	u32 nbatch = pairs / BENCH_BATCH, nlive, b, i;
	struct bench_alloc a;
	u64 fails = 0;

	if (kind == BENCH_BUDDY) {
		KUNIT_ASSERT_EQ(test, bench_setup(&a, kind, c->npages), 0);
		nlive = 0;
	} else {
		bench_prepare(test, &a, kind, c->npages, c->live, &nlive);
	}
	for (b = 0; b < nbatch; b++) {
		u64 t0, t1, start;

		t0 = bench_cycles();
		for (i = 0; i < BENCH_BATCH; i++) {
			if (bench_alloc(&a, 1, &start))
				fails++;
			else
				bench_free(&a, start, 1);
		}
		t1 = bench_cycles();
		c->samples[b] = t1 - t0;
		if (!(b % 64))
			cond_resched();
	}
	KUNIT_EXPECT_EQ_MSG(test, a.free_errors, 0ULL, "%s: refused frees", bench_names[kind]);
	bench_teardown(&a, c->live, nlive);
	bench_figure(f, c->samples, nbatch, BENCH_BATCH, fails);
}

/* Set up the shared state of one range size. */
static void bench_ctx_init(struct kunit *test, struct bench_ctx *c, const struct bench_range *r,
			   u32 nsamples)
{
	u64 lp;

	c->r = r;
	c->npages = r->bytes >> PAGE_SHIFT;
	c->nlive0 = bench_layout(NULL, c->npages, NULL, &lp);
	c->live = kvmalloc_array(c->nlive0, sizeof(*c->live), GFP_KERNEL);
	c->samples = kvmalloc_array(nsamples, sizeof(*c->samples), GFP_KERNEL);
	if (!c->live || !c->samples) {
		kvfree(c->live);
		kvfree(c->samples);
		KUNIT_ASSERT_FAILURE(test, "out of memory for %u samples", nsamples);
	}
	pr_info("PBENCH layout %s %llu pages, %u live runs, %llu live pages (%llu.%llu%% full)\n",
		r->name, c->npages, c->nlive0, lp, div64_u64(lp * 100, c->npages),
		div64_u64(lp * 1000, c->npages) % 10);
}

static void bench_ctx_free(struct bench_ctx *c)
{
	kvfree(c->live);
	kvfree(c->samples);
}

static void bench_range_desc(const struct bench_range *r, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s", r->name);
}

KUNIT_ARRAY_PARAM(bench_range, bench_ranges, bench_range_desc);

/*
 * Each figure is the best of bench_rounds rounds.  The rounds of every
 * allocator are interleaved (round 1 of each, then round 2 of each, ...),
 * so that a noisy second of the machine does not fall on every round of
 * one allocator.
 */
static void palloc_bench_churn(struct kunit *test)
{
	const struct bench_range *r = test->param_value;
	static const enum bench_kind kinds[] = {
		BENCH_PALLOC, BENCH_GP_FIRST, BENCH_GP_BEST, BENCH_BITMAP, BENCH_MAPLE,
		BENCH_IOVA, BENCH_IOVA_FAST,
	};
	unsigned int i, nk = r->peers && bench_peers ? ARRAY_SIZE(kinds) : 1, round;
	struct bench_fig best[ARRAY_SIZE(kinds)] = {}, buddy = {}, along = {}, f;
	struct bench_ctx c;

	if (*bench_only && strcmp(bench_only, r->name))
		kunit_skip(test, "only=%s", bench_only);
	bench_ctx_init(test, &c, r, max(r->ops, BENCH_LONG_OPS));
	for (round = 0; round < max(bench_rounds, 1U); round++) {
		for (i = 0; i < nk; i++) {
			bench_churn_round(test, &c, kinds[i], r->ops, &f);
			bench_keep(&best[i], &f);
		}
		if (nk > 1) {
			bench_buddy_round(test, &c, r->ops, &f);
			bench_keep(&buddy, &f);
		}
		/* The same pallocbits run, as long at every size: the scaling row. */
		bench_churn_round(test, &c, BENCH_PALLOC, BENCH_LONG_OPS, &f);
		bench_keep(&along, &f);
	}
	for (i = 0; i < nk; i++)
		bench_print("churn", r->name, bench_names[kinds[i]], &best[i]);
	bench_print("churn", r->name, bench_names[BENCH_BUDDY], &buddy);
	bench_print("churn", r->name, "pallocbits-long", &along);
	bench_ctx_free(&c);
}

static void palloc_bench_single(struct kunit *test)
{
	const struct bench_range *r = test->param_value;
	static const enum bench_kind kinds[] = {
		BENCH_PALLOC, BENCH_PALLOC_ALIGN2, BENCH_GP_FIRST, BENCH_MAPLE, BENCH_IOVA,
		BENCH_IOVA_FAST, BENCH_BUDDY,
	};
	unsigned int i, nk = r->peers && bench_peers ? ARRAY_SIZE(kinds) : 2, round;
	struct bench_fig best[ARRAY_SIZE(kinds)] = {}, f;
	struct bench_ctx c;

	if (*bench_only && strcmp(bench_only, r->name))
		kunit_skip(test, "only=%s", bench_only);
	bench_ctx_init(test, &c, r, r->single_pairs / BENCH_BATCH);
	for (round = 0; round < max(bench_rounds, 1U); round++) {
		for (i = 0; i < nk; i++) {
			bench_single_round(test, &c, kinds[i],
					   kinds[i] == BENCH_GP_FIRST ?
					   min(r->single_pairs, BENCH_GP_SINGLE_PAIRS) :
					   r->single_pairs, &f);
			bench_keep(&best[i], &f);
		}
	}
	for (i = 0; i < nk; i++)
		bench_print("single", r->name, bench_names[kinds[i]], &best[i]);
	bench_ctx_free(&c);
}

/* ------------------------------------------------------------------ */
/* Workload (c): the chunk-bitmap functions on Go's patterns           */
/* ------------------------------------------------------------------ */

static noinline u64 bench_loop_summarize(const struct palloc_bits *b, unsigned long iters)
{
	palloc_sum_t acc = 0;
	unsigned long i;
	u64 t0 = bench_cycles();

	for (i = 0; i < iters; i++)
		acc += palloc_bits_summarize(b);
	t0 = bench_cycles() - t0;
	WRITE_ONCE(bench_sink, acc);
	return t0;
}

static noinline u64 bench_loop_find(const struct palloc_bits *b, unsigned int npages,
				    unsigned long iters)
{
	unsigned int acc = 0, nsi;
	unsigned long i;
	u64 t0 = bench_cycles();

	for (i = 0; i < iters; i++)
		acc += palloc_bits_find(b, npages, 0, &nsi) + nsi;
	t0 = bench_cycles() - t0;
	WRITE_ONCE(bench_sink, acc);
	return t0;
}

static noinline u64 bench_loop_fbr(u64 c, unsigned int n, unsigned long iters)
{
	unsigned int acc = 0;
	unsigned long i;
	u64 t0 = bench_cycles();

	for (i = 0; i < iters; i++)
		acc += __palloc_find_bit_range64(c, n);
	t0 = bench_cycles() - t0;
	WRITE_ONCE(bench_sink, acc);
	return t0;
}

static noinline u64 bench_loop_scav(const struct palloc_data *d, unsigned long iters)
{
	unsigned int acc = 0, n;
	unsigned long i;
	u64 t0 = bench_cycles();

	for (i = 0; i < iters; i++)
		acc += palloc_data_find_scavenge_candidate(d, BENCH_SCAV_SEARCH, BENCH_SCAV_MIN,
							   BENCH_SCAV_MAX, BENCH_SCAV_HUGE,
							   &n) + n;
	t0 = bench_cycles() - t0;
	WRITE_ONCE(bench_sink, acc);
	return t0;
}

enum bench_fn { FN_SUMMARIZE, FN_FIND, FN_FBR, FN_SCAV };

/* The fastest of BENCH_CORE_REPS loops of @fn, printed as ns per call. */
static void bench_core_one(enum bench_fn fn, const char *name, const char *label,
			   const struct palloc_data *d, u64 pattern, unsigned int n)
{
	unsigned long iters = fn == FN_FBR ? BENCH_FBR_ITERS : BENCH_CORE_ITERS;
	u64 s[BENCH_CORE_REPS];
	char buf[24];
	int rep;

	for (rep = 0; rep < BENCH_CORE_REPS; rep++) {
		switch (fn) {
		case FN_SUMMARIZE:
			s[rep] = bench_loop_summarize(&d->alloc, iters);
			break;
		case FN_FIND:
			s[rep] = bench_loop_find(&d->alloc, n, iters);
			break;
		case FN_FBR:
			s[rep] = bench_loop_fbr(pattern, n, iters);
			break;
		case FN_SCAV:
			s[rep] = bench_loop_scav(d, iters);
			break;
		}
		cond_resched();
	}
	sort(s, BENCH_CORE_REPS, sizeof(*s), bench_cmp_u64, NULL);
	pr_info("PBENCH core %s %s %s\n", name, label,
		bench_fmt(buf, sizeof(buf), div_u64(bench_ns100(s[0]), iters)));
}

static void palloc_bench_core(struct kunit *test)
{
	struct palloc_data *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	char label[48];
	unsigned int p, k;

	KUNIT_ASSERT_NOT_NULL(test, d);
	for (p = 0; p < BENCH_NPATTERNS; p++) {
		u64 pat = bench_patterns[p];

		for (k = 0; k < PALLOC_CHUNK_WORDS; k++) {
			d->alloc.w[k] = pat;
			d->scav.w[k] = 0;
		}
		snprintf(label, sizeof(label), "Unpacked%02llX", pat);
		bench_core_one(FN_SUMMARIZE, "summarize", label, d, pat, 0);
		for (k = 0; k < BENCH_NFIND_SIZES; k++) {
			unsigned int n = bench_find_sizes[k];

			snprintf(label, sizeof(label), "Unpacked%02llXN%u", pat, n);
			bench_core_one(FN_FIND, "find", label, d, pat, n);
		}
		snprintf(label, sizeof(label), "Unpacked%02llX", pat);
		bench_core_one(FN_SCAV, "scavenge_candidate", label, d, pat, 0);
		if (p >= BENCH_NFBR_PATTERNS)
			continue;
		for (k = 0; k < BENCH_NFBR_SIZES; k++) {
			unsigned int n = bench_fbr_sizes[k];

			snprintf(label, sizeof(label), "Pattern%02llXSize%u", pat, n);
			bench_core_one(FN_FBR, "find_bit_range64", label, d, pat, n);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Suite                                                               */
/* ------------------------------------------------------------------ */

static int palloc_bench_suite_init(struct kunit_suite *suite)
{
	u64 s[128], t0;
	char buf[24];
	unsigned int i;

	bench_cal_khz = bench_calibrate((u64)BENCH_CAL_MS * NSEC_PER_MSEC, &bench_mult);
	for (i = 0; i < ARRAY_SIZE(s); i++) {
		t0 = bench_cycles();
		s[i] = bench_cycles() - t0;
	}
	sort(s, ARRAY_SIZE(s), sizeof(*s), bench_cmp_u64, NULL);
	pr_info("PBENCH info seed %u (pallocbits_bench.seed=), PAGE_SIZE %lu, HZ %d, %u CPUs\n",
		bench_seed, PAGE_SIZE, HZ, num_possible_cpus());
	pr_info("PBENCH rounds %u\n", max(bench_rounds, 1U));
	pr_info("PBENCH cal %llu.%03llu MHz cycle counter (%s), calibrated over %u ms\n",
		div_u64(bench_cal_khz, 1000), bench_cal_khz % 1000,
		IS_ENABLED(CONFIG_X86) || IS_ENABLED(CONFIG_UML_X86) ? "rdtsc" : "ktime",
		BENCH_CAL_MS);
	pr_info("PBENCH overhead %s ns per timed region (median, included in the figures)\n",
		bench_fmt(buf, sizeof(buf), bench_ns100(s[ARRAY_SIZE(s) / 2])));
	return 0;
}

static void palloc_bench_suite_exit(struct kunit_suite *suite)
{
	u64 khz = bench_calibrate((u64)BENCH_CAL_MS * NSEC_PER_MSEC, NULL);
	s64 ppm = div64_s64(((s64)khz - (s64)bench_cal_khz) * 1000000, bench_cal_khz);

	pr_info("PBENCH recheck %llu.%03llu MHz at the end: drift %lld ppm\n",
		div_u64(khz, 1000), khz % 1000, ppm);
}

static struct kunit_case palloc_bench_cases[] = {
	KUNIT_CASE(palloc_bench_core),
	KUNIT_CASE_PARAM(palloc_bench_churn, bench_range_gen_params),
	KUNIT_CASE_PARAM(palloc_bench_single, bench_range_gen_params),
	{}
};

static struct kunit_suite palloc_bench_suite = {
	.name = "palloc_bench",
	.suite_init = palloc_bench_suite_init,
	.suite_exit = palloc_bench_suite_exit,
	.test_cases = palloc_bench_cases,
};

kunit_test_suite(palloc_bench_suite);

MODULE_DESCRIPTION("Benchmarks of pallocbits against gen_pool and bitmap allocators");
MODULE_LICENSE("GPL");
