// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_corrupt.c - op corrupt (white box,
 * zs/zbud_internal.h): one corruption per zbud_pool_check finding, planted
 * under the pool lock, reported word for word, and undone.
 *
 * Each kind applies its corruption where the pool's state offers a target
 * (29 kinds); zbud_pool_check must return -EUCLEAN with exactly the one
 * report for that kind (captured through zs_set_report_hook).  Every byte
 * written is logged and restored, after which the pool's bookkeeping must
 * be byte for byte as before and check clean, and the arena too.  The
 * arena's side of a page (its descriptor, the owner's page count) is
 * planted in the arena itself (zs/arena_internal.h), one field at a time,
 * so each way a migration could leave a page misdescribed is proven seen.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/zbud_fuzz/zbud_ops_internal.h"
#include "fuzz/common/fuzz.h"
#include "zs/arena_internal.h"
#include "zs/report.h"
#include "zs/sanitizer.h" /* raw access to the poisoned header chunk */
#include "zs/zbud.h"
#include "zs/zbud_internal.h"

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
	/* Set when what is planted so far must check clean; then *then_at
	 * is set to then_val for the finding itself. */
	bool clean_first;
	unsigned long *then_at, then_val;
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

/* Page aligned and never an arena page: a descriptor pointed elsewhere. */
static _Alignas(ZS_PAGE_SIZE) char foreign_page[ZS_PAGE_SIZE];

/* The arena's descriptor of an allocated page, or NULL; arena lock held. */
static struct arena_page_desc *arena_desc(struct zs_arena *a, const void *page)
{
	uintptr_t p = (uintptr_t)page;
	unsigned k, i;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = a->regions[a->by_addr[k]];
		uintptr_t base = (uintptr_t)r->base;

		if (p < base || p >= base + ARENA_REGION_SIZE ||
		    (p - base) % ZS_PAGE_SIZE)
			continue;
		i = (unsigned)((p - base) / ZS_PAGE_SIZE);
		if ((r->free_map[i / 64] >> (i % 64)) & 1)
			return NULL;
		return &r->desc[i];
	}
	return NULL;
}

/* A free page of the arena, or NULL when every region is full; arena lock
 * held. */
static void *arena_free_page(struct zs_arena *a, unsigned sel)
{
	unsigned k, i;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r =
			a->regions[a->by_addr[(sel + k) % a->nregions]];

		for (i = 0; i < ARENA_REGION_PAGES; i++) {
			unsigned pi = (sel + i) % ARENA_REGION_PAGES;

			if ((r->free_map[pi / 64] >> (pi % 64)) & 1)
				return r->base + (size_t)pi * ZS_PAGE_SIZE;
		}
	}
	return NULL;
}

/* zbud_pool_check's report on a page the arena describes otherwise. */
static void want_desc(struct zb_corruption *k, struct zbud_pool *pool,
		      const struct zbud_page *d)
{
	struct arena_page_desc *ad;

	pthread_mutex_lock(&pool->arena->lock);
	ad = arena_desc(pool->arena, d->page);
	if (!ad)
		fm_fail("corruption: page %u is no arena page", d->idx);
	want(k,
	     "page %u is described by the arena as owner %d's page %u "
	     "index %u%s",
	     d->idx, (int)ad->owner - 1, ad->cookie, ad->index,
	     ad->flags & ARENA_PAGE_MOVABLE ? "" : ", not movable");
	pthread_mutex_unlock(&pool->arena->lock);
}

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
	/* added after the first 26, in the checker's order among
	 * themselves; the two page kinds come before CK_HEADER in it */
	CK_ARENA_PAGE,
	CK_ARENA_DESC,
	CK_ARENA_COUNT,
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
	void *page = NULL;

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
	case CK_ARENA_PAGE:
		/* The descriptor's page outside every region, or a page the
		 * arena has free (freed behind the pool's back). */
		if (!d)
			return false;
		if (arg & 1) {
			pthread_mutex_lock(&pool->arena->lock);
			page = arena_free_page(pool->arena, arg >> 1);
			pthread_mutex_unlock(&pool->arena->lock);
		}
		PATCH(k, d->page, page ? page : (void *)foreign_page);
		want(k, "page %u at %p is not an allocated arena page", d->idx,
		     d->page);
		return true;
	case CK_ARENA_DESC:
		/* One field of the page's arena descriptor wrong (owner,
		 * cookie, index, movable; or no owner at all), or two
		 * descriptors' pages swapped, where the lower index names the
		 * other's cookie. */
		if (!d)
			return false;
		v = (arg >> 1) & 7;
		if (v == 5) {
			e = pick_desc(pool, (arg >> 4) + 1, ANY_PAGE);
			if (e == d)
				v = 1;
		}
		if (v == 5) {
			page = d->page;
			PATCH(k, d->page, e->page);
			PATCH(k, e->page, page);
			want_desc(k, pool, d->idx < e->idx ? d : e);
			return true;
		}
		pthread_mutex_lock(&pool->arena->lock);
		{
			struct arena_page_desc *ad =
				arena_desc(pool->arena, d->page);

			if (!ad)
				fm_fail("corruption: page %u is no arena page",
					d->idx);
			switch (v) {
			case 0:
				PATCH(k, ad->owner,
				      (uint16_t)(ad->owner + 1 + (arg >> 8)));
				break;
			case 1:
				PATCH(k, ad->cookie,
				      ad->cookie ^ (1u << (arg >> 11)));
				break;
			case 2:
				PATCH(k, ad->index, 1u + (arg >> 8));
				break;
			case 6:
				PATCH(k, ad->owner, (uint16_t)0);
				break;
			default:
				PATCH(k, ad->flags,
				      (uint16_t)(ad->flags &
						 ~ARENA_PAGE_MOVABLE));
				break;
			}
		}
		pthread_mutex_unlock(&pool->arena->lock);
		want_desc(k, pool, d);
		return true;
	case CK_ARENA_COUNT: {
		/* The arena's count of the pool's pages: each half alone (too
		 * many, too few), and first the one page more a move in
		 * flight may hold, which must pass. */
		struct arena_owner *o = &pool->arena->owners[pool->owner_id];
		unsigned long np = (unsigned long)pool->pages_nr;

		if (v == 1 && !np)
			v = 0;
		pthread_mutex_lock(&pool->arena->lock);
		if (v == 2) {
			PATCH(k, o->busy, 1u);
			PATCH(k, o->pages, np + 1);
			k->clean_first = true;
			k->then_at = &o->pages;
			k->then_val = np + 2 + (arg >> 8);
		} else {
			PATCH(k, o->pages,
			      v == 1 ? np - 1 - (arg >> 8) % np :
				       np + 1 + (arg >> 8));
		}
		want(k,
		     "the arena holds %lu pages for the pool's %llu (%u moves "
		     "in flight)",
		     k->clean_first ? k->then_val : o->pages,
		     (unsigned long long)np, o->busy);
		pthread_mutex_unlock(&pool->arena->lock);
		return true;
	}
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
void zbf_op_corrupt(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
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
	k.clean_first = false;
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
	if (k.clean_first) {
		ret = zbud_pool_check(pool);
		if (ret || reported.n) {
			pthread_mutex_lock(&pool->lock);
			unpatch(&k);
			pthread_mutex_unlock(&pool->lock);
			fm_fail("corruption kind %u: the planted state that is "
				"still legal checked %d with %u reports "
				"(\"%s\")",
				kind, ret, reported.n, reported.first);
		}
		pthread_mutex_lock(&pool->lock);
		pthread_mutex_lock(&pool->arena->lock);
		PATCH(&k, *k.then_at, k.then_val);
		pthread_mutex_unlock(&pool->arena->lock);
		pthread_mutex_unlock(&pool->lock);
	}
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
	zbf_full_check(f, "after a corruption was undone");
	f->verify_pending = true;
}
