// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_zspages.c - op corrupt's planters for one
 * zspage: its own fields, its objects and their handle slots, and its run
 * of pages as the arena describes it (fuzz/zsmalloc_fuzz/zs_corrupt.h).
 *
 * Each picks a listed zspage and an object of it (zsf_plant_pick, shard
 * lock held) and breaks one thing about them, which is each time what a
 * stray write, a lost update or a migration gone wrong would leave.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "zs/arena_internal.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

bool zsf_plant_not_live(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	fm_patch_atomic8(p->log, &p->t.zsp->state, ZSPAGE_FREE);
	return true;
}

/* The zspage names another shard than the one whose lists hold it, or
 * (variant 3) no shard at all. */
bool zsf_plant_shard(struct zs_plant *p)
{
	unsigned v = (p->sel >> 12) & 3;
	uint32_t s;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	s = v == 3 ? ZS_NR_SHARDS + (p->sel >> 14) :
		     (p->t.sh->index + 1 + v) % ZS_NR_SHARDS;
	fm_patch_atomic8(p->log, &p->t.zsp->shard, (uint8_t)s);
	return true;
}

/* Only the recorded group changed: the list and the units still agree, so
 * only the first half of the group test can see it. */
bool zsf_plant_fullness(struct zs_plant *p)
{
	unsigned g;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	g = (p->t.g + 1 + (p->sel >> 12) % (ZS_NR_FULLNESS - 1)) %
	    ZS_NR_FULLNESS;
	FM_PATCH(p->log, p->t.zsp->fullness, (uint8_t)g);
	return true;
}

/* An emptied zspage (no object, no unit used) left in the empty group's
 * list instead of freed. */
bool zsf_plant_empty_kept(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	if (t->sh->groups[ZS_FULLNESS_EMPTY])
		fm_fail("corrupt: shard %u lists a zspage in the empty group",
			t->sh->index);
	FM_PATCH(p->log, t->sh->groups[ZS_FULLNESS_EMPTY], t->zsp);
	FM_PATCH(p->log, t->zsp->prev, ZS_ZSP_NONE);
	FM_PATCH(p->log, t->zsp->inuse, 0);
	FM_PATCH(p->log, t->zsp->used_units, 0);
	FM_PATCH(p->log, t->zsp->fullness, ZS_FULLNESS_EMPTY);
	return true;
}

/* A shard's count of huge objects one more or (when it has any) one less
 * than the huge objects whose places name it. */
bool zsf_plant_huge_count(struct zs_plant *p)
{
	unsigned long n;

	zs_lock(&p->sh->lock);
	n = atomic_load(&p->sh->huge_count);
	fm_patch_atomic_ulong(p->log, &p->sh->huge_count,
			      (p->sel & 0x100) && n ? n - 1 : n + 1);
	zs_unlock(&p->sh->lock);
	return true;
}

/* The tag of the picked object of a shared zspage. */
static void *tag_at(const struct corrupt_target *t)
{
	return zs_obj_bytes(t->zsp, t->ref) - ZS_SPAN_TAG_BYTES;
}

/* The object's tag made to name slot idx (its prev_gap bit kept). */
static void retag(struct zs_plant *p, uint32_t idx)
{
	void *tag = tag_at(&p->t);

	fm_patch_raw32(p->log, tag, idx << 2 | (zs_raw_load32(tag) & 2u));
}

/* An object's tag naming a slot past the handle table. */
bool zsf_plant_slot_beyond(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	retag(p, atomic_load(&p->pool->ht_next) + (p->sel >> 10));
	return true;
}

/* An object's tag naming a slot that is not live: one on a free list or
 * in a fresh batch (the first one from sel on), or (when there is none,
 * or variant bit 15) its own slot marked free under it. */
bool zsf_plant_slot_free(struct zs_plant *p)
{
	uint32_t i, n = atomic_load(&p->pool->ht_next);

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	for (i = 0; !(p->sel & 0x8000) && i < n; i++) {
		uint32_t idx = (p->sel + i) % n;

		if (!zs_slot_live(
			    atomic_load(&zs_slot_at(p->pool, idx)->word))) {
			retag(p, idx);
			return true;
		}
	}
	/* what a half-done free leaves: a free slot's word (no size), the
	 * place and generation not yet changed */
	fm_patch_atomic64(
		p->log, &p->t.slot->word,
		zs_slot_word_free(zs_slot_loc(atomic_load(&p->t.slot->word)),
				  zs_slot_gen(atomic_load(&p->t.slot->word))));
	return true;
}

/* A live object's slot pointing elsewhere: another unit of its zspage,
 * another zspage, a zspage past any the pool made, or 8 units on. */
bool zsf_plant_loc(struct zs_plant *p)
{
	static const uint32_t flip[4] = { 1u, 1u << ZS_SPAN_UNIT_BITS, 1u << 31,
					  8u };
	uint64_t w;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	w = atomic_load(&p->t.slot->word);
	fm_patch_atomic64(p->log, &p->t.slot->word,
			  zs_slot_with_loc(w, zs_slot_loc(w) ^
						      flip[p->sel >> 14]));
	return true;
}

/* The slot of a live huge object other than t's (any shard), picked by
 * sel; UINT32_MAX when there is none.  Reads slot words only: a huge
 * object of another shard may be freed meanwhile, which changes nothing
 * here but which page is named. */
static uint32_t other_huge(struct zs_pool *pool, const struct corrupt_target *t,
			   unsigned sel)
{
	uint32_t nslots = atomic_load(&pool->ht_next), i;

	for (i = 0; i < nslots; i++) {
		uint32_t idx = (sel + i) % nslots;
		uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);

		if (idx != t->idx && zs_slot_live(w) && zs_slot_huge(w))
			return idx;
	}
	return UINT32_MAX;
}

/* A page number naming no allocated page: a free page of a region (by
 * sel), or past every region the arena can have. */
static uint32_t unallocated_page(struct zs_arena *a, unsigned sel)
{
	uint32_t number =
		(uint32_t)ARENA_MAX_REGIONS * ARENA_REGION_PAGES + (sel & 0xff);
	unsigned k;
	int i;

	pthread_mutex_lock(&a->lock);
	i = fm_arena_pick_page(a, sel, true, &k);
	if (i >= 0 && (sel & 0x100))
		number = (uint32_t)fm_arena_region(a, k)->slot *
				 ARENA_REGION_PAGES +
			 (uint32_t)i;
	pthread_mutex_unlock(&a->lock);
	return number;
}

/*
 * A huge object's page is not its own, as its place and the page's arena
 * record tell: its place (shard bits kept) naming another huge object's
 * page, a shared zspage's first page, or a page number no allocated page
 * has (a free page, or past every region); or its page's record naming
 * another slot (redescribed through the arena, as a bad migration would),
 * or lying about the owner, the index or movability.
 */
bool zsf_plant_huge_slot(struct zs_plant *p)
{
	static const unsigned misdescribe[4] = { 0, 2, 6, 3 };
	struct corrupt_target *t = &p->t;
	unsigned v = p->sel >> 14;
	uint32_t number = UINT32_MAX, other;
	uint64_t m;

	if (!zsf_plant_pick(p, T_HUGE))
		return false;
	m = atomic_load(&t->slot->word);
	other = other_huge(p->pool, t, p->sel >> 4);
	if (v == 0 && !(p->sel & 0x100) && other != UINT32_MAX) {
		number = zs_huge_loc_page(zs_slot_loc(
			atomic_load(&zs_slot_at(p->pool, other)->word)));
	} else if (v == 0) {
		/* the first page of a shared zspage of t's shard, if any */
		unsigned g;

		for (g = 0; g < ZS_NR_FULLNESS && number == UINT32_MAX; g++)
			if (t->sh->groups[g] &&
			    zs_arena_page_number(
				    p->pool->arena,
				    atomic_load(&t->sh->groups[g]->base),
				    &number))
				fm_fail("corrupt: zspage %u's run has no page "
					"number",
					t->sh->groups[g]->id);
	}
	if (v <= 1 && number == UINT32_MAX)
		number = unallocated_page(p->pool->arena, p->sel);
	if (v <= 1) {
		fm_patch_atomic64(
			p->log, &t->slot->word,
			zs_slot_with_loc(
				m, zs_huge_loc(number,
					       zs_huge_loc_shard(t->ref))));
	} else if (v == 2) {
		if (other == UINT32_MAX)
			other = t->idx ^ (1u + (p->sel & 0xf));
		zsf_plant_set_page_owner(p, t->page, zs_huge_cookie(other),
					 zs_huge_cookie(t->idx));
	} else {
		fm_arena_misdescribe(p->log, p->pool->arena, t->page,
				     misdescribe[(p->sel >> 8) & 3],
				     p->sel & 0xf);
	}
	return true;
}

bool zsf_plant_moving(struct zs_plant *p)
{
	if (!zsf_plant_pick(p, T_ANY))
		return false;
	fm_patch_atomic64(p->log, &p->t.slot->word,
			  zs_slot_with_state(atomic_load(&p->t.slot->word),
					     ZS_SLOT_MOVING));
	return true;
}

/* A shared zspage's counts off what its blocks hold: an object more or
 * less, or a unit more or less within the same fullness group (a
 * different group would be the group findings, checked first). */
bool zsf_plant_counts(struct zs_plant *p)
{
	struct zspage *zsp;
	unsigned v = p->sel >> 14;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	zsp = p->t.zsp;
	if (v == 1 && zsp->inuse >= 2) {
		FM_PATCH(p->log, zsp->inuse, zsp->inuse - 1);
	} else if (v >= 2 &&
		   zs_fullness_of(p->pool, zsp->used_units + 1) == p->t.g) {
		FM_PATCH(p->log, zsp->used_units, zsp->used_units + 1);
	} else if (v >= 2 && zsp->used_units > 1 &&
		   zs_fullness_of(p->pool, zsp->used_units - 1) == p->t.g) {
		FM_PATCH(p->log, zsp->used_units, zsp->used_units - 1);
	} else {
		FM_PATCH(p->log, zsp->inuse, zsp->inuse + 1);
	}
	return true;
}

/* The pages zsp's blocks reach: every block whole but a gap ending the
 * zspage, of which only the head (tag and links, 2 units) is written. */
static unsigned reached_pages(struct zs_plant *p, const struct zspage *zsp)
{
	unsigned zunits = p->pool->zspage_units, u, reach = 0;
	struct zs_span_block b;

	for (u = 0; u < zunits; u += b.units) {
		zs_span_block_at(&p->t.sh->span, zsp->id, u, &b);
		if (!b.units)
			fm_fail("corrupt: zspage %u has a bad block at unit %u",
				zsp->id, u);
		reach = u + (b.gap && u + b.units == zunits && b.units > 2 ?
				     2 :
				     b.units);
	}
	return (reach + ZS_PAGE_UNITS - 1) / ZS_PAGE_UNITS;
}

/* A shared zspage's count of its pages in use wrong: none, more than its
 * run, or (variants 2 and 3, when its blocks reach past its first page)
 * fewer than its blocks reach.  The shard's and the pool's sums disagree
 * too, but the zspage is checked before them. */
bool zsf_plant_zspage_pages(struct zs_plant *p)
{
	unsigned v = p->sel >> 14, reach, pages;
	struct zspage *zsp;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	zsp = p->t.zsp;
	reach = reached_pages(p, zsp);
	if (v >= 2 && reach > 1)
		pages = reach - 1 - (p->sel >> 4) % (reach - 1);
	else if (v == 1)
		pages = p->pool->chain_size + 1 + (p->sel >> 4) % 64;
	else
		pages = 0;
	FM_PATCH(p->log, zsp->pages, (uint8_t)pages);
	return true;
}

/* The zspage's base pointing at no allocated arena page: nowhere,
 * outside every region, into the middle of a page, or at a page the arena
 * has free (a run freed behind the zspage's back). */
bool zsf_plant_page_not_arena(struct zs_plant *p)
{
	struct corrupt_target *t = &p->t;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	fm_patch_atomic_ptr(p->log, &t->zsp->base,
			    fm_arena_stray_page(p->pool->arena,
						atomic_load(&t->zsp->base),
						p->sel >> 14, p->sel));
	return true;
}

/* Another shared zspage of t's shard, or NULL. */
static struct zspage *other_zspage(struct zs_pool *pool,
				   const struct corrupt_target *t)
{
	struct zspage *zsp;
	unsigned g;

	for (g = 0; g < ZS_NR_FULLNESS; g++)
		for (zsp = t->sh->groups[g]; zsp; zsp = zs_zsp_next(pool, zsp))
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

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	ppz = p->pool->chain_size;
	base = atomic_load(&t->zsp->base);
	if (v == 4 && ppz < 2)
		v = 2;
	if (v == 5)
		other = other_zspage(p->pool, t);
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
