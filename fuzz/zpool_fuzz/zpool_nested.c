// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_nested.c - the zpool target's nested op: maps held on
 * both pools at once, the same on both, and work done while they are held.
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

/* The maps op nested holds on each pool, and what each should show: the
 * model's object with the op's own write. */
struct nest {
	uint64_t held[NB][ZP_MAPS];
	void *hp[NB][ZP_MAPS];
	struct fm_obj view[ZP_MAPS];
	unsigned nh;
};

/* Writes through the new map p[] of pair pos (RW: a part, WO: all). */
static void nest_write(struct zp_fuzz *f, struct nest *ns, uint32_t pos,
		       int mode, uint16_t sel, unsigned i, void *p[NB])
{
	struct fm_obj *v = &ns->view[ns->nh];
	uint32_t len, seed;
	int b;

	len = mode == 2 ? v->size : fm_write_len(v, sel >> 4);
	seed = zpf_seed_for(f, (uint8_t)i);
	fm_pattern(f->buf, seed, 0, len);
	for (b = 0; b < NB; b++) {
		memcpy(p[b], f->buf, len);
		fm_note_write(&f->m[b].obj[pos], len, seed);
	}
	fm_note_write(v, len, seed);
}

/* The i-th map of the op, on both pools: -EBUSY on both for a handle
 * mapped already or over the limit; else held, read back (RO, RW) and
 * written through (RW, WO). */
static void nest_map(struct zp_fuzz *f, struct nest *ns, uint16_t sel, int mode,
		     unsigned i)
{
	uint32_t pos = sel % f->m[0].nlive;
	uint64_t h = f->m[0].obj[pos].handle;
	int ret[NB], b;
	void *p[NB];
	unsigned j;

	for (j = 0; j < ns->nh && ns->held[0][j] != h; j++)
		;
	for (b = 0; b < NB; b++) {
		errno = 0;
		p[b] = zpool_map_handle(f->pool[b], f->m[b].obj[pos].handle,
					zpf_modes[mode]);
		ret[b] = p[b] ? 0 : -errno;
	}
	zpf_same_ret(ret, "nested zpool_map_handle");
	if (j < ns->nh || ns->nh == ZP_MAPS) {
		zpf_expect_ret(ret[0], -EBUSY, 0,
			       j < ns->nh ?
				       "zpool_map_handle of a mapped handle" :
				       "zpool_map_handle over the map limit",
			       h);
		return;
	}
	zpf_expect_ret(ret[0], 0, 0, "nested zpool_map_handle", h);
	ns->view[ns->nh] = f->m[0].obj[pos];
	if (mode != 2)
		for (b = 0; b < NB; b++)
			fm_verify(&f->m[b].obj[pos], p[b], "nested map");
	if (mode != 0)
		nest_write(f, ns, pos, mode, sel, i, p);
	for (b = 0; b < NB; b++) {
		ns->held[b][ns->nh] = f->m[b].obj[pos].handle;
		ns->hp[b][ns->nh] = p[b];
	}
	ns->nh++;
}

/* Work while the maps are held, as flags asks. */
static void nest_work(struct zp_fuzz *f, const struct nest *ns, uint8_t flags)
{
	int ret[NB], b;

	if (flags & 1) {
		for (b = 0; b < NB; b++)
			ret[b] = zpool_free(f->pool[b], ns->held[b][0]);
		zpf_same_ret(ret, "zpool_free while mapped");
		zpf_expect_ret(ret[0], -EBUSY, 0, "zpool_free while mapped",
			       ns->held[0][0]);
	}
	if (flags & 2)
		for (b = 0; b < NB; b++)
			zpool_compact(f->pool[b]);
	if (flags & 4)
		zpf_do_shrink(f, 1 + (flags >> 4), 0, true);
}

/* Each map released twice (the second -EINVAL), in an order from the
 * input; then every held object is still live (shrinking skipped their
 * pages). */
static void nest_release(struct zp_fuzz *f, const struct nest *ns,
			 uint8_t flags)
{
	bool done[ZP_MAPS] = { false };
	unsigned i, j, k;
	uint64_t h;
	int b;

	for (k = 0; k < ns->nh; k++) {
		j = fm_release_next(k, 2u * flags + 1, flags >> 3, ns->nh,
				    done);
		for (b = 0; b < NB; b++) {
			h = ns->held[b][j];
			zpf_expect_ret(zpool_unmap_handle(f->pool[b], h), 0, b,
				       "nested zpool_unmap_handle", h);
			zpf_expect_ret(zpool_unmap_handle(f->pool[b], h),
				       -EINVAL, b, "zpool_unmap_handle twice",
				       h);
		}
	}
	f->nheld = 0;
	for (i = 0; i < ns->nh; i++)
		for (b = 0; b < NB; b++)
			zpf_pos_of_handle(f, b, ns->held[b][i]);
}

/*
 * Up to ZP_MAPS + 2 maps on each pool at once, the same on both: over the
 * limit and twice are -EBUSY on both.  Writes through RW and WO maps;
 * while held, free (-EBUSY on both), compaction and shrinking (held
 * objects stay put; at the map limit zbud's evicts cannot read and fail),
 * then unmapped in another order, each twice.
 */
void zpf_op_nested(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t sel[ZP_MAPS + 2], modebits;
	uint8_t n, flags;
	struct nest ns;
	unsigned i;
	int b;

	if (!fc_u8(c, &n) || !fc_u8(c, &flags) || !fc_u16(c, &modebits))
		return;
	n = (uint8_t)(1 + n % (ZP_MAPS + 2));
	for (i = 0; i < n; i++)
		if (!fc_u16(c, &sel[i]))
			return;
	if (!f->m[0].nlive)
		return;
	ns.nh = 0;
	for (i = 0; i < n; i++)
		nest_map(f, &ns, sel[i],
			 (int)((modebits >> (2 * (i % 8))) & 3) % 3, i);
	f->nheld = ns.nh;
	fm_trace("  nested: %u held, flags %#x\n", ns.nh, flags);
	nest_work(f, &ns, flags);
	/* What each held pointer shows: the model's bytes, with our write. */
	for (i = 0; i < ns.nh; i++) {
		for (b = 0; b < NB; b++) {
			ns.view[i].handle = ns.held[b][i];
			fm_verify(&ns.view[i], ns.hp[b][i],
				  "a held map after work");
		}
	}
	nest_release(f, &ns, flags);
	if (flags & 6)
		f->verify_pending = true;
}
