// SPDX-License-Identifier: MIT
/*
 * fuzz/span_fuzz/span_objects.c - the ops that place and free objects:
 * alloc, free, fill, free_many, free_zspage, churn, and verify.
 *
 * Every placement and every merge is checked against the model's units as
 * it happens, not only by the walk after the op: an allocation must take
 * the start of a gap the model has, long enough for it; the newest gap of
 * the list a gap of exactly its units belongs in when that one is long
 * enough (zs_gaps_find_fit), else one at least as long as the index's
 * good fit promises (the request rounded up to its list); and may find
 * nothing only when neither exists; a free must return the
 * length of the gap the model now has around the object, which is the
 * zspage's length exactly when the object was its last.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/span_fuzz/span_fuzz.h"

/* The least gap a search for units takes (zs/gaps.h: the request rounded
 * up to the first size of a list), and never a gap of 1 unit, which is
 * not indexed. */
static unsigned search_floor(unsigned units)
{
	unsigned lo, hi, floor;

	zs_gaps_list_range(zs_gaps_list_of(units), &lo, &hi);
	floor = lo == units ? units : hi + 1;
	return floor < 2 ? 2 : floor;
}

/* The largest size an object may have: one an empty zspage takes.  A
 * search rounds its request up to a list's first size, so that is the
 * length the zspage needs, not the object's units. */
static size_t max_size(const struct sp_fuzz *f)
{
	unsigned units;

	if (!f->fixed_units) {
		return SPF_MAX_SIZE;
	}
	for (units = zs_span_units(SPF_MAX_SIZE);
	     units > 1 && search_floor(units) > f->fixed_units; units--) {
	}
	if ((size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES >= SPF_MAX_SIZE) {
		return SPF_MAX_SIZE;
	}
	return (size_t)units * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES;
}

/* The size an object of n units has at most. */
static size_t size_of_units(unsigned n)
{
	return n ? (size_t)n * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES : 1;
}

/*
 * Sizes by kind (the low 3 bits): 0 small (1-64), 1 as the trace's
 * compressed pages (1024-3583, around their mean of 2244), 2 uniform
 * (1-4096), 3 a unit boundary (8k - 4 and 8k - 3), 4 exactly a gap the
 * model holds, 5 a gap less one unit (a 1-unit gap left), 6 a whole
 * zspage or nearly, 7 the previous size again.
 */
static size_t choose_size(struct sp_fuzz *f, uint8_t kind, uint16_t raw)
{
	size_t size, cap = max_size(f);
	unsigned unit, n;
	uint32_t z;

	switch (kind & 7) {
	case 0:
		size = 1 + raw % 64u;
		break;
	case 1:
		size = 1024 + raw % 2560u;
		break;
	case 2:
		size = 1 + raw % SPF_MAX_SIZE;
		break;
	case 3:
		size = 8 * (1 + (raw >> 1) % 512u) - 4 + (raw & 1u);
		break;
	case 4:
	case 5:
		if (!spf_pick_gap(f, 2, raw, &z, &unit, &n)) {
			size = 1 + raw % 64u;
			break;
		}
		size = size_of_units((kind & 7) == 4 ? n : n - 1);
		break;
	case 6:
		size = cap - raw % 8u;
		break;
	default:
		size = f->last_size ? f->last_size : 1 + raw % 64u;
		break;
	}
	if (size > cap) {
		size = cap;
	}
	return size ? size : 1;
}

/* The gap zs_gaps_find_fit probes first for units: the newest of the list
 * a gap of exactly units belongs in, with its length from the model (0
 * when the list is empty). */
static uint32_t exact_head(struct sp_fuzz *f, unsigned units, unsigned *len)
{
	uint32_t head = f->span.gaps.head[zs_gaps_list_of(units)], z;
	const struct spf_zspage *zp;
	unsigned u;

	*len = 0;
	if (head == ZS_GAP_NONE) {
		return head;
	}
	z = zs_span_ref_zspage(head);
	u = zs_span_ref_unit(head);
	if (z >= SPF_ZSPAGES || !f->z[z].words || u >= f->z[z].units) {
		fm_fail("the head of list %u is %#" PRIx32 ", in no zspage "
			"held",
			zs_gaps_list_of(units), head);
	}
	zp = &f->z[z];
	*len = spf_next_unit(zp, u, true) - u;
	return head;
}

/* No gap in the index could take units: the model must agree (no gap as
 * long as the search floor, and the exact list's newest gap too short). */
static void expect_no_fit(struct sp_fuzz *f, unsigned units, uint32_t head,
			  unsigned head_len)
{
	unsigned floor = search_floor(units), unit, n;
	uint32_t z;

	if (spf_pick_gap(f, floor, 0, &z, &unit, &n)) {
		fm_fail("zs_span_alloc(%u units) found no gap, but zspage "
			"%" PRIu32 " unit %u is a gap of %u (a search takes "
			"%u and more)",
			units, z, unit, n, floor);
	}
	if (head != ZS_GAP_NONE && head_len >= units) {
		fm_fail("zs_span_alloc(%u units) found no gap, but the newest "
			"of its list, %#" PRIx32 ", is a gap of %u",
			units, head, head_len);
	}
}

/* Where zs_span_alloc put units: the start of one of the model's gaps,
 * long enough; the exact list's newest gap when that one was long enough,
 * else one as long as the good fit promises. */
static void expect_placed(struct sp_fuzz *f, uint32_t ref, unsigned units,
			  uint32_t head, unsigned head_len)
{
	uint32_t z = zs_span_ref_zspage(ref);
	unsigned u = zs_span_ref_unit(ref), end;
	const struct spf_zspage *zp;

	if (z >= SPF_ZSPAGES || !f->z[z].words) {
		fm_fail("zs_span_alloc(%u units) returned %#" PRIx32
			", in zspage %" PRIu32 ", which is not held",
			units, ref, z);
	}
	zp = &f->z[z];
	if (u >= zp->units || spf_unit_used(zp, u) ||
	    (u > 0 && !spf_unit_used(zp, u - 1))) {
		fm_fail("zs_span_alloc(%u units) returned zspage %" PRIu32
			" unit %u, which starts no gap of the model",
			units, z, u);
	}
	end = spf_next_unit(zp, u, true);
	if (end - u < units) {
		fm_fail("zs_span_alloc(%u units) took the gap of %u units at "
			"zspage %" PRIu32 " unit %u",
			units, end - u, z, u);
	}
	if (head != ZS_GAP_NONE && head_len >= units && ref != head) {
		fm_fail("zs_span_alloc(%u units) took zspage %" PRIu32
			" unit %u, not the newest gap of its list, %#" PRIx32
			" of %u units",
			units, z, u, head, head_len);
	}
	if (ref != head && end - u < search_floor(units)) {
		fm_fail("zs_span_alloc(%u units) took the gap of %u units at "
			"zspage %" PRIu32 " unit %u, neither its list's "
			"newest nor as long as a search takes (%u and more)",
			units, end - u, z, u, search_floor(units));
	}
}

bool spf_do_alloc(struct sp_fuzz *f, size_t size, uint8_t seed)
{
	unsigned units = zs_span_units((unsigned)size);
	struct spf_zspage *zp;
	struct fm_obj *o;
	uint32_t i, ref, head;
	unsigned head_len;

	if (!f->nfree_slot || !fm_has_room(&f->m, size)) {
		fm_trace("  alloc %zu: the model is full\n", size);
		return false;
	}
	i = f->free_slot[f->nfree_slot - 1];
	head = exact_head(f, units, &head_len);
	ref = zs_span_alloc(&f->span, units, spf_span_slot(f, i));
	if (ref == ZS_GAP_NONE) {
		expect_no_fit(f, units, head, head_len);
		if (!spf_add_zspage(f, search_floor(units))) {
			fm_trace("  alloc %zu: no gap, %u zspages held\n", size,
				 SPF_ZSPAGES);
			return false;
		}
		head = exact_head(f, units, &head_len);
		ref = zs_span_alloc(&f->span, units, spf_span_slot(f, i));
		if (ref == ZS_GAP_NONE) {
			fm_fail("zs_span_alloc(%u units) found no gap in a "
				"new zspage",
				units);
		}
	}
	expect_placed(f, ref, units, head, head_len);
	f->nfree_slot--;
	zp = &f->z[zs_span_ref_zspage(ref)];
	spf_mark_units(zp, zs_span_ref_unit(ref), units, true);
	zp->live++;
	zp->live_units += units;
	f->live_units += units;
	f->slot[i].live = true;
	f->slot[i].ref = ref;
	f->slot[i].units = units;
	o = fm_add(&f->m, i, (uint32_t)size, fm_new_seed(&f->m, seed));
	fm_pattern((uint8_t *)spf_object_bytes(f, i), o->seed, 0, o->size);
	f->last_size = size;
	fm_trace("  alloc %zu (%u units): slot %" PRIu32 " at zspage %" PRIu32
		 " unit %u\n",
		 size, units, i, zs_span_ref_zspage(ref),
		 zs_span_ref_unit(ref));
	return true;
}

static void free_object(struct sp_fuzz *f, uint32_t pos, bool isolated)
{
	struct fm_obj *o = &f->m.obj[pos];
	uint32_t i = (uint32_t)o->handle;
	struct spf_slot *s = &f->slot[i];
	uint32_t z = zs_span_ref_zspage(s->ref);
	unsigned u = zs_span_ref_unit(s->ref), start, end, merged;
	struct spf_zspage *zp = &f->z[z];

	fm_verify(o, spf_object_bytes(f, i), "before its free");
	merged = isolated ? zs_span_free_isolated(&f->span, s->ref, s->units) :
			    zs_span_free(&f->span, s->ref, s->units);
	spf_mark_units(zp, u, s->units, false);
	zp->live--;
	zp->live_units -= s->units;
	f->live_units -= s->units;
	start = spf_free_run_start(zp, u);
	end = spf_next_unit(zp, u, true);
	fm_trace("  free slot %" PRIu32 " (%u units) at zspage %" PRIu32
		 " unit %u: gap of %u\n",
		 i, s->units, z, u, merged);
	if (merged != end - start) {
		fm_fail("zs_span_free of slot %" PRIu32 " (%u units at zspage "
			"%" PRIu32 " unit %u) returned a gap of %u; the model "
			"has %u (units %u to %u)",
			i, s->units, z, u, merged, end - start, start, end);
	}
	if ((merged == zp->units) != (zp->live == 0)) {
		fm_fail("zs_span_free returned %u in zspage %" PRIu32
			" of %u units, which holds %u objects",
			merged, z, zp->units, zp->live);
	}
	s->live = false;
	f->free_slot[f->nfree_slot++] = i;
	fm_remove(&f->m, o);
	if (!zp->live && !isolated) {
		spf_drop_zspage(f, z);
	}
}

void spf_do_free(struct sp_fuzz *f, uint32_t pos)
{
	free_object(f, pos, false);
}

void spf_do_free_isolated(struct sp_fuzz *f, uint32_t pos)
{
	free_object(f, pos, true);
}

void spf_verify_all(struct sp_fuzz *f)
{
	uint32_t k;

	for (k = 0; k < f->m.nlive; k++) {
		const struct fm_obj *o = &f->m.obj[k];

		fm_verify(o, spf_object_bytes(f, (uint32_t)o->handle),
			  "verify");
	}
}

void spf_op_alloc(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;
	uint8_t kind, seed;
	uint16_t raw;

	if (!fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &seed)) {
		return;
	}
	spf_do_alloc(f, choose_size(f, kind, raw), seed);
}

void spf_op_free(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;
	uint16_t sel;

	if (!fc_u16(c, &sel) || !f->m.nlive) {
		return;
	}
	spf_do_free(f, sel % f->m.nlive);
}

/* fm_op_fill's callbacks: its size choice takes no state, so the state
 * of the fill in progress is here. */
static struct sp_fuzz *filling;

static size_t fill_size(uint8_t kind, uint16_t raw)
{
	return choose_size(filling, kind, raw);
}

static void fill_alloc(void *state, size_t size, uint8_t fuzz)
{
	spf_do_alloc(state, size, fuzz);
}

void spf_op_fill(void *state, struct fuzz_cursor *c)
{
	filling = state;
	fm_op_fill(state, c, 256, fill_size, fill_alloc);
	filling = NULL;
}

static void free_at(void *state, uint32_t pos)
{
	spf_do_free(state, pos);
}

void spf_op_free_many(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;

	fm_op_free_many(state, c, &f->m, free_at);
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The slots of zspage z's objects, in address order; their count. */
static uint32_t objects_of(struct sp_fuzz *f, uint32_t z, uint32_t *out)
{
	uint32_t n = 0, k, i;

	/* sorted as unit << 12 | slot, then the unit dropped */
	for (k = 0; k < f->m.nlive; k++) {
		i = (uint32_t)f->m.obj[k].handle;
		if (zs_span_ref_zspage(f->slot[i].ref) == z) {
			out[n++] = (uint32_t)zs_span_ref_unit(f->slot[i].ref)
					   << 12 |
				   i;
		}
	}
	qsort(out, n, sizeof(*out), compare_u32);
	for (k = 0; k < n; k++) {
		out[k] &= SPF_SLOTS - 1;
	}
	return n;
}

/*
 * Op free_zspage: u8 sel, u8 flags.  The objects of the (sel % held)-th
 * held zspage freed in address order (flags bit 0: in reverse), all of
 * them or every other one (bit 1), or the first half only (bit 2): each
 * free meets a neighbour on one side, the other or both, and every other
 * one leaves gaps between objects to be filled again.
 */
void spf_op_free_zspage(void *state, struct fuzz_cursor *c)
{
	static uint32_t order[SPF_SLOTS];
	struct sp_fuzz *f = state;
	uint32_t n, k, z, i;
	uint8_t sel, flags;

	if (!fc_u8(c, &sel) || !fc_u8(c, &flags) || !f->nheld) {
		return;
	}
	sel %= f->nheld;
	for (z = 0; z < SPF_ZSPAGES; z++) {
		if (f->z[z].words && sel-- == 0) {
			break;
		}
	}
	n = objects_of(f, z, order);
	if (flags & 4) {
		n /= 2;
	}
	for (k = 0; k < n; k++) {
		if (flags & 2 && k % 2) {
			continue;
		}
		i = order[flags & 1 ? n - 1 - k : k];
		spf_do_free(f, (uint32_t)(fm_find(&f->m, i) - f->m.obj));
	}
}

/*
 * Op churn: u8 rounds, u8 size kind, u16 raw, u8 seed.  Each round
 * allocates one object (sizes as fill's) and frees one picked across the
 * live set: a long allocate-and-free run that fragments the zspages in
 * a few bytes of input.
 */
void spf_op_churn(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;
	uint8_t rounds, kind, seed;
	uint16_t raw;
	unsigned r;

	if (!fc_u8(c, &rounds) || !fc_u8(c, &kind) || !fc_u16(c, &raw) ||
	    !fc_u8(c, &seed)) {
		return;
	}
	for (r = 0; r < rounds; r++) {
		spf_do_alloc(f, choose_size(f, kind, (uint16_t)(raw + r * 97)),
			     (uint8_t)(seed + r));
		if (f->m.nlive > 1 && r % 3 != 2) {
			spf_do_free(f, (raw + r * 131u) % f->m.nlive);
		}
	}
}

void spf_op_verify(void *state, struct fuzz_cursor *c)
{
	(void)c;
	spf_verify_all(state);
}
