/* SPDX-License-Identifier: MIT */
/*
 * zs/secret.h - the per-pool secrets that key handles.  Not a public header.
 *
 * zsmalloc and zbud both seal their handles with per-pool keys
 * (zs/handle_cipher.h), so a handle is valid only for the pool that issued
 * it and a forged or foreign value is rejected.  One seed per pool comes
 * from the kernel's entropy; the keys are drawn from it with splitmix64,
 * which spreads even a weak seed (early boot, no entropy yet) over all 64
 * bits.
 */
#ifndef ZS_SECRET_H
#define ZS_SECRET_H

#include <stdint.h>

/* A fresh seed, distinct per call; `salt` (a pool id or address) keeps
 * pools apart even when the entropy pool cannot answer.  Built with
 * -DZS_FIXED_HANDLE_KEY it is a function of `salt` alone, so fuzz inputs
 * give the same handles on every run. */
uint64_t zs_secret_seed(uint64_t salt);

/* The next key from a seed (splitmix64: advances *state). */
uint64_t zs_secret_next(uint64_t *state);

#endif /* ZS_SECRET_H */
