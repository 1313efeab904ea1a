// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_misuse.c - the zsmalloc target's misuse op: every
 * wrong call a user can make, refused as documented, the pool unchanged.
 *
 * Bad handles (0, forged, stale, double-freed, another pool's), releases of
 * what was never taken, frees and maps of held objects, sizes out of range,
 * NULL pools and pointers, bad modes and configurations, and arena calls
 * with ids and pages it never gave out.  Each case is one function in
 * misuse_cases[], picked by the op's kind byte (kind % 10): the mapping is
 * part of the corpus's meaning and never changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zsmalloc.h"

/* Every call on a handle that is not live must fail as documented and
 * leave the pool as it was. */
void zsf_check_bad_handle(struct zs_fuzz *f, uint64_t h, const char *what)
{
	static const enum zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO };
	struct zs_pool_stats before;
	const void *p;
	unsigned i;

	fm_trace("  bad handle (%s) %#" PRIx64 "\n", what, h);
	zsf_get_stats(f, &before);
	fm_expect_ret(zs_free(f->pool, h), -EINVAL, "zs_free of a bad handle",
		      h);
	for (i = 0; i < 3; i++) {
		errno = 0;
		p = zs_map_object(f->pool, h, modes[i]);
		fm_expect_null(p, errno, EINVAL,
			       "zs_map_object of a bad handle", h);
	}
	fm_expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
		      "zs_unmap_object of a bad handle", h);
	errno = 0;
	p = zs_obj_read_begin(f->pool, h, f->local[0]);
	fm_expect_null(p, errno, EINVAL, "zs_obj_read_begin of a bad handle",
		       h);
	fm_expect_ret(zs_obj_read_end(f->pool, h, f->local[0]), -EINVAL,
		      "zs_obj_read_end of a bad handle", h);
	fm_expect_ret(zs_obj_write(f->pool, h, f->buf, 1), -EINVAL,
		      "zs_obj_write of a bad handle", h);
	if (zs_obj_size(f->pool, h))
		fm_fail("zs_obj_size of bad handle %#" PRIx64 " (%s) is %zu", h,
			what, zs_obj_size(f->pool, h));
	zsf_expect_unchanged(f, &before, what, true);
}

static void misuse_foreign(struct zs_fuzz *f, uint16_t arg)
{
	struct zs_pool_config pc;
	struct zs_pool *other;
	struct fm_obj *o;
	uint64_t oh = SENTINEL_HANDLE;
	size_t size = 1 + (arg >> 4) % zs_max_alloc_size();
	void *p;
	int ret;

	memset(&pc, 0, sizeof(pc));
	pc.name = "zs-fuzz-other";
	pc.chain_size = 1 + arg % 16;
	pc.arena = f->arena;
	other = zs_create_pool_config(&pc);
	if (!other)
		fm_fail("creating a second pool failed, errno %d", errno);
	ret = zs_malloc(other, size, &oh);
	if (ret && !(ret == -ENOMEM && f->arena_injecting))
		fm_fail("zs_malloc(%zu) in a second pool: %d", size, ret);
	if (!ret) {
		if (!fm_find(&f->m, oh))
			zsf_check_bad_handle(f, oh, "another pool's handle");
		if (zs_obj_size(other, oh) != size)
			fm_fail("second pool: zs_obj_size %zu, allocated %zu",
				zs_obj_size(other, oh), size);
		fm_expect_ret(zs_free(other, oh), 0, "zs_free in a second pool",
			      oh);
	}
	/* And the other way: the empty pool knows none of ours. */
	if ((o = fm_pick(&f->m, arg))) {
		fm_expect_ret(zs_free(other, o->handle), -EINVAL,
			      "zs_free of a handle of another pool", o->handle);
		errno = 0;
		p = zs_map_object(other, o->handle, ZS_MM_RO);
		fm_expect_null(p, errno, EINVAL,
			       "zs_map_object of a handle of another pool",
			       o->handle);
	}
	if (zs_get_total_pages(other))
		fm_fail("an emptied second pool holds %lu pages",
			zs_get_total_pages(other));
	zs_destroy_pool(other);
}

static void misuse_held(struct zs_fuzz *f, struct fm_obj *o, uint16_t arg)
{
	static const enum zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO };
	struct zs_pool_stats before;
	uint64_t h = o->handle;
	const void *r;
	void *p;

	zsf_get_stats(f, &before);
	if (arg & 4) {
		r = zs_obj_read_begin(f->pool, h, f->local[0]);
		fm_verify(o, r, "zs_obj_read_begin");
		fm_expect_ret(zs_free(f->pool, h), -EBUSY, "zs_free while read",
			      h);
		fm_expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
			      "zs_unmap_object of a handle being read", h);
		fm_expect_ret(zs_obj_read_end(f->pool, h, r), 0,
			      "zs_obj_read_end", h);
		fm_expect_ret(zs_obj_read_end(f->pool, h, r), -EINVAL,
			      "zs_obj_read_end twice", h);
	} else {
		p = zs_map_object(f->pool, h, modes[arg % 3]);
		if (!p)
			fm_fail("zs_map_object(%#" PRIx64 ") failed, errno %d",
				h, errno);
		if (arg % 3 == 2) /* WO: the object is ours to rewrite */
			fm_expect(o, p);
		else
			fm_verify(o, p, "map");
		fm_expect_ret(zs_free(f->pool, h), -EBUSY,
			      "zs_free while mapped", h);
		errno = 0;
		r = zs_map_object(f->pool, h, modes[(arg >> 3) % 3]);
		fm_expect_null(r, errno, EBUSY,
			       "zs_map_object of a mapped handle", h);
		fm_expect_ret(zs_obj_read_end(f->pool, h, p), -EINVAL,
			      "zs_obj_read_end of a mapped handle", h);
		if (zs_obj_size(f->pool, h) != o->size)
			fm_fail("zs_obj_size of a mapped object changed");
		fm_expect_ret(zs_unmap_object(f->pool, h), 0, "zs_unmap_object",
			      h);
		fm_expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
			      "zs_unmap_object twice", h);
	}
	zsf_expect_unchanged(f, &before, "misuse of a held object", true);
	zsf_verify_obj(f, o, V_READ);
}

/* Calls on a NULL pool, and a map with a bad mode: refused, nothing done. */
static void misuse_null_pool(struct zs_fuzz *f, uint64_t h)
{
	static const struct zs_pool_stats zero;
	uint64_t out = SENTINEL_HANDLE;
	struct zs_pool_stats st;
	const void *r;
	void *p;

	fm_expect_ret(zs_malloc(NULL, 16, &out), -EINVAL,
		      "zs_malloc(NULL pool)", out);
	fm_expect_ret(zs_malloc(f->pool, 16, NULL), -EINVAL,
		      "zs_malloc(NULL handle pointer)", 0);
	if (out != SENTINEL_HANDLE)
		fm_fail("zs_malloc(NULL pool) stored a handle");
	fm_expect_ret(zs_free(NULL, h), -EINVAL, "zs_free(NULL pool)", h);
	errno = 0;
	p = zs_map_object(NULL, h, ZS_MM_RO);
	fm_expect_null(p, errno, EINVAL, "zs_map_object(NULL pool)", h);
	errno = 0;
	p = zs_map_object(f->pool, h, (enum zs_mapmode)7);
	fm_expect_null(p, errno, EINVAL, "zs_map_object(bad mode)", h);
	fm_expect_ret(zs_unmap_object(NULL, h), -EINVAL,
		      "zs_unmap_object(NULL)", h);
	errno = 0;
	r = zs_obj_read_begin(NULL, h, f->local[0]);
	fm_expect_null(r, errno, EINVAL, "zs_obj_read_begin(NULL pool)", h);
	fm_expect_ret(zs_obj_read_end(NULL, h, f->local[0]), -EINVAL,
		      "zs_obj_read_end(NULL pool)", h);
	fm_expect_ret(zs_obj_write(NULL, h, f->buf, 1), -EINVAL,
		      "zs_obj_write(NULL pool)", h);
	if (zs_obj_size(NULL, h))
		fm_fail("zs_obj_size(NULL pool) is not 0");
	if (zs_compact(NULL) || zs_shrinker_count(NULL) ||
	    zs_shrinker_scan(NULL, 1) || zs_shrinker_scan(f->pool, 0) ||
	    zs_get_total_pages(NULL) || zs_pool_name(NULL))
		fm_fail("a query of a NULL pool (or a scan of 0) is not 0");
	fm_expect_ret(zs_pool_check(NULL), -EINVAL, "zs_pool_check(NULL)", 0);
	zs_pool_print_classes(NULL, f->sink);
	zs_pool_print_classes_json(NULL, f->sink);
	memset(&st, 0xff, sizeof(st));
	zs_pool_stats(NULL, &st);
	if (memcmp(&st, &zero, sizeof(st)))
		fm_fail("zs_pool_stats(NULL) did not zero the statistics");
	zs_pool_set_max_pages(NULL, 1);
	zs_pool_inject_failures(NULL, 0, 1);
}

/* NULL outputs and arenas: nothing done, nothing crashes. */
static void misuse_null_outputs(struct zs_fuzz *f)
{
	zs_pool_stats(f->pool, NULL);
	zs_pool_print_classes(f->pool, NULL);
	zs_pool_print_classes_json(f->pool, NULL);
	zs_arena_trim(NULL);
	if (zs_arena_compact(NULL))
		fm_fail("zs_arena_compact(NULL) is not 0");
	fm_expect_ret(zs_arena_check(NULL), -EINVAL, "zs_arena_check(NULL)", 0);
	fm_expect_ret(zs_arena_destroy(NULL), 0, "zs_arena_destroy(NULL)", 0);
	fm_expect_ret(zs_arena_destroy(zs_arena_default()), -EBUSY,
		      "zs_arena_destroy(the default arena)", 0);
}

/* NULL sources, empty writes and reads without a local copy of a live
 * object. */
static void misuse_obj_args(struct zs_fuzz *f, const struct fm_obj *o)
{
	uint64_t h = o->handle;
	const void *r;

	fm_expect_ret(zs_obj_write(f->pool, h, NULL, 1), -EINVAL,
		      "zs_obj_write(NULL source)", h);
	/* Writing nothing is legal, from nowhere too, and must not hand
	 * memcpy a NULL pointer (UBSan aborts on that). */
	fm_expect_ret(zs_obj_write(f->pool, h, NULL, 0), 0,
		      "zs_obj_write(NULL source, 0 bytes)", h);
	fm_expect_ret(zs_obj_write(f->pool, h, f->buf, 0), 0,
		      "zs_obj_write(0 bytes)", h);
	/* Every object, page-crossing or not, is read in place: a local
	 * copy is never needed. */
	errno = 0;
	r = zs_obj_read_begin(f->pool, h, NULL);
	if (!r)
		fm_fail("zs_obj_read_begin(local_copy NULL) failed with errno "
			"%d",
			errno);
	fm_verify(o, r, "zs_obj_read_begin without local copy");
	fm_expect_ret(zs_obj_read_end(f->pool, h, r), 0, "zs_obj_read_end", h);
}

/* ---- the cases, by kind % 10 ---- */

/* Kinds 0-2: handle 0, a forged handle, a stale one. */
static void misuse_bad_handle(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	const char *what;
	uint64_t h;

	what = fm_bad_handle(&f->m, kind, arg, &h);
	if (what)
		zsf_check_bad_handle(f, h, what);
}

static void misuse_double_free(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	struct fm_obj *o;
	uint64_t h;

	(void)kind;
	o = zsf_do_alloc(f, 1 + arg % 64, (uint8_t)arg);
	if (!o)
		return;
	h = o->handle;
	zsf_do_free(f, o);
	zsf_check_bad_handle(f, h, "a double-freed handle");
}

/* Releasing what was never taken. */
static void misuse_unheld(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	struct zs_pool_stats before;
	struct fm_obj *o;

	(void)kind;
	if (!(o = fm_pick(&f->m, arg)))
		return;
	zsf_get_stats(f, &before);
	fm_expect_ret(zs_unmap_object(f->pool, o->handle), -EINVAL,
		      "zs_unmap_object without a map", o->handle);
	fm_expect_ret(zs_obj_read_end(f->pool, o->handle, NULL), -EINVAL,
		      "zs_obj_read_end without a read", o->handle);
	zsf_expect_unchanged(f, &before, "release without a hold", true);
	zsf_verify_obj(f, o, V_RO);
}

static void misuse_held_pick(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	struct fm_obj *o;

	(void)kind;
	if ((o = fm_pick(&f->m, arg >> 5)))
		misuse_held(f, o, arg);
}

/* Sizes out of range, and a write past an object's end. */
static void misuse_sizes(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	struct zs_pool_stats before;
	struct fm_obj *o;

	(void)kind;
	zsf_do_alloc(f, 0, 0);
	zsf_do_alloc(f, zs_max_alloc_size() + 1 + arg, 0);
	zsf_do_alloc(f, SIZE_MAX - arg, 0);
	if (!(o = fm_pick(&f->m, arg)))
		return;
	zsf_get_stats(f, &before);
	fm_expect_ret(zs_obj_write(f->pool, o->handle, f->buf,
				   o->size + 1 + arg % 16),
		      -EINVAL, "zs_obj_write past the object's end", o->handle);
	zsf_expect_unchanged(f, &before, "an oversized zs_obj_write", true);
	zsf_verify_obj(f, o, V_READ);
}

static void misuse_foreign_case(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	(void)kind;
	misuse_foreign(f, arg);
}

/* NULL pools, NULL pointers, bad modes: rejected, nothing changes. */
static void misuse_args(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	struct fm_obj *o = fm_pick(&f->m, arg);
	uint64_t h = o ? o->handle : SENTINEL_HANDLE;
	struct zs_pool_stats before;

	(void)kind;
	zsf_get_stats(f, &before);
	misuse_null_pool(f, h);
	misuse_null_outputs(f);
	if (o)
		misuse_obj_args(f, o);
	zsf_expect_unchanged(f, &before, "calls with bad arguments", true);
	if (o)
		zsf_verify_obj(f, o, V_READ);
}

/* Bad configurations, and arena calls with owner ids it never gave and
 * pages it never handed out: the arena ignores them. */
static void misuse_config(struct zs_fuzz *f, unsigned kind, uint16_t arg)
{
	struct zs_arena *a = zsf_arena_of(f);
	struct zs_arena_stats as, as2;
	struct zs_pool_config pc;
	struct zs_pool *bad;
	int ret;

	(void)kind;
	memset(&pc, 0, sizeof(pc));
	pc.chain_size = 17 + arg % 1000;
	errno = 0;
	bad = zs_create_pool_config(&pc);
	fm_expect_null(bad, errno, EINVAL,
		       "zs_create_pool_config with chain_size > 16",
		       pc.chain_size);
	zs_destroy_pool(NULL);
	if (f->arena) {
		ret = zs_arena_destroy(f->arena);
		if (ret != -EBUSY)
			fm_fail("zs_arena_destroy of an arena in use returned "
				"%d, expected %d",
				ret, -EBUSY);
	}
	memset(&as, 0, sizeof(as));
	memset(&as2, 0, sizeof(as2));
	zs_arena_stats(a, &as);
	zs_arena_unregister_owner(a, -1);
	zs_arena_unregister_owner(a, 1 << 20);
	zs_arena_set_page_owner(a, f->buf, 1, 2, 1);
	zs_arena_stats(a, &as2);
	if (as.pages_in_use != as2.pages_in_use ||
	    as.pages_free != as2.pages_free ||
	    as.regions_mapped != as2.regions_mapped)
		fm_fail("unknown owner ids or a foreign page changed the "
			"arena: in use %lu -> %lu, free %lu -> %lu",
			as.pages_in_use, as2.pages_in_use, as.pages_free,
			as2.pages_free);
}

/* Indexed by the kind byte % 10; fixed, as the corpus depends on it. */
static void (*const misuse_cases[10])(struct zs_fuzz *f, unsigned kind,
				      uint16_t arg) = {
	misuse_bad_handle, /* 0: handle 0 */
	misuse_bad_handle, /* 1: a forged handle */
	misuse_bad_handle, /* 2: a stale handle */
	misuse_double_free, /* 3 */
	misuse_unheld, /* 4 */
	misuse_held_pick, /* 5 */
	misuse_sizes, /* 6 */
	misuse_foreign_case, /* 7 */
	misuse_args, /* 8 */
	misuse_config, /* 9 */
};

/* Arguments: u8 kind, u16 arg. */
void zsf_op_misuse(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint16_t arg;
	uint8_t kind;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	misuse_cases[kind % 10](f, kind % 10, arg);
}
