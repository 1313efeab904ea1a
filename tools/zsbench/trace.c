// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/trace.c - the size trace every system is measured on.
 *
 * The real trace is what a zram device on a Debian machine would store:
 * 4 KiB pages of shared objects, binaries and text read from /usr (or the
 * files given with --files), compressed with LZ4 (zstd -1 as an option).
 * Files are found by a sorted walk and pages taken in evenly spaced runs
 * over all of them, so the same machine gives the same trace every time.
 * Same-filled pages are skipped as zram skips them; pages that do not
 * compress are stored whole (size 4096), as zram stores them.
 *
 * The anonymous trace is what zram holds when a process is swapped out:
 * the private anonymous pages of a running process (--pid, or the donor
 * zsbench starts), read by anon.c and stored here as the real trace's
 * pages are.
 *
 * The synthetic traces draw sizes from the published mixes: a truncated
 * normal whose parameters are solved so that the drawn sizes have the
 * published mean and deviation (the 694 B mix with 11% 28-byte objects).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "tools/zsbench/zsbench.h"

/* Pages are sampled in runs of this many consecutive pages: neighbouring
 * pages of a file are what a process maps together, and runs keep the
 * reads sequential. */
#define RUN_PAGES 16

const char *zb_trace_name(enum zb_trace_kind k)
{
	switch (k) {
	case ZB_TRACE_REAL:
		return "real";
	case ZB_TRACE_SYN694:
		return "synthetic-694";
	case ZB_TRACE_SYN1340:
		return "synthetic-1340";
	case ZB_TRACE_SYN1636:
		return "synthetic-1636";
	case ZB_TRACE_UNIFORM:
		return "uniform";
	case ZB_TRACE_ANON:
		return "anon";
	}
	return "?";
}

const char *zb_comp_name(enum zb_compressor c)
{
	return c == ZB_ZSTD ? "zstd-1" : "lz4";
}

void *zb_comp_ctx_new(enum zb_compressor c)
{
	if (c == ZB_ZSTD)
		return ZSTD_createCCtx();
	return malloc(1); /* LZ4_compress_default keeps its state on stack */
}

void zb_comp_ctx_free(enum zb_compressor c, void *ctx)
{
	if (c == ZB_ZSTD)
		ZSTD_freeCCtx(ctx);
	else
		free(ctx);
}

size_t zb_comp_bound(void)
{
	size_t a = (size_t)LZ4_compressBound(ZB_PAGE);
	size_t b = ZSTD_compressBound(ZB_PAGE);

	return a > b ? a : b;
}

size_t zb_compress(enum zb_compressor c, void *ctx, const void *page, void *dst,
		   size_t dst_cap)
{
	if (c == ZB_ZSTD) {
		size_t r =
			ZSTD_compressCCtx(ctx, dst, dst_cap, page, ZB_PAGE, 1);

		return ZSTD_isError(r) ? 0 : r;
	}
	(void)ctx;
	return (size_t)LZ4_compress_default(page, dst, ZB_PAGE, (int)dst_cap);
}

int zb_decompress(enum zb_compressor c, void *ctx, const void *src, size_t len,
		  void *page)
{
	(void)ctx;
	if (len == ZB_PAGE) {
		/* stored whole, as zram stores incompressible pages */
		memcpy(page, src, ZB_PAGE);
		return 0;
	}
	if (c == ZB_ZSTD) {
		size_t r = ZSTD_decompress(page, ZB_PAGE, src, len);

		return ZSTD_isError(r) || r != ZB_PAGE ? -1 : 0;
	}
	return LZ4_decompress_safe(src, page, (int)len, ZB_PAGE) == ZB_PAGE ?
		       0 :
		       -1;
}

/* --- the file walk --- */

struct file_ent {
	char *path;
	uint64_t first_page; /* global index of the file's first page */
	uint64_t pages;
};

struct walk {
	struct file_ent *v;
	size_t n, cap;
	uint64_t pages;
	size_t skipped;
};

static int walk_add(struct walk *w, const char *path, off_t size)
{
	struct file_ent *e;

	if (size <= 0)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		struct file_ent *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	e = &w->v[w->n];
	e->path = strdup(path);
	if (!e->path)
		return -ENOMEM;
	e->first_page = w->pages;
	e->pages = ((uint64_t)size + ZB_PAGE - 1) / ZB_PAGE;
	w->pages += e->pages;
	w->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Depth-first, entries in strcmp order; symlinks are not followed (they
 * would count files twice and can loop), unreadable directories and
 * special files are skipped. */
static int walk_dir(struct walk *w, const char *dir, int depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (depth > 64)
		return 0;
	d = opendir(dir);
	if (!d) {
		w->skipped++;
		return 0;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (!nn) {
				err = -ENOMEM;
				break;
			}
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			err = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!err && n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && !err; i++) {
		char path[4096];
		struct stat st;

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >=
		    (int)sizeof(path))
			continue;
		if (lstat(path, &st)) {
			w->skipped++;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			err = walk_dir(w, path, depth + 1);
		else if (S_ISREG(st.st_mode))
			err = walk_add(w, path, st.st_size);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}

/* A root given by the user must exist, be readable and hold data; a
 * default root that is missing is only noted. */
static int walk_root(struct walk *w, const char *root, int strict)
{
	size_t before_n = w->n;
	struct stat st;
	int err;

	if (stat(root, &st)) {
		if (!strict)
			return 0;
		fprintf(stderr, "zsbench: --files: %s: %s\n", root,
			strerror(errno));
		return -ENOENT;
	}
	if (access(root, R_OK)) {
		fprintf(stderr, "zsbench: --files: %s: not readable: %s\n",
			root, strerror(errno));
		return -EACCES;
	}
	if (S_ISREG(st.st_mode)) {
		int fd = open(root, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			fprintf(stderr, "zsbench: --files: %s: %s\n", root,
				strerror(errno));
			return -EACCES;
		}
		close(fd);
		if (st.st_size == 0 && strict) {
			fprintf(stderr, "zsbench: --files: %s: empty file\n",
				root);
			return -ENODATA;
		}
		return walk_add(w, root, st.st_size);
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr,
			"zsbench: --files: %s: not a regular file or directory\n",
			root);
		return -EINVAL;
	}
	err = walk_dir(w, root, 0);
	if (err)
		return err;
	if (strict && w->n == before_n) {
		fprintf(stderr,
			"zsbench: --files: %s: no readable non-empty regular files in it\n",
			root);
		return -ENODATA;
	}
	return 0;
}

static void walk_free(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i].path);
	free(w->v);
}

static size_t file_of_page(const struct walk *w, uint64_t g)
{
	size_t lo = 0, hi = w->n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (w->v[mid].first_page <= g)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int page_same_filled(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;
	size_t i;

	for (i = 1; i < ZB_PAGE / sizeof(*w); i++)
		if (w[i] != w[0])
			return 0;
	return 1;
}

struct builder {
	struct zb_trace *t;
	size_t want;
	size_t raw_every;
	size_t raw_cap;
	void *ctx;
	uint8_t *dst;
	size_t dst_cap;
	unsigned char *file_used; /* one flag per file */
};

/* Takes one page; returns 1 when the trace is complete. */
static int take_page(struct builder *b, const uint8_t *page)
{
	struct zb_trace *t = b->t;
	size_t c;

	if (page_same_filled(page)) {
		t->same_pages++;
		return 0;
	}
	c = zb_compress(t->comp, b->ctx, page, b->dst, b->dst_cap);
	if (c == 0 || c >= ZB_PAGE)
		c = ZB_PAGE;
	if (t->nraw < b->raw_cap && t->n % b->raw_every == 0)
		memcpy(t->raw + t->nraw++ * ZB_PAGE, page, ZB_PAGE);
	t->sizes[t->n++] = (uint32_t)c;
	return t->n == b->want;
}

static int build_real(const struct zb_trace_opts *o, struct zb_trace *t,
		      struct builder *b)
{
	struct walk w = { 0 };
	uint64_t nruns, runs_done = 0;
	double stride;
	int pass, err = 0, fd = -1, done = 0;
	size_t cur = (size_t)-1, i;
	uint8_t page[ZB_PAGE];

	zb_progress("walking %d input root(s) for files...", o->nroots);
	for (i = 0; i < (size_t)o->nroots && !err; i++)
		err = walk_root(&w, o->roots[i], o->user_roots);
	if (err) {
		walk_free(&w);
		return err == -ENOMEM ? err : -EINVAL;
	}
	if (w.pages == 0) {
		fprintf(stderr,
			"zsbench: no readable data found under the input paths\n");
		walk_free(&w);
		return -ENODATA;
	}
	t->files_seen = w.n;
	t->files_skipped = w.skipped;
	b->file_used = calloc(w.n, 1);
	if (!b->file_used) {
		walk_free(&w);
		return -ENOMEM;
	}
	nruns = (b->want + RUN_PAGES - 1) / RUN_PAGES;
	if (nruns * RUN_PAGES >= w.pages)
		stride = RUN_PAGES;
	else
		stride = (double)w.pages / (double)nruns;
	zb_progress(
		"%zu files, %llu pages; sampling runs of %d pages every %.0f pages",
		w.n, (unsigned long long)w.pages, RUN_PAGES, stride);

	/* Later passes start their runs further into each stride, so that
	 * same-filled and unreadable pages are made up for by new pages. */
	for (pass = 0; !done && (double)(pass + 1) * RUN_PAGES <= stride + 0.5;
	     pass++) {
		uint64_t k;

		for (k = 0; !done; k++) {
			uint64_t g0 = (uint64_t)((double)k * stride) +
				      (uint64_t)pass * RUN_PAGES;
			uint64_t g;

			if (g0 >= w.pages)
				break;
			for (g = g0; g < g0 + RUN_PAGES && g < w.pages && !done;
			     g++) {
				size_t f = file_of_page(&w, g);
				ssize_t got;

				if (f != cur) {
					if (fd >= 0)
						close(fd);
					cur = f;
					fd = open(w.v[f].path,
						  O_RDONLY | O_CLOEXEC);
					if (fd < 0)
						t->files_skipped++;
				}
				if (fd < 0)
					continue;
				got = pread(fd, page, ZB_PAGE,
					    (off_t)((g - w.v[f].first_page) *
						    ZB_PAGE));
				if (got <= 0)
					continue;
				if (got < (ssize_t)ZB_PAGE)
					memset(page + got, 0,
					       ZB_PAGE - (size_t)got);
				if (!b->file_used[f]) {
					b->file_used[f] = 1;
					t->files_used++;
				}
				done = take_page(b, page);
			}
			if (++runs_done % 2048 == 0)
				zb_progress("  read %zu of %zu pages", t->n,
					    b->want);
		}
	}
	if (fd >= 0)
		close(fd);
	free(b->file_used);
	b->file_used = NULL;
	{
		char roots[256] = "";
		size_t len = 0;

		for (i = 0; i < (size_t)o->nroots && len < sizeof(roots); i++)
			len += (size_t)snprintf(roots + len,
						sizeof(roots) - len, "%s%s",
						i ? " " : "", o->roots[i]);
		snprintf(
			t->desc, sizeof(t->desc),
			"real pages: %zu pages from %zu of %zu files under %s, compressed with %s; %zu same-filled pages skipped (zram keeps no object for them)",
			t->n, t->files_used, t->files_seen, roots,
			zb_comp_name(t->comp), t->same_pages);
	}
	walk_free(&w);
	if (t->n == 0) {
		fprintf(stderr,
			"zsbench: every page found under the input paths is same-filled or unreadable: nothing to store\n");
		return -ENODATA;
	}
	return 0;
}

/* --- anonymous memory --- */

static int take_cb(void *arg, const uint8_t *page)
{
	return take_page(arg, page);
}

static int build_anon(const struct zb_trace_opts *o, struct zb_trace *t,
		      struct builder *b)
{
	struct zb_range only[ZB_MAX_RANGES];
	struct zb_anon_stats st;
	long pid = o->pid;
	size_t nonly = 0;
	int err;

	if (o->donor) {
		err = zb_donor_start(o->donor, o->seed, o->donor_mib, &pid,
				     only, &nonly);
		if (err)
			return err;
		t->donor = 1;
	}
	err = zb_anon_read(pid, only, nonly, b->want, take_cb, b, &st);
	if (o->donor)
		zb_donor_stop(pid);
	t->pid = pid;
	t->anon_mappings = st.mappings;
	t->anon_vm_pages = st.vm_pages;
	t->anon_present = st.present;
	t->anon_read = st.read;
	t->anon_unreadable = st.unreadable;
	t->anon_pagemap = st.pagemap;
	if (err)
		return err;
	if (o->donor)
		snprintf(
			t->desc, sizeof(t->desc),
			"anonymous pages of the donor (seed %llu, %u MiB heap), compressed with %s: %llu pages read, %zu same-filled skipped (zram keeps no object for them), %zu stored",
			(unsigned long long)o->seed, o->donor_mib,
			zb_comp_name(t->comp), (unsigned long long)st.read,
			t->same_pages, t->n);
	else
		snprintf(
			t->desc, sizeof(t->desc),
			"anonymous pages of pid %ld, compressed with %s: %llu pages read, %zu same-filled skipped (zram keeps no object for them), %zu stored",
			pid, zb_comp_name(t->comp), (unsigned long long)st.read,
			t->same_pages, t->n);
	if (t->n == 0) {
		fprintf(stderr,
			"zsbench: every anonymous page read is same-filled: nothing to store\n");
		return -ENODATA;
	}
	return 0;
}

/* --- synthetic mixes --- */

static double phi(double x)
{
	return exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

static double cdf(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

/* Mean and deviation of N(mu, sigma) truncated to [a, b]. */
static void trunc_moments(double mu, double sigma, double a, double b,
			  double *mean, double *sd)
{
	double al = (a - mu) / sigma, be = (b - mu) / sigma;
	double z = cdf(be) - cdf(al);
	double d = (phi(al) - phi(be)) / z;
	double var;

	*mean = mu + sigma * d;
	var = sigma * sigma * (1.0 + (al * phi(al) - be * phi(be)) / z - d * d);
	*sd = sqrt(var > 0 ? var : 0);
}

/* Finds mu, sigma whose truncation to [a, b] has the wanted moments. */
static void solve_trunc(double want_mean, double want_sd, double a, double b,
			double *mu, double *sigma)
{
	double m, s;
	int i;

	*mu = want_mean;
	*sigma = want_sd;
	for (i = 0; i < 200; i++) {
		trunc_moments(*mu, *sigma, a, b, &m, &s);
		*mu += want_mean - m;
		*sigma *= want_sd / s;
		if (*sigma < 1)
			*sigma = 1;
	}
}

static int build_synthetic(const struct zb_trace_opts *o, struct zb_trace *t,
			   struct builder *b)
{
	double mean = 0, sd = 0, small_frac = 0, mu = 0, sigma = 0;
	const double lo = 0.5, hi = ZB_PAGE + 0.5;
	struct zb_rng r;
	size_t i;

	switch (o->kind) {
	case ZB_TRACE_SYN694:
		mean = 694, sd = 474, small_frac = 0.11;
		break;
	case ZB_TRACE_SYN1340:
		mean = 1340, sd = 842;
		break;
	case ZB_TRACE_SYN1636:
		mean = 1636, sd = 1031;
		break;
	default:
		break;
	}
	if (o->kind != ZB_TRACE_UNIFORM) {
		/* the moments of the part that is not 28 bytes */
		double m2 = (mean - small_frac * 28) / (1 - small_frac);
		double v2 = (sd * sd - small_frac * (28 - mean) * (28 - mean)) /
				    (1 - small_frac) -
			    (m2 - mean) * (m2 - mean);

		solve_trunc(m2, sqrt(v2), lo, hi, &mu, &sigma);
	}
	zb_rng_seed(&r, o->seed);
	for (i = 0; i < b->want; i++) {
		uint32_t s;

		if (o->kind == ZB_TRACE_UNIFORM) {
			s = 32 + (uint32_t)(zb_rng_next(&r) % (ZB_PAGE - 31));
		} else if (small_frac > 0 && zb_rng_unit(&r) < small_frac) {
			s = 28;
		} else {
			double x;

			do
				x = mu + sigma * zb_rng_normal(&r);
			while (x < lo || x >= hi);
			s = (uint32_t)(x + 0.5);
		}
		t->sizes[t->n++] = s;
	}
	/* Pages for the end-to-end test: s random bytes then zeros, which
	 * the compressor turns into about s bytes. */
	for (i = 0; i < b->raw_cap; i++) {
		uint8_t *p = t->raw + i * ZB_PAGE;
		uint32_t s = t->sizes[(i * b->raw_every) % t->n];
		size_t j;

		memset(p, 0, ZB_PAGE);
		for (j = 0; j < s; j++)
			p[j] = (uint8_t)zb_rng_next(&r);
		p[ZB_PAGE - 1] = 1; /* never same-filled */
	}
	t->nraw = b->raw_cap;
	if (o->kind == ZB_TRACE_UNIFORM)
		snprintf(
			t->desc, sizeof(t->desc),
			"synthetic uniform sizes 32..4096: %zu objects, seed %llu",
			t->n, (unsigned long long)o->seed);
	else
		snprintf(
			t->desc, sizeof(t->desc),
			"synthetic mix, published mean %.0f sd %.0f%s: %zu objects, seed %llu (normal truncated to 1..4096, parameters solved to match)",
			mean, sd,
			small_frac > 0 ? " with 11% 28-byte objects" : "", t->n,
			(unsigned long long)o->seed);
	return 0;
}

int zb_trace_build(const struct zb_trace_opts *o, struct zb_trace *t)
{
	struct builder b = { 0 };
	size_t i;
	double sum = 0, sq = 0;
	int err;

	memset(t, 0, sizeof(*t));
	t->kind = o->kind;
	t->comp = o->comp;
	if (o->objects == 0) {
		fprintf(stderr, "zsbench: --objects must be at least 1\n");
		return -EINVAL;
	}
	b.t = t;
	b.want = o->objects;
	b.raw_cap = o->raw_pages < o->objects ? o->raw_pages : o->objects;
	b.raw_every = b.raw_cap ? o->objects / b.raw_cap : 1;
	if (b.raw_every == 0)
		b.raw_every = 1;
	t->sizes = malloc(o->objects * sizeof(*t->sizes));
	t->raw = malloc((b.raw_cap ? b.raw_cap : 1) * (size_t)ZB_PAGE);
	b.dst_cap = zb_comp_bound();
	b.dst = malloc(b.dst_cap);
	b.ctx = zb_comp_ctx_new(o->comp);
	if (!t->sizes || !t->raw || !b.dst || !b.ctx) {
		fprintf(stderr, "zsbench: out of memory for the trace\n");
		err = -ENOMEM;
		goto out;
	}
	if (o->kind == ZB_TRACE_REAL)
		err = build_real(o, t, &b);
	else if (o->kind == ZB_TRACE_ANON)
		err = build_anon(o, t, &b);
	else
		err = build_synthetic(o, t, &b);
	if (err)
		goto out;
	for (i = 0; i < t->n; i++) {
		sum += t->sizes[i];
		sq += (double)t->sizes[i] * t->sizes[i];
		if (t->sizes[i] == ZB_PAGE)
			t->huge_pages++;
	}
	t->total = (uint64_t)sum;
	t->mean = sum / (double)t->n;
	t->sd = sqrt(sq / (double)t->n - t->mean * t->mean);
out:
	free(b.dst);
	if (b.ctx)
		zb_comp_ctx_free(o->comp, b.ctx);
	if (err)
		zb_trace_free(t);
	return err;
}

void zb_trace_summary(FILE *f, const struct zb_trace *t)
{
	fprintf(f,
		"trace summary: %s, %s, %zu objects, %llu bytes, mean compressed %.1f B, %zu incompressible, %zu same-filled skipped",
		zb_trace_name(t->kind), zb_comp_name(t->comp), t->n,
		(unsigned long long)t->total, t->mean, t->huge_pages,
		t->same_pages);
	if (t->kind == ZB_TRACE_ANON)
		fprintf(f,
			", %zu mappings, %llu pages mapped, %llu present, %llu pages read, %llu unreadable",
			t->anon_mappings, (unsigned long long)t->anon_vm_pages,
			(unsigned long long)t->anon_present,
			(unsigned long long)t->anon_read,
			(unsigned long long)t->anon_unreadable);
	fputc('\n', f);
}

int zb_trace_write(const struct zb_config *cfg, const struct zb_trace *t)
{
	FILE *f = zb_out_open(cfg, "trace.csv");
	size_t i;

	if (!f)
		return -1;
	fprintf(f, "object,size\n");
	for (i = 0; i < t->n; i++)
		fprintf(f, "%zu,%u\n", i, t->sizes[i]);
	return fclose(f) ? -1 : 0;
}

void zb_trace_free(struct zb_trace *t)
{
	free(t->sizes);
	free(t->raw);
	t->sizes = NULL;
	t->raw = NULL;
	t->n = t->nraw = 0;
}
