// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_forge.c - op forge: values a zbud pool never issued,
 * made the way an attacker who holds some handles would make them, must be
 * refused by every call that takes a handle, and change nothing.
 *
 * zbud seals a handle's (slot index, generation) with the keyed permutation
 * zsmalloc uses (zs/handle_cipher.h), so a value it did not issue opens to a
 * pair that looks random and names a live object only by chance.  The
 * candidates: one or two bits of a live or recently freed handle flipped; a
 * second pool's live handle on the same arena, as is or changed the same way;
 * whole values from the input.  fm_forge_run (fuzz/common/fuzz_ops.c) runs the
 * steps; fm_forge_judge fails the run when a changed handle names a live
 * object; every other candidate must get zbud_free -EINVAL, zbud_map NULL +
 * EINVAL and zbud_unmap -EINVAL, with the pool's bookkeeping (pages, objects,
 * slot and descriptor tables) as before, and the handle it came from must
 * still read back in place.
 */
#include <errno.h>
#include <inttypes.h>

#include "fuzz/zbud_fuzz/zbud_fuzz.h"
#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"

/* A second pool on the same arena with one object; NULL (nothing made)
 * when the arena refuses it a page, as op inject may make it. */
static void *other_make(void *ctx, uint16_t sel, uint64_t *h)
{
	struct zb_fuzz *f = ctx;
	size_t size = 1 + sel % ZBUD_MAX_ALLOC_SIZE;
	struct zbud_pool *other;
	int ret;

	other = zbud_create_pool_arena(NULL, f->arena);
	if (!other)
		fm_fail("creating a second pool failed, errno %d", errno);
	*h = 0;
	ret = zbud_alloc(other, size, h);
	if (ret == -ENOMEM && f->injecting) {
		zbf_destroy_emptied_pool(other);
		return NULL;
	}
	if (ret)
		fm_fail("zbud_alloc(%zu) in a second pool: %d", size, ret);
	return other;
}

static void check_bad(void *ctx, uint64_t v, const char *what)
{
	struct zb_fuzz *f = ctx;
	struct zb_counts counts;

	zbf_counts_of(f->pool, &counts);
	zbf_check_bad_handle(f, v, what);
	zbf_same_counts(f->pool, &counts, what);
}

static void other_drop(void *ctx, void *other, uint64_t h, uint16_t sel)
{
	(void)ctx;
	(void)sel;
	fm_expect_ret(zbud_free(other, h), 0, "zbud_free in a second pool", h);
	zbf_destroy_emptied_pool(other);
}

/* The handle the candidate came from still names its object, in place. */
static void verify_base(void *ctx, struct fm_obj *o, uint64_t base)
{
	struct zb_fuzz *f = ctx;
	void *p;

	p = zbf_map_obj(f, o, "map after forged handles");
	fm_verify(o, p, "zbud_map after forged handles");
	fm_expect_ret(zbud_unmap(f->pool, base), 0, "zbud_unmap", base);
}

static const struct fm_forge_ops forge_ops = {
	.other_make = other_make,
	.check_bad = check_bad,
	.other_drop = other_drop,
	.verify_base = verify_base,
};

void zbf_op_forge(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_forge a;

	if (fm_forge_read(c, &a))
		fm_forge_run(&f->m, &a, "", &forge_ops, f);
}
