/*
 * zs/zbud.h - zbud, the two-buddies-per-page allocator (seed 001).
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
 * with errno EINVAL, 0, or nothing done.
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

/* ops NULL (or without evict): a pool that cannot reclaim.  NULL with
 * errno ENOSPC when the arena's owner table is full (as for
 * zs_create_pool), ENOMEM when the host refuses memory. */
struct zbud_pool *zbud_create_pool(const struct zbud_ops *ops);
/* Same, taking pages from `arena` (NULL = the default arena). */
struct zbud_pool *zbud_create_pool_arena(const struct zbud_ops *ops,
					 struct zs_arena *arena);
/* NULL is a no-op. */
void zbud_destroy_pool(struct zbud_pool *pool);
/* 0, -EINVAL (NULL pool or handle, size 0), -ENOSPC (size above
 * ZBUD_MAX_ALLOC_SIZE), -ENOMEM (nothing taken). */
int zbud_alloc(struct zbud_pool *pool, size_t size, uint64_t *handle);
/* 0, -EINVAL (a handle the pool does not hold live), -EBUSY (mapped). */
int zbud_free(struct zbud_pool *pool, uint64_t handle);
/* The object's bytes, in place; pins its page.  NULL with errno EINVAL
 * (bad handle) or EBUSY (this thread maps it already, or holds
 * ZS_MAX_THREAD_MAPS zbud maps). */
void *zbud_map(struct zbud_pool *pool, uint64_t handle);
/* 0, or -EINVAL when this thread holds no map of the handle. */
int zbud_unmap(struct zbud_pool *pool, uint64_t handle);
/* Evicts the least recently allocated-into unpinned page through the
 * evict callback, trying up to `retries` pages.  0 when a page was freed,
 * -EAGAIN when none could be, -EINVAL (as the kernel's) for a pool with no
 * evict callback, a pool holding no pages, or retries 0. */
int zbud_reclaim_page(struct zbud_pool *pool, unsigned retries);
/* Pages held (0 for NULL). */
uint64_t zbud_get_pool_size(struct zbud_pool *pool);
/* Full consistency walk, each page's arena description included: 0,
 * -EUCLEAN with one "zs: zbud_pool_check: ..." report, -EINVAL for NULL. */
int zbud_pool_check(struct zbud_pool *pool);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ZBUD_H */
