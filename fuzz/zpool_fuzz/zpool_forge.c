// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_forge.c - the zpool target's forge op: values near
 * handles the pools issued, refused by both backends.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zpool_fuzz/zpool_fuzz.h"
#include "zs/zbud.h"
#include "zs/zpool.h"
#include "zs/zsmalloc.h"

/* One backend of the target: forge judges the backends one at a time. */
struct forge_ctx {
	struct zp_fuzz *f;
	int b;
};

static void *other_make(void *ctx, uint16_t sel, uint64_t *h)
{
	struct forge_ctx *x = ctx;
	size_t size = 1 + sel % ZP_MAX;
	struct zpool *other;

	other = zpool_create_pool(zpf_type_name[x->b], "zs-fuzz-forge", NULL);
	if (!other)
		fm_fail("creating a second %s zpool: errno %d",
			zpf_type_name[x->b], errno);
	*h = SENTINEL_HANDLE;
	zpf_expect_ret(zpool_malloc(other, size, h), 0, x->b,
		       "zpool_malloc in a second pool", size);
	return other;
}

static void check_bad(void *ctx, uint64_t v, const char *what)
{
	struct forge_ctx *x = ctx;

	zpf_check_bad(x->f, x->b, v, what);
}

static void other_drop(void *ctx, void *other, uint64_t h, uint16_t sel)
{
	struct forge_ctx *x = ctx;

	(void)sel;
	zpf_expect_ret(zpool_free(other, h), 0, x->b,
		       "zpool_free in a second pool", h);
	zpool_destroy_pool(other);
}

static void verify_base(void *ctx, struct fm_obj *o, uint64_t base)
{
	struct forge_ctx *x = ctx;

	fm_verify(o, zpf_map_one(x->f, x->b, o, 0, "forge"),
		  "map after forged handles");
	zpf_expect_ret(zpool_unmap_handle(x->f->pool[x->b], base), 0, x->b,
		       "zpool_unmap_handle", base);
}

static const struct fm_forge_ops forge_ops = {
	.other_make = other_make,
	.check_bad = check_bad,
	.other_drop = other_drop,
	.verify_base = verify_base,
};

/*
 * Values a pool never issued, near handles it did (fuzz/common/fuzz_model.h,
 * forge): one or two bits of a live or stale handle flipped, a second
 * pool's live handle, a value from the input.  Both backends seal their
 * handles with the same keyed permutation, so on both every candidate
 * must be refused exactly as zpf_check_bad says, and the handle it came from
 * must still read back.  The backends are judged one at a time: the same
 * change gives each its own candidate.
 */
void zpf_op_forge(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	struct forge_ctx x = { .f = f };
	struct fm_forge a, ab;
	char label[16];

	if (!fm_forge_read(c, &a))
		return;
	for (x.b = 0; x.b < NB; x.b++) {
		ab = a;
		snprintf(label, sizeof(label), "%s ", zpf_type_name[x.b]);
		fm_forge_run(&f->m[x.b], &ab, label, &forge_ops, &x);
	}
}
