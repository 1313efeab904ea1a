// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_plant.c - capturing a checker's reports and judging a
 * planted corruption by kind (fuzz/common/fuzz_plant.h).
 *
 * The capture keeps the first report's kind and line and counts the rest:
 * one finding per planting is the contract, so a second report is a
 * failure whatever it says, and the first is what a failure message needs.
 */
#include "fuzz/common/fuzz_plant.h"

#include <errno.h>
#include <stdio.h>

#include "fuzz/common/fuzz_model.h"

static void capture_hook(enum zs_finding kind, const char *message, void *arg)
{
	struct fm_capture *cap = arg;

	if (cap->n++ == 0) {
		cap->first = kind;
		snprintf(cap->text, sizeof(cap->text), "%s", message);
	}
}

void fm_capture_begin(struct fm_capture *cap)
{
	cap->n = 0;
	cap->first = ZS_FINDING_NONE;
	cap->text[0] = '\0';
	cap->old_hook = zs_set_report_hook(capture_hook, cap, &cap->old_arg);
}

void fm_capture_end(struct fm_capture *cap)
{
	zs_set_report_hook(cap->old_hook, cap->old_arg, NULL);
}

const char *fm_finding_name(enum zs_finding kind)
{
	const char *name;

	if (kind == ZS_FINDING_NONE)
		return "no report";
	name = zs_finding_name(kind);
	return name ? name : "a kind not in zs/findings.h";
}

/* "no report", or how many and the first, for failure messages. */
static const char *described(const struct fm_capture *cap, char *buf,
			     size_t size)
{
	if (!cap->n)
		return "no report";
	snprintf(buf, size, "%u report%s, the first %s \"%s\"", cap->n,
		 cap->n == 1 ? "" : "s", fm_finding_name(cap->first),
		 cap->text);
	return buf;
}

static int check_captured(int (*check)(void *subject), void *subject,
			  struct fm_capture *cap)
{
	int ret;

	fm_capture_begin(cap);
	ret = check(subject);
	fm_capture_end(cap);
	return ret;
}

void fm_expect_check_clean(int (*check)(void *subject), void *subject,
			   const char *when)
{
	struct fm_capture cap;
	int ret = check_captured(check, subject, &cap);
	char buf[640];

	if (ret || cap.n)
		fm_fail("the check %s returned %d with %s", when, ret,
			described(&cap, buf, sizeof(buf)));
}

int fm_plant_check(const struct fm_plant *p, struct fm_capture *cap)
{
	return check_captured(p->check, p->subject, cap);
}

void fm_plant_expect_clean(struct fm_plant *p, const char *state)
{
	struct fm_capture cap;
	int ret = fm_plant_check(p, &cap);
	char buf[640];

	if (ret || cap.n) {
		fm_unpatch(&p->log);
		fm_fail("corruption \"%s\": with %s (legal) planted, the check "
			"returned %d with %s",
			p->name, state, ret, described(&cap, buf, sizeof(buf)));
	}
}

void fm_plant_expect_found(const struct fm_plant *p, int ret,
			   const struct fm_capture *cap)
{
	char buf[640];

	fm_trace("  corrupt %s: %d, %u reports, %s \"%s\"\n", p->name, ret,
		 cap->n, fm_finding_name(cap->first), cap->text);
	if (ret != -EUCLEAN || cap->n != 1 || cap->first != p->want)
		fm_fail("corruption \"%s\": the check returned %d with %s; "
			"expected %d with one report, %s",
			p->name, ret, described(cap, buf, sizeof(buf)),
			-EUCLEAN, fm_finding_name(p->want));
}

void fm_plant_expect_undone(const struct fm_plant *p)
{
	char when[160];

	snprintf(when, sizeof(when), "after undoing corruption \"%s\"",
		 p->name);
	fm_expect_check_clean(p->check, p->subject, when);
}
