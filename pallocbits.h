/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pallocbits: the chunk page bitmap of the Go runtime's page allocator
 * (runtime/mpallocbits.go and the scavenge-candidate search of
 * runtime/mgcscavenge.go), re-implemented for the kernel.
 *
 * A chunk is PALLOC_CHUNK_PAGES pages.  Page i is bit i % 64 of word i / 64,
 * least significant bit first.  In the allocation bitmap 1 means allocated;
 * in the scavenged bitmap 1 means released and known to be zero.
 *
 * Invariant kept by every palloc_data_*() function: scavenged implies free.
 * Allocating clears scavenged bits; freeing never sets them.
 *
 * This header and pallocbits.c build unchanged in userspace against the
 * shim headers in user/include.
 */
#ifndef _PALLOCBITS_H
#define _PALLOCBITS_H

#include <linux/bitops.h>
#include <linux/types.h>

#define PALLOC_CHUNK_PAGES	512U
#define PALLOC_CHUNK_WORDS	(PALLOC_CHUNK_PAGES / 64)
/* Go's ^uint(0): "no such page". */
#define PALLOC_NOT_FOUND	(~0U)

/**
 * struct palloc_bits - one bit per page of a chunk (Go's pageBits/pallocBits)
 * @w: the bits, page i in bit i % 64 of w[i / 64]
 */
struct palloc_bits {
	u64 w[PALLOC_CHUNK_WORDS];
};

/**
 * struct palloc_data - allocation and scavenged bits of a chunk (Go's pallocData)
 * @alloc: 1 = page allocated
 * @scav: 1 = page scavenged (released, known zero); always a subset of the free pages
 */
struct palloc_data {
	struct palloc_bits alloc;
	struct palloc_bits scav;
};

/*
 * Packed summary of a run of pages (Go's pallocSum): the number of free pages
 * at the low end (start), the longest free run (max) and the number of free
 * pages at the high end (end), 21 bits each at bits 0, 21 and 42.  A region
 * whose max is PALLOC_SUM_MAX_VALUE (completely free at the widest level)
 * packs to bit 63 alone, and every field then reads PALLOC_SUM_MAX_VALUE.
 * A zero summary means "no free page".
 */
typedef u64 palloc_sum_t;

#define PALLOC_SUM_LOG_MAX	21
#define PALLOC_SUM_MAX_VALUE	BIT(PALLOC_SUM_LOG_MAX)
#define PALLOC_SUM_FIELD_MASK	(PALLOC_SUM_MAX_VALUE - 1)
#define PALLOC_SUM_ALL_FREE	BIT_ULL(63)

/* Bit-count helpers with Go's definitions at zero: ctz(0) = clz(0) = 64. */
static inline unsigned int palloc_ctz64(u64 x)
{
	return x ? __ffs64(x) : 64;
}

static inline unsigned int palloc_clz64(u64 x)
{
	return 64 - fls64(x);
}

/*
 * Inline forms of the summary accessors and of palloc_find_bit_range64(),
 * for the allocator's hot paths; the exported functions below are these.
 */
static inline palloc_sum_t __palloc_sum_pack(unsigned int start, unsigned int max,
					     unsigned int end)
{
	if (max == PALLOC_SUM_MAX_VALUE)
		return PALLOC_SUM_ALL_FREE;
	return (u64)(start & PALLOC_SUM_FIELD_MASK) |
	       (u64)(max & PALLOC_SUM_FIELD_MASK) << PALLOC_SUM_LOG_MAX |
	       (u64)(end & PALLOC_SUM_FIELD_MASK) << (2 * PALLOC_SUM_LOG_MAX);
}

/* Field @shift of @s; every field of the all-free summary is the maximum. */
static inline unsigned int __palloc_sum_field(palloc_sum_t s, unsigned int shift)
{
	if (s & PALLOC_SUM_ALL_FREE)
		return PALLOC_SUM_MAX_VALUE;
	return (s >> shift) & PALLOC_SUM_FIELD_MASK;
}

#define __palloc_sum_start(s)	__palloc_sum_field(s, 0)
#define __palloc_sum_max(s)	__palloc_sum_field(s, PALLOC_SUM_LOG_MAX)
#define __palloc_sum_end(s)	__palloc_sum_field(s, 2 * PALLOC_SUM_LOG_MAX)

/*
 * Every run of ones of @c is eroded from its top by n - 1 bits (shifts
 * double, at most six steps); what survives marks the starts of long enough
 * runs.  64 when there is none, or @n is outside 1..64.
 */
static inline unsigned int __palloc_find_bit_range64(u64 c, unsigned int n)
{
	unsigned int p, k = 1, s;

	if (n == 0 || n > 64)
		return 64;
	p = n - 1;
	while (p > 0) {
		s = p < k ? p : k;
		c &= c >> s;
		if (p <= k)
			break;
		if (!c)
			return 64;
		p -= k;
		k *= 2;
	}
	return palloc_ctz64(c);
}

/*
 * The bits of word @k that lie in the page range [@i, @i + @n), which word
 * @k overlaps.
 */
static inline u64 __palloc_range_mask(unsigned int i, unsigned int n, unsigned int k)
{
	unsigned int lo = i > k * 64 ? i - k * 64 : 0;
	unsigned int hi = i + n - 1 < k * 64 + 63 ? i + n - 1 - k * 64 : 63;

	return GENMASK_ULL(hi, lo);
}

/*
 * Inline forms of the range operations every free and allocation of the
 * allocator does, for ranges known to be valid: palloc_bits_clear_range(),
 * palloc_data_alloc_range() and palloc_data_allocated() check the range and
 * call these.
 */
static inline void __palloc_bits_clear_range(struct palloc_bits *b, unsigned int i,
					     unsigned int n)
{
	unsigned int k;

	for (k = i / 64; k <= (i + n - 1) / 64; k++)
		b->w[k] &= ~__palloc_range_mask(i, n, k);
}

static inline unsigned int __palloc_data_alloc_range(struct palloc_data *d, unsigned int i,
						     unsigned int n)
{
	unsigned int k, s = 0;

	for (k = i / 64; k <= (i + n - 1) / 64; k++) {
		u64 m = __palloc_range_mask(i, n, k), sc = d->scav.w[k] & m;

		d->alloc.w[k] |= m;
		if (sc) {
			s += hweight64(sc);
			d->scav.w[k] &= ~m;
		}
	}
	return s;
}

static inline bool __palloc_data_allocated(const struct palloc_data *d, unsigned int i,
					   unsigned int n)
{
	unsigned int k;

	for (k = i / 64; k <= (i + n - 1) / 64; k++) {
		u64 m = __palloc_range_mask(i, n, k);

		if ((d->alloc.w[k] & m) != m || (d->scav.w[k] & m))
			return false;
	}
	return true;
}

/* pageBits */
bool palloc_bits_get(const struct palloc_bits *b, unsigned int i);
u64 palloc_bits_block64(const struct palloc_bits *b, unsigned int i);
void palloc_bits_set(struct palloc_bits *b, unsigned int i);
void palloc_bits_set_range(struct palloc_bits *b, unsigned int i, unsigned int n);
void palloc_bits_set_all(struct palloc_bits *b);
void palloc_bits_set_block64(struct palloc_bits *b, unsigned int i, u64 v);
void palloc_bits_clear(struct palloc_bits *b, unsigned int i);
void palloc_bits_clear_range(struct palloc_bits *b, unsigned int i, unsigned int n);
void palloc_bits_clear_all(struct palloc_bits *b);
void palloc_bits_clear_block64(struct palloc_bits *b, unsigned int i, u64 v);
unsigned int palloc_bits_popcnt_range(const struct palloc_bits *b, unsigned int i,
				      unsigned int n);

/* pallocSum */
palloc_sum_t palloc_sum_pack(unsigned int start, unsigned int max, unsigned int end);
unsigned int palloc_sum_start(palloc_sum_t s);
unsigned int palloc_sum_max(palloc_sum_t s);
unsigned int palloc_sum_end(palloc_sum_t s);
palloc_sum_t palloc_bits_summarize(const struct palloc_bits *b);

/* pallocBits searches */
unsigned int palloc_find_bit_range64(u64 c, unsigned int n);
unsigned int palloc_bits_find(const struct palloc_bits *b, unsigned int npages,
			      unsigned int search_idx, unsigned int *new_search_idx);
unsigned int palloc_bits_find1(const struct palloc_bits *b, unsigned int search_idx);
unsigned int palloc_bits_find_small_n(const struct palloc_bits *b, unsigned int npages,
				      unsigned int search_idx, unsigned int *new_search_idx);
unsigned int palloc_bits_find_large_n(const struct palloc_bits *b, unsigned int npages,
				      unsigned int search_idx, unsigned int *new_search_idx);

/* pallocBits allocation */
void palloc_bits_alloc_range(struct palloc_bits *b, unsigned int i, unsigned int n);
void palloc_bits_alloc_all(struct palloc_bits *b);
void palloc_bits_free1(struct palloc_bits *b, unsigned int i);
void palloc_bits_free(struct palloc_bits *b, unsigned int i, unsigned int n);
void palloc_bits_free_all(struct palloc_bits *b);
u64 palloc_bits_pages64(const struct palloc_bits *b, unsigned int i);
void palloc_bits_alloc_pages64(struct palloc_bits *b, unsigned int i, u64 alloc);

/* pallocData */
unsigned int palloc_data_alloc_range(struct palloc_data *d, unsigned int i, unsigned int n);
unsigned int palloc_data_alloc_all(struct palloc_data *d);
bool palloc_data_allocated(const struct palloc_data *d, unsigned int i, unsigned int n);
u64 palloc_fill_aligned(u64 x, unsigned int m);
unsigned int palloc_data_find_scavenge_candidate(const struct palloc_data *d,
						 unsigned int search_idx,
						 unsigned int min, unsigned int max,
						 unsigned int hugepage_pages,
						 unsigned int *npages);

#endif /* _PALLOCBITS_H */
