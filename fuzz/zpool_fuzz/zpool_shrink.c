// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_shrink.c - the zpool target's shrinking and compaction:
 * zpool_shrink against both backends, the zbud pool's evict callback, and
 * zpool_compact.
 *
 * Only zbud evicts: an object it evicts is verified, written back by the
 * callback and freed on both backends, as a write-back tier above zpool
 * would drop it from both.  Each backend must free exactly the pages it
 * reports.
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

/* ---- shrinking ---- */

uint32_t zpf_pos_of_handle(struct zp_fuzz *f, int b, uint64_t h)
{
	struct fm_obj *o = fm_find(&f->m[b], h);

	if (!o)
		fm_fail("%s: handle %#" PRIx64 " is not live", zpf_type_name[b],
			h);
	return (uint32_t)(o - f->m[b].obj);
}

/*
 * The evict callback: only the zbud pool evicts.  The object's bytes are
 * verified through a map, written back, and the pair freed on both
 * backends.  The fail mask makes chosen evicts fail; at the map limit the
 * object cannot be read, so the evict fails too.
 */
int zpf_evict(struct zpool *pool, uint64_t handle)
{
	struct zp_fuzz *f = zp_fuzz_target.state;
	unsigned call = f->ncalls++;
	struct fm_obj *o;
	uint32_t i;
	void *p;

	if (!f->shrinking || pool != f->pool[1])
		fm_fail("evict callback for pool %p outside the zbud pool's "
			"zpool_shrink",
			(void *)pool);
	i = zpf_pos_of_handle(f, 1, handle);
	o = &f->m[1].obj[i];
	if (f->nheld == ZP_MAPS) {
		errno = 0;
		p = zpool_map_handle(pool, handle, ZPOOL_MM_RO);
		zpf_expect_null(p, errno, EBUSY, 1,
				"zpool_map_handle in evict at "
				"the map limit",
				handle);
		return -EBUSY;
	}
	if (f->fail_mask >> (call % 16) & 1)
		return -EIO;
	fm_verify(o, zpf_map_one(f, 1, o, 0, "evict"), "zbud map in evict");
	zpf_expect_ret(zpool_unmap_handle(pool, handle), 0, 1,
		       "zpool_unmap_handle in evict", handle);
	zpf_expect_ret(zpool_free(pool, handle), 0, 1, "zpool_free in evict",
		       handle);
	zpf_expect_ret(zpool_free(f->pool[0], f->m[0].obj[i].handle), 0, 0,
		       "zpool_free of an evicted object's twin",
		       f->m[0].obj[i].handle);
	f->written_back++;
	f->evicted++;
	fm_trace("  evict %#" PRIx64 " (%u bytes)\n", handle, o->size);
	zpf_pair_remove(f, i);
	return 0;
}

/*
 * zpool_shrink on both: zsmalloc compacts (nothing leaves the pool), zbud
 * evicts; each frees exactly the pages it reports and returns 0 only when
 * it freed all it was asked for.  The contents must stay the same.
 */
void zpf_do_shrink(struct zp_fuzz *f, unsigned pages, uint16_t mask,
		   bool pinned)
{
	unsigned got[NB];
	uint64_t before[NB], objs;
	int ret[NB], b;

	for (b = 0; b < NB; b++) {
		before[b] = zpf_pages_of(f, b);
		objs = f->m[0].nlive;
		got[b] = 12345;
		f->shrinking = b == 1;
		f->fail_mask = mask;
		f->ncalls = f->evicted = 0;
		ret[b] = zpool_shrink(f->pool[b], pages, &got[b]);
		f->shrinking = false;
		fm_trace("  %s zpool_shrink(%u) = %d, %u pages, %u evicted\n",
			 zpf_type_name[b], pages, ret[b], got[b], f->evicted);
		if (zpf_pages_of(f, b) != before[b] - got[b])
			fm_fail("%s zpool_shrink reported %u pages freed, the "
				"pool went from %" PRIu64 " to %" PRIu64,
				zpf_type_name[b], got[b], before[b],
				zpf_pages_of(f, b));
		if (pages == 0) {
			/* Nothing asked, nothing to refuse. */
			zpf_expect_ret(ret[b], 0, b, "zpool_shrink(0)", 0);
		} else if (b == 1 && !f->has_evict) {
			zpf_expect_ret(ret[b], -EINVAL, b,
				       "zpool_shrink without evict", pages);
		} else {
			zpf_expect_ret(ret[b], got[b] >= pages ? 0 : -EAGAIN, b,
				       "zpool_shrink", got[b]);
		}
		/* zbud frees at most what was asked; zsmalloc frees whole
		 * zspages, so up to one zspage (16 pages at most) more */
		if ((got[b] > pages && b == 1) ||
		    (b == 0 && got[b] >= pages + ZP_ZSPAGE_MAX_PAGES) ||
		    (b == 0 && f->ncalls))
			fm_fail("%s zpool_shrink(%u) freed %u pages, %u evicts",
				zpf_type_name[b], pages, got[b], f->ncalls);
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

void zpf_op_shrink(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint16_t pages, mask;

	if (!fc_u16(c, &pages) || !fc_u16(c, &mask))
		return;
	zpf_do_shrink(f, pages % 20, mask, false);
}

void zpf_op_compact(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint64_t before[NB];
	unsigned long got;
	int b;

	(void)c;
	for (b = 0; b < NB; b++) {
		before[b] = zpf_pages_of(f, b);
		got = zpool_compact(f->pool[b]);
		if (zpf_pages_of(f, b) != before[b] - got || (b == 1 && got))
			fm_fail("%s zpool_compact returned %lu, the pool went "
				"from %" PRIu64 " to %" PRIu64 " pages",
				zpf_type_name[b], got, before[b],
				zpf_pages_of(f, b));
	}
	f->verify_pending = true;
}
