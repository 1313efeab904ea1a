/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zpool_fuzz/zpool_ops.h - the differential zpool op-sequence
 * interpreter: every op runs on a "zsmalloc" zpool and a "zbud" zpool side
 * by side, and both must give the same result codes and the same contents.
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
 */
#ifndef ZS_FUZZ_ZPOOL_OPS_H
#define ZS_FUZZ_ZPOOL_OPS_H

#include <stddef.h>
#include <stdint.h>

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

/* Runs one input against a fresh pair of pools and the shadow models;
 * returns 0 or abort()s with a "zs-fuzz FAIL" message. */
int zp_fuzz_run(const uint8_t *data, size_t size);

/* The op's name, or NULL for a free slot. */
const char *zp_fuzz_op_name(unsigned opcode);

#endif /* ZS_FUZZ_ZPOOL_OPS_H */
