/* SPDX-License-Identifier: MIT */
/*
 * zs/zbud.h - zbud, the kernel's two-buddies-per-page allocator.
 *
 * Each page holds at most two objects: the first left-justified after the
 * page header, the last right-justified at the page end, so a freed buddy's
 * space joins the free middle.  Density is between 1 and 2 objects per page;
 * in exchange reclaim is simple and deterministic: zbud_reclaim_page() takes
 * the least recently used page and asks the owner to evict both buddies.
 *
 * Handles are 64-bit, never 0, and checked like zsmalloc's (the same keyed
 * permutation).  Errors are negative errno values; pointer-returning calls
 * set errno.  NULL for any pointer argument never crashes: -EINVAL, NULL
 * with errno EINVAL, 0, or nothing done (the exceptions say so below).
 * Corruption is never an errno: it is reported (zs/report.h) and the
 * process aborts.
 */
#ifndef ZS_ZBUD_H
#define ZS_ZBUD_H

#include <stddef.h>
#include <stdint.h>

#include "zs/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

struct zbud_pool;

struct zbud_ops {
	/* Write the object back and zbud_free() its handle; 0 on success. */
	int (*evict)(struct zbud_pool *pool, uint64_t handle);
};

#define ZBUD_CHUNK_SHIFT 6
#define ZBUD_CHUNK_SIZE (1U << ZBUD_CHUNK_SHIFT) /* 64 B at 4 KiB pages */
#define ZBUD_MAX_ALLOC_SIZE (ZS_PAGE_SIZE - 2 * ZBUD_CHUNK_SIZE)

/**
 * zbud_create_pool() - Create a pool taking pages from the default arena.
 * @ops: copied; NULL, or an evict of NULL, makes a pool that cannot
 *       reclaim.
 *
 * Context: any thread; takes the arena's lock.
 * Return: the pool, or NULL with errno ENOSPC (the arena's owner table is
 * full: 1024 pools and zbud pools per arena, as for zs_create_pool()) or
 * ENOMEM (the host refused memory, or the default arena could not be
 * created).
 */
struct zbud_pool *zbud_create_pool(const struct zbud_ops *ops);

/**
 * zbud_create_pool_arena() - Create a pool taking pages from @arena.
 * @ops: as for zbud_create_pool().
 * @arena: the arena; NULL means zs_arena_default().
 *
 * Context: any thread; takes the arena's lock.
 * Return: as zbud_create_pool().
 */
struct zbud_pool *zbud_create_pool_arena(const struct zbud_ops *ops,
					 struct zs_arena *arena);

/**
 * zbud_destroy_pool() - Free every object and page of a pool, and the pool.
 * @pool: the pool; NULL is a no-op.
 *
 * Maps still held on the pool by any thread become invalid.  No other
 * thread may use the pool during or after the call.
 *
 * Context: not from the evict callback; waits for an arena compaction
 * that is moving one of the pool's pages; takes the arena's lock.
 */
void zbud_destroy_pool(struct zbud_pool *pool);

/**
 * zbud_alloc() - Store an object of @size bytes.
 * @pool: the pool.
 * @size: 1 .. ZBUD_MAX_ALLOC_SIZE bytes; the contents are undefined.
 * @handle: receives the handle; untouched on error.
 *
 * Goes to the page whose free space fits best, else to a new page; that
 * page becomes the most recently used.
 *
 * Context: any thread; takes the pool's lock (and the arena's lock for a
 * new page).
 * Return: 0, -EINVAL (NULL @pool or @handle, @size 0), -ENOSPC (@size
 * above ZBUD_MAX_ALLOC_SIZE) or -ENOMEM (nothing is taken: an injected
 * failure, the host refused memory, or a limit: 2^31 handles per pool,
 * 8192 regions per arena).
 */
int zbud_alloc(struct zbud_pool *pool, size_t size, uint64_t *handle);

/**
 * zbud_free() - Free an object.
 * @pool: the pool.
 * @handle: the object's handle; every copy of it is stale afterwards.
 *
 * A page left empty goes back to the arena (unless reclaim or page
 * migration holds it, which then frees it).
 *
 * Context: any thread, the evict callback included; takes the pool's lock.
 * Return: 0, -EINVAL (NULL @pool, or a @handle the pool does not hold
 * live) or -EBUSY (the object is mapped, by any thread; nothing changes).
 */
int zbud_free(struct zbud_pool *pool, uint64_t handle);

/**
 * zbud_map() - Map an object's bytes, in place and read-write.
 * @pool: the pool.
 * @handle: the object's handle.
 *
 * Pins the object's page: it is neither freed, reclaimed nor moved until
 * the map ends.  A thread holds at most ZS_MAX_THREAD_MAPS zbud maps.
 *
 * Context: any thread; takes the pool's lock.
 * Return: the object's bytes, valid until this thread's zbud_unmap(), or
 * NULL with errno EINVAL (NULL @pool, a @handle the pool does not hold
 * live) or EBUSY (this thread maps @handle already, holds
 * ZS_MAX_THREAD_MAPS zbud maps, or the object has 65535 maps).
 */
void *zbud_map(struct zbud_pool *pool, uint64_t handle);

/**
 * zbud_unmap() - End this thread's map of an object.
 * @pool: the pool.
 * @handle: the handle given to zbud_map().
 *
 * A map this thread holds whose object has lost it is corruption: it is
 * reported (zs/report.h) and the process aborts.
 *
 * Context: the thread that mapped @handle; takes the pool's lock.
 * Return: 0, or -EINVAL (NULL @pool, or this thread holds no map of
 * @handle in @pool).
 */
int zbud_unmap(struct zbud_pool *pool, uint64_t handle);

/**
 * zbud_reclaim_page() - Evict the buddies of the least recently used page.
 * @pool: the pool.
 * @retries: pages to try, each the least recently allocated-into one that
 *           no map pins and no page migration holds.
 *
 * The evict callback runs for the page's first buddy, then its last,
 * without the pool's lock: it may map, unmap, free and allocate on the
 * pool, and reclaim another page, but must not destroy the pool.  A buddy
 * freed meanwhile is skipped; a failing evict ends the page's turn.  A
 * page with both buddies gone is freed; otherwise it becomes the most
 * recently used and the next try takes the next oldest.
 *
 * Context: any thread; takes the pool's lock, released around each evict.
 * Return: 0 (a page was freed), -EAGAIN (none could be in @retries tries,
 * or every page is pinned) or, as the kernel's, -EINVAL (NULL @pool, a
 * pool with no evict callback, a pool holding no pages, @retries 0).
 */
int zbud_reclaim_page(struct zbud_pool *pool, unsigned retries);

/**
 * zbud_get_pool_size() - The pages a pool holds.
 * @pool: the pool.
 *
 * Context: any thread; takes the pool's lock.
 * Return: pages held, 0 for a NULL @pool.
 */
uint64_t zbud_get_pool_size(struct zbud_pool *pool);

/**
 * zbud_pool_check() - Verify a pool's consistency.
 * @pool: the pool.
 *
 * Walks every page (its header canary, buddies and handle slots), the
 * buddy lists, the LRU, the handle table, the free descriptor stack and
 * each page's description in the arena.  Allocates nothing.
 *
 * Context: any thread, while others work; holds the pool's lock for the
 * walk, taking the arena's lock inside it.
 * Return: 0, -EUCLEAN with one "zs: zbud_pool_check: ..." report
 * (zs/report.h) on the first disagreement, or -EINVAL for a NULL @pool.
 */
int zbud_pool_check(struct zbud_pool *pool);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ZBUD_H */
