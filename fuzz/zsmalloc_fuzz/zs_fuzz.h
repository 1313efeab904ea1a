/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_fuzz.h - the zsmalloc fuzz target's one header: its
 * input format and opcodes, its state, and what its files share.
 *
 * Input format (decoded by fuzz/common/fuzz_cursor.h, never memcpy'd):
 *   byte 0      pool config: bits 0-4 chain size (value % 17, 0 = default),
 *               bit 5 a private arena, bit 6 zs_create_pool() instead of
 *               the config call (default arena only), bit 7 a NULL name
 *   then ops    one opcode byte (low 6 bits index the op table; the high 2
 *               bits are ignored), then the op's little-endian arguments
 * An op whose arguments are cut short is not run; the input just ends.
 *
 * Opcodes are fixed forever, so corpus files keep their meaning: a new op
 * takes a free slot (one handler function and one row in zs_ops.c's table,
 * as its banner says).  Free slots are no-ops.
 * tools/fuzz/gen_seed_corpus.py reads the enum below, so keep one
 * "ZS_OP_NAME = 0xNN," per line.
 *
 * The target is one op table (zs_ops.c) whose ops live in several files,
 * one concept each:
 *   zs_ops.c          the op table, the target descriptor, the checks
 *                     around every op (begin, after-op, end)
 *   zs_pool.c         the pool's life (open, drain, close, recreate), its
 *                     statistics against the model, caps and injection
 *   zs_objects.c      one object: allocate, free, write, read back
 *   zs_reclaim.c      compaction, the shrinker, arena compaction
 *   zs_nested.c       nested: many objects mapped and read at once
 *   zs_misuse.c       misuse: bad handles and bad arguments, refused
 *   zs_threads.c      race and pressure: ops that run a second thread
 *   zs_arena_pages.c  arena_pages: the harness as a page owner of its own
 *   zs_corrupt.c      corrupt: each inconsistency zs_pool_check names,
 *                     planted and undone (white box)
 *   zs_page_ops.c     page_ops: the pool's page callbacks called late, as
 *                     by an arena with a stale view (white box)
 *   zs_host_fault.c   host_fault: the library's own host allocations failing
 *   zs_fatal.c        fatal's death tests
 *   zs_forge.c        forge: values near issued handles, all refused
 * The state object itself is zs_ops.c's alone; ops get it as their
 * `void *state` argument (fuzz/common/fuzz_interp.h).  Names shared between
 * the files start with zsf_ (zsmalloc fuzz).
 */
#ifndef ZS_FUZZ_ZS_FUZZ_H
#define ZS_FUZZ_ZS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz/common/fuzz.h"
#include "zs/zsmalloc.h"

enum zs_fuzz_opcode {
	ZS_OP_ALLOC = 0x00, /* u8 size kind, u16 raw, u8 seed */
	ZS_OP_FREE = 0x01, /* u16 sel */
	ZS_OP_WRITE_WO = 0x02, /* u16 sel, u8 seed */
	ZS_OP_WRITE_RW = 0x03, /* u16 sel, u8 seed, u16 len */
	ZS_OP_WRITE_OBJ = 0x04, /* u16 sel, u8 seed, u16 len */
	ZS_OP_READ_RO = 0x05, /* u16 sel */
	ZS_OP_READ_RW = 0x06, /* u16 sel */
	ZS_OP_READ_BEGIN = 0x07, /* u16 sel, u8 flags */
	ZS_OP_NESTED = 0x08, /* u8 n, u8 flags, u16 modes, u8 order,
				       n x u16 sel */
	ZS_OP_COMPACT = 0x09, /* (none) */
	ZS_OP_SHRINK = 0x0a, /* u16 nr */
	ZS_OP_STATS = 0x0b, /* u8 flags, u16 size */
	ZS_OP_CHECK = 0x0c, /* (none) */
	ZS_OP_MISUSE = 0x0d, /* u8 kind, u16 arg */
	ZS_OP_INJECT = 0x0e, /* u8 target, u8 after, u8 count */
	ZS_OP_MAX_PAGES = 0x0f, /* u8 kind, u16 arg */
	ZS_OP_RECREATE = 0x10, /* u8 config, u8 flags */
	ZS_OP_ARENA_COMPACT = 0x11, /* u8 flags */
	ZS_OP_FILL = 0x12, /* u8 count, u8 size kind, u16 raw, u8 seed */
	ZS_OP_FREE_MANY = 0x13, /* u8 stride, u8 offset */
	ZS_OP_VERIFY_ALL = 0x14, /* u8 method */
	ZS_OP_DRAIN = 0x15, /* u8 order */
	ZS_OP_RACE = 0x16, /* u8 mover, u8 n, n x (u8 action, u16 sel) */
	ZS_OP_PRESSURE = 0x17, /* u8 flags, u16 arg */
	ZS_OP_ARENA_PAGES = 0x18, /* u8 n (bits 6-7: runs), u8 flags,
				     u16 arg */
	ZS_OP_CORRUPT = 0x19, /* u8 kind, u16 sel */
	ZS_OP_HOST_FAULT = 0x1a, /* u8 flags, u8 after, u8 count, u8 pick */
	ZS_OP_PAGE_OPS = 0x1b, /* u8 flags, u16 sel */
	ZS_OP_FATAL = 0x1c, /* u8 kind, u16 arg */
	ZS_OP_FORGE = 0x1d, /* u8 kind, u16 sel, u16 bits
			       [, u32 lo, u32 hi when kind % 4 == 3] */
	ZS_OP_SLOTS = 0x40,
};

/* What LLVMFuzzerTestOneInput hands to fm_run(): the op table, the state
 * and the checks around every op. */
extern const struct fm_target zs_fuzz_target;

/* Objects op_nested may hold at once: every map and read allowed, and one
 * more to be refused. */
#define HELD_MAX (ZS_MAX_THREAD_MAPS + ZS_MAX_THREAD_READS + 1)
/* Stored in a handle before a call that must not write it on failure. */
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull

#define OWN_PAGES 64

/* The harness's own pages (zs_arena_pages.c), slot = cookie + index.  A
 * run of n pages fills n consecutive slots; the arena calls the owner
 * about its first one (the head) only. */
struct page_owner {
	void *page[OWN_PAGES];
	uint32_t seed[OWN_PAGES];
	uint8_t run[OWN_PAGES]; /* head: pages in its run (1 for a single
				   or group page); tail or empty: 0 */
	bool fixed[OWN_PAGES]; /* allocated not movable */
	bool isolated[OWN_PAGES]; /* heads only */
	unsigned refuse; /* bit 0: isolate refuses heads % 3 == 0,
			    bit 1: migrate refuses heads % 5 == 0 */
	unsigned long moved; /* pages */
	unsigned long runs_moved; /* runs of more than one page */
	unsigned long runs_refused; /* their isolates and migrates refused */
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

/* ---- zs_pool.c ---- */

/* The pool's arena: the private one, or the default arena. */
struct zs_arena *zsf_arena_of(struct zs_fuzz *f);
/* An allocation may fail with -ENOMEM: a failure is armed or a cap set. */
bool zsf_enomem_ok(const struct zs_fuzz *f);
void zsf_get_stats(struct zs_fuzz *f, struct zs_pool_stats *st);
/* A pool must look exactly as before a call that had to change nothing
 * (`metadata`: metadata_bytes too). */
void zsf_expect_pool_unchanged(struct zs_pool *pool,
			       const struct zs_pool_stats *b, const char *what,
			       bool metadata);
void zsf_expect_unchanged(struct zs_fuzz *f, const struct zs_pool_stats *b,
			  const char *what, bool metadata);
/* Statistics against the model; cheap, so it runs after every op. */
void zsf_check_stats(struct zs_fuzz *f);
/* zs_pool_check must pass; `when` goes into the failure message. */
void zsf_pool_check(struct zs_fuzz *f, const char *when);
/* Opens the pool the config byte asks for, capped at max_pages (0: none). */
void zsf_pool_open(struct zs_fuzz *f, uint8_t cfg, unsigned long max_pages);
/* Frees every object; the pool must then hold nothing. */
void zsf_drain(struct zs_fuzz *f, bool backwards);
/* Destroys the pool (and its private arena), `free_first`: drained. */
void zsf_pool_close(struct zs_fuzz *f, bool free_first);
void zsf_op_stats(void *state, struct fuzz_cursor *c);
void zsf_op_check(void *state, struct fuzz_cursor *c);
void zsf_op_inject(void *state, struct fuzz_cursor *c);
void zsf_op_max_pages(void *state, struct fuzz_cursor *c);
void zsf_op_recreate(void *state, struct fuzz_cursor *c);
void zsf_op_drain(void *state, struct fuzz_cursor *c);

/* ---- zs_objects.c ---- */

/* How an object is read back, and how it is written. */
enum { V_READ, V_RO, V_RW, V_READ_UNINIT, V_METHODS };
enum { W_OBJ, W_WO, W_RW, W_METHODS };

/* Reads the object back by `how` (V_*) and compares it with the model. */
void zsf_verify_obj(struct zs_fuzz *f, const struct fm_obj *o, int how);
/* Every live object read back (the access path rotates), owner pages too. */
void zsf_verify_all(struct zs_fuzz *f);
/* Rewrites [0, len) of the object with seed's pattern by `how` (W_*; WO:
 * the whole object).  `fresh`: just allocated, its bytes unknown. */
void zsf_write_obj(struct zs_fuzz *f, struct fm_obj *o, int how, uint32_t len,
		   uint32_t seed, bool fresh);
/* Sizes biased to where the allocator's arithmetic changes. */
size_t zsf_choose_size(struct zs_fuzz *f, uint8_t kind, uint16_t raw);
/* Allocates and initialises an object; NULL when the allocator refused as
 * its contract allows, or the model is full. */
struct fm_obj *zsf_do_alloc(struct zs_fuzz *f, size_t size, uint8_t fuzz);
void zsf_do_free(struct zs_fuzz *f, struct fm_obj *o);
void zsf_op_alloc(void *state, struct fuzz_cursor *c);
void zsf_op_free(void *state, struct fuzz_cursor *c);
void zsf_op_write_wo(void *state, struct fuzz_cursor *c);
void zsf_op_write_rw(void *state, struct fuzz_cursor *c);
void zsf_op_write_obj(void *state, struct fuzz_cursor *c);
void zsf_op_read_ro(void *state, struct fuzz_cursor *c);
void zsf_op_read_rw(void *state, struct fuzz_cursor *c);
void zsf_op_read_begin(void *state, struct fuzz_cursor *c);
void zsf_op_fill(void *state, struct fuzz_cursor *c);
void zsf_op_free_many(void *state, struct fuzz_cursor *c);
void zsf_op_verify_all(void *state, struct fuzz_cursor *c);

/* ---- zs_reclaim.c, zs_nested.c, zs_threads.c ---- */

void zsf_op_compact(void *state, struct fuzz_cursor *c);
void zsf_op_shrink(void *state, struct fuzz_cursor *c);
void zsf_op_arena_compact(void *state, struct fuzz_cursor *c);
void zsf_op_nested(void *state, struct fuzz_cursor *c);
void zsf_op_race(void *state, struct fuzz_cursor *c);
void zsf_op_pressure(void *state, struct fuzz_cursor *c);

/* ---- zs_misuse.c ---- */

/* Every call taking a handle refuses h exactly (-EINVAL, or NULL with
 * EINVAL, or size 0) and the pool's statistics stay as they were. */
void zsf_check_bad_handle(struct zs_fuzz *f, uint64_t h, const char *what);
void zsf_op_misuse(void *state, struct fuzz_cursor *c);

/* ---- zs_arena_pages.c ---- */

void zsf_op_arena_pages(void *state, struct fuzz_cursor *c);
/* Every owner page still holds its pattern and none is left isolated. */
void zsf_own_verify_all(struct zs_fuzz *f, const char *when);
/* Returns every owner page to the arena and unregisters the owner. */
void zsf_own_release(struct zs_fuzz *f);

/* ---- zs_corrupt.c ---- */

struct zs_shard;
struct zspage;
struct zs_hslot;

/* An object of some shard and what holds it: a shared zspage and its
 * list, or (huge, zsp NULL) the page of its own that its place names.
 * What a corruption is planted in, or page_ops' callbacks are called
 * about. */
struct corrupt_target {
	struct zs_shard *sh;
	struct zspage *zsp; /* NULL for a huge object (it has none) */
	unsigned g; /* fullness group whose list holds zsp; ZS_NR_FULLNESS + 1
		       for a huge object */
	unsigned unit; /* the object's first unit (0 for a huge object) */
	unsigned units; /* its units, tag included (0 for a huge object) */
	uint32_t ref; /* its slot's loc: zs_span_ref(zsp's id, unit), or
			 zs_huge_loc(page number, shard) */
	uint32_t idx; /* its handle slot */
	struct zs_hslot *slot;
	char *page; /* a huge object's page (zs_huge_bytes); NULL otherwise */
};

/* Which objects zsf_pick_target may pick: any, those in shared zspages,
 * huge ones (a page each, no zspage). */
enum { T_ANY, T_SMALL, T_HUGE };

/* Picks an object by sel among those that fit `want` (shared zspages in
 * group order, then huge objects in slot order, shard by shard from sel),
 * and returns with its shard locked; false (nothing locked) when there is
 * none. */
bool zsf_pick_target(struct zs_pool *pool, uint16_t sel, int want,
		     struct corrupt_target *t);
void zsf_op_corrupt(void *state, struct fuzz_cursor *c);

/* ---- zs_page_ops.c, zs_host_fault.c, zs_forge.c ---- */

void zsf_op_page_ops(void *state, struct fuzz_cursor *c);
void zsf_op_host_fault(void *state, struct fuzz_cursor *c);
void zsf_op_forge(void *state, struct fuzz_cursor *c);

/* ---- zs_arena_corrupt.c ----
 * The arena half of corrupt, kept apart from the pool's planters because
 * the arena is its own bookkeeping (regions, bitmaps, owners) that every
 * owner shares: nothing there knows what a zspage is. */

/* How many kinds zsf_arena_corrupt takes (0 .. ZSF_ARENA_KINDS - 1), one
 * per finding of zs_arena_check: the first 17 in the checker's order, then
 * its 7 run findings, then the owners' pages in moves in flight, then the
 * record table's three findings and the owner limit (each added last, so
 * older inputs keep their kinds).  tools/fuzz/gen_seed_corpus.py reads
 * this line. */
#define ZSF_ARENA_KINDS 29
/* The arena kinds numbered before the record table's: their kind bytes
 * sit between the pool's first rows and its later ones (zs_corrupt.h).
 * The kinds after them take the bytes right past every older kind, so
 * no older kind moves; those few bytes used to wrap round to the first
 * pool kinds (zs_corrupt.c).  tools/fuzz/gen_seed_corpus.py reads this
 * line too. */
#define ZSF_ARENA_KINDS_V1 25

const char *zsf_arena_corrupt_name(unsigned kind);

/* Plants arena corruption `kind` (sel picks where and which variant),
 * requires zs_arena_check to return -EUCLEAN with exactly one report, of
 * the kind's finding, undoes it, and requires the arena byte for byte as
 * before and checking clean (fm_fail otherwise).  false, changing nothing,
 * when the arena's state has no place for it (no region, no free page,
 * ...). */
bool zsf_arena_corrupt(struct zs_arena *a, unsigned kind, uint16_t sel);

/* ---- zs_fatal.c ---- */

/* Runs death test `kind` (any byte; taken modulo the number of kinds) in a
 * forked child against pool, whose live objects the model m lists; arg
 * picks objects and sizes.  Returns the name of the test run, or NULL when
 * the pool's state does not allow it (then nothing ran).  The parent's
 * pool is never touched. */
const char *zs_fuzz_fatal(struct zs_pool *pool, const struct fuzz_model *m,
			  uint8_t kind, uint16_t arg);

#endif /* ZS_FUZZ_ZS_FUZZ_H */
