// SPDX-License-Identifier: MIT
/*
 * gaps.c - the free-space index: two-level segregated fits over gaps.
 *
 * See zs/gaps.h for the shape.  Each list is doubly linked through its
 * gaps so that a gap merged with a freed neighbour can leave its list in
 * constant time; the bitmaps mirror which lists are non-empty, and every
 * update keeps them exact, which zs_gaps_check holds them to.
 */
#include "zs/gaps.h"

#include <errno.h>
#include <stddef.h>

#include "zs/report_internal.h"

static unsigned floor_log2(unsigned v)
{
	return 31u - (unsigned)__builtin_clz(v);
}

/* Row and column of the list holding gaps of units. */
static void locate(unsigned units, unsigned *row, unsigned *col)
{
	unsigned f;

	if (units < ZS_GAP_SL) {
		*row = 0;
		*col = units;
		return;
	}
	f = floor_log2(units);
	*row = f - (ZS_GAP_SL_SHIFT - 1);
	*col = (units >> (f - ZS_GAP_SL_SHIFT)) & (ZS_GAP_SL - 1);
}

unsigned zs_gaps_list_of(unsigned units)
{
	unsigned row, col;

	locate(units, &row, &col);
	return row * ZS_GAP_SL + col;
}

void zs_gaps_list_range(unsigned list, unsigned *min_units, unsigned *max_units)
{
	unsigned row = list / ZS_GAP_SL, col = list % ZS_GAP_SL, width;

	if (row == 0) {
		*min_units = *max_units = col;
		return;
	}
	width = 1u << (row - 1);
	*min_units = (ZS_GAP_SL + col) * width;
	*max_units = *min_units + width - 1;
}

void zs_gaps_init(struct zs_gaps *g, zs_gap_links_fn *links, void *ctx)
{
	unsigned i;

	g->links = links;
	g->ctx = ctx;
	g->row_map = 0;
	for (i = 0; i < ZS_GAP_ROWS; i++)
		g->list_map[i] = 0;
	for (i = 0; i < ZS_GAP_LISTS; i++)
		g->head[i] = ZS_GAP_NONE;
	g->gaps = 0;
	g->units = 0;
}

void zs_gaps_insert(struct zs_gaps *g, uint32_t ref, unsigned units)
{
	zs_gaps_insert_at(g, ref, g->links(g->ctx, ref), units);
}

void zs_gaps_insert_at(struct zs_gaps *g, uint32_t ref, struct zs_gap_links *l,
		       unsigned units)
{
	unsigned row, col, list;

	locate(units, &row, &col);
	list = row * ZS_GAP_SL + col;
	l->prev = ZS_GAP_NONE;
	l->next = g->head[list];
	if (l->next != ZS_GAP_NONE)
		g->links(g->ctx, l->next)->prev = ref;
	g->head[list] = ref;
	g->list_map[row] |= (uint16_t)(1u << col);
	g->row_map |= 1u << row;
	g->gaps++;
	g->units += units;
}

void zs_gaps_remove(struct zs_gaps *g, uint32_t ref, unsigned units)
{
	zs_gaps_remove_at(g, g->links(g->ctx, ref), units);
}

void zs_gaps_remove_at(struct zs_gaps *g, struct zs_gap_links *l,
		       unsigned units)
{
	unsigned row, col, list;

	locate(units, &row, &col);
	list = row * ZS_GAP_SL + col;
	if (l->prev != ZS_GAP_NONE)
		g->links(g->ctx, l->prev)->next = l->next;
	else
		g->head[list] = l->next;
	if (l->next != ZS_GAP_NONE)
		g->links(g->ctx, l->next)->prev = l->prev;
	if (g->head[list] == ZS_GAP_NONE) {
		g->list_map[row] &= (uint16_t) ~(1u << col);
		if (!g->list_map[row])
			g->row_map &= ~(1u << row);
	}
	g->gaps--;
	g->units -= units;
}

uint32_t zs_gaps_find(const struct zs_gaps *g, unsigned units)
{
	unsigned row, col, map;

	/* Round up to the next list's first size, so that every gap of the
	 * list searched fits. */
	if (units >= ZS_GAP_SL)
		units += (1u << (floor_log2(units) - ZS_GAP_SL_SHIFT)) - 1;
	locate(units, &row, &col);
	map = g->list_map[row] & (~0u << col);
	if (!map) {
		map = g->row_map & (~0u << (row + 1));
		if (!map)
			return ZS_GAP_NONE;
		row = (unsigned)__builtin_ctz(map);
		map = g->list_map[row];
	}
	col = (unsigned)__builtin_ctz(map);
	return g->head[row * ZS_GAP_SL + col];
}

uint32_t zs_gaps_find_fit(const struct zs_gaps *g, unsigned units,
			  zs_gap_units_fn *units_of)
{
	unsigned row, col;
	uint32_t head;

	/* The list a gap of exactly units would be in holds sizes from
	 * below units up: its newest gap fits about half the time, and
	 * takes the request without rounding it up to the next list. */
	locate(units, &row, &col);
	head = g->head[row * ZS_GAP_SL + col];
	if (head != ZS_GAP_NONE && units_of(g->ctx, head) >= units)
		return head;
	return zs_gaps_find(g, units);
}

/* zs_gaps_check's findings, as zs_pool_check's. */
#define GAP_FAIL(kind, ...)                                               \
	do {                                                              \
		zs_report_finding(kind, "zs_pool_check(%s): " kind##_FMT, \
				  pool_name, ##__VA_ARGS__);              \
		return -EUCLEAN;                                          \
	} while (0)

/* One list: its links, its gaps' sizes; adds to the totals. */
static int check_list(const struct zs_gaps *g, const char *pool_name,
		      zs_gap_units_fn *units_of, unsigned list, uint64_t *gaps,
		      uint64_t *units)
{
	uint32_t ref, prev = ZS_GAP_NONE;
	unsigned lo, hi, n;

	zs_gaps_list_range(list, &lo, &hi);
	for (ref = g->head[list]; ref != ZS_GAP_NONE;
	     prev = ref, ref = g->links(g->ctx, ref)->next) {
		n = units_of(g->ctx, ref);
		if (!n)
			GAP_FAIL(ZS_FINDING_POOL_GAP_NOT_A_GAP,
				 list / ZS_GAP_SL, list % ZS_GAP_SL, ref);
		if (g->links(g->ctx, ref)->prev != prev)
			GAP_FAIL(ZS_FINDING_POOL_GAP_BACK_LINK,
				 list / ZS_GAP_SL, list % ZS_GAP_SL, ref,
				 g->links(g->ctx, ref)->prev, prev);
		if (n < lo || n > hi)
			GAP_FAIL(ZS_FINDING_POOL_GAP_WRONG_LIST, ref, n,
				 list / ZS_GAP_SL, list % ZS_GAP_SL, lo, hi);
		/* Bounds the walk.  A cycle fails the back-link test
		 * first (some gap is reached from two others), so this
		 * trips when the count is too low. */
		if (++*gaps > g->gaps)
			GAP_FAIL(ZS_FINDING_POOL_GAP_LISTS_TOO_LONG,
				 (unsigned long long)g->gaps);
		*units += n;
	}
	return 0;
}

int zs_gaps_check(const struct zs_gaps *g, const char *pool_name,
		  zs_gap_units_fn *units_of)
{
	uint64_t gaps = 0, units = 0;
	unsigned row, col;
	int err;

	for (row = 0; row < 32; row++) {
		unsigned lists = row < ZS_GAP_ROWS ? g->list_map[row] : 0;

		if (((g->row_map >> row) & 1) != (lists != 0))
			GAP_FAIL(ZS_FINDING_POOL_GAP_ROW_MAP, row,
				 (g->row_map >> row) & 1, lists);
		for (col = 0; row < ZS_GAP_ROWS && col < ZS_GAP_SL; col++) {
			unsigned list = row * ZS_GAP_SL + col;
			unsigned bit = (g->list_map[row] >> col) & 1;

			if (bit != (g->head[list] != ZS_GAP_NONE))
				GAP_FAIL(ZS_FINDING_POOL_GAP_LIST_MAP, row, col,
					 bit, g->head[list]);
			err = check_list(g, pool_name, units_of, list, &gaps,
					 &units);
			if (err)
				return err;
		}
	}
	if (gaps != g->gaps || units != g->units)
		GAP_FAIL(ZS_FINDING_POOL_GAP_TOTALS, (unsigned long long)gaps,
			 (unsigned long long)units, (unsigned long long)g->gaps,
			 (unsigned long long)g->units);
	return 0;
}
