// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_misuse.c - the zbud target's misuse op: bad handles,
 * another pool's handles and bad arguments, each refused as documented with
 * the pool unchanged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs/arena.h"
#include "zs/zbud.h"

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"

void zbf_check_bad_handle(struct zb_fuzz *f, uint64_t h, const char *what)
{
	uint64_t before = pool_pages(f);
	char call[96];
	void *p;

	snprintf(call, sizeof(call), "zbud_free of %s", what);
	fm_expect_ret(zbud_free(f->pool, h), -EINVAL, call, h);
	snprintf(call, sizeof(call), "zbud_map of %s", what);
	errno = 0;
	p = zbud_map(f->pool, h);
	fm_expect_null(p, errno, EINVAL, call, h);
	snprintf(call, sizeof(call), "zbud_unmap of %s", what);
	fm_expect_ret(zbud_unmap(f->pool, h), -EINVAL, call, h);
	if (pool_pages(f) != before)
		fm_fail("%s changed the pool's pages", what);
}

/* A second pool its user emptied must check clean and hold no page; then
 * it goes. */
void zbf_destroy_emptied_pool(struct zbud_pool *other)
{
	fm_expect_ret(zbud_pool_check(other), 0, "zbud_pool_check(second pool)",
		      0);
	if (zbud_get_pool_size(other))
		fm_fail("an emptied second pool holds %" PRIu64 " pages",
			zbud_get_pool_size(other));
	zbud_destroy_pool(other);
}

/* A second pool on the same arena: handles do not cross, and one without
 * an evict callback cannot reclaim. */
static void misuse_foreign(struct zb_fuzz *f, uint16_t arg)
{
	struct zbud_pool *other;
	struct fm_obj *o;
	uint64_t oh = SENTINEL_HANDLE;
	size_t size = 1 + arg % ZBUD_MAX_ALLOC_SIZE;
	void *p;
	int ret;

	other = zbud_create_pool_arena(NULL, f->arena);
	if (!other)
		fm_fail("creating a second pool failed, errno %d", errno);
	fm_expect_ret(zbud_reclaim_page(other, 4), -EINVAL,
		      "zbud_reclaim_page of a pool without evict", 0);
	ret = zbud_alloc(other, size, &oh);
	if (ret && !(ret == -ENOMEM && f->injecting))
		fm_fail("zbud_alloc(%zu) in a second pool: %d", size, ret);
	if (!ret) {
		if (!fm_find(&f->m, oh))
			zbf_check_bad_handle(f, oh, "another pool's handle");
		fm_expect_ret(zbud_reclaim_page(other, 4), -EINVAL,
			      "zbud_reclaim_page of a pool without evict", 0);
		if (zbud_get_pool_size(other) != 1)
			fm_fail("a second pool with one object has %" PRIu64
				" pages",
				zbud_get_pool_size(other));
		fm_expect_ret(zbud_free(other, oh), 0,
			      "zbud_free in a second pool", oh);
	}
	if ((o = fm_pick(&f->m, arg))) {
		fm_expect_ret(zbud_free(other, o->handle), -EINVAL,
			      "zbud_free of another pool's handle", o->handle);
		errno = 0;
		p = zbud_map(other, o->handle);
		fm_expect_null(p, errno, EINVAL,
			       "zbud_map of another pool's handle", o->handle);
	}
	zbf_destroy_emptied_pool(other);
}

static void misuse_args(struct zb_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o ? o->handle : SENTINEL_HANDLE, out = SENTINEL_HANDLE;
	void *p;

	fm_expect_ret(zbud_alloc(NULL, 16, &out), -EINVAL,
		      "zbud_alloc(NULL pool)", out);
	fm_expect_ret(zbud_alloc(f->pool, 16, NULL), -EINVAL,
		      "zbud_alloc(NULL handle pointer)", 0);
	if (out != SENTINEL_HANDLE)
		fm_fail("zbud_alloc(NULL pool) stored a handle");
	fm_expect_ret(zbud_free(NULL, h), -EINVAL, "zbud_free(NULL pool)", h);
	errno = 0;
	p = zbud_map(NULL, h);
	fm_expect_null(p, errno, EINVAL, "zbud_map(NULL pool)", h);
	fm_expect_ret(zbud_unmap(NULL, h), -EINVAL, "zbud_unmap(NULL pool)", h);
	fm_expect_ret(zbud_reclaim_page(NULL, 1), -EINVAL,
		      "zbud_reclaim_page(NULL)", 0);
	fm_expect_ret(zbud_pool_check(NULL), -EINVAL, "zbud_pool_check(NULL)",
		      0);
	if (zbud_get_pool_size(NULL))
		fm_fail("zbud_get_pool_size(NULL) is not 0");
	zbud_destroy_pool(NULL);
}

/* ---- the cases, by kind % 9 ----
 * Each gets the object picked by arg (or NULL) and returns the object the
 * op reads back afterwards: that one, or for a double free the new
 * object's slot in the model. */

/* Kinds 0-2: handle 0, a forged handle, a stale one. */
static struct fm_obj *misuse_bad_handle(struct zb_fuzz *f, unsigned kind,
					uint16_t arg, struct fm_obj *o)
{
	const char *what;
	uint64_t h;

	what = fm_bad_handle(&f->m, kind, arg, &h);
	if (what)
		zbf_check_bad_handle(f, h, what);
	return o;
}

static struct fm_obj *misuse_double_free(struct zb_fuzz *f, unsigned kind,
					 uint16_t arg, struct fm_obj *o)
{
	uint64_t h;

	(void)kind;
	o = zbf_do_alloc(f, 1 + arg % ZBUD_MAX_ALLOC_SIZE, (uint8_t)arg);
	if (o) {
		h = o->handle;
		zbf_do_free(f, o);
		zbf_check_bad_handle(f, h, "a double-freed handle");
	}
	return o;
}

static struct fm_obj *misuse_unmap_unmapped(struct zb_fuzz *f, unsigned kind,
					    uint16_t arg, struct fm_obj *o)
{
	(void)kind;
	(void)arg;
	if (o)
		fm_expect_ret(zbud_unmap(f->pool, o->handle), -EINVAL,
			      "zbud_unmap without zbud_map", o->handle);
	return o;
}

/* Free while mapped, map twice, unmap twice. */
static struct fm_obj *misuse_mapped(struct zb_fuzz *f, unsigned kind,
				    uint16_t arg, struct fm_obj *o)
{
	void *p, *q;

	(void)kind;
	(void)arg;
	if (!o)
		return o;
	p = zbf_map_obj(f, o, "misuse map");
	fm_verify(o, p, "zbud_map");
	fm_expect_ret(zbud_free(f->pool, o->handle), -EBUSY,
		      "zbud_free while mapped", o->handle);
	errno = 0;
	q = zbud_map(f->pool, o->handle);
	fm_expect_null(q, errno, EBUSY, "zbud_map of a mapped handle",
		       o->handle);
	fm_verify(o, p, "zbud_map after refused calls");
	fm_expect_ret(zbud_unmap(f->pool, o->handle), 0, "zbud_unmap",
		      o->handle);
	fm_expect_ret(zbud_unmap(f->pool, o->handle), -EINVAL,
		      "zbud_unmap twice", o->handle);
	return o;
}

static struct fm_obj *misuse_args_case(struct zb_fuzz *f, unsigned kind,
				       uint16_t arg, struct fm_obj *o)
{
	(void)kind;
	(void)arg;
	misuse_args(f, o);
	return o;
}

/* Sizes out of range. */
static struct fm_obj *misuse_sizes(struct zb_fuzz *f, unsigned kind,
				   uint16_t arg, struct fm_obj *o)
{
	uint64_t out = SENTINEL_HANDLE;
	size_t size;

	(void)kind;
	size = (arg & 3) == 0 ? 0 :
	       (arg & 3) == 1 ? ZBUD_MAX_ALLOC_SIZE + 1 :
	       (arg & 3) == 2 ? ZS_PAGE_SIZE + (arg >> 2) :
				SIZE_MAX;
	fm_expect_ret(zbud_alloc(f->pool, size, &out), size ? -ENOSPC : -EINVAL,
		      "zbud_alloc of a bad size", size);
	if (out != SENTINEL_HANDLE)
		fm_fail("a refused zbud_alloc stored a handle");
	return o;
}

static struct fm_obj *misuse_foreign_case(struct zb_fuzz *f, unsigned kind,
					  uint16_t arg, struct fm_obj *o)
{
	(void)kind;
	misuse_foreign(f, arg);
	return o;
}

/* Indexed by the kind byte % 9; fixed, as the corpus depends on it. */
static struct fm_obj *(*const misuse_cases[9])(struct zb_fuzz *f, unsigned kind,
					       uint16_t arg,
					       struct fm_obj *o) = {
	misuse_bad_handle, /* 0: handle 0 */
	misuse_bad_handle, /* 1: a forged handle */
	misuse_bad_handle, /* 2: a stale handle */
	misuse_double_free, /* 3 */
	misuse_unmap_unmapped, /* 4 */
	misuse_mapped, /* 5 */
	misuse_args_case, /* 6 */
	misuse_sizes, /* 7 */
	misuse_foreign_case, /* 8 */
};

/* Arguments: u8 kind, u16 arg.  Then the pool and its page model must
 * check clean and the object the case left (if still live) read back. */
void zbf_op_misuse(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	struct fm_obj *o;
	uint16_t arg;
	uint8_t kind;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	o = misuse_cases[kind % 9](f, kind % 9, arg, fm_pick(&f->m, arg));
	zbf_check_pages(f);
	zbf_pool_check(f, "after misuse");
	if (o && fm_find(&f->m, o->handle))
		zbf_verify_obj(f, o);
}
