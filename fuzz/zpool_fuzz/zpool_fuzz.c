// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_fuzz.c - the differential zpool fuzz target.
 *
 * One entry point for every engine (libFuzzer, AFL++ through libAFLDriver,
 * OSS-Fuzz, fuzz/replay_main.c under `bazel test`).  All checking lives in
 * the op files (zpool_fuzz.h lists them), run by the shared interpreter.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zpool_fuzz/zpool_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fm_run(&zp_fuzz_target, data, size);
}
