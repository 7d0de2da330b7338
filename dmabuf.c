// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits dma-bufs: a run exported as a dma-buf, and the dma-heap node.
 *
 * Modelled on the cma_heap and udmabuf drivers of Linux 6.1
 * (drivers/dma-buf/): the dma-buf holds a reference to its run and drops it in
 * release(); the dma-buf's file is held by every fd, mmap() and importer,
 * so the run outlives all of them.  Each attachment gets its own
 * scatterlist, one segment per 2 GiB of the run (the run is contiguous).
 *
 * Importers get DMA addresses in one of two ways, decided once at load:
 *  - every page of the range has a struct page (grabbed RAM, or a memmap=
 *    range inside a memory section the kernel has a memory map for): the
 *    segments carry their pages and are mapped with dma_map_sgtable(), so
 *    swiotlb bouncing, IOMMUs and cache maintenance work as for any memory;
 *  - otherwise (a reserved range whose sections have no memory map): the
 *    segments carry no page and dma_map_resource() maps them, as amdgpu
 *    maps VRAM for its importers.  Importers that need sg_page() refuse
 *    such a buffer; the next step (struct pages through memremap_pages())
 *    removes the case.
 *
 * The dma-heap node: Linux 6.1 does not export dma_heap_add(), and
 * Debian's kernel has no dma-heaps at all, so /dev/dma_heap/NAME is a misc
 * device of ours that speaks the same DMA_HEAP_IOCTL_ALLOC.
 *
 * Lock order: palloc_file.lock -> palloc_run.lock; dma_resv locks of the
 * dma-buf core are taken outside ours.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/dma-heap.h>

#include "palloc_dev.h"
#include "uapi/pallocbits.h"

MODULE_IMPORT_NS(DMA_BUF);

/* The longest scatterlist segment (its length is an unsigned int). */
#define PALLOC_SEG_MAX	SZ_2G

static int palloc_dmabuf_attach(struct dma_buf *dmabuf, struct dma_buf_attachment *attachment)
{
	struct palloc_run *run = dmabuf->priv;
	u64 len = run->npages << PAGE_SHIFT, off = 0;
	struct palloc_attach *a;
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	ret = sg_alloc_table(&a->sgt, DIV_ROUND_UP_ULL(len, PALLOC_SEG_MAX), GFP_KERNEL);
	if (ret) {
		kfree(a);
		return ret;
	}
	for_each_sgtable_sg(&a->sgt, sg, i) {
		unsigned int seg = min_t(u64, len - off, PALLOC_SEG_MAX);

		if (run->pd->has_pages)
			sg_set_page(sg, pfn_to_page(PHYS_PFN(palloc_run_phys(run) + off)), seg, 0);
		else
			sg->length = seg;	/* no page: DMA address only */
		off += seg;
	}
	a->dev = attachment->dev;
	attachment->priv = a;
	mutex_lock(&run->lock);
	list_add(&a->node, &run->attachments);
	mutex_unlock(&run->lock);
	return 0;
}

static void palloc_dmabuf_detach(struct dma_buf *dmabuf, struct dma_buf_attachment *attachment)
{
	struct palloc_run *run = dmabuf->priv;
	struct palloc_attach *a = attachment->priv;

	mutex_lock(&run->lock);
	list_del(&a->node);
	mutex_unlock(&run->lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

static void palloc_unmap_resource(struct palloc_attach *a, unsigned int n,
				  enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_sg(&a->sgt, sg, i) {
		if (i == n)
			break;
		dma_unmap_resource(a->dev, sg_dma_address(sg), sg_dma_len(sg), dir, 0);
	}
}

static struct sg_table *palloc_dmabuf_map(struct dma_buf_attachment *attachment,
					  enum dma_data_direction dir)
{
	struct palloc_run *run = attachment->dmabuf->priv;
	struct palloc_attach *a = attachment->priv;
	phys_addr_t phys = palloc_run_phys(run);
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	if (run->pd->has_pages) {
		ret = dma_map_sgtable(a->dev, &a->sgt, dir, 0);
		if (ret)
			return ERR_PTR(ret);
	} else {
		for_each_sgtable_sg(&a->sgt, sg, i) {
			dma_addr_t addr = dma_map_resource(a->dev, phys, sg->length, dir, 0);

			if (dma_mapping_error(a->dev, addr)) {
				palloc_unmap_resource(a, i, dir);
				return ERR_PTR(-ENOMEM);
			}
			sg_dma_address(sg) = addr;
			sg_dma_len(sg) = sg->length;
			phys += sg->length;
		}
		a->sgt.nents = a->sgt.orig_nents;
	}
	mutex_lock(&run->lock);
	a->dir = dir;
	a->mapped = true;
	mutex_unlock(&run->lock);
	return &a->sgt;
}

static void palloc_dmabuf_unmap(struct dma_buf_attachment *attachment, struct sg_table *sgt,
				enum dma_data_direction dir)
{
	struct palloc_run *run = attachment->dmabuf->priv;
	struct palloc_attach *a = attachment->priv;

	mutex_lock(&run->lock);
	a->mapped = false;
	mutex_unlock(&run->lock);
	if (run->pd->has_pages)
		dma_unmap_sgtable(a->dev, sgt, dir, 0);
	else
		palloc_unmap_resource(a, sgt->orig_nents, dir);
}

/* Make the importers' writes visible to the CPU, or the CPU's to them. */
static void palloc_dmabuf_sync(struct palloc_run *run, enum dma_data_direction dir, bool for_cpu)
{
	struct palloc_attach *a;
	struct scatterlist *sg;
	unsigned int i;

	lockdep_assert_held(&run->lock);
	list_for_each_entry(a, &run->attachments, node) {
		if (!a->mapped)
			continue;
		if (run->pd->has_pages) {
			if (for_cpu)
				dma_sync_sgtable_for_cpu(a->dev, &a->sgt, dir);
			else
				dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
			continue;
		}
		for_each_sgtable_dma_sg(&a->sgt, sg, i) {
			if (for_cpu)
				dma_sync_single_for_cpu(a->dev, sg_dma_address(sg),
							sg_dma_len(sg), dir);
			else
				dma_sync_single_for_device(a->dev, sg_dma_address(sg),
							   sg_dma_len(sg), dir);
		}
	}
}

static int palloc_dmabuf_begin_cpu_access(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	struct palloc_run *run = dmabuf->priv;

	mutex_lock(&run->lock);
	if (run->vmaps)
		invalidate_kernel_vmap_range(palloc_run_va(run), run->npages << PAGE_SHIFT);
	palloc_dmabuf_sync(run, dir, true);
	mutex_unlock(&run->lock);
	return 0;
}

static int palloc_dmabuf_end_cpu_access(struct dma_buf *dmabuf, enum dma_data_direction dir)
{
	struct palloc_run *run = dmabuf->priv;

	mutex_lock(&run->lock);
	if (run->vmaps)
		flush_kernel_vmap_range(palloc_run_va(run), run->npages << PAGE_SHIFT);
	palloc_dmabuf_sync(run, dir, false);
	mutex_unlock(&run->lock);
	return 0;
}

static int palloc_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	return palloc_run_mmap(dmabuf->priv, vma);
}

/*
 * The kernel's own mapping of the range is permanent (the direct map, or
 * the reserved range's memremap()), with the run's cache type: hand it out.
 */
static int palloc_dmabuf_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct palloc_run *run = dmabuf->priv;

	mutex_lock(&run->lock);
	run->vmaps++;
	mutex_unlock(&run->lock);
	iosys_map_set_vaddr(map, palloc_run_va(run));
	return 0;
}

static void palloc_dmabuf_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct palloc_run *run = dmabuf->priv;

	mutex_lock(&run->lock);
	run->vmaps--;
	mutex_unlock(&run->lock);
	iosys_map_clear(map);
}

/* The dma-buf's file is gone: no fd, mapping or importer is left. */
static void palloc_dmabuf_release(struct dma_buf *dmabuf)
{
	struct palloc_run *run = dmabuf->priv;

	mutex_lock(&run->lock);
	run->dmabuf = NULL;
	mutex_unlock(&run->lock);
	atomic64_dec(&run->pd->nexported);
	palloc_run_put(run);
}

static const struct dma_buf_ops palloc_dmabuf_ops = {
	.attach = palloc_dmabuf_attach,
	.detach = palloc_dmabuf_detach,
	.map_dma_buf = palloc_dmabuf_map,
	.unmap_dma_buf = palloc_dmabuf_unmap,
	.begin_cpu_access = palloc_dmabuf_begin_cpu_access,
	.end_cpu_access = palloc_dmabuf_end_cpu_access,
	.mmap = palloc_dmabuf_mmap,
	.vmap = palloc_dmabuf_vmap,
	.vunmap = palloc_dmabuf_vunmap,
	.release = palloc_dmabuf_release,
};

/**
 * palloc_run_export() - make the dma-buf of a run
 * @run: the run; the dma-buf takes a reference of its own
 * @fd_flags: O_ACCMODE bits for the dma-buf's file (O_CLOEXEC is the fd's)
 *
 * The caller makes sure no other export of @run runs at the same time
 * (the owning file's lock, or a run nobody else can reach yet), installs
 * the file in an fd last, and drops the dma-buf with dma_buf_put() if it
 * cannot.
 *
 * Context: Process context, may sleep.
 * Return: the dma-buf, ERR_PTR(-EBUSY) if the run has one already, or
 * another ERR_PTR() from dma_buf_export().
 */
struct dma_buf *palloc_run_export(struct palloc_run *run, unsigned int fd_flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;

	exp_info.ops = &palloc_dmabuf_ops;
	exp_info.size = run->npages << PAGE_SHIFT;
	exp_info.flags = fd_flags & O_ACCMODE;
	exp_info.priv = run;

	mutex_lock(&run->lock);
	if (run->dmabuf) {
		dmabuf = ERR_PTR(-EBUSY);
		goto out_unlock;
	}
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf))
		goto out_unlock;
	/* Before anyone can reach the dma-buf (and so release it). */
	kref_get(&run->ref);
	run->dmabuf = dmabuf;
	atomic64_inc(&run->pd->nexported);
out_unlock:
	mutex_unlock(&run->lock);
	return dmabuf;
}

/**
 * palloc_dmabuf_publish() - hand a new dma-buf to userspace, last
 * @dmabuf: the dma-buf, which nothing else can reach yet; dropped on error
 * @fd_flags: O_CLOEXEC for the new fd
 * @uarg: where the caller's structure goes
 * @karg: the structure (@size bytes), copied out with the fd number in it
 * @size: its size
 * @fdp: its fd field
 * @fd_size: the size of that field (4 or 8 bytes)
 *
 * The fd number is reserved and copied out before the file is installed
 * in it, so nothing can fail once userspace can reach the dma-buf.
 *
 * Context: Process context, may sleep.
 * Return: 0, -EMFILE (no fd) or -EFAULT.
 */
int palloc_dmabuf_publish(struct dma_buf *dmabuf, unsigned int fd_flags, void __user *uarg,
			  void *karg, size_t size, void *fdp, size_t fd_size)
{
	int fd = get_unused_fd_flags(fd_flags & O_CLOEXEC);

	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	if (fd_size == sizeof(u32))
		*(u32 *)fdp = fd;
	else
		*(u64 *)fdp = fd;
	if (copy_to_user(uarg, karg, size)) {
		put_unused_fd(fd);
		dma_buf_put(dmabuf);
		return -EFAULT;
	}
	fd_install(fd, dmabuf->file);
	return 0;
}

/* Runs of a dma-heap this long or longer start 2 MiB aligned. */
#define PALLOC_HEAP_ALIGN	(SZ_2M >> PAGE_SHIFT)

static long palloc_heap_ioctl_alloc(struct palloc_dev *pd, void __user *uarg)
{
	struct dma_heap_allocation_data data;
	struct palloc_run *run;
	struct dma_buf *dmabuf;
	u64 npages, scav;
	int ret;

	if (copy_from_user(&data, uarg, sizeof(data)))
		return -EFAULT;
	if (data.fd || data.fd_flags & ~DMA_HEAP_VALID_FD_FLAGS ||
	    (data.fd_flags & O_ACCMODE) == O_ACCMODE ||
	    data.heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return -EINVAL;
	npages = DIV_ROUND_UP_ULL(data.len, PAGE_SIZE);
	if (!npages || npages > pd->backing.npages)
		return -EINVAL;
	ret = palloc_run_create(pd, npages, npages >= PALLOC_HEAP_ALIGN ? PALLOC_HEAP_ALIGN : 1,
				0, &run, &scav);
	if (ret)
		return ret;
	dmabuf = palloc_run_export(run, data.fd_flags);
	/* The dma-buf holds the run now, or nothing does. */
	palloc_run_put(run);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	return palloc_dmabuf_publish(dmabuf, data.fd_flags, uarg, &data, sizeof(data), &data.fd,
				     sizeof(data.fd));
}

static long palloc_heap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	/* misc_open() left the miscdevice in private_data. */
	struct palloc_dev *pd = container_of(file->private_data, struct palloc_dev, heap_misc);

	if (cmd != DMA_HEAP_IOCTL_ALLOC)
		return -ENOTTY;
	return palloc_heap_ioctl_alloc(pd, (void __user *)arg);
}

static const struct file_operations palloc_heap_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = palloc_heap_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Is /sys/class/dma_heap/NAME or /dev/dma_heap/NAME there already? */
static bool palloc_heap_name_taken(const char *name)
{
	static const char * const dirs[] = { "/sys/class/dma_heap", "/dev/dma_heap" };
	struct path path;
	unsigned int i;
	bool taken = false;
	char *p;

	for (i = 0; i < ARRAY_SIZE(dirs) && !taken; i++) {
		p = kasprintf(GFP_KERNEL, "%s/%s", dirs[i], name);
		if (!p)
			return true;
		if (!kern_path(p, 0, &path)) {
			path_put(&path);
			taken = true;
		}
		kfree(p);
	}
	return taken;
}

/* A file name of 1..63 printable characters, not "." or "..". */
static bool palloc_heap_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > 63 || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || !isgraph(name[i]))
			return false;
	return true;
}

/**
 * palloc_heap_node_register() - create /dev/dma_heap/@name
 * @pd: the device, ready to hand out runs
 * @name: the heap's name
 *
 * Context: Process context, may sleep.
 * Return: 0; -EINVAL for a name that cannot be a file name; -EEXIST when a
 * dma-heap (or any node) of that name exists; -ENOMEM; or the errno of
 * misc_register().
 */
int palloc_heap_node_register(struct palloc_dev *pd, const char *name)
{
	int ret;

	if (!palloc_heap_name_ok(name)) {
		pr_err("heap_name \"%s\": 1..63 printable characters, no '/', not . or ..\n", name);
		return -EINVAL;
	}
	if (palloc_heap_name_taken(name)) {
		pr_err("heap_name \"%s\" is taken: /dev/dma_heap/%s exists\n", name, name);
		return -EEXIST;
	}
	pd->heap_nodename = kasprintf(GFP_KERNEL, "dma_heap/%s", name);
	if (!pd->heap_nodename)
		return -ENOMEM;
	pd->heap_misc = (struct miscdevice){
		.minor = MISC_DYNAMIC_MINOR,
		.name = KBUILD_MODNAME "_heap",
		.nodename = pd->heap_nodename,
		.fops = &palloc_heap_fops,
		.mode = 0600,
	};
	ret = misc_register(&pd->heap_misc);
	if (ret) {
		kfree(pd->heap_nodename);
		pd->heap_nodename = NULL;
	}
	return ret;
}

/**
 * palloc_heap_node_unregister() - remove /dev/dma_heap/NAME
 * @pd: the device
 *
 * Context: Process context, may sleep.
 */
void palloc_heap_node_unregister(struct palloc_dev *pd)
{
	misc_deregister(&pd->heap_misc);
	kfree(pd->heap_nodename);
	pd->heap_nodename = NULL;
}
