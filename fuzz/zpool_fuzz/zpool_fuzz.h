/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zpool_fuzz/zpool_fuzz.h - the differential zpool fuzz target's one
 * header: its input format and opcodes, its state and what its files
 * share.  Every op runs on a "zsmalloc" zpool and a "zbud" zpool side by
 * side, and both must give the same result codes and the same contents.
 *
 * Input format (decoded by fuzz/common/fuzz_cursor.h, never memcpy'd):
 *   byte 0      config: bit 0 set = pools created without zpool_ops (zbud's
 *               shrink must say -EINVAL), bit 1 a NULL pool name
 *   then ops    one opcode byte (low 5 bits index the op table; the high 3
 *               bits are ignored), then the op's little-endian arguments
 * Sizes stay within ZBUD_MAX_ALLOC_SIZE, where both backends accept them,
 * or beyond zs_max_alloc_size(), where both refuse them.
 *
 * Opcodes are fixed forever, so corpus files keep their meaning: a new op
 * takes a free slot.  tools/fuzz/gen_backend_corpus.py reads the enum
 * below, so keep one "ZP_OP_NAME = 0xNN," per line.
 *
 * The target is one op table (zpool_ops.c) whose ops live in files by
 * subject:
 *   zpool_ops.c         the op table, the target descriptor, the pools'
 *                       life, the checks around every op
 *   zpool_objects.c     pairs of objects: alloc, free, write, read back
 *   zpool_shrink.c      zpool_shrink, the evict callback, zpool_compact
 *   zpool_nested.c      nested: maps held on both pools at once
 *   zpool_misuse.c      misuse: bad handles and arguments, refused alike
 *   zpool_forge.c       forge: values near issued handles, all refused
 *   zpool_host_fault.c  host_fault: creation while host allocations fail
 * The state object itself is zpool_ops.c's alone; ops get it as their
 * `void *state` argument (fuzz/common/fuzz_interp.h).  Names shared
 * between the files start with zpf_ (zpool fuzz).
 */
#ifndef ZS_FUZZ_ZPOOL_FUZZ_H
#define ZS_FUZZ_ZPOOL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"
#include "zs/zpool.h"
#include "zs/zsmalloc.h"

enum zp_fuzz_opcode {
	ZP_OP_ALLOC = 0x00, /* u8 size kind, u16 raw, u8 seed */
	ZP_OP_FREE = 0x01, /* u16 sel */
	ZP_OP_WRITE = 0x02, /* u16 sel, u8 seed, u16 len, u8 mode */
	ZP_OP_READ = 0x03, /* u16 sel, u8 mode */
	ZP_OP_NESTED = 0x04, /* u8 n, u8 flags, u16 modes, n x u16 sel */
	ZP_OP_SHRINK = 0x05, /* u16 pages, u16 fail mask */
	ZP_OP_COMPACT = 0x06, /* (none) */
	ZP_OP_MISUSE = 0x07, /* u8 kind, u16 arg */
	ZP_OP_FILL = 0x08, /* u8 count, u8 size kind, u16 raw, u8 seed */
	ZP_OP_FREE_MANY = 0x09, /* u8 stride, u8 offset */
	ZP_OP_VERIFY_ALL = 0x0a, /* (none) */
	ZP_OP_RECREATE = 0x0b, /* u8 config, u8 flags */
	ZP_OP_HOST_FAULT = 0x0c, /* u8 type, u8 after */
	ZP_OP_FORGE = 0x0d, /* u8 kind, u16 sel, u16 bits
			       [, u32 lo, u32 hi when kind % 4 == 3] */
	ZP_OP_SLOTS = 0x20,
};

/* What LLVMFuzzerTestOneInput hands to fm_run(): the op table, the state
 * and the checks around every op. */
extern const struct fm_target zp_fuzz_target;

#define ZP_MAPS ZS_MAX_THREAD_MAPS
#define ZP_MAX ZBUD_MAX_ALLOC_SIZE
/* Stored in a handle before a call that must not write it on failure. */
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull
#define NB 2 /* backends: 0 "zsmalloc", 1 "zbud" */
#define ZP_ZSPAGE_MAX_PAGES 16 /* the longest zspage chain (chain_size) */

/* Each backend's type name, the map modes by number and their names. */
extern const char *const zpf_type_name[NB];
extern const enum zpool_mapmode zpf_modes[3];
extern const char *const zpf_mode_name[3];

struct zp_fuzz {
	struct zpool *pool[NB];
	bool has_evict;
	bool verify_pending;
	struct fuzz_model m[NB];
	/* Shrinking (the evict callback's state). */
	bool shrinking;
	uint16_t fail_mask;
	unsigned ncalls, evicted;
	unsigned long written_back;
	unsigned nheld; /* maps op_nested holds on each pool */
	uint8_t buf[FM_MAX_OBJ];
};

/* ---- zpool_objects.c ---- */

/* One backend's result must be want (b: which backend, for the message). */
void zpf_expect_ret(int got, int want, int b, const char *call, uint64_t h);
/* One backend's pointer result must be NULL with errno want. */
void zpf_expect_null(const void *p, int err, int want, int b, const char *call,
		     uint64_t h);
/* Both backends must have returned the same. */
void zpf_same_ret(const int ret[NB], const char *call);
uint64_t zpf_pages_of(struct zp_fuzz *f, int b);
uint32_t zpf_seed_for(struct zp_fuzz *f, uint8_t fuzz);
/* Drops the pair at pos from both models, in lockstep. */
void zpf_pair_remove(struct zp_fuzz *f, uint32_t pos);
void zpf_check_sizes(struct zp_fuzz *f);
/* Maps o on backend b by mode (0 RO, 1 RW, 2 WO); must work. */
void *zpf_map_one(struct zp_fuzz *f, int b, const struct fm_obj *o, int mode,
		  const char *how);
/* The pair at i read back on both backends through a map of mode. */
void zpf_verify_pair(struct zp_fuzz *f, uint32_t i, int mode);
void zpf_verify_all(struct zp_fuzz *f);
/* Allocates a pair; false when refused alike on both, or the model is
 * full. */
bool zpf_do_alloc(struct zp_fuzz *f, size_t size, uint8_t fuzz);
void zpf_do_free(struct zp_fuzz *f, uint32_t i);
void zpf_op_alloc(void *state, struct fuzz_cursor *c);
void zpf_op_free(void *state, struct fuzz_cursor *c);
void zpf_op_write(void *state, struct fuzz_cursor *c);
void zpf_op_read(void *state, struct fuzz_cursor *c);
void zpf_op_fill(void *state, struct fuzz_cursor *c);
void zpf_op_free_many(void *state, struct fuzz_cursor *c);
void zpf_op_verify_all(void *state, struct fuzz_cursor *c);

/* ---- zpool_shrink.c ---- */

/* The zbud pool's evict callback, and the zpool_ops holding it. */
int zpf_evict(struct zpool *pool, uint64_t handle);
extern const struct zpool_ops zpf_evict_ops;
uint32_t zpf_pos_of_handle(struct zp_fuzz *f, int b, uint64_t h);
/* zpool_shrink of `pages` on both, checked against the models (`pinned`:
 * maps are held, so zbud's evicts cannot read and fail). */
void zpf_do_shrink(struct zp_fuzz *f, unsigned pages, uint16_t mask,
		   bool pinned);
void zpf_op_shrink(void *state, struct fuzz_cursor *c);
void zpf_op_compact(void *state, struct fuzz_cursor *c);

/* ---- zpool_misuse.c, zpool_nested.c, zpool_forge.c, zpool_host_fault.c */

/* A handle backend b must not know: every call refuses it, same errors. */
void zpf_check_bad(struct zp_fuzz *f, int b, uint64_t h, const char *what);
void zpf_op_misuse(void *state, struct fuzz_cursor *c);
void zpf_op_nested(void *state, struct fuzz_cursor *c);
void zpf_op_forge(void *state, struct fuzz_cursor *c);
void zpf_op_host_fault(void *state, struct fuzz_cursor *c);

#endif /* ZS_FUZZ_ZPOOL_FUZZ_H */
