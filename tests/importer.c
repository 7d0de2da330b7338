// SPDX-License-Identifier: GPL-2.0
/*
 * importer - a real dma-buf importer writes into pallocbits buffers.
 *
 *   importer [--heap PATH] [--frames N] [--device /dev/videoN] [--demo]
 *   importer --mmap-only [--frames N] [--device /dev/videoN] [--demo]
 *
 * The importer is vivid, the V4L2 test driver of Debian's kernel, loaded with
 * its dma-contig allocator (allocators=1; tests/init.sh loads it).  vivid is
 * set to a solid "100% Red" test pattern without its on-screen text, so that
 * every byte of a frame is known: RGB24 ff 00 00 for every pixel.
 *
 * First, a frame is captured into vivid's own buffers (V4L2_MEMORY_MMAP) and
 * checked against that expectation: this checks vivid and the expectation
 * alone.  --mmap-only stops there.
 *
 * Then buffers come from the dma-heap node of pallocbits (--heap, default
 * /dev/dma_heap/pallocbits) with DMA_HEAP_IOCTL_ALLOC, are filled with a
 * poison byte through their mmap(), and are queued with V4L2_MEMORY_DMABUF.
 * vb2-dma-contig maps each one for vivid's device at VIDIOC_QBUF and refuses
 * a buffer whose scatterlist is not one contiguous DMA range ("contiguous
 * chunk is too small" in dmesg), so a QBUF that succeeds shows that the
 * importer sees each buffer as contiguous (without an IOMMU, as in the
 * guest, DMA addresses are physical ones; vivid's DMA mask is 32 bits, so
 * the guest keeps its RAM below 4 GiB).  How many sg entries that range
 * took is the exporter's to show: debugfs "runs", printed below.  vivid
 * then writes every frame through dma_buf_vmap() of the buffer.  Each dequeued frame must be red in
 * every pixel, equal byte for byte to the MMAP frame, with the poison still
 * in the tail past the frame; the buffer is poisoned again before it is
 * queued again, so that each frame checked is a new one.
 *
 * While the buffers are attached, /sys/kernel/debug/pallocbits/runs (when
 * the module has it) and /sys/kernel/debug/dma_buf/bufinfo are printed.
 *
 * Exit status: 0 PASS, 1 FAIL, 4 SKIP (no vivid capture device, no heap
 * node, or a heap node without DMA_HEAP_IOCTL_ALLOC).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/videodev2.h>

#define IMP_HEAP		"/dev/dma_heap/pallocbits"
#define IMP_RUNS		"/sys/kernel/debug/pallocbits/runs"
#define IMP_BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define IMP_VIVID_PARAMS	"/sys/module/vivid/parameters/allocators"
#define IMP_WIDTH		640
#define IMP_HEIGHT		360
#define IMP_NBUFS		3
#define IMP_MAX_BUFS		8
#define IMP_FRAMES		8
#define IMP_POISON		0x5a
#define IMP_PATTERN_CTRL	"Test Pattern"
#define IMP_PATTERN		"100% Red"
#define IMP_OSD_CTRL		"OSD Text Mode"
#define IMP_OSD_NONE		"None"
#define IMP_DQBUF_TIMEOUT_MS	20000
#define IMP_WATCHDOG_S		120
#define IMP_MAX_PRINT_LINES	40

#define EXIT_SKIP		4

#define IMP_QBUF_EINVAL \
	" (vb2-dma-contig refuses a buffer that is not one contiguous DMA range: see dmesg)"

/* The expected pixel: pure red in V4L2_PIX_FMT_RGB24 (bytes R, G, B). */
static const unsigned char imp_red[3] = { 0xff, 0x00, 0x00 };

struct imp_buf {
	int fd;			/* the dma-buf, -1 for MMAP buffers */
	unsigned char *map;
	size_t size;		/* bytes mapped */
};

struct importer {
	const char *heap;
	const char *device;
	unsigned int frames;
	bool demo;
	bool mmap_only;

	int vfd;
	char vpath[300];
	struct v4l2_capability cap;
	struct v4l2_format fmt;
	unsigned int width, height, bpl, sizeimage;

	unsigned char *ref;	/* the MMAP frame */
	struct imp_buf bufs[IMP_MAX_BUFS];
	unsigned int nbufs;
	bool failed;
};

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("importer: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

/* A failed check: report it, carry on where that makes sense. */
static void fail(struct importer *imp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("importer: FAIL ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
	imp->failed = true;
}

static void narrate(struct importer *imp, const char *fmt, ...)
{
	va_list ap;

	if (!imp->demo)
		return;
	va_start(ap, fmt);
	fputs("importer: [demo] ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static void on_alarm(int sig)
{
	static const char msg[] =
		"importer: FAIL no verdict after 120 s (a DQBUF or ioctl hung)\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Finding and setting up vivid                                         */
/* ------------------------------------------------------------------ */

static bool is_vivid_capture(const char *path, int *fdp, struct v4l2_capability *cap)
{
	__u32 caps;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	memset(cap, 0, sizeof(*cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, cap) < 0 ||
	    strcmp((const char *)cap->driver, "vivid") != 0) {
		close(fd);
		return false;
	}
	caps = (cap->capabilities & V4L2_CAP_DEVICE_CAPS) ? cap->device_caps :
							    cap->capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
		close(fd);
		return false;
	}
	*fdp = fd;
	return true;
}

/* The first vivid single-planar video capture node among /dev/video*. */
static bool find_vivid(struct importer *imp)
{
	struct dirent *de;
	int best = -1;
	DIR *dir;

	if (imp->device) {
		snprintf(imp->vpath, sizeof(imp->vpath), "%s", imp->device);
		return is_vivid_capture(imp->vpath, &imp->vfd, &imp->cap);
	}
	dir = opendir("/dev");
	if (!dir)
		return false;
	/* The lowest number wins, whatever order readdir() returns. */
	while ((de = readdir(dir))) {
		char path[300];
		int n, fd;

		if (strncmp(de->d_name, "video", 5) || !isdigit((unsigned char)de->d_name[5]))
			continue;
		n = atoi(de->d_name + 5);
		if (best >= 0 && n >= best)
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (!is_vivid_capture(path, &fd, &imp->cap))
			continue;
		if (best >= 0)
			close(imp->vfd);
		imp->vfd = fd;
		best = n;
		snprintf(imp->vpath, sizeof(imp->vpath), "%s", path);
	}
	closedir(dir);
	if (best >= 0)	/* QUERYCAP again: a later candidate may have overwritten cap */
		xioctl(imp->vfd, VIDIOC_QUERYCAP, &imp->cap);
	return best >= 0;
}

/*
 * vivid's allocator for this instance: allocators[N] of the module, N from
 * bus_info "platform:vivid-00N".  1 is dma-contig; -1 when unknown.
 */
static int vivid_allocator(struct importer *imp)
{
	const char *bus = (const char *)imp->cap.bus_info;
	const char *p = strstr(bus, "vivid-");
	char line[512], *s;
	int inst, i, val = -1;
	FILE *f;

	if (!p)
		return -1;
	inst = atoi(p + 6);
	f = fopen(IMP_VIVID_PARAMS, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		s = line;
		for (i = 0; s && i < inst; i++) {
			s = strchr(s, ',');
			if (s)
				s++;
		}
		if (s)
			val = atoi(s);
	}
	fclose(f);
	return val;
}

/* Find a control by name (the next-control walk covers private ones). */
static bool find_ctrl(int fd, const char *name, struct v4l2_queryctrl *qc)
{
	memset(qc, 0, sizeof(*qc));
	qc->id = V4L2_CTRL_FLAG_NEXT_CTRL;
	while (xioctl(fd, VIDIOC_QUERYCTRL, qc) == 0) {
		if (qc->type != V4L2_CTRL_TYPE_CTRL_CLASS &&
		    !(qc->flags & V4L2_CTRL_FLAG_DISABLED) &&
		    !strcmp((const char *)qc->name, name))
			return true;
		qc->id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	return false;
}

/* The index of the menu entry called @entry, or -1. */
static int find_menu(int fd, const struct v4l2_queryctrl *qc, const char *entry)
{
	struct v4l2_querymenu qm;
	int i;

	for (i = qc->minimum; i <= qc->maximum; i++) {
		memset(&qm, 0, sizeof(qm));
		qm.id = qc->id;
		qm.index = i;
		if (xioctl(fd, VIDIOC_QUERYMENU, &qm) == 0 &&
		    !strcmp((const char *)qm.name, entry))
			return i;
	}
	return -1;
}

static bool set_ctrl(struct importer *imp, __u32 id, int value, const char *what)
{
	struct v4l2_control c = { .id = id, .value = value };

	if (xioctl(imp->vfd, VIDIOC_S_CTRL, &c) < 0) {
		fail(imp, "VIDIOC_S_CTRL %s = %d: %s", what, value, strerror(errno));
		return false;
	}
	c.value = !value;
	if (xioctl(imp->vfd, VIDIOC_G_CTRL, &c) < 0 || c.value != value) {
		fail(imp, "control %s reads back %d, not %d", what, c.value, value);
		return false;
	}
	return true;
}

/* A menu control, found by name, set to the entry called @entry. */
static bool set_menu_by_name(struct importer *imp, const char *name, const char *entry)
{
	struct v4l2_queryctrl qc;
	int idx;

	if (!find_ctrl(imp->vfd, name, &qc) || qc.type != V4L2_CTRL_TYPE_MENU) {
		fail(imp, "vivid has no menu control \"%s\"", name);
		return false;
	}
	idx = find_menu(imp->vfd, &qc, entry);
	if (idx < 0) {
		fail(imp, "control \"%s\" has no entry \"%s\"", name, entry);
		return false;
	}
	return set_ctrl(imp, qc.id, idx, name);
}

/*
 * Controls that draw over the pattern, set to their harmless value when the
 * device has them (each one's default is that value already).
 */
static bool set_optional(struct importer *imp, const char *name, int value)
{
	struct v4l2_queryctrl qc;

	if (!find_ctrl(imp->vfd, name, &qc))
		return true;
	return set_ctrl(imp, qc.id, value, name);
}

static bool setup_vivid(struct importer *imp)
{
	struct v4l2_format *f = &imp->fmt;
	struct v4l2_queryctrl qc;
	int input = 0, idx;

	if (xioctl(imp->vfd, VIDIOC_S_INPUT, &input) < 0) {
		fail(imp, "VIDIOC_S_INPUT 0: %s", strerror(errno));
		return false;
	}
	memset(f, 0, sizeof(*f));
	f->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f->fmt.pix.width = IMP_WIDTH;
	f->fmt.pix.height = IMP_HEIGHT;
	f->fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
	f->fmt.pix.field = V4L2_FIELD_NONE;
	if (xioctl(imp->vfd, VIDIOC_S_FMT, f) < 0) {
		fail(imp, "VIDIOC_S_FMT RGB24 %ux%u: %s", IMP_WIDTH, IMP_HEIGHT, strerror(errno));
		return false;
	}
	if (f->fmt.pix.pixelformat != V4L2_PIX_FMT_RGB24 ||
	    f->fmt.pix.field != V4L2_FIELD_NONE) {
		fail(imp, "vivid chose pixelformat %.4s field %u instead of RGB24, progressive",
		     (const char *)&f->fmt.pix.pixelformat, f->fmt.pix.field);
		return false;
	}
	imp->width = f->fmt.pix.width;
	imp->height = f->fmt.pix.height;
	imp->bpl = f->fmt.pix.bytesperline;
	imp->sizeimage = f->fmt.pix.sizeimage;
	if (!imp->width || !imp->height || imp->bpl < imp->width * 3 ||
	    imp->sizeimage < imp->bpl * imp->height) {
		fail(imp, "odd format: %ux%u, bytesperline %u, sizeimage %u",
		     imp->width, imp->height, imp->bpl, imp->sizeimage);
		return false;
	}

	/*
	 * The test pattern: V4L2_CID_TEST_PATTERN where a driver has it;
	 * vivid has its own control of that name (VIVID_CID_TEST_PATTERN).
	 */
	memset(&qc, 0, sizeof(qc));
	qc.id = V4L2_CID_TEST_PATTERN;
	if (xioctl(imp->vfd, VIDIOC_QUERYCTRL, &qc) < 0 &&
	    !find_ctrl(imp->vfd, IMP_PATTERN_CTRL, &qc)) {
		fail(imp, "vivid has neither V4L2_CID_TEST_PATTERN nor a \"%s\" control",
		     IMP_PATTERN_CTRL);
		return false;
	}
	idx = qc.type == V4L2_CTRL_TYPE_MENU ? find_menu(imp->vfd, &qc, IMP_PATTERN) : -1;
	if (idx < 0) {
		fail(imp, "control \"%s\" (0x%08x) has no menu entry \"%s\"", qc.name, qc.id,
		     IMP_PATTERN);
		return false;
	}
	if (!set_ctrl(imp, qc.id, idx, IMP_PATTERN_CTRL))
		return false;
	if (!set_menu_by_name(imp, IMP_OSD_CTRL, IMP_OSD_NONE))
		return false;
	return set_optional(imp, "Show Border", 0) &&
	       set_optional(imp, "Show Square", 0) &&
	       set_optional(imp, "Insert SAV Code in Image", 0) &&
	       set_optional(imp, "Insert EAV Code in Image", 0) &&
	       set_optional(imp, "Fill Percentage of Frame", 100);
}

/* ------------------------------------------------------------------ */
/* Frames                                                              */
/* ------------------------------------------------------------------ */

/*
 * Every pixel of a frame is imp_red (lines of bpl bytes, width pixels each;
 * padding bytes, if any, are not pixels and not checked).  Reports the first
 * wrong pixel and how many there are.
 */
static bool frame_is_red(struct importer *imp, const unsigned char *p, unsigned int bytesused,
			 const char *what)
{
	unsigned long bad = 0;
	unsigned int x, y;
	long first = -1;

	if (bytesused < imp->bpl * imp->height) {
		fail(imp, "%s: bytesused %u is less than a frame (%u)", what, bytesused,
		     imp->bpl * imp->height);
		return false;
	}
	for (y = 0; y < imp->height; y++) {
		const unsigned char *line = p + (size_t)y * imp->bpl;

		for (x = 0; x < imp->width; x++) {
			if (!memcmp(line + 3 * x, imp_red, 3))
				continue;
			if (first < 0)
				first = (long)y * imp->width + x;
			bad++;
		}
	}
	if (!bad)
		return true;
	y = first / imp->width;
	x = first % imp->width;
	fail(imp, "%s: %lu of %u pixels are not ff 00 00; the first, (%u,%u), is %02x %02x %02x",
	     what, bad, imp->width * imp->height, x, y, p[y * imp->bpl + 3 * x],
	     p[y * imp->bpl + 3 * x + 1], p[y * imp->bpl + 3 * x + 2]);
	return false;
}

static bool dqbuf(struct importer *imp, struct v4l2_buffer *b, __u32 memory)
{
	struct pollfd pfd = { .fd = imp->vfd, .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, IMP_DQBUF_TIMEOUT_MS);
	if (ret <= 0) {
		fail(imp, "no frame within %d ms (poll: %s)", IMP_DQBUF_TIMEOUT_MS,
		     ret ? strerror(errno) : "timed out");
		return false;
	}
	memset(b, 0, sizeof(*b));
	b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b->memory = memory;
	if (xioctl(imp->vfd, VIDIOC_DQBUF, b) < 0) {
		fail(imp, "VIDIOC_DQBUF: %s", strerror(errno));
		return false;
	}
	if (b->index >= imp->nbufs) {
		fail(imp, "VIDIOC_DQBUF returned index %u of %u buffers", b->index, imp->nbufs);
		return false;
	}
	if (b->flags & V4L2_BUF_FLAG_ERROR) {
		fail(imp, "buffer %u came back with V4L2_BUF_FLAG_ERROR", b->index);
		return false;
	}
	return true;
}

static bool reqbufs(struct importer *imp, __u32 memory, unsigned int count,
		    unsigned int *got)
{
	struct v4l2_requestbuffers rb = {
		.count = count,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = memory,
	};

	if (xioctl(imp->vfd, VIDIOC_REQBUFS, &rb) < 0) {
		fail(imp, "VIDIOC_REQBUFS %u %s: %s", count,
		     memory == V4L2_MEMORY_MMAP ? "MMAP" : "DMABUF", strerror(errno));
		return false;
	}
	if (got)
		*got = rb.count;
	return true;
}

static bool stream(struct importer *imp, bool on)
{
	int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;

	if (xioctl(imp->vfd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type) < 0) {
		fail(imp, "VIDIOC_STREAM%s: %s", on ? "ON" : "OFF", strerror(errno));
		return false;
	}
	return true;
}

/*
 * The reference: frames captured into vivid's own buffers (MMAP), each one
 * checked; the last is kept in imp->ref.
 */
static bool capture_mmap(struct importer *imp, unsigned int frames)
{
	struct v4l2_buffer b;
	unsigned int i, n;
	bool ok = false;

	if (!reqbufs(imp, V4L2_MEMORY_MMAP, 2, &n))
		return false;
	if (n < 1 || n > IMP_MAX_BUFS) {
		fail(imp, "VIDIOC_REQBUFS MMAP gave %u buffers", n);
		goto out_free;
	}
	imp->nbufs = n;
	for (i = 0; i < n; i++) {
		memset(&b, 0, sizeof(b));
		b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = i;
		if (xioctl(imp->vfd, VIDIOC_QUERYBUF, &b) < 0) {
			fail(imp, "VIDIOC_QUERYBUF %u: %s", i, strerror(errno));
			goto out_unmap;
		}
		imp->bufs[i].map = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED,
					imp->vfd, b.m.offset);
		if (imp->bufs[i].map == MAP_FAILED) {
			imp->bufs[i].map = NULL;
			fail(imp, "mmap of MMAP buffer %u: %s", i, strerror(errno));
			goto out_unmap;
		}
		imp->bufs[i].size = b.length;
		imp->bufs[i].fd = -1;
		if (xioctl(imp->vfd, VIDIOC_QBUF, &b) < 0) {
			fail(imp, "VIDIOC_QBUF MMAP %u: %s", i, strerror(errno));
			goto out_unmap;
		}
	}
	if (!stream(imp, true))
		goto out_unmap;
	for (i = 0; i < frames; i++) {
		char what[64];

		if (!dqbuf(imp, &b, V4L2_MEMORY_MMAP))
			goto out_off;
		snprintf(what, sizeof(what), "MMAP frame %u (sequence %u)", i, b.sequence);
		if (!frame_is_red(imp, imp->bufs[b.index].map, b.bytesused, what))
			goto out_off;
		memcpy(imp->ref, imp->bufs[b.index].map, imp->sizeimage);
		if (i + 1 < frames && xioctl(imp->vfd, VIDIOC_QBUF, &b) < 0) {
			fail(imp, "VIDIOC_QBUF MMAP %u again: %s", b.index, strerror(errno));
			goto out_off;
		}
	}
	say("vivid MMAP capture: %u frames of %ux%u RGB24 (%u bytes), every pixel ff 00 00",
	    frames, imp->width, imp->height, imp->sizeimage);
	ok = true;
out_off:
	if (!stream(imp, false))
		ok = false;
out_unmap:
	for (i = 0; i < n && i < IMP_MAX_BUFS; i++) {
		if (imp->bufs[i].map)
			munmap(imp->bufs[i].map, imp->bufs[i].size);
		imp->bufs[i].map = NULL;
	}
out_free:
	if (!reqbufs(imp, V4L2_MEMORY_MMAP, 0, NULL))
		ok = false;
	imp->nbufs = 0;
	return ok;
}

/* ------------------------------------------------------------------ */
/* dma-bufs from the heap                                              */
/* ------------------------------------------------------------------ */

static bool sync_dmabuf(struct importer *imp, struct imp_buf *buf, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	if (xioctl(buf->fd, DMA_BUF_IOCTL_SYNC, &s) < 0) {
		fail(imp, "DMA_BUF_IOCTL_SYNC %s%s on dma-buf fd %d: %s",
		     (flags & DMA_BUF_SYNC_END) ? "END" : "START",
		     (flags & DMA_BUF_SYNC_RW) == DMA_BUF_SYNC_READ ? "|READ" : "|WRITE",
		     buf->fd, strerror(errno));
		return false;
	}
	return true;
}

static bool poison(struct importer *imp, struct imp_buf *buf)
{
	if (!sync_dmabuf(imp, buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE))
		return false;
	memset(buf->map, IMP_POISON, buf->size);
	return sync_dmabuf(imp, buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
}

/*
 * Allocate one dma-buf.  Returns 0, EXIT_SKIP when the node has no
 * DMA_HEAP_IOCTL_ALLOC (ENOTTY, ENOENT), or 1.
 */
static int heap_alloc(struct importer *imp, int hfd, struct imp_buf *buf, size_t size)
{
	struct dma_heap_allocation_data d = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
		.heap_flags = 0,
	};
	size_t i;

	if (xioctl(hfd, DMA_HEAP_IOCTL_ALLOC, &d) < 0) {
		if (errno == ENOTTY || errno == ENOENT) {
			say("SKIP %s does not answer DMA_HEAP_IOCTL_ALLOC (%s)", imp->heap,
			    strerror(errno));
			return EXIT_SKIP;
		}
		fail(imp, "DMA_HEAP_IOCTL_ALLOC of %zu bytes from %s: %s", size, imp->heap,
		     strerror(errno));
		return 1;
	}
	buf->fd = d.fd;
	buf->size = size;
	buf->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, buf->fd, 0);
	if (buf->map == MAP_FAILED) {
		buf->map = NULL;
		fail(imp, "mmap of dma-buf fd %d (%zu bytes, MAP_SHARED): %s", buf->fd, size,
		     strerror(errno));
		return 1;
	}
	/* The heap hands out zeroed buffers. */
	if (!sync_dmabuf(imp, buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
		return 1;
	for (i = 0; i < size && !buf->map[i]; i++)
		;
	if (!sync_dmabuf(imp, buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ))
		return 1;
	if (i < size) {
		fail(imp, "dma-buf fd %d is not zeroed: byte %zu is %02x", buf->fd, i,
		     buf->map[i]);
		return 1;
	}
	return poison(imp, buf) ? 0 : 1;
}

static void print_file(struct importer *imp, const char *path, const char *label)
{
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		if (imp->demo || errno != ENOENT)
			say("%s: %s: %s", label, path, strerror(errno));
		return;
	}
	say("%s (%s), while the buffers are attached to vivid:", label, path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (n++ == IMP_MAX_PRINT_LINES) {
			say("  ... (more lines not shown)");
			break;
		}
		say("  %s", line);
	}
	fclose(f);
}

/*
 * Lines of debugfs "runs" that show an attachment of vivid mapped as one
 * segment, or -1 without the file.
 */
static int single_segment_attachments(void)
{
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen(IMP_RUNS, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "attachment vivid ") && strstr(line, " segments 1 mapped"))
			n++;
	fclose(f);
	return n;
}

static bool qbuf_dmabuf(struct importer *imp, unsigned int i)
{
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_DMABUF,
		.index = i,
		.length = imp->bufs[i].size,
	};

	b.m.fd = imp->bufs[i].fd;
	if (xioctl(imp->vfd, VIDIOC_QBUF, &b) < 0) {
		fail(imp, "VIDIOC_QBUF of dma-buf fd %d (%zu bytes) as buffer %u: %s%s",
		     imp->bufs[i].fd, imp->bufs[i].size, i, strerror(errno),
		     errno == EINVAL ? IMP_QBUF_EINVAL : "");
		return false;
	}
	return true;
}

/* One dequeued dma-buf frame: red, equal to the MMAP frame, tail untouched. */
static bool check_dmabuf_frame(struct importer *imp, const struct v4l2_buffer *b,
			       unsigned int k)
{
	struct imp_buf *buf = &imp->bufs[b->index];
	char what[96];
	bool ok = true;
	size_t i;

	snprintf(what, sizeof(what), "dma-buf frame %u (buffer %u, fd %d, sequence %u)", k,
		 b->index, buf->fd, b->sequence);
	if (b->bytesused != imp->sizeimage) {
		fail(imp, "%s: bytesused %u, not sizeimage %u", what, b->bytesused, imp->sizeimage);
		return false;
	}
	if (!sync_dmabuf(imp, buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ))
		return false;
	if (!frame_is_red(imp, buf->map, b->bytesused, what))
		ok = false;
	if (ok && memcmp(buf->map, imp->ref, imp->sizeimage)) {
		for (i = 0; buf->map[i] == imp->ref[i]; i++)
			;
		fail(imp, "%s differs from the MMAP frame at byte %zu (%02x, not %02x)", what, i,
		     buf->map[i], imp->ref[i]);
		ok = false;
	}
	for (i = b->bytesused; ok && i < buf->size; i++) {
		if (buf->map[i] != IMP_POISON) {
			fail(imp, "%s: byte %zu past bytesused is %02x, not the poison %02x",
			     what, i, buf->map[i], IMP_POISON);
			ok = false;
		}
	}
	if (imp->demo && k == 0) {
		narrate(imp, "vivid (dma-contig) captured frame %u into dma-buf fd %d (buffer %u)",
			k, buf->fd, b->index);
		narrate(imp, "  first pixels: %02x %02x %02x | %02x %02x %02x | %02x %02x %02x ...",
			buf->map[0], buf->map[1], buf->map[2], buf->map[3], buf->map[4],
			buf->map[5], buf->map[6], buf->map[7], buf->map[8]);
		narrate(imp, "  all %u pixels red (ff 00 00) and as in the MMAP frame: %s",
			imp->width * imp->height, ok ? "yes" : "no");
	} else if (imp->demo) {
		narrate(imp, "frame %u into dma-buf fd %d (buffer %u): all pixels red: %s", k,
			buf->fd, b->index, ok ? "yes" : "no");
	}
	if (!sync_dmabuf(imp, buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ))
		return false;
	return ok;
}

/* Returns 0, 1 or EXIT_SKIP. */
static int capture_dmabuf(struct importer *imp)
{
	struct v4l2_buffer b;
	unsigned int i, k, n = 0;
	int hfd, ret = 1;
	long page = sysconf(_SC_PAGESIZE);
	size_t size = ((size_t)imp->sizeimage + page - 1) / page * page;

	hfd = open(imp->heap, O_RDWR | O_CLOEXEC);
	if (hfd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO) {
			say("SKIP no dma-heap node %s (%s)", imp->heap, strerror(errno));
			return EXIT_SKIP;
		}
		fail(imp, "open %s: %s", imp->heap, strerror(errno));
		return 1;
	}
	for (i = 0; i < IMP_MAX_BUFS; i++)
		imp->bufs[i] = (struct imp_buf){ .fd = -1 };

	if (!reqbufs(imp, V4L2_MEMORY_DMABUF, IMP_NBUFS, &n))
		goto out_close;
	if (n < 1 || n > IMP_MAX_BUFS) {
		fail(imp, "VIDIOC_REQBUFS DMABUF gave %u buffers", n);
		goto out_reqbufs;
	}
	imp->nbufs = n;
	for (i = 0; i < n; i++) {
		ret = heap_alloc(imp, hfd, &imp->bufs[i], size);
		if (ret)
			goto out_reqbufs;
	}
	ret = 1;
	narrate(imp, "allocated %u dma-bufs of %zu bytes (%zu pages) from %s",
		n, size, size / page, imp->heap);
	narrate(imp, "each read as zero, then got the poison byte %02x through its mmap()",
		IMP_POISON);
	for (i = 0; i < n; i++)
		if (!qbuf_dmabuf(imp, i))
			goto out_reqbufs;
	say("vb2-dma-contig mapped %u dma-bufs of %zu bytes at VIDIOC_QBUF: each is contiguous",
	    n, size);
	if (!stream(imp, true))
		goto out_reqbufs;
	for (k = 0; k < imp->frames; k++) {
		if (!dqbuf(imp, &b, V4L2_MEMORY_DMABUF))
			goto out_off;
		if (!check_dmabuf_frame(imp, &b, k))
			goto out_off;
		if (k == 0) {
			int segs = single_segment_attachments();

			print_file(imp, IMP_RUNS, "pallocbits runs");
			print_file(imp, IMP_BUFINFO, "dma-bufs");
			/* The exporter's view: one sg entry per buffer. */
			if (segs >= 0 && segs != (int)n) {
				fail(imp, "%d of %u buffers attached to vivid as one segment",
				     segs, n);
				goto out_off;
			}
			if (segs >= 0)
				say("each of the %u dma-bufs is one sg segment for vivid", n);
		}
		if (!poison(imp, &imp->bufs[b.index]) || !qbuf_dmabuf(imp, b.index))
			goto out_off;
	}
	ret = 0;
out_off:
	if (!stream(imp, false))
		ret = 1;
out_reqbufs:
	if (!reqbufs(imp, V4L2_MEMORY_DMABUF, 0, NULL))
		ret = 1;
	for (i = 0; i < IMP_MAX_BUFS; i++) {
		if (imp->bufs[i].map)
			munmap(imp->bufs[i].map, imp->bufs[i].size);
		if (imp->bufs[i].fd >= 0)
			close(imp->bufs[i].fd);
		imp->bufs[i] = (struct imp_buf){ .fd = -1 };
	}
	imp->nbufs = 0;
out_close:
	close(hfd);
	if (ret == 0 && imp->failed)
		ret = 1;
	if (ret == 0) {
		say("PASS %u frames by vivid (dma-contig) into %u dma-bufs of %zu bytes from %s",
		    imp->frames, n, size, imp->heap);
		say("  every pixel ff 00 00, as in the MMAP frame; poison intact past it");
		narrate(imp, "all pixels red: yes");
	}
	return ret;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: importer [--heap PATH] [--frames N] [--device /dev/videoN] [--demo]\n"
		"       importer --mmap-only [--frames N] [--device /dev/videoN] [--demo]\n"
		"Exit: 0 PASS, 1 FAIL, 4 SKIP (no vivid capture node or no dma-heap).\n");
}

int main(int argc, char **argv)
{
	struct importer imp = {
		.heap = IMP_HEAP,
		.frames = IMP_FRAMES,
		.vfd = -1,
	};
	int i, alloc, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			imp.heap = argv[++i];
		} else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
			imp.frames = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			imp.device = argv[++i];
		} else if (!strcmp(argv[i], "--demo")) {
			imp.demo = true;
		} else if (!strcmp(argv[i], "--mmap-only")) {
			imp.mmap_only = true;
		} else {
			print_usage();
			return 2;
		}
	}
	if (!imp.frames || imp.frames > 10000) {
		print_usage();
		return 2;
	}
	signal(SIGALRM, on_alarm);
	alarm(IMP_WATCHDOG_S);

	if (!find_vivid(&imp)) {
		say("SKIP no vivid video capture node%s%s (is vivid loaded?)",
		    imp.device ? " at " : " among /dev/video*", imp.device ? imp.device : "");
		return EXIT_SKIP;
	}
	alloc = vivid_allocator(&imp);
	say("vivid capture node %s (%s, %s), allocator %s", imp.vpath, imp.cap.card,
	    imp.cap.bus_info, alloc == 1 ? "dma-contig" : alloc == 0 ? "vmalloc" : "unknown");
	if (!imp.mmap_only && alloc != 1) {
		/* vb2-vmalloc imports dma-bufs without looking at their sg table. */
		say("FAIL vivid does not use dma-contig (allocators=1): no contiguity check");
		return 1;
	}
	if (!setup_vivid(&imp))
		goto out;
	say("format %ux%u RGB24, bytesperline %u, sizeimage %u", imp.width, imp.height, imp.bpl,
	    imp.sizeimage);
	say("test pattern \"%s\", %s \"%s\"", IMP_PATTERN, IMP_OSD_CTRL, IMP_OSD_NONE);
	imp.ref = malloc(imp.sizeimage);
	if (!imp.ref) {
		fail(&imp, "no memory for the reference frame");
		goto out;
	}
	if (!capture_mmap(&imp, imp.mmap_only ? imp.frames : 2))
		goto out;
	if (imp.mmap_only) {
		say("PASS vivid MMAP self-check: %u frames, every pixel of %ux%u ff 00 00",
		    imp.frames, imp.width, imp.height);
		ret = 0;
		goto out_ret;
	}
	ret = capture_dmabuf(&imp);
	goto out_ret;
out:
	ret = 1;
out_ret:
	free(imp.ref);
	close(imp.vfd);
	if (ret == 1)
		say("FAIL (see the lines above)");
	return ret;
}
