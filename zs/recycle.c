// SPDX-License-Identifier: MIT
/*
 * recycle.c - a shard's recycle bins: freed objects' blocks kept whole for
 * the next object of the same footprint.
 *
 * Why: a free that merges its block with the gaps beside it, and an
 * allocation that searches the free-space index, splits a gap and indexes
 * what is left, write boundary tags and gap links across the zspage: most
 * of an alloc + free pair's work.  The objects of a compressed store come
 * back at the sizes they left with; a block kept whole, its tag still
 * naming its slot, is handed to the next object of its footprint by one
 * slot word, with no tag, link or zspage count written.  The fast bins of
 * Lea's allocator and the size caches of thread-caching mallocs do the
 * same, at their classes' sizes; these bins are exact to 8 bytes.
 *
 * A recycled block stays an object of its zspage's layout: its tag names
 * its slot, its units count in used_units and inuse, zspage.recycled
 * counts it.  Its slot is free to handles (state free, generation bumped,
 * so the freed handle is refused at once) and keeps the block's place and
 * units (zs_slot_word_recycled).  A bin is a stack linked through its
 * blocks: the 4 bytes after a block's tag hold the slot + 1 of the next.
 * A free has just read that line for the tag check.
 *
 * What the bins may keep, so that an emptied zspage and a compaction give
 * back what they gave back without them:
 *  - at most ZS_RECYCLE_MAX_BLOCKS blocks and the pool's share of the
 *    shard's object units, theirs included (zs_pool_config.recycle_64ths,
 *    3/16 by default: the deeper the bins, the more of a trace's mix of
 *    sizes they serve, and the more free memory they hold).  A free
 *    that finds no room releases blocks (merges them into gaps, as a
 *    free would have) before it decides, each from the deepest bins: a
 *    bin much deeper than the others holds blocks its footprint has not
 *    come back for, where a shallow bin's next allocation would miss.  Depths are kept per bin and in levels
 *    (bit u of level l: bin u holds 2^l blocks or more), so the choice is
 *    a scan of a few words.  A free for good shrinks the share, and the
 *    bins with it: the last object freed leaves them empty;
 *  - nothing past ZS_RECYCLE_BURST frees in a row with no allocation
 *    from the shard between: a burst of frees is not churn, and gives
 *    its memory back as without the bins;
 *  - a zspage with no live object only while its blocks fill 3/4 of its
 *    pages (zs_recycle_may_idle), so such zspages keep at most 4/3 of
 *    what the bins count.  The last live object of a sparser zspage
 *    releases the zspage's blocks first, so it empties and goes back at
 *    once; so does an idle zspage whose blocks, one released, no longer
 *    fill 3/4 of its pages.  Their slots cannot leave the bins' lists in
 *    constant time, so each stays linked, buried (zs_slot_word_buried:
 *    the link moves into the slot), and goes to the free list when its
 *    bin reaches it;
 *  - nothing while a compaction runs on the shard, nor in a zspage a run
 *    migration holds: compaction releases every block when it starts
 *    (idle zspages go back then), a run's isolation its zspage's blocks
 *    (a zspage of blocks only is not moved), and both move only live
 *    objects;
 *  - compaction, and with it the shrinker and the pressure monitor,
 *    releases every block first: what the bins hold is free memory to
 *    them.  Between compactions a churning pool may hold up to the caps
 *    more than it would without the bins.
 * A block is checked before it is handed out (its slot must be a recycled
 * one of the bin's footprint, its tag must name the slot): a link damaged
 * by a write through a stale pointer is reported and aborts instead of
 * handing out memory that is not free.  zs_pool_check walks every bin.
 */
#include <string.h>

#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

#define LINK_BYTES sizeof(uint32_t)

/* The link a recycled block holds after its tag: the next slot + 1 of
 * its bin. */
static uint32_t link_at(const struct zspage *zsp, uint32_t ref)
{
	uint32_t link;

	memcpy(&link, zs_obj_bytes(zsp, ref), LINK_BYTES);
	return link;
}

uint32_t zs_recycle_next(struct zs_pool *pool, uint32_t ref)
{
	return link_at(zs_zspage_by_id(pool, zs_span_ref_zspage(ref)), ref);
}

/* One block more in bin units: the bin enters the level of its new
 * depth when that is a power of two. */
static void count_up(struct zs_shard *sh, unsigned units)
{
	unsigned depth = ++sh->recycle_count[units];

	if (!(depth & (depth - 1)) && depth < 1u << ZS_RECYCLE_LEVELS)
		sh->recycle_deep[__builtin_ctz(depth)][units / 64] |=
			1ull << (units % 64);
}

/* One block less in bin units: the bin leaves the level of its old depth
 * when that was a power of two. */
static void count_down(struct zs_shard *sh, unsigned units)
{
	unsigned depth = sh->recycle_count[units]--;

	if (!(depth & (depth - 1)) && depth < 1u << ZS_RECYCLE_LEVELS)
		sh->recycle_deep[__builtin_ctz(depth)][units / 64] &=
			~(1ull << (units % 64));
}

/* Drops the buried slots on top of bin units (to the free list): whether
 * a block is left on top, *w its slot's word (0 for a slot past the
 * table, which pop reports). */
static bool unbury(struct zs_pool *pool, struct zs_shard *sh, unsigned units,
		   uint64_t *w)
{
	uint32_t f;

	while ((f = sh->recycle_head[units])) {
		struct zs_hslot *slot = zs_slot_at(pool, f - 1);

		*w = slot ? atomic_load_explicit(&slot->word,
						 memory_order_relaxed) :
			    0;
		if (!zs_slot_buried(*w))
			return true;
		sh->recycle_head[units] = zs_slot_loc(*w);
		sh->recycle_buried--;
		zs_slot_give_back(pool, sh, f - 1);
	}
	return false;
}

/* Takes the block on top of bin units off it, checked (w: its slot's
 * word, as unbury read it): its slot, with *ref and *zspp its place and
 * zspage. */
static uint32_t pop(struct zs_pool *pool, struct zs_shard *sh, unsigned units,
		    uint64_t w, uint32_t *ref, struct zspage **zspp)
{
	uint32_t idx = sh->recycle_head[units] - 1;
	struct zspage *zsp =
		zs_zspage_by_id(pool, zs_span_ref_zspage(zs_slot_loc(w)));

	/* the slot may name any place: its tag is read past the poisoning,
	 * the link only once the tag names the slot */
	if (zs_slot_recycled_units(w) != units || !zsp ||
	    atomic_load_explicit(&zsp->state, memory_order_relaxed) !=
		    ZSPAGE_LIVE ||
	    atomic_load_explicit(&zsp->shard, memory_order_relaxed) !=
		    sh->index ||
	    !zsp->recycled ||
	    zs_span_ref_unit(zs_slot_loc(w)) + units > pool->zspage_units ||
	    !zs_span_tag_names(zs_raw_load32(zs_obj_bytes(zsp, zs_slot_loc(w)) -
					     ZS_SPAN_TAG_BYTES),
			       idx)) {
		ZS_REPORT(ZS_FINDING_ABORT_POOL_RECYCLE_LINK, units, sh->index,
			  idx);
		zs_corruption_abort();
	}
	*ref = zs_slot_loc(w);
	*zspp = zsp;
	sh->recycle_head[units] = link_at(zsp, *ref);
	sh->recycle_blocks--;
	count_down(sh, units);
	zs_shard_count_add(&sh->recycle_units, -(long)units);
	zsp->recycled--;
	return idx;
}

/* The block of units at ref of zsp, out of the bins' counts, freed for
 * good: merged into the gaps beside it, as zs_free would have. */
static void free_block(struct zs_pool *pool, struct zs_shard *sh,
		       struct zspage *zsp, uint32_t ref, unsigned units)
{
	zs_obj_remove(pool, sh, zsp, ref,
		      (size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES);
}

/* Releases the block on top of bin units (unburied, w its slot's word):
 * freed for good, its slot on the free list.  A zspage that held no live
 * object then releases its other blocks and goes back: returns the pages
 * given back. */
static unsigned long release(struct zs_pool *pool, struct zs_shard *sh,
			     unsigned units, uint64_t w)
{
	struct zspage *zsp;
	uint32_t ref, idx = pop(pool, sh, units, w, &ref, &zsp);

	free_block(pool, sh, zsp, ref, units);
	zs_slot_give_back(pool, sh, idx);
	/* with no live object, the rest may no longer fill 3/4 of its pages
	 * (zs_recycle_may_idle): they follow, and the zspage goes back */
	if (zsp->recycled && zsp->recycled == zsp->inuse &&
	    !zs_recycle_may_idle(zsp))
		zs_recycle_release_zspage(pool, sh, zsp);
	if (zsp->inuse == 0 && !zsp->isolated && !zsp->run_isolated) {
		unsigned long pages = zsp->pages;

		zs_zspage_destroy(pool, sh, zsp);
		return pages;
	}
	return 0;
}

/* The footprint the next eviction releases a block of: among the
 * deepest bins (the highest level any bin reaches), the first at or after
 * the cursor.  A bin much deeper than the others holds blocks its
 * footprint's demand has not come back for; the shallow ones are what
 * the next allocations of their footprints find or miss. */
static unsigned deepest_bin(const struct zs_shard *sh)
{
	unsigned level = ZS_RECYCLE_LEVELS, w, start = sh->recycle_cursor;
	const uint64_t *deep;

	for (;;) {
		deep = sh->recycle_deep[--level];
		for (w = 0; w < ZS_RECYCLE_WORDS && !deep[w]; w++)
			;
		if (w < ZS_RECYCLE_WORDS || level == 0)
			break;
	}
	/* the first bit at or after start, else the first of all */
	w = start / 64;
	if (w < ZS_RECYCLE_WORDS) {
		uint64_t rest = deep[w] & (~0ull << (start % 64));

		if (rest)
			return w * 64 + (unsigned)__builtin_ctzll(rest);
		for (w++; w < ZS_RECYCLE_WORDS; w++)
			if (deep[w])
				return w * 64 +
				       (unsigned)__builtin_ctzll(deep[w]);
	}
	for (w = 0; w < ZS_RECYCLE_WORDS; w++)
		if (deep[w])
			return w * 64 + (unsigned)__builtin_ctzll(deep[w]);
	return 0;
}

/* Releases one block of the deepest bins; the bins hold a block. */
static void evict_one(struct zs_pool *pool, struct zs_shard *sh)
{
	unsigned u = deepest_bin(sh);
	uint64_t w;

	if (!u || !unbury(pool, sh, u, &w)) {
		ZS_REPORT(ZS_FINDING_ABORT_POOL_RECYCLE_DEPTH, sh->index,
			  sh->recycle_blocks, u);
		zs_corruption_abort();
	}
	release(pool, sh, u, w);
	sh->recycle_cursor = u + 1;
}

void zs_recycle_make_room(struct zs_pool *pool, struct zs_shard *sh,
			  unsigned units)
{
	while (sh->recycle_blocks && !zs_recycle_fits(pool, sh, units))
		evict_one(pool, sh);
}

void zs_recycle_trim(struct zs_pool *pool, struct zs_shard *sh)
{
	while (sh->recycle_blocks &&
	       atomic_load_explicit(&sh->recycle_units, memory_order_relaxed) >
		       zs_recycle_share(pool, sh))
		evict_one(pool, sh);
}

void zs_recycle_put(struct zs_shard *sh, struct zspage *zsp, uint32_t slot_idx,
		    uint32_t ref, unsigned units)
{
	char *p = zs_obj_bytes(zsp, ref);
	uint32_t next = sh->recycle_head[units];

	/* the link is readable, the rest of the block is free memory */
	zs_unpoison(p, LINK_BYTES);
	memcpy(p, &next, LINK_BYTES);
	zs_poison(p + LINK_BYTES,
		  (size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES - LINK_BYTES);
	sh->recycle_head[units] = slot_idx + 1;
	sh->recycle_blocks++;
	count_up(sh, units);
	zs_shard_count_add(&sh->recycle_units, units);
	zsp->recycled++;
}

bool zs_recycle_get(struct zs_pool *pool, struct zs_shard *sh, size_t size,
		    uint32_t *slot_idx, uint32_t *ref)
{
	unsigned units = zs_span_units((unsigned)size);
	struct zspage *zsp;
	uint64_t w;
	char *p;

	if (!sh->recycle_head[units] || !unbury(pool, sh, units, &w))
		return false;
	*slot_idx = pop(pool, sh, units, w, ref, &zsp);
	p = zs_obj_bytes(zsp, *ref);
	zs_unpoison(p, size);
	zs_poison(p + size,
		  (size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES - size);
	return true;
}

bool zs_recycle_flush(struct zs_pool *pool, struct zs_shard *sh,
		      unsigned long *pages)
{
	unsigned u, budget = ZS_RECYCLE_FLUSH_BATCH;
	uint64_t w;

	for (u = 1;
	     (sh->recycle_blocks || sh->recycle_buried) && u < ZS_RECYCLE_BINS;
	     u++)
		while (unbury(pool, sh, u, &w)) {
			if (!budget--)
				return true;
			*pages += release(pool, sh, u, w);
		}
	return false;
}

void zs_recycle_release_zspage(struct zs_pool *pool, struct zs_shard *sh,
			       struct zspage *zsp)
{
	unsigned unit = 0, prev = 0;
	bool prev_gap = false;
	struct zs_span_block b;

	while (zsp->recycled && unit < pool->zspage_units) {
		uint64_t w;

		zs_span_block_at(&sh->span, zsp->id, unit, &b);
		if (!b.units)
			zs_bad_block(sh, zsp, unit);
		w = b.gap ? 0 :
			    atomic_load_explicit(
				    &zs_slot_at(pool, b.slot)->word,
				    memory_order_relaxed);
		if (b.gap || zs_slot_live(w)) {
			prev = unit;
			prev_gap = b.gap;
			unit += b.units;
			continue;
		}
		/* a recycled block (the walk sized it): its link moves into
		 * its slot, which stays in the bin until the bin reaches it */
		atomic_store_explicit(
			&zs_slot_at(pool, b.slot)->word,
			zs_slot_word_buried(link_at(zsp,
						    zs_span_ref(zsp->id, unit)),
					    zs_slot_gen(w)),
			memory_order_relaxed);
		sh->recycle_blocks--;
		count_down(sh, b.units);
		sh->recycle_buried++;
		zs_shard_count_add(&sh->recycle_units, -(long)b.units);
		zsp->recycled--;
		free_block(pool, sh, zsp, zs_span_ref(zsp->id, unit), b.units);
		/* the block is a gap now, merged with a gap before it if
		 * there was one: the walk goes on from that gap's start */
		if (prev_gap)
			unit = prev;
	}
}
