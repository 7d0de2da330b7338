/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpallocbits - the userspace library of /dev/pallocbits and its dma-heap.
 *
 * Open the device, allocate physically contiguous runs, map them, export
 * them as dma-bufs, sync and free them, read the counters: one call each,
 * so that no program hand-rolls ioctl() and mmap().  Every function that
 * can fail returns 0 (or a file descriptor) on success and -errno on
 * failure; none prints, and errno is never the only report.  There is no
 * global state but a cached page size: the functions are thread-safe
 * (a struct pallocbits_buf itself is not locked: share it with care).
 *
 * Build with -I<project root> (or make -s print-user-cflags) and link
 * build/user/libpallocbits.a (make user).  See uapi/pallocbits.h for what
 * the device does, and README.md for an example.
 */
#ifndef _LIBPALLOCBITS_H
#define _LIBPALLOCBITS_H

#include <stddef.h>
#include <stdint.h>

#include "uapi/pallocbits.h"

/* DMA_BUF_SYNC_* flags for pallocbits_sync(). */
#if defined(__has_include)
#if __has_include("linux/dma-buf.h")
#include <linux/dma-buf.h>
#endif
#endif
#ifndef DMA_BUF_SYNC_READ	/* their values in <linux/dma-buf.h> */
#define DMA_BUF_SYNC_READ	0x1
#define DMA_BUF_SYNC_WRITE	0x2
#define DMA_BUF_SYNC_RW		(DMA_BUF_SYNC_READ | DMA_BUF_SYNC_WRITE)
#define DMA_BUF_SYNC_START	0x0
#define DMA_BUF_SYNC_END	0x4
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define PALLOCBITS_DEV		"/dev/pallocbits"
#define PALLOCBITS_HEAP_DIR	"/dev/dma_heap"

/**
 * struct pallocbits_buf - a run of pages allocated from /dev/pallocbits
 * @offset: byte offset of the run in the range: its mmap() offset, and its
 *	name for PALLOC_IOC_FREE and PALLOC_IOC_EXPORT
 * @npages: pages in the run
 * @phys: physical address of the run (0 unless the file was opened with
 *	CAP_SYS_ADMIN)
 * @scavenged: pages of the run that were known to be zero already
 * @len: @npages times the page size, in bytes
 * @addr: the run's mapping after pallocbits_map(), else NULL
 */
struct pallocbits_buf {
	uint64_t offset;
	uint64_t npages;
	uint64_t phys;
	uint64_t scavenged;
	size_t len;
	void *addr;
};

/**
 * pallocbits_open() - open /dev/pallocbits
 * @flags: more open(2) flags, such as O_NONBLOCK; the file is always opened
 *	O_RDWR | O_CLOEXEC (open(2) the device yourself for O_RDONLY)
 *
 * Runs belong to the open file: they are freed when its last descriptor is
 * closed, unless a mapping or a dma-buf still holds them.
 *
 * Return: the file descriptor, or -errno: -ENOENT or -ENXIO (the module is
 * not loaded), -EACCES or -EPERM (the device is 0600), -EINVAL (@flags
 * asks for O_WRONLY), or any other error of open(2).
 */
int pallocbits_open(int flags);

/**
 * pallocbits_info() - describe the device (PALLOC_IOC_INFO)
 * @fd: the device, from pallocbits_open()
 * @info: filled with the ABI version, page size, pages and mode
 *
 * Return: 0, or -errno: -EBADF, -ENOTTY (@fd is not the device), -EFAULT.
 */
int pallocbits_info(int fd, struct palloc_ioc_info *info);

/**
 * pallocbits_alloc() - allocate a run of contiguous pages (PALLOC_IOC_ALLOC)
 * @fd: the device
 * @npages: pages wanted, >= 1
 * @align: alignment of the run's start in pages, a power of two; 0 or 1 for
 *	none (512 is 2 MiB with 4 KiB pages)
 * @flags: PALLOC_ALLOC_ZERO, PALLOC_ALLOC_WC
 * @buf: filled with the run on success (@buf->addr NULL); unchanged on error
 *
 * The run is zeroed and owned by the open file @fd.
 *
 * Return: 0, or -errno: -EINVAL (@npages 0 or too large, bad @align,
 * unknown @flags, @buf NULL), -ENOMEM (no free run fits), -EOPNOTSUPP
 * (PALLOC_ALLOC_WC in reserved mode), -EOVERFLOW (the run's length does not
 * fit in size_t), -EINTR (a fatal signal).  Nothing is allocated on error.
 */
int pallocbits_alloc(int fd, uint64_t npages, uint64_t align, uint64_t flags,
		     struct pallocbits_buf *buf);

/**
 * pallocbits_map() - map a run into this process
 * @fd: the device file that owns the run
 * @buf: the run, from pallocbits_alloc(); @buf->addr is set on success
 * @prot: PROT_READ, PROT_WRITE, ... (a shared mapping, MAP_SHARED)
 *
 * The mapping holds the run until it is unmapped, even after a FREE.
 *
 * Return: 0, or -errno: -EBUSY (@buf is mapped already), -EACCES (the run
 * is not owned by @fd, or PROT_WRITE on a file opened O_RDONLY), -EINVAL
 * (@buf NULL or empty), -EOVERFLOW (@buf->offset too large for off_t),
 * -ENOMEM, or any other error of mmap(2).
 */
int pallocbits_map(int fd, struct pallocbits_buf *buf, int prot);

/**
 * pallocbits_unmap() - unmap a run mapped by pallocbits_map()
 * @buf: the run; @buf->addr is NULL afterwards
 *
 * Does nothing when @buf is not mapped.
 *
 * Return: 0, or -errno: -EINVAL (@buf NULL, or munmap(2) refused
 * @buf->addr; it is kept then).
 */
int pallocbits_unmap(struct pallocbits_buf *buf);

/**
 * pallocbits_free() - unmap and free a whole run (PALLOC_IOC_FREE)
 * @fd: the device file that owns the run
 * @buf: the run; on success @buf->npages, @buf->len and @buf->addr are
 *	zero, so that a second free fails with -EINVAL instead of freeing a
 *	later run at the same offset
 *
 * Drops the file's hold on the run: its pages go back to the allocator
 * when no mapping (of another process, or made by hand) and no dma-buf
 * holds it any more.
 *
 * Return: 0, or -errno: -EINVAL (the run is not owned by @fd, or @buf
 * NULL), -ENOMEM, or an error of pallocbits_unmap() (then nothing is
 * freed).
 */
int pallocbits_free(int fd, struct pallocbits_buf *buf);

/**
 * pallocbits_free_range() - free any range of pages @fd owns (PALLOC_IOC_FREE)
 * @fd: the device file that owns the pages
 * @offset: byte offset of the first page, page aligned
 * @npages: pages to free, >= 1: a run, a part of one, or adjacent runs
 *
 * Return: 0, or -errno: -EINVAL (@npages 0, @offset not aligned, a page
 * not owned by @fd), -EBUSY (a part of a run that is mapped or exported),
 * -ENOMEM.  Nothing changes on error.
 */
int pallocbits_free_range(int fd, uint64_t offset, uint64_t npages);

/**
 * pallocbits_export() - make a dma-buf of a run (PALLOC_IOC_EXPORT)
 * @fd: the device file that owns the run
 * @buf: the whole run, as pallocbits_alloc() returned it
 * @fd_flags: the dma-buf's open flags: O_RDONLY, O_WRONLY or O_RDWR, and
 *	O_CLOEXEC
 *
 * The dma-buf holds the run while it is open anywhere, mapped or attached
 * to a device, whatever @fd does; a run has one dma-buf at a time.
 *
 * Return: the dma-buf's file descriptor, or -errno: -EINVAL (@buf is not
 * exactly one whole run owned by @fd, unknown @fd_flags bits, @buf NULL),
 * -EBUSY (the run has a dma-buf already), -EMFILE, -ENOMEM.
 */
int pallocbits_export(int fd, const struct pallocbits_buf *buf, int fd_flags);

/**
 * pallocbits_alloc_dmabuf() - allocate a run that only a dma-buf holds
 * @fd: the device
 * @npages: pages wanted, as for pallocbits_alloc()
 * @align: alignment in pages, as for pallocbits_alloc()
 * @flags: PALLOC_ALLOC_* flags, as for pallocbits_alloc()
 * @fd_flags: the dma-buf's open flags, as for pallocbits_export()
 * @buf: if not NULL, filled with the run (@buf->addr NULL); @fd no longer
 *	owns it, so map the dma-buf (pallocbits_dmabuf_map()), not @fd
 *
 * Allocates, exports, then frees the run from @fd: the dma-buf alone holds
 * it, and its pages are freed when the dma-buf is gone.
 *
 * Return: the dma-buf's file descriptor, or -errno: an error of
 * pallocbits_alloc(), pallocbits_export() or pallocbits_free_range().
 * Nothing stays allocated on error: when the last FREE fails, the dma-buf
 * is closed and the FREE tried once more (should that fail too, the run
 * stays @fd's until @fd is closed).
 */
int pallocbits_alloc_dmabuf(int fd, uint64_t npages, uint64_t align, uint64_t flags,
			    int fd_flags, struct pallocbits_buf *buf);

/**
 * pallocbits_heap_open() - open the module's dma-heap node
 * @name: the heap's name under /dev/dma_heap; NULL for "pallocbits"
 *
 * Return: the heap's file descriptor (O_RDWR | O_CLOEXEC), or -errno:
 * -ENOENT (no such heap), -EINVAL (@name empty, "." or "..", or with a
 * '/'), -ENAMETOOLONG, or any other error of open(2).
 */
int pallocbits_heap_open(const char *name);

/**
 * pallocbits_heap_alloc() - allocate a dma-buf from a dma-heap
 * @heap_fd: the heap, from pallocbits_heap_open()
 * @len: bytes, rounded up to whole pages by the heap
 * @fd_flags: the dma-buf's open flags: O_RDONLY, O_WRONLY or O_RDWR, and
 *	O_CLOEXEC
 *
 * DMA_HEAP_IOCTL_ALLOC with no heap flags.  The run (contiguous, zeroed)
 * lives as long as the dma-buf.
 *
 * Return: the dma-buf's file descriptor, or -errno: -EINVAL (@len 0 or too
 * large, bad @fd_flags), -ENOMEM (no free run), -EMFILE, -ENOTTY (@heap_fd
 * is not a dma-heap).
 */
int pallocbits_heap_alloc(int heap_fd, uint64_t len, int fd_flags);

/**
 * pallocbits_dmabuf_map() - map a dma-buf into this process
 * @dmabuf_fd: the dma-buf
 * @len: bytes to map, from its start
 * @prot: PROT_READ, PROT_WRITE, ... (a shared mapping, MAP_SHARED)
 * @addr: set to the mapping on success; munmap(2) it
 *
 * Bracket CPU access with pallocbits_sync() when a device uses the buffer
 * too.
 *
 * Return: 0, or -errno: -EINVAL (@len 0 or past the buffer, @addr NULL),
 * -EACCES (@prot beyond the dma-buf's open mode), -ENOMEM, or any other
 * error of mmap(2).
 */
int pallocbits_dmabuf_map(int dmabuf_fd, size_t len, int prot, void **addr);

/**
 * pallocbits_sync() - begin or end CPU access to a dma-buf (DMA_BUF_IOCTL_SYNC)
 * @dmabuf_fd: the dma-buf
 * @flags: DMA_BUF_SYNC_START or DMA_BUF_SYNC_END, with DMA_BUF_SYNC_READ,
 *	DMA_BUF_SYNC_WRITE or DMA_BUF_SYNC_RW
 *
 * Retried while the kernel answers EINTR or EAGAIN.
 *
 * Return: 0, or -errno: -EINVAL (bad @flags), -ENOTTY (@dmabuf_fd is not a
 * dma-buf), -EBADF.
 */
int pallocbits_sync(int dmabuf_fd, uint64_t flags);

/**
 * pallocbits_stats() - read the allocator's counters (PALLOC_IOC_STATS)
 * @fd: the device
 * @st: filled with the counters
 *
 * Return: 0, or -errno: -EBADF, -ENOTTY (@fd is not the device), -EFAULT.
 */
int pallocbits_stats(int fd, struct palloc_ioc_stats *st);

/**
 * pallocbits_scavenge() - release free pages now (PALLOC_IOC_SCAVENGE)
 * @fd: the device
 * @npages: pages to release at most, >= 1
 * @flags: PALLOC_SCAVENGE_FORCE to include nearly full chunks, or 0
 * @released: if not NULL, set to the pages released
 *
 * Return: 0, or -errno: -EINVAL (@npages 0, unknown @flags), -EINTR (a
 * signal arrived before the pass started).
 */
int pallocbits_scavenge(int fd, uint64_t npages, uint64_t flags, uint64_t *released);

/**
 * pallocbits_page_size() - the page size, in bytes
 *
 * Return: sysconf(_SC_PAGESIZE), read once: the kernel's page size, which
 * is the device's (palloc_ioc_info.page_size).
 */
size_t pallocbits_page_size(void);

#ifdef __cplusplus
}
#endif

#endif /* _LIBPALLOCBITS_H */
