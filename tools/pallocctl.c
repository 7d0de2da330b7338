// SPDX-License-Identifier: GPL-2.0
/*
 * pallocctl - command line client of /dev/pallocbits.
 *
 *   pallocctl [--json] [--dev PATH] [--heap NAME] COMMAND [ARGS...]
 *   pallocctl [--json] [--dev PATH] [--heap NAME] -f FILE | -
 *
 * Runs of pages belong to the open file that allocated them and are freed
 * when it is closed, so a single command line can only look: allocations
 * that should live on, and frees of them, go into a batch (-f FILE, or -
 * for stdin) that runs every line through one open of the device.  The
 * dma-bufs a batch makes (export, heap-alloc) live as long as it, too.
 *
 * Every ioctl and mmap goes through lib/libpallocbits.  Built by
 * `make pallocctl` (and statically for the QEMU tests), with
 * lib/libpallocbits.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/libpallocbits.h"

#define PALLOCCTL_DEV		PALLOCBITS_DEV
#define PALLOCCTL_HEAP		"pallocbits"
#define PALLOCCTL_DEBUGFS	"/sys/kernel/debug/pallocbits"
#define PALLOCCTL_MAX_ARGS	16
#define PALLOCCTL_MAX_RUNS	4096
#define PALLOCCTL_MAX_DMABUFS	256
#define PALLOCCTL_MAP_WIDTH	64

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What this session knows of one of its allocations. */
enum pallocctl_state {
	PALLOCCTL_OWNED,	/* the open file owns it */
	PALLOCCTL_PART_FREED,	/* a free took a part of it */
	PALLOCCTL_FREED,	/* a free took all of it */
};

/* One successful allocation of this session, for "free @N" and "runs". */
struct pallocctl_run {
	__u64 offset;
	__u64 npages;
	enum pallocctl_state state;
	int dmabuf;		/* its dma-buf (export), or -1 */
};

/* A dma-buf this session holds: of a run (export), or from the dma-heap. */
struct pallocctl_dmabuf {
	int fd;
	bool heap;		/* from heap-alloc, else from export */
	unsigned int run;	/* @N of the exported run, 0 if not in the session's list */
	__u64 offset;		/* the exported run's */
	__u64 len;		/* bytes */
};

struct pallocctl {
	const char *dev;
	const char *debugfs;
	const char *heap;
	int fd;
	int heap_fd;
	bool json;
	bool batch;
	struct palloc_ioc_info info;
	bool have_info;
	struct pallocctl_run runs[PALLOCCTL_MAX_RUNS];
	unsigned int nruns;
	struct pallocctl_dmabuf dmabufs[PALLOCCTL_MAX_DMABUFS];
	unsigned int ndmabufs;
};

static const char *pallocctl_errno_name(int err)
{
	switch (err) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case ENOTTY: return "ENOTTY";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EINTR: return "EINTR";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EMFILE: return "EMFILE";
	case EBADF: return "EBADF";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	default: return "E?";
	}
}

/* What an errno means for one command of this device ("*": any command). */
static const struct {
	const char *cmd;
	int err;
	const char *why;
} pallocctl_meanings[] = {
	{ "*", ENOTTY, "the module does not know this ioctl (another ABI version?)" },
	{ "*", EFAULT, "the kernel could not read or write the argument structure" },
	{ "open", ENOENT, "no pallocbits device: is the module loaded?" },
	{ "open", ENODEV, "no pallocbits device: is the module loaded?" },
	{ "open", ENXIO, "no pallocbits device: is the module loaded?" },
	{ "open", EACCES, "the device is root-only (mode 0600)" },
	{ "open", EPERM, "the device is root-only (mode 0600)" },
	{ "alloc", EINVAL, "npages is 0 or too large, bad alignment, or unknown flags" },
	{ "alloc", ENOMEM, "no free run that long (and so aligned) fits: see largest_free" },
	{ "alloc", EOPNOTSUPP,
	  "write-combining (--wc) needs grabbed mode (a reserved range is mapped write-back)" },
	{ "free", EINVAL,
	  "unaligned offset, npages 0, beyond the range, or not owned by this open file" },
	{ "free", EBUSY, "a part of a run that is mapped or exported: free the whole run" },
	{ "free", ENOMEM, "no memory to split the ownership record" },
	{ "export", EINVAL,
	  "not exactly one whole run this open file owns (as allocated, not freed or split)" },
	{ "export", EBUSY, "the run is exported already: one dma-buf per run (dup its fd)" },
	{ "export", EMFILE, "no free file descriptor for the dma-buf" },
	{ "export", ENOMEM, "no memory for the dma-buf" },
	{ "heap-alloc", ENOENT, "no such dma-heap: is the module loaded (heap_name, --heap)?" },
	{ "heap-alloc", EACCES, "the dma-heap node is root-only (mode 0600)" },
	{ "heap-alloc", EINVAL, "length 0 or larger than the range" },
	{ "heap-alloc", ENOMEM, "no free run that long fits: see largest_free" },
	{ "heap-alloc", EMFILE, "no free file descriptor for the dma-buf" },
	{ "sync", EINVAL, "bad sync flags" },
	{ "scavenge", EINVAL, "npages is 0 or unknown flags" },
	{ "scavenge", EINTR, "a signal arrived before the pass started" },
};

static const char *pallocctl_explain(const char *cmd, int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pallocctl_meanings); i++) {
		const char *which = pallocctl_meanings[i].cmd;

		if (pallocctl_meanings[i].err != err)
			continue;
		if (!strcmp(which, cmd) || !strcmp(which, "*"))
			return pallocctl_meanings[i].why;
	}
	return NULL;
}

static void pallocctl_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Report a failed command: human text on stderr, or a JSON object. */
static int pallocctl_fail(struct pallocctl *pc, const char *cmd, int err)
{
	const char *why = pallocctl_explain(cmd, err);

	if (pc->json) {
		printf("{\"cmd\":");
		pallocctl_json_str(cmd);
		printf(",\"error\":\"%s\",\"errno\":%d,\"message\":",
		       pallocctl_errno_name(err), err);
		pallocctl_json_str(strerror(err));
		if (why) {
			printf(",\"meaning\":");
			pallocctl_json_str(why);
		}
		printf("}\n");
		fflush(stdout);
	}
	fprintf(stderr, "pallocctl: %s: %s (%s)%s%s\n", cmd, strerror(err),
		pallocctl_errno_name(err), why ? ": " : "", why ? why : "");
	if ((!strcmp(cmd, "free") || !strcmp(cmd, "export")) && err == EINVAL && !pc->batch)
		fprintf(stderr,
			"pallocctl: runs die with the open file that allocated them: free them in the same batch (-f FILE or -)\n");
	return -1;
}

static int pallocctl_usage_error(struct pallocctl *pc, const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pc->json) {
		printf("{\"cmd\":");
		pallocctl_json_str(cmd);
		printf(",\"error\":\"usage\",\"message\":");
		pallocctl_json_str(msg);
		printf("}\n");
	}
	fprintf(stderr, "pallocctl: %s: %s\n", cmd, msg);
	return -1;
}

static int pallocctl_parse_u64(const char *s, __u64 *val)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*val = v;
	return 0;
}

static int pallocctl_open(struct pallocctl *pc)
{
	int fd;

	if (pc->fd >= 0)
		return 0;
	if (!strcmp(pc->dev, PALLOCCTL_DEV)) {
		fd = pallocbits_open(0);
	} else {
		/* --dev: the library opens only the default path. */
		fd = open(pc->dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0) {
		fprintf(stderr, "pallocctl: cannot open %s\n", pc->dev);
		return pallocctl_fail(pc, "open", -fd);
	}
	pc->fd = fd;
	return 0;
}

static int pallocctl_get_info(struct pallocctl *pc)
{
	int ret;

	if (pc->have_info)
		return 0;
	if (pallocctl_open(pc))
		return -1;
	ret = pallocbits_info(pc->fd, &pc->info);
	if (ret)
		return pallocctl_fail(pc, "info", -ret);
	pc->have_info = true;
	return 0;
}

static const char *pallocctl_mode_name(__u64 mode)
{
	switch (mode) {
	case PALLOC_MODE_RESERVED: return "reserved";
	case PALLOC_MODE_GRABBED: return "grabbed";
	default: return "unknown";
	}
}

static int pallocctl_info(struct pallocctl *pc)
{
	struct palloc_ioc_info *i = &pc->info;

	pc->have_info = false;
	if (pallocctl_get_info(pc))
		return -1;
	if (pc->json) {
		printf("{\"cmd\":\"info\",\"abi_version\":%llu,\"page_size\":%llu",
		       i->abi_version, i->page_size);
		printf(",\"npages\":%llu,\"bytes\":%llu,\"mode\":\"%s\"",
		       i->npages, i->npages * i->page_size, pallocctl_mode_name(i->mode));
		printf(",\"alloc_flags\":%llu,\"scavenge_flags\":%llu",
		       i->alloc_flags, i->scavenge_flags);
		printf(",\"struct_pages\":%s,\"huge_mappings\":%s,\"memmap_bytes\":%llu}\n",
		       i->features & PALLOC_FEATURE_PAGES ? "true" : "false",
		       i->features & PALLOC_FEATURE_HUGE ? "true" : "false", i->memmap_bytes);
		return 0;
	}
	printf("abi_version: %llu%s\n", i->abi_version,
	       i->abi_version == PALLOC_ABI_VERSION ? "" : " (not the version of this tool)");
	printf("page_size: %llu\n", i->page_size);
	printf("npages: %llu (%llu KiB)\n", i->npages, i->npages * i->page_size / 1024);
	printf("mode: %s\n", pallocctl_mode_name(i->mode));
	printf("alloc_flags: 0x%llx\n", i->alloc_flags);
	printf("scavenge_flags: 0x%llx\n", i->scavenge_flags);
	printf("struct_pages: %s\n", i->features & PALLOC_FEATURE_PAGES ?
	       "yes (O_DIRECT, io_uring, vmsplice work on mappings)" : "no (PFN mappings)");
	printf("huge_mappings: %s\n", i->features & PALLOC_FEATURE_HUGE ? "yes (2 MiB)" : "no");
	printf("elastic: %s\n", i->features & PALLOC_FEATURE_ELASTIC ?
	       "yes (idle chunks go back to the kernel)" : "no");
	if (i->npages)
		printf("memmap_bytes: %llu (%.2f %% of the range)\n", i->memmap_bytes,
		       100.0 * i->memmap_bytes / (i->npages * i->page_size));
	return 0;
}

static int pallocctl_alloc(struct pallocctl *pc, int argc, char **argv)
{
	struct pallocbits_buf b;
	__u64 npages, align = 0, flags = 0;
	int i, ret;

	if (argc < 2 || pallocctl_parse_u64(argv[1], &npages))
		return pallocctl_usage_error(pc, "alloc",
					     "usage: alloc NPAGES [--align PAGES] [--zero] [--wc]");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--zero")) {
			flags |= PALLOC_ALLOC_ZERO;
		} else if (!strcmp(argv[i], "--wc")) {
			flags |= PALLOC_ALLOC_WC;
		} else if (!strcmp(argv[i], "--align") && i + 1 < argc) {
			if (pallocctl_parse_u64(argv[++i], &align))
				return pallocctl_usage_error(pc, "alloc", "bad alignment '%s'",
							     argv[i]);
		} else {
			return pallocctl_usage_error(pc, "alloc", "unknown argument '%s'",
						     argv[i]);
		}
	}
	if (pallocctl_get_info(pc))
		return -1;
	ret = pallocbits_alloc(pc->fd, npages, align, flags, &b);
	if (ret)
		return pallocctl_fail(pc, "alloc", -ret);
	if (pc->nruns < PALLOCCTL_MAX_RUNS) {
		pc->runs[pc->nruns].offset = b.offset;
		pc->runs[pc->nruns].npages = b.npages;
		pc->runs[pc->nruns].state = PALLOCCTL_OWNED;
		pc->runs[pc->nruns].dmabuf = -1;
	}
	pc->nruns++;
	if (pc->json) {
		printf("{\"cmd\":\"alloc\",\"id\":%u,\"offset\":%llu,\"pages\":%llu",
		       pc->nruns, (unsigned long long)b.offset, (unsigned long long)b.npages);
		printf(",\"scavenged\":%llu,\"phys\":%llu}\n",
		       (unsigned long long)b.scavenged, (unsigned long long)b.phys);
		return 0;
	}
	printf("alloc @%u: offset 0x%llx (page %llu), pages %llu, scavenged %llu, phys ",
	       pc->nruns, (unsigned long long)b.offset,
	       (unsigned long long)(b.offset / pc->info.page_size),
	       (unsigned long long)b.npages, (unsigned long long)b.scavenged);
	if (b.phys)
		printf("0x%llx\n", (unsigned long long)b.phys);
	else
		printf("hidden (needs CAP_SYS_ADMIN)\n");
	if (!pc->batch)
		fprintf(stderr,
			"pallocctl: note: the run is freed when pallocctl exits (keep runs in a batch: -f FILE or -)\n");
	return 0;
}

/* The session's record of what a successful free took. */
static void pallocctl_note_free(struct pallocctl *pc, __u64 offset, __u64 npages)
{
	__u64 end = offset + npages * pc->info.page_size;
	unsigned int i;

	for (i = 0; i < pc->nruns && i < PALLOCCTL_MAX_RUNS; i++) {
		struct pallocctl_run *r = &pc->runs[i];
		__u64 rend = r->offset + r->npages * pc->info.page_size;

		if (r->state == PALLOCCTL_FREED || end <= r->offset || offset >= rend)
			continue;
		if (offset <= r->offset && end >= rend)
			r->state = PALLOCCTL_FREED;
		else
			r->state = PALLOCCTL_PART_FREED;
	}
}

/* OFF NPAGES or @N [NPAGES]: a range, for free and export. */
static int pallocctl_parse_range(struct pallocctl *pc, const char *cmd, int argc, char **argv,
				 __u64 *offset, __u64 *npages, unsigned int *run)
{
	bool have_npages = false;

	*run = 0;
	if (argc == 3) {
		if (pallocctl_parse_u64(argv[2], npages))
			return pallocctl_usage_error(pc, cmd, "bad page count '%s'", argv[2]);
		have_npages = true;
	}
	if (argv[1][0] == '@') {
		__u64 n;

		if (pallocctl_parse_u64(argv[1] + 1, &n) || n < 1 || n > pc->nruns ||
		    n > PALLOCCTL_MAX_RUNS)
			return pallocctl_usage_error(pc, cmd,
						     "no allocation %s in this batch (%u so far)",
						     argv[1], pc->nruns);
		*offset = pc->runs[n - 1].offset;
		if (!have_npages)
			*npages = pc->runs[n - 1].npages;
		*run = n;
		return 0;
	}
	if (pallocctl_parse_u64(argv[1], offset))
		return pallocctl_usage_error(pc, cmd, "bad offset '%s'", argv[1]);
	if (!have_npages)
		return pallocctl_usage_error(pc, cmd, "usage: %s OFFSET NPAGES", cmd);
	return 0;
}

/* OFF is bytes, decimal or 0x hex, or @N: the N-th allocation of this session. */
static int pallocctl_free(struct pallocctl *pc, int argc, char **argv)
{
	__u64 offset, npages;
	unsigned int run;
	int ret;

	if (argc < 2 || argc > 3)
		return pallocctl_usage_error(pc, "free", "usage: free OFFSET|@N [NPAGES]");
	if (pallocctl_parse_range(pc, "free", argc, argv, &offset, &npages, &run))
		return -1;
	if (pallocctl_open(pc))
		return -1;
	ret = pallocbits_free_range(pc->fd, offset, npages);
	if (ret)
		return pallocctl_fail(pc, "free", -ret);
	if (pc->have_info)
		pallocctl_note_free(pc, offset, npages);
	if (pc->json)
		printf("{\"cmd\":\"free\",\"offset\":%llu,\"pages\":%llu}\n", offset, npages);
	else
		printf("free: offset 0x%llx, pages %llu\n", offset, npages);
	return 0;
}

/* Keep a dma-buf descriptor for the rest of the session. */
static struct pallocctl_dmabuf *pallocctl_add_dmabuf(struct pallocctl *pc, int fd, bool heap,
						     unsigned int run, __u64 offset, __u64 len)
{
	struct pallocctl_dmabuf *d = &pc->dmabufs[pc->ndmabufs++];

	d->fd = fd;
	d->heap = heap;
	d->run = run;
	d->offset = offset;
	d->len = len;
	if (run)
		pc->runs[run - 1].dmabuf = fd;
	return d;
}

static struct pallocctl_dmabuf *pallocctl_find_dmabuf(struct pallocctl *pc, const char *arg)
{
	unsigned int i;
	__u64 fd;

	if (pallocctl_parse_u64(arg, &fd))
		return NULL;
	for (i = 0; i < pc->ndmabufs; i++)
		if ((__u64)pc->dmabufs[i].fd == fd)
			return &pc->dmabufs[i];
	return NULL;
}

/* export OFF NPAGES or export @N: a dma-buf of a whole run, kept open. */
static int pallocctl_export(struct pallocctl *pc, int argc, char **argv)
{
	struct pallocbits_buf b = { 0 };
	__u64 offset, npages;
	unsigned int run, i;
	int fd;

	if (argc < 2 || argc > 3)
		return pallocctl_usage_error(pc, "export", "usage: export OFFSET NPAGES | @N");
	if (pallocctl_parse_range(pc, "export", argc, argv, &offset, &npages, &run))
		return -1;
	b.offset = offset;
	b.npages = npages;
	if (pc->ndmabufs == PALLOCCTL_MAX_DMABUFS)
		return pallocctl_usage_error(pc, "export", "%u dma-bufs held already: close one",
					     pc->ndmabufs);
	if (pallocctl_get_info(pc))
		return -1;
	/* By offset: the session's record of that run, if it has one. */
	for (i = 0; !run && i < pc->nruns && i < PALLOCCTL_MAX_RUNS; i++)
		if (pc->runs[i].offset == b.offset && pc->runs[i].npages == b.npages &&
		    pc->runs[i].state == PALLOCCTL_OWNED)
			run = i + 1;
	fd = pallocbits_export(pc->fd, &b, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return pallocctl_fail(pc, "export", -fd);
	pallocctl_add_dmabuf(pc, fd, false, run, b.offset, b.npages * pc->info.page_size);
	if (pc->json) {
		printf("{\"cmd\":\"export\",\"id\":%u,\"offset\":%llu,\"pages\":%llu,\"fd\":%d}\n",
		       run, (unsigned long long)b.offset, (unsigned long long)b.npages, fd);
		return 0;
	}
	printf("export");
	if (run)
		printf(" @%u", run);
	printf(": offset 0x%llx, pages %llu, dma-buf fd %d\n", (unsigned long long)b.offset,
	       (unsigned long long)b.npages, fd);
	if (!pc->batch)
		fprintf(stderr,
			"pallocctl: note: the dma-buf is closed when pallocctl exits (keep it in a batch: -f FILE or -)\n");
	return 0;
}

/* heap-alloc LEN: a dma-buf from /dev/dma_heap/NAME (--heap NAME), kept open. */
static int pallocctl_heap_alloc(struct pallocctl *pc, int argc, char **argv)
{
	__u64 len;
	int fd;

	if (argc != 2 || pallocctl_parse_u64(argv[1], &len))
		return pallocctl_usage_error(pc, "heap-alloc", "usage: heap-alloc BYTES");
	if (pc->ndmabufs == PALLOCCTL_MAX_DMABUFS)
		return pallocctl_usage_error(pc, "heap-alloc",
					     "%u dma-bufs held already: close one", pc->ndmabufs);
	if (pc->heap_fd < 0) {
		fd = pallocbits_heap_open(pc->heap);
		if (fd < 0) {
			fprintf(stderr, "pallocctl: cannot open %s/%s\n", PALLOCBITS_HEAP_DIR,
				pc->heap);
			return pallocctl_fail(pc, "heap-alloc", -fd);
		}
		pc->heap_fd = fd;
	}
	fd = pallocbits_heap_alloc(pc->heap_fd, len, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return pallocctl_fail(pc, "heap-alloc", -fd);
	pallocctl_add_dmabuf(pc, fd, true, 0, 0, len);
	if (pc->json) {
		printf("{\"cmd\":\"heap-alloc\",\"heap\":");
		pallocctl_json_str(pc->heap);
		printf(",\"len\":%llu,\"fd\":%d}\n", len, fd);
		return 0;
	}
	printf("heap-alloc: %llu bytes from %s/%s, dma-buf fd %d\n", len, PALLOCBITS_HEAP_DIR,
	       pc->heap, fd);
	if (!pc->batch)
		fprintf(stderr,
			"pallocctl: note: the dma-buf is closed when pallocctl exits (keep it in a batch: -f FILE or -)\n");
	return 0;
}

/* sync FD start|end [read|write|rw]: DMA_BUF_IOCTL_SYNC on a dma-buf we hold. */
static int pallocctl_sync(struct pallocctl *pc, int argc, char **argv)
{
	struct pallocctl_dmabuf *d;
	__u64 flags;
	int ret;

	if (argc < 3 || argc > 4)
		return pallocctl_usage_error(pc, "sync",
					     "usage: sync FD start|end [read|write|rw]");
	d = pallocctl_find_dmabuf(pc, argv[1]);
	if (!d)
		return pallocctl_usage_error(pc, "sync", "no dma-buf fd %s in this batch",
					     argv[1]);
	if (!strcmp(argv[2], "start"))
		flags = DMA_BUF_SYNC_START;
	else if (!strcmp(argv[2], "end"))
		flags = DMA_BUF_SYNC_END;
	else
		return pallocctl_usage_error(pc, "sync", "start or end, not '%s'", argv[2]);
	if (argc == 3 || !strcmp(argv[3], "rw"))
		flags |= DMA_BUF_SYNC_RW;
	else if (!strcmp(argv[3], "read"))
		flags |= DMA_BUF_SYNC_READ;
	else if (!strcmp(argv[3], "write"))
		flags |= DMA_BUF_SYNC_WRITE;
	else
		return pallocctl_usage_error(pc, "sync", "read, write or rw, not '%s'", argv[3]);
	ret = pallocbits_sync(d->fd, flags);
	if (ret)
		return pallocctl_fail(pc, "sync", -ret);
	if (pc->json)
		printf("{\"cmd\":\"sync\",\"fd\":%d,\"flags\":%llu}\n", d->fd, flags);
	else
		printf("sync: dma-buf fd %d, %s %s\n", d->fd, argv[2], argc == 4 ? argv[3] : "rw");
	return 0;
}

/* close FD: let go of a dma-buf (its run is freed once nothing else holds it). */
static int pallocctl_close(struct pallocctl *pc, int argc, char **argv)
{
	struct pallocctl_dmabuf *d;
	int fd;

	if (argc != 2)
		return pallocctl_usage_error(pc, "close", "usage: close FD");
	d = pallocctl_find_dmabuf(pc, argv[1]);
	if (!d)
		return pallocctl_usage_error(pc, "close", "no dma-buf fd %s in this batch",
					     argv[1]);
	fd = d->fd;
	if (d->run)
		pc->runs[d->run - 1].dmabuf = -1;
	*d = pc->dmabufs[--pc->ndmabufs];
	close(fd);
	if (pc->json)
		printf("{\"cmd\":\"close\",\"fd\":%d}\n", fd);
	else
		printf("close: dma-buf fd %d\n", fd);
	return 0;
}

static const char *pallocctl_state_name(const struct pallocctl_run *r)
{
	switch (r->state) {
	case PALLOCCTL_OWNED: return "owned";
	case PALLOCCTL_PART_FREED: return "partly freed";
	default: return "freed";
	}
}

/* The session's allocations and the dma-bufs it holds. */
static int pallocctl_runs(struct pallocctl *pc)
{
	unsigned int i, n = pc->nruns < PALLOCCTL_MAX_RUNS ? pc->nruns : PALLOCCTL_MAX_RUNS;

	if (pc->json) {
		printf("{\"cmd\":\"runs\",\"runs\":[");
		for (i = 0; i < n; i++) {
			const struct pallocctl_run *r = &pc->runs[i];

			printf("%s{\"id\":%u,\"offset\":%llu,\"pages\":%llu,\"state\":\"%s\"",
			       i ? "," : "", i + 1, r->offset, r->npages, pallocctl_state_name(r));
			if (r->dmabuf >= 0)
				printf(",\"exported_fd\":%d", r->dmabuf);
			printf("}");
		}
		printf("],\"dmabufs\":[");
		for (i = 0; i < pc->ndmabufs; i++) {
			const struct pallocctl_dmabuf *d = &pc->dmabufs[i];

			printf("%s{\"fd\":%d,\"len\":%llu,\"source\":\"%s\"", i ? "," : "",
			       d->fd, d->len, d->heap ? "heap" : "export");
			if (!d->heap)
				printf(",\"id\":%u,\"offset\":%llu", d->run, d->offset);
			printf("}");
		}
		printf("]}\n");
		return 0;
	}
	printf("runs: %u allocated in this batch\n", pc->nruns);
	for (i = 0; i < n; i++) {
		const struct pallocctl_run *r = &pc->runs[i];

		printf("  @%-4u offset 0x%-10llx pages %-8llu %s", i + 1, r->offset, r->npages,
		       pallocctl_state_name(r));
		if (r->dmabuf >= 0)
			printf(", exported (fd %d)", r->dmabuf);
		printf("\n");
	}
	/* dma-bufs not shown above: from the heap, or of a run not in the list */
	for (i = 0; i < pc->ndmabufs; i++) {
		const struct pallocctl_dmabuf *d = &pc->dmabufs[i];

		if (d->heap)
			printf("  heap   %llu bytes from %s/%s, dma-buf fd %d\n", d->len,
			       PALLOCBITS_HEAP_DIR, pc->heap, d->fd);
		else if (!d->run)
			printf("  run at offset 0x%llx, %llu bytes, exported (fd %d)\n", d->offset,
			       d->len, d->fd);
	}
	return 0;
}

static int pallocctl_scavenge(struct pallocctl *pc, int argc, char **argv)
{
	__u64 npages, flags = 0;
	uint64_t released = 0;
	int i, ret;

	if (argc < 2 || pallocctl_parse_u64(argv[1], &npages))
		return pallocctl_usage_error(pc, "scavenge", "usage: scavenge NPAGES [--force]");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			flags |= PALLOC_SCAVENGE_FORCE;
		else
			return pallocctl_usage_error(pc, "scavenge", "unknown argument '%s'",
						     argv[i]);
	}
	if (pallocctl_open(pc))
		return -1;
	ret = pallocbits_scavenge(pc->fd, npages, flags, &released);
	if (ret)
		return pallocctl_fail(pc, "scavenge", -ret);
	if (pc->json)
		printf("{\"cmd\":\"scavenge\",\"npages\":%llu,\"released\":%llu}\n",
		       npages, (unsigned long long)released);
	else
		printf("scavenge: released %llu pages\n", (unsigned long long)released);
	return 0;
}

static int pallocctl_read_stats(struct pallocctl *pc, struct palloc_ioc_stats *st)
{
	int ret;

	if (pallocctl_open(pc))
		return -1;
	ret = pallocbits_stats(pc->fd, st);
	if (ret)
		return pallocctl_fail(pc, "stats", -ret);
	return 0;
}

#define PALLOCCTL_STAT(field) { #field, offsetof(struct palloc_ioc_stats, field) }

static const struct {
	const char *name;
	size_t off;
} pallocctl_stat_fields[] = {
	PALLOCCTL_STAT(npages),
	PALLOCCTL_STAT(mode),
	PALLOCCTL_STAT(pages_inuse),
	PALLOCCTL_STAT(pages_free),
	PALLOCCTL_STAT(pages_scavenged),
	PALLOCCTL_STAT(pages_cached),
	PALLOCCTL_STAT(pages_scavenging),
	PALLOCCTL_STAT(largest_free),
	PALLOCCTL_STAT(allocs),
	PALLOCCTL_STAT(frees),
	PALLOCCTL_STAT(alloc_failures),
	PALLOCCTL_STAT(free_errors),
	PALLOCCTL_STAT(pages_released),
	PALLOCCTL_STAT(scavenge_runs),
	PALLOCCTL_STAT(owned_pages),
	PALLOCCTL_STAT(runs),
	PALLOCCTL_STAT(runs_exported),
	PALLOCCTL_STAT(pages_held),
	PALLOCCTL_STAT(pages_quarantined),
	PALLOCCTL_STAT(quarantined),
	PALLOCCTL_STAT(faults_pte),
	PALLOCCTL_STAT(faults_pmd),
	PALLOCCTL_STAT(pages_present),
	PALLOCCTL_STAT(pages_returned),
	PALLOCCTL_STAT(pages_grown),
	PALLOCCTL_STAT(grow_attempts),
	PALLOCCTL_STAT(grow_failures),
};

static __u64 pallocctl_stat(const struct palloc_ioc_stats *st, size_t i)
{
	__u64 v;

	memcpy(&v, (const char *)st + pallocctl_stat_fields[i].off, sizeof(v));
	return v;
}

static int pallocctl_stats(struct pallocctl *pc)
{
	struct palloc_ioc_stats st;
	size_t i, n = ARRAY_SIZE(pallocctl_stat_fields);

	if (pallocctl_read_stats(pc, &st))
		return -1;
	if (pc->json) {
		printf("{\"cmd\":\"stats\"");
		for (i = 0; i < n; i++) {
			if (pallocctl_stat_fields[i].off == offsetof(struct palloc_ioc_stats, mode))
				printf(",\"mode\":\"%s\"", pallocctl_mode_name(st.mode));
			else
				printf(",\"%s\":%llu", pallocctl_stat_fields[i].name,
				       pallocctl_stat(&st, i));
		}
		printf("}\n");
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (pallocctl_stat_fields[i].off == offsetof(struct palloc_ioc_stats, mode))
			printf("%-17s %s\n", "mode:", pallocctl_mode_name(st.mode));
		else
			printf("%s:%*s%llu\n", pallocctl_stat_fields[i].name,
			       (int)(17 - strlen(pallocctl_stat_fields[i].name)), "",
			       pallocctl_stat(&st, i));
	}
	return 0;
}

/* Read a debugfs file of the module into a malloc()ed string, or NULL. */
static char *pallocctl_read_debugfs(struct pallocctl *pc, const char *name)
{
	char path[512];
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pc->debugfs, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		n = read(fd, buf + len, cap - len);
		if (n <= 0) {
			if (n < 0) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		len += n;
		if (len == cap) {
			char *bigger = realloc(buf, 2 * cap + 1);

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* Print a debugfs file of the module (map, chunks, bitmap, scavenger, check). */
static int pallocctl_show(struct pallocctl *pc, const char *cmd, const char *name)
{
	char *text = pallocctl_read_debugfs(pc, name);

	if (!text) {
		int err = errno;

		fprintf(stderr,
			"pallocctl: cannot read %s/%s (is debugfs mounted, are you root?)\n",
			pc->debugfs, name);
		return pallocctl_fail(pc, cmd, err);
	}
	if (pc->json) {
		printf("{\"cmd\":");
		pallocctl_json_str(cmd);
		printf(",\"source\":\"debugfs\",\"text\":");
		pallocctl_json_str(text);
		printf("}\n");
	} else {
		fputs(text, stdout);
		if (*text && text[strlen(text) - 1] != '\n')
			putchar('\n');
	}
	free(text);
	return 0;
}

/*
 * The debugfs map if it can be read, else a picture of the counters: the
 * range as PALLOCCTL_MAP_WIDTH cells, in use '#', cached 'c', free and not
 * yet zeroed '-', free and scavenged (known zero) '.'.  It shows how much,
 * not where.
 */
static int pallocctl_map(struct pallocctl *pc)
{
	char line[PALLOCCTL_MAP_WIDTH + 1];
	struct palloc_ioc_stats st;
	__u64 parts[4], cells[4], used = 0;
	static const char sym[4] = { '#', 'c', '-', '.' };
	char *text;
	int i, j, k;

	text = pallocctl_read_debugfs(pc, "map");
	if (text) {
		free(text);
		return pallocctl_show(pc, "map", "map");
	}
	if (pallocctl_read_stats(pc, &st))
		return -1;
	parts[0] = st.pages_inuse;
	parts[1] = st.pages_cached;
	parts[3] = st.pages_scavenged < st.pages_free ? st.pages_scavenged : st.pages_free;
	parts[2] = st.pages_free - parts[3];
	for (i = 0; i < 4; i++) {
		cells[i] = 0;
		if (st.npages)
			cells[i] = (parts[i] * PALLOCCTL_MAP_WIDTH + st.npages / 2) / st.npages;
		if (parts[i] && !cells[i])
			cells[i] = 1;
		used += cells[i];
	}
	/* Rounding: trim or pad the largest part to the width. */
	for (j = 0, i = 1; i < 4; i++)
		if (cells[i] > cells[j])
			j = i;
	if (used > PALLOCCTL_MAP_WIDTH)
		cells[j] -= used - PALLOCCTL_MAP_WIDTH;
	else
		cells[j] += PALLOCCTL_MAP_WIDTH - used;
	for (k = 0, i = 0; i < 4; i++)
		for (__u64 c = 0; c < cells[i] && k < PALLOCCTL_MAP_WIDTH; c++)
			line[k++] = sym[i];
	line[k] = '\0';
	if (pc->json) {
		printf("{\"cmd\":\"map\",\"source\":\"stats\",\"text\":\"%s\"", line);
		printf(",\"inuse\":%llu,\"cached\":%llu,\"dirty\":%llu,\"scavenged\":%llu}\n",
		       parts[0], parts[1], parts[2], parts[3]);
		return 0;
	}
	printf("[%s]\n", line);
	printf("# in use %llu, c cached %llu, - free %llu, . free and scavenged %llu\n",
	       parts[0], parts[1], parts[2], parts[3]);
	printf("(of %llu pages; from the counters: how much, not where)\n", st.npages);
	return 0;
}

static int pallocctl_sleep(struct pallocctl *pc, int argc, char **argv)
{
	__u64 secs;

	if (argc != 2 || pallocctl_parse_u64(argv[1], &secs))
		return pallocctl_usage_error(pc, "sleep", "usage: sleep SECONDS");
	fflush(stdout);
	sleep(secs);
	return 0;
}

static int pallocctl_run(struct pallocctl *pc, int argc, char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "info") && argc == 1)
		return pallocctl_info(pc);
	if (!strcmp(cmd, "alloc"))
		return pallocctl_alloc(pc, argc, argv);
	if (!strcmp(cmd, "free"))
		return pallocctl_free(pc, argc, argv);
	if (!strcmp(cmd, "scavenge"))
		return pallocctl_scavenge(pc, argc, argv);
	if (!strcmp(cmd, "export"))
		return pallocctl_export(pc, argc, argv);
	if (!strcmp(cmd, "heap-alloc"))
		return pallocctl_heap_alloc(pc, argc, argv);
	if (!strcmp(cmd, "sync"))
		return pallocctl_sync(pc, argc, argv);
	if (!strcmp(cmd, "close"))
		return pallocctl_close(pc, argc, argv);
	if (!strcmp(cmd, "runs") && argc == 1)
		return pallocctl_runs(pc);
	if (!strcmp(cmd, "stats") && argc == 1)
		return pallocctl_stats(pc);
	if (!strcmp(cmd, "map") && argc == 1)
		return pallocctl_map(pc);
	if (!strcmp(cmd, "show") && argc == 2 && !strchr(argv[1], '/'))
		return pallocctl_show(pc, "show", argv[1]);
	if (!strcmp(cmd, "sleep") && pc->batch)
		return pallocctl_sleep(pc, argc, argv);
	return pallocctl_usage_error(pc, cmd,
				     "unknown command or wrong arguments (pallocctl --help)");
}

/*
 * A batch line: "# comment", "echo TEXT", or a command; a leading '-'
 * carries on after the command fails (as in make).
 */
static int pallocctl_batch_line(struct pallocctl *pc, char *line, const char *where)
{
	char *argv[PALLOCCTL_MAX_ARGS];
	bool ignore = false;
	int argc = 0, ret;
	char *p = line;

	p[strcspn(p, "\r\n")] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	if (*p == '-' && (p[1] == ' ' || p[1] == '\t')) {
		ignore = true;
		p++;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (!strncmp(p, "echo", 4) && (!p[4] || isspace((unsigned char)p[4]))) {
		p += 4;
		if (*p)
			p++;
		if (pc->json) {
			printf("{\"cmd\":\"echo\",\"text\":");
			pallocctl_json_str(p);
			printf("}\n");
		} else {
			printf("%s\n", p);
		}
		fflush(stdout);
		return 0;
	}
	if (!pc->json)
		printf("> %s\n", p);
	while (*p) {
		while (isspace((unsigned char)*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == PALLOCCTL_MAX_ARGS)
			return pallocctl_usage_error(pc, where, "too many words");
		argv[argc++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	ret = pallocctl_run(pc, argc, argv);
	fflush(stdout);
	if (ret && ignore) {
		if (!pc->json)
			printf("(error ignored)\n");
		return 0;
	}
	if (ret)
		fprintf(stderr, "pallocctl: stopped at %s\n", where);
	return ret;
}

static int pallocctl_batch(struct pallocctl *pc, const char *file)
{
	char line[1024], where[600];
	unsigned int lineno = 0;
	FILE *in;
	int ret = 0;

	pc->batch = true;
	in = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!in) {
		fprintf(stderr, "pallocctl: %s: %s\n", file, strerror(errno));
		return -1;
	}
	/* One open for the whole batch: the runs live as long as it. */
	if (pallocctl_open(pc))
		ret = -1;
	while (!ret && fgets(line, sizeof(line), in)) {
		lineno++;
		snprintf(where, sizeof(where), "%s:%u",
			 strcmp(file, "-") ? file : "<stdin>", lineno);
		ret = pallocctl_batch_line(pc, line, where);
	}
	if (in != stdin)
		fclose(in);
	return ret;
}

static void pallocctl_help(FILE *out)
{
	fprintf(out,
		"usage: pallocctl [--json] [--dev PATH] [--heap NAME] [--debugfs DIR] COMMAND [ARGS]\n"
		"       pallocctl [--json] [--dev PATH] [--heap NAME] -f FILE | -\n"
		"\n"
		"commands:\n"
		"  info                          the device: ABI version, page size, pages, mode\n"
		"  alloc N [--align A] [--zero] [--wc]\n"
		"                                allocate N contiguous pages (A: alignment in pages;\n"
		"                                --wc: write-combining, grabbed mode only)\n"
		"  free OFF N                    free N pages at byte offset OFF (decimal or 0x hex)\n"
		"  free @K [N]                   (batch) free the K-th allocation of the batch\n"
		"  export OFF N | @K             (batch) a dma-buf of a whole run, kept open; prints its fd\n"
		"  heap-alloc BYTES              (batch) a dma-buf from /dev/dma_heap/NAME (--heap,\n"
		"                                default pallocbits), kept open; prints its fd\n"
		"  sync FD start|end [read|write|rw]\n"
		"                                (batch) DMA_BUF_IOCTL_SYNC on a dma-buf of the batch\n"
		"  close FD                      (batch) close a dma-buf of the batch\n"
		"  runs                          (batch) the batch's allocations and dma-bufs\n"
		"  scavenge N [--force]          release up to N free pages now\n"
		"  stats                         the allocator's counters\n"
		"  map                           the debugfs map, or a picture of the counters\n"
		"  show NAME                     a debugfs file: chunks, bitmap, scavenger, check, ...\n"
		"  sleep S                       (batch) wait S seconds, holding the device open\n"
		"\n"
		"Allocations belong to the open file and are freed when it closes, that is\n"
		"when pallocctl exits, unless a dma-buf still holds them; the batch's dma-bufs\n"
		"are closed then too.  A batch (-f FILE, or - for stdin) runs one command per\n"
		"line through a single open; lines may be '# comments' or 'echo TEXT', and a\n"
		"leading '- ' ignores the command's failure.  --json prints one JSON object\n"
		"per command.  The exit status is 0 only if every command succeeded.\n");
}

int main(int argc, char **argv)
{
	static struct pallocctl pc = {
		.dev = PALLOCCTL_DEV,
		.debugfs = PALLOCCTL_DEBUGFS,
		.heap = PALLOCCTL_HEAP,
		.fd = -1,
		.heap_fd = -1,
	};
	const char *batch = NULL;
	bool help = false;
	int i, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--json")) {
			pc.json = true;
		} else if (!strcmp(argv[i], "--dev") && i + 1 < argc) {
			pc.dev = argv[++i];
		} else if (!strcmp(argv[i], "--debugfs") && i + 1 < argc) {
			pc.debugfs = argv[++i];
		} else if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			pc.heap = argv[++i];
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			batch = argv[++i];
		} else if (!strcmp(argv[i], "-")) {
			batch = "-";
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			help = true;
		} else {
			fprintf(stderr, "pallocctl: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (help) {
		pallocctl_help(stdout);
		return 0;
	}
	if (batch) {
		if (i < argc) {
			fprintf(stderr, "pallocctl: no command with a batch\n");
			return 2;
		}
		ret = pallocctl_batch(&pc, batch);
	} else if (i < argc) {
		ret = pallocctl_run(&pc, argc - i, argv + i);
	} else {
		pallocctl_help(stderr);
		return 2;
	}
	while (pc.ndmabufs)
		close(pc.dmabufs[--pc.ndmabufs].fd);
	if (pc.heap_fd >= 0)
		close(pc.heap_fd);
	if (pc.fd >= 0)
		close(pc.fd);
	return ret ? 1 : 0;
}
