/* SPDX-License-Identifier: MIT */
/*
 * zs/zpool.h - one front end over the zs backends, chosen by name.
 *
 * As the kernel's zpool was: a program picks "zsmalloc" or "zbud" at run
 * time and calls the same functions.  Unknown or NULL types give NULL +
 * EINVAL; name and ops may be NULL (without evict, zpool_shrink on zbud is
 * -EINVAL); reclaimed may be NULL.  A NULL pool: int calls -EINVAL,
 * zpool_get_type and zpool_map_handle NULL + EINVAL, zpool_get_total_size
 * and zpool_compact 0, zpool_destroy_pool nothing; zpool_has_pool(NULL) is
 * false.  The errors of each call are the backend's.
 */
#ifndef ZS_ZPOOL_H
#define ZS_ZPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpool;

struct zpool_ops {
	/* Called by zpool_shrink on the zbud backend for each object it
	 * evicts: write it back and zpool_free() it; 0 on success. */
	int (*evict)(struct zpool *pool, uint64_t handle);
};

enum zpool_mapmode {
	ZPOOL_MM_RW,
	ZPOOL_MM_RO,
	ZPOOL_MM_WO,
};

/**
 * zpool_has_pool() - Whether a backend exists.
 * @type: the backend's name.
 *
 * Context: any thread.
 * Return: true for "zsmalloc" and "zbud", false for anything else and for
 * NULL.
 */
bool zpool_has_pool(const char *type);

/**
 * zpool_create_pool() - Create a pool of the backend named @type.
 * @type: "zsmalloc" or "zbud".
 * @name: the zsmalloc pool's name (NULL means "zs"); zbud ignores it.
 * @ops: copied; may be NULL.  Only zbud calls evict, and without it
 *       zpool_shrink() on zbud is -EINVAL.
 *
 * The backend's pool takes its pages from the default arena.
 *
 * Context: any thread.
 * Return: the pool, or NULL with errno EINVAL (@type NULL or unknown),
 * ENOSPC (the default arena's owner table is full) or ENOMEM (the host
 * refused memory, or the default arena could not be created).
 */
struct zpool *zpool_create_pool(const char *type, const char *name,
				const struct zpool_ops *ops);

/**
 * zpool_destroy_pool() - Destroy a pool, its backend's pool included.
 * @pool: the pool; NULL is a no-op.
 *
 * Context: as zs_destroy_pool() and zbud_destroy_pool().
 */
void zpool_destroy_pool(struct zpool *pool);

/**
 * zpool_get_type() - The pool's backend.
 * @pool: the pool.
 *
 * Context: any thread.
 * Return: "zsmalloc" or "zbud" (static strings), or NULL with errno EINVAL
 * for a NULL @pool.
 */
const char *zpool_get_type(struct zpool *pool);

/**
 * zpool_malloc() - Store an object of @size bytes.
 * @pool: the pool.
 * @size: 1 .. the backend's largest: zs_max_alloc_size() (4096) for
 *        zsmalloc, ZBUD_MAX_ALLOC_SIZE (3968) for zbud.
 * @handle: receives the handle; untouched on error.
 *
 * Context: as zs_malloc() and zbud_alloc().
 * Return: 0, -EINVAL (NULL @pool or @handle, @size 0), -ENOSPC (@size
 * above the backend's largest) or -ENOMEM (as the backend's; nothing is
 * taken).
 */
int zpool_malloc(struct zpool *pool, size_t size, uint64_t *handle);

/**
 * zpool_free() - Free an object.
 * @pool: the pool.
 * @handle: the object's handle.
 *
 * Context: as zs_free() and zbud_free().
 * Return: 0, -EINVAL (NULL @pool, or a @handle the pool does not hold
 * live) or -EBUSY (the object is mapped; nothing changes).
 */
int zpool_free(struct zpool *pool, uint64_t handle);

/**
 * zpool_map_handle() - Map an object's bytes, contiguous.
 * @pool: the pool.
 * @handle: the object's handle.
 * @mm: ZPOOL_MM_RW, ZPOOL_MM_RO or ZPOOL_MM_WO: zsmalloc's map modes; zbud
 *      maps in place, read-write, in every mode.
 *
 * Context: as zs_map_object() and zbud_map().
 * Return: the object's bytes, valid until this thread's
 * zpool_unmap_handle(), or NULL with errno EINVAL (NULL @pool, @mm not one
 * of the three, a @handle the pool does not hold live) or EBUSY (this
 * thread maps @handle already or holds ZS_MAX_THREAD_MAPS maps of the
 * backend, or the object has 65535 maps or reads open).
 */
void *zpool_map_handle(struct zpool *pool, uint64_t handle,
		       enum zpool_mapmode mm);

/**
 * zpool_unmap_handle() - End this thread's map of an object.
 * @pool: the pool.
 * @handle: the handle given to zpool_map_handle().
 *
 * Context: the thread that mapped @handle.
 * Return: 0, or -EINVAL (NULL @pool, or this thread holds no map of
 * @handle in @pool).
 */
int zpool_unmap_handle(struct zpool *pool, uint64_t handle);

/**
 * zpool_shrink() - Free at least @pages pages when the backend can.
 * @pool: the pool.
 * @pages: pages wanted; 0 does nothing.
 * @reclaimed: receives the pages freed (0 for a NULL @pool); may be NULL.
 *
 * zsmalloc compacts (zs_shrinker_scan()): it frees whole zspages of up to
 * 16 pages, so it may free up to one zspage more than asked, as a kernel
 * shrinker's scan may.  zbud reclaims page after page
 * (zbud_reclaim_page(), 8 tries each), calling @pool's evict in this
 * thread for each object.
 *
 * Context: as zs_shrinker_scan() and zbud_reclaim_page().
 * Return: 0 (@pages or more freed, or @pages 0), else why it stopped:
 * -EAGAIN (nothing more could be freed; an empty zbud pool included) or
 * -EINVAL (NULL @pool, a zbud pool created without an evict callback).
 */
int zpool_shrink(struct zpool *pool, unsigned pages, unsigned *reclaimed);

/**
 * zpool_get_total_size() - The memory a pool holds.
 * @pool: the pool.
 *
 * Context: any thread.
 * Return: the backend's pages held times ZS_PAGE_SIZE, in bytes; 0 for a
 * NULL @pool.
 */
uint64_t zpool_get_total_size(struct zpool *pool);

/**
 * zpool_compact() - Compact the pool.
 * @pool: the pool.
 *
 * Context: as zs_compact().
 * Return: pages freed by zs_compact(); 0 for zbud (two buddies per page:
 * nothing to compact) and for a NULL @pool.
 */
unsigned long zpool_compact(struct zpool *pool);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ZPOOL_H */
