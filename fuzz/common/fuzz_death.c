// SPDX-License-Identifier: MIT
/*
 * fuzz/common/fuzz_death.c - forked death tests for the fuzz interpreters
 * (fuzz/common/fuzz_death.h).
 *
 * The child routes zs's reports into a pipe through the report hook, one
 * line each, "<kind number> <report>", so the parent can compare kinds and
 * still quote the words when they are wrong; and it replaces the engine's
 * SIGABRT handler (libFuzzer would otherwise treat the expected abort as a
 * crash and write an artifact).  Under clang's source-based coverage the
 * child writes its profile before dying, so the abort paths count as
 * reached.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fork, pipe, with -std=c11 */
#endif

#include "fuzz/common/fuzz_death.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz/common/fuzz_model.h"
#include "fuzz/common/fuzz_plant.h"
#include "zs/report.h"

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

static void child_report(enum zs_finding kind, const char *message, void *arg)
{
	char line[640];
	int n;

	(void)arg;
	n = snprintf(line, sizeof(line), "%d %s\n", (int)kind, message);
	if (n > 0)
		write_all(report_fd, line,
			  (size_t)n < sizeof(line) ? (size_t)n :
						     sizeof(line) - 1);
}

static void child_on_abort(int sig)
{
	if (__llvm_profile_write_file)
		__llvm_profile_write_file();
	/* abort() raises again with the default action once we return */
	signal(sig, SIG_DFL);
}

/* What the child reported: up to 4 reports, kinds and lines. */
struct child_reports {
	unsigned n;
	enum zs_finding kind[4];
	char quoted[2048]; /* every report, as NAME: "line", joined by "; " */
};

static void parse_reports(char *out, struct child_reports *r)
{
	size_t len = 0, room = sizeof(r->quoted);
	char *line, *next, *text;

	r->n = 0;
	snprintf(r->quoted, room, "nothing");
	for (line = out; *line; line = next) {
		long k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		k = strtol(line, &text, 10);
		if (text == line || *text != ' ')
			k = ZS_FINDING_NONE; /* not a report line */
		else
			text++;
		if (r->n < 4)
			r->kind[r->n] = (enum zs_finding)k;
		if (len < room)
			len += (size_t)snprintf(
				r->quoted + len, room - len, "%s%s: \"%s\"",
				r->n ? "; " : "",
				fm_finding_name((enum zs_finding)k), text);
		r->n++;
	}
}

/* Everything the child wrote until it closed the pipe (by dying). */
static void read_child(int fd, char *out, size_t size)
{
	size_t len = 0;

	for (;;) {
		ssize_t r = read(fd, out + len, size - 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	out[len] = '\0';
}

void fm_expect_abort(const char *what, enum zs_finding want,
		     void (*fn)(void *arg), void *arg)
{
	struct child_reports r;
	char out[2048];
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
	read_child(fds[0], out, sizeof(out));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fm_fail("%s: waitpid: errno %d", what, errno);
	parse_reports(out, &r);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fm_fail("%s: the child %s %d, expected death by SIGABRT; it "
			"reported %s",
			what, WIFSIGNALED(status) ? "died of signal" : "exited",
			WIFSIGNALED(status) ? WTERMSIG(status) :
					      WEXITSTATUS(status),
			r.quoted);
	if (r.n != 2 || r.kind[0] != want ||
	    r.kind[1] != ZS_FINDING_CORRUPTION_ABORT)
		fm_fail("%s: zs reported %s; expected %s then %s", what,
			r.quoted, fm_finding_name(want),
			fm_finding_name(ZS_FINDING_CORRUPTION_ABORT));
}
