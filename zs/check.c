// SPDX-License-Identifier: MIT
/*
 * check.c - zs_pool_check: the full consistency walk.
 *
 * Tests and fuzzers call it after operations; it must agree with every
 * counter and every structure, so it recomputes each from the ground truth
 * (page contents and handle slots) and compares.  It takes every class
 * lock, in ascending order (the only code holding two), so it can run
 * while other threads work and still see a consistent pool.  The first
 * disagreement is reported with an exact message and -EUCLEAN returned.
 *
 * Every piece of bookkeeping is compared with what it summarises: objects
 * with their handle slots and back, zspages with their fullness lists,
 * each zspage's run with the arena's description of it (owner, zspage,
 * length, movable), every handle slot with exactly one of: a live object, a
 * class's free slot list, a class's fresh batch; every zspage descriptor
 * with exactly one of: a class's lists, the descriptor free list.  A slot
 * or descriptor leaked by a failed call is then a finding, not a silent
 * loss.
 */
#include <errno.h>
#include <stdlib.h>

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
 * pool's, naming the zspage (page 0 of it), as long as the class's
 * zspages, starting at the zspage's base, and movable: run migration finds its way back through
 * exactly these, and objects are addressed as one range from the base, so
 * a run described otherwise would be moved wrongly, freed short or never
 * moved again. */
static int check_run(struct zs_pool *pool, const struct size_class *c,
		     const struct zspage *zsp)
{
	char *base = atomic_load(&zsp->base);
	struct zs_arena_page_info info;
	int err = 0;

	if (!base || zs_arena_page_info(pool->arena, base, &info) != 0)
		FAIL(ZS_FINDING_POOL_PAGE_NOT_IN_ARENA, zsp->id, c->size,
		     (void *)base);
	if (info.owner_id != pool->owner_id || info.cookie != zsp->id ||
	    info.index != 0 || info.run_pages != c->pages_per_zspage ||
	    info.run != base || !info.movable)
		FAIL(ZS_FINDING_POOL_PAGE_ARENA_DESCRIPTION, zsp->id, c->size,
		     c->pages_per_zspage, (void *)base, info.owner_id,
		     info.cookie, info.index, info.run_pages, info.run,
		     info.movable ? "" : ", not movable");
out:
	return err;
}

static int check_zspage(struct zs_pool *pool, struct size_class *c,
			struct zspage *zsp, unsigned g, unsigned long *live,
			uint64_t *bytes)
{
	uint32_t obj, inuse = 0, nfree = 0, f;
	int err = 0;

	if (atomic_load(&zsp->state) != ZSPAGE_LIVE)
		FAIL(ZS_FINDING_POOL_ZSPAGE_NOT_LIVE, zsp->id, c->size);
	if (atomic_load(&zsp->class_idx) != c->index)
		FAIL(ZS_FINDING_POOL_ZSPAGE_CLASS_INDEX, zsp->id, c->size,
		     atomic_load(&zsp->class_idx));
	/* Two halves: the group recorded in the zspage (what removal from
	 * the list trusts) and the group its count implies (what allocation
	 * and compaction order trust). */
	if (g < ZS_NR_FULLNESS && zsp->fullness != g)
		FAIL(ZS_FINDING_POOL_ZSPAGE_RECORDED_GROUP, zsp->id, c->size,
		     zsp->fullness, g);
	if (g < ZS_NR_FULLNESS && zs_fullness_of(c, zsp->inuse) != g)
		FAIL(ZS_FINDING_POOL_ZSPAGE_IMPLIED_GROUP, zsp->id, c->size,
		     zsp->inuse, zs_fullness_of(c, zsp->inuse), g);
	if (zsp->inuse == 0 && !zsp->run_isolated && !zsp->isolated)
		FAIL(ZS_FINDING_POOL_ZSPAGE_EMPTY_NOT_FREED, zsp->id, c->size);
	err = check_run(pool, c, zsp);
	if (err)
		goto out;
	if (!c->huge && zsp->fresh > c->objs_per_zspage)
		FAIL(ZS_FINDING_POOL_ZSPAGE_FRESH_MARK, zsp->id, c->size,
		     zsp->fresh, c->objs_per_zspage);
	for (obj = 0; obj < (c->huge ? 1u : zsp->fresh); obj++) {
		uint32_t idx;
		struct zs_hslot *slot;
		uint64_t m, want = ((uint64_t)zsp->id << 32) | obj;

		if (c->huge) {
			if (zsp->free_head == 0)
				continue;
			idx = zsp->huge_slot;
		} else {
			uint32_t hdr = zs_obj_header(c, zsp, obj);

			if (!(hdr & ZS_OBJ_ALLOCATED))
				continue;
			idx = hdr >> 1;
		}
		slot = zs_slot_at(pool, idx);
		if (!slot)
			FAIL(ZS_FINDING_POOL_OBJECT_SLOT_BEYOND_TABLE, obj,
			     zsp->id, c->size, idx);
		m = atomic_load(&slot->meta);
		if (!(m & ZS_META_LIVE))
			FAIL(ZS_FINDING_POOL_OBJECT_SLOT_FREE, obj, zsp->id,
			     c->size, idx);
		if (atomic_load(&slot->loc) != want)
			FAIL(ZS_FINDING_POOL_SLOT_NOT_POINTING_BACK, idx, obj,
			     zsp->id);
		if (zs_class_for_size(pool, zs_meta_size(m)) != c)
			FAIL(ZS_FINDING_POOL_SLOT_WRONG_CLASS, idx,
			     zs_meta_size(m), c->size);
		if (m & ZS_META_MOVING)
			FAIL(ZS_FINDING_POOL_SLOT_MOVING_AT_REST, idx);
		inuse++;
		*bytes += zs_meta_size(m);
	}
	for (f = zsp->free_head; f != ZS_NO_OBJ && !c->huge;) {
		uint32_t hdr;

		if (f >= zsp->fresh || ++nfree > c->objs_per_zspage)
			FAIL(ZS_FINDING_POOL_FREE_LIST_BROKEN, zsp->id, c->size,
			     f);
		hdr = zs_obj_header(c, zsp, f);
		if (hdr & ZS_OBJ_ALLOCATED)
			FAIL(ZS_FINDING_POOL_FREE_LIST_ALLOCATED, zsp->id,
			     c->size, f);
		f = hdr >> 1;
	}
	if (c->huge)
		nfree = zsp->free_head == 0 ? 1 : 0;
	else
		nfree += c->objs_per_zspage - zsp->fresh;
	if (inuse != zsp->inuse || inuse + nfree != c->objs_per_zspage)
		FAIL(ZS_FINDING_POOL_ZSPAGE_INUSE_COUNT, zsp->id, c->size,
		     zsp->inuse, inuse, nfree, c->objs_per_zspage);
	*live += inuse;
out:
	return err;
}

/* A mark on a free slot while check_slots walks: readers ignore slots that
 * are not live, and nothing else touches free slots under the class
 * locks, so the walk needs no memory of its own. */
#define SLOT_CLAIMED ZS_META_MOVING

/* Claims free slot idx for one owner (a free list or a fresh batch);
 * false when it is live or claimed already. */
static bool claim_slot(struct zs_pool *pool, uint32_t idx)
{
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	uint64_t m = atomic_load(&slot->meta);

	if (m & (ZS_META_LIVE | SLOT_CLAIMED))
		return false;
	atomic_store(&slot->meta, m | SLOT_CLAIMED);
	return true;
}

static int check_slot_owners(struct zs_pool *pool, uint32_t nslots,
			     unsigned long *spare)
{
	unsigned i;
	int err = 0;

	for (i = 0; i < pool->nr_classes; i++) {
		struct size_class *cl = &pool->classes[i];
		uint32_t f, idx, n = 0;

		for (f = cl->free_slots; f; n++) {
			idx = f - 1;
			/* a cycle revisits a slot, which is claimed already */
			if (idx >= nslots || !claim_slot(pool, idx))
				FAIL(ZS_FINDING_POOL_FREE_SLOT_LIST_BROKEN,
				     cl->size, idx);
			f = (uint32_t)atomic_load(&zs_slot_at(pool, idx)->loc);
		}
		*spare += n;
		if (cl->fresh_next > cl->fresh_end || cl->fresh_end > nslots)
			FAIL(ZS_FINDING_POOL_FRESH_BATCH_RANGE, cl->size,
			     cl->fresh_next, cl->fresh_end, nslots);
		for (idx = cl->fresh_next; idx < cl->fresh_end; idx++)
			if (!claim_slot(pool, idx))
				FAIL(ZS_FINDING_POOL_FRESH_SLOT_USED, idx,
				     cl->size);
		*spare += cl->fresh_end - cl->fresh_next;
	}
out:
	return err;
}

/* Every handle slot is exactly one of: live (counted by the class walks),
 * on its class's free slot list, in its class's unused fresh batch.  Marks
 * catch a slot claimed twice; the sum catches one claimed by nobody (a
 * slot leaked by a failed allocation).  Class locks held. */
static int check_slots(struct zs_pool *pool, unsigned long live_total)
{
	uint32_t nslots = atomic_load(&pool->ht_next), idx;
	unsigned long live = 0, spare = 0, want, c;
	int err = 0;

	/* Chunks are made in index order as batches reach them. */
	want = nslots ? ((unsigned long)nslots - 1) / ZS_HT_CHUNK + 1 : 0;
	for (c = 0; c <= want && c < ZS_HT_MAX_CHUNKS; c++)
		if (!atomic_load(&pool->ht_chunks[c]) != (c == want))
			break;
	if (c <= want && c < ZS_HT_MAX_CHUNKS)
		FAIL(ZS_FINDING_POOL_HANDLE_CHUNK, c,
		     c == want ? "present" : "missing", nslots);
	if (want != atomic_load(&pool->ht_nchunks))
		FAIL(ZS_FINDING_POOL_HANDLE_CHUNK_COUNT, want, nslots,
		     atomic_load(&pool->ht_nchunks));
	for (idx = 0; idx < nslots; idx++) {
		uint64_t m = atomic_load(&zs_slot_at(pool, idx)->meta);

		if (m & ZS_META_LIVE)
			live++;
		else if ((uint32_t)m)
			FAIL(ZS_FINDING_POOL_FREE_SLOT_STATE, idx,
			     (unsigned)(uint32_t)m);
	}
	if (live != live_total)
		FAIL(ZS_FINDING_POOL_LIVE_SLOT_COUNT, live, live_total);
	err = check_slot_owners(pool, nslots, &spare);
	for (idx = 0; idx < nslots; idx++) {
		struct zs_hslot *slot = zs_slot_at(pool, idx);
		uint64_t m = atomic_load(&slot->meta);

		if (!(m & ZS_META_LIVE))
			atomic_store(&slot->meta, m & ~SLOT_CLAIMED);
	}
	if (err)
		goto out;
	if (live + spare != nslots)
		FAIL(ZS_FINDING_POOL_SLOT_LEAK, nslots, live, spare,
		     nslots - live - spare);
out:
	return err;
}

/* Every zspage descriptor ever made is live in a class's lists (counted by
 * the class walks) or on the descriptor free list.  Class locks held. */
static int check_descriptors(struct zs_pool *pool, unsigned long zspages)
{
	uint32_t n = atomic_load(&pool->zsp_next), id;
	unsigned long live = 0, nfree = 0, want, c;
	struct zspage *zsp;
	int err = 0;

	pthread_mutex_lock(&pool->zsp_lock);
	want = ((unsigned long)n + ZS_ZSP_CHUNK - 1) / ZS_ZSP_CHUNK;
	for (c = 0; c <= want && c < ZS_ZSP_MAX_CHUNKS; c++)
		if (!atomic_load(&pool->zsp_chunks[c]) != (c == want))
			break;
	if (c <= want && c < ZS_ZSP_MAX_CHUNKS)
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
	for (zsp = pool->zsp_free; zsp; zsp = zsp->next)
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

/* The arena holds exactly the pool's pages under its owner id, plus the
 * target run of each move in flight (the arena counts the run being moved
 * and its copy until the move ends): a page leaked by a failed call, or
 * freed without the pool knowing, shows here.  Class locks held, so no
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

int zs_pool_check(struct zs_pool *pool)
{
	unsigned long live_total = 0, zspages = 0, pages = 0;
	unsigned i, g;
	int err = 0;

	if (!pool)
		return -EINVAL;
	for (i = 0; i < pool->nr_classes; i++)
		zs_lock(&pool->classes[i].lock);
	for (i = 0; i < pool->nr_classes; i++) {
		struct size_class *c = &pool->classes[i];
		unsigned long live = 0, nzsp = 0;
		uint64_t bytes = 0;

		for (g = 0; g < ZS_NR_FULLNESS; g++) {
			struct zspage *zsp, *prev = NULL;
			unsigned long n = 0;

			for (zsp = c->groups[g]; zsp;
			     prev = zsp, zsp = zsp->next) {
				if (zsp->prev != prev)
					FAIL(ZS_FINDING_POOL_FULLNESS_LIST_BACK_LINK,
					     g, c->size, zsp->id);
				err = check_zspage(pool, c, zsp, g, &live,
						   &bytes);
				if (err)
					goto out;
				/* Bounds the walk.  A real cycle fails the
				 * back-link test first (some node is reached
				 * from two predecessors), so this trips only
				 * when the pool's count is too low. */
				if (++n > atomic_load(&pool->zspages))
					FAIL(ZS_FINDING_POOL_FULLNESS_LIST_TOO_LONG,
					     g, c->size,
					     atomic_load(&pool->zspages));
			}
			if (n != c->group_count[g])
				FAIL(ZS_FINDING_POOL_GROUP_COUNT, c->size, g, n,
				     c->group_count[g]);
			nzsp += n;
		}
		{
			struct zspage *zsp, *prev = NULL;

			for (zsp = c->isolated_list; zsp;
			     prev = zsp, zsp = zsp->next) {
				if (zsp->prev != prev || !zsp->isolated)
					FAIL(ZS_FINDING_POOL_ISOLATED_LIST_BROKEN,
					     c->size, zsp->id);
				err = check_zspage(pool, c, zsp, ZS_NR_FULLNESS,
						   &live, &bytes);
				if (err)
					goto out;
				nzsp++;
			}
		}
		if (live != atomic_load(&c->objs_used))
			FAIL(ZS_FINDING_POOL_CLASS_OBJECT_COUNT, c->size, live,
			     atomic_load(&c->objs_used));
		if (nzsp * c->objs_per_zspage !=
		    atomic_load(&c->objs_allocated))
			FAIL(ZS_FINDING_POOL_CLASS_ALLOCATED_COUNT, c->size,
			     nzsp, c->objs_per_zspage,
			     atomic_load(&c->objs_allocated));
		if (bytes != c->bytes_stored)
			FAIL(ZS_FINDING_POOL_CLASS_BYTE_COUNT, c->size,
			     (unsigned long long)bytes,
			     (unsigned long long)c->bytes_stored);
		live_total += live;
		zspages += nzsp;
		pages += nzsp * c->pages_per_zspage;
	}
	err = check_slots(pool, live_total);
	if (err)
		goto out;
	if (zspages != atomic_load(&pool->zspages))
		FAIL(ZS_FINDING_POOL_ZSPAGE_COUNT, zspages,
		     atomic_load(&pool->zspages));
	if (pages != atomic_load(&pool->pages))
		FAIL(ZS_FINDING_POOL_PAGE_COUNT, pages,
		     atomic_load(&pool->pages));
	err = check_descriptors(pool, zspages);
	if (err)
		goto out;
	err = check_arena_pages(pool, pages);
out:
	for (i = pool->nr_classes; i-- > 0;)
		zs_unlock(&pool->classes[i].lock);
	return err;
}
