# tools/fuzz/targets.sh - the fuzz targets and their sources, in one place.
#
# Sourced by tools/fuzz/common.sh (campaigns, coverage) and by
# tools/oss-fuzz/build.sh (which cannot depend on anything else here), so
# a new target or source file is named once.  Paths are relative to the
# repository root, which the caller passes.
#
# A target is fuzz/<target>.c (zsmalloc_fuzz: interpreter zs_ops.c and its
# death tests zs_fatal.c) or fuzz/backends/<name>_fuzz.c (interpreter
# <name>_ops.c beside it).  Every target shares the model and the death
# test runner.

# zs_fuzz_targets ROOT: every target's name.
zs_fuzz_targets() {
	echo zsmalloc_fuzz $(cd "$1/fuzz/backends" 2>/dev/null &&
		ls ./*_fuzz.c 2>/dev/null | sed 's|^\./||; s|\.c$||')
}

# zs_fuzz_dir ROOT TARGET: where the target's .c, .dict and .options are.
zs_fuzz_dir() {
	if [ -f "$1/fuzz/$2.c" ]; then
		echo "$1/fuzz"
	else
		echo "$1/fuzz/backends"
	fi
}

# zs_fuzz_sources ROOT TARGET: the target's C sources, library included.
zs_fuzz_sources() {
	local dir
	dir=$(zs_fuzz_dir "$1" "$2")
	echo "$1/fuzz/fuzz_model.c" "$1/fuzz/fuzz_death.c"
	if [ "$2" = zsmalloc_fuzz ]; then
		echo "$1/fuzz/zs_ops.c" "$1/fuzz/zs_fatal.c"
	else
		echo "$dir/${2%_fuzz}_ops.c"
	fi
	echo "$dir/$2.c" "$1"/zs/*.c
}
