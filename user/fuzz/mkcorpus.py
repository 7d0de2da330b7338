#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Write the seed corpus of fuzz_pallocbits.c (user/fuzz/corpus/): a few
# scenarios in its input format, each a file named after the scenario.
#
#   user/fuzz/mkcorpus.py [DIR]        default: the corpus/ next to this file
#
# The opcodes and encodings are those of enum fuzz_op in fuzz_pallocbits.c.
import os
import struct
import sys

(ALLOC_RANGE, BITS_ALLOC_RANGE, ALLOC_ALL, SET_ALLOC1, ALLOC_PAGES64, FREE, FREE1,
 FREE_ALL, FREE_BLOCK64, SCAV_RANGE, SCAV1, UNSCAV_RANGE, UNSCAV1, UNSCAV_BLOCK64,
 FIND, FIND_ALLOC, SCAVENGE, CANDIDATE, POPCNT, PAGES64, SUMMARIZE, BIT_RANGE64,
 FILL_ALIGNED, SUM_PACK, SCAV_BLOCK64) = range(25)
HUGE = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
MAX_LEN = 192           # scripts/fuzz.sh: -max_len


def u16(v):
    return struct.pack('<H', v)


def u64(v):
    return struct.pack('<Q', v & (2**64 - 1))


def rng(op, i, n):
    return bytes([op]) + u16(i) + u16(n - 1)


def page(op, i):
    return bytes([op]) + u16(i)


def block(op, i, v):
    return bytes([op, i // 64, i % 64]) + u64(v)


def find(n, search_idx, alloc=False):
    return bytes([FIND_ALLOC if alloc else FIND]) + u16(n - 1) + u16(search_idx)


def cand(search_idx, min_pages, max_pages):
    return bytes([CANDIDATE]) + u16(search_idx) + bytes([min_pages.bit_length() - 1]) + u16(max_pages)


def scavenge(search_idx, min_pages, max_pages, huge):
    return (bytes([SCAVENGE]) + u16(search_idx) + bytes([min_pages.bit_length() - 1]) +
            u16(max_pages) + bytes([HUGE.index(huge)]))


def words(op, *vals):
    return b''.join(block(op, k * 64, v) for k, v in enumerate(vals))


def bit_range64(c, n):
    return bytes([BIT_RANGE64]) + u64(c) + bytes([n - 1])


def sum_pack(start, most, end):
    return bytes([SUM_PACK]) + b''.join(u16(v & 0xffff) + bytes([v >> 16]) for v in (start, most, end))


SEEDS = {
    # The example: pages 0..9 allocated, 3 free pages at 10.
    'example': rng(ALLOC_RANGE, 0, 10) + find(3, 0),
    # Allocator-like: first-fit allocations of growing size, then frees.
    'first_fit': b''.join(find(n, 0, True) for n in (1, 2, 3, 64, 65, 7, 130)) +
    rng(FREE, 3, 60) + find(5, 0) + find(1, 70) + bytes([SUMMARIZE]),
    # Hints inside a word: the search starts at the word's first page.
    'hint_in_word': rng(ALLOC_RANGE, 0, 100) + page(FREE1, 70) + find(1, 100) +
    find(1, 127) + find(2, 100) + find(100, 130),
    # Runs across word boundaries and longer than a word.
    'large_runs': bytes([ALLOC_ALL, 0]) + rng(FREE, 60, 8) + rng(FREE, 120, 129) +
    rng(FREE, 300, 212) + find(8, 0) + find(9, 0) + find(129, 0) + find(130, 0) +
    find(212, 256) + find(513, 0),
    # The longest interior run of a word: 62 free pages between two used ones.
    'inner_62': words(ALLOC_PAGES64, *([0x8000000000000001] * 8)) + bytes([SUMMARIZE]) +
    find(62, 0) + find(63, 0) + block(FREE_BLOCK64, 192, 1 << 63) + find(63, 0),
    # Word patterns for the summary's erosion loop.
    'patterns': words(ALLOC_PAGES64, 0xaaaaaaaaaaaaaaaa, 0x0f0f0f0f0f0f0f0f,
                      0x8000800080008000, 0x0101010101010101, 0xff00ff00ff00ff00,
                      0x8001000080010000, 0xfffffffffffffffe, 0x7fffffffffffffff) +
    find(4, 0) + find(2, 0) + find(7, 0) + rng(POPCNT, 10, 300) + page(PAGES64, 200),
    # Full and empty chunks.
    'full_empty': bytes([ALLOC_ALL, 1]) + find(1, 0) + bytes([SUMMARIZE, FREE_ALL]) +
    find(512, 0) + find(512, 511) + bytes([ALLOC_ALL, 0]) + page(FREE1, 511) + find(1, 0),
    # Single-page allocation and free at word edges.
    'edges': page(SET_ALLOC1, 63) + page(SET_ALLOC1, 64) + page(SET_ALLOC1, 0) +
    page(SET_ALLOC1, 511) + rng(BITS_ALLOC_RANGE, 127, 2) + page(FREE1, 64) + find(2, 0),
    # The whole free chunk is one huge page (kernel geometry, P = 512).
    'scavenge_all': scavenge(511, 1, 1, 512) + rng(ALLOC_RANGE, 5, 1) + scavenge(511, 1, 0, 512) +
    rng(FREE, 0, 512) + cand(511, 1, 3),
    # Go's PreserveHugePageBottom / Top with P = 256.
    'hugepage_256': rng(ALLOC_RANGE, 258, 254) + cand(511, 1, 3) + scavenge(511, 1, 3, 256) +
    bytes([FREE_ALL]) + rng(UNSCAV_RANGE, 0, 512) + rng(ALLOC_RANGE, 0, 256) +
    cand(511, 1, 1) + scavenge(511, 1, 1, 256),
    # Scavenge granules (min) and max rounding with scattered used pages.
    'scavenge_min': rng(ALLOC_RANGE, 10, 1) + rng(ALLOC_RANGE, 200, 3) + rng(ALLOC_RANGE, 450, 1) +
    cand(511, 8, 20) + cand(511, 64, 0) + cand(300, 16, 17) + cand(5, 1, 0) +
    scavenge(511, 4, 9, 8) + scavenge(511, 2, 0, 16) + cand(511, 32, 100),
    # Word-granular start: a candidate above search_idx in its word.
    'scavenge_word': bytes([ALLOC_ALL, 0]) + page(FREE1, 10) + cand(5, 1, 0) +
    page(FREE1, 200) + cand(150, 1, 0) + cand(192, 1, 0) + cand(191, 1, 0),
    # Repeated scavenging until nothing is left, then reuse.
    'scavenge_loop': rng(ALLOC_RANGE, 100, 50) + b''.join(scavenge(511, 1, 64, 0) for _ in range(9)) +
    find(64, 0, True) + cand(511, 1, 0),
    # Scavenged bits: set on free pages only, then cleared in several ways.
    'scav_bits': rng(ALLOC_RANGE, 30, 40) + rng(SCAV_RANGE, 0, 512) + page(SCAV1, 35) +
    rng(UNSCAV_RANGE, 0, 10) + page(UNSCAV1, 100) + block(UNSCAV_BLOCK64, 128, 0xf0f0) +
    rng(POPCNT, 0, 512) + rng(ALLOC_RANGE, 0, 20) + cand(511, 1, 0) +
    block(SCAV_BLOCK64, 0, 0xff0000ff) + cand(40, 1, 0),
    # Block operations on 64-page words.
    'pages64': block(ALLOC_PAGES64, 64, 0x00ff00ff00ff00ff) + page(PAGES64, 100) +
    block(FREE_BLOCK64, 64, 0xf) + block(ALLOC_PAGES64, 448, 1 << 63) + find(8, 64) +
    page(PAGES64, 511),
    # Stateless helpers.
    'bit_range64': bit_range64(0xff00, 8) + bit_range64(0xff00, 9) + bit_range64(2**64 - 1, 64) +
    bit_range64(0x7fffffffffffffff, 64) + bit_range64(0xfffffffe, 31) + bit_range64(0, 1),
    'fill_aligned': bytes([FILL_ALIGNED]) + u64(0x0100a3) + bytes([FILL_ALIGNED]) + u64(1 << 63) +
    bytes([FILL_ALIGNED]) + u64(0x8000000000000001) + bytes([FILL_ALIGNED]) + u64(0),
    'sum_pack': sum_pack(512, 512, 512) + sum_pack(0, 2**21, 0) + sum_pack(2**21 - 1, 5, 7) +
    sum_pack(3, 0, 2**21),
    # Everything at once.
    'mixed': bytes([ALLOC_ALL, 0]) + rng(FREE, 33, 400) + scavenge(511, 1, 0, 64) +
    find(70, 0, True) + block(ALLOC_PAGES64, 320, 0x1248) + rng(SCAV_RANGE, 0, 512) +
    cand(511, 2, 5) + page(FREE1, 5) + find(1, 5) + rng(POPCNT, 33, 100) + bytes([SUMMARIZE]),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        assert len(data) <= MAX_LEN, name
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('%d seeds, %d bytes in %s' % (len(SEEDS), sum(len(d) for d in SEEDS.values()), out))


if __name__ == '__main__':
    main()
