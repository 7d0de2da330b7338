// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: what a process sees: O_DIRECT, vmsplice, other processes, madvise, fork.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Finding 14: what a process sees                                    */
/* ------------------------------------------------------------------ */

/*
 * What a new user tries on a mapping and on the device file besides loads
 * and stores: zero-copy I/O (O_DIRECT, vmsplice, io_uring fixed buffers),
 * other processes' views (process_vm_readv/writev, /proc/PID/mem, ptrace),
 * madvise, fork, mprotect, mremap, msync, mlock, open modes, the file's
 * read/write, and close() racing ioctls on other threads.  Each test asserts the errno or
 * behaviour documented in uapi/pallocbits.h ("DOC: What a process sees"),
 * then that the run's data is intact and that nothing leaked.
 *
 * A mapping is filled page by page on first access.  Where the module maps
 * struct pages (INFO's PALLOC_FEATURE_PAGES: ZONE_DEVICE pages of a
 * reserved range, grabbed RAM pages), every path that pins user pages
 * (get_user_pages) works on it and the tests check the data moved.  Where
 * it maps bare PFNs (VM_IO | VM_PFNMAP: struct_pages=0, or a kernel without
 * ZONE_DEVICE) the kernel still copies to and from it like any user
 * memory, but there is nothing to pin, so those paths refuse it.
 */

#define PB_F14_TAG	0xf14ULL

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101	/* <asm-generic/mman-common.h>; not in glibc's */
#endif

/* Fill @len bytes at @p with the words pb_tag(@seed, 0), pb_tag(@seed, 1), ... */
static void pb_pattern(void *p, size_t len, __u64 seed)
{
	__u64 *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pb_tag(seed, i);
}

/* Offset of the first word at @p that is not pb_pattern(@seed)'s, or @len. */
static size_t pb_pattern_diff(const void *p, size_t len, __u64 seed)
{
	const __u64 *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pb_tag(seed, i))
			return i * 8;
	return len;
}

/* Allocate @n pages, map them and fill them with pb_pattern(@seed). */
static char *pb_run_setup(struct __test_metadata *_metadata, struct _test_data_pb *self,
			  __u64 n, __u64 seed, struct palloc_ioc_alloc *a)
{
	char *p;

	ASSERT_EQ(0, pb_alloc(self->fd, n, 0, 0, a));
	p = pb_map(self->fd, a->offset, n);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %llu pages: %s", n, strerror(errno));
	pb_pattern(p, n * self->ps, seed);
	return p;
}

/*
 * The end of each test: the run still holds pb_pattern(@seed), munmap() and
 * FREE work, the file owns nothing, pages_inuse is back to where it was at
 * setup, and the allocator's own check reads ok.
 */
static void pb_run_teardown(struct __test_metadata *_metadata, struct _test_data_pb *self,
			    char *p, const struct palloc_ioc_alloc *a, __u64 seed)
{
	size_t len = a->npages * self->ps, bad = pb_pattern_diff(p, len, seed);
	struct palloc_ioc_stats st;
	__u64 seen = 0;

	EXPECT_EQ(len, bad) TH_LOG("the run's data changed at byte %zu", bad);
	ASSERT_EQ(0, munmap(p, len));
	EXPECT_EQ(0, pb_free(self->fd, a->offset, a->npages));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu, baseline %llu", seen, self->base.pages_inuse);
	EXPECT_TRUE(pb_check_ok());
}

static sigjmp_buf pb_probe_env;

static void pb_probe_handler(int sig)
{
	siglongjmp(pb_probe_env, sig);
}

/*
 * Load the byte at @p into *@out, or store @val there if @out is NULL:
 * 0, or the signal (SIGSEGV, SIGBUS) the access raised.
 */
static int pb_probe(char *p, char val, char *out)
{
	struct sigaction sa = { .sa_handler = pb_probe_handler }, old_segv, old_bus;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	switch (sigsetjmp(pb_probe_env, 1)) {
	case 0:
		if (out)
			*out = __atomic_load_n(p, __ATOMIC_RELAXED);
		else
			__atomic_store_n(p, val, __ATOMIC_RELAXED);
		sig = 0;
		break;
	case SIGBUS:
		sig = SIGBUS;
		break;
	default:
		sig = SIGSEGV;
		break;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return sig;
}

/* Probe a load from every page of [p, p + len): 0, or the first signal. */
static int pb_probe_pages(char *p, size_t len, __u64 ps)
{
	size_t off;
	char c;
	int sig;

	for (off = 0; off < len; off += ps) {
		sig = pb_probe(p + off, 0, &c);
		if (sig)
			return sig;
	}
	return 0;
}

/* A whole file into a NUL-terminated malloc()ed buffer, or NULL. */
static char *pb_slurp(const char *path)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1), *bigger;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len < cap)
			continue;
		bigger = realloc(buf, 2 * cap + 1);
		if (!bigger)
			goto fail;
		buf = bigger;
		cap *= 2;
	}
	if (n < 0)
		goto fail;
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* --- O_DIRECT, through a loop device (tmpfs refuses O_DIRECT) --- */

#define PB_LOOP_BYTES	(1024 * 1024)
#define PB_LOOP_SEED	0x10adULL

struct pb_loop {
	int dev;		/* /dev/loopN, O_RDWR | O_DIRECT */
	int n;			/* N, or -1 */
	char path[32];
	char img[64];		/* the backing file on tmpfs */
};

/*
 * Attach a free loop device to a 1 MiB file on tmpfs holding
 * pb_pattern(PB_LOOP_SEED), and open it O_DIRECT: 0, or the errno of the
 * step that failed (ENOENT from /dev/loop-control: no loop driver).
 */
static int pb_loop_setup(struct pb_loop *lo)
{
	int ctl, img = -1, fd = -1, err = 0;
	void *buf = NULL;

	lo->dev = -1;
	lo->n = -1;
	snprintf(lo->img, sizeof(lo->img), "/tmp/pb-odirect-%d.img", (int)getpid());
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return errno;
	img = open(lo->img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	buf = malloc(PB_LOOP_BYTES);
	if (img < 0 || !buf) {
		err = img < 0 ? errno : ENOMEM;
		goto out;
	}
	pb_pattern(buf, PB_LOOP_BYTES, PB_LOOP_SEED);
	if (write(img, buf, PB_LOOP_BYTES) != PB_LOOP_BYTES) {
		err = EIO;
		goto out;
	}
	lo->n = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (lo->n < 0) {
		err = errno;
		goto out;
	}
	snprintf(lo->path, sizeof(lo->path), "/dev/loop%d", lo->n);
	fd = open(lo->path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, LOOP_SET_FD, img)) {
		err = errno;
		lo->n = fd < 0 ? -1 : lo->n;
		goto out;
	}
	lo->dev = open(lo->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (lo->dev < 0)
		err = errno;
out:
	if (fd >= 0)
		close(fd);
	if (img >= 0)
		close(img);
	free(buf);
	close(ctl);
	return err;
}

static void pb_loop_teardown(struct pb_loop *lo)
{
	int fd;

	if (lo->dev >= 0)
		close(lo->dev);
	if (lo->n >= 0) {
		fd = open(lo->path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
		}
	}
	unlink(lo->img);
}

/* Two pages: one of ordinary memory, then the first page of the run @a. */
static char *pb_straddle(int fd, const struct palloc_ioc_alloc *a, __u64 ps)
{
	char *two = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);

	if (two == MAP_FAILED)
		return NULL;
	if (mmap(two + ps, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)a->offset) != two + ps) {
		munmap(two, 2 * ps);
		return NULL;
	}
	return two;
}

/*
 * O_DIRECT read() with the mapping as the buffer: the block layer pins the
 * buffer's pages and the device's data lands in the run, byte for byte;
 * with PFN mappings EFAULT, nothing is read into the run.
 */
TEST_F(pb, o_direct_read_into_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_loop lo;
	char *p, *two, *exp;
	void *buf;
	int err;

	err = pb_loop_setup(&lo);
	if (err == ENOENT)
		SKIP(return, "no /dev/loop-control: no loop driver to try O_DIRECT on");
	ASSERT_EQ(0, err) TH_LOG("loop device: %s", strerror(err));
	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);

	/* O_DIRECT works here: into ordinary memory it reads the file's blocks. */
	ASSERT_EQ(0, posix_memalign(&buf, self->ps, len));
	memset(buf, 0, len);
	EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_LOOP_SEED));

	if (pb_pages(self)) {
		/* Struct pages: the block layer reads straight into the run. */
		EXPECT_EQ((ssize_t)len, pread(lo.dev, p, len, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_LOOP_SEED));
		pb_pattern(p, len, PB_F14_TAG);
		/* One sector: exactly those 512 bytes change. */
		exp = malloc(len);
		ASSERT_NE(NULL, exp);
		memcpy(exp, p, len);
		memcpy(exp + self->ps, buf, 512);
		EXPECT_EQ(512, pread(lo.dev, p + self->ps, 512, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, memcmp(p, exp, len));
		free(exp);
		pb_pattern(p, len, PB_F14_TAG);
		EXPECT_EQ((ssize_t)len, read(lo.dev, p, len)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_LOOP_SEED));
	} else {
		/* PFN mapping, into the mapping: EFAULT, all of it or one sector. */
		errno = 0;
		EXPECT_EQ(-1, pread(lo.dev, p, len, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, pread(lo.dev, p + self->ps, 512, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, read(lo.dev, p, len));
		EXPECT_EQ(EFAULT, errno);
	}

	/*
	 * A buffer that starts in ordinary memory and ends in the mapping: the
	 * block device reads the ordinary page directly and the rest through
	 * its page cache (a copy into the mapping); the read completes.
	 */
	two = pb_straddle(self->fd, &a, self->ps);
	ASSERT_NE(NULL, two);
	EXPECT_EQ((ssize_t)(2 * self->ps), pread(lo.dev, two, 2 * self->ps, 0))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(two, buf, 2 * self->ps));
	ASSERT_EQ(0, munmap(two, 2 * self->ps));
	/* The run's first page now holds the device's second page. */
	EXPECT_EQ(0, memcmp(p, (char *)buf + self->ps, self->ps));
	pb_pattern(p, len, PB_F14_TAG);

	free(buf);
	pb_loop_teardown(&lo);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * O_DIRECT write() from the mapping: the device gets the run's bytes
 * (EFAULT with PFN mappings, the device not written).  The same write()
 * without O_DIRECT copies from the mapping and works either way.
 */
TEST_F(pb, o_direct_write_from_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_loop lo;
	char *p, *two;
	void *buf;
	int fd, err;

	err = pb_loop_setup(&lo);
	if (err == ENOENT)
		SKIP(return, "no /dev/loop-control: no loop driver to try O_DIRECT on");
	ASSERT_EQ(0, err) TH_LOG("loop device: %s", strerror(err));
	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	ASSERT_EQ(0, posix_memalign(&buf, self->ps, len));

	if (pb_pages(self)) {
		EXPECT_EQ((ssize_t)len, pwrite(lo.dev, p, len, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(512, pwrite(lo.dev, p + 3 * self->ps, 512, 2 * self->ps))
			TH_LOG("%s", strerror(errno));
		memset(buf, 0, len);
		EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0));
		EXPECT_EQ(0, memcmp(buf, p, 2 * self->ps));
		EXPECT_EQ(0, memcmp((char *)buf + 2 * self->ps, p + 3 * self->ps, 512));
		EXPECT_EQ(0, memcmp((char *)buf + 2 * self->ps + 512, p + 2 * self->ps + 512,
				    len - 2 * self->ps - 512));
	} else {
		errno = 0;
		EXPECT_EQ(-1, pwrite(lo.dev, p, len, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, pwrite(lo.dev, p + 3 * self->ps, 512, 8192));
		EXPECT_EQ(EFAULT, errno);
		/* The device still holds what it held. */
		EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_LOOP_SEED));
	}

	/* Buffered, the kernel copies from the mapping: the write works. */
	fd = open(lo.path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ((ssize_t)len, pwrite(fd, p, len, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	memset(buf, 0, len);
	EXPECT_EQ((ssize_t)len, pread(lo.dev, buf, len, 0));
	EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));

	/*
	 * From ordinary memory into the mapping: the ordinary page is written
	 * directly, the rest through the page cache (a copy from the
	 * mapping); the write completes.
	 */
	two = pb_straddle(self->fd, &a, self->ps);
	ASSERT_NE(NULL, two);
	memset(two, 0x3c, self->ps);
	EXPECT_EQ((ssize_t)(2 * self->ps), pwrite(lo.dev, two, 2 * self->ps, 8 * self->ps))
		TH_LOG("%s", strerror(errno));
	memset(buf, 0, len);
	EXPECT_EQ((ssize_t)(2 * self->ps), pread(lo.dev, buf, 2 * self->ps, 8 * self->ps));
	EXPECT_EQ(0, memcmp(buf, two, 2 * self->ps));
	EXPECT_EQ(self->ps, pb_pattern_diff((char *)buf + self->ps, self->ps, PB_F14_TAG));
	ASSERT_EQ(0, munmap(two, 2 * self->ps));

	free(buf);
	pb_loop_teardown(&lo);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * vmsplice() of the mapping into a pipe: the pipe gets the run's pages (a
 * reader sees the run's bytes); with PFN mappings EFAULT, the pipe stays
 * empty.  vmsplice() from a pipe into the mapping copies, and works; so do
 * write() from and read() into the mapping.
 */
TEST_F(pb, vmsplice_from_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	struct iovec iov;
	int pfd[2], avail = -1;
	char *p, *buf;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	ASSERT_EQ(0, pipe2(pfd, O_NONBLOCK | O_CLOEXEC));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);

	iov = (struct iovec){ .iov_base = p, .iov_len = len };
	if (pb_pages(self)) {
		EXPECT_EQ((ssize_t)len, vmsplice(pfd[1], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ((ssize_t)len, read(pfd[0], buf, len));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		EXPECT_EQ((ssize_t)len, vmsplice(pfd[1], &iov, 1, SPLICE_F_GIFT))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ((ssize_t)len, read(pfd[0], buf, len));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
	} else {
		errno = 0;
		EXPECT_EQ(-1, vmsplice(pfd[1], &iov, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		errno = 0;
		EXPECT_EQ(-1, vmsplice(pfd[1], &iov, 1, SPLICE_F_GIFT));
		EXPECT_EQ(EFAULT, errno);
	}
	ASSERT_EQ(0, ioctl(pfd[0], FIONREAD, &avail));
	EXPECT_EQ(0, avail);

	/* write() from the mapping and read() into it copy: they work. */
	EXPECT_EQ((ssize_t)self->ps, write(pfd[1], p, self->ps));
	EXPECT_EQ((ssize_t)self->ps, read(pfd[0], buf, self->ps));
	EXPECT_EQ(self->ps, pb_pattern_diff(buf, self->ps, PB_F14_TAG));
	memset(buf, 0xa5, len);
	EXPECT_EQ((ssize_t)len, write(pfd[1], buf, len));
	EXPECT_EQ((ssize_t)self->ps, read(pfd[0], p, self->ps));
	/* vmsplice() from the pipe into the mapping is a copy too. */
	iov = (struct iovec){ .iov_base = p + self->ps, .iov_len = self->ps };
	EXPECT_EQ((ssize_t)self->ps, vmsplice(pfd[0], &iov, 1, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, memcmp(p, buf, len));

	close(pfd[0]);
	close(pfd[1]);
	free(buf);
	pb_pattern(p, len, PB_F14_TAG);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* --- Other processes' views of a mapping --- */

/*
 * A child that maps the run through the open file it shares with the test,
 * reports the address of its mapping and waits (for a byte or EOF on a
 * pipe) before it unmaps and exits 0.
 */
struct pb_target {
	pid_t pid;
	char *addr;		/* the child's mapping of the run */
	int go;			/* closing it lets the child finish */
};

static int pb_target_start(int fd, const struct palloc_ioc_alloc *a, struct pb_target *t)
{
	int up[2], down[2];
	char c;

	if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		char *q = pb_map(fd, a->offset, a->npages);

		close(up[0]);
		close(down[1]);
		if (q == MAP_FAILED)
			_exit(2);
		if (write(up[1], &q, sizeof(q)) != sizeof(q))
			_exit(3);
		if (read(down[0], &c, 1) < 0)
			_exit(4);
		munmap(q, a->npages * pb_page_size());
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	t->go = down[1];
	if (read(up[0], &t->addr, sizeof(t->addr)) != sizeof(t->addr)) {
		close(up[0]);
		return -1;
	}
	close(up[0]);
	return 0;
}

/* Let the child finish: its wait status. */
static int pb_target_finish(struct pb_target *t)
{
	int status = -1;

	close(t->go);
	if (waitpid(t->pid, &status, 0) != t->pid)
		return -1;
	return status;
}

/* The pattern in ordinary memory, at the same address in a forked child. */
static __u64 pb_plain[512];

/*
 * process_vm_readv()/process_vm_writev() with another process's mapping as
 * the remote buffer: the remote pages are pinned and copied (EFAULT with
 * PFN mappings).  Our own mapping as the local buffer works either way: it
 * is copied to or from.
 */
TEST_F(pb, process_vm_readv_from_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	struct iovec local, remote;
	struct pb_target t;
	int status;
	char *p, *buf;
	ssize_t n;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	buf = calloc(1, len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pb_target_start(self->fd, &a, &t));

	/* Ordinary remote memory reads fine (the call works here). */
	local = (struct iovec){ .iov_base = buf, .iov_len = sizeof(pb_plain) };
	remote = (struct iovec){ .iov_base = pb_plain, .iov_len = sizeof(pb_plain) };
	n = process_vm_readv(t.pid, &local, 1, &remote, 1, 0);
	if (n < 0) {
		/* E.g. a kernel without CONFIG_CROSS_MEMORY_ATTACH. */
		int err = errno;

		pb_target_finish(&t);
		SKIP(return, "process_vm_readv of ordinary memory: %s", strerror(err));
	}
	EXPECT_EQ((ssize_t)sizeof(pb_plain), n);
	EXPECT_EQ(sizeof(pb_plain), pb_pattern_diff(buf, sizeof(pb_plain), 0x91a1));

	local = (struct iovec){ .iov_base = buf, .iov_len = len };
	remote = (struct iovec){ .iov_base = t.addr, .iov_len = len };
	if (pb_pages(self)) {
		/* The child's mapping as the remote buffer, both ways. */
		EXPECT_EQ((ssize_t)len, process_vm_readv(t.pid, &local, 1, &remote, 1, 0))
			TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		memset(buf, 0x5a, len);
		EXPECT_EQ((ssize_t)len, process_vm_writev(t.pid, &local, 1, &remote, 1, 0))
			TH_LOG("%s", strerror(errno));
		/* The child's mapping and ours are the same pages. */
		EXPECT_EQ(0, memcmp(p, buf, len));
		pb_pattern(p, len, PB_F14_TAG);
		/* Our own: the same path. */
		remote.iov_base = p;
		EXPECT_EQ((ssize_t)len, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
	} else {
		/* The child's mapping as the remote buffer: EFAULT, both ways. */
		errno = 0;
		EXPECT_EQ(-1, process_vm_readv(t.pid, &local, 1, &remote, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		memset(buf, 0x5a, len);
		errno = 0;
		EXPECT_EQ(-1, process_vm_writev(t.pid, &local, 1, &remote, 1, 0));
		EXPECT_EQ(EFAULT, errno);
		/* Our own: the same path. */
		remote.iov_base = p;
		errno = 0;
		EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_EQ(EFAULT, errno);
	}

	/* Our mapping as the local buffer is copied to and from: it works. */
	local = (struct iovec){ .iov_base = p, .iov_len = sizeof(pb_plain) };
	remote = (struct iovec){ .iov_base = pb_plain, .iov_len = sizeof(pb_plain) };
	EXPECT_EQ((ssize_t)sizeof(pb_plain), process_vm_readv(t.pid, &local, 1, &remote, 1, 0));
	EXPECT_EQ(sizeof(pb_plain), pb_pattern_diff(p, sizeof(pb_plain), 0x91a1));
	pb_pattern(p, len, PB_F14_TAG);
	EXPECT_EQ((ssize_t)sizeof(pb_plain), process_vm_writev(t.pid, &local, 1, &remote, 1, 0));

	status = pb_target_finish(&t);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	free(buf);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * /proc/PID/mem of a mapping, another process's or our own: read and write
 * work on struct pages, and fail with EIO on PFN mappings (no pages to pin,
 * no vm_ops->access).
 */
TEST_F(pb, proc_pid_mem_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	struct pb_target t;
	char path[64], *p, *buf;
	int mem, status;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	buf = calloc(1, len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, pb_target_start(self->fd, &a, &t));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t.pid);
	mem = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem) TH_LOG("%s: %s", path, strerror(errno));

	/* Ordinary memory of the child reads fine. */
	EXPECT_EQ((ssize_t)sizeof(pb_plain), pread(mem, buf, sizeof(pb_plain),
						   (off_t)(uintptr_t)pb_plain));
	EXPECT_EQ(sizeof(pb_plain), pb_pattern_diff(buf, sizeof(pb_plain), 0x91a1));

	if (pb_pages(self)) {
		EXPECT_EQ((ssize_t)len, pread(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		EXPECT_EQ(1, pread(mem, buf, 1, (off_t)(uintptr_t)t.addr + self->ps + 7));
		EXPECT_EQ(p[self->ps + 7], buf[0]);
		memset(buf, 0x5a, len);
		EXPECT_EQ((ssize_t)len, pwrite(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(0, memcmp(p, buf, len));
		pb_pattern(p, len, PB_F14_TAG);
	} else {
		errno = 0;
		EXPECT_EQ(-1, pread(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(EIO, errno);
		errno = 0;
		EXPECT_EQ(-1, pread(mem, buf, 1, (off_t)(uintptr_t)t.addr + self->ps + 7));
		EXPECT_EQ(EIO, errno);
		memset(buf, 0x5a, len);
		errno = 0;
		EXPECT_EQ(-1, pwrite(mem, buf, len, (off_t)(uintptr_t)t.addr));
		EXPECT_EQ(EIO, errno);
	}
	close(mem);

	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem);
	if (pb_pages(self)) {
		memset(buf, 0, len);
		EXPECT_EQ((ssize_t)len, pread(mem, buf, len, (off_t)(uintptr_t)p));
		EXPECT_EQ(len, pb_pattern_diff(buf, len, PB_F14_TAG));
		EXPECT_EQ(8, pwrite(mem, buf, 8, (off_t)(uintptr_t)p));
	} else {
		errno = 0;
		EXPECT_EQ(-1, pread(mem, buf, len, (off_t)(uintptr_t)p));
		EXPECT_EQ(EIO, errno);
		errno = 0;
		EXPECT_EQ(-1, pwrite(mem, buf, 8, (off_t)(uintptr_t)p));
		EXPECT_EQ(EIO, errno);
	}
	close(mem);

	status = pb_target_finish(&t);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	free(buf);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* ptrace(PTRACE_PEEKDATA/POKEDATA) of a mapping: as /proc/PID/mem. */
TEST_F(pb, ptrace_peek_poke_mapping)
{
	struct palloc_ioc_alloc a;
	struct pb_target t;
	int status;
	long word;
	char *p;

	p = pb_run_setup(_metadata, self, 1, PB_F14_TAG, &a);
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	ASSERT_EQ(0, pb_target_start(self->fd, &a, &t));
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, t.pid, NULL, NULL)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, t.pid, NULL, NULL));
	ASSERT_EQ(t.pid, waitpid(t.pid, &status, 0));
	ASSERT_TRUE(WIFSTOPPED(status)) TH_LOG("status %#x", status);

	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, t.pid, pb_plain, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ((long)pb_tag(0x91a1, 0), word);
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, t.pid, t.addr, NULL);
	if (pb_pages(self)) {
		EXPECT_EQ(0, errno);
		EXPECT_EQ((long)pb_tag(PB_F14_TAG, 0), word);
		EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, t.pid, t.addr, (void *)0x5a5a5a5aL));
		EXPECT_EQ(0x5a5a5a5aL, *(long *)p);
		pb_pattern(p, self->ps, PB_F14_TAG);
	} else {
		EXPECT_EQ(-1, word);
		EXPECT_EQ(EIO, errno);
		errno = 0;
		EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, t.pid, t.addr, (void *)0x5a5a5a5aL));
		EXPECT_EQ(EIO, errno);
	}

	ASSERT_EQ(0, ptrace(PTRACE_DETACH, t.pid, NULL, NULL));
	status = pb_target_finish(&t);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) TH_LOG("child status %#x", status);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * io_uring fixed buffers: registering the mapping fails.  With struct
 * pages the pin succeeds and io_pin_pages() then refuses file-backed
 * memory other than shmem and hugetlbfs with EOPNOTSUPP (6.1; device-dax
 * gets the same): the refusal must leave no page pinned, so the run goes
 * straight back to the allocator, nothing quarantined.  With PFN mappings
 * the pin itself fails: EFAULT.
 */
TEST_F(pb, io_uring_register_mapping)
{
	struct palloc_ioc_stats st;
	struct io_uring_params params;
	struct palloc_ioc_alloc a;
	struct iovec iov;
	char *p, *plain;
	int ring;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	memset(&params, 0, sizeof(params));
	ring = syscall(__NR_io_uring_setup, 4, &params);
	ASSERT_LE(0, ring) TH_LOG("io_uring_setup: %s", strerror(errno));

	/* Ordinary (anonymous) memory registers: the call works here. */
	plain = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, plain);
	iov = (struct iovec){ .iov_base = plain, .iov_len = 2 * self->ps };
	EXPECT_EQ(0, syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0));
	munmap(plain, 2 * self->ps);

	iov = (struct iovec){ .iov_base = p, .iov_len = 2 * self->ps };
	errno = 0;
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1));
	EXPECT_EQ(pb_pages(self) ? EOPNOTSUPP : EFAULT, errno);
	close(ring);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.pages_quarantined);
	EXPECT_EQ(0, st.quarantined);
}

/* --- madvise, mlock, msync --- */

/*
 * MADV_DONTNEED on a mapping of struct pages: the page-table entries go,
 * the next access maps the same pages again, so the data is intact.  On a
 * PFN mapping EINVAL (the kernel refuses it for VM_PFNMAP), nothing is
 * zapped.  Either way every page still reads and the mapping still holds
 * the run (FREE of a part of it is EBUSY).
 */
TEST_F(pb, madv_dontneed_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	char *p;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	if (pb_pages(self)) {
		EXPECT_EQ(0, madvise(p, len, MADV_DONTNEED)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
		EXPECT_EQ(0, madvise(p + self->ps, self->ps, MADV_DONTNEED));
		EXPECT_EQ(0, madvise(p, len, MADV_DONTNEED_LOCKED));
	} else {
		errno = 0;
		EXPECT_EQ(-1, madvise(p, len, MADV_DONTNEED));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, madvise(p + self->ps, self->ps, MADV_DONTNEED));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, madvise(p, len, MADV_DONTNEED_LOCKED));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, pb_probe_pages(p, len, self->ps));
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.owned_pages);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * The other advice: what drops, pages out, populates, poisons or changes
 * fork behaviour is refused; hints are accepted and change nothing.  (Advice
 * the kernel was built without, e.g. MADV_MERGEABLE without CONFIG_KSM, is
 * skipped with a note.)
 */
TEST_F(pb, madvise_other_advice)
{
	/*
	 * err: with PFN mappings; perr: with struct pages, where the kernel
	 * walks the page tables (MADV_COLD, MADV_PAGEOUT), populates them
	 * (MADV_POPULATE_*) and lets MADV_DOFORK clear VM_DONTCOPY.  -1:
	 * not tried there: MADV_HWPOISON and MADV_SOFT_OFFLINE would inject
	 * a memory error into a page of the pool (CAP_SYS_ADMIN only).
	 */
	static const struct {
		int advice, err, perr;
		const char *name;
	} cases[] = {
		{ MADV_FREE, EINVAL, EINVAL, "MADV_FREE" },
		{ MADV_REMOVE, ENODEV, ENODEV, "MADV_REMOVE" },
		{ MADV_COLD, EINVAL, 0, "MADV_COLD" },
		{ MADV_PAGEOUT, EINVAL, 0, "MADV_PAGEOUT" },
		{ MADV_POPULATE_READ, EINVAL, 0, "MADV_POPULATE_READ" },
		{ MADV_POPULATE_WRITE, EINVAL, 0, "MADV_POPULATE_WRITE" },
		{ MADV_HWPOISON, EFAULT, -1, "MADV_HWPOISON" },
		{ MADV_SOFT_OFFLINE, EFAULT, -1, "MADV_SOFT_OFFLINE" },
		{ MADV_DOFORK, EINVAL, 0, "MADV_DOFORK" },
		{ MADV_WIPEONFORK, EINVAL, EINVAL, "MADV_WIPEONFORK" },
		{ MADV_NORMAL, 0, 0, "MADV_NORMAL" },
		{ MADV_RANDOM, 0, 0, "MADV_RANDOM" },
		{ MADV_SEQUENTIAL, 0, 0, "MADV_SEQUENTIAL" },
		{ MADV_WILLNEED, 0, 0, "MADV_WILLNEED" },
		{ MADV_DONTFORK, 0, 0, "MADV_DONTFORK" },
		{ MADV_KEEPONFORK, 0, 0, "MADV_KEEPONFORK" },
		{ MADV_DONTDUMP, 0, 0, "MADV_DONTDUMP" },
		{ MADV_HUGEPAGE, 0, 0, "MADV_HUGEPAGE" },
		{ MADV_NOHUGEPAGE, 0, 0, "MADV_NOHUGEPAGE" },
		{ MADV_MERGEABLE, 0, 0, "MADV_MERGEABLE" },
		{ MADV_UNMERGEABLE, 0, 0, "MADV_UNMERGEABLE" },
	};
	size_t len = 4 * self->ps, k;
	struct palloc_ioc_alloc a;
	int got, want;
	char *p;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	for (k = 0; k < PB_ARRAY_SIZE(cases); k++) {
		want = cases[k].err;
		if (pb_pages(self))
			want = cases[k].perr;
		if (want < 0)
			continue;
		/* Length 0 only asks whether the kernel knows the advice at all. */
		if (madvise(p, 0, cases[k].advice)) {
			TH_LOG("%s: unknown to this kernel (%s)", cases[k].name, strerror(errno));
			continue;
		}
		got = 0;
		if (madvise(p, len, cases[k].advice))
			got = errno;
		EXPECT_EQ(want, got) TH_LOG("%s: %s, want %s", cases[k].name,
					    strerror(got), strerror(want));
		EXPECT_EQ(0, pb_probe_pages(p, len, self->ps)) TH_LOG("after %s", cases[k].name);
	}
	EXPECT_EQ(len, pb_pattern_diff(p, len, PB_F14_TAG));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mlock()/munlock() succeed and change nothing (the pages are never
 * swapped anyway); msync(MS_SYNC) fails with EINVAL (the device has no
 * fsync: there is nothing behind the pages to write back); MS_ASYNC and
 * MS_INVALIDATE succeed.
 */
TEST_F(pb, mlock_msync_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	char *p;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	EXPECT_EQ(0, mlock(p, len)) TH_LOG("mlock: %s", strerror(errno));
	EXPECT_EQ(0, munlock(p, len));
	errno = 0;
	EXPECT_EQ(-1, msync(p, len, MS_SYNC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, msync(p, len, MS_ASYNC)) TH_LOG("MS_ASYNC: %s", strerror(errno));
	EXPECT_EQ(0, msync(p, len, MS_INVALIDATE)) TH_LOG("MS_INVALIDATE: %s", strerror(errno));
	EXPECT_EQ(0, pb_probe_pages(p, len, self->ps));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/* --- fork, mprotect, mremap, mmap flags --- */

/*
 * fork() with a live mapping: the child does not have it (SIGSEGV at the
 * address), but it shares the open file and so may map the run itself and
 * see and change the same pages; its exit (or its close() of the shared
 * file) frees nothing of the parent's.
 */
TEST_F(pb, fork_with_live_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	struct palloc_ioc_stats st;
	int status;
	pid_t pid;
	char *p, last;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	last = p[len - 1];
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c = 0, *q;

		if (pb_probe(p, 0, &c) != SIGSEGV)
			_exit(10);
		if (pb_probe(p + len - 1, 1, NULL) != SIGSEGV)
			_exit(11);
		q = pb_map(self->fd, a.offset, 4);
		if (q == MAP_FAILED)
			_exit(12);
		if (pb_pattern_diff(q, len, PB_F14_TAG) != len)
			_exit(13);
		if (pb_free(self->fd, a.offset, 3) != EBUSY)
			_exit(14);
		close(self->fd);
		q[len - 1] = (char)~last;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child status %#x (10/11: no SIGSEGV, 12: mmap, 13: data, 14: FREE)",
		       status);
	/* The child's store reached the same page. */
	EXPECT_EQ((char)~last, p[len - 1]);
	p[len - 1] = last;
	/* Its exit freed nothing: the run is ours, and still busy with our mapping. */
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(4, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse + 4, st.pages_inuse);
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 3));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mprotect() works as on any shared file mapping: PROT_NONE and PROT_READ
 * make stores (and loads) fault with SIGSEGV, PROT_EXEC is allowed, and
 * the data is untouched throughout.
 */
TEST_F(pb, mprotect_mapping)
{
	size_t len = 2 * self->ps;
	struct palloc_ioc_alloc a;
	char *p, c;

	p = pb_run_setup(_metadata, self, 2, PB_F14_TAG, &a);
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_EXEC)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, pb_probe(p, 0, &c));
	EXPECT_EQ(SIGSEGV, pb_probe(p, 1, NULL));
	ASSERT_EQ(0, mprotect(p, len, PROT_NONE));
	EXPECT_EQ(SIGSEGV, pb_probe(p + self->ps, 0, &c));
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(0, pb_probe(p + self->ps, 0, &c));
	ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mremap(): growing fails with EFAULT (the mapping cannot expand, even
 * over pages the file owns), MREMAP_DONTUNMAP with EINVAL, duplicating
 * (old_size 0) with EFAULT; shrinking works and, like a partial munmap(),
 * keeps the whole run busy until the rest is unmapped.
 */
TEST_F(pb, mremap_mapping)
{
	size_t len = 4 * self->ps;
	struct palloc_ioc_alloc a;
	char *p, *q;

	p = pb_run_setup(_metadata, self, 8, PB_F14_TAG, &a);
	/* Map the first half only: the second half is owned, yet no growth. */
	ASSERT_EQ(0, munmap(p + len, len));
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, 2 * len, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, 0, len, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP));
	EXPECT_EQ(EINVAL, errno);

	q = mremap(p, len, self->ps, 0);
	ASSERT_EQ(p, q) TH_LOG("shrink: %s", strerror(errno));
	EXPECT_EQ(self->ps, pb_pattern_diff(p, self->ps, PB_F14_TAG));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset, 7));
	EXPECT_EQ(EBUSY, pb_free(self->fd, a.offset + 7 * self->ps, 1));
	ASSERT_EQ(0, munmap(p, self->ps));
	/* All unmapped: the whole run (with the data) is free to map again. */
	p = pb_map(self->fd, a.offset, 8);
	ASSERT_NE(MAP_FAILED, p);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * mmap() as a new user might call it: MAP_PRIVATE is EINVAL; an offset
 * that is not page aligned or a length of 0 is EINVAL (mmap() itself);
 * a length is rounded up to whole pages, and pages the file does not own
 * (past the run) are EACCES; past the range EINVAL; MAP_SHARED_VALIDATE
 * works, with MAP_SYNC it is EOPNOTSUPP; MAP_HUGETLB is EINVAL; PROT_EXEC,
 * PROT_NONE, MAP_POPULATE and MAP_LOCKED work.
 */
TEST_F(pb, mmap_new_user)
{
	static const struct {
		int prot, flags, err;
		const char *name;
	} cases[] = {
		{ PROT_READ | PROT_WRITE, MAP_PRIVATE, EINVAL, "MAP_PRIVATE" },
		{ PROT_READ, MAP_PRIVATE, EINVAL, "MAP_PRIVATE read-only" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, 0, "MAP_SHARED_VALIDATE" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, EOPNOTSUPP, "MAP_SYNC" },
		{ PROT_READ | PROT_EXEC, MAP_SHARED, 0, "PROT_EXEC" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, 0, "MAP_POPULATE" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, 0, "MAP_LOCKED" },
		{ PROT_NONE, MAP_SHARED, 0, "PROT_NONE" },
		{ PROT_READ | PROT_WRITE, MAP_SHARED | MAP_HUGETLB, EINVAL, "MAP_HUGETLB" },
	};
	struct palloc_ioc_alloc a;
	size_t k;
	void *q;
	char *p;
	int got;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	for (k = 0; k < PB_ARRAY_SIZE(cases); k++) {
		q = mmap(NULL, 4 * self->ps, cases[k].prot, cases[k].flags, self->fd,
			 (off_t)a.offset);
		got = q == MAP_FAILED ? errno : 0;
		EXPECT_EQ(cases[k].err, got) TH_LOG("%s: %s, want %s", cases[k].name,
						    strerror(got), strerror(cases[k].err));
		if (q != MAP_FAILED) {
			if (cases[k].prot & PROT_READ)
				EXPECT_EQ(4 * self->ps,
					  pb_pattern_diff(q, 4 * self->ps, PB_F14_TAG));
			EXPECT_EQ(0, munmap(q, 4 * self->ps));
		}
	}
	/* A length is rounded up to whole pages, each of which must be owned. */
	q = mmap(NULL, 4 * self->ps - 100, PROT_READ, MAP_SHARED, self->fd, (off_t)a.offset);
	EXPECT_NE(MAP_FAILED, q);
	if (q != MAP_FAILED)
		EXPECT_EQ(0, munmap(q, 4 * self->ps - 100));
	q = mmap(NULL, 4 * self->ps + 1, PROT_READ, MAP_SHARED, self->fd, (off_t)a.offset);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset + 1, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset + self->ps / 2, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, a.offset, 0, MAP_SHARED));
	EXPECT_EQ(EACCES, pb_map_errno(self->fd, a.offset, 5, MAP_SHARED));
	EXPECT_EQ(EACCES, pb_map_errno(self->fd, a.offset + 4 * self->ps, 1, MAP_SHARED));
	EXPECT_EQ(EINVAL, pb_map_errno(self->fd, self->info.npages * self->ps, 1, MAP_SHARED));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * The open mode decides only what mappings may do: a file opened O_RDONLY
 * or O_WRONLY uses every ioctl (the ioctls do not look at the mode); an
 * O_RDONLY file maps read-only (PROT_WRITE is EACCES, as for any file);
 * an O_WRONLY file cannot be mapped at all (EACCES: mmap() needs a file
 * open for reading).
 */
TEST_F(pb, open_modes)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	struct palloc_ioc_scavenge sc;
	struct palloc_ioc_info info;
	struct palloc_ioc_stats st;
	struct palloc_ioc_alloc a;
	__u64 seen = 0;
	size_t k;
	void *q;
	int fd;

	for (k = 0; k < PB_ARRAY_SIZE(modes); k++) {
		fd = open(PB_DEV, modes[k] | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, pb_ioctl(fd, PALLOC_IOC_INFO, &info));
		ASSERT_EQ(0, pb_alloc(fd, 2, 0, 0, &a));
		EXPECT_EQ(0, pb_stats(fd, &st));
		EXPECT_EQ(2, st.owned_pages);
		sc = (struct palloc_ioc_scavenge){ .npages = 1 };
		EXPECT_EQ(0, pb_ioctl(fd, PALLOC_IOC_SCAVENGE, &sc));
		EXPECT_EQ(EACCES, pb_map_errno(fd, a.offset, 2, MAP_SHARED));
		q = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, fd, (off_t)a.offset);
		if (modes[k] == O_RDONLY) {
			ASSERT_NE(MAP_FAILED, q) TH_LOG("%s", strerror(errno));
			EXPECT_EQ(2 * self->ps, pb_first_nonzero(q, 2 * self->ps));
			EXPECT_EQ(EBUSY, pb_free(fd, a.offset, 1));
			EXPECT_EQ(0, munmap(q, 2 * self->ps));
		} else {
			EXPECT_EQ(MAP_FAILED, q);
			EXPECT_EQ(EACCES, errno);
		}
		EXPECT_EQ(0, pb_free(fd, a.offset, 2));
		ASSERT_EQ(0, pb_alloc(fd, 3, 0, 0, &a));
		close(fd);	/* frees the second run */
		EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
			TH_LOG("pages_inuse %llu, baseline %llu", seen, self->base.pages_inuse);
	}
}

/*
 * The device file besides ioctl and mmap: read() and write() fail with
 * EINVAL, and so do pread(), pwrite(), fsync(), ftruncate() and splice()
 * out of it;
 * fallocate() is ENODEV; lseek() succeeds and does nothing (returns 0);
 * poll() reports it always ready.
 */
TEST_F(pb, device_file_io)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN | POLLOUT };
	char buf[64] = { 0 };
	int pipefd[2];

	errno = 0;
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, fsync(self->fd));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ftruncate(self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	errno = 0;
	EXPECT_EQ(-1, splice(self->fd, NULL, pipefd[1], NULL, 4096, SPLICE_F_NONBLOCK));
	EXPECT_EQ(EINVAL, errno);
	close(pipefd[0]);
	close(pipefd[1]);
	errno = 0;
	EXPECT_EQ(-1, fallocate(self->fd, 0, 0, 4096));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, lseek(self->fd, 4096, SEEK_SET));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents & (POLLIN | POLLOUT));
}

/*
 * What /proc shows: the mapping in /proc/PID/maps with the device's path
 * and the run's offset; in smaps VmFlags with dc (not copied on fork), de
 * (not expandable), dd (not in core dumps), and mm (mixed map: struct
 * pages, and hg where 2 MiB entries are used) or io and pf (PFN map).  Rss
 * counts grabbed RAM pages mapped (they are refcounted like file pages);
 * ZONE_DEVICE pages and PFNs are not counted as the process's memory.
 */
TEST_F(pb, mapping_in_proc)
{
	static const char * const pfn_flags[] = { " sh", " io", " dc", " de", " dd", " pf" };
	static const char * const page_flags[] = { " sh", " dc", " de", " dd", " mm" };
	const char * const *flags = pb_pages(self) ? page_flags : pfn_flags;
	size_t nflags = pb_pages(self) ? PB_ARRAY_SIZE(page_flags) : PB_ARRAY_SIZE(pfn_flags);
	unsigned long rss_kb = 0;
	char head[64], vmflags[256], *text, *entry, *line, *end;
	unsigned long long off = ~0ULL;
	struct palloc_ioc_alloc a;
	int fields;
	size_t k;
	char *p;

	p = pb_run_setup(_metadata, self, 3, PB_F14_TAG, &a);
	snprintf(head, sizeof(head), "%lx-%lx ", (unsigned long)p,
		 (unsigned long)(p + 3 * self->ps));

	text = pb_slurp("/proc/self/maps");
	ASSERT_NE(NULL, text);
	line = strstr(text, head);
	ASSERT_NE(NULL, line) TH_LOG("no %s in /proc/self/maps", head);
	end = strchr(line, '\n');
	if (end)
		*end = '\0';
	fields = sscanf(line + strlen(head), "rw-s %llx", &off);
	EXPECT_EQ(1, fields) TH_LOG("%s", line);
	EXPECT_EQ(a.offset, off) TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " " PB_DEV)) TH_LOG("%s", line);
	free(text);

	text = pb_slurp("/proc/self/smaps");
	ASSERT_NE(NULL, text);
	entry = strstr(text, head);
	ASSERT_NE(NULL, entry);
	line = strstr(entry, "\nRss:");
	ASSERT_NE(NULL, line);
	if (pb_pages(self) && self->info.mode == PALLOC_MODE_GRABBED)
		rss_kb = 3 * self->ps / 1024;
	EXPECT_EQ(rss_kb, strtoul(line + strlen("\nRss:"), NULL, 10)) TH_LOG("%.40s", line + 1);
	line = strstr(entry, "\nVmFlags:");
	ASSERT_NE(NULL, line);
	snprintf(vmflags, sizeof(vmflags), "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
	free(text);
	for (k = 0; k < nflags; k++) {
		bool has = strstr(vmflags, flags[k]);

		EXPECT_TRUE(has) TH_LOG("%s lacks%s", vmflags, flags[k]);
	}
	if (self->info.features & PALLOC_FEATURE_HUGE)
		EXPECT_NE(NULL, strstr(vmflags, " hg")) TH_LOG("%s lacks hg", vmflags);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * futex(2) on a word in a mapping: a shared futex (no FUTEX_PRIVATE_FLAG)
 * fails with EFAULT, to wait and to wake: its key needs a page of an
 * address space (anonymous or page cache), and the pages have none (with
 * PFN mappings there is no page to pin at all); a private futex works
 * (threads of one process).
 */
TEST_F(pb, futex_on_mapping)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
	struct palloc_ioc_alloc a;
	__u32 *w;
	char *p;

	p = pb_run_setup(_metadata, self, 1, PB_F14_TAG, &a);
	w = (__u32 *)(p + 64);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT, *w, &ts, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT, *w + 1, &ts, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, *w, &ts, NULL, 0));
	EXPECT_EQ(ETIMEDOUT, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, *w + 1, &ts, NULL, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}

/*
 * The ioctls' argument structures may live in a mapping (the kernel copies
 * them like any user memory); FREE of the run holding its own argument
 * drops the file's hold, and the mapping keeps the run.
 */
TEST_F(pb, ioctl_args_in_mapping)
{
	struct palloc_ioc_stats st, *stp;
	struct palloc_ioc_alloc a, *ap;
	struct palloc_ioc_info *ip;
	struct palloc_ioc_free *fp;
	char *p, *q;

	ASSERT_EQ(0, pb_alloc(self->fd, 1, 0, 0, &a));
	p = pb_map(self->fd, a.offset, 1);
	ASSERT_NE(MAP_FAILED, p);
	ip = (struct palloc_ioc_info *)p;
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, ip));
	EXPECT_EQ(self->info.npages, ip->npages);
	ap = (struct palloc_ioc_alloc *)(p + 256);
	memset(ap, 0, sizeof(*ap));
	ap->npages = 3;
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_ALLOC, ap));
	EXPECT_EQ(3, ap->npages);
	q = pb_map(self->fd, ap->offset, 3);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(3 * self->ps, pb_first_nonzero(q, 3 * self->ps));
	ASSERT_EQ(0, munmap(q, 3 * self->ps));
	stp = (struct palloc_ioc_stats *)(p + 512);
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_STATS, stp));
	EXPECT_EQ(4, stp->owned_pages);
	fp = (struct palloc_ioc_free *)(p + 1024);
	*fp = (struct palloc_ioc_free){ .offset = ap->offset, .npages = 3 };
	EXPECT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_FREE, fp));
	*fp = (struct palloc_ioc_free){ .offset = a.offset, .npages = 1 };
	EXPECT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_FREE, fp));
	EXPECT_EQ(a.offset, fp->offset);
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_STATS, stp));
	EXPECT_EQ(1, stp->pages_held);
	ASSERT_EQ(0, munmap(p, self->ps));
	EXPECT_EQ(EINVAL, pb_free(self->fd, a.offset, 1));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.pages_inuse, st.pages_inuse);
}

/*
 * /proc/PID/pagemap of a mapping of struct pages: present, with the frame
 * number for CAP_SYS_ADMIN (it equals palloc_ioc_alloc.phys).  The kernel
 * does not walk PFN mappings: there every page reads as not present and
 * without a frame number, even for CAP_SYS_ADMIN, and
 * palloc_ioc_alloc.phys is the only way to the physical address.
 */
TEST_F(pb, mapping_pagemap)
{
	const __u64 present = 1ULL << 63, pfn_mask = (1ULL << 55) - 1;
	struct palloc_ioc_alloc a;
	__u64 e, i;
	char *p;
	int pm;

	p = pb_run_setup(_metadata, self, 4, PB_F14_TAG, &a);
	ASSERT_NE(0, a.phys);
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, pm);
	for (i = 0; i < 4; i++) {
		off_t at = (off_t)((uintptr_t)(p + i * self->ps) / self->ps * 8);

		ASSERT_EQ(8, pread(pm, &e, 8, at));
		if (pb_pages(self)) {
			EXPECT_TRUE(e & present) TH_LOG("page %llu: pagemap %#llx", i, e);
			EXPECT_EQ(a.phys / self->ps + i, e & pfn_mask)
				TH_LOG("page %llu: pagemap %#llx", i, e);
		} else {
			EXPECT_EQ(0, e & (present | pfn_mask))
				TH_LOG("page %llu: pagemap %#llx", i, e);
		}
	}
	/* Ordinary memory is shown (the reader works here). */
	pb_pattern(pb_plain, sizeof(pb_plain), 0x91a1);
	ASSERT_EQ(8, pread(pm, &e, 8, (off_t)((uintptr_t)pb_plain / self->ps * 8)));
	EXPECT_TRUE(e & present) TH_LOG("pagemap %#llx", e);
	close(pm);
	pb_run_teardown(_metadata, self, p, &a, PB_F14_TAG);
}
