// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_zspages.c - op corrupt's planters for one
 * zspage: its own fields, its objects and their handle slots, and its run
 * of pages as the arena describes it (fuzz/zsmalloc_fuzz/zs_corrupt.h).
 *
 * Each picks a listed zspage and an allocated object of it (zsf_plant_pick,
 * class lock held) and breaks one thing about them, which is each time
 * what a stray write, a lost update or a migration gone wrong would leave.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "zs/zs_internal.h"

bool zsf_plant_not_live(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fm_patch_atomic32(p->log, &p->t.zsp->state, ZSPAGE_FREE);
	return true;
}

bool zsf_plant_class_index(struct zs_plant *p)
{
	unsigned nr = p->pool->nr_classes;
	uint32_t v;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	v = (p->t.c->index + 1 + (p->sel >> 12)) % nr;
	if (v == p->t.c->index)
		v = (v + 1) % nr;
	fm_patch_atomic32(p->log, &p->t.zsp->class_idx, v);
	return true;
}

/* Only the recorded group changed: the list and the count still agree, so
 * only the first half of the group test can see it. */
bool zsf_plant_fullness(struct zs_plant *p)
{
	unsigned g;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	g = (p->t.g + 1 + (p->sel >> 12) % (ZS_NR_FULLNESS - 1)) %
	    ZS_NR_FULLNESS;
	FM_PATCH(p->log, p->t.zsp->fullness, (uint8_t)g);
	return true;
}

/* An emptied zspage left in the empty group's list. */
bool zsf_plant_empty_kept(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_ANY) || t->c->groups[ZS_FULLNESS_EMPTY])
		return false;
	FM_PATCH(p->log, t->c->groups[ZS_FULLNESS_EMPTY], t->zsp);
	FM_PATCH(p->log, t->zsp->prev, NULL);
	FM_PATCH(p->log, t->zsp->inuse, 0);
	FM_PATCH(p->log, t->zsp->fullness, ZS_FULLNESS_EMPTY);
	return true;
}

bool zsf_plant_fresh(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	FM_PATCH(p->log, p->t.zsp->fresh,
		 p->t.c->objs_per_zspage + 1 + (p->sel >> 13));
	return true;
}

/* The header word of slot `obj`: the zspage is one contiguous run. */
static void *obj_header_at(const struct size_class *c, const struct zspage *zsp,
			   uint32_t obj)
{
	return atomic_load(&zsp->base) + (size_t)obj * c->size;
}

bool zsf_plant_slot_beyond(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;
	uint32_t idx;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	idx = atomic_load(&p->pool->ht_next) + (p->sel >> 10);
	if (t->c->huge)
		FM_PATCH(p->log, t->zsp->huge_slot, idx);
	else
		fm_patch_raw32(p->log, obj_header_at(t->c, t->zsp, t->obj),
			       (idx << 1) | ZS_OBJ_ALLOCATED);
	return true;
}

bool zsf_plant_slot_free(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fm_patch_atomic64(p->log, &p->t.slot->meta,
			  atomic_load(&p->t.slot->meta) & ~ZS_META_LIVE);
	return true;
}

bool zsf_plant_loc(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fm_patch_atomic64(p->log, &p->t.slot->loc,
			  atomic_load(&p->t.slot->loc) ^
				  (p->sel & 0x8000 ? 1ull << 32 : 1ull));
	return true;
}

bool zsf_plant_size_class(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;
	size_t size;
	uint64_t m;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	size = t->c->huge ? 1u + (p->sel >> 12) : ZS_PAGE_SIZE;
	if (zs_class_for_size(p->pool, size) == t->c)
		return false;
	m = atomic_load(&t->slot->meta) &
	    ~(ZS_META_SIZE_MASK << ZS_META_SIZE_SHIFT);
	fm_patch_atomic64(p->log, &t->slot->meta,
			  m | ((uint64_t)size << ZS_META_SIZE_SHIFT));
	return true;
}

bool zsf_plant_moving(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fm_patch_atomic64(p->log, &p->t.slot->meta,
			  atomic_load(&p->t.slot->meta) | ZS_META_MOVING);
	return true;
}

bool zsf_plant_free_broken(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	FM_PATCH(p->log, p->t.zsp->free_head, p->t.zsp->fresh);
	return true;
}

bool zsf_plant_free_allocated(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	FM_PATCH(p->log, p->t.zsp->free_head, p->t.obj);
	return true;
}

/* The huge object marked free, or a free list dropped: the zspage's count
 * no longer adds up. */
bool zsf_plant_counts(struct zs_plant *p)
{
	int first = p->sel & 0x100 ? T_HUGE : T_SMALL_FREELIST;
	int second = p->sel & 0x100 ? T_SMALL_FREELIST : T_HUGE;

	if (!zsf_plant_pick(p, first) && !zsf_plant_pick(p, second))
		return false;
	FM_PATCH(p->log, p->t.zsp->free_head,
		 p->t.c->huge ? 0u : (uint32_t)ZS_NO_OBJ);
	return true;
}

/* The zspage's base pointing at no allocated arena page: nowhere,
 * outside every region, into the middle of a page, or at a page the arena
 * has free (a run freed behind the zspage's back). */
bool zsf_plant_page_not_arena(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fm_patch_atomic_ptr(p->log, &t->zsp->base,
			    fm_arena_stray_page(p->pool->arena,
						atomic_load(&t->zsp->base),
						p->sel >> 14, p->sel));
	return true;
}

/* Another zspage of t's class, or NULL. */
static struct zspage *other_zspage(const struct corrupt_target *t)
{
	struct zspage *zsp;
	unsigned g;

	for (g = 0; g < ZS_NR_FULLNESS; g++)
		for (zsp = t->c->groups[g]; zsp; zsp = zsp->next)
			if (zsp != t->zsp)
				return zsp;
	return NULL;
}

/*
 * The arena's descriptor of the run's first page with one field wrong
 * (owner, zspage, index, movable; or no owner at all), or the base itself
 * wrong (inside its own run, another zspage's run): each is what some
 * migration bug leaves behind.
 */
bool zsf_plant_page_desc(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;
	struct zspage *other = NULL;
	unsigned v = (p->sel >> 13) & 7, ppz;
	char *base;

	if (!zsf_plant_pick(p, T_ANY))
		return false;
	ppz = t->c->pages_per_zspage;
	base = atomic_load(&t->zsp->base);
	if (v == 4 && ppz < 2)
		v = 2;
	if (v == 5)
		other = other_zspage(t);
	if (v == 5 && !other)
		v = 1;
	if (v == 4)
		fm_patch_atomic_ptr(p->log, &t->zsp->base,
				    base + (1 + (p->sel & 0xf) % (ppz - 1u)) *
						    ZS_PAGE_SIZE);
	else if (v == 5)
		fm_patch_atomic_ptr(p->log, &t->zsp->base,
				    atomic_load(&other->base));
	else
		fm_arena_misdescribe(p->log, p->pool->arena, base, v,
				     p->sel & (v == 1 ? 31 : 0xf));
	return true;
}
