// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_forge.c - op forge: values a zbud pool never issued,
 * made the way an attacker who holds some handles would make them, must be
 * refused by every call that takes a handle, and change nothing.
 *
 * zbud seals a handle's (slot index, generation) with the keyed
 * permutation zsmalloc uses (zs/handle_cipher.h), so a value it did not
 * issue opens to a pair that looks random and names a live object only by
 * chance.  The candidates: one or two bits of a live or recently freed
 * handle flipped; a second pool's live handle on the same arena, as is or
 * changed the same way; whole values from the input.  fm_forge_judge
 * (fuzz/common/fuzz_model.c) fails the run when a changed handle names a live
 * object; every other candidate must get zbud_free -EINVAL, zbud_map NULL
 * + EINVAL and zbud_unmap -EINVAL, with the pool's bookkeeping (pages,
 * objects, slot and descriptor tables) as before, and the handle it came
 * from must still read back in place.
 */
#include <errno.h>
#include <inttypes.h>

#include "fuzz/zbud_fuzz/zbud_ops_internal.h"
#include "fuzz/common/fuzz.h"
#include "zs/zbud.h"

/* A second pool on the same arena with one object; NULL (nothing made)
 * when the arena refuses it a page, as op inject may make it. */
static struct zbud_pool *other_pool(struct zb_fuzz *f, uint16_t sel,
				    uint64_t *h)
{
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

void zbf_op_forge(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct zbud_pool *other = NULL;
	struct zb_counts counts;
	struct fm_forge a;
	const char *what;
	uint64_t base, v, oh = 0;
	struct fm_obj *o;
	void *p;

	if (!fm_forge_read(c, &a))
		return;
	if (a.base == FM_FORGE_OTHER) {
		other = other_pool(f, a.sel, &oh);
		if (!other)
			return;
	}
	if (!fm_forge_candidate(&f->m, &a, oh, "", &base, &v, &what))
		return;
	if (what) {
		zbf_counts_of(f->pool, &counts);
		zbf_check_bad_handle(f, v, what);
		zbf_same_counts(f->pool, &counts, what);
	}
	if (other) {
		fm_expect_ret(zbud_free(other, oh), 0,
			      "zbud_free in a second pool", oh);
		zbf_destroy_emptied_pool(other);
	}
	/* The handle the candidate came from still names its object, in
	 * place. */
	o = fm_find(&f->m, base);
	if (o) {
		p = zbf_map_obj(f, o, "map after forged handles");
		fm_verify(o, p, "zbud_map after forged handles");
		fm_expect_ret(zbud_unmap(f->pool, base), 0, "zbud_unmap", base);
	}
}
