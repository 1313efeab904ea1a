/* SPDX-License-Identifier: MIT */
/*
 * zs/fault.h - make zs's own host allocations fail, to test the paths that
 * handle it.
 *
 * zs asks the host for memory in few places: malloc, calloc and realloc for
 * its tables and descriptors, and mmap for 2 MiB arena regions.  Every one
 * of them can fail, and every caller turns the failure into -ENOMEM (or
 * NULL with errno ENOMEM) and leaves the pool as it was; compaction and
 * page migration just move fewer pages.  Those paths run only when the
 * host is out of memory, so tests and fuzzers force them here.
 * Page-level failures of one pool or arena are zs_pool_inject_failures and
 * zs_arena_inject_failures; this is the process-wide layer beneath them.
 */
#ifndef ZS_FAULT_H
#define ZS_FAULT_H

/**
 * zs_inject_host_failures() - Make zs's host allocations fail.
 * @after: host allocations that still succeed first.
 * @count: host allocations that fail then; 0 disarms.
 *
 * Counts every malloc, calloc, realloc and region mmap zs makes, in any
 * thread, for any pool, arena or monitor.  A call replaces the previous
 * setting.
 *
 * Context: any thread.
 */
void zs_inject_host_failures(unsigned after, unsigned count);

/**
 * zs_host_failures_injected() - How many host allocations injection failed.
 *
 * Context: any thread.
 * Return: the host allocations failed by injection since the process
 * started (never reset).
 */
unsigned long zs_host_failures_injected(void);

#endif /* ZS_FAULT_H */
