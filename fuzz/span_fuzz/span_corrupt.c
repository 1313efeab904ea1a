// SPDX-License-Identifier: MIT
/*
 * fuzz/span_fuzz/span_corrupt.c - op corrupt (white box, zs/span.h and
 * zs/gaps.h): one planting per finding of the span's walk
 * (ZS_FINDING_POOL_SPAN_*) and of the index's check
 * (ZS_FINDING_POOL_GAP_*), judged by the kind of the one report it causes,
 * and undone.
 *
 * A planting is what a stray write or a lost update would leave: a tag, a
 * footer or a prev_gap bit changed in a zspage, the owner's slot table
 * disagreeing with a tag, a list link or a bitmap bit of the index
 * changed, a gap left out of the index or filed in the wrong list.  Words
 * go through the common undo log (fuzz/common/fuzz_patch.h); a planting
 * that moves a gap between lists does it with the index's own calls, after
 * logging every link they may write, and the index itself is saved whole.
 * The check must return -EUCLEAN with exactly one report, of the planted
 * kind; undone, every byte of the zspages, the index and the slot table
 * must hash as before, and the check pass with the model's tally.
 */
#include <inttypes.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/span_fuzz/span_fuzz.h"

struct spf_plant {
	struct fm_plant base;
	struct sp_fuzz *f;
	uint16_t arg;
	unsigned variant; /* arg's low 2 bits */
	uint32_t sel; /* arg >> 4: which gap or object */
	bool index_saved;
	struct zs_gaps index; /* as it was, when index_saved */
};

static uint32_t gap_tag(unsigned units)
{
	return 0x5a5au << 16 | units << 2 | 1u;
}

static uint32_t word_at(struct sp_fuzz *f, uint32_t z, size_t byte)
{
	uint32_t v;

	memcpy(&v, spf_base(f, z) + byte, sizeof(v));
	return v;
}

static void put_word(struct spf_plant *p, uint32_t z, size_t byte, uint32_t v)
{
	fm_patch(&p->base.log, spf_base(p->f, z) + byte, &v, sizeof(v));
}

static size_t unit_byte(unsigned unit)
{
	return (size_t)unit * ZS_GAP_UNIT;
}

/* A gap of the model of at least min_units, chosen by the argument. */
static bool pick_gap(struct spf_plant *p, unsigned min_units, uint32_t *z,
		     unsigned *u, unsigned *n)
{
	return spf_pick_gap(p->f, min_units, p->sel, z, u, n);
}

/* A live object chosen by the argument, as its slot and place. */
static bool pick_object(struct spf_plant *p, uint32_t *i, uint32_t *z,
			unsigned *u)
{
	const struct fm_obj *o = fm_pick(&p->f->m, p->sel);

	if (!o) {
		return false;
	}
	*i = (uint32_t)o->handle;
	*z = zs_span_ref_zspage(p->f->slot[*i].ref);
	*u = zs_span_ref_unit(p->f->slot[*i].ref);
	return true;
}

/* Before the index is changed by its own calls: it is saved whole, and
 * the links in zspages those calls may write are logged. */
static void save_index(struct spf_plant *p)
{
	if (!p->index_saved) {
		memcpy(&p->index, &p->f->span.gaps, sizeof(p->index));
		p->index_saved = true;
	}
}

static void log_links(struct spf_plant *p, uint32_t ref)
{
	struct zs_gaps *g = &p->f->span.gaps;
	struct zs_gap_links *l, copy;

	if (ref == ZS_GAP_NONE) {
		return;
	}
	l = g->links(g->ctx, ref);
	memcpy(&copy, l, sizeof(copy));
	fm_patch(&p->base.log, l, &copy, sizeof(copy));
}

/* The links of a gap in the index, and of its list neighbours. */
static struct zs_gap_links *links_of(struct sp_fuzz *f, uint32_t ref)
{
	return f->span.gaps.links(f->span.gaps.ctx, ref);
}

/* ---- the span's findings ---- */

/* A gap's tag that is no tag: its pattern changed, the prev_gap bit set
 * on it, its length 0, or an object's tag with the gap bit. */
static bool plant_bad_tag(struct spf_plant *p)
{
	uint32_t z, i, tag;
	unsigned u, n;

	if (p->variant == 3 && pick_object(p, &i, &z, &u)) {
		tag = word_at(p->f, z, unit_byte(u)) | 1u;
		if (tag >> 16 == 0x5a5au) {
			return false;
		}
		put_word(p, z, unit_byte(u), tag);
		return true;
	}
	if (!pick_gap(p, 1, &z, &u, &n)) {
		return false;
	}
	tag = gap_tag(n);
	switch (p->variant) {
	case 0:
		tag ^= 1u << (16 + (p->arg >> 2) % 16);
		break;
	case 1:
		tag |= 2u;
		break;
	default:
		tag &= ~0xfffcu;
		break;
	}
	put_word(p, z, unit_byte(u), tag);
	return true;
}

/* A block longer than what is left of its zspage: a gap's length, or the
 * length the slot table gives an object. */
static bool plant_past_end(struct spf_plant *p)
{
	uint32_t z, i;
	unsigned u, n, over = 1 + (p->arg >> 2) % 8;

	if (p->variant & 1 && pick_object(p, &i, &z, &u)) {
		FM_PATCH(&p->base.log, p->f->slot[i].units,
			 p->f->z[z].units - u + over);
		return true;
	}
	if (!pick_gap(p, 1, &z, &u, &n)) {
		return false;
	}
	put_word(p, z, unit_byte(u), gap_tag(p->f->z[z].units - u + over));
	return true;
}

/* An object beside a gap, from the chosen one on: its slot, place. */
static bool pick_object_beside_gap(struct spf_plant *p, uint32_t *i,
				   uint32_t *z, unsigned *u)
{
	struct sp_fuzz *f = p->f;
	uint32_t k;

	for (k = 0; k < f->m.nlive; k++) {
		const struct spf_zspage *zp;
		unsigned end;

		*i = (uint32_t)f->m.obj[(p->sel + k) % f->m.nlive].handle;
		*z = zs_span_ref_zspage(f->slot[*i].ref);
		*u = zs_span_ref_unit(f->slot[*i].ref);
		zp = &f->z[*z];
		end = *u + f->slot[*i].units;
		if ((*u > 0 && !spf_unit_used(zp, *u - 1)) ||
		    (end < zp->units && !spf_unit_used(zp, end))) {
			return true;
		}
	}
	return false;
}

/* Two gaps side by side: a gap cut in two, or an object beside a gap
 * turned into a gap (tag and footer) without the merge. */
static bool plant_gaps_adjacent(struct spf_plant *p)
{
	uint32_t z, i;
	unsigned u, n, k;

	if (p->variant & 1 && pick_object_beside_gap(p, &i, &z, &u)) {
		n = p->f->slot[i].units;
		put_word(p, z, unit_byte(u), gap_tag(n));
		/* a gap ending the zspage has no footer */
		if (u + n < p->f->z[z].units) {
			put_word(p, z, unit_byte(u + n) - ZS_SPAN_TAG_BYTES,
				 gap_tag(n));
		}
		return true;
	}
	if (!pick_gap(p, 2, &z, &u, &n)) {
		return false;
	}
	k = 1 + (p->arg >> 2) % (n - 1);
	put_word(p, z, unit_byte(u), gap_tag(k));
	put_word(p, z, unit_byte(u + k) - ZS_SPAN_TAG_BYTES, gap_tag(k));
	put_word(p, z, unit_byte(u + k), gap_tag(n - k));
	if (u + n < p->f->z[z].units) {
		put_word(p, z, unit_byte(u + n) - ZS_SPAN_TAG_BYTES,
			 gap_tag(n - k));
	}
	return true;
}

/* A gap's footer with one bit changed: a gap a block follows, since the
 * zspage's last gap has none. */
static bool plant_footer(struct spf_plant *p)
{
	uint32_t z;
	unsigned u, n;
	size_t at;

	if (!spf_pick_gap_where(p->f, 1, true, p->sel, &z, &u, &n)) {
		return false;
	}
	at = unit_byte(u + n) - ZS_SPAN_TAG_BYTES;
	put_word(p, z, at, word_at(p->f, z, at) ^ 1u << (p->arg >> 2) % 32);
	return true;
}

/* An object's prev_gap bit saying the opposite of its neighbour. */
static bool plant_prev_gap_bit(struct spf_plant *p)
{
	uint32_t z, i;
	unsigned u;

	if (!pick_object(p, &i, &z, &u)) {
		return false;
	}
	put_word(p, z, unit_byte(u), word_at(p->f, z, unit_byte(u)) ^ 2u);
	return true;
}

/* An object's tag naming a slot that holds no object there: another
 * live object's, a slot not live, one past the table; or the slot table
 * moving the object, or forgetting it. */
static bool plant_object_slot(struct spf_plant *p)
{
	struct sp_fuzz *f = p->f;
	uint32_t z, i, other, tag;
	unsigned u;

	if (!pick_object(p, &i, &z, &u)) {
		return false;
	}
	switch (p->variant) {
	case 0:
		other = (uint32_t)fm_pick(&f->m, p->sel + 1)->handle;
		if (other == i) {
			other = (i + 1) % SPF_SLOTS;
		}
		other = spf_span_slot(f, other);
		break;
	case 1:
		other = (spf_span_slot(f, SPF_SLOTS) + (p->arg >> 2)) &
			ZS_SPAN_MAX_SLOT;
		break;
	case 2:
		FM_PATCH(&p->base.log, f->slot[i].ref,
			 f->slot[i].ref ^ (1u + (p->arg >> 2) % 4));
		return true;
	default:
		FM_PATCH(&p->base.log, f->slot[i].live, false);
		return true;
	}
	tag = word_at(f, z, unit_byte(u));
	put_word(p, z, unit_byte(u), other << 2 | (tag & 2u));
	return true;
}

/* A gap of 2 units or more left out of the index, which stays
 * consistent in itself: only the totals against the walks show it. */
static bool plant_index_totals(struct spf_plant *p)
{
	struct sp_fuzz *f = p->f;
	uint32_t z, ref;
	unsigned u, n;

	if (!pick_gap(p, 2, &z, &u, &n)) {
		return false;
	}
	ref = zs_span_ref(z, u);
	save_index(p);
	log_links(p, links_of(f, ref)->prev);
	log_links(p, links_of(f, ref)->next);
	zs_gaps_remove(&f->span.gaps, ref, n);
	return true;
}

/* ---- the index's findings ---- */

/* A bit of the row map flipped. */
static bool plant_row_map(struct spf_plant *p)
{
	struct zs_gaps *g = &p->f->span.gaps;

	FM_PATCH(&p->base.log, g->row_map,
		 g->row_map ^ 1u << (p->arg >> 2) % 32);
	return true;
}

/* A bit of a row's list map flipped, and the row map kept in step, so
 * only the list's bit against its head is wrong. */
static bool plant_list_map(struct spf_plant *p)
{
	struct zs_gaps *g = &p->f->span.gaps;
	unsigned list = (p->arg >> 2) % ZS_GAP_LISTS;
	unsigned row = list / ZS_GAP_SL, col = list % ZS_GAP_SL;
	uint16_t map = (uint16_t)(g->list_map[row] ^ 1u << col);

	FM_PATCH(&p->base.log, g->list_map[row], map);
	if ((map != 0) != ((g->row_map >> row) & 1)) {
		FM_PATCH(&p->base.log, g->row_map, g->row_map ^ 1u << row);
	}
	return true;
}

/* A reference that is no gap: an object's, or one into a zspage not
 * held. */
static uint32_t no_gap_ref(struct spf_plant *p)
{
	const struct fm_obj *o = fm_pick(&p->f->m, p->sel + 1);

	if (o && !(p->variant & 1)) {
		return p->f->slot[o->handle].ref;
	}
	return zs_span_ref(SPF_NO_ZSPAGE, (p->arg >> 2) % 64);
}

/* A list's head, or a gap's next link, to a reference that is no gap. */
static bool plant_not_a_gap(struct spf_plant *p)
{
	struct sp_fuzz *f = p->f;
	struct zs_gaps *g = &f->span.gaps;
	uint32_t z, ref;
	unsigned u, n;

	if (!pick_gap(p, 2, &z, &u, &n)) {
		return false;
	}
	ref = zs_span_ref(z, u);
	if (p->variant >= 2) {
		FM_PATCH(&p->base.log, links_of(f, ref)->next, no_gap_ref(p));
	} else {
		FM_PATCH(&p->base.log, g->head[zs_gaps_list_of(n)],
			 no_gap_ref(p));
	}
	return true;
}

/* A gap's back link wrong: to nothing, or to itself at a list's head;
 * or its next link back to its list's head, a cycle. */
static bool plant_back_link(struct spf_plant *p)
{
	struct sp_fuzz *f = p->f;
	struct zs_gap_links *l;
	uint32_t z, ref;
	unsigned u, n;

	if (!pick_gap(p, 2, &z, &u, &n)) {
		return false;
	}
	ref = zs_span_ref(z, u);
	l = links_of(f, ref);
	if (p->variant & 1) {
		FM_PATCH(&p->base.log, l->next,
			 f->span.gaps.head[zs_gaps_list_of(n)]);
	} else {
		FM_PATCH(&p->base.log, l->prev,
			 l->prev == ZS_GAP_NONE ? ref : ZS_GAP_NONE);
	}
	return true;
}

/* A gap moved to another list (by the index's own remove and insert, as
 * if it were filed under a stale length): half or double its length, or
 * 8 units more for the shortest. */
static bool plant_wrong_list(struct spf_plant *p)
{
	struct sp_fuzz *f = p->f;
	struct zs_gaps *g = &f->span.gaps;
	uint32_t z, ref;
	unsigned u, n, other;

	if (!pick_gap(p, 2, &z, &u, &n)) {
		return false;
	}
	if (n < 4) {
		other = n + 8;
	} else if (p->variant & 1 && n <= ZS_GAP_MAX_UNITS / 2) {
		other = 2 * n;
	} else {
		other = n / 2;
	}
	ref = zs_span_ref(z, u);
	save_index(p);
	log_links(p, ref);
	log_links(p, links_of(f, ref)->prev);
	log_links(p, links_of(f, ref)->next);
	log_links(p, g->head[zs_gaps_list_of(other)]);
	zs_gaps_remove(g, ref, n);
	zs_gaps_insert(g, ref, other);
	return true;
}

/* The index's count of gaps below what its lists hold. */
static bool plant_lists_too_long(struct spf_plant *p)
{
	struct zs_gaps *g = &p->f->span.gaps;

	if (!g->gaps) {
		return false;
	}
	FM_PATCH(&p->base.log, g->gaps, g->gaps - 1 - (p->arg >> 2) % g->gaps);
	return true;
}

/* The index's totals off: more units than its gaps hold, or more gaps
 * than its lists (which the bounded walk does not mind). */
static bool plant_totals(struct spf_plant *p)
{
	struct zs_gaps *g = &p->f->span.gaps;
	uint64_t more = 1 + (p->arg >> 2) % 16;

	if (p->variant & 1) {
		FM_PATCH(&p->base.log, g->gaps, g->gaps + more);
	} else {
		FM_PATCH(&p->base.log, g->units, g->units + more);
	}
	return true;
}

#define SPF_PLANTERS 14

static const struct {
	const char *name;
	enum zs_finding want;
	bool (*plant)(struct spf_plant *p);
} planters[SPF_PLANTERS] = {
	{ "tag neither an object's nor a gap's", ZS_FINDING_POOL_SPAN_BAD_TAG,
	  plant_bad_tag },
	{ "block past the zspage's end", ZS_FINDING_POOL_SPAN_PAST_END,
	  plant_past_end },
	{ "two gaps side by side", ZS_FINDING_POOL_SPAN_GAPS_ADJACENT,
	  plant_gaps_adjacent },
	{ "gap footer not its tag", ZS_FINDING_POOL_SPAN_FOOTER, plant_footer },
	{ "prev_gap bit wrong", ZS_FINDING_POOL_SPAN_PREV_GAP_BIT,
	  plant_prev_gap_bit },
	{ "object of a slot that does not hold it",
	  ZS_FINDING_POOL_SPAN_OBJECT_SLOT, plant_object_slot },
	{ "gap left out of the index", ZS_FINDING_POOL_SPAN_INDEX_TOTALS,
	  plant_index_totals },
	{ "row map bit", ZS_FINDING_POOL_GAP_ROW_MAP, plant_row_map },
	{ "list map bit", ZS_FINDING_POOL_GAP_LIST_MAP, plant_list_map },
	{ "list link to no gap", ZS_FINDING_POOL_GAP_NOT_A_GAP,
	  plant_not_a_gap },
	{ "back link", ZS_FINDING_POOL_GAP_BACK_LINK, plant_back_link },
	{ "gap in the wrong list", ZS_FINDING_POOL_GAP_WRONG_LIST,
	  plant_wrong_list },
	{ "gap count below the lists", ZS_FINDING_POOL_GAP_LISTS_TOO_LONG,
	  plant_lists_too_long },
	{ "index totals", ZS_FINDING_POOL_GAP_TOTALS, plant_totals },
};

/*
 * Op corrupt: u8 kind (mod 16; 14 and 15 are no-ops), u16 arg (bits 0-1
 * the variant, bits 2-3 and up a bit or a length, bits 4 and up which
 * gap or object).  Plants, checks, undoes, and judges.
 */
void spf_op_corrupt(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;
	struct fm_capture cap;
	struct spf_plant p;
	uint64_t before, after;
	uint8_t kind;
	uint16_t arg;
	int ret;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg)) {
		return;
	}
	kind %= 16;
	if (kind >= SPF_PLANTERS) {
		return;
	}
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.arg = arg;
	p.variant = arg & 3u;
	p.sel = arg >> 4;
	p.base.name = planters[kind].name;
	p.base.want = planters[kind].want;
	p.base.check = spf_check;
	p.base.subject = f;
	before = spf_hash(f);
	if (!planters[kind].plant(&p)) {
		if (p.base.log.n || p.index_saved) {
			fm_fail("corruption \"%s\" not planted but written",
				p.base.name);
		}
		fm_trace("  corrupt %s: no target\n", p.base.name);
		return;
	}
	ret = fm_plant_check(&p.base, &cap);
	/* undone before judging, so a failure leaves the span sane */
	fm_unpatch(&p.base.log);
	if (p.index_saved) {
		memcpy(&f->span.gaps, &p.index, sizeof(p.index));
	}
	after = spf_hash(f);
	fm_plant_expect_found(&p.base, ret, &cap);
	fm_plant_expect_undone(&p.base);
	if (after != before) {
		fm_fail("corruption \"%s\" undone: the zspages, the index or "
			"the slot table differ from before (hash %#" PRIx64
			", was %#" PRIx64 ")",
			p.base.name, after, before);
	}
	spf_full_check(f, "after a corruption was undone");
	f->verify_pending = true;
}
