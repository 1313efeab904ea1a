// SPDX-License-Identifier: MIT
/*
 * zspage.c - zspages: runs of pages that objects of every size share, and
 * an object's place in them.
 *
 * A shared zspage is one arena run of chain_size pages, tiled by objects
 * and gaps at 8-byte granularity (zs/span.h): an object of n bytes takes
 * n + 4 rounded up to 8, wherever in the zspage a gap fits it, page
 * boundaries included, and always one contiguous byte range.  A free
 * merges its bytes with the gaps beside it.  Objects too large to share
 * (ZS_HUGE_SIZE and up) take a page each, with no zspage (zs/huge.c).
 *
 * A zspage grows in place: its run is taken whole, but only the pages its
 * blocks have reached are counted (zspage.pages), and the others are not
 * resident.  A fresh zspage is one gap whose tag is on its first page; an
 * object placed at the gap's start commits the pages it and the rest of
 * the gap's head reach, before a byte is written there.  So the newest
 * zspage of a shard costs the pages it holds, not chain_size of them:
 * what was, on a pool just filled, half a zspage of free end per shard.
 * A run the arena still had resident from an earlier owner counts its
 * resident pages at once (zs_arena_alloc_run_resident).  A run migration
 * copies only the pages counted; its target may have pages past them
 * still resident from the arena's cache, uncounted until the zspage is
 * freed (at most chain_size - 1 pages per moved zspage that was not
 * full).
 *
 * Descriptors live in a per-pool table that only grows (never freed before
 * the pool), addressed by id, which is also the zspage half of every span
 * reference.  The run's arena descriptor records the id, so migration can
 * find its zspage from the run alone, and reading a recycled descriptor is
 * never a use-after-free.
 *
 * Fullness groups follow the kernel's (0-9% ... 90-99%, full), by the
 * share of units objects hold; compaction takes its sources from the
 * emptiest.  All of this runs under the shard's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zs/host.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

_Static_assert(sizeof(struct zspage) == 32 || sizeof(void *) != 8,
	       "a zspage descriptor is 32 bytes (ZS_ZSP_CHUNK fills 4 pages)");

struct zspage *zs_zsp_next(struct zs_pool *pool, const struct zspage *zsp)
{
	return zs_zspage_by_id(pool, zsp->next);
}

void zs_zsp_list_push(struct zspage **head, struct zspage *zsp)
{
	zsp->prev = ZS_ZSP_NONE;
	zsp->next = *head ? (*head)->id : ZS_ZSP_NONE;
	if (*head)
		(*head)->prev = zsp->id;
	*head = zsp;
}

void zs_zsp_list_del(struct zs_pool *pool, struct zspage **head,
		     struct zspage *zsp)
{
	struct zspage *prev = zs_zspage_by_id(pool, zsp->prev);
	struct zspage *next = zs_zspage_by_id(pool, zsp->next);

	if (prev)
		prev->next = zsp->next;
	else
		*head = next;
	if (next)
		next->prev = zsp->prev;
	zsp->prev = zsp->next = ZS_ZSP_NONE;
}

/* ---- the span's questions about the pool's zspages ---- */

static char *span_base(void *owner, uint32_t id)
{
	return atomic_load_explicit(&zs_zspage_by_id(owner, id)->base,
				    memory_order_relaxed);
}

static unsigned span_zspage_units(void *owner, uint32_t id)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp = zs_zspage_by_id(pool, id);

	if (!zsp || atomic_load(&zsp->state) != ZSPAGE_LIVE)
		return 0;
	return pool->zspage_units;
}

static unsigned span_object_units(void *owner, uint32_t idx, uint32_t ref)
{
	struct zs_hslot *slot = zs_slot_at(owner, idx);
	uint64_t w;

	if (!slot)
		return 0;
	w = atomic_load_explicit(&slot->word, memory_order_acquire);
	if (zs_slot_loc(w) != ref)
		return 0;
	/* a recycled block is an object of the layout (zs/recycle.c) */
	if (!zs_slot_live(w))
		return zs_slot_recycled_units(w);
	return zs_span_units((unsigned)zs_slot_size(w));
}

const struct zs_span_ops zs_pool_span_ops = {
	.base = span_base,
	.zspage_units = span_zspage_units,
	.object_units = span_object_units,
	.poison_gaps = true,
};

bool zs_inject_fail(struct zs_pool *pool)
{
	return zs_fault_counter_fires(&pool->inject);
}

int zs_pool_reserve(struct zs_pool *pool, unsigned long pages)
{
	unsigned long cur = atomic_load(&pool->pages), max;

	do {
		max = atomic_load(&pool->max_pages);
		if (max && cur + pages > max)
			return -ENOMEM;
	} while (
		!atomic_compare_exchange_weak(&pool->pages, &cur, cur + pages));
	return 0;
}

/* Makes room for chunk c in the directory (zsp_lock held), as the handle
 * table's dir_room does. */
static int dir_room(struct zs_pool *pool, unsigned long c)
{
	_Atomic(char *) *dir;
	unsigned i;

	if (c < zs_zsp_dir_cap(pool))
		return 0;
	if (zs_inject_fail(pool) ||
	    !(dir = zs_host_map_zeroed(ZS_ZSP_DIR_BYTES)))
		return -ENOMEM;
	for (i = 0; i < ZS_ZSP_DIR_INLINE; i++)
		atomic_store_explicit(
			&dir[i],
			atomic_load_explicit(&pool->zsp_dir_inline[i],
					     memory_order_relaxed),
			memory_order_relaxed);
	atomic_store_explicit(&pool->zsp_chunks, dir, memory_order_release);
	return 0;
}

static struct zspage *desc_alloc(struct zs_pool *pool)
{
	struct zspage *zsp;
	uint32_t id;

	pthread_mutex_lock(&pool->zsp_lock);
	zsp = pool->zsp_free;
	if (zsp) {
		pool->zsp_free = zs_zsp_next(pool, zsp);
		goto out;
	}
	id = atomic_load_explicit(&pool->zsp_next, memory_order_relaxed);
	if (id >= ZS_SPAN_MAX_ZSPAGES) { /* the last chunk runs past it */
		pthread_mutex_unlock(&pool->zsp_lock);
		return NULL;
	}
	if (id % ZS_ZSP_CHUNK == 0) {
		char *chunk;

		if (id / ZS_ZSP_CHUNK >= ZS_ZSP_MAX_CHUNKS ||
		    dir_room(pool, id / ZS_ZSP_CHUNK) || zs_inject_fail(pool) ||
		    !(chunk = zs_host_map_zeroed(zs_zsp_chunk_bytes(pool)))) {
			pthread_mutex_unlock(&pool->zsp_lock);
			return NULL;
		}
		atomic_store_explicit(&zs_zsp_dir(pool)[id / ZS_ZSP_CHUNK],
				      chunk, memory_order_release);
		atomic_fetch_add(&pool->zsp_nchunks, 1);
	}
	atomic_store_explicit(&pool->zsp_next, id + 1, memory_order_release);
	zsp = zs_zspage_by_id(pool, id);
	zsp->id = id;
out:
	pthread_mutex_unlock(&pool->zsp_lock);
	return zsp;
}

static void desc_free(struct zs_pool *pool, struct zspage *zsp)
{
	atomic_store_explicit(&zsp->state, ZSPAGE_FREE, memory_order_release);
	pthread_mutex_lock(&pool->zsp_lock);
	zsp->next = pool->zsp_free ? pool->zsp_free->id : ZS_ZSP_NONE;
	pool->zsp_free = zsp;
	pthread_mutex_unlock(&pool->zsp_lock);
}

struct zspage *zs_zspage_create(struct zs_pool *pool, struct zs_shard *sh)
{
	unsigned n = pool->chain_size, resident = 1;
	struct zspage *zsp;
	char *base;

	/* the first page holds the gap's tag; the others count once objects
	 * reach them, or at once if the arena kept them resident */
	if (zs_pool_reserve(pool, 1))
		return NULL;
	zsp = desc_alloc(pool);
	if (!zsp)
		goto unreserve;
	base = NULL;
	if (!zs_inject_fail(pool))
		base = zs_arena_alloc_run_resident(pool->arena, pool->owner_id,
						   n, zsp->id, 1, &resident);
	if (base && resident > 1 && zs_pool_reserve(pool, resident - 1)) {
		zs_arena_free_run(pool->arena, base);
		base = NULL;
	}
	if (!base) {
		desc_free(pool, zsp);
		goto unreserve;
	}
	atomic_store_explicit(&zsp->base, base, memory_order_relaxed);
	atomic_store_explicit(&zsp->shard, sh->index, memory_order_relaxed);
	zsp->inuse = 0;
	zsp->used_units = 0;
	zsp->isolated = false;
	zsp->run_isolated = 0;
	zsp->recycled = 0;
	zsp->pages = (uint8_t)resident;
	zsp->prev = zsp->next = ZS_ZSP_NONE;
	zs_poison(base, (size_t)n * ZS_PAGE_SIZE);
	atomic_store_explicit(&zsp->state, ZSPAGE_LIVE, memory_order_release);
	atomic_fetch_add(&pool->zspages, 1);
	zs_span_add_zspage(&sh->span, zsp->id);
	zs_shard_count_add(&sh->zspages, 1);
	zs_shard_count_add(&sh->pages, resident);
	zs_fullness_insert(pool, sh, zsp);
	return zsp;
unreserve:
	atomic_fetch_sub(&pool->pages, 1);
	return NULL;
}

void zs_zspage_destroy(struct zs_pool *pool, struct zs_shard *sh,
		       struct zspage *zsp)
{
	char *base = atomic_load(&zsp->base);
	unsigned n = pool->chain_size;

	/* an isolated zspage's gaps are out of the index already, and the
	 * compactor took it off its list */
	if (!zsp->isolated) {
		zs_fullness_remove(pool, sh, zsp);
		zs_span_remove_zspage(&sh->span, zsp->id);
	}
	zs_shard_count_add(&sh->zspages, -1);
	zs_shard_count_add(&sh->pages, -(long)zsp->pages);
	zs_unpoison(base, (size_t)n * ZS_PAGE_SIZE);
	atomic_store_explicit(&zsp->base, NULL, memory_order_relaxed);
	zs_arena_free_run(pool->arena, base);
	atomic_fetch_sub(&pool->zspages, 1);
	atomic_fetch_sub(&pool->pages, zsp->pages);
	desc_free(pool, zsp);
}

void zs_zspages_destroy_all(struct zs_pool *pool)
{
	uint32_t id, n = atomic_load(&pool->zsp_next);

	for (id = 0; id < n; id++) {
		struct zspage *zsp = zs_zspage_by_id(pool, id);
		char *base;

		if (atomic_load(&zsp->state) != ZSPAGE_LIVE)
			continue;
		base = atomic_load(&zsp->base);
		zs_unpoison(base, (size_t)pool->chain_size * ZS_PAGE_SIZE);
		zs_arena_free_run(pool->arena, base);
	}
	for (id = 0; id < atomic_load(&pool->zsp_nchunks); id++)
		zs_host_unmap(atomic_load(&zs_zsp_dir(pool)[id]),
			      zs_zsp_chunk_bytes(pool));
	if (zs_zsp_dir(pool) != pool->zsp_dir_inline)
		zs_host_unmap(zs_zsp_dir(pool), ZS_ZSP_DIR_BYTES);
}

unsigned zs_fullness_of(const struct zs_pool *pool, uint32_t used_units)
{
	if (used_units == 0)
		return ZS_FULLNESS_EMPTY;
	if (used_units >= pool->zspage_units)
		return ZS_FULLNESS_FULL;
	/* used * 10 / units without a division on every alloc and free */
	return (unsigned)((used_units * pool->group_mul) >> 32) + 1;
}

void zs_fullness_insert(struct zs_pool *pool, struct zs_shard *sh,
			struct zspage *zsp)
{
	unsigned g = zs_fullness_of(pool, zsp->used_units);

	zsp->fullness = (uint8_t)g;
	zs_zsp_list_push(&sh->groups[g], zsp);
	sh->group_count[g]++;
}

void zs_fullness_remove(struct zs_pool *pool, struct zs_shard *sh,
			struct zspage *zsp)
{
	zs_zsp_list_del(pool, &sh->groups[zsp->fullness], zsp);
	sh->group_count[zsp->fullness]--;
}

void zs_fullness_fix(struct zs_pool *pool, struct zs_shard *sh,
		     struct zspage *zsp)
{
	if (zsp->isolated ||
	    zs_fullness_of(pool, zsp->used_units) == zsp->fullness)
		return;
	zs_fullness_remove(pool, sh, zsp);
	zs_fullness_insert(pool, sh, zsp);
}

struct zspage *zs_find_emptiest(struct zs_shard *sh)
{
	unsigned g;

	for (g = ZS_FULLNESS_EMPTY + 1; g < ZS_FULLNESS_FULL; g++)
		if (sh->groups[g])
			return sh->groups[g];
	return NULL;
}

/* Accounts a newly placed object of size at ref and poisons the bytes
 * its footprint has past its end. */
static void placed(struct zs_pool *pool, struct zs_shard *sh,
		   struct zspage *zsp, uint32_t ref, size_t size)
{
	unsigned units = zs_span_units((unsigned)size);
	char *p = zs_obj_bytes(zsp, ref);

	zs_poison(p + size,
		  (size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES - size);
	zsp->inuse++;
	zsp->used_units += units;
	zs_shard_count_add(&sh->units_used, units);
	zs_fullness_fix(pool, sh, zsp);
}

/* Counts zsp's pages up to the one holding unit reach - 1, before
 * anything is written there: -ENOMEM when that would pass the pool's
 * max_pages. */
static int commit_pages(struct zs_pool *pool, struct zs_shard *sh,
			struct zspage *zsp, unsigned reach)
{
	unsigned need = zs_pages_of_units(reach);

	if (need <= zsp->pages)
		return 0;
	if (zs_pool_reserve(pool, need - zsp->pages))
		return -ENOMEM;
	zs_shard_count_add(&sh->pages, need - zsp->pages);
	zsp->pages = (uint8_t)need;
	return 0;
}

/* For zs_span_find_within: the units of a zspage's pages reached. */
static unsigned reached_units(void *owner, uint32_t id)
{
	return zs_zspage_by_id(owner, id)->pages * ZS_PAGE_UNITS;
}

unsigned long zs_zspage_trim(struct zs_pool *pool, struct zs_shard *sh,
			     struct zspage *zsp)
{
	unsigned need, drop;
	char *base;

	/* a page of free units at least, or no page can be free at the end */
	if (zsp->pages * ZS_PAGE_UNITS < zsp->used_units + ZS_PAGE_UNITS)
		return 0;
	/* at least the first page: the reach takes in the first block */
	need = zs_pages_of_units(zs_span_reach(&sh->span, zsp->id));
	if (need >= zsp->pages)
		return 0;
	drop = zsp->pages - need;
	base = atomic_load_explicit(&zsp->base, memory_order_relaxed);
	/* the end gap's body only: nobody reads it, and it reads back as
	 * zeroes, which nothing depends on */
	zs_host_purge(base + (size_t)need * ZS_PAGE_SIZE,
		      (size_t)drop * ZS_PAGE_SIZE);
	zsp->pages = (uint8_t)need;
	zs_shard_count_add(&sh->pages, -(long)drop);
	atomic_fetch_sub(&pool->pages, drop);
	return drop;
}

uint32_t zs_obj_place_in_gap(struct zs_pool *pool, struct zs_shard *sh,
			     uint32_t slot_idx, size_t size, bool may_reach)
{
	unsigned units = zs_span_units((unsigned)size), reach;
	uint32_t ref = may_reach ? zs_span_find(&sh->span, units, &reach) :
				   zs_span_find_within(&sh->span, units, &reach,
						       reached_units);

	struct zspage *zsp;

	if (ref == ZS_GAP_NONE)
		return ZS_GAP_NONE;
	/* one lookup for the commit and the accounting */
	zsp = zs_zspage_by_id(pool, zs_span_ref_zspage(ref));
	if (commit_pages(pool, sh, zsp, reach))
		return ZS_GAP_NONE;
	zs_span_take(&sh->span, ref, units, slot_idx);
	placed(pool, sh, zsp, ref, size);
	return ref;
}

int zs_obj_place(struct zs_pool *pool, struct zs_shard *sh, uint32_t slot_idx,
		 size_t size, uint32_t *ref)
{
	struct zspage *zsp;

	if (size >= ZS_HUGE_SIZE)
		return zs_huge_place(pool, sh, slot_idx, size, ref);
	*ref = zs_obj_place_in_gap(pool, sh, slot_idx, size, true);
	if (*ref != ZS_GAP_NONE)
		return 0;
	zsp = zs_zspage_create(pool, sh);
	if (!zsp)
		return -ENOMEM;
	/* a new zspage is one gap that fits any object, but the pages it
	 * reaches past the first may be more than max_pages allows */
	*ref = zs_obj_place_in_gap(pool, sh, slot_idx, size, true);
	if (*ref != ZS_GAP_NONE)
		return 0;
	zs_zspage_destroy(pool, sh, zsp);
	return -ENOMEM;
}

void zs_obj_remove(struct zs_pool *pool, struct zs_shard *sh,
		   struct zspage *zsp, uint32_t ref, size_t size)
{
	unsigned units = zs_span_units((unsigned)size);

	if (zsp->isolated)
		zs_span_free_isolated(&sh->span, ref, units);
	else
		zs_span_free(&sh->span, ref, units);
	zsp->inuse--;
	zsp->used_units -= units;
	zs_shard_count_add(&sh->units_used, -(long)units);
	zs_fullness_fix(pool, sh, zsp);
}
