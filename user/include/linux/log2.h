/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: is_power_of_2 as in the kernel. */
#ifndef _PALLOC_USER_LOG2_H
#define _PALLOC_USER_LOG2_H

#include <linux/types.h>

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

#endif
