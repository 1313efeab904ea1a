# SPDX-License-Identifier: MIT
"""source_files.bzl - the source files behind C libraries, as plain files.

Why: a check that reads sources (tools/findings_coverage_test.sh) must see
every file a fuzz target is built from, as the target's own BUILD lists
them, without each fuzz package exporting its files for it.  An aspect
walks the libraries' deps and gathers their srcs and hdrs.

  source_files(name = "fuzz_sources", deps = ["//fuzz/x:x_lib"])
"""

_Sources = provider(fields = ["files"])

def _sources_aspect_impl(target, ctx):
    direct = []
    for attr in ["srcs", "hdrs"]:
        direct += [f for f in getattr(ctx.rule.files, attr, []) if f.is_source]
    transitive = [
        d[_Sources].files
        for d in getattr(ctx.rule.attr, "deps", [])
        if _Sources in d
    ]
    return [_Sources(files = depset(direct, transitive = transitive))]

_sources_aspect = aspect(
    implementation = _sources_aspect_impl,
    attr_aspects = ["deps"],
)

def _source_files_impl(ctx):
    files = depset(transitive = [d[_Sources].files for d in ctx.attr.deps])

    # As data of a test the files must be in its runfiles, not only built.
    return [DefaultInfo(
        files = files,
        runfiles = ctx.runfiles(transitive_files = files),
    )]

source_files = rule(
    implementation = _source_files_impl,
    attrs = {"deps": attr.label_list(aspects = [_sources_aspect])},
    doc = "Every source file (srcs, hdrs) of deps and of their deps.",
)
