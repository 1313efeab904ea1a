/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz.h - what every fuzz target builds on, in one include.
 *
 * A target (fuzz/<target>/) is an op table over one allocator; the input
 * cursor, the interpreter that runs op tables, the shadow model the ops
 * check against, the op bodies several targets run alike, the death-test
 * runner and what corrupt ops plant with (an undo log, the judging of a
 * checker's findings, the arena's side of a page) are shared, as the
 * library //fuzz/common:fuzz.  Op files include this header and their
 * target's own; the headers below are its parts, split by concept, and
 * are not included on their own.
 */
#ifndef ZS_FUZZ_H
#define ZS_FUZZ_H

#include "fuzz/common/fuzz_arena_plant.h"
#include "fuzz/common/fuzz_cursor.h"
#include "fuzz/common/fuzz_death.h"
#include "fuzz/common/fuzz_interp.h"
#include "fuzz/common/fuzz_model.h"
#include "fuzz/common/fuzz_ops.h"
#include "fuzz/common/fuzz_patch.h"
#include "fuzz/common/fuzz_plant.h"

#endif /* ZS_FUZZ_H */
