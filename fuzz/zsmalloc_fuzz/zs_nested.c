// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_nested.c - the zsmalloc target's nested op: several
 * handles mapped and read at once by one thread.
 *
 * zsmalloc pins what a thread maps or reads until it lets go, and bounds
 * how many (ZS_MAX_THREAD_MAPS, ZS_MAX_THREAD_READS).  Holding objects
 * while the pool is asked to free, compact, shrink and give pages back is
 * where a pin that does not hold would show: a held object must neither
 * move nor change, a map or read past a limit must be refused with EBUSY,
 * and a bad handle must still be reported as bad at a limit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/zsmalloc.h"

/* One object held by op_nested: mapped (RO/RW/WO) or being read. */
struct held {
	struct fm_obj *o;
	int kind; /* 0 RO, 1 RW, 2 WO, 3 read */
	const void *p;
	struct fm_obj view; /* what p must show (the model plus our write) */
};

/* What one nested op holds, and how many maps and reads of it. */
struct nested {
	struct held held[HELD_MAX];
	unsigned nheld, nmaps, nreads;
};

static const enum zs_mapmode modes[] = { ZS_MM_RO, ZS_MM_RW, ZS_MM_WO };
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

/* A map of what this thread already maps, or past either limit, must be
 * refused with EBUSY; true when it was such a call. */
static bool nested_refused(struct zs_fuzz *f, struct nested *ns,
			   const struct held *hd, uint64_t h, int kind)
{
	void *p;

	if (kind < 3 && (hd ? hd->kind < 3 : ns->nmaps == ZS_MAX_THREAD_MAPS)) {
		errno = 0;
		p = zs_map_object(f->pool, h, modes[kind]);
		fm_expect_null(p, errno, EBUSY,
			       hd ? "zs_map_object of a handle mapped "
				    "twice" :
				    "zs_map_object over the map limit",
			       h);
		return true;
	}
	if (!hd && kind == 3 && ns->nreads == ZS_MAX_THREAD_READS) {
		errno = 0;
		p = (void *)zs_obj_read_begin(f->pool, h, f->local[ns->nheld]);
		fm_expect_null(p, errno, EBUSY,
			       "zs_obj_read_begin over the read limit", h);
		return true;
	}
	return false;
}

static void nested_read(struct zs_fuzz *f, struct nested *ns, struct held *hd)
{
	const struct fm_obj *o = hd->o;

	const uint8_t *local = f->local[ns->nheld];
	uint32_t b;

	memset(f->local[ns->nheld], 0x5a, o->size);
	hd->p = zs_obj_read_begin(f->pool, o->handle, f->local[ns->nheld]);
	fm_verify(o, hd->p, "nested zs_obj_read_begin");
	/* in place, whatever the object's position: the copy is not used */
	for (b = 0; b < o->size; b++)
		if (local[b] != 0x5a || hd->p == (const void *)local)
			fm_fail("nested zs_obj_read_begin(%#" PRIx64
				") used its local copy",
				o->handle);
	ns->nreads++;
}

/* Maps hd's object; RW and WO maps write a new pattern through the map,
 * which hd->view records until the unmap makes it the model's. */
static void nested_map(struct zs_fuzz *f, struct nested *ns, struct held *hd,
		       unsigned i, uint16_t sel)
{
	const struct fm_obj *o = hd->o;
	uint64_t h = o->handle;
	int kind = hd->kind;
	uint32_t len;
	void *p;

	p = zs_map_object(f->pool, h, modes[kind]);
	if (!p)
		fm_fail("nested zs_map_object(%#" PRIx64
			", %s) with %u maps held: errno %d",
			h, held_kind[kind], ns->nmaps, errno);
	if (kind != 2)
		fm_verify(o, p, "nested map");
	if (kind != 0) {
		len = kind == 2 ? o->size : fm_write_len(o, sel >> 4);
		fm_note_write(&hd->view, len, fm_new_seed(&f->m, (uint8_t)i));
		fm_expect(&hd->view, p);
	}
	hd->p = p;
	ns->nmaps++;
}

/* The i-th selection: mapped or read, unless refused or already held. */
static void nested_take(struct zs_fuzz *f, struct nested *ns, unsigned i,
			uint16_t sel, uint16_t modebits)
{
	struct fm_obj *o = fm_pick(&f->m, sel);
	uint64_t h = o->handle;
	int kind = (modebits >> (2 * (i % 8)) ^ (i >= 8 ? 2 : 0)) & 3;
	struct held *hd = held_find(ns->held, ns->nheld, h);

	if (nested_refused(f, ns, hd, h, kind) || hd)
		return;
	hd = &ns->held[ns->nheld];
	hd->o = o;
	hd->kind = kind;
	hd->view = *o;
	if (kind == 3)
		nested_read(f, ns, hd);
	else
		nested_map(f, ns, hd, i, sel);
	ns->nheld++;
}

/* At a limit, a bad handle is still reported as bad. */
static void nested_stale_at_limit(struct zs_fuzz *f, struct nested *ns,
				  uint8_t order)
{
	uint64_t h = fm_pick_stale(&f->m, order);
	void *p;

	if (h && ns->nmaps == ZS_MAX_THREAD_MAPS) {
		errno = 0;
		p = zs_map_object(f->pool, h, ZS_MM_RO);
		fm_expect_null(
			p, errno, EINVAL,
			"zs_map_object of a stale handle at the map limit", h);
	}
	if (h && ns->nreads == ZS_MAX_THREAD_READS) {
		errno = 0;
		p = (void *)zs_obj_read_begin(f->pool, h, f->local[0]);
		fm_expect_null(
			p, errno, EINVAL,
			"zs_obj_read_begin of a stale handle at the limit", h);
	}
}

/* Work done while the objects are held (flags' low 5 bits): none of it
 * may free, move or change a held object. */
static void nested_work(struct zs_fuzz *f, struct nested *ns, uint8_t flags)
{
	struct held *hd = &ns->held[(flags >> 6) % ns->nheld];
	struct zs_pool_stats before;

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
		held_verify(ns->held, ns->nheld, "across zs_compact");
	}
	if (flags & 4)
		zsf_pool_check(f, "with objects held");
	if (flags & 8) {
		zs_shrinker_scan(f->pool, ~0UL);
		held_verify(ns->held, ns->nheld, "across zs_shrinker_scan");
	}
	if (flags & 16) {
		zs_arena_compact(zsf_arena_of(f));
		held_verify(ns->held, ns->nheld, "across zs_arena_compact");
	}
}

/* Releases everything in an order of the input's choosing; with flags'
 * bit 5, the last one released is released again and must be refused. */
static void nested_release(struct zs_fuzz *f, struct nested *ns, uint8_t order,
			   uint8_t flags)
{
	struct held *held = ns->held, *hd, tmp;
	uint32_t rng = order * 2654435761u + 1;
	unsigned i, j, n = ns->nheld;
	uint64_t h;

	for (i = n - 1; i > 0; i--) {
		rng = rng * 1103515245u + 12345u;
		j = (rng >> 16) % (i + 1);
		tmp = held[i];
		held[i] = held[j];
		held[j] = tmp;
	}
	for (i = 0; i < n; i++) {
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
	if (!(flags & 32))
		return;
	h = held[n - 1].o->handle;
	if (held[n - 1].kind == 3)
		fm_expect_ret(zs_obj_read_end(f->pool, h, held[n - 1].p),
			      -EINVAL, "zs_obj_read_end twice", h);
	else
		fm_expect_ret(zs_unmap_object(f->pool, h), -EINVAL,
			      "zs_unmap_object twice", h);
}

/*
 * Several handles mapped and read at once, with work done while they are
 * held (free -> -EBUSY, compaction, check, shrinking, arena compaction:
 * held objects must not move nor change), then released in another order.
 * Arguments: u8 n, u8 flags, u16 modes (2 bits per selection), u8 order,
 * n x u16 sel.
 */
void zsf_op_nested(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint16_t sel[HELD_MAX], modebits;
	uint8_t n, flags, order;
	struct nested ns;
	unsigned i;

	if (!fc_u8(c, &n) || !fc_u8(c, &flags) || !fc_u16(c, &modebits) ||
	    !fc_u8(c, &order))
		return;
	n = (uint8_t)(1 + n % HELD_MAX);
	for (i = 0; i < n; i++)
		if (!fc_u16(c, &sel[i]))
			return;
	if (!f->m.nlive)
		return;
	ns.nheld = ns.nmaps = ns.nreads = 0;
	for (i = 0; i < n; i++)
		nested_take(f, &ns, i, sel[i], modebits);
	fm_trace("  nested: %u held (%u maps, %u reads), flags %#x\n", ns.nheld,
		 ns.nmaps, ns.nreads, flags);
	if (!ns.nheld)
		return;
	nested_stale_at_limit(f, &ns, order);
	nested_work(f, &ns, flags);
	nested_release(f, &ns, order, flags);
	for (i = 0; i < ns.nheld; i++)
		zsf_verify_obj(f, ns.held[i].o, (int)(i % V_METHODS));
	if (flags & 26)
		f->verify_pending = true;
}
