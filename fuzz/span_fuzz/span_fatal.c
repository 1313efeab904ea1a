// SPDX-License-Identifier: MIT
/*
 * fuzz/span_fuzz/span_fatal.c - op fatal: a free beside an overwritten tag,
 * in a forked child (fuzz/common/fuzz_death.h).
 *
 * zs_span_free trusts no neighbour it merges with: a tag after the object
 * that has the gap bit but is no gap's, or a footer before it (where the
 * object's prev_gap bit says a gap ends) that is no gap's or names a gap
 * longer than the units before the object (or a prev_gap bit on the
 * zspage's first object, with nothing before it), must be reported as
 * ZS_FINDING_ABORT_SPAN_TAG and stop the process, since merging would
 * spread the damage.  The child overwrites its copy of the zspage and
 * frees; the parent's zspages are untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/span_fuzz/span_fuzz.h"

enum spf_fatal_kind {
	FATAL_NEXT_GAP_TAG, /* the gap after: its pattern changed */
	FATAL_PREV_FOOTER, /* the gap before: its footer's pattern changed */
	FATAL_PREV_TOO_LONG, /* the gap before: a footer longer than it */
	FATAL_NEXT_OBJECT_TAG, /* the object after: the gap bit set */
	FATAL_OWN_PREV_BIT, /* the first object's own prev_gap bit set */
	FATAL_KINDS,
};

struct spf_fatal {
	struct sp_fuzz *f;
	uint32_t slot, zspage;
	unsigned unit, units;
	size_t byte; /* the word overwritten */
	uint32_t word;
};

static void run_free_beside(void *arg)
{
	struct spf_fatal *t = arg;

	memcpy(spf_base(t->f, t->zspage) + t->byte, &t->word, sizeof(t->word));
	zs_span_free(&t->f->span, t->f->slot[t->slot].ref, t->units);
	_Exit(3);
}

/* Whether the object of slot i has the neighbour kind needs. */
static bool fits(struct sp_fuzz *f, uint32_t i, unsigned kind)
{
	uint32_t z = zs_span_ref_zspage(f->slot[i].ref);
	unsigned u = zs_span_ref_unit(f->slot[i].ref);
	unsigned end = u + f->slot[i].units;
	const struct spf_zspage *zp = &f->z[z];

	switch (kind) {
	case FATAL_NEXT_GAP_TAG:
		return end < zp->units && !spf_unit_used(zp, end);
	case FATAL_NEXT_OBJECT_TAG:
		return end < zp->units && spf_unit_used(zp, end);
	case FATAL_OWN_PREV_BIT:
		return u == 0;
	default:
		return u > 0 && !spf_unit_used(zp, u - 1);
	}
}

/*
 * Op fatal: u8 kind (mod 5), u16 sel.  From the sel-th live object on,
 * the first with the neighbour the kind needs is freed in a child after
 * that neighbour's word is overwritten.  Only the first fatal op of an
 * input that finds such an object runs.
 */
void spf_op_fatal(void *state, struct fuzz_cursor *c)
{
	struct sp_fuzz *f = state;
	struct spf_fatal t = { .f = f };
	uint32_t k, i = 0, tag;
	unsigned kind, start;
	uint8_t kind_byte;
	uint16_t sel;
	bool found = false;

	if (!fc_u8(c, &kind_byte) || !fc_u16(c, &sel)) {
		return;
	}
	if (f->forks >= SPF_FATAL_PER_INPUT) {
		fm_trace("  fatal: skipped, one child per input\n");
		return;
	}
	kind = kind_byte % FATAL_KINDS;
	for (k = 0; k < f->m.nlive && !found; k++) {
		i = (uint32_t)f->m.obj[(sel + k) % f->m.nlive].handle;
		found = fits(f, i, kind);
	}
	if (!found) {
		fm_trace("  fatal: no object with that neighbour\n");
		return;
	}
	t.slot = i;
	t.zspage = zs_span_ref_zspage(f->slot[i].ref);
	t.unit = zs_span_ref_unit(f->slot[i].ref);
	t.units = f->slot[i].units;
	start = t.unit;
	if (kind == FATAL_OWN_PREV_BIT) {
		t.byte = 0;
	} else if (kind == FATAL_NEXT_GAP_TAG ||
		   kind == FATAL_NEXT_OBJECT_TAG) {
		t.byte = (size_t)(t.unit + t.units) * ZS_GAP_UNIT;
	} else {
		t.byte = (size_t)t.unit * ZS_GAP_UNIT - ZS_SPAN_TAG_BYTES;
	}
	memcpy(&tag, spf_base(f, t.zspage) + t.byte, sizeof(tag));
	switch (kind) {
	case FATAL_NEXT_GAP_TAG:
	case FATAL_PREV_FOOTER:
		t.word = tag ^ 1u << (16 + sel % 16);
		break;
	case FATAL_PREV_TOO_LONG:
		t.word = 0x5a5au << 16 | (start + 1 + sel % 8) << 2 | 1u;
		break;
	case FATAL_NEXT_OBJECT_TAG:
		t.word = tag | 1u;
		break;
	default:
		t.word = tag | 2u;
		break;
	}
	f->forks++;
	fm_expect_abort("zs_span_free beside an overwritten tag",
			ZS_FINDING_ABORT_SPAN_TAG, run_free_beside, &t);
}
