/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_arena_runs_plant.h - white-box helpers of zs_arena_runs_test.cc.
 *
 * A run's descriptors cannot be made to disagree through the API (that is
 * what zs_arena_check's run findings are for), so these read and write one
 * page's descriptor in the arena's internal layout (zs/arena_internal.h).
 * They are C because that layout includes C11 atomics, which C++ cannot;
 * the test stays C++ and calls them, and restores what it wrote.
 */
#ifndef ZS_GTEST_ZS_ARENA_RUNS_PLANT_H
#define ZS_GTEST_ZS_ARENA_RUNS_PLANT_H

#include <stdint.h>

#include "zs/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One page's descriptor as plain numbers, and where the page is. */
struct zsr_desc {
	uint32_t cookie;
	uint32_t index;
	unsigned owner; /* owner id + 1; 0 for a free page */
	unsigned flags; /* ZSR_MOVABLE | ZSR_ISOLATED | ZSR_TAIL */
	unsigned run; /* head: pages in the run; tail: its place */
	int free_page; /* the region's free bit */
	unsigned slot; /* read only: the region's slot */
	unsigned page; /* read only: the page's index in its region */
};

extern const unsigned ZSR_MOVABLE, ZSR_ISOLATED, ZSR_TAIL;

/* 0, or -EINVAL when page is not a page of one of the arena's regions. */
int zsr_get(struct zs_arena *a, const void *page, struct zsr_desc *d);

/* Writes cookie, index, owner, flags and run; and, when free_page
 * differs, the free bit with the region's in-use count, so the region's
 * own count still agrees (the arena's totals then do not, but they are
 * checked after every run).  0 or -EINVAL as zsr_get. */
int zsr_set(struct zs_arena *a, const void *page, const struct zsr_desc *d);

/* Marks the arena as compacting or not, as a compaction would. */
void zsr_set_compacting(struct zs_arena *a, int on);

/* Sets an owner's count of pages in moves in flight; returns the old. */
unsigned zsr_set_owner_moving(struct zs_arena *a, int owner_id,
			      unsigned moving);

#ifdef __cplusplus
}
#endif

#endif /* ZS_GTEST_ZS_ARENA_RUNS_PLANT_H */
