// SPDX-License-Identifier: MIT
/*
 * tools/zsbench/measure.c - clocks, RSS, random numbers and thread starts.
 *
 * Every system is measured with the same helpers, in the parent and in the
 * peer children alike, so that a difference in the table is a difference
 * between allocators, not between measuring loops.  The random generator is
 * xoshiro256** seeded by splitmix64: the same seed frees the same objects
 * in every process.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create, open_memstream, asprintf */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tools/zsbench/zsbench.h"

uint8_t zb_pattern[2 * ZB_PAGE];

uint64_t zb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Resident set size from /proc/self/statm without allocating, so that
 * measuring does not disturb the heap being measured. */
long zb_rss_bytes(void)
{
	char buf[128];
	long size, resident;
	ssize_t len;
	int fd;

	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	buf[len] = '\0';
	if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
		return -1;
	return resident * sysconf(_SC_PAGESIZE);
}

uint64_t zb_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Progress lines carry wall and CPU seconds since the first one: on a
 * shared machine the gap between them is time other processes took. */
static uint64_t wall0, cpu0;

/* A peer child counts wall time from its parent's start (the monotonic
 * clock is the same in every process), CPU time from its own. */
void zb_progress_base(uint64_t base)
{
	wall0 = base;
}

uint64_t zb_progress_wall0(void)
{
	return wall0;
}

void zb_progress(const char *fmt, ...)
{
	struct timespec ts;
	uint64_t cpu;
	va_list ap;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	cpu = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (!wall0)
		wall0 = zb_now_ns();
	if (!cpu0)
		cpu0 = cpu ? cpu : 1;
	va_start(ap, fmt);
	fprintf(stderr, "zsbench [%6.1fs wall %6.1fs cpu]: ",
		(double)(zb_now_ns() - wall0) / 1e9,
		/* a forked measurement process starts its CPU time at 0 */
		(double)(cpu >= cpu0 ? cpu - cpu0 : cpu) / 1e9);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void zb_rng_seed(struct zb_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t zb_rng_next(struct zb_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double zb_rng_unit(struct zb_rng *r)
{
	return (double)(zb_rng_next(r) >> 11) * 0x1.0p-53;
}

double zb_rng_normal(struct zb_rng *r)
{
	double u1, u2;

	do
		u1 = zb_rng_unit(r);
	while (u1 <= 0.0);
	u2 = zb_rng_unit(r);
	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void zb_shuffle(uint32_t *perm, size_t n, uint64_t seed, uint64_t salt)
{
	struct zb_rng r;
	size_t i;

	zb_rng_seed(&r, seed ^ (salt * 0x9e3779b97f4a7c15ull));
	for (i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	for (i = n; i > 1; i--) {
		size_t j = zb_rng_next(&r) % i;
		uint32_t tmp = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = tmp;
	}
}

void zb_pattern_init(uint64_t seed)
{
	struct zb_rng r;
	size_t i;

	zb_rng_seed(&r, seed ^ 0x7a7362656e6368ull);
	for (i = 0; i < sizeof(zb_pattern); i++)
		zb_pattern[i] = (uint8_t)zb_rng_next(&r);
}

struct thread_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int open;
};

struct thread_start {
	struct thread_gate *gate;
	zb_thread_fn fn;
	void *arg;
};

/* Threads wait at a gate rather than a barrier, so that a failed
 * pthread_create still lets the started ones run and be joined. */
static void *thread_main(void *p)
{
	struct thread_start *ts = p;

	pthread_mutex_lock(&ts->gate->lock);
	while (!ts->gate->open)
		pthread_cond_wait(&ts->gate->cond, &ts->gate->lock);
	pthread_mutex_unlock(&ts->gate->lock);
	ts->fn(ts->arg);
	return NULL;
}

int zb_run_threads(int n, zb_thread_fn fn, void *args, size_t arg_size)
{
	struct thread_gate gate = { PTHREAD_MUTEX_INITIALIZER,
				    PTHREAD_COND_INITIALIZER, 0 };
	struct thread_start ts[64];
	pthread_t tid[64];
	int i, started, err = 0;

	if (n < 1 || n > 64)
		return -EINVAL;
	if (n == 1) {
		fn(args);
		return 0;
	}
	for (started = 0; started < n; started++) {
		ts[started].gate = &gate;
		ts[started].fn = fn;
		ts[started].arg = (char *)args + (size_t)started * arg_size;
		err = pthread_create(&tid[started], NULL, thread_main,
				     &ts[started]);
		if (err)
			break;
	}
	pthread_mutex_lock(&gate.lock);
	gate.open = 1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return err ? -err : 0;
}

FILE *zb_out_open(const struct zb_config *cfg, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cfg->out_dir, name);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "zsbench: cannot write %s: %s\n", path,
			strerror(errno));
	return f;
}
