// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_ops.c - the zbud target: its op table, its state, the
 * pool's life, and the checks fuzz/common/fuzz_interp.c runs around every
 * op.
 *
 * Each op is one small function reading its own arguments from the cursor
 * and checking every result against zs/zbud.h and the shadow model
 * (fuzz/common/fuzz_model.h) plus the page model (zbud_model.c).  Between
 * ops nothing is mapped.  zbud_pool_check, with zs_arena_check of the
 * private arena, runs every ZB_CHECK_EVERY ops, after every move and at the
 * end; at the end everything is freed, the pool holds no page and the
 * private arena none in use.
 *
 * The ops live in files by subject (zbud_fuzz.h lists them).  Adding an
 * op: write `void zbf_op_x(void *state, struct fuzz_cursor *c)` (starting
 * `struct zb_fuzz *f = state;`) in the file of its subject, or in a file
 * of its own in this directory (every .c file here is part of the
 * target), declare it in zbud_fuzz.h, give it a free opcode there and a
 * row in zb_op_table below.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/zbud.h"

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"

#define ZB_CHECK_EVERY 16

static struct zb_fuzz F;

static const struct zbud_ops evict_ops = { .evict = zbf_evict };

static void pool_open(struct zb_fuzz *f, uint8_t cfg)
{
	f->arena = zs_arena_create();
	if (!f->arena)
		fm_fail("zs_arena_create failed, errno %d", errno);
	f->has_evict = !(cfg & 1);
	f->pool = zbud_create_pool_arena(f->has_evict ? &evict_ops : NULL,
					 f->arena);
	if (!f->pool)
		fm_fail("zbud_create_pool_arena failed, errno %d", errno);
	f->injecting = false;
	f->host_armed = false;
	f->npages = 0;
	f->nheld = 0;
	f->iso_page = 0;
	f->iso_extra = 0;
	if (pool_pages(f))
		fm_fail("a new pool holds %" PRIu64 " pages", pool_pages(f));
}

static void drain(struct zb_fuzz *f)
{
	while (f->m.nlive)
		zbf_do_free(f, &f->m.obj[0]);
	if (pool_pages(f) || f->npages)
		fm_fail("an emptied pool holds %" PRIu64 " pages",
			pool_pages(f));
	zbf_full_check(f, "on an emptied pool");
}

static void pool_close(struct zb_fuzz *f, bool free_first)
{
	struct zs_arena_stats as;
	int ret;

	zs_arena_inject_failures(f->arena, 0, 0);
	f->injecting = false;
	if (free_first)
		drain(f);
	zbud_destroy_pool(f->pool);
	f->pool = NULL;
	while (f->m.nlive)
		fm_remove(&f->m, &f->m.obj[f->m.nlive - 1]);
	f->npages = 0;
	memset(&as, 0, sizeof(as));
	zs_arena_stats(f->arena, &as);
	if (as.pages_in_use)
		fm_fail("the private arena still has %lu pages in use after "
			"its only pool was destroyed",
			as.pages_in_use);
	ret = zs_arena_destroy(f->arena);
	if (ret)
		fm_fail("zs_arena_destroy of an unused arena: %d", ret);
	f->arena = NULL;
}

static void op_check(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;

	(void)c;
	zbf_full_check(f, "(op)");
}

static void op_recreate(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	/* flags & 1: destroy with objects live (the pool frees them). */
	pool_close(f, !(flags & 1));
	pool_open(f, cfg);
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void zb_begin(void *state, uint8_t cfg)
{
	struct zb_fuzz *f = state;

	fm_reset(&f->m);
	f->verify_pending = false;
	f->reclaiming = false;
	f->clock = 0;
	f->nwb = f->wb_pos = 0;
	f->written_back = 0;
	pool_open(f, cfg);
}

static void zb_after_op(void *state, bool periodic)
{
	struct zb_fuzz *f = state;

	zbf_check_pages(f);
	if (f->verify_pending) {
		zbf_verify_all(f);
		f->verify_pending = false;
	}
	if (periodic)
		zbf_full_check(f, "(periodic)");
}

static void zb_end(void *state)
{
	struct zb_fuzz *f = state;

	zs_arena_inject_failures(f->arena, 0, 0);
	f->injecting = false;
	zbf_verify_all(f);
	zbf_full_check(f, "at the end");
	pool_close(f, true);
}

static void zb_describe(void *state, char *buf, size_t size)
{
	struct zb_fuzz *f = state;

	snprintf(buf, size, "live %u, %llu bytes, %u pages", f->m.nlive,
		 (unsigned long long)f->m.bytes, f->npages);
}

static const struct fm_op zb_op_table[ZB_OP_SLOTS] = {
	[ZB_OP_ALLOC] = { "alloc", zbf_op_alloc },
	[ZB_OP_FREE] = { "free", zbf_op_free },
	[ZB_OP_WRITE] = { "write", zbf_op_write },
	[ZB_OP_READ] = { "read", zbf_op_read },
	[ZB_OP_NESTED] = { "nested", zbf_op_nested },
	[ZB_OP_RECLAIM] = { "reclaim", zbf_op_reclaim },
	[ZB_OP_MISUSE] = { "misuse", zbf_op_misuse },
	[ZB_OP_INJECT] = { "inject", zbf_op_inject },
	[ZB_OP_ARENA_COMPACT] = { "arena_compact", zbf_op_arena_compact },
	[ZB_OP_CHECK] = { "check", op_check },
	[ZB_OP_FILL] = { "fill", zbf_op_fill },
	[ZB_OP_FREE_MANY] = { "free_many", zbf_op_free_many },
	[ZB_OP_VERIFY_ALL] = { "verify_all", zbf_op_verify_all },
	[ZB_OP_RECREATE] = { "recreate", op_recreate },
	[ZB_OP_RECALL] = { "recall", zbf_op_recall },
	[ZB_OP_CORRUPT] = { "corrupt", zbf_op_corrupt },
	[ZB_OP_HOST_FAULT] = { "host_fault", zbf_op_host_fault },
	[ZB_OP_PAGE_MOVE] = { "page_move", zbf_op_page_move },
	[ZB_OP_POOLS] = { "pools", zbf_op_pools },
	[ZB_OP_FATAL] = { "fatal", zbf_op_fatal },
	[ZB_OP_FORGE] = { "forge", zbf_op_forge },
};

const struct fm_target zb_fuzz_target =
	FM_TARGET("zbud", &F, zb_op_table, ZB_CHECK_EVERY, zb_begin,
		  zb_after_op, zb_end, zb_describe);
