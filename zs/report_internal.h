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

/* One "zs: ..." line to the report hook (stderr by default). */
void zs_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports "zs: heap corruption detected, aborting" and aborts. */
_Noreturn void zs_corruption_abort(void);

#endif /* ZS_REPORT_INTERNAL_H */
