// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zs_ops.c - the zsmalloc target: its op table, its
 * state, and the checks fuzz/common/fuzz_interp.c runs around every op.
 *
 * Each op is one small function reading its own arguments from the cursor
 * and checking every result against the API contract (zs/zsmalloc.h) and
 * the shadow model (fuzz/common/fuzz_model.h).  After every op the
 * statistics are cross-checked against the model; every ZS_CHECK_EVERY
 * ops, and after every move (compaction, shrinking, arena compaction, an
 * allocation failure), zs_pool_check runs and all live objects are read
 * back.  At the end everything is freed and the pool must hold no page.
 *
 * Between ops nothing is mapped or being read: every op releases what it
 * took, so the pool is quiescent whenever the model is compared with it.
 *
 * The ops live in files by subject (fuzz/zsmalloc_fuzz/zs_fuzz.h lists
 * them).  Adding an op: write `void zsf_op_x(void *state, struct
 * fuzz_cursor *c)` (starting `struct zs_fuzz *f = state;`) in the file of
 * its subject, or in a file of its own in this directory (every .c file
 * here is part of the target), declare it in zs_fuzz.h, give it a free
 * opcode there and a row in zs_op_table below.
 */
#include <stdbool.h>
#include <stdio.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/zsmalloc.h"

#define ZS_CHECK_EVERY 16

static struct zs_fuzz F;

/* A death test in a forked child (fuzz/zsmalloc_fuzz/zs_fatal.c).  fork needs a
 * single-threaded process, which the interpreter is between ops. */
static void op_fatal(void *state, struct fuzz_cursor *c)
{
	struct zs_fuzz *f = state;
	uint8_t kind;
	uint16_t arg;
	const char *ran;

	if (!fc_u8(c, &kind) || !fc_u16(c, &arg))
		return;
	ran = zs_fuzz_fatal(f->pool, &f->m, kind, arg);
	fm_trace("  fatal: %s\n", ran ? ran : "(not applicable)");
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void zs_begin(void *state, uint8_t cfg)
{
	struct zs_fuzz *f = state;

	if (!f->sink) {
		f->sink = fopen("/dev/null", "w");
		if (!f->sink)
			fm_fail("cannot open /dev/null");
	}
	fm_reset(&f->m);
	f->arena = NULL;
	f->own_id = -1;
	f->verify_pending = false;
	f->verify_turn = 0;
	/* The default arena outlives inputs: no failure may carry over. */
	zs_arena_inject_failures(zs_arena_default(), 0, 0);
	zs_inject_host_failures(0, 0);
	f->host_injecting = false;
	zsf_pool_open(f, cfg, 0);
}

static void zs_after_op(void *state, bool periodic)
{
	struct zs_fuzz *f = state;

	zsf_check_stats(f);
	if (f->verify_pending) {
		zsf_verify_all(f);
		f->verify_pending = false;
	}
	if (periodic)
		zsf_pool_check(f, "(periodic)");
}

static void zs_end(void *state)
{
	struct zs_fuzz *f = state;

	zs_pool_inject_failures(f->pool, 0, 0);
	zs_arena_inject_failures(zsf_arena_of(f), 0, 0);
	zsf_verify_all(f);
	zsf_pool_check(f, "at the end");
	zsf_pool_close(f, true);
	zs_arena_inject_failures(zs_arena_default(), 0, 0);
}

static void zs_describe(void *state, char *buf, size_t size)
{
	struct zs_fuzz *f = state;

	snprintf(buf, size, "live %u, %llu bytes, %lu pages", f->m.nlive,
		 (unsigned long long)f->m.bytes, zs_get_total_pages(f->pool));
}

static const struct fm_op zs_op_table[ZS_OP_SLOTS] = {
	[ZS_OP_ALLOC] = { "alloc", zsf_op_alloc },
	[ZS_OP_FREE] = { "free", zsf_op_free },
	[ZS_OP_WRITE_WO] = { "write_wo", zsf_op_write_wo },
	[ZS_OP_WRITE_RW] = { "write_rw", zsf_op_write_rw },
	[ZS_OP_WRITE_OBJ] = { "write_obj", zsf_op_write_obj },
	[ZS_OP_READ_RO] = { "read_ro", zsf_op_read_ro },
	[ZS_OP_READ_RW] = { "read_rw", zsf_op_read_rw },
	[ZS_OP_READ_BEGIN] = { "read_begin", zsf_op_read_begin },
	[ZS_OP_NESTED] = { "nested", zsf_op_nested },
	[ZS_OP_COMPACT] = { "compact", zsf_op_compact },
	[ZS_OP_SHRINK] = { "shrink", zsf_op_shrink },
	[ZS_OP_STATS] = { "stats", zsf_op_stats },
	[ZS_OP_CHECK] = { "check", zsf_op_check },
	[ZS_OP_MISUSE] = { "misuse", zsf_op_misuse },
	[ZS_OP_INJECT] = { "inject", zsf_op_inject },
	[ZS_OP_MAX_PAGES] = { "max_pages", zsf_op_max_pages },
	[ZS_OP_RECREATE] = { "recreate", zsf_op_recreate },
	[ZS_OP_ARENA_COMPACT] = { "arena_compact", zsf_op_arena_compact },
	[ZS_OP_FILL] = { "fill", zsf_op_fill },
	[ZS_OP_FREE_MANY] = { "free_many", zsf_op_free_many },
	[ZS_OP_VERIFY_ALL] = { "verify_all", zsf_op_verify_all },
	[ZS_OP_DRAIN] = { "drain", zsf_op_drain },
	[ZS_OP_RACE] = { "race", zsf_op_race },
	[ZS_OP_PRESSURE] = { "pressure", zsf_op_pressure },
	[ZS_OP_ARENA_PAGES] = { "arena_pages", zsf_op_arena_pages },
	[ZS_OP_CORRUPT] = { "corrupt", zsf_op_corrupt },
	[ZS_OP_HOST_FAULT] = { "host_fault", zsf_op_host_fault },
	[ZS_OP_PAGE_OPS] = { "page_ops", zsf_op_page_ops },
	[ZS_OP_FATAL] = { "fatal", op_fatal },
	[ZS_OP_FORGE] = { "forge", zsf_op_forge },
};

const struct fm_target zs_fuzz_target =
	FM_TARGET("zsmalloc", &F, zs_op_table, ZS_CHECK_EVERY, zs_begin,
		  zs_after_op, zs_end, zs_describe);
