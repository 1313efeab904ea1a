/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_arena_runs_plant.h - white-box helpers of zs_arena_runs_test.cc.
 *
 * A run's map entries and record cannot be made to disagree through the
 * API (that is what zs_arena_check's run and record findings are for), so
 * these read and write one page's map entry, one record, a region's record
 * counts or the arena's counts and limits in the arena's internal layout
 * (zs/arena_internal.h).  They are C because that layout includes C11
 * atomics, which C++ cannot; the test stays C++ and calls them, and
 * restores what it wrote.
 */
#ifndef ZS_GTEST_ZS_ARENA_RUNS_PLANT_H
#define ZS_GTEST_ZS_ARENA_RUNS_PLANT_H

#include <stdint.h>

#include "zs/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One page's map entry as plain numbers, and where the page is. */
struct zsr_page {
	unsigned map; /* 0 free, record + 1 for a head, ZSR_TAIL | k */
	int free_page; /* the region's free bit */
	unsigned slot; /* read only: the region's slot */
	unsigned page; /* read only: the page's index in its region */
};

/* One run record as plain numbers. */
struct zsr_rec {
	uint32_t cookie;
	uint32_t index; /* a free record: the next free one + 1 */
	unsigned owner; /* owner id + 1; 0 for a free record */
	unsigned flags; /* ZSR_MOVABLE | ZSR_ISOLATED */
	unsigned pages;
};

/* A region's record table counts (struct arena_region's rec_*). */
struct zsr_table {
	unsigned cap, top, used, free_head;
};

extern const unsigned ZSR_MOVABLE, ZSR_ISOLATED, ZSR_TAIL;

/* 0, or -EINVAL when page is not a page of one of the arena's regions. */
int zsr_get(struct zs_arena *a, const void *page, struct zsr_page *d);

/* Writes the map entry; and, when free_page differs, the free bit with
 * the region's in-use count, so the region's own count still agrees (the
 * arena's totals then do not, but they are checked after every run).
 * 0 or -EINVAL as zsr_get. */
int zsr_set(struct zs_arena *a, const void *page, const struct zsr_page *d);

/* Record n (below the table's capacity) of the region holding page; 0 or
 * -EINVAL (no such region or record). */
int zsr_get_rec(struct zs_arena *a, const void *page, unsigned n,
		struct zsr_rec *rec);
int zsr_set_rec(struct zs_arena *a, const void *page, unsigned n,
		const struct zsr_rec *rec);

/* The record table counts of the region holding page; 0 or -EINVAL. */
int zsr_get_table(struct zs_arena *a, const void *page, struct zsr_table *t);
int zsr_set_table(struct zs_arena *a, const void *page,
		  const struct zsr_table *t);

/* Marks the arena as compacting or not, as a compaction would. */
void zsr_set_compacting(struct zs_arena *a, int on);

/* Sets an owner's count of pages in moves in flight; returns the old. */
unsigned zsr_set_owner_moving(struct zs_arena *a, int owner_id,
			      unsigned moving);

/* Sets the arena's owner limit; returns the old. */
unsigned zsr_set_owner_limit(struct zs_arena *a, unsigned limit);

/* Sets the arena's count of regions (entries by address), or its region
 * slot limit; returns the old.  Until restored, only zs_arena_check and
 * the API may look at the arena: zsr_get and the like walk the regions up
 * to the count. */
unsigned zsr_set_nregions(struct zs_arena *a, unsigned n);
unsigned zsr_set_slot_limit(struct zs_arena *a, unsigned limit);

#ifdef __cplusplus
}
#endif

#endif /* ZS_GTEST_ZS_ARENA_RUNS_PLANT_H */
