// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits runs: pages handed out together, as one refcounted object.
 *
 * Every holder of a run holds a reference: the record of the
 * /dev/pallocbits file that allocated it, each device mapping created over
 * it, and its dma-buf (whose file is in turn held by every fd, dma-buf
 * mapping and importer attachment).  The pages go back to the heap when the
 * last reference goes, never before, so no holder can see them change
 * owner.  This replaces the hand-made rules of the first device layer
 * (FREE refused while mapped, disown on unwind, free all on release).
 *
 * A run's extent changes only when a FREE of a part of it is done by its
 * file while the file is its only holder (under the file's lock, which
 * every new holder also needs), and then under palloc_dev.runs_lock, so
 * debugfs always sees a consistent extent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include "palloc_dev.h"
#include "uapi/pallocbits.h"

/* Do all pages of the range have a struct page? (Grabbed ones are RAM.) */
static bool palloc_range_has_pages(struct palloc_backing *b)
{
	unsigned long pfn = PHYS_PFN(b->base), end = pfn + b->npages;

	if (b->mode == PALLOC_MODE_GRABBED)
		return true;
	while (pfn < end) {
		if (!pfn_valid(pfn))
			return false;
#ifdef PAGES_PER_SUBSECTION
		/* The memory map exists (or not) per subsection. */
		pfn = ALIGN(pfn + 1, PAGES_PER_SUBSECTION);
#else
		pfn++;
#endif
		cond_resched();
	}
	return pfn_valid(end - 1);
}

/**
 * palloc_runs_init() - prepare the device's run bookkeeping
 * @pd: the device, with its backing ready and palloc_pages_init() done
 *
 * Context: Process context, may sleep.
 */
void palloc_runs_init(struct palloc_dev *pd)
{
	mutex_init(&pd->runs_lock);
	INIT_LIST_HEAD(&pd->runs);
	pd->has_pages = pd->map_mode != PALLOC_MAP_PFN || palloc_range_has_pages(&pd->backing);
}

static int palloc_run_set_wc(struct palloc_run *run)
{
#ifdef CONFIG_X86
	/*
	 * The direct map becomes WC too, so that PAT's lookup for the user
	 * and kernel mappings of these RAM pages says WC, and no alias of
	 * another type exists (as drivers do with set_memory_wc()).
	 */
	return set_memory_wc((unsigned long)palloc_run_va(run), run->npages);
#else
	return -EOPNOTSUPP;
#endif
}

/**
 * palloc_run_create() - allocate, zero and describe a run nobody holds yet
 * @pd: the device
 * @npages: pages, >= 1
 * @align: alignment in pages, a power of two
 * @flags: PALLOC_ALLOC_* bits
 * @runp: the new run, with one reference for the caller to publish
 * @scavp: pages of the run that were known to be zero already
 *
 * The run is on the device's list (debugfs) but nothing else can reach it
 * until the caller publishes it; dropping the reference frees it.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EINVAL (bad size or alignment), -ENOMEM, -EINTR (fatal
 * signal) or -EOPNOTSUPP (PALLOC_ALLOC_WC in reserved mode).
 */
int palloc_run_create(struct palloc_dev *pd, u64 npages, u64 align, u64 flags,
		      struct palloc_run **runp, u64 *scavp)
{
	unsigned long small = 0, *dirty = NULL;
	unsigned long rs, re;
	struct palloc_run *run;
	u64 start, scav;
	int ret;

	if (flags & PALLOC_ALLOC_WC && pd->backing.mode != PALLOC_MODE_GRABBED)
		return -EOPNOTSUPP;
	run = kzalloc(sizeof(*run), GFP_KERNEL_ACCOUNT);
	if (!run)
		return -ENOMEM;
	/*
	 * Which pages are dirty: on the stack for small runs.  Not needed when
	 * the whole run is zeroed anyway; a size the heap refuses gets no
	 * bitmap either (kvmalloc() warns beyond INT_MAX).
	 */
	if (!(flags & PALLOC_ALLOC_ZERO)) {
		if (npages <= BITS_PER_LONG)
			dirty = &small;
		else if (npages <= pd->heap->npages)
			dirty = kvcalloc(BITS_TO_LONGS(npages), sizeof(long),
					 GFP_KERNEL_ACCOUNT);
	}
	ret = palloc_heap_alloc_dirty(pd->heap, npages, align, &start, &scav, dirty);
	if (ret)
		goto out_free_run;
	/*
	 * No owner may see another's data: zero the pages that are not known
	 * zero (all of them if there was no memory for the bitmap, or when
	 * asked to).
	 */
	if (flags & PALLOC_ALLOC_ZERO || (!dirty && scav != npages)) {
		ret = palloc_backing_zero(&pd->backing, start, npages);
	} else if (scav != npages) {
		for_each_set_bitrange(rs, re, dirty, npages) {
			ret = palloc_backing_zero(&pd->backing, start + rs, re - rs);
			if (ret)
				break;
		}
	}
	if (dirty != &small)
		kvfree(dirty);
	dirty = NULL;
	if (ret)
		goto out_free_pages;
	kref_init(&run->ref);
	run->pd = pd;
	run->start = start;
	run->npages = npages;
	run->owner_pid = task_tgid_nr(current);
	get_task_comm(run->owner_comm, current);
	mutex_init(&run->lock);
	INIT_LIST_HEAD(&run->attachments);
	if (flags & PALLOC_ALLOC_WC) {
		ret = palloc_run_set_wc(run);
		if (ret)
			goto out_free_pages;
		run->wc = true;
	}
	mutex_lock(&pd->runs_lock);
	list_add_tail(&run->node, &pd->runs);
	mutex_unlock(&pd->runs_lock);
	atomic64_inc(&pd->nruns);
	/* Until a file records it, it counts as held by someone else. */
	atomic64_add(npages, &pd->pages_held);
	*runp = run;
	*scavp = scav;
	return 0;

out_free_pages:
	/* Never published: nobody else can have seen it. */
	WARN_ON_ONCE(palloc_heap_free(pd->heap, start, npages));
out_free_run:
	if (dirty != &small)
		kvfree(dirty);
	kfree(run);
	return ret;
}

static void palloc_run_release(struct kref *ref)
{
	struct palloc_run *run = container_of(ref, struct palloc_run, ref);
	struct palloc_dev *pd = run->pd;

	mutex_lock(&pd->runs_lock);
	list_del(&run->node);
	mutex_unlock(&pd->runs_lock);
	atomic64_dec(&pd->nruns);
	if (!run->owned)
		atomic64_sub(run->npages, &pd->pages_held);
	palloc_pages_free(pd, run->start, run->npages, run->wc);
	mutex_destroy(&run->lock);
	kfree(run);
}

/**
 * palloc_run_clone() - a new run object for a part of an owned run
 * @run: the run being split by its owning file, its only holder
 * @start: the new run's first page
 * @npages: its pages
 *
 * The clone is owned by the same file and not yet on the device's list.
 *
 * Context: Process context, may sleep.
 * Return: the clone, or NULL without memory.
 */
struct palloc_run *palloc_run_clone(struct palloc_run *run, u64 start, u64 npages)
{
	struct palloc_run *new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);

	if (!new)
		return NULL;
	kref_init(&new->ref);
	new->pd = run->pd;
	new->start = start;
	new->npages = npages;
	new->wc = run->wc;
	new->owned = true;
	new->owner_pid = run->owner_pid;
	memcpy(new->owner_comm, run->owner_comm, sizeof(new->owner_comm));
	mutex_init(&new->lock);
	INIT_LIST_HEAD(&new->attachments);
	return new;
}

/**
 * palloc_run_add() - put a clone on the device's list of runs
 * @run: from palloc_run_clone()
 *
 * Context: Process context, may sleep.
 */
void palloc_run_add(struct palloc_run *run)
{
	mutex_lock(&run->pd->runs_lock);
	list_add_tail(&run->node, &run->pd->runs);
	mutex_unlock(&run->pd->runs_lock);
	atomic64_inc(&run->pd->nruns);
}

/**
 * palloc_run_put() - drop a reference to a run
 * @run: the run
 *
 * The last reference frees the run's pages (dirty, to be zeroed before
 * they are handed out again), but quarantines those a pin still holds
 * until it goes (pages.c).
 *
 * Context: Process context, may sleep.
 */
void palloc_run_put(struct palloc_run *run)
{
	might_sleep();
	kref_put(&run->ref, palloc_run_release);
}

/**
 * palloc_run_own() - a file's record now holds the run
 * @run: a run created by palloc_run_create(), its reference now the file's
 *
 * Context: Any context; under the owning file's lock.
 */
void palloc_run_own(struct palloc_run *run)
{
	run->owned = true;
	atomic64_sub(run->npages, &run->pd->pages_held);
}

/**
 * palloc_run_disown() - the owning file's record lets go of the run
 * @run: the run; the file's reference is dropped
 *
 * Context: Process context, may sleep; not under the file's lock.
 */
void palloc_run_disown(struct palloc_run *run)
{
	run->owned = false;
	atomic64_add(run->npages, &run->pd->pages_held);
	palloc_run_put(run);
}

/**
 * palloc_run_shrink() - change a run's extent to a part of it
 * @run: a run whose only holder is the caller's file
 * @start: new first page
 * @npages: new length
 *
 * The pages left out are the caller's to free.
 *
 * Context: Process context, may sleep; under the owning file's lock.
 */
void palloc_run_shrink(struct palloc_run *run, u64 start, u64 npages)
{
	mutex_lock(&run->pd->runs_lock);
	run->start = start;
	run->npages = npages;
	mutex_unlock(&run->pd->runs_lock);
}

/**
 * palloc_run_pgprot() - the page protection for mappings of a run
 * @run: the run
 * @prot: the VMA's protection
 *
 * Context: Any context.
 * Return: @prot, write-combined for a WC run.
 */
pgprot_t palloc_run_pgprot(struct palloc_run *run, pgprot_t prot)
{
	return run->wc ? pgprot_writecombine(prot) : prot;
}

static void palloc_run_vm_open(struct vm_area_struct *vma)
{
	struct palloc_run *run = vma->vm_private_data;

	atomic_inc(&run->maps);
}

static void palloc_run_vm_close(struct vm_area_struct *vma)
{
	struct palloc_run *run = vma->vm_private_data;

	atomic_dec(&run->maps);
}

/* Map one page; vm_pgoff counts from the run's first page. */
static vm_fault_t palloc_run_vm_fault(struct vm_fault *vmf)
{
	struct palloc_run *run = vmf->vma->vm_private_data;

	if (vmf->pgoff >= run->npages)
		return VM_FAULT_SIGBUS;
	return palloc_fault_pte(run->pd, vmf, run->start + vmf->pgoff);
}

static const struct vm_operations_struct palloc_run_vm_ops = {
	.open = palloc_run_vm_open,
	.close = palloc_run_vm_close,
	.fault = palloc_run_vm_fault,
};

/**
 * palloc_run_mmap() - set up a mapping of a run whose file holds the run
 * @run: the run (the caller's file, e.g. its dma-buf, keeps it alive while
 *	the VMA exists)
 * @vma: the new VMA; vm_pgoff counts pages from the run's start
 *
 * Context: Process context, mmap_lock held for writing.
 * Return: 0, or -EINVAL for a private mapping or one past the run's end.
 */
int palloc_run_mmap(struct palloc_run *run, struct vm_area_struct *vma)
{
	u64 end;

	/* A copy-on-write copy of these pages means nothing. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (check_add_overflow((u64)vma->vm_pgoff, (u64)vma_pages(vma), &end) ||
	    end > run->npages)
		return -EINVAL;
	/* 4 KiB entries only: a dma-buf's file is not a DAX file. */
	vma->vm_flags |= (palloc_pages_vm_flags(run->pd) & ~VM_HUGEPAGE) | VM_DONTEXPAND |
			 VM_DONTDUMP;
	vma->vm_page_prot = palloc_run_pgprot(run, vma->vm_page_prot);
	vma->vm_private_data = run;
	vma->vm_ops = &palloc_run_vm_ops;
	atomic_inc(&run->maps);
	return 0;
}

static void *palloc_runs_start(struct seq_file *m, loff_t *pos)
{
	struct palloc_dev *pd = m->private;

	mutex_lock(&pd->runs_lock);
	/* The head first: the header line, even with no run to list. */
	return seq_list_start_head(&pd->runs, *pos);
}

static void *palloc_runs_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct palloc_dev *pd = m->private;

	return seq_list_next(v, &pd->runs, pos);
}

static void palloc_runs_stop(struct seq_file *m, void *v)
{
	struct palloc_dev *pd = m->private;

	mutex_unlock(&pd->runs_lock);
}

/* One run and its holders: its file, its mappings, its dma-buf, importers. */
static int palloc_runs_show(struct seq_file *m, void *v)
{
	struct palloc_run *run = list_entry(v, struct palloc_run, node);
	struct palloc_dev *pd = m->private;
	struct palloc_attach *a;
	u64 pinned;

	if (v == &pd->runs) {
		static const char * const maps[] = {
			[PALLOC_MAP_PFN] = "pfn", [PALLOC_MAP_RAM] = "ram-pages",
			[PALLOC_MAP_DEVMAP] = "zone-device-pages",
		};

		seq_printf(m, "# %llu runs, %llu exported, %llu pages held by no file; has struct pages: %s\n",
			   (u64)atomic64_read(&pd->nruns), (u64)atomic64_read(&pd->nexported),
			   (u64)atomic64_read(&pd->pages_held), pd->has_pages ? "yes" : "no");
		seq_printf(m, "# mappings %s, 2 MiB entries %s, memmap %llu bytes; %llu pages quarantined in %llu ranges\n",
			   maps[pd->map_mode], pd->huge ? "yes" : "no", palloc_memmap_bytes(pd),
			   (u64)atomic64_read(&pd->pages_quarantined),
			   (u64)atomic64_read(&pd->nquarantined));
		palloc_quarantine_show(m, pd);
		return 0;
	}

	seq_printf(m, "run offset 0x%llx pages %llu %s refs %u file %s pid %d (%s) maps %d",
		   run->start << PAGE_SHIFT, run->npages, run->wc ? "wc" : "wb",
		   kref_read(&run->ref), run->owned ? "yes" : "no", run->owner_pid,
		   run->owner_comm, atomic_read(&run->maps));
	/* Pages someone has pinned (e.g. O_DIRECT in flight): they outlive a free. */
	pinned = palloc_pages_pinned(pd, run->start, run->npages);
	mutex_lock(&run->lock);
	seq_printf(m, " dmabuf %s vmaps %u pinned %llu\n", run->dmabuf ? "yes" : "no",
		   run->vmaps, pinned);
	list_for_each_entry(a, &run->attachments, node)
		seq_printf(m, "  attachment %s %s segments %u%s\n", dev_driver_string(a->dev),
			   dev_name(a->dev), a->sgt.orig_nents,
			   a->mapped ? " mapped" : "");
	mutex_unlock(&run->lock);
	return 0;
}

static const struct seq_operations palloc_runs_sops = {
	.start = palloc_runs_start,
	.next = palloc_runs_next,
	.stop = palloc_runs_stop,
	.show = palloc_runs_show,
};
DEFINE_SEQ_ATTRIBUTE(palloc_runs);

/**
 * palloc_debugfs_add_runs() - add the "runs" file: every live run and its holders
 * @pd: the device, with its debugfs directory
 *
 * Context: Process context, may sleep.
 */
void palloc_debugfs_add_runs(struct palloc_dev *pd)
{
	debugfs_create_file("runs", 0400, pd->debugfs, pd, &palloc_runs_fops);
}
