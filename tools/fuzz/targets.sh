# SPDX-License-Identifier: MIT
# tools/fuzz/targets.sh - the fuzz targets and their files, by convention.
#
# Sourced by tools/fuzz/common.sh (campaigns, coverage) and by
# tools/oss-fuzz/build.sh (which cannot depend on anything else here).
# The targets are the names in fuzz/targets.txt; everything else follows
# from the name, so a new target is named once:
#   fuzz/<t>/*.c              its entry point <t>.c and its op files
#   fuzz/<t>/<t>.dict, .options
#   fuzz/common/*.c           the interpreter, the model, the death runner
#   corpus/<t>/               its corpus
#   corpus/<t>/regressions/   its named crashers
# Every function takes the repository root first (paths come out under it).

# zs_fuzz_targets ROOT: every target's name, on one line; the first is the
# scripts' default.
zs_fuzz_targets() {
	# shellcheck disable=SC2046
	echo $(sed -e 's/#.*//' "$1/fuzz/targets.txt")
}

# zs_fuzz_dir ROOT TARGET: where the target's .c, .dict and .options are.
zs_fuzz_dir() {
	echo "$1/fuzz/$2"
}

# zs_fuzz_sources ROOT TARGET: the target's C sources, library included.
zs_fuzz_sources() {
	echo "$1"/fuzz/common/*.c "$1/fuzz/$2"/*.c "$1"/zs/*.c
}

# zs_fuzz_corpus ROOT TARGET: the target's corpus files (top level only:
# not BUILD, README or the regressions/ directory).
zs_fuzz_corpus() {
	find "$1/corpus/$2" -maxdepth 1 -type f ! -name BUILD ! -name 'README*' |
		sort
}

# zs_fuzz_regressions ROOT TARGET: the target's named crashers.
zs_fuzz_regressions() {
	local d=$1/corpus/$2/regressions
	if [ -d "$d" ]; then
		find "$d" -maxdepth 1 -type f ! -name 'README*' | sort
	fi
}
