/* SPDX-License-Identifier: MIT */
/*
 * zs/zsmalloc.h - the zsmalloc public API.
 *
 * A pool stores many small objects (30 B to 4 KiB, typically compressed
 * pages) densely in "zspages": runs of chain_size contiguous pages that
 * objects of every size share, each taking its size plus a 4-byte tag
 * rounded up to 8 bytes, wherever it fits, page boundaries included;
 * objects of 4093 B and up take a page each.  Every object is one
 * contiguous byte range, read and written in place.  Objects
 * are named by
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
 * call does nothing (the exceptions say so below).  Corruption (a state no
 * sequence of calls explains, such as an object that does not carry its
 * handle) is never an errno: it is reported (zs/report.h) and the process
 * aborts.
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

/* Every mode maps the object in place; the mode is the caller's promise. */
enum zs_mapmode {
	ZS_MM_RW, /* read-write */
	ZS_MM_RO, /* read-only: the caller does not write */
	ZS_MM_WO, /* write-only: the caller writes the whole object, unread */
};

/* Zero-initialised = defaults. */
struct zs_pool_config {
	const char *name; /* for reports and the class table; may be NULL */
	unsigned chain_size; /* pages per shared zspage, 1..16; 0 = 16 */
	unsigned long max_pages; /* hard cap on pages held; 0 = none */
	struct zs_arena *arena; /* NULL = zs_arena_default() */
	/* freed memory kept whole for the next objects of the same sizes
	 * (recycled blocks, kept huge pages), between compactions, in 64ths
	 * of what the live objects take: 1..32; 0 = 12 (3/16);
	 * ZS_RECYCLE_NONE = none, every free gives its bytes back at once */
	unsigned recycle_64ths;
};

/* zs_pool_config.recycle_64ths: keep no freed memory for reuse. */
#define ZS_RECYCLE_NONE 0xffffffffu

struct zs_pool_stats {
	unsigned long pages_compacted; /* cumulative, by compaction */
	unsigned long pages_used; /* = zs_get_total_pages() */
	/* what the zspages would hold at the mean footprint; huge: 1 each */
	unsigned long objs_allocated;
	unsigned long objs_used; /* live objects */
	/* shared zspages, and huge objects' pages (a one-page zspage each
	 * in the kernel's terms) */
	unsigned long zspages;
	uint64_t bytes_stored; /* sum of live objects' sizes */
	/* resident: the pool, its handle slots and descriptors (pages
	 * written) */
	uint64_t metadata_bytes;
	unsigned long objs_moved; /* cumulative, by compaction */
	unsigned long pages_migrated; /* cumulative, by run migration */
	unsigned long alloc_failures; /* -ENOMEM returned by zs_malloc */
	unsigned long compactions; /* zs_compact and zs_shrinker_scan runs */
};

/* Pools. */

/**
 * zs_create_pool() - Create a pool with the default configuration.
 * @name: for reports and the class table, copied (at most 31 bytes kept);
 *        NULL means "zs".
 *
 * Same as zs_create_pool_config() with only @name set: chains of up to
 * 16 pages (the default chain_size), no page cap, pages from
 * zs_arena_default().
 *
 * Context: any thread; takes the arena's lock.
 * Return: the pool, or NULL with errno ENOSPC (the arena's owner table is
 * full: 1024 pools and zbud pools per arena) or ENOMEM (the host refused
 * memory, or the default arena could not be created).
 */
struct zs_pool *zs_create_pool(const char *name);

/**
 * zs_create_pool_config() - Create a pool.
 * @cfg: the configuration, read during the call only; NULL or a
 *       zero-initialised one means every default.
 *
 * Context: any thread; takes the arena's lock.
 * Return: the pool, or NULL with errno EINVAL (@cfg->chain_size above 16,
 * @cfg->recycle_64ths above 32 and not ZS_RECYCLE_NONE), ENOSPC (the
 * arena's owner table is full: 1024 pools and zbud pools per arena, as
 * for zbud_create_pool()) or ENOMEM (the host refused memory, or the
 * default arena could not be created).
 */
struct zs_pool *zs_create_pool_config(const struct zs_pool_config *cfg);

/**
 * zs_destroy_pool() - Free every object and page of a pool, and the pool.
 * @pool: the pool; NULL is a no-op.
 *
 * Maps and open reads still held on the pool by any thread become invalid.
 * No other thread may use the pool during or after the call, and a pool
 * registered with a pressure monitor must be removed from it first.
 *
 * Context: waits for an arena compaction that is moving one of the pool's
 * pages; takes the arena's lock.
 */
void zs_destroy_pool(struct zs_pool *pool);

/**
 * zs_pool_name() - The pool's name.
 * @pool: the pool.
 *
 * Context: any thread; takes no lock.
 * Return: the name given at creation ("zs" for NULL), valid until the pool
 * is destroyed, or NULL with errno EINVAL for a NULL @pool.
 */
const char *zs_pool_name(const struct zs_pool *pool);

/* Objects. */

/**
 * zs_malloc() - Store an object of @size bytes.
 * @pool: the pool.
 * @size: 1 .. zs_max_alloc_size() bytes; the contents are undefined.
 * @handle: receives the handle; untouched on error.
 *
 * Context: any thread; takes the lock of the thread's shard (and, when
 * the pool grows, the pool's table locks and the arena's lock).
 * Return: 0, -EINVAL (NULL @pool or @handle, @size 0), -ENOSPC (@size above
 * zs_max_alloc_size()) or -ENOMEM (nothing is taken and alloc_failures
 * counts it: the page cap, an injected failure, the host refused memory,
 * or a limit: 2^29 handles or 2^19 zspages per pool, 8192 regions per
 * arena).
 */
int zs_malloc(struct zs_pool *pool, size_t size, uint64_t *handle);

/**
 * zs_max_alloc_size() - The largest object a pool stores.
 *
 * Context: any thread.
 * Return: 4096 (ZS_PAGE_SIZE).
 */
size_t zs_max_alloc_size(void);

/**
 * zs_free() - Free an object.
 * @pool: the pool.
 * @handle: the object's handle; every copy of it is stale afterwards.
 *
 * The object's bytes may be kept whole for the next allocation of the
 * same footprint (its size plus 4, in 8s) in its shard: at most the
 * pool's share of the shard's object units (zs_pool_config.recycle_64ths,
 * 3/16 by default) and 8192 blocks, released by zs_compact() and the
 * shrinker.  A huge object's page may be kept likewise.  A zspage whose
 * objects are all freed goes back at once unless such blocks fill 3/4 of
 * its pages; freeing every object gives every page back.  An object that
 * does not carry its own handle slot is corruption: it is reported
 * (zs/report.h) and the process aborts.
 *
 * Context: any thread; takes the object's shard's lock (and the arena's lock
 * when the object's zspage empties and its pages go back).
 * Return: 0, -EINVAL (NULL @pool, or a @handle this pool does not hold
 * live: zero, forged, stale, already freed or another pool's), -EBUSY (the
 * object is mapped or being read, by any thread; nothing changes).
 */
int zs_free(struct zs_pool *pool, uint64_t handle);

/**
 * zs_obj_size() - The size an object was stored with.
 * @pool: the pool.
 * @handle: the object's handle.
 *
 * Context: any thread; takes no lock.
 * Return: the object's size in bytes, or 0 for a NULL @pool or a @handle
 * the pool does not hold live.
 */
size_t zs_obj_size(struct zs_pool *pool, uint64_t handle);

/* Access.  A thread may hold ZS_MAX_THREAD_MAPS maps and
 * ZS_MAX_THREAD_READS open reads at once.  A mapped or read object is
 * pinned: it neither moves nor can be freed until released.  A map or read
 * is the calling thread's: only that thread ends it. */
#define ZS_MAX_THREAD_MAPS 8
#define ZS_MAX_THREAD_READS 8

/**
 * zs_map_object() - Map an object's bytes, contiguous.
 * @pool: the pool.
 * @handle: the object's handle.
 * @mm: ZS_MM_RW, ZS_MM_RO or ZS_MM_WO.
 *
 * Every object is mapped in place, one straddling two pages included (a
 * zspage is one contiguous run): the pointer is into the pool, nothing is
 * copied, and every map of the object, by any thread and in any mode,
 * shows the same bytes, writes included, at once.  Under ZS_MM_RO the
 * caller must not write.
 *
 * Context: any thread; takes no lock (pins the object, waiting while
 * compaction or page migration moves that very object).
 * Return: the object's zs_obj_size() bytes in the pool, valid until this
 * thread's zs_unmap_object(), or NULL with errno EINVAL (NULL @pool, @mm not one of
 * the three, a @handle the pool does not hold live) or EBUSY (this thread
 * maps @handle already, holds ZS_MAX_THREAD_MAPS maps, or the object has
 * 125 maps and reads open).
 */
void *zs_map_object(struct zs_pool *pool, uint64_t handle, enum zs_mapmode mm);

/**
 * zs_unmap_object() - End this thread's map of an object.
 * @pool: the pool.
 * @handle: the handle given to zs_map_object().
 *
 * Context: the thread that mapped @handle; takes no lock.
 * Return: 0, or -EINVAL (NULL @pool, or this thread holds no map of
 * @handle in @pool).
 */
int zs_unmap_object(struct zs_pool *pool, uint64_t handle);

/**
 * zs_obj_read_begin() - Open a read of an object's bytes.
 * @pool: the pool.
 * @handle: the object's handle.
 * @local_copy: unused and never written, NULL included: every object is
 *              read in place.  It stays for the kernel's signature, whose
 *              zspages are scattered pages and need a copy.
 *
 * A thread may read one object several times at once (each read counts
 * against ZS_MAX_THREAD_READS).  The bytes must not be written: they are
 * the object itself, and show other threads' writes at once.
 *
 * Context: any thread; takes no lock (pins the object, waiting while
 * compaction or page migration moves that very object).
 * Return: the object's bytes in the pool, valid until this thread's
 * zs_obj_read_end(), or NULL with errno EINVAL (NULL @pool, a @handle the
 * pool does not hold live) or EBUSY (this thread holds ZS_MAX_THREAD_READS
 * reads, or the object has 125 maps and reads open).
 */
const void *zs_obj_read_begin(struct zs_pool *pool, uint64_t handle,
			      void *local_copy);

/**
 * zs_obj_read_end() - End this thread's read of an object.
 * @pool: the pool.
 * @handle: the handle given to zs_obj_read_begin().
 * @mem: what zs_obj_read_begin() returned: it picks which of this thread's
 *       reads of @handle ends.  Another value (NULL included) still ends
 *       one of them.
 *
 * Context: the thread that opened the read; takes no lock.
 * Return: 0, or -EINVAL (NULL @pool, or this thread has no open read of
 * @handle in @pool).
 */
int zs_obj_read_end(struct zs_pool *pool, uint64_t handle, const void *mem);

/**
 * zs_obj_write() - Copy bytes to an object's start.
 * @pool: the pool.
 * @handle: the object's handle.
 * @src: @len bytes; may be NULL when @len is 0.
 * @len: 0 .. zs_obj_size() bytes; the bytes after them are left as they
 *       are.  0 writes nothing but still checks @handle.
 *
 * One copy, straight into the object: maps and reads held by any thread
 * see the bytes once the call returns.
 *
 * Context: any thread; takes no lock (pins the object, waiting while
 * compaction or page migration moves that very object).
 * Return: 0, -EINVAL (NULL @pool, @src NULL with @len above 0, a @handle
 * the pool does not hold live, @len above the object's size) or -EBUSY
 * (the object has 125 maps and reads open).
 */
int zs_obj_write(struct zs_pool *pool, uint64_t handle, const void *src,
		 size_t len);

/* Size and accounting. */

/**
 * zs_get_total_pages() - The pages a pool holds.
 * @pool: the pool.
 *
 * Context: any thread; takes no lock.
 * A zspage takes its run of chain_size pages at once but counts only the
 * pages its objects have reached (and keeps counting them until it is
 * freed); the others are not resident.  A huge object's page counts one.
 *
 * Return: pages held in zspages (what max_pages caps), 0 for a NULL @pool.
 */
unsigned long zs_get_total_pages(struct zs_pool *pool);

/**
 * zs_huge_class_size() - Where objects start taking a page each.
 * @pool: the pool.
 *
 * Objects of this size and up take a page each, stored without a tag:
 * with their 4-byte tag they would need more than a page.  The same for
 * every chain size.
 *
 * Context: any thread; takes no lock.
 * Return: 4093, 0 for a NULL @pool.
 */
size_t zs_huge_class_size(struct zs_pool *pool);

/**
 * zs_pool_stats() - Read a pool's counters.
 * @pool: the pool; NULL zero-fills *@st.
 * @st: receives the counters; NULL does nothing.
 *
 * Context: any thread; takes each shard's lock in turn, so counters of
 * different shards may be from different moments.
 */
void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st);

/**
 * zs_pool_class_count() - The number of distinct footprints.
 * @pool: the pool.
 *
 * Objects are not sorted into size classes; what the kernel's count
 * becomes is the number of distinct footprints (zs_class_size_for): 512
 * multiples of 8 bytes and the page of a huge object.
 *
 * Context: any thread; takes no lock.
 * Return: 513, 0 for a NULL @pool.
 */
unsigned zs_pool_class_count(struct zs_pool *pool);

/**
 * zs_class_size_for() - The bytes an object of @size takes in a zspage.
 * @pool: the pool.
 * @size: an object size.
 *
 * Context: any thread; takes no lock.
 * Return: its footprint (@size and its 4-byte tag, rounded up to 8; 4096
 * from zs_huge_class_size() on), or 0 for a NULL @pool or @size 0 or
 * above zs_max_alloc_size().
 */
size_t zs_class_size_for(struct zs_pool *pool, size_t size);

/* Moving objects. */

/**
 * zs_compact() - Move objects out of sparse zspages and free the emptied.
 * @pool: the pool.
 *
 * Per shard, the blocks kept for reuse (zs_free()) are freed first; then
 * objects move out of the emptiest zspages into gaps of the
 * others, while the shard's free space adds up to a whole zspage and the
 * objects fit; pinned objects (mapped or being read) stay.  Then the
 * emptiest zspage's objects slide to its start and the whole free pages
 * after them are given back.  A move never makes the pool count a page
 * more.  Huge objects' pages are never compacted.  A shard another
 * thread is compacting is skipped.  Adds to pages_compacted, objs_moved
 * and compactions.  When it frees pages, their memory goes back to the
 * OS before it returns, with all else the pool's arena retains for reuse
 * (zs_arena_release_retained()).
 *
 * Context: any thread; takes each shard's lock in turn, releasing it after
 * every object moved.
 * Return: pages freed, 0 for a NULL @pool.
 */
unsigned long zs_compact(struct zs_pool *pool);

/**
 * zs_shrinker_count() - The pages compaction could free now.
 * @pool: the pool.
 *
 * An estimate from counters, without a walk: per shard, the whole
 * zspages' worth of free bytes, less half an object's mean footprint per
 * zspage (the gap compaction typically cannot fill).  Huge zspages count
 * nothing.  Compaction may free a little more or, when objects do not
 * fit the gaps or are pinned, less.
 *
 * Context: any thread; takes no lock.
 * Return: the page count, 0 for a NULL @pool.
 */
unsigned long zs_shrinker_count(struct zs_pool *pool);

/**
 * zs_shrinker_scan() - Compact until @nr pages are freed.
 * @pool: the pool.
 * @nr: pages wanted; 0 does nothing.
 *
 * As zs_compact(), shard by shard, stopping once @nr pages are
 * freed or nothing more can be.  Pages go in whole zspages, so up to one
 * zspage more than @nr may be freed.
 *
 * Context: as zs_compact().
 * Return: pages freed, 0 for a NULL @pool.
 */
unsigned long zs_shrinker_scan(struct zs_pool *pool, unsigned long nr);

/* Checking and reporting. */

/**
 * zs_pool_check() - Verify a pool's consistency.
 * @pool: the pool.
 *
 * Recomputes every counter, list, descriptor and handle slot from the
 * stored objects and compares: every zspage is walked block by block and
 * every free-space index compared with the gaps found; also each page's
 * description in the arena.  Allocates nothing.
 *
 * Context: any thread, while others work; holds every shard's lock
 * for the walk (allocation and free in the pool wait), then takes the
 * descriptor table's and the arena's locks.
 * Return: 0, -EUCLEAN with one "zs: zs_pool_check(name): ..." report
 * (zs/report.h) on the first disagreement, or -EINVAL for a NULL @pool.
 */
int zs_pool_check(struct zs_pool *pool);

/**
 * zs_pool_print_classes() - Print the kernel's debugfs class table.
 * @pool: the pool; NULL prints nothing.
 * @out: the stream; NULL prints nothing.
 *
 * The kernel's columns, with one row per shard for its shared zspages
 * (class: the shard's index; size: 4092, the largest object they take)
 * and one for the huge zspages (size 4096): the zspage count per
 * fullness group (10% .. 90%, 99%, 100%, by bytes in use), obj_allocated
 * (what the zspages would hold at the row's mean footprint), obj_used,
 * pages_used (the pages reached, see zs_get_total_pages), pages_per_zspage
 * (chain_size: a zspage's run) and freeable, then a Total row.
 *
 * Context: any thread; takes each shard's lock in turn.
 */
void zs_pool_print_classes(struct zs_pool *pool, FILE *out);

/**
 * zs_pool_print_classes_json() - Print the class table as one JSON line.
 * @pool: the pool; NULL prints nothing.
 * @out: the stream; NULL prints nothing.
 *
 * An object with pool (the name), chain_size, huge_class_size, pages and
 * classes: per row of the text table, class, size, huge, groups,
 * obj_allocated, obj_used, pages_used, pages_per_zspage, objs_per_zspage
 * (at the row's mean footprint) and freeable.
 *
 * Context: any thread; takes each shard's lock in turn.
 */
void zs_pool_print_classes_json(struct zs_pool *pool, FILE *out);

/* Limits and test hooks. */

/**
 * zs_pool_set_max_pages() - Cap the pages a pool holds.
 * @pool: the pool; NULL does nothing.
 * @max_pages: the cap; 0 removes it.
 *
 * A new zspage that would take the pool past the cap is refused, so
 * zs_malloc() fails with -ENOMEM.  A cap below the pages held frees
 * nothing.
 *
 * Context: any thread; takes no lock.
 */
void zs_pool_set_max_pages(struct zs_pool *pool, unsigned long max_pages);

/**
 * zs_pool_inject_failures() - Make a pool's internal allocations fail.
 * @pool: the pool; NULL does nothing.
 * @after: allocations that still succeed first.
 * @count: allocations that fail then; 0 disarms.
 *
 * Counts the pool's internal allocations: a zspage's pages, and a new
 * chunk of the handle table or of the zspage descriptors.  Each failure is
 * an -ENOMEM of zs_malloc().  A call replaces the previous setting.
 *
 * Context: any thread.
 */
void zs_pool_inject_failures(struct zs_pool *pool, unsigned after,
			     unsigned count);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ZSMALLOC_H */
