# SPDX-License-Identifier: MIT
"""fuzz/fuzz.bzl - a fuzz target, its binaries and its tests, from one call.

Why: every target has the same shape (fuzz/README.md), so one macro makes
everything a target needs, and a new target is a directory and one call:

  fuzz/<t>/BUILD:   zs_fuzz_target(name = "<t>")
    :<t>_lib (+ _asan, _tsan, _msan)  the entry point and op files
                                      (fuzz/<t>/*.c), on //fuzz/common:fuzz
    :<t>                              libFuzzer with --config=fuzz, AFL++
                                      with --config=afl, otherwise the
                                      replay tool (bazel/zs.bzl's
                                      zs_fuzz_engine_deps)
    :<t>_replay_<sanitizer>_test      corpus/<t>/ and its named crashers,
                                      replayed under each sanitizer

  corpus/BUILD:     zs_fuzz_corpora()
    :<t>, :<t>_regressions            each target's corpus and crashers
    :regression_<crasher>_<sanitizer> one test per named crasher

The crasher tests are made in corpus/ because a Bazel glob cannot look
into another package: the tests must be where the files are, so that
dropping a file into corpus/<t>/regressions/ is all it takes to add one.
A target's replay test and crasher tests link the same <t>_lib variant
with fuzz/replay_main.c's main() (//fuzz:replay_main), no engine.
"""

load("//bazel:zs.bzl", "zs_c_test", "zs_cc_library", "zs_fuzz_engine_deps",
     "zs_fuzz_engine_linkopts")

def _lib(target):
    return "//fuzz/%s:%s_lib" % (target, target)

def zs_fuzz_target(
        name,
        srcs = None,
        hdrs = None,
        dict = None,
        options = None,
        variant_deps = ["//zs:zs_fuzzing"],
        replay_sanitizers = ["asan", "msan"],
        replay_sizes = {},
        replay_tags = []):
    """The fuzz target `name` of the calling package, fuzz/<name>/.

    srcs and hdrs default to the package's *.c and *.h; dict and options to
    <name>.dict and <name>.options (OSS-Fuzz's names, which the scripts in
    tools/fuzz/ use too).  variant_deps: the libraries the ops drive, each
    linked in the variant of the sanitizer at hand.  The corpus replay runs
    under each of replay_sanitizers ("tsan" only for targets whose ops run
    threads), with size replay_sizes.get(sanitizer, "medium")."""
    if srcs == None:
        srcs = native.glob(["*.c"])
    if hdrs == None:
        hdrs = native.glob(["*.h"])
    dict = dict or name + ".dict"
    options = options or name + ".options"

    zs_cc_library(
        name = name + "_lib",
        srcs = srcs,
        hdrs = hdrs,
        # White box: the library's internal layouts (//zs:internal is
        # testonly, and so is everything built on it).
        deps = ["//zs:internal"],
        variant_deps = ["//fuzz/common:fuzz"] + variant_deps,
        testonly = True,
        # AFL++'s driver refers to LLVMFuzzerTestOneInput weakly, which
        # pulls nothing out of an archive: keep every object.
        alwayslink = True,
        visibility = ["//visibility:public"],
    )

    # The dictionary and options ride along, as an engine's runner wants
    # them beside the binary.
    native.cc_binary(
        name = name,
        deps = [":%s_lib" % name] + zs_fuzz_engine_deps("//fuzz:replay_main"),
        linkopts = zs_fuzz_engine_linkopts(),
        data = [dict, options],
        tags = ["manual"],
        testonly = True,
    )

    # The corpus and the named crashers, each passed as a directory: the
    # runfiles tree holds exactly the files of the filegroups (open bugs
    # left out), and fuzz/replay_main.c skips README files.
    for sanitizer in replay_sanitizers:
        zs_c_test(
            name = "%s_replay_%s_test" % (name, sanitizer),
            srcs = [],
            size = replay_sizes.get(sanitizer, "medium"),
            sanitizer = sanitizer,
            variant_deps = [":%s_lib" % name, "//fuzz:replay_main"],
            data = [
                "//corpus:" + name,
                "//corpus:%s_regressions" % name,
            ],
            args = ["corpus/" + name, "corpus/%s/regressions" % name],
            env = {"ZS_REPLAY_QUIET": "1"},
            tags = [name] + replay_tags,
        )

def zs_fuzz_corpora(open_bugs = [], sanitizers = ["asan", "msan"]):
    """Every corpus/<t>/ of the calling package (corpus/): the filegroups
    <t> (the corpus files) and <t>_regressions (corpus/<t>/regressions/,
    its README included so that the directory exists in runfiles), and
    one test per named crasher and sanitizer,
    regression_<crasher>_<sanitizer>, tagged fuzz_regression and <t>.

    open_bugs: crashers ("<t>/regressions/<name>") whose bug is not fixed
    yet: their tests are tagged manual, so `bazel test //...` skips them,
    and the replay tests leave them out, until the name is taken off."""
    targets = {}
    for f in native.glob(["*/*", "*/regressions/*"]):
        targets[f.split("/")[0]] = True
    for t in sorted(targets.keys()):
        regressions = t + "/regressions"
        native.filegroup(
            name = t,
            srcs = native.glob([t + "/*"], exclude = [t + "/README*"]),
            visibility = ["//visibility:public"],
        )
        native.filegroup(
            name = t + "_regressions",
            srcs = native.glob([regressions + "/*"], exclude = open_bugs),
            visibility = ["//visibility:public"],
        )
        crashers = native.glob(
            [regressions + "/*"],
            exclude = [regressions + "/README*"],
        )
        for f in crashers:
            base = f[len(regressions) + 1:]
            for sanitizer in sanitizers:
                zs_c_test(
                    name = "regression_%s_%s" % (
                        base.replace("-", "_").replace(".", "_"),
                        sanitizer,
                    ),
                    srcs = [],
                    sanitizer = sanitizer,
                    variant_deps = [_lib(t), "//fuzz:replay_main"],
                    data = [f],
                    args = ["$(location %s)" % f],
                    tags = ["fuzz_regression", t] +
                           (["manual", "open_bug"] if f in open_bugs else []),
                )
