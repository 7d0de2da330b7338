/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace shim: a broken internal invariant aborts, so that fuzzers and
 * tests see it instead of a warning scrolling past.
 */
#ifndef _PALLOC_USER_BUG_H
#define _PALLOC_USER_BUG_H

#include <stdio.h>
#include <stdlib.h>

#define WARN_ON_ONCE(cond) ({						\
	int __c = !!(cond);						\
	if (__c) {							\
		fprintf(stderr, "%s:%d: WARN_ON_ONCE(%s)\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
	__c;								\
})
#define WARN_ON(cond) WARN_ON_ONCE(cond)

#endif
