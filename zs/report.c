// SPDX-License-Identifier: MIT
/*
 * report.c - the one place zs speaks up about misuse and corruption.
 *
 * Every report is a fixed message prefixed "zs: ", on stderr or through the
 * hook of zs/report.h, so logs and fuzz crash triage can match them exactly.
 * Each has a kind (zs/findings.h), passed to the hook beside the text, and
 * each kind's words are one literal of zs/finding_formats.h.
 * Corruption (an inconsistency the allocator cannot explain by misuse) is
 * never continued past: it aborts, because every later answer would be a
 * guess.
 */
#include "zs/report.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "zs/report_internal.h"

/* Long enough for every message zs formats; a longer one is cut, never
 * overrun. */
#define ZS_REPORT_MAX 512

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static zs_report_hook *report_hook;
static void *report_arg;

zs_report_hook *zs_set_report_hook(zs_report_hook *hook, void *arg,
				   void **old_arg)
{
	zs_report_hook *old;

	pthread_mutex_lock(&report_lock);
	old = report_hook;
	if (old_arg)
		*old_arg = report_arg;
	report_hook = hook;
	report_arg = arg;
	pthread_mutex_unlock(&report_lock);
	return old;
}

#define ZS_FINDING_NAME_(kind) [kind] = #kind,
#define ZS_FINDING_FORMAT_(kind) [kind] = kind##_FMT,

static const char *const finding_names[ZS_FINDING_COUNT] = {
	[ZS_FINDING_NONE] = NULL,
	ZS_FINDINGS(ZS_FINDING_NAME_)
};

/* Built from the list, so a kind added without its format fails to build. */
static const char *const finding_formats[ZS_FINDING_COUNT] = {
	[ZS_FINDING_NONE] = NULL,
	ZS_FINDINGS(ZS_FINDING_FORMAT_)
};

static bool is_kind(enum zs_finding kind)
{
	/* Through unsigned, so a negative value is out of range too. */
	if ((unsigned)kind >= ZS_FINDING_COUNT || kind == ZS_FINDING_NONE) {
		errno = EINVAL;
		return false;
	}
	return true;
}

const char *zs_finding_name(enum zs_finding kind)
{
	return is_kind(kind) ? finding_names[kind] : NULL;
}

const char *zs_finding_format(enum zs_finding kind)
{
	return is_kind(kind) ? finding_formats[kind] : NULL;
}

void zs_report_finding(enum zs_finding kind, const char *fmt, ...)
{
	char msg[ZS_REPORT_MAX] = "zs: ";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + 4, sizeof(msg) - 4, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&report_lock);
	if (report_hook)
		report_hook(kind, msg, report_arg);
	else
		fprintf(stderr, "%s\n", msg);
	pthread_mutex_unlock(&report_lock);
}

_Noreturn void zs_corruption_abort(void)
{
	ZS_REPORT(ZS_FINDING_CORRUPTION_ABORT);
	abort();
}
