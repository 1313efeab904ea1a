/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_plant.h - a planted corruption and the checker's verdict
 * on it.
 *
 * Every corrupt op works the same way: write what makes one finding of a
 * checker (zs_pool_check, zbud_pool_check, zs_arena_check) true, run the
 * checker with its reports captured through zs/report.h's hook, undo the
 * writes, and require -EUCLEAN with exactly one report, of the finding's
 * kind (zs/findings.h), then a clean check.  Kinds, not texts, are
 * compared: the words are the library's to change, the finding is the
 * contract.  The text is kept for failure messages and traces.
 */
#ifndef ZS_FUZZ_PLANT_H
#define ZS_FUZZ_PLANT_H

#include "fuzz/common/fuzz_patch.h"
#include "zs/findings.h"
#include "zs/report.h"

/* What zs reported while the capture was in place. */
struct fm_capture {
	unsigned n;
	enum zs_finding first; /* ZS_FINDING_NONE when n == 0 */
	char text[512]; /* the first report's line */
	zs_report_hook *old_hook;
	void *old_arg;
};

/* Sends zs's reports into cap until fm_capture_end; not nestable. */
void fm_capture_begin(struct fm_capture *cap);
void fm_capture_end(struct fm_capture *cap);

/* A kind's name for messages, also for ZS_FINDING_NONE ("no report"). */
const char *fm_finding_name(enum zs_finding kind);

/* Runs check(subject) with its reports captured; requires 0 and no report
 * (fm_fail naming `when` otherwise). */
void fm_expect_check_clean(int (*check)(void *subject), void *subject,
			   const char *when);

/* One planting: its writes, the checker that must see them and the one
 * finding it must make. */
struct fm_plant {
	struct fm_patch_log log;
	const char *name; /* the planting's name, for messages */
	enum zs_finding want;
	int (*check)(void *subject);
	void *subject;
};

/* Runs the plant's checker with its reports captured; returns its result. */
int fm_plant_check(const struct fm_plant *p, struct fm_capture *cap);

/* Mid-planting, for a finding that is one only past a legal state (a
 * zspage isolated by compaction, a page move in flight, a compaction
 * running): what is planted so far must check clean.  No lock the checker
 * takes may be held.  On failure the planting is undone first. */
void fm_plant_expect_clean(struct fm_plant *p, const char *state);

/* The verdict on the whole planting (ret and cap from fm_plant_check; the
 * writes may already be undone): -EUCLEAN and exactly one report, of
 * p->want.  Traces it. */
void fm_plant_expect_found(const struct fm_plant *p, int ret,
			   const struct fm_capture *cap);

/* After fm_unpatch: the checker passes without a report. */
void fm_plant_expect_undone(const struct fm_plant *p);

#endif /* ZS_FUZZ_PLANT_H */
