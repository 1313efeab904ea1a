/*
 * zs/zsmalloc.h - the zsmalloc public API.
 *
 * A pool stores many small objects (30 B to 4 KiB, typically compressed
 * pages) densely in "zspages": chains of 1 to 16 pages holding objects of
 * one size class, objects straddling page boundaries.  Objects are named by
 * opaque 64-bit handles (0 is never valid) that stay valid while the object
 * moves (compaction, page migration).  Handles are checked: a handle is a
 * keyed permutation of (slot, generation), so zero, forged, stale,
 * double-freed and other pools' handles are refused (about a 2^-32 chance
 * per guessed value of hitting a live object), with -EINVAL and the pool
 * unchanged.
 *
 * Every call is thread-safe.  Errors are negative errno values; calls
 * returning pointers return NULL and set errno.  Every call accepts NULL
 * for any pointer argument without crashing: an int result is then
 * -EINVAL, a pointer result NULL with errno EINVAL, a count 0, and a void
 * call does nothing (the exceptions say so below).
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

/* Pools.  name NULL = "zs"; cfg NULL = all defaults.  NULL with errno
 * EINVAL for a bad config (chain_size above 16), ENOSPC when the arena's
 * owner table is full (1024 pools and zbud pools per arena, as for
 * zbud_create_pool), ENOMEM when the host refuses memory. */
struct zs_pool *zs_create_pool(const char *name);
struct zs_pool *zs_create_pool_config(const struct zs_pool_config *cfg);
/* Frees every object and page; NULL is a no-op.  Maps still held on the
 * pool by any thread become invalid. */
void zs_destroy_pool(struct zs_pool *pool);
/* The pool's name; NULL with errno EINVAL for a NULL pool. */
const char *zs_pool_name(const struct zs_pool *pool);

/* Objects. */
/* Stores `size` bytes (contents undefined) and sets *handle.  0, or
 * -EINVAL (NULL pool or handle, size 0), -ENOSPC (size above
 * zs_max_alloc_size()), -ENOMEM (the page cap, an injected failure, or the
 * host refused memory; nothing is taken and alloc_failures counts it). */
int zs_malloc(struct zs_pool *pool, size_t size, uint64_t *handle);
/* The largest object: 4096 bytes. */
size_t zs_max_alloc_size(void);
/* 0, -EINVAL (a handle this pool does not hold live), -EBUSY (the object is
 * mapped or being read: nothing changes). */
int zs_free(struct zs_pool *pool, uint64_t handle);
/* The object's size in bytes, 0 for a handle the pool does not hold. */
size_t zs_obj_size(struct zs_pool *pool, uint64_t handle);

/* Access.  A thread may hold ZS_MAX_THREAD_MAPS maps and
 * ZS_MAX_THREAD_READS open reads at once.  A mapped or read object is
 * pinned: it neither moves nor can be freed until released. */
#define ZS_MAX_THREAD_MAPS 8
#define ZS_MAX_THREAD_READS 8
/* The object's bytes, contiguous.  NULL with errno EINVAL (bad handle or
 * mode), EBUSY (this thread maps it already, or holds
 * ZS_MAX_THREAD_MAPS maps). */
void *zs_map_object(struct zs_pool *pool, uint64_t handle, enum zs_mapmode mm);
/* 0, or -EINVAL when this thread holds no map of the handle. */
int zs_unmap_object(struct zs_pool *pool, uint64_t handle);
/* The object's bytes: in place, or copied into local_copy (at least
 * zs_obj_size() bytes) when they straddle two pages.  NULL with errno
 * EINVAL (bad handle; local_copy NULL for a straddling object), EBUSY
 * (this thread holds ZS_MAX_THREAD_READS reads). */
const void *zs_obj_read_begin(struct zs_pool *pool, uint64_t handle,
			      void *local_copy);
/* mem is what zs_obj_read_begin returned (it picks which of this thread's
 * reads of the handle ends).  0, or -EINVAL when this thread has no open
 * read of the handle. */
int zs_obj_read_end(struct zs_pool *pool, uint64_t handle, const void *mem);
/* Copies len bytes to the object's start.  0 (len 0 writes nothing, and src
 * may then be NULL), or -EINVAL (bad handle, src NULL with len > 0, len
 * above the object's size). */
int zs_obj_write(struct zs_pool *pool, uint64_t handle, const void *src,
		 size_t len);

/* Size and accounting: 0 for a NULL pool. */
unsigned long zs_get_total_pages(struct zs_pool *pool);
size_t zs_huge_class_size(struct zs_pool *pool);
/* st NULL: nothing; pool NULL: *st zeroed. */
void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st);
/* Number of distinct size classes (merged classes counted once). */
unsigned zs_pool_class_count(struct zs_pool *pool);
/* The slot size objects of `size` bytes are stored in (0 when out of range). */
size_t zs_class_size_for(struct zs_pool *pool, size_t size);

/* Moving objects.  Each returns pages freed (0 for a NULL pool). */
unsigned long zs_compact(struct zs_pool *pool);
unsigned long zs_shrinker_count(struct zs_pool *pool);
/* Compacts until nr pages are freed or nothing more can be; pages go in
 * whole zspages, so up to one zspage more than nr may be freed. */
unsigned long zs_shrinker_scan(struct zs_pool *pool, unsigned long nr);

/* Checking and reporting. */
/* Recomputes every counter, list, descriptor and handle slot from the
 * stored objects and compares, including each page's description in the
 * arena.  0, -EUCLEAN with one "zs: zs_pool_check(name): ..." report
 * (zs/report.h) on the first disagreement, -EINVAL for NULL.  Safe
 * while other threads work; allocates nothing. */
int zs_pool_check(struct zs_pool *pool);
/* The kernel's debugfs class table (class, size, 10%..100% buckets,
 * obj_allocated, obj_used, pages_used, pages_per_zspage, freeable, Total).
 * Nothing is printed for a NULL pool or stream. */
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
