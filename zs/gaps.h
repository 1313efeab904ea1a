/* SPDX-License-Identifier: MIT */
/*
 * zs/gaps.h - the free-space index: segregated fits over gaps (TLSF).
 *
 * Free space inside zspages is a set of gaps, each a whole number of 8-byte
 * units.  An allocation of n units needs any gap of at least n, found in
 * constant time: gaps are kept in lists by size, a first level by power of
 * two and a second level splitting each power in 16 (two-level segregated
 * fit, Masmano et al. 2004), with one bitmap per level, so the search is
 * two find-first-set instructions whatever the number of gaps.  A request
 * is rounded up to the next list boundary before the search, so any gap in
 * the list found fits (good fit, not best fit: at most 1/16 of the request
 * larger than the best, and the rest of the gap stays a gap).
 *
 * The index stores nothing per gap: a gap's two list links live in the gap
 * itself, where its owner says (the links callback), and gaps are named by
 * a 32-bit reference the owner chooses.  So the index costs a fixed 760
 * bytes whatever the pool holds, and 0 bytes per object.
 *
 * Plain C without atomics: the owner's lock covers every call, and C++
 * tests include it.
 */
#ifndef ZS_GAPS_H
#define ZS_GAPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZS_GAP_UNIT 8u /* bytes: the granularity of every gap */
#define ZS_GAP_MAX_UNITS 8192u /* 64 KiB: the longest zspage */
#define ZS_GAP_NONE 0xffffffffu /* no gap; never a valid reference */

/* Rows of lists: row 0 holds gaps of 0..15 units, one list per size; row
 * r >= 1 holds [2^(r+3), 2^(r+4)) units in 16 lists of 2^(r-1) each. */
#define ZS_GAP_SL_SHIFT 4u
#define ZS_GAP_SL (1u << ZS_GAP_SL_SHIFT)
#define ZS_GAP_ROWS 11u /* row 10 reaches 16383 units */
#define ZS_GAP_LISTS (ZS_GAP_ROWS * ZS_GAP_SL)

/* A gap's place in its list, stored in the gap. */
struct zs_gap_links {
	uint32_t next, prev;
};

/* The links of gap ref (never ZS_GAP_NONE). */
typedef struct zs_gap_links *zs_gap_links_fn(void *ctx, uint32_t ref);

/* The size in units of the gap ref, or 0 when ref names no gap; used by
 * the check only, which must not trust the lists. */
typedef unsigned zs_gap_units_fn(void *ctx, uint32_t ref);

struct zs_gaps {
	zs_gap_links_fn *links;
	void *ctx;
	uint32_t row_map; /* bit r: some list of row r holds a gap */
	uint16_t list_map[ZS_GAP_ROWS]; /* bit s: list (r, s) holds one */
	uint32_t head[ZS_GAP_LISTS];
	uint64_t gaps, units; /* totals, for the owner's check */
};

void zs_gaps_init(struct zs_gaps *g, zs_gap_links_fn *links, void *ctx);

/* The list a gap of units (1 .. ZS_GAP_MAX_UNITS) belongs in, and the
 * sizes that list holds. */
unsigned zs_gaps_list_of(unsigned units);
void zs_gaps_list_range(unsigned list, unsigned *min_units,
			unsigned *max_units);

/* Adds gap ref of units, first in its list (the newest gap is taken
 * first: it is the most likely to be in cache). */
void zs_gaps_insert(struct zs_gaps *g, uint32_t ref, unsigned units);

/* Removes gap ref of units, which must be in the index. */
void zs_gaps_remove(struct zs_gaps *g, uint32_t ref, unsigned units);

/* The same, for a caller that holds the gap's links already (it has just
 * read or written the gap's tag): the index then resolves only the links
 * of the gap's neighbours in its list, which hold refs, not addresses. */
void zs_gaps_insert_at(struct zs_gaps *g, uint32_t ref, struct zs_gap_links *l,
		       unsigned units);
void zs_gaps_remove_at(struct zs_gaps *g, struct zs_gap_links *l,
		       unsigned units);

/* A gap of at least units (1 .. ZS_GAP_MAX_UNITS), left in the index, or
 * ZS_GAP_NONE when no gap fits.  Constant time. */
uint32_t zs_gaps_find(const struct zs_gaps *g, unsigned units);

/* As zs_gaps_find, but first takes the newest gap of the list a gap of
 * exactly units belongs in when units_of says it is long enough: requests
 * between two list boundaries then reuse gaps the size of what was freed
 * there, which the rounded-up search never looks at.  Still constant
 * time: one more read. */
uint32_t zs_gaps_find_fit(const struct zs_gaps *g, unsigned units,
			  zs_gap_units_fn *units_of);

/*
 * Every list against the bitmaps, its back links, the size of each of its
 * gaps and the totals, as zs_pool_check(pool_name) findings: 0, or
 * -EUCLEAN after one report.  Walks are bounded by the total, so a cycle
 * ends.  units_of must read the gap's size from the gap, not the index.
 */
int zs_gaps_check(const struct zs_gaps *g, const char *pool_name,
		  zs_gap_units_fn *units_of);

#ifdef __cplusplus
}
#endif

#endif /* ZS_GAPS_H */
