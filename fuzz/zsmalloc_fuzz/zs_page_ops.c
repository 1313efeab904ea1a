// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_page_ops.c - op page_ops (white box, zs/zs_internal.h):
 * the pool's movable-page callbacks called late, as by an arena whose view of
 * the pool is out of date.
 *
 * The arena calls a pool back about its pages (isolate, migrate, putback)
 * without holding the pool's locks, so by then the page may belong to
 * another zspage, or its zspage may be gone or emptied.  These calls are
 * made here on purpose, which the arena's own window is too short for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_ops_internal.h"
#include "zs/arena.h"
#include "zs/zs_internal.h"
#include "zs/zsmalloc.h"

/* The objects of zspage `id` (found through their handle slots) freed. */
static unsigned free_zspage_objects(struct zs_fuzz *f, uint32_t id)
{
	struct zs_pool *pool = f->pool;
	unsigned freed = 0;
	uint32_t i;

	for (i = f->m.nlive; i-- > 0;) {
		uint64_t h = f->m.obj[i].handle;
		uint32_t idx, gen;
		struct zs_hslot *s;

		zs_handle_open(&pool->key, h, &idx, &gen);
		s = zs_slot_at(pool, idx);
		if (!s)
			fm_fail("live handle %#" PRIx64 " has no slot", h);
		if ((uint32_t)(atomic_load(&s->loc) >> 32) == id) {
			zsf_do_free(f, &f->m.obj[i]);
			freed++;
		}
	}
	return freed;
}

/*
 * The pool's movable-page callbacks driven as an arena whose view is out
 * of date would: a zspage id past the table, a page index past the chain,
 * a page that is not the zspage's; each refused (-EAGAIN) or ignored.
 * Then the race the design closes: a page isolated, every object of its
 * zspage freed meanwhile (the zspage must stay, and check clean), migrate
 * refused, and putback freeing the zspage.
 */
void zsf_op_page_ops(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	static char spare[ZS_PAGE_SIZE] __attribute__((aligned(4096)));
	const struct zs_movable_ops *ops = &zs_movable_ops;
	struct zs_pool *pool = f->pool;
	struct zs_pool_stats before, after;
	struct corrupt_target t;
	uint32_t id, index, npages, beyond;
	unsigned freed;
	uint16_t sel;
	uint8_t flags;
	char *page, *other;

	if (!fc_u8(c, &flags) || !fc_u16(c, &sel))
		return;
	zsf_get_stats(f, &before);
	beyond = atomic_load(&pool->zsp_next) + sel % 7u;
	fm_expect_ret(ops->isolate(pool, spare, beyond, 0), -EAGAIN,
		      "isolate of a zspage id past the table", beyond);
	fm_expect_ret(ops->migrate(pool, spare, spare, beyond, 0), -EAGAIN,
		      "migrate of a zspage id past the table", beyond);
	ops->putback(pool, spare, beyond, 0);
	if (!zsf_pick_target(pool, sel, T_ANY, &t)) {
		zsf_expect_unchanged(f, &before,
				     "page callbacks on an empty pool", true);
		return;
	}
	id = t.zsp->id;
	npages = t.c->pages_per_zspage;
	index = (sel >> 8) % npages;
	page = atomic_load(&t.zsp->pages[index]);
	other = npages > 1 ? atomic_load(&t.zsp->pages[(index + 1) % npages]) :
			     spare;
	zs_unlock(&t.c->lock);
	fm_expect_ret(ops->isolate(pool, page, id, npages), -EAGAIN,
		      "isolate of a page index past the chain", id);
	fm_expect_ret(ops->isolate(pool, other, id, index), -EAGAIN,
		      "isolate of another page of the zspage", id);
	fm_expect_ret(ops->migrate(pool, other, spare, id, index), -EAGAIN,
		      "migrate of another page of the zspage", id);
	zsf_expect_unchanged(f, &before, "refused page callbacks", true);
	zsf_pool_check(f, "after refused page callbacks");
	if (!(flags & 1))
		return;
	/* The arena's side of a move: isolate, then (later) putback. */
	fm_expect_ret(ops->isolate(pool, page, id, index), 0,
		      "isolate of a zspage's page", id);
	freed = flags & 2 ? free_zspage_objects(f, id) : 0;
	zsf_pool_check(f, freed ? "with an emptied zspage's page isolated" :
				  "with a page isolated");
	if (freed) {
		zsf_get_stats(f, &after);
		if (after.zspages != before.zspages)
			fm_fail("zspage %u emptied with a page isolated was "
				"freed (zspages %lu -> %lu)",
				id, before.zspages, after.zspages);
		fm_expect_ret(ops->migrate(pool, page, spare, id, index),
			      -EAGAIN, "migrate of an emptied zspage's page",
			      id);
	}
	ops->putback(pool, page, id, index);
	zsf_get_stats(f, &after);
	if (after.zspages != before.zspages - (freed ? 1 : 0) ||
	    after.pages_used != before.pages_used - (freed ? npages : 0))
		fm_fail("putback of zspage %u (%u objects freed): zspages %lu "
			"-> %lu, pages %lu -> %lu",
			id, freed, before.zspages, after.zspages,
			before.pages_used, after.pages_used);
	zsf_pool_check(f, "after putback");
	f->verify_pending = true;
}
