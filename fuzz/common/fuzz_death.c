// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_death.c - forked death tests for the fuzz interpreters
 * (fuzz/common/fuzz_death.h).
 *
 * The child routes zs's reports into a pipe through the report hook, so
 * the parent can compare them exactly, and replaces the engine's SIGABRT
 * handler (libFuzzer would otherwise treat the expected abort as a crash
 * and write an artifact).  Under clang's source-based coverage the child
 * writes its profile before dying, so the abort paths count as reached.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fork, pipe, with -std=c11 */
#endif

#include "fuzz/common/fuzz_death.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz/common/fuzz_model.h"
#include "zs/report.h"

#define ABORT_LINE "zs: heap corruption detected, aborting"
#define EXPECT_TAG "expect: "

/* Defined by the profile runtime only in coverage builds. */
extern int __llvm_profile_write_file(void) __attribute__((weak));

static int report_fd = -1;

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void child_report(const char *message, void *arg)
{
	(void)arg;
	write_all(report_fd, message, strlen(message));
	write_all(report_fd, "\n", 1);
}

void fm_death_expect(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	write_all(report_fd, EXPECT_TAG, strlen(EXPECT_TAG));
	write_all(report_fd, line, strlen(line));
	write_all(report_fd, "\n", 1);
}

static void child_on_abort(int sig)
{
	if (__llvm_profile_write_file)
		__llvm_profile_write_file();
	/* abort() raises again with the default action once we return */
	signal(sig, SIG_DFL);
}

void fm_expect_abort(const char *what, void (*fn)(void *arg), void *arg)
{
	char out[2048], want[1024], *report, *end;
	size_t len = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		fm_fail("%s: pipe: errno %d", what, errno);
	pid = fork();
	if (pid < 0)
		fm_fail("%s: fork: errno %d", what, errno);
	if (pid == 0) {
		close(fds[0]);
		report_fd = fds[1];
		zs_set_report_hook(child_report, NULL, NULL);
		signal(SIGABRT, child_on_abort);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], out + len, sizeof(out) - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fm_fail("%s: waitpid: errno %d", what, errno);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fm_fail("%s: the child %s %d, expected death by SIGABRT; its "
			"output was \"%s\"",
			what, WIFSIGNALED(status) ? "died of signal" : "exited",
			WIFSIGNALED(status) ? WTERMSIG(status) :
					      WEXITSTATUS(status),
			out);
	/* "expect: X\nX\n" ABORT_LINE "\n", nothing else */
	end = strchr(out, '\n');
	if (strncmp(out, EXPECT_TAG, strlen(EXPECT_TAG)) || !end)
		fm_fail("%s: the child declared no expected report; its output "
			"was \"%s\"",
			what, out);
	report = end + 1;
	snprintf(want, sizeof(want), "%.*s\n" ABORT_LINE "\n",
		 (int)(end - out - strlen(EXPECT_TAG)),
		 out + strlen(EXPECT_TAG));
	if (strcmp(report, want))
		fm_fail("%s: zs reported \"%s\", expected \"%s\"", what, report,
			want);
}
