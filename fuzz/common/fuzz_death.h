/* SPDX-License-Identifier: MIT */
/*
 * fuzz/common/fuzz_death.h - death tests inside the fuzz interpreters.
 *
 * zs never continues past corruption it detects: it reports one exact line
 * and aborts (zs/report.c).  Those paths are the hardening's whole point,
 * so the fuzzers drive them too, in a forked child: the child corrupts its
 * copy of the pool and must die of SIGABRT after reporting the expected
 * line; the parent's pool is untouched and the run goes on.
 */
#ifndef ZS_FUZZ_DEATH_H
#define ZS_FUZZ_DEATH_H

/* Runs fn(arg) in a child process.  Fails the run (fm_fail) unless fn
 * declares with fm_death_expect the exact report it will cause, zs then
 * reports that line and "zs: heap corruption detected, aborting", and the
 * child dies of SIGABRT.  Call it only while the process has one thread. */
void fm_expect_abort(const char *what, void (*fn)(void *arg), void *arg);

/* In the child: the exact report (with its "zs: " prefix) the next call
 * must make.  The child works it out because only it sees the addresses
 * and indexes the corruption involves. */
void fm_death_expect(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif /* ZS_FUZZ_DEATH_H */
