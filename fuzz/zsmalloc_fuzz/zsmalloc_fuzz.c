// SPDX-License-Identifier: MIT
/*
 * fuzz/zsmalloc_fuzz/zsmalloc_fuzz.c - the zsmalloc fuzz target.
 *
 * One entry point for every engine: libFuzzer links it with
 * -fsanitize=fuzzer, AFL++ with libAFLDriver.a, OSS-Fuzz with
 * $LIB_FUZZING_ENGINE, and fuzz/replay_main.c calls it for each corpus file
 * under `bazel test`.  All checking lives in the op files (zs_fuzz.h lists
 * them), run by the shared interpreter.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/common/fuzz.h"
#include "fuzz/zsmalloc_fuzz/zs_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fm_run(&zs_fuzz_target, data, size);
}
