/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_ops.h - the zsmalloc op-sequence interpreter shared by
 * every fuzz engine (libFuzzer, AFL++ through libAFLDriver, the plain replay
 * main).
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
 * as its banner says).  Free slots are no-ops.  tools/fuzz/gen_seed_corpus.py reads the enum below, so
 * keep one "ZS_OP_NAME = 0xNN," per line.
 */
#ifndef ZS_FUZZ_ZS_OPS_H
#define ZS_FUZZ_ZS_OPS_H

#include <stddef.h>
#include <stdint.h>

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
	ZS_OP_ARENA_PAGES = 0x18, /* u8 n, u8 flags, u16 arg */
	ZS_OP_CORRUPT = 0x19, /* u8 kind, u16 sel */
	ZS_OP_HOST_FAULT = 0x1a, /* u8 flags, u8 after, u8 count, u8 pick */
	ZS_OP_PAGE_OPS = 0x1b, /* u8 flags, u16 sel */
	ZS_OP_FATAL = 0x1c, /* u8 kind, u16 arg */
	ZS_OP_FORGE = 0x1d, /* u8 kind, u16 sel, u16 bits
			       [, u32 lo, u32 hi when kind % 4 == 3] */
	ZS_OP_SLOTS = 0x40,
};

/* Runs one input against a fresh pool and the shadow model; returns 0 or
 * abort()s with a "zs-fuzz FAIL" message.  Reentrant across calls (all
 * state is reset), not across threads. */
int zs_fuzz_run(const uint8_t *data, size_t size);

/* The op's name, or NULL for a free slot (for tools and traces). */
const char *zs_fuzz_op_name(unsigned opcode);

#endif /* ZS_FUZZ_ZS_OPS_H */
