// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_page_ops.c - op page_ops (white box, zs/zs_internal.h):
 * the pool's movable-page callbacks called late, as by an arena whose view of
 * the pool is out of date.
 *
 * The arena calls a pool back about a zspage's run of pages, or a huge
 * object's page (isolate, migrate, putback), without holding the pool's
 * locks, so by then the run may belong to another zspage or object, or
 * its zspage or object may be gone or emptied.
 * These calls are made here on purpose, which the arena's own window is
 * too short for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zs_internal.h"
#include "zs/zsmalloc.h"

/* The huge pages the pool keeps for its next huge objects (zs/huge.c),
 * over its shards. */
static unsigned long zsf_huge_kept(struct zs_fuzz *f)
{
	unsigned long kept = 0;
	unsigned i;

	for (i = 0; i < ZS_NR_SHARDS; i++)
		kept += atomic_load(&f->pool->shards[i].huge_kept);
	return kept;
}

/* A page-sized buffer the pool never gave out: the wrong page. */
static char spare[ZS_PAGE_SIZE] __attribute__((aligned(4096)));

/* One zspage's run, or a huge object's page, as an arena would name it. */
struct page_ref {
	uint32_t id, npages; /* id: the run's cookie (zs_huge_cookie(slot)
				for a huge object's page) */
	/* the pages the pool counts for it: a zspage's reached ones (its
	 * run is npages), which only frees follow here, so they stay */
	uint32_t counted;
	bool huge;
	uint32_t loc; /* a huge object's place */
	char *page; /* the run's first page */
	char *other; /* a page inside the run, or spare for a one-page run */
};

/* The objects of the run r names (found through their handle slots)
 * freed: a shared zspage's objects, whose places name its id, or the one
 * huge object whose place is r's. */
static unsigned free_run_objects(struct zs_fuzz *f, const struct page_ref *r)
{
	struct zs_pool *pool = f->pool;
	unsigned freed = 0;
	uint32_t i;

	for (i = f->m.nlive; i-- > 0;) {
		uint64_t h = f->m.obj[i].handle, w;
		uint32_t idx, gen;
		struct zs_hslot *s;
		bool ours;

		zs_handle_open(&pool->key, h, &idx, &gen);
		s = zs_slot_at(pool, idx);
		if (!s)
			fm_fail("live handle %#" PRIx64 " has no slot", h);
		w = atomic_load(&s->word);
		ours = r->huge ? zs_slot_huge(w) && zs_slot_loc(w) == r->loc :
				 !zs_slot_huge(w) &&
					 zs_span_ref_zspage(zs_slot_loc(w)) ==
						 r->id;
		if (ours) {
			zsf_do_free(f, &f->m.obj[i]);
			freed++;
		}
	}
	return freed;
}

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
	r->huge = !t.zsp;
	r->loc = t.ref;
	if (r->huge) {
		r->id = zs_huge_cookie(t.idx);
		r->npages = r->counted = 1;
		r->page = t.page;
	} else {
		r->id = t.zsp->id;
		r->npages = f->pool->chain_size;
		r->counted = t.zsp->pages; /* under the shard's lock */
		r->page = atomic_load(&t.zsp->base);
	}
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
 * `empty`, every object of the run freed in between.  A shared zspage must
 * stay and check clean, migrate is refused, putback frees it.  A huge
 * object's page goes at its free (a direct call of the callbacks leaves
 * the arena's record not isolated, so the arena frees it at once),
 * migrate is refused, putback has nothing left to do. */
static void isolate_putback(struct zs_fuzz *f, const struct page_ref *r,
			    const struct zs_pool_stats *before, bool empty)
{
	const struct zs_movable_ops *ops = &zs_movable_ops;
	struct zs_pool_stats after;
	unsigned freed, gone;
	unsigned long kept = zsf_huge_kept(f);
	long went = 0;

	fm_expect_ret(ops->isolate(f->pool, r->page, r->id, 0), 0,
		      r->huge ? "isolate of a huge object's page" :
				"isolate of a zspage's run",
		      r->id);
	freed = empty ? free_run_objects(f, r) : 0;
	/* the pages that went: a huge object's page goes at its free, or is
	 * kept for the next huge object (zs/huge.c), and a free for good
	 * may give kept pages back with it (their share shrank) */
	if (freed)
		went = r->huge ? 1 - ((long)zsf_huge_kept(f) - (long)kept) : 1;
	if (r->huge && freed > 1)
		fm_fail("%u objects freed from huge page %#x", freed, r->id);
	zsf_pool_check(f, freed ? "with an emptied run isolated" :
				  "with a run isolated");
	if (freed) {
		zsf_get_stats(f, &after);
		gone = r->huge ? (unsigned)went : 0;
		if (after.zspages != before->zspages - gone ||
		    after.pages_used != before->pages_used - gone)
			fm_fail("run %#x emptied while isolated: zspages %lu "
				"-> %lu, pages %lu -> %lu",
				r->id, before->zspages, after.zspages,
				before->pages_used, after.pages_used);
		fm_expect_ret(ops->migrate(f->pool, r->page, spare, r->id, 0),
			      -EAGAIN, "migrate of an emptied run", r->id);
	}
	ops->putback(f->pool, r->page, r->id, 0);
	zsf_get_stats(f, &after);
	if (after.zspages != before->zspages - (unsigned long)went ||
	    after.pages_used !=
		    before->pages_used - (r->huge ? (unsigned long)went :
						    (freed ? r->counted : 0)))
		fm_fail("putback of run %#x (%u objects freed): zspages %lu "
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
 * it freed meanwhile (flags & 2; a shared zspage must stay, and check
 * clean; a huge object's page goes at once), migrate refused, and putback
 * freeing the zspage (or doing nothing for a huge page).
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
