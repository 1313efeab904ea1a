/* SPDX-License-Identifier: MIT */
/*
 * zs/zbud_internal.h - zbud's pool, page descriptor and handle slot layouts.
 *
 * Not a public header, layouts change freely; white-box fuzzing and tests
 * include it.  They need the real structures to corrupt one field at a time
 * (so each zbud_pool_check finding is proven to fire), to drive the movable
 * page operations with the arena's cookies, and to tell which host
 * allocations an operation makes.  Everything here is owned by zs/zbud.c;
 * only code holding pool->lock may read or write it.
 */
#ifndef ZS_ZBUD_INTERNAL_H
#define ZS_ZBUD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "zs/arena.h"
#include "zs/handle_cipher.h"
#include "zs/zbud.h"

#define NCHUNKS ((unsigned)(ZS_PAGE_SIZE >> ZBUD_CHUNK_SHIFT)) /* 64 */
#define HDR_CHUNKS 1u
/* Chunks the two buddies may share: 63. */
#define BUDDY_CHUNKS (NCHUNKS - HDR_CHUNKS)
/* Handle slots are 32-bit indexes; keep one value spare as "none". */
#define SLOT_NONE UINT32_MAX

enum { FIRST = 0, LAST = 1 };

enum page_flags {
	PG_RECLAIM = 1u << 0, /* evict callbacks running on it */
	PG_ISOLATED = 1u << 1, /* the arena is moving it */
};

enum slot_state { SLOT_FREE = 0, SLOT_USED = 1 };

struct list {
	struct list *prev, *next;
};

/* Side descriptor of one zbud page. */
struct zbud_page {
	void *page;
	struct list buddy; /* unbuddied[free chunks] or buddied */
	struct list lru;
	uint32_t idx; /* index in pool->descs; the arena cookie */
	uint32_t slot[2]; /* handle slot per buddy, valid when chunks != 0 */
	uint16_t chunks[2];
	uint16_t flags;
	uint32_t mapped; /* maps held on both buddies */
	uint32_t mark; /* zbud_pool_check visit stamp */
};

struct slot {
	uint32_t gen;
	uint32_t desc; /* descriptor index; next free slot when free */
	uint32_t size;
	uint16_t maps;
	uint8_t state;
	uint8_t bud;
};

/* Chunk 0 of every page holds four 32-bit words: the pool's header magic
 * (two words), the descriptor index, and the index keyed by the magic. */
#define HDR_WORDS 4

struct zbud_pool {
	pthread_mutex_t lock;
	struct zbud_ops ops;
	bool has_evict;
	struct zs_arena *arena;
	int owner_id;
	uint64_t serial;
	struct zs_handle_key key; /* seals handles (zs/handle_cipher.h) */
	uint64_t hdr_magic;
	struct list unbuddied[NCHUNKS];
	struct list buddied;
	struct list lru;

	struct zbud_page **descs;
	uint32_t *desc_free; /* stack of unused descriptor indexes */
	uint32_t ndesc_free;
	uint32_t desc_hw; /* descriptor indexes ever used */
	uint32_t desc_cap;

	struct slot *slots;
	uint32_t slot_hw;
	uint32_t slot_cap;
	uint32_t slot_free; /* head of the free slot list */

	uint64_t pages_nr;
	uint64_t objs_nr;
	uint32_t check_stamp;
};

/* The arena's callbacks for zbud pages.  Exported so white-box code can
 * drive isolate / migrate / putback itself: the arena's window between
 * them is too short to put anything into by chance. */
extern const struct zs_movable_ops zbud_movable_ops;

#endif /* ZS_ZBUD_INTERNAL_H */
