// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_ops.c - the zsmalloc op-sequence interpreter: its
 * state, the helpers every op is built from, the ops that drive zsmalloc
 * through its API, and the op table fuzz/common/fuzz_interp.c runs.
 *
 * Each op is one small function reading its own arguments from the cursor and
 * checking every result against the API contract (zs/zsmalloc.h) and the
 * shadow model (fuzz/common/fuzz_model.h).  After every op
 * the statistics are cross-checked against the model; every ZS_CHECK_EVERY ops,
 * and after every move (compaction, shrinking, arena compaction, an allocation
 * failure), zs_pool_check runs and all live objects are read back.  At the end
 * everything is freed and the pool must hold no page.
 *
 * Between ops nothing is mapped or being read: every op releases what it
 * took, so the pool is quiescent whenever the model is compared with it.
 *
 * The ops that are a subject of their own live in their own files
 * (fuzz/zsmalloc_fuzz/zs_ops_internal.h lists them): arena_pages (the harness
 * as a page owner), the white-box corrupt and page_ops (zs/zs_internal.h: what
 * they test cannot be reached through the API), host_fault (the library's own
 * host allocations failing, zs/fault.h), fatal's death tests
 * (fuzz/zsmalloc_fuzz/zs_fatal.c: corruptions zs must report and abort on, in a
 * forked child) and forge (fuzz/zsmalloc_fuzz/zs_forge.c: values near issued
 * handles).
 *
 * Adding an op: write `static void op_x(void *state, struct fuzz_cursor
 * *c)` (starting `struct zs_fuzz *f = state;`) here, or `void
 * zsf_op_x(...)` in a file of its own in this directory (every .c file
 * here is part of the target) declared in zs_ops_internal.h; give it a
 * free opcode in zs_ops.h and a row in zs_op_table below.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* usleep, with -std=c11 */
#endif

#include "fuzz/zsmalloc_fuzz/zs_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fatal.h"
#include "fuzz/zsmalloc_fuzz/zs_ops_internal.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/pressure.h"
#include "zs/zsmalloc.h"

#define ZS_CHECK_EVERY 16
/* The per-object header the class table adds (class boundaries for users
 * sit this much below multiples of 16). */
#define ZS_FUZZ_OBJ_HEADER 4

static struct zs_fuzz F;

/* ---- small helpers ---- */

struct zs_arena *zsf_arena_of(struct zs_fuzz *f)
{
	return f->arena ? f->arena : zs_arena_default();
}

static bool enomem_ok(const struct zs_fuzz *f)
{
	return f->pool_injecting || f->arena_injecting || f->host_injecting ||
	       f->cap;
}

void zsf_get_stats(struct zs_fuzz *f, struct zs_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	zs_pool_stats(f->pool, st);
}

#define SAME_STAT(a, b, field, what)                                  \
	do {                                                          \
		if ((a)->field != (b)->field)                         \
			fm_fail("%s changed stats." #field            \
				" from %llu to %llu",                 \
				what, (unsigned long long)(b)->field, \
				(unsigned long long)(a)->field);      \
	} while (0)

/* A pool must look exactly as before a call that had to change nothing. */
void zsf_expect_pool_unchanged(struct zs_pool *pool,
			       const struct zs_pool_stats *b, const char *what,
			       bool metadata)
{
	struct zs_pool_stats a;

	memset(&a, 0, sizeof(a));
	zs_pool_stats(pool, &a);
	SAME_STAT(&a, b, pages_compacted, what);
	SAME_STAT(&a, b, pages_used, what);
	SAME_STAT(&a, b, objs_allocated, what);
	SAME_STAT(&a, b, objs_used, what);
	SAME_STAT(&a, b, zspages, what);
	SAME_STAT(&a, b, bytes_stored, what);
	SAME_STAT(&a, b, objs_moved, what);
	SAME_STAT(&a, b, pages_migrated, what);
	SAME_STAT(&a, b, alloc_failures, what);
	SAME_STAT(&a, b, compactions, what);
	if (metadata)
		SAME_STAT(&a, b, metadata_bytes, what);
	if (zs_get_total_pages(pool) != b->pages_used)
		fm_fail("%s changed zs_get_total_pages from %lu to %lu", what,
			b->pages_used, zs_get_total_pages(pool));
}

void zsf_expect_unchanged(struct zs_fuzz *f, const struct zs_pool_stats *b,
			  const char *what, bool metadata)
{
	zsf_expect_pool_unchanged(f->pool, b, what, metadata);
}

/* Statistics against the model; cheap, so it runs after every op. */
static void check_stats(struct zs_fuzz *f)
{
	struct zs_pool_stats st;
	unsigned long pages = zs_get_total_pages(f->pool);
	uint64_t min_pages = (f->m.bytes + ZS_PAGE_SIZE - 1) / ZS_PAGE_SIZE;

	zsf_get_stats(f, &st);
	if (st.pages_used != pages)
		fm_fail("stats.pages_used %lu != zs_get_total_pages %lu",
			st.pages_used, pages);
	if (st.objs_used != f->m.nlive)
		fm_fail("stats.objs_used %lu, model holds %u live objects",
			st.objs_used, f->m.nlive);
	if (st.bytes_stored != f->m.bytes)
		fm_fail("stats.bytes_stored %llu, model holds %llu bytes",
			(unsigned long long)st.bytes_stored,
			(unsigned long long)f->m.bytes);
	if (pages < min_pages)
		fm_fail("pool holds %lu pages for %llu live bytes (< %llu)",
			pages, (unsigned long long)f->m.bytes,
			(unsigned long long)min_pages);
	if (st.objs_allocated < st.objs_used)
		fm_fail("stats.objs_allocated %lu < objs_used %lu",
			st.objs_allocated, st.objs_used);
	if (st.zspages > pages)
		fm_fail("stats.zspages %lu > pages %lu", st.zspages, pages);
	if (f->cap) {
		/* Pages above a newly set cap may stay, but once they drop
		 * below it they may not grow past it again. */
		if (pages < f->cap_limit)
			f->cap_limit = pages > f->cap ? pages : f->cap;
		if (pages > f->cap_limit)
			fm_fail("pool holds %lu pages over its cap %lu", pages,
				f->cap_limit);
	}
}

void zsf_pool_check(struct zs_fuzz *f, const char *when)
{
	int ret = zs_pool_check(f->pool);

	if (ret)
		fm_fail("zs_pool_check %s returned %d", when, ret);
	/* The pages' arena (the private one, or the default arena) keeps
	 * its own books, which every move changes too. */
	ret = zs_arena_check(zsf_arena_of(f));
	if (ret)
		fm_fail("zs_arena_check %s returned %d", when, ret);
}

/* ---- reading and writing one object ---- */

enum { V_READ, V_RO, V_RW, V_READ_UNINIT, V_METHODS };

static void verify_obj(struct zs_fuzz *f, const struct fm_obj *o, int how)
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
		 * forgot to copy; poisoned: plain builds catch it. */
		local = how == V_READ ? f->local[0] : malloc(o->size);
		if (!local)
			fm_fail("out of memory for a local copy");
		if (how == V_READ)
			memset(local, 0xa5, o->size);
		p = zs_obj_read_begin(f->pool, h, local);
		fm_verify(o, p, "zs_obj_read_begin");
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

static void verify_all(struct zs_fuzz *f)
{
	int how = (int)(f->verify_turn++ % V_METHODS);
	uint32_t i;

	for (i = 0; i < f->m.nlive; i++)
		verify_obj(f, &f->m.obj[i], how);
	zsf_own_verify_all(f, "(all pages checked)");
}

enum { W_OBJ, W_WO, W_RW, W_METHODS };

/* Rewrites [0, len) of the object with seed's pattern (WO: the whole
 * object).  `fresh`: the object was just allocated, its bytes unknown. */
static void write_obj(struct zs_fuzz *f, struct fm_obj *o, int how,
		      uint32_t len, uint32_t seed, bool fresh)
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
static size_t choose_size(struct zs_fuzz *f, uint8_t kind, uint16_t raw)
{
	size_t max = zs_max_alloc_size();
	long d = (long)((raw >> 8) % 9) - 4; /* -4 .. +4 */
	long base;

	switch (kind % 8) {
	case 0: /* a class boundary: 16 k, or 16 k less the header, +-4 */
		base = 16L * ((raw & 0xff) + 1);
		if (kind & 0x80)
			base -= ZS_FUZZ_OBJ_HEADER;
		return clamp_size(base + d);
	case 1: /* the huge-class threshold, +-4 */
		return clamp_size((long)zs_huge_class_size(f->pool) + d);
	case 2: /* the smallest objects */
		return 1 + raw % 4;
	case 3: /* the largest: 4096, 4095, 4094 */
		return max - raw % 3;
	case 4:
		return 1 + raw % max;
	case 5: /* dense small objects */
		return 1 + raw % 256;
	case 6: /* around the slot size of some class */
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
	if (ret != want && !(want == 0 && ret == -ENOMEM && enomem_ok(f)))
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
	write_obj(f, o, fuzz % W_METHODS, o->size, fm_new_seed(&f->m, fuzz),
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

/* ---- pools ---- */

static void pool_open(struct zs_fuzz *f, uint8_t cfg, unsigned long max_pages)
{
	struct zs_pool_config pc;
	const char *name = cfg & 0x80 ? NULL : "zs-fuzz";
	const char *got;

	memset(&pc, 0, sizeof(pc));
	pc.name = name;
	pc.chain_size = (cfg & 0x1f) % 17;
	pc.max_pages = max_pages;
	if (cfg & 0x20) {
		f->arena = zs_arena_create();
		if (!f->arena)
			fm_fail("zs_arena_create failed, errno %d", errno);
	}
	pc.arena = f->arena;
	if ((cfg & 0xc0) == 0xc0 && !f->arena && !max_pages && !pc.chain_size) {
		/* A NULL config means the defaults. */
		f->pool = zs_create_pool_config(NULL);
	} else if ((cfg & 0x40) && !f->arena && !max_pages) {
		name = "zs-fuzz";
		f->pool = zs_create_pool(name);
	} else {
		f->pool = zs_create_pool_config(&pc);
	}
	if (!f->pool)
		fm_fail("creating a pool (chain %u, cap %lu) failed, errno %d",
			pc.chain_size, max_pages, errno);
	got = zs_pool_name(f->pool);
	if (name && (!got || strcmp(got, name)))
		fm_fail("zs_pool_name is \"%s\", created as \"%s\"",
			got ? got : "(null)", name);
	f->cap = max_pages;
	f->cap_limit = max_pages;
	f->pool_injecting = false;
	f->arena_injecting = false;
	if (zs_get_total_pages(f->pool) != 0)
		fm_fail("a new pool holds %lu pages",
			zs_get_total_pages(f->pool));
	zsf_pool_check(f, "on a new pool");
	fm_trace("  pool chain %u cap %lu arena %s\n", pc.chain_size, max_pages,
		 f->arena ? "private" : "default");
}

static void drain(struct zs_fuzz *f, bool backwards)
{
	struct zs_pool_stats st;

	while (f->m.nlive)
		zsf_do_free(f, &f->m.obj[backwards ? f->m.nlive - 1 : 0]);
	zsf_get_stats(f, &st);
	if (zs_get_total_pages(f->pool) || st.pages_used || st.zspages ||
	    st.objs_used || st.objs_allocated || st.bytes_stored)
		fm_fail("an empty pool holds %lu pages (stats: pages %lu "
			"zspages %lu objs %lu/%lu bytes %llu)",
			zs_get_total_pages(f->pool), st.pages_used, st.zspages,
			st.objs_used, st.objs_allocated,
			(unsigned long long)st.bytes_stored);
	zsf_pool_check(f, "on an emptied pool");
}

static void pool_close(struct zs_fuzz *f, bool free_first)
{
	struct zs_arena_stats as;
	int ret;

	zsf_own_release(f);
	if (free_first)
		drain(f, false);
	/* An armed default arena would fail the next pool's allocations
	 * after pool_open() has cleared arena_injecting. */
	if (!f->arena)
		zs_arena_inject_failures(zs_arena_default(), 0, 0);
	zs_destroy_pool(f->pool);
	f->pool = NULL;
	/* Handles of a destroyed pool are foreign to the next one. */
	while (f->m.nlive)
		fm_remove(&f->m, &f->m.obj[f->m.nlive - 1]);
	if (f->arena) {
		memset(&as, 0, sizeof(as));
		zs_arena_stats(f->arena, &as);
		if (as.pages_in_use)
			fm_fail("the private arena still has %lu pages in use "
				"after its only pool was destroyed",
				as.pages_in_use);
		ret = zs_arena_destroy(f->arena);
		if (ret)
			fm_fail("zs_arena_destroy of an unused arena: %d", ret);
		f->arena = NULL;
	}
}

/* ---- the ops ---- */

static void op_alloc(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	zsf_do_alloc(f, choose_size(f, kind, raw), fuzz);
}

static void op_free(void *state, struct fuzz_cursor *c)
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
	write_obj(f, o, how, len % (o->size + 1), fm_new_seed(&f->m, fuzz),
		  false);
}

static void op_write_wo(void *state, struct fuzz_cursor *c)
{
	op_write(state, c, W_WO);
}

static void op_write_rw(void *state, struct fuzz_cursor *c)
{
	op_write(state, c, W_RW);
}

static void op_write_obj(void *state, struct fuzz_cursor *c)
{
	op_write(state, c, W_OBJ);
}

static void op_read(struct zs_fuzz *f, struct fuzz_cursor *c, int how)
{
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	verify_obj(f, o, how);
}

static void op_read_ro(void *state, struct fuzz_cursor *c)
{
	op_read(state, c, V_RO);
}

static void op_read_rw(void *state, struct fuzz_cursor *c)
{
	op_read(state, c, V_RW);
}

static void op_read_begin(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct fm_obj *o;
	uint16_t sel;
	uint8_t flags;

	if (!fc_u16(c, &sel) || !fc_u8(c, &flags) || !(o = fm_pick(&f->m, sel)))
		return;
	verify_obj(f, o, flags & 1 ? V_READ_UNINIT : V_READ);
}

/* One object held by op_nested: mapped (RO/RW/WO) or being read. */
struct held {
	struct fm_obj *o;
	int kind; /* 0 RO, 1 RW, 2 WO, 3 read */
	const void *p;
	struct fm_obj view; /* what p must show (the model plus our write) */
};

static const char *const held_kind[] = { "map RO", "map RW", "map WO", "read" };

static struct held *held_find(struct held *held, unsigned n, uint64_t h)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (held[i].o->handle == h)
			return &held[i];
	return NULL;
}

static void held_verify(struct held *held, unsigned n, const char *when)
{
	char how[96];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(how, sizeof(how), "%s held %s",
			 held_kind[held[i].kind], when);
		fm_verify(&held[i].view, held[i].p, how);
	}
}

/*
 * Several handles mapped and read at once, with work done while they are
 * held (free -> -EBUSY, compaction, check, shrinking, arena compaction:
 * held objects must not move nor change), then released in another order.
 */
static void op_nested(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	static const enum zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO };
	struct held held[HELD_MAX], *hd, tmp;
	uint16_t sel[HELD_MAX], modebits;
	uint8_t n, flags, order;
	unsigned i, j, nheld = 0, nmaps = 0, nreads = 0;
	struct zs_pool_stats before;
	uint32_t rng, len;
	uint64_t h;
	void *p;
	int kind;

	if (!fc_u8(c, &n) || !fc_u8(c, &flags) || !fc_u16(c, &modebits) ||
	    !fc_u8(c, &order))
		return;
	n = (uint8_t)(1 + n % HELD_MAX);
	for (i = 0; i < n; i++)
		if (!fc_u16(c, &sel[i]))
			return;
	if (!f->m.nlive)
		return;
	for (i = 0; i < n; i++) {
		struct fm_obj *o = fm_pick(&f->m, sel[i]);

		h = o->handle;
		kind = (modebits >> (2 * (i % 8)) ^ (i >= 8 ? 2 : 0)) & 3;
		hd = held_find(held, nheld, h);
		if (kind < 3 &&
		    (hd ? hd->kind < 3 : nmaps == ZS_MAX_THREAD_MAPS)) {
			/* This thread already maps it, or holds too many. */
			errno = 0;
			p = zs_map_object(f->pool, h, modes[kind]);
			fm_expect_null(p, errno, EBUSY,
				       hd ? "zs_map_object of a handle mapped "
					    "twice" :
					    "zs_map_object over the map limit",
				       h);
			continue;
		}
		if (!hd && kind == 3 && nreads == ZS_MAX_THREAD_READS) {
			errno = 0;
			p = (void *)zs_obj_read_begin(f->pool, h,
						      f->local[nheld]);
			fm_expect_null(p, errno, EBUSY,
				       "zs_obj_read_begin over the read limit",
				       h);
			continue;
		}
		if (hd)
			continue;
		hd = &held[nheld];
		hd->o = o;
		hd->kind = kind;
		hd->view = *o;
		if (kind == 3) {
			memset(f->local[nheld], 0x5a, o->size);
			hd->p = zs_obj_read_begin(f->pool, h, f->local[nheld]);
			fm_verify(o, hd->p, "nested zs_obj_read_begin");
			nreads++;
		} else {
			p = zs_map_object(f->pool, h, modes[kind]);
			if (!p)
				fm_fail("nested zs_map_object(%#" PRIx64
					", %s) with %u maps held: errno %d",
					h, held_kind[kind], nmaps, errno);
			if (kind != 2)
				fm_verify(o, p, "nested map");
			if (kind != 0) {
				len = kind == 2 ? o->size :
						  fm_write_len(o, sel[i] >> 4);
				fm_note_write(&hd->view, len,
					      fm_new_seed(&f->m, (uint8_t)i));
				fm_expect(&hd->view, p);
			}
			hd->p = p;
			nmaps++;
		}
		nheld++;
	}
	fm_trace("  nested: %u held (%u maps, %u reads), flags %#x\n", nheld,
		 nmaps, nreads, flags);
	if (!nheld)
		return;
	/* At a limit, a bad handle is still reported as bad. */
	h = fm_pick_stale(&f->m, order);
	if (h && nmaps == ZS_MAX_THREAD_MAPS) {
		errno = 0;
		p = zs_map_object(f->pool, h, ZS_MM_RO);
		fm_expect_null(
			p, errno, EINVAL,
			"zs_map_object of a stale handle at the map limit", h);
	}
	if (h && nreads == ZS_MAX_THREAD_READS) {
		errno = 0;
		p = (void *)zs_obj_read_begin(f->pool, h, f->local[0]);
		fm_expect_null(
			p, errno, EINVAL,
			"zs_obj_read_begin of a stale handle at the limit", h);
	}
	hd = &held[(flags >> 6) % nheld];
	if (flags & 1) {
		zsf_get_stats(f, &before);
		fm_expect_ret(zs_free(f->pool, hd->o->handle), -EBUSY,
			      hd->kind == 3 ? "zs_free while read" :
					      "zs_free while mapped",
			      hd->o->handle);
		zsf_expect_unchanged(f, &before, "zs_free of a held object",
				     true);
	}
	if (flags & 2) {
		zs_compact(f->pool);
		held_verify(held, nheld, "across zs_compact");
	}
	if (flags & 4)
		zsf_pool_check(f, "with objects held");
	if (flags & 8) {
		zs_shrinker_scan(f->pool, ~0UL);
		held_verify(held, nheld, "across zs_shrinker_scan");
	}
	if (flags & 16) {
		zs_arena_compact(zsf_arena_of(f));
		held_verify(held, nheld, "across zs_arena_compact");
	}
	/* Release in an order of the input's choosing. */
	rng = order * 2654435761u + 1;
	for (i = nheld - 1; i > 0; i--) {
		rng = rng * 1103515245u + 12345u;
		j = (rng >> 16) % (i + 1);
		tmp = held[i];
		held[i] = held[j];
		held[j] = tmp;
	}
	for (i = 0; i < nheld; i++) {
		hd = &held[i];
		h = hd->o->handle;
		if (hd->kind == 3) {
			fm_expect_ret(zs_obj_read_end(f->pool, h, hd->p), 0,
				      "nested zs_obj_read_end", h);
		} else {
			fm_expect_ret(zs_unmap_object(f->pool, h), 0,
				      "nested zs_unmap_object", h);
			*hd->o = hd->view;
		}
	}
	if (flags & 32) {
		h = held[nheld - 1].o->handle;
		if (held[nheld - 1].kind == 3)
			fm_expect_ret(zs_obj_read_end(f->pool, h,
						      held[nheld - 1].p),
				      -EINVAL, "zs_obj_read_end twice", h);
		else
			fm_expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
				      "zs_unmap_object twice", h);
	}
	for (i = 0; i < nheld; i++)
		verify_obj(f, held[i].o, (int)(i % V_METHODS));
	if (flags & 26)
		f->verify_pending = true;
}

static void op_compact(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_stats before, after;
	unsigned long count, ret, pages, left;

	(void)c;
	zsf_get_stats(f, &before);
	count = zs_shrinker_count(f->pool);
	ret = zs_compact(f->pool);
	zsf_get_stats(f, &after);
	pages = zs_get_total_pages(f->pool);
	fm_trace("  zs_compact freed %lu (count was %lu), %lu -> %lu pages\n",
		 ret, count, before.pages_used, pages);
	if (before.pages_used - pages != ret)
		fm_fail("zs_compact returned %lu but pages went %lu -> %lu",
			ret, before.pages_used, pages);
	if (after.pages_compacted - before.pages_compacted != ret)
		fm_fail("zs_compact returned %lu but pages_compacted went "
			"%lu -> %lu",
			ret, before.pages_compacted, after.pages_compacted);
	if (ret > count)
		fm_fail("zs_compact freed %lu pages, zs_shrinker_count "
			"promised %lu",
			ret, count);
	left = zs_shrinker_count(f->pool);
	if (left)
		fm_fail("zs_shrinker_count is %lu after zs_compact with "
			"nothing pinned",
			left);
	zsf_pool_check(f, "after zs_compact");
	f->verify_pending = true;
}

static void op_shrink(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_stats before, after;
	unsigned long count, ret, pages;
	uint16_t nr;

	if (!fc_u16(c, &nr))
		return;
	zsf_get_stats(f, &before);
	count = zs_shrinker_count(f->pool);
	if (count > before.pages_used)
		fm_fail("zs_shrinker_count %lu > pages held %lu", count,
			before.pages_used);
	ret = zs_shrinker_scan(f->pool, nr);
	zsf_get_stats(f, &after);
	pages = zs_get_total_pages(f->pool);
	if (before.pages_used - pages != ret)
		fm_fail("zs_shrinker_scan(%u) returned %lu but pages went "
			"%lu -> %lu",
			nr, ret, before.pages_used, pages);
	if (after.pages_compacted - before.pages_compacted != ret)
		fm_fail("zs_shrinker_scan returned %lu but pages_compacted "
			"went %lu -> %lu",
			ret, before.pages_compacted, after.pages_compacted);
	if (ret > count)
		fm_fail("zs_shrinker_scan freed %lu pages, count said %lu", ret,
			count);
	zsf_pool_check(f, "after zs_shrinker_scan");
	f->verify_pending = true;
}

static void op_stats(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	size_t max = zs_max_alloc_size(), huge, s, cs, next;
	unsigned classes;
	uint16_t raw;
	uint8_t flags;

	if (!fc_u8(c, &flags) || !fc_u16(c, &raw))
		return;
	if (max != ZS_PAGE_SIZE)
		fm_fail("zs_max_alloc_size is %zu", max);
	classes = zs_pool_class_count(f->pool);
	if (classes < 1 || classes > 256)
		fm_fail("zs_pool_class_count is %u", classes);
	huge = zs_huge_class_size(f->pool);
	if (huge < 1 || huge > max)
		fm_fail("zs_huge_class_size is %zu", huge);
	s = raw % (max + 2);
	cs = zs_class_size_for(f->pool, s);
	if (s == 0 || s > max) {
		if (cs)
			fm_fail("zs_class_size_for(%zu) is %zu, expected 0", s,
				cs);
	} else {
		if (cs < s || cs > max)
			fm_fail("zs_class_size_for(%zu) is %zu", s, cs);
		if (s >= huge && cs != ZS_PAGE_SIZE)
			fm_fail("size %zu >= huge %zu has slot %zu, not a page",
				s, huge, cs);
		next = s < max ? zs_class_size_for(f->pool, s + 1) : cs;
		if (next < cs)
			fm_fail("zs_class_size_for(%zu) = %zu < (%zu) = %zu",
				s + 1, next, s, cs);
	}
	if (flags & 1)
		zs_pool_print_classes(f->pool, f->sink);
	if (flags & 2)
		zs_pool_print_classes_json(f->pool, f->sink);
}

static void op_check(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;

	(void)c;
	zsf_pool_check(f, "(op)");
}

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
	verify_obj(f, o, V_READ);
}

/* NULL pools, NULL pointers, bad modes: rejected, nothing changes. */
static void misuse_args(struct zs_fuzz *f, struct fm_obj *o)
{
	static const struct zs_pool_stats zero;
	uint64_t h = o ? o->handle : SENTINEL_HANDLE, out = SENTINEL_HANDLE;
	struct zs_pool_stats before, st;
	const void *r;
	void *p;

	zsf_get_stats(f, &before);
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
	/* NULL outputs and arenas: nothing done, nothing crashes. */
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
	if (o) {
		fm_expect_ret(zs_obj_write(f->pool, h, NULL, 1), -EINVAL,
			      "zs_obj_write(NULL source)", h);
		/* Writing nothing is legal, from nowhere too, and must not
		 * hand memcpy a NULL pointer (UBSan aborts on that). */
		fm_expect_ret(zs_obj_write(f->pool, h, NULL, 0), 0,
			      "zs_obj_write(NULL source, 0 bytes)", h);
		fm_expect_ret(zs_obj_write(f->pool, h, f->buf, 0), 0,
			      "zs_obj_write(0 bytes)", h);
		/* Without a local copy a straddling object cannot be read;
		 * a contiguous one may be returned in place. */
		errno = 0;
		r = zs_obj_read_begin(f->pool, h, NULL);
		if (r) {
			fm_verify(o, r, "zs_obj_read_begin without local copy");
			fm_expect_ret(zs_obj_read_end(f->pool, h, r), 0,
				      "zs_obj_read_end", h);
		} else if (errno != EINVAL) {
			fm_fail("zs_obj_read_begin(local_copy NULL) failed "
				"with errno %d, expected EINVAL",
				errno);
		}
	}
	zsf_expect_unchanged(f, &before, "calls with bad arguments", true);
	if (o)
		verify_obj(f, o, V_READ);
}

static void op_misuse(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_arena_stats as, as2;
	struct zs_pool_config pc;
	struct zs_pool_stats before;
	struct zs_pool *bad;
	struct fm_obj *o;
	const char *what;
	uint64_t h;
	uint16_t arg;
	uint8_t kind;
	int ret;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	switch (kind % 10) {
	case 0: /* handle 0, a forged handle, a stale one */
	case 1:
	case 2:
		what = fm_bad_handle(&f->m, kind % 10, arg, &h);
		if (what)
			zsf_check_bad_handle(f, h, what);
		break;
	case 3: /* double free of a fresh object */
		o = zsf_do_alloc(f, 1 + arg % 64, (uint8_t)arg);
		if (!o)
			break;
		h = o->handle;
		zsf_do_free(f, o);
		zsf_check_bad_handle(f, h, "a double-freed handle");
		break;
	case 4: /* releasing what was never taken */
		if (!(o = fm_pick(&f->m, arg)))
			break;
		zsf_get_stats(f, &before);
		fm_expect_ret(zs_unmap_object(f->pool, o->handle), -EINVAL,
			      "zs_unmap_object without a map", o->handle);
		fm_expect_ret(zs_obj_read_end(f->pool, o->handle, NULL),
			      -EINVAL, "zs_obj_read_end without a read",
			      o->handle);
		zsf_expect_unchanged(f, &before, "release without a hold",
				     true);
		verify_obj(f, o, V_RO);
		break;
	case 5:
		if ((o = fm_pick(&f->m, arg >> 5)))
			misuse_held(f, o, arg);
		break;
	case 6: /* sizes out of range */
		zsf_do_alloc(f, 0, 0);
		zsf_do_alloc(f, zs_max_alloc_size() + 1 + arg, 0);
		zsf_do_alloc(f, SIZE_MAX - arg, 0);
		if (!(o = fm_pick(&f->m, arg)))
			break;
		zsf_get_stats(f, &before);
		fm_expect_ret(zs_obj_write(f->pool, o->handle, f->buf,
					   o->size + 1 + arg % 16),
			      -EINVAL, "zs_obj_write past the object's end",
			      o->handle);
		zsf_expect_unchanged(f, &before, "an oversized zs_obj_write",
				     true);
		verify_obj(f, o, V_READ);
		break;
	case 7:
		misuse_foreign(f, arg);
		break;
	case 8:
		misuse_args(f, fm_pick(&f->m, arg));
		break;
	default: /* bad configurations and arena misuse */
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
				fm_fail("zs_arena_destroy of an arena in use "
					"returned %d, expected %d",
					ret, -EBUSY);
		}
		/* Owner ids it never gave and pages it never handed out: the
		 * arena ignores them. */
		memset(&as, 0, sizeof(as));
		memset(&as2, 0, sizeof(as2));
		zs_arena_stats(zsf_arena_of(f), &as);
		zs_arena_unregister_owner(zsf_arena_of(f), -1);
		zs_arena_unregister_owner(zsf_arena_of(f), 1 << 20);
		zs_arena_set_page_owner(zsf_arena_of(f), f->buf, 1, 2, 1);
		zs_arena_stats(zsf_arena_of(f), &as2);
		if (as.pages_in_use != as2.pages_in_use ||
		    as.pages_free != as2.pages_free ||
		    as.regions_mapped != as2.regions_mapped)
			fm_fail("unknown owner ids or a foreign page changed "
				"the arena: in use %lu -> %lu, free %lu -> %lu",
				as.pages_in_use, as2.pages_in_use,
				as.pages_free, as2.pages_free);
		break;
	}
}

static void op_inject(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t target, after, count;

	if (!fc_u8(c, &target) || !fc_u8(c, &after) || !fc_u8(c, &count))
		return;
	count %= 8;
	if (target & 1) {
		zs_arena_inject_failures(zsf_arena_of(f), after, count);
		f->arena_injecting = count != 0;
	} else {
		zs_pool_inject_failures(f->pool, after, count);
		f->pool_injecting = count != 0;
	}
}

static void op_max_pages(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	unsigned long pages = zs_get_total_pages(f->pool), cap;
	uint16_t arg;
	uint8_t kind;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	switch (kind % 4) {
	case 0:
		cap = 0;
		break;
	case 1: /* a little headroom */
		cap = pages + arg % 64 + 1;
		break;
	case 2: /* anything, possibly below what is held */
		cap = arg % 1024 + 1;
		break;
	default: /* no growth at all */
		cap = pages ? pages : 1;
		break;
	}
	zs_pool_set_max_pages(f->pool, cap);
	f->cap = cap;
	f->cap_limit = cap > pages ? cap : pages;
	fm_trace("  cap %lu (holding %lu)\n", cap, pages);
}

static void op_recreate(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_pool_config pc;
	struct zs_pool *bad;
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	if ((cfg & 0x1f) > 16) {
		memset(&pc, 0, sizeof(pc));
		pc.chain_size = cfg & 0x1f;
		errno = 0;
		bad = zs_create_pool_config(&pc);
		fm_expect_null(bad, errno, EINVAL, "zs_create_pool_config",
			       pc.chain_size);
		return;
	}
	pool_close(f, flags & 1);
	pool_open(f, cfg, flags & 2 ? 1 + (flags >> 2) * 8UL : 0);
}

static void op_arena_compact(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	struct zs_arena *a = zsf_arena_of(f);
	struct zs_arena_stats before, after;
	unsigned long pages = zs_get_total_pages(f->pool), ret;
	uint8_t flags;

	if (!fc_u8(c, &flags))
		return;
	memset(&before, 0, sizeof(before));
	memset(&after, 0, sizeof(after));
	zs_arena_stats(a, &before);
	ret = zs_arena_compact(a);
	if (flags & 1)
		zs_arena_trim(a);
	zs_arena_stats(a, &after);
	fm_trace("  zs_arena_compact moved %lu pages\n", ret);
	if (after.pages_migrated - before.pages_migrated != ret)
		fm_fail("zs_arena_compact returned %lu, pages_migrated went "
			"%lu -> %lu",
			ret, before.pages_migrated, after.pages_migrated);
	if (after.pages_in_use != before.pages_in_use)
		fm_fail("zs_arena_compact changed pages_in_use %lu -> %lu",
			before.pages_in_use, after.pages_in_use);
	if (zs_get_total_pages(f->pool) != pages)
		fm_fail("zs_arena_compact changed the pool's pages %lu -> %lu",
			pages, zs_get_total_pages(f->pool));
	if (f->arena && after.pages_in_use < pages)
		fm_fail("private arena has %lu pages in use, its pool %lu",
			after.pages_in_use, pages);
	zsf_pool_check(f, "after zs_arena_compact");
	f->verify_pending = true;
}

static void op_fill(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t count, kind, fuzz;
	uint16_t raw;
	size_t size;
	unsigned i;

	if (!fc_u8(c, &count) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &fuzz))
		return;
	size = choose_size(f, kind, raw);
	/* Stops at the first refusal: the model is full, the cap or an
	 * injected failure was hit, or the size is out of range. */
	for (i = 0; i <= count; i++)
		if (!zsf_do_alloc(f, size, (uint8_t)(fuzz + i)))
			break;
}

static void op_free_many(void *state, struct fuzz_cursor *c)
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

static void op_verify_all(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t how;
	uint32_t i;

	if (!fc_u8(c, &how))
		return;
	for (i = 0; i < f->m.nlive; i++)
		verify_obj(f, &f->m.obj[i], how % V_METHODS);
}

static void op_drain(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t order;

	if (!fc_u8(c, &order))
		return;
	drain(f, order & 1);
}

/* The mover of op_race: compaction of one kind, over and over, until the
 * op's own accesses are done. */
struct race_mover {
	struct zs_pool *pool;
	struct zs_arena *arena;
	unsigned kind;
	atomic_bool stop;
	unsigned long rounds;
};

static void *race_mover_run(void *arg)
{
	struct race_mover *r = arg;

	do {
		switch (r->kind % 3) {
		case 0:
			zs_compact(r->pool);
			break;
		case 1:
			zs_shrinker_scan(r->pool, 1);
			break;
		default:
			zs_arena_compact(r->arena);
			break;
		}
		/* Bounded, and yielding: the point is to overlap the
		 * accesses, not to burn the fuzzer's time. */
		sched_yield();
	} while (++r->rounds < 1000 && !atomic_load(&r->stop));
	return NULL;
}

/*
 * Objects read, rewritten, freed and allocated while another thread moves
 * them: every read must still see the model's bytes, every write land.
 * The interleaving is the scheduler's, so a failure may need several runs
 * to reproduce; everything the model checks holds for every interleaving.
 */
static void op_race(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t mover, n, act[64];
	uint16_t sel[64];
	struct race_mover r;
	struct fm_obj *o;
	pthread_t t;
	unsigned i;
	size_t size;

	if (!fc_u8(c, &mover) || !fc_u8(c, &n))
		return;
	n = (uint8_t)(1 + n % 64);
	for (i = 0; i < n; i++)
		if (!fc_u8(c, &act[i]) || !fc_u16(c, &sel[i]))
			return;
	r.pool = f->pool;
	r.arena = zsf_arena_of(f);
	r.kind = mover;
	r.rounds = 0;
	atomic_init(&r.stop, false);
	if (pthread_create(&t, NULL, race_mover_run, &r))
		fm_fail("pthread_create failed");
	for (i = 0; i < n; i++) {
		/* No allocation while failures may be injected: a failed
		 * zs_malloc is checked against statistics the mover changes. */
		if (!(o = fm_pick(&f->m, sel[i]))) {
			if (!enomem_ok(f))
				zsf_do_alloc(f,
					     1 + sel[i] % zs_max_alloc_size(),
					     act[i]);
			continue;
		}
		switch (act[i] % 6) {
		case 0:
		case 1:
		case 2:
			verify_obj(f, o,
				   act[i] % 3 == 0 ? V_READ :
				   act[i] % 3 == 1 ? V_RO :
						     V_RW);
			break;
		case 3:
		case 4:
			write_obj(f, o, act[i] % 2 ? W_WO : W_OBJ,
				  sel[i] % (o->size + 1),
				  fm_new_seed(&f->m, act[i]), false);
			break;
		default:
			size = o->size;
			zsf_do_free(f, o);
			if (!enomem_ok(f))
				zsf_do_alloc(f, size, act[i]);
			break;
		}
	}
	atomic_store(&r.stop, true);
	if (pthread_join(t, NULL))
		fm_fail("pthread_join failed");
	fm_trace("  race: %u accesses, %lu mover rounds (kind %u)\n", n,
		 r.rounds, mover % 3);
	zsf_pool_check(f, "after a race with a mover");
	f->verify_pending = true;
}

/*
 * A pressure monitor (with no PSI, or a stand-in whose answers do not
 * depend on the machine) on the pool and its arena: a synchronous reclaim, maybe a soft limit and a
 * notification the monitor's thread acts on while this one goes on, then
 * removal and destruction.  Whatever it moved must read back unchanged.
 */
static void op_pressure(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	static const char *const psi_paths[4] = {
		"", "/nonexistent/zs-fuzz/pressure", "/dev/null", "/dev/full"
	};
	static const int psi_errors[4] = { 0, ENOENT, EINVAL, EINVAL };
	struct zs_pressure_config cfg;
	struct zs_pressure_stats st;
	struct zs_pressure *mon;
	unsigned long before = zs_get_total_pages(f->pool), freed, limit;
	struct zs_arena *a = zsf_arena_of(f);
	unsigned psi;
	uint16_t arg;
	uint8_t flags;

	if (!fc_u8(c, &flags) || !fc_u16(c, &arg))
		return;
	memset(&cfg, 0, sizeof(cfg));
	cfg.poll_ms = 1 + arg % 8;
	/* PSI files that behave the same on every machine: none; one that
	 * cannot exist (ENOENT); /dev/null and /dev/full, which are no PSI
	 * files (a trigger "written" to /dev/null would never fire, and the
	 * monitor would claim PSI it does not have), so both are refused
	 * with EINVAL.  Without PSI the monitor must run and say why. */
	psi = (flags & 16 ? 1 : 0) | (flags & 128 ? 2 : 0);
	cfg.psi_path = psi_paths[psi];
	mon = zs_pressure_create(&cfg);
	if (!mon)
		fm_fail("zs_pressure_create failed, errno %d", errno);
	memset(&st, 0, sizeof(st));
	zs_pressure_get_stats(mon, &st);
	if (st.psi_active || st.psi_error != psi_errors[psi])
		fm_fail("pressure monitor with psi_path \"%s\": psi_active %d "
			"psi_error %d, expected 0 and %d",
			cfg.psi_path, st.psi_active, st.psi_error,
			psi_errors[psi]);
	limit = flags & 1 ? before / 2 : 0;
	fm_expect_ret(zs_pressure_add_pool(mon, f->pool, limit), 0,
		      "zs_pressure_add_pool", limit);
	fm_expect_ret(zs_pressure_add_pool(mon, f->pool, limit), -EEXIST,
		      "zs_pressure_add_pool twice", limit);
	if (flags & 2) {
		fm_expect_ret(zs_pressure_add_arena(mon, a), 0,
			      "zs_pressure_add_arena", 0);
		fm_expect_ret(zs_pressure_add_arena(mon, a), -EEXIST,
			      "zs_pressure_add_arena twice", 0);
	}
	if (flags & 4)
		zs_pressure_notify(mon);
	/* Long enough for the monitor's thread to poll the soft limit. */
	if (flags & 32)
		usleep(1000 * (cfg.poll_ms + 1));
	freed = zs_pressure_reclaim(mon, flags & 8 ? arg : 0);
	if (zs_get_total_pages(f->pool) > before)
		fm_fail("zs_pressure_reclaim (freed %lu) grew the pool from "
			"%lu to %lu pages",
			freed, before, zs_get_total_pages(f->pool));
	if (flags & 64) {
		/* Bad arguments and unknown registrations. */
		fm_expect_ret(zs_pressure_add_pool(NULL, f->pool, 0), -EINVAL,
			      "zs_pressure_add_pool(NULL monitor)", 0);
		fm_expect_ret(zs_pressure_add_pool(mon, NULL, 0), -EINVAL,
			      "zs_pressure_add_pool(NULL pool)", 0);
		fm_expect_ret(zs_pressure_add_arena(mon, NULL), -EINVAL,
			      "zs_pressure_add_arena(NULL)", 0);
		fm_expect_ret(zs_pressure_remove_pool(NULL, f->pool), -EINVAL,
			      "zs_pressure_remove_pool(NULL monitor)", 0);
		fm_expect_ret(zs_pressure_remove_arena(NULL, a), -EINVAL,
			      "zs_pressure_remove_arena(NULL monitor)", 0);
		if (!(flags & 2))
			fm_expect_ret(zs_pressure_remove_arena(mon, a), -ENOENT,
				      "zs_pressure_remove_arena of an arena "
				      "never added",
				      0);
		if (zs_pressure_reclaim(NULL, 1))
			fm_fail("zs_pressure_reclaim(NULL) is not 0");
		zs_pressure_notify(NULL);
		zs_pressure_destroy(NULL);
		memset(&st, 0xff, sizeof(st));
		zs_pressure_get_stats(NULL, &st);
		if (st.pages_freed || st.psi_active)
			fm_fail("zs_pressure_get_stats(NULL) did not zero");
	}
	if (flags & 2)
		fm_expect_ret(zs_pressure_remove_arena(mon, a), 0,
			      "zs_pressure_remove_arena", 0);
	fm_expect_ret(zs_pressure_remove_pool(mon, f->pool), 0,
		      "zs_pressure_remove_pool", 0);
	fm_expect_ret(zs_pressure_remove_pool(mon, f->pool), -ENOENT,
		      "zs_pressure_remove_pool twice", 0);
	zs_pressure_destroy(mon);
	fm_trace("  pressure: reclaim freed %lu, %lu -> %lu pages\n", freed,
		 before, zs_get_total_pages(f->pool));
	zsf_pool_check(f, "after pressure reclaim");
	f->verify_pending = true;
}

/* A death test in a forked child (fuzz/zsmalloc_fuzz/zs_fatal.c).  fork needs a
 * single-threaded process, which the interpreter is between ops. */
static void op_fatal(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t kind;
	uint16_t arg;
	const char *ran;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	ran = zs_fuzz_fatal(f->pool, &f->m, kind, arg);
	fm_trace("  fatal: %s\n", ran ? ran : "(not applicable)");
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void zs_begin(void *state, uint8_t cfg)
{
	struct zs_fuzz *f = state;

	if (!f->sink) {
		f->sink = fopen("/dev/null", "w");
		if (!f->sink)
			fm_fail("cannot open /dev/null");
	}
	fm_reset(&f->m);
	f->arena = NULL;
	f->own_id = -1;
	f->verify_pending = false;
	f->verify_turn = 0;
	/* The default arena outlives inputs: no failure may carry over. */
	zs_arena_inject_failures(zs_arena_default(), 0, 0);
	zs_inject_host_failures(0, 0);
	f->host_injecting = false;
	pool_open(f, cfg, 0);
}

static void zs_after_op(void *state, bool periodic)
{
	struct zs_fuzz *f = state;

	check_stats(f);
	if (f->verify_pending) {
		verify_all(f);
		f->verify_pending = false;
	}
	if (periodic)
		zsf_pool_check(f, "(periodic)");
}

static void zs_end(void *state)
{
	struct zs_fuzz *f = state;

	zs_pool_inject_failures(f->pool, 0, 0);
	zs_arena_inject_failures(zsf_arena_of(f), 0, 0);
	verify_all(f);
	zsf_pool_check(f, "at the end");
	pool_close(f, true);
	zs_arena_inject_failures(zs_arena_default(), 0, 0);
}

static void zs_describe(void *state, char *buf, size_t size)
{
	struct zs_fuzz *f = state;

	snprintf(buf, size, "live %u, %llu bytes, %lu pages", f->m.nlive,
		 (unsigned long long)f->m.bytes, zs_get_total_pages(f->pool));
}

static const struct fm_op zs_op_table[ZS_OP_SLOTS] = {
	[ZS_OP_ALLOC] = { "alloc", op_alloc },
	[ZS_OP_FREE] = { "free", op_free },
	[ZS_OP_WRITE_WO] = { "write_wo", op_write_wo },
	[ZS_OP_WRITE_RW] = { "write_rw", op_write_rw },
	[ZS_OP_WRITE_OBJ] = { "write_obj", op_write_obj },
	[ZS_OP_READ_RO] = { "read_ro", op_read_ro },
	[ZS_OP_READ_RW] = { "read_rw", op_read_rw },
	[ZS_OP_READ_BEGIN] = { "read_begin", op_read_begin },
	[ZS_OP_NESTED] = { "nested", op_nested },
	[ZS_OP_COMPACT] = { "compact", op_compact },
	[ZS_OP_SHRINK] = { "shrink", op_shrink },
	[ZS_OP_STATS] = { "stats", op_stats },
	[ZS_OP_CHECK] = { "check", op_check },
	[ZS_OP_MISUSE] = { "misuse", op_misuse },
	[ZS_OP_INJECT] = { "inject", op_inject },
	[ZS_OP_MAX_PAGES] = { "max_pages", op_max_pages },
	[ZS_OP_RECREATE] = { "recreate", op_recreate },
	[ZS_OP_ARENA_COMPACT] = { "arena_compact", op_arena_compact },
	[ZS_OP_FILL] = { "fill", op_fill },
	[ZS_OP_FREE_MANY] = { "free_many", op_free_many },
	[ZS_OP_VERIFY_ALL] = { "verify_all", op_verify_all },
	[ZS_OP_DRAIN] = { "drain", op_drain },
	[ZS_OP_RACE] = { "race", op_race },
	[ZS_OP_PRESSURE] = { "pressure", op_pressure },
	[ZS_OP_ARENA_PAGES] = { "arena_pages", zsf_op_arena_pages },
	[ZS_OP_CORRUPT] = { "corrupt", zsf_op_corrupt },
	[ZS_OP_HOST_FAULT] = { "host_fault", zsf_op_host_fault },
	[ZS_OP_PAGE_OPS] = { "page_ops", zsf_op_page_ops },
	[ZS_OP_FATAL] = { "fatal", op_fatal },
	[ZS_OP_FORGE] = { "forge", zsf_op_forge },
};

static const struct fm_target zs_target = {
	.name = "zsmalloc",
	.state = &F,
	.ops = zs_op_table,
	.nops = ZS_OP_SLOTS,
	.check_every = ZS_CHECK_EVERY,
	.begin = zs_begin,
	.after_op = zs_after_op,
	.end = zs_end,
	.describe = zs_describe,
};

const char *zs_fuzz_op_name(unsigned opcode)
{
	return fm_op_name(&zs_target, opcode);
}

int zs_fuzz_run(const uint8_t *data, size_t size)
{
	return fm_run(&zs_target, data, size);
}
