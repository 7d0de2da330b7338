// SPDX-License-Identifier: GPL-2.0
/* The smallest user of the userspace library: find 3 free pages after 0..9. */
#include <stdio.h>
#include "pallocbits.h"

int main(void)
{
	struct palloc_bits b = { { 0 } };
	unsigned int hint, at;

	palloc_bits_alloc_range(&b, 0, 10);
	at = palloc_bits_find(&b, 3, 0, &hint);
	printf("3 free pages at %u (next hint %u)\n", at, hint);
	return at == 10 ? 0 : 1;
}
