/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: power-of-two alignment as in the kernel. */
#ifndef _PALLOC_USER_ALIGN_H
#define _PALLOC_USER_ALIGN_H

#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))

#endif
