#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/fuzz/libfuzzer.sh - a libFuzzer campaign on one fuzz target.
#
# Builds the target with libFuzzer + ASan + UBSan in a work directory and
# fuzzes from corpus/<target>/ (read only) with the target's dictionary and
# options; what it finds goes to WORK/new/, crashes to WORK/artifacts/.
# With --merge the new inputs are folded into corpus/<target>/ afterwards
# (tools/fuzz/merge.sh).  Exit status 1 when any crash, leak or timeout was
# found, so CI and scripts can use it as a gate.
#
# TARGET is a name in fuzz/targets.txt (by default the first).
#
#   tools/fuzz/libfuzzer.sh [-t TARGET] [-j JOBS] [-T SECONDS] [-w WORK]
#                           [--merge] [-- extra libFuzzer flags]
set -u
. "$(dirname "$0")/common.sh"

target=${ZS_TARGETS%% *} jobs=1 seconds=600 work= merge=0
while [ $# -gt 0 ]; do
	case $1 in
	-t) target=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	-T) seconds=$2; shift 2 ;;
	-w) work=$2; shift 2 ;;
	--merge) merge=1; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [-t TARGET] [-j JOBS] [-T SECONDS] [-w WORK]" \
		"[--merge] [-- libFuzzer flags]" >&2; exit 2 ;;
	esac
done
work=${work:-/tmp/zs-fuzz/libfuzzer-$target}
corpus=$ZS_ROOT/corpus/$target
mkdir -p "$work/new" "$work/artifacts"

bin=$work/$target
echo "libfuzzer: building $bin"
build_libfuzzer "$target" "$bin" || exit 1

# The options file's [libfuzzer] section, as flags.
opts=()
options=$(zs_target_file "$target" options)
if [ -f "$options" ]; then
	while IFS='=' read -r k v; do
		k=$(echo "$k" | tr -d ' ') v=$(echo "$v" | tr -d ' ')
		case $k in ''|'#'*|'['*) continue ;; esac
		opts+=("-$k=$v")
	done <"$options"
fi
dict=$(zs_target_file "$target" dict)
[ -f "$dict" ] && opts+=("-dict=$dict")

# One job runs in-process (fastest); more use fork mode, which survives
# crashes and keeps going (-ignore_crashes) so a long campaign collects them
# all.
if [ "$jobs" -gt 1 ]; then
	opts+=("-fork=$jobs" "-ignore_crashes=1" "-ignore_timeouts=1"
		"-ignore_ooms=1")
fi
echo "libfuzzer: $target, $jobs job(s), ${seconds}s, corpus $corpus"
"$bin" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$@" "$work/new" "$corpus" \
	2>&1 | tee "$work/fuzz.log" | grep -E --line-buffered \
	'^#[0-9]+.*(pulse|DONE)|^#[0-9]+: |stat::|zs-fuzz FAIL|ERROR:|SUMMARY|Test unit written'
status=${PIPESTATUS[0]}

found=$(find "$work/artifacts" -type f | wc -l)
echo "libfuzzer: exit $status, $(find "$work/new" -type f | wc -l) new" \
	"inputs, $found artifact(s) in $work/artifacts, log $work/fuzz.log"
if [ "$merge" = 1 ]; then
	"$(dirname "$0")/merge.sh" -t "$target" -b "$bin" "$work/new" || exit 1
fi
[ "$found" -eq 0 ] && [ "$status" -eq 0 ]
