/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zbud_fuzz/zbud_ops.h - the zbud op-sequence interpreter shared by
 * every fuzz engine (libFuzzer, AFL++, the plain replay main).
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
 * banner says).  Free slots are no-ops.  tools/fuzz/gen_backend_corpus.py reads the enum below,
 * so keep one "ZB_OP_NAME = 0xNN," per line.
 */
#ifndef ZS_FUZZ_ZBUD_OPS_H
#define ZS_FUZZ_ZBUD_OPS_H

#include <stddef.h>
#include <stdint.h>

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

/* Runs one input against a fresh pool and the shadow model; returns 0 or
 * abort()s with a "zs-fuzz FAIL" message. */
int zb_fuzz_run(const uint8_t *data, size_t size);

/* The op's name, or NULL for a free slot. */
const char *zb_fuzz_op_name(unsigned opcode);

#endif /* ZS_FUZZ_ZBUD_OPS_H */
