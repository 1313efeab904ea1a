/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_abort_sites_plant.h - white-box helpers of zs_abort_sites_test.cc.
 *
 * The corruptions zs aborts on cannot be made through the API (that is what
 * makes them corruption), so these reach into the pools' internal layouts.
 * They are C because the layouts are C11 atomics, which C++ cannot include;
 * the test itself stays C++ and calls them.  Each plant is one stray write,
 * made in the death test's child so that the parent's pool stays sound.
 */
#ifndef ZS_GTEST_ZS_ABORT_SITES_PLANT_H
#define ZS_GTEST_ZS_ABORT_SITES_PLANT_H

#include <stddef.h>
#include <stdint.h>

#include "zs/findings.h"
#include "zs/zbud.h"
#include "zs/zsmalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Where handle h's object lives and which handle slot is its own, as the
 * library's reports number them: zspage id, unit (its tag's place). */
struct zsa_place {
	uint32_t zspage;
	uint32_t unit;
	uint32_t slot;
	unsigned shard; /* the zspage's */
};

/* 0, or -EINVAL when h is not a live handle of pool. */
int zsa_locate(struct zs_pool *pool, uint64_t h, struct zsa_place *at);
/* The cookie the arena describes slot's huge object's page with. */
uint32_t zsa_huge_cookie(uint32_t slot);
/* The units of the pool's shared zspages. */
unsigned zsa_zspage_units(struct zs_pool *pool);

/* The 4-byte word at byte offset byte of zspage's bytes (a tag at unit u
 * is at u * 8, a gap's footer 4 bytes before the block after it), read
 * and written past ASan's poisoning, as a stray write would. */
uint32_t zsa_load32(struct zs_pool *pool, uint32_t zspage, size_t byte);
void zsa_store32(struct zs_pool *pool, uint32_t zspage, size_t byte,
		 uint32_t v);

/* Handle a's slot now locates handle b's object, whose tag names b's
 * slot: the two disagree. */
void zsa_point_slot_at(struct zs_pool *pool, uint64_t a, uint64_t b);
/* Every handle slot of the zbud pool forgets its maps. */
void zsa_zbud_forget_maps(struct zbud_pool *pool);

/* zs_finding_format (zs/report_internal.h), for C++: that header is C11
 * only. */
const char *zsa_finding_format(enum zs_finding kind);

#ifdef __cplusplus
}
#endif

#endif /* ZS_GTEST_ZS_ABORT_SITES_PLANT_H */
