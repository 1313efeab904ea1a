// SPDX-License-Identifier: MIT
/*
 * fuzz/zpool_fuzz/zpool_fuzz.c - the differential zpool fuzz target.
 *
 * One entry point for every engine: libFuzzer links it with
 * -fsanitize=fuzzer, AFL++ with libAFLDriver.a, and fuzz/replay_main.c
 * calls it for each corpus file under `bazel test`.  All checking lives in
 * the interpreter (zpool_ops.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/zpool_fuzz/zpool_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return zp_fuzz_run(data, size);
}
