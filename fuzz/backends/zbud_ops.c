/*
 * fuzz/backends/zbud_ops.c - the zbud op-sequence interpreter and its op
 * table.
 *
 * Each op is one small function reading its own arguments from the cursor
 * and checking every result against zs/zbud.h, the contract of issue 6 and
 * the shadow model (fuzz/fuzz_model.h).  Besides each object's bytes the
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
 * a fail mask makes chosen evicts fail instead.
 *
 * Some paths no sequence of API calls reaches, so a few ops work white-box
 * through zs/zbud_internal.h: corrupt (each zbud_pool_check finding must
 * fire, word for word, on the corruption it names, and the pool must be
 * clean once it is undone), page_move (zbud's movable-page callbacks driven
 * step by step, with frees, maps, allocations, reclaim and compaction while
 * a page is isolated), host_fault (zs/fault.h: each failed host allocation
 * must surface as -ENOMEM with the pool unchanged) and pools (the arena's
 * owner limit, a pool destroyed with maps held).
 *
 * Between ops nothing is mapped.  zbud_pool_check runs every ZB_CHECK_EVERY
 * ops, after every move and at the end; at the end everything is freed,
 * the pool holds no page and the private arena none in use.
 */
#include "fuzz/backends/zbud_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_cursor.h"
#include "fuzz/fuzz_death.h"
#include "fuzz/fuzz_model.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/report.h"
#include "zs/sanitizer.h" /* raw access to the poisoned header chunk */
#include "zs/zbud.h"
#include "zs/zbud_internal.h" /* white-box ops: corrupt, page_move, ... */
#include "zs/zsmalloc.h" /* ZS_MAX_THREAD_MAPS: zbud's map limit */

#define ZB_CHECK_EVERY 16
#define ZB_NCHUNKS ((unsigned)(ZS_PAGE_SIZE / ZBUD_CHUNK_SIZE))
#define ZB_BUDDY_CHUNKS (ZB_NCHUNKS - 1) /* chunk 0 is the header */
#define ZB_MAPS ZS_MAX_THREAD_MAPS
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull
#define WB_RING 64
/* Owners one arena takes (docs/DESIGN.md, Limits). */
#define ZB_ARENA_OWNERS 1024

/* Per live object, parallel to fuzz_model.obj[] (kept in step by
 * obj_remove()). */
struct zb_side {
	uintptr_t page;
	uint8_t bud;
	bool mapped;
};

/* A page as the model sees it: where, how recently allocated into (the
 * LRU), how many buddies. */
struct zb_page {
	uintptr_t addr;
	uint64_t stamp;
	uint8_t nobj;
	uint8_t chunks[2]; /* per buddy, 0 = free */
};

/* What the evict callback wrote back: enough to recreate the bytes. */
struct zb_wb {
	uint32_t size, split, seed, seed2;
};

struct zb_fuzz {
	struct zbud_pool *pool;
	struct zs_arena *arena;
	bool has_evict;
	bool injecting;
	bool host_armed; /* zs_inject_host_failures armed (op_host_fault) */
	bool verify_pending;
	struct fuzz_model m;
	struct zb_side side[FM_MAX_LIVE];
	struct zb_page pages[FM_MAX_LIVE];
	uint32_t npages;
	uint64_t clock;
	/* Maps held by op_nested, whose pages reclaim must skip. */
	uintptr_t held_page[ZB_MAPS];
	unsigned nheld;
	/* The page op_page_move holds isolated (reclaim must skip it), and
	 * whether it was emptied meanwhile: zbud keeps such a page until
	 * putback, so the pool has one page the model does not. */
	uintptr_t iso_page;
	unsigned iso_extra;
	/* The reclaim in progress (evict callback state). */
	bool reclaiming;
	uint16_t fail_mask;
	uint8_t rflags;
	unsigned ncalls;
	unsigned turns;
	unsigned emptied;
	unsigned turn_left; /* buddies still to evict in this page's turn */
	uintptr_t turn_page;
	/* The written-back ring. */
	struct zb_wb wb[WB_RING];
	unsigned nwb, wb_pos;
	unsigned long written_back;
	uint8_t buf[FM_MAX_OBJ];
};

static struct zb_fuzz F;

/* ---- small helpers ---- */

static void expect_ret(int got, int want, const char *call, uint64_t h)
{
	if (got != want)
		fm_fail("%s(handle %#" PRIx64 ") returned %d, expected %d",
			call, h, got, want);
}

static void expect_null(const void *p, int err, int want, const char *call,
			uint64_t h)
{
	if (p || err != want)
		fm_fail("%s(handle %#" PRIx64 ") returned %p errno %d, "
			"expected NULL errno %d",
			call, h, p, err, want);
}

static unsigned chunks_of(uint32_t size)
{
	return (size + ZBUD_CHUNK_SIZE - 1) / ZBUD_CHUNK_SIZE;
}

static uint32_t pos_of(const struct zb_fuzz *f, const struct fm_obj *o)
{
	return (uint32_t)(o - f->m.obj);
}

static uint64_t pool_pages(struct zb_fuzz *f)
{
	return zbud_get_pool_size(f->pool);
}

static void pool_check(struct zb_fuzz *f, const char *when)
{
	int ret = zbud_pool_check(f->pool);

	if (ret)
		fm_fail("zbud_pool_check %s returned %d", when, ret);
}

static int page_find(const struct zb_fuzz *f, uintptr_t addr)
{
	uint32_t i;

	for (i = 0; i < f->npages; i++)
		if (f->pages[i].addr == addr)
			return (int)i;
	return -1;
}

static struct zb_page *page_of(struct zb_fuzz *f, const struct fm_obj *o)
{
	int i = page_find(f, f->side[pos_of(f, o)].page);

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

static void check_place(struct zb_fuzz *f, const struct fm_obj *o,
			const void *p, const char *how)
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

static void full_check(struct zb_fuzz *f, const char *when)
{
	pool_check(f, when);
	check_model(f);
}

/* ---- reading and writing one object ---- */

static void *map_obj(struct zb_fuzz *f, const struct fm_obj *o, const char *how)
{
	void *p;

	errno = 0;
	p = zbud_map(f->pool, o->handle);
	if (!p)
		fm_fail("%s: zbud_map(%#" PRIx64 ") failed, errno %d", how,
			o->handle, errno);
	check_place(f, o, p, how);
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
	void *p = map_obj(f, o, "read");

	fm_verify(o, p, "zbud_map");
	expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap", o->handle);
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
	void *p = map_obj(f, o, "write");

	len = fresh ? o->size : fm_write_len(o, len);
	if (!fresh)
		fm_verify(o, p, "zbud_map before a write");
	fm_pattern(f->buf, seed, 0, len);
	memcpy(p, f->buf, len);
	expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap", o->handle);
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
static size_t choose_size(uint8_t kind, uint16_t raw)
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

/* The pool's bookkeeping, read white-box: a failed call must leave it as
 * it was.  Table capacities are left out: a table grown before a later
 * step failed is just spare room. */
struct zb_counts {
	uint64_t pages, objs;
	uint32_t slot_hw, slot_free;
	uint32_t desc_hw, ndesc_free;
};

static void counts_of(struct zbud_pool *pool, struct zb_counts *k)
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

static void same_counts(struct zbud_pool *pool, const struct zb_counts *a,
			const char *what)
{
	struct zb_counts b;

	counts_of(pool, &b);
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
static struct fm_obj *do_alloc(struct zb_fuzz *f, size_t size, uint8_t fuzz)
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
	counts_of(f->pool, &counts);
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
		same_counts(f->pool, &counts, "a failed zbud_alloc");
		if (ret == -ENOMEM) {
			pool_check(f, "after an allocation failure");
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
	pi = page_find(f, page);
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
	check_place(f, o, p, "a new object");
	fm_pattern(f->buf, o->seed = fm_new_seed(&f->m, fuzz), 0, o->size);
	memcpy(p, f->buf, o->size);
	expect_ret(zbud_unmap(f->pool, h), 0, "zbud_unmap", h);
	return o;
}

static void do_free(struct zb_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o->handle, before = pool_pages(f);
	struct zb_page *pg = page_of(f, o);
	bool last = pg->nobj == 1;
	/* An isolated page emptied stays until migrate or putback. */
	bool kept = last && pg->addr == f->iso_page;

	expect_ret(zbud_free(f->pool, h), 0, "zbud_free", h);
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
		do_free(f, &f->m.obj[0]);
	if (pool_pages(f) || f->npages)
		fm_fail("an emptied pool holds %" PRIu64 " pages",
			pool_pages(f));
	full_check(f, "on an emptied pool");
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
		pool_check(f, "inside an evict callback");
	if (f->nheld == ZB_MAPS) {
		/* This thread cannot map another object: the write-back
		 * cannot read it, so the evict fails. */
		errno = 0;
		p = zbud_map(pool, handle);
		expect_null(p, errno, EBUSY,
			    "zbud_map in evict at the map limit", handle);
		ret = -EBUSY;
	} else if (f->fail_mask >> (call % 16) & 1) {
		ret = -EIO;
	} else {
		p = map_obj(f, o, "evict");
		fm_verify(o, p, "zbud_map in evict");
		if (f->rflags & 2)
			expect_ret(zbud_free(pool, handle), -EBUSY,
				   "zbud_free of a mapped object in evict",
				   handle);
		expect_ret(zbud_unmap(pool, handle), 0, "zbud_unmap in evict",
			   handle);
		wb_file(f, o);
		expect_ret(zbud_free(pool, handle), 0, "zbud_free in evict",
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
static void do_reclaim(struct zb_fuzz *f, unsigned retries, uint16_t mask,
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
		expect_ret(ret, -EINVAL, "zbud_reclaim_page without evict", 0);
		if (f->ncalls)
			fm_fail("a pool without evict called evict");
		return;
	}
	if (f->turn_left)
		fm_fail("zbud_reclaim_page returned with %u buddies of page "
			"%#lx not evicted",
			f->turn_left, (unsigned long)f->turn_page);
	want = f->emptied ? 0 : -EAGAIN;
	expect_ret(ret, want, "zbud_reclaim_page", retries);
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

static void op_alloc(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	do_alloc(f, choose_size(kind, raw), fuzz);
}

static void op_free(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	do_free(f, o);
}

static void op_write(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	struct fm_obj *o;
	uint16_t sel, len;
	uint8_t fuzz;

	if (!fc_u16(c, &sel) || !fc_u8(c, &fuzz) || !fc_u16(c, &len) ||
	    !(o = fm_pick(&f->m, sel)))
		return;
	write_obj(f, o, len % (o->size + 1), fm_new_seed(&f->m, fuzz), false);
}

static void op_read(struct zb_fuzz *f, struct fuzz_cursor *c)
{
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
static void relocate(struct zb_fuzz *f, const char *when);

static void op_nested(struct zb_fuzz *f, struct fuzz_cursor *c)
{
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
			expect_null(p, errno, EBUSY,
				    f->side[pos_of(f, o)].mapped ?
					    "zbud_map of a mapped handle" :
					    "zbud_map over the map limit",
				    h);
			continue;
		}
		p = map_obj(f, o, "nested map");
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
		expect_ret(zbud_free(f->pool, held[0]), -EBUSY,
			   "zbud_free while mapped", held[0]);
	if ((flags & 2) && f->has_evict)
		do_reclaim(f, 1 + (flags >> 4) % 4, 0, 0);
	/* Compaction only below the map limit: relocate() maps the objects
	 * not held to learn where they went. */
	if ((flags & 4) && f->nheld < ZB_MAPS) {
		zs_arena_compact(f->arena);
		relocate(f, "arena compaction with maps held");
	}
	if (flags & 8)
		pool_check(f, "with maps held");
	for (i = 0; i < f->nheld; i++) {
		o = fm_find(&f->m, held[i]);
		if (!o)
			fm_fail("held handle %#" PRIx64 " was freed under its "
				"map",
				held[i]);
		fm_verify(o, hp[i], "a held map after work");
		check_place(f, o, hp[i], "a held map after work");
	}
	for (k = 0; k < f->nheld; k++) {
		j = (k * (2u * order + 1) + order) % f->nheld;
		/* A permutation only when gcd(2*order+1, nheld) = 1: step
		 * over entries already released. */
		while (done[j])
			j = (j + 1) % f->nheld;
		done[j] = true;
		h = held[j];
		expect_ret(zbud_unmap(f->pool, h), 0, "nested zbud_unmap", h);
		expect_ret(zbud_unmap(f->pool, h), -EINVAL, "zbud_unmap twice",
			   h);
		f->side[pos_of(f, fm_find(&f->m, h))].mapped = false;
	}
	f->nheld = 0;
	if (flags & 6)
		f->verify_pending = true;
}

static void op_reclaim(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t retries, flags;
	uint16_t mask;
	unsigned guard;

	if (!fc_u8(c, &retries) || !fc_u16(c, &mask) || !fc_u8(c, &flags))
		return;
	retries %= 12;
	if (!(flags & 4)) {
		do_reclaim(f, retries, mask, flags);
	} else {
		/* Reclaim until nothing can be (the fail mask applies to the
		 * first call only): the writeback of a whole pool. */
		for (guard = 0; guard <= FM_MAX_LIVE; guard++) {
			do_reclaim(f, retries | 1, guard ? 0 : mask, flags);
			if (!f->emptied)
				break;
		}
		if (f->has_evict && f->npages && !(guard == 0 && mask))
			fm_fail("reclaim until -EAGAIN left %u pages",
				f->npages);
	}
	full_check(f, "after reclaim");
}

static void check_bad_handle(struct zb_fuzz *f, uint64_t h, const char *what)
{
	uint64_t before = pool_pages(f);
	char call[96];
	void *p;

	snprintf(call, sizeof(call), "zbud_free of %s", what);
	expect_ret(zbud_free(f->pool, h), -EINVAL, call, h);
	snprintf(call, sizeof(call), "zbud_map of %s", what);
	errno = 0;
	p = zbud_map(f->pool, h);
	expect_null(p, errno, EINVAL, call, h);
	snprintf(call, sizeof(call), "zbud_unmap of %s", what);
	expect_ret(zbud_unmap(f->pool, h), -EINVAL, call, h);
	if (pool_pages(f) != before)
		fm_fail("%s changed the pool's pages", what);
}

static uint64_t forge(struct zb_fuzz *f, uint16_t arg)
{
	struct fm_obj *o = fm_pick(&f->m, arg >> 8);
	uint64_t base = o ? o->handle : 0x0123456789abcdefull;
	unsigned v = (arg >> 2) & 63;

	switch (arg & 3) {
	case 0:
		return base ^ (1ull << v);
	case 1:
		return base + v + 1;
	case 2:
		return base - v - 1;
	default:
		return (arg + 1) * 0x9e3779b97f4a7c15ull;
	}
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
	expect_ret(zbud_reclaim_page(other, 4), -EINVAL,
		   "zbud_reclaim_page of a pool without evict", 0);
	ret = zbud_alloc(other, size, &oh);
	if (ret && !(ret == -ENOMEM && f->injecting))
		fm_fail("zbud_alloc(%zu) in a second pool: %d", size, ret);
	if (!ret) {
		if (!fm_find(&f->m, oh))
			check_bad_handle(f, oh, "another pool's handle");
		expect_ret(zbud_reclaim_page(other, 4), -EINVAL,
			   "zbud_reclaim_page of a pool without evict", 0);
		if (zbud_get_pool_size(other) != 1)
			fm_fail("a second pool with one object has %" PRIu64
				" pages",
				zbud_get_pool_size(other));
		expect_ret(zbud_free(other, oh), 0,
			   "zbud_free in a second pool", oh);
	}
	if ((o = fm_pick(&f->m, arg))) {
		expect_ret(zbud_free(other, o->handle), -EINVAL,
			   "zbud_free of another pool's handle", o->handle);
		errno = 0;
		p = zbud_map(other, o->handle);
		expect_null(p, errno, EINVAL,
			    "zbud_map of another pool's handle", o->handle);
	}
	expect_ret(zbud_pool_check(other), 0, "zbud_pool_check(second pool)",
		   0);
	if (zbud_get_pool_size(other))
		fm_fail("an emptied second pool holds %" PRIu64 " pages",
			zbud_get_pool_size(other));
	zbud_destroy_pool(other);
}

static void misuse_args(struct zb_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o ? o->handle : SENTINEL_HANDLE, out = SENTINEL_HANDLE;
	void *p;

	expect_ret(zbud_alloc(NULL, 16, &out), -EINVAL, "zbud_alloc(NULL pool)",
		   out);
	expect_ret(zbud_alloc(f->pool, 16, NULL), -EINVAL,
		   "zbud_alloc(NULL handle pointer)", 0);
	if (out != SENTINEL_HANDLE)
		fm_fail("zbud_alloc(NULL pool) stored a handle");
	expect_ret(zbud_free(NULL, h), -EINVAL, "zbud_free(NULL pool)", h);
	errno = 0;
	p = zbud_map(NULL, h);
	expect_null(p, errno, EINVAL, "zbud_map(NULL pool)", h);
	expect_ret(zbud_unmap(NULL, h), -EINVAL, "zbud_unmap(NULL pool)", h);
	expect_ret(zbud_reclaim_page(NULL, 1), -EINVAL,
		   "zbud_reclaim_page(NULL)", 0);
	expect_ret(zbud_pool_check(NULL), -EINVAL, "zbud_pool_check(NULL)", 0);
	if (zbud_get_pool_size(NULL))
		fm_fail("zbud_get_pool_size(NULL) is not 0");
	zbud_destroy_pool(NULL);
}

static void op_misuse(struct zb_fuzz *f, struct fuzz_cursor *c)
{
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
	case 0:
		check_bad_handle(f, 0, "handle 0");
		break;
	case 1:
		h = forge(f, arg);
		if (!fm_find(&f->m, h))
			check_bad_handle(f, h, "a forged handle");
		break;
	case 2:
		h = fm_pick_stale(&f->m, arg);
		if (h)
			check_bad_handle(f, h, "a stale handle");
		break;
	case 3: /* double free of a fresh object */
		o = do_alloc(f, 1 + arg % ZBUD_MAX_ALLOC_SIZE, (uint8_t)arg);
		if (o) {
			h = o->handle;
			do_free(f, o);
			check_bad_handle(f, h, "a double-freed handle");
		}
		break;
	case 4: /* unmap without map */
		if (o)
			expect_ret(zbud_unmap(f->pool, o->handle), -EINVAL,
				   "zbud_unmap without zbud_map", o->handle);
		break;
	case 5: /* free while mapped, map twice */
		if (!o)
			break;
		p = map_obj(f, o, "misuse map");
		fm_verify(o, p, "zbud_map");
		expect_ret(zbud_free(f->pool, o->handle), -EBUSY,
			   "zbud_free while mapped", o->handle);
		errno = 0;
		q = zbud_map(f->pool, o->handle);
		expect_null(q, errno, EBUSY, "zbud_map of a mapped handle",
			    o->handle);
		fm_verify(o, p, "zbud_map after refused calls");
		expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
			   o->handle);
		expect_ret(zbud_unmap(f->pool, o->handle), -EINVAL,
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
		expect_ret(zbud_alloc(f->pool, size, &out),
			   size ? -ENOSPC : -EINVAL, "zbud_alloc of a bad size",
			   size);
		if (out != SENTINEL_HANDLE)
			fm_fail("a refused zbud_alloc stored a handle");
		break;
	default:
		misuse_foreign(f, arg);
		break;
	}
	check_pages(f);
	pool_check(f, "after misuse");
	if (o && fm_find(&f->m, o->handle))
		verify_obj(f, o);
}

static void op_inject(struct zb_fuzz *f, struct fuzz_cursor *c)
{
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
static void relocate(struct zb_fuzz *f, const char *when)
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
		expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
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
	full_check(f, when);
}

static void op_arena_compact(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	unsigned long moved;
	uint8_t flags;

	if (!fc_u8(c, &flags))
		return;
	moved = zs_arena_compact(f->arena);
	if (flags & 1)
		zs_arena_trim(f->arena);
	fm_trace("  arena compaction moved %lu pages\n", moved);
	relocate(f, "after arena compaction");
}

static void op_check(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	(void)c;
	full_check(f, "(op)");
}

static void op_fill(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t count, kind, fuzz;
	uint16_t raw;
	unsigned i;

	if (!fc_u8(c, &count) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &fuzz))
		return;
	for (i = 0; i < count; i++)
		do_alloc(f, choose_size(kind, (uint16_t)(raw + i * 97)),
			 (uint8_t)(fuzz + i));
}

static void op_free_many(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t stride, offset;
	uint32_t i;

	if (!fc_u8(c, &stride) || !fc_u8(c, &offset))
		return;
	stride = (uint8_t)(2 + stride % 7);
	/* Backwards, so removals (the last object moves into the hole) do
	 * not disturb the positions still to visit. */
	for (i = f->m.nlive; i-- > 0;)
		if ((i + offset) % stride == 0)
			do_free(f, &f->m.obj[i]);
}

static void op_verify_all(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	(void)c;
	verify_all(f);
}

static void op_recreate(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	/* flags & 1: destroy with objects live (the pool frees them). */
	pool_close(f, !(flags & 1));
	pool_open(f, cfg);
}

/* Swap-in: an object written back comes into the pool again, unchanged. */
static void op_recall(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	const struct zb_wb *w;
	struct fm_obj *o;
	uint16_t sel;
	void *p;

	if (!fc_u16(c, &sel) || !f->nwb)
		return;
	w = &f->wb[sel % f->nwb];
	o = do_alloc(f, w->size, (uint8_t)sel);
	if (!o)
		return;
	o->seed = w->seed;
	o->split = w->split;
	o->seed2 = w->seed2;
	p = map_obj(f, o, "recall");
	fm_expect(o, p);
	expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap", o->handle);
	verify_obj(f, o);
}

/* ---- white-box ops (zs/zbud_internal.h) ---- */

/* The descriptor of one of the pool's pages; the caller holds the lock. */
static struct zbud_page *desc_at(struct zbud_pool *pool, uintptr_t page)
{
	uint32_t i;

	for (i = 0; i < pool->desc_hw; i++)
		if (pool->descs[i] && (uintptr_t)pool->descs[i]->page == page)
			return pool->descs[i];
	fm_fail("model page %#lx has no zbud descriptor", (unsigned long)page);
}

enum page_pick { ANY_PAGE, ONE_BUDDY };

static bool pick_fits(const struct zbud_page *d, enum page_pick which)
{
	return which == ANY_PAGE || !d->chunks[FIRST] || !d->chunks[LAST];
}

/* The sel-th live descriptor of a kind (by index), or NULL; lock held. */
static struct zbud_page *pick_desc(struct zbud_pool *pool, unsigned sel,
				   enum page_pick which)
{
	uint32_t i, n = 0;

	for (i = 0; i < pool->desc_hw; i++)
		if (pool->descs[i] && pick_fits(pool->descs[i], which))
			n++;
	if (!n)
		return NULL;
	sel %= n;
	for (i = 0; i < pool->desc_hw; i++)
		if (pool->descs[i] && pick_fits(pool->descs[i], which) &&
		    sel-- == 0)
			break;
	return pool->descs[i];
}

/* A live buddy of d chosen by sel. */
static int pick_bud(const struct zbud_page *d, unsigned sel)
{
	if (!d->chunks[FIRST])
		return LAST;
	if (!d->chunks[LAST])
		return FIRST;
	return (int)(sel & 1);
}

static const char *bud_name(int bud)
{
	return bud == FIRST ? "first" : "last";
}

/* The buddy list a listed page is on, as zbud_pool_check names it. */
static struct list *buddy_head(struct zbud_pool *pool,
			       const struct zbud_page *d, const char **name,
			       unsigned *which)
{
	if (d->chunks[FIRST] && d->chunks[LAST]) {
		*name = "buddied";
		*which = NCHUNKS;
		return &pool->buddied;
	}
	*name = "unbuddied";
	*which = BUDDY_CHUNKS - d->chunks[FIRST] - d->chunks[LAST];
	return &pool->unbuddied[*which];
}

/* The sel-th slot on the free chain and the chain's length; lock held. */
static uint32_t free_slot(struct zbud_pool *pool, unsigned sel, uint32_t *n,
			  uint32_t *last)
{
	uint32_t i, k = 0, pick = SLOT_NONE;

	*n = 0;
	for (i = pool->slot_free; i != SLOT_NONE; i = pool->slots[i].desc)
		++*n;
	if (!*n)
		return SLOT_NONE;
	sel %= *n;
	for (i = pool->slot_free; i != SLOT_NONE; i = pool->slots[i].desc) {
		if (k++ == sel)
			pick = i;
		*last = i;
	}
	return pick;
}

/*
 * One corruption: the bytes it overwrote (restored newest first) and the
 * exact report zbud_pool_check must make about it.
 */
#define ZB_PATCHES 12

struct zb_patch {
	void *addr;
	size_t len;
	bool raw; /* a header word: poisoned under ASan */
	uint8_t old[8];
};

struct zb_corruption {
	struct zb_patch p[ZB_PATCHES];
	unsigned n;
	char want[256];
};

static void patch(struct zb_corruption *k, void *addr, const void *val,
		  size_t len)
{
	struct zb_patch *p = &k->p[k->n];

	if (k->n++ == ZB_PATCHES || len > sizeof(p->old))
		fm_fail("corruption: patch %u of %zu bytes does not fit", k->n,
			len);
	p->addr = addr;
	p->len = len;
	p->raw = false;
	memcpy(p->old, addr, len);
	memcpy(addr, val, len);
}

#define PATCH(k, lvalue, value)                         \
	do {                                            \
		__typeof__(lvalue) v_ = (value);        \
		patch((k), &(lvalue), &v_, sizeof(v_)); \
	} while (0)

static void patch_header(struct zb_corruption *k, struct zbud_page *d,
			 unsigned word, uint32_t flip)
{
	struct zb_patch *p = &k->p[k->n++];
	uint32_t *w = (uint32_t *)d->page + word;
	uint32_t v = zs_raw_load32(w);

	p->addr = w;
	p->len = sizeof(v);
	p->raw = true;
	memcpy(p->old, &v, sizeof(v));
	zs_raw_store32(w, v ^ flip);
}

static void unpatch(struct zb_corruption *k)
{
	while (k->n) {
		struct zb_patch *p = &k->p[--k->n];
		uint32_t v;

		if (p->raw) {
			memcpy(&v, p->old, sizeof(v));
			zs_raw_store32(p->addr, v);
		} else {
			memcpy(p->addr, p->old, p->len);
		}
	}
}

static void p_unlink(struct zb_corruption *k, struct list *n)
{
	struct list *prev = n->prev, *next = n->next;

	PATCH(k, prev->next, next);
	PATCH(k, next->prev, prev);
	PATCH(k, n->prev, n);
	PATCH(k, n->next, n);
}

static void p_insert(struct zb_corruption *k, struct list *n, struct list *head)
{
	struct list *next = head->next;

	PATCH(k, n->next, next);
	PATCH(k, n->prev, head);
	PATCH(k, next->prev, n);
	PATCH(k, head->next, n);
}

static void want(struct zb_corruption *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void want(struct zb_corruption *k, const char *fmt, ...)
{
	static const char prefix[] = "zs: zbud_pool_check: ";
	va_list ap;

	memcpy(k->want, prefix, sizeof(prefix));
	va_start(ap, fmt);
	vsnprintf(k->want + sizeof(prefix) - 1,
		  sizeof(k->want) - sizeof(prefix) + 1, fmt, ap);
	va_end(ap);
}

/* Not a descriptor of the pool: linked into a list by corruption. */
static struct zbud_page alien;

/*
 * The corruption kinds, one per zbud_pool_check finding, in the checker's
 * order.  Each applies its corruption (pool lock held) and returns true, or
 * returns false, changing nothing, when the pool's state offers no target
 * (no page, no free slot, ...).  Values are fixed: the kind byte's low 5
 * bits pick one, and values past the last are no-ops.
 */
enum zb_corruption_kind {
	CK_DESC_IDX,
	CK_PAGE_ADDR,
	CK_HEADER,
	CK_OVERLAP,
	CK_FREE_BUD_SLOT,
	CK_SLOT_RANGE,
	CK_SLOT_ELSEWHERE,
	CK_SLOT_SIZE,
	CK_MAPS,
	CK_EMPTY,
	CK_COUNTS,
	CK_UNBUDDIED0,
	CK_LINKS,
	CK_ALIEN,
	CK_LOOP,
	CK_RECLAIM_LISTED,
	CK_BUDDIED_FREE,
	CK_UNBUDDIED_WRONG,
	CK_OFF_BUDDY,
	CK_OFF_LRU,
	CK_SLOT_STATE,
	CK_SLOT_USED,
	CK_CHAIN_BAD,
	CK_CHAIN_SHORT,
	CK_DESC_COUNT,
	CK_DESC_STACK,
	CK_KINDS
};

static bool corrupt(struct zbud_pool *pool, unsigned kind, uint16_t arg,
		    struct zb_corruption *k)
{
	struct zbud_page *d = pick_desc(pool, arg >> 4, ANY_PAGE), *e;
	const char *name;
	struct list *head, *node, *prev;
	struct slot *s = NULL;
	unsigned which, v = (arg >> 2) & 3;
	uint32_t i, n, last = SLOT_NONE;
	int bud = d ? pick_bud(d, arg) : FIRST;

	if (d && d->chunks[bud])
		s = &pool->slots[d->slot[bud]];
	switch (kind) {
	case CK_DESC_IDX:
		if (!d)
			return false;
		want(k, "descriptor %u says it is %u", d->idx,
		     d->idx + 1 + (arg & 3));
		PATCH(k, d->idx, d->idx + 1 + (arg & 3));
		return true;
	case CK_PAGE_ADDR:
		if (!d)
			return false;
		PATCH(k, d->page,
		      arg & 1 ? NULL : (char *)d->page + 16 * (1 + v));
		want(k, "page %u: bad page address %p", d->idx, d->page);
		return true;
	case CK_HEADER:
		if (!d)
			return false;
		patch_header(k, d, arg % HDR_WORDS, 1u << (arg >> 11));
		want(k,
		     "page %u at %p: header chunk overwritten (an object "
		     "written past its end?)",
		     d->idx, d->page);
		return true;
	case CK_OVERLAP:
		if (!d)
			return false;
		PATCH(k, d->chunks[bud],
		      (uint16_t)(BUDDY_CHUNKS - d->chunks[!bud] + 1 + v));
		want(k, "page %u: buddies of %u and %u chunks overlap", d->idx,
		     d->chunks[FIRST], d->chunks[LAST]);
		return true;
	case CK_FREE_BUD_SLOT:
		d = pick_desc(pool, arg >> 4, ONE_BUDDY);
		if (!d)
			return false;
		bud = d->chunks[FIRST] ? LAST : FIRST;
		PATCH(k, d->slot[bud], (uint32_t)arg);
		want(k, "page %u: free %s buddy names slot %u", d->idx,
		     bud_name(bud), arg);
		return true;
	case CK_SLOT_RANGE:
		if (!d)
			return false;
		PATCH(k, d->slot[bud], pool->slot_hw + (arg >> 8));
		want(k, "page %u: %s buddy names slot %u beyond the table",
		     d->idx, bud_name(bud), d->slot[bud]);
		return true;
	case CK_SLOT_ELSEWHERE:
		if (!s)
			return false;
		if (v == 0)
			PATCH(k, s->state,
			      (uint8_t)(arg & 2 ? 2 + (arg >> 8) % 250 :
						  SLOT_FREE));
		else if (v == 1)
			PATCH(k, s->desc, d->idx + 1 + (arg >> 8));
		else
			PATCH(k, s->bud, (uint8_t)!s->bud);
		want(k,
		     "page %u: %s buddy's slot %u points elsewhere (state %u, "
		     "page %u, buddy %u)",
		     d->idx, bud_name(bud), d->slot[bud], s->state, s->desc,
		     s->bud);
		return true;
	case CK_SLOT_SIZE:
		if (!s)
			return false;
		if (v == 0)
			PATCH(k, s->size, 0u);
		else if (v == 1 || d->chunks[bud] == 1)
			PATCH(k, s->size,
			      d->chunks[bud] * ZBUD_CHUNK_SIZE + 1 +
				      (arg >> 10));
		else
			PATCH(k, s->size,
			      (d->chunks[bud] - 1) * ZBUD_CHUNK_SIZE -
				      (arg >> 10));
		want(k, "page %u: %s buddy has %u chunks for %u bytes", d->idx,
		     bud_name(bud), d->chunks[bud], s->size);
		return true;
	case CK_MAPS:
		if (!s)
			return false;
		if (v & 1)
			PATCH(k, s->maps, (uint16_t)(1 + (arg >> 8)));
		else
			PATCH(k, d->mapped, 1u + (arg >> 8));
		want(k, "page %u: %u maps counted, buddies hold %u", d->idx,
		     d->mapped, (unsigned)s->maps);
		return true;
	case CK_EMPTY:
		if (!d)
			return false;
		for (bud = FIRST; bud <= LAST; bud++) {
			if (!d->chunks[bud])
				continue;
			PATCH(k, d->chunks[bud], (uint16_t)0);
			PATCH(k, d->slot[bud], (uint32_t)SLOT_NONE);
		}
		want(k, "page %u: empty but not released", d->idx);
		return true;
	case CK_COUNTS:
		want(k,
		     "counted %" PRIu64 " pages and %" PRIu64
		     " objects, pool says %" PRIu64 " and %" PRIu64,
		     pool->pages_nr, pool->objs_nr,
		     pool->pages_nr + (v == 0) - (v == 1 && pool->pages_nr),
		     pool->objs_nr + (v == 2) - (v == 3 && pool->objs_nr));
		if (v == 0 || (v == 1 && pool->pages_nr))
			PATCH(k, pool->pages_nr,
			      pool->pages_nr + (v == 0 ? 1 : -1ull));
		else if (v == 2 || (v == 3 && pool->objs_nr))
			PATCH(k, pool->objs_nr,
			      pool->objs_nr + (v == 2 ? 1 : -1ull));
		else
			return false;
		return true;
	case CK_UNBUDDIED0:
		if (!d)
			return false;
		p_unlink(k, &d->buddy);
		p_insert(k, &d->buddy, &pool->unbuddied[0]);
		want(k, "unbuddied list 0: not empty (a page with no free "
			"chunk is buddied)");
		return true;
	case CK_LINKS: /* the node's back link points at itself */
		if (!d)
			return false;
		if (arg & 1) {
			head = &pool->lru;
			name = "lru";
			which = 0;
			node = &d->lru;
		} else {
			head = buddy_head(pool, d, &name, &which);
			node = &d->buddy;
		}
		prev = node->prev;
		PATCH(k, node->prev, node);
		/* The predecessor's forward check fires first, unless it is
		 * the list head, which is not checked. */
		want(k, "%s list %u: broken links at %p", name, which,
		     (void *)(prev == head ? node : prev));
		return true;
	case CK_ALIEN:
		memset(&alien, 0, sizeof(alien));
		d = pick_desc(pool, arg >> 4, ANY_PAGE);
		alien.idx = arg & 1 && d ? d->idx : pool->desc_hw + (arg >> 12);
		if (v == 0) {
			p_insert(k, &alien.lru, &pool->lru);
			want(k,
			     "lru list 0: entry %p is not a live page "
			     "descriptor",
			     (void *)&alien);
		} else if (v == 1) {
			p_insert(k, &alien.buddy, &pool->buddied);
			want(k,
			     "buddied list %u: entry %p is not a live page "
			     "descriptor",
			     NCHUNKS, (void *)&alien);
		} else {
			which = 1 + (arg >> 4) % (NCHUNKS - 1);
			p_insert(k, &alien.buddy, &pool->unbuddied[which]);
			want(k,
			     "unbuddied list %u: entry %p is not a live "
			     "page descriptor",
			     which, (void *)&alien);
		}
		return true;
	case CK_LOOP: /* the second entry leads back to the first */
		if (arg & 1) {
			head = &pool->lru;
			name = "lru";
			which = 0;
			if (head->next == head || head->next->next == head)
				return false;
			e = (struct zbud_page *)((char *)head->next -
						 offsetof(struct zbud_page,
							  lru));
		} else {
			/* The first buddy list, from a chosen one on, with two
			 * pages. */
			for (i = 0; i <= NCHUNKS; i++) {
				which = (i + (arg >> 1)) % (NCHUNKS + 1);
				head = which == NCHUNKS ?
					       &pool->buddied :
					       &pool->unbuddied[which];
				if (head->next != head &&
				    head->next->next != head)
					break;
			}
			if (i > NCHUNKS)
				return false;
			name = which == NCHUNKS ? "buddied" : "unbuddied";
			e = (struct zbud_page *)((char *)head->next -
						 offsetof(struct zbud_page,
							  buddy));
		}
		node = head->next;
		prev = node->next; /* the second entry */
		PATCH(k, prev->next, node);
		PATCH(k, node->prev, prev);
		want(k, "%s list %u: page %u listed twice", name, which,
		     e->idx);
		return true;
	case CK_RECLAIM_LISTED:
		if (!d)
			return false;
		buddy_head(pool, d, &name, &which);
		PATCH(k, d->flags, (uint16_t)(d->flags | PG_RECLAIM));
		want(k, "%s list %u: page %u is under reclaim but listed", name,
		     which, d->idx);
		return true;
	case CK_BUDDIED_FREE:
		d = pick_desc(pool, arg >> 4, ONE_BUDDY);
		if (!d)
			return false;
		p_unlink(k, &d->buddy);
		p_insert(k, &d->buddy, &pool->buddied);
		want(k, "buddied list: page %u has a free buddy", d->idx);
		return true;
	case CK_UNBUDDIED_WRONG:
		if (!d)
			return false;
		buddy_head(pool, d, &name, &which);
		n = 1 + arg % (NCHUNKS - 1);
		if (n == which)
			n = n % (NCHUNKS - 1) + 1;
		p_unlink(k, &d->buddy);
		p_insert(k, &d->buddy, &pool->unbuddied[n]);
		want(k, "unbuddied list %u: page %u has chunks %u+%u", n,
		     d->idx, d->chunks[FIRST], d->chunks[LAST]);
		return true;
	case CK_OFF_BUDDY:
	case CK_OFF_LRU:
		if (!d)
			return false;
		p_unlink(k, kind == CK_OFF_LRU ? &d->lru : &d->buddy);
		want(k, "%" PRIu64 " pages on %s, expected %" PRIu64,
		     pool->pages_nr - 1,
		     kind == CK_OFF_LRU ? "the LRU" : "buddy lists",
		     pool->pages_nr);
		return true;
	case CK_SLOT_STATE:
		i = free_slot(pool, arg >> 1, &n, &last);
		if (i == SLOT_NONE)
			return false;
		if (arg & 1)
			PATCH(k, pool->slots[i].state,
			      (uint8_t)(2 + (arg >> 8) % 250));
		else
			PATCH(k, pool->slots[i].maps,
			      (uint16_t)(1 + (arg >> 8)));
		want(k, "slot %u: state %u with %u maps", i,
		     pool->slots[i].state, pool->slots[i].maps);
		return true;
	case CK_SLOT_USED:
		i = free_slot(pool, arg, &n, &last);
		if (i == SLOT_NONE)
			return false;
		PATCH(k, pool->slots[i].state, (uint8_t)SLOT_USED);
		want(k, "%" PRIu64 " used handle slots for %" PRIu64 " objects",
		     pool->objs_nr + 1, pool->objs_nr);
		return true;
	case CK_CHAIN_BAD:
		i = free_slot(pool, arg >> 4, &n, &last);
		if (i == SLOT_NONE)
			return false;
		if (v == 0) { /* past the table */
			PATCH(k, pool->slots[i].desc,
			      pool->slot_hw + (arg >> 8));
			want(k, "free slot chain: bad or looping entry %u",
			     pool->slots[i].desc);
		} else if (v == 1 && s) { /* into a used slot */
			PATCH(k, pool->slots[i].desc, d->slot[bud]);
			want(k, "free slot chain: bad or looping entry %u",
			     d->slot[bud]);
		} else if (v == 2) { /* the last back to the first */
			PATCH(k, pool->slots[last].desc, pool->slot_free);
			want(k, "free slot chain: bad or looping entry %u",
			     pool->slot_free);
		} else { /* a head past the table */
			PATCH(k, pool->slot_free, pool->slot_hw + (arg >> 8));
			want(k, "free slot chain: bad or looping entry %u",
			     pool->slot_free);
		}
		return true;
	case CK_CHAIN_SHORT:
		i = free_slot(pool, arg >> 4, &n, &last);
		if (i == SLOT_NONE)
			return false;
		if (i == last) { /* drop the head */
			PATCH(k, pool->slot_free,
			      pool->slots[pool->slot_free].desc);
			want(k, "free slot chain holds %u of %u free slots",
			     n - 1, n);
		} else { /* cut after i */
			for (n = 1, last = pool->slot_free; last != i; n++)
				last = pool->slots[last].desc;
			want(k, "free slot chain holds %u of %u free slots", n,
			     pool->slot_hw - (uint32_t)pool->objs_nr);
			PATCH(k, pool->slots[i].desc, (uint32_t)SLOT_NONE);
		}
		return true;
	case CK_DESC_COUNT:
		if (v == 3 && pool->ndesc_free)
			PATCH(k, pool->ndesc_free, pool->ndesc_free - 1);
		else
			PATCH(k, pool->ndesc_free, pool->ndesc_free + 1 + v);
		want(k,
		     "%u free descriptor indexes + %" PRIu64
		     " pages != %u used",
		     pool->ndesc_free, pool->pages_nr, pool->desc_hw);
		return true;
	case CK_DESC_STACK:
		if (!pool->ndesc_free)
			return false;
		i = (arg >> 4) % pool->ndesc_free;
		if (v == 1 && d) {
			PATCH(k, pool->desc_free[i], d->idx);
			want(k,
			     "free descriptor stack entry %u: index %u is in "
			     "use",
			     i, d->idx);
		} else if (v == 2 && pool->ndesc_free > 1) {
			n = (i + 1 + (arg >> 8)) % pool->ndesc_free;
			if (n == i)
				n = (i + 1) % pool->ndesc_free;
			PATCH(k, pool->desc_free[i], pool->desc_free[n]);
			want(k,
			     "free descriptor stack entry %u: index %u is "
			     "listed twice",
			     i > n ? i : n, pool->desc_free[i]);
		} else {
			PATCH(k, pool->desc_free[i],
			      pool->desc_hw + (arg >> 8));
			want(k,
			     "free descriptor stack entry %u: index %u is "
			     "beyond the table",
			     i, pool->desc_free[i]);
		}
		return true;
	}
	return false;
}

/* Every byte of the pool's bookkeeping, so a restored corruption can be
 * proven undone; the lock, the check stamp and the visit marks are left
 * out (zbud_pool_check moves the last two).  Lock held. */
static uint8_t *snapshot(struct zbud_pool *pool, size_t *len)
{
	size_t n = sizeof(*pool) +
		   pool->desc_hw * (sizeof(void *) + sizeof(struct zbud_page)) +
		   pool->slot_hw * sizeof(struct slot) +
		   pool->ndesc_free * sizeof(uint32_t);
	uint8_t *b = calloc(1, n), *p = b;
	struct zbud_pool *cp = (struct zbud_pool *)p;
	uint32_t i;

	if (!b)
		fm_fail("out of memory for a pool snapshot");
	memcpy(p, pool, sizeof(*pool));
	memset(&cp->lock, 0, sizeof(cp->lock));
	cp->check_stamp = 0;
	p += sizeof(*pool);
	for (i = 0; i < pool->desc_hw; i++) {
		struct zbud_page *d = pool->descs[i];

		memcpy(p, &d, sizeof(d));
		p += sizeof(d);
		if (d) {
			memcpy(p, d, sizeof(*d));
			((struct zbud_page *)p)->mark = 0;
		}
		p += sizeof(*d);
	}
	/* A pool that never allocated has no tables yet. */
	if (pool->slot_hw)
		memcpy(p, pool->slots, pool->slot_hw * sizeof(struct slot));
	p += pool->slot_hw * sizeof(struct slot);
	if (pool->ndesc_free)
		memcpy(p, pool->desc_free, pool->ndesc_free * sizeof(uint32_t));
	*len = n;
	return b;
}

/* What zbud_pool_check reported while op_corrupt's hook was in place. */
static struct {
	unsigned n;
	char first[512];
} reported;

static void report_hook(const char *message, void *arg)
{
	(void)arg;
	if (reported.n++ == 0)
		snprintf(reported.first, sizeof(reported.first), "%s", message);
}

/*
 * One corruption of the kind chosen (if the pool offers a target), under
 * the pool lock as any writer of it would: zbud_pool_check must return
 * -EUCLEAN with exactly one report, the one for that kind, word for word.
 * Undone, the pool must be byte for byte what it was and check clean.
 */
static void op_corrupt(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	static struct zb_corruption k;
	struct zbud_pool *pool = f->pool;
	zs_report_hook *old;
	uint8_t *before, *after;
	size_t nb, na;
	void *old_arg;
	uint8_t kind;
	uint16_t arg;
	bool applied;
	int ret, ret2;
	unsigned n;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	kind &= 31;
	if (kind >= CK_KINDS)
		return;
	pthread_mutex_lock(&pool->lock);
	before = snapshot(pool, &nb);
	k.n = 0;
	applied = corrupt(pool, kind, arg, &k);
	pthread_mutex_unlock(&pool->lock);
	if (!applied) {
		if (k.n)
			fm_fail("corruption kind %u not applied but patched",
				kind);
		fm_trace("  corrupt kind %u: no target\n", kind);
		free(before);
		return;
	}
	fm_trace("  corrupt kind %u (%u patches): want \"%s\"\n", kind, k.n,
		 k.want);
	reported.n = 0;
	reported.first[0] = 0;
	old = zs_set_report_hook(report_hook, NULL, &old_arg);
	ret = zbud_pool_check(pool);
	n = reported.n;
	pthread_mutex_lock(&pool->lock);
	unpatch(&k);
	after = snapshot(pool, &na);
	pthread_mutex_unlock(&pool->lock);
	ret2 = zbud_pool_check(pool);
	zs_set_report_hook(old, old_arg, NULL);
	if (ret != -EUCLEAN || n != 1 || strcmp(reported.first, k.want))
		fm_fail("corruption kind %u: zbud_pool_check returned %d with "
			"%u reports, the first \"%s\"; expected -EUCLEAN and "
			"\"%s\"",
			kind, ret, n, n ? reported.first : "", k.want);
	if (ret2 || reported.n != n)
		fm_fail("corruption kind %u undone: zbud_pool_check returned %d "
			"with %u reports (\"%s\")",
			kind, ret2, reported.n - n, reported.first);
	if (na != nb || memcmp(before, after, nb))
		fm_fail("corruption kind %u undone: the pool's bookkeeping "
			"differs from before",
			kind);
	free(before);
	free(after);
	full_check(f, "after a corruption was undone");
	f->verify_pending = true;
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
static void op_page_move(struct zb_fuzz *f, struct fuzz_cursor *c)
{
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
		counts_of(pool, &counts);
		expect_ret(ops->isolate(pool, (void *)page, counts.desc_hw, 0),
			   -EAGAIN, "isolate of a cookie past the table", 0);
		expect_ret(ops->isolate(pool, scratch, cookie, 0), -EAGAIN,
			   "isolate of a page that is not the cookie's", 0);
		expect_ret(ops->migrate(pool, (void *)page, scratch, cookie, 0),
			   -EAGAIN, "migrate of a page not isolated", 0);
		ops->putback(pool, (void *)page, cookie, 0);
		ops->putback(pool, scratch, cookie, 0);
		same_counts(pool, &counts, "movable ops refusing");
		pool_check(f, "after refused movable ops");
	}
	if (flags & 2) {
		map_obj(f, o, "map before isolate");
		expect_ret(ops->isolate(pool, (void *)page, cookie, 0), -EAGAIN,
			   "isolate of a mapped page", o->handle);
		expect_ret(zbud_unmap(pool, o->handle), 0, "zbud_unmap",
			   o->handle);
	}
	expect_ret(ops->isolate(pool, (void *)page, cookie, 0), 0,
		   "isolate of an unmapped page", 0);
	f->iso_page = page;
	expect_ret(ops->isolate(pool, (void *)page, cookie, 0), -EAGAIN,
		   "isolate of an isolated page", 0);
	pool_check(f, "with a page isolated");
	switch (how % 8) {
	case 1:
		held_p = map_obj(f, o, "map of an isolated page");
		fm_verify(o, held_p, "map of an isolated page");
		held = o->handle;
		break;
	case 2:
		do_free(f, o);
		break;
	case 3:
		for (i = f->m.nlive; i-- > 0;)
			if (f->side[i].page == page)
				do_free(f, &f->m.obj[i]);
		break;
	case 4:
		do_alloc(f, choose_size((uint8_t)(how >> 3), sel), how);
		break;
	case 5:
		if (f->has_evict)
			do_reclaim(f, 1 + (how >> 3) % 4, 0, 0);
		break;
	case 6:
		zs_arena_compact(f->arena);
		relocate(f, "arena compaction with a page isolated");
		if (page_find(f, page) < 0)
			fm_fail("arena compaction moved isolated page %#lx",
				(unsigned long)page);
		break;
	case 7:
		size = o->size;
		do_free(f, o);
		do_alloc(f, size, how);
		break;
	}
	emptied = page_find(f, page) < 0;
	if (emptied != (f->iso_extra == 1))
		fm_fail("model: isolated page %#lx emptied %d, kept pages %u",
			(unsigned long)page, emptied, f->iso_extra);
	pool_check(f, "with a page isolated after work");
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
		expect_ret(ret, want_ret,
			   held	   ? "migrate of a page mapped since isolate" :
			   emptied ? "migrate of a page emptied since isolate" :
				     "migrate",
			   0);
		if (ret == 0) {
			zs_arena_free_page(f->arena, (void *)page);
			f->pages[page_find(f, page)].addr = (uintptr_t)np;
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
	counts_of(pool, &counts);
	ops->putback(pool, (void *)page, cookie, 0);
	expect_ret(ops->migrate(pool, (void *)page, scratch, cookie, 0),
		   -EAGAIN, "migrate after the move ended", 0);
	same_counts(pool, &counts, "callbacks after the move ended");
	if (held) {
		/* Refused, so the object is where the map says. */
		o = fm_find(&f->m, held);
		check_place(f, o, held_p, "a map held across migrate");
		fm_verify(o, held_p, "a map held across migrate");
		expect_ret(zbud_unmap(pool, held), 0, "zbud_unmap", held);
	}
	full_check(f, "after a page move");
	f->verify_pending = true;
}

/* A second pool made while host allocations fail: NULL + ENOMEM exactly
 * when one of its host allocations was failed, else a working pool. */
static void host_fault_pool(struct zb_fuzz *f, bool default_arena, uint16_t raw)
{
	unsigned long injected = zs_host_failures_injected();
	size_t size = 1 + raw % ZBUD_MAX_ALLOC_SIZE;
	struct zbud_pool *other;
	uint64_t h = SENTINEL_HANDLE;
	int err, ret;

	errno = 0;
	other = default_arena ? zbud_create_pool(NULL) :
				zbud_create_pool_arena(NULL, f->arena);
	err = errno;
	if (zs_host_failures_injected() != injected) {
		expect_null(other, err, ENOMEM,
			    "zbud_create_pool with a host allocation failed",
			    0);
		return;
	}
	if (!other)
		fm_fail("zbud_create_pool failed (errno %d) with no host "
			"allocation failed",
			err);
	injected = zs_host_failures_injected();
	ret = zbud_alloc(other, size, &h);
	/* op_inject's page failures apply to the private arena too. */
	if (!(ret == -ENOMEM && !default_arena && f->injecting))
		expect_ret(ret,
			   zs_host_failures_injected() != injected ? -ENOMEM :
								     0,
			   "zbud_alloc in a second pool under host faults", h);
	if (!ret)
		expect_ret(zbud_free(other, h), 0, "zbud_free in a second pool",
			   h);
	expect_ret(zbud_pool_check(other), 0, "zbud_pool_check(second pool)",
		   0);
	if (zbud_get_pool_size(other))
		fm_fail("an emptied second pool holds %" PRIu64 " pages",
			zbud_get_pool_size(other));
	zbud_destroy_pool(other);
}

/*
 * Host allocations fail (zs/fault.h: after `after` more succeed, the next
 * count fail) while the op allocates n objects, which grows the handle
 * slot table, the descriptor table and the arena as the pool's size
 * requires.  do_alloc holds each call to -ENOMEM exactly when one of its
 * host allocations was failed, with the pool unchanged; the rest must work.
 *   flags: 1 also create a second pool on the private arena, 2 on the
 *          default arena (zbud_create_pool), 4 compact the arena (its own
 *          host allocation may fail: then nothing moves).
 * Always disarmed before the op returns, so nothing else sees it.
 */
static void op_host_fault(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t after, count, n, kind, fuzz, flags;
	uint16_t raw;
	unsigned i;

	if (!fc_u8(c, &after) || !fc_u8(c, &count) || !fc_u8(c, &n) ||
	    !fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz) ||
	    !fc_u8(c, &flags))
		return;
	/* Made before arming: a default arena that failed to be made stays
	 * missing for the whole process. */
	if ((flags & 2) && !zs_arena_default())
		fm_fail("no default arena, errno %d", errno);
	zs_inject_host_failures(after, 1 + count % 4);
	f->host_armed = true;
	if (flags & 1)
		host_fault_pool(f, false, raw);
	if (flags & 2)
		host_fault_pool(f, true, raw);
	for (i = 0; i < n; i++)
		do_alloc(f, choose_size(kind, (uint16_t)(raw + i * 97)),
			 (uint8_t)(fuzz + i));
	if (flags & 4) {
		zs_arena_compact(f->arena);
		relocate(f, "arena compaction under host faults");
	}
	zs_inject_host_failures(0, 0);
	f->host_armed = false;
	full_check(f, "after host faults");
	f->verify_pending = true;
}

/*
 * Second pools on the private arena until its owner table is full: the
 * one past it is refused (NULL, ENOSPC), and any pool destroyed makes room.
 * flags & 1: a pool destroyed with ZB_MAPS maps still held by this thread
 * must give the thread its map slots back.
 */
static void op_pools(struct zb_fuzz *f, struct fuzz_cursor *c)
{
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
			expect_null(q, errno, ENOSPC,
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
			expect_ret(zbud_alloc(q, 1 + i * 300, &h[i]), 0,
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
		expect_ret(zbud_alloc(q, 100, &h[0]), 0,
			   "zbud_alloc in a fresh pool", 0);
		errno = 0;
		p = zbud_map(q, h[0]);
		if (!p)
			fm_fail("zbud_map after a pool was destroyed with %u "
				"maps held failed, errno %d",
				ZB_MAPS, errno);
		expect_ret(zbud_unmap(q, h[0]), 0, "zbud_unmap", h[0]);
		zbud_destroy_pool(q);
	}
	for (i = 0; i < n; i++)
		zbud_destroy_pool(pools[flags & 2 ? n - 1 - i : i]);
	full_check(f, "after second pools");
}

/* ---- death test (fuzz/fuzz_death.h) ---- */

struct zb_fatal {
	struct zbud_pool *pool;
	uint64_t handle;
	uint8_t how;
};

/* In the child: a mapped object's slot forgets the map (one stray write
 * to its count, or to every slot's), so zbud_unmap finds the handle
 * mapped by this thread but no mapped slot behind it. */
static void run_unmap_lost_slot(void *arg)
{
	struct zb_fatal *t = arg;
	struct zbud_pool *pool = t->pool;
	uint32_t i;

	if (!zbud_map(pool, t->handle))
		_Exit(3);
	for (i = 0; i < pool->slot_hw; i++)
		if (t->how & 1 || pool->slots[i].maps)
			pool->slots[i].maps = 0;
	fm_death_expect("zs: zbud_unmap: handle %#llx mapped by this thread "
			"has no live mapped slot (pool metadata corrupted)",
			(unsigned long long)t->handle);
	zbud_unmap(pool, t->handle);
}

/* zbud never continues past corruption: in a forked child, the unmap of
 * an object whose slot lost its map count must report it and abort. */
static void op_fatal(struct zb_fuzz *f, struct fuzz_cursor *c)
{
	struct zb_fatal t = { .pool = f->pool };
	const struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !fc_u8(c, &t.how))
		return;
	o = fm_pick(&f->m, sel);
	if (!o)
		return;
	t.handle = o->handle;
	fm_expect_abort("zbud_unmap of a slot that lost its map",
			run_unmap_lost_slot, &t);
}

struct zb_op {
	const char *name;
	void (*run)(struct zb_fuzz *f, struct fuzz_cursor *c);
};

static const struct zb_op zb_op_table[ZB_OP_SLOTS] = {
	[ZB_OP_ALLOC] = { "alloc", op_alloc },
	[ZB_OP_FREE] = { "free", op_free },
	[ZB_OP_WRITE] = { "write", op_write },
	[ZB_OP_READ] = { "read", op_read },
	[ZB_OP_NESTED] = { "nested", op_nested },
	[ZB_OP_FATAL] = { "fatal", op_fatal },
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
	[ZB_OP_CORRUPT] = { "corrupt", op_corrupt },
	[ZB_OP_HOST_FAULT] = { "host_fault", op_host_fault },
	[ZB_OP_PAGE_MOVE] = { "page_move", op_page_move },
	[ZB_OP_POOLS] = { "pools", op_pools },
};

const char *zb_fuzz_op_name(unsigned opcode)
{
	return opcode < ZB_OP_SLOTS ? zb_op_table[opcode].name : NULL;
}

int zb_fuzz_run(const uint8_t *data, size_t size)
{
	static int trace = -1;
	struct zb_fuzz *f = &F;
	struct fuzz_cursor c;
	const struct zb_op *op;
	unsigned long opno = 0;
	uint8_t cfg = 0, code;
	size_t at;

	if (trace < 0)
		trace = getenv("ZS_FUZZ_TRACE") != NULL;
	fm_ctx.target = "zbud";
	fm_ctx.trace = trace;
	fm_ctx.op = "(setup)";
	fm_ctx.opno = 0;
	fm_ctx.offset = 0;
	fm_reset(&f->m);
	f->verify_pending = false;
	f->reclaiming = false;
	f->clock = 0;
	f->nwb = f->wb_pos = 0;
	f->written_back = 0;

	fc_init(&c, data, size);
	fc_u8(&c, &cfg);
	pool_open(f, cfg);
	for (;;) {
		at = c.pos;
		if (!fc_u8(&c, &code))
			break;
		op = &zb_op_table[code & (ZB_OP_SLOTS - 1)];
		if (!op->run)
			continue;
		fm_ctx.op = op->name;
		fm_ctx.opno = opno;
		fm_ctx.offset = at;
		fm_trace("op #%lu @%zu %s (live %u, %llu bytes, %u pages)\n",
			 opno, at, op->name, f->m.nlive,
			 (unsigned long long)f->m.bytes, f->npages);
		op->run(f, &c);
		check_pages(f);
		if (f->verify_pending) {
			verify_all(f);
			f->verify_pending = false;
		}
		if (++opno % ZB_CHECK_EVERY == 0)
			full_check(f, "(periodic)");
	}
	fm_ctx.op = "(end of input)";
	fm_ctx.opno = opno;
	fm_ctx.offset = size;
	zs_arena_inject_failures(f->arena, 0, 0);
	f->injecting = false;
	verify_all(f);
	full_check(f, "at the end");
	pool_close(f, true);
	return 0;
}
