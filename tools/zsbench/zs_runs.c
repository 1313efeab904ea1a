// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/zs_runs.c - the trace replayed into zsmalloc and zbud.
 *
 * Each measurement gets a fresh arena and pool, so pages, metadata and RSS
 * can be charged to it alone: the density fill (then one map and one read
 * of every object, counting the copies and the objects that cross a page,
 * the speed loops and the end-to-end run on that full pool), and one fill
 * per fraction for the fragmentation runs (free at random, compact with a
 * reader thread timing its maps and reads - at 75% through the frees and
 * the arena compaction too - verify every live byte, check the pool,
 * compact the arena, trim, read RSS).  zsmalloc and zbud share the loops
 * through a small backend table; zbud objects that do not fit (> 3968 B)
 * are kept as a page each, as a zswap page that zbud refuses stays
 * uncompressed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tools/zsbench/zsbench.h"
#include "zs/zbud.h"
#include "zs/zsmalloc.h"

/* --- the backend table --- */

struct backend {
	const char *name;
	int is_zbud;
	size_t max_size;
	void *pool;
	struct zs_arena *arena;
};

static int be_alloc(struct backend *b, size_t size, uint64_t *h)
{
	if (b->is_zbud)
		return zbud_alloc(b->pool, size, h);
	return zs_malloc(b->pool, size, h);
}

static int be_free(struct backend *b, uint64_t h)
{
	if (b->is_zbud)
		return zbud_free(b->pool, h);
	return zs_free(b->pool, h);
}

static int be_write(struct backend *b, uint64_t h, const void *src, size_t len)
{
	void *p;

	if (!b->is_zbud)
		return zs_obj_write(b->pool, h, src, len);
	p = zbud_map(b->pool, h);
	if (!p)
		return -errno;
	memcpy(p, src, len);
	return zbud_unmap(b->pool, h);
}

static const void *be_read_begin(struct backend *b, uint64_t h, void *local)
{
	if (b->is_zbud)
		return zbud_map(b->pool, h);
	return zs_obj_read_begin(b->pool, h, local);
}

static int be_read_end(struct backend *b, uint64_t h, const void *mem)
{
	if (b->is_zbud)
		return zbud_unmap(b->pool, h);
	return zs_obj_read_end(b->pool, h, mem);
}

static unsigned long be_pages(struct backend *b)
{
	if (b->is_zbud)
		return (unsigned long)zbud_get_pool_size(b->pool);
	return zs_get_total_pages(b->pool);
}

static int be_open(struct backend *b, const char *name, unsigned chain)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->arena = zs_arena_create();
	if (!b->arena)
		return -errno;
	if (chain == 0) {
		b->is_zbud = 1;
		b->max_size = ZBUD_MAX_ALLOC_SIZE;
		b->pool = zbud_create_pool_arena(NULL, b->arena);
	} else {
		struct zs_pool_config cfg = { 0 };

		cfg.name = name;
		cfg.chain_size = chain;
		cfg.arena = b->arena;
		b->max_size = zs_max_alloc_size();
		b->pool = zs_create_pool_config(&cfg);
	}
	if (!b->pool) {
		int err = -errno;

		zs_arena_destroy(b->arena);
		return err ? err : -ENOMEM;
	}
	return 0;
}

static void be_close(struct backend *b)
{
	if (b->is_zbud)
		zbud_destroy_pool(b->pool);
	else
		zs_destroy_pool(b->pool);
	if (zs_arena_destroy(b->arena))
		fprintf(stderr,
			"zsbench: %s: zs_arena_destroy refused after the pool was destroyed\n",
			b->name);
	b->pool = NULL;
	/* hand the metadata the pool malloc'd back, so the next run's RSS
	 * baseline starts from a trimmed heap */
	malloc_trim(0);
}

/* Fills the pool with the trace; h[i] = 0 for objects the backend cannot
 * take (zbud above its maximum), counted in *rejected. */
static int be_fill(struct backend *b, const struct zb_trace *t, uint64_t *h,
		   size_t *rejected)
{
	size_t i;
	int err;

	*rejected = 0;
	for (i = 0; i < t->n; i++) {
		size_t s = t->sizes[i];

		h[i] = 0;
		if (s > b->max_size) {
			(*rejected)++;
			continue;
		}
		err = be_alloc(b, s, &h[i]);
		if (err) {
			fprintf(stderr,
				"zsbench: %s: alloc of %zu B (object %zu) failed: %s\n",
				b->name, s, i, strerror(-err));
			return err;
		}
		err = be_write(b, h[i], zb_pattern + zb_pattern_off(i), s);
		if (err) {
			fprintf(stderr, "zsbench: %s: write failed: %s\n",
				b->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Reads every live object back; returns the number that differ. */
static size_t be_verify(struct backend *b, const struct zb_trace *t,
			const uint64_t *h)
{
	uint8_t local[ZB_PAGE];
	size_t i, bad = 0;

	for (i = 0; i < t->n; i++) {
		const uint8_t *p;

		if (!h[i])
			continue;
		p = be_read_begin(b, h[i], local);
		if (!p) {
			bad++;
			continue;
		}
		if (memcmp(p, zb_pattern + zb_pattern_off(i), t->sizes[i]))
			bad++;
		be_read_end(b, h[i], p);
	}
	return bad;
}

/* --- speed loops --- */

enum speed_what { SP_AF, SP_MAP, SP_READ, SP_WRITE };

struct speed_arg {
	struct backend *b;
	enum speed_what what;
	const uint64_t *h;
	const uint32_t *sizes;
	const uint32_t *idx; /* objects to touch, in order */
	size_t len;
	size_t off;
	size_t ops;
	uint64_t ns;
	uint64_t sink;
	int err;
};

#define RING 1024

static void speed_thread(void *p)
{
	struct speed_arg *a = p;
	struct backend *b = a->b;
	uint8_t local[ZB_PAGE];
	uint64_t ring[RING] = { 0 }, sink = 0, t0;
	size_t i, k;
	int err = 0;

	t0 = zb_thread_cpu_ns();
	switch (a->what) {
	case SP_AF:
		for (i = 0, k = a->off; i < a->ops; i++) {
			size_t s = a->sizes[k];

			if (++k == a->len)
				k = 0;
			if (s > b->max_size)
				s = b->max_size;
			if (ring[i % RING] && be_free(b, ring[i % RING]))
				err = -EIO;
			if (be_alloc(b, s, &ring[i % RING])) {
				ring[i % RING] = 0;
				err = -ENOMEM;
				break;
			}
		}
		break;
	case SP_MAP:
		for (i = 0, k = a->off; i < a->ops; i++) {
			uint64_t h = a->h[a->idx[k]];
			volatile const uint8_t *m;

			if (++k == a->len)
				k = 0;
			if (b->is_zbud)
				m = zbud_map(b->pool, h);
			else
				m = zs_map_object(b->pool, h, ZS_MM_RO);
			if (!m) {
				err = -EIO;
				break;
			}
			sink += m[0];
			if (b->is_zbud)
				zbud_unmap(b->pool, h);
			else
				zs_unmap_object(b->pool, h);
		}
		break;
	case SP_READ:
		for (i = 0, k = a->off; i < a->ops; i++) {
			uint64_t h = a->h[a->idx[k]];
			volatile const uint8_t *m;

			if (++k == a->len)
				k = 0;
			m = be_read_begin(b, h, local);
			if (!m) {
				err = -EIO;
				break;
			}
			sink += m[0];
			be_read_end(b, h, (const void *)m);
		}
		break;
	case SP_WRITE:
		for (i = 0, k = a->off; i < a->ops; i++) {
			uint32_t j = a->idx[k];

			if (++k == a->len)
				k = 0;
			if (be_write(b, a->h[j], zb_pattern + zb_pattern_off(j),
				     a->sizes[j])) {
				err = -EIO;
				break;
			}
		}
		break;
	}
	a->ns = zb_thread_cpu_ns() - t0;
	if (a->what == SP_AF)
		for (i = 0; i < RING; i++)
			if (ring[i])
				be_free(b, ring[i]);
	a->sink = sink;
	a->err = err;
}

/* Best of reps runs of ns per op, averaged over the threads. */
static double speed(const struct zb_config *cfg, struct backend *b,
		    enum speed_what what, const uint64_t *h,
		    const uint32_t *sizes, const uint32_t *idx, size_t len,
		    int threads, size_t ops)
{
	struct speed_arg a[64];
	double best = NAN;
	int rep, i;

	if (len == 0 || (what == SP_WRITE && len < (size_t)threads))
		return NAN; /* (too few objects to write each from one thread) */
	for (rep = 0; rep < cfg->reps; rep++) {
		double sum = 0;
		int failed = 0;

		for (i = 0; i < threads; i++) {
			memset(&a[i], 0, sizeof(a[i]));
			a[i].b = b;
			a[i].what = what;
			a[i].h = h;
			a[i].sizes = sizes;
			a[i].idx = idx;
			a[i].len = len;
			a[i].off = len * (size_t)i / (size_t)threads;
			a[i].ops = ops;
			if (what != SP_AF && threads > 1 &&
			    len >= (size_t)threads) {
				/* each thread its own objects: two writers of
				 * one object would race by the API's terms */
				size_t end =
					len * (size_t)(i + 1) / (size_t)threads;

				a[i].idx = idx + a[i].off;
				a[i].len = end - a[i].off;
				a[i].off = 0;
			}
		}
		if (zb_run_threads(threads, speed_thread, a, sizeof(a[0])))
			return NAN;
		for (i = 0; i < threads; i++) {
			failed |= a[i].err != 0;
			sum += (double)a[i].ns / (double)ops;
		}
		if (failed) {
			fprintf(stderr,
				"zsbench: %s: a speed loop failed (an operation returned an error)\n",
				b->name);
			return NAN;
		}
		sum /= threads;
		if (isnan(best) || sum < best)
			best = sum;
	}
	return best;
}

/* One thread's ns per op on the crossing objects (*vx) and the in-page
 * ones (*vi), one run of each by turns, best of reps each: drift in the
 * machine's load between the two loops does not show up as a ratio. */
static void speed_pair(const struct zb_config *cfg, struct backend *b,
		       enum speed_what what, const uint64_t *h,
		       const uint32_t *sizes, const uint32_t *x,
		       const uint32_t *in, size_t nx, size_t nin, double *vx,
		       double *vi)
{
	struct zb_config one = *cfg;
	int rep;

	one.reps = 1;
	*vx = *vi = NAN;
	for (rep = 0; rep < cfg->reps; rep++) {
		double a = speed(&one, b, what, h, sizes, x, nx, 1,
				 cfg->access_ops);
		double c = speed(&one, b, what, h, sizes, in, nin, 1,
				 cfg->access_ops);

		if (!isnan(a) && (isnan(*vx) || a < *vx))
			*vx = a;
		if (!isnan(c) && (isnan(*vi) || c < *vi))
			*vi = c;
	}
}

/* The plain memcpy the straddling map is compared with: the same objects
 * laid out in fill order in memory of the same size, copied in the same
 * (random) order. */
static double memcpy_baseline(const struct zb_config *cfg,
			      const struct zb_trace *t, const uint32_t *idx,
			      size_t len, size_t ops)
{
	uint64_t *off = NULL, total = 0;
	uint32_t *sorted = NULL;
	uint8_t *src = NULL, dst[ZB_PAGE];
	volatile uint8_t sink = 0;
	double best = NAN;
	size_t i, k;
	int rep;

	if (len == 0)
		return NAN;
	off = calloc(t->n, sizeof(*off));
	sorted = malloc(len * sizeof(*sorted));
	if (!off || !sorted)
		goto out;
	memcpy(sorted, idx, len * sizeof(*sorted));
	for (i = 0; i < len; i++)
		off[idx[i]] = 1;
	for (i = 0; i < t->n; i++)
		if (off[i]) {
			off[i] = total;
			total += t->sizes[i];
		}
	src = malloc(total ? total : 1);
	if (!src)
		goto out;
	for (i = 0; i < total; i++)
		src[i] = (uint8_t)i;
	for (rep = 0; rep < cfg->reps; rep++) {
		uint64_t t0 = zb_thread_cpu_ns();
		double ns;

		for (i = 0, k = 0; i < ops; i++) {
			uint32_t j = idx[k];

			if (++k == len)
				k = 0;
			memcpy(dst, src + off[j], t->sizes[j]);
			sink += dst[0];
		}
		ns = (double)(zb_thread_cpu_ns() - t0) / (double)ops;
		if (isnan(best) || ns < best)
			best = ns;
	}
out:
	(void)sink;
	free(off);
	free(sorted);
	free(src);
	return best;
}

static void set_errors(struct zb_row *row, size_t n)
{
	row->v[M_ERRORS] =
		(isnan(row->v[M_ERRORS]) ? 0 : row->v[M_ERRORS]) + (double)n;
}

/* A failed step: counted for the exit status and in the row's errors. */
static void row_error(struct zb_results *r, struct zb_row *row)
{
	r->errors++;
	if (row)
		set_errors(row, 1);
}

/* --- end to end --- */

struct e2e_arg {
	struct backend *b;
	const struct zb_trace *t;
	size_t first, count;
	uint64_t *hh;
	uint32_t *clen;
	int load;
	size_t rejected;
	uint64_t cpu_ns;
	int err;
};

static void e2e_thread(void *p)
{
	struct e2e_arg *a = p;
	const struct zb_trace *t = a->t;
	size_t cap = zb_comp_bound(), i;
	uint8_t *buf = malloc(cap), page[ZB_PAGE], local[ZB_PAGE];
	void *ctx = zb_comp_ctx_new(t->comp);
	uint64_t t0 = zb_thread_cpu_ns();

	if (!buf || !ctx) {
		a->err = -ENOMEM;
		goto out;
	}
	for (i = a->first; i < a->first + a->count; i++) {
		const uint8_t *raw = t->raw + i * ZB_PAGE;

		if (!a->load) {
			size_t c = zb_compress(t->comp, ctx, raw, buf, cap);
			const uint8_t *src = buf;

			if (c == 0 || c >= ZB_PAGE) {
				c = ZB_PAGE;
				src = raw;
			}
			a->hh[i] = 0;
			if (c > a->b->max_size) {
				a->rejected++;
				continue;
			}
			if (be_alloc(a->b, c, &a->hh[i]) ||
			    be_write(a->b, a->hh[i], src, c)) {
				a->err = -EIO;
				break;
			}
			a->clen[i] = (uint32_t)c;
		} else {
			const void *m;

			if (!a->hh[i])
				continue;
			m = be_read_begin(a->b, a->hh[i], local);
			if (!m ||
			    zb_decompress(t->comp, ctx, m, a->clen[i], page)) {
				a->err = -EIO;
				if (m)
					be_read_end(a->b, a->hh[i], m);
				break;
			}
			be_read_end(a->b, a->hh[i], m);
		}
	}
	a->cpu_ns = zb_thread_cpu_ns() - t0;
out:
	free(buf);
	if (ctx)
		zb_comp_ctx_free(t->comp, ctx);
}

/* One store (load == 0) or load of the trace's raw pages by `threads`
 * threads: pages/s by the busiest thread's CPU time, or -1 on a failure;
 * adds the pages too big to store to *rejected. */
static double e2e_once(struct backend *b, const struct zb_trace *t,
		       uint64_t *hh, uint32_t *clen, int threads, int load,
		       size_t *rejected)
{
	struct e2e_arg a[64];
	uint64_t busiest = 1;
	int i, err = 0;

	for (i = 0; i < threads; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].b = b;
		a[i].t = t;
		a[i].first = t->nraw * (size_t)i / (size_t)threads;
		a[i].count = t->nraw * (size_t)(i + 1) / (size_t)threads -
			     a[i].first;
		a[i].hh = hh;
		a[i].clen = clen;
		a[i].load = load;
	}
	if (zb_run_threads(threads, e2e_thread, a, sizeof(a[0])))
		err = -EAGAIN;
	for (i = 0; i < threads; i++) {
		err |= a[i].err;
		*rejected += a[i].rejected;
		if (a[i].cpu_ns > busiest)
			busiest = a[i].cpu_ns;
	}
	return err ? -1 : (double)t->nraw * 1e9 / (double)busiest;
}

/* Stores and loads the raw pages with 1 and N threads; pages/s. */
static void e2e(const struct zb_config *cfg, const struct zb_trace *t,
		struct backend *b, struct zb_row *row, struct zb_results *r)
{
	uint64_t *hh = calloc(t->nraw ? t->nraw : 1, sizeof(*hh));
	uint32_t *clen = calloc(t->nraw ? t->nraw : 1, sizeof(*clen));
	uint8_t page[ZB_PAGE], local[ZB_PAGE];
	int pass;

	if (!hh || !clen || t->nraw == 0)
		goto out;
	for (pass = 0; pass < 2; pass++) {
		int threads = pass ? cfg->threads : 1, ld, rep;
		size_t rejected = 0, bad = 0, j;
		bool failed = false;

		/* Best of reps each: one store or load of the trace is a
		 * second or less, and the peers' figures are taken the same
		 * way (peer_child.c).  A store again goes into an empty pool. */
		for (ld = 0; ld < 2 && !failed; ld++) {
			double *v = &row->v[ld ? (pass ? M_LDM : M_LD1) :
						 (pass ? M_STM : M_ST1)];

			for (rep = 0; rep < cfg->reps && !failed; rep++) {
				double pps;

				for (j = 0; !ld && rep && j < t->nraw; j++) {
					if (hh[j])
						be_free(b, hh[j]);
					hh[j] = 0;
				}
				if (!ld)
					rejected = 0; /* the last store's */
				pps = e2e_once(b, t, hh, clen, threads, ld,
					       &rejected);
				if (pps < 0) {
					fprintf(stderr,
						"zsbench: %s: end-to-end %s failed\n",
						b->name, ld ? "load" : "store");
					row_error(r, row);
					failed = true;
				}
				if (rep == 0 || pps > *v)
					*v = pps;
			}
		}
		/* untimed: every stored page decompresses to its original */
		for (j = 0; j < t->nraw; j++) {
			const void *m;

			if (!hh[j])
				continue;
			m = be_read_begin(b, hh[j], local);
			if (!m ||
			    zb_decompress(t->comp, NULL, m, clen[j], page) ||
			    memcmp(page, t->raw + j * ZB_PAGE, ZB_PAGE))
				bad++;
			if (m)
				be_read_end(b, hh[j], m);
			be_free(b, hh[j]);
			hh[j] = 0;
		}
		if (bad) {
			fprintf(stderr,
				"zsbench: %s: %zu end-to-end pages did not read back\n",
				b->name, bad);
			set_errors(row, bad);
			r->errors++;
		}
		if (rejected && pass == 0 && !row->note[0])
			snprintf(row->note, sizeof(row->note),
				 "e2e: %zu pages too big, not stored",
				 rejected);
	}
out:
	free(hh);
	free(clen);
}

/* --- which objects are copied on map and read, and which cross a page --- */

#define CANARY 0xa5

struct acc_ptr {
	uintptr_t addr;
	uint32_t k; /* position in the census */
};

static int cmp_acc_ptr(const void *a, const void *b)
{
	const struct acc_ptr *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Whether the first and the last byte lie in different 4 KiB pages. */
static int crosses_page(const void *p, size_t size)
{
	uintptr_t a = (uintptr_t)p;

	return a / ZB_PAGE != (a + size - 1) / ZB_PAGE;
}

/* Whether anything wrote into the first len bytes of a canary buffer. */
static int written(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != CANARY)
			return 1;
	return 0;
}

static const void *be_map_ro(struct backend *b, uint64_t h)
{
	if (b->is_zbud)
		return zbud_map(b->pool, h);
	return zs_map_object(b->pool, h, ZS_MM_RO);
}

static void be_unmap(struct backend *b, uint64_t h)
{
	if (b->is_zbud)
		zbud_unmap(b->pool, h);
	else
		zs_unmap_object(b->pool, h);
}

/*
 * One RO map and one read of each of the objects all[0..n), measured from
 * outside, as the API tells no caller where its objects lie.  A read is a
 * copy when it returns the caller's buffer or writes into it; a map is a
 * copy when it returns an address other than the object's own: not the one
 * its read returned in place, or one another object's map returned too
 * (two live objects never share a first byte; a per-thread buffer is
 * handed out again and again).  Only objects crossing a page are copied,
 * so a copied object counts as crossing; one in place crosses when its
 * first and last byte lie in different pages.  The crossing objects go to
 * strad, the others to inpage, for the speed loops.
 */
static int access_census(struct backend *b, const struct zb_trace *t,
			 const uint64_t *h, const uint32_t *all, size_t n,
			 uint32_t *strad, size_t *nstrad, uint32_t *inpage,
			 size_t *ninpage, struct zb_row *row)
{
	struct acc_ptr *mp = malloc((n ? n : 1) * sizeof(*mp));
	const void **rin = malloc((n ? n : 1) * sizeof(*rin));
	uintptr_t *maddr = malloc((n ? n : 1) * sizeof(*maddr));
	unsigned char *mcopy = calloc(n ? n : 1, 1);
	uint8_t local[ZB_PAGE];
	size_t k, rcopies = 0, mcopies = 0, ncross = 0;
	int err = 0;

	*nstrad = *ninpage = 0;
	if (!mp || !rin || !maddr || !mcopy) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < n; k++) {
		uint32_t j = all[k];
		size_t s = t->sizes[j];
		const void *r, *m;

		memset(local, CANARY, s);
		r = be_read_begin(b, h[j], local);
		if (!r) {
			err = -EIO;
			goto out;
		}
		rin[k] = r;
		if (r == (const void *)local || written(local, s)) {
			rin[k] = NULL;
			rcopies++;
		}
		be_read_end(b, h[j], r);
		m = be_map_ro(b, h[j]);
		if (!m) {
			err = -EIO;
			goto out;
		}
		be_unmap(b, h[j]);
		maddr[k] = (uintptr_t)m;
		mp[k].addr = (uintptr_t)m;
		mp[k].k = (uint32_t)k;
		if (rin[k] && m != rin[k])
			mcopy[k] = 1;
	}
	qsort(mp, n, sizeof(*mp), cmp_acc_ptr);
	for (k = 0; k + 1 < n; k++)
		if (mp[k].addr == mp[k + 1].addr)
			mcopy[mp[k].k] = mcopy[mp[k + 1].k] = 1;
	for (k = 0; k < n; k++) {
		uint32_t j = all[k];
		const void *in = rin[k];
		int cross;

		/* a read copied, a map in place: the map says where it is */
		if (!in && !mcopy[k])
			in = (const void *)maddr[k];
		mcopies += mcopy[k];
		cross = !in || mcopy[k] || crosses_page(in, t->sizes[j]);
		ncross += (size_t)cross;
		if (cross)
			strad[(*nstrad)++] = j;
		else
			inpage[(*ninpage)++] = j;
	}
	row->v[M_ACC_N] = (double)n;
	row->v[M_ACC_MAPCOPY] = (double)mcopies;
	row->v[M_ACC_READCOPY] = (double)rcopies;
	row->v[M_ACC_CROSS] = n ? (double)ncross / (double)n : NAN;
out:
	free(mp);
	free(rin);
	free(maddr);
	free(mcopy);
	return err;
}

static double ratio(double a, double b)
{
	return (isnan(a) || isnan(b) || b <= 0) ? NAN : a / b;
}

/* --- the density run (and everything done on its full pool) --- */

static size_t zs_slot(const void *ctx, size_t size)
{
	return zs_class_size_for((struct zs_pool *)ctx, size);
}

static void mm_stat(struct backend *b, const struct zb_trace *t, size_t live,
		    unsigned long max_pages, size_t same, char *out,
		    size_t outlen)
{
	struct zs_pool_stats st;
	size_t huge_size = zs_huge_class_size(b->pool), i, huge = 0;
	uint64_t stored = 0;

	zs_pool_stats(b->pool, &st);
	for (i = 0; i < t->n; i++)
		if (t->sizes[i] >= huge_size)
			huge++;
	/* the trace's huge count scaled to the live share */
	huge = (size_t)((double)huge * (double)live / (double)t->n);
	stored = st.bytes_stored;
	snprintf(out, outlen, "%8llu %8llu %8llu %8d %8llu %8zu %8lu %8zu %8zu",
		 (unsigned long long)(live + same) * ZB_PAGE,
		 (unsigned long long)stored,
		 (unsigned long long)zs_get_total_pages(b->pool) * ZB_PAGE, 0,
		 (unsigned long long)max_pages * ZB_PAGE, same,
		 st.pages_compacted, huge, huge);
}

static void density_run(const struct zb_config *cfg, const struct zb_trace *t,
			unsigned chain, struct zb_results *r)
{
	char name[32];
	struct backend b;
	struct zb_row *row;
	/* malloc, not calloc: compilers drop a memset of zero after calloc,
	 * and the pre-touch below must happen before rss0 */
	uint64_t *h = malloc(t->n * sizeof(*h));
	uint32_t *all = malloc(t->n * sizeof(*all));
	uint32_t *strad = malloc(t->n * sizeof(*strad));
	uint32_t *inpage = malloc(t->n * sizeof(*inpage));
	size_t rejected = 0, nstrad = 0, ninpage = 0, i, nall = 0;
	unsigned long before;
	long rss0, rss1;
	uint64_t t0;
	int err;

	if (chain)
		snprintf(name, sizeof(name), "zsmalloc-c%u", chain);
	else
		snprintf(name, sizeof(name), "zbud");
	row = zb_row_add(r, name, chain ? "zsmalloc" : "zbud");
	if (!row || !h || !all || !strad || !inpage) {
		row_error(r, row);
		goto out_free;
	}
	memset(h, 0, t->n * sizeof(*h));
	row->v[M_ERRORS] = 0; /* every check below adds what it finds */
	rss0 = zb_rss_bytes();
	err = be_open(&b, name, chain);
	if (err) {
		fprintf(stderr, "zsbench: %s: cannot create the pool: %s\n",
			name, strerror(-err));
		row_error(r, row);
		goto out_free;
	}
	zb_progress("%s: filling %zu objects", name, t->n);
	t0 = zb_thread_cpu_ns();
	err = be_fill(&b, t, h, &rejected);
	t0 = zb_thread_cpu_ns() - t0;
	if (err) {
		row_error(r, row);
		goto out;
	}
	rss1 = zb_rss_bytes();
	{
		unsigned long pages = be_pages(&b) + rejected;
		struct zs_arena_stats as;
		double meta = 0;

		zs_arena_stats(b.arena, &as);
		double pool_meta = 0;

		meta = (double)as.metadata_bytes;
		if (chain) {
			struct zs_pool_stats st;

			zs_pool_stats(b.pool, &st);
			pool_meta = (double)st.metadata_bytes;
		}
		/* zbud keeps its header in the page; whatever else it uses
		 * it does not report, so its all-in is the arena's only and
		 * its RSS column tells the rest. */
		meta += pool_meta;
		row->v[M_PAGES] = (double)pages;
		row->v[M_DENS_PAGES] =
			(double)pages * ZB_PAGE / (double)t->total;
		row->v[M_DENS_ALLIN] =
			((double)pages * ZB_PAGE + meta) / (double)t->total;
		row->v[M_META] = meta / (double)t->n;
		/* objects zbud refused would be whole pages in memory */
		row->v[M_DENS_RSS] =
			((double)(rss1 - rss0) + (double)rejected * ZB_PAGE) /
			(double)t->total;
		if (!chain)
			snprintf(
				row->note, sizeof(row->note),
				"%zu objects > %zu B kept as a page each; all-in: arena only",
				rejected, b.max_size);
		else
			snprintf(
				row->note, sizeof(row->note),
				"%u classes, huge >= %zu B; metadata %.1f B/object (pool %.0f KiB, arena %.0f KiB)",
				zs_pool_class_count(b.pool),
				zs_huge_class_size(b.pool), meta / (double)t->n,
				pool_meta / 1024,
				(double)as.metadata_bytes / 1024);
		if (chain == ZB_CHAIN)
			zb_waste_line(r->waste[1], sizeof(r->waste[1]), name, t,
				      (double)pages, zs_slot, b.pool,
				      zs_huge_class_size(b.pool));
		zb_progress("%s: filled, %.0f ns/object (thread CPU time)",
			    name, (double)t0 / (double)t->n);
	}
	if (chain == ZB_CHAIN) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (f) {
			zs_pool_print_classes(b.pool, f);
			fclose(f);
			free(r->class_table);
			r->class_table = buf;
		}
		mm_stat(&b, t, t->n, be_pages(&b), t->same_pages,
			r->mm_stat_fill, sizeof(r->mm_stat_fill));
	}
	if (!chain) {
		size_t bad = be_verify(&b, t, h);

		if (bad) {
			fprintf(stderr,
				"zsbench: %s: %zu objects differ after the fill\n",
				name, bad);
			set_errors(row, bad);
			r->errors++;
		}
	}

	/* The access lists: every stored object in random order, split by
	 * whether it crosses a page (and so whether a copying library copies
	 * it). */
	zb_shuffle(all, t->n, cfg->seed, 0x5eed);
	for (i = 0; i < t->n; i++)
		if (h[all[i]])
			all[nall++] = all[i];
	err = access_census(&b, t, h, all, nall, strad, &nstrad, inpage,
			    &ninpage, row);
	if (err) {
		fprintf(stderr,
			"zsbench: %s: mapping and reading every object failed: %s\n",
			name, strerror(-err));
		row_error(r, row);
		goto out;
	}
	/* Crossing and in-page objects are timed on lists of one length
	 * (both random samples, in random order), so neither loop gains
	 * from a smaller working set staying in cache. */
	if (nstrad && ninpage) {
		nstrad = nstrad < ninpage ? nstrad : ninpage;
		ninpage = nstrad;
	}
	zb_progress("%s: speed loops (%zu crossing, %zu in-page objects)", name,
		    nstrad, ninpage);
	before = be_pages(&b);
	row->v[M_AF1] = speed(cfg, &b, SP_AF, h, t->sizes, NULL, t->n, 1,
			      cfg->pair_ops);
	if (before)
		row->v[M_AF_HELD] = (double)be_pages(&b) / (double)before;
	row->v[M_AFM] = speed(cfg, &b, SP_AF, h, t->sizes, NULL, t->n,
			      cfg->threads, cfg->pair_ops);
	speed_pair(cfg, &b, SP_MAP, h, t->sizes, strad, inpage, nstrad, ninpage,
		   &row->v[M_MS1], &row->v[M_MN1]);
	row->v[M_MSM] = speed(cfg, &b, SP_MAP, h, t->sizes, strad, nstrad,
			      cfg->threads, cfg->access_ops);
	row->v[M_MNM] = speed(cfg, &b, SP_MAP, h, t->sizes, inpage, ninpage,
			      cfg->threads, cfg->access_ops);
	if (chain) {
		row->v[M_RD1] = speed(cfg, &b, SP_READ, h, t->sizes, all, nall,
				      1, cfg->access_ops);
		row->v[M_RDM] = speed(cfg, &b, SP_READ, h, t->sizes, all, nall,
				      cfg->threads, cfg->access_ops);
		speed_pair(cfg, &b, SP_READ, h, t->sizes, strad, inpage, nstrad,
			   ninpage, &row->v[M_RX1], &row->v[M_RI1]);
		row->v[M_RXM] = speed(cfg, &b, SP_READ, h, t->sizes, strad,
				      nstrad, cfg->threads, cfg->access_ops);
		row->v[M_RIM] = speed(cfg, &b, SP_READ, h, t->sizes, inpage,
				      ninpage, cfg->threads, cfg->access_ops);
		row->v[M_MAPRATIO] = ratio(row->v[M_MS1], row->v[M_MN1]);
		row->v[M_READRATIO] = ratio(row->v[M_RX1], row->v[M_RI1]);
		row->v[M_WR1] = speed(cfg, &b, SP_WRITE, h, t->sizes, all, nall,
				      1, cfg->access_ops);
		row->v[M_WRM] = speed(cfg, &b, SP_WRITE, h, t->sizes, all, nall,
				      cfg->threads, cfg->access_ops);
	}
	if (chain == ZB_CHAIN) {
		struct zb_row *mc = zb_row_add(r, "memcpy", "memcpy");

		if (mc)
			mc->v[M_CPY] = memcpy_baseline(cfg, t, strad, nstrad,
						       cfg->access_ops);
	}
	zb_progress("%s: end to end, %zu pages", name, t->nraw);
	e2e(cfg, t, &b, row, r);
	{
		size_t bad = be_verify(&b, t, h);

		if (bad) {
			fprintf(stderr,
				"zsbench: %s: %zu objects differ after the speed loops\n",
				name, bad);
			set_errors(row, bad);
			r->errors++;
		}
		if (!chain ? zbud_pool_check(b.pool) : zs_pool_check(b.pool)) {
			fprintf(stderr, "zsbench: %s: pool check failed\n",
				name);
			set_errors(row, 1);
			r->errors++;
		}
	}
out:
	be_close(&b);
out_free:
	free(h);
	free(all);
	free(strad);
	free(inpage);
}

/* --- fragmentation and compaction --- */

/* What the main thread is doing while the reader reads. */
enum phase { PH_IDLE, PH_FREE, PH_COMPACT, PH_ARENA, PH_N };

/* Durations by 32 buckets per power of two (each about 3% wide), up to
 * 2^40 ns: enough for a 99.9th percentile without keeping every call. */
#define HIST_SUB 32
#define HIST_N (HIST_SUB * 36)

static unsigned hist_bucket(uint64_t ns)
{
	unsigned e, idx;

	if (ns < HIST_SUB)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns); /* >= 5 */
	idx = (e - 4) * HIST_SUB + (unsigned)((ns >> (e - 5)) & (HIST_SUB - 1));
	return idx < HIST_N ? idx : HIST_N - 1;
}

/* The largest duration bucket idx holds. */
static uint64_t hist_upper(unsigned idx)
{
	unsigned e, sub;

	if (idx < HIST_SUB)
		return idx;
	e = idx / HIST_SUB + 4;
	sub = idx % HIST_SUB;
	return (((uint64_t)HIST_SUB + sub + 1) << (e - 5)) - 1;
}

struct reader {
	struct backend *b;
	const uint64_t *h;
	const uint32_t *live;
	size_t nlive;
	atomic_int stop;
	atomic_int started;
	atomic_int phase; /* enum phase, set by the main thread */
	uint64_t seed;
	int err;
	/* the starting (compacting) thread's /proc schedstat, -1 if none */
	int main_sched_fd;
	/* added up over every start of the run: */
	uint64_t max_ns[PH_N]; /* longest call not preempted */
	uint64_t raw_ns[PH_N]; /* longest call */
	uint64_t ops;
	uint64_t hist[HIST_N]; /* every call */
};

/* The duration below which a share q of the calls lie (bucket upper
 * bound), ns; NAN with no call. */
static double reader_quantile(const struct reader *rd, double q)
{
	uint64_t total = 0, want, sum = 0;
	unsigned i;

	for (i = 0; i < HIST_N; i++)
		total += rd->hist[i];
	if (!total)
		return NAN;
	want = (uint64_t)ceil(q * (double)total);
	for (i = 0; i < HIST_N; i++) {
		sum += rd->hist[i];
		if (sum >= want)
			break;
	}
	return (double)hist_upper(i < HIST_N ? i : HIST_N - 1);
}

static uint64_t max_of(const uint64_t *v)
{
	uint64_t m = 0;
	int i;

	for (i = 0; i < PH_N; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* A call slower than this is checked for preemption. */
#define SLOW_READ_NS 20000
/* How often the main thread's wait for a CPU is sampled. */
#define DELAY_SAMPLE_NS 200000

static long involuntary_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_nivcsw;
}

/* How long the thread whose schedstat fd is open has waited, runnable,
 * for a CPU (ns, the kernel's run_delay); 0 when unknown. */
static uint64_t run_delay(int fd)
{
	char buf[96];
	unsigned long long run, wait;
	ssize_t n;

	if (fd < 0 || (n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = 0;
	return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? wait : 0;
}

/* Maps (RO) and reads random live objects by turns and times every call
 * to its release.  A slow call is the machine's doing (other processes
 * on the two cores), not the pool's, when the kernel switched the reader
 * out involuntarily, or kept the compacting thread waiting for a CPU
 * while the call ran (a reader waits for at most one object copy, unless
 * the copying thread is off its CPU); such calls are kept apart: max_ns
 * holds the longest call neither, raw_ns the longest of all, per phase of
 * the main thread's work when the call began. */
static void *reader_main(void *p)
{
	struct reader *rd = p;
	uint8_t local[ZB_PAGE];
	struct zb_rng rng;
	uint64_t ops = 0, sampled_at = 0, delay = 0;
	long nivcsw = involuntary_switches();

	zb_rng_seed(&rng, rd->seed + rd->ops);
	while (!atomic_load_explicit(&rd->stop, memory_order_relaxed)) {
		uint64_t h = rd->h[rd->live[zb_rng_next(&rng) % rd->nlive]];
		int ph = atomic_load_explicit(&rd->phase, memory_order_relaxed);
		volatile const uint8_t *m;
		uint64_t t0 = zb_now_ns(), dt;

		/* Sampled every DELAY_SAMPLE_NS, not per call: reading another
		 * thread's schedstat costs about a microsecond and slows that
		 * thread too.  A wait of the main thread since the sample
		 * counts against the call (the window covers the call). */
		if (t0 - sampled_at > DELAY_SAMPLE_NS) {
			delay = run_delay(rd->main_sched_fd);
			sampled_at = t0 = zb_now_ns();
		}

		if (ops & 1)
			m = be_map_ro(rd->b, h);
		else
			m = be_read_begin(rd->b, h, local);
		if (!m) {
			rd->err = -EIO;
			break;
		}
		(void)m[0];
		if (ops & 1)
			be_unmap(rd->b, h);
		else
			be_read_end(rd->b, h, (const void *)m);
		dt = zb_now_ns() - t0;
		rd->hist[hist_bucket(dt)]++;
		if (dt > rd->raw_ns[ph])
			rd->raw_ns[ph] = dt;
		if (dt > SLOW_READ_NS) {
			long now = involuntary_switches();
			uint64_t delay_now = run_delay(rd->main_sched_fd);

			if (now == nivcsw && delay_now == delay &&
			    dt > rd->max_ns[ph])
				rd->max_ns[ph] = dt;
			nivcsw = now;
			delay = delay_now;
			sampled_at = zb_now_ns();
		} else if (dt > rd->max_ns[ph]) {
			rd->max_ns[ph] = dt;
		}
		if (!ops++)
			atomic_store(&rd->started, 1);
	}
	rd->ops += ops;
	atomic_store(&rd->started, 1); /* also when it stopped at once */
	return NULL;
}

/* Returns once the reader is reading, so a short compaction is not over
 * before the reader has looked at it. */
static int reader_start(struct reader *rd, pthread_t *tid)
{
	uint64_t t0 = zb_now_ns();
	int err;

	atomic_store(&rd->stop, 0);
	atomic_store(&rd->started, 0);
	/* this thread's: it runs the frees and compactions the reader times */
	rd->main_sched_fd = open("/proc/thread-self/schedstat", O_RDONLY);
	err = pthread_create(tid, NULL, reader_main, rd);
	if (err) {
		if (rd->main_sched_fd >= 0)
			close(rd->main_sched_fd);
		return err;
	}
	while (!atomic_load(&rd->started) && zb_now_ns() - t0 < 1000000000ull)
		sched_yield();
	return 0;
}

static void reader_stop(struct reader *rd, pthread_t tid)
{
	atomic_store(&rd->stop, 1);
	pthread_join(tid, NULL);
	if (rd->main_sched_fd >= 0)
		close(rd->main_sched_fd);
	rd->main_sched_fd = -1;
}

/* The machine's share of a stall: the same reader, for as long as the
 * compaction it is set against took (20 ms at least), while this thread
 * copies a private buffer, so both CPUs are as busy as during the
 * compaction but no object moves.  Its longest call, with preempted ones
 * left out as for the stalls, is what any call may cost on this machine
 * (a host taking a vCPU away is invisible from inside); the longest over
 * the compactions of a row is kept. */
static void stall_baseline(const struct reader *rd, uint64_t ns,
			   struct zb_row *row)
{
	static uint8_t from[1 << 16], to[1 << 16];
	struct reader *base = calloc(1, sizeof(*base));
	uint64_t t0;
	pthread_t tid;
	double us;

	if (!base)
		return;
	base->b = rd->b;
	base->h = rd->h;
	base->live = rd->live;
	base->nlive = rd->nlive;
	base->seed = rd->seed + 1;
	atomic_store(&base->phase, PH_IDLE);
	if (reader_start(base, &tid)) {
		free(base);
		return;
	}
	if (ns < 20 * 1000 * 1000)
		ns = 20 * 1000 * 1000;
	for (t0 = zb_now_ns(); zb_now_ns() - t0 < ns;) {
		memcpy(to, from, sizeof(to));
		__asm__ volatile("" : : "r"(to) : "memory");
	}
	reader_stop(base, tid);
	us = (double)base->max_ns[PH_IDLE] / 1000.0;
	if (isnan(row->v[M_STBASE]) || us > row->v[M_STBASE])
		row->v[M_STBASE] = us;
	free(base);
}

/* The reader's figures for the whole 75% run: frees, zs_compact and
 * zs_arena_compact. */
static void stall_metrics(struct zb_row *row, const struct reader *rd)
{
	row->v[M_SWOPS] = (double)rd->ops;
	row->v[M_SWFREE] = (double)rd->max_ns[PH_FREE] / 1000.0;
	row->v[M_SWARENA] = (double)rd->max_ns[PH_ARENA] / 1000.0;
	row->v[M_SWMAX] = (double)max_of(rd->max_ns) / 1000.0;
	row->v[M_SWRAW] = (double)max_of(rd->raw_ns) / 1000.0;
	row->v[M_SWP999] = reader_quantile(rd, 0.999) / 1000.0;
}

static void frag_run(const struct zb_config *cfg, const struct zb_trace *t,
		     unsigned chain, int fi, struct zb_results *r)
{
	static const int fracs[3] = { 50, 75, 90 };
	static const int mub[3] = { M_UB50, M_UB75, M_UB90 };
	static const int mua[3] = { M_UA50, M_UA75, M_UA90 };
	static const int mur[3] = { M_UR50, M_UR75, M_UR90 };
	static const int mcf[3] = { M_CF50, M_CF75, M_CF90 };
	static const int mcm[3] = { M_CM50, M_CM75, M_CM90 };
	static const int mcms[3] = { M_CMS50, M_CMS75, M_CMS90 };
	static const int mst[3] = { M_ST50, M_ST75, M_ST90 };
	char name[32];
	struct backend b;
	struct zb_row *row;
	/* malloc, not calloc: compilers drop a memset of zero after calloc,
	 * and the pre-touch below must happen before rss0 */
	uint64_t *h = malloc(t->n * sizeof(*h));
	uint32_t *perm = malloc(t->n * sizeof(*perm));
	size_t rejected = 0, nfree = t->n * (size_t)fracs[fi] / 100, i;
	size_t rej_live = 0, bad;
	uint64_t live_bytes = 0;
	unsigned long pages_before, pages_after, fill_pages;
	struct reader *rd = malloc(sizeof(*rd));
	pthread_t tid;
	/* at 75% the reader also runs through the frees and the arena
	 * compaction; otherwise through zs_compact alone */
	int whole = fi == 1, reading = 0;
	long rss0, rss1;
	int err;

	if (chain)
		snprintf(name, sizeof(name), "zsmalloc-c%u", chain);
	else
		snprintf(name, sizeof(name), "zbud");
	row = zb_row_find(r, name);
	if (!row || !h || !perm || !rd) {
		row_error(r, row);
		goto out_free;
	}
	/* pre-touch the bookkeeping so it is not charged to the pool */
	memset(h, 0, t->n * sizeof(*h));
	memset(perm, 0, t->n * sizeof(*perm));
	memset(rd, 0, sizeof(*rd));
	rss0 = zb_rss_bytes();
	err = be_open(&b, name, chain);
	if (err) {
		fprintf(stderr, "zsbench: %s: cannot create the pool: %s\n",
			name, strerror(-err));
		row_error(r, row);
		goto out_free;
	}
	zb_progress("%s: fill, free %d%% at random, compact", name, fracs[fi]);
	if (be_fill(&b, t, h, &rejected)) {
		row_error(r, row);
		goto out;
	}
	fill_pages = be_pages(&b);
	zb_shuffle(perm, t->n, cfg->seed, (uint64_t)fracs[fi]);

	for (i = nfree; i < t->n; i++) {
		live_bytes += t->sizes[perm[i]];
		if (!h[perm[i]])
			rej_live++;
	}
	/* the reader reads only objects that stay and are stored: the front
	 * of perm[nfree..n) once the rejected ones are squeezed out */
	rd->b = &b;
	rd->h = h;
	for (i = nfree; i < t->n; i++)
		if (h[perm[i]])
			perm[nfree + rd->nlive++] = perm[i];
	rd->live = perm + nfree;
	rd->seed = cfg->seed + (uint64_t)fi;
	atomic_store(&rd->phase, PH_FREE);
	if (rd->nlive && whole && !reader_start(rd, &tid))
		reading = 1;
	for (i = 0; i < nfree; i++) {
		uint32_t j = perm[i];

		if (h[j] && be_free(&b, h[j])) {
			fprintf(stderr, "zsbench: %s: free failed\n", name);
			row_error(r, row);
			goto out;
		}
		h[j] = 0;
	}
	pages_before = be_pages(&b) + rej_live;
	row->v[mub[fi]] = (double)live_bytes / ((double)pages_before * ZB_PAGE);

	if (chain) {
		struct zs_pool_stats st0, st1;
		unsigned long freed;
		uint64_t t0, dt;

		zs_pool_stats(b.pool, &st0);
		if (rd->nlive && !reading && !reader_start(rd, &tid))
			reading = 1;
		atomic_store(&rd->phase, PH_COMPACT);
		t0 = zb_now_ns();
		freed = zs_compact(b.pool);
		dt = zb_now_ns() - t0;
		if (reading) {
			reader_stop(rd, tid);
			reading = 0;
			row->v[mst[fi]] =
				(double)rd->max_ns[PH_COMPACT] / 1000.0;
			if (fi == 1)
				row->v[M_STRAW75] =
					(double)rd->raw_ns[PH_COMPACT] / 1000.0;
			if (chain == ZB_CHAIN)
				stall_baseline(rd, dt, row);
		}
		/* a second call picks up what the reader's pins held back */
		freed += zs_compact(b.pool);
		zs_pool_stats(b.pool, &st1);
		pages_after = be_pages(&b);
		row->v[mua[fi]] =
			(double)live_bytes / ((double)pages_after * ZB_PAGE);
		row->v[mcf[fi]] = (double)freed;
		row->v[mcm[fi]] =
			freed ? (double)(st1.objs_moved - st0.objs_moved) /
					(double)freed :
				NAN;
		row->v[mcms[fi]] = (double)dt / 1e6;
		if (pages_before - pages_after != freed)
			snprintf(
				r->compact_note, sizeof(r->compact_note),
				"note: %s: zs_compact returned %lu freed pages, the page count fell by %ld",
				name, freed,
				(long)pages_before - (long)pages_after);
		if (chain == ZB_CHAIN && fi == 1) {
			mm_stat(&b, t, t->n - nfree, fill_pages,
				t->same_pages - t->same_pages * 75 / 100,
				r->mm_stat_after, sizeof(r->mm_stat_after));
		}
	} else {
		pages_after = pages_before;
		row->v[mua[fi]] = row->v[mub[fi]];
	}
	if (reading) {
		reader_stop(rd, tid);
		reading = 0;
	}
	bad = be_verify(&b, t, h);
	if (bad) {
		fprintf(stderr,
			"zsbench: %s: %zu objects differ after compaction\n",
			name, bad);
		set_errors(row, bad);
		r->errors++;
	}
	if (chain ? zs_pool_check(b.pool) : zbud_pool_check(b.pool)) {
		fprintf(stderr,
			"zsbench: %s: pool check failed after compaction\n",
			name);
		set_errors(row, 1);
		r->errors++;
	}
	{
		unsigned long moved;

		atomic_store(&rd->phase, PH_ARENA);
		if (rd->nlive && whole && !reader_start(rd, &tid))
			reading = 1;
		moved = zs_arena_compact(b.arena);
		if (reading) {
			reader_stop(rd, tid);
			reading = 0;
		}
		if (whole && rd->ops)
			stall_metrics(row, rd);
		if (rd->err) {
			fprintf(stderr,
				"zsbench: %s: a read or map failed during the frees or compaction\n",
				name);
			set_errors(row, 1);
			r->errors++;
		}
		if (fi == 1)
			row->v[M_AM75] = (double)moved;
		zs_arena_trim(b.arena);
		malloc_trim(0);
		rss1 = zb_rss_bytes();
		/* rejected zbud objects would be whole pages in memory */
		row->v[mur[fi]] =
			(double)live_bytes /
			((double)(rss1 - rss0) + (double)rej_live * ZB_PAGE);
	}
	bad = be_verify(&b, t, h);
	if (bad) {
		fprintf(stderr,
			"zsbench: %s: %zu objects differ after arena compaction\n",
			name, bad);
		set_errors(row, bad);
		r->errors++;
	}
out:
	if (reading)
		reader_stop(rd, tid);
	be_close(&b);
out_free:
	free(h);
	free(perm);
	free(rd);
}

void zb_zs_runs(const struct zb_config *cfg, const struct zb_trace *t,
		struct zb_results *r)
{
	static const unsigned chains[4] = { 4, 8, 16, 0 };
	int c, f;

	for (c = 0; c < 4; c++) {
		density_run(cfg, t, chains[c], r);
		for (f = 0; f < 3; f++)
			frag_run(cfg, t, chains[c], f, r);
	}
}
