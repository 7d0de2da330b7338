// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits module: parameters, and wiring the layers together.
 *
 * Init order: range -> heap -> struct pages -> debugfs -> misc device
 * (last, once all it serves is ready); exit in reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/notifier.h>
#include <linux/suspend.h>
#include <linux/sizes.h>

#include "palloc_dev.h"
#include "uapi/pallocbits.h"

static unsigned long long base;
module_param_hw(base, ullong, other, 0400);
MODULE_PARM_DESC(base, "Physical address of a reserved range (memmap=SIZE$BASE); 0 = take a range from the kernel");

static unsigned long long size = SZ_64M;
module_param(size, ullong, 0400);
MODULE_PARM_DESC(size, "Bytes in the range, page aligned (default 64 MiB)");

static bool grab_movable;
module_param(grab_movable, bool, 0400);
MODULE_PARM_DESC(grab_movable, "Grabbed mode may take ZONE_MOVABLE memory, which then cannot be offlined (default N)");

static char *heap_name = KBUILD_MODNAME;
module_param(heap_name, charp, 0444);
MODULE_PARM_DESC(heap_name, "Name of the dma-heap node /dev/dma_heap/NAME (default pallocbits); loading fails if it is taken");

static bool struct_pages = true;
module_param(struct_pages, bool, 0400);
MODULE_PARM_DESC(struct_pages, "Give a reserved range struct pages (memremap_pages, ZONE_DEVICE): GUP and 2 MiB mappings work, at 64 bytes per 4 KiB page (default Y; N keeps PFN mappings)");

static bool huge_mappings = true;
module_param(huge_mappings, bool, 0400);
MODULE_PARM_DESC(huge_mappings, "Map 2 MiB-aligned parts of a reserved range with 2 MiB page-table entries (default Y; needs struct_pages and THP)");

static unsigned long long min_size = ULLONG_MAX;
module_param(min_size, ullong, 0400);
MODULE_PARM_DESC(min_size, "Grabbed mode: bytes the pool never gives back.  Below size the pool is elastic: idle scavenged 2 MiB chunks go back to the kernel and allocations take them back (default: size, a fixed pool)");

static unsigned int goal_percent = 10;
module_param(goal_percent, uint, 0400);
MODULE_PARM_DESC(goal_percent, "Background scavenger: keep free unzeroed memory at most this % of the range (0..100, default 10)");

static unsigned int budget_percent = 1;
module_param(budget_percent, uint, 0400);
MODULE_PARM_DESC(budget_percent, "Background scavenger: CPU share it may use, % of one CPU (1..100, default 1)");

/* The elastic heap's callbacks (backing.c). */
static const struct palloc_elastic_ops palloc_elastic_ops = {
	.hand_back = palloc_backing_hand_back,
	.take_back = palloc_backing_take_back,
};

#ifndef CONFIG_64BIT
#error "pallocbits needs a 64-bit kernel: grabbed ranges are used through the direct map"
#endif

static struct palloc_dev palloc_dev;

/* Was the chunk of @page handed back?  (@arg: a bitmap; NULL: assume so.) */
static bool palloc_was_absent(void *arg, u64 page)
{
	return !arg || test_bit(page / PALLOC_CHUNK_PAGES, arg);
}

/*
 * The heap goes, then the range.  The chunks an elastic heap handed back
 * are the kernel's already: they are noted before the heap goes and
 * skipped (if there is no memory to note them, nothing is freed at all).
 */
static void palloc_release_heap_and_range(struct palloc_dev *pd)
{
	unsigned long *absent = NULL;
	u64 p;

	if (pd->elastic) {
		/* No shrink or grow from now on (waits for one in progress). */
		palloc_heap_set_elastic(pd->heap, NULL, NULL, 0, 0);
		absent = bitmap_zalloc(DIV_ROUND_UP(pd->backing.npages, PALLOC_CHUNK_PAGES),
				       GFP_KERNEL);
		if (!absent)
			pr_err("no memory to free the grabbed range: it stays taken\n");
		for (p = 0; absent && p < pd->backing.npages; p += PALLOC_CHUNK_PAGES)
			if (palloc_heap_chunk_absent(pd->heap, p))
				set_bit(p / PALLOC_CHUNK_PAGES, absent);
	}
	palloc_heap_destroy(pd->heap);
	palloc_backing_release(&pd->backing, pd->elastic ? palloc_was_absent : NULL, absent);
	bitmap_free(absent);
}

/*
 * Hibernation does not save reserved memory: after a resume the runs would
 * have lost their contents and pages the heap knows to be zero (scavenged)
 * would hold whatever the boot kernel left there.  Refuse it while a
 * reserved range is loaded.  A grabbed range is RAM and is saved.
 */
static int palloc_pm_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action != PM_HIBERNATION_PREPARE)
		return NOTIFY_DONE;
	pr_warn("hibernation refused: the reserved range would not survive it; unload pallocbits first\n");
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block palloc_pm_nb = {
	.notifier_call = palloc_pm_notify,
};

static int __init palloc_init(void)
{
	struct palloc_dev *pd = &palloc_dev;
	u64 npages;
	int ret;

	if (goal_percent > 100 || !budget_percent || budget_percent > 100) {
		pr_err("goal_percent must be 0..100 and budget_percent 1..100\n");
		return -EINVAL;
	}
	if (!size || !PAGE_ALIGNED(size) || (size >> PAGE_SHIFT) > PALLOC_MAX_PAGES) {
		pr_err("size must be page aligned and 1..%llu pages\n", PALLOC_MAX_PAGES);
		return -EINVAL;
	}
	if (min_size != ULLONG_MAX && (base || min_size > size)) {
		pr_err("min_size needs grabbed mode (no base) and at most size bytes\n");
		return -EINVAL;
	}
	if (base)
		ret = palloc_backing_reserve(&pd->backing, base, size);
	else
		ret = palloc_backing_grab(&pd->backing, size, grab_movable);
	if (ret)
		return ret;
	npages = pd->backing.npages;

	pd->heap = palloc_heap_create(npages, palloc_backing_zero, &pd->backing);
	if (IS_ERR(pd->heap)) {
		ret = PTR_ERR(pd->heap);
		goto out_release_backing;
	}
	/* The range's old contents are unknown: every page starts dirty. */
	ret = palloc_heap_grow(pd->heap, 0, npages, false);
	if (ret)
		goto out_destroy_heap;
	palloc_heap_set_goal(pd->heap, div_u64(npages * goal_percent, 100), budget_percent);
	/* Elastic: keep min_size, and the scavenger's goal as free headroom. */
	if (min_size < size) {
		palloc_heap_set_elastic(pd->heap, &palloc_elastic_ops, &pd->backing,
					DIV_ROUND_UP(min_size, PAGE_SIZE),
					div_u64(npages * goal_percent, 100));
		pd->elastic = true;
	}

	ret = palloc_pages_init(pd, struct_pages, huge_mappings);
	if (ret)
		goto out_destroy_heap;
	palloc_runs_init(pd);
	pd->debugfs = palloc_debugfs_create(pd->heap, pd->backing.mode == PALLOC_MODE_RESERVED ?
					    "reserved" : "grabbed");
	palloc_debugfs_add_runs(pd);
	if (pd->elastic)
		palloc_debugfs_add_probe(pd);
	if (pd->backing.mode == PALLOC_MODE_RESERVED) {
		ret = register_pm_notifier(&palloc_pm_nb);
		if (ret)
			goto out_remove_debugfs;
	}
	ret = palloc_device_register(pd);
	if (ret)
		goto out_unregister_pm;
	ret = palloc_heap_node_register(pd, heap_name);
	if (ret)
		goto out_unregister_device;
	pr_info("%s range %pa, %llu pages%s%s, /dev/%s and /dev/%s ready\n",
		pd->backing.mode == PALLOC_MODE_RESERVED ? "reserved" : "grabbed",
		&pd->backing.base, npages,
		pd->map_mode == PALLOC_MAP_PFN ? " (PFN mappings)" : " (struct pages)",
		pd->huge ? " (2 MiB mappings)" : "", KBUILD_MODNAME, pd->heap_nodename);
	return 0;

out_unregister_device:
	palloc_device_unregister(pd);
out_unregister_pm:
	if (pd->backing.mode == PALLOC_MODE_RESERVED)
		unregister_pm_notifier(&palloc_pm_nb);
out_remove_debugfs:
	debugfs_remove_recursive(pd->debugfs);
	palloc_pages_exit(pd);
out_destroy_heap:
	palloc_release_heap_and_range(pd);
	return ret;
out_release_backing:
	palloc_backing_release(&pd->backing, NULL, NULL);
	return ret;
}

static void __exit palloc_exit(void)
{
	struct palloc_dev *pd = &palloc_dev;

	palloc_heap_node_unregister(pd);
	palloc_device_unregister(pd);
	if (pd->backing.mode == PALLOC_MODE_RESERVED)
		unregister_pm_notifier(&palloc_pm_nb);
	debugfs_remove_recursive(pd->debugfs);
	palloc_pages_exit(pd);
	palloc_release_heap_and_range(pd);
}

module_init(palloc_init);
module_exit(palloc_exit);

MODULE_AUTHOR("pallocbits developers");
