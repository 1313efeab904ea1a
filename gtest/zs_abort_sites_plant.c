// SPDX-License-Identifier: MIT
/*
 * gtest/zs_abort_sites_plant.c - the stray writes zs_abort_sites_test.cc
 * plants (gtest/zs_abort_sites_plant.h).
 *
 * Each writes one field the way a use after free or an overrun would;
 * which field and why the library must abort on it is told at the test.
 */
#include "gtest/zs_abort_sites_plant.h"

#include <errno.h>

#include "zs/report_internal.h"
#include "zs/zbud_internal.h"
#include "zs/zs_internal.h"

int zsa_locate(struct zs_pool *pool, uint64_t h, struct zsa_place *at)
{
	uint32_t idx, gen;
	struct zs_hslot *slot = zs_handle_lookup(pool, h, &idx, &gen);
	uint64_t loc;

	if (!slot)
		return -EINVAL;
	loc = atomic_load(&slot->loc);
	at->zspage = (uint32_t)(loc >> 32);
	at->obj = (uint32_t)loc;
	at->slot = idx;
	return 0;
}

unsigned zsa_objs_per_zspage(struct zs_pool *pool, size_t size)
{
	struct size_class *c = zs_class_for_size(pool, size);

	return c->huge ? 0 : c->objs_per_zspage;
}

void zsa_point_slot_at(struct zs_pool *pool, uint64_t a, uint64_t b)
{
	uint32_t idx, gen;
	struct zs_hslot *sa = zs_handle_lookup(pool, a, &idx, &gen);
	struct zs_hslot *sb = zs_handle_lookup(pool, b, &idx, &gen);

	atomic_store(&sa->loc, atomic_load(&sb->loc));
}

void zsa_free_head_at(struct zs_pool *pool, uint64_t h)
{
	struct zsa_place at;

	if (zsa_locate(pool, h, &at) == 0)
		zs_zspage_by_id(pool, at.zspage)->free_head = at.obj;
}

const char *zsa_finding_format(enum zs_finding kind)
{
	return zs_finding_format(kind);
}

void zsa_zbud_forget_maps(struct zbud_pool *pool)
{
	uint32_t i;

	for (i = 0; i < pool->slot_hw; i++)
		pool->slots[i].maps = 0;
}
