#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/oss-fuzz/local_check.sh - proves build.sh works as OSS-Fuzz runs it.
#
# Runs tools/oss-fuzz/build.sh (with bash -eu, as OSS-Fuzz's compile does,
# so a failed command stops it) once per engine x sanitizer that
# project.yaml claims, with the environment OSS-Fuzz's base-builder sets
# (infra/base-images: compile, compile_afl, and base-clang's
# SANITIZER_FLAGS_*): libfuzzer + address, libfuzzer + undefined,
# libfuzzer + memory and afl + address.  Then it checks $OUT (fuzzer, .dict,
# .options, _seed_corpus.zip for every target) and runs each fuzzer over
# its unzipped seed corpus (a crash or sanitizer report fails the check).
# Differences from OSS-Fuzz, all forced by Debian's toolchain: CXXFLAGS
# lack -stdlib=libc++ (Debian's libFuzzer is built against libstdc++), and
# the AFL++ driver is /usr/lib/afl/libAFLDriver.a.  MemorySanitizer needs
# every byte the program reads to be instrumented: the library and the
# harness are C and built here with -fsanitize=memory, libc is intercepted,
# and clang 14's libFuzzer runtime turns MSan's checks off around its own
# code and unpoisons each input it hands over, so it needs no instrumented
# C++ library and the libfuzzer + memory build runs as OSS-Fuzz's does.
#
#   tools/oss-fuzz/local_check.sh [OUT_BASE]   (default /tmp/zs-oss-fuzz)
# ZS_OSS_FUZZ_BUILDS picks builds (default: "libfuzzer-address
# libfuzzer-undefined libfuzzer-memory afl-address").  Leaves
# $OUT_BASE/<engine>-<sanitizer>/out, which .ci/fuzz-smoke fuzzes with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${1:-/tmp/zs-oss-fuzz}
. "$root/tools/fuzz/targets.sh"
targets=$(zs_fuzz_targets "$root")

# OSS-Fuzz's SANITIZER_FLAGS_<sanitizer> (base-clang, x86_64).  Of the
# undefined checks only unsigned-integer-overflow recovers, and its reports
# are silenced at run time (UBSAN_OPTIONS below), as on OSS-Fuzz: hashes
# and the handle cipher wrap on purpose.
san_address="-fsanitize=address -fsanitize-address-use-after-scope"
ubsan_checks=array-bounds,bool,builtin,enum,function,integer-divide-by-zero
ubsan_checks+=,null,object-size,return,returns-nonnull-attribute,shift
ubsan_checks+=,signed-integer-overflow
ubsan_fatal=$ubsan_checks,unreachable,vla-bound,vptr
san_undefined="-fsanitize=$ubsan_checks,unsigned-integer-overflow"
san_undefined+=",unreachable,vla-bound,vptr -fno-sanitize-recover=$ubsan_fatal"
san_memory="-fsanitize=memory -fsanitize-memory-track-origins"
oss_cflags="-O1 -fno-omit-frame-pointer -gline-tables-only"
oss_cflags+=" -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"

run_build() { # engine sanitizer
	local engine=$1 sanitizer=$2 dir=$base/$1-$2
	rm -rf "$dir"
	mkdir -p "$dir/out" "$dir/work"
	local flags_var=san_$sanitizer
	local cflags="$oss_cflags ${!flags_var}"
	case $engine in
	libfuzzer)
		env CC=clang CXX=clang++ \
			CFLAGS="$cflags -fsanitize=fuzzer-no-link" \
			CXXFLAGS="$cflags -fsanitize=fuzzer-no-link" \
			LIB_FUZZING_ENGINE="-fsanitize=fuzzer" \
			FUZZING_ENGINE=libfuzzer SANITIZER="$sanitizer" \
			ARCHITECTURE=x86_64 SRC="$root/.." WORK="$dir/work" \
			OUT="$dir/out" bash -eu "$here/build.sh"
		;;
	afl)
		env CC=afl-clang-fast CXX=afl-clang-fast++ \
			CFLAGS="$cflags" CXXFLAGS="$cflags" \
			LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a \
			FUZZING_ENGINE=afl SANITIZER="$sanitizer" \
			ARCHITECTURE=x86_64 SRC="$root/.." WORK="$dir/work" \
			OUT="$dir/out" AFL_QUIET=1 bash -eu "$here/build.sh"
		;;
	esac
	echo "oss-fuzz: $engine + $sanitizer built into $dir/out"
}

check_out() { # engine sanitizer
	local engine=$1 dir=$base/$1-$2 t
	for t in $targets; do
		local out=$dir/out
		for f in "$t" "$t.dict" "$t.options" "${t}_seed_corpus.zip"; do
			[ -s "$out/$f" ] || { echo "oss-fuzz: $out/$f missing" >&2
				return 1; }
		done
		[ -x "$out/$t" ] || { echo "oss-fuzz: $out/$t not executable"; return 1; }
		rm -rf "$dir/seeds-$t"
		mkdir -p "$dir/seeds-$t"
		unzip -q "$out/${t}_seed_corpus.zip" -d "$dir/seeds-$t"
		local n
		n=$(find "$dir/seeds-$t" -type f | wc -l)
		# Both libFuzzer and AFL++'s driver run the files given as
		# arguments once each; any failure aborts with a non-zero exit.
		case $engine in
		libfuzzer)
			"$out/$t" -runs=0 "$dir/seeds-$t" \
				>"$dir/replay-$t.log" 2>&1 ;;
		afl)
			# shellcheck disable=SC2046
			"$out/$t" $(find "$dir/seeds-$t" -type f) \
				>"$dir/replay-$t.log" 2>&1 ;;
		esac || { tail -20 "$dir/replay-$t.log" >&2
			echo "oss-fuzz: $engine $t failed on its seed corpus" >&2
			return 1; }
		echo "oss-fuzz: $engine + $2: $t ran its $n seed inputs cleanly"
	done
}

# Each runtime reads only its own variable.  UBSan's options are
# OSS-Fuzz's, made fatal.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
UBSAN_OPTIONS+=:print_summary=1:silence_unsigned_overflow=1
export MSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
builds=${ZS_OSS_FUZZ_BUILDS:-libfuzzer-address libfuzzer-undefined
libfuzzer-memory afl-address}

case " $builds " in
*" afl-"*)
	command -v afl-clang-fast >/dev/null || {
		echo "oss-fuzz: afl-clang-fast missing (apt-get install afl++)" >&2
		exit 1
	}
	;;
esac
command -v zip >/dev/null && command -v unzip >/dev/null || {
	echo "oss-fuzz: zip/unzip missing (apt-get install zip unzip)" >&2
	exit 1
}
for b in $builds; do
	run_build "${b%%-*}" "${b#*-}"
	check_out "${b%%-*}" "${b#*-}"
done
echo "oss-fuzz: build.sh OK for" $builds
