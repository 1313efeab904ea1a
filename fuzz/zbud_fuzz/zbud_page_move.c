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

#include "fuzz/zbud_fuzz/zbud_fuzz.h"
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

/* A page-sized buffer that zbud never gave out: the wrong page. */
static _Alignas(4096) uint8_t scratch[ZS_PAGE_SIZE];

/* One move: the page, the object it was picked by, the input's choices,
 * and what the work in between left (a map held, the page emptied). */
struct move {
	struct zb_fuzz *f;
	struct zbud_pool *pool;
	const struct zs_movable_ops *ops;
	struct fm_obj *o;
	uintptr_t page;
	uint32_t cookie;
	uint16_t sel;
	uint8_t how, flags;
	uint64_t held;
	void *held_p;
	bool emptied;
};

/* flags & 1: callbacks about pages zbud does not hold as given refuse
 * and change nothing. */
static void probe_refusals(struct move *mv)
{
	const struct zs_movable_ops *ops = mv->ops;
	void *page = (void *)mv->page;
	struct zb_counts counts;

	zbf_counts_of(mv->pool, &counts);
	fm_expect_ret(ops->isolate(mv->pool, page, counts.desc_hw, 0), -EAGAIN,
		      "isolate of a cookie past the table", 0);
	fm_expect_ret(ops->isolate(mv->pool, scratch, mv->cookie, 0), -EAGAIN,
		      "isolate of a page that is not the cookie's", 0);
	fm_expect_ret(ops->migrate(mv->pool, page, scratch, mv->cookie, 0),
		      -EAGAIN, "migrate of a page not isolated", 0);
	ops->putback(mv->pool, page, mv->cookie, 0);
	ops->putback(mv->pool, scratch, mv->cookie, 0);
	zbf_same_counts(mv->pool, &counts, "movable ops refusing");
	zbf_pool_check(mv->f, "after refused movable ops");
}

/* The page isolated (flags & 2: a mapped one refused first), and
 * isolated only once. */
static void isolate(struct move *mv)
{
	const struct zs_movable_ops *ops = mv->ops;
	void *page = (void *)mv->page;

	if (mv->flags & 2) {
		zbf_map_obj(mv->f, mv->o, "map before isolate");
		fm_expect_ret(ops->isolate(mv->pool, page, mv->cookie, 0),
			      -EAGAIN, "isolate of a mapped page",
			      mv->o->handle);
		fm_expect_ret(zbud_unmap(mv->pool, mv->o->handle), 0,
			      "zbud_unmap", mv->o->handle);
	}
	fm_expect_ret(ops->isolate(mv->pool, page, mv->cookie, 0), 0,
		      "isolate of an unmapped page", 0);
	mv->f->iso_page = mv->page;
	fm_expect_ret(ops->isolate(mv->pool, page, mv->cookie, 0), -EAGAIN,
		      "isolate of an isolated page", 0);
	zbf_pool_check(mv->f, "with a page isolated");
}

/* ---- the work done while the page is isolated, by how % 8 ---- */

static void work_none(struct move *mv)
{
	(void)mv;
}

/* A map held across the move: migrate must refuse. */
static void work_map(struct move *mv)
{
	mv->held_p = zbf_map_obj(mv->f, mv->o, "map of an isolated page");
	fm_verify(mv->o, mv->held_p, "map of an isolated page");
	mv->held = mv->o->handle;
}

static void work_free_one(struct move *mv)
{
	zbf_do_free(mv->f, mv->o);
}

/* Both buddies freed: zbud keeps the page until putback frees it. */
static void work_free_all(struct move *mv)
{
	struct zb_fuzz *f = mv->f;
	uint32_t i;

	for (i = f->m.nlive; i-- > 0;)
		if (f->side[i].page == mv->page)
			zbf_do_free(f, &f->m.obj[i]);
}

/* Maybe into the isolated page's hole. */
static void work_alloc(struct move *mv)
{
	zbf_do_alloc(mv->f, zbf_choose_size((uint8_t)(mv->how >> 3), mv->sel),
		     mv->how);
}

/* Reclaim must skip the isolated page. */
static void work_reclaim(struct move *mv)
{
	if (mv->f->has_evict)
		zbf_do_reclaim(mv->f, 1 + (mv->how >> 3) % 4, 0, 0);
}

/* Arena compaction must not move the isolated page. */
static void work_compact(struct move *mv)
{
	zs_arena_compact(mv->f->arena);
	zbf_relocate(mv->f, "arena compaction with a page isolated");
	if (zbf_page_find(mv->f, mv->page) < 0)
		fm_fail("arena compaction moved isolated page %#lx",
			(unsigned long)mv->page);
}

static void work_free_realloc(struct move *mv)
{
	size_t size = mv->o->size;

	zbf_do_free(mv->f, mv->o);
	zbf_do_alloc(mv->f, size, mv->how);
}

/* Indexed by how % 8; fixed, as the corpus depends on it. */
static void (*const move_work[8])(struct move *mv) = {
	work_none, /* 0 */
	work_map, /* 1 */
	work_free_one, /* 2 */
	work_free_all, /* 3 */
	work_alloc, /* 4 */
	work_reclaim, /* 5 */
	work_compact, /* 6 */
	work_free_realloc, /* 7 */
};

/* ---- the end of the move ---- */

/* Migrate into a new page (unless flags & 4, or the arena has none for
 * it): refused when a map is held or the page was emptied.  True when
 * the page moved; the model follows it. */
static bool migrate(struct move *mv)
{
	struct zb_fuzz *f = mv->f;
	const char *what;
	void *np;
	uint32_t i;
	int ret;

	if (mv->flags & 4)
		return false;
	np = zs_arena_alloc_page(f->arena, mv->pool->owner_id);
	if (!np && !f->injecting)
		fm_fail("zs_arena_alloc_page for a migration failed");
	if (!np)
		return false;
	zs_arena_set_page_owner(f->arena, np, mv->cookie, 0, 1);
	ret = mv->ops->migrate(mv->pool, (void *)mv->page, np, mv->cookie, 0);
	what = mv->held	   ? "migrate of a page mapped since isolate" :
	       mv->emptied ? "migrate of a page emptied since isolate" :
			     "migrate";
	fm_expect_ret(ret, mv->held || mv->emptied ? -EAGAIN : 0, what, 0);
	if (ret) {
		zs_arena_free_page(f->arena, np);
		return false;
	}
	zs_arena_free_page(f->arena, (void *)mv->page);
	f->pages[zbf_page_find(f, mv->page)].addr = (uintptr_t)np;
	for (i = 0; i < f->m.nlive; i++)
		if (f->side[i].page == mv->page)
			f->side[i].page = (uintptr_t)np;
	return true;
}

/* Migrate or putback; an emptied page goes back to the arena either way. */
static void finish(struct move *mv)
{
	struct zb_fuzz *f = mv->f;
	uint64_t before = pool_pages(f);
	bool moved = migrate(mv);

	if (!moved)
		mv->ops->putback(mv->pool, (void *)mv->page, mv->cookie, 0);
	if (pool_pages(f) != before - f->iso_extra)
		fm_fail("%s of a page%s took the pool from %" PRIu64
			" to %" PRIu64 " pages",
			moved ? "migrate" : "putback",
			mv->emptied ? " emptied while isolated" : "", before,
			pool_pages(f));
	f->iso_page = 0;
	f->iso_extra = 0;
}

/* Late callbacks (the page moved, freed, or no longer isolated) change
 * nothing; a map held across a refused migrate still shows its object. */
static void after_move(struct move *mv)
{
	struct zb_counts counts;
	struct fm_obj *o;

	zbf_counts_of(mv->pool, &counts);
	mv->ops->putback(mv->pool, (void *)mv->page, mv->cookie, 0);
	fm_expect_ret(mv->ops->migrate(mv->pool, (void *)mv->page, scratch,
				       mv->cookie, 0),
		      -EAGAIN, "migrate after the move ended", 0);
	zbf_same_counts(mv->pool, &counts, "callbacks after the move ended");
	if (mv->held) {
		o = fm_find(&mv->f->m, mv->held);
		zbf_check_place(mv->f, o, mv->held_p,
				"a map held across migrate");
		fm_verify(o, mv->held_p, "a map held across migrate");
		fm_expect_ret(zbud_unmap(mv->pool, mv->held), 0, "zbud_unmap",
			      mv->held);
	}
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
	struct move mv = { .f = f, .pool = f->pool, .ops = &zbud_movable_ops };

	if (!fc_u16(c, &mv.sel) || !fc_u8(c, &mv.how) || !fc_u8(c, &mv.flags) ||
	    !f->m.nlive)
		return;
	mv.o = fm_pick(&f->m, mv.sel);
	mv.page = f->side[pos_of(f, mv.o)].page;
	pthread_mutex_lock(&mv.pool->lock);
	mv.cookie = desc_at(mv.pool, mv.page)->idx;
	pthread_mutex_unlock(&mv.pool->lock);
	if (mv.flags & 1)
		probe_refusals(&mv);
	isolate(&mv);
	move_work[mv.how % 8](&mv);
	mv.emptied = zbf_page_find(f, mv.page) < 0;
	if (mv.emptied != (f->iso_extra == 1))
		fm_fail("model: isolated page %#lx emptied %d, kept pages %u",
			(unsigned long)mv.page, mv.emptied, f->iso_extra);
	zbf_pool_check(f, "with a page isolated after work");
	finish(&mv);
	after_move(&mv);
	zbf_full_check(f, "after a page move");
	f->verify_pending = true;
}
