/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: min/max that evaluate their arguments once. */
#ifndef _PALLOC_USER_MINMAX_H
#define _PALLOC_USER_MINMAX_H

#define min(x, y) ({ __typeof__(x) __a = (x); __typeof__(y) __b = (y); __a < __b ? __a : __b; })
#define max(x, y) ({ __typeof__(x) __a = (x); __typeof__(y) __b = (y); __a > __b ? __a : __b; })

#endif
