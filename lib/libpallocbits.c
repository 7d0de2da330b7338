// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpallocbits - the userspace library of /dev/pallocbits (see
 * libpallocbits.h).  Every function returns -errno itself; errno is read
 * right after the failing call, before anything else can change it.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libpallocbits.h"

#if defined(__has_include)
#if __has_include("linux/dma-heap.h")
#include <linux/dma-heap.h>
#endif
#endif

/* As in the kernel's include/uapi/linux/dma-heap.h, for older headers. */
#ifndef DMA_HEAP_IOCTL_ALLOC
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define DMA_HEAP_IOC_MAGIC	'H'
#define DMA_HEAP_IOCTL_ALLOC	_IOWR(DMA_HEAP_IOC_MAGIC, 0x0, struct dma_heap_allocation_data)
#endif

/* As in the kernel's include/uapi/linux/dma-buf.h, for older headers. */
#ifndef DMA_BUF_IOCTL_SYNC
struct dma_buf_sync {
	__u64 flags;
};

#define DMA_BUF_BASE		'b'
#define DMA_BUF_IOCTL_SYNC	_IOW(DMA_BUF_BASE, 0, struct dma_buf_sync)
#endif

#define PALLOCBITS_HEAP_DEFAULT	"pallocbits"

/* ioctl() returning 0 or -errno. */
static int pallocbits_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* open() returning the descriptor or -errno. */
static int pallocbits_open_path(const char *path, int flags)
{
	int fd = open(path, flags);

	return fd < 0 ? -errno : fd;
}

size_t pallocbits_page_size(void)
{
	/* The only global: every thread would store the same value. */
	static size_t cached;
	size_t size = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	long sc;

	if (size)
		return size;
	sc = sysconf(_SC_PAGESIZE);
	size = sc > 0 ? (size_t)sc : (size_t)getpagesize();
	__atomic_store_n(&cached, size, __ATOMIC_RELAXED);
	return size;
}

int pallocbits_open(int flags)
{
	/* O_RDWR | O_WRONLY would be Linux's "ioctl only" access mode 3. */
	if ((flags & O_ACCMODE) == O_WRONLY)
		return -EINVAL;
	return pallocbits_open_path(PALLOCBITS_DEV, O_RDWR | O_CLOEXEC | flags);
}

int pallocbits_info(int fd, struct palloc_ioc_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	return pallocbits_ioctl(fd, PALLOC_IOC_INFO, info);
}

int pallocbits_alloc(int fd, uint64_t npages, uint64_t align, uint64_t flags,
		     struct pallocbits_buf *buf)
{
	struct palloc_ioc_alloc a;
	size_t page = pallocbits_page_size();
	int ret;

	if (!buf)
		return -EINVAL;
	/* Refuse before allocating what could not be described. */
	if (npages > SIZE_MAX / page)
		return -EOVERFLOW;
	memset(&a, 0, sizeof(a));
	a.npages = npages;
	a.align = align;
	a.flags = flags;
	ret = pallocbits_ioctl(fd, PALLOC_IOC_ALLOC, &a);
	if (ret)
		return ret;
	buf->offset = a.offset;
	buf->npages = a.npages;
	buf->phys = a.phys;
	buf->scavenged = a.scavenged;
	buf->len = (size_t)a.npages * page;
	buf->addr = NULL;
	return 0;
}

int pallocbits_map(int fd, struct pallocbits_buf *buf, int prot)
{
	void *p;

	if (!buf || !buf->len)
		return -EINVAL;
	if (buf->addr)
		return -EBUSY;
	if (buf->offset > (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	p = mmap(NULL, buf->len, prot, MAP_SHARED, fd, (off_t)buf->offset);
	if (p == MAP_FAILED)
		return -errno;
	buf->addr = p;
	return 0;
}

int pallocbits_unmap(struct pallocbits_buf *buf)
{
	if (!buf)
		return -EINVAL;
	if (!buf->addr)
		return 0;
	if (munmap(buf->addr, buf->len))
		return -errno;
	buf->addr = NULL;
	return 0;
}

int pallocbits_free(int fd, struct pallocbits_buf *buf)
{
	int ret;

	if (!buf)
		return -EINVAL;
	ret = pallocbits_unmap(buf);
	if (ret)
		return ret;
	ret = pallocbits_free_range(fd, buf->offset, buf->npages);
	if (ret)
		return ret;
	buf->npages = 0;
	buf->len = 0;
	return 0;
}

int pallocbits_free_range(int fd, uint64_t offset, uint64_t npages)
{
	struct palloc_ioc_free f;

	memset(&f, 0, sizeof(f));
	f.offset = offset;
	f.npages = npages;
	return pallocbits_ioctl(fd, PALLOC_IOC_FREE, &f);
}

int pallocbits_export(int fd, const struct pallocbits_buf *buf, int fd_flags)
{
	struct palloc_ioc_export e;
	int ret;

	if (!buf)
		return -EINVAL;
	memset(&e, 0, sizeof(e));
	e.offset = buf->offset;
	e.npages = buf->npages;
	/* Bits the kernel does not know are refused there (EINVAL). */
	e.fd_flags = (unsigned int)fd_flags;
	ret = pallocbits_ioctl(fd, PALLOC_IOC_EXPORT, &e);
	if (ret)
		return ret;
	if (e.fd > INT_MAX)
		return -EPROTO;
	return (int)e.fd;
}

int pallocbits_alloc_dmabuf(int fd, uint64_t npages, uint64_t align, uint64_t flags,
			    int fd_flags, struct pallocbits_buf *buf)
{
	struct pallocbits_buf run;
	int dmabuf, ret;

	ret = pallocbits_alloc(fd, npages, align, flags, &run);
	if (ret)
		return ret;
	dmabuf = pallocbits_export(fd, &run, fd_flags);
	if (dmabuf < 0) {
		pallocbits_free_range(fd, run.offset, run.npages);
		return dmabuf;
	}
	/* Drop the file's hold: the dma-buf alone keeps the run. */
	ret = pallocbits_free_range(fd, run.offset, run.npages);
	if (ret) {
		/* Without its dma-buf the run is the file's alone again. */
		close(dmabuf);
		pallocbits_free_range(fd, run.offset, run.npages);
		return ret;
	}
	if (buf)
		*buf = run;
	return dmabuf;
}

int pallocbits_heap_open(const char *name)
{
	char path[PATH_MAX];
	int n;

	if (!name)
		name = PALLOCBITS_HEAP_DEFAULT;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	n = snprintf(path, sizeof(path), "%s/%s", PALLOCBITS_HEAP_DIR, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return pallocbits_open_path(path, O_RDWR | O_CLOEXEC);
}

int pallocbits_heap_alloc(int heap_fd, uint64_t len, int fd_flags)
{
	struct dma_heap_allocation_data d;
	int ret;

	memset(&d, 0, sizeof(d));
	d.len = len;
	d.fd_flags = (unsigned int)fd_flags;
	d.heap_flags = 0;
	ret = pallocbits_ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &d);
	if (ret)
		return ret;
	if (d.fd > INT_MAX)
		return -EPROTO;
	return (int)d.fd;
}

int pallocbits_dmabuf_map(int dmabuf_fd, size_t len, int prot, void **addr)
{
	void *p;

	if (!addr)
		return -EINVAL;
	p = mmap(NULL, len, prot, MAP_SHARED, dmabuf_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

int pallocbits_sync(int dmabuf_fd, uint64_t flags)
{
	struct dma_buf_sync s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.flags = flags;
	do {
		ret = pallocbits_ioctl(dmabuf_fd, DMA_BUF_IOCTL_SYNC, &s);
	} while (ret == -EINTR || ret == -EAGAIN);
	return ret;
}

int pallocbits_stats(int fd, struct palloc_ioc_stats *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	return pallocbits_ioctl(fd, PALLOC_IOC_STATS, st);
}

int pallocbits_scavenge(int fd, uint64_t npages, uint64_t flags, uint64_t *released)
{
	struct palloc_ioc_scavenge s;
	int ret;

	memset(&s, 0, sizeof(s));
	s.npages = npages;
	s.flags = flags;
	ret = pallocbits_ioctl(fd, PALLOC_IOC_SCAVENGE, &s);
	if (!ret && released)
		*released = s.released;
	return ret;
}
