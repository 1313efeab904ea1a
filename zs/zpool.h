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

bool zpool_has_pool(const char *type);
struct zpool *zpool_create_pool(const char *type, const char *name,
				const struct zpool_ops *ops);
void zpool_destroy_pool(struct zpool *pool);
const char *zpool_get_type(struct zpool *pool);
int zpool_malloc(struct zpool *pool, size_t size, uint64_t *handle);
int zpool_free(struct zpool *pool, uint64_t handle);
void *zpool_map_handle(struct zpool *pool, uint64_t handle,
		       enum zpool_mapmode mm);
int zpool_unmap_handle(struct zpool *pool, uint64_t handle);
int zpool_shrink(struct zpool *pool, unsigned pages, unsigned *reclaimed);
uint64_t zpool_get_total_size(struct zpool *pool);
unsigned long zpool_compact(struct zpool *pool);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ZPOOL_H */
