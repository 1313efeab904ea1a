// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/main.c - zsbench: flags, the order of the runs, the exit.
 *
 * The README's main job: one size trace (real compressed pages by default)
 * replayed into zsmalloc (chain 4, 8, 16), zbud, a model of the kernel's
 * zsmalloc and zbud, and malloc + memcpy under glibc, jemalloc and mimalloc,
 * with density, fragmentation, speed, compaction and end-to-end figures for
 * each.  --scale replaces those runs with one pool per size, to see how the
 * costs grow; --trace-only stops after the trace; --suite runs the usual
 * measurement on three traces in turn and judges zs's targets across them
 * (suite.c).  Inputs are checked before anything long starts; bad input
 * gives a message and exit status 2, a failed measurement or a data
 * mismatch exit status 1.  Under `bazel run` relative paths are taken from
 * the directory bazel was started in ($BUILD_WORKING_DIRECTORY).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/zsbench/zsbench.h"

#define DEFAULT_OBJECTS 100000
#define QUICK_OBJECTS 3000
#define MAX_ROOTS 64
#define DONOR_MIB 64
#define QUICK_DONOR_MIB 8
/* --suite's smaller /usr trace; quick: both real traces and the donor's
 * cap shrink so the test runs the suite in seconds */
#define SUITE_SMALL_OBJECTS 20000
#define QUICK_SUITE_SMALL_OBJECTS 1000
#define MAX_SCALE 50000000

static const size_t default_scale[] = { 10000, 30000, 100000, 300000, 1000000 };
static const size_t quick_scale[] = { 1000, 3000, 10000 };

static const char *const default_roots[] = { "/usr/lib", "/usr/bin",
					     "/usr/share" };

/* Paths copied from the command line, freed at exit on every path out. */
static char *owned[3 * MAX_ROOTS];
static int nowned;

static void free_owned(void)
{
	while (nowned > 0)
		free(owned[--nowned]);
}

static char *keep(char *p)
{
	if (p && nowned < 3 * MAX_ROOTS)
		owned[nowned++] = p;
	return p;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: zsbench [options]\n"
		"  --trace=real|synthetic-694|synthetic-1340|synthetic-1636|uniform|anon-donor\n"
		"                     size trace (default real: 4 KiB pages of /usr/lib,\n"
		"                     /usr/bin and /usr/share, compressed; anon-donor:\n"
		"                     the anonymous pages of a donor process built from\n"
		"                     --seed, the same every run)\n"
		"  --pid=PID          the trace is the private anonymous pages of this\n"
		"                     running process (heap, stack, unnamed mappings;\n"
		"                     same-filled pages skipped as zram does)\n"
		"  --donor=PATH       the donor program (default: zsbench_anon_donor next\n"
		"                     to zsbench); implies --trace=anon-donor\n"
		"  --donor-mib=N      the donor's heap in MiB (default %d, quick %d)\n"
		"  --compressor=lz4|zstd   for real and anon traces and end to end (default lz4)\n"
		"  --objects=N        pages / objects in the trace (default %d, quick %d;\n"
		"                     with --pid and the donor, at most this many)\n"
		"  --scale[=N,N,...]  instead of the usual runs: one zsmalloc pool and the\n"
		"                     kernel model per size, the trace resampled to it\n"
		"                     (default 10000,30000,100000,300000,1000000; quick\n"
		"                     1000,3000,10000); a table and scale.csv\n"
		"  --trace-only       build the trace, print its summary, write trace.csv\n"
		"  --suite            the usual runs on three traces in turn: /usr pages\n"
		"                     at %d and at %d objects (each its own evenly\n"
		"                     spaced sample of /usr, or of --files) and the\n"
		"                     donor's anonymous pages (--seed, --donor-mib);\n"
		"                     each trace's tables, then TARGETS across traces;\n"
		"                     each trace's files in a subdirectory of --out,\n"
		"                     targets.csv in --out (quick: %d, %d, the donor\n"
		"                     capped at %d)\n"
		"  --threads=N        the multi-threaded column (default 2)\n"
		"  --seed=N           synthetic sizes, the donor's heap, random frees,\n"
		"                     orders (default 1)\n"
		"  --files=PATH[,PATH...]  read pages from these files and directories\n"
		"                     instead of /usr (repeatable; implies --trace=real)\n"
		"  --out=DIR          CSV, SVG and text output (default zsbench-out)\n"
		"  --peers=LIST       glibc,jemalloc,mimalloc (default), tcmalloc,\n"
		"                     NAME=/path/lib.so, or none\n"
		"  --quick            a small run (seconds), for tests\n"
		"  --help\n",
		DONOR_MIB, QUICK_DONOR_MIB, DEFAULT_OBJECTS, QUICK_OBJECTS,
		DEFAULT_OBJECTS, SUITE_SMALL_OBJECTS, QUICK_OBJECTS,
		QUICK_SUITE_SMALL_OBJECTS, QUICK_OBJECTS);
}

static int parse_u64(const char *flag, const char *s, uint64_t max,
		     uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "zsbench: %s: '%s' is not a number in 0..%llu\n", flag,
		s, (unsigned long long)max);
	return -EINVAL;
}

/* --scale=N,N,...: each 1..MAX_SCALE, at most 16. */
static int parse_scale(const char *list, struct zb_config *cfg)
{
	char buf[512], *save = NULL, *tok;
	uint64_t v;

	if (!*list || strlen(list) >= sizeof(buf)) {
		fprintf(stderr, "zsbench: --scale: give sizes as N,N,...\n");
		return -EINVAL;
	}
	strcpy(buf, list);
	cfg->nscale = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (parse_u64("--scale", tok, MAX_SCALE, &v))
			return -EINVAL;
		if (v == 0) {
			fprintf(stderr,
				"zsbench: --scale: a size must be at least 1\n");
			return -EINVAL;
		}
		if (cfg->nscale == 16) {
			fprintf(stderr, "zsbench: --scale: at most 16 sizes\n");
			return -EINVAL;
		}
		cfg->scale[cfg->nscale++] = (size_t)v;
	}
	if (!cfg->nscale) {
		fprintf(stderr, "zsbench: --scale: give sizes as N,N,...\n");
		return -EINVAL;
	}
	return 0;
}

/* Relative paths are relative to where the user ran bazel from. */
static char *user_path(const char *p)
{
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	char *out;

	if (p[0] == '/' || !wd || !*wd)
		return strdup(p);
	if (asprintf(&out, "%s/%s", wd, p) < 0)
		return NULL;
	return out;
}

static int mkdir_p(const char *dir)
{
	char buf[4096];
	size_t i, len = strlen(dir);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	{
		struct stat st;

		if (stat(dir, &st) || !S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return access(dir, W_OK) ? -errno : 0;
}

/* A sanitizer runtime owns malloc, so LD_PRELOAD'ed peers cannot replace
 * it: sanitizer builds skip the peers unless --peers names them. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ZB_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define ZB_SANITIZED 1
#endif
#endif
#ifdef ZB_SANITIZED
#define DEFAULT_PEERS "none"
#else
#define DEFAULT_PEERS "glibc,jemalloc,mimalloc"
#endif

/* Builds the trace cfg->topts asks for; 0, or the exit status. */
static int build_trace(const struct zb_config *cfg, struct zb_trace *t)
{
	const struct zb_trace_opts *o = &cfg->topts;
	int err;

	zb_progress("trace %s, %zu objects%s", zb_trace_name(o->kind),
		    o->objects,
		    o->kind == ZB_TRACE_REAL || o->kind == ZB_TRACE_ANON ?
			    (o->comp == ZB_ZSTD ? ", zstd -1" : ", lz4") :
			    "");
	err = zb_trace_build(o, t);
	if (err)
		return err == -ENOMEM ? 1 : 2;
	zb_progress("trace: %zu objects, mean %.0f B, sd %.0f B", t->n, t->mean,
		    t->sd);
	return 0;
}

/* Every system on the trace, tables on stdout and files in cfg->out_dir;
 * r->errors counts what went wrong.  t0: when the trace was started. */
static void measure(const struct zb_config *cfg, const struct zb_trace *t,
		    struct zb_results *r, uint64_t t0)
{
	zb_kernel_rows(cfg, t, r);
	zb_zs_runs(cfg, t, r);
	zb_peers_run(cfg, t, r);

	zb_report_stdout(cfg, t, r, (double)(zb_now_ns() - t0) / 1e9);
	if (zb_report_files(cfg, t, r)) {
		fprintf(stderr,
			"zsbench: could not write every output file to %s\n",
			cfg->out_dir);
		r->errors++;
	}
	free(r->class_table);
	r->class_table = NULL;
}

/*
 * --suite: the real trace at two sizes and the donor's pages, measured in
 * turn, each into its own subdirectory of out, then the targets across them.
 * The smaller real trace is its own sample, not a prefix of the larger one:
 * pages are taken in runs spread evenly over the sorted walk of /usr, so a
 * prefix would hold only the walk's first fifth (the first files of
 * /usr/lib), another mix of sizes.  Its own sample spreads over all of /usr
 * at the smaller size, and is what `zsbench --objects=N` measures alone.
 */
static int run_suite(struct zb_config *cfg, const char *out)
{
	static struct zb_results rs[ZB_SUITE_MAX];
	struct zb_suite_trace s[ZB_SUITE_MAX];
	const size_t big = cfg->quick ? QUICK_OBJECTS : DEFAULT_OBJECTS;
	const size_t small = cfg->quick ? QUICK_SUITE_SMALL_OBJECTS :
					  SUITE_SMALL_OBJECTS;
	/* the donor's trace is capped at big objects: the heap sets its size */
	const struct {
		enum zb_trace_kind kind;
		size_t objects;
	} spec[ZB_SUITE_MAX] = { { ZB_TRACE_REAL, big },
				 { ZB_TRACE_REAL, small },
				 { ZB_TRACE_ANON, big } };
	int k, err, status = 0;

	memset(s, 0, sizeof(s));
	for (k = 0; k < ZB_SUITE_MAX; k++) {
		struct zb_trace t;
		uint64_t t0 = zb_now_ns();
		char *dir = NULL;

		cfg->topts.kind = spec[k].kind;
		cfg->topts.objects = spec[k].objects;
		if (spec[k].kind == ZB_TRACE_ANON)
			snprintf(s[k].label, sizeof(s[k].label), "anon-donor");
		else
			snprintf(s[k].label, sizeof(s[k].label), "real-%zu",
				 spec[k].objects);
		s[k].r = &rs[k];
		snprintf(s[k].what, sizeof(s[k].what),
			 "not built (see stderr), nothing measured");
		if (asprintf(&dir, "%s/%s", out, s[k].label) < 0)
			return 1;
		cfg->out_dir = keep(dir);
		err = mkdir_p(cfg->out_dir);
		if (err) {
			fprintf(stderr, "zsbench: cannot use %s: %s\n",
				cfg->out_dir, strerror(-err));
			return 2;
		}
		printf("%s=== suite trace %d of %d: %s ===\n", k ? "\n" : "",
		       k + 1, ZB_SUITE_MAX, s[k].label);
		fflush(stdout);
		zb_progress("suite: trace %d of %d, %s", k + 1, ZB_SUITE_MAX,
			    s[k].label);
		err = build_trace(cfg, &t);
		if (err) {
			printf("zsbench: the %s trace could not be built; nothing measured on it\n",
			       s[k].label);
			if (err > status)
				status = err;
			continue;
		}
		s[k].built = 1;
		if (t.kind == ZB_TRACE_ANON)
			snprintf(
				s[k].what, sizeof(s[k].what),
				"the donor's anonymous pages (seed %llu, %u MiB heap), %s: %zu objects, mean %.0f B",
				(unsigned long long)cfg->seed,
				cfg->topts.donor_mib, zb_comp_name(t.comp), t.n,
				t.mean);
		else
			snprintf(
				s[k].what, sizeof(s[k].what),
				"real pages of %s, %s: %zu objects, mean %.0f B, from %zu files",
				cfg->topts.user_roots ? "--files" : "/usr",
				zb_comp_name(t.comp), t.n, t.mean,
				t.files_used);
		measure(cfg, &t, &rs[k], t0);
		if (rs[k].errors && status < 1)
			status = 1;
		zb_trace_free(&t);
	}
	cfg->out_dir = out;
	zb_suite_report(cfg, s, ZB_SUITE_MAX);
	if (zb_suite_files(cfg, s, ZB_SUITE_MAX)) {
		fprintf(stderr, "zsbench: could not write targets.csv to %s\n",
			out);
		if (status < 1)
			status = 1;
	}
	printf("\nfiles written to %s: targets.csv; each trace's in", out);
	for (k = 0; k < ZB_SUITE_MAX; k++)
		printf(" %s/", s[k].label);
	printf("\n");
	return status;
}

int main(int argc, char **argv)
{
	static const char *roots[MAX_ROOTS];
	struct zb_config cfg;
	struct zb_trace t;
	static struct zb_results r;
	const char *peers = DEFAULT_PEERS, *out = "zsbench-out";
	const char *donor = NULL;
	static char donor_default[4096];
	int nroots = 0, objects_set = 0, trace_set = 0, i, err;
	int scale = 0, trace_only = 0, use_donor = 0, mib_set = 0, suite = 0;
	uint64_t v, t0;

	if (argc >= 2 && !strcmp(argv[1], "--peer-child"))
		return zb_peer_child_main(argc, argv);

	atexit(free_owned);
	memset(&cfg, 0, sizeof(cfg));
	cfg.topts.kind = ZB_TRACE_REAL;
	cfg.topts.comp = ZB_LZ4;
	cfg.threads = 2;
	cfg.seed = 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--quick")) {
			cfg.quick = 1;
		} else if (!strncmp(a, "--trace=", 8)) {
			static const char *const names[] = {
				"real", "synthetic-694", "synthetic-1340",
				"synthetic-1636", "uniform"
			};
			int k;

			for (k = 0; k < 5; k++)
				if (!strcmp(a + 8, names[k]))
					break;
			if (!strcmp(a + 8, "anon-donor")) {
				k = ZB_TRACE_ANON;
				use_donor = 1;
			} else if (k == 5) {
				fprintf(stderr,
					"zsbench: --trace: unknown trace '%s' (real, synthetic-694, synthetic-1340, synthetic-1636, uniform, anon-donor)\n",
					a + 8);
				return 2;
			}
			cfg.topts.kind = (enum zb_trace_kind)k;
			trace_set = 1;
		} else if (!strncmp(a, "--pid=", 6)) {
			if (parse_u64("--pid", a + 6, INT32_MAX, &v) ||
			    v == 0) {
				if (v == 0)
					fprintf(stderr,
						"zsbench: --pid: must be a process id (1 and up)\n");
				return 2;
			}
			cfg.topts.pid = (long)v;
		} else if (!strncmp(a, "--donor=", 8)) {
			if (!a[8]) {
				fprintf(stderr,
					"zsbench: --donor: empty path\n");
				return 2;
			}
			donor = keep(user_path(a + 8));
			if (!donor)
				return 2;
			use_donor = 1;
		} else if (!strncmp(a, "--donor-mib=", 12)) {
			if (parse_u64("--donor-mib", a + 12, 65536, &v) ||
			    v == 0) {
				if (v == 0)
					fprintf(stderr,
						"zsbench: --donor-mib: must be 1..65536\n");
				return 2;
			}
			cfg.topts.donor_mib = (unsigned)v;
			mib_set = 1;
		} else if (!strcmp(a, "--scale")) {
			scale = 1;
			cfg.nscale = 0;
		} else if (!strncmp(a, "--scale=", 8)) {
			if (parse_scale(a + 8, &cfg))
				return 2;
			scale = 1;
		} else if (!strcmp(a, "--trace-only")) {
			trace_only = 1;
		} else if (!strcmp(a, "--suite")) {
			suite = 1;
		} else if (!strncmp(a, "--compressor=", 13)) {
			if (!strcmp(a + 13, "lz4")) {
				cfg.topts.comp = ZB_LZ4;
			} else if (!strcmp(a + 13, "zstd")) {
				cfg.topts.comp = ZB_ZSTD;
			} else {
				fprintf(stderr,
					"zsbench: --compressor: unknown compressor '%s' (lz4, zstd)\n",
					a + 13);
				return 2;
			}
		} else if (!strncmp(a, "--objects=", 10)) {
			if (parse_u64("--objects", a + 10, 50000000, &v) ||
			    v == 0) {
				if (v == 0)
					fprintf(stderr,
						"zsbench: --objects: must be at least 1\n");
				return 2;
			}
			cfg.topts.objects = (size_t)v;
			objects_set = 1;
		} else if (!strncmp(a, "--threads=", 10)) {
			if (parse_u64("--threads", a + 10, 64, &v) || v == 0) {
				if (v == 0)
					fprintf(stderr,
						"zsbench: --threads: must be 1..64\n");
				return 2;
			}
			cfg.threads = (int)v;
		} else if (!strncmp(a, "--seed=", 7)) {
			if (parse_u64("--seed", a + 7, UINT64_MAX, &v))
				return 2;
			cfg.seed = v;
		} else if (!strncmp(a, "--files=", 8)) {
			char *list = keep(strdup(a + 8)), *save = NULL, *tok;

			if (!list)
				return 2;
			if (!list[0]) {
				fprintf(stderr,
					"zsbench: --files: empty path\n");
				return 2;
			}
			for (tok = strtok_r(list, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (nroots == MAX_ROOTS) {
					fprintf(stderr,
						"zsbench: --files: at most %d paths\n",
						MAX_ROOTS);
					return 2;
				}
				roots[nroots] = keep(user_path(tok));
				if (!roots[nroots])
					return 2;
				nroots++;
			}
		} else if (!strncmp(a, "--out=", 6)) {
			if (!a[6]) {
				fprintf(stderr, "zsbench: --out: empty path\n");
				return 2;
			}
			out = a + 6;
		} else if (!strncmp(a, "--peers=", 8)) {
			peers = a + 8;
		} else {
			fprintf(stderr, "zsbench: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (suite) {
		const char *other = trace_set	  ? "--trace" :
				    cfg.topts.pid ? "--pid" :
				    objects_set	  ? "--objects" :
				    scale	  ? "--scale" :
				    trace_only	  ? "--trace-only" :
						    NULL;

		if (other) {
			fprintf(stderr,
				"zsbench: --suite sets its own traces; it cannot go with %s\n",
				other);
			return 2;
		}
		/* the third trace is the donor's; --files only replaces /usr */
		use_donor = 1;
	} else if (nroots && trace_set && cfg.topts.kind != ZB_TRACE_REAL) {
		fprintf(stderr,
			"zsbench: --files reads real pages; it cannot go with --trace=%s\n",
			use_donor ? "anon-donor" :
				    zb_trace_name(cfg.topts.kind));
		return 2;
	}
	if (cfg.topts.pid && (nroots || use_donor ||
			      (trace_set && cfg.topts.kind != ZB_TRACE_ANON))) {
		fprintf(stderr,
			"zsbench: --pid reads a process's pages; it cannot go with --files, --trace or --donor\n");
		return 2;
	}
	if (use_donor && nroots && !suite) {
		fprintf(stderr,
			"zsbench: the donor's pages are the trace; --donor and --trace=anon-donor cannot go with --files\n");
		return 2;
	}
	if (use_donor && trace_set && cfg.topts.kind != ZB_TRACE_ANON) {
		fprintf(stderr, "zsbench: --donor cannot go with --trace=%s\n",
			zb_trace_name(cfg.topts.kind));
		return 2;
	}
	if (mib_set && !use_donor) {
		fprintf(stderr,
			"zsbench: --donor-mib sizes the donor: it needs --trace=anon-donor or --donor\n");
		return 2;
	}
	if (scale && trace_only) {
		fprintf(stderr,
			"zsbench: --scale and --trace-only cannot go together\n");
		return 2;
	}
	if (cfg.topts.pid || use_donor)
		cfg.topts.kind = ZB_TRACE_ANON;
	if (use_donor) {
		if (!donor) {
			if (zb_donor_path(donor_default,
					  sizeof(donor_default))) {
				fprintf(stderr,
					"zsbench: cannot find where zsbench is to find the donor: give --donor=PATH\n");
				return 2;
			}
			donor = donor_default;
		}
		cfg.topts.donor = donor;
		if (!mib_set)
			cfg.topts.donor_mib = cfg.quick ? QUICK_DONOR_MIB :
							  DONOR_MIB;
	}
	if (scale && !cfg.nscale) {
		const size_t *l = cfg.quick ? quick_scale : default_scale;
		size_t n = cfg.quick ? sizeof(quick_scale) / sizeof(*l) :
				       sizeof(default_scale) / sizeof(*l);

		memcpy(cfg.scale, l, n * sizeof(*l));
		cfg.nscale = (int)n;
	}
#ifdef ZB_SANITIZED
	if (!strcmp(peers, DEFAULT_PEERS))
		fputs("zsbench: sanitizer build: malloc peers skipped (the "
		      "sanitizer owns malloc; name them with --peers to try)\n",
		      stderr);
#endif
	if (zb_peers_parse(peers, &cfg))
		return 2;
	if (!objects_set)
		cfg.topts.objects = cfg.quick ? QUICK_OBJECTS : DEFAULT_OBJECTS;
	if (nroots) {
		cfg.topts.roots = roots;
		cfg.topts.nroots = nroots;
		cfg.topts.user_roots = 1;
	} else {
		cfg.topts.roots = (const char **)default_roots;
		cfg.topts.nroots = 3;
	}
	cfg.topts.seed = cfg.seed;
	cfg.topts.raw_pages = cfg.quick ? 500 : 20000;
	cfg.pair_ops = cfg.quick ? 20000 : 500000;
	cfg.access_ops = cfg.quick ? 10000 : 100000;
	cfg.reps = cfg.quick ? 1 : 3;
	cfg.out_dir = keep(user_path(out));
	if (!cfg.out_dir)
		return 2;
	err = mkdir_p(cfg.out_dir);
	if (err) {
		fprintf(stderr,
			"zsbench: --out: cannot use %s as output directory: %s\n",
			cfg.out_dir, strerror(-err));
		return 2;
	}

	t0 = zb_now_ns();
	zb_pattern_init(cfg.seed);
	if (suite)
		return run_suite(&cfg, cfg.out_dir);
	err = build_trace(&cfg, &t);
	if (err)
		return err;
	if (trace_only || scale) {
		printf("zsbench: %s\n", t.desc);
		zb_trace_summary(stdout, &t);
		if (trace_only) {
			err = zb_trace_write(&cfg, &t);
			if (err)
				fprintf(stderr,
					"zsbench: could not write trace.csv to %s\n",
					cfg.out_dir);
			else
				printf("\nfiles written to %s: trace.csv\n",
				       cfg.out_dir);
		} else {
			err = zb_scale_run(&cfg, &t);
		}
		zb_trace_free(&t);
		return err ? 1 : 0;
	}

	measure(&cfg, &t, &r, t0);
	zb_trace_free(&t);
	return r.errors ? 1 : 0;
}
