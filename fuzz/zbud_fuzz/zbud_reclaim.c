// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_reclaim.c - the zbud target's reclaim: zbud_reclaim_page
 * and its evict callback checked against the page model, and the written-back
 * ring that op recall brings objects back from.
 *
 * Reclaim must take the least recently allocated-into page no map pins,
 * evict the first buddy before the last, and put a page whose evict failed
 * back at the LRU head.  The evict callback verifies the object's bytes
 * through a map, files it in the ring and zbud_free()s it; a fail mask
 * makes chosen evicts fail instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs/zbud.h"

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"

/* ---- reclaim ---- */

static bool page_held(const struct zb_fuzz *f, uintptr_t addr)
{
	unsigned i;

	for (i = 0; i < f->nheld; i++)
		if (f->held_page[i] == addr)
			return true;
	return false;
}

/* The page zbud_reclaim_page must take next: the least recently used one
 * no map pins and the arena (op_page_move) is not moving. */
static struct zb_page *lru_victim(struct zb_fuzz *f)
{
	struct zb_page *v = NULL;
	uint32_t i;

	for (i = 0; i < f->npages; i++)
		if (!page_held(f, f->pages[i].addr) &&
		    f->pages[i].addr != f->iso_page &&
		    (!v || f->pages[i].stamp < v->stamp))
			v = &f->pages[i];
	return v;
}

static void wb_file(struct zb_fuzz *f, const struct fm_obj *o)
{
	struct zb_wb *w = &f->wb[f->wb_pos];

	w->size = o->size;
	w->split = o->split;
	w->seed = o->seed;
	w->seed2 = o->seed2;
	f->wb_pos = (f->wb_pos + 1) % WB_RING;
	if (f->nwb < WB_RING)
		f->nwb++;
	f->written_back++;
}

/* The evicted object must be a buddy of the page whose turn it is: a new
 * turn starts at the LRU victim, and the first buddy goes before the
 * last. */
static void check_turn(struct zb_fuzz *f, uint64_t handle, struct zb_page *pg,
		       const struct zb_side *s)
{
	struct zb_page *v;

	if (f->turn_left == 0) {
		/* A new page's turn: the LRU tail. */
		v = lru_victim(f);
		if (pg != v)
			fm_fail("reclaim evicts %#" PRIx64 " of page %#lx "
				"(stamp %" PRIu64 "), but the least recently "
				"used unpinned page is %#lx (stamp %" PRIu64
				")",
				handle, (unsigned long)pg->addr, pg->stamp,
				v ? (unsigned long)v->addr : 0UL,
				v ? v->stamp : 0);
		f->turn_page = pg->addr;
		f->turn_left = pg->nobj;
		f->turns++;
	} else if (pg->addr != f->turn_page) {
		fm_fail("reclaim moved to page %#lx before finishing page %#lx",
			(unsigned long)pg->addr, (unsigned long)f->turn_page);
	}
	if (f->turn_left == 2 && s->bud != FIRST)
		fm_fail("reclaim evicts the last buddy %#" PRIx64 " before the "
			"first",
			handle);
}

/* The write-back: the object read through a map (rflags & 2: a free of
 * it while mapped refused), filed in the ring and freed.  It fails at the
 * map limit (the thread cannot map it) and where the fail mask says. */
static int write_back(struct zb_fuzz *f, struct zbud_pool *pool,
		      uint64_t handle, struct fm_obj *o, unsigned call)
{
	void *p;

	if (f->nheld == ZB_MAPS) {
		errno = 0;
		p = zbud_map(pool, handle);
		fm_expect_null(p, errno, EBUSY,
			       "zbud_map in evict at the map limit", handle);
		return -EBUSY;
	}
	if (f->fail_mask >> (call % 16) & 1)
		return -EIO;
	p = zbf_map_obj(f, o, "evict");
	fm_verify(o, p, "zbud_map in evict");
	if (f->rflags & 2)
		fm_expect_ret(zbud_free(pool, handle), -EBUSY,
			      "zbud_free of a mapped object in evict", handle);
	fm_expect_ret(zbud_unmap(pool, handle), 0, "zbud_unmap in evict",
		      handle);
	wb_file(f, o);
	fm_expect_ret(zbud_free(pool, handle), 0, "zbud_free in evict", handle);
	return 0;
}

/*
 * The evict callback: the object must be a buddy of the LRU victim, the
 * first before the last; it is verified through a map, written back and
 * freed, unless the fail mask says this evict fails.
 */
int zbf_evict(struct zbud_pool *pool, uint64_t handle)
{
	/* zbud gives the callback no context: the state is the target's. */
	struct zb_fuzz *f = zb_fuzz_target.state;
	unsigned call = f->ncalls++;
	struct zb_page *pg;
	struct fm_obj *o;
	struct zb_side *s;
	int ret;

	if (!f->reclaiming || pool != f->pool)
		fm_fail("evict callback outside zbud_reclaim_page (pool %p, "
			"ours %p)",
			(void *)pool, (void *)f->pool);
	o = fm_find(&f->m, handle);
	if (!o)
		fm_fail("evict of handle %#" PRIx64 ", which is not live",
			handle);
	s = &f->side[pos_of(f, o)];
	pg = zbf_page_of(f, o);
	check_turn(f, handle, pg, s);
	if (f->rflags & 1)
		zbf_pool_check(f, "inside an evict callback");
	ret = write_back(f, pool, handle, o, call);
	fm_trace("  evict %#" PRIx64 " (page %#lx, %s buddy): %d\n", handle,
		 (unsigned long)pg->addr, s->bud ? "last" : "first", ret);
	if (ret) {
		/* The page's turn ends; it goes to the LRU head. */
		pg->stamp = ++f->clock;
		f->turn_left = 0;
		return ret;
	}
	f->turn_left--;
	if (pg->nobj == 1)
		f->emptied++;
	zbf_obj_remove(f, o);
	return 0;
}

/* One zbud_reclaim_page call, checked against the model. */
void zbf_do_reclaim(struct zb_fuzz *f, unsigned retries, uint16_t mask,
		    uint8_t flags)
{
	uint64_t before = pool_pages(f);
	bool victim = lru_victim(f) != NULL;
	int ret, want;

	f->reclaiming = true;
	f->fail_mask = mask;
	f->rflags = flags;
	f->ncalls = f->turns = f->emptied = f->turn_left = 0;
	ret = zbud_reclaim_page(f->pool, retries);
	f->reclaiming = false;
	fm_trace("  zbud_reclaim_page(%u) = %d: %u evicts, %u turns, %u "
		 "freed\n",
		 retries, ret, f->ncalls, f->turns, f->emptied);
	if (!f->has_evict) {
		fm_expect_ret(ret, -EINVAL, "zbud_reclaim_page without evict",
			      0);
		if (f->ncalls)
			fm_fail("a pool without evict called evict");
		return;
	}
	if (retries == 0 || before == 0) {
		/* Nothing to reclaim from, or no try allowed: -EINVAL, as
		 * the kernel's zbud says, and no evict. */
		fm_expect_ret(ret, -EINVAL,
			      retries ? "zbud_reclaim_page of an empty pool" :
					"zbud_reclaim_page(0 retries)",
			      retries);
		if (f->ncalls)
			fm_fail("zbud_reclaim_page(%u) of a pool of %" PRIu64
				" pages called evict",
				retries, before);
		return;
	}
	if (f->turn_left)
		fm_fail("zbud_reclaim_page returned with %u buddies of page "
			"%#lx not evicted",
			f->turn_left, (unsigned long)f->turn_page);
	want = f->emptied ? 0 : -EAGAIN;
	fm_expect_ret(ret, want, "zbud_reclaim_page", retries);
	if (f->emptied > 1)
		fm_fail("zbud_reclaim_page freed %u pages, at most one",
			f->emptied);
	if (f->turns > retries ||
	    (!f->emptied && victim && f->turns != retries))
		fm_fail("zbud_reclaim_page(%u) took %u page turns (freed %u)",
			retries, f->turns, f->emptied);
	if (pool_pages(f) != before - f->emptied)
		fm_fail("zbud_reclaim_page freeing %u pages took the pool from "
			"%" PRIu64 " to %" PRIu64,
			f->emptied, before, pool_pages(f));
}

void zbf_op_reclaim(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t retries, flags;
	uint16_t mask;
	unsigned guard;

	if (!fc_u8(c, &retries) || !fc_u16(c, &mask) || !fc_u8(c, &flags))
		return;
	retries %= 12;
	if (!(flags & 4)) {
		zbf_do_reclaim(f, retries, mask, flags);
	} else {
		/* Reclaim until nothing can be (the fail mask applies to the
		 * first call only): the writeback of a whole pool. */
		for (guard = 0; guard <= FM_MAX_LIVE; guard++) {
			zbf_do_reclaim(f, retries | 1, guard ? 0 : mask, flags);
			if (!f->emptied)
				break;
		}
		if (f->has_evict && f->npages && !(guard == 0 && mask))
			fm_fail("reclaim until nothing was freed left %u "
				"pages",
				f->npages);
	}
	zbf_full_check(f, "after reclaim");
}

/* Swap-in: an object written back comes into the pool again, unchanged. */
void zbf_op_recall(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	const struct zb_wb *w;
	struct fm_obj *o;
	uint16_t sel;
	void *p;

	if (!fc_u16(c, &sel) || !f->nwb)
		return;
	w = &f->wb[sel % f->nwb];
	o = zbf_do_alloc(f, w->size, (uint8_t)sel);
	if (!o)
		return;
	o->seed = w->seed;
	o->split = w->split;
	o->seed2 = w->seed2;
	p = zbf_map_obj(f, o, "recall");
	fm_expect(o, p);
	fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
		      o->handle);
	zbf_verify_obj(f, o);
}
