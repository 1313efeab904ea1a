/* SPDX-License-Identifier: MIT */
/*
 * zs/zs_internal.h - the structures shared by the zsmalloc sources.
 *
 * Not a public header: layouts here change freely.  The names follow the
 * kernel's where the concept is the same (size class, zspage, fullness
 * group) so readers of mm/zsmalloc.c find their way.
 *
 * Lock order (outermost first):
 *   class lock -> pool grow_lock / zsp_lock -> arena lock.
 * zs_pool_check takes every class lock in ascending index order; nothing
 * else holds two class locks.  Readers (map, read_begin, obj_write) take no
 * lock at all: they pin the object with one CAS on its handle slot.
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
#include "zs/lock.h"
#include "zs/report_internal.h"
#include "zs/zsmalloc.h"

#define ZS_MIN_ALLOC_SIZE 32
#define ZS_CLASS_DELTA 16 /* page size >> 8, as in the kernel */
#define ZS_NR_SIZE_SLOTS \
	((ZS_PAGE_SIZE - ZS_MIN_ALLOC_SIZE) / ZS_CLASS_DELTA + 1) /* 255 */
#define ZS_MAX_CHAIN 16
#define ZS_DEFAULT_CHAIN 8
/* Every non-huge object starts with a 4-byte header word:
 * (handle slot index << 1) | 1 while allocated,
 * (next free object index << 1) | 0 while free. */
#define ZS_OBJ_HEADER 4u
#define ZS_OBJ_ALLOCATED 1u
#define ZS_NO_OBJ 0x7fffffffu

/* Fullness groups by in-use ratio, as the kernel's debugfs shows them:
 * 0 = empty, 1..10 = 0-9% ... 90-99%, 11 = full. */
#define ZS_NR_FULLNESS 12
#define ZS_FULLNESS_EMPTY 0
#define ZS_FULLNESS_FULL 11

/* ---- handle slots ---- */

/* meta word of a handle slot:
 *   [63:32] generation   [31] live   [30] moving
 *   [29:16] object size (1..4096)    [15:0] pins (maps + open reads) */
#define ZS_META_LIVE (1ull << 31)
#define ZS_META_MOVING (1ull << 30)
#define ZS_META_SIZE_SHIFT 16
#define ZS_META_SIZE_MASK 0x3fffull
#define ZS_META_PINS_MASK 0xffffull

static inline uint32_t zs_meta_gen(uint64_t m)
{
	return (uint32_t)(m >> 32);
}

static inline size_t zs_meta_size(uint64_t m)
{
	return (size_t)((m >> ZS_META_SIZE_SHIFT) & ZS_META_SIZE_MASK);
}

static inline unsigned zs_meta_pins(uint64_t m)
{
	return (unsigned)(m & ZS_META_PINS_MASK);
}

struct zs_hslot {
	_Atomic uint64_t meta;
	/* live: (zspage id << 32) | object index; free: next free slot + 1 */
	_Atomic uint64_t loc;
};

#define ZS_HT_CHUNK_SHIFT 14
#define ZS_HT_CHUNK (1u << ZS_HT_CHUNK_SHIFT) /* slots per chunk */
#define ZS_HT_MAX_CHUNKS (1u << 15) /* 2^29 handles per pool */
#define ZS_HT_DIR_BYTES (ZS_HT_MAX_CHUNKS * sizeof(_Atomic(void *)))

/* ---- zspages ---- */

enum zspage_state {
	ZSPAGE_FREE = 0, /* descriptor on the pool's free list */
	ZSPAGE_LIVE = 1,
};

struct zspage {
	struct zspage *prev,
		*next; /* fullness list (or descriptor free list) */
	_Atomic uint32_t class_idx;
	_Atomic uint32_t state;
	uint32_t id;
	uint32_t inuse;
	uint32_t free_head; /* first freed object, ZS_NO_OBJ when none */
	uint32_t fresh; /* objects from here on were never used */
	uint8_t fullness;
	bool isolated; /* taken out of the lists by the compactor */
	uint16_t run_isolated; /* arena moves of the run in progress */
	uint32_t huge_slot; /* huge class: the one object's handle slot */
	/* The first of the class's pages_per_zspage pages, one arena run:
	 * contiguous, so every object is one byte range at base + i * size.
	 * Only a run migration changes it, with every object marked. */
	_Atomic(char *) base;
};

#define ZS_ZSP_CHUNK 256 /* descriptors per table chunk */
#define ZS_ZSP_MAX_CHUNKS (1u << 16)
#define ZS_ZSP_DIR_BYTES (ZS_ZSP_MAX_CHUNKS * sizeof(_Atomic(void *)))

/* ---- size classes ---- */

struct size_class {
	zs_lock_t lock;
	uint32_t size; /* slot size in bytes (object + header) */
	uint32_t index;
	uint16_t pages_per_zspage;
	uint16_t objs_per_zspage;
	uint64_t group_mul; /* 10 * 2^32 / objs_per_zspage: fullness groups */
	bool huge;
	struct zspage *groups[ZS_NR_FULLNESS];
	struct zspage *isolated_list; /* sources of a running compaction */
	unsigned long group_count[ZS_NR_FULLNESS];
	/* read without the lock by the shrinker's count */
	_Atomic unsigned long objs_allocated;
	_Atomic unsigned long objs_used;
	_Atomic bool compacting;
	uint64_t bytes_stored;
	uint32_t free_slots; /* handle slot free list head + 1, 0 = empty */
	uint32_t fresh_next, fresh_end; /* a batch of never-used slots */
};

struct zs_pool {
	char name[32];
	uint64_t id; /* unique per process lifetime, for thread records */
	struct zs_arena *arena;
	int owner_id;
	unsigned chain_size;
	struct zs_handle_key key; /* seals handles (zs/handle_cipher.h) */
	size_t huge_size; /* requests >= this take a page each */

	_Atomic unsigned long pages;
	_Atomic unsigned long max_pages;
	_Atomic unsigned long zspages;
	_Atomic unsigned long pages_compacted, objs_moved, pages_migrated;
	_Atomic unsigned long alloc_failures, compactions;

	struct zs_fault_counter inject; /* zs_pool_inject_failures */

	unsigned nr_classes;
	struct size_class *classes;
	uint16_t size_to_class[ZS_NR_SIZE_SLOTS];

	pthread_mutex_t grow_lock; /* handle table growth */
	_Atomic uint32_t ht_next; /* slots ever handed to classes */
	_Atomic(struct zs_hslot *) *ht_chunks;
	_Atomic unsigned long ht_nchunks;

	pthread_mutex_t zsp_lock; /* zspage descriptor table */
	struct zspage *zsp_free;
	_Atomic(char *) *zsp_chunks;
	_Atomic uint32_t zsp_next;
	size_t zsp_stride;
	_Atomic unsigned long zsp_nchunks;
};

/* classes.c */
int zs_classes_init(struct zs_pool *pool);
struct size_class *zs_class_for_size(struct zs_pool *pool, size_t size);
void zs_class_geometry(unsigned chain, uint32_t size, uint16_t *pages,
		       uint16_t *objs);

/* handles.c */
struct zs_hslot *zs_slot_at(struct zs_pool *pool, uint32_t idx);
struct zs_hslot *zs_handle_lookup(struct zs_pool *pool, uint64_t handle,
				  uint32_t *idx, uint32_t *gen);
uint64_t zs_handle_encode(const struct zs_pool *pool, uint32_t idx,
			  uint32_t gen);
int zs_slot_take(struct zs_pool *pool, struct size_class *c, uint32_t *idx);
void zs_slot_give_back(struct zs_pool *pool, struct size_class *c,
		       uint32_t idx);
int zs_pin(struct zs_pool *pool, uint64_t handle, struct zs_hslot **slot,
	   uint64_t *meta);
void zs_unpin(struct zs_hslot *slot);
bool zs_try_mark_moving(struct zs_hslot *slot);
void zs_clear_moving(struct zs_hslot *slot);
void zs_handles_destroy(struct zs_pool *pool);

/* zspage.c */
struct zspage *zs_zspage_by_id(struct zs_pool *pool, uint32_t id);
struct zspage *zs_zspage_create(struct zs_pool *pool, struct size_class *c);
void zs_zspage_destroy(struct zs_pool *pool, struct size_class *c,
		       struct zspage *zsp);
void zs_zspages_destroy_all(struct zs_pool *pool);
void zs_fullness_insert(struct size_class *c, struct zspage *zsp);
void zs_fullness_remove(struct size_class *c, struct zspage *zsp);
void zs_fullness_fix(struct size_class *c, struct zspage *zsp);
unsigned zs_fullness_of(const struct size_class *c, uint32_t inuse);
struct zspage *zs_find_fullest(struct size_class *c,
			       const struct zspage *exclude);
struct zspage *zs_find_emptiest(struct size_class *c);
uint32_t zs_obj_take(struct size_class *c, struct zspage *zsp,
		     uint32_t slot_idx, size_t size);
void zs_obj_release(struct size_class *c, struct zspage *zsp, uint32_t obj);
uint32_t zs_obj_header(const struct size_class *c, const struct zspage *zsp,
		       uint32_t obj);
char *zs_obj_bytes(const struct size_class *c, const struct zspage *zsp,
		   uint32_t obj);
int zs_pool_reserve(struct zs_pool *pool, unsigned long pages);
bool zs_inject_fail(struct zs_pool *pool);
unsigned long zs_class_freeable(const struct size_class *c);

/* map.c */
void zs_thread_forget_pool(const struct zs_pool *pool);

/* compact.c */
extern const struct zs_movable_ops zs_movable_ops;

#endif /* ZS_ZS_INTERNAL_H */
