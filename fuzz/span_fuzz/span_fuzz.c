// SPDX-License-Identifier: MIT
/*
 * fuzz/span_fuzz/span_fuzz.c - the span fuzz target (zs/span.h over
 * zs/gaps.h).
 *
 * One entry point for every engine (libFuzzer, AFL++ through libAFLDriver,
 * OSS-Fuzz, fuzz/replay_main.c under `bazel test`).  All checking lives in
 * the op files (span_fuzz.h lists them), run by the shared interpreter.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/span_fuzz/span_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fm_run(&sp_fuzz_target, data, size);
}
