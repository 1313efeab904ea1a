// SPDX-License-Identifier: MIT
/*
 * gtest/zs_arena_runs_plant.c - reading and writing a page's descriptor for
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

const unsigned ZSR_MOVABLE = ARENA_PAGE_MOVABLE;
const unsigned ZSR_ISOLATED = ARENA_PAGE_ISOLATED;
const unsigned ZSR_TAIL = ARENA_PAGE_TAIL;

/* The region holding page and the page's index in it; lock held. */
static struct arena_region *locate(struct zs_arena *a, const void *page,
				   unsigned *i)
{
	uintptr_t p = (uintptr_t)page;
	unsigned k;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = a->regions[a->by_addr[k]];
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

int zsr_get(struct zs_arena *a, const void *page, struct zsr_desc *d)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r) {
		*d = (struct zsr_desc){
			.cookie = r->desc[i].cookie,
			.index = r->desc[i].index,
			.owner = r->desc[i].owner,
			.flags = r->desc[i].flags,
			.run = r->desc[i].run,
			.free_page = is_free(r, i),
			.slot = r->slot,
			.page = i,
		};
	}
	pthread_mutex_unlock(&a->lock);
	return r ? 0 : -EINVAL;
}

int zsr_set(struct zs_arena *a, const void *page, const struct zsr_desc *d)
{
	struct arena_region *r;
	unsigned i;

	pthread_mutex_lock(&a->lock);
	r = locate(a, page, &i);
	if (r) {
		r->desc[i].cookie = d->cookie;
		r->desc[i].index = d->index;
		r->desc[i].owner = (uint16_t)d->owner;
		r->desc[i].flags = (uint8_t)d->flags;
		r->desc[i].run = (uint8_t)d->run;
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
	old = a->owners[owner_id].moving;
	a->owners[owner_id].moving = moving;
	pthread_mutex_unlock(&a->lock);
	return old;
}
