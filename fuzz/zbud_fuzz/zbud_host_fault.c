// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_host_fault.c - op host_fault: host allocations
 * failing (zs/fault.h) while zbud allocates and pools are made.
 *
 * Every host allocation on zbud_alloc's and zbud_create_pool's paths is one
 * they cannot do without, so each call must fail (-ENOMEM, or NULL with
 * ENOMEM) exactly when one of its host allocations was failed, and leave
 * the pool as it was; zbf_do_alloc checks that of every allocation.  The
 * injection is process-wide, so the op disarms it before it returns.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz/zbud_fuzz/zbud_fuzz.h"
#include "fuzz/common/fuzz.h"
#include "zs/arena.h"
#include "zs/fault.h"
#include "zs/zbud.h"

/* A second pool made while host allocations fail: NULL + ENOMEM exactly
 * when one of its host allocations was failed, else a working pool. */
static void host_fault_pool(struct zb_fuzz *f, bool default_arena, uint16_t raw)
{
	unsigned long injected = zs_host_failures_injected();
	size_t size = 1 + raw % ZBUD_MAX_ALLOC_SIZE;
	struct zbud_pool *other;
	uint64_t h = SENTINEL_HANDLE;
	int err, ret;

	errno = 0;
	other = default_arena ? zbud_create_pool(NULL) :
				zbud_create_pool_arena(NULL, f->arena);
	err = errno;
	if (zs_host_failures_injected() != injected) {
		fm_expect_null(other, err, ENOMEM,
			       "zbud_create_pool with a host allocation failed",
			       0);
		return;
	}
	if (!other)
		fm_fail("zbud_create_pool failed (errno %d) with no host "
			"allocation failed",
			err);
	injected = zs_host_failures_injected();
	ret = zbud_alloc(other, size, &h);
	/* op_inject's page failures apply to the private arena too. */
	if (!(ret == -ENOMEM && !default_arena && f->injecting))
		fm_expect_ret(
			ret,
			zs_host_failures_injected() != injected ? -ENOMEM : 0,
			"zbud_alloc in a second pool under host faults", h);
	if (!ret)
		fm_expect_ret(zbud_free(other, h), 0,
			      "zbud_free in a second pool", h);
	zbf_destroy_emptied_pool(other);
}

/*
 * Host allocations fail (zs/fault.h: after `after` more succeed, the next
 * count fail) while the op allocates n objects, which grows the handle
 * slot table, the descriptor table and the arena as the pool's size
 * requires.  do_alloc holds each call to -ENOMEM exactly when one of its
 * host allocations was failed, with the pool unchanged; the rest must work.
 *   flags: 1 also create a second pool on the private arena, 2 on the
 *          default arena (zbud_create_pool), 4 compact the arena (its own
 *          host allocation may fail: then nothing moves).
 * Always disarmed before the op returns, so nothing else sees it.
 */
void zbf_op_host_fault(void *state, struct fuzz_cursor *c)
{
	struct zb_fuzz *f = state;
	uint8_t after, count, n, kind, fuzz, flags;
	uint16_t raw;
	unsigned i;

	if (!fc_u8(c, &after) || !fc_u8(c, &count) || !fc_u8(c, &n) ||
	    !fc_u8(c, &kind) || !fc_u16(c, &raw) || !fc_u8(c, &fuzz) ||
	    !fc_u8(c, &flags))
		return;
	/* Made before arming: a default arena that failed to be made stays
	 * missing for the whole process. */
	if ((flags & 2) && !zs_arena_default())
		fm_fail("no default arena, errno %d", errno);
	zs_inject_host_failures(after, 1 + count % 4);
	f->host_armed = true;
	if (flags & 1)
		host_fault_pool(f, false, raw);
	if (flags & 2)
		host_fault_pool(f, true, raw);
	for (i = 0; i < n; i++)
		zbf_do_alloc(f, zbf_choose_size(kind, (uint16_t)(raw + i * 97)),
			     (uint8_t)(fuzz + i));
	if (flags & 4) {
		zs_arena_compact(f->arena);
		zbf_relocate(f, "arena compaction under host faults");
	}
	zs_inject_host_failures(0, 0);
	f->host_armed = false;
	zbf_full_check(f, "after host faults");
	f->verify_pending = true;
}
