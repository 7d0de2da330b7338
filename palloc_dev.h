/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits device: the heap, its backing and /dev/pallocbits together.
 */
#ifndef _PALLOC_DEV_H
#define _PALLOC_DEV_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>

#include "backing.h"
#include "pagealloc.h"

/**
 * struct palloc_dev - the one instance of the module
 * @heap: the page allocator over the range
 * @backing: the physical range
 * @misc: /dev/pallocbits
 * @debugfs: /sys/kernel/debug/pallocbits
 * @free_refused: FREE ioctls refused before reaching the heap
 */
struct palloc_dev {
	struct palloc_heap *heap;
	struct palloc_backing backing;
	struct miscdevice misc;
	struct dentry *debugfs;
	atomic64_t free_refused;
};

int palloc_device_register(struct palloc_dev *pd);
void palloc_device_unregister(struct palloc_dev *pd);

struct dentry *palloc_debugfs_create(struct palloc_heap *h, const char *mode);

#endif /* _PALLOC_DEV_H */
