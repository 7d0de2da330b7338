// SPDX-License-Identifier: GPL-2.0
/*
 * pallocbits: the chunk page bitmap of Go's page allocator, in C.
 *
 * The algorithms are those of the Go runtime (runtime/mpallocbits.go and
 * runtime/mgcscavenge.go, BSD-3-Clause), re-implemented from their semantics.
 * Every function mirrors its Go counterpart, preconditions included; where Go
 * panics on a broken precondition this file warns once and does nothing.
 *
 * Pure bookkeeping: no locking, no allocation, any context.  Callers serialise
 * access to a chunk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/align.h>
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "pallocbits.h"

/* True (after a warning) unless [i, i + n) is a non-empty range of the chunk. */
static bool palloc_bad_range(unsigned int i, unsigned int n)
{
	return WARN_ON_ONCE(n == 0 || i >= PALLOC_CHUNK_PAGES || n > PALLOC_CHUNK_PAGES - i);
}

/**
 * palloc_bits_get() - test the bit of one page
 * @b: the bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 * Return: the bit of page @i.
 */
bool palloc_bits_get(const struct palloc_bits *b, unsigned int i)
{
	return (b->w[i / 64] >> (i % 64)) & 1;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_get);

/**
 * palloc_bits_block64() - the aligned 64-page word containing a page
 * @b: the bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 * Return: the bits of pages [@i & ~63, (@i & ~63) + 64).
 */
u64 palloc_bits_block64(const struct palloc_bits *b, unsigned int i)
{
	return b->w[i / 64];
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_block64);

/**
 * palloc_bits_set() - set the bit of one page
 * @b: the bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_set(struct palloc_bits *b, unsigned int i)
{
	b->w[i / 64] |= 1ULL << (i % 64);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_set);

/**
 * palloc_bits_set_range() - set the bits of a run of pages
 * @b: the bitmap
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_set_range(struct palloc_bits *b, unsigned int i, unsigned int n)
{
	unsigned int k;

	if (palloc_bad_range(i, n))
		return;
	for (k = i / 64; k <= (i + n - 1) / 64; k++)
		b->w[k] |= __palloc_range_mask(i, n, k);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_set_range);

/**
 * palloc_bits_set_all() - set every bit of the chunk
 * @b: the bitmap
 *
 * Context: Any context.
 */
void palloc_bits_set_all(struct palloc_bits *b)
{
	memset(b->w, 0xff, sizeof(b->w));
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_set_all);

/**
 * palloc_bits_set_block64() - OR a value into the 64-page word containing a page
 * @b: the bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES; selects word @i / 64
 * @v: bits to set
 *
 * Context: Any context.
 */
void palloc_bits_set_block64(struct palloc_bits *b, unsigned int i, u64 v)
{
	b->w[i / 64] |= v;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_set_block64);

/**
 * palloc_bits_clear() - clear the bit of one page
 * @b: the bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_clear(struct palloc_bits *b, unsigned int i)
{
	b->w[i / 64] &= ~(1ULL << (i % 64));
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_clear);

/**
 * palloc_bits_clear_range() - clear the bits of a run of pages
 * @b: the bitmap
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_clear_range(struct palloc_bits *b, unsigned int i, unsigned int n)
{
	if (!palloc_bad_range(i, n))
		__palloc_bits_clear_range(b, i, n);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_clear_range);

/**
 * palloc_bits_clear_all() - clear every bit of the chunk
 * @b: the bitmap
 *
 * Context: Any context.
 */
void palloc_bits_clear_all(struct palloc_bits *b)
{
	memset(b->w, 0, sizeof(b->w));
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_clear_all);

/**
 * palloc_bits_clear_block64() - clear bits in the 64-page word containing a page
 * @b: the bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES; selects word @i / 64
 * @v: bits to clear
 *
 * Context: Any context.
 */
void palloc_bits_clear_block64(struct palloc_bits *b, unsigned int i, u64 v)
{
	b->w[i / 64] &= ~v;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_clear_block64);

/**
 * palloc_bits_popcnt_range() - count the set bits of a run of pages
 * @b: the bitmap
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 * Return: the number of set bits in [@i, @i + @n); 0 for a bad range.
 */
unsigned int palloc_bits_popcnt_range(const struct palloc_bits *b, unsigned int i,
				      unsigned int n)
{
	unsigned int k, s = 0;

	if (palloc_bad_range(i, n))
		return 0;
	for (k = i / 64; k <= (i + n - 1) / 64; k++)
		s += hweight64(b->w[k] & __palloc_range_mask(i, n, k));
	return s;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_popcnt_range);

/**
 * palloc_sum_pack() - pack a summary
 * @start: free pages at the low end
 * @max: longest free run
 * @end: free pages at the high end
 *
 * Fields keep their low PALLOC_SUM_LOG_MAX bits.  @max == PALLOC_SUM_MAX_VALUE
 * means the region is entirely free and packs to PALLOC_SUM_ALL_FREE, whatever
 * @start and @end are.
 *
 * Context: Any context.
 * Return: the packed summary.
 */
palloc_sum_t palloc_sum_pack(unsigned int start, unsigned int max, unsigned int end)
{
	return __palloc_sum_pack(start, max, end);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_sum_pack);

/**
 * palloc_sum_start() - free pages at the low end of a summarised region
 * @s: the packed summary
 *
 * Context: Any context.
 * Return: the start field.
 */
unsigned int palloc_sum_start(palloc_sum_t s)
{
	return __palloc_sum_start(s);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_sum_start);

/**
 * palloc_sum_max() - longest free run of a summarised region
 * @s: the packed summary
 *
 * Context: Any context.
 * Return: the max field.
 */
unsigned int palloc_sum_max(palloc_sum_t s)
{
	return __palloc_sum_max(s);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_sum_max);

/**
 * palloc_sum_end() - free pages at the high end of a summarised region
 * @s: the packed summary
 *
 * Context: Any context.
 * Return: the end field.
 */
unsigned int palloc_sum_end(palloc_sum_t s)
{
	return __palloc_sum_end(s);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_sum_end);

/* x is 0...01...1: no zero bit below its highest one. */
static bool palloc_no_inner_zero(u64 x)
{
	return (x & (x + 1)) == 0;
}

/*
 * The longest free run strictly inside word @x, if longer than @most, else
 * @most.  Runs touching the word's ends were counted by the caller.  Relies on
 * @most < 62 (a longer run cannot fit between two set bits of one word) and
 * on @x != 0.
 *
 * Zero runs of x are eroded from their top by OR-ing x with shifted copies of
 * itself; every run not longer than the current best disappears.  k is a lower
 * bound on the length of every run of ones, so a shift by k fills k zeros and
 * doubles k.  A surviving run is longer than the best: the lowest one grows
 * the best by its remaining length r, and the others are eroded by r more.
 */
static unsigned int palloc_word_inner_max(u64 x, unsigned int most)
{
	unsigned int p = most, k = 1, r;

	x >>= palloc_ctz64(x);
	if (palloc_no_inner_zero(x))
		return most;
	for (;;) {
		while (p > 0) {
			x |= x >> min(p, k);
			if (palloc_no_inner_zero(x))
				return most;
			if (p <= k)
				break;
			p -= k;
			k *= 2;
		}
		/* x has a zero above its low ones, so both shifts are < 64. */
		x >>= palloc_ctz64(~x);
		r = palloc_ctz64(x);
		x >>= r;
		most += r;
		if (palloc_no_inner_zero(x))
			return most;
		p = r;
	}
}

/**
 * palloc_bits_summarize() - summarise the free pages of a chunk
 * @b: the allocation bitmap (1 = allocated)
 *
 * Context: Any context.
 * Return: the packed (start, max, end) summary of the free pages; the
 * all-free chunk gives (512, 512, 512), the full chunk 0.
 */
palloc_sum_t palloc_bits_summarize(const struct palloc_bits *b)
{
	unsigned int start = PALLOC_NOT_FOUND, most = 0, cur = 0, k;

	/* Runs crossing word boundaries, and the free ends of the chunk. */
	for (k = 0; k < PALLOC_CHUNK_WORDS; k++) {
		u64 x = b->w[k];

		if (!x) {
			cur += 64;
			continue;
		}
		cur += palloc_ctz64(x);
		if (start == PALLOC_NOT_FOUND)
			start = cur;
		most = max(most, cur);
		cur = palloc_clz64(x);
	}
	if (start == PALLOC_NOT_FOUND)
		return __palloc_sum_pack(PALLOC_CHUNK_PAGES, PALLOC_CHUNK_PAGES,
					 PALLOC_CHUNK_PAGES);
	most = max(most, cur);

	/* Every word is non-zero from here on, or most would be >= 64. */
	if (most < 62)
		for (k = 0; k < PALLOC_CHUNK_WORDS; k++)
			most = palloc_word_inner_max(b->w[k], most);
	return __palloc_sum_pack(start, most, cur);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_summarize);

/**
 * palloc_find_bit_range64() - lowest run of set bits of a given length
 * @c: the word (1 = free)
 * @n: run length, 1 <= @n <= 64
 *
 * Every run of ones is eroded from its top by n - 1 bits (shifts double, at
 * most six steps); what survives marks the starts of long enough runs.
 *
 * Context: Any context.
 * Return: the lowest i such that bits [i, i + @n) of @c are all set, or 64
 * if there is none.  An @n outside 1..64 gives 64.
 */
unsigned int palloc_find_bit_range64(u64 c, unsigned int n)
{
	return __palloc_find_bit_range64(c, n);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_find_bit_range64);

/**
 * palloc_bits_find1() - first free page at or after a word
 * @b: the allocation bitmap
 * @search_idx: hint, < PALLOC_CHUNK_PAGES; the scan starts at word @search_idx / 64
 *
 * Context: Any context.
 * Return: the index of the first free page, or PALLOC_NOT_FOUND.
 */
unsigned int palloc_bits_find1(const struct palloc_bits *b, unsigned int search_idx)
{
	unsigned int k;

	for (k = search_idx / 64; k < PALLOC_CHUNK_WORDS; k++)
		if (~b->w[k])
			return k * 64 + palloc_ctz64(~b->w[k]);
	return PALLOC_NOT_FOUND;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_find1);

/**
 * palloc_bits_find_small_n() - first run of 2..64 free pages
 * @b: the allocation bitmap
 * @npages: run length, 1 <= @npages <= 64
 * @search_idx: hint, < PALLOC_CHUNK_PAGES; the scan starts at word @search_idx / 64
 * @new_search_idx: out: the first free page seen by the scan, or PALLOC_NOT_FOUND
 *
 * A run of at most 64 pages crosses at most one word boundary: per word,
 * first try the run straddling into it from the previous word (lowest), then
 * a run inside it.
 *
 * Context: Any context.
 * Return: the start of the lowest fitting run, or PALLOC_NOT_FOUND.
 */
unsigned int palloc_bits_find_small_n(const struct palloc_bits *b, unsigned int npages,
				      unsigned int search_idx, unsigned int *new_search_idx)
{
	unsigned int end = 0, k, j;

	*new_search_idx = PALLOC_NOT_FOUND;
	for (k = search_idx / 64; k < PALLOC_CHUNK_WORDS; k++) {
		u64 x = b->w[k];

		if (x == ~0ULL) {
			end = 0;
			continue;
		}
		if (*new_search_idx == PALLOC_NOT_FOUND)
			*new_search_idx = k * 64 + palloc_ctz64(~x);
		if (end + palloc_ctz64(x) >= npages)
			return k * 64 - end;
		j = __palloc_find_bit_range64(~x, npages);
		if (j < 64)
			return k * 64 + j;
		end = palloc_clz64(x);
	}
	return PALLOC_NOT_FOUND;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_find_small_n);

/**
 * palloc_bits_find_large_n() - first run of more than 64 free pages
 * @b: the allocation bitmap
 * @npages: run length, > 64
 * @search_idx: hint, < PALLOC_CHUNK_PAGES; the scan starts at word @search_idx / 64
 * @new_search_idx: out: the first free page seen by the scan, or PALLOC_NOT_FOUND
 *
 * Such a run crosses a word boundary, so it starts with the free top of some
 * word; grow it through free words and close it with the next word's free
 * bottom.
 *
 * Context: Any context.
 * Return: the start of the lowest fitting run, or PALLOC_NOT_FOUND.
 */
unsigned int palloc_bits_find_large_n(const struct palloc_bits *b, unsigned int npages,
				      unsigned int search_idx, unsigned int *new_search_idx)
{
	unsigned int start = PALLOC_NOT_FOUND, size = 0, k, s;

	*new_search_idx = PALLOC_NOT_FOUND;
	for (k = search_idx / 64; k < PALLOC_CHUNK_WORDS; k++) {
		u64 x = b->w[k];

		if (x == ~0ULL) {
			size = 0;
			continue;
		}
		if (*new_search_idx == PALLOC_NOT_FOUND)
			*new_search_idx = k * 64 + palloc_ctz64(~x);
		if (size) {
			s = palloc_ctz64(x);
			if (s + size >= npages)
				return start;
			if (s == 64) {
				size += 64;
				continue;
			}
		}
		/* Open a run at the free top of this word. */
		size = palloc_clz64(x);
		start = k * 64 + 64 - size;
	}
	return size >= npages ? start : PALLOC_NOT_FOUND;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_find_large_n);

/**
 * palloc_bits_find() - first-fit search for a run of free pages
 * @b: the allocation bitmap
 * @npages: run length, >= 1
 * @search_idx: hint, < PALLOC_CHUNK_PAGES: every page below it is allocated.
 *	The scan starts at word @search_idx / 64, so a run starting in
 *	[@search_idx & ~63, @search_idx) is found too.
 * @new_search_idx: out: the first free page seen by the scan (a valid new
 *	hint), or PALLOC_NOT_FOUND.  For @npages == 1 it equals the result.
 *	Meaningful only on success.
 *
 * Context: Any context.
 * Return: the start of the lowest run of @npages free pages, or PALLOC_NOT_FOUND.
 */
unsigned int palloc_bits_find(const struct palloc_bits *b, unsigned int npages,
			      unsigned int search_idx, unsigned int *new_search_idx)
{
	if (npages == 1) {
		*new_search_idx = palloc_bits_find1(b, search_idx);
		return *new_search_idx;
	}
	if (npages <= 64)
		return palloc_bits_find_small_n(b, npages, search_idx, new_search_idx);
	return palloc_bits_find_large_n(b, npages, search_idx, new_search_idx);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_find);

/**
 * palloc_bits_alloc_range() - mark a run of pages allocated
 * @b: the allocation bitmap
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_alloc_range(struct palloc_bits *b, unsigned int i, unsigned int n)
{
	palloc_bits_set_range(b, i, n);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_alloc_range);

/**
 * palloc_bits_alloc_all() - mark the whole chunk allocated
 * @b: the allocation bitmap
 *
 * Context: Any context.
 */
void palloc_bits_alloc_all(struct palloc_bits *b)
{
	palloc_bits_set_all(b);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_alloc_all);

/**
 * palloc_bits_free1() - mark one page free
 * @b: the allocation bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_free1(struct palloc_bits *b, unsigned int i)
{
	palloc_bits_clear(b, i);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_free1);

/**
 * palloc_bits_free() - mark a run of pages free
 * @b: the allocation bitmap
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 */
void palloc_bits_free(struct palloc_bits *b, unsigned int i, unsigned int n)
{
	palloc_bits_clear_range(b, i, n);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_free);

/**
 * palloc_bits_free_all() - mark the whole chunk free
 * @b: the allocation bitmap
 *
 * Context: Any context.
 */
void palloc_bits_free_all(struct palloc_bits *b)
{
	palloc_bits_clear_all(b);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_free_all);

/**
 * palloc_bits_pages64() - allocation bits of the 64-page block containing a page
 * @b: the allocation bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES
 *
 * Context: Any context.
 * Return: word @i / 64, 1 = allocated.
 */
u64 palloc_bits_pages64(const struct palloc_bits *b, unsigned int i)
{
	return palloc_bits_block64(b, i);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_pages64);

/**
 * palloc_bits_alloc_pages64() - mark pages of a 64-page block allocated
 * @b: the allocation bitmap
 * @i: page index, < PALLOC_CHUNK_PAGES; selects the block @i / 64
 * @alloc: the pages of the block to mark allocated; others are untouched
 *
 * Context: Any context.
 */
void palloc_bits_alloc_pages64(struct palloc_bits *b, unsigned int i, u64 alloc)
{
	palloc_bits_set_block64(b, i, alloc);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_bits_alloc_pages64);

/**
 * palloc_data_alloc_range() - allocate a run of pages, dropping their scavenged bits
 * @d: the chunk
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * Go's pallocData.allocRange, in one pass over the words, counting the
 * scavenged bits it drops (Go's caller counts them first, with popcntRange).
 *
 * Context: Any context.
 * Return: how many of the pages were scavenged; 0 for a bad range.
 */
unsigned int palloc_data_alloc_range(struct palloc_data *d, unsigned int i, unsigned int n)
{
	if (palloc_bad_range(i, n))
		return 0;
	return __palloc_data_alloc_range(d, i, n);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_data_alloc_range);

/**
 * palloc_data_alloc_all() - allocate the whole chunk, dropping its scavenged bits
 * @d: the chunk
 *
 * Context: Any context.
 * Return: how many of its pages were scavenged.
 */
unsigned int palloc_data_alloc_all(struct palloc_data *d)
{
	unsigned int k, s = 0;

	for (k = 0; k < PALLOC_CHUNK_WORDS; k++)
		if (d->scav.w[k])
			s += hweight64(d->scav.w[k]);
	palloc_bits_alloc_all(&d->alloc);
	palloc_bits_clear_all(&d->scav);
	return s;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_data_alloc_all);

/**
 * palloc_data_allocated() - are the pages of a run all allocated and present?
 * @d: the chunk
 * @i: first page
 * @n: number of pages, >= 1, with @i + @n <= PALLOC_CHUNK_PAGES
 *
 * A present allocated page has its allocation bit set and its scavenged bit
 * clear (an absent page has both set).  One pass over the words of both
 * bitmaps: the check of every free.
 *
 * Context: Any context.
 * Return: true if every page of [@i, @i + @n) is allocated and present;
 * false otherwise, and for a bad range.
 */
bool palloc_data_allocated(const struct palloc_data *d, unsigned int i, unsigned int n)
{
	return !palloc_bad_range(i, n) && __palloc_data_allocated(d, i, n);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_data_allocated);

/**
 * palloc_fill_aligned() - widen every set bit to its aligned group
 * @x: the word
 * @m: group size: 1, 2, 4, 8, 16, 32 or 64
 *
 * Let c have every bit of each group set but the top one.  (x & c) + c
 * carries into a group's top bit iff a low bit is set; OR-ing in x and c and
 * inverting leaves only the top bit of each all-zero group.  Subtracting that
 * word shifted down by m - 1 then spans each such group.
 *
 * Context: Any context.
 * Return: @x where each @m-aligned group of @m bits with any bit set is all
 * ones; all-zero groups stay zero.  A bad @m warns once and returns ~0.
 */
u64 palloc_fill_aligned(u64 x, unsigned int m)
{
	u64 tops, c, y;

	if (WARN_ON_ONCE(!is_power_of_2(m) || m > 64))
		return ~0ULL;
	if (m == 1)
		return x;
	/* The top bit of every group: 0x8080...80 for m = 8. */
	tops = (~0ULL / GENMASK_ULL(m - 1, 0)) << (m - 1);
	c = ~tops;
	y = ~((((x & c) + c) | x) | c);
	return ~((y - (y >> (m - 1))) | y);
}
EXPORT_SYMBOL_IF_KUNIT(palloc_fill_aligned);

/* 1 = not a scavenge candidate (allocated or scavenged), widened to @min pages. */
static u64 palloc_data_unusable(const struct palloc_data *d, unsigned int k, unsigned int min)
{
	return palloc_fill_aligned(d->scav.w[k] | d->alloc.w[k], min);
}

/**
 * palloc_data_find_scavenge_candidate() - highest run of free, unscavenged pages
 * @d: the chunk
 * @search_idx: where to start, < PALLOC_CHUNK_PAGES.  The search is word
 *	granular: candidates above @search_idx in its word are found too.
 * @min: the release granule in pages: a power of two <= 64; the result is
 *	@min-aligned and at least @min long
 * @max: the most pages wanted (a hint): 0 means @min, otherwise rounded up to
 *	a multiple of @min
 * @hugepage_pages: pages per huge page: 0 or 1 for none, otherwise a power
 *	of two <= PALLOC_CHUNK_PAGES.  A candidate that would split a free,
 *	unscavenged huge page is grown down to the huge page's start, beyond @max.
 * @npages: out: the number of pages of the candidate, 0 if there is none
 *
 * The search goes downward from word @search_idx / 64 and takes the top part
 * of the highest candidate run, so it meets first-fit allocation last.
 *
 * Context: Any context.
 * Return: the first page of the candidate, 0 if there is none.
 */
unsigned int palloc_data_find_scavenge_candidate(const struct palloc_data *d,
						 unsigned int search_idx,
						 unsigned int min, unsigned int max,
						 unsigned int hugepage_pages,
						 unsigned int *npages)
{
	unsigned int z1, run, end, size, start, below;
	int i, j;
	u64 x;

	*npages = 0;
	if (WARN_ON_ONCE(!is_power_of_2(min) || min > 64 ||
			 search_idx >= PALLOC_CHUNK_PAGES))
		return 0;
	max = max ? ALIGN(max, min) : min;

	for (i = search_idx / 64; i >= 0; i--) {
		x = palloc_data_unusable(d, i, min);
		if (x != ~0ULL)
			break;
	}
	if (i < 0)
		return 0;

	/* The run ends below the unusable top of word i. */
	z1 = palloc_clz64(~x);
	end = i * 64 + 64 - z1;
	if (x << z1) {
		run = palloc_clz64(x << z1);
	} else {
		/* Free down to the word's bottom: follow it into lower words. */
		run = 64 - z1;
		for (j = i - 1; j >= 0; j--) {
			x = palloc_data_unusable(d, j, min);
			run += palloc_clz64(x);
			if (x)
				break;
		}
	}
	size = min(run, max);
	start = end - size;

	if (hugepage_pages > 1 &&
	    !WARN_ON_ONCE(!is_power_of_2(hugepage_pages) ||
			  hugepage_pages > PALLOC_CHUNK_PAGES) &&
	    ALIGN(start, hugepage_pages) <= end) {
		/* The candidate reaches a huge page boundary. */
		below = ALIGN_DOWN(start, hugepage_pages);
		if (below >= end - run) {
			/* The whole huge page below is a candidate: keep it whole. */
			size += start - below;
			start = below;
		}
	}
	*npages = size;
	return start;
}
EXPORT_SYMBOL_IF_KUNIT(palloc_data_find_scavenge_candidate);
