// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_forge.c - op forge: values a pool never issued, made
 * the way an attacker who holds some handles would make them, must be refused
 * by every call that takes a handle, and change nothing.
 *
 * zsmalloc seals a handle's (slot index, generation) with a keyed permutation
 * of 64-bit values (zs/handle_cipher.h), so that a value it did not issue
 * opens to a pair that looks random.  An encoding that is linear in the index
 * and generation lets the handles of one pool differ in predictable bits: flip
 * a low bit of a live handle and you hold another live object.  So the
 * candidates are small changes of handles the pool did issue: one or two bits
 * of a live or recently freed handle flipped; a second pool's live handle, as
 * is or changed the same way; and whole values from the input.  fm_forge_run
 * (fuzz/common/fuzz_ops.c) runs the steps; fm_forge_judge decides which
 * candidates may name a live object (none but an input value); every other one
 * must be refused exactly (zsf_check_bad_handle: zs_free and zs_obj_write
 * -EINVAL, zs_map_object in every mode and zs_obj_read_begin NULL + EINVAL,
 * zs_obj_size 0, the releases -EINVAL) with every statistic as before, and the
 * handle it came from must still read back.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/zsmalloc.h"

/* A second pool on the same arena with one object; NULL (nothing made)
 * when the arena refuses it a page, as op inject may make it. */
static void *other_make(void *ctx, uint16_t sel, uint64_t *h)
{
	struct zs_fuzz *f = ctx;
	struct zs_pool_config pc;
	struct zs_pool *other;
	size_t size = 1 + sel % zs_max_alloc_size();
	int ret;

	memset(&pc, 0, sizeof(pc));
	pc.name = "zs-fuzz-forge";
	pc.chain_size = 1 + (sel >> 12);
	pc.arena = f->arena;
	other = zs_create_pool_config(&pc);
	if (!other)
		fm_fail("creating a second pool failed, errno %d", errno);
	*h = 0;
	ret = zs_malloc(other, size, h);
	if (ret == -ENOMEM && f->arena_injecting) {
		zs_destroy_pool(other);
		return NULL;
	}
	if (ret)
		fm_fail("zs_malloc(%zu) in a second pool: %d", size, ret);
	return other;
}

static void check_bad(void *ctx, uint64_t v, const char *what)
{
	zsf_check_bad_handle(ctx, v, what);
}

static void other_drop(void *ctx, void *other, uint64_t h, uint16_t sel)
{
	(void)ctx;
	/* Refused here, the second pool's own object is untouched. */
	if (zs_obj_size(other, h) != 1 + sel % zs_max_alloc_size())
		fm_fail("second pool: zs_obj_size(%#" PRIx64 ") is %zu", h,
			zs_obj_size(other, h));
	fm_expect_ret(zs_free(other, h), 0, "zs_free in a second pool", h);
	zs_destroy_pool(other);
}

/* The handle the candidate came from still names its object. */
static void verify_base(void *ctx, struct fm_obj *o, uint64_t base)
{
	struct zs_fuzz *f = ctx;
	const void *p;

	p = zs_obj_read_begin(f->pool, base, f->local[0]);
	fm_verify(o, p, "zs_obj_read_begin after forged handles");
	fm_expect_ret(zs_obj_read_end(f->pool, base, p), 0, "zs_obj_read_end",
		      base);
}

static const struct fm_forge_ops forge_ops = {
	.other_make = other_make,
	.check_bad = check_bad,
	.other_drop = other_drop,
	.verify_base = verify_base,
};

void zsf_op_forge(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct fm_forge a;

	if (fm_forge_read(c, &a))
		fm_forge_run(&f->m, &a, "", &forge_ops, f);
}
