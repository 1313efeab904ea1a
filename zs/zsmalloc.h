/*
 * zs/zsmalloc.h - the zsmalloc public API.
 *
 * A pool stores many small objects (30 B to 4 KiB, typically compressed
 * pages) densely in "zspages": chains of 1 to 16 pages holding objects of
 * one size class, objects straddling page boundaries.  Objects are named by
 * opaque 64-bit handles (0 is never valid) that stay valid while the object
 * moves (compaction, page migration).  Handles are checked: zero, forged,
 * stale, double-freed and other pools' handles are detected, reported by a
 * negative errno and leave the pool unchanged.
 *
 * Every call is thread-safe.  Errors are negative errno values; calls
 * returning pointers return NULL and set errno.
 */
#ifndef ZS_ZSMALLOC_H
#define ZS_ZSMALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zs/arena.h"

#ifdef __cplusplus
extern "C" {
#endif

struct zs_pool;

enum zs_mapmode {
	ZS_MM_RW, /* read-write: bytes copied in, changes copied back */
	ZS_MM_RO, /* read-only: bytes copied in, nothing written back */
	ZS_MM_WO, /* write-only: caller writes the whole object; not read */
};

/* Zero-initialised = defaults. */
struct zs_pool_config {
	const char *name; /* for reports and the class table; may be NULL */
	unsigned chain_size; /* max pages per zspage, 1..16; 0 = 8 */
	unsigned long max_pages; /* hard cap on pages held; 0 = none */
	struct zs_arena *arena; /* NULL = zs_arena_default() */
};

struct zs_pool_stats {
	unsigned long pages_compacted; /* cumulative, by compaction */
	unsigned long pages_used; /* = zs_get_total_pages() */
	unsigned long objs_allocated; /* object slots in all zspages */
	unsigned long objs_used; /* live objects */
	unsigned long zspages; /* zspages in all classes */
	uint64_t bytes_stored; /* sum of live objects' sizes */
	uint64_t metadata_bytes; /* handle table and descriptors */
	unsigned long objs_moved; /* cumulative, by compaction */
	unsigned long pages_migrated; /* cumulative, by page migration */
	unsigned long alloc_failures; /* -ENOMEM returned by zs_malloc */
	unsigned long compactions; /* zs_compact calls that ran */
};

/* Pools.  NULL with errno EINVAL for a bad config (chain_size above 16),
 * ENOMEM when the host refuses memory or the arena has no free owner slot
 * (1024 pools per arena). */
struct zs_pool *zs_create_pool(const char *name);
struct zs_pool *zs_create_pool_config(const struct zs_pool_config *cfg);
void zs_destroy_pool(struct zs_pool *pool);
const char *zs_pool_name(const struct zs_pool *pool);

/* Objects. */
int zs_malloc(struct zs_pool *pool, size_t size, uint64_t *handle);
size_t zs_max_alloc_size(void);
int zs_free(struct zs_pool *pool, uint64_t handle);
size_t zs_obj_size(struct zs_pool *pool, uint64_t handle);

/* Access.  A thread may hold ZS_MAX_THREAD_MAPS maps and
 * ZS_MAX_THREAD_READS open reads at once. */
#define ZS_MAX_THREAD_MAPS 8
#define ZS_MAX_THREAD_READS 8
void *zs_map_object(struct zs_pool *pool, uint64_t handle, enum zs_mapmode mm);
int zs_unmap_object(struct zs_pool *pool, uint64_t handle);
const void *zs_obj_read_begin(struct zs_pool *pool, uint64_t handle,
			      void *local_copy);
int zs_obj_read_end(struct zs_pool *pool, uint64_t handle, const void *mem);
int zs_obj_write(struct zs_pool *pool, uint64_t handle, const void *src,
		 size_t len);

/* Size and accounting. */
unsigned long zs_get_total_pages(struct zs_pool *pool);
size_t zs_huge_class_size(struct zs_pool *pool);
void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st);
/* Number of distinct size classes (merged classes counted once). */
unsigned zs_pool_class_count(struct zs_pool *pool);
/* The slot size objects of `size` bytes are stored in (0 when out of range). */
size_t zs_class_size_for(struct zs_pool *pool, size_t size);

/* Moving objects. */
unsigned long zs_compact(struct zs_pool *pool);
unsigned long zs_shrinker_count(struct zs_pool *pool);
/* Compacts until nr pages are freed or nothing more can be; pages go in
 * whole zspages, so up to one zspage more than nr may be freed. */
unsigned long zs_shrinker_scan(struct zs_pool *pool, unsigned long nr);

/* Checking and reporting. */
int zs_pool_check(struct zs_pool *pool);
/* The kernel's debugfs class table (class, size, 10%..100% buckets,
 * obj_allocated, obj_used, pages_used, pages_per_zspage, freeable, Total). */
void zs_pool_print_classes(struct zs_pool *pool, FILE *out);
void zs_pool_print_classes_json(struct zs_pool *pool, FILE *out);

/* Limits and test hooks. */
void zs_pool_set_max_pages(struct zs_pool *pool, unsigned long max_pages);
/* After `after` more successful internal allocations (pages and
 * descriptors), the next `count` fail with ENOMEM.  count 0 disarms. */
void zs_pool_inject_failures(struct zs_pool *pool, unsigned after,
			     unsigned count);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ZSMALLOC_H */
