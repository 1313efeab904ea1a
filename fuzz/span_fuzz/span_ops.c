// SPDX-License-Identifier: MIT
/*
 * fuzz/span_fuzz/span_ops.c - the span target: its op table, its state,
 * the zspages and handle slots it owns for the span, its model, and the
 * checks fuzz/common/fuzz_interp.c runs around every op.
 *
 * Why a target of its own: the span and the index are where the next
 * layout puts every byte, and nothing else drives them yet.  Driven alone,
 * every state they can reach is a few ops away, and every op can be
 * checked completely: the model knows which units each object covers, so
 * the gaps the walk must find (how many, how long, which are indexed) are
 * known exactly, not just their sum.
 *
 * Each zspage is its own heap buffer of exactly its length, so ASan sees
 * any access past either end, and its fresh bytes are 0xdb, so a tag read
 * before it was written shows as a bad tag rather than as slot 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/span_fuzz/span_fuzz.h"

#define SP_CHECK_EVERY 16
#define FRESH_BYTE 0xdb

const unsigned spf_small[SPF_SMALL_LENGTHS] = {
	2, 3, 5, 64, 65, 127, 333, 1000
};

static struct sp_fuzz F;

/* ---- what the span asks its owner (zs/span.h) ---- */

static char *owner_base(void *owner, uint32_t zspage)
{
	struct sp_fuzz *f = owner;

	if (zspage >= SPF_ZSPAGES || !f->z[zspage].words)
		fm_fail("span: base of zspage %" PRIu32 ", which is not held",
			zspage);
	return spf_base(f, zspage);
}

static unsigned owner_zspage_units(void *owner, uint32_t zspage)
{
	struct sp_fuzz *f = owner;

	if (zspage >= SPF_ZSPAGES || !f->z[zspage].words)
		return 0;
	return f->z[zspage].units;
}

static unsigned owner_object_units(void *owner, uint32_t span_slot,
				   uint32_t ref)
{
	struct sp_fuzz *f = owner;
	uint32_t i = span_slot - f->slot_base;

	if (span_slot < f->slot_base || i >= SPF_SLOTS || !f->slot[i].live ||
	    f->slot[i].ref != ref)
		return 0;
	return f->slot[i].units;
}

static const struct zs_span_ops owner_ops = {
	.base = owner_base,
	.zspage_units = owner_zspage_units,
	.object_units = owner_object_units,
	/* the target reads and hashes every byte of its zspages */
	.poison_gaps = false,
};

char *spf_object_bytes(struct sp_fuzz *f, uint32_t i)
{
	uint32_t ref = f->slot[i].ref;

	return spf_base(f, zs_span_ref_zspage(ref)) +
	       (size_t)zs_span_ref_unit(ref) * ZS_GAP_UNIT + ZS_SPAN_TAG_BYTES;
}

/* ---- the model's units ---- */

SPF_NO_COVERAGE bool spf_unit_used(const struct spf_zspage *z, unsigned u)
{
	return z->used[u / 64] >> (u % 64) & 1;
}

SPF_NO_COVERAGE unsigned spf_next_unit(const struct spf_zspage *z, unsigned u,
				       bool used)
{
	while (u < z->units) {
		uint64_t w = z->used[u / 64];

		if (!used) {
			w = ~w;
		}
		w &= ~0ull << (u % 64);
		if (w) {
			u = (u & ~63u) + (unsigned)__builtin_ctzll(w);
			return u < z->units ? u : z->units;
		}
		u = (u & ~63u) + 64;
	}
	return z->units;
}

SPF_NO_COVERAGE unsigned spf_free_run_start(const struct spf_zspage *z,
					    unsigned u)
{
	while (u > 0) {
		/* the units below u in u - 1's word */
		uint64_t w = z->used[(u - 1) / 64];
		unsigned below = (u - 1) % 64 + 1;

		if (below < 64) {
			w &= (1ull << below) - 1;
		}
		if (w) {
			return ((u - 1) & ~63u) + 64 -
			       (unsigned)__builtin_clzll(w);
		}
		u = (u - 1) & ~63u;
	}
	return 0;
}

SPF_NO_COVERAGE void spf_mark_units(struct spf_zspage *z, unsigned u,
				    unsigned n, bool used)
{
	unsigned k;

	for (k = u; k < u + n; k++) {
		if (used) {
			z->used[k / 64] |= 1ull << (k % 64);
		} else {
			z->used[k / 64] &= ~(1ull << (k % 64));
		}
	}
}

SPF_NO_COVERAGE bool spf_pick_gap(struct sp_fuzz *f, unsigned min_units,
				  uint32_t sel, uint32_t *zspage,
				  unsigned *unit, unsigned *units)
{
	return spf_pick_gap_where(f, min_units, false, sel, zspage, unit,
				  units);
}

SPF_NO_COVERAGE bool spf_pick_gap_where(struct sp_fuzz *f, unsigned min_units,
					bool inner, uint32_t sel,
					uint32_t *zspage, unsigned *unit,
					unsigned *units)
{
	unsigned pass, n = 0, z, u, end;

	/* the first pass counts, the second takes the (sel % n)-th */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			if (!n) {
				return false;
			}
			sel %= n;
		}
		for (z = 0; z < SPF_ZSPAGES; z++) {
			const struct spf_zspage *zp = &f->z[z];

			if (!zp->words) {
				continue;
			}
			for (u = spf_next_unit(zp, 0, false); u < zp->units;
			     u = spf_next_unit(zp, end, false)) {
				end = spf_next_unit(zp, u, true);
				if (end - u < min_units ||
				    (inner && end == zp->units)) {
					continue;
				}
				if (pass == 0) {
					n++;
				} else if (sel-- == 0) {
					*zspage = z;
					*unit = u;
					*units = end - u;
					return true;
				}
			}
		}
	}
	return false;
}

/* ---- zspages ---- */

/* The length of the next zspage: the config's, or the next of the table
 * (pages, or the small lengths) when each zspage takes its own. */
static unsigned next_length(struct sp_fuzz *f)
{
	unsigned k = f->next_length++;

	if (f->fixed_units) {
		return f->fixed_units;
	}
	if (f->cfg & 0x10) {
		return spf_small[(f->cfg + k) % SPF_SMALL_LENGTHS];
	}
	return ((f->cfg + k * 5) % 16 + 1) * SPF_PAGE_UNITS;
}

bool spf_add_zspage(struct sp_fuzz *f, unsigned units)
{
	struct spf_zspage *zp;
	unsigned z, len;

	for (z = 0; z < SPF_ZSPAGES && f->z[z].words; z++) {
	}
	if (z == SPF_ZSPAGES) {
		return false;
	}
	len = next_length(f);
	if (len < units) {
		len = units;
	}
	zp = &f->z[z];
	zp->words = malloc((size_t)len * ZS_GAP_UNIT);
	if (!zp->words) {
		fm_fail("out of memory for a zspage of %u units", len);
	}
	memset(zp->words, FRESH_BYTE, (size_t)len * ZS_GAP_UNIT);
	zp->units = len;
	zp->live = 0;
	zp->live_units = 0;
	memset(zp->used, 0, sizeof(zp->used));
	zs_span_add_zspage(&f->span, z);
	f->nheld++;
	f->held_units += len;
	fm_trace("  zspage %u added, %u units\n", z, len);
	return true;
}

static void release_zspage(struct sp_fuzz *f, uint32_t z)
{
	struct spf_zspage *zp = &f->z[z];

	zs_span_remove_zspage(&f->span, z);
	free(zp->words);
	zp->words = NULL;
	f->nheld--;
	f->held_units -= zp->units;
	zp->units = 0;
	fm_trace("  zspage %" PRIu32 " removed\n", z);
}

void spf_drop_zspage(struct sp_fuzz *f, uint32_t z)
{
	if (!(f->cfg & 0x80)) {
		release_zspage(f, z);
	}
}

/* ---- the checks ---- */

/* The walk of every held zspage, then the index, into *t.  The gaps of
 * an isolated zspage are out of the index: counted as gaps, not as
 * indexed ones, or the index's totals could never match. */
static int check_all(struct sp_fuzz *f, struct zs_span_tally *t)
{
	struct zs_span_tally iso;
	uint32_t z;
	int ret;

	memset(t, 0, sizeof(*t));
	for (z = 0; z < SPF_ZSPAGES; z++) {
		if (!f->z[z].words) {
			continue;
		}
		if (f->isolating && z == f->isolated) {
			memset(&iso, 0, sizeof(iso));
			ret = zs_span_check_zspage(&f->span, z, "span", &iso);
			/* set by each zspage's walk, this one's too */
			t->reach_units = iso.reach_units;
			t->objects += iso.objects;
			t->object_units += iso.object_units;
			t->gaps += iso.gaps;
			t->gap_units += iso.gap_units;
		} else {
			ret = zs_span_check_zspage(&f->span, z, "span", t);
		}
		if (ret) {
			return ret;
		}
	}
	return zs_span_check_index(&f->span, "span", t);
}

int spf_check(void *state)
{
	struct zs_span_tally t;

	return check_all(state, &t);
}

SPF_NO_COVERAGE void spf_gap_tally(const struct spf_zspage *zp, bool indexed,
				   struct zs_span_tally *t)
{
	unsigned u, end;

	/* the walk's reach: every block whole but a last gap's head */
	t->reach_units = zp->units;
	for (u = spf_next_unit(zp, 0, false); u < zp->units;
	     u = spf_next_unit(zp, end, false)) {
		end = spf_next_unit(zp, u, true);
		if (end == zp->units) {
			t->reach_units = u + (end - u > 2 ? 2 : end - u);
		}
		t->gaps++;
		t->gap_units += end - u;
		if (end - u >= 2 && indexed) {
			t->indexed++;
			t->indexed_units += end - u;
		}
	}
}

/* The tally the walk must give: from the model's units alone. */
static SPF_NO_COVERAGE void model_tally(struct sp_fuzz *f,
					struct zs_span_tally *t)
{
	unsigned z;

	memset(t, 0, sizeof(*t));
	t->objects = f->m.nlive;
	t->object_units = f->live_units;
	for (z = 0; z < SPF_ZSPAGES; z++) {
		const struct spf_zspage *zp = &f->z[z];

		if (!zp->words) {
			continue;
		}
		spf_gap_tally(zp, !(f->isolating && z == f->isolated), t);
	}
}

void spf_full_check(struct sp_fuzz *f, const char *when)
{
	struct zs_span_tally t, want;
	struct fm_capture cap;
	int ret;

	fm_capture_begin(&cap);
	ret = check_all(f, &t);
	fm_capture_end(&cap);
	if (ret || cap.n) {
		fm_fail("the check %s returned %d with %u reports, the first "
			"%s \"%s\"",
			when, ret, cap.n, fm_finding_name(cap.first), cap.text);
	}
	model_tally(f, &want);
	if (memcmp(&t, &want, sizeof(t))) {
		fm_fail("the walk %s: %" PRIu64 " objects (%" PRIu64
			" units), %" PRIu64 " gaps (%" PRIu64
			" units), %" PRIu64 " indexed (%" PRIu64
			" units); the model: %" PRIu64 " (%" PRIu64
			"), %" PRIu64 " (%" PRIu64 "), %" PRIu64 " (%" PRIu64
			")",
			when, t.objects, t.object_units, t.gaps, t.gap_units,
			t.indexed, t.indexed_units, want.objects,
			want.object_units, want.gaps, want.gap_units,
			want.indexed, want.indexed_units);
	}
	if (t.object_units + t.gap_units != f->held_units) {
		fm_fail("the walk %s: %" PRIu64 " units in blocks, %" PRIu64
			" held",
			when, t.object_units + t.gap_units, f->held_units);
	}
	if (f->span.gaps.gaps != t.indexed ||
	    f->span.gaps.units != t.indexed_units) {
		fm_fail("the index %s holds %" PRIu64 " gaps (%" PRIu64
			" units), the walk found %" PRIu64 " (%" PRIu64 ")",
			when, f->span.gaps.gaps, f->span.gaps.units, t.indexed,
			t.indexed_units);
	}
}

static SPF_NO_COVERAGE uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h = (h ^ b[i]) * 0x100000001b3ull;
	}
	return h;
}

uint64_t spf_hash(struct sp_fuzz *f)
{
	uint64_t h = 0xcbf29ce484222325ull;
	unsigned z;

	for (z = 0; z < SPF_ZSPAGES; z++) {
		if (f->z[z].words) {
			h = hash_bytes(h, f->z[z].words,
				       (size_t)f->z[z].units * ZS_GAP_UNIT);
		}
	}
	h = hash_bytes(h, &f->span.gaps, sizeof(f->span.gaps));
	return hash_bytes(h, f->slot, sizeof(f->slot));
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void sp_begin(void *state, uint8_t cfg)
{
	struct sp_fuzz *f = state;
	uint32_t i;

	memset(f, 0, sizeof(*f));
	fm_reset(&f->m);
	f->cfg = cfg;
	if (!(cfg & 0x20)) {
		f->fixed_units = cfg & 0x10 ?
					 spf_small[cfg % SPF_SMALL_LENGTHS] :
					 ((cfg & 15u) + 1) * SPF_PAGE_UNITS;
	}
	f->slot_base = cfg & 0x40 ? ZS_SPAN_MAX_SLOT - (SPF_SLOTS - 1) : 0;
	for (i = 0; i < SPF_SLOTS; i++) {
		f->free_slot[i] = SPF_SLOTS - 1 - i;
	}
	f->nfree_slot = SPF_SLOTS;
	zs_span_init(&f->span, &owner_ops, f);
}

static void sp_after_op(void *state, bool periodic)
{
	struct sp_fuzz *f = state;

	spf_full_check(f, "after the op");
	if (periodic || f->verify_pending) {
		spf_verify_all(f);
		f->verify_pending = false;
	}
}

static void sp_end(void *state)
{
	struct sp_fuzz *f = state;
	uint32_t z;

	spf_verify_all(f);
	while (f->m.nlive) {
		spf_do_free(f, f->m.nlive - 1);
	}
	spf_full_check(f, "with every object freed");
	for (z = 0; z < SPF_ZSPAGES; z++) {
		if (f->z[z].words) {
			release_zspage(f, z);
		}
	}
	if (f->span.gaps.gaps || f->span.gaps.units || f->span.gaps.row_map) {
		fm_fail("with every zspage removed the index holds %" PRIu64
			" gaps (%" PRIu64 " units), row map %#" PRIx32,
			f->span.gaps.gaps, f->span.gaps.units,
			f->span.gaps.row_map);
	}
	spf_full_check(f, "with every zspage removed");
}

static void sp_describe(void *state, char *buf, size_t size)
{
	struct sp_fuzz *f = state;

	snprintf(buf, size,
		 "live %u (%u units), %u zspages (%" PRIu64 " units), "
		 "%" PRIu64 " indexed gaps",
		 f->m.nlive, (unsigned)f->live_units, f->nheld, f->held_units,
		 f->span.gaps.gaps);
}

static const struct fm_op sp_op_table[SP_OP_SLOTS] = {
	[SP_OP_ALLOC] = { "alloc", spf_op_alloc },
	[SP_OP_FREE] = { "free", spf_op_free },
	[SP_OP_FILL] = { "fill", spf_op_fill },
	[SP_OP_FREE_MANY] = { "free_many", spf_op_free_many },
	[SP_OP_FREE_ZSPAGE] = { "free_zspage", spf_op_free_zspage },
	[SP_OP_CHURN] = { "churn", spf_op_churn },
	[SP_OP_VERIFY] = { "verify", spf_op_verify },
	[SP_OP_CORRUPT] = { "corrupt", spf_op_corrupt },
	[SP_OP_FATAL] = { "fatal", spf_op_fatal },
	[SP_OP_SLIDE] = { "slide", spf_op_slide },
};

const struct fm_target sp_fuzz_target =
	FM_TARGET("span", &F, sp_op_table, SP_CHECK_EVERY, sp_begin,
		  sp_after_op, sp_end, sp_describe);
