#!/bin/bash -eu
# SPDX-License-Identifier: MIT
# .clusterfuzzlite/build.sh - ClusterFuzzLite's build script for zs.
#
# ClusterFuzzLite runs it like OSS-Fuzz runs a project's build.sh, with the
# same environment ($CC, $CFLAGS, $LIB_FUZZING_ENGINE, $OUT, ...), so it
# hands over to tools/oss-fuzz/build.sh: one build script for both
# services.  The Dockerfile leaves the working directory at the checkout.
exec bash -eu "$SRC/zs/tools/oss-fuzz/build.sh"
