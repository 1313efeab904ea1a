// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/scale.c - the scale run: how zs grows with the pool.
 *
 * A zram device holds from thousands to millions of pages, and a cost
 * that is flat at 100,000 objects can grow at 1,000,000 (longer lists,
 * bigger handle tables, caches missed).  For each size in --scale the
 * trace is resampled to that many objects (every pass over it in a new
 * seeded order, so sizes keep their mix), a fresh pool (the default
 * chain, ZB_CHAIN) is filled, 75% of the objects are freed at random and
 * the pool is compacted; the kernel's zsmalloc (the model, at the same
 * chain) is given the same objects as the reference.  Times are the calling thread's CPU time, as
 * in the speed tables, so other processes on the machine do not count;
 * the model has no times.  Every live object is read back after the
 * compaction and the pool checked, so a wrong answer is an error, not a
 * figure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* malloc_trim */
#endif
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "tools/zsbench/zsbench.h"
#include "zs/arena.h"
#include "zs/zsmalloc.h"

#define SCALE_CHAIN ZB_CHAIN
#define FREE_PCT 75

struct scale_row {
	size_t n;
	uint64_t stored;
	/* zs, then the model: NAN where not measured */
	double fill_ns, free_ns, compact_ms, compact_ns;
	double pages, meta, dens_pages, dens_allin, util_after, freed;
	double k_pages, k_meta, k_dens_pages, k_dens_allin, k_util_after,
		k_freed;
	size_t errors;
};

static void row_init(struct scale_row *w, size_t n)
{
	double *v[] = { &w->fill_ns,	  &w->free_ns,	    &w->compact_ms,
			&w->compact_ns,	  &w->pages,	    &w->meta,
			&w->dens_pages,	  &w->dens_allin,   &w->util_after,
			&w->freed,	  &w->k_pages,	    &w->k_meta,
			&w->k_dens_pages, &w->k_dens_allin, &w->k_util_after,
			&w->k_freed };
	size_t i;

	memset(w, 0, sizeof(*w));
	w->n = n;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		*v[i] = NAN;
}

/* n sizes drawn from the base: passes over it, each in its own order. */
static int resample(const struct zb_trace *base, size_t n, uint64_t seed,
		    struct zb_trace *t)
{
	uint32_t *perm = malloc(base->n * sizeof(*perm));
	size_t i = 0, pass = 0, j;

	memset(t, 0, sizeof(*t));
	t->kind = base->kind;
	t->comp = base->comp;
	t->sizes = malloc(n * sizeof(*t->sizes));
	if (!perm || !t->sizes) {
		free(perm);
		free(t->sizes);
		t->sizes = NULL;
		return -ENOMEM;
	}
	while (i < n) {
		zb_shuffle(perm, base->n, seed, 0x5ca1e000 + pass++);
		for (j = 0; j < base->n && i < n; j++)
			t->sizes[i++] = base->sizes[perm[j]];
	}
	free(perm);
	t->n = n;
	for (i = 0; i < n; i++)
		t->total += t->sizes[i];
	t->mean = (double)t->total / (double)n;
	return 0;
}

static void zs_side(const struct zb_config *cfg, const struct zb_trace *t,
		    struct scale_row *row)
{
	struct zs_pool_config pc = { 0 };
	struct zs_arena_stats as;
	struct zs_pool_stats st0, st1;
	struct zs_arena *arena = zs_arena_create();
	struct zs_pool *pool = NULL;
	uint64_t *h = calloc(t->n, sizeof(*h));
	uint32_t *perm = malloc(t->n * sizeof(*perm));
	size_t nfree = t->n * FREE_PCT / 100, i;
	uint64_t t0, live = 0;
	unsigned long before, after;
	uint8_t local[ZB_PAGE];

	if (arena) {
		pc.name = "scale";
		pc.chain_size = SCALE_CHAIN;
		pc.arena = arena;
		pool = zs_create_pool_config(&pc);
	}
	if (!pool || !h || !perm) {
		fprintf(stderr, "zsbench: scale %zu: out of memory\n", t->n);
		row->errors++;
		goto out;
	}
	zb_progress("scale %zu: filling zsmalloc-c%d", t->n, SCALE_CHAIN);
	t0 = zb_thread_cpu_ns();
	for (i = 0; i < t->n; i++) {
		if (zs_malloc(pool, t->sizes[i], &h[i]) ||
		    zs_obj_write(pool, h[i], zb_pattern + zb_pattern_off(i),
				 t->sizes[i])) {
			fprintf(stderr,
				"zsbench: scale %zu: alloc or write of object %zu failed\n",
				t->n, i);
			row->errors++;
			goto out;
		}
	}
	row->fill_ns = (double)(zb_thread_cpu_ns() - t0) / (double)t->n;
	zs_pool_stats(pool, &st0);
	zs_arena_stats(arena, &as);
	row->pages = (double)zs_get_total_pages(pool);
	row->meta = (double)(st0.metadata_bytes + as.metadata_bytes);
	row->dens_pages = row->pages * ZB_PAGE / (double)t->total;
	row->dens_allin = (row->pages * ZB_PAGE + row->meta) / (double)t->total;
	row->meta /= (double)t->n;

	zb_progress("scale %zu: free %d%% at random, compact", t->n, FREE_PCT);
	zb_shuffle(perm, t->n, cfg->seed, FREE_PCT);
	t0 = zb_thread_cpu_ns();
	for (i = 0; i < nfree; i++) {
		if (zs_free(pool, h[perm[i]])) {
			row->errors++;
			goto out;
		}
		h[perm[i]] = 0;
	}
	row->free_ns =
		nfree ? (double)(zb_thread_cpu_ns() - t0) / (double)nfree : NAN;
	for (i = nfree; i < t->n; i++)
		live += t->sizes[perm[i]];
	before = zs_get_total_pages(pool);
	t0 = zb_thread_cpu_ns();
	zs_compact(pool);
	t0 = zb_thread_cpu_ns() - t0;
	after = zs_get_total_pages(pool);
	zs_pool_stats(pool, &st1);
	row->compact_ms = (double)t0 / 1e6;
	/* per object the pool held before the frees: the work compaction
	 * has to look at grows with the pool, not with what is left */
	row->compact_ns = (double)t0 / (double)t->n;
	row->freed = (double)before - (double)after;
	row->util_after = after ? (double)live / ((double)after * ZB_PAGE) :
				  NAN;

	for (i = nfree; i < t->n; i++) {
		size_t j = perm[i];
		const void *m = zs_obj_read_begin(pool, h[j], local);

		if (!m) {
			row->errors++;
			continue;
		}
		if (memcmp(m, zb_pattern + zb_pattern_off(j), t->sizes[j]))
			row->errors++;
		zs_obj_read_end(pool, h[j], m);
	}
	if (zs_pool_check(pool))
		row->errors++;
	if (row->errors)
		fprintf(stderr,
			"zsbench: scale %zu: %zu objects differ or checks failed after compaction\n",
			t->n, row->errors);
out:
	if (pool)
		zs_destroy_pool(pool);
	if (arena)
		zs_arena_destroy(arena);
	free(h);
	free(perm);
	malloc_trim(0);
}

static void kernel_side(const struct zb_config *cfg, const struct zb_trace *t,
			struct scale_row *row)
{
	static struct zb_results r;
	const struct zb_row *k;

	memset(&r, 0, sizeof(r));
	zb_kernel_zs_row(cfg, t, SCALE_CHAIN, &r);
	k = r.nrows ? &r.rows[0] : NULL;
	if (!k || r.errors) {
		row->errors++;
		return;
	}
	row->k_pages = k->v[M_PAGES];
	row->k_dens_pages = k->v[M_DENS_PAGES];
	row->k_dens_allin = k->v[M_DENS_ALLIN];
	row->k_meta = (k->v[M_DENS_ALLIN] - k->v[M_DENS_PAGES]) *
		      (double)t->total / (double)t->n;
	row->k_util_after = k->v[M_UA75];
	row->k_freed = k->v[M_CF75];
}

static void print_table(const struct scale_row *rows, int n)
{
	int i;

	printf("\nSCALE: zsmalloc-c%d (zs) beside the kernel zsmalloc model (chain %d), the trace\n",
	       SCALE_CHAIN, SCALE_CHAIN);
	printf("  resampled to each size.  fill = alloc + obj_write, free = one zs_free,\n");
	printf("  compact = zs_compact after freeing %d%% at random (ms, and ns per object\n",
	       FREE_PCT);
	printf("  filled), all in thread CPU time; meta = handles, descriptors and every\n");
	printf("  metadata byte per object; density = bytes held / bytes stored; util =\n");
	printf("  live bytes / pool pages after the compaction.  The model has no times.\n");
	printf("%9s %-7s %8s %8s %10s %8s %9s %7s %10s %8s %6s %6s\n",
	       "objects", "system", "fill ns", "free ns", "compact ms",
	       "ns/obj", "pages", "meta B", "pages-only", "all-in", "util",
	       "errors");
	for (i = 0; i < n; i++) {
		const struct scale_row *w = &rows[i];

		printf("%9zu %-7s %8s %8s %10s %8s %9s %7s %10s %8s %6s %6zu\n",
		       w->n, "zs", zb_fmt(w->fill_ns, 0), zb_fmt(w->free_ns, 0),
		       zb_fmt(w->compact_ms, 1), zb_fmt(w->compact_ns, 1),
		       zb_fmt(w->pages, 0), zb_fmt(w->meta, 1),
		       zb_fmt(w->dens_pages, 4), zb_fmt(w->dens_allin, 4),
		       zb_fmt(w->util_after, 3), w->errors);
		printf("%9zu %-7s %8s %8s %10s %8s %9s %7s %10s %8s %6s %6s\n",
		       w->n, "kernel", "-", "-", "-", "-",
		       zb_fmt(w->k_pages, 0), zb_fmt(w->k_meta, 1),
		       zb_fmt(w->k_dens_pages, 4), zb_fmt(w->k_dens_allin, 4),
		       zb_fmt(w->k_util_after, 3), "-");
	}
}

static int write_csv(const struct zb_config *cfg, const struct zb_trace *base,
		     const struct scale_row *rows, int n)
{
	FILE *o = zb_out_open(cfg, "scale.csv");
	int i;

	if (!o)
		return -1;
	fprintf(o,
		"objects,system,trace,stored_bytes,pages,fill_ns_per_object,free_ns_per_object,compact_ms,compact_ns_per_object,metadata_bytes_per_object,density_pages,density_allin,util75_after,compact75_pages_freed,errors\n");
	for (i = 0; i < n; i++) {
		const struct scale_row *w = &rows[i];
		const char *tn = zb_trace_name(base->kind);
		unsigned long long st = (unsigned long long)w->stored;

		fprintf(o,
			"%zu,zsmalloc-c%d,%s,%llu,%.0f,%.1f,%.1f,%.3f,%.2f,%.2f,%.6f,%.6f,%.6f,%.0f,%zu\n",
			w->n, SCALE_CHAIN, tn, st, w->pages, w->fill_ns,
			w->free_ns, w->compact_ms, w->compact_ns, w->meta,
			w->dens_pages, w->dens_allin, w->util_after, w->freed,
			w->errors);
		fprintf(o,
			"%zu,kernel-zs-c%d,%s,%llu,%.0f,,,,,%.2f,%.6f,%.6f,%.6f,%.0f,\n",
			w->n, SCALE_CHAIN, tn, st, w->k_pages, w->k_meta,
			w->k_dens_pages, w->k_dens_allin, w->k_util_after,
			w->k_freed);
	}
	return fclose(o) ? -1 : 0;
}

int zb_scale_run(const struct zb_config *cfg, const struct zb_trace *base)
{
	struct scale_row rows[16];
	size_t errors = 0;
	int i, err = 0;

	for (i = 0; i < cfg->nscale; i++) {
		struct scale_row *w = &rows[i];
		struct zb_trace t;

		row_init(w, cfg->scale[i]);
		if (resample(base, w->n, cfg->seed, &t)) {
			fprintf(stderr,
				"zsbench: scale %zu: out of memory for the trace\n",
				w->n);
			w->errors++;
			errors++;
			continue;
		}
		w->stored = t.total;
		zs_side(cfg, &t, w);
		kernel_side(cfg, &t, w);
		zb_progress("scale %zu: fill %.0f ns/object, compact %.1f ms",
			    w->n, w->fill_ns, w->compact_ms);
		errors += w->errors;
		zb_trace_free(&t);
	}
	print_table(rows, cfg->nscale);
	if (write_csv(cfg, base, rows, cfg->nscale)) {
		fprintf(stderr, "zsbench: could not write scale.csv to %s\n",
			cfg->out_dir);
		err = -1;
	}
	if (errors)
		printf("\nzsbench: %zu error(s) during the scale run, see stderr\n",
		       errors);
	printf("\nfiles written to %s: scale.csv\n", cfg->out_dir);
	fflush(stdout);
	return errors || err ? -1 : 0;
}
