/*
 * zs/fault.h - make zs's own host allocations fail, to test the paths that
 * handle it.
 *
 * zs asks the host for memory in few places: malloc, calloc and realloc for
 * its tables and descriptors, and mmap for 2 MiB arena regions.  Every one
 * of them can fail, and every caller turns the failure into -ENOMEM (or
 * NULL with errno ENOMEM) and leaves the pool as it was.  Those paths run
 * only when the host is out of memory, so tests and fuzzers force them here.
 * Page-level failures of one pool or arena are zs_pool_inject_failures and
 * zs_arena_inject_failures; this is the process-wide layer beneath them.
 */
#ifndef ZS_FAULT_H
#define ZS_FAULT_H

/* After `after` more successful host allocations by zs (any thread, any
 * pool), the next `count` fail.  count 0 disarms. */
void zs_inject_host_failures(unsigned after, unsigned count);

/* Host allocations failed by injection since the process started. */
unsigned long zs_host_failures_injected(void);

#endif /* ZS_FAULT_H */
