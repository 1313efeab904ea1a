#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/fuzz/merge.sh - folds fuzzer findings into corpus/<target>/.
#
# libFuzzer's -merge=1 keeps only inputs that add coverage and names them
# by the SHA-1 of their content, as every file in corpus/ is named.  Inputs
# that crash are left out (they belong in corpus/<target>/regressions/
# under a name, with an analysis).  Only the corpus's own files take part:
# the named crashers in its regressions/ stay as they are.
#
# TARGET is a name in fuzz/targets.txt (by default the first).
#
#   tools/fuzz/merge.sh [-t TARGET] [-b FUZZ_BINARY] DIR...
#       adds to corpus/<target>/ what DIRs (libFuzzer corpora, AFL++
#       queues) reach beyond it
#   tools/fuzz/merge.sh [-t TARGET] [-b FUZZ_BINARY] --minimize [DIR...]
#       rebuilds corpus/<target>/ as the smallest set of its files (and
#       DIRs') with the same coverage
set -u
. "$(dirname "$0")/common.sh"

target=${ZS_TARGETS%% *} bin= minimize=0
while [ $# -gt 0 ]; do
	case $1 in
	-t) target=$2; shift 2 ;;
	-b) bin=$2; shift 2 ;;
	--minimize) minimize=1; shift ;;
	-*) echo "usage: $0 [-t TARGET] [-b BIN] [--minimize] DIR..." >&2
		exit 2 ;;
	*) break ;;
	esac
done
corpus=$ZS_ROOT/corpus/$target
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$bin" ]; then
	bin=$tmp/$target
	build_libfuzzer "$target" "$bin" || exit 1
fi
maxlen=$(sed -n 's/^ *max_len *= *\([0-9]*\).*/\1/p' \
	"$(zs_target_file "$target" options)" 2>/dev/null)
# The corpus files alone, without regressions/ (libFuzzer reads
# directories recursively).
mkdir -p "$tmp/corpus"
zs_fuzz_corpus "$ZS_ROOT" "$target" | xargs -r cp -t "$tmp/corpus"
before=$(find "$tmp/corpus" -type f | wc -l)
# AFL++ queues hold their own bookkeeping directories: files only.
srcs=()
n=0
for d in "$@"; do
	n=$((n + 1))
	mkdir -p "$tmp/src$n"
	find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$tmp/src$n/" \;
	srcs+=("$tmp/src$n")
done
if [ "$minimize" = 1 ]; then
	mkdir -p "$tmp/min"
	"$bin" -merge=1 ${maxlen:+-max_len=$maxlen} "$tmp/min" \
		"$tmp/corpus" "${srcs[@]}" >"$tmp/merge.log" 2>&1 ||
		{ tail -20 "$tmp/merge.log"; exit 1; }
	zs_fuzz_corpus "$ZS_ROOT" "$target" | xargs -r rm -f
	cp "$tmp"/min/* "$corpus/"
else
	"$bin" -merge=1 ${maxlen:+-max_len=$maxlen} "$tmp/corpus" \
		"${srcs[@]}" >"$tmp/merge.log" 2>&1 ||
		{ tail -20 "$tmp/merge.log"; exit 1; }
	cp -n "$tmp"/corpus/* "$corpus/"
fi
grep -E '^MERGE-OUTER: [0-9]+ new files' "$tmp/merge.log"
echo "merge: corpus/$target: $before ->" \
	"$(zs_fuzz_corpus "$ZS_ROOT" "$target" | wc -l) files"
