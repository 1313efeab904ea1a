// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/anon.c - the anonymous pages of a running process, and
 * the donor process that makes such a trace reproducible.
 *
 * What zram holds on a real machine is not file data but the anonymous
 * memory of swapped-out processes: heaps, stacks, unnamed mappings.  This
 * reads that memory from a live process (--pid): its private mappings
 * without a backing file from /proc/PID/maps, the present pages among
 * them from /proc/PID/pagemap (where it cannot be read, every page is
 * read and a never-touched one comes back as zeros, which the same-filled
 * test then skips, as zram would), and their bytes from /proc/PID/mem.
 * Pages are sampled in evenly spaced runs when there are more than the
 * trace wants, as the /usr trace samples files.
 *
 * The donor (anon_donor.c, --trace=anon-donor) is started, read and
 * killed here, so a test can make the same anonymous trace every time.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pread on /proc, kill, strsignal */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/zsbench/zsbench.h"

/* Pages are read in runs of this many neighbouring present pages. */
#define RUN_PAGES 16
/* Entries read from pagemap at once: 8 bytes each. */
#define PM_BATCH 512
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)

/* One run of candidate pages, and the index of its first page among all
 * candidates. */
struct span {
	uint64_t addr;
	uint64_t pages;
	uint64_t first;
};

struct spans {
	struct span *v;
	size_t n, cap;
	uint64_t pages;
};

static int spans_add(struct spans *s, uint64_t addr, uint64_t pages)
{
	struct span *last = s->n ? &s->v[s->n - 1] : NULL;

	if (!pages)
		return 0;
	if (last && last->addr + last->pages * ZB_PAGE == addr) {
		last->pages += pages;
		s->pages += pages;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct span *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].addr = addr;
	s->v[s->n].pages = pages;
	s->v[s->n].first = s->pages;
	s->n++;
	s->pages += pages;
	return 0;
}

static uint64_t span_addr(const struct spans *s, uint64_t g)
{
	size_t lo = 0, hi = s->n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (s->v[mid].first <= g)
			lo = mid;
		else
			hi = mid;
	}
	return s->v[lo].addr + (g - s->v[lo].first) * ZB_PAGE;
}

/* Private, readable and without a file: [heap], [stack], names a program
 * gave with PR_SET_VMA_ANON_NAME, and unnamed mappings.  The kernel's own
 * ([vdso], [vvar], ...) are not the process's data. */
static int anon_mapping(const char *perms, unsigned long inode,
			const char *path)
{
	if (perms[0] != 'r' || perms[3] != 'p' || inode != 0)
		return 0;
	if (!*path)
		return 1;
	return !strcmp(path, "[heap]") || !strncmp(path, "[stack", 6) ||
	       !strncmp(path, "[anon:", 6);
}

/* Present (or swapped out: the data exists) pages of one mapping, from
 * pagemap; every page when pagemap is not readable. */
static int add_present(struct spans *s, int pm, uint64_t start, uint64_t end,
		       struct zb_anon_stats *st)
{
	uint64_t e[PM_BATCH], a = start;
	int err = 0;

	if (pm < 0) {
		st->present += (end - start) / ZB_PAGE;
		return spans_add(s, start, (end - start) / ZB_PAGE);
	}
	while (a < end && !err) {
		size_t want = (size_t)((end - a) / ZB_PAGE), i, got;
		ssize_t r;

		if (want > PM_BATCH)
			want = PM_BATCH;
		r = pread(pm, e, want * 8, (off_t)(a / ZB_PAGE * 8));
		if (r <= 0) {
			/* the mapping went away under us: nothing there */
			break;
		}
		got = (size_t)r / 8;
		for (i = 0; i < got && !err; i++)
			if (e[i] & (PM_PRESENT | PM_SWAPPED)) {
				st->present++;
				err = spans_add(s, a + i * ZB_PAGE, 1);
			}
		a += got * ZB_PAGE;
	}
	return err;
}

static int open_proc(long pid, const char *what, int *err)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	*err = fd < 0 ? errno : 0;
	return fd;
}

static int proc_error(long pid, const char *what, int e)
{
	if (e == ENOENT || e == ESRCH) {
		fprintf(stderr, "zsbench: --pid=%ld: no such process\n", pid);
		return -ESRCH;
	}
	if (e == EACCES || e == EPERM) {
		fprintf(stderr,
			"zsbench: --pid=%ld: cannot read its %s: %s (another user's process, or one that is not a descendant where Yama's ptrace_scope is 1, needs CAP_SYS_PTRACE)\n",
			pid, what, strerror(e));
		return -EPERM;
	}
	fprintf(stderr, "zsbench: --pid=%ld: cannot read its %s: %s\n", pid,
		what, strerror(e));
	return -EINVAL;
}

static int cmp_range(const void *a, const void *b)
{
	const struct zb_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Sorted, overlaps merged: a page in two ranges is one page. */
static size_t merge_ranges(struct zb_range *r, size_t n)
{
	size_t i, m = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp_range);
	for (i = 1; i < n; i++) {
		if (r[i].start <= r[m].end) {
			if (r[i].end > r[m].end)
				r[m].end = r[i].end;
		} else {
			r[++m] = r[i];
		}
	}
	return m + 1;
}

/* The candidate pages of every anonymous mapping (within the ranges, if
 * any are given). */
static int find_pages(long pid, const struct zb_range *only, size_t nonly,
		      struct spans *s, struct zb_anon_stats *st)
{
	char line[4096 + 256];
	FILE *f;
	int fd, pm, e, err = 0;

	fd = open_proc(pid, "maps", &e);
	if (fd < 0)
		return proc_error(pid, "memory map", e);
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	pm = open_proc(pid, "pagemap", &e);
	st->pagemap = pm >= 0;
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		unsigned long inode;
		char perms[8], *path = NULL;
		unsigned maj, min;
		int n = 0, seen;
		size_t len, i;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %lu %n", &start,
			   &end, perms, &off, &maj, &min, &inode, &n) < 7 ||
		    strlen(perms) < 4)
			continue;
		path = line + n;
		len = strlen(path);
		while (len && (path[len - 1] == '\n' || path[len - 1] == ' '))
			path[--len] = '\0';
		if (!anon_mapping(perms, inode, path))
			continue;
		if (!nonly) {
			st->mappings++;
			st->vm_pages += (end - start) / ZB_PAGE;
			err = add_present(s, pm, start, end, st);
			continue;
		}
		for (i = 0, seen = 0; i < nonly && !err; i++) {
			uint64_t a = only[i].start > start ? only[i].start :
							     start;
			uint64_t b = only[i].end < end ? only[i].end : end;

			if (a >= b)
				continue;
			seen = 1;
			st->vm_pages += (b - a) / ZB_PAGE;
			err = add_present(s, pm, a, b, st);
		}
		st->mappings += seen;
	}
	if (ferror(f) && !err) {
		/* the process exited while its map was read */
		err = proc_error(pid, "memory map", errno ? errno : ESRCH);
	}
	fclose(f);
	if (pm >= 0)
		close(pm);
	return err;
}

int zb_anon_read(long pid, const struct zb_range *only, size_t nonly,
		 size_t want, zb_page_fn take, void *arg,
		 struct zb_anon_stats *st)
{
	struct zb_range r[ZB_MAX_RANGES];
	struct spans s = { 0 };
	uint8_t page[ZB_PAGE];
	uint64_t nruns, g0, g, k;
	double stride;
	int mem, e, err, pass, done = 0;

	memset(st, 0, sizeof(*st));
	st->pid = pid;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return proc_error(pid, "memory", ESRCH);
	if (nonly > ZB_MAX_RANGES)
		nonly = ZB_MAX_RANGES;
	memcpy(r, only, nonly * sizeof(*r));
	nonly = merge_ranges(r, nonly);
	err = find_pages(pid, r, nonly, &s, st);
	if (err)
		goto out;
	mem = open_proc(pid, "mem", &e);
	if (mem < 0) {
		err = proc_error(pid, "memory", e);
		goto out;
	}
	/* opening is not the whole check: the first read tells */
	if (s.n && pread(mem, page, ZB_PAGE, (off_t)s.v[0].addr) < 0 &&
	    (errno == EPERM || errno == EACCES)) {
		err = proc_error(pid, "memory", errno);
		close(mem);
		goto out;
	}
	zb_progress("pid %ld: %zu anonymous mappings%s, %" PRIu64
		    " pages mapped, %" PRIu64 " present%s",
		    pid, st->mappings, nonly ? " (the ranges given)" : "",
		    st->vm_pages, st->present,
		    st->pagemap ?
			    "" :
			    " (pagemap unreadable: all taken as present)");

	/* Runs of RUN_PAGES spaced over all candidates; later passes start
	 * further into each stride to make up for same-filled pages. */
	nruns = (want + RUN_PAGES - 1) / RUN_PAGES;
	if (nruns * RUN_PAGES >= s.pages)
		stride = RUN_PAGES;
	else
		stride = (double)s.pages / (double)nruns;
	for (pass = 0; !done && (double)(pass + 1) * RUN_PAGES <= stride + 0.5;
	     pass++) {
		for (k = 0; !done; k++) {
			g0 = (uint64_t)((double)k * stride) +
			     (uint64_t)pass * RUN_PAGES;
			if (g0 >= s.pages)
				break;
			for (g = g0; g < g0 + RUN_PAGES && g < s.pages && !done;
			     g++) {
				ssize_t got = pread(mem, page, ZB_PAGE,
						    (off_t)span_addr(&s, g));

				if (got != (ssize_t)ZB_PAGE) {
					st->unreadable++;
					continue;
				}
				st->read++;
				done = take(arg, page);
			}
		}
	}
	close(mem);
	if (st->read == 0) {
		if (kill((pid_t)pid, 0) && errno == ESRCH)
			err = proc_error(pid, "memory", ESRCH);
		else {
			fprintf(stderr,
				"zsbench: --pid=%ld: no readable anonymous page\n",
				pid);
			err = -ENODATA;
		}
	}
out:
	free(s.v);
	return err;
}

/* --- the donor --- */

int zb_donor_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -ENOENT;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if (snprintf(out, len, "%s/zsbench_anon_donor", self) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* How long the donor may take to build its heap before it is given up:
 * a few seconds per hundred MiB on a loaded machine. */
static int ready_timeout_ms(unsigned mib)
{
	return 30000 + (int)(mib > 100000 ? 100000 : mib) * 200;
}

/* "ready PID START-END ...": the pid, then the ranges, in hex. */
static int parse_ready(const char *buf, long child, struct zb_range *r,
		       size_t *nr)
{
	const char *p;
	char *end;
	long pid;
	int n = 0;

	*nr = 0;
	if (sscanf(buf, "ready %ld%n", &pid, &n) != 1 || pid != child)
		return -1;
	p = buf + n;
	while (*p == ' ') {
		uint64_t a, b;

		a = strtoull(p + 1, &end, 16);
		if (*end != '-')
			return -1;
		b = strtoull(end + 1, &end, 16);
		if (b <= a || *nr == ZB_MAX_RANGES)
			return -1;
		r[*nr].start = a;
		r[*nr].end = b;
		(*nr)++;
		p = end;
	}
	return *p == '\n' ? 0 : -1;
}

int zb_donor_start(const char *path, uint64_t seed, unsigned mib, long *pid,
		   struct zb_range *r, size_t *nr)
{
	char a_seed[40], a_mib[24], buf[1024];
	char *argv[] = { "zsbench_anon_donor", a_seed, a_mib, "--timeout=3600",
			 NULL };
	size_t got = 0;
	int p[2], status;
	pid_t child;

	if (access(path, X_OK)) {
		fprintf(stderr,
			"zsbench: cannot run the donor %s: %s (it is //tools:zsbench_anon_donor; --donor=PATH names another)\n",
			path, strerror(errno));
		return -ENOENT;
	}
	snprintf(a_seed, sizeof(a_seed), "--seed=%" PRIu64, seed);
	snprintf(a_mib, sizeof(a_mib), "--mib=%u", mib);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(p[1]);
	zb_progress("donor: seed %" PRIu64 ", %u MiB, pid %ld", seed, mib,
		    (long)child);
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, ready_timeout_ms(mib)) <= 0)
			break;
		n = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	buf[got] = '\0';
	if (!parse_ready(buf, (long)child, r, nr)) {
		*pid = (long)child;
		return 0;
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	if (WIFEXITED(status))
		fprintf(stderr,
			"zsbench: the donor %s exited with status %d before it was ready\n",
			path, WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		fprintf(stderr,
			"zsbench: the donor %s died before it was ready: %s\n",
			path, strsignal(WTERMSIG(status)));
	else
		fprintf(stderr,
			"zsbench: the donor %s was not ready within %d s\n",
			path, ready_timeout_ms(mib) / 1000);
	return -EIO;
}

void zb_donor_stop(long pid)
{
	int status;

	kill((pid_t)pid, SIGKILL);
	waitpid((pid_t)pid, &status, 0);
}
