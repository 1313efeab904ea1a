// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_corrupt.c - op corrupt (white box,
 * zs/zbud_internal.h): one corruption per zbud_pool_check finding, planted
 * under the pool lock, judged by the kind of the one report it causes, and
 * undone.
 *
 * Each kind applies its corruption where the pool's state offers a target
 * (29 kinds, the table in zbud_corrupt.h); zbud_pool_check must return
 * -EUCLEAN with exactly one report, of that kind's finding (captured
 * through zs_set_report_hook).  Every byte written is logged and restored,
 * after which the pool's bookkeeping must be byte for byte as before and
 * check clean, and the arena too.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_corrupt.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h"

static const struct {
	const char *name;
	enum zs_finding want;
	bool (*plant)(struct zb_plant *p);
} planters[CK_KINDS] = {
#define ZBF_PLANTER_ROW_(kind, name, finding, plant) \
	[kind] = { name, finding, plant },
	ZBF_PLANTERS(ZBF_PLANTER_ROW_)
#undef ZBF_PLANTER_ROW_
};

static bool pick_fits(const struct zbud_page *d, enum zb_page_pick which)
{
	return which == ANY_PAGE || !d->chunks[FIRST] || !d->chunks[LAST];
}

struct zbud_page *zbf_pick_desc(struct zbud_pool *pool, unsigned sel,
				enum zb_page_pick which)
{
	uint32_t i, n = 0;

	for (i = 0; i < pool->desc_hw; i++)
		if (pool->descs[i] && pick_fits(pool->descs[i], which))
			n++;
	if (!n)
		return NULL;
	sel %= n;
	for (i = 0; i < pool->desc_hw; i++)
		if (pool->descs[i] && pick_fits(pool->descs[i], which) &&
		    sel-- == 0)
			break;
	return pool->descs[i];
}

/* A live buddy of d chosen by sel. */
static int pick_bud(const struct zbud_page *d, unsigned sel)
{
	if (!d->chunks[FIRST])
		return LAST;
	if (!d->chunks[LAST])
		return FIRST;
	return (int)(sel & 1);
}

/* Every byte of the pool's bookkeeping, so a restored corruption can be
 * proven undone; the lock, the check stamp and the visit marks are left
 * out (zbud_pool_check moves the last two).  Lock held. */
static uint8_t *snapshot(struct zbud_pool *pool, size_t *len)
{
	size_t n = sizeof(*pool) +
		   pool->desc_hw * (sizeof(void *) + sizeof(struct zbud_page)) +
		   pool->slot_hw * sizeof(struct slot) +
		   pool->ndesc_free * sizeof(uint32_t);
	uint8_t *b = calloc(1, n), *p = b;
	struct zbud_pool *cp = (struct zbud_pool *)p;
	uint32_t i;

	if (!b)
		fm_fail("out of memory for a pool snapshot");
	memcpy(p, pool, sizeof(*pool));
	memset(&cp->lock, 0, sizeof(cp->lock));
	cp->check_stamp = 0;
	p += sizeof(*pool);
	for (i = 0; i < pool->desc_hw; i++) {
		struct zbud_page *d = pool->descs[i];

		memcpy(p, &d, sizeof(d));
		p += sizeof(d);
		if (d) {
			memcpy(p, d, sizeof(*d));
			((struct zbud_page *)p)->mark = 0;
		}
		p += sizeof(*d);
	}
	/* A pool that never allocated has no tables yet. */
	if (pool->slot_hw)
		memcpy(p, pool->slots, pool->slot_hw * sizeof(struct slot));
	p += pool->slot_hw * sizeof(struct slot);
	if (pool->ndesc_free)
		memcpy(p, pool->desc_free, pool->ndesc_free * sizeof(uint32_t));
	*len = n;
	return b;
}

static int check_zbud(void *pool)
{
	return zbud_pool_check(pool);
}

/* Plants kind `kind` under the pool lock; false when there is no place
 * for it.  *before receives the pool's bookkeeping as it was. */
static bool plant(struct zb_plant *p, unsigned kind, uint16_t arg,
		  uint8_t **before, size_t *nb)
{
	struct zbud_pool *pool = p->pool;
	bool planted;

	p->base.name = planters[kind].name;
	p->base.want = planters[kind].want;
	p->base.check = check_zbud;
	p->base.subject = pool;
	p->log = &p->base.log;
	p->arg = arg;
	p->v = (arg >> 2) & 3;
	pthread_mutex_lock(&pool->lock);
	*before = snapshot(pool, nb);
	p->d = zbf_pick_desc(pool, arg >> 4, ANY_PAGE);
	p->bud = p->d ? pick_bud(p->d, arg) : FIRST;
	if (p->d && p->d->chunks[p->bud])
		p->s = &pool->slots[p->d->slot[p->bud]];
	planted = planters[kind].plant(p);
	pthread_mutex_unlock(&pool->lock);
	return planted;
}

/*
 * One corruption of the kind chosen (if the pool offers a target), under
 * the pool lock as any writer of it would: zbud_pool_check must return
 * -EUCLEAN with exactly one report, of that kind's finding.  Undone, the
 * pool must be byte for byte what it was and check clean.
 */
void zbf_op_corrupt(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct zbud_pool *pool = f->pool;
	struct fm_capture cap;
	struct zb_plant p;
	uint8_t *before, *after;
	size_t nb, na;
	uint8_t kind;
	uint16_t arg;
	int ret;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	/* the low 5 bits pick a kind; values past the last are no-ops */
	kind &= 31;
	if (kind >= CK_KINDS)
		return;
	memset(&p, 0, sizeof(p));
	p.pool = pool;
	if (!plant(&p, kind, arg, &before, &nb)) {
		if (p.log->n)
			fm_fail("corruption \"%s\" not planted but written",
				p.base.name);
		fm_trace("  corrupt %s: no target\n", p.base.name);
		free(before);
		return;
	}
	ret = fm_plant_check(&p.base, &cap);
	/* Undone before judging, so a failure leaves a sane pool behind. */
	pthread_mutex_lock(&pool->lock);
	fm_unpatch(p.log);
	after = snapshot(pool, &na);
	pthread_mutex_unlock(&pool->lock);
	fm_plant_expect_found(&p.base, ret, &cap);
	fm_plant_expect_undone(&p.base);
	if (na != nb || memcmp(before, after, nb))
		fm_fail("corruption \"%s\" undone: the pool's bookkeeping "
			"differs from before",
			p.base.name);
	free(before);
	free(after);
	zbf_full_check(f, "after a corruption was undone");
	f->verify_pending = true;
}
