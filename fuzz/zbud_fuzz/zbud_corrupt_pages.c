// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_corrupt_pages.c - zbud's op corrupt, the planters for
 * one page: its descriptor, its header chunk, its buddies and their handle
 * slots, and the arena's view of it (fuzz/zbud_fuzz/zbud_corrupt.h).
 *
 * The arena's side of a page (its descriptor, the owner's page count) is
 * planted in the arena itself, one field at a time
 * (fuzz/common/fuzz_arena_plant.h), so each way a migration could leave a
 * page misdescribed is proven seen.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_corrupt.h"
#include "zs/sanitizer.h" /* raw access to the poisoned header chunk */
#include "zs/zbud_internal.h"

bool zbf_plant_desc_idx(struct zb_plant *p)
{
	if (!p->d)
		return false;
	FM_PATCH(p->log, p->d->idx, p->d->idx + 1 + (p->arg & 3));
	return true;
}

bool zbf_plant_page_addr(struct zb_plant *p)
{
	if (!p->d)
		return false;
	FM_PATCH(p->log, p->d->page,
		 p->arg & 1 ? NULL : (char *)p->d->page + 16 * (1 + p->v));
	return true;
}

/* One bit of the header chunk flipped, as an object written past its end
 * would. */
bool zbf_plant_header(struct zb_plant *p)
{
	uint32_t *w;

	if (!p->d)
		return false;
	w = (uint32_t *)p->d->page + p->arg % HDR_WORDS;
	fm_patch_raw32(p->log, w, zs_raw_load32(w) ^ (1u << (p->arg >> 11)));
	return true;
}

bool zbf_plant_overlap(struct zb_plant *p)
{
	struct zbud_page *d = p->d;

	if (!d)
		return false;
	FM_PATCH(p->log, d->chunks[p->bud],
		 (uint16_t)(BUDDY_CHUNKS - d->chunks[!p->bud] + 1 + p->v));
	return true;
}

bool zbf_plant_free_bud_slot(struct zb_plant *p)
{
	struct zbud_page *d = zbf_pick_desc(p->pool, p->arg >> 4, ONE_BUDDY);

	if (!d)
		return false;
	FM_PATCH(p->log, d->slot[d->chunks[FIRST] ? LAST : FIRST],
		 (uint32_t)p->arg);
	return true;
}

bool zbf_plant_slot_range(struct zb_plant *p)
{
	if (!p->d)
		return false;
	FM_PATCH(p->log, p->d->slot[p->bud], p->pool->slot_hw + (p->arg >> 8));
	return true;
}

/* The buddy's slot freed or in a state no slot has, naming another page,
 * or naming the other buddy. */
bool zbf_plant_slot_elsewhere(struct zb_plant *p)
{
	struct slot *s = p->s;

	if (!s)
		return false;
	if (p->v == 0)
		FM_PATCH(p->log, s->state,
			 (uint8_t)(p->arg & 2 ? 2 + (p->arg >> 8) % 250 :
						SLOT_FREE));
	else if (p->v == 1)
		FM_PATCH(p->log, s->desc, p->d->idx + 1 + (p->arg >> 8));
	else
		FM_PATCH(p->log, s->bud, (uint8_t)!s->bud);
	return true;
}

/* A size of 0, or one too large or too small for the buddy's chunks. */
bool zbf_plant_slot_size(struct zb_plant *p)
{
	unsigned chunks;

	if (!p->s)
		return false;
	chunks = p->d->chunks[p->bud];
	if (p->v == 0)
		FM_PATCH(p->log, p->s->size, 0u);
	else if (p->v == 1 || chunks == 1)
		FM_PATCH(p->log, p->s->size,
			 chunks * ZBUD_CHUNK_SIZE + 1 + (p->arg >> 10));
	else
		FM_PATCH(p->log, p->s->size,
			 (chunks - 1) * ZBUD_CHUNK_SIZE - (p->arg >> 10));
	return true;
}

/* The page's map count, or a slot's, off. */
bool zbf_plant_maps(struct zb_plant *p)
{
	if (!p->s)
		return false;
	if (p->v & 1)
		FM_PATCH(p->log, p->s->maps, (uint16_t)(1 + (p->arg >> 8)));
	else
		FM_PATCH(p->log, p->d->mapped, 1u + (p->arg >> 8));
	return true;
}

bool zbf_plant_empty(struct zb_plant *p)
{
	int bud;

	if (!p->d)
		return false;
	for (bud = FIRST; bud <= LAST; bud++) {
		if (!p->d->chunks[bud])
			continue;
		FM_PATCH(p->log, p->d->chunks[bud], (uint16_t)0);
		FM_PATCH(p->log, p->d->slot[bud], (uint32_t)SLOT_NONE);
	}
	return true;
}

/* The descriptor's page outside every region, or a page the arena has
 * free (freed behind the pool's back). */
bool zbf_plant_arena_page(struct zb_plant *p)
{
	if (!p->d)
		return false;
	FM_PATCH(p->log, p->d->page,
		 fm_arena_stray_page(p->pool->arena, p->d->page,
				     p->arg & 1 ? 3 : 1, p->arg >> 1));
	return true;
}

/* One field of the page's arena descriptor wrong (owner, cookie, index,
 * movable; or no owner at all), or two descriptors' pages swapped, where
 * the lower index names the other's cookie. */
bool zbf_plant_arena_desc(struct zb_plant *p)
{
	unsigned v = (p->arg >> 1) & 7;
	struct zbud_page *e = NULL;
	void *page;

	if (!p->d)
		return false;
	if (v == 5) {
		e = zbf_pick_desc(p->pool, (p->arg >> 4) + 1, ANY_PAGE);
		if (e == p->d)
			v = 1;
	}
	if (v == 5) {
		page = p->d->page;
		FM_PATCH(p->log, p->d->page, e->page);
		FM_PATCH(p->log, e->page, page);
		return true;
	}
	fm_arena_misdescribe(p->log, p->pool->arena, p->d->page, v,
			     v == 1 ? p->arg >> 11 : p->arg >> 8);
	return true;
}

/* The arena's count of the pool's pages: each half alone (too many, too
 * few), and first the one page more a move in flight may hold, which must
 * pass.  That check takes the pool lock, so it is let go meanwhile. */
bool zbf_plant_arena_count(struct zb_plant *p)
{
	struct zbud_pool *pool = p->pool;
	unsigned long np = (unsigned long)pool->pages_nr;

	pthread_mutex_unlock(&pool->lock);
	fm_arena_miscount_owner(&p->base, pool->arena, pool->owner_id, np, p->v,
				p->arg >> 8);
	pthread_mutex_lock(&pool->lock);
	return true;
}
