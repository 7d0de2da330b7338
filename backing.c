// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits physical backing.
 *
 * Reserved mode: a range the firmware or the kernel command line
 * (memmap=SIZE$BASE) kept out of System RAM.  Every byte of it must be
 * reserved memory (e820 "Reserved", or legacy persistent memory from
 * memmap=SIZE!BASE): an unclaimed PCI BAR, firmware area or hole is
 * refused.  It is claimed with request_mem_region() and mapped write-back
 * with memremap(); it has no struct page.
 *
 * Grabbed mode: a physically contiguous range taken from the page allocator
 * with alloc_contig_range() (migrating movable pages away), and given back
 * with free_contig_range() on unload.  ZONE_MOVABLE is used only when asked
 * for: memory held there cannot be offlined.
 *
 * Either way the range starts with unknown contents: every page is dirty
 * until zeroed, by palloc_backing_zero() (the scavenger's release callback)
 * or before it is handed out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "backing.h"
#include "pallocbits.h"
#include "uapi/pallocbits.h"

/* alloc_contig_range() attempts per chunk an elastic pool takes back. */
#define PALLOC_TAKE_TRIES	3
/* Windows tried per zone before giving up on it. */
#define PALLOC_GRAB_TRIES	64
/* Alignment of the windows tried: a pageblock or the largest buddy block. */
#define PALLOC_GRAB_STEP	max_t(unsigned long, pageblock_nr_pages, MAX_ORDER_NR_PAGES)

struct palloc_resv_walk {
	u64 next;	/* first byte not yet known to be covered */
};

/* walk_iomem_res_desc() callback: resources come in address order. */
static int palloc_resv_cover(struct resource *res, void *arg)
{
	struct palloc_resv_walk *w = arg;

	if (res->start <= w->next && res->end >= w->next)
		w->next = res->end + 1;
	return 0;
}

/* Is every byte of [base, last] memory of resource descriptor @desc? */
static bool palloc_covered(phys_addr_t base, phys_addr_t last, unsigned long desc)
{
	struct palloc_resv_walk w = { .next = base };

	walk_iomem_res_desc(desc, IORESOURCE_MEM, base, last, &w, palloc_resv_cover);
	return w.next > last;
}

/**
 * palloc_backing_reserve() - claim and map a reserved physical range
 * @b: the backing to set up
 * @base: physical address, page aligned
 * @size: bytes, page aligned, non-zero
 *
 * Context: Process context, may sleep.
 * Return: 0; -EINVAL for a bad or overflowing range or one that overlaps
 * System RAM; -EBUSY if another driver claimed part of it; -ENOMEM if it
 * cannot be mapped.
 */
int palloc_backing_reserve(struct palloc_backing *b, phys_addr_t base, u64 size)
{
	phys_addr_t last;
	int ret;

	if (!size || !PAGE_ALIGNED(base) || !PAGE_ALIGNED(size) ||
	    check_add_overflow(base, (phys_addr_t)size - 1, &last)) {
		pr_err("bad range base=%pa size=%llu\n", &base, size);
		return -EINVAL;
	}
	/* memremap(WB) of RAM would silently hand back the direct map. */
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		pr_err("range %pa-%pa overlaps System RAM; reserve it with memmap=\n",
		       &base, &last);
		return -EINVAL;
	}
	/*
	 * Only reserved memory: not a device's BAR, not firmware's, not a hole
	 * (the scavenger writes to every free page).
	 */
	if (!palloc_covered(base, last, IORES_DESC_RESERVED) &&
	    !palloc_covered(base, last, IORES_DESC_PERSISTENT_MEMORY_LEGACY)) {
		pr_err("range %pa-%pa is not reserved memory; reserve it with memmap=SIZE$BASE\n",
		       &base, &last);
		return -EINVAL;
	}
	b->res = request_mem_region(base, size, KBUILD_MODNAME);
	if (!b->res) {
		pr_err("range %pa-%pa is busy\n", &base, &last);
		return -EBUSY;
	}
	b->va = memremap(base, size, MEMREMAP_WB);
	if (!b->va) {
		ret = -ENOMEM;
		goto out_release_region;
	}
	b->mode = PALLOC_MODE_RESERVED;
	b->base = base;
	b->npages = size >> PAGE_SHIFT;
	return 0;

out_release_region:
	release_mem_region(base, size);
	b->res = NULL;
	return ret;
}

/*
 * May alloc_contig_range() be tried on [pfn, pfn + nr) of zone @z?  Every
 * page online, in @z, not reserved and not a huge page: the checks of the
 * kernel's pfn_range_valid_contig(), which is not exported.
 * Return: ULONG_MAX if so, else the highest pfn of the window that fails.
 */
static unsigned long palloc_window_bad(struct zone *z, unsigned long pfn, unsigned long nr)
{
	unsigned long i;

	for (i = pfn + nr; i-- > pfn;) {
		struct page *page = pfn_to_online_page(i);

		if (!page || page_zone(page) != z || PageReserved(page) || PageHuge(page))
			return i;
		if (!(i % PALLOC_CHUNK_PAGES))
			cond_resched();
	}
	return ULONG_MAX;
}

/*
 * Take @nr pages from zone @z, trying aligned windows from the top down.  A
 * window with a page that cannot be taken is skipped together with every
 * window holding that page, without counting as a try.
 */
static int palloc_grab_zone(struct zone *z, unsigned long nr, unsigned long *pfn_out)
{
	unsigned long step = PALLOC_GRAB_STEP;
	unsigned long start = z->zone_start_pfn, end = zone_end_pfn(z), pfn, bad;
	unsigned int tries = 0;

	if (end - start < nr)
		return -ENOMEM;
	pfn = ALIGN_DOWN(end - nr, step);
	while (pfn >= start && tries < PALLOC_GRAB_TRIES) {
		if (fatal_signal_pending(current))
			return -EINTR;
		bad = palloc_window_bad(z, pfn, nr);
		if (bad != ULONG_MAX) {
			/* The next window must end at or below the bad page. */
			if (bad < start + nr)
				break;
			pfn = ALIGN_DOWN(bad - nr, step);
			continue;
		}
		tries++;
		if (!alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE,
					GFP_KERNEL | __GFP_NOWARN)) {
			*pfn_out = pfn;
			return 0;
		}
		cond_resched();
		if (pfn < start + step)
			break;
		pfn -= step;
	}
	return -ENOMEM;
}

/**
 * palloc_backing_grab() - take a physically contiguous range from the kernel
 * @b: the backing to set up
 * @size: bytes, page aligned, non-zero
 * @movable: ZONE_MOVABLE may be used too
 *
 * Searches every populated zone but ZONE_DMA (and ZONE_MOVABLE unless
 * @movable) of every online node, highest first, for a window
 * alloc_contig_range() can empty.
 *
 * Context: Process context, may sleep for a long time (page migration).
 * Return: 0; -EINVAL for a bad size; -EINTR on a fatal signal; -ENOMEM when
 * no window could be taken.
 */
int palloc_backing_grab(struct palloc_backing *b, u64 size, bool movable)
{
	unsigned long nr = size >> PAGE_SHIFT, pfn;
	int nid, zi, ret = -ENOMEM;

	if (!size || !PAGE_ALIGNED(size) || nr != size >> PAGE_SHIFT)
		return -EINVAL;
	for_each_online_node(nid) {
		for (zi = MAX_NR_ZONES - 1; zi >= 0; zi--) {
			struct zone *z = &NODE_DATA(nid)->node_zones[zi];

#ifdef CONFIG_ZONE_DMA
			if (zi == ZONE_DMA)
				continue;
#endif
			if (zi == ZONE_MOVABLE && !movable)
				continue;
			if (!populated_zone(z))
				continue;
			ret = palloc_grab_zone(z, nr, &pfn);
			if (!ret)
				goto found;
			if (ret == -EINTR)
				return ret;
		}
	}
	pr_err("no %llu MiB physically contiguous range could be taken\n", size >> 20);
	return ret;

found:
	b->mode = PALLOC_MODE_GRABBED;
	b->base = PFN_PHYS(pfn);
	b->npages = nr;
	b->va = page_address(pfn_to_page(pfn));
	return 0;
}

/**
 * palloc_backing_hand_back() - give a grabbed chunk back to the page allocator
 * @priv: the &struct palloc_backing
 * @start: first page, free, scavenged and absent from the heap
 * @npages: pages
 *
 * The elastic heap's hand-back (Go's sysUnused, for real): the pages are
 * as alloc_contig_range() gave them (one reference each, unmapped, not
 * pinned: quarantined pages never reach the heap) and go back with
 * free_contig_range().
 *
 * Context: Process context.
 * Return: 0.
 */
int palloc_backing_hand_back(void *priv, u64 start, u64 npages)
{
	struct palloc_backing *b = priv;

	free_contig_range(PHYS_PFN(b->base) + start, npages);
	return 0;
}

/*
 * alloc_contig_range() of [pfn, pfn + nr), retried while it says -EBUSY,
 * which is often transient (a page being migrated or freed).  Killable.
 */
static int palloc_take(unsigned long pfn, unsigned long nr)
{
	int ret, tries = PALLOC_TAKE_TRIES;

	do {
		if (fatal_signal_pending(current))
			return -EINTR;
		ret = alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE, GFP_KERNEL | __GFP_NOWARN);
		cond_resched();
	} while (ret == -EBUSY && --tries);
	return ret;
}

/**
 * palloc_backing_take_back() - take a chunk given back before from the kernel
 * @priv: the &struct palloc_backing
 * @start: first page
 * @npages: pages
 *
 * alloc_contig_range() of exactly the pages the chunk had: they may be in
 * use by anyone now, and movable ones are migrated away.  Killable.
 *
 * Context: Process context, may sleep for a long time (page migration).
 * Return: 0, -EINTR on a fatal signal, or -EBUSY/-ENOMEM when the kernel
 * cannot give them back (unmovable pages in the chunk).
 */
int palloc_backing_take_back(void *priv, u64 start, u64 npages)
{
	struct palloc_backing *b = priv;

	return palloc_take(PHYS_PFN(b->base) + start, npages);
}

/**
 * palloc_probe_note() - count one block a probe tried
 * @p: the counts
 * @block: the block's number (blocks @block - 1 and @block are adjacent)
 * @taken: alloc_contig_range() took it
 *
 * Context: Any.
 */
void palloc_probe_note(struct palloc_probe *p, u64 block, bool taken)
{
	p->blocks++;
	if (!taken)
		return;
	p->taken++;
	p->cur = p->cur && p->next == block ? p->cur + 1 : 1;
	p->next = block + 1;
	p->longest = max(p->longest, p->cur);
}

/* Could the kernel give @nr pages at @pfn back now?  Borrow and return. */
static bool palloc_probe_block(unsigned long pfn, unsigned long nr)
{
	if (palloc_take(pfn, nr))
		return false;
	free_contig_range(pfn, nr);
	return true;
}

/**
 * palloc_backing_probe_chunk() - would a handed-back chunk come back now?
 * @priv: a &struct palloc_probe_arg
 * @start: first page of an absent chunk (palloc_heap_walk_absent())
 * @npages: its pages
 *
 * Takes the chunk back as palloc_backing_take_back() would, and gives it
 * back at once; counts the outcome in the arg's probe.
 *
 * Context: Process context, may sleep for a long time (page migration).
 * Return: 0, or -EINTR on a fatal signal.
 */
int palloc_backing_probe_chunk(void *priv, u64 start, u64 npages)
{
	struct palloc_probe_arg *a = priv;

	if (fatal_signal_pending(current))
		return -EINTR;
	palloc_probe_note(&a->probe, start / PALLOC_CHUNK_PAGES,
			  palloc_probe_block(PHYS_PFN(a->b->base) + start, npages));
	return 0;
}

/**
 * palloc_backing_probe_zone() - how much of the range's zone could be taken now?
 * @b: a grabbed backing
 * @p: out: one block per 2 MiB (chunk) of the zone outside the range
 * @zone_name: out: the zone's name
 *
 * What a heap spanning the whole zone, growing chunks wherever
 * alloc_contig_range() succeeds, would find: every chunk-aligned block of
 * the zone outside the range is taken as palloc_backing_take_back() would
 * take a chunk, and given back at once.  A diagnostic for measurements: it
 * migrates movable pages, and pageblocks it isolated come back
 * MIGRATE_MOVABLE.
 *
 * Context: Process context, may sleep for a long time (page migration).
 * Return: 0, -EINVAL for a reserved range, or -EINTR on a fatal signal.
 */
int palloc_backing_probe_zone(struct palloc_backing *b, struct palloc_probe *p,
			      const char **zone_name)
{
	unsigned long lo = PHYS_PFN(b->base), hi = lo + b->npages, pfn, end;
	struct zone *z;
	bool ok;

	if (b->mode != PALLOC_MODE_GRABBED)
		return -EINVAL;
	z = page_zone(pfn_to_page(lo));
	*zone_name = z->name;
	end = zone_end_pfn(z);
	for (pfn = ALIGN(z->zone_start_pfn, PALLOC_CHUNK_PAGES);
	     pfn + PALLOC_CHUNK_PAGES <= end; pfn += PALLOC_CHUNK_PAGES) {
		if (pfn < hi && pfn + PALLOC_CHUNK_PAGES > lo)
			continue;
		if (fatal_signal_pending(current))
			return -EINTR;
		ok = palloc_window_bad(z, pfn, PALLOC_CHUNK_PAGES) == ULONG_MAX &&
		     palloc_probe_block(pfn, PALLOC_CHUNK_PAGES);
		palloc_probe_note(p, pfn / PALLOC_CHUNK_PAGES, ok);
		cond_resched();
	}
	return 0;
}

/**
 * palloc_backing_release() - give the range back
 * @b: the backing
 * @absent: in grabbed mode, says which chunks (by a page of theirs) were
 *	handed back already, or NULL: none
 * @arg: its first argument
 *
 * Context: Process context, may sleep.
 */
void palloc_backing_release(struct palloc_backing *b, bool (*absent)(void *arg, u64 page),
			    void *arg)
{
	u64 p, n;

	if (b->mode == PALLOC_MODE_RESERVED) {
		memunmap(b->va);
		release_mem_region(b->base, b->npages << PAGE_SHIFT);
	} else if (b->mode == PALLOC_MODE_GRABBED) {
		/* Chunks already handed back are the kernel's again: skip them. */
		for (p = 0; p < b->npages; p += n) {
			n = min_t(u64, PALLOC_CHUNK_PAGES, b->npages - p);
			if (!absent || !absent(arg, p))
				free_contig_range(PHYS_PFN(b->base) + p, n);
		}
	}
	memset(b, 0, sizeof(*b));
}

/**
 * palloc_backing_zero() - zero pages (the scavenger's release callback)
 * @priv: the &struct palloc_backing
 * @start: first page
 * @npages: number of pages
 *
 * Context: Process context, may sleep: reschedules between chunks.  A
 * fatal signal stops it between two chunks.
 * Return: 0, or -EINTR (the pages are then not all zero).
 */
int palloc_backing_zero(void *priv, u64 start, u64 npages)
{
	struct palloc_backing *b = priv;

	while (npages) {
		u64 n = min_t(u64, npages, PALLOC_CHUNK_PAGES);

		if (fatal_signal_pending(current))
			return -EINTR;
		memset(b->va + (start << PAGE_SHIFT), 0, n << PAGE_SHIFT);
		start += n;
		npages -= n;
		cond_resched();
	}
	return 0;
}
