// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_lists.c - op corrupt's planters for the
 * fullness and isolated lists and for the counters of shards and of
 * the pool (fuzz/zsmalloc_fuzz/zs_corrupt.h).
 *
 * A list is only as good as its links, its counts and the bound its walk
 * keeps, so each of them is broken alone; a counter is raised by one (or
 * moved the way a lost update would), which is the smallest lie a checker
 * has to catch.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "zs/arena_internal.h"
#include "zs/zs_internal.h"

bool zsf_plant_back_link(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	FM_PATCH(p->log, p->t.zsp->prev,
		 p->t.zsp->prev != ZS_ZSP_NONE ? ZS_ZSP_NONE : p->t.zsp->id);
	return true;
}

/* Takes zsp out of the list at *head as zs_zsp_list_del would, through
 * the log (its own links left for the caller). */
static void log_unlink(struct zs_plant *p, struct zspage **head,
		       struct zspage *zsp)
{
	struct zspage *prev = zs_zspage_by_id(p->pool, zsp->prev);
	struct zspage *next = zs_zspage_by_id(p->pool, zsp->next);

	if (prev)
		FM_PATCH(p->log, prev->next, zsp->next);
	else
		FM_PATCH(p->log, *head, next);
	if (next)
		FM_PATCH(p->log, next->prev, zsp->prev);
}

/* The pool's count one below the longest list: the walk's bound trips at
 * that list's last zspage. */
bool zsf_plant_list_long(struct zs_plant *p)
{
	unsigned long longest = 0, n;
	struct zspage *zsp;
	unsigned i, g;

	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *k = &p->pool->shards[i];

		zs_lock(&k->lock);
		for (g = 0; g < ZS_NR_FULLNESS; g++) {
			zsp = k->groups[g];
			for (n = 0; zsp; zsp = zs_zsp_next(p->pool, zsp))
				n++;
			if (n > longest)
				longest = n;
		}
		zs_unlock(&k->lock);
	}
	if (!longest)
		return false;
	fm_patch_atomic_ulong(p->log, &p->pool->zspages, longest - 1);
	return true;
}

/* A fullness group's count one more than its list holds.  (Bytes that
 * picked group 12 once raised the huge list's count; huge objects have no
 * list now, and their count is kind CK_HUGE_COUNT's: they pick a group
 * too.) */
bool zsf_plant_group_count(struct zs_plant *p)
{
	unsigned g = (p->sel >> 8) % (ZS_NR_FULLNESS + 1);

	if (g == ZS_NR_FULLNESS)
		g = (p->sel >> 12) % ZS_NR_FULLNESS;
	zs_lock(&p->sh->lock);
	FM_PATCH(p->log, p->sh->group_count[g], p->sh->group_count[g] + 1);
	zs_unlock(&p->sh->lock);
	return true;
}

/* The indexed gaps (2 units and more) of a shared zspage; shard lock
 * held. */
static unsigned indexed_gaps(struct zs_pool *pool, struct zs_shard *sh,
			     const struct zspage *zsp)
{
	struct zs_span_block b;
	unsigned u, n = 0;

	for (u = 0; u < pool->zspage_units; u += b.units) {
		zs_span_block_at(&sh->span, zsp->id, u, &b);
		if (!b.units)
			fm_fail("corrupt: zspage %u has a bad block at unit %u",
				zsp->id, u);
		n += b.gap && b.units >= 2;
	}
	return n;
}

/* Takes t's zspage out of its fullness list onto its shard's (empty)
 * isolated list and its gaps out of the index, as compaction leaves a
 * source zspage between two moves: consistent, so a finding planted on
 * top of it is the only one.  false, writing nothing, when its gaps'
 * links would not fit the planting's log.  Shard lock held. */
static bool isolate_target(struct zs_plant *p)
{
	const struct corrupt_target *t = &p->t;
	struct zspage *zsp = t->zsp;
	struct zs_span_block b;
	unsigned u;

	if (2 * indexed_gaps(p->pool, t->sh, zsp) > ZSF_LINKS_MAX)
		return false;
	zsf_plant_save_index(p, t->sh);
	for (u = 0; u < p->pool->zspage_units; u += b.units) {
		struct zs_gap_links *l;

		zs_span_block_at(&t->sh->span, zsp->id, u, &b);
		if (!b.gap || b.units < 2)
			continue;
		l = zsf_gap_links(t->sh, zs_span_ref(zsp->id, u));
		zsf_plant_log_links(p, l->prev);
		zsf_plant_log_links(p, l->next);
	}
	zs_span_isolate(&t->sh->span, zsp->id);
	log_unlink(p, &t->sh->groups[t->g], zsp);
	FM_PATCH(p->log, t->sh->group_count[t->g],
		 t->sh->group_count[t->g] - 1);
	FM_PATCH(p->log, zsp->prev, ZS_ZSP_NONE);
	FM_PATCH(p->log, zsp->next, ZS_ZSP_NONE);
	FM_PATCH(p->log, zsp->isolated, true);
	FM_PATCH(p->log, t->sh->isolated_list, zsp);
	return true;
}

/* Each half alone: a zspage isolated as compaction does it but not marked
 * isolated, or marked isolated on its fullness list; or (both at once) the
 * head of a fullness list put on the isolated list too. */
bool zsf_plant_isolated_list(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	if (t->sh->isolated_list)
		fm_fail("corrupt: shard %u has an isolated zspage at rest",
			t->sh->index);
	if (p->sel >> 15) {
		FM_PATCH(p->log, t->sh->isolated_list, t->sh->groups[t->g]);
		return true;
	}
	if (p->sel & 0x4000) {
		FM_PATCH(p->log, t->zsp->isolated, true);
		return true;
	}
	if (!isolate_target(p))
		return false;
	FM_PATCH(p->log, t->zsp->isolated, false);
	return true;
}

/* First a zspage isolated as compaction leaves it between two moves, which
 * is consistent; then an object in it marked moving, which is not. */
bool zsf_plant_isolated_inner(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_SMALL) || !isolate_target(p))
		return false;
	zs_unlock(&t->sh->lock);
	fm_plant_expect_clean(&p->base, "a zspage isolated (as by compaction)");
	zs_lock(&t->sh->lock);
	fm_patch_atomic64(p->log, &t->slot->word,
			  zs_slot_with_state(atomic_load(&t->slot->word),
					     ZS_SLOT_MOVING));
	return true;
}

/* Moved to another list with the group it records and both lists' counts
 * to match: only the second half, the group its units imply, can see
 * it. */
bool zsf_plant_belongs(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;
	struct zspage *zsp, *other;
	unsigned g;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	zsp = t->zsp;
	g = (t->g + 1 + (p->sel >> 12) % (ZS_NR_FULLNESS - 1)) % ZS_NR_FULLNESS;
	log_unlink(p, &t->sh->groups[t->g], zsp);
	FM_PATCH(p->log, t->sh->group_count[t->g],
		 t->sh->group_count[t->g] - 1);
	other = t->sh->groups[g];
	if (other)
		FM_PATCH(p->log, other->prev, zsp->id);
	FM_PATCH(p->log, zsp->next, other ? other->id : ZS_ZSP_NONE);
	FM_PATCH(p->log, zsp->prev, ZS_ZSP_NONE);
	FM_PATCH(p->log, t->sh->groups[g], zsp);
	FM_PATCH(p->log, t->sh->group_count[g], t->sh->group_count[g] + 1);
	FM_PATCH(p->log, zsp->fullness, (uint8_t)g);
	return true;
}

/* A shard counter one above what the shard holds, under its lock. */
static bool shard_counter_up(struct zs_plant *p, _Atomic unsigned long *n)
{
	zs_lock(&p->sh->lock);
	fm_patch_atomic_ulong(p->log, n, atomic_load(n) + 1);
	zs_unlock(&p->sh->lock);
	return true;
}

bool zsf_plant_live(struct zs_plant *p)
{
	return shard_counter_up(p, &p->sh->objs_used);
}

/* Each half: the units objects take, or the shared zspages counted. */
bool zsf_plant_units(struct zs_plant *p)
{
	return shard_counter_up(p, p->sel & 0x8000 ? &p->sh->zspages :
						     &p->sh->units_used);
}

bool zsf_plant_bytes(struct zs_plant *p)
{
	zs_lock(&p->sh->lock);
	FM_PATCH(p->log, p->sh->bytes_stored, p->sh->bytes_stored + 1);
	zs_unlock(&p->sh->lock);
	return true;
}

bool zsf_plant_zspages(struct zs_plant *p)
{
	fm_patch_atomic_ulong(p->log, &p->pool->zspages,
			      atomic_load(&p->pool->zspages) + 1);
	return true;
}

bool zsf_plant_pages(struct zs_plant *p)
{
	fm_patch_atomic_ulong(p->log, &p->pool->pages,
			      atomic_load(&p->pool->pages) + 1);
	return true;
}

/* The arena's count of the pool's pages: each half alone (too many, too
 * few), and (variant 2) first a run move in flight, the arena counting the
 * moving run's copy as pages in flight, which must pass. */
bool zsf_plant_arena_pages(struct zs_plant *p)
{
	struct zs_arena *a = p->pool->arena;
	struct arena_owner *o =
		arena_owner_slot(a, (unsigned)p->pool->owner_id);
	unsigned long n;

	/* the arena's count, not the pool's: it holds each zspage's whole
	 * run, pages not yet reached included */
	pthread_mutex_lock(&a->lock);
	n = o->pages;
	pthread_mutex_unlock(&a->lock);

	if (p->sel >> 14 != 2) {
		fm_arena_miscount_owner(&p->base, a, p->pool->owner_id, n,
					p->sel >> 14, p->sel & 0xff);
		return true;
	}
	pthread_mutex_lock(&a->lock);
	FM_PATCH(p->log, o->moving, p->pool->chain_size);
	FM_PATCH(p->log, o->pages, n + p->pool->chain_size);
	pthread_mutex_unlock(&a->lock);
	fm_plant_expect_clean(&p->base, "a run move in flight (the arena "
					"holding one zspage more)");
	pthread_mutex_lock(&a->lock);
	FM_PATCH(p->log, o->pages,
		 n + p->pool->chain_size + 1 + (p->sel & 0xff));
	pthread_mutex_unlock(&a->lock);
	return true;
}
