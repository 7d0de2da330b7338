// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits physical backing.
 *
 * Reserved mode: a range the firmware or the kernel command line
 * (memmap=SIZE$BASE) kept out of System RAM.  It is claimed with
 * request_mem_region() and mapped write-back with memremap(); it has no
 * struct page.
 *
 * Grabbed mode: a physically contiguous range taken from the page allocator
 * with alloc_contig_range() (migrating movable pages away), and given back
 * with free_contig_range() on unload.
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

/* Windows tried per zone before giving up on it. */
#define PALLOC_GRAB_TRIES	64

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

/* Take @nr pages from zone @z, trying aligned windows from the top down. */
static int palloc_grab_zone(struct zone *z, unsigned long nr, unsigned long *pfn_out)
{
	unsigned long step = max_t(unsigned long, pageblock_nr_pages, 1UL << (MAX_ORDER - 1));
	unsigned long start = z->zone_start_pfn, end = zone_end_pfn(z), pfn;
	unsigned int tries = 0;

	if (end - start < nr)
		return -ENOMEM;
	for (pfn = ALIGN_DOWN(end - nr, step); pfn >= start && tries < PALLOC_GRAB_TRIES;
	     pfn -= step, tries++) {
		struct page *first = pfn_to_online_page(pfn);
		struct page *last = pfn_to_online_page(pfn + nr - 1);

		if (first && last && page_zone(first) == z && page_zone(last) == z &&
		    !alloc_contig_range(pfn, pfn + nr, MIGRATE_MOVABLE,
					GFP_KERNEL | __GFP_NOWARN)) {
			*pfn_out = pfn;
			return 0;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		if (pfn < step)
			break;
	}
	return -ENOMEM;
}

/**
 * palloc_backing_grab() - take a physically contiguous range from the kernel
 * @b: the backing to set up
 * @size: bytes, page aligned, non-zero
 *
 * Searches every populated zone but ZONE_DMA of every online node, highest
 * first, for a window alloc_contig_range() can empty.
 *
 * Context: Process context, may sleep for a long time (page migration).
 * Return: 0; -EINVAL for a bad size; -EINTR on a fatal signal; -ENOMEM when
 * no window could be taken.
 */
int palloc_backing_grab(struct palloc_backing *b, u64 size)
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
 * palloc_backing_release() - give the range back
 * @b: the backing
 *
 * Context: Process context, may sleep.
 */
void palloc_backing_release(struct palloc_backing *b)
{
	if (b->mode == PALLOC_MODE_RESERVED) {
		memunmap(b->va);
		release_mem_region(b->base, b->npages << PAGE_SHIFT);
	} else if (b->mode == PALLOC_MODE_GRABBED) {
		free_contig_range(PHYS_PFN(b->base), b->npages);
	}
	memset(b, 0, sizeof(*b));
}

/**
 * palloc_backing_zero() - zero pages (the scavenger's release callback)
 * @priv: the &struct palloc_backing
 * @start: first page
 * @npages: number of pages
 *
 * Context: Process context, may sleep: reschedules between chunks.
 * Return: 0.
 */
int palloc_backing_zero(void *priv, u64 start, u64 npages)
{
	struct palloc_backing *b = priv;

	while (npages) {
		u64 n = min_t(u64, npages, PALLOC_CHUNK_PAGES);

		memset(b->va + (start << PAGE_SHIFT), 0, n << PAGE_SHIFT);
		start += n;
		npages -= n;
		cond_resched();
	}
	return 0;
}
