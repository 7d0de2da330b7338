/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: symbol exports mean nothing in a static library. */
#ifndef _PALLOC_USER_EXPORT_H
#define _PALLOC_USER_EXPORT_H

#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)

#endif
