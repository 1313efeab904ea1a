// SPDX-License-Identifier: MIT
/*
 * host.c - zs's host allocations and the injected failures of zs/fault.h.
 *
 * The fast path is one relaxed load of the fault counter: host allocations
 * are rare (pool creation, table growth, a new arena region), but they
 * happen under shard locks, so the check must cost nothing when no test
 * armed it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* MAP_ANONYMOUS, with -std=c11 */
#endif
#include "zs/host.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "zs/fault.h"
#include "zs/fault_counter.h"
#include "zs/sanitizer.h"

#ifdef ZS_ASAN
/* LeakSanitizer scans the heap, globals and stacks, not our mappings:
 * chunks reachable only through a mapped table would look leaked. */
void __lsan_register_root_region(const void *p, size_t size);
void __lsan_unregister_root_region(const void *p, size_t size);
#define lsan_root(p, size) __lsan_register_root_region(p, size)
#define lsan_unroot(p, size) __lsan_unregister_root_region(p, size)
#else
#define lsan_root(p, size) ((void)(p), (void)(size))
#define lsan_unroot(p, size) ((void)(p), (void)(size))
#endif

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

void *zs_host_map_zeroed(size_t size)
{
	void *p;

	if (zs_host_refuses())
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	lsan_root(p, size);
	return p;
}

void zs_host_unmap(void *p, size_t size)
{
	if (!p)
		return;
	lsan_unroot(p, size);
	munmap(p, size);
}

void zs_host_purge(void *p, size_t size)
{
	madvise(p, size, MADV_DONTNEED);
}
