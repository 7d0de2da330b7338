// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits misc device: /dev/pallocbits.
 *
 * Every run a file allocates is recorded in the file's maple tree of owned
 * page ranges; only the owner can free or map it, and release() frees what
 * is left.  Mapped pages stay owned: FREE of a mapped page fails with
 * -EBUSY until the mapping is gone.  Pages are zeroed before they are
 * handed out unless the allocator knows all of them are zero already.
 *
 * ALLOC publishes last, as cma_heap_allocate() does: the run is zeroed and
 * its description copied out before it is recorded as owned, so no other
 * thread of the file can map or free a run whose ALLOC may still fail.
 *
 * Mappings are VM_PFNMAP and filled by the fault handler one page at a
 * time (vmf_insert_pfn()), so that splitting a mapping (partial munmap,
 * mprotect) needs no per-VMA memtype bookkeeping: the pages' cache type is
 * the one of the kernel's own mapping of the range (write-back).
 *
 * Lock order: mmap_lock -> palloc_file.lock -> heap locks.  No user copy
 * happens under palloc_file.lock (a fault would take mmap_lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "palloc_dev.h"
#include "uapi/pallocbits.h"

/**
 * struct palloc_file - what one open file of the device owns
 * @pd: the device
 * @lock: protects @owned, @maps and @owned_pages
 * @owned: page ranges this file owns (entries are a marker value)
 * @maps: live &struct palloc_map of this file's mappings
 * @owned_pages: pages in @owned
 * @phys_ok: the opener had CAP_SYS_ADMIN: ALLOC reports physical addresses
 */
struct palloc_file {
	struct palloc_dev *pd;
	struct mutex lock;	/* protects owned, maps, owned_pages */
	struct maple_tree owned;
	struct list_head maps;
	u64 owned_pages;
	bool phys_ok;
};

/**
 * struct palloc_map - pages a file has mapped
 * @node: in palloc_file.maps
 * @refs: VMAs sharing the record (a split VMA keeps the whole range busy)
 * @pf: the file
 * @start: first page
 * @npages: number of pages
 */
struct palloc_map {
	struct list_head node;
	refcount_t refs;
	struct palloc_file *pf;
	u64 start;
	u64 npages;
};

#define PALLOC_OWNED	xa_mk_value(1)

/* Does @pf own every page of [start, start + npages)? */
static bool palloc_owns(struct palloc_file *pf, u64 start, u64 npages)
{
	MA_STATE(mas, &pf->owned, start, start);
	u64 p = start;
	bool ok = true;

	lockdep_assert_held(&pf->lock);
	rcu_read_lock();
	while (p < start + npages) {
		mas_set(&mas, p);
		if (!mas_walk(&mas)) {
			ok = false;
			break;
		}
		p = (u64)mas.last + 1;
	}
	rcu_read_unlock();
	return ok;
}

/* Is any page of [start, start + npages) mapped through @pf? */
static bool palloc_mapped(struct palloc_file *pf, u64 start, u64 npages)
{
	struct palloc_map *m;

	lockdep_assert_held(&pf->lock);
	list_for_each_entry(m, &pf->maps, node)
		if (start < m->start + m->npages && m->start < start + npages)
			return true;
	return false;
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
	};

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int palloc_ioctl_alloc(struct palloc_file *pf, void __user *uarg)
{
	struct palloc_dev *pd = pf->pd;
	struct palloc_ioc_alloc a = {};
	u64 start, scav, align;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	/* offset, scavenged and phys are outputs: their input is ignored. */
	if (a.flags & ~PALLOC_ALLOC_FLAGS || a.reserved[0] || a.reserved[1])
		return -EINVAL;
	align = a.align ? a.align : 1;
	ret = palloc_heap_alloc(pd->heap, a.npages, align, &start, &scav);
	if (ret)
		return ret;

	/* No owner may see another's data: zero unless known zero. */
	if (scav != a.npages || a.flags & PALLOC_ALLOC_ZERO) {
		ret = palloc_backing_zero(&pd->backing, start, a.npages);
		if (ret)
			goto out_free;
	}
	a.offset = start << PAGE_SHIFT;
	a.scavenged = scav;
	a.phys = pf->phys_ok ? pd->backing.base + a.offset : 0;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		ret = -EFAULT;
		goto out_free;
	}

	/* Publish last: from here on other threads of the file may use the run. */
	mutex_lock(&pf->lock);
	ret = mtree_store_range(&pf->owned, start, start + a.npages - 1, PALLOC_OWNED,
				GFP_KERNEL_ACCOUNT);
	if (!ret)
		pf->owned_pages += a.npages;
	mutex_unlock(&pf->lock);
	if (ret)
		goto out_free;
	return 0;

out_free:
	/* Never published: nobody else can have freed or mapped it. */
	WARN_ON_ONCE(palloc_heap_free(pd->heap, start, a.npages));
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

	mutex_lock(&pf->lock);
	if (!palloc_owns(pf, start, f.npages)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (palloc_mapped(pf, start, f.npages)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Disown first: it is the step that can fail (splitting a range). */
	ret = mtree_store_range(&pf->owned, start, start + f.npages - 1, NULL, GFP_KERNEL);
	if (ret)
		goto out_unlock;
	pf->owned_pages -= f.npages;
	WARN_ON_ONCE(palloc_heap_free(pf->pd->heap, start, f.npages));
out_unlock:
	mutex_unlock(&pf->lock);
out_refused:
	if (ret)
		atomic64_inc(&pf->pd->free_refused);
	return ret;
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
	/* The pages are released either way; only the report is lost. */
	return copy_to_user(uarg, &s, sizeof(s)) ? -EFAULT : 0;
}

static int palloc_ioctl_stats(struct palloc_file *pf, void __user *uarg)
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
	mutex_lock(&pf->lock);
	u.owned_pages = pf->owned_pages;
	mutex_unlock(&pf->lock);
	return copy_to_user(uarg, &u, sizeof(u)) ? -EFAULT : 0;
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
		return palloc_ioctl_stats(pf, uarg);
	default:
		return -ENOTTY;
	}
}

static void palloc_vm_open(struct vm_area_struct *vma)
{
	struct palloc_map *m = vma->vm_private_data;

	refcount_inc(&m->refs);
}

static void palloc_vm_close(struct vm_area_struct *vma)
{
	struct palloc_map *m = vma->vm_private_data;
	struct palloc_file *pf = m->pf;

	mutex_lock(&pf->lock);
	if (refcount_dec_and_test(&m->refs)) {
		list_del(&m->node);
		kfree(m);
	}
	mutex_unlock(&pf->lock);
}

/*
 * Map one page of the run.  The pages stay owned while any VMA of the
 * mapping exists (FREE is refused), so the pfn is always the file's.
 */
static vm_fault_t palloc_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct palloc_map *m = vma->vm_private_data;
	struct palloc_dev *pd = m->pf->pd;

	if (vmf->pgoff < m->start || vmf->pgoff - m->start >= m->npages)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vma, vmf->address, PHYS_PFN(pd->backing.base) + vmf->pgoff);
}

static const struct vm_operations_struct palloc_vm_ops = {
	.open = palloc_vm_open,
	.close = palloc_vm_close,
	.fault = palloc_vm_fault,
};

static int palloc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct palloc_file *pf = file->private_data;
	struct palloc_dev *pd = pf->pd;
	u64 npages = vma_pages(vma), start = vma->vm_pgoff;
	struct palloc_map *m;
	int ret;

	/*
	 * A private COW copy of device pages means nothing.  VM_MAYSHARE, not
	 * VM_SHARED: MAP_SHARED of an O_RDONLY file clears VM_SHARED.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (!palloc_pages_ok(pd, start, npages))
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;

	mutex_lock(&pf->lock);
	if (!palloc_owns(pf, start, npages)) {
		ret = -EACCES;
		goto out_unlock;
	}
	vma->vm_flags |= VM_PFNMAP | VM_IO | VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP;
	m->pf = pf;
	m->start = start;
	m->npages = npages;
	refcount_set(&m->refs, 1);
	list_add(&m->node, &pf->maps);
	vma->vm_private_data = m;
	vma->vm_ops = &palloc_vm_ops;
	mutex_unlock(&pf->lock);
	return 0;

out_unlock:
	mutex_unlock(&pf->lock);
	kfree(m);
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
	INIT_LIST_HEAD(&pf->maps);
	file->private_data = pf;
	return 0;
}

/* Owned ranges release() frees per pass over the tree. */
#define PALLOC_RELEASE_BATCH	16

/*
 * Everything the file still owns goes back to the heap (dirty).  The tree
 * is read PALLOC_RELEASE_BATCH ranges at a time under its lock; the heap
 * frees and the erases happen outside it, with a reschedule per batch, so
 * a file holding 100,000 runs keeps no lock for long.
 */
static int palloc_release(struct inode *inode, struct file *file)
{
	struct palloc_file *pf = file->private_data;
	unsigned long start[PALLOC_RELEASE_BATCH], last[PALLOC_RELEASE_BATCH];
	unsigned int n, k;
	void *entry;

	/* Mappings hold the file: none is left when release() runs. */
	WARN_ON_ONCE(!list_empty(&pf->maps));
	do {
		MA_STATE(mas, &pf->owned, 0, 0);

		n = 0;
		mas_lock(&mas);
		mas_for_each(&mas, entry, ULONG_MAX) {
			start[n] = mas.index;
			last[n] = mas.last;
			if (++n == PALLOC_RELEASE_BATCH)
				break;
		}
		mas_unlock(&mas);
		for (k = 0; k < n; k++) {
			WARN_ON_ONCE(palloc_heap_free(pf->pd->heap, start[k],
						      last[k] - start[k] + 1));
			mtree_erase(&pf->owned, start[k]);
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
