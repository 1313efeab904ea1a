// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_runs_plant.c - reading and writing a page's map entry, a
 * run record, a region's record counts and the arena's counts for
 * zs_arena_runs_test.cc (gtest/zs_arena_runs_plant.h).
 *
 * Each write is what a stray store or a half-done update of a run would
 * leave; which finding it must cause is told at the test.
 */
#include "gtest/zs_arena_runs_plant.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "zs/arena_internal.h"

const unsigned ZSR_MOVABLE = ARENA_RUN_MOVABLE;
const unsigned ZSR_ISOLATED = ARENA_RUN_ISOLATED;
const unsigned ZSR_TAIL = ARENA_MAP_TAIL;

/* The region holding page and the page's index in it; lock held. */
static struct arena_region *locate(struct zs_arena *a, const void *page,
				   unsigned *i)
{
	uintptr_t p = (uintptr_t)page;
	unsigned k;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = arena_region_by_addr(a, k);
		uintptr_t base = (uintptr_t)r->base;

		if (p < base || p >= base + ARENA_REGION_SIZE ||
		    (p - base) % ZS_PAGE_SIZE)
			continue;
		*i = (unsigned)((p - base) / ZS_PAGE_SIZE);
		return r;
	}
	return NULL;
}

static bool is_free(const struct arena_region *r, unsigned i)
{
	return (r->free_map[i / 64] >> (i % 64)) & 1;
}

int zsr_get(struct zs_arena *a, const void *page, struct zsr_page *d)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r) {
		*d = (struct zsr_page){
			.map = r->map[i],
			.free_page = is_free(r, i),
			.slot = r->slot,
			.page = i,
		};
	}
	pthread_mutex_unlock(&a->lock);
	return r ? 0 : -EINVAL;
}

int zsr_set(struct zs_arena *a, const void *page, const struct zsr_page *d)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r) {
		r->map[i] = (uint16_t)d->map;
		if (!d->free_page != !is_free(r, i)) {
			r->free_map[i / 64] ^= 1ull << (i % 64);
			if (d->free_page)
				r->in_use--;
			else
				r->in_use++;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return r ? 0 : -EINVAL;
}

int zsr_get_rec(struct zs_arena *a, const void *page, unsigned n,
		struct zsr_rec *rec)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r && n < r->rec_cap) {
		*rec = (struct zsr_rec){
			.cookie = r->recs[n].cookie,
			.index = r->recs[n].index,
			.owner = r->recs[n].owner,
			.flags = r->recs[n].flags,
			.pages = r->recs[n].pages,
		};
	}
	pthread_mutex_unlock(&a->lock);
	return r && n < r->rec_cap ? 0 : -EINVAL;
}

int zsr_set_rec(struct zs_arena *a, const void *page, unsigned n,
		const struct zsr_rec *rec)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r && n < r->rec_cap) {
		r->recs[n] = (struct arena_run_rec){
			.cookie = rec->cookie,
			.index = rec->index,
			.owner = (uint16_t)rec->owner,
			.flags = (uint8_t)rec->flags,
			.pages = (uint8_t)rec->pages,
		};
	}
	pthread_mutex_unlock(&a->lock);
	return r && n < r->rec_cap ? 0 : -EINVAL;
}

int zsr_get_table(struct zs_arena *a, const void *page, struct zsr_table *t)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r)
		*t = (struct zsr_table){
			.cap = r->rec_cap,
			.top = r->rec_top,
			.used = r->rec_used,
			.free_head = r->rec_free,
		};
	pthread_mutex_unlock(&a->lock);
	return r ? 0 : -EINVAL;
}

int zsr_set_table(struct zs_arena *a, const void *page,
		  const struct zsr_table *t)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r) {
		r->rec_cap = (uint16_t)t->cap;
		r->rec_top = (uint16_t)t->top;
		r->rec_used = (uint16_t)t->used;
		r->rec_free = (uint16_t)t->free_head;
	}
	pthread_mutex_unlock(&a->lock);
	return r ? 0 : -EINVAL;
}

void zsr_set_compacting(struct zs_arena *a, int on)
{
	pthread_mutex_lock(&a->lock);
	a->compacting = on;
	pthread_mutex_unlock(&a->lock);
}

unsigned zsr_set_owner_moving(struct zs_arena *a, int owner_id, unsigned moving)
{
	unsigned old;

	pthread_mutex_lock(&a->lock);
	old = arena_owner_slot(a, (unsigned)owner_id)->moving;
	arena_owner_slot(a, (unsigned)owner_id)->moving = moving;
	pthread_mutex_unlock(&a->lock);
	return old;
}

/* A count of the arena replaced by v under its lock; the old value. */
static unsigned swap_count(struct zs_arena *a, unsigned *count, unsigned v)
{
	unsigned old;

	pthread_mutex_lock(&a->lock);
	old = *count;
	*count = v;
	pthread_mutex_unlock(&a->lock);
	return old;
}

unsigned zsr_set_owner_limit(struct zs_arena *a, unsigned limit)
{
	return swap_count(a, &a->owner_limit, limit);
}

unsigned zsr_set_nregions(struct zs_arena *a, unsigned n)
{
	return swap_count(a, &a->nregions, n);
}

unsigned zsr_set_slot_limit(struct zs_arena *a, unsigned limit)
{
	return swap_count(a, &a->slot_limit, limit);
}
