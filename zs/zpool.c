// SPDX-License-Identifier: MIT
/*
 * zpool.c - one front end over zsmalloc and zbud, chosen by name.
 *
 * As the kernel's zpool was: a small table of function pointers per
 * backend, picked by the type string at creation, so callers switch
 * allocators without code changes.  The backends' own checks do the work
 * (handles, sizes, map rules), so the same call sequence gives the same
 * return values on both; what differs is density and what "shrink" means:
 * zbud writes objects back through the evict callback and frees pages,
 * zsmalloc compacts (it has no write-back).
 *
 * The zbud evict callback receives only the zbud pool, and zbud.h has no
 * private pointer, so the zpool being shrunk is passed to the trampoline
 * in a thread-local variable: zbud calls evict synchronously in the thread
 * that called zbud_reclaim_page, and only zpool_shrink calls it for a zbud
 * owned by a zpool.  Nested shrinks (evict calling zpool_shrink) save and
 * restore it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "zs/host.h"
#include "zs/zbud.h"
#include "zs/zpool.h"
#include "zs/zsmalloc.h"

/* Retries per zbud_reclaim_page call, the kernel's zbud_zpool_shrink. */
#define ZBUD_SHRINK_RETRIES 8

struct zpool_driver {
	const char *type;
	void *(*create)(const char *name, bool evictable);
	void (*destroy)(void *pool);
	int (*malloc)(void *pool, size_t size, uint64_t *handle);
	int (*free)(void *pool, uint64_t handle);
	void *(*map)(void *pool, uint64_t handle, enum zpool_mapmode mm);
	int (*unmap)(void *pool, uint64_t handle);
	int (*shrink)(struct zpool *zpool, unsigned pages, unsigned *reclaimed);
	uint64_t (*total_pages)(void *pool);
	unsigned long (*compact)(void *pool);
};

struct zpool {
	const struct zpool_driver *driver;
	void *pool;
	struct zpool_ops ops;
};

/* --- zsmalloc --------------------------------------------------------- */

static void *zs_drv_create(const char *name, bool evictable)
{
	(void)evictable; /* zsmalloc never evicts: shrink compacts */
	return zs_create_pool(name);
}

static void zs_drv_destroy(void *pool)
{
	zs_destroy_pool(pool);
}

static int zs_drv_malloc(void *pool, size_t size, uint64_t *handle)
{
	return zs_malloc(pool, size, handle);
}

static int zs_drv_free(void *pool, uint64_t handle)
{
	return zs_free(pool, handle);
}

static void *zs_drv_map(void *pool, uint64_t handle, enum zpool_mapmode mm)
{
	enum zs_mapmode zm;

	switch (mm) {
	case ZPOOL_MM_RO:
		zm = ZS_MM_RO;
		break;
	case ZPOOL_MM_WO:
		zm = ZS_MM_WO;
		break;
	default:
		zm = ZS_MM_RW;
		break;
	}
	return zs_map_object(pool, handle, zm);
}

static int zs_drv_unmap(void *pool, uint64_t handle)
{
	return zs_unmap_object(pool, handle);
}

static int zs_drv_shrink(struct zpool *zpool, unsigned pages,
			 unsigned *reclaimed)
{
	unsigned long freed = zs_shrinker_scan(zpool->pool, pages);

	*reclaimed = freed > UINT_MAX ? UINT_MAX : (unsigned)freed;
	return freed >= pages ? 0 : -EAGAIN;
}

static uint64_t zs_drv_total_pages(void *pool)
{
	return zs_get_total_pages(pool);
}

static unsigned long zs_drv_compact(void *pool)
{
	return zs_compact(pool);
}

/* --- zbud ------------------------------------------------------------- */

static _Thread_local struct zpool *zbud_shrinking;

static int zbud_drv_evict(struct zbud_pool *pool, uint64_t handle)
{
	struct zpool *zpool = zbud_shrinking;

	/* Never true unless zbud_reclaim_page was reached some other way
	 * than zpool_shrink, which nothing outside this file can do. */
	if (!zpool || zpool->pool != pool)
		return -EINVAL;
	return zpool->ops.evict(zpool, handle);
}

static const struct zbud_ops zbud_drv_ops = {
	.evict = zbud_drv_evict,
};

static void *zbud_drv_create(const char *name, bool evictable)
{
	(void)name; /* zbud pools are nameless */
	return zbud_create_pool(evictable ? &zbud_drv_ops : NULL);
}

static void zbud_drv_destroy(void *pool)
{
	zbud_destroy_pool(pool);
}

static int zbud_drv_malloc(void *pool, size_t size, uint64_t *handle)
{
	return zbud_alloc(pool, size, handle);
}

static int zbud_drv_free(void *pool, uint64_t handle)
{
	return zbud_free(pool, handle);
}

static void *zbud_drv_map(void *pool, uint64_t handle, enum zpool_mapmode mm)
{
	(void)mm; /* a direct pointer: every mode is read-write */
	return zbud_map(pool, handle);
}

static int zbud_drv_unmap(void *pool, uint64_t handle)
{
	return zbud_unmap(pool, handle);
}

static int zbud_drv_shrink(struct zpool *zpool, unsigned pages,
			   unsigned *reclaimed)
{
	struct zpool *saved = zbud_shrinking;
	unsigned total = 0;
	int ret = 0;

	zbud_shrinking = zpool;
	while (total < pages) {
		ret = zbud_reclaim_page(zpool->pool, ZBUD_SHRINK_RETRIES);
		/* zbud calls an empty pool a bad call; for a shrinker it is
		 * just nothing more to free */
		if (ret == -EINVAL && zpool->ops.evict &&
		    zbud_get_pool_size(zpool->pool) == 0)
			ret = -EAGAIN;
		if (ret < 0)
			break;
		total++;
	}
	zbud_shrinking = saved;
	*reclaimed = total;
	return ret;
}

static uint64_t zbud_drv_total_pages(void *pool)
{
	return zbud_get_pool_size(pool);
}

static unsigned long zbud_drv_compact(void *pool)
{
	(void)pool; /* two buddies per page: nothing to compact */
	return 0;
}

/* --- the table and the front end -------------------------------------- */

static const struct zpool_driver drivers[] = {
	{
		.type = "zsmalloc",
		.create = zs_drv_create,
		.destroy = zs_drv_destroy,
		.malloc = zs_drv_malloc,
		.free = zs_drv_free,
		.map = zs_drv_map,
		.unmap = zs_drv_unmap,
		.shrink = zs_drv_shrink,
		.total_pages = zs_drv_total_pages,
		.compact = zs_drv_compact,
	},
	{
		.type = "zbud",
		.create = zbud_drv_create,
		.destroy = zbud_drv_destroy,
		.malloc = zbud_drv_malloc,
		.free = zbud_drv_free,
		.map = zbud_drv_map,
		.unmap = zbud_drv_unmap,
		.shrink = zbud_drv_shrink,
		.total_pages = zbud_drv_total_pages,
		.compact = zbud_drv_compact,
	},
};

static const struct zpool_driver *find_driver(const char *type)
{
	size_t i;

	if (!type)
		return NULL;
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (strcmp(drivers[i].type, type) == 0)
			return &drivers[i];
	return NULL;
}

bool zpool_has_pool(const char *type)
{
	return find_driver(type) != NULL;
}

struct zpool *zpool_create_pool(const char *type, const char *name,
				const struct zpool_ops *ops)
{
	const struct zpool_driver *drv = find_driver(type);
	struct zpool *zpool;

	if (!drv) {
		errno = EINVAL;
		return NULL;
	}
	zpool = zs_host_calloc(1, sizeof(*zpool));
	if (!zpool) {
		errno = ENOMEM;
		return NULL;
	}
	zpool->driver = drv;
	if (ops)
		zpool->ops = *ops;
	errno = 0;
	zpool->pool = drv->create(name, zpool->ops.evict != NULL);
	if (!zpool->pool) {
		int err = errno ? errno : ENOMEM;

		free(zpool);
		errno = err;
		return NULL;
	}
	return zpool;
}

void zpool_destroy_pool(struct zpool *zpool)
{
	if (!zpool)
		return;
	zpool->driver->destroy(zpool->pool);
	free(zpool);
}

const char *zpool_get_type(struct zpool *zpool)
{
	if (!zpool) {
		errno = EINVAL;
		return NULL;
	}
	return zpool->driver->type;
}

int zpool_malloc(struct zpool *zpool, size_t size, uint64_t *handle)
{
	if (!zpool)
		return -EINVAL;
	return zpool->driver->malloc(zpool->pool, size, handle);
}

int zpool_free(struct zpool *zpool, uint64_t handle)
{
	if (!zpool)
		return -EINVAL;
	return zpool->driver->free(zpool->pool, handle);
}

void *zpool_map_handle(struct zpool *zpool, uint64_t handle,
		       enum zpool_mapmode mm)
{
	if (!zpool ||
	    (mm != ZPOOL_MM_RW && mm != ZPOOL_MM_RO && mm != ZPOOL_MM_WO)) {
		errno = EINVAL;
		return NULL;
	}
	return zpool->driver->map(zpool->pool, handle, mm);
}

int zpool_unmap_handle(struct zpool *zpool, uint64_t handle)
{
	if (!zpool)
		return -EINVAL;
	return zpool->driver->unmap(zpool->pool, handle);
}

/*
 * Frees at least `pages` pages when it can: zsmalloc frees whole zspages
 * (up to 16 pages each), so it may free up to one zspage more than asked,
 * as a kernel shrinker's scan may.  *reclaimed (when not NULL) gets the
 * pages freed.  Returns 0 when `pages` or more were freed, else the reason
 * it stopped: -EAGAIN nothing more could be freed, -EINVAL a zbud pool
 * created without an evict callback.
 */
int zpool_shrink(struct zpool *zpool, unsigned pages, unsigned *reclaimed)
{
	unsigned done = 0;
	int ret;

	if (reclaimed)
		*reclaimed = 0;
	if (!zpool)
		return -EINVAL;
	if (pages == 0)
		return 0;
	ret = zpool->driver->shrink(zpool, pages, &done);
	if (reclaimed)
		*reclaimed = done;
	return ret;
}

uint64_t zpool_get_total_size(struct zpool *zpool)
{
	if (!zpool)
		return 0;
	return zpool->driver->total_pages(zpool->pool) * ZS_PAGE_SIZE;
}

unsigned long zpool_compact(struct zpool *zpool)
{
	if (!zpool)
		return 0;
	return zpool->driver->compact(zpool->pool);
}
