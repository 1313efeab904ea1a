// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_ops.c - the zbud op-sequence interpreter: its state,
 * the helpers every op is built from, the ops that drive zbud through its
 * API, and the op table fuzz/common/fuzz_interp.c runs.
 *
 * Each op is one small function reading its own arguments from the cursor
 * and checking every result against zs/zbud.h and the shadow model (fuzz/common/fuzz_model.h).  Besides each object's bytes the
 * harness models zbud's pages, because zbud's promises are about pages:
 *   - where an object sits: a page's first buddy starts at chunk 1, its
 *     last buddy ends at the page end (learned from zbud_map's pointer);
 *   - which page an allocation takes: the best fit among one-buddy pages,
 *     a new page only when none fits (so -ENOMEM under fault injection is
 *     only allowed then), never more pages than objects;
 *   - which page reclaim takes: the least recently allocated-into page no
 *     map pins, the first buddy evicted before the last, a page whose
 *     evict failed put back at the LRU head.
 * The evict callback verifies the object's bytes through a map, files it in
 * the "written back" ring (op recall brings it back) and zbud_free()s it;
 * a fail mask makes chosen evicts fail instead.  pools fills the arena's
 * owner table and destroys a pool with maps held.
 *
 * Some paths no sequence of API calls reaches, so a few ops work white-box
 * through zs/zbud_internal.h, each in a file of its own
 * (zbud_ops_internal.h lists them): corrupt (each zbud_pool_check finding
 * must fire, word for word, on the corruption it names, and the pool must
 * be clean once it is undone), page_move (zbud's movable-page callbacks
 * driven step by step, with frees, maps, allocations, reclaim and
 * compaction while a page is isolated) and fatal (a death test); so does
 * host_fault (zs/fault.h: each failed host allocation must surface as
 * -ENOMEM with the pool unchanged), and so does forge (zbud_forge.c:
 * values near handles the pool issued, all refused).
 *
 * Between ops nothing is mapped.  zbud_pool_check, with zs_arena_check of
 * the private arena, runs every ZB_CHECK_EVERY ops, after every move and at
 * the end; at the end everything is freed, the pool holds no page and the
 * private arena none in use.
 *
 * Adding an op: write `static void op_x(void *state, struct fuzz_cursor
 * *c)` (starting `struct zb_fuzz *f = state;`) here, or `void
 * zbf_op_x(...)` in a file of its own in this directory (every .c file
 * here is part of the target) declared in zbud_ops_internal.h; give it a
 * free opcode in zbud_ops.h and a row in zb_op_table below.
 */
#include "fuzz/zbud_fuzz/zbud_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/zbud_fuzz/zbud_ops_internal.h"
#include "fuzz/common/fuzz.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h" /* the pool's counts (zbf_counts_of) */
#include "zs/zsmalloc.h"

#define ZB_CHECK_EVERY 16
/* Owners one arena takes (docs/DESIGN.md, Limits). */
#define ZB_ARENA_OWNERS 1024

static struct zb_fuzz F;

/* ---- small helpers ---- */

static unsigned chunks_of(uint32_t size)
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

static struct zb_page *page_of(struct zb_fuzz *f, const struct fm_obj *o)
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
static void obj_remove(struct zb_fuzz *f, struct fm_obj *o)
{
	uint32_t pos = pos_of(f, o), last = f->m.nlive - 1;
	struct zb_page *pg = page_of(f, o);

	pg->chunks[f->side[pos].bud] = 0;
	if (--pg->nobj == 0)
		page_drop(f, pg);
	fm_remove(&f->m, o);
	f->side[pos] = f->side[last];
}

/* Where the object must sit in its page, by the zbud layout. */
static uintptr_t expected_offset(const struct fm_obj *o, uint8_t bud)
{
	return bud == FIRST ?
		       ZBUD_CHUNK_SIZE :
		       ZS_PAGE_SIZE - chunks_of(o->size) * ZBUD_CHUNK_SIZE;
}

void zbf_check_place(struct zb_fuzz *f, const struct fm_obj *o, const void *p,
		     const char *how)
{
	const struct zb_side *s = &f->side[pos_of(f, o)];
	uintptr_t a = (uintptr_t)p;

	if ((a & ~(ZS_PAGE_SIZE - 1)) != s->page ||
	    (a & (ZS_PAGE_SIZE - 1)) != expected_offset(o, s->bud))
		fm_fail("%s: handle %#" PRIx64 " (%u bytes, %s buddy of page "
			"%#lx) mapped at %p, expected offset %lu",
			how, o->handle, o->size, s->bud ? "last" : "first",
			(unsigned long)s->page, p,
			(unsigned long)expected_offset(o, s->bud));
}

/* Statistics against the model; cheap, so after every op. */
static void check_pages(struct zb_fuzz *f)
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
static void *map_obj_anywhere(struct zb_fuzz *f, const struct fm_obj *o,
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

static void verify_obj(struct zb_fuzz *f, const struct fm_obj *o)
{
	void *p = zbf_map_obj(f, o, "read");

	fm_verify(o, p, "zbud_map");
	fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
		      o->handle);
}

static void verify_all(struct zb_fuzz *f)
{
	uint32_t i;

	for (i = 0; i < f->m.nlive; i++)
		verify_obj(f, &f->m.obj[i]);
}

/* Rewrites [0, len) with seed's pattern (all of it when `fresh`). */
static void write_obj(struct zb_fuzz *f, struct fm_obj *o, uint32_t len,
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
	unsigned need = chunks_of(size), best = ZB_NCHUNKS, fr;
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

/* Allocates an object and fills it; NULL when refused as the contract
 * allows, or when the model is full.  Under op_host_fault, the call fails
 * with -ENOMEM exactly when one of its host allocations was failed: every
 * host allocation on zbud_alloc's path is one it cannot do without. */
struct fm_obj *zbf_do_alloc(struct zb_fuzz *f, size_t size, uint8_t fuzz)
{
	uint64_t h = SENTINEL_HANDLE, before = pool_pages(f);
	struct zb_page *fit = NULL, *pg;
	unsigned long injected = zs_host_failures_injected();
	struct zb_counts counts;
	struct fm_obj *o;
	struct zb_side *s;
	uintptr_t page;
	int ret, want = 0;
	bool host_failed;
	void *p;
	int pi;

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
		if (h != SENTINEL_HANDLE)
			fm_fail("zbud_alloc(%zu) failed with %d but stored "
				"handle %#" PRIx64,
				size, ret, h);
		if (pool_pages(f) != before)
			fm_fail("a failed zbud_alloc changed the pool from %" PRIu64
				" to %" PRIu64 " pages",
				before, pool_pages(f));
		zbf_same_counts(f->pool, &counts, "a failed zbud_alloc");
		if (ret == -ENOMEM) {
			zbf_pool_check(f, "after an allocation failure");
			f->verify_pending = true;
		}
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
	s = &f->side[pos_of(f, o)];
	s->mapped = false;
	s->page = 0;
	errno = 0;
	p = zbud_map(f->pool, h);
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
	pg->chunks[s->bud] = (uint8_t)chunks_of(o->size);
	s->page = page;
	pg->stamp = ++f->clock;
	zbf_check_place(f, o, p, "a new object");
	fm_pattern(f->buf, o->seed = fm_new_seed(&f->m, fuzz), 0, o->size);
	memcpy(p, f->buf, o->size);
	fm_expect_ret(zbud_unmap(f->pool, h), 0, "zbud_unmap", h);
	return o;
}

void zbf_do_free(struct zb_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o->handle, before = pool_pages(f);
	struct zb_page *pg = page_of(f, o);
	bool last = pg->nobj == 1;
	/* An isolated page emptied stays until migrate or putback. */
	bool kept = last && pg->addr == f->iso_page;

	fm_expect_ret(zbud_free(f->pool, h), 0, "zbud_free", h);
	obj_remove(f, o);
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

/* ---- the pool ---- */

static int zb_evict(struct zbud_pool *pool, uint64_t handle);

static const struct zbud_ops evict_ops = { .evict = zb_evict };

static void pool_open(struct zb_fuzz *f, uint8_t cfg)
{
	f->arena = zs_arena_create();
	if (!f->arena)
		fm_fail("zs_arena_create failed, errno %d", errno);
	f->has_evict = !(cfg & 1);
	f->pool = zbud_create_pool_arena(f->has_evict ? &evict_ops : NULL,
					 f->arena);
	if (!f->pool)
		fm_fail("zbud_create_pool_arena failed, errno %d", errno);
	f->injecting = false;
	f->host_armed = false;
	f->npages = 0;
	f->nheld = 0;
	f->iso_page = 0;
	f->iso_extra = 0;
	if (pool_pages(f))
		fm_fail("a new pool holds %" PRIu64 " pages", pool_pages(f));
}

static void drain(struct zb_fuzz *f)
{
	while (f->m.nlive)
		zbf_do_free(f, &f->m.obj[0]);
	if (pool_pages(f) || f->npages)
		fm_fail("an emptied pool holds %" PRIu64 " pages",
			pool_pages(f));
	zbf_full_check(f, "on an emptied pool");
}

static void pool_close(struct zb_fuzz *f, bool free_first)
{
	struct zs_arena_stats as;
	int ret;

	zs_arena_inject_failures(f->arena, 0, 0);
	f->injecting = false;
	if (free_first)
		drain(f);
	zbud_destroy_pool(f->pool);
	f->pool = NULL;
	while (f->m.nlive)
		fm_remove(&f->m, &f->m.obj[f->m.nlive - 1]);
	f->npages = 0;
	memset(&as, 0, sizeof(as));
	zs_arena_stats(f->arena, &as);
	if (as.pages_in_use)
		fm_fail("the private arena still has %lu pages in use after "
			"its only pool was destroyed",
			as.pages_in_use);
	ret = zs_arena_destroy(f->arena);
	if (ret)
		fm_fail("zs_arena_destroy of an unused arena: %d", ret);
	f->arena = NULL;
}

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

/*
 * The evict callback: the object must be a buddy of the LRU victim, the
 * first before the last; it is verified through a map, written back and
 * freed, unless the fail mask says this evict fails.
 */
static int zb_evict(struct zbud_pool *pool, uint64_t handle)
{
	struct zb_fuzz *f = &F;
	unsigned call = f->ncalls++;
	struct zb_page *pg, *v;
	struct fm_obj *o;
	struct zb_side *s;
	void *p;
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
	pg = page_of(f, o);
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
	if (f->rflags & 1)
		zbf_pool_check(f, "inside an evict callback");
	if (f->nheld == ZB_MAPS) {
		/* This thread cannot map another object: the write-back
		 * cannot read it, so the evict fails. */
		errno = 0;
		p = zbud_map(pool, handle);
		fm_expect_null(p, errno, EBUSY,
			       "zbud_map in evict at the map limit", handle);
		ret = -EBUSY;
	} else if (f->fail_mask >> (call % 16) & 1) {
		ret = -EIO;
	} else {
		p = zbf_map_obj(f, o, "evict");
		fm_verify(o, p, "zbud_map in evict");
		if (f->rflags & 2)
			fm_expect_ret(zbud_free(pool, handle), -EBUSY,
				      "zbud_free of a mapped object in evict",
				      handle);
		fm_expect_ret(zbud_unmap(pool, handle), 0,
			      "zbud_unmap in evict", handle);
		wb_file(f, o);
		fm_expect_ret(zbud_free(pool, handle), 0, "zbud_free in evict",
			      handle);
		ret = 0;
	}
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
	obj_remove(f, o);
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

/* ---- the ops ---- */

static void op_alloc(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	zbf_do_alloc(f, zbf_choose_size(kind, raw), fuzz);
}

static void op_free(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	zbf_do_free(f, o);
}

static void op_write(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel, len;
	uint8_t fuzz;

	if (!fc_u16(c, &sel) || !fc_u8(c, &fuzz) || !fc_u16(c, &len) ||
	    !(o = fm_pick(&f->m, sel)))
		return;
	write_obj(f, o, len % (o->size + 1), fm_new_seed(&f->m, fuzz), false);
}

static void op_read(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	verify_obj(f, o);
}

/*
 * Up to ZB_MAPS + 2 maps at once (over the limit and twice: -EBUSY),
 * writes through some, work done while they are held (free -> -EBUSY,
 * reclaim skipping the pinned pages, arena compaction moving none of them,
 * a check), then unmapped in another order, each unmapped twice.  Work may
 * free other objects, which moves model positions: held objects are
 * named by handle.
 */
static void op_nested(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint64_t held[ZB_MAPS], h;
	void *hp[ZB_MAPS], *p;
	uint16_t sel[ZB_MAPS + 2];
	uint8_t n, flags, order;
	unsigned i, j, k;
	struct fm_obj *o;
	bool done[ZB_MAPS] = { false };

	if (!fc_u8(c, &n) || !fc_u8(c, &flags) || !fc_u8(c, &order))
		return;
	n = (uint8_t)(1 + n % (ZB_MAPS + 2));
	for (i = 0; i < n; i++)
		if (!fc_u16(c, &sel[i]))
			return;
	if (!f->m.nlive)
		return;
	f->nheld = 0;
	for (i = 0; i < n; i++) {
		o = fm_pick(&f->m, sel[i]);
		h = o->handle;
		if (f->side[pos_of(f, o)].mapped || f->nheld == ZB_MAPS) {
			errno = 0;
			p = zbud_map(f->pool, h);
			fm_expect_null(p, errno, EBUSY,
				       f->side[pos_of(f, o)].mapped ?
					       "zbud_map of a mapped handle" :
					       "zbud_map over the map limit",
				       h);
			continue;
		}
		p = zbf_map_obj(f, o, "nested map");
		fm_verify(o, p, "nested zbud_map");
		if (sel[i] & 0x8000) {
			uint32_t len = fm_write_len(o, (sel[i] >> 4) & 0x7ff);
			uint32_t seed = fm_new_seed(&f->m, (uint8_t)i);

			fm_pattern(f->buf, seed, 0, len);
			memcpy(p, f->buf, len);
			fm_note_write(o, len, seed);
		}
		f->side[pos_of(f, o)].mapped = true;
		held[f->nheld] = h;
		hp[f->nheld] = p;
		f->held_page[f->nheld++] = f->side[pos_of(f, o)].page;
	}
	fm_trace("  nested: %u held, flags %#x\n", f->nheld, flags);
	if (flags & 1)
		fm_expect_ret(zbud_free(f->pool, held[0]), -EBUSY,
			      "zbud_free while mapped", held[0]);
	if ((flags & 2) && f->has_evict)
		zbf_do_reclaim(f, 1 + (flags >> 4) % 4, 0, 0);
	/* Compaction only below the map limit: zbf_relocate() maps the objects
	 * not held to learn where they went. */
	if ((flags & 4) && f->nheld < ZB_MAPS) {
		zs_arena_compact(f->arena);
		zbf_relocate(f, "arena compaction with maps held");
	}
	if (flags & 8)
		zbf_pool_check(f, "with maps held");
	for (i = 0; i < f->nheld; i++) {
		o = fm_find(&f->m, held[i]);
		if (!o)
			fm_fail("held handle %#" PRIx64 " was freed under its "
				"map",
				held[i]);
		fm_verify(o, hp[i], "a held map after work");
		zbf_check_place(f, o, hp[i], "a held map after work");
	}
	for (k = 0; k < f->nheld; k++) {
		j = (k * (2u * order + 1) + order) % f->nheld;
		/* A permutation only when gcd(2*order+1, nheld) = 1: step
		 * over entries already released. */
		while (done[j])
			j = (j + 1) % f->nheld;
		done[j] = true;
		h = held[j];
		fm_expect_ret(zbud_unmap(f->pool, h), 0, "nested zbud_unmap",
			      h);
		fm_expect_ret(zbud_unmap(f->pool, h), -EINVAL,
			      "zbud_unmap twice", h);
		f->side[pos_of(f, fm_find(&f->m, h))].mapped = false;
	}
	f->nheld = 0;
	if (flags & 6)
		f->verify_pending = true;
}

static void op_reclaim(void *state, struct fuzz_cursor *c)
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

void zbf_check_bad_handle(struct zb_fuzz *f, uint64_t h, const char *what)
{
	uint64_t before = pool_pages(f);
	char call[96];
	void *p;

	snprintf(call, sizeof(call), "zbud_free of %s", what);
	fm_expect_ret(zbud_free(f->pool, h), -EINVAL, call, h);
	snprintf(call, sizeof(call), "zbud_map of %s", what);
	errno = 0;
	p = zbud_map(f->pool, h);
	fm_expect_null(p, errno, EINVAL, call, h);
	snprintf(call, sizeof(call), "zbud_unmap of %s", what);
	fm_expect_ret(zbud_unmap(f->pool, h), -EINVAL, call, h);
	if (pool_pages(f) != before)
		fm_fail("%s changed the pool's pages", what);
}

/* A second pool its user emptied must check clean and hold no page; then
 * it goes. */
void zbf_destroy_emptied_pool(struct zbud_pool *other)
{
	fm_expect_ret(zbud_pool_check(other), 0, "zbud_pool_check(second pool)",
		      0);
	if (zbud_get_pool_size(other))
		fm_fail("an emptied second pool holds %" PRIu64 " pages",
			zbud_get_pool_size(other));
	zbud_destroy_pool(other);
}

/* A second pool on the same arena: handles do not cross, and one without
 * an evict callback cannot reclaim. */
static void misuse_foreign(struct zb_fuzz *f, uint16_t arg)
{
	struct zbud_pool *other;
	struct fm_obj *o;
	uint64_t oh = SENTINEL_HANDLE;
	size_t size = 1 + arg % ZBUD_MAX_ALLOC_SIZE;
	void *p;
	int ret;

	other = zbud_create_pool_arena(NULL, f->arena);
	if (!other)
		fm_fail("creating a second pool failed, errno %d", errno);
	fm_expect_ret(zbud_reclaim_page(other, 4), -EINVAL,
		      "zbud_reclaim_page of a pool without evict", 0);
	ret = zbud_alloc(other, size, &oh);
	if (ret && !(ret == -ENOMEM && f->injecting))
		fm_fail("zbud_alloc(%zu) in a second pool: %d", size, ret);
	if (!ret) {
		if (!fm_find(&f->m, oh))
			zbf_check_bad_handle(f, oh, "another pool's handle");
		fm_expect_ret(zbud_reclaim_page(other, 4), -EINVAL,
			      "zbud_reclaim_page of a pool without evict", 0);
		if (zbud_get_pool_size(other) != 1)
			fm_fail("a second pool with one object has %" PRIu64
				" pages",
				zbud_get_pool_size(other));
		fm_expect_ret(zbud_free(other, oh), 0,
			      "zbud_free in a second pool", oh);
	}
	if ((o = fm_pick(&f->m, arg))) {
		fm_expect_ret(zbud_free(other, o->handle), -EINVAL,
			      "zbud_free of another pool's handle", o->handle);
		errno = 0;
		p = zbud_map(other, o->handle);
		fm_expect_null(p, errno, EINVAL,
			       "zbud_map of another pool's handle", o->handle);
	}
	zbf_destroy_emptied_pool(other);
}

static void misuse_args(struct zb_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o ? o->handle : SENTINEL_HANDLE, out = SENTINEL_HANDLE;
	void *p;

	fm_expect_ret(zbud_alloc(NULL, 16, &out), -EINVAL,
		      "zbud_alloc(NULL pool)", out);
	fm_expect_ret(zbud_alloc(f->pool, 16, NULL), -EINVAL,
		      "zbud_alloc(NULL handle pointer)", 0);
	if (out != SENTINEL_HANDLE)
		fm_fail("zbud_alloc(NULL pool) stored a handle");
	fm_expect_ret(zbud_free(NULL, h), -EINVAL, "zbud_free(NULL pool)", h);
	errno = 0;
	p = zbud_map(NULL, h);
	fm_expect_null(p, errno, EINVAL, "zbud_map(NULL pool)", h);
	fm_expect_ret(zbud_unmap(NULL, h), -EINVAL, "zbud_unmap(NULL pool)", h);
	fm_expect_ret(zbud_reclaim_page(NULL, 1), -EINVAL,
		      "zbud_reclaim_page(NULL)", 0);
	fm_expect_ret(zbud_pool_check(NULL), -EINVAL, "zbud_pool_check(NULL)",
		      0);
	if (zbud_get_pool_size(NULL))
		fm_fail("zbud_get_pool_size(NULL) is not 0");
	zbud_destroy_pool(NULL);
}

static void op_misuse(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	const char *what;
	uint64_t h, out;
	struct fm_obj *o;
	uint16_t arg;
	uint8_t kind;
	size_t size;
	void *p, *q;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	o = fm_pick(&f->m, arg);
	switch (kind % 9) {
	case 0: /* handle 0, a forged handle, a stale one */
	case 1:
	case 2:
		what = fm_bad_handle(&f->m, kind % 9, arg, &h);
		if (what)
			zbf_check_bad_handle(f, h, what);
		break;
	case 3: /* double free of a fresh object */
		o = zbf_do_alloc(f, 1 + arg % ZBUD_MAX_ALLOC_SIZE,
				 (uint8_t)arg);
		if (o) {
			h = o->handle;
			zbf_do_free(f, o);
			zbf_check_bad_handle(f, h, "a double-freed handle");
		}
		break;
	case 4: /* unmap without map */
		if (o)
			fm_expect_ret(zbud_unmap(f->pool, o->handle), -EINVAL,
				      "zbud_unmap without zbud_map", o->handle);
		break;
	case 5: /* free while mapped, map twice */
		if (!o)
			break;
		p = zbf_map_obj(f, o, "misuse map");
		fm_verify(o, p, "zbud_map");
		fm_expect_ret(zbud_free(f->pool, o->handle), -EBUSY,
			      "zbud_free while mapped", o->handle);
		errno = 0;
		q = zbud_map(f->pool, o->handle);
		fm_expect_null(q, errno, EBUSY, "zbud_map of a mapped handle",
			       o->handle);
		fm_verify(o, p, "zbud_map after refused calls");
		fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
			      o->handle);
		fm_expect_ret(zbud_unmap(f->pool, o->handle), -EINVAL,
			      "zbud_unmap twice", o->handle);
		break;
	case 6:
		misuse_args(f, o);
		break;
	case 7: /* sizes out of range */
		size = (arg & 3) == 0 ? 0 :
		       (arg & 3) == 1 ? ZBUD_MAX_ALLOC_SIZE + 1 :
		       (arg & 3) == 2 ? ZS_PAGE_SIZE + (arg >> 2) :
					SIZE_MAX;
		out = SENTINEL_HANDLE;
		fm_expect_ret(zbud_alloc(f->pool, size, &out),
			      size ? -ENOSPC : -EINVAL,
			      "zbud_alloc of a bad size", size);
		if (out != SENTINEL_HANDLE)
			fm_fail("a refused zbud_alloc stored a handle");
		break;
	default:
		misuse_foreign(f, arg);
		break;
	}
	check_pages(f);
	zbf_pool_check(f, "after misuse");
	if (o && fm_find(&f->m, o->handle))
		verify_obj(f, o);
}

static void op_inject(void *state, struct fuzz_cursor *c)
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
		p = map_obj_anywhere(f, o, when);
		fm_verify(o, p, when);
		fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
			      o->handle);
		newp[i] = (uintptr_t)p & ~(ZS_PAGE_SIZE - 1);
		if (((uintptr_t)p & (ZS_PAGE_SIZE - 1)) !=
		    expected_offset(o, f->side[i].bud))
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

static void op_arena_compact(void *state, struct fuzz_cursor *c)
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

static void op_check(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;

	(void)c;
	zbf_full_check(f, "(op)");
}

static void op_fill(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t count, kind, fuzz;
	uint16_t raw;
	unsigned i;

	if (!fc_u8(c, &count) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &fuzz))
		return;
	for (i = 0; i < count; i++)
		zbf_do_alloc(f, zbf_choose_size(kind, (uint16_t)(raw + i * 97)),
			     (uint8_t)(fuzz + i));
}

static void op_free_many(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t stride, offset;
	uint32_t i;

	if (!fc_u8(c, &stride) || !fc_u8(c, &offset))
		return;
	stride = (uint8_t)(2 + stride % 7);
	/* Backwards, so removals (the last object moves into the hole) do
	 * not disturb the positions still to visit. */
	for (i = f->m.nlive; i-- > 0;)
		if ((i + offset) % stride == 0)
			zbf_do_free(f, &f->m.obj[i]);
}

static void op_verify_all(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;

	(void)c;
	verify_all(f);
}

static void op_recreate(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	/* flags & 1: destroy with objects live (the pool frees them). */
	pool_close(f, !(flags & 1));
	pool_open(f, cfg);
}

/* Swap-in: an object written back comes into the pool again, unchanged. */
static void op_recall(void *state, struct fuzz_cursor *c)
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
	verify_obj(f, o);
}

/*
 * Second pools on the private arena until its owner table is full: the
 * one past it is refused (NULL, ENOSPC), and any pool destroyed makes room.
 * flags & 1: a pool destroyed with ZB_MAPS maps still held by this thread
 * must give the thread its map slots back.
 */
static void op_pools(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	static struct zbud_pool *pools[ZB_ARENA_OWNERS];
	struct zbud_pool *q;
	uint64_t h[ZB_MAPS];
	uint16_t want;
	uint8_t flags;
	unsigned i, n = 0;
	void *p;

	if (!fc_u16(c, &want) || !fc_u8(c, &flags))
		return;
	want %= ZB_ARENA_OWNERS + 2;
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
	fm_trace("  %u pools made\n", n);
	/* Its pages come from the private arena: not while op_inject may
	 * refuse them. */
	if ((flags & 1) && n && !f->injecting) {
		q = pools[--n];
		for (i = 0; i < ZB_MAPS; i++) {
			fm_expect_ret(zbud_alloc(q, 1 + i * 300, &h[i]), 0,
				      "zbud_alloc in a second pool", 0);
			errno = 0;
			if (!zbud_map(q, h[i]))
				fm_fail("zbud_map in a second pool failed, "
					"errno %d",
					errno);
		}
		zbud_destroy_pool(q);
		/* A fresh pool: the thread's map table must have room. */
		q = zbud_create_pool_arena(NULL, f->arena);
		if (!q)
			fm_fail("zbud_create_pool_arena after a destroy "
				"failed, errno %d",
				errno);
		fm_expect_ret(zbud_alloc(q, 100, &h[0]), 0,
			      "zbud_alloc in a fresh pool", 0);
		errno = 0;
		p = zbud_map(q, h[0]);
		if (!p)
			fm_fail("zbud_map after a pool was destroyed with %u "
				"maps held failed, errno %d",
				ZB_MAPS, errno);
		fm_expect_ret(zbud_unmap(q, h[0]), 0, "zbud_unmap", h[0]);
		zbud_destroy_pool(q);
	}
	for (i = 0; i < n; i++)
		zbud_destroy_pool(pools[flags & 2 ? n - 1 - i : i]);
	zbf_full_check(f, "after second pools");
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void zb_begin(void *state, uint8_t cfg)
{
	struct zb_fuzz *f = state;

	fm_reset(&f->m);
	f->verify_pending = false;
	f->reclaiming = false;
	f->clock = 0;
	f->nwb = f->wb_pos = 0;
	f->written_back = 0;
	pool_open(f, cfg);
}

static void zb_after_op(void *state, bool periodic)
{
	struct zb_fuzz *f = state;

	check_pages(f);
	if (f->verify_pending) {
		verify_all(f);
		f->verify_pending = false;
	}
	if (periodic)
		zbf_full_check(f, "(periodic)");
}

static void zb_end(void *state)
{
	struct zb_fuzz *f = state;

	zs_arena_inject_failures(f->arena, 0, 0);
	f->injecting = false;
	verify_all(f);
	zbf_full_check(f, "at the end");
	pool_close(f, true);
}

static void zb_describe(void *state, char *buf, size_t size)
{
	struct zb_fuzz *f = state;

	snprintf(buf, size, "live %u, %llu bytes, %u pages", f->m.nlive,
		 (unsigned long long)f->m.bytes, f->npages);
}

static const struct fm_op zb_op_table[ZB_OP_SLOTS] = {
	[ZB_OP_ALLOC] = { "alloc", op_alloc },
	[ZB_OP_FREE] = { "free", op_free },
	[ZB_OP_WRITE] = { "write", op_write },
	[ZB_OP_READ] = { "read", op_read },
	[ZB_OP_NESTED] = { "nested", op_nested },
	[ZB_OP_RECLAIM] = { "reclaim", op_reclaim },
	[ZB_OP_MISUSE] = { "misuse", op_misuse },
	[ZB_OP_INJECT] = { "inject", op_inject },
	[ZB_OP_ARENA_COMPACT] = { "arena_compact", op_arena_compact },
	[ZB_OP_CHECK] = { "check", op_check },
	[ZB_OP_FILL] = { "fill", op_fill },
	[ZB_OP_FREE_MANY] = { "free_many", op_free_many },
	[ZB_OP_VERIFY_ALL] = { "verify_all", op_verify_all },
	[ZB_OP_RECREATE] = { "recreate", op_recreate },
	[ZB_OP_RECALL] = { "recall", op_recall },
	[ZB_OP_CORRUPT] = { "corrupt", zbf_op_corrupt },
	[ZB_OP_HOST_FAULT] = { "host_fault", zbf_op_host_fault },
	[ZB_OP_PAGE_MOVE] = { "page_move", zbf_op_page_move },
	[ZB_OP_POOLS] = { "pools", op_pools },
	[ZB_OP_FATAL] = { "fatal", zbf_op_fatal },
	[ZB_OP_FORGE] = { "forge", zbf_op_forge },
};

static const struct fm_target zb_target = {
	.name = "zbud",
	.state = &F,
	.ops = zb_op_table,
	.nops = ZB_OP_SLOTS,
	.check_every = ZB_CHECK_EVERY,
	.begin = zb_begin,
	.after_op = zb_after_op,
	.end = zb_end,
	.describe = zb_describe,
};

const char *zb_fuzz_op_name(unsigned opcode)
{
	return fm_op_name(&zb_target, opcode);
}

int zb_fuzz_run(const uint8_t *data, size_t size)
{
	return fm_run(&zb_target, data, size);
}
