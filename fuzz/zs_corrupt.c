/*
 * fuzz/zs_corrupt.c - op corrupt (white box, zs/zs_internal.h): every
 * inconsistency zs_pool_check names, planted, reported and undone.
 *
 * One kind per FAIL of zs/check.c.  The op plants one where the pool's
 * state has room for it, requires zs_pool_check to return -EUCLEAN with
 * exactly that report, word for word (captured through zs/report.h's
 * hook), then undoes it: the pool must check clean again with every
 * statistic as before.  zsf_pick_target, which finds a zspage and an
 * object to plant in, also serves page_ops (zs_page_ops.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz_cursor.h"
#include "fuzz/fuzz_model.h"
#include "fuzz/zs_ops_internal.h"
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
enum poke_kind { POKE_PLAIN, POKE_A32, POKE_A64, POKE_AUL, POKE_HDR };

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

/* One kind per FAIL of zs/check.c, in the checker's order. */
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
	CK_KINDS
};

static const char *const corrupt_names[CK_KINDS] = {
	"zspage not live",   "class index",	 "fullness group",
	"empty zspage kept", "fresh mark",	 "slot beyond table",
	"free handle slot",  "slot location",	 "size in other class",
	"moving at rest",    "free list broken", "free list allocated",
	"zspage counts",     "back link",	 "list too long",
	"group count",	     "isolated list",	 "inside isolated",
	"class live count",  "class allocated",	 "class bytes",
	"live slots",	     "pool zspages",	 "pool pages",
};

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
	struct zspage *zsp;
	unsigned long longest = 0, n;
	unsigned g, i, first_g = 0;
	uint32_t v, idx, nslots;
	uint64_t m;
	size_t size;
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
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		poke_u8(u, &t.zsp->fullness,
			(uint8_t)(t.g == ZS_FULLNESS_FULL ? t.g - 1 : t.g + 1));
		want_report(want, f,
			    "zspage %u (class %u, %u in use) is in fullness "
			    "group %u",
			    t.zsp->id, t.c->size, t.zsp->inuse, t.g);
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
		if (!zsf_pick_target(pool, sel, T_ANY, &t))
			return false;
		if (t.c->isolated_list) {
			zs_unlock(&t.c->lock);
			return false;
		}
		poke_zsp(u, &t.c->isolated_list, t.zsp);
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
		if (zsp->prev)
			poke_zsp(u, &zsp->prev->next, zsp->next);
		else
			poke_zsp(u, &t.c->groups[t.g], zsp->next);
		if (zsp->next)
			poke_zsp(u, &zsp->next->prev, zsp->prev);
		poke_ul(u, &t.c->group_count[t.g], t.c->group_count[t.g] - 1);
		poke_zsp(u, &zsp->prev, NULL);
		poke_zsp(u, &zsp->next, NULL);
		poke_bool(u, &zsp->isolated, true);
		poke_zsp(u, &t.c->isolated_list, zsp);
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
	default:
		n = atomic_load(&pool->pages);
		poke(u, &pool->pages, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f, "%lu pages in zspages, counted %lu", n,
			    n + 1);
		return true;
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
 * empty pool has no zspage to break) are skipped.
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
	kind = k % CK_KINDS;
	zsf_get_stats(f, &before);
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
