/* SPDX-License-Identifier: MIT */
/*
 * zs/arena_internal.h - the arena's region, page descriptor and owner
 * layouts.
 *
 * Not a public header: layouts change freely.  Owned by zs/arena.c; only
 * code holding arena->lock may read or write these.  White-box fuzzing
 * and tests include it to corrupt one field at a time, so that each
 * zs_arena_check finding is proven to fire.
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

enum arena_page_flags {
	ARENA_PAGE_MOVABLE = 1u << 0,
	ARENA_PAGE_ISOLATED = 1u << 1, /* set on every page of the run */
	ARENA_PAGE_TAIL = 1u << 2, /* page 1 .. n-1 of a run */
};

/*
 * What the arena knows of one page; owner 0 means free.  Every allocated
 * page belongs to a run of contiguous pages (one page from alloc_page and
 * alloc_pages).  The run's first page, its head, carries the length in
 * `run`; page k of it (k >= 1) carries ARENA_PAGE_TAIL and k, so any page
 * finds its head without a search, and the head's owner, cookie and flags
 * again (the arena describes a run as one thing).  12 bytes, as before runs:
 * 6 KiB of descriptors per 2 MiB region.
 */
struct arena_page_desc {
	uint32_t cookie;
	uint32_t index; /* the owner's; page k of a longer run: k */
	uint16_t owner; /* owner id + 1 */
	uint8_t flags;
	uint8_t run; /* head: pages in the run; tail: its place in it */
};

struct arena_region {
	char *base;
	unsigned slot; /* index in zs_arena.regions */
	unsigned in_use;
	bool evacuating; /* source of a running zs_arena_compact */
	uint64_t free_map[ARENA_BITMAP_WORDS]; /* 1 = free */
	uint64_t dirty_map[ARENA_BITMAP_WORDS]; /* 1 = free but still resident */
	struct arena_page_desc desc[ARENA_REGION_PAGES];
};

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

struct zs_arena {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* an owner's busy count dropped */
	struct arena_region *
		*regions; /* ARENA_MAX_REGIONS slots, NULL = unused */
	unsigned *by_addr; /* indexes of used slots, sorted by base */
	unsigned nregions; /* used slots in by_addr */
	unsigned alloc_hint; /* lowest slot that may have a free page */
	unsigned slot_limit; /* one past the highest slot ever used */
	unsigned long pages_in_use;
	unsigned long pages_free;
	unsigned long pages_dirty;
	unsigned long regions_released;
	unsigned long pages_migrated;
	unsigned long migrate_failures;
	struct zs_fault_counter inject; /* zs_arena_inject_failures */
	struct arena_owner owners[ARENA_MAX_OWNERS];
	bool compacting;
};

#endif /* ZS_ARENA_INTERNAL_H */
