// SPDX-License-Identifier: MIT
/*
 * gtest/zs_recycle_plant.c - reading and planting the shards' recycle
 * bins for zs_recycle_test.cc (gtest/zs_recycle_plant.h).
 */
#include "gtest/zs_recycle_plant.h"

#include <string.h>

#include "zs/zs_internal.h"

void zsr_read_bins(struct zs_pool *pool, struct zsr_bins *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *sh = &pool->shards[i];

		zs_lock(&sh->lock);
		out->blocks += sh->recycle_blocks;
		out->units += atomic_load(&sh->recycle_units);
		out->buried += sh->recycle_buried;
		out->units_used += atomic_load(&sh->units_used);
		zs_unlock(&sh->lock);
	}
}

/* h's live shared object: its zspage. */
static struct zspage *zspage_of(struct zs_pool *pool, uint64_t h)
{
	uint32_t idx, gen;
	struct zs_hslot *slot = zs_handle_lookup(pool, h, &idx, &gen);

	return zs_zspage_by_id(pool, zs_span_ref_zspage(zs_slot_loc(
					     atomic_load(&slot->word))));
}

uint32_t zsr_slot_of(struct zs_pool *pool, uint64_t h)
{
	uint32_t idx, gen;

	zs_handle_lookup(pool, h, &idx, &gen);
	return idx;
}

uint32_t zsr_zspage_of(struct zs_pool *pool, uint64_t h)
{
	return zspage_of(pool, h)->id;
}

unsigned zsr_shard_of(struct zs_pool *pool, uint64_t h)
{
	return atomic_load(&zspage_of(pool, h)->shard);
}

uint32_t zsr_top(struct zs_pool *pool, uint64_t h, unsigned units)
{
	struct zs_shard *sh = &pool->shards[zsr_shard_of(pool, h)];
	uint32_t top;

	zs_lock(&sh->lock);
	top = sh->recycle_head[units];
	zs_unlock(&sh->lock);
	return top;
}

uint32_t zsr_set_top_link(struct zs_pool *pool, uint64_t h, unsigned units,
			  uint32_t link)
{
	struct zs_shard *sh = &pool->shards[zsr_shard_of(pool, h)];
	uint32_t old = 0;
	char *p;

	zs_lock(&sh->lock);
	if (sh->recycle_head[units]) {
		uint64_t w = atomic_load(
			&zs_slot_at(pool, sh->recycle_head[units] - 1)->word);
		uint32_t ref = zs_slot_loc(w);

		p = zs_obj_bytes(zs_zspage_by_id(pool, zs_span_ref_zspage(ref)),
				 ref);
		memcpy(&old, p, sizeof(old));
		memcpy(p, &link, sizeof(link));
	}
	zs_unlock(&sh->lock);
	return old;
}

uint32_t zsr_set_shard_blocks(struct zs_pool *pool, uint64_t h, uint32_t blocks)
{
	struct zs_shard *sh = &pool->shards[zsr_shard_of(pool, h)];
	uint32_t old;

	zs_lock(&sh->lock);
	old = sh->recycle_blocks;
	sh->recycle_blocks = blocks;
	zs_unlock(&sh->lock);
	return old;
}

uint32_t zsr_set_zspage_recycled(struct zs_pool *pool, uint64_t h,
				 uint32_t recycled)
{
	struct zspage *zsp = zspage_of(pool, h);
	struct zs_shard *sh = &pool->shards[atomic_load(&zsp->shard)];
	uint32_t old;

	zs_lock(&sh->lock);
	old = zsp->recycled;
	zsp->recycled = (uint16_t)recycled;
	zs_unlock(&sh->lock);
	return old;
}

uint32_t zsr_bin_blocks(struct zs_pool *pool, uint64_t h, unsigned units)
{
	struct zs_shard *sh = &pool->shards[zsr_shard_of(pool, h)];
	uint32_t f, blocks = 0;

	zs_lock(&sh->lock);
	for (f = sh->recycle_head[units]; f;) {
		uint64_t w = atomic_load(&zs_slot_at(pool, f - 1)->word);

		if (zs_slot_buried(w)) {
			f = zs_slot_loc(w);
			continue;
		}
		blocks++;
		f = zs_recycle_next(pool, zs_slot_loc(w));
	}
	zs_unlock(&sh->lock);
	return blocks;
}

uint32_t zsr_set_bin_depth(struct zs_pool *pool, uint64_t h, unsigned units,
			   uint32_t depth)
{
	struct zs_shard *sh = &pool->shards[zsr_shard_of(pool, h)];
	uint32_t old;

	zs_lock(&sh->lock);
	old = sh->recycle_count[units];
	sh->recycle_count[units] = (uint16_t)depth;
	zs_unlock(&sh->lock);
	return old;
}

uint32_t zsr_set_bin_level(struct zs_pool *pool, uint64_t h, unsigned units,
			   unsigned level, uint32_t in)
{
	struct zs_shard *sh = &pool->shards[zsr_shard_of(pool, h)];
	uint64_t *word = &sh->recycle_deep[level][units / 64];
	uint64_t bit = 1ull << (units % 64);
	uint32_t old;

	zs_lock(&sh->lock);
	old = (*word & bit) != 0;
	*word = in ? *word | bit : *word & ~bit;
	zs_unlock(&sh->lock);
	return old;
}

unsigned long zsr_huge_kept(struct zs_pool *pool)
{
	unsigned long kept = 0;
	unsigned i;

	for (i = 0; i < ZS_NR_SHARDS; i++)
		kept += atomic_load(&pool->shards[i].huge_kept);
	return kept;
}

unsigned zsr_huge_shard_of(struct zs_pool *pool, uint64_t h)
{
	uint32_t idx, gen;
	struct zs_hslot *slot = zs_handle_lookup(pool, h, &idx, &gen);

	return zs_huge_loc_shard(zs_slot_loc(atomic_load(&slot->word)));
}

uint32_t zsr_set_huge_kept(struct zs_pool *pool, unsigned shard, uint32_t kept)
{
	struct zs_shard *sh = &pool->shards[shard];
	uint32_t old;

	zs_lock(&sh->lock);
	old = (uint32_t)atomic_load(&sh->huge_kept);
	atomic_store(&sh->huge_kept, kept);
	zs_unlock(&sh->lock);
	return old;
}

uint32_t zsr_set_huge_link(struct zs_pool *pool, unsigned shard, uint32_t link)
{
	struct zs_shard *sh = &pool->shards[shard];
	uint32_t old = 0;

	zs_lock(&sh->lock);
	if (sh->huge_bin) {
		uint64_t w =
			atomic_load(&zs_slot_at(pool, sh->huge_bin - 1)->word);
		char *page = zs_huge_bytes(pool, zs_slot_loc(w));

		memcpy(&old, page, sizeof(old));
		memcpy(page, &link, sizeof(link));
	}
	zs_unlock(&sh->lock);
	return old;
}

unsigned zsr_set_share(struct zs_pool *pool, unsigned share)
{
	unsigned old = pool->recycle_64ths;

	pool->recycle_64ths = share;
	return old;
}
