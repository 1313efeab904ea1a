// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_page_ops.c - op page_ops (white box, zs/zs_internal.h):
 * the pool's movable-page callbacks called late, as by an arena whose view of
 * the pool is out of date.
 *
 * The arena calls a pool back about a zspage's run of pages (isolate,
 * migrate, putback) without holding the pool's locks, so by then the run
 * may belong to another zspage, or its zspage may be gone or emptied.
 * These calls are made here on purpose, which the arena's own window is
 * too short for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
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
		if (zs_span_ref_zspage(zs_slot_loc(atomic_load(&s->word))) ==
		    id) {
			zsf_do_free(f, &f->m.obj[i]);
			freed++;
		}
	}
	return freed;
}

/* A page-sized buffer the pool never gave out: the wrong page. */
static char spare[ZS_PAGE_SIZE] __attribute__((aligned(4096)));

/* One zspage's run, as an arena would name it. */
struct page_ref {
	uint32_t id, npages;
	char *page; /* the run's first page */
	char *other; /* a page inside the run, or spare for a one-page run */
};

/* Callbacks about a zspage id past the table: refused or ignored. */
static void probe_beyond(struct zs_fuzz *f, uint16_t sel)
{
	const struct zs_movable_ops *ops = &zs_movable_ops;
	uint32_t beyond = atomic_load(&f->pool->zsp_next) + sel % 7u;

	fm_expect_ret(ops->isolate(f->pool, spare, beyond, 0), -EAGAIN,
		      "isolate of a zspage id past the table", beyond);
	fm_expect_ret(ops->migrate(f->pool, spare, spare, beyond, 0), -EAGAIN,
		      "migrate of a zspage id past the table", beyond);
	ops->putback(f->pool, spare, beyond, 0);
}

/* The run of a zspage picked by sel among those `want` names (T_*);
 * false when the pool has none. */
static bool pick_page(struct zs_fuzz *f, uint16_t sel, int want,
		      struct page_ref *r)
{
	struct corrupt_target t;

	if (!zsf_pick_target(f->pool, sel, want, &t))
		return false;
	r->id = t.zsp->id;
	r->npages = t.zsp->huge ? 1 : f->pool->chain_size;
	r->page = atomic_load(&t.zsp->base);
	r->other =
		r->npages > 1 ?
			r->page + (size_t)(1 + (sel >> 8) % (r->npages - 1)) *
					  ZS_PAGE_SIZE :
			spare;
	zs_unlock(&t.sh->lock);
	return true;
}

/* Callbacks with a nonzero index (a run is only ever named by its first
 * page, index 0), or a page that is not the run's first: refused. */
static void probe_stale(struct zs_fuzz *f, const struct page_ref *r)
{
	const struct zs_movable_ops *ops = &zs_movable_ops;

	fm_expect_ret(ops->isolate(f->pool, r->page, r->id, r->npages), -EAGAIN,
		      "isolate of a run with a nonzero index", r->id);
	fm_expect_ret(ops->migrate(f->pool, r->page, spare, r->id, 1), -EAGAIN,
		      "migrate of a run with a nonzero index", r->id);
	fm_expect_ret(ops->isolate(f->pool, r->other, r->id, 0), -EAGAIN,
		      "isolate of a page inside the run", r->id);
	fm_expect_ret(ops->migrate(f->pool, r->other, spare, r->id, 0), -EAGAIN,
		      "migrate of a page inside the run", r->id);
}

/* The arena's side of a move: isolate, then (later) putback; with
 * `empty`, every object of the zspage freed in between (the zspage must
 * stay and check clean, migrate is refused, putback frees it). */
static void isolate_putback(struct zs_fuzz *f, const struct page_ref *r,
			    const struct zs_pool_stats *before, bool empty)
{
	const struct zs_movable_ops *ops = &zs_movable_ops;
	struct zs_pool_stats after;
	unsigned freed;

	fm_expect_ret(ops->isolate(f->pool, r->page, r->id, 0), 0,
		      "isolate of a zspage's run", r->id);
	freed = empty ? free_zspage_objects(f, r->id) : 0;
	zsf_pool_check(f, freed ? "with an emptied zspage's run isolated" :
				  "with a run isolated");
	if (freed) {
		zsf_get_stats(f, &after);
		if (after.zspages != before->zspages)
			fm_fail("zspage %u emptied with its run isolated was "
				"freed (zspages %lu -> %lu)",
				r->id, before->zspages, after.zspages);
		fm_expect_ret(ops->migrate(f->pool, r->page, spare, r->id, 0),
			      -EAGAIN, "migrate of an emptied zspage's run",
			      r->id);
	}
	ops->putback(f->pool, r->page, r->id, 0);
	zsf_get_stats(f, &after);
	if (after.zspages != before->zspages - (freed ? 1 : 0) ||
	    after.pages_used != before->pages_used - (freed ? r->npages : 0))
		fm_fail("putback of zspage %u (%u objects freed): zspages %lu "
			"-> %lu, pages %lu -> %lu",
			r->id, freed, before->zspages, after.zspages,
			before->pages_used, after.pages_used);
	zsf_pool_check(f, "after putback");
	f->verify_pending = true;
}

/*
 * The pool's movable-page callbacks driven as an arena whose view is out
 * of date would: a zspage id past the table, a nonzero index, a page that
 * is not the run's first; each refused (-EAGAIN) or ignored.  Then
 * (flags & 1) the race the design closes: a run isolated, every object of
 * its zspage freed meanwhile (flags & 2; the zspage must stay, and check
 * clean), migrate refused, and putback freeing the zspage.
 */
void zsf_op_page_ops(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_stats before;
	struct page_ref r;
	uint16_t sel;
	uint8_t flags;

	if (!fc_u8(c, &flags) || !fc_u16(c, &sel))
		return;
	zsf_get_stats(f, &before);
	probe_beyond(f, sel);
	if (!pick_page(f, sel, T_ANY, &r)) {
		zsf_expect_unchanged(f, &before,
				     "page callbacks on an empty pool", true);
		return;
	}
	probe_stale(f, &r);
	zsf_expect_unchanged(f, &before, "refused page callbacks", true);
	zsf_pool_check(f, "after refused page callbacks");
	if (flags & 1)
		isolate_putback(f, &r, &before, flags & 2);
}
