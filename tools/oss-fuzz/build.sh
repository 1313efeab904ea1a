#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# tools/oss-fuzz/build.sh - OSS-Fuzz's build script for zs.
#
# OSS-Fuzz runs it once per engine x sanitizer with the toolchain in the
# environment: $CC $CXX $CFLAGS $CXXFLAGS carry the sanitizer and coverage
# flags, $LIB_FUZZING_ENGINE the engine's main() (libFuzzer, AFL++'s
# driver, honggfuzz), $OUT receives the fuzzers.  So nothing here names a
# sanitizer or an engine: the same commands build every combination.  C
# compiles with $CC $CFLAGS; the link uses $CXX $CXXFLAGS because every
# engine's main() is C++.
#
# For each target in fuzz/targets.txt it puts in $OUT: the fuzzer,
# <target>.dict, <target>.options and <target>_seed_corpus.zip
# (corpus/<target>/ plus its named crashers, corpus/<target>/regressions/).
# Each target is fuzz/common/*.c, fuzz/<target>/*.c and zs/*.c
# (tools/fuzz/targets.sh).  tools/oss-fuzz/local_check.sh runs
# it here with the variables OSS-Fuzz would set.

# The source tree: the working directory (the Dockerfile's WORKDIR), or
# two levels above this script when run from a checkout.
if [ -f zs/zsmalloc.h ]; then
	src=$PWD
else
	src=$(cd "$(dirname "$0")/../.." && pwd)
fi
work=${WORK:-$(mktemp -d)}
mkdir -p "$OUT" "$work/zs-obj"

. "$src/tools/fuzz/targets.sh"

cd "$src"
for t in $(zs_fuzz_targets .); do
	objs=()
	for c in $(zs_fuzz_sources . "$t"); do
		o=$work/zs-obj/$t-$(echo "${c#./}" | tr / _).o
		# shellcheck disable=SC2086
		$CC $CFLAGS -std=c11 -D_GNU_SOURCE -I. -c "$c" -o "$o"
		objs+=("$o")
	done
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS "${objs[@]}" $LIB_FUZZING_ENGINE -lpthread -o "$OUT/$t"
	dir=$(zs_fuzz_dir . "$t")
	cp "$dir/$t.dict" "$OUT/$t.dict"
	cp "$dir/$t.options" "$OUT/$t.options"
	# the corpus and the target's named crashers, not README files
	rm -f "$OUT/${t}_seed_corpus.zip"
	{
		zs_fuzz_corpus . "$t"
		zs_fuzz_regressions . "$t"
	} | zip -q -j -@ "$OUT/${t}_seed_corpus.zip"
done
