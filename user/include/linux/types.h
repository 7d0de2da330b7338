/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: the kernel types pallocbits.[ch] use, on top of the real
 * <linux/types.h> (__u64 and friends), so that the uapi header and
 * lib/libpallocbits.h build with the same flags (make -s print-user-cflags).
 */
#ifndef _PALLOC_USER_TYPES_H
#define _PALLOC_USER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include_next <linux/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#endif
