// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt.c - op corrupt (white box, zs/zs_internal.h):
 * every inconsistency zs_pool_check names, planted, reported and undone.
 *
 * One kind per finding of zs/check.c, zs/span.c's walk and zs/gaps.c's
 * check (the table in zs_corrupt.h).  The op
 * plants one where the pool's state has room for it, requires
 * zs_pool_check to return -EUCLEAN with exactly one report, of that
 * finding's kind (captured through zs/report.h's hook), then undoes it:
 * the pool must check clean again with every statistic as before.  A
 * finding with two halves (the group a zspage records and the group its
 * units imply; a page described with another owner, zspage, index or
 * not movable; a slot leaked or claimed twice) gets a variant per half,
 * each planted so that only that half is wrong, so no half can stop
 * working unnoticed behind another.  The kinds past the pool's are
 * zs_arena_check's, planted in the pool's arena (zs_arena_corrupt.c).
 * zsf_pick_target, which finds an object to plant in (in a shared zspage,
 * or a huge one on its page of its own), also serves page_ops
 * (zs_page_ops.c).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zs_internal.h"
#include "zs/zsmalloc.h"

static const struct {
	const char *name;
	enum zs_finding want;
	bool (*plant)(struct zs_plant *p);
} planters[CK_KINDS] = {
#define ZSF_PLANTER_ROW_(kind, name, finding, plant) \
	[kind] = { name, finding, plant },
	ZSF_POOL_PLANTERS(ZSF_PLANTER_ROW_)
#undef ZSF_PLANTER_ROW_
};

/* A huge object of shard sh: the live slot idx whose size is huge and
 * whose place names sh (zs/huge.c); shard lock held, so neither its free
 * nor its page's move can change it meanwhile. */
static bool huge_of(struct zs_pool *pool, const struct zs_shard *sh,
		    uint32_t idx)
{
	uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);

	return zs_slot_live(w) && zs_slot_huge(w) &&
	       zs_huge_loc_shard(zs_slot_loc(w)) == sh->index;
}

/* The sel-th object of a shared zspage, found by walking its blocks as
 * compaction does; shard lock held. */
static void pick_object(struct zs_pool *pool, struct corrupt_target *t,
			uint16_t sel)
{
	struct zs_span_block b;
	unsigned unit, k;

	/* live objects only: a recycled block's slot is free (zs/recycle.c),
	 * and every listed zspage holds a live object */
	if (t->zsp->inuse <= t->zsp->recycled)
		fm_fail("corrupt: listed zspage %u holds no live object",
			t->zsp->id);
	k = (sel >> 9) % (t->zsp->inuse - t->zsp->recycled);
	for (unit = 0; unit < pool->zspage_units; unit += b.units) {
		zs_span_block_at(&t->sh->span, t->zsp->id, unit, &b);
		if (!b.units)
			fm_fail("corrupt: zspage %u has a bad block at unit %u",
				t->zsp->id, unit);
		if (!b.gap &&
		    zs_slot_live(
			    atomic_load(&zs_slot_at(pool, b.slot)->word)) &&
		    k-- == 0) {
			t->unit = unit;
			t->units = b.units;
			t->idx = b.slot;
			return;
		}
	}
	fm_fail("corrupt: zspage %u holds fewer live objects than its "
		"count %u",
		t->zsp->id, t->zsp->inuse - t->zsp->recycled);
}

/* The k-th huge object of sh into t, or the number of them (k past it);
 * shard lock held. */
static unsigned pick_huge(struct zs_pool *pool, struct zs_shard *sh, unsigned k,
			  struct corrupt_target *t)
{
	uint32_t nslots = atomic_load(&pool->ht_next), idx;
	unsigned n = 0;

	for (idx = 0; idx < nslots; idx++) {
		if (!huge_of(pool, sh, idx))
			continue;
		if (t && n == k) {
			t->g = ZS_NR_FULLNESS + 1;
			t->zsp = NULL;
			t->unit = 0;
			t->units = 0;
			t->idx = idx;
			t->ref = zs_slot_loc(
				atomic_load(&zs_slot_at(pool, idx)->word));
			t->page = zs_huge_bytes(pool, t->ref);
			if (!t->page)
				fm_fail("corrupt: huge object of slot %u names "
					"page %u, which is in no region",
					idx, zs_huge_loc_page(t->ref));
		}
		n++;
	}
	return n;
}

bool zsf_pick_target(struct zs_pool *pool, uint16_t sel, int want,
		     struct corrupt_target *t)
{
	unsigned i, g, n, nz, k;

	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *sh = &pool->shards[(sel + i) % ZS_NR_SHARDS];
		struct zspage *zsp;

		zs_lock(&sh->lock);
		/* shared zspages in group order, then huge objects in slot
		 * order */
		nz = 0;
		if (want != T_HUGE)
			for (g = 0; g < ZS_NR_FULLNESS; g++)
				for (zsp = sh->groups[g]; zsp;
				     zsp = zs_zsp_next(pool, zsp))
					nz++;
		n = nz + (want != T_SMALL ? pick_huge(pool, sh, 0, NULL) : 0);
		if (!n) {
			zs_unlock(&sh->lock);
			continue;
		}
		k = (sel >> 4) % n;
		memset(t, 0, sizeof(*t));
		t->sh = sh;
		if (k >= nz) {
			pick_huge(pool, sh, k - nz, t);
		} else {
			for (g = 0; g < ZS_NR_FULLNESS; g++)
				for (zsp = sh->groups[g]; zsp;
				     zsp = zs_zsp_next(pool, zsp))
					if (k-- == 0)
						goto found;
			fm_fail("corrupt: shard %u lost a zspage while locked",
				sh->index);
found:
			t->zsp = zsp;
			t->g = g;
			pick_object(pool, t, sel);
			t->ref = zs_span_ref(zsp->id, t->unit);
			if (!zs_slot_at(pool, t->idx))
				fm_fail("corrupt: object at unit %u of zspage "
					"%u names slot %u beyond the table",
					t->unit, zsp->id, t->idx);
		}
		t->slot = zs_slot_at(pool, t->idx);
		return true;
	}
	return false;
}

bool zsf_plant_pick(struct zs_plant *p, int want)
{
	if (!zsf_pick_target(p->pool, p->sel, want, &p->t))
		return false;
	p->locked = p->t.sh;
	return true;
}

/* The gaps of at least min_units in sh's shared zspages (with inner, only
 * those a block follows): counted, or the k-th found; shard lock held. */
static unsigned find_gaps(struct zs_pool *pool, struct zs_shard *sh,
			  unsigned min_units, bool inner, unsigned k,
			  struct zspage **zspp, unsigned *unit, unsigned *units)
{
	struct zs_span_block b;
	struct zspage *zsp;
	unsigned g, u, n = 0;

	for (g = 0; g < ZS_NR_FULLNESS; g++)
		for (zsp = sh->groups[g]; zsp; zsp = zs_zsp_next(pool, zsp))
			for (u = 0; u < pool->zspage_units; u += b.units) {
				zs_span_block_at(&sh->span, zsp->id, u, &b);
				if (!b.units)
					fm_fail("corrupt: zspage %u has a bad "
						"block at unit %u",
						zsp->id, u);
				if (!b.gap || b.units < min_units ||
				    (inner &&
				     u + b.units == pool->zspage_units))
					continue;
				if (zspp && n == k) {
					*zspp = zsp;
					*unit = u;
					*units = b.units;
				}
				n++;
			}
	return n;
}

static bool pick_gap(struct zs_plant *p, unsigned min_units, bool inner,
		     struct zspage **zsp, unsigned *unit, unsigned *units)
{
	unsigned i, n;

	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *sh =
			&p->pool->shards[(p->sel + i) % ZS_NR_SHARDS];

		zs_lock(&sh->lock);
		n = find_gaps(p->pool, sh, min_units, inner, 0, NULL, NULL,
			      NULL);
		if (!n) {
			zs_unlock(&sh->lock);
			continue;
		}
		find_gaps(p->pool, sh, min_units, inner, (p->sel >> 4) % n, zsp,
			  unit, units);
		p->locked = sh;
		p->t.sh = sh;
		return true;
	}
	return false;
}

bool zsf_plant_pick_gap(struct zs_plant *p, unsigned min_units,
			struct zspage **zsp, unsigned *unit, unsigned *units)
{
	return pick_gap(p, min_units, false, zsp, unit, units);
}

bool zsf_plant_pick_inner_gap(struct zs_plant *p, unsigned min_units,
			      struct zspage **zsp, unsigned *unit,
			      unsigned *units)
{
	return pick_gap(p, min_units, true, zsp, unit, units);
}

struct zs_gap_links *zsf_gap_links(struct zs_shard *sh, uint32_t ref)
{
	return sh->span.gaps.links(sh->span.gaps.ctx, ref);
}

void zsf_plant_save_index(struct zs_plant *p, struct zs_shard *sh)
{
	if (p->index_sh && p->index_sh != sh)
		fm_fail("corrupt: \"%s\" changes two shards' indexes",
			p->base.name);
	if (!p->index_sh) {
		memcpy(&p->index, &sh->span.gaps, sizeof(p->index));
		p->index_sh = sh;
	}
}

bool zsf_plant_log_links(struct zs_plant *p, uint32_t ref)
{
	if (ref == ZS_GAP_NONE)
		return true;
	if (!p->index_sh)
		fm_fail("corrupt: \"%s\" logs links before saving the index",
			p->base.name);
	if (p->nlinks == ZSF_LINKS_MAX)
		return false;
	p->links[p->nlinks].at = zsf_gap_links(p->index_sh, ref);
	memcpy(&p->links[p->nlinks].old, p->links[p->nlinks].at,
	       sizeof(p->links[0].old));
	p->nlinks++;
	return true;
}

/* Puts back the links and the index a planting changed, newest first. */
static void restore_index(struct zs_plant *p)
{
	if (!p->index_sh)
		return;
	zs_lock(&p->index_sh->lock);
	while (p->nlinks) {
		p->nlinks--;
		memcpy(p->links[p->nlinks].at, &p->links[p->nlinks].old,
		       sizeof(p->links[0].old));
	}
	memcpy(&p->index_sh->span.gaps, &p->index, sizeof(p->index));
	zs_unlock(&p->index_sh->lock);
	p->index_sh = NULL;
}

void zsf_plant_set_page_owner(struct zs_plant *p, void *page, uint32_t cookie,
			      uint32_t old_cookie)
{
	if (p->owner_page)
		fm_fail("corrupt: \"%s\" redescribes two pages", p->base.name);
	p->owner_page = page;
	p->owner_cookie = old_cookie;
	zs_arena_set_page_owner(p->pool->arena, page, cookie, 0, 1);
}

/* Gives back the description a planting changed through the arena. */
static void restore_owner(struct zs_plant *p)
{
	if (!p->owner_page)
		return;
	zs_arena_set_page_owner(p->pool->arena, p->owner_page, p->owner_cookie,
				0, 1);
	p->owner_page = NULL;
}

/* The kinds there were before the record table's arena kinds: a kind
 * byte below this, or wrapping round at it, means what it always did. */
#define KINDS_V2 (ZSF_POOL_KINDS_V2 + ZSF_ARENA_KINDS_V1)
/* The bytes from KINDS_V2 on: the arena's later kinds, then the pool rows
 * from ZSF_POOL_KINDS_V2 on (zs_corrupt.h). */
#define LATER_ARENA_KINDS (ZSF_ARENA_KINDS - ZSF_ARENA_KINDS_V1)
#define LATER_POOL_KINDS (CK_KINDS - ZSF_POOL_KINDS_V2)

_Static_assert(KINDS_V2 + LATER_ARENA_KINDS + LATER_POOL_KINDS <= 256,
	       "every kind has a kind byte");
_Static_assert(ZSF_POOL_KINDS_V2 <= CK_KINDS, "no row numbered twice");

static int check_pool(void *pool)
{
	return zs_pool_check(pool);
}

/* Kind bytes past the pool's: zs_arena_check's findings, planted in the
 * pool's arena and undone; the pool's own check must not notice. */
static void corrupt_arena(struct zs_fuzz *f, unsigned kind, uint16_t sel,
			  const struct zs_pool_stats *before)
{
	char when[160];

	if (!zsf_arena_corrupt(f->pool->arena, kind, sel))
		return;
	snprintf(when, sizeof(when),
		 "of the pool after undoing arena corruption \"%s\"",
		 zsf_arena_corrupt_name(kind));
	fm_expect_check_clean(check_pool, f->pool, when);
	zsf_expect_unchanged(f, before, "an arena corruption undone", true);
}

/*
 * Plants one corruption of the kinds zs_pool_check names, checks that the
 * checker reports exactly its finding, once, and returns -EUCLEAN, then
 * undoes it: the pool must check clean again with every statistic as
 * before.  Kinds the pool's state has no room for are skipped.
 */
void zsf_op_corrupt(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_stats before;
	struct fm_capture cap;
	struct zs_plant p;
	unsigned kind;
	uint16_t sel;
	bool planted;
	uint8_t k;
	int ret;

	if (!fc_u8(c, &k) || !fc_u16(c, &sel))
		return;
	zsf_get_stats(f, &before);
	/* The arena kinds added after ZSF_ARENA_KINDS_V1 take the bytes just
	 * past every older kind, and the pool rows added after
	 * ZSF_POOL_KINDS_V2 the bytes after those; only those few bytes,
	 * which used to wrap round to the first pool kinds, changed meaning,
	 * and every other byte still wraps as it did. */
	if (k >= KINDS_V2 && k < KINDS_V2 + LATER_ARENA_KINDS) {
		corrupt_arena(f, ZSF_ARENA_KINDS_V1 + (k - KINDS_V2), sel,
			      &before);
		return;
	}
	if (k >= KINDS_V2 + LATER_ARENA_KINDS &&
	    k < KINDS_V2 + LATER_ARENA_KINDS + LATER_POOL_KINDS) {
		kind = ZSF_POOL_KINDS_V2 + (k - KINDS_V2 - LATER_ARENA_KINDS);
	} else {
		kind = k % KINDS_V2;
		if (kind >= ZSF_POOL_KINDS_V1 &&
		    kind < ZSF_POOL_KINDS_V1 + ZSF_ARENA_KINDS_V1) {
			corrupt_arena(f, kind - ZSF_POOL_KINDS_V1, sel,
				      &before);
			return;
		}
		if (kind >= ZSF_POOL_KINDS_V1)
			kind -= ZSF_ARENA_KINDS_V1;
	}
	memset(&p, 0, sizeof(p));
	p.base.name = planters[kind].name;
	p.base.want = planters[kind].want;
	p.base.check = check_pool;
	p.base.subject = f->pool;
	p.log = &p.base.log;
	p.f = f;
	p.pool = f->pool;
	p.sel = sel;
	p.sh = &f->pool->shards[sel % ZS_NR_SHARDS];
	planted = planters[kind].plant(&p);
	if (p.locked)
		zs_unlock(&p.locked->lock);
	if (!planted) {
		if (p.log->n || p.index_sh || p.owner_page)
			fm_fail("corruption \"%s\" not planted but written",
				p.base.name);
		fm_trace("  corrupt %s: no place for it\n", p.base.name);
		return;
	}
	ret = fm_plant_check(&p.base, &cap);
	/* Undone before judging, so a failure leaves a sane pool behind. */
	fm_unpatch(p.log);
	restore_index(&p);
	restore_owner(&p);
	fm_plant_expect_found(&p.base, ret, &cap);
	fm_plant_expect_undone(&p.base);
	zsf_expect_unchanged(f, &before, "a corruption undone", true);
}
