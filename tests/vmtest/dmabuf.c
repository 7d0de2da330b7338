// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: dma-bufs: PALLOC_IOC_EXPORT and the dma-heap node.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* --- dma-bufs: PALLOC_IOC_EXPORT and the dma-heap node --- */

/* <linux/dma-heap.h>, spelled out: the kernel's own dma-heap ABI. */
struct pb_heap_alloc {
	__u64 len;
	__u32 fd;
	__u32 fd_flags;
	__u64 heap_flags;
};

#define PB_HEAP_IOCTL_ALLOC	_IOWR('H', 0x0, struct pb_heap_alloc)

static const char *pb_heap_path(void)
{
	static char path[96];
	const char *name = getenv("PB_HEAP");

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name && *name ? name : "pallocbits");
	return path;
}

/* A dma-buf of @len bytes from the heap node, or -errno. */
static int pb_heap_alloc(__u64 len, __u32 fd_flags)
{
	struct pb_heap_alloc h = { .len = len, .fd_flags = fd_flags };
	int heap = open(pb_heap_path(), O_RDWR | O_CLOEXEC), ret;

	if (heap < 0)
		return -errno;
	ret = ioctl(heap, PB_HEAP_IOCTL_ALLOC, &h) ? -errno : (int)h.fd;
	close(heap);
	return ret;
}

static int pb_sync(int fd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) ? errno : 0;
}

static int pb_export(int fd, __u64 offset, __u64 npages, __u64 fd_flags, int *dmabuf)
{
	struct palloc_ioc_export e = { .offset = offset, .npages = npages, .fd_flags = fd_flags };

	if (ioctl(fd, PALLOC_IOC_EXPORT, &e))
		return errno;
	*dmabuf = (int)e.fd;
	return 0;
}

/* Wait until STATS shows the heap's counters back at @base (runs released). */
static int pb_wait_released(int fd, const struct palloc_ioc_stats *base, double secs,
			    struct palloc_ioc_stats *st)
{
	double end = pb_now() + secs;

	do {
		if (pb_stats(fd, st))
			return -1;
		if (st->pages_inuse == base->pages_inuse && st->runs == base->runs &&
		    st->runs_exported == base->runs_exported && st->pages_held == base->pages_held)
			return 0;
		pb_sleep_ms(10);
	} while (pb_now() < end);
	return -1;
}

static int pb_send_fd(int sock, int fd)
{
	char byte = 'f', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int pb_recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Open file descriptors of this process. */
static int pb_nfds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

/*
 * The heap node, as a program written for dma-heaps uses it: allocate,
 * mmap, write between SYNC start and end, read back.  Pass the fd to
 * another process with SCM_RIGHTS and close it here: the receiver still
 * reads the data; when its last fd and mapping go, the pages are free.
 */
TEST_F(pb, heap_alloc_scm_rights)
{
	__u64 len = 3 * self->ps + 100, size = 4 * self->ps;
	struct palloc_ioc_stats st;
	int sv[2], buf, status;
	char ack;
	pid_t pid;
	char *p;

	buf = pb_heap_alloc(len, O_RDWR | O_CLOEXEC);
	if (buf == -ENOENT)
		SKIP(return, "no %s", pb_heap_path());
	ASSERT_LE(0, buf) TH_LOG("DMA_HEAP_IOCTL_ALLOC: %s", strerror(-buf));
	EXPECT_EQ(FD_CLOEXEC, fcntl(buf, F_GETFD));
	EXPECT_EQ((off_t)size, lseek(buf, 0, SEEK_END));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.runs + 1, st.runs);
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	EXPECT_EQ(self->base.pages_held + 4, st.pages_held);
	EXPECT_EQ(self->base.pages_inuse + 4, st.pages_inuse);
	EXPECT_EQ(0, st.owned_pages);

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(size, pb_first_nonzero(p, size));
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW));
	pb_pattern(p, size, 0x4ea9);
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW));
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	EXPECT_EQ(size, pb_pattern_diff(p, size, 0x4ea9));
	EXPECT_EQ(0, pb_sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
	/* Bad SYNC flags are the dma-buf core's EINVAL. */
	EXPECT_EQ(EINVAL, pb_sync(buf, 0x100));

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = pb_recv_fd(sv[1]);
		char *q;

		if (fd < 0)
			_exit(10);
		/* The sender has closed and unmapped its copy by now. */
		if (read(sv[1], &ack, 1) != 1)
			_exit(11);
		q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (q == MAP_FAILED)
			_exit(12);
		close(fd);
		if (pb_pattern_diff(q, size, 0x4ea9) != size)
			_exit(13);
		if (write(sv[1], "r", 1) != 1)
			_exit(14);
		/* Hold the mapping until told to go. */
		if (read(sv[1], &ack, 1) != 1)
			_exit(15);
		munmap(q, size);
		_exit(0);
	}
	ASSERT_EQ(0, pb_send_fd(sv[0], buf));
	ASSERT_EQ(0, close(buf));
	ASSERT_EQ(0, munmap(p, size));
	ASSERT_EQ(1, write(sv[0], "c", 1));
	ASSERT_EQ(1, read(sv[0], &ack, 1));
	/* Only the receiver's mapping holds the run now. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.pages_held + 4, st.pages_held);
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	ASSERT_EQ(1, write(sv[0], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st))
		TH_LOG("runs %llu exported %llu held %llu inuse %llu", st.runs, st.runs_exported,
		       st.pages_held, st.pages_inuse);
}

/* SIGKILL every holder (the allocator and the receiver, mapped): all freed. */
TEST_F(pb, heap_holders_killed)
{
	struct palloc_ioc_stats st;
	int sv[2], status, k;
	pid_t pid[2];
	char ack;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (pid[k])
			continue;
		if (k == 0) {
			int fd = pb_heap_alloc(64 * self->ps, O_RDWR);
			char *q;

			if (fd < 0)
				_exit(10);
			q = mmap(NULL, 64 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (q == MAP_FAILED)
				_exit(11);
			memset(q, 0x77, 64 * self->ps);
			if (pb_send_fd(sv[1], fd))
				_exit(12);
		} else {
			int fd = pb_recv_fd(sv[1]);
			char *q;

			if (fd < 0)
				_exit(13);
			q = mmap(NULL, 64 * self->ps, PROT_READ, MAP_SHARED, fd, 0);
			if (q == MAP_FAILED || q[0] != 0x77)
				_exit(14);
			if (write(sv[1], "m", 1) != 1)
				_exit(15);
		}
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(sv[0], &ack, 1));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	EXPECT_EQ(self->base.pages_held + 64, st.pages_held);
	for (k = 0; k < 2; k++) {
		kill(pid[k], SIGKILL);
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st))
		TH_LOG("runs %llu exported %llu held %llu inuse %llu", st.runs, st.runs_exported,
		       st.pages_held, st.pages_inuse);
}

/*
 * PALLOC_IOC_EXPORT: the dma-buf shows the run's data, holds the run after
 * FREE, refuses a second export while it lives, and lets the pages go with
 * its last mapping; then the run (if still owned) may be exported again.
 */
TEST_F(pb, export_run)
{
	size_t len = 8 * self->ps;
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	int buf = -1, buf2 = -1;
	char *p, *q;

	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, p);
	pb_pattern(p, len, 0xe1);
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 8, O_RDWR, &buf));
	EXPECT_EQ(0, fcntl(buf, F_GETFD));
	EXPECT_EQ((off_t)len, lseek(buf, 0, SEEK_END));
	EXPECT_EQ(EBUSY, pb_export(self->fd, a.offset, 8, O_RDWR, &buf2));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(self->base.runs_exported + 1, st.runs_exported);
	EXPECT_EQ(8, st.owned_pages);
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(len, pb_pattern_diff(q, len, 0xe1));
	/* Same pages: a store through one shows through the other. */
	q[5] = 0x11;
	EXPECT_EQ(0x11, p[5]);
	pb_pattern(p, len, 0xe1);
	/* FREE of a part is EBUSY (the dma-buf holds it); of the whole drops our hold. */
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 4));
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a.offset, 8));
	EXPECT_EQ(EINVAL, pb_export(self->fd, a.offset, 8, O_RDWR, &buf2));
	ASSERT_EQ(0, close(buf));
	/* Only the dma-buf mapping holds it now. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(8, st.pages_held);
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse + 8, st.pages_inuse);
	EXPECT_EQ(len, pb_pattern_diff(q, len, 0xe1));
	ASSERT_EQ(0, munmap(q, len));
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st))
		TH_LOG("runs %llu exported %llu held %llu inuse %llu", st.runs, st.runs_exported,
		       st.pages_held, st.pages_inuse);

	/* Exported, the dma-buf closed: the run may be exported again. */
	ASSERT_EQ(0, pb_alloc(self->fd, 2, 0, 0, &a));
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 2, O_RDONLY | O_CLOEXEC, &buf));
	EXPECT_EQ(FD_CLOEXEC, fcntl(buf, F_GETFD));
	/* An O_RDONLY dma-buf maps read-only. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, close(buf));
	/* The release of a closed dma-buf may finish on return to userspace. */
	buf = -1;
	for (int i = 0; i < 100 && pb_export(self->fd, a.offset, 2, O_RDWR, &buf) == EBUSY; i++)
		pb_sleep_ms(10);
	ASSERT_LE(0, buf);
	close(buf);
	/* Closing the file frees the run once the dma-buf is gone too. */
	close(self->fd);
	self->fd = pb_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
}

/* MAP_PRIVATE of a dma-buf is EINVAL (a COW copy of these pages means nothing). */
TEST_F(pb, dmabuf_mmap_private_refused)
{
	struct palloc_ioc_stats st;
	int buf = pb_heap_alloc(self->ps, O_RDWR);

	if (buf == -ENOENT)
		SKIP(return, "no %s", pb_heap_path());
	ASSERT_LE(0, buf);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Past the end: the dma-buf core's EINVAL. */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, buf, 0));
	EXPECT_EQ(EINVAL, errno);
	close(buf);
	EXPECT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
}

/* Bad EXPORT arguments: the documented errno, and nothing changes (no fd either). */
TEST_F(pb, export_bad_args)
{
	struct palloc_ioc_alloc a, other_run;
	struct palloc_ioc_stats before, after;
	struct palloc_ioc_export e;
	int other, buf = -1, nfds, k;
	const struct {
		__u64 off, n, fd_flags, flags, rsv;
		int err;
		const char *what;
	} cases[] = {
		{ 0, 8, O_RDWR, 1, 0, EINVAL, "flags" },
		{ 0, 8, O_RDWR, 1ULL << 63, 0, EINVAL, "flags bit 63" },
		{ 0, 8, O_RDWR, 0, 1, EINVAL, "reserved" },
		{ 0, 8, O_RDWR | O_NONBLOCK, 0, 0, EINVAL, "O_NONBLOCK" },
		{ 0, 8, O_ACCMODE, 0, 0, EINVAL, "O_ACCMODE" },
		{ 0, 8, 1ULL << 40, 0, 0, EINVAL, "fd_flags bit 40" },
		{ 1, 8, O_RDWR, 0, 0, EINVAL, "offset not page aligned" },
		{ 0, 4, O_RDWR, 0, 0, EINVAL, "a part of the run" },
		{ 0, 9, O_RDWR, 0, 0, EINVAL, "more than the run" },
		{ 0, 0, O_RDWR, 0, 0, EINVAL, "no pages" },
		{ 4096, 4, O_RDWR, 0, 0, EINVAL, "the run's tail" },
		{ ~0ULL << 12, 2, O_RDWR, 0, 0, EINVAL, "past the range" },
	};

	ASSERT_EQ(0, pb_alloc(self->fd, 8, 0, 0, &a));
	other = pb_open();
	ASSERT_LE(0, other);
	ASSERT_EQ(0, pb_alloc(other, 2, 0, 0, &other_run));
	ASSERT_EQ(0, pb_stats(self->fd, &before));
	nfds = pb_nfds();
	for (k = 0; k < (int)PB_ARRAY_SIZE(cases); k++) {
		/* off: 0 the run, 1 one byte in, 4096 four pages in, else as is. */
		__u64 off = cases[k].off;

		if (off == 4096)
			off = a.offset + 4 * self->ps;
		else if (off == 1)
			off = a.offset + 1;
		else if (!off)
			off = a.offset;
		e = (struct palloc_ioc_export){
			.offset = off, .npages = cases[k].n, .fd_flags = cases[k].fd_flags,
			.flags = cases[k].flags, .reserved = { cases[k].rsv },
		};
		EXPECT_EQ(cases[k].err, pb_ioctl(self->fd, PALLOC_IOC_EXPORT, &e))
			TH_LOG("%s", cases[k].what);
	}
	/* Another file's run, and a bad pointer. */
	EXPECT_EQ(EINVAL, pb_export(self->fd, other_run.offset, 2, O_RDWR, &buf));
	EXPECT_EQ(EFAULT, pb_ioctl(self->fd, PALLOC_IOC_EXPORT, (void *)8));
	ASSERT_EQ(0, pb_stats(self->fd, &after));
	EXPECT_EQ(before.runs_exported, after.runs_exported);
	EXPECT_EQ(before.pages_held, after.pages_held);
	EXPECT_EQ(before.pages_inuse, after.pages_inuse);
	EXPECT_EQ(before.owned_pages, after.owned_pages);
	EXPECT_EQ(nfds, pb_nfds());
	/* Still exportable after all that. */
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 8, O_RDWR, &buf));
	close(buf);
	close(other);
}

/* Bad heap ALLOC arguments: the dma-heap ABI's EINVAL, nothing allocated. */
TEST_F(pb, heap_bad_args)
{
	struct palloc_ioc_stats before, after;
	struct pb_heap_alloc h;
	int heap, nfds, k;
	const struct {
		__u64 len, heap_flags;
		__u32 fd, fd_flags;
		int err;
		const char *what;
	} cases[] = {
		{ 0, 0, 0, O_RDWR, EINVAL, "len 0" },
		{ ~0ULL, 0, 0, O_RDWR, EINVAL, "len ~0" },
		{ 1, 1, 0, O_RDWR, EINVAL, "heap_flags" },
		{ 1, 1ULL << 63, 0, O_RDWR, EINVAL, "heap_flags bit 63" },
		{ 1, 0, 0, O_RDWR | O_NONBLOCK, EINVAL, "O_NONBLOCK" },
		{ 1, 0, 0, O_ACCMODE, EINVAL, "O_ACCMODE" },
		{ 1, 0, 5, O_RDWR, EINVAL, "fd not zero" },
	};

	heap = open(pb_heap_path(), O_RDWR | O_CLOEXEC);
	if (heap < 0 && errno == ENOENT)
		SKIP(return, "no %s", pb_heap_path());
	ASSERT_LE(0, heap);
	ASSERT_EQ(0, pb_stats(self->fd, &before));
	nfds = pb_nfds();
	for (k = 0; k < (int)PB_ARRAY_SIZE(cases); k++) {
		h = (struct pb_heap_alloc){ .len = cases[k].len, .fd = cases[k].fd,
					    .fd_flags = cases[k].fd_flags,
					    .heap_flags = cases[k].heap_flags };
		EXPECT_EQ(cases[k].err, pb_ioctl(heap, PB_HEAP_IOCTL_ALLOC, &h))
			TH_LOG("%s", cases[k].what);
	}
	/* Larger than the range: no run fits. */
	h = (struct pb_heap_alloc){ .len = (self->info.npages + 1) * self->ps, .fd_flags = O_RDWR };
	EXPECT_EQ(EINVAL, pb_ioctl(heap, PB_HEAP_IOCTL_ALLOC, &h));
	EXPECT_EQ(EFAULT, pb_ioctl(heap, PB_HEAP_IOCTL_ALLOC, (void *)8));
	EXPECT_EQ(ENOTTY, pb_ioctl(heap, _IOWR('H', 0x1, struct pb_heap_alloc), &h));
	EXPECT_EQ(ENOTTY, pb_ioctl(heap, PALLOC_IOC_ALLOC, &h));
	ASSERT_EQ(0, pb_stats(self->fd, &after));
	EXPECT_EQ(before.runs, after.runs);
	EXPECT_EQ(before.pages_inuse, after.pages_inuse);
	EXPECT_EQ(before.allocs, after.allocs);
	EXPECT_EQ(nfds, pb_nfds());
	close(heap);
}

/*
 * Zero on reuse across the dma-buf paths: pages written through a dma-buf
 * and released with it come back zeroed, through the heap node and through
 * ALLOC alike.
 */
TEST_F(pb, dmabuf_zero_on_reuse)
{
	__u64 n = 256, len = n * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	int buf, round;
	char *p;

	pb_scavenger_pause(self->fd, self->goal);
	for (round = 0; round < 3; round++) {
		buf = pb_heap_alloc(len, O_RDWR);
		if (buf == -ENOENT)
			SKIP(return, "no %s", pb_heap_path());
		ASSERT_LE(0, buf);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(len, pb_first_nonzero(p, len))
			TH_LOG("round %d: heap buffer not zero", round);
		memset(p, 0xa5, len);
		munmap(p, len);
		close(buf);
		ASSERT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
		/* The same pages (first fit), dirty: ALLOC must zero them. */
		ASSERT_EQ(0, pb_alloc(self->fd, n, 0, 0, &a));
		p = pb_map(self->fd, a.offset, n);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(len, pb_first_nonzero(p, len)) TH_LOG("round %d: ALLOC not zero", round);
		memset(p, 0x5a, len);
		ASSERT_EQ(0, pb_export(self->fd, a.offset, n, O_RDWR, &buf));
		munmap(p, len);
		ASSERT_EQ(0, pb_free(self->fd, a.offset, n));
		close(buf);
		ASSERT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
	}
}

/*
 * debugfs "runs" lists each run's holders: its file, mappings, dma-buf and
 * kernel mappings.
 */
TEST_F(pb, debugfs_runs_holders)
{
	struct palloc_ioc_alloc a;
	char want[128], *text;
	int buf = -1;
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, 3, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 3);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 3, O_RDWR, &buf));
	text = pb_read_debugfs("runs", NULL);
	if (!text)
		SKIP(goto out, "no debugfs");
	snprintf(want, sizeof(want), "run offset 0x%llx pages 3 wb refs 3 file yes pid %d",
		 a.offset, getpid());
	EXPECT_TRUE(!!strstr(text, want)) TH_LOG("want '%s' in:\n%s", want, text);
	snprintf(want, sizeof(want), "run offset 0x%llx pages 3 ", a.offset);
	p[0] = 1;
	EXPECT_TRUE(!!strstr(strstr(text, want) ?: "", "maps 1 dmabuf yes"));
	free(text);
out:
	munmap(p, 3 * self->ps);
	close(buf);
}

/* WC runs (grabbed mode): mapped and exported write-combining; no mixed mapping. */
TEST_F(pb, wc_run)
{
	struct palloc_ioc_alloc a, b;
	struct palloc_ioc_stats st;
	char *p, *q, *text, want[96];
	int buf = -1;

	if (self->info.mode != PALLOC_MODE_GRABBED) {
		/* Reserved mode: refused (the kernel's WB mapping of the range). */
		EXPECT_EQ(EOPNOTSUPP, pb_alloc(self->fd, 4, 0, PALLOC_ALLOC_WC, &a));
		return;
	}
	ASSERT_EQ(0, pb_alloc(self->fd, 4, 0, PALLOC_ALLOC_WC, &a));
	/* A WB neighbour right after it: one mapping over both is refused. */
	ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &b));
	if (b.offset == a.offset + 4 * self->ps)
		EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset, 5, MAP_SHARED));
	p = pb_map(self->fd, a.offset, 4);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(4 * self->ps, pb_first_nonzero(p, 4 * self->ps));
	pb_pattern(p, 4 * self->ps, 0x3c3c);
	ASSERT_EQ(0, pb_export(self->fd, a.offset, 4, O_RDWR, &buf));
	q = mmap(NULL, 4 * self->ps, PROT_READ, MAP_SHARED, buf, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(4 * self->ps, pb_pattern_diff(q, 4 * self->ps, 0x3c3c));
	text = pb_read_debugfs("runs", NULL);
	if (text) {
		snprintf(want, sizeof(want), "run offset 0x%llx pages 4 wc ", a.offset);
		EXPECT_TRUE(!!strstr(text, want)) TH_LOG("want '%s' in:\n%s", want, text);
		free(text);
	}
	munmap(q, 4 * self->ps);
	munmap(p, 4 * self->ps);
	close(buf);
	ASSERT_EQ(0, pb_free(self->fd, a.offset, 4));
	ASSERT_EQ(0, pb_free(self->fd, b.offset, 1));
	ASSERT_EQ(0, pb_wait_released(self->fd, &self->base, 2, &st));
	/* The pages came back write-back and zeroed: a WB run over them reads zero. */
	ASSERT_EQ(0, pb_alloc(self->fd, 5, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 5);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(5 * self->ps, pb_first_nonzero(p, 5 * self->ps));
	munmap(p, 5 * self->ps);
}
