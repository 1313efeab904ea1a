/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_ops_internal.h - what the files of the zsmalloc
 * interpreter share: its state and the helpers its ops are built from.
 *
 * The interpreter is one op table (zs_ops.c) whose ops live in several
 * files, one concept each:
 *   zs_ops.c          the state, the helpers below, the API ops, the table
 *   zs_arena_pages.c  arena_pages: the harness as a page owner of its own
 *   zs_corrupt.c      corrupt: each inconsistency zs_pool_check names,
 *                     planted and undone (white box)
 *   zs_page_ops.c     page_ops: the pool's page callbacks called late, as
 *                     by an arena with a stale view (white box)
 *   zs_host_fault.c   host_fault: the library's own host allocations failing
 *   zs_fatal.c        fatal's death tests (fuzz/zsmalloc_fuzz/zs_fatal.h)
 *   zs_forge.c        forge: values near issued handles, all refused
 * The state object itself is zs_ops.c's alone; ops get it as their
 * `void *state` argument (fuzz/common/fuzz_interp.h).  Names shared between the
 * files start with zsf_ (zsmalloc fuzz).
 */
#ifndef ZS_FUZZ_ZS_OPS_INTERNAL_H
#define ZS_FUZZ_ZS_OPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz/common/fuzz.h"
#include "zs/zsmalloc.h"

/* Objects op_nested may hold at once: every map and read allowed, and one
 * more to be refused. */
#define HELD_MAX (ZS_MAX_THREAD_MAPS + ZS_MAX_THREAD_READS + 1)
/* Stored in a handle before a call that must not write it on failure. */
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull

#define OWN_PAGES 64

/* The harness's own pages (zs_arena_pages.c), slot = cookie + index. */
struct page_owner {
	void *page[OWN_PAGES];
	uint32_t seed[OWN_PAGES];
	bool isolated[OWN_PAGES];
	unsigned refuse; /* bit 0: isolate refuses slots % 3 == 0,
			    bit 1: migrate refuses slots % 5 == 0 */
	unsigned long moved;
};

struct zs_fuzz {
	struct zs_pool *pool;
	struct zs_arena *arena; /* private arena, NULL = default arena */
	unsigned long cap; /* zs_pool_set_max_pages value, 0 = none */
	unsigned long cap_limit; /* pages may never exceed this (cap > 0) */
	bool pool_injecting; /* zs_pool_inject_failures armed */
	bool arena_injecting; /* zs_arena_inject_failures armed */
	bool host_injecting; /* zs_inject_host_failures armed (host_fault) */
	bool verify_pending; /* read every object back after this op */
	unsigned verify_turn; /* rotates verify_all's access path */
	FILE *sink; /* /dev/null, for the class-table printers */
	struct fuzz_model m;
	struct page_owner own; /* op_arena_pages: the harness's pages */
	struct zs_arena *own_arena; /* the arena they came from */
	int own_id; /* its owner id there, -1 = none */
	uint8_t buf[FM_MAX_OBJ]; /* write pattern scratch */
	uint8_t local[HELD_MAX][FM_MAX_OBJ]; /* read_begin local copies */
};

/* ---- zs_ops.c ---- */

/* The pool's arena: the private one, or the default arena. */
struct zs_arena *zsf_arena_of(struct zs_fuzz *f);
void zsf_get_stats(struct zs_fuzz *f, struct zs_pool_stats *st);
/* A pool must look exactly as before a call that had to change nothing
 * (`metadata`: metadata_bytes too). */
void zsf_expect_pool_unchanged(struct zs_pool *pool,
			       const struct zs_pool_stats *b, const char *what,
			       bool metadata);
void zsf_expect_unchanged(struct zs_fuzz *f, const struct zs_pool_stats *b,
			  const char *what, bool metadata);
/* zs_pool_check must pass; `when` goes into the failure message. */
void zsf_pool_check(struct zs_fuzz *f, const char *when);
/* Allocates and initialises an object; NULL when the allocator refused as
 * its contract allows, or the model is full. */
struct fm_obj *zsf_do_alloc(struct zs_fuzz *f, size_t size, uint8_t fuzz);
void zsf_do_free(struct zs_fuzz *f, struct fm_obj *o);
/* Every call taking a handle refuses h exactly (-EINVAL, or NULL with
 * EINVAL, or size 0) and the pool's statistics stay as they were. */
void zsf_check_bad_handle(struct zs_fuzz *f, uint64_t h, const char *what);

/* ---- zs_arena_pages.c ---- */

void zsf_op_arena_pages(void *state, struct fuzz_cursor *c);
/* Every owner page still holds its pattern and none is left isolated. */
void zsf_own_verify_all(struct zs_fuzz *f, const char *when);
/* Returns every owner page to the arena and unregisters the owner. */
void zsf_own_release(struct zs_fuzz *f);

/* ---- zs_corrupt.c ---- */

struct size_class;
struct zspage;
struct zs_hslot;

/* A zspage of some class, its list, and one allocated object of it: what
 * a corruption is planted in, or page_ops' callbacks are called about. */
struct corrupt_target {
	struct size_class *c;
	struct zspage *zsp;
	unsigned g; /* fullness group whose list holds zsp */
	uint32_t obj; /* an allocated object (0 for the huge class) */
	uint32_t idx; /* its handle slot */
	struct zs_hslot *slot;
};

/* Which zspages zsf_pick_target may pick. */
enum { T_ANY, T_SMALL, T_HUGE, T_SMALL_FREELIST };

/* Picks a zspage (and an object in it) by sel among those that fit `want`,
 * and returns with its class locked; false (nothing locked) when there is
 * none. */
bool zsf_pick_target(struct zs_pool *pool, uint16_t sel, int want,
		     struct corrupt_target *t);
void zsf_op_corrupt(void *state, struct fuzz_cursor *c);

/* ---- zs_page_ops.c, zs_host_fault.c, zs_forge.c ---- */

void zsf_op_page_ops(void *state, struct fuzz_cursor *c);
void zsf_op_host_fault(void *state, struct fuzz_cursor *c);
void zsf_op_forge(void *state, struct fuzz_cursor *c);

#endif /* ZS_FUZZ_ZS_OPS_INTERNAL_H */
