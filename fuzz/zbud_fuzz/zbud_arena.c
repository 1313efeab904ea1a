// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_arena.c - the zbud target's ops on its private arena:
 * injected page failures, arena compaction (every object followed to its
 * new page) and the arena's owner table filled with second pools.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs/arena.h"
#include "zs/zbud.h"

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"

/* Owners one arena takes (docs/DESIGN.md, Limits). */
#define ZB_ARENA_OWNERS 1024

void zbf_op_inject(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t after, count;

	if (!fc_u8(c, &after) || !fc_u8(c, &count))
		return;
	count %= 8;
	zs_arena_inject_failures(f->arena, after % 16, count);
	f->injecting = count != 0;
}

/*
 * After arena compaction: every object must read back the same at the same
 * offset of its (maybe new) page, both buddies of a page must move
 * together, and a mapped object must not move at all (its page is the one
 * the model has).  Updates the model's page addresses.
 */
void zbf_relocate(struct zb_fuzz *f, const char *when)
{
	static uintptr_t newp[FM_MAX_LIVE];
	struct fm_obj *o;
	uint32_t i, j, n;
	void *p;

	for (i = 0; i < f->m.nlive; i++) {
		o = &f->m.obj[i];
		if (f->side[i].mapped) {
			newp[i] = f->side[i].page;
			continue;
		}
		p = zbf_map_obj_anywhere(f, o, when);
		fm_verify(o, p, when);
		fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
			      o->handle);
		newp[i] = (uintptr_t)p & ~(ZS_PAGE_SIZE - 1);
		if (((uintptr_t)p & (ZS_PAGE_SIZE - 1)) !=
		    zbf_expected_offset(o, f->side[i].bud))
			fm_fail("%s moved %#" PRIx64 " within its page (now at "
				"%p)",
				when, o->handle, p);
	}
	for (j = 0; j < f->npages; j++) {
		uintptr_t to = 0;

		for (i = 0, n = 0; i < f->m.nlive; i++) {
			if (f->side[i].page != f->pages[j].addr)
				continue;
			if (n++ && newp[i] != to)
				fm_fail("%s split the buddies of page %#lx",
					when, (unsigned long)f->pages[j].addr);
			to = newp[i];
		}
		f->pages[j].addr = to;
	}
	for (i = 0; i < f->m.nlive; i++)
		f->side[i].page = newp[i];
	for (j = 1; j < f->npages; j++)
		for (i = 0; i < j; i++)
			if (f->pages[i].addr == f->pages[j].addr)
				fm_fail("%s merged two pages into %#lx", when,
					(unsigned long)f->pages[j].addr);
	zbf_full_check(f, when);
}

void zbf_op_arena_compact(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	unsigned long moved;
	uint8_t flags;

	if (!fc_u8(c, &flags))
		return;
	moved = zs_arena_compact(f->arena);
	if (flags & 1)
		zs_arena_trim(f->arena);
	fm_trace("  arena compaction moved %lu pages\n", moved);
	zbf_relocate(f, "after arena compaction");
}

/* Up to `want` second pools on the private arena, into pools[]; the one
 * past the owner table is refused (NULL, ENOSPC).  Returns how many. */
static unsigned make_pools(struct zb_fuzz *f, unsigned want,
			   struct zbud_pool **pools)
{
	struct zbud_pool *q;
	unsigned i, n = 0;

	for (i = 0; i < want; i++) {
		errno = 0;
		q = zbud_create_pool_arena(NULL, f->arena);
		/* Our own pool holds one owner slot. */
		if (n == ZB_ARENA_OWNERS - 1) {
			fm_expect_null(
				q, errno, ENOSPC,
				"zbud_create_pool_arena with every owner "
				"slot taken",
				0);
			break;
		}
		if (!q)
			fm_fail("zbud_create_pool_arena number %u failed, "
				"errno %d",
				n + 1, errno);
		pools[n++] = q;
	}
	return n;
}

/* Pool q destroyed with ZB_MAPS maps held by this thread: a fresh pool
 * must find the thread's map table with room again. */
static void destroy_mapped(struct zb_fuzz *f, struct zbud_pool *q)
{
	uint64_t h[ZB_MAPS];
	unsigned i;
	void *p;

	for (i = 0; i < ZB_MAPS; i++) {
		fm_expect_ret(zbud_alloc(q, 1 + i * 300, &h[i]), 0,
			      "zbud_alloc in a second pool", 0);
		errno = 0;
		if (!zbud_map(q, h[i]))
			fm_fail("zbud_map in a second pool failed, errno %d",
				errno);
	}
	zbud_destroy_pool(q);
	q = zbud_create_pool_arena(NULL, f->arena);
	if (!q)
		fm_fail("zbud_create_pool_arena after a destroy failed, "
			"errno %d",
			errno);
	fm_expect_ret(zbud_alloc(q, 100, &h[0]), 0,
		      "zbud_alloc in a fresh pool", 0);
	errno = 0;
	p = zbud_map(q, h[0]);
	if (!p)
		fm_fail("zbud_map after a pool was destroyed with %u maps held "
			"failed, errno %d",
			ZB_MAPS, errno);
	fm_expect_ret(zbud_unmap(q, h[0]), 0, "zbud_unmap", h[0]);
	zbud_destroy_pool(q);
}

/*
 * Second pools on the private arena until its owner table is full: the
 * one past it is refused (NULL, ENOSPC), and any pool destroyed makes room.
 * flags & 1: a pool destroyed with ZB_MAPS maps still held by this thread
 * must give the thread its map slots back.
 */
void zbf_op_pools(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	static struct zbud_pool *pools[ZB_ARENA_OWNERS];
	uint16_t want;
	uint8_t flags;
	unsigned i, n;

	if (!fc_u16(c, &want) || !fc_u8(c, &flags))
		return;
	n = make_pools(f, want % (ZB_ARENA_OWNERS + 2), pools);
	fm_trace("  %u pools made\n", n);
	/* Its pages come from the private arena: not while op_inject may
	 * refuse them. */
	if ((flags & 1) && n && !f->injecting)
		destroy_mapped(f, pools[--n]);
	for (i = 0; i < n; i++)
		zbud_destroy_pool(pools[flags & 2 ? n - 1 - i : i]);
	zbf_full_check(f, "after second pools");
}
