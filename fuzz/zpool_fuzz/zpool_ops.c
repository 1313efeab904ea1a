// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_ops.c - the differential zpool target: one op sequence
 * on a "zsmalloc" zpool (backend 0) and a "zbud" zpool (backend 1), side by
 * side.  Its op table, its state, the pools' life and the checks
 * fuzz/common/fuzz_interp.c runs around every op.
 *
 * Why differential: zpool promises that a program can switch backends by
 * name without code changes, so every call must return the same value on
 * both (zbud.c and zpool.c say so); only density and what shrinking means
 * may differ.  Each backend has its own shadow model
 * (fuzz/common/fuzz_model.h), kept in lockstep with the other's.
 *
 * zpool has no consistency check of its own, so every object is read back
 * (on both) every ZP_VERIFY_EVERY ops, after every move and at the end; at
 * the end everything is freed and both pools hold no page.
 *
 * The ops live in files by subject (zpool_fuzz.h lists them).  Adding an
 * op: write `void zpf_op_x(void *state, struct fuzz_cursor *c)` (starting
 * `struct zp_fuzz *f = state;`) in the file of its subject, declare it in
 * zpool_fuzz.h, give it a free opcode there and a row in zp_op_table
 * below.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zpool_fuzz/zpool_fuzz.h"
#include "zs/zbud.h"
#include "zs/zpool.h"
#include "zs/zsmalloc.h"

#define ZP_VERIFY_EVERY 16

const char *const zpf_type_name[NB] = { "zsmalloc", "zbud" };
const enum zpool_mapmode zpf_modes[3] = { ZPOOL_MM_RO, ZPOOL_MM_RW,
					  ZPOOL_MM_WO };
const char *const zpf_mode_name[3] = { "RO", "RW", "WO" };

static struct zp_fuzz F;

const struct zpool_ops zpf_evict_ops = { .evict = zpf_evict };

static void pools_open(struct zp_fuzz *f, uint8_t cfg)
{
	const char *name = cfg & 2 ? NULL : "zs-fuzz-zpool";
	const char *t;
	int b;

	f->has_evict = !(cfg & 1);
	for (b = 0; b < NB; b++) {
		errno = 0;
		f->pool[b] =
			zpool_create_pool(zpf_type_name[b], name,
					  f->has_evict ? &zpf_evict_ops : NULL);
		if (!f->pool[b])
			fm_fail("zpool_create_pool(\"%s\") failed, errno %d",
				zpf_type_name[b], errno);
		t = zpool_get_type(f->pool[b]);
		if (!t || strcmp(t, zpf_type_name[b]))
			fm_fail("zpool_get_type is \"%s\", created \"%s\"",
				t ? t : "(null)", zpf_type_name[b]);
		if (zpf_pages_of(f, b))
			fm_fail("a new %s zpool holds pages", zpf_type_name[b]);
	}
	f->nheld = 0;
}

static void pools_close(struct zp_fuzz *f, bool free_first)
{
	int b;

	if (free_first) {
		while (f->m[0].nlive)
			zpf_do_free(f, f->m[0].nlive - 1);
		for (b = 0; b < NB; b++)
			if (zpf_pages_of(f, b))
				fm_fail("an emptied %s zpool holds %" PRIu64
					" pages",
					zpf_type_name[b], zpf_pages_of(f, b));
	}
	for (b = 0; b < NB; b++) {
		zpool_destroy_pool(f->pool[b]);
		f->pool[b] = NULL;
		while (f->m[b].nlive)
			fm_remove(&f->m[b], &f->m[b].obj[f->m[b].nlive - 1]);
	}
}

static void op_recreate(void *state, struct fuzz_cursor *c)
{
	struct zp_fuzz *f = state;
	uint8_t cfg, flags;

	if (!fc_u8(c, &cfg) || !fc_u8(c, &flags))
		return;
	pools_close(f, !(flags & 1));
	pools_open(f, cfg);
}

/* ---- the interpreter (fuzz/common/fuzz_interp.h) ---- */

static void zp_begin(void *state, uint8_t cfg)
{
	struct zp_fuzz *f = state;
	int b;

	for (b = 0; b < NB; b++)
		fm_reset(&f->m[b]);
	f->verify_pending = false;
	f->shrinking = false;
	f->written_back = 0;
	pools_open(f, cfg);
}

/* zpool has no check call: every object is read back on both pools every
 * ZP_VERIFY_EVERY ops, and after every op that moved objects. */
static void zp_after_op(void *state, bool periodic)
{
	struct zp_fuzz *f = state;

	zpf_check_sizes(f);
	if (periodic || f->verify_pending) {
		zpf_verify_all(f);
		f->verify_pending = false;
	}
}

static void zp_end(void *state)
{
	struct zp_fuzz *f = state;

	zpf_verify_all(f);
	pools_close(f, true);
}

static void zp_describe(void *state, char *buf, size_t size)
{
	struct zp_fuzz *f = state;

	snprintf(buf, size, "live %u, %llu bytes", f->m[0].nlive,
		 (unsigned long long)f->m[0].bytes);
}

static const struct fm_op zp_op_table[ZP_OP_SLOTS] = {
	[ZP_OP_ALLOC] = { "alloc", zpf_op_alloc },
	[ZP_OP_FREE] = { "free", zpf_op_free },
	[ZP_OP_WRITE] = { "write", zpf_op_write },
	[ZP_OP_READ] = { "read", zpf_op_read },
	[ZP_OP_NESTED] = { "nested", zpf_op_nested },
	[ZP_OP_SHRINK] = { "shrink", zpf_op_shrink },
	[ZP_OP_COMPACT] = { "compact", zpf_op_compact },
	[ZP_OP_MISUSE] = { "misuse", zpf_op_misuse },
	[ZP_OP_FILL] = { "fill", zpf_op_fill },
	[ZP_OP_FREE_MANY] = { "free_many", zpf_op_free_many },
	[ZP_OP_VERIFY_ALL] = { "verify_all", zpf_op_verify_all },
	[ZP_OP_RECREATE] = { "recreate", op_recreate },
	[ZP_OP_HOST_FAULT] = { "host_fault", zpf_op_host_fault },
	[ZP_OP_FORGE] = { "forge", zpf_op_forge },
};

const struct fm_target zp_fuzz_target =
	FM_TARGET("zpool", &F, zp_op_table, ZP_VERIFY_EVERY, zp_begin,
		  zp_after_op, zp_end, zp_describe);
