/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits physical backing: the range of physical memory the page
 * allocator's page numbers stand for.
 */
#ifndef _PALLOC_BACKING_H
#define _PALLOC_BACKING_H

#include <linux/ioport.h>
#include <linux/types.h>

/**
 * struct palloc_backing - a physically contiguous range, mapped in the kernel
 * @mode: PALLOC_MODE_RESERVED or PALLOC_MODE_GRABBED
 * @base: physical address of page 0
 * @npages: pages in the range
 * @va: kernel virtual address of page 0
 * @res: the claimed region (reserved mode)
 */
struct palloc_backing {
	unsigned int mode;
	phys_addr_t base;
	u64 npages;
	void *va;
	struct resource *res;
};

/**
 * struct palloc_probe - what a probe of 2 MiB blocks found (debugfs "probe")
 * @blocks: blocks tried
 * @taken: blocks alloc_contig_range() took (each given back at once)
 * @longest: most adjacent blocks taken in a row
 * @cur: adjacent blocks taken up to the last one taken
 * @next: the block that would extend @cur
 */
struct palloc_probe {
	u64 blocks;
	u64 taken;
	u64 longest;
	u64 cur;
	u64 next;
};

/**
 * struct palloc_probe_arg - palloc_backing_probe_chunk()'s argument
 * @b: the backing
 * @probe: the counts
 */
struct palloc_probe_arg {
	struct palloc_backing *b;
	struct palloc_probe probe;
};

int palloc_backing_reserve(struct palloc_backing *b, phys_addr_t base, u64 size);
int palloc_backing_grab(struct palloc_backing *b, u64 size, bool movable);
void palloc_backing_release(struct palloc_backing *b, bool (*absent)(void *arg, u64 page),
			    void *arg);
int palloc_backing_hand_back(void *priv, u64 start, u64 npages);
int palloc_backing_take_back(void *priv, u64 start, u64 npages);
void palloc_probe_note(struct palloc_probe *p, u64 block, bool taken);
int palloc_backing_probe_chunk(void *priv, u64 start, u64 npages);
int palloc_backing_probe_zone(struct palloc_backing *b, struct palloc_probe *p,
			      const char **zone_name);
int palloc_backing_zero(void *priv, u64 start, u64 npages);

#endif /* _PALLOC_BACKING_H */
