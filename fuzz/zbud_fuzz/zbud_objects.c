// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_objects.c - the zbud target's allocation and free, each
 * checked against the page model (best fit, a new page only when none
 * fits, bookkeeping unchanged on failure), and the ops that do nothing
 * else (alloc, free, write, read, fill, free_many, verify_all).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs/fault.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h" /* the pool's counts (zbf_counts_of) */
#include "zs/zsmalloc.h"

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"

/* ---- allocation ---- */

static size_t clamp_size(long v)
{
	return (size_t)(v < 1 ? 1 :
			v > (long)ZBUD_MAX_ALLOC_SIZE ?
				(long)ZBUD_MAX_ALLOC_SIZE :
				v);
}

/* Sizes biased to the chunk arithmetic. */
size_t zbf_choose_size(uint8_t kind, uint16_t raw)
{
	long d = (long)((raw >> 8) % 5) - 2; /* -2 .. +2 */

	switch (kind % 8) {
	case 0: /* a chunk boundary, +-2 */
		return clamp_size(64L * ((raw & 0x3f) + 1) + d);
	case 1:
		return 1 + raw % 4;
	case 2: /* the largest: ZBUD_MAX_ALLOC_SIZE and just below */
		return ZBUD_MAX_ALLOC_SIZE - raw % 3;
	case 3:
		return 1 + raw % ZBUD_MAX_ALLOC_SIZE;
	case 4: /* whole chunks, so two buddies can fill a page exactly */
		return 64u * (1 + raw % ZB_BUDDY_CHUNKS);
	case 5:
		return 1 + raw % 256;
	case 6: /* about half a page: pairs that just do or do not fit */
		return clamp_size(64L * (31 + (raw & 1)) + d);
	default: /* out of range */
		switch (raw & 3) {
		case 0:
			return 0;
		case 1:
			return ZBUD_MAX_ALLOC_SIZE + 1;
		case 2:
			return ZBUD_MAX_ALLOC_SIZE + 1 + (raw >> 2);
		default:
			return SIZE_MAX;
		}
	}
}

static unsigned page_free(const struct zb_page *pg)
{
	return ZB_BUDDY_CHUNKS - pg->chunks[FIRST] - pg->chunks[LAST];
}

/* The one-buddy page an allocation of `size` must land in (best fit), or
 * NULL when it needs a new page. */
static struct zb_page *best_fit(struct zb_fuzz *f, uint32_t size)
{
	unsigned need = zbf_chunks_of(size), best = ZB_NCHUNKS, fr;
	struct zb_page *bp = NULL;
	uint32_t i;

	for (i = 0; i < f->npages; i++) {
		if (f->pages[i].nobj != 1)
			continue;
		fr = page_free(&f->pages[i]);
		if (fr >= need && fr < best) {
			best = fr;
			bp = &f->pages[i];
		}
	}
	return bp;
}

void zbf_counts_of(struct zbud_pool *pool, struct zb_counts *k)
{
	memset(k, 0, sizeof(*k));
	pthread_mutex_lock(&pool->lock);
	k->pages = pool->pages_nr;
	k->objs = pool->objs_nr;
	k->slot_hw = pool->slot_hw;
	k->slot_free = pool->slot_free;
	k->desc_hw = pool->desc_hw;
	k->ndesc_free = pool->ndesc_free;
	pthread_mutex_unlock(&pool->lock);
}

void zbf_same_counts(struct zbud_pool *pool, const struct zb_counts *a,
		     const char *what)
{
	struct zb_counts b;

	zbf_counts_of(pool, &b);
	if (memcmp(a, &b, sizeof(b)))
		fm_fail("%s changed the pool: pages %" PRIu64 "->%" PRIu64
			", objects %" PRIu64 "->%" PRIu64 ", slots %u->%u (free"
			" head %u->%u), descriptors %u->%u (%u->%u free)",
			what, a->pages, b.pages, a->objs, b.objs, a->slot_hw,
			b.slot_hw, a->slot_free, b.slot_free, a->desc_hw,
			b.desc_hw, a->ndesc_free, b.ndesc_free);
}

/* A refused zbud_alloc must have changed nothing: no handle stored, the
 * same pages, the same bookkeeping. */
static void alloc_refused(struct zb_fuzz *f, size_t size, int ret, uint64_t h,
			  uint64_t before, const struct zb_counts *counts)
{
	if (h != SENTINEL_HANDLE)
		fm_fail("zbud_alloc(%zu) failed with %d but stored "
			"handle %#" PRIx64,
			size, ret, h);
	if (pool_pages(f) != before)
		fm_fail("a failed zbud_alloc changed the pool from %" PRIu64
			" to %" PRIu64 " pages",
			before, pool_pages(f));
	zbf_same_counts(f->pool, counts, "a failed zbud_alloc");
	if (ret == -ENOMEM) {
		zbf_pool_check(f, "after an allocation failure");
		f->verify_pending = true;
	}
}

/* Maps the new object o and books it into the page model: in `fit`'s
 * page (best fit) or, with no fit, in a page the model does not know yet.
 * Returns the map, still held. */
static void *alloc_place(struct zb_fuzz *f, struct fm_obj *o,
			 const struct zb_page *fit)
{
	struct zb_side *s = &f->side[pos_of(f, o)];
	size_t size = o->size;
	struct zb_page *pg;
	uintptr_t page;
	void *p;
	int pi;

	s->mapped = false;
	s->page = 0;
	errno = 0;
	p = zbud_map(f->pool, o->handle);
	if (!p)
		fm_fail("zbud_map of a new object failed, errno %d", errno);
	page = (uintptr_t)p & ~(ZS_PAGE_SIZE - 1);
	pi = zbf_page_find(f, page);
	if (fit) {
		/* Best fit: any page with exactly as few free chunks would
		 * do, so compare hole sizes, not addresses. */
		if (pi < 0 || f->pages[pi].nobj != 1 ||
		    page_free(&f->pages[pi]) != page_free(fit))
			fm_fail("zbud_alloc(%zu) put the object at %p, not in "
				"the best-fitting page %#lx (%u free chunks)",
				size, p, (unsigned long)fit->addr,
				page_free(fit));
		pg = &f->pages[pi];
		s->bud = pg->chunks[FIRST] ? LAST : FIRST;
		pg->nobj = 2;
	} else {
		if (pi >= 0)
			fm_fail("zbud_alloc(%zu) needed a new page but returned "
				"%p in page %#lx the model already knows",
				size, p, (unsigned long)page);
		pg = &f->pages[f->npages++];
		pg->addr = page;
		pg->nobj = 1;
		pg->chunks[FIRST] = pg->chunks[LAST] = 0;
		s->bud = FIRST;
	}
	pg->chunks[s->bud] = (uint8_t)zbf_chunks_of(o->size);
	s->page = page;
	pg->stamp = ++f->clock;
	return p;
}

/* Allocates an object and fills it; NULL when refused as the contract
 * allows, or when the model is full.  Under op_host_fault, the call fails
 * with -ENOMEM exactly when one of its host allocations was failed: every
 * host allocation on zbud_alloc's path is one it cannot do without. */
struct fm_obj *zbf_do_alloc(struct zb_fuzz *f, size_t size, uint8_t fuzz)
{
	uint64_t h = SENTINEL_HANDLE, before = pool_pages(f);
	unsigned long injected = zs_host_failures_injected();
	struct zb_page *fit = NULL;
	struct zb_counts counts;
	struct fm_obj *o;
	int ret, want = 0;
	bool host_failed;
	void *p;

	if (size == 0)
		want = -EINVAL;
	else if (size > ZBUD_MAX_ALLOC_SIZE)
		want = -ENOSPC;
	else if (!fm_has_room(&f->m, size))
		return NULL;
	else
		fit = best_fit(f, (uint32_t)size);
	zbf_counts_of(f->pool, &counts);
	ret = zbud_alloc(f->pool, size, &h);
	host_failed = zs_host_failures_injected() != injected;
	fm_trace("  zbud_alloc(%zu) = %d handle %#" PRIx64 "%s\n", size, ret, h,
		 host_failed ? " (a host allocation failed)" : "");
	if (host_failed && !f->host_armed)
		fm_fail("host allocation failures injected while disarmed");
	if (host_failed && want == 0)
		want = -ENOMEM;
	if (ret != want &&
	    !(want == 0 && ret == -ENOMEM && f->injecting && !fit))
		fm_fail("zbud_alloc(%zu) returned %d, expected %d%s", size, ret,
			want,
			host_failed ? " (a host allocation failed)" :
			fit	    ? " (a page with room exists)" :
				      "");
	if (ret) {
		alloc_refused(f, size, ret, h, before, &counts);
		return NULL;
	}
	if (h == 0 || h == SENTINEL_HANDLE)
		fm_fail("zbud_alloc(%zu) succeeded with handle %#" PRIx64, size,
			h);
	if (pool_pages(f) != before + (fit ? 0 : 1))
		fm_fail("zbud_alloc(%zu) took the pool from %" PRIu64
			" to %" PRIu64 " pages; %s",
			size, before, pool_pages(f),
			fit ? "a one-buddy page had room" : "no page had room");
	o = fm_add(&f->m, h, (uint32_t)size, 0);
	p = alloc_place(f, o, fit);
	zbf_check_place(f, o, p, "a new object");
	fm_pattern(f->buf, o->seed = fm_new_seed(&f->m, fuzz), 0, o->size);
	memcpy(p, f->buf, o->size);
	fm_expect_ret(zbud_unmap(f->pool, h), 0, "zbud_unmap", h);
	return o;
}

void zbf_do_free(struct zb_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o->handle, before = pool_pages(f);
	struct zb_page *pg = zbf_page_of(f, o);
	bool last = pg->nobj == 1;
	/* An isolated page emptied stays until migrate or putback. */
	bool kept = last && pg->addr == f->iso_page;

	fm_expect_ret(zbud_free(f->pool, h), 0, "zbud_free", h);
	zbf_obj_remove(f, o);
	if (kept)
		f->iso_extra = 1;
	if (pool_pages(f) != before - (last && !kept ? 1 : 0))
		fm_fail("zbud_free of %s buddy took the pool from %" PRIu64
			" to %" PRIu64 " pages",
			kept ? "an isolated page's only" :
			last ? "a page's only" :
			       "one of two",
			before, pool_pages(f));
	fm_trace("  zbud_free(%#" PRIx64 ")\n", h);
}

/* ---- the ops ---- */

void zbf_op_alloc(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	zbf_do_alloc(f, zbf_choose_size(kind, raw), fuzz);
}

void zbf_op_free(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	zbf_do_free(f, o);
}

void zbf_op_write(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel, len;
	uint8_t fuzz;

	if (!fc_u16(c, &sel) || !fc_u8(c, &fuzz) || !fc_u16(c, &len) ||
	    !(o = fm_pick(&f->m, sel)))
		return;
	zbf_write_obj(f, o, len % (o->size + 1), fm_new_seed(&f->m, fuzz),
		      false);
}

void zbf_op_read(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	zbf_verify_obj(f, o);
}

static void fill_alloc(void *state, size_t size, uint8_t fuzz)
{
	zbf_do_alloc(state, size, fuzz);
}

void zbf_op_fill(void *state, struct fuzz_cursor *c)
{
	fm_op_fill(state, c, 256, zbf_choose_size, fill_alloc);
}

static void free_at(void *state, uint32_t pos)
{
	struct zb_fuzz *f = state;

	zbf_do_free(f, &f->m.obj[pos]);
}

void zbf_op_free_many(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;

	fm_op_free_many(state, c, &f->m, free_at);
}

void zbf_op_verify_all(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;

	(void)c;
	zbf_verify_all(f);
}
