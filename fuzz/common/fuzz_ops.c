// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_ops.c - op bodies that several targets run alike
 * (fill, free_many, forge) and the release order of nested maps; the
 * target passes its own allocator calls (fuzz_ops.h says why).
 */
#include "fuzz/common/fuzz_ops.h"

void fm_op_fill(void *state, struct fuzz_cursor *c, unsigned count_mod,
		size_t (*choose)(uint8_t kind, uint16_t raw),
		void (*alloc)(void *state, size_t size, uint8_t fuzz))
{
	uint8_t count, kind, fuzz;
	uint16_t raw;
	unsigned i;

	if (!fc_u8(c, &count) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &fuzz))
		return;
	for (i = 0; i < count % count_mod; i++)
		alloc(state, choose(kind, (uint16_t)(raw + i * 97)),
		      (uint8_t)(fuzz + i));
}

void fm_op_free_many(void *state, struct fuzz_cursor *c,
		     const struct fuzz_model *m,
		     void (*free_at)(void *state, uint32_t pos))
{
	uint8_t stride, offset;
	uint32_t i;

	if (!fc_u8(c, &stride) || !fc_u8(c, &offset))
		return;
	stride = (uint8_t)(2 + stride % 7);
	for (i = m->nlive; i-- > 0;)
		if ((i + offset) % stride == 0)
			free_at(state, i);
}

void fm_forge_run(struct fuzz_model *m, struct fm_forge *a, const char *label,
		  const struct fm_forge_ops *ops, void *ctx)
{
	uint64_t base, v, oh = 0;
	void *other = NULL;
	const char *what;
	struct fm_obj *o;

	if (a->base == FM_FORGE_OTHER) {
		other = ops->other_make(ctx, a->sel, &oh);
		if (!other)
			return;
	}
	if (!fm_forge_candidate(m, a, oh, label, &base, &v, &what))
		return; /* nothing issued yet */
	if (what)
		ops->check_bad(ctx, v, what);
	if (other)
		ops->other_drop(ctx, other, oh, a->sel);
	o = fm_find(m, base);
	if (o)
		ops->verify_base(ctx, o, base);
}

unsigned fm_release_next(unsigned k, unsigned mul, unsigned add, unsigned n,
			 bool *done)
{
	unsigned j = (k * mul + add) % n;

	while (done[j])
		j = (j + 1) % n;
	done[j] = true;
	return j;
}
