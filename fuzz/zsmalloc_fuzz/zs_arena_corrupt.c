// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_arena_corrupt.c - the arena half of op corrupt
 * (white box, zs/arena_internal.h): one planter per zs_arena_check finding,
 * run under the arena lock, judged by the kind of the one report it
 * causes, and undone.
 *
 * Each planter writes only what makes its one finding true, so the checks
 * before it in zs_arena_check still pass and it is the report: a finding
 * with two halves (a region slot past the limit or empty, a run's length
 * 0 or too long, ...) gets a variant per half.  The findings allowed
 * while a compaction runs (isolated pages, evacuating regions, owners'
 * callbacks in flight, the allocation hint)
 * are first planted with the arena marked compacting, where the check must
 * stay clean, so the condition is proven to matter.  Every write is logged
 * and restored newest first, after which the arena must hash as before
 * and check clean.  The run findings need a run of more than one page
 * (a zspage of several pages, or one of op arena_pages' runs): where there
 * is none, their kinds have no place and are skipped.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/arena_internal.h"

/* A planting under way; sel's low 13 bits pick the place, its top 3 the
 * variant. */
struct arena_plant {
	struct fm_plant base;
	struct fm_patch_log *log; /* &base.log */
	struct zs_arena *a;
	unsigned n; /* regions */
	unsigned pick, v; /* place and variant */
	unsigned e; /* an address table entry (pick's), when n > 0 */
	struct arena_region *r; /* its region, or NULL */
};

/* ---- places ---- */

/* The highest region slot in use, and its address-table entry. */
static unsigned top_slot(const struct zs_arena *a, unsigned *kp)
{
	unsigned k, top = 0;

	for (k = 0; k < a->nregions; k++)
		if (arena_by_addr_at(a, k) >= top) {
			top = arena_by_addr_at(a, k);
			*kp = k;
		}
	return top;
}

/* Region slot i's entry, the table spilled first when i is past the
 * inline entries (a spill with nothing in it is a state the arena can be
 * in); NULL when the host refuses the mapping. */
static struct arena_region **region_slot(struct zs_arena *a, unsigned i)
{
	if (i >= ARENA_INLINE_REGIONS && zs_arena_spill(a))
		return NULL;
	return arena_region_slot(a, i);
}

/* Owner slot id the same way. */
static struct arena_owner *owner_slot(struct zs_arena *a, unsigned id)
{
	if (id >= ARENA_INLINE_OWNERS && zs_arena_spill(a))
		return NULL;
	return arena_owner_slot(a, id);
}

/* An unused region slot below the slot limit, raising the limit by one
 * to make one when there is no hole (a raised limit alone is no finding:
 * slots at or past it only have to be unused).  false when the table is
 * full. */
static bool unused_slot(struct arena_plant *p, unsigned *slot)
{
	struct zs_arena *a = p->a;
	unsigned j, lim = a->slot_limit;

	for (j = 0; j < lim; j++)
		if (!arena_region_at(a, (p->pick + j) % lim)) {
			*slot = (p->pick + j) % lim;
			return true;
		}
	if (lim >= ARENA_MAX_REGIONS)
		return false;
	FM_PATCH(p->log, a->slot_limit, lim + 1);
	*slot = lim;
	return true;
}

/* Map entry helpers: a tail's place, a head's record. */
static bool is_tail(uint16_t m)
{
	return m & ARENA_MAP_TAIL;
}

static struct arena_run_rec *rec_of(struct arena_region *r, unsigned h)
{
	return &r->recs[r->map[h] - 1];
}

/* The head of a run in use chosen by pick, its region in *rp and place in
 * *ip; NULL when none.  A run's head, because a tail is checked from its
 * head first: a tail broken alone is a run finding (zspages are runs of
 * up to 16 pages), whatever the planter meant. */
static struct arena_run_rec *used_page(struct arena_plant *p,
				       struct arena_region **rp, unsigned *ip)
{
	struct arena_region *r;
	unsigned e;
	int i = fm_arena_pick_page(p->a, p->pick, false, &e);

	if (i < 0)
		return NULL;
	r = fm_arena_region(p->a, e);
	if (is_tail(r->map[i]))
		i -= r->map[i] & ~ARENA_MAP_TAIL;
	*rp = r;
	*ip = (unsigned)i;
	return rec_of(r, (unsigned)i);
}

/* The head of a run of at least min pages chosen by pick, its region and
 * place in *rp and *ip; NULL when there is none (zspages of more than one
 * page, and the harness's own runs, are such runs). */
static struct arena_run_rec *used_run(struct arena_plant *p, unsigned min,
				      struct arena_region **rp, unsigned *ip)
{
	unsigned j, i, pi;

	for (j = 0; j < p->n; j++) {
		struct arena_region *r =
			fm_arena_region(p->a, (p->pick + j) % p->n);

		for (i = 0; i < ARENA_REGION_PAGES; i++) {
			pi = (p->pick * 7u + i) % ARENA_REGION_PAGES;
			if (fm_arena_page_is_free(r, pi) ||
			    is_tail(r->map[pi]) || rec_of(r, pi)->pages < min) {
				continue;
			}
			*rp = r;
			*ip = pi;
			return rec_of(r, pi);
		}
	}
	return NULL;
}

/* As used_run for a run of 2 pages or more, with one of its tails, page
 * *kp of the run, also chosen by pick. */
static struct arena_run_rec *used_run_tail(struct arena_plant *p,
					   struct arena_region **rp,
					   unsigned *ip, unsigned *kp)
{
	struct arena_run_rec *d = used_run(p, 2, rp, ip);

	if (d) {
		*kp = 1 + p->pick % (d->pages - 1u);
	}
	return d;
}

/* The first head at or after page from of r, or ARENA_REGION_PAGES. */
static unsigned next_head(const struct arena_region *r, unsigned from)
{
	for (; from < ARENA_REGION_PAGES; from++)
		if (!fm_arena_page_is_free(r, from) && !is_tail(r->map[from]))
			return from;
	return ARENA_REGION_PAGES;
}

/* Page i of r made free (`free_it`) or in use in its bitmap, the region's
 * own count kept in step, so only what the map says is wrong. */
static void set_free_bit(struct arena_plant *p, struct arena_region *r,
			 unsigned i, bool free_it)
{
	FM_PATCH(p->log, r->free_map[i / 64],
		 r->free_map[i / 64] ^ (1ull << (i % 64)));
	FM_PATCH(p->log, r->in_use, free_it ? r->in_use - 1 : r->in_use + 1);
}

/* Never dereferenced: what a stray region table entry points at. */
static struct arena_region stray_region;

/* ---- the planters, in zs_arena_check's order ---- */

/* Each third alone: the address table's count, or the slot limit, past
 * the region table; or the owner limit past the owner table.  Past the
 * limits, or (pick bit 3) just past the tables as mapped: while nothing
 * is spilled only the inline entries exist, and a count a little past
 * them, far under the limits, would have the check read entries that are
 * not there.  (Spilled, the two are the same.  Bit 3 was unread here
 * before, so the row's kind byte and variants keep their meaning; seeds
 * with it set now plant the nearer count, the same finding.) */
static bool plant_limits(struct arena_plant *p)
{
	bool near = p->pick & 8;
	unsigned regions = near ? arena_regions_mapped(p->a) :
				  ARENA_MAX_REGIONS;
	unsigned owners = near ? arena_owners_mapped(p->a) : ARENA_MAX_OWNERS;
	unsigned past = regions + 1 + (p->pick & 7);

	if (p->v % 3 == 1)
		FM_PATCH(p->log, p->a->nregions, past);
	else if (p->v % 3 == 2)
		FM_PATCH(p->log, p->a->owner_limit, owners + 1 + (p->pick & 7));
	else
		FM_PATCH(p->log, p->a->slot_limit, past);
	return true;
}

/* A used slot at the limit (the limit lowered onto the highest one), or a
 * slot below the limit with no region. */
static bool plant_addr_unused(struct arena_plant *p)
{
	unsigned slot, e = p->e;

	if (!p->n)
		return false;
	if (p->v & 1) {
		slot = top_slot(p->a, &e);
		FM_PATCH(p->log, p->a->slot_limit, slot);
		return true;
	}
	if (!unused_slot(p, &slot))
		return false;
	FM_PATCH(p->log, *arena_by_addr(p->a, e), slot);
	return true;
}

static bool plant_region_slot(struct arena_plant *p)
{
	if (!p->n)
		return false;
	FM_PATCH(p->log, p->r->slot,
		 arena_by_addr_at(p->a, p->e) + 1 + (p->v & 3));
	return true;
}

/* Two neighbours swapped (the second is out), or the last region listed
 * twice. */
static bool plant_addr_order(struct arena_plant *p)
{
	struct zs_arena *a = p->a;
	unsigned n = p->n, j, slot;

	if (!n)
		return false;
	if ((p->v & 1) && n >= 2) {
		j = 1 + p->pick % (n - 1);
		slot = arena_by_addr_at(a, j);
		FM_PATCH(p->log, *arena_by_addr(a, j),
			 arena_by_addr_at(a, j - 1));
		FM_PATCH(p->log, *arena_by_addr(a, j - 1), slot);
		return true;
	}
	if (n >= ARENA_MAX_REGIONS ||
	    (n >= ARENA_INLINE_REGIONS && zs_arena_spill(a)))
		return false;
	FM_PATCH(p->log, *arena_by_addr(a, n), arena_by_addr_at(a, n - 1));
	FM_PATCH(p->log, p->a->nregions, n + 1);
	return true;
}

/* The in-use count, or the bitmap instead (one page's bit flipped). */
static bool plant_region_count(struct arena_plant *p)
{
	struct arena_region *r = p->r;
	unsigned j = p->pick % ARENA_REGION_PAGES;

	if (!p->n)
		return false;
	if (p->v & 1)
		FM_PATCH(p->log, r->in_use,
			 r->in_use < ARENA_REGION_PAGES ? r->in_use + 1 :
							  r->in_use - 1);
	else
		FM_PATCH(p->log, r->free_map[j / 64],
			 r->free_map[j / 64] ^ (1ull << (j % 64)));
	return true;
}

static bool plant_evacuating(struct arena_plant *p)
{
	if (!p->n)
		return false;
	FM_PATCH(p->log, p->r->evacuating, true);
	return true;
}

static bool plant_dirty_in_use(struct arena_plant *p)
{
	struct arena_region *r;
	unsigned e;
	int i = fm_arena_pick_page(p->a, p->pick, false, &e);

	if (i < 0)
		return false;
	r = fm_arena_region(p->a, e);
	FM_PATCH(p->log, r->dirty_map[i / 64],
		 r->dirty_map[i / 64] | (1ull << (i % 64)));
	return true;
}

/* A free page's map entry left naming a record, as a head's would. */
static bool plant_free_described(struct arena_plant *p)
{
	unsigned e;
	int i = fm_arena_pick_page(p->a, p->pick, true, &e);

	if (i < 0)
		return false;
	FM_PATCH(p->log, fm_arena_region(p->a, e)->map[i],
		 (uint16_t)(1 + p->pick % ARENA_REGION_PAGES));
	return true;
}

/* Either half: no owner, or one past the owner table. */
static bool plant_no_owner(struct arena_plant *p)
{
	struct arena_region *r;
	unsigned i;
	struct arena_run_rec *d = used_page(p, &r, &i);

	if (!d)
		return false;
	FM_PATCH(p->log, d->owner,
		 (uint16_t)(p->v & 1 ? ARENA_MAX_OWNERS + 1 + p->pick : 0));
	return true;
}

static bool plant_unknown_flags(struct arena_plant *p)
{
	struct arena_region *r;
	unsigned i;
	struct arena_run_rec *d = used_page(p, &r, &i);

	if (!d)
		return false;
	/* bits 0 and 1 are movable and isolated */
	FM_PATCH(p->log, d->flags,
		 (uint8_t)(d->flags | 1u << (2 + p->pick % 6)));
	return true;
}

/* A run isolated, counted as its owner's pages in flight, as a move
 * marks it. */
static bool plant_isolated(struct arena_plant *p)
{
	struct arena_region *r;
	unsigned i;
	struct arena_run_rec *d = used_page(p, &r, &i);

	if (!d)
		return false;
	FM_PATCH(p->log, d->flags, (uint8_t)(d->flags | ARENA_RUN_ISOLATED));
	FM_PATCH(p->log, arena_owner_slot(p->a, d->owner - 1u)->moving,
		 arena_owner_slot(p->a, d->owner - 1u)->moving + d->pages);
	return true;
}

/* The hint raised past a region with room. */
static bool plant_hint(struct arena_plant *p)
{
	unsigned e;

	if (fm_arena_pick_page(p->a, p->pick, true, &e) < 0)
		return false;
	FM_PATCH(p->log, p->a->alloc_hint,
		 arena_by_addr_at(p->a, e) + 1 + (p->v & 3));
	return true;
}

/* A stray region table entry at or past the limit, in no address table
 * entry. */
static bool plant_beyond_limit(struct arena_plant *p)
{
	unsigned lim = p->a->slot_limit, room = ARENA_MAX_REGIONS - lim;
	struct arena_region **slot;

	if (lim >= ARENA_MAX_REGIONS)
		return false;
	slot = region_slot(p->a, lim + p->pick % (room < 8 ? room : 8));
	if (!slot)
		return false;
	FM_PATCH(p->log, *slot, p->r ? p->r : &stray_region);
	return true;
}

/* A region left out of the address table, or a stray entry below the
 * limit. */
static bool plant_slots_used(struct arena_plant *p)
{
	struct arena_region **entry;
	unsigned slot;

	if ((p->v & 1) && p->n) {
		FM_PATCH(p->log, p->a->nregions, p->n - 1);
		return true;
	}
	if (!unused_slot(p, &slot) || !(entry = region_slot(p->a, slot)))
		return false;
	FM_PATCH(p->log, *entry, p->r ? p->r : &stray_region);
	return true;
}

/* One of the three counters alone, up or down; the regions still hold
 * what the counters said before. */
static bool plant_counters(struct arena_plant *p)
{
	unsigned long *c = p->v % 3 == 0 ? &p->a->pages_in_use :
			   p->v % 3 == 1 ? &p->a->pages_free :
					   &p->a->pages_dirty;

	FM_PATCH(p->log, *c, *c && (p->pick & 1) ? *c - 1 : *c + 1);
	return true;
}

/* A page handed from its owner to another (the lower owner id of the two
 * is the report), or an owner's count moved. */
static bool plant_owner_pages(struct arena_plant *p)
{
	struct arena_run_rec *d;
	struct arena_region *r;
	struct arena_owner *owner;
	unsigned o, j, i;
	unsigned long cnt;

	if (!(p->v & 1)) {
		owner = owner_slot(p->a, p->pick % ARENA_MAX_OWNERS);
		if (!owner)
			return false;
		cnt = owner->pages;
		FM_PATCH(p->log, owner->pages,
			 cnt && (p->v & 2) ? cnt - 1 : cnt + 1 + (p->v >> 2));
		return true;
	}
	d = used_page(p, &r, &i);
	if (!d)
		return false;
	o = d->owner - 1u;
	j = (p->pick >> 3) % ARENA_MAX_OWNERS;
	if (j == o)
		j = (j + 1) % ARENA_MAX_OWNERS;
	/* the run's record: its every page */
	FM_PATCH(p->log, d->owner, (uint16_t)(j + 1));
	return true;
}

static bool plant_busy(struct arena_plant *p)
{
	struct arena_owner *o = owner_slot(p->a, p->pick % ARENA_MAX_OWNERS);

	if (!o)
		return false;
	FM_PATCH(p->log, o->busy, 1u + (p->v & 3));
	return true;
}

/* An owner's pages in moves in flight miscounted: a move that started or
 * ended without its count, with no run isolated.  A finding whether or
 * not a compaction runs (a move counts its pages under the same lock as
 * it isolates them). */
static bool plant_moving(struct arena_plant *p)
{
	struct arena_owner *o = owner_slot(p->a, p->pick % ARENA_MAX_OWNERS);

	if (!o)
		return false;
	FM_PATCH(p->log, o->moving, o->moving + 1u + (p->v & 15));
	return true;
}

/* ---- the run planters, in the order of zs/findings.h ----
 * Each breaks one run (the head picked by used_run, and its tail k when
 * the finding is a tail's) the way a half-done free, move or overwrite
 * would, so the head's own check (check_run) is what reports it. */

/* A free page left marked as a run's tail. */
static bool plant_run_free_marked(struct arena_plant *p)
{
	unsigned e;
	int i = fm_arena_pick_page(p->a, p->pick, true, &e);

	if (i < 0) {
		return false;
	}
	FM_PATCH(p->log, fm_arena_region(p->a, e)->map[i],
		 (uint16_t)(ARENA_MAP_TAIL |
			    (1 + p->pick % (ZS_ARENA_MAX_RUN - 1))));
	return true;
}

/* A run's length 0, past the longest run, or reaching past its region's
 * end: the run ending the region made one page longer, or the region's
 * last page, when free, taken as the head of a 2-page run or longer (with
 * a record never handed out, when its table has one). */
static bool plant_run_length(struct arena_plant *p)
{
	struct arena_run_rec *d;
	struct arena_region *r = p->r;
	unsigned last = ARENA_REGION_PAGES - 1, h, top;

	if (p->v % 3 == 2 && r && fm_arena_page_is_free(r, last) &&
	    r->rec_top < r->rec_cap) {
		top = r->rec_top;
		if ((r->dirty_map[last / 64] >> (last % 64)) & 1) {
			FM_PATCH(p->log, r->dirty_map[last / 64],
				 r->dirty_map[last / 64] &
					 ~(1ull << (last % 64)));
		}
		set_free_bit(p, r, last, false);
		FM_PATCH(p->log, r->rec_top, (uint16_t)(top + 1));
		FM_PATCH(p->log, r->recs[top].owner,
			 (uint16_t)(1 + p->pick % ARENA_MAX_OWNERS));
		FM_PATCH(p->log, r->recs[top].pages,
			 (uint8_t)(2 + p->pick % (ZS_ARENA_MAX_RUN - 1)));
		FM_PATCH(p->log, r->map[last], (uint16_t)(top + 1));
		return true;
	}
	if (p->v % 3 == 2 && r && !fm_arena_page_is_free(r, last)) {
		h = is_tail(r->map[last]) ?
			    last - (r->map[last] & ~ARENA_MAP_TAIL) :
			    last;
		/* a run of the longest length ending there can only be made
		 * too long */
		FM_PATCH(p->log, rec_of(r, h)->pages,
			 (uint8_t)(ARENA_REGION_PAGES - h + 1));
		return true;
	}
	d = used_page(p, &r, &h);
	if (!d) {
		return false;
	}
	if (p->v % 3 == 0) {
		FM_PATCH(p->log, d->pages, (uint8_t)0);
	} else {
		FM_PATCH(p->log, d->pages,
			 (uint8_t)(ZS_ARENA_MAX_RUN + 1 +
				   p->pick % (255 - ZS_ARENA_MAX_RUN)));
	}
	return true;
}

/* Page k of a run freed on its own, or no longer marked as a tail (its
 * entry then a head's). */
static bool plant_run_tail_missing(struct arena_plant *p)
{
	struct arena_region *r;
	struct arena_run_rec *d;
	unsigned i, k;

	d = used_run_tail(p, &r, &i, &k);
	if (!d) {
		return false;
	}
	if (p->v & 1) {
		set_free_bit(p, r, i + k, true);
	} else {
		FM_PATCH(p->log, r->map[i + k],
			 (uint16_t)(r->map[i + k] & ~ARENA_MAP_TAIL));
	}
	return true;
}

/* A tail's place in its run overwritten, or the head's index, which is 0
 * in a run of more than one page. */
static bool plant_run_page_index(struct arena_plant *p)
{
	struct arena_region *r;
	struct arena_run_rec *d;
	unsigned i, k;

	d = used_run_tail(p, &r, &i, &k);
	if (!d) {
		return false;
	}
	if (p->v & 1) {
		FM_PATCH(p->log, d->index, 1 + p->pick);
	} else {
		FM_PATCH(p->log, r->map[i + k],
			 (uint16_t)(ARENA_MAP_TAIL |
				    (k + 1 + p->pick % ZS_ARENA_MAX_RUN)));
	}
	return true;
}

/* A head's map entry naming no record, or one past those handed out. */
static bool plant_run_record_range(struct arena_plant *p)
{
	struct arena_region *r;
	unsigned i;

	if (!used_page(p, &r, &i)) {
		return false;
	}
	FM_PATCH(p->log, r->map[i],
		 (uint16_t)(p->v & 1 ? 0 : r->rec_top + 1 + p->pick % 64));
	return true;
}

/* A head's map entry naming a record on the free list, or (later in the
 * region than it) another head's. */
static bool plant_run_record_shared(struct arena_plant *p)
{
	unsigned j, h0, h;

	for (j = 0; j < p->n; j++) {
		struct arena_region *r =
			fm_arena_region(p->a, (p->pick + j) % p->n);

		h0 = next_head(r, (p->pick * 7u) % ARENA_REGION_PAGES);
		if (h0 == ARENA_REGION_PAGES)
			h0 = next_head(r, 0);
		if (h0 == ARENA_REGION_PAGES)
			continue;
		if (r->rec_free && ((p->v & 1) || next_head(r, h0 + 1) ==
							  ARENA_REGION_PAGES)) {
			FM_PATCH(p->log, r->map[h0], r->rec_free);
			return true;
		}
		h = next_head(r, h0 + 1);
		if (h == ARENA_REGION_PAGES) {
			h = h0;
			h0 = next_head(r, 0);
		}
		if (h0 == h)
			continue;
		FM_PATCH(p->log, r->map[h], r->map[h0]);
		return true;
	}
	return false;
}

/* Tails no head covers: the head's length shortened, the head freed (its
 * entry cleared, as a free leaves a page), or marked a tail itself. */
static bool plant_run_orphan_tail(struct arena_plant *p)
{
	struct arena_region *r;
	struct arena_run_rec *d;
	unsigned i;

	d = used_run(p, 2, &r, &i);
	if (!d) {
		return false;
	}
	switch (p->v % 3) {
	case 0:
		FM_PATCH(p->log, d->pages,
			 (uint8_t)(1 + p->pick % (d->pages - 1u)));
		break;
	case 1:
		set_free_bit(p, r, i, true);
		FM_PATCH(p->log, r->map[i], (uint16_t)0);
		break;
	default:
		FM_PATCH(p->log, r->map[i],
			 (uint16_t)(r->map[i] | ARENA_MAP_TAIL));
		break;
	}
	return true;
}

/* ---- the record table and owner limit planters, added after the run
 * planters (their rows come last, so older kind bytes keep their
 * meaning) ---- */

/* The first region from pick's address table entry on whose record table
 * has spare records (`spare`) or a free list; NULL when none has. */
static struct arena_region *records_region(struct arena_plant *p, bool spare)
{
	unsigned j;

	for (j = 0; j < p->n; j++) {
		struct arena_region *r =
			fm_arena_region(p->a, (p->e + j) % p->n);

		if (spare ? r->rec_top < r->rec_cap : r->rec_free != 0)
			return r;
	}
	return NULL;
}

/* The free record pick lands on, walking r's free list; its number + 1. */
static unsigned free_record(const struct arena_region *r, unsigned pick)
{
	unsigned f, len = 0;

	for (f = r->rec_free; f; f = r->recs[f - 1].index)
		len++;
	for (f = r->rec_free, pick %= len; pick; pick--)
		f = r->recs[f - 1].index;
	return f;
}

/* The table's bounds as a botched grow or shrink leaves them (its size
 * past one record per page, or more records handed out than it holds),
 * or a record never handed out written through a stale record number. */
static bool plant_record_table(struct arena_plant *p)
{
	struct arena_region *r = p->r;
	struct arena_run_rec *x;

	if (!p->n)
		return false;
	switch (p->v % 3) {
	case 0:
		FM_PATCH(p->log, r->rec_cap,
			 (uint16_t)(ARENA_REGION_PAGES + 1 + p->pick % 64));
		break;
	case 1:
		FM_PATCH(p->log, r->rec_top,
			 (uint16_t)(r->rec_cap + 1 + p->pick % 64));
		break;
	default:
		r = records_region(p, true);
		if (!r)
			return false;
		x = &r->recs[r->rec_top + p->pick % (r->rec_cap - r->rec_top)];
		FM_PATCH(p->log, x->cookie, 1u + p->pick);
		break;
	}
	return true;
}

/* The free list as a bad free leaves it: its head a record never handed
 * out, a record freed twice (pushed onto the list it is at the head of:
 * a loop), or a free that did not clear the record. */
static bool plant_record_free_list(struct arena_plant *p)
{
	struct arena_region *r = p->r;
	struct arena_run_rec *x;

	if (!p->n)
		return false;
	if (p->v % 3 == 0) {
		/* at most one past the table, whose address is never read */
		FM_PATCH(p->log, r->rec_free,
			 (uint16_t)(r->rec_top + 1 +
				    p->pick % (r->rec_cap - r->rec_top + 1u)));
		return true;
	}
	r = records_region(p, false);
	if (!r)
		return false;
	if (p->v % 3 == 1) {
		FM_PATCH(p->log, r->recs[r->rec_free - 1].index,
			 (uint32_t)r->rec_free);
		return true;
	}
	x = &r->recs[free_record(r, p->pick) - 1];
	FM_PATCH(p->log, x->owner, (uint16_t)(1 + p->pick % ARENA_MAX_OWNERS));
	return true;
}

/* A record lost from the books: the count of records naming runs off by
 * one (a run made or freed without it), a record handed out and dropped
 * (the table's top raised over a zero record), or a free record taken
 * off the list and never used. */
static bool plant_record_count(struct arena_plant *p)
{
	struct arena_region *r = p->r;
	uint16_t used;

	if (!p->n)
		return false;
	switch (p->v % 3) {
	case 0:
		used = r->rec_used;
		FM_PATCH(p->log, r->rec_used,
			 (uint16_t)(used && (p->pick & 1) ? used - 1 :
							    used + 1));
		break;
	case 1:
		r = records_region(p, true);
		if (!r)
			return false;
		FM_PATCH(p->log, r->rec_top, (uint16_t)(r->rec_top + 1));
		break;
	default:
		r = records_region(p, false);
		if (!r)
			return false;
		FM_PATCH(p->log, r->rec_free,
			 (uint16_t)r->recs[r->rec_free - 1].index);
		break;
	}
	return true;
}

/* An owner past the owner limit: the limit lowered onto a registered
 * owner or one still holding pages (a limit computed short), or a slot
 * past it registered without raising the limit. */
static bool plant_owner_limit(struct arena_plant *p)
{
	struct zs_arena *a = p->a;
	unsigned lim = a->owner_limit, room = ARENA_MAX_OWNERS - lim, j, id;
	const struct arena_owner *o;
	struct arena_owner *slot;

	if ((p->v & 1) && lim < ARENA_MAX_OWNERS) {
		slot = owner_slot(a, lim + p->pick % (room < 8 ? room : 8));
		if (!slot)
			return false;
		FM_PATCH(p->log, slot->live, true);
		return true;
	}
	for (j = 0; j < lim; j++) {
		id = (p->pick + j) % lim;
		o = arena_owner_at(a, id);
		if (o && (o->live || o->pages)) {
			FM_PATCH(p->log, a->owner_limit, id);
			return true;
		}
	}
	return false;
}

/* One row per CHECK_FAIL of zs_arena_check (zs/arena.c), which is the kind
 * byte's meaning: the first 17 in its order, then the run findings, added
 * later, in the order of zs/findings.h (a kind byte keeps its meaning).
 * Rows 21 and 22 planted a tail's own description and half a run
 * isolated until tails lost their descriptors (a run is one record now);
 * they plant the two ways a head's record number can be wrong instead,
 * so the row count and every later kind byte stay.  Rows 25 .. 28, the
 * record table's own findings (its bounds, free list, counts) and the
 * owner limit, came last: zs_corrupt.c gives them kind bytes past all
 * the older ones (ZSF_ARENA_KINDS_V1).
 * gated: a finding only while no compaction runs. */
static const struct {
	const char *name;
	enum zs_finding want;
	bool gated;
	bool (*plant)(struct arena_plant *p);
} planters[] = {
	{ "arena limits", ZS_FINDING_ARENA_REGION_LIMITS, false, plant_limits },
	{ "address entry unused", ZS_FINDING_ARENA_ADDRESS_ENTRY_UNUSED, false,
	  plant_addr_unused },
	{ "region slot", ZS_FINDING_ARENA_REGION_SLOT_ID, false,
	  plant_region_slot },
	{ "address order", ZS_FINDING_ARENA_ADDRESS_ORDER, false,
	  plant_addr_order },
	{ "region in-use count", ZS_FINDING_ARENA_REGION_IN_USE_COUNT, false,
	  plant_region_count },
	{ "region evacuating", ZS_FINDING_ARENA_REGION_EVACUATING, true,
	  plant_evacuating },
	{ "dirty page in use", ZS_FINDING_ARENA_PAGE_IN_USE_DIRTY, false,
	  plant_dirty_in_use },
	{ "free page described", ZS_FINDING_ARENA_FREE_PAGE_OWNED, false,
	  plant_free_described },
	{ "page with no owner", ZS_FINDING_ARENA_PAGE_NO_OWNER, false,
	  plant_no_owner },
	{ "unknown page flags", ZS_FINDING_ARENA_PAGE_UNKNOWN_FLAGS, false,
	  plant_unknown_flags },
	{ "page isolated", ZS_FINDING_ARENA_PAGE_ISOLATED, true,
	  plant_isolated },
	{ "allocation hint", ZS_FINDING_ARENA_FREE_BELOW_HINT, true,
	  plant_hint },
	{ "slot past limit", ZS_FINDING_ARENA_REGION_BEYOND_LIMIT, false,
	  plant_beyond_limit },
	{ "region slots used", ZS_FINDING_ARENA_REGION_COUNT, false,
	  plant_slots_used },
	{ "arena counters", ZS_FINDING_ARENA_PAGE_COUNTS, false,
	  plant_counters },
	{ "owner page count", ZS_FINDING_ARENA_OWNER_PAGE_COUNT, false,
	  plant_owner_pages },
	{ "owner busy", ZS_FINDING_ARENA_OWNER_BUSY, true, plant_busy },
	{ "run free page marked", ZS_FINDING_ARENA_RUN_FREE_MARKED, false,
	  plant_run_free_marked },
	{ "run length", ZS_FINDING_ARENA_RUN_LENGTH, false, plant_run_length },
	{ "run tail missing", ZS_FINDING_ARENA_RUN_TAIL_MISSING, false,
	  plant_run_tail_missing },
	{ "run page index", ZS_FINDING_ARENA_RUN_PAGE_INDEX, false,
	  plant_run_page_index },
	{ "run record range", ZS_FINDING_ARENA_RUN_RECORD_RANGE, false,
	  plant_run_record_range },
	{ "run record shared", ZS_FINDING_ARENA_RUN_RECORD_SHARED, false,
	  plant_run_record_shared },
	{ "run orphan tail", ZS_FINDING_ARENA_RUN_ORPHAN_TAIL, false,
	  plant_run_orphan_tail },
	{ "owner moving pages", ZS_FINDING_ARENA_OWNER_MOVING_PAGES, false,
	  plant_moving },
	{ "record table", ZS_FINDING_ARENA_RECORD_TABLE, false,
	  plant_record_table },
	{ "record free list", ZS_FINDING_ARENA_RECORD_FREE_LIST, false,
	  plant_record_free_list },
	{ "record count", ZS_FINDING_ARENA_RECORD_COUNT, false,
	  plant_record_count },
	{ "owner past limit", ZS_FINDING_ARENA_OWNER_BEYOND_LIMIT, false,
	  plant_owner_limit },
};

_Static_assert(sizeof(planters) / sizeof(planters[0]) == ZSF_ARENA_KINDS,
	       "zs_fuzz.h's count");

const char *zsf_arena_corrupt_name(unsigned kind)
{
	return kind < ZSF_ARENA_KINDS ? planters[kind].name : "?";
}

/* ---- the hash, the op ---- */

/* FNV-1a over the arena's bookkeeping, field by field (never padding):
 * equal before and after proves every write was undone. */
static uint64_t mix(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

#define MIX(h, field) ((h) = mix((h), &(field), sizeof(field)))

static uint64_t region_hash(uint64_t h, const struct arena_region *r)
{
	unsigned i;

	MIX(h, r->base);
	MIX(h, r->slot);
	MIX(h, r->in_use);
	MIX(h, r->evacuating);
	MIX(h, r->free_map);
	MIX(h, r->dirty_map);
	MIX(h, r->map);
	MIX(h, r->recs);
	MIX(h, r->rec_cap);
	MIX(h, r->rec_top);
	MIX(h, r->rec_used);
	MIX(h, r->rec_free);
	for (i = 0; i < r->rec_cap; i++) {
		MIX(h, r->recs[i].cookie);
		MIX(h, r->recs[i].index);
		MIX(h, r->recs[i].owner);
		MIX(h, r->recs[i].flags);
		MIX(h, r->recs[i].pages);
	}
	return h;
}

static uint64_t arena_hash(const struct zs_arena *a)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned s, i;

	MIX(h, a->nregions);
	MIX(h, a->alloc_hint);
	MIX(h, a->slot_limit);
	MIX(h, a->owner_limit);
	MIX(h, a->pages_in_use);
	MIX(h, a->pages_free);
	MIX(h, a->pages_dirty);
	MIX(h, a->regions_released);
	MIX(h, a->pages_migrated);
	MIX(h, a->migrate_failures);
	MIX(h, a->inject);
	MIX(h, a->compacting);
	/* a table not spilled hashes as a spilled one with nothing in it:
	 * a planter may spill it, which is no change */
	static const unsigned unspilled_by_addr[ARENA_SPILL_REGIONS];
	for (i = 0; i < ARENA_MAX_OWNERS; i++) {
		static const struct arena_owner unspilled;
		const struct arena_owner *o = arena_owner_at(a, i);

		if (!o)
			o = &unspilled;

		MIX(h, o->owner);
		MIX(h, o->ops);
		MIX(h, o->busy);
		MIX(h, o->live);
		MIX(h, o->pages);
		MIX(h, o->moving);
	}
	h = mix(h, a->by_addr_inline, sizeof(a->by_addr_inline));
	h = mix(h, a->by_addr_spill ? a->by_addr_spill : unspilled_by_addr,
		sizeof(unspilled_by_addr));
	for (s = 0; s < ARENA_MAX_REGIONS; s++) {
		const struct arena_region *r = arena_region_at(a, s);

		MIX(h, r);
		if (r && r != &stray_region)
			h = region_hash(h, r);
	}
	return h;
}

static int check_arena(void *a)
{
	return zs_arena_check(a);
}

bool zsf_arena_corrupt(struct zs_arena *a, unsigned kind, uint16_t sel)
{
	struct arena_plant p;
	struct fm_capture cap;
	uint64_t before, after;
	int ret;

	memset(&p, 0, sizeof(p));
	p.base.name = zsf_arena_corrupt_name(kind);
	p.base.want = planters[kind].want;
	p.base.check = check_arena;
	p.base.subject = a;
	p.log = &p.base.log;
	p.a = a;
	p.pick = sel & 0x1fff;
	p.v = sel >> 13;
	pthread_mutex_lock(&a->lock);
	before = arena_hash(a);
	p.n = a->nregions;
	p.e = p.n ? p.pick % p.n : 0;
	p.r = p.n ? fm_arena_region(a, p.e) : NULL;
	if (!planters[kind].plant(&p)) {
		if (p.log->n)
			fm_fail("arena corruption \"%s\" not planted but "
				"written",
				p.base.name);
		pthread_mutex_unlock(&a->lock);
		fm_trace("  corrupt arena %s: no place for it\n", p.base.name);
		return false;
	}
	if (planters[kind].gated && (sel & 0x8000)) {
		/* Legal while a compaction runs: first proven clean so. */
		FM_PATCH(p.log, a->compacting, true);
		pthread_mutex_unlock(&a->lock);
		fm_plant_expect_clean(&p.base, "a compaction running");
		pthread_mutex_lock(&a->lock);
		FM_PATCH(p.log, a->compacting, false);
	}
	pthread_mutex_unlock(&a->lock);
	ret = fm_plant_check(&p.base, &cap);
	/* Undone before judging, so a failure leaves a sane arena. */
	pthread_mutex_lock(&a->lock);
	fm_unpatch(p.log);
	after = arena_hash(a);
	pthread_mutex_unlock(&a->lock);
	fm_plant_expect_found(&p.base, ret, &cap);
	if (after != before)
		fm_fail("arena corruption \"%s\" undone: the arena's "
			"bookkeeping differs from before",
			p.base.name);
	fm_plant_expect_undone(&p.base);
	fm_trace("  corrupt arena %s: undone, the arena hashes as before and "
		 "checks clean\n",
		 p.base.name);
	return true;
}
