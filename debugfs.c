// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits debugfs: read-only views of the heap, and the scavenger's knobs.
 *
 * /sys/kernel/debug/pallocbits/
 *   stats      every counter, "name: value"
 *   chunks     per chunk: start/max/end summary, pages allocated (absent
 *              pages past the range's end included), free pages scavenged
 *   bitmap     per chunk: the allocation and scavenged bitmaps in hex
 *   map        one character per chunk, 64 per line, with a legend
 *   scavenger  goal, budget and work done; "goal_pages N", "goal_percent N"
 *              or "budget_percent N" written to it retune the scavenger
 *   check      "ok" when every summary and counter matches a recount
 *   runs       every live run and its holders (run.c): file and process,
 *              mappings, dma-buf, kernel vmaps, importer attachments
 *   probe      elastic pool: writing runs a probe, reading shows its counts:
 *              how many of the window's absent chunks, and of the other
 *              2 MiB blocks of its zone, the kernel would give back now
 *
 * Per-chunk files take the heap lock for one record at a time, never for a
 * whole dump.  Not an ABI.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "palloc_dev.h"

/* Chunks shown on one line of the map. */
#define PALLOC_MAP_WIDTH	64

/* How the range was obtained, for stats: "reserved" or "grabbed". */
static const char *palloc_debugfs_mode;

static int palloc_stats_show(struct seq_file *m, void *v)
{
	struct palloc_heap *h = m->private;
	struct palloc_stats st;

	palloc_heap_stats(h, &st);
	seq_printf(m, "mode: %s\n", palloc_debugfs_mode);
	seq_printf(m, "npages: %llu\n", h->npages);
	seq_printf(m, "chunks: %lu\n", h->nchunks);
	seq_printf(m, "levels: %u\n", h->nlevels);
	seq_printf(m, "metadata_bytes: %zu\n", palloc_heap_metadata_bytes(h));
	seq_printf(m, "pages_total: %llu\n", st.pages_total);
	seq_printf(m, "pages_inuse: %llu\n", st.pages_inuse);
	seq_printf(m, "pages_free: %llu\n", st.pages_free);
	seq_printf(m, "pages_scavenged: %llu\n", st.pages_scavenged);
	seq_printf(m, "pages_cached: %llu\n", st.pages_cached);
	seq_printf(m, "pages_scavenging: %llu\n", st.pages_scavenging);
	seq_printf(m, "largest_free: %llu\n", st.largest_free);
	seq_printf(m, "allocs: %llu\n", st.allocs);
	seq_printf(m, "frees: %llu\n", st.frees);
	seq_printf(m, "alloc_failures: %llu\n", st.alloc_failures);
	seq_printf(m, "free_errors: %llu\n", st.free_errors);
	seq_printf(m, "cache_allocs: %llu\n", st.cache_allocs);
	seq_printf(m, "cache_frees: %llu\n", st.cache_frees);
	seq_printf(m, "pages_released: %llu\n", st.pages_released);
	seq_printf(m, "scavenge_runs: %llu\n", st.scavenge_runs);
	seq_printf(m, "pages_present: %llu\n", st.pages_total);
	seq_printf(m, "pages_returned: %llu\n", st.pages_returned);
	seq_printf(m, "pages_grown: %llu\n", st.pages_grown);
	seq_printf(m, "grow_attempts: %llu\n", st.grow_attempts);
	seq_printf(m, "grow_failures: %llu\n", st.grow_failures);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(palloc_stats);

static int palloc_check_show(struct seq_file *m, void *v)
{
	int ret = palloc_heap_check(m->private);

	if (ret)
		seq_printf(m, "error %d\n", ret);
	else
		seq_puts(m, "ok\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(palloc_check);

/* Iteration over records (chunks, or map lines); *pos is the record. */
static void *palloc_rec_start(struct seq_file *m, loff_t *pos, unsigned long nrec)
{
	return *pos < nrec ? pos : NULL;
}

static void *palloc_chunk_start(struct seq_file *m, loff_t *pos)
{
	struct palloc_heap *h = m->private;

	if (!*pos)
		seq_puts(m, "chunk start max end allocated scavenged\n");
	return palloc_rec_start(m, pos, h->nchunks);
}

static void *palloc_chunk_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct palloc_heap *h = m->private;

	++*pos;
	return palloc_rec_start(m, pos, h->nchunks);
}

static void palloc_rec_stop(struct seq_file *m, void *v)
{
}

/* A consistent copy of one chunk and its leaf summary. */
static palloc_sum_t palloc_chunk_copy(struct palloc_heap *h, unsigned long ci,
				      struct palloc_data *d)
{
	palloc_sum_t s;

	spin_lock(&h->lock);
	*d = h->chunks[ci];
	s = palloc_heap_summary(h, h->nlevels - 1, ci);
	spin_unlock(&h->lock);
	return s;
}

static int palloc_chunks_show(struct seq_file *m, void *v)
{
	unsigned long ci = *(loff_t *)v;
	struct palloc_data d;
	palloc_sum_t s = palloc_chunk_copy(m->private, ci, &d);

	seq_printf(m, "%lu %u %u %u %u %u\n", ci, palloc_sum_start(s), palloc_sum_max(s),
		   palloc_sum_end(s), palloc_bits_popcnt_range(&d.alloc, 0, PALLOC_CHUNK_PAGES),
		   palloc_data_scavenged(&d));
	return 0;
}

static const struct seq_operations palloc_chunks_sops = {
	.start = palloc_chunk_start,
	.next = palloc_chunk_next,
	.stop = palloc_rec_stop,
	.show = palloc_chunks_show,
};
DEFINE_SEQ_ATTRIBUTE(palloc_chunks);

static void *palloc_bitmap_start(struct seq_file *m, loff_t *pos)
{
	struct palloc_heap *h = m->private;

	return palloc_rec_start(m, pos, h->nchunks);
}

static int palloc_bitmap_show(struct seq_file *m, void *v)
{
	unsigned long ci = *(loff_t *)v;
	struct palloc_data d;
	unsigned int k;

	palloc_chunk_copy(m->private, ci, &d);
	seq_printf(m, "%lu alloc", ci);
	for (k = 0; k < PALLOC_CHUNK_WORDS; k++)
		seq_printf(m, " %016llx", d.alloc.w[k]);
	seq_puts(m, " scav");
	for (k = 0; k < PALLOC_CHUNK_WORDS; k++)
		seq_printf(m, " %016llx", d.scav.w[k]);
	seq_putc(m, '\n');
	return 0;
}

static const struct seq_operations palloc_bitmap_sops = {
	.start = palloc_bitmap_start,
	.next = palloc_chunk_next,
	.stop = palloc_rec_stop,
	.show = palloc_bitmap_show,
};
DEFINE_SEQ_ATTRIBUTE(palloc_bitmap);

/*
 * One character per chunk: how full it is, and whether most of its free
 * pages are scavenged (known zero).
 */
static char palloc_map_char(unsigned int alloc, unsigned int scav)
{
	unsigned int nfree = PALLOC_CHUNK_PAGES - alloc;
	bool clean = nfree && scav * 2 >= nfree;

	if (!nfree)
		return '#';
	if (!alloc)
		return clean ? '_' : '.';
	if (alloc * 2 < PALLOC_CHUNK_PAGES)
		return clean ? '=' : '-';
	return clean ? 'O' : 'o';
}

static unsigned long palloc_map_lines(struct palloc_heap *h)
{
	return DIV_ROUND_UP(h->nchunks, PALLOC_MAP_WIDTH);
}

static void *palloc_map_start(struct seq_file *m, loff_t *pos)
{
	struct palloc_heap *h = m->private;

	if (!*pos) {
		seq_puts(m, "one character per 2 MiB chunk (512 pages), 64 per line:\n");
		seq_puts(m, "  #  full\n");
		seq_puts(m, "  o  half or more used    O  same, free part mostly scavenged\n");
		seq_puts(m, "  -  less than half used  =  same, free part mostly scavenged\n");
		seq_puts(m, "  .  empty, dirty         _  empty, mostly scavenged (zeroed)\n");
	}
	return palloc_rec_start(m, pos, palloc_map_lines(h));
}

static void *palloc_map_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return palloc_rec_start(m, pos, palloc_map_lines(m->private));
}

static int palloc_map_show(struct seq_file *m, void *v)
{
	struct palloc_heap *h = m->private;
	unsigned long line = *(loff_t *)v, ci, first = line * PALLOC_MAP_WIDTH;
	unsigned long last = min_t(unsigned long, first + PALLOC_MAP_WIDTH, h->nchunks);

	seq_printf(m, "%#012llx |", (u64)first * PALLOC_CHUNK_PAGES * PAGE_SIZE);
	for (ci = first; ci < last; ci++) {
		struct palloc_data d;

		palloc_chunk_copy(h, ci, &d);
		seq_putc(m, palloc_map_char(palloc_bits_popcnt_range(&d.alloc, 0,
								     PALLOC_CHUNK_PAGES),
					    palloc_data_scavenged(&d)));
	}
	seq_puts(m, "|\n");
	return 0;
}

static const struct seq_operations palloc_map_sops = {
	.start = palloc_map_start,
	.next = palloc_map_next,
	.stop = palloc_rec_stop,
	.show = palloc_map_show,
};
DEFINE_SEQ_ATTRIBUTE(palloc_map);

static int palloc_scavenger_show(struct seq_file *m, void *v)
{
	struct palloc_heap *h = m->private;
	struct palloc_scavenger *sc = &h->scavenger;
	u64 goal = READ_ONCE(sc->goal_pages);

	if (goal == U64_MAX)
		seq_puts(m, "goal_pages: off\n");
	else
		seq_printf(m, "goal_pages: %llu\n", goal);
	seq_printf(m, "budget_percent: %u\n", READ_ONCE(sc->budget_pct));
	seq_printf(m, "runs: %llu\n", READ_ONCE(sc->runs));
	seq_printf(m, "released: %llu\n", READ_ONCE(sc->released));
	seq_printf(m, "dirty_pages: %llu\n", palloc_heap_dirty_pages(h));
	return 0;
}

static int palloc_scavenger_open(struct inode *inode, struct file *file)
{
	return single_open(file, palloc_scavenger_show, inode->i_private);
}

static ssize_t palloc_scavenger_write(struct file *file, const char __user *ubuf,
				      size_t len, loff_t *ppos)
{
	struct palloc_heap *h = ((struct seq_file *)file->private_data)->private;
	struct palloc_scavenger *sc = &h->scavenger;
	char buf[48], *val;
	u64 n;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	val = strim(buf);
	val = strchr(val, ' ');
	if (!val)
		return -EINVAL;
	*val++ = '\0';
	ret = kstrtou64(strim(val), 0, &n);
	if (ret)
		return ret;
	if (!strcmp(buf, "goal_pages"))
		palloc_heap_set_goal(h, n, READ_ONCE(sc->budget_pct));
	else if (!strcmp(buf, "goal_percent") && n <= 100)
		palloc_heap_set_goal(h, div_u64(h->npages * n, 100), READ_ONCE(sc->budget_pct));
	else if (!strcmp(buf, "budget_percent") && n >= 1 && n <= 100)
		palloc_heap_set_goal(h, READ_ONCE(sc->goal_pages), n);
	else
		return -EINVAL;
	return len;
}

static const struct file_operations palloc_scavenger_fops = {
	.owner = THIS_MODULE,
	.open = palloc_scavenger_open,
	.read = seq_read,
	.write = palloc_scavenger_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* The last probe's counts ("probe"). */
struct palloc_probe_result {
	struct palloc_probe window;
	struct palloc_probe zone;
	const char *zone_name;
	u64 ns;
	bool valid;
};

/* Serialises probes; protects palloc_probe_last. */
static DEFINE_MUTEX(palloc_probe_lock);
static struct palloc_probe_result palloc_probe_last;

static int palloc_probe_show(struct seq_file *m, void *v)
{
	struct palloc_probe_result *r = &palloc_probe_last;

	if (mutex_lock_killable(&palloc_probe_lock))
		return -EINTR;
	if (!r->valid) {
		seq_puts(m, "no probe yet: write 1 to run one\n");
	} else {
		seq_printf(m, "window_absent: %llu\nwindow_taken: %llu\nwindow_longest: %llu\n",
			   r->window.blocks, r->window.taken, r->window.longest);
		seq_printf(m, "zone: %s\nzone_blocks: %llu\nzone_taken: %llu\nzone_longest: %llu\n",
			   r->zone_name, r->zone.blocks, r->zone.taken, r->zone.longest);
		seq_printf(m, "probe_ms: %llu\n", div_u64(r->ns, NSEC_PER_MSEC));
	}
	mutex_unlock(&palloc_probe_lock);
	return 0;
}

static int palloc_probe_open(struct inode *inode, struct file *file)
{
	return single_open(file, palloc_probe_show, inode->i_private);
}

/*
 * Any write runs a probe: each absent chunk of the window, then each other
 * 2 MiB block of the range's zone, is taken from the kernel as a grow
 * would take it and given back at once (backing.c).  It compares the fixed
 * window with a heap spanning the zone.  Killable; it migrates pages.
 */
static ssize_t palloc_probe_write(struct file *file, const char __user *ubuf, size_t len,
				  loff_t *ppos)
{
	struct palloc_dev *pd = ((struct seq_file *)file->private_data)->private;
	struct palloc_probe_arg arg = { .b = &pd->backing };
	struct palloc_probe_result r = { };
	u64 t0 = ktime_get_ns();
	int ret;

	if (mutex_lock_killable(&palloc_probe_lock))
		return -EINTR;
	ret = palloc_heap_walk_absent(pd->heap, palloc_backing_probe_chunk, &arg);
	if (!ret)
		ret = palloc_backing_probe_zone(&pd->backing, &r.zone, &r.zone_name);
	if (!ret) {
		r.window = arg.probe;
		r.ns = ktime_get_ns() - t0;
		r.valid = true;
		palloc_probe_last = r;
	}
	mutex_unlock(&palloc_probe_lock);
	return ret ?: len;
}

static const struct file_operations palloc_probe_fops = {
	.owner = THIS_MODULE,
	.open = palloc_probe_open,
	.read = seq_read,
	.write = palloc_probe_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * palloc_debugfs_add_probe() - add the "probe" file of an elastic pool
 * @pd: the device, with its debugfs directory and an elastic heap
 *
 * Context: Process context, may sleep.
 */
void palloc_debugfs_add_probe(struct palloc_dev *pd)
{
	palloc_probe_last.valid = false;
	debugfs_create_file("probe", 0600, pd->debugfs, pd, &palloc_probe_fops);
}

/**
 * palloc_debugfs_create() - create /sys/kernel/debug/pallocbits for a heap
 * @h: the heap; it must outlive the directory
 * @mode: how the range was obtained, shown in stats (a static string)
 *
 * Context: Process context, may sleep.
 * Return: the directory, to be removed with debugfs_remove_recursive()
 * before @h is destroyed (an error pointer is fine to remove too).
 */
struct dentry *palloc_debugfs_create(struct palloc_heap *h, const char *mode)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);

	palloc_debugfs_mode = mode;

	debugfs_create_file("stats", 0400, dir, h, &palloc_stats_fops);
	debugfs_create_file("chunks", 0400, dir, h, &palloc_chunks_fops);
	debugfs_create_file("bitmap", 0400, dir, h, &palloc_bitmap_fops);
	debugfs_create_file("map", 0400, dir, h, &palloc_map_fops);
	debugfs_create_file("scavenger", 0600, dir, h, &palloc_scavenger_fops);
	debugfs_create_file("check", 0400, dir, h, &palloc_check_fops);
	return dir;
}
