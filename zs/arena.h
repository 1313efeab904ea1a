/*
 * zs/arena.h - the page layer every zs allocator takes its pages from.
 *
 * An arena hands out 4 KiB pages carved from large mmap'd regions and takes
 * them back.  Any number of pools (zsmalloc, zbud) may share one arena; a
 * process-wide default arena exists for pools created without one.
 *
 * Pages are movable: an owner registers isolate / migrate / putback
 * operations (seed 003), so zs_arena_compact() can move in-use pages out of
 * sparsely used regions and return whole regions to the operating system.
 * Errors are negative errno values; pointer-returning calls set errno.
 * NULL for any pointer argument never crashes: int results are then
 * -EINVAL, pointer results NULL with errno EINVAL, counts 0, and void
 * calls do nothing.
 */
#ifndef ZS_ARENA_H
#define ZS_ARENA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_PAGE_SHIFT 12
#define ZS_PAGE_SIZE (1UL << ZS_PAGE_SHIFT)

struct zs_arena;

/*
 * Movable-page operations, registered once per owner (a pool).  The arena
 * calls them, never with any arena lock held, to move one page:
 *   isolate(owner, page, cookie, index): 0 when the owner lets the page be
 *       moved (and keeps it from being freed until migrate or putback), or a
 *       negative errno (-EAGAIN: pinned or busy now, try later).
 *   migrate(owner, old_page, new_page, cookie, index): copy the page and
 *       switch every reference from old_page to new_page; 0 or -EAGAIN.
 *       On success the arena frees old_page; on failure it frees new_page.
 *   putback(owner, page, cookie, index): the move was abandoned after a
 *       successful isolate; the owner takes the page back as it was.
 * cookie and index are the values the owner gave zs_arena_set_page_owner().
 */
struct zs_movable_ops {
	int (*isolate)(void *owner, void *page, uint32_t cookie,
		       uint32_t index);
	int (*migrate)(void *owner, void *old_page, void *new_page,
		       uint32_t cookie, uint32_t index);
	void (*putback)(void *owner, void *page, uint32_t cookie,
			uint32_t index);
};

struct zs_arena_stats {
	unsigned long pages_in_use; /* pages handed to owners now */
	unsigned long pages_free; /* mapped, free, kept for reuse */
	unsigned long regions_mapped; /* regions currently mmap'd */
	unsigned long regions_released; /* regions munmap'd, cumulative */
	unsigned long pages_migrated; /* by zs_arena_compact, cumulative */
	unsigned long migrate_failures; /* isolate or migrate refused */
	size_t metadata_bytes; /* region descriptors and tables */
};

/* A new arena.  NULL + ENOMEM when the OS refuses memory. */
struct zs_arena *zs_arena_create(void);
/* Frees the arena; every page must have been returned first (owners' pools
 * destroyed).  NULL is a no-op; an arena still in use is reported and left
 * alone (-EBUSY). */
int zs_arena_destroy(struct zs_arena *arena);
/* The process-wide default arena (created on first use, never destroyed). */
struct zs_arena *zs_arena_default(void);

/* Moves in-use movable pages out of the sparsest regions into the densest
 * ones that can hold them all, then returns every empty region to the OS.
 * With every page movable and unpinned one call leaves
 * ceil(pages in use / 512) regions and a second call moves nothing.
 * Returns pages moved (0 for NULL, or while another compaction runs). */
unsigned long zs_arena_compact(struct zs_arena *arena);
/* Returns the physical memory of every free page to the OS (madvise). */
void zs_arena_trim(struct zs_arena *arena);
void zs_arena_stats(struct zs_arena *arena, struct zs_arena_stats *st);
/* Full consistency walk of the arena's own bookkeeping: region tables,
 * free and dirty bitmaps against the page counters, page descriptors,
 * the allocation hint, owners' callbacks in flight.  0, -EUCLEAN with one
 * "zs: zs_arena_check: ..." report (zs/report.h) on the first
 * disagreement, or -EINVAL for NULL.  Safe while other threads work. */
int zs_arena_check(struct zs_arena *arena);

/* --- the page-owner interface (used by zsmalloc and zbud) --- */

/* Registers an owner; returns its id (>= 0), -EINVAL (NULL arena, owner,
 * ops or callback) or -ENOSPC (1024 owners registered, or slots whose
 * unregistered owners still hold pages). */
int zs_arena_register_owner(struct zs_arena *arena, void *owner,
			    const struct zs_movable_ops *ops);
void zs_arena_unregister_owner(struct zs_arena *arena, int owner_id);
/* One page, zeroed or not.  NULL with errno ENOMEM, or EINVAL for an
 * owner id that is not registered. */
void *zs_arena_alloc_page(struct zs_arena *arena, int owner_id);
/* Freeing a page that is not an allocated page of the arena is reported
 * as corruption and aborts (zs/report.h); a NULL page is a no-op. */
void zs_arena_free_page(struct zs_arena *arena, void *page);
/* n pages under one lock, page i described as (cookie, i, movable): what a
 * zspage needs.  0, -ENOMEM with nothing taken, or -EINVAL (owner id not
 * registered, pages NULL with n > 0). */
int zs_arena_alloc_pages(struct zs_arena *arena, int owner_id, unsigned n,
			 void **pages, uint32_t cookie, int movable);
void zs_arena_free_pages(struct zs_arena *arena, void *const *pages,
			 unsigned n);
/* Records what the owner needs to find its structures from the page alone.
 * movable = 0 keeps the page out of zs_arena_compact. */
void zs_arena_set_page_owner(struct zs_arena *arena, void *page,
			     uint32_t cookie, uint32_t index, int movable);

/* What the arena records of an allocated page, for owners' own checks. */
struct zs_arena_page_info {
	int owner_id;
	uint32_t cookie;
	uint32_t index;
	int movable; /* 1: zs_arena_compact may move it */
	int isolated; /* 1: a move of it is in progress */
};

/* 0 and *info, -ENOENT when page is not an allocated page of this arena,
 * -EINVAL for NULL arguments. */
int zs_arena_page_info(struct zs_arena *arena, const void *page,
		       struct zs_arena_page_info *info);

/* The pages the arena describes as owner_id's, and the page moves of
 * that owner in flight (each may hold one page more for a moment): an
 * owner's own check compares its count with these.  0 or -EINVAL. */
int zs_arena_owner_pages(struct zs_arena *arena, int owner_id,
			 unsigned long *pages, unsigned *moving);

/* Test hook: after `after` more successful page allocations, the next
 * `count` fail as if mmap had refused (ENOMEM).  count 0 disarms. */
void zs_arena_inject_failures(struct zs_arena *arena, unsigned after,
			      unsigned count);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ARENA_H */
