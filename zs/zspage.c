// SPDX-License-Identifier: MIT
/*
 * zspage.c - zspages: runs of pages holding the objects of one class.
 *
 * Objects are laid end to end across the zspage, so object i of a class of
 * slot size s starts at byte i*s and may straddle two pages (as the 2012
 * zsmalloc review settled; docs/DESIGN.md, Lineage).  The kernel chains
 * scattered pages and must copy a straddling object to read it; here a
 * zspage's pages are one contiguous arena run, so every object is one byte
 * range and is always used in place.
 * Each slot starts with a 4-byte header word: the handle slot index with an
 * allocated tag, or the next free object.  The tag is what lets the
 * compactor walk a page for live objects (the 2015 compaction patch).
 *
 * Descriptors live in a per-pool table that only grows (never freed before
 * the pool), addressed by id.  The run's arena descriptor records the
 * zspage id, so migration can find its zspage from the run alone, and
 * reading a recycled descriptor is never a use-after-free.
 *
 * Fullness groups follow the kernel (0-9% ... 90-99%, full); allocation
 * takes the fullest zspage with room, so free space concentrates in few
 * zspages and empties them.  All of this runs under the class lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "zs/host.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

struct zspage *zs_zspage_by_id(struct zs_pool *pool, uint32_t id)
{
	char *chunk;

	if (id >= atomic_load_explicit(&pool->zsp_next, memory_order_acquire))
		return NULL;
	chunk = atomic_load_explicit(&pool->zsp_chunks[id / ZS_ZSP_CHUNK],
				     memory_order_acquire);
	if (!chunk)
		return NULL;
	return (struct zspage *)(chunk +
				 (id % ZS_ZSP_CHUNK) * pool->zsp_stride);
}

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

static struct zspage *desc_alloc(struct zs_pool *pool)
{
	struct zspage *zsp;
	uint32_t id;

	pthread_mutex_lock(&pool->zsp_lock);
	zsp = pool->zsp_free;
	if (zsp) {
		pool->zsp_free = zsp->next;
		goto out;
	}
	id = atomic_load_explicit(&pool->zsp_next, memory_order_relaxed);
	if (id % ZS_ZSP_CHUNK == 0) {
		char *chunk;

		if (id / ZS_ZSP_CHUNK >= ZS_ZSP_MAX_CHUNKS ||
		    zs_inject_fail(pool) ||
		    !(chunk = zs_host_calloc(ZS_ZSP_CHUNK, pool->zsp_stride))) {
			pthread_mutex_unlock(&pool->zsp_lock);
			return NULL;
		}
		atomic_store_explicit(&pool->zsp_chunks[id / ZS_ZSP_CHUNK],
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
	zsp->next = pool->zsp_free;
	pool->zsp_free = zsp;
	pthread_mutex_unlock(&pool->zsp_lock);
}

/* Where slot `obj` starts.  Relaxed: whoever reaches an object either
 * holds the class lock or has pinned it, and both order this load after
 * the release store of a run migration. */
static char *slot_addr(const struct size_class *c, const struct zspage *zsp,
		       uint32_t obj)
{
	return atomic_load_explicit(&zsp->base, memory_order_relaxed) +
	       (size_t)obj * c->size;
}

uint32_t zs_obj_header(const struct size_class *c, const struct zspage *zsp,
		       uint32_t obj)
{
	return zs_raw_load32(slot_addr(c, zsp, obj));
}

static void set_header(const struct size_class *c, const struct zspage *zsp,
		       uint32_t obj, uint32_t v)
{
	zs_raw_store32(slot_addr(c, zsp, obj), v);
}

/* Poisons or unpoisons the bytes of slot `obj` from byte `from` on. */
static void slot_poison(const struct size_class *c, const struct zspage *zsp,
			uint32_t obj, size_t from, bool poison)
{
	char *p = slot_addr(c, zsp, obj) + from;

	if (poison)
		zs_poison(p, c->size - from);
	else
		zs_unpoison(p, c->size - from);
}

struct zspage *zs_zspage_create(struct zs_pool *pool, struct size_class *c)
{
	unsigned n = c->pages_per_zspage;
	struct zspage *zsp;
	char *base;

	if (zs_pool_reserve(pool, n))
		return NULL;
	zsp = desc_alloc(pool);
	if (!zsp)
		goto unreserve;
	base = NULL;
	if (!zs_inject_fail(pool))
		base = zs_arena_alloc_run(pool->arena, pool->owner_id, n,
					  zsp->id, 1);
	if (!base) {
		desc_free(pool, zsp);
		goto unreserve;
	}
	atomic_store_explicit(&zsp->base, base, memory_order_relaxed);
	atomic_store_explicit(&zsp->class_idx, c->index, memory_order_relaxed);
	zsp->inuse = 0;
	zsp->isolated = false;
	zsp->run_isolated = 0;
	zsp->prev = zsp->next = NULL;
	/* Slots are handed out from `fresh` upwards before the free list is
	 * used, so a new zspage costs no walk over its slots; untouched
	 * slots carry no header and stay poisoned until taken. */
	zsp->fresh = 0;
	zsp->free_head = c->huge ? 0 : ZS_NO_OBJ;
	zs_poison(base, (size_t)n * ZS_PAGE_SIZE);
	atomic_store_explicit(&zsp->state, ZSPAGE_LIVE, memory_order_release);
	atomic_fetch_add(&c->objs_allocated, c->objs_per_zspage);
	atomic_fetch_add(&pool->zspages, 1);
	zs_fullness_insert(c, zsp);
	return zsp;
unreserve:
	atomic_fetch_sub(&pool->pages, n);
	return NULL;
}

void zs_zspage_destroy(struct zs_pool *pool, struct size_class *c,
		       struct zspage *zsp)
{
	char *base = atomic_load(&zsp->base);

	if (!zsp->isolated)
		zs_fullness_remove(c, zsp);
	zs_unpoison(base, (size_t)c->pages_per_zspage * ZS_PAGE_SIZE);
	atomic_store_explicit(&zsp->base, NULL, memory_order_relaxed);
	zs_arena_free_run(pool->arena, base);
	atomic_fetch_sub(&c->objs_allocated, c->objs_per_zspage);
	atomic_fetch_sub(&pool->zspages, 1);
	atomic_fetch_sub(&pool->pages, c->pages_per_zspage);
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
		zs_unpoison(base,
			    (size_t)pool->classes[atomic_load(&zsp->class_idx)]
					    .pages_per_zspage *
				    ZS_PAGE_SIZE);
		zs_arena_free_run(pool->arena, base);
	}
	for (id = 0; id < atomic_load(&pool->zsp_nchunks); id++)
		free(atomic_load(&pool->zsp_chunks[id]));
	zs_host_unmap(pool->zsp_chunks, ZS_ZSP_DIR_BYTES);
}

unsigned zs_fullness_of(const struct size_class *c, uint32_t inuse)
{
	if (inuse == 0)
		return ZS_FULLNESS_EMPTY;
	if (inuse == c->objs_per_zspage)
		return ZS_FULLNESS_FULL;
	/* inuse * 10 / objs without a division on every alloc and free */
	return (unsigned)((inuse * c->group_mul) >> 32) + 1;
}

void zs_fullness_insert(struct size_class *c, struct zspage *zsp)
{
	unsigned g = zs_fullness_of(c, zsp->inuse);

	zsp->fullness = (uint8_t)g;
	zsp->prev = NULL;
	zsp->next = c->groups[g];
	if (zsp->next)
		zsp->next->prev = zsp;
	c->groups[g] = zsp;
	c->group_count[g]++;
}

void zs_fullness_remove(struct size_class *c, struct zspage *zsp)
{
	unsigned g = zsp->fullness;

	if (zsp->prev)
		zsp->prev->next = zsp->next;
	else
		c->groups[g] = zsp->next;
	if (zsp->next)
		zsp->next->prev = zsp->prev;
	zsp->prev = zsp->next = NULL;
	c->group_count[g]--;
}

void zs_fullness_fix(struct size_class *c, struct zspage *zsp)
{
	if (zsp->isolated || zs_fullness_of(c, zsp->inuse) == zsp->fullness)
		return;
	zs_fullness_remove(c, zsp);
	zs_fullness_insert(c, zsp);
}

struct zspage *zs_find_fullest(struct size_class *c,
			       const struct zspage *exclude)
{
	int g;

	for (g = ZS_FULLNESS_FULL - 1; g > ZS_FULLNESS_EMPTY; g--) {
		struct zspage *zsp;

		for (zsp = c->groups[g]; zsp; zsp = zsp->next)
			if (zsp != exclude)
				return zsp;
	}
	return NULL;
}

struct zspage *zs_find_emptiest(struct size_class *c)
{
	unsigned g;

	for (g = ZS_FULLNESS_EMPTY + 1; g < ZS_FULLNESS_FULL; g++)
		if (c->groups[g])
			return c->groups[g];
	return NULL;
}

uint32_t zs_obj_take(struct size_class *c, struct zspage *zsp,
		     uint32_t slot_idx, size_t size)
{
	uint32_t obj = zsp->free_head;

	if (c->huge) {
		zsp->free_head = ZS_NO_OBJ;
		zsp->huge_slot = slot_idx;
		zs_unpoison(slot_addr(c, zsp, 0), size);
	} else if (obj == ZS_NO_OBJ) {
		obj = zsp->fresh++;
		slot_poison(c, zsp, obj, 0, false);
		set_header(c, zsp, obj, (slot_idx << 1) | ZS_OBJ_ALLOCATED);
		slot_poison(c, zsp, obj, ZS_OBJ_HEADER + size, true);
	} else {
		uint32_t h = zs_obj_header(c, zsp, obj);

		if (h & ZS_OBJ_ALLOCATED) {
			ZS_REPORT(ZS_FINDING_ABORT_ZSPAGE_FREE_LIST_ALLOCATED,
				  zsp->id, c->size, obj);
			zs_corruption_abort();
		}
		zsp->free_head = h >> 1;
		slot_poison(c, zsp, obj, 0, false);
		set_header(c, zsp, obj, (slot_idx << 1) | ZS_OBJ_ALLOCATED);
		slot_poison(c, zsp, obj, ZS_OBJ_HEADER + size, true);
	}
	zsp->inuse++;
	return obj;
}

void zs_obj_release(struct size_class *c, struct zspage *zsp, uint32_t obj)
{
	if (c->huge) {
		zs_poison(slot_addr(c, zsp, 0), ZS_PAGE_SIZE);
	} else {
		set_header(c, zsp, obj, zsp->free_head << 1);
		slot_poison(c, zsp, obj, 0, true);
	}
	zsp->free_head = obj;
	zsp->inuse--;
}

char *zs_obj_bytes(const struct size_class *c, const struct zspage *zsp,
		   uint32_t obj)
{
	return slot_addr(c, zsp, obj) + (c->huge ? 0 : ZS_OBJ_HEADER);
}

unsigned long zs_class_freeable(const struct size_class *c)
{
	unsigned long alloc =
		atomic_load_explicit(&c->objs_allocated, memory_order_relaxed);
	unsigned long used =
		atomic_load_explicit(&c->objs_used, memory_order_relaxed);

	if (c->huge || used >= alloc)
		return 0;
	return (alloc - used) / c->objs_per_zspage * c->pages_per_zspage;
}
