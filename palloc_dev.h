/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits device: the heap, its backing, the runs handed out, and the
 * two device nodes (/dev/pallocbits and /dev/dma_heap/NAME) together.
 */
#ifndef _PALLOC_DEV_H
#define _PALLOC_DEV_H

#include <linux/atomic.h>
#include <linux/dma-direction.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "backing.h"
#include "pagealloc.h"

struct dma_buf;
struct seq_file;
struct vfsmount;

/* How user mappings reach the range's pages (palloc_dev.map_mode; pages.c). */
enum palloc_map_mode {
	PALLOC_MAP_PFN,		/* VM_PFNMAP: no struct pages used, no GUP */
	PALLOC_MAP_RAM,		/* grabbed RAM pages, refcounted like file pages */
	PALLOC_MAP_DEVMAP,	/* ZONE_DEVICE pages of memremap_pages(), PMDs too */
};

/**
 * struct palloc_dev - the one instance of the module
 * @heap: the page allocator over the range
 * @backing: the physical range
 * @elastic: the heap hands idle chunks back to the kernel (min_size < size)
 * @has_pages: every page of the range has a struct page (pfn_valid()):
 *	importers get page-backed scatterlists, else dma_map_resource()
 * @misc: /dev/pallocbits
 * @heap_misc: /dev/dma_heap/NAME
 * @heap_nodename: "dma_heap/NAME"
 * @debugfs: /sys/kernel/debug/pallocbits
 * @map_mode: how user mappings reach the pages (&enum palloc_map_mode)
 * @huge: 2 MiB aligned parts are mapped with PMDs
 * @pgmap: the ZONE_DEVICE pages of a reserved range (PALLOC_MAP_DEVMAP)
 * @fs_mnt: the pseudo filesystem of @dax_inode
 * @dax_inode: the S_DAX inode whose mapping the device's files use
 * @faults_pte: 4 KiB entries inserted by fault handlers
 * @faults_pmd: 2 MiB entries inserted by fault handlers
 * @qlock: protects @quarantine
 * @quarantine: &struct palloc_pinned: freed pages a pin still holds
 * @qwork: frees quarantined pages once their pins are gone
 * @pages_quarantined: pages on @quarantine
 * @nquarantined: entries on @quarantine
 * @free_refused: FREE ioctls refused before reaching the heap
 * @runs_lock: protects @runs and the extent of every run on it
 * @runs: every live &struct palloc_run
 * @nruns: runs on @runs
 * @nexported: runs with a live dma-buf
 * @pages_held: pages of live runs no file owns
 */
struct palloc_dev {
	struct palloc_heap *heap;
	struct palloc_backing backing;
	bool elastic;
	bool has_pages;
	struct miscdevice misc;
	struct miscdevice heap_misc;
	char *heap_nodename;
	struct dentry *debugfs;
	enum palloc_map_mode map_mode;
	bool huge;
	struct dev_pagemap pgmap;
	struct vfsmount *fs_mnt;
	struct inode *dax_inode;
	atomic64_t faults_pte;
	atomic64_t faults_pmd;
	struct mutex qlock;	/* protects quarantine */
	struct list_head quarantine;
	struct delayed_work qwork;
	atomic64_t pages_quarantined;
	atomic64_t nquarantined;
	atomic64_t free_refused;
	struct mutex runs_lock;	/* protects runs, and each run's start/npages */
	struct list_head runs;
	atomic64_t nruns;
	atomic64_t nexported;
	atomic64_t pages_held;
};

/**
 * struct palloc_run - pages handed out together, alive while anyone holds it
 * @ref: one per holder: the owning file's record, each device mapping over
 *	it, its dma-buf (whose file in turn is held by every dma-buf fd,
 *	dma-buf mapping and importer attachment)
 * @pd: the device
 * @node: in palloc_dev.runs
 * @start: first page; changes only while the file is the only holder
 * @npages: pages; as @start
 * @wc: mapped write-combining (grabbed mode; the direct map is WC too)
 * @owned: a /dev/pallocbits file's record holds the run
 * @owner_pid: tgid of the process that allocated the run
 * @owner_comm: its command name
 * @maps: VMAs mapping the run (device or dma-buf), for debugfs
 * @lock: protects @dmabuf, @attachments and @vmaps
 * @dmabuf: the run's dma-buf while one exists (it holds a reference)
 * @attachments: &struct palloc_attach of the importers attached
 * @vmaps: kernel mappings handed out through dma_buf_vmap()
 */
struct palloc_run {
	struct kref ref;
	struct palloc_dev *pd;
	struct list_head node;
	u64 start;
	u64 npages;
	bool wc;
	bool owned;
	pid_t owner_pid;
	char owner_comm[TASK_COMM_LEN];
	atomic_t maps;
	struct mutex lock;	/* protects dmabuf, attachments, vmaps */
	struct dma_buf *dmabuf;
	struct list_head attachments;
	unsigned int vmaps;
};

/**
 * struct palloc_attach - one importer's view of a run
 * @node: in palloc_run.attachments
 * @dev: the importing device
 * @sgt: the run as DMA segments; DMA-mapped while @mapped
 * @dir: the direction it is mapped for
 * @mapped: map_dma_buf() handed @sgt out
 */
struct palloc_attach {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
};

/* The kernel's own permanent mapping of @run (direct map or memremap()). */
static inline void *palloc_run_va(const struct palloc_run *run)
{
	return run->pd->backing.va + (run->start << PAGE_SHIFT);
}

static inline phys_addr_t palloc_run_phys(const struct palloc_run *run)
{
	return run->pd->backing.base + (run->start << PAGE_SHIFT);
}

/* Bytes of struct page describing the range: 64 per 4 KiB page, 0 with PFN maps. */
static inline u64 palloc_memmap_bytes(const struct palloc_dev *pd)
{
	return pd->map_mode == PALLOC_MAP_PFN ? 0 : pd->backing.npages * sizeof(struct page);
}

int palloc_device_register(struct palloc_dev *pd);
void palloc_device_unregister(struct palloc_dev *pd);

struct dentry *palloc_debugfs_create(struct palloc_heap *h, const char *mode);
void palloc_debugfs_add_runs(struct palloc_dev *pd);
void palloc_debugfs_add_probe(struct palloc_dev *pd);

void palloc_runs_init(struct palloc_dev *pd);
int palloc_run_create(struct palloc_dev *pd, u64 npages, u64 align, u64 flags,
		      struct palloc_run **runp, u64 *scavp);
void palloc_run_put(struct palloc_run *run);
void palloc_run_own(struct palloc_run *run);
void palloc_run_disown(struct palloc_run *run);
void palloc_run_shrink(struct palloc_run *run, u64 start, u64 npages);
struct palloc_run *palloc_run_clone(struct palloc_run *run, u64 start, u64 npages);
void palloc_run_add(struct palloc_run *run);

int palloc_pages_init(struct palloc_dev *pd, bool want_pages, bool want_huge);
void palloc_pages_flush_tlbs(void);
void palloc_pages_exit(struct palloc_dev *pd);
void palloc_pages_open(struct palloc_dev *pd, struct file *file);
unsigned long palloc_pages_vm_flags(struct palloc_dev *pd);
vm_fault_t palloc_fault_pte(struct palloc_dev *pd, struct vm_fault *vmf, u64 page);
vm_fault_t palloc_fault_pmd(struct palloc_dev *pd, struct vm_fault *vmf, u64 first, u64 end);
unsigned long palloc_pages_get_unmapped_area(struct palloc_dev *pd, struct file *file,
					     unsigned long addr, unsigned long len,
					     unsigned long pgoff, unsigned long flags);
void palloc_pages_free(struct palloc_dev *pd, u64 start, u64 npages, bool wc);
u64 palloc_pages_pinned(struct palloc_dev *pd, u64 start, u64 npages);
void palloc_quarantine_work(struct work_struct *work);
void palloc_quarantine_show(struct seq_file *m, struct palloc_dev *pd);
pgprot_t palloc_run_pgprot(struct palloc_run *run, pgprot_t prot);
int palloc_run_mmap(struct palloc_run *run, struct vm_area_struct *vma);

struct dma_buf *palloc_run_export(struct palloc_run *run, unsigned int fd_flags);
int palloc_dmabuf_publish(struct dma_buf *dmabuf, unsigned int fd_flags, void __user *uarg,
			  void *karg, size_t size, void *fdp, size_t fd_size);
int palloc_heap_node_register(struct palloc_dev *pd, const char *name);
void palloc_heap_node_unregister(struct palloc_dev *pd);

#endif /* _PALLOC_DEV_H */
