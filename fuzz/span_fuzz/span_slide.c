// SPDX-License-Identifier: MIT
/*
 * fuzz/span_fuzz/span_slide.c - op slide: a zspage isolated, its objects
 * moved toward its start with zs_span_slide as compaction moves them, one
 * of them freed while it is isolated, and the zspage put back.
 *
 * Why a model-driven op: the compactor's tests see a slide only through a
 * pool, where a wrong tag or a stray byte shows late or not at all.  Here
 * each slide is judged as it returns, against the model's units: the gap
 * it returns is the one the model has once the object moved (merged with
 * any gap after it); the object's tag names its slot with no prev_gap bit;
 * every unit of it, the bytes past its size too, is what it was; and no
 * byte outside the old gap and the object changed but the prev_gap bit of
 * the block after them.  Around it, isolation takes exactly the zspage's
 * indexed gaps out and putback returns exactly the gaps it has by then;
 * the full check runs while it is isolated, counting its gaps as gaps but
 * not as indexed ones.
 *
 * A slide trusts the tag after the object no more than a free does: a
 * fatal variant overwrites it in a forked child, where the slide must
 * report ZS_FINDING_ABORT_SPAN_TAG and abort.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/span_fuzz/span_fuzz.h"

/* Slides per op at most: each compares a whole zspage before and after,
 * and a run to the end of a zspage of small objects would take thousands. */
#define SLIDES_PER_OP 64

enum slide_flags {
	SLIDE_COUNT = 0x0f, /* (flags & 15) + 1 slides */
	SLIDE_ALL = 0x10, /* the first gap's, until none is before an object */
	SLIDE_FREE = 0x20, /* one object freed isolated before the slides */
	SLIDE_FATAL = 0x40, /* first, a slide beside an overwritten tag */
};

enum slide_fatal_kind {
	SLIDE_FATAL_OBJECT_TAG, /* the object after: the gap bit set */
	SLIDE_FATAL_GAP_TAG, /* the gap after: its pattern changed */
	SLIDE_FATAL_GAP_PAST_END, /* the gap after: longer than what is left */
	SLIDE_FATAL_KINDS,
};

/* The zspage before a slide, to compare with after it. */
static uint64_t before[ZS_GAP_MAX_UNITS];

static uint32_t word_at(struct sp_fuzz *f, uint32_t z, size_t byte)
{
	uint32_t v;

	memcpy(&v, spf_base(f, z) + byte, sizeof(v));
	return v;
}

/* The gaps of zp that an object follows: their count, and the k-th's unit
 * and its object's in *gap and *obj when k is below the count. */
static SPF_NO_COVERAGE unsigned gaps_before_objects(const struct spf_zspage *zp,
						    unsigned k, unsigned *gap,
						    unsigned *obj)
{
	unsigned n = 0, u, end;

	for (u = spf_next_unit(zp, 0, false); u < zp->units;
	     u = spf_next_unit(zp, end, false)) {
		end = spf_next_unit(zp, u, true);
		if (end == zp->units) {
			break;
		}
		if (n++ == k) {
			*gap = u;
			*obj = end;
		}
	}
	return n;
}

/* The slot of the object at (z, unit), read from its tag, which must name
 * the model's object there. */
static uint32_t slot_at(struct sp_fuzz *f, uint32_t z, unsigned unit)
{
	uint32_t tag = word_at(f, z, (size_t)unit * ZS_GAP_UNIT);
	uint32_t i = (tag >> 2) - f->slot_base;

	if ((tag & 1u) || tag >> 2 < f->slot_base || i >= SPF_SLOTS ||
	    !f->slot[i].live || f->slot[i].ref != zs_span_ref(z, unit)) {
		fm_fail("zspage %" PRIu32 " unit %u: tag %#010" PRIx32
			" names no object the model has there",
			z, unit, tag);
	}
	return i;
}

/* The walk of the isolated zspage z alone, against the model's z. */
static void check_zspage(struct sp_fuzz *f, uint32_t z, const char *when)
{
	const struct spf_zspage *zp = &f->z[z];
	struct zs_span_tally t, want;
	struct fm_capture cap;
	int ret;

	memset(&t, 0, sizeof(t));
	fm_capture_begin(&cap);
	ret = zs_span_check_zspage(&f->span, z, "span", &t);
	fm_capture_end(&cap);
	if (ret || cap.n) {
		fm_fail("the walk of zspage %" PRIu32 " %s returned %d with %u "
			"reports, the first %s \"%s\"",
			z, when, ret, cap.n, fm_finding_name(cap.first),
			cap.text);
	}
	memset(&want, 0, sizeof(want));
	want.objects = zp->live;
	want.object_units = zp->live_units;
	spf_gap_tally(zp, true, &want);
	if (memcmp(&t, &want, sizeof(t))) {
		fm_fail("the walk of zspage %" PRIu32 " %s: %" PRIu64
			" objects (%" PRIu64 " units), %" PRIu64
			" gaps (%" PRIu64 " units); the model: %" PRIu64
			" (%" PRIu64 "), %" PRIu64 " (%" PRIu64 ")",
			z, when, t.objects, t.object_units, t.gaps, t.gap_units,
			want.objects, want.object_units, want.gaps,
			want.gap_units);
	}
}

/* Compares the zspage with before[]: the object's units now at gap, where
 * they were at obj but for the prev_gap bit; the tag of the block at end
 * (if any) with that bit set; nothing else outside [gap, end) changed. */
static SPF_NO_COVERAGE void expect_moved(struct sp_fuzz *f, uint32_t z,
					 unsigned gap, unsigned obj,
					 unsigned units, unsigned end)
{
	const char *now = spf_base(f, z), *was = (const char *)before;
	size_t g = (size_t)gap * ZS_GAP_UNIT, o = (size_t)obj * ZS_GAP_UNIT;
	size_t e = (size_t)end * ZS_GAP_UNIT;
	size_t n = (size_t)units * ZS_GAP_UNIT;
	size_t len = (size_t)f->z[z].units * ZS_GAP_UNIT;
	uint32_t tag_was, tag_now;

	if (memcmp(now, was, g)) {
		fm_fail("a slide to zspage %" PRIu32 " unit %u changed a byte "
			"before it",
			z, gap);
	}
	if (memcmp(now + g + ZS_SPAN_TAG_BYTES, was + o + ZS_SPAN_TAG_BYTES,
		   n - ZS_SPAN_TAG_BYTES)) {
		fm_fail("a slide from zspage %" PRIu32 " unit %u to %u: the "
			"object's units did not move with it",
			z, obj, gap);
	}
	memcpy(&tag_was, was + o, sizeof(tag_was));
	memcpy(&tag_now, now + g, sizeof(tag_now));
	if (tag_now != (tag_was & ~2u) || !(tag_was & 2u)) {
		fm_fail("a slide from zspage %" PRIu32 " unit %u to %u: the "
			"tag %#010" PRIx32 " became %#010" PRIx32
			", not the same without its prev_gap bit",
			z, obj, gap, tag_was, tag_now);
	}
	if (e == len) {
		return;
	}
	memcpy(&tag_was, was + e, sizeof(tag_was));
	memcpy(&tag_now, now + e, sizeof(tag_now));
	if (tag_now != (tag_was | 2u)) {
		fm_fail("a slide in zspage %" PRIu32 ": the object after the "
			"gap, at unit %u, has tag %#010" PRIx32
			" (was %#010" PRIx32 "), not with its prev_gap bit set",
			z, end, tag_now, tag_was);
	}
	if (memcmp(now + e + ZS_SPAN_TAG_BYTES, was + e + ZS_SPAN_TAG_BYTES,
		   len - e - ZS_SPAN_TAG_BYTES)) {
		fm_fail("a slide to zspage %" PRIu32 " unit %u changed a byte "
			"past the gap it made, which ends at unit %u",
			z, gap, end);
	}
}

/* Slides the object at obj over the gap at gap in the isolated zspage z,
 * and holds the result to the model. */
static void slide_one(struct sp_fuzz *f, uint32_t z, unsigned gap, unsigned obj)
{
	struct spf_zspage *zp = &f->z[z];
	uint32_t i = slot_at(f, z, obj);
	const struct fm_obj *o = fm_find(&f->m, i);
	unsigned units = f->slot[i].units, merged, end;
	uint32_t tag;

	fm_verify(o, spf_object_bytes(f, i), "before its slide");
	memcpy(before, zp->words, (size_t)zp->units * ZS_GAP_UNIT);
	merged = zs_span_slide(&f->span, z, gap, units);
	spf_mark_units(zp, obj, units, false);
	spf_mark_units(zp, gap, units, true);
	f->slot[i].ref = zs_span_ref(z, gap);
	end = spf_next_unit(zp, gap + units, true);
	fm_trace("  slide slot %" PRIu32 " (%u units) in zspage %" PRIu32
		 " from unit %u to %u: gap of %u\n",
		 i, units, z, obj, gap, merged);
	if (merged != end - gap - units) {
		fm_fail("zs_span_slide of slot %" PRIu32 " (%u units) in "
			"zspage %" PRIu32 " from unit %u to %u returned a gap "
			"of %u; the model has %u (units %u to %u)",
			i, units, z, obj, gap, merged, end - gap - units,
			gap + units, end);
	}
	tag = zs_span_tag(&f->span, f->slot[i].ref);
	if (!zs_span_tag_names(tag, spf_span_slot(f, i)) || (tag & 2u)) {
		fm_fail("slid to zspage %" PRIu32 " unit %u, slot %" PRIu32
			" has tag %#010" PRIx32,
			z, gap, i, tag);
	}
	expect_moved(f, z, gap, obj, units, end);
	fm_verify(o, spf_object_bytes(f, i), "after its slide");
	check_zspage(f, z, "after a slide");
}

struct slide_fatal {
	struct sp_fuzz *f;
	uint32_t zspage;
	unsigned gap, units;
	size_t byte; /* the word overwritten */
	uint32_t word;
};

static void run_slide_beside(void *arg)
{
	struct slide_fatal *t = arg;

	memcpy(spf_base(t->f, t->zspage) + t->byte, &t->word, sizeof(t->word));
	zs_span_slide(&t->f->span, t->zspage, t->gap, t->units);
	_Exit(3);
}

/* In a child: from the pick-th gap before an object on, the first whose
 * object has the neighbour kind needs is slid after that neighbour's tag
 * is overwritten.  Skipped when the input's child ran already. */
static void slide_fatal(struct sp_fuzz *f, uint32_t z, uint16_t pick)
{
	const struct spf_zspage *zp = &f->z[z];
	unsigned kind = (pick >> 8) % SLIDE_FATAL_KINDS, n, k, gap = 0, obj = 0;
	struct slide_fatal t = { .f = f, .zspage = z };
	unsigned after = 0;
	bool found = false;
	uint32_t tag;

	if (f->forks >= SPF_FATAL_PER_INPUT) {
		fm_trace("  slide fatal: skipped, one child per input\n");
		return;
	}
	n = gaps_before_objects(zp, UINT_MAX, &gap, &obj);
	for (k = 0; k < n && !found; k++) {
		gaps_before_objects(zp, (pick + k) % n, &gap, &obj);
		after = obj + f->slot[slot_at(f, z, obj)].units;
		found = after < zp->units &&
			spf_unit_used(zp, after) ==
				(kind == SLIDE_FATAL_OBJECT_TAG);
	}
	if (!found) {
		fm_trace("  slide fatal: no object with that neighbour\n");
		return;
	}
	t.gap = gap;
	t.units = f->slot[slot_at(f, z, obj)].units;
	t.byte = (size_t)after * ZS_GAP_UNIT;
	tag = word_at(f, z, t.byte);
	switch (kind) {
	case SLIDE_FATAL_OBJECT_TAG:
		t.word = tag | 1u;
		break;
	case SLIDE_FATAL_GAP_TAG:
		t.word = tag ^ 1u << (16 + pick % 16);
		break;
	default:
		t.word = 0x5a5au << 16 |
			 (zp->units - after + 1 + pick % 8u) << 2 | 1u;
		break;
	}
	f->forks++;
	fm_trace("  slide fatal: zspage %" PRIu32 " unit %u over the gap at "
		 "%u, the word at unit %u made %#010" PRIx32 "\n",
		 z, obj, gap, after, t.word);
	fm_expect_abort("zs_span_slide beside an overwritten tag",
			ZS_FINDING_ABORT_SPAN_TAG, run_slide_beside, &t);
}

/* Frees the pick-th object of the isolated zspage z. */
static void free_isolated(struct sp_fuzz *f, uint32_t z, uint16_t pick)
{
	uint32_t k, n = 0, want;

	if (!f->z[z].live) {
		return;
	}
	want = pick % f->z[z].live;
	for (k = 0; k < f->m.nlive; k++) {
		uint32_t i = (uint32_t)f->m.obj[k].handle;

		if (zs_span_ref_zspage(f->slot[i].ref) == z && n++ == want) {
			spf_do_free_isolated(f, k);
			return;
		}
	}
	fm_fail("zspage %" PRIu32 " holds %u objects, the model fewer", z,
		f->z[z].live);
}

/* zs_span_putback (add) or zs_span_isolate of zspage z, checked: it
 * returns the zspage's length and adds or takes exactly the zspage's
 * indexable gaps (as the model has them) to or from the index. */
static void index_zspage(struct sp_fuzz *f, uint32_t z, bool add)
{
	const struct spf_zspage *zp = &f->z[z];
	struct zs_span_tally own;
	uint64_t gaps = f->span.gaps.gaps, units = f->span.gaps.units;
	uint64_t want_gaps, want_units;
	unsigned got;

	memset(&own, 0, sizeof(own));
	spf_gap_tally(zp, true, &own);
	got = add ? zs_span_putback(&f->span, z) : zs_span_isolate(&f->span, z);
	want_gaps = add ? gaps + own.indexed : gaps - own.indexed;
	want_units = add ? units + own.indexed_units :
			   units - own.indexed_units;
	if (got != zp->units || f->span.gaps.gaps != want_gaps ||
	    f->span.gaps.units != want_units) {
		fm_fail("zs_span_%s(%" PRIu32 ") returned %u of %u units and "
			"left %" PRIu64 " gaps (%" PRIu64 " units) of %" PRIu64
			" (%" PRIu64 "), the zspage's being %" PRIu64
			" (%" PRIu64 ")",
			add ? "putback" : "isolate", z, got, zp->units,
			f->span.gaps.gaps, f->span.gaps.units, gaps, units,
			own.indexed, own.indexed_units);
	}
}

/*
 * Op slide: u8 sel, u8 flags, u16 pick.  The (sel % held)-th held zspage
 * is isolated; flags bit 6 first slides in a child beside an overwritten
 * tag (kind (pick >> 8) % 3); bit 5 frees one of its objects
 * (zs_span_free_isolated); then (flags & 15) + 1 slides, each of the
 * object after the (pick + k)-th gap that one follows, or with bit 4
 * slides of the first such gap's object until none is left (the zspage's
 * free units run into one gap at its end), at most SLIDES_PER_OP either
 * way.  The full check runs isolated, then the zspage is put back, and
 * dropped if emptied.
 */
void spf_op_slide(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;
	struct spf_zspage *zp;
	unsigned k, n, count, gap = 0, obj = 0;
	uint16_t pick;
	uint8_t sel, flags;
	uint32_t z;

	if (!fc_u8(c, &sel) || !fc_u8(c, &flags) || !fc_u16(c, &pick) ||
	    !f->nheld) {
		return;
	}
	sel %= f->nheld;
	for (z = 0; z < SPF_ZSPAGES; z++) {
		if (f->z[z].words && sel-- == 0) {
			break;
		}
	}
	zp = &f->z[z];
	index_zspage(f, z, false);
	f->isolating = true;
	f->isolated = z;
	spf_full_check(f, "with a zspage isolated");
	if (flags & SLIDE_FATAL) {
		slide_fatal(f, z, pick);
	}
	if (flags & SLIDE_FREE) {
		free_isolated(f, z, pick);
		check_zspage(f, z, "after a free in it");
	}
	count = flags & SLIDE_ALL ? SLIDES_PER_OP : (flags & SLIDE_COUNT) + 1u;
	for (k = 0; k < count; k++) {
		n = gaps_before_objects(zp, UINT_MAX, &gap, &obj);
		if (!n) {
			break;
		}
		gaps_before_objects(zp, flags & SLIDE_ALL ? 0 : (pick + k) % n,
				    &gap, &obj);
		slide_one(f, z, gap, obj);
	}
	spf_full_check(f, "after the slides, isolated");
	f->isolating = false;
	index_zspage(f, z, true);
	if (!zp->live) {
		spf_drop_zspage(f, z);
	}
}
