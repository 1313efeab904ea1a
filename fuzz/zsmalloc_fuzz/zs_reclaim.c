// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_reclaim.c - the zsmalloc target's ops that move
 * objects and give pages back: zs_compact, the shrinker and arena
 * compaction.
 *
 * Each must free exactly the pages it reports, count them in the pool's
 * or the arena's statistics, and leave every object where the model can
 * read it back (the next after-op check reads them all).  The shrinker's
 * count is an estimate of what compaction can free (zs/shards.c), so it
 * is held to what it must be: no more than the pages held, and never
 * growing when zspages go.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zsmalloc.h"

void zsf_op_compact(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_stats before, after;
	unsigned long count, ret, pages, left;

	(void)c;
	zsf_get_stats(f, &before);
	count = zs_shrinker_count(f->pool);
	ret = zs_compact(f->pool);
	zsf_get_stats(f, &after);
	pages = zs_get_total_pages(f->pool);
	fm_trace("  zs_compact freed %lu (count was %lu), %lu -> %lu pages\n",
		 ret, count, before.pages_used, pages);
	if (before.pages_used - pages != ret)
		fm_fail("zs_compact returned %lu but pages went %lu -> %lu",
			ret, before.pages_used, pages);
	if (after.pages_compacted - before.pages_compacted != ret)
		fm_fail("zs_compact returned %lu but pages_compacted went "
			"%lu -> %lu",
			ret, before.pages_compacted, after.pages_compacted);
	/* The count is an estimate (whole zspages' worth of free units, less
	 * what compaction cannot fill), not a promise: compaction may free
	 * more or less.  It only shrinks as zspages go. */
	if (count > before.pages_used)
		fm_fail("zs_shrinker_count %lu > pages held %lu", count,
			before.pages_used);
	left = zs_shrinker_count(f->pool);
	if (left > count)
		fm_fail("zs_shrinker_count grew from %lu to %lu over "
			"zs_compact",
			count, left);
	zsf_pool_check(f, "after zs_compact");
	f->verify_pending = true;
}

void zsf_op_shrink(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_stats before, after;
	unsigned long count, ret, pages;
	uint16_t nr;

	if (!fc_u16(c, &nr))
		return;
	zsf_get_stats(f, &before);
	count = zs_shrinker_count(f->pool);
	if (count > before.pages_used)
		fm_fail("zs_shrinker_count %lu > pages held %lu", count,
			before.pages_used);
	ret = zs_shrinker_scan(f->pool, nr);
	zsf_get_stats(f, &after);
	pages = zs_get_total_pages(f->pool);
	if (before.pages_used - pages != ret)
		fm_fail("zs_shrinker_scan(%u) returned %lu but pages went "
			"%lu -> %lu",
			nr, ret, before.pages_used, pages);
	if (after.pages_compacted - before.pages_compacted != ret)
		fm_fail("zs_shrinker_scan returned %lu but pages_compacted "
			"went %lu -> %lu",
			ret, before.pages_compacted, after.pages_compacted);
	if (!nr && ret)
		fm_fail("zs_shrinker_scan(0) freed %lu pages", ret);
	if (zs_shrinker_count(f->pool) > count)
		fm_fail("zs_shrinker_count grew from %lu to %lu over "
			"zs_shrinker_scan(%u)",
			count, zs_shrinker_count(f->pool), nr);
	zsf_pool_check(f, "after zs_shrinker_scan");
	f->verify_pending = true;
}

void zsf_op_arena_compact(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_arena *a = zsf_arena_of(f);
	struct zs_arena_stats before, after;
	unsigned long pages = zs_get_total_pages(f->pool), ret;
	uint8_t flags;

	if (!fc_u8(c, &flags))
		return;
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	zs_arena_stats(a, &before);
	ret = zs_arena_compact(a);
	if (flags & 1)
		zs_arena_trim(a);
	zs_arena_stats(a, &after);
	fm_trace("  zs_arena_compact moved %lu pages\n", ret);
	if (after.pages_migrated - before.pages_migrated != ret)
		fm_fail("zs_arena_compact returned %lu, pages_migrated went "
			"%lu -> %lu",
			ret, before.pages_migrated, after.pages_migrated);
	if (after.pages_in_use != before.pages_in_use)
		fm_fail("zs_arena_compact changed pages_in_use %lu -> %lu",
			before.pages_in_use, after.pages_in_use);
	if (zs_get_total_pages(f->pool) != pages)
		fm_fail("zs_arena_compact changed the pool's pages %lu -> %lu",
			pages, zs_get_total_pages(f->pool));
	if (f->arena && after.pages_in_use < pages)
		fm_fail("private arena has %lu pages in use, its pool %lu",
			after.pages_in_use, pages);
	zsf_pool_check(f, "after zs_arena_compact");
	f->verify_pending = true;
}
