// SPDX-License-Identifier: MIT
/*
 * compact.c - moving objects and pages to give memory back.
 *
 * Compaction, after the kernel's 2015 compaction patch in its modern form
 * (docs/DESIGN.md, Lineage): per class, the emptiest zspage is the source
 * and the fullest zspage with room the destination; live objects (found by
 * their header tag) move one at a time, their handle slots are repointed,
 * and an emptied source returns its pages.
 *
 * Better than the kernel's pool-wide lock: each class compacts under its
 * own lock, released after every object move, so allocation and free in
 * that class wait at most one object copy and other classes never wait.
 * Readers take no lock at all; they only wait when the very object they
 * pin is being copied.  Several threads may compact at once: a class is
 * compacted by one of them at a time (the others skip it), and the pages
 * freed are added atomically, so pages_compacted is exact.
 *
 * Run migration (the 2015 generic compaction callbacks, per run): the
 * arena moves a zspage's run of pages as a unit through the movable
 * operations at the bottom of this file.  A zspage addresses objects by
 * (zspage, index), so a move only swings the zspage's base: handles need
 * no rewrite.  Any pinned object in the zspage refuses the move, and a
 * reader waits at most one zspage copy (16 pages) for an object that is
 * moving; the kernel moved one page at a time because its zspage was not
 * one range, and its readers copied anyway.
 */
#include <errno.h>
#include <string.h>

#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

/* Moves one object from src to dst; false when it is pinned. */
static bool move_object(struct zs_pool *pool, struct size_class *c,
			struct zspage *src, uint32_t obj, struct zspage *dst)
{
	uint32_t hdr = zs_obj_header(c, src, obj), idx = hdr >> 1, dobj;
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	uint64_t m, loc = ((uint64_t)src->id << 32) | obj;
	size_t size;

	if (!slot || !(atomic_load(&slot->meta) & ZS_META_LIVE) ||
	    atomic_load_explicit(&slot->loc, memory_order_relaxed) != loc) {
		ZS_REPORT(ZS_FINDING_ABORT_COMPACT_BACK_POINTER, obj, src->id,
			  c->size, idx);
		zs_corruption_abort();
	}
	if (!zs_try_mark_moving(slot))
		return false;
	m = atomic_load_explicit(&slot->meta, memory_order_acquire);
	size = zs_meta_size(m);
	dobj = zs_obj_take(c, dst, idx, size);
	memcpy(zs_obj_bytes(c, dst, dobj), zs_obj_bytes(c, src, obj), size);
	atomic_store_explicit(&slot->loc, ((uint64_t)dst->id << 32) | dobj,
			      memory_order_release);
	zs_clear_moving(slot);
	zs_obj_release(c, src, obj);
	zs_fullness_fix(c, dst);
	atomic_fetch_add_explicit(&pool->objs_moved, 1, memory_order_relaxed);
	return true;
}

/* Takes a zspage out of the fullness lists for the compactor's use:
 * allocation no longer picks it and free no longer destroys it. */
static void isolate_zspage(struct size_class *c, struct zspage *zsp)
{
	zs_fullness_remove(c, zsp);
	zsp->isolated = true;
	zsp->prev = NULL;
	zsp->next = c->isolated_list;
	if (zsp->next)
		zsp->next->prev = zsp;
	c->isolated_list = zsp;
}

/* Returns an isolated zspage to its lists, or frees it when empty;
 * returns the pages freed. */
static unsigned long release_zspage(struct zs_pool *pool, struct size_class *c,
				    struct zspage *zsp)
{
	if (zsp->prev)
		zsp->prev->next = zsp->next;
	else
		c->isolated_list = zsp->next;
	if (zsp->next)
		zsp->next->prev = zsp->prev;
	zsp->prev = zsp->next = NULL;
	if (zsp->inuse == 0 && !zsp->run_isolated) {
		zs_zspage_destroy(pool, c, zsp); /* isolated: in no list */
		return c->pages_per_zspage;
	}
	zsp->isolated = false;
	zs_fullness_insert(c, zsp);
	return 0;
}

/* Empties the emptiest zspages of one class into the fullest, until
 * `goal` pages are freed (pages go in whole zspages, so a shrinker asking
 * for nr pages may get up to a zspage more).  Sources whose pinned objects
 * could not move stay isolated until the pass ends, so the pass never
 * picks them twice. */
static unsigned long compact_class(struct zs_pool *pool, struct size_class *c,
				   unsigned long goal)
{
	unsigned long freed = 0;
	struct zspage *src;
	bool expected = false;

	if (c->huge ||
	    !atomic_compare_exchange_strong(&c->compacting, &expected, true))
		return 0;
	zs_lock(&c->lock);
	while (freed < goal && zs_class_freeable(c) &&
	       (src = zs_find_emptiest(c))) {
		uint32_t obj;
		bool stuck = false;

		isolate_zspage(c, src);
		for (obj = 0; obj < src->fresh && src->inuse; obj++) {
			struct zspage *dst;

			if (!(zs_obj_header(c, src, obj) & ZS_OBJ_ALLOCATED))
				continue;
			dst = zs_find_fullest(c, NULL);
			if (!dst) {
				stuck = true;
				break;
			}
			move_object(pool, c, src, obj, dst);
			/* let waiting allocs and frees of this class in:
			 * src is isolated, nobody else can pick or free it */
			zs_unlock(&c->lock);
			zs_lock(&c->lock);
		}
		if (src->inuse == 0 || stuck)
			freed += release_zspage(pool, c, src);
		if (stuck)
			break; /* src was the last zspage with room */
	}
	while (c->isolated_list)
		freed += release_zspage(pool, c, c->isolated_list);
	zs_unlock(&c->lock);
	atomic_store(&c->compacting, false);
	return freed;
}

static unsigned long compact_some(struct zs_pool *pool, unsigned long goal)
{
	unsigned long freed = 0;
	unsigned i;

	/* largest classes first: they free pages with the fewest moves */
	for (i = pool->nr_classes; i-- > 0 && freed < goal;)
		if (zs_class_freeable(&pool->classes[i]))
			freed += compact_class(pool, &pool->classes[i],
					       goal - freed);
	atomic_fetch_add(&pool->pages_compacted, freed);
	atomic_fetch_add(&pool->compactions, 1);
	return freed;
}

unsigned long zs_compact(struct zs_pool *pool)
{
	return pool ? compact_some(pool, (unsigned long)-1) : 0;
}

unsigned long zs_shrinker_count(struct zs_pool *pool)
{
	unsigned long n = 0;
	unsigned i;

	if (!pool)
		return 0;
	for (i = 0; i < pool->nr_classes; i++)
		n += zs_class_freeable(&pool->classes[i]);
	return n;
}

unsigned long zs_shrinker_scan(struct zs_pool *pool, unsigned long nr)
{
	if (!pool || nr == 0)
		return 0;
	return compact_some(pool, nr);
}

/* ---- run migration: the pool's movable-page operations ---- */

/* Locks and returns the class of zspage `id` when `run` is still its run,
 * or NULL when the run has changed hands since the arena looked. */
static struct size_class *lock_owner_class(struct zs_pool *pool,
					   struct zspage **zspp, void *run,
					   uint32_t id, uint32_t index)
{
	struct zspage *zsp = zs_zspage_by_id(pool, id);
	struct size_class *c;
	uint32_t ci;

	if (!zsp || index != 0)
		return NULL;
	ci = atomic_load(&zsp->class_idx);
	if (ci >= pool->nr_classes)
		return NULL;
	c = &pool->classes[ci];
	zs_lock(&c->lock);
	if (atomic_load(&zsp->state) != ZSPAGE_LIVE ||
	    atomic_load(&zsp->class_idx) != ci ||
	    atomic_load_explicit(&zsp->base, memory_order_relaxed) != run) {
		zs_unlock(&c->lock);
		return NULL;
	}
	*zspp = zsp;
	return c;
}

static int zs_run_isolate(void *owner, void *run, uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp;
	struct size_class *c = lock_owner_class(pool, &zsp, run, id, index);

	if (!c)
		return -EAGAIN;
	zsp->run_isolated++;
	zs_unlock(&c->lock);
	return 0;
}

/* Whether object `obj` is allocated, and its handle slot (NULL when the
 * header names a slot beyond the table). */
static bool allocated(struct zs_pool *pool, const struct size_class *c,
		      const struct zspage *zsp, uint32_t obj,
		      struct zs_hslot **slot)
{
	uint32_t hdr;

	if (c->huge) { /* no header: the zspage knows its one object */
		*slot = zs_slot_at(pool, zsp->huge_slot);
		return zsp->free_head != 0;
	}
	hdr = zs_obj_header(c, zsp, obj);
	*slot = zs_slot_at(pool, hdr >> 1);
	return hdr & ZS_OBJ_ALLOCATED;
}

/* Clears the moving marks of the allocated objects before `end`.  The
 * headers cannot change meanwhile: the class lock is held. */
static void clear_marks(struct zs_pool *pool, const struct size_class *c,
			const struct zspage *zsp, uint32_t end)
{
	struct zs_hslot *slot;
	uint32_t obj;

	for (obj = 0; obj < end; obj++)
		if (allocated(pool, c, zsp, obj, &slot) && slot)
			zs_clear_moving(slot);
}

static int zs_run_migrate(void *owner, void *old_run, void *new_run,
			  uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zs_hslot *slot;
	struct zspage *zsp;
	struct size_class *c;
	uint32_t obj, nobj;
	size_t len, hdr;

	c = lock_owner_class(pool, &zsp, old_run, id, index);
	if (!c)
		return -EAGAIN;
	if (zsp->inuse == 0)
		goto busy; /* putback frees it; no point in moving */
	nobj = c->huge ? 1 : zsp->fresh;
	hdr = c->huge ? 0 : ZS_OBJ_HEADER;
	/* Every allocated object is marked before a byte moves, so a reader
	 * either pinned first (and the move is refused, nothing changed) or
	 * waits for the new base. */
	for (obj = 0; obj < nobj; obj++) {
		if (!allocated(pool, c, zsp, obj, &slot))
			continue;
		if (!slot || !zs_try_mark_moving(slot)) {
			clear_marks(pool, c, zsp, obj);
			goto busy;
		}
	}
	len = (size_t)c->pages_per_zspage * ZS_PAGE_SIZE;
	zs_raw_copy_page(new_run, old_run, len);
	atomic_store_explicit(&zsp->base, (char *)new_run,
			      memory_order_release);
	/* the new run's poisoning is the old one's: only objects are
	 * addressable, and only up to their size */
	zs_poison(new_run, len);
	for (obj = 0; obj < nobj; obj++) {
		size_t size;

		if (!allocated(pool, c, zsp, obj, &slot))
			continue;
		size = zs_meta_size(atomic_load(&slot->meta));
		zs_unpoison(zs_obj_bytes(c, zsp, obj) - hdr, hdr + size);
	}
	zs_unpoison(old_run, len);
	clear_marks(pool, c, zsp, nobj);
	zsp->run_isolated--;
	atomic_fetch_add(&pool->pages_migrated, c->pages_per_zspage);
	zs_unlock(&c->lock);
	return 0;
busy:
	zs_unlock(&c->lock);
	return -EAGAIN;
}

static void zs_run_putback(void *owner, void *run, uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp = zs_zspage_by_id(pool, id);
	struct size_class *c;

	(void)run;
	(void)index;
	if (!zsp)
		return;
	/* isolation kept the zspage alive and in its class */
	c = &pool->classes[atomic_load(&zsp->class_idx)];
	zs_lock(&c->lock);
	zsp->run_isolated--;
	if (zsp->inuse == 0 && !zsp->isolated && !zsp->run_isolated)
		zs_zspage_destroy(pool, c, zsp);
	zs_unlock(&c->lock);
}

const struct zs_movable_ops zs_movable_ops = {
	.isolate = zs_run_isolate,
	.migrate = zs_run_migrate,
	.putback = zs_run_putback,
};
