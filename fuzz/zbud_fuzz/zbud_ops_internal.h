/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zbud_fuzz/zbud_ops_internal.h - what the files of the zbud
 * interpreter share: its state (the shadow model plus the page model) and
 * the helpers its ops are built from.
 *
 * The interpreter is one op table (zbud_ops.c) whose ops live in several
 * files, one concept each:
 *   zbud_ops.c         the state, the helpers below, the API ops (reclaim
 *                      and its evict callback included), the table
 *   zbud_corrupt.c     corrupt: each zbud_pool_check finding, planted and
 *                      undone (white box)
 *   zbud_page_move.c   page_move: zbud's movable-page callbacks driven step
 *                      by step, with work while a page is isolated (white
 *                      box)
 *   zbud_host_fault.c  host_fault: host allocations failing (zs/fault.h)
 *   zbud_fatal.c       fatal: a death test in a forked child
 *   zbud_forge.c       forge: values near issued handles, all refused
 * The state object itself is zbud_ops.c's alone; ops get it as their
 * `void *state` argument (fuzz/common/fuzz_interp.h).  Names shared between the
 * files start with zbf_ (zbud fuzz).
 */
#ifndef ZS_FUZZ_ZBUD_OPS_INTERNAL_H
#define ZS_FUZZ_ZBUD_OPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"
#include "zs/zsmalloc.h" /* ZS_MAX_THREAD_MAPS: zbud's map limit */

#define ZB_NCHUNKS ((unsigned)(ZS_PAGE_SIZE / ZBUD_CHUNK_SIZE))
#define ZB_BUDDY_CHUNKS (ZB_NCHUNKS - 1) /* chunk 0 is the header */
#define ZB_MAPS ZS_MAX_THREAD_MAPS
/* Stored in a handle before a call that must not write it on failure. */
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull
#define WB_RING 64

/* Per live object, parallel to fuzz_model.obj[] (kept in step by
 * obj_remove()). */
struct zb_side {
	uintptr_t page;
	uint8_t bud;
	bool mapped;
};

/* A page as the model sees it: where, how recently allocated into (the
 * LRU), how many buddies. */
struct zb_page {
	uintptr_t addr;
	uint64_t stamp;
	uint8_t nobj;
	uint8_t chunks[2]; /* per buddy, 0 = free */
};

/* What the evict callback wrote back: enough to recreate the bytes. */
struct zb_wb {
	uint32_t size, split, seed, seed2;
};

struct zb_fuzz {
	struct zbud_pool *pool;
	struct zs_arena *arena;
	bool has_evict;
	bool injecting;
	bool host_armed; /* zs_inject_host_failures armed (op_host_fault) */
	bool verify_pending;
	struct fuzz_model m;
	struct zb_side side[FM_MAX_LIVE];
	struct zb_page pages[FM_MAX_LIVE];
	uint32_t npages;
	uint64_t clock;
	/* Maps held by op_nested, whose pages reclaim must skip. */
	uintptr_t held_page[ZB_MAPS];
	unsigned nheld;
	/* The page op_page_move holds isolated (reclaim must skip it), and
	 * whether it was emptied meanwhile: zbud keeps such a page until
	 * putback, so the pool has one page the model does not. */
	uintptr_t iso_page;
	unsigned iso_extra;
	/* The reclaim in progress (evict callback state). */
	bool reclaiming;
	uint16_t fail_mask;
	uint8_t rflags;
	unsigned ncalls;
	unsigned turns;
	unsigned emptied;
	unsigned turn_left; /* buddies still to evict in this page's turn */
	uintptr_t turn_page;
	/* The written-back ring. */
	struct zb_wb wb[WB_RING];
	unsigned nwb, wb_pos;
	unsigned long written_back;
	uint8_t buf[FM_MAX_OBJ];
};

/* The pool's bookkeeping, read white-box: a failed call must leave it as
 * it was.  Table capacities are left out: a table grown before a later
 * step failed is just spare room. */
struct zb_counts {
	uint64_t pages, objs;
	uint32_t slot_hw, slot_free;
	uint32_t desc_hw, ndesc_free;
};

/* An object's position in the model (and in side[]). */
static inline uint32_t pos_of(const struct zb_fuzz *f, const struct fm_obj *o)
{
	return (uint32_t)(o - f->m.obj);
}

static inline uint64_t pool_pages(struct zb_fuzz *f)
{
	return zbud_get_pool_size(f->pool);
}

/* ---- zbud_ops.c ---- */

/* zbud_pool_check must pass; `when` goes into the failure message. */
void zbf_pool_check(struct zb_fuzz *f, const char *when);
/* zbud_pool_check, and the page model against itself and the arena. */
void zbf_full_check(struct zb_fuzz *f, const char *when);
/* The model's index of the page at addr, or -1. */
int zbf_page_find(const struct zb_fuzz *f, uintptr_t addr);
/* A map of o at p must be where the zbud layout puts it in its page. */
void zbf_check_place(struct zb_fuzz *f, const struct fm_obj *o, const void *p,
		     const char *how);
/* zbud_map of o, which must work and be in place. */
void *zbf_map_obj(struct zb_fuzz *f, const struct fm_obj *o, const char *how);
/* A size biased to zbud's chunk arithmetic (kind % 8 == 7: out of range). */
size_t zbf_choose_size(uint8_t kind, uint16_t raw);
void zbf_counts_of(struct zbud_pool *pool, struct zb_counts *k);
/* fm_fail unless the pool's bookkeeping is still a. */
void zbf_same_counts(struct zbud_pool *pool, const struct zb_counts *a,
		     const char *what);
/* Allocates an object and fills it; NULL when refused as the contract
 * allows, or when the model is full. */
struct fm_obj *zbf_do_alloc(struct zb_fuzz *f, size_t size, uint8_t fuzz);
void zbf_do_free(struct zb_fuzz *f, struct fm_obj *o);
/* zbud_free and zbud_unmap -EINVAL, zbud_map NULL + EINVAL for h, and
 * the pool's pages as they were. */
void zbf_check_bad_handle(struct zb_fuzz *f, uint64_t h, const char *what);
/* One zbud_reclaim_page call, checked against the model. */
void zbf_do_reclaim(struct zb_fuzz *f, unsigned retries, uint16_t mask,
		    uint8_t flags);
/* After arena compaction: every object where it must be; the model's page
 * addresses follow the moves. */
void zbf_relocate(struct zb_fuzz *f, const char *when);
/* A second pool its user emptied must check clean and hold no page; then
 * it goes. */
void zbf_destroy_emptied_pool(struct zbud_pool *other);

/* ---- the ops in files of their own ---- */

void zbf_op_corrupt(void *state, struct fuzz_cursor *c);
void zbf_op_page_move(void *state, struct fuzz_cursor *c);
void zbf_op_host_fault(void *state, struct fuzz_cursor *c);
void zbf_op_fatal(void *state, struct fuzz_cursor *c);
void zbf_op_forge(void *state, struct fuzz_cursor *c);

#endif /* ZS_FUZZ_ZBUD_OPS_INTERNAL_H */
