// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_recycle.c - op corrupt's planters for the
 * shards' recycle bins (zs/recycle.c, fuzz/zsmalloc_fuzz/zs_corrupt.h).
 *
 * A bin links its blocks through their bytes and the shard counts them,
 * and so does each zspage; each is planted off by what a stray write or
 * a forgotten update would leave: a link to a live object, past the
 * handle table or back to its own block; a shard or zspage count one
 * too high; a bin's depth one too high, or the bin in a depth level it
 * does not reach or out of one it does.  A shard's kept huge pages
 * (zs/huge.c) are linked through their first bytes and counted the same
 * way: a link to a live object, past the table or back to its own page,
 * the stack's head at a live object, the count too high.  And the pool's
 * share of what its shards may keep is set to none while one keeps a
 * block or a page.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "zs/zs_internal.h"

static bool holds_blocks(const struct zs_shard *sh)
{
	return sh->recycle_blocks != 0;
}

static bool keeps_huge_pages(const struct zs_shard *sh)
{
	return sh->huge_bin != 0;
}

static bool keeps_anything(const struct zs_shard *sh)
{
	return holds_blocks(sh) || keeps_huge_pages(sh);
}

/* A shard, chosen by sel, that has what `has` asks (looked at under its
 * lock), locked (p->locked); NULL when none has. */
static struct zs_shard *shard_where(struct zs_plant *p,
				    bool (*has)(const struct zs_shard *))
{
	unsigned i;

	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *sh =
			&p->pool->shards[(p->sel + i) % ZS_NR_SHARDS];

		zs_lock(&sh->lock);
		if (has(sh)) {
			p->locked = sh;
			return sh;
		}
		zs_unlock(&sh->lock);
	}
	return NULL;
}

/* The footprint of a bin of sh whose top is a block (not buried), chosen
 * by sel; 0 when every bin's top is buried. */
static unsigned bin_with_block_on_top(struct zs_plant *p, struct zs_shard *sh)
{
	unsigned i, u;

	for (i = 0; i < ZS_PAGE_UNITS; i++) {
		u = 1 + (p->sel + i) % ZS_PAGE_UNITS;
		if (sh->recycle_head[u] &&
		    !zs_slot_buried(atomic_load(
			    &zs_slot_at(p->pool, sh->recycle_head[u] - 1)
				     ->word)))
			return u;
	}
	return 0;
}

bool zsf_plant_recycle_link(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, holds_blocks);
	uint32_t top, ref, link;
	unsigned u, v = p->sel >> 14;
	struct zspage *zsp;

	if (!sh || !(u = bin_with_block_on_top(p, sh)))
		return false;
	top = sh->recycle_head[u];
	ref = zs_slot_loc(atomic_load(&zs_slot_at(p->pool, top - 1)->word));
	zsp = zs_zspage_by_id(p->pool, zs_span_ref_zspage(ref));
	if (v == 0) {
		/* a live object of the zspage, which holds one */
		struct zs_span_block b;
		unsigned unit;

		link = top; /* (none found: back to itself) */
		for (unit = 0; unit < p->pool->zspage_units; unit += b.units) {
			zs_span_block_at(&sh->span, zsp->id, unit, &b);
			if (!b.gap &&
			    zs_slot_live(atomic_load(
				    &zs_slot_at(p->pool, b.slot)->word))) {
				link = b.slot + 1;
				break;
			}
		}
	} else if (v == 1) {
		link = atomic_load(&p->pool->ht_next) + 1 + (p->sel & 0xff);
	} else {
		link = top; /* the block links itself: a cycle */
	}
	fm_patch_raw32(p->log, zs_obj_bytes(zsp, ref), link);
	return true;
}

bool zsf_plant_recycle_count(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, holds_blocks);

	if (!sh)
		return false;
	/* one more than the bins hold (fewer would end their walk early,
	 * which is the link's finding) */
	if (p->sel & 0x4000)
		FM_PATCH(p->log, sh->recycle_buried, sh->recycle_buried + 1);
	else
		FM_PATCH(p->log, sh->recycle_blocks, sh->recycle_blocks + 1);
	return true;
}

bool zsf_plant_zspage_recycled(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, holds_blocks);
	unsigned u;
	struct zspage *zsp;
	uint32_t ref;

	if (!sh || !(u = bin_with_block_on_top(p, sh)))
		return false;
	ref = zs_slot_loc(atomic_load(
		&zs_slot_at(p->pool, sh->recycle_head[u] - 1)->word));
	zsp = zs_zspage_by_id(p->pool, zs_span_ref_zspage(ref));
	/* one more, or one fewer, than the blocks it holds */
	FM_PATCH(p->log, zsp->recycled,
		 (p->sel & 0x4000) ? zsp->recycled - 1 : zsp->recycled + 1);
	return true;
}

bool zsf_plant_recycle_depth(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, holds_blocks);
	unsigned u, level;
	uint64_t *word;

	if (!sh || !(u = bin_with_block_on_top(p, sh)))
		return false;
	if (!(p->sel & 0x4000)) {
		FM_PATCH(p->log, sh->recycle_count[u],
			 (uint16_t)(sh->recycle_count[u] + 1));
		return true;
	}
	/* one level's bit flipped: set where the bin is not that deep,
	 * cleared where it is */
	level = (p->sel >> 8) % ZS_RECYCLE_LEVELS;
	word = &sh->recycle_deep[level][u / 64];
	FM_PATCH(p->log, *word, *word ^ (1ull << (u % 64)));
	return true;
}

/* The slot + 1 of a live object of the pool, chosen by sel; 0 when none
 * is live. */
static uint32_t live_slot_link(struct zs_plant *p)
{
	uint32_t n = atomic_load(&p->pool->ht_next), i;

	for (i = 0; i < n; i++) {
		uint32_t idx = (p->sel + i) % n;
		struct zs_hslot *slot = zs_slot_at(p->pool, idx);

		if (slot && zs_slot_live(atomic_load(&slot->word)))
			return idx + 1;
	}
	return 0;
}

bool zsf_plant_huge_kept_link(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, keeps_huge_pages);
	uint32_t top, link, live;
	unsigned v = p->sel >> 14;
	char *page;

	if (!sh)
		return false;
	top = sh->huge_bin;
	page = zs_huge_bytes(
		p->pool,
		zs_slot_loc(atomic_load(&zs_slot_at(p->pool, top - 1)->word)));
	live = live_slot_link(p);
	if (v == 3 && live) {
		/* the shard's head, not a page's link */
		FM_PATCH(p->log, sh->huge_bin, live);
		return true;
	}
	if (v == 0 && live)
		link = live;
	else if (v == 1)
		link = atomic_load(&p->pool->ht_next) + 1 + (p->sel & 0xff);
	else
		link = top; /* the page links itself: a cycle */
	fm_patch_raw32(p->log, page, link);
	return true;
}

bool zsf_plant_huge_kept_count(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, keeps_huge_pages);

	if (!sh)
		return false;
	/* more than the stack links (fewer would end the walk early, which
	 * is the link's finding) */
	fm_patch_atomic_ulong(p->log, &sh->huge_kept,
			      atomic_load(&sh->huge_kept) + 1 + (p->sel >> 14));
	return true;
}

bool zsf_plant_recycle_share(struct zs_plant *p)
{
	struct zs_shard *sh = shard_where(p, keeps_anything);

	if (!sh)
		return false;
	/* no share at all, so whatever the shard keeps is past it: what a
	 * keep that skipped its room check would leave */
	FM_PATCH(p->log, p->pool->recycle_64ths, 0u);
	return true;
}
