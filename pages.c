// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits pages: the struct pages behind the range, the faults that map
 * them into user space, and pins that outlive their run.
 *
 * How the range's pages are mapped is decided once, at load (INFO's
 * features and debugfs say which):
 *
 *  - PALLOC_MAP_DEVMAP (reserved mode): the range gets struct pages from
 *    memremap_pages(), MEMORY_DEVICE_GENERIC, as device-dax gives them to
 *    its ranges (drivers/dax/device.c).  Faults insert PFN_DEV|PFN_MAP
 *    entries: 4 KiB ones with vmf_insert_mixed(), and 2 MiB ones with
 *    vmf_insert_pfn_pmd() wherever the page and the address are both 2 MiB
 *    aligned.  In 6.1 huge_fault is called only for DAX VMAs, so files of
 *    /dev/pallocbits map through an anonymous inode flagged S_DAX (their
 *    f_mapping), as device-dax files map through the dax inode.  GUP takes
 *    these pages through get_dev_pagemap().  The memory map costs
 *    sizeof(struct page) per page (64 bytes, 1.6 %); INFO reports it.
 *
 *  - PALLOC_MAP_RAM (grabbed mode): the pages are the kernel's own RAM
 *    pages.  The fault handler returns the page (VM_MIXEDMAP): the core
 *    maps it refcounted and rmapped like a file page, so GUP works.  No
 *    2 MiB entries: a huge PMD needs a compound page (the page cache's or
 *    anonymous THP) or a devmap PFN, and 6.1 has no way for a driver to
 *    make either of order-0 RAM pages it holds.
 *
 *  - PALLOC_MAP_PFN (reserved mode without ZONE_DEVICE, a range that is not
 *    2 MiB aligned, or struct_pages=0; a grabbed range in ZONE_MOVABLE,
 *    whose pages 6.1 would try forever to migrate before a long-term pin):
 *    VM_PFNMAP entries, as before, which GUP refuses (O_DIRECT and friends
 *    fail with EFAULT).
 *
 * A 6.1 bug around 2 MiB entries, shared with device-dax: MADV_COLD and
 * MADV_PAGEOUT walk the page tables with a pmd_entry that knows
 * pmd_trans_huge() entries but not devmap ones, and pmd_trans_unstable()
 * then clears the entry as "bad pmd" (a log line) without flushing the
 * TLB (fixed in 6.5 by the pte_offset_map() rework).  The mapping keeps
 * working (the next access faults the PMD back in), but stale TLB entries
 * for the run may survive munmap(), which then has nothing to zap and
 * flushes nothing.  So before a mapping that had 2 MiB entries lets go of
 * its runs, palloc_pages_flush_tlbs() flushes every CPU's TLB: no stale
 * entry can reach pages after they change owner.  The huge_mappings=0
 * parameter turns 2 MiB entries off.
 *
 * Pins.  A page pinned (or merely referenced) by GUP must not go back to
 * the heap while the reference is held: an O_DIRECT read or a pipe buffer
 * would otherwise write into, or read from, the next owner's run.  Pages
 * of both kinds have a base reference count of 1 (ZONE_DEVICE GENERIC
 * pages keep the one memmap_init_zone_device() gives them; grabbed pages
 * the one alloc_contig_range() gives them) and mappings of DEVMAP pages
 * take none, so when nothing holds a run any more (no VMA maps it) any
 * count above 1 is someone's pin.  Such pages are quarantined instead of
 * freed: a delayed work re-reads their counts every PALLOC_PIN_POLL and
 * frees them, to be zeroed before reuse, when the last pin is gone.  6.1
 * offers no hook for that moment: the pgmap's page_free() runs only when a
 * count reaches zero, which the base reference prevents, and grabbed RAM
 * pages have no pgmap at all.  While anything is quarantined the module
 * holds a reference to itself, so it cannot be unloaded (memunmap_pages()
 * and free_contig_range() of a pinned page would be a use after free).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/huge_mm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pfn_t.h>
#include <linux/pseudo_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#include <asm/tlbflush.h>
#endif

#include "palloc_dev.h"
#include "uapi/pallocbits.h"

/* How often quarantined pages are checked for the end of their pins. */
#define PALLOC_PIN_POLL		(HZ / 10)
/* "pall": the magic of the pseudo filesystem holding the S_DAX inode. */
#define PALLOC_FS_MAGIC		0x70616c6c

/**
 * struct palloc_pinned - pages held back from the heap by pins
 * @node: in palloc_dev.quarantine
 * @start: first page
 * @npages: pages
 * @next: first page not yet seen unpinned (a page seen at its base count
 *	stays there: nobody holds a reference to take another from)
 * @wc: the pages are write-combining in the direct map
 */
struct palloc_pinned {
	struct list_head node;
	u64 start;
	u64 npages;
	u64 next;
	bool wc;
};

static int palloc_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, PALLOC_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type palloc_fs_type = {
	.name = KBUILD_MODNAME,
	.init_fs_context = palloc_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The S_DAX inode whose mapping the device's files use, for huge faults. */
static int palloc_dax_inode_create(struct palloc_dev *pd)
{
	struct inode *inode;

	pd->fs_mnt = kern_mount(&palloc_fs_type);
	if (IS_ERR(pd->fs_mnt))
		return PTR_ERR(pd->fs_mnt);
	inode = alloc_anon_inode(pd->fs_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		kern_unmount(pd->fs_mnt);
		pd->fs_mnt = NULL;
		return PTR_ERR(inode);
	}
	inode->i_flags |= S_DAX;
	pd->dax_inode = inode;
	return 0;
}

static void palloc_dax_inode_destroy(struct palloc_dev *pd)
{
	if (!pd->dax_inode)
		return;
	iput(pd->dax_inode);
	kern_unmount(pd->fs_mnt);
	pd->dax_inode = NULL;
	pd->fs_mnt = NULL;
}

/* memremap_pages() for a reserved range; -errno says why not. */
static int palloc_devmap_init(struct palloc_dev *pd)
{
	struct palloc_backing *b = &pd->backing;
	void *va;

	if (!IS_ENABLED(CONFIG_ZONE_DEVICE))
		return -EOPNOTSUPP;
	/* Memory hotplug adds memory maps per 2 MiB subsection. */
	if (!IS_ALIGNED(b->base, SZ_2M) || !IS_ALIGNED(b->npages << PAGE_SHIFT, SZ_2M))
		return -EINVAL;
	pd->pgmap.type = MEMORY_DEVICE_GENERIC;
	pd->pgmap.range.start = b->base;
	pd->pgmap.range.end = b->base + (b->npages << PAGE_SHIFT) - 1;
	pd->pgmap.nr_range = 1;
	va = memremap_pages(&pd->pgmap, NUMA_NO_NODE);
	if (IS_ERR(va))
		return PTR_ERR(va);
	return 0;
}

/**
 * palloc_pages_init() - decide how the range's pages are mapped
 * @pd: the device, with its backing ready
 * @want_pages: give a reserved range struct pages (the struct_pages parameter)
 * @want_huge: map its 2 MiB-aligned parts with PMDs (huge_mappings)
 *
 * Context: Process context, may sleep.
 * Return: 0 (the PFN fallback is not an error: the log and INFO say so),
 * or -ENOMEM.
 */
int palloc_pages_init(struct palloc_dev *pd, bool want_pages, bool want_huge)
{
	int ret;

	mutex_init(&pd->qlock);
	INIT_LIST_HEAD(&pd->quarantine);
	INIT_DELAYED_WORK(&pd->qwork, palloc_quarantine_work);
	pd->map_mode = PALLOC_MAP_PFN;
	if (pd->backing.mode == PALLOC_MODE_GRABBED) {
		/*
		 * A long-term pin (io_uring buffers, RDMA) of a ZONE_MOVABLE
		 * page makes 6.1's GUP migrate it first; ours are not on the
		 * LRU, and __gup_longterm_locked() retries forever (until the
		 * caller is killed).  Better a clean EFAULT: PFN mappings.
		 */
		if (page_zonenum(pfn_to_page(PHYS_PFN(pd->backing.base))) == ZONE_MOVABLE) {
			pr_info("grabbed range is in ZONE_MOVABLE: PFN mappings, no GUP\n");
			return 0;
		}
		pd->map_mode = PALLOC_MAP_RAM;
		return 0;
	}
	if (!want_pages) {
		pr_info("struct_pages=0: PFN mappings, no GUP (O_DIRECT, io_uring, vmsplice fail)\n");
		return 0;
	}
	ret = palloc_devmap_init(pd);
	if (ret) {
		pr_info("no struct pages for the range (%s, %d): PFN mappings, no GUP\n",
			IS_ENABLED(CONFIG_ZONE_DEVICE) ? "memremap_pages" : "no ZONE_DEVICE",
			ret);
		return 0;
	}
	pd->map_mode = PALLOC_MAP_DEVMAP;
	if (want_huge && IS_ENABLED(CONFIG_X86) && IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) &&
	    IS_ENABLED(CONFIG_FS_DAX) && has_transparent_hugepage()) {
		ret = palloc_dax_inode_create(pd);
		if (ret) {
			memunmap_pages(&pd->pgmap);
			pd->map_mode = PALLOC_MAP_PFN;
			return ret;
		}
		pd->huge = true;
	}
	return 0;
}

/**
 * palloc_pages_exit() - undo palloc_pages_init()
 * @pd: the device; nothing is mapped, pinned or quarantined any more
 *
 * Context: Process context, may sleep.
 */
void palloc_pages_exit(struct palloc_dev *pd)
{
	/* The work's last pass may still be returning (it dropped our module ref). */
	cancel_delayed_work_sync(&pd->qwork);
	WARN_ON_ONCE(!list_empty(&pd->quarantine));
	palloc_dax_inode_destroy(pd);
	if (pd->map_mode == PALLOC_MAP_DEVMAP)
		memunmap_pages(&pd->pgmap);
	mutex_destroy(&pd->qlock);
}

/**
 * palloc_pages_open() - set a new file of the device up for huge faults
 * @pd: the device
 * @file: the file being opened
 *
 * Context: Process context.
 */
void palloc_pages_open(struct palloc_dev *pd, struct file *file)
{
	/* vma_is_dax() looks at f_mapping->host: huge_fault is then called. */
	if (pd->huge)
		file->f_mapping = pd->dax_inode->i_mapping;
}

/**
 * palloc_pages_vm_flags() - the VMA flags for mappings of the range
 * @pd: the device
 *
 * Context: Any context.
 * Return: VM_MIXEDMAP where pages are mapped, VM_PFNMAP | VM_IO otherwise.
 */
unsigned long palloc_pages_vm_flags(struct palloc_dev *pd)
{
	if (pd->map_mode == PALLOC_MAP_PFN)
		return VM_PFNMAP | VM_IO;
	/* Special (no mlock, no khugepaged, no growth), but GUP may pin it. */
	return VM_MIXEDMAP | (pd->huge ? VM_HUGEPAGE : 0);
}

/**
 * palloc_fault_pte() - map one page of the range at the faulting address
 * @pd: the device
 * @vmf: the fault
 * @page: the page, already checked to be held by the VMA
 *
 * Context: Page fault, mmap_lock held for reading.
 * Return: a vm_fault_t for the fault handler to return.
 */
vm_fault_t palloc_fault_pte(struct palloc_dev *pd, struct vm_fault *vmf, u64 page)
{
	unsigned long pfn = PHYS_PFN(pd->backing.base) + page;

	atomic64_inc(&pd->faults_pte);
	switch (pd->map_mode) {
	case PALLOC_MAP_DEVMAP:
		return vmf_insert_mixed(vmf->vma, vmf->address,
					__pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP));
	case PALLOC_MAP_RAM:
		/* A file page to the core: refcounted and rmapped by the PTE. */
		vmf->page = pfn_to_page(pfn);
		get_page(vmf->page);
		return 0;
	default:
		return vmf_insert_pfn(vmf->vma, vmf->address, pfn);
	}
}

/**
 * palloc_fault_pmd() - map 2 MiB of the range at the faulting address
 * @pd: the device
 * @vmf: the fault
 * @first: first page the VMA holds
 * @end: page after the last one the VMA holds
 *
 * Only where the PMD's virtual range lies inside the VMA, its pages inside
 * [@first, @end), and its first page is 2 MiB aligned physically.
 *
 * Context: Page fault, mmap_lock held for reading.
 * Return: a vm_fault_t; VM_FAULT_FALLBACK to map 4 KiB pages instead.
 */
vm_fault_t palloc_fault_pmd(struct palloc_dev *pd, struct vm_fault *vmf, u64 first, u64 end)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PMD_MASK, pfn;
	u64 page;

	if (!pd->huge || addr < vma->vm_start || addr + PMD_SIZE > vma->vm_end)
		return VM_FAULT_FALLBACK;
	/* vmf->pgoff is the page at vmf->address; addr >= vm_start: no underflow. */
	page = vmf->pgoff - ((vmf->address - addr) >> PAGE_SHIFT);
	if (page < first || page + PTRS_PER_PMD > end)
		return VM_FAULT_FALLBACK;
	pfn = PHYS_PFN(pd->backing.base) + page;
	if (!IS_ALIGNED(pfn, PTRS_PER_PMD))
		return VM_FAULT_FALLBACK;
	atomic64_inc(&pd->faults_pmd);
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV | PFN_MAP),
				  vmf->flags & FAULT_FLAG_WRITE);
#else
	return VM_FAULT_FALLBACK;
#endif
}

/**
 * palloc_pages_get_unmapped_area() - an address for a mapping of the device
 * @pd: the device
 * @file: the file being mapped
 * @addr: the caller's hint, 0 for none
 * @len: bytes
 * @pgoff: first page of the range mapped
 * @flags: mmap() flags
 *
 * Mappings of 2 MiB or more get an address congruent to the physical
 * address modulo 2 MiB, so that aligned parts can be mapped with PMDs, as
 * device-dax does.  A hint or MAP_FIXED is honoured as given.
 *
 * Context: Process context, mmap_lock held for writing.
 * Return: the address, or a negative errno.
 */
unsigned long palloc_pages_get_unmapped_area(struct palloc_dev *pd, struct file *file,
					     unsigned long addr, unsigned long len,
					     unsigned long pgoff, unsigned long flags)
{
	unsigned long got;
	u64 phys;

	if (!pd->huge || addr || flags & MAP_FIXED || len < PMD_SIZE ||
	    len > TASK_SIZE - PMD_SIZE)
		goto out;
	got = current->mm->get_unmapped_area(file, 0, len + PMD_SIZE, pgoff, flags);
	if (IS_ERR_VALUE(got))
		goto out;
	phys = pd->backing.base + ((u64)pgoff << PAGE_SHIFT);
	return got + ((phys - got) & (PMD_SIZE - 1));
out:
	return current->mm->get_unmapped_area(file, addr, len, pgoff, flags);
}

#ifdef CONFIG_X86
static void palloc_flush_local_tlb(void *unused)
{
	__flush_tlb_all();
}
#endif

/**
 * palloc_pages_flush_tlbs() - flush every CPU's TLB, before a PMD-mapped mapping's runs go
 *
 * Context: Process context, interrupts enabled (waits for the IPIs).
 */
void palloc_pages_flush_tlbs(void)
{
	/* See the 6.1 bug above; only flush_tlb_all()'s per-CPU half is exported. */
#ifdef CONFIG_X86
	on_each_cpu(palloc_flush_local_tlb, NULL, 1);
#endif
}

/*
 * Does anyone but the module and the page tables mapping it hold a
 * reference to the range's page @i?  Each mapping of a grabbed RAM page
 * holds one reference with its map count; devmap entries hold neither.
 */
static bool palloc_page_pinned(struct palloc_dev *pd, u64 i)
{
	struct page *page = pfn_to_page(PHYS_PFN(pd->backing.base) + i);

	return page_ref_count(page) > 1 + page_mapcount(page);
}

/* Pages nobody holds: back to the heap (dirty), write-back again first. */
static void palloc_pages_free_now(struct palloc_dev *pd, u64 start, u64 npages, bool wc)
{
#ifdef CONFIG_X86
	if (wc && set_memory_wb((unsigned long)pd->backing.va + (start << PAGE_SHIFT), npages)) {
		/*
		 * Pages still WC in the direct map must not come back as
		 * write-back runs: keep them out of the heap for good.
		 */
		pr_warn_ratelimited("%llu pages at page %llu stay WC: not reused\n",
				    npages, start);
		return;
	}
#endif
	WARN_ON_ONCE(palloc_heap_free(pd->heap, start, npages));
}

static void palloc_quarantine(struct palloc_dev *pd, u64 start, u64 npages, bool wc)
{
	/* A free path cannot fail; the object is small. */
	struct palloc_pinned *q = kmalloc(sizeof(*q), GFP_KERNEL | __GFP_NOFAIL);

	q->start = start;
	q->npages = npages;
	q->next = start;
	q->wc = wc;
	mutex_lock(&pd->qlock);
	/* Unloading now would free memory a pin still uses. */
	if (list_empty(&pd->quarantine))
		__module_get(THIS_MODULE);
	list_add_tail(&q->node, &pd->quarantine);
	atomic64_add(npages, &pd->pages_quarantined);
	atomic64_inc(&pd->nquarantined);
	mutex_unlock(&pd->qlock);
	queue_delayed_work(system_wq, &pd->qwork, PALLOC_PIN_POLL);
}

/**
 * palloc_quarantine_work() - free quarantined pages whose pins are gone
 * @work: palloc_dev.qwork
 *
 * Each pass reads each quarantined page's count at most once after it was
 * first seen at its base count, so the work per pass is bounded by the
 * pages that became free since the last one plus one page per entry.
 *
 * Context: Workqueue (process context).
 */
void palloc_quarantine_work(struct work_struct *work)
{
	struct palloc_dev *pd = container_of(to_delayed_work(work), struct palloc_dev, qwork);
	struct palloc_pinned *q, *tmp;
	LIST_HEAD(done);
	bool emptied;

	mutex_lock(&pd->qlock);
	list_for_each_entry_safe(q, tmp, &pd->quarantine, node) {
		while (q->next < q->start + q->npages && !palloc_page_pinned(pd, q->next)) {
			q->next++;
			if (!(q->next % PALLOC_CHUNK_PAGES))
				cond_resched();
		}
		if (q->next == q->start + q->npages)
			list_move_tail(&q->node, &done);
	}
	emptied = !list_empty(&done) && list_empty(&pd->quarantine);
	if (!list_empty(&pd->quarantine))
		queue_delayed_work(system_wq, &pd->qwork, PALLOC_PIN_POLL);
	mutex_unlock(&pd->qlock);

	list_for_each_entry_safe(q, tmp, &done, node) {
		palloc_pages_free_now(pd, q->start, q->npages, q->wc);
		atomic64_sub(q->npages, &pd->pages_quarantined);
		atomic64_dec(&pd->nquarantined);
		kfree(q);
	}
	/* Last: palloc_pages_exit() waits for this function to return. */
	if (emptied)
		module_put(THIS_MODULE);
}

/**
 * palloc_pages_free() - give pages of a run that nobody holds back to the heap
 * @pd: the device
 * @start: first page
 * @npages: pages
 * @wc: the pages are write-combining in the direct map
 *
 * Nothing maps the pages any more.  Those still referenced by a pin are
 * quarantined until it goes; the others go back to the heap (dirty, to be
 * zeroed before they are handed out again).
 *
 * Context: Process context, may sleep.
 */
void palloc_pages_free(struct palloc_dev *pd, u64 start, u64 npages, bool wc)
{
	u64 end = start + npages, p = start, q;

	if (pd->map_mode == PALLOC_MAP_PFN) {
		palloc_pages_free_now(pd, start, npages, wc);
		return;
	}
	while (p < end) {
		for (q = p; q < end && !palloc_page_pinned(pd, q); q++)
			if (!(q % PALLOC_CHUNK_PAGES))
				cond_resched();
		if (q > p)
			palloc_pages_free_now(pd, p, q - p, wc);
		for (p = q; p < end && palloc_page_pinned(pd, p); p++)
			if (!(p % PALLOC_CHUNK_PAGES))
				cond_resched();
		if (p > q)
			palloc_quarantine(pd, q, p - q, wc);
	}
}

/**
 * palloc_pages_pinned() - count the pages of a range someone else references
 * @pd: the device
 * @start: first page
 * @npages: pages
 *
 * Context: Process context, may sleep.
 * Return: pages whose count is above the base, 0 with PFN mappings.
 */
u64 palloc_pages_pinned(struct palloc_dev *pd, u64 start, u64 npages)
{
	u64 i, n = 0;

	if (pd->map_mode == PALLOC_MAP_PFN)
		return 0;
	for (i = start; i < start + npages; i++) {
		n += palloc_page_pinned(pd, i);
		if (!(i % PALLOC_CHUNK_PAGES))
			cond_resched();
	}
	return n;
}

/**
 * palloc_quarantine_show() - list the quarantined pages (debugfs "runs")
 * @m: the seq_file
 * @pd: the device
 *
 * Context: Process context, may sleep.
 */
void palloc_quarantine_show(struct seq_file *m, struct palloc_dev *pd)
{
	struct palloc_pinned *q;

	mutex_lock(&pd->qlock);
	list_for_each_entry(q, &pd->quarantine, node)
		seq_printf(m, "quarantined offset 0x%llx pages %llu %s first-pinned 0x%llx\n",
			   q->start << PAGE_SHIFT, q->npages, q->wc ? "wc" : "wb",
			   q->next << PAGE_SHIFT);
	mutex_unlock(&pd->qlock);
}
