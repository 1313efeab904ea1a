/*
 * zs/pressure.h - automatic compaction when memory gets tight (seed 002).
 *
 * A pressure monitor owns one background thread.  Pools and arenas
 * registered with it are shrunk (zs_shrinker_count / zs_shrinker_scan for
 * pools; zs_arena_compact + zs_arena_trim for arenas) when:
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
	int psi_error; /* errno that kept PSI off, 0 when active or off by
			  * configuration */
	unsigned long psi_events;
	unsigned long soft_limit_events;
	unsigned long explicit_events;
	unsigned long pages_freed; /* by pool compaction */
	unsigned long arena_pages_moved; /* by arena compaction */
};

struct zs_pressure *zs_pressure_create(const struct zs_pressure_config *cfg);
/* Stops the thread; registered pools and arenas are left as they are. */
void zs_pressure_destroy(struct zs_pressure *mon);

/* soft_limit_pages 0: the pool is shrunk only on PSI or explicit events.
 * -EEXIST when already registered, -ENOMEM. */
int zs_pressure_add_pool(struct zs_pressure *mon, struct zs_pool *pool,
			 unsigned long soft_limit_pages);
/* Waits for a reclaim in progress, so the pool can be destroyed after. */
int zs_pressure_remove_pool(struct zs_pressure *mon, struct zs_pool *pool);
int zs_pressure_add_arena(struct zs_pressure *mon, struct zs_arena *arena);
int zs_pressure_remove_arena(struct zs_pressure *mon, struct zs_arena *arena);

/* Shrinks the registered pools by up to nr_pages (0 = all they can give)
 * and compacts the registered arenas, in the calling thread. */
unsigned long zs_pressure_reclaim(struct zs_pressure *mon,
				  unsigned long nr_pages);
/* Asks the monitor thread to do a full reclaim soon; never blocks. */
void zs_pressure_notify(struct zs_pressure *mon);
void zs_pressure_get_stats(struct zs_pressure *mon,
			   struct zs_pressure_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* ZS_PRESSURE_H */
