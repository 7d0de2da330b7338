/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace shim. */
#ifndef _PALLOC_USER_STRING_H
#define _PALLOC_USER_STRING_H

#include <string.h>

#endif
