// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_misuse.c - the zpool target's misuse op: bad handles,
 * NULL arguments, unknown backend types and another pool's handles, refused
 * the same way by both backends.
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

/* A handle the pool must not know: every call refuses it, same errors. */
void zpf_check_bad(struct zp_fuzz *f, int b, uint64_t h, const char *what)
{
	uint64_t before = zpf_pages_of(f, b);
	char call[96];
	void *p;
	int m;

	snprintf(call, sizeof(call), "zpool_free of %s", what);
	zpf_expect_ret(zpool_free(f->pool[b], h), -EINVAL, b, call, h);
	for (m = 0; m < 3; m++) {
		snprintf(call, sizeof(call), "zpool_map_handle %s of %s",
			 zpf_mode_name[m], what);
		errno = 0;
		p = zpool_map_handle(f->pool[b], h, zpf_modes[m]);
		zpf_expect_null(p, errno, EINVAL, b, call, h);
	}
	snprintf(call, sizeof(call), "zpool_unmap_handle of %s", what);
	zpf_expect_ret(zpool_unmap_handle(f->pool[b], h), -EINVAL, b, call, h);
	if (zpf_pages_of(f, b) != before)
		fm_fail("%s: %s changed the pool's pages", zpf_type_name[b],
			what);
}

static void misuse_null(void)
{
	unsigned r = 7;
	uint64_t h = SENTINEL_HANDLE;
	void *p;

	zpf_expect_ret(zpool_malloc(NULL, 16, &h), -EINVAL, 0,
		       "zpool_malloc(NULL pool)", h);
	if (h != SENTINEL_HANDLE)
		fm_fail("zpool_malloc(NULL) stored a handle");
	zpf_expect_ret(zpool_free(NULL, h), -EINVAL, 0, "zpool_free(NULL)", h);
	errno = 0;
	p = zpool_map_handle(NULL, h, ZPOOL_MM_RO);
	zpf_expect_null(p, errno, EINVAL, 0, "zpool_map_handle(NULL)", h);
	zpf_expect_ret(zpool_unmap_handle(NULL, h), -EINVAL, 0,
		       "zpool_unmap_handle(NULL)", h);
	zpf_expect_ret(zpool_shrink(NULL, 1, &r), -EINVAL, 0,
		       "zpool_shrink(NULL)", 0);
	if (r != 0)
		fm_fail("zpool_shrink(NULL) left *reclaimed = %u", r);
	if (zpool_get_total_size(NULL) || zpool_compact(NULL))
		fm_fail("zpool_get_total_size / zpool_compact (NULL) not 0");
	errno = 0;
	if (zpool_get_type(NULL) || errno != EINVAL)
		fm_fail("zpool_get_type(NULL) is not NULL + EINVAL");
	zpool_destroy_pool(NULL);
}

static void misuse_types(uint16_t arg)
{
	static const char *const bad[] = { "z3fold", "", "ZBUD", "zsmalloc ",
					   "zs" };
	const char *t = bad[arg % 5];
	struct zpool *p;

	if (!zpool_has_pool("zsmalloc") || !zpool_has_pool("zbud") ||
	    zpool_has_pool(t) || zpool_has_pool(NULL))
		fm_fail("zpool_has_pool answers wrongly (\"%s\")", t);
	errno = 0;
	p = zpool_create_pool(arg & 8 ? NULL : t, "x", NULL);
	if (p || errno != EINVAL)
		fm_fail("zpool_create_pool(\"%s\") gave %p errno %d, not NULL "
			"+ EINVAL",
			arg & 8 ? "(null)" : t, (void *)p, errno);
}

/* Another pair of pools: handles do not cross between pools. */
static void misuse_foreign(struct zp_fuzz *f, uint16_t arg)
{
	size_t size = 1 + arg % ZP_MAX;
	struct zpool *other;
	uint64_t oh;
	int b;

	for (b = 0; b < NB; b++) {
		other = zpool_create_pool(zpf_type_name[b], "zs-fuzz-other",
					  NULL);
		if (!other)
			fm_fail("creating a second %s zpool: errno %d",
				zpf_type_name[b], errno);
		oh = SENTINEL_HANDLE;
		zpf_expect_ret(zpool_malloc(other, size, &oh), 0, b,
			       "zpool_malloc in a second pool", size);
		if (!fm_find(&f->m[b], oh))
			zpf_check_bad(f, b, oh, "another pool's handle");
		if (f->m[b].nlive)
			zpf_expect_ret(
				zpool_free(
					other,
					f->m[b].obj[arg % f->m[b].nlive].handle),
				-EINVAL, b,
				"zpool_free of another pool's handle", 0);
		/* Without an evict callback zbud cannot shrink. */
		if (b == 1)
			zpf_expect_ret(zpool_shrink(other, 1, NULL), -EINVAL, b,
				       "zpool_shrink of a pool without ops", 0);
		zpf_expect_ret(zpool_free(other, oh), 0, b,
			       "zpool_free in a second pool", oh);
		if (zpool_get_total_size(other))
			fm_fail("an emptied second %s zpool holds pages",
				zpf_type_name[b]);
		zpool_destroy_pool(other);
	}
}

/* ---- the cases, by kind % 10; i is a live pair's index when n > 0 ---- */

/* Kinds 0-2: handle 0, a forged handle, a stale one. */
static void misuse_bad_handle(struct zp_fuzz *f, unsigned kind, uint16_t arg,
			      uint32_t i, uint32_t n)
{
	const char *what;
	uint64_t h[NB];
	int b;

	(void)i;
	(void)n;
	for (b = 0; b < NB; b++) {
		what = fm_bad_handle(&f->m[b], kind, arg, &h[b]);
		if (what)
			zpf_check_bad(f, b, h[b], what);
	}
}

static void misuse_double_free(struct zp_fuzz *f, unsigned kind, uint16_t arg,
			       uint32_t i, uint32_t n)
{
	uint64_t h[NB];
	int b;

	(void)kind;
	(void)i;
	(void)n;
	if (!zpf_do_alloc(f, 1 + arg % ZP_MAX, (uint8_t)arg))
		return;
	for (b = 0; b < NB; b++)
		h[b] = f->m[b].obj[f->m[b].nlive - 1].handle;
	zpf_do_free(f, f->m[0].nlive - 1);
	for (b = 0; b < NB; b++)
		zpf_check_bad(f, b, h[b], "a double-freed handle");
}

static void misuse_unmap_unmapped(struct zp_fuzz *f, unsigned kind,
				  uint16_t arg, uint32_t i, uint32_t n)
{
	int ret[NB], b;

	(void)kind;
	(void)arg;
	if (!n)
		return;
	for (b = 0; b < NB; b++)
		ret[b] = zpool_unmap_handle(f->pool[b], f->m[b].obj[i].handle);
	zpf_same_ret(ret, "zpool_unmap_handle without map");
	zpf_expect_ret(ret[0], -EINVAL, 0, "zpool_unmap_handle without map",
		       f->m[0].obj[i].handle);
}

/* Free while mapped, map twice. */
static void misuse_mapped(struct zp_fuzz *f, unsigned kind, uint16_t arg,
			  uint32_t i, uint32_t n)
{
	int m = arg % 2; /* RO or RW: the bytes are read back below */
	struct fm_obj *o;
	void *p, *q;
	int b;

	(void)kind;
	if (!n)
		return;
	for (b = 0; b < NB; b++) {
		o = &f->m[b].obj[i];
		p = zpf_map_one(f, b, o, m, "misuse map");
		fm_verify(o, p, "map");
		zpf_expect_ret(zpool_free(f->pool[b], o->handle), -EBUSY, b,
			       "zpool_free while mapped", o->handle);
		/* the call first: C leaves the order in which arguments are
		 * evaluated open, and errno is one */
		errno = 0;
		q = zpool_map_handle(f->pool[b], o->handle,
				     zpf_modes[(arg >> 3) % 3]);
		zpf_expect_null(q, errno, EBUSY, b,
				"zpool_map_handle of a mapped handle",
				o->handle);
		fm_verify(o, p, "map after refused calls");
		zpf_expect_ret(zpool_unmap_handle(f->pool[b], o->handle), 0, b,
			       "zpool_unmap_handle", o->handle);
	}
}

static void misuse_bad_mode(struct zp_fuzz *f, unsigned kind, uint16_t arg,
			    uint32_t i, uint32_t n)
{
	uint64_t h;
	void *p;
	int b;

	(void)kind;
	for (b = 0; b < NB; b++) {
		h = n ? f->m[b].obj[i].handle : SENTINEL_HANDLE;
		errno = 0;
		p = zpool_map_handle(f->pool[b], h,
				     (enum zpool_mapmode)(3 + arg % 5));
		zpf_expect_null(p, errno, EINVAL, b,
				"zpool_map_handle(bad mode)", h);
	}
}

static void misuse_null_and_types(struct zp_fuzz *f, unsigned kind,
				  uint16_t arg, uint32_t i, uint32_t n)
{
	(void)f;
	(void)kind;
	(void)i;
	(void)n;
	misuse_null();
	misuse_types(arg);
}

/* Sizes refused by both, and a NULL handle pointer. */
static void misuse_sizes(struct zp_fuzz *f, unsigned kind, uint16_t arg,
			 uint32_t i, uint32_t n)
{
	uint64_t h[NB];
	int ret[NB], b;
	size_t size;

	(void)kind;
	(void)i;
	(void)n;
	size = (arg & 3) == 0 ? 0 :
	       (arg & 3) == 1 ? zs_max_alloc_size() + 1 :
	       (arg & 3) == 2 ? zs_max_alloc_size() + 1 + (arg >> 2) :
				SIZE_MAX;
	for (b = 0; b < NB; b++) {
		h[b] = SENTINEL_HANDLE;
		ret[b] = zpool_malloc(f->pool[b], size, &h[b]);
		if (h[b] != SENTINEL_HANDLE)
			fm_fail("a refused zpool_malloc stored a handle");
	}
	zpf_same_ret(ret, "zpool_malloc of a bad size");
	zpf_expect_ret(ret[0], size ? -ENOSPC : -EINVAL, 0,
		       "zpool_malloc of a bad size", size);
	for (b = 0; b < NB; b++)
		ret[b] = zpool_malloc(f->pool[b], 16, NULL);
	zpf_same_ret(ret, "zpool_malloc(NULL handle pointer)");
	zpf_expect_ret(ret[0], -EINVAL, 0, "zpool_malloc(NULL handle)", 0);
}

static void misuse_foreign_case(struct zp_fuzz *f, unsigned kind, uint16_t arg,
				uint32_t i, uint32_t n)
{
	(void)kind;
	(void)i;
	(void)n;
	misuse_foreign(f, arg);
}

/* Indexed by the kind byte % 10; fixed, as the corpus depends on it. */
static void (*const misuse_cases[10])(struct zp_fuzz *f, unsigned kind,
				      uint16_t arg, uint32_t i, uint32_t n) = {
	misuse_bad_handle, /* 0: handle 0 */
	misuse_bad_handle, /* 1: a forged handle */
	misuse_bad_handle, /* 2: a stale handle */
	misuse_double_free, /* 3 */
	misuse_unmap_unmapped, /* 4 */
	misuse_mapped, /* 5 */
	misuse_bad_mode, /* 6 */
	misuse_null_and_types, /* 7 */
	misuse_sizes, /* 8 */
	misuse_foreign_case, /* 9 */
};

/* Arguments: u8 kind, u16 arg.  The pair the case worked on (if any) must
 * read back afterwards. */
void zpf_op_misuse(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint32_t i = 0, n = f->m[0].nlive;
	uint16_t arg;
	uint8_t kind;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	if (n)
		i = arg % n;
	misuse_cases[kind % 10](f, kind % 10, arg, i, n);
	if (n && i < f->m[0].nlive)
		zpf_verify_pair(f, i, 0);
}
