#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/fuzz/afl.sh - an AFL++ campaign on one fuzz target.
#
# Builds the target twice with afl-clang-fast + ASan + UBSan (plain, and
# with CMPLOG, which logs comparison operands so AFL++ can solve the size
# and flag comparisons of the interpreter), then runs one main instance
# (-M, deterministic stages) and JOBS-1 secondaries (-S; the first one
# with CMPLOG), all from corpus/<target>/ with the dictionary, for SECONDS.
# Crashes end up in WORK/out/*/crashes/; with --merge the instances'
# queues are folded into corpus/<target>/ (tools/fuzz/merge.sh).  Exit
# status 1 when any instance saved a crash or a hang.
#
# TARGET is a name in fuzz/targets.txt (by default the first).
#
#   tools/fuzz/afl.sh [-t TARGET] [-j JOBS] [-T SECONDS] [-w WORK] [--merge]
set -u
. "$(dirname "$0")/common.sh"

target=${ZS_TARGETS%% *} jobs=2 seconds=600 work= merge=0
while [ $# -gt 0 ]; do
	case $1 in
	-t) target=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	-T) seconds=$2; shift 2 ;;
	-w) work=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	*) echo "usage: $0 [-t TARGET] [-j JOBS] [-T SECONDS] [-w WORK]" \
		"[--merge]" >&2; exit 2 ;;
	esac
done
work=${work:-/tmp/zs-fuzz/afl-$target}
zs_need afl-fuzz afl++ || exit 1
rm -rf "$work/out" "$work/in"
mkdir -p "$work/in"

echo "afl: building $work/$target and $work/$target.cmplog"
build_afl "$target" "$work/$target" || exit 1
build_afl "$target" "$work/$target.cmplog" cmplog || exit 1

# AFL++ refuses empty seeds; inputs longer than max_len only slow it down.
find "$ZS_ROOT/corpus/$target" -maxdepth 1 -type f -size +0 -size -4097c \
	! -name BUILD ! -name 'README*' -exec cp {} "$work/in/" \;

# AFL++ insists on these sanitizer settings (symbolize=0, abort_on_error).
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
# A shared CI machine: no CPU frequency checks, no core pinning, no UI.
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_STARTUP_CALIBRATION=1

dict=$(zs_target_file "$target" dict)
common=(-i "$work/in" -o "$work/out" -V "$seconds" -t 10000)
[ -f "$dict" ] && common+=(-x "$dict")
pids=()
echo "afl: $target, $jobs instance(s), ${seconds}s"
afl-fuzz -M main "${common[@]}" -- "$work/$target" >"$work/main.log" 2>&1 &
pids+=($!)
for i in $(seq 1 $((jobs - 1))); do
	cmplog=()
	[ "$i" = 1 ] && cmplog=(-c "$work/$target.cmplog")
	afl-fuzz -S "sec$i" "${cmplog[@]}" "${common[@]}" -- "$work/$target" \
		>"$work/sec$i.log" 2>&1 &
	pids+=($!)
done
status=0
for p in "${pids[@]}"; do
	wait "$p" || status=1
done

crashes=0
for d in "$work"/out/*/; do
	[ -f "$d/fuzzer_stats" ] || continue
	n=$(find "$d/crashes" "$d/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
	crashes=$((crashes + n))
	awk -v d="$(basename "$d")" -F' *: ' \
		'/^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg) /{s = s " " $1 "=" $2} END {print "afl: " d ":" s}' \
		"$d/fuzzer_stats"
done
[ "$status" = 0 ] || { echo "afl: an instance failed; logs in $work" >&2; }
echo "afl: $crashes crash(es)/hang(s) in $work/out/*/{crashes,hangs}"
if [ "$merge" = 1 ]; then
	"$(dirname "$0")/merge.sh" -t "$target" "$work"/out/*/queue || exit 1
fi
[ "$crashes" -eq 0 ] && [ "$status" = 0 ]
