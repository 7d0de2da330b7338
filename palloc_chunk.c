// SPDX-License-Identifier: GPL-2.0
/*
 * The chunk bitmap, pallocbits.c, as an object of the pallocbits module:
 * kbuild cannot build a part of a composite module from a source file that
 * has the module's own name.
 */
#include "pallocbits.c"

#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Go runtime page-allocation bitmaps and page allocator over a physical range");
