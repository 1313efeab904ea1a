/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zbud_fuzz/zbud_fuzz.h - the zbud fuzz target's one header: its input
 * format and opcodes, its state (the shadow model plus the page model) and
 * what its files share.
 *
 * Input format (decoded by fuzz/common/fuzz_cursor.h, never memcpy'd):
 *   byte 0      pool config: bit 0 set = a pool without an evict callback
 *               (zbud_reclaim_page must say -EINVAL); the pool always takes
 *               its pages from a private arena, so fault injection and
 *               arena compaction touch nothing else
 *   then ops    one opcode byte (low 5 bits index the op table; the high 3
 *               bits are ignored), then the op's little-endian arguments
 * An op whose arguments are cut short is not run; the input just ends.
 *
 * Opcodes are fixed forever, so corpus files keep their meaning: a new op
 * takes a free slot (one handler and one table row in zbud_ops.c, as its
 * banner says).  Free slots are no-ops.  tools/fuzz/gen_backend_corpus.py
 * reads the enum below, so keep one "ZB_OP_NAME = 0xNN," per line.
 *
 * The target is one op table (zbud_ops.c) whose ops live in several files,
 * one concept each:
 *   zbud_ops.c         the op table, the target descriptor, the pool's
 *                      life, the checks around every op
 *   zbud_model.c       the page model and its checks; one object mapped,
 *                      read back, written
 *   zbud_objects.c     allocation and free against the page model
 *   zbud_reclaim.c     reclaim, its evict callback, the written-back ring
 *   zbud_nested.c      nested: maps held while the pool works
 *   zbud_misuse.c      misuse: bad handles and arguments, refused
 *   zbud_arena.c       the private arena: injection, compaction, owners
 *   zbud_corrupt.c     corrupt: each zbud_pool_check finding, planted and
 *                      undone (white box)
 *   zbud_page_move.c   page_move: zbud's movable-page callbacks driven step
 *                      by step, with work while a page is isolated (white
 *                      box)
 *   zbud_host_fault.c  host_fault: host allocations failing (zs/fault.h)
 *   zbud_fatal.c       fatal: a death test in a forked child
 *   zbud_forge.c       forge: values near issued handles, all refused
 * The state object itself is zbud_ops.c's alone; ops get it as their
 * `void *state` argument (fuzz/common/fuzz_interp.h).  Names shared between
 * the files start with zbf_ (zbud fuzz).
 */
#ifndef ZS_FUZZ_ZBUD_FUZZ_H
#define ZS_FUZZ_ZBUD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"
#include "zs/zbud_internal.h" /* FIRST, LAST: a page's two buddies */
#include "zs/zsmalloc.h" /* ZS_MAX_THREAD_MAPS: zbud's map limit */

enum zb_fuzz_opcode {
	ZB_OP_ALLOC = 0x00, /* u8 size kind, u16 raw, u8 seed */
	ZB_OP_FREE = 0x01, /* u16 sel */
	ZB_OP_WRITE = 0x02, /* u16 sel, u8 seed, u16 len */
	ZB_OP_READ = 0x03, /* u16 sel */
	ZB_OP_NESTED = 0x04, /* u8 n, u8 flags, u8 order, n x u16 sel */
	ZB_OP_RECLAIM = 0x05, /* u8 retries, u16 fail mask, u8 flags */
	ZB_OP_MISUSE = 0x06, /* u8 kind, u16 arg */
	ZB_OP_INJECT = 0x07, /* u8 after, u8 count */
	ZB_OP_ARENA_COMPACT = 0x08, /* u8 flags */
	ZB_OP_CHECK = 0x09, /* (none) */
	ZB_OP_FILL = 0x0a, /* u8 count, u8 size kind, u16 raw, u8 seed */
	ZB_OP_FREE_MANY = 0x0b, /* u8 stride, u8 offset */
	ZB_OP_VERIFY_ALL = 0x0c, /* (none) */
	ZB_OP_RECREATE = 0x0d, /* u8 config, u8 flags */
	ZB_OP_RECALL = 0x0e, /* u16 sel */
	ZB_OP_CORRUPT = 0x0f, /* u8 kind, u16 arg (white-box) */
	ZB_OP_HOST_FAULT = 0x10, /* u8 after, u8 count, u8 n, u8 size kind,
				    u16 raw, u8 seed, u8 flags */
	ZB_OP_PAGE_MOVE = 0x11, /* u16 sel, u8 how, u8 flags (white-box) */
	ZB_OP_POOLS = 0x12, /* u16 n, u8 flags */
	ZB_OP_FATAL = 0x13, /* u16 sel, u8 how (death test, forked) */
	ZB_OP_FORGE = 0x14, /* u8 kind, u16 sel, u16 bits
			       [, u32 lo, u32 hi when kind % 4 == 3] */
	ZB_OP_SLOTS = 0x20,
};

/* What LLVMFuzzerTestOneInput hands to fm_run(): the op table, the state
 * and the checks around every op. */
extern const struct fm_target zb_fuzz_target;

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

/* ---- zbud_model.c ---- */

/* Chunks an object of `size` bytes takes in its page. */
unsigned zbf_chunks_of(uint32_t size);
/* zbud_pool_check must pass; `when` goes into the failure message. */
void zbf_pool_check(struct zb_fuzz *f, const char *when);
/* zbud_pool_check, and the page model against itself and the arena. */
void zbf_full_check(struct zb_fuzz *f, const char *when);
/* The model's index of the page at addr, or -1. */
int zbf_page_find(const struct zb_fuzz *f, uintptr_t addr);
/* The model's page of o. */
struct zb_page *zbf_page_of(struct zb_fuzz *f, const struct fm_obj *o);
/* Drops o from the model and its page (side[] kept in step). */
void zbf_obj_remove(struct zb_fuzz *f, struct fm_obj *o);
/* Where in its page an object of that buddy starts. */
uintptr_t zbf_expected_offset(const struct fm_obj *o, uint8_t bud);
/* A map of o at p must be where the zbud layout puts it in its page. */
void zbf_check_place(struct zb_fuzz *f, const struct fm_obj *o, const void *p,
		     const char *how);
/* The page model against itself. */
void zbf_check_pages(struct zb_fuzz *f);
/* zbud_map of o, which must work and be in place. */
void *zbf_map_obj(struct zb_fuzz *f, const struct fm_obj *o, const char *how);
/* zbud_map of o, in place in whatever page holds it now. */
void *zbf_map_obj_anywhere(struct zb_fuzz *f, const struct fm_obj *o,
			   const char *how);
void zbf_verify_obj(struct zb_fuzz *f, const struct fm_obj *o);
void zbf_verify_all(struct zb_fuzz *f);
/* Rewrites [0, len) of o with seed's pattern (`fresh`: just allocated). */
void zbf_write_obj(struct zb_fuzz *f, struct fm_obj *o, uint32_t len,
		   uint32_t seed, bool fresh);

/* ---- zbud_objects.c ---- */

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
void zbf_op_alloc(void *state, struct fuzz_cursor *c);
void zbf_op_free(void *state, struct fuzz_cursor *c);
void zbf_op_write(void *state, struct fuzz_cursor *c);
void zbf_op_read(void *state, struct fuzz_cursor *c);
void zbf_op_fill(void *state, struct fuzz_cursor *c);
void zbf_op_free_many(void *state, struct fuzz_cursor *c);
void zbf_op_verify_all(void *state, struct fuzz_cursor *c);

/* ---- zbud_reclaim.c ---- */

/* The pool's evict callback (when the config byte asks for one). */
int zbf_evict(struct zbud_pool *pool, uint64_t handle);
/* One zbud_reclaim_page call, checked against the model. */
void zbf_do_reclaim(struct zb_fuzz *f, unsigned retries, uint16_t mask,
		    uint8_t flags);
void zbf_op_reclaim(void *state, struct fuzz_cursor *c);
void zbf_op_recall(void *state, struct fuzz_cursor *c);

/* ---- zbud_misuse.c ---- */

/* zbud_free and zbud_unmap -EINVAL, zbud_map NULL + EINVAL for h, and
 * the pool's pages as they were. */
void zbf_check_bad_handle(struct zb_fuzz *f, uint64_t h, const char *what);
/* A second pool its user emptied must check clean and hold no page; then
 * it goes. */
void zbf_destroy_emptied_pool(struct zbud_pool *other);
void zbf_op_misuse(void *state, struct fuzz_cursor *c);

/* ---- zbud_arena.c, zbud_nested.c ---- */

/* After arena compaction: every object where it must be; the model's page
 * addresses follow the moves. */
void zbf_relocate(struct zb_fuzz *f, const char *when);
void zbf_op_inject(void *state, struct fuzz_cursor *c);
void zbf_op_arena_compact(void *state, struct fuzz_cursor *c);
void zbf_op_pools(void *state, struct fuzz_cursor *c);
void zbf_op_nested(void *state, struct fuzz_cursor *c);

/* ---- the ops in files of their own ---- */

void zbf_op_corrupt(void *state, struct fuzz_cursor *c);
void zbf_op_page_move(void *state, struct fuzz_cursor *c);
void zbf_op_host_fault(void *state, struct fuzz_cursor *c);
void zbf_op_fatal(void *state, struct fuzz_cursor *c);
void zbf_op_forge(void *state, struct fuzz_cursor *c);

#endif /* ZS_FUZZ_ZBUD_FUZZ_H */
