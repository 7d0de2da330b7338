// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libtest - libpallocbits against a simulated device, on any machine.
 *
 * Linked with -Wl,--wrap=ioctl,--wrap=mmap,--wrap=munmap,--wrap=open,
 * --wrap=close (and the 64-bit names of mmap and open), so that the
 * library's own calls reach the small model below: /dev/pallocbits and
 * /dev/dma_heap/pallocbits are /dev/null descriptors whose ioctls, mmap()
 * and close() the model answers with the uapi's semantics (refcounted
 * runs: the file, mappings and the dma-buf each hold a run).  Other
 * descriptors reach the real system calls, so real kernel errors (ENOTTY,
 * EBADF) travel through the library too.  Faults can be injected into the
 * next EXPORT, FREE, mmap() or SYNC.
 *
 * Prints "libtest: N passed, N failed"; exit status 0 only if none failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/libpallocbits.h"

#if defined(__has_include)
#if __has_include("linux/dma-heap.h")
#include <linux/dma-heap.h>
#endif
#endif
#ifndef DMA_HEAP_IOCTL_ALLOC
struct dma_heap_allocation_data {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define DMA_HEAP_IOCTL_ALLOC	_IOWR('H', 0x0, struct dma_heap_allocation_data)
#endif
#ifndef DMA_BUF_IOCTL_SYNC
struct dma_buf_sync {
	__u64 flags;
};

#define DMA_BUF_IOCTL_SYNC	_IOW('b', 0, struct dma_buf_sync)
#endif

#define SIM_PAGES	4096
#define SIM_RUNS	64
#define SIM_MAPS	64

/* The real calls, past the wrappers. */
static int sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	return (int)syscall(SYS_ioctl, fd, cmd, arg);
}

static void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static int sys_munmap(void *addr, size_t len)
{
	return (int)syscall(SYS_munmap, addr, len);
}

static int sys_open(const char *path, int flags)
{
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, 0);
}

static int sys_close(int fd)
{
	return (int)syscall(SYS_close, fd);
}

struct sim_run {
	bool live;
	bool owned;
	uint64_t first;		/* page */
	uint64_t npages;
	int dmabuf;		/* -1: none */
	int maps;
};

static struct {
	int dev, heap;
	int open_flags;		/* of the last open of the device */
	char last_path[256];
	uint64_t next_page;	/* bump allocator */
	struct sim_run runs[SIM_RUNS];
	struct {
		void *addr;
		size_t len;
		struct sim_run *run;
	} maps[SIM_MAPS];
	int fail_export, fail_free, fail_mmap;	/* errno for the next one */
	int sync_retries;	/* EINTR/EAGAIN answers before the next SYNC works */
	int syncs;		/* SYNC ioctls seen */
	uint64_t last_sync;
} sim = { .dev = -1, .heap = -1 };

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static struct sim_run *sim_new_run(uint64_t npages, uint64_t align)
{
	uint64_t first = sim.next_page;
	int i;

	if (align > 1)
		first = (first + align - 1) / align * align;
	if (!npages || first + npages > SIM_PAGES)
		return NULL;
	for (i = 0; i < SIM_RUNS; i++) {
		if (!sim.runs[i].live) {
			sim.runs[i] = (struct sim_run){ true, true, first, npages, -1, 0 };
			sim.next_page = first + npages;
			return &sim.runs[i];
		}
	}
	return NULL;
}

static struct sim_run *sim_find(uint64_t offset, uint64_t npages)
{
	int i;

	for (i = 0; i < SIM_RUNS; i++) {
		struct sim_run *r = &sim.runs[i];

		if (r->live && r->owned && r->first * page() == offset && r->npages == npages)
			return r;
	}
	return NULL;
}

static void sim_put(struct sim_run *r)
{
	if (!r->owned && r->dmabuf < 0 && !r->maps)
		r->live = false;
}

static struct sim_run *sim_by_dmabuf(int fd)
{
	int i;

	for (i = 0; fd >= 0 && i < SIM_RUNS; i++)
		if (sim.runs[i].live && sim.runs[i].dmabuf == fd)
			return &sim.runs[i];
	return NULL;
}

static int sim_fail(int err)
{
	errno = err;
	return -1;
}

static int sim_dev_ioctl(unsigned long cmd, void *arg)
{
	struct sim_run *r;
	int i;

	if (cmd == PALLOC_IOC_INFO) {
		struct palloc_ioc_info *in = arg;

		memset(in, 0, sizeof(*in));
		in->abi_version = PALLOC_ABI_VERSION;
		in->page_size = page();
		in->npages = SIM_PAGES;
		in->mode = PALLOC_MODE_GRABBED;
		in->alloc_flags = PALLOC_ALLOC_FLAGS;
		in->scavenge_flags = PALLOC_SCAVENGE_FLAGS;
		return 0;
	}
	if (cmd == PALLOC_IOC_ALLOC) {
		struct palloc_ioc_alloc *a = arg;

		if (a->flags & ~PALLOC_ALLOC_FLAGS || a->reserved[0] || a->reserved[1] ||
		    (a->align & (a->align - 1)))
			return sim_fail(EINVAL);
		r = sim_new_run(a->npages, a->align);
		if (!r)
			return sim_fail(a->npages ? ENOMEM : EINVAL);
		a->offset = r->first * page();
		a->scavenged = 1;
		a->phys = 0x100000000ull + a->offset;
		return 0;
	}
	if (cmd == PALLOC_IOC_FREE) {
		struct palloc_ioc_free *f = arg;

		if (sim.fail_free) {
			i = sim.fail_free;
			sim.fail_free = 0;
			return sim_fail(i);
		}
		r = sim_find(f->offset, f->npages);
		if (!r || f->flags || f->reserved)
			return sim_fail(EINVAL);
		r->owned = false;
		sim_put(r);
		return 0;
	}
	if (cmd == PALLOC_IOC_EXPORT) {
		struct palloc_ioc_export *e = arg;

		if (sim.fail_export) {
			i = sim.fail_export;
			sim.fail_export = 0;
			return sim_fail(i);
		}
		r = sim_find(e->offset, e->npages);
		if (!r || e->flags || (e->fd_flags & ~(__u64)(O_ACCMODE | O_CLOEXEC)))
			return sim_fail(EINVAL);
		if (r->dmabuf >= 0)
			return sim_fail(EBUSY);
		r->dmabuf = sys_open("/dev/null", O_RDWR | O_CLOEXEC);
		e->fd = r->dmabuf;
		return 0;
	}
	if (cmd == PALLOC_IOC_STATS) {
		struct palloc_ioc_stats *st = arg;

		memset(st, 0, sizeof(*st));
		st->npages = SIM_PAGES;
		st->mode = PALLOC_MODE_GRABBED;
		for (i = 0; i < SIM_RUNS; i++) {
			r = &sim.runs[i];
			if (!r->live)
				continue;
			st->runs++;
			st->pages_inuse += r->npages;
			if (r->owned)
				st->owned_pages += r->npages;
			else
				st->pages_held += r->npages;
			if (r->dmabuf >= 0)
				st->runs_exported++;
		}
		st->pages_free = SIM_PAGES - st->pages_inuse;
		return 0;
	}
	if (cmd == PALLOC_IOC_SCAVENGE) {
		struct palloc_ioc_scavenge *s = arg;

		if (!s->npages || s->flags & ~PALLOC_SCAVENGE_FLAGS)
			return sim_fail(EINVAL);
		s->released = s->npages / 2;
		return 0;
	}
	return sim_fail(ENOTTY);
}

int __wrap_ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == sim.dev)
		return sim_dev_ioctl(cmd, arg);
	if (fd >= 0 && fd == sim.heap) {
		struct dma_heap_allocation_data *d = arg;
		struct sim_run *r;

		if (cmd != DMA_HEAP_IOCTL_ALLOC)
			return sim_fail(ENOTTY);
		if (!d->len || d->heap_flags || (d->fd_flags & ~(O_ACCMODE | O_CLOEXEC)))
			return sim_fail(EINVAL);
		r = sim_new_run((d->len + page() - 1) / page(), 0);
		if (!r)
			return sim_fail(ENOMEM);
		r->owned = false;
		r->dmabuf = sys_open("/dev/null", O_RDWR | O_CLOEXEC);
		d->fd = r->dmabuf;
		return 0;
	}
	if (sim_by_dmabuf(fd)) {
		struct dma_buf_sync *s = arg;

		if (cmd != DMA_BUF_IOCTL_SYNC)
			return sim_fail(ENOTTY);
		sim.syncs++;
		if (sim.sync_retries)
			return sim_fail(sim.sync_retries-- % 2 ? EINTR : EAGAIN);
		if (s->flags & ~(__u64)(DMA_BUF_SYNC_RW | DMA_BUF_SYNC_END) ||
		    !(s->flags & DMA_BUF_SYNC_RW))
			return sim_fail(EINVAL);
		sim.last_sync = s->flags;
		return 0;
	}
	return sys_ioctl(fd, cmd, arg);
}

static void *sim_mmap(size_t len, int prot, int flags, int fd, off_t off)
{
	struct sim_run *r = NULL;
	void *p;
	int i;

	if (sim.fail_mmap) {
		errno = sim.fail_mmap;
		sim.fail_mmap = 0;
		return MAP_FAILED;
	}
	if (!(flags & MAP_SHARED) || !len) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (fd == sim.dev) {
		uint64_t first = (uint64_t)off / page();

		for (i = 0; i < SIM_RUNS; i++) {
			struct sim_run *c = &sim.runs[i];

			if (c->live && c->owned && c->first == first &&
			    len <= c->npages * page())
				r = c;
		}
		if (!r) {
			errno = EACCES;
			return MAP_FAILED;
		}
	} else {
		r = sim_by_dmabuf(fd);
		if (off || len > r->npages * page()) {
			errno = EINVAL;
			return MAP_FAILED;
		}
	}
	for (i = 0; i < SIM_MAPS && sim.maps[i].addr; i++)
		;
	if (i == SIM_MAPS) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	p = sys_mmap(NULL, len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	sim.maps[i].addr = p;
	sim.maps[i].len = len;
	sim.maps[i].run = r;
	r->maps++;
	return p;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd >= 0 && (fd == sim.dev || sim_by_dmabuf(fd)))
		return sim_mmap(len, prot, flags, fd, off);
	return sys_mmap(addr, len, prot, flags, fd, off);
}

void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fd >= 0 && (fd == sim.dev || sim_by_dmabuf(fd)))
		return sim_mmap(len, prot, flags, fd, off);
	return sys_mmap(addr, len, prot, flags, fd, off);
}

int __wrap_munmap(void *addr, size_t len)
{
	int i;

	for (i = 0; i < SIM_MAPS; i++) {
		if (sim.maps[i].addr && sim.maps[i].addr == addr && sim.maps[i].len == len) {
			struct sim_run *r = sim.maps[i].run;

			sim.maps[i].addr = NULL;
			r->maps--;
			sim_put(r);
			break;
		}
	}
	return sys_munmap(addr, len);
}

static int sim_open(const char *path, int flags)
{
	snprintf(sim.last_path, sizeof(sim.last_path), "%s", path);
	if (!strcmp(path, PALLOCBITS_DEV)) {
		sim.open_flags = flags;
		sim.dev = sys_open("/dev/null", flags);
		return sim.dev;
	}
	if (!strcmp(path, PALLOCBITS_HEAP_DIR "/pallocbits")) {
		sim.heap = sys_open("/dev/null", flags);
		return sim.heap;
	}
	return sys_open(path, flags);
}

int __wrap_open(const char *path, int flags, ...)
{
	return sim_open(path, flags);
}

int __wrap_open64(const char *path, int flags, ...)
{
	return sim_open(path, flags);
}

/* close() of a dma-buf drops its hold (called by the library too). */
int __wrap_close(int fd)
{
	struct sim_run *r = sim_by_dmabuf(fd);

	if (r) {
		r->dmabuf = -1;
		sim_put(r);
	}
	return sys_close(fd);
}

static int passed, failed;

#define CHECK(cond) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		fprintf(stderr, "libtest: %s:%d: FAIL: %s\n", __func__, __LINE__, #cond); \
	}								\
} while (0)

static void test_open_info_stats(void)
{
	struct palloc_ioc_stats st;
	struct palloc_ioc_info in;
	uint64_t released = 0;
	int fd, null;

	CHECK(pallocbits_open(O_WRONLY) == -EINVAL);
	fd = pallocbits_open(O_NONBLOCK);
	CHECK(fd >= 0 && fd == sim.dev);
	CHECK(sim.open_flags == (O_RDWR | O_CLOEXEC | O_NONBLOCK));
	CHECK(pallocbits_info(fd, &in) == 0 && in.abi_version == PALLOC_ABI_VERSION);
	CHECK(in.page_size == pallocbits_page_size());
	CHECK(pallocbits_page_size() == (size_t)sysconf(_SC_PAGESIZE));
	CHECK(pallocbits_stats(fd, &st) == 0 && st.npages == SIM_PAGES && !st.runs);
	CHECK(pallocbits_scavenge(fd, 10, 0, &released) == 0 && released == 5);
	CHECK(pallocbits_scavenge(fd, 10, PALLOC_SCAVENGE_FORCE, NULL) == 0);
	CHECK(pallocbits_scavenge(fd, 0, 0, &released) == -EINVAL);
	CHECK(pallocbits_info(fd, NULL) == -EINVAL);
	CHECK(pallocbits_stats(fd, NULL) == -EINVAL);
	/* Real kernel errors come through as -errno. */
	null = sys_open("/dev/null", O_RDWR);
	CHECK(pallocbits_stats(null, &st) == -ENOTTY);
	CHECK(pallocbits_sync(null, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) == -ENOTTY);
	sys_close(null);
	CHECK(pallocbits_info(-1, &in) == -EBADF);
	CHECK(pallocbits_free_range(-1, 0, 1) == -EBADF);
	close(fd);
	sim.dev = -1;
}

static void test_alloc_map_free(void)
{
	struct pallocbits_buf buf, second;
	struct palloc_ioc_stats st;
	int fd = pallocbits_open(0);

	memset(&buf, 0xa5, sizeof(buf));
	CHECK(pallocbits_alloc(fd, 0, 0, 0, &buf) == -EINVAL);
	CHECK(buf.npages == 0xa5a5a5a5a5a5a5a5ull);	/* unchanged on error */
	CHECK(pallocbits_alloc(fd, SIZE_MAX / pallocbits_page_size() + 1, 0, 0, &buf) ==
	      -EOVERFLOW);
	CHECK(pallocbits_alloc(fd, SIM_PAGES + 1, 0, 0, &buf) == -ENOMEM);
	CHECK(pallocbits_alloc(fd, 1, 0, 0, NULL) == -EINVAL);
	CHECK(pallocbits_alloc(fd, 3, 0, 0, &buf) == 0);
	CHECK(buf.npages == 3 && buf.len == 3 * pallocbits_page_size() && !buf.addr);
	CHECK(buf.scavenged == 1 && buf.phys == 0x100000000ull + buf.offset);
	CHECK(pallocbits_alloc(fd, 8, 8, PALLOC_ALLOC_ZERO, &second) == 0);
	CHECK(second.offset == 8 * pallocbits_page_size());
	CHECK(pallocbits_unmap(&buf) == 0);	/* not mapped: nothing to do */
	CHECK(pallocbits_map(fd, &buf, PROT_READ | PROT_WRITE) == 0 && buf.addr);
	memset(buf.addr, 1, buf.len);
	CHECK(pallocbits_map(fd, &buf, PROT_READ) == -EBUSY);
	sim.fail_mmap = ENOMEM;
	CHECK(pallocbits_map(fd, &second, PROT_READ) == -ENOMEM && !second.addr);
	CHECK(pallocbits_unmap(&buf) == 0 && !buf.addr);
	CHECK(pallocbits_map(fd, &buf, PROT_READ) == 0);
	/* free unmaps first: the run is gone, not held by the mapping */
	CHECK(pallocbits_free(fd, &buf) == 0);
	CHECK(!buf.addr && !buf.npages && !buf.len);
	CHECK(pallocbits_free(fd, &buf) == -EINVAL);
	CHECK(pallocbits_map(fd, &buf, PROT_READ) == -EINVAL);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 1 && st.owned_pages == 8);
	CHECK(pallocbits_free_range(fd, second.offset, 7) == -EINVAL);
	CHECK(pallocbits_free_range(fd, second.offset, second.npages) == 0);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0);
	CHECK(pallocbits_free(fd, NULL) == -EINVAL && pallocbits_unmap(NULL) == -EINVAL);
	close(fd);
	sim.dev = -1;
}

static void test_export_sync(void)
{
	struct pallocbits_buf buf;
	struct palloc_ioc_stats st;
	int fd = pallocbits_open(0), dmabuf;
	void *p = NULL;

	CHECK(pallocbits_alloc(fd, 4, 0, 0, &buf) == 0);
	CHECK(pallocbits_export(fd, NULL, O_RDWR) == -EINVAL);
	CHECK(pallocbits_export(fd, &buf, 0x40000000) == -EINVAL);
	dmabuf = pallocbits_export(fd, &buf, O_RDWR | O_CLOEXEC);
	CHECK(dmabuf >= 0);
	CHECK(pallocbits_export(fd, &buf, O_RDWR) == -EBUSY);
	CHECK(pallocbits_dmabuf_map(dmabuf, buf.len, PROT_READ | PROT_WRITE, NULL) == -EINVAL);
	CHECK(pallocbits_dmabuf_map(dmabuf, buf.len + 1, PROT_READ, &p) == -EINVAL && !p);
	CHECK(pallocbits_dmabuf_map(dmabuf, buf.len, PROT_READ | PROT_WRITE, &p) == 0 && p);
	sim.syncs = 0;
	sim.sync_retries = 3;	/* EINTR, EAGAIN, EINTR, then it works */
	CHECK(pallocbits_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE) == 0);
	CHECK(sim.syncs == 4 && sim.last_sync == (DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	CHECK(pallocbits_sync(dmabuf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) == 0);
	CHECK(sim.last_sync == (DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	CHECK(pallocbits_sync(dmabuf, 1u << 7) == -EINVAL);
	CHECK(pallocbits_free(fd, &buf) == 0);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 1 && st.runs_exported == 1 &&
	      st.pages_held == 4 && !st.owned_pages);
	close(dmabuf);		/* the mapping still holds it */
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 1 && !st.runs_exported);
	munmap(p, 4 * pallocbits_page_size());
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0);
	close(fd);
	sim.dev = -1;
}

static void test_alloc_dmabuf(void)
{
	struct pallocbits_buf buf;
	struct palloc_ioc_stats st;
	int fd = pallocbits_open(0), dmabuf;

	dmabuf = pallocbits_alloc_dmabuf(fd, 16, 16, 0, O_RDWR | O_CLOEXEC, &buf);
	CHECK(dmabuf >= 0 && buf.npages == 16 && !buf.addr);
	CHECK(buf.len == 16 * pallocbits_page_size());
	CHECK(buf.offset % (16 * pallocbits_page_size()) == 0);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 1 && st.runs_exported == 1 &&
	      st.pages_held == 16 && !st.owned_pages);
	CHECK(pallocbits_map(fd, &buf, PROT_READ) == -EACCES);	/* the file let go */
	close(dmabuf);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0);
	/* buf may be NULL */
	dmabuf = pallocbits_alloc_dmabuf(fd, 1, 0, 0, O_RDONLY, NULL);
	CHECK(dmabuf >= 0);
	close(dmabuf);
	/* every failure leaves nothing allocated */
	CHECK(pallocbits_alloc_dmabuf(fd, 0, 0, 0, O_RDWR, &buf) == -EINVAL);
	sim.fail_export = EMFILE;
	CHECK(pallocbits_alloc_dmabuf(fd, 2, 0, 0, O_RDWR, &buf) == -EMFILE);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0);
	CHECK(pallocbits_alloc_dmabuf(fd, 2, 0, 0, 0x40000000, &buf) == -EINVAL);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0);
	sim.fail_free = ENOMEM;
	CHECK(pallocbits_alloc_dmabuf(fd, 2, 0, 0, O_RDWR, &buf) == -ENOMEM);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0 && !st.runs_exported);
	close(fd);
	sim.dev = -1;
}

static void test_heap(void)
{
	struct palloc_ioc_stats st;
	int heap, dmabuf, fd;
	char name[PATH_MAX + 10];
	void *p;

	CHECK(pallocbits_heap_open("") == -EINVAL);
	CHECK(pallocbits_heap_open("a/b") == -EINVAL);
	CHECK(pallocbits_heap_open("..") == -EINVAL);
	memset(name, 'x', sizeof(name));
	name[sizeof(name) - 1] = '\0';
	CHECK(pallocbits_heap_open(name) == -ENAMETOOLONG);
	CHECK(pallocbits_heap_open("no-such-heap-here") == -ENOENT);
	CHECK(!strcmp(sim.last_path, PALLOCBITS_HEAP_DIR "/no-such-heap-here"));
	heap = pallocbits_heap_open(NULL);
	CHECK(heap >= 0 && heap == sim.heap);
	CHECK(!strcmp(sim.last_path, "/dev/dma_heap/pallocbits"));
	CHECK(pallocbits_heap_alloc(heap, 0, O_RDWR) == -EINVAL);
	dmabuf = pallocbits_heap_alloc(heap, 5000, O_RDWR | O_CLOEXEC);
	CHECK(dmabuf >= 0);
	CHECK(pallocbits_dmabuf_map(dmabuf, 5000, PROT_READ | PROT_WRITE, &p) == 0);
	CHECK(pallocbits_sync(dmabuf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0);
	fd = pallocbits_open(0);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 1 && st.runs_exported == 1);
	munmap(p, 5000);
	close(dmabuf);
	CHECK(pallocbits_stats(fd, &st) == 0 && st.runs == 0);
	CHECK(pallocbits_heap_alloc(fd, 4096, O_RDWR) == -ENOTTY);
	close(fd);
	sim.dev = -1;
	close(heap);
	sim.heap = -1;
}

int main(void)
{
	test_open_info_stats();
	test_alloc_map_free();
	test_export_sync();
	test_alloc_dmabuf();
	test_heap();
	printf("libtest: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
