/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_arena_plant.h - planting in the page arena (white box,
 * zs/arena_internal.h), for every target whose allocator takes its pages
 * from one.
 *
 * zsmalloc and zbud both keep pages of an arena and both checkers compare
 * their own view of each page with the arena's: the page must be an
 * allocated arena page, described as theirs (owner, cookie, index,
 * movable), and the arena's count of their pages must match.  So the ways
 * a migration bug could leave a page misdescribed are planted here once,
 * and the zsmalloc target's arena-check planters find their pages here too.
 * Every write goes through the caller's undo log.
 */
#ifndef ZS_FUZZ_ARENA_PLANT_H
#define ZS_FUZZ_ARENA_PLANT_H

#include <stdbool.h>

#include "fuzz/common/fuzz_plant.h"
#include "zs/arena.h"

struct arena_region;
struct arena_run_rec;

/* Region k in address order (k < a->nregions). */
struct arena_region *fm_arena_region(const struct zs_arena *a, unsigned k);

/* Whether page i of r is free in r's bitmap. */
bool fm_arena_page_is_free(const struct arena_region *r, unsigned i);

/* A page, free or in use as asked, chosen by sel: its index in the region
 * that is entry *kp of the address table; -1 when there is none.  Arena
 * lock held. */
int fm_arena_pick_page(const struct zs_arena *a, unsigned sel, bool want_free,
		       unsigned *kp);

/* A free page chosen by sel, or NULL when there is none.  Arena lock
 * held. */
void *fm_arena_free_page(struct zs_arena *a, unsigned sel);

/* The record of the run holding an allocated page (the arena describes
 * every page of a run by it), or NULL (outside every region, not page
 * aligned, free, or its head naming no record).  Arena lock held. */
struct arena_run_rec *fm_arena_rec(struct zs_arena *a, const void *page);

/* What an owner's page pointer becomes when it points at no allocated
 * arena page, by how: 0 NULL, 1 a page outside every region, 2 a place
 * inside `page` (16-byte steps, by sel), 3 a page the arena has free (by
 * sel; outside every region when none is).  Takes the arena lock. */
void *fm_arena_stray_page(struct zs_arena *a, void *page, unsigned how,
			  unsigned sel);

/* The arena's record of `page`'s run (allocated, or fm_fail) made to lie
 * in one field, by variant: 0 another owner (amount further on), 1
 * another cookie (bit amount % 32 flipped), 2 another index (amount
 * further on), 6 no owner at all, anything else not movable.  Takes the
 * arena lock. */
void fm_arena_misdescribe(struct fm_patch_log *log, struct zs_arena *a,
			  const void *page, unsigned variant, unsigned amount);

/* The arena's count of owner_id's pages, which hold n pages, made wrong by
 * variant: 1 too few (when n > 0), 2 first the one page more that a move
 * in flight may hold (the owner marked busy), which must check clean
 * (fm_plant_expect_clean), then one more; otherwise too many.  Takes the
 * arena lock; the caller holds no lock p's checker takes. */
void fm_arena_miscount_owner(struct fm_plant *p, struct zs_arena *a,
			     int owner_id, unsigned long n, unsigned variant,
			     unsigned amount);

#endif /* ZS_FUZZ_ARENA_PLANT_H */
