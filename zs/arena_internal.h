/* SPDX-License-Identifier: MIT */
/*
 * zs/arena_internal.h - the arena's region, page map, run record and owner
 * layouts.
 *
 * Not a public header: layouts change freely.  Owned by zs/arena.c; only
 * code holding arena->lock may read or write these.  White-box fuzzing
 * and tests include it to corrupt one field at a time, so that each
 * zs_arena_check finding is proven to fire.
 *
 * Why a map and records instead of a descriptor per page: the arena says
 * the same thing of every page of a run (owner, cookie, flags), and the
 * pool's runs are 8 pages long, so a 12-byte descriptor per page stored it
 * eight times (6 KiB per region, 12.3 B per page).  Now a page costs a
 * 2-byte map entry and a run one 12-byte record: a region of 8-page runs
 * holds 1240 + 66 * 12 = 2032 B of metadata (its table grows to 66
 * records, see rec_caps in arena.c), 3.97 B per page; one of single pages
 * 1240 + 512 * 12 = 7384 B, 14.4 B per page, as before.
 */
#ifndef ZS_ARENA_INTERNAL_H
#define ZS_ARENA_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "zs/arena.h"
#include "zs/fault_counter.h"

#define ARENA_REGION_PAGES 512
#define ARENA_REGION_SIZE (ARENA_REGION_PAGES * ZS_PAGE_SIZE)
#define ARENA_BITMAP_WORDS (ARENA_REGION_PAGES / 64)
#define ARENA_MAX_REGIONS 8192 /* 16 GiB of pages per arena */
#define ARENA_MAX_OWNERS 1024
/* Free pages kept resident for ever, however long they stay free: the
 * floor below which freed memory is never counted as retained. */
#define ARENA_DIRTY_PURGE_MIN 256
/* Records a region holds in itself; its table grows from there (about
 * doubling, rec_caps in arena.c) up to one record per page. */
#define ARENA_RECS_MIN 4

/*
 * A page's map entry (struct arena_region.map):
 *   0                        free
 *   1 .. ARENA_REGION_PAGES  the head (first page) of a run, whose record
 *                            is recs[entry - 1]
 *   ARENA_MAP_TAIL | k       page k (1 .. ZS_ARENA_MAX_RUN - 1) of a run,
 *                            whose head is k pages before
 * so any page finds its head, and the head its record, in O(1).
 */
#define ARENA_MAP_TAIL 0x8000u

enum arena_run_flags {
	ARENA_RUN_MOVABLE = 1u << 0,
	ARENA_RUN_ISOLATED = 1u << 1, /* a move of the run is in progress */
	/* isolated, and freed by its owner meanwhile (zs_arena_free_run_of):
	 * no longer counted as the owner's, given back when the move ends */
	ARENA_RUN_FREED = 1u << 2,
};

/*
 * What the arena knows of one run of contiguous pages (one page from
 * alloc_page and alloc_pages).  Page k >= 1 of a longer run is told k as
 * its index; the record keeps the owner's index (0 for a longer run).
 * A free record (owner 0) is on its region's free list, linked through
 * `index` (the next free record + 1, 0 ending the list), the rest zero.
 * 12 bytes.
 */
struct arena_run_rec {
	uint32_t cookie;
	uint32_t index; /* the owner's; free record: next free + 1 */
	uint16_t owner; /* owner id + 1; 0: free record */
	uint8_t flags; /* enum arena_run_flags */
	uint8_t pages; /* pages in the run, 1 .. ZS_ARENA_MAX_RUN */
};

/*
 * One 2 MiB region: its bitmaps, a map entry per page and a table of run
 * records grown on demand (doubling, under the arena lock).  Records
 * 0 .. rec_top - 1 have been handed out: each is named by exactly one
 * head or is on the free list; records rec_top .. rec_cap - 1 are zero.
 * The first ARENA_RECS_MIN records live in the region itself (recs ==
 * first_recs while rec_cap is ARENA_RECS_MIN), so mapping a region and
 * emptying one make no host allocation beyond what they always made; a
 * region that empties frees a grown table and goes back to them.  1240
 * bytes, plus rec_cap * 12 of records once the table has grown.
 */
struct arena_region {
	char *base;
	struct arena_run_rec *recs; /* rec_cap records */
	unsigned slot; /* index in zs_arena.regions */
	unsigned in_use;
	uint16_t rec_cap; /* records allocated */
	uint16_t rec_top; /* records handed out so far, <= rec_cap */
	uint16_t rec_used; /* records naming a run: one per head */
	uint16_t rec_free; /* first free record + 1; 0: none */
	bool evacuating; /* source of a running zs_arena_compact */
	uint64_t free_map[ARENA_BITMAP_WORDS]; /* 1 = free */
	uint64_t dirty_map[ARENA_BITMAP_WORDS]; /* 1 = free but still resident */
	uint16_t map[ARENA_REGION_PAGES]; /* see ARENA_MAP_TAIL */
	struct arena_run_rec first_recs[ARENA_RECS_MIN];
};

/* 40 bytes. */
struct arena_owner {
	void *owner;
	const struct zs_movable_ops *ops;
	unsigned busy; /* callbacks in flight */
	bool live;
	/* pages described as this owner's; a slot is reused only at 0, so
	 * a destroyed owner's last pages are never taken for a new one's */
	unsigned long pages;
	/* pages of this owner's runs being moved (isolated); each also
	 * holds a target run of its length until the move ends */
	unsigned moving;
};

/*
 * The first entries of the arena's three tables (region slots, regions by
 * address, owners) live in the arena itself: an arena of up to 64 regions
 * (128 MiB of pages) and 8 owners keeps no table page resident, only its
 * own 1280 bytes (the tables' first pages were 12 KiB).  The entries past
 * those are in one mapping of ARENA_SPILL_BYTES (each table's part on
 * pages of its own), made the first time a table needs one and sized for
 * the limits, of which only the pages below the high-water marks
 * (slot_limit, owner_limit) are ever written.
 * Neither part ever moves: a compaction reads a region's slot, and a
 * callback's caller its owner, across an unlock.
 */
#define ARENA_INLINE_REGIONS 64u
#define ARENA_INLINE_OWNERS 8u
#define ARENA_SPILL_REGIONS (ARENA_MAX_REGIONS - ARENA_INLINE_REGIONS)
#define ARENA_SPILL_OWNERS (ARENA_MAX_OWNERS - ARENA_INLINE_OWNERS)
#define ARENA_PAGE_ROUND(b) \
	(((b) + ZS_PAGE_SIZE - 1) / ZS_PAGE_SIZE * ZS_PAGE_SIZE)
/* each spilled table starts on a page of its own, so each one's resident
 * pages are its high-water mark's */
#define ARENA_SPILL_REGIONS_BYTES \
	ARENA_PAGE_ROUND(ARENA_SPILL_REGIONS * sizeof(struct arena_region *))
#define ARENA_SPILL_BY_ADDR_BYTES \
	ARENA_PAGE_ROUND(ARENA_SPILL_REGIONS * sizeof(unsigned))
#define ARENA_SPILL_OWNERS_BYTES \
	ARENA_PAGE_ROUND(ARENA_SPILL_OWNERS * sizeof(struct arena_owner))
#define ARENA_SPILL_BYTES                                        \
	(ARENA_SPILL_REGIONS_BYTES + ARENA_SPILL_BY_ADDR_BYTES + \
	 ARENA_SPILL_OWNERS_BYTES)

/* An arena: 1280 bytes with its inline table entries. */
struct zs_arena {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* an owner's busy count dropped */
	/* region slots (NULL = unused), indexes of the used slots sorted
	 * by base, owners: the first entries here, the rest spilled (see
	 * the accessors below) */
	struct arena_region *regions_inline[ARENA_INLINE_REGIONS];
	unsigned by_addr_inline[ARENA_INLINE_REGIONS];
	struct arena_owner owners_inline[ARENA_INLINE_OWNERS];
	/* the spill mapping's three parts; all NULL until it is made */
	struct arena_region **regions_spill;
	unsigned *by_addr_spill;
	struct arena_owner *owners_spill;
	unsigned nregions; /* used slots, entries of by_addr */
	unsigned alloc_hint; /* lowest slot that may have a free page */
	unsigned slot_limit; /* one past the highest slot ever used */
	/* one past the highest owner id ever registered: slots at or past
	 * it are neither live nor hold pages (never written) */
	unsigned owner_limit;
	unsigned long pages_in_use;
	unsigned long pages_free;
	unsigned long pages_dirty;
	unsigned long regions_released;
	unsigned long pages_migrated;
	unsigned long migrate_failures;
	struct zs_fault_counter inject; /* zs_arena_inject_failures */
	bool compacting;
	/* Free memory past the floor (dirty pages past it, empty regions
	 * past the spare) is retained for reuse retain_ms before it goes
	 * back to the OS; retained_since is when the arena began retaining
	 * it, by arena_clock_ms(), and 0 while it retains none. */
	unsigned retain_ms;
	uint64_t retained_since;
};

/* Region slot i's entry, or NULL for a slot past the inline ones while
 * nothing is spilled (such a slot is unused) or past the limit. */
static inline struct arena_region **arena_region_slot(struct zs_arena *a,
						      unsigned i)
{
	if (i < ARENA_INLINE_REGIONS)
		return &a->regions_inline[i];
	return a->regions_spill && i < ARENA_MAX_REGIONS ?
		       &a->regions_spill[i - ARENA_INLINE_REGIONS] :
		       NULL;
}

/* The region in slot i, NULL for an unused slot.  (The read-only
 * accessors cast const away to share the writers' indexing; they only
 * read through it.) */
static inline struct arena_region *arena_region_at(const struct zs_arena *a,
						   unsigned i)
{
	struct arena_region **slot = arena_region_slot((struct zs_arena *)a, i);

	return slot ? *slot : NULL;
}

/* Entry k of the used slots by address, or NULL past the inline entries
 * while nothing is spilled or past the limit.  Below nregions (or at it,
 * while a region is added) it exists in an intact arena: more used slots
 * than inline entries means a slot past them was taken, which made the
 * spill mapping.  A count past the entries mapped is damage
 * (zs_arena_check reports it), so walks bounded by nregions read through
 * the accessors below and stop at the first entry naming no region. */
static inline unsigned *arena_by_addr(struct zs_arena *a, unsigned k)
{
	if (k < ARENA_INLINE_REGIONS)
		return &a->by_addr_inline[k];
	return a->by_addr_spill && k < ARENA_MAX_REGIONS ?
		       &a->by_addr_spill[k - ARENA_INLINE_REGIONS] :
		       NULL;
}

/* The slot at entry k of the used slots by address (k < nregions);
 * ARENA_MAX_REGIONS, a slot no region has, for an entry not mapped. */
static inline unsigned arena_by_addr_at(const struct zs_arena *a, unsigned k)
{
	const unsigned *e = arena_by_addr((struct zs_arena *)a, k);

	return e ? *e : ARENA_MAX_REGIONS;
}

/* The region at entry k of the used slots by address (k < nregions), or
 * NULL for an entry not mapped or naming an unused slot (damage). */
static inline struct arena_region *
arena_region_by_addr(const struct zs_arena *a, unsigned k)
{
	return arena_region_at(a, arena_by_addr_at(a, k));
}

/* Owner slot id, or NULL for one past the inline ones while nothing is
 * spilled (such a slot was never registered) or past the limit. */
static inline struct arena_owner *arena_owner_slot(struct zs_arena *a,
						   unsigned id)
{
	if (id < ARENA_INLINE_OWNERS)
		return &a->owners_inline[id];
	return a->owners_spill && id < ARENA_MAX_OWNERS ?
		       &a->owners_spill[id - ARENA_INLINE_OWNERS] :
		       NULL;
}

/* The same, read only. */
static inline const struct arena_owner *arena_owner_at(const struct zs_arena *a,
						       unsigned id)
{
	return arena_owner_slot((struct zs_arena *)a, id);
}

/* The region entries mapped (slots, and used slots by address): the
 * inline ones while nothing is spilled, else all up to the limit.  In an
 * intact arena nregions and slot_limit never pass it (a slot past the
 * inline ones is taken only once the mapping is made); zs_arena_check
 * compares them against it before reading a table up to them. */
static inline unsigned arena_regions_mapped(const struct zs_arena *a)
{
	return a->regions_spill ? ARENA_MAX_REGIONS : ARENA_INLINE_REGIONS;
}

/* The owner slots mapped, the same way; owner_limit never passes it in
 * an intact arena. */
static inline unsigned arena_owners_mapped(const struct zs_arena *a)
{
	return a->owners_spill ? ARENA_MAX_OWNERS : ARENA_INLINE_OWNERS;
}

/* Makes the spill mapping if it is not there yet (arena lock held):
 * 0, or -ENOMEM when the host refuses it. */
int zs_arena_spill(struct zs_arena *a);

_Static_assert(sizeof(struct arena_run_rec) == 12, "run record size");
_Static_assert(sizeof(struct arena_region) == 1240 || sizeof(void *) != 8,
	       "region header size");
_Static_assert(ARENA_SPILL_REGIONS_BYTES % ZS_PAGE_SIZE == 0 &&
		       ARENA_SPILL_BY_ADDR_BYTES % ZS_PAGE_SIZE == 0,
	       "spilled tables start on pages of their own");

#endif /* ZS_ARENA_INTERNAL_H */
