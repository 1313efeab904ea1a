// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_objects.c - one object at a time: the zsmalloc
 * target's allocation, free, write and read-back, and the ops that do
 * nothing else (alloc, free, the writes and reads, fill, free_many,
 * verify_all).
 *
 * Every access path the API has (zs_obj_read_begin given a poisoned or an
 * uninitialised copy, maps RO / RW / WO, zs_obj_write) is one case here,
 * so every op that reads or writes can rotate through all of them.  Every
 * object, page-crossing or not, is read and written in place: the copy
 * given to zs_obj_read_begin is never written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/zsmalloc.h"

/* The tag each object carries before its bytes (zs/span.h): footprints
 * change at sizes this much below multiples of 8. */
#define ZS_FUZZ_OBJ_HEADER 4

/* The local copy zs_obj_read_begin was given, still as the caller left
 * it: every object is contiguous in the pool, so nothing is copied. */
static void expect_untouched(const uint8_t *local, const void *p,
			     const struct fm_obj *o, uint8_t fill)
{
	uint32_t i;

	if (p == (const void *)local)
		fm_fail("zs_obj_read_begin(%#" PRIx64 ") returned the local "
			"copy, not the object in place",
			o->handle);
	for (i = 0; i < o->size; i++)
		if (local[i] != fill)
			fm_fail("zs_obj_read_begin(%#" PRIx64 ") wrote byte %u "
				"of the local copy (%#x, was %#x)",
				o->handle, i, local[i], fill);
}

void zsf_verify_obj(struct zs_fuzz *f, const struct fm_obj *o, int how)
{
	uint64_t h = o->handle;
	size_t sz = zs_obj_size(f->pool, h);
	const void *p;
	uint8_t *local;
	void *mp;

	if (sz != o->size)
		fm_fail("zs_obj_size(%#" PRIx64 ") = %zu, allocated %u", h, sz,
			o->size);
	switch (how) {
	case V_READ:
	case V_READ_UNINIT:
		/* Uninitialised local copy: MSan flags any byte the library
		 * read from it; filled: plain builds see it left alone. */
		local = how == V_READ ? f->local[0] : malloc(o->size);
		if (!local)
			fm_fail("out of memory for a local copy");
		if (how == V_READ)
			memset(local, 0xa5, o->size);
		p = zs_obj_read_begin(f->pool, h, local);
		fm_verify(o, p, "zs_obj_read_begin");
		if (how == V_READ)
			expect_untouched(local, p, o, 0xa5);
		else if (p == (const void *)local)
			fm_fail("zs_obj_read_begin(%#" PRIx64 ") returned the "
				"local copy",
				h);
		fm_expect_ret(zs_obj_read_end(f->pool, h, p), 0,
			      "zs_obj_read_end", h);
		if (how == V_READ_UNINIT)
			free(local);
		break;
	case V_RO:
	case V_RW:
		mp = zs_map_object(f->pool, h,
				   how == V_RO ? ZS_MM_RO : ZS_MM_RW);
		fm_verify(o, mp, how == V_RO ? "map RO" : "map RW");
		fm_expect_ret(zs_unmap_object(f->pool, h), 0, "zs_unmap_object",
			      h);
		break;
	}
}

void zsf_verify_all(struct zs_fuzz *f)
{
	int how = (int)(f->verify_turn++ % V_METHODS);
	uint32_t i;

	for (i = 0; i < f->m.nlive; i++)
		zsf_verify_obj(f, &f->m.obj[i], how);
	zsf_own_verify_all(f, "(all pages checked)");
}

/* Rewrites [0, len) of the object with seed's pattern (WO: the whole
 * object).  `fresh`: the object was just allocated, its bytes unknown. */
void zsf_write_obj(struct zs_fuzz *f, struct fm_obj *o, int how, uint32_t len,
		   uint32_t seed, bool fresh)
{
	uint64_t h = o->handle;
	void *p;

	if (how == W_WO || fresh)
		len = o->size;
	else
		len = fm_write_len(o, len);
	fm_pattern(f->buf, seed, 0, len);
	switch (how) {
	case W_OBJ:
		fm_expect_ret(zs_obj_write(f->pool, h, f->buf, len), 0,
			      "zs_obj_write", h);
		break;
	case W_WO:
	case W_RW:
		p = zs_map_object(f->pool, h,
				  how == W_WO ? ZS_MM_WO : ZS_MM_RW);
		if (!p)
			fm_fail("zs_map_object(%#" PRIx64
				", %s) failed, errno %d",
				h, how == W_WO ? "WO" : "RW", errno);
		if (how == W_RW && !fresh)
			fm_verify(o, p, "map RW before a write");
		memcpy(p, f->buf, len);
		fm_expect_ret(zs_unmap_object(f->pool, h), 0, "zs_unmap_object",
			      h);
		break;
	}
	fm_note_write(o, len, seed);
	fm_trace("  write %#" PRIx64 " [0,%u) seed %#x via %d\n", h, len, seed,
		 how);
}

/* ---- allocation ---- */

static size_t clamp_size(long v)
{
	long max = (long)zs_max_alloc_size();

	return (size_t)(v < 1 ? 1 : v > max ? max : v);
}

/* Sizes biased to where the allocator's arithmetic changes. */
size_t zsf_choose_size(struct zs_fuzz *f, uint8_t kind, uint16_t raw)
{
	size_t max = zs_max_alloc_size();
	long d = (long)((raw >> 8) % 9) - 4; /* -4 .. +4 */
	long base;

	switch (kind % 8) {
	case 0: /* a footprint boundary: 16 k, or 16 k less the tag, +-4 */
		base = 16L * ((raw & 0xff) + 1);
		if (kind & 0x80)
			base -= ZS_FUZZ_OBJ_HEADER;
		return clamp_size(base + d);
	case 1: /* the huge threshold (a page of its own), +-4 */
		return clamp_size((long)zs_huge_class_size(f->pool) + d);
	case 2: /* the smallest objects */
		return 1 + raw % 4;
	case 3: /* the largest: 4096, 4095, 4094 */
		return max - raw % 3;
	case 4:
		return 1 + raw % max;
	case 5: /* dense small objects */
		return 1 + raw % 256;
	case 6: /* around the footprint of some size */
		return clamp_size(
			(long)zs_class_size_for(f->pool, 1 + raw % max) + d);
	default: /* out of range: 0, just above the maximum, SIZE_MAX */
		if (raw == 0xffff)
			return SIZE_MAX;
		return raw & 1 ? 0 : max + 1 + (raw >> 1);
	}
}

/* Allocates and initialises an object; NULL when the allocator refused as
 * its contract allows, or the model is full. */
struct fm_obj *zsf_do_alloc(struct zs_fuzz *f, size_t size, uint8_t fuzz)
{
	struct zs_pool_stats before;
	uint64_t h = SENTINEL_HANDLE;
	unsigned long pages;
	size_t got;
	int ret, want = 0;
	struct fm_obj *o;

	if (size == 0)
		want = -EINVAL;
	else if (size > zs_max_alloc_size())
		want = -ENOSPC;
	else if (!fm_has_room(&f->m, size))
		return NULL;
	zsf_get_stats(f, &before);
	ret = zs_malloc(f->pool, size, &h);
	fm_trace("  zs_malloc(%zu) = %d handle %#" PRIx64 "\n", size, ret, h);
	if (ret != want && !(want == 0 && ret == -ENOMEM && zsf_enomem_ok(f)))
		fm_fail("zs_malloc(%zu) returned %d, expected %d", size, ret,
			want);
	if (ret) {
		if (h != SENTINEL_HANDLE)
			fm_fail("zs_malloc(%zu) failed with %d but stored handle "
				"%#" PRIx64,
				size, ret, h);
		if (ret == -ENOMEM) {
			/* Nothing leaks: only the failure counter moves.  A
			 * failure must leave every object intact. */
			before.alloc_failures++;
			zsf_expect_unchanged(f, &before, "a failed zs_malloc",
					     false);
			zsf_pool_check(f, "after an allocation failure");
			f->verify_pending = true;
		} else {
			zsf_expect_unchanged(f, &before, "a rejected zs_malloc",
					     true);
		}
		return NULL;
	}
	if (h == 0 || h == SENTINEL_HANDLE)
		fm_fail("zs_malloc(%zu) succeeded with handle %#" PRIx64, size,
			h);
	got = zs_obj_size(f->pool, h);
	if (got != size)
		fm_fail("zs_obj_size of a new %zu-byte object is %zu", size,
			got);
	pages = zs_get_total_pages(f->pool);
	if (f->cap && pages > before.pages_used && pages > f->cap)
		fm_fail("zs_malloc grew the pool to %lu pages over its cap %lu",
			pages, f->cap);
	o = fm_add(&f->m, h, (uint32_t)size, 0);
	zsf_write_obj(f, o, fuzz % W_METHODS, o->size, fm_new_seed(&f->m, fuzz),
		      true);
	return o;
}

void zsf_do_free(struct zs_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o->handle;

	fm_expect_ret(zs_free(f->pool, h), 0, "zs_free", h);
	fm_remove(&f->m, o);
	if (zs_obj_size(f->pool, h) != 0)
		fm_fail("zs_obj_size of freed handle %#" PRIx64 " is %zu", h,
			zs_obj_size(f->pool, h));
	fm_trace("  zs_free(%#" PRIx64 ")\n", h);
}

void zsf_op_alloc(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	zsf_do_alloc(f, zsf_choose_size(f, kind, raw), fuzz);
}

void zsf_op_free(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	zsf_do_free(f, o);
}

static void op_write(struct zs_fuzz *f, struct fuzz_cursor *c, int how)
{
	struct fm_obj *o;
	uint16_t sel, len = 0;
	uint8_t fuzz;

	if (!fc_u16(c, &sel) || !fc_u8(c, &fuzz))
		return;
	if (how != W_WO && !fc_u16(c, &len))
		return;
	if (!(o = fm_pick(&f->m, sel)))
		return;
	zsf_write_obj(f, o, how, len % (o->size + 1), fm_new_seed(&f->m, fuzz),
		      false);
}

void zsf_op_write_wo(void *state, struct fuzz_cursor *c)
{
	op_write(state, c, W_WO);
}

void zsf_op_write_rw(void *state, struct fuzz_cursor *c)
{
	op_write(state, c, W_RW);
}

void zsf_op_write_obj(void *state, struct fuzz_cursor *c)
{
	op_write(state, c, W_OBJ);
}

static void op_read(struct zs_fuzz *f, struct fuzz_cursor *c, int how)
{
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	zsf_verify_obj(f, o, how);
}

void zsf_op_read_ro(void *state, struct fuzz_cursor *c)
{
	op_read(state, c, V_RO);
}

void zsf_op_read_rw(void *state, struct fuzz_cursor *c)
{
	op_read(state, c, V_RW);
}

void zsf_op_read_begin(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;
	uint8_t flags;

	if (!fc_u16(c, &sel) || !fc_u8(c, &flags) || !(o = fm_pick(&f->m, sel)))
		return;
	zsf_verify_obj(f, o, flags & 1 ? V_READ_UNINIT : V_READ);
}

void zsf_op_fill(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t count, kind, fuzz;
	uint16_t raw;
	size_t size;
	unsigned i;

	if (!fc_u8(c, &count) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &fuzz))
		return;
	size = zsf_choose_size(f, kind, raw);
	/* Stops at the first refusal: the model is full, the cap or an
	 * injected failure was hit, or the size is out of range. */
	for (i = 0; i <= count; i++)
		if (!zsf_do_alloc(f, size, (uint8_t)(fuzz + i)))
			break;
}

void zsf_op_free_many(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t stride, off;
	unsigned k;
	uint32_t i;
	bool hit;

	if (!fc_u8(c, &stride) || !fc_u8(c, &off))
		return;
	k = 2 + (stride & 0x7f) % 7;
	/* Downwards, so fm_remove's swap-with-last only moves objects this
	 * loop has already seen. */
	for (i = f->m.nlive; i-- > 0;) {
		hit = (i + off) % k == 0;
		if (stride & 0x80 ? !hit : hit)
			zsf_do_free(f, &f->m.obj[i]);
	}
}

void zsf_op_verify_all(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t how;
	uint32_t i;

	if (!fc_u8(c, &how))
		return;
	for (i = 0; i < f->m.nlive; i++)
		zsf_verify_obj(f, &f->m.obj[i], how % V_METHODS);
}
