// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt.c - op corrupt (white box, zs/zs_internal.h):
 * every inconsistency zs_pool_check names, planted, reported and undone.
 *
 * One kind per FAIL of zs/check.c.  The op plants one where the pool's state
 * has room for it, requires zs_pool_check to return -EUCLEAN with exactly that
 * report, word for word (captured through zs/report.h's hook), then undoes it:
 * the pool must check clean again with every statistic as before.  A finding
 * with two halves (the group a zspage records and the group its count implies;
 * a page described with another owner, zspage, index or not movable; a slot
 * leaked or claimed twice) gets a variant per half, each planted so that only
 * that half is wrong, so no half can stop working unnoticed behind another.
 * The kinds past the pool's are zs_arena_check's, planted in the pool's arena
 * (fuzz/zsmalloc_fuzz/zs_arena_corrupt.c).  zsf_pick_target, which finds a
 * zspage and an object to plant in, also serves page_ops (zs_page_ops.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_arena_corrupt.h"
#include "fuzz/zsmalloc_fuzz/zs_ops_internal.h"
#include "zs/arena_internal.h"
#include "zs/report.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"
#include "zs/zsmalloc.h"

/*
 * The corrupt op writes into the pool's own structures (zs/zs_internal.h),
 * so every write is logged and undone in reverse order: the pool must come
 * out bit for bit as it went in.  Atomics are written as atomics (the
 * checker reads them so); object headers with the uninstrumented store,
 * as the library does.
 */
enum poke_kind {
	POKE_PLAIN,
	POKE_A32,
	POKE_A64,
	POKE_AUL,
	POKE_APTR,
	POKE_HDR
};

#define POKES_MAX 12

struct pokes {
	unsigned n;
	struct {
		void *p;
		enum poke_kind kind;
		size_t len;
		uint64_t old;
		unsigned char plain[8];
	} e[POKES_MAX];
};

static void poke(struct pokes *u, void *p, enum poke_kind kind, size_t len,
		 uint64_t v, const void *plain)
{
	if (u->n == POKES_MAX)
		fm_fail("corrupt: more than %d writes to undo", POKES_MAX);
	u->e[u->n].p = p;
	u->e[u->n].kind = kind;
	u->e[u->n].len = len;
	switch (kind) {
	case POKE_PLAIN:
		memcpy(u->e[u->n].plain, p, len);
		memcpy(p, plain, len);
		break;
	case POKE_A32:
		u->e[u->n].old =
			atomic_exchange((_Atomic uint32_t *)p, (uint32_t)v);
		break;
	case POKE_A64:
		u->e[u->n].old = atomic_exchange((_Atomic uint64_t *)p, v);
		break;
	case POKE_AUL:
		u->e[u->n].old = atomic_exchange((_Atomic unsigned long *)p,
						 (unsigned long)v);
		break;
	case POKE_APTR:
		u->e[u->n].old = (uintptr_t)atomic_exchange(
			(_Atomic(void *) *)p, (void *)(uintptr_t)v);
		break;
	case POKE_HDR:
		u->e[u->n].old = zs_raw_load32(p);
		zs_raw_store32(p, (uint32_t)v);
		break;
	}
	u->n++;
}

static void unpoke(struct pokes *u)
{
	while (u->n) {
		u->n--;
		switch (u->e[u->n].kind) {
		case POKE_PLAIN:
			memcpy(u->e[u->n].p, u->e[u->n].plain, u->e[u->n].len);
			break;
		case POKE_A32:
			atomic_store((_Atomic uint32_t *)u->e[u->n].p,
				     (uint32_t)u->e[u->n].old);
			break;
		case POKE_A64:
			atomic_store((_Atomic uint64_t *)u->e[u->n].p,
				     u->e[u->n].old);
			break;
		case POKE_AUL:
			atomic_store((_Atomic unsigned long *)u->e[u->n].p,
				     (unsigned long)u->e[u->n].old);
			break;
		case POKE_APTR:
			atomic_store((_Atomic(void *) *)u->e[u->n].p,
				     (void *)(uintptr_t)u->e[u->n].old);
			break;
		case POKE_HDR:
			zs_raw_store32(u->e[u->n].p, (uint32_t)u->e[u->n].old);
			break;
		}
	}
}

static void poke_u32(struct pokes *u, uint32_t *p, uint32_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_u16(struct pokes *u, uint16_t *p, uint16_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_u8(struct pokes *u, uint8_t *p, uint8_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_bool(struct pokes *u, bool *p, bool v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_ul(struct pokes *u, unsigned long *p, unsigned long v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_u64(struct pokes *u, uint64_t *p, uint64_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_zsp(struct pokes *u, struct zspage **p, struct zspage *v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

/* An atomic pointer (a zspage's page, a table chunk) set to v. */
static void poke_aptr(struct pokes *u, void *p, const void *v)
{
	poke(u, p, POKE_APTR, sizeof(void *), (uintptr_t)v, NULL);
}

/* The header word of slot `obj`: slots start 16-byte aligned, so it never
 * straddles a page. */
static void *obj_header_at(const struct size_class *c, const struct zspage *zsp,
			   uint32_t obj)
{
	size_t off = (size_t)obj * c->size;

	return atomic_load(&zsp->pages[off >> ZS_PAGE_SHIFT]) +
	       (off & (ZS_PAGE_SIZE - 1));
}

static bool target_fits(const struct size_class *c, const struct zspage *zsp,
			int want)
{
	switch (want) {
	case T_SMALL:
		return !c->huge;
	case T_HUGE:
		return c->huge;
	case T_SMALL_FREELIST:
		return !c->huge && zsp->free_head != ZS_NO_OBJ;
	default:
		return true;
	}
}

bool zsf_pick_target(struct zs_pool *pool, uint16_t sel, int want,
		     struct corrupt_target *t)
{
	unsigned i, g, n, k, nr = pool->nr_classes;

	for (i = 0; i < nr; i++) {
		struct size_class *c = &pool->classes[(sel + i) % nr];
		struct zspage *zsp;

		zs_lock(&c->lock);
		for (n = 0, g = 0; g < ZS_NR_FULLNESS; g++)
			for (zsp = c->groups[g]; zsp; zsp = zsp->next)
				n += target_fits(c, zsp, want);
		if (!n) {
			zs_unlock(&c->lock);
			continue;
		}
		k = (sel >> 4) % n;
		for (g = 0; g < ZS_NR_FULLNESS; g++)
			for (zsp = c->groups[g]; zsp; zsp = zsp->next)
				if (target_fits(c, zsp, want) && k-- == 0)
					goto found;
		fm_fail("corrupt: class %u lost a zspage while locked",
			c->size);
found:
		t->c = c;
		t->zsp = zsp;
		t->g = g;
		if (c->huge) {
			t->obj = 0;
			t->idx = zsp->huge_slot;
		} else {
			uint32_t obj, live = 0, hdr;

			for (obj = 0; obj < zsp->fresh; obj++)
				live += zs_obj_header(c, zsp, obj) &
					ZS_OBJ_ALLOCATED;
			if (!live)
				fm_fail("corrupt: listed zspage %u holds no "
					"object",
					zsp->id);
			k = (sel >> 9) % live;
			for (obj = 0;; obj++) {
				hdr = zs_obj_header(c, zsp, obj);
				if ((hdr & ZS_OBJ_ALLOCATED) && k-- == 0)
					break;
			}
			t->obj = obj;
			t->idx = hdr >> 1;
		}
		t->slot = zs_slot_at(pool, t->idx);
		if (!t->slot)
			fm_fail("corrupt: object %u of zspage %u names slot %u "
				"beyond the table",
				t->obj, zsp->id, t->idx);
		return true;
	}
	return false;
}

/* Takes t's zspage out of its fullness list onto its class's (empty)
 * isolated list, as compaction leaves a source zspage between two moves:
 * consistent, so a finding planted on top of it is the only one.  Class
 * lock held. */
static void isolate_target(struct pokes *u, const struct corrupt_target *t)
{
	struct zspage *zsp = t->zsp;

	if (zsp->prev)
		poke_zsp(u, &zsp->prev->next, zsp->next);
	else
		poke_zsp(u, &t->c->groups[t->g], zsp->next);
	if (zsp->next)
		poke_zsp(u, &zsp->next->prev, zsp->prev);
	poke_ul(u, &t->c->group_count[t->g], t->c->group_count[t->g] - 1);
	poke_zsp(u, &zsp->prev, NULL);
	poke_zsp(u, &zsp->next, NULL);
	poke_bool(u, &zsp->isolated, true);
	poke_zsp(u, &t->c->isolated_list, zsp);
}

/* Reports caught while the checker runs on a corrupted pool. */
struct report_capture {
	unsigned n;
	char msg[600];
};

static void capture_report(const char *message, void *arg)
{
	struct report_capture *cap = arg;

	if (cap->n++ == 0)
		snprintf(cap->msg, sizeof(cap->msg), "%s", message);
}

static int check_captured(struct zs_fuzz *f, struct report_capture *cap)
{
	zs_report_hook *old;
	void *old_arg;
	int ret;

	cap->n = 0;
	cap->msg[0] = 0;
	old = zs_set_report_hook(capture_report, cap, &old_arg);
	ret = zs_pool_check(f->pool);
	zs_set_report_hook(old, old_arg, NULL);
	return ret;
}

static void __attribute__((format(printf, 3, 4)))
want_report(char *buf, const struct zs_fuzz *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(buf, 600,
		     "zs: zs_pool_check(%s): ", zs_pool_name(f->pool));
	va_start(ap, fmt);
	vsnprintf(buf + n, 600 - (size_t)n, fmt, ap);
	va_end(ap);
}

/* One kind per FAIL of zs/check.c: the first 24 in the checker's order as
 * it was when they were numbered, the rest after them in the checker's
 * order, so the kind bytes of existing corpus inputs keep their meaning
 * below 24.  Kinds from CK_KINDS on are zs_arena_check's. */
enum corrupt_kind {
	CK_NOT_LIVE,
	CK_CLASS_INDEX,
	CK_FULLNESS,
	CK_EMPTY_KEPT,
	CK_FRESH,
	CK_SLOT_BEYOND,
	CK_SLOT_FREE,
	CK_LOC,
	CK_SIZE_CLASS,
	CK_MOVING,
	CK_FREE_BROKEN,
	CK_FREE_ALLOCATED,
	CK_COUNTS,
	CK_BACK_LINK,
	CK_LIST_LONG,
	CK_GROUP_COUNT,
	CK_ISOLATED_LIST,
	CK_ISOLATED_INNER,
	CK_LIVE,
	CK_ALLOCATED,
	CK_BYTES,
	CK_SLOTS_LIVE,
	CK_ZSPAGES,
	CK_PAGES,
	CK_BELONGS,
	CK_PAGE_NOT_ARENA,
	CK_PAGE_DESC,
	CK_HT_CHUNK,
	CK_HT_NCHUNKS,
	CK_SLOT_BITS,
	CK_SLOT_LIST,
	CK_FRESH_RANGE,
	CK_FRESH_OVERLAP,
	CK_SLOT_LEAK,
	CK_ZSP_CHUNK,
	CK_ZSP_NCHUNKS,
	CK_DESC_ID,
	CK_DESC_LIVE,
	CK_DESC_FREE_LIST,
	CK_DESC_LEAK,
	CK_ARENA_PAGES,
	CK_KINDS
};

static const char *const corrupt_names[CK_KINDS] = {
	"zspage not live",   "class index",	    "fullness group",
	"empty zspage kept", "fresh mark",	    "slot beyond table",
	"free handle slot",  "slot location",	    "size in other class",
	"moving at rest",    "free list broken",    "free list allocated",
	"zspage counts",     "back link",	    "list too long",
	"group count",	     "isolated list",	    "inside isolated",
	"class live count",  "class allocated",	    "class bytes",
	"live slots",	     "pool zspages",	    "pool pages",
	"fullness implied",  "page not in arena",   "page descriptor",
	"handle chunk",	     "handle chunk count",  "free slot state",
	"free slot list",    "fresh range",	    "fresh overlap",
	"slot leaked",	     "zspage chunk",	    "zspage chunk count",
	"descriptor id",     "descriptor live",	    "descriptor free list",
	"descriptor leaked", "pool pages in arena",
};

/* Page aligned and never an arena page: a zspage page pointed elsewhere. */
static _Alignas(ZS_PAGE_SIZE) char foreign_page[ZS_PAGE_SIZE];
/* Never dereferenced: what a stray table chunk pointer points at. */
static char stray_chunk[64];

/* A class with a non-empty handle slot free list, chosen by sel; NULL
 * when none. */
static struct size_class *class_with_free_slots(struct zs_pool *pool,
						unsigned sel)
{
	unsigned i, nr = pool->nr_classes;

	for (i = 0; i < nr; i++) {
		struct size_class *c = &pool->classes[(sel + i) % nr];
		bool has;

		zs_lock(&c->lock);
		has = c->free_slots != 0;
		zs_unlock(&c->lock);
		if (has)
			return c;
	}
	return NULL;
}

/* A class with never-used slots left in its fresh batch; NULL when none. */
static struct size_class *class_with_fresh(struct zs_pool *pool, unsigned sel)
{
	unsigned i, nr = pool->nr_classes;

	for (i = 0; i < nr; i++) {
		struct size_class *c = &pool->classes[(sel + i) % nr];
		bool has;

		zs_lock(&c->lock);
		has = c->fresh_next < c->fresh_end;
		zs_unlock(&c->lock);
		if (has)
			return c;
	}
	return NULL;
}

/* The n-th slot of c's free list (n = 0 is the head), its length in *len;
 * class lock held. */
static uint32_t free_slot_at(struct zs_pool *pool, const struct size_class *c,
			     unsigned n, unsigned *len)
{
	uint32_t f, idx = 0;
	unsigned k = 0;

	for (f = c->free_slots; f; k++) {
		if (k == n)
			idx = f - 1;
		f = (uint32_t)atomic_load(&zs_slot_at(pool, f - 1)->loc);
	}
	*len = k;
	return idx;
}

static unsigned long pool_live(struct zs_pool *pool)
{
	unsigned long n = 0;
	unsigned i;

	for (i = 0; i < pool->nr_classes; i++)
		n += atomic_load(&pool->classes[i].objs_used);
	return n;
}

/* True when no live handle slot lies in table chunk ch. */
static bool chunk_unused(struct zs_pool *pool, unsigned long ch,
			 uint32_t nslots)
{
	uint32_t idx, end = (uint32_t)(ch + 1) * ZS_HT_CHUNK;

	for (idx = (uint32_t)ch * ZS_HT_CHUNK; idx < end && idx < nslots; idx++)
		if (atomic_load(&zs_slot_at(pool, idx)->meta) & ZS_META_LIVE)
			return false;
	return true;
}

/* The n-th descriptor of the zspage descriptor free list (n = 0 is the
 * head, NULL past the end), its length in *len; zsp_lock held. */
static struct zspage *free_desc_at(struct zs_pool *pool, unsigned n,
				   unsigned *len)
{
	struct zspage *zsp, *hit = NULL;
	unsigned k = 0;

	for (zsp = pool->zsp_free; zsp; zsp = zsp->next, k++)
		if (k == n)
			hit = zsp;
	*len = k;
	return hit;
}

/* What zs_pool_check's page test says of page i of zsp (class lock held):
 * the report, given the arena's descriptor of the page as it is now. */
static void want_page_desc(char *want, struct zs_fuzz *f,
			   const struct corrupt_target *t, unsigned i)
{
	struct zs_arena *a = f->pool->arena;
	struct arena_page_desc *d;

	pthread_mutex_lock(&a->lock);
	d = zsf_arena_desc(a, atomic_load(&t->zsp->pages[i]));
	if (!d)
		fm_fail("corrupt: page %u of zspage %u is no arena page", i,
			t->zsp->id);
	want_report(want, f,
		    "page %u of zspage %u (class %u) is described as owner "
		    "%d's zspage %u page %u%s",
		    i, t->zsp->id, t->c->size, (int)d->owner - 1, d->cookie,
		    d->index,
		    d->flags & ARENA_PAGE_MOVABLE ? "" : ", not movable");
	pthread_mutex_unlock(&a->lock);
}

/* Plants corruption `kind` (pokes logged in u) and writes the report the
 * checker must give into want; false when the pool's state has no place
 * for it.  Class pokes are made under the class lock, as the pool's own
 * writers do. */
static bool corrupt_plant(struct zs_fuzz *f, unsigned kind, uint16_t sel,
			  struct pokes *u, char *want)
{
	struct zs_pool *pool = f->pool;
	struct size_class *c = &pool->classes[sel % pool->nr_classes];
	struct report_capture cap;
	struct corrupt_target t;
	struct zspage *zsp, *other;
	struct arena_page_desc *d;
	struct arena_owner *o;
	unsigned long longest = 0, n, lost;
	unsigned g, i, first_g = 0;
	uint32_t v, idx, nslots;
	uint64_t m;
	size_t size;
	char *page;
	int ret;

	switch (kind) {
	case CK_NOT_LIVE:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.zsp->state, POKE_A32, 4, ZSPAGE_FREE, NULL);
		want_report(want, f, "zspage %u in class %u lists is not live",
			    t.zsp->id, t.c->size);
		break;
	case CK_CLASS_INDEX:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		v = (t.c->index + 1 + (sel >> 12)) % pool->nr_classes;
		if (v == t.c->index)
			v = (v + 1) % pool->nr_classes;
		poke(u, &t.zsp->class_idx, POKE_A32, 4, v, NULL);
		want_report(want, f,
			    "zspage %u in class %u lists says class index %u",
			    t.zsp->id, t.c->size, v);
		break;
	case CK_FULLNESS:
		/* Only the recorded group changed: the list and the count
		 * still agree, so only the first half can see it. */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		g = (t.g + 1 + (sel >> 12) % (ZS_NR_FULLNESS - 1)) %
		    ZS_NR_FULLNESS;
		poke_u8(u, &t.zsp->fullness, (uint8_t)g);
		want_report(want, f,
			    "zspage %u (class %u) records fullness group %u "
			    "but is in list %u",
			    t.zsp->id, t.c->size, g, t.g);
		break;
	case CK_EMPTY_KEPT:
		/* An emptied zspage left in the empty group's list. */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		if (t.c->groups[ZS_FULLNESS_EMPTY]) {
			zs_unlock(&t.c->lock);
			return false;
		}
		poke_zsp(u, &t.c->groups[ZS_FULLNESS_EMPTY], t.zsp);
		poke_zsp(u, &t.zsp->prev, NULL);
		poke_u32(u, &t.zsp->inuse, 0);
		poke_u8(u, &t.zsp->fullness, ZS_FULLNESS_EMPTY);
		want_report(want, f,
			    "zspage %u (class %u) is empty but was not freed",
			    t.zsp->id, t.c->size);
		break;
	case CK_FRESH:
		if (!zsf_pick_target(pool, sel, T_SMALL, &t))
			return false;
		v = t.c->objs_per_zspage + 1 + (sel >> 13);
		poke_u32(u, &t.zsp->fresh, v);
		want_report(want, f,
			    "zspage %u (class %u) has fresh mark %u beyond its "
			    "%u objects",
			    t.zsp->id, t.c->size, v, t.c->objs_per_zspage);
		break;
	case CK_SLOT_BEYOND:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		idx = atomic_load(&pool->ht_next) + (sel >> 10);
		if (t.c->huge)
			poke_u32(u, &t.zsp->huge_slot, idx);
		else
			poke(u, obj_header_at(t.c, t.zsp, t.obj), POKE_HDR, 4,
			     (idx << 1) | ZS_OBJ_ALLOCATED, NULL);
		want_report(want, f,
			    "object %u of zspage %u (class %u) names handle "
			    "slot %u beyond the table",
			    t.obj, t.zsp->id, t.c->size, idx);
		break;
	case CK_SLOT_FREE:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.slot->meta, POKE_A64, 8,
		     atomic_load(&t.slot->meta) & ~ZS_META_LIVE, NULL);
		want_report(want, f,
			    "object %u of zspage %u (class %u) names free "
			    "handle slot %u",
			    t.obj, t.zsp->id, t.c->size, t.idx);
		break;
	case CK_LOC:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.slot->loc, POKE_A64, 8,
		     atomic_load(&t.slot->loc) ^
			     (sel & 0x8000 ? 1ull << 32 : 1ull),
		     NULL);
		want_report(want, f,
			    "handle slot %u does not point back at object %u "
			    "of zspage %u",
			    t.idx, t.obj, t.zsp->id);
		break;
	case CK_SIZE_CLASS:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		size = t.c->huge ? 1u + (sel >> 12) : ZS_PAGE_SIZE;
		if (zs_class_for_size(pool, size) == t.c) {
			zs_unlock(&t.c->lock);
			return false;
		}
		m = atomic_load(&t.slot->meta) &
		    ~(ZS_META_SIZE_MASK << ZS_META_SIZE_SHIFT);
		poke(u, &t.slot->meta, POKE_A64, 8,
		     m | ((uint64_t)size << ZS_META_SIZE_SHIFT), NULL);
		want_report(want, f,
			    "handle slot %u (size %zu) lives in class %u",
			    t.idx, size, t.c->size);
		break;
	case CK_MOVING:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.slot->meta, POKE_A64, 8,
		     atomic_load(&t.slot->meta) | ZS_META_MOVING, NULL);
		want_report(want, f, "handle slot %u is marked moving at rest",
			    t.idx);
		break;
	case CK_FREE_BROKEN:
		if (!zsf_pick_target(pool, sel, T_SMALL, &t))
			return false;
		poke_u32(u, &t.zsp->free_head, t.zsp->fresh);
		want_report(want, f,
			    "free list of zspage %u (class %u) is broken at %u",
			    t.zsp->id, t.c->size, t.zsp->fresh);
		break;
	case CK_FREE_ALLOCATED:
		if (!zsf_pick_target(pool, sel, T_SMALL, &t))
			return false;
		poke_u32(u, &t.zsp->free_head, t.obj);
		want_report(want, f,
			    "free list of zspage %u (class %u) holds allocated "
			    "object %u",
			    t.zsp->id, t.c->size, t.obj);
		break;
	case CK_COUNTS:
		/* The huge object marked free, or a free list dropped: the
		 * zspage's count no longer adds up. */
		if (zsf_pick_target(pool, sel,
				    sel & 0x100 ? T_HUGE : T_SMALL_FREELIST,
				    &t) ||
		    zsf_pick_target(pool, sel,
				    sel & 0x100 ? T_SMALL_FREELIST : T_HUGE,
				    &t)) {
			if (t.c->huge) {
				poke_u32(u, &t.zsp->free_head, 0);
				want_report(want, f,
					    "zspage %u (class %u) counts %u in "
					    "use, holds %u live and %u free of "
					    "%u",
					    t.zsp->id, t.c->size, t.zsp->inuse,
					    0u, 1u, 1u);
			} else {
				poke_u32(u, &t.zsp->free_head, ZS_NO_OBJ);
				want_report(want, f,
					    "zspage %u (class %u) counts %u in "
					    "use, holds %u live and %u free of "
					    "%u",
					    t.zsp->id, t.c->size, t.zsp->inuse,
					    t.zsp->inuse,
					    t.c->objs_per_zspage - t.zsp->fresh,
					    t.c->objs_per_zspage);
			}
			break;
		}
		return false;
	case CK_BACK_LINK:
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke_zsp(u, &t.zsp->prev, t.zsp->prev ? NULL : t.zsp);
		want_report(
			want, f,
			"fullness list %u of class %u has a broken back link "
			"at zspage %u",
			t.g, t.c->size, t.zsp->id);
		break;
	case CK_LIST_LONG:
		/* The pool's count one below the longest list: the walk's
		 * bound trips at that list's last zspage. */
		for (i = 0; i < pool->nr_classes; i++) {
			struct size_class *k = &pool->classes[i];

			zs_lock(&k->lock);
			for (g = 0; g < ZS_NR_FULLNESS; g++) {
				for (n = 0, zsp = k->groups[g]; zsp;
				     zsp = zsp->next)
					n++;
				if (n > longest) {
					longest = n;
					first_g = g;
					c = k;
				}
			}
			zs_unlock(&k->lock);
		}
		if (!longest)
			return false;
		poke(u, &pool->zspages, POKE_AUL, sizeof(unsigned long),
		     longest - 1, NULL);
		want_report(want, f,
			    "fullness list %u of class %u holds more than the "
			    "pool's %lu zspages",
			    first_g, c->size, longest - 1);
		return true;
	case CK_GROUP_COUNT:
		g = (sel >> 8) % ZS_NR_FULLNESS;
		zs_lock(&c->lock);
		n = c->group_count[g];
		poke_ul(u, &c->group_count[g], n + 1);
		want_report(want, f,
			    "class %u group %u holds %lu zspages, "
			    "counted %lu",
			    c->size, g, n, n + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_ISOLATED_LIST:
		/* Each half alone: a zspage isolated as compaction does it but
		 * not marked isolated, or marked but with a broken back link;
		 * or (both at once) one left on its fullness list too. */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		if (t.c->isolated_list) {
			zs_unlock(&t.c->lock);
			return false;
		}
		if (sel >> 15) {
			poke_zsp(u, &t.c->isolated_list, t.zsp);
		} else {
			isolate_target(u, &t);
			if (sel & 0x4000)
				poke_zsp(u, &t.zsp->prev, t.zsp);
			else
				poke_bool(u, &t.zsp->isolated, false);
		}
		want_report(want, f,
			    "isolated list of class %u is broken at zspage %u",
			    t.c->size, t.zsp->id);
		break;
	case CK_ISOLATED_INNER:
		/* First a zspage isolated as compaction leaves it between two
		 * moves, which is consistent; then an object in it marked
		 * moving, which is not. */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		zsp = t.zsp;
		if (t.c->isolated_list) {
			zs_unlock(&t.c->lock);
			return false;
		}
		isolate_target(u, &t);
		zs_unlock(&t.c->lock);
		ret = check_captured(f, &cap);
		if (ret || cap.n) {
			unpoke(u);
			fm_fail("zs_pool_check of a pool with zspage %u isolated "
				"(as by compaction) returned %d: %s",
				zsp->id, ret, cap.n ? cap.msg : "(no report)");
		}
		zs_lock(&t.c->lock);
		poke(u, &t.slot->meta, POKE_A64, 8,
		     atomic_load(&t.slot->meta) | ZS_META_MOVING, NULL);
		want_report(want, f, "handle slot %u is marked moving at rest",
			    t.idx);
		break;
	case CK_LIVE:
		zs_lock(&c->lock);
		n = atomic_load(&c->objs_used);
		poke(u, &c->objs_used, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f,
			    "class %u holds %lu live objects, counted %lu",
			    c->size, n, n + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_ALLOCATED:
		zs_lock(&c->lock);
		n = atomic_load(&c->objs_allocated);
		poke(u, &c->objs_allocated, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f,
			    "class %u has %lu zspages of %u objects, counted "
			    "%lu allocated",
			    c->size, n / c->objs_per_zspage, c->objs_per_zspage,
			    n + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_BYTES:
		zs_lock(&c->lock);
		m = c->bytes_stored;
		poke_u64(u, &c->bytes_stored, m + 1);
		want_report(want, f, "class %u holds %llu bytes, counted %llu",
			    c->size, (unsigned long long)m,
			    (unsigned long long)m + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_SLOTS_LIVE:
		/* A free (or never used) handle slot marked live. */
		nslots = atomic_load(&pool->ht_next);
		for (i = 0; i < nslots; i++) {
			struct zs_hslot *s =
				zs_slot_at(pool, (sel + i) % nslots);

			m = atomic_load(&s->meta);
			if (m & ZS_META_LIVE)
				continue;
			n = 0;
			for (g = 0; g < pool->nr_classes; g++)
				n += atomic_load(&pool->classes[g].objs_used);
			poke(u, &s->meta, POKE_A64, 8, m | ZS_META_LIVE, NULL);
			want_report(want, f,
				    "%lu handle slots are live but %lu objects "
				    "are stored",
				    n + 1, n);
			return true;
		}
		return false;
	case CK_ZSPAGES:
		n = atomic_load(&pool->zspages);
		poke(u, &pool->zspages, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f, "%lu zspages in the lists, counted %lu", n,
			    n + 1);
		return true;
	case CK_PAGES:
		n = atomic_load(&pool->pages);
		poke(u, &pool->pages, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f, "%lu pages in zspages, counted %lu", n,
			    n + 1);
		return true;
	case CK_BELONGS:
		/* Moved to another list with the group it records and both
		 * lists' counts to match: only the second half, the group
		 * its count implies, can see it. */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		zsp = t.zsp;
		g = (t.g + 1 + (sel >> 12) % (ZS_NR_FULLNESS - 1)) %
		    ZS_NR_FULLNESS;
		if (zsp->prev)
			poke_zsp(u, &zsp->prev->next, zsp->next);
		else
			poke_zsp(u, &t.c->groups[t.g], zsp->next);
		if (zsp->next)
			poke_zsp(u, &zsp->next->prev, zsp->prev);
		poke_ul(u, &t.c->group_count[t.g], t.c->group_count[t.g] - 1);
		other = t.c->groups[g];
		if (other)
			poke_zsp(u, &other->prev, zsp);
		poke_zsp(u, &zsp->next, other);
		poke_zsp(u, &zsp->prev, NULL);
		poke_zsp(u, &t.c->groups[g], zsp);
		poke_ul(u, &t.c->group_count[g], t.c->group_count[g] + 1);
		poke_u8(u, &zsp->fullness, (uint8_t)g);
		want_report(
			want, f,
			"zspage %u (class %u, %u in use) belongs in fullness "
			"group %u but is in list %u",
			zsp->id, t.c->size, zsp->inuse, t.g, g);
		break;
	case CK_PAGE_NOT_ARENA:
		/* A page of the chain pointing at no allocated arena page:
		 * nowhere, outside every region, into the middle of a page,
		 * or at a page the arena has free (a page freed behind the
		 * zspage's back). */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		i = (sel >> 10) % t.c->pages_per_zspage;
		page = atomic_load(&t.zsp->pages[i]);
		switch (sel >> 14) {
		case 0:
			page = NULL;
			break;
		case 1:
			page = foreign_page;
			break;
		case 2:
			page += 16 * (1 + (sel & 0x7f));
			break;
		default:
			pthread_mutex_lock(&pool->arena->lock);
			page = zsf_arena_free_page(pool->arena, sel);
			pthread_mutex_unlock(&pool->arena->lock);
			if (!page)
				page = foreign_page;
			break;
		}
		poke_aptr(u, &t.zsp->pages[i], page);
		want_report(want, f,
			    "page %u of zspage %u (class %u) at %p is not an "
			    "allocated arena page",
			    i, t.zsp->id, t.c->size, (void *)page);
		break;
	case CK_PAGE_DESC:
		/* The arena's descriptor of one page with one field wrong
		 * (owner, zspage, index, movable), or the chain itself wrong
		 * (two pages swapped, another zspage's page): each is what
		 * some migration bug leaves behind. */
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		i = (sel >> 10) % t.c->pages_per_zspage;
		v = (sel >> 13) & 7;
		if (v == 4 && t.c->pages_per_zspage < 2)
			v = 2;
		for (other = NULL, g = 0; v == 5 && g < ZS_NR_FULLNESS; g++)
			for (zsp = t.c->groups[g]; zsp && !other;
			     zsp = zsp->next)
				if (zsp != t.zsp)
					other = zsp;
		if (v == 5 && !other)
			v = 1;
		if (v == 4) {
			/* The report names the first page out of place. */
			idx = 1 + (sel & 0xf) % (t.c->pages_per_zspage - 1u);
			page = atomic_load(&t.zsp->pages[idx]);
			poke_aptr(u, &t.zsp->pages[idx],
				  atomic_load(&t.zsp->pages[0]));
			poke_aptr(u, &t.zsp->pages[0], page);
			want_page_desc(want, f, &t, 0);
			break;
		}
		if (v == 5) {
			poke_aptr(
				u, &t.zsp->pages[i],
				atomic_load(
					&other->pages[(sel & 0xf) %
						      t.c->pages_per_zspage]));
			want_page_desc(want, f, &t, i);
			break;
		}
		pthread_mutex_lock(&pool->arena->lock);
		d = zsf_arena_desc(pool->arena, atomic_load(&t.zsp->pages[i]));
		if (!d)
			fm_fail("corrupt: page %u of zspage %u is no arena "
				"page",
				i, t.zsp->id);
		switch (v) {
		case 0:
			poke_u16(u, &d->owner,
				 (uint16_t)(d->owner + 1 + (sel & 0xf)));
			break;
		case 1:
			poke_u32(u, &d->cookie, d->cookie ^ (1u << (sel & 31)));
			break;
		case 2:
			poke_u32(u, &d->index, d->index + 1 + (sel & 0xf));
			break;
		case 6:
			/* Allocated, but described as nobody's. */
			poke_u16(u, &d->owner, 0);
			break;
		default:
			poke_u16(u, &d->flags,
				 (uint16_t)(d->flags & ~ARENA_PAGE_MOVABLE));
			break;
		}
		pthread_mutex_unlock(&pool->arena->lock);
		want_page_desc(want, f, &t, i);
		break;
	case CK_HT_CHUNK:
		/* The handle table's chunks are exactly those its slot count
		 * needs: one missing below (possible only where no live
		 * object's slot lies, or the object walk would trip on it
		 * first), or one present past them. */
		nslots = atomic_load(&pool->ht_next);
		n = nslots ? ((unsigned long)nslots - 1) / ZS_HT_CHUNK + 1 : 0;
		pthread_mutex_lock(&pool->grow_lock);
		for (i = 0; (sel & 0x8000) && i < n; i++) {
			unsigned long ch = (sel + i) % n;

			if (!chunk_unused(pool, ch, nslots))
				continue;
			poke_aptr(u, &pool->ht_chunks[ch], NULL);
			want_report(want, f,
				    "handle table chunk %lu is missing for %u "
				    "slots",
				    ch, nslots);
			pthread_mutex_unlock(&pool->grow_lock);
			return true;
		}
		if (n >= ZS_HT_MAX_CHUNKS) {
			pthread_mutex_unlock(&pool->grow_lock);
			return false;
		}
		poke_aptr(u, &pool->ht_chunks[n], stray_chunk);
		want_report(want, f,
			    "handle table chunk %lu is present for %u "
			    "slots",
			    n, nslots);
		pthread_mutex_unlock(&pool->grow_lock);
		return true;
	case CK_HT_NCHUNKS:
		nslots = atomic_load(&pool->ht_next);
		n = atomic_load(&pool->ht_nchunks);
		poke(u, &pool->ht_nchunks, POKE_AUL, sizeof(n),
		     n && (sel & 1) ? n - 1 : n + 1 + (sel >> 12), NULL);
		want_report(want, f,
			    "handle table has %lu chunks for %u slots, counted "
			    "%lu",
			    n, nslots, atomic_load(&pool->ht_nchunks));
		return true;
	case CK_SLOT_BITS:
		/* A free slot with a pin count, the moving bit, a size, or
		 * a pin and the moving bit: what a half-done free leaves. */
		nslots = atomic_load(&pool->ht_next);
		for (i = 0; i < nslots; i++) {
			struct zs_hslot *s;

			idx = (sel + i) % nslots;
			s = zs_slot_at(pool, idx);
			m = atomic_load(&s->meta);
			if (m & ZS_META_LIVE)
				continue;
			switch (sel >> 14) {
			case 0:
				m |= 1u + (sel & 0x7f);
				break;
			case 1:
				m |= ZS_META_MOVING;
				break;
			case 2:
				m |= (uint64_t)(1u + (sel & 0xfff))
				     << ZS_META_SIZE_SHIFT;
				break;
			default:
				m |= ZS_META_MOVING | (1u + (sel & 0x7f));
				break;
			}
			poke(u, &s->meta, POKE_A64, 8, m, NULL);
			want_report(want, f,
				    "free handle slot %u has state bits %#x",
				    idx, (unsigned)(uint32_t)m);
			return true;
		}
		return false;
	case CK_SLOT_LIST:
		nslots = atomic_load(&pool->ht_next);
		v = sel >> 14;
		c = class_with_free_slots(pool, sel);
		if (v == 3) {
			/* A slot on two classes' lists: a later class's head
			 * set to an earlier one's, whose walk claimed it. */
			if (c && c->index + 1u < pool->nr_classes) {
				struct size_class *b;

				b = &pool->classes[c->index + 1 +
						   (sel >> 4) %
							   (pool->nr_classes -
							    c->index - 1)];
				zs_lock(&b->lock);
				idx = c->free_slots - 1;
				poke_u32(u, &b->free_slots, c->free_slots);
				want_report(want, f,
					    "free slot list of class %u is "
					    "broken or claims a used slot at "
					    "%u",
					    b->size, idx);
				zs_unlock(&b->lock);
				return true;
			}
			v = 0;
		}
		if (v == 0 || !c) {
			/* A live object's slot on a free list. */
			if (!zsf_pick_target(pool, sel, T_ANY, &t))
				return false;
			poke_u32(u, &t.c->free_slots, t.idx + 1);
			want_report(want, f,
				    "free slot list of class %u is broken or "
				    "claims a used slot at %u",
				    t.c->size, t.idx);
			break;
		}
		zs_lock(&c->lock);
		free_slot_at(pool, c, 0, &i);
		idx = free_slot_at(pool, c, i - 1, &i); /* the last */
		if (v == 1) {
			/* A link (or the head) past the table. */
			if (sel & 0x100) {
				poke(u, &zs_slot_at(pool, idx)->loc, POKE_A64,
				     8, (uint64_t)nslots + 1 + (sel & 0xff),
				     NULL);
			} else {
				poke_u32(u, &c->free_slots,
					 nslots + 1 + (sel & 0xff));
			}
			idx = nslots + (sel & 0xff);
		} else {
			/* The last slot linked back to the head. */
			poke(u, &zs_slot_at(pool, idx)->loc, POKE_A64, 8,
			     c->free_slots, NULL);
			idx = c->free_slots - 1;
		}
		want_report(want, f,
			    "free slot list of class %u is broken or claims a "
			    "used slot at %u",
			    c->size, idx);
		zs_unlock(&c->lock);
		return true;
	case CK_FRESH_RANGE:
		/* Each half alone: a batch that ends before it starts, or
		 * ends past the slots the table handed out. */
		nslots = atomic_load(&pool->ht_next);
		zs_lock(&c->lock);
		if (sel & 0x8000)
			poke_u32(u, &c->fresh_end,
				 nslots + 1 + ((sel >> 8) & 0xf));
		else
			poke_u32(u, &c->fresh_next,
				 c->fresh_end + 1 + ((sel >> 8) & 0xf));
		want_report(want, f, "class %u holds fresh slots %u..%u of %u",
			    c->size, c->fresh_next, c->fresh_end, nslots);
		zs_unlock(&c->lock);
		return true;
	case CK_FRESH_OVERLAP:
		/* A fresh batch over a slot used elsewhere: a live one, one
		 * on a free list, or another class's batch. */
		v = sel >> 14;
		if (v == 2) {
			struct size_class *b = class_with_fresh(pool, sel);

			if (b && b != c) {
				struct size_class *later =
					b->index > c->index ? b : c;

				zs_lock(&b->lock);
				idx = b->fresh_next +
				      (sel >> 4) %
					      (b->fresh_end - b->fresh_next);
				nslots = b->fresh_end;
				zs_unlock(&b->lock);
				/* c's batch from idx to b's end: the later
				 * class of the two finds idx claimed. */
				zs_lock(&c->lock);
				poke_u32(u, &c->fresh_next, idx);
				poke_u32(u, &c->fresh_end, nslots);
				zs_unlock(&c->lock);
				want_report(want, f,
					    "fresh slot %u of class %u is also "
					    "used elsewhere",
					    idx, later->size);
				return true;
			}
			v = 0;
		}
		if (v == 1) {
			/* The head of a free list at or before c. */
			struct size_class *b = class_with_free_slots(pool, sel);

			if (b) {
				if (b->index > c->index)
					c = b;
				zs_lock(&b->lock);
				idx = b->free_slots - 1;
				zs_unlock(&b->lock);
				zs_lock(&c->lock);
				poke_u32(u, &c->fresh_next, idx);
				if (c->fresh_end <= idx)
					poke_u32(u, &c->fresh_end, idx + 1);
				want_report(want, f,
					    "fresh slot %u of class %u is also "
					    "used elsewhere",
					    idx, c->size);
				zs_unlock(&c->lock);
				return true;
			}
		}
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke_u32(u, &t.c->fresh_next, t.idx);
		if (t.c->fresh_end <= t.idx)
			poke_u32(u, &t.c->fresh_end, t.idx + 1);
		want_report(want, f,
			    "fresh slot %u of class %u is also used elsewhere",
			    t.idx, t.c->size);
		break;
	case CK_SLOT_LEAK:
		/* A slot claimed by nobody: a free list's head dropped, a
		 * list cut short, or a fresh batch's next slot (or its last)
		 * taken and never given back, as a failed zs_malloc that
		 * forgot its slot would leave it. */
		nslots = atomic_load(&pool->ht_next);
		n = pool_live(pool);
		v = sel >> 14;
		if (v >= 2) {
			c = class_with_fresh(pool, sel);
			if (!c)
				return false;
			zs_lock(&c->lock);
			if (v == 2)
				poke_u32(u, &c->fresh_next, c->fresh_next + 1);
			else
				poke_u32(u, &c->fresh_end, c->fresh_end - 1);
			zs_unlock(&c->lock);
			lost = 1;
		} else {
			c = class_with_free_slots(pool, sel);
			if (!c)
				return false;
			zs_lock(&c->lock);
			free_slot_at(pool, c, 0, &i);
			if (v == 1 && i >= 2) {
				/* Cut after the k-th of i. */
				unsigned kth = (sel >> 4) % (i - 1);

				idx = free_slot_at(pool, c, kth, &i);
				poke(u, &zs_slot_at(pool, idx)->loc, POKE_A64,
				     8, 0, NULL);
				lost = i - kth - 1;
			} else {
				poke_u32(u, &c->free_slots,
					 (uint32_t)atomic_load(
						 &zs_slot_at(pool,
							     c->free_slots - 1)
							  ->loc));
				lost = 1;
			}
			zs_unlock(&c->lock);
		}
		want_report(want, f,
			    "%u handle slots, but %lu live and %lu free or "
			    "fresh: %lu leaked",
			    nslots, n, nslots - n - lost, lost);
		return true;
	case CK_ZSP_CHUNK:
		/* The descriptor table's chunks are exactly those its count
		 * needs: one missing below, or one present past them. */
		pthread_mutex_lock(&pool->zsp_lock);
		nslots = atomic_load(&pool->zsp_next);
		n = ((unsigned long)nslots + ZS_ZSP_CHUNK - 1) / ZS_ZSP_CHUNK;
		if ((sel & 0x8000) && n) {
			poke_aptr(u, &pool->zsp_chunks[sel % n], NULL);
			want_report(want, f,
				    "zspage table chunk %lu is missing for %u "
				    "descriptors",
				    sel % n, nslots);
		} else if (n < ZS_ZSP_MAX_CHUNKS) {
			poke_aptr(u, &pool->zsp_chunks[n], stray_chunk);
			want_report(want, f,
				    "zspage table chunk %lu is present for %u "
				    "descriptors",
				    n, nslots);
		}
		pthread_mutex_unlock(&pool->zsp_lock);
		return u->n != 0;
	case CK_ZSP_NCHUNKS:
		pthread_mutex_lock(&pool->zsp_lock);
		nslots = atomic_load(&pool->zsp_next);
		n = atomic_load(&pool->zsp_nchunks);
		poke(u, &pool->zsp_nchunks, POKE_AUL, sizeof(n),
		     n && (sel & 1) ? n - 1 : n + 1 + (sel >> 12), NULL);
		want_report(want, f,
			    "zspage table has %lu chunks for %u descriptors, "
			    "counted %lu",
			    n, nslots, atomic_load(&pool->zsp_nchunks));
		pthread_mutex_unlock(&pool->zsp_lock);
		return true;
	case CK_DESC_ID:
	case CK_DESC_LIVE:
		/* A free descriptor with the wrong id, or marked live.  (A
		 * listed zspage's id is also what its pages' arena cookies
		 * and its objects' slots name, so a wrong id there is the
		 * page finding before this one.) */
		pthread_mutex_lock(&pool->zsp_lock);
		free_desc_at(pool, 0, &i);
		zsp = i ? free_desc_at(pool, sel % i, &i) : NULL;
		if (zsp && kind == CK_DESC_ID) {
			v = zsp->id;
			poke_u32(u, &zsp->id, v ^ (1u + (sel >> 8)));
			want_report(want, f,
				    "zspage descriptor %u says it is %u", v,
				    zsp->id);
		} else if (zsp) {
			poke(u, &zsp->state, POKE_A32, 4, ZSPAGE_LIVE, NULL);
			n = atomic_load(&pool->zspages);
			want_report(want, f,
				    "%lu zspage descriptors are live, %lu are "
				    "in the lists",
				    n + 1, n);
		}
		pthread_mutex_unlock(&pool->zsp_lock);
		return zsp != NULL;
	case CK_DESC_FREE_LIST:
		/* The free list leading into a live zspage (from its head
		 * or its last entry), or looping. */
		v = sel >> 14;
		if (v == 2) {
			pthread_mutex_lock(&pool->zsp_lock);
			free_desc_at(pool, 0, &i);
			if (i) {
				/* The walk gives up at its zsp_next + 1st
				 * step, on the entry there. */
				nslots = atomic_load(&pool->zsp_next);
				zsp = free_desc_at(pool, i - 1, &i);
				other = free_desc_at(pool, nslots % i, &i);
				poke_zsp(u, &zsp->next, pool->zsp_free);
				want_report(want, f,
					    "zspage descriptor free list is "
					    "broken at %u",
					    other->id);
				pthread_mutex_unlock(&pool->zsp_lock);
				return true;
			}
			pthread_mutex_unlock(&pool->zsp_lock);
		}
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		pthread_mutex_lock(&pool->zsp_lock);
		free_desc_at(pool, 0, &i);
		if (v == 1 && i)
			poke_zsp(u, &free_desc_at(pool, i - 1, &i)->next,
				 t.zsp);
		else
			poke_zsp(u, &pool->zsp_free, t.zsp);
		pthread_mutex_unlock(&pool->zsp_lock);
		want_report(want, f,
			    "zspage descriptor free list is broken at %u",
			    t.zsp->id);
		break;
	case CK_DESC_LEAK:
		/* A descriptor taken off the free list and put nowhere: the
		 * head dropped, or the list cut short. */
		pthread_mutex_lock(&pool->zsp_lock);
		free_desc_at(pool, 0, &i);
		if (!i) {
			pthread_mutex_unlock(&pool->zsp_lock);
			return false;
		}
		if ((sel & 0x8000) && i >= 2) {
			unsigned kth = (sel >> 4) % (i - 1);

			poke_zsp(u, &free_desc_at(pool, kth, &i)->next, NULL);
			lost = i - kth - 1;
		} else {
			poke_zsp(u, &pool->zsp_free, pool->zsp_free->next);
			lost = 1;
		}
		nslots = atomic_load(&pool->zsp_next);
		n = atomic_load(&pool->zspages);
		want_report(want, f,
			    "%u zspage descriptors, but %lu live and %lu free: "
			    "%lu leaked",
			    nslots, n, nslots - n - lost, lost);
		pthread_mutex_unlock(&pool->zsp_lock);
		return true;
	case CK_ARENA_PAGES:
		/* The arena's count of the pool's pages: each half alone
		 * (too many, too few), and first the one page more that a
		 * move in flight may hold, which must pass. */
		n = atomic_load(&pool->pages);
		v = sel >> 14;
		if (v == 1 && !n)
			v = 0;
		pthread_mutex_lock(&pool->arena->lock);
		o = &pool->arena->owners[pool->owner_id];
		if (v == 2) {
			poke(u, &o->busy, POKE_PLAIN, sizeof(o->busy), 0,
			     &(unsigned){ 1 });
			poke_ul(u, &o->pages, n + 1);
			pthread_mutex_unlock(&pool->arena->lock);
			ret = check_captured(f, &cap);
			if (ret || cap.n) {
				unpoke(u);
				fm_fail("zs_pool_check with a page move in "
					"flight (the arena holding one page "
					"more) returned %d: %s",
					ret, cap.n ? cap.msg : "(no report)");
			}
			pthread_mutex_lock(&pool->arena->lock);
		}
		poke_ul(u, &o->pages,
			v == 1 ? n - 1 - (sel & 0xff) % n :
				 n + 1 + (v == 2) + (sel & 0xff));
		want_report(want, f,
			    "the arena holds %lu pages for the pool's %lu (%u "
			    "moves in flight)",
			    o->pages, n, o->busy);
		pthread_mutex_unlock(&pool->arena->lock);
		return true;
	default:
		return false;
	}
	/* Kinds that picked a target return here with its class locked. */
	zs_unlock(&t.c->lock);
	return true;
}

/*
 * Plants one corruption of the kinds zs_pool_check names (one per FAIL
 * in zs/check.c), checks that the checker reports exactly it, once, and
 * returns -EUCLEAN, then undoes it: the pool must check clean again with
 * every statistic as before.  Kinds the pool's state has no room for (an
 * empty pool has no zspage to break) are skipped.  The kind byte's values
 * past the pool's kinds plant zs_arena_check's findings in the pool's
 * arena, which the pool's own check must not notice once undone.
 */
void zsf_op_corrupt(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	static char want[600];
	struct report_capture cap;
	struct zs_pool_stats before;
	struct pokes u;
	unsigned kind;
	uint16_t sel;
	uint8_t k;
	int ret;

	if (!fc_u8(c, &k) || !fc_u16(c, &sel))
		return;
	kind = k % (CK_KINDS + ZSF_ARENA_KINDS);
	zsf_get_stats(f, &before);
	if (kind >= CK_KINDS) {
		/* The arena's own findings; the pool must not notice. */
		if (!zsf_arena_corrupt(f->pool->arena, kind - CK_KINDS, sel))
			return;
		ret = check_captured(f, &cap);
		if (ret || cap.n)
			fm_fail("zs_pool_check after undoing arena corruption "
				"\"%s\" returned %d: %s",
				zsf_arena_corrupt_name(kind - CK_KINDS), ret,
				cap.n ? cap.msg : "(no report)");
		zsf_expect_unchanged(f, &before, "an arena corruption undone",
				     true);
		return;
	}
	u.n = 0;
	if (!corrupt_plant(f, kind, sel, &u, want)) {
		fm_trace("  corrupt %s: no place for it\n",
			 corrupt_names[kind]);
		return;
	}
	ret = check_captured(f, &cap);
	/* Undone before judging, so a failure leaves a sane pool behind. */
	unpoke(&u);
	fm_trace("  corrupt %s: %d \"%s\"\n", corrupt_names[kind], ret,
		 cap.msg);
	if (ret != -EUCLEAN)
		fm_fail("zs_pool_check missed corruption \"%s\": returned %d "
			"(%u reports: %s), expected %d with \"%s\"",
			corrupt_names[kind], ret, cap.n, cap.msg, -EUCLEAN,
			want);
	if (cap.n != 1 || strcmp(cap.msg, want))
		fm_fail("zs_pool_check on corruption \"%s\" reported %u times, "
			"first \"%s\", expected once \"%s\"",
			corrupt_names[kind], cap.n, cap.msg, want);
	ret = check_captured(f, &cap);
	if (ret || cap.n)
		fm_fail("zs_pool_check after undoing corruption \"%s\" returned "
			"%d: %s",
			corrupt_names[kind], ret,
			cap.n ? cap.msg : "(no report)");
	zsf_expect_unchanged(f, &before, "a corruption undone", true);
}
