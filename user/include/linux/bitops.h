/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: the kernel bit helpers, with the kernel's contracts. */
#ifndef _PALLOC_USER_BITOPS_H
#define _PALLOC_USER_BITOPS_H

#include <linux/bits.h>
#include <linux/types.h>

/* Index of the lowest set bit; undefined for 0, as in the kernel. */
static inline unsigned int __ffs64(u64 x)
{
	return __builtin_ctzll(x);
}

/* 1-based index of the highest set bit; 0 for 0. */
static inline int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static inline unsigned int hweight64(u64 x)
{
	return __builtin_popcountll(x);
}

#endif
