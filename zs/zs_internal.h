/* SPDX-License-Identifier: MIT */
/*
 * zs/zs_internal.h - the structures shared by the zsmalloc sources.
 *
 * Not a public header: layouts here change freely.  The names follow the
 * kernel's where the concept is the same (zspage, fullness group, handle)
 * so readers of mm/zsmalloc.c find their way; where zs departs (objects of
 * every size share zspages, placed at 8-byte granularity by zs/span.h;
 * shards instead of size classes) docs/DESIGN.md says why.
 *
 * Lock order (outermost first):
 *   shard lock -> pool grow_lock / zsp_lock -> arena lock.
 * zs_pool_check takes every shard lock in ascending index order; nothing
 * else holds two shard locks.  Readers (map, read_begin, obj_write) take
 * no lock at all: they pin the object with one CAS on its handle slot.
 */
#ifndef ZS_ZS_INTERNAL_H
#define ZS_ZS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zs/arena.h"
#include "zs/fault_counter.h"
#include "zs/handle_cipher.h"
#include "zs/host.h"
#include "zs/lock.h"
#include "zs/report_internal.h"
#include "zs/span.h"
#include "zs/zsmalloc.h"

#define ZS_MAX_CHAIN 16
/* Sixteen pages (the kernel's default is 8): with zspages growing in place
 * and compaction giving back a zspage's free end, the longer chain leaves
 * fewer zspage ends and descriptors, and in zsbench's suite it was denser,
 * all-in, and as well used after compaction on every trace. */
#define ZS_DEFAULT_CHAIN 16
/* Shards per pool: each has its own lock, zspages and free-space index,
 * and a thread allocates from one of them (zs_shard_of_thread). */
#define ZS_NR_SHARDS 4u
/* Objects of this size and up take a page each: from 4093 bytes on, an
 * object and its 4-byte tag need more than 512 units. */
#define ZS_HUGE_SIZE (ZS_PAGE_SIZE - ZS_SPAN_TAG_BYTES + 1)
#define ZS_PAGE_UNITS (ZS_PAGE_SIZE / ZS_GAP_UNIT)

/* The pages that hold a zspage's first `units` units. */
static inline unsigned zs_pages_of_units(unsigned units)
{
	return (units + ZS_PAGE_UNITS - 1) / ZS_PAGE_UNITS;
}

/* Fullness groups by the share of a zspage's units that objects hold, as
 * the kernel's debugfs shows them: 0 = empty, 1..10 = 0-9% ... 90-99%,
 * 11 = full. */
#define ZS_NR_FULLNESS 12
#define ZS_FULLNESS_EMPTY 0
#define ZS_FULLNESS_FULL 11

/* ---- handle slots ---- */

/*
 * A handle slot is one 64-bit word, so that a reader pins an object with
 * one CAS that also checks its generation, and the table costs 8 bytes
 * per object:
 *
 *   [63:32] place: live, zs_span_ref(zspage id, unit), or for a huge
 *           object (its size tells) zs_huge_loc(arena page number,
 *           shard); free, the next free slot of its shard + 1
 *   [31:20] object size - 1 (live; 0 while free)
 *   [19:7]  generation, bumped at every free
 *   [6:0]   state: 0 free (a fresh, zeroed slot is free), 1 + pins (maps
 *           and open reads) while live, ZS_SLOT_MOVING while the
 *           compactor or a run migration copies it (taken only at 0 pins)
 *
 * Thirteen bits of generation are enough because the handle is sealed
 * (zs/handle_cipher.h): the other 19 bits of the sealed generation half
 * must open to zero, so a forged or damaged handle is still accepted by a
 * 2^-32 chance; only an exact stale handle comes back to life, after its
 * slot has been reused 8192 times.
 */
#define ZS_SLOT_LOC_SHIFT 32
#define ZS_SLOT_SIZE_SHIFT 20
#define ZS_SLOT_SIZE_MASK 0xfffull
#define ZS_SLOT_GEN_SHIFT 7
#define ZS_SLOT_GEN_BITS 13
#define ZS_SLOT_GEN_MASK ((1u << ZS_SLOT_GEN_BITS) - 1)
#define ZS_SLOT_STATE_MASK 0x7full
#define ZS_SLOT_FREE 0u
#define ZS_SLOT_UNPINNED 1u /* live, no maps or reads */
#define ZS_SLOT_MOVING 0x7fu
/* pins an object may hold at once: states 1 .. ZS_SLOT_MOVING - 1 */
#define ZS_SLOT_MAX_PINS (ZS_SLOT_MOVING - 2)

static inline uint32_t zs_slot_loc(uint64_t w)
{
	return (uint32_t)(w >> ZS_SLOT_LOC_SHIFT);
}

static inline size_t zs_slot_size(uint64_t w)
{
	return (size_t)((w >> ZS_SLOT_SIZE_SHIFT) & ZS_SLOT_SIZE_MASK) + 1;
}

static inline uint32_t zs_slot_gen(uint64_t w)
{
	return (uint32_t)(w >> ZS_SLOT_GEN_SHIFT) & ZS_SLOT_GEN_MASK;
}

static inline unsigned zs_slot_state(uint64_t w)
{
	return (unsigned)(w & ZS_SLOT_STATE_MASK);
}

static inline bool zs_slot_live(uint64_t w)
{
	return zs_slot_state(w) != ZS_SLOT_FREE;
}

static inline bool zs_slot_moving(uint64_t w)
{
	return zs_slot_state(w) == ZS_SLOT_MOVING;
}

/* Maps and open reads of a live object (0 while it moves). */
static inline unsigned zs_slot_pins(uint64_t w)
{
	unsigned s = zs_slot_state(w);

	return s == ZS_SLOT_FREE || s == ZS_SLOT_MOVING ? 0 : s - 1;
}

/* A live object at loc of size bytes (1 .. 4096), not pinned. */
static inline uint64_t zs_slot_word_live(uint32_t loc, size_t size,
					 uint32_t gen)
{
	return (uint64_t)loc << ZS_SLOT_LOC_SHIFT |
	       (uint64_t)(size - 1) << ZS_SLOT_SIZE_SHIFT |
	       (uint64_t)(gen & ZS_SLOT_GEN_MASK) << ZS_SLOT_GEN_SHIFT |
	       ZS_SLOT_UNPINNED;
}

/* An object of ZS_HUGE_SIZE and up: a page of its own (zs/huge.c). */
static inline bool zs_slot_huge(uint64_t w)
{
	return zs_slot_size(w) >= ZS_HUGE_SIZE;
}

/* A huge object's place: its page's arena number (below 2^22) and its
 * shard, which a free must lock before it can touch anything else. */
_Static_assert(ZS_NR_SHARDS == 4, "a huge object's place keeps 2 shard bits");
static inline uint32_t zs_huge_loc(uint32_t page_number, unsigned shard)
{
	return page_number << 2 | shard;
}

static inline uint32_t zs_huge_loc_page(uint32_t loc)
{
	return loc >> 2;
}

static inline unsigned zs_huge_loc_shard(uint32_t loc)
{
	return loc & 3u;
}

/* A huge object's page is described to the arena by its slot with the top
 * bit set; a shared zspage's run by its id, always below 2^19. */
#define ZS_HUGE_COOKIE_BIT 0x80000000u
static inline uint32_t zs_huge_cookie(uint32_t slot_idx)
{
	return slot_idx | ZS_HUGE_COOKIE_BIT;
}

/* Footprints the recycle bins keep apart: 1 .. ZS_PAGE_UNITS units
 * (index 0 unused). */
#define ZS_RECYCLE_BINS (ZS_PAGE_UNITS + 1)
/* The depth levels evictions choose from: bit u of level l is set while
 * footprint u holds at least 2^l blocks (zs/recycle.c). */
#define ZS_RECYCLE_LEVELS 8u
#define ZS_RECYCLE_WORDS ((ZS_RECYCLE_BINS + 63) / 64)

/* A free slot (state free, the generation the next object's) that holds
 * a place and a mark in its size field: what a recycled block, a buried
 * slot and a kept huge page keep there. */
static inline uint64_t zs_slot_word_marked(uint32_t place, unsigned mark,
					   uint32_t gen)
{
	return (uint64_t)place << ZS_SLOT_LOC_SHIFT |
	       (uint64_t)mark << ZS_SLOT_SIZE_SHIFT |
	       (uint64_t)(gen & ZS_SLOT_GEN_MASK) << ZS_SLOT_GEN_SHIFT;
}

/* Whether w is a free slot with mark in its size field. */
static inline bool zs_slot_has_mark(uint64_t w, unsigned mark)
{
	return !zs_slot_live(w) &&
	       ((w >> ZS_SLOT_SIZE_SHIFT) & ZS_SLOT_SIZE_MASK) == mark;
}

/* A free slot whose object's block waits in its shard's recycle bins
 * (zs/recycle.c) for an object of the same footprint: the block's place
 * and units (1 .. ZS_PAGE_UNITS) are kept where a live slot keeps its place
 * and size, the generation is the next object's, the state is free.  Every
 * other free slot has 0 in the size field, so the two never mix up. */
static inline uint64_t zs_slot_word_recycled(uint32_t ref, unsigned units,
					     uint32_t gen)
{
	return zs_slot_word_marked(ref, units, gen);
}

/* The units of a recycled block's slot, 0 for any other slot. */
static inline unsigned zs_slot_recycled_units(uint64_t w)
{
	unsigned f = (unsigned)((w >> ZS_SLOT_SIZE_SHIFT) & ZS_SLOT_SIZE_MASK);

	return !zs_slot_live(w) && f <= ZS_PAGE_UNITS ? f : 0;
}

/* A free slot whose block was released while it sat in a bin (its zspage
 * emptied): the bin's link to the next slot + 1 is kept in the place
 * field, and the slot goes to the free list when the bin reaches it. */
#define ZS_SLOT_BURIED 0x400u /* in the size field, above any units */
static inline uint64_t zs_slot_word_buried(uint32_t next, uint32_t gen)
{
	return zs_slot_word_marked(next, ZS_SLOT_BURIED, gen);
}

static inline bool zs_slot_buried(uint64_t w)
{
	return zs_slot_has_mark(w, ZS_SLOT_BURIED);
}

/* A free slot whose huge object's page is kept for the next huge object
 * of its shard (zs/huge.c): the page's place is kept in the place field,
 * so the page and its arena record, which names the slot, stay as they
 * were. */
#define ZS_SLOT_HUGE_KEPT 0x600u /* in the size field, above any units */
static inline uint64_t zs_slot_word_huge_kept(uint32_t loc, uint32_t gen)
{
	return zs_slot_word_marked(loc, ZS_SLOT_HUGE_KEPT, gen);
}

static inline bool zs_slot_huge_kept(uint64_t w)
{
	return zs_slot_has_mark(w, ZS_SLOT_HUGE_KEPT);
}

/* A free slot whose next live object takes generation gen. */
static inline uint64_t zs_slot_word_free(uint32_t next, uint32_t gen)
{
	return (uint64_t)next << ZS_SLOT_LOC_SHIFT |
	       (uint64_t)(gen & ZS_SLOT_GEN_MASK) << ZS_SLOT_GEN_SHIFT;
}

/* w with its place changed, nothing else. */
static inline uint64_t zs_slot_with_loc(uint64_t w, uint32_t loc)
{
	return (w & 0xffffffffull) | (uint64_t)loc << ZS_SLOT_LOC_SHIFT;
}

/* w with its size changed (1 .. 4096), nothing else. */
static inline uint64_t zs_slot_with_size(uint64_t w, size_t size)
{
	return (w & ~(ZS_SLOT_SIZE_MASK << ZS_SLOT_SIZE_SHIFT)) |
	       (uint64_t)(size - 1) << ZS_SLOT_SIZE_SHIFT;
}

/* w with its state changed, nothing else. */
static inline uint64_t zs_slot_with_state(uint64_t w, unsigned state)
{
	return (w & ~ZS_SLOT_STATE_MASK) | state;
}

struct zs_hslot {
	_Atomic uint64_t word;
};

#define ZS_HT_CHUNK_SHIFT 14
#define ZS_HT_CHUNK (1u << ZS_HT_CHUNK_SHIFT) /* slots per chunk */
#define ZS_HT_CHUNK_BYTES (ZS_HT_CHUNK * sizeof(struct zs_hslot))
#define ZS_HT_MAX_CHUNKS (1u << 15) /* 2^29 handles per pool */
#define ZS_HT_DIR_BYTES (ZS_HT_MAX_CHUNKS * sizeof(_Atomic(void *)))
/* The first chunks' directory entries live in the pool itself: a pool of
 * up to 262,144 handles maps no directory (a page resident for a few
 * words); the mapped one (ZS_HT_DIR_BYTES) replaces it past that. */
#define ZS_HT_DIR_INLINE 16u

/* ---- zspages ---- */

enum zspage_state {
	ZSPAGE_FREE = 0, /* descriptor on the pool's free list */
	ZSPAGE_LIVE = 1,
};

struct zspage {
	/* ids of the neighbours in its fullness or isolated list, or the
	 * next free descriptor; ZS_ZSP_NONE at a list's end */
	uint32_t prev, next;
	/* The first of the zspage's pages, one arena run: contiguous, so
	 * every object is one byte range.  Only a run migration changes it,
	 * with every object marked. */
	_Atomic(char *) base;
	uint32_t id;
	_Atomic uint8_t shard;
	_Atomic uint8_t state;
	uint16_t inuse; /* objects: at most a zspage's 8192 units */
	uint8_t run_isolated; /* arena moves of the run in progress (0, 1) */
	bool isolated; /* taken out of lists and index by the compactor */
	uint16_t used_units; /* units objects take, their tags included */
	uint8_t fullness;
	/* Pages of the run in use, from its first: 1 .. chain_size.  A zspage
	 * is filled from its start, so the pages past these have never been
	 * written: the arena hands them over not resident, the pool does not
	 * count them, and a placement that reaches into one commits it
	 * (zs_obj_place_in_gap).  Never lowered before the zspage is freed:
	 * a page once written stays resident. */
	uint8_t pages;
	/* of inuse, the blocks waiting in the shard's recycle bins: freed
	 * objects whose units stay taken until they are reused or released
	 * (zs/recycle.c); fewer than inuse unless zs_recycle_may_idle */
	uint16_t recycled;
};
/* 32 bytes (zspage.c asserts it), resident for every zspage ever made;
 * huge objects have none (zs/huge.c) */

/* No zspage: a list's end.  Links are ids, not pointers, to keep a
 * descriptor at 32 bytes; zs_zspage_by_id() maps it to NULL. */
#define ZS_ZSP_NONE UINT32_MAX

/* Descriptors per table chunk: 510 of 32 bytes fill four pages but 64
 * bytes; a chunk boundary that is not a multiple of a region's 512 pages
 * keeps the two growth points of one-page zspages apart. */
#define ZS_ZSP_CHUNK 510
/* Descriptor ids are the zspage half of a span reference. */
#define ZS_ZSP_MAX_CHUNKS \
	((ZS_SPAN_MAX_ZSPAGES + ZS_ZSP_CHUNK - 1) / ZS_ZSP_CHUNK)
#define ZS_ZSP_DIR_BYTES (ZS_ZSP_MAX_CHUNKS * sizeof(_Atomic(void *)))
/* As for handles: 8160 zspages' chunks in the pool, then a mapping. */
#define ZS_ZSP_DIR_INLINE 16u

/* A descriptor chunk is mapped whole pages; zs/pool.c counts those
 * written. */
#define zs_zsp_chunk_bytes(pool) \
	zs_host_resident((size_t)ZS_ZSP_CHUNK * sizeof(struct zspage))

/* ---- shards ---- */

struct zs_shard {
	zs_lock_t lock;
	unsigned index;
	struct zs_span span; /* the free space of its shared zspages */
	struct zspage *groups[ZS_NR_FULLNESS];
	unsigned long group_count[ZS_NR_FULLNESS];
	struct zspage *isolated_list; /* sources of a running compaction */
	/* read without the lock by the shrinker's count, written under it
	 * (zs_shard_count_add) */
	_Atomic unsigned long huge_count; /* huge objects, a page each */
	/* of huge_count, the pages kept for the next huge objects
	 * (zs/huge.c): free to compaction */
	_Atomic unsigned long huge_kept;
	_Atomic unsigned long zspages; /* shared zspages */
	_Atomic unsigned long pages; /* their pages in use (zspage.pages) */
	_Atomic unsigned long units_used; /* object units in them */
	_Atomic unsigned long objs_used; /* objects, huge ones included */
	_Atomic bool compacting;
	uint64_t bytes_stored;
	uint32_t free_slots; /* handle slot free list head + 1, 0 = empty */
	uint32_t huge_bin; /* the newest kept huge page's slot + 1, 0 = none */
	uint32_t fresh_next, fresh_end; /* a batch of never-used slots */
	/* Freed blocks kept for reuse at their exact footprint
	 * (zs/recycle.c): per footprint in units, the slot + 1 of the newest
	 * (0: none), each block holding the next one's after its tag. */
	uint32_t recycle_head[ZS_RECYCLE_BINS];
	/* per footprint, its blocks (buried slots not counted), and the
	 * footprints by depth: what evictions choose from */
	uint16_t recycle_count[ZS_RECYCLE_BINS];
	uint64_t recycle_deep[ZS_RECYCLE_LEVELS][ZS_RECYCLE_WORDS];
	uint32_t recycle_blocks;
	/* frees since the shard's last allocation, up to ZS_RECYCLE_BURST */
	uint32_t frees_in_a_row;
	uint32_t recycle_buried; /* released slots the bins still link */
	/* where an eviction starts among the deepest bins: round them */
	unsigned recycle_cursor;
	/* their units (of units_used), free to compaction: read without the
	 * lock by the shrinker's count */
	_Atomic unsigned long recycle_units;
};

struct zs_pool {
	char name[32];
	uint64_t id; /* unique per process lifetime, for thread records */
	struct zs_arena *arena;
	int owner_id;
	unsigned chain_size; /* pages of a shared zspage's run */
	/* the share of the shards' object units and huge pages their bins
	 * and kept huge pages may hold, in 64ths: 0 .. ZS_RECYCLE_MAX_64THS */
	unsigned recycle_64ths;
	unsigned zspage_units; /* units of a shared zspage, all of its run */
	uint64_t group_mul; /* 10 * 2^32 / zspage_units: fullness groups */
	struct zs_handle_key key; /* seals handles (zs/handle_cipher.h) */

	_Atomic unsigned long pages;
	_Atomic unsigned long max_pages;
	_Atomic unsigned long zspages; /* shared zspages and huge pages */
	_Atomic unsigned long pages_compacted, objs_moved, pages_migrated;
	_Atomic unsigned long alloc_failures, compactions;

	struct zs_fault_counter inject; /* zs_pool_inject_failures */

	struct zs_shard shards[ZS_NR_SHARDS];

	pthread_mutex_t grow_lock; /* handle table growth */
	_Atomic uint32_t ht_next; /* slots ever handed to shards */
	/* the chunk directory: ht_dir_inline, then a mapping of
	 * ZS_HT_MAX_CHUNKS entries (zs_ht_dir; swapped under grow_lock
	 * before ht_next reaches a chunk past the inline ones) */
	_Atomic(_Atomic(struct zs_hslot *) *) ht_chunks;
	_Atomic(struct zs_hslot *) ht_dir_inline[ZS_HT_DIR_INLINE];
	_Atomic unsigned long ht_nchunks;

	pthread_mutex_t zsp_lock; /* zspage descriptor table */
	struct zspage *zsp_free;
	/* as ht_chunks: zsp_dir_inline, then ZS_ZSP_MAX_CHUNKS mapped */
	_Atomic(_Atomic(char *) *) zsp_chunks;
	_Atomic(char *) zsp_dir_inline[ZS_ZSP_DIR_INLINE];
	_Atomic uint32_t zsp_next;
	_Atomic unsigned long zsp_nchunks;
};

/* The chunk directories and how many entries they hold now. */
static inline _Atomic(struct zs_hslot *) *zs_ht_dir(struct zs_pool *pool)
{
	return atomic_load_explicit(&pool->ht_chunks, memory_order_acquire);
}

static inline unsigned long zs_ht_dir_cap(struct zs_pool *pool)
{
	return zs_ht_dir(pool) == pool->ht_dir_inline ? ZS_HT_DIR_INLINE :
							ZS_HT_MAX_CHUNKS;
}

static inline _Atomic(char *) *zs_zsp_dir(struct zs_pool *pool)
{
	return atomic_load_explicit(&pool->zsp_chunks, memory_order_acquire);
}

static inline unsigned long zs_zsp_dir_cap(struct zs_pool *pool)
{
	return zs_zsp_dir(pool) == pool->zsp_dir_inline ? ZS_ZSP_DIR_INLINE :
							  ZS_ZSP_MAX_CHUNKS;
}

/* The descriptor of zspage id, NULL for an id never handed out.  Inline:
 * every operation asks it several times (a call each cost a fifth of an
 * alloc + free pair). */
static inline struct zspage *zs_zspage_by_id(struct zs_pool *pool, uint32_t id)
{
	_Atomic(char *) *dir;
	char *chunk;

	if (id >= atomic_load_explicit(&pool->zsp_next, memory_order_acquire))
		return NULL;
	/* zsp_next's acquire: the directory holding id's chunk is seen (a
	 * count damaged past the inline entries must not read beyond) */
	dir = zs_zsp_dir(pool);
	if (dir == pool->zsp_dir_inline &&
	    id / ZS_ZSP_CHUNK >= ZS_ZSP_DIR_INLINE)
		return NULL;
	chunk = atomic_load_explicit(&dir[id / ZS_ZSP_CHUNK],
				     memory_order_acquire);
	if (!chunk)
		return NULL;
	return (struct zspage *)(chunk +
				 (id % ZS_ZSP_CHUNK) * sizeof(struct zspage));
}

/* The handle slot idx, NULL past the slots handed out. */
static inline struct zs_hslot *zs_slot_at(struct zs_pool *pool, uint32_t idx)
{
	_Atomic(struct zs_hslot *) *dir;
	struct zs_hslot *chunk;

	if (idx >= atomic_load_explicit(&pool->ht_next, memory_order_acquire))
		return NULL;
	/* ht_next's acquire: the directory holding idx's chunk is seen (a
	 * count damaged past the inline entries must not read beyond) */
	dir = zs_ht_dir(pool);
	if (dir == pool->ht_dir_inline &&
	    idx >> ZS_HT_CHUNK_SHIFT >= ZS_HT_DIR_INLINE)
		return NULL;
	chunk = atomic_load_explicit(&dir[idx >> ZS_HT_CHUNK_SHIFT],
				     memory_order_acquire);
	if (!chunk)
		return NULL;
	return &chunk[idx & (ZS_HT_CHUNK - 1)];
}

/* The first byte of the object whose tag is at ref in zsp. */
static inline char *zs_obj_bytes(const struct zspage *zsp, uint32_t ref)
{
	char *base = atomic_load_explicit(&zsp->base, memory_order_relaxed);

	return base + (size_t)zs_span_ref_unit(ref) * ZS_GAP_UNIT +
	       ZS_SPAN_TAG_BYTES;
}

/* Adds d to a shard counter: written only under the shard's lock, read
 * without it.  A plain load and store, not a locked add: on x86 a locked
 * instruction drains the store buffer, so it would wait for every store
 * the operation has made to object memory that missed the cache. */
static inline void zs_shard_count_add(_Atomic unsigned long *c, long d)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) +
				      (unsigned long)d,
			      memory_order_relaxed);
}

/* shards.c */
void zs_shards_init(struct zs_pool *pool);
struct zs_shard *zs_shard_of_thread(struct zs_pool *pool);
struct zs_shard *zs_lock_shard_of(struct zs_pool *pool,
				  const struct zs_hslot *slot);
unsigned long zs_shard_free_zspages(const struct zs_pool *pool,
				    const struct zs_shard *sh);
unsigned long zs_shard_shared_objs(const struct zs_shard *sh);
unsigned long zs_shard_capacity(const struct zs_pool *pool,
				const struct zs_shard *sh);
unsigned long zs_shard_freeable(const struct zs_pool *pool,
				const struct zs_shard *sh);

/* handles.c */
struct zs_hslot *zs_handle_lookup(struct zs_pool *pool, uint64_t handle,
				  uint32_t *idx, uint32_t *gen);
uint64_t zs_handle_encode(const struct zs_pool *pool, uint32_t idx,
			  uint32_t gen);
int zs_slot_take(struct zs_pool *pool, struct zs_shard *sh, uint32_t *idx);
void zs_slot_give_back(struct zs_pool *pool, struct zs_shard *sh, uint32_t idx);
int zs_pin(struct zs_pool *pool, uint64_t handle, struct zs_hslot **slot,
	   uint64_t *word);
void zs_unpin(struct zs_hslot *slot);
bool zs_try_mark_moving(struct zs_hslot *slot);
void zs_clear_moving(struct zs_hslot *slot);
void zs_finish_move(struct zs_hslot *slot, uint32_t loc);
void zs_handles_destroy(struct zs_pool *pool);

/* zspage.c */
extern const struct zs_span_ops zs_pool_span_ops;
/* A list of zspages: a head pointer, and links by id in the descriptors
 * (the caller holds the list's lock). */
struct zspage *zs_zsp_next(struct zs_pool *pool, const struct zspage *zsp);
void zs_zsp_list_push(struct zspage **head, struct zspage *zsp);
void zs_zsp_list_del(struct zs_pool *pool, struct zspage **head,
		     struct zspage *zsp);
struct zspage *zs_zspage_create(struct zs_pool *pool, struct zs_shard *sh);
void zs_zspage_destroy(struct zs_pool *pool, struct zs_shard *sh,
		       struct zspage *zsp);
void zs_zspages_destroy_all(struct zs_pool *pool);
void zs_fullness_insert(struct zs_pool *pool, struct zs_shard *sh,
			struct zspage *zsp);
void zs_fullness_remove(struct zs_pool *pool, struct zs_shard *sh,
			struct zspage *zsp);
void zs_fullness_fix(struct zs_pool *pool, struct zs_shard *sh,
		     struct zspage *zsp);
unsigned zs_fullness_of(const struct zs_pool *pool, uint32_t used_units);
/* Gives back the whole pages at zsp's end that only its last gap's body
 * covers (purged, no longer counted): the pages freed. */
unsigned long zs_zspage_trim(struct zs_pool *pool, struct zs_shard *sh,
			     struct zspage *zsp);
struct zspage *zs_find_emptiest(struct zs_shard *sh);
int zs_obj_place(struct zs_pool *pool, struct zs_shard *sh, uint32_t slot_idx,
		 size_t size, uint32_t *ref);
/* Places an object in the gap the index finds for it, committing the
 * pages that reaches (zspage.pages) unless !may_reach, when a gap that
 * reaches past them counts as none: compaction's moves never make the
 * pool hold more pages.  ZS_GAP_NONE when none fits. */
uint32_t zs_obj_place_in_gap(struct zs_pool *pool, struct zs_shard *sh,
			     uint32_t slot_idx, size_t size, bool may_reach);
void zs_obj_remove(struct zs_pool *pool, struct zs_shard *sh,
		   struct zspage *zsp, uint32_t ref, size_t size);
int zs_pool_reserve(struct zs_pool *pool, unsigned long pages);
bool zs_inject_fail(struct zs_pool *pool);

/* recycle.c */
/* Caps on what a shard's bins hold: blocks, and a share of the shard's
 * object units, the pool's recycle_64ths (zs_pool_config). */
#define ZS_RECYCLE_MAX_BLOCKS 8192u
/* The default share, 3/16: on the anonymous-memory trace's ring of
 * alloc + free pairs, a simulation served 71% of the allocations from
 * the bins at 1/8, 84% at 3/16, 94% at 1/4; measured, a pair took
 * 109-113, 88-90 and 68-72 ns, and the pool held 8117, 8597 and 9029
 * pages after 2M pairs.  The /usr trace's ring took 59-63 ns and held
 * 59,044 pages at each (docs/DESIGN.md, the recycle bins). */
#define ZS_RECYCLE_DEFAULT_64THS 12u
#define ZS_RECYCLE_MAX_64THS 32u
/* Frees in a row, with no allocation from the shard between, past which
 * a free no longer keeps its block: the bins serve churn, and a burst of
 * frees (a store emptied, a process's pages dropped) is not churn.  Kept,
 * its blocks would go back slowly, and the next burst of allocations
 * would take them in LIFO order all over the pool, where gaps and fresh
 * zspages place a burst's objects together. */
#define ZS_RECYCLE_BURST 256u
/* Whether zsp may wait in the bins with no live object: its blocks fill
 * at least 3/4 of the pages it keeps, so such zspages keep at most 4/3
 * of the units the bins count for them, and the bins' caps bound both.
 * A sparser zspage's last live object releases its blocks instead, so it
 * empties and goes back (zs/recycle.c). */
static inline bool zs_recycle_may_idle(const struct zspage *zsp)
{
	return 4u * zsp->used_units >= 3u * zsp->pages * ZS_PAGE_UNITS;
}

/* The units the shard's bins may hold: their share of its object units,
 * theirs included. */
static inline unsigned long zs_recycle_share(const struct zs_pool *pool,
					     const struct zs_shard *sh)
{
	return atomic_load_explicit(&sh->units_used, memory_order_relaxed) *
		       pool->recycle_64ths >>
	       6;
}

/* Whether the bins have room for a block of units: under their block
 * cap and their share, the block's own units included (it is still
 * counted live). */
static inline bool zs_recycle_fits(const struct zs_pool *pool,
				   const struct zs_shard *sh, unsigned units)
{
	return sh->recycle_blocks < ZS_RECYCLE_MAX_BLOCKS &&
	       atomic_load_explicit(&sh->recycle_units, memory_order_relaxed) +
			       units <=
		       zs_recycle_share(pool, sh);
}

/* Whether a free of an object of units in zsp may keep its block: not
 * the zspage's last live object unless zsp may idle, nothing isolated or
 * compacting, not past a burst of frees, and a block no bigger than the
 * bins' share.  Inline: every free asks. */
static inline bool zs_recycle_wants(const struct zs_pool *pool,
				    const struct zs_shard *sh,
				    const struct zspage *zsp, unsigned units)
{
	unsigned live = zsp->inuse - zsp->recycled;

	if (live == 0 || (live == 1 && !zs_recycle_may_idle(zsp)) ||
	    zsp->isolated || zsp->run_isolated ||
	    sh->frees_in_a_row >= ZS_RECYCLE_BURST ||
	    atomic_load_explicit(&sh->compacting, memory_order_relaxed))
		return false;
	return units <= zs_recycle_share(pool, sh);
}

/* The depth levels bin units of sh is in: bit l for level l. */
static inline unsigned zs_recycle_levels(const struct zs_shard *sh,
					 unsigned units)
{
	unsigned l, m = 0;

	for (l = 0; l < ZS_RECYCLE_LEVELS; l++)
		if (sh->recycle_deep[l][units / 64] >> (units % 64) & 1)
			m |= 1u << l;
	return m;
}

/* Releases blocks, from the deepest bins, until the bins have room
 * for one of units or are empty.  Before a free decides: the releases
 * may leave the freed object's zspage sparse, its last live object not
 * to be kept. */
void zs_recycle_make_room(struct zs_pool *pool, struct zs_shard *sh,
			  unsigned units);
/* Releases blocks until the bins are within their share of the shard's
 * object units, which shrinks as objects are freed for good. */
void zs_recycle_trim(struct zs_pool *pool, struct zs_shard *sh);
/* Keeps the block of units at ref of zsp, slot slot_idx's, in its bin;
 * the bins have room (zs_recycle_fits). */
void zs_recycle_put(struct zs_shard *sh, struct zspage *zsp, uint32_t slot_idx,
		    uint32_t ref, unsigned units);
bool zs_recycle_get(struct zs_pool *pool, struct zs_shard *sh, size_t size,
		    uint32_t *slot_idx, uint32_t *ref);
/* Blocks a flush releases in one hold of the shard's lock: a block is
 * about a microsecond (cold lines, a merge, the index), and 8192 of them
 * held the lock for 8 ms. */
#define ZS_RECYCLE_FLUSH_BATCH 256u
/* Releases up to ZS_RECYCLE_FLUSH_BATCH blocks of the shard's bins, and
 * the buried slots it meets, adding to *pages the pages of the zspages
 * that held only blocks, given back: whether any are left. */
bool zs_recycle_flush(struct zs_pool *pool, struct zs_shard *sh,
		      unsigned long *pages);
/* Releases the recycled blocks of zsp: before its last live object is
 * freed (so that it empties), when it has none left and may no longer
 * idle, and when a run migration isolates it.  Their slots stay linked
 * in the bins, buried (zs_slot_word_buried), until the bins reach them. */
void zs_recycle_release_zspage(struct zs_pool *pool, struct zs_shard *sh,
			       struct zspage *zsp);
/* The slot + 1 of the block after the one at ref in its bin (the link a
 * recycled block holds after its tag), for the check's walk. */
uint32_t zs_recycle_next(struct zs_pool *pool, uint32_t ref);

/* huge.c */
/* Kept huge pages, at most the pool's share (recycle_64ths) of the
 * shard's huge pages (theirs included) and ZS_HUGE_KEEP_MAX. */
#define ZS_HUGE_KEEP_MAX 1024u
/* Whether kept huge pages over the shard's huge pages, kept included,
 * pass the pool's share. */
static inline bool zs_huge_over_share(const struct zs_pool *pool,
				      unsigned long kept, unsigned long huge)
{
	return kept * 64 > huge * pool->recycle_64ths;
}
/* Whether a huge object's free may keep its page: the rules of the
 * recycle bins' (zs_recycle_wants), the shard's huge pages its share. */
static inline bool zs_huge_wants(const struct zs_pool *pool,
				 const struct zs_shard *sh)
{
	unsigned long kept =
		atomic_load_explicit(&sh->huge_kept, memory_order_relaxed);

	return sh->frees_in_a_row < ZS_RECYCLE_BURST &&
	       !atomic_load_explicit(&sh->compacting, memory_order_relaxed) &&
	       kept < ZS_HUGE_KEEP_MAX &&
	       !zs_huge_over_share(pool, kept + 1,
				   atomic_load_explicit(&sh->huge_count,
							memory_order_relaxed));
}
/* Aborts, reported, unless the arena gives this pool the page at loc for
 * slot slot_idx: a free checks it before it keeps the page (a damaged
 * place must not hand another object's page to the next one). */
void zs_huge_check_page(struct zs_pool *pool, uint32_t slot_idx, uint32_t loc);
/* Keeps the page at loc of the huge object just freed from slot slot_idx
 * (its word already zs_slot_word_huge_kept) for the next huge object. */
void zs_huge_keep(struct zs_pool *pool, struct zs_shard *sh, uint32_t slot_idx,
		  uint32_t loc);
/* Takes the newest kept page for an object of size bytes: its slot and
 * place, checked; false when none is kept. */
bool zs_huge_reuse(struct zs_pool *pool, struct zs_shard *sh, size_t size,
		   uint32_t *slot_idx, uint32_t *loc);
/* Gives the newest kept page back to the arena, its slot to the free
 * list; none kept: false. */
bool zs_huge_release_kept(struct zs_pool *pool, struct zs_shard *sh);
/* Gives kept pages back until they are within their share: a huge
 * object freed for good shrinks it, and the last leaves none kept. */
void zs_huge_trim(struct zs_pool *pool, struct zs_shard *sh);
char *zs_huge_bytes(const struct zs_pool *pool, uint32_t loc);
int zs_huge_place(struct zs_pool *pool, struct zs_shard *sh, uint32_t slot_idx,
		  size_t size, uint32_t *loc);
void zs_huge_remove(struct zs_pool *pool, struct zs_shard *sh,
		    uint32_t slot_idx, uint32_t loc);
void zs_huge_destroy_all(struct zs_pool *pool);
int zs_huge_isolate(struct zs_pool *pool, void *page, uint32_t idx);
int zs_huge_migrate(struct zs_pool *pool, void *old_page, void *new_page,
		    uint32_t idx);

/* map.c */
void zs_thread_forget_pool(const struct zs_pool *pool);

/* compact.c */
extern const struct zs_movable_ops zs_movable_ops;
/* A walk of zsp met a block at unit it cannot step over: reported, then
 * abort. */
_Noreturn void zs_bad_block(const struct zs_shard *sh, const struct zspage *zsp,
			    unsigned unit);

#endif /* ZS_ZS_INTERNAL_H */
