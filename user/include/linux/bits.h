/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: GENMASK_ULL and BIT_ULL with the kernel's definitions. */
#ifndef _PALLOC_USER_BITS_H
#define _PALLOC_USER_BITS_H

#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
#define GENMASK_ULL(h, l)	((~0ULL << (l)) & (~0ULL >> (63 - (h))))

#endif
