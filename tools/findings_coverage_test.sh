#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/findings_coverage_test.sh - every finding kind is reported from
# exactly one place in the library, and proven by some test.
#
# Why: a kind (zs/findings.h) tells a program or a test what zs found.  Two
# call sites sharing a kind could not be told apart, and a kind no test
# names is a report nobody has seen happen: a checker's finding must be
# planted by a fuzz corruption op, an abort site must have a death test.
# A kind added later without either is named here instead of passing
# silently.
#
# Usage: findings_coverage_test.sh zs/findings.h FILE...
# FILEs are the library's sources (zs/*.c: where kinds are reported), the
# tests' sources (fuzz/..., gtest/...: where they must be named) and
# fuzz/targets.txt (every target listed must have given its sources).
# Bazel passes them from //zs:sources, //gtest:sources and the fuzz
# targets' libraries (tools/BUILD).
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 zs/findings.h FILE..." >&2
	exit 2
fi
findings=$1
shift

lib=""
tests=""
targets=""
for f in "$@"; do
	# a file may come twice (the fuzz targets' sources include zs/)
	case " $lib $tests " in *" $f "*) continue ;; esac
	case "$f" in
	*fuzz/targets.txt) targets=$f ;;
	zs/*.c | */zs/*.c) lib="$lib $f" ;;
	fuzz/* | */fuzz/* | gtest/* | */gtest/*) tests="$tests $f" ;;
	esac
done

fail=0
kinds=$(sed -n 's/^[[:space:]]*X(\(ZS_FINDING_[A-Z0-9_]*\)).*/\1/p' "$findings")
if [ -z "$kinds" ]; then
	echo "FAIL: no kind found in $findings" >&2
	exit 1
fi
if [ -z "$lib" ] || [ -z "$tests" ]; then
	echo "FAIL: no library or no test sources given" >&2
	exit 1
fi

# Every target of fuzz/targets.txt gave its sources: one left out of
# tools/BUILD would hide what it plants.
if [ -n "$targets" ]; then
	# shellcheck disable=SC2013 # a target name is one word
	for t in $(grep -v '^#' "$targets"); do
		case " $tests " in
		*"fuzz/$t/"*) ;;
		*)
			echo "FAIL: fuzz target $t lists no sources here" \
				"(add it to tools/BUILD)" >&2
			fail=1
			;;
		esac
	done
fi

# A report is a macro call whose first argument is the kind:
# ZS_REPORT(KIND, ...), or a checker's FAIL(KIND, ...) / CHECK_FAIL(KIND,
# ...).  Lines are joined first, as a formatter may break after "(".
# shellcheck disable=SC2086 # word splitting of the file lists is meant
sites=$(for f in $lib; do
	tr '\n\t' '  ' <"$f" |
		grep -oE '\b[A-Z][A-Z0-9_]*\( *ZS_FINDING_[A-Z0-9_]+\b' |
		sed -E "s|.*\( *(ZS_FINDING_[A-Z0-9_]+)|\1 $f|"
done)

count=0
for k in $kinds; do
	count=$((count + 1))
	n=$(printf '%s\n' "$sites" | grep -c "^$k ")
	if [ "$n" -ne 1 ]; then
		where=$(printf '%s\n' "$sites" | sed -n "s/^$k //p" |
			tr '\n' ' ')
		echo "FAIL: $k is reported at $n call sites in zs/" \
			"(want 1)${where:+: $where}" >&2
		fail=1
	fi
	# shellcheck disable=SC2086
	if ! grep -qw "$k" $tests; then
		echo "FAIL: $k is named nowhere in fuzz/ or gtest/ (plant it" \
			"in a corruption op, or give it a death test)" >&2
		fail=1
	fi
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "findings_coverage_test: all $count kinds reported once and tested"
