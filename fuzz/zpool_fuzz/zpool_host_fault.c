// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_host_fault.c - the zpool target's host_fault op: zpool
 * creation while the library's own host allocations fail (zs/fault.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zpool_fuzz/zpool_fuzz.h"
#include "zs/fault.h"
#include "zs/zbud.h"
#include "zs/zpool.h"
#include "zs/zsmalloc.h"

/* Creating a zpool while the host refuses its `after`-th allocation from
 * now: the front end and both backends must turn every refusal into NULL
 * with errno ENOMEM and free what they had taken (LeakSanitizer checks at
 * exit), and a creation that made fewer allocations must succeed. */
void zpf_op_host_fault(void *state, struct fuzz_cursor *c)
{
	unsigned long before = zs_host_failures_injected(), injected;
	uint8_t type, after;
	struct zpool *pool;
	uint64_t h = SENTINEL_HANDLE;
	int b, err, ret;

	(void)state;
	if (!fc_u8(c, &type) || !fc_u8(c, &after))
		return;
	b = type % NB;
	zs_inject_host_failures(after % 16, 1);
	errno = 0;
	pool = zpool_create_pool(zpf_type_name[b],
				 type & 2 ? NULL : "zs-fuzz-fault",
				 type & 4 ? &zpf_evict_ops : NULL);
	err = errno;
	injected = zs_host_failures_injected() - before;
	zs_inject_host_failures(0, 0);
	if (injected > 1)
		fm_fail("%s zpool_create_pool: %lu host failures injected, "
			"one was armed",
			zpf_type_name[b], injected);
	if (injected) {
		zpf_expect_null(
			pool, err, ENOMEM, b,
			"zpool_create_pool with a host allocation refused", 0);
		return;
	}
	if (!pool)
		fm_fail("%s zpool_create_pool failed (errno %d) with no host "
			"allocation refused",
			zpf_type_name[b], err);
	/* The pool is whole: an object goes in and the pool empties. */
	ret = zpool_malloc(pool, 64, &h);
	zpf_expect_ret(ret, 0, b, "zpool_malloc on a pool made beside a fault",
		       h);
	zpf_expect_ret(zpool_free(pool, h), 0, b,
		       "zpool_free on a pool made beside a fault", h);
	if (zpool_get_total_size(pool))
		fm_fail("%s: an emptied pool made beside a fault holds pages",
			zpf_type_name[b]);
	zpool_destroy_pool(pool);
}
