// SPDX-License-Identifier: MIT
/*
 * span.c - objects and gaps in a zspage: placement, boundary-tag merges and
 * the walk that checks them.
 *
 * See zs/span.h for the layout.  Allocation takes a gap from the index,
 * puts the object at its start and leaves the rest a gap; free merges the
 * object with the gaps on either side.  Both keep one invariant that the
 * check walks for: blocks tile the zspage, a gap is never next to a gap,
 * every gap's footer repeats its tag, and an object's prev_gap bit says
 * whether a gap precedes it.  Tags are read and written with memcpy: a
 * footer is only 4-byte aligned, and the bytes belong to the caller's
 * objects in between.
 */
#include "zs/span.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "zs/report_internal.h"
#include "zs/sanitizer.h"

#define TAG_GAP 1u
#define TAG_PREV_GAP 2u
#define GAP_MAGIC 0x5a5au

static uint32_t load32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void store32(char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t gap_tag(unsigned units)
{
	return GAP_MAGIC << 16 | units << 2 | TAG_GAP;
}

/* A gap's tag, exactly: magic, no prev_gap bit, a length. */
static bool is_gap_tag(uint32_t tag)
{
	return (tag >> 16) == GAP_MAGIC && (tag & 3u) == TAG_GAP &&
	       (tag & 0xffffu) >> 2 != 0;
}

static unsigned tag_units(uint32_t tag)
{
	return (tag & 0xffffu) >> 2;
}

static char *unit_addr(const struct zs_span *s, uint32_t zspage, unsigned unit)
{
	return s->ops->base(s->owner, zspage) + (size_t)unit * ZS_GAP_UNIT;
}

static char *ref_addr(const struct zs_span *s, uint32_t ref)
{
	return unit_addr(s, zs_span_ref_zspage(ref), zs_span_ref_unit(ref));
}

/* A gap's links: after its tag at p. */
static struct zs_gap_links *links_at(char *p)
{
	return (struct zs_gap_links *)(p + ZS_SPAN_TAG_BYTES);
}

/* The gap index's view of them. */
static struct zs_gap_links *gap_links(void *ctx, uint32_t ref)
{
	return links_at(ref_addr(ctx, ref));
}

/* For zs_gaps_check: the units of an indexable gap at ref, else 0. */
static unsigned indexed_gap_units(void *ctx, uint32_t ref)
{
	const struct zs_span *s = ctx;
	uint32_t zspage = zs_span_ref_zspage(ref);
	unsigned unit = zs_span_ref_unit(ref), n;
	uint32_t tag;

	if (unit + 2 > s->ops->zspage_units(s->owner, zspage))
		return 0;
	tag = load32(ref_addr(s, ref));
	n = tag_units(tag);
	return is_gap_tag(tag) && n >= 2 ? n : 0;
}

void zs_span_init(struct zs_span *s, const struct zs_span_ops *ops, void *owner)
{
	s->ops = ops;
	s->owner = owner;
	zs_gaps_init(&s->gaps, gap_links, s);
}

/* Bytes at the start of a gap that stay addressable: the tag and the
 * links, rounded to ASan's 8-byte granules. */
#define GAP_HEAD_BYTES 16u

/* A gap's body is nobody's: poisoned, so that ASan catches an object's
 * overrun into it.  Its head and its footer's granule stay addressable
 * (a granule is poisoned whole or not at all, past a prefix). */
static void poison_gap(const struct zs_span *s, char *p, unsigned units)
{
	size_t len = (size_t)units * ZS_GAP_UNIT;

	if (!s->ops->poison_gaps)
		return;
	zs_unpoison(p, len);
	if (len > GAP_HEAD_BYTES + ZS_GAP_UNIT)
		zs_poison(p + GAP_HEAD_BYTES,
			  len - GAP_HEAD_BYTES - ZS_GAP_UNIT);
}

/* A zspage as one operation sees it: its first byte and its length,
 * asked of the owner once (each ask is a descriptor lookup) and stable
 * for the operation, which runs under the owner's lock. */
struct zsp_view {
	uint32_t zspage;
	char *base;
	unsigned units;
};

static struct zsp_view view_of(const struct zs_span *s, uint32_t zspage)
{
	struct zsp_view v = {
		.zspage = zspage,
		.base = s->ops->base(s->owner, zspage),
		.units = s->ops->zspage_units(s->owner, zspage),
	};

	return v;
}

static char *view_addr(const struct zsp_view *v, unsigned unit)
{
	return v->base + (size_t)unit * ZS_GAP_UNIT;
}

/* Writes a gap of units at unit of v: tag, footer, and into the index
 * when it can hold its links and its zspage is not isolated.  A gap that
 * ends the zspage has no footer: no object follows it to read one, and
 * writing it would make the run's last page resident while the zspage's
 * end is still unreached (zspage.c commits pages as they are reached). */
static void make_gap(struct zs_span *s, const struct zsp_view *v, unsigned unit,
		     unsigned units, bool indexed)
{
	char *p = view_addr(v, unit);

	poison_gap(s, p, units);
	store32(p, gap_tag(units));
	if (unit + units < v->units)
		store32(p + (size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES,
			gap_tag(units));
	if (units >= 2 && indexed)
		zs_gaps_insert_at(&s->gaps, zs_span_ref(v->zspage, unit),
				  links_at(p), units);
}

/* Takes the gap of units whose tag is at p out of the index, if it is in
 * it. */
static void unindex(struct zs_span *s, char *p, unsigned units, bool indexed)
{
	if (units >= 2 && indexed)
		zs_gaps_remove_at(&s->gaps, links_at(p), units);
}

void zs_span_add_zspage(struct zs_span *s, uint32_t zspage)
{
	struct zsp_view v = view_of(s, zspage);

	make_gap(s, &v, 0, v.units, true);
}

void zs_span_remove_zspage(struct zs_span *s, uint32_t zspage)
{
	struct zsp_view v = view_of(s, zspage);

	unindex(s, v.base, v.units, true);
}

/* Sets or clears the prev_gap bit of the object starting at unit, when
 * the zspage goes on that far. */
static void mark_next(const struct zsp_view *v, unsigned unit, bool gap_before)
{
	char *p;
	uint32_t tag;

	if (unit >= v->units)
		return;
	p = view_addr(v, unit);
	tag = load32(p);
	store32(p, gap_before ? tag | TAG_PREV_GAP : tag & ~TAG_PREV_GAP);
}

/* For the search: the units of an indexed gap, from its tag. */
static unsigned gap_units(void *ctx, uint32_t ref)
{
	return tag_units(load32(ref_addr(ctx, ref)));
}

uint32_t zs_span_find(const struct zs_span *s, unsigned units, unsigned *reach)
{
	uint32_t ref = zs_gaps_find_fit(&s->gaps, units, gap_units);
	unsigned rest;

	if (ref == ZS_GAP_NONE)
		return ZS_GAP_NONE;
	rest = gap_units((void *)s, ref) - units;
	*reach = zs_span_ref_unit(ref) + units + (rest < 2 ? rest : 2);
	return ref;
}

uint32_t zs_span_find_within(struct zs_span *s, unsigned units, unsigned *reach,
			     zs_span_limit_fn *limit)
{
	uint32_t skipped[ZS_SPAN_FIND_SKIPS], ref = ZS_GAP_NONE;
	unsigned n = 0, have[ZS_SPAN_FIND_SKIPS];

	while (n < ZS_SPAN_FIND_SKIPS) {
		ref = zs_span_find(s, units, reach);
		if (ref == ZS_GAP_NONE ||
		    *reach <= limit(s->owner, zs_span_ref_zspage(ref)))
			break;
		/* out of the index until the search ends, so the next
		 * find looks past it */
		have[n] = gap_units(s, ref);
		zs_gaps_remove(&s->gaps, ref, have[n]);
		skipped[n++] = ref;
		ref = ZS_GAP_NONE;
	}
	while (n--)
		zs_gaps_insert(&s->gaps, skipped[n], have[n]);
	return ref;
}

void zs_span_take(struct zs_span *s, uint32_t ref, unsigned units,
		  uint32_t slot)
{
	struct zsp_view v = view_of(s, zs_span_ref_zspage(ref));
	unsigned unit = zs_span_ref_unit(ref), have;
	char *p = view_addr(&v, unit);

	have = tag_units(load32(p));
	zs_gaps_remove_at(&s->gaps, links_at(p), have);
	if (s->ops->poison_gaps)
		zs_unpoison(p, (size_t)units * ZS_GAP_UNIT);
	/* the block before a gap is never a gap */
	store32(p, slot << 2);
	if (have > units)
		make_gap(s, &v, unit + units, have - units, true);
	else
		mark_next(&v, unit + units, false);
}

uint32_t zs_span_alloc(struct zs_span *s, unsigned units, uint32_t slot)
{
	unsigned reach;
	uint32_t ref = zs_span_find(s, units, &reach);

	if (ref != ZS_GAP_NONE)
		zs_span_take(s, ref, units, slot);
	return ref;
}

/* A neighbour that should be a block and is not: the bytes were
 * overwritten, and merging with them would spread the damage. */
static _Noreturn void bad_neighbour(uint32_t zspage, unsigned unit,
				    uint32_t tag)
{
	ZS_REPORT(ZS_FINDING_ABORT_SPAN_TAG, zspage, unit, tag);
	zs_corruption_abort();
}

static unsigned span_free(struct zs_span *s, uint32_t ref, unsigned units,
			  bool indexed)
{
	uint32_t zspage = zs_span_ref_zspage(ref);
	struct zsp_view v = view_of(s, zspage);
	unsigned start = zs_span_ref_unit(ref), end = start + units, n;
	unsigned zunits = v.units;
	char *p = view_addr(&v, start);
	uint32_t tag;

	if (end < zunits) {
		tag = load32(p + (size_t)units * ZS_GAP_UNIT);
		if (tag & TAG_GAP) {
			if (!is_gap_tag(tag))
				bad_neighbour(zspage, end, tag);
			n = tag_units(tag);
			if (n > zunits - end)
				bad_neighbour(zspage, end, tag);
			unindex(s, p + (size_t)units * ZS_GAP_UNIT, n, indexed);
			end += n;
		}
	}
	if (load32(p) & TAG_PREV_GAP) {
		/* Nothing precedes a zspage's first block: the bit is the
		 * damage, and the word before it is not the zspage's. */
		if (!start) {
			bad_neighbour(zspage, start, load32(p));
		}
		tag = load32(p - ZS_SPAN_TAG_BYTES);
		n = tag_units(tag);
		if (!is_gap_tag(tag) || n > start)
			bad_neighbour(zspage, start, tag);
		start -= n;
		unindex(s, p - (size_t)n * ZS_GAP_UNIT, n, indexed);
	}
	make_gap(s, &v, start, end - start, indexed);
	mark_next(&v, end, true);
	return end - start;
}

unsigned zs_span_free(struct zs_span *s, uint32_t ref, unsigned units)
{
	return span_free(s, ref, units, true);
}

unsigned zs_span_free_isolated(struct zs_span *s, uint32_t ref, unsigned units)
{
	return span_free(s, ref, units, false);
}

unsigned zs_span_slide(struct zs_span *s, uint32_t zspage, unsigned unit,
		       unsigned units)
{
	struct zsp_view v = view_of(s, zspage);
	unsigned zunits = v.units, n;
	char *gap = view_addr(&v, unit);
	char *obj = gap + (size_t)tag_units(load32(gap)) * ZS_GAP_UNIT;
	unsigned end = unit + tag_units(load32(gap)) + units;
	uint32_t tag;

	if (end < zunits) {
		tag = load32(obj + (size_t)units * ZS_GAP_UNIT);
		if (tag & TAG_GAP) {
			n = tag_units(tag);
			if (!is_gap_tag(tag) || n > zunits - end)
				bad_neighbour(zspage, end, tag);
			end += n;
		}
	}
	/* the object's bytes past its size and the gaps' bodies are
	 * poisoned; the new gap's body is poisoned again by make_gap */
	zs_unpoison(gap, (size_t)(end - unit) * ZS_GAP_UNIT);
	memmove(gap, obj, (size_t)units * ZS_GAP_UNIT);
	/* a gap is never preceded by a gap, so now neither is the object */
	store32(gap, load32(gap) & ~TAG_PREV_GAP);
	make_gap(s, &v, unit + units, end - unit - units, false);
	mark_next(&v, end, true);
	return end - unit - units;
}

uint32_t zs_span_tag(const struct zs_span *s, uint32_t ref)
{
	return load32(ref_addr(s, ref));
}

void zs_span_poison_gap(const struct zs_span *s, uint32_t zspage, unsigned unit,
			unsigned units)
{
	poison_gap(s, unit_addr(s, zspage, unit), units);
}

void zs_span_block_at(const struct zs_span *s, uint32_t zspage, unsigned unit,
		      struct zs_span_block *b)
{
	uint32_t tag = load32(unit_addr(s, zspage, unit));
	unsigned room = s->ops->zspage_units(s->owner, zspage) - unit;

	b->gap = tag & TAG_GAP;
	b->slot = tag >> 2;
	if (b->gap)
		b->units = is_gap_tag(tag) ? tag_units(tag) : 0;
	else
		b->units = s->ops->object_units(s->owner, b->slot,
						zs_span_ref(zspage, unit));
	if (b->units > room)
		b->units = 0;
}

unsigned zs_span_reach(const struct zs_span *s, uint32_t zspage)
{
	unsigned unit = 0, zunits = s->ops->zspage_units(s->owner, zspage);
	struct zs_span_block b;

	for (; unit < zunits; unit += b.units) {
		zs_span_block_at(s, zspage, unit, &b);
		if (!b.units)
			return zunits; /* a block it cannot step over */
		if (b.gap && unit + b.units == zunits)
			return unit + (b.units < 2 ? b.units : 2);
	}
	return zunits;
}

/* Indexes or unindexes every gap of zspage, up to a block that is neither
 * a gap nor a valid object (it cannot be stepped over): where the walk
 * stopped, the zspage's length when it did not. */
static unsigned index_gaps(struct zs_span *s, uint32_t zspage, bool add)
{
	unsigned unit = 0, zunits = s->ops->zspage_units(s->owner, zspage);
	struct zs_span_block b;

	for (; unit < zunits; unit += b.units) {
		zs_span_block_at(s, zspage, unit, &b);
		if (!b.units)
			return unit;
		if (!b.gap || b.units < 2)
			continue;
		if (add)
			zs_gaps_insert(&s->gaps, zs_span_ref(zspage, unit),
				       b.units);
		else
			zs_gaps_remove(&s->gaps, zs_span_ref(zspage, unit),
				       b.units);
	}
	return zunits;
}

unsigned zs_span_isolate(struct zs_span *s, uint32_t zspage)
{
	return index_gaps(s, zspage, false);
}

unsigned zs_span_putback(struct zs_span *s, uint32_t zspage)
{
	return index_gaps(s, zspage, true);
}

/* zs_span_check_zspage's findings, as zs_pool_check's. */
#define SPAN_FAIL(kind, ...)                                              \
	do {                                                              \
		zs_report_finding(kind, "zs_pool_check(%s): " kind##_FMT, \
				  pool_name, ##__VA_ARGS__);              \
		return -EUCLEAN;                                          \
	} while (0)

int zs_span_check_zspage(const struct zs_span *s, uint32_t zspage,
			 const char *pool_name, struct zs_span_tally *t)
{
	unsigned zunits = s->ops->zspage_units(s->owner, zspage);
	unsigned unit = 0, n, reach = 0;
	bool prev_gap = false;

	while (unit < zunits) {
		const char *p = unit_addr(s, zspage, unit);
		uint32_t tag = load32(p), footer;
		bool gap = tag & TAG_GAP;

		if (gap) {
			if (!is_gap_tag(tag))
				SPAN_FAIL(ZS_FINDING_POOL_SPAN_BAD_TAG, zspage,
					  unit, tag);
			if (prev_gap)
				SPAN_FAIL(ZS_FINDING_POOL_SPAN_GAPS_ADJACENT,
					  zspage, unit);
			n = tag_units(tag);
		} else {
			if (!(tag & TAG_PREV_GAP) != !prev_gap)
				SPAN_FAIL(ZS_FINDING_POOL_SPAN_PREV_GAP_BIT,
					  zspage, unit,
					  tag & TAG_PREV_GAP ? "" : "not ",
					  prev_gap ? "is" : "is not");
			n = s->ops->object_units(s->owner, tag >> 2,
						 zs_span_ref(zspage, unit));
			if (!n)
				SPAN_FAIL(ZS_FINDING_POOL_SPAN_OBJECT_SLOT,
					  zspage, unit, tag >> 2);
		}
		if (n > zunits - unit)
			SPAN_FAIL(ZS_FINDING_POOL_SPAN_PAST_END, zspage, unit,
				  n, zunits);
		if (gap && unit + n < zunits) {
			footer = load32(p + (size_t)n * ZS_GAP_UNIT -
					ZS_SPAN_TAG_BYTES);
			if (footer != tag)
				SPAN_FAIL(ZS_FINDING_POOL_SPAN_FOOTER, zspage,
					  unit, n, footer);
		}
		/* what the blocks have written: all of each but the last
		 * gap, whose tag and links are all */
		reach = unit + (gap && unit + n == zunits && n > 2 ? 2 : n);
		if (gap) {
			t->gaps++;
			t->gap_units += n;
			if (n >= 2) {
				t->indexed++;
				t->indexed_units += n;
			}
		} else {
			t->objects++;
			t->object_units += n;
		}
		prev_gap = gap;
		unit += n;
	}
	t->reach_units = reach;
	return 0;
}

int zs_span_check_index(const struct zs_span *s, const char *pool_name,
			const struct zs_span_tally *t)
{
	int err = zs_gaps_check(&s->gaps, pool_name, indexed_gap_units);

	if (err)
		return err;
	if (t->indexed != s->gaps.gaps || t->indexed_units != s->gaps.units)
		SPAN_FAIL(ZS_FINDING_POOL_SPAN_INDEX_TOTALS,
			  (unsigned long long)t->indexed,
			  (unsigned long long)t->indexed_units,
			  (unsigned long long)s->gaps.gaps,
			  (unsigned long long)s->gaps.units);
	return 0;
}
