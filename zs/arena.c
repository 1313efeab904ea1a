// SPDX-License-Identifier: MIT
/*
 * arena.c - pages for every zs allocator, carved from mmap'd regions.
 *
 * Why a layer of our own instead of mmap per page: a page costs a system
 * call and a VMA otherwise, and pages of many pools can be packed into few
 * regions so that whole regions go back to the OS.  Each region is 2 MiB
 * (512 pages) with side tables saying who owns each page, so
 * zs_arena_compact() can ask an owner to move a page (isolate / migrate /
 * putback, the 2015 generic compaction callbacks) without knowing what the
 * owner stores.
 *
 * Locking: one mutex per arena guards the region table, bitmaps and owner
 * table.  Owner callbacks are always called without it, so owners may take
 * their own locks and call back into the arena.  An owner being called is
 * marked busy; unregistering waits for it, so a pool can be destroyed while
 * another thread compacts the arena.
 *
 * Pages are handed out as runs: n contiguous pages of one region (one page
 * for alloc_page and alloc_pages, up to ZS_ARENA_MAX_RUN for alloc_run), so
 * an owner can lay one object over several pages without copying.  A run
 * is described once and moves as a unit, only into a gap of its own length.
 *
 * Metadata (zs/arena_internal.h): per page a 2-byte map entry (free, the
 * head of a run with its record's number, or page k of a run), per run a
 * 12-byte record (owner, cookie, index, flags, length) in a table per
 * region that doubles on demand and reuses freed records through a free
 * list.  Why not a descriptor per page, as before: every page of a run
 * said the same thing, so the pool's 8-page zspages paid 12 B per page
 * where 3.8 B now do (DESIGN.md); and why not records in one arena-wide
 * table: a region's table dies with the region, and a record number fits
 * in the 2-byte entry.  Any page finds its head (entry k back) and its
 * record (the head's entry) in O(1).  A record is taken before anything
 * else changes, so a table that cannot grow fails the allocation with
 * ENOMEM and the arena as it was.  The owner table is mapped for 1024
 * owners, but only the slots below the highest id ever registered are
 * written (a page of them for the first hundred owners), and that is what
 * zs_arena_stats counts; it never moves, so an owner's slot may be held
 * across the lock's release.
 *
 * Freed memory is retained for reuse a while (zs_arena_set_retain_ms)
 * before it goes back to the OS: giving it back at once cost a fill after
 * a free of the same size a system call and a page fault per page, which
 * on this project's VM made storing pages 1.5x slower than a malloc that
 * keeps its freed memory.
 *
 * zs_arena_check recomputes every counter, bitmap and table from the map
 * and records; owners' checks (zs_pool_check, zbud_pool_check) ask
 * zs_arena_page_info whether each of their pages is described as theirs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r, with -std=c11 */
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "zs/arena.h"
#include "zs/arena_internal.h"
#include "zs/host.h"
#include "zs/report_internal.h"

/* The process-wide default arena, made on first use.  A failed attempt
 * (the host out of memory) is not remembered: the next caller tries again,
 * so one early ENOMEM does not leave the process without one for good. */
static _Atomic(struct zs_arena *) default_arena;
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static void *region_page(const struct arena_region *r, unsigned i)
{
	return r->base + (size_t)i * ZS_PAGE_SIZE;
}

static bool bit_test(const uint64_t *map, unsigned i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *map, unsigned i)
{
	map[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t *map, unsigned i)
{
	map[i / 64] &= ~(1ull << (i % 64));
}

struct zs_arena *zs_arena_create(void)
{
	/* Its tables' first entries are inline: a small arena is this one
	 * host allocation (see struct zs_arena). */
	struct zs_arena *a = zs_host_calloc(1, sizeof(*a));

	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->idle, NULL);
	a->retain_ms = ZS_ARENA_RETAIN_MS_DEFAULT;
	return a;
}

int zs_arena_spill(struct zs_arena *a)
{
	char *m;

	if (a->regions_spill)
		return 0;
	/* sized for the limits (160 KiB), of which only the pages below the
	 * high-water marks are ever written */
	m = zs_host_map_zeroed(ARENA_SPILL_BYTES);
	if (!m)
		return -ENOMEM;
	a->regions_spill = (struct arena_region **)(void *)m;
	a->by_addr_spill = (unsigned *)(void *)(m + ARENA_SPILL_REGIONS_BYTES);
	a->owners_spill =
		(struct arena_owner *)(void *)(m + ARENA_SPILL_REGIONS_BYTES +
					       ARENA_SPILL_BY_ADDR_BYTES);
	return 0;
}

static void release_region(struct zs_arena *a, unsigned slot)
{
	struct arena_region *r = arena_region_at(a, slot);
	/* the entries there are: a count past the table as mapped is damage
	 * (zs_arena_check reports it), and the shift stays inside it */
	unsigned n = a->nregions < arena_regions_mapped(a) ?
			     a->nregions :
			     arena_regions_mapped(a);
	unsigned k, j;

	for (k = 0; k < n && arena_by_addr_at(a, k) != slot; k++)
		;
	for (j = k; j + 1 < n; j++)
		*arena_by_addr(a, j) = arena_by_addr_at(a, j + 1);
	a->nregions--;
	for (k = 0; k < ARENA_REGION_PAGES; k++)
		if (bit_test(r->dirty_map, k))
			a->pages_dirty--;
	a->pages_free -= ARENA_REGION_PAGES;
	munmap(r->base, ARENA_REGION_SIZE);
	if (r->recs != r->first_recs)
		free(r->recs);
	free(r);
	*arena_region_slot(a, slot) = NULL;
	a->regions_released++;
}

int zs_arena_destroy(struct zs_arena *arena)
{
	unsigned i;

	if (!arena)
		return 0;
	/* Not zs_arena_default(): that would make one just to compare. */
	if (arena == atomic_load(&default_arena))
		return -EBUSY;
	pthread_mutex_lock(&arena->lock);
	if (arena->pages_in_use) {
		pthread_mutex_unlock(&arena->lock);
		ZS_REPORT(ZS_FINDING_ARENA_DESTROY_BUSY, arena->pages_in_use);
		return -EBUSY;
	}
	for (i = 0; i < arena->owner_limit; i++) {
		const struct arena_owner *o = arena_owner_at(arena, i);

		/* no slot past the table as mapped was ever registered: a
		 * limit past it is damage (zs_arena_check reports it) */
		if (!o)
			break;
		if (o->live) {
			pthread_mutex_unlock(&arena->lock);
			return -EBUSY;
		}
	}
	/* an entry naming no region ends it: only a count past the regions
	 * there are (damage, as above) leaves one first */
	while (arena->nregions && arena_region_by_addr(arena, 0))
		release_region(arena, arena_by_addr_at(arena, 0));
	pthread_mutex_unlock(&arena->lock);
	pthread_mutex_destroy(&arena->lock);
	pthread_cond_destroy(&arena->idle);
	if (arena->regions_spill)
		zs_host_unmap(arena->regions_spill, ARENA_SPILL_BYTES);
	free(arena);
	return 0;
}

struct zs_arena *zs_arena_default(void)
{
	struct zs_arena *a =
		atomic_load_explicit(&default_arena, memory_order_acquire);

	if (a)
		return a;
	pthread_mutex_lock(&default_lock);
	a = atomic_load_explicit(&default_arena, memory_order_relaxed);
	if (!a) {
		a = zs_arena_create();
		atomic_store_explicit(&default_arena, a, memory_order_release);
	}
	pthread_mutex_unlock(&default_lock);
	if (!a)
		errno = ENOMEM;
	return a;
}

/* Maps one more region; returns its slot or -1. */
static int add_region(struct zs_arena *a)
{
	struct arena_region *r;
	unsigned slot, k;
	void *base;

	for (slot = 0; slot < ARENA_MAX_REGIONS && arena_region_at(a, slot);
	     slot++)
		;
	if (slot == ARENA_MAX_REGIONS ||
	    (slot >= ARENA_INLINE_REGIONS && zs_arena_spill(a)))
		return -1;
	/* a free slot means an entry by address to spare, unless the count
	 * is past the table as mapped (damage zs_arena_check reports): no
	 * region is added on its word */
	if (!arena_by_addr(a, a->nregions))
		return -1;
	r = zs_host_calloc(1, sizeof(*r));
	if (!r)
		return -1;
	base = zs_host_refuses() ?
		       MAP_FAILED :
		       mmap(NULL, ARENA_REGION_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		free(r);
		return -1;
	}
	r->base = base;
	/* a fresh region has records to spare, so a run taken from it never
	 * waits on its table's growth */
	r->recs = r->first_recs;
	r->rec_cap = ARENA_RECS_MIN;
	r->slot = slot;
	if (slot + 1 > a->slot_limit)
		a->slot_limit = slot + 1;
	memset(r->free_map, 0xff, sizeof(r->free_map));
	*arena_region_slot(a, slot) = r;
	/* keep by_addr sorted so a page finds its region by binary search */
	for (k = a->nregions; k > 0; k--) {
		const struct arena_region *prev =
			arena_region_by_addr(a, k - 1);

		/* (an entry naming no region is damage: stop at it) */
		if (!prev || prev->base <= r->base)
			break;
		*arena_by_addr(a, k) = arena_by_addr_at(a, k - 1);
	}
	*arena_by_addr(a, k) = slot;
	a->nregions++;
	a->pages_free += ARENA_REGION_PAGES;
	if (slot < a->alloc_hint)
		a->alloc_hint = slot;
	return (int)slot;
}

static struct arena_region *find_region(struct zs_arena *a, const void *page,
					unsigned *page_index)
{
	const char *p = page;
	unsigned lo = 0, hi = a->nregions;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct arena_region *r = arena_region_by_addr(a, mid);

		/* an entry naming no region: a count past the table (damage
		 * zs_arena_check reports); the page is nobody's */
		if (!r)
			return NULL;
		if (p < r->base) {
			hi = mid;
		} else if (p >= r->base + ARENA_REGION_SIZE) {
			lo = mid + 1;
		} else {
			if ((size_t)(p - r->base) % ZS_PAGE_SIZE)
				return NULL;
			*page_index = (unsigned)((size_t)(p - r->base) /
						 ZS_PAGE_SIZE);
			return r;
		}
	}
	return NULL;
}

/* The first page at or after from whose free bit is want, or
 * ARENA_REGION_PAGES: a word at a time, so finding a gap costs a few
 * instructions per 64 pages rather than one per page. */
static unsigned next_bit(const uint64_t *map, unsigned from, bool want)
{
	unsigned w = from / 64;
	uint64_t word;

	if (from >= ARENA_REGION_PAGES)
		return ARENA_REGION_PAGES;
	word = (want ? map[w] : ~map[w]) & (~0ull << (from % 64));
	while (!word) {
		if (++w == ARENA_BITMAP_WORDS)
			return ARENA_REGION_PAGES;
		word = want ? map[w] : ~map[w];
	}
	return w * 64 + (unsigned)__builtin_ctzll(word);
}

/* The first gap (a maximal range of free pages) at or after from: false
 * when there is none, else its first page and length. */
static bool next_gap(const struct arena_region *r, unsigned from,
		     unsigned *start, unsigned *len)
{
	unsigned s = next_bit(r->free_map, from, true);

	if (s == ARENA_REGION_PAGES)
		return false;
	*start = s;
	*len = next_bit(r->free_map, s, false) - s;
	return true;
}

/* The lowest n free pages in a row in r, or -1. */
static int first_fit(const struct arena_region *r, unsigned n)
{
	unsigned from = 0, s, len;

	if (ARENA_REGION_PAGES - r->in_use < n)
		return -1;
	for (; next_gap(r, from, &s, &len); from = s + len)
		if (len >= n)
			return (int)s;
	return -1;
}

/*
 * Where compaction puts a run of n pages: the shortest gap that holds it
 * in any region not being evacuated, the lowest on a tie.  Runs move
 * longest first, and a gap of exactly their length is taken before a
 * longer one is cut, so long gaps stay whole for the long runs still to
 * come and short ones fill up with short runs; first fit would cut the
 * first long gap into pieces no later long run fits.  NULL when no gap
 * is long enough.
 */
static struct arena_region *best_fit(const struct zs_arena *a, unsigned n,
				     unsigned *at)
{
	struct arena_region *best = NULL;
	unsigned best_len = ARENA_REGION_PAGES + 1, slot, from, s, len;

	for (slot = 0; slot < a->slot_limit; slot++) {
		struct arena_region *r = arena_region_at(a, slot);

		/* a move never grows a table (see zs_arena_compact): a
		 * region with no spare record takes no run */
		if (!r || r->evacuating || ARENA_REGION_PAGES - r->in_use < n ||
		    r->rec_used >= r->rec_cap)
			continue;
		for (from = 0; next_gap(r, from, &s, &len); from = s + len) {
			if (len < n || len >= best_len)
				continue;
			best = r;
			best_len = len;
			*at = s;
			if (len == n)
				return best;
		}
	}
	return best;
}

static bool map_tail(uint16_t m)
{
	return m & ARENA_MAP_TAIL;
}

/* A tail's place in its run. */
static unsigned map_place(uint16_t m)
{
	return m & ~ARENA_MAP_TAIL;
}

/* The record of the run headed by page h of r, or NULL when h's map entry
 * names none that was handed out (a free page, a tail, corruption). */
static struct arena_run_rec *head_rec(const struct arena_region *r, unsigned h)
{
	uint16_t m = r->map[h];

	return m && !map_tail(m) && m <= r->rec_top ? &r->recs[m - 1] : NULL;
}

/*
 * The sizes a region's record table takes: doubling from the region's own
 * ARENA_RECS_MIN, but through 33 rather than 32, up to the 66 a region of
 * 8-page runs needs (64 records: 2032 B of metadata, 3.97 B per page);
 * past that, steps of a quarter to a third, so a region that also holds
 * single pages (huge objects) leaves at most a quarter of its table
 * spare, not half.  The growth points (the 5th, 9th, 17th, 34th, 67th,
 * 84th ... run of a region) stay off the powers of two at which zbud's
 * and the pool's own tables double, so one allocation does not pay for
 * two growths at once.
 */
static const uint16_t rec_caps[] = { ARENA_RECS_MIN,
				     8,
				     16,
				     33,
				     66,
				     83,
				     99,
				     132,
				     165,
				     198,
				     264,
				     330,
				     396,
				     462,
				     ARENA_REGION_PAGES };

/* Grows r's table to hold need records (need <= ARENA_REGION_PAGES), to
 * the next of rec_caps; false, r as it was, when the host refuses. */
static bool rec_reserve(struct arena_region *r, unsigned need)
{
	struct arena_run_rec *recs;
	bool first = r->recs == r->first_recs;
	unsigned cap, k;

	if (need <= r->rec_cap)
		return true;
	for (k = 0; rec_caps[k] < need; k++)
		;
	cap = rec_caps[k];
	recs = zs_host_realloc(first ? NULL : r->recs, cap * sizeof(*recs));
	if (!recs)
		return false;
	if (first)
		memcpy(recs, r->first_recs, sizeof(r->first_recs));
	memset(recs + r->rec_cap, 0, (cap - r->rec_cap) * sizeof(*recs));
	r->recs = recs;
	r->rec_cap = (uint16_t)cap;
	return true;
}

/*
 * A record for a new run in r: a freed one first, then one never handed
 * out, then the table doubled (zeroed past what it held).  -1, with r as
 * it was, when the host refuses the growth.  A region needs at most one
 * record per page, and a run is only asked for where a page is free, so
 * the table never outgrows ARENA_REGION_PAGES.
 */
static int rec_take(struct arena_region *r)
{
	unsigned n;

	if (r->rec_free) {
		n = r->rec_free - 1u;
		r->rec_free = (uint16_t)r->recs[n].index;
		r->recs[n].index = 0;
		return (int)n;
	}
	if (r->rec_top >= ARENA_REGION_PAGES ||
	    !rec_reserve(r, r->rec_top + 1u))
		return -1;
	return r->rec_top++;
}

/* Record n of r, its run gone, onto the free list. */
static void rec_put(struct arena_region *r, unsigned n)
{
	r->recs[n] = (struct arena_run_rec){ .index = r->rec_free };
	r->rec_free = (uint16_t)(n + 1);
	r->rec_used--;
}

/* r has emptied: a grown table is freed, so a region that once held 512
 * single pages does not keep 6 KiB of records for ever, and r goes back
 * to its own first records.  No realloc: a free, and a compaction's
 * moves, must not ask the host for memory (a refusal there could not be
 * reported). */
static void rec_reset(struct arena_region *r)
{
	if (r->recs != r->first_recs)
		free(r->recs);
	memset(r->first_recs, 0, sizeof(r->first_recs));
	r->recs = r->first_recs;
	r->rec_cap = ARENA_RECS_MIN;
	r->rec_top = 0;
	r->rec_used = 0;
	r->rec_free = 0;
}

/* Takes pages i .. i+n-1 of r, all free, for owner_id and describes them
 * as one run (cookie, index, flags); NULL, with nothing taken, when r's
 * record table cannot grow. */
static void *claim_run(struct zs_arena *a, struct arena_region *r, unsigned i,
		       unsigned n, int owner_id, uint32_t cookie,
		       uint32_t index, uint8_t flags, unsigned *resident)
{
	int rec = rec_take(r);
	unsigned k, last_dirty = 0;

	if (rec < 0)
		return NULL;
	r->recs[rec] = (struct arena_run_rec){
		.cookie = cookie,
		.index = index,
		.owner = (uint16_t)(owner_id + 1),
		.flags = flags,
		.pages = (uint8_t)n,
	};
	r->rec_used++;
	for (k = 0; k < n; k++) {
		bit_clear(r->free_map, i + k);
		if (bit_test(r->dirty_map, i + k)) {
			bit_clear(r->dirty_map, i + k);
			a->pages_dirty--;
			last_dirty = k;
		}
		r->map[i + k] = (uint16_t)(k ? ARENA_MAP_TAIL | k : rec + 1u);
	}
	/* Free pages not dirty were never written since their region was
	 * mapped, or were purged: past the last dirty one, none of the run
	 * is resident.  (Purging the dirty ones instead would cost a system
	 * call and a fault a page each time a run is reused.) */
	if (resident)
		*resident = last_dirty + 1;
	r->in_use += n;
	arena_owner_slot(a, owner_id)->pages += n;
	a->pages_in_use += n;
	a->pages_free -= n;
	return region_page(r, i);
}

/*
 * Takes a run of n free pages from a region that is not being evacuated,
 * mapping a region when none has such a gap.
 *
 * Placement: the lowest region slot with a gap, the lowest gap in it that
 * is long enough (first fit), as single pages always took the lowest free
 * page.  Filling from the bottom keeps the pages in use packed into the
 * low regions and leaves the high ones to empty, which is what lets
 * compaction and the spare-region rule give regions back; frees lower the
 * hint, so holes left low are refilled first.  The hint stays the lowest
 * slot with any free page (a run may not fit there, a later page will).
 * NULL, the arena as it was, when no region can be mapped or the chosen
 * one's record table cannot grow (a fresh region's always has room).
 */
static void give_back_retained(struct zs_arena *a, bool retained);

static void *take_run(struct zs_arena *a, int owner_id, unsigned n,
		      uint32_t cookie, uint32_t index, uint8_t flags,
		      unsigned *resident)
{
	struct arena_region *r = NULL;
	void *page;
	bool hinted = false;
	unsigned slot;
	int i = -1;

	for (slot = a->alloc_hint; slot < a->slot_limit && i < 0; slot++) {
		r = arena_region_at(a, slot);
		if (!r || r->evacuating || r->in_use == ARENA_REGION_PAGES)
			continue;
		if (!hinted && !a->compacting) {
			a->alloc_hint = slot;
			hinted = true;
		}
		i = first_fit(r, n);
	}
	if (i < 0) {
		int s = add_region(a);

		if (s < 0)
			return NULL;
		r = arena_region_at(a, s);
		i = 0;
	}
	page = claim_run(a, r, (unsigned)i, n, owner_id, cookie, index, flags,
			 resident);
	if (page)
		give_back_retained(a, false);
	return page;
}

/* Page i's run's first page (i itself unless a tail); lock held.  A place
 * past the region's start (corruption zs_arena_check reports) gives i. */
static unsigned run_head(const struct arena_region *r, unsigned i)
{
	uint16_t m = r->map[i];

	return map_tail(m) && map_place(m) <= i ? i - map_place(m) : i;
}

/* Whether allocated page i is part of a run of more than one page. */
static bool in_long_run(const struct arena_region *r, unsigned i)
{
	const struct arena_run_rec *rec = head_rec(r, i);

	return map_tail(r->map[i]) || (rec && rec->pages > 1);
}

/* An id that names a registered owner; arena lock held. */
static bool owner_live(const struct zs_arena *a, int owner_id)
{
	const struct arena_owner *o;

	if (owner_id < 0 || (unsigned)owner_id >= a->owner_limit)
		return false;
	/* NULL past the table as mapped, which only a damaged limit reaches
	 * (zs_arena_check reports it): no owner */
	o = arena_owner_at(a, (unsigned)owner_id);
	return o && o->live;
}

void *zs_arena_alloc_page(struct zs_arena *arena, int owner_id)
{
	void *page;

	if (!arena) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&arena->lock);
	if (!owner_live(arena, owner_id)) {
		pthread_mutex_unlock(&arena->lock);
		errno = EINVAL;
		return NULL;
	}
	if (zs_fault_counter_fires(&arena->inject)) {
		pthread_mutex_unlock(&arena->lock);
		errno = ENOMEM;
		return NULL;
	}
	page = take_run(arena, owner_id, 1, 0, 0, 0, NULL);
	pthread_mutex_unlock(&arena->lock);
	if (!page)
		errno = ENOMEM;
	return page;
}

/* Returns runs of dirty free pages to the OS: they stay mapped, but read
 * back as zeroes and cost no memory until touched again. */
static void purge_dirty(struct zs_arena *a)
{
	unsigned k, i;

	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r = arena_region_by_addr(a, k);

		/* past the regions there are: a damaged count, see
		 * arena_by_addr */
		if (!r)
			break;
		for (i = 0; i < ARENA_REGION_PAGES;) {
			unsigned j = i;

			while (j < ARENA_REGION_PAGES &&
			       bit_test(r->dirty_map, j))
				j++;
			if (j > i) {
				madvise(region_page(r, i),
					(size_t)(j - i) * ZS_PAGE_SIZE,
					MADV_DONTNEED);
				for (; i < j; i++)
					bit_clear(r->dirty_map, i);
			}
			i = j + 1;
		}
	}
	a->pages_dirty = 0;
}

/* Unmaps every empty region but `keep` of them (spares avoid mmap churn). */
static void release_empty_regions(struct zs_arena *a, unsigned keep)
{
	unsigned k = 0;

	while (k < a->nregions) {
		unsigned slot = arena_by_addr_at(a, k);
		struct arena_region *r = arena_region_at(a, slot);

		/* past the regions there are: a damaged count, see
		 * arena_by_addr */
		if (!r)
			break;
		if (r->in_use == 0 && !r->evacuating) {
			if (keep) {
				keep--;
			} else {
				release_region(a, slot);
				continue;
			}
		}
		k++;
	}
}

/* The arena's clock for retention, in ms; never 0.  The coarse clock is
 * read without a system call and ticks every few ms, which is plenty for
 * a period of hundreds. */
static uint64_t arena_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u +
	       1u;
}

/* More dirty free pages than the arena keeps for ever. */
static bool dirty_past_floor(const struct zs_arena *a)
{
	return a->pages_dirty > ARENA_DIRTY_PURGE_MIN &&
	       a->pages_dirty > a->pages_in_use / 8;
}

/* Gives back every dirty free page and every empty region but a spare,
 * and stops the retention clock.  Not while a compaction runs: it holds
 * regions by slot across the lock's release, and gives back the empty
 * ones itself when it ends. */
static void give_back_now(struct zs_arena *a)
{
	if (a->compacting)
		return;
	release_empty_regions(a, 1);
	purge_dirty(a);
	a->retained_since = 0;
}

/* After pages were freed or taken: starts the retention clock when the
 * caller has just retained free memory past the floor (`retained`), and
 * once the arena has retained some for retain_ms, gives it back. */
static void give_back_retained(struct zs_arena *a, bool retained)
{
	uint64_t now;

	if (!retained && !a->retained_since)
		return;
	now = arena_clock_ms();
	if (!a->retained_since)
		a->retained_since = now;
	if (now - a->retained_since >= a->retain_ms)
		give_back_now(a);
}

/* Frees pages i .. i+n-1 of r (a run); r may be unmapped on return. */
static void put_run(struct zs_arena *a, struct arena_region *r, unsigned i,
		    unsigned n)
{
	const struct arena_run_rec *rec = head_rec(r, i);
	unsigned slot = r->slot, k;

	if (rec) {
		struct arena_owner *o =
			rec->owner ? arena_owner_slot(a, rec->owner - 1u) :
				     NULL;

		/* an owner number past every slot is a damaged record,
		 * which zs_arena_check reports */
		if (o)
			o->pages -= n;
		rec_put(r, r->map[i] - 1u);
	}
	for (k = i; k < i + n; k++) {
		r->map[k] = 0;
		bit_set(r->free_map, k);
		bit_set(r->dirty_map, k);
	}
	r->in_use -= n;
	if (r->in_use == 0)
		rec_reset(r);
	a->pages_in_use -= n;
	a->pages_free += n;
	a->pages_dirty += n;
	if (slot < a->alloc_hint)
		a->alloc_hint = slot;
	give_back_retained(a, (r->in_use == 0 && !r->evacuating) ||
				      dirty_past_floor(a));
}

/* free_page or free_pages (fn) met a page of a longer run; lock held. */
static _Noreturn void abort_page_in_run(struct zs_arena *a, const char *fn,
					const void *page,
					const struct arena_region *r,
					unsigned i)
{
	unsigned head = run_head(r, i);
	const struct arena_run_rec *rec = head_rec(r, head);
	unsigned n = rec ? rec->pages : 0;

	pthread_mutex_unlock(&a->lock);
	ZS_REPORT(ZS_FINDING_ABORT_ARENA_FREE_PAGE_IN_RUN, fn, page, i - head,
		  n);
	zs_corruption_abort();
}

void zs_arena_free_page(struct zs_arena *arena, void *page)
{
	struct arena_region *r;
	unsigned i;

	if (!arena || !page)
		return;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (!r || bit_test(r->free_map, i) ||
	    (!map_tail(r->map[i]) && !head_rec(r, i))) {
		pthread_mutex_unlock(&arena->lock);
		ZS_REPORT(ZS_FINDING_ABORT_ARENA_FREE_PAGE_NOT_ALLOCATED, page);
		zs_corruption_abort();
	}
	if (in_long_run(r, i))
		abort_page_in_run(arena, "zs_arena_free_page", page, r, i);
	put_run(arena, r, i, 1);
	pthread_mutex_unlock(&arena->lock);
}

int zs_arena_alloc_pages(struct zs_arena *arena, int owner_id, unsigned n,
			 void **pages, uint32_t cookie, int movable)
{
	unsigned i;

	if (!arena || (n && !pages))
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	if (!owner_live(arena, owner_id)) {
		pthread_mutex_unlock(&arena->lock);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (zs_fault_counter_fires(&arena->inject))
			break;
		pages[i] = take_run(arena, owner_id, 1, cookie, i,
				    movable ? ARENA_RUN_MOVABLE : 0, NULL);
		if (!pages[i])
			break;
	}
	if (i < n) {
		while (i--) {
			struct arena_region *r;
			unsigned pi;

			r = find_region(arena, pages[i], &pi);
			put_run(arena, r, pi, 1);
		}
		pthread_mutex_unlock(&arena->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

void zs_arena_free_pages(struct zs_arena *arena, void *const *pages, unsigned n)
{
	unsigned i;

	if (!arena || !pages)
		return;
	pthread_mutex_lock(&arena->lock);
	for (i = 0; i < n; i++) {
		struct arena_region *r;
		unsigned pi;

		r = find_region(arena, pages[i], &pi);
		if (!r || bit_test(r->free_map, pi) ||
		    (!map_tail(r->map[pi]) && !head_rec(r, pi))) {
			pthread_mutex_unlock(&arena->lock);
			ZS_REPORT(
				ZS_FINDING_ABORT_ARENA_FREE_PAGES_NOT_ALLOCATED,
				pages[i]);
			zs_corruption_abort();
		}
		if (in_long_run(r, pi))
			abort_page_in_run(arena, "zs_arena_free_pages",
					  pages[i], r, pi);
		put_run(arena, r, pi, 1);
	}
	pthread_mutex_unlock(&arena->lock);
}

/* zs_arena_alloc_run, and the run's first page's number into *number
 * and how many of its first pages may be resident into *resident, each
 * when not NULL (found under the same lock). */
static void *alloc_run(struct zs_arena *arena, int owner_id, unsigned n,
		       uint32_t cookie, int movable, uint32_t *number,
		       unsigned *resident)
{
	void *run = NULL;
	unsigned k;

	if (!arena || !n || n > ZS_ARENA_MAX_RUN) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&arena->lock);
	if (!owner_live(arena, owner_id)) {
		pthread_mutex_unlock(&arena->lock);
		errno = EINVAL;
		return NULL;
	}
	/* every page asks, as zs_arena_alloc_pages' do: a test that fails
	 * the k-th page fails the run holding it */
	for (k = 0; k < n; k++)
		if (zs_fault_counter_fires(&arena->inject))
			break;
	if (k == n)
		run = take_run(arena, owner_id, n, cookie, 0,
			       movable ? ARENA_RUN_MOVABLE : 0, resident);
	if (run && number) {
		const struct arena_region *r = find_region(arena, run, &k);

		*number = (uint32_t)r->slot * ARENA_REGION_PAGES + k;
	}
	pthread_mutex_unlock(&arena->lock);
	if (!run)
		errno = ENOMEM;
	return run;
}

void *zs_arena_alloc_run(struct zs_arena *arena, int owner_id, unsigned n,
			 uint32_t cookie, int movable)
{
	return alloc_run(arena, owner_id, n, cookie, movable, NULL, NULL);
}

void *zs_arena_alloc_run_resident(struct zs_arena *arena, int owner_id,
				  unsigned n, uint32_t cookie, int movable,
				  unsigned *resident)
{
	if (!resident) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_run(arena, owner_id, n, cookie, movable, NULL, resident);
}

void *zs_arena_alloc_numbered_page(struct zs_arena *arena, int owner_id,
				   uint32_t cookie, int movable,
				   uint32_t *number)
{
	if (!number) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_run(arena, owner_id, 1, cookie, movable, number, NULL);
}

void zs_arena_free_run(struct zs_arena *arena, void *run)
{
	struct arena_region *r;
	unsigned i, n = 0;

	if (!arena || !run)
		return;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, run, &i);
	if (r && !bit_test(r->free_map, i) && head_rec(r, i))
		n = head_rec(r, i)->pages;
	/* a length overwritten past the region would free others' pages */
	if (!n || n > ZS_ARENA_MAX_RUN || i + n > ARENA_REGION_PAGES) {
		pthread_mutex_unlock(&arena->lock);
		ZS_REPORT(ZS_FINDING_ABORT_ARENA_FREE_RUN_NOT_ALLOCATED, run);
		zs_corruption_abort();
	}
	put_run(arena, r, i, n);
	pthread_mutex_unlock(&arena->lock);
}

int zs_arena_free_run_of(struct zs_arena *arena, void *run, int owner_id,
			 uint32_t cookie)
{
	struct arena_run_rec *rec = NULL;
	struct arena_region *r;
	unsigned i;

	if (!arena || !run)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, run, &i);
	if (r && !bit_test(r->free_map, i))
		rec = head_rec(r, i);
	if (!rec || rec->pages != 1 || (int)rec->owner - 1 != owner_id ||
	    rec->cookie != cookie || rec->index != 0 ||
	    (rec->flags & ARENA_RUN_FREED)) {
		pthread_mutex_unlock(&arena->lock);
		return -ESTALE;
	}
	if (rec->flags & ARENA_RUN_ISOLATED) {
		/* a move holds it: it stops being the owner's now, and the
		 * move gives it back when it ends (the owner's migrate,
		 * finding its object gone, refuses) */
		rec->flags |= ARENA_RUN_FREED;
		arena_owner_slot(arena, owner_id)->pages -= 1;
	} else {
		put_run(arena, r, i, 1);
	}
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

/* A page's number is its region's slot and its index there: slots are
 * never renumbered while a region has pages in use. */
int zs_arena_page_number(struct zs_arena *arena, const void *page,
			 uint32_t *number)
{
	struct arena_region *r;
	unsigned i;
	int err = -ENOENT;

	if (!arena || !page || !number)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (r && !bit_test(r->free_map, i)) {
		*number = (uint32_t)r->slot * ARENA_REGION_PAGES + i;
		err = 0;
	}
	pthread_mutex_unlock(&arena->lock);
	return err;
}

void *zs_arena_page_at(const struct zs_arena *arena, uint32_t number)
{
	const struct arena_region *r;

	if (!arena)
		return NULL;
	/* The slot's entry was written, under the lock, before the page
	 * was handed out, and is cleared only once the region is empty;
	 * the caller's page keeps it in use. */
	r = arena_region_at(arena, number / ARENA_REGION_PAGES);
	return r ? region_page(r, number % ARENA_REGION_PAGES) : NULL;
}

void zs_arena_set_page_owner(struct zs_arena *arena, void *page,
			     uint32_t cookie, uint32_t index, int movable)
{
	struct arena_region *r;
	unsigned i;

	if (!arena || !page)
		return;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (r && !bit_test(r->free_map, i) && head_rec(r, i) &&
	    !in_long_run(r, i)) {
		struct arena_run_rec *rec = head_rec(r, i);

		rec->cookie = cookie;
		rec->index = index;
		if (movable)
			rec->flags |= ARENA_RUN_MOVABLE;
		else
			rec->flags &= (uint8_t)~ARENA_RUN_MOVABLE;
	}
	pthread_mutex_unlock(&arena->lock);
}

int zs_arena_register_owner(struct zs_arena *arena, void *owner,
			    const struct zs_movable_ops *ops)
{
	int id;

	if (!arena || !owner || !ops || !ops->isolate || !ops->migrate ||
	    !ops->putback)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	/* the lowest slot free for good; past the inline ones while nothing
	 * is spilled, every slot is */
	for (id = 0; id < ARENA_MAX_OWNERS; id++) {
		const struct arena_owner *o = arena_owner_slot(arena, id);

		if (!o || (!o->live && !o->busy && !o->pages))
			break;
	}
	if (id == ARENA_MAX_OWNERS) {
		pthread_mutex_unlock(&arena->lock);
		return -ENOSPC;
	}
	if (id >= (int)ARENA_INLINE_OWNERS && zs_arena_spill(arena)) {
		pthread_mutex_unlock(&arena->lock);
		return -ENOMEM;
	}
	*arena_owner_slot(arena, id) = (struct arena_owner){ .owner = owner,
							     .ops = ops,
							     .live = true };
	if ((unsigned)id >= arena->owner_limit)
		arena->owner_limit = (unsigned)id + 1;
	pthread_mutex_unlock(&arena->lock);
	return id;
}

void zs_arena_unregister_owner(struct zs_arena *arena, int owner_id)
{
	struct arena_owner *o;

	if (!arena || owner_id < 0 || owner_id >= ARENA_MAX_OWNERS)
		return;
	pthread_mutex_lock(&arena->lock);
	/* a slot never registered is never written (metadata_bytes counts
	 * the slots below owner_limit) */
	if ((unsigned)owner_id >= arena->owner_limit) {
		pthread_mutex_unlock(&arena->lock);
		return;
	}
	o = arena_owner_slot(arena, owner_id);
	/* past the table as mapped: a damaged limit, never registered */
	if (!o) {
		pthread_mutex_unlock(&arena->lock);
		return;
	}
	o->live = false;
	/* A compaction may be inside this owner's callbacks: wait it out so
	 * the owner can free its structures once we return. */
	while (o->busy)
		pthread_cond_wait(&arena->idle, &arena->lock);
	pthread_mutex_unlock(&arena->lock);
}

void zs_arena_inject_failures(struct zs_arena *arena, unsigned after,
			      unsigned count)
{
	if (arena)
		zs_fault_counter_arm(&arena->inject, after, count);
}

void zs_arena_trim(struct zs_arena *arena)
{
	if (!arena)
		return;
	pthread_mutex_lock(&arena->lock);
	release_empty_regions(arena, 0);
	purge_dirty(arena);
	arena->retained_since = 0;
	pthread_mutex_unlock(&arena->lock);
}

void zs_arena_release_retained(struct zs_arena *arena)
{
	if (!arena)
		return;
	pthread_mutex_lock(&arena->lock);
	give_back_now(arena);
	pthread_mutex_unlock(&arena->lock);
}

void zs_arena_set_retain_ms(struct zs_arena *arena, unsigned ms)
{
	if (!arena)
		return;
	pthread_mutex_lock(&arena->lock);
	arena->retain_ms = ms;
	/* what is retained now goes by the new period */
	give_back_retained(arena, false);
	pthread_mutex_unlock(&arena->lock);
}

/* The resident bytes of a spilled table whose high-water mark is limit
 * entries of size bytes: the pages of those past the inline ones. */
static size_t spilled_bytes(unsigned limit, unsigned inline_entries,
			    size_t size)
{
	return limit > inline_entries ?
		       zs_host_resident((limit - inline_entries) * size) :
		       0;
}

void zs_arena_stats(struct zs_arena *arena, struct zs_arena_stats *st)
{
	unsigned k;

	if (!st)
		return;
	if (!arena) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&arena->lock);
	st->pages_in_use = arena->pages_in_use;
	st->pages_free = arena->pages_free;
	st->regions_mapped = arena->nregions;
	st->regions_released = arena->regions_released;
	st->pages_migrated = arena->pages_migrated;
	st->migrate_failures = arena->migrate_failures;
	/* the arena with its inline table entries; of the spilled tables,
	 * the pages slots were ever written in; of each region, its header,
	 * map and bitmaps and every record allocated past its own (used,
	 * free or spare) */
	st->metadata_bytes =
		sizeof(*arena) +
		spilled_bytes(arena->slot_limit, ARENA_INLINE_REGIONS,
			      sizeof(struct arena_region *)) +
		spilled_bytes(arena->slot_limit, ARENA_INLINE_REGIONS,
			      sizeof(unsigned)) +
		spilled_bytes(arena->owner_limit, ARENA_INLINE_OWNERS,
			      sizeof(struct arena_owner)) +
		arena->nregions * sizeof(struct arena_region);
	for (k = 0; k < arena->nregions; k++) {
		const struct arena_region *r = arena_region_by_addr(arena, k);

		/* past the regions there are: a damaged count, see
		 * arena_by_addr */
		if (!r)
			break;
		if (r->recs != r->first_recs)
			st->metadata_bytes +=
				r->rec_cap * sizeof(struct arena_run_rec);
	}
	pthread_mutex_unlock(&arena->lock);
}

static int cmp_in_use_desc(const void *x, const void *y, void *ctx)
{
	struct zs_arena *a = ctx;
	unsigned ux = arena_region_at(a, *(const unsigned *)x)->in_use;
	unsigned uy = arena_region_at(a, *(const unsigned *)y)->in_use;

	return ux < uy ? 1 : ux > uy ? -1 : 0;
}

/*
 * Where a new home for a run of n pages comes from during compaction: the
 * tightest gap in a kept region (best_fit).  A single page with nowhere to
 * go (allocations racing with the compaction filled the kept regions)
 * still gets a fresh region, as before runs existed; a longer run does
 * not, since a region mapped for it would only be one more to empty.
 */
static void *take_move_target(struct zs_arena *a, const struct arena_run_rec *d)
{
	struct arena_region *r;
	unsigned at = 0;
	uint8_t flags = (uint8_t)(d->flags & ARENA_RUN_MOVABLE);

	r = best_fit(a, d->pages, &at);
	if (!r && d->pages == 1)
		return take_run(a, d->owner - 1, 1, d->cookie, d->index, flags,
				NULL);
	if (!r)
		return NULL;
	return claim_run(a, r, at, d->pages, d->owner - 1, d->cookie, d->index,
			 flags, NULL);
}

/*
 * Moves the run whose first page is page i of r, one isolate / migrate /
 * putback for the whole run; called without the lock.  Returns the pages
 * moved, 0 when the run is gone, unmovable or refused (or the host
 * refused a target's record), or -ENOSPC when no kept region has a gap
 * for it.  The target is taken and described before isolate: once
 * migrate returns the owner may free it at any moment, and a run with
 * nowhere to go is never isolated at all.  The run's record is found
 * again after each unlocked stretch: r's table may have moved (grown)
 * meanwhile, its number in the head's map entry not.
 */
static long move_run(struct zs_arena *a, struct arena_region *r, unsigned i)
{
	struct arena_run_rec d, *rec;
	struct arena_owner *o;
	struct arena_region *nr;
	void *old_run = region_page(r, i), *new_run;
	unsigned n, ni;
	bool moved = false;

	pthread_mutex_lock(&a->lock);
	rec = head_rec(r, i);
	if (bit_test(r->free_map, i) || !rec ||
	    !(rec->flags & ARENA_RUN_MOVABLE) || !rec->owner ||
	    !owner_live(a, rec->owner - 1)) {
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	d = *rec;
	n = d.pages;
	new_run = take_move_target(a, &d);
	if (!new_run) {
		/* asked under the lock: the regions change once it is let go */
		int err = n > 1 && !best_fit(a, n, &ni) ? -ENOSPC : 0;

		pthread_mutex_unlock(&a->lock);
		return err;
	}
	o = arena_owner_slot(a, d.owner - 1u);
	o->busy++;
	o->moving += n;
	head_rec(r, i)->flags |= ARENA_RUN_ISOLATED;
	pthread_mutex_unlock(&a->lock);

	if (o->ops->isolate(o->owner, old_run, d.cookie, d.index) == 0) {
		if (o->ops->migrate(o->owner, old_run, new_run, d.cookie,
				    d.index) == 0)
			moved = true;
		else
			o->ops->putback(o->owner, old_run, d.cookie, d.index);
	}

	pthread_mutex_lock(&a->lock);
	rec = head_rec(r, i);
	if (rec && (rec->flags & ARENA_RUN_FREED)) {
		/* freed while isolated: the owner's count let it go then */
		rec->owner = 0;
		put_run(a, r, i, n);
	} else if (moved) {
		put_run(a, r, i, n);
	} else if (rec) {
		/* an owner that refused isolate may have freed the run
		 * meanwhile (and the page may head another run now, which
		 * no other move can have isolated: one compaction at a time) */
		rec->flags &= (uint8_t)~ARENA_RUN_ISOLATED;
	}
	if (moved) {
		a->pages_migrated += n;
	} else {
		nr = find_region(a, new_run, &ni);
		put_run(a, nr, ni, n);
		a->migrate_failures++;
	}
	o->busy--;
	o->moving -= n;
	pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
	return moved ? (long)n : 0;
}

/* A run to move, as listed when the compaction starts. */
struct move_item {
	unsigned src; /* the region's place in the compaction's order */
	uint16_t page;
	uint8_t len;
};

/* Longest first (see best_fit), then sparse-region order and address, so
 * the order is the same on every run. */
static int cmp_move(const void *x, const void *y)
{
	const struct move_item *p = x, *q = y;

	if (p->len != q->len)
		return p->len > q->len ? -1 : 1;
	if (p->src != q->src)
		return p->src < q->src ? -1 : 1;
	return p->page < q->page ? -1 : p->page > q->page;
}

/*
 * Part of a compaction's plan: every kept region (the first keep of
 * order) given records for every run that could move into it, so that
 * no move asks the host for memory.  A move that did could not fail
 * cleanly: runs before it have moved, and a caller that gave the host no
 * memory is promised that a compaction either plans and moves or does
 * nothing (zs_arena_compact returns 0).  The most runs that fit in a
 * region's free pages are the shortest listed ones, so that is what it
 * gets (a region of 8-page runs with a gap of 8 needs one record more at
 * most, not one per free page).  false, with tables grown so far kept
 * (counted in metadata_bytes, used by later runs), when the host refuses.
 * Lock held.
 */
static bool reserve_targets(struct zs_arena *a, const unsigned *order,
			    unsigned keep, const struct move_item *items,
			    unsigned nitems)
{
	unsigned cnt[ZS_ARENA_MAX_RUN + 1] = { 0 };
	unsigned k, len, room, runs, take;

	for (k = 0; k < nitems; k++)
		if (items[k].len <= ZS_ARENA_MAX_RUN)
			cnt[items[k].len]++;
	for (k = 0; k < keep; k++) {
		struct arena_region *r = arena_region_at(a, order[k]);

		room = ARENA_REGION_PAGES - r->in_use;
		runs = 0;
		for (len = 1; len <= ZS_ARENA_MAX_RUN; len++) {
			take = room / len < cnt[len] ? room / len : cnt[len];
			runs += take;
			room -= take * len;
		}
		if (runs && !rec_reserve(r, r->rec_used + runs))
			return false;
	}
	return true;
}

unsigned long zs_arena_compact(struct zs_arena *arena)
{
	struct zs_arena *a = arena;
	unsigned *order, n, k, keep, i, nitems = 0;
	unsigned long total = 0, moved = 0, capacity = 0, listed = 0;
	struct move_item *items = NULL;
	bool *kept = NULL;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	/* nothing moves on the word of a count past the table as mapped
	 * (damage zs_arena_check reports), nor is sized by it */
	if (a->compacting || a->nregions == 0 ||
	    a->nregions > arena_regions_mapped(a)) {
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	n = a->nregions;
	order = zs_host_malloc(n * sizeof(*order));
	kept = zs_host_calloc(n, sizeof(*kept));
	if (!order || !kept)
		goto fail;
	for (k = 0; k < n; k++) {
		order[k] = arena_by_addr_at(a, k);
		/* an entry naming no region: the count is past them */
		if (!arena_region_at(a, order[k]))
			goto fail;
	}
	qsort_r(order, n, sizeof(*order), cmp_in_use_desc, a);
	/* The densest regions that can hold every page in use stay; the
	 * others are evacuated into them.  Empty ones are marked too, so no
	 * page moves into a spare region that is about to be unmapped: the
	 * kept regions have room for every page that leaves. */
	for (k = 0; k < n; k++)
		total += arena_region_at(a, order[k])->in_use;
	for (keep = 0; keep < n && capacity < total; keep++)
		capacity += ARENA_REGION_PAGES;
	for (k = keep; k < n; k++)
		listed += arena_region_at(a, order[k])->in_use;
	items = zs_host_malloc((listed ? listed : 1) * sizeof(*items));
	if (!items)
		goto fail;
	a->compacting = true;
	for (k = keep; k < n; k++) {
		struct arena_region *r = arena_region_at(a, order[k]);

		r->evacuating = true;
		for (i = 0; i < ARENA_REGION_PAGES; i++) {
			const struct arena_run_rec *rec = head_rec(r, i);

			if (!bit_test(r->free_map, i) && rec &&
			    (rec->flags & ARENA_RUN_MOVABLE))
				items[nitems++] = (struct move_item){
					.src = k,
					.page = (uint16_t)i,
					.len = rec->pages,
				};
		}
	}
	if (!reserve_targets(a, order, keep, items, nitems)) {
		for (k = keep; k < n; k++)
			arena_region_at(a, order[k])->evacuating = false;
		a->compacting = false;
		goto fail;
	}
	pthread_mutex_unlock(&a->lock);

	qsort(items, nitems, sizeof(*items), cmp_move);
	for (k = 0; k < nitems; k++) {
		unsigned src = items[k].src;
		long got;

		/* a kept region may already be unmapped: never touch it */
		if (kept[src])
			continue;
		got = move_run(a, arena_region_at(a, order[src]),
			       items[k].page);
		if (got > 0) {
			moved += (unsigned long)got;
		} else if (got == -ENOSPC) {
			/* The run has no gap to go to, so its region stays:
			 * rather than empty it for nothing, it becomes a
			 * target for the shorter runs still to move.  One
			 * region more than the minimum, instead of one more
			 * per region holding such a run. */
			pthread_mutex_lock(&a->lock);
			arena_region_at(a, order[src])->evacuating = false;
			pthread_mutex_unlock(&a->lock);
			kept[src] = true;
		}
	}

	pthread_mutex_lock(&a->lock);
	for (k = keep; k < n; k++)
		if (!kept[k])
			arena_region_at(a, order[k])->evacuating = false;
	release_empty_regions(a, 0);
	a->alloc_hint = 0;
	a->compacting = false;
	pthread_mutex_unlock(&a->lock);
	free(order);
	free(kept);
	free(items);
	return moved;
fail:
	pthread_mutex_unlock(&a->lock);
	free(order);
	free(kept);
	free(items);
	return 0;
}

int zs_arena_page_info(struct zs_arena *arena, const void *page,
		       struct zs_arena_page_info *info)
{
	const struct arena_run_rec *rec = NULL;
	struct arena_region *r;
	unsigned i, h = 0;

	if (!arena || !page || !info)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	r = find_region(arena, page, &i);
	if (r && !bit_test(r->free_map, i)) {
		h = run_head(r, i);
		rec = head_rec(r, h);
	}
	/* an allocated page whose head names no record is corruption that
	 * zs_arena_check reports; here it is described as nobody's */
	if (!rec) {
		pthread_mutex_unlock(&arena->lock);
		return -ENOENT;
	}
	info->owner_id = (int)rec->owner - 1;
	info->cookie = rec->cookie;
	info->index = i == h ? rec->index : i - h;
	info->movable = !!(rec->flags & ARENA_RUN_MOVABLE);
	info->isolated = !!(rec->flags & ARENA_RUN_ISOLATED);
	info->run_pages = rec->pages;
	info->run = region_page(r, h);
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

int zs_arena_owner_pages(struct zs_arena *arena, int owner_id,
			 unsigned long *pages, unsigned *moving)
{
	const struct arena_owner *o;

	if (!arena || !pages || !moving || owner_id < 0 ||
	    owner_id >= ARENA_MAX_OWNERS)
		return -EINVAL;
	pthread_mutex_lock(&arena->lock);
	o = arena_owner_slot(arena, owner_id);
	/* a slot never spilled holds nothing */
	*pages = o ? o->pages : 0;
	*moving = o ? o->moving : 0;
	pthread_mutex_unlock(&arena->lock);
	return 0;
}

/* zs_arena_check's findings: "zs: zs_arena_check: <what>". */
#define CHECK_FAIL(kind, ...)                                          \
	do {                                                           \
		zs_report_finding(kind, "zs_arena_check: " kind##_FMT, \
				  ##__VA_ARGS__);                      \
		err = -EUCLEAN;                                        \
		goto out;                                              \
	} while (0)

static unsigned popcount_map(const uint64_t *map)
{
	unsigned w, n = 0;

	for (w = 0; w < ARENA_BITMAP_WORDS; w++)
		n += (unsigned)__builtin_popcountll(map[w]);
	return n;
}

/*
 * The run headed by allocated page i of r, whose record is rec: a length
 * in range that ends inside the region, a longer run's head told index 0,
 * then every other page present and marked as its tail at the right
 * place.  Lock held.
 */
static int check_run(const struct arena_region *r, unsigned i,
		     const struct arena_run_rec *rec)
{
	unsigned k, n = rec->pages;
	int err = 0;

	if (!n || n > ZS_ARENA_MAX_RUN || i + n > ARENA_REGION_PAGES)
		CHECK_FAIL(ZS_FINDING_ARENA_RUN_LENGTH, r->slot, i, n,
			   ZS_ARENA_MAX_RUN);
	for (k = 0; k < n; k++) {
		uint16_t m = r->map[i + k];
		bool gone = bit_test(r->free_map, i + k);

		if (k && (gone || !map_tail(m)))
			CHECK_FAIL(ZS_FINDING_ARENA_RUN_TAIL_MISSING, r->slot,
				   i, n, k,
				   gone ? "free" : "not marked as its tail");
		/* page k of a longer run is told k as its index; a run of
		 * one keeps whatever index its owner gave it */
		if (k ? map_place(m) != k : (n > 1 && rec->index))
			CHECK_FAIL(ZS_FINDING_ARENA_RUN_PAGE_INDEX, r->slot,
				   i + k, k, k ? map_place(m) : 0u,
				   k ? map_place(m) : rec->index);
	}
out:
	return err;
}

/* What the regions' records say an owner holds. */
struct owner_tally {
	unsigned long pages;
	unsigned long moving; /* pages of isolated runs */
};

/* Who names a record, as zs_arena_check finds out: nobody yet, the free
 * list, or head page h (h + 1). */
#define REC_UNNAMED 0
#define REC_ON_FREE_LIST 0xffffu

/*
 * r's record table: its counts within what is allocated, the records
 * never handed out still zero, then the free list: in range, no loop,
 * every record on it cleared.  Marks in named[] the records on it and
 * counts them in *nfree.  Lock held.
 */
static int check_records(const struct arena_region *r, uint16_t *named,
			 unsigned *nfree)
{
	static const struct arena_run_rec zero;
	unsigned k, f, spare = r->rec_cap;
	/* the region's own first records, or a grown table in bounds */
	bool sane = r->recs == r->first_recs ?
			    r->rec_cap == ARENA_RECS_MIN :
			    r->recs && r->rec_cap > ARENA_RECS_MIN &&
				    r->rec_cap <= ARENA_REGION_PAGES;

	sane = sane && r->rec_top <= r->rec_cap;
	const char *why;
	int err = 0;

	for (k = r->rec_top; sane && k < r->rec_cap; k++)
		if (memcmp(&r->recs[k], &zero, sizeof(zero))) {
			spare = k;
			break;
		}
	if (!sane || spare < r->rec_cap)
		CHECK_FAIL(ZS_FINDING_ARENA_RECORD_TABLE, r->slot, r->rec_top,
			   r->rec_cap, ARENA_RECS_MIN, ARENA_REGION_PAGES,
			   spare < r->rec_cap ? (int)spare : -1);
	for (f = r->rec_free; f; f = r->recs[f - 1].index) {
		const struct arena_run_rec *x = &r->recs[f - 1];

		why = f > r->rec_top		       ? "never handed out" :
		      named[f - 1] == REC_ON_FREE_LIST ? "twice (a loop)" :
		      x->owner || x->flags || x->pages || x->cookie ?
							 "not cleared" :
							 NULL;
		if (why)
			CHECK_FAIL(ZS_FINDING_ARENA_RECORD_FREE_LIST, r->slot,
				   f - 1, why);
		named[f - 1] = REC_ON_FREE_LIST;
		++*nfree;
	}
out:
	return err;
}

/* One region against its bitmaps, map and records; lock held. */
static int check_region(const struct zs_arena *a, const struct arena_region *r,
			unsigned long *dirty, struct owner_tally *owned)
{
	uint16_t named[ARENA_REGION_PAGES] = { REC_UNNAMED };
	unsigned i, nfree = popcount_map(r->free_map), freed = 0, heads = 0;
	unsigned run_end = 0; /* one past the last run seen */
	char who[32];
	int err = 0;

	if (nfree != ARENA_REGION_PAGES - r->in_use)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_IN_USE_COUNT, r->slot,
			   r->in_use, ARENA_REGION_PAGES - nfree);
	if (r->evacuating && !a->compacting)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_EVACUATING, r->slot);
	err = check_records(r, named, &freed);
	if (err)
		goto out;
	for (i = 0; i < ARENA_REGION_PAGES; i++) {
		uint16_t m = r->map[i];
		bool free_page = bit_test(r->free_map, i);
		const struct arena_run_rec *rec;

		if (bit_test(r->dirty_map, i) && !free_page)
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_IN_USE_DIRTY, r->slot,
				   i);
		if (bit_test(r->dirty_map, i))
			++*dirty;
		if (free_page) {
			if (map_tail(m))
				CHECK_FAIL(ZS_FINDING_ARENA_RUN_FREE_MARKED,
					   r->slot, i, map_place(m));
			if (m)
				CHECK_FAIL(ZS_FINDING_ARENA_FREE_PAGE_OWNED,
					   r->slot, i, m - 1u);
			continue;
		}
		/* a tail is checked from its head, which comes first */
		if (map_tail(m)) {
			if (i >= run_end)
				CHECK_FAIL(ZS_FINDING_ARENA_RUN_ORPHAN_TAIL,
					   r->slot, i, map_place(m));
			continue;
		}
		if (!m || m > r->rec_top)
			CHECK_FAIL(ZS_FINDING_ARENA_RUN_RECORD_RANGE, r->slot,
				   i, (int)m - 1, r->rec_top);
		if (named[m - 1] != REC_UNNAMED) {
			if (named[m - 1] == REC_ON_FREE_LIST)
				snprintf(who, sizeof(who), "the free list");
			else
				snprintf(who, sizeof(who), "page %u",
					 named[m - 1] - 1u);
			CHECK_FAIL(ZS_FINDING_ARENA_RUN_RECORD_SHARED, r->slot,
				   i, m - 1u, who);
		}
		named[m - 1] = (uint16_t)(i + 1);
		heads++;
		rec = &r->recs[m - 1];
		if (!rec->owner || rec->owner > ARENA_MAX_OWNERS)
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_NO_OWNER, r->slot, i);
		/* a freed run is one a move still holds */
		if ((rec->flags &
		     ~(unsigned)(ARENA_RUN_MOVABLE | ARENA_RUN_ISOLATED |
				 ARENA_RUN_FREED)) ||
		    ((rec->flags & ARENA_RUN_FREED) &&
		     !(rec->flags & ARENA_RUN_ISOLATED)))
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_UNKNOWN_FLAGS, r->slot,
				   i, (unsigned)rec->flags);
		if ((rec->flags & ARENA_RUN_ISOLATED) && !a->compacting)
			CHECK_FAIL(ZS_FINDING_ARENA_PAGE_ISOLATED, r->slot, i);
		err = check_run(r, i, rec);
		if (err)
			goto out;
		if (!(rec->flags & ARENA_RUN_FREED))
			owned[rec->owner - 1].pages += rec->pages;
		if (rec->flags & ARENA_RUN_ISOLATED)
			owned[rec->owner - 1].moving += rec->pages;
		run_end = i + rec->pages;
	}
	/* every record handed out is a head's or free: none leaked */
	if (heads != r->rec_used || heads + freed != r->rec_top)
		CHECK_FAIL(ZS_FINDING_ARENA_RECORD_COUNT, r->slot, heads, freed,
			   r->rec_top, r->rec_used);
out:
	return err;
}

int zs_arena_check(struct zs_arena *arena)
{
	struct zs_arena *a = arena;
	unsigned long in_use = 0, nfree = 0, dirty = 0;
	struct owner_tally owned[ARENA_MAX_OWNERS] = { { 0, 0 } };
	unsigned k, slot, used = 0, empty = 0;
	uint64_t now;
	int err = 0;

	if (!a)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	/* Against the tables as mapped, not only the limits: while nothing
	 * is spilled only the inline entries exist (64 regions, 8 owners),
	 * and the walks below read up to these counts. */
	if (a->nregions > arena_regions_mapped(a) ||
	    a->slot_limit > arena_regions_mapped(a) ||
	    a->owner_limit > arena_owners_mapped(a))
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_LIMITS, a->nregions,
			   a->slot_limit, arena_regions_mapped(a),
			   a->owner_limit, arena_owners_mapped(a));
	for (k = 0; k < a->nregions; k++) {
		struct arena_region *r;

		slot = arena_by_addr_at(a, k);
		if (slot >= a->slot_limit || !(r = arena_region_at(a, slot)))
			CHECK_FAIL(ZS_FINDING_ARENA_ADDRESS_ENTRY_UNUSED, k,
				   slot);
		if (r->slot != slot)
			CHECK_FAIL(ZS_FINDING_ARENA_REGION_SLOT_ID, slot,
				   r->slot);
		if (k && arena_region_by_addr(a, k - 1)->base >= r->base)
			CHECK_FAIL(ZS_FINDING_ARENA_ADDRESS_ORDER, k);
		err = check_region(a, r, &dirty, owned);
		if (err)
			goto out;
		in_use += r->in_use;
		nfree += ARENA_REGION_PAGES - r->in_use;
		if (r->in_use == 0 && !r->evacuating)
			empty++;
		/* Allocation scans from the hint up: a region below it with
		 * a free page would never be used again. */
		if (slot < a->alloc_hint && r->in_use < ARENA_REGION_PAGES &&
		    !a->compacting)
			CHECK_FAIL(ZS_FINDING_ARENA_FREE_BELOW_HINT, slot,
				   a->alloc_hint);
	}
	for (slot = 0; slot < ARENA_MAX_REGIONS; slot++)
		if (arena_region_at(a, slot)) {
			if (slot >= a->slot_limit)
				CHECK_FAIL(ZS_FINDING_ARENA_REGION_BEYOND_LIMIT,
					   slot, a->slot_limit);
			used++;
		}
	if (used != a->nregions)
		CHECK_FAIL(ZS_FINDING_ARENA_REGION_COUNT, used, a->nregions);
	if (in_use != a->pages_in_use || nfree != a->pages_free ||
	    dirty != a->pages_dirty)
		CHECK_FAIL(ZS_FINDING_ARENA_PAGE_COUNTS, in_use, nfree, dirty,
			   a->pages_in_use, a->pages_free, a->pages_dirty);
	/* Whatever is retained past the floor has its clock running, or
	 * no later call would ever give it back. */
	now = arena_clock_ms();
	if (!a->compacting &&
	    (a->retained_since > now ||
	     (!a->retained_since && (dirty_past_floor(a) || empty > 1))))
		CHECK_FAIL(ZS_FINDING_ARENA_RETAINED_UNCLOCKED, a->pages_dirty,
			   a->pages_in_use, empty,
			   (unsigned long long)a->retained_since,
			   (unsigned long long)now);
	for (k = 0; k < ARENA_MAX_OWNERS; k++) {
		/* a slot never spilled is an empty one */
		static const struct arena_owner unspilled;
		const struct arena_owner *o = arena_owner_slot(a, k);

		if (!o)
			o = &unspilled;
		if (owned[k].pages != o->pages)
			CHECK_FAIL(ZS_FINDING_ARENA_OWNER_PAGE_COUNT, k,
				   owned[k].pages, o->pages);
		if (owned[k].moving != o->moving)
			CHECK_FAIL(ZS_FINDING_ARENA_OWNER_MOVING_PAGES, k,
				   owned[k].moving, o->moving);
		if (o->busy && !a->compacting)
			CHECK_FAIL(ZS_FINDING_ARENA_OWNER_BUSY, k, o->busy);
		/* metadata_bytes counts the slots below the limit only */
		if (k >= a->owner_limit && (o->live || o->pages))
			CHECK_FAIL(ZS_FINDING_ARENA_OWNER_BEYOND_LIMIT, k,
				   o->live ? "is registered" : "holds pages",
				   a->owner_limit);
	}
out:
	pthread_mutex_unlock(&a->lock);
	return err;
}
