/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_arena_retain_plant.h - white-box helpers of
 * zs_arena_retain_test.cc: the arena's retention clock.
 *
 * The clock cannot be stopped or set through the API while memory is
 * retained (that is what ZS_FINDING_ARENA_RETAINED_UNCLOCKED is for), so
 * these read and write it in the arena's internal layout
 * (zs/arena_internal.h).  C, because that layout includes C11 atomics.
 */
#ifndef ZS_GTEST_ZS_ARENA_RETAIN_PLANT_H
#define ZS_GTEST_ZS_ARENA_RETAIN_PLANT_H

#include <stdint.h>

#include "zs/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

/* When the arena began retaining free memory (its clock, in ms), 0 when
 * it retains none. */
uint64_t zsr_retained_since(struct zs_arena *a);

/* Sets it; returns what it was. */
uint64_t zsr_set_retained_since(struct zs_arena *a, uint64_t since);

/* The arena's dirty free pages (resident, kept for reuse). */
unsigned long zsr_dirty_pages(struct zs_arena *a);

#ifdef __cplusplus
}
#endif

#endif /* ZS_GTEST_ZS_ARENA_RETAIN_PLANT_H */
