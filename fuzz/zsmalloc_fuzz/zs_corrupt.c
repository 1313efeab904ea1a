// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt.c - op corrupt (white box, zs/zs_internal.h):
 * every inconsistency zs_pool_check names, planted, reported and undone.
 *
 * One kind per finding of zs/check.c (the table in zs_corrupt.h).  The op
 * plants one where the pool's state has room for it, requires
 * zs_pool_check to return -EUCLEAN with exactly one report, of that
 * finding's kind (captured through zs/report.h's hook), then undoes it:
 * the pool must check clean again with every statistic as before.  A
 * finding with two halves (the group a zspage records and the group its
 * count implies; a page described with another owner, zspage, index or
 * not movable; a slot leaked or claimed twice) gets a variant per half,
 * each planted so that only that half is wrong, so no half can stop
 * working unnoticed behind another.  The kinds past the pool's are
 * zs_arena_check's, planted in the pool's arena (zs_arena_corrupt.c).
 * zsf_pick_target, which finds a zspage and an object to plant in, also
 * serves page_ops (zs_page_ops.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
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

static bool target_fits(const struct size_class *c, const struct zspage *zsp,
			int want)
{
	switch (want) {
	case T_SMALL:
		return !c->huge;
	case T_HUGE:
		return c->huge;
	case T_SMALL_FREELIST:
		return !c->huge && zsp->free_head != ZS_NO_OBJ;
	default:
		return true;
	}
}

/* The sel-th allocated object of a non-huge zspage. */
static uint32_t pick_object(const struct size_class *c,
			    const struct zspage *zsp, uint16_t sel,
			    uint32_t *hdr)
{
	uint32_t obj, live = 0, k;

	for (obj = 0; obj < zsp->fresh; obj++)
		live += zs_obj_header(c, zsp, obj) & ZS_OBJ_ALLOCATED;
	if (!live)
		fm_fail("corrupt: listed zspage %u holds no object", zsp->id);
	k = (sel >> 9) % live;
	for (obj = 0;; obj++) {
		*hdr = zs_obj_header(c, zsp, obj);
		if ((*hdr & ZS_OBJ_ALLOCATED) && k-- == 0)
			return obj;
	}
}

bool zsf_pick_target(struct zs_pool *pool, uint16_t sel, int want,
		     struct corrupt_target *t)
{
	unsigned i, g, n, k, nr = pool->nr_classes;
	uint32_t hdr;

	for (i = 0; i < nr; i++) {
		struct size_class *c = &pool->classes[(sel + i) % nr];
		struct zspage *zsp;

		zs_lock(&c->lock);
		for (n = 0, g = 0; g < ZS_NR_FULLNESS; g++)
			for (zsp = c->groups[g]; zsp; zsp = zsp->next)
				n += target_fits(c, zsp, want);
		if (!n) {
			zs_unlock(&c->lock);
			continue;
		}
		k = (sel >> 4) % n;
		for (g = 0; g < ZS_NR_FULLNESS; g++)
			for (zsp = c->groups[g]; zsp; zsp = zsp->next)
				if (target_fits(c, zsp, want) && k-- == 0)
					goto found;
		fm_fail("corrupt: class %u lost a zspage while locked",
			c->size);
found:
		t->c = c;
		t->zsp = zsp;
		t->g = g;
		if (c->huge) {
			t->obj = 0;
			t->idx = zsp->huge_slot;
		} else {
			t->obj = pick_object(c, zsp, sel, &hdr);
			t->idx = hdr >> 1;
		}
		t->slot = zs_slot_at(pool, t->idx);
		if (!t->slot)
			fm_fail("corrupt: object %u of zspage %u names slot %u "
				"beyond the table",
				t->obj, zsp->id, t->idx);
		return true;
	}
	return false;
}

bool zsf_plant_pick(struct zs_plant *p, int want)
{
	if (!zsf_pick_target(p->pool, p->sel, want, &p->t))
		return false;
	p->locked = p->t.c;
	return true;
}

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
	kind = k % (CK_KINDS + ZSF_ARENA_KINDS);
	zsf_get_stats(f, &before);
	if (kind >= CK_KINDS) {
		corrupt_arena(f, kind - CK_KINDS, sel, &before);
		return;
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
	p.c = &f->pool->classes[sel % f->pool->nr_classes];
	planted = planters[kind].plant(&p);
	if (p.locked)
		zs_unlock(&p.locked->lock);
	if (!planted) {
		if (p.log->n)
			fm_fail("corruption \"%s\" not planted but written",
				p.base.name);
		fm_trace("  corrupt %s: no place for it\n", p.base.name);
		return;
	}
	ret = fm_plant_check(&p.base, &cap);
	/* Undone before judging, so a failure leaves a sane pool behind. */
	fm_unpatch(p.log);
	fm_plant_expect_found(&p.base, ret, &cap);
	fm_plant_expect_undone(&p.base);
	zsf_expect_unchanged(f, &before, "a corruption undone", true);
}
