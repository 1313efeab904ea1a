// SPDX-License-Identifier: MIT
/*
 * compact.c - moving objects and pages to give memory back.
 *
 * Compaction, the kernel's 2015 policy over shared zspages: per shard, the
 * emptiest zspage (by the units its objects hold) is the source.  Its gaps
 * leave the free-space index, so nothing lands in it, and its objects move
 * one at a time into gaps of the other zspages, each found by the index in
 * constant time; an emptied source returns its pages.  Pinned objects stay
 * where they are, and their source stays isolated until the pass ends, so
 * the pass never picks it twice.
 *
 * Each shard compacts under its own lock, released after every object
 * move, so allocation and free wait at most one object copy and other
 * shards never wait.  Readers take no lock at all; they only wait when the
 * very object they pin is being copied.  Several threads may compact at
 * once: a shard is compacted by one of them at a time (the others skip
 * it), and the pages freed are added atomically, so pages_compacted is
 * exact.
 *
 * Run migration (the 2015 generic compaction callbacks, per run): the
 * arena moves a zspage's run of pages as a unit through the movable
 * operations at the bottom of this file.  Objects are addressed by
 * (zspage, unit), so a move only swings the zspage's base: handles need no
 * rewrite.  Any pinned object in the zspage refuses the move, and a reader
 * waits at most one zspage copy (16 pages) for an object that is moving.
 */
#include <errno.h>
#include <string.h>

#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

enum move_result { MOVED, PINNED, NO_ROOM };

/* A walk of a zspage (compaction's, a run migration's, the release of
 * its recycled blocks) met a block it cannot step over: moving or freeing
 * bytes on from there would spread the damage. */
_Noreturn void zs_bad_block(const struct zs_shard *sh, const struct zspage *zsp,
			    unsigned unit)
{
	uint32_t tag = zs_span_tag(&sh->span, zs_span_ref(zsp->id, unit));

	ZS_REPORT(ZS_FINDING_ABORT_COMPACT_BACK_POINTER, unit, zsp->id,
		  tag >> 2, tag);
	zs_corruption_abort();
}

/* Moves the object of slot idx at ref of the isolated src into a gap of
 * another zspage. */
static enum move_result move_object(struct zs_pool *pool, struct zs_shard *sh,
				    struct zspage *src, uint32_t ref,
				    uint32_t idx)
{
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	struct zspage *dst;
	uint32_t dref;
	size_t size;

	if (!zs_try_mark_moving(slot))
		return PINNED;
	size = zs_slot_size(
		atomic_load_explicit(&slot->word, memory_order_acquire));
	dref = zs_obj_place_in_gap(pool, sh, idx, size, false);
	if (dref == ZS_GAP_NONE) {
		zs_clear_moving(slot);
		return NO_ROOM;
	}
	dst = zs_zspage_by_id(pool, zs_span_ref_zspage(dref));
	memcpy(zs_obj_bytes(dst, dref), zs_obj_bytes(src, ref), size);
	zs_finish_move(slot, dref);
	zs_obj_remove(pool, sh, src, ref, size);
	atomic_fetch_add_explicit(&pool->objs_moved, 1, memory_order_relaxed);
	return MOVED;
}

/* Takes a zspage out of the fullness lists and its gaps out of the index,
 * for the compactor's use: allocation no longer lands in it and free no
 * longer destroys it. */
static void isolate_zspage(struct zs_pool *pool, struct zs_shard *sh,
			   struct zspage *zsp)
{
	unsigned unit;

	zs_fullness_remove(pool, sh, zsp);
	unit = zs_span_isolate(&sh->span, zsp->id);
	if (unit < pool->zspage_units)
		zs_bad_block(sh, zsp, unit);
	zsp->isolated = true;
	zs_zsp_list_push(&sh->isolated_list, zsp);
}

/* Returns an isolated zspage to its lists and the index, or frees it when
 * empty; returns the pages freed. */
static unsigned long release_zspage(struct zs_pool *pool, struct zs_shard *sh,
				    struct zspage *zsp)
{
	unsigned unit;

	zs_zsp_list_del(pool, &sh->isolated_list, zsp);
	if (zsp->inuse == 0 && !zsp->run_isolated) {
		unsigned long pages = zsp->pages;

		zs_zspage_destroy(pool, sh, zsp); /* isolated: in no list */
		return pages;
	}
	zsp->isolated = false;
	unit = zs_span_putback(&sh->span, zsp->id);
	if (unit < pool->zspage_units)
		zs_bad_block(sh, zsp, unit);
	zs_fullness_insert(pool, sh, zsp);
	return 0;
}

/* release_zspage, then, for a zspage put back, the whole pages at its end
 * that its last gap covers given back (zs_zspage_trim): the pages freed. */
static unsigned long release_trim(struct zs_pool *pool, struct zs_shard *sh,
				  struct zspage *zsp)
{
	unsigned long freed = release_zspage(pool, sh, zsp);

	return freed ? freed : zs_zspage_trim(pool, sh, zsp);
}

/* Lets a reader or an allocation of the shard in between two moves; false
 * when a free in zsp (isolated, so only frees touch it) came meanwhile:
 * it may have merged the block the caller's walk was to visit next. */
static bool yield_lock(struct zs_shard *sh, const struct zspage *zsp)
{
	uint32_t inuse = zsp->inuse;

	zs_unlock(&sh->lock);
	zs_lock(&sh->lock);
	return zsp->inuse == inuse;
}

/* Moves every movable object out of the isolated src; false when the
 * other zspages had no gap for one, whose units go in *need (the smaller
 * ones after it still move: they fill gaps that nothing else would). */
static bool empty_source(struct zs_pool *pool, struct zs_shard *sh,
			 struct zspage *src, unsigned *need)
{
	unsigned unit = 0;
	bool room = true;

	while (unit < pool->zspage_units && src->inuse) {
		struct zs_span_block b, next;
		unsigned after;

		zs_span_block_at(&sh->span, src->id, unit, &b);
		if (!b.units)
			zs_bad_block(sh, src, unit);
		if (b.gap) {
			unit += b.units;
			continue;
		}
		/* The move turns the object into a gap merged with its
		 * neighbours; the object after the gap that follows it
		 * keeps its place, and is where the walk goes on. */
		after = unit + b.units;
		if (after < pool->zspage_units) {
			zs_span_block_at(&sh->span, src->id, after, &next);
			if (next.gap)
				after += next.units;
		}
		switch (move_object(pool, sh, src, zs_span_ref(src->id, unit),
				    b.slot)) {
		case NO_ROOM:
			if (room)
				*need = b.units;
			room = false;
			unit += b.units;
			continue;
		case PINNED:
			unit += b.units;
			continue;
		case MOVED:
			break;
		}
		unit = after;
		/* src is isolated: nobody else can pick it or place in it;
		 * after a free in it, start over, skipping what moved */
		if (!yield_lock(sh, src))
			unit = 0;
	}
	return room;
}

/* Slides the objects of the isolated zsp toward its start, one at a
 * time, so that its free units run together into a gap at its end; a
 * pinned object stays, and the gap before it with it.  Returns the units
 * of the longest gap left. */
static unsigned slide_zspage(struct zs_pool *pool, struct zs_shard *sh,
			     struct zspage *zsp)
{
	unsigned unit = 0, longest = 0;

	while (unit < pool->zspage_units) {
		struct zs_span_block b, obj;
		struct zs_hslot *slot;
		size_t size;
		char *p;

		zs_span_block_at(&sh->span, zsp->id, unit, &b);
		if (!b.units)
			zs_bad_block(sh, zsp, unit);
		if (!b.gap) {
			unit += b.units;
			continue;
		}
		if (b.units > longest)
			longest = b.units;
		if (unit + b.units == pool->zspage_units)
			break;
		/* the block after a gap is an object */
		zs_span_block_at(&sh->span, zsp->id, unit + b.units, &obj);
		if (!obj.units || obj.gap)
			zs_bad_block(sh, zsp, unit + b.units);
		slot = zs_slot_at(pool, obj.slot);
		if (!zs_try_mark_moving(slot)) {
			unit += b.units + obj.units;
			continue;
		}
		size = zs_slot_size(atomic_load_explicit(&slot->word,
							 memory_order_relaxed));
		b.units = zs_span_slide(&sh->span, zsp->id, unit, obj.units);
		p = zs_obj_bytes(zsp, zs_span_ref(zsp->id, unit));
		zs_poison(p + size, (size_t)obj.units * ZS_GAP_UNIT -
					    ZS_SPAN_TAG_BYTES - size);
		zs_finish_move(slot, zs_span_ref(zsp->id, unit));
		atomic_fetch_add_explicit(&pool->objs_moved, 1,
					  memory_order_relaxed);
		unit += obj.units; /* the gap, now past the object */
		if (b.units > longest)
			longest = b.units;
		if (!yield_lock(sh, zsp))
			unit = longest = 0;
	}
	return longest;
}

/* Called when no gap fits an object of need units that compaction would
 * move, though the shard's free units add up to a zspage: they are spread
 * over gaps too short for it.  Slides together the zspage with the most
 * free units (other than the next source), whose objects are the fewest
 * to move for the most room.  True when that left a gap of need units. */
static bool make_room(struct zs_pool *pool, struct zs_shard *sh, unsigned need,
		      unsigned long *freed)
{
	struct zspage *next_src = zs_find_emptiest(sh), *zsp = NULL;
	unsigned g, longest;

	for (g = ZS_FULLNESS_EMPTY + 1; g < ZS_FULLNESS_FULL && !zsp; g++)
		for (zsp = sh->groups[g]; zsp; zsp = zs_zsp_next(pool, zsp))
			if (zsp != next_src &&
			    pool->zspage_units - zsp->used_units >= need)
				break;
	if (!zsp)
		return false;
	isolate_zspage(pool, sh, zsp);
	longest = slide_zspage(pool, sh, zsp);
	/* frees met while sliding may have emptied it */
	*freed += release_zspage(pool, sh, zsp);
	return longest >= need;
}

/* Empties the emptiest zspages of one shard into the others, until `goal`
 * pages are freed (pages go in whole zspages, so a shrinker asking for nr
 * pages may get up to a zspage more).  When the free units are there but
 * in gaps too short for the next object, one zspage is slid together to
 * make room, at most once per zspage the shard held when the pass began,
 * so the pass ends. */
static unsigned long compact_shard(struct zs_pool *pool, struct zs_shard *sh,
				   unsigned long goal)
{
	unsigned long freed = 0, slides, kept;
	struct zspage *src;
	bool expected = false;

	if (!atomic_compare_exchange_strong(&sh->compacting, &expected, true))
		return 0;
	zs_lock(&sh->lock);
	/* moves are of live objects: the recycled blocks become gaps, and
	 * no free recycles while compacting is set.  In batches, the lock
	 * let go between them, as between the moves below. */
	while (zs_recycle_flush(pool, sh, &freed)) {
		zs_unlock(&sh->lock);
		zs_lock(&sh->lock);
	}
	/* and the kept huge pages, as many a hold */
	for (kept = 0; zs_huge_release_kept(pool, sh); freed++)
		if (++kept % ZS_RECYCLE_FLUSH_BATCH == 0) {
			zs_unlock(&sh->lock);
			zs_lock(&sh->lock);
		}
	slides = atomic_load_explicit(&sh->zspages, memory_order_relaxed);
	while (freed < goal && zs_shard_free_zspages(pool, sh) &&
	       (src = zs_find_emptiest(sh))) {
		unsigned need = 0;
		bool room;

		isolate_zspage(pool, sh, src);
		room = empty_source(pool, sh, src, &need);
		if (src->inuse == 0 || !room)
			freed += release_zspage(pool, sh, src);
		if (room)
			continue;
		/* no gap fits src's next object */
		if (!slides || !zs_shard_free_zspages(pool, sh))
			break;
		slides--;
		if (!make_room(pool, sh, need, &freed))
			break;
	}
	while (sh->isolated_list)
		freed += release_zspage(pool, sh, sh->isolated_list);
	/* Less than a zspage's worth of free units is left, spread over the
	 * zspages, most of it in the emptiest: its objects packed at its
	 * start leave whole free pages at its end to give back.  Only now:
	 * a page given back is no longer room the pass's moves can use (a
	 * move never reaches a new page). */
	if (freed < goal && (src = zs_find_emptiest(sh))) {
		isolate_zspage(pool, sh, src);
		slide_zspage(pool, sh, src);
		freed += release_trim(pool, sh, src);
	}
	zs_unlock(&sh->lock);
	atomic_store(&sh->compacting, false);
	return freed;
}

static unsigned long compact_some(struct zs_pool *pool, unsigned long goal)
{
	unsigned long freed = 0;
	unsigned i;

	for (i = 0; i < ZS_NR_SHARDS && freed < goal; i++)
		if (zs_shard_free_zspages(pool, &pool->shards[i]) ||
		    atomic_load_explicit(&pool->shards[i].huge_kept,
					 memory_order_relaxed))
			freed += compact_shard(pool, &pool->shards[i],
					       goal - freed);
	atomic_fetch_add(&pool->pages_compacted, freed);
	atomic_fetch_add(&pool->compactions, 1);
	/* Compaction is asked for to give memory back: the zspages it freed
	 * go to the OS now, not after the arena's retention period. */
	if (freed)
		zs_arena_release_retained(pool->arena);
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
	/* and the kept huge pages (zs/huge.c), which go back whole */
	for (i = 0; i < ZS_NR_SHARDS; i++)
		n += zs_shard_freeable(pool, &pool->shards[i]) +
		     atomic_load_explicit(&pool->shards[i].huge_kept,
					  memory_order_relaxed);
	return n;
}

unsigned long zs_shrinker_scan(struct zs_pool *pool, unsigned long nr)
{
	if (!pool || nr == 0)
		return 0;
	return compact_some(pool, nr);
}

/* ---- run migration: the pool's movable-page operations ---- */

/* Locks and returns the shard of zspage `id` when `run` is still its run,
 * or NULL when the run has changed hands since the arena looked. */
static struct zs_shard *lock_owner_shard(struct zs_pool *pool,
					 struct zspage **zspp, void *run,
					 uint32_t id, uint32_t index)
{
	struct zspage *zsp = zs_zspage_by_id(pool, id);
	struct zs_shard *sh;
	uint32_t si;

	if (!zsp || index != 0)
		return NULL;
	si = atomic_load(&zsp->shard);
	if (si >= ZS_NR_SHARDS)
		return NULL;
	sh = &pool->shards[si];
	zs_lock(&sh->lock);
	if (atomic_load(&zsp->state) != ZSPAGE_LIVE ||
	    atomic_load(&zsp->shard) != si ||
	    atomic_load_explicit(&zsp->base, memory_order_relaxed) != run) {
		zs_unlock(&sh->lock);
		return NULL;
	}
	*zspp = zsp;
	return sh;
}

static int zs_run_isolate(void *owner, void *run, uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp;
	struct zs_shard *sh;

	if (id & ZS_HUGE_COOKIE_BIT)
		return index ? -EAGAIN :
			       zs_huge_isolate(pool, run,
					       id & ~ZS_HUGE_COOKIE_BIT);
	sh = lock_owner_shard(pool, &zsp, run, id, index);
	if (!sh)
		return -EAGAIN;
	/* the migration marks live objects only; no free recycles into
	 * the zspage while it is isolated, and its blocks are released (it
	 * keeps a live object: it does not empty).  A zspage that holds
	 * only blocks stays where it is: a run migration gives no page
	 * back, and it is the bins' to release. */
	if (zsp->recycled) {
		if (zsp->recycled == zsp->inuse) {
			zs_unlock(&sh->lock);
			return -EAGAIN;
		}
		zs_recycle_release_zspage(pool, sh, zsp);
	}
	zsp->run_isolated++;
	zs_unlock(&sh->lock);
	return 0;
}

/* The objects of a zspage, for run migration: what to do with each. */
enum run_step { MARK, UNMARK, REPOISON };

/* Applies step to the objects of zsp (and, for REPOISON, its gaps) from
 * its start up to unit end; for MARK, stops at the first object that is
 * pinned and returns its unit (everything before it marked), else end. */
static unsigned run_walk(struct zs_pool *pool, struct zs_shard *sh,
			 struct zspage *zsp, unsigned end, enum run_step step)
{
	unsigned unit;
	struct zs_span_block b;

	for (unit = 0; unit < end; unit += b.units) {
		struct zs_hslot *slot;
		char *p;
		size_t size;

		zs_span_block_at(&sh->span, zsp->id, unit, &b);
		if (!b.units)
			zs_bad_block(sh, zsp, unit);
		if (b.gap) {
			if (step == REPOISON)
				zs_span_poison_gap(&sh->span, zsp->id, unit,
						   b.units);
			continue;
		}
		slot = zs_slot_at(pool, b.slot);
		if (step == MARK && !zs_try_mark_moving(slot))
			return unit;
		if (step == UNMARK)
			zs_clear_moving(slot);
		if (step != REPOISON)
			continue;
		p = zs_obj_bytes(zsp, zs_span_ref(zsp->id, unit));
		size = zs_slot_size(atomic_load(&slot->word));
		zs_unpoison(p - ZS_SPAN_TAG_BYTES, ZS_SPAN_TAG_BYTES + size);
		zs_poison(p + size, (size_t)b.units * ZS_GAP_UNIT -
					    ZS_SPAN_TAG_BYTES - size);
	}
	return end;
}

static int zs_run_migrate(void *owner, void *old_run, void *new_run,
			  uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp;
	struct zs_shard *sh;
	unsigned units, marked;
	size_t len;

	if (id & ZS_HUGE_COOKIE_BIT)
		return index ? -EAGAIN :
			       zs_huge_migrate(pool, old_run, new_run,
					       id & ~ZS_HUGE_COOKIE_BIT);
	sh = lock_owner_shard(pool, &zsp, old_run, id, index);
	if (!sh)
		return -EAGAIN;
	if (zsp->inuse == 0)
		goto busy; /* putback frees it; no point in moving */
	/* Every object is marked before a byte moves, so a reader either
	 * pinned first (and the move is refused, nothing changed) or waits
	 * for the new base. */
	units = pool->zspage_units;
	marked = run_walk(pool, sh, zsp, units, MARK);
	if (marked != units) {
		run_walk(pool, sh, zsp, marked, UNMARK);
		goto busy;
	}
	len = (size_t)pool->chain_size * ZS_PAGE_SIZE;
	/* only the pages in use: the others were never written, and copying
	 * them would make the new run's resident */
	zs_raw_copy_page(new_run, old_run, (size_t)zsp->pages * ZS_PAGE_SIZE);
	atomic_store_explicit(&zsp->base, (char *)new_run,
			      memory_order_release);
	/* the new run's poisoning is the old one's: only tags, gap heads
	 * and objects are addressable, objects only up to their size.  The
	 * walk sets every block of the zspage, and reads their tags. */
	zs_unpoison(new_run, len);
	run_walk(pool, sh, zsp, units, REPOISON);
	zs_unpoison(old_run, len);
	run_walk(pool, sh, zsp, units, UNMARK);
	zsp->run_isolated--;
	atomic_fetch_add(&pool->pages_migrated, pool->chain_size);
	zs_unlock(&sh->lock);
	return 0;
busy:
	zs_unlock(&sh->lock);
	return -EAGAIN;
}

static void zs_run_putback(void *owner, void *run, uint32_t id, uint32_t index)
{
	struct zs_pool *pool = owner;
	struct zspage *zsp;
	struct zs_shard *sh;

	(void)run;
	(void)index;
	if (id & ZS_HUGE_COOKIE_BIT)
		return; /* a huge page's isolate changed nothing (zs/huge.c) */
	zsp = zs_zspage_by_id(pool, id);
	if (!zsp)
		return;
	/* isolation kept the zspage alive and in its shard */
	sh = &pool->shards[atomic_load(&zsp->shard)];
	zs_lock(&sh->lock);
	zsp->run_isolated--;
	if (zsp->inuse == 0 && !zsp->isolated && !zsp->run_isolated)
		zs_zspage_destroy(pool, sh, zsp);
	zs_unlock(&sh->lock);
}

const struct zs_movable_ops zs_movable_ops = {
	.isolate = zs_run_isolate,
	.migrate = zs_run_migrate,
	.putback = zs_run_putback,
};
