/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_death.h - death tests inside the fuzz interpreters.
 *
 * zs never continues past corruption it detects: it reports what it found,
 * then "heap corruption detected, aborting", and aborts (zs/report.c).
 * Those paths are the hardening's whole point, so the fuzzers drive them
 * too, in a forked child: the child corrupts its copy of the pool and must
 * die of SIGABRT after reporting the expected finding; the parent's pool is
 * untouched and the run goes on.
 */
#ifndef ZS_FUZZ_DEATH_H
#define ZS_FUZZ_DEATH_H

#include "zs/findings.h"

/* Runs fn(arg) in a child process.  Fails the run (fm_fail) unless zs
 * reports exactly two things, a finding of kind `want` (the abort site fn
 * reaches) and then ZS_FINDING_CORRUPTION_ABORT, and the child dies of
 * SIGABRT.  The failure message quotes what the child reported, kinds and
 * lines.  Call it only while the process has one thread. */
void fm_expect_abort(const char *what, enum zs_finding want,
		     void (*fn)(void *arg), void *arg);

#endif /* ZS_FUZZ_DEATH_H */
