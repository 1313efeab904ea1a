// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/peers.c - the malloc peers, each run in its own process.
 *
 * jemalloc and mimalloc replace malloc when loaded, so each peer runs in a
 * child: this same binary re-executed (/proc/self/exe) with LD_PRELOAD set
 * to the peer's shared object (none for glibc).  The trace goes to the
 * child in a memfd it inherits; the child prints "ZSPEER key=value" lines
 * whose keys are metric names, parsed here into the peer's result row.
 * Peer names and libraries are checked before anything long runs, so a
 * typo or a missing package fails at once with a clear message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/zsbench/peer_proto.h"
#include "tools/zsbench/zsbench.h"

extern char **environ;

struct known_peer {
	const char *name;
	const char *const sonames[3];
	const char *package;
};

static const struct known_peer known[] = {
	{ "glibc", { NULL }, "libc6" },
	{ "jemalloc", { "libjemalloc.so.2", NULL }, "libjemalloc2" },
	{ "mimalloc",
	  { "libmimalloc.so.2", "libmimalloc.so", NULL },
	  "libmimalloc2.0" },
	{ "tcmalloc",
	  { "libtcmalloc.so.4", "libtcmalloc_minimal.so.4", NULL },
	  "libgoogle-perftools4" },
};

static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu",
	"/lib/x86_64-linux-gnu",
	"/usr/lib/aarch64-linux-gnu",
	"/usr/lib64",
	"/usr/lib",
	"/usr/local/lib",
};

static int is_elf(const char *path)
{
	unsigned char m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = read(fd, m, 4) == 4 && m[0] == 0x7f && m[1] == 'E' &&
	     m[2] == 'L' && m[3] == 'F';
	close(fd);
	return ok;
}

static int find_lib(const struct known_peer *k, char *out, size_t outlen)
{
	size_t d, s;

	for (s = 0; k->sonames[s]; s++)
		for (d = 0; d < sizeof(lib_dirs) / sizeof(lib_dirs[0]); d++) {
			snprintf(out, outlen, "%s/%s", lib_dirs[d],
				 k->sonames[s]);
			if (access(out, R_OK) == 0 && is_elf(out))
				return 0;
		}
	return -ENOENT;
}

/* "glibc,jemalloc,mimalloc", "none", or entries NAME=/path/lib.so. */
int zb_peers_parse(const char *list, struct zb_config *cfg)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	cfg->npeers = 0;
	if (!copy)
		return -ENOMEM;
	if (!strcmp(copy, "none") || !copy[0]) {
		free(copy);
		return 0;
	}
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		struct zb_peer *p;
		char *eq = strchr(tok, '=');
		size_t i;

		if (cfg->npeers == ZB_MAX_PEERS) {
			fprintf(stderr, "zsbench: --peers: at most %d peers\n",
				ZB_MAX_PEERS);
			err = -EINVAL;
			break;
		}
		p = &cfg->peers[cfg->npeers];
		memset(p, 0, sizeof(*p));
		if (eq) {
			*eq = '\0';
			if (!tok[0] || strlen(tok) >= sizeof(p->name)) {
				fprintf(stderr,
					"zsbench: --peers: bad name in '%s=%s'\n",
					tok, eq + 1);
				err = -EINVAL;
				break;
			}
			snprintf(p->name, sizeof(p->name), "%s", tok);
			snprintf(p->lib, sizeof(p->lib), "%s", eq + 1);
			if (access(p->lib, R_OK)) {
				fprintf(stderr,
					"zsbench: --peers: %s: library %s: %s\n",
					p->name, p->lib, strerror(errno));
				err = -ENOENT;
			} else if (!is_elf(p->lib)) {
				fprintf(stderr,
					"zsbench: --peers: %s: %s is not a shared object (no ELF header)\n",
					p->name, p->lib);
				err = -EINVAL;
			}
			cfg->npeers++;
			continue;
		}
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(tok, known[i].name))
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			fprintf(stderr,
				"zsbench: --peers: unknown peer '%s' (known: glibc, jemalloc, mimalloc, tcmalloc; or NAME=/path/to/lib.so)\n",
				tok);
			err = -EINVAL;
			break;
		}
		snprintf(p->name, sizeof(p->name), "%s", known[i].name);
		if (known[i].sonames[0] &&
		    find_lib(&known[i], p->lib, sizeof(p->lib))) {
			fprintf(stderr,
				"zsbench: --peers: %s: %s not found in the system library directories (Debian package %s)\n",
				tok, known[i].sonames[0], known[i].package);
			err = -ENOENT;
			break;
		}
		if (!known[i].sonames[0])
			p->lib[0] = '\0';
		cfg->npeers++;
	}
	free(copy);
	return err;
}

/* The trace in a memfd the children inherit. */
static int trace_memfd(const struct zb_trace *t)
{
	struct zb_peer_hdr hdr = { 0 };
	size_t sizes_len = t->n * sizeof(uint32_t);
	uint64_t raw_off;
	int fd;

	raw_off = (sizeof(hdr) + sizes_len + ZB_PAGE - 1) &
		  ~(uint64_t)(ZB_PAGE - 1);
	fd = memfd_create("zsbench-trace", 0);
	if (fd < 0)
		return -errno;
	hdr.magic = ZB_PEER_MAGIC;
	hdr.n = t->n;
	hdr.nraw = t->nraw;
	hdr.total = t->total;
	hdr.comp = (uint32_t)t->comp;
	hdr.raw_off = raw_off;
	if (ftruncate(fd, (off_t)(raw_off + t->nraw * ZB_PAGE)) ||
	    pwrite(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    pwrite(fd, t->sizes, sizes_len, sizeof(hdr)) !=
		    (ssize_t)sizes_len ||
	    (t->nraw && pwrite(fd, t->raw, t->nraw * ZB_PAGE, (off_t)raw_off) !=
				(ssize_t)(t->nraw * ZB_PAGE))) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	return fd;
}

static char **child_env(const struct zb_peer *p)
{
	size_t n = 0, i, j = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[j++] = environ[i];
	if (p->lib[0]) {
		size_t len = strlen(p->lib) + 12;

		env[j] = malloc(len);
		if (!env[j]) {
			free(env);
			return NULL;
		}
		snprintf(env[j], len, "LD_PRELOAD=%s", p->lib);
		j++;
	}
	env[j] = NULL;
	return env;
}

static void parse_line(char *line, struct zb_row *row, int *failed)
{
	char *save = NULL, *tok;

	if (strncmp(line, "ZSPEER ", 7))
		return;
	line += 7;
	if (!strncmp(line, "error=", 6)) {
		fprintf(stderr, "zsbench: peer %s: %s\n", row->name, line + 6);
		*failed = 1;
		return;
	}
	if (!strncmp(line, "note=", 5)) {
		snprintf(row->note, sizeof(row->note), "%s", line + 5);
		return;
	}
	for (tok = strtok_r(line, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		int m;

		if (!eq)
			continue;
		*eq = '\0';
		m = zb_metric_by_name(tok);
		if (m >= 0)
			row->v[m] = strtod(eq + 1, NULL);
	}
}

static int run_peer(const struct zb_config *cfg, const struct zb_peer *p,
		    int tfd, struct zb_row *row)
{
	char a_fd[32], a_seed[48], a_thr[32], a_ops[48], a_reps[32];
	char a_wall[48];
	char *argv[12], **env, *out = NULL, *line, *save = NULL;
	size_t len = 0, cap = 0;
	int pipefd[2], status, failed = 0;
	pid_t pid;

	snprintf(a_fd, sizeof(a_fd), "--peer-fd=%d", tfd);
	snprintf(a_seed, sizeof(a_seed), "--seed=%llu",
		 (unsigned long long)cfg->seed);
	snprintf(a_thr, sizeof(a_thr), "--threads=%d", cfg->threads);
	snprintf(a_ops, sizeof(a_ops), "--pair-ops=%zu", cfg->pair_ops);
	snprintf(a_reps, sizeof(a_reps), "--reps=%d", cfg->reps);
	snprintf(a_wall, sizeof(a_wall), "--wall0=%llu",
		 (unsigned long long)zb_progress_wall0());
	argv[0] = "zsbench";
	argv[1] = "--peer-child";
	argv[2] = (char *)p->name;
	argv[3] = (char *)(p->lib[0] ? p->lib : "-");
	argv[4] = a_fd;
	argv[5] = a_seed;
	argv[6] = a_thr;
	argv[7] = a_ops;
	argv[8] = a_reps;
	argv[9] = a_wall;
	argv[10] = NULL;
	env = child_env(p);
	if (!env || pipe2(pipefd, O_CLOEXEC)) {
		free(env);
		return -ENOMEM;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		free(env);
		return -errno;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execve("/proc/self/exe", argv, env);
		fprintf(stderr, "zsbench: cannot re-execute itself: %s\n",
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t got;

		if (len + 4096 + 1 > cap) {
			char *n = realloc(out, cap ? cap * 2 : 16384);

			if (!n)
				break;
			out = n;
			cap = cap ? cap * 2 : 16384;
		}
		got = read(pipefd[0], out + len, cap - len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out) {
		out[len] = '\0';
		for (line = strtok_r(out, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			parse_line(line, row, &failed);
	}
	free(out);
	{
		/* the LD_PRELOAD entry is the last one, and ours */
		size_t i = 0;

		while (env[i])
			i++;
		if (p->lib[0] && i)
			free(env[i - 1]);
		free(env);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		if (WIFSIGNALED(status))
			fprintf(stderr,
				"zsbench: peer %s: child killed by signal %d\n",
				p->name, WTERMSIG(status));
		else
			fprintf(stderr,
				"zsbench: peer %s: child exited with status %d\n",
				p->name, WEXITSTATUS(status));
		failed = 1;
	}
	return failed ? -EIO : 0;
}

int zb_peers_run(const struct zb_config *cfg, const struct zb_trace *t,
		 struct zb_results *r)
{
	int tfd, i, err = 0;

	if (cfg->npeers == 0)
		return 0;
	tfd = trace_memfd(t);
	if (tfd < 0) {
		fprintf(stderr,
			"zsbench: cannot pass the trace to the peers: %s\n",
			strerror(-tfd));
		r->errors++;
		return tfd;
	}
	for (i = 0; i < cfg->npeers; i++) {
		const struct zb_peer *p = &cfg->peers[i];
		struct zb_row *row = zb_row_add(r, p->name, "malloc");

		if (!row)
			break;
		zb_progress("peer %s%s%s: fill, free, trim, speed, end to end",
			    p->name, p->lib[0] ? " via LD_PRELOAD=" : "",
			    p->lib);
		row->v[M_ERRORS] = 0;
		if (run_peer(cfg, p, tfd, row)) {
			row->v[M_ERRORS] = 1;
			snprintf(row->note, sizeof(row->note),
				 "FAILED, see stderr");
			r->errors++;
			err = -EIO;
		}
	}
	close(tfd);
	return err;
}
