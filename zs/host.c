/*
 * host.c - zs's host allocations and the injected failures of zs/fault.h.
 *
 * The fast path is one relaxed load of `armed`: host allocations are rare
 * (pool creation, table growth, a new arena region), but they happen under
 * class locks, so the check must cost nothing when no test armed it.
 */
#include "zs/host.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "zs/fault.h"

static atomic_bool armed;
static pthread_mutex_t inject_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned inject_after, inject_count;
static atomic_ulong injected;

void zs_inject_host_failures(unsigned after, unsigned count)
{
	pthread_mutex_lock(&inject_lock);
	inject_after = after;
	inject_count = count;
	atomic_store(&armed, count > 0);
	pthread_mutex_unlock(&inject_lock);
}

unsigned long zs_host_failures_injected(void)
{
	return atomic_load(&injected);
}

bool zs_host_refuses(void)
{
	bool refuse = false;

	if (!atomic_load_explicit(&armed, memory_order_relaxed))
		return false;
	pthread_mutex_lock(&inject_lock);
	if (inject_after > 0) {
		inject_after--;
	} else if (inject_count > 0) {
		refuse = true;
		if (--inject_count == 0)
			atomic_store(&armed, false);
	}
	pthread_mutex_unlock(&inject_lock);
	if (refuse) {
		atomic_fetch_add(&injected, 1);
		errno = ENOMEM;
	}
	return refuse;
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
