// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_fatal.c - op fatal: a zbud death test in a forked
 * child (fuzz/common/fuzz_death.h).
 *
 * zbud never continues past corruption it detects: it reports the finding,
 * then the abort, and aborts.  In a forked child, the slot of a mapped
 * object loses its map count (as a stray write would), and zbud_unmap must
 * report it and abort; the parent's pool is untouched.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/zbud_fuzz/zbud_fuzz.h"
#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h"

struct zb_fatal {
	struct zbud_pool *pool;
	uint64_t handle;
	uint8_t how;
};

/* In the child: a mapped object's slot forgets the map (one stray write
 * to its count, or to every slot's), so zbud_unmap finds the handle
 * mapped by this thread but no mapped slot behind it. */
static void run_unmap_lost_slot(void *arg)
{
	struct zb_fatal *t = arg;
	struct zbud_pool *pool = t->pool;
	uint32_t i;

	if (!zbud_map(pool, t->handle))
		_Exit(3);
	for (i = 0; i < pool->slot_hw; i++)
		if (t->how & 1 || pool->slots[i].maps)
			pool->slots[i].maps = 0;
	zbud_unmap(pool, t->handle);
}

/* zbud never continues past corruption: in a forked child, the unmap of
 * an object whose slot lost its map count must report it and abort. */
void zbf_op_fatal(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct zb_fatal t = { .pool = f->pool };
	const struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !fc_u8(c, &t.how))
		return;
	o = fm_pick(&f->m, sel);
	if (!o)
		return;
	t.handle = o->handle;
	fm_expect_abort("zbud_unmap of a slot that lost its map",
			ZS_FINDING_ABORT_ZBUD_UNMAP_NO_MAPPED_SLOT,
			run_unmap_lost_slot, &t);
}
