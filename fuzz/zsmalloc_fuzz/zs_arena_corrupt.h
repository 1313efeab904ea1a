/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_arena_corrupt.h - the arena half of op corrupt (white
 * box, zs/arena_internal.h): every zs_arena_check finding planted and undone,
 * and the arena page descriptors zs_corrupt.c plants pool findings in.
 *
 * Kept apart from fuzz/zsmalloc_fuzz/zs_corrupt.c because the arena is its own
 * bookkeeping (regions, bitmaps, owners) that every owner shares: nothing
 * here knows what a zspage is.
 */
#ifndef ZS_FUZZ_ZS_ARENA_CORRUPT_H
#define ZS_FUZZ_ZS_ARENA_CORRUPT_H

#include <stdbool.h>
#include <stdint.h>

#include "zs/arena.h"

struct arena_page_desc;

/* How many kinds zsf_arena_corrupt takes (0 .. ZSF_ARENA_KINDS - 1), one
 * per finding of zs_arena_check, in the checker's order. */
#define ZSF_ARENA_KINDS 17

const char *zsf_arena_corrupt_name(unsigned kind);

/* Plants arena corruption `kind` (sel picks where and which variant),
 * requires zs_arena_check to return -EUCLEAN with exactly its report, word
 * for word, undoes it, and requires the arena byte for byte as before and
 * checking clean (fm_fail otherwise).  false, changing nothing, when the
 * arena's state has no place for it (no region, no free page, ...). */
bool zsf_arena_corrupt(struct zs_arena *a, unsigned kind, uint16_t sel);

/* The descriptor of an allocated page of `a`, or NULL (not in a region,
 * not page aligned, or free).  Arena lock held. */
struct arena_page_desc *zsf_arena_desc(struct zs_arena *a, const void *page);

/* A free page of `a` chosen by sel, or NULL when every region is full (or
 * there is none).  Arena lock held. */
void *zsf_arena_free_page(struct zs_arena *a, unsigned sel);

#endif /* ZS_FUZZ_ZS_ARENA_CORRUPT_H */
