// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest part: random ioctl and mmap sequences checked against a model.
 * Included by tests/vmtest.c, whose helpers it uses; not built alone.
 */

/* ------------------------------------------------------------------ */
/* Fuzz: random ioctl and mmap sequences checked against a model      */
/* ------------------------------------------------------------------ */

/*
 * A fuzz worker holds PB_FUZZ_SLOTS open files and models what each of
 * them owns (page by page), which pages it has mapped where, and what every
 * owned page holds.  Each step picks an operation and its arguments at
 * random, boundary values often, sometimes with the argument structure at
 * an odd address, in a read-only page or behind a bad pointer; computes
 * from the model every outcome the uapi allows; makes the call and compares.
 * After every step STATS.owned_pages of each open file must be the model's.
 *
 * A valid ALLOC may fail with ENOMEM when other processes use the device.
 * In exact mode (one worker alone, the background scavenger paused) the
 * model predicts that too, and the global counters: pages_inuse, allocs,
 * frees, alloc_failures, free_errors, pages_released and scavenge_runs.
 *
 * Environment: PB_FUZZ_SEED (default: from the clock), PB_FUZZ_OPS (steps
 * per worker, default 25000), PB_FUZZ_SECONDS (per worker, default 6 with
 * several workers, 4 alone); or pb_fuzz_seed=... on the kernel command line.
 */
#define PB_FUZZ_WORKERS		4
#define PB_FUZZ_SLOTS		2	/* open files per worker */
#define PB_FUZZ_MAPS		8	/* live mappings per worker */
#define PB_FUZZ_MAP_PAGES	512	/* pages per mapping, at most */
#define PB_FUZZ_HIST		12	/* steps shown after a failure */
#define PB_FUZZ_FREED		4	/* freed ranges kept for double frees */
#define PB_FUZZ_WHAT		192

enum {
	PB_FOP_ALLOC,
	PB_FOP_FREE,
	PB_FOP_SCAVENGE,
	PB_FOP_STATS,
	PB_FOP_INFO,
	PB_FOP_BADCMD,
	PB_FOP_MMAP,
	PB_FOP_MUNMAP,
	PB_FOP_VERIFY,
	PB_FOP_REOPEN,
	PB_FOP_NR
};

static const char * const pb_fop_names[PB_FOP_NR] = {
	"alloc", "free", "scavenge", "stats", "info", "badcmd", "mmap", "munmap", "verify",
	"reopen",
};

/* How often each operation is picked, in percent. */
static const unsigned int pb_fop_weight[PB_FOP_NR] = {
	25, 24, 4, 3, 3, 4, 15, 10, 10, 2,
};

/* Where an ioctl's argument structure is put. */
enum {
	PB_ARG_STACK,		/* an ordinary variable */
	PB_ARG_ODD,		/* an odd address: works like the stack */
	PB_ARG_RO,		/* a read-only page: inputs read, outputs fault */
	PB_ARG_BAD,		/* NULL, 1, a kernel address, PROT_NONE, straddling */
	PB_ARG_NR
};

static const char * const pb_arg_names[PB_ARG_NR] = { "stack", "odd", "ro", "bad" };

/* The errnos told apart; the last counter is for any other. */
static const int pb_fuzz_errnos[] = {
	0, EINVAL, ENOMEM, EBUSY, EFAULT, ENOTTY, EACCES, EOVERFLOW,
};

static const char * const pb_fuzz_errno_names[] = {
	"ok", "EINVAL", "ENOMEM", "EBUSY", "EFAULT", "ENOTTY", "EACCES", "EOVERFLOW", "other",
};

#define PB_FUZZ_NERR	(PB_ARRAY_SIZE(pb_fuzz_errnos) + 1)

/* What a worker reports, in a MAP_SHARED page. */
struct pb_fuzz_result {
	__u64 seed;
	__u64 steps;
	__u64 by_op[PB_FOP_NR];
	__u64 by_arg[PB_ARG_NR];
	__u64 by_err[PB_FUZZ_NERR];
	__u64 alloc_ok;		/* ALLOCs that returned a run */
	__u64 alloc_rollback;	/* ALLOCs that allocated, faulted and freed again */
	__u64 alloc_nomem;	/* ALLOCs that failed with ENOMEM: alloc_failures */
	__u64 free_ok;
	__u64 free_refused;	/* FREEs that failed, whatever the errno: free_errors */
	__u64 pages_checked;	/* pages whose contents were verified */
	__u64 held_max;		/* most pages held at once */
	double secs;
	int failed;
};

/* A mapping of the worker's: the pages it was given stay busy until all are unmapped. */
struct pb_fuzz_map {
	char *addr;
	__u64 start, npages;
	__u64 nlive;			/* pages still mapped */
	unsigned char *live;		/* per page: still mapped */
	unsigned int id;		/* the open file it maps */
	bool rdonly;
};

struct pb_fuzz {
	unsigned int wid;
	bool exact;
	__u64 seed, rng, step;
	__u64 ps, npages, phys_base;
	struct palloc_ioc_info info;
	int fd[PB_FUZZ_SLOTS];
	unsigned int id[PB_FUZZ_SLOTS], next_id;
	__u64 owned[PB_FUZZ_SLOTS];	/* pages each open file owns */
	__u64 held;			/* pages owned by all our files, closed ones too */
	unsigned short *owner;		/* per page: id of our file owning it, or 0 */
	unsigned char *first;		/* per page: a run we own starts here */
	__u64 *tag;			/* per owned page: what it holds, 0 = zeroes */
	struct pb_fuzz_map map[PB_FUZZ_MAPS];
	unsigned int nmaps;
	__u64 freed_start[PB_FUZZ_FREED], freed_n[PB_FUZZ_FREED];
	unsigned int nfreed;
	char *scratch;			/* a writable page; the guard page follows */
	char *guard;			/* PROT_NONE */
	char *ro;			/* a page made read-only around a call */
	struct palloc_ioc_stats want;	/* exact mode: the global counters */
	bool resync_frees, resync_released;
	struct pb_fuzz_result *res;
	char what[PB_FUZZ_WHAT];
	char hist[PB_FUZZ_HIST][PB_FUZZ_WHAT];
};

/* splitmix64 */
static __u64 pb_fuzz_next(__u64 *s)
{
	__u64 x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static __u64 pb_fuzz_rand(struct pb_fuzz *z)
{
	return pb_fuzz_next(&z->rng);
}

/* 0 .. n - 1 (0 for n == 0) */
static __u64 pb_fuzz_below(struct pb_fuzz *z, __u64 n)
{
	return n ? pb_fuzz_rand(z) % n : 0;
}

static bool pb_fuzz_chance(struct pb_fuzz *z, unsigned int percent)
{
	return pb_fuzz_below(z, 100) < percent;
}

static bool pb_is_pow2(__u64 x)
{
	return x && !(x & (x - 1));
}

static __u64 pb_env_u64_any(const char *upper, const char *lower, __u64 dflt)
{
	const char *s = getenv(upper);

	if (!s || !*s)
		s = getenv(lower);
	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static unsigned int pb_fuzz_errno_index(int err)
{
	unsigned int i;

	for (i = 0; i < PB_ARRAY_SIZE(pb_fuzz_errnos); i++)
		if (pb_fuzz_errnos[i] == err)
			return i;
	return PB_ARRAY_SIZE(pb_fuzz_errnos);
}

/* The bit of @err in a mask of allowed outcomes. */
static unsigned int pb_fb(int err)
{
	return 1u << pb_fuzz_errno_index(err);
}

static const char *pb_fuzz_errno_name(int err)
{
	unsigned int i = pb_fuzz_errno_index(err);

	return i < PB_ARRAY_SIZE(pb_fuzz_errnos) ? pb_fuzz_errno_names[i] : strerror(err);
}

/* Append to the description of the current step. */
static void pb_fuzz_say(struct pb_fuzz *z, const char *fmt, ...)
{
	size_t len = strlen(z->what);
	va_list ap;

	if (len >= sizeof(z->what) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(z->what + len, sizeof(z->what) - len, fmt, ap);
	va_end(ap);
}

/* Report a failure of the current step, with the seed and the steps before it. */
static int pb_fuzz_fail(struct pb_fuzz *z, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	__u64 i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# fuzz %u: FAIL at step %llu (seed %#llx%s): %s\n", z->wid, z->step,
		z->seed, z->exact ? ", exact" : "", msg);
	fprintf(stderr, "# fuzz %u:   step %llu: %s\n", z->wid, z->step, z->what);
	i = z->step > PB_FUZZ_HIST ? z->step - PB_FUZZ_HIST : 0;
	fprintf(stderr, "# fuzz %u:   the steps before it:\n", z->wid);
	for (; i < z->step; i++)
		fprintf(stderr, "# fuzz %u:   step %llu: %s\n", z->wid, i,
			z->hist[i % PB_FUZZ_HIST]);
	z->res->failed = 1;
	return -1;
}

/* Count the outcome @got of a call; fail unless it is in the mask @ok. */
static int pb_fuzz_expect(struct pb_fuzz *z, int got, unsigned int ok)
{
	char want[96] = "";
	unsigned int i;

	z->res->by_err[pb_fuzz_errno_index(got)]++;
	pb_fuzz_say(z, " = %s", pb_fuzz_errno_name(got));
	if (pb_fb(got) & ok)
		return 0;
	for (i = 0; i < PB_ARRAY_SIZE(pb_fuzz_errnos); i++)
		if (ok & (1u << i))
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
				 want[0] ? "|" : "", pb_fuzz_errno_names[i]);
	return pb_fuzz_fail(z, "got %s, want %s", pb_fuzz_errno_name(got), want);
}

/* --- The model --- */

/* Does open file @s own every page of [start, start + n)? */
static bool pb_fuzz_owns(struct pb_fuzz *z, unsigned int s, __u64 start, __u64 n)
{
	__u64 p;

	for (p = start; p < start + n; p++)
		if (z->owner[p] != z->id[s])
			return false;
	return true;
}

/* Does a mapping of open file @s hold a page of [start, start + n) busy? */
static bool pb_fuzz_busy(struct pb_fuzz *z, unsigned int s, __u64 start, __u64 n)
{
	unsigned int k;

	for (k = 0; k < z->nmaps; k++) {
		struct pb_fuzz_map *m = &z->map[k];

		if (m->id == z->id[s] && start < m->start + m->npages && m->start < start + n)
			return true;
	}
	return false;
}

/*
 * The runs of open file @s that [start, start + n) overlaps: is one that
 * the range cuts (covers only partly) mapped, and is one that it covers
 * whole mapped?  A mapping holds every run it was created over.
 */
static unsigned int pb_fuzz_runs_mapped(struct pb_fuzz *z, unsigned int s, __u64 start, __u64 n,
					bool *cut_mapped, bool *whole_mapped)
{
	unsigned int id = z->id[s], nruns = 0;
	__u64 p = start, rs, re;

	*cut_mapped = *whole_mapped = false;
	while (p < start + n) {
		if (z->owner[p] != id) {
			p++;
			continue;
		}
		for (rs = p; rs > 0 && z->owner[rs - 1] == id && !z->first[rs]; rs--)
			;
		for (re = p + 1; re < z->npages && z->owner[re] == id && !z->first[re]; re++)
			;
		if (pb_fuzz_busy(z, s, rs, re - rs)) {
			if (rs < start || re > start + n)
				*cut_mapped = true;
			else
				*whole_mapped = true;
		}
		nruns++;
		p = re;
	}
	return nruns;
}

/*
 * A random run open file @s owns, as ALLOC returned it (or what is left of
 * it), or with @extent the whole stretch of adjacent owned pages around it.
 */
static bool pb_fuzz_pick(struct pb_fuzz *z, unsigned int s, bool extent, __u64 *start,
			 __u64 *n)
{
	unsigned int id = z->id[s];
	__u64 p0, p = 0, e, i;

	if (!z->owned[s])
		return false;
	p0 = pb_fuzz_below(z, z->npages);
	for (i = 0; i < z->npages; i++) {
		p = (p0 + i) % z->npages;
		if (z->owner[p] == id)
			break;
	}
	if (i == z->npages)
		return false;
	while (p > 0 && z->owner[p - 1] == id && (extent || !z->first[p]))
		p--;
	e = p + 1;
	while (e < z->npages && z->owner[e] == id && (extent || !z->first[e]))
		e++;
	*start = p;
	*n = e - p;
	return true;
}

/* Narrow [start, start + n) to a random prefix, suffix, middle or page of it. */
static void pb_fuzz_part(struct pb_fuzz *z, __u64 *start, __u64 *n)
{
	__u64 a = 0, b = *n;

	switch (pb_fuzz_below(z, 4)) {
	case 0:
		b = 1 + pb_fuzz_below(z, *n);
		break;
	case 1:
		a = pb_fuzz_below(z, *n);
		break;
	case 2:
		a = pb_fuzz_below(z, *n);
		b = a + 1 + pb_fuzz_below(z, *n - a);
		break;
	default:
		a = pb_fuzz_below(z, *n);
		b = a + 1;
		break;
	}
	*start += a;
	*n = b - a;
}

/* Is there an @align aligned run of @n pages that none of our files holds? */
static bool pb_fuzz_fits(struct pb_fuzz *z, __u64 n, __u64 align)
{
	__u64 p = 0, q;

	if (align < 1)
		align = 1;
	for (;;) {
		p = (p + align - 1) / align * align;
		if (p > z->npages || n > z->npages - p)
			return false;
		for (q = p; q < p + n && !z->owner[q]; q++)
			;
		if (q == p + n)
			return true;
		p = q + 1;
	}
}

/* The words a page's contents are checked by: the first, one in the middle, the last. */
static void pb_fuzz_words(struct pb_fuzz *z, __u64 page, __u64 *w)
{
	__u64 t = z->tag[page];

	w[0] = t;
	w[1] = t ? pb_tag(t, page) : 0;
	w[2] = t ? ~t : 0;
}

/* Check page @i of mapping @m against the model. */
static int pb_fuzz_check_page(struct pb_fuzz *z, struct pb_fuzz_map *m, __u64 i)
{
	__u64 words = z->ps / 8, page = m->start + i, want[3];
	__u64 *w = (__u64 *)(m->addr + i * z->ps);
	size_t len;

	pb_fuzz_words(z, page, want);
	z->res->pages_checked++;
	if (w[0] != want[0] || w[words / 2] != want[1] || w[words - 1] != want[2])
		return pb_fuzz_fail(z,
				    "page %#llx (mapping %#llx+%llu, page %llu) holds %#llx %#llx %#llx, want %#llx %#llx %#llx",
				    page, m->start, m->npages, i, w[0], w[words / 2],
				    w[words - 1], want[0], want[1], want[2]);
	if (z->tag[page])
		return 0;
	/* A page nobody wrote since it was allocated: zero, all of it sometimes. */
	len = pb_fuzz_chance(z, 15) ? z->ps : 64;
	if (pb_first_nonzero(w, len) != len)
		return pb_fuzz_fail(z, "page %#llx is not zero at byte %zu: another owner's data",
				    page, pb_first_nonzero(w, len));
	return 0;
}

static void pb_fuzz_write_page(struct pb_fuzz *z, struct pb_fuzz_map *m, __u64 i)
{
	__u64 words = z->ps / 8, page = m->start + i, want[3];
	__u64 *w = (__u64 *)(m->addr + i * z->ps);

	z->tag[page] = pb_fuzz_rand(z) | 1;
	pb_fuzz_words(z, page, want);
	w[0] = want[0];
	w[words / 2] = want[1];
	w[words - 1] = want[2];
}

/* Check the live pages [a, b) of mapping @m; rewrite some if @write. */
static int pb_fuzz_check_map(struct pb_fuzz *z, struct pb_fuzz_map *m, __u64 a, __u64 b,
			     bool write)
{
	__u64 i;

	for (i = a; i < b; i++) {
		if (!m->live[i])
			continue;
		if (pb_fuzz_check_page(z, m, i))
			return -1;
		if (write && !m->rdonly && pb_fuzz_chance(z, 50))
			pb_fuzz_write_page(z, m, i);
	}
	return 0;
}

/* Forget the pages of file @id: it was released. */
static void pb_fuzz_drop_file(struct pb_fuzz *z, unsigned int id)
{
	__u64 p;

	for (p = 0; p < z->npages; p++) {
		if (z->owner[p] == id) {
			z->owner[p] = 0;
			z->first[p] = 0;
			z->held--;
		}
	}
	z->resync_frees = true;
}

static bool pb_fuzz_file_open(struct pb_fuzz *z, unsigned int id)
{
	unsigned int s;

	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		if (z->id[s] == id)
			return true;
	return false;
}

/* Unmap the live pages [a, b) of mapping @k; the file may be released with the last. */
static int pb_fuzz_unmap(struct pb_fuzz *z, unsigned int k, __u64 a, __u64 b)
{
	struct pb_fuzz_map *m = &z->map[k];
	unsigned int id = m->id, j;
	__u64 i, e;

	for (i = a; i < b; i = e) {
		if (!m->live[i]) {
			e = i + 1;
			continue;
		}
		for (e = i; e < b && m->live[e]; e++)
			m->live[e] = 0;
		if (munmap(m->addr + i * z->ps, (e - i) * z->ps))
			return pb_fuzz_fail(z, "munmap pages %llu..%llu of mapping %#llx+%llu: %s",
					    i, e, m->start, m->npages, strerror(errno));
		m->nlive -= e - i;
	}
	if (m->nlive)
		return 0;
	free(m->live);
	z->map[k] = z->map[--z->nmaps];
	/* The last mapping of a closed file held it open: now it is released. */
	for (j = 0; j < z->nmaps; j++)
		if (z->map[j].id == id)
			return 0;
	if (!pb_fuzz_file_open(z, id)) {
		pb_fuzz_say(z, " (releases closed file %u)", id);
		pb_fuzz_drop_file(z, id);
	}
	return 0;
}

/* --- Calls --- */

/* A pointer the kernel cannot use for a structure of @size bytes (@arg's). */
static void *pb_fuzz_bad_ptr(struct pb_fuzz *z, const void *arg, size_t size)
{
	size_t k;

	switch (pb_fuzz_below(z, 5)) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)0xffffffff81000000UL;
	case 3:
		return z->guard;
	default:
		/* The first k bytes are readable, the rest is in the guard page. */
		k = 8 * (1 + pb_fuzz_below(z, size / 8 - 1));
		memcpy(z->guard - k, arg, k);
		return z->guard - k;
	}
}

static unsigned int pb_fuzz_place(struct pb_fuzz *z)
{
	unsigned int r = pb_fuzz_below(z, 100);
	unsigned int place = r < 88 ? PB_ARG_STACK : r < 92 ? PB_ARG_ODD :
			     r < 95 ? PB_ARG_RO : PB_ARG_BAD;

	z->res->by_arg[place]++;
	return place;
}

/* ioctl @cmd on @fd with the @size bytes of @arg put where @place says. */
static int pb_fuzz_ioctl(struct pb_fuzz *z, int fd, unsigned long cmd, void *arg, size_t size,
			 unsigned int place)
{
	void *p = arg;
	int ret;

	switch (place) {
	case PB_ARG_ODD:
		p = z->scratch + 8 + 2 * pb_fuzz_below(z, 64) + 1;
		memcpy(p, arg, size);
		break;
	case PB_ARG_RO:
		p = z->ro;
		memcpy(p, arg, size);
		if (mprotect(z->ro, z->ps, PROT_READ))
			return -1;
		break;
	case PB_ARG_BAD:
		p = pb_fuzz_bad_ptr(z, arg, size);
		break;
	}
	if (place != PB_ARG_STACK)
		pb_fuzz_say(z, " @%s %p", pb_arg_names[place], p);
	ret = pb_ioctl(fd, cmd, p);
	if (place == PB_ARG_RO && mprotect(z->ro, z->ps, PROT_READ | PROT_WRITE))
		return -1;
	if (place == PB_ARG_ODD || place == PB_ARG_RO)
		memcpy(arg, p, size);
	return ret;
}

/* --- Operations --- */

static __u64 pb_fuzz_npages(struct pb_fuzz *z)
{
	const __u64 n = z->npages;
	const __u64 edge[] = {
		0, 1, 2, 15, 16, 17, 63, 64, 65, 511, 512, 513, 1023, 1024, 2048, n / 2,
		n - 1, n, n + 1, 2 * n, 1ULL << 32, (1ULL << 32) + 1, 1ULL << 52,
		1ULL << 63, ~0ULL - 1, ~0ULL,
	};
	unsigned int r = pb_fuzz_below(z, 100);

	if (r < 40)
		return 1 + pb_fuzz_below(z, 16);
	if (r < 62)
		return 17 + pb_fuzz_below(z, 240);
	if (r < 70)
		return 257 + pb_fuzz_below(z, 1792);
	if (r < 96)
		return edge[pb_fuzz_below(z, PB_ARRAY_SIZE(edge))];
	return pb_fuzz_rand(z);
}

static __u64 pb_fuzz_align(struct pb_fuzz *z)
{
	const __u64 n = z->npages;
	const __u64 edge[] = {
		2, 3, 5, 6, 7, 12, 768, 1000, n / 2, n - 1, n, n + 1, 2 * n, 1ULL << 32,
		1ULL << 63, ~0ULL,
	};
	unsigned int r = pb_fuzz_below(z, 100);

	if (r < 50)
		return 0;
	if (r < 60)
		return 1;
	if (r < 84)
		return 1ULL << (1 + pb_fuzz_below(z, 9));
	if (r < 89)
		return 1ULL << pb_fuzz_below(z, 64);
	if (r < 98)
		return edge[pb_fuzz_below(z, PB_ARRAY_SIZE(edge))];
	return pb_fuzz_rand(z);
}

/* Flags: mostly known bits, sometimes unknown ones. */
static __u64 pb_fuzz_flags(struct pb_fuzz *z, __u64 known)
{
	unsigned int r = pb_fuzz_below(z, 100);

	if (r < 60)
		return 0;
	if (r < 88)
		return known;
	if (r < 96)
		return (1ULL << (1 + pb_fuzz_below(z, 63))) | (pb_fuzz_chance(z, 50) ? known : 0);
	return r < 98 ? ~0ULL : pb_fuzz_rand(z);
}

/* A reserved word: mostly zero. */
static __u64 pb_fuzz_reserved(struct pb_fuzz *z)
{
	if (!pb_fuzz_chance(z, 3))
		return 0;
	return pb_fuzz_chance(z, 50) ? 1ULL << pb_fuzz_below(z, 64) : pb_fuzz_rand(z) | 1;
}

static int pb_fuzz_alloc(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	struct palloc_ioc_alloc a = { 0 };
	__u64 n, align, start, p;
	unsigned int ok;
	bool valid;
	int ret;

	a.npages = pb_fuzz_npages(z);
	a.align = pb_fuzz_align(z);
	a.flags = pb_fuzz_flags(z, PALLOC_ALLOC_ZERO);
	/*
	 * A valid WC run would make mappings over it and a WB neighbour fail
	 * (EINVAL), which this model does not follow: WC only with bits that
	 * make the ALLOC invalid anyway (tests pb.wc_* cover WC).
	 */
	if (!(a.flags & ~PALLOC_ALLOC_FLAGS))
		a.flags &= ~PALLOC_ALLOC_WC;
	a.reserved[0] = pb_fuzz_reserved(z);
	a.reserved[1] = pb_fuzz_reserved(z);
	/* Output fields: whatever they hold is ignored. */
	if (pb_fuzz_chance(z, 20)) {
		a.offset = pb_fuzz_rand(z);
		a.scavenged = pb_fuzz_rand(z);
		a.phys = pb_fuzz_rand(z);
	}
	n = a.npages;
	align = a.align;
	pb_fuzz_say(z, "ALLOC file %u npages %#llx align %#llx flags %#llx rsv %#llx %#llx", s, n,
		    align, a.flags, a.reserved[0], a.reserved[1]);
	valid = n && n <= z->npages && (align <= 1 || (pb_is_pow2(align) && align <= z->npages)) &&
		!(a.flags & ~PALLOC_ALLOC_FLAGS) && !a.reserved[0] && !a.reserved[1];
	if (place == PB_ARG_BAD)
		ok = pb_fb(EFAULT);
	else if (!valid)
		ok = pb_fb(EINVAL);
	else if (z->exact)
		ok = pb_fuzz_fits(z, n, align) ? pb_fb(place == PB_ARG_RO ? EFAULT : 0) :
		     pb_fb(ENOMEM);
	else
		ok = pb_fb(place == PB_ARG_RO ? EFAULT : 0) | pb_fb(ENOMEM);

	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_ALLOC, &a, sizeof(a), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (!ret)
		pb_fuzz_say(z, " offset %#llx scav %llu", a.offset, a.scavenged);
	if (pb_fuzz_expect(z, ret, ok))
		return -1;
	if (ret == ENOMEM) {
		z->res->alloc_nomem++;
		z->want.alloc_failures++;
		return 0;
	}
	if (ret == EFAULT && place == PB_ARG_RO) {
		/* Allocated, the result not written, freed again. */
		z->res->alloc_rollback++;
		z->want.allocs++;
		z->want.frees++;
		return 0;
	}
	if (ret)
		return 0;

	z->res->alloc_ok++;
	z->want.allocs++;
	start = a.offset / z->ps;
	if (a.offset % z->ps || start >= z->npages || n > z->npages - start)
		return pb_fuzz_fail(z, "run %#llx+%llu is not inside the range", a.offset, n);
	if (align > 1 && start % align)
		return pb_fuzz_fail(z, "run at page %#llx is not aligned to %llu", start, align);
	if (a.npages != n || a.align != align || a.scavenged > n || a.reserved[0] || a.reserved[1])
		return pb_fuzz_fail(z,
				    "ALLOC wrote npages %llu align %llu scavenged %llu rsv %#llx %#llx",
				    a.npages, a.align, a.scavenged, a.reserved[0], a.reserved[1]);
	if (!a.phys || a.phys % z->ps || (z->phys_base && a.phys - a.offset != z->phys_base))
		return pb_fuzz_fail(z, "phys %#llx for offset %#llx (range base %#llx)", a.phys,
				    a.offset, z->phys_base);
	z->phys_base = a.phys - a.offset;
	for (p = start; p < start + n; p++) {
		if (z->owner[p])
			return pb_fuzz_fail(z,
					    "page %#llx of the run is owned by our file %u already",
					    p, z->owner[p]);
		z->owner[p] = z->id[s];
		z->first[p] = p == start;
		z->tag[p] = 0;
	}
	z->owned[s] += n;
	z->held += n;
	return 0;
}

static int pb_fuzz_free(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	unsigned int kind = pb_fuzz_below(z, 100), ok, k, nruns = 0;
	struct palloc_ioc_free f = { 0 };
	__u64 start = 0, n = 0, p;
	bool owns, busy, whole, raw = false;
	int ret;

	if (kind >= 62 && kind < 68 && z->nfreed) {
		/* Again what was freed lately. */
		k = pb_fuzz_below(z, z->nfreed);
		start = z->freed_start[k];
		n = z->freed_n[k];
	} else if (kind >= 68 && kind < 76 && z->nmaps) {
		/* Pages of a mapping: busy (if the mapping is this file's). */
		struct pb_fuzz_map *m = &z->map[pb_fuzz_below(z, z->nmaps)];

		start = m->start;
		n = m->npages;
		pb_fuzz_part(z, &start, &n);
	} else if (kind >= 76 && kind < 80 &&
		   pb_fuzz_pick(z, (s + 1) % PB_FUZZ_SLOTS, false, &start, &n)) {
		/* The other file's run. */
	} else if (kind >= 80 && kind < 86) {
		start = pb_fuzz_below(z, z->npages);
		n = 1 + pb_fuzz_below(z, z->npages - start < 64 ? z->npages - start : 64);
	} else if (kind >= 86) {
		raw = true;
		pb_fuzz_pick(z, s, false, &start, &n);
		f.offset = start * z->ps;
		f.npages = n ? n : 1;
		switch (pb_fuzz_below(z, 10)) {
		case 0:
			f.npages = 0;
			break;
		case 1:
			f.offset += 1 + pb_fuzz_below(z, z->ps - 1);
			break;
		case 2:
			f.offset = (z->npages + pb_fuzz_below(z, 3)) * z->ps;
			break;
		case 3:
			f.offset = (z->npages - 1) * z->ps;
			f.npages = 2;
			break;
		case 4:
			f.offset = 0ULL - z->ps * (1 + pb_fuzz_below(z, 2));
			f.npages = 1 + pb_fuzz_below(z, 3);
			break;
		case 5:
			f.offset = pb_fuzz_chance(z, 50) ? ~0ULL : pb_fuzz_rand(z);
			break;
		case 6:
			f.npages = pb_fuzz_chance(z, 50) ? 1ULL << 52 : ~0ULL - pb_fuzz_below(z, 2);
			break;
		case 7:
			f.npages = z->npages - start + 1;
			break;
		case 8:
			f.flags = pb_fuzz_chance(z, 50) ? 1ULL << pb_fuzz_below(z, 64) : ~0ULL;
			break;
		default:
			f.reserved = pb_fuzz_rand(z) | 1;
			break;
		}
	} else if (pb_fuzz_pick(z, s, kind >= 50 && kind < 55, &start, &n)) {
		if (kind >= 30 && kind < 50)
			pb_fuzz_part(z, &start, &n);
		/* One page more, before or after: owned only if a run of ours is there. */
		if (kind >= 55 && kind < 62) {
			if (start && pb_fuzz_chance(z, 50))
				start--;
			n++;
		}
	} else {
		start = pb_fuzz_below(z, z->npages);
		n = 1;
	}
	if (!raw) {
		f.offset = start * z->ps;
		f.npages = n;
	}
	pb_fuzz_say(z, "FREE file %u offset %#llx npages %#llx flags %#llx rsv %#llx", s,
		    f.offset, f.npages, f.flags, f.reserved);

	/* What the uapi allows. */
	start = f.offset / z->ps;
	if (place == PB_ARG_BAD) {
		ok = pb_fb(EFAULT);
	} else if (f.flags || f.reserved || !f.npages || f.offset % z->ps || start > z->npages ||
		   f.npages > z->npages - start) {
		ok = pb_fb(EINVAL);
	} else {
		owns = pb_fuzz_owns(z, s, start, f.npages);
		/* Each run (or part of one) goes back to the heap on its own. */
		nruns = pb_fuzz_runs_mapped(z, s, start, f.npages, &busy, &whole);
		/*
		 * A FREE of a whole mapped run drops the file's hold and leaves
		 * the pages held by the mapping: this model does not follow
		 * such pages (tests pb.free_while_mapped_drops_hold and the
		 * dma-buf tests do), so it does not send that FREE.
		 */
		if (owns && whole && !busy) {
			pb_fuzz_say(z, "FREE file %u of a whole mapped run: not sent", s);
			return 0;
		}
		/* Not all ours and a mapped run cut: either error will do. */
		ok = owns ? pb_fb(busy ? EBUSY : 0) : pb_fb(EINVAL) | (busy ? pb_fb(EBUSY) : 0);
	}

	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_FREE, &f, sizeof(f), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (pb_fuzz_expect(z, ret, ok))
		return -1;
	if (ret) {
		z->res->free_refused++;
		z->want.free_errors++;
		return 0;
	}
	z->res->free_ok++;
	z->want.frees += nruns;
	n = f.npages;
	for (p = start; p < start + n; p++) {
		z->owner[p] = 0;
		z->first[p] = 0;
	}
	/* What is left of a run after it is a run of its own. */
	if (start + n < z->npages && z->owner[start + n] == z->id[s])
		z->first[start + n] = 1;
	z->owned[s] -= n;
	z->held -= n;
	k = z->nfreed < PB_FUZZ_FREED ? z->nfreed++ : pb_fuzz_below(z, PB_FUZZ_FREED);
	z->freed_start[k] = start;
	z->freed_n[k] = n;
	return 0;
}

static int pb_fuzz_scavenge(struct pb_fuzz *z)
{
	const __u64 edge[] = {
		0, 1, 2, 16, 511, 512, 513, z->npages - 1, z->npages, z->npages + 1,
		1ULL << 40, 1ULL << 63, ~0ULL,
	};
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z), ok;
	struct palloc_ioc_scavenge sc = { 0 };
	__u64 most;
	bool valid;
	int ret;

	sc.npages = pb_fuzz_chance(z, 40) ? edge[pb_fuzz_below(z, PB_ARRAY_SIZE(edge))] :
		    1 + pb_fuzz_below(z, 2048);
	sc.flags = pb_fuzz_flags(z, PALLOC_SCAVENGE_FORCE);
	sc.reserved = pb_fuzz_reserved(z);
	if (pb_fuzz_chance(z, 20))
		sc.released = pb_fuzz_rand(z);
	pb_fuzz_say(z, "SCAVENGE file %u npages %#llx flags %#llx rsv %#llx", s, sc.npages,
		    sc.flags, sc.reserved);
	valid = sc.npages && !(sc.flags & ~PALLOC_SCAVENGE_FLAGS) && !sc.reserved;
	if (place == PB_ARG_BAD)
		ok = pb_fb(EFAULT);
	else if (!valid)
		ok = pb_fb(EINVAL);
	else
		ok = pb_fb(place == PB_ARG_RO ? EFAULT : 0);

	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_SCAVENGE, &sc, sizeof(sc), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (!ret)
		pb_fuzz_say(z, " released %llu", sc.released);
	if (pb_fuzz_expect(z, ret, ok))
		return -1;
	if (!valid || place == PB_ARG_BAD)
		return 0;
	/* The pass ran; with a read-only argument only its report is lost. */
	z->want.scavenge_runs++;
	if (ret) {
		z->resync_released = true;
		return 0;
	}
	/* A whole free chunk may go beyond npages. */
	most = sc.npages < z->npages ? sc.npages + PB_CHUNK_PAGES - 1 : z->npages;
	if (most > z->npages)
		most = z->npages;
	if (sc.released > most || sc.reserved)
		return pb_fuzz_fail(z, "released %llu pages (at most %llu), reserved %#llx",
				    sc.released, most, sc.reserved);
	z->want.pages_released += sc.released;
	return 0;
}

static int pb_fuzz_stats_op(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	struct palloc_ioc_stats st;
	unsigned int k;
	int ret;

	/* Garbage in: STATS has no inputs. */
	for (k = 0; k < sizeof(st) / 8; k++)
		((__u64 *)&st)[k] = pb_fuzz_rand(z);
	pb_fuzz_say(z, "STATS file %u", s);
	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_STATS, &st, sizeof(st), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (pb_fuzz_expect(z, ret, pb_fb(place >= PB_ARG_RO ? EFAULT : 0)))
		return -1;
	if (ret)
		return 0;
	if (st.owned_pages != z->owned[s] || st.npages != z->npages ||
	    !pb_stats_consistent(&st) || st.reserved[0] || st.reserved[1])
		return pb_fuzz_fail(z,
				    "STATS owned %llu (model %llu) npages %llu inuse %llu free %llu",
				    st.owned_pages, z->owned[s], st.npages, st.pages_inuse,
				    st.pages_free);
	return 0;
}

static int pb_fuzz_info_op(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), place = pb_fuzz_place(z);
	struct palloc_ioc_info info;
	unsigned int k;
	int ret;

	for (k = 0; k < sizeof(info) / 8; k++)
		((__u64 *)&info)[k] = pb_fuzz_rand(z);
	pb_fuzz_say(z, "INFO file %u", s);
	ret = pb_fuzz_ioctl(z, z->fd[s], PALLOC_IOC_INFO, &info, sizeof(info), place);
	if (ret < 0)
		return pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
	if (pb_fuzz_expect(z, ret, pb_fb(place >= PB_ARG_RO ? EFAULT : 0)))
		return -1;
	if (!ret && memcmp(&info, &z->info, sizeof(info)))
		return pb_fuzz_fail(z, "INFO changed: npages %llu mode %llu", info.npages,
				    info.mode);
	return 0;
}

/* A command the device does not know: ENOTTY, whatever the argument. */
static int pb_fuzz_badcmd(struct pb_fuzz *z)
{
	static const unsigned long known[] = {
		PALLOC_IOC_INFO, PALLOC_IOC_ALLOC, PALLOC_IOC_FREE, PALLOC_IOC_SCAVENGE,
		PALLOC_IOC_STATS, PALLOC_IOC_STATS_V2, PALLOC_IOC_EXPORT,
	};
	static const unsigned int magics[] = { 'p', PALLOC_IOC_MAGIC - 1, PALLOC_IOC_MAGIC + 1 };
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), k;
	unsigned long cmd;
	void *arg;
	int ret;

	do {
		switch (pb_fuzz_below(z, 5)) {
		case 0:
			/* Another number of the device's magic. */
			cmd = _IOC(pb_fuzz_below(z, 4), PALLOC_IOC_MAGIC,
				   5 + pb_fuzz_below(z, 251), pb_fuzz_below(z, 256));
			break;
		case 1:
			/* A known number with another size or direction. */
			cmd = _IOC(pb_fuzz_below(z, 4), PALLOC_IOC_MAGIC, pb_fuzz_below(z, 5),
				   pb_fuzz_chance(z, 50) ? 8 * pb_fuzz_below(z, 24) :
				   pb_fuzz_below(z, 1 << 14));
			break;
		case 2:
			/* A known command under another magic. */
			cmd = (known[pb_fuzz_below(z, PB_ARRAY_SIZE(known))] & ~0xff00UL) |
			      magics[pb_fuzz_below(z, PB_ARRAY_SIZE(magics))] << 8;
			break;
		case 3:
			cmd = 0;
			break;
		default:
			/* A known command with a high bit set (ioctl's cmd is 32 bits). */
			cmd = known[pb_fuzz_below(z, PB_ARRAY_SIZE(known))] ^
			      (1UL << (14 + pb_fuzz_below(z, 2)));
			break;
		}
		for (k = 0; k < PB_ARRAY_SIZE(known); k++)
			if ((unsigned int)cmd == known[k])
				break;
	} while (k < PB_ARRAY_SIZE(known));
	arg = pb_fuzz_chance(z, 70) ? (void *)z->scratch :
	      pb_fuzz_bad_ptr(z, z->scratch, 32);
	pb_fuzz_say(z, "IOCTL file %u cmd %#lx arg %p", s, cmd, arg);
	ret = pb_ioctl(z->fd[s], cmd, arg);
	return pb_fuzz_expect(z, ret, pb_fb(ENOTTY));
}

static int pb_fuzz_mmap(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), kind = pb_fuzz_below(z, 100), ok;
	int flags = MAP_SHARED, prot = PROT_READ | PROT_WRITE, ret;
	__u64 start = 0, n = 0, off, len;
	struct pb_fuzz_map *m;
	bool owned;
	char *p;

	/* Room for one more mapping: unmap the oldest if need be. */
	if (z->nmaps == PB_FUZZ_MAPS) {
		pb_fuzz_say(z, "(unmap %#llx+%llu) ", z->map[0].start, z->map[0].npages);
		if (pb_fuzz_check_map(z, &z->map[0], 0, z->map[0].npages, false) ||
		    pb_fuzz_unmap(z, 0, 0, z->map[0].npages))
			return -1;
	}
	if (kind < 62 && pb_fuzz_pick(z, s, pb_fuzz_chance(z, 20), &start, &n)) {
		if (pb_fuzz_chance(z, 35))
			pb_fuzz_part(z, &start, &n);
	} else if (kind < 70 && pb_fuzz_pick(z, (s + 1) % PB_FUZZ_SLOTS, false, &start, &n)) {
		/* The other file's pages. */
	} else if (kind < 84 && pb_fuzz_pick(z, s, false, &start, &n)) {
		/* Owned pages with a twist. */
		if (kind < 76) {
			if (start && pb_fuzz_chance(z, 50))
				start--;
			n++;
		} else if (kind < 80) {
			flags = MAP_PRIVATE;
		} else {
			prot = PROT_READ;
		}
	} else if (kind < 92) {
		start = pb_fuzz_below(z, z->npages);
		n = 1 + pb_fuzz_below(z, z->npages - start < 16 ? z->npages - start : 16);
	} else {
		start = z->npages - pb_fuzz_below(z, 2);
		n = 1 + pb_fuzz_below(z, 3);
	}
	if (n > PB_FUZZ_MAP_PAGES) {
		start += pb_fuzz_below(z, n - PB_FUZZ_MAP_PAGES + 1);
		n = PB_FUZZ_MAP_PAGES;
	}
	off = start * z->ps;
	len = n * z->ps;
	if (pb_fuzz_chance(z, 10))
		len -= pb_fuzz_below(z, z->ps);		/* ragged: rounded up to pages */
	if (pb_fuzz_chance(z, 4)) {
		switch (pb_fuzz_below(z, 4)) {
		case 0:
			off += 1 + pb_fuzz_below(z, z->ps - 1);
			break;
		case 1:
			len = 0;
			break;
		case 2:
			off = 1ULL << (40 + pb_fuzz_below(z, 10));
			break;
		default:
			off = (0ULL - z->ps * (1 + pb_fuzz_below(z, 4))) >> pb_fuzz_below(z, 2);
			break;
		}
	}
	pb_fuzz_say(z, "MMAP file %u offset %#llx len %#llx%s%s", s, off, len,
		    flags == MAP_PRIVATE ? " private" : "", prot == PROT_READ ? " read-only" : "");

	/* What may happen; mmap() itself refuses bad lengths and offsets. */
	start = off / z->ps;
	n = (len + z->ps - 1) / z->ps;
	if (!len || off % z->ps) {
		ok = pb_fb(EINVAL);
	} else if (off >= 1ULL << 63) {
		ok = pb_fb(EINVAL) | pb_fb(EOVERFLOW);
	} else if (start >= z->npages || n > z->npages - start) {
		ok = pb_fb(EINVAL);
	} else {
		owned = pb_fuzz_owns(z, s, start, n);
		/* A private mapping of pages not ours: either error will do. */
		if (flags == MAP_PRIVATE)
			ok = pb_fb(EINVAL) | (owned ? 0 : pb_fb(EACCES));
		else
			ok = pb_fb(owned ? 0 : EACCES);
	}
	p = mmap(NULL, len, prot, flags, z->fd[s], (off_t)off);
	ret = p == MAP_FAILED ? errno : 0;
	if (!ret)
		pb_fuzz_say(z, " at %p", p);
	if (pb_fuzz_expect(z, ret, ok)) {
		if (!ret)
			munmap(p, len);
		return -1;
	}
	if (ret)
		return 0;
	m = &z->map[z->nmaps];
	m->live = malloc(n);
	if (!m->live) {
		munmap(p, len);
		return pb_fuzz_fail(z, "out of memory");
	}
	memset(m->live, 1, n);
	m->addr = p;
	m->start = start;
	m->npages = n;
	m->nlive = n;
	m->id = z->id[s];
	m->rdonly = prot == PROT_READ;
	z->nmaps++;
	return pb_fuzz_check_map(z, m, 0, n, true);
}

/* Unmap a mapping, or a part of one (the rest keeps all its pages busy). */
static int pb_fuzz_munmap(struct pb_fuzz *z)
{
	struct pb_fuzz_map *m;
	unsigned int k;
	__u64 a, n;

	if (!z->nmaps) {
		pb_fuzz_say(z, "MUNMAP: nothing mapped");
		return 0;
	}
	k = pb_fuzz_below(z, z->nmaps);
	m = &z->map[k];
	a = 0;
	n = m->npages;
	if (pb_fuzz_chance(z, 40))
		pb_fuzz_part(z, &a, &n);
	pb_fuzz_say(z, "MUNMAP %p: pages %llu..%llu of %#llx+%llu (file %u, %llu mapped)",
		    m->addr, a, a + n, m->start, m->npages, m->id, m->nlive);
	if (pb_fuzz_check_map(z, m, a, a + n, false))
		return -1;
	return pb_fuzz_unmap(z, k, a, a + n);
}

/* Read back a mapping's pages (64 of them at most) and rewrite some. */
static int pb_fuzz_verify(struct pb_fuzz *z)
{
	struct pb_fuzz_map *m;
	__u64 a, n;

	if (!z->nmaps) {
		pb_fuzz_say(z, "VERIFY: nothing mapped");
		return 0;
	}
	m = &z->map[pb_fuzz_below(z, z->nmaps)];
	a = m->npages > 64 ? pb_fuzz_below(z, m->npages - 63) : 0;
	n = m->npages > 64 ? 64 : m->npages;
	pb_fuzz_say(z, "VERIFY %p: pages %llu..%llu of %#llx+%llu (file %u)", m->addr, a, a + n,
		    m->start, m->npages, m->id);
	return pb_fuzz_check_map(z, m, a, a + n, true);
}

static int pb_fuzz_open_file(struct pb_fuzz *z, unsigned int s)
{
	z->fd[s] = pb_open();
	if (z->fd[s] < 0)
		return pb_fuzz_fail(z, "open %s: %s", PB_DEV, strerror(errno));
	z->id[s] = ++z->next_id;
	z->owned[s] = 0;
	return 0;
}

/* Close an open file (its mappings keep it until they go) and open another. */
static int pb_fuzz_reopen(struct pb_fuzz *z)
{
	unsigned int s = pb_fuzz_below(z, PB_FUZZ_SLOTS), id = z->id[s], k;
	bool mapped = false;

	for (k = 0; k < z->nmaps; k++)
		mapped |= z->map[k].id == id;
	pb_fuzz_say(z, "REOPEN file %u (id %u, %llu pages%s)", s, id, z->owned[s],
		    mapped ? ", mapped: kept until unmapped" : "");
	if (close(z->fd[s]))
		return pb_fuzz_fail(z, "close: %s", strerror(errno));
	z->id[s] = 0;
	z->owned[s] = 0;
	if (!mapped)
		pb_fuzz_drop_file(z, id);
	if (z->next_id >= 65000)
		return pb_fuzz_fail(z, "out of file ids");
	return pb_fuzz_open_file(z, s);
}

/* The counters exact mode predicts. */
static const size_t pb_fuzz_exact_fields[] = {
	offsetof(struct palloc_ioc_stats, allocs),
	offsetof(struct palloc_ioc_stats, frees),
	offsetof(struct palloc_ioc_stats, alloc_failures),
	offsetof(struct palloc_ioc_stats, free_errors),
	offsetof(struct palloc_ioc_stats, pages_released),
	offsetof(struct palloc_ioc_stats, scavenge_runs),
};

static const char *pb_stat_name(size_t off)
{
	size_t i;

	for (i = 0; i < PB_ARRAY_SIZE(pb_stat_fields); i++)
		if (pb_stat_fields[i].off == off)
			return pb_stat_fields[i].name;
	return "?";
}

/* After every step: STATS of every open file against the model. */
static int pb_fuzz_check(struct pb_fuzz *z)
{
	struct palloc_ioc_stats st;
	unsigned int s, k;
	int ret;

	for (s = 0; s < PB_FUZZ_SLOTS; s++) {
		ret = pb_stats(z->fd[s], &st);
		if (ret)
			return pb_fuzz_fail(z, "STATS of file %u: %s", s, strerror(ret));
		if (st.owned_pages != z->owned[s])
			return pb_fuzz_fail(z, "file %u: owned_pages %llu, the model says %llu", s,
					    st.owned_pages, z->owned[s]);
		if (st.npages != z->npages || st.mode != z->info.mode ||
		    !pb_stats_consistent(&st) || st.pages_inuse < z->held)
			return pb_fuzz_fail(z,
					    "STATS: npages %llu mode %llu inuse %llu free %llu cached %llu scavenging %llu; we hold %llu",
					    st.npages, st.mode, st.pages_inuse, st.pages_free,
					    st.pages_cached, st.pages_scavenging, z->held);
		for (k = 0; k < PB_ARRAY_SIZE(st.reserved); k++)
			if (st.reserved[k])
				return pb_fuzz_fail(z, "STATS reserved[%u] %#llx", k,
						    st.reserved[k]);
	}
	if (!z->exact)
		return 0;
	if (z->resync_frees)
		z->want.frees = st.frees;	/* a released file freed its runs one by one */
	if (z->resync_released)
		z->want.pages_released = st.pages_released;
	z->resync_frees = false;
	z->resync_released = false;
	if (st.pages_inuse != z->held)
		return pb_fuzz_fail(z, "pages_inuse %llu, but our files hold %llu pages",
				    st.pages_inuse, z->held);
	for (k = 0; k < PB_ARRAY_SIZE(pb_fuzz_exact_fields); k++) {
		size_t off = pb_fuzz_exact_fields[k];
		__u64 is, want;

		memcpy(&is, (char *)&st + off, sizeof(is));
		memcpy(&want, (char *)&z->want + off, sizeof(want));
		if (is != want)
			return pb_fuzz_fail(z, "STATS %s is %llu, the model says %llu",
					    pb_stat_name(off), is, want);
	}
	return 0;
}

static int pb_fuzz_step(struct pb_fuzz *z)
{
	unsigned int r = pb_fuzz_below(z, 100), op, acc = 0;
	int ret;

	for (op = 0; op < PB_FOP_NR - 1; op++) {
		acc += pb_fop_weight[op];
		if (r < acc)
			break;
	}
	z->what[0] = '\0';
	z->res->by_op[op]++;
	switch (op) {
	case PB_FOP_ALLOC:
		ret = pb_fuzz_alloc(z);
		break;
	case PB_FOP_FREE:
		ret = pb_fuzz_free(z);
		break;
	case PB_FOP_SCAVENGE:
		ret = pb_fuzz_scavenge(z);
		break;
	case PB_FOP_STATS:
		ret = pb_fuzz_stats_op(z);
		break;
	case PB_FOP_INFO:
		ret = pb_fuzz_info_op(z);
		break;
	case PB_FOP_BADCMD:
		ret = pb_fuzz_badcmd(z);
		break;
	case PB_FOP_MMAP:
		ret = pb_fuzz_mmap(z);
		break;
	case PB_FOP_MUNMAP:
		ret = pb_fuzz_munmap(z);
		break;
	case PB_FOP_VERIFY:
		ret = pb_fuzz_verify(z);
		break;
	default:
		ret = pb_fuzz_reopen(z);
		break;
	}
	if (!ret)
		ret = pb_fuzz_check(z);
	if (z->held > z->res->held_max)
		z->res->held_max = z->held;
	memcpy(z->hist[z->step % PB_FUZZ_HIST], z->what, sizeof(z->what));
	return ret;
}

/* Unmap everything (checking it) and free every run with FREE. */
static int pb_fuzz_cleanup(struct pb_fuzz *z)
{
	unsigned int s;
	__u64 start, n;
	int ret;

	while (z->nmaps) {
		z->what[0] = '\0';
		pb_fuzz_say(z, "cleanup: unmap %#llx+%llu", z->map[0].start, z->map[0].npages);
		if (pb_fuzz_check_map(z, &z->map[0], 0, z->map[0].npages, false) ||
		    pb_fuzz_unmap(z, 0, 0, z->map[0].npages) || pb_fuzz_check(z))
			return -1;
	}
	for (s = 0; s < PB_FUZZ_SLOTS; s++) {
		while (pb_fuzz_pick(z, s, pb_fuzz_chance(z, 50), &start, &n)) {
			bool cut, whole;
			unsigned int nruns = pb_fuzz_runs_mapped(z, s, start, n, &cut, &whole);

			z->what[0] = '\0';
			pb_fuzz_say(z, "cleanup: FREE file %u %#llx+%llu", s, start * z->ps, n);
			ret = pb_free(z->fd[s], start * z->ps, n);
			if (pb_fuzz_expect(z, ret, pb_fb(0)))
				return -1;
			z->res->free_ok++;
			/* Each run goes back to the heap on its own. */
			z->want.frees += nruns;
			for (; n; n--, start++) {
				z->owner[start] = 0;
				z->first[start] = 0;
				z->owned[s]--;
				z->held--;
			}
			if (pb_fuzz_check(z))
				return -1;
		}
	}
	return 0;
}

/* After a failure: unmap and close everything, for the checks that follow. */
static void pb_fuzz_abandon(struct pb_fuzz *z)
{
	unsigned int k, s;
	__u64 i, e;

	for (k = 0; k < z->nmaps; k++) {
		struct pb_fuzz_map *m = &z->map[k];

		for (i = 0; i < m->npages; i = e) {
			for (e = i; e < m->npages && m->live[e]; e++)
				;
			if (e > i)
				munmap(m->addr + i * z->ps, (e - i) * z->ps);
			else
				e++;
		}
		free(m->live);
	}
	z->nmaps = 0;
	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		if (z->fd[s] >= 0)
			close(z->fd[s]);
}

static void pb_fuzz_summary(const struct pb_fuzz_result *r, const char *who)
{
	char line[512];
	size_t len;
	unsigned int i;

	len = snprintf(line, sizeof(line), "%llu steps in %.1f s:", r->steps, r->secs);
	for (i = 0; i < PB_FOP_NR; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu", pb_fop_names[i],
				r->by_op[i]);
	len += snprintf(line + len, sizeof(line) - len, "; results:");
	for (i = 0; i < PB_FUZZ_NERR; i++)
		if (r->by_err[i])
			len += snprintf(line + len, sizeof(line) - len, " %s %llu",
					pb_fuzz_errno_names[i], r->by_err[i]);
	fprintf(stderr, "# %s: %s\n", who, line);
	len = snprintf(line, sizeof(line), "args:");
	for (i = 0; i < PB_ARG_NR; i++)
		len += snprintf(line + len, sizeof(line) - len, " %s %llu", pb_arg_names[i],
				r->by_arg[i]);
	fprintf(stderr,
		"# %s: %s; allocs %llu (+%llu rolled back), ENOMEM %llu, frees %llu, refused %llu, most pages held %llu, pages verified %llu\n",
		who, line, r->alloc_ok, r->alloc_rollback, r->alloc_nomem, r->free_ok,
		r->free_refused, r->held_max, r->pages_checked);
}

/*
 * One worker: @steps steps or @secs seconds, whichever ends first.  With
 * @cleanup it unmaps and frees everything at the end; else exit() does.
 */
static int pb_fuzz_worker(struct pb_fuzz_result *res, unsigned int wid, __u64 seed, bool exact,
			  __u64 steps, double secs, bool cleanup)
{
	double t0 = pb_now(), end = t0 + secs;
	struct pb_fuzz *z = calloc(1, sizeof(*z));
	unsigned int s;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	res->seed = seed;
	if (!z)
		return -1;
	z->wid = wid;
	z->exact = exact;
	z->seed = seed;
	z->rng = seed;
	z->res = res;
	z->ps = pb_page_size();
	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		z->fd[s] = -1;
	for (s = 0; s < PB_FUZZ_SLOTS; s++)
		if (pb_fuzz_open_file(z, s))
			goto out;
	if (pb_ioctl(z->fd[0], PALLOC_IOC_INFO, &z->info) || pb_stats(z->fd[0], &z->want)) {
		pb_fuzz_fail(z, "INFO/STATS: %s", strerror(errno));
		goto out;
	}
	z->npages = z->info.npages;
	z->owner = calloc(z->npages, sizeof(*z->owner));
	z->first = calloc(z->npages, 1);
	z->tag = calloc(z->npages, sizeof(*z->tag));
	/* scratch | guard (PROT_NONE) | ro */
	z->scratch = mmap(NULL, 3 * z->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (z->scratch == MAP_FAILED)
		z->scratch = NULL;
	if (!z->owner || !z->first || !z->tag || !z->scratch) {
		pb_fuzz_fail(z, "out of memory");
		goto out;
	}
	z->guard = z->scratch + z->ps;
	z->ro = z->guard + z->ps;
	if (mprotect(z->guard, z->ps, PROT_NONE)) {
		pb_fuzz_fail(z, "mprotect: %s", strerror(errno));
		goto out;
	}
	for (z->step = 0; z->step < steps && pb_now() < end; z->step++)
		if (pb_fuzz_step(z))
			goto out;
	ret = cleanup ? pb_fuzz_cleanup(z) : 0;
	if (!ret && cleanup)
		for (s = 0; s < PB_FUZZ_SLOTS; s++)
			close(z->fd[s]);
out:
	res->steps = z->step;
	res->secs = pb_now() - t0;
	if (ret)
		res->failed = 1;
	if (ret && cleanup)
		pb_fuzz_abandon(z);
	/* Left to exit(): the files, their runs and mappings (unless cleaned up). */
	if (z->scratch)
		munmap(z->scratch, 3 * z->ps);
	free(z->owner);
	free(z->first);
	free(z->tag);
	free(z);
	return ret;
}

static __u64 pb_fuzz_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return pb_env_u64_any("PB_FUZZ_SEED", "pb_fuzz_seed",
			      (__u64)ts.tv_nsec * 1000003ULL ^ (__u64)ts.tv_sec ^
			      (__u64)getpid() << 32);
}

FIXTURE(fuzz)
{
	int fd;
	struct palloc_ioc_info info;
	struct palloc_ioc_stats base;
	struct pb_fuzz_result *res;	/* PB_FUZZ_WORKERS, shared with the workers */
	char goal[32];
	__u64 seed, steps;
};

FIXTURE_SETUP(fuzz)
{
	self->fd = pb_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", PB_DEV, strerror(errno));
	ASSERT_EQ(0, pb_ioctl(self->fd, PALLOC_IOC_INFO, &self->info));
	ASSERT_EQ(0, pb_stats(self->fd, &self->base));
	self->res = mmap(NULL, PB_FUZZ_WORKERS * sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	self->seed = pb_fuzz_seed();
	self->steps = pb_env_u64_any("PB_FUZZ_OPS", "pb_fuzz_ops", 25000);
	TH_LOG("seed %#llx (PB_FUZZ_SEED, or pb_fuzz_seed= on the kernel command line)",
	       self->seed);
}

FIXTURE_TEARDOWN(fuzz)
{
	pb_scavenger_resume(self->goal);
	if (self->res != MAP_FAILED)
		munmap(self->res, PB_FUZZ_WORKERS * sizeof(*self->res));
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * One worker alone, the background scavenger paused: every outcome is
 * predicted, ENOMEM and the global counters included.
 */
TEST_F_TIMEOUT(fuzz, one_process_exact, 60)
{
	double secs = (double)pb_env_u64_any("PB_FUZZ_SECONDS", "pb_fuzz_seconds", 4);
	struct palloc_ioc_stats st;
	__u64 seen = 0;
	bool exact;

	ASSERT_EQ(0, self->base.pages_inuse) TH_LOG("pages in use before the test");
	ASSERT_EQ(0, pb_scavenger_pause(self->fd, self->goal));
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	/*
	 * Every page present, none held elsewhere: the model sees the whole
	 * range.  An elastic pool's pages come and go (SCAVENGE hands chunks
	 * back, ALLOC grows them): there the model predicts all but ENOMEM
	 * and the counters.
	 */
	exact = st.pages_free + st.pages_cached == st.npages &&
		!getenv("PB_ELASTIC");
	EXPECT_TRUE(exact || getenv("PB_ELASTIC"))
		TH_LOG("free %llu + cached %llu of %llu pages: not exact",
		       st.pages_free, st.pages_cached, st.npages);
	EXPECT_EQ(0, pb_fuzz_worker(&self->res[0], 0, self->seed, exact, self->steps, secs, true));
	pb_fuzz_summary(&self->res[0], "fuzz 0 (exact)");
	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu after the fuzzer, baseline %llu", seen,
		       self->base.pages_inuse);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	EXPECT_TRUE(pb_check_ok());
}

/*
 * PB_FUZZ_WORKERS processes at once, each with its own files and model.
 * Afterwards everything is back, and free_errors and alloc_failures grew by
 * exactly the refusals and ENOMEMs the workers saw; allocs by their allocations.
 */
TEST_F_TIMEOUT(fuzz, processes, 90)
{
	double secs = (double)pb_env_u64_any("PB_FUZZ_SECONDS", "pb_fuzz_seconds", 6);
	struct pb_fuzz_result sum = { 0 };
	pid_t pids[PB_FUZZ_WORKERS];
	struct palloc_ioc_stats st;
	unsigned int k, i;
	__u64 seen = 0;
	int status;

	for (k = 0; k < PB_FUZZ_WORKERS; k++) {
		pids[k] = fork();
		ASSERT_LE(0, pids[k]);
		if (!pids[k]) {
			char who[32];
			int ret;

			close(self->fd);
			/* Odd workers leave their runs and mappings to exit(). */
			ret = pb_fuzz_worker(&self->res[k], k, self->seed + 1 + k, false,
					     self->steps, secs, !(k % 2));
			snprintf(who, sizeof(who), "fuzz %u (seed %#llx)", k, self->seed + 1 + k);
			pb_fuzz_summary(&self->res[k], who);
			_exit(ret ? 1 : 0);
		}
	}
	for (k = 0; k < PB_FUZZ_WORKERS; k++) {
		ASSERT_EQ(pids[k], waitpid(pids[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("fuzz worker %u (seed %#llx): status %#x", k, self->seed + 1 + k,
			       status);
		EXPECT_EQ(0, self->res[k].failed);
	}
	for (k = 0; k < PB_FUZZ_WORKERS; k++) {
		const struct pb_fuzz_result *r = &self->res[k];

		sum.steps += r->steps;
		sum.secs = sum.secs > r->secs ? sum.secs : r->secs;
		for (i = 0; i < PB_FOP_NR; i++)
			sum.by_op[i] += r->by_op[i];
		for (i = 0; i < PB_ARG_NR; i++)
			sum.by_arg[i] += r->by_arg[i];
		for (i = 0; i < PB_FUZZ_NERR; i++)
			sum.by_err[i] += r->by_err[i];
		sum.alloc_ok += r->alloc_ok;
		sum.alloc_rollback += r->alloc_rollback;
		sum.alloc_nomem += r->alloc_nomem;
		sum.free_ok += r->free_ok;
		sum.free_refused += r->free_refused;
		sum.pages_checked += r->pages_checked;
		sum.held_max = sum.held_max > r->held_max ? sum.held_max : r->held_max;
	}
	pb_fuzz_summary(&sum, "fuzz: all workers");

	EXPECT_EQ(0, pb_wait_inuse(self->fd, self->base.pages_inuse, 2, &seen))
		TH_LOG("pages_inuse %llu after the workers, baseline %llu", seen,
		       self->base.pages_inuse);
	ASSERT_EQ(0, pb_stats(self->fd, &st));
	EXPECT_TRUE(pb_stats_consistent(&st));
	EXPECT_EQ(0, st.owned_pages);
	EXPECT_EQ(self->base.free_errors + sum.free_refused, st.free_errors);
	EXPECT_EQ(self->base.alloc_failures + sum.alloc_nomem, st.alloc_failures);
	EXPECT_EQ(self->base.allocs + sum.alloc_ok + sum.alloc_rollback, st.allocs);
	EXPECT_LE(self->base.frees + sum.free_ok + sum.alloc_rollback, st.frees);
	EXPECT_TRUE(pb_check_ok());
}
