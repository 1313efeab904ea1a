// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/peer_child.c - the peer runner: one malloc, measured.
 *
 * Runs in a child started by peers.c with LD_PRELOAD naming the peer (or
 * none for glibc).  It first proves the preload took (malloc must resolve
 * into the named library, else the numbers would be glibc's under another
 * name), then measures in forked grandchildren so every measurement starts
 * from a fresh heap: the fill (RSS growth), alloc + free pairs with 1 and N
 * threads and the end-to-end run on the filled heap; and per fraction the
 * fill, the random frees (the same objects zsmalloc frees: same seed, same
 * shuffle), the peer's own purge call, and RSS before and after it.
 * Bookkeeping lives in mmap'd memory touched before each baseline, so only
 * the allocator's own memory shows up as growth.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/zsbench/peer_proto.h"
#include "tools/zsbench/zsbench.h"

struct child {
	const char *name;
	const char *lib;
	const struct zb_peer_hdr *hdr;
	const uint32_t *sizes;
	const uint8_t *raw;
	size_t map_len;
	void **ptrs;
	uint32_t *perm;
	uint64_t seed;
	int threads;
	size_t pair_ops;
	int reps;
	int (*mallctl)(const char *, void *, size_t *, void *, size_t);
	void (*mi_collect)(bool);
	void (*tc_release)(void);
	int is_glibc;
};

static void out_error(const char *fmt, const char *arg)
{
	printf("ZSPEER error=");
	printf(fmt, arg);
	printf("\n");
	fflush(stdout);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The preload took when malloc resolves into the peer's library. */
static int check_provider(struct child *c)
{
	void *(*volatile mp)(size_t) = malloc;
	char want[PATH_MAX], got[PATH_MAX];
	Dl_info info;

	if (!dladdr((void *)mp, &info) || !info.dli_fname) {
		out_error("cannot tell which library provides malloc%s", "");
		return -1;
	}
	if (!strcmp(c->lib, "-")) {
		c->is_glibc = strstr(base_name(info.dli_fname), "libc.so") !=
			      NULL;
		if (!c->is_glibc) {
			out_error("malloc comes from %s, not glibc",
				  info.dli_fname);
			return -1;
		}
		return 0;
	}
	if (!realpath(c->lib, want) || !realpath(info.dli_fname, got) ||
	    strcmp(want, got)) {
		printf("ZSPEER error=LD_PRELOAD of %s did not take: malloc comes from %s\n",
		       c->lib, info.dli_fname);
		fflush(stdout);
		return -1;
	}
	return 0;
}

static void find_purge(struct child *c)
{
	*(void **)&c->mallctl = dlsym(RTLD_DEFAULT, "mallctl");
	*(void **)&c->mi_collect = dlsym(RTLD_DEFAULT, "mi_collect");
	*(void **)&c->tc_release =
		dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory");
}

static const char *purge(struct child *c)
{
	if (c->mallctl) {
		c->mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
		/* 4096 = MALLCTL_ARENAS_ALL */
		c->mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
		return "mallctl(thread.tcache.flush + arena.4096.purge)";
	}
	if (c->mi_collect) {
		c->mi_collect(true);
		return "mi_collect(true)";
	}
	if (c->tc_release) {
		c->tc_release();
		return "MallocExtension_ReleaseFreeMemory()";
	}
	if (c->is_glibc) {
		malloc_trim(0);
		return "malloc_trim(0)";
	}
	return "none available";
}

/* Touch everything the measurement reads or writes besides the heap. */
static void prefault(struct child *c)
{
	volatile uint8_t sink = 0;
	const uint8_t *p = (const uint8_t *)c->hdr;
	size_t i;

	for (i = 0; i < c->map_len; i += 4096)
		sink += p[i];
	memset(c->ptrs, 0, c->hdr->n * sizeof(*c->ptrs));
	memset(c->perm, 0, c->hdr->n * sizeof(*c->perm));
	(void)sink;
}

static int fill(struct child *c)
{
	size_t i;

	for (i = 0; i < c->hdr->n; i++) {
		size_t s = c->sizes[i];

		c->ptrs[i] = malloc(s);
		if (!c->ptrs[i]) {
			out_error("malloc failed during the fill%s", "");
			return -1;
		}
		memcpy(c->ptrs[i], zb_pattern + zb_pattern_off(i), s);
	}
	return 0;
}

static size_t verify(struct child *c)
{
	size_t i, bad = 0;

	for (i = 0; i < c->hdr->n; i++)
		if (c->ptrs[i] &&
		    memcmp(c->ptrs[i], zb_pattern + zb_pattern_off(i),
			   c->sizes[i]))
			bad++;
	return bad;
}

/* --- alloc + free pairs: the loop zs_runs.c runs on zsmalloc --- */

#define RING 1024

struct pair_arg {
	const uint32_t *sizes;
	size_t len, off, ops;
	uint64_t ns;
	int err;
};

static void pair_thread(void *p)
{
	struct pair_arg *a = p;
	void *ring[RING] = { 0 };
	uint64_t t0 = zb_thread_cpu_ns();
	size_t i, k;

	for (i = 0, k = a->off; i < a->ops; i++) {
		size_t s = a->sizes[k];

		if (++k == a->len)
			k = 0;
		free(ring[i % RING]);
		ring[i % RING] = malloc(s);
		if (!ring[i % RING]) {
			a->err = -ENOMEM;
			break;
		}
	}
	a->ns = zb_thread_cpu_ns() - t0;
	for (i = 0; i < RING; i++)
		free(ring[i]);
}

static double pairs(struct child *c, int threads)
{
	struct pair_arg a[64];
	double best = NAN;
	int rep, i;

	for (rep = 0; rep < c->reps; rep++) {
		double sum = 0;

		for (i = 0; i < threads; i++) {
			memset(&a[i], 0, sizeof(a[i]));
			a[i].sizes = c->sizes;
			a[i].len = c->hdr->n;
			a[i].off = c->hdr->n * (size_t)i / (size_t)threads;
			a[i].ops = c->pair_ops;
		}
		if (zb_run_threads(threads, pair_thread, a, sizeof(a[0])))
			return NAN;
		for (i = 0; i < threads; i++) {
			if (a[i].err)
				return NAN;
			sum += (double)a[i].ns / (double)a[i].ops;
		}
		sum /= threads;
		if (isnan(best) || sum < best)
			best = sum;
	}
	return best;
}

/* --- end to end --- */

struct e2e_arg {
	struct child *c;
	size_t first, count;
	void **slot;
	uint32_t *clen;
	int load;
	uint64_t cpu_ns;
	int err;
};

static void e2e_thread(void *p)
{
	struct e2e_arg *a = p;
	enum zb_compressor comp = (enum zb_compressor)a->c->hdr->comp;
	size_t cap = zb_comp_bound(), i;
	uint8_t *buf = malloc(cap), page[ZB_PAGE];
	void *ctx = zb_comp_ctx_new(comp);
	uint64_t t0 = zb_thread_cpu_ns();

	if (!buf || !ctx) {
		a->err = -ENOMEM;
		goto out;
	}
	for (i = a->first; i < a->first + a->count; i++) {
		const uint8_t *raw = a->c->raw + i * ZB_PAGE;

		if (!a->load) {
			size_t n = zb_compress(comp, ctx, raw, buf, cap);
			const uint8_t *src = buf;

			if (n == 0 || n >= ZB_PAGE) {
				n = ZB_PAGE;
				src = raw;
			}
			a->slot[i] = malloc(n);
			if (!a->slot[i]) {
				a->err = -ENOMEM;
				break;
			}
			memcpy(a->slot[i], src, n);
			a->clen[i] = (uint32_t)n;
		} else if (zb_decompress(comp, ctx, a->slot[i], a->clen[i],
					 page)) {
			a->err = -EIO;
			break;
		}
	}
	a->cpu_ns = zb_thread_cpu_ns() - t0;
out:
	free(buf);
	if (ctx)
		zb_comp_ctx_free(comp, ctx);
}

static int e2e(struct child *c, int threads, double *store, double *load)
{
	size_t nraw = c->hdr->nraw, j;
	void **slot = calloc(nraw, sizeof(*slot));
	uint32_t *clen = calloc(nraw, sizeof(*clen));
	enum zb_compressor comp = (enum zb_compressor)c->hdr->comp;
	struct e2e_arg a[64];
	uint8_t page[ZB_PAGE];
	int ld, i, rep, err = 0;

	if (!slot || !clen) {
		free(slot);
		free(clen);
		return -ENOMEM;
	}
	/* best of reps, as zs_runs.c: a store again into a fresh heap */
	for (ld = 0; ld < 2 && !err; ld++) {
		double best = 0;

		for (rep = 0; rep < c->reps && !err; rep++) {
			uint64_t busiest = 1;

			for (j = 0; !ld && rep && j < nraw; j++) {
				free(slot[j]);
				slot[j] = NULL;
			}
			for (i = 0; i < threads; i++) {
				memset(&a[i], 0, sizeof(a[i]));
				a[i].c = c;
				a[i].first = nraw * (size_t)i / (size_t)threads;
				a[i].count = nraw * (size_t)(i + 1) /
						     (size_t)threads -
					     a[i].first;
				a[i].slot = slot;
				a[i].clen = clen;
				a[i].load = ld;
			}
			if (zb_run_threads(threads, e2e_thread, a,
					   sizeof(a[0])))
				err = -EAGAIN;
			for (i = 0; i < threads; i++) {
				err |= a[i].err;
				if (a[i].cpu_ns > busiest)
					busiest = a[i].cpu_ns;
			}
			if ((double)nraw * 1e9 / (double)busiest > best)
				best = (double)nraw * 1e9 / (double)busiest;
		}
		*(ld ? load : store) = best;
	}
	for (j = 0; j < nraw; j++) {
		if (!err &&
		    (zb_decompress(comp, NULL, slot[j], clen[j], page) ||
		     memcmp(page, c->raw + j * ZB_PAGE, ZB_PAGE)))
			err = -EIO;
		free(slot[j]);
	}
	free(slot);
	free(clen);
	return err;
}

/* --- the measurements, each in a fresh process --- */

/* The share of objects whose first and last byte lie in different 4 KiB
 * pages: malloc's objects are read in place, crossing or not. */
static double crossing_share(const struct child *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->hdr->n; i++) {
		uintptr_t a = (uintptr_t)c->ptrs[i];

		n += a / ZB_PAGE != (a + c->sizes[i] - 1) / ZB_PAGE;
	}
	return c->hdr->n ? (double)n / (double)c->hdr->n : 0;
}

static void measure_fill(struct child *c)
{
	double st1 = NAN, ld1 = NAN, stm = NAN, ldm = NAN;
	long rss0, rss1;

	prefault(c);
	rss0 = zb_rss_bytes();
	if (fill(c))
		return;
	rss1 = zb_rss_bytes();
	printf("ZSPEER pages=%ld density_rss=%.6f\n", (rss1 - rss0) / 4096,
	       (double)(rss1 - rss0) / (double)c->hdr->total);
	printf("ZSPEER access_objects=%llu crossing_share=%.6f\n",
	       (unsigned long long)c->hdr->n, crossing_share(c));
	if (verify(c))
		out_error("objects differ after the fill%s", "");
	fflush(stdout);
	zb_progress("peer %s: alloc + free pairs", c->name);
	printf("ZSPEER alloc_free_ns_1t=%.2f alloc_free_ns_mt=%.2f\n",
	       pairs(c, 1), pairs(c, c->threads));
	fflush(stdout);
	if (c->hdr->nraw) {
		zb_progress("peer %s: end to end, %llu pages", c->name,
			    (unsigned long long)c->hdr->nraw);
		if (e2e(c, 1, &st1, &ld1) || e2e(c, c->threads, &stm, &ldm))
			out_error("end-to-end pages did not read back%s", "");
		printf("ZSPEER e2e_store_pages_s_1t=%.0f e2e_store_pages_s_mt=%.0f e2e_load_pages_s_1t=%.0f e2e_load_pages_s_mt=%.0f\n",
		       st1, stm, ld1, ldm);
	}
	fflush(stdout);
}

static void measure_frag(struct child *c, int frac)
{
	size_t n = c->hdr->n, nfree = n * (size_t)frac / 100, i;
	uint64_t live = 0;
	long rss0, rss1, rss2;

	prefault(c);
	rss0 = zb_rss_bytes();
	if (fill(c))
		return;
	zb_shuffle(c->perm, n, c->seed, (uint64_t)frac);
	for (i = 0; i < nfree; i++) {
		free(c->ptrs[c->perm[i]]);
		c->ptrs[c->perm[i]] = NULL;
	}
	for (i = nfree; i < n; i++)
		live += c->sizes[c->perm[i]];
	rss1 = zb_rss_bytes();
	purge(c);
	rss2 = zb_rss_bytes();
	if (verify(c))
		out_error("objects differ after the frees and the purge%s", "");
	printf("ZSPEER util%d_before=%.6f util%d_rss=%.6f\n", frac,
	       (double)live / (double)(rss1 - rss0), frac,
	       (double)live / (double)(rss2 - rss0));
	fflush(stdout);
}

static int run_forked(struct child *c, int frac)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (frac)
			measure_frag(c, frac);
		else
			measure_fill(c);
		fflush(stdout);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("ZSPEER error=measurement process %s %d\n",
		       WIFSIGNALED(status) ? "killed by signal" :
					     "exited with status",
		       WIFSIGNALED(status) ? WTERMSIG(status) :
					     WEXITSTATUS(status));
		fflush(stdout);
		return -EIO;
	}
	return 0;
}

static int arg_ull(const char *a, const char *key, unsigned long long *v)
{
	size_t k = strlen(key);
	char *end;

	if (strncmp(a, key, k))
		return 0;
	errno = 0;
	*v = strtoull(a + k, &end, 10);
	return !errno && *end == '\0' && end != a + k;
}

int zb_peer_child_main(int argc, char **argv)
{
	struct child c = { 0 };
	unsigned long long v;
	int fd = -1;
	void *map;
	int i, err = 0;

	if (argc < 4) {
		fprintf(stderr, "zsbench: --peer-child is internal\n");
		return 2;
	}
	c.name = argv[2];
	c.lib = argv[3];
	c.threads = 2;
	c.pair_ops = 1000000;
	c.reps = 3;
	for (i = 4; i < argc; i++) {
		if (arg_ull(argv[i], "--peer-fd=", &v))
			fd = (int)v;
		else if (arg_ull(argv[i], "--seed=", &v))
			c.seed = v;
		else if (arg_ull(argv[i], "--threads=", &v))
			c.threads = (int)v;
		else if (arg_ull(argv[i], "--pair-ops=", &v))
			c.pair_ops = (size_t)v;
		else if (arg_ull(argv[i], "--reps=", &v))
			c.reps = (int)v;
		else if (arg_ull(argv[i], "--wall0=", &v))
			zb_progress_base(v);
	}
	if (fd < 0 || c.threads < 1 || c.threads > 64 || c.reps < 1 ||
	    c.pair_ops < 1) {
		fprintf(stderr, "zsbench: --peer-child: bad arguments\n");
		return 2;
	}
	if (check_provider(&c))
		return 1;
	find_purge(&c);
	{
		struct zb_peer_hdr h;

		if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
		    h.magic != ZB_PEER_MAGIC || h.n == 0) {
			out_error(
				"the trace passed by the parent is unreadable%s",
				"");
			return 1;
		}
		c.map_len = h.raw_off + h.nraw * ZB_PAGE;
	}
	map = mmap(NULL, c.map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		out_error("cannot map the trace: %s", strerror(errno));
		return 1;
	}
	c.hdr = map;
	c.sizes = (const uint32_t *)(c.hdr + 1);
	c.raw = (const uint8_t *)map + c.hdr->raw_off;
	c.ptrs = mmap(NULL, c.hdr->n * sizeof(*c.ptrs), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.perm = mmap(NULL, c.hdr->n * sizeof(*c.perm), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.ptrs == MAP_FAILED || c.perm == MAP_FAILED) {
		out_error("out of memory%s", "");
		return 1;
	}
	zb_pattern_init(c.seed);
	/* let the allocator set itself up before any baseline */
	free(malloc(64));
	printf("ZSPEER note=%s; purge: %s\n",
	       strcmp(c.lib, "-") ? base_name(c.lib) : "glibc malloc",
	       purge(&c));
	zb_progress("peer %s: fill", c.name);
	err |= run_forked(&c, 0);
	zb_progress("peer %s: free 50/75/90%% at random, then %s", c.name,
		    purge(&c));
	err |= run_forked(&c, 50);
	err |= run_forked(&c, 75);
	err |= run_forked(&c, 90);
	fflush(stdout);
	return err ? 1 : 0;
}
