/* SPDX-License-Identifier: MIT */
/*
 * zs/pressure.h - automatic compaction when memory gets tight.
 *
 * The kernel compacts zsmalloc pools from a memory shrinker when the system
 * runs short; a process has no shrinkers, so a pressure monitor stands in
 * for them.  It owns one background thread.  Pools and arenas registered
 * with it are shrunk (zs_shrinker_count / zs_shrinker_scan for pools;
 * zs_arena_compact + zs_arena_trim for arenas) when:
 *   - a pool holds more pages than the soft limit it was registered with
 *     (checked every poll_ms);
 *   - the embedder says so: zs_pressure_notify() (asynchronous) or
 *     zs_pressure_reclaim() (synchronous, returns pages freed);
 *   - Linux PSI reports memory stalls: a trigger on /proc/pressure/memory
 *     ("some <stall> <window>"), where the kernel allows one.
 * Where PSI is absent or refuses the trigger (containers, older kernels,
 * gVisor, no permission), the monitor runs without it and says why in
 * zs_pressure_stats.psi_error; the soft limit and explicit calls still
 * work.  Errors are negative errno values; pointer calls set errno.
 * zs_pressure_create(NULL) uses the defaults.  A NULL monitor, pool or
 * arena: int calls -EINVAL, zs_pressure_reclaim 0, notify and destroy do
 * nothing; get_stats(NULL, st) zeroes *st, get_stats(mon, NULL) does
 * nothing.
 */
#ifndef ZS_PRESSURE_H
#define ZS_PRESSURE_H

#include "zs/arena.h"
#include "zs/zsmalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct zs_pressure;

/* Zero-initialised = defaults. */
struct zs_pressure_config {
	unsigned poll_ms; /* soft-limit period; 0 = 100 ms */
	/* NULL = /proc/pressure/memory; "" = no PSI.  A path that is not a
	 * PSI file (procfs or cgroup2, "some avg10=..." content) leaves PSI
	 * off with psi_error EINVAL. */
	const char *psi_path;
	unsigned psi_stall_us; /* 0 = 100000 (100 ms of stall ...) */
	unsigned psi_window_us; /* 0 = 1000000 (... per 1 s window) */
};

struct zs_pressure_stats {
	int psi_active; /* 1 while a PSI trigger is armed */
	int psi_error; /* errno that keeps PSI off (ENODEV: the trigger's
			  * file went away), 0 when active or off by
			  * configuration */
	unsigned long psi_events;
	unsigned long soft_limit_events;
	unsigned long explicit_events;
	unsigned long pages_freed; /* by pool compaction */
	unsigned long arena_pages_moved; /* by arena compaction */
};

/**
 * zs_pressure_create() - Start a pressure monitor.
 * @cfg: the configuration, read during the call only; NULL or a
 *       zero-initialised one means every default.
 *
 * Arms the PSI trigger when it can; when it cannot, the monitor still
 * starts and zs_pressure_get_stats() gives the errno in psi_error.
 *
 * Context: any thread; starts the monitor's thread.
 * Return: the monitor, or NULL with errno ENOMEM (the host refused memory)
 * or the errno of eventfd() or pthread_create() (EMFILE, ENFILE, EAGAIN,
 * ...).
 */
struct zs_pressure *zs_pressure_create(const struct zs_pressure_config *cfg);

/**
 * zs_pressure_destroy() - Stop a monitor's thread and free the monitor.
 * @mon: the monitor; NULL does nothing.
 *
 * Registered pools and arenas are left as they are.
 *
 * Context: any thread; waits for a reclaim in progress to end.
 */
void zs_pressure_destroy(struct zs_pressure *mon);

/**
 * zs_pressure_add_pool() - Register a pool.
 * @mon: the monitor.
 * @pool: the pool; it must be removed before it is destroyed.
 * @soft_limit_pages: the monitor shrinks the pool when it holds more
 *                    pages; 0: only on PSI or explicit events.
 *
 * Context: any thread; takes the monitor's lock.
 * Return: 0, -EINVAL (NULL @mon or @pool), -EEXIST (already registered)
 * or -ENOMEM (the host refused memory).
 */
int zs_pressure_add_pool(struct zs_pressure *mon, struct zs_pool *pool,
			 unsigned long soft_limit_pages);

/**
 * zs_pressure_remove_pool() - Unregister a pool.
 * @mon: the monitor.
 * @pool: the pool.
 *
 * Once it returns the monitor never touches @pool again, so the pool can
 * be destroyed.
 *
 * Context: any thread; waits for a reclaim in progress to end.
 * Return: 0, -EINVAL (NULL @mon or @pool) or -ENOENT (@pool is not
 * registered).
 */
int zs_pressure_remove_pool(struct zs_pressure *mon, struct zs_pool *pool);

/**
 * zs_pressure_add_arena() - Register an arena.
 * @mon: the monitor.
 * @arena: the arena; it must be removed before it is destroyed.
 *
 * Every reclaim compacts and trims it.
 *
 * Context: any thread; takes the monitor's lock.
 * Return: 0, -EINVAL (NULL @mon or @arena), -EEXIST (already registered)
 * or -ENOMEM (the host refused memory).
 */
int zs_pressure_add_arena(struct zs_pressure *mon, struct zs_arena *arena);

/**
 * zs_pressure_remove_arena() - Unregister an arena.
 * @mon: the monitor.
 * @arena: the arena.
 *
 * Once it returns the monitor never touches @arena again.
 *
 * Context: any thread; waits for a reclaim in progress to end.
 * Return: 0, -EINVAL (NULL @mon or @arena) or -ENOENT (@arena is not
 * registered).
 */
int zs_pressure_remove_arena(struct zs_pressure *mon, struct zs_arena *arena);

/**
 * zs_pressure_reclaim() - Reclaim now, in the calling thread.
 * @mon: the monitor.
 * @nr_pages: pages wanted from the registered pools; 0 means all they can
 *            give.  Pools free whole zspages, so up to one zspage more
 *            may be freed.
 *
 * Shrinks the registered pools, then compacts and trims every registered
 * arena (the pages moved count in arena_pages_moved).  Counts as an
 * explicit event.
 *
 * Context: any thread; waits for a reclaim in progress to end.
 * Return: pages freed by the pools, 0 for a NULL @mon.
 */
unsigned long zs_pressure_reclaim(struct zs_pressure *mon,
				  unsigned long nr_pages);

/**
 * zs_pressure_notify() - Ask the monitor's thread for a full reclaim soon.
 * @mon: the monitor; NULL does nothing.
 *
 * Notifications made before the thread wakes are served by one reclaim.
 *
 * Context: any thread; never blocks.
 */
void zs_pressure_notify(struct zs_pressure *mon);

/**
 * zs_pressure_get_stats() - Read a monitor's counters.
 * @mon: the monitor; NULL zero-fills *@st.
 * @st: receives the counters; NULL does nothing.
 *
 * Context: any thread; waits for a reclaim in progress to end.
 */
void zs_pressure_get_stats(struct zs_pressure *mon,
			   struct zs_pressure_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* ZS_PRESSURE_H */
