/* SPDX-License-Identifier: MIT */
/*
 * zs/span.h - a zspage's bytes as objects and gaps, placed at 8-byte
 * granularity.
 *
 * In the shared-zspage layout a zspage is a run of pages that objects of
 * every size share.  Its bytes are a sequence of blocks, each a whole
 * number of 8-byte units and each starting with a 4-byte tag:
 *
 *   object  tag = slot << 2 | prev_gap      then the object's bytes
 *   gap     tag = magic << 16 | units << 2 | 1, the same word as its
 *           last 4 bytes (the footer, except for the zspage's last gap,
 *           which no object follows), and its list links between
 *
 * An object's tag names its handle slot: the reverse map that compaction
 * and migration walk, and no more than 4 bytes, so an object of n bytes
 * takes (n + 4) rounded up to 8.  Its size lives in the slot.  A gap's
 * footer lets a freed object find the gap before it (the prev_gap bit of
 * the object after a gap says it is there), so a free merges with both
 * neighbours in constant time and no two gaps are ever adjacent: the
 * boundary tags of Knuth's allocator.  Gaps of 2 units and more are in
 * the free-space index (zs/gaps.h) under the reference zspage << 13 |
 * unit; a 1-unit gap holds no links and waits for a neighbour's free.
 *
 * Plain C without atomics, under the owner's lock; C++ tests include it.
 */
#ifndef ZS_SPAN_H
#define ZS_SPAN_H

#include <stdbool.h>
#include <stdint.h>

#include "zs/gaps.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_SPAN_UNIT_BITS 13u /* units in a zspage: 0 .. 8191 */
#define ZS_SPAN_MAX_ZSPAGES (1u << (32 - ZS_SPAN_UNIT_BITS))
#define ZS_SPAN_TAG_BYTES 4u
#define ZS_SPAN_MAX_SLOT ((1u << 30) - 1)

static inline uint32_t zs_span_ref(uint32_t zspage, unsigned unit)
{
	return zspage << ZS_SPAN_UNIT_BITS | unit;
}

static inline uint32_t zs_span_ref_zspage(uint32_t ref)
{
	return ref >> ZS_SPAN_UNIT_BITS;
}

static inline unsigned zs_span_ref_unit(uint32_t ref)
{
	return ref & ((1u << ZS_SPAN_UNIT_BITS) - 1);
}

/* Units an object of size bytes (1 .. 4096) takes, its tag included. */
static inline unsigned zs_span_units(unsigned size)
{
	return (size + ZS_SPAN_TAG_BYTES + ZS_GAP_UNIT - 1) / ZS_GAP_UNIT;
}

/* What the span asks its owner. */
struct zs_span_ops {
	/* the first byte of zspage */
	char *(*base)(void *owner, uint32_t zspage);
	/* its length in units (2 .. ZS_GAP_MAX_UNITS); 0 for a zspage the
	 * owner does not hold, which only the check asks about */
	unsigned (*zspage_units)(void *owner, uint32_t zspage);
	/* for walks: the units of the object of slot, 0 unless slot holds a
	 * live object placed at ref (the check trusts nothing else) */
	unsigned (*object_units)(void *owner, uint32_t slot, uint32_t ref);
	/* Under ASan, keep gap bodies poisoned (all but the tag, the links
	 * and the footer's granule) and unpoison an object's units when it
	 * is placed.  A harness that reads every byte of a zspage says no. */
	bool poison_gaps;
};

struct zs_span {
	struct zs_gaps gaps;
	const struct zs_span_ops *ops;
	void *owner;
};

void zs_span_init(struct zs_span *s, const struct zs_span_ops *ops,
		  void *owner);

/* A new zspage: one gap of all its units, indexed. */
void zs_span_add_zspage(struct zs_span *s, uint32_t zspage);

/* An empty zspage (one gap of all its units) leaves the index, before
 * its pages go back. */
void zs_span_remove_zspage(struct zs_span *s, uint32_t zspage);

/* Places an object of units for slot (0 .. ZS_SPAN_MAX_SLOT) in a gap:
 * the object's reference (its tag's place; the bytes start 4 after), or
 * ZS_GAP_NONE when no gap fits (the owner then adds a zspage). */
uint32_t zs_span_alloc(struct zs_span *s, unsigned units, uint32_t slot);

/* zs_span_alloc in two steps, for an owner that must make the bytes ready
 * first: find names the gap it would take (ZS_GAP_NONE: none fits) and
 * the unit of its zspage up to which placing there writes (the object
 * and what is left of the gap: its tag and links), changing nothing;
 * take, with nothing changed in between, places the object there. */
uint32_t zs_span_find(const struct zs_span *s, unsigned units, unsigned *reach);

/* zs_span_find among the gaps whose placement writes no further than
 * limit(owner, zspage) units into their zspage: the others found first
 * are passed over (up to ZS_SPAN_FIND_SKIPS of them, then ZS_GAP_NONE)
 * and are in the index again on return, though perhaps in another order
 * within their list. */
typedef unsigned zs_span_limit_fn(void *owner, uint32_t zspage);
#define ZS_SPAN_FIND_SKIPS 8u
uint32_t zs_span_find_within(struct zs_span *s, unsigned units, unsigned *reach,
			     zs_span_limit_fn *limit);
void zs_span_take(struct zs_span *s, uint32_t ref, unsigned units,
		  uint32_t slot);

/* Frees the object of units at ref, merging it with the gaps beside it:
 * the units of the gap it is now part of, which is the zspage's length
 * when the zspage is empty.  A neighbour's tag that is neither an
 * object's nor a gap's is corruption: reported, then abort. */
unsigned zs_span_free(struct zs_span *s, uint32_t ref, unsigned units);

/* Frees an object of an isolated zspage (one whose gaps are out of the
 * index, zs_span_isolate): merges as zs_span_free, indexes nothing. */
unsigned zs_span_free_isolated(struct zs_span *s, uint32_t ref, unsigned units);

/* In an isolated zspage: moves the object of units right after the gap
 * at unit to the gap's start, bytes and tag, so that the gap goes past it
 * and merges with a gap after it.  Returns the units of that gap, which
 * now starts at unit + units; the object's reference is now
 * zs_span_ref(zspage, unit).  The owner keeps readers off the object while
 * it moves, and re-poisons its bytes past its size.  A tag after it that
 * is neither an object's nor a gap's is corruption: reported, then abort. */
unsigned zs_span_slide(struct zs_span *s, uint32_t zspage, unsigned unit,
		       unsigned units);

/* Takes every gap of zspage out of the index, so no allocation lands in
 * it while its objects move out; zs_span_putback indexes them again.
 * Both walk the zspage and return its length, or the unit of a block they
 * could not step over (neither a gap nor a valid object), where they
 * stopped halfway: corruption, which the owner reports and aborts on. */
unsigned zs_span_isolate(struct zs_span *s, uint32_t zspage);
unsigned zs_span_putback(struct zs_span *s, uint32_t zspage);

/* The raw tag at ref: what a free compares with the slot it expects. */
uint32_t zs_span_tag(const struct zs_span *s, uint32_t ref);

/* Whether tag is an object's naming slot (the prev_gap bit aside). */
static inline bool zs_span_tag_names(uint32_t tag, uint32_t slot)
{
	return !(tag & 1u) && tag >> 2 == slot;
}

/* After a run migration copied a zspage: poisons the gap of units at
 * unit as zs_span_free would have (ops->poison_gaps). */
void zs_span_poison_gap(const struct zs_span *s, uint32_t zspage, unsigned unit,
			unsigned units);

/* One block of a zspage, as a walk finds it. */
struct zs_span_block {
	unsigned units; /* 0: the tag is neither a gap's nor a valid object's */
	uint32_t slot; /* an object's handle slot */
	bool gap;
};

/* The block starting at unit of zspage (ops->object_units sizes an
 * object), for the owner's walks under its lock: compaction and run
 * migration step with b->units. */
void zs_span_block_at(const struct zs_span *s, uint32_t zspage, unsigned unit,
		      struct zs_span_block *b);

/* The units from zspage's start that its blocks have written, as the
 * check's walk counts them (struct zs_span_tally's reach_units): all of
 * it but the body of a gap at its end.  A walk, under the owner's lock;
 * the whole zspage when a block cannot be stepped over. */
unsigned zs_span_reach(const struct zs_span *s, uint32_t zspage);

/* A zspage's blocks, as zs_span_check_zspage counted them. */
struct zs_span_tally {
	uint64_t objects, object_units;
	uint64_t gaps, gap_units; /* every gap */
	uint64_t indexed, indexed_units; /* gaps of 2 units and more */
	/* the units from the zspage's start that its blocks have written:
	 * every block whole but a gap at its end, of which only the tag and
	 * links (2 units) are ever written.  Set by each zspage's walk. */
	unsigned reach_units;
};

/* Walks zspage from its first unit to its last: every tag, footer and
 * prev_gap bit, no gap next to a gap, every object's slot (ops's
 * object_units), every block inside the zspage.  Adds to *t.  0, or
 * -EUCLEAN after one zs_pool_check(pool_name) finding. */
int zs_span_check_zspage(const struct zs_span *s, uint32_t zspage,
			 const char *pool_name, struct zs_span_tally *t);

/* After every zspage's walk: the index (zs_gaps_check) and its totals
 * against the gaps the walks found.  0 or -EUCLEAN, as above. */
int zs_span_check_index(const struct zs_span *s, const char *pool_name,
			const struct zs_span_tally *t);

#ifdef __cplusplus
}
#endif

#endif /* ZS_SPAN_H */
