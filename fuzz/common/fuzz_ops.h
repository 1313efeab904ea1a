/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_ops.h - op bodies that several targets run alike, over
 * a small interface of the target's own calls.
 *
 * fill, free_many and forge read the same arguments and do the same steps
 * in zbud and zpool (forge in zsmalloc too); only the calls into the
 * allocator differ.  Each target passes those calls here, so a change to
 * what an op means is made once and the corpora keep one meaning.  The
 * order in which an unmapped set is released (nested) is here for the same
 * reason.
 */
#ifndef ZS_FUZZ_OPS_H
#define ZS_FUZZ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz_cursor.h"
#include "fuzz/common/fuzz_model.h"

/*
 * Op fill: u8 count, u8 kind, u16 raw, u8 fuzz; then (count % count_mod)
 * allocations, the i-th of size choose(kind, raw + 97 i) with fuzz byte
 * fuzz + i.  alloc(state, size, fuzz) is the target's checked allocation.
 */
void fm_op_fill(void *state, struct fuzz_cursor *c, unsigned count_mod,
		size_t (*choose)(uint8_t kind, uint16_t raw),
		void (*alloc)(void *state, size_t size, uint8_t fuzz));

/*
 * Op free_many: u8 stride, u8 offset; frees every model position i with
 * (i + offset) % (2 + stride % 7) == 0 through free_at(state, i).  It walks
 * downwards from m->nlive, so fm_remove's swap-with-last moves only
 * objects already visited.
 */
void fm_op_free_many(void *state, struct fuzz_cursor *c,
		     const struct fuzz_model *m,
		     void (*free_at)(void *state, uint32_t pos));

/* What op forge asks of a target, per pool it judges.  ctx is the
 * target's (its state, or one backend of it). */
struct fm_forge_ops {
	/* A second pool on the same arena holding one object of a size
	 * taken from sel, its handle in *h; NULL when the arena refused it
	 * a page, which ends the op. */
	void *(*other_make)(void *ctx, uint16_t sel, uint64_t *h);
	/* Candidate v (named `what`) refused by every call taking a handle,
	 * the pool unchanged. */
	void (*check_bad)(void *ctx, uint64_t v, const char *what);
	/* The second pool's object freed, and the pool destroyed. */
	void (*other_drop)(void *ctx, void *other, uint64_t h, uint16_t sel);
	/* The object the candidate came from still reads back. */
	void (*verify_base)(void *ctx, struct fm_obj *o, uint64_t base);
};

/*
 * One pool's part of op forge, given its arguments (fm_forge_read): the
 * second pool when a asks for one, the candidate (fm_forge_candidate,
 * traced under label), its refusal, the second pool dropped, and the base
 * object read back.
 */
void fm_forge_run(struct fuzz_model *m, struct fm_forge *a, const char *label,
		  const struct fm_forge_ops *ops, void *ctx);

/*
 * The k-th of n held entries to release, for the nested ops: k * mul + add,
 * mod n, stepping over entries done[] marks (k * mul is a permutation only
 * when gcd(mul, n) = 1).  Marks the one it returns.
 */
unsigned fm_release_next(unsigned k, unsigned mul, unsigned add, unsigned n,
			 bool *done);

#endif /* ZS_FUZZ_OPS_H */
