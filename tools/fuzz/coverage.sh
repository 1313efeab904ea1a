#!/usr/bin/env bash
# tools/fuzz/coverage.sh - line and branch coverage of zs/ reached by
# replaying the corpus (and the regression crashers) of a fuzz target.
#
# Builds the replay tool with clang's source-based coverage (no sanitizer:
# coverage only), replays corpus/<target>/ in one process and each
# corpus/regressions/ file in its own (an open bug's crasher aborts, which
# loses only its own profile), merges the profiles and prints llvm-cov's
# report for zs/*.c.  --html DIR also writes the annotated sources;
# --min-lines PCT exits 1 when line coverage is below PCT.
#
#   tools/fuzz/coverage.sh [-t TARGET] [--html DIR] [--min-lines PCT]
set -u
. "$(dirname "$0")/common.sh"

target=zsmalloc_fuzz html= min=
while [ $# -gt 0 ]; do
	case $1 in
	-t) target=$2; shift 2 ;;
	--html) html=$2; shift 2 ;;
	--min-lines) min=$2; shift 2 ;;
	*) echo "usage: $0 [-t TARGET] [--html DIR] [--min-lines PCT]" >&2
		exit 2 ;;
	esac
done
cov=llvm-cov-14 prof=llvm-profdata-14
command -v $cov >/dev/null || cov=llvm-cov
command -v $prof >/dev/null || prof=llvm-profdata
zs_need $cov llvm-14 || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bin=$work/replay
build_replay "$target" "$bin" -fprofile-instr-generate -fcoverage-mapping ||
	exit 1
export ZS_REPLAY_QUIET=1
# One process for the whole corpus; if an input fails (an open bug), one
# process per file instead, so only the failing inputs' profiles are lost.
if ! LLVM_PROFILE_FILE=$work/corpus.profraw "$bin" \
	"$ZS_ROOT/corpus/$target" >/dev/null 2>"$work/replay.err"; then
	tail -3 "$work/replay.err" >&2
	echo "coverage: the corpus replay failed; replaying file by file" >&2
	rm -f "$work/corpus.profraw"
fi
failed=0
for f in "$ZS_ROOT"/corpus/regressions/* \
	$([ -f "$work/corpus.profraw" ] || echo "$ZS_ROOT/corpus/$target"/*); do
	case $f in *README*) continue ;; esac
	[ -f "$f" ] || continue
	LLVM_PROFILE_FILE=$work/each-%4m.profraw "$bin" "$f" >/dev/null \
		2>&1 || failed=$((failed + 1))
done
[ "$failed" = 0 ] ||
	echo "coverage: $failed input(s) failed (open bugs: see corpus/BUILD)" >&2
$prof merge -sparse "$work"/*.profraw -o "$work/all.profdata" || exit 1

srcs=("$ZS_ROOT"/zs/*.c)
$cov report "$bin" -instr-profile="$work/all.profdata" "${srcs[@]}" |
	tee "$work/report.txt"
if [ -n "$html" ]; then
	$cov show "$bin" -instr-profile="$work/all.profdata" -format=html \
		-show-branches=count -output-dir="$html" "${srcs[@]}" &&
		echo "coverage: HTML in $html/index.html"
fi
# TOTAL  regions missed cover  functions missed exec  lines missed cover
#        branches missed cover
total=$(grep '^TOTAL' "$work/report.txt")
lines=$(echo "$total" | awk '{print $10}')
branches=$(echo "$total" | awk '{print $13}')
echo "coverage: zs/ lines $lines, branches $branches (corpus/$target +" \
	"corpus/regressions)"
if [ -n "$min" ]; then
	awk -v l="${lines%\%}" -v m="$min" 'BEGIN {exit !(l + 0 >= m + 0)}' ||
		{ echo "coverage: lines $lines < $min%" >&2; exit 1; }
fi
