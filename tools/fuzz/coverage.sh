#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/fuzz/coverage.sh - line and branch coverage of zs/ reached by
# replaying the fuzz corpora and the named crashers.
#
# Builds each target's replay tool with clang's source-based coverage (no
# sanitizer: coverage only), replays corpus/<target>/ in one process (file
# by file if an input fails, so only that input's profile is lost) and each
# named crasher in its own (forked death-test children merge into the same
# profile: %m), merges the profiles of all targets and prints
# llvm-cov's report for zs/*.c.  By default every target
# (fuzz/targets.txt); -t (repeatable) picks some.  --html DIR also
# writes the annotated sources; --missed FILE writes every line no input
# reached, as file:line: source; --min-lines PCT exits 1 when line
# coverage is below PCT.
#
#   tools/fuzz/coverage.sh [-t TARGET]... [--html DIR] [--missed FILE]
#                          [--min-lines PCT]
set -u
. "$(dirname "$0")/common.sh"

targets=() html= missed= min=
while [ $# -gt 0 ]; do
	case $1 in
	-t) targets+=("$2"); shift 2 ;;
	--html) html=$2; shift 2 ;;
	--missed) missed=$2; shift 2 ;;
	--min-lines) min=$2; shift 2 ;;
	*) echo "usage: $0 [-t TARGET]... [--html DIR] [--missed FILE]" \
		"[--min-lines PCT]" >&2
		exit 2 ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$ZS_TARGETS"
cov=llvm-cov-14 prof=llvm-profdata-14
command -v $cov >/dev/null || cov=llvm-cov
command -v $prof >/dev/null || prof=llvm-profdata
zs_need $cov llvm-14 || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ZS_REPLAY_QUIET=1

objects=()
failed=0
for t in "${targets[@]}"; do
	bin=$work/replay-$t
	build_replay "$t" "$bin" -fprofile-instr-generate -fcoverage-mapping ||
		exit 1
	objects+=("$bin")
	inputs=()
	if ! LLVM_PROFILE_FILE=$work/$t-corpus-%m.profraw "$bin" \
		"$ZS_ROOT/corpus/$t" >/dev/null 2>"$work/replay.err"; then
		tail -3 "$work/replay.err" >&2
		echo "coverage: $t: the corpus replay failed; file by file" >&2
		rm -f "$work/$t"-corpus-*.profraw
		mapfile -t inputs < <(zs_fuzz_corpus "$ZS_ROOT" "$t")
	fi
	mapfile -t -O ${#inputs[@]} inputs < <(zs_regressions "$t")
	for f in "${inputs[@]}"; do
		LLVM_PROFILE_FILE=$work/$t-each-%4m.profraw "$bin" "$f" \
			>/dev/null 2>&1 || failed=$((failed + 1))
	done
done
[ "$failed" = 0 ] ||
	echo "coverage: $failed input(s) failed (open bugs? see corpus/BUILD)" >&2
$prof merge -sparse "$work"/*.profraw -o "$work/all.profdata" || exit 1

srcs=("$ZS_ROOT"/zs/*.c)
more=()
for o in "${objects[@]:1}"; do
	more+=(-object "$o")
done
$cov report "${objects[0]}" "${more[@]}" -instr-profile="$work/all.profdata" \
	"${srcs[@]}" | tee "$work/report.txt"
if [ -n "$html" ]; then
	$cov show "${objects[0]}" "${more[@]}" \
		-instr-profile="$work/all.profdata" -format=html \
		-show-branches=count -output-dir="$html" "${srcs[@]}" &&
		echo "coverage: HTML in $html/index.html"
fi
if [ -n "$missed" ]; then
	# llvm-cov's text view prints "  line|  count|source"; a count of 0
	# is a line that was compiled and never run.
	for src in "${srcs[@]}"; do
		$cov show "${objects[0]}" "${more[@]}" \
			-instr-profile="$work/all.profdata" "$src" |
			awk -v f="${src#"$ZS_ROOT"/}" -F'|' \
				'$2 ~ /^ *0$/ {gsub(/ /, "", $1); print f ":" $1 ": " $3}'
	done >"$missed"
	echo "coverage: $(wc -l <"$missed") missed lines in $missed"
fi
# TOTAL  regions missed cover  functions missed exec  lines missed cover
#        branches missed cover
total=$(grep '^TOTAL' "$work/report.txt")
lines=$(echo "$total" | awk '{print $10}')
branches=$(echo "$total" | awk '{print $13}')
echo "coverage: zs/ lines $lines, branches $branches (targets:" \
	"${targets[*]}; corpora and named crashers)"
if [ -n "$min" ]; then
	awk -v l="${lines%\%}" -v m="$min" 'BEGIN {exit !(l + 0 >= m + 0)}' ||
		{ echo "coverage: lines $lines < $min%" >&2; exit 1; }
fi
