/* SPDX-License-Identifier: MIT */
/*
 * tools/zsbench/zsbench.h - shared declarations of the zsbench tool.
 *
 * zsbench replays one size trace (compressed 4 KiB pages) into zsmalloc,
 * zbud, a model of the kernel's allocators and malloc peers, and reports
 * density, fragmentation, speed, compaction and end-to-end figures for every
 * one of them.  Every measured value lands in a result row indexed by the
 * metric table below, so the table, the CSV and the charts stay in step and
 * the peer child can report by metric name.
 */
#ifndef ZSBENCH_H
#define ZSBENCH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZB_PAGE 4096u

/* The chain whose row the targets judge and whose pool the stall, waste
 * breakdown, mm_stat and class table are taken from: the library's
 * default (ZS_DEFAULT_CHAIN in zs/zs_internal.h, which users get with
 * chain_size 0).  ZB_ZS_ROW is that row's name, ZB_CN its short form. */
#define ZB_CHAIN 16
#define ZB_STR_(x) #x
#define ZB_STR(x) ZB_STR_(x)
#define ZB_ZS_ROW "zsmalloc-c" ZB_STR(ZB_CHAIN)
#define ZB_CN "c" ZB_STR(ZB_CHAIN)

/* --- the trace --- */

enum zb_trace_kind {
	ZB_TRACE_REAL,
	ZB_TRACE_SYN694,
	ZB_TRACE_SYN1340,
	ZB_TRACE_SYN1636,
	ZB_TRACE_UNIFORM,
	ZB_TRACE_ANON, /* a process's anonymous pages (--pid, the donor) */
};

enum zb_compressor {
	ZB_LZ4,
	ZB_ZSTD,
};

struct zb_trace {
	enum zb_trace_kind kind;
	enum zb_compressor comp;
	uint32_t *sizes; /* compressed size of each stored page, 1..4096 */
	size_t n;
	uint8_t *raw; /* nraw uncompressed pages for the end-to-end test */
	size_t nraw;
	uint64_t total; /* sum of sizes */
	double mean, sd;
	size_t files_used; /* files pages were taken from */
	size_t files_seen; /* regular files found by the walk */
	size_t files_skipped; /* unreadable, vanished or short */
	size_t same_pages; /* same-filled pages zram would not store */
	size_t huge_pages; /* pages that did not compress (size 4096) */
	/* anon traces: the process and what was found in it */
	long pid;
	int donor; /* the pid was the donor's, started for this trace */
	size_t anon_mappings; /* private anonymous mappings */
	uint64_t anon_vm_pages; /* their size */
	uint64_t anon_present; /* present or swapped out */
	uint64_t anon_read; /* pages read (before the same-filled test) */
	uint64_t anon_unreadable;
	int anon_pagemap; /* present pages known from pagemap */
	char desc[512];
};

/* Options the trace builder needs. */
struct zb_trace_opts {
	enum zb_trace_kind kind;
	enum zb_compressor comp;
	size_t objects;
	size_t raw_pages; /* how many raw pages to keep for end to end */
	uint64_t seed;
	const char **roots; /* files or directories to read (real trace) */
	int nroots;
	int user_roots; /* roots came from --files: be strict about them */
	long pid; /* anon trace: the process to read, or 0 for the donor */
	const char *donor; /* anon trace: the donor program to start */
	unsigned donor_mib; /* the donor's heap */
};

struct zb_config;

int zb_trace_build(const struct zb_trace_opts *o, struct zb_trace *t);
void zb_trace_free(struct zb_trace *t);
/* One line with every count that makes up the trace and nothing that
 * changes from run to run (no pid, no time): equal lines, equal traces. */
void zb_trace_summary(FILE *f, const struct zb_trace *t);
/* The trace, one object size per line, to trace.csv under --out. */
int zb_trace_write(const struct zb_config *cfg, const struct zb_trace *t);
const char *zb_trace_name(enum zb_trace_kind k);
const char *zb_comp_name(enum zb_compressor c);
/* Compresses one 4 KiB page into dst (dst_cap bytes); returns the size, or
 * 0 on failure.  One context per thread: ctx from zb_comp_ctx_new(). */
void *zb_comp_ctx_new(enum zb_compressor c);
void zb_comp_ctx_free(enum zb_compressor c, void *ctx);
size_t zb_comp_bound(void);
size_t zb_compress(enum zb_compressor c, void *ctx, const void *page, void *dst,
		   size_t dst_cap);
/* Decompresses src (len bytes) into a 4 KiB page; 0 or -1. */
int zb_decompress(enum zb_compressor c, void *ctx, const void *src, size_t len,
		  void *page);

/* --- anonymous memory of a running process (anon.c) --- */

struct zb_anon_stats {
	long pid;
	size_t mappings;
	uint64_t vm_pages;
	uint64_t present;
	uint64_t read;
	uint64_t unreadable;
	int pagemap;
};

/* An address range [start, end) of another process. */
struct zb_range {
	uint64_t start, end;
};

#define ZB_MAX_RANGES 32

/* take() gets each page read and returns 1 when it wants no more. */
typedef int (*zb_page_fn)(void *arg, const uint8_t *page);
/* Reads up to about want pages (more when take() keeps asking) of pid's
 * private anonymous memory, only what lies in the nonly ranges of only
 * when nonly > 0; 0, or -errno after a message on stderr. */
int zb_anon_read(long pid, const struct zb_range *only, size_t nonly,
		 size_t want, zb_page_fn take, void *arg,
		 struct zb_anon_stats *st);
/* Where the donor is by default: next to this program. */
int zb_donor_path(char *out, size_t len);
/* Starts the donor and waits until its heap is built; *pid is its pid,
 * r[0..*nr) the ranges its heap is in. */
int zb_donor_start(const char *path, uint64_t seed, unsigned mib, long *pid,
		   struct zb_range *r, size_t *nr);
void zb_donor_stop(long pid);

/* --- metrics and result rows (report.c's table says what each means) --- */

/* Utilization: after the frees (before), after compaction (after, pool
 * pages), after compaction + arena compaction + trim (RSS).  Compaction:
 * pages freed, objects moved per page freed, call ms, longest reader stall
 * in us.  Speed: ns per op with 1 and --threads threads.  End to end:
 * pages per second. */
enum zb_metric {
	M_PAGES,
	M_DENS_PAGES,
	M_DENS_ALLIN,
	M_DENS_RSS,
	M_META, /* metadata bytes per object, the all-in figure's extra */
	M_UB50,
	M_UA50,
	M_UR50,
	M_UB75,
	M_UA75,
	M_UR75,
	M_UB90,
	M_UA90,
	M_UR90,
	M_CF50,
	M_CM50,
	M_CMS50,
	M_ST50,
	M_CF75,
	M_CM75,
	M_CMS75,
	M_ST75,
	M_CF90,
	M_CM90,
	M_CMS90,
	M_ST90,
	M_STBASE,
	M_STRAW75,
	M_AM75,
	/* the reader during freeing 75%, zs_compact and zs_arena_compact */
	M_SWOPS,
	M_SWFREE,
	M_SWARENA,
	M_SWMAX,
	M_SWP999,
	M_SWRAW,
	/* one map and one read of every object after the fill */
	M_ACC_N,
	M_ACC_MAPCOPY,
	M_ACC_READCOPY,
	M_ACC_CROSS, /* share of objects crossing a 4 KiB page boundary */
	M_AF1, /* alloc + free pair */
	M_AFM,
	/* pages held after the 1t alloc + free rings over those before:
	 * what churn keeps until a compaction (zs and zbud rows) */
	M_AF_HELD,
	M_MS1, /* map + unmap (RO), object spanning two pages */
	M_MSM,
	M_MN1, /* map + unmap (RO), object within one page */
	M_MNM,
	M_RD1, /* obj_read_begin + obj_read_end */
	M_RDM,
	M_RX1, /* obj_read_begin + obj_read_end, page-crossing objects */
	M_RXM,
	M_RI1, /* the same, objects within one page */
	M_RIM,
	M_MAPRATIO, /* map crossing / map in-page, one thread */
	M_READRATIO, /* read crossing / read in-page, one thread */
	M_WR1, /* obj_write of the whole object */
	M_WRM,
	M_CPY, /* plain memcpy of the straddling objects */
	M_ST1, /* end to end store: compress + alloc + write */
	M_STM,
	M_LD1, /* end to end load: read + decompress */
	M_LDM,
	M_ERRORS,
	ZB_NMETRICS
};

struct zb_metric_desc {
	const char *csv; /* column name, also the peer protocol key */
	const char *what; /* one-line description for the CSV legend */
};

extern const struct zb_metric_desc zb_metrics[ZB_NMETRICS];
int zb_metric_by_name(const char *name);

#define ZB_MAX_ROWS 32

struct zb_row {
	char name[40];
	char family[16]; /* floor, kernel, zsmalloc, zbud, malloc, memcpy */
	double v[ZB_NMETRICS]; /* NAN = not applicable / not measured */
	char note[160];
};

struct zb_results {
	struct zb_row rows[ZB_MAX_ROWS];
	int nrows;
	char *class_table; /* zs_pool_print_classes of the default pool */
	char mm_stat_fill[256];
	char mm_stat_after[256];
	char compact_note[256];
	char waste[2][256]; /* where the bytes above the floor go, ZB_CHAIN */
	int errors; /* anything that should make the exit non-zero */
};

struct zb_row *zb_row_add(struct zb_results *r, const char *name,
			  const char *family);
struct zb_row *zb_row_find(struct zb_results *r, const char *name);
/* v with prec decimals, in one of 16 rotating buffers (so one printf may
 * format up to 16 values); "-" when v is NaN (not measured). */
const char *zb_fmt(double v, int prec);

/* A measured value against its target: ZB_MET, ZB_SHORT, or ZB_UNMEASURED
 * when either is NaN.  lower: the target is a ceiling, else a floor; a
 * target of 0 is a count that must be zero. */
enum zb_verdict {
	ZB_UNMEASURED,
	ZB_MET,
	ZB_SHORT,
};

enum zb_verdict zb_judge(double got, double target, int lower);

/* --- run configuration --- */

#define ZB_MAX_PEERS 8

struct zb_peer {
	char name[32];
	char lib[512]; /* "" for glibc: no preload */
};

struct zb_config {
	struct zb_trace_opts topts;
	int threads; /* the multi-threaded column */
	uint64_t seed;
	int quick;
	const char *out_dir;
	struct zb_peer peers[ZB_MAX_PEERS];
	int npeers;
	size_t pair_ops; /* alloc + free pairs per thread */
	size_t access_ops; /* map / read / write ops per thread */
	int reps; /* repetitions of each speed loop (best kept) */
	size_t scale[16]; /* --scale: pool sizes, in objects */
	int nscale;
};

/* --- the kernel model --- */

struct zb_kclass {
	unsigned size; /* slot size */
	unsigned pages; /* pages per zspage */
	unsigned objs; /* objects per zspage */
	int huge;
};

struct zb_kmodel {
	unsigned chain_max;
	unsigned nclasses; /* distinct classes after merging */
	unsigned huge_threshold; /* sizes at or above it take a page alone */
	struct zb_kclass *cls[256]; /* by class index, merged share */
	struct zb_kclass store[256];
};

void zb_kmodel_init(struct zb_kmodel *m, unsigned chain_max);
/* The class for a user size (the handle word is added inside). */
const struct zb_kclass *zb_kmodel_class(const struct zb_kmodel *m, size_t size);
void zb_kernel_rows(const struct zb_config *cfg, const struct zb_trace *t,
		    struct zb_results *r);
/* Splits pages * 4096 - stored into slot rounding (handle word included),
 * the unused ends of one-object pages, and the rest (zspage tails, free
 * slots); slot_of(size) gives the slot, huge_from the one-page threshold. */
void zb_waste_line(char *out, size_t len, const char *name,
		   const struct zb_trace *t, double pages,
		   size_t (*slot_of)(const void *ctx, size_t size),
		   const void *ctx, size_t huge_from);

/* The kernel zsmalloc model alone, one chain size: its row in r. */
void zb_kernel_zs_row(const struct zb_config *cfg, const struct zb_trace *t,
		      unsigned chain, struct zb_results *r);

/* --- zsmalloc and zbud runs --- */

void zb_zs_runs(const struct zb_config *cfg, const struct zb_trace *t,
		struct zb_results *r);

/* --- malloc peers --- */

int zb_peers_parse(const char *list, struct zb_config *cfg);
int zb_peers_run(const struct zb_config *cfg, const struct zb_trace *t,
		 struct zb_results *r);
int zb_peer_child_main(int argc, char **argv);

/* --- the scale run (scale.c): one pool per size in cfg->scale --- */

int zb_scale_run(const struct zb_config *cfg, const struct zb_trace *base);

/* --- output --- */

void zb_report_stdout(const struct zb_config *cfg, const struct zb_trace *t,
		      struct zb_results *r, double elapsed_s);
int zb_report_files(const struct zb_config *cfg, const struct zb_trace *t,
		    struct zb_results *r);
/* s as one quoted CSV field (quotes doubled). */
void zb_csv_field(FILE *f, const char *s);

/* --- the suite (suite.c): several traces in one run, targets across them --- */

#define ZB_SUITE_MAX 3

struct zb_suite_trace {
	char label[32]; /* column heading and subdirectory of --out */
	char what[128]; /* the trace in a few words, for the legend */
	int built; /* 0: the trace could not be built, nothing measured */
	struct zb_results *r;
};

/* TARGETS across traces on stdout: ZB_ZS_ROW per trace against each
 * target, then the malloc peers' values the relative targets use. */
void zb_suite_report(const struct zb_config *cfg,
		     const struct zb_suite_trace *s, int n);
/* The same table as targets.csv in cfg->out_dir; 0 or -1. */
int zb_suite_files(const struct zb_config *cfg, const struct zb_suite_trace *s,
		   int n);

/* --- measuring helpers (measure.c) --- */

uint64_t zb_now_ns(void);
/* CPU time of the calling thread: speed loops are timed by it, so other
 * processes sharing the machine's cores do not show up as slowness. */
uint64_t zb_thread_cpu_ns(void);
long zb_rss_bytes(void);
void zb_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void zb_progress_base(uint64_t wall0);
uint64_t zb_progress_wall0(void);

struct zb_rng {
	uint64_t s[4];
};

void zb_rng_seed(struct zb_rng *r, uint64_t seed);
uint64_t zb_rng_next(struct zb_rng *r);
double zb_rng_unit(struct zb_rng *r); /* [0, 1) */
double zb_rng_normal(struct zb_rng *r); /* N(0, 1) */
/* A permutation of 0..n-1 the same in every process for (seed, salt). */
void zb_shuffle(uint32_t *perm, size_t n, uint64_t seed, uint64_t salt);

/* The bytes object i holds: pattern + zb_pattern_off(i), size bytes. */
extern uint8_t zb_pattern[2 * ZB_PAGE];
void zb_pattern_init(uint64_t seed);
static inline size_t zb_pattern_off(size_t i)
{
	return (i * 2654435761u) % ZB_PAGE;
}

/* Runs fn(arg_i) on n threads started together; returns 0 or -errno. */
typedef void (*zb_thread_fn)(void *arg);
int zb_run_threads(int n, zb_thread_fn fn, void *args, size_t arg_size);

/* Writes a whole buffer to a file under the output directory. */
FILE *zb_out_open(const struct zb_config *cfg, const char *name);

#endif /* ZSBENCH_H */
