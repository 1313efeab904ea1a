/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_interp.h - the op-sequence interpreter every fuzz target
 * runs.
 *
 * Every target (fuzz/<target>/: zsmalloc_fuzz, zbud_fuzz, zpool_fuzz,
 * span_fuzz) reads its input the same way: a config byte, then ops, each an
 * opcode byte (masked into a table of op slots; free slots are skipped and not
 * counted) followed by the op's own arguments, which the op reads through the
 * cursor.  Around every op they do the same bookkeeping: fm_ctx (so a failure
 * names the op, its number and its input offset), a ZS_FUZZ_TRACE line, a
 * cross-check after each op and a heavier one every few ops, and the final
 * checks at the end of input.  That loop is here, once, so every target
 * decodes alike; a target is its state, its op table and the callbacks below.
 *
 * An op's function has exactly the table's type, taking the state as
 * `void *`: calling a function through a pointer of another type is
 * undefined behaviour (UBSan's -fsanitize=function flags it).
 */
#ifndef ZS_FUZZ_INTERP_H
#define ZS_FUZZ_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz_cursor.h"

/* One slot of an op table; a free slot has no run (and no name). */
struct fm_op {
	const char *name;
	void (*run)(void *state, struct fuzz_cursor *c);
};

struct fm_target {
	const char *name; /* fm_ctx.target: "zsmalloc", "span", ... */
	void *state; /* handed to every callback and op */
	const struct fm_op *ops; /* indexed by opcode & (nops - 1) */
	unsigned nops; /* a power of two */
	unsigned check_every; /* after_op's `periodic` every this many ops */
	/* Resets the state and opens the pool(s) the config byte asks for
	 * (0 when the input is empty). */
	void (*begin)(void *state, uint8_t cfg);
	/* After every op: the cheap cross-checks, and when `periodic` (every
	 * check_every ops) the thorough ones. */
	void (*after_op)(void *state, bool periodic);
	/* At the end of input: the final checks, then everything closed. */
	void (*end)(void *state);
	/* The state in a few words for the trace line of each op ("live 3,
	 * 120 bytes, ..."); called only when tracing. */
	void (*describe)(void *state, char *buf, size_t size);
};

/*
 * A target's descriptor, as `const struct fm_target x = FM_TARGET(...);`:
 * the table's slot count is taken from the table itself, so the two cannot
 * disagree.  `table` must be an array (sized by its opcode enum), not a
 * pointer.
 */
#define FM_TARGET(tname, st, table, every, begin_fn, after_op_fn, end_fn, \
		  describe_fn)                                            \
	{                                                                 \
		.name = (tname), .state = (st), .ops = (table),           \
		.nops = sizeof(table) / sizeof((table)[0]),               \
		.check_every = (every), .begin = (begin_fn),              \
		.after_op = (after_op_fn), .end = (end_fn),               \
		.describe = (describe_fn),                                \
	}

/* Runs one input; returns 0, or fm_fail()s (abort) on a failed check.
 * A target's LLVMFuzzerTestOneInput is this call on its descriptor. */
int fm_run(const struct fm_target *t, const uint8_t *data, size_t size);

/* The name of an opcode's op, or NULL for a free slot or one past the
 * table. */
const char *fm_op_name(const struct fm_target *t, unsigned opcode);

#endif /* ZS_FUZZ_INTERP_H */
