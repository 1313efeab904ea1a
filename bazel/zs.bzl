# SPDX-License-Identifier: MIT
"""zs.bzl - sanitizer variants of libraries and the tests that link them.

Why: the plain `bazel test //...` must itself run the corpus replays under
ASan + UBSan and the stress tests under TSan, not only when someone
remembers a --config.  So every library is built several times from the
same sources (zs_cc_library), and each test names the sanitizer it wants
(zs_c_test, zs_gtest); the test links the matching variant of each library
in `variant_deps`.

  zs_cc_library(name = "zs")   makes  :zs        no sanitizer
                                      :zs_asan   ASan + UBSan
                                      :zs_tsan   TSan
                                      :zs_msan   MSan (clang only)

When a whole-build sanitizer is on (--config=asan/tsan/msan/fuzz/afl, see
.bazelrc), the per-target flags step aside: the variants are then all built
with that one sanitizer, since ASan, TSan and MSan exclude each other.
"""

# Variants made by zs_cc_library, besides the plain one.
SANITIZERS = ["asan", "tsan", "msan"]

# Compile and link flags of each variant.  -fno-sanitize-recover makes
# UBSan's reports fatal (halt_on_error alone does not stop recoverable
# checks at build time).
_SAN_FLAGS = {
    "none": [],
    "asan": ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
    "tsan": ["-fsanitize=thread"],
    "msan": ["-fsanitize=memory", "-fsanitize-memory-track-origins=2"],
}

# Reports need whole stacks and line numbers.
_DEBUG_COPTS = ["-fno-omit-frame-pointer", "-g"]

# Runtime options of every sanitizer, for every test made here (each
# runtime reads only its own variable).  The same values are in .bazelrc's
# configs for tests made without these macros.  allocator_may_return_null
# lets tests see the library's -ENOMEM path when the OS refuses memory.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=1:print_stacktrace=1:" +
                    "detect_leaks=1:strict_string_checks=1:" +
                    "detect_stack_use_after_return=1:" +
                    "check_initialization_order=1:" +
                    "allocator_may_return_null=1",
    "UBSAN_OPTIONS": "halt_on_error=1:abort_on_error=1:print_stacktrace=1:" +
                     "report_error_type=1",
    "TSAN_OPTIONS": "halt_on_error=1:abort_on_error=1:" +
                    "second_deadlock_stack=1:history_size=4",
    "MSAN_OPTIONS": "halt_on_error=1:abort_on_error=1:print_stacktrace=1",
    "LSAN_OPTIONS": "print_suppressions=0",
}

def _check(sanitizer):
    if sanitizer not in _SAN_FLAGS:
        fail("sanitizer must be one of %s, not %r" %
             (sorted(_SAN_FLAGS.keys()), sanitizer))

def _suffix(sanitizer):
    return "" if sanitizer == "none" else "_" + sanitizer

def san_copts(sanitizer):
    """Compile flags for `sanitizer`, or none under a whole-build one."""
    _check(sanitizer)
    if sanitizer == "none":
        return []
    return select({
        "//bazel:global_sanitizer": [],
        "//conditions:default": _SAN_FLAGS[sanitizer] + _DEBUG_COPTS,
    })

def san_linkopts(sanitizer):
    """Link flags for `sanitizer`, or none under a whole-build one."""
    _check(sanitizer)
    if sanitizer == "none":
        return []
    return select({
        "//bazel:global_sanitizer": [],
        "//conditions:default": _SAN_FLAGS[sanitizer],
    })

def san_compatible_with(sanitizer):
    """MSan exists only in clang: elsewhere the target is skipped."""
    if sanitizer != "msan":
        return []
    return select({
        "//bazel:clang": [],
        "//conditions:default": ["@platforms//:incompatible"],
    })

def san_deps(variant_deps, sanitizer):
    """The `sanitizer` variant of each library made by zs_cc_library."""
    return [d + _suffix(sanitizer) for d in variant_deps]

def zs_cc_library(
        name,
        srcs = [],
        hdrs = [],
        deps = [],
        variant_deps = [],
        copts = [],
        linkopts = [],
        tags = [],
        **kwargs):
    """A C library and its sanitizer variants name_asan, name_tsan, name_msan.

    deps are linked as they are; variant_deps must be zs_cc_library targets
    and each variant links the same variant of them.
    """
    for sanitizer in ["none"] + SANITIZERS:
        native.cc_library(
            name = name + _suffix(sanitizer),
            srcs = srcs,
            hdrs = hdrs,
            deps = deps + san_deps(variant_deps, sanitizer),
            copts = copts + san_copts(sanitizer),
            linkopts = linkopts + san_linkopts(sanitizer),
            linkstatic = True,
            target_compatible_with = san_compatible_with(sanitizer),
            tags = tags + ([] if sanitizer == "none" else [sanitizer]),
            **kwargs
        )

def _test(name, sanitizer, deps, variant_deps, copts, linkopts, env, tags,
          **kwargs):
    _check(sanitizer)
    native.cc_test(
        name = name,
        deps = deps + san_deps(variant_deps, sanitizer),
        copts = copts + san_copts(sanitizer),
        linkopts = linkopts + san_linkopts(sanitizer),
        env = dict(SANITIZER_ENV, **env),
        linkstatic = True,
        target_compatible_with = san_compatible_with(sanitizer),
        tags = tags + ([] if sanitizer == "none" else [sanitizer]),
        **kwargs
    )

def zs_c_test(
        name,
        srcs,
        sanitizer = "asan",
        deps = [],
        variant_deps = ["//zs:zs"],
        copts = [],
        linkopts = [],
        env = {},
        tags = [],
        **kwargs):
    """A C test built with `sanitizer` ("asan", "tsan", "msan" or "none"),
    linked with that variant of every library in variant_deps (by default
    //zs:zs) and run with the sanitizers' options set (SANITIZER_ENV)."""
    _test(name, sanitizer, deps, variant_deps, copts, linkopts, env, tags,
          srcs = srcs, **kwargs)

def zs_gtest(
        name,
        srcs,
        sanitizer = "asan",
        deps = [],
        variant_deps = ["//zs:zs"],
        copts = [],
        linkopts = [],
        env = {},
        tags = [],
        **kwargs):
    """A Google Test (C++17, Debian's gtest with gtest_main) built like
    zs_c_test.  Not under MSan: Debian's libgtest and libstdc++ are not
    instrumented, so MSan would report their every read."""
    if sanitizer == "msan":
        fail("zs_gtest: MSan needs an instrumented libstdc++; use zs_c_test")
    _test(name, sanitizer, deps + ["@gtest//:gtest"], variant_deps, copts,
          linkopts, env, tags + ["gtest", "no_msan"], srcs = srcs, **kwargs)

def zs_fuzz_engine_deps(replay_main):
    """deps that give a fuzz target (LLVMFuzzerTestOneInput) its main():
    libFuzzer under --config=fuzz, AFL++'s driver under --config=afl, and
    otherwise `replay_main`, a plain main() that replays files, so that
    `bazel test //...` replays the corpus without any engine."""
    return select({
        "//bazel:engine_libfuzzer": [],
        "//bazel:engine_afl": ["//bazel:afl_driver"],
        "//conditions:default": [replay_main],
    })

def zs_fuzz_engine_linkopts():
    """linkopts that go with zs_fuzz_engine_deps."""
    return select({
        "//bazel:engine_libfuzzer": ["-fsanitize=fuzzer"],
        "//conditions:default": [],
    })
