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
#include <string.h>

#include "zs/report_internal.h"
#include "zs/zbud_internal.h"
#include "zs/zs_internal.h"

int zsa_locate(struct zs_pool *pool, uint64_t h, struct zsa_place *at)
{
	uint32_t idx, gen;
	struct zs_hslot *slot = zs_handle_lookup(pool, h, &idx, &gen);
	struct zspage *zsp;
	uint32_t ref;

	if (!slot)
		return -EINVAL;
	ref = zs_slot_loc(atomic_load(&slot->word));
	at->zspage = zs_span_ref_zspage(ref);
	at->unit = zs_span_ref_unit(ref);
	at->slot = idx;
	zsp = zs_slot_huge(atomic_load(&slot->word)) ?
		      NULL :
		      zs_zspage_by_id(pool, at->zspage);
	at->shard = zsp ? atomic_load(&zsp->shard) : 0;
	return 0;
}

uint32_t zsa_huge_cookie(uint32_t slot)
{
	return zs_huge_cookie(slot);
}

unsigned zsa_zspage_units(struct zs_pool *pool)
{
	return pool->zspage_units;
}

/* Tags and footers sit in poisoned neighbourhoods (a gap's footer, an
 * object's tail): the stray write is the point, so ASan looks away. */
__attribute__((no_sanitize("address"))) static volatile uint8_t *
word_at(struct zs_pool *pool, uint32_t zspage, size_t byte)
{
	return (volatile uint8_t *)atomic_load(
		       &zs_zspage_by_id(pool, zspage)->base) +
	       byte;
}

__attribute__((no_sanitize("address"))) uint32_t
zsa_load32(struct zs_pool *pool, uint32_t zspage, size_t byte)
{
	volatile uint8_t *p = word_at(pool, zspage, byte);
	uint8_t b[4];
	uint32_t v;
	unsigned i;

	for (i = 0; i < 4; i++)
		b[i] = p[i];
	memcpy(&v, b, sizeof(v)); /* the host's order, as the library's */
	return v;
}

__attribute__((no_sanitize("address"))) void
zsa_store32(struct zs_pool *pool, uint32_t zspage, size_t byte, uint32_t v)
{
	volatile uint8_t *p = word_at(pool, zspage, byte);
	uint8_t b[4];
	unsigned i;

	memcpy(b, &v, sizeof(v));
	for (i = 0; i < 4; i++)
		p[i] = b[i];
}

void zsa_point_slot_at(struct zs_pool *pool, uint64_t a, uint64_t b)
{
	uint32_t idx, gen;
	struct zs_hslot *sa = zs_handle_lookup(pool, a, &idx, &gen);
	struct zs_hslot *sb = zs_handle_lookup(pool, b, &idx, &gen);

	atomic_store(&sa->word,
		     zs_slot_with_loc(atomic_load(&sa->word),
				      zs_slot_loc(atomic_load(&sb->word))));
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
