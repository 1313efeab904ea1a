// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_page_move.c - op page_move (white box,
 * zs/zbud_internal.h): zbud's movable-page callbacks driven step by step,
 * as the arena would, with work done while a page is isolated.
 *
 * The arena isolates a page, migrates it into a new one or puts it back;
 * between the two, the pool's users go on.  The arena's own window is too
 * short to put anything in it, so this op opens it: maps, frees (the page
 * emptied must stay until putback frees it), allocation, reclaim (which
 * must skip the isolated page) and arena compaction (which must not move
 * it).  Callbacks about pages zbud does not hold as given, and late ones
 * after the move ended, must be refused and change nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz/zbud_fuzz/zbud_ops_internal.h"
#include "fuzz/common/fuzz.h"
#include "zs/arena.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h"

/* The descriptor of one of the pool's pages; the caller holds the lock. */
static struct zbud_page *desc_at(struct zbud_pool *pool, uintptr_t page)
{
	uint32_t i;

	for (i = 0; i < pool->desc_hw; i++)
		if (pool->descs[i] && (uintptr_t)pool->descs[i]->page == page)
			return pool->descs[i];
	fm_fail("model page %#lx has no zbud descriptor", (unsigned long)page);
}

/*
 * The arena's page migration, driven step by step through zbud's movable
 * ops as zs_arena_compact would (isolate, then migrate into a new page or
 * putback), with work done while the page is isolated, which the arena's
 * own window is too short to allow:
 *   how % 8: 0 nothing, 1 hold a map on a buddy (migrate must refuse),
 *            2 free one buddy, 3 free both (zbud keeps the page until
 *            putback frees it), 4 allocate (maybe into the page's hole),
 *            5 reclaim (must skip the page), 6 arena compaction (must not
 *            move it), 7 free one buddy and allocate again;
 *   flags: 1 first probe callbacks about pages zbud does not hold as
 *          given (they must refuse and change nothing), 2 isolate while
 *          mapped first (refused), 4 putback instead of migrate.
 */
void zbf_op_page_move(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	static _Alignas(4096) uint8_t scratch[ZS_PAGE_SIZE];
	const struct zs_movable_ops *ops = &zbud_movable_ops;
	struct zbud_pool *pool = f->pool;
	uint64_t held = 0, before;
	void *held_p = NULL;
	struct fm_obj *o;
	struct zb_counts counts;
	uintptr_t page;
	uint32_t cookie, i;
	uint8_t how, flags;
	uint16_t sel;
	size_t size;
	void *np;
	int ret, want_ret;
	bool emptied;

	if (!fc_u16(c, &sel) || !fc_u8(c, &how) || !fc_u8(c, &flags) ||
	    !f->m.nlive)
		return;
	o = fm_pick(&f->m, sel);
	page = f->side[pos_of(f, o)].page;
	pthread_mutex_lock(&pool->lock);
	cookie = desc_at(pool, page)->idx;
	pthread_mutex_unlock(&pool->lock);
	if (flags & 1) {
		zbf_counts_of(pool, &counts);
		fm_expect_ret(ops->isolate(pool, (void *)page, counts.desc_hw,
					   0),
			      -EAGAIN, "isolate of a cookie past the table", 0);
		fm_expect_ret(ops->isolate(pool, scratch, cookie, 0), -EAGAIN,
			      "isolate of a page that is not the cookie's", 0);
		fm_expect_ret(ops->migrate(pool, (void *)page, scratch, cookie,
					   0),
			      -EAGAIN, "migrate of a page not isolated", 0);
		ops->putback(pool, (void *)page, cookie, 0);
		ops->putback(pool, scratch, cookie, 0);
		zbf_same_counts(pool, &counts, "movable ops refusing");
		zbf_pool_check(f, "after refused movable ops");
	}
	if (flags & 2) {
		zbf_map_obj(f, o, "map before isolate");
		fm_expect_ret(ops->isolate(pool, (void *)page, cookie, 0),
			      -EAGAIN, "isolate of a mapped page", o->handle);
		fm_expect_ret(zbud_unmap(pool, o->handle), 0, "zbud_unmap",
			      o->handle);
	}
	fm_expect_ret(ops->isolate(pool, (void *)page, cookie, 0), 0,
		      "isolate of an unmapped page", 0);
	f->iso_page = page;
	fm_expect_ret(ops->isolate(pool, (void *)page, cookie, 0), -EAGAIN,
		      "isolate of an isolated page", 0);
	zbf_pool_check(f, "with a page isolated");
	switch (how % 8) {
	case 1:
		held_p = zbf_map_obj(f, o, "map of an isolated page");
		fm_verify(o, held_p, "map of an isolated page");
		held = o->handle;
		break;
	case 2:
		zbf_do_free(f, o);
		break;
	case 3:
		for (i = f->m.nlive; i-- > 0;)
			if (f->side[i].page == page)
				zbf_do_free(f, &f->m.obj[i]);
		break;
	case 4:
		zbf_do_alloc(f, zbf_choose_size((uint8_t)(how >> 3), sel), how);
		break;
	case 5:
		if (f->has_evict)
			zbf_do_reclaim(f, 1 + (how >> 3) % 4, 0, 0);
		break;
	case 6:
		zs_arena_compact(f->arena);
		zbf_relocate(f, "arena compaction with a page isolated");
		if (zbf_page_find(f, page) < 0)
			fm_fail("arena compaction moved isolated page %#lx",
				(unsigned long)page);
		break;
	case 7:
		size = o->size;
		zbf_do_free(f, o);
		zbf_do_alloc(f, size, how);
		break;
	}
	emptied = zbf_page_find(f, page) < 0;
	if (emptied != (f->iso_extra == 1))
		fm_fail("model: isolated page %#lx emptied %d, kept pages %u",
			(unsigned long)page, emptied, f->iso_extra);
	zbf_pool_check(f, "with a page isolated after work");
	before = pool_pages(f);
	np = NULL;
	if (!(flags & 4)) {
		np = zs_arena_alloc_page(f->arena, pool->owner_id);
		if (!np && !f->injecting)
			fm_fail("zs_arena_alloc_page for a migration failed");
	}
	if (np) {
		zs_arena_set_page_owner(f->arena, np, cookie, 0, 1);
		want_ret = held || emptied ? -EAGAIN : 0;
		ret = ops->migrate(pool, (void *)page, np, cookie, 0);
		fm_expect_ret(ret, want_ret,
			      held ? "migrate of a page mapped since isolate" :
			      emptied ?
				     "migrate of a page emptied since isolate" :
				     "migrate",
			      0);
		if (ret == 0) {
			zs_arena_free_page(f->arena, (void *)page);
			f->pages[zbf_page_find(f, page)].addr = (uintptr_t)np;
			for (i = 0; i < f->m.nlive; i++)
				if (f->side[i].page == page)
					f->side[i].page = (uintptr_t)np;
		} else {
			zs_arena_free_page(f->arena, np);
			np = NULL;
		}
	}
	if (!np)
		ops->putback(pool, (void *)page, cookie, 0);
	if (pool_pages(f) != before - f->iso_extra)
		fm_fail("%s of a page%s took the pool from %" PRIu64
			" to %" PRIu64 " pages",
			np ? "migrate" : "putback",
			emptied ? " emptied while isolated" : "", before,
			pool_pages(f));
	f->iso_page = 0;
	f->iso_extra = 0;
	/* Late callbacks (the page moved, freed, or no longer isolated)
	 * change nothing. */
	zbf_counts_of(pool, &counts);
	ops->putback(pool, (void *)page, cookie, 0);
	fm_expect_ret(ops->migrate(pool, (void *)page, scratch, cookie, 0),
		      -EAGAIN, "migrate after the move ended", 0);
	zbf_same_counts(pool, &counts, "callbacks after the move ended");
	if (held) {
		/* Refused, so the object is where the map says. */
		o = fm_find(&f->m, held);
		zbf_check_place(f, o, held_p, "a map held across migrate");
		fm_verify(o, held_p, "a map held across migrate");
		fm_expect_ret(zbud_unmap(pool, held), 0, "zbud_unmap", held);
	}
	zbf_full_check(f, "after a page move");
	f->verify_pending = true;
}
