// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_arena_plant.c - an owner's pages misdescribed in the
 * arena, for the corrupt ops of every arena-backed target
 * (fuzz/common/fuzz_arena_plant.h).
 */
#include "fuzz/common/fuzz_arena_plant.h"

#include <pthread.h>
#include <stdint.h>

#include "fuzz/common/fuzz_model.h"
#include "zs/arena_internal.h"

/* Page aligned and never an arena page: a page pointer sent elsewhere. */
static _Alignas(ZS_PAGE_SIZE) char foreign_page[ZS_PAGE_SIZE];

struct arena_region *fm_arena_region(const struct zs_arena *a, unsigned k)
{
	return arena_region_by_addr(a, k);
}

bool fm_arena_page_is_free(const struct arena_region *r, unsigned i)
{
	return (r->free_map[i / 64] >> (i % 64)) & 1;
}

int fm_arena_pick_page(const struct zs_arena *a, unsigned sel, bool want_free,
		       unsigned *kp)
{
	unsigned n = a->nregions, j, i, k;

	for (j = 0; j < n; j++) {
		struct arena_region *r;

		k = (sel + j) % n;
		r = fm_arena_region(a, k);
		if (want_free ? r->in_use == ARENA_REGION_PAGES : !r->in_use)
			continue;
		for (i = 0; i < ARENA_REGION_PAGES; i++) {
			unsigned pi = (sel * 7u + i) % ARENA_REGION_PAGES;

			if (fm_arena_page_is_free(r, pi) == want_free) {
				*kp = k;
				return (int)pi;
			}
		}
	}
	return -1;
}

void *fm_arena_free_page(struct zs_arena *a, unsigned sel)
{
	unsigned k;
	int i = fm_arena_pick_page(a, sel, true, &k);

	return i < 0 ? NULL :
		       fm_arena_region(a, k)->base + (size_t)i * ZS_PAGE_SIZE;
}

struct arena_run_rec *fm_arena_rec(struct zs_arena *a, const void *page)
{
	uintptr_t p = (uintptr_t)page;
	unsigned k, i, m;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = fm_arena_region(a, k);
		uintptr_t base = (uintptr_t)r->base;

		if (p < base || p >= base + ARENA_REGION_SIZE)
			continue;
		if ((p - base) % ZS_PAGE_SIZE)
			return NULL;
		i = (unsigned)((p - base) / ZS_PAGE_SIZE);
		if (fm_arena_page_is_free(r, i))
			return NULL;
		if (r->map[i] & ARENA_MAP_TAIL)
			i -= r->map[i] & ~ARENA_MAP_TAIL;
		m = r->map[i];
		return m && !(m & ARENA_MAP_TAIL) && m <= r->rec_top ?
			       &r->recs[m - 1] :
			       NULL;
	}
	return NULL;
}

void *fm_arena_stray_page(struct zs_arena *a, void *page, unsigned how,
			  unsigned sel)
{
	void *stray;

	switch (how) {
	case 0:
		return NULL;
	case 1:
		return foreign_page;
	case 2:
		return (char *)page + 16 * (1 + (sel & 0x7f));
	default:
		/* a page freed behind its owner's back */
		pthread_mutex_lock(&a->lock);
		stray = fm_arena_free_page(a, sel);
		pthread_mutex_unlock(&a->lock);
		return stray ? stray : foreign_page;
	}
}

void fm_arena_misdescribe(struct fm_patch_log *log, struct zs_arena *a,
			  const void *page, unsigned variant, unsigned amount)
{
	struct arena_run_rec *d;

	pthread_mutex_lock(&a->lock);
	d = fm_arena_rec(a, page);
	if (!d)
		fm_fail("corruption: %p is no allocated arena page", page);
	switch (variant) {
	case 0:
		FM_PATCH(log, d->owner, (uint16_t)(d->owner + 1 + amount));
		break;
	case 1:
		FM_PATCH(log, d->cookie, d->cookie ^ (1u << (amount % 32)));
		break;
	case 2:
		FM_PATCH(log, d->index, d->index + 1 + amount);
		break;
	case 6:
		/* allocated, but described as nobody's */
		FM_PATCH(log, d->owner, (uint16_t)0);
		break;
	default:
		FM_PATCH(log, d->flags,
			 (uint8_t)(d->flags & ~ARENA_RUN_MOVABLE));
		break;
	}
	pthread_mutex_unlock(&a->lock);
}

void fm_arena_miscount_owner(struct fm_plant *p, struct zs_arena *a,
			     int owner_id, unsigned long n, unsigned variant,
			     unsigned amount)
{
	struct arena_owner *o = arena_owner_slot(a, (unsigned)owner_id);
	unsigned long pages;

	if (variant == 1 && !n)
		variant = 0;
	pthread_mutex_lock(&a->lock);
	if (variant == 2) {
		FM_PATCH(&p->log, o->moving, 1u);
		FM_PATCH(&p->log, o->pages, n + 1);
		pthread_mutex_unlock(&a->lock);
		fm_plant_expect_clean(p, "a page move in flight (the arena "
					 "holding one page more)");
		pthread_mutex_lock(&a->lock);
	}
	if (variant == 1)
		pages = n - 1 - amount % n;
	else
		pages = n + 1 + (variant == 2) + amount;
	FM_PATCH(&p->log, o->pages, pages);
	pthread_mutex_unlock(&a->lock);
}
