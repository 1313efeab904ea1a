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
/* Free pages kept resident before a purge returns them to the OS. */
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
 * An arena.  Its three tables are mapped for their limits (ARENA_MAX_*
 * entries) but only the pages below their high-water marks (slot_limit,
 * owner_limit) are ever written, so a small arena keeps a few pages of
 * them resident, and the tables never move (a compaction reads a region
 * pointer, an unregistering owner its slot, without the lock).  About 200
 * bytes.
 */
struct zs_arena {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* an owner's busy count dropped */
	struct arena_region *
		*regions; /* ARENA_MAX_REGIONS slots, NULL = unused */
	unsigned *by_addr; /* indexes of used slots, sorted by base */
	/* ARENA_MAX_OWNERS slots, in the same mapping as regions (after
	 * its ARENA_MAX_REGIONS slots): one host call for both */
	struct arena_owner *owners;
	unsigned nregions; /* used slots in by_addr */
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
};

_Static_assert(sizeof(struct arena_run_rec) == 12, "run record size");
_Static_assert(sizeof(struct arena_region) == 1240 || sizeof(void *) != 8,
	       "region header size");

#endif /* ZS_ARENA_INTERNAL_H */
