/* SPDX-License-Identifier: MIT */
/*
 * zs/sanitizer.h - what the allocator tells AddressSanitizer.
 *
 * Under ASan, free object slots and the bytes past an object's requested
 * size are poisoned, so an overflow through a mapped pointer is caught at
 * the faulting instruction instead of corrupting a neighbour.  The
 * allocator's own header and free-link accesses go through helpers that are
 * not instrumented.  Without ASan all of this compiles to nothing.
 */
#ifndef ZS_SANITIZER_H
#define ZS_SANITIZER_H

#include <stddef.h>
#include <stdint.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ZS_ASAN 1
#endif

#ifdef ZS_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define ZS_NO_ASAN __attribute__((no_sanitize_address))
static inline void zs_poison(const void *p, size_t n)
{
	__asan_poison_memory_region(p, n);
}
static inline void zs_unpoison(const void *p, size_t n)
{
	__asan_unpoison_memory_region(p, n);
}
#else
#define ZS_NO_ASAN
static inline void zs_poison(const void *p, size_t n)
{
	(void)p;
	(void)n;
}
static inline void zs_unpoison(const void *p, size_t n)
{
	(void)p;
	(void)n;
}
#endif

/* Header words and whole-page copies touch poisoned bytes on purpose. */
ZS_NO_ASAN static inline uint32_t zs_raw_load32(const void *p)
{
	return *(const volatile uint32_t *)p;
}

ZS_NO_ASAN static inline void zs_raw_store32(void *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

ZS_NO_ASAN static inline void zs_raw_copy_page(void *dst, const void *src,
					       size_t n)
{
	const volatile uint64_t *s = src;
	volatile uint64_t *d = dst;
	size_t i;

	for (i = 0; i < n / 8; i++)
		d[i] = s[i];
}

#endif /* ZS_SANITIZER_H */
