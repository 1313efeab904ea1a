// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_nested.c - the zbud target's nested op: several objects
 * mapped at once, and work done while they are held.
 *
 * A map pins its page: reclaim must skip it, arena compaction must not
 * move it, a free of it must be refused, and the map limit must hold.
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

/* The maps op nested holds: handles (work may move model positions) and
 * the pointers zbud_map gave. */
struct nest {
	uint64_t held[ZB_MAPS];
	void *hp[ZB_MAPS];
};

/* The i-th map of the op: refused (-EBUSY) when the object is mapped
 * already or the limit is reached; else held, and written through when
 * bit 15 of its selector says so. */
static void nest_map(struct zb_fuzz *f, struct nest *ns, uint16_t sel,
		     unsigned i)
{
	struct fm_obj *o = fm_pick(&f->m, sel);
	uint64_t h = o->handle;
	void *p;

	if (f->side[pos_of(f, o)].mapped || f->nheld == ZB_MAPS) {
		errno = 0;
		p = zbud_map(f->pool, h);
		fm_expect_null(p, errno, EBUSY,
			       f->side[pos_of(f, o)].mapped ?
				       "zbud_map of a mapped handle" :
				       "zbud_map over the map limit",
			       h);
		return;
	}
	p = zbf_map_obj(f, o, "nested map");
	fm_verify(o, p, "nested zbud_map");
	if (sel & 0x8000) {
		uint32_t len = fm_write_len(o, (sel >> 4) & 0x7ff);
		uint32_t seed = fm_new_seed(&f->m, (uint8_t)i);

		fm_pattern(f->buf, seed, 0, len);
		memcpy(p, f->buf, len);
		fm_note_write(o, len, seed);
	}
	f->side[pos_of(f, o)].mapped = true;
	ns->held[f->nheld] = h;
	ns->hp[f->nheld] = p;
	f->held_page[f->nheld++] = f->side[pos_of(f, o)].page;
}

/* Work while the maps are held, as flags asks. */
static void nest_work(struct zb_fuzz *f, const struct nest *ns, uint8_t flags)
{
	if (flags & 1)
		fm_expect_ret(zbud_free(f->pool, ns->held[0]), -EBUSY,
			      "zbud_free while mapped", ns->held[0]);
	if ((flags & 2) && f->has_evict)
		zbf_do_reclaim(f, 1 + (flags >> 4) % 4, 0, 0);
	/* Compaction only below the map limit: zbf_relocate() maps the objects
	 * not held to learn where they went. */
	if ((flags & 4) && f->nheld < ZB_MAPS) {
		zs_arena_compact(f->arena);
		zbf_relocate(f, "arena compaction with maps held");
	}
	if (flags & 8)
		zbf_pool_check(f, "with maps held");
}

/* Every held object still live, where its map says, with its bytes. */
static void nest_check_held(struct zb_fuzz *f, const struct nest *ns)
{
	struct fm_obj *o;
	unsigned i;

	for (i = 0; i < f->nheld; i++) {
		o = fm_find(&f->m, ns->held[i]);
		if (!o)
			fm_fail("held handle %#" PRIx64 " was freed under its "
				"map",
				ns->held[i]);
		fm_verify(o, ns->hp[i], "a held map after work");
		zbf_check_place(f, o, ns->hp[i], "a held map after work");
	}
}

/* Each map released twice (the second -EINVAL), in an order from the
 * input. */
static void nest_release(struct zb_fuzz *f, const struct nest *ns,
			 uint8_t order)
{
	bool done[ZB_MAPS] = { false };
	unsigned j, k;
	uint64_t h;

	for (k = 0; k < f->nheld; k++) {
		j = fm_release_next(k, 2u * order + 1, order, f->nheld, done);
		h = ns->held[j];
		fm_expect_ret(zbud_unmap(f->pool, h), 0, "nested zbud_unmap",
			      h);
		fm_expect_ret(zbud_unmap(f->pool, h), -EINVAL,
			      "zbud_unmap twice", h);
		f->side[pos_of(f, fm_find(&f->m, h))].mapped = false;
	}
	f->nheld = 0;
}

/*
 * Up to ZB_MAPS + 2 maps at once (over the limit and twice: -EBUSY),
 * writes through some, work done while they are held (free -> -EBUSY,
 * reclaim skipping the pinned pages, arena compaction moving none of them,
 * a check), then unmapped in another order, each unmapped twice.  Work may
 * free other objects, which moves model positions: held objects are
 * named by handle.
 */
void zbf_op_nested(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint16_t sel[ZB_MAPS + 2];
	uint8_t n, flags, order;
	struct nest ns;
	unsigned i;

	if (!fc_u8(c, &n) || !fc_u8(c, &flags) || !fc_u8(c, &order))
		return;
	n = (uint8_t)(1 + n % (ZB_MAPS + 2));
	for (i = 0; i < n; i++)
		if (!fc_u16(c, &sel[i]))
			return;
	if (!f->m.nlive)
		return;
	f->nheld = 0;
	for (i = 0; i < n; i++)
		nest_map(f, &ns, sel[i], i);
	fm_trace("  nested: %u held, flags %#x\n", f->nheld, flags);
	nest_work(f, &ns, flags);
	nest_check_held(f, &ns);
	nest_release(f, &ns, order);
	if (flags & 6)
		f->verify_pending = true;
}
