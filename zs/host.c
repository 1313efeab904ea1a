// SPDX-License-Identifier: MIT
/*
 * host.c - zs's host allocations and the injected failures of zs/fault.h.
 *
 * The fast path is one relaxed load of the fault counter: host allocations
 * are rare (pool creation, table growth, a new arena region), but they
 * happen under class locks, so the check must cost nothing when no test
 * armed it.
 */
#include "zs/host.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "zs/fault.h"
#include "zs/fault_counter.h"

static struct zs_fault_counter host_faults;
static atomic_ulong injected;

void zs_inject_host_failures(unsigned after, unsigned count)
{
	zs_fault_counter_arm(&host_faults, after, count);
}

unsigned long zs_host_failures_injected(void)
{
	return atomic_load(&injected);
}

bool zs_host_refuses(void)
{
	if (!zs_fault_counter_fires(&host_faults))
		return false;
	atomic_fetch_add(&injected, 1);
	errno = ENOMEM;
	return true;
}

void *zs_host_malloc(size_t size)
{
	return zs_host_refuses() ? NULL : malloc(size);
}

void *zs_host_calloc(size_t n, size_t size)
{
	return zs_host_refuses() ? NULL : calloc(n, size);
}

void *zs_host_realloc(void *p, size_t size)
{
	return zs_host_refuses() ? NULL : realloc(p, size);
}
