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
 * Page migration (the 2015 generic compaction callbacks): the arena moves
 * a page through the movable operations at the bottom of this file.  A
 * zspage addresses objects by (zspage, index), so a move only swaps the
 * page in the zspage's chain: handles need no rewrite.  Pinned objects on
 * the page refuse the move.
 */
#include <errno.h>
#include <string.h>

#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

/* Moves one object from src to dst; false when it is pinned. */
static bool move_object(struct zs_pool *pool, struct size_class *c,
			struct zspage *src, uint32_t obj, struct zspage *dst)
{
	unsigned char buf[ZS_PAGE_SIZE];
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
	zs_obj_copy_out(c, src, obj, size, buf);
	dobj = zs_obj_take(c, dst, idx, size);
	zs_obj_copy_in(c, dst, dobj, buf, size);
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
	if (zsp->inuse == 0 && !zsp->pages_isolated) {
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

/* ---- page migration: the pool's movable-page operations ---- */

/* Locks and returns the class of the zspage that owns `page` at `index`,
 * or NULL when the page has changed hands since the arena looked. */
static struct size_class *lock_owner_class(struct zs_pool *pool,
					   struct zspage **zspp, void *page,
					   uint32_t id, uint32_t index)
{
	struct zspage *zsp = zs_zspage_by_id(pool, id);
	struct size_class *c;
	uint32_t ci;

	if (!zsp)
		return NULL;
	ci = atomic_load(&zsp->class_idx);
	if (ci >= pool->nr_classes)
		return NULL;
	c = &pool->classes[ci];
	zs_lock(&c->lock);
	if (atomic_load(&zsp->state) != ZSPAGE_LIVE ||
	    atomic_load(&zsp->class_idx) != ci ||
	    index >= c->pages_per_zspage ||
	    atomic_load_explicit(&zsp->pages[index], memory_order_relaxed) !=
		    page) {
		zs_unlock(&c->lock);
		return NULL;
	}
	*zspp = zsp;
	return c;
}

static int zs_page_isolate(void *owner, void *page, uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp;
	struct size_class *c = lock_owner_class(pool, &zsp, page, id, index);

	if (!c)
		return -EAGAIN;
	zsp->pages_isolated++;
	zs_unlock(&c->lock);
	return 0;
}

/* Objects whose slots overlap page `index` of a zspage. */
static void page_objects(const struct size_class *c, uint32_t index,
			 uint32_t *first, uint32_t *last)
{
	size_t start = (size_t)index * ZS_PAGE_SIZE;

	*first = (uint32_t)(start / c->size);
	*last = (uint32_t)((start + ZS_PAGE_SIZE - 1) / c->size);
	if (*last >= c->objs_per_zspage)
		*last = c->objs_per_zspage - 1u;
}

static int zs_page_migrate(void *owner, void *old_page, void *new_page,
			   uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zs_hslot *marked[ZS_PAGE_SIZE / ZS_MIN_ALLOC_SIZE + 2];
	unsigned nmarked = 0, i;
	struct zspage *zsp;
	struct size_class *c;
	uint32_t first, last, obj;

	c = lock_owner_class(pool, &zsp, old_page, id, index);
	if (!c)
		return -EAGAIN;
	if (zsp->inuse == 0)
		goto busy; /* putback frees it; no point in moving */
	page_objects(c, index, &first, &last);
	if (!c->huge && last >= zsp->fresh)
		last = zsp->fresh - 1; /* fresh > 0: the zspage is in use */
	for (obj = first; obj <= last; obj++) {
		struct zs_hslot *slot;

		if (c->huge) {
			if (zsp->inuse == 0)
				continue;
			/* huge objects have no header: the zspage knows */
			slot = zs_slot_at(pool, zsp->huge_slot);
		} else {
			uint32_t hdr = zs_obj_header(c, zsp, obj);

			if (!(hdr & ZS_OBJ_ALLOCATED))
				continue;
			slot = zs_slot_at(pool, hdr >> 1);
		}
		if (!slot || !zs_try_mark_moving(slot))
			goto busy;
		marked[nmarked++] = slot;
	}
	zs_raw_copy_page(new_page, old_page, ZS_PAGE_SIZE);
	zs_poison(new_page, ZS_PAGE_SIZE);
	for (i = 0; i < nmarked; i++) {
		uint64_t m = atomic_load(&marked[i]->meta);
		uint64_t loc = atomic_load(&marked[i]->loc);
		size_t start = (size_t)(uint32_t)loc * c->size;
		size_t end =
			start + (c->huge ? 0 : ZS_OBJ_HEADER) + zs_meta_size(m);
		size_t pstart = (size_t)index * ZS_PAGE_SIZE;

		if (start < pstart)
			start = pstart;
		if (end > pstart + ZS_PAGE_SIZE)
			end = pstart + ZS_PAGE_SIZE;
		zs_unpoison((char *)new_page + (start - pstart), end - start);
	}
	zs_unpoison(old_page, ZS_PAGE_SIZE);
	atomic_store_explicit(&zsp->pages[index], (char *)new_page,
			      memory_order_release);
	for (i = 0; i < nmarked; i++)
		zs_clear_moving(marked[i]);
	zsp->pages_isolated--;
	atomic_fetch_add(&pool->pages_migrated, 1);
	zs_unlock(&c->lock);
	return 0;
busy:
	for (i = 0; i < nmarked; i++)
		zs_clear_moving(marked[i]);
	zs_unlock(&c->lock);
	return -EAGAIN;
}

static void zs_page_putback(void *owner, void *page, uint32_t id,
			    uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp = zs_zspage_by_id(pool, id);
	struct size_class *c;

	(void)page;
	(void)index;
	if (!zsp)
		return;
	/* isolation kept the zspage alive and in its class */
	c = &pool->classes[atomic_load(&zsp->class_idx)];
	zs_lock(&c->lock);
	zsp->pages_isolated--;
	if (zsp->inuse == 0 && !zsp->isolated && !zsp->pages_isolated)
		zs_zspage_destroy(pool, c, zsp);
	zs_unlock(&c->lock);
}

const struct zs_movable_ops zs_movable_ops = {
	.isolate = zs_page_isolate,
	.migrate = zs_page_migrate,
	.putback = zs_page_putback,
};
