// SPDX-License-Identifier: MIT
/*
 * huge.c - objects too large to share a zspage: a page each, and nothing
 * else.
 *
 * An object of ZS_HUGE_SIZE bytes or more (an incompressible page, about
 * one stored page in twenty on real data) fills a page by itself, so the
 * page needs none of a zspage's bookkeeping: no tag, no free space, no
 * fullness.  It needs no descriptor either.  Its handle slot's place
 * names the page by its arena page number and the object's shard
 * (zs_huge_loc), and the page's arena record names the slot back (cookie
 * zs_huge_cookie(slot)); the slot's size tells the two kinds of place
 * apart.  A 32-byte descriptor per incompressible page was most of the
 * metadata a pool of real compressed pages kept beyond its handle table.
 *
 * Run migration needs no state of its own either.  Isolate only checks
 * that the page is still the object's (so putback has nothing to undo);
 * migrate marks the object moving
 * (refused while it is mapped), copies the page and gives the slot the
 * new number, all under the shard's lock, as a shared zspage's move does.
 * A free while the arena holds the page isolated is deferred by the arena
 * (zs_arena_free_run_of): the pool lets the page go at once, the migrate
 * that follows finds the object gone and refuses, and the arena frees the
 * page when the move ends.
 *
 * A freed huge object's page may be kept for the next huge object of its
 * shard, with its slot (zs_slot_word_huge_kept: the place kept, the state
 * free, the generation bumped, so the freed handle is refused at once):
 * the page and its arena record, which names the slot, stay as they
 * were, and the next huge allocation is one slot word, where the arena
 * would take its lock, find a run and write its record twice.  On the
 * `/usr` trace, whose incompressible pages are 6% of the objects, that
 * was a quarter of an alloc + free pair's time.  The kept pages are a
 * stack linked through their first 4 bytes (the slot + 1 of the next),
 * capped as the recycle bins are (zs_huge_wants): the pool's share of
 * the shard's huge pages (3/16 by default) and ZS_HUGE_KEEP_MAX,
 * nothing past a burst of frees or while compacting; a huge object freed
 * for good shrinks the share and the last leaves none kept; compaction
 * gives them all back.  A run migration does not move a kept page (its
 * slot holds no live object).
 */
#include <errno.h>
#include <string.h>

#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

char *zs_huge_bytes(const struct zs_pool *pool, uint32_t loc)
{
	return zs_arena_page_at(pool->arena, zs_huge_loc_page(loc));
}

int zs_huge_place(struct zs_pool *pool, struct zs_shard *sh, uint32_t slot_idx,
		  size_t size, uint32_t *loc)
{
	uint32_t number;
	char *page = NULL;

	if (zs_pool_reserve(pool, 1))
		return -ENOMEM;
	if (!zs_inject_fail(pool))
		page = zs_arena_alloc_numbered_page(pool->arena, pool->owner_id,
						    zs_huge_cookie(slot_idx), 1,
						    &number);
	if (!page) {
		atomic_fetch_sub(&pool->pages, 1);
		return -ENOMEM;
	}
	zs_poison(page, ZS_PAGE_SIZE);
	zs_unpoison(page, size);
	atomic_fetch_add(&pool->zspages, 1);
	zs_shard_count_add(&sh->huge_count, 1);
	*loc = zs_huge_loc(number, sh->index);
	return 0;
}

/* A free found that the page a huge object's place names is not the one
 * the arena gives this pool for the object's slot. */
static _Noreturn void bad_huge_page(uint32_t loc, const char *page,
				    uint32_t slot_idx)
{
	ZS_REPORT(ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE, zs_huge_loc_page(loc),
		  (void *)page, slot_idx);
	zs_corruption_abort();
}

void zs_huge_check_page(struct zs_pool *pool, uint32_t slot_idx, uint32_t loc)
{
	char *page = zs_huge_bytes(pool, loc);
	struct zs_arena_page_info info;

	if (!page || zs_arena_page_info(pool->arena, page, &info) != 0 ||
	    info.owner_id != pool->owner_id ||
	    info.cookie != zs_huge_cookie(slot_idx) || info.index != 0 ||
	    info.run_pages != 1 || info.run != page)
		bad_huge_page(loc, page, slot_idx);
}

void zs_huge_remove(struct zs_pool *pool, struct zs_shard *sh,
		    uint32_t slot_idx, uint32_t loc)
{
	char *page = zs_huge_bytes(pool, loc);

	/* the arena frees the page only if its record names this slot: a
	 * damaged place must not free another object's page */
	if (!page || zs_arena_free_run_of(pool->arena, page, pool->owner_id,
					  zs_huge_cookie(slot_idx)) != 0)
		bad_huge_page(loc, page, slot_idx);
	zs_unpoison(page, ZS_PAGE_SIZE);
	zs_shard_count_add(&sh->huge_count, -1);
	atomic_fetch_sub(&pool->zspages, 1);
	atomic_fetch_sub(&pool->pages, 1);
}

/* The first 4 bytes of a kept page: the slot + 1 of the next. */
#define LINK_BYTES sizeof(uint32_t)

void zs_huge_keep(struct zs_pool *pool, struct zs_shard *sh, uint32_t slot_idx,
		  uint32_t loc)
{
	char *page = zs_huge_bytes(pool, loc);

	zs_poison(page, ZS_PAGE_SIZE);
	zs_unpoison(page, LINK_BYTES);
	memcpy(page, &sh->huge_bin, LINK_BYTES);
	sh->huge_bin = slot_idx + 1;
	zs_shard_count_add(&sh->huge_kept, 1);
}

/* Takes the newest kept page off the stack, checked: its slot and place.
 * A slot that is not a kept page of this shard's is a damaged link (a
 * write through a stale pointer into the page above it): reported, then
 * abort, rather than hand out a page that may be another object's. */
static uint32_t pop_kept(struct zs_pool *pool, struct zs_shard *sh,
			 uint32_t *loc, char **pagep)
{
	uint32_t idx = sh->huge_bin - 1;
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	uint64_t w =
		slot ? atomic_load_explicit(&slot->word, memory_order_relaxed) :
		       0;
	char *page;

	if (!zs_slot_huge_kept(w) ||
	    zs_huge_loc_shard(zs_slot_loc(w)) != sh->index ||
	    !(page = zs_huge_bytes(pool, zs_slot_loc(w)))) {
		ZS_REPORT(ZS_FINDING_ABORT_POOL_HUGE_KEPT_LINK, sh->index, idx);
		zs_corruption_abort();
	}
	memcpy(&sh->huge_bin, page, LINK_BYTES);
	zs_shard_count_add(&sh->huge_kept, -1);
	*loc = zs_slot_loc(w);
	*pagep = page;
	return idx;
}

bool zs_huge_reuse(struct zs_pool *pool, struct zs_shard *sh, size_t size,
		   uint32_t *slot_idx, uint32_t *loc)
{
	char *page;

	if (!sh->huge_bin)
		return false;
	*slot_idx = pop_kept(pool, sh, loc, &page);
	zs_poison(page, ZS_PAGE_SIZE);
	zs_unpoison(page, size);
	return true;
}

bool zs_huge_release_kept(struct zs_pool *pool, struct zs_shard *sh)
{
	uint32_t idx, loc;
	char *page;

	if (!sh->huge_bin)
		return false;
	idx = pop_kept(pool, sh, &loc, &page);
	zs_huge_remove(pool, sh, idx, loc);
	zs_slot_give_back(pool, sh, idx);
	return true;
}

void zs_huge_trim(struct zs_pool *pool, struct zs_shard *sh)
{
	while (sh->huge_bin &&
	       zs_huge_over_share(pool,
				  atomic_load_explicit(&sh->huge_kept,
						       memory_order_relaxed),
				  atomic_load_explicit(&sh->huge_count,
						       memory_order_relaxed)))
		zs_huge_release_kept(pool, sh);
}

void zs_huge_destroy_all(struct zs_pool *pool)
{
	uint32_t idx, n = atomic_load(&pool->ht_next);

	for (idx = 0; idx < n; idx++) {
		uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);
		char *page;

		/* kept pages too: their records name their slots */
		if (!(zs_slot_live(w) && zs_slot_huge(w)) &&
		    !zs_slot_huge_kept(w))
			continue;
		page = zs_huge_bytes(pool, zs_slot_loc(w));
		if (!page)
			continue;
		/* a damaged place frees nothing: leaked, not corrupted */
		zs_unpoison(page, ZS_PAGE_SIZE);
		(void)zs_arena_free_run_of(pool->arena, page, pool->owner_id,
					   zs_huge_cookie(idx));
	}
}

/* ---- run migration of a huge object's page ---- */

/* Locks and returns the shard of the huge object of slot idx when it lies
 * on page, with *w its slot word; NULL when it does not (freed, moved or
 * its slot reused since the arena looked). */
static struct zs_shard *lock_huge(struct zs_pool *pool, uint32_t idx,
				  const void *page, uint64_t *w)
{
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	struct zs_shard *sh;

	if (!slot)
		return NULL;
	*w = atomic_load_explicit(&slot->word, memory_order_acquire);
	if (!zs_slot_live(*w) || !zs_slot_huge(*w))
		return NULL;
	sh = &pool->shards[zs_huge_loc_shard(zs_slot_loc(*w))];
	zs_lock(&sh->lock);
	*w = atomic_load_explicit(&slot->word, memory_order_acquire);
	if (!zs_slot_live(*w) || !zs_slot_huge(*w) ||
	    zs_huge_loc_shard(zs_slot_loc(*w)) != sh->index ||
	    zs_huge_bytes(pool, zs_slot_loc(*w)) != page) {
		zs_unlock(&sh->lock);
		return NULL;
	}
	return sh;
}

int zs_huge_isolate(struct zs_pool *pool, void *page, uint32_t idx)
{
	uint64_t w;
	struct zs_shard *sh = lock_huge(pool, idx, page, &w);

	if (!sh)
		return -EAGAIN;
	zs_unlock(&sh->lock);
	return 0;
}

int zs_huge_migrate(struct zs_pool *pool, void *old_page, void *new_page,
		    uint32_t idx)
{
	struct zs_hslot *slot = zs_slot_at(pool, idx);
	uint64_t w;
	uint32_t number;
	struct zs_shard *sh = lock_huge(pool, idx, old_page, &w);

	if (!sh)
		return -EAGAIN; /* freed since isolate: the arena frees it */
	/* Marked before a byte moves, so a reader either pinned first (the
	 * move is refused) or waits for the new place. */
	if (zs_arena_page_number(pool->arena, new_page, &number) != 0 ||
	    !zs_try_mark_moving(slot)) {
		zs_unlock(&sh->lock);
		return -EAGAIN;
	}
	zs_raw_copy_page(new_page, old_page, ZS_PAGE_SIZE);
	zs_poison(new_page, ZS_PAGE_SIZE);
	zs_unpoison(new_page, zs_slot_size(w));
	zs_unpoison(old_page, ZS_PAGE_SIZE);
	zs_finish_move(slot, zs_huge_loc(number, sh->index));
	atomic_fetch_add(&pool->pages_migrated, 1);
	zs_unlock(&sh->lock);
	return 0;
}
