// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_corrupt_spans.c - op corrupt's planters for the
 * blocks of shared zspages (zs/span.h: tags, footers, prev_gap bits) and
 * for the shards' free-space indexes (zs/gaps.h: bitmaps, list links,
 * totals) (fuzz/zsmalloc_fuzz/zs_corrupt.h).
 *
 * The span fuzz target plants the same findings on a bare span
 * (fuzz/span_fuzz/span_corrupt.c); these plant them in a real pool, where
 * zs_pool_check must find them among everything else it walks, each
 * alone.  Words in zspages are written with the uninstrumented store
 * (fm_patch_raw32) and only where ASan leaves a zspage addressable (tags,
 * the first 16 bytes of a gap, its footer, an object's bytes), since the
 * check reads them with instrumented loads.  A planting that moves a gap
 * in or out of an index does it with the index's own calls, after saving
 * the index and logging the links those calls write.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_corrupt.h"
#include "zs/sanitizer.h"
#include "zs/zs_internal.h"

static uint32_t gap_tag(unsigned units)
{
	return 0x5a5au << 16 | units << 2 | 1u;
}

/* The word at byte `at` of unit `unit` of zspage zsp. */
static char *word_at(const struct zspage *zsp, unsigned unit, size_t at)
{
	return atomic_load(&zsp->base) + (size_t)unit * ZS_GAP_UNIT + at;
}

static void put_word(struct zs_plant *p, const struct zspage *zsp,
		     unsigned unit, size_t at, uint32_t v)
{
	fm_patch_raw32(p->log, word_at(zsp, unit, at), v);
}

/* ---- the span's findings ---- */

/* A gap's tag that is no tag: its pattern changed, the prev_gap bit set
 * on it, its length 0; or (variant 3) an object's tag with the gap bit. */
bool zsf_plant_bad_tag(struct zs_plant *p)
{
	struct zspage *zsp;
	unsigned u, n, v = p->sel & 3;
	uint32_t tag;

	if (v == 3) {
		if (!zsf_plant_pick(p, T_SMALL))
			return false;
		tag = zs_raw_load32(word_at(p->t.zsp, p->t.unit, 0)) | 1u;
		if (tag >> 16 == 0x5a5au)
			return false; /* a slot number that reads as a gap */
		put_word(p, p->t.zsp, p->t.unit, 0, tag);
		return true;
	}
	if (!zsf_plant_pick_gap(p, 1, &zsp, &u, &n))
		return false;
	tag = gap_tag(n);
	if (v == 0)
		tag ^= 1u << (16 + (p->sel >> 2) % 16);
	else if (v == 1)
		tag |= 2u;
	else
		tag &= ~0xfffcu;
	put_word(p, zsp, u, 0, tag);
	return true;
}

/* A gap's footer with one bit changed: a gap a block follows, since the
 * zspage's last gap has none. */
bool zsf_plant_footer(struct zs_plant *p)
{
	struct zspage *zsp;
	unsigned u, n;
	char *at;

	if (!zsf_plant_pick_inner_gap(p, 1, &zsp, &u, &n))
		return false;
	at = word_at(zsp, u + n, 0) - ZS_SPAN_TAG_BYTES;
	fm_patch_raw32(p->log, at,
		       zs_raw_load32(at) ^ 1u << (p->sel >> 2) % 32);
	return true;
}

/* A block longer than what is left of its zspage: a gap's length, or
 * (variant 1, where the size field can say it: an object in the last 2047
 * units) the size an object's slot records. */
bool zsf_plant_past_end(struct zs_plant *p)
{
	unsigned over = 1 + (p->sel >> 2) % 8, u, n, want;
	struct zspage *zsp;
	uint64_t m;

	if (p->sel & 1) {
		if (!zsf_plant_pick(p, T_SMALL))
			return false;
		want = p->pool->zspage_units - p->t.unit + over;
		if (want * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES > ZS_PAGE_SIZE)
			return false;
		m = atomic_load(&p->t.slot->word);
		fm_patch_atomic64(p->log, &p->t.slot->word,
				  zs_slot_with_size(m,
						    want * ZS_GAP_UNIT -
							    ZS_SPAN_TAG_BYTES));
		return true;
	}
	if (!zsf_plant_pick_gap(p, 1, &zsp, &u, &n))
		return false;
	put_word(p, zsp, u, 0, gap_tag(p->pool->zspage_units - u + over));
	return true;
}

/* An object of t's zspage, from t's on, that can turn into a gap beside a
 * gap with every word the check reads addressable: after a gap (the check
 * stops at its tag), or before one when its size fills its units (its
 * footer then lies in its bytes).  Its unit and units, or false. */
static bool object_beside_gap(struct zs_plant *p, unsigned *unit,
			      unsigned *units)
{
	const struct corrupt_target *t = &p->t;
	unsigned zunits = p->pool->zspage_units, pass, u;
	struct zs_span_block b, next;
	bool prev_gap;

	for (pass = 0; pass < 2; pass++) {
		prev_gap = false;
		for (u = 0; u < zunits; prev_gap = b.gap, u += b.units) {
			zs_span_block_at(&t->sh->span, t->zsp->id, u, &b);
			if (b.gap || (pass == 0 && u < t->unit))
				continue;
			next.gap = false;
			if (u + b.units < zunits)
				zs_span_block_at(&t->sh->span, t->zsp->id,
						 u + b.units, &next);
			if (prev_gap ||
			    (next.gap &&
			     zs_slot_size(atomic_load(
				     &zs_slot_at(p->pool, b.slot)->word)) +
					     ZS_SPAN_TAG_BYTES ==
				     b.units * ZS_GAP_UNIT)) {
				*unit = u;
				*units = b.units;
				return true;
			}
		}
	}
	return false;
}

/* Two gaps side by side: a gap cut in two (after its first unit, where
 * the words written stay addressable), or (variant 1) an object beside a
 * gap turned into a gap, tag and footer, without the merge. */
bool zsf_plant_gaps_adjacent(struct zs_plant *p)
{
	struct zspage *zsp;
	unsigned u, n;

	if (p->sel & 1) {
		if (!zsf_plant_pick(p, T_SMALL) ||
		    !object_beside_gap(p, &u, &n))
			return false;
		put_word(p, p->t.zsp, u, 0, gap_tag(n));
		/* a gap ending the zspage has no footer */
		if (u + n < p->pool->zspage_units)
			fm_patch_raw32(p->log,
				       word_at(p->t.zsp, u + n, 0) -
					       ZS_SPAN_TAG_BYTES,
				       gap_tag(n));
		return true;
	}
	if (!zsf_plant_pick_gap(p, 2, &zsp, &u, &n))
		return false;
	put_word(p, zsp, u, 0, gap_tag(1));
	put_word(p, zsp, u, ZS_SPAN_TAG_BYTES, gap_tag(1));
	put_word(p, zsp, u + 1, 0, gap_tag(n - 1));
	if (u + n < p->pool->zspage_units)
		fm_patch_raw32(p->log,
			       word_at(zsp, u + n, 0) - ZS_SPAN_TAG_BYTES,
			       gap_tag(n - 1));
	return true;
}

/* An object's prev_gap bit saying the opposite of the block before it. */
bool zsf_plant_prev_gap_bit(struct zs_plant *p)
{
	char *tag;

	if (!zsf_plant_pick(p, T_SMALL))
		return false;
	tag = word_at(p->t.zsp, p->t.unit, 0);
	fm_patch_raw32(p->log, tag, zs_raw_load32(tag) ^ 2u);
	return true;
}

/* A gap of 2 units or more left out of its shard's index, which stays
 * consistent in itself: only the totals against the walks show it. */
bool zsf_plant_index_totals(struct zs_plant *p)
{
	struct zs_gap_links *l;
	struct zspage *zsp;
	unsigned u, n;
	uint32_t ref;

	if (!zsf_plant_pick_gap(p, 2, &zsp, &u, &n))
		return false;
	ref = zs_span_ref(zsp->id, u);
	l = zsf_gap_links(p->t.sh, ref);
	zsf_plant_save_index(p, p->t.sh);
	zsf_plant_log_links(p, l->prev);
	zsf_plant_log_links(p, l->next);
	zs_gaps_remove(&p->t.sh->span.gaps, ref, n);
	return true;
}

/* ---- the index's findings ---- */

/* A bit of a shard's row map flipped. */
bool zsf_plant_gap_row_map(struct zs_plant *p)
{
	struct zs_gaps *g = &p->sh->span.gaps;

	zs_lock(&p->sh->lock);
	FM_PATCH(p->log, g->row_map, g->row_map ^ 1u << (p->sel >> 2) % 32);
	zs_unlock(&p->sh->lock);
	return true;
}

/* A bit of a row's list map flipped, and the row map kept in step, so
 * only the list's bit against its head is wrong. */
bool zsf_plant_gap_list_map(struct zs_plant *p)
{
	struct zs_gaps *g = &p->sh->span.gaps;
	unsigned list = (p->sel >> 2) % ZS_GAP_LISTS;
	unsigned row = list / ZS_GAP_SL, col = list % ZS_GAP_SL;
	uint16_t map;

	zs_lock(&p->sh->lock);
	map = (uint16_t)(g->list_map[row] ^ 1u << col);
	FM_PATCH(p->log, g->list_map[row], map);
	if ((map != 0) != ((g->row_map >> row) & 1))
		FM_PATCH(p->log, g->row_map, g->row_map ^ 1u << row);
	zs_unlock(&p->sh->lock);
	return true;
}

/* A reference that is no gap: (variant bit 0 clear) the first object of
 * the gap's zspage, or one into a zspage id never handed out. */
static uint32_t no_gap_ref(struct zs_plant *p, const struct zspage *zsp)
{
	struct zs_span_block b;
	unsigned u;

	for (u = 0; !(p->sel & 1) && u < p->pool->zspage_units; u += b.units) {
		zs_span_block_at(&p->t.sh->span, zsp->id, u, &b);
		if (!b.gap)
			return zs_span_ref(zsp->id, u);
	}
	return zs_span_ref(atomic_load(&p->pool->zsp_next) + (p->sel >> 4) % 64,
			   (p->sel >> 10) % 64);
}

/* A list's head, or (variant bit 1) a gap's next link, to a reference
 * that is no gap. */
bool zsf_plant_gap_not_a_gap(struct zs_plant *p)
{
	struct zs_gaps *g;
	struct zspage *zsp;
	unsigned u, n;
	uint32_t ref;

	if (!zsf_plant_pick_gap(p, 2, &zsp, &u, &n))
		return false;
	g = &p->t.sh->span.gaps;
	ref = zs_span_ref(zsp->id, u);
	if (p->sel & 2)
		FM_PATCH(p->log, zsf_gap_links(p->t.sh, ref)->next,
			 no_gap_ref(p, zsp));
	else
		FM_PATCH(p->log, g->head[zs_gaps_list_of(n)],
			 no_gap_ref(p, zsp));
	return true;
}

/* A gap's back link wrong: to nothing, or to itself at a list's head;
 * or (variant bit 0) its next link back to its list's head, a cycle. */
bool zsf_plant_gap_back_link(struct zs_plant *p)
{
	struct zs_gap_links *l;
	struct zspage *zsp;
	unsigned u, n;
	uint32_t ref;

	if (!zsf_plant_pick_gap(p, 2, &zsp, &u, &n))
		return false;
	ref = zs_span_ref(zsp->id, u);
	l = zsf_gap_links(p->t.sh, ref);
	if (p->sel & 1)
		FM_PATCH(p->log, l->next,
			 p->t.sh->span.gaps.head[zs_gaps_list_of(n)]);
	else
		FM_PATCH(p->log, l->prev,
			 l->prev == ZS_GAP_NONE ? ref : ZS_GAP_NONE);
	return true;
}

/* A gap filed in another list (by the index's own remove and insert, as
 * if under a stale length): half or double its length, or 8 units more
 * for the shortest. */
bool zsf_plant_gap_wrong_list(struct zs_plant *p)
{
	struct zs_gap_links *l;
	struct zs_gaps *g;
	struct zspage *zsp;
	unsigned u, n, other;
	uint32_t ref;

	if (!zsf_plant_pick_gap(p, 2, &zsp, &u, &n))
		return false;
	if (n < 4)
		other = n + 8;
	else if (p->sel & 1 && n <= ZS_GAP_MAX_UNITS / 2)
		other = 2 * n;
	else
		other = n / 2;
	g = &p->t.sh->span.gaps;
	ref = zs_span_ref(zsp->id, u);
	l = zsf_gap_links(p->t.sh, ref);
	zsf_plant_save_index(p, p->t.sh);
	zsf_plant_log_links(p, ref);
	zsf_plant_log_links(p, l->prev);
	zsf_plant_log_links(p, l->next);
	zsf_plant_log_links(p, g->head[zs_gaps_list_of(other)]);
	zs_gaps_remove(g, ref, n);
	zs_gaps_insert(g, ref, other);
	return true;
}

/* The index's count of gaps below what its lists hold. */
bool zsf_plant_gap_lists_long(struct zs_plant *p)
{
	struct zspage *zsp;
	struct zs_gaps *g;
	unsigned u, n;

	if (!zsf_plant_pick_gap(p, 2, &zsp, &u, &n))
		return false;
	g = &p->t.sh->span.gaps;
	FM_PATCH(p->log, g->gaps, g->gaps - 1 - (p->sel >> 2) % g->gaps);
	return true;
}

/* The index's totals off: more units than its gaps hold, or more gaps
 * than its lists (which the bounded walk does not mind). */
bool zsf_plant_gap_totals(struct zs_plant *p)
{
	struct zs_gaps *g = &p->sh->span.gaps;
	uint64_t more = 1 + (p->sel >> 2) % 16;

	zs_lock(&p->sh->lock);
	if (p->sel & 1)
		FM_PATCH(p->log, g->gaps, g->gaps + more);
	else
		FM_PATCH(p->log, g->units, g->units + more);
	zs_unlock(&p->sh->lock);
	return true;
}
