/*
 * check.c - zs_pool_check: the full consistency walk.
 *
 * Tests and fuzzers call it after operations; it must agree with every
 * counter and every structure, so it recomputes each from the ground truth
 * (page contents and handle slots) and compares.  It takes every class
 * lock, in ascending order (the only code holding two), so it can run
 * while other threads work and still see a consistent pool.  The first
 * disagreement is reported with an exact message and -EUCLEAN returned.
 */
#include <errno.h>
#include <stdlib.h>

#include "zs/zs_internal.h"

#define FAIL(...)                                             \
	do {                                                  \
		zs_report("zs_pool_check(%s): " __VA_ARGS__); \
		err = -EUCLEAN;                               \
		goto out;                                     \
	} while (0)

static int check_zspage(struct zs_pool *pool, struct size_class *c,
			struct zspage *zsp, unsigned g, unsigned long *live,
			uint64_t *bytes)
{
	uint32_t obj, inuse = 0, nfree = 0, f;
	int err = 0;

	if (atomic_load(&zsp->state) != ZSPAGE_LIVE)
		FAIL("zspage %u in class %u lists is not live", pool->name,
		     zsp->id, c->size);
	if (atomic_load(&zsp->class_idx) != c->index)
		FAIL("zspage %u in class %u lists says class index %u",
		     pool->name, zsp->id, c->size,
		     atomic_load(&zsp->class_idx));
	if (g < ZS_NR_FULLNESS &&
	    (zsp->fullness != g || zs_fullness_of(c, zsp->inuse) != g))
		FAIL("zspage %u (class %u, %u in use) is in fullness group %u",
		     pool->name, zsp->id, c->size, zsp->inuse, g);
	if (zsp->inuse == 0 && !zsp->pages_isolated && !zsp->isolated)
		FAIL("zspage %u (class %u) is empty but was not freed",
		     pool->name, zsp->id, c->size);
	if (!c->huge && zsp->fresh > c->objs_per_zspage)
		FAIL("zspage %u (class %u) has fresh mark %u beyond its %u "
		     "objects",
		     pool->name, zsp->id, c->size, zsp->fresh,
		     c->objs_per_zspage);
	for (obj = 0; obj < (c->huge ? 1u : zsp->fresh); obj++) {
		uint32_t idx;
		struct zs_hslot *slot;
		uint64_t m, want = ((uint64_t)zsp->id << 32) | obj;

		if (c->huge) {
			if (zsp->free_head == 0)
				continue;
			idx = zsp->huge_slot;
		} else {
			uint32_t hdr = zs_obj_header(c, zsp, obj);

			if (!(hdr & ZS_OBJ_ALLOCATED))
				continue;
			idx = hdr >> 1;
		}
		slot = zs_slot_at(pool, idx);
		if (!slot)
			FAIL("object %u of zspage %u (class %u) names handle "
			     "slot %u beyond the table",
			     pool->name, obj, zsp->id, c->size, idx);
		m = atomic_load(&slot->meta);
		if (!(m & ZS_META_LIVE))
			FAIL("object %u of zspage %u (class %u) names free "
			     "handle slot %u",
			     pool->name, obj, zsp->id, c->size, idx);
		if (atomic_load(&slot->loc) != want)
			FAIL("handle slot %u does not point back at object %u "
			     "of zspage %u",
			     pool->name, idx, obj, zsp->id);
		if (zs_class_for_size(pool, zs_meta_size(m)) != c)
			FAIL("handle slot %u (size %zu) lives in class %u",
			     pool->name, idx, zs_meta_size(m), c->size);
		if (m & ZS_META_MOVING)
			FAIL("handle slot %u is marked moving at rest",
			     pool->name, idx);
		inuse++;
		*bytes += zs_meta_size(m);
	}
	for (f = zsp->free_head; f != ZS_NO_OBJ && !c->huge;) {
		uint32_t hdr;

		if (f >= zsp->fresh || ++nfree > c->objs_per_zspage)
			FAIL("free list of zspage %u (class %u) is broken at "
			     "%u",
			     pool->name, zsp->id, c->size, f);
		hdr = zs_obj_header(c, zsp, f);
		if (hdr & ZS_OBJ_ALLOCATED)
			FAIL("free list of zspage %u (class %u) holds allocated "
			     "object %u",
			     pool->name, zsp->id, c->size, f);
		f = hdr >> 1;
	}
	if (c->huge)
		nfree = zsp->free_head == 0 ? 1 : 0;
	else
		nfree += c->objs_per_zspage - zsp->fresh;
	if (inuse != zsp->inuse || inuse + nfree != c->objs_per_zspage)
		FAIL("zspage %u (class %u) counts %u in use, holds %u live and "
		     "%u free of %u",
		     pool->name, zsp->id, c->size, zsp->inuse, inuse, nfree,
		     c->objs_per_zspage);
	*live += inuse;
out:
	return err;
}

int zs_pool_check(struct zs_pool *pool)
{
	unsigned long live_total = 0, zspages = 0, pages = 0, slots_live = 0;
	unsigned i, g;
	uint32_t idx, nslots;
	int err = 0;

	if (!pool)
		return -EINVAL;
	for (i = 0; i < pool->nr_classes; i++)
		zs_lock(&pool->classes[i].lock);
	for (i = 0; i < pool->nr_classes; i++) {
		struct size_class *c = &pool->classes[i];
		unsigned long live = 0, nzsp = 0;
		uint64_t bytes = 0;

		for (g = 0; g < ZS_NR_FULLNESS; g++) {
			struct zspage *zsp, *prev = NULL;
			unsigned long n = 0;

			for (zsp = c->groups[g]; zsp;
			     prev = zsp, zsp = zsp->next) {
				if (zsp->prev != prev)
					FAIL("fullness list %u of class %u has "
					     "a broken back link at zspage %u",
					     pool->name, g, c->size, zsp->id);
				err = check_zspage(pool, c, zsp, g, &live,
						   &bytes);
				if (err)
					goto out;
				/* Bounds the walk.  A real cycle fails the
				 * back-link test first (some node is reached
				 * from two predecessors), so this trips only
				 * when the pool's count is too low. */
				if (++n > atomic_load(&pool->zspages))
					FAIL("fullness list %u of class %u holds "
					     "more than the pool's %lu zspages",
					     pool->name, g, c->size,
					     atomic_load(&pool->zspages));
			}
			if (n != c->group_count[g])
				FAIL("class %u group %u holds %lu zspages, "
				     "counted %lu",
				     pool->name, c->size, g, n,
				     c->group_count[g]);
			nzsp += n;
		}
		{
			struct zspage *zsp, *prev = NULL;

			for (zsp = c->isolated_list; zsp;
			     prev = zsp, zsp = zsp->next) {
				if (zsp->prev != prev || !zsp->isolated)
					FAIL("isolated list of class %u is "
					     "broken at zspage %u",
					     pool->name, c->size, zsp->id);
				err = check_zspage(pool, c, zsp, ZS_NR_FULLNESS,
						   &live, &bytes);
				if (err)
					goto out;
				nzsp++;
			}
		}
		if (live != atomic_load(&c->objs_used))
			FAIL("class %u holds %lu live objects, counted %lu",
			     pool->name, c->size, live,
			     atomic_load(&c->objs_used));
		if (nzsp * c->objs_per_zspage !=
		    atomic_load(&c->objs_allocated))
			FAIL("class %u has %lu zspages of %u objects, counted "
			     "%lu allocated",
			     pool->name, c->size, nzsp, c->objs_per_zspage,
			     atomic_load(&c->objs_allocated));
		if (bytes != c->bytes_stored)
			FAIL("class %u holds %llu bytes, counted %llu",
			     pool->name, c->size, (unsigned long long)bytes,
			     (unsigned long long)c->bytes_stored);
		live_total += live;
		zspages += nzsp;
		pages += nzsp * c->pages_per_zspage;
	}
	nslots = atomic_load(&pool->ht_next);
	for (idx = 0; idx < nslots; idx++) {
		struct zs_hslot *slot = zs_slot_at(pool, idx);
		uint64_t m = atomic_load(&slot->meta);

		if (m & ZS_META_LIVE)
			slots_live++;
	}
	if (slots_live != live_total)
		FAIL("%lu handle slots are live but %lu objects are stored",
		     pool->name, slots_live, live_total);
	if (zspages != atomic_load(&pool->zspages))
		FAIL("%lu zspages in the lists, counted %lu", pool->name,
		     zspages, atomic_load(&pool->zspages));
	if (pages != atomic_load(&pool->pages))
		FAIL("%lu pages in zspages, counted %lu", pool->name, pages,
		     atomic_load(&pool->pages));
out:
	for (i = pool->nr_classes; i-- > 0;)
		zs_unlock(&pool->classes[i].lock);
	return err;
}
