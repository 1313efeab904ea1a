/*
 * fuzz/zs_ops.c - the zsmalloc op-sequence interpreter and its op table.
 *
 * Each op is one small function reading its own arguments from the cursor
 * and checking every result against the API contract (zs/zsmalloc.h,
 * DESIGN-BRIEF section 1) and the shadow model (fuzz/fuzz_model.h).  After
 * every op the statistics are cross-checked against the model; every
 * ZS_CHECK_EVERY ops, and after every move (compaction, shrinking, arena
 * compaction, an allocation failure), zs_pool_check runs and all live
 * objects are read back.  At the end everything is freed and the pool must
 * hold no page.
 *
 * Between ops nothing is mapped or being read: every op releases what it
 * took, so the pool is quiescent whenever the model is compared with it.
 *
 * Two ops are white box (zs/zs_internal.h), because what they test cannot
 * be reached through the API: corrupt plants each inconsistency
 * zs_pool_check names and undoes it, and page_ops calls the pool's page
 * callbacks the way an arena with a stale view would.  host_fault makes
 * the library's own host allocations fail (zs/fault.h); that injection is
 * process-wide, so the op disarms it before it returns.  fatal runs the
 * death tests of fuzz/zs_fatal.c: corruptions zs must report and abort on,
 * in a forked child.
 *
 * Adding an op: write `static void op_x(struct zs_fuzz *f,
 * struct fuzz_cursor *c)`, give it a free opcode in zs_ops.h and a row in
 * zs_op_table below.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* usleep, with -std=c11 */
#endif

#include "fuzz/zs_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fuzz/fuzz_cursor.h"
#include "fuzz/fuzz_model.h"
#include "fuzz/zs_fatal.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/pressure.h"
#include "zs/report.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"
#include "zs/zsmalloc.h"

#define ZS_CHECK_EVERY 16
/* The per-object header the class table adds (class boundaries for users
 * sit this much below multiples of 16). */
#define ZS_FUZZ_OBJ_HEADER 4
#define HELD_MAX (ZS_MAX_THREAD_MAPS + ZS_MAX_THREAD_READS + 1)
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull

#define OWN_PAGES 64

struct page_owner {
	void *page[OWN_PAGES];
	uint32_t seed[OWN_PAGES];
	bool isolated[OWN_PAGES];
	unsigned refuse; /* bit 0: isolate refuses slots % 3 == 0,
			    bit 1: migrate refuses slots % 5 == 0 */
	unsigned long moved;
};

struct zs_fuzz {
	struct zs_pool *pool;
	struct zs_arena *arena; /* private arena, NULL = default arena */
	unsigned long cap; /* zs_pool_set_max_pages value, 0 = none */
	unsigned long cap_limit; /* pages may never exceed this (cap > 0) */
	bool pool_injecting; /* zs_pool_inject_failures armed */
	bool arena_injecting; /* zs_arena_inject_failures armed */
	bool host_injecting; /* zs_inject_host_failures armed (host_fault) */
	bool verify_pending; /* read every object back after this op */
	unsigned verify_turn; /* rotates verify_all's access path */
	FILE *sink; /* /dev/null, for the class-table printers */
	struct fuzz_model m;
	struct page_owner own; /* op_arena_pages: the harness's pages */
	struct zs_arena *own_arena; /* the arena they came from */
	int own_id; /* its owner id there, -1 = none */
	uint8_t buf[FM_MAX_OBJ]; /* write pattern scratch */
	uint8_t local[HELD_MAX][FM_MAX_OBJ]; /* read_begin local copies */
};

static struct zs_fuzz F;

/* ---- small helpers ---- */

static struct zs_arena *arena_of(struct zs_fuzz *f)
{
	return f->arena ? f->arena : zs_arena_default();
}

static bool enomem_ok(const struct zs_fuzz *f)
{
	return f->pool_injecting || f->arena_injecting || f->host_injecting ||
	       f->cap;
}

static void get_stats(struct zs_fuzz *f, struct zs_pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	zs_pool_stats(f->pool, st);
}

static void expect_ret(int got, int want, const char *call, uint64_t h)
{
	if (got != want)
		fm_fail("%s(handle %#" PRIx64 ") returned %d, expected %d",
			call, h, got, want);
}

/* A pointer-returning call that must fail with NULL and errno `want`. */
static void expect_null(const void *p, int err, int want, const char *call,
			uint64_t h)
{
	if (p || err != want)
		fm_fail("%s(handle %#" PRIx64 ") returned %p errno %d, "
			"expected NULL errno %d",
			call, h, p, err, want);
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
static void expect_pool_unchanged(struct zs_pool *pool,
				  const struct zs_pool_stats *b,
				  const char *what, bool metadata)
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

static void expect_unchanged(struct zs_fuzz *f, const struct zs_pool_stats *b,
			     const char *what, bool metadata)
{
	expect_pool_unchanged(f->pool, b, what, metadata);
}

/* Statistics against the model; cheap, so it runs after every op. */
static void check_stats(struct zs_fuzz *f)
{
	struct zs_pool_stats st;
	unsigned long pages = zs_get_total_pages(f->pool);
	uint64_t min_pages = (f->m.bytes + ZS_PAGE_SIZE - 1) / ZS_PAGE_SIZE;

	get_stats(f, &st);
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

static void pool_check(struct zs_fuzz *f, const char *when)
{
	int ret = zs_pool_check(f->pool);

	if (ret)
		fm_fail("zs_pool_check %s returned %d", when, ret);
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
		expect_ret(zs_obj_read_end(f->pool, h, p), 0, "zs_obj_read_end",
			   h);
		if (how == V_READ_UNINIT)
			free(local);
		break;
	case V_RO:
	case V_RW:
		mp = zs_map_object(f->pool, h,
				   how == V_RO ? ZS_MM_RO : ZS_MM_RW);
		fm_verify(o, mp, how == V_RO ? "map RO" : "map RW");
		expect_ret(zs_unmap_object(f->pool, h), 0, "zs_unmap_object",
			   h);
		break;
	}
}

/* The harness's own arena pages (op_arena_pages, below). */
static void own_verify_all(struct zs_fuzz *f, const char *when);
static void own_release(struct zs_fuzz *f);

static void verify_all(struct zs_fuzz *f)
{
	int how = (int)(f->verify_turn++ % V_METHODS);
	uint32_t i;

	for (i = 0; i < f->m.nlive; i++)
		verify_obj(f, &f->m.obj[i], how);
	own_verify_all(f, "(all pages checked)");
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
		expect_ret(zs_obj_write(f->pool, h, f->buf, len), 0,
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
		expect_ret(zs_unmap_object(f->pool, h), 0, "zs_unmap_object",
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
static struct fm_obj *do_alloc(struct zs_fuzz *f, size_t size, uint8_t fuzz)
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
	get_stats(f, &before);
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
			expect_unchanged(f, &before, "a failed zs_malloc",
					 false);
			pool_check(f, "after an allocation failure");
			f->verify_pending = true;
		} else {
			expect_unchanged(f, &before, "a rejected zs_malloc",
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

static void do_free(struct zs_fuzz *f, struct fm_obj *o)
{
	uint64_t h = o->handle;

	expect_ret(zs_free(f->pool, h), 0, "zs_free", h);
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
	pool_check(f, "on a new pool");
	fm_trace("  pool chain %u cap %lu arena %s\n", pc.chain_size, max_pages,
		 f->arena ? "private" : "default");
}

static void drain(struct zs_fuzz *f, bool backwards)
{
	struct zs_pool_stats st;

	while (f->m.nlive)
		do_free(f, &f->m.obj[backwards ? f->m.nlive - 1 : 0]);
	get_stats(f, &st);
	if (zs_get_total_pages(f->pool) || st.pages_used || st.zspages ||
	    st.objs_used || st.objs_allocated || st.bytes_stored)
		fm_fail("an empty pool holds %lu pages (stats: pages %lu "
			"zspages %lu objs %lu/%lu bytes %llu)",
			zs_get_total_pages(f->pool), st.pages_used, st.zspages,
			st.objs_used, st.objs_allocated,
			(unsigned long long)st.bytes_stored);
	pool_check(f, "on an emptied pool");
}

static void pool_close(struct zs_fuzz *f, bool free_first)
{
	struct zs_arena_stats as;
	int ret;

	own_release(f);
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

static void op_alloc(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	do_alloc(f, choose_size(f, kind, raw), fuzz);
}

static void op_free(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	do_free(f, o);
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

static void op_write_wo(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	op_write(f, c, W_WO);
}

static void op_write_rw(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	op_write(f, c, W_RW);
}

static void op_write_obj(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	op_write(f, c, W_OBJ);
}

static void op_read(struct zs_fuzz *f, struct fuzz_cursor *c, int how)
{
	struct fm_obj *o;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !(o = fm_pick(&f->m, sel)))
		return;
	verify_obj(f, o, how);
}

static void op_read_ro(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	op_read(f, c, V_RO);
}

static void op_read_rw(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	op_read(f, c, V_RW);
}

static void op_read_begin(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
static void op_nested(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
			expect_null(p, errno, EBUSY,
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
			expect_null(p, errno, EBUSY,
				    "zs_obj_read_begin over the read limit", h);
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
		expect_null(p, errno, EINVAL,
			    "zs_map_object of a stale handle at the map limit",
			    h);
	}
	if (h && nreads == ZS_MAX_THREAD_READS) {
		errno = 0;
		p = (void *)zs_obj_read_begin(f->pool, h, f->local[0]);
		expect_null(p, errno, EINVAL,
			    "zs_obj_read_begin of a stale handle at the limit",
			    h);
	}
	hd = &held[(flags >> 6) % nheld];
	if (flags & 1) {
		get_stats(f, &before);
		expect_ret(zs_free(f->pool, hd->o->handle), -EBUSY,
			   hd->kind == 3 ? "zs_free while read" :
					   "zs_free while mapped",
			   hd->o->handle);
		expect_unchanged(f, &before, "zs_free of a held object", true);
	}
	if (flags & 2) {
		zs_compact(f->pool);
		held_verify(held, nheld, "across zs_compact");
	}
	if (flags & 4)
		pool_check(f, "with objects held");
	if (flags & 8) {
		zs_shrinker_scan(f->pool, ~0UL);
		held_verify(held, nheld, "across zs_shrinker_scan");
	}
	if (flags & 16) {
		zs_arena_compact(arena_of(f));
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
			expect_ret(zs_obj_read_end(f->pool, h, hd->p), 0,
				   "nested zs_obj_read_end", h);
		} else {
			expect_ret(zs_unmap_object(f->pool, h), 0,
				   "nested zs_unmap_object", h);
			*hd->o = hd->view;
		}
	}
	if (flags & 32) {
		h = held[nheld - 1].o->handle;
		if (held[nheld - 1].kind == 3)
			expect_ret(zs_obj_read_end(f->pool, h,
						   held[nheld - 1].p),
				   -EINVAL, "zs_obj_read_end twice", h);
		else
			expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
				   "zs_unmap_object twice", h);
	}
	for (i = 0; i < nheld; i++)
		verify_obj(f, held[i].o, (int)(i % V_METHODS));
	if (flags & 26)
		f->verify_pending = true;
}

static void op_compact(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct zs_pool_stats before, after;
	unsigned long count, ret, pages, left;

	(void)c;
	get_stats(f, &before);
	count = zs_shrinker_count(f->pool);
	ret = zs_compact(f->pool);
	get_stats(f, &after);
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
	pool_check(f, "after zs_compact");
	f->verify_pending = true;
}

static void op_shrink(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct zs_pool_stats before, after;
	unsigned long count, ret, pages;
	uint16_t nr;

	if (!fc_u16(c, &nr))
		return;
	get_stats(f, &before);
	count = zs_shrinker_count(f->pool);
	if (count > before.pages_used)
		fm_fail("zs_shrinker_count %lu > pages held %lu", count,
			before.pages_used);
	ret = zs_shrinker_scan(f->pool, nr);
	get_stats(f, &after);
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
	pool_check(f, "after zs_shrinker_scan");
	f->verify_pending = true;
}

static void op_stats(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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

static void op_check(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	(void)c;
	pool_check(f, "(op)");
}

/* Every call on a handle that is not live must fail as documented and
 * leave the pool as it was. */
static void check_bad_handle(struct zs_fuzz *f, uint64_t h, const char *what)
{
	static const enum zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO };
	struct zs_pool_stats before;
	const void *p;
	unsigned i;

	fm_trace("  bad handle (%s) %#" PRIx64 "\n", what, h);
	get_stats(f, &before);
	expect_ret(zs_free(f->pool, h), -EINVAL, "zs_free of a bad handle", h);
	for (i = 0; i < 3; i++) {
		errno = 0;
		p = zs_map_object(f->pool, h, modes[i]);
		expect_null(p, errno, EINVAL, "zs_map_object of a bad handle",
			    h);
	}
	expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
		   "zs_unmap_object of a bad handle", h);
	errno = 0;
	p = zs_obj_read_begin(f->pool, h, f->local[0]);
	expect_null(p, errno, EINVAL, "zs_obj_read_begin of a bad handle", h);
	expect_ret(zs_obj_read_end(f->pool, h, f->local[0]), -EINVAL,
		   "zs_obj_read_end of a bad handle", h);
	expect_ret(zs_obj_write(f->pool, h, f->buf, 1), -EINVAL,
		   "zs_obj_write of a bad handle", h);
	if (zs_obj_size(f->pool, h))
		fm_fail("zs_obj_size of bad handle %#" PRIx64 " (%s) is %zu", h,
			what, zs_obj_size(f->pool, h));
	expect_unchanged(f, &before, what, true);
}

static uint64_t forge(struct zs_fuzz *f, uint16_t arg)
{
	struct fm_obj *o = fm_pick(&f->m, arg >> 8);
	uint64_t base = o ? o->handle : 0x0123456789abcdefull;
	unsigned v = (arg >> 2) & 63;

	switch (arg & 3) {
	case 0:
		return base ^ (1ull << v);
	case 1:
		return base + v + 1;
	case 2:
		return base - v - 1;
	default:
		return (arg + 1) * 0x9e3779b97f4a7c15ull;
	}
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
			check_bad_handle(f, oh, "another pool's handle");
		if (zs_obj_size(other, oh) != size)
			fm_fail("second pool: zs_obj_size %zu, allocated %zu",
				zs_obj_size(other, oh), size);
		expect_ret(zs_free(other, oh), 0, "zs_free in a second pool",
			   oh);
	}
	/* And the other way: the empty pool knows none of ours. */
	if ((o = fm_pick(&f->m, arg))) {
		expect_ret(zs_free(other, o->handle), -EINVAL,
			   "zs_free of a handle of another pool", o->handle);
		errno = 0;
		p = zs_map_object(other, o->handle, ZS_MM_RO);
		expect_null(p, errno, EINVAL,
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

	get_stats(f, &before);
	if (arg & 4) {
		r = zs_obj_read_begin(f->pool, h, f->local[0]);
		fm_verify(o, r, "zs_obj_read_begin");
		expect_ret(zs_free(f->pool, h), -EBUSY, "zs_free while read",
			   h);
		expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
			   "zs_unmap_object of a handle being read", h);
		expect_ret(zs_obj_read_end(f->pool, h, r), 0, "zs_obj_read_end",
			   h);
		expect_ret(zs_obj_read_end(f->pool, h, r), -EINVAL,
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
		expect_ret(zs_free(f->pool, h), -EBUSY, "zs_free while mapped",
			   h);
		errno = 0;
		r = zs_map_object(f->pool, h, modes[(arg >> 3) % 3]);
		expect_null(r, errno, EBUSY, "zs_map_object of a mapped handle",
			    h);
		expect_ret(zs_obj_read_end(f->pool, h, p), -EINVAL,
			   "zs_obj_read_end of a mapped handle", h);
		if (zs_obj_size(f->pool, h) != o->size)
			fm_fail("zs_obj_size of a mapped object changed");
		expect_ret(zs_unmap_object(f->pool, h), 0, "zs_unmap_object",
			   h);
		expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
			   "zs_unmap_object twice", h);
	}
	expect_unchanged(f, &before, "misuse of a held object", true);
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

	get_stats(f, &before);
	expect_ret(zs_malloc(NULL, 16, &out), -EINVAL, "zs_malloc(NULL pool)",
		   out);
	expect_ret(zs_malloc(f->pool, 16, NULL), -EINVAL,
		   "zs_malloc(NULL handle pointer)", 0);
	if (out != SENTINEL_HANDLE)
		fm_fail("zs_malloc(NULL pool) stored a handle");
	expect_ret(zs_free(NULL, h), -EINVAL, "zs_free(NULL pool)", h);
	errno = 0;
	p = zs_map_object(NULL, h, ZS_MM_RO);
	expect_null(p, errno, EINVAL, "zs_map_object(NULL pool)", h);
	errno = 0;
	p = zs_map_object(f->pool, h, (enum zs_mapmode)7);
	expect_null(p, errno, EINVAL, "zs_map_object(bad mode)", h);
	expect_ret(zs_unmap_object(NULL, h), -EINVAL, "zs_unmap_object(NULL)",
		   h);
	errno = 0;
	r = zs_obj_read_begin(NULL, h, f->local[0]);
	expect_null(r, errno, EINVAL, "zs_obj_read_begin(NULL pool)", h);
	expect_ret(zs_obj_read_end(NULL, h, f->local[0]), -EINVAL,
		   "zs_obj_read_end(NULL pool)", h);
	expect_ret(zs_obj_write(NULL, h, f->buf, 1), -EINVAL,
		   "zs_obj_write(NULL pool)", h);
	if (zs_obj_size(NULL, h))
		fm_fail("zs_obj_size(NULL pool) is not 0");
	if (zs_compact(NULL) || zs_shrinker_count(NULL) ||
	    zs_shrinker_scan(NULL, 1) || zs_shrinker_scan(f->pool, 0) ||
	    zs_get_total_pages(NULL) || zs_pool_name(NULL))
		fm_fail("a query of a NULL pool (or a scan of 0) is not 0");
	expect_ret(zs_pool_check(NULL), -EINVAL, "zs_pool_check(NULL)", 0);
	zs_pool_print_classes(NULL, f->sink);
	zs_pool_print_classes_json(NULL, f->sink);
	memset(&st, 0xff, sizeof(st));
	zs_pool_stats(NULL, &st);
	if (memcmp(&st, &zero, sizeof(st)))
		fm_fail("zs_pool_stats(NULL) did not zero the statistics");
	zs_pool_set_max_pages(NULL, 1);
	zs_pool_inject_failures(NULL, 0, 1);
	expect_ret(zs_arena_destroy(NULL), 0, "zs_arena_destroy(NULL)", 0);
	expect_ret(zs_arena_destroy(zs_arena_default()), -EBUSY,
		   "zs_arena_destroy(the default arena)", 0);
	if (o) {
		expect_ret(zs_obj_write(f->pool, h, NULL, 1), -EINVAL,
			   "zs_obj_write(NULL source)", h);
		/* Without a local copy a straddling object cannot be read;
		 * a contiguous one may be returned in place. */
		errno = 0;
		r = zs_obj_read_begin(f->pool, h, NULL);
		if (r) {
			fm_verify(o, r, "zs_obj_read_begin without local copy");
			expect_ret(zs_obj_read_end(f->pool, h, r), 0,
				   "zs_obj_read_end", h);
		} else if (errno != EINVAL) {
			fm_fail("zs_obj_read_begin(local_copy NULL) failed "
				"with errno %d, expected EINVAL",
				errno);
		}
	}
	expect_unchanged(f, &before, "calls with bad arguments", true);
}

static void op_misuse(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct zs_arena_stats as, as2;
	struct zs_pool_config pc;
	struct zs_pool_stats before;
	struct zs_pool *bad;
	struct fm_obj *o;
	uint64_t h;
	uint16_t arg;
	uint8_t kind;
	int ret;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	switch (kind % 10) {
	case 0:
		check_bad_handle(f, 0, "handle 0");
		break;
	case 1:
		h = forge(f, arg);
		if (!fm_find(&f->m, h))
			check_bad_handle(f, h, "a forged handle");
		break;
	case 2:
		h = fm_pick_stale(&f->m, arg);
		if (h)
			check_bad_handle(f, h, "a stale handle");
		break;
	case 3: /* double free of a fresh object */
		o = do_alloc(f, 1 + arg % 64, (uint8_t)arg);
		if (!o)
			break;
		h = o->handle;
		do_free(f, o);
		check_bad_handle(f, h, "a double-freed handle");
		break;
	case 4: /* releasing what was never taken */
		if (!(o = fm_pick(&f->m, arg)))
			break;
		get_stats(f, &before);
		expect_ret(zs_unmap_object(f->pool, o->handle), -EINVAL,
			   "zs_unmap_object without a map", o->handle);
		expect_ret(zs_obj_read_end(f->pool, o->handle, NULL), -EINVAL,
			   "zs_obj_read_end without a read", o->handle);
		expect_unchanged(f, &before, "release without a hold", true);
		verify_obj(f, o, V_RO);
		break;
	case 5:
		if ((o = fm_pick(&f->m, arg >> 5)))
			misuse_held(f, o, arg);
		break;
	case 6: /* sizes out of range */
		do_alloc(f, 0, 0);
		do_alloc(f, zs_max_alloc_size() + 1 + arg, 0);
		do_alloc(f, SIZE_MAX - arg, 0);
		if (!(o = fm_pick(&f->m, arg)))
			break;
		get_stats(f, &before);
		expect_ret(zs_obj_write(f->pool, o->handle, f->buf,
					o->size + 1 + arg % 16),
			   -EINVAL, "zs_obj_write past the object's end",
			   o->handle);
		expect_unchanged(f, &before, "an oversized zs_obj_write", true);
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
		expect_null(bad, errno, EINVAL,
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
		zs_arena_stats(arena_of(f), &as);
		zs_arena_unregister_owner(arena_of(f), -1);
		zs_arena_unregister_owner(arena_of(f), 1 << 20);
		zs_arena_set_page_owner(arena_of(f), f->buf, 1, 2, 1);
		zs_arena_stats(arena_of(f), &as2);
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

static void op_inject(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t target, after, count;

	if (!fc_u8(c, &target) || !fc_u8(c, &after) || !fc_u8(c, &count))
		return;
	count %= 8;
	if (target & 1) {
		zs_arena_inject_failures(arena_of(f), after, count);
		f->arena_injecting = count != 0;
	} else {
		zs_pool_inject_failures(f->pool, after, count);
		f->pool_injecting = count != 0;
	}
}

static void op_max_pages(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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

static void op_recreate(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
		expect_null(bad, errno, EINVAL, "zs_create_pool_config",
			    pc.chain_size);
		return;
	}
	pool_close(f, flags & 1);
	pool_open(f, cfg, flags & 2 ? 1 + (flags >> 2) * 8UL : 0);
}

static void op_arena_compact(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct zs_arena *a = arena_of(f);
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
	pool_check(f, "after zs_arena_compact");
	f->verify_pending = true;
}

static void op_fill(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
		if (!do_alloc(f, size, (uint8_t)(fuzz + i)))
			break;
}

static void op_free_many(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
			do_free(f, &f->m.obj[i]);
	}
}

static void op_verify_all(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t how;
	uint32_t i;

	if (!fc_u8(c, &how))
		return;
	for (i = 0; i < f->m.nlive; i++)
		verify_obj(f, &f->m.obj[i], how % V_METHODS);
}

static void op_drain(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
static void op_race(struct zs_fuzz *f, struct fuzz_cursor *c)
{
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
	r.arena = arena_of(f);
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
				do_alloc(f, 1 + sel[i] % zs_max_alloc_size(),
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
			do_free(f, o);
			if (!enomem_ok(f))
				do_alloc(f, size, act[i]);
			break;
		}
	}
	atomic_store(&r.stop, true);
	if (pthread_join(t, NULL))
		fm_fail("pthread_join failed");
	fm_trace("  race: %u accesses, %lu mover rounds (kind %u)\n", n,
		 r.rounds, mover % 3);
	pool_check(f, "after a race with a mover");
	f->verify_pending = true;
}

/*
 * A pressure monitor (with no PSI, or a stand-in whose answers do not
 * depend on the machine) on the pool and its arena: a synchronous reclaim, maybe a soft limit and a
 * notification the monitor's thread acts on while this one goes on, then
 * removal and destruction.  Whatever it moved must read back unchanged.
 */
static void op_pressure(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	static const char *const psi_paths[4] = {
		"", "/nonexistent/zs-fuzz/pressure", "/dev/null", "/dev/full"
	};
	static const int psi_errors[4] = { 0, ENOENT, 0, ENOSPC };
	struct zs_pressure_config cfg;
	struct zs_pressure_stats st;
	struct zs_pressure *mon;
	unsigned long before = zs_get_total_pages(f->pool), freed, limit;
	struct zs_arena *a = arena_of(f);
	unsigned psi;
	uint16_t arg;
	uint8_t flags;

	if (!fc_u8(c, &flags) || !fc_u16(c, &arg))
		return;
	memset(&cfg, 0, sizeof(cfg));
	cfg.poll_ms = 1 + arg % 8;
	/* PSI files that behave the same on every machine: none; one that
	 * cannot exist (ENOENT); /dev/null, which takes the trigger and never
	 * fires, so the monitor polls it armed; /dev/full, which refuses the
	 * trigger's write (ENOSPC).  Without PSI the monitor must run and say
	 * why. */
	psi = (flags & 16 ? 1 : 0) | (flags & 128 ? 2 : 0);
	cfg.psi_path = psi_paths[psi];
	mon = zs_pressure_create(&cfg);
	if (!mon)
		fm_fail("zs_pressure_create failed, errno %d", errno);
	memset(&st, 0, sizeof(st));
	zs_pressure_get_stats(mon, &st);
	if (st.psi_active != (psi == 2) || st.psi_error != psi_errors[psi])
		fm_fail("pressure monitor with psi_path \"%s\": psi_active %d "
			"psi_error %d, expected %d and %d",
			cfg.psi_path, st.psi_active, st.psi_error, psi == 2,
			psi_errors[psi]);
	limit = flags & 1 ? before / 2 : 0;
	expect_ret(zs_pressure_add_pool(mon, f->pool, limit), 0,
		   "zs_pressure_add_pool", limit);
	expect_ret(zs_pressure_add_pool(mon, f->pool, limit), -EEXIST,
		   "zs_pressure_add_pool twice", limit);
	if (flags & 2) {
		expect_ret(zs_pressure_add_arena(mon, a), 0,
			   "zs_pressure_add_arena", 0);
		expect_ret(zs_pressure_add_arena(mon, a), -EEXIST,
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
		expect_ret(zs_pressure_add_pool(NULL, f->pool, 0), -EINVAL,
			   "zs_pressure_add_pool(NULL monitor)", 0);
		expect_ret(zs_pressure_add_pool(mon, NULL, 0), -EINVAL,
			   "zs_pressure_add_pool(NULL pool)", 0);
		expect_ret(zs_pressure_add_arena(mon, NULL), -EINVAL,
			   "zs_pressure_add_arena(NULL)", 0);
		expect_ret(zs_pressure_remove_pool(NULL, f->pool), -EINVAL,
			   "zs_pressure_remove_pool(NULL monitor)", 0);
		expect_ret(zs_pressure_remove_arena(NULL, a), -EINVAL,
			   "zs_pressure_remove_arena(NULL monitor)", 0);
		if (!(flags & 2))
			expect_ret(zs_pressure_remove_arena(mon, a), -ENOENT,
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
		expect_ret(zs_pressure_remove_arena(mon, a), 0,
			   "zs_pressure_remove_arena", 0);
	expect_ret(zs_pressure_remove_pool(mon, f->pool), 0,
		   "zs_pressure_remove_pool", 0);
	expect_ret(zs_pressure_remove_pool(mon, f->pool), -ENOENT,
		   "zs_pressure_remove_pool twice", 0);
	zs_pressure_destroy(mon);
	fm_trace("  pressure: reclaim freed %lu, %lu -> %lu pages\n", freed,
		 before, zs_get_total_pages(f->pool));
	pool_check(f, "after pressure reclaim");
	f->verify_pending = true;
}

/*
 * The harness as a page owner of its own, beside the pool, on the pool's
 * arena: pages straight from the page-owner interface, filled with a
 * pattern, moved by arena compaction through the callbacks below.  The
 * callbacks check they are asked about pages the owner holds, where it
 * holds them, and may refuse (isolate or migrate -EAGAIN) to drive the
 * arena's failure paths.  Page slot = cookie + index.
 */
static struct page_owner *own_slot(void *owner, void *page, uint32_t cookie,
				   uint32_t index, const char *cb, unsigned *s)
{
	struct page_owner *po = owner;

	*s = cookie + index;
	if (*s >= OWN_PAGES || po->page[*s] != page)
		fm_fail("arena %s callback for page %p (cookie %u index %u), "
			"which the owner does not hold there",
			cb, page, cookie, index);
	return po;
}

static int own_isolate(void *owner, void *page, uint32_t cookie, uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, page, cookie, index, "isolate", &s);

	if (po->isolated[s])
		fm_fail("arena isolated page slot %u twice", s);
	if ((po->refuse & 1) && s % 3 == 0)
		return -EAGAIN;
	po->isolated[s] = true;
	return 0;
}

static int own_migrate(void *owner, void *old_page, void *new_page,
		       uint32_t cookie, uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, old_page, cookie, index, "migrate", &s);

	if (!po->isolated[s])
		fm_fail("arena migrated page slot %u without isolating it", s);
	if ((po->refuse & 2) && s % 5 == 0)
		return -EAGAIN;
	memcpy(new_page, old_page, ZS_PAGE_SIZE);
	po->page[s] = new_page;
	po->isolated[s] = false;
	po->moved++;
	return 0;
}

static void own_putback(void *owner, void *page, uint32_t cookie,
			uint32_t index)
{
	unsigned s;
	struct page_owner *po =
		own_slot(owner, page, cookie, index, "putback", &s);

	if (!po->isolated[s])
		fm_fail("arena put back page slot %u it never isolated", s);
	po->isolated[s] = false;
}

static const struct zs_movable_ops own_ops = {
	.isolate = own_isolate,
	.migrate = own_migrate,
	.putback = own_putback,
};

static void own_verify(struct page_owner *po, unsigned s, const char *when)
{
	static uint8_t want[ZS_PAGE_SIZE];
	unsigned i;

	fm_pattern(want, po->seed[s], 0, ZS_PAGE_SIZE);
	if (!memcmp(want, po->page[s], ZS_PAGE_SIZE))
		return;
	for (i = 0; want[i] == ((uint8_t *)po->page[s])[i]; i++)
		;
	fm_fail("owner page slot %u %s: byte %u is %#04x, expected %#04x", s,
		when, i, ((uint8_t *)po->page[s])[i], want[i]);
}

static void own_verify_all(struct zs_fuzz *f, const char *when)
{
	unsigned i;

	for (i = 0; i < OWN_PAGES; i++)
		if (f->own.page[i]) {
			if (f->own.isolated[i])
				fm_fail("owner page slot %u left isolated %s",
					i, when);
			own_verify(&f->own, i, when);
		}
}

/* Returns every owner page, in groups, through both free calls. */
static void own_release(struct zs_fuzz *f)
{
	struct page_owner *po = &f->own;
	unsigned i, k;

	if (f->own_id < 0)
		return;
	for (i = 0; i < OWN_PAGES; i = k) {
		for (k = i; k < OWN_PAGES && po->page[k] && k - i < 4; k++)
			;
		if (k == i) {
			k = i + 1;
			continue;
		}
		if (k - i == 1)
			zs_arena_free_page(f->own_arena, po->page[i]);
		else
			zs_arena_free_pages(f->own_arena, &po->page[i], k - i);
		while (i < k)
			po->page[i++] = NULL;
	}
	zs_arena_unregister_owner(f->own_arena, f->own_id);
	f->own_id = -1;
	f->own_arena = NULL;
}

/*
 * Owner pages live across ops, beside the pool's, until released (flag 32,
 * or when the pool goes): allocated in groups of 1..8 (single pages or
 * zs_arena_alloc_pages), movable or not, some freed again, the arena
 * compacted and trimmed; each page keeps its pattern wherever it moves.
 */
static void op_arena_pages(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct page_owner *po = &f->own;
	struct zs_arena_stats before, st;
	unsigned i, k, n, want, groups = 0, held = 0;
	uint8_t nb, flags;
	uint16_t arg;
	int ret;

	if (!fc_u8(c, &nb) || !fc_u8(c, &flags) || !fc_u16(c, &arg))
		return;
	if (f->own_id < 0) {
		memset(po, 0, sizeof(*po));
		f->own_arena = arena_of(f);
		f->own_id = zs_arena_register_owner(f->own_arena, po, &own_ops);
		if (f->own_id < 0)
			fm_fail("zs_arena_register_owner: %d", f->own_id);
	}
	po->refuse = flags >> 6;
	memset(&before, 0, sizeof(before));
	zs_arena_stats(f->own_arena, &before);
	/* Up to n more pages, in groups placed in runs of free slots. */
	want = 1 + nb % OWN_PAGES;
	for (i = 0; i < OWN_PAGES && want; i += k ? k : 1) {
		k = 1 + (arg >> (groups++ % 13)) % 8;
		if (k > want)
			k = want;
		for (n = 0; n < k && i + n < OWN_PAGES && !po->page[i + n]; n++)
			;
		if ((k = n) == 0)
			continue;
		if (k == 1 && (flags & 1)) {
			errno = 0;
			po->page[i] =
				zs_arena_alloc_page(f->own_arena, f->own_id);
			ret = po->page[i] ? 0 : -errno;
			if (!ret)
				zs_arena_set_page_owner(f->own_arena,
							po->page[i], i, 0,
							!(flags & 2));
		} else {
			ret = zs_arena_alloc_pages(f->own_arena, f->own_id, k,
						   &po->page[i], i,
						   !(flags & 2));
		}
		if (ret) {
			/* Nothing of the group was taken. */
			if (ret != -ENOMEM || !f->arena_injecting)
				fm_fail("arena allocation of %u pages: %d", k,
					ret);
			memset(&po->page[i], 0, k * sizeof(po->page[0]));
			break;
		}
		for (n = i; n < i + k; n++) {
			po->seed[n] = fm_new_seed(&f->m, (uint8_t)n);
			fm_pattern(po->page[n], po->seed[n], 0, ZS_PAGE_SIZE);
			held++;
		}
		want -= k;
	}
	memset(&st, 0, sizeof(st));
	zs_arena_stats(f->own_arena, &st);
	if (st.pages_in_use - before.pages_in_use != held)
		fm_fail("arena pages_in_use grew by %lu for %u owner pages",
			st.pages_in_use - before.pages_in_use, held);
	/* Holes, so compaction has something to do. */
	if (flags & 4)
		for (i = arg % 3; i < OWN_PAGES; i += 2 + arg % 3)
			if (po->page[i]) {
				zs_arena_free_page(f->own_arena, po->page[i]);
				po->page[i] = NULL;
			}
	if (flags & 8)
		zs_arena_compact(f->own_arena);
	if (flags & 16)
		zs_arena_trim(f->own_arena);
	own_verify_all(f, flags & 8 ? "after arena compaction" : "at rest");
	fm_trace("  arena pages: %u new, %lu moved so far, refuse %u\n", held,
		 po->moved, po->refuse);
	if (flags & 32)
		own_release(f);
	pool_check(f, "after arena page work");
	if (flags & 8)
		f->verify_pending = true;
}

/* ---- white box: corruption zs_pool_check must name ---- */

/*
 * The corrupt op writes into the pool's own structures (zs/zs_internal.h),
 * so every write is logged and undone in reverse order: the pool must come
 * out bit for bit as it went in.  Atomics are written as atomics (the
 * checker reads them so); object headers with the uninstrumented store,
 * as the library does.
 */
enum poke_kind { POKE_PLAIN, POKE_A32, POKE_A64, POKE_AUL, POKE_HDR };

#define POKES_MAX 12

struct pokes {
	unsigned n;
	struct {
		void *p;
		enum poke_kind kind;
		size_t len;
		uint64_t old;
		unsigned char plain[8];
	} e[POKES_MAX];
};

static void poke(struct pokes *u, void *p, enum poke_kind kind, size_t len,
		 uint64_t v, const void *plain)
{
	if (u->n == POKES_MAX)
		fm_fail("corrupt: more than %d writes to undo", POKES_MAX);
	u->e[u->n].p = p;
	u->e[u->n].kind = kind;
	u->e[u->n].len = len;
	switch (kind) {
	case POKE_PLAIN:
		memcpy(u->e[u->n].plain, p, len);
		memcpy(p, plain, len);
		break;
	case POKE_A32:
		u->e[u->n].old =
			atomic_exchange((_Atomic uint32_t *)p, (uint32_t)v);
		break;
	case POKE_A64:
		u->e[u->n].old = atomic_exchange((_Atomic uint64_t *)p, v);
		break;
	case POKE_AUL:
		u->e[u->n].old = atomic_exchange((_Atomic unsigned long *)p,
						 (unsigned long)v);
		break;
	case POKE_HDR:
		u->e[u->n].old = zs_raw_load32(p);
		zs_raw_store32(p, (uint32_t)v);
		break;
	}
	u->n++;
}

static void unpoke(struct pokes *u)
{
	while (u->n) {
		u->n--;
		switch (u->e[u->n].kind) {
		case POKE_PLAIN:
			memcpy(u->e[u->n].p, u->e[u->n].plain, u->e[u->n].len);
			break;
		case POKE_A32:
			atomic_store((_Atomic uint32_t *)u->e[u->n].p,
				     (uint32_t)u->e[u->n].old);
			break;
		case POKE_A64:
			atomic_store((_Atomic uint64_t *)u->e[u->n].p,
				     u->e[u->n].old);
			break;
		case POKE_AUL:
			atomic_store((_Atomic unsigned long *)u->e[u->n].p,
				     (unsigned long)u->e[u->n].old);
			break;
		case POKE_HDR:
			zs_raw_store32(u->e[u->n].p, (uint32_t)u->e[u->n].old);
			break;
		}
	}
}

static void poke_u32(struct pokes *u, uint32_t *p, uint32_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_u8(struct pokes *u, uint8_t *p, uint8_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_bool(struct pokes *u, bool *p, bool v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_ul(struct pokes *u, unsigned long *p, unsigned long v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_u64(struct pokes *u, uint64_t *p, uint64_t v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

static void poke_zsp(struct pokes *u, struct zspage **p, struct zspage *v)
{
	poke(u, p, POKE_PLAIN, sizeof(v), 0, &v);
}

/* The header word of slot `obj`: slots start 16-byte aligned, so it never
 * straddles a page. */
static void *obj_header_at(const struct size_class *c, const struct zspage *zsp,
			   uint32_t obj)
{
	size_t off = (size_t)obj * c->size;

	return atomic_load(&zsp->pages[off >> ZS_PAGE_SHIFT]) +
	       (off & (ZS_PAGE_SIZE - 1));
}

/* What a corruption is planted in: a zspage of some class, its list, and
 * one allocated object of it. */
struct corrupt_target {
	struct size_class *c;
	struct zspage *zsp;
	unsigned g; /* fullness group whose list holds zsp */
	uint32_t obj; /* an allocated object (0 for the huge class) */
	uint32_t idx; /* its handle slot */
	struct zs_hslot *slot;
};

enum { T_ANY, T_SMALL, T_HUGE, T_SMALL_FREELIST };

static bool target_fits(const struct size_class *c, const struct zspage *zsp,
			int want)
{
	switch (want) {
	case T_SMALL:
		return !c->huge;
	case T_HUGE:
		return c->huge;
	case T_SMALL_FREELIST:
		return !c->huge && zsp->free_head != ZS_NO_OBJ;
	default:
		return true;
	}
}

/* Picks a zspage (and an object in it) by sel among those that fit `want`,
 * and returns with its class locked; false (nothing locked) when there is
 * none. */
static bool pick_target(struct zs_pool *pool, uint16_t sel, int want,
			struct corrupt_target *t)
{
	unsigned i, g, n, k, nr = pool->nr_classes;

	for (i = 0; i < nr; i++) {
		struct size_class *c = &pool->classes[(sel + i) % nr];
		struct zspage *zsp;

		zs_lock(&c->lock);
		for (n = 0, g = 0; g < ZS_NR_FULLNESS; g++)
			for (zsp = c->groups[g]; zsp; zsp = zsp->next)
				n += target_fits(c, zsp, want);
		if (!n) {
			zs_unlock(&c->lock);
			continue;
		}
		k = (sel >> 4) % n;
		for (g = 0; g < ZS_NR_FULLNESS; g++)
			for (zsp = c->groups[g]; zsp; zsp = zsp->next)
				if (target_fits(c, zsp, want) && k-- == 0)
					goto found;
		fm_fail("corrupt: class %u lost a zspage while locked",
			c->size);
found:
		t->c = c;
		t->zsp = zsp;
		t->g = g;
		if (c->huge) {
			t->obj = 0;
			t->idx = zsp->huge_slot;
		} else {
			uint32_t obj, live = 0, hdr;

			for (obj = 0; obj < zsp->fresh; obj++)
				live += zs_obj_header(c, zsp, obj) &
					ZS_OBJ_ALLOCATED;
			if (!live)
				fm_fail("corrupt: listed zspage %u holds no "
					"object",
					zsp->id);
			k = (sel >> 9) % live;
			for (obj = 0;; obj++) {
				hdr = zs_obj_header(c, zsp, obj);
				if ((hdr & ZS_OBJ_ALLOCATED) && k-- == 0)
					break;
			}
			t->obj = obj;
			t->idx = hdr >> 1;
		}
		t->slot = zs_slot_at(pool, t->idx);
		if (!t->slot)
			fm_fail("corrupt: object %u of zspage %u names slot %u "
				"beyond the table",
				t->obj, zsp->id, t->idx);
		return true;
	}
	return false;
}

/* Reports caught while the checker runs on a corrupted pool. */
struct report_capture {
	unsigned n;
	char msg[600];
};

static void capture_report(const char *message, void *arg)
{
	struct report_capture *cap = arg;

	if (cap->n++ == 0)
		snprintf(cap->msg, sizeof(cap->msg), "%s", message);
}

static int check_captured(struct zs_fuzz *f, struct report_capture *cap)
{
	zs_report_hook *old;
	void *old_arg;
	int ret;

	cap->n = 0;
	cap->msg[0] = 0;
	old = zs_set_report_hook(capture_report, cap, &old_arg);
	ret = zs_pool_check(f->pool);
	zs_set_report_hook(old, old_arg, NULL);
	return ret;
}

static void __attribute__((format(printf, 3, 4)))
want_report(char *buf, const struct zs_fuzz *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(buf, 600,
		     "zs: zs_pool_check(%s): ", zs_pool_name(f->pool));
	va_start(ap, fmt);
	vsnprintf(buf + n, 600 - (size_t)n, fmt, ap);
	va_end(ap);
}

/* One kind per FAIL of zs/check.c, in the checker's order. */
enum corrupt_kind {
	CK_NOT_LIVE,
	CK_CLASS_INDEX,
	CK_FULLNESS,
	CK_EMPTY_KEPT,
	CK_FRESH,
	CK_SLOT_BEYOND,
	CK_SLOT_FREE,
	CK_LOC,
	CK_SIZE_CLASS,
	CK_MOVING,
	CK_FREE_BROKEN,
	CK_FREE_ALLOCATED,
	CK_COUNTS,
	CK_BACK_LINK,
	CK_LIST_LONG,
	CK_GROUP_COUNT,
	CK_ISOLATED_LIST,
	CK_ISOLATED_INNER,
	CK_LIVE,
	CK_ALLOCATED,
	CK_BYTES,
	CK_SLOTS_LIVE,
	CK_ZSPAGES,
	CK_PAGES,
	CK_KINDS
};

static const char *const corrupt_names[CK_KINDS] = {
	"zspage not live",   "class index",	 "fullness group",
	"empty zspage kept", "fresh mark",	 "slot beyond table",
	"free handle slot",  "slot location",	 "size in other class",
	"moving at rest",    "free list broken", "free list allocated",
	"zspage counts",     "back link",	 "list too long",
	"group count",	     "isolated list",	 "inside isolated",
	"class live count",  "class allocated",	 "class bytes",
	"live slots",	     "pool zspages",	 "pool pages",
};

/* Plants corruption `kind` (pokes logged in u) and writes the report the
 * checker must give into want; false when the pool's state has no place
 * for it.  Class pokes are made under the class lock, as the pool's own
 * writers do. */
static bool corrupt_plant(struct zs_fuzz *f, unsigned kind, uint16_t sel,
			  struct pokes *u, char *want)
{
	struct zs_pool *pool = f->pool;
	struct size_class *c = &pool->classes[sel % pool->nr_classes];
	struct report_capture cap;
	struct corrupt_target t;
	struct zspage *zsp;
	unsigned long longest = 0, n;
	unsigned g, i, first_g = 0;
	uint32_t v, idx, nslots;
	uint64_t m;
	size_t size;
	int ret;

	switch (kind) {
	case CK_NOT_LIVE:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.zsp->state, POKE_A32, 4, ZSPAGE_FREE, NULL);
		want_report(want, f, "zspage %u in class %u lists is not live",
			    t.zsp->id, t.c->size);
		break;
	case CK_CLASS_INDEX:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		v = (t.c->index + 1 + (sel >> 12)) % pool->nr_classes;
		if (v == t.c->index)
			v = (v + 1) % pool->nr_classes;
		poke(u, &t.zsp->class_idx, POKE_A32, 4, v, NULL);
		want_report(want, f,
			    "zspage %u in class %u lists says class index %u",
			    t.zsp->id, t.c->size, v);
		break;
	case CK_FULLNESS:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		poke_u8(u, &t.zsp->fullness,
			(uint8_t)(t.g == ZS_FULLNESS_FULL ? t.g - 1 : t.g + 1));
		want_report(want, f,
			    "zspage %u (class %u, %u in use) is in fullness "
			    "group %u",
			    t.zsp->id, t.c->size, t.zsp->inuse, t.g);
		break;
	case CK_EMPTY_KEPT:
		/* An emptied zspage left in the empty group's list. */
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		if (t.c->groups[ZS_FULLNESS_EMPTY]) {
			zs_unlock(&t.c->lock);
			return false;
		}
		poke_zsp(u, &t.c->groups[ZS_FULLNESS_EMPTY], t.zsp);
		poke_zsp(u, &t.zsp->prev, NULL);
		poke_u32(u, &t.zsp->inuse, 0);
		poke_u8(u, &t.zsp->fullness, ZS_FULLNESS_EMPTY);
		want_report(want, f,
			    "zspage %u (class %u) is empty but was not freed",
			    t.zsp->id, t.c->size);
		break;
	case CK_FRESH:
		if (!pick_target(pool, sel, T_SMALL, &t))
			return false;
		v = t.c->objs_per_zspage + 1 + (sel >> 13);
		poke_u32(u, &t.zsp->fresh, v);
		want_report(want, f,
			    "zspage %u (class %u) has fresh mark %u beyond its "
			    "%u objects",
			    t.zsp->id, t.c->size, v, t.c->objs_per_zspage);
		break;
	case CK_SLOT_BEYOND:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		idx = atomic_load(&pool->ht_next) + (sel >> 10);
		if (t.c->huge)
			poke_u32(u, &t.zsp->huge_slot, idx);
		else
			poke(u, obj_header_at(t.c, t.zsp, t.obj), POKE_HDR, 4,
			     (idx << 1) | ZS_OBJ_ALLOCATED, NULL);
		want_report(want, f,
			    "object %u of zspage %u (class %u) names handle "
			    "slot %u beyond the table",
			    t.obj, t.zsp->id, t.c->size, idx);
		break;
	case CK_SLOT_FREE:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.slot->meta, POKE_A64, 8,
		     atomic_load(&t.slot->meta) & ~ZS_META_LIVE, NULL);
		want_report(want, f,
			    "object %u of zspage %u (class %u) names free "
			    "handle slot %u",
			    t.obj, t.zsp->id, t.c->size, t.idx);
		break;
	case CK_LOC:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.slot->loc, POKE_A64, 8,
		     atomic_load(&t.slot->loc) ^
			     (sel & 0x8000 ? 1ull << 32 : 1ull),
		     NULL);
		want_report(want, f,
			    "handle slot %u does not point back at object %u "
			    "of zspage %u",
			    t.idx, t.obj, t.zsp->id);
		break;
	case CK_SIZE_CLASS:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		size = t.c->huge ? 1u + (sel >> 12) : ZS_PAGE_SIZE;
		if (zs_class_for_size(pool, size) == t.c) {
			zs_unlock(&t.c->lock);
			return false;
		}
		m = atomic_load(&t.slot->meta) &
		    ~(ZS_META_SIZE_MASK << ZS_META_SIZE_SHIFT);
		poke(u, &t.slot->meta, POKE_A64, 8,
		     m | ((uint64_t)size << ZS_META_SIZE_SHIFT), NULL);
		want_report(want, f,
			    "handle slot %u (size %zu) lives in class %u",
			    t.idx, size, t.c->size);
		break;
	case CK_MOVING:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		poke(u, &t.slot->meta, POKE_A64, 8,
		     atomic_load(&t.slot->meta) | ZS_META_MOVING, NULL);
		want_report(want, f, "handle slot %u is marked moving at rest",
			    t.idx);
		break;
	case CK_FREE_BROKEN:
		if (!pick_target(pool, sel, T_SMALL, &t))
			return false;
		poke_u32(u, &t.zsp->free_head, t.zsp->fresh);
		want_report(want, f,
			    "free list of zspage %u (class %u) is broken at %u",
			    t.zsp->id, t.c->size, t.zsp->fresh);
		break;
	case CK_FREE_ALLOCATED:
		if (!pick_target(pool, sel, T_SMALL, &t))
			return false;
		poke_u32(u, &t.zsp->free_head, t.obj);
		want_report(want, f,
			    "free list of zspage %u (class %u) holds allocated "
			    "object %u",
			    t.zsp->id, t.c->size, t.obj);
		break;
	case CK_COUNTS:
		/* The huge object marked free, or a free list dropped: the
		 * zspage's count no longer adds up. */
		if (pick_target(pool, sel,
				sel & 0x100 ? T_HUGE : T_SMALL_FREELIST, &t) ||
		    pick_target(pool, sel,
				sel & 0x100 ? T_SMALL_FREELIST : T_HUGE, &t)) {
			if (t.c->huge) {
				poke_u32(u, &t.zsp->free_head, 0);
				want_report(want, f,
					    "zspage %u (class %u) counts %u in "
					    "use, holds %u live and %u free of "
					    "%u",
					    t.zsp->id, t.c->size, t.zsp->inuse,
					    0u, 1u, 1u);
			} else {
				poke_u32(u, &t.zsp->free_head, ZS_NO_OBJ);
				want_report(want, f,
					    "zspage %u (class %u) counts %u in "
					    "use, holds %u live and %u free of "
					    "%u",
					    t.zsp->id, t.c->size, t.zsp->inuse,
					    t.zsp->inuse,
					    t.c->objs_per_zspage - t.zsp->fresh,
					    t.c->objs_per_zspage);
			}
			break;
		}
		return false;
	case CK_BACK_LINK:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		poke_zsp(u, &t.zsp->prev, t.zsp->prev ? NULL : t.zsp);
		want_report(
			want, f,
			"fullness list %u of class %u has a broken back link "
			"at zspage %u",
			t.g, t.c->size, t.zsp->id);
		break;
	case CK_LIST_LONG:
		/* The pool's count one below the longest list: the walk's
		 * bound trips at that list's last zspage. */
		for (i = 0; i < pool->nr_classes; i++) {
			struct size_class *k = &pool->classes[i];

			zs_lock(&k->lock);
			for (g = 0; g < ZS_NR_FULLNESS; g++) {
				for (n = 0, zsp = k->groups[g]; zsp;
				     zsp = zsp->next)
					n++;
				if (n > longest) {
					longest = n;
					first_g = g;
					c = k;
				}
			}
			zs_unlock(&k->lock);
		}
		if (!longest)
			return false;
		poke(u, &pool->zspages, POKE_AUL, sizeof(unsigned long),
		     longest - 1, NULL);
		want_report(want, f,
			    "fullness list %u of class %u holds more than the "
			    "pool's %lu zspages",
			    first_g, c->size, longest - 1);
		return true;
	case CK_GROUP_COUNT:
		g = (sel >> 8) % ZS_NR_FULLNESS;
		zs_lock(&c->lock);
		n = c->group_count[g];
		poke_ul(u, &c->group_count[g], n + 1);
		want_report(want, f,
			    "class %u group %u holds %lu zspages, "
			    "counted %lu",
			    c->size, g, n, n + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_ISOLATED_LIST:
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		if (t.c->isolated_list) {
			zs_unlock(&t.c->lock);
			return false;
		}
		poke_zsp(u, &t.c->isolated_list, t.zsp);
		want_report(want, f,
			    "isolated list of class %u is broken at zspage %u",
			    t.c->size, t.zsp->id);
		break;
	case CK_ISOLATED_INNER:
		/* First a zspage isolated as compaction leaves it between two
		 * moves, which is consistent; then an object in it marked
		 * moving, which is not. */
		if (!pick_target(pool, sel, T_ANY, &t))
			return false;
		zsp = t.zsp;
		if (t.c->isolated_list) {
			zs_unlock(&t.c->lock);
			return false;
		}
		if (zsp->prev)
			poke_zsp(u, &zsp->prev->next, zsp->next);
		else
			poke_zsp(u, &t.c->groups[t.g], zsp->next);
		if (zsp->next)
			poke_zsp(u, &zsp->next->prev, zsp->prev);
		poke_ul(u, &t.c->group_count[t.g], t.c->group_count[t.g] - 1);
		poke_zsp(u, &zsp->prev, NULL);
		poke_zsp(u, &zsp->next, NULL);
		poke_bool(u, &zsp->isolated, true);
		poke_zsp(u, &t.c->isolated_list, zsp);
		zs_unlock(&t.c->lock);
		ret = check_captured(f, &cap);
		if (ret || cap.n) {
			unpoke(u);
			fm_fail("zs_pool_check of a pool with zspage %u isolated "
				"(as by compaction) returned %d: %s",
				zsp->id, ret, cap.n ? cap.msg : "(no report)");
		}
		zs_lock(&t.c->lock);
		poke(u, &t.slot->meta, POKE_A64, 8,
		     atomic_load(&t.slot->meta) | ZS_META_MOVING, NULL);
		want_report(want, f, "handle slot %u is marked moving at rest",
			    t.idx);
		break;
	case CK_LIVE:
		zs_lock(&c->lock);
		n = atomic_load(&c->objs_used);
		poke(u, &c->objs_used, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f,
			    "class %u holds %lu live objects, counted %lu",
			    c->size, n, n + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_ALLOCATED:
		zs_lock(&c->lock);
		n = atomic_load(&c->objs_allocated);
		poke(u, &c->objs_allocated, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f,
			    "class %u has %lu zspages of %u objects, counted "
			    "%lu allocated",
			    c->size, n / c->objs_per_zspage, c->objs_per_zspage,
			    n + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_BYTES:
		zs_lock(&c->lock);
		m = c->bytes_stored;
		poke_u64(u, &c->bytes_stored, m + 1);
		want_report(want, f, "class %u holds %llu bytes, counted %llu",
			    c->size, (unsigned long long)m,
			    (unsigned long long)m + 1);
		zs_unlock(&c->lock);
		return true;
	case CK_SLOTS_LIVE:
		/* A free (or never used) handle slot marked live. */
		nslots = atomic_load(&pool->ht_next);
		for (i = 0; i < nslots; i++) {
			struct zs_hslot *s =
				zs_slot_at(pool, (sel + i) % nslots);

			m = atomic_load(&s->meta);
			if (m & ZS_META_LIVE)
				continue;
			n = 0;
			for (g = 0; g < pool->nr_classes; g++)
				n += atomic_load(&pool->classes[g].objs_used);
			poke(u, &s->meta, POKE_A64, 8, m | ZS_META_LIVE, NULL);
			want_report(want, f,
				    "%lu handle slots are live but %lu objects "
				    "are stored",
				    n + 1, n);
			return true;
		}
		return false;
	case CK_ZSPAGES:
		n = atomic_load(&pool->zspages);
		poke(u, &pool->zspages, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f, "%lu zspages in the lists, counted %lu", n,
			    n + 1);
		return true;
	default:
		n = atomic_load(&pool->pages);
		poke(u, &pool->pages, POKE_AUL, sizeof(n), n + 1, NULL);
		want_report(want, f, "%lu pages in zspages, counted %lu", n,
			    n + 1);
		return true;
	}
	/* Kinds that picked a target return here with its class locked. */
	zs_unlock(&t.c->lock);
	return true;
}

/*
 * Plants one corruption of the kinds zs_pool_check names (one per FAIL
 * in zs/check.c), checks that the checker reports exactly it, once, and
 * returns -EUCLEAN, then undoes it: the pool must check clean again with
 * every statistic as before.  Kinds the pool's state has no room for (an
 * empty pool has no zspage to break) are skipped.
 */
static void op_corrupt(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	static char want[600];
	struct report_capture cap;
	struct zs_pool_stats before;
	struct pokes u;
	unsigned kind;
	uint16_t sel;
	uint8_t k;
	int ret;

	if (!fc_u8(c, &k) || !fc_u16(c, &sel))
		return;
	kind = k % CK_KINDS;
	get_stats(f, &before);
	u.n = 0;
	if (!corrupt_plant(f, kind, sel, &u, want)) {
		fm_trace("  corrupt %s: no place for it\n",
			 corrupt_names[kind]);
		return;
	}
	ret = check_captured(f, &cap);
	/* Undone before judging, so a failure leaves a sane pool behind. */
	unpoke(&u);
	fm_trace("  corrupt %s: %d \"%s\"\n", corrupt_names[kind], ret,
		 cap.msg);
	if (ret != -EUCLEAN)
		fm_fail("zs_pool_check missed corruption \"%s\": returned %d "
			"(%u reports: %s), expected %d with \"%s\"",
			corrupt_names[kind], ret, cap.n, cap.msg, -EUCLEAN,
			want);
	if (cap.n != 1 || strcmp(cap.msg, want))
		fm_fail("zs_pool_check on corruption \"%s\" reported %u times, "
			"first \"%s\", expected once \"%s\"",
			corrupt_names[kind], cap.n, cap.msg, want);
	ret = check_captured(f, &cap);
	if (ret || cap.n)
		fm_fail("zs_pool_check after undoing corruption \"%s\" returned "
			"%d: %s",
			corrupt_names[kind], ret,
			cap.n ? cap.msg : "(no report)");
	expect_unchanged(f, &before, "a corruption undone", true);
}

/* ---- host allocation failures (zs/fault.h) ---- */

/*
 * Whether a host failure was injected since `mark`.  Every host allocation
 * these calls make is one they cannot do without, so a call that had one
 * fail must fail, with ENOMEM, and a call that failed must have had one
 * fail: nothing else in them can run out.
 */
static bool host_hit(unsigned long mark)
{
	return zs_host_failures_injected() != mark;
}

static void host_expect_ptr(const void *p, int err, unsigned long mark,
			    const char *call)
{
	bool hit = host_hit(mark);

	if (hit && (p || err != ENOMEM))
		fm_fail("%s with a host allocation failed returned %p errno "
			"%d, expected NULL errno %d",
			call, p, err, ENOMEM);
	if (!hit && !p)
		fm_fail("%s failed with errno %d, and no host allocation "
			"failed",
			call, err);
}

static void host_expect_ret(int ret, unsigned long mark, const char *call)
{
	int want = host_hit(mark) ? -ENOMEM : 0;

	if (ret != want)
		fm_fail("%s returned %d %s a failed host allocation, expected "
			"%d",
			call, ret, want ? "after" : "without", want);
}

/* The arena must never call back about pages their owner made unmovable. */
static int unmovable_isolate(void *owner, void *page, uint32_t cookie,
			     uint32_t index)
{
	(void)owner;
	fm_fail("arena isolated unmovable page %p (cookie %u index %u)", page,
		cookie, index);
}

static int unmovable_migrate(void *owner, void *old_page, void *new_page,
			     uint32_t cookie, uint32_t index)
{
	(void)owner;
	(void)new_page;
	fm_fail("arena migrated unmovable page %p (cookie %u index %u)",
		old_page, cookie, index);
}

static void unmovable_putback(void *owner, void *page, uint32_t cookie,
			      uint32_t index)
{
	(void)owner;
	fm_fail("arena put back unmovable page %p (cookie %u index %u)", page,
		cookie, index);
}

static const struct zs_movable_ops unmovable_ops = {
	.isolate = unmovable_isolate,
	.migrate = unmovable_migrate,
	.putback = unmovable_putback,
};

/* Pool names a user may give: JSON-special bytes, empty, NULL ("zs"), and
 * longer than the 31 bytes a pool keeps. */
static const char *const side_names[] = {
	"zs-fuzz-side",
	"q\"uo\\te\x01\x1f\x7f~",
	"",
	NULL,
	"a pool name longer than the 31 bytes a pool keeps",
	"tab\there\nnl\r",
};

#define SIDE_NAMES (sizeof(side_names) / sizeof(side_names[0]))

/* An independent JSON string escaper, to hold classtable.c's against. */
static void json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 8 < cap; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\%c", ch);
		else if (ch < 0x20)
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
		else
			out[n++] = (char)ch;
	}
	out[n] = 0;
}

/* The name a pool keeps, and its class table as JSON: the name escaped,
 * the chain size, and the document closed. */
static void check_pool_name(struct zs_pool *p, const char *name, unsigned chain)
{
	static char json[64 << 10];
	char kept[32], esc[256], want[320];
	const char *got = zs_pool_name(p);
	size_t len;
	FILE *mf;

	snprintf(kept, sizeof(kept), "%s", name ? name : "zs");
	if (!got || strcmp(got, kept))
		fm_fail("zs_pool_name is \"%s\", created as \"%s\" (keeps "
			"\"%s\")",
			got ? got : "(null)", name ? name : "(null)", kept);
	json_escape(esc, sizeof(esc), kept);
	snprintf(want, sizeof(want), "{\"pool\":\"%s\",\"chain_size\":%u,", esc,
		 chain ? chain : 8);
	memset(json, 0, sizeof(json));
	mf = fmemopen(json, sizeof(json) - 1, "w");
	if (!mf)
		fm_fail("fmemopen failed, errno %d", errno);
	zs_pool_print_classes_json(p, mf);
	fclose(mf);
	len = strlen(json);
	if (strncmp(json, want, strlen(want)) || len < 3 ||
	    strcmp(json + len - 3, "]}\n"))
		fm_fail("class table JSON of pool \"%s\" is \"%.60s...%s\", "
			"expected to start \"%s\" and end \"]}\\n\"",
			kept, json, len > 8 ? json + len - 8 : "", want);
}

/* A few objects in a second pool: each allocation fails cleanly or stores
 * what is written; all are freed again.  `arena_fails`: the pool shares an
 * arena whose page failures the input armed. */
static void side_objects(struct zs_fuzz *f, struct zs_pool *p, uint8_t pick,
			 bool arena_fails)
{
	const size_t sizes[3] = { 1u + pick % 64u, 100u + pick * 13u % 3000u,
				  ZS_PAGE_SIZE };
	struct zs_pool_stats before;
	uint64_t h[3];
	unsigned long mark;
	const void *r;
	unsigned i;
	int ret;

	for (i = 0; i < 3; i++) {
		zs_pool_stats(p, &before);
		h[i] = SENTINEL_HANDLE;
		mark = zs_host_failures_injected();
		ret = zs_malloc(p, sizes[i], &h[i]);
		if (!arena_fails || ret != -ENOMEM || host_hit(mark))
			host_expect_ret(ret, mark,
					"zs_malloc in a second pool");
		if (ret) {
			if (h[i] != SENTINEL_HANDLE)
				fm_fail("a failed zs_malloc stored a handle");
			before.alloc_failures++;
			expect_pool_unchanged(p, &before,
					      "a zs_malloc failed by the host",
					      false);
			expect_ret(zs_pool_check(p), 0,
				   "zs_pool_check of a second pool", 0);
			h[i] = 0;
			continue;
		}
		fm_pattern(f->buf, pick + i, 0, (uint32_t)sizes[i]);
		expect_ret(zs_obj_write(p, h[i], f->buf, sizes[i]), 0,
			   "zs_obj_write in a second pool", h[i]);
		r = zs_obj_read_begin(p, h[i], f->local[0]);
		if (!r || memcmp(r, f->buf, sizes[i]))
			fm_fail("a second pool's %zu-byte object does not read "
				"back",
				sizes[i]);
		expect_ret(zs_obj_read_end(p, h[i], r), 0,
			   "zs_obj_read_end in a second pool", h[i]);
	}
	for (i = 0; i < 3; i++)
		if (h[i])
			expect_ret(zs_free(p, h[i]), 0,
				   "zs_free in a second pool", h[i]);
	if (zs_get_total_pages(p))
		fm_fail("an emptied second pool holds %lu pages",
			zs_get_total_pages(p));
}

static struct zs_pool *host_side_pool(struct zs_fuzz *f, bool private_arena,
				      uint8_t pick, struct zs_arena **arena)
{
	struct zs_pool_config pc;
	struct zs_pool *p;
	unsigned long mark;
	int err;

	*arena = NULL;
	if (private_arena) {
		errno = 0;
		mark = zs_host_failures_injected();
		*arena = zs_arena_create();
		err = errno;
		host_expect_ptr(*arena, err, mark, "zs_arena_create");
		if (!*arena)
			return NULL;
	}
	memset(&pc, 0, sizeof(pc));
	pc.name = side_names[pick % SIDE_NAMES];
	pc.chain_size = (pick >> 3) % 17u;
	pc.arena = private_arena ? *arena : f->arena;
	errno = 0;
	mark = zs_host_failures_injected();
	p = zs_create_pool_config(&pc);
	err = errno;
	host_expect_ptr(p, err, mark, "zs_create_pool_config");
	if (!p)
		return NULL;
	check_pool_name(p, pc.name, pc.chain_size);
	side_objects(f, p, pick, !private_arena && f->arena_injecting);
	return p;
}

/* Pages straight from a new arena: one, then a region's worth and one
 * more (a second region), holes, and a compaction that has nothing it may
 * move but must still plan (the plan is a host allocation). */
static void host_arena_pages(struct zs_fuzz *f)
{
	enum { N = 513 };
	static void *pages[N];
	struct zs_arena_stats b, a;
	struct zs_arena *t;
	unsigned long mark, moved;
	unsigned i;
	void *one;
	int id, ret, err;

	errno = 0;
	mark = zs_host_failures_injected();
	t = zs_arena_create();
	err = errno;
	host_expect_ptr(t, err, mark, "zs_arena_create");
	if (!t)
		return;
	id = zs_arena_register_owner(t, f, &unmovable_ops);
	if (id < 0)
		fm_fail("zs_arena_register_owner on a new arena: %d", id);
	errno = 0;
	mark = zs_host_failures_injected();
	one = zs_arena_alloc_page(t, id);
	err = errno;
	host_expect_ptr(one, err, mark, "zs_arena_alloc_page");
	if (one)
		memset(one, 0x5a, ZS_PAGE_SIZE);
	memset(&b, 0, sizeof(b));
	zs_arena_stats(t, &b);
	mark = zs_host_failures_injected();
	ret = zs_arena_alloc_pages(t, id, N, pages, 7, 0);
	host_expect_ret(ret, mark, "zs_arena_alloc_pages of a region and one");
	memset(&a, 0, sizeof(a));
	zs_arena_stats(t, &a);
	if (a.pages_in_use != b.pages_in_use + (ret ? 0 : N))
		fm_fail("zs_arena_alloc_pages (%d) took pages in use from %lu "
			"to %lu",
			ret, b.pages_in_use, a.pages_in_use);
	if (!ret) {
		for (i = 0; i < N; i += 2) {
			zs_arena_free_page(t, pages[i]);
			pages[i] = NULL;
		}
		zs_arena_stats(t, &b);
		mark = zs_host_failures_injected();
		moved = zs_arena_compact(t);
		zs_arena_stats(t, &a);
		if (moved || a.pages_migrated != b.pages_migrated ||
		    a.migrate_failures != b.migrate_failures ||
		    a.pages_in_use != b.pages_in_use)
			fm_fail("zs_arena_compact of unmovable pages (host "
				"failure %d) moved %lu, migrated %lu -> %lu, "
				"failures %lu -> %lu, in use %lu -> %lu",
				host_hit(mark), moved, b.pages_migrated,
				a.pages_migrated, b.migrate_failures,
				a.migrate_failures, b.pages_in_use,
				a.pages_in_use);
		for (i = 1; i < N; i += 2)
			zs_arena_free_page(t, pages[i]);
	}
	if (one)
		zs_arena_free_page(t, one);
	zs_arena_unregister_owner(t, id);
	ret = zs_arena_destroy(t);
	if (ret)
		fm_fail("zs_arena_destroy of an emptied arena: %d", ret);
}

/* Objects in the fuzzed pool: a host failure (a handle or descriptor
 * chunk, a region) must fail the allocation and change nothing but the
 * failure count, which do_alloc checks. */
static void host_main_allocs(struct zs_fuzz *f, uint8_t pick)
{
	bool other = f->pool_injecting || f->arena_injecting || f->cap;
	unsigned i, n = 1 + pick % 8u;
	unsigned long mark;
	struct fm_obj *o;
	size_t size;

	for (i = 0; i < n; i++) {
		size = 1 + (pick * 977u + i * 1543u) % zs_max_alloc_size();
		if (!fm_has_room(&f->m, size))
			break;
		mark = zs_host_failures_injected();
		o = do_alloc(f, size, (uint8_t)(pick + i));
		if (o && host_hit(mark))
			fm_fail("zs_malloc(%zu) succeeded though one of its "
				"host allocations failed",
				size);
		if (!o && !host_hit(mark) && !other)
			fm_fail("zs_malloc(%zu) failed, and no host allocation "
				"failed",
				size);
	}
}

/* The pool's arena compacted with host failures armed: a compaction that
 * cannot allocate its plan moves nothing. */
static void host_arena_compact(struct zs_fuzz *f)
{
	struct zs_arena *a = arena_of(f);
	struct zs_arena_stats b, s;
	struct zs_pool_stats before;
	unsigned long mark, moved;

	get_stats(f, &before);
	memset(&b, 0, sizeof(b));
	memset(&s, 0, sizeof(s));
	zs_arena_stats(a, &b);
	mark = zs_host_failures_injected();
	moved = zs_arena_compact(a);
	zs_arena_stats(a, &s);
	if (s.pages_migrated - b.pages_migrated != moved ||
	    s.pages_in_use != b.pages_in_use)
		fm_fail("zs_arena_compact returned %lu: migrated %lu -> %lu, "
			"in use %lu -> %lu",
			moved, b.pages_migrated, s.pages_migrated,
			b.pages_in_use, s.pages_in_use);
	if (host_hit(mark)) {
		if (moved)
			fm_fail("zs_arena_compact moved %lu pages though its "
				"plan could not be allocated",
				moved);
		expect_unchanged(f, &before,
				 "an arena compaction without memory", true);
	}
	pool_check(f, "after an arena compaction with host failures");
	f->verify_pending = true;
}

/* A pressure monitor, its registrations (the second pool's finds room
 * already grown) and a reclaim, each failing cleanly or working. */
static void host_pressure(struct zs_fuzz *f, struct zs_pool *side, uint8_t pick)
{
	struct zs_arena *a = arena_of(f);
	struct zs_pressure_config cfg;
	struct zs_pressure *mon;
	unsigned long mark, before = zs_get_total_pages(f->pool);
	int rp, rs = -ENOENT, ra, err;

	if (pick & 0x40) {
		/* The defaults (the machine's PSI, whatever it says), and
		 * nothing registered, so its thread has nothing to do. */
		errno = 0;
		mark = zs_host_failures_injected();
		mon = zs_pressure_create(NULL);
		err = errno;
		host_expect_ptr(mon, err, mark, "zs_pressure_create(NULL)");
		zs_pressure_destroy(mon);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.poll_ms = 1 + pick % 8u;
	cfg.psi_path = "";
	errno = 0;
	mark = zs_host_failures_injected();
	mon = zs_pressure_create(&cfg);
	err = errno;
	host_expect_ptr(mon, err, mark, "zs_pressure_create");
	if (!mon)
		return;
	mark = zs_host_failures_injected();
	rp = zs_pressure_add_pool(mon, f->pool, 0);
	host_expect_ret(rp, mark, "zs_pressure_add_pool");
	if (side) {
		mark = zs_host_failures_injected();
		rs = zs_pressure_add_pool(mon, side, 0);
		host_expect_ret(rs, mark, "zs_pressure_add_pool (second)");
	}
	mark = zs_host_failures_injected();
	ra = zs_pressure_add_arena(mon, a);
	host_expect_ret(ra, mark, "zs_pressure_add_arena");
	zs_pressure_reclaim(mon, 0);
	if (zs_get_total_pages(f->pool) > before)
		fm_fail("zs_pressure_reclaim grew the pool from %lu to %lu "
			"pages",
			before, zs_get_total_pages(f->pool));
	expect_ret(zs_pressure_remove_pool(mon, f->pool), rp ? -ENOENT : 0,
		   "zs_pressure_remove_pool", 0);
	if (side)
		expect_ret(zs_pressure_remove_pool(mon, side), rs ? -ENOENT : 0,
			   "zs_pressure_remove_pool (second)", 0);
	expect_ret(zs_pressure_remove_arena(mon, a), ra ? -ENOENT : 0,
		   "zs_pressure_remove_arena", 0);
	zs_pressure_destroy(mon);
	pool_check(f, "after a reclaim with host failures");
	f->verify_pending = true;
}

/* As many owners as an arena takes (docs/DESIGN.md, Limits): one more is
 * refused, and a pool cannot be made on that arena. */
#define ARENA_MAX_OWNERS 1024

static void host_owners_full(struct zs_fuzz *f)
{
	struct zs_pool_config pc;
	struct zs_arena *t;
	struct zs_pool *p;
	unsigned long mark;
	int id, n, err, ret;

	errno = 0;
	mark = zs_host_failures_injected();
	t = zs_arena_create();
	err = errno;
	host_expect_ptr(t, err, mark, "zs_arena_create");
	if (!t)
		return;
	for (n = 0; (id = zs_arena_register_owner(t, f, &unmovable_ops)) >= 0;
	     n++)
		if (id != n)
			fm_fail("owner %d of a new arena got id %d", n, id);
	if (id != -ENOSPC || n != ARENA_MAX_OWNERS)
		fm_fail("zs_arena_register_owner refused owner %d with %d, "
			"expected owner %d refused with %d",
			n, id, ARENA_MAX_OWNERS, -ENOSPC);
	memset(&pc, 0, sizeof(pc));
	pc.name = "zs-fuzz-no-owner";
	pc.arena = t;
	errno = 0;
	p = zs_create_pool_config(&pc);
	err = errno;
	if (p || err != ENOMEM)
		fm_fail("zs_create_pool_config on an arena with no owner slot "
			"returned %p errno %d, expected NULL errno %d",
			(void *)p, err, ENOMEM);
	for (id = 0; id < n; id++)
		zs_arena_unregister_owner(t, id);
	ret = zs_arena_destroy(t);
	if (ret)
		fm_fail("zs_arena_destroy with every owner gone: %d", ret);
}

/* No file descriptor left (RLIMIT_NOFILE at the lowest free one): the
 * monitor's eventfd fails, and so must zs_pressure_create, with its errno. */
static void host_no_fd(void)
{
	struct zs_pressure_config cfg;
	struct zs_pressure *mon;
	struct rlimit old, lim;
	unsigned long mark;
	int fd, err, want;

	if (getrlimit(RLIMIT_NOFILE, &old))
		return;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	lim = old;
	lim.rlim_cur = (rlim_t)fd;
	if (setrlimit(RLIMIT_NOFILE, &lim)) {
		close(fd);
		return;
	}
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	cfg.psi_path = "/dev/null";
	errno = 0;
	mark = zs_host_failures_injected();
	mon = zs_pressure_create(&cfg);
	err = errno;
	if (setrlimit(RLIMIT_NOFILE, &old))
		fm_fail("cannot restore RLIMIT_NOFILE, errno %d", errno);
	want = host_hit(mark) ? ENOMEM : EMFILE;
	if (mon || err != want) {
		zs_pressure_destroy(mon);
		fm_fail("zs_pressure_create with no file descriptor left "
			"returned %p errno %d, expected NULL errno %d",
			(void *)mon, err, want);
	}
}

/*
 * Host allocations (malloc, calloc, realloc, mmap) failing from the
 * `after`-th on, `count` of them, while pools, arenas and monitors are
 * made and used (the flags pick which): every call fails with the
 * contract's error exactly when one of its host allocations failed, and
 * leaves what it was called on as it was.  Injection is process-wide, so
 * it is disarmed before the op ends.
 */
static void op_host_fault(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	struct zs_arena *side_arena = NULL;
	struct zs_pool *side = NULL;
	uint8_t flags, after, count, pick;
	unsigned long mark;
	int ret;

	if (!fc_u8(c, &flags) || !fc_u8(c, &after) || !fc_u8(c, &count) ||
	    !fc_u8(c, &pick))
		return;
	count %= 5;
	mark = zs_host_failures_injected();
	zs_inject_host_failures(after % 32u, count);
	f->host_injecting = count != 0;
	if (flags & 1)
		side = host_side_pool(f, flags & 2, pick, &side_arena);
	if (flags & 4)
		host_arena_pages(f);
	if (flags & 8)
		host_main_allocs(f, pick);
	if (flags & 16)
		host_pressure(f, side, pick);
	if (flags & 32)
		host_arena_compact(f);
	if (flags & 64)
		host_owners_full(f);
	if (flags & 128)
		host_no_fd();
	zs_inject_host_failures(0, 0);
	f->host_injecting = false;
	fm_trace("  host failures: %lu of %u injected (after %u)\n",
		 zs_host_failures_injected() - mark, count, after % 32u);
	if (zs_host_failures_injected() - mark > count)
		fm_fail("%lu host failures injected, %u armed",
			zs_host_failures_injected() - mark, count);
	zs_destroy_pool(side);
	ret = zs_arena_destroy(side_arena);
	if (ret)
		fm_fail("zs_arena_destroy of the second pool's arena: %d", ret);
	pool_check(f, "after host allocation failures");
	f->verify_pending = true;
}

/* ---- white box: the pool's page callbacks, called late ---- */

/* The objects of zspage `id` (found through their handle slots) freed. */
static unsigned free_zspage_objects(struct zs_fuzz *f, uint32_t id)
{
	struct zs_pool *pool = f->pool;
	unsigned freed = 0;
	uint32_t i;

	for (i = f->m.nlive; i-- > 0;) {
		uint64_t h = f->m.obj[i].handle;
		struct zs_hslot *s =
			zs_slot_at(pool, (uint32_t)h ^ pool->key_lo);

		if (!s)
			fm_fail("live handle %#" PRIx64 " has no slot", h);
		if ((uint32_t)(atomic_load(&s->loc) >> 32) == id) {
			do_free(f, &f->m.obj[i]);
			freed++;
		}
	}
	return freed;
}

/*
 * The pool's movable-page callbacks driven as an arena whose view is out
 * of date would: a zspage id past the table, a page index past the chain,
 * a page that is not the zspage's; each refused (-EAGAIN) or ignored.
 * Then the race the design closes: a page isolated, every object of its
 * zspage freed meanwhile (the zspage must stay, and check clean), migrate
 * refused, and putback freeing the zspage.
 */
static void op_page_ops(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	static char spare[ZS_PAGE_SIZE] __attribute__((aligned(4096)));
	const struct zs_movable_ops *ops = &zs_movable_ops;
	struct zs_pool *pool = f->pool;
	struct zs_pool_stats before, after;
	struct corrupt_target t;
	uint32_t id, index, npages, beyond;
	unsigned freed;
	uint16_t sel;
	uint8_t flags;
	char *page, *other;

	if (!fc_u8(c, &flags) || !fc_u16(c, &sel))
		return;
	get_stats(f, &before);
	beyond = atomic_load(&pool->zsp_next) + sel % 7u;
	expect_ret(ops->isolate(pool, spare, beyond, 0), -EAGAIN,
		   "isolate of a zspage id past the table", beyond);
	expect_ret(ops->migrate(pool, spare, spare, beyond, 0), -EAGAIN,
		   "migrate of a zspage id past the table", beyond);
	ops->putback(pool, spare, beyond, 0);
	if (!pick_target(pool, sel, T_ANY, &t)) {
		expect_unchanged(f, &before, "page callbacks on an empty pool",
				 true);
		return;
	}
	id = t.zsp->id;
	npages = t.c->pages_per_zspage;
	index = (sel >> 8) % npages;
	page = atomic_load(&t.zsp->pages[index]);
	other = npages > 1 ? atomic_load(&t.zsp->pages[(index + 1) % npages]) :
			     spare;
	zs_unlock(&t.c->lock);
	expect_ret(ops->isolate(pool, page, id, npages), -EAGAIN,
		   "isolate of a page index past the chain", id);
	expect_ret(ops->isolate(pool, other, id, index), -EAGAIN,
		   "isolate of another page of the zspage", id);
	expect_ret(ops->migrate(pool, other, spare, id, index), -EAGAIN,
		   "migrate of another page of the zspage", id);
	expect_unchanged(f, &before, "refused page callbacks", true);
	pool_check(f, "after refused page callbacks");
	if (!(flags & 1))
		return;
	/* The arena's side of a move: isolate, then (later) putback. */
	expect_ret(ops->isolate(pool, page, id, index), 0,
		   "isolate of a zspage's page", id);
	freed = flags & 2 ? free_zspage_objects(f, id) : 0;
	pool_check(f, freed ? "with an emptied zspage's page isolated" :
			      "with a page isolated");
	if (freed) {
		get_stats(f, &after);
		if (after.zspages != before.zspages)
			fm_fail("zspage %u emptied with a page isolated was "
				"freed (zspages %lu -> %lu)",
				id, before.zspages, after.zspages);
		expect_ret(ops->migrate(pool, page, spare, id, index), -EAGAIN,
			   "migrate of an emptied zspage's page", id);
	}
	ops->putback(pool, page, id, index);
	get_stats(f, &after);
	if (after.zspages != before.zspages - (freed ? 1 : 0) ||
	    after.pages_used != before.pages_used - (freed ? npages : 0))
		fm_fail("putback of zspage %u (%u objects freed): zspages %lu "
			"-> %lu, pages %lu -> %lu",
			id, freed, before.zspages, after.zspages,
			before.pages_used, after.pages_used);
	pool_check(f, "after putback");
	f->verify_pending = true;
}

/* A death test in a forked child (fuzz/zs_fatal.c).  fork needs a
 * single-threaded process, which the interpreter is between ops. */
static void op_fatal(struct zs_fuzz *f, struct fuzz_cursor *c)
{
	uint8_t kind;
	uint16_t arg;
	const char *ran;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	ran = zs_fuzz_fatal(f->pool, &f->m, kind, arg);
	fm_trace("  fatal: %s\n", ran ? ran : "(not applicable)");
}

struct zs_op {
	const char *name;
	void (*run)(struct zs_fuzz *f, struct fuzz_cursor *c);
};

static const struct zs_op zs_op_table[ZS_OP_SLOTS] = {
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
	[ZS_OP_ARENA_PAGES] = { "arena_pages", op_arena_pages },
	[ZS_OP_CORRUPT] = { "corrupt", op_corrupt },
	[ZS_OP_HOST_FAULT] = { "host_fault", op_host_fault },
	[ZS_OP_PAGE_OPS] = { "page_ops", op_page_ops },
	[ZS_OP_FATAL] = { "fatal", op_fatal },
};

const char *zs_fuzz_op_name(unsigned opcode)
{
	return opcode < ZS_OP_SLOTS ? zs_op_table[opcode].name : NULL;
}

int zs_fuzz_run(const uint8_t *data, size_t size)
{
	static int trace = -1;
	struct zs_fuzz *f = &F;
	struct fuzz_cursor c;
	const struct zs_op *op;
	unsigned long opno = 0;
	uint8_t cfg = 0, code;
	size_t at;

	if (trace < 0)
		trace = getenv("ZS_FUZZ_TRACE") != NULL;
	fm_ctx.target = "zsmalloc";
	fm_ctx.trace = trace;
	fm_ctx.op = "(setup)";
	fm_ctx.opno = 0;
	fm_ctx.offset = 0;
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

	fc_init(&c, data, size);
	fc_u8(&c, &cfg);
	pool_open(f, cfg, 0);
	for (;;) {
		at = c.pos;
		if (!fc_u8(&c, &code))
			break;
		op = &zs_op_table[code & (ZS_OP_SLOTS - 1)];
		if (!op->run)
			continue;
		fm_ctx.op = op->name;
		fm_ctx.opno = opno;
		fm_ctx.offset = at;
		fm_trace("op #%lu @%zu %s (live %u, %llu bytes, %lu pages)\n",
			 opno, at, op->name, f->m.nlive,
			 (unsigned long long)f->m.bytes,
			 zs_get_total_pages(f->pool));
		op->run(f, &c);
		check_stats(f);
		if (f->verify_pending) {
			verify_all(f);
			f->verify_pending = false;
		}
		if (++opno % ZS_CHECK_EVERY == 0)
			pool_check(f, "(periodic)");
	}
	fm_ctx.op = "(end of input)";
	fm_ctx.opno = opno;
	fm_ctx.offset = size;
	zs_pool_inject_failures(f->pool, 0, 0);
	zs_arena_inject_failures(arena_of(f), 0, 0);
	verify_all(f);
	pool_check(f, "at the end");
	pool_close(f, true);
	zs_arena_inject_failures(zs_arena_default(), 0, 0);
	return 0;
}
