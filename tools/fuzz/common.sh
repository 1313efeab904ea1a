# SPDX-License-Identifier: MIT
# tools/fuzz/common.sh - shared by the fuzzing scripts: where things are and
# how each fuzz binary is built.
#
# The scripts build with clang (or afl-clang-fast) directly, not Bazel: a
# campaign wants one quick build in a scratch directory, and CI's smoke run
# must not wait on the shared Bazel server.  The Bazel targets
# (//fuzz/<target> with --config=fuzz or --config=afl) build the same
# sources the same way.  Source this file; it defines functions only.

ZS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ZS_ROOT/tools/fuzz/targets.sh"
ZS_TARGETS=$(zs_fuzz_targets "$ZS_ROOT")

# A target's .dict or .options file (may not exist).
zs_target_file() {
	echo "$(zs_fuzz_dir "$ZS_ROOT" "$1")/$1.$2"
}

# A target's named crashers (corpus/<target>/regressions/).
zs_regressions() {
	zs_fuzz_regressions "$ZS_ROOT" "$1"
}

ZS_CFLAGS="-std=c11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -O1 -fno-omit-frame-pointer -I$ZS_ROOT"
ZS_SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

# Sanitizer runtime options every campaign uses: a failure must abort so
# the engine records it; leaks are real findings.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"

zs_need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "fuzz: installing $2 for $1" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" \
			>/dev/null || return 1
		command -v "$1" >/dev/null 2>&1 && return 0
	fi
	echo "fuzz: $1 not found (Debian package $2)" >&2
	return 1
}

# build_libfuzzer TARGET OUT: libFuzzer + ASan + UBSan.
build_libfuzzer() {
	zs_need clang clang || return 1
	# shellcheck disable=SC2046
	clang $ZS_CFLAGS $ZS_SAN -fsanitize=fuzzer \
		$(zs_fuzz_sources "$ZS_ROOT" "$1") -lpthread -o "$2"
}

# build_afl TARGET OUT [cmplog]: afl-clang-fast + ASan + UBSan, linked with
# AFL++'s libFuzzer-compatible driver; "cmplog" builds the CMPLOG binary
# (comparison operands logged, for afl-fuzz -c).
build_afl() {
	zs_need afl-clang-fast afl++ || return 1
	local driver=/usr/lib/afl/libAFLDriver.a out objs src
	[ -f "$driver" ] || { echo "fuzz: $driver missing" >&2; return 1; }
	out=$(realpath -m "$2")
	objs=$(mktemp -d)
	for src in $(zs_fuzz_sources "$ZS_ROOT" "$1"); do
		env AFL_QUIET=1 ${3:+AFL_LLVM_CMPLOG=1} afl-clang-fast \
			$ZS_CFLAGS $ZS_SAN -c "$src" \
			-o "$objs/$(basename "$src" .c).o" || {
			rm -rf "$objs"
			return 1
		}
	done
	# The driver is C++: link with the C++ front end.
	env AFL_QUIET=1 ${3:+AFL_LLVM_CMPLOG=1} afl-clang-fast++ $ZS_SAN \
		"$objs"/*.o "$driver" -lpthread -o "$out"
	local ret=$?
	rm -rf "$objs"
	return $ret
}

# build_replay TARGET OUT [EXTRA_FLAGS...]: the engine-less replay tool.
build_replay() {
	local t=$1 out=$2
	shift 2
	# shellcheck disable=SC2046
	clang $ZS_CFLAGS "$@" $(zs_fuzz_sources "$ZS_ROOT" "$t") \
		"$ZS_ROOT/fuzz/replay_main.c" -lpthread -o "$out"
}
