/* SPDX-License-Identifier: MIT */
/*
 * gtest/zs_recycle_plant.h - white-box helpers of zs_recycle_test.cc: the
 * shards' recycle bins.
 *
 * What the bins hold is not visible through the API (a recycled block is
 * free memory to the user), and their corruptions cannot be made through
 * it, so these read and write the shards in the pool's internal layout
 * (zs/zs_internal.h), under the shard locks.  C, because that layout
 * includes C11 atomics.
 */
#ifndef ZS_GTEST_ZS_RECYCLE_PLANT_H
#define ZS_GTEST_ZS_RECYCLE_PLANT_H

#include <stdint.h>

#include "zs/zsmalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a pool's bins hold, over its shards. */
struct zsr_bins {
	unsigned long blocks; /* recycled blocks */
	unsigned long units; /* their units */
	unsigned long buried; /* released slots still linked */
	unsigned long units_used; /* every shard's object units */
};
void zsr_read_bins(struct zs_pool *pool, struct zsr_bins *out);

/* The zspage, shard and handle slot of handle h's object. */
uint32_t zsr_zspage_of(struct zs_pool *pool, uint64_t h);
unsigned zsr_shard_of(struct zs_pool *pool, uint64_t h);
uint32_t zsr_slot_of(struct zs_pool *pool, uint64_t h);

/* Plants, each undone by calling it again with the value it returned:
 * the link of the block on top of the bin of units in the shard of h's
 * object (set to link); that shard's count of recycled blocks; the
 * recycled count of h's zspage. */
uint32_t zsr_set_top_link(struct zs_pool *pool, uint64_t h, unsigned units,
			  uint32_t link);
uint32_t zsr_set_shard_blocks(struct zs_pool *pool, uint64_t h,
			      uint32_t blocks);
uint32_t zsr_set_zspage_recycled(struct zs_pool *pool, uint64_t h,
				 uint32_t recycled);
/* The blocks the bin of units of h's shard links (buried slots not
 * counted), by a walk of its list. */
uint32_t zsr_bin_blocks(struct zs_pool *pool, uint64_t h, unsigned units);
/* Plants, undone as the ones above: that bin's depth (its count of
 * blocks); whether it is in depth level `level` (1 or 0). */
uint32_t zsr_set_bin_depth(struct zs_pool *pool, uint64_t h, unsigned units,
			   uint32_t depth);
uint32_t zsr_set_bin_level(struct zs_pool *pool, uint64_t h, unsigned units,
			   unsigned level, uint32_t in);
/* Kept huge pages (zs/huge.c): the pool's, over its shards; the shard
 * of huge object h; and plants, undone as above, on that shard: its
 * count of kept pages, and the link in its top kept page. */
unsigned long zsr_huge_kept(struct zs_pool *pool);
unsigned zsr_huge_shard_of(struct zs_pool *pool, uint64_t h);
uint32_t zsr_set_huge_kept(struct zs_pool *pool, unsigned shard, uint32_t kept);
uint32_t zsr_set_huge_link(struct zs_pool *pool, unsigned shard, uint32_t link);
/* Plants the pool's share (recycle_64ths, in 64ths; undone as above):
 * what the shards hold past it is for zs_pool_check to find. */
unsigned zsr_set_share(struct zs_pool *pool, unsigned share);
/* The slot + 1 on top of that bin, 0 when it is empty. */
uint32_t zsr_top(struct zs_pool *pool, uint64_t h, unsigned units);

#ifdef __cplusplus
}
#endif

#endif /* ZS_GTEST_ZS_RECYCLE_PLANT_H */
