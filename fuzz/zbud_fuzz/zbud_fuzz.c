// SPDX-License-Identifier: MIT
/*
 * fuzz/zbud_fuzz/zbud_fuzz.c - the zbud fuzz target.
 *
 * One entry point for every engine: libFuzzer links it with
 * -fsanitize=fuzzer, AFL++ with libAFLDriver.a, and fuzz/replay_main.c
 * calls it for each corpus file under `bazel test`.  All checking lives in
 * the interpreter (zbud_ops.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/zbud_fuzz/zbud_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return zb_fuzz_run(data, size);
}
