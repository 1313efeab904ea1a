#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/api_boundary_coverage_test.sh - every function a public header
# declares is called by the API boundary test.
#
# Why: gtest/zs_api_boundary_test.cc calls each public function with NULL
# for each pointer argument.  A function added to a header later would be
# missed silently; this names it instead.
#
# Usage: api_boundary_coverage_test.sh TEST.cc HEADER...
# Bazel passes the test source and the public headers of //zs:sources.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 zs_api_boundary_test.cc zs/zsmalloc.h ..." >&2
	exit 2
fi
test_src=$1
shift

# The public headers: what a user of zs includes.  Internal ones
# (zs_internal.h, host.h, ...) are not part of the contract.
PUBLIC="zsmalloc.h arena.h zbud.h zpool.h pressure.h report.h findings.h fault.h"

missing=0
count=0
seen=""
for h in "$@"; do
	base=$(basename "$h")
	case " $PUBLIC " in *" $base "*) ;; *) continue ;; esac
	seen="$seen $base"
	# Declarations start at column 0 (struct members and comments do
	# not); the name is the identifier right before the first "(".
	names=$(grep -E '^[a-z].*\b(zs|zbud|zpool)_[a-z0-9_]+\(' "$h" |
		grep -v '^typedef' |
		sed -E 's/^[^(]*\b((zs|zbud|zpool)_[a-z0-9_]+)\(.*/\1/')
	for n in $names; do
		count=$((count + 1))
		if ! grep -Eq "\b$n\(" "$test_src"; then
			echo "FAIL: $base declares $n, which $test_src never calls" >&2
			missing=1
		fi
	done
done

for want in $PUBLIC; do
	case " $seen " in *" $want "*) ;; *)
		echo "FAIL: public header zs/$want not given" >&2
		missing=1
		;;
	esac
done
if [ "$count" -eq 0 ]; then
	echo "FAIL: no function found in the headers" >&2
	exit 1
fi
if [ "$missing" -ne 0 ]; then
	exit 1
fi
echo "api_boundary_coverage_test: all $count public functions called"
