/* SPDX-License-Identifier: MIT */
/*
 * zs/arena.h - the page layer every zs allocator takes its pages from.
 *
 * An arena hands out 4 KiB pages carved from large mmap'd regions and takes
 * them back.  Any number of pools (zsmalloc, zbud) may share one arena; a
 * process-wide default arena exists for pools created without one.
 *
 * Pages are movable: an owner registers isolate / migrate / putback
 * operations (the kernel's movable-page operations), so zs_arena_compact()
 * can move in-use pages out of sparsely used regions and return whole
 * regions to the operating system.  Errors are negative errno values;
 * pointer-returning calls set errno.  NULL for any pointer argument never
 * crashes: int results are then -EINVAL, pointer results NULL with errno
 * EINVAL, counts 0, and void calls do nothing (the exceptions say so
 * below).
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
 *
 * A run of n > 1 pages (zs_arena_alloc_run()) moves as a unit: each
 * operation is called once for the whole run, with the run's first page
 * (old and new), its cookie and index 0.  migrate copies all n pages (the
 * owner knows n from its own structures) into new_page, the first of n
 * contiguous pages; on success the arena frees the old run, on failure
 * the new one.  A run is only moved into a gap of its own length, so one
 * for which no region kept by the compaction has such a gap stays where
 * it is (and so does its region).
 */
struct zs_movable_ops {
	int (*isolate)(void *owner, void *page, uint32_t cookie,
		       uint32_t index);
	int (*migrate)(void *owner, void *old_page, void *new_page,
		       uint32_t cookie, uint32_t index);
	void (*putback)(void *owner, void *page, uint32_t cookie,
			uint32_t index);
};

/* How long an arena retains freed memory for reuse, by default: see
 * zs_arena_set_retain_ms(). */
#define ZS_ARENA_RETAIN_MS_DEFAULT 1000u

struct zs_arena_stats {
	unsigned long pages_in_use; /* pages handed to owners now */
	unsigned long pages_free; /* mapped, free, kept for reuse */
	unsigned long regions_mapped; /* regions currently mmap'd */
	unsigned long regions_released; /* regions munmap'd, cumulative */
	unsigned long pages_migrated; /* by zs_arena_compact, cumulative */
	unsigned long migrate_failures; /* isolate or migrate refused */
	size_t metadata_bytes; /* regions' maps and run records, tables */
};

/**
 * zs_arena_create() - Create an arena.
 *
 * Regions are mapped when pages are first needed.
 *
 * Context: any thread.
 * Return: the arena, or NULL with errno ENOMEM (the host refused memory).
 */
struct zs_arena *zs_arena_create(void);

/**
 * zs_arena_destroy() - Unmap an arena's regions and free it.
 * @arena: the arena; NULL is a no-op that returns 0.
 *
 * Every page must have been returned and every owner unregistered first
 * (the pools destroyed); otherwise the arena is left as it was.
 *
 * Context: any thread; takes the arena's lock.
 * Return: 0, or -EBUSY (@arena is the default arena, an owner is still
 * registered, or pages are still in use: that last is also reported
 * through zs/report.h).
 */
int zs_arena_destroy(struct zs_arena *arena);

/**
 * zs_arena_default() - The process-wide default arena.
 *
 * Created on first use and never destroyed.  A failed creation is not
 * remembered: the next call tries again.
 *
 * Context: any thread.
 * Return: the arena, or NULL with errno ENOMEM (the host refused memory).
 */
struct zs_arena *zs_arena_default(void);

/**
 * zs_arena_compact() - Move pages into the densest regions, unmap the rest.
 * @arena: the arena.
 *
 * Moves in-use movable pages out of the sparsest regions into the densest
 * ones that can hold them all, then returns every empty region to the OS.
 * Runs move as units, longest first, each into the tightest gap that
 * holds it.  With every page movable and unpinned, and every run of one
 * length that divides 512, one call leaves ceil(pages in use / 512)
 * regions and a second call moves nothing; runs of mixed lengths may find
 * no gap of their length in the kept regions and then keep one region
 * more (a run that finds none stays, and its region then takes runs in
 * the others' place).  A page whose owner refuses (a pinned object, a
 * mapped zbud buddy) stays and counts in migrate_failures.
 *
 * Context: any thread; takes the arena's lock briefly, and calls the
 * owners' operations without it (they take their own locks).
 * Return: pages moved (a run counts its pages), 0 for a NULL @arena, no
 * region mapped, another compaction of @arena running, or the host
 * refusing memory for the call's work lists.
 */
unsigned long zs_arena_compact(struct zs_arena *arena);

/**
 * zs_arena_trim() - Give the arena's unused memory back to the OS.
 * @arena: the arena; NULL does nothing.
 *
 * Unmaps every empty region (the spare one kept for reuse included) and
 * returns the physical memory of every free page (madvise), however long
 * it has been retained (zs_arena_set_retain_ms()).
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_trim(struct zs_arena *arena);

/**
 * zs_arena_set_retain_ms() - How long freed memory stays for reuse.
 * @arena: the arena; NULL does nothing.
 * @ms: milliseconds; 0 gives memory back as soon as it is freed.
 *
 * An arena keeps up to 256 free pages, and up to an eighth of the pages
 * in use, resident, and one empty region mapped, for as long as they stay
 * free.  Freed memory past that is retained too, so that a pool that
 * frees and soon allocates again reuses pages already faulted in instead
 * of paying a system call and a page fault for each.  Once the arena has
 * retained some for @ms (ZS_ARENA_RETAIN_MS_DEFAULT for a new arena), the
 * next page freed or taken gives back every free page and every empty
 * region but one.  An arena nobody calls keeps what it retains until
 * zs_arena_trim(), which gives everything back at once (the pressure
 * monitor of zs/pressure.h calls it).
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_set_retain_ms(struct zs_arena *arena, unsigned ms);

/**
 * zs_arena_release_retained() - Give back what the arena retains now.
 * @arena: the arena; NULL does nothing.
 *
 * What the end of the retention period does, at once: every free page
 * goes back to the OS (madvise) and every empty region but one spare is
 * unmapped.  zs_compact() and zs_shrinker_scan() call it when they have
 * freed pages, since they are asked for to give memory back.  While
 * zs_arena_compact() runs on @arena it does nothing (the compaction
 * unmaps the empty regions itself when it ends).
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_release_retained(struct zs_arena *arena);

/**
 * zs_arena_stats() - Read an arena's counters.
 * @arena: the arena; NULL zero-fills *@st.
 * @st: receives the counters; NULL does nothing.
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_stats(struct zs_arena *arena, struct zs_arena_stats *st);

/**
 * zs_arena_check() - Verify the arena's own bookkeeping.
 * @arena: the arena.
 *
 * A full consistency walk: region tables, free and dirty bitmaps against
 * the page counters, each page's map entry and each run's record (and
 * the record tables' free lists), the allocation hint, owners' callbacks
 * in flight.  Allocates nothing.
 *
 * Context: any thread, while others work; holds the arena's lock for the
 * walk.
 * Return: 0, -EUCLEAN with one "zs: zs_arena_check: ..." report
 * (zs/report.h) on the first disagreement, or -EINVAL for a NULL @arena.
 */
int zs_arena_check(struct zs_arena *arena);

/* --- the page-owner interface (used by zsmalloc and zbud) --- */

/**
 * zs_arena_register_owner() - Register a page owner.
 * @arena: the arena.
 * @owner: passed back to every operation.
 * @ops: the owner's movable-page operations, all three set; kept, not
 *       copied, until the owner is unregistered.
 *
 * Context: any thread; takes the arena's lock.
 * Return: the owner id (0 .. 1023), -EINVAL (NULL @arena, @owner, @ops or
 * callback), -ENOSPC (1024 owners registered, or slots whose
 * unregistered owners still hold pages) or -ENOMEM (the ninth owner's
 * slot is the first of a table the host refused to map).
 */
int zs_arena_register_owner(struct zs_arena *arena, void *owner,
			    const struct zs_movable_ops *ops);

/**
 * zs_arena_unregister_owner() - Unregister a page owner.
 * @arena: the arena; NULL does nothing.
 * @owner_id: the id; one outside 0 .. 1023 does nothing.
 *
 * Waits for the owner's operations in flight; none is called afterwards,
 * so the owner may then free its structures.  Pages the owner still holds
 * stay allocated (and keep its slot from reuse) until freed.
 *
 * Context: any thread but one inside the owner's operations; takes the
 * arena's lock.
 */
void zs_arena_unregister_owner(struct zs_arena *arena, int owner_id);

/**
 * zs_arena_alloc_page() - Allocate one page.
 * @arena: the arena.
 * @owner_id: a registered owner's id.
 *
 * The page's contents are undefined (zeroed or not).  It is described as
 * @owner_id's with cookie 0 and index 0, not movable, until
 * zs_arena_set_page_owner().
 *
 * Context: any thread; takes the arena's lock.
 * Return: the page, or NULL with errno EINVAL (NULL @arena, @owner_id not
 * registered) or ENOMEM (an injected failure, 8192 regions mapped, or the
 * host refused memory).
 */
void *zs_arena_alloc_page(struct zs_arena *arena, int owner_id);

/**
 * zs_arena_free_page() - Return a page to the arena.
 * @arena: the arena; NULL does nothing.
 * @page: a page of @arena's; NULL does nothing.
 *
 * Freeing a page that is not an allocated page of the arena (a double
 * free, a foreign pointer), or one page of a run of more than one
 * (zs_arena_free_run() frees those), is corruption: it is reported
 * (zs/report.h) and the process aborts.
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_free_page(struct zs_arena *arena, void *page);

/**
 * zs_arena_alloc_pages() - Allocate @n pages under one lock.
 * @arena: the arena.
 * @owner_id: a registered owner's id.
 * @n: the page count; 0 allocates nothing.
 * @pages: receives the @n pages; may be NULL when @n is 0.
 * @cookie: recorded for every page.
 * @movable: nonzero lets zs_arena_compact() move the pages.
 *
 * Page i is described as (@cookie, i, @movable): what a zspage needs.
 *
 * Context: any thread; takes the arena's lock.
 * Return: 0, -EINVAL (NULL @arena, @owner_id not registered, @pages NULL
 * with @n above 0) or -ENOMEM (an injected failure, 8192 regions mapped,
 * or the host refused memory; nothing is taken).
 */
int zs_arena_alloc_pages(struct zs_arena *arena, int owner_id, unsigned n,
			 void **pages, uint32_t cookie, int movable);

/**
 * zs_arena_free_pages() - Return @n pages to the arena.
 * @arena: the arena; NULL does nothing.
 * @pages: the pages; NULL does nothing.
 * @n: the page count.
 *
 * Each page is freed as by zs_arena_free_page(), corruption included.
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_free_pages(struct zs_arena *arena, void *const *pages,
			 unsigned n);

/**
 * zs_arena_set_page_owner() - Describe an allocated page.
 * @arena: the arena; NULL does nothing.
 * @page: the page; NULL, or a page that is not an allocated page of
 *        @arena, does nothing.
 * @cookie: what the owner needs to find its structures from the page.
 * @index: likewise.
 * @movable: 0 keeps the page out of zs_arena_compact().
 *
 * A page of a run of more than one page (zs_arena_alloc_run()) is left
 * alone too: a run is described once, when it is allocated, and moves as
 * a unit.
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_set_page_owner(struct zs_arena *arena, void *page,
			     uint32_t cookie, uint32_t index, int movable);

/* The longest run zs_arena_alloc_run() hands out: a zspage's pages. */
#define ZS_ARENA_MAX_RUN 16

/**
 * zs_arena_alloc_run() - Allocate @n contiguous pages.
 * @arena: the arena.
 * @owner_id: a registered owner's id.
 * @n: the page count, 1 .. ZS_ARENA_MAX_RUN.
 * @cookie: recorded for every page of the run.
 * @movable: nonzero lets zs_arena_compact() move the run (as a unit, see
 *           struct zs_movable_ops).
 *
 * The run lies inside one region: one contiguous range of @n pages, so an
 * owner can treat it as one span of memory.  Page i is described as
 * (@cookie, i, @movable).  Contents are undefined.  Free it with
 * zs_arena_free_run(); zs_arena_free_page() and zs_arena_free_pages() on
 * a page of a run of more than one page are corruption.
 *
 * Context: any thread; takes the arena's lock.
 * Return: the run's first page, or NULL with errno EINVAL (NULL @arena,
 * @owner_id not registered, @n 0 or above ZS_ARENA_MAX_RUN) or ENOMEM (an
 * injected failure, counted as @n pages; 8192 regions mapped; or the host
 * refused memory); nothing is taken then.
 */
void *zs_arena_alloc_run(struct zs_arena *arena, int owner_id, unsigned n,
			 uint32_t cookie, int movable);

/**
 * zs_arena_alloc_run_resident() - zs_arena_alloc_run(), telling how much
 * of the run may already be resident.
 * @arena, @owner_id, @n, @cookie, @movable: as for zs_arena_alloc_run().
 * @resident: set to k, 1 <= k <= @n: the run's pages from the k-th on are
 *            not resident (never written since their region was mapped,
 *            or purged since) and read as zeroes until written.
 *
 * For an owner that fills a run from its start and counts only the pages
 * it has written (a zspage growing in place): it counts the first k at
 * once, as they cost memory whether or not it writes them.  A run freed
 * by zs_arena_free_run() is all resident until the arena purges it, so a
 * run reused soon after comes back whole.
 *
 * Context: any thread; takes the arena's lock.
 * Return: as zs_arena_alloc_run() (EINVAL also for a NULL @resident).
 */
void *zs_arena_alloc_run_resident(struct zs_arena *arena, int owner_id,
				  unsigned n, uint32_t cookie, int movable,
				  unsigned *resident);

/**
 * zs_arena_free_run() - Return a whole run to the arena.
 * @arena: the arena; NULL does nothing.
 * @run: the run's first page, as zs_arena_alloc_run() returned it (or a
 *       page from zs_arena_alloc_page(), a run of one); NULL does nothing.
 *
 * Freeing anything but the first page of an allocated run (a double free,
 * a page inside a run, a foreign pointer) is corruption: it is reported
 * (zs/report.h) and the process aborts.
 *
 * Context: any thread; takes the arena's lock.
 */
void zs_arena_free_run(struct zs_arena *arena, void *run);

/**
 * zs_arena_free_run_of() - Free a run, if it is the one an owner names.
 * @arena: the arena.
 * @run: the run's first page.
 * @owner_id: the owner the run must be described as belonging to.
 * @cookie: the cookie it must be described with.
 *
 * zs_arena_free_run() for an owner that finds a run through its own
 * records (a number it stored) rather than a pointer the arena gave it:
 * a damaged record must not free someone else's pages, so the arena frees
 * only a one-page run, allocated, described as (@owner_id, @cookie, page
 * 0), and otherwise changes nothing.  A run a compaction holds isolated
 * (the owner's isolate accepted it, migrate or putback is still to come)
 * stops counting as the owner's at once and is freed when the move ends:
 * the owner's migrate must refuse it then, its object being gone.
 *
 * Context: any thread; takes the arena's lock.
 * Return: 0 (freed), -ESTALE (@run is not such a run: nothing freed) or
 * -EINVAL (NULL @arena or @run).
 */
int zs_arena_free_run_of(struct zs_arena *arena, void *run, int owner_id,
			 uint32_t cookie);

/**
 * zs_arena_page_number() - A page's number: its name in 32 bits.
 * @arena: the arena.
 * @page: an allocated page of @arena.
 * @number: receives the number.
 *
 * A page's number stays its own while the page is allocated (a move gives
 * the new page another), and numbers stay below 2^22.  An owner keeping
 * many single pages can store a number in a 32-bit field where a pointer
 * would need 64, and turn it back with zs_arena_page_at() without the
 * lock.
 *
 * Context: any thread; takes the arena's lock.
 * Return: 0, -ENOENT (@page is not an allocated page of @arena) or
 * -EINVAL (NULL @arena, @page or @number).
 */
int zs_arena_page_number(struct zs_arena *arena, const void *page,
			 uint32_t *number);

/**
 * zs_arena_alloc_numbered_page() - zs_arena_alloc_run() of one page, with
 * its number.
 * @arena: the arena.
 * @owner_id: a registered owner's id.
 * @cookie: recorded for the page.
 * @movable: as for zs_arena_alloc_run().
 * @number: receives the page's number (zs_arena_page_number()).
 *
 * For an owner that keeps the page by number: one call and one lock
 * where zs_arena_alloc_run() and zs_arena_page_number() take two.
 *
 * Context: any thread; takes the arena's lock.
 * Return: the page, or NULL with errno as zs_arena_alloc_run() (EINVAL
 * also for a NULL @number); nothing is taken then.
 */
void *zs_arena_alloc_numbered_page(struct zs_arena *arena, int owner_id,
				   uint32_t cookie, int movable,
				   uint32_t *number);

/**
 * zs_arena_page_at() - The page of a number zs_arena_page_number() gave.
 * @arena: the arena.
 * @number: the number.
 *
 * Without the lock: the caller keeps the page allocated meanwhile (it
 * owns it), so the region holding it cannot go away.
 *
 * Context: any thread; lock-free.
 * Return: the page, or NULL when @arena is NULL or no region holds
 * @number (a number never given, or its region released since).
 */
void *zs_arena_page_at(const struct zs_arena *arena, uint32_t number);

/* What the arena records of an allocated page, for owners' own checks. */
struct zs_arena_page_info {
	int owner_id;
	uint32_t cookie;
	uint32_t index;
	int movable; /* 1: zs_arena_compact may move it */
	int isolated; /* 1: a move of it (of its run) is in progress */
	unsigned run_pages; /* pages in its run; 1 unless zs_arena_alloc_run */
	void *run; /* the run's first page */
};

/**
 * zs_arena_page_info() - What the arena records of a page.
 * @arena: the arena.
 * @page: the page.
 * @info: receives the description.
 *
 * Context: any thread; takes the arena's lock.
 * Return: 0 and *@info, -ENOENT (@page is not an allocated page of
 * @arena) or -EINVAL (NULL @arena, @page or @info).
 */
int zs_arena_page_info(struct zs_arena *arena, const void *page,
		       struct zs_arena_page_info *info);

/**
 * zs_arena_owner_pages() - The pages the arena describes as an owner's.
 * @arena: the arena.
 * @owner_id: the owner's id, 0 .. 1023 (an unregistered one reports the
 *            pages its former owner still holds).
 * @pages: receives the page count.
 * @moving: receives the pages of the owner's runs being moved: each move
 *          holds the run and its copy until it ends, so @pages counts
 *          these twice.
 *
 * An owner's own check compares these with its page count: @pages is
 * exactly its pages plus @moving.
 *
 * Context: any thread; takes the arena's lock.
 * Return: 0, or -EINVAL (NULL @arena, @pages or @moving, @owner_id outside
 * 0 .. 1023).
 */
int zs_arena_owner_pages(struct zs_arena *arena, int owner_id,
			 unsigned long *pages, unsigned *moving);

/**
 * zs_arena_inject_failures() - Make the arena's page allocations fail.
 * @arena: the arena; NULL does nothing.
 * @after: pages that are still allocated first.
 * @count: page allocations that fail then, as if mmap had refused
 *         (ENOMEM); 0 disarms.
 *
 * Counts every page of zs_arena_alloc_page(), zs_arena_alloc_pages() and
 * zs_arena_alloc_run() (a run of n pages fails when any of its n would);
 * the pages zs_arena_compact() moves into are not counted.  A call
 * replaces the previous setting.
 *
 * Context: any thread.
 */
void zs_arena_inject_failures(struct zs_arena *arena, unsigned after,
			      unsigned count);

#ifdef __cplusplus
}
#endif
#endif /* ZS_ARENA_H */
