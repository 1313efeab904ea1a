#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/std_build_test.sh - every library file compiles on its own, in
# strict ISO C11 and in GNU C11, with gcc and with clang, and without the
# -D_GNU_SOURCE the project's build line adds.
#
# Why: a file that calls a GNU or POSIX extension (qsort_r, O_CLOEXEC, ...)
# and relies on the build line to declare it compiles in this repository
# and breaks in every other build that embeds zs.  Under -std=c11 glibc
# declares only ISO C and the base POSIX calls, so a missing feature macro
# shows up as an implicit declaration, made an error here.  Each file must
# say what it needs itself (#define _GNU_SOURCE before its first #include).
# Headers are checked too: each must compile included alone.
#
# Usage: std_build_test.sh FILE...   (zs/*.c and zs/*.h, repo-relative)
# Bazel passes $(rootpaths //zs:sources); by hand:
#   tools/std_build_test.sh zs/*.c zs/*.h
set -u

if [ $# -eq 0 ]; then
	echo "usage: $0 zs/*.c zs/*.h" >&2
	exit 2
fi

# The include root is the directory holding zs/ (headers are included as
# "zs/x.h").
first=$1
root=$(dirname "$(dirname "$first")")

FLAGS="-fsyntax-only -U_GNU_SOURCE -Wall -Wextra -Werror -Wshadow
	-Wstrict-prototypes -Wmissing-prototypes
	-Werror=implicit-function-declaration"

tmp=$(mktemp -d "${TEST_TMPDIR:-${TMPDIR:-/tmp}}/std_build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail=0
runs=0
for cc in gcc clang; do
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "FAIL: $cc not found: both compilers are required" >&2
		fail=1
		continue
	fi
	for std in c11 gnu11; do
		for f in "$@"; do
			case "$f" in
			*.c) src=$f ;;
			*.h)
				# a header alone, as its first user sees it
				src=$tmp/$(basename "$f" .h)_alone.c
				printf '#include "zs/%s"\n' "$(basename "$f")" \
					>"$src"
				;;
			*) continue ;;
			esac
			runs=$((runs + 1))
			# shellcheck disable=SC2086
			if ! "$cc" -std=$std $FLAGS -I"$root" "$src" \
				>"$tmp/out" 2>&1; then
				echo "FAIL: $cc -std=$std $f" >&2
				sed 's/^/    /' "$tmp/out" >&2
				fail=1
			fi
		done
	done
done

nc=0
for f in "$@"; do
	case "$f" in *.c) nc=$((nc + 1)) ;; esac
done
if [ "$nc" -eq 0 ]; then
	echo "FAIL: no .c file given" >&2
	exit 1
fi
if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "std_build_test: $runs compiles clean ($nc sources;" \
	"gcc, clang; c11, gnu11)"
