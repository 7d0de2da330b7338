/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* pallocbits userspace ABI: /dev/pallocbits. */

/**
 * DOC: Overview
 *
 * The device hands out runs of physically contiguous pages from one range
 * of physical memory.  Every run belongs to the open file that allocated
 * it: only that file can free, map or export it, and the file lets go of
 * everything it still owns when it is released (close, exit, SIGKILL).  A
 * run goes back to the allocator when nothing holds it any more: no file,
 * no mapping, no dma-buf.  Pages handed out never carry a previous owner's
 * data.
 *
 * Runs are named by their byte offset in the range; mmap() a run with that
 * offset, MAP_SHARED.  mmap() fails with EACCES when a page of the mapping
 * is not owned by the file, with EINVAL for MAP_PRIVATE (a copy-on-write
 * copy of device pages means nothing) or a mapping past the range's end.
 * A run is one refcounted object: the file's record, every mapping of it
 * and its dma-buf (PALLOC_IOC_EXPORT) each hold it, and its pages go back
 * to the allocator only when the last holder lets go.  PALLOC_IOC_FREE of
 * a whole run drops the file's hold, even while the run is mapped; FREE of
 * a part of a mapped or exported run fails with EBUSY.  A mapping holds
 * every run it was created over until all of it is unmapped (a partial
 * munmap() frees nothing).  Mappings may be split (munmap() or mprotect()
 * of a part) and moved (mremap()), not grown.  When a FREE range is both
 * partly unowned and mapped, EINVAL wins.  Mappings are not inherited
 * across fork().
 *
 * The open mode decides only what mappings may do: a file opened O_RDONLY
 * may use every ioctl, and maps its runs with PROT_READ and MAP_SHARED; a
 * writable shared mapping of it (or mprotect() to PROT_WRITE) fails with
 * EACCES.  Whether PALLOC_IOC_ALLOC reports physical addresses is decided
 * once, when the file is opened: by CAP_SYS_ADMIN of the opener.
 *
 * A run becomes the file's only when PALLOC_IOC_ALLOC succeeds: until
 * then no thread can map or free it, and a failed ALLOC (for example
 * EFAULT copying the result out) leaves nothing allocated.
 *
 * Every structure has only __u64 fields, no implicit padding, and reserved
 * fields that must be zero; unknown flag bits are refused with EINVAL, so
 * that both can gain meaning later.  Unknown commands fail with ENOTTY.
 * Discover the ABI with PALLOC_IOC_INFO.
 */
#ifndef _UAPI_LINUX_PALLOCBITS_H
#define _UAPI_LINUX_PALLOCBITS_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 2: runs are refcounted objects; FREE of a whole run that is mapped or
 * exported drops the file's reference instead of failing with EBUSY;
 * PALLOC_IOC_EXPORT; PALLOC_ALLOC_WC; STATS runs, runs_exported, pages_held.
 */
/*
 * 3: mapped runs are made of struct pages where the kernel allows it (GUP:
 * O_DIRECT, io_uring, vmsplice, process_vm_readv work on them); 2 MiB
 * aligned parts of a reserved range map with PMDs; pages a pin still holds
 * after their run is freed are quarantined; INFO features and
 * memmap_bytes; STATS grew (pages_quarantined, quarantined, faults_pte,
 * faults_pmd): PALLOC_IOC_STATS has a new number, and the ABI 2 number
 * still returns the ABI 2 structure.
 */
#define PALLOC_ABI_VERSION	3
#define PALLOC_IOC_MAGIC	0xB8

/* How the physical range was obtained (palloc_ioc_info.mode, palloc_ioc_stats.mode). */
#define PALLOC_MODE_RESERVED	1	/* given by the base/size parameters */
#define PALLOC_MODE_GRABBED	2	/* taken from the kernel's free memory */

/* palloc_ioc_alloc.flags */
/* Zero every page, even pages already known to be zero. */
#define PALLOC_ALLOC_ZERO	_BITULL(0)
/*
 * Write-combining: every mapping of the run (mmap() of the device or of its
 * dma-buf, and the kernel's own) is write-combined, not write-back, for
 * the run's whole life.  Grabbed mode only (EOPNOTSUPP in reserved mode).
 */
#define PALLOC_ALLOC_WC		_BITULL(1)
#define PALLOC_ALLOC_FLAGS	(PALLOC_ALLOC_ZERO | PALLOC_ALLOC_WC)

/*
 * palloc_ioc_export.fd_flags: the open flags of the new dma-buf file.  As in
 * <linux/dma-heap.h>, O_ACCMODE and O_CLOEXEC come from the includer: <fcntl.h>
 * in userspace (<linux/fcntl.h> would clash with it: struct flock twice).
 */
#define PALLOC_EXPORT_FD_FLAGS	(O_ACCMODE | O_CLOEXEC)

/* palloc_ioc_info.features */
/*
 * Mappings are made of struct pages: get_user_pages() works on them, so
 * O_DIRECT, io_uring reads and writes, vmsplice() and process_vm_readv()
 * can use mapped runs (PFN mappings otherwise: those fail with EFAULT).
 */
#define PALLOC_FEATURE_PAGES	_BITULL(0)
/* 2 MiB aligned parts of a mapping use 2 MiB page-table entries (PMDs). */
#define PALLOC_FEATURE_HUGE	_BITULL(1)
/*
 * An elastic pool (grabbed mode, min_size below size): idle scavenged
 * 2 MiB chunks go back to the kernel (STATS @pages_returned), and an
 * allocation that finds no room takes them back (@pages_grown).
 */
#define PALLOC_FEATURE_ELASTIC	_BITULL(2)

/* palloc_ioc_scavenge.flags */
/* Also release free pages of nearly full (dense) chunks. */
#define PALLOC_SCAVENGE_FORCE	_BITULL(0)
#define PALLOC_SCAVENGE_FLAGS	PALLOC_SCAVENGE_FORCE

/**
 * struct palloc_ioc_info - what this device offers
 * @abi_version: PALLOC_ABI_VERSION of the running module
 * @page_size: bytes per page
 * @npages: pages in the range
 * @mode: PALLOC_MODE_RESERVED or PALLOC_MODE_GRABBED
 * @alloc_flags: the palloc_ioc_alloc.flags bits the module knows
 * @scavenge_flags: the palloc_ioc_scavenge.flags bits the module knows
 * @features: PALLOC_FEATURE_* bits (ABI 3; zero before)
 * @memmap_bytes: bytes of struct page describing the range: the kernel
 *	memory its page structures cost, sizeof(struct page) (64 bytes) per
 *	4 KiB page, 1.6 %; 0 when mappings are made without struct pages
 *	(ABI 3; zero before)
 */
struct palloc_ioc_info {
	__u64 abi_version;
	__u64 page_size;
	__u64 npages;
	__u64 mode;
	__u64 alloc_flags;
	__u64 scavenge_flags;
	__u64 features;
	__u64 memmap_bytes;
};

/**
 * struct palloc_ioc_alloc - allocate a run of contiguous pages
 * @npages: (in) pages wanted, >= 1
 * @align: (in) alignment of the run's start in pages, a power of two;
 *	0 or 1 = none.  512 aligns to 2 MiB (with 4 KiB pages).
 * @flags: (in) PALLOC_ALLOC_* bits
 * @offset: (out) byte offset of the run in the range: the mmap() offset and
 *	the name to free it by
 * @scavenged: (out) pages of the run that were known to be zero already
 * @phys: (out) physical address of the run for CAP_SYS_ADMIN, else 0
 * @reserved: (in) zero
 */
struct palloc_ioc_alloc {
	__u64 npages;
	__u64 align;
	__u64 flags;
	__u64 offset;
	__u64 scavenged;
	__u64 phys;
	__u64 reserved[2];
};

/**
 * struct palloc_ioc_free - free pages this file owns
 * @offset: (in) byte offset of the first page, page aligned
 * @npages: (in) pages to free, >= 1; any run or part of runs the file owns
 * @flags: (in) zero
 * @reserved: (in) zero
 */
struct palloc_ioc_free {
	__u64 offset;
	__u64 npages;
	__u64 flags;
	__u64 reserved;
};

/**
 * struct palloc_ioc_scavenge - release free pages now
 * @npages: (in) pages to release at most, >= 1 (a whole free 2 MiB chunk
 *	may go beyond it, to keep a huge page whole)
 * @flags: (in) PALLOC_SCAVENGE_* bits
 * @released: (out) pages released
 * @reserved: (in) zero
 */
struct palloc_ioc_scavenge {
	__u64 npages;
	__u64 flags;
	__u64 released;
	__u64 reserved;
};

/**
 * struct palloc_ioc_stats - the allocator's counters
 * @npages: pages in the range
 * @mode: PALLOC_MODE_*
 * @pages_inuse: pages allocated by all files
 * @pages_free: free pages in the allocator's bitmaps
 * @pages_scavenged: free pages known to be zero
 * @pages_cached: free pages held by per-CPU caches
 * @pages_scavenging: pages being released right now
 * @largest_free: longest run of free pages in the bitmaps
 * @allocs: successful allocations, ever
 * @frees: successful frees, ever
 * @alloc_failures: allocations that found no room
 * @free_errors: PALLOC_IOC_FREE requests refused, whatever the error
 * @pages_released: pages released by scavenging, ever
 * @scavenge_runs: scavenging passes, ever
 * @owned_pages: pages this file owns
 * @runs: live runs, all files (a run lives while anyone holds it)
 * @runs_exported: runs with a live dma-buf (PALLOC_IOC_EXPORT or the
 *	dma-heap node)
 * @pages_held: pages of runs that no file owns any more but that are still
 *	held: by a mapping, a dma-buf or an importer
 * @pages_quarantined: pages of runs nobody holds any more that a pin
 *	(O_DIRECT in flight, a pipe buffer from vmsplice(), an RDMA
 *	registration, ...) still references: they go back to the allocator,
 *	to be zeroed, when the last pin goes (ABI 3)
 * @quarantined: ranges of such pages (ABI 3)
 * @faults_pte: 4 KiB page-table entries made by faults, ever (ABI 3)
 * @faults_pmd: 2 MiB page-table entries made by faults, ever (ABI 3)
 * @pages_present: pages of the range the pool holds now (@npages unless
 *	elastic)
 * @pages_returned: pages an elastic pool gave back to the kernel, ever
 * @pages_grown: pages it took back from the kernel for allocations, ever
 * @grow_attempts: windows of given-back chunks allocations tried to take
 *	back
 * @grow_failures: those the kernel could not give back (unmovable pages)
 * @reserved: zero
 */
struct palloc_ioc_stats {
	__u64 npages;
	__u64 mode;
	__u64 pages_inuse;
	__u64 pages_free;
	__u64 pages_scavenged;
	__u64 pages_cached;
	__u64 pages_scavenging;
	__u64 largest_free;
	__u64 allocs;
	__u64 frees;
	__u64 alloc_failures;
	__u64 free_errors;
	__u64 pages_released;
	__u64 scavenge_runs;
	__u64 owned_pages;
	__u64 runs;
	__u64 runs_exported;
	__u64 pages_held;
	__u64 pages_quarantined;
	__u64 quarantined;
	__u64 faults_pte;
	__u64 faults_pmd;
	__u64 pages_present;
	__u64 pages_returned;
	__u64 pages_grown;
	__u64 grow_attempts;
	__u64 grow_failures;
	__u64 reserved[3];
};

/* The ABI 2 size of struct palloc_ioc_stats: its first 20 fields. */
#define PALLOC_STATS_V2_SIZE	(20 * sizeof(__u64))

/**
 * struct palloc_ioc_export - a dma-buf of a run this file owns
 * @offset: (in) byte offset of the run, as PALLOC_IOC_ALLOC returned it
 * @npages: (in) pages of the run: the whole run, as allocated
 * @fd_flags: (in) PALLOC_EXPORT_FD_FLAGS bits: O_RDONLY, O_WRONLY or
 *	O_RDWR, and O_CLOEXEC (as &struct dma_heap_allocation_data.fd_flags)
 * @flags: (in) zero
 * @fd: (out) the dma-buf's file descriptor
 * @reserved: (in) zero
 */
struct palloc_ioc_export {
	__u64 offset;
	__u64 npages;
	__u64 fd_flags;
	__u64 flags;
	__u64 fd;
	__u64 reserved[3];
};

/**
 * DOC: PALLOC_IOC_INFO
 *
 * Describe the device: fills &struct palloc_ioc_info.
 *
 * Context: Process context.
 * Return: 0, or -1 with errno EFAULT (bad pointer).
 */
#define PALLOC_IOC_INFO		_IOR(PALLOC_IOC_MAGIC, 0x00, struct palloc_ioc_info)

/**
 * DOC: PALLOC_IOC_ALLOC
 *
 * Allocate @npages contiguous pages, first fit, owned by this open file.
 * The pages read as zero.  The run is one object from now on: FREE,
 * mmap() and PALLOC_IOC_EXPORT name it by its offset.
 *
 * Context: Process context; may sleep while pages are zeroed, and while
 * free pages are briefly held by the background scavenger.
 * Return: 0, or -1 with errno
 *  * EINVAL - @npages is 0 or larger than the range, @align is not a power
 *    of two or larger than the range, unknown @flags, or @reserved not zero;
 *  * EOPNOTSUPP - PALLOC_ALLOC_WC in reserved mode: the kernel keeps one
 *    write-back mapping of the whole range (for zeroing), and x86's PAT
 *    allows no second, different cache type for the same memory;
 *  * ENOMEM - no free run fits (free pages held in per-CPU caches or by the
 *    scavenger count as free), or no memory for bookkeeping;
 *  * EINTR - a fatal signal arrived (the caller is being killed);
 *  * EFAULT - bad pointer.
 *  Nothing is allocated on error.
 */
#define PALLOC_IOC_ALLOC	_IOWR(PALLOC_IOC_MAGIC, 0x01, struct palloc_ioc_alloc)

/**
 * DOC: PALLOC_IOC_FREE
 *
 * Drop this file's hold on pages it owns: a run, a part of one, or adjacent
 * runs.  The file no longer owns them (it cannot map or export them again).
 * A run goes back to the allocator when its last holder lets go: the file,
 * each mapping of it (through the device or its dma-buf), its dma-buf's
 * file descriptors and the importers attached to it.  So FREE of a whole
 * run that is still mapped or exported succeeds and frees nothing yet: the
 * mapping keeps working, the dma-buf stays valid, and STATS counts the run
 * in @pages_held until the last holder is gone.  A part of a run can only
 * be freed while the file is the run's only holder.  Pages a pin still
 * references when the last holder goes (O_DIRECT in flight, a pipe buffer
 * from vmsplice(), a driver's get_user_pages()) are quarantined: counted in
 * STATS @pages_quarantined, listed in debugfs "runs", and back in the
 * allocator, to be zeroed, when the pin goes.
 *
 * Context: Process context.
 * Return: 0, or -1 with errno
 *  * EINVAL - @npages is 0, @offset is not page aligned, the range
 *    overflows or leaves the device, a page is not owned by this file,
 *    @flags or @reserved not zero;
 *  * EBUSY - the range covers only a part of a run that is mapped or
 *    exported;
 *  * ENOMEM - no memory to split the ownership record;
 *  * EFAULT - bad pointer.
 *  Nothing changes on error.
 */
#define PALLOC_IOC_FREE		_IOW(PALLOC_IOC_MAGIC, 0x02, struct palloc_ioc_free)

/**
 * DOC: PALLOC_IOC_SCAVENGE
 *
 * Release (zero) up to @npages free pages now, from the top of the range
 * down, so that later allocations need not zero them.  An elastic pool
 * (PALLOC_FEATURE_ELASTIC) then gives whole free, released 2 MiB chunks
 * back to the kernel, from the top down, while it keeps min_size bytes
 * and the scavenger's goal free (STATS @pages_returned).
 *
 * Context: Process context; may sleep.
 * Return: 0, or -1 with errno
 *  * EINVAL - @npages is 0, unknown @flags, or @reserved not zero;
 *  * EINTR - a signal arrived before the pass started;
 *  * EFAULT - bad pointer.
 *  A fatal signal ends the pass early (once per 2 MiB chunk).
 */
#define PALLOC_IOC_SCAVENGE	_IOWR(PALLOC_IOC_MAGIC, 0x03, struct palloc_ioc_scavenge)

/**
 * DOC: PALLOC_IOC_STATS
 *
 * Read the allocator's counters into &struct palloc_ioc_stats.
 *
 * Context: Process context.
 * Return: 0, or -1 with errno EFAULT (bad pointer).
 */
#define PALLOC_IOC_STATS	_IOR(PALLOC_IOC_MAGIC, 0x04, struct palloc_ioc_stats)
/* ABI 2's STATS: the first PALLOC_STATS_V2_SIZE bytes of the structure. */
#define PALLOC_IOC_STATS_V2	_IOC(_IOC_READ, PALLOC_IOC_MAGIC, 0x04, PALLOC_STATS_V2_SIZE)

/**
 * DOC: PALLOC_IOC_EXPORT
 * Make a dma-buf of a whole run this file owns, and return its file
 * descriptor in @fd.  The dma-buf holds the run: it stays allocated while
 * the dma-buf's file is open anywhere (any process it was passed to, with
 * SCM_RIGHTS for example), mapped, or attached to a device, whatever the
 * owning file does.  FREE of the run only drops the file's hold.  A run
 * has at most one dma-buf at a time; dup() its descriptor to share it.
 * Once the dma-buf is gone, the run may be exported again.
 * The dma-buf supports mmap() (MAP_SHARED only: EINVAL for MAP_PRIVATE;
 * the run's cache type), DMA_BUF_IOCTL_SYNC, and importing drivers: the
 * run is one DMA segment for each device that attaches (two or more only
 * for runs of 2 GiB and more, each segment 2 GiB but the last).
 * Context: Process context.
 * Return: 0, or -1 with errno
 *  * EINVAL - @offset and @npages do not name exactly one whole run this
 *    file owns, unknown @fd_flags bits, @flags or @reserved not zero;
 *  * EBUSY - the run has a dma-buf already;
 *  * EMFILE - no free file descriptor;
 *  * ENOMEM - no memory;
 *  * EFAULT - bad pointer.
 *  Nothing changes on error.
 */
#define PALLOC_IOC_EXPORT	_IOWR(PALLOC_IOC_MAGIC, 0x05, struct palloc_ioc_export)

/**
 * DOC: The dma-heap node
 * The module also offers the kernel's dma-heap interface, on a kernel that
 * may have no dma-heaps at all: /dev/dma_heap/NAME (NAME is the heap_name
 * module parameter, default "pallocbits"; the module refuses to load when
 * the name is taken), a character device that answers DMA_HEAP_IOCTL_ALLOC
 * of <linux/dma-heap.h> exactly as the kernel's heaps do: @len is rounded
 * up to whole pages, @fd_flags takes O_ACCMODE and O_CLOEXEC bits,
 * @heap_flags must be 0, and @fd returns a dma-buf of a contiguous run
 * (zeroed, write-back) that no /dev/pallocbits file owns: it lives as long
 * as the dma-buf.  Errors: EINVAL (bad flags, @len 0 or larger than the
 * range), ENOMEM (no free run), EMFILE, EFAULT, ENOTTY (unknown command).
 * The node is 0600 like /dev/pallocbits, and reports no physical address.
 */

/**
 * DOC: What a process sees
 *
 * A mapping is a shared mapping of the run's physical pages, each page
 * mapped on first access.  How depends on the module (INFO's @features):
 *
 *  * PALLOC_FEATURE_PAGES: the pages have struct pages (ZONE_DEVICE pages
 *    of a reserved range, the kernel's own RAM pages in grabbed mode), so
 *    what pins user pages works on a mapping as on any memory: O_DIRECT
 *    read() and write(), io_uring reads and writes (IORING_OP_READ/WRITE,
 *    with O_DIRECT too), vmsplice() into a pipe, process_vm_readv() and
 *    process_vm_writev() of another process's mapping, /proc/PID/mem and
 *    ptrace(PTRACE_PEEKDATA/POKEDATA), drivers that take a user pointer.
 *    A page pinned this way is not reused while the pin is held, even
 *    after munmap(), FREE and close(): STATS @pages_quarantined counts it,
 *    and it goes back to the allocator, to be zeroed before reuse, when the
 *    pin goes.  While any page is quarantined the module cannot be unloaded.
 *  * PALLOC_FEATURE_HUGE: besides, the 2 MiB-aligned parts of a mapping of a
 *    reserved range use 2 MiB page-table entries (one fault and one TLB
 *    entry per 2 MiB): where the run's physical address and the virtual
 *    address are congruent modulo 2 MiB, which mmap() arranges for mappings
 *    of 2 MiB or more without an address hint (MAP_FIXED and hints are
 *    honoured as given).  MADV_NOHUGEPAGE before the first access keeps a
 *    mapping at 4 KiB entries.  A dma-buf's mmap() uses 4 KiB entries.
 *  * Neither (struct_pages=0, a kernel without ZONE_DEVICE, a reserved
 *    range not 2 MiB aligned, a grabbed range in ZONE_MOVABLE): a PFN
 *    mapping (VM_IO | VM_PFNMAP).  Loads and
 *    stores work, and so does everything that makes the kernel copy to or
 *    from it (read() into it, write() from it, ioctl argument structures in
 *    it), but what pins user pages refuses it: O_DIRECT and io_uring reads
 *    and writes fail with EFAULT, nothing transferred (on a block device, a
 *    buffer that starts in ordinary memory and runs into a mapping is
 *    transferred whole, the ordinary part directly, the rest through the
 *    page cache); vmsplice() into a pipe EFAULT, nothing queued;
 *    process_vm_readv()/writev() with a mapping as the remote buffer EFAULT;
 *    /proc/PID/mem and PTRACE_PEEKDATA/POKEDATA EIO.
 *
 * Either way:
 *
 *  * io_uring fixed buffers (IORING_REGISTER_BUFFERS) in a mapping fail:
 *    EOPNOTSUPP with struct pages (6.1's io_pin_pages() pins them, then
 *    refuses file-backed memory other than shmem and hugetlbfs, device-dax
 *    included, and unpins: nothing stays pinned), EFAULT without.
 *  * Long-term pins (FOLL_LONGTERM: RDMA memory registration, VFIO) get
 *    struct pages outside ZONE_MOVABLE.  A grabbed range that landed in
 *    ZONE_MOVABLE (grab_movable=1) is mapped with PFNs: 6.1 would try
 *    forever to migrate such pages before pinning them long-term.
 *  * vmsplice() from a pipe into a mapping copies, and works.
 *  * futex() on a word in a mapping: without FUTEX_PRIVATE_FLAG, EFAULT
 *    (wait and wake: a shared futex's key needs a page of a file or of
 *    anonymous memory); private futexes work.  Process-shared mutexes,
 *    condition variables and semaphores cannot sleep on a word in a
 *    mapping: do not put them there.
 *
 * madvise() with struct pages: MADV_DONTNEED and MADV_DONTNEED_LOCKED drop
 * the page-table entries and the next access maps the same pages again
 * (nothing is lost, the mapping keeps holding its runs); MADV_COLD,
 * MADV_PAGEOUT, MADV_POPULATE_READ and MADV_POPULATE_WRITE succeed and
 * change nothing but page tables; MADV_DOFORK succeeds, and fork() then
 * gives the child the mapping too.  6.1's MADV_COLD and MADV_PAGEOUT clear
 * a 2 MiB entry as a "bad pmd" (logged by the kernel; device-dax is hit
 * the same way): the data stays and the next access maps it again, and the
 * module flushes every TLB before the mapping's runs go.  MADV_HWPOISON
 * and MADV_SOFT_OFFLINE (CAP_SYS_ADMIN) inject memory errors into pages of
 * the pool: do not.  Without struct pages: MADV_DONTNEED,
 * MADV_DONTNEED_LOCKED, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
 * MADV_POPULATE_WRITE and MADV_DOFORK fail with EINVAL, MADV_HWPOISON and
 * MADV_SOFT_OFFLINE with EFAULT.  Either way MADV_FREE and MADV_WIPEONFORK
 * fail with EINVAL, MADV_REMOVE with ENODEV, and the hints (MADV_NORMAL,
 * MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTFORK,
 * MADV_KEEPONFORK, MADV_DONTDUMP, MADV_[NO]HUGEPAGE, MADV_[UN]MERGEABLE)
 * succeed.  mlock(), munlock() and MAP_LOCKED succeed.  msync() with
 * MS_SYNC fails with EINVAL (there is nothing to write back to); MS_ASYNC
 * and MS_INVALIDATE succeed.
 *
 * fork(): the child does not get the mapping (an access at its address is
 * SIGSEGV; with PFN mappings MADV_DOFORK cannot change that), but it shares the open file:
 * it may mmap() the run itself and then sees the same pages.  Its exit, or
 * its close() of the file, frees nothing while the parent holds the file.
 *
 * mprotect() works as on any shared file mapping (PROT_EXEC is allowed;
 * PROT_NONE or PROT_READ make the denied accesses SIGSEGV).  mremap():
 * moving works and the pages stay busy; growing fails with EFAULT, even
 * over pages the file owns, and so does duplicating (old_size 0);
 * MREMAP_DONTUNMAP fails with EINVAL; shrinking works and, like a partial
 * munmap(), keeps every page of the mapping busy until all is unmapped.
 *
 * mmap(): the length is rounded up to whole pages, each of which must be
 * owned (EACCES), and all of one cache type (EINVAL for a mapping over a
 * PALLOC_ALLOC_WC run and a write-back one); an offset that is not page
 * aligned or a length of 0 is
 * EINVAL; MAP_PRIVATE and MAP_HUGETLB are EINVAL; MAP_SHARED_VALIDATE works,
 * with MAP_SYNC it is EOPNOTSUPP; PROT_EXEC, PROT_NONE and MAP_POPULATE
 * work.  A file opened O_WRONLY uses every ioctl but cannot be mapped
 * (EACCES: mmap() needs a file open for reading).
 *
 * /proc/PID/maps shows a mapping with the device's path and the run's
 * offset; smaps shows VmFlags dc (not copied on fork), de (not
 * expandable), dd (not in core dumps), and mm (mixed map: struct pages; hg
 * too with 2 MiB entries) or io and pf (PFN map).  Its Rss counts grabbed
 * RAM pages mapped; ZONE_DEVICE pages and PFNs do not count as the
 * process's memory (Rss 0 kB).  /proc/PID/pagemap shows pages with struct
 * pages as present, with their frame number for CAP_SYS_ADMIN (it matches
 * &palloc_ioc_alloc.phys); PFN mappings as not present, without a frame
 * number, even to CAP_SYS_ADMIN.
 *
 * The device file itself: read(), write(), pread(), pwrite(), fsync(),
 * ftruncate() and splice() from it fail with EINVAL, fallocate() with
 * ENODEV; lseek() succeeds and does nothing (returns 0); poll() reports it
 * always readable and writable.
 *
 * close() of the file on one thread while others are inside ioctls or
 * mmap() on it: the calls in progress complete (the file lives until they
 * return), later ones fail with EBADF, mappings already made keep working,
 * and everything the file owned is freed when the last of them lets go.
 */

#endif /* _UAPI_LINUX_PALLOCBITS_H */
