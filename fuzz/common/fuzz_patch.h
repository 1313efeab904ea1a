/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_patch.h - the write-and-undo log of the corruption
 * planters.
 *
 * A planter writes into the library's own structures (its internal
 * headers) to make one finding true; the op then undoes every write, newest
 * first, and requires the structure bit for bit as it was.  Each write is
 * made the way the library itself makes it, so the sanitizers see the same
 * kind of access: plain fields with a copy, atomics with an atomic exchange
 * (the checkers read them atomically), and object header words, which ASan
 * poisons, with the uninstrumented store of zs/sanitizer.h.
 */
#ifndef ZS_FUZZ_PATCH_H
#define ZS_FUZZ_PATCH_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* More than the most writes any one planting makes (a zspage moved between
 * two lists with both counts kept in step). */
#define FM_PATCHES_MAX 16

enum fm_patch_how {
	FM_PATCH_PLAIN,
	FM_PATCH_ATOMIC8,
	FM_PATCH_ATOMIC32,
	FM_PATCH_ATOMIC64,
	FM_PATCH_ATOMIC_ULONG,
	FM_PATCH_ATOMIC_PTR,
	FM_PATCH_RAW32,
};

struct fm_patch_log {
	unsigned n;
	struct {
		void *addr;
		size_t len;
		enum fm_patch_how how;
		unsigned char old[8];
	} e[FM_PATCHES_MAX];
};

/* Copies len (at most 8) bytes of val over addr, logging what was there. */
void fm_patch(struct fm_patch_log *log, void *addr, const void *val,
	      size_t len);

/* Any plain field, set to value converted to the field's type. */
#define FM_PATCH(log, lvalue, value)                               \
	do {                                                       \
		__typeof__(lvalue) fm_v_ = (value);                \
		fm_patch((log), &(lvalue), &fm_v_, sizeof(fm_v_)); \
	} while (0)

void fm_patch_atomic8(struct fm_patch_log *log, _Atomic uint8_t *p, uint8_t v);
void fm_patch_atomic32(struct fm_patch_log *log, _Atomic uint32_t *p,
		       uint32_t v);
void fm_patch_atomic64(struct fm_patch_log *log, _Atomic uint64_t *p,
		       uint64_t v);
void fm_patch_atomic_ulong(struct fm_patch_log *log, _Atomic unsigned long *p,
			   unsigned long v);
/* p is an _Atomic pointer of any pointee type (a zspage's page, a table
 * chunk). */
void fm_patch_atomic_ptr(struct fm_patch_log *log, void *p, const void *v);
/* A 32-bit word ASan may have poisoned (an object header). */
void fm_patch_raw32(struct fm_patch_log *log, void *p, uint32_t v);

/* Undoes every write, newest first, and empties the log. */
void fm_unpatch(struct fm_patch_log *log);

#endif /* ZS_FUZZ_PATCH_H */
