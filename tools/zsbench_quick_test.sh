#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/zsbench_quick_test.sh - zsbench end to end, small, and its bad inputs.
#
# Why: zsbench is the README's main job; this proves a quick run writes the
# CSV and the chart with rows for zsmalloc and the kernel model, that a real
# trace can be read from given files, and that bad input (a missing file,
# an empty directory, an unknown peer, a non-number) ends with a message
# and a non-zero exit instead of a crash or a silent success.
#
# usage: zsbench_quick_test.sh [path/to/zsbench]   (bazel passes it)
set -euo pipefail

BIN="${1:-tools/zsbench}"
if [[ ! -x "$BIN" ]]; then
	echo "FAIL: zsbench binary not found at $BIN" >&2
	exit 1
fi
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/zsbench_test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# --- a quick synthetic run, peers included ---
OUT="$WORK/out"
if ! "$BIN" --quick --trace=synthetic-1340 --out="$OUT" \
	>"$WORK/stdout" 2>"$WORK/stderr"; then
	cat "$WORK/stderr" >&2
	fail "zsbench --quick --trace=synthetic-1340 exited non-zero"
fi
for f in results.csv metrics.csv run.csv zsbench.svg classes.txt mm_stat.txt; do
	[[ -s "$OUT/$f" ]] || fail "$OUT/$f missing or empty"
done
# A sanitizer build owns malloc, so it runs no peers (and says so).
peers="glibc jemalloc mimalloc"
if grep -q "sanitizer build: malloc peers skipped" "$WORK/stderr"; then
	peers=""
fi
for row in zsmalloc-c4 zsmalloc-c8 zsmalloc-c16 zbud kernel-zs-c4 \
	kernel-zs-c8 kernel-zs-c16 kernel-zbud $peers; do
	grep -q "^$row," "$OUT/results.csv" || fail "no $row row in results.csv"
	grep -q ">$row<" "$OUT/zsbench.svg" || fail "no $row bar in zsbench.svg"
done
head -1 "$OUT/results.csv" | grep -q "density_pages" ||
	fail "results.csv has no density_pages column"
# the density of zsmalloc-c8 is a number near 1 (pages only)
d="$(awk -F, '$1 == "zsmalloc-c8" { print $4 }' "$OUT/results.csv")"
awk -v d="$d" 'BEGIN { exit !(d > 0.9 && d < 3) }' ||
	fail "zsmalloc-c8 density_pages '$d' is not a plausible ratio"
grep -q "^<svg" "$OUT/zsbench.svg" || fail "zsbench.svg is not an SVG"
grep -q "</svg>" "$OUT/zsbench.svg" || fail "zsbench.svg is truncated"
grep -q "DENSITY" "$WORK/stdout" || fail "no density table on stdout"
grep -q "mm_stat" "$WORK/stdout" || fail "no mm_stat line on stdout"
grep -q "obj_allocated" "$WORK/stdout" || fail "no class table on stdout"
grep -q "trace: " "$WORK/stderr" || fail "no progress lines on stderr"

# --- a real trace from given files: this binary's own pages ---
if ! "$BIN" --quick --peers=none --files="$BIN" --out="$WORK/real" \
	>"$WORK/stdout2" 2>"$WORK/stderr2"; then
	cat "$WORK/stderr2" >&2
	fail "zsbench --files=<the binary> exited non-zero"
fi
grep -q "^zsmalloc-c8," "$WORK/real/results.csv" ||
	fail "no zsmalloc-c8 row for the real trace"

# --- bad input: a message and a non-zero exit, never a crash ---
expect_error() {
	local want="$1"
	shift
	local rc=0
	"$BIN" "$@" --out="$WORK/bad" >"$WORK/bad.out" 2>"$WORK/bad.err" ||
		rc=$?
	if [[ $rc -eq 0 ]]; then
		fail "zsbench $* succeeded; expected an error"
	fi
	if [[ $rc -ge 128 ]]; then
		fail "zsbench $* died with signal $((rc - 128))"
	fi
	grep -q -- "$want" "$WORK/bad.err" ||
		fail "zsbench $*: stderr lacks '$want': $(cat "$WORK/bad.err")"
}

mkdir -p "$WORK/empty"
expect_error "/nonexistent" --quick --files=/nonexistent
expect_error "no readable" --quick --files="$WORK/empty"
expect_error "unknown peer 'bogus'" --quick --peers=bogus
expect_error "not found\|No such file" --quick --peers=jemalloc=/nonexistent/lib.so
expect_error "not a shared object" --quick --peers=fake="$OUT/results.csv"
expect_error "not a number" --quick --objects=lots
expect_error "unknown trace" --quick --trace=nope
expect_error "unknown argument" --quick --bogus-flag
expect_error "cannot go with" --quick --trace=uniform --files="$BIN"

echo "PASS"
