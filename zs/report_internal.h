/* SPDX-License-Identifier: MIT */
/*
 * zs/report_internal.h - how library code reports misuse and corruption.
 *
 * Not a public header.  The base layer every allocator uses (arena,
 * zsmalloc, zbud): one line per finding through zs/report.h's hook, and
 * the one way to stop on corruption, so that no allocator needs another's
 * internals to report.
 */
#ifndef ZS_REPORT_INTERNAL_H
#define ZS_REPORT_INTERNAL_H

#include "zs/finding_formats.h"
#include "zs/findings.h"

/* One "zs: ..." line of the given kind to the report hook (stderr by
 * default).  Call it through ZS_REPORT or a checker's macro, which pass the
 * kind's own format. */
void zs_report_finding(enum zs_finding kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reports kind with its format from finding_formats.h: a kind and words
 * that do not belong together cannot be written, and printf still checks
 * the arguments against the words. */
#define ZS_REPORT(kind, ...) zs_report_finding(kind, kind##_FMT, ##__VA_ARGS__)

/* The format of kind (without "zs: " or a checker's prefix), or NULL with
 * errno EINVAL when kind is not one; for tests that go over every kind. */
const char *zs_finding_format(enum zs_finding kind);

/* Reports "zs: heap corruption detected, aborting" and aborts. */
_Noreturn void zs_corruption_abort(void);

#endif /* ZS_REPORT_INTERNAL_H */
