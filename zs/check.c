// SPDX-License-Identifier: MIT
/*
 * check.c - zs_pool_check: the full consistency walk.
 *
 * Tests and fuzzers call it after operations; it must agree with every
 * counter and every structure, so it recomputes each from the ground truth
 * (page contents and handle slots) and compares.  It takes every shard
 * lock, in ascending order (the only code holding two), so it can run
 * while other threads work and still see a consistent pool.  The first
 * disagreement is reported with an exact message and -EUCLEAN returned.
 *
 * Every piece of bookkeeping is compared with what it summarises: every
 * zspage is walked block by block (zs_span_check_zspage: tags, footers,
 * objects' slots pointing back), the free-space index against the gaps
 * the walks found, zspages with their fullness lists,
 * each zspage's run with the arena's description of it (owner, zspage,
 * length, movable), every huge object's page likewise (owner, its slot),
 * every handle slot with exactly one of: a live object, a
 * shard's free slot list, a shard's fresh batch; every zspage descriptor
 * with exactly one of: a shard's lists, the descriptor free list.  A slot
 * or descriptor leaked by a failed call is then a finding, not a silent
 * loss.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

/* One finding of kind (zs/findings.h) with its format's arguments, as
 * "zs: zs_pool_check(<pool name>): <what>", then -EUCLEAN. */
#define FAIL(kind, ...)                                                   \
	do {                                                              \
		zs_report_finding(kind, "zs_pool_check(%s): " kind##_FMT, \
				  pool->name, ##__VA_ARGS__);             \
		err = -EUCLEAN;                                           \
		goto out;                                                 \
	} while (0)

/* A zspage's pages are one arena run, which the arena describes as this
 * pool's, naming the zspage (page 0 of it), as long as the zspage,
 * starting at its base, and movable: run migration finds its way back
 * through exactly these, and objects are addressed as one range from the
 * base, so a run described otherwise would be moved wrongly, freed short
 * or never moved again. */
static int check_run(struct zs_pool *pool, const struct zspage *zsp)
{
	char *base = atomic_load(&zsp->base);
	unsigned pages = pool->chain_size;
	struct zs_arena_page_info info;
	int err = 0;

	if (!base || zs_arena_page_info(pool->arena, base, &info) != 0)
		FAIL(ZS_FINDING_POOL_PAGE_NOT_IN_ARENA, zsp->id, (void *)base);
	if (info.owner_id != pool->owner_id || info.cookie != zsp->id ||
	    info.index != 0 || info.run_pages != pages || info.run != base ||
	    !info.movable)
		FAIL(ZS_FINDING_POOL_PAGE_ARENA_DESCRIPTION, zsp->id, pages,
		     (void *)base, info.owner_id, info.cookie, info.index,
		     info.run_pages, info.run,
		     info.movable ? "" : ", not movable");
out:
	return err;
}

/* What the walks of one shard's zspages add up to. */
struct shard_sums {
	unsigned long objects, units, zspages, pages, huge;
	unsigned long huge_kept; /* of huge, the pages kept (zs/huge.c) */
	unsigned long recycled, recycled_units; /* of objects, units */
	uint64_t bytes;
	struct zs_span_tally indexed; /* gaps of zspages not isolated */
};

/* A live object's slot, outside any move: never marked moving, and its
 * size is part of the bytes the shard says it stores. */
static int check_at_rest(struct zs_pool *pool, uint32_t idx,
			 struct shard_sums *sum)
{
	uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);
	int err = 0;

	if (zs_slot_moving(w))
		FAIL(ZS_FINDING_POOL_SLOT_MOVING_AT_REST, idx);
	sum->bytes += zs_slot_size(w);
out:
	return err;
}

/* The handle slots of a zspage's objects, all at rest but the recycled
 * blocks (zs/recycle.c), which it counts in *recycled. */
static int check_objects(struct zs_pool *pool, struct zs_shard *sh,
			 struct zspage *zsp, struct shard_sums *sum,
			 unsigned long *recycled)
{
	struct zs_span_block b;
	unsigned unit;
	int err = 0;

	for (unit = 0; unit < pool->zspage_units && !err; unit += b.units) {
		zs_span_block_at(&sh->span, zsp->id, unit, &b);
		if (b.gap)
			continue;
		if (zs_slot_live(
			    atomic_load(&zs_slot_at(pool, b.slot)->word))) {
			err = check_at_rest(pool, b.slot, sum);
			continue;
		}
		++*recycled;
		sum->recycled_units += b.units;
	}
	return err;
}

/* A huge object's page is this pool's in the arena, a run of one, named
 * by the object's slot (the cookie), movable: migration finds the slot
 * through exactly these, and a free gives back only such a page.  At
 * rest like every object, and counted in sums[] by the shard its place
 * names.  (A slot of a missing handle chunk is check_slots' to report.) */
static int check_huge_objects(struct zs_pool *pool, struct shard_sums *sums)
{
	uint32_t nslots = atomic_load(&pool->ht_next), idx;
	int err = 0;

	for (idx = 0; idx < nslots; idx++) {
		struct zs_hslot *slot = zs_slot_at(pool, idx);
		uint64_t w = slot ? atomic_load(&slot->word) : 0;
		struct zs_arena_page_info info = { .owner_id = -1 };
		uint32_t loc = zs_slot_loc(w);
		struct shard_sums *sum;
		char *page;

		/* a kept page's record names its slot as a live one's does */
		if (!(zs_slot_live(w) && zs_slot_huge(w)) &&
		    !zs_slot_huge_kept(w))
			continue;
		page = zs_huge_bytes(pool, loc);
		if (!page || zs_arena_page_info(pool->arena, page, &info) ||
		    info.owner_id != pool->owner_id ||
		    info.cookie != zs_huge_cookie(idx) || info.index != 0 ||
		    info.run_pages != 1 || info.run != page || !info.movable)
			FAIL(ZS_FINDING_POOL_HUGE_SLOT, idx,
			     zs_huge_loc_page(loc), (void *)page, info.owner_id,
			     info.cookie, info.index, info.run_pages,
			     info.movable ? "" : ", not movable");
		sum = &sums[zs_huge_loc_shard(loc)];
		sum->huge++;
		if (zs_slot_huge_kept(w)) {
			sum->huge_kept++;
			continue;
		}
		sum->objects++;
		err = check_at_rest(pool, idx, sum);
		if (err)
			goto out;
	}
out:
	return err;
}

/* g is the fullness group whose list holds zsp, ZS_NR_FULLNESS for the
 * isolated list. */
static int check_zspage(struct zs_pool *pool, struct zs_shard *sh,
			struct zspage *zsp, unsigned g, struct shard_sums *sum)
{
	struct zs_span_tally t = { 0 };
	unsigned long recycled = 0;
	unsigned reach;
	int err = 0;

	if (atomic_load(&zsp->state) != ZSPAGE_LIVE)
		FAIL(ZS_FINDING_POOL_ZSPAGE_NOT_LIVE, zsp->id);
	if (atomic_load(&zsp->shard) != sh->index)
		FAIL(ZS_FINDING_POOL_ZSPAGE_SHARD, zsp->id, sh->index,
		     atomic_load(&zsp->shard));
	err = check_run(pool, zsp);
	if (err)
		goto out;
	/* Two halves: the group recorded in the zspage (what removal from
	 * the list trusts) and the group its units imply (what compaction's
	 * choice of source trusts). */
	if (g < ZS_NR_FULLNESS && zsp->fullness != g)
		FAIL(ZS_FINDING_POOL_ZSPAGE_RECORDED_GROUP, zsp->id,
		     zsp->fullness, g);
	if (g < ZS_NR_FULLNESS && zs_fullness_of(pool, zsp->used_units) != g)
		FAIL(ZS_FINDING_POOL_ZSPAGE_IMPLIED_GROUP, zsp->id,
		     zsp->used_units, zs_fullness_of(pool, zsp->used_units), g);
	if (zsp->inuse == 0 && !zsp->run_isolated && !zsp->isolated)
		FAIL(ZS_FINDING_POOL_ZSPAGE_EMPTY_NOT_FREED, zsp->id);
	/* every tag, footer and object's slot, and no gap next to a gap */
	err = zs_span_check_zspage(&sh->span, zsp->id, pool->name, &t);
	if (err)
		goto out;
	if (t.objects != zsp->inuse || t.object_units != zsp->used_units)
		FAIL(ZS_FINDING_POOL_ZSPAGE_INUSE_COUNT, zsp->id, zsp->inuse,
		     zsp->used_units, (unsigned long long)t.objects,
		     (unsigned long long)t.object_units);
	reach = zs_pages_of_units(t.reach_units);
	if (zsp->pages < 1 || zsp->pages > pool->chain_size ||
	    zsp->pages < reach)
		FAIL(ZS_FINDING_POOL_ZSPAGE_PAGES, zsp->id, zsp->pages,
		     pool->chain_size, reach);
	err = check_objects(pool, sh, zsp, sum, &recycled);
	if (err)
		goto out;
	if (recycled != zsp->recycled ||
	    (recycled && recycled >= t.objects && !zs_recycle_may_idle(zsp)))
		FAIL(ZS_FINDING_POOL_ZSPAGE_RECYCLED, zsp->id, zsp->recycled,
		     zsp->inuse, zsp->used_units, zsp->pages, recycled);
	sum->recycled += recycled;
	sum->objects += t.objects;
	sum->units += t.object_units;
	sum->zspages++;
	sum->pages += zsp->pages;
	/* an isolated zspage's gaps are out of the index by design */
	if (!zsp->isolated) {
		sum->indexed.indexed += t.indexed;
		sum->indexed.indexed_units += t.indexed_units;
	}
out:
	return err;
}

/* A mark on a free slot while check_slots walks, in its size field's top
 * bit (0 on a slot of a free list or a fresh batch, which is all the walk
 * claims): readers ignore slots that are not live, and nothing else
 * touches free slots under the shard locks, so the walk needs no memory
 * of its own. */
#define SLOT_CLAIMED (0x800ull << ZS_SLOT_SIZE_SHIFT)
/* A buried slot's mark while the bins' walk has reached it, in the top
 * bit of its link (a slot + 1, below 2^29); a kept huge page's slot's
 * while its stack's walk has (the top bit of its place, a page number
 * below 2^22 shifted by 2). */
#define SLOT_BURIED_SEEN (1ull << 63)
#define SIZE_FIELD (ZS_SLOT_SIZE_MASK << ZS_SLOT_SIZE_SHIFT)
_Static_assert(ZS_PAGE_UNITS < ZS_SLOT_BURIED && ZS_SLOT_BURIED < 0x800,
	       "units, the buried mark and the claim bit are apart");

/* Claims free slot idx for a free list or a fresh batch; false when it is
 * live, claimed already, or a recycle bin's (its size field not 0). */
static bool claim_slot(struct zs_pool *pool, uint32_t idx)
{
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	uint64_t w = atomic_load(&slot->word);

	if (zs_slot_live(w) || (w & SIZE_FIELD))
		return false;
	atomic_store(&slot->word, w | SLOT_CLAIMED);
	return true;
}

/* Whether slot idx holds a recycled block of units in a zspage of shard
 * si (ZS_NR_SHARDS: any) whose tag names it, as a link of a bin of units
 * must. */
static bool recycled_in(struct zs_pool *pool, unsigned si, uint32_t idx,
			unsigned units)
{
	uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);
	struct zspage *zsp =
		zs_zspage_by_id(pool, zs_span_ref_zspage(zs_slot_loc(w)));
	unsigned zsi;

	if (!units || zs_slot_recycled_units(w) != units || !zsp ||
	    atomic_load(&zsp->state) != ZSPAGE_LIVE ||
	    zs_span_ref_unit(zs_slot_loc(w)) + units > pool->zspage_units)
		return false;
	zsi = atomic_load(&zsp->shard);
	/* the place may be anywhere in the zspage, poisoned or not */
	return zsi < ZS_NR_SHARDS && (si == ZS_NR_SHARDS || si == zsi) &&
	       zs_span_tag_names(
		       zs_raw_load32(zs_obj_bytes(zsp, zs_slot_loc(w)) -
				     ZS_SPAN_TAG_BYTES),
		       idx);
}

/* The depth levels a bin of depth blocks belongs to (zs/recycle.c). */
static unsigned depth_levels(unsigned depth)
{
	unsigned l, m = 0;

	for (l = 0; l < ZS_RECYCLE_LEVELS; l++)
		if (depth >= 1u << l)
			m |= 1u << l;
	return m;
}

/* A shard's recycle bins: each link a recycled block of the bin's
 * footprint in the shard or a buried slot (marked, so that it is met
 * once); each bin's depth and depth levels as its walk finds them;
 * their totals as the shard and the walks of its zspages count them.
 * A block linked twice makes the walk longer than the counts allow
 * or its totals disagree with the zspages'. */
static int check_recycle_bins(struct zs_pool *pool, struct zs_shard *sh,
			      uint32_t nslots, const struct shard_sums *sum,
			      unsigned long *owned)
{
	unsigned long blocks = 0, units = 0, buried = 0;
	unsigned long most = sh->recycle_blocks + sh->recycle_buried;
	unsigned u;
	uint32_t f;
	int err = 0;

	for (u = 1; u < ZS_RECYCLE_BINS; u++) {
		unsigned long before = blocks;

		for (f = sh->recycle_head[u]; f;) {
			uint32_t idx = f - 1;
			struct zs_hslot *slot =
				idx < nslots ? zs_slot_at(pool, idx) : NULL;
			uint64_t w = slot ? atomic_load(&slot->word) : 0;
			/* a buried slot keeps the link itself */
			bool is_buried = zs_slot_buried(w);

			if (!slot || blocks + buried >= most ||
			    (is_buried ? (w & SLOT_BURIED_SEEN) != 0 :
					 !recycled_in(pool, sh->index, idx, u)))
				FAIL(ZS_FINDING_POOL_RECYCLE_BIN_BROKEN, u,
				     sh->index, idx);
			if (is_buried) {
				atomic_store(&slot->word, w | SLOT_BURIED_SEEN);
				buried++;
				f = zs_slot_loc(w);
				continue;
			}
			blocks++;
			units += u;
			f = zs_recycle_next(pool, zs_slot_loc(w));
		}
		if (sh->recycle_count[u] != blocks - before ||
		    zs_recycle_levels(sh, u) !=
			    depth_levels((unsigned)(blocks - before)))
			FAIL(ZS_FINDING_POOL_RECYCLE_DEPTH, sh->index, u,
			     sh->recycle_count[u], zs_recycle_levels(sh, u),
			     blocks - before,
			     depth_levels((unsigned)(blocks - before)));
	}
	if (blocks != sh->recycle_blocks || buried != sh->recycle_buried ||
	    units != atomic_load(&sh->recycle_units) ||
	    blocks != sum->recycled || units != sum->recycled_units)
		FAIL(ZS_FINDING_POOL_RECYCLE_COUNT, sh->index,
		     sh->recycle_blocks, sh->recycle_buried,
		     (unsigned)atomic_load(&sh->recycle_units), blocks, buried,
		     units, sum->recycled);
	*owned += blocks + buried;
out:
	return err;
}

/* A shard's kept huge pages: each link a kept page's slot of the shard
 * (marked, so that it is met once), as many as the shard and the walk of
 * the huge slots count. */
static int check_huge_kept(struct zs_pool *pool, struct zs_shard *sh,
			   uint32_t nslots, const struct shard_sums *sum,
			   unsigned long *owned)
{
	unsigned long linked = 0, kept = atomic_load(&sh->huge_kept);
	uint32_t f;
	int err = 0;

	for (f = sh->huge_bin; f; linked++) {
		uint32_t idx = f - 1;
		struct zs_hslot *slot = idx < nslots ? zs_slot_at(pool, idx) :
						       NULL;
		uint64_t w = slot ? atomic_load(&slot->word) : 0;
		char *page = NULL;

		if (!slot || linked >= kept || !zs_slot_huge_kept(w) ||
		    (w & SLOT_BURIED_SEEN) ||
		    zs_huge_loc_shard(zs_slot_loc(w)) != sh->index ||
		    !(page = zs_huge_bytes(pool, zs_slot_loc(w))))
			FAIL(ZS_FINDING_POOL_HUGE_KEPT_LINK, sh->index, idx);
		atomic_store(&slot->word, w | SLOT_BURIED_SEEN);
		memcpy(&f, page, sizeof(f));
	}
	if (linked != kept || linked != sum->huge_kept)
		FAIL(ZS_FINDING_POOL_HUGE_KEPT_COUNT, sh->index, kept, linked,
		     sum->huge_kept);
	*owned += linked;
out:
	return err;
}

/* What a shard keeps for reuse is within the pool's share at rest: a
 * keep checks the room first (zs_recycle_fits, zs_huge_wants) and a free
 * for good trims to the smaller share (zs_recycle_trim, zs_huge_trim).
 * The counts are the walks' by now. */
static int check_recycle_share(struct zs_pool *pool, struct zs_shard *sh)
{
	unsigned long blocks = sh->recycle_blocks;
	unsigned long units = atomic_load(&sh->recycle_units);
	unsigned long kept = atomic_load(&sh->huge_kept);
	unsigned long huge = atomic_load(&sh->huge_count);
	int err = 0;

	if (blocks > ZS_RECYCLE_MAX_BLOCKS ||
	    units > zs_recycle_share(pool, sh) || kept > ZS_HUGE_KEEP_MAX ||
	    zs_huge_over_share(pool, kept, huge))
		FAIL(ZS_FINDING_POOL_RECYCLE_SHARE, sh->index, blocks, units,
		     kept, pool->recycle_64ths, atomic_load(&sh->units_used),
		     huge);
out:
	return err;
}

static int check_slot_owners(struct zs_pool *pool, uint32_t nslots,
			     unsigned long *spare)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *cl = &pool->shards[i];
		uint32_t f, idx, n = 0;

		for (f = cl->free_slots; f; n++) {
			idx = f - 1;
			/* a cycle revisits a slot, which is claimed already */
			if (idx >= nslots || !claim_slot(pool, idx))
				FAIL(ZS_FINDING_POOL_FREE_SLOT_LIST_BROKEN,
				     cl->index, idx);
			f = zs_slot_loc(
				atomic_load(&zs_slot_at(pool, idx)->word));
		}
		*spare += n;
		if (cl->fresh_next > cl->fresh_end || cl->fresh_end > nslots)
			FAIL(ZS_FINDING_POOL_FRESH_BATCH_RANGE, cl->index,
			     cl->fresh_next, cl->fresh_end, nslots);
		for (idx = cl->fresh_next; idx < cl->fresh_end; idx++)
			if (!claim_slot(pool, idx))
				FAIL(ZS_FINDING_POOL_FRESH_SLOT_USED, idx,
				     cl->index);
		*spare += cl->fresh_end - cl->fresh_next;
	}
out:
	return err;
}

/* A free slot's size field holds nothing (a free list's or a fresh
 * batch's), a recycled block's units, or a buried slot's mark (one a bin
 * links, as its walk has just marked). */
static bool free_state_known(struct zs_pool *pool, uint32_t idx, uint64_t w)
{
	if (!(w & SIZE_FIELD))
		return true;
	if (zs_slot_buried(w) || zs_slot_huge_kept(w))
		return (w & SLOT_BURIED_SEEN) != 0;
	return recycled_in(pool, ZS_NR_SHARDS, idx, zs_slot_recycled_units(w));
}

/* check_slots' walks, which mark slots: the chunks, the bins (marking
 * the buried slots they link), every free slot's state, the free lists
 * and batches (claiming theirs).  Counts the live slots and the others
 * owned. */
static int walk_slots(struct zs_pool *pool, unsigned long live_total,
		      const struct shard_sums *sums, unsigned long *live,
		      unsigned long *spare)
{
	uint32_t nslots = atomic_load(&pool->ht_next), idx;
	unsigned long want, c;
	unsigned i;
	int err = 0;

	/* Chunks are made in index order as batches reach them. */
	want = nslots ? ((unsigned long)nslots - 1) / ZS_HT_CHUNK + 1 : 0;
	for (c = 0; c <= want && c < zs_ht_dir_cap(pool); c++)
		if (!atomic_load(&zs_ht_dir(pool)[c]) != (c == want))
			break;
	if (c <= want && c < zs_ht_dir_cap(pool))
		FAIL(ZS_FINDING_POOL_HANDLE_CHUNK, c,
		     c == want ? "present" : "missing", nslots);
	if (want != atomic_load(&pool->ht_nchunks))
		FAIL(ZS_FINDING_POOL_HANDLE_CHUNK_COUNT, want, nslots,
		     atomic_load(&pool->ht_nchunks));
	for (i = 0; i < ZS_NR_SHARDS; i++) {
		err = check_recycle_bins(pool, &pool->shards[i], nslots,
					 &sums[i], spare);
		if (!err)
			err = check_huge_kept(pool, &pool->shards[i], nslots,
					      &sums[i], spare);
		if (!err)
			err = check_recycle_share(pool, &pool->shards[i]);
		if (err)
			goto out;
	}
	for (idx = 0; idx < nslots; idx++) {
		uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);

		if (zs_slot_live(w))
			++*live;
		else if (!free_state_known(pool, idx, w))
			FAIL(ZS_FINDING_POOL_FREE_SLOT_STATE, idx,
			     (unsigned)(uint32_t)w);
	}
	if (*live != live_total)
		FAIL(ZS_FINDING_POOL_LIVE_SLOT_COUNT, *live, live_total);
	err = check_slot_owners(pool, nslots, spare);
out:
	return err;
}

/* Every handle slot is exactly one of: live (counted by the shard walks),
 * in one of its shard's recycle bins, on its shard's free slot list, in
 * its shard's unused fresh batch.  Marks catch a slot linked or claimed
 * twice; the sum catches one owned by nobody (a slot leaked by a failed
 * allocation).  Shard locks held. */
static int check_slots(struct zs_pool *pool, unsigned long live_total,
		       const struct shard_sums *sums)
{
	uint32_t nslots = atomic_load(&pool->ht_next), idx;
	unsigned long live = 0, spare = 0;
	int err = walk_slots(pool, live_total, sums, &live, &spare);

	for (idx = 0; idx < nslots; idx++) {
		struct zs_hslot *slot = zs_slot_at(pool, idx);
		uint64_t w = slot ? atomic_load(&slot->word) : 0;

		/* (a missing chunk is reported before any mark is made) */
		if (!slot || zs_slot_live(w))
			continue;
		if (zs_slot_buried(w) || zs_slot_huge_kept(w))
			atomic_store(&slot->word, w & ~SLOT_BURIED_SEEN);
		else
			atomic_store(&slot->word, w & ~SLOT_CLAIMED);
	}
	if (err)
		goto out;
	if (live + spare != nslots)
		FAIL(ZS_FINDING_POOL_SLOT_LEAK, nslots, live, spare,
		     nslots - live - spare);
out:
	return err;
}

/* Every zspage descriptor ever made is live in a shard's lists (counted by
 * the shard walks) or on the descriptor free list.  Shard locks held. */
static int check_descriptors(struct zs_pool *pool, unsigned long zspages)
{
	uint32_t n = atomic_load(&pool->zsp_next), id;
	unsigned long live = 0, nfree = 0, want, c;
	struct zspage *zsp;
	int err = 0;

	pthread_mutex_lock(&pool->zsp_lock);
	want = ((unsigned long)n + ZS_ZSP_CHUNK - 1) / ZS_ZSP_CHUNK;
	for (c = 0; c <= want && c < zs_zsp_dir_cap(pool); c++)
		if (!atomic_load(&zs_zsp_dir(pool)[c]) != (c == want))
			break;
	if (c <= want && c < zs_zsp_dir_cap(pool))
		FAIL(ZS_FINDING_POOL_ZSPAGE_CHUNK, c,
		     c == want ? "present" : "missing", n);
	if (want != atomic_load(&pool->zsp_nchunks))
		FAIL(ZS_FINDING_POOL_ZSPAGE_CHUNK_COUNT, want, n,
		     atomic_load(&pool->zsp_nchunks));
	for (id = 0; id < n; id++) {
		zsp = zs_zspage_by_id(pool, id);
		if (zsp->id != id)
			FAIL(ZS_FINDING_POOL_DESCRIPTOR_ID, id, zsp->id);
		if (atomic_load(&zsp->state) == ZSPAGE_LIVE)
			live++;
	}
	if (live != zspages)
		FAIL(ZS_FINDING_POOL_LIVE_DESCRIPTOR_COUNT, live, zspages);
	for (zsp = pool->zsp_free; zsp; zsp = zs_zsp_next(pool, zsp))
		if (atomic_load(&zsp->state) != ZSPAGE_FREE || ++nfree > n)
			FAIL(ZS_FINDING_POOL_DESCRIPTOR_FREE_LIST_BROKEN,
			     zsp->id);
	if (live + nfree != n)
		FAIL(ZS_FINDING_POOL_DESCRIPTOR_LEAK, n, live, nfree,
		     n - live - nfree);
out:
	pthread_mutex_unlock(&pool->zsp_lock);
	return err;
}

/* The arena holds exactly the pool's runs under its owner id (a zspage's
 * whole run, the pages it has not reached included), plus the
 * target run of each move in flight (the arena counts the run being moved
 * and its copy until the move ends): a page leaked by a failed call, or
 * freed without the pool knowing, shows here.  Shard locks held, so no
 * zspage is made or freed meanwhile. */
static int check_arena_pages(struct zs_pool *pool, unsigned long pages)
{
	unsigned long owned = 0;
	unsigned moving = 0;
	int err = 0;

	if (zs_arena_owner_pages(pool->arena, pool->owner_id, &owned,
				 &moving) != 0 ||
	    owned != pages + moving)
		FAIL(ZS_FINDING_POOL_ARENA_PAGE_COUNT, owned, pages, moving);
out:
	return err;
}

/* One fullness list, or the isolated list (g == ZS_NR_FULLNESS): links,
 * members, length. */
static int check_list(struct zs_pool *pool, struct zs_shard *sh, unsigned g,
		      struct zspage *head, unsigned long count,
		      struct shard_sums *sum)
{
	struct zspage *zsp;
	uint32_t prev = ZS_ZSP_NONE;
	unsigned long n = 0;
	int err = 0;

	for (zsp = head; zsp; prev = zsp->id, zsp = zs_zsp_next(pool, zsp)) {
		if (zsp->prev != prev)
			FAIL(ZS_FINDING_POOL_FULLNESS_LIST_BACK_LINK, g,
			     sh->index, zsp->id);
		if ((g == ZS_NR_FULLNESS) != zsp->isolated)
			FAIL(ZS_FINDING_POOL_ISOLATED_LIST_BROKEN, sh->index,
			     zsp->id, zsp->isolated ? "" : "not ",
			     g == ZS_NR_FULLNESS ? "" : "not ");
		err = check_zspage(pool, sh, zsp, g, sum);
		if (err)
			goto out;
		/* Bounds the walk.  A real cycle fails the back-link test
		 * first (some node is reached from two predecessors), so
		 * this trips only when the pool's count is too low. */
		if (++n > atomic_load(&pool->zspages))
			FAIL(ZS_FINDING_POOL_FULLNESS_LIST_TOO_LONG, g,
			     sh->index, atomic_load(&pool->zspages));
	}
	if (g != ZS_NR_FULLNESS && n != count)
		FAIL(ZS_FINDING_POOL_GROUP_COUNT, sh->index, g, n, count);
out:
	return err;
}

static int check_shard(struct zs_pool *pool, struct zs_shard *sh,
		       struct shard_sums *sum)
{
	unsigned g;
	int err = 0;

	for (g = 0; g < ZS_NR_FULLNESS; g++) {
		err = check_list(pool, sh, g, sh->groups[g], sh->group_count[g],
				 sum);
		if (err)
			goto out;
	}
	err = check_list(pool, sh, ZS_NR_FULLNESS, sh->isolated_list, 0, sum);
	if (!err)
		err = zs_span_check_index(&sh->span, pool->name, &sum->indexed);
	if (err)
		goto out;
	if (sum->huge != atomic_load(&sh->huge_count))
		FAIL(ZS_FINDING_POOL_HUGE_COUNT, sh->index, sum->huge,
		     atomic_load(&sh->huge_count));
	/* a recycled block is no object of the user's */
	if (sum->objects - sum->recycled != atomic_load(&sh->objs_used))
		FAIL(ZS_FINDING_POOL_SHARD_OBJECT_COUNT, sh->index,
		     sum->objects - sum->recycled, atomic_load(&sh->objs_used));
	if (sum->units != atomic_load(&sh->units_used) ||
	    sum->zspages != atomic_load(&sh->zspages) ||
	    sum->pages != atomic_load(&sh->pages))
		FAIL(ZS_FINDING_POOL_SHARD_UNIT_COUNT, sh->index, sum->units,
		     sum->zspages, sum->pages, atomic_load(&sh->units_used),
		     atomic_load(&sh->zspages), atomic_load(&sh->pages));
	if (sum->bytes != sh->bytes_stored)
		FAIL(ZS_FINDING_POOL_SHARD_BYTE_COUNT, sh->index,
		     (unsigned long long)sum->bytes,
		     (unsigned long long)sh->bytes_stored);
out:
	return err;
}

int zs_pool_check(struct zs_pool *pool)
{
	unsigned long live_total = 0, zspages = 0, huge = 0, pages = 0;
	unsigned long runs = 0; /* the arena's pages: whole runs */
	struct shard_sums sums[ZS_NR_SHARDS];
	unsigned i;
	int err = 0;

	if (!pool)
		return -EINVAL;
	for (i = 0; i < ZS_NR_SHARDS; i++)
		zs_lock(&pool->shards[i].lock);
	memset(sums, 0, sizeof(sums));
	err = check_huge_objects(pool, sums);
	if (err)
		goto out;
	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct shard_sums *sum = &sums[i];

		err = check_shard(pool, &pool->shards[i], sum);
		if (err)
			goto out;
		live_total += sum->objects - sum->recycled;
		zspages += sum->zspages;
		huge += sum->huge;
		pages += sum->pages + sum->huge;
		runs += sum->zspages * pool->chain_size + sum->huge;
	}
	err = check_slots(pool, live_total, sums);
	if (err)
		goto out;
	if (zspages + huge != atomic_load(&pool->zspages))
		FAIL(ZS_FINDING_POOL_ZSPAGE_COUNT, zspages + huge,
		     atomic_load(&pool->zspages));
	if (pages != atomic_load(&pool->pages))
		FAIL(ZS_FINDING_POOL_PAGE_COUNT, pages,
		     atomic_load(&pool->pages));
	err = check_descriptors(pool, zspages);
	if (err)
		goto out;
	err = check_arena_pages(pool, runs);
out:
	for (i = ZS_NR_SHARDS; i-- > 0;)
		zs_unlock(&pool->shards[i].lock);
	return err;
}
