/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim: every symbol of the library is visible. */
#ifndef _PALLOC_USER_KUNIT_VISIBILITY_H
#define _PALLOC_USER_KUNIT_VISIBILITY_H

#define VISIBLE_IF_KUNIT
#define EXPORT_SYMBOL_IF_KUNIT(sym)

#endif
