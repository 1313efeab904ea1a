// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/report.c - the metric table, result rows and every output.
 *
 * One table of metrics names every figure once: the stdout tables, the CSV
 * columns, the charts and the keys the peer child reports by all come from
 * it.  Outputs: readable tables on stdout (with zs's targets
 * checked against the run, table_targets()), results.csv (one row per
 * system), metrics.csv (what each column means), run.csv (the run's
 * parameters), zsbench.svg (density, utilization and speed side by side),
 * classes.txt and mm_stat.txt.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zsbench/zsbench.h"

const struct zb_metric_desc zb_metrics[ZB_NMETRICS] = {
	[M_PAGES] = { "pages",
		      "4 KiB pages held after the fill (RSS growth / 4096 for malloc peers)" },
	[M_DENS_PAGES] = { "density_pages",
			   "pool pages * 4096 / stored bytes after the fill" },
	[M_DENS_ALLIN] = { "density_allin",
			   "the same plus handles, descriptors and every metadata byte" },
	[M_DENS_RSS] = { "density_rss",
			 "RSS growth / stored bytes after the fill" },
	[M_META] = { "metadata_bytes_per_object",
		     "metadata bytes (handles, descriptors, pool and arena tables) per object after the fill: what all-in adds to pages-only (kernel model: its 8 B handle and zspage descriptors)" },
	[M_UB50] = { "util50_before",
		     "live bytes / memory held after freeing 50% at random, before compaction" },
	[M_UA50] = { "util50_after", "the same after compaction (pool pages)" },
	[M_UR50] = { "util50_rss",
		     "live bytes / RSS growth after compaction, arena compaction and trim (peers: after malloc_trim or purge)" },
	[M_UB75] = { "util75_before", "as util50_before, freeing 75%" },
	[M_UA75] = { "util75_after", "as util50_after, freeing 75%" },
	[M_UR75] = { "util75_rss", "as util50_rss, freeing 75%" },
	[M_UB90] = { "util90_before", "as util50_before, freeing 90%" },
	[M_UA90] = { "util90_after", "as util50_after, freeing 90%" },
	[M_UR90] = { "util90_rss", "as util50_rss, freeing 90%" },
	[M_CF50] = { "compact50_pages_freed",
		     "pages freed by compaction after freeing 50%" },
	[M_CM50] = { "compact50_moved_per_page",
		     "objects moved per page freed" },
	[M_CMS50] = { "compact50_ms", "duration of the zs_compact call, ms" },
	[M_ST50] = { "compact50_stall_us",
		     "longest read_begin..read_end of a reader thread during compaction, reads the kernel preempted (involuntary context switch) or during which it kept the compacting thread waiting for a CPU left out, us" },
	[M_CF75] = { "compact75_pages_freed",
		     "as compact50_pages_freed, freeing 75%" },
	[M_CM75] = { "compact75_moved_per_page",
		     "as compact50_moved_per_page, freeing 75%" },
	[M_CMS75] = { "compact75_ms", "as compact50_ms, freeing 75%" },
	[M_ST75] = { "compact75_stall_us",
		     "as compact50_stall_us, freeing 75%" },
	[M_CF90] = { "compact90_pages_freed",
		     "as compact50_pages_freed, freeing 90%" },
	[M_CM90] = { "compact90_moved_per_page",
		     "as compact50_moved_per_page, freeing 90%" },
	[M_CMS90] = { "compact90_ms", "as compact50_ms, freeing 90%" },
	[M_ST90] = { "compact90_stall_us",
		     "as compact50_stall_us, freeing 90%" },
	[M_STBASE] = { "stall_baseline_us",
		       "longest reader op with no compaction running, as long as each compaction took, the main thread busy (not preempted; the longest of the three), us" },
	[M_STRAW75] = { "compact75_stall_raw_us",
			"longest reader op during the 75% compaction, preempted ops included, us" },
	[M_AM75] = { "arena75_pages_migrated",
		     "pages zs_arena_compact moved after the 75% compaction" },
	[M_SWOPS] = { "stall75_ops",
		      "calls a reader thread timed (map + unmap and read_begin + read_end of random live objects, alternately) while 75% was freed, zs_compact ran and zs_arena_compact ran" },
	[M_SWFREE] = { "stall75_free_us",
		       "longest of those calls during the frees, not preempted, us" },
	[M_SWARENA] = { "stall75_arena_us",
			"longest during zs_arena_compact, not preempted, us" },
	[M_SWMAX] = { "stall75_max_us",
		      "longest over the frees, zs_compact and zs_arena_compact, not preempted, us" },
	[M_SWP999] = { "stall75_p999_us",
		       "99.9th percentile of those calls, preempted ones included, us" },
	[M_SWRAW] = { "stall75_raw_us",
		      "longest of those calls, preempted ones included, us" },
	[M_ACC_N] = { "access_objects",
		      "objects mapped (RO) once and read (read_begin) once after the fill" },
	[M_ACC_MAPCOPY] = { "copied_on_map",
			    "maps that returned a copy: an address another object's map also returned, or one other than the object's in-place address (kernel model: slots crossing a page)" },
	[M_ACC_READCOPY] = { "copied_on_read",
			     "read_begins that returned the caller's buffer or wrote into it (kernel model: slots crossing a page)" },
	[M_ACC_CROSS] = { "crossing_share",
			  "share of objects whose first and last byte lie in different 4 KiB pages (a copied object counts as crossing; kernel model: the slot)" },
	[M_AF1] = { "alloc_free_ns_1t",
		    "alloc + free pair on trace sizes, ns, one thread" },
	[M_AFM] = { "alloc_free_ns_mt",
		    "the same, per thread, with --threads threads" },
	[M_AF_HELD] = { "alloc_free_held",
			"pages the pool holds after the one-thread alloc + free rings, over the pages before them: what churn keeps until a compaction (zsmalloc and zbud rows)" },
	[M_MS1] = { "map_straddle_ns_1t",
		    "map + unmap (RO) of objects spanning two pages, ns" },
	[M_MSM] = { "map_straddle_ns_mt",
		    "the same, per thread, --threads threads" },
	[M_MN1] = { "map_inpage_ns_1t",
		    "map + unmap (RO) of objects within one page, ns" },
	[M_MNM] = { "map_inpage_ns_mt",
		    "the same, per thread, --threads threads" },
	[M_RD1] = { "read_ns_1t",
		    "obj_read_begin + obj_read_end, all objects, ns" },
	[M_RDM] = { "read_ns_mt", "the same, per thread, --threads threads" },
	[M_RX1] = { "read_crossing_ns_1t",
		    "obj_read_begin + obj_read_end of page-crossing objects, ns" },
	[M_RXM] = { "read_crossing_ns_mt",
		    "the same, per thread, --threads threads" },
	[M_RI1] = { "read_inpage_ns_1t",
		    "obj_read_begin + obj_read_end of objects within one page, ns" },
	[M_RIM] = { "read_inpage_ns_mt",
		    "the same, per thread, --threads threads" },
	[M_MAPRATIO] = { "map_crossing_ratio",
			 "map_straddle_ns_1t / map_inpage_ns_1t" },
	[M_READRATIO] = { "read_crossing_ratio",
			  "read_crossing_ns_1t / read_inpage_ns_1t" },
	[M_WR1] = { "write_ns_1t", "obj_write of the whole object, ns" },
	[M_WRM] = { "write_ns_mt", "the same, per thread, --threads threads" },
	[M_CPY] = { "memcpy_straddle_ns",
		    "plain memcpy of the same straddling objects from memory of the same size, ns" },
	[M_ST1] = { "e2e_store_pages_s_1t",
		    "compress + alloc + write of 4 KiB pages, pages/s, one thread" },
	[M_STM] = { "e2e_store_pages_s_mt", "the same, all threads together" },
	[M_LD1] = { "e2e_load_pages_s_1t",
		    "read + decompress, pages/s, one thread" },
	[M_LDM] = { "e2e_load_pages_s_mt", "the same, all threads together" },
	[M_ERRORS] = { "errors",
		       "data mismatches or failed consistency checks (must be 0)" },
};

int zb_metric_by_name(const char *name)
{
	int i;

	for (i = 0; i < ZB_NMETRICS; i++)
		if (!strcmp(zb_metrics[i].csv, name))
			return i;
	return -1;
}

struct zb_row *zb_row_add(struct zb_results *r, const char *name,
			  const char *family)
{
	struct zb_row *row;
	int i;

	if (r->nrows >= ZB_MAX_ROWS) {
		fprintf(stderr, "zsbench: too many result rows\n");
		return NULL;
	}
	row = &r->rows[r->nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	snprintf(row->family, sizeof(row->family), "%s", family);
	for (i = 0; i < ZB_NMETRICS; i++)
		row->v[i] = NAN;
	return row;
}

struct zb_row *zb_row_find(struct zb_results *r, const char *name)
{
	int i;

	for (i = 0; i < r->nrows; i++)
		if (!strcmp(r->rows[i].name, name))
			return &r->rows[i];
	return NULL;
}

/* --- stdout --- */

/* Formats v into one of a few rotating buffers; "-" when not measured. */
const char *zb_fmt(double v, int prec)
{
	static char bufs[16][32];
	static int next;
	char *b = bufs[next++ % 16];

	if (isnan(v))
		return "-";
	snprintf(b, 32, "%.*f", prec, v);
	return b;
}

static int has_any(const struct zb_row *row, const int *m, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!isnan(row->v[m[i]]))
			return 1;
	return 0;
}

static void table_density(const struct zb_trace *t, struct zb_results *r)
{
	static const int ms[] = { M_PAGES, M_DENS_PAGES, M_DENS_ALLIN,
				  M_DENS_RSS };
	uint64_t floor_pages = (t->total + ZB_PAGE - 1) / ZB_PAGE;
	int i;

	printf("\nDENSITY after the fill: bytes held / bytes stored (lower is better)\n");
	printf("%-16s %9s %10s %8s %8s  %s\n", "system", "pages", "pages-only",
	       "all-in", "RSS", "note");
	printf("%-16s %9llu %10s %8s %8s  %s\n", "floor",
	       (unsigned long long)floor_pages,
	       zb_fmt((double)floor_pages * ZB_PAGE / (double)t->total, 4), "",
	       "", "ceil(stored / 4096) pages");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		if (!has_any(w, ms, 4))
			continue;
		printf("%-16s %9s %10s %8s %8s  %s\n", w->name,
		       zb_fmt(w->v[M_PAGES], 0), zb_fmt(w->v[M_DENS_PAGES], 4),
		       zb_fmt(w->v[M_DENS_ALLIN], 4),
		       zb_fmt(w->v[M_DENS_RSS], 4), w->note);
	}
	if (r->waste[0][0] || r->waste[1][0])
		printf("  pages above the floor, as a share of the stored bytes (chain %d):\n",
		       ZB_CHAIN);
	for (i = 0; i < 2; i++)
		if (r->waste[i][0])
			printf("    %s\n", r->waste[i]);
}

static void table_frag(struct zb_results *r)
{
	static const int ms[] = { M_UB50, M_UA50, M_UR50, M_UB75, M_UA75,
				  M_UR75, M_UB90, M_UA90, M_UR90 };
	int i, j;

	printf("\nFRAGMENTATION: utilization = live bytes / memory held after freeing at random\n");
	printf("  before = after the frees, after = after zs_compact (kernel: modelled),\n");
	printf("  RSS = live / RSS growth after compaction + arena compaction + trim\n");
	printf("  (malloc peers: after malloc_trim(0) / jemalloc arena purge / mi_collect)\n");
	printf("%-16s %-20s %-20s %-20s\n", "", "   free 50%", "   free 75%",
	       "   free 90%");
	printf("%-16s", "system");
	for (j = 0; j < 3; j++)
		printf(" %6s %6s %6s", "before", "after", "RSS");
	printf("\n");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		if (!has_any(w, ms, 9))
			continue;
		printf("%-16s", w->name);
		for (j = 0; j < 9; j++)
			printf(" %6s", zb_fmt(w->v[ms[j]], 3));
		printf("\n");
	}
}

static void table_compaction(struct zb_results *r)
{
	static const int fr[3] = { 50, 75, 90 };
	static const int mf[3][4] = { { M_CF50, M_CM50, M_CMS50, M_ST50 },
				      { M_CF75, M_CM75, M_CMS75, M_ST75 },
				      { M_CF90, M_CM90, M_CMS90, M_ST90 } };
	int i, f;

	printf("\nCOMPACTION after freeing at random (kernel: modelled, emptiest zspage into fullest)\n");
	printf("  call ms = wall time of zs_compact; stall = longest read_begin..read_end of a\n");
	printf("  reader thread meanwhile, reads during which the kernel preempted the reader or\n");
	printf("  kept the compacting thread waiting for a CPU left out (raw: all reads);\n");
	printf("  baseline = the same reader, as long as each compaction took, with the\n");
	printf("  compacting thread copying a private buffer instead (no object moves): the\n");
	printf("  machine's own longest call, the longest of the three (chain %d)\n",
	       ZB_CHAIN);
	printf("%-16s %5s %9s %10s %9s %9s %9s %11s\n", "system", "freed",
	       "pages", "moved/page", "call ms", "stall us", "raw us",
	       "baseline us");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		for (f = 0; f < 3; f++) {
			if (!has_any(w, mf[f], 4))
				continue;
			printf("%-16s %4d%% %9s %10s %9s %9s %9s %11s\n",
			       w->name, fr[f], zb_fmt(w->v[mf[f][0]], 0),
			       zb_fmt(w->v[mf[f][1]], 2),
			       zb_fmt(w->v[mf[f][2]], 1),
			       zb_fmt(w->v[mf[f][3]], 1),
			       zb_fmt(f == 1 ? w->v[M_STRAW75] : NAN, 0),
			       zb_fmt(f == 1 ? w->v[M_STBASE] : NAN, 1));
		}
	}
	if (r->compact_note[0])
		printf("  %s\n", r->compact_note);
}

static void table_stalls(struct zb_results *r)
{
	static const int ms[] = { M_SWOPS, M_SWFREE, M_ST75, M_SWARENA,
				  M_SWMAX, M_SWP999, M_SWRAW };
	int i;

	printf("\nREADER STALLS while freeing 75%% at random, zs_compact and zs_arena_compact: a\n");
	printf("  reader thread maps (RO) and reads random live objects by turns, timing each\n");
	printf("  call to its release (CLOCK_MONOTONIC); longest calls per phase and overall,\n");
	printf("  calls during which the kernel preempted the reader or kept the main\n");
	printf("  thread waiting for a CPU left out; p99.9 and raw include them; us\n");
	printf("%-16s %10s %9s %9s %9s %9s %9s %9s\n", "system", "calls",
	       "frees", "compact", "arena", "max", "p99.9", "raw max");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		if (!has_any(w, ms, 7) || isnan(w->v[M_SWOPS]))
			continue;
		printf("%-16s %10s %9s %9s %9s %9s %9s %9s\n", w->name,
		       zb_fmt(w->v[M_SWOPS], 0), zb_fmt(w->v[M_SWFREE], 1),
		       zb_fmt(w->v[M_ST75], 1), zb_fmt(w->v[M_SWARENA], 1),
		       zb_fmt(w->v[M_SWMAX], 1), zb_fmt(w->v[M_SWP999], 2),
		       zb_fmt(w->v[M_SWRAW], 0));
	}
}

static void table_access(struct zb_results *r)
{
	static const int ms[] = { M_ACC_N, M_ACC_MAPCOPY, M_ACC_READCOPY,
				  M_ACC_CROSS };
	int i;

	printf("\nACCESS of page-crossing objects: every object mapped (RO) once and read once;\n");
	printf("  copied = the map or read returned a copy, not the object in place (the\n");
	printf("  caller's buffer, or one address for two objects); crossing = first and last\n");
	printf("  byte in different 4 KiB pages (a copy counts as crossing; kernel model: its\n");
	printf("  slot, which it copies); ns per op, one thread, on as many in-page objects\n");
	printf("  as crossing ones (random samples, random order); ratio = crossing / in-page\n");
	printf("%-16s %8s %8s %8s %8s  %7s %7s %6s  %7s %7s %6s\n", "system",
	       "objects", "crossing", "copied", "copied", "map", "map", "map",
	       "read", "read", "read");
	printf("%-16s %8s %8s %8s %8s  %7s %7s %6s  %7s %7s %6s\n", "", "",
	       "share", "on map", "on read", "crossing", "in-page", "ratio",
	       "crossing", "in-page", "ratio");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		if (!has_any(w, ms, 4))
			continue;
		printf("%-16s %8s %8s %8s %8s  %7s %7s %6s  %7s %7s %6s\n",
		       w->name, zb_fmt(w->v[M_ACC_N], 0),
		       zb_fmt(w->v[M_ACC_CROSS], 3),
		       zb_fmt(w->v[M_ACC_MAPCOPY], 0),
		       zb_fmt(w->v[M_ACC_READCOPY], 0), zb_fmt(w->v[M_MS1], 1),
		       zb_fmt(w->v[M_MN1], 1), zb_fmt(w->v[M_MAPRATIO], 2),
		       zb_fmt(w->v[M_RX1], 1), zb_fmt(w->v[M_RI1], 1),
		       zb_fmt(w->v[M_READRATIO], 2));
	}
}

static void table_speed(const struct zb_config *cfg, struct zb_results *r)
{
	static const int ms[] = { M_AF1, M_AFM, M_MS1, M_MSM, M_MN1, M_MNM,
				  M_RD1, M_RDM, M_WR1, M_WRM, M_CPY };
	char mt[8];
	int i, j;

	snprintf(mt, sizeof(mt), "%dt", cfg->threads);
	printf("\nSPEED: ns per op, per thread, timed by thread CPU time (other processes on the\n");
	printf("  machine do not count; lock waits that sleep do not either); best of %d runs\n",
	       cfg->reps);
	printf("%-16s %-15s %-15s %-15s %-15s %-15s\n", "", " alloc+free",
	       " map straddling", " map in-page", " read_begin/end",
	       " obj_write");
	printf("%-16s", "system");
	for (j = 0; j < 5; j++)
		printf(" %7s %7s", "1t", mt);
	printf("\n");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		if (!has_any(w, ms, 11))
			continue;
		printf("%-16s", w->name);
		if (!strcmp(w->family, "memcpy")) {
			printf(" %7s %7s %7s %7s  (plain memcpy of the straddling objects)\n",
			       "-", "-", zb_fmt(w->v[M_CPY], 1), "-");
			continue;
		}
		for (j = 0; j < 10; j++)
			printf(" %7s", zb_fmt(w->v[ms[j]], 1));
		printf("\n");
	}
	printf("  held after the 1t alloc + free rings / before them (pages; what churn\n");
	printf("  keeps until a compaction: recycled blocks, gaps):");
	for (i = 0; i < r->nrows; i++)
		if (!isnan(r->rows[i].v[M_AF_HELD]))
			printf(" %s %.3f", r->rows[i].name,
			       r->rows[i].v[M_AF_HELD]);
	printf("\n");
}

static void table_e2e(const struct zb_config *cfg, const struct zb_trace *t,
		      struct zb_results *r)
{
	static const int ms[] = { M_ST1, M_STM, M_LD1, M_LDM };
	int i;

	printf("\nEND TO END like zram (%s): store = compress + alloc + write, load = read + decompress\n",
	       zb_comp_name(t->comp));
	printf("  %zu pages per run; pages/s of all threads together, timed by the busiest\n",
	       t->nraw);
	printf("  thread's CPU time (higher is better)\n");
	printf("%-16s %12s %12s %12s %12s\n", "system", "store 1t", "store Nt",
	       "load 1t", "load Nt");
	(void)cfg;
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		if (!has_any(w, ms, 4))
			continue;
		printf("%-16s %12s %12s %12s %12s\n", w->name,
		       zb_fmt(w->v[M_ST1], 0), zb_fmt(w->v[M_STM], 0),
		       zb_fmt(w->v[M_LD1], 0), zb_fmt(w->v[M_LDM], 0));
	}
}

enum zb_verdict zb_judge(double got, double target, int lower)
{
	if (isnan(got) || isnan(target))
		return ZB_UNMEASURED;
	if (target == 0) /* a count that must be zero */
		return got == 0 ? ZB_MET : ZB_SHORT;
	return (lower ? got <= target : got >= target) ? ZB_MET : ZB_SHORT;
}

static void verdict(const char *what, double got, double target, int lower)
{
	switch (zb_judge(got, target, lower)) {
	case ZB_UNMEASURED:
		printf("  %-58s not measured\n", what);
		break;
	case ZB_MET:
		if (target == 0)
			printf("  %-58s met     (%.0f vs 0)\n", what, got);
		else
			printf("  %-58s met     (%.4g vs %.4g)\n", what, got,
			       target);
		break;
	case ZB_SHORT:
		if (target == 0)
			printf("  %-58s SHORT   (%.0f vs 0)\n", what, got);
		else
			printf("  %-58s SHORT   (%.4g vs %.4g: %+.1f%%)\n",
			       what, got, target,
			       100.0 * (got - target) / target);
		break;
	}
}

static double val(struct zb_results *r, const char *name, int m)
{
	struct zb_row *w = zb_row_find(r, name);

	return w ? w->v[m] : NAN;
}

static void table_targets(const struct zb_trace *t, struct zb_results *r)
{
	static const char *const chains[3] = { "4", "8", "16" };
	static const char *const peers[3] = { "glibc", "jemalloc", "mimalloc" };
	char what[128], zs[32], k[32];
	double best_peer = INFINITY, peer_util = -1;
	int i;

	printf("\nTARGETS (zs's goals for density, utilization and speed)\n");
	if (t->kind == ZB_TRACE_REAL) {
		double target = t->comp == ZB_ZSTD ? 1.015 : 1.010;

		for (i = 0; i < 3; i++) {
			snprintf(zs, sizeof(zs), "zsmalloc-c%s", chains[i]);
			snprintf(what, sizeof(what),
				 "density pages-only %s <= %.3f", zs, target);
			verdict(what, val(r, zs, M_DENS_PAGES), target, 1);
		}
		if (t->comp == ZB_LZ4)
			verdict("density all-in " ZB_ZS_ROW " <= 1.011",
				val(r, ZB_ZS_ROW, M_DENS_ALLIN), 1.011, 1);
	} else {
		printf("  (density targets are set for the real-page trace; comparisons only)\n");
	}
	for (i = 0; i < 3; i++) {
		snprintf(zs, sizeof(zs), "zsmalloc-c%s", chains[i]);
		snprintf(k, sizeof(k), "kernel-zs-c%s", chains[i]);
		snprintf(what, sizeof(what),
			 "density pages-only %s <= kernel model", zs);
		verdict(what, val(r, zs, M_DENS_PAGES), val(r, k, M_DENS_PAGES),
			1);
	}
	for (i = 0; i < 3; i++) {
		double d = val(r, peers[i], M_DENS_RSS);
		double u = val(r, peers[i], M_UR75);

		if (!isnan(d) && d < best_peer)
			best_peer = d;
		if (!isnan(u) && u > peer_util)
			peer_util = u;
	}
	verdict("density all-in " ZB_ZS_ROW " < every malloc peer's RSS",
		val(r, ZB_ZS_ROW, M_DENS_ALLIN),
		isinf(best_peer) ? NAN : best_peer, 1);
	verdict("utilization after freeing 75% + compact, " ZB_CN " >= 0.97",
		val(r, ZB_ZS_ROW, M_UA75), 0.97, 0);
	verdict("  the same by RSS (arena compacted and trimmed) >= 0.97",
		val(r, ZB_ZS_ROW, M_UR75), 0.97, 0);
	verdict("  and far above every malloc peer after trim (best peer)",
		val(r, ZB_ZS_ROW, M_UR75), peer_util < 0 ? NAN : peer_util, 0);
	verdict("alloc+free 1t " ZB_CN " <= 2x jemalloc (same loop, same run)",
		val(r, ZB_ZS_ROW, M_AF1), 2 * val(r, "jemalloc", M_AF1), 1);
	verdict("map+unmap straddling 1t " ZB_CN " <= 2x plain memcpy",
		val(r, ZB_ZS_ROW, M_MS1), 2 * val(r, "memcpy", M_CPY), 1);
	verdict("longest reader stall during compaction (75%) < 1000 us",
		val(r, ZB_ZS_ROW, M_ST75), 1000, 1);
	verdict("  over the frees + zs_compact + zs_arena_compact < 1000 us",
		val(r, ZB_ZS_ROW, M_SWMAX), 1000, 1);
	verdict("  its p99.9 < 1000 us", val(r, ZB_ZS_ROW, M_SWP999), 1000, 1);
	verdict("utilization by RSS, 75% freed, arena compact + trim >= 0.90",
		val(r, ZB_ZS_ROW, M_UR75), 0.90, 0);
	for (i = 0; i < 3; i++) {
		snprintf(zs, sizeof(zs), "zsmalloc-c%s", chains[i]);
		snprintf(what, sizeof(what),
			 "objects copied on map, %s == 0 (count)", zs);
		verdict(what, val(r, zs, M_ACC_MAPCOPY), 0, 1);
		snprintf(what, sizeof(what),
			 "objects copied on read, %s == 0 (count)", zs);
		verdict(what, val(r, zs, M_ACC_READCOPY), 0, 1);
	}
	verdict("map+unmap crossing / in-page, 1t " ZB_CN " <= 1.10",
		val(r, ZB_ZS_ROW, M_MAPRATIO), 1.10, 1);
	verdict("read_begin/end crossing / in-page, 1t " ZB_CN " <= 1.10",
		val(r, ZB_ZS_ROW, M_READRATIO), 1.10, 1);
}

void zb_report_stdout(const struct zb_config *cfg, const struct zb_trace *t,
		      struct zb_results *r, double elapsed_s)
{
	printf("zsbench: %s\n", t->desc);
	zb_trace_summary(stdout, t);
	printf("  %zu objects, %.1f MiB stored, mean %.0f B, sd %.0f B, %zu incompressible (4096 B)\n",
	       t->n, (double)t->total / 1048576.0, t->mean, t->sd,
	       t->huge_pages);
	printf("  threads 1 and %d, seed %llu, %s run, %.1f s\n", cfg->threads,
	       (unsigned long long)cfg->seed, cfg->quick ? "quick" : "full",
	       elapsed_s);
	table_density(t, r);
	table_frag(r);
	table_compaction(r);
	table_stalls(r);
	table_access(r);
	table_speed(cfg, r);
	table_e2e(cfg, t, r);
	table_targets(t, r);
	if (r->mm_stat_fill[0]) {
		printf("\nzram mm_stat of the default pool (" ZB_ZS_ROW ")\n");
		printf("  orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since\n");
		printf("  after the fill:                 %s\n",
		       r->mm_stat_fill);
		if (r->mm_stat_after[0])
			printf("  after freeing 75%% + compacting: %s\n",
			       r->mm_stat_after);
	}
	if (r->class_table) {
		printf("\nclass table of the default pool (" ZB_ZS_ROW
		       ") after the fill\n");
		fputs(r->class_table, stdout);
	}
	if (r->errors)
		printf("\nzsbench: %d error(s) during the run, see above and stderr\n",
		       r->errors);
	printf("\nfiles written to %s: results.csv metrics.csv run.csv zsbench.svg classes.txt mm_stat.txt\n",
	       cfg->out_dir);
	fflush(stdout);
}

/* --- CSV --- */

void zb_csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int write_csv(const struct zb_config *cfg, const struct zb_trace *t,
		     struct zb_results *r)
{
	uint64_t floor_pages = (t->total + ZB_PAGE - 1) / ZB_PAGE;
	FILE *f = zb_out_open(cfg, "results.csv");
	int i, j;

	if (!f)
		return -1;
	fprintf(f, "system,family");
	for (j = 0; j < ZB_NMETRICS; j++)
		fprintf(f, ",%s", zb_metrics[j].csv);
	fprintf(f, ",note\n");
	fprintf(f, "floor,floor,%llu,%.6f", (unsigned long long)floor_pages,
		(double)floor_pages * ZB_PAGE / (double)t->total);
	for (j = 2; j < ZB_NMETRICS; j++)
		fputc(',', f);
	fprintf(f, ",\"ceil(stored / 4096) pages\"\n");
	for (i = 0; i < r->nrows; i++) {
		const struct zb_row *w = &r->rows[i];

		fprintf(f, "%s,%s", w->name, w->family);
		for (j = 0; j < ZB_NMETRICS; j++) {
			if (isnan(w->v[j]))
				fputc(',', f);
			else
				fprintf(f, ",%.6g", w->v[j]);
		}
		fputc(',', f);
		zb_csv_field(f, w->note);
		fputc('\n', f);
	}
	if (fclose(f))
		return -1;

	f = zb_out_open(cfg, "metrics.csv");
	if (!f)
		return -1;
	fprintf(f, "metric,meaning\n");
	for (j = 0; j < ZB_NMETRICS; j++) {
		fprintf(f, "%s,", zb_metrics[j].csv);
		zb_csv_field(f, zb_metrics[j].what);
		fputc('\n', f);
	}
	if (fclose(f))
		return -1;

	f = zb_out_open(cfg, "run.csv");
	if (!f)
		return -1;
	fprintf(f,
		"key,value\ntrace,%s\ncompressor,%s\nobjects,%zu\n"
		"stored_bytes,%llu\nmean_bytes,%.1f\nsd_bytes,%.1f\n"
		"incompressible,%zu\nsame_filled_skipped,%zu\n"
		"threads,%d\nseed,%llu\nquick,%d\ne2e_pages,%zu\n",
		zb_trace_name(t->kind), zb_comp_name(t->comp), t->n,
		(unsigned long long)t->total, t->mean, t->sd, t->huge_pages,
		t->same_pages, cfg->threads, (unsigned long long)cfg->seed,
		cfg->quick, t->nraw);
	if (t->kind == ZB_TRACE_ANON)
		fprintf(f,
			"pid,%ld\ndonor,%d\nanon_mappings,%zu\nanon_pages_mapped,%llu\n"
			"anon_pages_present,%llu\nanon_pages_read,%llu\n"
			"anon_pages_unreadable,%llu\nanon_pagemap,%d\n",
			t->pid, t->donor, t->anon_mappings,
			(unsigned long long)t->anon_vm_pages,
			(unsigned long long)t->anon_present,
			(unsigned long long)t->anon_read,
			(unsigned long long)t->anon_unreadable,
			t->anon_pagemap);
	fprintf(f, "description,");
	zb_csv_field(f, t->desc);
	fputc('\n', f);
	return fclose(f) ? -1 : 0;
}

/* --- SVG --- */

struct panel {
	const char *title;
	const char *subtitle;
	double lo, hi; /* axis range */
	int m[2]; /* two bars per system */
	int alt[2]; /* used when m[k] is not measured */
	const char *legend[2];
	int prec;
};

static const char *const bar_colour[2] = { "#2f6db5", "#9cc3ea" };

static void svg_text(FILE *f, double x, double y, const char *anchor, int size,
		     const char *s)
{
	fprintf(f,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">",
		x, y, anchor, size);
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
	}
	fputs("</text>\n", f);
}

static double bar_value(const struct zb_row *w, const struct panel *p, int k)
{
	double v = w->v[p->m[k]];

	if (isnan(v) && p->alt[k] >= 0)
		v = w->v[p->alt[k]];
	return v;
}

static void svg_panel(FILE *f, const struct panel *p, struct zb_results *r,
		      double x0, double y0, double w, int *rows, int nrows)
{
	const double label_w = 110, bar_h = 9, row_h = 26;
	double plot_w = w - label_w - 60, hi = p->hi;
	char buf[128];
	int i, k;

	for (i = 0; i < nrows; i++)
		for (k = 0; k < 2; k++) {
			double v = bar_value(&r->rows[rows[i]], p, k);

			if (!isnan(v) && v > hi)
				hi = v;
		}
	if (hi <= p->lo)
		hi = p->lo + 1;
	svg_text(f, x0 + w / 2, y0 + 16, "middle", 14, p->title);
	svg_text(f, x0 + w / 2, y0 + 32, "middle", 10, p->subtitle);
	for (k = 0; k < 2; k++) {
		fprintf(f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n",
			x0 + 20 + k * 190, y0 + 40, bar_colour[k]);
		svg_text(f, x0 + 20 + k * 190 + 14, y0 + 49, "start", 10,
			 p->legend[k]);
	}
	y0 += 60;
	fprintf(f,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#444\"/>\n",
		x0 + label_w, y0, x0 + label_w, y0 + nrows * row_h);
	snprintf(buf, sizeof(buf), "%.*f", p->prec, p->lo);
	svg_text(f, x0 + label_w, y0 + nrows * row_h + 12, "middle", 9, buf);
	snprintf(buf, sizeof(buf), "%.*f", p->prec, hi);
	svg_text(f, x0 + label_w + plot_w, y0 + nrows * row_h + 12, "middle", 9,
		 buf);
	for (i = 0; i < nrows; i++) {
		const struct zb_row *row = &r->rows[rows[i]];
		double y = y0 + i * row_h + 4;

		svg_text(f, x0 + label_w - 6, y + bar_h + 4, "end", 11,
			 row->name);
		for (k = 0; k < 2; k++) {
			double v = bar_value(row, p, k), len;

			if (isnan(v))
				continue;
			len = (v - p->lo) / (hi - p->lo) * plot_w;
			if (len < 1)
				len = 1;
			fprintf(f,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s %.*f</title></rect>\n",
				x0 + label_w, y + k * bar_h, len, bar_h - 1,
				bar_colour[k], row->name, p->legend[k],
				p->prec + 1, v);
			snprintf(buf, sizeof(buf), "%.*f", p->prec, v);
			svg_text(f, x0 + label_w + len + 3,
				 y + k * bar_h + bar_h - 1, "start", 9, buf);
		}
	}
}

static int write_svg(const struct zb_config *cfg, const struct zb_trace *t,
		     struct zb_results *r)
{
	char mt[48];
	struct panel panels[4] = {
		{ "Density after the fill",
		  "bytes held / bytes stored, axis from 1.0 (lower is better)",
		  1.0,
		  1.05,
		  { M_DENS_PAGES, M_DENS_ALLIN },
		  { -1, M_DENS_RSS },
		  { "pages only", "all-in (peers: RSS)" },
		  3 },
		{ "Utilization after freeing 75%",
		  "live bytes / memory held (higher is better)",
		  0.0,
		  1.0,
		  { M_UA75, M_UR75 },
		  { -1, -1 },
		  { "after compaction", "by RSS after trim" },
		  2 },
		{ "alloc + free",
		  "ns per pair on trace sizes (lower is better)",
		  0.0,
		  10.0,
		  { M_AF1, M_AFM },
		  { -1, -1 },
		  { "1 thread", mt },
		  0 },
		{ "Access",
		  "ns per op, 1 thread (lower is better)",
		  0.0,
		  10.0,
		  { M_MS1, M_RD1 },
		  { M_CPY, -1 },
		  { "map straddling (memcpy)", "read_begin/end" },
		  0 },
	};
	const double pw = 400, rh = 26;
	int rows[4][ZB_MAX_ROWS], nrows[4] = { 0 }, maxrows = 0, i, p, k;
	double height;
	FILE *f;

	for (p = 0; p < 4; p++) {
		for (i = 0; i < r->nrows; i++) {
			int any = 0;

			for (k = 0; k < 2; k++)
				any |= !isnan(
					bar_value(&r->rows[i], &panels[p], k));
			if (any)
				rows[p][nrows[p]++] = i;
		}
		if (nrows[p] > maxrows)
			maxrows = nrows[p];
	}
	snprintf(mt, sizeof(mt), "%d threads, per thread", cfg->threads);
	panels[2].legend[1] = mt;
	height = 60 + 60 + maxrows * rh + 40;
	f = zb_out_open(cfg, "zsbench.svg");
	if (!f)
		return -1;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n",
		4 * pw, height);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	{
		char title[640];

		snprintf(title, sizeof(title),
			 "zsbench: %s trace, %s, %zu objects, mean %.0f B",
			 zb_trace_name(t->kind), zb_comp_name(t->comp), t->n,
			 t->mean);
		svg_text(f, 2 * pw, 24, "middle", 16, title);
	}
	for (p = 0; p < 4; p++)
		svg_panel(f, &panels[p], r, p * pw, 40, pw, rows[p], nrows[p]);
	fprintf(f, "</svg>\n");
	return fclose(f) ? -1 : 0;
}

int zb_report_files(const struct zb_config *cfg, const struct zb_trace *t,
		    struct zb_results *r)
{
	FILE *f;
	int err = 0;

	if (write_csv(cfg, t, r))
		err = -1;
	if (write_svg(cfg, t, r))
		err = -1;
	f = zb_out_open(cfg, "classes.txt");
	if (f) {
		if (r->class_table)
			fputs(r->class_table, f);
		if (fclose(f))
			err = -1;
	} else {
		err = -1;
	}
	f = zb_out_open(cfg, "mm_stat.txt");
	if (f) {
		fprintf(f,
			"# orig_data_size compr_data_size mem_used_total mem_limit mem_used_max same_pages pages_compacted huge_pages huge_pages_since\n");
		if (r->mm_stat_fill[0])
			fprintf(f, "%s\n", r->mm_stat_fill);
		if (r->mm_stat_after[0])
			fprintf(f, "%s\n", r->mm_stat_after);
		if (fclose(f))
			err = -1;
	} else {
		err = -1;
	}
	return err;
}
