// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_lists.c - op corrupt's planters for the
 * fullness and isolated lists and for the counters of classes and of the
 * pool (fuzz/zsmalloc_fuzz/zs_corrupt.h).
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
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	FM_PATCH(p->log, p->t.zsp->prev, p->t.zsp->prev ? NULL : p->t.zsp);
	return true;
}

/* The pool's count one below the longest list: the walk's bound trips at
 * that list's last zspage. */
bool zsf_plant_list_long(struct zs_plant *p)
{
	unsigned long longest = 0, n;
	struct zspage *zsp;
	unsigned i, g;

	for (i = 0; i < p->pool->nr_classes; i++) {
		struct size_class *k = &p->pool->classes[i];

		zs_lock(&k->lock);
		for (g = 0; g < ZS_NR_FULLNESS; g++) {
			for (n = 0, zsp = k->groups[g]; zsp; zsp = zsp->next)
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

bool zsf_plant_group_count(struct zs_plant *p)
{
	unsigned g = (p->sel >> 8) % ZS_NR_FULLNESS;

	zs_lock(&p->c->lock);
	FM_PATCH(p->log, p->c->group_count[g], p->c->group_count[g] + 1);
	zs_unlock(&p->c->lock);
	return true;
}

/* Takes t's zspage out of its fullness list onto its class's (empty)
 * isolated list, as compaction leaves a source zspage between two moves:
 * consistent, so a finding planted on top of it is the only one.  Class
 * lock held. */
static void isolate_target(struct fm_patch_log *log,
			   const struct corrupt_target *t)
{
	struct zspage *zsp = t->zsp;

	if (zsp->prev)
		FM_PATCH(log, zsp->prev->next, zsp->next);
	else
		FM_PATCH(log, t->c->groups[t->g], zsp->next);
	if (zsp->next)
		FM_PATCH(log, zsp->next->prev, zsp->prev);
	FM_PATCH(log, t->c->group_count[t->g], t->c->group_count[t->g] - 1);
	FM_PATCH(log, zsp->prev, NULL);
	FM_PATCH(log, zsp->next, NULL);
	FM_PATCH(log, zsp->isolated, true);
	FM_PATCH(log, t->c->isolated_list, zsp);
}

/* Each half alone: a zspage isolated as compaction does it but not marked
 * isolated, or marked but with a broken back link; or (both at once) one
 * left on its fullness list too. */
bool zsf_plant_isolated_list(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_ANY) || t->c->isolated_list)
		return false;
	if (p->sel >> 15) {
		FM_PATCH(p->log, t->c->isolated_list, t->zsp);
		return true;
	}
	isolate_target(p->log, t);
	if (p->sel & 0x4000)
		FM_PATCH(p->log, t->zsp->prev, t->zsp);
	else
		FM_PATCH(p->log, t->zsp->isolated, false);
	return true;
}

/* First a zspage isolated as compaction leaves it between two moves, which
 * is consistent; then an object in it marked moving, which is not. */
bool zsf_plant_isolated_inner(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_ANY) || t->c->isolated_list)
		return false;
	isolate_target(p->log, t);
	zs_unlock(&t->c->lock);
	fm_plant_expect_clean(&p->base, "a zspage isolated (as by compaction)");
	zs_lock(&t->c->lock);
	fm_patch_atomic64(p->log, &t->slot->meta,
			  atomic_load(&t->slot->meta) | ZS_META_MOVING);
	return true;
}

/* Moved to another list with the group it records and both lists' counts
 * to match: only the second half, the group its count implies, can see
 * it. */
bool zsf_plant_belongs(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;
	struct zspage *zsp, *other;
	unsigned g;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	zsp = t->zsp;
	g = (t->g + 1 + (p->sel >> 12) % (ZS_NR_FULLNESS - 1)) % ZS_NR_FULLNESS;
	if (zsp->prev)
		FM_PATCH(p->log, zsp->prev->next, zsp->next);
	else
		FM_PATCH(p->log, t->c->groups[t->g], zsp->next);
	if (zsp->next)
		FM_PATCH(p->log, zsp->next->prev, zsp->prev);
	FM_PATCH(p->log, t->c->group_count[t->g], t->c->group_count[t->g] - 1);
	other = t->c->groups[g];
	if (other)
		FM_PATCH(p->log, other->prev, zsp);
	FM_PATCH(p->log, zsp->next, other);
	FM_PATCH(p->log, zsp->prev, NULL);
	FM_PATCH(p->log, t->c->groups[g], zsp);
	FM_PATCH(p->log, t->c->group_count[g], t->c->group_count[g] + 1);
	FM_PATCH(p->log, zsp->fullness, (uint8_t)g);
	return true;
}

/* A class counter one above what the class holds, under its lock. */
static bool class_counter_up(struct zs_plant *p, _Atomic unsigned long *n)
{
	zs_lock(&p->c->lock);
	fm_patch_atomic_ulong(p->log, n, atomic_load(n) + 1);
	zs_unlock(&p->c->lock);
	return true;
}

bool zsf_plant_live(struct zs_plant *p)
{
	return class_counter_up(p, &p->c->objs_used);
}

bool zsf_plant_allocated(struct zs_plant *p)
{
	return class_counter_up(p, &p->c->objs_allocated);
}

bool zsf_plant_bytes(struct zs_plant *p)
{
	zs_lock(&p->c->lock);
	FM_PATCH(p->log, p->c->bytes_stored, p->c->bytes_stored + 1);
	zs_unlock(&p->c->lock);
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
	unsigned long n = atomic_load(&p->pool->pages);
	struct zs_arena *a = p->pool->arena;
	struct arena_owner *o = &a->owners[p->pool->owner_id];

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
