// SPDX-License-Identifier: MIT
/*
 * shards.c - a pool's shards: which lock, zspages and free-space index an
 * allocation uses, and what the kernel's class calls mean here.
 *
 * Objects of every size share zspages, so a pool needs no size classes;
 * what classes also gave the kernel was many locks.  Shards keep that: a
 * thread allocates from one shard (chosen once per thread, round robin), so
 * threads rarely meet on a lock, and each shard compacts on its own.  One
 * thread's objects stay in one shard, which keeps a single-threaded pool
 * as dense as one free-space index can make it.  An object never leaves
 * its shard: compaction and run migration move it within the shard, so
 * its shard is found from where it lies, under that shard's lock.
 *
 * The class functions of zs/zsmalloc.h keep their meaning for callers
 * sizing things: the footprint of an object (its size and tag rounded to
 * 8 bytes, or a page from ZS_HUGE_SIZE on) and the number of distinct
 * footprints.
 */
#include <errno.h>
#include <limits.h>

#include "zs/zs_internal.h"

void zs_shards_init(struct zs_pool *pool)
{
	unsigned i;

	for (i = 0; i < ZS_NR_SHARDS; i++) {
		struct zs_shard *sh = &pool->shards[i];

		sh->index = i;
		zs_lock_init(&sh->lock);
		zs_span_init(&sh->span, &zs_pool_span_ops, pool);
		sh->recycle_cursor = 1; /* footprints are 1 .. ZS_PAGE_UNITS */
	}
}

static _Atomic unsigned next_thread_shard;
static _Thread_local unsigned thread_shard = UINT_MAX;

struct zs_shard *zs_shard_of_thread(struct zs_pool *pool)
{
	if (thread_shard == UINT_MAX)
		thread_shard = atomic_fetch_add_explicit(&next_thread_shard, 1,
							 memory_order_relaxed) %
			       ZS_NR_SHARDS;
	return &pool->shards[thread_shard];
}

/* The shard a live object lies in, as its slot word w names it: a huge
 * object's place holds it, a shared one's zspage does.  UINT_MAX when w's
 * zspage does not exist (the slot is not live any more). */
static unsigned shard_named(struct zs_pool *pool, uint64_t w)
{
	uint32_t loc = zs_slot_loc(w);
	struct zspage *zsp;

	if (zs_slot_live(w) && zs_slot_huge(w))
		return zs_huge_loc_shard(loc);
	zsp = zs_zspage_by_id(pool, zs_span_ref_zspage(loc));
	if (!zsp)
		return UINT_MAX;
	return atomic_load_explicit(&zsp->shard, memory_order_relaxed) %
	       ZS_NR_SHARDS;
}

/* The shard the live object of slot lies in, locked.  The shard is read
 * from where the object lies, which may change between the read and the
 * lock (the object moved, its zspage freed and reused by another shard);
 * under the right lock the object cannot move, so a second read settles
 * it.  A word that still names the same place, size and generation is
 * the same object, never freed in between, so its zspage was never freed
 * either and is still the shard's: the second lookup is needed only when
 * the word changed. */
struct zs_shard *zs_lock_shard_of(struct zs_pool *pool,
				  const struct zs_hslot *slot)
{
	uint64_t w = atomic_load_explicit(&slot->word, memory_order_acquire);

	for (;;) {
		unsigned si = shard_named(pool, w);
		struct zs_shard *sh;
		uint64_t again;

		if (si == UINT_MAX)
			return NULL;
		sh = &pool->shards[si];
		zs_lock(&sh->lock);
		again = atomic_load_explicit(&slot->word, memory_order_acquire);
		/* not live: the caller's check fails it */
		if (!zs_slot_live(again) ||
		    !((again ^ w) & ~ZS_SLOT_STATE_MASK) ||
		    shard_named(pool, again) == sh->index)
			return sh;
		zs_unlock(&sh->lock);
		w = again;
	}
}

/* Units live objects hold: a compaction releases the recycled blocks
 * first (zs/recycle.c).  Read without the lock; the two counters may be
 * a moment apart. */
static unsigned long live_units(const struct zs_shard *sh)
{
	unsigned long used =
		atomic_load_explicit(&sh->units_used, memory_order_relaxed);
	unsigned long recycled =
		atomic_load_explicit(&sh->recycle_units, memory_order_relaxed);

	return used > recycled ? used - recycled : 0;
}

/* Units of the pages the shard's zspages have reached: the room
 * compaction moves objects into (it never reaches a new page). */
static unsigned long reached_units(const struct zs_shard *sh)
{
	return atomic_load_explicit(&sh->pages, memory_order_relaxed) *
	       ZS_PAGE_UNITS;
}

/* Whole zspages' worth of free units in the pages reached: while there is
 * one, moving objects could still empty a zspage, so compaction goes on
 * trying. */
unsigned long zs_shard_free_zspages(const struct zs_pool *pool,
				    const struct zs_shard *sh)
{
	unsigned long held = reached_units(sh);
	unsigned long used = live_units(sh);

	return used < held ? (held - used) / pool->zspage_units : 0;
}

/* Pages compaction could give back: whole zspages' worth of free units,
 * less what it cannot fill.  Compaction stops at a zspage whose gaps are
 * all smaller than the objects waiting to move, which leaves it half an
 * object's footprint of gap on average; counting that as free would have
 * the shrinker ask for pages no move can give.  Read without the lock
 * (the shrinker's count), so it may be a moment stale. */
unsigned long zs_shard_freeable(const struct zs_pool *pool,
				const struct zs_shard *sh)
{
	unsigned long zspages =
		atomic_load_explicit(&sh->zspages, memory_order_relaxed);
	unsigned long used = live_units(sh);
	unsigned long objs = zs_shard_shared_objs(sh);
	unsigned long held = reached_units(sh), unfillable;

	/* objs > used: counters read mid-update; no mean to go by */
	if (!objs || objs > used)
		return zs_shard_free_zspages(pool, sh) * pool->chain_size;
	unfillable = zspages * (used / objs) / 2;
	if (used + unfillable >= held)
		return 0;
	return (held - used - unfillable) / pool->zspage_units *
	       pool->chain_size;
}

unsigned long zs_shard_shared_objs(const struct zs_shard *sh)
{
	unsigned long objs =
		atomic_load_explicit(&sh->objs_used, memory_order_relaxed);
	/* huge objects: the huge pages less those kept (zs/huge.c) */
	unsigned long pages =
		atomic_load_explicit(&sh->huge_count, memory_order_relaxed);
	unsigned long kept =
		atomic_load_explicit(&sh->huge_kept, memory_order_relaxed);
	unsigned long huge = pages > kept ? pages - kept : 0;

	/* read without the lock, huge_count may already count an object
	 * objs_used does not yet */
	return objs > huge ? objs - huge : 0;
}

/* Objects the shard's shared zspages would hold if every gap held objects
 * of their mean footprint: the kernel's obj_allocated, for a layout
 * without fixed slots. */
unsigned long zs_shard_capacity(const struct zs_pool *pool,
				const struct zs_shard *sh)
{
	unsigned long objs = zs_shard_shared_objs(sh);
	unsigned long used = live_units(sh);
	unsigned long held =
		atomic_load_explicit(&sh->zspages, memory_order_relaxed) *
		pool->zspage_units;

	if (!used)
		return objs;
	return (unsigned long)((unsigned long long)held * objs / used);
}

unsigned zs_pool_class_count(struct zs_pool *pool)
{
	/* footprints of 1 .. 512 units, and the page of a huge object */
	return pool ? ZS_PAGE_UNITS + 1 : 0;
}

size_t zs_class_size_for(struct zs_pool *pool, size_t size)
{
	if (!pool || size == 0 || size > ZS_PAGE_SIZE)
		return 0;
	if (size >= ZS_HUGE_SIZE)
		return ZS_PAGE_SIZE;
	return (size_t)zs_span_units((unsigned)size) * ZS_GAP_UNIT;
}

size_t zs_huge_class_size(struct zs_pool *pool)
{
	return pool ? ZS_HUGE_SIZE : 0;
}

size_t zs_max_alloc_size(void)
{
	return ZS_PAGE_SIZE;
}
