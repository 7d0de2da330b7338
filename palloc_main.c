// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits module entry points.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "pallocbits.h"

static int __init palloc_init(void)
{
	pr_debug("chunk bitmap of %u pages loaded\n", PALLOC_CHUNK_PAGES);
	return 0;
}

static void __exit palloc_exit(void)
{
}

module_init(palloc_init);
module_exit(palloc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go-style page-allocation bitmaps and page allocator over a physical range");
MODULE_AUTHOR("pallocbits developers");
