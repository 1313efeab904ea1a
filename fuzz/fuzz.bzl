"""fuzz/fuzz.bzl - corpus replay tests for fuzz targets.

Why: `bazel test //...` must run every corpus file and every named crasher
under the sanitizers, with no fuzzing engine.  A target's fuzz library (a
zs_cc_library holding LLVMFuzzerTestOneInput) is linked with
fuzz/replay_main.c, built with the sanitizer of the test (bazel/zs.bzl).
"""

load("//bazel:zs.bzl", "zs_c_test")

def zs_fuzz_replay_test(name, fuzz_lib, sanitizer, data, dirs, **kwargs):
    """Replays every file under `dirs` (and files in `data` given by label
    through $(locations)) with `fuzz_lib` built for `sanitizer`."""
    zs_c_test(
        name = name,
        srcs = ["//fuzz:replay_main.c"],
        sanitizer = sanitizer,
        variant_deps = [fuzz_lib],
        data = data,
        args = dirs,
        **kwargs
    )

def zs_fuzz_regression_tests(fuzz_lib, directory, open_bugs = [],
                             sanitizers = ["asan", "msan"]):
    """One test per named crasher in `directory` of the calling package
    (regression_<name>_<sanitizer>).  Crashers listed in open_bugs are
    tagged manual: their bug is not fixed yet, so `bazel test //...` skips
    them until the name is taken off the list."""
    files = native.glob(
        [directory + "/*"],
        exclude = [directory + "/README.md"],
    )
    for f in files:
        base = f[len(directory) + 1:]
        for sanitizer in sanitizers:
            zs_c_test(
                name = "regression_%s_%s" % (
                    base.replace("-", "_").replace(".", "_"),
                    sanitizer,
                ),
                srcs = ["//fuzz:replay_main.c"],
                sanitizer = sanitizer,
                variant_deps = [fuzz_lib],
                data = [f],
                args = ["$(location %s)" % f],
                tags = ["fuzz_regression"] +
                       (["manual", "open_bug"] if base in open_bugs else []),
            )
