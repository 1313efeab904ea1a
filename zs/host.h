/* SPDX-License-Identifier: MIT */
/*
 * zs/host.h - every host allocation zs makes goes through here, so that
 * zs/fault.h can make it fail.  Not a public header.
 */
#ifndef ZS_HOST_H
#define ZS_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "zs/arena.h" /* ZS_PAGE_SIZE */

/* True when an armed injection says this allocation fails (errno is then
 * ENOMEM).  Callers about to mmap ask this first. */
bool zs_host_refuses(void);

void *zs_host_malloc(size_t size);
void *zs_host_calloc(size_t n, size_t size);
void *zs_host_realloc(void *p, size_t size);

/*
 * Zeroed memory straight from the OS, for tables sized for their maximum
 * but mostly unused: only the pages written become resident, whereas
 * calloc() may hand back reused heap and clear (touch) all of it.
 */
void *zs_host_map_zeroed(size_t size);
void zs_host_unmap(void *p, size_t size);

/* Gives the memory of whole pages at p back to the OS; they stay mapped
 * and read as zeroes until written again.  Not an allocation: it cannot
 * fail in a way the caller must handle, and no failure is injected. */
void zs_host_purge(void *p, size_t size);

/* What the first n bytes of such a mapping, written in order, keep
 * resident: whole pages. */
static inline size_t zs_host_resident(size_t n)
{
	return (n + ZS_PAGE_SIZE - 1) / ZS_PAGE_SIZE * ZS_PAGE_SIZE;
}

#endif /* ZS_HOST_H */
