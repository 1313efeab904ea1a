/* SPDX-License-Identifier: MIT */
/*
 * fuzz/zsmalloc_fuzz/zs_fatal.h - the zsmalloc interpreter's death tests:
 * corruptions zsmalloc and its arena must catch, report exactly and abort on.
 */
#ifndef ZS_FUZZ_ZS_FATAL_H
#define ZS_FUZZ_ZS_FATAL_H

#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "zs/zsmalloc.h"

/* Runs death test `kind` (any byte; taken modulo the number of kinds) in a
 * forked child against pool, whose live objects the model m lists; arg
 * picks objects and sizes.  Returns the name of the test run, or NULL when
 * the pool's state does not allow it (then nothing ran).  The parent's
 * pool is never touched. */
const char *zs_fuzz_fatal(struct zs_pool *pool, const struct fuzz_model *m,
			  uint8_t kind, uint16_t arg);

#endif /* ZS_FUZZ_ZS_FATAL_H */
