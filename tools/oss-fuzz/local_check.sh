#!/usr/bin/env bash
# tools/oss-fuzz/local_check.sh - proves build.sh works as OSS-Fuzz runs it.
#
# Runs tools/oss-fuzz/build.sh twice with the environment OSS-Fuzz's
# base-builder sets (infra/base-images: compile, compile_afl), for
# libfuzzer + address and for afl + address, then checks $OUT (fuzzer,
# .dict, .options, _seed_corpus.zip for every target) and runs each fuzzer
# over its unzipped seed corpus (a crash fails the check).  Differences from
# OSS-Fuzz, both forced by Debian's toolchain: CXXFLAGS lack
# -stdlib=libc++ (Debian's libFuzzer is built against libstdc++), and the
# AFL++ driver is /usr/lib/afl/libAFLDriver.a.
#
#   tools/oss-fuzz/local_check.sh [OUT_BASE]   (default /tmp/zs-oss-fuzz)
# Leaves $OUT_BASE/libfuzzer-address/out and $OUT_BASE/afl-address/out for
# .ci/fuzz-smoke to fuzz with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${1:-/tmp/zs-oss-fuzz}
. "$root/tools/fuzz/targets.sh"
targets=$(zs_fuzz_targets "$root")

san_address="-fsanitize=address -fsanitize-address-use-after-scope"
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
			OUT="$dir/out" bash "$here/build.sh"
		;;
	afl)
		env CC=afl-clang-fast CXX=afl-clang-fast++ \
			CFLAGS="$cflags" CXXFLAGS="$cflags" \
			LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a \
			FUZZING_ENGINE=afl SANITIZER="$sanitizer" \
			ARCHITECTURE=x86_64 SRC="$root/.." WORK="$dir/work" \
			OUT="$dir/out" AFL_QUIET=1 bash "$here/build.sh"
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
			ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
				"$out/$t" -runs=0 "$dir/seeds-$t" \
				>"$dir/replay-$t.log" 2>&1 ;;
		afl)
			# shellcheck disable=SC2046
			ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
				"$out/$t" $(find "$dir/seeds-$t" -type f) \
				>"$dir/replay-$t.log" 2>&1 ;;
		esac || { tail -20 "$dir/replay-$t.log" >&2
			echo "oss-fuzz: $engine $t failed on its seed corpus" >&2
			return 1; }
		echo "oss-fuzz: $engine + $2: $t ran its $n seed inputs cleanly"
	done
}

command -v afl-clang-fast >/dev/null || {
	echo "oss-fuzz: afl-clang-fast missing (apt-get install afl++)" >&2
	exit 1
}
command -v zip >/dev/null && command -v unzip >/dev/null || {
	echo "oss-fuzz: zip/unzip missing (apt-get install zip unzip)" >&2
	exit 1
}
run_build libfuzzer address
check_out libfuzzer address
run_build afl address
check_out afl address
echo "oss-fuzz: build.sh OK for libfuzzer+address and afl+address"
