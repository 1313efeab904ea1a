#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/zsbench_quick_test.sh - zsbench end to end, small, and its bad inputs.
#
# Why: zsbench is the README's main job; this proves a quick run writes the
# CSV and the chart with rows for zsmalloc and the kernel model, that a real
# trace can be read from given files, that the anonymous pages of a running
# process can be read by pid (the donor's), that the donor's trace is the
# same twice for one seed, that a --scale run gives one row per size, that
# the access census (objects copied on map and read, page-crossing share,
# crossing against in-page cost) and the reader stalls during frees and
# compaction are printed well formed (not their values), that --suite
# gives each of its three traces a whole report and a directory, and a
# table and targets.csv across them whose figures are sane (density at
# least 1, utilization in (0, 1]) and whose verdicts follow from value and
# bound, and that bad input (a missing file, an empty directory, an
# unknown peer, a non-number, a process that does not exist or may not be
# read, flags --suite cannot take) ends with a message and a non-zero exit
# instead of a crash or a silent success.
#
# usage: zsbench_quick_test.sh [path/to/zsbench [path/to/zsbench_anon_donor]]
#        (bazel passes both)
set -euo pipefail

BIN="${1:-tools/zsbench}"
DONOR="${2:-$(dirname "$BIN")/zsbench_anon_donor}"
if [[ ! -x "$BIN" ]]; then
	echo "FAIL: zsbench binary not found at $BIN" >&2
	exit 1
fi
if [[ ! -x "$DONOR" ]]; then
	echo "FAIL: the donor binary not found at $DONOR" >&2
	exit 1
fi
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/zsbench_test.XXXXXX")"
DONOR_PID=""
NOBODY_DIR=""
cleanup() {
	if [[ -n "$DONOR_PID" ]]; then
		kill "$DONOR_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	if [[ -n "$NOBODY_DIR" ]]; then
		rm -rf "$NOBODY_DIR"
	fi
}
trap cleanup EXIT

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
# the density of zsmalloc-c16 is a number near 1 (pages only)
d="$(awk -F, '$1 == "zsmalloc-c16" { print $4 }' "$OUT/results.csv")"
awk -v d="$d" 'BEGIN { exit !(d > 0.9 && d < 3) }' ||
	fail "zsmalloc-c16 density_pages '$d' is not a plausible ratio"
grep -q "^<svg" "$OUT/zsbench.svg" || fail "zsbench.svg is not an SVG"
grep -q "</svg>" "$OUT/zsbench.svg" || fail "zsbench.svg is truncated"
grep -q "DENSITY" "$WORK/stdout" || fail "no density table on stdout"
grep -q "mm_stat" "$WORK/stdout" || fail "no mm_stat line on stdout"
grep -q "obj_allocated" "$WORK/stdout" || fail "no class table on stdout"
grep -q "trace: " "$WORK/stderr" || fail "no progress lines on stderr"

# The access census and the reader stalls: the lines exist and are well
# formed (counts are integers, ratios and times positive numbers), whatever
# their values.
INT='^[0-9]+$'
NUM='^[0-9]+(\.[0-9]+)?$'
# The field of results.csv for a row and a column name.
csv_get() {
	awk -F, -v row="$1" -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$1 == row && c { print $c }' "$OUT/results.csv"
}
positive() {
	[[ "$1" =~ $NUM ]] && awk -v v="$1" 'BEGIN { exit !(v > 0) }'
}
grep -q "^ACCESS of page-crossing objects" "$WORK/stdout" ||
	fail "no ACCESS table on stdout"
grep -q "^READER STALLS while freeing 75%" "$WORK/stdout" ||
	fail "no READER STALLS table on stdout"
for row in zsmalloc-c4 zsmalloc-c8 zsmalloc-c16 kernel-zs-c8; do
	# system objects crossing-share copied-on-map copied-on-read ...
	line="$(awk -v r="$row" '/^ACCESS/ { on = 1 } /^SPEED/ { on = 0 }
		on && $1 == r' "$WORK/stdout")"
	read -r _ n share cmap cread mx mi mr rx ri rr <<<"$line"
	[[ "$n" =~ $INT && "$n" -gt 0 ]] ||
		fail "ACCESS $row: objects '$n' is not a count: $line"
	[[ "$share" =~ $NUM ]] ||
		fail "ACCESS $row: crossing share '$share' is not a number"
	[[ "$cmap" =~ $INT && "$cread" =~ $INT ]] ||
		fail "ACCESS $row: copied counts '$cmap' '$cread' are not integers"
	for col in copied_on_map copied_on_read access_objects; do
		v="$(csv_get "$row" "$col")"
		[[ "$v" =~ $INT ]] || fail "results.csv $row $col '$v' is not an integer"
	done
	[[ "$(csv_get "$row" crossing_share)" =~ $NUM ]] ||
		fail "results.csv $row crossing_share is not a number"
	[[ "$row" == kernel-* ]] && continue
	for v in "$mx" "$mi" "$mr" "$rx" "$ri" "$rr"; do
		positive "$v" || fail "ACCESS $row: '$v' is not a positive number: $line"
	done
	for col in map_crossing_ratio read_crossing_ratio read_crossing_ns_1t \
		read_inpage_ns_1t; do
		positive "$(csv_get "$row" "$col")" ||
			fail "results.csv $row $col is not a positive number"
	done
	# system calls frees compact arena max p99.9 raw
	line="$(awk -v r="$row" '/^READER STALLS/ { on = 1 } /^ACCESS/ { on = 0 }
		on && $1 == r' "$WORK/stdout")"
	read -r _ calls sfree scomp sarena smax sp999 sraw <<<"$line"
	[[ "$calls" =~ $INT && "$calls" -gt 0 ]] ||
		fail "READER STALLS $row: calls '$calls' is not a count: $line"
	for v in "$sfree" "$sarena" "$smax" "$sp999" "$sraw"; do
		[[ "$v" =~ $NUM ]] || fail "READER STALLS $row: '$v' is not a number: $line"
	done
	positive "$smax" || fail "READER STALLS $row: max '$smax' is not positive"
	positive "$sp999" || fail "READER STALLS $row: p99.9 '$sp999' is not positive"
	[[ "$(csv_get "$row" stall75_ops)" =~ $INT ]] ||
		fail "results.csv $row stall75_ops is not an integer"
	positive "$(csv_get "$row" stall75_p999_us)" ||
		fail "results.csv $row stall75_p999_us is not a positive number"
done
for what in "objects copied on map, zsmalloc-c16 == 0" \
	"objects copied on read, zsmalloc-c16 == 0" \
	"map+unmap crossing / in-page, 1t c16" \
	"read_begin/end crossing / in-page, 1t c16" \
	"over the frees + zs_compact + zs_arena_compact" \
	"its p99.9 < 1000 us" \
	"utilization by RSS, 75% freed, arena compact + trim"; do
	grep -qF "$what" "$WORK/stdout" || fail "no TARGETS line '$what'"
	grep -F "$what" "$WORK/stdout" | grep -qE " (met|SHORT) " ||
		fail "TARGETS line '$what' has no verdict"
done

# --- a real trace from given files: this binary's own pages ---
if ! "$BIN" --quick --peers=none --files="$BIN" --out="$WORK/real" \
	>"$WORK/stdout2" 2>"$WORK/stderr2"; then
	cat "$WORK/stderr2" >&2
	fail "zsbench --files=<the binary> exited non-zero"
fi
grep -q "^zsmalloc-c8," "$WORK/real/results.csv" ||
	fail "no zsmalloc-c8 row for the real trace"

# A field of the "trace summary:" line: the number before NAME.
field() {
	sed -n 's/.*[ ,]\([0-9][0-9]*\) '"$2"'.*/\1/p' <<<"$1" | head -1
}

# --- the donor's anonymous pages, by --pid: a process zsbench did not
# start, read while it runs ---
"$DONOR" --seed=3 --mib=4 --timeout=300 >"$WORK/donor.out" &
DONOR_PID=$!
for _ in $(seq 1 600); do
	grep -q "^ready" "$WORK/donor.out" && break
	sleep 0.1
done
grep -q "^ready $DONOR_PID " "$WORK/donor.out" ||
	fail "the donor did not say 'ready $DONOR_PID ...': $(cat "$WORK/donor.out")"
if ! "$BIN" --quick --peers=none --pid="$DONOR_PID" --out="$WORK/pid" \
	>"$WORK/pid.out" 2>"$WORK/pid.err"; then
	cat "$WORK/pid.err" >&2
	fail "zsbench --pid=<the donor> exited non-zero"
fi
sum="$(grep "^trace summary: anon," "$WORK/pid.out")" ||
	fail "no anon trace summary for --pid: $(head -3 "$WORK/pid.out")"
read_pages="$(field "$sum" "pages read")"
same="$(field "$sum" "same-filled skipped")"
objects="$(field "$sum" "objects")"
[[ -n "$read_pages" && "$read_pages" -gt 0 ]] ||
	fail "--pid read no pages: $sum"
# the donor writes about 11% of its heap as zero and same-filled pages
[[ -n "$same" && "$same" -gt 0 ]] ||
	fail "--pid skipped no same-filled page: $sum"
[[ "$objects" -eq $((read_pages - same)) ]] ||
	fail "--pid: objects $objects != pages read $read_pages - same-filled $same"
grep -q "^zsmalloc-c8," "$WORK/pid/results.csv" ||
	fail "no zsmalloc-c8 row for the --pid trace"
grep -q "^anon_pages_read,$read_pages\$" "$WORK/pid/run.csv" ||
	fail "run.csv does not record the $read_pages pages read"
# --objects caps what is taken
"$BIN" --quick --pid="$DONOR_PID" --objects=50 --trace-only \
	--out="$WORK/pid50" >"$WORK/pid50.out" 2>"$WORK/pid50.err" ||
	fail "zsbench --pid --objects=50 exited non-zero: $(cat "$WORK/pid50.err")"
grep -q "^trace summary: anon, lz4, 50 objects," "$WORK/pid50.out" ||
	fail "--objects=50 did not cap the --pid trace: $(grep summary "$WORK/pid50.out")"
[[ "$(wc -l <"$WORK/pid50/trace.csv")" -eq 51 ]] ||
	fail "trace.csv of a 50-object trace is not 50 rows and a header"
kill "$DONOR_PID"
wait "$DONOR_PID" 2>/dev/null || true
DONOR_PID=""

# --- the donor started by zsbench: the same trace twice for one seed,
# and a whole quick run on it ---
for run in 1 2; do
	"$BIN" --quick --trace=anon-donor --seed=5 --donor-mib=4 --trace-only \
		--out="$WORK/donor$run" >"$WORK/donor$run.out" \
		2>"$WORK/donor$run.err" ||
		fail "zsbench --trace=anon-donor (run $run) exited non-zero: $(cat "$WORK/donor$run.err")"
done
s1="$(grep "^trace summary: anon," "$WORK/donor1.out")" ||
	fail "no trace summary from --trace=anon-donor"
s2="$(grep "^trace summary: anon," "$WORK/donor2.out")" || true
[[ "$s1" == "$s2" ]] ||
	fail "the donor's trace differs for one seed: '$s1' vs '$s2'"
cmp -s "$WORK/donor1/trace.csv" "$WORK/donor2/trace.csv" ||
	fail "the donor's object sizes differ for one seed"
[[ "$(field "$s1" "objects")" -gt 100 ]] ||
	fail "a 4 MiB donor gave too few objects: $s1"
[[ "$(field "$s1" "same-filled skipped")" -gt 0 ]] ||
	fail "the donor's trace skipped no same-filled page: $s1"
"$BIN" --quick --trace=anon-donor --seed=6 --donor-mib=4 --trace-only \
	--donor="$DONOR" --out="$WORK/donor3" >"$WORK/donor3.out" \
	2>"$WORK/donor3.err" ||
	fail "zsbench --donor=PATH exited non-zero: $(cat "$WORK/donor3.err")"
s3="$(grep "^trace summary: anon," "$WORK/donor3.out")" || true
[[ -n "$s3" && "$s3" != "$s1" ]] ||
	fail "another seed gave the same donor trace (or none): '$s3'"
if ! "$BIN" --quick --peers=none --trace=anon-donor --donor-mib=4 \
	--out="$WORK/donorrun" >"$WORK/donorrun.out" 2>"$WORK/donorrun.err"; then
	cat "$WORK/donorrun.err" >&2
	fail "a quick run on the donor's trace exited non-zero"
fi
grep -q "^kernel-zs-c8," "$WORK/donorrun/results.csv" ||
	fail "no kernel-zs-c8 row for the donor's trace"
# zsbench killed and reaped the donors it started
for run in 1 2; do
	dpid="$(sed -n 's/.*donor: seed .*, pid \([0-9]*\)$/\1/p' \
		"$WORK/donor$run.err")"
	[[ -n "$dpid" ]] || fail "run $run did not say which donor it started"
	if kill -0 "$dpid" 2>/dev/null &&
		grep -q zsbench_anon_donor "/proc/$dpid/cmdline" 2>/dev/null; then
		fail "the donor zsbench started (pid $dpid) is still running"
	fi
done

# --- --scale with a tiny list: one zs and one kernel row per size ---
if ! "$BIN" --quick --scale=300,900 --trace=synthetic-1340 \
	--out="$WORK/scale" >"$WORK/scale.out" 2>"$WORK/scale.err"; then
	cat "$WORK/scale.err" >&2
	fail "zsbench --scale=300,900 exited non-zero"
fi
for n in 300 900; do
	[[ "$(grep -c "^ *$n zs " "$WORK/scale.out")" -eq 1 ]] ||
		fail "--scale: not one zs row for $n in the table"
	[[ "$(grep -c "^ *$n kernel " "$WORK/scale.out")" -eq 1 ]] ||
		fail "--scale: not one kernel row for $n in the table"
	grep -q "^$n,zsmalloc-c16,synthetic-1340," "$WORK/scale/scale.csv" ||
		fail "--scale: no zsmalloc-c16 row for $n in scale.csv"
	grep -q "^$n,kernel-zs-c16,synthetic-1340," "$WORK/scale/scale.csv" ||
		fail "--scale: no kernel-zs-c16 row for $n in scale.csv"
done
[[ "$(wc -l <"$WORK/scale/scale.csv")" -eq 5 ]] ||
	fail "scale.csv is not a header and 4 rows"
# every object read back after compaction, the pool checked: no errors
awk -F, 'NR > 1 && $2 == "zsmalloc-c16" && $15 != 0 { bad = 1 }
	END { exit bad }' "$WORK/scale/scale.csv" ||
	fail "--scale reported errors: $(cat "$WORK/scale/scale.csv")"

# --- --suite: three traces in one run, then the targets across them ---
if ! "$BIN" --quick --suite --out="$WORK/suite" >"$WORK/suite.out" \
	2>"$WORK/suite.err"; then
	cat "$WORK/suite.err" >&2
	fail "zsbench --quick --suite exited non-zero"
fi
SUITE_TRACES="real-3000 real-1000 anon-donor"
n=0
for label in $SUITE_TRACES; do
	n=$((n + 1))
	grep -qx "=== suite trace $n of 3: $label ===" "$WORK/suite.out" ||
		fail "--suite: no section for trace $n, $label"
	# each section is a whole single-trace report
	sect="$(awk -v h="=== suite trace $n of 3: $label ===" '
		$0 == h { on = 1; next } /^=== suite trace / { on = 0 }
		/^TARGETS across traces/ { on = 0 } on' "$WORK/suite.out")"
	for what in "^DENSITY after the fill" "^FRAGMENTATION" "^END TO END" \
		"^TARGETS (zs's goals" "^files written to .*/$label:"; do
		grep -q "$what" <<<"$sect" ||
			fail "--suite: the $label section has no '$what'"
	done
	grep -q "^zsmalloc-c8," "$WORK/suite/$label/results.csv" ||
		fail "--suite: no zsmalloc-c8 row in $label/results.csv"
done
for kv in "trace,anon" "donor,1"; do
	grep -qx "$kv" "$WORK/suite/anon-donor/run.csv" ||
		fail "--suite: the anon-donor trace is not the donor's (no $kv)"
done
grep -q "^trace summary: real, lz4, 1000 objects," "$WORK/suite.out" ||
	fail "--suite: the small real trace does not hold 1000 objects"
[[ "$(grep -c "^TARGETS across traces" "$WORK/suite.out")" -eq 1 ]] ||
	fail "--suite: not one TARGETS across traces table"
# the table: a row per target, a value and a verdict per trace
table="$(awk '/^TARGETS across traces/ { on = 1 } on && /^targets met/ { exit }
	on' "$WORK/suite.out")"
grep -qE "^target +real-3000 +real-1000 +anon-donor$" <<<"$table" ||
	fail "--suite: the table's heading is not the three traces"
CELL='([0-9]+(\.[0-9]+)?|-) (met|SHORT|-)'
for what in "density pages-only <= 1.008" "density all-in <= 1.015" \
	"density all-in < glibc's density by RSS" \
	"utilization 50% freed + zs_compact >= 0.97" \
	"utilization 75% freed + zs_compact >= 0.97" \
	"utilization 90% freed + zs_compact >= 0.97" \
	"utilization by RSS 50% freed >= 0.95" \
	"utilization by RSS 75% freed >= 0.95" \
	"metadata B/object, all-in <= 16" \
	"alloc+free 1t ns <= 1.5x jemalloc's" \
	"store 1t pages/s >= every malloc peer's" \
	"store Nt pages/s >= every malloc peer's" \
	"load 1t pages/s >= every malloc peer's" \
	"load Nt pages/s >= every malloc peer's" \
	"longest reader stall in compaction < 1000 us"; do
	line="$(grep -F "$what" <<<"$table")" ||
		fail "--suite: no row '$what' in TARGETS across traces"
	[[ "${line:50}" =~ ^\ $CELL\ +$CELL\ +$CELL$ ]] ||
		fail "--suite: row '$what' is not three values with verdicts: $line"
done
grep -qE "^targets met +[0-9]+ of 15 +[0-9]+ of 15 +[0-9]+ of 15$" \
	"$WORK/suite.out" || fail "--suite: no 'targets met' row"
for p in $peers; do
	grep -qE "^$p density by RSS +[0-9.]+ +[0-9.]+ +[0-9.]+$" \
		"$WORK/suite.out" ||
		fail "--suite: no reference row for $p's density"
done
# targets.csv: the same table; values sane, verdicts what the values and
# bounds say, and the values those of each trace's results.csv
TCSV="$WORK/suite/targets.csv"
[[ -s "$TCSV" ]] || fail "--suite: no targets.csv"
[[ "$(grep -c "^[a-z0-9_]*,\"" "$TCSV")" -eq $((15 + 6 * $(wc -w <<<"$peers"))) ]] ||
	fail "--suite: targets.csv is not 15 targets and 6 rows per peer"
tget() { # key label field(value|bound|verdict)
	awk -F, -v key="$1" -v col="$2_$3" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		$1 == key && c { sub(/^[^"]*"[^"]*"/, "x"); split($0, f, ",")
			print f[c - 1] }' "$TCSV"
}
in_range() { # value lo hi: lo < value <= hi
	[[ "$1" =~ ^[0-9.e+-]+$ ]] &&
		awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v > lo && v <= hi) }'
}
SAVED_OUT="$OUT"
for label in $SUITE_TRACES; do
	OUT="$WORK/suite/$label" # for csv_get
	dp="$(tget density_pages "$label" value)"
	da="$(tget density_allin "$label" value)"
	in_range "$dp" 0.9999 100 ||
		fail "--suite $label: density pages-only '$dp' is not >= 1.0"
	in_range "$da" 0.9999 100 ||
		fail "--suite $label: density all-in '$da' is not >= 1.0"
	awk -v a="$da" -v p="$dp" 'BEGIN { exit !(a >= p) }' ||
		fail "--suite $label: all-in $da below pages-only $dp"
	[[ "$dp" == "$(csv_get zsmalloc-c16 density_pages)" ]] ||
		fail "--suite $label: targets.csv density $dp is not results.csv's"
	for key in util50_after util75_after util90_after util50_rss \
		util75_rss; do
		u="$(tget "$key" "$label" value)"
		in_range "$u" 0 1 ||
			fail "--suite $label: $key '$u' is not in (0, 1]"
	done
	m="$(tget metadata_per_object "$label" value)"
	in_range "$m" 0 100000 ||
		fail "--suite $label: metadata per object '$m' is not positive"
	[[ "$m" == "$(csv_get zsmalloc-c16 metadata_bytes_per_object)" ]] ||
		fail "--suite $label: metadata $m is not results.csv's"
	s="$(tget reader_stall_compaction "$label" value)"
	in_range "$s" 0 10000000 ||
		fail "--suite $label: reader stall '$s' is not a positive time"
	# every verdict follows from its value and bound ("<" and "<=" in
	# the target: a ceiling); with the peers run, every target is measured
	awk -F, -v label="$label" -v peers="$peers" '
		NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		/^peer_/ { next }
		{
			ceiling = $0 ~ /<=|< /
			sub(/^[^"]*"[^"]*"/, "x")
			v = $(c[label "_value"] - 1)
			b = $(c[label "_bound"] - 1)
			d = $(c[label "_verdict"] - 1)
			if (v == "" || b == "")
				want = "unmeasured"
			else if (ceiling ? v + 0 <= b + 0 : v + 0 >= b + 0)
				want = "met"
			else
				want = "short"
			if (d != want || (want == "unmeasured" && peers != "")) {
				print "targets.csv line " NR ": verdict " d \
					", expected " want >"/dev/stderr"
				bad = 1
			}
		}
		END { exit bad }' "$TCSV" ||
		fail "--suite $label: a verdict in targets.csv does not follow from its value and bound"
done
OUT="$SAVED_OUT"
# the table on stdout says what targets.csv says, row by row
stdout_verdicts="$(awk '/^TARGETS across traces/ { t = 1 }
	t && /^target / { on = 1; next } /^targets met/ { t = on = 0 }
	on { print $(NF - 4), $(NF - 2), $NF }' \
	"$WORK/suite.out" | sed 's/SHORT/short/g; s/-/unmeasured/g')"
csv_verdicts="$(awk -F, 'NR > 1 && !/^peer_/ {
	sub(/^[^"]*"[^"]*"/, "x"); print $4, $7, $10 }' "$TCSV")"
[[ -n "$csv_verdicts" && "$stdout_verdicts" == "$csv_verdicts" ]] ||
	fail "--suite: the verdicts on stdout are not targets.csv's: '$stdout_verdicts' vs '$csv_verdicts'"

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
expect_error "not a number" --quick --scale=10,lots
expect_error "at least 1" --quick --scale=0
expect_error "needs --trace=anon-donor" --quick --donor-mib=4
expect_error "cannot go with" --quick --pid=1 --trace=anon-donor
expect_error "cannot run the donor" --quick --donor=/nonexistent/donor
expect_error "cannot go with --objects" --quick --suite --objects=5
expect_error "cannot go with --trace" --quick --suite --trace=uniform
expect_error "cannot go with --scale" --quick --suite --scale

# A process that cannot be read is an argument error: exit status 2.
expect_exit2() {
	local want="$1"
	shift
	local rc=0
	"$@" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
	[[ $rc -eq 2 ]] ||
		fail "$* exited $rc, not 2: $(cat "$WORK/bad.err")"
	grep -q -- "$want" "$WORK/bad.err" ||
		fail "$*: stderr lacks '$want': $(cat "$WORK/bad.err")"
}
expect_exit2 "no such process" "$BIN" --quick --pid=2147483646 \
	--out="$WORK/bad"
expect_exit2 "not a number" "$BIN" --quick --pid=abc --out="$WORK/bad"
expect_exit2 "must be a process id" "$BIN" --quick --pid=0 --out="$WORK/bad"
# Another user's process: pid 1 as ourselves when not root, else as
# nobody (a copy of the binary where nobody can run it).
if [[ "$(id -u)" -ne 0 ]]; then
	expect_exit2 "cannot read" "$BIN" --quick --pid=1 --out="$WORK/bad"
elif command -v setpriv >/dev/null; then
	NOBODY_DIR="$(mktemp -d /tmp/zsbench_nobody.XXXXXX)"
	chmod 1777 "$NOBODY_DIR"
	cp "$BIN" "$NOBODY_DIR/zsbench"
	chmod 755 "$NOBODY_DIR/zsbench"
	expect_exit2 "cannot read" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$NOBODY_DIR/zsbench" --quick --pid=1 \
		--out="$NOBODY_DIR/out"
fi

echo "PASS"
