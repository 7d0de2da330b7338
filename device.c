// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits misc device: /dev/pallocbits.
 *
 * Every run a file allocates is a refcounted &struct palloc_run (run.c),
 * recorded in the file's maple tree of owned page ranges, one entry per
 * run.  Only the owner can free, map or export it.  FREE drops the file's
 * reference (cutting a run in two only while the file is its only holder);
 * a mapping holds every run it covers; the dma-buf holds its run (dmabuf.c);
 * release() drops what is left.  The pages go back to the heap with the
 * last reference.  Pages are zeroed before they are handed out unless the
 * allocator knows all of them are zero already.
 *
 * ALLOC and EXPORT publish last, as cma_heap_allocate() does: the run is
 * zeroed and its description copied out before it is recorded as owned,
 * and an exported dma-buf gets its fd number copied out before the fd is
 * installed, so no other thread can use what may still fail.
 *
 * Mappings are filled by the fault handlers (pages.c): 4 KiB entries of
 * struct pages that GUP can pin (ZONE_DEVICE pages of a reserved range, or
 * grabbed RAM pages), 2 MiB entries where page and address are both 2 MiB
 * aligned (reserved range), or plain PFNs without struct pages.  Nothing
 * is mapped at mmap() time, so splitting a mapping (partial munmap,
 * mprotect) needs no per-VMA memtype bookkeeping: the pages' cache type is
 * the one of the kernel's own mapping of the run (write-back, or
 * write-combining for a PALLOC_ALLOC_WC run).
 *
 * Lock order: mmap_lock -> palloc_file.lock -> palloc_run.lock -> heap
 * locks.  No user copy happens under palloc_file.lock (a fault would take
 * mmap_lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/maple_tree.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "palloc_dev.h"
#include "uapi/pallocbits.h"

/**
 * struct palloc_file - what one open file of the device owns
 * @pd: the device
 * @lock: protects @owned and @owned_pages
 * @owned: page ranges this file owns, each the whole extent of one
 *	&struct palloc_run (the entry), whose reference the file holds
 * @owned_pages: pages in @owned
 * @phys_ok: the opener had CAP_SYS_ADMIN: ALLOC reports physical addresses
 */
struct palloc_file {
	struct palloc_dev *pd;
	struct mutex lock;	/* protects owned, owned_pages */
	struct maple_tree owned;
	u64 owned_pages;
	bool phys_ok;
};

/**
 * struct palloc_map - a device mapping: the runs it was created over
 * @refs: VMAs sharing the record (a split VMA keeps every run held)
 * @pmd: a fault mapped 2 MiB of it with one entry (set once, never cleared)
 * @start: first page
 * @npages: number of pages
 * @nruns: entries in @runs
 * @runs: the runs, a reference to each
 */
struct palloc_map {
	refcount_t refs;
	bool pmd;
	u64 start;
	u64 npages;
	unsigned int nruns;
	struct palloc_run *runs[];
};

/*
 * Call @fn for each run of @pf overlapping [start, end), in page order, with
 * the run's extent in the file's tree; stop at a hole (return -EINVAL) or
 * when @fn returns non-zero (return that).
 */
typedef int (*palloc_run_visit)(struct palloc_run *run, u64 rs, u64 re, void *arg);

static int palloc_visit_runs(struct palloc_file *pf, u64 start, u64 end, void *arg,
			     palloc_run_visit fn)
{
	MA_STATE(mas, &pf->owned, start, start);
	struct palloc_run *run;
	u64 p = start, rs, re;
	int ret = 0;

	lockdep_assert_held(&pf->lock);
	while (p < end && !ret) {
		rcu_read_lock();
		mas_set(&mas, p);
		run = mas_walk(&mas);
		rs = mas.index;
		re = (u64)mas.last + 1;
		rcu_read_unlock();
		if (!run)
			return -EINVAL;
		/* The tree changes only under pf->lock: run stays valid. */
		ret = fn(run, rs, re, arg);
		p = re;
		/* A range may cover 100,000 runs: a sleeping lock is held. */
		cond_resched();
	}
	return ret;
}

/* Is [start, start + npages) a non-empty range of the device's pages? */
static bool palloc_pages_ok(struct palloc_dev *pd, u64 start, u64 npages)
{
	u64 end;

	return npages && !check_add_overflow(start, npages, &end) &&
	       end <= pd->backing.npages;
}

static int palloc_ioctl_info(struct palloc_file *pf, void __user *uarg)
{
	struct palloc_ioc_info info = {
		.abi_version = PALLOC_ABI_VERSION,
		.page_size = PAGE_SIZE,
		.npages = pf->pd->backing.npages,
		.mode = pf->pd->backing.mode,
		.alloc_flags = PALLOC_ALLOC_FLAGS,
		.scavenge_flags = PALLOC_SCAVENGE_FLAGS,
		.memmap_bytes = palloc_memmap_bytes(pf->pd),
	};

	if (pf->pd->map_mode != PALLOC_MAP_PFN)
		info.features |= PALLOC_FEATURE_PAGES;
	if (pf->pd->huge)
		info.features |= PALLOC_FEATURE_HUGE;
	if (pf->pd->elastic)
		info.features |= PALLOC_FEATURE_ELASTIC;

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int palloc_ioctl_alloc(struct palloc_file *pf, void __user *uarg)
{
	struct palloc_dev *pd = pf->pd;
	struct palloc_ioc_alloc a = {};
	struct palloc_run *run;
	u64 scav;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	/* offset, scavenged and phys are outputs: their input is ignored. */
	if (a.flags & ~PALLOC_ALLOC_FLAGS || a.reserved[0] || a.reserved[1])
		return -EINVAL;
	ret = palloc_run_create(pd, a.npages, a.align ? a.align : 1, a.flags, &run, &scav);
	if (ret)
		return ret;
	a.offset = run->start << PAGE_SHIFT;
	a.scavenged = scav;
	a.phys = pf->phys_ok ? pd->backing.base + a.offset : 0;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		ret = -EFAULT;
		goto out_put;
	}

	/* Publish last: from here on other threads of the file may use the run. */
	mutex_lock(&pf->lock);
	ret = mtree_store_range(&pf->owned, run->start, run->start + run->npages - 1, run,
				GFP_KERNEL_ACCOUNT);
	if (!ret) {
		palloc_run_own(run);
		pf->owned_pages += run->npages;
	}
	mutex_unlock(&pf->lock);
	if (ret)
		goto out_put;
	return 0;

out_put:
	/* Never published: ours is the only reference. */
	palloc_run_put(run);
	return ret;
}

/**
 * struct palloc_free_plan - what one FREE does, decided before anything changes
 * @start: first page freed
 * @end: page after the last
 * @nruns: runs overlapping the range
 * @busy: one of the runs only partly in the range has another holder
 * @runs: the runs (filled on the second pass)
 * @n: entries filled
 * @cuts: pages cut off the runs only partly in the range (at most the
 *	first and the last run), freed once the file's lock is dropped
 * @ncuts: entries in @cuts
 */
struct palloc_free_plan {
	u64 start;
	u64 end;
	unsigned int nruns;
	bool busy;
	struct palloc_run **runs;
	unsigned int n;
	struct {
		u64 start;
		u64 npages;
		bool wc;
	} cuts[2];
	unsigned int ncuts;
};

static int palloc_free_count(struct palloc_run *run, u64 rs, u64 re, void *arg)
{
	struct palloc_free_plan *plan = arg;

	/*
	 * A run cut in two needs the file to be its only holder.  New holders
	 * need pf->lock, which the caller holds, so the count cannot rise.
	 */
	if ((rs < plan->start || re > plan->end) && kref_read(&run->ref) != 1)
		plan->busy = true;
	plan->nruns++;
	return 0;
}

static int palloc_free_collect(struct palloc_run *run, u64 rs, u64 re, void *arg)
{
	struct palloc_free_plan *plan = arg;

	plan->runs[plan->n++] = run;
	return 0;
}

/*
 * Drop the file's hold on [start, end): whole runs are disowned (they go
 * back to the heap when their last holder does), runs partly in the range
 * are cut, which only their only holder, the file, may do.
 */
static int palloc_free_range(struct palloc_file *pf, u64 start, u64 end)
{
	struct palloc_free_plan plan = { .start = start, .end = end };
	struct palloc_run *run, *tail = NULL;
	u64 rs, re, cut_start, cut_end;
	unsigned int i;
	int ret;

	mutex_lock(&pf->lock);
	/* EINVAL (a page not owned) wins over EBUSY. */
	ret = palloc_visit_runs(pf, start, end, &plan, palloc_free_count);
	if (ret)
		goto out_unlock;
	ret = -EBUSY;
	if (plan.busy)
		goto out_unlock;
	ret = -ENOMEM;
	plan.runs = kvmalloc_array(plan.nruns, sizeof(*plan.runs), GFP_KERNEL_ACCOUNT);
	if (!plan.runs)
		goto out_unlock;
	palloc_visit_runs(pf, start, end, &plan, palloc_free_collect);

	/* One run cut in the middle: its tail becomes a run of its own. */
	run = plan.runs[0];
	if (plan.nruns == 1 && run->start < start && run->start + run->npages > end) {
		re = run->start + run->npages;
		tail = palloc_run_clone(run, end, re - end);
		if (!tail)
			goto out_free_plan;
		ret = mtree_store_range(&pf->owned, end, re - 1, tail, GFP_KERNEL_ACCOUNT);
		if (ret) {
			kfree(tail);
			goto out_free_plan;
		}
	}
	/* Disown the range: the one step left that can fail. */
	ret = mtree_store_range(&pf->owned, start, end - 1, NULL, GFP_KERNEL);
	if (ret) {
		/* Rewrites an existing range's entry in place: needs no memory. */
		if (tail)
			WARN_ON_ONCE(mtree_store_range(&pf->owned, end,
						       run->start + run->npages - 1, run,
						       GFP_KERNEL));
		kfree(tail);
		goto out_free_plan;
	}
	pf->owned_pages -= end - start;
	if (tail)
		palloc_run_add(tail);
	/* Cut the partly freed runs now, while the file is their only holder. */
	for (i = 0; i < plan.nruns; i++) {
		run = plan.runs[i];
		rs = run->start;
		re = run->start + run->npages;
		if (rs >= start && re <= end)
			continue;
		cut_start = max(rs, start);
		cut_end = min(re, end);
		if (rs < start)
			palloc_run_shrink(run, rs, start - rs);
		else
			palloc_run_shrink(run, end, re - end);
		/* Nobody holds the cut pages now: they need no lock. */
		plan.cuts[plan.ncuts].start = cut_start;
		plan.cuts[plan.ncuts].npages = cut_end - cut_start;
		plan.cuts[plan.ncuts++].wc = run->wc;
		plan.runs[i] = NULL;
	}
	mutex_unlock(&pf->lock);
	/* Outside the file's lock: the cut pages, and what last references free. */
	for (i = 0; i < plan.ncuts; i++)
		palloc_pages_free(pf->pd, plan.cuts[i].start, plan.cuts[i].npages, plan.cuts[i].wc);
	for (i = 0; i < plan.nruns; i++) {
		if (plan.runs[i])
			palloc_run_disown(plan.runs[i]);
		cond_resched();
	}
	kvfree(plan.runs);
	return 0;

out_free_plan:
	kvfree(plan.runs);
out_unlock:
	mutex_unlock(&pf->lock);
	return ret;
}

static int palloc_ioctl_free(struct palloc_file *pf, void __user *uarg)
{
	struct palloc_ioc_free f = {};
	u64 start;
	int ret;

	ret = -EFAULT;
	if (copy_from_user(&f, uarg, sizeof(f)))
		goto out_refused;
	ret = -EINVAL;
	if (f.flags || f.reserved)
		goto out_refused;
	start = f.offset >> PAGE_SHIFT;
	if (f.offset & ~PAGE_MASK || !palloc_pages_ok(pf->pd, start, f.npages))
		goto out_refused;
	ret = palloc_free_range(pf, start, start + f.npages);
out_refused:
	if (ret)
		atomic64_inc(&pf->pd->free_refused);
	return ret;
}

static int palloc_ioctl_export(struct palloc_file *pf, void __user *uarg)
{
	MA_STATE(mas, &pf->owned, 0, 0);
	struct palloc_ioc_export e;
	struct palloc_run *run;
	struct dma_buf *dmabuf;
	u64 start;

	if (copy_from_user(&e, uarg, sizeof(e)))
		return -EFAULT;
	if (e.flags || e.reserved[0] || e.reserved[1] || e.reserved[2] ||
	    e.fd_flags & ~(u64)PALLOC_EXPORT_FD_FLAGS ||
	    (e.fd_flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	start = e.offset >> PAGE_SHIFT;
	if (e.offset & ~PAGE_MASK || !palloc_pages_ok(pf->pd, start, e.npages))
		return -EINVAL;

	mutex_lock(&pf->lock);
	rcu_read_lock();
	mas_set(&mas, start);
	run = mas_walk(&mas);
	rcu_read_unlock();
	/* Exactly one whole run: the tree's extent of it. */
	if (!run || mas.index != start || (u64)mas.last != start + e.npages - 1)
		dmabuf = ERR_PTR(-EINVAL);
	else
		dmabuf = palloc_run_export(run, e.fd_flags);
	mutex_unlock(&pf->lock);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	return palloc_dmabuf_publish(dmabuf, e.fd_flags, uarg, &e, sizeof(e), &e.fd, sizeof(e.fd));
}

static int palloc_ioctl_scavenge(struct palloc_file *pf, void __user *uarg)
{
	struct palloc_ioc_scavenge s = {};

	if (copy_from_user(&s, uarg, sizeof(s)))
		return -EFAULT;
	if (!s.npages || s.flags & ~PALLOC_SCAVENGE_FLAGS || s.reserved)
		return -EINVAL;
	if (signal_pending(current))
		return -EINTR;
	s.released = palloc_heap_scavenge_killable(pf->pd->heap, s.npages,
						   s.flags & PALLOC_SCAVENGE_FORCE);
	/*
	 * An elastic pool gives its idle chunks back now too, after a grow or
	 * the background worker's shrink in progress (killable).
	 */
	palloc_heap_shrink(pf->pd->heap, ULONG_MAX, true);
	/* The pages are released either way; only the report is lost. */
	return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
}

static int palloc_ioctl_stats(struct palloc_file *pf, void __user *uarg, size_t size)
{
	struct palloc_dev *pd = pf->pd;
	struct palloc_ioc_stats u = {};
	struct palloc_stats st;

	palloc_heap_stats(pd->heap, &st);
	u.npages = pd->backing.npages;
	u.mode = pd->backing.mode;
	u.pages_inuse = st.pages_inuse;
	u.pages_free = st.pages_free;
	u.pages_scavenged = st.pages_scavenged;
	u.pages_cached = st.pages_cached;
	u.pages_scavenging = st.pages_scavenging;
	u.largest_free = st.largest_free;
	u.allocs = st.allocs;
	u.frees = st.frees;
	u.alloc_failures = st.alloc_failures;
	u.free_errors = st.free_errors + atomic64_read(&pd->free_refused);
	u.pages_released = st.pages_released;
	u.scavenge_runs = st.scavenge_runs;
	u.runs = atomic64_read(&pd->nruns);
	u.runs_exported = atomic64_read(&pd->nexported);
	u.pages_held = atomic64_read(&pd->pages_held);
	u.pages_quarantined = atomic64_read(&pd->pages_quarantined);
	u.quarantined = atomic64_read(&pd->nquarantined);
	u.faults_pte = atomic64_read(&pd->faults_pte);
	u.faults_pmd = atomic64_read(&pd->faults_pmd);
	u.pages_present = st.pages_total;
	u.pages_returned = st.pages_returned;
	u.pages_grown = st.pages_grown;
	u.grow_attempts = st.grow_attempts;
	u.grow_failures = st.grow_failures;
	mutex_lock(&pf->lock);
	u.owned_pages = pf->owned_pages;
	mutex_unlock(&pf->lock);
	/* An ABI 2 caller's smaller structure gets the fields it knows. */
	return copy_to_user(uarg, &u, size) ? -EFAULT : 0;
}

static long palloc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct palloc_file *pf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PALLOC_IOC_INFO:
		return palloc_ioctl_info(pf, uarg);
	case PALLOC_IOC_ALLOC:
		return palloc_ioctl_alloc(pf, uarg);
	case PALLOC_IOC_FREE:
		return palloc_ioctl_free(pf, uarg);
	case PALLOC_IOC_SCAVENGE:
		return palloc_ioctl_scavenge(pf, uarg);
	case PALLOC_IOC_STATS:
		return palloc_ioctl_stats(pf, uarg, sizeof(struct palloc_ioc_stats));
	case PALLOC_IOC_STATS_V2:
		return palloc_ioctl_stats(pf, uarg, PALLOC_STATS_V2_SIZE);
	case PALLOC_IOC_EXPORT:
		return palloc_ioctl_export(pf, uarg);
	default:
		return -ENOTTY;
	}
}

static void palloc_vm_open(struct vm_area_struct *vma)
{
	struct palloc_map *m = vma->vm_private_data;

	refcount_inc(&m->refs);
}

static void palloc_map_free(struct palloc_map *m)
{
	unsigned int i;

	/* No TLB entry of a 2 MiB mapping may outlive it (pages.c: 6.1 bug). */
	if (READ_ONCE(m->pmd))
		palloc_pages_flush_tlbs();
	for (i = 0; i < m->nruns; i++) {
		atomic_dec(&m->runs[i]->maps);
		palloc_run_put(m->runs[i]);
	}
	kvfree(m);
}

static void palloc_vm_close(struct vm_area_struct *vma)
{
	struct palloc_map *m = vma->vm_private_data;

	if (refcount_dec_and_test(&m->refs))
		palloc_map_free(m);
}

/*
 * Map one page.  The mapping holds every run it was created over until
 * the last of its VMAs is gone, so the pfn is always one of those runs'.
 */
static vm_fault_t palloc_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct palloc_map *m = vma->vm_private_data;
	struct palloc_file *pf = vma->vm_file->private_data;

	if (vmf->pgoff < m->start || vmf->pgoff - m->start >= m->npages)
		return VM_FAULT_SIGBUS;
	return palloc_fault_pte(pf->pd, vmf, vmf->pgoff);
}

/* 2 MiB at once where page and address are aligned (pages.c). */
static vm_fault_t palloc_vm_huge_fault(struct vm_fault *vmf, enum page_entry_size pe_size)
{
	struct vm_area_struct *vma = vmf->vma;
	struct palloc_map *m = vma->vm_private_data;
	struct palloc_file *pf = vma->vm_file->private_data;
	vm_fault_t ret;

	if (pe_size != PE_SIZE_PMD)
		return VM_FAULT_FALLBACK;
	ret = palloc_fault_pmd(pf->pd, vmf, m->start, m->start + m->npages);
	if (ret == VM_FAULT_NOPAGE && !READ_ONCE(m->pmd))
		WRITE_ONCE(m->pmd, true);
	return ret;
}

static const struct vm_operations_struct palloc_vm_ops = {
	.open = palloc_vm_open,
	.close = palloc_vm_close,
	.fault = palloc_vm_fault,
	.huge_fault = palloc_vm_huge_fault,
};

static int palloc_map_count(struct palloc_run *run, u64 rs, u64 re, void *arg)
{
	struct palloc_map *m = arg;

	m->nruns++;
	return 0;
}

static int palloc_map_collect(struct palloc_run *run, u64 rs, u64 re, void *arg)
{
	struct palloc_map *m = arg;

	/* One cache type per mapping. */
	if (m->nruns && m->runs[0]->wc != run->wc)
		return -EINVAL;
	m->runs[m->nruns++] = run;
	return 0;
}

static int palloc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct palloc_file *pf = file->private_data;
	struct palloc_dev *pd = pf->pd;
	u64 npages = vma_pages(vma), start = vma->vm_pgoff;
	struct palloc_map count = {}, *m;
	unsigned int i;
	int ret;

	/*
	 * A private COW copy of device pages means nothing.  VM_MAYSHARE, not
	 * VM_SHARED: MAP_SHARED of an O_RDONLY file clears VM_SHARED.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!palloc_pages_ok(pd, start, npages))
		return -EINVAL;

	mutex_lock(&pf->lock);
	ret = palloc_visit_runs(pf, start, start + npages, &count, palloc_map_count);
	if (ret) {
		ret = -EACCES;
		goto out_unlock;
	}
	m = kvzalloc(struct_size(m, runs, count.nruns), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!m)
		goto out_unlock;
	ret = palloc_visit_runs(pf, start, start + npages, m, palloc_map_collect);
	if (ret) {
		kvfree(m);
		goto out_unlock;
	}
	for (i = 0; i < m->nruns; i++) {
		kref_get(&m->runs[i]->ref);
		atomic_inc(&m->runs[i]->maps);
	}
	mutex_unlock(&pf->lock);

	vma->vm_flags |= palloc_pages_vm_flags(pd) | VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_page_prot = palloc_run_pgprot(m->runs[0], vma->vm_page_prot);
	m->start = start;
	m->npages = npages;
	refcount_set(&m->refs, 1);
	vma->vm_private_data = m;
	vma->vm_ops = &palloc_vm_ops;
	return 0;

out_unlock:
	mutex_unlock(&pf->lock);
	return ret;
}

static int palloc_open(struct inode *inode, struct file *file)
{
	/* misc_open() left the miscdevice in private_data. */
	struct palloc_dev *pd = container_of(file->private_data, struct palloc_dev, misc);
	struct palloc_file *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return -ENOMEM;
	pf->pd = pd;
	/* Decided once, for the opener: not per call, not for the caller. */
	pf->phys_ok = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	mutex_init(&pf->lock);
	mt_init(&pf->owned);
	file->private_data = pf;
	palloc_pages_open(pd, file);
	return 0;
}

static unsigned long palloc_get_unmapped_area(struct file *file, unsigned long addr,
					      unsigned long len, unsigned long pgoff,
					      unsigned long flags)
{
	struct palloc_file *pf = file->private_data;

	return palloc_pages_get_unmapped_area(pf->pd, file, addr, len, pgoff, flags);
}

/* Owned runs release() lets go of per pass over the tree. */
#define PALLOC_RELEASE_BATCH	16

/*
 * The file lets go of every run it still owns; those nobody else holds go
 * back to the heap (dirty).  The tree is read PALLOC_RELEASE_BATCH runs at
 * a time under its lock; the erases and puts happen outside it, with a
 * reschedule per batch, so a file holding 100,000 runs keeps no lock for
 * long.  Mappings hold the file, so none is left when this runs.
 */
static int palloc_release(struct inode *inode, struct file *file)
{
	struct palloc_file *pf = file->private_data;
	struct palloc_run *runs[PALLOC_RELEASE_BATCH];
	unsigned long start[PALLOC_RELEASE_BATCH];
	unsigned int n, k;
	void *entry;

	do {
		MA_STATE(mas, &pf->owned, 0, 0);

		n = 0;
		mas_lock(&mas);
		mas_for_each(&mas, entry, ULONG_MAX) {
			start[n] = mas.index;
			runs[n] = entry;
			if (++n == PALLOC_RELEASE_BATCH)
				break;
		}
		mas_unlock(&mas);
		for (k = 0; k < n; k++) {
			mtree_erase(&pf->owned, start[k]);
			palloc_run_disown(runs[k]);
		}
		cond_resched();
	} while (n == PALLOC_RELEASE_BATCH);
	mtree_destroy(&pf->owned);
	mutex_destroy(&pf->lock);
	kfree(pf);
	return 0;
}

static const struct file_operations palloc_fops = {
	.owner = THIS_MODULE,
	.open = palloc_open,
	.release = palloc_release,
	.unlocked_ioctl = palloc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = palloc_mmap,
	.get_unmapped_area = palloc_get_unmapped_area,
	.llseek = noop_llseek,
};

/**
 * palloc_device_register() - create /dev/pallocbits for a heap and its backing
 * @pd: the device, with heap and backing ready; it must outlive the device
 *
 * Context: Process context, may sleep.
 * Return: 0 or the errno of misc_register().
 */
int palloc_device_register(struct palloc_dev *pd)
{
	pd->misc = (struct miscdevice){
		.minor = MISC_DYNAMIC_MINOR,
		.name = KBUILD_MODNAME,
		.fops = &palloc_fops,
		.mode = 0600,
	};
	return misc_register(&pd->misc);
}

/**
 * palloc_device_unregister() - remove /dev/pallocbits
 * @pd: the device
 *
 * Open files keep the module, so none remains when this runs on unload.
 *
 * Context: Process context, may sleep.
 */
void palloc_device_unregister(struct palloc_dev *pd)
{
	misc_deregister(&pd->misc);
}
