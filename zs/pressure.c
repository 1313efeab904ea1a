// SPDX-License-Identifier: MIT
/*
 * pressure.c - the pressure monitor: a thread that shrinks pools and
 * arenas on soft limits, explicit requests and Linux PSI events.
 *
 * The thread sleeps in poll() on an eventfd (explicit notifications) and,
 * when available, a PSI trigger fd, waking every poll_ms to look at soft
 * limits.  Reclaim runs under the monitor's mutex, which is also what
 * remove_pool takes: once remove returns, the monitor will not touch the
 * pool again, so the caller may destroy it.  The monitor never holds a zs
 * lock itself; it only calls the public shrinker API.
 *
 * A psi_path is trusted only once it proves to be a PSI file: on procfs or
 * cgroup2, and reading "some avg10=...".  Anything else would accept the
 * trigger write (/dev/null swallows it, a regular file stores it) and then
 * never signal, so PSI would look armed while it can never fire.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_CLOEXEC, fstatfs and eventfd with -std=c11 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "zs/host.h"
#include "zs/pressure.h"

#define DEFAULT_POLL_MS 100
#define DEFAULT_STALL_US 100000
#define DEFAULT_WINDOW_US 1000000

struct watched_pool {
	struct zs_pool *pool;
	unsigned long soft_limit;
};

struct zs_pressure {
	pthread_mutex_t lock;
	pthread_t thread;
	int wake_fd; /* eventfd: notify and stop */
	int psi_fd; /* -1 without PSI */
	bool stopping;
	unsigned poll_ms;
	struct watched_pool *pools;
	size_t npools, cap_pools;
	struct zs_arena **arenas;
	size_t narenas, cap_arenas;
	struct zs_pressure_stats stats;
};

/* 0 when fd is a PSI file (/proc/pressure/<res>, <cgroup>/<res>.pressure),
 * else -EINVAL; *st receives its identity. */
static int psi_validate(int fd, struct stat *st)
{
	static const char want[] = "some avg10=";
	char head[sizeof(want) - 1];
	struct statfs sfs;
	ssize_t n;

	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || fstatfs(fd, &sfs) < 0)
		return -EINVAL;
	if ((unsigned long)sfs.f_type != PROC_SUPER_MAGIC &&
	    (unsigned long)sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EINVAL;
	n = read(fd, head, sizeof(head));
	if (n != (ssize_t)sizeof(head) || memcmp(head, want, sizeof(head)))
		return -EINVAL;
	return 0;
}

/* Arms a PSI trigger; returns the fd or -errno. */
static int psi_open(const char *path, unsigned stall_us, unsigned window_us)
{
	struct stat ro_st, rw_st;
	char trig[64];
	int fd, n, err;

	/* Validated through a read-only descriptor first, so a directory or
	 * a file we may not write is still named "not PSI" (EINVAL) rather
	 * than by the error of opening it for writing. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = psi_validate(fd, &ro_st);
	close(fd);
	if (err)
		return err;
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the path may have been replaced in between */
	if (fstat(fd, &rw_st) < 0 || rw_st.st_dev != ro_st.st_dev ||
	    rw_st.st_ino != ro_st.st_ino) {
		close(fd);
		return -EINVAL;
	}
	n = snprintf(trig, sizeof(trig), "some %u %u", stall_us, window_us);
	/* the kernel wants the terminating NUL too */
	if (write(fd, trig, (size_t)n + 1) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Shrinks everything registered; lock held. */
static unsigned long reclaim_locked(struct zs_pressure *mon, unsigned long goal)
{
	unsigned long freed = 0;
	size_t i;

	for (i = 0; i < mon->npools && (goal == 0 || freed < goal); i++) {
		struct zs_pool *pool = mon->pools[i].pool;
		unsigned long want;

		/* No goal: all compaction can give, which may be more than
		 * the shrinker's count (an estimate). */
		if (!goal) {
			freed += zs_compact(pool);
			continue;
		}
		want = zs_shrinker_count(pool);
		if (want > goal - freed)
			want = goal - freed;
		if (want)
			freed += zs_shrinker_scan(pool, want);
	}
	for (i = 0; i < mon->narenas; i++) {
		mon->stats.arena_pages_moved +=
			zs_arena_compact(mon->arenas[i]);
		zs_arena_trim(mon->arenas[i]);
	}
	mon->stats.pages_freed += freed;
	return freed;
}

static void check_soft_limits(struct zs_pressure *mon)
{
	size_t i;

	for (i = 0; i < mon->npools; i++) {
		struct watched_pool *w = &mon->pools[i];
		unsigned long held = zs_get_total_pages(w->pool);

		if (w->soft_limit && held > w->soft_limit &&
		    zs_shrinker_count(w->pool)) {
			mon->stats.soft_limit_events++;
			mon->stats.pages_freed +=
				zs_shrinker_scan(w->pool, held - w->soft_limit);
		}
	}
}

static void *monitor_main(void *arg)
{
	struct zs_pressure *mon = arg;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = mon->wake_fd, .events = POLLIN },
			{ .fd = mon->psi_fd, .events = POLLPRI },
		};
		int n = poll(fds, mon->psi_fd >= 0 ? 2 : 1, (int)mon->poll_ms);

		pthread_mutex_lock(&mon->lock);
		if (mon->stopping) {
			pthread_mutex_unlock(&mon->lock);
			break;
		}
		if (n > 0 && (fds[0].revents & POLLIN)) {
			uint64_t v;

			if (read(mon->wake_fd, &v, sizeof(v)) == sizeof(v)) {
				mon->stats.explicit_events++;
				reclaim_locked(mon, 0);
			}
		}
		if (n > 0 && mon->psi_fd >= 0) {
			if (fds[1].revents & POLLPRI) {
				mon->stats.psi_events++;
				reclaim_locked(mon, 0);
			} else if (fds[1].revents & (POLLERR | POLLNVAL)) {
				/* the monitored cgroup went away */
				close(mon->psi_fd);
				mon->psi_fd = -1;
				mon->stats.psi_active = 0;
				mon->stats.psi_error = ENODEV;
			}
		}
		check_soft_limits(mon);
		pthread_mutex_unlock(&mon->lock);
	}
	return NULL;
}

struct zs_pressure *zs_pressure_create(const struct zs_pressure_config *cfg)
{
	static const struct zs_pressure_config defaults;
	struct zs_pressure *mon;
	const char *path;
	int err;

	if (!cfg)
		cfg = &defaults;
	mon = zs_host_calloc(1, sizeof(*mon));
	if (!mon) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&mon->lock, NULL);
	mon->poll_ms = cfg->poll_ms ? cfg->poll_ms : DEFAULT_POLL_MS;
	mon->psi_fd = -1;
	mon->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (mon->wake_fd < 0) {
		err = errno;
		goto fail;
	}
	path = cfg->psi_path ? cfg->psi_path : "/proc/pressure/memory";
	if (*path) {
		int fd = psi_open(path,
				  cfg->psi_stall_us ? cfg->psi_stall_us :
						      DEFAULT_STALL_US,
				  cfg->psi_window_us ? cfg->psi_window_us :
						       DEFAULT_WINDOW_US);

		if (fd >= 0) {
			mon->psi_fd = fd;
			mon->stats.psi_active = 1;
		} else {
			mon->stats.psi_error = -fd;
		}
	}
	err = pthread_create(&mon->thread, NULL, monitor_main, mon);
	if (err)
		goto fail;
	return mon;
fail:
	if (mon->wake_fd >= 0)
		close(mon->wake_fd);
	if (mon->psi_fd >= 0)
		close(mon->psi_fd);
	pthread_mutex_destroy(&mon->lock);
	free(mon);
	errno = err;
	return NULL;
}

void zs_pressure_destroy(struct zs_pressure *mon)
{
	uint64_t one = 1;

	if (!mon)
		return;
	pthread_mutex_lock(&mon->lock);
	mon->stopping = true;
	pthread_mutex_unlock(&mon->lock);
	/* a failed write means the counter is saturated: awake anyway */
	(void)!write(mon->wake_fd, &one, sizeof(one));
	pthread_join(mon->thread, NULL);
	close(mon->wake_fd);
	if (mon->psi_fd >= 0)
		close(mon->psi_fd);
	pthread_mutex_destroy(&mon->lock);
	free(mon->pools);
	free(mon->arenas);
	free(mon);
}

static int grow(void **array, size_t *cap, size_t n, size_t elem)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	p = zs_host_realloc(*array, ncap * elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = ncap;
	return 0;
}

int zs_pressure_add_pool(struct zs_pressure *mon, struct zs_pool *pool,
			 unsigned long soft_limit_pages)
{
	size_t i;
	int err = 0;

	if (!mon || !pool)
		return -EINVAL;
	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->npools; i++)
		if (mon->pools[i].pool == pool)
			err = -EEXIST;
	if (!err)
		err = grow((void **)&mon->pools, &mon->cap_pools, mon->npools,
			   sizeof(*mon->pools));
	if (!err)
		mon->pools[mon->npools++] =
			(struct watched_pool){ .pool = pool,
					       .soft_limit = soft_limit_pages };
	pthread_mutex_unlock(&mon->lock);
	return err;
}

int zs_pressure_remove_pool(struct zs_pressure *mon, struct zs_pool *pool)
{
	size_t i;
	int err = -ENOENT;

	if (!mon || !pool)
		return -EINVAL;
	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->npools; i++)
		if (mon->pools[i].pool == pool) {
			mon->pools[i] = mon->pools[--mon->npools];
			err = 0;
			break;
		}
	pthread_mutex_unlock(&mon->lock);
	return err;
}

int zs_pressure_add_arena(struct zs_pressure *mon, struct zs_arena *arena)
{
	size_t i;
	int err = 0;

	if (!mon || !arena)
		return -EINVAL;
	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->narenas; i++)
		if (mon->arenas[i] == arena)
			err = -EEXIST;
	if (!err)
		err = grow((void **)&mon->arenas, &mon->cap_arenas,
			   mon->narenas, sizeof(*mon->arenas));
	if (!err)
		mon->arenas[mon->narenas++] = arena;
	pthread_mutex_unlock(&mon->lock);
	return err;
}

int zs_pressure_remove_arena(struct zs_pressure *mon, struct zs_arena *arena)
{
	size_t i;
	int err = -ENOENT;

	if (!mon || !arena)
		return -EINVAL;
	pthread_mutex_lock(&mon->lock);
	for (i = 0; i < mon->narenas; i++)
		if (mon->arenas[i] == arena) {
			mon->arenas[i] = mon->arenas[--mon->narenas];
			err = 0;
			break;
		}
	pthread_mutex_unlock(&mon->lock);
	return err;
}

unsigned long zs_pressure_reclaim(struct zs_pressure *mon,
				  unsigned long nr_pages)
{
	unsigned long freed;

	if (!mon)
		return 0;
	pthread_mutex_lock(&mon->lock);
	mon->stats.explicit_events++;
	freed = reclaim_locked(mon, nr_pages);
	pthread_mutex_unlock(&mon->lock);
	return freed;
}

void zs_pressure_notify(struct zs_pressure *mon)
{
	uint64_t one = 1;

	/* a failed write means saturated: a reclaim is pending anyway */
	if (mon)
		(void)!write(mon->wake_fd, &one, sizeof(one));
}

void zs_pressure_get_stats(struct zs_pressure *mon,
			   struct zs_pressure_stats *st)
{
	if (!st)
		return;
	if (!mon) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&mon->lock);
	*st = mon->stats;
	pthread_mutex_unlock(&mon->lock);
}
