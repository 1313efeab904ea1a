/* SPDX-License-Identifier: MIT */
/*
 * zs/report.h - where zs's one-line reports of misuse and corruption go.
 *
 * By default every report is written to stderr as one line starting "zs: ".
 * A program that keeps its own log (or a test that wants to assert the
 * exact words) installs a hook instead.  Reports are rare, so the hook is
 * process-wide and swapped under a lock rather than made lock-free.
 */
#ifndef ZS_REPORT_H
#define ZS_REPORT_H

#include "zs/findings.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called with what was found (zs/findings.h; zs_finding_name() spells it)
 * and the whole report, "zs: " prefix included, no newline.  It runs while
 * zs holds internal locks, so it must not call back into zs (except
 * zs_finding_name, which takes none). */
typedef void zs_report_hook(enum zs_finding kind, const char *message,
			    void *arg);

/* Installs hook (NULL restores stderr) and returns the previous one; *old_arg
 * receives its argument when old_arg is not NULL. */
zs_report_hook *zs_set_report_hook(zs_report_hook *hook, void *arg,
				   void **old_arg);

#ifdef __cplusplus
}
#endif

#endif /* ZS_REPORT_H */
