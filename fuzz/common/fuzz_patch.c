// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_patch.c - the planters' write-and-undo log
 * (fuzz/common/fuzz_patch.h).
 *
 * Old values are kept as bytes whatever the access, so one undo loop serves
 * every kind of write; only the store differs, to match how the library
 * reads the field back.
 */
#include "fuzz/common/fuzz_patch.h"

#include <string.h>

#include "fuzz/common/fuzz_model.h"
#include "zs/sanitizer.h"

static void *log_entry(struct fm_patch_log *log, void *addr, size_t len,
		       enum fm_patch_how how)
{
	if (log->n == FM_PATCHES_MAX || len > sizeof(log->e[0].old))
		fm_fail("corruption: write %u of %zu bytes does not fit the "
			"undo log",
			log->n, len);
	log->e[log->n].addr = addr;
	log->e[log->n].len = len;
	log->e[log->n].how = how;
	return log->e[log->n++].old;
}

void fm_patch(struct fm_patch_log *log, void *addr, const void *val, size_t len)
{
	memcpy(log_entry(log, addr, len, FM_PATCH_PLAIN), addr, len);
	memcpy(addr, val, len);
}

void fm_patch_atomic8(struct fm_patch_log *log, _Atomic uint8_t *p, uint8_t v)
{
	uint8_t old = atomic_exchange(p, v);

	memcpy(log_entry(log, p, sizeof(old), FM_PATCH_ATOMIC8), &old,
	       sizeof(old));
}

void fm_patch_atomic32(struct fm_patch_log *log, _Atomic uint32_t *p,
		       uint32_t v)
{
	uint32_t old = atomic_exchange(p, v);

	memcpy(log_entry(log, p, sizeof(old), FM_PATCH_ATOMIC32), &old,
	       sizeof(old));
}

void fm_patch_atomic64(struct fm_patch_log *log, _Atomic uint64_t *p,
		       uint64_t v)
{
	uint64_t old = atomic_exchange(p, v);

	memcpy(log_entry(log, p, sizeof(old), FM_PATCH_ATOMIC64), &old,
	       sizeof(old));
}

void fm_patch_atomic_ulong(struct fm_patch_log *log, _Atomic unsigned long *p,
			   unsigned long v)
{
	unsigned long old = atomic_exchange(p, v);

	memcpy(log_entry(log, p, sizeof(old), FM_PATCH_ATOMIC_ULONG), &old,
	       sizeof(old));
}

void fm_patch_atomic_ptr(struct fm_patch_log *log, void *p, const void *v)
{
	void *old = atomic_exchange((_Atomic(void *) *)p, (void *)v);

	memcpy(log_entry(log, p, sizeof(old), FM_PATCH_ATOMIC_PTR), &old,
	       sizeof(old));
}

void fm_patch_raw32(struct fm_patch_log *log, void *p, uint32_t v)
{
	uint32_t old = zs_raw_load32(p);

	zs_raw_store32(p, v);
	memcpy(log_entry(log, p, sizeof(old), FM_PATCH_RAW32), &old,
	       sizeof(old));
}

void fm_unpatch(struct fm_patch_log *log)
{
	while (log->n) {
		void *p = log->e[--log->n].addr;
		const unsigned char *old = log->e[log->n].old;
		uint64_t u64;
		uint32_t u32;
		uint8_t u8;
		unsigned long ul;
		void *ptr;

		switch (log->e[log->n].how) {
		case FM_PATCH_PLAIN:
			memcpy(p, old, log->e[log->n].len);
			break;
		case FM_PATCH_ATOMIC8:
			memcpy(&u8, old, sizeof(u8));
			atomic_store((_Atomic uint8_t *)p, u8);
			break;
		case FM_PATCH_ATOMIC32:
			memcpy(&u32, old, sizeof(u32));
			atomic_store((_Atomic uint32_t *)p, u32);
			break;
		case FM_PATCH_ATOMIC64:
			memcpy(&u64, old, sizeof(u64));
			atomic_store((_Atomic uint64_t *)p, u64);
			break;
		case FM_PATCH_ATOMIC_ULONG:
			memcpy(&ul, old, sizeof(ul));
			atomic_store((_Atomic unsigned long *)p, ul);
			break;
		case FM_PATCH_ATOMIC_PTR:
			memcpy(&ptr, old, sizeof(ptr));
			atomic_store((_Atomic(void *) *)p, ptr);
			break;
		case FM_PATCH_RAW32:
			memcpy(&u32, old, sizeof(u32));
			zs_raw_store32(p, u32);
			break;
		}
	}
}
