// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_fuzz.c - the zbud fuzz target.
 *
 * One entry point for every engine (libFuzzer, AFL++ through libAFLDriver,
 * OSS-Fuzz, fuzz/replay_main.c under `bazel test`).  All checking lives in
 * the op files (zbud_fuzz.h lists them), run by the shared interpreter.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zbud_fuzz/zbud_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fm_run(&zb_fuzz_target, data, size);
}
