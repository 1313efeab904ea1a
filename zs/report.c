/*
 * report.c - the one place zs speaks up about misuse and corruption.
 *
 * Every report is a fixed message prefixed "zs: " on stderr, so logs and
 * fuzz crash triage can match them exactly.  Corruption (an inconsistency
 * the allocator cannot explain by misuse) is never continued past: it
 * aborts, because every later answer would be a guess.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "zs/zs_internal.h"

void zs_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("zs: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

_Noreturn void zs_corruption_abort(void)
{
	fputs("zs: heap corruption detected, aborting\n", stderr);
	abort();
}
