// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_model.c - the zbud target's page model: where each object
 * sits, which page holds it, and the checks of the model against the pool
 * (and the private arena); one object mapped, read back and written.
 *
 * zbud's promises are about pages (first buddy at chunk 1, last buddy
 * ending at the page end, best fit, LRU reclaim), so the model follows
 * pages as well as objects, and every other file books its moves here.
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

/* ---- small helpers ---- */

unsigned zbf_chunks_of(uint32_t size)
{
	return (size + ZBUD_CHUNK_SIZE - 1) / ZBUD_CHUNK_SIZE;
}

void zbf_pool_check(struct zb_fuzz *f, const char *when)
{
	int ret = zbud_pool_check(f->pool);

	if (ret)
		fm_fail("zbud_pool_check %s returned %d", when, ret);
	/* The private arena keeps its own books, which moves, reclaim and
	 * failed allocations change too. */
	ret = zs_arena_check(f->arena);
	if (ret)
		fm_fail("zs_arena_check %s returned %d", when, ret);
}

int zbf_page_find(const struct zb_fuzz *f, uintptr_t addr)
{
	uint32_t i;

	for (i = 0; i < f->npages; i++)
		if (f->pages[i].addr == addr)
			return (int)i;
	return -1;
}

struct zb_page *zbf_page_of(struct zb_fuzz *f, const struct fm_obj *o)
{
	int i = zbf_page_find(f, f->side[pos_of(f, o)].page);

	if (i < 0)
		fm_fail("model: object %#" PRIx64 " on unknown page %#lx",
			o->handle, (unsigned long)f->side[pos_of(f, o)].page);
	return &f->pages[i];
}

static void page_drop(struct zb_fuzz *f, struct zb_page *pg)
{
	*pg = f->pages[--f->npages];
}

/* Forgets an object the pool freed; its page goes when it held only it. */
void zbf_obj_remove(struct zb_fuzz *f, struct fm_obj *o)
{
	uint32_t pos = pos_of(f, o), last = f->m.nlive - 1;
	struct zb_page *pg = zbf_page_of(f, o);

	pg->chunks[f->side[pos].bud] = 0;
	if (--pg->nobj == 0)
		page_drop(f, pg);
	fm_remove(&f->m, o);
	f->side[pos] = f->side[last];
}

/* Where the object must sit in its page, by the zbud layout. */
uintptr_t zbf_expected_offset(const struct fm_obj *o, uint8_t bud)
{
	return bud == FIRST ?
		       ZBUD_CHUNK_SIZE :
		       ZS_PAGE_SIZE - zbf_chunks_of(o->size) * ZBUD_CHUNK_SIZE;
}

void zbf_check_place(struct zb_fuzz *f, const struct fm_obj *o, const void *p,
		     const char *how)
{
	const struct zb_side *s = &f->side[pos_of(f, o)];
	uintptr_t a = (uintptr_t)p;

	if ((a & ~(ZS_PAGE_SIZE - 1)) != s->page ||
	    (a & (ZS_PAGE_SIZE - 1)) != zbf_expected_offset(o, s->bud))
		fm_fail("%s: handle %#" PRIx64 " (%u bytes, %s buddy of page "
			"%#lx) mapped at %p, expected offset %lu",
			how, o->handle, o->size, s->bud ? "last" : "first",
			(unsigned long)s->page, p,
			(unsigned long)zbf_expected_offset(o, s->bud));
}

/* Statistics against the model; cheap, so after every op. */
void zbf_check_pages(struct zb_fuzz *f)
{
	uint64_t pages = pool_pages(f);

	if (pages != f->npages + f->iso_extra)
		fm_fail("zbud_get_pool_size %" PRIu64 ", model has %u pages "
			"(+%u emptied while isolated)",
			pages, f->npages, f->iso_extra);
	pages -= f->iso_extra;
	if (pages > f->m.nlive || 2 * pages < f->m.nlive)
		fm_fail("%" PRIu64 " pages for %u objects (density must be "
			"1..2 per page)",
			pages, f->m.nlive);
}

/* The page model against itself and the arena: runs with pool checks. */
static void check_model(struct zb_fuzz *f)
{
	struct zs_arena_stats as;
	uint32_t i, n = 0;

	for (i = 0; i < f->npages; i++) {
		const struct zb_page *pg = &f->pages[i];

		if (!pg->nobj ||
		    pg->nobj != !!pg->chunks[FIRST] + !!pg->chunks[LAST] ||
		    pg->chunks[FIRST] + pg->chunks[LAST] > ZB_BUDDY_CHUNKS)
			fm_fail("model: page %#lx holds %u objects (chunks "
				"%u+%u)",
				(unsigned long)pg->addr, pg->nobj,
				pg->chunks[FIRST], pg->chunks[LAST]);
		n += f->pages[i].nobj;
	}
	if (n != f->m.nlive)
		fm_fail("model: pages hold %u objects, %u live", n, f->m.nlive);
	memset(&as, 0, sizeof(as));
	zs_arena_stats(f->arena, &as);
	if (as.pages_in_use != f->npages + f->iso_extra)
		fm_fail("private arena has %lu pages in use, the pool %u",
			as.pages_in_use, f->npages + f->iso_extra);
}

void zbf_full_check(struct zb_fuzz *f, const char *when)
{
	zbf_pool_check(f, when);
	check_model(f);
}

/* ---- reading and writing one object ---- */

void *zbf_map_obj(struct zb_fuzz *f, const struct fm_obj *o, const char *how)
{
	void *p;

	errno = 0;
	p = zbud_map(f->pool, o->handle);
	if (!p)
		fm_fail("%s: zbud_map(%#" PRIx64 ") failed, errno %d", how,
			o->handle, errno);
	zbf_check_place(f, o, p, how);
	return p;
}

/* A map that may find the object in another page than the model's. */
void *zbf_map_obj_anywhere(struct zb_fuzz *f, const struct fm_obj *o,
			   const char *how)
{
	void *p;

	errno = 0;
	p = zbud_map(f->pool, o->handle);
	if (!p)
		fm_fail("%s: zbud_map(%#" PRIx64 ") failed, errno %d", how,
			o->handle, errno);
	return p;
}

void zbf_verify_obj(struct zb_fuzz *f, const struct fm_obj *o)
{
	void *p = zbf_map_obj(f, o, "read");

	fm_verify(o, p, "zbud_map");
	fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
		      o->handle);
}

void zbf_verify_all(struct zb_fuzz *f)
{
	uint32_t i;

	for (i = 0; i < f->m.nlive; i++)
		zbf_verify_obj(f, &f->m.obj[i]);
}

/* Rewrites [0, len) with seed's pattern (all of it when `fresh`). */
void zbf_write_obj(struct zb_fuzz *f, struct fm_obj *o, uint32_t len,
		   uint32_t seed, bool fresh)
{
	void *p = zbf_map_obj(f, o, "write");

	len = fresh ? o->size : fm_write_len(o, len);
	if (!fresh)
		fm_verify(o, p, "zbud_map before a write");
	fm_pattern(f->buf, seed, 0, len);
	memcpy(p, f->buf, len);
	fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
		      o->handle);
	fm_note_write(o, len, seed);
}
