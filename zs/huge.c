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
 */
#include <errno.h>

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

void zs_huge_remove(struct zs_pool *pool, struct zs_shard *sh,
		    uint32_t slot_idx, uint32_t loc)
{
	char *page = zs_huge_bytes(pool, loc);

	/* the arena frees the page only if its record names this slot: a
	 * damaged place must not free another object's page */
	if (!page || zs_arena_free_run_of(pool->arena, page, pool->owner_id,
					  zs_huge_cookie(slot_idx)) != 0) {
		ZS_REPORT(ZS_FINDING_ABORT_POOL_FREE_HUGE_PAGE,
			  zs_huge_loc_page(loc), (void *)page, slot_idx);
		zs_corruption_abort();
	}
	zs_unpoison(page, ZS_PAGE_SIZE);
	zs_shard_count_add(&sh->huge_count, -1);
	atomic_fetch_sub(&pool->zspages, 1);
	atomic_fetch_sub(&pool->pages, 1);
}

void zs_huge_destroy_all(struct zs_pool *pool)
{
	uint32_t idx, n = atomic_load(&pool->ht_next);

	for (idx = 0; idx < n; idx++) {
		uint64_t w = atomic_load(&zs_slot_at(pool, idx)->word);
		char *page;

		if (!zs_slot_live(w) || !zs_slot_huge(w))
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
