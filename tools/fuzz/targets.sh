# tools/fuzz/targets.sh - the fuzz targets and their sources, in one place.
#
# Sourced by tools/fuzz/common.sh (campaigns, coverage) and by
# tools/oss-fuzz/build.sh (which cannot depend on anything else here), so
# a new target or source file is named once.  Paths are relative to the
# repository root, which the caller passes.
#
# A target is fuzz/<target>.c (zsmalloc_fuzz: op table zs_ops.c, its ops
# in files of their own, and its death tests zs_fatal.c) or
# fuzz/backends/<name>_fuzz.c (op table <name>_ops.c beside it, and the
# ops in files of their own listed below).  Every target shares the
# interpreter, the model and the death test runner.

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
	echo "$1/fuzz/fuzz_interp.c" "$1/fuzz/fuzz_model.c" \
		"$1/fuzz/fuzz_death.c"
	case $2 in
	zsmalloc_fuzz)
		echo "$1/fuzz/zs_ops.c" "$1/fuzz/zs_arena_pages.c" \
			"$1/fuzz/zs_corrupt.c" "$1/fuzz/zs_page_ops.c" \
			"$1/fuzz/zs_host_fault.c" "$1/fuzz/zs_fatal.c" \
			"$1/fuzz/zs_forge.c" "$1/fuzz/zs_arena_corrupt.c"
		;;
	zbud_fuzz)
		echo "$dir/zbud_ops.c" "$dir/zbud_corrupt.c" \
			"$dir/zbud_page_move.c" "$dir/zbud_host_fault.c" \
			"$dir/zbud_fatal.c" "$dir/zbud_forge.c"
		;;
	*)
		echo "$dir/${2%_fuzz}_ops.c"
		;;
	esac
	echo "$dir/$2.c" "$1"/zs/*.c
}
