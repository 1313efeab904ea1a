// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/suite.c - --suite's table: zs's targets across traces.
 *
 * A target met on one trace can be missed on another: density, utilization
 * and metadata per object depend on the size mix and on how many objects
 * share the classes.  So --suite measures the /usr trace at two sizes and a
 * process's anonymous memory in one run, and this file judges the default
 * chain's row (ZB_ZS_ROW) on each of them against one list of targets: a column per trace on
 * stdout and in targets.csv, then the malloc peers' figures the relative
 * targets are bounded by (each from the same trace's run).  main.c runs the
 * traces; zb_judge decides, as in each trace's own TARGETS section.
 */
#include <string.h>

#include "tools/zsbench/zsbench.h"

#define ZS_ROW ZB_ZS_ROW
#define WHAT_W 50
#define CELL_W 16

/* Where a target's bound comes from. */
enum bound_kind {
	B_FIXED, /* factor is the bound */
	B_PEER, /* factor * peer's peer_m, in the same trace's run */
	B_BEST_PEER, /* the best malloc peer's peer_m: zs must beat them all */
};

/* ZS_ROW's figure is the longest of several stalls, not one metric. */
#define M_STALL (-1)

struct target {
	const char *key; /* targets.csv's key */
	const char *what;
	int m; /* ZS_ROW's figure */
	int prec;
	int lower; /* the bound is a ceiling, else a floor */
	enum bound_kind kind;
	double factor;
	const char *peer;
	int peer_m;
};

static const struct target targets[] = {
	{ "density_pages", "density pages-only <= 1.008", M_DENS_PAGES, 4, 1,
	  B_FIXED, 1.008, NULL, 0 },
	{ "density_allin", "density all-in <= 1.015", M_DENS_ALLIN, 4, 1,
	  B_FIXED, 1.015, NULL, 0 },
	{ "density_allin_vs_glibc", "density all-in < glibc's density by RSS",
	  M_DENS_ALLIN, 4, 1, B_PEER, 1, "glibc", M_DENS_RSS },
	{ "util50_after", "utilization 50% freed + zs_compact >= 0.97", M_UA50,
	  3, 0, B_FIXED, 0.97, NULL, 0 },
	{ "util75_after", "utilization 75% freed + zs_compact >= 0.97", M_UA75,
	  3, 0, B_FIXED, 0.97, NULL, 0 },
	{ "util90_after", "utilization 90% freed + zs_compact >= 0.97", M_UA90,
	  3, 0, B_FIXED, 0.97, NULL, 0 },
	{ "util50_rss", "utilization by RSS 50% freed >= 0.95", M_UR50, 3, 0,
	  B_FIXED, 0.95, NULL, 0 },
	{ "util75_rss", "utilization by RSS 75% freed >= 0.95", M_UR75, 3, 0,
	  B_FIXED, 0.95, NULL, 0 },
	{ "metadata_per_object", "metadata B/object, all-in <= 16", M_META, 1,
	  1, B_FIXED, 16, NULL, 0 },
	{ "alloc_free_1t", "alloc+free 1t ns <= 1.5x jemalloc's", M_AF1, 1, 1,
	  B_PEER, 1.5, "jemalloc", M_AF1 },
	{ "e2e_store_1t", "store 1t pages/s >= every malloc peer's", M_ST1, 0,
	  0, B_BEST_PEER, 1, NULL, M_ST1 },
	{ "e2e_store_mt", "store Nt pages/s >= every malloc peer's", M_STM, 0,
	  0, B_BEST_PEER, 1, NULL, M_STM },
	{ "e2e_load_1t", "load 1t pages/s >= every malloc peer's", M_LD1, 0, 0,
	  B_BEST_PEER, 1, NULL, M_LD1 },
	{ "e2e_load_mt", "load Nt pages/s >= every malloc peer's", M_LDM, 0, 0,
	  B_BEST_PEER, 1, NULL, M_LDM },
	{ "reader_stall_compaction",
	  "longest reader stall in compaction < 1000 us", M_STALL, 1, 1,
	  B_FIXED, 1000, NULL, 0 },
};

#define NTARGETS ((int)(sizeof(targets) / sizeof(targets[0])))

/* The peers' figures the relative targets are bounded by. */
static const struct {
	int m;
	int prec;
	const char *what;
} refs[] = {
	{ M_DENS_RSS, 4, "density by RSS" }, { M_AF1, 1, "alloc+free 1t ns" },
	{ M_ST1, 0, "store 1t pages/s" },    { M_STM, 0, "store Nt pages/s" },
	{ M_LD1, 0, "load 1t pages/s" },     { M_LDM, 0, "load Nt pages/s" },
};

#define NREFS ((int)(sizeof(refs) / sizeof(refs[0])))

static double figure(struct zb_results *r, const struct target *tg)
{
	/* zs_compact after each free fraction, then zs_arena_compact */
	static const int stalls[] = { M_ST50, M_ST75, M_ST90, M_SWARENA };
	struct zb_row *w = zb_row_find(r, ZS_ROW);
	double v = NAN;
	size_t i;

	if (!w)
		return NAN;
	if (tg->m != M_STALL)
		return w->v[tg->m];
	for (i = 0; i < sizeof(stalls) / sizeof(stalls[0]); i++) {
		double s = w->v[stalls[i]];

		if (!isnan(s) && (isnan(v) || s > v))
			v = s;
	}
	return v;
}

static double bound(struct zb_results *r, const struct target *tg)
{
	struct zb_row *w;
	double best = NAN;
	int i;

	switch (tg->kind) {
	case B_FIXED:
		return tg->factor;
	case B_PEER:
		w = zb_row_find(r, tg->peer);
		return w ? tg->factor * w->v[tg->peer_m] : NAN;
	case B_BEST_PEER:
		for (i = 0; i < r->nrows; i++) {
			double v = r->rows[i].v[tg->peer_m];

			if (strcmp(r->rows[i].family, "malloc") || isnan(v))
				continue;
			if (isnan(best) || (tg->lower ? v < best : v > best))
				best = v;
		}
		return isnan(best) ? NAN : tg->factor * best;
	}
	return NAN;
}

/* One cell of a row; the last one unpadded, so no line ends in blanks. */
static void cell_out(const char *cell, int last)
{
	if (last)
		printf(" %s\n", cell);
	else
		printf(" %-*s", CELL_W, cell);
}

static const char *verdict_word(enum zb_verdict d)
{
	return d == ZB_MET ? "met" : d == ZB_SHORT ? "SHORT" : "-";
}

/* Malloc peers measured on any trace, each once, in the order first seen. */
static int peer_names(const struct zb_suite_trace *s, int n, const char **names,
		      int max)
{
	int k, i, j, np = 0;

	for (k = 0; k < n; k++) {
		if (!s[k].built)
			continue;
		for (i = 0; i < s[k].r->nrows; i++) {
			const struct zb_row *w = &s[k].r->rows[i];

			if (strcmp(w->family, "malloc"))
				continue;
			for (j = 0; j < np; j++)
				if (!strcmp(names[j], w->name))
					break;
			if (j == np && np < max)
				names[np++] = w->name;
		}
	}
	return np;
}

static double peer_val(const struct zb_suite_trace *st, const char *peer, int m)
{
	struct zb_row *w;

	if (!st->built)
		return NAN;
	w = zb_row_find(st->r, peer);
	return w ? w->v[m] : NAN;
}

void zb_suite_report(const struct zb_config *cfg,
		     const struct zb_suite_trace *s, int n)
{
	const char *peers[ZB_MAX_ROWS];
	char cell[64], what[96];
	int k, i, j, np;

	printf("\nTARGETS across traces: %s against zs's targets on each trace of this run\n",
	       ZS_ROW);
	printf("  (value, then met, SHORT, or - when not measured; Nt = %d threads)\n",
	       cfg->threads);
	for (k = 0; k < n; k++)
		printf("  %s: %s\n", s[k].label, s[k].what);
	printf("%-*s", WHAT_W, "target");
	for (k = 0; k < n; k++)
		cell_out(s[k].label, k == n - 1);
	for (i = 0; i < NTARGETS; i++) {
		const struct target *tg = &targets[i];

		printf("%-*s", WHAT_W, tg->what);
		for (k = 0; k < n; k++) {
			double v, b;

			if (!s[k].built) {
				cell_out("not run", k == n - 1);
				continue;
			}
			v = figure(s[k].r, tg);
			b = bound(s[k].r, tg);
			snprintf(cell, sizeof(cell), "%s %s",
				 zb_fmt(v, tg->prec),
				 verdict_word(zb_judge(v, b, tg->lower)));
			cell_out(cell, k == n - 1);
		}
	}
	printf("%-*s", WHAT_W, "targets met");
	for (k = 0; k < n; k++) {
		int met = 0;

		for (i = 0; s[k].built && i < NTARGETS; i++)
			met += zb_judge(figure(s[k].r, &targets[i]),
					bound(s[k].r, &targets[i]),
					targets[i].lower) == ZB_MET;
		snprintf(cell, sizeof(cell), "%d of %d", met, NTARGETS);
		cell_out(s[k].built ? cell : "not run", k == n - 1);
	}
	printf("  utilization: live bytes / pool pages after zs_compact; by RSS: / RSS\n");
	printf("  growth after zs_compact, zs_arena_compact and trim.  Stall: longest\n");
	printf("  map or read_begin..end of a reader thread during zs_compact (50, 75, 90%%\n");
	printf("  freed) and zs_arena_compact, calls during which the kernel preempted\n");
	printf("  the reader or kept the compacting thread waiting left out.\n");

	np = peer_names(s, n, peers, ZB_MAX_ROWS);
	if (!np)
		return;
	printf("\nthe malloc peers' figures (the same trace, the same run)\n");
	for (j = 0; j < np; j++)
		for (i = 0; i < NREFS; i++) {
			snprintf(what, sizeof(what), "%s %s", peers[j],
				 refs[i].what);
			printf("%-*s", WHAT_W, what);
			for (k = 0; k < n; k++)
				cell_out(zb_fmt(peer_val(&s[k], peers[j],
							 refs[i].m),
						refs[i].prec),
					 k == n - 1);
		}
}

/* One value for the CSV: empty when not measured, as in results.csv. */
static void csv_num(FILE *f, double v)
{
	if (isnan(v))
		fputc(',', f);
	else
		fprintf(f, ",%.6g", v);
}

int zb_suite_files(const struct zb_config *cfg, const struct zb_suite_trace *s,
		   int n)
{
	static const char *const dnames[] = {
		[ZB_UNMEASURED] = "unmeasured", [ZB_MET] = "met", [ZB_SHORT] = "short"
	};
	const char *peers[ZB_MAX_ROWS];
	FILE *f = zb_out_open(cfg, "targets.csv");
	char key[128], what[96];
	int k, i, j, np;

	if (!f)
		return -1;
	fprintf(f, "key,target");
	for (k = 0; k < n; k++)
		fprintf(f, ",%s_value,%s_bound,%s_verdict", s[k].label,
			s[k].label, s[k].label);
	fputc('\n', f);
	for (i = 0; i < NTARGETS; i++) {
		const struct target *tg = &targets[i];

		fprintf(f, "%s,", tg->key);
		zb_csv_field(f, tg->what);
		for (k = 0; k < n; k++) {
			double v = s[k].built ? figure(s[k].r, tg) : NAN;
			double b = s[k].built ? bound(s[k].r, tg) : NAN;

			csv_num(f, v);
			csv_num(f, b);
			fprintf(f, ",%s", dnames[zb_judge(v, b, tg->lower)]);
		}
		fputc('\n', f);
	}
	/* the peers' figures: value only, no bound or verdict */
	np = peer_names(s, n, peers, ZB_MAX_ROWS);
	for (j = 0; j < np; j++)
		for (i = 0; i < NREFS; i++) {
			snprintf(key, sizeof(key), "peer_%s_%s", peers[j],
				 zb_metrics[refs[i].m].csv);
			snprintf(what, sizeof(what), "%s %s", peers[j],
				 refs[i].what);
			fprintf(f, "%s,", key);
			zb_csv_field(f, what);
			for (k = 0; k < n; k++) {
				csv_num(f,
					peer_val(&s[k], peers[j], refs[i].m));
				fputs(",,", f);
			}
			fputc('\n', f);
		}
	return fclose(f) ? -1 : 0;
}
