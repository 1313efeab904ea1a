// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_objects.c - the zpool target's objects, in pairs: one
 * on each backend, allocated, written, read back and freed in lockstep, and
 * the ops that do nothing else (alloc, free, write, read, fill, free_many,
 * verify_all).
 *
 * Both models get the same adds and removes in the same order, so obj[i]
 * of one is obj[i] of the other; every result must be the same on both.
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

/* ---- helpers ---- */

void zpf_expect_ret(int got, int want, int b, const char *call, uint64_t h)
{
	if (got != want)
		fm_fail("%s %s(handle %#" PRIx64 ") returned %d, expected %d",
			zpf_type_name[b], call, h, got, want);
}

void zpf_expect_null(const void *p, int err, int want, int b, const char *call,
		     uint64_t h)
{
	if (p || err != want)
		fm_fail("%s %s(handle %#" PRIx64 ") returned %p errno %d, "
			"expected NULL errno %d",
			zpf_type_name[b], call, h, p, err, want);
}

/* Both backends answered a call the same way. */
void zpf_same_ret(const int ret[NB], const char *call)
{
	if (ret[0] != ret[1])
		fm_fail("%s: zsmalloc returned %d, zbud %d", call, ret[0],
			ret[1]);
}

uint64_t zpf_pages_of(struct zp_fuzz *f, int b)
{
	uint64_t sz = zpool_get_total_size(f->pool[b]);

	if (sz % ZS_PAGE_SIZE)
		fm_fail("%s zpool_get_total_size %" PRIu64 " is not whole "
			"pages",
			zpf_type_name[b], sz);
	return sz / ZS_PAGE_SIZE;
}

uint32_t zpf_seed_for(struct zp_fuzz *f, uint8_t fuzz)
{
	return fm_new_seed(&f->m[0], fuzz);
}

/* Removes the pair at position pos from both models. */
void zpf_pair_remove(struct zp_fuzz *f, uint32_t pos)
{
	fm_remove(&f->m[0], &f->m[0].obj[pos]);
	fm_remove(&f->m[1], &f->m[1].obj[pos]);
}

/* Sizes and densities of both pools against the models. */
void zpf_check_sizes(struct zp_fuzz *f)
{
	uint64_t p0 = zpf_pages_of(f, 0), p1 = zpf_pages_of(f, 1);
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

void *zpf_map_one(struct zp_fuzz *f, int b, const struct fm_obj *o, int mode,
		  const char *how)
{
	void *p;

	errno = 0;
	p = zpool_map_handle(f->pool[b], o->handle, zpf_modes[mode]);
	if (!p)
		fm_fail("%s %s: zpool_map_handle(%#" PRIx64 ", %s) failed, "
			"errno %d",
			zpf_type_name[b], how, o->handle, zpf_mode_name[mode],
			errno);
	return p;
}

/* Reads pair i back through mode (RO or RW) on both. */
void zpf_verify_pair(struct zp_fuzz *f, uint32_t i, int mode)
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

		snprintf(how, sizeof(how), "%s map %s", zpf_type_name[b],
			 zpf_mode_name[mode]);
		fm_verify(o, zpf_map_one(f, b, o, mode, how), how);
		zpf_expect_ret(zpool_unmap_handle(f->pool[b], o->handle), 0, b,
			       "zpool_unmap_handle", o->handle);
	}
}

void zpf_verify_all(struct zp_fuzz *f)
{
	static unsigned turn;
	uint32_t i;

	turn++;
	for (i = 0; i < f->m[0].nlive; i++)
		zpf_verify_pair(f, i, (int)((i + turn) % 2));
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

		p = zpf_map_one(f, b, o, mode, "write");
		if (mode == 1 && !fresh)
			fm_verify(o, p, "map RW before a write");
		memcpy(p, f->buf, len);
		zpf_expect_ret(zpool_unmap_handle(f->pool[b], o->handle), 0, b,
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
bool zpf_do_alloc(struct zp_fuzz *f, size_t size, uint8_t fuzz)
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
			 zpf_type_name[b], size, ret[b], h[b]);
	}
	zpf_same_ret(ret, "zpool_malloc");
	for (b = 0; b < NB; b++) {
		zpf_expect_ret(ret[b], want, b, "zpool_malloc", size);
		if (ret[b] ? h[b] != SENTINEL_HANDLE :
			     h[b] == 0 || h[b] == SENTINEL_HANDLE)
			fm_fail("%s zpool_malloc(%zu) = %d stored handle %#" PRIx64,
				zpf_type_name[b], size, ret[b], h[b]);
	}
	if (want)
		return false;
	for (b = 0; b < NB; b++)
		fm_add(&f->m[b], h[b], (uint32_t)size, 0);
	write_pair(f, f->m[0].nlive - 1, 2, 0, zpf_seed_for(f, fuzz), true);
	return true;
}

void zpf_do_free(struct zp_fuzz *f, uint32_t i)
{
	int ret[NB], b;

	for (b = 0; b < NB; b++)
		ret[b] = zpool_free(f->pool[b], f->m[b].obj[i].handle);
	zpf_same_ret(ret, "zpool_free");
	zpf_expect_ret(ret[0], 0, 0, "zpool_free", f->m[0].obj[i].handle);
	zpf_pair_remove(f, i);
}

/* ---- the ops ---- */

void zpf_op_alloc(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint8_t kind, fuzz;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz))
		return;
	zpf_do_alloc(f, choose_size(kind, raw), fuzz);
}

void zpf_op_free(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !f->m[0].nlive)
		return;
	zpf_do_free(f, sel % f->m[0].nlive);
}

void zpf_op_write(void *state, struct fuzz_cursor *c)
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
		   zpf_seed_for(f, fuzz), false);
}

void zpf_op_read(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t sel;
	uint8_t mode;

	if (!fc_u16(c, &sel) || !fc_u8(c, &mode) || !f->m[0].nlive)
		return;
	zpf_verify_pair(f, sel % f->m[0].nlive, mode & 1);
}

static void fill_alloc(void *state, size_t size, uint8_t fuzz)
{
	zpf_do_alloc(state, size, fuzz);
}

void zpf_op_fill(void *state, struct fuzz_cursor *c)
{
	fm_op_fill(state, c, 128, choose_size, fill_alloc);
}

static void free_at(void *state, uint32_t pos)
{
	zpf_do_free(state, pos);
}

void zpf_op_free_many(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;

	fm_op_free_many(state, c, &f->m[0], free_at);
}

void zpf_op_verify_all(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;

	(void)c;
	zpf_verify_all(f);
}
