// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_ops.c - the differential zpool interpreter: one op
 * sequence on a "zsmalloc" zpool (backend 0) and a "zbud" zpool (backend
 * 1), side by side.
 *
 * Why differential: zpool promises that a program can switch backends by name
 * without code changes, so every call must return the same value on both
 * (zbud.c and zpool.c say so); only density and what shrinking means may
 * differ.  Each backend has its own shadow model (fuzz/common/fuzz_model.h),
 * and the two are kept in lockstep: the same adds and removes in the same
 * order, so obj[i] of one is obj[i] of the other, with the same size and bytes.
 * An object the zbud pool evicts while shrinking is written back by the
 * callback (after its bytes are verified) and freed on both backends, as a
 * write-back tier above zpool would drop it from both.
 *
 * zpool has no consistency check of its own, so the interpreter reads
 * every object back (on both) every ZP_VERIFY_EVERY ops, after every move
 * and at the end; at the end everything is freed and both pools hold no
 * page.  The loop that decodes the input and runs these checks is
 * fuzz/common/fuzz_interp.c's, shared with the other targets.
 *
 * Adding an op: write `static void op_x(void *state, struct fuzz_cursor
 * *c)` (starting `struct zp_fuzz *f = state;`), give it a free opcode in
 * zpool_ops.h and a row in zp_op_table below.
 */
#include "fuzz/zpool_fuzz/zpool_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "zs/fault.h"
#include "zs/zbud.h"
#include "zs/zpool.h"
#include "zs/zsmalloc.h"

#define ZP_VERIFY_EVERY 16
#define ZP_MAPS ZS_MAX_THREAD_MAPS
#define ZP_MAX ZBUD_MAX_ALLOC_SIZE
#define SENTINEL_HANDLE 0x5eed5eed5eed5eedull
#define NB 2
#define ZP_ZSPAGE_MAX_PAGES 16 /* the longest zspage chain (chain_size) */

static const char *const type_name[NB] = { "zsmalloc", "zbud" };

struct zp_fuzz {
	struct zpool *pool[NB];
	bool has_evict;
	bool verify_pending;
	struct fuzz_model m[NB];
	/* Shrinking (the evict callback's state). */
	bool shrinking;
	uint16_t fail_mask;
	unsigned ncalls, evicted;
	unsigned long written_back;
	unsigned nheld; /* maps op_nested holds on each pool */
	uint8_t buf[FM_MAX_OBJ];
};

static struct zp_fuzz F;

/* ---- helpers ---- */

static void expect_ret(int got, int want, int b, const char *call, uint64_t h)
{
	if (got != want)
		fm_fail("%s %s(handle %#" PRIx64 ") returned %d, expected %d",
			type_name[b], call, h, got, want);
}

static void expect_null(const void *p, int err, int want, int b,
			const char *call, uint64_t h)
{
	if (p || err != want)
		fm_fail("%s %s(handle %#" PRIx64 ") returned %p errno %d, "
			"expected NULL errno %d",
			type_name[b], call, h, p, err, want);
}

/* Both backends answered a call the same way. */
static void same_ret(const int ret[NB], const char *call)
{
	if (ret[0] != ret[1])
		fm_fail("%s: zsmalloc returned %d, zbud %d", call, ret[0],
			ret[1]);
}

static uint64_t pages_of(struct zp_fuzz *f, int b)
{
	uint64_t sz = zpool_get_total_size(f->pool[b]);

	if (sz % ZS_PAGE_SIZE)
		fm_fail("%s zpool_get_total_size %" PRIu64 " is not whole "
			"pages",
			type_name[b], sz);
	return sz / ZS_PAGE_SIZE;
}

static uint32_t seed_for(struct zp_fuzz *f, uint8_t fuzz)
{
	return fm_new_seed(&f->m[0], fuzz);
}

/* Removes the pair at position pos from both models. */
static void pair_remove(struct zp_fuzz *f, uint32_t pos)
{
	fm_remove(&f->m[0], &f->m[0].obj[pos]);
	fm_remove(&f->m[1], &f->m[1].obj[pos]);
}

/* Sizes and densities of both pools against the models. */
static void check_sizes(struct zp_fuzz *f)
{
	uint64_t p0 = pages_of(f, 0), p1 = pages_of(f, 1);
	uint32_t n = f->m[0].nlive;

	if (f->m[1].nlive != n || f->m[0].bytes != f->m[1].bytes)
		fm_fail("models out of step: %u/%u objects", n, f->m[1].nlive);
	if (p0 < (f->m[0].bytes + ZS_PAGE_SIZE - 1) / ZS_PAGE_SIZE)
		fm_fail("zsmalloc holds %" PRIu64 " pages for %" PRIu64
			" bytes",
			p0, f->m[0].bytes);
	if (p1 > n || 2 * p1 < n)
		fm_fail("zbud holds %" PRIu64 " pages for %u objects", p1, n);
}

/* ---- reading and writing ---- */

static const enum zpool_mapmode modes[] = { ZPOOL_MM_RO, ZPOOL_MM_RW,
					    ZPOOL_MM_WO };
static const char *const mode_name[] = { "RO", "RW", "WO" };

static void *map_one(struct zp_fuzz *f, int b, const struct fm_obj *o, int mode,
		     const char *how)
{
	void *p;

	errno = 0;
	p = zpool_map_handle(f->pool[b], o->handle, modes[mode]);
	if (!p)
		fm_fail("%s %s: zpool_map_handle(%#" PRIx64 ", %s) failed, "
			"errno %d",
			type_name[b], how, o->handle, mode_name[mode], errno);
	return p;
}

/* Reads pair i back through mode (RO or RW) on both. */
static void verify_pair(struct zp_fuzz *f, uint32_t i, int mode)
{
	const struct fm_obj *a = &f->m[0].obj[i], *z = &f->m[1].obj[i];
	char how[48];
	int b;

	if (a->size != z->size || a->seed != z->seed || a->split != z->split ||
	    a->seed2 != z->seed2)
		fm_fail("models out of step at %u: %#" PRIx64 " / %#" PRIx64, i,
			a->handle, z->handle);
	for (b = 0; b < NB; b++) {
		const struct fm_obj *o = &f->m[b].obj[i];

		snprintf(how, sizeof(how), "%s map %s", type_name[b],
			 mode_name[mode]);
		fm_verify(o, map_one(f, b, o, mode, how), how);
		expect_ret(zpool_unmap_handle(f->pool[b], o->handle), 0, b,
			   "zpool_unmap_handle", o->handle);
	}
}

static void verify_all(struct zp_fuzz *f)
{
	static unsigned turn;
	uint32_t i;

	turn++;
	for (i = 0; i < f->m[0].nlive; i++)
		verify_pair(f, i, (int)((i + turn) % 2));
}

/* Rewrites [0, len) of pair i (all of it through WO or when fresh). */
static void write_pair(struct zp_fuzz *f, uint32_t i, int mode, uint32_t len,
		       uint32_t seed, bool fresh)
{
	int b;
	void *p;

	if (mode == 2 || fresh)
		len = f->m[0].obj[i].size;
	else
		len = fm_write_len(&f->m[0].obj[i], len);
	fm_pattern(f->buf, seed, 0, len);
	for (b = 0; b < NB; b++) {
		struct fm_obj *o = &f->m[b].obj[i];

		p = map_one(f, b, o, mode, "write");
		if (mode == 1 && !fresh)
			fm_verify(o, p, "map RW before a write");
		memcpy(p, f->buf, len);
		expect_ret(zpool_unmap_handle(f->pool[b], o->handle), 0, b,
			   "zpool_unmap_handle", o->handle);
		fm_note_write(o, len, seed);
	}
}

/* ---- allocation ---- */

static size_t clamp_size(long v)
{
	return (size_t)(v < 1 ? 1 : v > (long)ZP_MAX ? (long)ZP_MAX : v);
}

/* Sizes biased to both backends' boundaries: zbud chunks (64 B), zsmalloc
 * classes (16 B less a 4-byte header), the smallest and the largest. */
static size_t choose_size(uint8_t kind, uint16_t raw)
{
	long d = (long)((raw >> 8) % 9) - 4;

	switch (kind % 8) {
	case 0:
		return clamp_size(64L * ((raw & 0x3f) + 1) + d / 2);
	case 1:
		return clamp_size(16L * ((raw & 0xff) + 1) - 4 + d);
	case 2:
		return 1 + raw % 4;
	case 3:
		return ZP_MAX - raw % 3;
	case 4:
		return 1 + raw % ZP_MAX;
	case 5:
		return 1 + raw % 256;
	case 6:
		return 2048 + raw % (ZP_MAX - 2048 + 1);
	default: /* refused by both */
		switch (raw & 3) {
		case 0:
			return 0;
		case 1:
			return zs_max_alloc_size() + 1;
		case 2:
			return zs_max_alloc_size() + 1 + (raw >> 2);
		default:
			return SIZE_MAX;
		}
	}
}

/* Allocates a pair and fills it; false when refused (as both must) or
 * the model is full. */
static bool do_alloc(struct zp_fuzz *f, size_t size, uint8_t fuzz)
{
	uint64_t h[NB] = { SENTINEL_HANDLE, SENTINEL_HANDLE };
	int ret[NB], want = 0, b;

	if (size == 0)
		want = -EINVAL;
	else if (size > zs_max_alloc_size())
		want = -ENOSPC;
	else if (size > ZP_MAX || !fm_has_room(&f->m[0], size))
		return false;
	for (b = 0; b < NB; b++) {
		ret[b] = zpool_malloc(f->pool[b], size, &h[b]);
		fm_trace("  %s zpool_malloc(%zu) = %d handle %#" PRIx64 "\n",
			 type_name[b], size, ret[b], h[b]);
	}
	same_ret(ret, "zpool_malloc");
	for (b = 0; b < NB; b++) {
		expect_ret(ret[b], want, b, "zpool_malloc", size);
		if (ret[b] ? h[b] != SENTINEL_HANDLE :
			     h[b] == 0 || h[b] == SENTINEL_HANDLE)
			fm_fail("%s zpool_malloc(%zu) = %d stored handle %#" PRIx64,
				type_name[b], size, ret[b], h[b]);
	}
	if (want)
		return false;
	for (b = 0; b < NB; b++)
		fm_add(&f->m[b], h[b], (uint32_t)size, 0);
	write_pair(f, f->m[0].nlive - 1, 2, 0, seed_for(f, fuzz), true);
	return true;
}

static void do_free(struct zp_fuzz *f, uint32_t i)
{
	int ret[NB], b;

	for (b = 0; b < NB; b++)
		ret[b] = zpool_free(f->pool[b], f->m[b].obj[i].handle);
	same_ret(ret, "zpool_free");
	expect_ret(ret[0], 0, 0, "zpool_free", f->m[0].obj[i].handle);
	pair_remove(f, i);
}

/* ---- pools ---- */

static int zp_evict(struct zpool *pool, uint64_t handle);

static const struct zpool_ops evict_ops = { .evict = zp_evict };

static void pools_open(struct zp_fuzz *f, uint8_t cfg)
{
	const char *name = cfg & 2 ? NULL : "zs-fuzz-zpool";
	const char *t;
	int b;

	f->has_evict = !(cfg & 1);
	for (b = 0; b < NB; b++) {
		errno = 0;
		f->pool[b] = zpool_create_pool(
			type_name[b], name, f->has_evict ? &evict_ops : NULL);
		if (!f->pool[b])
			fm_fail("zpool_create_pool(\"%s\") failed, errno %d",
				type_name[b], errno);
		t = zpool_get_type(f->pool[b]);
		if (!t || strcmp(t, type_name[b]))
			fm_fail("zpool_get_type is \"%s\", created \"%s\"",
				t ? t : "(null)", type_name[b]);
		if (pages_of(f, b))
			fm_fail("a new %s zpool holds pages", type_name[b]);
	}
	f->nheld = 0;
}

static void pools_close(struct zp_fuzz *f, bool free_first)
{
	int b;

	if (free_first) {
		while (f->m[0].nlive)
			do_free(f, f->m[0].nlive - 1);
		for (b = 0; b < NB; b++)
			if (pages_of(f, b))
				fm_fail("an emptied %s zpool holds %" PRIu64
					" pages",
					type_name[b], pages_of(f, b));
	}
	for (b = 0; b < NB; b++) {
		zpool_destroy_pool(f->pool[b]);
		f->pool[b] = NULL;
		while (f->m[b].nlive)
			fm_remove(&f->m[b], &f->m[b].obj[f->m[b].nlive - 1]);
	}
}

/* ---- shrinking ---- */

static uint32_t pos_of_handle(struct zp_fuzz *f, int b, uint64_t h)
{
	struct fm_obj *o = fm_find(&f->m[b], h);

	if (!o)
		fm_fail("%s: handle %#" PRIx64 " is not live", type_name[b], h);
	return (uint32_t)(o - f->m[b].obj);
}

/*
 * The evict callback: only the zbud pool evicts.  The object's bytes are
 * verified through a map, written back, and the pair freed on both
 * backends.  The fail mask makes chosen evicts fail; at the map limit the
 * object cannot be read, so the evict fails too.
 */
static int zp_evict(struct zpool *pool, uint64_t handle)
{
	struct zp_fuzz *f = &F;
	unsigned call = f->ncalls++;
	struct fm_obj *o;
	uint32_t i;
	void *p;

	if (!f->shrinking || pool != f->pool[1])
		fm_fail("evict callback for pool %p outside the zbud pool's "
			"zpool_shrink",
			(void *)pool);
	i = pos_of_handle(f, 1, handle);
	o = &f->m[1].obj[i];
	if (f->nheld == ZP_MAPS) {
		errno = 0;
		p = zpool_map_handle(pool, handle, ZPOOL_MM_RO);
		expect_null(p, errno, EBUSY, 1,
			    "zpool_map_handle in evict at "
			    "the map limit",
			    handle);
		return -EBUSY;
	}
	if (f->fail_mask >> (call % 16) & 1)
		return -EIO;
	fm_verify(o, map_one(f, 1, o, 0, "evict"), "zbud map in evict");
	expect_ret(zpool_unmap_handle(pool, handle), 0, 1,
		   "zpool_unmap_handle in evict", handle);
	expect_ret(zpool_free(pool, handle), 0, 1, "zpool_free in evict",
		   handle);
	expect_ret(zpool_free(f->pool[0], f->m[0].obj[i].handle), 0, 0,
		   "zpool_free of an evicted object's twin",
		   f->m[0].obj[i].handle);
	f->written_back++;
	f->evicted++;
	fm_trace("  evict %#" PRIx64 " (%u bytes)\n", handle, o->size);
	pair_remove(f, i);
	return 0;
}

/*
 * zpool_shrink on both: zsmalloc compacts (nothing leaves the pool), zbud
 * evicts; each frees exactly the pages it reports and returns 0 only when
 * it freed all it was asked for.  The contents must stay the same.
 */
static void do_shrink(struct zp_fuzz *f, unsigned pages, uint16_t mask,
		      bool pinned)
{
	unsigned got[NB];
	uint64_t before[NB], objs;
	int ret[NB], b;

	for (b = 0; b < NB; b++) {
		before[b] = pages_of(f, b);
		objs = f->m[0].nlive;
		got[b] = 12345;
		f->shrinking = b == 1;
		f->fail_mask = mask;
		f->ncalls = f->evicted = 0;
		ret[b] = zpool_shrink(f->pool[b], pages, &got[b]);
		f->shrinking = false;
		fm_trace("  %s zpool_shrink(%u) = %d, %u pages, %u evicted\n",
			 type_name[b], pages, ret[b], got[b], f->evicted);
		if (pages_of(f, b) != before[b] - got[b])
			fm_fail("%s zpool_shrink reported %u pages freed, the "
				"pool went from %" PRIu64 " to %" PRIu64,
				type_name[b], got[b], before[b],
				pages_of(f, b));
		if (pages == 0) {
			/* Nothing asked, nothing to refuse. */
			expect_ret(ret[b], 0, b, "zpool_shrink(0)", 0);
		} else if (b == 1 && !f->has_evict) {
			expect_ret(ret[b], -EINVAL, b,
				   "zpool_shrink without evict", pages);
		} else {
			expect_ret(ret[b], got[b] >= pages ? 0 : -EAGAIN, b,
				   "zpool_shrink", got[b]);
		}
		/* zbud frees at most what was asked; zsmalloc frees whole
		 * zspages, so up to one zspage (16 pages at most) more */
		if ((got[b] > pages && b == 1) ||
		    (b == 0 && got[b] >= pages + ZP_ZSPAGE_MAX_PAGES) ||
		    (b == 0 && f->ncalls))
			fm_fail("%s zpool_shrink(%u) freed %u pages, %u evicts",
				type_name[b], pages, got[b], f->ncalls);
		/* Every evict succeeding: zbud frees a page per call until
		 * asked for no more or empty. */
		if (b == 1 && f->has_evict && !mask && !pinned &&
		    got[b] != (pages < before[b] ? pages : before[b]))
			fm_fail("zbud zpool_shrink(%u) of %" PRIu64 " pages "
				"(%" PRIu64 " objects) freed %u with every "
				"evict succeeding",
				pages, before[b], objs, got[b]);
		if (b == 1 && f->evicted < got[b])
			fm_fail("zbud freed %u pages evicting %u objects",
				got[b], f->evicted);
	}
	f->verify_pending = true;
}

/* ---- the ops ---- */

static void op_alloc(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	do_alloc(f, choose_size(kind, raw), fuzz);
}

static void op_free(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !f->m[0].nlive)
		return;
	do_free(f, sel % f->m[0].nlive);
}

static void op_write(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t sel, len;
	uint8_t fuzz, mode;
	uint32_t i;

	if (!fc_u16(c, &sel) || !fc_u8(c, &fuzz) || !fc_u16(c, &len) ||
	    !fc_u8(c, &mode) || !f->m[0].nlive)
		return;
	i = sel % f->m[0].nlive;
	write_pair(f, i, mode & 1 ? 2 : 1, len % (f->m[0].obj[i].size + 1),
		   seed_for(f, fuzz), false);
}

static void op_read(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t sel;
	uint8_t mode;

	if (!fc_u16(c, &sel) || !fc_u8(c, &mode) || !f->m[0].nlive)
		return;
	verify_pair(f, sel % f->m[0].nlive, mode & 1);
}

/*
 * Up to ZP_MAPS + 2 maps on each pool at once, the same on both: over the
 * limit and twice are -EBUSY on both.  Writes through RW and WO maps;
 * while held, free (-EBUSY on both), compaction and shrinking (held
 * objects stay put; at the map limit zbud's evicts cannot read and fail),
 * then unmapped in another order, each twice.
 */
static void op_nested(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint64_t held[NB][ZP_MAPS];
	struct fm_obj view[ZP_MAPS];
	void *hp[NB][ZP_MAPS], *p[NB];
	uint16_t sel[ZP_MAPS + 2], modebits;
	uint8_t n, flags;
	bool done[ZP_MAPS] = { false };
	unsigned i, j, k, nh = 0;
	int ret[NB], b, mode;
	uint32_t pos, len, seed;

	if (!fc_u8(c, &n) || !fc_u8(c, &flags) || !fc_u16(c, &modebits))
		return;
	n = (uint8_t)(1 + n % (ZP_MAPS + 2));
	for (i = 0; i < n; i++)
		if (!fc_u16(c, &sel[i]))
			return;
	if (!f->m[0].nlive)
		return;
	for (i = 0; i < n; i++) {
		pos = sel[i] % f->m[0].nlive;
		mode = (int)((modebits >> (2 * (i % 8))) & 3) % 3;
		for (j = 0; j < nh && held[0][j] != f->m[0].obj[pos].handle;
		     j++)
			;
		for (b = 0; b < NB; b++) {
			errno = 0;
			p[b] = zpool_map_handle(f->pool[b],
						f->m[b].obj[pos].handle,
						modes[mode]);
			ret[b] = p[b] ? 0 : -errno;
		}
		same_ret(ret, "nested zpool_map_handle");
		if (j < nh || nh == ZP_MAPS) {
			expect_ret(
				ret[0], -EBUSY, 0,
				j < nh ? "zpool_map_handle of a mapped handle" :
					 "zpool_map_handle over the map limit",
				f->m[0].obj[pos].handle);
			continue;
		}
		expect_ret(ret[0], 0, 0, "nested zpool_map_handle",
			   f->m[0].obj[pos].handle);
		view[nh] = f->m[0].obj[pos];
		if (mode != 2)
			for (b = 0; b < NB; b++)
				fm_verify(&f->m[b].obj[pos], p[b],
					  "nested map");
		if (mode != 0) {
			len = mode == 2 ? view[nh].size :
					  fm_write_len(&view[nh], sel[i] >> 4);
			seed = seed_for(f, (uint8_t)i);
			fm_pattern(f->buf, seed, 0, len);
			for (b = 0; b < NB; b++) {
				memcpy(p[b], f->buf, len);
				fm_note_write(&f->m[b].obj[pos], len, seed);
			}
			fm_note_write(&view[nh], len, seed);
		}
		for (b = 0; b < NB; b++) {
			held[b][nh] = f->m[b].obj[pos].handle;
			hp[b][nh] = p[b];
		}
		nh++;
	}
	f->nheld = nh;
	fm_trace("  nested: %u held, flags %#x\n", nh, flags);
	if (flags & 1) {
		for (b = 0; b < NB; b++)
			ret[b] = zpool_free(f->pool[b], held[b][0]);
		same_ret(ret, "zpool_free while mapped");
		expect_ret(ret[0], -EBUSY, 0, "zpool_free while mapped",
			   held[0][0]);
	}
	if (flags & 2)
		for (b = 0; b < NB; b++)
			zpool_compact(f->pool[b]);
	if (flags & 4)
		do_shrink(f, 1 + (flags >> 4), 0, true);
	/* What each held pointer shows: the model's bytes, with our write. */
	for (i = 0; i < nh; i++) {
		for (b = 0; b < NB; b++) {
			view[i].handle = held[b][i];
			fm_verify(&view[i], hp[b][i], "a held map after work");
		}
	}
	for (k = 0; k < nh; k++) {
		j = (k * (2u * flags + 1) + (flags >> 3)) % nh;
		while (done[j])
			j = (j + 1) % nh;
		done[j] = true;
		for (b = 0; b < NB; b++) {
			expect_ret(zpool_unmap_handle(f->pool[b], held[b][j]),
				   0, b, "nested zpool_unmap_handle",
				   held[b][j]);
			expect_ret(zpool_unmap_handle(f->pool[b], held[b][j]),
				   -EINVAL, b, "zpool_unmap_handle twice",
				   held[b][j]);
		}
	}
	f->nheld = 0;
	/* Every held object is still live (shrinking skipped their pages). */
	for (i = 0; i < nh; i++)
		for (b = 0; b < NB; b++)
			pos_of_handle(f, b, held[b][i]);
	if (flags & 6)
		f->verify_pending = true;
}

static void op_shrink(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t pages, mask;

	if (!fc_u16(c, &pages) || !fc_u16(c, &mask))
		return;
	do_shrink(f, pages % 20, mask, false);
}

static void op_compact(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint64_t before[NB];
	unsigned long got;
	int b;

	(void)c;
	for (b = 0; b < NB; b++) {
		before[b] = pages_of(f, b);
		got = zpool_compact(f->pool[b]);
		if (pages_of(f, b) != before[b] - got || (b == 1 && got))
			fm_fail("%s zpool_compact returned %lu, the pool went "
				"from %" PRIu64 " to %" PRIu64 " pages",
				type_name[b], got, before[b], pages_of(f, b));
	}
	f->verify_pending = true;
}

/* A handle the pool must not know: every call refuses it, same errors. */
static void check_bad(struct zp_fuzz *f, int b, uint64_t h, const char *what)
{
	uint64_t before = pages_of(f, b);
	char call[96];
	void *p;
	int m;

	snprintf(call, sizeof(call), "zpool_free of %s", what);
	expect_ret(zpool_free(f->pool[b], h), -EINVAL, b, call, h);
	for (m = 0; m < 3; m++) {
		snprintf(call, sizeof(call), "zpool_map_handle %s of %s",
			 mode_name[m], what);
		errno = 0;
		p = zpool_map_handle(f->pool[b], h, modes[m]);
		expect_null(p, errno, EINVAL, b, call, h);
	}
	snprintf(call, sizeof(call), "zpool_unmap_handle of %s", what);
	expect_ret(zpool_unmap_handle(f->pool[b], h), -EINVAL, b, call, h);
	if (pages_of(f, b) != before)
		fm_fail("%s: %s changed the pool's pages", type_name[b], what);
}

static void misuse_null(void)
{
	unsigned r = 7;
	uint64_t h = SENTINEL_HANDLE;
	void *p;

	expect_ret(zpool_malloc(NULL, 16, &h), -EINVAL, 0,
		   "zpool_malloc(NULL pool)", h);
	if (h != SENTINEL_HANDLE)
		fm_fail("zpool_malloc(NULL) stored a handle");
	expect_ret(zpool_free(NULL, h), -EINVAL, 0, "zpool_free(NULL)", h);
	errno = 0;
	p = zpool_map_handle(NULL, h, ZPOOL_MM_RO);
	expect_null(p, errno, EINVAL, 0, "zpool_map_handle(NULL)", h);
	expect_ret(zpool_unmap_handle(NULL, h), -EINVAL, 0,
		   "zpool_unmap_handle(NULL)", h);
	expect_ret(zpool_shrink(NULL, 1, &r), -EINVAL, 0, "zpool_shrink(NULL)",
		   0);
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
		other = zpool_create_pool(type_name[b], "zs-fuzz-other", NULL);
		if (!other)
			fm_fail("creating a second %s zpool: errno %d",
				type_name[b], errno);
		oh = SENTINEL_HANDLE;
		expect_ret(zpool_malloc(other, size, &oh), 0, b,
			   "zpool_malloc in a second pool", size);
		if (!fm_find(&f->m[b], oh))
			check_bad(f, b, oh, "another pool's handle");
		if (f->m[b].nlive)
			expect_ret(zpool_free(other,
					      f->m[b].obj[arg % f->m[b].nlive]
						      .handle),
				   -EINVAL, b,
				   "zpool_free of another pool's handle", 0);
		/* Without an evict callback zbud cannot shrink. */
		if (b == 1)
			expect_ret(zpool_shrink(other, 1, NULL), -EINVAL, b,
				   "zpool_shrink of a pool without ops", 0);
		expect_ret(zpool_free(other, oh), 0, b,
			   "zpool_free in a second pool", oh);
		if (zpool_get_total_size(other))
			fm_fail("an emptied second %s zpool holds pages",
				type_name[b]);
		zpool_destroy_pool(other);
	}
}

static void op_misuse(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	const char *what;
	uint64_t h[NB];
	uint32_t i = 0, n = f->m[0].nlive;
	int ret[NB], b, m;
	uint16_t arg;
	uint8_t kind;
	size_t size;
	void *p[NB], *q;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	if (n)
		i = arg % n;
	switch (kind % 10) {
	case 0: /* handle 0, a forged handle, a stale one */
	case 1:
	case 2:
		for (b = 0; b < NB; b++) {
			what = fm_bad_handle(&f->m[b], kind % 10, arg, &h[b]);
			if (what)
				check_bad(f, b, h[b], what);
		}
		break;
	case 3: /* double free */
		if (!do_alloc(f, 1 + arg % ZP_MAX, (uint8_t)arg))
			break;
		for (b = 0; b < NB; b++)
			h[b] = f->m[b].obj[f->m[b].nlive - 1].handle;
		do_free(f, f->m[0].nlive - 1);
		for (b = 0; b < NB; b++)
			check_bad(f, b, h[b], "a double-freed handle");
		break;
	case 4: /* unmap without map */
		if (!n)
			break;
		for (b = 0; b < NB; b++)
			ret[b] = zpool_unmap_handle(f->pool[b],
						    f->m[b].obj[i].handle);
		same_ret(ret, "zpool_unmap_handle without map");
		expect_ret(ret[0], -EINVAL, 0, "zpool_unmap_handle without map",
			   f->m[0].obj[i].handle);
		break;
	case 5: /* free while mapped, map twice */
		if (!n)
			break;
		m = arg % 2; /* RO or RW: the bytes are read back below */
		for (b = 0; b < NB; b++) {
			struct fm_obj *o = &f->m[b].obj[i];

			p[b] = map_one(f, b, o, m, "misuse map");
			fm_verify(o, p[b], "map");
			expect_ret(zpool_free(f->pool[b], o->handle), -EBUSY, b,
				   "zpool_free while mapped", o->handle);
			/* the call first: C leaves the order in which
			 * arguments are evaluated open, and errno is one */
			errno = 0;
			q = zpool_map_handle(f->pool[b], o->handle,
					     modes[(arg >> 3) % 3]);
			expect_null(q, errno, EBUSY, b,
				    "zpool_map_handle of a mapped handle",
				    o->handle);
			fm_verify(o, p[b], "map after refused calls");
			expect_ret(zpool_unmap_handle(f->pool[b], o->handle), 0,
				   b, "zpool_unmap_handle", o->handle);
		}
		break;
	case 6: /* bad map modes */
		for (b = 0; b < NB; b++) {
			h[b] = n ? f->m[b].obj[i].handle : SENTINEL_HANDLE;
			errno = 0;
			p[b] = zpool_map_handle(
				f->pool[b], h[b],
				(enum zpool_mapmode)(3 + arg % 5));
			expect_null(p[b], errno, EINVAL, b,
				    "zpool_map_handle(bad mode)", h[b]);
		}
		break;
	case 7:
		misuse_null();
		misuse_types(arg);
		break;
	case 8: /* sizes refused by both, and a NULL handle pointer */
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
		same_ret(ret, "zpool_malloc of a bad size");
		expect_ret(ret[0], size ? -ENOSPC : -EINVAL, 0,
			   "zpool_malloc of a bad size", size);
		for (b = 0; b < NB; b++)
			ret[b] = zpool_malloc(f->pool[b], 16, NULL);
		same_ret(ret, "zpool_malloc(NULL handle pointer)");
		expect_ret(ret[0], -EINVAL, 0, "zpool_malloc(NULL handle)", 0);
		break;
	default:
		misuse_foreign(f, arg);
		break;
	}
	if (n && i < f->m[0].nlive)
		verify_pair(f, i, 0);
}

/*
 * Values a pool never issued, near handles it did (fuzz/common/fuzz_model.h,
 * forge): one or two bits of a live or stale handle flipped, a second
 * pool's live handle, a value from the input.  Both backends seal their
 * handles with the same keyed permutation, so on both every candidate
 * must be refused exactly as check_bad says, and the handle it came from
 * must still read back.  The backends are judged one at a time: the same
 * change gives each its own candidate.
 */
static void op_forge(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	struct fm_forge a, ab;
	struct zpool *other;
	struct fm_obj *o;
	const char *what;
	uint64_t base, v, oh;
	char label[16];
	size_t size;
	int b;

	if (!fm_forge_read(c, &a))
		return;
	size = 1 + a.sel % ZP_MAX;
	for (b = 0; b < NB; b++) {
		ab = a;
		oh = 0;
		other = NULL;
		if (ab.base == FM_FORGE_OTHER) {
			other = zpool_create_pool(type_name[b], "zs-fuzz-forge",
						  NULL);
			if (!other)
				fm_fail("creating a second %s zpool: errno %d",
					type_name[b], errno);
			oh = SENTINEL_HANDLE;
			expect_ret(zpool_malloc(other, size, &oh), 0, b,
				   "zpool_malloc in a second pool", size);
		}
		snprintf(label, sizeof(label), "%s ", type_name[b]);
		if (!fm_forge_candidate(&f->m[b], &ab, oh, label, &base, &v,
					&what))
			continue; /* nothing issued yet */
		if (what)
			check_bad(f, b, v, what);
		if (other) {
			expect_ret(zpool_free(other, oh), 0, b,
				   "zpool_free in a second pool", oh);
			zpool_destroy_pool(other);
		}
		o = fm_find(&f->m[b], base);
		if (o) {
			fm_verify(o, map_one(f, b, o, 0, "forge"),
				  "map after forged handles");
			expect_ret(zpool_unmap_handle(f->pool[b], base), 0, b,
				   "zpool_unmap_handle", base);
		}
	}
}

static void op_fill(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint8_t count, kind, fuzz;
	uint16_t raw;
	unsigned i;

	if (!fc_u8(c, &count) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &fuzz))
		return;
	for (i = 0; i < count % 128; i++)
		do_alloc(f, choose_size(kind, (uint16_t)(raw + i * 97)),
			 (uint8_t)(fuzz + i));
}

static void op_free_many(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint8_t stride, offset;
	uint32_t i;

	if (!fc_u8(c, &stride) || !fc_u8(c, &offset))
		return;
	stride = (uint8_t)(2 + stride % 7);
	for (i = f->m[0].nlive; i-- > 0;)
		if ((i + offset) % stride == 0)
			do_free(f, i);
}

static void op_verify_all(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;

	(void)c;
	verify_all(f);
}

static void op_recreate(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	pools_close(f, !(flags & 1));
	pools_open(f, cfg);
}

/* Creating a zpool while the host refuses its `after`-th allocation from
 * now: the front end and both backends must turn every refusal into NULL
 * with errno ENOMEM and free what they had taken (LeakSanitizer checks at
 * exit), and a creation that made fewer allocations must succeed. */
static void op_host_fault(void *state, struct fuzz_cursor *c)
{
	unsigned long before = zs_host_failures_injected(), injected;
	uint8_t type, after;
	struct zpool *pool;
	uint64_t h = SENTINEL_HANDLE;
	int b, err, ret;

	(void)state;
	if (!fc_u8(c, &type) || !fc_u8(c, &after))
		return;
	b = type % NB;
	zs_inject_host_failures(after % 16, 1);
	errno = 0;
	pool = zpool_create_pool(type_name[b],
				 type & 2 ? NULL : "zs-fuzz-fault",
				 type & 4 ? &evict_ops : NULL);
	err = errno;
	injected = zs_host_failures_injected() - before;
	zs_inject_host_failures(0, 0);
	if (injected > 1)
		fm_fail("%s zpool_create_pool: %lu host failures injected, "
			"one was armed",
			type_name[b], injected);
	if (injected) {
		expect_null(pool, err, ENOMEM, b,
			    "zpool_create_pool with a host allocation refused",
			    0);
		return;
	}
	if (!pool)
		fm_fail("%s zpool_create_pool failed (errno %d) with no host "
			"allocation refused",
			type_name[b], err);
	/* The pool is whole: an object goes in and the pool empties. */
	ret = zpool_malloc(pool, 64, &h);
	expect_ret(ret, 0, b, "zpool_malloc on a pool made beside a fault", h);
	expect_ret(zpool_free(pool, h), 0, b,
		   "zpool_free on a pool made beside a fault", h);
	if (zpool_get_total_size(pool))
		fm_fail("%s: an emptied pool made beside a fault holds pages",
			type_name[b]);
	zpool_destroy_pool(pool);
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void zp_begin(void *state, uint8_t cfg)
{
	struct zp_fuzz *f = state;
	int b;

	for (b = 0; b < NB; b++)
		fm_reset(&f->m[b]);
	f->verify_pending = false;
	f->shrinking = false;
	f->written_back = 0;
	pools_open(f, cfg);
}

/* zpool has no check call: every object is read back on both pools every
 * ZP_VERIFY_EVERY ops, and after every op that moved objects. */
static void zp_after_op(void *state, bool periodic)
{
	struct zp_fuzz *f = state;

	check_sizes(f);
	if (periodic || f->verify_pending) {
		verify_all(f);
		f->verify_pending = false;
	}
}

static void zp_end(void *state)
{
	struct zp_fuzz *f = state;

	verify_all(f);
	pools_close(f, true);
}

static void zp_describe(void *state, char *buf, size_t size)
{
	struct zp_fuzz *f = state;

	snprintf(buf, size, "live %u, %llu bytes", f->m[0].nlive,
		 (unsigned long long)f->m[0].bytes);
}

static const struct fm_op zp_op_table[ZP_OP_SLOTS] = {
	[ZP_OP_ALLOC] = { "alloc", op_alloc },
	[ZP_OP_FREE] = { "free", op_free },
	[ZP_OP_WRITE] = { "write", op_write },
	[ZP_OP_READ] = { "read", op_read },
	[ZP_OP_NESTED] = { "nested", op_nested },
	[ZP_OP_SHRINK] = { "shrink", op_shrink },
	[ZP_OP_COMPACT] = { "compact", op_compact },
	[ZP_OP_MISUSE] = { "misuse", op_misuse },
	[ZP_OP_FILL] = { "fill", op_fill },
	[ZP_OP_FREE_MANY] = { "free_many", op_free_many },
	[ZP_OP_VERIFY_ALL] = { "verify_all", op_verify_all },
	[ZP_OP_RECREATE] = { "recreate", op_recreate },
	[ZP_OP_HOST_FAULT] = { "host_fault", op_host_fault },
	[ZP_OP_FORGE] = { "forge", op_forge },
};

static const struct fm_target zp_target = {
	.name = "zpool",
	.state = &F,
	.ops = zp_op_table,
	.nops = ZP_OP_SLOTS,
	.check_every = ZP_VERIFY_EVERY,
	.begin = zp_begin,
	.after_op = zp_after_op,
	.end = zp_end,
	.describe = zp_describe,
};

const char *zp_fuzz_op_name(unsigned opcode)
{
	return fm_op_name(&zp_target, opcode);
}

int zp_fuzz_run(const uint8_t *data, size_t size)
{
	return fm_run(&zp_target, data, size);
}
